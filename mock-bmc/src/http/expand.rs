//! `$expand` (DSP0266 "Query parameters"): `*`, `.` and `~`, with `$levels`.
//!
//! Clients such as iDRAC tooling read a whole FirmwareInventory in one request
//! with `?$expand=*($levels=1)`; the expanded members must equal what a
//! member-by-member walk returns, which holds because both come from `tree::resolve`.

use super::error::RedfishError;
use super::tree;
use crate::bmc::Bmc;
use crate::state::BmcState;
use axum::http::StatusCode;
use serde_json::Value;

/// Deepest `$levels` accepted; advertised as `ExpandQuery.MaxLevels`.
pub const MAX_LEVELS: u32 = 3;

/// Which hyperlinks `$expand` follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpandMode {
    /// `*`: every hyperlink.
    All,
    /// `.`: hyperlinks outside `Links`.
    NoLinks,
    /// `~`: hyperlinks inside `Links` only.
    Links,
}

/// The query options of one request.
#[derive(Debug, Default, Clone)]
pub struct QueryOptions {
    pub expand: Option<(ExpandMode, u32)>,
}

fn unsupported(name: &str) -> RedfishError {
    RedfishError::base(
        StatusCode::NOT_IMPLEMENTED,
        "QueryParameterUnsupported",
        &[name],
    )
}

fn bad_value(value: &str, name: &str) -> RedfishError {
    RedfishError::base(
        StatusCode::BAD_REQUEST,
        "QueryParameterValueFormatError",
        &[value, name],
    )
}

impl QueryOptions {
    /// Parse a query string. Unknown parameters without `$` are ignored (as the
    /// standard requires); unsupported `$` parameters are a 501 naming them.
    pub fn parse(query: &str) -> Result<QueryOptions, RedfishError> {
        let mut opts = QueryOptions::default();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            match k.as_ref() {
                "$expand" => opts.expand = Some(parse_expand(&v)?),
                other if other.starts_with('$') => return Err(unsupported(other)),
                "only" | "excerpt" => return Err(unsupported(&k)),
                _ => {}
            }
        }
        Ok(opts)
    }
}

fn parse_expand(v: &str) -> Result<(ExpandMode, u32), RedfishError> {
    let (mode, rest) = match v.chars().next() {
        Some('*') => (ExpandMode::All, &v[1..]),
        Some('.') => (ExpandMode::NoLinks, &v[1..]),
        Some('~') => (ExpandMode::Links, &v[1..]),
        _ => return Err(bad_value(v, "$expand")),
    };
    if rest.is_empty() {
        return Ok((mode, 1));
    }
    let levels = rest
        .strip_prefix("($levels=")
        .and_then(|r| r.strip_suffix(')'))
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| (1..=MAX_LEVELS).contains(n))
        .ok_or_else(|| bad_value(v, "$expand"))?;
    Ok((mode, levels))
}

/// Apply the options to a resolved resource.
pub fn apply(bmc: &Bmc, st: &BmcState, body: Value, opts: &QueryOptions) -> Value {
    match opts.expand {
        Some((mode, levels)) => expand(bmc, st, body, mode, levels),
        None => body,
    }
}

fn expand(bmc: &Bmc, st: &BmcState, mut body: Value, mode: ExpandMode, levels: u32) -> Value {
    if levels == 0 {
        return body;
    }
    let own = body
        .get("@odata.id")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(obj) = body.as_object_mut() {
        for (k, v) in obj.iter_mut() {
            if k == "Actions" || k == "Oem" || k.starts_with('@') {
                continue;
            }
            let in_links = k == "Links";
            walk(bmc, st, v, mode, levels, in_links, own.as_deref());
        }
    }
    body
}

fn walk(
    bmc: &Bmc,
    st: &BmcState,
    v: &mut Value,
    mode: ExpandMode,
    levels: u32,
    in_links: bool,
    own: Option<&str>,
) {
    let follow = match mode {
        ExpandMode::All => true,
        ExpandMode::NoLinks => !in_links,
        ExpandMode::Links => in_links,
    };
    match v {
        Value::Object(obj) if obj.len() == 1 && obj.contains_key("@odata.id") => {
            let target = obj
                .get("@odata.id")
                .and_then(Value::as_str)
                .map(|s| s.trim_end_matches('/').to_string());
            if let (true, Some(t)) = (follow, target) {
                if Some(t.as_str()) == own.map(|o| o.trim_end_matches('/')) {
                    return;
                }
                if let Ok(r) = tree::resolve(bmc, st, &t) {
                    *v = expand(bmc, st, r.body, mode, levels - 1);
                }
            }
        }
        Value::Object(obj) => {
            for (_, child) in obj.iter_mut() {
                walk(bmc, st, child, mode, levels, in_links, own);
            }
        }
        Value::Array(items) => {
            for child in items {
                walk(bmc, st, child, mode, levels, in_links, own);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_values_parse() {
        let p = |q: &str| QueryOptions::parse(q).map(|o| o.expand);
        assert_eq!(p("$expand=*").unwrap(), Some((ExpandMode::All, 1)));
        assert_eq!(
            p("$expand=.($levels=1)").unwrap(),
            Some((ExpandMode::NoLinks, 1))
        );
        assert_eq!(
            p("%24expand=.(%24levels%3D2)").unwrap(),
            Some((ExpandMode::NoLinks, 2))
        );
        assert_eq!(p("$expand=~").unwrap(), Some((ExpandMode::Links, 1)));
        assert_eq!(p("foo=bar").unwrap(), None);
        assert_eq!(p("$expand=x").unwrap_err().status, StatusCode::BAD_REQUEST);
        assert_eq!(
            p("$expand=*($levels=9)").unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            p("$filter=a").unwrap_err().status,
            StatusCode::NOT_IMPLEMENTED
        );
    }
}

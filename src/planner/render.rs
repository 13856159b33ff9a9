//! Text renderings of a [`Plan`]: an aligned table for people and CSV for
//! spreadsheets. JSON is the serde form of [`Plan`] itself.
//!
//! Versions, ids and reasons come from BMCs, so the table escapes control
//! characters: a BMC must not be able to move the cursor or recolour the
//! operator's terminal.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::model::Plan;

/// The CSV header; a stable interface like the JSON keys.
pub const CSV_HEADER: &str = "host,component,kind,from,to,action,reason,image";

/// The `action` a CSV row carries for a host whose scan failed (its reason is
/// the scan error), so a failed host is never silently missing from a sheet.
pub const CSV_SCAN_FAILED: &str = "scan-failed";

/// One line per step, columns aligned, failed hosts with their error, and a
/// summary line.
pub fn render_table(plan: &Plan) -> String {
    let header = ["HOST", "COMPONENT", "KIND", "FROM", "TO", "ACTION", "IMAGE"];
    let mut rows: Vec<([String; 7], String)> = Vec::new();
    for host in &plan.hosts {
        if !host.ok {
            let error = host.error.as_deref().unwrap_or("scan failed");
            rows.push((
                [
                    host.name.clone(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    "scan-failed".into(),
                    "-".into(),
                ],
                error.to_owned(),
            ));
            continue;
        }
        for s in &host.steps {
            rows.push((
                [
                    host.name.clone(),
                    s.component.clone(),
                    s.kind.to_string(),
                    s.from.clone().unwrap_or_else(|| "-".into()),
                    s.to.clone().unwrap_or_else(|| "-".into()),
                    s.action.to_string(),
                    s.image.clone().unwrap_or_else(|| "-".into()),
                ],
                s.reason.clone(),
            ));
        }
    }
    let cells: Vec<([String; 7], String)> = rows
        .into_iter()
        .map(|(cols, reason)| {
            (
                cols.map(|c| printable(&c).into_owned()),
                printable(&reason).into_owned(),
            )
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for (cols, _) in &cells {
        for (w, c) in widths.iter_mut().zip(cols) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cols: &[&str], reason: &str| {
        for (c, w) in cols.iter().zip(widths) {
            let _ = write!(out, "{c:<w$}  ");
        }
        out.push_str(reason);
        out.push('\n');
    };
    line(&mut out, &header, "REASON");
    for (cols, reason) in &cells {
        let cols: Vec<&str> = cols.iter().map(String::as_str).collect();
        line(&mut out, &cols, reason);
    }
    let s = &plan.summary;
    let _ = write!(
        out,
        "\n{} hosts: {} compliant, {} failed",
        s.hosts, s.hosts_compliant, s.hosts_failed
    );
    let counts: Vec<String> = s
        .steps_by_action
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(a, n)| format!("{a} {n}"))
        .collect();
    if !counts.is_empty() {
        let _ = write!(out, "; {}", counts.join(", "));
    }
    out.push('\n');
    out
}

/// CSV with [`CSV_HEADER`]. Fields are quoted as RFC 4180 says (when they
/// hold a comma, a double quote, CR or LF; quotes doubled). Lines end in LF
/// rather than RFC 4180's CRLF so shell tools read the last column cleanly;
/// spreadsheet programs accept both. A failed host gives one row with the
/// action [`CSV_SCAN_FAILED`] and the error as the reason.
pub fn render_csv(plan: &Plan) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    let mut row = |fields: [&str; 8]| {
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&csv_field(f));
        }
        out.push('\n');
    };
    for host in &plan.hosts {
        if !host.ok {
            let error = host.error.as_deref().unwrap_or("scan failed");
            row([&host.name, "", "", "", "", CSV_SCAN_FAILED, error, ""]);
            continue;
        }
        for s in &host.steps {
            row([
                &host.name,
                &s.component,
                s.kind.as_str(),
                s.from.as_deref().unwrap_or(""),
                s.to.as_deref().unwrap_or(""),
                s.action.as_str(),
                &s.reason,
                s.image.as_deref().unwrap_or(""),
            ]);
        }
    }
    out
}

/// One CSV field, quoted only when it must be.
pub(crate) fn csv_field(f: &str) -> Cow<'_, str> {
    if f.contains([',', '"', '\r', '\n']) {
        Cow::Owned(format!("\"{}\"", f.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(f)
    }
}

/// `s` with control characters written as escapes (`\u{1b}`).
fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

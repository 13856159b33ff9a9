//! Plans that read at fleet scale: a summary first (per group × kind, how
//! many rows upgrade, are up to date, blocked, unknown, and why), then the
//! rows, optionally only those that change or need a look, cut to the
//! terminal's width. The JSON ([`Plan`] itself) keeps every field whole.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::model::{Action, Plan};
use crate::text::{fit, printable};
use crate::vocab::Kind;

/// How the summary groups hosts; each group is split by component kind
/// unless it is [`GroupBy::Kind`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupBy {
    /// The system model (the default).
    Model,
    /// Component kind only, over the whole fleet.
    Kind,
    /// The value of this label (`-` for hosts without it).
    Label(String),
}

impl std::str::FromStr for GroupBy {
    type Err = String;
    fn from_str(s: &str) -> Result<GroupBy, String> {
        match s {
            "model" => Ok(GroupBy::Model),
            "kind" => Ok(GroupBy::Kind),
            _ => match s
                .strip_prefix("label:")
                .or_else(|| s.strip_prefix("label="))
            {
                Some(k) if !k.trim().is_empty() => Ok(GroupBy::Label(k.trim().to_string())),
                _ => Err(format!(
                    "--group-by {s}: write model, kind or label:KEY (e.g. label:rack)"
                )),
            },
        }
    }
}

impl GroupBy {
    /// The summary's first column header.
    fn header(&self) -> String {
        match self {
            GroupBy::Model => "MODEL".into(),
            GroupBy::Kind => "FLEET".into(),
            GroupBy::Label(k) => k.to_uppercase(),
        }
    }
}

/// The summary's buckets: `upgrade` counts downgrades too (both flash);
/// `other` is no-image, newer-than-repository, not-updateable and
/// staged-pending.
#[derive(Debug, Default, Clone)]
struct Counts {
    hosts: std::collections::BTreeSet<String>,
    upgrade: usize,
    up_to_date: usize,
    blocked: usize,
    unknown: usize,
    other: usize,
    /// Blocked and version-unknown reasons, counted.
    why: BTreeMap<String, usize>,
}

/// A reason with its versions kept: the most common one is shown.
fn bucket(c: &mut Counts, action: Action, reason: &str) {
    match action {
        Action::Upgrade | Action::Downgrade => c.upgrade += 1,
        Action::UpToDate => c.up_to_date += 1,
        Action::Blocked => c.blocked += 1,
        Action::VersionUnknown => c.unknown += 1,
        _ => c.other += 1,
    }
    if matches!(action, Action::Blocked | Action::VersionUnknown) {
        *c.why.entry(reason.to_string()).or_default() += 1;
    }
}

/// The summary table: one line per group × kind, then the failed hosts
/// and the plan's totals. `group_of` names a host's group (its model,
/// its label value).
pub fn render_summary(plan: &Plan, by: &GroupBy, group_of: &dyn Fn(&str) -> String) -> String {
    let mut groups: BTreeMap<(String, Option<Kind>), Counts> = BTreeMap::new();
    for h in plan.hosts.iter().filter(|h| h.ok) {
        let g = match by {
            GroupBy::Kind => "*".to_string(),
            _ => group_of(&h.name),
        };
        for s in &h.steps {
            let c = groups.entry((g.clone(), Some(s.kind))).or_default();
            c.hosts.insert(h.name.clone());
            bucket(c, s.action, &s.reason);
        }
    }
    let gw = groups
        .keys()
        .map(|(g, _)| g.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(by.header().len(), 32);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<gw$}  {:<7}  {:>5}  {:>7}  {:>10}  {:>7}  {:>7}  {:>5}  WHY (blocked, unknown)",
        by.header(),
        "KIND",
        "HOSTS",
        "UPGRADE",
        "UP-TO-DATE",
        "BLOCKED",
        "UNKNOWN",
        "OTHER"
    );
    for ((g, kind), c) in &groups {
        let why = match c
            .why
            .iter()
            .max_by_key(|(r, n)| (**n, std::cmp::Reverse(*r)))
        {
            None => String::new(),
            Some((r, n)) => {
                let more = c.why.len() - 1;
                let r = printable(r);
                if more == 0 {
                    format!("{n}× {}", fit(&r, 70))
                } else {
                    format!("{n}× {} (+{more} other reasons)", fit(&r, 60))
                }
            }
        };
        let _ = writeln!(
            out,
            "{}",
            format!(
                "{:<gw$}  {:<7}  {:>5}  {:>7}  {:>10}  {:>7}  {:>7}  {:>5}  {why}",
                fit(&printable(g), gw),
                kind.map_or("-", Kind::as_str),
                c.hosts.len(),
                c.upgrade,
                c.up_to_date,
                c.blocked,
                c.unknown,
                c.other,
            )
            .trim_end()
        );
    }
    let failed: Vec<&str> = plan
        .hosts
        .iter()
        .filter(|h| !h.ok)
        .map(|h| h.name.as_str())
        .collect();
    if !failed.is_empty() {
        let shown: Vec<&str> = failed.iter().take(5).copied().collect();
        let more = failed.len() - shown.len();
        let _ = writeln!(
            out,
            "scan failed on {} host(s): {}{}",
            failed.len(),
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
    }
    out.push_str(&totals(plan));
    out
}

/// `30 hosts: 12 compliant, 1 failed; upgrade 40, up-to-date 180`.
pub fn totals(plan: &Plan) -> String {
    let s = &plan.summary;
    let mut out = format!(
        "{} hosts: {} compliant, {} failed",
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

/// Which rows [`render_rows`] shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// Every row.
    All,
    /// What would change or needs a look: every row but up-to-date,
    /// newer-than-repository, no-image and not-updateable, and failed hosts.
    Changes,
    /// Only what needs a look: blocked, version-unknown, staged-pending and
    /// downgrade rows, and failed hosts (the default of a large plan: the
    /// summary counts the upgrades).
    Attention,
}

impl Rows {
    /// Whether a row with this action is shown.
    pub fn shows(self, a: Action) -> bool {
        match self {
            Rows::All => true,
            Rows::Changes => is_change_or_blocked(a),
            Rows::Attention => is_change_or_blocked(a) && a != Action::Upgrade,
        }
    }
}

/// Whether a row is shown under [`Rows::Changes`].
pub fn is_change_or_blocked(a: Action) -> bool {
    !a.is_compliant()
}

/// The plan's rows, one line each, every cell cut to fit `width` columns
/// (the reason gets what is left; ids and reasons are whole in JSON).
pub fn render_rows(plan: &Plan, rows: Rows, width: usize) -> String {
    const HEADER: [&str; 7] = ["HOST", "COMPONENT", "KIND", "FROM", "TO", "ACTION", "IMAGE"];
    const CAP: [usize; 7] = [24, 24, 7, 18, 18, 21, 30];
    let mut cells: Vec<([String; 7], String)> = Vec::new();
    for h in &plan.hosts {
        if !h.ok {
            let e = h.error.as_deref().unwrap_or("scan failed");
            cells.push((
                [
                    h.name.clone(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    "scan-failed".into(),
                    "-".into(),
                ],
                e.lines().next().unwrap_or("").to_string(),
            ));
            continue;
        }
        for s in &h.steps {
            if !rows.shows(s.action) {
                continue;
            }
            cells.push((
                [
                    h.name.clone(),
                    // The display name every command uses: the identity the
                    // normaliser gives the component (stable across updates,
                    // what apply progress and status show); the Redfish Id
                    // is `component` in the JSON.
                    s.identity.clone(),
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
    let cells: Vec<([String; 7], String)> = cells
        .into_iter()
        .map(|(cols, r)| {
            (
                cols.map(|c| printable(&c).into_owned()),
                printable(&r).into_owned(),
            )
        })
        .collect();
    let mut widths = HEADER.map(str::len);
    for (cols, _) in &cells {
        for ((w, c), cap) in widths.iter_mut().zip(cols).zip(CAP) {
            *w = (*w).max(c.chars().count().min(cap));
        }
    }
    // The reason gets what is left, at least REASON_MIN: narrow the widest
    // of component, from, to and image first (never below 10).
    const REASON_MIN: usize = 24;
    let used = |w: &[usize; 7]| w.iter().map(|w| w + 2).sum::<usize>();
    while used(&widths) + REASON_MIN > width {
        let Some(i) = [1usize, 3, 4, 6]
            .into_iter()
            .filter(|i| widths[*i] > 10)
            .max_by_key(|i| widths[*i])
        else {
            break;
        };
        widths[i] -= 1;
    }
    let reason_w = width.saturating_sub(used(&widths)).max(REASON_MIN);
    let mut out = String::new();
    let line = |out: &mut String, cols: &[&str], reason: &str| {
        for (c, w) in cols.iter().zip(widths) {
            let _ = write!(out, "{:<w$}  ", fit(c, w));
        }
        out.push_str(fit(reason, reason_w).trim_end());
        out.push('\n');
    };
    line(&mut out, &HEADER, "REASON");
    for (cols, reason) in &cells {
        let cols: Vec<&str> = cols.iter().map(String::as_str).collect();
        line(&mut out, &cols, reason);
    }
    out
}

/// How many rows [`render_rows`] would show.
pub fn count_rows(plan: &Plan, rows: Rows) -> usize {
    plan.hosts
        .iter()
        .map(|h| {
            if !h.ok {
                1
            } else {
                h.steps.iter().filter(|s| rows.shows(s.action)).count()
            }
        })
        .sum()
}

//! Compliance as a table (operators at a terminal) and as CSV (for a
//! spreadsheet): one row per host and component. JSON is the report's own
//! serde shape.

use super::{ComplianceReport, Status};
use std::fmt::Write as _;

fn age(s: Option<i64>) -> String {
    match s {
        None => "-".into(),
        Some(s) if s < 120 => format!("{s}s"),
        Some(s) if s < 7200 => format!("{}m", s / 60),
        Some(s) if s < 172_800 => format!("{}h", s / 3600),
        Some(s) => format!("{}d", s / 86_400),
    }
}

/// Components that are not `ok` are listed per host; hosts whose every
/// component is `ok` get one line. Then the roll-up and the fleet line.
pub fn render_table(r: &ComplianceReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<24} {:<22} {:<9} {:<9} {:<24} {:<24} AGE",
        "HOST", "COMPONENT", "KIND", "STATUS", "CURRENT", "TARGET"
    );
    for h in &r.hosts {
        if let Some(e) = &h.error {
            let first = e.lines().next().unwrap_or("");
            let _ = writeln!(
                out,
                "{:<24} {:<22} {:<9} {:<9} {first}",
                h.name, "-", "-", h.status
            );
            continue;
        }
        let not_ok: Vec<_> = h
            .components
            .iter()
            .filter(|c| c.status != Status::Ok)
            .collect();
        if not_ok.is_empty() {
            let _ = writeln!(
                out,
                "{:<24} {:<22} {:<9} {:<9} {:<24} {:<24} {}",
                h.name,
                format!("({} components)", h.components.len()),
                "-",
                h.status,
                "",
                "",
                age(h.inventory_age_s)
            );
        }
        for c in not_ok {
            let _ = writeln!(
                out,
                "{:<24} {:<22} {:<9} {:<9} {:<24} {:<24} {}",
                h.name,
                c.component,
                c.kind,
                c.status,
                c.current.as_deref().unwrap_or("-"),
                c.target.as_deref().unwrap_or("-"),
                age(h.inventory_age_s)
            );
        }
    }
    let _ = writeln!(
        out,
        "\n{:<28} {:<9} {:<9} {:>5} {:>9} {:>7} {:>7} {:>8} {:>5}",
        "MODEL", "KIND", "STATUS", "OK", "DOWNGRADE", "UNKNOWN", "WARNING", "CRITICAL", "HOSTS"
    );
    for roll in &r.by_model_kind {
        let n = |s: Status| roll.counts.get(&s).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "{:<28} {:<9} {:<9} {:>5} {:>9} {:>7} {:>7} {:>8} {:>5}",
            roll.model,
            roll.kind,
            roll.status,
            n(Status::Ok),
            n(Status::Downgrade),
            n(Status::Unknown),
            n(Status::Warning),
            n(Status::Critical),
            roll.hosts
        );
    }
    let f = &r.fleet;
    let hosts = Status::ALL
        .iter()
        .map(|s| format!("{} {s}", f.hosts_by_status.get(s).copied().unwrap_or(0)))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(
        out,
        "\nfleet: {} ({} hosts: {hosts}); oldest inventory {} ({} old)",
        f.status,
        f.hosts,
        f.oldest_inventory_at.as_deref().unwrap_or("-"),
        age(f.oldest_inventory_age_s)
    );
    out
}

/// `host,model,component,kind,status,current,target,criticality,image,inventory_at,reason`.
pub fn render_csv(r: &ComplianceReport) -> String {
    let mut out = String::from(
        "host,model,component,kind,status,current,target,criticality,image,inventory_at,reason\n",
    );
    for h in &r.hosts {
        let model = h.model.as_deref().unwrap_or("");
        let at = h.inventory_at.as_deref().unwrap_or("");
        if let Some(e) = &h.error {
            let row = [
                h.name.as_str(),
                model,
                "",
                "",
                h.status.as_str(),
                "",
                "",
                "",
                "",
                at,
                e,
            ];
            out.push_str(&csv_row(&row));
            continue;
        }
        for c in &h.components {
            let crit = c.criticality.map(|k| k.as_str()).unwrap_or("");
            let kind = c.kind.as_str();
            let row = [
                h.name.as_str(),
                model,
                &c.component,
                kind,
                c.status.as_str(),
                c.current.as_deref().unwrap_or(""),
                c.target.as_deref().unwrap_or(""),
                crit,
                c.image.as_deref().unwrap_or(""),
                at,
                &c.reason,
            ];
            out.push_str(&csv_row(&row));
        }
    }
    out
}

fn csv_row(fields: &[&str]) -> String {
    let mut line = fields
        .iter()
        .map(|f| {
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                (*f).to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

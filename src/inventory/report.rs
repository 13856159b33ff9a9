//! Rendering an inventory: a table for people, JSON for scripts.

use super::model::{HostInventory, Inventory, Kind, Role};
use std::fmt::Write;

fn active_version(h: &HostInventory, kind: Kind) -> String {
    h.components
        .iter()
        .find(|c| c.kind == kind && c.role == Role::Active)
        .and_then(|c| c.version.clone())
        .unwrap_or_else(|| "-".into())
}

/// One line per host, then a summary line.
pub fn table(inv: &Inventory) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<14} {:<10} {:<28} {:<26} {:<28} {:>5}  STATUS",
        "HOST", "PLATFORM", "MODEL", "BIOS", "BMC", "COMP"
    );
    for h in &inv.hosts {
        let status = match &h.error {
            None => "ok".to_string(),
            Some(e) => format!("FAILED: {}", e.lines().next().unwrap_or("")),
        };
        let _ = writeln!(
            out,
            "{:<14} {:<10} {:<28} {:<26} {:<28} {:>5}  {}",
            h.name,
            h.bmc.platform,
            h.system.model.as_deref().unwrap_or("-"),
            active_version(h, Kind::Bios),
            active_version(h, Kind::Bmc),
            h.components.len(),
            status
        );
    }
    let failed = inv.failed();
    let _ = writeln!(
        out,
        "\n{} hosts, {} answered, {} failed",
        inv.hosts.len(),
        inv.hosts.len() - failed,
        failed
    );
    out
}

/// Pretty JSON (the documented, stable shape).
pub fn json(inv: &Inventory) -> String {
    serde_json::to_string_pretty(inv).unwrap_or_default()
}

//! Rendering an inventory: a table for people, JSON for scripts.

use super::model::{HostInventory, Inventory, Kind, Role};
use std::fmt::Write;

/// Versions are kept raw (control characters included), so they are shown
/// escaped: a BMC's bytes never reach the terminal as escape sequences.
fn active_version(h: &HostInventory, kind: Kind) -> String {
    h.components
        .iter()
        .find(|c| c.kind == kind && c.role == Role::Active)
        .and_then(|c| c.version.as_deref())
        .map_or_else(|| "-".into(), crate::version::shown)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::model::Component;

    #[test]
    fn the_table_shows_raw_versions_escaped() {
        let mut h = HostInventory::unread("bmc-1", "https://127.0.0.1:1");
        h.ok = true;
        h.components.push(Component {
            id: "1".into(),
            name: "iLO 5".into(),
            kind: Kind::Bmc,
            version: Some("2.46\u{1b}[2J\n".into()),
            updateable: true,
            software_id: None,
            role: Role::Active,
            identity: "ilo 5".into(),
            uri: "/redfish/v1/UpdateService/FirmwareInventory/1".into(),
            lowest_supported_version: None,
            version_scheme: None,
            manufacturer: None,
            write_protected: false,
        });
        let inv = Inventory {
            scanned_at: "2026-01-01T00:00:00Z".into(),
            hosts: vec![h],
        };
        let text = table(&inv);
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(text.contains(r#""2.46\u{1b}[2J\n""#), "{text}");
        assert_eq!(text.lines().count(), 4, "{text}");
        // The JSON keeps the version exactly as the BMC sent it.
        let back: Inventory = serde_json::from_str(&json(&inv)).unwrap();
        assert_eq!(
            back.hosts[0].components[0].version.as_deref(),
            Some("2.46\u{1b}[2J\n")
        );
    }
}

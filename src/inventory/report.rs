//! Rendering an inventory: a table for people, JSON and CSV for scripts.

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

/// The kinds a table gives a column to, besides BIOS and BMC: those the
/// inventory has at all, so a fleet without PSUs shows no PSU column.
fn extra_kinds(inv: &Inventory) -> Vec<Kind> {
    [Kind::Cpld, Kind::Nic, Kind::Storage, Kind::Drive, Kind::Psu]
        .into_iter()
        .filter(|k| {
            inv.hosts
                .iter()
                .flat_map(|h| &h.components)
                .any(|c| c.kind == *k && c.role == Role::Active)
        })
        .collect()
}

/// Active components of `kind` on `h`: one version, or `N×` when a host has
/// several (NICs, drives) so the column stays narrow; `-` for none.
fn kind_cell(h: &HostInventory, kind: Kind) -> String {
    let versions: Vec<&str> = h
        .components
        .iter()
        .filter(|c| c.kind == kind && c.role == Role::Active)
        .map(|c| c.version.as_deref().unwrap_or("?"))
        .collect();
    match versions.as_slice() {
        [] => "-".into(),
        [one] => crate::version::shown(one),
        many => format!("{}×", many.len()),
    }
}

/// One line per host (BIOS and BMC versions, and a count of the other
/// kinds present), then a summary line.
pub fn table(inv: &Inventory) -> String {
    let mut out = String::new();
    let extra = extra_kinds(inv);
    let _ = write!(
        out,
        "{:<14} {:<10} {:<28} {:<26} {:<28}",
        "HOST", "PLATFORM", "MODEL", "BIOS", "BMC"
    );
    for k in &extra {
        let _ = write!(out, " {:<12}", k.as_str().to_uppercase());
    }
    let _ = writeln!(out, " {:>5}  STATUS", "COMP");
    for h in &inv.hosts {
        let status = match &h.error {
            None => "ok".to_string(),
            Some(e) => format!("FAILED: {}", e.lines().next().unwrap_or("")),
        };
        let _ = write!(
            out,
            "{:<14} {:<10} {:<28} {:<26} {:<28}",
            h.name,
            h.bmc.platform,
            crate::text::fit(
                &crate::text::printable(h.system.model.as_deref().unwrap_or("-")),
                28
            ),
            crate::text::fit(&active_version(h, Kind::Bios), 26),
            crate::text::fit(&active_version(h, Kind::Bmc), 28),
        );
        for k in &extra {
            let _ = write!(out, " {:<12}", crate::text::fit(&kind_cell(h, *k), 12));
        }
        let _ = writeln!(out, " {:>5}  {}", h.components.len(), status);
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

/// The CSV header of `fwfleet inventory --format csv`; a stable interface.
pub const CSV_HEADER: &str =
    "host,ok,platform,manufacturer,model,serial,kind,role,component,name,identity,version,updateable,error";

/// One row per component (every role), one row with `ok=false` and the
/// error for a host that failed. Versions exactly as the BMC sent them
/// (quoted as CSV needs).
pub fn csv(inv: &Inventory) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    for h in &inv.hosts {
        let model = h.system.model.as_deref().unwrap_or("");
        let maker = h.system.manufacturer.as_deref().unwrap_or("");
        let serial = h.system.serial.as_deref().unwrap_or("");
        if !h.ok {
            let err = h.error.as_deref().unwrap_or("scan failed");
            out.push_str(&crate::text::csv_line(&[
                &h.name,
                "false",
                &h.bmc.platform,
                maker,
                model,
                serial,
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                err,
            ]));
            continue;
        }
        for c in &h.components {
            let role = c.role.to_string();
            out.push_str(&crate::text::csv_line(&[
                &h.name,
                "true",
                &h.bmc.platform,
                maker,
                model,
                serial,
                c.kind.as_str(),
                &role,
                &c.id,
                &c.name,
                &c.identity,
                c.version.as_deref().unwrap_or(""),
                if c.updateable { "true" } else { "false" },
                "",
            ]));
        }
    }
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
            pci: None,
            reset_required_on_update: None,
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

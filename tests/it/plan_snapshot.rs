//! The plan JSON is a stable interface: pinned by a committed snapshot.

use fwfleet::inventory::model::{
    BmcInfo, Component, HostInventory, Inventory, Kind, Role, SystemInfo,
};
use fwfleet::planner::{self, ImageRef, Policy};

fn component(id: &str, kind: Kind, version: &str) -> Component {
    Component {
        id: id.into(),
        name: id.into(),
        kind,
        version: Some(version.into()),
        updateable: true,
        software_id: None,
        role: Role::Active,
        identity: id.to_lowercase(),
        uri: format!("/redfish/v1/UpdateService/FirmwareInventory/{id}"),
        lowest_supported_version: None,
        version_scheme: None,
        manufacturer: None,
        write_protected: false,
        pci: None,
        reset_required_on_update: None,
    }
}

fn image(file: &str, kind: Kind, version: &str) -> ImageRef {
    ImageRef::new(file, kind, version)
}

#[test]
fn plan_json_matches_the_snapshot() {
    let host = |name: &str, ok: bool| HostInventory {
        name: name.into(),
        url: format!("https://{name}.example"),
        ok,
        error: (!ok).then(|| format!("{name}: cannot connect")),
        system: SystemInfo {
            manufacturer: Some("HPE".into()),
            model: Some("ProLiant DL380 Gen10 Plus".into()),
            serial: Some("CZ1".into()),
            ..SystemInfo::default()
        },
        bmc: BmcInfo {
            platform: "hpe".into(),
            ..BmcInfo::default()
        },
        components: if ok {
            vec![
                component("1", Kind::Bmc, "2.46 May 11 2021"),
                component("2", Kind::Bios, "U46 v2.72 (03/10/2023)"),
                component("3", Kind::Cpld, "0x0D"),
                component("4", Kind::Drive, "HPK3"),
            ]
        } else {
            Vec::new()
        },
        software: Vec::new(),
        duration_ms: 0,
    };
    let inv = Inventory {
        scanned_at: "2026-11-24T00:00:00Z".into(),
        hosts: vec![host("ilo-1", true), host("ilo-2", false)],
    };
    let images = [
        image("ilo5_255.bin", Kind::Bmc, "2.55 Oct 01 2021"),
        image("U46_2.80.fwpkg", Kind::Bios, "U46 v2.80 (01/12/2024)"),
        image("cpld_0d.bin", Kind::Cpld, "0x0D"),
        image("drive_hpk4.bin", Kind::Drive, "HPK4"),
    ];
    let source = |c: &Component, _: Option<&str>, _: Option<&str>| -> Vec<ImageRef> {
        images
            .iter()
            .filter(|i| i.kind == c.kind)
            .cloned()
            .collect()
    };
    let plan = planner::plan(&inv, &source, &Policy::default());
    let got = serde_json::to_string_pretty(&plan).unwrap();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/snapshots/plan.json");
        std::fs::write(path, format!("{got}\n")).unwrap();
        return;
    }
    let want = include_str!("snapshots/plan.json");
    assert_eq!(
        got.trim(),
        want.trim(),
        "plan JSON changed; if on purpose, update tests/it/snapshots/plan.json and docs/PLAN.md"
    );
}

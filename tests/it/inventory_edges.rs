//! Inventory edges seen in real captures (issue 16 item 7), end to end: the
//! `fwfleet` binary against mock BMCs over real sockets.
//!
//! - a v1.2-era UpdateService without `FirmwareInventory` (mock `generic`
//!   `legacy-layout`): firmware read from `SoftwareInventory`, marked legacy,
//!   planned through the standard actions it offers, judged for compliance;
//! - identical devices on one host (mock `ilo` `apollo`, after the Cray-HPE
//!   XL675d captures): each reported, planned and targeted as itself;
//! - a version with a control character (mock fault `schema-quirks`, iLO's
//!   `"0\x14"`): kept raw, judged `version-unknown`.

use crate::inventory::PW;
use mock_bmc::image::ImageBuilder;
use mock_bmc::{FleetConfig, Kind as MockKind, MockFleet, Persona, Profile, Variant};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// Runs the binary off the async threads (the mock BMCs answer on them).
async fn fwfleet(args: &[&str]) -> (Option<i32>, String, String) {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let out = Command::new(env!("CARGO_BIN_EXE_fwfleet"))
            .args(&args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .unwrap()
}

/// `fwfleet <command> --config CFG --format json`, which must succeed.
async fn json(command: &str, cfg: &Path) -> Value {
    let c = cfg.to_str().unwrap();
    let (code, out, err) = fwfleet(&[command, "--config", c, "--format", "json"]).await;
    assert_eq!(code, Some(0), "{command}: {out}\n{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{command}: {e}: {out}"))
}

/// Adds a mock image of `kind` at `version` for every model.
async fn add_image(dir: &Path, cfg: &Path, kind: MockKind, version: &str) {
    let img = dir.join(format!("{kind}-{version}.fwimg"));
    ImageBuilder::new(kind, version)
        .payload_size(1024)
        .write_file(&img)
        .unwrap();
    let kind = kind.to_string();
    let (code, out, err) = fwfleet(&[
        "repo",
        "add",
        img.to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
        "--component",
        &kind,
        "--version",
        version,
        "--any-model",
    ])
    .await;
    assert_eq!(code, Some(0), "{out}{err}");
}

async fn start(config: FleetConfig) -> (MockFleet, tempfile::TempDir, std::path::PathBuf) {
    let f = MockFleet::start(FleetConfig {
        count: 1,
        password: PW.into(),
        ..config
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("fleet.toml");
    f.write_fleet_file(&cfg).unwrap();
    (f, dir, cfg)
}

fn members(v: &Value) -> &Vec<Value> {
    v.as_array().expect("an array")
}

/// The plan's steps of host 0 whose component kind is `kind`.
fn steps_of<'a>(plan: &'a Value, kind: &str) -> Vec<&'a Value> {
    members(&plan["hosts"][0]["steps"])
        .iter()
        .filter(|s| s["kind"] == kind)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_legacy_layout_bmc_is_read_from_software_inventory_marked_legacy_and_planned() {
    let (f, dir, cfg) = start(
        FleetConfig {
            profile: Profile::Single(Persona::Generic),
            variant: Variant::LegacyLayout,
            seed: 16,
            ..FleetConfig::default()
        }
        .field(600.0),
    )
    .await;
    let st = f.bmcs[0].state();

    // Inventory: every firmware component of the mock, from SoftwareInventory.
    let inv = json("inventory", &cfg).await;
    let host = &inv["hosts"][0];
    assert_eq!(host["ok"], true, "{host:#}");
    assert_eq!(
        host["bmc"]["legacy_layout"],
        serde_json::json!({
            "inventory": "/redfish/v1/UpdateService/SoftwareInventory",
            "methods": ["simple-update", "raw-push"],
        }),
        "{host:#}"
    );
    let components = members(&host["components"]);
    for c in members(&st["components"]) {
        let id = c["id"].as_str().unwrap();
        let ours = components
            .iter()
            .find(|x| x["id"] == id)
            .unwrap_or_else(|| panic!("{id} missing from {components:#?}"));
        assert_eq!(ours["version"], c["version"], "{id}");
        assert_eq!(ours["kind"], c["kind"], "{id}");
        assert_eq!(
            ours["uri"],
            format!("/redfish/v1/UpdateService/SoftwareInventory/{id}")
        );
    }
    assert_eq!(
        host["bmc"]["firmware_version"],
        components.iter().find(|c| c["kind"] == "bmc").unwrap()["version"]
    );
    // A standard host has no such key: it is additive.
    let (g, _gdir, gcfg) = start(FleetConfig {
        profile: Profile::Single(Persona::Generic),
        seed: 16,
        ..FleetConfig::default()
    })
    .await;
    let standard = json("inventory", &gcfg).await;
    assert!(standard["hosts"][0]["bmc"].get("legacy_layout").is_none());
    drop(g);

    // Plan: an upgrade, sent through a standard action the service offers.
    add_image(dir.path(), &cfg, MockKind::Bios, "99.0.0").await;
    let plan = json("plan", &cfg).await;
    let bios = steps_of(&plan, "bios");
    assert_eq!(bios.len(), 1, "{plan:#}");
    assert_eq!(bios[0]["action"], "upgrade", "{plan:#}");
    assert_eq!(bios[0]["to"], "99.0.0");
    assert_eq!(bios[0]["method"], "simple-update", "{plan:#}");
    assert!(
        bios[0]["reason"]
            .as_str()
            .unwrap()
            .contains("legacy UpdateService layout: simple-update"),
        "{plan:#}"
    );

    // Compliance, judged on the stored inventory like any other host's.
    let report = json("compliance", &cfg).await;
    let bios = members(&report["hosts"][0]["components"])
        .iter()
        .find(|c| c["kind"] == "bios")
        .unwrap()
        .clone();
    assert_eq!(
        (bios["status"].as_str(), bios["target"].as_str()),
        (Some("warning"), Some("99.0.0")),
        "{report:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn identical_devices_on_one_host_are_each_reported_and_planned() {
    let (f, dir, cfg) = start(FleetConfig {
        profile: Profile::Single(Persona::Ilo),
        variant: Variant::Apollo,
        seed: 16,
        ..FleetConfig::default()
    })
    .await;
    let st = f.bmcs[0].state();
    let mock: &Vec<Value> = members(&st["components"]);

    let inv = json("inventory", &cfg).await;
    let host = &inv["hosts"][0];
    assert_eq!(host["ok"], true, "{host:#}");
    let components = members(&host["components"]);
    assert_eq!(components.len(), mock.len(), "every device is reported");
    for (kind, name, count) in [
        ("psu", "power supply firmware", 4),
        ("other", "nvidia a100-sxm4-40gb", 8),
        ("nic", "ss11 200gb 1p nic pcie", 2),
    ] {
        let same: Vec<&Value> = components.iter().filter(|c| c["kind"] == kind).collect();
        assert_eq!(same.len(), count, "{kind}: {same:#?}");
        let mut identities: Vec<&str> = same
            .iter()
            .map(|c| c["identity"].as_str().unwrap())
            .collect();
        identities.sort_unstable();
        identities.dedup();
        assert_eq!(identities.len(), count, "{kind}: {identities:?}");
        for c in same {
            // Each device reports its own version, under its own identity.
            let m = mock.iter().find(|m| m["id"] == c["id"]).unwrap();
            assert_eq!(c["version"], m["version"], "{c:#}");
            let at = m["device_context"].as_str().unwrap().to_lowercase();
            assert_eq!(c["identity"], format!("{name} @ {at}"), "{c:#}");
        }
    }

    // Plan: one step per power supply, each from its own version, each
    // aimed at its own inventory member.
    add_image(dir.path(), &cfg, MockKind::Psu, "9.99").await;
    let plan = json("plan", &cfg).await;
    let psus = steps_of(&plan, "psu");
    assert_eq!(psus.len(), 4, "{plan:#}");
    let mut ids: Vec<&str> = psus
        .iter()
        .map(|s| s["component"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 4, "{plan:#}");
    for s in psus {
        let m = mock.iter().find(|m| m["id"] == s["component"]).unwrap();
        assert_eq!(
            (s["action"].as_str(), s["from"].as_str(), s["to"].as_str()),
            (Some("upgrade"), m["version"].as_str(), Some("9.99")),
            "{s:#}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_version_with_control_characters_is_kept_raw_and_version_unknown() {
    let (f, dir, cfg) = start(FleetConfig {
        profile: Profile::Single(Persona::Generic),
        seed: 16,
        ..FleetConfig::default()
    })
    .await;
    let r = reqwest::Client::new()
        .post(format!("{}/mock/faults", f.bmcs[0].url()))
        .json(&serde_json::json!({"schema_quirks": true}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());

    let inv = json("inventory", &cfg).await;
    let host = &inv["hosts"][0];
    assert_eq!(host["ok"], true, "{host:#}");
    let drives: Vec<&Value> = members(&host["components"])
        .iter()
        .filter(|c| c["kind"] == "drive")
        .collect();
    assert!(!drives.is_empty(), "{host:#}");
    for d in &drives {
        assert_eq!(d["version"], "0\u{14}", "kept raw: {d:#}");
    }

    add_image(dir.path(), &cfg, MockKind::Drive, "9.9.9").await;
    let plan = json("plan", &cfg).await;
    let steps = steps_of(&plan, "drive");
    assert_eq!(steps.len(), drives.len(), "{plan:#}");
    for s in steps {
        assert_eq!(s["action"], "version-unknown", "{s:#}");
        assert_eq!(s["from"], "0\u{14}", "{s:#}");
        assert!(
            s["reason"]
                .as_str()
                .unwrap()
                .contains("contains control characters"),
            "{s:#}"
        );
    }
    // The table shows the raw version escaped, never the control character.
    let c = cfg.to_str().unwrap();
    let (code, out, err) = fwfleet(&["plan", "--config", c]).await;
    assert_eq!(code, Some(0), "{err}");
    assert!(!out.contains('\u{14}'), "{out}");
    assert!(out.contains("version-unknown"), "{out}");
}

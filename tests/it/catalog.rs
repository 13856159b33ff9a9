//! Issue 19 through the `fwfleet` binary: safer manual adds (`--any-model`,
//! `--sha256`, HPE `.fwpkg` inference with its `.compsig`, `repo edit`),
//! `repo import-catalog` and `compliance` against a mock fleet.

use crate::inventory::PW;
use mock_bmc::image::ImageBuilder;
use mock_bmc::{FleetConfig, Kind as MockKind, MockFleet, Persona, Profile};
use serde_json::Value;
use sha2::Digest as _;
use std::io::Write;
use std::path::Path;
use std::process::Command;

fn fwfleet(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_fwfleet"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn list(cfg: &Path) -> Vec<Value> {
    let (code, out, err) = fwfleet(&[
        "repo",
        "list",
        "--config",
        cfg.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0), "{err}");
    serde_json::from_str::<Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn repo_add_refuses_an_image_for_every_model_unless_told_and_checks_a_vendor_sha256() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("fleet.toml");
    std::fs::write(&cfg, "").unwrap();
    let img = dir.path().join("BIOS_2.19.1.bin");
    std::fs::write(&img, b"bios bytes").unwrap();
    let (i, c) = (img.to_str().unwrap(), cfg.to_str().unwrap());
    let base = [
        "repo",
        "add",
        i,
        "--config",
        c,
        "--component",
        "bios",
        "--version",
        "2.19.1",
    ];

    let (code, _, err) = fwfleet(&base);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("would apply to every bios of every model"),
        "{err}"
    );
    assert!(err.contains("--any-model"), "{err}");
    assert!(!dir
        .path()
        .join("repository")
        .join("BIOS_2.19.1.bin")
        .exists());

    let wrong = hex::encode(sha2::Sha256::digest(b"other bytes"));
    let mut args = base.to_vec();
    args.extend(["--model", "PowerEdge R750", "--sha256", &wrong]);
    let (code, _, err) = fwfleet(&args);
    assert_ne!(code, Some(0));
    assert!(
        err.contains("BIOS_2.19.1.bin") && err.contains("does not match the vendor's sha256"),
        "{err}"
    );
    assert!(err.contains("nothing was added"), "{err}");

    let right = hex::encode(sha2::Sha256::digest(b"bios bytes"));
    let mut args = base.to_vec();
    args.extend([
        "--model",
        "PowerEdge R750",
        "--sha256",
        &right,
        "--criticality",
        "urgent",
    ]);
    let (code, out, err) = fwfleet(&args);
    assert_eq!(code, Some(0), "{out}{err}");
    let e = &list(&cfg)[0];
    assert_eq!(e["vendor_hash_kind"], "sha256");
    assert_eq!(e["criticality"], "urgent");

    // repo edit: applicability and notes in place, the image untouched.
    let (code, out, err) = fwfleet(&[
        "repo",
        "edit",
        "BIOS_2.19.1.bin",
        "--config",
        c,
        "--model",
        "PowerEdge R760",
        "--notes",
        "R760 only",
    ]);
    assert_eq!(code, Some(0), "{out}{err}");
    let e = &list(&cfg)[0];
    assert_eq!(e["models"], serde_json::json!(["PowerEdge R760"]));
    assert_eq!(e["notes"], "R760 only");
    assert_eq!(e["sha256"], right.as_str());
    let (code, _, err) = fwfleet(&[
        "repo",
        "edit",
        "BIOS_2.19.1.bin",
        "--config",
        c,
        "--clear-models",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--any-model"), "{err}");
    let (code, _, err) = fwfleet(&["repo", "edit", "BIOS_2.19.1.bin", "--config", c]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("nothing to change"), "{err}");

    // --any-model says it on purpose.
    let other = dir.path().join("tool.bin");
    std::fs::write(&other, b"tool").unwrap();
    let (code, out, err) = fwfleet(&[
        "repo",
        "add",
        other.to_str().unwrap(),
        "--config",
        c,
        "--component",
        "other",
        "--version",
        "1.0",
        "--any-model",
    ]);
    assert_eq!(code, Some(0), "{out}{err}");
}

fn fwpkg(path: &Path, payload: &str) {
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default();
    zip.start_file("payload.json", opts).unwrap();
    zip.write_all(payload.as_bytes()).unwrap();
    zip.start_file("fw.hpb", opts).unwrap();
    zip.write_all(&[1u8; 512]).unwrap();
    zip.finish().unwrap();
}

#[test]
fn repo_add_reads_an_hpe_fwpkg_and_keeps_its_compsig() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("fleet.toml");
    std::fs::write(&cfg, "").unwrap();
    let c = cfg.to_str().unwrap();
    let nic = dir.path().join("bcm237.1.148000.fwpkg");
    fwpkg(
        &nic,
        r#"{"PackageFormat": "FWPKG-v2", "UpdatableBy": ["Bmc"], "Devices": {"Device": [
            {"DeviceName": "HPE Ethernet 10/25Gb 2-port SFP28 BCM57414 Adapter", "Target": "a6b1a447-382a-5a4f-14e4-16d815900212",
             "Version": "237.1.148000", "FirmwareImages": [{"FileName": "fw.hpb", "DirectFlashOk": true, "ResetRequired": true}]}]}}"#,
    );
    std::fs::write(dir.path().join("bcm237.1.148000.compsig"), b"sig").unwrap();
    let (code, out, err) = fwfleet(&["repo", "add", nic.to_str().unwrap(), "--config", c]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains("signature bcm237.1.148000.compsig kept"),
        "{out}"
    );
    let e = &list(&cfg)[0];
    assert_eq!(
        (e["kind"].as_str(), e["version"].as_str()),
        (Some("nic"), Some("237.1.148000"))
    );
    assert_eq!(e["manufacturers"], serde_json::json!(["HPE", "HP"]));
    assert!(e["match"].as_str().unwrap().contains("BCM57414"), "{e}");
    assert_eq!(e["signature"], "bcm237.1.148000.compsig");
    assert_eq!(e["reboot_required"], true);
    assert!(dir
        .path()
        .join("repository")
        .join("bcm237.1.148000.compsig")
        .is_file());

    // A System ROM is per ROM family: the model is required; a UEFI-only
    // package is kept but marked.
    let rom = dir.path().join("U46_2.72.fwpkg");
    fwpkg(
        &rom,
        r#"{"UpdatableBy": ["Uefi", "RuntimeAgent"], "Devices": {"Device": [{"DeviceName": "System ROM", "Version": "2.72"}]}}"#,
    );
    let (code, _, err) = fwfleet(&["repo", "add", rom.to_str().unwrap(), "--config", c]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("ROM family") && err.contains("--model"),
        "{err}"
    );
    let (code, out, err) = fwfleet(&[
        "repo",
        "add",
        rom.to_str().unwrap(),
        "--config",
        c,
        "--model",
        "ProLiant DL380 Gen10",
    ]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("needs-vendor-tool"), "{out}");
    let e = list(&cfg)
        .into_iter()
        .find(|e| e["file"] == "U46_2.72.fwpkg")
        .unwrap();
    assert!(
        e["needs_vendor_tool"]
            .as_str()
            .unwrap()
            .contains("Uefi, RuntimeAgent"),
        "{e}"
    );

    // Not a package at all: named, with what to do.
    let junk = dir.path().join("junk.fwpkg");
    std::fs::write(&junk, b"junk").unwrap();
    let (code, _, err) = fwfleet(&["repo", "add", junk.to_str().unwrap(), "--config", c]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("junk.fwpkg") && err.contains("not an HPE .fwpkg"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn import_catalog_and_compliance_run_against_a_mock_fleet() {
    let f = MockFleet::start(FleetConfig {
        count: 3,
        profile: Profile::Single(Persona::Generic),
        seed: 19,
        password: PW.into(),
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("fleet.toml");
    f.write_fleet_file(&cfg).unwrap();
    let c = cfg.to_str().unwrap().to_owned();

    // A repository with one newer BIOS for every model.
    let img = dir.path().join("bios-99.0.0.fwimg");
    ImageBuilder::new(MockKind::Bios, "99.0.0")
        .payload_size(1024)
        .write_file(&img)
        .unwrap();
    let (code, out, err) = fwfleet(&[
        "repo",
        "add",
        img.to_str().unwrap(),
        "--config",
        &c,
        "--component",
        "bios",
        "--version",
        "99.0.0",
        "--any-model",
        "--criticality",
        "urgent",
    ]);
    assert_eq!(code, Some(0), "{out}{err}");

    let (code, out, err) = tokio::task::spawn_blocking({
        let c = c.clone();
        move || fwfleet(&["compliance", "--config", &c, "--format", "json"])
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0), "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["fleet"]["hosts"], 3);
    assert_eq!(r["fleet"]["status"], "critical", "{out}");
    let bios = r["hosts"][0]["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == "bios")
        .unwrap()
        .clone();
    assert_eq!(
        (bios["status"].as_str(), bios["target"].as_str()),
        (Some("critical"), Some("99.0.0"))
    );
    assert!(r["hosts"][0]["inventory_age_s"].as_i64().unwrap() >= 0);
    assert!(!r["by_model_kind"].as_array().unwrap().is_empty());

    // The stored inventory is used from now on; CSV for spreadsheets.
    let (code, out, err) = fwfleet(&["compliance", "--config", &c, "--format", "csv"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.starts_with("host,model,component,kind,status,"),
        "{out}"
    );

    // import-catalog against the stored inventory: these mock hosts report
    // no Dell SystemID, so nothing is matched and the report says why.
    let mirror = dir.path().join("mirror");
    std::fs::create_dir_all(&mirror).unwrap();
    let catalog = dir.path().join("Catalog.xml");
    std::fs::write(
        &catalog,
        r#"<?xml version="1.0" encoding="utf-8"?><Manifest version="1"><SoftwareComponent path="F/BIOS.EXE" vendorVersion="1.0" hashMD5="00000000000000000000000000000000" packageType="LW64"><SupportedDevices><Device componentID="159"/></SupportedDevices><SupportedSystems><Brand><Model systemID="0716"><Display><![CDATA[R740xd]]></Display></Model></Brand></SupportedSystems></SoftwareComponent></Manifest>"#,
    )
    .unwrap();
    let (code, out, err) = fwfleet(&[
        "repo",
        "import-catalog",
        catalog.to_str().unwrap(),
        "--mirror",
        mirror.to_str().unwrap(),
        "--config",
        &c,
        "--dry-run",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0), "{out}{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["packages_in_catalog"], 1);
    assert_eq!(r["not_needed"], 1);
    assert_eq!(r["hosts_without_system_id"].as_array().unwrap().len(), 3);
    let repo_files = list(&cfg).len();
    assert_eq!(repo_files, 1, "a dry run adds nothing");
    let (code, _, err) = fwfleet(&[
        "repo",
        "import-catalog",
        "/no/such/Catalog.xml",
        "--mirror",
        mirror.to_str().unwrap(),
        "--config",
        &c,
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("/no/such/Catalog.xml"), "{err}");
}

/// Issue 19 end to end: `mock-bmc`'s Dell-format catalog for a running iDRAC
/// fleet (UTF-16, packages under `FOLDER…/1/`, decoys) fills the repository
/// through `repo import-catalog`, matched by SystemID and ComponentID, by
/// the four PCI IDs for the card that reports ComponentID 0; decoys (another
/// system, a Linux `.BIN`, another ComponentID under the same name) are left
/// alone; a re-import changes nothing; a corrupt package is refused by name;
/// the plan upgrades every component with the catalog's provenance.
#[tokio::test(flavor = "multi_thread")]
async fn a_dell_catalog_for_a_mock_idrac_fleet_fills_the_repository_and_the_plan() {
    let f = MockFleet::start(FleetConfig {
        count: 4,
        profile: Profile::Single(Persona::Idrac),
        seed: 19,
        password: PW.into(),
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("fleet.toml");
    f.write_fleet_file(&cfg).unwrap();
    let c = cfg.to_str().unwrap().to_owned();
    let mirror = dir.path().join("mirror");
    let states: Vec<Value> = f.bmcs.iter().map(|b| b.state()).collect();
    let models: std::collections::BTreeSet<String> = states
        .iter()
        .map(|s| s["model"].as_str().unwrap().to_owned())
        .collect();
    let pkgs =
        mock_bmc::dellcat::make_dell_catalog(&states, &mirror, mock_bmc::vstyle::Bump::Patch, 2048)
            .unwrap();
    let catalog = mirror.join(mock_bmc::dellcat::CATALOG_XML);
    let raw = std::fs::read(&catalog).unwrap();
    assert_eq!(
        &raw[..2],
        &[0xFF, 0xFE],
        "UTF-16LE with a BOM, as Dell ships it"
    );
    let wanted: Vec<_> = pkgs.iter().filter(|p| p.decoy.is_none()).collect();
    let decoys = pkgs.len() - wanted.len();
    assert!(decoys >= 3 && !wanted.is_empty());

    let import = |extra: &[&str]| {
        let mut args = vec![
            "repo",
            "import-catalog",
            catalog.to_str().unwrap(),
            "--mirror",
            mirror.to_str().unwrap(),
            "--config",
            &c,
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let (code, out, err) = fwfleet(&args);
        let r: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
        (code, r, err)
    };
    let (code, r, err) = tokio::task::block_in_place(|| import(&[]));
    assert_eq!(code, Some(0), "{r}\n{err}");
    assert_eq!(r["packages_in_catalog"], pkgs.len());
    assert!(
        r["hosts_without_system_id"].as_array().unwrap().is_empty(),
        "{r}"
    );
    let added: Vec<&Value> = r["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["status"] == "added")
        .collect();
    assert_eq!(added.len(), wanted.len(), "{r}");
    for p in &added {
        let path = p["path"].as_str().unwrap();
        let pkg = wanted
            .iter()
            .find(|w| w.path == path)
            .unwrap_or_else(|| panic!("decoy {path} imported: {r}"));
        assert_eq!(p["verified_with"], "sha256", "{p}");
        assert_eq!(p["version"], pkg.version.as_str());
    }
    // The ComponentID-0 card is matched by its PCI IDs, on every model.
    let x710: Vec<_> = wanted.iter().filter(|w| w.component_id == "0").collect();
    assert_eq!(x710.len(), models.len());
    for w in &x710 {
        assert!(
            added.iter().any(|p| p["path"] == w.path.as_str()),
            "{} not imported: {r}",
            w.path
        );
    }
    // The Linux .BIN is refused, the other decoys are not needed.
    let refused = r["refused"].as_array().unwrap();
    assert!(
        !refused.is_empty()
            && refused
                .iter()
                .all(|x| x["path"].as_str().unwrap().ends_with(".BIN")),
        "{r}"
    );
    assert_eq!(
        r["not_needed"].as_u64().unwrap() as usize,
        decoys - refused.len(),
        "{r}"
    );

    // The entries say what was verified and where they came from.
    let entries = list(&cfg);
    assert_eq!(entries.len(), wanted.len());
    let nic0 = entries
        .iter()
        .find(|e| {
            e["pci_ids"]
                .as_array()
                .is_some_and(|p| p.iter().any(|x| x == "8086:1572:8086:0007"))
        })
        .unwrap_or_else(|| panic!("no PCI-keyed entry: {entries:?}"));
    assert!(
        nic0.get("software_ids").is_none(),
        "ComponentID 0 is no ID: {nic0}"
    );
    for e in &entries {
        assert!(e["source"].as_str().unwrap().starts_with("dell:"), "{e}");
        assert_eq!(e["vendor_hash_kind"], "sha256");
        assert_eq!(e["system_ids"].as_array().unwrap().len(), 1, "{e}");
    }

    // Re-importing the same catalog changes nothing.
    let (code, r, err) = tokio::task::block_in_place(|| import(&[]));
    assert_eq!(code, Some(0), "{err}");
    assert!(
        r["packages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["status"] == "unchanged"),
        "{r}"
    );

    // The plan upgrades every active component of every host to the
    // catalog's package, with its provenance.
    let (code, out, err) = tokio::task::block_in_place(|| {
        fwfleet(&["plan", "--config", &c, "--cached", "--format", "json"])
    });
    assert_eq!(code, Some(0), "{err}");
    let plan: Value = serde_json::from_str(&out).unwrap();
    for h in plan["hosts"].as_array().unwrap() {
        for s in h["steps"].as_array().unwrap() {
            assert_eq!(s["action"], "upgrade", "{}: {s}", h["name"]);
            assert!(s["source"].as_str().unwrap().starts_with("dell:"), "{s}");
            let crit = if s["kind"] == "bmc" {
                "urgent"
            } else {
                "recommended"
            };
            assert_eq!(s["criticality"], crit, "{s}");
            assert!(s["release_date"].is_string(), "{s}");
        }
    }

    // A corrupt package in the mirror is refused with its name; nothing is
    // added for it.
    let (code, _, err) = fwfleet(&[
        "repo",
        "remove",
        entries[0]["file"].as_str().unwrap(),
        "--config",
        &c,
    ]);
    assert_eq!(code, Some(0), "{err}");
    let victim = wanted
        .iter()
        .find(|w| w.path.ends_with(entries[0]["file"].as_str().unwrap()))
        .unwrap();
    let file = mirror.join(&victim.path);
    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xFF;
    std::fs::write(&file, bytes).unwrap();
    let (code, r, _) = tokio::task::block_in_place(|| import(&[]));
    assert_eq!(code, Some(1), "{r}");
    let failed: Vec<&Value> = r["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "{r}");
    let e = failed[0]["error"].as_str().unwrap();
    assert!(
        e.contains(&victim.path) && e.contains("does not match"),
        "{e}"
    );
    assert_eq!(list(&cfg).len(), wanted.len() - 1);
}

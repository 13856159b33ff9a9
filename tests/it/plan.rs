//! `fwfleet repo` + `fwfleet plan` end to end: a mock fleet, a repository made
//! from mock images, and every plan outcome.

use crate::inventory::PW;
use mock_bmc::image::ImageBuilder;
use mock_bmc::{FleetConfig, Kind as MockKind, MockFleet, Persona, Profile};
use serde_json::Value;
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

fn comp<'a>(st: &'a Value, key: &str) -> &'a Value {
    st["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == key)
        .unwrap()
}

fn add(dir: &Path, cfg: &Path, kind: MockKind, version: &str, extra: &[&str]) {
    let img = dir.join(format!("{kind}-{version}.fwimg"));
    ImageBuilder::new(kind, version)
        .payload_size(2048)
        .write_file(&img)
        .unwrap();
    let mut args = vec![
        "repo",
        "add",
        img.to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
    ];
    let kind_s = kind.to_string();
    args.extend(["--component", kind_s.as_str(), "--version", version]);
    args.extend(extra);
    // Unless a case names its model, an image for every model is what it
    // means, and `repo add` wants that said (issue 19).
    if !extra.contains(&"--model") {
        args.push("--any-model");
    }
    let (code, out, err) = fwfleet(&args);
    assert_eq!(code, Some(0), "{out}{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_gives_every_outcome_against_a_mock_fleet() {
    let f = MockFleet::start(
        FleetConfig {
            count: 6,
            profile: Profile::Single(Persona::Generic),
            seed: 77,
            password: PW.into(),
            ..FleetConfig::default()
        }
        // Plan outcomes, not update flows: an image staged by a direct push is
        // listed at once under the idealised flows.
        .ideal(),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("fleet.toml");
    f.write_fleet_file(&cfg).unwrap();
    // Host A: a NIC above its lowest supported version, so a downgrade is possible.
    let a = f
        .bmcs
        .iter()
        .position(|b| {
            let st = b.state();
            comp(&st, "nic1")["version"] != "22.31.6"
        })
        .expect("a host with a newer NIC");
    let host_a = f.bmcs[a].name().to_string();
    let st_a = f.bmcs[a].state();
    // Host B: a BIOS image staged for the next reset (pushed straight to the mock).
    let b = (a + 1) % f.bmcs.len();
    let host_b = f.bmcs[b].name().to_string();
    let staged = dir.path().join("staged.fwimg");
    ImageBuilder::new(MockKind::Bios, "9.0.0")
        .payload_size(1024)
        .write_file(&staged)
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .part(
            "UpdateParameters",
            reqwest::multipart::Part::text(r#"{"@Redfish.OperationApplyTime":"OnReset"}"#)
                .mime_str("application/json")
                .unwrap(),
        )
        .part(
            "UpdateFile",
            reqwest::multipart::Part::bytes(std::fs::read(&staged).unwrap())
                .file_name("staged.fwimg"),
        );
    let r = reqwest::Client::new()
        .post(format!(
            "{}/redfish/v1/UpdateService/upload",
            f.bmcs[b].url()
        ))
        .basic_auth("admin", Some(PW))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    for _ in 0..200 {
        if comp(&f.bmcs[b].state(), "bios")["staged_version"] == "9.0.0" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    let repo = dir.path().join("src");
    std::fs::create_dir_all(&repo).unwrap();
    let bmc_now = comp(&st_a, "bmc")["version"].as_str().unwrap().to_string();
    let model_a = st_a["model"].as_str().unwrap().to_string();
    add(&repo, &cfg, MockKind::Bios, "9.0.0", &[]); // upgrade (A), staged-pending (B)
    add(&repo, &cfg, MockKind::Bmc, &bmc_now, &["--model", &model_a]); // up-to-date on A
    add(&repo, &cfg, MockKind::Cpld, "1.0.0", &[]); // newer-than-repository
    add(
        &repo,
        &cfg,
        MockKind::Nic,
        "22.31.6",
        &["--allow-downgrade"],
    ); // downgrade on A
    add(&repo, &cfg, MockKind::Drive, "GARBAGE-X", &[]); // version-unknown
    add(
        &repo,
        &cfg,
        MockKind::Psu,
        "9.9.9",
        &["--requires", "bmc:99.0"],
    ); // blocked
    add(&repo, &cfg, MockKind::Other, "8.0.0", &[]); // not-updateable (TPM)
                                                     // no storage image: no-image

    let (code, out, err) = fwfleet(&["repo", "verify", "--config", cfg.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("7 images checked, 0 problems"), "{out}");

    let (code, out, err) = fwfleet(&[
        "plan",
        "--config",
        cfg.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let plan: Value = serde_json::from_str(&out).unwrap();
    let host = |name: &str| {
        plan["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["name"] == name)
            .unwrap()
            .clone()
    };
    let action = |h: &Value, kind: &str| -> Vec<String> {
        h["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["kind"] == kind)
            .map(|s| s["action"].as_str().unwrap().to_string())
            .collect()
    };
    let ha = host(&host_a);
    assert_eq!(action(&ha, "bios"), ["upgrade"], "{ha}");
    assert_eq!(action(&ha, "bmc"), ["up-to-date"], "{ha}");
    assert_eq!(action(&ha, "cpld"), ["newer-than-repository"], "{ha}");
    assert_eq!(action(&ha, "nic"), ["downgrade"], "{ha}");
    assert_eq!(
        action(&ha, "drive"),
        ["version-unknown", "version-unknown"],
        "{ha}"
    );
    assert_eq!(action(&ha, "psu"), ["blocked", "blocked"], "{ha}");
    assert_eq!(action(&ha, "other"), ["not-updateable"], "{ha}");
    assert_eq!(action(&ha, "storage"), ["no-image"], "{ha}");
    for s in ha["steps"].as_array().unwrap() {
        for key in [
            "component",
            "kind",
            "from",
            "to",
            "action",
            "reason",
            "image",
        ] {
            assert!(s.get(key).is_some(), "step lacks {key}: {s}");
        }
        assert!(!s["reason"].as_str().unwrap().is_empty());
    }
    let hb = host(&host_b);
    assert_eq!(action(&hb, "bios"), ["staged-pending"], "{hb}");
    assert_eq!(plan["summary"]["hosts"], 6);
    assert!(
        plan["summary"]["steps_by_action"]["upgrade"]
            .as_u64()
            .unwrap()
            >= 1
    );

    // The same plan from the stored inventory, as CSV.
    let (code, out, err) = fwfleet(&[
        "plan",
        "--config",
        cfg.to_str().unwrap(),
        "--cached",
        "--format",
        "csv",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.starts_with("host,component,kind,from,to,action,reason,image"),
        "{out}"
    );
    assert!(out.contains("staged-pending"));

    // Damage an image: verify names it and exits 1.
    let list = fwfleet(&[
        "repo",
        "list",
        "--config",
        cfg.to_str().unwrap(),
        "--format",
        "json",
    ])
    .1;
    let entries: Value = serde_json::from_str(&list).unwrap();
    let first = entries[0]["file"].as_str().unwrap().to_string();
    let path = dir.path().join("repository").join(&first);
    let mut bytes = std::fs::read(&path).unwrap();
    let n = bytes.len() - 1;
    bytes[n] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    let (code, out, _) = fwfleet(&["repo", "verify", "--config", cfg.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(out.contains(&first), "{out}");
}

#[test]
fn a_bad_manifest_names_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("fleet.toml");
    std::fs::write(&cfg, "").unwrap();
    std::fs::create_dir_all(dir.path().join("repository")).unwrap();
    std::fs::write(
        dir.path().join("repository").join("manifest.toml"),
        "[[images]]\nfile = \"a.img\"\nsha256 = \"00\"\nsize = 1\nkind = \"gpu\"\nversion = \"1\"\n",
    )
    .unwrap();
    let (code, _, err) = fwfleet(&["repo", "list", "--config", cfg.to_str().unwrap()]);
    assert_ne!(code, Some(0));
    assert!(
        err.contains("manifest.toml") && err.contains("kind"),
        "{err}"
    );
}

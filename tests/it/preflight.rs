//! Images are checked before the first flash (issue 16 item 5): `plan` marks
//! a missing or corrupt image, `apply` refuses the whole run (exit 2) with
//! nothing sent anywhere, a run whose image changed after its plan is
//! refused when it starts, and the service's run ends `failed` naming the
//! image. The mock BMCs' flash counters judge what was sent.

use super::apply::{fwfleet, repository_with, setup, timing, Setup};
use super::daemon::{flashes, generic_fleet, start_service};
use fwfleet::config::Config;
use fwfleet::repository::Repository;
use fwfleet::store::{SqliteStore, Store};
use fwfleet::updater::apply::{self, ApplyError, ApplyOptions};
use fwfleet::updater::progress::Silent;
use mock_bmc::Kind;
use serde_json::Value;
use std::path::{Path, PathBuf};

use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Three generic BMCs, all at once, with a BIOS and a NIC image a patch ahead.
async fn fleet() -> (Setup, Repository) {
    let s = setup(
        generic_fleet(3, timing()),
        "canary = 0\nmax_parallel = 3\nstep_deadline_secs = 120",
    )
    .await;
    let repo = repository_with(&s, Some(&[Kind::Bios, Kind::Nic]), 4096, false).await;
    (s, repo)
}

/// The repository paths of the images of `kind`.
fn images_of(repo: &Repository, kind: &str) -> Vec<(String, PathBuf)> {
    repo.list()
        .iter()
        .filter(|e| e.kind.as_str() == kind)
        .map(|e| (e.file.clone(), repo.path_of(e)))
        .collect()
}

/// Other bytes of the same size, put in place the way an operator copies a
/// file (a new file renamed over the old one).
fn replace_bytes(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[0] ^= 0xff;
    let tmp = path.with_extension("new");
    std::fs::write(&tmp, &bytes).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// Every plan row of `kind`, as (host, action, reason).
fn rows(plan: &Value, kind: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for h in plan["hosts"].as_array().unwrap() {
        for s in h["steps"].as_array().unwrap() {
            if s["kind"] == kind {
                out.push((
                    h["name"].as_str().unwrap().to_string(),
                    s["action"].as_str().unwrap().to_string(),
                    s["reason"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    out
}

#[test]
fn plan_marks_missing_and_corrupt_images_and_apply_refuses_the_whole_run_until_they_are_back() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (s, repo) = rt.block_on(fleet());
    let bios = images_of(&repo, "bios");
    let nic = images_of(&repo, "nic");
    assert!(!bios.is_empty() && !nic.is_empty());
    // The BIOS images are gone; the NIC images are fine.
    let saved: Vec<Vec<u8>> = bios
        .iter()
        .map(|(_, p)| std::fs::read(p).unwrap())
        .collect();
    for (_, p) in &bios {
        std::fs::remove_file(p).unwrap();
    }
    let out = fwfleet(&["plan", "--format", "json"], &s.config);
    assert!(out.status.success(), "{out:?}");
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    for (host, action, reason) in rows(&plan, "bios") {
        assert_eq!(action, "image-missing", "{host}: {reason}");
        assert!(
            reason.contains("is missing") && reason.contains("was: upgrade"),
            "{host}: {reason}"
        );
    }
    assert!(
        rows(&plan, "nic").iter().all(|r| r.1 == "upgrade"),
        "{plan:#}"
    );
    assert_eq!(plan["summary"]["steps_by_action"]["image-missing"], 3);
    assert_eq!(plan["summary"]["steps_by_action"]["image-corrupt"], 0);
    assert!(
        stderr.contains(&bios[0].0) && stderr.contains("refuses"),
        "{stderr}"
    );

    // apply refuses: exit 2, each image named with its hosts, nothing sent
    // to any BMC (the NIC images are fine, and still not flashed), no run.
    let out = fwfleet(&["apply", "--yes", "--format", "json"], &s.config);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("refused before its first step")
            && stderr.contains(&bios[0].0)
            && stderr.contains("bmc-0001")
            && stderr.contains("nothing was flashed"),
        "{stderr}"
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "refused", "{v:#}");
    assert_eq!(v["bad_images"][0]["problem"], "missing", "{v:#}");
    assert_eq!(flashes(&s), vec![0, 0, 0]);
    let db = SqliteStore::open(&Config::load(&s.config).unwrap().state_dir).unwrap();
    assert!(db.list_runs(10).unwrap().is_empty());
    // A dry run says the same, and exits 2 as the apply would.
    let out = fwfleet(&["apply", "--dry-run"], &s.config);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("would refuse"));

    // Same size, other bytes: corrupt, caught though the size matches.
    for ((_, p), bytes) in bios.iter().zip(&saved) {
        std::fs::write(p, bytes).unwrap();
    }
    replace_bytes(&nic[0].1);
    let plan: Value =
        serde_json::from_slice(&fwfleet(&["plan", "--format", "json"], &s.config).stdout).unwrap();
    assert!(
        rows(&plan, "bios").iter().all(|r| r.1 == "upgrade"),
        "{plan:#}"
    );
    let corrupt: Vec<_> = rows(&plan, "nic")
        .into_iter()
        .filter(|r| r.1 == "image-corrupt")
        .collect();
    assert!(!corrupt.is_empty(), "{plan:#}");
    assert!(
        corrupt[0].2.contains("does not match its SHA-256"),
        "{corrupt:?}"
    );
    let out = fwfleet(&["apply", "--yes"], &s.config);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(flashes(&s), vec![0, 0, 0]);

    // Put back: the run goes ahead and flashes each component once.
    replace_bytes(&nic[0].1);
    let out = fwfleet(&["apply", "--yes", "--format", "json"], &s.config);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(flashes(&s), vec![2, 2, 2]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_image_changed_after_the_plan_refuses_the_run_when_it_starts() {
    let (s, repo) = fleet().await;
    let cfg = Config::load(&s.config).unwrap();
    let store = Arc::new(SqliteStore::open(&cfg.state_dir).unwrap());
    let handle = Store::sqlite(store.clone());
    let cancel = CancellationToken::new();
    let opts = ApplyOptions::default();
    let prepared = apply::prepare(&cfg, &repo, &handle, &opts, &cancel)
        .await
        .unwrap();
    assert!(prepared.bad_images.is_empty());
    assert_eq!(prepared.steps(), 6);
    // Between the plan and the run, one image's bytes change.
    let (file, path) = images_of(&repo, "bios").remove(0);
    replace_bytes(&path);
    let err = apply::execute(
        &cfg,
        prepared.jobs,
        0,
        &opts,
        handle,
        cancel,
        Arc::new(Silent),
    )
    .await
    .unwrap_err();
    let ApplyError::Refused(r) = &err else {
        panic!("{err}")
    };
    assert_eq!(r.images.len(), 1, "{err}");
    assert_eq!(r.images[0].file, file);
    assert!(
        err.to_string().contains("hash-mismatch") || err.to_string().contains("SHA-256"),
        "{err}"
    );
    assert_eq!(flashes(&s), vec![0, 0, 0]);
    assert!(store.list_runs(10).unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_run_with_a_missing_image_ends_failed_naming_it_and_sends_nothing() {
    let (s, repo) = fleet().await;
    let (file, path) = images_of(&repo, "nic").remove(0);
    std::fs::remove_file(&path).unwrap();
    let svc = start_service(&s.config).await;
    let (status, v) = svc.json("POST", "/api/v1/runs", None).await;
    assert_eq!(status, reqwest::StatusCode::ACCEPTED, "{v}");
    let id = v["run_id"].as_i64().unwrap();
    let t0 = Instant::now();
    let run = loop {
        let (_, r) = svc.json("GET", &format!("/api/v1/runs/{id}"), None).await;
        if r["run"]["status"] != "running" {
            break r;
        }
        assert!(t0.elapsed() < Duration::from_secs(90), "{r:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(run["run"]["status"], "failed", "{run:#}");
    let events = run["events"].as_array().unwrap();
    assert!(
        events.iter().any(|e| e["message"]
            .as_str()
            .is_some_and(|m| m.contains(&file) && m.contains("nothing was flashed"))),
        "{run:#}"
    );
    assert!(run["steps"].as_array().unwrap().is_empty(), "{run:#}");
    assert_eq!(flashes(&s), vec![0, 0, 0]);
    svc.shutdown().await;
}

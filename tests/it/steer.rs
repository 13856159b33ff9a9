//! Steering runs (issue 20): pause, resume and cancel through the store, so
//! that they reach `serve` (API) and an `apply` in another process (CLI)
//! alike and outlive a restart; holds added mid-run; the frozen plan. The
//! mock BMCs' flash counters and the journal judge what was sent; every
//! wait is for an event (a store row, an API answer), never a sleep.

use super::apply::{fwfleet, repository_of_kind, setup, timing, Setup};
use super::daemon::{flashes, generic_fleet, start_service, wait_for_a_step, Service};
use fwfleet::config::Config;
use fwfleet::store::SqliteStore;
use mock_bmc::bmc::Timing;
use reqwest::StatusCode;
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Updates slow enough that a pause lands while a step runs.
fn slow() -> Timing {
    Timing {
        update: Duration::from_millis(2500),
        ..timing()
    }
}

/// `count` generic BMCs, one BIOS image each a patch ahead, one host at a time.
async fn bios_fleet(count: usize) -> Setup {
    let s = setup(
        generic_fleet(count, slow()),
        "canary = 0\nmax_parallel = 1\nstep_deadline_secs = 60",
    )
    .await;
    repository_of_kind(
        &s,
        mock_bmc::Kind::Bios,
        mock_bmc::vstyle::Bump::Patch,
        None,
    )
    .await;
    s
}

/// Poll `GET /api/v1/runs/{id}` until `done` holds for it.
async fn wait_run_until(
    svc: &Service,
    id: i64,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let t0 = Instant::now();
    loop {
        let (status, v) = svc.json("GET", &format!("/api/v1/runs/{id}"), None).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        if done(&v) {
            return v;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(90),
            "run {id}: never {what}: {v:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn steps(v: &Value) -> Vec<Value> {
    v["steps"].as_array().unwrap().clone()
}

/// Every step journaled past `planned` has ended (`done`).
fn all_done(v: &Value) -> bool {
    steps(v).iter().all(|s| s["state"] == "done")
}

#[tokio::test(flavor = "multi_thread")]
async fn pause_mid_rollout_submits_nothing_until_resume_and_resume_runs_to_the_end() {
    let count = 3;
    let s = bios_fleet(count).await;
    let svc = start_service(&s.config).await;
    let (status, v) = svc.json("POST", "/api/v1/runs", None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    let id = v["run_id"].as_i64().unwrap();
    wait_for_a_step(&svc, id).await;
    let (status, v) = svc
        .json(
            "POST",
            &format!("/api/v1/runs/{id}/pause"),
            Some(r#"{"reason": "rack 12 power work"}"#),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["status"], "pausing");
    let paused = wait_run_until(&svc, id, "paused", |v| {
        v["run"]["control"]["state"] == "paused"
    })
    .await;
    assert_eq!(paused["run"]["status"], "running", "{paused:#}");
    assert_eq!(paused["run"]["control"]["requested_by"], "token:default");
    assert_eq!(paused["run"]["control"]["reason"], "rack 12 power work");
    // Every step admitted before the pause was sent (journaled past
    // `planned`) when `paused` was recorded.
    let at_pause = steps(&paused);
    assert!(!at_pause.is_empty());
    assert!(
        at_pause.iter().all(|s| s["state"] != "planned"),
        "{paused:#}"
    );
    // The running step finishes and is recorded; nothing else starts.
    let settled = wait_run_until(&svc, id, "settled", all_done).await;
    assert_eq!(steps(&settled).len(), at_pause.len(), "{settled:#}");
    assert!(steps(&settled).iter().all(|s| s["outcome"] == "updated"));
    let m = svc.metrics().await;
    assert_eq!(m[r#"fwfleet_run_control{state="paused"}"#], 1.0, "{m:?}");
    // The watcher has read the store several times since: still nothing new.
    let again = wait_run_until(&svc, id, "still paused", |v| {
        v["run"]["control"]["state"] == "paused"
    })
    .await;
    assert_eq!(steps(&again).len(), at_pause.len(), "{again:#}");
    let flashed: u64 = flashes(&s).iter().sum();
    assert_eq!(flashed, at_pause.len() as u64);
    assert!(flashed < count as u64);
    let (status, v) = svc
        .json("POST", &format!("/api/v1/runs/{id}/resume"), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    let done = svc.wait_run(id).await;
    assert_eq!(done["run"]["status"], "completed", "{done:#}");
    assert_eq!(flashes(&s), vec![1; count], "{done:#}");
    let kinds: Vec<&str> = done["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for k in ["pause", "paused", "resume"] {
        assert!(kinds.contains(&k), "{k}: {kinds:?}");
    }
    // The frozen plan: one BIOS step per host.
    assert_eq!(done["plan"]["steps"], count as i64, "{done:#}");
    assert_eq!(done["plan"]["plan"].as_array().unwrap().len(), count);
    // Both calls are in the audit trail, with who.
    let (_, a) = svc.json("GET", "/api/v1/audit", None).await;
    let actions: Vec<(&str, &str)> = a["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["who"].as_str().unwrap()))
        .collect();
    assert!(
        actions.contains(&("runs.pause", "token:default")),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("runs.resume", "token:default")),
        "{actions:?}"
    );
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pause_survives_a_serve_restart_and_resume_continues_within_the_frozen_plan() {
    let count = 3;
    let s = bios_fleet(count).await;
    let svc = start_service(&s.config).await;
    let (_, v) = svc.json("POST", "/api/v1/runs", None).await;
    let id = v["run_id"].as_i64().unwrap();
    wait_for_a_step(&svc, id).await;
    svc.json("POST", &format!("/api/v1/runs/{id}/pause"), None)
        .await;
    let paused = wait_run_until(&svc, id, "paused", |v| {
        v["run"]["control"]["state"] == "paused"
    })
    .await;
    let before = steps(&paused).len();
    svc.shutdown().await;
    // Stopped while paused: the run is parked, not ended.
    let cfg = Config::load(&s.config).unwrap();
    {
        let db = SqliteStore::open(&cfg.state_dir).unwrap();
        let run = db.run(id).unwrap().unwrap();
        assert_eq!(run.status, "running");
        assert!(run.finished_at.is_none());
        assert_eq!(db.control(id).unwrap().unwrap().requested, "paused");
    }
    let flashed_at_stop: u64 = flashes(&s).iter().sum();
    let svc = start_service(&s.config).await;
    // It holds the slot, paused: no run starts, no step is sent.
    let v = wait_run_until(&svc, id, "parked", |v| {
        v["run"]["active"] == true && v["run"]["control"]["state"] == "paused"
    })
    .await;
    assert_eq!(steps(&v).len(), before, "{v:#}");
    let (status, busy) = svc.json("POST", "/api/v1/runs", None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{busy}");
    let m = svc.metrics().await;
    assert_eq!(m[r#"fwfleet_run_control{state="paused"}"#], 1.0, "{m:?}");
    assert_eq!(flashes(&s).iter().sum::<u64>(), flashed_at_stop);
    let (status, v) = svc
        .json("POST", &format!("/api/v1/runs/{id}/resume"), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    let done = svc.wait_run(id).await;
    assert_eq!(done["run"]["status"], "completed", "{done:#}");
    // Every host flashed exactly once across both lives of the service.
    assert_eq!(flashes(&s), vec![1; count], "{done:#}");
    assert!(done["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "parked"));
    svc.shutdown().await;
}

/// The run `apply` created, once it has a step past `planned`.
fn wait_sent(db: &SqliteStore) -> i64 {
    let t0 = Instant::now();
    loop {
        if let Some(s) = db
            .steps_in_state(&["submitted", "running", "verifying"])
            .unwrap()
            .first()
        {
            return s.run_id;
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "no step was sent");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn run_pause_resume_and_cancel_from_another_shell_steer_an_apply() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let count = 4;
    let s = rt.block_on(bios_fleet(count));
    let cfg = Config::load(&s.config).unwrap();
    let mut apply = Command::new(env!("CARGO_BIN_EXE_fwfleet"))
        .args(["apply", "--yes", "--format", "json", "--config"])
        .arg(&s.config)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::fs::create_dir_all(&cfg.state_dir).unwrap();
    let db = SqliteStore::open(&cfg.state_dir).unwrap();
    let id = wait_sent(&db);
    let ids = id.to_string();
    // `run pause` returns once the apply has recorded `paused`.
    let out = fwfleet(
        &[
            "run",
            "pause",
            &ids,
            "--reason",
            "change freeze",
            "--format",
            "json",
        ],
        &s.config,
    );
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["state"], "paused", "{v:#}");
    assert_eq!(
        db.control(id).unwrap().unwrap().acked.as_deref(),
        Some("paused")
    );
    let sent_at_pause: Vec<i64> = db
        .steps(id)
        .unwrap()
        .iter()
        .inspect(|s| assert_ne!(s.state, "planned", "{s:?}"))
        .map(|s| s.id)
        .collect();
    // `status` shows it paused.
    let out = fwfleet(&["status"], &s.config);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with(&ids) && l.contains("paused")),
        "{text}"
    );
    // Wait for the running step to end: no other step appears meanwhile.
    let t0 = Instant::now();
    while db.steps(id).unwrap().iter().any(|s| s.state != "done") {
        assert!(t0.elapsed() < Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(20));
    }
    let now: Vec<i64> = db.steps(id).unwrap().iter().map(|s| s.id).collect();
    assert_eq!(now, sent_at_pause);
    let out = fwfleet(&["run", "resume", &ids], &s.config);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("resumed"));
    // Once a further step is on its way, cancel: the apply stops starting
    // steps, records the running one and exits 3.
    let t0 = Instant::now();
    while db.steps(id).unwrap().len() <= sent_at_pause.len() {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "resume started nothing"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = fwfleet(&["run", "cancel", &ids, "--reason", "enough"], &s.config);
    assert!(out.status.success(), "{out:?}");
    let status = apply.wait().unwrap();
    let mut stdout = String::new();
    std::io::Read::read_to_string(apply.stdout.as_mut().unwrap(), &mut stdout).unwrap();
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["status"], "cancelled", "{report:#}");
    assert_eq!(status.code(), Some(3), "{report:#}");
    let steps = db.steps(id).unwrap();
    assert!(steps.iter().all(|s| s.state == "done"), "{steps:?}");
    assert!(steps.len() < count, "{steps:?}");
    let flashed: u64 = flashes(&s).iter().sum();
    assert_eq!(flashed, steps.len() as u64);
    assert_eq!(db.run(id).unwrap().unwrap().status, "cancelled");
    let events = db.events(id).unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == "cancel" && e.message.contains("enough")),
        "{events:?}"
    );
    // Each command is in the audit trail, by the local user.
    let audit = fwfleet(&["audit", "--format", "json"], &s.config);
    let a: Value = serde_json::from_slice(&audit.stdout).unwrap();
    let actions: Vec<&str> = a["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for want in ["run.pause", "run.resume", "run.cancel"] {
        assert!(actions.contains(&want), "{actions:?}");
    }
    // A run that ended cannot be steered: a clear error, exit 2.
    let out = fwfleet(&["run", "pause", &ids], &s.config);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not running") && err.contains("cancelled"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hold_added_mid_run_skips_the_hosts_next_step_and_says_which_hold() {
    let count = 3;
    let s = bios_fleet(count).await;
    let svc = start_service(&s.config).await;
    let (_, v) = svc.json("POST", "/api/v1/runs", None).await;
    let id = v["run_id"].as_i64().unwrap();
    wait_for_a_step(&svc, id).await;
    // The first host is under way; hold the last one.
    let (_, v) = svc.json("GET", &format!("/api/v1/runs/{id}"), None).await;
    let first = steps(&v)[0]["host"].as_str().unwrap().to_string();
    let last = (1..=count)
        .map(|i| format!("bmc-{i:04}"))
        .rfind(|h| *h != first)
        .unwrap();
    let out = fwfleet(
        &[
            "hold",
            "add",
            "--hosts",
            &last,
            "--reason",
            "disk swap pending",
        ],
        &s.config,
    );
    assert!(out.status.success(), "{out:?}");
    let done = svc.wait_run(id).await;
    let held: Vec<&Value> = done["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["host"] == last.as_str())
        .collect();
    assert_eq!(held.len(), 1, "{done:#}");
    assert_eq!(held[0]["outcome"], "held", "{done:#}");
    let msg = held[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("disk swap pending") && msg.contains("hold 1"),
        "{msg}"
    );
    let by_host = flashes(&s);
    let names: Vec<String> = (1..=count).map(|i| format!("bmc-{i:04}")).collect();
    for (name, n) in names.iter().zip(&by_host) {
        assert_eq!(*n, u64::from(*name != last), "{name}: {by_host:?}");
    }
    // The hold is listed, and removable.
    let out = fwfleet(&["hold", "list", "--format", "json"], &s.config);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["stored"][0]["reason"], "disk swap pending", "{v:#}");
    // The service's host view plans with the hold, and without it once removed.
    let action = |v: &Value| -> Vec<String> {
        v["plan"]["steps"]
            .as_array()
            .unwrap_or_else(|| panic!("{v:#}"))
            .iter()
            .filter(|s| s["kind"] == "bios")
            .map(|s| s["action"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, h) = svc
        .json("GET", &format!("/api/v1/hosts/{last}"), None)
        .await;
    assert_eq!(action(&h), ["held"], "{h:#}");
    let out = fwfleet(&["hold", "remove", "1"], &s.config);
    assert!(out.status.success(), "{out:?}");
    let (_, h) = svc
        .json("GET", &format!("/api/v1/hosts/{last}"), None)
        .await;
    assert_eq!(action(&h), ["upgrade"], "{h:#}");
    let out = fwfleet(&["hold", "remove", "1"], &s.config);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no stored hold 1"));
    svc.shutdown().await;
}

fn plan_json(config: &std::path::Path) -> Value {
    let out = fwfleet(&["plan", "--format", "json"], config);
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The (action, reason, from, to, image) of `host`'s BIOS row.
fn bios_row(plan: &Value, host: &str) -> (String, String, String, String, String) {
    let h = plan["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == host)
        .unwrap_or_else(|| panic!("{host}: {plan:#}"));
    let s = h["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "bios")
        .unwrap_or_else(|| panic!("{host} bios: {plan:#}"));
    let text = |k: &str| s[k].as_str().unwrap_or("").to_string();
    (
        text("action"),
        text("reason"),
        text("from"),
        text("to"),
        text("image"),
    )
}

#[test]
fn holds_and_pins_are_held_in_the_plan_and_never_flashed_and_a_one_off_trial_flashes_one_entry() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt.block_on(bios_fleet(3));
    let plain = std::fs::read_to_string(&s.config).unwrap();
    let before = plan_json(&s.config);
    let (action, _, from, to, image) = bios_row(&before, "bmc-0002");
    assert_eq!(action, "upgrade");
    // A hold on bmc-0001, a pin on bmc-0002's BIOS at what it runs now.
    let holds = format!(
        "\n[[holds]]\nhosts = [\"bmc-0001\"]\nreason = \"disk swap pending\"\n\n[[holds]]\nhosts = [\"bmc-0002\"]\nkinds = [\"bios\"]\nversion = \"{from}\"\nreason = \"validated up to {from} only\"\n"
    );
    mock_bmc::fleet::write_private(&s.config, format!("{plain}{holds}").as_bytes()).unwrap();
    let held = plan_json(&s.config);
    let (a1, r1, ..) = bios_row(&held, "bmc-0001");
    assert_eq!(a1, "held", "{held:#}");
    assert!(
        r1.contains("disk swap pending") && r1.contains("[[holds]] #1"),
        "{r1}"
    );
    let (a2, r2, ..) = bios_row(&held, "bmc-0002");
    assert_eq!(a2, "held", "{held:#}");
    assert!(r2.starts_with("held by pin") && r2.contains(&from), "{r2}");
    assert_eq!(bios_row(&held, "bmc-0003").0, "upgrade");
    assert_eq!(held["summary"]["steps_by_action"]["held"], 2, "{held:#}");
    // A pin at the target lets the component reach it.
    let at_target = holds.replace(
        &format!("version = \"{from}\""),
        &format!("version = \"{to}\""),
    );
    mock_bmc::fleet::write_private(&s.config, format!("{plain}{at_target}").as_bytes()).unwrap();
    assert_eq!(bios_row(&plan_json(&s.config), "bmc-0002").0, "upgrade");
    mock_bmc::fleet::write_private(&s.config, format!("{plain}{holds}").as_bytes()).unwrap();
    // apply flashes only what no hold covers.
    let out = fwfleet(&["apply", "--yes", "--format", "json"], &s.config);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(flashes(&s), vec![0, 0, 1]);
    // A one-off trial: one entry on one chosen host, nothing elsewhere.
    mock_bmc::fleet::write_private(&s.config, plain.as_bytes()).unwrap();
    let out = fwfleet(&["apply", "--yes", "--image", &image], &s.config);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--hosts or --selector"));
    let out = fwfleet(
        &[
            "apply",
            "--yes",
            "--hosts",
            "bmc-0002",
            "--image",
            "no-such.img",
        ],
        &s.config,
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such.img"));
    let out = fwfleet(
        &[
            "apply", "--yes", "--hosts", "bmc-0002", "--image", &image, "--format", "json",
        ],
        &s.config,
    );
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["hosts"].as_array().unwrap().len(), 1, "{v:#}");
    assert_eq!(flashes(&s), vec![0, 1, 1]);
    // Run again: the trial host is up to date, nothing is flashed twice.
    let out = fwfleet(
        &["apply", "--yes", "--hosts", "bmc-0002", "--image", &image],
        &s.config,
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(flashes(&s), vec![0, 1, 1]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_frozen_plan_is_unchanged_by_a_repository_change_mid_run() {
    let count = 3;
    let s = bios_fleet(count).await;
    let svc = start_service(&s.config).await;
    let (_, v) = svc.json("POST", "/api/v1/runs", None).await;
    let id = v["run_id"].as_i64().unwrap();
    wait_for_a_step(&svc, id).await;
    svc.json("POST", &format!("/api/v1/runs/{id}/pause"), None)
        .await;
    let paused = wait_run_until(&svc, id, "paused", |v| {
        v["run"]["control"]["state"] == "paused"
    })
    .await;
    let frozen = paused["plan"].clone();
    let targets: Vec<String> = frozen["plan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["to"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(targets.len(), count, "{frozen:#}");
    // A newer BIOS lands in the repository while the run is paused.
    repository_of_kind(
        &s,
        mock_bmc::Kind::Bios,
        mock_bmc::vstyle::Bump::Minor,
        None,
    )
    .await;
    svc.json("POST", &format!("/api/v1/runs/{id}/resume"), None)
        .await;
    let done = svc.wait_run(id).await;
    assert_eq!(done["run"]["status"], "completed", "{done:#}");
    assert_eq!(done["plan"], frozen, "the frozen plan changed");
    let sent: Vec<String> = steps(&done)
        .iter()
        .map(|s| s["to_version"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sent, targets, "{done:#}");
    assert_eq!(flashes(&s), vec![1; count]);
    // The repository did change: a new plan wants the newer image.
    let now = plan_json(&s.config);
    let (action, _, _, to, _) = bios_row(&now, "bmc-0001");
    assert_eq!(action, "upgrade", "{now:#}");
    assert!(!targets.contains(&to), "{to} {targets:?}");
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn run_pause_and_cancel_from_the_cli_reach_a_running_serve() {
    let count = 3;
    let s = bios_fleet(count).await;
    let svc = start_service(&s.config).await;
    let (_, v) = svc.json("POST", "/api/v1/runs", None).await;
    let id = v["run_id"].as_i64().unwrap();
    wait_for_a_step(&svc, id).await;
    let config = s.config.clone();
    let ids = id.to_string();
    // `run pause` in another process returns once the service has recorded it.
    let out = tokio::task::spawn_blocking(move || {
        fwfleet(
            &["run", "pause", &ids, "--reason", "from the shell"],
            &config,
        )
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("paused"),
        "{out:?}"
    );
    let (_, v) = svc.json("GET", &format!("/api/v1/runs/{id}"), None).await;
    assert_eq!(v["run"]["control"]["state"], "paused", "{v:#}");
    assert!(v["run"]["control"]["requested_by"]
        .as_str()
        .unwrap()
        .starts_with("user:"));
    let config = s.config.clone();
    let ids = id.to_string();
    let out = tokio::task::spawn_blocking(move || fwfleet(&["run", "cancel", &ids], &config))
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let done = svc.wait_run(id).await;
    assert_eq!(done["run"]["status"], "cancelled", "{done:#}");
    let steps = steps(&done);
    assert!(steps.len() < count, "{done:#}");
    assert!(steps.iter().all(|s| s["state"] == "done"), "{done:#}");
    assert_eq!(flashes(&s).iter().sum::<u64>(), steps.len() as u64);
    svc.shutdown().await;
}

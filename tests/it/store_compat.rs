//! A store written by an earlier fwfleet (tests/fixtures/store-v2, from
//! commit c6df07e) is read as it was: the same rows, and the same JSON and
//! text, byte for byte, as that fwfleet printed for it.

use fwfleet::store::{RunStatus, SqliteStore, StepOutcome, StepState, Store};
use fwfleet::updater::apply::{ApplyOptions, RunCommand, RunOptions};
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/store-v2")
        .join(name)
}

fn golden(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap()
}

/// A copy of the fixture in a temporary state directory (opening a store
/// may write beside it; the committed file stays as it was written).
fn copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("fwfleet.db"), dir.path().join("fwfleet.db")).unwrap();
    std::fs::write(dir.path().join("fleet.toml"), "state_dir = \".\"\n").unwrap();
    dir
}

fn status(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_fwfleet"))
        .arg("status")
        .arg("--config")
        .arg(dir.join("fleet.toml"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The old fwfleet's status JSON with what issue 18 changed on purpose: a
/// run's options are a JSON object under `options`, no longer a string of
/// JSON under `options_json`. Everything else stays byte for byte.
fn options_as_json(golden_json: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(golden_json).unwrap();
    let mut runs: Vec<&mut serde_json::Value> = match v.get_mut("runs") {
        Some(serde_json::Value::Array(runs)) => runs.iter_mut().collect(),
        _ => vec![v.get_mut("run").unwrap()],
    };
    for r in runs.iter_mut() {
        let obj = r.as_object_mut().unwrap();
        let text = obj.remove("options_json").unwrap();
        let options: serde_json::Value = serde_json::from_str(text.as_str().unwrap()).unwrap();
        obj.insert("options".into(), options);
    }
    serde_json::to_string_pretty(&v).unwrap() + "\n"
}

#[test]
fn status_prints_an_old_store_as_the_old_fwfleet_did() {
    let dir = copy();
    assert_eq!(
        status(dir.path(), &["--format", "json"]),
        options_as_json(&golden("status.json"))
    );
    assert_eq!(status(dir.path(), &[]), golden("status.txt"));
    for run in ["1", "2", "3"] {
        assert_eq!(
            status(dir.path(), &["--run", run, "--format", "json"]),
            options_as_json(&golden(&format!("status-run-{run}.json"))),
            "run {run}"
        );
        assert_eq!(
            status(dir.path(), &["--run", run]),
            golden(&format!("status-run-{run}.txt")),
            "run {run}"
        );
    }
}

#[tokio::test]
async fn an_old_store_reads_the_same_inventory_and_journal() {
    let dir = copy();
    let store = Store::open(dir.path()).await.unwrap();
    let (id, inv) = store.latest_inventory().await.unwrap().unwrap();
    assert_eq!(id, 2);
    assert_eq!(
        fwfleet::inventory::report::json(&inv) + "\n",
        golden("inventory-latest.json")
    );
    assert_eq!(
        serde_json::to_string_pretty(&store.list_scans(10).await.unwrap()).unwrap() + "\n",
        golden("scans.json")
    );
    let host = store.latest_host("bmc-0002").await.unwrap().unwrap();
    assert_eq!(
        serde_json::to_string_pretty(&host).unwrap() + "\n",
        golden("host-bmc-0002.json")
    );
    // The steps a stopped process left: one in each in-flight state, typed.
    let flying = store.steps_in_flight().await.unwrap();
    let states: Vec<(i64, StepState)> = flying.iter().map(|s| (s.id, s.state)).collect();
    assert_eq!(
        states,
        [
            (22, StepState::Planned),
            (23, StepState::Submitted),
            (24, StepState::Running),
            (25, StepState::Verifying)
        ]
    );
    assert_eq!(
        flying[2].task_uri.as_deref(),
        Some("/redfish/v1/TaskService/Tasks/42")
    );
    assert_eq!(
        store.run(3).await.unwrap().unwrap().status,
        RunStatus::Halted
    );
    let outcomes: Vec<Option<StepOutcome>> = store
        .steps(3)
        .await
        .unwrap()
        .iter()
        .map(|s| s.outcome)
        .collect();
    assert_eq!(
        outcomes,
        [
            Some(StepOutcome::Staged),
            Some(StepOutcome::Failed),
            Some(StepOutcome::NeedsAttention)
        ]
    );
    assert_eq!(
        store
            .runs_with_status(RunStatus::Running)
            .await
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect::<Vec<_>>(),
        [2]
    );
    // Migration 3 (issue 17) adds the audit trail; an old store gains it, empty.
    // Migration 4 (issue 20) adds run controls, frozen plans and holds: an
    // old store gains them, empty (its runs were never steered).
    assert_eq!(Store::schema_version(), 4);
    assert!(store.audit(10, None).await.unwrap().is_empty());
    assert!(store.holds().await.unwrap().is_empty());
    assert!(store.control(2).await.unwrap().is_none());
    assert!(store.frozen_plan(2).await.unwrap().is_none());
    // The SQLite backend's rows carry the columns' text as written.
    let db = SqliteStore::open(dir.path()).unwrap();
    let rows = db
        .steps_in_state(&fwfleet::updater::resume::IN_FLIGHT)
        .unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0].state, "planned");
}

/// The options a run of this fwfleet stores are the bytes an earlier one
/// stored for the same options (its `json!` blob, keys sorted).
#[tokio::test]
async fn run_options_are_stored_as_before() {
    let dir = copy();
    let store = Store::open(dir.path()).await.unwrap();
    let rollout = fwfleet::config::Rollout {
        max_parallel: 2,
        canary: 0,
        failure_budget: 0.0,
        reset_policy: fwfleet::config::ResetPolicy::Never,
        ..fwfleet::config::Rollout::default()
    };
    let opts = ApplyOptions {
        allow_downgrade: true,
        canary: Some(0),
        failure_budget: Some(0.0),
        max_parallel: Some(2),
        reset_policy: Some(fwfleet::config::ResetPolicy::Never),
        ..ApplyOptions::default()
    };
    let options = RunOptions {
        hosts: Some(1),
        ..RunOptions::new(RunCommand::Apply, &opts, &rollout)
    };
    let id = store.create_run(&options).await.unwrap();
    let new = store.run(id).await.unwrap().unwrap();
    let old = store.run(3).await.unwrap().unwrap();
    assert_eq!(new.options_json, old.options_json);
    assert_eq!(new.status, RunStatus::Running);
    // Run 1 was the demo's real `apply`; run 2 a service run from the API.
    let rollout = fwfleet::config::Rollout {
        max_parallel: 1,
        canary: 1,
        failure_budget: 0.1,
        reset_policy: fwfleet::config::ResetPolicy::Graceful,
        ..fwfleet::config::Rollout::default()
    };
    let apply = RunOptions {
        hosts: Some(3),
        ..RunOptions::new(RunCommand::Apply, &ApplyOptions::default(), &rollout)
    };
    let serve = RunOptions {
        trigger: Some("api".into()),
        ..RunOptions::new(
            RunCommand::Serve,
            &ApplyOptions {
                hosts: Some("bmc-000[12]".into()),
                ..ApplyOptions::default()
            },
            &rollout,
        )
    };
    for (options, old) in [(apply, 1), (serve, 2)] {
        let id = store.create_run(&options).await.unwrap();
        assert_eq!(
            store.run(id).await.unwrap().unwrap().options_json,
            store.run(old).await.unwrap().unwrap().options_json,
            "run {old}"
        );
    }
}

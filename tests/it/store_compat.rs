//! A store written by an earlier fwfleet (tests/fixtures/store-v2, from
//! commit c6df07e) is read as it was: the same rows, and the same JSON and
//! text, byte for byte, as that fwfleet printed for it.

use fwfleet::store::Store;
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

#[test]
fn status_prints_an_old_store_as_the_old_fwfleet_did() {
    let dir = copy();
    assert_eq!(
        status(dir.path(), &["--format", "json"]),
        golden("status.json")
    );
    assert_eq!(status(dir.path(), &[]), golden("status.txt"));
    for run in ["1", "2", "3"] {
        assert_eq!(
            status(dir.path(), &["--run", run, "--format", "json"]),
            golden(&format!("status-run-{run}.json")),
            "run {run}"
        );
        assert_eq!(
            status(dir.path(), &["--run", run]),
            golden(&format!("status-run-{run}.txt")),
            "run {run}"
        );
    }
}

#[test]
fn an_old_store_reads_the_same_inventory_and_journal() {
    let dir = copy();
    let store = Store::open(dir.path()).unwrap();
    let (id, inv) = store.latest_inventory().unwrap().unwrap();
    assert_eq!(id, 2);
    assert_eq!(
        fwfleet::inventory::report::json(&inv) + "\n",
        golden("inventory-latest.json")
    );
    assert_eq!(
        serde_json::to_string_pretty(&store.list_scans(10).unwrap()).unwrap() + "\n",
        golden("scans.json")
    );
    let host = store.latest_host("bmc-0002").unwrap().unwrap();
    assert_eq!(
        serde_json::to_string_pretty(&host).unwrap() + "\n",
        golden("host-bmc-0002.json")
    );
    // The steps a stopped process left: one in each in-flight state.
    let flying = store
        .steps_in_state(&fwfleet::updater::resume::IN_FLIGHT)
        .unwrap();
    let states: Vec<(i64, &str)> = flying.iter().map(|s| (s.id, s.state.as_str())).collect();
    assert_eq!(
        states,
        [
            (22, "planned"),
            (23, "submitted"),
            (24, "running"),
            (25, "verifying")
        ]
    );
    assert_eq!(
        flying[2].task_uri.as_deref(),
        Some("/redfish/v1/TaskService/Tasks/42")
    );
    assert_eq!(store.run(3).unwrap().unwrap().status, "halted");
    assert_eq!(Store::schema_version(), 2);
}

//! `fwfleet demo` on a clean machine: the binary starts a mock fleet, builds
//! a repository, rolls it out and verifies; every host must end compliant,
//! and the mock BMCs' own counters must agree with the report.

use serde_json::Value;
use std::process::Command;

#[test]
fn demo_moves_every_host_to_compliant_and_says_so_last() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fwfleet"))
        .args(["demo", "--count", "8", "--seed", "7", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_eq!(
        stdout.lines().last(),
        Some("compliant: 8/8 hosts"),
        "{stdout}"
    );
    for phase in [
        "1/5 fleet: 8 mock BMCs",
        "2/5 repository:",
        "3/5 inventory + plan: 8 hosts scanned (0 failed)",
        "4/5 apply:",
        "5/5 verify: fresh scan + plan: 8/8 hosts compliant",
    ] {
        assert!(stdout.contains(phase), "no '{phase}' in\n{stdout}");
    }
    // Progress went to stderr as plain lines (no terminal here): the canary
    // first, then the waves.
    let canary = stderr.find("canaries: 1").expect(&stderr);
    let wave = stderr.find("wave 1/").expect(&stderr);
    assert!(canary < wave, "{stderr}");

    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("demo-report.json")).unwrap())
            .unwrap();
    assert_eq!(report["after"]["hosts"], 8);
    assert_eq!(report["after"]["hosts_compliant"], 8);
    assert!(
        report["before"]["hosts_compliant"].as_u64().unwrap() < 8,
        "the repository was newer than some host: {}",
        report["before"]
    );
    // What the BMCs counted equals what the rollout says it updated.
    let updated: u64 = report["updated_by_kind"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert!(updated > 0);
    assert_eq!(report["flashes"]["total"].as_u64().unwrap(), updated);
    assert_eq!(report["flashes"]["repeated"], serde_json::json!([]));
    assert_eq!(report["rollout"]["status"], "completed");
    for kind in ["bios", "bmc"] {
        assert!(
            report["updated_by_kind"][kind].as_u64().unwrap_or(0) > 0,
            "{kind}: {}",
            report["updated_by_kind"]
        );
    }

    // The directory is a working setup for the other commands.
    assert!(dir.path().join("state").join("fwfleet.db").exists());
    let fleet = dir.path().join("fleet.toml");
    let text = std::fs::read_to_string(&fleet).unwrap();
    assert_eq!(text.matches("[[hosts]]").count(), 8);
    assert!(text.contains("[rollout]"), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&fleet).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let status = Command::new(env!("CARGO_BIN_EXE_fwfleet"))
        .args(["status", "--config"])
        .arg(&fleet)
        .output()
        .unwrap();
    assert!(status.status.success());
    assert!(
        String::from_utf8_lossy(&status.stdout).contains("completed"),
        "{}",
        String::from_utf8_lossy(&status.stdout)
    );
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["demo", "--count", "zero"][..],
        &["demo", "--count", "0"],
        &["no-such-command"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_fwfleet"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

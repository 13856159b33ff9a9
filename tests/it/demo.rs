//! `fwfleet demo` on a clean machine: starts a mock fleet and reports it.

use std::process::Command;

#[test]
fn demo_starts_a_mock_fleet_and_writes_a_private_fleet_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fwfleet"))
        .args(["demo", "--count", "6", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("bmc-")).count(),
        6,
        "{stdout}"
    );
    assert!(stdout.contains("6 mock BMCs running"), "{stdout}");
    assert!(stdout.contains("6 hosts, 6 answered, 0 failed"), "{stdout}");
    assert!(dir.path().join("state").join("fwfleet.db").exists());
    let fleet = dir.path().join("fleet.toml");
    let text = std::fs::read_to_string(&fleet).unwrap();
    assert_eq!(text.matches("[[hosts]]").count(), 6);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&fleet).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}

#[test]
fn usage_errors_exit_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_fwfleet"))
        .args(["demo", "--count", "zero"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(env!("CARGO_BIN_EXE_fwfleet"))
        .args(["no-such-command"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

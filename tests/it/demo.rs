//! `fwfleet demo` on a clean machine: the binary starts a mock fleet, builds
//! a repository, rolls it out and verifies; every host must end compliant,
//! and the mock BMCs' own counters must agree with the report.

use serde_json::Value;
use std::process::Command;

#[test]
fn demo_moves_every_host_to_compliant_and_says_so_last() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fwfleet"))
        // Seed 2 puts two iDRACs among the 8, so the Dell catalog path runs.
        .args(["demo", "--count", "8", "--seed", "2", "--dir"])
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
    // The iDRACs' entries came from the Dell-format catalog: their packages
    // were added (verified), the Linux .BIN refused, the decoys left alone.
    let dell = &report["dell_catalog"];
    assert!(
        dell["packages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["status"] == "added" && p["verified_with"] == "sha256"),
        "{dell}"
    );
    assert!(!dell["refused"].as_array().unwrap().is_empty(), "{dell}");
    assert!(dell["not_needed"].as_u64().unwrap() > 0, "{dell}");
    assert!(stdout.contains("Dell catalog Catalog.xml"), "{stdout}");
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

/// One HTTP/1.1 GET over a plain socket; returns (status, body).
fn http_get(addr: &str, path: &str, token: Option<&str>) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = resp.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, body.to_string())
}

#[cfg(unix)]
#[test]
fn demo_serve_hands_the_fleet_to_the_service_until_interrupted() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fwfleet"))
        .args(["demo", "--count", "3", "--serve", "--dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("fwfleet serve: listening on http://") {
                let _ = tx.send(url.to_string());
            }
            seen.push(line);
        }
        seen
    });
    let addr = match rx.recv_timeout(std::time::Duration::from_secs(180)) {
        Ok(a) => a,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("no listening line: {:?}", reader.join().unwrap());
        }
    };
    let token = std::fs::read_to_string(dir.path().join("api.token")).unwrap();
    let token = token.trim();
    assert_eq!(http_get(&addr, "/healthz", None).0, 200);
    assert_eq!(http_get(&addr, "/api/v1/hosts", None).0, 401);
    let (status, body) = http_get(&addr, "/api/v1/hosts", Some(token));
    assert_eq!(status, 200, "{body}");
    let hosts: Value = serde_json::from_str(body.trim()).unwrap_or_else(|e| panic!("{e}: {body}"));
    // The service sees what the demo left: every host compliant.
    assert_eq!(hosts["summary"]["hosts"], 3, "{hosts}");
    assert_eq!(hosts["summary"]["by_compliance"]["compliant"], 3, "{hosts}");
    // Ctrl-C (SIGINT to this child, by its id) stops it cleanly.
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    let lines = reader.join().unwrap();
    assert!(status.success(), "{status:?}: {lines:?}");
    assert!(
        lines.iter().any(|l| l == "fwfleet serve: stopped"),
        "{lines:?}"
    );
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    assert!(out.contains("compliant: 3/3 hosts"), "{out}");
}

//! `fwfleet inventory` against mock fleets over real sockets: every persona,
//! HTTP and pinned HTTPS, session and Basic, and BMCs that misbehave.

use mock_bmc::{FleetConfig, MockFleet, Persona, Profile, TlsMode};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

pub const PW: &str = "inv-Pa55word-xyzzy";

pub async fn fleet(count: usize, profile: Profile, tls: bool) -> MockFleet {
    MockFleet::start(FleetConfig {
        count,
        profile,
        seed: 77,
        password: PW.into(),
        tls: if tls {
            TlsMode::SelfSigned
        } else {
            TlsMode::Off
        },
        ..FleetConfig::default()
    })
    .await
    .unwrap()
}

/// Write the fleet file (plus extra TOML) into `dir` and run `fwfleet inventory`.
pub fn run_inventory(
    dir: &Path,
    fleet: &MockFleet,
    extra_top: &str,
    args: &[&str],
) -> (Option<i32>, String, String) {
    let text = fleet.fleet_toml();
    let cfg = dir.join("fleet.toml");
    std::fs::write(&cfg, format!("{extra_top}\n{text}")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_fwfleet"))
        .args(["inventory", "--config"])
        .arg(&cfg)
        .args(args)
        .env("RUST_LOG", "debug")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn check_against_mock(inv: &Value, fleet: &MockFleet) {
    let hosts = inv["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), fleet.bmcs.len());
    for (h, b) in hosts.iter().zip(&fleet.bmcs) {
        assert_eq!(h["name"], b.name());
        assert_eq!(h["ok"], true, "{h}");
        let st = b.state();
        assert_eq!(h["system"]["model"], st["model"]);
        assert_eq!(h["system"]["manufacturer"], st["manufacturer"]);
        assert_eq!(h["system"]["serial"], st["serial"]);
        let comps = h["components"].as_array().unwrap();
        let mock = st["components"].as_array().unwrap();
        assert_eq!(comps.len(), mock.len(), "{}", b.name());
        for m in mock {
            let c = comps
                .iter()
                .find(|c| c["id"] == m["id"])
                .unwrap_or_else(|| panic!("{} lacks {}", b.name(), m["id"]));
            assert_eq!(c["version"], m["version"], "{} {}", b.name(), m["id"]);
            assert_eq!(
                c["kind"],
                m["kind"],
                "{} {} ({})",
                b.name(),
                m["id"],
                m["name"]
            );
            assert_eq!(c["role"], m["role"], "{} {}", b.name(), m["id"]);
            for key in ["name", "updateable", "software_id", "identity", "uri"] {
                assert!(c.get(key).is_some(), "{key}");
            }
        }
        // Every session the scan opened was deleted.
        assert_eq!(
            st["journal"]["sessions_created"],
            st["journal"]["sessions_deleted"],
            "{}",
            b.name()
        );
        assert_eq!(st["sessions"], 0);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mixed_fleet_over_http_with_sessions_is_read_correctly() {
    let f = fleet(18, Profile::Mixed, false).await;
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run_inventory(dir.path(), &f, "", &["--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    let inv: Value = serde_json::from_str(&out).unwrap();
    check_against_mock(&inv, &f);
    let personas: std::collections::HashSet<String> = f
        .bmcs
        .iter()
        .map(|b| b.state()["persona"].to_string())
        .collect();
    assert_eq!(
        personas.len(),
        Persona::ALL.len(),
        "the fleet covers every persona"
    );
    assert!(f
        .bmcs
        .iter()
        .all(|b| b.state()["journal"]["sessions_created"] == 1));
    // The scan was saved in the state store beside the config.
    assert!(dir.path().join("state").join("fwfleet.db").exists());
    assert!(!out.contains(PW) && !err.contains(PW), "password leaked");
}

#[tokio::test(flavor = "multi_thread")]
async fn pinned_https_with_basic_auth_and_software_inventory() {
    let f = fleet(6, Profile::Mixed, true).await;
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run_inventory(
        dir.path(),
        &f,
        "[defaults]\nauth = \"basic\"",
        &["--format", "json", "--software"],
    );
    assert_eq!(code, Some(0), "{err}");
    let inv: Value = serde_json::from_str(&out).unwrap();
    check_against_mock(&inv, &f);
    for (h, b) in inv["hosts"].as_array().unwrap().iter().zip(&f.bmcs) {
        assert!(!h["software"].as_array().unwrap().is_empty());
        assert_eq!(
            b.state()["journal"]["sessions_created"],
            0,
            "basic auth opens no session"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_certificate_is_refused_with_both_fingerprints() {
    let f = fleet(1, Profile::Single(Persona::Generic), true).await;
    let dir = tempfile::tempdir().unwrap();
    let text = f.fleet_toml();
    let real = f.bmcs[0].tls_fingerprint().unwrap().to_string();
    let wrong = "00:".repeat(31) + "00";
    let cfg = dir.path().join("fleet.toml");
    std::fs::write(&cfg, text.replace(&real, &wrong)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fwfleet"))
        .args(["inventory", "--format", "json", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let inv: Value = serde_json::from_slice(&out.stdout).unwrap();
    let e = inv["hosts"][0]["error"].as_str().unwrap();
    assert!(
        e.contains("bmc-0001") && e.contains(&real) && e.contains("tls_fingerprint_sha256"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn misbehaving_bmcs_end_with_a_clear_error_or_a_correct_inventory() {
    let f = fleet(7, Profile::Single(Persona::Generic), false).await;
    let c = reqwest::Client::new();
    let faults = [
        serde_json::json!({"latency_ms": 300}),
        serde_json::json!({"unavailable": 2, "retry_after_secs": 1}),
        serde_json::json!({"drop_connections": 2}),
        serde_json::json!({"session_limit": 0}),
        serde_json::json!({"malformed_json": 100}),
        serde_json::json!({"latency_ms": 20000}),
    ];
    for (b, fj) in f.bmcs.iter().zip(&faults) {
        c.post(format!("{}/mock/faults", b.url()))
            .json(fj)
            .send()
            .await
            .unwrap();
    }
    // bmc-0007 has no fault: the control group.
    let dir = tempfile::tempdir().unwrap();
    let t0 = Instant::now();
    let (code, out, err) = run_inventory(
        dir.path(),
        &f,
        "[defaults]\nrequest_timeout_secs = 2\nscan_deadline_secs = 8\nretries = 3",
        &["--format", "json"],
    );
    assert!(
        t0.elapsed() < Duration::from_secs(30),
        "the scan hung: {:?}",
        t0.elapsed()
    );
    assert_eq!(code, Some(1), "{err}");
    let inv: Value = serde_json::from_str(&out).unwrap();
    let h = |i: usize| &inv["hosts"][i];
    for i in [0, 1, 2, 3, 6] {
        assert_eq!(h(i)["ok"], true, "{}", h(i));
        assert!(!h(i)["components"].as_array().unwrap().is_empty());
    }
    let e = h(4)["error"].as_str().unwrap();
    assert!(e.contains("bmc-0005") && e.contains("cannot read"), "{e}");
    let e = h(5)["error"].as_str().unwrap();
    assert!(
        e.contains("bmc-0006") && (e.contains("within") || e.contains("deadline")),
        "{e}"
    );
    // The session-limited BMC was read with Basic auth.
    assert_eq!(f.bmcs[3].state()["journal"]["sessions_created"], 0);
    assert!(
        f.bmcs[3].state()["journal"]["basic_auth_requests"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert!(
        !out.contains(PW) && !err.contains(PW),
        "password leaked into output or logs"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_host_fails_alone_and_the_table_says_so() {
    let f = fleet(2, Profile::Single(Persona::Idrac), false).await;
    let dir = tempfile::tempdir().unwrap();
    let dead = "[[hosts]]\nname = \"dead-bmc\"\nurl = \"http://127.0.0.1:9\"\nusername = \"admin\"\npassword = \"x\"\n";
    let (code, out, _) = run_inventory(
        dir.path(),
        &f,
        &format!("[defaults]\nretries = 1\n{dead}"),
        &[],
    );
    assert_eq!(code, Some(1));
    assert!(
        out.contains("dead-bmc") && out.contains("FAILED: dead-bmc: cannot connect"),
        "{out}"
    );
    assert!(out.contains("3 hosts, 2 answered, 1 failed"), "{out}");
}

#[test]
fn config_errors_exit_2_and_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(
        &cfg,
        "[[hosts]]\nname = \"a\"\nurl = \"ftp://x\"\nusername = \"u\"\npassword = \"p\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fwfleet"))
        .args(["inventory", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml") && err.contains("hosts[0].url"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_the_scan_and_still_closes_every_session() {
    let f = fleet(4, Profile::Single(Persona::Generic), false).await;
    let c = reqwest::Client::new();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("fleet.toml");
    std::fs::write(&cfg, f.fleet_toml()).unwrap();
    // Slow BMCs: the scan is still running when the operator presses Ctrl-C,
    // after every host has logged in.
    for b in &f.bmcs {
        c.post(format!("{}/mock/faults", b.url()))
            .json(&serde_json::json!({"latency_ms": 700}))
            .send()
            .await
            .unwrap();
    }
    let child = Command::new(env!("CARGO_BIN_EXE_fwfleet"))
        .args(["inventory", "--no-save", "--config"])
        .arg(&cfg)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let logged_in = async {
        loop {
            if f.bmcs
                .iter()
                .all(|b| b.state()["journal"]["sessions_created"] == 1)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(20), logged_in)
        .await
        .expect("logins");
    let st = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("interrupted"));
    for b in &f.bmcs {
        let s = b.state();
        assert_eq!(s["sessions"], 0, "{} kept a session", b.name());
        assert_eq!(s["journal"]["sessions_deleted"], 1);
    }
}

/// Issue 19: an iDRAC's Dell SystemID (decimal) and each component's
/// ComponentID and PCI IDs reach the inventory JSON, including the card that
/// reports ComponentID `0`.
#[tokio::test(flavor = "multi_thread")]
async fn idrac_inventory_carries_the_dell_system_id_and_pci_ids() {
    let f = fleet(2, Profile::Single(Persona::Idrac), false).await;
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run_inventory(dir.path(), &f, "", &["--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    let inv: Value = serde_json::from_str(&out).unwrap();
    for h in inv["hosts"].as_array().unwrap() {
        let id = match h["system"]["model"].as_str().unwrap() {
            "PowerEdge R650" => 2322,
            "PowerEdge R750" => 2318,
            other => panic!("unexpected model {other}"),
        };
        assert_eq!(h["system"]["dell_system_id"], id, "{h}");
        let comps = h["components"].as_array().unwrap();
        let by_fqdd = |fqdd: &str| {
            comps
                .iter()
                .find(|c| c["id"].as_str().unwrap().ends_with(fqdd))
                .unwrap_or_else(|| panic!("no {fqdd} in {h}"))
        };
        let lom = by_fqdd("NIC.Integrated.1-1-1");
        assert_eq!(
            (&lom["software_id"], &lom["pci"]),
            (&Value::from("108255"), &Value::from("14E4:165F:1028:08FF"))
        );
        let x710 = by_fqdd("NIC.Slot.2-1-1");
        assert_eq!(
            (&x710["software_id"], &x710["pci"]),
            (&Value::from("0"), &Value::from("8086:1572:8086:0007"))
        );
        assert!(by_fqdd("BIOS.Setup.1-1").get("pci").is_none());
    }
}

//! The `mock-bmc serve` binary: fleets, fleet files, seeds, address ranges.

use crate::support::*;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A `mock-bmc serve` child process, killed on drop.
struct Serve {
    child: Child,
    lines: Vec<String>,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(args: &[&str]) -> Serve {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mock-bmc"))
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn mock-bmc");
    let out = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(out).lines() {
        let line = line.unwrap();
        let done = line.starts_with("ready ");
        lines.push(line);
        if done {
            return Serve { child, lines };
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("mock-bmc exited before ready: {lines:?}");
}

fn hosts(path: &Path) -> Vec<toml::Value> {
    let text = std::fs::read_to_string(path).unwrap();
    let v: toml::Value = toml::from_str(&text).unwrap();
    v["hosts"].as_array().unwrap().clone()
}

async fn mock_state(url: &str) -> Value {
    client()
        .get(format!("{url}/mock/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_fleet_of_100_starts_and_the_fleet_file_lists_working_urls() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = dir.path().join("fleet.toml");
    let s = serve(&[
        "--count",
        "100",
        "--password",
        PASSWORD,
        "--fleet-out",
        fleet.to_str().unwrap(),
    ]);
    assert_eq!(s.lines.last().unwrap(), "ready 100");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&fleet).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "fleet file must be private");
    }
    let hosts = hosts(&fleet);
    assert_eq!(hosts.len(), 100);
    let mut names = std::collections::HashSet::new();
    let c = client();
    for h in &hosts {
        assert!(names.insert(h["name"].as_str().unwrap().to_string()));
        assert_eq!(h["username"].as_str(), Some("admin"));
        assert_eq!(h["password"].as_str(), Some(PASSWORD));
        let url = h["url"].as_str().unwrap();
        let r = c
            .get(format!("{url}/redfish/v1/Systems"))
            .basic_auth("admin", Some(PASSWORD))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{url}");
    }
}

#[tokio::test]
async fn the_same_seed_gives_the_same_fleet_and_another_seed_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut fleets = Vec::new();
    for (i, seed) in ["42", "42", "43"].iter().enumerate() {
        let f = dir.path().join(format!("f{i}.toml"));
        let s = serve(&[
            "--count",
            "12",
            "--profile",
            "mixed",
            "--seed",
            seed,
            "--fleet-out",
            f.to_str().unwrap(),
        ]);
        let mut states = Vec::new();
        for h in hosts(&f) {
            let mut st = mock_state(h["url"].as_str().unwrap()).await;
            st.as_object_mut().unwrap().remove("journal");
            states.push(st);
        }
        drop(s);
        fleets.push(states);
    }
    assert_eq!(fleets[0], fleets[1]);
    assert_ne!(fleets[0], fleets[2]);
    let personas: std::collections::HashSet<_> =
        fleets[0].iter().map(|s| s["persona"].to_string()).collect();
    assert!(
        personas.len() > 1,
        "mixed profile mixes personas: {personas:?}"
    );
}

#[tokio::test]
async fn an_address_range_gives_each_bmc_its_own_ip() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("fleet.toml");
    // A fixed port on every address shows that the addresses, not the ports, differ.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let listen = format!("127.77.0.250-127.77.1.9:{port}");
    let _s = serve(&[
        "--count",
        "12",
        "--listen",
        &listen,
        "--password",
        PASSWORD,
        "--fleet-out",
        f.to_str().unwrap(),
    ]);
    let hosts = hosts(&f);
    let urls: Vec<String> = hosts
        .iter()
        .map(|h| h["url"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(urls[0], format!("http://127.77.0.250:{port}"));
    assert_eq!(urls[6], format!("http://127.77.1.0:{port}"));
    assert_eq!(urls[11], format!("http://127.77.1.5:{port}"));
    for (h, url) in hosts.iter().zip(&urls) {
        let st = mock_state(url).await;
        assert_eq!(st["name"], h["name"].as_str().unwrap());
    }
}

#[tokio::test]
async fn tls_fleets_write_fingerprints_that_match_the_served_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("fleet.toml");
    let certs = dir.path().join("certs");
    let s = serve(&[
        "--count",
        "3",
        "--tls",
        "--fleet-out",
        f.to_str().unwrap(),
        "--cert-dir",
        certs.to_str().unwrap(),
    ]);
    for (h, line) in hosts(&f).iter().zip(&s.lines) {
        let fp = h["tls_fingerprint_sha256"].as_str().unwrap();
        assert!(line.ends_with(&format!("sha256={fp}")), "{line}");
        let pem =
            std::fs::read(certs.join(format!("{}.pem", h["name"].as_str().unwrap()))).unwrap();
        let c = reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
            .build()
            .unwrap();
        let r = c
            .get(format!("{}/redfish/v1/", h["url"].as_str().unwrap()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
}

#[test]
fn bad_arguments_fail_with_a_hint() {
    let out = Command::new(env!("CARGO_BIN_EXE_mock-bmc"))
        .args(["serve", "--count", "3", "--listen", "127.0.0.1:8443"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("fixed port") && err.contains("address range"),
        "{err}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_mock-bmc"))
        .args(["serve", "--profile", "cray"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("generic, openbmc"));
}

#[tokio::test]
async fn faults_come_from_flags_and_scenario_files() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("fleet.toml");
    let scenario = dir.path().join("faults.toml");
    std::fs::write(
        &scenario,
        "[default]\nlatency_ms = 1\n[hosts.bmc-0002]\nunavailable = 2\n",
    )
    .unwrap();
    let _s = serve(&[
        "--count",
        "2",
        "--password",
        PASSWORD,
        "--fleet-out",
        f.to_str().unwrap(),
        "--faults",
        scenario.to_str().unwrap(),
        "--fault",
        "task-fails",
    ]);
    let hosts = hosts(&f);
    let c = client();
    let status = |i: usize| {
        let url = hosts[i]["url"].as_str().unwrap().to_string();
        let c = c.clone();
        async move {
            c.get(format!("{url}/redfish/v1/Systems"))
                .basic_auth("admin", Some(PASSWORD))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(status(0).await, 200);
    assert_eq!(status(1).await, 503);
    let faults: Value = c
        .get(format!("{}/mock/faults", hosts[0]["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(faults["task_fails"], true);
    assert_eq!(faults["latency_ms"], 1);
}

#[test]
fn a_bad_fault_flag_names_the_known_faults() {
    let out = Command::new(env!("CARGO_BIN_EXE_mock-bmc"))
        .args(["serve", "--fault", "explode"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("known faults"));
}

#[test]
fn make_image_writes_a_verifiable_image() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bios.fwimg");
    let o = Command::new(env!("CARGO_BIN_EXE_mock-bmc"))
        .args([
            "make-image",
            "--component",
            "bios",
            "--version",
            "2.15.0",
            "--model",
            "CX-2200",
            "--size",
            "5000",
            "-o",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let h = mock_bmc::image::verify_file(&out).unwrap();
    assert_eq!(
        (h.version.as_str(), h.payload_len, h.models.clone()),
        ("2.15.0", 5000, vec!["CX-2200".to_string()])
    );
    let o = Command::new(env!("CARGO_BIN_EXE_mock-bmc"))
        .args([
            "make-image",
            "--component",
            "gpu",
            "--version",
            "1",
            "-o",
            "x",
        ])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("bios, bmc"));
}

#[tokio::test]
async fn make_images_covers_a_running_mixed_fleet_and_every_image_installs() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("fleet.toml");
    let images = dir.path().join("images");
    let _s = serve(&[
        "--count",
        "8",
        "--profile",
        "mixed",
        "--seed",
        "5",
        "--password",
        PASSWORD,
        "--behaviour",
        "ideal",
        "--update-secs",
        "0",
        "--bmc-reboot-secs",
        "0.2",
        "--fleet-out",
        f.to_str().unwrap(),
    ]);
    let o = Command::new(env!("CARGO_BIN_EXE_mock-bmc"))
        .args([
            "make-images",
            "--fleet",
            f.to_str().unwrap(),
            "--out",
            images.to_str().unwrap(),
            "--components",
            "bios,nic",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let index: Vec<Value> =
        serde_json::from_slice(&std::fs::read(images.join("images.json")).unwrap()).unwrap();
    assert!(!index.is_empty());
    let files: Vec<(&'static str, Vec<u8>)> = index
        .iter()
        .map(|e| {
            let name: &'static str =
                Box::leak(e["file"].as_str().unwrap().to_string().into_boxed_str());
            (name, std::fs::read(images.join(name)).unwrap())
        })
        .collect();
    let server = image_server(files).await;
    // Push the BIOS image of its model by SimpleUpdate to every host whose persona
    // takes an Immediate update without extra steps.
    let mut updated = 0;
    for h in hosts(&f) {
        let url = h["url"].as_str().unwrap();
        let st = mock_state(url).await;
        if !matches!(
            st["persona"].as_str(),
            Some("generic" | "ilo" | "idrac" | "xcc")
        ) {
            continue;
        }
        let e = index
            .iter()
            .find(|e| e["component"] == "bios" && e["models"][0] == st["model"])
            .unwrap();
        let r = client()
            .post(format!("{url}/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate"))
            .basic_auth("admin", Some(PASSWORD))
            .json(&serde_json::json!({"ImageURI": format!("{server}/{}", e["file"].as_str().unwrap())}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202, "{url}");
        let mut done = false;
        for _ in 0..200 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            let st = mock_state(url).await;
            if component(&st, "bios")["version"] == e["version"] {
                assert_eq!(component(&st, "bios")["flash_count"], 1);
                done = true;
                break;
            }
        }
        assert!(done, "{url} never reached {}", e["version"]);
        updated += 1;
    }
    assert!(updated >= 2, "only {updated} hosts exercised");
}

#[test]
fn make_images_says_to_start_the_fleet_when_it_is_not_running() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("fleet.toml");
    std::fs::write(&f, "[[hosts]]\nname = \"bmc-0001\"\nurl = \"http://127.0.0.1:9\"\nusername = \"a\"\npassword = \"b\"\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_mock-bmc"))
        .args([
            "make-images",
            "--fleet",
            f.to_str().unwrap(),
            "--out",
            dir.path().join("x").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bmc-0001") && err.contains("mock-bmc serve"),
        "{err}"
    );
}

#[tokio::test]
async fn serve_with_discard_uploads_answers_pushes_like_a_bmc_and_keeps_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("fleet.toml");
    let _s = serve(&[
        "--password",
        PASSWORD,
        "--behaviour",
        "ideal",
        "--fault",
        "discard-uploads",
        "--fleet-out",
        f.to_str().unwrap(),
    ]);
    let url = hosts(&f)[0]["url"].as_str().unwrap().to_string();
    let before = mock_state(&url).await;
    // Not an image at all: a BMC that kept or verified it would fail the task.
    let size = 3 * 1024 * 1024 + 17;
    let chunks = (0..size / 65536 + 1).map(move |i| {
        let n = (size - i * 65536).min(65536);
        Ok::<_, std::io::Error>(vec![0xA5u8; n])
    });
    let body = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
    let form = reqwest::multipart::Form::new()
        .part(
            "UpdateParameters",
            reqwest::multipart::Part::text("{}")
                .mime_str("application/json")
                .unwrap(),
        )
        .part(
            "UpdateFile",
            reqwest::multipart::Part::stream_with_length(body, size as u64).file_name("x.img"),
        );
    let c = client();
    let r = c
        .post(format!("{url}/redfish/v1/UpdateService/upload"))
        .basic_auth("admin", Some(PASSWORD))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let monitor = r.headers()["Location"].to_str().unwrap().to_string();
    let task: Value = r.json().await.unwrap();
    let task_uri = task["@odata.id"].as_str().unwrap().to_string();
    let mut fin = Value::Null;
    for _ in 0..200 {
        fin = c
            .get(format!("{url}{task_uri}"))
            .basic_auth("admin", Some(PASSWORD))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if fin["TaskState"] != "New" && fin["TaskState"] != "Starting" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(fin["TaskState"], "Completed", "{fin}");
    let counted = format!("Upload of {size} bytes discarded");
    assert!(fin["Messages"].to_string().contains(&counted), "{fin}");
    assert!(monitor.starts_with("/redfish/v1/"), "{monitor}");
    let after = mock_state(&url).await;
    assert_eq!(before["components"], after["components"], "nothing applied");
}

/// What `serve` prints and exits with when its arguments are wrong.
fn serve_error(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_mock-bmc"))
        .arg("serve")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run mock-bmc");
    assert!(!out.status.success(), "{args:?} should fail");
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[tokio::test]
async fn behaviour_variant_and_time_scale_come_from_flags_and_scenario_files() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("fleet.toml");
    let scenario = dir.path().join("hosts.toml");
    std::fs::write(
        &scenario,
        "[hosts.bmc-0002]\nbehaviour = \"ideal\"\nlatency_ms = 1\n",
    )
    .unwrap();
    let _s = serve(&[
        "--count",
        "2",
        "--profile",
        "ilo",
        "--variant",
        "legacy",
        "--behaviour",
        "field",
        "--time-scale",
        "600",
        "--field-duration",
        "bmc-reboot=1.5",
        "--password",
        PASSWORD,
        "--fleet-out",
        f.to_str().unwrap(),
        "--faults",
        scenario.to_str().unwrap(),
    ]);
    let hosts = hosts(&f);
    let one = mock_state(hosts[0]["url"].as_str().unwrap()).await;
    assert_eq!(
        (one["behaviour"].as_str(), one["variant"].as_str()),
        (Some("field"), Some("legacy"))
    );
    assert_eq!(one["field"]["time"]["time_scale"], 600.0);
    let reboot = one["field"]["time"]["durations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "bmc-reboot")
        .unwrap()
        .clone();
    assert_eq!(
        (reboot["field_secs"].as_f64(), reboot["secs"].as_f64()),
        (Some(300.0), Some(1.5))
    );
    let two = mock_state(hosts[1]["url"].as_str().unwrap()).await;
    assert_eq!(
        two["behaviour"], "ideal",
        "the scenario file sets it per host"
    );
    assert_eq!(two["variant"], "legacy");
}

#[test]
fn wrong_behaviour_settings_are_refused_with_what_to_do() {
    let e = serve_error(&["--profile", "idrac", "--variant", "ami"]);
    assert!(
        e.contains("variant 'ami' belongs to persona 'xcc'") && e.contains("idrac has: standard"),
        "{e}"
    );
    let e = serve_error(&["--behaviour", "field", "--bmc-reboot-secs", "1"]);
    assert!(e.contains("--field-duration bmc-reboot=SECS"), "{e}");
    let e = serve_error(&["--behaviour", "field", "--field-duration", "reboot=1"]);
    assert!(
        e.contains("unknown field duration 'reboot'") && e.contains("bmc-reboot"),
        "{e}"
    );
    let e = serve_error(&["--behaviour", "sometimes"]);
    assert!(e.contains("expected field or ideal"), "{e}");
    let e = serve_error(&["--time-scale", "0.5"]);
    assert!(e.contains("--time-scale must be between 1"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("hosts.toml");
    std::fs::write(&scenario, "[hosts.bmc-0001]\nvariant = \"legacy\"\n").unwrap();
    let e = serve_error(&[
        "--profile",
        "generic",
        "--faults",
        scenario.to_str().unwrap(),
    ]);
    assert!(
        e.contains("host bmc-0001") && e.contains("belongs to persona 'ilo'"),
        "{e}"
    );
    std::fs::write(&scenario, "[default]\ntransient_task_state = \"maybe\"\n").unwrap();
    let e = serve_error(&["--faults", scenario.to_str().unwrap()]);
    assert!(e.contains("transient-task-state must be"), "{e}");
}

#[tokio::test]
async fn the_fleet_control_plane_answers_while_a_bmc_reboots() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("fleet.toml");
    let s = serve(&[
        "--behaviour",
        "field",
        "--time-scale",
        "600",
        "--field-duration",
        "bmc-reboot=3",
        "--control",
        "127.0.0.1:0",
        "--password",
        PASSWORD,
        "--fleet-out",
        f.to_str().unwrap(),
    ]);
    let control = s
        .lines
        .iter()
        .find_map(|l| l.strip_prefix("control "))
        .expect("a control line before ready")
        .to_string();
    let url = hosts(&f)[0]["url"].as_str().unwrap().to_string();
    let r = client()
        .post(format!(
            "{url}/redfish/v1/Managers/BMC/Actions/Manager.Reset"
        ))
        .basic_auth("admin", Some(PASSWORD))
        .json(&serde_json::json!({"ResetType": "GracefulRestart"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let start = std::time::Instant::now();
    loop {
        let own = client().get(format!("{url}/mock/state")).send().await;
        let fleet: Value = client()
            .get(format!("{control}/bmc-0001/state"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if own.is_err() {
            assert_eq!(fleet["rebooting"], true, "{fleet}");
            break;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "the BMC never went down"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let list: Value = client()
        .get(&control)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["name"], "bmc-0001");
    let missing = client()
        .get(format!("{control}/nope/state"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

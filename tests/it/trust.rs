//! Issue 17, trust you can manage: API tokens with roles, the audit trail
//! of every mutating call, the API over TLS and its timeouts, `fwfleet
//! trust`. Real sockets on 127.0.0.1 port 0; certificates generated here.

use super::apply::{repository_of_kind, timing, Setup};
use fwfleet::config::Config;
use fwfleet::daemon::api::ROUTES;
use fwfleet::daemon::auth::Keyring;
use fwfleet::daemon::DaemonError;
use mock_bmc::{FleetConfig, MockFleet, Persona, Profile};
use reqwest::StatusCode;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const VIEWER: &str = "viewer-token-0123456789abcdef";
const OPERATOR: &str = "operator-token-0123456789abcdef";
const ADMIN: &str = "admin-token-0123456789abcdef";

/// A fleet of `count` generic BMCs, a repository one BMC version ahead, and
/// a config with three named tokens (files, mode 0600) and `daemon_extra`
/// under `[daemon]`.
async fn fleet_with_tokens(count: usize, daemon_extra: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let fleet = MockFleet::start(
        FleetConfig {
            count,
            profile: Profile::Single(Persona::Generic),
            timing: timing(),
            ..FleetConfig::default()
        }
        .ideal(),
    )
    .await
    .unwrap();
    for (name, value) in [("viewer", VIEWER), ("operator", OPERATOR)] {
        mock_bmc::fleet::write_private(&dir.path().join(format!("{name}.token")), value.as_bytes())
            .unwrap();
    }
    let config = dir.path().join("fleet.toml");
    let text = format!(
        "{}\n[daemon]\ntoken_env = \"FWFLEET_TEST_TRUST_ADMIN\"\n{daemon_extra}\n\
         [[daemon.tokens]]\nname = \"grafana\"\nrole = \"viewer\"\ntoken_file = \"viewer.token\"\n\
         [[daemon.tokens]]\nname = \"oncall\"\nrole = \"operator\"\ntoken_file = \"operator.token\"\n\
         [rollout]\ncanary = 0\nstep_deadline_secs = 60\n",
        fleet.fleet_toml()
    );
    mock_bmc::fleet::write_private(&config, text.as_bytes()).unwrap();
    std::env::set_var("FWFLEET_TEST_TRUST_ADMIN", ADMIN);
    let s = Setup { dir, fleet, config };
    repository_of_kind(&s, mock_bmc::Kind::Bmc, mock_bmc::vstyle::Bump::Minor, None).await;
    s
}

/// A daemon served in-process on 127.0.0.1 port 0.
struct Service {
    addr: SocketAddr,
    scheme: &'static str,
    stop: CancellationToken,
    task: JoinHandle<Result<(), DaemonError>>,
    http: reqwest::Client,
}

async fn start(config: &Path, http: reqwest::Client) -> Service {
    let cfg = Config::load(config).unwrap();
    let keys = Keyring::load(&cfg.daemon).unwrap();
    let scheme = if cfg.daemon.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    let task = tokio::spawn(fwfleet::daemon::serve(
        cfg,
        keys,
        listener,
        stop.clone().cancelled_owned(),
    ));
    let svc = Service {
        addr,
        scheme,
        stop,
        task,
        http,
    };
    let t0 = Instant::now();
    while svc.http.get(svc.url("/healthz")).send().await.is_err() {
        assert!(t0.elapsed() < Duration::from_secs(20), "no /healthz");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    svc
}

/// No pooled connections: with the short header timeouts of these tests the
/// server closes an idle kept-alive connection (the header timeout counts
/// from the end of the previous answer) just as the pool would reuse it.
fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

impl Service {
    fn url(&self, path: &str) -> String {
        format!("{}://{}{path}", self.scheme, self.addr)
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &str,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method.parse().unwrap(), self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if method == "POST" {
            req = req
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, v)
    }

    async fn audit(&self) -> Vec<Value> {
        let (status, v) = self.call("GET", "/api/v1/audit", Some(ADMIN), "").await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v["entries"].as_array().unwrap().clone()
    }

    async fn wait_run(&self, id: i64) {
        let t0 = Instant::now();
        loop {
            let (status, v) = self
                .call("GET", &format!("/api/v1/runs/{id}"), Some(VIEWER), "")
                .await;
            assert_eq!(status, StatusCode::OK, "{v}");
            if !v["run"]["finished_at"].is_null() && v["run"]["active"] == false {
                return;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(90),
                "run {id} did not finish: {v:#}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn shutdown(self) {
        self.stop.cancel();
        tokio::time::timeout(Duration::from_secs(60), self.task)
            .await
            .expect("the service stops")
            .unwrap()
            .unwrap();
    }
}

/// Route paths with a concrete id.
fn concrete(path: &str) -> String {
    path.replace("{id}", "1").replace("{name}", "bmc-000")
}

#[tokio::test(flavor = "multi_thread")]
async fn roles_gate_every_route_and_every_mutating_call_is_audited() {
    let s = fleet_with_tokens(1, "").await;
    let svc = start(&s.config, plain_client()).await;

    // The viewer reads everything but the audit trail and changes nothing.
    for (method, path) in ROUTES {
        let (status, v) = svc.call(method, &concrete(path), Some(VIEWER), "{}").await;
        if method == "GET" && path != "/api/v1/audit" {
            assert!(
                status == StatusCode::OK || status == StatusCode::NOT_FOUND,
                "{method} {path}: {status} {v}"
            );
        } else {
            assert_eq!(status, StatusCode::FORBIDDEN, "viewer {method} {path}: {v}");
            assert_eq!(v["error"]["code"], "forbidden", "{v}");
            let msg = v["error"]["message"].as_str().unwrap();
            assert!(msg.contains("grafana") && msg.contains("viewer"), "{msg}");
        }
    }
    // No token: 401, and nothing in the trail (anyone can send those).
    let (status, _) = svc.call("POST", "/api/v1/runs", None, "{}").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = svc
        .call("POST", "/api/v1/runs", Some("not-a-token-0123456789"), "{}")
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The operator runs, but neither downgrades nor forces resets.
    for body in [
        r#"{"allow_downgrade": true}"#,
        r#"{"reset_policy": "force"}"#,
    ] {
        let (status, v) = svc.call("POST", "/api/v1/runs", Some(OPERATOR), body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}: {v}");
        assert!(
            v["error"]["message"].as_str().unwrap().contains("admin"),
            "{v}"
        );
    }
    let (status, v) = svc.call("GET", "/api/v1/audit", Some(OPERATOR), "").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    let (status, v) = svc
        .call(
            "POST",
            "/api/v1/runs",
            Some(OPERATOR),
            "{\"hosts\": \"nothing-*\"}",
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    let (status, v) = svc.call("POST", "/api/v1/runs", Some(OPERATOR), "{}").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    let id = v["run_id"].as_i64().unwrap();
    svc.wait_run(id).await;
    let (status, v) = svc
        .call(
            "POST",
            &format!("/api/v1/runs/{id}/cancel"),
            Some(OPERATOR),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    // The admin may ask for a downgrade (nothing to downgrade here).
    let (status, v) = svc
        .call(
            "POST",
            "/api/v1/runs",
            Some(ADMIN),
            r#"{"allow_downgrade": true}"#,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    let admin_run = v["run_id"].as_i64().unwrap();
    svc.wait_run(admin_run).await;

    let entries = svc.audit().await;
    let rows: Vec<(String, String, String, String)> = entries
        .iter()
        .rev()
        .map(|e| {
            assert_eq!(e["via"], "api", "{e}");
            assert!(
                e["origin"].as_str().unwrap().starts_with("127.0.0.1:"),
                "{e}"
            );
            assert!(!e["at"].as_str().unwrap().is_empty(), "{e}");
            if e["outcome"] != "denied" {
                assert!(e["finished_at"].is_string(), "finished: {e}");
            }
            (
                e["who"].as_str().unwrap().to_string(),
                e["role"].as_str().unwrap().to_string(),
                e["action"].as_str().unwrap().to_string(),
                e["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let row = |who: &str, role: &str, action: &str, outcome: &str| {
        (
            who.to_string(),
            role.to_string(),
            action.to_string(),
            outcome.to_string(),
        )
    };
    let mutating = ROUTES.iter().filter(|(m, _)| *m != "GET").count();
    let mut want = Vec::new();
    for (method, path) in ROUTES {
        if method != "GET" {
            let action = if path.ends_with("cancel") {
                "runs.cancel"
            } else if path.ends_with("pause") {
                "runs.pause"
            } else if path.ends_with("resume") {
                "runs.resume"
            } else if path.ends_with("approve") {
                "runs.approve"
            } else {
                "runs.start"
            };
            want.push(row("token:grafana", "viewer", action, "denied"));
        }
    }
    assert_eq!(want.len(), mutating);
    want.extend([
        row("token:oncall", "operator", "runs.start", "denied"),
        row("token:oncall", "operator", "runs.start", "denied"),
        row("token:oncall", "operator", "runs.start", "failed"),
        row("token:oncall", "operator", "runs.start", "ok"),
        row("token:oncall", "operator", "runs.cancel", "failed"),
        row("token:default", "admin", "runs.start", "ok"),
    ]);
    assert_eq!(rows, want, "{entries:#?}");
    let ok = entries
        .iter()
        .find(|e| e["who"] == "token:oncall" && e["outcome"] == "ok")
        .unwrap();
    assert_eq!(ok["target"], format!("run {id}"), "{ok}");
    assert_eq!(ok["detail"], "{}", "{ok}");
    let denied = entries
        .iter()
        .find(|e| {
            e["outcome"] == "denied"
                && e["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("allow_downgrade"))
        })
        .unwrap();
    assert_eq!(denied["who"], "token:oncall", "{denied}");
    // Paging: `before` the newest gives the rest.
    let newest = entries[0]["id"].as_i64().unwrap();
    let (_, v) = svc
        .call(
            "GET",
            &format!("/api/v1/audit?limit=2&before={newest}"),
            Some(ADMIN),
            "",
        )
        .await;
    let page: Vec<i64> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(page, vec![newest - 1, newest - 2]);
    svc.shutdown().await;
}

fn fwfleet(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_fwfleet"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

#[test]
fn cli_commands_that_change_something_are_audited_and_fwfleet_audit_shows_them() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("fleet.toml");
    mock_bmc::fleet::write_private(
        &config,
        b"[[hosts]]\nname = \"a\"\nurl = \"https://127.0.0.1:9\"\nusername = \"root\"\npassword = \"pw\"\n",
    )
    .unwrap();
    let cfg = config.to_str().unwrap();
    // A read changes nothing and leaves no row; a removal that fails does.
    let out = fwfleet(&["repo", "list", "--config", cfg]);
    let _ = out;
    let out = fwfleet(&["repo", "remove", "nosuch.bin", "--config", cfg]);
    assert!(!out.status.success());
    let out = fwfleet(&["audit", "--config", cfg, "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{v:#}");
    let e = &entries[0];
    assert_eq!(e["action"], "repo.remove", "{e}");
    assert_eq!(e["target"], "nosuch.bin", "{e}");
    assert_eq!(e["via"], "cli", "{e}");
    assert_eq!(e["outcome"], "failed", "{e}");
    assert!(e["role"].is_null(), "{e}");
    assert!(e["who"].as_str().unwrap().starts_with("user:"), "{e}");
    assert!(e["origin"].as_str().unwrap().starts_with("local"), "{e}");
    assert!(e["detail"].as_str().unwrap().contains("nosuch.bin"), "{e}");
    assert!(e["finished_at"].is_string(), "{e}");
    let out = fwfleet(&["audit", "--config", cfg]);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.starts_with("ID ") && table.contains("repo.remove") && table.contains("failed"),
        "{table}"
    );
}

/// A self-signed certificate for 127.0.0.1, written as PEM into `dir`;
/// returns the paths and the certificate's PEM.
fn api_certificate(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, String) {
    let ck = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let (cert, key) = (dir.join("api.pem"), dir.join("api.key"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    mock_bmc::fleet::write_private(&key, ck.key_pair.serialize_pem().as_bytes()).unwrap();
    (cert, key, ck.cert.pem())
}

/// Read until the server closes the connection; `None` if it did not
/// within a generous bound (the test then fails).
async fn read_until_closed(mut s: impl tokio::io::AsyncRead + Unpin) -> Option<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    match tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut got)).await {
        Ok(_) => Some(got),
        Err(_) => None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_serves_tls_with_the_configured_certificate_and_cuts_a_silent_handshake() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, pem) = api_certificate(dir.path());
    let s = fleet_with_tokens(
        1,
        &format!(
            "tls_cert = {:?}\ntls_key = {:?}\nheader_timeout_secs = 0.5\n",
            cert.to_str().unwrap(),
            key.to_str().unwrap()
        ),
    )
    .await;
    let trusting = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let svc = start(&s.config, trusting).await;
    assert!(svc.url("/").starts_with("https://127.0.0.1:"));
    let (status, v) = svc.call("GET", "/api/v1/hosts", Some(VIEWER), "").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, _) = svc.call("GET", "/api/v1/runs", None, "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A client that does not trust the certificate gets no answer.
    let err = plain_client()
        .get(svc.url("/healthz"))
        .send()
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("UnknownIssuer"), "{err:?}");
    // Plain HTTP on the TLS port is not served.
    let err = plain_client()
        .get(format!("http://{}/healthz", svc.addr))
        .send()
        .await;
    assert!(
        err.as_ref().map_or(true, |r| !r.status().is_success()),
        "{err:?}"
    );
    // A client that connects and never starts the handshake is cut off.
    let tcp = tokio::net::TcpStream::connect(svc.addr).await.unwrap();
    assert!(
        read_until_closed(tcp).await.is_some(),
        "the silent TLS client is still connected"
    );
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_half_sent_request_is_closed_after_the_header_timeout() {
    use tokio::io::AsyncWriteExt;
    let s = fleet_with_tokens(1, "header_timeout_secs = 0.5\n").await;
    let svc = start(&s.config, plain_client()).await;
    let mut tcp = tokio::net::TcpStream::connect(svc.addr).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .await
        .unwrap();
    let t0 = Instant::now();
    let got = read_until_closed(tcp)
        .await
        .expect("the half-sent request is still open");
    assert!(
        t0.elapsed() >= Duration::from_millis(400),
        "closed before the timeout: {:?}",
        t0.elapsed()
    );
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
    // Meanwhile, and after, whole requests are served.
    let (status, _) = svc.call("GET", "/healthz", None, "").await;
    assert_eq!(status, StatusCode::OK);
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = fleet_with_tokens(1, "header_timeout_secs = 60\nidle_timeout_secs = 0.5\n").await;
    let svc = start(&s.config, plain_client()).await;
    let mut tcp = tokio::net::TcpStream::connect(svc.addr).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 12];
    tcp.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    assert!(
        read_until_closed(tcp).await.is_some(),
        "the idle connection is still open"
    );
    svc.shutdown().await;
}

/// A fleet of `count` self-signed HTTPS BMCs and a config without pins.
async fn unpinned_tls_fleet(count: usize) -> (tempfile::TempDir, MockFleet, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let fleet = MockFleet::start(
        FleetConfig {
            count,
            profile: Profile::Single(Persona::Generic),
            tls: mock_bmc::TlsMode::SelfSigned,
            timing: timing(),
            ..FleetConfig::default()
        }
        .ideal(),
    )
    .await
    .unwrap();
    let text: String = fleet
        .fleet_toml()
        .lines()
        .filter(|l| !l.starts_with("tls_fingerprint_sha256"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(!text.contains("tls_fingerprint_sha256"));
    let config = dir.path().join("fleet.toml");
    mock_bmc::fleet::write_private(&config, text.as_bytes()).unwrap();
    (dir, fleet, config)
}

fn text(out: &std::process::Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn trust_on_a_self_signed_bmc_shows_its_fingerprint_and_writes_a_working_pin() {
    let (dir, fleet, config) = unpinned_tls_fleet(2).await;
    let cfg = config.to_str().unwrap().to_string();
    let fps: Vec<String> = fleet
        .bmcs
        .iter()
        .map(|b| b.tls_fingerprint().unwrap().to_string())
        .collect();
    let names: Vec<String> = fleet.bmcs.iter().map(|b| b.name().to_string()).collect();
    let run = |args: Vec<String>| async move {
        tokio::task::spawn_blocking(move || {
            fwfleet(&args.iter().map(String::as_str).collect::<Vec<_>>())
        })
        .await
        .unwrap()
    };
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    // Unpinned, the TLS error shows the fingerprint and names the command.
    let out = run(args(&["inventory", "--config", &cfg, "--no-save"])).await;
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("UnknownIssuer") && t.contains(&fps[0]) && t.contains("fwfleet trust"),
        "{t}"
    );

    // Without --yes and no terminal to ask on, nothing is written.
    let before = std::fs::read_to_string(&config).unwrap();
    let out = run(args(&["trust", "--config", &cfg])).await;
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains(&fps[0]) && t.contains(&fps[1]) && t.contains("--yes"),
        "{t}"
    );
    assert!(t.contains("self-signed") && t.contains("valid"), "{t}");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), before);
    let out = run(args(&["trust", "--config", &cfg, "--dry-run"])).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&config).unwrap(), before);

    // --yes pins both, in place: the rest of the file as it was.
    let out = run(args(&[
        "trust", "--config", &cfg, "--yes", "--format", "json",
    ]))
    .await;
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verified"].as_array().unwrap().len(), 2, "{v:#}");
    assert_eq!(
        v["hosts"][0]["certificate"]["fingerprint"],
        fps[0].as_str(),
        "{v:#}"
    );
    let after = std::fs::read_to_string(&config).unwrap();
    assert!(
        after.starts_with("# fwfleet fleet file written by mock-bmc"),
        "{after}"
    );
    for fp in &fps {
        assert!(
            after.contains(&format!("tls_fingerprint_sha256 = \"{fp}\"")),
            "{after}"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&config).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the config keeps its mode");
    }
    let out = run(args(&["inventory", "--config", &cfg, "--no-save"])).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // Again: nothing to do.
    let out = run(args(&["trust", "--config", &cfg, "--yes"])).await;
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains("already pinned") && t.contains("nothing to pin"),
        "{t}"
    );

    // Into a pins file the config then names.
    let (_dir2, _fleet2, config2) = {
        let c = dir.path().join("second.toml");
        mock_bmc::fleet::write_private(&c, before.as_bytes()).unwrap();
        (0, 0, c)
    };
    let cfg2 = config2.to_str().unwrap().to_string();
    let pins = dir.path().join("pins.toml");
    let out = run(args(&[
        "trust",
        "--config",
        &cfg2,
        "--hosts",
        &names[0],
        "--yes",
        "--pins-file",
        pins.to_str().unwrap(),
    ]))
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let pins_text = std::fs::read_to_string(&pins).unwrap();
    assert!(
        pins_text.contains(&format!("[hosts.{}]", names[0])) && pins_text.contains(&fps[0]),
        "{pins_text}"
    );
    assert!(std::fs::read_to_string(&config2)
        .unwrap()
        .contains("tls_pins_file = \"pins.toml\""));
    let out = run(args(&[
        "inventory",
        "--config",
        &cfg2,
        "--no-save",
        "--hosts",
        &names[0],
    ]))
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = run(args(&[
        "inventory",
        "--config",
        &cfg2,
        "--no-save",
        "--hosts",
        &names[1],
    ]))
    .await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "the other host is not pinned: {}",
        text(&out)
    );

    // Each trust that wrote is in the audit trail.
    let out = run(args(&["audit", "--config", &cfg, "--format", "json"])).await;
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let actions: Vec<(&str, &str)> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        actions.contains(&("trust", "ok")) && actions.contains(&("trust", "failed")),
        "{v:#}"
    );
}

/// An image-server certificate for `names`, as PEM files in `dir`.
fn image_server_certificate(dir: &Path, names: &[&str], stem: &str) -> (String, String) {
    let ck =
        rcgen::generate_simple_self_signed(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
    let (cert, key) = (
        dir.join(format!("{stem}.pem")),
        dir.join(format!("{stem}.key")),
    );
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    mock_bmc::fleet::write_private(&key, ck.key_pair.serialize_pem().as_bytes()).unwrap();
    (
        cert.to_str().unwrap().to_string(),
        key.to_str().unwrap().to_string(),
    )
}

/// The mock BMC's UpdateService and its RemoteServerCertificates, read as a client would.
async fn remote_cert_settings(fleet: &MockFleet) -> (Value, usize) {
    let b = &fleet.bmcs[0];
    let http = plain_client();
    let get = |path: &str| {
        http.get(format!("{}{path}", b.url()))
            .basic_auth(b.username(), Some(b.password()))
            .send()
    };
    let us: Value = get("/redfish/v1/UpdateService")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let certs: Value = get("/redfish/v1/UpdateService/RemoteServerCertificates")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        us["VerifyRemoteServerCertificate"].clone(),
        certs["Members"].as_array().unwrap().len(),
    )
}

async fn run_with_image_server(s: &Setup, cert: &str, key: &str) -> Value {
    let mut text = std::fs::read_to_string(&s.config).unwrap();
    text.push_str(&format!(
        "\n[image_server]\ntls_cert = {cert:?}\ntls_key = {key:?}\nbmc_verify_certificate = true\n"
    ));
    mock_bmc::fleet::write_private(&s.config, text.as_bytes()).unwrap();
    let svc = start(&s.config, plain_client()).await;
    let (status, v) = svc.call("POST", "/api/v1/runs", Some(OPERATOR), "{}").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    let id = v["run_id"].as_i64().unwrap();
    svc.wait_run(id).await;
    let (_, v) = svc
        .call("GET", &format!("/api/v1/runs/{id}"), Some(VIEWER), "")
        .await;
    svc.shutdown().await;
    v
}

fn image_tls_events(run: &Value) -> Vec<String> {
    run["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "image-tls")
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bmc_verifies_the_image_servers_certificate_and_is_restored_afterwards() {
    let s = fleet_with_tokens(1, "").await;
    assert_eq!(
        remote_cert_settings(&s.fleet).await,
        (Value::Bool(false), 0)
    );
    let (cert, key) = image_server_certificate(s.dir.path(), &["127.0.0.1"], "images");
    let run = run_with_image_server(&s, &cert, &key).await;
    let steps = run["steps"].as_array().unwrap();
    assert!(!steps.is_empty(), "{run:#}");
    assert!(steps.iter().all(|st| st["outcome"] == "updated"), "{run:#}");
    let events = image_tls_events(&run);
    assert!(
        events
            .iter()
            .any(|e| e.contains("VerifyRemoteServerCertificate was false")),
        "{events:#?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e.contains("restored VerifyRemoteServerCertificate = false")),
        "{events:#?}"
    );
    assert!(flashes(&s) > 0, "the image was flashed");
    // The BMC is as it was.
    assert_eq!(
        remote_cert_settings(&s.fleet).await,
        (Value::Bool(false), 0)
    );
}

/// Flashes of the fleet's first BMC, every component summed.
fn flashes(s: &Setup) -> u64 {
    s.fleet.bmcs[0].state()["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["flash_count"].as_u64().unwrap())
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bmc_that_verifies_refuses_an_image_server_certificate_for_another_name() {
    let s = fleet_with_tokens(1, "").await;
    let (cert, key) = image_server_certificate(s.dir.path(), &["images.example.invalid"], "wrong");
    let run = run_with_image_server(&s, &cert, &key).await;
    let steps = run["steps"].as_array().unwrap();
    assert!(!steps.is_empty(), "{run:#}");
    assert!(
        steps.iter().all(|st| st["outcome"] == "failed"),
        "the BMC refused the download: {run:#}"
    );
    let events = image_tls_events(&run);
    assert!(
        events
            .iter()
            .any(|e| e.contains("restored VerifyRemoteServerCertificate = false")),
        "{events:#?}"
    );
    assert_eq!(
        remote_cert_settings(&s.fleet).await,
        (Value::Bool(false), 0)
    );
    assert_eq!(flashes(&s), 0, "nothing was flashed");
}

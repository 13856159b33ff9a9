//! `fwfleet serve` over real HTTP on 127.0.0.1: the API (auth, JSON errors,
//! runs, hosts, metrics, cancel), the scheduler firing a window, the OpenAPI
//! document against the router, and the binary's SIGTERM shutdown. The mock
//! BMCs' flash counters judge what was flashed.

use super::apply::{repository_of_kind, setup, timing, Setup};
use fwfleet::config::Config;
use fwfleet::daemon::api::ROUTES;
use fwfleet::daemon::auth::Token;
use fwfleet::daemon::DaemonError;
use mock_bmc::bmc::Timing;
use mock_bmc::{FleetConfig, Persona, Profile};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub(crate) const TOKEN: &str = "test-token-0123456789abcdef";

/// A daemon served in-process on 127.0.0.1 port 0.
pub(crate) struct Service {
    addr: SocketAddr,
    stop: CancellationToken,
    task: JoinHandle<Result<(), DaemonError>>,
    http: reqwest::Client,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

pub(crate) async fn start_service(config: &Path) -> Service {
    start_service_with(config, Token::new(TOKEN, "test").unwrap().into()).await
}

/// [`start_service`] with these tokens.
pub(crate) async fn start_service_with(
    config: &Path,
    keys: fwfleet::daemon::auth::Keyring,
) -> Service {
    let cfg = Config::load(config).unwrap();
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
        stop,
        task,
        http: client(),
    };
    // The listener is bound already; wait until the router answers.
    let t0 = Instant::now();
    while svc.http.get(svc.url("/healthz")).send().await.is_err() {
        assert!(t0.elapsed() < Duration::from_secs(20), "no /healthz");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    svc
}

impl Service {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (StatusCode, reqwest::header::HeaderMap, String) {
        let mut req = self.http.request(method.parse().unwrap(), self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let resp = req.send().await.unwrap();
        let (status, headers) = (resp.status(), resp.headers().clone());
        (status, headers, resp.text().await.unwrap())
    }

    /// An authorised request whose answer is JSON.
    pub(crate) async fn json(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> (StatusCode, Value) {
        let (status, headers, text) = self.call(method, path, Some(TOKEN), body).await;
        assert_eq!(
            headers.get("content-type").and_then(|v| v.to_str().ok()),
            Some("application/json"),
            "{method} {path}: {status} {text}"
        );
        let v = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {text}"));
        (status, v)
    }

    pub(crate) async fn metrics(&self) -> BTreeMap<String, f64> {
        let (status, headers, text) = self.call("GET", "/metrics", Some(TOKEN), None).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        assert_eq!(
            headers.get("content-type").unwrap(),
            "text/plain; version=0.0.4; charset=utf-8"
        );
        parse_prometheus(&text)
    }

    /// Wait until run `id` is finished and the slot is free again (its
    /// rescan included), and return `GET /api/v1/runs/{id}`.
    pub(crate) async fn wait_run(&self, id: i64) -> Value {
        let t0 = Instant::now();
        loop {
            let (status, v) = self.json("GET", &format!("/api/v1/runs/{id}"), None).await;
            assert_eq!(status, StatusCode::OK, "{v}");
            if !v["run"]["finished_at"].is_null() && v["run"]["active"] == false {
                return v;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(90),
                "run {id} did not finish: {v:#}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub(crate) async fn shutdown(self) {
        self.stop.cancel();
        tokio::time::timeout(Duration::from_secs(60), self.task)
            .await
            .expect("the service stops")
            .unwrap()
            .unwrap();
    }
}

/// `name{labels} value` lines → map; comments and blank lines skipped. Each
/// sample line must be well formed, and every family must have HELP and TYPE.
fn parse_prometheus(text: &str) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    let mut typed = std::collections::HashSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split(' ');
            let name = parts.next().unwrap();
            let kind = parts.next().unwrap();
            assert!(["gauge", "counter", "histogram"].contains(&kind), "{line}");
            typed.insert(name.to_string());
            continue;
        }
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("bad line {line}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value in {line}"));
        let family = series.split('{').next().unwrap();
        let base = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| family.strip_suffix(s))
            .filter(|b| typed.contains(*b))
            .unwrap_or(family);
        assert!(typed.contains(base), "{family} has no TYPE line");
        assert!(
            out.insert(series.to_string(), value).is_none(),
            "{series} twice"
        );
    }
    out
}

/// Flashes per BMC of the fleet (every component summed).
pub(crate) fn flashes(s: &Setup) -> Vec<u64> {
    s.fleet
        .bmcs
        .iter()
        .map(|b| {
            b.state()["components"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["flash_count"].as_u64().unwrap())
                .sum()
        })
        .collect()
}

pub(crate) fn generic_fleet(count: usize, timing: Timing) -> FleetConfig {
    FleetConfig {
        count,
        profile: Profile::Single(Persona::Generic),
        timing,
        ..FleetConfig::default()
    }
}

/// A fleet of `count` generic BMCs with a repository one minor BMC version
/// ahead; `extra` is appended to the config after `[rollout]`.
async fn fleet_with_bmc_images(count: usize, timing: Timing, extra: &str) -> Setup {
    let s = setup(
        generic_fleet(count, timing),
        &format!("canary = 0\nstep_deadline_secs = 60\n{extra}"),
    )
    .await;
    repository_of_kind(&s, mock_bmc::Kind::Bmc, mock_bmc::vstyle::Bump::Minor, None).await;
    s
}

fn error_code(v: &Value) -> &str {
    assert!(v["error"]["message"].is_string(), "{v}");
    v["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no code: {v}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn startup_resumes_what_a_stopped_process_left_and_holds_the_update_lock() {
    let s = setup(generic_fleet(1, timing()), "").await;
    // A run a killed process left "running".
    let cfg = Config::load(&s.config).unwrap();
    let left = {
        let store = fwfleet::store::SqliteStore::open(&cfg.state_dir).unwrap();
        store
            .create_run("running", &json!({"command": "apply"}))
            .unwrap()
    };
    let svc = start_service(&s.config).await;
    let (_, v) = svc.json("GET", &format!("/api/v1/runs/{left}"), None).await;
    assert_eq!(v["run"]["status"], "interrupted", "{v:#}");
    // While the service runs, no other process may update from its store.
    let e = fwfleet::updater::lock::UpdateLock::acquire(&cfg.state_dir)
        .unwrap_err()
        .to_string();
    assert!(e.contains("another fwfleet"), "{e}");
    svc.shutdown().await;
    // Released with the service.
    fwfleet::updater::lock::UpdateLock::acquire(&cfg.state_dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_healthz_and_json_errors() {
    let s = setup(generic_fleet(1, timing()), "").await;
    let svc = start_service(&s.config).await;
    // /healthz needs no token.
    let (status, _, body) = svc.call("GET", "/healthz", None, None).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, r#"{"status":"ok"}"#)
    );
    // Everything else does: none, a wrong one, a wrong scheme.
    for path in [
        "/api/v1/hosts",
        "/api/v1/runs",
        "/metrics",
        "/api/v1/runs/1",
    ] {
        for token in [None, Some("wrong-token-0123456789abcdef")] {
            let (status, headers, body) = svc.call("GET", path, token, None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path} {token:?}");
            assert_eq!(
                headers.get("www-authenticate").unwrap(),
                "Bearer realm=\"fwfleet\""
            );
            let v: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(error_code(&v), "unauthorized");
            assert!(!body.contains("wrong-token"), "{body}");
        }
    }
    let basic = svc
        .http
        .get(svc.url("/api/v1/runs"))
        .basic_auth("admin", Some(TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);
    let (status, _, _) = svc.call("POST", "/api/v1/runs", None, Some("{}")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no run without a token");
    // Unknown routes and wrong methods.
    let (status, v) = svc.json("GET", "/api/v1/nothing-here", None).await;
    assert_eq!(
        (status, error_code(&v)),
        (StatusCode::NOT_FOUND, "not-found")
    );
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("/api/v1/nothing-here"));
    let (status, v) = svc.json("DELETE", "/api/v1/runs", None).await;
    assert_eq!(
        (status, error_code(&v)),
        (StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed")
    );
    // Bad bodies name the field; nothing starts.
    let bad = [
        (r#"{"max_parallel": "#, "body"),
        (r#"{"max_parallel": "two"}"#, "max_parallel"),
        (r#"{"maxparallel": 2}"#, "maxparallel"),
        (r#"{"failure_budget": 2.0}"#, "failure_budget"),
        (r#"{"max_parallel": 0}"#, "max_parallel"),
        (r#"{"reset_policy": "sometimes"}"#, "reset_policy"),
        (r#"{"hosts": "rack9-*"}"#, "matches no host"),
        (r#"{"hosts": "a[b"}"#, "a[b"),
        (r#"{"selector": "rack="}"#, "selector 'rack='"),
        (r#"{"selector": "rack=r99"}"#, "matches no host"),
        (r#"{"hosts": "rack=r1"}"#, "label term"),
        (r#"{"exclude": "bmc-*"}"#, "matches no host"),
        (r#"{"kinds": ["gpu"]}"#, "kinds"),
        ("[1, 2]", "body"),
    ];
    for (body, words) in bad {
        let (status, v) = svc.json("POST", "/api/v1/runs", Some(body)).await;
        assert_eq!(
            (status, error_code(&v)),
            (StatusCode::BAD_REQUEST, "bad-request"),
            "{body}: {v}"
        );
        let m = v["error"]["message"].as_str().unwrap();
        assert!(m.contains(words), "{body}: {m}");
    }
    let huge = format!(r#"{{"hosts": "{}"}}"#, "x".repeat(100 * 1024));
    let (status, v) = svc.json("POST", "/api/v1/runs", Some(&huge)).await;
    assert_eq!(
        (status, error_code(&v)),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large")
    );
    // Runs and hosts that do not exist.
    let (status, v) = svc.json("GET", "/api/v1/runs/abc", None).await;
    assert_eq!(
        (status, error_code(&v)),
        (StatusCode::BAD_REQUEST, "bad-request")
    );
    let (status, v) = svc.json("GET", "/api/v1/runs/999", None).await;
    assert_eq!(
        (status, error_code(&v)),
        (StatusCode::NOT_FOUND, "not-found")
    );
    let (status, v) = svc.json("POST", "/api/v1/runs/999/cancel", None).await;
    assert_eq!(
        (status, error_code(&v)),
        (StatusCode::NOT_FOUND, "not-found")
    );
    let (status, v) = svc.json("GET", "/api/v1/hosts/no-such-host", None).await;
    assert_eq!(
        (status, error_code(&v)),
        (StatusCode::NOT_FOUND, "not-found")
    );
    let (status, v) = svc.json("GET", "/api/v1/runs?limit=0", None).await;
    assert_eq!(
        (status, error_code(&v)),
        (StatusCode::BAD_REQUEST, "bad-request")
    );
    let (status, v) = svc.json("GET", "/api/v1/runs?limt=3", None).await;
    assert_eq!(
        (status, error_code(&v)),
        (StatusCode::BAD_REQUEST, "bad-request")
    );
    // No run was created by any of that.
    let (status, v) = svc.json("GET", "/api/v1/runs", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["runs"], json!([]), "{v}");
    assert_eq!(v["active"], Value::Null);
    // Before any scan: the host is listed, unscanned.
    let (status, v) = svc.json("GET", "/api/v1/hosts", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["hosts"][0]["compliance"], "unscanned", "{v}");
    assert_eq!(v["summary"]["by_compliance"]["unscanned"], 1);
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rollout_started_through_the_api_updates_every_host_and_shows_in_runs_hosts_and_metrics()
{
    let count = 3;
    let s = fleet_with_bmc_images(count, timing(), "max_parallel = 3").await;
    let svc = start_service(&s.config).await;
    let (status, headers, body) = svc
        .call(
            "POST",
            "/api/v1/runs",
            Some(TOKEN),
            Some(r#"{"max_parallel": 2, "canary": 1}"#),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let id = v["run_id"].as_i64().unwrap();
    let location = format!("/api/v1/runs/{id}");
    assert_eq!(headers.get("location").unwrap(), location.as_str());
    assert_eq!(v["location"], location.as_str());
    // One rollout at a time.
    let (status, v) = svc.json("POST", "/api/v1/runs", Some("{}")).await;
    assert_eq!(
        (status, error_code(&v)),
        (StatusCode::CONFLICT, "run-active"),
        "{v}"
    );
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&format!("run {id}")));
    let (_, list) = svc.json("GET", "/api/v1/runs", None).await;
    assert_eq!(list["active"]["run_id"], id, "{list}");
    let done = svc.wait_run(id).await;
    assert_eq!(done["run"]["status"], "completed", "{done:#}");
    assert_eq!(done["run"]["options"]["trigger"], "api");
    assert_eq!(done["run"]["options"]["max_parallel"], 2);
    assert_eq!(done["run"]["options"]["canary"], 1);
    let steps = done["steps"].as_array().unwrap();
    assert_eq!(steps.len(), count, "{done:#}");
    for st in steps {
        assert_eq!(st["state"], "done", "{st}");
        assert_eq!(st["outcome"], "updated", "{st}");
    }
    let kinds: Vec<&str> = done["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for k in ["scan", "started", "completed", "rescan"] {
        assert!(kinds.contains(&k), "{k} not in {kinds:?}");
    }
    // The BMCs were each flashed once.
    assert_eq!(flashes(&s), vec![1; count]);
    let new_version = steps[0]["to_version"].as_str().unwrap().to_string();
    // Runs list.
    let (status, list) = svc.json("GET", "/api/v1/runs?limit=5", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["active"], Value::Null);
    assert_eq!(list["runs"][0]["id"], id);
    assert_eq!(list["runs"][0]["active"], false);
    assert_eq!(
        list["runs"][0]["steps_by_outcome"],
        json!({"updated": count})
    );
    // Hosts: the rescan after the run shows every host compliant.
    let (status, hosts) = svc.json("GET", "/api/v1/hosts", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        hosts["summary"]["by_compliance"]["compliant"], count,
        "{hosts:#}"
    );
    for h in hosts["hosts"].as_array().unwrap() {
        assert_eq!(h["compliance"], "compliant", "{h:#}");
        assert_eq!(h["changes"], json!([]));
        assert!(
            h["components"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["kind"] == "bmc" && c["version"] == new_version.as_str()),
            "{h:#}"
        );
    }
    let name = s.fleet.bmcs[0].name();
    let (status, one) = svc
        .json("GET", &format!("/api/v1/hosts/{name}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["name"], name);
    assert_eq!(one["inventory"]["ok"], true);
    assert!(
        one["plan"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|st| st["action"] != "upgrade"),
        "{one:#}"
    );
    // Metrics, as numbers.
    let m = svc.metrics().await;
    let n = count as f64;
    assert_eq!(m[r#"fwfleet_steps_total{outcome="updated"}"#], n, "{m:#?}");
    assert_eq!(m["fwfleet_step_duration_seconds_count"], n);
    assert_eq!(m[r#"fwfleet_step_duration_seconds_bucket{le="+Inf"}"#], n);
    assert!(m["fwfleet_step_duration_seconds_sum"] > 0.0);
    let mut last_bucket = 0.0;
    for b in fwfleet::daemon::metrics::DURATION_BUCKETS {
        let v = m[&format!("fwfleet_step_duration_seconds_bucket{{le=\"{b}\"}}")];
        assert!(v >= last_bucket, "buckets are cumulative");
        last_bucket = v;
    }
    assert_eq!(last_bucket, n, "every step ran under two hours");
    assert_eq!(m[r#"fwfleet_hosts{compliance="compliant"}"#], n);
    assert_eq!(m[r#"fwfleet_hosts{compliance="non-compliant"}"#], 0.0);
    assert_eq!(m[r#"fwfleet_hosts{compliance="unscanned"}"#], 0.0);
    assert_eq!(
        m[&format!("fwfleet_components{{kind=\"bmc\",version=\"{new_version}\"}}")],
        n,
        "{m:#?}"
    );
    assert_eq!(m["fwfleet_updates_in_flight"], 0.0);
    assert_eq!(m["fwfleet_run_active"], 0.0);
    assert_eq!(m[r#"fwfleet_runs_total{status="completed"}"#], 1.0);
    let now = chrono::Utc::now().timestamp() as f64;
    let scanned = m["fwfleet_last_scan_timestamp_seconds"];
    assert!(
        now - scanned < 120.0 && scanned <= now + 1.0,
        "{scanned} vs {now}"
    );
    // No windows configured: no next window.
    assert!(!m.contains_key("fwfleet_next_window_start_timestamp_seconds"));
    // A finished run cannot be cancelled.
    let (status, v) = svc
        .json("POST", &format!("/api/v1/runs/{id}/cancel"), None)
        .await;
    assert_eq!(
        (status, error_code(&v)),
        (StatusCode::CONFLICT, "run-not-active")
    );
    svc.shutdown().await;
}

/// Issue 18: the API takes the CLI's selection: a label selector, an
/// exclusion and component kinds choose what a run touches.
#[tokio::test(flavor = "multi_thread")]
async fn an_api_run_takes_a_label_selector_an_exclusion_and_kinds() {
    let s = fleet_with_bmc_images(4, timing(), "max_parallel = 4").await;
    // BIOS images too, which `kinds: ["bmc"]` must leave alone.
    super::apply::repository_of_kind(
        &s,
        mock_bmc::Kind::Bios,
        mock_bmc::vstyle::Bump::Minor,
        None,
    )
    .await;
    let mut text = std::fs::read_to_string(&s.config).unwrap();
    for i in 1..=4 {
        let name = format!("name = \"bmc-{i:04}\"");
        let rack = if i <= 3 { "a" } else { "b" };
        text = text.replace(&name, &format!("{name}\nlabels = {{ rack = \"{rack}\" }}"));
    }
    std::fs::write(&s.config, text).unwrap();
    let before = flashes(&s);
    let svc = start_service(&s.config).await;
    let (status, v) = svc
        .json(
            "POST",
            "/api/v1/runs",
            Some(r#"{"selector": "rack=a", "exclude": "bmc-0002", "kinds": ["bmc"]}"#),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    let id = v["run_id"].as_i64().unwrap();
    let done = svc.wait_run(id).await;
    assert_eq!(done["run"]["status"], "completed", "{done:#}");
    // The fleet view takes the same selection.
    let (status, v) = svc
        .json(
            "GET",
            "/api/v1/hosts?selector=rack%3Da&exclude=bmc-0002",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let names: Vec<&str> = v["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bmc-0001", "bmc-0003"], "{v}");
    assert_eq!(v["summary"]["hosts"], 2, "{v}");
    let (status, v) = svc
        .json("GET", "/api/v1/hosts?selector=rack%3D", None)
        .await;
    assert_eq!(
        (status, error_code(&v)),
        (StatusCode::BAD_REQUEST, "bad-request"),
        "{v}"
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("selector 'rack='"),
        "{v}"
    );
    assert_eq!(
        done["run"]["options"]["options"]["selector"], "rack=a",
        "{done:#}"
    );
    assert_eq!(
        done["run"]["options"]["options"]["kinds"],
        json!(["bmc"]),
        "{done:#}"
    );
    // Hosts run in parallel: their steps are journaled in any order.
    let mut hosts: Vec<&str> = done["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|st| st["host"].as_str().unwrap())
        .collect();
    hosts.sort();
    assert_eq!(hosts, ["bmc-0001", "bmc-0003"], "{done:#}");
    svc.shutdown().await;
    // One flash each on the chosen hosts (their BMC), none elsewhere.
    let after = flashes(&s);
    let diff: Vec<u64> = after.iter().zip(&before).map(|(a, b)| a - b).collect();
    assert_eq!(diff, [1, 0, 1, 0], "{done:#}");
}

fn slow_timing() -> Timing {
    Timing {
        update: Duration::from_secs(3),
        ..timing()
    }
}

/// Poll until run `id` has a journaled step.
pub(crate) async fn wait_for_a_step(svc: &Service, id: i64) {
    let t0 = Instant::now();
    loop {
        let (_, v) = svc.json("GET", &format!("/api/v1/runs/{id}"), None).await;
        if !v["steps"].as_array().unwrap().is_empty() {
            return;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "no step started: {v:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_stops_new_steps_and_running_ones_are_recorded() {
    let count = 3;
    let s = fleet_with_bmc_images(count, slow_timing(), "max_parallel = 1").await;
    let svc = start_service(&s.config).await;
    let (status, v) = svc.json("POST", "/api/v1/runs", None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    let id = v["run_id"].as_i64().unwrap();
    wait_for_a_step(&svc, id).await;
    let (status, v) = svc
        .json("POST", &format!("/api/v1/runs/{id}/cancel"), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["status"], "cancelling");
    let done = svc.wait_run(id).await;
    assert_eq!(done["run"]["status"], "cancelled", "{done:#}");
    // The step that was running finished and was recorded; no other started.
    let steps = done["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 1, "{done:#}");
    assert_eq!(steps[0]["state"], "done");
    assert_eq!(steps[0]["outcome"], "updated");
    let flashed = flashes(&s);
    assert_eq!(flashed.iter().sum::<u64>(), 1, "{flashed:?}");
    assert!(done["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "cancel"));
    let m = svc.metrics().await;
    assert_eq!(m[r#"fwfleet_steps_total{outcome="updated"}"#], 1.0);
    assert_eq!(
        m[r#"fwfleet_steps_total{outcome="not-started"}"#],
        (count - 1) as f64
    );
    assert_eq!(m["fwfleet_step_duration_seconds_count"], 1.0);
    assert_eq!(m[r#"fwfleet_runs_total{status="cancelled"}"#], 1.0);
    // The slot is free: the rest can be rolled out now.
    let (status, v) = svc
        .json("POST", "/api/v1/runs", Some(r#"{"max_parallel": 3}"#))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    let done = svc.wait_run(v["run_id"].as_i64().unwrap()).await;
    assert_eq!(done["run"]["status"], "completed", "{done:#}");
    assert_eq!(flashes(&s), vec![1; count]);
    svc.shutdown().await;
}

/// `[[windows]]` opening `secs` from now, for `duration`.
pub(crate) fn window_in(secs: i64, duration: &str) -> (chrono::DateTime<chrono::Utc>, String) {
    let at = chrono::Utc::now() + chrono::TimeDelta::seconds(secs);
    let at = at.with_nanosecond(0).unwrap();
    (
        at,
        format!(
            "[[windows]]\nname = \"soon\"\nat = \"{}\"\nduration = \"{duration}\"\n",
            at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
    )
}

use chrono::Timelike as _;

/// The first run listed, once there is one.
pub(crate) async fn first_run(svc: &Service) -> i64 {
    let t0 = Instant::now();
    loop {
        let (_, v) = svc.json("GET", "/api/v1/runs", None).await;
        if let Some(id) = v["runs"][0]["id"].as_i64() {
            return id;
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "no run started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_window_that_opens_starts_a_rollout() {
    let count = 2;
    let (at, windows) = window_in(2, "10m");
    let s = fleet_with_bmc_images(
        count,
        timing(),
        &format!("max_parallel = 2\n{windows}[estimates]\ndefault = \"1m\"\n"),
    )
    .await;
    let svc = start_service(&s.config).await;
    // Before it opens: nothing ran, and /metrics shows when it will.
    let m = svc.metrics().await;
    assert_eq!(
        m["fwfleet_next_window_start_timestamp_seconds"],
        at.timestamp() as f64
    );
    let (_, v) = svc.json("GET", "/api/v1/runs", None).await;
    assert_eq!(v["runs"], json!([]));
    let id = first_run(&svc).await;
    let done = svc.wait_run(id).await;
    assert_eq!(done["run"]["status"], "completed", "{done:#}");
    assert_eq!(done["run"]["options"]["trigger"], "window soon");
    assert_eq!(done["run"]["options"]["window"]["hosts"], count);
    let started =
        chrono::DateTime::parse_from_rfc3339(done["run"]["started_at"].as_str().unwrap()).unwrap();
    assert!(started >= at, "started {started} before the window at {at}");
    assert!(done["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "window"
            && e["message"]
                .as_str()
                .unwrap()
                .contains("no step starts after")));
    assert_eq!(flashes(&s), vec![1; count]);
    // A one-shot window fires once: no second run, and no next window.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, v) = svc.json("GET", "/api/v1/runs", None).await;
    assert_eq!(v["runs"].as_array().unwrap().len(), 1, "{v:#}");
    let m = svc.metrics().await;
    assert!(
        !m.contains_key("fwfleet_next_window_start_timestamp_seconds"),
        "{m:#?}"
    );
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_window_too_short_for_any_step_flashes_nothing() {
    let (_, windows) = window_in(1, "1m");
    let s = fleet_with_bmc_images(
        2,
        timing(),
        &format!("{windows}[estimates]\ndefault = \"2h\"\n"),
    )
    .await;
    let svc = start_service(&s.config).await;
    let id = first_run(&svc).await;
    let done = svc.wait_run(id).await;
    assert_eq!(done["run"]["status"], "deferred", "{done:#}");
    assert_eq!(done["steps"], json!([]));
    let waits: Vec<&str> = done["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "deferred")
        .map(|e| e["message"].as_str().unwrap())
        .filter(|m| m.contains(" waits: "))
        .collect();
    assert_eq!(waits.len(), 2, "{done:#}");
    for w in waits {
        assert!(
            w.contains("would not finish before the window closes") && w.contains("2h"),
            "{w}"
        );
    }
    assert_eq!(flashes(&s), vec![0, 0]);
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_document_describes_every_route_the_router_serves() {
    let doc: Value = serde_norway::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.yaml"))
            .unwrap(),
    )
    .expect("docs/openapi.yaml parses");
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().expect("paths");
    let mut documented = Vec::new();
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                assert!(
                    op["responses"].is_object(),
                    "{method} {path} has no responses"
                );
                documented.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    let served: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    documented.sort();
    let mut sorted = served.clone();
    sorted.sort();
    assert_eq!(
        documented, sorted,
        "docs/openapi.yaml and api::ROUTES differ"
    );
    // And the router serves each of ROUTES (not the unknown-route fallback).
    let s = setup(generic_fleet(1, timing()), "").await;
    let svc = start_service(&s.config).await;
    for (method, path) in &served {
        let concrete = path.replace("{name}", "bmc-1").replace("{id}", "999");
        let body = (method == "POST").then_some(r#"{"not_an_option": 1}"#);
        let (status, _, text) = svc.call(method, &concrete, Some(TOKEN), body).await;
        assert!(
            status != StatusCode::METHOD_NOT_ALLOWED && !text.contains("no route"),
            "{method} {path}: {status} {text}"
        );
    }
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_serve_binary_exits_0_on_sigterm_after_recording_the_running_step() {
    use std::io::{BufRead, BufReader};
    let s = fleet_with_bmc_images(3, slow_timing(), "max_parallel = 1").await;
    let token_file = s.dir.path().join("api.token");
    mock_bmc::fleet::write_private(&token_file, format!("{TOKEN}\n").as_bytes()).unwrap();
    let text = std::fs::read_to_string(&s.config).unwrap();
    let text = format!("[daemon]\ntoken_file = \"api.token\"\n\n{text}");
    mock_bmc::fleet::write_private(&s.config, text.as_bytes()).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_fwfleet"))
        .args(["serve", "--config"])
        .arg(&s.config)
        .args(["--bind", "127.0.0.1:0"])
        .env("RUST_LOG", "debug")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // stderr: the listening line first, then the rest collected for the end.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let addr: SocketAddr = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the service says where it listens");
        if let Some(a) = line.strip_prefix("fwfleet serve: listening on http://") {
            break a.parse().unwrap();
        }
    };
    let svc_url = |p: &str| format!("http://{addr}{p}");
    let http = client();
    let t0 = Instant::now();
    loop {
        match http.get(svc_url("/healthz")).send().await {
            Ok(r) if r.status() == StatusCode::OK => break,
            _ => {
                assert!(t0.elapsed() < Duration::from_secs(30), "no /healthz");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    let wrong = http
        .get(svc_url("/api/v1/runs"))
        .bearer_auth("another-token-0123456789abcdef")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let started: Value = http
        .post(svc_url("/api/v1/runs"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = started["run_id"].as_i64().expect("a run id");
    // Wait for the first step, then SIGTERM.
    let t0 = Instant::now();
    loop {
        let v: Value = http
            .get(svc_url(&format!("/api/v1/runs/{id}")))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if !v["steps"].as_array().unwrap().is_empty() {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "no step: {v:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let t0 = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "serve did not stop");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    reader.join().unwrap();
    let log: Vec<String> = rx.try_iter().collect();
    let log = log.join("\n");
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(log.contains("fwfleet serve: stopped"), "{log}");
    assert!(
        !log.contains(TOKEN) && !log.contains("another-token"),
        "a token in the log"
    );
    // The run is recorded as cancelled, with its running step done.
    let cfg = Config::load(&s.config).unwrap();
    let store = fwfleet::store::SqliteStore::open(&cfg.state_dir).unwrap();
    let run = store.run(id).unwrap().unwrap();
    assert_eq!(run.status, "cancelled", "{log}");
    assert!(run.finished_at.is_some());
    let steps = store.steps(id).unwrap();
    assert_eq!(steps.len(), 1, "{steps:#?}");
    assert_eq!(steps[0].state, "done");
    assert_eq!(steps[0].outcome.as_deref(), Some("updated"));
    assert_eq!(flashes(&s).iter().sum::<u64>(), 1);
}

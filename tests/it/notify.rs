//! `[[notify]]` webhooks end to end: an axum receiver on 127.0.0.1 port 0
//! records what fwfleet POSTs while a rollout runs against a `field` mock
//! fleet (through the library, as `apply` runs it, and through `serve`);
//! every delivery's signature is checked with the key; a dead endpoint (one
//! that never answers, one whose port is closed) must not hold the rollout.

use crate::apply::{repository_of_kind, setup, Setup};
use crate::daemon::start_service;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use bytes::Bytes;
use fwfleet::config::Config;
use fwfleet::notify::{sign, Notifier};
use fwfleet::updater::apply::ApplyOptions;
use mock_bmc::faults::{Faults, Scenario};
use mock_bmc::{FleetConfig, Persona, Profile};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) const KEY: &str = "0123456789abcdef-test-notify-key";

/// What the receiver was sent.
#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone, Default)]
pub(crate) struct Inbox(Arc<Mutex<Vec<Received>>>);

impl Inbox {
    fn all(&self) -> Vec<Received> {
        self.0.lock().unwrap().clone()
    }

    /// The events, each checked: signature, headers, common fields.
    pub(crate) fn events(&self) -> Vec<Value> {
        self.all().iter().map(checked).collect()
    }

    /// Wait until an event named `name` arrived (an upper bound only).
    pub(crate) async fn wait_for(&self, name: &str) {
        let t0 = Instant::now();
        while !self.events().iter().any(|e| e["event"] == name) {
            assert!(
                t0.elapsed() < Duration::from_secs(60),
                "no {name}: {:?}",
                self.events()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A delivery's signature verifies with the key over timestamp and body,
/// its headers agree with its body, and it carries the common fields.
fn checked(r: &Received) -> Value {
    let h = |n: &str| {
        r.headers
            .get(n)
            .unwrap_or_else(|| panic!("no {n} header"))
            .to_str()
            .unwrap()
            .to_string()
    };
    let ts: u64 = h(sign::TIMESTAMP_HEADER).parse().unwrap();
    let sig = h(sign::SIGNATURE_HEADER);
    assert!(
        sign::verify(KEY.as_bytes(), ts, &r.body, &sig),
        "bad signature {sig}"
    );
    assert!(!sign::verify(b"another key", ts, &r.body, &sig));
    assert_eq!(h("content-type"), "application/json");
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(h(sign::EVENT_HEADER), v["event"].as_str().unwrap());
    assert_eq!(h(sign::DELIVERY_HEADER), v["id"].as_str().unwrap());
    assert!(v["run_id"].as_i64().unwrap() > 0, "{v}");
    chrono::DateTime::parse_from_rfc3339(v["at"].as_str().unwrap()).unwrap();
    assert_eq!(v["fwfleet_version"], env!("CARGO_PKG_VERSION"));
    let text = String::from_utf8_lossy(&r.body);
    assert!(!text.contains(KEY), "the key in an event: {text}");
    v
}

async fn record(State(inbox): State<Inbox>, headers: HeaderMap, body: Bytes) -> &'static str {
    inbox.0.lock().unwrap().push(Received { headers, body });
    "ok"
}

/// A receiver on 127.0.0.1 port 0: its URL and what it gets.
pub(crate) async fn receiver() -> (String, Inbox) {
    let inbox = Inbox::default();
    let app = axum::Router::new()
        .route("/hook", post(record))
        .with_state(inbox.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await });
    (url, inbox)
}

/// An endpoint that accepts connections and never answers.
async fn black_hole() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = l.accept().await {
            held.push(sock);
        }
    });
    url
}

/// A URL whose port nobody listens on.
async fn closed_port() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    drop(l);
    url
}

pub(crate) fn endpoint(url: &str, name: &str, extra: &str) -> String {
    format!(
        "\n[[notify]]\nname = \"{name}\"\nurl = \"{url}\"\nsecret_file = \"notify.key\"\n{extra}\n"
    )
}

/// A `field` fleet of `count` generic BMCs (the mock's default behaviour
/// at the tests' time scale, whose reboots outlast the client's retries),
/// a repository one BMC version ahead, and `rollout` (with `[[notify]]`
/// tables after it); the key file beside the config.
async fn fleet(count: usize, scenario: Scenario, rollout: &str) -> Setup {
    let s = setup(
        FleetConfig {
            count,
            profile: Profile::Single(Persona::Generic),
            scenario,
            ..FleetConfig::default()
        }
        .field(crate::timing::FIELD_SCALE),
        rollout,
    )
    .await;
    mock_bmc::fleet::write_private(
        &s.dir.path().join("notify.key"),
        format!("{KEY}\n").as_bytes(),
    )
    .unwrap();
    repository_of_kind(&s, mock_bmc::Kind::Bmc, mock_bmc::vstyle::Bump::Patch, None).await;
    s
}

/// A rollout as `apply` runs it, with the config's webhooks.
async fn apply(s: &Setup) -> (fwfleet::updater::rollout::RolloutReport, Notifier, Config) {
    let cfg = Config::load(&s.config).unwrap();
    let notify = Notifier::start(&cfg.notify).unwrap();
    let opts = ApplyOptions {
        notify: notify.clone(),
        ..ApplyOptions::default()
    };
    // An upper bound only: a rollout that waited for a dead endpoint
    // (timeout 300 s, 10 attempts) would not end within it.
    let (report, cfg, _) =
        tokio::time::timeout(Duration::from_secs(240), crate::apply::run(s, opts))
            .await
            .expect("the rollout ends whatever the endpoints do");
    (report, notify, cfg)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rollout_sends_signed_events_in_order_and_a_failed_host_is_named() {
    let (url, inbox) = receiver().await;
    let faults = Scenario {
        default: Faults::default(),
        hosts: [(
            "bmc-0003".to_string(),
            // The field flow's SimpleUpdate download fails (the image
            // never arrives): the step ends `failed` after its attempts.
            Faults {
                download_fails: Some(true),
                ..Faults::default()
            },
        )]
        .into(),
    };
    let s = fleet(
        3,
        faults,
        &format!(
            "canary = 1\nwave_size = 1\nfailure_budget = 1.0\n{}",
            endpoint(&url, "receiver", "")
        ),
    )
    .await;
    let (report, notify, cfg) = apply(&s).await;
    assert_eq!(report.failed_hosts, 1, "{report:?}");
    let left = notify.flush(Duration::from_secs(30)).await;
    assert!(left.is_empty(), "undelivered: {left}");
    let events = inbox.events();
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "run.created",
            "phase.started",
            "phase.started",
            "phase.started",
            "host.failed",
            "run.finished"
        ],
        "{events:#?}"
    );
    assert!(events.iter().all(|e| e["run_id"] == report.run_id));
    let ids: std::collections::HashSet<&str> =
        events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), events.len(), "one id per event");
    assert_eq!(events[0]["command"], "apply");
    assert_eq!(events[0]["hosts"], 3);
    let phases: Vec<(String, u64, u64, Value)> = events[1..4]
        .iter()
        .map(|e| {
            let p = &e["phase"];
            (
                p["name"].as_str().unwrap().to_string(),
                p["index"].as_u64().unwrap(),
                p["of"].as_u64().unwrap(),
                p["hosts"].clone(),
            )
        })
        .collect();
    assert_eq!(
        phases,
        [
            ("canary".into(), 0, 3, serde_json::json!(["bmc-0001"])),
            ("wave-1".into(), 1, 3, serde_json::json!(["bmc-0002"])),
            ("wave-2".into(), 2, 3, serde_json::json!(["bmc-0003"])),
        ]
    );
    let failed = &events[4];
    assert_eq!(failed["host"], "bmc-0003");
    assert_eq!(failed["result"], "failed", "{failed}");
    assert_eq!(failed["components"][0]["kind"], "bmc", "{failed}");
    assert_eq!(failed["components"][0]["outcome"], "failed", "{failed}");
    assert!(
        failed["message"].as_str().unwrap().contains("bmc-0003"),
        "{failed}"
    );
    let finished = &events[5];
    assert_eq!(finished["status"], "completed-with-failures");
    assert_eq!(finished["hosts"], 3);
    assert_eq!(finished["failed_hosts"], 1);
    assert_eq!(finished["hosts_by_result"]["updated"], 2, "{finished}");
    // No BMC password in any event.
    let bodies: Vec<String> = inbox
        .all()
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    for h in &cfg.hosts {
        assert!(bodies.iter().all(|b| !b.contains(h.password.expose())));
    }
    assert_eq!(notify.stats()[0].delivered, 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_endpoint_does_not_hold_the_rollout_and_its_failures_are_counted() {
    let (url, inbox) = receiver().await;
    let (hole, closed) = (black_hole().await, closed_port().await);
    let s = fleet(
        1,
        Scenario::default(),
        &format!(
            "canary = 0\n{}{}{}",
            endpoint(&hole, "hole", "timeout_secs = 300\nattempts = 10"),
            endpoint(&closed, "closed", "attempts = 1"),
            endpoint(&url, "receiver", "events = [\"run.finished\"]"),
        ),
    )
    .await;
    let (report, notify, _) = apply(&s).await;
    assert_eq!(report.status.as_str(), "completed", "{report:?}");
    // The live endpoint got what it asked for, although the hole holds
    // its first event and the closed port refuses every one.
    inbox.wait_for("run.finished").await;
    let names: Vec<Value> = inbox.events().iter().map(|e| e["event"].clone()).collect();
    assert_eq!(names, ["run.finished"], "only the events it subscribed to");
    // `apply`'s flush at the end is bounded: the hole is given up on.
    let t0 = Instant::now();
    let left = notify.flush(Duration::from_millis(300)).await;
    assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
    assert!(
        left.0.iter().any(|(name, n)| name == "hole" && *n == 3),
        "run.created, phase.started, run.finished wait for the hole: {left:?}"
    );
    // Every event to the closed port failed and was counted.
    let t0 = Instant::now();
    loop {
        let closed = notify
            .stats()
            .into_iter()
            .find(|s| s.endpoint == "closed")
            .unwrap();
        if closed.failed == 3 {
            assert_eq!(closed.delivered, 0);
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "{closed:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_sends_the_same_events_and_counts_deliveries_in_metrics() {
    let (url, inbox) = receiver().await;
    let closed = closed_port().await;
    let s = fleet(
        1,
        Scenario::default(),
        &format!(
            "canary = 0\n{}{}",
            endpoint(&url, "receiver", ""),
            endpoint(&closed, "closed", "attempts = 1"),
        ),
    )
    .await;
    let svc = start_service(&s.config).await;
    let (status, v) = svc.json("POST", "/api/v1/runs", Some("{}")).await;
    assert!(status.is_success(), "{v}");
    let id = v["run_id"].as_i64().unwrap();
    // Paused at once (during its scan, or as its host starts): the run
    // waits for an operator, and says so.
    let (status, v) = svc
        .json(
            "POST",
            &format!("/api/v1/runs/{id}/pause"),
            Some(r#"{"reason": "change freeze"}"#),
        )
        .await;
    assert!(status.is_success(), "{v}");
    inbox.wait_for("gate.waiting").await;
    let (status, v) = svc
        .json("POST", &format!("/api/v1/runs/{id}/resume"), None)
        .await;
    assert!(status.is_success(), "{v}");
    svc.wait_run(id).await;
    inbox.wait_for("run.finished").await;
    let events = inbox.events();
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    let waiting = names.iter().position(|n| *n == "gate.waiting").unwrap();
    assert!(waiting > 0 && waiting < names.len() - 1, "{names:?}");
    let gate = &events[waiting];
    assert_eq!(gate["gate"], "paused");
    assert_eq!(gate["requested_by"], "token:default");
    assert_eq!(gate["reason"], "change freeze");
    let events: Vec<Value> = events
        .into_iter()
        .filter(|e| e["event"] != "gate.waiting")
        .collect();
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["run.created", "phase.started", "run.finished"],
        "{events:#?}"
    );
    assert!(events.iter().all(|e| e["run_id"] == id));
    assert_eq!(events[0]["command"], "serve");
    assert_eq!(events[0]["trigger"], "api");
    assert_eq!(events[1]["phase"]["name"], "wave-1");
    assert_eq!(events[2]["status"], "completed");
    let t0 = Instant::now();
    loop {
        let m = svc.metrics().await;
        let get = |k: &str| m.get(k).copied().unwrap_or(-1.0);
        if get("fwfleet_notify_failures_total{endpoint=\"closed\"}") == 4.0 {
            assert_eq!(
                get("fwfleet_notify_delivered_total{endpoint=\"receiver\"}"),
                4.0
            );
            assert_eq!(
                get("fwfleet_notify_delivered_total{endpoint=\"closed\"}"),
                0.0
            );
            assert_eq!(
                get("fwfleet_notify_dropped_total{endpoint=\"closed\"}"),
                0.0
            );
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "{m:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_apply_command_gives_up_on_a_dead_endpoint_after_its_bounded_flush() {
    let (url, inbox) = receiver().await;
    let hole = black_hole().await;
    let s = fleet(
        1,
        Scenario::default(),
        &format!(
            "canary = 0\n{}{}",
            endpoint(&hole, "hole", "timeout_secs = 300\nattempts = 10"),
            endpoint(&url, "receiver", ""),
        ),
    )
    .await;
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_fwfleet"))
        .args(["apply", "--yes", "--format", "json", "--config"])
        .arg(&s.config)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    // An upper bound only: an `apply` that waited for the hole (300 s a
    // try) would not end within it.
    let out = tokio::time::timeout(Duration::from_secs(180), run)
        .await
        .expect("apply ends although an endpoint never answers")
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("notify: giving up after 5s with events undelivered (3 to hole)"),
        "{err}"
    );
    assert!(!err.contains(KEY), "{err}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "completed", "{v:#}");
    // The live endpoint had every event, signed, before the command ended.
    let names: Vec<Value> = inbox.events().iter().map(|e| e["event"].clone()).collect();
    assert_eq!(names, ["run.created", "phase.started", "run.finished"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_canary_sends_host_failed_then_run_halted_and_no_wave_starts() {
    let (url, inbox) = receiver().await;
    let faults = Scenario {
        default: Faults::default(),
        hosts: [(
            "bmc-0001".to_string(),
            Faults {
                download_fails: Some(true),
                ..Faults::default()
            },
        )]
        .into(),
    };
    let s = fleet(
        2,
        faults,
        &format!("canary = 1\n{}", endpoint(&url, "receiver", "")),
    )
    .await;
    let (report, notify, _) = apply(&s).await;
    assert_eq!(report.status.as_str(), "halted", "{report:?}");
    assert!(notify.flush(Duration::from_secs(30)).await.is_empty());
    let events = inbox.events();
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "run.created",
            "phase.started",
            "host.failed",
            "run.halted",
            "run.finished"
        ],
        "{events:#?}"
    );
    assert_eq!(events[1]["phase"]["name"], "canary");
    assert_eq!(events[2]["host"], "bmc-0001");
    let halted = &events[3];
    assert!(
        halted["reason"]
            .as_str()
            .unwrap()
            .contains("canary bmc-0001 failed"),
        "{halted}"
    );
    assert_eq!(halted["failed_hosts"], 1);
    assert_eq!(events[4]["status"], "halted");
    assert_eq!(events[4]["halted_reason"], halted["reason"]);
}

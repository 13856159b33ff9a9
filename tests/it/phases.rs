//! Phases and gates (issue 21 item 1) on mock fleets: a failure gate halts
//! the rollout at its phase; a manual gate waits (journal, status, webhook)
//! until approved through the API or the CLI; `spread_by`/`order_by` with a
//! label cap hold, judged from the journal's step times; the seed decides
//! the cohorts and is recorded. Waits are for events (a store row, an API
//! answer, a webhook), never sleeps.

use super::apply::{fwfleet, repository_of_kind, run, setup, timing, Setup};
use super::daemon::{flashes, start_service, Service};
use super::notify::{endpoint, receiver, KEY};
use fwfleet::config::{Config, PhasePolicy};
use fwfleet::store::SqliteStore;
use fwfleet::updater::apply::ApplyOptions;
use fwfleet::updater::phases::{order, Member};
use fwfleet::updater::rollout::{GateOutcome, RolloutReport};
use mock_bmc::bmc::Timing;
use mock_bmc::faults::{Faults, Scenario};
use mock_bmc::{FleetConfig, Persona, Profile};
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// `count` generic BMCs (ideal behaviour, updates of `update`), hosts
/// labelled by `labels_of(1..=count)`, `faults` per host, `rollout` under
/// `[rollout]`, a BIOS image a patch ahead for every model, and the
/// webhook key beside the config.
async fn phased(
    count: usize,
    update: Duration,
    faults: Scenario,
    rollout: &str,
    labels_of: impl Fn(usize) -> String,
) -> Setup {
    let s = setup(
        FleetConfig {
            count,
            profile: Profile::Single(Persona::Generic),
            timing: Timing { update, ..timing() },
            scenario: faults,
            ..FleetConfig::default()
        }
        .ideal(),
        &format!("step_deadline_secs = 60\n{rollout}"),
    )
    .await;
    let mut text = std::fs::read_to_string(&s.config).unwrap();
    for i in 1..=count {
        let name = format!("name = \"bmc-{i:04}\"");
        let labels = labels_of(i);
        if !labels.is_empty() {
            text = text.replace(&name, &format!("{name}\n{labels}"));
        }
    }
    std::fs::write(&s.config, text).unwrap();
    mock_bmc::fleet::write_private(
        &s.dir.path().join("notify.key"),
        format!("{KEY}\n").as_bytes(),
    )
    .unwrap();
    repository_of_kind(
        &s,
        mock_bmc::Kind::Bios,
        mock_bmc::vstyle::Bump::Patch,
        None,
    )
    .await;
    s
}

fn no_labels(_: usize) -> String {
    String::new()
}

fn names(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("bmc-{i:04}")).collect()
}

/// The rollout order fwfleet chooses for unlabelled hosts `names` and `seed`.
fn predicted(names: &[String], seed: u64) -> Vec<String> {
    let none = BTreeMap::new();
    let members: Vec<Member<'_>> = names
        .iter()
        .map(|n| Member {
            name: n,
            labels: &none,
            canary: false,
        })
        .collect();
    order(&members, &PhasePolicy::default(), seed)
        .into_iter()
        .map(|i| names[i].clone())
        .collect()
}

fn event_kinds(store: &SqliteStore, run_id: i64) -> Vec<(String, String)> {
    store
        .events(run_id)
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, e.message))
        .collect()
}

fn cohorts(r: &RolloutReport) -> Vec<(String, Vec<String>)> {
    r.phases
        .iter()
        .map(|p| (p.name.clone(), p.hosts.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failure_gate_halts_at_its_phase_and_no_later_phase_starts() {
    let seed = 20261208;
    let hosts = names(6);
    let order = predicted(&hosts, seed);
    // Every host but the first in the order fails its update: the canary
    // passes, the second phase's two failures exceed its max_failures.
    let faults = Scenario {
        default: Faults::default(),
        hosts: order[1..]
            .iter()
            .map(|h| {
                (
                    h.clone(),
                    Faults {
                        task_fails: Some(true),
                        ..Faults::default()
                    },
                )
            })
            .collect(),
    };
    let s = phased(
        6,
        Duration::from_millis(150),
        faults,
        &format!(
            "max_parallel = 6\nseed = {seed}\n\
             [[rollout.phases]]\nname = \"canary\"\nhosts = 1\nmax_failures = 0\n\
             [[rollout.phases]]\nname = \"early\"\nhosts = 2\nmax_failures = 1\n\
             [[rollout.phases]]\nname = \"rest\"\nhosts = \"rest\"\n"
        ),
        no_labels,
    )
    .await;
    let (report, _, store) = run(&s, ApplyOptions::default()).await;
    assert_eq!(report.status.as_str(), "halted", "{report:#?}");
    assert_eq!(report.seed, Some(seed));
    let why = report.halted_reason.clone().unwrap();
    assert!(
        why.contains("phase early") && why.contains("max_failures of 1"),
        "{why}"
    );
    let gates: Vec<(&str, GateOutcome, usize)> = report
        .phases
        .iter()
        .map(|p| (p.name.as_str(), p.gate, p.failed))
        .collect();
    assert_eq!(
        gates,
        [
            ("canary", GateOutcome::Passed, 0),
            ("early", GateOutcome::Halted, 2),
            ("rest", GateOutcome::NotStarted, 0),
        ]
    );
    assert_eq!(
        cohorts(&report),
        [
            ("canary".to_string(), order[..1].to_vec()),
            ("early".to_string(), order[1..3].to_vec()),
            ("rest".to_string(), order[3..].to_vec()),
        ]
    );
    // The last phase never started: no step journaled, nothing flashed,
    // its hosts not started in the report.
    let steps = store.steps(report.run_id).unwrap();
    for h in &order[3..] {
        assert!(!steps.iter().any(|s| &s.host == h), "{h}: {steps:#?}");
        let r = report.hosts.iter().find(|r| &r.name == h).unwrap();
        assert_eq!(r.result.as_str(), "not-started", "{r:?}");
        assert!(r.message.contains("phase early"), "{}", r.message);
    }
    let flashed = flashes(&s);
    for (i, h) in hosts.iter().enumerate() {
        if order[3..].contains(h) {
            assert_eq!(flashed[i], 0, "{h}");
        }
    }
    let events = event_kinds(&store, report.run_id);
    let started: Vec<&str> = events
        .iter()
        .filter(|(k, _)| k == "phase-started")
        .map(|(_, m)| m.as_str())
        .collect();
    assert_eq!(started.len(), 2, "{events:#?}");
    assert!(started[1].starts_with("phase early (2/3)"), "{started:?}");
    assert!(
        events.iter().any(|(k, m)| k == "phase-ended"
            && m.contains("phase early")
            && m.contains("gate halted")),
        "{events:#?}"
    );
    let text = fwfleet::updater::apply::render_table(&report);
    assert!(text.contains(&format!("phases (seed {seed})")), "{text}");
    assert!(text.contains("gate halted"), "{text}");
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["seed"], seed);
    assert_eq!(json["phases"][1]["gate"], "halted");
    assert_eq!(json["phases"][2]["gate"], "not-started");
}

/// Poll `GET /api/v1/runs/{id}` until `done` holds.
async fn wait_until(svc: &Service, id: i64, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let t0 = Instant::now();
    loop {
        let (status, v) = svc.json("GET", &format!("/api/v1/runs/{id}"), None).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        if done(&v) {
            return v;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(90),
            "run {id}: never {what}: {v:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const MANUAL_GATE: &str = "canary = 0\nmax_parallel = 3\n\
    [[rollout.phases]]\nname = \"canary\"\nhosts = 1\nmax_failures = 0\napprove = true\n\
    [[rollout.phases]]\nname = \"rest\"\nhosts = \"rest\"\n";

#[tokio::test(flavor = "multi_thread")]
async fn a_manual_gate_waits_for_approve_through_the_api_then_runs_to_the_end() {
    let (url, inbox) = receiver().await;
    let s = phased(
        3,
        Duration::from_millis(150),
        Scenario::default(),
        &format!("{MANUAL_GATE}{}", endpoint(&url, "receiver", "")),
        no_labels,
    )
    .await;
    let svc = start_service(&s.config).await;
    let (status, v) = svc.json("POST", "/api/v1/runs", None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    let id = v["run_id"].as_i64().unwrap();
    let waiting = wait_until(&svc, id, "waiting", |v| {
        v["run"]["control"]["state"] == "waiting"
    })
    .await;
    assert_eq!(waiting["run"]["status"], "running", "{waiting:#}");
    assert_eq!(waiting["run"]["waiting"]["phase"], "canary", "{waiting:#}");
    // The canary ran; nothing of the next phase started.
    let steps = waiting["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 1, "{waiting:#}");
    assert_eq!(steps[0]["outcome"], "updated", "{waiting:#}");
    let kinds: Vec<&str> = waiting["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"gate-waiting"), "{kinds:?}");
    assert!(!kinds.contains(&"approved"), "{kinds:?}");
    inbox.wait_for("gate.waiting").await;
    let gate = inbox
        .events()
        .into_iter()
        .find(|e| e["event"] == "gate.waiting")
        .unwrap();
    assert_eq!(gate["gate"], "phase", "{gate}");
    assert_eq!(gate["run_id"], id, "{gate}");
    assert!(
        gate["message"].as_str().unwrap().contains("phase canary")
            && gate["message"].as_str().unwrap().contains("approve"),
        "{gate}"
    );
    assert_eq!(flashes(&s).iter().sum::<u64>(), 1);
    // The dashboard's run page draws the recorded cohorts, the seed and the
    // waiting gate (with an Approve button for the admin).
    let http = super::dashboard::browser();
    let cookie = super::dashboard::sign_in(&http, &svc.url(""), super::daemon::TOKEN).await;
    let (status, _, html) =
        super::dashboard::page(&http, &svc.url(&format!("/runs/{id}")), &cookie).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains(r#"data-phase="canary" data-state="gate-waiting""#),
        "{html}"
    );
    assert!(html.contains("data-seed="), "{html}");
    assert!(html.contains("waiting for approval since"), "{html}");
    assert!(html.contains(r#"id="approve""#), "{html}");
    // An unknown run; then the approval; then no gate is open any more.
    let (status, v) = svc.json("POST", "/api/v1/runs/9999/approve", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{v}");
    let (status, v) = svc
        .json(
            "POST",
            &format!("/api/v1/runs/{id}/approve"),
            Some(r#"{"reason": "canary looks healthy"}"#),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["phase"], "canary", "{v}");
    let (status, v) = svc
        .json("POST", &format!("/api/v1/runs/{id}/approve"), None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "run-not-waiting", "{v}");
    let done = svc.wait_run(id).await;
    assert_eq!(done["run"]["status"], "completed", "{done:#}");
    assert!(done["run"]["waiting"].is_null(), "{done:#}");
    assert_eq!(flashes(&s), vec![1; 3]);
    let events = done["events"].as_array().unwrap();
    let approved = events
        .iter()
        .find(|e| e["kind"] == "approved")
        .expect("approved event");
    assert!(
        approved["message"]
            .as_str()
            .unwrap()
            .contains("phase canary: approved by token:default (canary looks healthy)"),
        "{approved}"
    );
    let at = |kind: &str, phase: &str| {
        events
            .iter()
            .position(|e| {
                e["kind"] == kind
                    && e["message"]
                        .as_str()
                        .unwrap()
                        .starts_with(&format!("phase {phase}"))
            })
            .unwrap_or_else(|| panic!("{kind} {phase}: {events:#?}"))
    };
    assert!(at("gate-waiting", "canary") < at("approved", "canary"));
    assert!(at("approved", "canary") < at("phase-started", "rest"));
    // Once the run ended there is nothing to approve.
    let (status, v) = svc
        .json("POST", &format!("/api/v1/runs/{id}/approve"), None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "run-not-active", "{v}");
    let (_, a) = svc.json("GET", "/api/v1/audit", None).await;
    let approvals: Vec<&str> = a["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "runs.approve")
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(approvals.len(), 4, "{a:#}");
    assert!(approvals.contains(&"ok"), "{approvals:?}");
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manual_gate_waits_for_run_approve_from_another_process() {
    let s = phased(
        3,
        Duration::from_millis(150),
        Scenario::default(),
        MANUAL_GATE,
        no_labels,
    )
    .await;
    let cfg = Config::load(&s.config).unwrap();
    let (config, state_dir) = (s.config.clone(), cfg.state_dir.clone());
    // The operator, in another process: waits for the gate in the journal,
    // reads `status`, approves with `run approve`.
    let operator = tokio::task::spawn_blocking(move || {
        let db = SqliteStore::open(&state_dir).unwrap();
        let t0 = Instant::now();
        let id = loop {
            let open = db.list_runs(5).unwrap().into_iter().find_map(|r| {
                db.events(r.id)
                    .unwrap()
                    .iter()
                    .any(|e| e.kind == "gate-waiting")
                    .then_some(r.id)
            });
            if let Some(id) = open {
                break id;
            }
            assert!(t0.elapsed() < Duration::from_secs(90), "no gate-waiting");
            std::thread::sleep(Duration::from_millis(50));
        };
        let out = fwfleet(
            &["status", "--run", &id.to_string(), "--format", "json"],
            &config,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["run"]["control"]["state"], "waiting", "{v:#}");
        assert_eq!(v["run"]["waiting"]["phase"], "canary", "{v:#}");
        let out = fwfleet(&["status", "--run", &id.to_string()], &config);
        let table = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(table.contains("waiting after phase canary"), "{table}");
        let out = fwfleet(
            &["run", "approve", &id.to_string(), "--reason", "ok"],
            &config,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("phase canary approved"),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        id
    });
    let (report, _, db) =
        tokio::time::timeout(Duration::from_secs(120), run(&s, ApplyOptions::default()))
            .await
            .expect("the rollout goes on after the approval");
    let id = operator.await.unwrap();
    assert_eq!(report.run_id, id);
    assert_eq!(report.status.as_str(), "completed", "{report:#?}");
    assert_eq!(report.phases[0].gate, GateOutcome::Approved);
    let by = report.phases[0].approved_by.clone().unwrap();
    assert!(by.starts_with("user:") && by.ends_with("(ok)"), "{by}");
    assert_eq!(report.phases[1].gate, GateOutcome::Passed);
    assert_eq!(report.phases[1].hosts.len(), 2);
    assert_eq!(flashes(&s), vec![1; 3]);
    // The CLI's approval is in the audit trail too.
    let audit = db.audit_entries(100, None).unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "run.approve" && a.outcome == "ok"),
        "{audit:#?}"
    );
    // Approving an ended run is a usage error.
    let out = fwfleet(&["run", "approve", &id.to_string()], &s.config);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not running"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Each host's busy span, from the first to the last event of its steps.
fn host_spans(store: &SqliteStore, run_id: i64) -> BTreeMap<String, (String, String)> {
    let steps = store.steps(run_id).unwrap();
    let mut spans: BTreeMap<String, (String, String)> = BTreeMap::new();
    for e in store.events(run_id).unwrap() {
        let Some(step) = e.step_id.and_then(|id| steps.iter().find(|s| s.id == id)) else {
            continue;
        };
        let span = spans
            .entry(step.host.clone())
            .or_insert_with(|| (e.at.clone(), e.at.clone()));
        if e.at < span.0 {
            span.0 = e.at.clone();
        }
        if e.at > span.1 {
            span.1 = e.at.clone();
        }
    }
    spans
}

#[tokio::test(flavor = "multi_thread")]
async fn spread_by_rack_under_a_rack_cap_and_order_by_cluster_hold_in_the_journal() {
    // Cluster a: hosts 1-4, cluster b: 5-8; racks alternate, two per
    // rack in each cluster.
    let labels = |i: usize| {
        format!(
            "labels = {{ cluster = \"{}\", rack = \"r{}\" }}",
            if i <= 4 { "a" } else { "b" },
            i % 2
        )
    };
    let s = phased(
        8,
        Duration::from_millis(400),
        Scenario::default(),
        "max_parallel = 8\nlabel_caps = { rack = 1 }\nspread_by = \"rack\"\norder_by = \"cluster\"\n\
         [[rollout.phases]]\nname = \"all\"\nhosts = \"rest\"\n",
        labels,
    )
    .await;
    let (report, cfg, store) = run(&s, ApplyOptions::default()).await;
    assert_eq!(report.status.as_str(), "completed", "{report:#?}");
    let label =
        |h: &str, k: &str| cfg.hosts.iter().find(|x| x.name == h).unwrap().labels[k].clone();
    // The seed was drawn and recorded in the report and the journal.
    let seed = report.seed.expect("a drawn seed");
    let events = event_kinds(&store, report.run_id);
    assert!(
        events
            .iter()
            .any(|(k, m)| k == "phases" && m.starts_with(&format!("seed {seed}: all 8 host(s)"))),
        "{events:#?}"
    );
    // The cohort: one cluster, then the other; neighbours in a cluster
    // from different racks.
    let cohort = &report.phases[0].hosts;
    assert_eq!(cohort.len(), 8);
    let first = label(&cohort[0], "cluster");
    assert!(
        cohort[..4].iter().all(|h| label(h, "cluster") == first),
        "{cohort:?}"
    );
    for w in cohort.windows(2) {
        if label(&w[0], "cluster") == label(&w[1], "cluster") {
            assert_ne!(label(&w[0], "rack"), label(&w[1], "rack"), "{cohort:?}");
        }
    }
    // From the journal: never two hosts of one rack at once, and every
    // host of the first cluster done before one of the second began.
    let spans = host_spans(&store, report.run_id);
    assert_eq!(spans.len(), 8, "{spans:#?}");
    let overlap = |a: &(String, String), b: &(String, String)| a.0 < b.1 && b.0 < a.1;
    let hosts: Vec<&String> = spans.keys().collect();
    let mut side_by_side = 0;
    for (i, a) in hosts.iter().enumerate() {
        for b in &hosts[i + 1..] {
            let both = overlap(&spans[*a], &spans[*b]);
            if label(a, "rack") == label(b, "rack") {
                assert!(
                    !both,
                    "{a} and {b} share a rack and ran at once: {spans:#?}"
                );
            } else if both {
                side_by_side += 1;
            }
        }
    }
    assert!(side_by_side > 0, "racks ran side by side: {spans:#?}");
    let last_of_first = spans
        .iter()
        .filter(|(h, _)| label(h, "cluster") == first)
        .map(|(_, s)| s.1.clone())
        .max()
        .unwrap();
    let first_of_second = spans
        .iter()
        .filter(|(h, _)| label(h, "cluster") != first)
        .map(|(_, s)| s.0.clone())
        .min()
        .unwrap();
    assert!(
        last_of_first <= first_of_second,
        "cluster {first} ended at {last_of_first}, the other began at {first_of_second}: {spans:#?}"
    );
    assert_eq!(flashes(&s), vec![1; 8]);
}

const SEEDED: &str = "max_parallel = 6\n\
    [[rollout.phases]]\nname = \"one\"\nhosts = 1\nsoak = \"1s\"\n\
    [[rollout.phases]]\nname = \"half\"\nhosts = \"50%\"\n\
    [[rollout.phases]]\nname = \"rest\"\nhosts = \"rest\"\n";

#[tokio::test(flavor = "multi_thread")]
async fn the_same_seed_gives_the_same_cohorts_from_the_config_or_apply_seed() {
    let seed = 11;
    let a = phased(
        6,
        Duration::from_millis(150),
        Scenario::default(),
        &format!("seed = {seed}\n{SEEDED}"),
        no_labels,
    )
    .await;
    let b = phased(
        6,
        Duration::from_millis(150),
        Scenario::default(),
        SEEDED,
        no_labels,
    )
    .await;
    // The dry run shows the cohorts the run will use.
    let order = predicted(&names(6), seed);
    let out = fwfleet(&["apply", "--dry-run"], &a.config);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "phases (seed {seed}): one 1 [{}]; half 3 [{}]",
            order[0],
            order[1..4].join(",")
        )),
        "{text}"
    );
    let (ra, _, store_a) = run(&a, ApplyOptions::default()).await;
    let (rb, _, store_b) = run(
        &b,
        ApplyOptions {
            seed: Some(seed),
            ..ApplyOptions::default()
        },
    )
    .await;
    for (r, store) in [(&ra, &store_a), (&rb, &store_b)] {
        assert_eq!(r.status.as_str(), "completed", "{r:#?}");
        assert_eq!(r.seed, Some(seed));
        let events = event_kinds(store, r.run_id);
        assert!(
            events
                .iter()
                .any(|(k, m)| k == "phases" && m.starts_with(&format!("seed {seed}: "))),
            "{events:#?}"
        );
        // The soak after phase one: the next phase began at least 1 s later.
        let time = |kind: &str, phase: &str| {
            let e = store
                .events(r.run_id)
                .unwrap()
                .into_iter()
                .find(|e| e.kind == kind && e.message.starts_with(&format!("phase {phase}")))
                .unwrap_or_else(|| panic!("{kind} {phase}: {events:#?}"));
            chrono::DateTime::parse_from_rfc3339(&e.at).unwrap()
        };
        let waited = time("phase-started", "half") - time("phase-ended", "one");
        assert!(waited >= chrono::TimeDelta::seconds(1), "{waited}");
    }
    assert_eq!(cohorts(&ra), cohorts(&rb));
    assert_eq!(
        cohorts(&ra),
        [
            ("one".to_string(), order[..1].to_vec()),
            ("half".to_string(), order[1..4].to_vec()),
            ("rest".to_string(), order[4..].to_vec()),
        ]
    );
    // The run's options record the command's seed.
    let run_b = store_b.run(rb.run_id).unwrap().unwrap();
    let opts: Value = serde_json::from_str(&run_b.options_json).unwrap();
    assert_eq!(opts["options"]["seed"], seed, "{opts:#}");
}

//! Maintenance windows honoured to the second (issue 16 item 6): no
//! submit, StartUpdate or coordinated reset after the window's end, asked
//! right before each after any wait; a task already running at the end is
//! followed to its end and recorded `overran-window`. The mock BMCs'
//! counters and request journals judge what was sent. The window's end
//! falls while the test holds the BMC (a foreign update whose image the
//! test serves only when it lets go, a `pre_reset` hook that waits for the
//! test, a long task or Verify task); the test lets go only once the end
//! has passed.

use crate::apply::{repository_of_kind, repository_with, setup, timing, Setup};
use axum::routing::get;
use chrono::{DateTime, Timelike as _, Utc};
use fwfleet::config::Config;
use fwfleet::repository::Repository;
use fwfleet::store::{SqliteStore, Store};
use fwfleet::updater::apply::{self, ApplyOptions};
use fwfleet::updater::progress::Silent;
use fwfleet::updater::rollout::RolloutReport;
use mock_bmc::bmc::Timing;
use mock_bmc::{FleetConfig, Persona, Profile};
use serde_json::Value;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// One generic BMC with `t`, and `rollout_toml`.
async fn one_bmc(t: Timing, rollout_toml: &str) -> Setup {
    setup(
        FleetConfig {
            count: 1,
            profile: Profile::Single(Persona::Generic),
            timing: t,
            ..FleetConfig::default()
        }
        .ideal(),
        rollout_toml,
    )
    .await
}

/// Scan and plan, then run the jobs with a window closing `window` after
/// the plan is made, side by side with `driver` (the test holding and
/// releasing the BMC); the run's report, its window end and the store.
async fn run_with_window<F, Fut>(
    s: &Setup,
    window: Duration,
    driver: F,
) -> (RolloutReport, DateTime<Utc>, Arc<SqliteStore>)
where
    F: FnOnce(DateTime<Utc>, Arc<SqliteStore>) -> Fut,
    Fut: Future<Output = ()>,
{
    let cfg = Config::load(&s.config).unwrap();
    let repo = Repository::open(&cfg.repository).unwrap();
    let store = Arc::new(SqliteStore::open(&cfg.state_dir).unwrap());
    let cancel = CancellationToken::new();
    let planned = ApplyOptions {
        poll: Some(Duration::from_millis(150)),
        ..ApplyOptions::default()
    };
    let prepared = apply::prepare(
        &cfg,
        &repo,
        &Store::sqlite(store.clone()),
        &planned,
        &cancel,
    )
    .await
    .unwrap();
    assert!(!prepared.jobs.is_empty(), "the repository is newer");
    let end = Utc::now() + chrono::Duration::from_std(window).unwrap();
    let opts = ApplyOptions {
        window_end: Some(end),
        ..planned
    };
    let (report, ()) = tokio::join!(
        apply::execute(
            &cfg,
            prepared.jobs,
            0,
            &opts,
            Store::sqlite(store.clone()),
            cancel,
            Arc::new(Silent),
        ),
        driver(end, store.clone())
    );
    (report.unwrap(), end, store)
}

/// Plan and run again in the same state directory, without a window;
/// `check` sees the jobs first.
async fn run_again(
    s: &Setup,
    check: impl FnOnce(&[fwfleet::updater::host::HostJob]),
) -> RolloutReport {
    let cfg = Config::load(&s.config).unwrap();
    let repo = Repository::open(&cfg.repository).unwrap();
    let handle = Store::sqlite(Arc::new(SqliteStore::open(&cfg.state_dir).unwrap()));
    let opts = ApplyOptions {
        poll: Some(Duration::from_millis(150)),
        ..ApplyOptions::default()
    };
    let cancel = CancellationToken::new();
    let again = apply::prepare(&cfg, &repo, &handle, &opts, &cancel)
        .await
        .unwrap();
    check(&again.jobs);
    apply::execute(&cfg, again.jobs, 0, &opts, handle, cancel, Arc::new(Silent))
        .await
        .unwrap()
}

/// The latest run's events once one of `kind` is there.
async fn wait_event(store: &SqliteStore, kind: &str) -> fwfleet::store::Event {
    let t0 = Instant::now();
    loop {
        if let Some(run) = store.list_runs(1).unwrap().first() {
            if let Some(e) = store
                .events(run.id)
                .unwrap()
                .into_iter()
                .find(|e| e.kind == kind)
            {
                return e;
            }
        }
        assert!(
            t0.elapsed() < Duration::from_secs(90),
            "no {kind} event in 90 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Until the clock has passed `end` (the BMC is held meanwhile, so nothing
/// races it: the test's next move is what lets the run go on).
async fn until_past(end: DateTime<Utc>) {
    let left = (end - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(left + Duration::from_millis(100)).await;
    assert!(Utc::now() > end);
}

fn at(e: &fwfleet::store::Event) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&e.at)
        .unwrap()
        .with_timezone(&Utc)
}

fn component<'a>(st: &'a Value, kind: &str) -> &'a Value {
    st["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == kind && c["role"] == "active")
        .unwrap()
}

/// An image server of the test's own: it answers `/nic.img` only once
/// `release` fires, so a BMC pulling from it stays busy (its update task
/// `New`, downloading) exactly as long as the test wants.
async fn held_image_server(bytes: Vec<u8>, release: tokio::sync::watch::Receiver<bool>) -> String {
    let app = axum::Router::new().route(
        "/nic.img",
        get(move || {
            let (bytes, mut release) = (bytes.clone(), release.clone());
            async move {
                let _ = release.wait_for(|go| *go).await;
                bytes
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/nic.img")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_step_whose_busy_wait_crosses_the_window_end_is_deferred_and_sends_nothing() {
    let s = one_bmc(timing(), "canary = 0\nstep_deadline_secs = 120").await;
    repository_of_kind(
        &s,
        mock_bmc::Kind::Bios,
        mock_bmc::vstyle::Bump::Patch,
        None,
    )
    .await;
    // Someone else's NIC update is downloading on the BMC from a server
    // that sends the image only when the test says so.
    let states = mock_bmc::imagegen::fetch_states(&s.config).await.unwrap();
    let other = s.dir.path().join("other");
    let nic = mock_bmc::imagegen::make_images(
        &states,
        &other,
        Some(&[mock_bmc::Kind::Nic]),
        mock_bmc::vstyle::Bump::Patch,
        4096,
    )
    .unwrap();
    let (release, held) = tokio::sync::watch::channel(false);
    let uri = held_image_server(std::fs::read(other.join(&nic[0].file)).unwrap(), held).await;
    let cfg = Config::load(&s.config).unwrap();
    let client = fwfleet::redfish::client::BmcClient::new(&cfg.hosts[0]).unwrap();
    client.login().await.unwrap();
    let caps = fwfleet::redfish::update_service::discover(&client)
        .await
        .unwrap();
    let foreign = fwfleet::redfish::update::simple_update(
        &client,
        &caps,
        &fwfleet::redfish::update::SimpleUpdate {
            image_uri: &uri,
            apply_time: None,
            force: false,
        },
    )
    .await
    .unwrap();
    assert!(foreign.status.is_success(), "{:?}", foreign.status);
    let (report, end, store) =
        run_with_window(&s, Duration::from_secs(5), |end, store| async move {
            // fwfleet waits for the busy BMC; the window closes meanwhile,
            // and the BMC stays busy until the run has ended.
            let busy = wait_event(&store, "busy").await;
            assert!(at(&busy) < end, "the busy-wait began inside the window");
        })
        .await;
    release.send_replace(true);
    let host = &report.hosts[0];
    let step = &host.steps[0];
    assert_eq!(step.outcome, "deferred", "{}", step.message);
    let end_text = fwfleet::updater::window::rfc3339(end);
    for part in [
        "bmc-0001",
        step.identity.as_str(),
        end_text.as_str(),
        "nothing was sent",
    ] {
        assert!(step.message.contains(part), "{part} in {}", step.message);
    }
    // Not a failure: the host is deferred, the run did not complete.
    assert_eq!(host.result, "deferred", "{}", host.message);
    assert!(!host.failed);
    assert_eq!(report.failed_hosts, 0);
    assert_eq!(report.status, fwfleet::vocab::RunStatus::Cancelled);
    let events = store.events(report.run_id).unwrap();
    assert!(
        !events.iter().any(|e| e.kind == "submitted"),
        "nothing was submitted: {events:#?}"
    );
    assert!(events
        .iter()
        .any(|e| e.kind == "window" && e.message.contains("deferred")));
    // The busy-wait ended at the window's end, not after two minutes of a
    // busy BMC (`needs-attention`): the run was over before the BMC was let
    // go. The BMC never got fwfleet's BIOS; the foreign NIC update, let go
    // now, runs its course.
    let t = Instant::now();
    let st = loop {
        let st = s.fleet.bmcs[0].state();
        if component(&st, "nic")["flash_count"] == 1 {
            break st;
        }
        assert!(t.elapsed() < Duration::from_secs(60), "{st:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(component(&st, "bios")["flash_count"], 0, "{st:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_task_running_at_the_window_end_is_followed_to_its_end_and_recorded_overran_window() {
    // The BMC's task runs 12 s; the window closes 4 s after the plan, long
    // after the request (sub-second) and long before the task's end.
    let s = one_bmc(
        Timing {
            update: Duration::from_secs(12),
            ..timing()
        },
        "canary = 0\nstep_deadline_secs = 120",
    )
    .await;
    repository_of_kind(
        &s,
        mock_bmc::Kind::Bios,
        mock_bmc::vstyle::Bump::Patch,
        None,
    )
    .await;
    let (report, end, store) = run_with_window(&s, Duration::from_secs(4), |_, _| async {}).await;
    let step = &report.hosts[0].steps[0];
    assert_eq!(step.outcome, "updated", "{}", step.message);
    assert!(step.overran_window, "{step:#?}");
    let events = store.events(report.run_id).unwrap();
    let submitted = events.iter().find(|e| e.kind == "submitted").unwrap();
    assert!(
        at(submitted) < end,
        "the request went inside the window ({} < {end})",
        submitted.at
    );
    let overran = events
        .iter()
        .find(|e| e.kind == "overran-window")
        .expect("an overran-window event");
    let end_text = fwfleet::updater::window::rfc3339(end);
    for part in [
        "bmc-0001",
        step.identity.as_str(),
        end_text.as_str(),
        "s late",
    ] {
        assert!(
            overran.message.contains(part),
            "{part} in {}",
            overran.message
        );
    }
    assert!(at(overran) > end);
    assert_eq!(report.status, fwfleet::vocab::RunStatus::Completed);
    // The JSON says it, and the table too.
    let v = serde_json::to_value(&report).unwrap();
    assert_eq!(v["hosts"][0]["steps"][0]["overran_window"], true, "{v:#}");
    let table = apply::render_table(&report);
    assert!(table.contains("overran-window: bmc-0001"), "{table}");
    let st = s.fleet.bmcs[0].state();
    assert_eq!(component(&st, "bios")["flash_count"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_coordinated_reset_due_after_the_window_end_is_not_sent_and_the_image_stays_staged() {
    let hooks = tempfile::tempdir().unwrap();
    let (started, release) = (hooks.path().join("started"), hooks.path().join("release"));
    // The pre_reset hook says it runs, then waits for the test.
    let s = one_bmc(
        timing(),
        &format!(
            "canary = 0\nstep_deadline_secs = 120\nreset_policy = \"graceful\"\n\
             pre_reset = 'touch {}; while [ ! -e {} ]; do sleep 0.05; done'",
            started.display(),
            release.display()
        ),
    )
    .await;
    repository_with(&s, Some(&[mock_bmc::Kind::Bios]), 4096, true).await;
    let (report, end, store) = run_with_window(&s, Duration::from_secs(5), |end, _| {
        let (started, release) = (started.clone(), release.clone());
        async move {
            let t = Instant::now();
            while !started.exists() {
                assert!(t.elapsed() < Duration::from_secs(90), "the hook never ran");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert!(Utc::now() < end, "the hook began inside the window");
            until_past(end).await;
            std::fs::write(&release, b"").unwrap();
        }
    })
    .await;
    let host = &report.hosts[0];
    let step = &host.steps[0];
    assert_eq!(step.outcome, "staged", "{}", step.message);
    let end_text = fwfleet::updater::window::rfc3339(end);
    for part in [
        "bmc-0001",
        step.identity.as_str(),
        end_text.as_str(),
        "reset waits for the next window",
        "stays staged",
    ] {
        assert!(step.message.contains(part), "{part} in {}", step.message);
    }
    assert_eq!(host.result, "deferred", "{}", host.message);
    assert!(!host.failed, "{}", host.message);
    assert_eq!(report.status, fwfleet::vocab::RunStatus::Cancelled);
    // No reset was journaled or sent; the BMC still holds the image staged.
    let steps = store.steps(report.run_id).unwrap();
    let events = store.events(report.run_id).unwrap();
    assert!(
        !events
            .iter()
            .any(|e| e.kind == "reset-sent" || e.kind == "reset"),
        "{events:#?}"
    );
    assert_eq!(steps[0].outcome.as_deref(), Some("staged"), "{steps:#?}");
    let resets: Vec<String> = s.fleet.bmcs[0]
        .bmc()
        .lock()
        .journal
        .entries
        .iter()
        .filter(|e| e.path.ends_with("Reset"))
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    assert!(resets.is_empty(), "{resets:?}");
    let st = s.fleet.bmcs[0].state();
    let bios = component(&st, "bios");
    assert_eq!(
        bios["staged_version"].as_str(),
        Some(step.to.as_str()),
        "{st:#}"
    );
    assert_ne!(bios["version"].as_str(), Some(step.to.as_str()));
    // The next run (no window) activates it: the reset, never a second transfer.
    std::fs::write(&release, b"").unwrap();
    let next = run_again(&s, |jobs| {
        assert!(jobs[0].steps.iter().all(|st| st.activate_only), "{jobs:#?}")
    })
    .await;
    assert_eq!(next.hosts[0].result, "updated", "{}", next.hosts[0].message);
    let st = s.fleet.bmcs[0].state();
    assert_eq!(component(&st, "bios")["flash_count"], 1, "{st:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_update_held_for_start_update_when_the_window_closed_is_cancelled_not_released() {
    // The BMC takes 8 s to receive the image (512 B/s either way), then
    // holds it `OnStartUpdateRequest`; the window closes 3 s after the plan.
    let slow = mock_bmc::faults::Faults {
        download_bandwidth: Some(512),
        upload_bandwidth: Some(512),
        ..mock_bmc::faults::Faults::default()
    };
    let s = setup(
        FleetConfig {
            count: 1,
            profile: Profile::Single(Persona::Generic),
            timing: timing(),
            scenario: mock_bmc::faults::Scenario {
                default: slow,
                ..mock_bmc::faults::Scenario::default()
            },
            ..FleetConfig::default()
        }
        .ideal(),
        "canary = 0\nstep_deadline_secs = 120",
    )
    .await;
    let states = mock_bmc::imagegen::fetch_states(&s.config).await.unwrap();
    let out = s.dir.path().join("images");
    let specs = mock_bmc::imagegen::make_images(
        &states,
        &out,
        Some(&[mock_bmc::Kind::Bios]),
        mock_bmc::vstyle::Bump::Patch,
        4096,
    )
    .unwrap();
    let mut repo = Repository::create_or_open(s.dir.path().join("repository")).unwrap();
    for sp in specs {
        let mut add = fwfleet::repository::AddSpec::new(
            fwfleet::inventory::model::Kind::Bios,
            sp.version.clone(),
        );
        add.models = sp.models.clone();
        add.apply_time = Some(fwfleet::repository::ApplyTime::OnStartUpdateRequest);
        repo.add(&out.join(&sp.file), add).unwrap();
    }
    let (report, end, store) = run_with_window(&s, Duration::from_secs(3), |_, _| async {}).await;
    let step = &report.hosts[0].steps[0];
    assert_eq!(step.outcome, "deferred", "{}", step.message);
    for part in [
        "bmc-0001",
        "StartUpdate was not sent",
        "cancelled on the BMC",
    ] {
        assert!(step.message.contains(part), "{part} in {}", step.message);
    }
    let events = store.events(report.run_id).unwrap();
    let submitted = events.iter().find(|e| e.kind == "submitted").unwrap();
    assert!(at(submitted) < end, "sent inside the window");
    assert!(!events
        .iter()
        .any(|e| e.kind == "start-update" || e.kind == "overran-window"));
    assert!(report.hosts[0].steps[0].step_id.is_some());
    assert!(!report.hosts[0].failed);
    // Nothing written, no StartUpdate, and nothing left held on the BMC.
    let st = s.fleet.bmcs[0].state();
    let bios = component(&st, "bios");
    assert_eq!(bios["flash_count"], 0, "{st:#}");
    assert_eq!(bios["start_update_calls"], 0, "{st:#}");
    assert!(s.fleet.bmcs[0].bmc().lock().awaiting_start.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn supermicro_verified_when_the_window_closed_gets_no_start_update_and_is_never_flashed_twice(
) {
    // Field Supermicro: upload (1 s), then a Verify task of 10 s; the
    // window closes 4 s after the plan, while Verify runs.
    let mut fc = FleetConfig {
        count: 1,
        profile: Profile::Single(Persona::Supermicro),
        ..FleetConfig::default()
    }
    .field(crate::timing::FIELD_SCALE);
    fc.field_timing
        .set("verify", Duration::from_secs(10))
        .unwrap();
    let s = setup(fc, "canary = 0\nstep_deadline_secs = 120").await;
    crate::field::field_repository(&s, Persona::Supermicro, &[mock_bmc::Kind::Bios]).await;
    let (report, end, store) = run_with_window(&s, Duration::from_secs(4), |_, _| async {}).await;
    let host = &report.hosts[0];
    let step = &host.steps[0];
    // Not `deferred`: the BMC holds the verified image in update mode and
    // no later run can go on by itself.
    assert_eq!(step.outcome, "needs-attention", "{}", step.message);
    let end_text = fwfleet::updater::window::rfc3339(end);
    for part in [
        "bmc-0001",
        step.identity.as_str(),
        end_text.as_str(),
        "StartUpdate was not sent",
        "nothing was written",
        "update mode",
        "hint:",
    ] {
        assert!(step.message.contains(part), "{part} in {}", step.message);
    }
    let events = store.events(report.run_id).unwrap();
    let submitted = events.iter().find(|e| e.kind == "submitted").unwrap();
    assert!(at(submitted) < end, "uploaded inside the window");
    assert!(
        !events.iter().any(|e| e.kind == "start-update"),
        "{events:#?}"
    );
    assert!(events.iter().any(|e| e.kind == "overran-window"));
    let st = s.fleet.bmcs[0].state();
    assert_eq!(st["field"]["start_update_calls"], 0, "{st:#}");
    assert_eq!(st["field"]["update_mode"], true, "{st:#}");
    assert_eq!(component(&st, "bios")["flash_count"], 0, "{st:#}");
    // The next run's upload is refused by the BMC itself: nothing written,
    // no StartUpdate from fwfleet, never a second image behind the first.
    let next = run_again(&s, |_| {}).await;
    let again = &next.hosts[0].steps[0];
    assert_eq!(again.outcome, "failed", "{}", again.message);
    assert!(again.message.contains("update mode"), "{}", again.message);
    let st = s.fleet.bmcs[0].state();
    assert_eq!(st["field"]["start_update_calls"], 0, "{st:#}");
    assert_eq!(component(&st, "bios")["flash_count"], 0, "{st:#}");
}

#[test]
fn apply_window_without_at_is_a_usage_error_with_a_hint() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fwfleet"))
        .args([
            "apply",
            "--yes",
            "--window",
            "1h",
            "--config",
            "/nonexistent/fleet.toml",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--window 1h needs --at TIME"), "{err}");
    assert!(err.contains("hint: add --at"), "{err}");
    // Checked before anything else: the missing config is not what it says.
    assert!(!err.contains("/nonexistent"), "{err}");
}

/// A change freeze that begins while a run goes closes the window of the
/// hosts it covers at its start (issue 21 item 2): the coordinated reset
/// held past the freeze's start is not sent, the image stays staged, and
/// the message names the freeze.
#[tokio::test(flavor = "multi_thread")]
async fn a_freeze_that_begins_mid_run_stops_the_reset_like_a_window_end_and_is_named() {
    let hooks = tempfile::tempdir().unwrap();
    let (started, release) = (hooks.path().join("started"), hooks.path().join("release"));
    let freeze_start = (Utc::now() + chrono::Duration::seconds(6))
        .with_nanosecond(0)
        .unwrap();
    let s = one_bmc(
        timing(),
        &format!(
            "canary = 0\nstep_deadline_secs = 120\nreset_policy = \"graceful\"\n\
             pre_reset = 'touch {}; while [ ! -e {} ]; do sleep 0.05; done'\n\
             \n[[freezes]]\nstart = \"{}\"\nend = \"{}\"\nreason = \"launch day\"\n",
            started.display(),
            release.display(),
            fwfleet::updater::window::rfc3339(freeze_start),
            fwfleet::updater::window::rfc3339(freeze_start + chrono::Duration::hours(1)),
        ),
    )
    .await;
    repository_with(&s, Some(&[mock_bmc::Kind::Bios]), 4096, true).await;
    // The window itself stays open long after the freeze begins.
    let (report, _, _) = run_with_window(&s, Duration::from_secs(3600), |_, _| {
        let (started, release) = (started.clone(), release.clone());
        async move {
            let t = Instant::now();
            while !started.exists() {
                assert!(t.elapsed() < Duration::from_secs(90), "the hook never ran");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert!(
                Utc::now() < freeze_start,
                "the hook began before the freeze"
            );
            until_past(freeze_start).await;
            std::fs::write(&release, b"").unwrap();
        }
    })
    .await;
    let step = &report.hosts[0].steps[0];
    assert_eq!(step.outcome, "staged", "{}", step.message);
    assert!(
        step.message.contains("change freeze #1")
            && step
                .message
                .contains(&fwfleet::updater::window::rfc3339(freeze_start)),
        "{}",
        step.message
    );
    let st = s.fleet.bmcs[0].state();
    let bios = component(&st, "bios");
    assert_eq!(
        bios["staged_version"].as_str(),
        Some(step.to.as_str()),
        "{st:#}"
    );
    assert_eq!(bios["flash_count"], 0, "staged, not yet written: {st:#}");
    assert_ne!(bios["version"].as_str(), Some(step.to.as_str()));
}

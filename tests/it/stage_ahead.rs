//! Stage ahead, activate in the window (issue 21 item 3), and `fwfleet
//! unstage`, against field-behaviour mock BMCs at the compressed time
//! scale: the transfer and staging run before the window's start, the
//! coordinated reset after it, and the journal shows both times; an image
//! removed before the window is sent again inside it; `unstage` deletes a
//! Dell scheduled job (checked from the mock's job queue over Redfish) and
//! refuses where the BMC has no way to unstage.

use crate::apply::{fwfleet, Setup};
use crate::field::{field_fleet, field_repository};
use crate::timing::FIELD_SCALE;
use chrono::{DateTime, Utc};
use fwfleet::config::Config;
use fwfleet::repository::Repository;
use fwfleet::store::{SqliteStore, Store};
use fwfleet::updater::apply::{self, ApplyOptions};
use fwfleet::updater::progress::Silent;
use fwfleet::updater::rollout::RolloutReport;
use mock_bmc::persona::Variant;
use mock_bmc::{Kind as MockKind, Persona};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const ROLLOUT: &str = "reset_policy = \"graceful\"\nstage_ahead = \"1h\"\n";

async fn one_host(persona: Persona, rollout: &str) -> Setup {
    let s = field_fleet(
        persona,
        Variant::default(),
        1,
        FIELD_SCALE,
        Default::default(),
        rollout,
    )
    .await;
    field_repository(&s, persona, &[MockKind::Bios]).await;
    s
}

/// A Redfish GET on host 0 of the fleet, with its credentials.
async fn redfish(s: &Setup, path: &str) -> Value {
    let b = &s.fleet.bmcs[0];
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap()
        .get(format!("{}{path}", b.url()))
        .basic_auth(b.username(), Some(b.password()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The Dell jobs of host 0 still `Scheduled` (DMTF `JobState: Pending`).
async fn scheduled_jobs(s: &Setup) -> Vec<String> {
    let coll = redfish(s, "/redfish/v1/JobService/Jobs").await;
    let mut out = Vec::new();
    for m in coll["Members"].as_array().unwrap() {
        let j = redfish(s, m["@odata.id"].as_str().unwrap()).await;
        if j["JobState"] == "Pending" {
            out.push(j["Id"].as_str().unwrap().to_string());
        }
    }
    out
}

/// Plan now; run with a window opening `opens_in` from now (and closing an
/// hour later), side by side with `meanwhile` (given the window's start).
async fn staged_run<F, Fut>(
    s: &Setup,
    opens_in: Duration,
    meanwhile: F,
) -> (RolloutReport, DateTime<Utc>, Arc<SqliteStore>)
where
    F: FnOnce(DateTime<Utc>) -> Fut,
    Fut: std::future::Future<Output = ()>,
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
    assert_eq!(prepared.steps(), 1, "one BIOS step planned");
    let start = Utc::now() + chrono::Duration::from_std(opens_in).unwrap();
    let opts = ApplyOptions {
        window_start: Some(start),
        window_end: Some(start + chrono::Duration::hours(1)),
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
        meanwhile(start)
    );
    (report.unwrap(), start, store)
}

fn at(e: &fwfleet::store::Event) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&e.at)
        .unwrap()
        .with_timezone(&Utc)
}

/// The run's events of `kind` (step events included).
async fn events_of(store: &Arc<SqliteStore>, run: i64, kind: &str) -> Vec<fwfleet::store::Event> {
    Store::sqlite(store.clone())
        .events(run)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == kind)
        .collect()
}

async fn transfers_before_and_activates_inside(persona: Persona) {
    let s = one_host(persona, ROLLOUT).await;
    let bmc = &s.fleet.bmcs[0];
    let (report, start, store) = staged_run(&s, Duration::from_secs(12), |start| async move {
        // Right before the window opens: staged, and the host not reset.
        tokio::time::sleep(
            (start - Utc::now())
                .to_std()
                .unwrap_or_default()
                .saturating_sub(Duration::from_secs(1)),
        )
        .await;
        assert_eq!(
            bmc.state()["field"]["host_resets"],
            0,
            "{persona:?}: reset before the window"
        );
    })
    .await;
    let host = &report.hosts[0];
    assert_eq!(
        host.steps[0].outcome.as_str(),
        "updated",
        "{persona:?}: {host:?}"
    );
    let staged = events_of(&store, report.run_id, "staged-ahead").await;
    assert_eq!(staged.len(), 1, "{persona:?}: one staged-ahead event");
    let t1 = at(&staged[0]);
    assert!(
        t1 < start,
        "{persona:?}: staged at {t1}, window opens {start}"
    );
    let activation = events_of(&store, report.run_id, "activation").await;
    assert_eq!(activation.len(), 1, "{persona:?}: re-checked once");
    let reset = events_of(&store, report.run_id, "reset").await;
    assert_eq!(reset.len(), 1, "{persona:?}: one coordinated reset");
    let t2 = at(&reset[0]);
    assert!(
        t1 < start && start <= t2,
        "{persona:?}: staged {t1} < window start {start} <= activation {t2}"
    );
    let st = s.fleet.bmcs[0].state();
    assert_eq!(st["field"]["host_resets"], 1, "{persona:?}: one host reset");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stage_ahead_transfers_before_the_window_and_activates_inside_it_generic() {
    transfers_before_and_activates_inside(Persona::Generic).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stage_ahead_transfers_before_the_window_and_activates_inside_it_idrac() {
    transfers_before_and_activates_inside(Persona::Idrac).await;
}

/// A Dell job deleted before the window opens (here by the test, as a
/// colleague in the iDRAC UI would): the re-check at the window's start
/// finds it gone and the step is sent again inside the window.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_staged_image_gone_at_the_window_start_is_sent_again_inside_it() {
    let s = one_host(Persona::Idrac, ROLLOUT).await;
    let (report, start, store) = staged_run(&s, Duration::from_secs(12), |_| async {
        let jid = loop {
            if let Some(j) = scheduled_jobs(&s).await.pop() {
                break j;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let b = &s.fleet.bmcs[0];
        let r = reqwest::Client::new()
            .post(format!("{}/redfish/v1/Managers/iDRAC.Embedded.1/Oem/Dell/DellJobService/Actions/DellJobService.DeleteJobQueue", b.url()))
            .basic_auth(b.username(), Some(b.password()))
            .json(&serde_json::json!({"JobID": jid}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
    })
    .await;
    let gone = events_of(&store, report.run_id, "staged-gone").await;
    assert_eq!(gone.len(), 1, "{:?}", report.hosts[0]);
    assert!(at(&gone[0]) >= start);
    let host = &report.hosts[0];
    assert_eq!(host.steps.len(), 1, "{host:?}");
    assert_eq!(host.steps[0].outcome.as_str(), "updated", "{host:?}");
}

/// `fwfleet unstage` on a Dell host: fwfleet's scheduled job is deleted
/// (the mock's queue no longer has it), the step journaled, and the next
/// plan transfers the image again instead of activating it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unstage_deletes_the_dell_job_and_the_next_plan_sends_again() {
    let s = one_host(Persona::Idrac, "reset_policy = \"never\"\n").await;
    let out = fwfleet(&["apply", "--yes", "--format", "json"], &s.config);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["hosts"][0]["steps"][0]["outcome"], "staged",
        "{report}"
    );
    assert_eq!(
        scheduled_jobs(&s).await.len(),
        1,
        "the job waits for a reset"
    );
    let host = s.fleet.bmcs[0].name().to_string();
    let out = fwfleet(&["unstage", "--hosts", &host, "--json"], &s.config);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let un: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(un["hosts"][0]["result"], "unstaged", "{un}");
    assert_eq!(un["hosts"][0]["removed"].as_array().unwrap().len(), 1);
    assert!(scheduled_jobs(&s).await.is_empty(), "the job was deleted");
    let plan = fwfleet(&["plan", "--format", "json"], &s.config);
    let plan: Value = serde_json::from_slice(&plan.stdout).unwrap();
    let step = &plan["hosts"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|st| st["kind"] == "bios")
        .cloned()
        .unwrap();
    assert_eq!(step["action"], "upgrade", "{step}");
}

/// Where the BMC has no way to unstage, nothing is changed and the host
/// is refused with the reason: Supermicro (update mode), and a standard
/// BMC whose staged entry offers no `#SoftwareInventory.Cancel`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unstage_refuses_supermicro_and_a_bmc_without_cancel() {
    let s = one_host(Persona::Supermicro, "").await;
    let host = s.fleet.bmcs[0].name().to_string();
    let out = fwfleet(&["unstage", "--hosts", &host, "--json"], &s.config);
    assert_eq!(out.status.code(), Some(1));
    let un: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(un["hosts"][0]["result"], "refused", "{un}");
    assert!(un["hosts"][0]["message"]
        .as_str()
        .unwrap()
        .contains("update mode"));

    let s = one_host(Persona::Generic, "reset_policy = \"never\"\n").await;
    let out = fwfleet(&["apply", "--yes", "--format", "json"], &s.config);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["hosts"][0]["steps"][0]["outcome"], "staged",
        "{report}"
    );
    let host = s.fleet.bmcs[0].name().to_string();
    let out = fwfleet(&["unstage", "--hosts", &host, "--json"], &s.config);
    let un: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(un["hosts"][0]["result"], "refused", "{un}");
    assert!(un["hosts"][0]["message"]
        .as_str()
        .unwrap()
        .contains("SoftwareInventory.Cancel"));
}

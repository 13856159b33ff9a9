//! Crash-safe resume: steps left in flight are decided from the journal and
//! the BMC, never flashed twice. The kill test SIGKILLs `fwfleet apply` at
//! moments chosen from the store while a 20-BMC mock fleet on `field`
//! behaviour at its default timings (with a state dir and a bandwidth limit)
//! is being updated — during BMC reboots, hosts' POSTs and between
//! `reset-sent` and the reset among them — restarts it each time, and judges
//! by the BMCs' own flash and host-reset counters.

use super::apply::{repository_with, setup, Setup};
use fwfleet::config::Config;
use fwfleet::repository::Repository;
use fwfleet::store::sqlite::NewStep;
use fwfleet::store::{SqliteStore, Store};
use fwfleet::updater::apply::{self, ApplyOptions};
use fwfleet::updater::lock::UpdateLock;
use fwfleet::updater::resume::{self, IN_FLIGHT};
use mock_bmc::faults::{Faults, Scenario};
use mock_bmc::{FleetConfig, Profile};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// What a scan and plan say now: (host → steps planned).
async fn planned(cfg: &Config, dir: &Path) -> BTreeMap<String, usize> {
    let repo = Repository::open(&cfg.repository).unwrap();
    let store = Store::open(dir).await.unwrap();
    let p = apply::prepare(
        cfg,
        &repo,
        &store,
        &ApplyOptions::default(),
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    p.jobs
        .iter()
        .map(|j| (j.host.name.clone(), j.steps.len()))
        .collect()
}

fn fwfleet() -> Command {
    Command::new(env!("CARGO_BIN_EXE_fwfleet"))
}

fn log_file(log: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap()
}

/// What the kill test kills: `fwfleet apply` re-run after each kill, or
/// `fwfleet serve` restarted and asked for a run through its API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Driver {
    Apply,
    Serve,
}

const TOKEN: &str = "kill-test-token-0123456789abcdef";

/// One started fwfleet process.
struct Proc {
    child: Child,
    /// `serve`: where it listens and the run it was asked for.
    api: Option<(String, i64)>,
}

impl Proc {
    async fn start(driver: Driver, config: &Path, log: &Path) -> Proc {
        match driver {
            Driver::Apply => Proc {
                child: fwfleet()
                    .args(["apply", "--yes", "--format", "json", "--config"])
                    .arg(config)
                    .env("RUST_LOG", "warn")
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(log_file(log))
                    .spawn()
                    .unwrap(),
                api: None,
            },
            Driver::Serve => {
                use std::io::{BufRead, BufReader, Write};
                let mut child = fwfleet()
                    .args(["serve", "--bind", "127.0.0.1:0", "--config"])
                    .arg(config)
                    .env("RUST_LOG", "warn")
                    .env("FWFLEET_KILL_TEST_TOKEN", TOKEN)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                let (tx, rx) = std::sync::mpsc::channel::<String>();
                let stderr = child.stderr.take().unwrap();
                let mut out = log_file(log);
                std::thread::spawn(move || {
                    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                        let _ = writeln!(out, "{line}");
                        if let Some(a) = line.strip_prefix("fwfleet serve: listening on ") {
                            let _ = tx.send(a.to_string());
                        }
                    }
                });
                let base = tokio::task::spawn_blocking(move || {
                    rx.recv_timeout(Duration::from_secs(90))
                        .expect("the service says where it listens")
                })
                .await
                .unwrap();
                let mut p = Proc {
                    child,
                    api: Some((base, 0)),
                };
                p.next_run(log).await;
                p
            }
        }
    }

    /// `serve`: ask for a run (the API answers once resume is done).
    /// A service that exits before it answers (its start failed) is shown
    /// with its exit status and log, not as a bare connection reset.
    async fn next_run(&mut self, log: &Path) {
        let (base, run) = self.api.as_mut().unwrap();
        let sent = reqwest::Client::new()
            .post(format!("{base}/api/v1/runs"))
            .bearer_auth(TOKEN)
            .json(&serde_json::json!({}))
            .send()
            .await;
        let r = match sent {
            Ok(r) => r,
            Err(e) => panic!(
                "POST /api/v1/runs: {e}; the service {:?}; log:\n{}",
                self.child.try_wait(),
                std::fs::read_to_string(log).unwrap_or_default()
            ),
        };
        assert_eq!(r.status().as_u16(), 202, "{:?}", r.text().await);
        let v: serde_json::Value = r.json().await.unwrap();
        *run = v["run_id"].as_i64().unwrap();
    }

    /// Whether the process (apply) or its run (serve) has ended on its own.
    async fn ended(&mut self) -> bool {
        match &self.api {
            None => self.child.try_wait().unwrap().is_some(),
            Some((base, run)) => {
                let v: serde_json::Value = reqwest::Client::new()
                    .get(format!("{base}/api/v1/runs/{run}"))
                    .bearer_auth(TOKEN)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                v["run"]["status"] != "running"
            }
        }
    }

    /// Carry on after an end on its own: a new apply, or a new run.
    async fn again(self, driver: Driver, config: &Path, log: &Path) -> Proc {
        match driver {
            Driver::Apply => Proc::start(driver, config, log).await,
            Driver::Serve => {
                let mut p = self;
                p.next_run(log).await;
                p
            }
        }
    }

    fn sigkill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Wait for the end on its own.
    async fn finish(&mut self) {
        let t0 = Instant::now();
        while !self.ended().await {
            assert!(
                t0.elapsed() < Duration::from_secs(300),
                "the run never ended"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The moments the kill test aims at, each recognised from the store (and,
/// for a BMC reboot, from the BMC refusing connections).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Moment {
    /// The update request was journaled and is being sent (a multipart
    /// upload, throttled), or the BMC is pulling the image (SimpleUpdate,
    /// seen in the mock's `downloads_in_progress`).
    Transfer,
    /// A task is being followed.
    Monitoring,
    /// A step is followed or verified while its BMC refuses connections
    /// (rebooting after its own update).
    BmcReboot,
    /// A step has just ended and the host's next one has not been sent.
    BetweenSteps,
    /// The coordinated reset is journaled (`reset-sent`): it is being sent,
    /// or the host has just begun its POST.
    ResetSent,
    /// A host is in its POST after the coordinated reset (its BMC's mock
    /// state shows a `BootProgress` before the OS).
    HostPost,
}

/// Whether host `name` is in its POST (the mock's own view, in process).
fn in_post(fleet: &mock_bmc::MockFleet, name: &str) -> bool {
    let Some(b) = fleet.bmcs.iter().find(|b| b.name() == name) else {
        return false;
    };
    let v = b.state();
    let boot = v["field"]["boot_progress"].as_str().unwrap_or("");
    !boot.is_empty() && !matches!(boot, "None" | "OSRunning" | "OSBootStarted")
}

/// Hosts a restart found between `reset-sent` and the reset without
/// evidence of the reset: `needs-attention`, for the operator.
fn for_the_operator(log: &str) -> BTreeSet<String> {
    log.lines()
        .filter_map(|l| {
            let rest = "was reset-sent): needs-attention ";
            l.find(rest).map(|i| &l[i + rest.len()..])
        })
        .filter_map(|l| l.split(' ').next().map(str::to_string))
        .collect()
}

#[test]
fn the_operators_hosts_are_read_from_resume_lines() {
    let log = "resumed step 26 (run 6, was reset-sent): needs-attention bmc-0004 SYS120U-BIOS: fwfleet stopped while it sent the reset\nresumed step 27 (run 6, was running): updated bmc-0001 CX22-BIOS: now 2.14.5";
    assert_eq!(
        for_the_operator(log),
        BTreeSet::from(["bmc-0004".to_string()])
    );
}

/// Whether host `name`'s BMC is pulling an image now (SimpleUpdate: the
/// step is `running` while the BMC downloads from fwfleet's image server).
fn pulling(fleet: &mock_bmc::MockFleet, name: &str) -> bool {
    fleet
        .bmcs
        .iter()
        .find(|b| b.name() == name)
        .is_some_and(|b| b.state()["downloads_in_progress"].as_u64() > Some(0))
}

fn refuses(url: &str) -> bool {
    let addr = url
        .trim_start_matches("http://")
        .trim_start_matches("https://");
    std::net::TcpStream::connect_timeout(&addr.parse().unwrap(), Duration::from_millis(100))
        .is_err()
}

/// The newest run's id: steps of later runs belong to the process just started.
fn last_run(store: &SqliteStore) -> i64 {
    store.list_runs(1).unwrap().first().map_or(0, |r| r.id)
}

/// Whether `moment` is happening in the current process's run (rows that an
/// earlier process left, still waiting to be resumed, do not count).
fn observed(
    store: &SqliteStore,
    moment: Moment,
    urls: &BTreeMap<String, String>,
    fleet: &mock_bmc::MockFleet,
    done_before: &BTreeSet<i64>,
    after_run: i64,
) -> bool {
    let current = |states: &[&str]| {
        store
            .steps_in_state(states)
            .unwrap()
            .into_iter()
            .filter(|s| s.run_id > after_run)
            .collect::<Vec<_>>()
    };
    match moment {
        Moment::Transfer => {
            !current(&["submitted"]).is_empty()
                || current(&["running"])
                    .iter()
                    .any(|s| pulling(fleet, &s.host))
        }
        Moment::Monitoring => !current(&["running"]).is_empty(),
        Moment::BmcReboot => current(&["running", "verifying"])
            .iter()
            .any(|s| refuses(&urls[&s.host])),
        Moment::ResetSent => !current(&["reset-sent"]).is_empty(),
        Moment::HostPost => current(&["reset-sent", "verifying"])
            .iter()
            .any(|s| in_post(fleet, &s.host)),
        Moment::BetweenSteps => {
            let flying: BTreeSet<String> =
                current(&IN_FLIGHT).into_iter().map(|s| s.host).collect();
            current(&["done"]).iter().any(|s| {
                !done_before.contains(&s.id)
                    && s.outcome.as_deref() == Some("updated")
                    && !flying.contains(&s.host)
            })
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_apply_at_ten_moments_then_rerun_flashes_every_step_exactly_once() {
    kill_test(Driver::Apply).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_serve_at_ten_moments_then_restart_flashes_every_step_exactly_once() {
    kill_test(Driver::Serve).await;
}

/// A 50-BMC mixed fleet with a state dir and 2 MiB/s transfers; the process
/// is SIGKILLed at 10 moments seen in the store and the BMCs, and started
/// again each time.
async fn kill_test(driver: Driver) {
    let state_dir = tempfile::tempdir().unwrap();
    let throttle = Faults {
        download_bandwidth: Some(2 << 20),
        upload_bandwidth: Some(2 << 20),
        ..Faults::default()
    };
    let s = setup(
        FleetConfig {
            count: 20,
            profile: Profile::Mixed,
            seed: 7,
            scenario: Scenario {
                default: throttle,
                hosts: BTreeMap::new(),
            },
            state_dir: Some(state_dir.path().to_path_buf()),
            ..FleetConfig::default()
        }
        .field(crate::timing::FIELD_SCALE),
        "max_parallel = 5\ncanary = 0\nfailure_budget = 1.0\nstep_deadline_secs = 120\nresume_quiet_secs = 1\nresume_wait_secs = 30\nreset_policy = \"graceful\"",
    )
    .await;
    // BIOS images wait for a reset (except Supermicro's), which the
    // graceful reset policy makes: kills also land between staging and reset.
    repository_with(
        &s,
        Some(&[mock_bmc::Kind::Bmc, mock_bmc::Kind::Bios]),
        4 << 20,
        true,
    )
    .await;
    let cfg = Config::load(&s.config).unwrap();
    let before = planned(&cfg, &s.dir.path().join("before")).await;
    let total: usize = before.values().sum();
    assert!(
        before.len() == 20 && total >= 36,
        "most hosts have several steps: {before:?}"
    );
    let urls: BTreeMap<String, String> = s
        .fleet
        .bmcs
        .iter()
        .map(|b| (b.name().to_string(), b.url()))
        .collect();
    let store = SqliteStore::open(&cfg.state_dir).unwrap();
    let log = s.dir.path().join("apply.log");
    // The moments that only some steps pass through come first, while most
    // hosts still have work left; transfers end when the last image is sent
    // (activations may follow), so both come early; monitoring happens
    // until the end.
    let plan = [
        Moment::BmcReboot,
        Moment::Transfer,
        Moment::Monitoring,
        Moment::ResetSent,
        Moment::HostPost,
        Moment::Transfer,
        Moment::BetweenSteps,
        Moment::BmcReboot,
        Moment::HostPost,
        Moment::Monitoring,
    ];
    let mut kills: Vec<(Moment, Duration)> = Vec::new();
    if driver == Driver::Serve {
        let text = std::fs::read_to_string(&s.config).unwrap();
        let text = format!("[daemon]\ntoken_env = \"FWFLEET_KILL_TEST_TOKEN\"\n\n{text}");
        mock_bmc::fleet::write_private(&s.config, text.as_bytes()).unwrap();
    }
    let mut after_run = last_run(&store);
    let mut child = Proc::start(driver, &s.config, &log).await;
    let mut started = Instant::now();
    let t0 = Instant::now();
    for moment in plan {
        let done_before: BTreeSet<i64> = store
            .steps_in_state(&["done"])
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if child.ended().await {
                // It ran to the end before this moment came: carry on with
                // another run while there is work left.
                eprintln!("{driver:?} ended on its own before {moment:?}");
                assert!(
                    !planned(&cfg, &s.dir.path().join("probe")).await.is_empty(),
                    "the rollout ended before {moment:?}: kills so far {kills:?}"
                );
                after_run = last_run(&store);
                child = child.again(driver, &s.config, &log).await;
                started = Instant::now();
            }
            // Let each start make some progress of its own before aiming.
            if started.elapsed() > Duration::from_millis(300)
                && observed(&store, moment, &urls, &s.fleet, &done_before, after_run)
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{moment:?} never came; log:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
        child.sigkill();
        kills.push((moment, t0.elapsed()));
        eprintln!(
            "SIGKILL at {moment:?} after {:.1}s",
            t0.elapsed().as_secs_f64()
        );
        after_run = last_run(&store);
        child = Proc::start(driver, &s.config, &log).await;
        started = Instant::now();
    }
    // The last start runs to its end; then runs follow until nothing is left.
    let mut rounds = 0;
    for _ in 0..4 {
        child.finish().await;
        rounds += 1;
        let log_text = std::fs::read_to_string(&log).unwrap_or_default();
        let mut left = planned(&cfg, &s.dir.path().join("check")).await;
        left.retain(|h, _| !for_the_operator(&log_text).contains(h));
        if left.is_empty() {
            break;
        }
        child = child.again(driver, &s.config, &log).await;
    }
    if driver == Driver::Serve {
        child.sigkill();
    }
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(kills.len(), 10, "{kills:?}");
    // A kill between `reset-sent` and the reset leaves a host whose reset
    // may or may not have been sent: fwfleet never resets it again
    // (issue 16 item 2), so it stays for the operator, staged.
    let operator = for_the_operator(&log_text);
    let mut left = planned(&cfg, &s.dir.path().join("after")).await;
    left.retain(|h, _| !operator.contains(h));
    assert!(
        left.is_empty(),
        "every host at the repository's versions after {rounds} more run(s) (but {operator:?}, left for the operator); log:\n{log_text}"
    );
    // Every step has a final outcome, and no run is left "running".
    let store = SqliteStore::open(&cfg.state_dir).unwrap();
    let flying = store.steps_in_state(&IN_FLIGHT).unwrap();
    assert!(flying.is_empty(), "in flight at the end: {flying:#?}");
    let runs = store.list_runs(100).unwrap();
    assert!(runs.len() >= 11, "one run per start: {}", runs.len());
    assert!(runs.iter().all(|r| r.status != "running"), "{runs:#?}");
    // The judge: each BMC wrote each planned component exactly once.
    for b in &s.fleet.bmcs {
        let st = b.state();
        let counts: Vec<u64> = st["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["flash_count"].as_u64().unwrap())
            .collect();
        assert!(
            counts.iter().all(|&n| n <= 1),
            "{} flashed a component twice: {counts:?}; log:\n{log_text}",
            b.name()
        );
        let want = before.get(b.name()).copied().unwrap_or(0) as u64;
        let resets = st["field"]["host_resets"].as_u64().unwrap_or(0);
        assert!(
            resets <= 1,
            "{}: the host was reset {resets} times; log:\n{log_text}",
            b.name()
        );
        if operator.contains(b.name()) {
            continue;
        }
        assert_eq!(
            counts.iter().sum::<u64>(),
            want,
            "{}: flashed components against planned steps",
            b.name()
        );
    }
    // How the restarts decided what each kill left in flight.
    let mut resumed = BTreeMap::<String, usize>::new();
    for line in log_text
        .lines()
        .filter_map(|l| l.find("resumed step").map(|i| &l[i..]))
    {
        let outcome = line.split("): ").nth(1).and_then(|r| r.split(' ').next());
        *resumed
            .entry(outcome.unwrap_or("?").to_string())
            .or_default() += 1;
    }
    eprintln!(
        "kill test ({driver:?}): 10 SIGKILLs at {kills:?}; {total} steps on {} hosts; resumed steps by outcome {resumed:?}; {rounds} run(s) after the last kill; {:.1}s",
        before.len(),
        t0.elapsed().as_secs_f64()
    );
    assert!(
        resumed.values().sum::<usize>() >= 10,
        "every kill left steps to resume: {resumed:?}"
    );
}

/// Journal rows as a stopped apply leaves them, for one real component.
async fn one_host() -> (Setup, Config, String, String, String) {
    let s = setup(
        FleetConfig {
            count: 2,
            ..FleetConfig::default()
        },
        "resume_quiet_secs = 0.3\nresume_wait_secs = 2",
    )
    .await;
    let cfg = Config::load(&s.config).unwrap();
    let inv =
        fwfleet::inventory::scan::scan(&cfg, &fwfleet::inventory::scan::ScanOptions::default())
            .await;
    let h = &inv.hosts[0];
    let bios = h
        .components
        .iter()
        .find(|c| c.kind == fwfleet::inventory::model::Kind::Bios)
        .unwrap();
    let (name, identity, version) = (
        h.name.clone(),
        bios.identity.clone(),
        bios.version.clone().unwrap(),
    );
    (s, cfg, name, identity, version)
}

/// A run that a stopped apply left with these (state, target version) steps
/// on one component: (store, run id, step ids).
pub(crate) fn left_behind(
    cfg: &Config,
    host: &str,
    identity: &str,
    version: &str,
    steps: &[(&str, &str)],
) -> (Arc<SqliteStore>, i64, Vec<i64>) {
    let store = Arc::new(SqliteStore::open(&cfg.state_dir).unwrap());
    let run = store.create_run("running", &serde_json::json!({})).unwrap();
    let ids = steps
        .iter()
        .map(|(state, to)| {
            store
                .add_step(
                    run,
                    &NewStep {
                        host,
                        component: identity,
                        from_version: Some(version),
                        to_version: to,
                        state,
                    },
                )
                .unwrap()
        })
        .collect();
    (store, run, ids)
}

pub(crate) async fn resume_now(cfg: &Config, store: &Arc<SqliteStore>) -> resume::ResumeReport {
    let lock = UpdateLock::acquire(&cfg.state_dir).unwrap();
    resume::resume(
        cfg,
        &Store::sqlite(store.clone()),
        &lock,
        &CancellationToken::new(),
        Duration::from_millis(100),
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn resume_decides_each_state_from_the_bmc_and_marks_the_old_run_interrupted() {
    let (_s, cfg, host, identity, version) = one_host().await;
    // Never sent; sent with no trace on the BMC; already at the target.
    let (store, run, ids) = left_behind(
        &cfg,
        &host,
        &identity,
        &version,
        &[
            ("planned", "9.9.9"),
            ("submitted", "9.9.9"),
            ("submitted", &version),
        ],
    );
    let (planned, sent, there) = (ids[0], ids[1], ids[2]);
    let t0 = Instant::now();
    let report = resume_now(&cfg, &store).await;
    let by_id: BTreeMap<i64, _> = report.steps.iter().map(|r| (r.step_id, r)).collect();
    assert_eq!(by_id[&planned].outcome, "cancelled", "{report:#?}");
    assert!(by_id[&planned].message.contains("before anything was sent"));
    assert_eq!(by_id[&sent].outcome, "cancelled", "{report:#?}");
    assert!(
        by_id[&sent].message.contains("nothing was written")
            && by_id[&sent].message.contains(&host),
        "{}",
        by_id[&sent].message
    );
    assert!(
        t0.elapsed() >= Duration::from_millis(300),
        "the quiet period was waited"
    );
    assert_eq!(by_id[&there].outcome, "updated", "{report:#?}");
    assert!(report.steps.iter().all(|s| !s.failed()));
    assert_eq!(report.interrupted_runs, vec![run]);
    assert_eq!(store.run(run).unwrap().unwrap().status, "interrupted");
    assert!(store.steps_in_state(&IN_FLIGHT).unwrap().is_empty());
    for id in [planned, sent, there] {
        assert_eq!(store.step(id).unwrap().unwrap().state, "done");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn without_retry_a_step_with_no_trace_needs_attention() {
    let (s, _cfg, host, identity, version) = one_host().await;
    let text = std::fs::read_to_string(&s.config).unwrap().replace(
        "resume_quiet_secs = 0.3",
        "resume_quiet_secs = 0.1\nresume_retry = false",
    );
    std::fs::write(&s.config, text).unwrap();
    let cfg = Config::load(&s.config).unwrap();
    let (store, _, ids) = left_behind(&cfg, &host, &identity, &version, &[("submitted", "9.9.9")]);
    let id = ids[0];
    let report = resume_now(&cfg, &store).await;
    assert_eq!(report.steps[0].step_id, id);
    assert_eq!(report.steps[0].outcome, "needs-attention");
    assert!(report.steps[0].failed());
    assert!(report.steps[0].message.contains("resume_retry = false"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bmc_that_does_not_answer_keeps_its_steps_in_flight_and_out_of_the_plan() {
    let (s, _cfg, host, identity, version) = one_host().await;
    // The BMC goes away (as while rebooting), its step was sent.
    let cfg = Config::load(&s.config).unwrap();
    let url = s
        .fleet
        .bmcs
        .iter()
        .find(|b| b.name() == host)
        .unwrap()
        .url();
    drop(s.fleet);
    let (store, _, ids) = left_behind(&cfg, &host, &identity, &version, &[("running", "9.9.9")]);
    let id = ids[0];
    let report = resume_now(&cfg, &store).await;
    assert!(report.steps.is_empty(), "{report:#?}");
    assert_eq!(report.unresolved.len(), 1, "{report:#?}");
    assert!(
        report.unresolved[0].contains(&host) && report.unresolved[0].contains("did not answer"),
        "{}",
        report.unresolved[0]
    );
    assert_eq!(store.step(id).unwrap().unwrap().state, "running");
    // The plan leaves the host out, naming the step.
    let repo = Repository::create_or_open(&cfg.repository).unwrap();
    let p = apply::prepare(
        &cfg,
        &repo,
        &Store::sqlite(store.clone()),
        &ApplyOptions::default(),
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert!(
        p.held_back
            .iter()
            .any(|b| b.step_id == id && b.host == host),
        "{:?} (url {url})",
        p.held_back
    );
    assert!(p.inventory.hosts.iter().all(|h| h.name != host));
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_refuses_while_another_process_holds_the_state_directory() {
    let (s, cfg, ..) = one_host().await;
    let _held = UpdateLock::acquire(&cfg.state_dir).unwrap();
    Repository::create_or_open(&cfg.repository).unwrap();
    let config = s.config.clone();
    let out = tokio::task::spawn_blocking(move || {
        fwfleet()
            .args(["apply", "--yes", "--config"])
            .arg(&config)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("another fwfleet") && err.contains(&std::process::id().to_string()),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn resume_during_a_run_leaves_that_run_running() {
    let (_s, cfg, host, identity, version) = one_host().await;
    let (store, old, ids) = left_behind(&cfg, &host, &identity, &version, &[("planned", "9.9.9")]);
    let current = store.create_run("running", &serde_json::json!({})).unwrap();
    let lock = UpdateLock::acquire(&cfg.state_dir).unwrap();
    let report = resume::resume_during(
        &cfg,
        &Store::sqlite(store.clone()),
        &lock,
        &CancellationToken::new(),
        Duration::from_millis(100),
        current,
    )
    .await
    .unwrap();
    assert_eq!(report.steps.len(), 1);
    assert_eq!(report.steps[0].step_id, ids[0]);
    assert_eq!(report.interrupted_runs, vec![old]);
    assert_eq!(store.run(current).unwrap().unwrap().status, "running");
    assert_eq!(store.run(old).unwrap().unwrap().status, "interrupted");
}

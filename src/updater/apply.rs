//! `apply` as a library call, shared by the CLI, the demo and the service:
//! scan → plan → host jobs ([`prepare`]), then image server + journaled run +
//! rollout ([`execute`]). The CLI adds the question, the waiting for `--at`
//! and the rendering.

use crate::config::{Config, ResetPolicy, Rollout};
use crate::imageserver::{ImageServer, ImageServerConfig, TlsFiles};
use crate::inventory::model::Inventory;
use crate::planner::{self, Plan};
use crate::repository::Repository;
use crate::store::{Store, StoreError};
use crate::updater::control::Steering;
use crate::updater::host::{HostJob, Shared};
use crate::updater::jobs::{self, RepoSource};
use crate::updater::progress::ProgressSink;
use crate::updater::rollout::{self, RolloutReport};
use crate::updater::window::{rfc3339, WindowEnd};
use crate::vocab::{RunStatus, StepState};
use serde::Serialize;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What the operator asked for on top of the config's `[rollout]`.
/// Read back from a run's options when `serve` continues a parked run.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ApplyOptions {
    /// Only hosts whose name matches these names or globs (comma-separated).
    pub hosts: Option<String>,
    /// Only hosts whose labels satisfy this selector (`rack=r12,!canary`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// Leave out hosts matching these names or globs (comma-separated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude: Option<String>,
    /// Only these component kinds; empty is every kind.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<crate::vocab::Kind>,
    pub canary: Option<usize>,
    pub max_parallel: Option<usize>,
    pub failure_budget: Option<f64>,
    pub reset_policy: Option<ResetPolicy>,
    pub allow_downgrade: bool,
    /// A one-off trial: only this repository entry (its `file`) is planned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The operator's reason for running inside a change freeze
    /// (`[[freezes]]`); recorded in the run's options and events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_freeze: Option<String>,
    /// Task poll interval when the BMC gives no `Retry-After` (default 1 s).
    #[serde(skip)]
    pub poll: Option<Duration>,
    /// Print scan progress on stderr (the CLI's choice, not the service's).
    #[serde(skip)]
    pub progress: bool,
    /// Where the run's events go (`[[notify]]`); the caller starts it and,
    /// for `apply`, flushes it at the end. The default sends nothing.
    #[serde(skip)]
    pub notify: crate::notify::Notifier,
    /// The maintenance window's end: `apply --at --window`, or the span of
    /// the service's window run; none for API runs. No submit,
    /// `StartUpdate` or reset after it (`updater::window`). Not taken from
    /// a request body, not stored with the options (the run's `window`
    /// says it).
    #[serde(skip)]
    pub window_end: Option<chrono::DateTime<chrono::Utc>>,
    /// The maintenance window's start (`apply --at`), for a run that may
    /// start before it: one that stages ahead (`--stage-ahead`, `[rollout]
    /// stage_ahead`: before it, steps are only transferred and staged;
    /// activation waits for it), or one whose `no-host-impact` steps may
    /// run outside windows (`[rollout] no_host_impact_outside_windows`).
    #[serde(skip)]
    pub window_start: Option<chrono::DateTime<chrono::Utc>>,
    /// `apply --stage-ahead`: overrides `[rollout] stage_ahead`.
    #[serde(skip)]
    pub stage_ahead: Option<Duration>,
    /// `apply --seed`: the phases' cohorts (overrides `[rollout] seed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

impl ApplyOptions {
    /// The planner's policy for these options: the one place a run, a dry
    /// run and the service's fleet view decide it, so their compliance
    /// cannot disagree.
    pub fn policy(&self) -> planner::Policy {
        planner::Policy {
            allow_downgrade: self.allow_downgrade,
            kinds: self.kinds.clone(),
            ..planner::Policy::default()
        }
    }

    /// With `[[rollout.phases]]` and no seed from the command or the
    /// config: one drawn now, so that the cohorts shown, the run's stored
    /// options (a run `serve` continues after a restart) and the rollout
    /// agree.
    pub fn with_seed(mut self, base: &Rollout) -> ApplyOptions {
        if self.seed.is_none() && base.phases.seed.is_none() && !base.phases.phases.is_empty() {
            self.seed = Some(super::phases::draw_seed());
        }
        self
    }

    /// The config's rollout settings with the command's overrides.
    pub fn rollout(&self, base: &Rollout) -> Rollout {
        let mut r = base.clone();
        if let Some(c) = self.canary {
            r.canary = c;
        }
        if let Some(m) = self.max_parallel {
            r.max_parallel = m.max(1);
        }
        if let Some(b) = self.failure_budget {
            r.failure_budget = b;
        }
        if let Some(p) = self.reset_policy {
            r.reset_policy = p;
        }
        if let Some(d) = self.stage_ahead {
            r.stage_ahead = Some(d).filter(|d| !d.is_zero());
        }
        if let Some(s) = self.seed {
            r.phases.seed = Some(s);
        }
        r
    }
}

/// Why `apply` could not run.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Jobs(#[from] jobs::JobsError),
    #[error("image server: {0}")]
    ImageServer(#[from] crate::imageserver::ImageServerError),
    #[error(transparent)]
    Select(#[from] crate::select::SelectError),
    #[error("the image check stopped: {0}")]
    Task(String),
    /// A planned image is missing or corrupt: nothing was sent.
    #[error(transparent)]
    Refused(#[from] super::preflight::Refused),
}

/// Which command started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunCommand {
    Apply,
    Serve,
    /// `fwfleet rollback` (`updater::rollback`).
    Rollback,
}

impl RunCommand {
    /// The command a stored run's options name (`None` for options no
    /// fwfleet wrote).
    pub fn of(run: &crate::store::Run) -> Option<RunCommand> {
        let v: serde_json::Value = serde_json::from_str(&run.options_json).ok()?;
        match v["command"].as_str()? {
            "apply" => Some(RunCommand::Apply),
            "serve" => Some(RunCommand::Serve),
            "rollback" => Some(RunCommand::Rollback),
            _ => None,
        }
    }

    /// Whether a run of this command that stopped while paused stays
    /// parked for `serve` to continue within its frozen plan. Not a
    /// rollback: `serve` plans upgrades, so "continuing" one would undo
    /// what the operator asked for; a stopped rollback ends (`cancelled`,
    /// or `interrupted` at the next start) and is run again by hand.
    pub fn parks(self) -> bool {
        !matches!(self, RunCommand::Rollback)
    }

    /// [`RunCommand::parks`] for a stored run (unknown options park, as
    /// before the command was recorded).
    pub fn parks_run(run: &crate::store::Run) -> bool {
        RunCommand::of(run).is_none_or(RunCommand::parks)
    }
}

/// The window a service run was started for.
#[derive(Debug, Clone, Serialize)]
pub struct WindowRun {
    pub windows: Vec<String>,
    /// RFC 3339.
    pub start: String,
    /// RFC 3339.
    pub end: String,
    pub hosts: usize,
}

/// What a run was started with: stored as the run's options JSON
/// (`fwfleet status`, `/api/v1/runs`). The store writes it with its keys
/// sorted, as earlier fwfleet wrote it, so old and new runs read alike.
#[derive(Debug, Clone, Serialize)]
pub struct RunOptions {
    pub command: RunCommand,
    /// Who asked (`api`, `window …`), for service runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
    /// What the operator asked for on top of the config.
    pub options: ApplyOptions,
    /// The rollout settings in force (config + options).
    pub max_parallel: usize,
    pub canary: usize,
    pub failure_budget: f64,
    pub reset_policy: ResetPolicy,
    /// Hosts with steps, when the run was created after planning (`apply`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hosts: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowRun>,
}

impl RunOptions {
    /// The options of a run of `command` under `rollout` (the config's
    /// settings with `opts` applied).
    pub fn new(command: RunCommand, opts: &ApplyOptions, rollout: &Rollout) -> RunOptions {
        RunOptions {
            command,
            trigger: None,
            options: opts.clone(),
            max_parallel: rollout.max_parallel,
            canary: rollout.canary,
            failure_budget: rollout.failure_budget,
            reset_policy: rollout.reset_policy,
            hosts: None,
            window: None,
        }
    }
}

/// A host left out of the plan because a step of an earlier run is still in
/// flight on it (see `updater::resume`): planning it could flash twice.
#[derive(Debug, Clone, Serialize)]
pub struct HeldBack {
    pub host: String,
    pub step_id: i64,
    pub run_id: i64,
    pub component: String,
    pub state: StepState,
}

/// What `apply` will do.
#[derive(Debug)]
pub struct Prepared {
    pub scan_id: i64,
    pub inventory: Inventory,
    pub plan: Plan,
    pub jobs: Vec<HostJob>,
    /// Hosts with steps still in flight, not planned this time.
    pub held_back: Vec<HeldBack>,
    /// Planned images that are missing or corrupt (`image-missing`,
    /// `image-corrupt` rows): `apply` refuses to run while there are any.
    pub bad_images: Vec<super::preflight::BadImage>,
}

impl Prepared {
    pub fn steps(&self) -> usize {
        self.jobs.iter().map(|j| j.steps.len()).sum()
    }
}

impl ApplyOptions {
    /// The host selection these options make; `source` names the flags
    /// (CLI) or body fields (API) in an error.
    pub fn host_selector(
        &self,
        source: crate::select::Source,
    ) -> Result<crate::select::HostSelector, ApplyError> {
        let list = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Ok(crate::select::HostSelector::parse(
            &list(&self.hosts),
            self.selector.as_deref(),
            &list(&self.exclude),
            source,
        )?)
    }
}

/// Scan the fleet (saved in the store), plan, and turn the plan into jobs.
pub async fn prepare(
    cfg: &Config,
    repo: &Repository,
    store: &Store,
    opts: &ApplyOptions,
    cancel: &CancellationToken,
) -> Result<Prepared, ApplyError> {
    let scan_opts = crate::inventory::scan::ScanOptions {
        hosts: opts.host_selector(crate::select::Source::Cli)?,
        progress: opts.progress,
        cancel: cancel.clone(),
        ..Default::default()
    };
    // The scan reads only the chosen hosts.
    let inventory = crate::inventory::scan::scan(cfg, &scan_opts).await;
    let scan_id = store.save_inventory(&inventory).await?;
    prepare_from(cfg, repo, store, opts, inventory, scan_id).await
}

/// [`prepare`] from an inventory already at hand (`scan_id` names where it
/// was saved): the schedule preview plans from the stored scans this way,
/// without touching a BMC. Hosts outside the selection are dropped.
pub async fn prepare_from(
    cfg: &Config,
    repo: &Repository,
    store: &Store,
    opts: &ApplyOptions,
    mut inventory: Inventory,
    scan_id: i64,
) -> Result<Prepared, ApplyError> {
    let selector = opts.host_selector(crate::select::Source::Cli)?;
    if !selector.is_everything() {
        let labels: std::collections::HashMap<&str, &std::collections::BTreeMap<String, String>> =
            cfg.hosts
                .iter()
                .map(|h| (h.name.as_str(), &h.labels))
                .collect();
        let none = std::collections::BTreeMap::new();
        inventory.hosts.retain(|h| {
            selector.matches(
                &h.name,
                labels.get(h.name.as_str()).copied().unwrap_or(&none),
            )
        });
    }
    // Never plan a host whose earlier update may still be running. Resume
    // (called first by `apply` and `serve`) decides such steps; what is left
    // is a BMC that did not answer, or a dry run that resumes nothing.
    let held_back: Vec<HeldBack> = store
        .steps_in_flight()
        .await?
        .into_iter()
        .filter(|s| inventory.hosts.iter().any(|h| h.name == s.host))
        .map(|s| HeldBack {
            host: s.host,
            step_id: s.id,
            run_id: s.run_id,
            component: s.component,
            state: s.state,
        })
        .collect();
    inventory
        .hosts
        .retain(|h| !held_back.iter().any(|b| b.host == h.name));
    // Images the journal knows are staged but the BMC does not list: their
    // activation is planned, never a second transfer.
    let journal = super::staged::add_from_journal(store, &mut inventory).await?;
    for st in &journal.staged {
        tracing::info!(
            host = %st.host,
            "{} {} was staged by step {} of run {} and the BMC lists nothing pending: planned as staged, not sent again",
            st.identity,
            st.version,
            st.step_id,
            st.run_id
        );
    }
    let mut plan = match &opts.image {
        Some(file) => planner::plan(
            &inventory,
            &jobs::OnlyEntry {
                repo: RepoSource(repo),
                file,
            },
            &opts.policy(),
        ),
        None => planner::plan(&inventory, &RepoSource(repo), &opts.policy()),
    };
    crate::updater::control::hold_plan(
        &mut plan,
        &crate::updater::control::holds_in_force(cfg, store).await?,
        cfg,
    );
    // Staged, then stopped between `reset-sent` and the reset: neither a
    // second transfer nor a second reset (issue 16 item 2).
    for u in &journal.unsettled {
        tracing::warn!(
            host = %u.host,
            "{} {}: step {} of run {} stopped between reset-sent and the reset; blocked until the host is reset by hand",
            u.identity,
            u.version,
            u.step_id,
            u.run_id
        );
    }
    super::staged::block_unsettled(&mut plan, &journal.unsettled);
    let (plan, bad_images) = super::preflight::mark_plan_in(plan, &cfg.state_dir)
        .await
        .map_err(|e| ApplyError::Task(e.to_string()))?;
    let activate = opts.rollout(&cfg.rollout).reset_policy != ResetPolicy::Never;
    let jobs = jobs::from_plan(&plan, cfg, activate)?;
    Ok(Prepared {
        scan_id,
        inventory,
        plan,
        jobs,
        held_back,
        bad_images,
    })
}

/// Start the image server for this run, from the config.
pub async fn image_server(
    cfg: &Config,
    stop: CancellationToken,
) -> Result<ImageServer, ApplyError> {
    let s = &cfg.image_server;
    let tls = match (&s.tls_cert, &s.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ => None,
    };
    Ok(ImageServer::start(
        ImageServerConfig {
            bind: s.bind,
            advertise_url: s.advertise_url.clone(),
            tls,
            bmc_verify: s.bmc_verify_certificate,
            ..ImageServerConfig::default()
        },
        stop,
    )
    .await?)
}

/// Run the jobs as one journaled run; the run's final status is stored
/// before this returns.
/// `unreachable_at_scan` counts the hosts the scan before it could not reach:
/// they have no job, but the run's status must say they were not updated.
pub async fn execute(
    cfg: &Config,
    jobs: Vec<HostJob>,
    unreachable_at_scan: usize,
    opts: &ApplyOptions,
    store: Store,
    cancel: CancellationToken,
    progress: Arc<dyn ProgressSink>,
) -> Result<RolloutReport, ApplyError> {
    execute_in(
        cfg,
        jobs,
        unreachable_at_scan,
        opts,
        store,
        None,
        cancel,
        progress,
    )
    .await
}

/// [`execute`] into a run the caller created already (`run`), or a new one.
/// The service creates its run when a request arrives, before the scan, so
/// that it can answer with the run's id at once.
#[allow(clippy::too_many_arguments)]
pub async fn execute_in(
    cfg: &Config,
    jobs: Vec<HostJob>,
    unreachable_at_scan: usize,
    opts: &ApplyOptions,
    store: Store,
    run: Option<i64>,
    cancel: CancellationToken,
    progress: Arc<dyn ProgressSink>,
) -> Result<RolloutReport, ApplyError> {
    // The last look at every image before anything is sent: a bad one
    // refuses the whole run (issue 16 item 5).
    super::preflight::verify_jobs(&jobs, Some(crate::repository::Stamps::open(&cfg.state_dir)))
        .await?;
    let stop = CancellationToken::new();
    let images = image_server(cfg, stop.clone()).await?;
    let rollout = opts.rollout(&cfg.rollout);
    let run_id = match run {
        Some(id) => id,
        None => {
            let options = RunOptions {
                hosts: Some(jobs.len()),
                ..RunOptions::new(RunCommand::Apply, opts, &rollout)
            };
            let id = store.create_run(&options).await?;
            opts.notify.emit(id, run_created(&options));
            id
        }
    };
    if let Some(why) = &opts.override_freeze {
        store
            .add_event(
                run_id,
                None,
                "freeze-override",
                &format!(
                    "started inside a change freeze by the operator's explicit override: {why}"
                ),
            )
            .await?;
    }
    store
        .add_event(
            run_id,
            None,
            "started",
            &format!(
                "{} host(s), {} step(s); image server {}",
                jobs.len(),
                jobs.iter().map(|j| j.steps.len()).sum::<usize>(),
                images.base_url()
            ),
        )
        .await?;
    // The plan is frozen with the run: what it runs from here on is this
    // list, whatever the repository or the config become meanwhile; only a
    // hold or a pin added mid-run overrides it, at the next step boundary.
    let frozen = super::control::frozen(&jobs);
    store
        .freeze_plan(run_id, jobs.len(), frozen.len(), &frozen)
        .await?;
    let holds = crate::updater::control::holds_in_force(cfg, &store).await?;
    let steering = Steering::new(store.clone(), run_id, cancel.clone(), holds);
    steering.start().await?;
    let gates = gate_events(&steering, &store, &opts.notify);
    // Stage ahead only where something activates in the window: under
    // reset policy `never` nothing would.
    let activate_at = match (rollout.stage_ahead, opts.window_start) {
        (Some(_), Some(start)) if rollout.reset_policy != ResetPolicy::Never => {
            if start > chrono::Utc::now() {
                store
                    .add_event(
                        run_id,
                        None,
                        "stage-ahead",
                        &format!(
                            "staging ahead: images are transferred and staged (apply time OnReset) before the window opens at {}; activation waits for it",
                            rfc3339(start)
                        ),
                    )
                    .await?;
            }
            Some(start)
        }
        (Some(_), Some(_)) => {
            store
                .add_event(run_id, None, "stage-ahead", "stage ahead is off for this run: reset policy never activates nothing in the window")
                .await?;
            None
        }
        _ => None,
    };
    let impact_at = impact_at(&store, run_id, &rollout, opts.window_start, activate_at).await?;
    let shared = Arc::new(Shared {
        activate_at: crate::updater::stage_ahead::ActivateAt(activate_at),
        impact_at: crate::updater::stage_ahead::ActivateAt(impact_at),
        store: store.clone(),
        images: Some(Arc::new(images)),
        run_id,
        rollout,
        cancel,
        progress,
        poll: opts.poll.unwrap_or(Duration::from_secs(1)),
        steering: steering.clone(),
        notify: opts.notify.clone(),
        window: WindowEnd::from_option(opts.window_end),
        // An override covers the whole run, freezes that begin later too.
        freezes: if opts.override_freeze.is_some() {
            Default::default()
        } else {
            cfg.freezes.clone()
        },
    });
    if let Some(end) = opts.window_end {
        store
            .add_event(
                run_id,
                None,
                "window",
                &format!(
                    "the maintenance window closes at {}: no submit, StartUpdate or coordinated reset after it; a task running then is followed to its end",
                    rfc3339(end)
                ),
            )
            .await?;
    }
    let result = rollout::run(jobs, shared.clone())
        .await
        .map(|r| r.with_unreachable_at_scan(unreachable_at_scan));
    steering.stop();
    gates.abort();
    let status = match &result {
        Ok(r) => r.status,
        Err(_) => RunStatus::Failed,
    };
    let parked = run.is_some()
        && status == RunStatus::Cancelled
        && store
            .run(run_id)
            .await?
            .is_some_and(|r| RunCommand::parks_run(&r))
        && steering.parked()
        && store
            .control(run_id)
            .await?
            .is_some_and(|c| c.requested == crate::vocab::Control::Paused);
    if parked {
        // A service run stopped (SIGTERM) while paused: the run stays
        // paused in the store instead of ending; `serve` continues it when
        // it starts again and is resumed, `fwfleet run cancel` ends it. An
        // `apply` cannot continue a run, so its runs end `cancelled`.
        store
            .add_event(
                run_id,
                None,
                "parked",
                &format!("the process stopped while the run was paused: run {run_id} stays paused; the next `fwfleet serve` continues it after `fwfleet run resume {run_id}`, `fwfleet run cancel {run_id}` ends it"),
            )
            .await?;
        stop.cancel();
        return Ok(result?);
    }
    store.finish_run(run_id, status).await?;
    if let Ok(r) = &result {
        let deferred = r.steps_by_outcome.get("deferred").copied().unwrap_or(0);
        if deferred > 0 || r.hosts_by_result.contains_key("deferred") {
            store
                .add_event(
                    run_id,
                    None,
                    "window",
                    &format!(
                        "the maintenance window closed at {}: {deferred} step(s) deferred and nothing sent for them; hosts with images still staged wait for their reset; the next window plans them again",
                        opts.window_end.map(rfc3339).unwrap_or_default()
                    ),
                )
                .await?;
        }
        let line = match &r.halted_reason {
            Some(why) => format!("halted: {why}"),
            None if r.unreachable_at_scan > 0 => format!(
                "{}: {} host(s) failed, {} unreachable at the scan",
                r.status, r.failed_hosts, r.unreachable_at_scan
            ),
            None => format!("{}: {} host(s) failed", r.status, r.failed_hosts),
        };
        store
            .add_event(run_id, None, r.status.as_str(), &line)
            .await?;
        opts.notify
            .emit(run_id, crate::notify::event::finished(r, line));
    }
    stop.cancel();
    Ok(result?)
}

/// `run.created` of a run with these options.
pub fn run_created(options: &RunOptions) -> crate::notify::EventData {
    crate::notify::EventData::RunCreated {
        command: match options.command {
            RunCommand::Apply => "apply",
            RunCommand::Serve => "serve",
            RunCommand::Rollback => "rollback",
        }
        .to_string(),
        trigger: options.trigger.clone(),
        hosts: options.hosts,
    }
}

/// `gate.waiting` each time the run's gate closes for an operator (a
/// pause, also one the run was created with), until aborted.
fn gate_events(
    steering: &Arc<Steering>,
    store: &Store,
    notify: &crate::notify::Notifier,
) -> tokio::task::JoinHandle<()> {
    let (mut rx, store, notify) = (steering.subscribe(), store.clone(), notify.clone());
    let run_id = steering.run_id();
    tokio::spawn(async move {
        if !notify.is_enabled() {
            return;
        }
        let mut was = crate::vocab::Control::Running;
        loop {
            let now = *rx.borrow_and_update();
            if now == crate::vocab::Control::Paused && was != now {
                let c = store.control(run_id).await.ok().flatten();
                notify.emit(
                    run_id,
                    crate::notify::EventData::GateWaiting {
                        gate: "paused".into(),
                        requested_by: c.as_ref().map(|c| c.requested_by.clone()),
                        reason: c.and_then(|c| c.reason),
                        message: format!("run {run_id} is paused: no new host or step starts until `fwfleet run resume {run_id}`"),
                    },
                );
            }
            was = now;
            if rx.changed().await.is_err() {
                return;
            }
        }
    })
}

/// The per-host table printed at the end.
pub fn render_table(r: &RolloutReport) -> String {
    let mut out = String::new();
    let w = r
        .hosts
        .iter()
        .map(|h| h.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let _ = writeln!(
        out,
        "{:<w$}  {:<18}  {:>5}  MESSAGE",
        "HOST", "RESULT", "STEPS"
    );
    for h in &r.hosts {
        let _ = writeln!(
            out,
            "{:<w$}  {:<18}  {:>5}  {}",
            h.name,
            h.result,
            h.steps.len(),
            h.message
        );
    }
    let by = |m: &std::collections::BTreeMap<String, usize>| {
        m.iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        out,
        "\nrun {}: {} in {:.1}s; hosts: {}; steps: {}; {} of {} host(s) failed (failure budget {} host(s))",
        r.run_id,
        r.status,
        r.duration_ms as f64 / 1000.0,
        by(&r.hosts_by_result),
        by(&r.steps_by_outcome),
        r.failed_hosts,
        r.hosts.len(),
        r.failure_budget
    );
    if let Some(why) = &r.halted_reason {
        let _ = writeln!(out, "halted: {why}");
    }
    if let Some(seed) = r.seed {
        let _ = writeln!(out, "phases (seed {seed}):");
    }
    for p in &r.phases {
        let _ = writeln!(
            out,
            "  {:<12} {:>4} host(s), {} failed, gate {}{}",
            p.name,
            p.hosts.len(),
            p.failed,
            p.gate.as_str(),
            p.approved_by
                .as_deref()
                .map(|b| format!(" by {b}"))
                .unwrap_or_default()
        );
    }
    // Steps that ran past the window's end (followed to their end).
    for h in &r.hosts {
        for s in h.steps.iter().filter(|s| s.overran_window) {
            let _ = writeln!(
                out,
                "overran-window: {} {} ({}) ended after the maintenance window closed",
                h.name, s.identity, s.outcome
            );
        }
    }
    out
}

/// `[rollout] no_host_impact_outside_windows` on a run that starts before
/// its window: when steps that touch the host may start (the window's
/// start, or the start of staging ahead, which stages them). Journaled once
/// for the run.
async fn impact_at(
    store: &Store,
    run_id: i64,
    rollout: &Rollout,
    window_start: Option<chrono::DateTime<chrono::Utc>>,
    activate_at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, ApplyError> {
    let Some(start) = window_start.filter(|_| rollout.no_host_impact_outside_windows) else {
        return Ok(None);
    };
    let from = match (activate_at, rollout.stage_ahead) {
        (Some(_), Some(d)) => start - chrono::Duration::from_std(d).unwrap_or_default(),
        _ => start,
    };
    if from <= chrono::Utc::now() {
        return Ok(None);
    }
    store
        .add_event(
            run_id,
            None,
            "outside-window",
            &format!(
                "no-host-impact steps run before the window opens at {} ([rollout] no_host_impact_outside_windows); every other step waits for {}",
                rfc3339(start),
                rfc3339(from)
            ),
        )
        .await?;
    Ok(Some(from))
}

#[cfg(test)]
mod tests {
    use super::RunCommand;
    use crate::store::Run;
    use crate::vocab::RunStatus;

    fn run(options_json: &str) -> Run {
        Run {
            id: 1,
            started_at: "2026-12-08T00:00:00Z".into(),
            finished_at: None,
            status: RunStatus::Running,
            options_json: options_json.into(),
        }
    }

    /// A rollback stopped while paused is never parked for `serve`, which
    /// would continue it as upgrades; the others park as before.
    #[test]
    fn only_a_rollback_run_does_not_park() {
        for (json, want, parks) in [
            (r#"{"command":"serve"}"#, Some(RunCommand::Serve), true),
            (r#"{"command":"apply"}"#, Some(RunCommand::Apply), true),
            (
                r#"{"command":"rollback"}"#,
                Some(RunCommand::Rollback),
                false,
            ),
            (r#"{"hosts":3}"#, None, true),
            ("not json", None, true),
        ] {
            let r = run(json);
            assert_eq!(RunCommand::of(&r), want, "{json}");
            assert_eq!(RunCommand::parks_run(&r), parks, "{json}");
        }
        // The spelling the options are stored with.
        assert_eq!(
            serde_json::to_value(RunCommand::Rollback).unwrap(),
            "rollback"
        );
    }
}

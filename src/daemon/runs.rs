//! One rollout at a time: the run slot, and what a run does.
//!
//! A run is created in the store the moment it is asked for (by the API or
//! a window), so the caller gets its id at once; then it scans and plans
//! (`updater::apply::prepare`), for a window keeps the steps that fit
//! (`window::fit`) and stops starting steps at the last safe instant, rolls
//! out (`updater::apply::execute_in`), and scans its hosts again so that
//! `/api/v1/hosts` and `/metrics` show the versions it left behind.
//!
//! Cancelling (the API, SIGTERM, the window's last start) goes through the
//! run's `CancellationToken`, a child of the service's shutdown token: no
//! new host or step starts, running steps reach a recorded state, and the
//! run's final status is stored before the slot is free again.

use super::error::DaemonError;
use super::metrics::MetricsSink;
use super::{history, window, Daemon};
use crate::config::Config;
use crate::repository::Repository;
use crate::schedule::DueGroup;
use crate::updater::apply::{self, ApplyOptions, RunCommand, RunOptions, WindowRun};
use crate::updater::control::{self, PlanEntry};
use crate::updater::resume;
use crate::vocab::{Control, RunStatus};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// At most this many "waits" events per window run; the rest are counted.
const MAX_DEFERRED_EVENTS: usize = 50;

/// Who asked for a run.
#[derive(Debug, Clone)]
pub enum Trigger {
    /// `POST /api/v1/runs`.
    Api,
    /// A maintenance window opened for these hosts.
    Window(DueGroup),
    /// A run the service was stopped with while it was paused, resumed
    /// after this start: planned afresh from the BMCs (nothing done is sent
    /// again), within its frozen plan (nothing new is added).
    Continued(Vec<PlanEntry>),
}

impl Trigger {
    pub fn describe(&self) -> String {
        match self {
            Trigger::Api => "api".into(),
            Trigger::Window(g) => format!("window {}", g.span.windows.join(",")),
            Trigger::Continued(_) => "continued after a restart".into(),
        }
    }
}

/// The run in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActiveRun {
    pub run_id: i64,
    pub trigger: String,
    pub started_at: DateTime<Utc>,
}

/// The slot. The async mutex is held while the run record is created, so
/// two requests arriving together cannot both start a rollout; the watch
/// channel lets readers (`/metrics`, the scheduler) see the slot without it.
#[derive(Debug)]
pub struct Runs {
    slot: tokio::sync::Mutex<Option<(ActiveRun, CancellationToken)>>,
    seen: watch::Sender<Option<ActiveRun>>,
}

impl Default for Runs {
    fn default() -> Self {
        Runs {
            slot: tokio::sync::Mutex::new(None),
            seen: watch::Sender::new(None),
        }
    }
}

/// Why a run did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("run {} is active (started by {} at {}); cancel it with POST /api/v1/runs/{}/cancel or wait for it to end", .0.run_id, .0.trigger, .0.started_at.to_rfc3339(), .0.run_id)]
    Busy(ActiveRun),
    #[error("the service is shutting down; no new run starts")]
    ShuttingDown,
    /// Every host the run would touch (an API run: any of them) is inside
    /// a change freeze, and no override was given.
    #[error("refused: the run would start inside a change freeze\n{0}\n  hint: wait for the freeze to end, leave the hosts out (exclude), or send override_freeze with a reason (admin; recorded)")]
    Frozen(crate::freeze::Frozen),
    #[error(transparent)]
    Failed(#[from] DaemonError),
}

/// Why a cancel request did nothing.
#[derive(Debug, thiserror::Error)]
pub enum CancelError {
    #[error("no run {0}; GET /api/v1/runs lists them")]
    NotFound(i64),
    #[error("run {id} is not active (status {status}); only the active run can be cancelled")]
    NotActive { id: i64, status: RunStatus },
    #[error(transparent)]
    Failed(#[from] DaemonError),
}

impl Daemon {
    /// The run in progress, if any.
    pub fn active_run(&self) -> Option<ActiveRun> {
        self.runs.seen.borrow().clone()
    }

    /// Wait until no run is active.
    pub async fn wait_idle(&self) {
        let mut rx = self.runs.seen.subscribe();
        let _ = rx.wait_for(Option::is_none).await;
    }

    /// Start a rollout in the background; its id once it is recorded.
    pub async fn start_run(
        self: &Arc<Self>,
        opts: ApplyOptions,
        mut trigger: Trigger,
    ) -> Result<i64, StartError> {
        let frozen = self.frozen(&opts, &trigger)?;
        if let (Trigger::Window(g), false) = (&mut trigger, frozen.is_empty()) {
            // The window runs on the hosts no freeze covers.
            let out: std::collections::BTreeSet<&str> = frozen.hosts().collect();
            g.hosts.retain(|h| !out.contains(h.as_str()));
        }
        let mut slot = self.runs.slot.lock().await;
        if self.shutdown.is_cancelled() {
            return Err(StartError::ShuttingDown);
        }
        if let Some((active, _)) = &*slot {
            return Err(StartError::Busy(active.clone()));
        }
        // A drawn seed is stored with the run: a restart continues it with the same cohorts.
        let opts = opts.with_seed(&self.cfg().rollout);
        let rollout = opts.rollout(&self.cfg().rollout);
        let options = RunOptions {
            trigger: Some(trigger.describe()),
            window: match &trigger {
                Trigger::Window(g) => Some(WindowRun {
                    windows: g.span.windows.clone(),
                    start: g.span.start.to_rfc3339(),
                    end: g.span.end.to_rfc3339(),
                    hosts: g.hosts.len(),
                }),
                Trigger::Api | Trigger::Continued(_) => None,
            },
            ..RunOptions::new(RunCommand::Serve, &opts, &rollout)
        };
        let run_id = self
            .store
            .create_run(&options)
            .await
            .map_err(DaemonError::from)?;
        self.notify.emit(run_id, apply::run_created(&options));
        if !frozen.is_empty() {
            let (kind, what) = match &opts.override_freeze {
                Some(why) => (
                    "freeze-override",
                    format!("overriding a change freeze ({why})"),
                ),
                None => ("frozen", "left out of this window's run".to_string()),
            };
            let msg = format!("{what}: {frozen}");
            tracing::warn!(run = run_id, "{msg}");
            self.store
                .add_event(run_id, None, kind, &msg)
                .await
                .map_err(DaemonError::from)?;
        }
        let cancel = self.shutdown.child_token();
        let active = ActiveRun {
            run_id,
            trigger: trigger.describe(),
            started_at: Utc::now(),
        };
        *slot = Some((active.clone(), cancel.clone()));
        self.runs.seen.send_replace(Some(active));
        drop(slot);
        tracing::info!(run = run_id, trigger = %trigger.describe(), "run started");
        // The run is driven by `Handle::block_on` on a blocking thread rather
        // than spawned: the compiler cannot prove `inventory::scan`'s future
        // `Send` (a higher-ranked lifetime in its stream closure), and this
        // way the future never moves between threads while the host runners
        // it spawns still run on the runtime's workers. One thread per run,
        // and there is one run at a time.
        let d = self.clone();
        let handle = tokio::runtime::Handle::current();
        self.tasks.spawn_blocking(move || {
            handle.block_on(d.drive(run_id, opts, trigger, cancel));
        });
        Ok(run_id)
    }

    /// Cancel the active run if it is `id`.
    /// The hosts of a run about to start that a change freeze covers now.
    /// An API run on any frozen host, and a window run whose hosts are all
    /// frozen, are refused unless the run overrides the freeze; a window
    /// run's frozen hosts are left out of it.
    fn frozen(
        &self,
        opts: &ApplyOptions,
        trigger: &Trigger,
    ) -> Result<crate::freeze::Frozen, StartError> {
        let cfg = self.cfg();
        let now = Utc::now();
        let (frozen, all) = match trigger {
            Trigger::Continued(_) => return Ok(Default::default()),
            Trigger::Api => {
                let chosen = opts
                    .host_selector(crate::select::Source::Api)
                    .map_err(|e| DaemonError::Task(e.to_string()))?;
                let frozen = cfg.frozen_hosts(|h| chosen.matches(&h.name, &h.labels), now);
                (frozen, true)
            }
            Trigger::Window(g) => {
                let frozen = cfg.frozen_hosts(|h| g.hosts.contains(&h.name), now);
                let every = frozen.hosts().count() >= g.hosts.len();
                (frozen, every)
            }
        };
        if !frozen.is_empty() && all && opts.override_freeze.is_none() {
            return Err(StartError::Frozen(frozen));
        }
        Ok(frozen)
    }

    pub async fn cancel_run(&self, id: i64, why: &str) -> Result<(), CancelError> {
        let slot = self.runs.slot.lock().await;
        if let Some((active, cancel)) = &*slot {
            if active.run_id == id {
                cancel.cancel();
                drop(slot);
                let msg = format!("cancel requested ({why}): no new step starts; running steps finish and are recorded");
                tracing::info!(run = id, "{msg}");
                self.store
                    .add_event(id, None, "cancel", &msg)
                    .await
                    .map_err(DaemonError::from)?;
                return Ok(());
            }
        }
        drop(slot);
        match self.store.run(id).await.map_err(DaemonError::from)? {
            None => Err(CancelError::NotFound(id)),
            Some(r) => Err(CancelError::NotActive {
                id,
                status: r.status,
            }),
        }
    }

    /// At start: runs the service was stopped with while they were paused
    /// (parked) take the slot again, still paused, so that nothing starts
    /// (no window, no API run) until an operator resumes or cancels them.
    pub async fn adopt_parked(self: &Arc<Self>) -> Result<(), DaemonError> {
        for run in self.store.runs_with_status(RunStatus::Running).await? {
            let Some(c) = self.store.control(run.id).await? else {
                continue;
            };
            if c.requested != Control::Paused || !apply::RunCommand::parks_run(&run) {
                continue;
            }
            let mut slot = self.runs.slot.lock().await;
            if slot.is_some() {
                // One run at a time: a second parked run waits for the next
                // start (or `fwfleet run cancel`).
                tracing::warn!(run = run.id, "a second parked run stays parked; cancel one of them with `fwfleet run cancel`");
                continue;
            }
            let cancel = self.shutdown.child_token();
            let active = ActiveRun {
                run_id: run.id,
                trigger: "parked: paused when the service stopped".into(),
                started_at: Utc::now(),
            };
            *slot = Some((active.clone(), cancel.clone()));
            self.runs.seen.send_replace(Some(active));
            drop(slot);
            let msg = format!(
                "the service started again; run {} stays paused (paused by {}{}): `fwfleet run resume {}` continues it within its frozen plan, `fwfleet run cancel {}` ends it",
                run.id,
                c.requested_by,
                c.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default(),
                run.id,
                run.id
            );
            self.event(run.id, "parked", msg.clone()).await?;
            self.notify.emit(
                run.id,
                crate::notify::EventData::GateWaiting {
                    gate: "paused".into(),
                    requested_by: Some(c.requested_by.clone()),
                    reason: c.reason.clone(),
                    message: msg,
                },
            );
            self.store.ack_control(run.id, Control::Paused).await?;
            let opts: ApplyOptions = serde_json::from_str::<serde_json::Value>(&run.options_json)
                .ok()
                .and_then(|v| serde_json::from_value(v.get("options")?.clone()).ok())
                .unwrap_or_default();
            let window = serde_json::from_str::<serde_json::Value>(&run.options_json)
                .ok()
                .is_some_and(|v| v.get("window").is_some_and(|w| !w.is_null()));
            let d = self.clone();
            let handle = tokio::runtime::Handle::current();
            let id = run.id;
            self.tasks.spawn_blocking(move || {
                handle.block_on(d.drive_parked(id, opts, window, cancel));
            });
        }
        Ok(())
    }

    /// A parked run: wait for `resume` or `cancel` (or shutdown: it stays
    /// parked), then continue it (an API run) or end it (a window run: its
    /// window is gone; what is left waits for the next one).
    async fn drive_parked(
        self: Arc<Self>,
        run_id: i64,
        opts: ApplyOptions,
        window: bool,
        cancel: CancellationToken,
    ) {
        let decided = loop {
            let stopping = tokio::select! {
                _ = tokio::time::sleep(control::POLL) => false,
                _ = cancel.cancelled() => true,
            };
            let read = self.store.control(run_id).await;
            if stopping {
                // The API's cancel cancels the token after recording it;
                // anything else is the service stopping: it stays parked.
                break read
                    .ok()
                    .flatten()
                    .filter(|c| c.requested == Control::Cancelled);
            }
            match read {
                Ok(Some(c)) if c.requested == Control::Paused => continue,
                Ok(Some(c)) => break Some(c),
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(run = run_id, "cannot read the run's control: {e}");
                    continue;
                }
            }
        };
        let Some(c) = decided else {
            // Stopped again while parked: it stays parked.
            *self.runs.slot.lock().await = None;
            self.runs.seen.send_replace(None);
            return;
        };
        let by = format!(
            "{}{}",
            c.requested_by,
            c.reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        );
        let ended = match (c.requested, window) {
            (Control::Cancelled, _) => Some(format!("cancelled by {by} while parked")),
            (_, true) => Some(format!("resumed by {by}, but the run was a window's and its window passed while it was parked: what is left waits for the next window")),
            _ => None,
        };
        if let Some(msg) = ended {
            let done = async {
                self.store.ack_control(run_id, Control::Cancelled).await?;
                self.finish(run_id, RunStatus::Cancelled, msg).await
            }
            .await;
            if let Err(e) = done {
                tracing::error!(run = run_id, "cannot record the end of a parked run: {e}");
            }
            self.metrics.run_finished(RunStatus::Cancelled.as_str());
            *self.runs.slot.lock().await = None;
            self.runs.seen.send_replace(None);
            return;
        }
        let plan = match self.store.frozen_plan(run_id).await {
            Ok(Some(p)) => serde_json::from_value::<Vec<PlanEntry>>(p.plan).unwrap_or_default(),
            _ => Vec::new(),
        };
        if let Err(e) = self.store.ack_control(run_id, Control::Running).await {
            tracing::warn!(run = run_id, "cannot acknowledge the resume: {e}");
        }
        let _ = self
            .event(
                run_id,
                "resume",
                format!("resumed by {by}: continuing within the frozen plan"),
            )
            .await;
        self.drive(run_id, opts, Trigger::Continued(plan), cancel)
            .await;
    }

    /// The run's whole life, then the slot is freed.
    async fn drive(
        self: Arc<Self>,
        run_id: i64,
        opts: ApplyOptions,
        trigger: Trigger,
        cancel: CancellationToken,
    ) {
        let status = match self.rollout(run_id, &opts, &trigger, &cancel).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(run = run_id, "the run failed: {e}");
                let stored = async {
                    self.store
                        .add_event(run_id, None, "error", &e.to_string())
                        .await?;
                    self.store.finish_run(run_id, RunStatus::Failed).await
                }
                .await;
                if let Err(e) = stored {
                    tracing::error!(run = run_id, "cannot record the run's failure: {e}");
                }
                self.notify_finished(run_id, RunStatus::Failed, e.to_string());
                RunStatus::Failed
            }
        };
        // A run parked by the shutdown (paused when the service stopped)
        // has not finished: it is not counted, the next start takes it up.
        let parked = matches!(
            self.store.run(run_id).await,
            Ok(Some(r)) if r.status == RunStatus::Running
        );
        if parked {
            tracing::info!(
                run = run_id,
                "run parked: paused when the service stopped; the next start keeps it paused"
            );
        } else {
            self.metrics.run_finished(status.as_str());
            tracing::info!(run = run_id, status = %status, "run finished");
        }
        *self.runs.slot.lock().await = None;
        self.runs.seen.send_replace(None);
    }

    async fn event(&self, run_id: i64, kind: &'static str, msg: String) -> Result<(), DaemonError> {
        tracing::info!(run = run_id, kind, "{msg}");
        Ok(self.store.add_event(run_id, None, kind, &msg).await?)
    }

    async fn finish(
        &self,
        run_id: i64,
        status: RunStatus,
        msg: String,
    ) -> Result<RunStatus, DaemonError> {
        self.event(run_id, status.as_str(), msg.clone()).await?;
        self.store.finish_run(run_id, status).await?;
        self.notify_finished(run_id, status, msg);
        Ok(status)
    }

    /// `run.finished` of a run that ended before (or without) a rollout;
    /// one that rolled out sends its own from `apply::execute_in`.
    fn notify_finished(&self, run_id: i64, status: RunStatus, message: String) {
        self.notify.emit(
            run_id,
            crate::notify::EventData::RunFinished(crate::notify::event::Finished {
                status: status.as_str().to_string(),
                message,
                ..Default::default()
            }),
        );
    }

    /// Scan → plan → (window fit) → rollout → rescan; the final status.
    async fn rollout(
        &self,
        run_id: i64,
        opts: &ApplyOptions,
        trigger: &Trigger,
        cancel: &CancellationToken,
    ) -> Result<RunStatus, DaemonError> {
        let cfg: Arc<Config> = match trigger {
            Trigger::Api | Trigger::Continued(_) => self.cfg(),
            Trigger::Window(g) => Arc::new(only_hosts(&self.cfg(), g.hosts.iter())),
        };
        let dir = cfg.repository.clone();
        // The manifest is read from disk: off the async threads.
        let opened = {
            let dir = dir.clone();
            tokio::task::spawn_blocking(move || Repository::open(&dir))
        };
        let repo = opened
            .await
            .map_err(|e| DaemonError::Task(e.to_string()))?
            .map_err(|source| DaemonError::Repository { path: dir, source })?;
        let scope = match trigger {
            Trigger::Api => format!(
                "hosts matching {}",
                opts.host_selector(crate::select::Source::Api)
                    .map(|h| h.describe(crate::select::Source::Api))
                    .unwrap_or_else(|_| "*".into())
            ),
            Trigger::Window(g) => format!(
                "window {} for {} host(s), open until {}",
                g.span.windows.join(","),
                g.hosts.len(),
                g.span.end.to_rfc3339()
            ),
            Trigger::Continued(plan) => {
                format!("continuing within its frozen plan ({} step(s))", plan.len())
            }
        };
        // Steps still in flight (a BMC that did not answer when the service
        // started) are asked again before planning.
        let left = self.store.steps_in_flight().await?;
        if !left.is_empty() {
            let report = resume::resume_during(
                &self.cfg(),
                &self.store,
                &self.lock,
                cancel,
                super::RESUME_POLL,
                run_id,
            )
            .await?;
            for line in report.render().lines() {
                self.event(run_id, "resume", line.to_string()).await?;
            }
        }
        self.event(run_id, "scan", format!("{scope}: scanning and planning"))
            .await?;
        let prepared = apply::prepare(&cfg, &repo, &self.store, opts, cancel).await?;
        if cancel.is_cancelled() {
            return self
                .finish(
                    run_id,
                    RunStatus::Cancelled,
                    "cancelled before any step started".into(),
                )
                .await;
        }
        for b in &prepared.held_back {
            self.event(
                run_id,
                "held-back",
                format!(
                    "{}: step {} of run {} ({}) is still {}; the host is not planned until it is decided (its BMC did not answer; the next run asks again)",
                    b.host, b.step_id, b.run_id, b.component, b.state
                ),
            )
            .await?;
        }
        if !prepared.bad_images.is_empty() {
            // Nothing is sent while a planned image is missing or corrupt
            // (issue 16 item 5): the run ends before its first step.
            let refused = crate::updater::preflight::Refused {
                images: prepared.bad_images.clone(),
            };
            return self
                .finish(run_id, RunStatus::Failed, refused.to_string())
                .await;
        }
        let scanned = prepared.inventory.hosts.len();
        let failed = prepared.inventory.failed();
        let mut jobs = prepared.jobs;
        if let Trigger::Continued(plan) = trigger {
            jobs = control::within_plan(jobs, plan);
        }
        let planned = jobs.len();
        let mut last_start = None;
        if let Trigger::Window(_) = trigger {
            let est = history::estimates(&self.store, cfg.estimates, &prepared.inventory).await?;
            let now = Utc::now();
            let fitted = window::fit(&cfg.schedule, &est, now, jobs, &prepared.inventory);
            for line in fitted.deferred.iter().take(MAX_DEFERRED_EVENTS) {
                self.event(run_id, "deferred", line.clone()).await?;
            }
            if fitted.deferred.len() > MAX_DEFERRED_EVENTS {
                self.event(
                    run_id,
                    "deferred",
                    format!(
                        "and {} more step(s) wait for a later window",
                        fitted.deferred.len() - MAX_DEFERRED_EVENTS
                    ),
                )
                .await?;
            }
            jobs = fitted.jobs;
            last_start = fitted.last_start;
            if jobs.is_empty() && planned > 0 {
                return self
                    .finish(
                        run_id,
                        RunStatus::Deferred,
                        format!("{planned} host(s) have steps to flash, but none fits before the window closes; they wait for a later window"),
                    )
                    .await;
            }
            if let Some(t) = last_start {
                self.event(
                    run_id,
                    "window",
                    format!(
                        "{} host(s), {} step(s) fit; no step starts after {}",
                        jobs.len(),
                        jobs.iter().map(|j| j.steps.len()).sum::<usize>(),
                        window::when(t, now)
                    ),
                )
                .await?;
            }
        }
        if jobs.is_empty() {
            return self
                .finish(
                    run_id,
                    RunStatus::NothingToDo,
                    format!("{scanned} host(s) scanned, {failed} failed; nothing to flash"),
                )
                .await;
        }
        let guard = last_start.map(|t| {
            let (cancel, store) = (cancel.clone(), self.store.clone());
            tokio::spawn(async move {
                let wait = (t - Utc::now()).to_std().unwrap_or_default();
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = cancel.cancelled() => return,
                }
                let msg = format!("the window's last start {} has passed: no new step starts; what is left waits for the next window", t.to_rfc3339());
                tracing::info!(run = run_id, "{msg}");
                let _ = store.add_event(run_id, None, "window", &msg).await;
                // In the store too: a run paused when its window closes ends
                // `cancelled`; it is not parked for a later start.
                let _ = store
                    .request_control(run_id, Control::Cancelled, "window", Some(&msg))
                    .await;
                cancel.cancel();
            })
        });
        let hosts: Vec<String> = jobs.iter().map(|j| j.host.name.clone()).collect();
        let sink = Arc::new(MetricsSink::new(self.metrics.clone(), run_id));
        let opts = ApplyOptions {
            notify: self.notify.clone(),
            ..executed_with(opts, trigger)
        };
        let report = apply::execute_in(
            &cfg,
            jobs,
            failed,
            &opts,
            self.store.clone(),
            Some(run_id),
            cancel.clone(),
            sink.clone(),
        )
        .await;
        if let Some(g) = guard {
            g.abort();
        }
        let report = report?;
        sink.count_the_rest(&report);
        self.rescan(&cfg, &hosts, run_id).await;
        Ok(report.status)
    }

    /// Scan the run's hosts again and save it, so that the fleet view shows
    /// what the run left. Failures are logged: the run itself is recorded.
    async fn rescan(&self, cfg: &Config, hosts: &[String], run_id: i64) {
        if self.shutdown.is_cancelled() {
            return;
        }
        let cfg = only_hosts(cfg, hosts.iter());
        let opts = crate::inventory::scan::ScanOptions {
            cancel: self.shutdown.child_token(),
            ..Default::default()
        };
        let inv = crate::inventory::scan::scan(&cfg, &opts).await;
        let msg = format!(
            "{} host(s) scanned after the run, {} failed",
            inv.hosts.len(),
            inv.failed()
        );
        let saved = async {
            self.store.save_inventory(&inv).await?;
            self.store.add_event(run_id, None, "rescan", &msg).await
        }
        .await;
        if let Err(e) = saved {
            tracing::warn!(run = run_id, "cannot save the scan after the run: {e}");
        }
    }
}

/// The options a run executes with: a window run's carry its window's end,
/// so that no submit, `StartUpdate` or reset goes after it even from a step
/// already past the last start (`updater::window`); API and continued runs
/// have no window.
fn executed_with(opts: &ApplyOptions, trigger: &Trigger) -> ApplyOptions {
    ApplyOptions {
        window_end: match trigger {
            Trigger::Window(g) => Some(g.span.end),
            Trigger::Api | Trigger::Continued(_) => None,
        },
        ..opts.clone()
    }
}

/// `cfg` with only the named hosts.
fn only_hosts<'a>(cfg: &Config, names: impl Iterator<Item = &'a String>) -> Config {
    let keep: HashSet<&str> = names.map(String::as_str).collect();
    let mut c = cfg.clone();
    c.hosts.retain(|h| keep.contains(h.name.as_str()));
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Span;

    #[test]
    fn a_window_run_executes_with_its_windows_end_and_an_api_run_with_none() {
        let end = DateTime::parse_from_rfc3339("2026-12-01T04:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let window = Trigger::Window(DueGroup {
            span: Span {
                start: end - chrono::Duration::hours(2),
                end,
                windows: vec!["nightly".into()],
            },
            hosts: vec!["bmc-0001".into()],
        });
        let opts = ApplyOptions {
            hosts: Some("bmc-*".into()),
            ..ApplyOptions::default()
        };
        let w = executed_with(&opts, &window);
        assert_eq!(w.window_end, Some(end));
        assert_eq!(w.hosts.as_deref(), Some("bmc-*"), "the rest is kept");
        // Neither an API run nor a run continued after a restart has one,
        // whatever the options held.
        let stale = ApplyOptions {
            window_end: Some(end),
            ..opts
        };
        assert_eq!(executed_with(&stale, &Trigger::Api).window_end, None);
        assert_eq!(
            executed_with(&stale, &Trigger::Continued(Vec::new())).window_end,
            None
        );
    }
}

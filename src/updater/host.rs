//! All of one host's steps, in plan order, one at a time: pre-flight, method
//! choice, transfer and verification per step, then the coordinated reset
//! that activates staged images when the reset policy allows it, with the
//! operator's hooks around it.

use crate::config::{HostConfig, ResetPolicy, Rollout, TlsSetting};
use crate::imageserver::ImageServer;
use crate::redfish::client::BmcClient;
use crate::redfish::remote_certs;
use crate::redfish::update_service::{self, NotReady, ResetTarget, UpdateCaps};
use crate::store::{NewStep, StepJournal, Store, StoreError};
use crate::updater::control::{Admit, Steering};
use crate::updater::hooks::{self, HookEnv};
use crate::updater::job_queue::{self, QueueCheck};
use crate::updater::method;
use crate::updater::progress::ProgressSink;
pub use crate::updater::report::{HostReport, ReportOutcome, StepReport};
use crate::updater::stage_ahead::{self, ActivateAt};
use crate::updater::step::{self, ResetRequest, StepResult, StepSpec, Transfer};
use crate::updater::window::{rfc3339, Action, Closed, WindowEnd};
use crate::vocab::{Disruption, Kind, Method, StepOutcome, StepState};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// One step to run, from the plan and the repository.
#[derive(Debug, Clone)]
pub struct PlannedStep {
    /// The Redfish `Id` at scan time (for display).
    pub component: String,
    pub identity: String,
    pub kind: Kind,
    pub from: Option<String>,
    pub to: String,
    pub image: PathBuf,
    /// The component's inventory URI, for `Targets` where the BMC needs one.
    pub target: Option<String>,
    /// The repository file name (for the image server's audit and logs).
    pub image_name: String,
    pub sha256: String,
    pub size: u64,
    pub method: Option<Method>,
    pub apply_time: Option<String>,
    /// A downgrade the repository or the operator allowed.
    pub force: bool,
    /// The image is already staged on the BMC (an earlier run under reset
    /// policy `never`, or one that stopped before its reset): nothing is
    /// sent, the coordinated reset activates it.
    pub activate_only: bool,
    /// What the step does to the running host (the plan's class):
    /// `[rollout] no_host_impact_outside_windows` lets a `no-host-impact`
    /// step run before the window opens.
    pub disruption: Disruption,
}

/// One host and its steps.
#[derive(Debug, Clone)]
pub struct HostJob {
    pub host: HostConfig,
    pub steps: Vec<PlannedStep>,
}

/// What every host runner shares.
#[derive(Debug)]
pub struct Shared {
    pub store: Store,
    pub images: Option<Arc<ImageServer>>,
    pub run_id: i64,
    pub rollout: Rollout,
    /// Ctrl-C / SIGTERM: no new step starts; running ones reach a recorded state.
    pub cancel: CancellationToken,
    pub progress: Arc<dyn ProgressSink>,
    /// Task poll interval when the BMC gives no `Retry-After`.
    pub poll: Duration,
    /// Pause, resume, cancel and holds from the store (`updater::control`).
    pub steering: Arc<Steering>,
    /// The run's events to `[[notify]]` webhooks (never waits).
    pub notify: crate::notify::Notifier,
    /// The maintenance window's end (`--at` + `--window`, a service window
    /// run's span): no submit, `StartUpdate` or reset after it.
    pub window: WindowEnd,
    /// Change freezes in force for this run (none when the operator
    /// overrode them): a freeze that begins mid-run closes the window of
    /// the hosts it covers at its start.
    pub freezes: crate::freeze::Freezes,
    /// Stage ahead (`[rollout] stage_ahead`): the window's start, before
    /// which steps are only transferred and staged (`updater::stage_ahead`);
    /// none for every other run.
    pub activate_at: ActivateAt,
    /// `[rollout] no_host_impact_outside_windows` on a run that starts
    /// before its window: when a step that touches the running host may
    /// start (the window's start, or the start of staging ahead). Until
    /// then only `no-host-impact` steps run. None for every other run.
    pub impact_at: ActivateAt,
}

impl HostReport {
    /// A host the rollout never started (halted, interrupted).
    pub fn not_started(job: &HostJob, why: &str) -> HostReport {
        HostReport {
            name: job.host.name.clone(),
            result: ReportOutcome::NotStarted,
            failed: false,
            message: format!("{}: not started: {why}", job.host.name),
            steps: job.steps.iter().map(|s| not_started(s, why)).collect(),
            duration_ms: 0,
        }
    }
}

fn not_started(s: &PlannedStep, why: &str) -> StepReport {
    StepReport {
        component: s.component.clone(),
        identity: s.identity.clone(),
        kind: s.kind,
        from: s.from.clone(),
        to: s.to.clone(),
        method: None,
        outcome: ReportOutcome::NotStarted,
        message: why.to_string(),
        step_id: None,
        duration_ms: 0,
        overran_window: false,
    }
}

/// A step that ended before anything was sent (busy BMC, no method, publish failed).
fn ended_before_transfer(s: &PlannedStep, outcome: StepOutcome, message: String) -> StepReport {
    StepReport {
        outcome: outcome.into(),
        message,
        ..not_started(s, "")
    }
}

fn report_of(s: &PlannedStep, method: Option<Method>, r: &StepResult) -> StepReport {
    StepReport {
        component: s.component.clone(),
        identity: s.identity.clone(),
        kind: s.kind,
        from: s.from.clone(),
        to: s.to.clone(),
        method: method.map(|m| m.as_str().to_string()),
        outcome: r.outcome.into(),
        message: r.message.clone(),
        step_id: Some(r.step_id),
        duration_ms: r.duration.as_millis() as u64,
        overran_window: r.overran_window,
    }
}

struct Runner<'a> {
    job: &'a HostJob,
    shared: &'a Shared,
    client: BmcClient,
    caps: UpdateCaps,
    reports: Vec<StepReport>,
    /// Staged steps waiting for the coordinated reset.
    staged: Vec<(usize, StepSpec, i64, ResetRequest)>,
    /// The window closed before the coordinated reset: what is staged
    /// stays staged for the next window (not a failure).
    reset_deferred: Option<Closed>,
    /// The run's window for this host: closed early by the next change
    /// freeze that covers it.
    window: WindowEnd,
    /// Still before the window's start of a run that stages ahead: steps
    /// are sent `OnReset` and only staged.
    staging_ahead: bool,
    /// Plan indices of the steps staged ahead (re-checked before activation).
    staged_ahead: Vec<usize>,
    /// A step of this host already waited for [`Shared::impact_at`]:
    /// later steps do not run early.
    impact_waited: bool,
}

/// Run a host's steps. Errors are store failures only: a BMC problem is an
/// outcome in the report.
pub async fn run(job: &HostJob, shared: &Shared) -> Result<HostReport, StoreError> {
    let t0 = Instant::now();
    let name = job.host.name.clone();
    shared.progress.host_started(&name, job.steps.len());
    let mut report = run_inner(job, shared).await?;
    report.duration_ms = t0.elapsed().as_millis() as u64;
    shared.progress.host_finished(&report);
    Ok(report)
}

fn host_failure(job: &HostJob, result: StepOutcome, message: String) -> HostReport {
    let why = format!("not started: {message}");
    HostReport {
        name: job.host.name.clone(),
        result: result.into(),
        failed: true,
        message,
        steps: job.steps.iter().map(|s| not_started(s, &why)).collect(),
        duration_ms: 0,
    }
}

/// The run's window for `job`'s host, closed at the start of the next change
/// freeze that covers it (one in force already closes it at once).
fn host_window(job: &HostJob, shared: &Shared) -> WindowEnd {
    match shared
        .freezes
        .next_for(&job.host.name, &job.host.labels, chrono::Utc::now())
    {
        Some(f) => shared.window.until_freeze(f.start, f.index),
        None => shared.window,
    }
}

async fn run_inner(job: &HostJob, shared: &Shared) -> Result<HostReport, StoreError> {
    let name = &job.host.name;
    let client = match BmcClient::new(&job.host) {
        Ok(c) => c,
        Err(e) => return Ok(host_failure(job, StepOutcome::Failed, e.to_string())),
    };
    // The service root needs no session: read while logging in.
    let caps = match update_service::login_and_discover(&client)
        .await
        .map_err(|e| *e)
    {
        Ok(c) => c,
        Err(NotReady::Login(e)) => {
            return Ok(host_failure(job, StepOutcome::Unreachable, e.to_string()));
        }
        Err(NotReady::Discover(e)) => {
            return Ok(host_failure(
                job,
                StepOutcome::Unreachable,
                format!("{name}: cannot read the UpdateService: {e}"),
            ))
        }
    };
    let mut r = Runner {
        job,
        shared,
        client,
        caps,
        reports: Vec::new(),
        staged: Vec::new(),
        reset_deferred: None,
        window: host_window(job, shared),
        staging_ahead: shared.activate_at.before_window(chrono::Utc::now()),
        staged_ahead: Vec::new(),
        impact_waited: false,
    };
    let mut stop: Option<String> = None;
    for (i, s) in job.steps.iter().enumerate() {
        if let Some(why) = &stop {
            r.reports.push(not_started(s, why));
            continue;
        }
        // Before the window: a no-host-impact step goes now, the first other
        // one waits for the window's start (and the host's later ones with it).
        let early = match r.outside_window(s).await? {
            Some(early) => early,
            None => {
                stop = Some("interrupted while waiting for the window's start".into());
                r.reports.push(not_started(
                    s,
                    "interrupted while waiting for the window's start",
                ));
                continue;
            }
        };
        // The step boundary: paused, cancelled or held (`updater::control`).
        let admitted = match shared
            .steering
            .admit(name, &job.host.labels, &s.identity, s.kind, &s.to)
            .await
        {
            Admit::Go(a) => a,
            Admit::Stop => {
                stop = Some("interrupted before this step started".into());
                r.reports
                    .push(not_started(s, "interrupted before this step started"));
                continue;
            }
            Admit::Held(why) => {
                r.held(s, &why).await?;
                continue;
            }
        };
        let ok = if !early && r.ahead(s).await? {
            r.step_ahead(i, s).await?
        } else {
            r.step(i, s).await?
        };
        drop(admitted);
        if r.reports
            .last()
            .is_some_and(|l| l.outcome == StepOutcome::Deferred)
        {
            stop = Some(format!(
                "{}: left for the next window",
                r.window.describe_end()
            ));
        } else if !ok {
            stop = Some(format!("an earlier step on {name} did not succeed"));
        }
    }
    if !r.staged.is_empty() && r.wait_for_window().await? {
        r.recheck_staged_ahead().await?;
    }
    if !r.staged.is_empty() {
        if shared.steering.wait_open().await {
            r.activate_staged().await?;
        } else if let Err(closed) = r.window.may_start(Action::Reset) {
            // Stopped because the window closed (`apply --window` cancels
            // at the end): the reset waits for the next window.
            r.defer_reset(closed).await?;
        }
    }
    r.client.logout().await;
    Ok(r.finish())
}

impl Runner<'_> {
    /// `[rollout] no_host_impact_outside_windows`, before the window opens:
    /// `Some(true)` when `s` is `no-host-impact` and runs now, whole (its
    /// own BMC reboot included: the server keeps running); otherwise the
    /// first such step waits for [`Shared::impact_at`] (journaled
    /// `window-wait`), and every later step of the host with it, so the
    /// plan's order is kept. `None`: cancelled while waiting.
    async fn outside_window(&mut self, s: &PlannedStep) -> Result<Option<bool>, StoreError> {
        let Some(at) = self.shared.impact_at.0 else {
            return Ok(Some(false));
        };
        if self.impact_waited || chrono::Utc::now() >= at {
            return Ok(Some(false));
        }
        if s.disruption == Disruption::NoHostImpact {
            self.event(
                "outside-window",
                &format!(
                    "{}: no-host-impact, so it runs before the window opens ([rollout] no_host_impact_outside_windows); steps that touch the host wait for {}",
                    self.who(s),
                    rfc3339(at)
                ),
            )
            .await?;
            return Ok(Some(true));
        }
        self.impact_waited = true;
        self.event(
            "window-wait",
            &format!(
                "{}: {}, so it and the host's later steps wait for the window's start {}",
                self.who(s),
                s.disruption,
                rfc3339(at)
            ),
        )
        .await?;
        Ok(self
            .shared
            .impact_at
            .wait(&self.shared.cancel)
            .await
            .then_some(false))
    }

    /// Whether step `s` is staged ahead: still before the window's start,
    /// and the BMC can hold it for a reset. The first step that cannot be
    /// staged waits for the window's start, and so does every later one
    /// (the plan's order is kept).
    async fn ahead(&mut self, s: &PlannedStep) -> Result<bool, StoreError> {
        if !self.staging_ahead {
            return Ok(false);
        }
        if !self.shared.activate_at.before_window(chrono::Utc::now()) {
            self.staging_ahead = false;
            return Ok(false);
        }
        if let Err(why) = stage_ahead::stageable(&self.caps, s) {
            self.staging_ahead = false;
            let at = self.shared.activate_at.0.map(rfc3339).unwrap_or_default();
            self.event(
                "stage-ahead",
                &format!(
                    "{}: not staged ahead: {why}; it and the host's later steps wait for the window's start {at}",
                    self.who(s)
                ),
            )
            .await?;
            self.shared.activate_at.wait(&self.shared.cancel).await;
            return Ok(false);
        }
        Ok(true)
    }

    /// A step staged ahead of the window: sent with apply time `OnReset`
    /// and left staged; its activation waits for the window's start.
    async fn step_ahead(&mut self, i: usize, s: &PlannedStep) -> Result<bool, StoreError> {
        let held = PlannedStep {
            apply_time: Some(stage_ahead::ON_RESET.to_string()),
            ..s.clone()
        };
        let before = self.reports.len();
        let ok = self.step(i, &held).await?;
        let at = self.shared.activate_at.0.map(rfc3339).unwrap_or_default();
        let Some(rep) = self.reports.get(before) else {
            return Ok(ok);
        };
        let (outcome, step_id) = (rep.outcome, rep.step_id);
        let text = if outcome == StepOutcome::Staged {
            self.staged_ahead.push(i);
            format!(
                "{}: {} transferred and staged at {} ahead of the window, which opens at {at}; its activation waits for it",
                self.who(s),
                s.to,
                rfc3339(chrono::Utc::now())
            )
        } else if outcome == StepOutcome::Updated {
            format!(
                "{}: sent OnReset ahead of the window, but the BMC activated {} at once ({}); check the BMC's apply-time support",
                self.who(s),
                s.to,
                rfc3339(chrono::Utc::now())
            )
        } else {
            return Ok(ok);
        };
        match step_id {
            Some(id) => {
                StepJournal::of(&self.shared.store, self.shared.run_id, id)
                    .event("staged-ahead", &text)
                    .await?
            }
            None => self.event("staged-ahead", &text).await?,
        }
        Ok(ok)
    }

    /// Before activating images staged ahead: wait for the window's start
    /// (journaled). `false`: interrupted while waiting.
    async fn wait_for_window(&self) -> Result<bool, StoreError> {
        // A run that started early for no-host-impact steps resets the host
        // only in the window too.
        let gate = match self.shared.activate_at.0 {
            Some(_) => self.shared.activate_at,
            None => self.shared.impact_at,
        };
        let Some(at) = gate.0 else {
            return Ok(true);
        };
        if chrono::Utc::now() < at {
            self.event(
                "window-wait",
                &format!(
                    "{}: {} image(s) staged; the activation waits for the window's start {}",
                    self.job.host.name,
                    self.staged.len(),
                    rfc3339(at)
                ),
            )
            .await?;
        }
        Ok(gate.wait(&self.shared.cancel).await)
    }

    /// Right before activation, each image staged ahead is looked for
    /// again: still staged at the same version (the inventory's staged
    /// entry, or fwfleet's job held in the queue), it is activated; gone
    /// (someone reset the host, deleted the job, `fwfleet unstage`), the
    /// step is sent again inside the window.
    async fn recheck_staged_ahead(&mut self) -> Result<(), StoreError> {
        let ahead = std::mem::take(&mut self.staged_ahead);
        if ahead.is_empty() {
            return Ok(());
        }
        let inv = crate::inventory::scan::read_now(&self.client).await.ok();
        let job = self.job;
        for i in ahead {
            let s = &job.steps[i];
            let Some(pos) = self.staged.iter().position(|(j, ..)| *j == i) else {
                continue;
            };
            let step_id = self.staged[pos].2;
            let listed = inv.as_ref().is_some_and(|h| {
                h.components.iter().any(|c| {
                    c.identity == s.identity
                        && c.role == crate::vocab::Role::Staged
                        && c.version.as_deref() == Some(s.to.as_str())
                })
            });
            let queued = !listed
                && matches!(
                    job_queue::preflight(
                        &self.client,
                        &self.caps,
                        &self.shared.store,
                        &job.host.name,
                        s
                    )
                    .await?,
                    QueueCheck::Staged { .. }
                );
            let journal = StepJournal::of(&self.shared.store, self.shared.run_id, step_id);
            if listed || queued {
                journal
                    .event(
                        "activation",
                        &format!(
                            "{}: the window is open; {} is still staged ({}), re-checked at {}; activating it",
                            self.who(s),
                            s.to,
                            if listed { "listed staged in the inventory" } else { "fwfleet's job still held in the queue" },
                            rfc3339(chrono::Utc::now())
                        ),
                    )
                    .await?;
                continue;
            }
            let msg = format!(
                "{}: {} staged ahead is no longer on the BMC at the window's start (a reset, a deleted job or `fwfleet unstage` removed it); sent again inside the window",
                self.who(s),
                s.to
            );
            journal.event("staged-gone", &msg).await?;
            journal.finish(StepOutcome::Cancelled, &msg).await?;
            self.staged.remove(pos);
            if let Some(r) = self
                .reports
                .iter()
                .position(|r| r.identity == s.identity && r.to == s.to)
            {
                self.reports.remove(r);
            }
            self.step(i, s).await?;
        }
        Ok(())
    }

    fn who(&self, s: &PlannedStep) -> String {
        format!("{} {}", self.job.host.name, s.identity)
    }

    async fn event(&self, kind: &str, message: &str) -> Result<(), StoreError> {
        tracing::debug!(host = %self.job.host.name, "{message}");
        self.shared
            .store
            .add_event(self.shared.run_id, None, kind, message)
            .await
    }

    /// Wait until no other update runs on the BMC (a few minutes at most,
    /// and not past the maintenance window's end).
    async fn wait_not_busy(&self, s: &PlannedStep) -> Result<Option<String>, StoreError> {
        let until =
            Instant::now() + Duration::from_secs(120).min(self.shared.rollout.step_deadline);
        let mut told = false;
        loop {
            match update_service::busy(&self.client, &self.caps).await {
                Ok(None) => return Ok(None),
                Ok(Some(what)) => {
                    // Waiting on past the window's end is for nothing: the
                    // caller defers the step (not a busy failure).
                    if self.window.may_start(Action::Submit).is_err() {
                        return Ok(None);
                    }
                    if Instant::now() >= until {
                        return Ok(Some(format!(
                            "{}: the BMC is busy with another update: {what}; nothing was sent",
                            self.who(s)
                        )));
                    }
                    if !told {
                        self.event(
                            "busy",
                            &format!("{}: waiting: the BMC is busy: {what}", self.who(s)),
                        )
                        .await?;
                        told = true;
                    }
                }
                // Cannot tell: let the step itself find out whether the BMC answers.
                Err(_) => return Ok(None),
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    }

    /// A step a hold covers (added after the run was planned): journaled
    /// `held` with the hold's name, nothing sent.
    async fn held(&mut self, s: &PlannedStep, why: &str) -> Result<(), StoreError> {
        let message = format!("{}: held by {why}; nothing was sent", self.who(s));
        self.ended_unsent(s, StepOutcome::Held, message).await
    }

    /// A step the window's end stopped before anything was sent: journaled
    /// `deferred`, planned again by the next window.
    async fn deferred(&mut self, s: &PlannedStep, closed: &Closed) -> Result<(), StoreError> {
        let message = format!(
            "{}: {}; nothing was sent; the next window plans the step again",
            self.who(s),
            closed.describe()
        );
        tracing::info!(host = %self.job.host.name, "{message}");
        self.ended_unsent(s, StepOutcome::Deferred, message).await
    }

    /// Journals a step that ended before anything was sent, with `outcome`
    /// and `message`, and reports it.
    async fn ended_unsent(
        &mut self,
        s: &PlannedStep,
        outcome: StepOutcome,
        message: String,
    ) -> Result<(), StoreError> {
        let journal = StepJournal::begin(
            &self.shared.store,
            self.shared.run_id,
            NewStep {
                host: &self.job.host.name,
                component: &s.identity,
                from_version: s.from.as_deref(),
                to_version: &s.to,
                state: StepState::Planned,
            },
        )
        .await?;
        journal.finish(outcome, &message).await?;
        self.reports.push(StepReport {
            outcome: outcome.into(),
            message,
            step_id: Some(journal.step_id()),
            ..not_started(s, "")
        });
        Ok(())
    }

    /// The window closed before the coordinated reset: every image waiting
    /// for it stays staged (journaled `staged`, so the next window plans
    /// its activation and never sends it again), and each step says so.
    async fn defer_reset(&mut self, closed: Closed) -> Result<(), StoreError> {
        self.defer_staged(closed, |_| true).await?;
        self.staged.clear();
        Ok(())
    }

    /// [`Self::defer_reset`] for the staged steps `which` picks (by plan
    /// index); their step ids.
    async fn defer_staged(
        &mut self,
        closed: Closed,
        which: impl Fn(usize) -> bool,
    ) -> Result<Vec<i64>, StoreError> {
        let shared = self.shared;
        let job = self.job;
        let mut ids = Vec::new();
        for (i, _, step_id, _) in self.staged.iter().filter(|(i, ..)| which(*i)) {
            let s = &job.steps[*i];
            let msg = format!(
                "{}: {} staged; {}: the image stays staged and the reset waits for the next window (nothing is sent again)",
                self.who(s),
                s.to,
                closed.describe()
            );
            StepJournal::of(&shared.store, shared.run_id, *step_id)
                .event("window", &msg)
                .await?;
            if let Some(r) = self
                .reports
                .iter_mut()
                .find(|r| r.identity == s.identity && r.to == s.to)
            {
                r.message = msg;
            }
            ids.push(*step_id);
        }
        self.reset_deferred = Some(closed);
        Ok(ids)
    }

    /// An image staged earlier: journaled as staged, activated by the
    /// coordinated reset with the host's other staged images.
    async fn staged_earlier(&mut self, i: usize, s: &PlannedStep) -> Result<bool, StoreError> {
        let shared = self.shared;
        let spec = StepSpec {
            window: self.window,
            ..StepSpec::resumed(
                shared.run_id,
                s.identity.clone(),
                s.kind,
                s.from.clone(),
                s.to.clone(),
                shared.rollout.step_deadline,
                shared.poll,
                step::Waits::of(&shared.rollout),
            )
        };
        let message = format!(
            "{}: {} was staged earlier; the coordinated reset activates it (nothing is sent again)",
            self.who(s),
            s.to
        );
        let journal = StepJournal::begin(
            &shared.store,
            shared.run_id,
            NewStep {
                host: &self.job.host.name,
                component: &s.identity,
                from_version: s.from.as_deref(),
                to_version: &s.to,
                state: StepState::Planned,
            },
        )
        .await?;
        journal.finish(StepOutcome::Staged, &message).await?;
        let step_id = journal.step_id();
        let reset = ResetRequest {
            target: None,
            reset_type: None,
        };
        self.staged.push((i, spec, step_id, reset));
        self.reports.push(StepReport {
            outcome: StepOutcome::Staged.into(),
            message,
            step_id: Some(step_id),
            ..not_started(s, "")
        });
        Ok(true)
    }

    /// Several identical devices on one host (four PSUs, two NICs) take one
    /// image, and a BMC applies it to every device it fits: after the first
    /// device's step, the others may already run (or have staged) the target.
    /// Those are journaled from the inventory, never sent the image again.
    async fn covered_by_earlier_step(
        &mut self,
        i: usize,
        s: &PlannedStep,
    ) -> Result<Option<bool>, StoreError> {
        let earlier = self.job.steps[..i]
            .iter()
            .filter(|e| e.sha256 == s.sha256 && e.to == s.to)
            .find_map(|e| {
                self.reports
                    .iter()
                    .find(|r| r.identity == e.identity && r.to == e.to)
                    .filter(|r| {
                        r.outcome == StepOutcome::Updated || r.outcome == StepOutcome::Staged
                    })
                    .map(|r| (e.identity.clone(), r.outcome, r.method.clone()))
            });
        let Some((by, how, method)) = earlier else {
            return Ok(None);
        };
        let Ok(inv) = crate::inventory::scan::read_now(&self.client).await else {
            return Ok(None);
        };
        let mine = || inv.components.iter().filter(|c| c.identity == s.identity);
        let active = mine()
            .filter(|c| c.role == crate::vocab::Role::Active)
            .all(|c| c.version.as_deref() == Some(s.to.as_str()));
        let staged = mine().any(|c| {
            c.role == crate::vocab::Role::Staged && c.version.as_deref() == Some(s.to.as_str())
        });
        if how == StepOutcome::Staged && staged {
            let r = self.staged_earlier(i, s).await?;
            let message = format!(
                "{}: {} staged with the image of {by} (one image for identical devices); the coordinated reset activates it, nothing is sent again",
                self.who(s),
                s.to
            );
            if let Some(last) = self.reports.last_mut() {
                last.message = message;
            }
            return Ok(Some(r));
        }
        if how != StepOutcome::Updated || !active || mine().next().is_none() {
            return Ok(None);
        }
        let journal = StepJournal::begin(
            &self.shared.store,
            self.shared.run_id,
            NewStep {
                host: &self.job.host.name,
                component: &s.identity,
                from_version: s.from.as_deref(),
                to_version: &s.to,
                state: StepState::Planned,
            },
        )
        .await?;
        let message = format!(
            "{}: now {} with the image of {by} (one image for identical devices); nothing sent again",
            self.who(s),
            s.to
        );
        journal.finish(StepOutcome::Updated, &message).await?;
        self.post_update(s).await?;
        self.reports.push(StepReport {
            outcome: StepOutcome::Updated.into(),
            message,
            step_id: Some(journal.step_id()),
            // The transfer that carried the image to this device too.
            method,
            ..not_started(s, "")
        });
        Ok(Some(true))
    }

    /// One step; returns whether the host may go on.
    async fn step(&mut self, i: usize, s: &PlannedStep) -> Result<bool, StoreError> {
        let shared = self.shared;
        let name = self.job.host.name.clone();
        if s.activate_only {
            return self.staged_earlier(i, s).await;
        }
        if let Some(ok) = self.covered_by_earlier_step(i, s).await? {
            return Ok(ok);
        }
        if let Some(busy) = self.wait_not_busy(s).await? {
            let r = ended_before_transfer(s, StepOutcome::NeedsAttention, busy);
            self.reports.push(r);
            return Ok(false);
        }
        // The window may have closed while the BMC was busy: nothing more
        // is asked of it (no certificate or push options changed either).
        // `step::execute` asks again right before the request.
        if let Err(closed) = self.window.may_start(Action::Submit) {
            self.deferred(s, &closed).await?;
            return Ok(false);
        }
        match job_queue::preflight(&self.client, &self.caps, &shared.store, &name, s).await? {
            QueueCheck::Clear => {}
            QueueCheck::Staged { jid } => {
                self.event(
                    "staged",
                    &format!("{}: {} is held for a reset in job {jid}", self.who(s), s.to),
                )
                .await?;
                let ok = self.staged_earlier(i, s).await?;
                // Held as it is: under `never` the operator resets.
                if shared.rollout.reset_policy == ResetPolicy::Never {
                    self.staged.retain(|(j, ..)| *j != i);
                }
                return Ok(ok);
            }
            QueueCheck::Blocked(why) => {
                self.event("job-queue", &why).await?;
                self.reports
                    .push(ended_before_transfer(s, StepOutcome::NeedsAttention, why));
                return Ok(false);
            }
        }
        let scheme = shared
            .images
            .as_ref()
            .and_then(|i| i.base_url().split_once("://").map(|(s, _)| s.to_string()));
        let caps = method::usable_for(&self.caps, s, scheme.as_deref());
        let (m, why) = match method::choose(
            s.method,
            &caps,
            method::configured(self.job.host.method, shared.rollout.default_method),
            scheme.as_deref(),
        ) {
            Ok(c) => c,
            Err(e) => {
                self.reports.push(ended_before_transfer(
                    s,
                    StepOutcome::Failed,
                    format!("{}: {e}", self.who(s)),
                ));
                return Ok(false);
            }
        };
        self.event(
            "method",
            &format!(
                "{}: {} → {} by {why}",
                self.who(s),
                s.from.as_deref().unwrap_or("?"),
                s.to
            ),
        )
        .await?;
        let mut published = None;
        let transfer = match m {
            Method::SimpleUpdate => {
                let Some(images) = &shared.images else {
                    unreachable!("SimpleUpdate is only offered with an image server")
                };
                match images.publish(
                    s.image.clone(),
                    s.sha256.clone(),
                    s.size,
                    format!("{} {} for {name}", s.kind.as_str(), s.to),
                ) {
                    Ok(p) => {
                        let uri = p.url.clone();
                        published = Some(p.token);
                        Transfer::SimpleUpdate { image_uri: uri }
                    }
                    Err(e) => {
                        self.reports.push(ended_before_transfer(
                            s,
                            StepOutcome::Failed,
                            format!("{}: cannot publish {}: {e}", self.who(s), s.image_name),
                        ));
                        return Ok(false);
                    }
                }
            }
            Method::Multipart => Transfer::Multipart,
            Method::RawPush => Transfer::Raw,
        };
        let spec = StepSpec {
            run_id: shared.run_id,
            identity: s.identity.clone(),
            kind: s.kind,
            from: s.from.clone(),
            to: s.to.clone(),
            image: s.image.clone(),
            sha256: s.sha256.clone(),
            transfer,
            apply_time: s.apply_time.clone(),
            force: s.force,
            preserve: shared.rollout.supermicro_preserve,
            targets: s.target.iter().cloned().collect(),
            deadline: shared.rollout.step_deadline,
            attempts: shared.rollout.attempts,
            poll: shared.poll,
            waits: step::Waits::of(&shared.rollout),
            window: self.window,
        };
        let progress = shared.progress.clone();
        let (h, c) = (name.clone(), s.identity.clone());
        let on_progress =
            move |phase: &str, pct: Option<u8>| progress.step_progress(&h, &c, phase, pct);
        // Image transfers over TLS: the BMC verifies the image server where
        // it can, and is put back as it was after the step.
        let mut image_tls = None;
        if let (Method::SimpleUpdate, Some(pem)) = (
            m,
            shared
                .images
                .as_ref()
                .and_then(|i| i.certificate_for_bmcs()),
        ) {
            match self.verify_image_server(s, pem).await? {
                Ok(p) => image_tls = p,
                Err(why) => {
                    if let (Some(token), Some(images)) = (published, &shared.images) {
                        images.unpublish(&token);
                    }
                    self.reports
                        .push(ended_before_transfer(s, StepOutcome::Failed, why));
                    return Ok(false);
                }
            }
        }
        // A raw push follows the service-wide apply time: taken for this
        // step under `HttpPushUriOptionsBusy` where it differs, given back
        // after it (also when the step fails).
        let push_options = if m == Method::RawPush {
            match self.take_push_options(s).await? {
                Ok(held) => held,
                Err(why) => {
                    self.reports
                        .push(ended_before_transfer(s, StepOutcome::Failed, why));
                    return Ok(false);
                }
            }
        } else {
            None
        };
        let result =
            step::execute(&self.client, &shared.store, &spec, &self.caps, &on_progress).await;
        if let Some(held) = push_options {
            self.restore_push_options(s, held).await?;
        }
        let mut result = result?;
        if let Some(p) = image_tls {
            self.restore_image_tls(s, &p).await?;
        }
        if let (Some(token), Some(images)) = (published, &shared.images) {
            images.unpublish(&token);
        }
        // A BMC that came back from its own update with a new certificate.
        if let Some(got) = result.new_certificate.clone() {
            if s.kind == Kind::Bmc && self.job.host.tls_repin_after_bmc_update {
                let mut h = self.job.host.clone();
                h.tls = TlsSetting::Pin(got.clone());
                if let Ok(c) = BmcClient::new(&h) {
                    self.event("tls-repin", &format!("{}: the BMC presents a new certificate after its update; re-pinned to {got} (tls_repin_after_bmc_update); update tls_fingerprint_sha256 in the config", self.who(s))).await?;
                    self.client = c;
                    let overran = result.overran_window;
                    result = step::reverify(
                        &self.client,
                        &shared.store,
                        &spec,
                        result.step_id,
                        &self.caps,
                        false,
                        &on_progress,
                    )
                    .await?;
                    result.overran_window |= overran;
                }
            }
        }
        if result.outcome == StepOutcome::Staged
            && shared.rollout.reset_policy != ResetPolicy::Never
        {
            let reset = result.reset.clone().unwrap_or(ResetRequest {
                target: None,
                reset_type: None,
            });
            self.staged.push((i, spec, result.step_id, reset));
        }
        if result.outcome == StepOutcome::Updated {
            self.post_update(s).await?;
        }
        let ok = result.outcome.is_success();
        self.reports.push(report_of(s, Some(m), &result));
        Ok(ok)
    }

    /// Set the service-wide raw-push apply time to the step's, under
    /// `HttpPushUriOptionsBusy` (UpdateService v1_4), when the BMC has that
    /// flag and its apply time differs; journaled first (event
    /// `push-options`). `Ok(None)`: nothing to change. `Err`: why the step
    /// cannot go on (another client holds the options).
    async fn take_push_options(
        &self,
        s: &PlannedStep,
    ) -> Result<Result<Option<update_service::PushOptionsHeld>, String>, StoreError> {
        if self.caps.push_options_busy.is_none() {
            return Ok(Ok(None));
        }
        let want = s.apply_time.as_deref().unwrap_or("Immediate");
        if self.caps.push_apply_time.as_deref() == Some(want) {
            return Ok(Ok(None));
        }
        let who = self.who(s);
        self.event(
            "push-options",
            &format!(
                "{who}: HttpPushUriApplyTime is {}; setting it to {want} under HttpPushUriOptionsBusy for this push (restored afterwards)",
                self.caps.push_apply_time.as_deref().unwrap_or("unset")
            ),
        )
        .await?;
        Ok(
            update_service::take_push_options(&self.client, &self.caps, want)
                .await
                .map_err(|e| format!("{who}: cannot set the raw push's apply time: {e}")),
        )
    }

    /// Give the push options back as they were and clear `HttpPushUriOptionsBusy`.
    async fn restore_push_options(
        &self,
        s: &PlannedStep,
        held: update_service::PushOptionsHeld,
    ) -> Result<(), StoreError> {
        let who = self.who(s);
        let text = match update_service::restore_push_options(&self.client, &self.caps, held).await
        {
            Ok(()) => format!("{who}: restored HttpPushUriApplyTime and cleared HttpPushUriOptionsBusy"),
            Err(e) => format!("{who}: could not restore HttpPushUriApplyTime / clear HttpPushUriOptionsBusy: {e}; set them back on the BMC's UpdateService by hand"),
        };
        self.event("push-options", &text).await
    }

    /// Ask the BMC to verify the image server's certificate `pem`: its
    /// previous settings are journaled first (event `image-tls`), so that
    /// the way back is on record before anything changes. `Ok(None)`: the
    /// BMC cannot (no `RemoteServerCertificates`); the download goes over
    /// HTTPS unverified by the BMC, as the event says. `Err`: why the step
    /// cannot go on.
    async fn verify_image_server(
        &self,
        s: &PlannedStep,
        pem: &str,
    ) -> Result<Result<Option<remote_certs::Previous>, String>, StoreError> {
        let who = self.who(s);
        let previous = match remote_certs::current(&self.client, &self.caps).await {
            Ok(Some(p)) => p,
            Ok(None) => {
                self.event("image-tls", &format!("{who}: the BMC cannot verify the image server's certificate (no UpdateService.RemoteServerCertificates); it downloads over HTTPS without verifying it")).await?;
                return Ok(Ok(None));
            }
            Err(e) => {
                return Ok(Err(format!(
                    "{who}: cannot read the BMC's image-server verification settings: {e}"
                )))
            }
        };
        self.event(
            "image-tls",
            &format!(
                "{who}: VerifyRemoteServerCertificate was {}; adding the image server's certificate to RemoteServerCertificates and verifying it for this step (restored afterwards)",
                previous.verify
            ),
        )
        .await?;
        match remote_certs::verify_image_server(&self.client, &previous, pem).await {
            Ok(now) => Ok(Ok(Some(now))),
            Err(e) => Ok(Err(format!(
                "{who}: cannot have the BMC verify the image server's certificate: {e}\n  hint: set image_server.bmc_verify_certificate = false to let it download unverified"
            ))),
        }
    }

    /// Put the BMC's image-server verification back as it was.
    async fn restore_image_tls(
        &self,
        s: &PlannedStep,
        p: &remote_certs::Previous,
    ) -> Result<(), StoreError> {
        let who = self.who(s);
        let text = match remote_certs::restore(&self.client, p).await {
            Ok(()) => format!(
                "{who}: restored VerifyRemoteServerCertificate = {} and removed the image server's certificate{}",
                p.verify,
                p.added.as_deref().map(|u| format!(" ({u})")).unwrap_or_default()
            ),
            Err(e) => format!(
                "{who}: could not restore the BMC's image-server verification (VerifyRemoteServerCertificate = {}, remove {}): {e}\n  hint: set them back on the BMC by hand",
                p.verify,
                p.added.as_deref().unwrap_or("nothing")
            ),
        };
        self.event("image-tls", &text).await
    }

    fn hook_env(&self, event: &'static str, steps: &[&PlannedStep]) -> HookEnv {
        HookEnv {
            event,
            host: self.job.host.name.clone(),
            bmc_url: self.job.host.url.clone(),
            run_id: self.shared.run_id,
            components: steps
                .iter()
                .map(|s| {
                    (
                        s.identity.clone(),
                        s.kind.as_str().to_string(),
                        s.from.clone(),
                        s.to.clone(),
                    )
                })
                .collect(),
        }
    }

    async fn post_update(&self, s: &PlannedStep) -> Result<(), StoreError> {
        let cmd = self
            .job
            .host
            .post_update
            .clone()
            .or_else(|| self.shared.rollout.hooks.post_update.clone());
        if let Some(cmd) = cmd {
            let env = self.hook_env("post_update", &[s]);
            if let Err(e) = hooks::run(&cmd, &env, &self.shared.rollout.hooks).await {
                // The update is done; a failing notification is reported, not undone.
                self.event("hook-failed", &format!("{}: {e}", self.who(s)))
                    .await?;
            }
        }
        Ok(())
    }

    /// The coordinated reset: pre-reset hook, one reset per class (host,
    /// BMC), then each staged step verified again.
    async fn activate_staged(&mut self) -> Result<(), StoreError> {
        let shared = self.shared;
        let name = self.job.host.name.clone();
        let staged: Vec<&PlannedStep> = self
            .staged
            .iter()
            .map(|(i, ..)| &self.job.steps[*i])
            .collect();
        // Past the window's end not even the pre-reset hook runs (it tells
        // the operator's tooling a reset is coming).
        if let Err(closed) = self.window.may_start(Action::Reset) {
            return self.defer_reset(closed).await;
        }
        let cmd = self
            .job
            .host
            .pre_reset
            .clone()
            .or_else(|| shared.rollout.hooks.pre_reset.clone());
        if let Some(cmd) = cmd {
            let env = self.hook_env("pre_reset", &staged);
            if let Err(e) = hooks::run(&cmd, &env, &shared.rollout.hooks).await {
                let msg = format!("{name}: reset skipped, images stay staged: {e}");
                self.event("hook-failed", &msg).await?;
                for (i, ..) in &self.staged {
                    if let Some(r) = self
                        .reports
                        .iter_mut()
                        .find(|r| r.identity == self.job.steps[*i].identity)
                    {
                        r.outcome = StepOutcome::NeedsAttention.into();
                        r.message = msg.clone();
                    }
                }
                self.staged.clear();
                return Ok(());
            }
        }
        // Host-class images first: a BMC reset must not cut off the host's.
        let mut classes: Vec<(ResetTarget, Option<String>)> = Vec::new();
        for (i, _, _, req) in &self.staged {
            let class = if self.job.steps[*i].kind == Kind::Bmc {
                ResetTarget::Manager
            } else {
                ResetTarget::System
            };
            if !classes.iter().any(|(c, _)| *c == class) {
                let named = req.target.clone().filter(|t| {
                    t.contains(if class == ResetTarget::Manager {
                        "Manager.Reset"
                    } else {
                        "ComputerSystem.Reset"
                    })
                });
                classes.push((class, named));
            }
        }
        classes.sort_by_key(|(c, _)| *c == ResetTarget::Manager);
        let mut deferred: Vec<i64> = Vec::new();
        let job = self.job;
        for (class, named) in classes {
            // The window's end, after the hook and the previous class's
            // reset, right before `reset-sent` is journaled.
            if let Err(closed) = self.window.may_start(Action::Reset) {
                let of_class =
                    |i: usize| (job.steps[i].kind == Kind::Bmc) == (class == ResetTarget::Manager);
                deferred.extend(self.defer_staged(closed, of_class).await?);
                continue;
            }
            // The action says which reset types it allows, also when the
            // task named the target.
            let action = update_service::reset_action(&self.client, &self.caps, class).await;
            let reset_type = crate::updater::reset_type::choose(
                shared.rollout.reset_policy,
                class,
                action.as_ref().ok(),
            );
            let target = match (named, action) {
                (Some(t), _) => Ok(t),
                (None, a) => a.map(|a| a.target).map_err(|e| e.to_string()),
            };
            // Journal first: each step this reset activates is `reset-sent`
            // before the reset goes, so a restart never resets twice.
            for (i, _, step_id, _) in &self.staged {
                if (self.job.steps[*i].kind == Kind::Bmc) == (class == ResetTarget::Manager) {
                    StepJournal::of(&shared.store, shared.run_id, *step_id)
                        .enter(StepState::ResetSent, None)
                        .await?;
                }
            }
            let result = match (target, reset_type) {
                (Ok(t), Ok(reset_type)) => {
                    self.event("reset", &format!("{name}: {reset_type} via {t} to activate staged images (reset policy {})", shared.rollout.reset_policy.as_str())).await?;
                    update_service::reset(&self.client, &t, reset_type)
                        .await
                        .map_err(|e| e.to_string())
                }
                (Err(e), _) | (_, Err(e)) => Err(e),
            };
            if let Err(e) = result {
                let msg = format!(
                    "{name}: the reset to activate staged images failed: {e}; they stay staged"
                );
                self.event("reset-failed", &msg).await?;
                for (i, _, step_id, _) in self.staged.iter().filter(|(i, ..)| {
                    (self.job.steps[*i].kind == Kind::Bmc) == (class == ResetTarget::Manager)
                }) {
                    StepJournal::of(&shared.store, shared.run_id, *step_id)
                        .finish(StepOutcome::Failed, &msg)
                        .await?;
                    if let Some(r) = self
                        .reports
                        .iter_mut()
                        .find(|r| r.identity == self.job.steps[*i].identity)
                    {
                        r.outcome = StepOutcome::Failed.into();
                        r.message = msg.clone();
                    }
                }
            }
        }
        let staged = std::mem::take(&mut self.staged);
        for (i, spec, step_id, _) in staged {
            if deferred.contains(&step_id) {
                continue;
            }
            let s = &self.job.steps[i];
            let idx = self
                .reports
                .iter()
                .position(|r| r.identity == s.identity && r.to == s.to);
            if idx.is_some_and(|x| self.reports[x].outcome != StepOutcome::Staged) {
                continue;
            }
            let progress = shared.progress.clone();
            let (h, c) = (name.clone(), s.identity.clone());
            let on_progress =
                move |phase: &str, pct: Option<u8>| progress.step_progress(&h, &c, phase, pct);
            let r = step::reverify(
                &self.client,
                &shared.store,
                &spec,
                step_id,
                &self.caps,
                true,
                &on_progress,
            )
            .await?;
            if r.outcome == StepOutcome::Updated {
                self.post_update(s).await?;
            }
            let mut rep = report_of(s, None, &r);
            if let Some(x) = idx {
                rep.method = self.reports[x].method.clone();
                self.reports[x] = rep;
            } else {
                self.reports.push(rep);
            }
        }
        Ok(())
    }

    fn finish(self) -> HostReport {
        let policy = self.shared.rollout.reset_policy;
        let reset_deferred = self.reset_deferred;
        let bad = |o: ReportOutcome| match o {
            ReportOutcome::Ended(
                StepOutcome::Updated | StepOutcome::Held | StepOutcome::Deferred,
            ) => false,
            // Staged for a reset the window's end put off: the next window.
            ReportOutcome::Ended(StepOutcome::Staged) => {
                policy != ResetPolicy::Never && reset_deferred.is_none()
            }
            ReportOutcome::NotStarted => false,
            ReportOutcome::Ended(_) => true,
        };
        let first_bad = self.reports.iter().find(|r| bad(r.outcome));
        let any_staged = self
            .reports
            .iter()
            .any(|r| r.outcome == StepOutcome::Staged);
        let interrupted = self
            .reports
            .iter()
            .any(|r| r.outcome == ReportOutcome::NotStarted)
            && self.shared.cancel.is_cancelled();
        let deferred = self
            .reports
            .iter()
            .filter(|r| r.outcome == StepOutcome::Deferred)
            .count();
        let window_end = reset_deferred
            .map(|c| c.end)
            .or(self.window.end())
            .map(rfc3339)
            .unwrap_or_default();
        let (result, failed, message) = match first_bad {
            Some(r) => (r.outcome, true, r.message.clone()),
            None if deferred > 0 || reset_deferred.is_some() => (
                StepOutcome::Deferred.into(),
                false,
                format!(
                    "{}: the maintenance window closed at {window_end}: {}; the next window plans them again",
                    self.job.host.name,
                    [
                        (deferred > 0).then(|| format!("{deferred} step(s) deferred, nothing sent for them")),
                        reset_deferred.map(|_| "the coordinated reset was not sent, the images stay staged".to_string()),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("; ")
                ),
            ),
            None if interrupted => (
                StepOutcome::Cancelled.into(),
                false,
                format!(
                    "{}: interrupted; steps not started were left for the next run",
                    self.job.host.name
                ),
            ),
            None if self.reports.iter().all(|r| r.outcome == StepOutcome::Held) => (
                StepOutcome::Held.into(),
                false,
                self.reports
                    .first()
                    .map_or_else(String::new, |r| r.message.clone()),
            ),
            None if any_staged => (
                StepOutcome::Staged.into(),
                false,
                format!(
                    "{}: staged, active after the next reset (reset policy never)",
                    self.job.host.name
                ),
            ),
            None => (
                StepOutcome::Updated.into(),
                false,
                format!(
                    "{}: {} step(s) updated",
                    self.job.host.name,
                    self.reports.len()
                ),
            ),
        };
        HostReport {
            name: self.job.host.name.clone(),
            result,
            failed,
            message,
            steps: self.reports,
            duration_ms: 0,
        }
    }
}

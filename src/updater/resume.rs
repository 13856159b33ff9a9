//! Crash-safe resume: the steps a stopped fwfleet left in flight are picked
//! up from the journal before anything new is planned.
//!
//! Journal first (`updater::step`) makes this possible: a step is stored
//! `submitted` before the request that starts a flash and its task URI the
//! moment the BMC gives one, so every row not `done` says how far it got:
//!
//! | journal                   | the BMC shows                  | resume            |
//! |---------------------------|--------------------------------|-------------------|
//! | `planned`                 | (nothing was sent)             | `cancelled`, planned again |
//! | any                       | the new version active         | verify → `updated`|
//! | any                       | the new version staged         | `staged`          |
//! | `verifying`               | —                              | verify            |
//! | task URI stored           | —                              | follow that task  |
//! | `submitted`, no task URI  | an update task running         | adopt and follow it |
//! | `submitted`, no task URI  | old version, nothing running   | wait the quiet period, look again; then `cancelled` and planned again (nothing was written), or `needs-attention` when `resume_retry = false` |
//!
//! A BMC that does not answer (rebooting after its own update) is waited for
//! up to `resume_wait_secs`; if it still does not answer, its steps stay in
//! flight and [`super::apply::prepare`] leaves the host out of the plan, so
//! a component whose update may still be running is never flashed again.
//!
//! Only one process may update from a store at a time ([`UpdateLock`]), so
//! every in-flight row belongs to a process that is gone.

use crate::config::{Config, HostConfig};
use crate::inventory::model::{Component, HostInventory};
use crate::redfish::client::BmcClient;
use crate::redfish::error::RedfishError;
use crate::redfish::task::Accepted;
use crate::redfish::update_service::{self, UpdateCaps};
use crate::store::{Step, StepJournal, Store, StoreError};
use crate::updater::lock::UpdateLock;
use crate::updater::step::{self, Resume, StepSpec};
use crate::vocab::Role;
use crate::vocab::{Kind, RunStatus, StepOutcome, StepState};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// The text of [`StepState::IN_FLIGHT`] as the store's `state` column
/// holds it, for tools and tests that read the SQLite file directly
/// ([`crate::store::SqliteStore::steps_in_state`]); fwfleet itself asks
/// [`Store::steps_in_flight`].
pub const IN_FLIGHT: [&str; 5] = [
    StepState::IN_FLIGHT[0].as_str(),
    StepState::IN_FLIGHT[1].as_str(),
    StepState::IN_FLIGHT[2].as_str(),
    StepState::IN_FLIGHT[3].as_str(),
    StepState::IN_FLIGHT[4].as_str(),
];

/// How one left-over step ended.
#[derive(Debug, Clone, Serialize)]
pub struct ResumedStep {
    pub run_id: i64,
    pub step_id: i64,
    pub host: String,
    pub component: String,
    pub from: Option<String>,
    pub to: String,
    /// The journal state it was found in.
    pub found: StepState,
    pub outcome: StepOutcome,
    pub message: String,
}

impl ResumedStep {
    /// Whether the operator must look: the update did not end where it
    /// should, or its state is unknown. `cancelled` is not a failure here: it
    /// means nothing was written and the plan takes the update again.
    pub fn failed(&self) -> bool {
        !matches!(
            self.outcome,
            StepOutcome::Updated | StepOutcome::Staged | StepOutcome::Cancelled
        )
    }
}

/// What resume did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ResumeReport {
    pub steps: Vec<ResumedStep>,
    /// Hosts whose steps stay in flight (BMC unreachable, host gone from the
    /// config), each with why and what to do.
    pub unresolved: Vec<String>,
    /// Runs of stopped processes, now marked `interrupted`.
    pub interrupted_runs: Vec<i64>,
}

impl ResumeReport {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.unresolved.is_empty() && self.interrupted_runs.is_empty()
    }

    /// Lines for the operator.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for s in &self.steps {
            out.push_str(&format!(
                "resumed step {} (run {}, was {}): {} {}\n",
                s.step_id, s.run_id, s.found, s.outcome, s.message
            ));
        }
        for u in &self.unresolved {
            out.push_str(&format!("still in flight: {u}\n"));
        }
        if !self.interrupted_runs.is_empty() {
            out.push_str(&format!(
                "run(s) {} had stopped; marked interrupted\n",
                self.interrupted_runs
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        out
    }
}

/// Pick up every step left in flight. `_lock` proves no other process is
/// updating from this store. Errors are store failures; a BMC problem ends in
/// a step outcome or an `unresolved` line.
pub async fn resume(
    cfg: &Config,
    store: &Store,
    lock: &UpdateLock,
    cancel: &CancellationToken,
    poll: Duration,
) -> Result<ResumeReport, StoreError> {
    resume_inner(cfg, store, lock, cancel, poll, None).await
}

/// [`resume`] from inside a process's own run `current` (the service, before
/// each rollout: a BMC that did not answer at startup is asked again). That
/// run is the only `running` one that is not left over.
pub async fn resume_during(
    cfg: &Config,
    store: &Store,
    lock: &UpdateLock,
    cancel: &CancellationToken,
    poll: Duration,
    current: i64,
) -> Result<ResumeReport, StoreError> {
    resume_inner(cfg, store, lock, cancel, poll, Some(current)).await
}

async fn resume_inner(
    cfg: &Config,
    store: &Store,
    _lock: &UpdateLock,
    cancel: &CancellationToken,
    poll: Duration,
    current: Option<i64>,
) -> Result<ResumeReport, StoreError> {
    let left = store.steps_in_flight().await?;
    let mut by_host: BTreeMap<String, Vec<Step>> = BTreeMap::new();
    for s in left {
        by_host.entry(s.host.clone()).or_default().push(s);
    }
    let mut report = ResumeReport::default();
    if !by_host.is_empty() {
        tracing::info!(
            hosts = by_host.len(),
            steps = by_host.values().map(Vec::len).sum::<usize>(),
            "resuming steps left in flight"
        );
    }
    let limit = Arc::new(tokio::sync::Semaphore::new(cfg.rollout.max_parallel.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (name, steps) in by_host {
        let host = cfg.hosts.iter().find(|h| h.name == name).cloned();
        let (store, cancel, limit) = (store.clone(), cancel.clone(), limit.clone());
        let settings = HostSettings {
            poll,
            deadline: cfg.rollout.step_deadline,
            resume: cfg.rollout.resume,
            waits: step::Waits::of(&cfg.rollout),
        };
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            resume_host(name, host, steps, store, settings, cancel).await
        });
    }
    while let Some(r) = tasks.join_next().await {
        let r = r.map_err(|e| StoreError::Task(e.to_string()))??;
        report.steps.extend(r.steps);
        report.unresolved.extend(r.unresolved);
    }
    report.steps.sort_by_key(|s| s.step_id);
    report.unresolved.sort();
    // Runs whose process stopped: "running" in the journal, yet this process
    // holds the lock and has not started one.
    for run in store.runs_with_status(RunStatus::Running).await? {
        let id = run.id;
        if Some(id) == current {
            continue;
        }
        // A run stopped while paused is parked, not lost: it stays paused
        // (`serve` continues it once resumed; `fwfleet run cancel` ends it).
        // Not a rollback (`RunCommand::parks`).
        if crate::updater::apply::RunCommand::parks_run(&run)
            && store
                .control(id)
                .await?
                .is_some_and(|c| c.requested == crate::vocab::Control::Paused)
        {
            continue;
        }
        store
            .interrupt_run(
                id,
                "the process running this run stopped; its steps in flight were resumed by a later start",
            )
            .await?;
        report.interrupted_runs.push(id);
    }
    Ok(report)
}

#[derive(Debug, Clone, Copy)]
struct HostSettings {
    poll: Duration,
    deadline: Duration,
    resume: crate::config::ResumeSettings,
    waits: step::Waits,
}

#[derive(Debug, Default)]
struct HostResult {
    steps: Vec<ResumedStep>,
    unresolved: Vec<String>,
}

async fn resume_host(
    name: String,
    host: Option<HostConfig>,
    steps: Vec<Step>,
    store: Store,
    settings: HostSettings,
    cancel: CancellationToken,
) -> Result<HostResult, StoreError> {
    let mut out = HostResult::default();
    let ids = || {
        steps
            .iter()
            .map(|s| s.id.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(host) = host else {
        out.unresolved.push(format!(
            "{name}: step(s) {} are in flight but the host is no longer in the config; add it back so fwfleet can decide them from the BMC",
            ids()
        ));
        return Ok(out);
    };
    let client = match BmcClient::new(&host) {
        Ok(c) => c,
        Err(e) => {
            out.unresolved
                .push(format!("{name}: step(s) {}: {e}", ids()));
            return Ok(out);
        }
    };
    // A BMC rebooting after its own update refuses connections for a while.
    let caps = match until_answers(&client, settings.resume.wait, &cancel).await {
        Ok(caps) => caps,
        Err(e) => {
            out.unresolved.push(format!(
                "{name}: step(s) {} stay in flight: the BMC did not answer within {}s ({e}); fwfleet decides them on its next start, and leaves this host out of plans until then",
                ids(),
                settings.resume.wait.as_secs()
            ));
            return Ok(out);
        }
    };
    for s in steps {
        if cancel.is_cancelled() {
            out.unresolved.push(format!(
                "{name}: step {} stays in flight: interrupted while resuming",
                s.id
            ));
            continue;
        }
        let found = s.state;
        match resume_step(&client, &store, &caps, &s, settings, &cancel).await? {
            Some(r) => out.steps.push(ResumedStep {
                run_id: s.run_id,
                step_id: s.id,
                host: name.clone(),
                component: s.component.clone(),
                from: s.from_version.clone(),
                to: s.to_version.clone(),
                found,
                outcome: r.outcome,
                message: r.message,
            }),
            None => out.unresolved.push(format!(
                "{name}: step {} stays in flight: the BMC stopped answering while it was decided; fwfleet decides it on its next start",
                s.id
            )),
        }
    }
    client.logout().await;
    Ok(out)
}

/// Log in and discover the UpdateService, retrying while the BMC does not
/// answer, for up to `wait`.
async fn until_answers(
    client: &BmcClient,
    wait: Duration,
    cancel: &CancellationToken,
) -> Result<UpdateCaps, RedfishError> {
    let until = Instant::now() + wait;
    loop {
        let r = match client.login().await {
            Ok(()) => update_service::discover(client).await,
            Err(e) => Err(e),
        };
        match r {
            Ok(caps) => return Ok(caps),
            Err(e) if Instant::now() >= until || cancel.is_cancelled() => return Err(e),
            // Wrong credentials, a pinned certificate that changed or an
            // untrusted one do not heal by waiting.
            Err(
                e @ (RedfishError::Auth { .. }
                | RedfishError::PinMismatch { .. }
                | RedfishError::Untrusted { .. }),
            ) => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_secs(1)).await,
        }
    }
}

/// What the BMC shows for the step's component right now.
struct Seen {
    active: Option<Component>,
    staged: Option<String>,
}

fn seen(inv: &HostInventory, identity: &str) -> Seen {
    let of = |role: Role| {
        inv.components
            .iter()
            .find(|c| c.identity == identity && c.role == role)
    };
    Seen {
        active: of(Role::Active).cloned(),
        staged: of(Role::Staged).and_then(|c| c.version.clone()),
    }
}

/// Decide one step and carry it to a final outcome; `None` when the BMC
/// stopped answering before it could be decided (the step stays in flight).
async fn resume_step(
    client: &BmcClient,
    store: &Store,
    caps: &UpdateCaps,
    s: &Step,
    settings: HostSettings,
    cancel: &CancellationToken,
) -> Result<Option<step::StepResult>, StoreError> {
    let who = format!("{} {}", s.host, s.component);
    let Ok(inv) = crate::inventory::scan::read_now(client).await else {
        return Ok(None);
    };
    let mut now = seen(&inv, &s.component);
    let Some(active) = now.active.clone() else {
        let spec = spec_of(s, Kind::Other, settings);
        let how = Resume::Decided(
            StepOutcome::NeedsAttention,
            format!("{who}: a step of run {} was in flight, and the BMC no longer lists this component; check the BMC before planning it again", s.run_id),
        );
        return step::resume(client, store, &spec, s.id, how, caps, &|_, _| {})
            .await
            .map(Some);
    };
    let spec = spec_of(s, active.kind, settings);
    if s.state == StepState::ResetSent {
        let how = after_reset_sent(client, caps, s, &now, &who).await;
        return step::resume(client, store, &spec, s.id, how, caps, &|_, _| {})
            .await
            .map(Some);
    }
    let mut how = decide(s, &now, &who);
    if how.is_none() && s.task_uri.is_none() {
        // Sent (maybe) with no task recorded: adopt an update task the BMC runs.
        match update_service::running_task(client, caps).await {
            Ok(Some(t)) => {
                event(
                    store,
                    s,
                    format!(
                        "{who}: adopting {} ({}), {} on the BMC, as the task of this step",
                        t.name, t.uri, t.state
                    ),
                )
                .await?;
                how = Some(Resume::Follow(Accepted::from_stored(&t.uri)));
            }
            Ok(None) => {
                // Give a BMC that accepted the request time to show it.
                event(store, s, format!("{who}: no trace on the BMC yet (still {}, no update task); looking again in {}s", active.version.as_deref().unwrap_or("no version"), settings.resume.quiet_period.as_secs())).await?;
                tokio::select! {
                    _ = tokio::time::sleep(settings.resume.quiet_period) => {}
                    _ = cancel.cancelled() => return Ok(None),
                }
                let Ok(inv) = crate::inventory::scan::read_now(client).await else {
                    return Ok(None);
                };
                now = seen(&inv, &s.component);
                how = decide(s, &now, &who);
                if how.is_none() {
                    how = Some(match update_service::running_task(client, caps).await {
                        Ok(Some(t)) => Resume::Follow(Accepted::from_stored(&t.uri)),
                        Ok(None) if settings.resume.retry => Resume::Decided(
                            StepOutcome::Cancelled,
                            format!("{who}: fwfleet stopped before the BMC took the update (still {}, no update task after {}s); nothing was written; planned again", version_of(&now), settings.resume.quiet_period.as_secs()),
                        ),
                        Ok(None) => Resume::Decided(
                            StepOutcome::NeedsAttention,
                            format!("{who}: fwfleet stopped while the update was being sent and the BMC shows no trace of it (still {}); resume_retry = false: check the BMC, then run apply again", version_of(&now)),
                        ),
                        Err(_) => return Ok(None),
                    });
                }
            }
            Err(_) => return Ok(None),
        }
    }
    let how = how.unwrap_or_else(|| {
        // A task URI was journaled: follow the same task.
        Resume::Follow(Accepted::from_stored(
            s.task_uri.as_deref().unwrap_or_default(),
        ))
    });
    step::resume(client, store, &spec, s.id, how, caps, &|_, _| {})
        .await
        .map(Some)
}

/// A step journaled `reset-sent`: fwfleet stopped between deciding to send
/// the reset that activates it and knowing the reset happened. The new
/// version active, or the host in its POST, is evidence of the reset; without
/// evidence the step needs the operator, and fwfleet never resets again.
async fn after_reset_sent(
    client: &BmcClient,
    caps: &UpdateCaps,
    s: &Step,
    now: &Seen,
    who: &str,
) -> Resume {
    let active = now.active.as_ref().and_then(|c| c.version.as_deref());
    if active == Some(s.to_version.as_str()) {
        return Resume::Verify;
    }
    match update_service::host_power(client, caps).await {
        Ok(p) if p.in_post() => Resume::VerifyAfterReset,
        Ok(p) => Resume::Decided(
            StepOutcome::NeedsAttention,
            format!(
                "{who}: fwfleet stopped while it sent the reset that activates {} and the host shows no sign of it (still {}, {}); fwfleet neither resets it nor sends the image again: check the host, then reset it by hand (later runs leave it blocked while it runs this version)",
                s.to_version,
                version_of(now),
                p.describe()
            ),
        ),
        Err(e) => Resume::Decided(
            StepOutcome::NeedsAttention,
            format!(
                "{who}: fwfleet stopped while it sent the reset that activates {}, and the host's state cannot be read ({}); fwfleet does not reset it again: check the host",
                s.to_version,
                e.to_string().lines().next().unwrap_or_default()
            ),
        ),
    }
}

fn version_of(now: &Seen) -> String {
    now.active
        .as_ref()
        .and_then(|c| c.version.clone())
        .unwrap_or_else(|| "no version".into())
}

/// The decisions that need no waiting, or `None` when the task must be
/// followed or looked for.
fn decide(s: &Step, now: &Seen, who: &str) -> Option<Resume> {
    let active = now.active.as_ref().and_then(|c| c.version.as_deref());
    if s.state == StepState::Planned && active != Some(s.to_version.as_str()) {
        return Some(Resume::Decided(
            StepOutcome::Cancelled,
            format!("{who}: fwfleet stopped before anything was sent; planned again"),
        ));
    }
    if active == Some(s.to_version.as_str()) || s.state == StepState::Verifying {
        return Some(Resume::Verify);
    }
    if now.staged.as_deref() == Some(s.to_version.as_str()) {
        return Some(Resume::Decided(
            StepOutcome::Staged,
            format!(
                "{who}: {} staged, active after the next reset",
                s.to_version
            ),
        ));
    }
    None
}

fn spec_of(s: &Step, kind: Kind, settings: HostSettings) -> StepSpec {
    StepSpec::resumed(
        s.run_id,
        s.component.clone(),
        kind,
        s.from_version.clone(),
        s.to_version.clone(),
        settings.deadline,
        settings.poll,
        settings.waits,
    )
}

async fn event(store: &Store, s: &Step, message: String) -> Result<(), StoreError> {
    tracing::info!("{message}");
    StepJournal::of(store, s.run_id, s.id)
        .event("resume", &message)
        .await
}

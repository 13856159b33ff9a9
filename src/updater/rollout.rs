//! The rollout: canaries first, then waves; a fleet-wide cap and caps per
//! label value (a rack, a PDU); one host runner per BMC, so one update at a
//! time per BMC; a failure budget that stops new hosts from starting; Ctrl-C
//! stops new hosts and steps while running ones reach a recorded state.

use crate::store::StoreError;
use crate::updater::host::{self, HostJob, HostReport, Shared};
use crate::vocab::RunStatus;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::Semaphore;

/// How a rollout ended.
#[derive(Debug, Clone, Serialize)]
pub struct RolloutReport {
    pub run_id: i64,
    /// `completed`, `completed-with-failures` (some host failed or was
    /// unreachable, within the failure budget), `halted` (canary failure or
    /// failure budget) or `cancelled` (Ctrl-C, SIGTERM, the API, the window;
    /// also a run whose steps the window's end deferred).
    pub status: RunStatus,
    pub halted_reason: Option<String>,
    /// Plan order.
    pub hosts: Vec<HostReport>,
    /// Hosts per result.
    pub hosts_by_result: BTreeMap<String, usize>,
    /// Steps per outcome.
    pub steps_by_outcome: BTreeMap<String, usize>,
    pub failed_hosts: usize,
    /// Hosts that did not answer the scan before the run, so had no job:
    /// they make the run `completed-with-failures` too.
    pub unreachable_at_scan: usize,
    /// Failures allowed before halting.
    pub failure_budget: usize,
    pub duration_ms: u64,
}

impl RolloutReport {
    /// Exit 0 only when the run completed with nothing failed or unreachable.
    pub fn ok(&self) -> bool {
        self.status == RunStatus::Completed
    }

    /// Count the hosts the scan could not reach (they had no job) and say so
    /// in the status: a run over a fleet with dead BMCs did not complete.
    pub fn with_unreachable_at_scan(mut self, n: usize) -> Self {
        self.unreachable_at_scan = n;
        if n > 0 && self.status == RunStatus::Completed {
            self.status = RunStatus::CompletedWithFailures;
        }
        self
    }
}

/// Which jobs (plan order) are canaries: hosts labelled `canary` when any
/// is, else the first `n`.
fn canary_flags(jobs: &[HostJob], n: usize) -> Vec<bool> {
    let labelled = jobs.iter().any(|j| j.host.is_canary());
    jobs.iter()
        .enumerate()
        .map(|(i, j)| if labelled { j.host.is_canary() } else { i < n })
        .collect()
}

/// The canaries' names, for showing the rollout before it starts.
pub fn canary_names(jobs: &[HostJob], n: usize) -> Vec<&str> {
    jobs.iter()
        .zip(canary_flags(jobs, n))
        .filter(|(_, c)| *c)
        .map(|(j, _)| j.host.name.as_str())
        .collect()
}

/// The canaries and the rest, both in plan order.
pub fn split_canaries(jobs: Vec<HostJob>, n: usize) -> (Vec<HostJob>, Vec<HostJob>) {
    let flags = canary_flags(&jobs, n);
    let (canaries, rest): (Vec<_>, Vec<_>) = jobs.into_iter().zip(flags).partition(|(_, c)| *c);
    (
        canaries.into_iter().map(|(j, _)| j).collect(),
        rest.into_iter().map(|(j, _)| j).collect(),
    )
}

struct Gate {
    fleet: Arc<Semaphore>,
    labels: Mutex<HashMap<(String, String), Arc<Semaphore>>>,
    caps: BTreeMap<String, usize>,
    halted: Mutex<Option<String>>,
    failed: Mutex<usize>,
    allowed: usize,
    /// `run.halted` goes out once, when the first reason is set.
    notify: crate::notify::Notifier,
    run_id: i64,
}

impl Gate {
    fn label_semaphores(&self, job: &HostJob) -> Vec<Arc<Semaphore>> {
        let mut map = self.labels.lock().unwrap_or_else(|e| e.into_inner());
        // BTreeMap order: every task takes label permits in the same order, so
        // two hosts can never hold one each and wait for the other's.
        self.caps
            .iter()
            .filter_map(|(key, cap)| {
                let value = job.host.labels.get(key)?;
                Some(
                    map.entry((key.clone(), value.clone()))
                        .or_insert_with(|| Arc::new(Semaphore::new(*cap)))
                        .clone(),
                )
            })
            .collect()
    }

    fn halted(&self) -> Option<String> {
        self.halted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn halt(&self, why: String) {
        let mut h = self.halted.lock().unwrap_or_else(|e| e.into_inner());
        if h.is_none() {
            *h = Some(why.clone());
            drop(h);
            let failed = *self.failed.lock().unwrap_or_else(|e| e.into_inner());
            self.notify.emit(
                self.run_id,
                crate::notify::EventData::RunHalted {
                    reason: why,
                    failed_hosts: failed,
                    failure_budget: self.allowed,
                },
            );
        }
    }
}

/// How many of `total` hosts may fail under a failure budget of `share`
/// before the rollout halts: the one rule the dry run, the halt message and
/// the report share.
pub fn budget_hosts(share: f64, total: usize) -> usize {
    (share * total as f64 + 1e-9).floor() as usize
}

/// Run `jobs` (plan order) under the rollout settings in `shared`.
pub async fn run(jobs: Vec<HostJob>, shared: Arc<Shared>) -> Result<RolloutReport, StoreError> {
    let t0 = Instant::now();
    let r = &shared.rollout;
    let total = jobs.len();
    let allowed = budget_hosts(r.failure_budget, total);
    let gate = Arc::new(Gate {
        fleet: Arc::new(Semaphore::new(r.max_parallel)),
        labels: Mutex::new(HashMap::new()),
        caps: r.label_caps.clone(),
        halted: Mutex::new(None),
        failed: Mutex::new(0),
        allowed,
        notify: shared.notify.clone(),
        run_id: shared.run_id,
    });
    let (canaries, rest) = split_canaries(jobs, r.canary);
    let wave_size = r.wave_size.unwrap_or(r.max_parallel).max(1);
    let n_phases = usize::from(!canaries.is_empty()) + rest.len().div_ceil(wave_size);
    let phase = |name: String, index: usize, hosts: &[HostJob]| {
        shared.notify.emit(
            shared.run_id,
            crate::notify::EventData::PhaseStarted {
                phase: crate::notify::Phase {
                    name,
                    index,
                    of: n_phases,
                    hosts: hosts.iter().map(|j| j.host.name.clone()).collect(),
                },
            },
        )
    };
    let mut reports = Vec::with_capacity(total);
    if !canaries.is_empty() {
        shared.progress.note(&format!(
            "canaries: {} ({})",
            canaries.len(),
            canaries
                .iter()
                .map(|j| j.host.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        phase("canary".into(), 0, &canaries);
        let done = batch(canaries, &shared, &gate, true).await?;
        reports.extend(done);
    }
    let waves: Vec<Vec<HostJob>> = rest.chunks(wave_size).map(<[HostJob]>::to_vec).collect();
    let n_waves = waves.len();
    for (i, wave) in waves.into_iter().enumerate() {
        if let Some(why) = gate.halted() {
            reports.extend(
                wave.iter()
                    .map(|j| HostReport::not_started(j, &format!("the rollout halted: {why}"))),
            );
            continue;
        }
        if shared.cancel.is_cancelled() {
            reports.extend(
                wave.iter()
                    .map(|j| HostReport::not_started(j, "interrupted")),
            );
            continue;
        }
        shared
            .progress
            .note(&format!("wave {}/{n_waves}: {} host(s)", i + 1, wave.len()));
        phase(format!("wave-{}", i + 1), n_phases - n_waves + i, &wave);
        reports.extend(batch(wave, &shared, &gate, false).await?);
    }
    let failed_hosts = reports.iter().filter(|h| h.failed).count();
    let halted_reason = gate.halted();
    // Steps the window's end put off: the run did not complete, as if
    // cancelled at the end (exit 3 from `apply`), whatever the token says.
    let deferred = reports
        .iter()
        .any(|h| h.result == crate::vocab::StepOutcome::Deferred);
    let status = if halted_reason.is_some() {
        RunStatus::Halted
    } else if shared.cancel.is_cancelled() || (deferred && failed_hosts == 0) {
        RunStatus::Cancelled
    } else if failed_hosts > 0 {
        RunStatus::CompletedWithFailures
    } else {
        RunStatus::Completed
    };
    if let Some(why) = &halted_reason {
        shared.progress.note(&format!("rollout halted: {why}"));
    }
    let mut hosts_by_result = BTreeMap::new();
    let mut steps_by_outcome = BTreeMap::new();
    for h in &reports {
        *hosts_by_result
            .entry(h.result.as_str().to_string())
            .or_insert(0) += 1;
        for s in &h.steps {
            *steps_by_outcome
                .entry(s.outcome.as_str().to_string())
                .or_insert(0) += 1;
        }
    }
    Ok(RolloutReport {
        run_id: shared.run_id,
        status,
        halted_reason,
        hosts: reports,
        hosts_by_result,
        steps_by_outcome,
        failed_hosts,
        unreachable_at_scan: 0,
        failure_budget: allowed,
        duration_ms: t0.elapsed().as_millis() as u64,
    })
}

/// Run a batch to the end; new hosts stop starting once the rollout halts.
async fn batch(
    jobs: Vec<HostJob>,
    shared: &Arc<Shared>,
    gate: &Arc<Gate>,
    canary: bool,
) -> Result<Vec<HostReport>, StoreError> {
    let mut set = tokio::task::JoinSet::new();
    let n = jobs.len();
    for (i, job) in jobs.into_iter().enumerate() {
        let (shared, gate) = (shared.clone(), gate.clone());
        set.spawn(async move {
            let mut permits = Vec::new();
            for s in gate.label_semaphores(&job) {
                permits.push(s.acquire_owned().await.ok());
            }
            let _fleet = gate.fleet.clone().acquire_owned().await.ok();
            if let Some(why) = gate.halted() {
                return (
                    i,
                    Ok(HostReport::not_started(
                        &job,
                        &format!("the rollout halted: {why}"),
                    )),
                );
            }
            // Paused: the host waits here, holding its place in the wave.
            if !shared.steering.wait_open().await {
                return (i, Ok(HostReport::not_started(&job, "interrupted")));
            }
            let r = host::run(&job, &shared).await;
            if let Ok(rep) = &r {
                if rep.failed {
                    shared
                        .notify
                        .emit(shared.run_id, crate::notify::event::host_failed(rep));
                    let f = {
                        let mut f = gate.failed.lock().unwrap_or_else(|e| e.into_inner());
                        *f += 1;
                        *f
                    };
                    if canary {
                        gate.halt(format!("canary {} failed: {}", rep.name, rep.message));
                    } else if f > gate.allowed {
                        gate.halt(format!(
                            "{} host(s) failed, over the failure budget of {} host(s): no new host starts; hosts already running finish and are counted in the report (last: {})",
                            f, gate.allowed, rep.message
                        ));
                    }
                }
            }
            drop(permits);
            (i, r)
        });
    }
    let mut out: Vec<Option<HostReport>> = (0..n).map(|_| None).collect();
    let mut first_err = None;
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((i, Ok(r))) => out[i] = Some(r),
            Ok((_, Err(e))) => {
                // The store failed: nothing more may start without a journal.
                gate.halt(format!("the state store failed: {e}"));
                first_err.get_or_insert(e);
            }
            Err(e) => {
                gate.halt(format!("a host runner panicked: {e}"));
            }
        }
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    Ok(out.into_iter().flatten().collect())
}

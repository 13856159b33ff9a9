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
    /// The seed that chose the phases' cohorts (`[[rollout.phases]]` only):
    /// the config's, `apply --seed`, or drawn for this run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Each configured phase: its hosts, failures and gate (empty without
    /// `[[rollout.phases]]`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phases: Vec<PhaseReport>,
}

/// How a phase's gate ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GateOutcome {
    /// Within its gates; the next phase started (after the soak).
    Passed,
    /// A gate was exceeded, or the run halted in it: no later phase starts.
    Halted,
    /// Within its gates and approved by an operator.
    Approved,
    /// The rollout halted or was cancelled before the phase, or while its
    /// soak or approval waited.
    NotStarted,
    /// No host was left for it.
    Empty,
}

impl GateOutcome {
    pub const fn as_str(self) -> &'static str {
        match self {
            GateOutcome::Passed => "passed",
            GateOutcome::Halted => "halted",
            GateOutcome::Approved => "approved",
            GateOutcome::NotStarted => "not-started",
            GateOutcome::Empty => "empty",
        }
    }
}

/// One phase of a phased rollout, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseReport {
    pub name: String,
    /// The phase's cohort, in the order it started.
    pub hosts: Vec<String>,
    pub failed: usize,
    pub gate: GateOutcome,
    /// Who approved the gate (`approved` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
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

/// Run `jobs` (plan order) under the rollout settings in `shared`: the
/// configured phases when there are any, else canaries and waves.
pub async fn run(jobs: Vec<HostJob>, shared: Arc<Shared>) -> Result<RolloutReport, StoreError> {
    if !shared.rollout.phases.phases.is_empty() {
        return run_phases(jobs, shared).await;
    }
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
        let done = batch(canaries, &shared, &gate, Rule::Canary).await?;
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
        reports.extend(batch(wave, &shared, &gate, Rule::Budget).await?);
    }
    Ok(summary(reports, &shared, &gate, t0))
}

/// The report of a rollout whose hosts ended with `reports`.
fn summary(
    reports: Vec<HostReport>,
    shared: &Arc<Shared>,
    gate: &Arc<Gate>,
    t0: Instant,
) -> RolloutReport {
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
    RolloutReport {
        run_id: shared.run_id,
        status,
        halted_reason,
        hosts: reports,
        hosts_by_result,
        steps_by_outcome,
        failed_hosts,
        unreachable_at_scan: 0,
        failure_budget: gate.allowed,
        duration_ms: t0.elapsed().as_millis() as u64,
        seed: None,
        phases: Vec::new(),
    }
}

/// What a failed host of a batch halts the rollout on.
#[derive(Clone)]
enum Rule {
    /// Any failure (the canaries).
    Canary,
    /// More failures than the run's failure budget (the waves).
    Budget,
    /// The phase's gates.
    Phase(Arc<PhaseGate>),
}

/// The gates of the running phase.
struct PhaseGate {
    name: String,
    failed: Mutex<usize>,
    max_failures: Option<usize>,
    /// Failed hosts allowed in this and earlier phases (`max_failure_rate`
    /// of their hosts, or the failure budget's share).
    cumulative: usize,
    rate: f64,
}

impl PhaseGate {
    /// Why the phase's gates halt the rollout with `in_phase` failed hosts
    /// in it and `so_far` in the run, if they do.
    fn exceeded(&self, in_phase: usize, so_far: usize) -> Option<String> {
        if let Some(max) = self.max_failures.filter(|m| in_phase > *m) {
            return Some(format!(
                "phase {}: {in_phase} host(s) failed, over its max_failures of {max}",
                self.name
            ));
        }
        (so_far > self.cumulative).then(|| {
            format!(
                "phase {}: {so_far} host(s) failed so far, over its max_failure_rate of {} ({} host(s) of the phases so far)",
                self.name, self.rate, self.cumulative
            )
        })
    }
}

/// Run `jobs` in the configured phases: cohorts chosen by the run's seed,
/// each phase's gates checked as hosts fail and when it ends, then its
/// soak and its manual approval before the next phase.
async fn run_phases(jobs: Vec<HostJob>, shared: Arc<Shared>) -> Result<RolloutReport, StoreError> {
    use crate::updater::phases;
    let t0 = Instant::now();
    let r = &shared.rollout;
    let policy = &r.phases;
    let total = jobs.len();
    let gate = Arc::new(Gate {
        fleet: Arc::new(Semaphore::new(r.max_parallel)),
        labels: Mutex::new(HashMap::new()),
        caps: r.label_caps.clone(),
        halted: Mutex::new(None),
        failed: Mutex::new(0),
        allowed: budget_hosts(r.failure_budget, total),
        notify: shared.notify.clone(),
        run_id: shared.run_id,
    });
    let seed = policy.seed.unwrap_or_else(phases::draw_seed);
    // The report lists hosts in plan order, as for canaries and waves.
    let plan_order: HashMap<String, usize> = jobs
        .iter()
        .enumerate()
        .map(|(i, j)| (j.host.name.clone(), i))
        .collect();
    let cohorts = phases::cohorts(jobs, policy, seed);
    let n = cohorts.len();
    shared
        .store
        .add_event(
            shared.run_id,
            None,
            "phases",
            &phases::journal_line(seed, &cohorts),
        )
        .await?;
    let last_with_hosts = cohorts.iter().rposition(|c| !c.is_empty());
    let mut reports = Vec::with_capacity(total);
    let mut phase_reports = Vec::with_capacity(n);
    let mut hosts_so_far = 0usize;
    for (i, cohort) in cohorts.into_iter().enumerate() {
        let spec = cohort.spec.clone();
        let names = cohort.names();
        let mut pr = PhaseReport {
            name: spec.name.clone(),
            hosts: names.clone(),
            failed: 0,
            gate: GateOutcome::NotStarted,
            approved_by: None,
        };
        if cohort.is_empty() {
            pr.gate = GateOutcome::Empty;
            phase_reports.push(pr);
            continue;
        }
        let stop = match gate.halted() {
            Some(why) => Some(format!("the rollout halted: {why}")),
            None => shared
                .cancel
                .is_cancelled()
                .then(|| "interrupted".to_string()),
        };
        if let Some(why) = stop {
            reports.extend(
                cohort
                    .groups
                    .iter()
                    .flatten()
                    .map(|j| HostReport::not_started(j, &why)),
            );
            phase_reports.push(pr);
            continue;
        }
        hosts_so_far += cohort.len();
        let rate = spec
            .max_failure_rate
            .unwrap_or(if spec.max_failures.is_some() {
                1.0
            } else {
                r.failure_budget
            });
        let pg = Arc::new(PhaseGate {
            name: spec.name.clone(),
            failed: Mutex::new(0),
            max_failures: spec.max_failures,
            cumulative: budget_hosts(rate, hosts_so_far),
            rate,
        });
        let line = format!(
            "phase {} ({}/{n}): {} host(s): {}",
            spec.name,
            i + 1,
            names.len(),
            names.join(", ")
        );
        // The terminal gets the first names; the journal has them all.
        shared.progress.note(&if names.len() > 10 {
            format!(
                "phase {} ({}/{n}): {} host(s): {}, …",
                spec.name,
                i + 1,
                names.len(),
                names[..10].join(", ")
            )
        } else {
            line.clone()
        });
        shared
            .store
            .add_event(shared.run_id, None, "phase-started", &line)
            .await?;
        shared.notify.emit(
            shared.run_id,
            crate::notify::EventData::PhaseStarted {
                phase: crate::notify::Phase {
                    name: spec.name.clone(),
                    index: i,
                    of: n,
                    hosts: names.clone(),
                },
            },
        );
        let halted_before = gate.halted().is_some();
        for group in cohort.groups {
            // `order_by`: one label value's hosts all end before the next's start.
            if let Some(why) = gate.halted() {
                reports.extend(
                    group
                        .iter()
                        .map(|j| HostReport::not_started(j, &format!("the rollout halted: {why}"))),
                );
                continue;
            }
            if shared.cancel.is_cancelled() {
                reports.extend(
                    group
                        .iter()
                        .map(|j| HostReport::not_started(j, "interrupted")),
                );
                continue;
            }
            reports.extend(batch(group, &shared, &gate, Rule::Phase(pg.clone())).await?);
        }
        pr.failed = *pg.failed.lock().unwrap_or_else(|e| e.into_inner());
        let so_far = *gate.failed.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(why) = pg.exceeded(pr.failed, so_far) {
            gate.halt(why);
        }
        pr.gate = if !halted_before && gate.halted().is_some() {
            GateOutcome::Halted
        } else {
            GateOutcome::Passed
        };
        shared
            .store
            .add_event(
                shared.run_id,
                None,
                "phase-ended",
                &format!(
                    "phase {}: {} host(s), {} failed: gate {}",
                    spec.name,
                    names.len(),
                    pr.failed,
                    pr.gate.as_str()
                ),
            )
            .await?;
        let more = last_with_hosts.is_some_and(|l| l > i);
        if pr.gate == GateOutcome::Passed && more && !shared.cancel.is_cancelled() {
            if !spec.soak.is_zero() {
                let msg = format!(
                    "phase {}: soaking {}s before the next phase",
                    spec.name,
                    spec.soak.as_secs_f64()
                );
                shared.progress.note(&msg);
                shared
                    .store
                    .add_event(shared.run_id, None, "soak", &msg)
                    .await?;
                tokio::select! {
                    _ = tokio::time::sleep(spec.soak) => {}
                    _ = shared.cancel.cancelled() => {}
                }
            }
            if spec.approve && !shared.cancel.is_cancelled() {
                let id = shared.run_id;
                let message = format!(
                    "waiting for approval before the next phase: `fwfleet run approve {id}` or POST /api/v1/runs/{id}/approve"
                );
                shared
                    .progress
                    .note(&format!("phase {}: {message}", spec.name));
                shared.notify.emit(
                    id,
                    crate::notify::EventData::GateWaiting {
                        gate: "phase".into(),
                        requested_by: None,
                        reason: None,
                        message: format!("run {id}: phase {} ended, {message}", spec.name),
                    },
                );
                // Pause and resume still hold the next phase's hosts; a
                // cancel ends the wait.
                match super::approval::wait(&shared.store, id, &spec.name, &message, &shared.cancel)
                    .await?
                {
                    Some(by) => {
                        pr.gate = GateOutcome::Approved;
                        pr.approved_by = Some(by);
                    }
                    None => pr.gate = GateOutcome::NotStarted,
                }
            }
        }
        phase_reports.push(pr);
    }
    reports.sort_by_key(|h| plan_order.get(&h.name).copied().unwrap_or(usize::MAX));
    let mut report = summary(reports, &shared, &gate, t0);
    report.seed = Some(seed);
    report.phases = phase_reports;
    Ok(report)
}

/// Run a batch to the end; new hosts stop starting once the rollout halts.
async fn batch(
    jobs: Vec<HostJob>,
    shared: &Arc<Shared>,
    gate: &Arc<Gate>,
    rule: Rule,
) -> Result<Vec<HostReport>, StoreError> {
    let mut set = tokio::task::JoinSet::new();
    let n = jobs.len();
    for (i, job) in jobs.into_iter().enumerate() {
        let (shared, gate, rule) = (shared.clone(), gate.clone(), rule.clone());
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
                    match &rule {
                        Rule::Canary => {
                            gate.halt(format!("canary {} failed: {}", rep.name, rep.message));
                        }
                        Rule::Budget if f > gate.allowed => {
                            gate.halt(format!(
                                "{} host(s) failed, over the failure budget of {} host(s): no new host starts; hosts already running finish and are counted in the report (last: {})",
                                f, gate.allowed, rep.message
                            ));
                        }
                        Rule::Budget => {}
                        Rule::Phase(pg) => {
                            let in_phase = {
                                let mut n = pg.failed.lock().unwrap_or_else(|e| e.into_inner());
                                *n += 1;
                                *n
                            };
                            if let Some(why) = pg.exceeded(in_phase, f) {
                                gate.halt(format!(
                                    "{why}: no later phase and no new host starts (last: {})",
                                    rep.message
                                ));
                            }
                        }
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

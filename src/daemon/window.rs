//! Which of a window's jobs run now: the planned steps of the hosts whose
//! window opened, cut to those that fit before it closes
//! (`crate::schedule::split_steps`), and the last instant the rollout may
//! start a step (`crate::schedule::last_start`). No I/O.

use crate::inventory::model::Inventory;
use crate::schedule::{self, fmt_duration, ComponentKey, Estimates, PendingStep, Schedule};
use crate::updater::host::HostJob;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// The jobs cut to the window.
#[derive(Debug)]
pub struct Fitted {
    /// Each host with the steps that fit, in plan order; hosts with none left out.
    pub jobs: Vec<HostJob>,
    /// One line per step left for a later window, saying why and until when.
    pub deferred: Vec<String>,
    /// No step may start after this (see [`schedule::last_start`]).
    pub last_start: Option<DateTime<Utc>>,
}

/// Cut `jobs` to what fits at `now`.
pub fn fit(
    schedule: &Schedule,
    estimates: &Estimates,
    now: DateTime<Utc>,
    jobs: Vec<HostJob>,
    inventory: &Inventory,
) -> Fitted {
    let models: HashMap<&str, String> = inventory
        .hosts
        .iter()
        .map(|h| (h.name.as_str(), h.system.model.clone().unwrap_or_default()))
        .collect();
    let pending: Vec<PendingStep> = jobs
        .iter()
        .flat_map(|j| {
            let model = models
                .get(j.host.name.as_str())
                .cloned()
                .unwrap_or_default();
            j.steps.iter().map(move |s| PendingStep {
                host: j.host.name.clone(),
                labels: j.host.labels.clone(),
                component: ComponentKey::new(s.kind, &s.identity),
                model: model.clone(),
            })
        })
        .collect();
    let split = schedule::split_steps(schedule, estimates, now, &pending);
    // `split_steps` keeps each host's order and never admits a step after
    // one that waits, so what runs is a prefix of each host's steps.
    let mut admitted: HashMap<&str, usize> = HashMap::new();
    for r in &split.now {
        *admitted.entry(r.step.host.as_str()).or_default() += 1;
    }
    let deferred = split
        .later
        .iter()
        .map(|d| {
            let why = match &d.reason {
                schedule::WaitReason::NoWindowForHost => "no window applies to the host".to_string(),
                schedule::WaitReason::Closed => "the host's window is closed".to_string(),
                schedule::WaitReason::WouldOverrun { begin, window_end } => format!(
                    "it would not finish before the window closes (begins {}, estimate {}, window ends {})",
                    begin.to_rfc3339(),
                    d.estimate,
                    window_end.to_rfc3339()
                ),
                schedule::WaitReason::AfterWaitingStep => {
                    "an earlier step of the host waits".to_string()
                }
            };
            let next = d.next_start.map_or_else(
                || "no later window is long enough".to_string(),
                |t| format!("next window {}", t.to_rfc3339()),
            );
            format!("{} {} waits: {why}; {next}", d.step.host, d.step.component)
        })
        .collect();
    let last_start = schedule::last_start(&split.now);
    let jobs = jobs
        .into_iter()
        .filter_map(|mut j| {
            let n = admitted.get(j.host.name.as_str()).copied().unwrap_or(0);
            j.steps.truncate(n);
            (n > 0).then_some(j)
        })
        .collect();
    Fitted {
        jobs,
        deferred,
        last_start,
    }
}

/// `2025-01-07T03:00:00+00:00 (in 1h30m)`, for events.
pub fn when(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let left = (t - now).to_std().unwrap_or_default();
    format!("{} (in {})", t.to_rfc3339(), fmt_duration(left))
}

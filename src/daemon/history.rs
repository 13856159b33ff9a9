//! Step duration estimates from the journal, for fitting steps into a
//! window (`crate::schedule::Estimates`).
//!
//! A step's duration is the time from its first journal event to its last
//! (transfer, task, verification): what a window must hold. Only steps that
//! ended `updated` count; a failed step's time says nothing about the next
//! one, and a staged step's excludes the reset that activates it. The key is
//! (component kind and identity, server model); the journal has the host and
//! identity, and the host's latest scan supplies model and kind.

use crate::inventory::model::{HostInventory, Inventory};
use crate::schedule::{ComponentKey, EstimateSettings, Estimates};
use crate::store::{Store, StoreError};
use crate::vocab::{Kind, Role, StepOutcome};
use chrono::DateTime;
use std::collections::HashMap;
use std::time::Duration;

/// How many of the latest runs are read. Enough for a stable percentile per
/// model; old runs describe old firmware and old BMC behaviour anyway.
pub const RUNS_READ: usize = 100;

/// The model and the kinds of the active components of one host.
struct HostFacts {
    model: String,
    kinds: HashMap<String, Kind>,
}

impl HostFacts {
    fn of(h: &HostInventory) -> HostFacts {
        HostFacts {
            model: h.system.model.clone().unwrap_or_default(),
            kinds: h
                .components
                .iter()
                .filter(|c| c.role == Role::Active)
                .map(|c| (c.identity.clone(), c.kind))
                .collect(),
        }
    }
}

/// Estimates from the durations of the updated steps of the latest
/// [`RUNS_READ`] runs. `inventory` (the scan just made) answers for its
/// hosts; other hosts are looked up in their latest saved scan.
pub async fn estimates(
    store: &Store,
    settings: EstimateSettings,
    inventory: &Inventory,
) -> Result<Estimates, StoreError> {
    let mut est = Estimates::new(settings);
    let mut facts: HashMap<String, Option<HostFacts>> = inventory
        .hosts
        .iter()
        .filter(|h| h.ok)
        .map(|h| (h.name.clone(), Some(HostFacts::of(h))))
        .collect();
    for run in store.list_runs(RUNS_READ).await? {
        let steps = store.steps(run.id).await?;
        if !steps
            .iter()
            .any(|s| s.outcome == Some(StepOutcome::Updated))
        {
            continue;
        }
        // First and last event of each step.
        let mut span: HashMap<i64, (String, String)> = HashMap::new();
        for e in store.events(run.id).await? {
            let Some(step) = e.step_id else { continue };
            span.entry(step)
                .and_modify(|(first, last)| {
                    if e.at < *first {
                        *first = e.at.clone();
                    }
                    if e.at > *last {
                        *last = e.at.clone();
                    }
                })
                .or_insert_with(|| (e.at.clone(), e.at.clone()));
        }
        for s in steps
            .iter()
            .filter(|s| s.outcome == Some(StepOutcome::Updated))
        {
            let Some((first, last)) = span.get(&s.id) else {
                continue;
            };
            let (Ok(a), Ok(b)) = (
                DateTime::parse_from_rfc3339(first),
                DateTime::parse_from_rfc3339(last),
            ) else {
                continue;
            };
            let Ok(took) = (b - a).to_std() else { continue };
            if !facts.contains_key(&s.host) {
                let f = store
                    .latest_host(&s.host)
                    .await?
                    .filter(|h| h.ok)
                    .map(|h| HostFacts::of(&h));
                facts.insert(s.host.clone(), f);
            }
            let Some(Some(f)) = facts.get(&s.host) else {
                continue;
            };
            let Some(kind) = f.kinds.get(&s.component) else {
                continue;
            };
            est.record(
                &ComponentKey::new(*kind, &s.component),
                &f.model,
                took.max(Duration::from_millis(1)),
            );
        }
    }
    Ok(est)
}

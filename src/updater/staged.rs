//! What the journal knows is staged and the inventory does not show.
//!
//! Some BMCs write an image and keep it for the next host reset without
//! listing it anywhere: a Supermicro BIOS after its Update task is in the
//! flash but runs only after a reset, and the inventory still shows the old
//! version with nothing pending (docs/MOCK-BMC.md). Planned from the
//! inventory alone, the next run would send the same image again — a second
//! flash of a component already written. The journal remembers: a step that
//! ended `staged` whose host still runs the step's `from` version is staged,
//! whatever the BMC lists. It is added to the inventory as a staged
//! component, so the planner plans its activation (a reset, under a reset
//! policy that resets) or holds it, and never a second transfer.

use crate::inventory::model::{Component, Inventory};
use crate::store::{Store, StoreError};
use crate::vocab::{Role, StepOutcome};
use std::collections::HashMap;

/// How many of the latest runs are read: a staged image older than that
/// many runs is the operator's to notice (and `fwfleet status` shows it).
pub const RUNS_READ: usize = 100;

/// A staged image the journal recorded and the inventory does not list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalStaged {
    pub host: String,
    pub identity: String,
    pub version: String,
    pub run_id: i64,
    pub step_id: i64,
}

/// Add to `inventory` a staged component for every component whose latest
/// journaled step ended `staged` while the host still runs that step's
/// `from` version and lists nothing staged for it. Returns what was added.
pub async fn add_from_journal(
    store: &Store,
    inventory: &mut Inventory,
) -> Result<Vec<JournalStaged>, StoreError> {
    // The latest step per (host, component identity), over the latest runs.
    let mut latest: HashMap<(String, String), crate::store::Step> = HashMap::new();
    for run in store.list_runs(RUNS_READ).await? {
        for s in store.steps(run.id).await? {
            let key = (s.host.clone(), s.component.clone());
            match latest.get(&key) {
                Some(have) if have.id >= s.id => {}
                _ => {
                    latest.insert(key, s);
                }
            }
        }
    }
    let mut added = Vec::new();
    for h in inventory.hosts.iter_mut().filter(|h| h.ok) {
        let mut extra: Vec<Component> = Vec::new();
        for c in h.components.iter().filter(|c| c.role == Role::Active) {
            let Some(s) = latest.get(&(h.name.clone(), c.identity.clone())) else {
                continue;
            };
            let still_old = s.from_version.is_some()
                && c.version == s.from_version
                && c.version.as_deref() != Some(s.to_version.as_str());
            let listed = h
                .components
                .iter()
                .any(|o| o.role == Role::Staged && o.kind == c.kind && o.identity == c.identity);
            if s.outcome != Some(StepOutcome::Staged) || !still_old || listed {
                continue;
            }
            let mut staged = c.clone();
            staged.id = format!("{}#staged-by-step-{}", c.id, s.id);
            staged.role = Role::Staged;
            staged.version = Some(s.to_version.clone());
            extra.push(staged);
            added.push(JournalStaged {
                host: h.name.clone(),
                identity: c.identity.clone(),
                version: s.to_version.clone(),
                run_id: s.run_id,
                step_id: s.id,
            });
        }
        h.components.extend(extra);
    }
    Ok(added)
}

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
//!
//! A step that ended `needs-attention` after `reset-sent` (fwfleet stopped
//! between deciding the reset and knowing it happened, and the restart
//! found no sign of it) left an image staged and a reset that may or may
//! not have been sent. Neither a transfer nor a reset may follow on its own:
//! while the host still runs the step's `from` version, the component is
//! blocked in the plan ([`block_unsettled`]) until the operator resets the
//! host by hand and its version changes.

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

/// What the journal says of images the inventory cannot be trusted on.
#[derive(Debug, Default)]
pub struct FromJournal {
    /// Staged by a step, listed nowhere: added to the inventory as staged.
    pub staged: Vec<JournalStaged>,
    /// Staged, then stopped between `reset-sent` and the reset: blocked.
    pub unsettled: Vec<JournalStaged>,
}

/// Add to `inventory` a staged component for every component whose latest
/// journaled step ended `staged` while the host still runs that step's
/// `from` version and lists nothing staged for it; and find the components
/// whose latest step ended `needs-attention` after `reset-sent` while the
/// host still runs its `from` version (for [`block_unsettled`]).
pub async fn add_from_journal(
    store: &Store,
    inventory: &mut Inventory,
) -> Result<FromJournal, StoreError> {
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
    let mut unsettled = Vec::new();
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
            if s.outcome == Some(StepOutcome::NeedsAttention) && still_old {
                let events = store.events(s.run_id).await?;
                if events
                    .iter()
                    .any(|e| e.step_id == Some(s.id) && e.kind == "reset-sent")
                {
                    unsettled.push(JournalStaged {
                        host: h.name.clone(),
                        identity: c.identity.clone(),
                        version: s.to_version.clone(),
                        run_id: s.run_id,
                        step_id: s.id,
                    });
                }
                continue;
            }
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
    Ok(FromJournal {
        staged: added,
        unsettled,
    })
}

/// Block in `plan` every change to a component [`add_from_journal`] found
/// unsettled: no transfer (the image may be staged) and no reset (one may
/// have been sent) until its version changes.
pub fn block_unsettled(plan: &mut crate::planner::Plan, unsettled: &[JournalStaged]) {
    if unsettled.is_empty() {
        return;
    }
    for host in &mut plan.hosts {
        for step in &mut host.steps {
            let Some(u) = unsettled
                .iter()
                .find(|u| u.host == host.name && u.identity == step.identity)
            else {
                continue;
            };
            if !step.action.is_change() && step.action != crate::planner::Action::StagedPending {
                continue;
            }
            step.reason = format!(
                "step {} of run {} staged {} and fwfleet stopped between deciding the reset that activates it and knowing it was sent; \
                 fwfleet sends neither the image nor a reset again: check the host and reset it by hand (the staged image then activates), \
                 it stays blocked while the host runs this version; was: {} ({})",
                u.step_id, u.run_id, u.version, step.action, step.reason
            );
            step.action = crate::planner::Action::Blocked;
            step.exec = None;
        }
    }
    plan.summary = crate::planner::Summary::of(&plan.hosts);
}

//! From a plan to the work a rollout does: each host with `upgrade` or
//! `downgrade` steps, in the plan's order, with the repository file, hash and
//! size of every image. Pure apart from reading nothing: the repository is
//! already open and verified by the caller.

use crate::config::Config;
use crate::inventory::model::{Inventory, Role};
use crate::planner::{Action, ImageRef, ImageSource, Plan};
use crate::repository::Entry;
use crate::repository::Repository;
use crate::updater::host::{HostJob, PlannedStep};

/// Why a plan cannot be turned into jobs: it names an image the repository
/// no longer has (the plan is stale) or a host the config no longer has.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct JobsError(pub String);

/// Hosts with something to flash, plan order; `only` filters host names.
///
/// With `activate_staged` (a reset policy other than `never`), an image that
/// is already staged and is the repository's own version for that component
/// becomes an activation-only step: no transfer, just the coordinated reset
/// and verification. That finishes what a stopped run or a run under `never`
/// began, without writing the image a second time. A staged image the
/// repository does not know stays the operator's business (`staged-pending`).
pub fn from_plan(
    plan: &Plan,
    inventory: &Inventory,
    repo: &Repository,
    cfg: &Config,
    only: Option<&globset::GlobMatcher>,
    activate_staged: bool,
) -> Result<Vec<HostJob>, JobsError> {
    let mut jobs = Vec::new();
    for hp in &plan.hosts {
        if only.is_some_and(|g| !g.is_match(&hp.name)) {
            continue;
        }
        let inv = inventory.hosts.iter().find(|h| h.name == hp.name);
        let mut activations = Vec::new();
        if activate_staged {
            for s in hp
                .steps
                .iter()
                .filter(|s| s.action == Action::StagedPending)
            {
                if let Some(step) = activation(s, inv, repo) {
                    activations.push(step);
                }
            }
        }
        let changes: Vec<_> = hp.steps.iter().filter(|s| s.action.is_change()).collect();
        if changes.is_empty() && activations.is_empty() {
            continue;
        }
        let host = cfg
            .hosts
            .iter()
            .find(|h| h.name == hp.name)
            .ok_or_else(|| {
                JobsError(format!(
                    "the plan names host {} which is not in {}",
                    hp.name,
                    cfg.path.display()
                ))
            })?;
        let mut steps = Vec::new();
        for s in changes {
            let (Some(file), Some(to)) = (&s.image, &s.to) else {
                return Err(JobsError(format!(
                    "{} {}: the plan has no image for an {} step",
                    hp.name, s.identity, s.action
                )));
            };
            let entry = repo
                .list()
                .iter()
                .find(|e| &e.file == file)
                .ok_or_else(|| {
                    JobsError(format!(
                        "{} {}: image {file} is not in the repository any more; plan again",
                        hp.name, s.identity
                    ))
                })?;
            let target = inventory
                .hosts
                .iter()
                .find(|h| h.name == hp.name)
                .and_then(|h| {
                    h.components
                        .iter()
                        .find(|c| c.identity == s.identity && c.role == Role::Active)
                })
                .map(|c| c.uri.clone());
            steps.push(PlannedStep {
                target,
                component: s.component.clone(),
                identity: s.identity.clone(),
                kind: s.kind,
                from: s.from.clone(),
                to: to.clone(),
                image: repo.path_of(entry),
                image_name: entry.file.clone(),
                sha256: entry.sha256.clone(),
                size: entry.size,
                method: entry.method,
                apply_time: s.apply_time.clone(),
                force: s.action == Action::Downgrade,
                activate_only: false,
            });
        }
        steps.extend(activations);
        jobs.push(HostJob {
            host: host.clone(),
            steps,
        });
    }
    Ok(jobs)
}

/// The activation-only step for a staged image, when the repository has that
/// very version for the component.
fn activation(
    s: &crate::planner::Step,
    host: Option<&crate::inventory::model::HostInventory>,
    repo: &Repository,
) -> Option<PlannedStep> {
    let host = host?;
    let staged = s.to.as_ref()?;
    let active = host
        .components
        .iter()
        .find(|c| c.identity == s.identity && c.role == Role::Active)?;
    let entry = repo
        .candidates(
            active,
            host.system.manufacturer.as_deref(),
            host.system.model.as_deref(),
        )
        .into_iter()
        .find(|e| &e.version == staged)?;
    Some(PlannedStep {
        target: Some(active.uri.clone()),
        component: s.component.clone(),
        identity: s.identity.clone(),
        kind: s.kind,
        from: active.version.clone(),
        to: staged.clone(),
        image: repo.path_of(entry),
        image_name: entry.file.clone(),
        sha256: entry.sha256.clone(),
        size: entry.size,
        method: entry.method,
        apply_time: s.apply_time.clone(),
        force: false,
        activate_only: true,
    })
}

/// The repository as the planner sees it.
#[derive(Debug)]
pub struct RepoSource<'a>(pub &'a Repository);

fn image_ref(e: &Entry) -> ImageRef {
    ImageRef {
        file: e.file.clone(),
        kind: e.kind,
        software_id: e.software_id.clone(),
        version: e.version.clone(),
        version_scheme: e.version_scheme,
        min_from_version: e.min_from_version.clone(),
        prerequisites: e
            .prerequisites
            .iter()
            .map(|p| (p.kind, p.min_version.clone()))
            .collect(),
        allow_downgrade: e.allow_downgrade,
        method: e.method.map(|m| m.as_str().to_string()),
        apply_time: e.apply_time.map(|a| a.as_str().to_string()),
    }
}

impl ImageSource for RepoSource<'_> {
    fn candidates(
        &self,
        component: &crate::inventory::model::Component,
        manufacturer: Option<&str>,
        model: Option<&str>,
    ) -> Vec<ImageRef> {
        self.0
            .candidates(component, manufacturer, model)
            .into_iter()
            .map(image_ref)
            .collect()
    }
}

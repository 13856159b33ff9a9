//! From a plan to the work a rollout does: each host with `upgrade` or
//! `downgrade` steps (and activations of staged images), in the plan's
//! order, with the repository file, hash and size of every image as the
//! plan carries them; and the repository as the planner's [`ImageSource`].
//! Pure: the repository is already open and verified by the caller.

use crate::config::Config;
use crate::inventory::model::SystemInfo;
use crate::planner::{Action, Execution, ImageFacts, ImageRef, ImageSource, Plan, Provenance};
use crate::repository::Entry;
use crate::repository::Repository;
use crate::updater::host::{HostJob, PlannedStep};

/// Why a plan cannot be turned into jobs: it names an image the repository
/// no longer has (the plan is stale) or a host the config no longer has.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct JobsError(pub String);

/// Hosts with something to flash, plan order (the plan holds only the
/// chosen hosts: the scan read no other).
///
/// Every step comes from the plan row's [`Execution`], which the planner
/// filled in from the repository's answer: nothing is looked up again. With
/// `activate_staged` (a reset policy other than `never`), a `staged-pending`
/// row the planner found activatable (the staged image is the repository's
/// own version for that component) becomes an activation-only step: no
/// transfer, just the coordinated reset and verification. That finishes what
/// a stopped run or a run under `never` began, without writing the image a
/// second time.
pub fn from_plan(
    plan: &Plan,
    cfg: &Config,
    activate_staged: bool,
) -> Result<Vec<HostJob>, JobsError> {
    let mut jobs = Vec::new();
    for hp in &plan.hosts {
        let mut steps = Vec::new();
        let mut activations = Vec::new();
        for s in &hp.steps {
            if s.action.is_change() {
                let (Some(exec), Some(to)) = (&s.exec, &s.to) else {
                    return Err(JobsError(format!(
                        "{} {}: the plan has no image for an {} step",
                        hp.name, s.identity, s.action
                    )));
                };
                steps.push(planned(s, exec, to));
            } else if activate_staged && s.action == Action::StagedPending {
                if let (Some(exec), Some(to)) = (&s.exec, &s.to) {
                    activations.push(planned(s, exec, to));
                }
            }
        }
        if steps.is_empty() && activations.is_empty() {
            continue;
        }
        // The host's config by its name, the key every host has in both.
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
        steps.extend(activations);
        jobs.push(HostJob {
            host: host.clone(),
            steps,
        });
    }
    Ok(jobs)
}

fn planned(s: &crate::planner::Step, exec: &Execution, to: &str) -> PlannedStep {
    PlannedStep {
        target: Some(exec.target.clone()),
        component: s.component.clone(),
        identity: s.identity.clone(),
        kind: s.kind,
        from: s.from.clone(),
        to: to.to_string(),
        image: exec.image.path.clone(),
        image_name: exec.entry.clone(),
        sha256: exec.image.sha256.clone(),
        size: exec.image.size,
        method: exec.method,
        apply_time: s.apply_time.clone(),
        force: s.action == Action::Downgrade,
        activate_only: exec.activate_only,
        // A row that only activates a staged image has no class of its own:
        // its reset is the kind's.
        disruption: s
            .disruption
            .unwrap_or_else(|| crate::planner::disruption::kind_default(s.kind)),
    }
}

/// The repository as the planner sees it.
#[derive(Debug)]
pub struct RepoSource<'a>(pub &'a Repository);

impl RepoSource<'_> {
    fn image_ref(&self, e: &Entry) -> ImageRef {
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
            method: e.method,
            apply_time: e.apply_time.map(|a| a.as_str().to_string()),
            facts: Some(ImageFacts {
                path: self.0.path_of(e),
                sha256: e.sha256.clone(),
                size: e.size,
            }),
            needs_vendor_tool: e.needs_vendor_tool.clone(),
            provenance: Provenance {
                criticality: e.criticality,
                reboot_required: e.reboot_required,
                disruption: e.disruption,
                release_date: e.release_date.clone(),
                source: e.source.clone(),
            },
        }
    }
}

impl ImageSource for RepoSource<'_> {
    fn candidates(
        &self,
        component: &crate::inventory::model::Component,
        manufacturer: Option<&str>,
        model: Option<&str>,
    ) -> Vec<ImageRef> {
        let system = SystemInfo {
            manufacturer: manufacturer.map(str::to_owned),
            model: model.map(str::to_owned),
            ..SystemInfo::default()
        };
        self.candidates_on(component, &system)
    }

    /// The images the BMC can apply and, marked, those only the vendor's
    /// tool can: the planner compares both and flashes only the first.
    fn candidates_on(
        &self,
        component: &crate::inventory::model::Component,
        system: &SystemInfo,
    ) -> Vec<ImageRef> {
        self.0
            .candidates_on(component, system)
            .into_iter()
            .chain(self.0.vendor_tool_candidates_on(component, system))
            .map(|e| self.image_ref(e))
            .collect()
    }
}

/// The repository as a one-off trial sees it (`apply --hosts H --image
/// ENTRY`): only the entry `file`, so the planner decides about it with
/// every rule it has (applicability, no downgrade, upgrade paths,
/// prerequisites, holds) and every other component has no image.
#[derive(Debug)]
pub struct OnlyEntry<'a> {
    pub repo: RepoSource<'a>,
    pub file: &'a str,
}

impl ImageSource for OnlyEntry<'_> {
    fn candidates(
        &self,
        component: &crate::inventory::model::Component,
        manufacturer: Option<&str>,
        model: Option<&str>,
    ) -> Vec<ImageRef> {
        let mut c = self.repo.candidates(component, manufacturer, model);
        c.retain(|i| i.file == self.file);
        c
    }

    fn candidates_on(
        &self,
        component: &crate::inventory::model::Component,
        system: &SystemInfo,
    ) -> Vec<ImageRef> {
        let mut c = self.repo.candidates_on(component, system);
        c.retain(|i| i.file == self.file);
        c
    }
}

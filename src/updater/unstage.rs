//! `fwfleet unstage`: remove what fwfleet staged on a host and has not yet
//! activated, so that no reset — fwfleet's or anyone's — activates it.
//!
//! Per dialect (`redfish::unstage`):
//! - Dell iDRAC: fwfleet's own update jobs `Scheduled` for the next host
//!   reset (known from the journal's task URIs, as `job_queue` knows them)
//!   are deleted with `DellJobService.DeleteJobQueue`. Jobs another tool
//!   created are left alone and named.
//! - Standard Redfish: each image the inventory lists as staged is sent
//!   `#SoftwareInventory.Cancel` where its entry offers it
//!   (SoftwareInventory v1_14); where it does not, the standard has nothing
//!   else, and the host is refused with a message.
//! - Supermicro: refused. It stays in update mode from an upload until
//!   `StartUpdate` and fwfleet never stages ahead on it.
//!
//! Each removal is journaled like a step (a run of its own, a step per
//! component ending `cancelled` with what was done), so the journal no
//! longer reads the component as staged (`updater::staged`) and the next
//! run transfers it again.

use crate::config::HostConfig;
use crate::redfish::client::BmcClient;
use crate::redfish::task::{self, JobHold};
use crate::redfish::unstage as rf;
use crate::redfish::update_service::{self, NotReady};
use crate::store::{NewStep, StepJournal, Store, StoreError};
use crate::vocab::{Kind, Role, RunStatus, StepOutcome, StepState};
use serde::Serialize;

/// How one host's unstage ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnstageResult {
    /// Everything staged (of the chosen kinds) was removed.
    Unstaged,
    /// Nothing of fwfleet's was staged.
    NothingStaged,
    /// The BMC's dialect has no way to remove it (Supermicro, no
    /// `SoftwareInventory.Cancel`): nothing was changed.
    Refused,
    /// A removal failed, or the BMC could not be reached.
    Failed,
}

/// One component's removal.
#[derive(Debug, Clone, Serialize)]
pub struct Removed {
    pub component: String,
    pub version: String,
    /// What was done (`deleted job JID_…`, `SoftwareInventory.Cancel`).
    pub how: String,
    pub ok: bool,
    pub step_id: i64,
}

/// One host's unstage.
#[derive(Debug, Clone, Serialize)]
pub struct HostUnstage {
    pub host: String,
    pub result: UnstageResult,
    pub message: String,
    pub removed: Vec<Removed>,
}

/// The whole command's result.
#[derive(Debug, Clone, Serialize)]
pub struct UnstageReport {
    pub run_id: i64,
    pub hosts: Vec<HostUnstage>,
}

impl UnstageReport {
    pub fn failed(&self) -> bool {
        self.hosts
            .iter()
            .any(|h| matches!(h.result, UnstageResult::Failed | UnstageResult::Refused))
    }
}

/// Unstage on each of `hosts` (components of `kinds`, every kind when
/// empty), one host after another, journaled in a run of its own.
pub async fn unstage(
    store: &Store,
    hosts: &[HostConfig],
    kinds: &[Kind],
) -> Result<UnstageReport, StoreError> {
    let run_id = store
        .create_run(&serde_json::json!({
            "command": "unstage",
            "hosts": hosts.iter().map(|h| h.name.as_str()).collect::<Vec<_>>(),
            "kinds": kinds,
        }))
        .await?;
    let mut out = Vec::new();
    for h in hosts {
        let r = one(store, run_id, h, kinds).await?;
        store.add_event(run_id, None, "unstage", &r.message).await?;
        out.push(r);
    }
    let report = UnstageReport { run_id, hosts: out };
    store
        .finish_run(
            run_id,
            if report.failed() {
                RunStatus::CompletedWithFailures
            } else {
                RunStatus::Completed
            },
        )
        .await?;
    Ok(report)
}

fn host_result(host: &str, result: UnstageResult, message: String) -> HostUnstage {
    HostUnstage {
        host: host.to_string(),
        result,
        message,
        removed: Vec::new(),
    }
}

async fn one(
    store: &Store,
    run_id: i64,
    h: &HostConfig,
    kinds: &[Kind],
) -> Result<HostUnstage, StoreError> {
    let name = h.name.as_str();
    let client = match BmcClient::new(h) {
        Ok(c) => c,
        Err(e) => return Ok(host_result(name, UnstageResult::Failed, e.to_string())),
    };
    let caps = match update_service::login_and_discover(&client)
        .await
        .map_err(|e| *e)
    {
        Ok(c) => c,
        Err(NotReady::Login(e) | NotReady::Discover(e)) => {
            return Ok(host_result(
                name,
                UnstageResult::Failed,
                format!("{name}: cannot reach the BMC: {e}; nothing was changed"),
            ))
        }
    };
    let r = if caps.platform.requires_start_update() {
        Ok(host_result(
            name,
            UnstageResult::Refused,
            format!("{name}: refused: a Supermicro BMC stays in update mode from an upload until StartUpdate, so fwfleet never stages on it and has nothing to unstage; nothing was changed\n  hint: a verified upload waiting for StartUpdate is dropped by a BMC reset"),
        ))
    } else {
        match crate::inventory::scan::read_now(&client).await {
            Err(e) => Ok(host_result(
                name,
                UnstageResult::Failed,
                format!("{name}: cannot read the inventory: {e}; nothing was changed"),
            )),
            Ok(inv) => {
                let wanted = |k: Kind| kinds.is_empty() || kinds.contains(&k);
                match (caps.jobs.as_deref(), caps.manager.as_deref()) {
                    (Some(jobs), Some(manager)) => {
                        dell(store, run_id, &client, name, jobs, manager, &inv, &wanted).await
                    }
                    _ => standard(store, run_id, &client, name, &inv, &wanted).await,
                }
            }
        }
    };
    client.logout().await;
    r
}

/// A journaled step for one removal: `planned`, then `cancelled` (done)
/// or `failed`.
async fn journal(
    store: &Store,
    run_id: i64,
    host: &str,
    component: &str,
    from: Option<&str>,
    to: &str,
) -> Result<StepJournal, StoreError> {
    StepJournal::begin(
        store,
        run_id,
        NewStep {
            host,
            component,
            from_version: from,
            to_version: to,
            state: StepState::Planned,
        },
    )
    .await
}

fn summary(host: &str, removed: Vec<Removed>, what: &str) -> HostUnstage {
    let failed = removed.iter().filter(|r| !r.ok).count();
    let (result, message) = if removed.is_empty() {
        (
            UnstageResult::NothingStaged,
            format!("{host}: nothing of fwfleet's is staged ({what}); nothing was changed"),
        )
    } else if failed > 0 {
        (
            UnstageResult::Failed,
            format!(
                "{host}: {failed} of {} staged update(s) could not be removed; see the steps",
                removed.len()
            ),
        )
    } else {
        (
            UnstageResult::Unstaged,
            format!(
                "{host}: removed {}",
                removed
                    .iter()
                    .map(|r| format!("{} {} ({})", r.component, r.version, r.how))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    };
    HostUnstage {
        host: host.to_string(),
        result,
        message,
        removed,
    }
}

#[allow(clippy::too_many_arguments)]
async fn dell(
    store: &Store,
    run_id: i64,
    client: &BmcClient,
    host: &str,
    jobs: &str,
    manager: &str,
    inv: &crate::inventory::model::HostInventory,
    wanted: &dyn Fn(Kind) -> bool,
) -> Result<HostUnstage, StoreError> {
    let open = match task::open_jobs(client, jobs).await {
        Ok(o) => o,
        Err(e) => {
            return Ok(host_result(
                host,
                UnstageResult::Failed,
                format!("{host}: cannot read the job queue: {e}; nothing was changed"),
            ))
        }
    };
    let own = crate::updater::job_queue::own_jobs(store, host).await?;
    let mut removed = Vec::new();
    let mut foreign = Vec::new();
    for j in open.iter().filter(|j| j.hold == JobHold::Scheduled) {
        let Some(o) = own.iter().find(|o| o.jid == j.id) else {
            foreign.push(j.id.clone());
            continue;
        };
        let active = inv
            .components
            .iter()
            .find(|c| c.identity == o.identity && c.role == Role::Active);
        if !active.is_none_or(|c| wanted(c.kind)) {
            continue;
        }
        let from = active.and_then(|c| c.version.as_deref());
        let step = journal(store, run_id, host, &o.identity, from, &o.to_version).await?;
        let r = rf::dell_delete_job(client, manager, &j.id).await;
        let how = format!("deleted job {} with DellJobService.DeleteJobQueue", j.id);
        let (outcome, text, ok) = match r {
            Ok(()) => (
                StepOutcome::Cancelled,
                format!("{host} {}: unstaged: {how}; {} no longer activates on the next host reset", o.identity, o.to_version),
                true,
            ),
            Err(e) => (
                StepOutcome::Failed,
                format!("{host} {}: could not delete job {}: {e}; it still activates on the next host reset\n  hint: delete it in the iDRAC's job queue", o.identity, j.id),
                false,
            ),
        };
        step.event("unstage", &text).await?;
        step.finish(outcome, &text).await?;
        removed.push(Removed {
            component: o.identity.clone(),
            version: o.to_version.clone(),
            how,
            ok,
            step_id: step.step_id(),
        });
    }
    let mut out = summary(
        host,
        removed,
        "no scheduled job of fwfleet's in the job queue",
    );
    if !foreign.is_empty() {
        out.message.push_str(&format!(
            "; left alone: job(s) {} not created by fwfleet",
            foreign.join(", ")
        ));
    }
    Ok(out)
}

async fn standard(
    store: &Store,
    run_id: i64,
    client: &BmcClient,
    host: &str,
    inv: &crate::inventory::model::HostInventory,
    wanted: &dyn Fn(Kind) -> bool,
) -> Result<HostUnstage, StoreError> {
    let staged: Vec<_> = inv
        .components
        .iter()
        .filter(|c| c.role == Role::Staged && wanted(c.kind))
        .collect();
    // Every staged entry is looked at before anything changes: a host
    // where one cannot be cancelled is refused whole.
    let mut targets = Vec::new();
    for c in &staged {
        match rf::cancel_target(client, &c.uri).await {
            Ok(Some(t)) => targets.push((*c, t)),
            Ok(None) => {
                return Ok(host_result(
                    host,
                    UnstageResult::Refused,
                    format!(
                        "{host} {}: refused: the staged image {} offers no #SoftwareInventory.Cancel (SoftwareInventory v1_14), and standard Redfish has no other way to drop a pending OnReset image; nothing was changed: it activates on the next reset\n  hint: ask the vendor how to remove it, or let the next window activate it",
                        c.identity,
                        c.version.as_deref().unwrap_or("?")
                    ),
                ))
            }
            Err(e) => {
                return Ok(host_result(
                    host,
                    UnstageResult::Failed,
                    format!("{host} {}: cannot read {}: {e}; nothing was changed", c.identity, c.uri),
                ))
            }
        }
    }
    let mut removed = Vec::new();
    for (c, target) in targets {
        let version = c.version.clone().unwrap_or_default();
        let from = inv
            .components
            .iter()
            .find(|a| a.identity == c.identity && a.role == Role::Active)
            .and_then(|a| a.version.as_deref());
        let step = journal(store, run_id, host, &c.identity, from, &version).await?;
        let how = "SoftwareInventory.Cancel".to_string();
        let (outcome, text, ok) = match rf::cancel(client, &target).await {
            Ok(()) => (
                StepOutcome::Cancelled,
                format!(
                    "{host} {}: unstaged: {how} sent; {version} no longer activates on a reset",
                    c.identity
                ),
                true,
            ),
            Err(e) => (
                StepOutcome::Failed,
                format!(
                    "{host} {}: {how} failed: {e}; {version} still activates on the next reset",
                    c.identity
                ),
                false,
            ),
        };
        step.event("unstage", &text).await?;
        step.finish(outcome, &text).await?;
        removed.push(Removed {
            component: c.identity.clone(),
            version,
            how,
            ok,
            step_id: step.step_id(),
        });
    }
    Ok(summary(
        host,
        removed,
        "the inventory lists no staged image",
    ))
}

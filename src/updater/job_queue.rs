//! The BMC's job queue before a step is sent (Dell iDRAC, `JobService.Jobs`).
//!
//! An iDRAC keeps an update in its job queue, not in its inventory: a host
//! firmware update sent `OnReset` is a job `Scheduled` until the next host
//! reset, and its image is listed only as an `Available-` package (which the
//! normaliser does not count as staged: it stays listed after the install).
//! So the queue is where a held update is seen, and where updates other
//! tools left (OpenManage, racadm, the iDRAC web UI, a script) wait for the
//! same reset fwfleet would send. Sending on top of one queues a second
//! update of the component: whichever the reset runs last wins, and the
//! other is flashed for nothing.
//!
//! Which jobs are fwfleet's is known from the journal: a Dell update task
//! shares its id (`JID_…`) with its job, and every step journals its task
//! URI. The queue is read only when the BMC has one; reading the journal
//! only when the queue holds an open job.

use crate::redfish::client::BmcClient;
use crate::redfish::task::{self, JobHold, OpenJob};
use crate::redfish::update_service::UpdateCaps;
use crate::store::{Store, StoreError};
use crate::updater::host::PlannedStep;

/// What the queue says about one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueCheck {
    /// Nothing in the queue concerns this step: send it.
    Clear,
    /// fwfleet's own update of this component to this very version is held
    /// for a reset: it is staged; nothing is sent again, the coordinated
    /// reset activates it.
    Staged { jid: String },
    /// A job may update this component: nothing is sent. The text names
    /// host, component and job, and says what to do.
    Blocked(String),
}

/// A job fwfleet's journal knows it started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnJob {
    pub jid: String,
    /// The component identity of the step that started it.
    pub identity: String,
    pub to_version: String,
}

/// Read the queue (and, when it holds an open job, the journal) and judge
/// the step. A queue that cannot be read says nothing: the step goes on and
/// finds out from the BMC itself, as the busy check does.
pub async fn preflight(
    client: &BmcClient,
    caps: &UpdateCaps,
    store: &Store,
    host: &str,
    s: &PlannedStep,
) -> Result<QueueCheck, StoreError> {
    let Some(jobs) = caps.jobs.as_deref() else {
        return Ok(QueueCheck::Clear);
    };
    let open = match task::open_jobs(client, jobs).await {
        Ok(open) if !open.is_empty() => open,
        _ => return Ok(QueueCheck::Clear),
    };
    let own = own_jobs(store, host).await?;
    Ok(check(host, s, &open, &own))
}

/// The jobs fwfleet started on `host`, from the journal's task URIs over
/// the latest runs (as many as `updater::staged` reads).
pub async fn own_jobs(store: &Store, host: &str) -> Result<Vec<OwnJob>, StoreError> {
    let mut out = Vec::new();
    for run in store.list_runs(crate::updater::staged::RUNS_READ).await? {
        for st in store.steps(run.id).await? {
            if st.host != host {
                continue;
            }
            if let Some(jid) = st.task_uri.as_deref().and_then(task::task_id) {
                out.push(OwnJob {
                    jid: jid.to_string(),
                    identity: st.component.clone(),
                    to_version: st.to_version.clone(),
                });
            }
        }
    }
    Ok(out)
}

/// Judge the step against the open jobs. A foreign job concerns the
/// component unless its name names another one (`Firmware Update: BIOS`
/// for a NIC step); a name that names nothing (iDRAC's plain
/// `Firmware Update`) may be any component, so it blocks.
pub fn check(host: &str, s: &PlannedStep, open: &[OpenJob], own: &[OwnJob]) -> QueueCheck {
    let who = format!("{host} {}", s.identity);
    let mut staged = None;
    for j in open {
        let state = match j.hold {
            JobHold::Running => "running",
            JobHold::Scheduled => "scheduled for the next host reset",
        };
        match own.iter().find(|o| o.jid == j.id) {
            Some(o) if o.identity != s.identity => {}
            Some(o) if o.to_version == s.to && j.hold == JobHold::Scheduled => {
                staged = Some(j.id.clone());
            }
            Some(o) => {
                return QueueCheck::Blocked(format!(
                    "{who}: job {} ({}, {state}) in the BMC's job queue is an earlier fwfleet update to {}; nothing was sent: let it finish (a host reset runs a scheduled job) or delete it from the job queue ({}), then run again",
                    j.id, j.name, o.to_version, j.uri
                ));
            }
            None if names_another_component(&j.name, s) => {}
            None => {
                return QueueCheck::Blocked(format!(
                    "{who}: job {} ({}, {state}) in the BMC's job queue was not created by fwfleet and may update this component; nothing was sent: let it finish (a host reset runs a scheduled job) or delete it from the job queue ({}), then run again",
                    j.id, j.name, j.uri
                ));
            }
        }
    }
    match staged {
        Some(jid) => QueueCheck::Staged { jid },
        None => QueueCheck::Clear,
    }
}

/// `Firmware Update: <what>` naming something that is not this component
/// (its Redfish Id, FQDD or kind).
fn names_another_component(name: &str, s: &PlannedStep) -> bool {
    let Some((_, what)) = name.rsplit_once(':') else {
        return false;
    };
    let what = what.trim().to_ascii_lowercase();
    if what.is_empty() {
        return false;
    }
    let id = s.component.to_ascii_lowercase();
    let identity = s.identity.to_ascii_lowercase();
    !(id.contains(&what)
        || identity.contains(&what)
        || what.contains(s.kind.as_str())
        || (s.kind == crate::vocab::Kind::Bmc && what.contains("idrac")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::Kind;

    fn step(kind: Kind, id: &str, identity: &str, to: &str) -> PlannedStep {
        PlannedStep {
            component: id.into(),
            identity: identity.into(),
            kind,
            from: Some("1.0".into()),
            to: to.into(),
            image: "/x".into(),
            target: None,
            image_name: "x".into(),
            sha256: String::new(),
            size: 1,
            method: None,
            apply_time: None,
            force: false,
            activate_only: false,
            disruption: crate::vocab::Disruption::HostReboot,
        }
    }

    fn job(id: &str, name: &str, hold: JobHold) -> OpenJob {
        OpenJob {
            id: id.into(),
            uri: format!("/redfish/v1/JobService/Jobs/{id}"),
            name: name.into(),
            hold,
        }
    }

    fn own(jid: &str, identity: &str, to: &str) -> OwnJob {
        OwnJob {
            jid: jid.into(),
            identity: identity.into(),
            to_version: to.into(),
        }
    }

    const BIOS: &str = "Installed-159-2.19.1__BIOS.Setup.1-1";

    #[test]
    fn a_foreign_job_that_names_no_component_blocks_and_names_host_and_jid() {
        let s = step(Kind::Bios, BIOS, "dell:159", "2.20.4");
        let open = [job("JID_1", "Firmware Update", JobHold::Scheduled)];
        let QueueCheck::Blocked(why) = check("r650-1", &s, &open, &[]) else {
            panic!()
        };
        assert!(why.starts_with("r650-1 dell:159: job JID_1"), "{why}");
        assert!(why.contains("not created by fwfleet") && why.contains("nothing was sent"));
        assert!(why.contains("scheduled for the next host reset"), "{why}");
    }

    #[test]
    fn a_foreign_job_naming_another_component_does_not_block() {
        let nic = step(
            Kind::Nic,
            "Installed-0-20.5.13__NIC.Slot.2-1-1",
            "dell:0:NIC",
            "20.5.16",
        );
        let open = [job("JID_2", "Firmware Update: BIOS", JobHold::Running)];
        assert_eq!(check("h", &nic, &open, &[]), QueueCheck::Clear);
        let bios = step(Kind::Bios, BIOS, "dell:159", "2.20.4");
        assert!(matches!(
            check("h", &bios, &open, &[]),
            QueueCheck::Blocked(_)
        ));
    }

    #[test]
    fn fwfleets_own_held_job_of_this_version_is_staged_and_of_others_is_ignored() {
        let s = step(Kind::Bios, BIOS, "dell:159", "2.20.4");
        let open = [
            job("JID_3", "Firmware Update", JobHold::Scheduled),
            job("JID_4", "Firmware Update", JobHold::Scheduled),
        ];
        let mine = [
            own("JID_3", "dell:159", "2.20.4"),
            own("JID_4", "dell:25227", "22.0"),
        ];
        assert_eq!(
            check("h", &s, &open, &mine),
            QueueCheck::Staged {
                jid: "JID_3".into()
            }
        );
        // Its own job to another version of the same component: the operator's call.
        let mine = [
            own("JID_3", "dell:159", "2.20.3"),
            own("JID_4", "dell:25227", "22.0"),
        ];
        let QueueCheck::Blocked(why) = check("h", &s, &open, &mine) else {
            panic!()
        };
        assert!(why.contains("earlier fwfleet update to 2.20.3"), "{why}");
        // Running, not held: not staged yet, not sent again either.
        let open = [job("JID_3", "Firmware Update", JobHold::Running)];
        let mine = [own("JID_3", "dell:159", "2.20.4")];
        assert!(matches!(
            check("h", &s, &open, &mine),
            QueueCheck::Blocked(_)
        ));
    }
}

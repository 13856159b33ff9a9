//! Compliance the way operators read it (OpenManage Enterprise's baseline
//! view): per host and component a [`Status`] with the running and the
//! target version, rolled up per model × component kind and for the fleet,
//! with the age of the inventory it was judged on.
//!
//! Pure: a function of the inventory (each host with the time it was last
//! read successfully), the plan made from it, the vendors' criticality of
//! the images and `now`. The statuses, from the plan's actions:
//!
//! | action | status |
//! |---|---|
//! | `up-to-date` | `ok` |
//! | `upgrade`, `blocked`, `staged-pending`, `needs-vendor-tool`, `held`, `image-missing`, `image-corrupt` | `critical` when the target image is `urgent`, else `warning` |
//! | `newer-than-repository`, `downgrade` | `downgrade` (the repository is older) |
//! | `no-image`, `version-unknown`, `not-updateable` | `unknown` (no image, or the versions cannot be ordered) |
//!
//! A host's status, a roll-up's and the fleet's is the worst of their
//! components, in the order `ok` < `downgrade` < `unknown` < `warning` <
//! `critical`: a repository older than what runs is no risk, not knowing
//! is, and an urgent update outranks everything. A host whose last scan
//! failed and that has no earlier good one is `unknown`.
//!
//! Submodule: `render` (table, JSON and CSV).

mod render;

pub use render::{render_csv, render_table};

use crate::inventory::model::{HostInventory, Kind};
use crate::planner::{Action, Plan, Step};
use crate::repository::Criticality;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// How compliant one component (or host, model, fleet) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Downgrade,
    Unknown,
    Warning,
    Critical,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Ok,
        Status::Downgrade,
        Status::Unknown,
        Status::Warning,
        Status::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Downgrade => "downgrade",
            Status::Unknown => "unknown",
            Status::Warning => "warning",
            Status::Critical => "critical",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// One component of one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComponentCompliance {
    /// The Redfish `Id` at scan time.
    pub component: String,
    pub identity: String,
    pub kind: Kind,
    pub status: Status,
    /// What it runs.
    pub current: Option<String>,
    /// The repository's version for it (the end of an upgrade path).
    pub target: Option<String>,
    pub image: Option<String>,
    /// The target image's vendor criticality.
    pub criticality: Option<Criticality>,
    /// The plan's action and reason.
    pub action: Action,
    pub reason: String,
}

/// One host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostCompliance {
    pub name: String,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    /// The worst of its components (`unknown` without a good inventory).
    pub status: Status,
    /// RFC 3339 time of the inventory it was judged on.
    pub inventory_at: Option<String>,
    /// Seconds between `inventory_at` and the report.
    pub inventory_age_s: Option<i64>,
    /// Why there is no good inventory for it.
    pub error: Option<String>,
    pub components: Vec<ComponentCompliance>,
}

/// Counts per status, every status present.
pub type Counts = BTreeMap<Status, usize>;

fn zero_counts() -> Counts {
    Status::ALL.iter().map(|s| (*s, 0)).collect()
}

/// One model × component kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rollup {
    /// `unknown model` when the host reported none.
    pub model: String,
    pub kind: Kind,
    pub status: Status,
    /// Components per status.
    pub counts: Counts,
    pub hosts: usize,
}

/// The whole fleet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FleetCompliance {
    pub status: Status,
    pub hosts: usize,
    /// Hosts per (worst) status.
    pub hosts_by_status: Counts,
    /// Components per status.
    pub components_by_status: Counts,
    /// The oldest inventory judged on, and its age.
    pub oldest_inventory_at: Option<String>,
    pub oldest_inventory_age_s: Option<i64>,
}

/// `fwfleet compliance --format json` (a stable interface).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComplianceReport {
    pub generated_at: String,
    pub hosts: Vec<HostCompliance>,
    pub by_model_kind: Vec<Rollup>,
    pub fleet: FleetCompliance,
}

/// A host as compliance sees it: what the last good scan of it said, and
/// when that scan was (`None` for a host never read successfully).
#[derive(Debug, Clone)]
pub struct HostInput<'a> {
    pub inventory: &'a HostInventory,
    pub scanned_at: Option<&'a str>,
}

/// The status of one plan outcome.
pub fn status_of(action: Action, criticality: Option<Criticality>) -> Status {
    let needed = if criticality == Some(Criticality::Urgent) {
        Status::Critical
    } else {
        Status::Warning
    };
    match action {
        Action::UpToDate => Status::Ok,
        Action::Upgrade
        | Action::Blocked
        | Action::StagedPending
        | Action::NeedsVendorTool
        | Action::Held
        | Action::ImageMissing
        | Action::ImageCorrupt => needed,
        Action::NewerThanRepository | Action::Downgrade => Status::Downgrade,
        Action::NoImage | Action::VersionUnknown | Action::NotUpdateable => Status::Unknown,
    }
}

/// Judges every host of `plan` (made from `hosts`); `criticality` says the
/// vendor criticality of a repository image by file.
pub fn judge(
    hosts: &[HostInput<'_>],
    plan: &Plan,
    criticality: &dyn Fn(&str) -> Option<Criticality>,
    now: DateTime<Utc>,
) -> ComplianceReport {
    let mut out_hosts = Vec::with_capacity(hosts.len());
    for input in hosts {
        let inv = input.inventory;
        let host_plan = plan.hosts.iter().find(|p| p.name == inv.name);
        let age = input
            .scanned_at
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| (now - t.with_timezone(&Utc)).num_seconds());
        let (components, error) = match host_plan {
            Some(hp) if hp.ok && inv.ok => (components_of(&hp.steps, criticality), None),
            Some(hp) => (Vec::new(), hp.error.clone().or_else(|| inv.error.clone())),
            None => (Vec::new(), Some("not in the plan".to_owned())),
        };
        let status = if error.is_some() {
            Status::Unknown
        } else {
            components
                .iter()
                .map(|c| c.status)
                .max()
                .unwrap_or(Status::Ok)
        };
        out_hosts.push(HostCompliance {
            name: inv.name.clone(),
            manufacturer: inv.system.manufacturer.clone(),
            model: inv.system.model.clone(),
            status,
            inventory_at: input.scanned_at.map(str::to_owned),
            inventory_age_s: age,
            error,
            components,
        });
    }
    let by_model_kind = rollups(&out_hosts);
    let fleet = fleet_of(&out_hosts);
    ComplianceReport {
        generated_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        hosts: out_hosts,
        by_model_kind,
        fleet,
    }
}

/// One entry per component: the hops of an upgrade path are one component
/// going from its running version to the last hop's target.
fn components_of(
    steps: &[Step],
    criticality: &dyn Fn(&str) -> Option<Criticality>,
) -> Vec<ComponentCompliance> {
    let mut out: Vec<ComponentCompliance> = Vec::new();
    for s in steps {
        // The step's own provenance first; the repository's word for
        // plans made before steps carried it.
        let crit = s
            .provenance
            .criticality
            .or_else(|| s.image.as_deref().and_then(criticality));
        if let Some(prev) = out
            .iter_mut()
            .find(|c| c.identity == s.identity && c.kind == s.kind)
        {
            prev.target = s.to.clone();
            prev.image = s.image.clone();
            prev.criticality = prev.criticality.max(crit);
            prev.status = prev.status.max(status_of(s.action, prev.criticality));
            continue;
        }
        out.push(ComponentCompliance {
            component: s.component.clone(),
            identity: s.identity.clone(),
            kind: s.kind,
            status: status_of(s.action, crit),
            current: s.from.clone(),
            target: s.to.clone(),
            image: s.image.clone(),
            criticality: crit,
            action: s.action,
            reason: s.reason.clone(),
        });
    }
    out
}

fn rollups(hosts: &[HostCompliance]) -> Vec<Rollup> {
    let mut map: BTreeMap<(String, Kind), (Counts, std::collections::BTreeSet<&str>)> =
        BTreeMap::new();
    for h in hosts {
        let model = h.model.clone().unwrap_or_else(|| "unknown model".into());
        for c in &h.components {
            let e = map
                .entry((model.clone(), c.kind))
                .or_insert_with(|| (zero_counts(), Default::default()));
            *e.0.entry(c.status).or_default() += 1;
            e.1.insert(h.name.as_str());
        }
    }
    map.into_iter()
        .map(|((model, kind), (counts, names))| Rollup {
            status: worst(&counts),
            model,
            kind,
            counts,
            hosts: names.len(),
        })
        .collect()
}

fn worst(counts: &Counts) -> Status {
    counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(s, _)| *s)
        .max()
        .unwrap_or(Status::Ok)
}

fn fleet_of(hosts: &[HostCompliance]) -> FleetCompliance {
    let mut hosts_by_status = zero_counts();
    let mut components_by_status = zero_counts();
    for h in hosts {
        *hosts_by_status.entry(h.status).or_default() += 1;
        for c in &h.components {
            *components_by_status.entry(c.status).or_default() += 1;
        }
    }
    let oldest = hosts
        .iter()
        .filter(|h| h.inventory_age_s.is_some())
        .max_by_key(|h| h.inventory_age_s);
    FleetCompliance {
        status: worst(&hosts_by_status),
        hosts: hosts.len(),
        hosts_by_status,
        components_by_status,
        oldest_inventory_at: oldest.and_then(|h| h.inventory_at.clone()),
        oldest_inventory_age_s: oldest.and_then(|h| h.inventory_age_s),
    }
}

#[cfg(test)]
mod tests;

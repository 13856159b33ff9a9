//! The fleet as the API and `/metrics` show it: every configured host with
//! its latest scan (whichever scan last included it: windows scan only
//! their own hosts) and its plan against the repository as it is now.
//!
//! Building the view reads one row per host and plans the fleet, which for
//! thousands of hosts is too much per scrape; the view is cached until a new
//! scan is saved or the repository's manifest changes.

use super::error::DaemonError;
use crate::config::Config;
use crate::inventory::model::{HostInventory, Inventory};
use crate::planner::{self, HostPlan};
use crate::repository::Repository;
use crate::store::{ScanSummary, Store};
use crate::updater::apply::ApplyOptions;
use crate::updater::jobs::RepoSource;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// How a host stands against the repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Compliance {
    /// Nothing to flash and nothing to look at ([`HostPlan::is_compliant`]).
    Compliant,
    /// Something to flash, or blocked, or a version no rule can order.
    NonCompliant,
    /// The host's latest scan failed.
    Failed,
    /// Never scanned.
    Unscanned,
    /// Scanned, but there is no readable repository to plan against.
    Unknown,
}

impl Compliance {
    pub const ALL: [Compliance; 5] = [
        Compliance::Compliant,
        Compliance::NonCompliant,
        Compliance::Failed,
        Compliance::Unscanned,
        Compliance::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Compliance::Compliant => "compliant",
            Compliance::NonCompliant => "non-compliant",
            Compliance::Failed => "failed",
            Compliance::Unscanned => "unscanned",
            Compliance::Unknown => "unknown",
        }
    }
}

/// One configured host.
#[derive(Debug, Clone, Serialize)]
pub struct HostView {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub compliance: Compliance,
    pub inventory: Option<HostInventory>,
    pub plan: Option<HostPlan>,
}

/// Every configured host, in config order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FleetView {
    /// The latest saved scan (of any hosts).
    pub scan: Option<ScanSummary>,
    /// Why nothing could be planned (no repository, unreadable manifest).
    pub repository_error: Option<String>,
    pub hosts: Vec<HostView>,
}

/// What the cached view was built from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    scan_id: Option<i64>,
    manifest: Option<SystemTime>,
    /// The stored holds (`fwfleet hold add|remove` change the plan; the
    /// config's come with a reload, which invalidates the cache).
    holds: Vec<crate::store::StoredHold>,
}

/// The cache.
#[derive(Debug, Default)]
pub struct Views {
    cache: Mutex<Option<(Key, Arc<FleetView>)>>,
}

impl Views {
    /// Forget the cached view (the config was reloaded: hosts or labels may
    /// differ while the scan and manifest did not).
    pub fn invalidate(&self) {
        *self.cache.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// The view, rebuilt if a scan was saved or the manifest changed since.
    pub async fn get(
        &self,
        cfg: &Arc<Config>,
        store: &Store,
    ) -> Result<Arc<FleetView>, DaemonError> {
        let key = Key {
            scan_id: store.list_scans(1).await?.first().map(|s| s.id),
            manifest: manifest_time(cfg).await,
            holds: store.holds().await?,
        };
        if let Some((k, v)) = &*self.cache.lock().unwrap_or_else(|e| e.into_inner()) {
            if *k == key {
                return Ok(v.clone());
            }
        }
        let view = Arc::new(build(cfg, store).await?);
        *self.cache.lock().unwrap_or_else(|e| e.into_inner()) = Some((key, view.clone()));
        Ok(view)
    }
}

async fn manifest_time(cfg: &Config) -> Option<SystemTime> {
    tokio::fs::metadata(cfg.repository.join("manifest.toml"))
        .await
        .and_then(|m| m.modified())
        .ok()
}

async fn build(cfg: &Arc<Config>, store: &Store) -> Result<FleetView, DaemonError> {
    let scan = store.list_scans(1).await?.into_iter().next();
    let latest = store
        .latest_hosts(cfg.hosts.iter().map(|h| h.name.clone()).collect())
        .await?;
    let scanned = Inventory {
        scanned_at: scan
            .as_ref()
            .map(|s| s.scanned_at.clone())
            .unwrap_or_default(),
        hosts: latest.iter().flatten().cloned().collect(),
    };
    // Reading the manifest and planning thousands of hosts: off the async threads.
    let dir = cfg.repository.clone();
    let holds = crate::updater::control::holds_in_force(cfg, store).await?;
    let for_holds = cfg.clone();
    let (plan, repository_error) = tokio::task::spawn_blocking(move || {
        match Repository::open(&dir) {
            Ok(repo) => {
                let mut plan = planner::plan(
                    &scanned,
                    &RepoSource(&repo),
                    // What a run with no options plans (`apply`, `POST /api/v1/runs {}`).
                    &ApplyOptions::default().policy(),
                );
                crate::updater::control::hold_plan(&mut plan, &holds, &for_holds);
                crate::updater::preflight::mark_plan(
                    &mut plan,
                    &crate::repository::Stamps::open(&for_holds.state_dir),
                );
                (Some(plan), None)
            }
            Err(e) => (
                None,
                Some(format!(
                    "cannot open the image repository {}: {e}",
                    dir.display()
                )),
            ),
        }
    })
    .await
    .map_err(|e| DaemonError::Task(e.to_string()))?;
    let hosts = cfg
        .hosts
        .iter()
        .zip(latest)
        .map(|(h, inv)| {
            let host_plan = plan
                .as_ref()
                .and_then(|p| p.hosts.iter().find(|p| p.name == h.name).cloned());
            let compliance = match (&inv, &host_plan) {
                (None, _) => Compliance::Unscanned,
                (Some(i), _) if !i.ok => Compliance::Failed,
                (Some(_), None) => Compliance::Unknown,
                (Some(_), Some(p)) if p.is_compliant() => Compliance::Compliant,
                (Some(_), Some(_)) => Compliance::NonCompliant,
            };
            HostView {
                name: h.name.clone(),
                labels: h.labels.clone(),
                compliance,
                inventory: inv,
                plan: host_plan,
            }
        })
        .collect();
    Ok(FleetView {
        scan,
        repository_error,
        hosts,
    })
}

/// Components of one model and kind, by how their plan rows count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub compliant: usize,
    pub to_update: usize,
    pub attention: usize,
}

/// One model's row of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatrixRow {
    pub model: String,
    pub hosts: usize,
    pub kinds: BTreeMap<crate::vocab::Kind, Cell>,
}

/// The fleet page's numbers (`/` and its JSON twin `GET /api/v1/fleet`):
/// hosts per compliance status (every status present, in
/// [`Compliance::ALL`] order) and the model × kind matrix (models sorted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rollup {
    pub hosts: usize,
    pub by_compliance: Vec<(Compliance, usize)>,
    pub matrix: Vec<MatrixRow>,
}

/// The model a host reports, `(unknown)` when none.
pub fn model_of(h: &HostView) -> &str {
    h.inventory
        .as_ref()
        .and_then(|i| i.system.model.as_deref())
        .unwrap_or("(unknown)")
}

impl FleetView {
    /// The roll-up, counted once per request on the server.
    pub fn rollup(&self) -> Rollup {
        let mut by: Vec<(Compliance, usize)> = Compliance::ALL.iter().map(|c| (*c, 0)).collect();
        let mut rows: BTreeMap<&str, MatrixRow> = BTreeMap::new();
        for h in &self.hosts {
            if let Some(slot) = by.iter_mut().find(|(c, _)| *c == h.compliance) {
                slot.1 += 1;
            }
            let Some(plan) = &h.plan else { continue };
            let m = model_of(h);
            let row = rows.entry(m).or_insert_with(|| MatrixRow {
                model: m.to_string(),
                hosts: 0,
                kinds: BTreeMap::new(),
            });
            row.hosts += 1;
            for st in &plan.steps {
                let cell = row.kinds.entry(st.kind).or_default();
                if st.action.is_compliant() {
                    cell.compliant += 1;
                } else if st.action.is_change() {
                    cell.to_update += 1;
                } else {
                    cell.attention += 1;
                }
            }
        }
        Rollup {
            hosts: self.hosts.len(),
            by_compliance: by,
            matrix: rows.into_values().collect(),
        }
    }
}

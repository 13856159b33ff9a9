//! Inventory snapshots through the handle: every saved scan is kept, so the
//! planner can start from the latest state and an operator can see when a
//! version changed.
//!
//! "Latest" means the most recently *saved* scan (highest id), not the largest
//! `scanned_at`: that is the scan's start time as the scanning host's clock saw
//! it, and clocks jump.

use super::sqlite::{EncodedScan, SAVE};
use super::{Store, StoreError};
use crate::inventory::model::{HostInventory, Inventory};
use serde::Serialize;

/// One saved scan, without its hosts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanSummary {
    pub id: i64,
    /// RFC 3339 start time of the scan, as the scan reported it.
    pub scanned_at: String,
    /// Hosts in the scan.
    pub hosts: usize,
    /// Hosts whose scan failed.
    pub failed: usize,
}

impl Store {
    /// Save a whole scan in one transaction and return its id. The hosts are
    /// encoded here, on the caller's thread (CPU work, before any lock); the
    /// write runs on the blocking pool.
    pub async fn save_inventory(&self, inv: &Inventory) -> Result<i64, StoreError> {
        let scan = EncodedScan::new(inv).map_err(|source| StoreError::Json {
            db: self.path().to_path_buf(),
            op: SAVE,
            source,
        })?;
        self.sqlite_call(move |db| db.save_encoded(&scan)).await
    }

    /// The most recently saved scan and its id, or `None` before the first scan.
    pub async fn latest_inventory(&self) -> Result<Option<(i64, Inventory)>, StoreError> {
        self.sqlite_call(|db| db.latest_inventory()).await
    }

    /// One saved scan by id, or `None` when there is no such scan.
    pub async fn inventory(&self, scan_id: i64) -> Result<Option<Inventory>, StoreError> {
        self.sqlite_call(move |db| db.inventory(scan_id)).await
    }

    /// The latest `limit` scans, newest first.
    pub async fn list_scans(&self, limit: usize) -> Result<Vec<ScanSummary>, StoreError> {
        self.sqlite_call(move |db| db.list_scans(limit)).await
    }

    /// What the most recent scan that included `name` learnt about it, whether
    /// that scan of the host succeeded or not (check [`HostInventory::ok`]).
    pub async fn latest_host(&self, name: &str) -> Result<Option<HostInventory>, StoreError> {
        let name = name.to_string();
        self.sqlite_call(move |db| db.latest_host(&name)).await
    }

    /// [`Store::latest_host`] for every name, in that order, in one read.
    pub async fn latest_hosts(
        &self,
        names: Vec<String>,
    ) -> Result<Vec<Option<HostInventory>>, StoreError> {
        self.sqlite_call(move |db| db.latest_hosts(&names)).await
    }
}

//! Inventory snapshots: every saved scan is kept, one `scans` row and one
//! `scan_hosts` row per host, so the planner can start from the latest state and
//! an operator can see when a version changed.
//!
//! "Latest" means the most recently *saved* scan (highest id), not the largest
//! `scanned_at`: that is the scan's start time as the scanning host's clock saw
//! it, and clocks jump.

use super::{sql_int, Durability, Fail, Store, StoreError};
use crate::inventory::model::{HostInventory, Inventory};
use rusqlite::{params, OptionalExtension, Transaction};
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
    /// Save a whole scan in one transaction and return its id.
    pub fn save_inventory(&self, inv: &Inventory) -> Result<i64, StoreError> {
        const OP: &str = "save the inventory";
        // Encode before taking the lock: for a large fleet this is the slow part,
        // and other writers (the journal) should not wait for it.
        let hosts = inv
            .hosts
            .iter()
            .map(serde_json::to_string)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.fail(OP)(e.into()))?;
        self.write(OP, Durability::Normal, |tx| {
            let id: i64 = tx.query_row(
                "INSERT INTO scans (scanned_at, hosts, failed) VALUES (?1, ?2, ?3) RETURNING id",
                params![
                    inv.scanned_at,
                    sql_int(inv.hosts.len()),
                    sql_int(inv.failed())
                ],
                |row| row.get(0),
            )?;
            let mut insert = tx.prepare(
                "INSERT INTO scan_hosts (scan_id, ordinal, host, ok, error, inventory_json) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (ordinal, (host, json)) in inv.hosts.iter().zip(&hosts).enumerate() {
                insert.execute(params![
                    id,
                    sql_int(ordinal),
                    host.name,
                    host.ok,
                    host.error,
                    json
                ])?;
            }
            Ok(id)
        })
    }

    /// The most recently saved scan and its id, or `None` before the first scan.
    pub fn latest_inventory(&self) -> Result<Option<(i64, Inventory)>, StoreError> {
        self.read("read the latest inventory", |tx| {
            let Some(id) = tx.query_row("SELECT MAX(id) FROM scans", [], |row| {
                row.get::<_, Option<i64>>(0)
            })?
            else {
                return Ok(None);
            };
            Ok(load_scan(tx, id)?.map(|inv| (id, inv)))
        })
    }

    /// The scan with this id, or `None` if there is none.
    pub fn inventory(&self, scan_id: i64) -> Result<Option<Inventory>, StoreError> {
        self.read("read an inventory", |tx| load_scan(tx, scan_id))
    }

    /// The latest `limit` scans, newest first.
    pub fn list_scans(&self, limit: usize) -> Result<Vec<ScanSummary>, StoreError> {
        self.read("list the scans", |tx| {
            let mut stmt = tx.prepare(
                "SELECT id, scanned_at, hosts, failed FROM scans ORDER BY id DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map([sql_int(limit)], |row| {
                Ok(ScanSummary {
                    id: row.get(0)?,
                    scanned_at: row.get(1)?,
                    hosts: row.get(2)?,
                    failed: row.get(3)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// What the most recent scan that included `name` learnt about it, whether
    /// that scan of the host succeeded or not (check [`HostInventory::ok`]).
    pub fn latest_host(&self, name: &str) -> Result<Option<HostInventory>, StoreError> {
        self.read("read a host's latest inventory", |tx| {
            let json: Option<String> = tx
                .query_row(
                    "SELECT inventory_json FROM scan_hosts WHERE host = ?1 \
                     ORDER BY scan_id DESC, ordinal DESC LIMIT 1",
                    [name],
                    |row| row.get(0),
                )
                .optional()?;
            Ok(json.map(|j| serde_json::from_str(&j)).transpose()?)
        })
    }
}

fn load_scan(tx: &Transaction<'_>, id: i64) -> Result<Option<Inventory>, Fail> {
    let Some(scanned_at) = tx
        .query_row("SELECT scanned_at FROM scans WHERE id = ?1", [id], |row| {
            row.get::<_, String>(0)
        })
        .optional()?
    else {
        return Ok(None);
    };
    let mut stmt =
        tx.prepare("SELECT inventory_json FROM scan_hosts WHERE scan_id = ?1 ORDER BY ordinal")?;
    let mut rows = stmt.query([id])?;
    let mut hosts = Vec::new();
    while let Some(row) = rows.next()? {
        let json: String = row.get(0)?;
        hosts.push(serde_json::from_str(&json)?);
    }
    Ok(Some(Inventory { scanned_at, hosts }))
}

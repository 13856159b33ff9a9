//! Inventory snapshots: every saved scan is kept, one `scans` row and one
//! `scan_hosts` row per host, so the planner can start from the latest state and
//! an operator can see when a version changed.
//!
//! "Latest" means the most recently *saved* scan (highest id), not the largest
//! `scanned_at`: that is the scan's start time as the scanning host's clock saw
//! it, and clocks jump.

use super::{sql_int, Durability, Fail, SqliteStore, StoreError};
use crate::inventory::model::{HostInventory, Inventory};
use crate::store::ScanSummary;
use rusqlite::{params, OptionalExtension, Transaction};

/// What saving a scan does.
pub(in crate::store) const SAVE: &str = "save the inventory";

/// A scan with every host already encoded as JSON: for a large fleet the
/// encoding is the slow part, done before the connection lock is taken (and,
/// through the handle, before the write goes to the blocking pool), so other
/// writers (the journal) never wait for it.
#[derive(Debug)]
pub(in crate::store) struct EncodedScan {
    scanned_at: String,
    failed: usize,
    hosts: Vec<EncodedHost>,
}

#[derive(Debug)]
struct EncodedHost {
    name: String,
    ok: bool,
    error: Option<String>,
    json: String,
}

impl EncodedScan {
    pub(in crate::store) fn new(inv: &Inventory) -> serde_json::Result<EncodedScan> {
        Ok(EncodedScan {
            scanned_at: inv.scanned_at.clone(),
            failed: inv.failed(),
            hosts: inv
                .hosts
                .iter()
                .map(|h| {
                    Ok(EncodedHost {
                        name: h.name.clone(),
                        ok: h.ok,
                        error: h.error.clone(),
                        json: serde_json::to_string(h)?,
                    })
                })
                .collect::<serde_json::Result<_>>()?,
        })
    }
}

impl SqliteStore {
    /// Save a whole scan in one transaction and return its id.
    pub fn save_inventory(&self, inv: &Inventory) -> Result<i64, StoreError> {
        let scan = EncodedScan::new(inv).map_err(|e| self.fail(SAVE)(e.into()))?;
        self.save_encoded(&scan)
    }

    /// Save a scan encoded beforehand (see [`EncodedScan`]).
    pub(in crate::store) fn save_encoded(&self, scan: &EncodedScan) -> Result<i64, StoreError> {
        self.write(SAVE, Durability::Normal, |tx| {
            let id: i64 = tx.query_row(
                "INSERT INTO scans (scanned_at, hosts, failed) VALUES (?1, ?2, ?3) RETURNING id",
                params![
                    scan.scanned_at,
                    sql_int(scan.hosts.len()),
                    sql_int(scan.failed)
                ],
                |row| row.get(0),
            )?;
            let mut insert = tx.prepare(
                "INSERT INTO scan_hosts (scan_id, ordinal, host, ok, error, inventory_json) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (ordinal, host) in scan.hosts.iter().enumerate() {
                insert.execute(params![
                    id,
                    sql_int(ordinal),
                    host.name,
                    host.ok,
                    host.error,
                    host.json
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
        self.read("read a host's latest inventory", |tx| latest_of(tx, name))
    }

    /// [`SqliteStore::latest_host`] for each of `names`, in that order, in
    /// one read transaction (the fleet view reads every configured host).
    pub fn latest_hosts(&self, names: &[String]) -> Result<Vec<Option<HostInventory>>, StoreError> {
        self.read("read a host's latest inventory", |tx| {
            names.iter().map(|n| latest_of(tx, n)).collect()
        })
    }
}

impl SqliteStore {
    /// For each of `names`, in that order: the most recent scan that read
    /// the host successfully, with that scan's start time; `None` for a
    /// host no scan ever read. One read transaction.
    pub fn latest_good_hosts(
        &self,
        names: &[String],
    ) -> Result<Vec<Option<(HostInventory, String)>>, StoreError> {
        self.read("read a host's last good inventory", |tx| {
            names.iter().map(|n| latest_good_of(tx, n)).collect()
        })
    }
}

fn latest_good_of(
    tx: &Transaction<'_>,
    name: &str,
) -> Result<Option<(HostInventory, String)>, Fail> {
    let row: Option<(String, String)> = tx
        .query_row(
            "SELECT h.inventory_json, s.scanned_at FROM scan_hosts h \
             JOIN scans s ON s.id = h.scan_id \
             WHERE h.host = ?1 AND h.ok \
             ORDER BY h.scan_id DESC, h.ordinal DESC LIMIT 1",
            [name],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    match row {
        None => Ok(None),
        Some((json, at)) => Ok(Some((serde_json::from_str(&json)?, at))),
    }
}

fn latest_of(tx: &Transaction<'_>, name: &str) -> Result<Option<HostInventory>, Fail> {
    let json: Option<String> = tx
        .query_row(
            "SELECT inventory_json FROM scan_hosts WHERE host = ?1 \
             ORDER BY scan_id DESC, ordinal DESC LIMIT 1",
            [name],
            |row| row.get(0),
        )
        .optional()?;
    Ok(json.map(|j| serde_json::from_str(&j)).transpose()?)
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

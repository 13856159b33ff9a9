//! Steering runs: the `run_controls` row of a run (what an operator asked
//! for, what the executor acknowledged), the plan frozen when the run was
//! created (`run_plans`), and the holds and pins of `fwfleet hold add`
//! (`holds`). Words are text here; the handle types them.
//!
//! A request is synced: a pause the operator was told about must not be
//! lost to a power cut. The executor's acknowledgement is an ordinary
//! commit (the executor writes it again when it restarts).

use super::{now, Durability, Fail, SqliteStore, StoreError};
use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

/// A run's control row as the table holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControlRow {
    pub run_id: i64,
    pub requested: String,
    pub requested_by: String,
    pub reason: Option<String>,
    pub requested_at: String,
    pub acked: Option<String>,
    pub acked_at: Option<String>,
}

/// A run's frozen plan as the table holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRow {
    pub run_id: i64,
    pub frozen_at: String,
    pub hosts: i64,
    pub steps: i64,
    pub plan_json: String,
}

/// A stored hold or pin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HoldRow {
    pub id: i64,
    pub created_at: String,
    pub created_by: String,
    pub hosts: Option<String>,
    pub selector: Option<String>,
    pub kinds: Option<String>,
    pub version: Option<String>,
    pub reason: String,
    pub until: Option<String>,
}

/// A hold or pin to add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewHoldRow<'a> {
    pub created_by: &'a str,
    pub hosts: Option<&'a str>,
    pub selector: Option<&'a str>,
    pub kinds: Option<&'a str>,
    pub version: Option<&'a str>,
    pub reason: &'a str,
    pub until: Option<&'a str>,
}

const CONTROL_COLUMNS: &str =
    "run_id, requested, requested_by, reason, requested_at, acked, acked_at";

fn control_row(r: &Row<'_>) -> rusqlite::Result<ControlRow> {
    Ok(ControlRow {
        run_id: r.get(0)?,
        requested: r.get(1)?,
        requested_by: r.get(2)?,
        reason: r.get(3)?,
        requested_at: r.get(4)?,
        acked: r.get(5)?,
        acked_at: r.get(6)?,
    })
}

const HOLD_COLUMNS: &str =
    "id, created_at, created_by, hosts, selector, kinds, version, reason, until";

fn hold_row(r: &Row<'_>) -> rusqlite::Result<HoldRow> {
    Ok(HoldRow {
        id: r.get(0)?,
        created_at: r.get(1)?,
        created_by: r.get(2)?,
        hosts: r.get(3)?,
        selector: r.get(4)?,
        kinds: r.get(5)?,
        version: r.get(6)?,
        reason: r.get(7)?,
        until: r.get(8)?,
    })
}

impl SqliteStore {
    /// Record what an operator asks of run `run_id`; the acknowledgement is
    /// kept (the executor replaces it when it acts).
    pub fn request_control(
        &self,
        run_id: i64,
        requested: &str,
        by: &str,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        self.write("record a run control", Durability::Synced, |tx| {
            let known: Option<i64> = tx
                .query_row("SELECT id FROM runs WHERE id = ?1", [run_id], |r| r.get(0))
                .optional()?;
            if known.is_none() {
                return Err(Fail::Missing {
                    what: "run",
                    id: run_id,
                });
            }
            tx.execute(
                "INSERT INTO run_controls (run_id, requested, requested_by, reason, requested_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (run_id) DO UPDATE SET requested = excluded.requested, \
                 requested_by = excluded.requested_by, reason = excluded.reason, \
                 requested_at = excluded.requested_at",
                params![run_id, requested, by, reason, now()],
            )?;
            Ok(())
        })
    }

    /// Record what the executor of run `run_id` has done (`running`,
    /// `paused`, `cancelled`). A run never steered gets a row requesting
    /// `running` by `executor`.
    pub fn ack_control(&self, run_id: i64, acked: &str) -> Result<(), StoreError> {
        self.write("acknowledge a run control", Durability::Normal, |tx| {
            let t = now();
            tx.execute(
                "INSERT INTO run_controls (run_id, requested, requested_by, requested_at, acked, acked_at) \
                 VALUES (?1, 'running', 'executor', ?2, ?3, ?2) \
                 ON CONFLICT (run_id) DO UPDATE SET acked = excluded.acked, acked_at = excluded.acked_at",
                params![run_id, t, acked],
            )?;
            Ok(())
        })
    }

    /// The control row of a run, if it was ever steered.
    pub fn control(&self, run_id: i64) -> Result<Option<ControlRow>, StoreError> {
        self.read("read a run control", |tx| {
            let sql = format!("SELECT {CONTROL_COLUMNS} FROM run_controls WHERE run_id = ?1");
            Ok(tx.query_row(&sql, [run_id], control_row).optional()?)
        })
    }

    /// Freeze the plan of run `run_id` (once: a second call keeps the first).
    pub fn freeze_plan(
        &self,
        run_id: i64,
        hosts: i64,
        steps: i64,
        plan_json: &str,
    ) -> Result<(), StoreError> {
        self.write("freeze a run's plan", Durability::Normal, |tx| {
            tx.execute(
                "INSERT INTO run_plans (run_id, frozen_at, hosts, steps, plan_json) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (run_id) DO NOTHING",
                params![run_id, now(), hosts, steps, plan_json],
            )?;
            Ok(())
        })
    }

    /// The frozen plan of a run, if it has one (runs of an earlier fwfleet,
    /// and runs that ended before planning, have none).
    pub fn frozen_plan(&self, run_id: i64) -> Result<Option<PlanRow>, StoreError> {
        self.read("read a run's plan", |tx| {
            Ok(tx
                .query_row(
                    "SELECT run_id, frozen_at, hosts, steps, plan_json FROM run_plans WHERE run_id = ?1",
                    [run_id],
                    |r| {
                        Ok(PlanRow {
                            run_id: r.get(0)?,
                            frozen_at: r.get(1)?,
                            hosts: r.get(2)?,
                            steps: r.get(3)?,
                            plan_json: r.get(4)?,
                        })
                    },
                )
                .optional()?)
        })
    }

    /// Add a hold or pin; its id.
    pub fn add_hold(&self, h: &NewHoldRow<'_>) -> Result<i64, StoreError> {
        self.write("add a hold", Durability::Synced, |tx| {
            Ok(tx.query_row(
                "INSERT INTO holds (created_at, created_by, hosts, selector, kinds, version, reason, until) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
                params![
                    now(),
                    h.created_by,
                    h.hosts,
                    h.selector,
                    h.kinds,
                    h.version,
                    h.reason,
                    h.until
                ],
                |r| r.get(0),
            )?)
        })
    }

    /// Remove hold `id`.
    pub fn remove_hold(&self, id: i64) -> Result<(), StoreError> {
        self.write("remove a hold", Durability::Synced, |tx| {
            if tx.execute("DELETE FROM holds WHERE id = ?1", [id])? == 0 {
                return Err(Fail::Missing { what: "hold", id });
            }
            Ok(())
        })
    }

    /// Every stored hold and pin, oldest first (expired ones too: the
    /// caller decides with its clock).
    pub fn holds(&self) -> Result<Vec<HoldRow>, StoreError> {
        self.read("read the holds", |tx| {
            let sql = format!("SELECT {HOLD_COLUMNS} FROM holds ORDER BY id");
            let mut stmt = tx.prepare(&sql)?;
            let rows = stmt.query_map([], hold_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

//! The update engine's journal: runs, their steps (one component of one host
//! moving from one version to another) and events (what happened, for people).
//!
//! Rows here carry states, statuses, outcomes and event kinds as the text
//! the columns hold; [`Store`](crate::store::Store) reads them into the
//! journal's types ([`crate::vocab`]) and writes them with the same
//! spelling, so this file never needs to change when the vocabulary grows.
//!
//! Every write is committed when the call returns, so it survives a crash of
//! fwfleet. [`SqliteStore::set_step_state`] goes further and fsyncs (see
//! `Durability::Synced`), so that a state change also survives a power cut: it is
//! the call the "record before you act" invariant rests on (`submitted` before the
//! POST, the task URI the moment it arrives). The other writes (runs, new steps,
//! events) skip the fsync: losing them to a power cut loses no flash, and because
//! the WAL is append-only, the next synced state change makes them durable too.
//! An fsync costs milliseconds on ordinary disks (4.5 ms against 0.07 ms without,
//! measured on the 2-core dev VM), so synced writes share them: each commits
//! on its own, then waits for an fsync that covers its commit and those of
//! every other writer that committed meanwhile (group commit, `durable`).
//! [`SqliteStore::set_step_state_with_event`] puts a state change and its event in
//! one transaction, so the updater pays one wait per state, not two writes.

use super::{now, sql_int, Durability, Fail, SqliteStore, StoreError};
use crate::store::{Event, Run, Step};
use rusqlite::{params, params_from_iter, OptionalExtension, Row};
use serde::Serialize;

/// A run as its row holds it: the status as text.
pub type RunRow = Run<String>;

/// A step as its row holds it: state and outcome as text.
pub type StepRow = Step<String, String>;

/// A step to add, its first state as text.
pub type NewStep<'a> = crate::store::NewStep<'a, &'a str>;

/// A step's new state, as [`SqliteStore::set_step_state_with_event`] takes it; a
/// `None` leaves that column as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StateChange<'a> {
    pub state: &'a str,
    pub task_uri: Option<&'a str>,
    pub outcome: Option<&'a str>,
    pub message: Option<&'a str>,
}

const STEP_COLUMNS: &str = "id, run_id, host, component, from_version, to_version, state, \
                            task_uri, outcome, message, updated_at";

/// An `events` row, selected as `id, run_id, step_id, at, kind, message`.
fn event_from_row(row: &Row<'_>) -> rusqlite::Result<Event> {
    Ok(Event {
        id: row.get(0)?,
        run_id: row.get(1)?,
        step_id: row.get(2)?,
        at: row.get(3)?,
        kind: row.get(4)?,
        message: row.get(5)?,
    })
}

fn step_from_row(row: &Row<'_>) -> rusqlite::Result<StepRow> {
    Ok(StepRow {
        id: row.get(0)?,
        run_id: row.get(1)?,
        host: row.get(2)?,
        component: row.get(3)?,
        from_version: row.get(4)?,
        to_version: row.get(5)?,
        state: row.get(6)?,
        task_uri: row.get(7)?,
        outcome: row.get(8)?,
        message: row.get(9)?,
        updated_at: row.get(10)?,
    })
}

const RUN_COLUMNS: &str = "id, started_at, finished_at, status, options_json";

fn run_from_row(row: &Row<'_>) -> rusqlite::Result<RunRow> {
    Ok(RunRow {
        id: row.get(0)?,
        started_at: row.get(1)?,
        finished_at: row.get(2)?,
        status: row.get(3)?,
        options_json: row.get(4)?,
    })
}

impl SqliteStore {
    /// Start a run with this status and options; returns its id.
    pub fn create_run<T: Serialize + ?Sized>(
        &self,
        status: &str,
        options: &T,
    ) -> Result<i64, StoreError> {
        const OP: &str = "create a run";
        let options = serde_json::to_string(options).map_err(|e| self.fail(OP)(e.into()))?;
        self.write(OP, Durability::Normal, |tx| {
            Ok(tx.query_row(
                "INSERT INTO runs (started_at, status, options_json) VALUES (?1, ?2, ?3) \
                 RETURNING id",
                params![now(), status, options],
                |row| row.get(0),
            )?)
        })
    }

    /// Record that a run ended, with its final status.
    pub fn finish_run(&self, run_id: i64, status: &str) -> Result<(), StoreError> {
        self.write("finish a run", Durability::Normal, |tx| {
            let n = tx.execute(
                "UPDATE runs SET status = ?2, finished_at = ?3 WHERE id = ?1",
                params![run_id, status, now()],
            )?;
            expect_one(n, "run", run_id)
        })
    }

    /// The run with this id.
    pub fn run(&self, id: i64) -> Result<Option<RunRow>, StoreError> {
        self.read("read a run", |tx| {
            let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1");
            Ok(tx.query_row(&sql, [id], run_from_row).optional()?)
        })
    }

    /// The latest `limit` runs, newest first.
    pub fn list_runs(&self, limit: usize) -> Result<Vec<RunRow>, StoreError> {
        self.read("list the runs", |tx| {
            let sql = format!("SELECT {RUN_COLUMNS} FROM runs ORDER BY id DESC LIMIT ?1");
            let mut stmt = tx.prepare(&sql)?;
            let rows = stmt.query_map([sql_int(limit)], run_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// Steps per run and word (the outcome of a step that ended, else its
    /// state) for each of `run_ids`, counted by SQL: a runs list over runs
    /// of thousands of steps reads a few rows, not every step.
    pub fn step_counts(&self, run_ids: &[i64]) -> Result<Vec<(i64, String, i64)>, StoreError> {
        if run_ids.is_empty() {
            return Ok(Vec::new());
        }
        self.read("count the steps of runs", |tx| {
            let placeholders = (1..=run_ids.len())
                .map(|i| format!("?{i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT run_id, COALESCE(outcome, state), COUNT(*) FROM steps \
                 WHERE run_id IN ({placeholders}) GROUP BY 1, 2 ORDER BY 1, 2"
            );
            let mut stmt = tx.prepare(&sql)?;
            let rows = stmt.query_map(params_from_iter(run_ids), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// The steps of `host` in run `run_id`, in the order they were added
    /// (the host page's timeline: filtered in SQL, not in the caller).
    pub fn host_steps(&self, run_id: i64, host: &str) -> Result<Vec<StepRow>, StoreError> {
        self.read("read the steps of a host", |tx| {
            let sql = format!(
                "SELECT {STEP_COLUMNS} FROM steps WHERE run_id = ?1 AND host = ?2 ORDER BY id"
            );
            let mut stmt = tx.prepare(&sql)?;
            let rows = stmt.query_map(params![run_id, host], step_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// The events of these steps of run `run_id`, oldest first.
    pub fn step_events(&self, run_id: i64, step_ids: &[i64]) -> Result<Vec<Event>, StoreError> {
        if step_ids.is_empty() {
            return Ok(Vec::new());
        }
        self.read("read the events of steps", |tx| {
            let ids = step_ids
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT id, run_id, step_id, at, kind, message FROM events \
                 WHERE run_id = ?1 AND step_id IN ({ids}) ORDER BY id"
            );
            let mut stmt = tx.prepare(&sql)?;
            let rows = stmt.query_map([run_id], event_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// A run's events of these kinds, oldest first: the few the run page
    /// needs from a long journal (its phases and gates) without reading
    /// all of it.
    pub fn events_of_kinds(&self, run_id: i64, kinds: &[&str]) -> Result<Vec<Event>, StoreError> {
        self.read("read the events of a run", |tx| {
            let marks = vec!["?"; kinds.len()].join(", ");
            let mut stmt = tx.prepare(&format!(
                "SELECT id, run_id, step_id, at, kind, message FROM events \
                 WHERE run_id = ? AND kind IN ({marks}) ORDER BY id"
            ))?;
            let mut args: Vec<&dyn rusqlite::ToSql> = vec![&run_id];
            args.extend(kinds.iter().map(|k| k as &dyn rusqlite::ToSql));
            let rows = stmt.query_map(args.as_slice(), event_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// The last `limit` events of a run, oldest first.
    pub fn recent_events(&self, run_id: i64, limit: usize) -> Result<Vec<Event>, StoreError> {
        self.read("read the events of a run", |tx| {
            let mut stmt = tx.prepare(
                "SELECT id, run_id, step_id, at, kind, message FROM \
                 (SELECT * FROM events WHERE run_id = ?1 ORDER BY id DESC LIMIT ?2) ORDER BY id",
            )?;
            let rows = stmt.query_map(params![run_id, sql_int(limit)], event_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// Runs with this status, oldest first (on restart: `running` runs whose
    /// process stopped).
    pub fn runs_with_status(&self, status: &str) -> Result<Vec<RunRow>, StoreError> {
        self.read("find runs by status", |tx| {
            let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE status = ?1 ORDER BY id");
            let mut stmt = tx.prepare(&sql)?;
            let rows = stmt.query_map([status], run_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// Add a step to a run; returns its id.
    pub fn add_step(&self, run_id: i64, step: &NewStep<'_>) -> Result<i64, StoreError> {
        self.write("add a step", Durability::Normal, |tx| {
            Ok(tx.query_row(
                "INSERT INTO steps (run_id, host, component, from_version, to_version, state, \
                 updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
                params![
                    run_id,
                    step.host,
                    step.component,
                    step.from_version,
                    step.to_version,
                    step.state,
                    now()
                ],
                |row| row.get(0),
            )?)
        })
    }

    /// Move a step to `state`. A `None` leaves that column as it was, so that a
    /// task URI stored the moment it arrived is not lost by a later state change
    /// that does not repeat it. When this returns, the change is on disk (fsynced,
    /// so it survives a power cut as well as a crash): the updater calls it
    /// *before* the action the state announces.
    pub fn set_step_state(
        &self,
        step_id: i64,
        state: &str,
        task_uri: Option<&str>,
        outcome: Option<&str>,
        message: Option<&str>,
    ) -> Result<(), StoreError> {
        self.write("set the state of a step", Durability::Synced, |tx| {
            let n = tx.execute(
                "UPDATE steps SET state = ?2, task_uri = COALESCE(?3, task_uri), \
                 outcome = COALESCE(?4, outcome), message = COALESCE(?5, message), \
                 updated_at = ?6 WHERE id = ?1",
                params![step_id, state, task_uri, outcome, message, now()],
            )?;
            expect_one(n, "step", step_id)
        })
    }

    /// [`SqliteStore::set_step_state`] and [`SqliteStore::add_event`] in one transaction:
    /// the state change and the event that reports it are durable together,
    /// for the price of one synced write. The event is for `run_id` and this
    /// step; a step id that matches no row writes neither.
    pub fn set_step_state_with_event(
        &self,
        run_id: i64,
        step_id: i64,
        change: &StateChange<'_>,
        event: (&str, &str),
    ) -> Result<(), StoreError> {
        let (kind, text) = event;
        self.write("set the state of a step", Durability::Synced, |tx| {
            let n = tx.execute(
                "UPDATE steps SET state = ?2, task_uri = COALESCE(?3, task_uri), \
                 outcome = COALESCE(?4, outcome), message = COALESCE(?5, message), \
                 updated_at = ?6 WHERE id = ?1",
                params![
                    step_id,
                    change.state,
                    change.task_uri,
                    change.outcome,
                    change.message,
                    now()
                ],
            )?;
            expect_one(n, "step", step_id)?;
            tx.execute(
                "INSERT INTO events (run_id, step_id, at, kind, message) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![run_id, step_id, now(), kind, text],
            )?;
            Ok(())
        })
    }

    /// The step with this id.
    pub fn step(&self, id: i64) -> Result<Option<StepRow>, StoreError> {
        self.read("read a step", |tx| {
            let sql = format!("SELECT {STEP_COLUMNS} FROM steps WHERE id = ?1");
            Ok(tx.query_row(&sql, [id], step_from_row).optional()?)
        })
    }

    /// The steps of a run, in the order they were added.
    pub fn steps(&self, run_id: i64) -> Result<Vec<StepRow>, StoreError> {
        self.read("read the steps of a run", |tx| {
            let sql = format!("SELECT {STEP_COLUMNS} FROM steps WHERE run_id = ?1 ORDER BY id");
            let mut stmt = tx.prepare(&sql)?;
            let rows = stmt.query_map([run_id], step_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// Every step, of any run, in one of `states`, oldest first. On restart the
    /// updater asks for its in-flight states to re-attach to their tasks.
    pub fn steps_in_state(&self, states: &[&str]) -> Result<Vec<StepRow>, StoreError> {
        if states.is_empty() {
            return Ok(Vec::new());
        }
        self.read("find steps by state", |tx| {
            let placeholders = (1..=states.len())
                .map(|i| format!("?{i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT {STEP_COLUMNS} FROM steps WHERE state IN ({placeholders}) ORDER BY id"
            );
            let mut stmt = tx.prepare(&sql)?;
            let rows = stmt.query_map(params_from_iter(states), step_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// Record an event of a run (and of one of its steps); returns its id.
    pub fn add_event(
        &self,
        run_id: i64,
        step_id: Option<i64>,
        kind: &str,
        message: &str,
    ) -> Result<i64, StoreError> {
        self.write("add an event", Durability::Normal, |tx| {
            Ok(tx.query_row(
                "INSERT INTO events (run_id, step_id, at, kind, message) \
                 VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                params![run_id, step_id, now(), kind, message],
                |row| row.get(0),
            )?)
        })
    }

    /// The events of a run, oldest first.
    pub fn events(&self, run_id: i64) -> Result<Vec<Event>, StoreError> {
        self.read("read the events of a run", |tx| {
            let mut stmt = tx.prepare(
                "SELECT id, run_id, step_id, at, kind, message FROM events \
                 WHERE run_id = ?1 ORDER BY id",
            )?;
            let rows = stmt.query_map([run_id], event_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }
}

/// An update that matched no row names a missing id: silently doing nothing
/// would let the updater believe a state was journaled when it was not.
fn expect_one(changed: usize, what: &'static str, id: i64) -> Result<(), Fail> {
    if changed == 0 {
        Err(Fail::Missing { what, id })
    } else {
        Ok(())
    }
}

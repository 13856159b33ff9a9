//! Schema migrations: an append-only list of SQL steps, tracked with
//! `PRAGMA user_version`.
//!
//! Never edit a step that has shipped; a database out there already ran it.
//! Append a new [`Migration`] instead. Step `n` (1-based) moves the schema from
//! version `n - 1` to `n`, all pending steps run in one transaction, and the
//! version is written in that same transaction, so a crash mid-upgrade leaves the
//! old schema intact.
//!
//! The DDL is SQLite's (`INTEGER PRIMARY KEY` is the row id); a PostgreSQL backend
//! gets its own list with the same version numbers (`BIGINT GENERATED ALWAYS AS
//! IDENTITY`, `TIMESTAMPTZ`, `JSONB`). Column names avoid reserved words of both.

use super::Fail;
use rusqlite::{Connection, TransactionBehavior};

/// One step of the schema.
#[derive(Debug)]
pub(super) struct Migration {
    /// What it adds, for the log line when it runs.
    pub name: &'static str,
    pub sql: &'static str,
}

pub(super) const MIGRATIONS: &[Migration] = &[
    Migration {
        name: "inventory snapshots",
        sql: "
CREATE TABLE scans (
    id          INTEGER PRIMARY KEY,
    scanned_at  TEXT    NOT NULL,
    hosts       INTEGER NOT NULL,
    failed      INTEGER NOT NULL
);
-- One row per host of a scan, in the scan's order (ordinal). host, ok and error
-- are copies from the JSON, kept as columns so they can be queried.
CREATE TABLE scan_hosts (
    scan_id         INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    ordinal         INTEGER NOT NULL,
    host            TEXT    NOT NULL,
    ok              BOOLEAN NOT NULL,
    error           TEXT,
    inventory_json  TEXT    NOT NULL,
    PRIMARY KEY (scan_id, ordinal)
);
CREATE INDEX scan_hosts_by_host ON scan_hosts (host, scan_id);
",
    },
    Migration {
        name: "runs, steps and events of the update engine",
        sql: "
CREATE TABLE runs (
    id            INTEGER PRIMARY KEY,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    status        TEXT NOT NULL,
    options_json  TEXT NOT NULL
);
CREATE TABLE steps (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    host          TEXT NOT NULL,
    component     TEXT NOT NULL,
    from_version  TEXT,
    to_version    TEXT NOT NULL,
    state         TEXT NOT NULL,
    task_uri      TEXT,
    outcome       TEXT,
    message       TEXT,
    updated_at    TEXT NOT NULL
);
CREATE INDEX steps_by_run ON steps (run_id, id);
-- Restart looks up in-flight steps by state.
CREATE INDEX steps_by_state ON steps (state);
CREATE TABLE events (
    id        INTEGER PRIMARY KEY,
    run_id    INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    step_id   INTEGER REFERENCES steps (id) ON DELETE CASCADE,
    at        TEXT NOT NULL,
    kind      TEXT NOT NULL,
    message   TEXT NOT NULL
);
CREATE INDEX events_by_run ON events (run_id, id);
",
    },
    Migration {
        name: "audit trail of mutating calls",
        sql: "
-- One row per mutating call of the API or the CLI (docs/SECURITY.md#audit).
-- who: `token:NAME` (API) or `user:NAME` (CLI); role: the token's role (API
-- only); via: api | cli; origin: the peer address (API) or where the local
-- user came from (CLI); outcome: started (written before the call acts), ok,
-- failed, denied.
CREATE TABLE audit (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    finished_at  TEXT,
    who          TEXT NOT NULL,
    role         TEXT,
    via          TEXT NOT NULL,
    origin       TEXT NOT NULL,
    action       TEXT NOT NULL,
    target       TEXT,
    outcome      TEXT NOT NULL,
    detail       TEXT
);
",
    },
    Migration {
        name: "run controls, frozen plans, holds and pins",
        sql: "
-- One row per run that was ever steered (docs/APPLY.md#steering). requested:
-- what an operator asked for last (running | paused | cancelled), by whom
-- (`token:NAME` or `user:NAME`), why and when; acked: what the executor
-- running the run has done about it (running | paused | cancelled), and when.
-- A run without a row was never steered: it runs.
CREATE TABLE run_controls (
    run_id        INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    requested     TEXT NOT NULL,
    requested_by  TEXT NOT NULL,
    reason        TEXT,
    requested_at  TEXT NOT NULL,
    acked         TEXT,
    acked_at      TEXT
);
-- The plan a run was created with: its host jobs (host, component, from, to,
-- image) as JSON, frozen. Repository and config changes do not change it.
CREATE TABLE run_plans (
    run_id     INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    frozen_at  TEXT NOT NULL,
    hosts      INTEGER NOT NULL,
    steps      INTEGER NOT NULL,
    plan_json  TEXT NOT NULL
);
-- Holds and pins added with `fwfleet hold add` (config `[[holds]]` are not
-- stored). hosts: names or globs, comma-separated; selector: a label
-- selector; kinds: component kinds, comma-separated (NULL: every component);
-- version: a pin (the component is not moved past it) instead of a hold;
-- until: RFC 3339 expiry (NULL: until removed).
CREATE TABLE holds (
    id          INTEGER PRIMARY KEY,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    hosts       TEXT,
    selector    TEXT,
    kinds       TEXT,
    version     TEXT,
    reason      TEXT NOT NULL,
    until       TEXT
);
",
    },
];

/// The schema version this binary writes.
pub(super) const LATEST: i64 = MIGRATIONS.len() as i64;

/// Bring the database up to [`LATEST`], or refuse one that is newer.
///
/// `BEGIN IMMEDIATE` and reading the version inside the transaction make two
/// processes opening a fresh database at once safe: the second waits, then
/// finds nothing left to do.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), Fail> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > LATEST {
        return Err(Fail::TooNew { found });
    }
    let mut version = found;
    for (step, m) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(found).unwrap_or(0))
    {
        version = step as i64 + 1;
        tracing::info!(version, name = m.name, "applying store migration");
        tx.execute_batch(m.sql)?;
    }
    if version != found {
        tx.pragma_update(None, "user_version", version)?;
    }
    tx.commit()?;
    Ok(())
}

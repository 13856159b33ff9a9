//! The SQLite backend of [`Store`](super::Store): one file, `fwfleet.db`,
//! in the state directory, read and written synchronously under one
//! connection lock.
//!
//! fwfleet's own code never calls this type: it goes through the async
//! [`Store`](super::Store) handle, which runs these calls on the blocking
//! pool and turns the text columns into the journal's types. It is public
//! for tests and offline tools that read a state file as it is on disk
//! (rows here carry the columns' text, unparsed).
//!
//! Module map:
//!
//! - `mod.rs` (this file): [`SqliteStore`] (open, pragmas, the connection
//!   lock, the transaction helpers every accessor goes through).
//! - `migrations`: the ordered list of schema steps, tracked with
//!   `PRAGMA user_version`. The schema only ever moves forward; a database written
//!   by a newer fwfleet is refused rather than misread.
//! - `snapshots`: inventory snapshots, one per scan. A host's
//!   [`HostInventory`](crate::inventory::model::HostInventory) is kept whole as
//!   JSON: its serialisation is already a stable interface (docs/INVENTORY.md), so
//!   the store does not need a second schema for components.
//! - `journal`: runs, steps and events of the update engine. Every write is
//!   committed before the call returns, and a step's state change is also
//!   synced to disk, because the updater records before it acts: a step is
//!   written as `submitted` before the POST that starts a flash, and the task
//!   URI the moment it arrives. After a crash, or a power loss, what the store
//!   says was sent is what was sent.
//! - `control`: run controls (pause, resume, cancel), the plan frozen with
//!   each run, and stored holds and pins (migration 4).
//! - `durable`: the group commit behind those synced writes. Every write
//!   commits with `synchronous=NORMAL` under the connection lock; a synced
//!   one then waits, without the lock, for one fsync of the WAL that covers
//!   its commit and every other commit made meanwhile. The caller still
//!   returns only once its write is on disk; a few hundred hosts journaling at
//!   once share a handful of fsyncs instead of queueing for one each.
//!
//! The statements stay portable (numbered `?N` parameters, `INSERT … RETURNING
//! id`, `COALESCE`, text timestamps in RFC 3339 UTC, which sort as times)
//! because several instances are meant to share one PostgreSQL later (DESIGN
//! §8); only the DDL in `migrations` and the pragmas in [`SqliteStore::open`]
//! are SQLite's own.
//!
//! Calls block on disk I/O: well under a millisecond for a single-row write in WAL
//! mode, but the wait for an fsync (milliseconds, shared with concurrent
//! writers) for a step's state change, and a large fleet's inventory save
//! writes megabytes. That is why async code goes through the handle.

mod audit;
mod control;
mod durable;
mod journal;
mod migrations;
mod snapshots;
#[cfg(test)]
mod tests;

pub use audit::{AuditRow, NewAuditRow};
pub use control::{ControlRow, HoldRow, NewHoldRow, PlanRow};
pub use journal::{NewStep, RunRow, StateChange, StepRow};
pub(super) use snapshots::{EncodedScan, SAVE};

use super::StoreError;

use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// The file name of the database inside the state directory.
pub const DB_FILE: &str = "fwfleet.db";

/// How long a write waits for another process (a CLI command next to the daemon)
/// to release the database before failing with "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The SQLite database. `Send + Sync`; share one per process through an `Arc`.
pub struct SqliteStore {
    path: PathBuf,
    /// One connection behind a std (not tokio) mutex, as mini-redis does for its
    /// `Db`: every critical section is one short SQLite transaction with no
    /// `.await` inside, so a blocking lock is cheaper than an async one and cannot
    /// be held across a suspension point. A single connection also serialises this
    /// process's writers in memory instead of making them queue on SQLite's file
    /// lock; other processes are handled by WAL mode and the busy timeout.
    conn: Mutex<Connection>,
    /// Whether the database is in WAL mode: only then are synced writes made
    /// durable by [`durable::GroupSync`]; otherwise each commits with FULL.
    wal: bool,
    /// The group commit of synced writes (see `durable`).
    sync: durable::GroupSync,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

/// What can go wrong inside a transaction, before the store adds the database
/// path and the operation name (see [`SqliteStore::fail`]). Lets accessors use `?` on
/// rusqlite and serde_json results alike.
#[derive(Debug)]
enum Fail {
    Sql(rusqlite::Error),
    Json(serde_json::Error),
    Missing { what: &'static str, id: i64 },
    TooNew { found: i64 },
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Self {
        Fail::Sql(e)
    }
}

impl From<serde_json::Error> for Fail {
    fn from(e: serde_json::Error) -> Self {
        Fail::Json(e)
    }
}

/// How hard a write commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Durability {
    /// `synchronous=NORMAL`, the connection's default: committed and safe from a
    /// crash of fwfleet, but the last commits may roll back if the machine loses
    /// power. Right for inventory snapshots, which the next scan rewrites anyway,
    /// and for journal rows whose loss cannot make a flash start twice.
    Normal,
    /// What `synchronous=FULL` gives, by group commit: the WAL (with every
    /// earlier commit in it) is fsynced before the call returns, by an fsync
    /// that may cover other writers' commits too (`durable`). Step states need
    /// it: a `submitted` lost to a power cut after its POST went out would let
    /// a restarted fwfleet start the same flash again.
    Synced,
}

impl SqliteStore {
    /// Open (or create) `fwfleet.db` in `state_dir`, creating the directory
    /// (mode 0700 on unix) if needed, and bring its schema up to date.
    ///
    /// Fails with [`StoreError::SchemaTooNew`] when the database was written by a
    /// newer fwfleet: guessing at a schema we do not know could lose the journal.
    pub fn open(state_dir: &Path) -> Result<SqliteStore, StoreError> {
        create_private_dir(state_dir).map_err(|source| StoreError::CreateDir {
            path: state_dir.to_path_buf(),
            source,
        })?;
        let path = state_dir.join(DB_FILE);
        let sql = |op| {
            let db = path.clone();
            move |source| StoreError::Sqlite { db, op, source }
        };
        let conn = Connection::open(&path).map_err(sql("open the database"))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(sql("set the busy timeout"))?;
        // WAL lets readers (the HTTP API, a CLI command) run while the updater
        // writes, and makes a commit one append instead of two writes.
        let mode = enable_wal(&conn).map_err(sql("enable WAL mode"))?;
        let wal = mode.eq_ignore_ascii_case("wal");
        if !wal {
            // Some network file systems cannot share WAL's index; SQLite then
            // keeps its rollback journal, which is slower but just as safe.
            tracing::warn!(db = %path.display(), journal_mode = %mode,
                "the state directory's file system does not support WAL; using journal mode {mode}");
        }
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sql("set synchronous=NORMAL"))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(sql("enable foreign keys"))?;
        let store = SqliteStore {
            sync: durable::GroupSync::new(&path),
            path,
            conn: Mutex::new(conn),
            wal,
        };
        {
            let mut conn = store.lock();
            migrations::migrate(&mut conn).map_err(store.fail("migrate the schema"))?;
        }
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version this binary writes (the number of migration steps).
    pub fn schema_version() -> i64 {
        migrations::LATEST
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // Poisoning carries no information here: a panic inside a critical section
        // drops its rusqlite `Transaction`, which rolls back, so the connection is
        // never left mid-transaction. One panicked task must not stop the journal.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Turn a [`Fail`] into a [`StoreError`] naming this database and `op`.
    fn fail(&self, op: &'static str) -> impl FnOnce(Fail) -> StoreError + '_ {
        move |f| {
            let db = self.path.clone();
            match f {
                Fail::Sql(source) => StoreError::Sqlite { db, op, source },
                Fail::Json(source) => StoreError::Json { db, op, source },
                Fail::Missing { what, id } => StoreError::NotFound { db, op, what, id },
                Fail::TooNew { found } => StoreError::SchemaTooNew {
                    db,
                    found,
                    known: migrations::LATEST,
                },
            }
        }
    }

    /// Run `f` in one write transaction and commit it.
    ///
    /// `BEGIN IMMEDIATE` takes the write lock up front: a deferred transaction that
    /// reads first and writes later can fail at once with `SQLITE_BUSY` when
    /// another process wrote in between, without waiting out the busy timeout.
    ///
    /// Each call is its own transaction, so a write that fails rolls back alone
    /// and its error goes to its caller only. A [`Durability::Synced`] write
    /// then waits, without the connection lock, until an fsync that covers its
    /// commit has finished; concurrent synced writes share that fsync (group
    /// commit, see `durable`).
    fn write<T>(
        &self,
        op: &'static str,
        durability: Durability,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, Fail>,
    ) -> Result<T, StoreError> {
        if durability == Durability::Synced && !self.wal {
            return self.write_full(op, f);
        }
        let (value, ticket) = {
            let mut conn = self.lock();
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| self.fail(op)(e.into()))?;
            let value = f(&tx).map_err(self.fail(op))?;
            tx.commit().map_err(|e| self.fail(op)(e.into()))?;
            (value, self.sync.committed())
        };
        if durability == Durability::Synced {
            self.sync
                .wait_durable(ticket)
                .map_err(|source| StoreError::Sync {
                    db: self.path.clone(),
                    op,
                    source,
                })?;
        }
        Ok(value)
    }

    /// A synced write without WAL (a file system that cannot share WAL's
    /// index): `synchronous=FULL` for this one commit, under the connection
    /// lock. Slower, just as safe.
    fn write_full<T>(
        &self,
        op: &'static str,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, Fail>,
    ) -> Result<T, StoreError> {
        let mut conn = self.lock();
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| self.fail(op)(e.into()))?;
        let result = (|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })();
        // Back to the default even if the transaction failed, so a later
        // inventory save does not pay for an fsync it does not need.
        if let Err(e) = conn.pragma_update(None, "synchronous", "NORMAL") {
            return Err(self.fail(op)(e.into()));
        }
        result.map_err(self.fail(op))
    }

    /// Run `f` in one read transaction, so that the several queries of one call
    /// (a scan row and its hosts) see the same snapshot even while another
    /// process writes.
    fn read<T>(
        &self,
        op: &'static str,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, Fail>,
    ) -> Result<T, StoreError> {
        let mut conn = self.lock();
        let result = (|| {
            let tx = conn.transaction()?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })();
        result.map_err(self.fail(op))
    }
}

/// The current time as stored: RFC 3339 in UTC with milliseconds, fixed width, so
/// that text order is time order in SQLite and PostgreSQL alike.
fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A `usize` as SQL integer (`LIMIT`, counts); saturates where no fleet reaches.
fn sql_int(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Create the state directory and its missing parents. New directories are
/// private (0700) on unix: the database holds the fleet's serial numbers and
/// firmware levels. An existing directory keeps the mode the operator gave it.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Switch to WAL, waiting out other processes doing the same. The switch
/// needs an exclusive lock, and SQLite answers `SQLITE_BUSY` for it at once
/// rather than through the busy handler (waiting there could deadlock two
/// openers), so several fwfleet commands started together on a new state
/// directory would fail without this retry.
fn enable_wal(conn: &Connection) -> rusqlite::Result<String> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    let mut wait = std::time::Duration::from_millis(5);
    loop {
        match conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0)) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(wait);
                wait = (wait * 2).min(std::time::Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

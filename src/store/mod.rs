//! The state store: the update engine's journal and the inventory
//! snapshots, behind one async handle, [`Store`].
//!
//! Module map:
//!
//! - `mod.rs` (this file): [`Store`] (open, the backend it wraps, the
//!   blocking boundary every call crosses) and [`StoreError`].
//! - `journal`: runs, steps and events ([`Store::create_run`],
//!   [`Store::steps_in_flight`], …) with the journal's typed rows ([`Run`],
//!   [`Step`], [`Event`]), and [`StepJournal`], the one way a step's state
//!   changes: the step executor, the activation of staged images and resume
//!   all record through it.
//! - `snapshots`: inventory snapshots, one per scan ([`Store::save_inventory`],
//!   [`Store::latest_inventory`], [`Store::latest_host`], …).
//! - `audit`: the audit trail of mutating calls ([`Store::begin_audit`],
//!   [`Store::finish_audit`], [`Store::audit`]) with [`AuditRecord`].
//! - `control`: steering runs ([`Store::request_control`],
//!   [`Store::ack_control`], [`Store::control`]), the plan frozen with each
//!   run ([`Store::freeze_plan`]) and stored holds and pins
//!   ([`Store::add_hold`], [`Store::holds`]).
//! - [`sqlite`]: the first backend, [`SqliteStore`] (one file, WAL, group
//!   commit, migrations by `user_version`). Its SQL is the only SQL in
//!   fwfleet.
//!
//! Why a handle: every store call blocks on disk (an fsync for each step
//! state, megabytes for a large fleet's scan), and callers are async. The
//! handle runs each call on tokio's blocking pool, so a slow disk never
//! stalls the runtime's workers, and it is the seam where a second backend
//! goes: the PostgreSQL backend (several instances sharing one database,
//! DESIGN §8) becomes another `Backend` variant with the same methods, so
//! the statements stay portable (numbered `?N` parameters, `INSERT …
//! RETURNING id`, `COALESCE`, RFC 3339 UTC text timestamps).
//!
//! The store's schema (tables, columns and the spellings in them, see
//! `sqlite::migrations` and [`crate::vocab`]) is a stable interface: a
//! database written by an earlier fwfleet is read as it was
//! (tests/fixtures/store-v2).
//!
//! Secrets never go into the store: the file outlives every session and is
//! copied into bug reports. Callers must not pass credentials, session tokens or
//! URLs with a user name or password in them to any method here. The inventory
//! types carry none; run options, step messages and events must be built from
//! redacted values ([`Secret`](crate::secret::Secret) prints as `[redacted]`).

mod audit;
mod control;
mod journal;
mod snapshots;
pub mod sqlite;

pub use crate::vocab::{RunStatus, StepOutcome, StepState};
pub use audit::{AuditRecord, NewAudit};
pub use control::{FrozenPlan, NewHold, RunControl, StoredHold};
pub use journal::{Event, NewStep, Run, Step, StepJournal};
pub use snapshots::ScanSummary;
pub use sqlite::{SqliteStore, DB_FILE};

use crate::vocab::UnknownWord;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The state store. Cheap to clone (one `Arc`); every clone is the same
/// database. Every method is async and runs its I/O off the async threads.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
}

/// The databases a [`Store`] can stand for.
#[derive(Debug, Clone)]
enum Backend {
    /// One SQLite file in the state directory.
    Sqlite(Arc<SqliteStore>),
}

/// Why a store operation failed. Each error names the database file and what the
/// store was doing; the SQLite or JSON cause is kept as the error's source.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the state directory {}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot {op} (database {})", db.display())]
    Sqlite {
        db: PathBuf,
        op: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot {op}: invalid JSON (database {})", db.display())]
    Json {
        db: PathBuf,
        op: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot {op}: no {what} with id {id} (database {})", db.display())]
    NotFound {
        db: PathBuf,
        op: &'static str,
        what: &'static str,
        id: i64,
    },
    #[error(
        "database schema version {found} is newer than this fwfleet ({known}); upgrade fwfleet \
         (database {})",
        db.display()
    )]
    SchemaTooNew { db: PathBuf, found: i64, known: i64 },
    /// The blocking thread that ran a write died (a panic); the write may not have happened.
    #[error("a store write did not finish: {0}")]
    Task(String),
    /// A row holds a state, outcome or status this fwfleet has no word for:
    /// guessing (say, "not in flight") could flash twice.
    #[error(
        "cannot {op}: {source} in {what} {id} (database {}); was it written by a newer fwfleet? \
         upgrade fwfleet",
        db.display()
    )]
    Word {
        db: PathBuf,
        op: &'static str,
        what: &'static str,
        id: i64,
        source: Box<UnknownWord>,
    },
    /// A synced write was committed but the fsync that should have made it
    /// durable failed (now or earlier: the first failure is final for the store).
    #[error(
        "cannot {op}: the journal could not be written to disk (fsync failed; database {}); \
         check the disk and restart fwfleet",
        db.display()
    )]
    Sync {
        db: PathBuf,
        op: &'static str,
        #[source]
        source: std::io::Error,
    },
}

impl Store {
    /// Open (or create) the SQLite store in `state_dir`, creating the
    /// directory (mode 0700 on unix) if needed, and bring its schema up to
    /// date. Fails with [`StoreError::SchemaTooNew`] for a database written by
    /// a newer fwfleet.
    pub async fn open(state_dir: &Path) -> Result<Store, StoreError> {
        let dir = state_dir.to_path_buf();
        let db = offload(move || SqliteStore::open(&dir)).await?;
        Ok(Store::sqlite(Arc::new(db)))
    }

    /// A handle on a SQLite database opened already (a test that also reads
    /// the file directly shares the connection and its group commit).
    pub fn sqlite(db: Arc<SqliteStore>) -> Store {
        Store {
            backend: Backend::Sqlite(db),
        }
    }

    /// Where the store is, for messages: the database file.
    pub fn path(&self) -> &Path {
        let Backend::Sqlite(db) = &self.backend;
        db.path()
    }

    /// The schema version this binary writes.
    pub fn schema_version() -> i64 {
        SqliteStore::schema_version()
    }

    /// Run `f` on the SQLite backend, on the blocking pool: the one place
    /// where a store call crosses from async code to the disk.
    async fn sqlite_call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&SqliteStore) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let Backend::Sqlite(db) = &self.backend;
        let db = db.clone();
        offload(move || f(&db)).await
    }

    /// A row's word that this fwfleet does not know, as an error naming the
    /// database, the operation and the row.
    fn word(
        &self,
        op: &'static str,
        what: &'static str,
        id: i64,
    ) -> impl Fn(UnknownWord) -> StoreError + '_ {
        move |source| StoreError::Word {
            db: self.path().to_path_buf(),
            op,
            what,
            id,
            source: Box::new(source),
        }
    }
}

/// `f` on tokio's blocking pool; a panic there is a [`StoreError::Task`]
/// (the write may or may not have happened).
async fn offload<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
}

//! The audit trail: one row per mutating call (API or CLI), written
//! `started` before the call acts and finished with its outcome afterwards.
//!
//! The `started` row is synced (a power cut must not lose the record of a
//! call that went on to act); finishing it is an ordinary commit.

use super::{now, sql_int, Durability, Fail, SqliteStore, StoreError};
use rusqlite::{params, Row};

/// An audit row as the table holds it: role, channel and outcome as text.
pub type AuditRow = crate::store::AuditRecord<String, String, String>;

/// A call about to act, as text.
pub type NewAuditRow<'a> = crate::store::NewAudit<'a, &'a str, &'a str>;

const COLUMNS: &str =
    "id, at, finished_at, who, role, via, origin, action, target, outcome, detail";

fn row(r: &Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        id: r.get(0)?,
        at: r.get(1)?,
        finished_at: r.get(2)?,
        who: r.get(3)?,
        role: r.get(4)?,
        via: r.get(5)?,
        origin: r.get(6)?,
        action: r.get(7)?,
        target: r.get(8)?,
        outcome: r.get(9)?,
        detail: r.get(10)?,
    })
}

impl SqliteStore {
    /// Record a call before it acts; its outcome is `started` until
    /// [`SqliteStore::finish_audit`].
    pub fn begin_audit(&self, a: &NewAuditRow<'_>, outcome: &str) -> Result<i64, StoreError> {
        self.write("record an audit entry", Durability::Synced, |tx| {
            Ok(tx.query_row(
                "INSERT INTO audit (at, who, role, via, origin, action, target, outcome, detail) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
                params![
                    now(),
                    a.who,
                    a.role,
                    a.via,
                    a.origin,
                    a.action,
                    a.target,
                    outcome,
                    a.detail
                ],
                |r| r.get(0),
            )?)
        })
    }

    /// How a recorded call ended; `detail` (when given) is added to the
    /// row's on a line of its own, so the request and why it failed stay
    /// together.
    pub fn finish_audit(
        &self,
        id: i64,
        outcome: &str,
        target: Option<&str>,
        detail: Option<&str>,
    ) -> Result<(), StoreError> {
        self.write("finish an audit entry", Durability::Normal, |tx| {
            let n = tx.execute(
                "UPDATE audit SET finished_at = ?2, outcome = ?3, \
                 target = COALESCE(?4, target), \
                 detail = CASE WHEN ?5 IS NULL THEN detail WHEN detail IS NULL THEN ?5 \
                 ELSE detail || char(10) || ?5 END WHERE id = ?1",
                params![id, now(), outcome, target, detail],
            )?;
            if n == 0 {
                return Err(Fail::Missing {
                    what: "audit entry",
                    id,
                });
            }
            Ok(())
        })
    }

    /// The latest `limit` entries with an id below `before` (all when
    /// `None`), newest first.
    pub fn audit_entries(
        &self,
        limit: usize,
        before: Option<i64>,
    ) -> Result<Vec<AuditRow>, StoreError> {
        self.read("read the audit trail", |tx| {
            let mut stmt = tx.prepare(&format!(
                "SELECT {COLUMNS} FROM audit WHERE id < ?2 ORDER BY id DESC LIMIT ?1"
            ))?;
            let rows = stmt.query_map(params![sql_int(limit), before.unwrap_or(i64::MAX)], row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }
}

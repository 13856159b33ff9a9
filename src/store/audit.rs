//! The audit trail through the handle: who called what, when, from where,
//! and how it ended (docs/SECURITY.md#audit).
//!
//! Every mutating call of the API and the CLI goes through
//! [`Store::begin_audit`] *before* it acts and [`Store::finish_audit`]
//! afterwards. A call whose row cannot be written does not act: an action
//! that leaves no trace is worse than one refused.

use super::sqlite::{AuditRow, NewAuditRow};
use super::{Store, StoreError};
use crate::vocab::{ApiRole, AuditOutcome, AuditVia};
use serde::Serialize;

/// One recorded call, as `GET /api/v1/audit` and `fwfleet audit --format
/// json` show it. The SQLite rows ([`AuditRow`]) carry the words as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord<Role = ApiRole, Via = AuditVia, Outcome = AuditOutcome> {
    pub id: i64,
    /// When the call was received (RFC 3339 UTC).
    pub at: String,
    pub finished_at: Option<String>,
    /// `token:NAME` for the API, `user:NAME` for a local command.
    pub who: String,
    /// The token's role (API calls only).
    pub role: Option<Role>,
    pub via: Via,
    /// The peer's address (API) or where the local user came from (CLI).
    pub origin: String,
    /// What was asked: `runs.start`, `runs.cancel`, `apply`, `repo.add`, `trust`, …
    pub action: String,
    /// What it was asked of: a run id, a host selection, an entry, a file.
    pub target: Option<String>,
    pub outcome: Outcome,
    /// The request's options, or why it failed or was denied.
    pub detail: Option<String>,
}

/// A call about to act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAudit<'a, Role = ApiRole, Via = AuditVia> {
    pub who: &'a str,
    pub role: Option<Role>,
    pub via: Via,
    pub origin: &'a str,
    pub action: &'a str,
    pub target: Option<&'a str>,
    pub detail: Option<&'a str>,
}

impl Store {
    /// Record a call before it acts (outcome `started`), or, with
    /// `AuditOutcome::Denied`, a call refused before it could act.
    pub async fn begin_audit(
        &self,
        a: &NewAudit<'_>,
        outcome: AuditOutcome,
    ) -> Result<i64, StoreError> {
        let owned = (
            a.who.to_string(),
            a.role.map(ApiRole::as_str),
            a.via.as_str(),
            a.origin.to_string(),
            a.action.to_string(),
            a.target.map(str::to_string),
            a.detail.map(str::to_string),
        );
        self.sqlite_call(move |db| {
            let (who, role, via, origin, action, target, detail) = &owned;
            db.begin_audit(
                &NewAuditRow {
                    who,
                    role: *role,
                    via,
                    origin,
                    action,
                    target: target.as_deref(),
                    detail: detail.as_deref(),
                },
                outcome.as_str(),
            )
        })
        .await
    }

    /// How a recorded call ended; `target` and `detail` fill in what was
    /// learnt while acting (the run id it created, why it failed).
    pub async fn finish_audit(
        &self,
        id: i64,
        outcome: AuditOutcome,
        target: Option<String>,
        detail: Option<String>,
    ) -> Result<(), StoreError> {
        self.sqlite_call(move |db| {
            db.finish_audit(id, outcome.as_str(), target.as_deref(), detail.as_deref())
        })
        .await
    }

    /// The latest `limit` entries older than id `before` (all when `None`),
    /// newest first.
    pub async fn audit(
        &self,
        limit: usize,
        before: Option<i64>,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let rows = self
            .sqlite_call(move |db| db.audit_entries(limit, before))
            .await?;
        rows.into_iter().map(|r| self.typed_audit(r)).collect()
    }

    fn typed_audit(&self, r: AuditRow) -> Result<AuditRecord, StoreError> {
        const OP: &str = "read the audit trail";
        let word = self.word(OP, "audit entry", r.id);
        Ok(AuditRecord {
            role: r
                .role
                .as_deref()
                .map(ApiRole::parse)
                .transpose()
                .map_err(&word)?,
            via: AuditVia::parse(&r.via).map_err(&word)?,
            outcome: AuditOutcome::parse(&r.outcome).map_err(&word)?,
            id: r.id,
            at: r.at,
            finished_at: r.finished_at,
            who: r.who,
            origin: r.origin,
            action: r.action,
            target: r.target,
            detail: r.detail,
        })
    }
}

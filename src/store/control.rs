//! Steering runs through the handle: run controls ([`RunControl`]), frozen
//! plans ([`FrozenPlan`]) and stored holds ([`StoredHold`]), typed.
//!
//! The control of a run lives in the store, not in the process running it,
//! so `fwfleet run pause` in one shell reaches an `apply` in another, a
//! pause of a `serve` run outlives a restart, and the API and the CLI steer
//! the same way (docs/APPLY.md#steering).

use super::sqlite::{ControlRow, HoldRow, NewHoldRow};
use super::{Store, StoreError};
use crate::vocab::Control;
use serde::Serialize;

/// What an operator asked of a run and what its executor did about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunControl {
    pub run_id: i64,
    pub requested: Control,
    /// `token:NAME` (API) or `user:NAME` (CLI); `executor` when no operator
    /// ever asked anything.
    pub requested_by: String,
    pub reason: Option<String>,
    pub requested_at: String,
    /// What the executor recorded last, once it has.
    pub acked: Option<Control>,
    pub acked_at: Option<String>,
}

impl RunControl {
    /// The one word `status`, the API and metrics show for a running run:
    /// `running`, `pausing` (asked, not yet acknowledged), `paused`,
    /// `resuming`, `cancelling`.
    pub fn state(&self) -> &'static str {
        match (self.requested, self.acked) {
            (Control::Paused, Some(Control::Paused)) => "paused",
            (Control::Paused, _) => "pausing",
            (Control::Cancelled, _) => "cancelling",
            (Control::Running, Some(Control::Paused)) => "resuming",
            (Control::Running, _) => "running",
        }
    }
}

/// The plan a run was created with, frozen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrozenPlan {
    pub run_id: i64,
    pub frozen_at: String,
    pub hosts: i64,
    pub steps: i64,
    /// The planned jobs (`updater::control::PlanEntry` per step).
    pub plan: serde_json::Value,
}

/// A hold or pin added with `fwfleet hold add`.
pub type StoredHold = HoldRow;

/// A hold or pin to add.
pub type NewHold<'a> = NewHoldRow<'a>;

impl Store {
    /// Ask run `run_id` to be `requested` (synced before it returns).
    pub async fn request_control(
        &self,
        run_id: i64,
        requested: Control,
        by: &str,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        let (by, reason) = (by.to_string(), reason.map(str::to_string));
        self.sqlite_call(move |db| {
            db.request_control(run_id, requested.as_str(), &by, reason.as_deref())
        })
        .await
    }

    /// What the executor of run `run_id` has done.
    pub async fn ack_control(&self, run_id: i64, acked: Control) -> Result<(), StoreError> {
        self.sqlite_call(move |db| db.ack_control(run_id, acked.as_str()))
            .await
    }

    /// The control of run `run_id`, if it was ever steered or acknowledged.
    pub async fn control(&self, run_id: i64) -> Result<Option<RunControl>, StoreError> {
        let row = self.sqlite_call(move |db| db.control(run_id)).await?;
        row.map(|r| self.control_of(r)).transpose()
    }

    fn control_of(&self, r: ControlRow) -> Result<RunControl, StoreError> {
        let word = self.word("read a run control", "run control", r.run_id);
        Ok(RunControl {
            requested: Control::parse(&r.requested).map_err(&word)?,
            acked: r
                .acked
                .as_deref()
                .map(Control::parse)
                .transpose()
                .map_err(&word)?,
            run_id: r.run_id,
            requested_by: r.requested_by,
            reason: r.reason,
            requested_at: r.requested_at,
            acked_at: r.acked_at,
        })
    }

    /// Freeze the plan of run `run_id` (the first freeze wins).
    pub async fn freeze_plan<T: Serialize + ?Sized>(
        &self,
        run_id: i64,
        hosts: usize,
        steps: usize,
        plan: &T,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(plan).map_err(|source| StoreError::Json {
            db: self.path().to_path_buf(),
            op: "freeze a run's plan",
            source,
        })?;
        self.sqlite_call(move |db| db.freeze_plan(run_id, hosts as i64, steps as i64, &json))
            .await
    }

    /// The frozen plan of run `run_id`.
    pub async fn frozen_plan(&self, run_id: i64) -> Result<Option<FrozenPlan>, StoreError> {
        let row = self.sqlite_call(move |db| db.frozen_plan(run_id)).await?;
        row.map(|r| {
            Ok(FrozenPlan {
                plan: serde_json::from_str(&r.plan_json).map_err(|source| StoreError::Json {
                    db: self.path().to_path_buf(),
                    op: "read a run's plan",
                    source,
                })?,
                run_id: r.run_id,
                frozen_at: r.frozen_at,
                hosts: r.hosts,
                steps: r.steps,
            })
        })
        .transpose()
    }

    /// Add a hold or pin; its id.
    pub async fn add_hold(&self, h: &NewHold<'_>) -> Result<i64, StoreError> {
        let owned = (
            h.created_by.to_string(),
            h.hosts.map(str::to_string),
            h.selector.map(str::to_string),
            h.kinds.map(str::to_string),
            h.version.map(str::to_string),
            h.reason.to_string(),
            h.until.map(str::to_string),
        );
        self.sqlite_call(move |db| {
            let (by, hosts, selector, kinds, version, reason, until) = &owned;
            db.add_hold(&NewHoldRow {
                created_by: by,
                hosts: hosts.as_deref(),
                selector: selector.as_deref(),
                kinds: kinds.as_deref(),
                version: version.as_deref(),
                reason,
                until: until.as_deref(),
            })
        })
        .await
    }

    /// Remove hold `id`.
    pub async fn remove_hold(&self, id: i64) -> Result<(), StoreError> {
        self.sqlite_call(move |db| db.remove_hold(id)).await
    }

    /// Every stored hold and pin, oldest first.
    pub async fn holds(&self) -> Result<Vec<StoredHold>, StoreError> {
        self.sqlite_call(|db| db.holds()).await
    }
}

//! What a rollout reports per host and per step: the JSON of `fwfleet apply
//! --format json` and the rows of its table, a stable interface.
//!
//! These types sit below both the host runner (`host`), which fills them in,
//! and the progress sinks (`progress`, the daemon's metrics), which read
//! them, so neither has to reach into the other.

use crate::vocab::{Kind, StepOutcome};
use serde::{Serialize, Serializer};
use std::fmt;

/// What a report says about a step or a host: the outcome it ended with,
/// or that it never started (halted, interrupted, an earlier step failed).
/// Spelled as the outcome, or `not-started`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReportOutcome {
    Ended(StepOutcome),
    NotStarted,
}

impl ReportOutcome {
    pub const fn as_str(self) -> &'static str {
        match self {
            ReportOutcome::Ended(o) => o.as_str(),
            ReportOutcome::NotStarted => "not-started",
        }
    }

    /// The outcome, when the step or host ended with one.
    pub fn outcome(self) -> Option<StepOutcome> {
        match self {
            ReportOutcome::Ended(o) => Some(o),
            ReportOutcome::NotStarted => None,
        }
    }
}

impl From<StepOutcome> for ReportOutcome {
    fn from(o: StepOutcome) -> Self {
        ReportOutcome::Ended(o)
    }
}

impl PartialEq<StepOutcome> for ReportOutcome {
    fn eq(&self, other: &StepOutcome) -> bool {
        *self == ReportOutcome::Ended(*other)
    }
}

impl PartialEq<&str> for ReportOutcome {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for ReportOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl Serialize for ReportOutcome {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// How one step of a host ended, for reports.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    pub component: String,
    pub identity: String,
    pub kind: Kind,
    pub from: Option<String>,
    pub to: String,
    pub method: Option<String>,
    pub outcome: ReportOutcome,
    pub message: String,
    pub step_id: Option<i64>,
    pub duration_ms: u64,
    /// Sent before the maintenance window's end, ended after it (followed
    /// to its end; event `overran-window`). In the JSON only when true.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub overran_window: bool,
}

/// How one host ended.
#[derive(Debug, Clone, Serialize)]
pub struct HostReport {
    pub name: String,
    /// `updated`, `staged`, a failing step's outcome, `cancelled`
    /// (interrupted), `deferred` (the maintenance window closed before a
    /// step's request or the reset: not a failure), `not-started` (halted
    /// or interrupted before it began).
    pub result: ReportOutcome,
    /// Whether this host counts against the failure budget and the exit code.
    pub failed: bool,
    pub message: String,
    pub steps: Vec<StepReport>,
    pub duration_ms: u64,
}

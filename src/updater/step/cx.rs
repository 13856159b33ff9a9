//! What a step keeps between its phases, and the one way it records them.

use super::{ProgressFn, ResetRequest, StepOutcome, StepResult, StepSpec};
use crate::redfish::client::BmcClient;
use crate::redfish::update_service::UpdateCaps;
use crate::store::{StepJournal, StoreError};
use crate::vocab::StepState;
use std::time::{Duration, Instant};

/// Everything `execute` keeps between phases.
pub(super) struct Ctx<'a> {
    pub(super) client: &'a BmcClient,
    pub(super) journal: StepJournal,
    pub(super) spec: &'a StepSpec,
    pub(super) host: String,
    pub(super) t0: Instant,
    pub(super) progress: &'a ProgressFn,
    /// A resumed step whose task had vanished: the old version then means
    /// the update never happened, not that the BMC ignored a success.
    pub(super) vanished: bool,
    /// What the BMC offers (iLO's `Oem.Hpe` state, the Dell job queue).
    pub(super) caps: Option<&'a UpdateCaps>,
    /// Verifying after the coordinated reset: a staged image still listed
    /// means the POST has not applied it yet, not "staged".
    pub(super) after_reset: bool,
    /// What happened on the way that the final message must say (a BMC
    /// reboot ridden out, an answer lost after the request was sent).
    pub(super) notes: std::sync::Mutex<Vec<String>>,
    /// The BMC went away while the step ran, and the task was gone after.
    pub(super) lost: std::sync::Mutex<(bool, bool)>,
}

impl<'a> Ctx<'a> {
    pub(super) fn new(
        client: &'a BmcClient,
        journal: StepJournal,
        spec: &'a StepSpec,
        progress: &'a ProgressFn,
    ) -> Ctx<'a> {
        Ctx {
            client,
            journal,
            spec,
            host: client.host().to_string(),
            t0: Instant::now(),
            progress,
            vanished: false,
            caps: None,
            after_reset: false,
            notes: std::sync::Mutex::new(Vec::new()),
            lost: std::sync::Mutex::new((false, false)),
        }
    }

    pub(super) async fn state(
        &self,
        state: StepState,
        task_uri: Option<String>,
    ) -> Result<(), StoreError> {
        self.journal.enter(state, task_uri.as_deref()).await?;
        (self.progress)(state.as_str(), None);
        Ok(())
    }

    pub(super) async fn event(
        &self,
        kind: &'static str,
        message: String,
    ) -> Result<(), StoreError> {
        tracing::debug!(host = %self.host, component = %self.spec.identity, "{message}");
        self.journal.event(kind, &message).await
    }

    /// Something the final message must say.
    pub(super) fn note(&self, what: String) {
        if let Ok(mut n) = self.notes.lock() {
            n.push(what);
        }
    }

    /// The BMC was away (rebooted) while this step ran.
    pub(super) fn rebooted(&self) {
        if let Ok(mut l) = self.lost.lock() {
            l.0 = true;
        }
    }

    /// The task was gone when it was next looked for.
    pub(super) fn task_gone(&self) {
        if let Ok(mut l) = self.lost.lock() {
            l.1 = true;
        }
    }

    /// Whether a BMC reboot took the task with it.
    pub(super) fn lost_in_reboot(&self) -> bool {
        self.lost.lock().map(|l| l.0 && l.1).unwrap_or(false)
    }

    pub(super) async fn finish(
        &self,
        outcome: StepOutcome,
        message: String,
        reset: Option<ResetRequest>,
    ) -> Result<StepResult, StoreError> {
        let notes = self.notes.lock().map(|n| n.join("; ")).unwrap_or_default();
        let message = if notes.is_empty() {
            message
        } else {
            format!("{message} ({notes})")
        };
        self.journal.finish(outcome, &message).await?;
        if outcome.is_success() {
            tracing::debug!(host = %self.host, component = %self.spec.identity, outcome = %outcome, "{message}");
        } else {
            tracing::warn!(host = %self.host, component = %self.spec.identity, outcome = %outcome, "{message}");
        }
        (self.progress)(outcome.as_str(), None);
        Ok(StepResult {
            step_id: self.journal.step_id(),
            outcome,
            message,
            reset,
            new_certificate: None,
            duration: self.t0.elapsed(),
        })
    }

    pub(super) fn left(&self) -> Duration {
        self.spec.deadline.saturating_sub(self.t0.elapsed())
    }

    pub(super) fn who(&self) -> String {
        format!("{} {}", self.host, self.spec.identity)
    }
}

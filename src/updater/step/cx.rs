//! What a step keeps between its phases, and the one way it records them.

use super::{ProgressFn, ResetRequest, StepOutcome, StepResult, StepSpec};
use crate::redfish::client::BmcClient;
use crate::redfish::update_service::UpdateCaps;
use crate::store::{StepJournal, StoreError};
use crate::updater::window::{rfc3339, Action, Closed};
use crate::vocab::StepState;
use chrono::Utc;
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
    /// Something that may flash reached the BMC in this step (the request,
    /// or the coordinated reset before a re-verify): ending after the
    /// window's end is then an overrun, journaled `overran-window`.
    pub(super) sent: std::sync::atomic::AtomicBool,
    /// The window's end refused an action on the way (`StartUpdate`).
    pub(super) closed: std::sync::Mutex<Option<Closed>>,
    /// After a refused `StartUpdate` of a held update: whether the BMC
    /// cancelled it.
    pub(super) held_cancelled: std::sync::Mutex<Option<bool>>,
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
            sent: std::sync::atomic::AtomicBool::new(false),
            closed: std::sync::Mutex::new(None),
            held_cancelled: std::sync::Mutex::new(None),
        }
    }

    /// Whether `what` may still start (the window's end, asked right before
    /// it); a refusal is kept for the step's final message.
    pub(super) fn may_start(&self, what: Action) -> Result<(), Closed> {
        let r = self.spec.window.may_start(what);
        if let Err(c) = r {
            if let Ok(mut k) = self.closed.lock() {
                *k = Some(c);
            }
        }
        r
    }

    /// What the window's end refused on the way, if anything.
    pub(super) fn refused(&self) -> Option<Closed> {
        self.closed.lock().ok().and_then(|c| *c)
    }

    pub(super) async fn state(
        &self,
        state: StepState,
        task_uri: Option<String>,
    ) -> Result<(), StoreError> {
        if state == StepState::Submitted {
            self.sent.store(true, std::sync::atomic::Ordering::Relaxed);
        }
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
        // A task already running at the window's end was followed to its
        // end, never abandoned; ending late is on record, the outcome is
        // the real one.
        // (A `deferred` step sent nothing that still runs: a held update
        // cancelled before its StartUpdate.)
        let late = if self.sent.load(std::sync::atomic::Ordering::Relaxed)
            && outcome != StepOutcome::Deferred
        {
            self.spec.window.overran(Utc::now())
        } else {
            None
        };
        if let (Some(late), Some(end)) = (late, self.spec.window.end()) {
            let text = format!(
                "{}: ran past the maintenance window's end {}: ended {} ({}s late, {outcome}); a running update is followed to its end, never abandoned",
                self.who(),
                rfc3339(end),
                rfc3339(Utc::now()),
                late.num_seconds()
            );
            tracing::warn!(host = %self.host, component = %self.spec.identity, "{text}");
            self.journal.event("overran-window", &text).await?;
        }
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
            overran_window: late.is_some(),
        })
    }

    pub(super) fn left(&self) -> Duration {
        self.spec.deadline.saturating_sub(self.t0.elapsed())
    }

    pub(super) fn who(&self) -> String {
        format!("{} {}", self.host, self.spec.identity)
    }
}

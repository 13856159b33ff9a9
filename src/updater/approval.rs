//! Manual gates between phases (issue 21 item 1): a phase with `approve =
//! true` ends with the run waiting until an operator approves it (`fwfleet
//! run approve ID`, `POST /api/v1/runs/{id}/approve`).
//!
//! The gate's state is the run's journal, so that any process can read and
//! approve it and no store migration is needed: the rollout records a
//! `gate-waiting` event (`phase NAME: waiting for approval …`), [`approve`]
//! records `approved` (`phase NAME: approved by WHO`), and the waiting
//! rollout polls the journal (sooner when this process approved) until the
//! approval is there or the run is cancelled.

use crate::store::{Event, Store, StoreError};
use crate::vocab::RunStatus;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::Notify;

/// The journal's event kinds of a gate.
pub const WAITING: &str = "gate-waiting";
pub const APPROVED: &str = "approved";

/// How often a waiting rollout reads the journal: an approval from another
/// process is seen within this long.
pub const POLL: Duration = Duration::from_millis(250);

fn waker() -> &'static Notify {
    static WAKE: OnceLock<Notify> = OnceLock::new();
    WAKE.get_or_init(Notify::new)
}

/// A gate that waits, read from the journal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Waiting {
    /// The phase that ended and waits for approval before the next.
    pub phase: String,
    /// When it began waiting (the `gate-waiting` event's time).
    pub since: String,
}

/// The phase an event of a gate names (`phase NAME: …`).
pub fn phase_of(message: &str) -> Option<&str> {
    message.strip_prefix("phase ")?.split(':').next()
}

/// The gate waiting in `events` (a run's, oldest first), if any.
pub fn waiting(events: &[Event]) -> Option<Waiting> {
    let mut open: Option<Waiting> = None;
    for e in events {
        match e.kind.as_str() {
            WAITING => {
                open = phase_of(&e.message).map(|p| Waiting {
                    phase: p.to_string(),
                    since: e.at.clone(),
                })
            }
            APPROVED
                if open
                    .as_ref()
                    .is_some_and(|w| phase_of(&e.message) == Some(w.phase.as_str())) =>
            {
                open = None;
            }
            _ => {}
        }
    }
    open
}

/// The gate run `run_id` waits at, when the run is running.
pub async fn waiting_of(store: &Store, run_id: i64) -> Result<Option<Waiting>, StoreError> {
    match store.run(run_id).await? {
        Some(r) if r.status == RunStatus::Running => Ok(waiting(&store.events(run_id).await?)),
        _ => Ok(None),
    }
}

/// Why a run could not be approved.
#[derive(Debug, thiserror::Error)]
pub enum ApproveError {
    #[error("no run {0}; `fwfleet status` (or GET /api/v1/runs) lists them")]
    NotFound(i64),
    #[error("run {id} is not running (status {status}); only a running run waiting at a phase gate can be approved")]
    NotActive { id: i64, status: RunStatus },
    #[error("run {0} is not waiting for approval: no phase gate is open\n  hint: `fwfleet status --run {0}` shows its phases; a gate opens when a phase with approve = true ends")]
    NotWaiting(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Approve the gate run `run_id` waits at, recorded with who and why; the
/// phase approved is returned. The rollout goes on at its next read of the
/// journal (at once in this process).
pub async fn approve(
    store: &Store,
    run_id: i64,
    who: &str,
    reason: Option<&str>,
) -> Result<String, ApproveError> {
    let run = store
        .run(run_id)
        .await?
        .ok_or(ApproveError::NotFound(run_id))?;
    if run.status != RunStatus::Running {
        return Err(ApproveError::NotActive {
            id: run_id,
            status: run.status,
        });
    }
    let w = waiting(&store.events(run_id).await?).ok_or(ApproveError::NotWaiting(run_id))?;
    store
        .add_event(
            run_id,
            None,
            APPROVED,
            &format!(
                "phase {}: approved by {who}{}",
                w.phase,
                reason.map(|r| format!(" ({r})")).unwrap_or_default()
            ),
        )
        .await?;
    waker().notify_waiters();
    Ok(w.phase)
}

/// Who approved `phase` in `events` (the newest approval's text after `by `).
pub fn approved_by(events: &[Event], phase: &str) -> Option<String> {
    events.iter().rev().find_map(|e| {
        (e.kind == APPROVED && phase_of(&e.message) == Some(phase)).then(|| {
            e.message
                .split_once("approved by ")
                .map_or_else(String::new, |(_, by)| by.to_string())
        })
    })
}

/// Open the gate after `phase` (journal `gate-waiting`, with `message`) and
/// wait until it is approved: `Some(who)`; `None` when `cancel` fires first.
pub async fn wait(
    store: &Store,
    run_id: i64,
    phase: &str,
    message: &str,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<Option<String>, StoreError> {
    store
        .add_event(run_id, None, WAITING, &format!("phase {phase}: {message}"))
        .await?;
    loop {
        // Registered before the read: an approval between the read and the
        // sleep still wakes it.
        let woken = waker().notified();
        let events = store.events(run_id).await?;
        if waiting(&events).is_none() {
            return Ok(Some(approved_by(&events, phase).unwrap_or_default()));
        }
        tokio::select! {
            _ = woken => {}
            _ = tokio::time::sleep(POLL) => {}
            _ = cancel.cancelled() => return Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: &str, message: &str) -> Event {
        Event {
            id: 0,
            run_id: 1,
            step_id: None,
            at: "2026-12-08T00:00:00Z".into(),
            kind: kind.into(),
            message: message.into(),
        }
    }

    #[test]
    fn a_gate_waits_until_its_phase_is_approved() {
        let mut events = vec![ev("phase-started", "phase canary: 1 host(s)")];
        assert_eq!(waiting(&events), None);
        events.push(ev(WAITING, "phase canary: waiting for approval"));
        assert_eq!(waiting(&events).unwrap().phase, "canary");
        events.push(ev(APPROVED, "phase other: approved by user:x"));
        assert!(waiting(&events).is_some());
        events.push(ev(
            APPROVED,
            "phase canary: approved by user:x (looks fine)",
        ));
        assert_eq!(waiting(&events), None);
        assert_eq!(
            approved_by(&events, "canary").as_deref(),
            Some("user:x (looks fine)")
        );
    }
}

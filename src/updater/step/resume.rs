//! Carrying on with a step a stopped fwfleet left in flight.

use super::cx::Ctx;
use super::send::{conclude, follow};
use super::verify::verify;
use super::{ProgressFn, Resume, StepOutcome, StepResult, StepSpec};
use crate::redfish::client::BmcClient;
use crate::redfish::messages;
use crate::redfish::task::Outcome;
use crate::redfish::update_service::UpdateCaps;
use crate::store::{StepJournal, Store, StoreError};
use crate::vocab::StepState;

/// Carry on with journaled step `step_id` as `how` says, recording every state
/// change as [`execute`](super::execute) does. Never sends an update.
pub async fn resume(
    client: &BmcClient,
    store: &Store,
    spec: &StepSpec,
    step_id: i64,
    how: Resume,
    caps: &UpdateCaps,
    progress: &ProgressFn,
) -> Result<StepResult, StoreError> {
    let mut cx = Ctx::new(
        client,
        StepJournal::of(store, spec.run_id, step_id),
        spec,
        progress,
    );
    cx.caps = Some(caps);
    match how {
        Resume::Decided(outcome, message) => cx.finish(outcome, message, None).await,
        Resume::Verify => verify(&cx).await,
        Resume::VerifyAfterReset => {
            cx.after_reset = true;
            verify(&cx).await
        }
        Resume::Follow(accepted) => {
            let uri = accepted.task.clone().or(accepted.monitor.clone());
            cx.state(StepState::Running, uri).await?;
            match follow(&cx, &accepted, caps).await {
                // The image never arrived (the image server stopped with the
                // old process): nothing was written, the plan takes it again.
                Ok(Outcome::Failed(t)) if messages::wrote_nothing(t.as_ref()) => {
                    cx.finish(
                        StepOutcome::Cancelled,
                        format!(
                            "{}: the transfer ended when fwfleet stopped ({}); nothing was written; planned again",
                            cx.who(),
                            messages::reasons(t.as_ref())
                        ),
                        None,
                    )
                    .await
                }
                Ok(Outcome::Gone(_)) => verify(&Ctx { vanished: true, ..cx }).await,
                Ok(o) => conclude(&cx, o).await,
                Err(lost) => {
                    cx.finish(
                        StepOutcome::Unreachable,
                        format!("{}: following it again: {lost}; the inventory decides on the next run", cx.who()),
                        None,
                    )
                    .await
                }
            }
        }
    }
}

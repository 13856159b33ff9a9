//! Sending a step: pre-flight, the request that starts the transfer, the
//! task followed to its end.

use super::cx::Ctx;
use super::verify::verify;
use super::{ProgressFn, StepOutcome, StepResult, StepSpec, Transfer};
use crate::redfish::client::BmcClient;
use crate::redfish::error::RedfishError;
use crate::redfish::messages;
use crate::redfish::task::{self, Accepted, Awaiting, Outcome};
use crate::redfish::update::{self, Answer, Push, SimpleUpdate, Submitted};
use crate::redfish::update_service::UpdateCaps;
use crate::store::{NewStep, StepJournal, Store, StoreError};
use crate::vocab::StepState;
use std::time::{Duration, Instant};

/// Run one step. Every state change is journaled in `store` before the next action.
pub async fn execute(
    client: &BmcClient,
    store: &Store,
    spec: &StepSpec,
    caps: &UpdateCaps,
    progress: &ProgressFn,
) -> Result<StepResult, StoreError> {
    let host = client.host().to_string();
    // The step row and the pre-flight hash (the image is still the one the
    // plan chose) side by side: both run on the blocking pool.
    let (journal, hashed) = tokio::join!(
        StepJournal::begin(
            store,
            spec.run_id,
            NewStep {
                host: &host,
                component: &spec.identity,
                from_version: spec.from.as_deref(),
                to_version: &spec.to,
                state: StepState::Planned,
            },
        ),
        crate::digest::hash_file_async(spec.image.clone())
    );
    let cx = Ctx::new(client, journal?, spec, progress);
    match hashed {
        Ok(d) if d.sha256.eq_ignore_ascii_case(&spec.sha256) => {}
        Ok(_) => {
            return cx
                .finish(
                    StepOutcome::Failed,
                    format!(
                        "{}: image {} no longer matches its SHA-256; nothing was sent; run `fwfleet repo verify`",
                        cx.who(),
                        spec.image.display()
                    ),
                    None,
                )
                .await
        }
        Err(e) => {
            return cx
                .finish(
                    StepOutcome::Failed,
                    format!("{}: cannot read image {}: {e}", cx.who(), spec.image.display()),
                    None,
                )
                .await
        }
    }
    if let Err(e) = client.login().await {
        return cx
            .finish(StepOutcome::Unreachable, format!("{}: {e}", cx.who()), None)
            .await;
    }
    let attempts = spec.attempts.max(1);
    let mut attempt = 0;
    let outcome = loop {
        attempt += 1;
        // Journal first: from here a crash must not lead to a second flash.
        cx.state(StepState::Submitted, None).await?;
        let reply = submit(&cx, caps).await;
        let refused = match reply {
            Ok(Submitted {
                answer: Answer::Accepted(accepted),
                ..
            }) => {
                let task_uri = accepted.task.clone().or(accepted.monitor.clone());
                cx.state(StepState::Running, task_uri).await?;
                match follow(&cx, &accepted, caps).await {
                    Ok(Outcome::Failed(t)) if messages::wrote_nothing(t.as_ref()) => {
                        format!("the transfer failed: {}", messages::reasons(t.as_ref()))
                    }
                    Ok(o) => break o,
                    Err(e) => {
                        return cx
                            .finish(
                                StepOutcome::Unreachable,
                                format!("{}: lost the task while following it: {e}; the inventory decides on the next run", cx.who()),
                                None,
                            )
                            .await
                    }
                }
            }
            // A 503 that outlived the retries, or any 4xx: the BMC took nothing.
            Ok(Submitted {
                status,
                answer: Answer::Refused(why),
            }) => {
                if update::refusal_is_final(status) {
                    return cx
                        .finish(
                            StepOutcome::Failed,
                            format!("{}: the BMC refused the {} update: {why}", cx.who(), spec.transfer.name()),
                            None,
                        )
                        .await;
                }
                format!("the BMC refused the {} update: {why}", spec.transfer.name())
            }
            // Could not connect at all: nothing was sent.
            Err(e @ RedfishError::Connect { .. }) if attempt < attempts => {
                format!("cannot reach the BMC: {e}")
            }
            // Sent, or maybe sent: only the inventory can tell now.
            Err(e) => {
                return cx
                    .finish(
                        StepOutcome::Unreachable,
                        format!("{}: the {} request did not complete: {e}; the inventory decides on the next run", cx.who(), spec.transfer.name()),
                        None,
                    )
                    .await
            }
        };
        if attempt >= attempts || cx.left().is_zero() {
            return cx
                .finish(
                    StepOutcome::Failed,
                    format!(
                        "{}: {refused} (after {attempt} attempt{})",
                        cx.who(),
                        if attempt == 1 { "" } else { "s" }
                    ),
                    None,
                )
                .await;
        }
        cx.event(
            "retry",
            format!(
                "{}: {refused}; nothing was written, trying again ({}/{attempts})",
                cx.who(),
                attempt + 1
            ),
        )
        .await?;
        tokio::time::sleep(Duration::from_secs(1).min(cx.left())).await;
    };
    conclude(&cx, outcome).await
}

/// What the task's end means for the step; a completed task is verified from
/// the inventory.
pub(super) async fn conclude(cx: &Ctx<'_>, outcome: Outcome) -> Result<StepResult, StoreError> {
    let spec = cx.spec;
    match &outcome {
        Outcome::Failed(t) => {
            return cx
                .finish(
                    StepOutcome::Failed,
                    format!(
                        "{}: update to {} failed: {}",
                        cx.who(),
                        spec.to,
                        messages::reasons(t.as_ref())
                    ),
                    None,
                )
                .await
        }
        Outcome::Cancelled(_) => {
            return cx
                .finish(
                    StepOutcome::Cancelled,
                    format!("{}: the BMC cancelled the update task", cx.who()),
                    None,
                )
                .await
        }
        Outcome::TimedOut(t) => {
            let state = messages::last_seen(t.as_ref());
            return cx
                .finish(
                    StepOutcome::TimedOut,
                    format!("{}: the update task did not finish within {}s{state}; check the BMC's task list before retrying", cx.who(), spec.deadline.as_secs()),
                    None,
                )
                .await;
        }
        Outcome::Held(t, Awaiting::Reset) => {
            return cx
                .finish(
                    StepOutcome::Staged,
                    format!(
                        "{}: {} staged, active after the next reset",
                        cx.who(),
                        spec.to
                    ),
                    Some(messages::reset_requested(t)),
                )
                .await
        }
        Outcome::Held(_, Awaiting::StartUpdate) => {
            return cx
                .finish(
                    StepOutcome::NeedsAttention,
                    format!(
                        "{}: the update still waits for StartUpdate after it was sent",
                        cx.who()
                    ),
                    None,
                )
                .await
        }
        Outcome::Completed(_) | Outcome::Gone(_) => {}
    }
    verify(cx).await
}

/// Send the request that starts the transfer.
async fn submit(cx: &Ctx<'_>, caps: &UpdateCaps) -> Result<Submitted, RedfishError> {
    let spec = cx.spec;
    let push = Push {
        file: &spec.image,
        targets: &spec.targets,
        apply_time: spec.apply_time.as_deref(),
        force: spec.force,
    };
    match &spec.transfer {
        Transfer::SimpleUpdate { image_uri } => {
            let req = SimpleUpdate {
                image_uri,
                apply_time: spec.apply_time.as_deref(),
                force: spec.force,
            };
            update::simple_update(cx.client, caps, &req).await
        }
        Transfer::Multipart => update::push_multipart(cx.client, caps, &push).await,
        Transfer::Raw => update::push_raw(cx.client, caps, &spec.image).await,
        Transfer::Resumed => Err(RedfishError::Unsupported {
            host: cx.host.clone(),
            detail: "a resumed step is never sent again".into(),
        }),
    }
}

/// Follow the task; release a held `OnStartUpdateRequest` update once.
pub(super) async fn follow(
    cx: &Ctx<'_>,
    accepted: &Accepted,
    caps: &UpdateCaps,
) -> Result<Outcome, RedfishError> {
    let report = |p: &task::Progress| (cx.progress)(&p.state, p.percent);
    let o = task::follow(cx.client, accepted, cx.left(), cx.spec.poll, report).await?;
    if !matches!(o, Outcome::Held(_, Awaiting::StartUpdate)) {
        return Ok(o);
    }
    // The StartUpdate request is journaled as an event before it is sent.
    let _ = cx
        .event(
            "start-update",
            format!("{}: image held; sending StartUpdate", cx.who()),
        )
        .await;
    update::start_update(cx.client, caps).await?;
    // The BMC may still show the task as held for a moment after StartUpdate.
    let held_until = Instant::now() + Duration::from_secs(60);
    loop {
        let o = task::follow(cx.client, accepted, cx.left(), cx.spec.poll, report).await?;
        if !matches!(o, Outcome::Held(_, Awaiting::StartUpdate))
            || Instant::now() >= held_until
            || cx.left().is_zero()
        {
            return Ok(o);
        }
        tokio::time::sleep(cx.spec.poll.min(cx.left())).await;
    }
}

//! Sending a step: pre-flight, the request that starts the transfer, the
//! task followed to its end.

use super::cx::Ctx;
use super::messages::{messages_of, reset_of, wrote_nothing};
use super::verify::verify;
use super::{ProgressFn, StepOutcome, StepResult, StepSpec, Transfer};
use crate::redfish::client::{BmcClient, Reply};
use crate::redfish::error::RedfishError;
use crate::redfish::push::{self, MultipartPush};
use crate::redfish::quirks::Platform;
use crate::redfish::task::{self, Accepted, Awaiting, Outcome};
use crate::redfish::update_service::UpdateCaps;
use crate::store::{NewStep, StepJournal, Store, StoreError};
use crate::vocab::StepState;
use reqwest::Method;
use serde_json::json;
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
    let platform = &caps.platform;
    let attempts = spec.attempts.max(1);
    let mut attempt = 0;
    let outcome = loop {
        attempt += 1;
        // Journal first: from here a crash must not lead to a second flash.
        cx.state(StepState::Submitted, None).await?;
        let reply = submit(&cx, platform, caps).await;
        let refused = match reply {
            Ok(r) if r.status.is_success() => {
                let accepted = task::parse_accepted(&r);
                let task_uri = accepted.task.clone().or(accepted.monitor.clone());
                cx.state(StepState::Running, task_uri).await?;
                match follow(&cx, &accepted, caps).await {
                    Ok(Outcome::Failed(t)) if wrote_nothing(t.as_ref()) => {
                        format!("the transfer failed: {}", messages_of(t.as_ref()))
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
            Ok(r) => {
                let why = crate::redfish::error::redfish_message(&r.body)
                    .unwrap_or_else(|| format!("HTTP {}", r.status.as_u16()));
                if r.status.is_client_error() && r.status.as_u16() != 429 {
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
                        messages_of(t.as_ref())
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
            let state = t
                .as_ref()
                .map(|t| {
                    format!(
                        " (last seen {:?}, {}%)",
                        t.task_state,
                        t.percent_complete.unwrap_or(0)
                    )
                })
                .unwrap_or_default();
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
                    Some(reset_of(t)),
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
async fn submit(
    cx: &Ctx<'_>,
    platform: &Platform,
    caps: &UpdateCaps,
) -> Result<Reply, RedfishError> {
    let spec = cx.spec;
    let none = |what: &str| RedfishError::Unsupported {
        host: cx.host.clone(),
        detail: format!("the BMC has no {what}"),
    };
    match &spec.transfer {
        Transfer::SimpleUpdate { image_uri } => {
            let target = caps
                .simple_update
                .clone()
                .ok_or_else(|| none("SimpleUpdate action"))?;
            let mut body = json!({"ImageURI": image_uri});
            if let Some((scheme, _)) = image_uri.split_once("://") {
                if !caps.protocols.is_empty() {
                    body["TransferProtocol"] = json!(scheme.to_ascii_uppercase());
                }
            }
            if let Some(a) = &spec.apply_time {
                body["@Redfish.OperationApplyTime"] = json!(a);
            } else if platform.requires_start_update() {
                body["@Redfish.OperationApplyTime"] = json!("OnStartUpdateRequest");
            }
            if spec.force {
                body["ForceUpdate"] = json!(true);
            }
            cx.client.request(Method::POST, &target, Some(&body)).await
        }
        Transfer::Multipart => {
            let uri = caps
                .multipart
                .clone()
                .ok_or_else(|| none("MultipartHttpPushUri"))?;
            let p = MultipartPush {
                uri,
                file: spec.image.clone(),
                targets: spec.targets.clone(),
                apply_time: spec.apply_time.clone(),
                force: spec.force,
            };
            push::multipart(cx.client, platform, &p).await
        }
        Transfer::Raw => {
            let uri = caps.http_push.clone().ok_or_else(|| none("HttpPushUri"))?;
            push::raw(cx.client, &uri, &spec.image).await
        }
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
    let target = caps
        .start_update
        .clone()
        .unwrap_or_else(|| format!("{}/Actions/UpdateService.StartUpdate", caps.update_service));
    // The StartUpdate request is journaled as an event before it is sent.
    let _ = cx
        .event(
            "start-update",
            format!("{}: image held; sending StartUpdate", cx.who()),
        )
        .await;
    let r = cx
        .client
        .request(Method::POST, &target, Some(&json!({})))
        .await?;
    if !r.status.is_success() {
        return Err(RedfishError::Http {
            host: cx.host.clone(),
            method: "POST".into(),
            uri: target,
            status: r.status.as_u16(),
            redfish_message: crate::redfish::error::redfish_message(&r.body),
        });
    }
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

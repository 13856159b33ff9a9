//! Sending a step: pre-flight, the request that starts the transfer, the
//! task followed to its end.

use super::cx::Ctx;
use super::verify::verify;
use super::{ProgressFn, StepOutcome, StepResult, StepSpec, Transfer};
use crate::redfish::client::BmcClient;
use crate::redfish::error::RedfishError;
use crate::redfish::messages;
use crate::redfish::task::{self, Accepted, Awaiting, FollowLimits, Outcome};
use crate::redfish::update::{self, Answer, Push, SimpleUpdate, Submitted};
use crate::redfish::update_service::{self, UpdateCaps};
use crate::store::{NewStep, StepJournal, Store, StoreError};
use crate::updater::window::{rfc3339, Action, Closed};
use crate::vocab::{Role, StepState};
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
        async {
            // A kept image is on the BMC already: there is no file to hash.
            if spec.transfer.is_kept() {
                None
            } else {
                Some(crate::digest::hash_file_async(spec.image.clone()).await)
            }
        }
    );
    let mut cx = Ctx::new(client, journal?, spec, progress);
    cx.caps = Some(caps);
    match hashed {
        None => {}
        Some(Ok(d)) if d.sha256.eq_ignore_ascii_case(&spec.sha256) => {}
        Some(Ok(_)) => {
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
        Some(Err(e)) => {
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
        // The window's end, asked after the busy-wait, the hash and the
        // login, right before the request: past it nothing is sent.
        if let Err(closed) = cx.may_start(Action::Submit) {
            return cx
                .finish(
                    StepOutcome::Deferred,
                    format!(
                        "{}: {}; nothing was sent; the next window plans the step again",
                        cx.who(),
                        closed.describe()
                    ),
                    None,
                )
                .await;
        }
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
                    Err(lost) => {
                        return cx
                            .finish(
                                StepOutcome::Unreachable,
                                format!(
                                    "{}: {lost}; the inventory decides on the next run",
                                    cx.who()
                                ),
                                None,
                            )
                            .await
                    }
                }
            }
            // Supermicro without its out-of-band licence: nothing was taken,
            // and no retry helps until the operator installs it.
            Ok(Submitted {
                answer: Answer::Unlicensed(why),
                ..
            }) => {
                return cx
                    .finish(
                        StepOutcome::NeedsAttention,
                        format!(
                            "{}: the BMC refused the {} update for want of a licence ({why}); nothing was sent: install the Supermicro OOB/DCMS licence (SFT-OOB-LIC or SFT-DCMS-SINGLE) on the BMC, then run again",
                            cx.who(),
                            spec.transfer.name()
                        ),
                        None,
                    )
                    .await
            }
            // 500/502/504: the BMC may have taken the image before it
            // failed to answer (bmcweb's timeout path): never sent again.
            Ok(Submitted {
                status,
                answer: Answer::Refused(why),
            }) if update::maybe_taken(status) => {
                let why = format!(
                    "the BMC answered HTTP {} to the {} request ({why})",
                    status.as_u16(),
                    spec.transfer.name()
                );
                return maybe_taken(&cx, caps, "error-after-send", why).await;
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
                            format!(
                                "{}: the BMC refused the {} update: {why}",
                                cx.who(),
                                spec.transfer.name()
                            ),
                            None,
                        )
                        .await;
                }
                format!("the BMC refused the {} update: {why}", spec.transfer.name())
            }
            // Could not connect at all: nothing was sent.
            Err(e) if e.sent_nothing() && attempt < attempts => {
                format!("cannot reach the BMC: {e}")
            }
            Err(e) if e.sent_nothing() => {
                return cx
                    .finish(
                        StepOutcome::Unreachable,
                        format!("{}: cannot reach the BMC, nothing was sent: {e}", cx.who()),
                        None,
                    )
                    .await
            }
            // Connected, then cut off or timed out: the request may have
            // arrived. Decided from the BMC's tasks and inventory, never resent.
            Err(e @ (RedfishError::Dropped { .. } | RedfishError::Timeout { .. })) => {
                let why = format!(
                    "the {} request was sent but no answer came: {}",
                    spec.transfer.name(),
                    first_line(&e.to_string())
                );
                return maybe_taken(&cx, caps, "dropped-after-send", why).await;
            }
            // Refused before sending (a foreign URI, no such action, a file
            // that cannot be read): nothing reached the BMC.
            Err(e) => {
                return cx
                    .finish(
                        StepOutcome::Failed,
                        format!(
                            "{}: the {} request was not sent: {e}",
                            cx.who(),
                            spec.transfer.name()
                        ),
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

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or_default()
}

/// The flash request may have reached the BMC but its answer did not come
/// back (`kind` says which case, journaled): the BMC's own tasks decide, then
/// the inventory; if still unsure the step ends `unreachable` and the next
/// run decides from the inventory. Never sent again.
async fn maybe_taken(
    cx: &Ctx<'_>,
    caps: &UpdateCaps,
    kind: &'static str,
    why: String,
) -> Result<StepResult, StoreError> {
    cx.event(
        kind,
        format!(
            "{}: {why}; the BMC may have taken it: looking at its tasks and inventory, nothing is sent again",
            cx.who()
        ),
    )
    .await?;
    // The BMC may be away (it dropped the connection because it went down).
    if let Err(e) =
        update_service::wait_back(cx.client, cx.spec.waits.bmc_reboot.min(cx.left())).await
    {
        return cx
            .finish(
                StepOutcome::Unreachable,
                format!("{}: {why}, and the BMC has not answered since: {}; the inventory decides on the next run", cx.who(), first_line(&e.to_string())),
                None,
            )
            .await;
    }
    // A BMC takes a moment to list what it accepted.
    let until = Instant::now() + Duration::from_secs(30).min(cx.left());
    loop {
        match update_service::tasks_on_bmc(cx.client, caps).await {
            Ok(t) => {
                if let Some(task) = t.running.or_else(|| t.held.into_iter().next()) {
                    cx.event(
                        "adopt",
                        format!(
                            "{}: following {} ({}), the task the BMC shows",
                            cx.who(),
                            task.uri,
                            task.state
                        ),
                    )
                    .await?;
                    cx.state(StepState::Running, Some(task.uri.clone())).await?;
                    cx.note(format!("{why}; followed {} the BMC shows", task.uri));
                    let accepted = Accepted::from_stored(&task.uri);
                    return match follow(cx, &accepted, caps).await {
                        Ok(o) => conclude(cx, o).await,
                        Err(lost) => {
                            cx.finish(
                                StepOutcome::Unreachable,
                                format!(
                                    "{}: {why}; then {lost}; the inventory decides on the next run",
                                    cx.who()
                                ),
                                None,
                            )
                            .await
                        }
                    };
                }
            }
            Err(_) if Instant::now() < until => {}
            Err(_) => break,
        }
        if let Ok(inv) = crate::inventory::scan::read_now(cx.client).await {
            let now = inv
                .components
                .iter()
                .find(|c| c.identity == cx.spec.identity && c.role == Role::Active)
                .and_then(|c| c.version.clone());
            if now.as_deref() == Some(cx.spec.to.as_str()) {
                return verify(cx).await;
            }
        }
        if Instant::now() >= until {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1).min(cx.left())).await;
    }
    cx.finish(
        StepOutcome::Unreachable,
        format!(
            "{}: {why}; the BMC shows no update task and still the old version: whether it took the image is unknown; the inventory decides on the next run",
            cx.who()
        ),
        None,
    )
    .await
}

/// What the task's end means for the step; a completed task is verified from
/// the inventory.
pub(super) async fn conclude(cx: &Ctx<'_>, outcome: Outcome) -> Result<StepResult, StoreError> {
    let spec = cx.spec;
    if let Some(closed) = cx.refused() {
        return start_update_refused(cx, &outcome, closed).await;
    }
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
        Outcome::Stalled(t, for_how_long) => {
            return cx
                .finish(
                    StepOutcome::TimedOut,
                    format!(
                        "{}: the update task stayed {} for {}s (stall_timeout_secs){}; check the BMC's task list before retrying",
                        cx.who(),
                        t.task_state.as_ref().map(|s| s.as_str().to_string()).unwrap_or_default(),
                        for_how_long.as_secs(),
                        messages::last_seen(Some(t))
                    ),
                    None,
                )
                .await
        }
        Outcome::Gone(_) => cx.task_gone(),
        Outcome::Completed(_) => {}
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
        component: Some(spec.kind),
        preserve: spec.preserve,
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
        // The BMC's own kept image (Dell `Previous-…`): the entry's URI is
        // the ImageURI, no protocol, never a downgrade flag.
        Transfer::KeptImage { image_uri } => {
            let req = SimpleUpdate {
                image_uri,
                apply_time: spec.apply_time.as_deref(),
                force: false,
            };
            update::simple_update(cx.client, caps, &req).await
        }
        Transfer::RollbackAction { target } => {
            crate::redfish::rollback::activate(cx.client, target).await
        }
        Transfer::Resumed => Err(RedfishError::Unsupported {
            host: cx.host.clone(),
            detail: "a resumed step is never sent again".into(),
        }),
    }
}

/// Follow the task to its end, as the vendor runs it: a BMC that goes away
/// meanwhile (a reboot) is waited for and logged in to again; an update held
/// for `StartUpdate` (or Supermicro's finished Verify task) is released once
/// and the task the release names followed; a Dell task gone after the
/// iDRAC reboot is decided from its job; an iLO accept without a task is
/// followed through `Oem.Hpe.State`. `Err` says why the task was lost.
pub(super) async fn follow(
    cx: &Ctx<'_>,
    accepted: &Accepted,
    caps: &UpdateCaps,
) -> Result<Outcome, String> {
    if accepted.monitor.is_none() && accepted.task.is_none() && caps.hpe_state {
        return follow_hpe(cx, caps).await;
    }
    let mut current = accepted.clone();
    let mut released = false;
    let mut on_job = false;
    loop {
        let o = follow_riding(cx, &current).await?;
        let verify_done = matches!(&o, Outcome::Completed(Some(t)) if caps.platform.verify_task_before_start_update(t));
        match o {
            Outcome::Held(_, Awaiting::StartUpdate) | Outcome::Completed(_)
                if !released && (verify_done || matches!(o, Outcome::Held(..))) =>
            {
                released = true;
                // The window's end, right before StartUpdate: the update
                // stays unwritten; `conclude` says what the BMC holds.
                if let Err(closed) = cx.may_start(Action::StartUpdate) {
                    if matches!(o, Outcome::Held(..)) {
                        let uri = current.task.clone().or(current.monitor.clone());
                        let cancelled = match uri {
                            Some(u) => update::cancel_task(cx.client, &u).await.map(|()| u),
                            None => Err(RedfishError::Unsupported {
                                host: cx.host.clone(),
                                detail: "the held update has no task to cancel".into(),
                            }),
                        };
                        let text = match &cancelled {
                            Ok(u) => format!(
                                "{}: {}; cancelled the held update ({u}): nothing was written",
                                cx.who(),
                                closed.describe()
                            ),
                            Err(e) => format!(
                                "{}: {}; could not cancel the held update: {}",
                                cx.who(),
                                closed.describe(),
                                first_line(&e.to_string())
                            ),
                        };
                        if let Ok(mut c) = cx.held_cancelled.lock() {
                            *c = Some(cancelled.is_ok());
                        }
                        let _ = cx.event("window", text).await;
                    }
                    return Ok(o);
                }
                let _ = cx
                    .event(
                        "start-update",
                        format!("{}: image held; sending StartUpdate", cx.who()),
                    )
                    .await;
                let answer = update::start_update(cx.client, caps)
                    .await
                    .map_err(|e| format!("StartUpdate failed: {e}"))?;
                if let Answer::Accepted(next) = answer.answer {
                    if next.task.is_some() || next.monitor.is_some() {
                        let uri = next.task.clone().or(next.monitor.clone());
                        let _ = cx.state(StepState::Running, uri).await;
                        current = next;
                        continue;
                    }
                }
                // The same task runs on; a BMC may show it held a moment longer.
                let held_until = Instant::now() + Duration::from_secs(60);
                loop {
                    let o = follow_riding(cx, &current).await?;
                    if !matches!(o, Outcome::Held(_, Awaiting::StartUpdate))
                        || Instant::now() >= held_until
                        || cx.left().is_zero()
                    {
                        return Ok(o);
                    }
                    tokio::time::sleep(cx.spec.poll.min(cx.left())).await;
                }
            }
            Outcome::Gone(last) if !on_job => {
                // Dell: the job outlives the task (FIELD-NOTES B1.4).
                let id = current
                    .task
                    .as_deref()
                    .or(current.monitor.as_deref())
                    .and_then(task::task_id)
                    .map(str::to_string);
                let (Some(jobs), Some(id)) = (caps.jobs.as_deref(), id) else {
                    return Ok(Outcome::Gone(last));
                };
                match task::job(cx.client, jobs, &id).await {
                    Ok(Some(job)) => {
                        let _ = cx
                            .event(
                                "job",
                                format!(
                                    "{}: the task is gone; following its job {}",
                                    cx.who(),
                                    job.uri
                                ),
                            )
                            .await;
                        on_job = true;
                        current = Accepted::from_stored(&job.uri);
                    }
                    _ => return Ok(Outcome::Gone(last)),
                }
            }
            o => return Ok(o),
        }
    }
}

fn limits(cx: &Ctx<'_>) -> FollowLimits {
    FollowLimits {
        deadline: cx.left(),
        poll: cx.spec.poll,
        stall: cx.spec.waits.stall,
    }
}

/// [`task::follow`], riding out a BMC that is away: wait for it (bounded by
/// `bmc_reboot_timeout` and the step deadline), log in again, follow on.
async fn follow_riding(cx: &Ctx<'_>, accepted: &Accepted) -> Result<Outcome, String> {
    let report = |p: &task::Progress| (cx.progress)(&p.state, p.percent);
    loop {
        match task::follow(cx.client, accepted, limits(cx), report).await {
            Ok(o) => return Ok(o),
            Err(e) if e.is_away() => ride_out(cx, "following its task", &e).await?,
            Err(e) => return Err(format!("lost the task while following it: {e}")),
        }
    }
}

/// Wait for a BMC that is away; `Err` when it stays away too long.
pub(super) async fn ride_out(cx: &Ctx<'_>, doing: &str, e: &RedfishError) -> Result<(), String> {
    let limit = cx.spec.waits.bmc_reboot.min(cx.left());
    let _ = cx
        .event(
            "bmc-away",
            format!(
                "{}: the BMC stopped answering while {doing} ({}); waiting up to {}s for it",
                cx.who(),
                first_line(&e.to_string()),
                limit.as_secs()
            ),
        )
        .await;
    (cx.progress)("bmc-away", None);
    match update_service::wait_back(cx.client, limit).await {
        Ok(away) => {
            cx.rebooted();
            cx.note(format!(
                "the BMC was away {}s while {doing}",
                away.as_secs()
            ));
            let _ = cx
                .event(
                    "bmc-back",
                    format!("{}: the BMC answers again after {}s; logged in again", cx.who(), away.as_secs()),
                )
                .await;
            Ok(())
        }
        Err(last) => Err(format!(
            "the BMC went away while {doing} and did not come back within {}s (bmc_reboot_timeout_secs): {}",
            limit.as_secs(),
            first_line(&last.to_string())
        )),
    }
}

/// iLO accepted a SimpleUpdate without a task (iLO 5 before 2.30, or an image
/// it will not flash): follow `UpdateService.Oem.Hpe.State` to its end.
async fn follow_hpe(cx: &Ctx<'_>, caps: &UpdateCaps) -> Result<Outcome, String> {
    let mut seen_busy = false;
    let t0 = Instant::now();
    loop {
        if cx.left().is_zero() {
            return Ok(Outcome::TimedOut(None));
        }
        match update_service::hpe_update(cx.client, caps).await {
            Ok(Some(h)) => {
                (cx.progress)(&h.state, h.percent);
                if h.busy() {
                    seen_busy = true;
                } else {
                    match h.state.as_str() {
                        "Complete" => return Ok(Outcome::Completed(None)),
                        "Error" => return Ok(Outcome::Failed(Some(messages::hpe_failure(&h)))),
                        // Idle before it ever started: iLO may not have fetched the
                        // image yet; after a flash: iLO reset itself and is done.
                        _ if seen_busy => return Ok(Outcome::Completed(None)),
                        _ if t0.elapsed() > Duration::from_secs(120) => {
                            return Ok(Outcome::Gone(None))
                        }
                        _ => {}
                    }
                }
            }
            Ok(None) => return Ok(Outcome::Gone(None)),
            Err(e) if e.is_away() => ride_out(cx, "following iLO's update state", &e).await?,
            Err(e) => return Err(format!("lost iLO's update state: {e}")),
        }
        tokio::time::sleep(cx.spec.poll.min(cx.left())).await;
    }
}

/// The window closed before `StartUpdate` could go: what the BMC is left
/// holding decides the outcome (docs/APPLY.md, "Maintenance windows").
///
/// - A standard update held `OnStartUpdateRequest` wrote nothing; it was
///   cancelled (DELETE on its task) so that no later `StartUpdate` — ours
///   in the next window, or anyone's — releases it next to the next run's
///   own: `deferred`. If the BMC would not cancel it, `needs-attention`:
///   a second submit would hold a second update of the component.
/// - Supermicro after its Verify task: the image is uploaded and verified,
///   nothing written, and the BMC stays in update mode: it refuses any
///   other upload (405 `SMC.1.0.OemFirmwareAlreadyInUpdateMode`) until
///   `StartUpdate` or a BMC reset, and has no task to cancel (NOTES §7.5,
///   bmclib x12.go). The next run's upload is refused, so nothing is
///   flashed twice, but no run can go on by itself: `needs-attention`.
async fn start_update_refused(
    cx: &Ctx<'_>,
    outcome: &Outcome,
    closed: Closed,
) -> Result<StepResult, StoreError> {
    let when = rfc3339(closed.end);
    let held = cx.held_cancelled.lock().ok().and_then(|c| *c);
    match (outcome, held) {
        (Outcome::Held(..), Some(true)) => {
            cx.finish(
                StepOutcome::Deferred,
                format!(
                    "{}: {}; the held update was cancelled on the BMC, nothing was written; the next window sends it again",
                    cx.who(),
                    closed.describe()
                ),
                None,
            )
            .await
        }
        (Outcome::Held(..), _) => {
            cx.finish(
                StepOutcome::NeedsAttention,
                format!(
                    "{}: {}; the update stays held on the BMC (nothing written) and could not be cancelled: any StartUpdate writes it\n  hint: delete the held task in the BMC's TaskService before the next run, or the next run's update is held beside it",
                    cx.who(),
                    closed.describe()
                ),
                None,
            )
            .await
        }
        _ => {
            cx.finish(
                StepOutcome::NeedsAttention,
                format!(
                    "{}: the maintenance window closed at {when} after the upload was verified: StartUpdate was not sent, nothing was written; the BMC stays in update mode holding this image and refuses another upload until StartUpdate or a BMC reset\n  hint: in the next window send UpdateService.StartUpdate to write it (one flash), or reset the BMC to drop it and let the next run upload again",
                    cx.who()
                ),
                None,
            )
            .await
        }
    }
}

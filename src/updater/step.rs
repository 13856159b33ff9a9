//! One update step on one host, journaled before acting.
//!
//! The order is the safety argument: the step is stored `submitted` (fsynced)
//! before the request that starts a flash, the task URI the moment it arrives,
//! and every state change is an event. A crash at any point leaves a row that
//! says what may have reached the BMC, so a restart re-attaches or decides
//! from the inventory instead of flashing again.

use crate::redfish::client::{BmcClient, Reply};
use crate::redfish::error::RedfishError;
use crate::redfish::push::{self, MultipartPush};
use crate::redfish::quirks::Platform;
use crate::redfish::task::{self, Accepted, Awaiting, Outcome};
use crate::redfish::update_service::UpdateCaps;
use crate::store::{NewStep, StepJournal, Store, StoreError};
pub use crate::vocab::StepOutcome;
use crate::vocab::{Kind, Role, StepState};
use reqwest::Method;
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How the image reaches the BMC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transfer {
    /// SimpleUpdate: the BMC pulls from this URL (fwfleet's image server).
    SimpleUpdate { image_uri: String },
    /// Multipart push to `MultipartHttpPushUri`, streamed from the file.
    Multipart,
    /// The bare image to `HttpPushUri`, for BMCs that have nothing better.
    Raw,
    /// Sent by an earlier fwfleet that stopped before the step ended; a
    /// resumed step follows or verifies, it never sends again.
    Resumed,
}

impl Transfer {
    /// The manifest spelling, for logs and the journal.
    pub fn name(&self) -> &'static str {
        match self {
            Transfer::SimpleUpdate { .. } => "simple-update",
            Transfer::Multipart => "multipart",
            Transfer::Raw => "raw-push",
            Transfer::Resumed => "resumed",
        }
    }
}

/// What to do.
#[derive(Debug, Clone)]
pub struct StepSpec {
    pub run_id: i64,
    /// The component's identity (stable across updates).
    pub identity: String,
    pub kind: Kind,
    pub from: Option<String>,
    pub to: String,
    pub image: PathBuf,
    pub sha256: String,
    pub transfer: Transfer,
    pub apply_time: Option<String>,
    /// Only for a downgrade the repository or the operator allowed.
    pub force: bool,
    /// The component's inventory URI(s) for multipart `Targets` (vendor
    /// rules in `push::parameters` decide whether they are sent).
    pub targets: Vec<String>,
    /// The whole step must end within this.
    pub deadline: Duration,
    /// Attempts for a transfer that wrote nothing (download failed, upload
    /// refused); at least 1.
    pub attempts: u32,
    /// Task poll interval when the BMC sends no `Retry-After`.
    pub poll: Duration,
}

/// A reset the BMC asked for to activate a staged image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetRequest {
    /// The reset action target, when the task named it (`ResetRequired` args).
    pub target: Option<String>,
    /// The reset type it named.
    pub reset_type: Option<String>,
}

/// The result with a message that names host, component and cause.
#[derive(Debug, Clone)]
pub struct StepResult {
    pub step_id: i64,
    pub outcome: StepOutcome,
    pub message: String,
    /// For `staged`: what activates the image.
    pub reset: Option<ResetRequest>,
    /// For `needs-attention` after a BMC update: the certificate the BMC now
    /// presents (SHA-256), which the caller may re-pin if the operator allowed it.
    pub new_certificate: Option<String>,
    pub duration: Duration,
}

/// Live progress for a step: a phase word and a percentage when the BMC gives one.
pub type ProgressFn = dyn Fn(&str, Option<u8>) + Send + Sync;

fn messages_of(t: Option<&redfish_schemas::Task>) -> String {
    t.map(|t| {
        t.messages
            .iter()
            .filter(|m| !matches!(m.message_key(), "TaskStarted" | "TaskProgressChanged"))
            .map(|m| {
                let text = m.message.clone().unwrap_or_default();
                format!("{} ({})", text.trim(), m.message_key())
            })
            .collect::<Vec<_>>()
            .join("; ")
    })
    .filter(|s| !s.is_empty())
    .unwrap_or_else(|| "the BMC gave no reason".into())
}

/// Whether a failed task failed before anything was written: the image never
/// arrived or was refused as a file, so another attempt is safe.
fn wrote_nothing(t: Option<&redfish_schemas::Task>) -> bool {
    t.is_some_and(|t| {
        t.messages.iter().any(|m| {
            matches!(
                m.message_key(),
                "TransferFailed"
                    | "ImageDownloadFailed"
                    | "ResourceAtUriUnauthorized"
                    | "CouldNotEstablishConnection"
            )
        })
    })
}

fn reset_of(t: &redfish_schemas::Task) -> ResetRequest {
    let m = t
        .messages
        .iter()
        .find(|m| m.message_key() == "ResetRequired");
    ResetRequest {
        target: m
            .and_then(|m| m.message_args.first().cloned())
            .filter(|s| s.starts_with('/') || s.contains("://")),
        reset_type: m.and_then(|m| m.message_args.get(1).cloned()),
    }
}

/// Everything `execute` keeps between phases.
struct Ctx<'a> {
    client: &'a BmcClient,
    journal: StepJournal,
    spec: &'a StepSpec,
    host: String,
    t0: Instant,
    progress: &'a ProgressFn,
    /// A resumed step whose task had vanished: the old version then means
    /// the update never happened, not that the BMC ignored a success.
    vanished: bool,
}

impl<'a> Ctx<'a> {
    fn new(
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
        }
    }

    async fn state(&self, state: StepState, task_uri: Option<String>) -> Result<(), StoreError> {
        self.journal.enter(state, task_uri.as_deref()).await?;
        (self.progress)(state.as_str(), None);
        Ok(())
    }

    async fn event(&self, kind: &'static str, message: String) -> Result<(), StoreError> {
        tracing::debug!(host = %self.host, component = %self.spec.identity, "{message}");
        self.journal.event(kind, &message).await
    }

    async fn finish(
        &self,
        outcome: StepOutcome,
        message: String,
        reset: Option<ResetRequest>,
    ) -> Result<StepResult, StoreError> {
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

    fn left(&self) -> Duration {
        self.spec.deadline.saturating_sub(self.t0.elapsed())
    }

    fn who(&self) -> String {
        format!("{} {}", self.host, self.spec.identity)
    }
}

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
async fn conclude(cx: &Ctx<'_>, outcome: Outcome) -> Result<StepResult, StoreError> {
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
async fn follow(
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

/// Verify a step again with another client: after the operator-allowed
/// re-pin of a BMC that came back from its own update with a new certificate.
pub async fn reverify(
    client: &BmcClient,
    store: &Store,
    spec: &StepSpec,
    step_id: i64,
    progress: &ProgressFn,
) -> Result<StepResult, StoreError> {
    let journal = StepJournal::of(store, spec.run_id, step_id);
    verify(&Ctx::new(client, journal, spec, progress)).await
}

/// Success is the inventory showing the target version as active; after a BMC
/// reboot wait until logins work and two consecutive reads agree (FIELD-NOTES B2.12).
async fn verify(cx: &Ctx<'_>) -> Result<StepResult, StoreError> {
    let spec = cx.spec;
    cx.state(StepState::Verifying, None).await?;
    let mut previous: Option<Option<String>> = None;
    let mut last_error = String::new();
    loop {
        if cx.left().is_zero() {
            return cx
                .finish(
                    StepOutcome::TimedOut,
                    format!(
                        "{}: could not read the new version back within {}s{}",
                        cx.who(),
                        spec.deadline.as_secs(),
                        if last_error.is_empty() {
                            String::new()
                        } else {
                            format!(" (last error: {last_error})")
                        }
                    ),
                    None,
                )
                .await;
        }
        match crate::inventory::scan::read_now(cx.client).await {
            Ok(inv) => {
                let comp = inv
                    .components
                    .iter()
                    .find(|c| c.identity == spec.identity && c.role == Role::Active);
                let now = comp.and_then(|c| c.version.clone());
                if previous.as_ref() == Some(&now) {
                    return match now {
                        Some(v) if v == spec.to => {
                            cx.finish(StepOutcome::Updated, format!("{}: now {v}", cx.who()), None).await
                        }
                        Some(v) if Some(&v) == spec.from.as_ref() && cx.vanished => {
                            cx.finish(
                                StepOutcome::Cancelled,
                                format!("{}: the task is gone and the BMC still runs {v}: the update did not happen before fwfleet stopped; nothing was written; planned again", cx.who()),
                                None,
                            )
                            .await
                        }
                        Some(v) if Some(&v) == spec.from.as_ref() => {
                            cx.finish(
                                StepOutcome::NoChange,
                                format!("{}: the BMC reported success but still runs {v}; the image was not applied (check the BMC's log)", cx.who()),
                                None,
                            )
                            .await
                        }
                        other => {
                            cx.finish(
                                StepOutcome::UnexpectedVersion,
                                format!(
                                    "{}: expected {}, the BMC reports {}; do not retry before checking the image",
                                    cx.who(),
                                    spec.to,
                                    other.unwrap_or_else(|| "no version".into())
                                ),
                                None,
                            )
                            .await
                        }
                    };
                }
                previous = Some(now);
            }
            Err(RedfishError::PinMismatch { expected, got, .. }) => {
                let mut r = cx
                    .finish(
                        StepOutcome::NeedsAttention,
                        format!("{}: the BMC came back with a new TLS certificate ({got}, pinned {expected}); verify it and update tls_fingerprint_sha256, or set tls_repin_after_bmc_update = true for this host", cx.who()),
                        None,
                    )
                    .await?;
                r.new_certificate = Some(got);
                return Ok(r);
            }
            Err(e) => {
                // Rebooting or not yet serving Redfish: keep waiting within the deadline.
                last_error = e.to_string().lines().next().unwrap_or_default().to_string();
                previous = None;
            }
        }
        // A BMC that rebooted (its own update) or did not answer gets time to
        // settle; for other components the BMC never went away, so the
        // confirming read may follow sooner.
        let pause = if previous.is_some() && spec.kind != Kind::Bmc {
            CONFIRM_PAUSE
        } else {
            SETTLE_PAUSE
        };
        tokio::time::sleep(pause.min(cx.left())).await;
    }
}

/// Between verification reads while the BMC reboots or does not answer, and
/// before the confirming read of a BMC update.
const SETTLE_PAUSE: Duration = Duration::from_millis(300);
/// Before the confirming read of any other component.
const CONFIRM_PAUSE: Duration = Duration::from_millis(100);

impl StepSpec {
    /// What a resumed step needs: the journaled row and the component's kind
    /// (from a fresh read of the BMC). Nothing is sent again, so there is no
    /// image and no transfer to choose.
    #[allow(clippy::too_many_arguments)]
    pub fn resumed(
        run_id: i64,
        identity: String,
        kind: Kind,
        from: Option<String>,
        to: String,
        deadline: Duration,
        poll: Duration,
    ) -> StepSpec {
        StepSpec {
            run_id,
            identity,
            kind,
            from,
            to,
            image: PathBuf::new(),
            sha256: String::new(),
            transfer: Transfer::Resumed,
            apply_time: None,
            force: false,
            targets: Vec::new(),
            deadline,
            poll,
            attempts: 1,
        }
    }
}

/// How a restarted fwfleet carries on with a step that a stopped one left in
/// flight; `updater::resume` decides which from the journal and the BMC.
#[derive(Debug, Clone)]
pub enum Resume {
    /// Follow this task: the one journaled, or a running update task the BMC
    /// shows for a step that was sent before its task URI was recorded.
    Follow(Accepted),
    /// The update had ended; read the version back (two agreeing reads).
    Verify,
    /// Already decided from the BMC; record it.
    Decided(StepOutcome, String),
}

/// Carry on with journaled step `step_id` as `how` says, recording every state
/// change as [`execute`] does. Never sends an update.
pub async fn resume(
    client: &BmcClient,
    store: &Store,
    spec: &StepSpec,
    step_id: i64,
    how: Resume,
    caps: &UpdateCaps,
    progress: &ProgressFn,
) -> Result<StepResult, StoreError> {
    let cx = Ctx::new(
        client,
        StepJournal::of(store, spec.run_id, step_id),
        spec,
        progress,
    );
    match how {
        Resume::Decided(outcome, message) => cx.finish(outcome, message, None).await,
        Resume::Verify => verify(&cx).await,
        Resume::Follow(accepted) => {
            let uri = accepted.task.clone().or(accepted.monitor.clone());
            cx.state(StepState::Running, uri).await?;
            match follow(&cx, &accepted, caps).await {
                // The image never arrived (the image server stopped with the
                // old process): nothing was written, the plan takes it again.
                Ok(Outcome::Failed(t)) if wrote_nothing(t.as_ref()) => {
                    cx.finish(
                        StepOutcome::Cancelled,
                        format!(
                            "{}: the transfer ended when fwfleet stopped ({}); nothing was written; planned again",
                            cx.who(),
                            messages_of(t.as_ref())
                        ),
                        None,
                    )
                    .await
                }
                Ok(Outcome::Gone(_)) => verify(&Ctx { vanished: true, ..cx }).await,
                Ok(o) => conclude(&cx, o).await,
                Err(e) => {
                    cx.finish(
                        StepOutcome::Unreachable,
                        format!("{}: lost the task while following it again: {e}; the inventory decides on the next run", cx.who()),
                        None,
                    )
                    .await
                }
            }
        }
    }
}

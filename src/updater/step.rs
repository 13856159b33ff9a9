//! One update step on one host, journaled before acting.

use crate::inventory::model::{HostInventory, Role};
use crate::redfish::client::BmcClient;
use crate::redfish::error::RedfishError;
use crate::redfish::push::{self, MultipartPush};
use crate::redfish::quirks::Platform;
use crate::redfish::task::{self, Awaiting, Outcome};
use crate::store::{NewStep, Store};
use reqwest::Method;
use serde::Serialize;
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
}

/// What to do.
#[derive(Debug, Clone)]
pub struct StepSpec {
    pub run_id: i64,
    /// The component's identity (stable across updates).
    pub identity: String,
    pub from: Option<String>,
    pub to: String,
    pub image: PathBuf,
    pub sha256: String,
    pub transfer: Transfer,
    pub apply_time: Option<String>,
    /// Only for a downgrade the repository or the operator allowed.
    pub force: bool,
    /// The whole step must end within this.
    pub deadline: Duration,
}

/// How a step ended (issue 6 outcome classes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepOutcome {
    Updated,
    Staged,
    NoChange,
    UnexpectedVersion,
    Failed,
    Unreachable,
    TimedOut,
    Cancelled,
    NeedsAttention,
}

/// The result with a message that names host, component and cause.
#[derive(Debug, Clone)]
pub struct StepResult {
    pub step_id: i64,
    pub outcome: StepOutcome,
    pub message: String,
}

fn sha256_file(path: &std::path::Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

fn messages_of(t: &Option<redfish_schemas::Task>) -> String {
    t.as_ref()
        .map(|t| {
            t.messages
                .iter()
                .filter(|m| !matches!(m.message_key(), "TaskStarted" | "TaskProgressChanged"))
                .filter_map(|m| m.message.clone())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// Run one step. Every state change is journaled in `store` before the next action.
pub async fn execute(
    client: &BmcClient,
    store: &Store,
    spec: &StepSpec,
) -> Result<StepResult, crate::store::StoreError> {
    let host = client.host().to_string();
    let step_id = store.add_step(
        spec.run_id,
        &NewStep {
            host: &host,
            component: &spec.identity,
            from_version: spec.from.as_deref(),
            to_version: &spec.to,
            state: "planned",
        },
    )?;
    let finish =
        |outcome: StepOutcome, message: String| -> Result<StepResult, crate::store::StoreError> {
            let o = serde_json::to_value(&outcome)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            store.set_step_state(step_id, "done", None, Some(&o), Some(&message))?;
            store.add_event(spec.run_id, Some(step_id), &o, &message)?;
            Ok(StepResult {
                step_id,
                outcome,
                message,
            })
        };
    // Pre-flight: the image is still the one the plan chose.
    match sha256_file(&spec.image) {
        Ok(h) if h.eq_ignore_ascii_case(&spec.sha256) => {}
        Ok(_) => {
            return finish(
                StepOutcome::Failed,
                format!(
                    "{host} {}: image {} no longer matches its SHA-256; run `fwfleet repo verify`",
                    spec.identity,
                    spec.image.display()
                ),
            )
        }
        Err(e) => {
            return finish(
                StepOutcome::Failed,
                format!(
                    "{host} {}: cannot read image {}: {e}",
                    spec.identity,
                    spec.image.display()
                ),
            )
        }
    }
    let t0 = Instant::now();
    if let Err(e) = client.login().await {
        return finish(
            StepOutcome::Unreachable,
            format!("{host} {}: {e}", spec.identity),
        );
    }
    let root: serde_json::Value = match client.get_public("/redfish/v1/").await {
        Ok(v) => v,
        Err(e) => {
            return finish(
                StepOutcome::Unreachable,
                format!("{host} {}: {e}", spec.identity),
            )
        }
    };
    let platform = Platform::classify(
        root["Vendor"].as_str(),
        root["Product"].as_str(),
        root["RedfishVersion"].as_str(),
    );
    // Journal first: from here a crash must not lead to a second flash.
    store.set_step_state(step_id, "submitted", None, None, None)?;
    let reply = match &spec.transfer {
        Transfer::SimpleUpdate { image_uri } => {
            let mut body = json!({"ImageURI": image_uri});
            if let Some(a) = &spec.apply_time {
                body["@Redfish.OperationApplyTime"] = json!(a);
            } else if platform.requires_start_update() {
                body["@Redfish.OperationApplyTime"] = json!("OnStartUpdateRequest");
            }
            if spec.force {
                body["ForceUpdate"] = json!(true);
            }
            client
                .request(
                    Method::POST,
                    "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate",
                    Some(&body),
                )
                .await
        }
        Transfer::Multipart => {
            let us: Result<serde_json::Value, RedfishError> =
                client.get("/redfish/v1/UpdateService").await;
            match us {
                Ok(us) => {
                    match us["MultipartHttpPushUri"].as_str() {
                        Some(uri) => {
                            let p = MultipartPush {
                                uri: uri.to_string(),
                                file: spec.image.clone(),
                                targets: Vec::new(),
                                apply_time: spec.apply_time.clone(),
                                force: spec.force,
                            };
                            push::multipart(client, &platform, &p).await
                        }
                        None => {
                            store.set_step_state(step_id, "planned", None, None, None)?;
                            return finish(StepOutcome::Failed, format!("{host} {}: the BMC has no MultipartHttpPushUri; use SimpleUpdate", spec.identity));
                        }
                    }
                }
                Err(e) => Err(e),
            }
        }
    };
    let reply = match reply {
        Ok(r) => r,
        // Nothing reached the BMC, or we cannot know: the inventory decides on resume.
        Err(e) => {
            return finish(
                StepOutcome::Unreachable,
                format!("{host} {}: {e}", spec.identity),
            )
        }
    };
    if !reply.status.is_success() {
        let why = crate::redfish::error::redfish_message(&reply.body)
            .unwrap_or_else(|| format!("HTTP {}", reply.status.as_u16()));
        return finish(
            StepOutcome::Failed,
            format!(
                "{host} {}: the BMC refused the update: {why}",
                spec.identity
            ),
        );
    }
    let accepted = task::parse_accepted(&reply);
    let task_uri = accepted.task.clone().or(accepted.monitor.clone());
    store.set_step_state(step_id, "running", task_uri.as_deref(), None, None)?;
    let left = spec.deadline.saturating_sub(t0.elapsed());
    let mut outcome =
        match task::follow(client, &accepted, left, Duration::from_millis(500), |_| {}).await {
            Ok(o) => o,
            Err(e) => {
                return finish(
                    StepOutcome::Unreachable,
                    format!("{host} {}: lost the task: {e}", spec.identity),
                )
            }
        };
    if let Outcome::Held(_, Awaiting::StartUpdate) = outcome {
        let _ = client
            .request(
                Method::POST,
                "/redfish/v1/UpdateService/Actions/UpdateService.StartUpdate",
                Some(&json!({})),
            )
            .await;
        let left = spec.deadline.saturating_sub(t0.elapsed());
        outcome =
            match task::follow(client, &accepted, left, Duration::from_millis(500), |_| {}).await {
                Ok(o) => o,
                Err(e) => {
                    return finish(
                        StepOutcome::Unreachable,
                        format!("{host} {}: lost the task: {e}", spec.identity),
                    )
                }
            };
    }
    match &outcome {
        Outcome::Failed(t) => {
            return finish(
                StepOutcome::Failed,
                format!(
                    "{host} {}: update failed: {}",
                    spec.identity,
                    messages_of(t)
                ),
            )
        }
        Outcome::Cancelled(_) => {
            return finish(
                StepOutcome::Cancelled,
                format!("{host} {}: the update task was cancelled", spec.identity),
            )
        }
        Outcome::TimedOut(_) => {
            return finish(
                StepOutcome::TimedOut,
                format!(
                    "{host} {}: the update task did not finish within {}s",
                    spec.identity,
                    spec.deadline.as_secs()
                ),
            )
        }
        Outcome::Held(_, Awaiting::Reset) => {
            return finish(
                StepOutcome::Staged,
                format!(
                    "{host} {}: {} staged, active after the next reset",
                    spec.identity, spec.to
                ),
            )
        }
        _ => {}
    }
    // Success is the inventory showing the target version as active; after a BMC
    // reboot wait until logins work and two reads agree (FIELD-NOTES B2.12).
    store.set_step_state(step_id, "verifying", None, None, None)?;
    let mut previous: Option<Option<String>> = None;
    loop {
        if t0.elapsed() >= spec.deadline {
            return finish(
                StepOutcome::TimedOut,
                format!(
                    "{host} {}: could not read the new version back within {}s",
                    spec.identity,
                    spec.deadline.as_secs()
                ),
            );
        }
        let mut inv = HostInventory {
            name: host.clone(),
            url: client.base_url().to_string(),
            ok: false,
            error: None,
            system: Default::default(),
            bmc: Default::default(),
            components: Vec::new(),
            software: Vec::new(),
            duration_ms: 0,
        };
        match crate::inventory::scan::read(client, false, &mut inv).await {
            Ok(()) => {
                let now = inv
                    .components
                    .iter()
                    .find(|c| c.identity == spec.identity && c.role == Role::Active)
                    .and_then(|c| c.version.clone());
                if previous.as_ref() == Some(&now) {
                    return match now {
                        Some(v) if v == spec.to => finish(StepOutcome::Updated, format!("{host} {}: now {v}", spec.identity)),
                        Some(v) if Some(&v) == spec.from.as_ref() => finish(
                            StepOutcome::NoChange,
                            format!("{host} {}: the BMC reported success but still runs {v}", spec.identity),
                        ),
                        other => finish(
                            StepOutcome::UnexpectedVersion,
                            format!("{host} {}: expected {}, the BMC reports {}", spec.identity, spec.to, other.unwrap_or_else(|| "no version".into())),
                        ),
                    };
                }
                previous = Some(now);
            }
            Err(RedfishError::PinMismatch { expected, got, .. }) => {
                return finish(
                    StepOutcome::NeedsAttention,
                    format!("{host} {}: the BMC came back with a new certificate ({got}, pinned {expected}); re-pin it if this was the BMC update", spec.identity),
                )
            }
            Err(_) => {
                // Rebooting or not yet serving Redfish: keep waiting within the deadline.
                previous = None;
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

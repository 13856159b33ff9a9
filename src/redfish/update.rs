//! The requests that start and release an update, and what the BMC's
//! answer means: `UpdateService.SimpleUpdate` (the BMC pulls the image), a
//! multipart or raw push (the image streamed from disk, `push`), and
//! `UpdateService.StartUpdate` for an update held `OnStartUpdateRequest`.
//! Targets come from [`UpdateCaps`], found by navigation.

use super::client::{BmcClient, Reply};
use super::error::{error_message_keys, redfish_message, RedfishError};
use super::push::{self, MultipartPush};
use super::task::{parse_accepted, Accepted};
use super::update_service::UpdateCaps;
use crate::vocab::Kind;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::path::Path;

/// How a BMC answered the request that starts an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    /// The answer's HTTP status.
    pub status: StatusCode,
    pub answer: Answer,
}

/// What the answer means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// 2xx: the update is under way; follow it.
    Accepted(Accepted),
    /// Not taken (a 4xx, or a 503 that outlived the client's retries):
    /// nothing was written. The Redfish message, else `HTTP <status>`.
    Refused(String),
    /// Not taken because the BMC lacks the licence that firmware updates
    /// over Redfish need (Supermicro `SMC.1.0.OemLicenseNotPassed`: SFT-OOB-LIC
    /// or SFT-DCMS-SINGLE, NOTES §7.5, fwupd `docs/supermicro-license.md`).
    /// Nothing was written, and trying again cannot help until an operator
    /// installs it. The BMC's message.
    Unlicensed(String),
}

impl Submitted {
    pub(in crate::redfish) fn of(reply: &Reply) -> Submitted {
        let answer = if reply.status.is_success() {
            Answer::Accepted(parse_accepted(reply))
        } else if error_message_keys(&reply.body)
            .iter()
            .any(|k| k == "OemLicenseNotPassed")
        {
            Answer::Unlicensed(
                redfish_message(&reply.body)
                    .unwrap_or_else(|| format!("HTTP {}", reply.status.as_u16())),
            )
        } else {
            Answer::Refused(
                redfish_message(&reply.body)
                    .unwrap_or_else(|| format!("HTTP {}", reply.status.as_u16())),
            )
        };
        Submitted {
            status: reply.status,
            answer,
        }
    }
}

/// For a refusal: whether trying again cannot help (a client error other
/// than 429: the request itself is wrong for this BMC).
pub fn refusal_is_final(status: StatusCode) -> bool {
    status.is_client_error() && status != StatusCode::TOO_MANY_REQUESTS
}

/// For a non-2xx answer to a flash request: whether the BMC may have taken
/// the image anyway (500, 502, 504: bmcweb answers `InternalError` when its
/// wait for the image times out although it took it, `update_service.hpp`
/// `afterAvailbleTimerAsyncWait`; a proxy's 502/504 says nothing about the
/// BMC behind it). Such a request is never sent again: the BMC's tasks and
/// inventory decide.
pub fn maybe_taken(status: StatusCode) -> bool {
    matches!(status.as_u16(), 500 | 502 | 504)
}

fn missing(client: &BmcClient, what: &str) -> RedfishError {
    RedfishError::Unsupported {
        host: client.host().to_string(),
        detail: format!("the BMC has no {what}"),
    }
}

/// What a SimpleUpdate asks for.
#[derive(Debug, Clone, Copy)]
pub struct SimpleUpdate<'a> {
    /// Where the BMC pulls the image from (fwfleet's image server).
    pub image_uri: &'a str,
    /// Redfish `OperationApplyTime`; without one, a platform that holds
    /// updates until StartUpdate is asked for `OnStartUpdateRequest`.
    pub apply_time: Option<&'a str>,
    /// A downgrade the repository or the operator allowed.
    pub force: bool,
}

/// POST `UpdateService.SimpleUpdate`: `ImageURI`, the `TransferProtocol` when
/// the BMC lists the ones it accepts, the apply time, `ForceUpdate`.
pub async fn simple_update(
    client: &BmcClient,
    caps: &UpdateCaps,
    req: &SimpleUpdate<'_>,
) -> Result<Submitted, RedfishError> {
    let target = caps
        .simple_update
        .clone()
        .ok_or_else(|| missing(client, "SimpleUpdate action"))?;
    let mut body = json!({"ImageURI": req.image_uri});
    if let Some((scheme, _)) = req.image_uri.split_once("://") {
        if !caps.protocols.is_empty() {
            body["TransferProtocol"] = json!(scheme.to_ascii_uppercase());
        }
    }
    if let Some(a) = req.apply_time {
        body["@Redfish.OperationApplyTime"] = json!(a);
    } else if caps.platform.requires_start_update() {
        body["@Redfish.OperationApplyTime"] = json!("OnStartUpdateRequest");
    }
    if req.force {
        body["ForceUpdate"] = json!(true);
    }
    let r = client.request(Method::POST, &target, Some(&body)).await?;
    Ok(Submitted::of(&r))
}

/// What a push sends besides the file.
#[derive(Debug, Clone, Copy)]
pub struct Push<'a> {
    pub file: &'a Path,
    /// The component's inventory URI(s) for multipart `Targets` (vendor
    /// rules in `push::parameters` decide whether they are sent).
    pub targets: &'a [String],
    pub apply_time: Option<&'a str>,
    pub force: bool,
    /// What the image is for (vendor forms differ by component).
    pub component: Option<Kind>,
    /// Supermicro: send the preserve flags.
    pub preserve: bool,
}

/// Refuse, before a byte is sent, an image larger than the BMC's
/// `MaxImageSizeBytes` (UpdateService v1_1+): it would answer 413 after
/// taking the whole upload, or (some BMCs) fill its staging memory.
async fn fits(client: &BmcClient, caps: &UpdateCaps, file: &Path) -> Result<(), RedfishError> {
    let Some(max) = caps.max_image_size else {
        return Ok(());
    };
    let size = tokio::fs::metadata(file)
        .await
        .map_err(|e| RedfishError::Unsupported {
            host: client.host().to_string(),
            detail: format!("cannot read image {}: {e}", file.display()),
        })?
        .len();
    if size > max {
        return Err(RedfishError::Unsupported {
            host: client.host().to_string(),
            detail: format!(
                "image {} is {size} bytes, more than the {max} bytes the BMC takes (UpdateService MaxImageSizeBytes); nothing was sent: use a transfer the BMC pulls (SimpleUpdate) or the vendor's smaller image",
                file.display()
            ),
        });
    }
    Ok(())
}

/// A multipart push to the BMC's `MultipartHttpPushUri`, streamed from disk.
pub async fn push_multipart(
    client: &BmcClient,
    caps: &UpdateCaps,
    p: &Push<'_>,
) -> Result<Submitted, RedfishError> {
    let uri = caps
        .multipart
        .clone()
        .ok_or_else(|| missing(client, "MultipartHttpPushUri"))?;
    if caps.platform.multipart_oem_parameters_part()
        && caps.platform.flash_type(p.component).is_none()
    {
        return Err(RedfishError::Unsupported {
            host: client.host().to_string(),
            detail: format!(
                "this AMI-based BMC takes multipart images as BMC or UEFI (OemParameters FlashType) only, not {}; nothing was sent: update it with the vendor's tool",
                p.component.map(|k| k.as_str()).unwrap_or("this component")
            ),
        });
    }
    fits(client, caps, p.file).await?;
    let push = MultipartPush {
        uri,
        file: p.file.to_path_buf(),
        targets: p.targets.to_vec(),
        apply_time: p.apply_time.map(str::to_string),
        force: p.force,
        component: p.component,
        preserve: p.preserve,
    };
    let r = push::multipart(client, &caps.platform, &push).await?;
    Ok(Submitted::of(&r))
}

/// The bare image to the BMC's `HttpPushUri`, streamed from disk.
pub async fn push_raw(
    client: &BmcClient,
    caps: &UpdateCaps,
    file: &Path,
) -> Result<Submitted, RedfishError> {
    let uri = caps
        .http_push
        .clone()
        .ok_or_else(|| missing(client, "HttpPushUri"))?;
    fits(client, caps, file).await?;
    let r = push::raw(client, &uri, file).await?;
    Ok(Submitted::of(&r))
}

/// DELETE an update task (or its monitor) the BMC holds: a held update that
/// wrote nothing is cancelled so that no later `StartUpdate` releases it
/// (DSP0266 asynchronous operations: a DELETE on the monitor or the Task
/// cancels it, `Cancelling` → `Cancelled`; NOTES §4). `Ok` only for a 2xx.
pub async fn cancel_task(client: &BmcClient, uri: &str) -> Result<(), RedfishError> {
    let r = client.request(Method::DELETE, uri, None).await?;
    if !r.status.is_success() {
        return Err(RedfishError::Http {
            host: client.host().to_string(),
            method: "DELETE".into(),
            uri: uri.to_string(),
            status: r.status.as_u16(),
            redfish_message: redfish_message(&r.body),
        });
    }
    Ok(())
}

/// POST `UpdateService.StartUpdate`: release updates held
/// `OnStartUpdateRequest`. The target the UpdateService names, else the
/// standard one under it.
pub async fn start_update(
    client: &BmcClient,
    caps: &UpdateCaps,
) -> Result<Submitted, RedfishError> {
    let target = caps
        .start_update
        .clone()
        .unwrap_or_else(|| format!("{}/Actions/UpdateService.StartUpdate", caps.update_service));
    let r = client
        .request(Method::POST, &target, Some(&json!({})))
        .await?;
    if !r.status.is_success() {
        return Err(RedfishError::Http {
            host: client.host().to_string(),
            method: "POST".into(),
            uri: target,
            status: r.status.as_u16(),
            redfish_message: redfish_message(&r.body),
        });
    }
    // Supermicro's answer names the task that now writes the image (bmclib
    // `StartUpdateForUploadedFirmware`); others answer 200/204 with nothing.
    Ok(Submitted::of(&r))
}

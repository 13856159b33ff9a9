//! What a Task's messages say (Redfish `Message` objects, matched by key
//! without their registry version): why an update failed, whether anything
//! was written before it did, and which reset activates a staged image.

use redfish_schemas::Task;

/// A reset the BMC asked for to activate a staged image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetRequest {
    /// The reset action target, when the task named it (`ResetRequired` args).
    pub target: Option<String>,
    /// The reset type it named.
    pub reset_type: Option<String>,
}

/// The task's messages for people, `text (Key)` each, progress chatter left
/// out; "the BMC gave no reason" when there are none.
pub fn reasons(t: Option<&Task>) -> String {
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
pub fn wrote_nothing(t: Option<&Task>) -> bool {
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

/// The reset a staged task asks for (`ResetRequired`: target, reset type).
pub fn reset_requested(t: &Task) -> ResetRequest {
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

/// iLO's failed flash (`Oem.Hpe.State: Error`) read as a failed Task, so
/// it is reported as every other failure is: `Result.MessageId`, else
/// `UpdateFailed`.
pub fn hpe_failure(h: &crate::redfish::update_service::HpeUpdate) -> Task {
    let id = h.result.clone().unwrap_or_else(|| "UpdateFailed".into());
    serde_json::from_value(serde_json::json!({
        "@odata.id": "/redfish/v1/UpdateService",
        "Id": "Oem.Hpe",
        "TaskState": "Exception",
        "Messages": [{
            "MessageId": id,
            "Message": "iLO's update engine reports Error (UpdateService Oem.Hpe.State)"
        }]
    }))
    .expect("a Task built from known fields")
}

/// Where a task that timed out was last seen, ` (last seen Running, 40%)`,
/// or nothing when no Task was read.
pub fn last_seen(t: Option<&Task>) -> String {
    t.map(|t| {
        format!(
            " (last seen {:?}, {}%)",
            t.task_state,
            t.percent_complete.unwrap_or(0)
        )
    })
    .unwrap_or_default()
}

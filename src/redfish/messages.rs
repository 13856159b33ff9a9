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
            // A BMC may list a message with neither text nor id (seen
            // after an interrupted Supermicro update): it says nothing.
            .filter_map(|m| {
                let text = m.message.as_deref().unwrap_or_default().trim();
                match (text, m.message_key()) {
                    ("", "") => None,
                    (t, "") => Some(t.to_string()),
                    ("", k) => Some(k.to_string()),
                    (t, k) => Some(format!("{t} ({k})")),
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn task(messages: serde_json::Value) -> Task {
        serde_json::from_value(serde_json::json!({
            "@odata.id": "/redfish/v1/TaskService/Tasks/1",
            "Id": "1",
            "Name": "Update",
            "TaskState": "Exception",
            "Messages": messages
        }))
        .unwrap()
    }

    #[test]
    fn reasons_leave_out_empty_messages_and_keep_what_each_one_says() {
        let t = task(serde_json::json!([
            {"MessageId": "TaskEvent.1.0.TaskStarted", "Message": "started"},
            {},
            {"Message": "Flash failed: image rejected"},
            {"MessageId": "Update.1.0.VerificationFailed"},
            {"MessageId": "Base.1.8.GeneralError", "Message": "A general error has occurred."}
        ]));
        assert_eq!(
            reasons(Some(&t)),
            "Flash failed: image rejected; VerificationFailed; A general error has occurred. (GeneralError)"
        );
        assert_eq!(
            reasons(Some(&task(serde_json::json!([{}])))),
            "the BMC gave no reason"
        );
        assert_eq!(reasons(None), "the BMC gave no reason");
    }
}

//! What a Task's messages say, for the step's journal and result.

use super::ResetRequest;

pub(super) fn messages_of(t: Option<&redfish_schemas::Task>) -> String {
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
pub(super) fn wrote_nothing(t: Option<&redfish_schemas::Task>) -> bool {
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

pub(super) fn reset_of(t: &redfish_schemas::Task) -> ResetRequest {
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

//! Bodies that are not resources: the Redfish error envelope and the loose
//! shapes BMCs return from actions and pushes (202/200/204 bodies).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::de;
use crate::message::{message_key, Message};
use crate::task::TaskState;

/// The error body of a 4xx/5xx response:
/// `{"error": {"code", "message", "@Message.ExtendedInfo"}}`
/// (`redfish-error.v1_0_2`, DSP8010 2025.4; DSP0266 "Error responses").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RedfishError {
    /// The error contents.
    pub error: ErrorBody,
}

impl RedfishError {
    /// `error.code` without registry prefix and version (`GeneralError`).
    pub fn code_key(&self) -> Option<&str> {
        self.error.code_key()
    }

    /// `@Message.ExtendedInfo`.
    pub fn messages(&self) -> &[Message] {
        &self.error.extended_info
    }
}

/// `code: text`, the first extended message standing in for missing text.
impl fmt::Display for RedfishError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.error.code.as_deref().unwrap_or("no error code");
        match self.error.text() {
            Some(text) => write!(f, "{code}: {text}"),
            None => f.write_str(code),
        }
    }
}

/// `redfish-error.v1_0_2.RedfishErrorContents`, also the inner object of
/// Supermicro's non-standard `{"Accepted": {...}}` 202 body.
///
/// `code` and `message` are required by the schema but optional here because
/// some services send only `@Message.ExtendedInfo`. Supermicro writes `Message`
/// with a capital M; both spellings are kept, [`text`](Self::text) picks one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A MessageId: `Base.1.18.GeneralError`, `Base.v1_4_0.GeneralError`, `iLO.0.10.ExtendedInfo`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Human-readable text (standard spelling).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Human-readable text, Supermicro spelling.
    #[serde(rename = "Message", skip_serializing_if = "Option::is_none")]
    pub message_capitalized: Option<String>,
    /// `@Message.ExtendedInfo`: the individual messages.
    #[serde(
        rename = "@Message.ExtendedInfo",
        default,
        deserialize_with = "de::vec_skip_nulls",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub extended_info: Vec<Message>,
}

impl ErrorBody {
    /// `message`, else `Message`, else the text of the first extended message.
    pub fn text(&self) -> Option<&str> {
        self.message
            .as_deref()
            .or(self.message_capitalized.as_deref())
            .or_else(|| self.extended_info.iter().find_map(|m| m.message.as_deref()))
    }

    /// `code` without registry prefix and version.
    pub fn code_key(&self) -> Option<&str> {
        self.code.as_deref().map(message_key)
    }
}

/// Whatever a BMC answers to an action or push (SimpleUpdate, multipart push,
/// StartUpdate, Reset, session DELETE): a Task (OpenBMC, iLO, Lenovo), a bare
/// `@Message.ExtendedInfo` (bmcweb `Success`), Supermicro's
/// `{"Accepted": {...}}`, or an error envelope. Every part is optional and
/// unknown properties are ignored, so any JSON object decodes; use
/// [`messages`](Self::messages) to scan all messages at once, e.g. for task
/// URIs in `MessageArgs`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActionResponse {
    /// `@odata.id` of a returned resource (a Task's URI on Lenovo XCC).
    #[serde(rename = "@odata.id", skip_serializing_if = "Option::is_none")]
    pub odata_id: Option<String>,
    /// `@odata.type` of a returned resource (`#Task.v1_4_3.Task`).
    #[serde(rename = "@odata.type", skip_serializing_if = "Option::is_none")]
    pub odata_type: Option<String>,
    /// `Id` of a returned resource.
    #[serde(rename = "Id", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `TaskState` when the body is a Task.
    #[serde(rename = "TaskState", skip_serializing_if = "Option::is_none")]
    pub task_state: Option<TaskState>,
    /// `TaskMonitor` when the body is a Task.
    #[serde(rename = "TaskMonitor", skip_serializing_if = "Option::is_none")]
    pub task_monitor: Option<String>,
    /// `Messages` when the body is a Task.
    #[serde(
        rename = "Messages",
        default,
        deserialize_with = "de::vec_skip_nulls",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub task_messages: Vec<Message>,
    /// Top-level `@Message.ExtendedInfo`.
    #[serde(
        rename = "@Message.ExtendedInfo",
        default,
        deserialize_with = "de::vec_skip_nulls",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub extended_info: Vec<Message>,
    /// Supermicro's `Accepted` envelope.
    #[serde(rename = "Accepted", skip_serializing_if = "Option::is_none")]
    pub accepted: Option<ErrorBody>,
    /// A standard error envelope (some BMCs send one with a 2xx status).
    #[serde(rename = "error", skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

impl ActionResponse {
    /// Whether the body looks like a Task resource (`@odata.type` `#Task.…`).
    pub fn is_task(&self) -> bool {
        self.odata_type
            .as_deref()
            .is_some_and(|t| t.starts_with("#Task."))
    }

    /// Every message in the body: task `Messages`, top-level
    /// `@Message.ExtendedInfo`, then those inside `Accepted` and `error`.
    pub fn messages(&self) -> impl Iterator<Item = &Message> {
        self.task_messages
            .iter()
            .chain(&self.extended_info)
            .chain(self.accepted.iter().flat_map(|b| &b.extended_info))
            .chain(self.error.iter().flat_map(|b| &b.extended_info))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::Health;
    use crate::test_support::check;

    #[test]
    fn bmcweb_error_with_one_message() {
        let e: RedfishError = check(
            r##"{
                "error": {
                    "@Message.ExtendedInfo": [{
                        "@odata.type": "#Message.v1_1_1.Message",
                        "Message": "The service is temporarily unavailable.  Retry in 30 seconds.",
                        "MessageArgs": ["30"],
                        "MessageId": "Base.1.18.1.ServiceTemporarilyUnavailable",
                        "MessageSeverity": "Critical",
                        "Resolution": "Wait for the indicated retry duration and retry the operation."
                    }],
                    "code": "Base.1.18.1.ServiceTemporarilyUnavailable",
                    "message": "The service is temporarily unavailable.  Retry in 30 seconds."
                }
            }"##,
        );
        assert_eq!(e.code_key(), Some("ServiceTemporarilyUnavailable"));
        assert_eq!(e.messages()[0].severity(), Some(&Health::Critical));
        assert_eq!(
            e.to_string(),
            "Base.1.18.1.ServiceTemporarilyUnavailable: The service is temporarily unavailable.  Retry in 30 seconds."
        );
    }

    #[test]
    fn supermicro_error_with_capital_message() {
        let e: RedfishError = check(
            r##"{
                "error": {
                    "code": "Base.v1_4_0.GeneralError",
                    "Message": "A general error has occurred. See ExtendedInfo for more information.",
                    "@Message.ExtendedInfo": [{
                        "MessageId": "SMC.1.0.OemLicenseNotPassed",
                        "Severity": "Warning",
                        "Resolution": "Please check if there was the next step with respective API to execute.",
                        "Message": "Not licensed to perform this request. The following licenses SFT-OOB-LIC SFT-DCMS-SINGLE were needed",
                        "MessageArgs": ["SFT-OOB-LIC SFT-DCMS-SINGLE"],
                        "RelatedProperties": [""]
                    }]
                }
            }"##,
        );
        assert_eq!(
            e.error.text(),
            Some("A general error has occurred. See ExtendedInfo for more information.")
        );
        assert_eq!(e.code_key(), Some("GeneralError"));
        assert!(e.messages()[0].is("SMC", "OemLicenseNotPassed"));
        assert_eq!(e.messages()[0].severity(), Some(&Health::Warning));
    }

    #[test]
    fn ilo_monitor_gone_error() {
        let e: RedfishError = check(
            r##"{
                "error": {
                    "code": "iLO.0.10.ExtendedInfo",
                    "message": "See @Message.ExtendedInfo for more information.",
                    "@Message.ExtendedInfo": [{"MessageArgs": ["/redfish/v1/TaskService/TaskMonitors/1/"], "MessageId": "Base.1.18.ResourceMissingAtURI"}]
                }
            }"##,
        );
        assert_eq!(e.code_key(), Some("ExtendedInfo"));
        assert!(e.messages()[0].is("Base", "ResourceMissingAtURI"));
    }

    #[test]
    fn error_with_only_extended_info_uses_first_message_text() {
        let e: RedfishError = check(
            r##"{"error": {"@Message.ExtendedInfo": [{"MessageId": "Base.1.8.InternalError", "Message": "The request failed due to an internal service error."}]}}"##,
        );
        assert_eq!(
            e.to_string(),
            "no error code: The request failed due to an internal service error."
        );
        let bare: RedfishError = check(r##"{"error": {"code": "Base.1.8.GeneralError"}}"##);
        assert_eq!(bare.to_string(), "Base.1.8.GeneralError");
    }

    #[test]
    fn supermicro_accepted_body_carries_task_uri_in_message_args() {
        let r: ActionResponse = check(
            r##"{
                "Accepted": {
                    "code": "Base.v1_4_0.Accepted",
                    "Message": "Successfully Accepted Request. Please see the location header and ExtendedInfo for more information.",
                    "@Message.ExtendedInfo": [{
                        "MessageId": "SMC.1.0.OemSimpleupdateAcceptedMessage",
                        "Severity": "Ok",
                        "Resolution": "No resolution was required.",
                        "Message": "Please also check Task Resource /redfish/v1/TaskService/Tasks/546 to see more information.",
                        "MessageArgs": ["/redfish/v1/TaskService/Tasks/546"],
                        "RelatedProperties": ["BmcVerifyAccepted"]
                    }]
                }
            }"##,
        );
        assert!(!r.is_task());
        let accepted = r.accepted.as_ref().unwrap();
        assert_eq!(accepted.code_key(), Some("Accepted"));
        let msg = r.messages().next().unwrap();
        assert_eq!(msg.message_key(), "OemSimpleupdateAcceptedMessage");
        assert_eq!(msg.registry(), Some("SMC"));
        assert_eq!(msg.severity(), Some(&Health::Ok));
        assert_eq!(msg.message_args, ["/redfish/v1/TaskService/Tasks/546"]);
    }

    #[test]
    fn task_body_of_a_202() {
        let r: ActionResponse = check(
            r##"{
                "@odata.id": "/redfish/v1/TaskService/Tasks/3",
                "@odata.type": "#Task.v1_4_3.Task",
                "Id": "3",
                "TaskState": "Running",
                "TaskStatus": "OK",
                "TaskMonitor": "/redfish/v1/TaskService/TaskMonitors/3",
                "Messages": [{"MessageId": "TaskEvent.1.0.3.TaskStarted", "MessageArgs": ["3"]}]
            }"##,
        );
        assert!(r.is_task());
        assert_eq!(r.task_state, Some(TaskState::Running));
        assert_eq!(r.messages().count(), 1);
    }

    #[test]
    fn bmcweb_success_body_and_empty_object() {
        let r: ActionResponse = check(
            r##"{"@Message.ExtendedInfo": [{"@odata.type": "#Message.v1_1_1.Message", "Message": "The request completed successfully.", "MessageArgs": [], "MessageId": "Base.1.18.1.Success", "MessageSeverity": "OK", "Resolution": "None"}]}"##,
        );
        assert!(r.messages().any(|m| m.is("Base", "Success")));
        let empty: ActionResponse = check("{}");
        assert_eq!(empty, ActionResponse::default());
    }
}

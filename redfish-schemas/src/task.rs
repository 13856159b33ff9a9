//! Asynchronous operations: the TaskService and Task resources, and the
//! lenient `TaskState`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::common::{Health, ODataId, Status};
use crate::de;
use crate::message::Message;

/// `TaskService.v1_3_0.TaskService` (DSP8010 2025.4), `/redfish/v1/TaskService`
/// (linked from the service root as `Tasks`).
///
/// Only the link to the task collection matters to a client; the policies are
/// informational and optional (`TaskMonitorAutoExpirySeconds` is v1_3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaskService {
    /// `/redfish/v1/TaskService`.
    #[serde(rename = "@odata.id")]
    pub odata_id: String,
    /// `#TaskService.v1_x_y.TaskService`; optional (NOTES §7.6).
    #[serde(rename = "@odata.type", skip_serializing_if = "Option::is_none")]
    pub odata_type: Option<String>,
    /// Usually `TaskService`.
    pub id: String,
    /// Display name; optional (NOTES §7.6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether the service accepts tasks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_enabled: Option<bool>,
    /// Status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Current date and time of the service, kept as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_time: Option<String>,
    /// `Manual` or `Oldest`: what happens to completed tasks when full.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_task_over_write_policy: Option<String>,
    /// Whether task state changes raise events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub life_cycle_event_on_task_state_change: Option<bool>,
    /// Minutes until completed tasks are deleted (v1_2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_auto_delete_timeout_minutes: Option<u64>,
    /// Seconds a completed task monitor survives after it was read (v1_3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_monitor_auto_expiry_seconds: Option<u64>,
    /// `TaskCollection`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tasks: Option<ODataId>,
    /// Vendor extensions, kept raw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oem: Option<Value>,
}

lenient_enum! {
    /// `Task.TaskState` (Task.v1_7_4). Never fails to decode: non-standard
    /// states (`Downloading`, `Scheduled`, `Scheduling`, Dell `JobState` values,
    /// `Canceled`) become `Other(String)`, to be classified by the caller.
    pub enum TaskState {
        /// Created, not yet started.
        New => "New",
        /// Starting.
        Starting => "Starting",
        /// Executing.
        Running => "Running",
        /// Stopped, can be resumed.
        Suspended => "Suspended",
        /// Interrupted, expected to restart.
        Interrupted => "Interrupted",
        /// Waiting on a condition (e.g. a reboot).
        Pending => "Pending",
        /// Stopping.
        Stopping => "Stopping",
        /// Finished, successfully or with warnings (see `TaskStatus`). Terminal.
        Completed => "Completed",
        /// Terminated (deprecated v1_2 in favour of `Cancelled`). Terminal.
        Killed => "Killed",
        /// Finished with errors. Terminal.
        Exception => "Exception",
        /// Performing service tasks.
        Service => "Service",
        /// Being cancelled (v1_2).
        Cancelling => "Cancelling",
        /// Cancelled (v1_2). Terminal.
        Cancelled => "Cancelled",
    }
}

impl TaskState {
    /// Whether this is one of the standard terminal states (`Completed`,
    /// `Killed`, `Exception`, `Cancelled`). `Other` values are never terminal
    /// here; mapping vendor states is the caller's decision.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Killed | Self::Exception | Self::Cancelled
        )
    }
}

/// `Task.v1_7_4.Task` (DSP8010 2025.4): `/redfish/v1/TaskService/Tasks/<id>`,
/// and often the body of a 202 or of a task-monitor poll.
///
/// Tolerance: `TaskState` is lenient (see [`TaskState`]); `StartTime`/`EndTime`
/// are strings because Dell sends `TIME_NOW`/`TIME_NA`; `PercentComplete`
/// accepts numbers, numeric strings and clamps to 0–100 (v1_4, absent before);
/// `Messages: null` and `null` entries decode as empty; `Name` and
/// `@odata.type` may be missing. Vendor job data (`Oem.Dell.JobState`) is kept
/// raw in `oem`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Task {
    /// URI of the task resource (not of the task monitor).
    #[serde(rename = "@odata.id")]
    pub odata_id: String,
    /// `#Task.v1_x_y.Task`; optional (NOTES §7.6).
    #[serde(rename = "@odata.type", skip_serializing_if = "Option::is_none")]
    pub odata_type: Option<String>,
    /// Task id (`JID_873435962785` on iDRAC).
    pub id: String,
    /// Display name; optional (NOTES §7.6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// State of the task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_state: Option<TaskState>,
    /// Health of the completed task: `OK`, `Warning` or `Critical`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_status: Option<Health>,
    /// Progress 0–100 (v1_4).
    #[serde(
        default,
        deserialize_with = "de::lenient_percent",
        skip_serializing_if = "Option::is_none"
    )]
    pub percent_complete: Option<u8>,
    /// Start time, kept as sent (`TIME_NOW` on iDRAC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// End time, kept as sent; only meaningful once terminal (`TIME_NA` on iDRAC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    /// Estimated duration, ISO 8601 duration string (v1_6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_duration: Option<String>,
    /// URI of the task monitor (v1_2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_monitor: Option<String>,
    /// Messages about the task's progress and result.
    #[serde(
        default,
        deserialize_with = "de::vec_skip_nulls",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub messages: Vec<Message>,
    /// Whether `Payload` is hidden (v1_3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hide_payload: Option<bool>,
    /// The request that created the task (v1_3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<TaskPayload>,
    /// `TaskCollection` of sub-tasks (v1_5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_tasks: Option<ODataId>,
    /// Resources created by the task (v1_7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<TaskLinks>,
    /// Vendor extensions, kept raw (`Oem.Dell` job details).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oem: Option<Value>,
}

impl_oem_at!(TaskService, Task);

impl Task {
    /// Whether `TaskState` is a standard terminal state.
    pub fn is_terminal(&self) -> bool {
        self.task_state.as_ref().is_some_and(TaskState::is_terminal)
    }
}

/// `TaskCollection` (DSP8010 2025.4) with member links.
pub type TaskCollection = crate::common::Collection<ODataId>;

/// `Task.v1_7_4.Payload` (v1_3): the HTTP request that created the task.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaskPayload {
    /// `POST`, `PATCH`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_operation: Option<String>,
    /// URI the request was sent to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_uri: Option<String>,
    /// Request headers, `Name: value` strings.
    #[serde(
        default,
        deserialize_with = "de::vec_skip_nulls",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub http_headers: Vec<String>,
    /// Request body as a JSON string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_body: Option<String>,
}

/// `Task.v1_7_4.Links` (v1_7).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaskLinks {
    /// Resources the task created.
    #[serde(
        default,
        deserialize_with = "de::vec_skip_nulls",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub created_resources: Vec<ODataId>,
    /// Vendor extensions, kept raw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oem: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::check;

    #[test]
    fn idrac_jid_task_with_oem_dell() {
        let task: Task = check(
            r##"{
                "@odata.context": "/redfish/v1/$metadata#Task.Task",
                "@odata.id": "/redfish/v1/TaskService/Tasks/JID_873435962785",
                "@odata.type": "#Task.v1_5_1.Task",
                "Description": "Server Configuration and other Tasks running on iDRAC are listed here",
                "EndTime": "TIME_NA",
                "Id": "JID_873435962785",
                "Messages": [
                    {"Message": "Task successfully scheduled.", "MessageArgs": [], "MessageArgs@odata.count": 0, "MessageId": "IDRAC.2.8.JCP001"}
                ],
                "Messages@odata.count": 1,
                "Name": "Firmware Update: BIOS",
                "Oem": {
                    "Dell": {
                        "@odata.type": "#DellJob.v1_5_0.DellJob",
                        "CompletionTime": null,
                        "Description": "Job Instance",
                        "EndTime": "TIME_NA",
                        "Id": "JID_873435962785",
                        "JobState": "Scheduled",
                        "JobType": "FirmwareUpdate",
                        "Message": "Task successfully scheduled.",
                        "MessageArgs": [],
                        "MessageId": "JCP001",
                        "Name": "Firmware Update: BIOS",
                        "PercentComplete": 0,
                        "StartTime": "TIME_NOW",
                        "TargetSettingsURI": null
                    }
                },
                "PercentComplete": 0,
                "StartTime": "TIME_NOW",
                "TaskState": "Starting",
                "TaskStatus": "OK"
            }"##,
        );
        assert_eq!(task.id, "JID_873435962785");
        assert_eq!(task.task_state, Some(TaskState::Starting));
        assert_eq!(task.start_time.as_deref(), Some("TIME_NOW"));
        assert_eq!(task.end_time.as_deref(), Some("TIME_NA"));
        assert_eq!(task.percent_complete, Some(0));
        assert_eq!(task.messages[0].message_key(), "JCP001");
        assert_eq!(task.messages[0].registry(), Some("IDRAC"));
        let job_state = task
            .oem_at(&["Dell", "JobState"])
            .and_then(Value::as_str)
            .map(TaskState::from);
        assert_eq!(job_state, Some(TaskState::Other("Scheduled".into())));
        assert_eq!(task.oem_at(&["Dell", "CompletionTime"]), None);
        assert!(!task.is_terminal());
    }

    #[test]
    fn idrac_task_with_non_standard_state() {
        let task: Task = check(
            r##"{"@odata.id": "/redfish/v1/TaskService/Tasks/JID_1", "Id": "JID_1", "TaskState": "Downloading", "PercentComplete": "12"}"##,
        );
        assert_eq!(
            task.task_state,
            Some(TaskState::Other("Downloading".into()))
        );
        assert_eq!(task.percent_complete, Some(12));
    }

    #[test]
    fn openbmc_running_task_with_payload() {
        let task: Task = check(
            r##"{
                "@odata.id": "/redfish/v1/TaskService/Tasks/0",
                "@odata.type": "#Task.v1_4_3.Task",
                "Id": "0",
                "Messages": [
                    {"@odata.type": "#Message.v1_1_1.Message", "Message": "The task with Id '0' has started.", "MessageArgs": ["0"], "MessageId": "TaskEvent.1.0.3.TaskStarted", "MessageSeverity": "OK", "Resolution": "None."},
                    {"@odata.type": "#Message.v1_1_1.Message", "Message": "The task with Id '0' has changed to progress 20 percent complete.", "MessageArgs": ["0", "20"], "MessageId": "TaskEvent.1.0.3.TaskProgressChanged", "MessageSeverity": "OK", "Resolution": "None."}
                ],
                "Name": "Task 0",
                "Payload": {
                    "HttpHeaders": ["Host: 10.0.0.5", "User-Agent: fwfleet/0.1", "Accept: */*", "Content-Length: 33554944"],
                    "HttpOperation": "POST",
                    "JsonBody": "null",
                    "TargetUri": "/redfish/v1/UpdateService/update-multipart"
                },
                "PercentComplete": 20,
                "StartTime": "2025-02-11T08:47:30+00:00",
                "TaskMonitor": "/redfish/v1/TaskService/TaskMonitors/0",
                "TaskState": "Running",
                "TaskStatus": "OK"
            }"##,
        );
        assert_eq!(task.task_state, Some(TaskState::Running));
        assert_eq!(
            task.task_monitor.as_deref(),
            Some("/redfish/v1/TaskService/TaskMonitors/0")
        );
        assert_eq!(task.messages.len(), 2);
        assert!(task.messages[1].is("TaskEvent", "TaskProgressChanged"));
        let payload = task.payload.unwrap();
        assert_eq!(
            payload.target_uri.as_deref(),
            Some("/redfish/v1/UpdateService/update-multipart")
        );
        assert_eq!(payload.http_headers.len(), 4);
    }

    #[test]
    fn openbmc_completed_task() {
        let task: Task = check(
            r##"{
                "@odata.id": "/redfish/v1/TaskService/Tasks/1",
                "@odata.type": "#Task.v1_4_3.Task",
                "EndTime": "2025-02-11T08:52:02+00:00",
                "Id": "1",
                "Messages": [{"Message": "The task with Id '1' has completed.", "MessageArgs": ["1"], "MessageId": "TaskEvent.1.0.3.TaskCompletedOK", "MessageSeverity": "OK", "Resolution": "None."}],
                "Name": "Task 1",
                "PercentComplete": 100,
                "StartTime": "2025-02-11T08:47:30+00:00",
                "TaskMonitor": "/redfish/v1/TaskService/TaskMonitors/1",
                "TaskState": "Completed",
                "TaskStatus": "OK"
            }"##,
        );
        assert!(task.is_terminal());
        assert_eq!(task.task_status, Some(Health::Ok));
    }

    #[test]
    fn supermicro_scheduled_task_with_placeholder_messages() {
        let task: Task = check(
            r##"{
                "@odata.type": "#Task.v1_4_3.Task",
                "@odata.id": "/redfish/v1/TaskService/Tasks/546",
                "Id": "546",
                "Name": "BIOS Update",
                "TaskState": "Scheduled",
                "StartTime": "2025-01-20T03:11:52+00:00",
                "PercentComplete": null,
                "TaskStatus": "OK",
                "TaskMonitor": "/redfish/v1/TaskMonitor/k1ehOmzUZqJUYsd",
                "Messages": [{"MessageId": "", "RelatedProperties": [""], "Message": "", "MessageArgs": [""], "Severity": ""}]
            }"##,
        );
        assert_eq!(task.task_state, Some(TaskState::Other("Scheduled".into())));
        assert!(!task.is_terminal());
        assert_eq!(task.percent_complete, None);
        assert_eq!(task.messages[0].message_key(), "");
    }

    #[test]
    fn lenovo_task_with_free_text_update_message() {
        let task: Task = check(
            r##"{
                "@odata.id": "/redfish/v1/TaskService/Tasks/task0",
                "@odata.type": "#Task.v1_5_0.Task",
                "Id": "task0",
                "Name": "Task task0",
                "TaskState": "Completed",
                "TaskStatus": "OK",
                "PercentComplete": 100,
                "Messages": [{"MessageId": "Update.1.0.UpdateSuccessful", "Message": "Firmware lnvgy_fw_xcc_tgbt56b-5.20 was applied successfully.", "Severity": "OK"}],
                "StartTime": "2025-03-01T10:00:00+00:00",
                "EndTime": "2025-03-01T10:06:41+00:00"
            }"##,
        );
        assert!(task.messages[0].is("Update", "UpdateSuccessful"));
        assert!(task.messages[0].message_args.is_empty());
    }

    #[test]
    fn task_with_null_messages_no_name_and_created_resources() {
        let task: Task = check(
            r##"{"@odata.id": "/redfish/v1/TaskService/Tasks/9", "Id": "9", "Messages": null, "TaskState": "Exception", "TaskStatus": "Critical", "Links": {"CreatedResources": [{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/staged"}]}}"##,
        );
        assert!(task.messages.is_empty());
        assert_eq!(task.name, None);
        assert!(task.is_terminal());
        assert_eq!(task.links.unwrap().created_resources.len(), 1);
    }

    #[test]
    fn task_state_never_fails() {
        for raw in [
            "Downloading",
            "Downloaded",
            "Scheduling",
            "Scheduled",
            "Canceled",
            "",
            "UserIntervention",
        ] {
            let state: TaskState = serde_json::from_value(serde_json::json!(raw)).unwrap();
            assert_eq!(state, TaskState::Other(raw.to_owned()));
            assert_eq!(state.as_str(), raw);
        }
        let state: TaskState = serde_json::from_str("7").unwrap();
        assert_eq!(state, TaskState::Other("7".into()));
        assert_eq!(TaskState::from("COMPLETED"), TaskState::Completed);
    }

    #[test]
    fn task_service() {
        let ts: TaskService = check(
            r##"{
                "@odata.id": "/redfish/v1/TaskService",
                "@odata.type": "#TaskService.v1_1_4.TaskService",
                "CompletedTaskOverWritePolicy": "Oldest",
                "DateTime": "2025-02-11T08:47:30+00:00",
                "Id": "TaskService",
                "LifeCycleEventOnTaskStateChange": true,
                "Name": "Task Service",
                "ServiceEnabled": true,
                "Status": {"Health": "OK", "HealthRollup": "OK", "State": "Enabled"},
                "Tasks": {"@odata.id": "/redfish/v1/TaskService/Tasks"}
            }"##,
        );
        assert_eq!(ts.tasks.unwrap().as_str(), "/redfish/v1/TaskService/Tasks");
    }
}

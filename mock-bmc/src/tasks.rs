//! Redfish tasks and task monitors (DSP0266 "Asynchronous operations"), with
//! each persona's way of exposing them.
//!
//! The monitor answers 202 (+ `Location`, `Retry-After`) while the task runs,
//! the final response once, then 404; the Task resource always answers 200 —
//! except where a persona documents otherwise (iDRAC tasks vanish after
//! completion, iLO monitors go 404 at completion).

use crate::messages::{message, Registry};
use crate::persona::Persona;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use std::time::Instant;

/// TaskState values, including the non-standard ones some personas emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    New,
    Starting,
    Running,
    Pending,
    Cancelling,
    Completed,
    Exception,
    Cancelled,
    /// Supermicro's non-standard state while waiting for `StartUpdate`.
    Scheduled,
    /// Interrupted, expected to restart (Task.v1_7_4); field tasks pass through it.
    Interrupted,
    /// Suspended, resumes later (Task.v1_7_4).
    Suspended,
    /// bmcweb: the image is staged and the task waits for the reset.
    Stopping,
}

impl TaskState {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::New => "New",
            TaskState::Starting => "Starting",
            TaskState::Running => "Running",
            TaskState::Pending => "Pending",
            TaskState::Cancelling => "Cancelling",
            TaskState::Completed => "Completed",
            TaskState::Exception => "Exception",
            TaskState::Cancelled => "Cancelled",
            TaskState::Scheduled => "Scheduled",
            TaskState::Interrupted => "Interrupted",
            TaskState::Suspended => "Suspended",
            TaskState::Stopping => "Stopping",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            TaskState::Completed | TaskState::Exception | TaskState::Cancelled
        )
    }
}

/// One task.
#[derive(Debug, Clone)]
pub struct Task {
    pub id: String,
    pub name: String,
    pub state: TaskState,
    pub percent: u8,
    pub messages: Vec<Value>,
    pub started: DateTime<Utc>,
    pub ended: Option<DateTime<Utc>>,
    /// Where `Location` points: a monitor URI, or the task URI itself (iDRAC).
    pub monitor: String,
    /// The final response was served once; the monitor is gone.
    pub monitor_done: bool,
    /// When the task resource itself disappears (iDRAC), if ever.
    pub vanish_at: Option<Instant>,
    /// The write to flash has begun: too late to cancel.
    pub committed: bool,
    pub target_uri: String,
    pub persona: Persona,
    /// Supermicro: `Messages` holds one placeholder with empty strings.
    pub blank_messages: bool,
    /// iLO field: progress is in `UpdateService.Oem.Hpe`, not the task.
    pub hide_percent: bool,
    /// Field iDRAC: the job's own state, id and message for `Oem.Dell`.
    pub oem_job: Option<(&'static str, &'static str, String)>,
}

pub const TASKS: &str = "/redfish/v1/TaskService/Tasks";

impl Task {
    pub fn uri(&self) -> String {
        format!("{TASKS}/{}", self.id)
    }

    /// A new update task; `seq` numbers tasks per BMC.
    pub fn new_update(persona: Persona, seq: u64, target_uri: &str) -> Task {
        let id = match persona {
            Persona::Idrac => format!("JID_{:012}", 866_000_000_000u64 + seq * 7919),
            _ => seq.to_string(),
        };
        let monitor = match persona {
            Persona::Idrac => format!("{TASKS}/{id}"),
            Persona::Supermicro => {
                format!("/redfish/v1/TaskMonitor/{}", crate::state::random_token())
            }
            _ => format!("/redfish/v1/TaskService/TaskMonitors/{id}"),
        };
        let mut t = Task {
            id: id.clone(),
            name: match persona {
                Persona::Idrac => "Firmware Update".to_string(),
                _ => format!("Task {id}"),
            },
            state: TaskState::New,
            percent: 0,
            messages: Vec::new(),
            started: Utc::now(),
            ended: None,
            monitor,
            monitor_done: false,
            vanish_at: None,
            committed: false,
            target_uri: target_uri.to_string(),
            persona,
            blank_messages: false,
            hide_percent: false,
            oem_job: None,
        };
        t.push(Registry::TaskEvent, "TaskStarted", &[&id]);
        t
    }

    pub fn push(&mut self, registry: Registry, key: &str, args: &[&str]) {
        self.messages.push(message(registry, key, args));
    }

    /// Move to `state`; terminal states stamp the end time and the final message.
    pub fn set_state(&mut self, state: TaskState) {
        if self.state.is_terminal() {
            return;
        }
        self.state = state;
        if state.is_terminal() {
            self.ended = Some(Utc::now());
            let id = self.id.clone();
            match state {
                TaskState::Completed => {
                    self.percent = 100;
                    self.push(Registry::TaskEvent, "TaskCompletedOK", &[&id]);
                }
                TaskState::Exception => self.push(Registry::TaskEvent, "TaskAborted", &[&id]),
                TaskState::Cancelled => self.push(Registry::TaskEvent, "TaskCancelled", &[&id]),
                _ => {}
            }
        }
    }

    pub fn set_percent(&mut self, p: u8) {
        if p != self.percent {
            self.percent = p.min(100);
            let (id, pct) = (self.id.clone(), self.percent.to_string());
            // Only the latest progress message is kept, as bmcweb does.
            self.messages.retain(|m| {
                !m["MessageId"]
                    .as_str()
                    .unwrap_or("")
                    .ends_with(".TaskProgressChanged")
            });
            self.push(Registry::TaskEvent, "TaskProgressChanged", &[&id, &pct]);
        }
    }

    fn health(&self) -> &'static str {
        let sev = |s: &str| self.messages.iter().any(|m| m["MessageSeverity"] == s);
        if sev("Critical") {
            "Critical"
        } else if sev("Warning") {
            "Warning"
        } else {
            "OK"
        }
    }

    /// The Task resource (`Task.v1_7_4`).
    pub fn json(&self) -> Value {
        let mut v = json!({
            "@odata.id": self.uri(),
            "@odata.type": "#Task.v1_7_4.Task",
            "Id": self.id,
            "Name": self.name,
            "TaskState": self.state.as_str(),
            "PercentComplete": self.percent,
            "StartTime": self.started.to_rfc3339_opts(SecondsFormat::Secs, true),
            "TaskMonitor": self.monitor,
            "Messages": self.messages,
            "HidePayload": false,
            "Payload": {
                "HttpOperation": "POST",
                "TargetUri": self.target_uri,
            },
        });
        let o = v.as_object_mut().expect("object literal");
        if self.blank_messages {
            // What Supermicro X12 sends (bmclib providers/supermicro/docs/x12.md).
            o.insert(
                "Messages".into(),
                json!([{"MessageId": "", "RelatedProperties": [""], "Message": "", "MessageArgs": [""], "Severity": ""}]),
            );
            o.insert("HidePayload".into(), json!(true));
            o.remove("Payload");
        }
        if self.hide_percent {
            o.remove("PercentComplete");
        }
        if let Some(end) = self.ended {
            o.insert(
                "EndTime".into(),
                json!(end.to_rfc3339_opts(SecondsFormat::Secs, true)),
            );
            o.insert("TaskStatus".into(), json!(self.health()));
        }
        if self.persona == Persona::Idrac {
            // Dell jobs mirror the task in Oem.Dell, with their own states and non-dates.
            let job_state = match self.state {
                TaskState::New => "New",
                TaskState::Starting => "Downloading",
                TaskState::Pending | TaskState::Scheduled => "Scheduled",
                TaskState::Running
                | TaskState::Cancelling
                | TaskState::Interrupted
                | TaskState::Suspended
                | TaskState::Stopping => "Running",
                TaskState::Completed => "Completed",
                TaskState::Exception => "Failed",
                TaskState::Cancelled => "Failed",
            };
            let (job_state, message_id, text) = match &self.oem_job {
                Some((s, id, text)) => (*s, *id, text.clone()),
                None => (
                    job_state,
                    "IDRAC.2.8.JCP001",
                    self.messages
                        .last()
                        .and_then(|m| m["Message"].as_str())
                        .unwrap_or("")
                        .to_string(),
                ),
            };
            o.insert(
                "Oem".into(),
                json!({"Dell": {
                    "@odata.type": "#DellJob.v1_6_0.DellJob",
                    "JobState": job_state,
                    "JobType": "FirmwareUpdate",
                    "PercentComplete": self.percent,
                    "Message": text,
                    "MessageId": message_id,
                    "StartTime": "TIME_NOW",
                    "EndTime": if self.ended.is_some() { "" } else { "TIME_NA" },
                }}),
            );
        }
        v
    }
}

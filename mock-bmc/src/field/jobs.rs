//! The Dell job queue: the durable record of an iDRAC update.
//!
//! iDRAC deletes a task soon after it finishes and resets itself before a
//! firmware job of its own reports Completed, so the job's end state lives in
//! the job queue, at `/redfish/v1/JobService/Jobs/{JID}` (DMTF `Job`) and
//! `/redfish/v1/Managers/iDRAC.Embedded.1/Oem/Dell/Jobs/{JID}` (`DellJob`)
//! (dell/iDRAC-Redfish-Scripting `DeviceFirmwareMultipartUploadREDFISH.py`
//! reads both; FIELD-NOTES B1.4, B2.11).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

pub const JOBS: &str = "/redfish/v1/JobService/Jobs";

/// One job, in Dell's vocabulary.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub name: String,
    /// Dell `JobState`: `New`, `Downloading`, `Downloaded`, `Scheduled`,
    /// `Running`, `Completed`, `Failed`.
    pub dell_state: &'static str,
    pub message: String,
    pub message_id: &'static str,
    pub percent: u8,
    pub started: DateTime<Utc>,
    pub ended: Option<DateTime<Utc>>,
}

impl Job {
    pub fn new(id: &str, name: &str) -> Job {
        Job {
            id: id.to_string(),
            name: name.to_string(),
            dell_state: "New",
            message: "Job created".into(),
            message_id: "IDRAC.2.9.JCP000",
            percent: 0,
            started: Utc::now(),
            ended: None,
        }
    }

    pub fn set(&mut self, dell_state: &'static str, message_id: &'static str, message: &str) {
        self.dell_state = dell_state;
        self.message_id = message_id;
        self.message = message.to_string();
        if matches!(dell_state, "Completed" | "Failed") {
            self.ended = Some(Utc::now());
            if dell_state == "Completed" {
                self.percent = 100;
            }
        }
    }

    /// The DMTF `JobState` this Dell state maps to.
    fn job_state(&self) -> &'static str {
        match self.dell_state {
            "New" => "New",
            "Downloading" | "Downloaded" => "Starting",
            "Scheduled" => "Pending",
            "Running" => "Running",
            "Completed" => "Completed",
            _ => "Exception",
        }
    }

    /// `JobService/Jobs/{JID}`: a DMTF `Job.v1_2_4`.
    pub fn json(&self) -> Value {
        let mut v = json!({
            "@odata.id": format!("{JOBS}/{}", self.id),
            "@odata.type": "#Job.v1_2_4.Job",
            "Id": self.id,
            "Name": self.name,
            "JobState": self.job_state(),
            "JobStatus": if self.dell_state == "Failed" { "Critical" } else { "OK" },
            "PercentComplete": self.percent,
            "StartTime": self.started.to_rfc3339_opts(SecondsFormat::Secs, true),
            "Messages": [{
                "@odata.type": "#Message.v1_3_0.Message",
                "MessageId": self.message_id,
                "Message": self.message,
                "MessageSeverity": if self.dell_state == "Failed" { "Critical" } else { "OK" },
                "Resolution": "None.",
            }],
        });
        if let (Some(end), Some(o)) = (self.ended, v.as_object_mut()) {
            o.insert(
                "EndTime".into(),
                json!(end.to_rfc3339_opts(SecondsFormat::Secs, true)),
            );
        }
        v
    }

    /// `Managers/iDRAC.Embedded.1/Oem/Dell/Jobs/{JID}`: Dell's own job view,
    /// with its non-date times (NOTES §7.1).
    pub fn dell_json(&self, manager: &str) -> Value {
        json!({
            "@odata.id": format!("{manager}/Oem/Dell/Jobs/{}", self.id),
            "Id": self.id,
            "Name": self.name,
            "JobState": self.dell_state,
            "JobType": "FirmwareUpdate",
            "Message": self.message,
            "MessageArgs": [],
            "MessageId": self.message_id,
            "PercentComplete": self.percent,
            "StartTime": "TIME_NOW",
            "EndTime": if self.ended.is_some() {
                self.ended.map(|e| e.format("%Y-%m-%dT%H:%M:%S").to_string())
            } else {
                Some("TIME_NA".to_string())
            },
            "Description": "Job Instance",
        })
    }
}

//! The events a run sends to `[[notify]]` endpoints: their names and their
//! JSON, a stable interface (docs/API.md "Webhook events", openapi.yaml
//! `WebhookEvent`). Field names never change; new fields may be added.
//!
//! Nothing in an event is a secret: events are built from host names, run
//! ids, outcomes and the messages the rollout already logs and stores,
//! never from a [`crate::config::HostConfig`] (which holds the password).

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// An event's name, as written in `events = [...]` and sent in `event`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    RunCreated,
    PhaseStarted,
    GateWaiting,
    RunHalted,
    RunFinished,
    HostFailed,
}

impl EventKind {
    pub const ALL: [EventKind; 6] = [
        EventKind::RunCreated,
        EventKind::PhaseStarted,
        EventKind::GateWaiting,
        EventKind::RunHalted,
        EventKind::RunFinished,
        EventKind::HostFailed,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::RunCreated => "run.created",
            EventKind::PhaseStarted => "phase.started",
            EventKind::GateWaiting => "gate.waiting",
            EventKind::RunHalted => "run.halted",
            EventKind::RunFinished => "run.finished",
            EventKind::HostFailed => "host.failed",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Every name, for an error message.
    pub fn names() -> String {
        EventKind::ALL.map(EventKind::as_str).join(", ")
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl Serialize for EventKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A phase of a rollout: today the canary group (`canary`) and each wave
/// (`wave-1`, `wave-2`, …); configured phases (issue 21 item 1) will bring
/// their own names with the same shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Phase {
    pub name: String,
    /// 0-based position among the run's phases.
    pub index: usize,
    /// How many phases the run has.
    pub of: usize,
    /// The hosts of this phase, in plan order.
    pub hosts: Vec<String>,
}

/// One failed step of a `host.failed` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedComponent {
    pub component: String,
    pub kind: String,
    pub from: Option<String>,
    pub to: String,
    pub outcome: String,
    pub message: String,
}

/// The counts of a finished run (`run.finished`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Finished {
    /// The run's final status (`completed`, `completed-with-failures`,
    /// `halted`, `cancelled`, `failed`, `nothing-to-do`, `deferred`).
    pub status: String,
    pub message: String,
    /// Hosts the rollout had jobs for.
    pub hosts: usize,
    pub failed_hosts: usize,
    pub unreachable_at_scan: usize,
    pub hosts_by_result: BTreeMap<String, usize>,
    pub steps_by_outcome: BTreeMap<String, usize>,
    pub halted_reason: Option<String>,
    /// `null` when the run ended before a rollout started.
    pub duration_ms: Option<u64>,
}

/// What an event says besides the common fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum EventData {
    RunCreated {
        /// `apply` or `serve`.
        command: String,
        /// Who asked, for service runs (`api`, `window nightly`).
        trigger: Option<String>,
        /// Hosts with steps, when the run is created after planning (`apply`).
        hosts: Option<usize>,
    },
    PhaseStarted {
        phase: Phase,
    },
    GateWaiting {
        /// `paused` today (a run paused by an operator, or created paused
        /// and adopted after a restart); phase gates will send `phase`.
        gate: String,
        requested_by: Option<String>,
        reason: Option<String>,
        message: String,
    },
    RunHalted {
        reason: String,
        failed_hosts: usize,
        failure_budget: usize,
    },
    RunFinished(Finished),
    HostFailed {
        host: String,
        /// The host's result (a failing step's outcome, or `unreachable`…).
        result: String,
        message: String,
        /// The steps that failed (empty when the host failed before a step).
        components: Vec<FailedComponent>,
    },
}

impl EventData {
    pub fn kind(&self) -> EventKind {
        match self {
            EventData::RunCreated { .. } => EventKind::RunCreated,
            EventData::PhaseStarted { .. } => EventKind::PhaseStarted,
            EventData::GateWaiting { .. } => EventKind::GateWaiting,
            EventData::RunHalted { .. } => EventKind::RunHalted,
            EventData::RunFinished(_) => EventKind::RunFinished,
            EventData::HostFailed { .. } => EventKind::HostFailed,
        }
    }
}

/// An event as sent: the common fields, then the event's own.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub event: EventKind,
    /// Unique per event (a UUID): the same on every retry, so a receiver
    /// can drop a delivery it already has.
    pub id: String,
    pub run_id: i64,
    /// When the event happened, RFC 3339 UTC.
    pub at: String,
    pub fwfleet_version: &'static str,
    #[serde(flatten)]
    pub data: EventData,
}

impl Event {
    pub fn new(run_id: i64, data: EventData) -> Event {
        Event {
            event: data.kind(),
            id: uuid::Uuid::new_v4().to_string(),
            run_id,
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            fwfleet_version: env!("CARGO_PKG_VERSION"),
            data,
        }
    }
}

/// `run.finished` of a rollout that ran.
pub fn finished(r: &crate::updater::rollout::RolloutReport, message: String) -> EventData {
    EventData::RunFinished(Finished {
        status: r.status.as_str().to_string(),
        message,
        hosts: r.hosts.len(),
        failed_hosts: r.failed_hosts,
        unreachable_at_scan: r.unreachable_at_scan,
        hosts_by_result: r.hosts_by_result.clone(),
        steps_by_outcome: r.steps_by_outcome.clone(),
        halted_reason: r.halted_reason.clone(),
        duration_ms: Some(r.duration_ms),
    })
}

/// `host.failed` of a host's report.
pub fn host_failed(r: &crate::updater::report::HostReport) -> EventData {
    use crate::updater::report::ReportOutcome;
    use crate::vocab::StepOutcome;
    EventData::HostFailed {
        host: r.name.clone(),
        result: r.result.as_str().to_string(),
        message: r.message.clone(),
        components: r
            .steps
            .iter()
            // The rollout's own rule (`host::finish`): updated and held
            // steps are fine, staged ones only when the host ended staged.
            .filter(|s| match s.outcome {
                ReportOutcome::NotStarted => false,
                ReportOutcome::Ended(StepOutcome::Updated | StepOutcome::Held) => false,
                ReportOutcome::Ended(StepOutcome::Staged) => r.result == StepOutcome::Staged,
                ReportOutcome::Ended(_) => true,
            })
            .map(|s| FailedComponent {
                component: s.component.clone(),
                kind: s.kind.as_str().to_string(),
                from: s.from.clone(),
                to: s.to.clone(),
                outcome: s.outcome.as_str().to_string(),
                message: s.message.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_the_json_keeps_its_field_names() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(EventKind::parse("run.started"), None);
        let e = Event::new(
            7,
            EventData::PhaseStarted {
                phase: Phase {
                    name: "wave-1".into(),
                    index: 1,
                    of: 2,
                    hosts: vec!["a".into()],
                },
            },
        );
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["event"], "phase.started");
        assert_eq!(v["run_id"], 7);
        assert_eq!(v["phase"]["name"], "wave-1");
        assert_eq!(v["phase"]["hosts"][0], "a");
        assert!(v["at"].as_str().unwrap().ends_with('Z'), "{v}");
        assert_eq!(v["fwfleet_version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(v["id"].as_str().unwrap().len(), 36);
    }
}

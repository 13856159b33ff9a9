//! Which of a window's jobs run now: the planned steps of the hosts whose
//! window opened, cut to those that fit before it closes
//! (`crate::schedule::split_steps`), and the last instant the rollout may
//! start a step (`crate::schedule::last_start`). No I/O.

use crate::inventory::model::Inventory;
use crate::schedule::{self, fmt_duration, ComponentKey, Estimates, PendingStep, Schedule};
use crate::updater::host::HostJob;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// The jobs cut to the window.
#[derive(Debug)]
pub struct Fitted {
    /// Each host with the steps that fit, in plan order; hosts with none left out.
    pub jobs: Vec<HostJob>,
    /// One line per step left for a later window, saying why and until when.
    pub deferred: Vec<String>,
    /// No step may start after this (see [`schedule::last_start`]).
    pub last_start: Option<DateTime<Utc>>,
}

/// The jobs' steps as the schedule sees them: host, labels, component and
/// the server model its estimate is kept under (from `inventory`).
pub fn pending(jobs: &[HostJob], inventory: &Inventory) -> Vec<PendingStep> {
    let models: HashMap<&str, String> = inventory
        .hosts
        .iter()
        .map(|h| (h.name.as_str(), h.system.model.clone().unwrap_or_default()))
        .collect();
    jobs.iter()
        .flat_map(|j| {
            let model = models
                .get(j.host.name.as_str())
                .cloned()
                .unwrap_or_default();
            j.steps.iter().map(move |s| PendingStep {
                host: j.host.name.clone(),
                labels: j.host.labels.clone(),
                component: ComponentKey::new(s.kind, &s.identity),
                model: model.clone(),
            })
        })
        .collect()
}

/// Cut `jobs` to what fits at `now`.
pub fn fit(
    schedule: &Schedule,
    estimates: &Estimates,
    now: DateTime<Utc>,
    jobs: Vec<HostJob>,
    inventory: &Inventory,
) -> Fitted {
    let pending = pending(&jobs, inventory);
    let split = schedule::split_steps(schedule, estimates, now, &pending);
    // `split_steps` keeps each host's order and never admits a step after
    // one that waits, so what runs is a prefix of each host's steps.
    let mut admitted: HashMap<&str, usize> = HashMap::new();
    for r in &split.now {
        *admitted.entry(r.step.host.as_str()).or_default() += 1;
    }
    let deferred = split
        .later
        .iter()
        .map(|d| {
            let why = match &d.reason {
                schedule::WaitReason::NoWindowForHost => "no window applies to the host".to_string(),
                schedule::WaitReason::Closed => "the host's window is closed".to_string(),
                schedule::WaitReason::WouldOverrun { begin, window_end } => format!(
                    "it would not finish before the window closes (begins {}, estimate {}, window ends {})",
                    begin.to_rfc3339(),
                    d.estimate,
                    window_end.to_rfc3339()
                ),
                schedule::WaitReason::AfterWaitingStep => {
                    "an earlier step of the host waits".to_string()
                }
            };
            let next = d.next_start.map_or_else(
                || "no later window is long enough".to_string(),
                |t| format!("next window {}", t.to_rfc3339()),
            );
            format!("{} {} waits: {why}; {next}", d.step.host, d.step.component)
        })
        .collect();
    let last_start = schedule::last_start(&split.now);
    let jobs = jobs
        .into_iter()
        .filter_map(|mut j| {
            let n = admitted.get(j.host.name.as_str()).copied().unwrap_or(0);
            j.steps.truncate(n);
            (n > 0).then_some(j)
        })
        .collect();
    Fitted {
        jobs,
        deferred,
        last_start,
    }
}

/// `2025-01-07T03:00:00+00:00 (in 1h30m)`, for events.
pub fn when(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let left = (t - now).to_std().unwrap_or_default();
    format!("{} (in {})", t.to_rfc3339(), fmt_duration(left))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::inventory::model::{BmcInfo, HostInventory, SystemInfo};
    use crate::schedule::{EstimateSettings, Window};
    use crate::updater::host::PlannedStep;
    use crate::vocab::Kind;
    use std::time::Duration;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn step(kind: Kind, identity: &str) -> PlannedStep {
        PlannedStep {
            component: identity.into(),
            identity: identity.into(),
            kind,
            from: Some("1".into()),
            to: "2".into(),
            image: "img".into(),
            target: None,
            image_name: "img".into(),
            sha256: String::new(),
            size: 0,
            method: None,
            apply_time: None,
            force: false,
            activate_only: false,
            disruption: crate::vocab::Disruption::HostReboot,
        }
    }

    #[test]
    fn a_windows_jobs_keep_the_steps_that_fit_and_say_why_the_others_wait() {
        let cfg = Config::parse(
            std::path::Path::new("/f/fleet.toml"),
            "[[hosts]]\nname = \"a1\"\nurl = \"https://a1\"\nusername = \"u\"\npassword = \"p\"\nlabels = { rack = \"a\" }\n\
             [[hosts]]\nname = \"b1\"\nurl = \"https://b1\"\nusername = \"u\"\npassword = \"p\"\nlabels = { rack = \"b\" }\n",
        )
        .unwrap();
        // Rack a: daily 01:00-03:00 UTC; rack b has no window.
        let schedule = Schedule::new(vec![Window::recurring("rack-a", "0 1 * * *", "2h", "UTC")
            .unwrap()
            .with_labels(&["rack=a"])
            .unwrap()]);
        let mut est = Estimates::new(EstimateSettings {
            default: Duration::from_secs(3600),
            percentile: 90,
        });
        // A BIOS on this model took 90 minutes before.
        est.record(
            &ComponentKey::new(Kind::Bios, "BIOS"),
            "R1",
            Duration::from_secs(5400),
        );
        let jobs = vec![
            HostJob {
                host: cfg.hosts[0].clone(),
                steps: vec![step(Kind::Bmc, "BMC"), step(Kind::Bios, "BIOS")],
            },
            HostJob {
                host: cfg.hosts[1].clone(),
                steps: vec![step(Kind::Bmc, "BMC")],
            },
        ];
        let inv = Inventory {
            scanned_at: String::new(),
            hosts: ["a1", "b1"]
                .iter()
                .map(|n| HostInventory {
                    name: n.to_string(),
                    url: String::new(),
                    ok: true,
                    error: None,
                    system: SystemInfo {
                        model: Some("R1".into()),
                        ..SystemInfo::default()
                    },
                    bmc: BmcInfo::default(),
                    components: Vec::new(),
                    software: Vec::new(),
                    duration_ms: 0,
                })
                .collect(),
        };
        // At the opening the BMC step (1h) fits; the BIOS after it (90m)
        // would end at 03:30, after the close.
        let f = fit(&schedule, &est, utc("2025-01-07T01:00:00Z"), jobs, &inv);
        assert_eq!(f.jobs.len(), 1);
        assert_eq!(f.jobs[0].host.name, "a1");
        let kept: Vec<&str> = f.jobs[0]
            .steps
            .iter()
            .map(|s| s.identity.as_str())
            .collect();
        assert_eq!(kept, ["BMC"]);
        assert_eq!(f.last_start, Some(utc("2025-01-07T02:00:00Z")));
        assert_eq!(f.deferred.len(), 2, "{:#?}", f.deferred);
        assert!(
            f.deferred[0].starts_with("a1 bios BIOS waits: it would not finish")
                && f.deferred[0].contains("1h30m (from 1 earlier step(s))")
                && f.deferred[0].contains("next window 2025-01-08T01:00:00+00:00"),
            "{}",
            f.deferred[0]
        );
        assert!(
            f.deferred[1].starts_with("b1 bmc BMC waits: no window applies to the host"),
            "{}",
            f.deferred[1]
        );
    }
}

//! The demo's result: what changed between the first and the verifying
//! scan, as a JSON report (a stable file other tools can read) and as the
//! text summary whose last line is `compliant: N/M hosts`.
//!
//! Pure: built from the plans, the rollout report and the mock's own flash
//! counters, so the summary can be tested without a fleet.

use crate::planner::Plan;
use crate::updater::rollout::RolloutReport;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

/// How compliant the fleet was at one scan.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Compliance {
    pub hosts: usize,
    pub hosts_compliant: usize,
    pub hosts_failed: usize,
    /// Plan rows per action (`upgrade`, `up-to-date`, …).
    pub steps_by_action: BTreeMap<String, usize>,
    /// Hosts that are not compliant, with the first reason, so a failed
    /// demo says where to look.
    pub not_compliant: Vec<String>,
}

impl Compliance {
    pub fn of(plan: &Plan) -> Compliance {
        let not_compliant = plan
            .hosts
            .iter()
            .filter(|h| !h.is_compliant())
            .map(|h| {
                let why = h
                    .steps
                    .iter()
                    .find(|s| !s.action.is_compliant())
                    .map(|s| format!("{} {}: {}", s.identity, s.action, s.reason))
                    .unwrap_or_else(|| "not scanned".to_string());
                format!("{}: {why}", h.name)
            })
            .collect();
        Compliance {
            hosts: plan.summary.hosts,
            hosts_compliant: plan.summary.hosts_compliant,
            hosts_failed: plan.summary.hosts_failed,
            steps_by_action: plan
                .summary
                .steps_by_action
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(k, n)| (k.clone(), *n))
                .collect(),
            not_compliant,
        }
    }

    pub fn all(&self) -> bool {
        self.hosts > 0 && self.hosts_compliant == self.hosts
    }
}

/// Flashes the mock BMCs counted themselves: the judge that cannot be fooled
/// by the client's own report.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Flashes {
    pub total: u64,
    /// Components written more than once (`host component count`); must be empty.
    pub repeated: Vec<String>,
}

/// Where the time went, in milliseconds.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Phases {
    pub fleet_ms: u64,
    pub images_ms: u64,
    pub scan_plan_ms: u64,
    pub rollout_ms: u64,
    pub verify_ms: u64,
    pub total_ms: u64,
}

/// Everything `demo-report.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    pub count: usize,
    pub seed: u64,
    pub dir: PathBuf,
    pub fleet_file: PathBuf,
    pub state_dir: PathBuf,
    pub repository: PathBuf,
    /// Images made by make-images (for the hosts that are not iDRACs).
    pub images: usize,
    /// The iDRACs' repository entries came from a Dell-format catalog:
    /// what `repo import-catalog` reported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dell_catalog: Option<crate::catalog::import::ImportReport>,
    /// Hosts per mock persona.
    pub personas: BTreeMap<String, usize>,
    pub before: Compliance,
    pub after: Compliance,
    /// Steps that ended `updated`, per component kind.
    pub updated_by_kind: BTreeMap<String, usize>,
    pub flashes: Flashes,
    pub phases: Phases,
    /// `None` when the first plan had nothing to flash.
    pub rollout: Option<RolloutReport>,
}

impl DemoReport {
    /// Steps that ended `updated`, per kind, from the rollout report.
    pub fn updated_by_kind(r: Option<&RolloutReport>) -> BTreeMap<String, usize> {
        let mut by = BTreeMap::new();
        for s in r
            .iter()
            .flat_map(|r| &r.hosts)
            .flat_map(|h| &h.steps)
            .filter(|s| s.outcome == "updated")
        {
            *by.entry(s.kind.to_string()).or_insert(0) += 1;
        }
        by
    }

    /// Success: every host compliant on the verifying scan, and no component
    /// flashed twice.
    pub fn ok(&self) -> bool {
        self.after.all() && self.flashes.repeated.is_empty()
    }

    /// The closing summary; its last line is `compliant: N/M hosts`.
    pub fn render(&self, report_file: &std::path::Path) -> String {
        let mut out = String::new();
        // Sub-second phases in milliseconds, so a quick scan does not read "0.0s".
        let secs = |ms: u64| {
            if ms < 1000 {
                format!("{ms}ms")
            } else {
                format!("{:.1}s", ms as f64 / 1000.0)
            }
        };
        let by = |m: &BTreeMap<String, usize>| {
            if m.is_empty() {
                "none".to_string()
            } else {
                m.iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let _ = writeln!(out, "\nsummary");
        let _ = writeln!(
            out,
            "  hosts compliant:     before {}/{}, after {}/{}",
            self.before.hosts_compliant,
            self.before.hosts,
            self.after.hosts_compliant,
            self.after.hosts
        );
        let _ = writeln!(
            out,
            "  components updated:  {} ({})",
            self.updated_by_kind.values().sum::<usize>(),
            by(&self.updated_by_kind)
        );
        let steps = self
            .rollout
            .as_ref()
            .map(|r| by(&r.steps_by_outcome))
            .unwrap_or_else(|| "none".into());
        let _ = writeln!(out, "  steps by outcome:    {steps}");
        let _ = writeln!(
            out,
            "  flashes (mock BMCs): {} counted by the BMCs; {}",
            self.flashes.total,
            if self.flashes.repeated.is_empty() {
                "no component written twice".to_string()
            } else {
                format!(
                    "written more than once: {}",
                    self.flashes.repeated.join(", ")
                )
            }
        );
        let p = &self.phases;
        let _ = writeln!(
            out,
            "  wall time:           {} (fleet {}, images {}, scan+plan {}, rollout {}, verify {})",
            secs(p.total_ms),
            secs(p.fleet_ms),
            secs(p.images_ms),
            secs(p.scan_plan_ms),
            secs(p.rollout_ms),
            secs(p.verify_ms)
        );
        for h in self.after.not_compliant.iter().take(10) {
            let _ = writeln!(out, "  not compliant: {h}");
        }
        if self.after.not_compliant.len() > 10 {
            let _ = writeln!(
                out,
                "  … and {} more (see the report)",
                self.after.not_compliant.len() - 10
            );
        }
        let _ = writeln!(out, "\nstate dir:  {}", self.state_dir.display());
        let _ = writeln!(out, "fleet file: {}", self.fleet_file.display());
        let _ = writeln!(out, "report:     {}", report_file.display());
        let _ = writeln!(
            out,
            "compliant: {}/{} hosts",
            self.after.hosts_compliant, self.after.hosts
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compliance(hosts: usize, ok: usize) -> Compliance {
        Compliance {
            hosts,
            hosts_compliant: ok,
            hosts_failed: 0,
            steps_by_action: BTreeMap::new(),
            not_compliant: (ok..hosts).map(|i| format!("bmc-{i}: x")).collect(),
        }
    }

    fn report(after_ok: usize, repeated: Vec<String>) -> DemoReport {
        DemoReport {
            count: 3,
            seed: 1,
            dir: "/d".into(),
            fleet_file: "/d/fleet.toml".into(),
            state_dir: "/d/state".into(),
            repository: "/d/repository".into(),
            images: 2,
            dell_catalog: None,
            personas: BTreeMap::new(),
            before: compliance(3, 0),
            after: compliance(3, after_ok),
            updated_by_kind: [("bios".to_string(), 3), ("bmc".to_string(), 2)].into(),
            flashes: Flashes { total: 5, repeated },
            phases: Phases {
                total_ms: 12_345,
                ..Phases::default()
            },
            rollout: None,
        }
    }

    #[test]
    fn the_summary_ends_with_the_compliance_line() {
        let r = report(3, vec![]);
        assert!(r.ok());
        let text = r.render(std::path::Path::new("/d/demo-report.json"));
        assert_eq!(text.lines().last(), Some("compliant: 3/3 hosts"));
        assert!(text.contains("before 0/3, after 3/3"), "{text}");
        assert!(
            text.contains("components updated:  5 (bios 3, bmc 2)"),
            "{text}"
        );
        assert!(text.contains("wall time:           12.3s"), "{text}");
        assert!(text.contains("report:     /d/demo-report.json"), "{text}");
    }

    #[test]
    fn a_host_left_behind_or_a_second_flash_fails_the_demo() {
        let r = report(2, vec![]);
        assert!(!r.ok());
        let text = r.render(std::path::Path::new("r.json"));
        assert!(text.contains("not compliant: bmc-2: x"), "{text}");
        assert_eq!(text.lines().last(), Some("compliant: 2/3 hosts"));
        assert!(!report(3, vec!["bmc-1 bios 2".into()]).ok());
        let empty = DemoReport {
            after: compliance(0, 0),
            ..report(0, vec![])
        };
        assert!(!empty.ok(), "an empty fleet proves nothing");
    }
}

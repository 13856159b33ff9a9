//! The service's counters, fed by the rollout's progress reports, and the
//! Prometheus text exposition (format 0.0.4) of them together with the
//! fleet's state from the store.
//!
//! Counters count since the process started, as Prometheus expects
//! (`rate()` handles the reset on restart); the journal in the store is the
//! record that survives. The text is written by hand: the format is a few
//! lines per metric, and a client library would be the biggest dependency of
//! an idle daemon that must stay small.

use super::views::{Compliance, FleetView};
use crate::updater::progress::ProgressSink;
use crate::updater::report::HostReport;
use crate::updater::rollout::RolloutReport;
use crate::vocab::Role;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

/// Upper bounds (seconds) of the step duration histogram: a NIC flash takes
/// seconds, a BMC with its reboot minutes, a BIOS with several reboots up to
/// an hour or two.
pub const DURATION_BUCKETS: [f64; 12] = [
    1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0, 7200.0,
];

#[derive(Debug, Default)]
struct Counters {
    steps_by_outcome: BTreeMap<String, u64>,
    /// Per bucket of [`DURATION_BUCKETS`], not cumulative; `+Inf` is `count`.
    duration_buckets: [u64; DURATION_BUCKETS.len()],
    duration_sum: f64,
    duration_count: u64,
    runs_by_status: BTreeMap<String, u64>,
    next_window: Option<DateTime<Utc>>,
}

/// What the service counts.
#[derive(Debug, Default)]
pub struct Metrics {
    counters: Mutex<Counters>,
    /// Hosts whose runner is working. A BMC takes one update at a time, so
    /// this is the number of updates in flight.
    in_flight: AtomicI64,
}

impl Metrics {
    fn counters(&self) -> std::sync::MutexGuard<'_, Counters> {
        // A panic while counting leaves numbers, not invariants, behind.
        self.counters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A finished host's steps: outcomes, and durations of those that ran.
    pub fn record_host(&self, report: &HostReport) {
        let mut c = self.counters();
        for s in &report.steps {
            *c.steps_by_outcome
                .entry(s.outcome.as_str().to_string())
                .or_default() += 1;
            if s.step_id.is_none() {
                continue; // never started: no duration to speak of
            }
            let secs = s.duration_ms as f64 / 1000.0;
            if let Some(i) = DURATION_BUCKETS.iter().position(|b| secs <= *b) {
                c.duration_buckets[i] += 1;
            }
            c.duration_sum += secs;
            c.duration_count += 1;
        }
    }

    pub fn run_finished(&self, status: &str) {
        *self
            .counters()
            .runs_by_status
            .entry(status.to_string())
            .or_default() += 1;
    }

    pub fn set_next_window(&self, at: Option<DateTime<Utc>>) {
        self.counters().next_window = at;
    }

    pub fn next_window(&self) -> Option<DateTime<Utc>> {
        self.counters().next_window
    }

    pub fn in_flight(&self) -> i64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// The whole exposition.
    pub fn render(&self, fleet: &FleetView, run_active: bool) -> String {
        let mut out = String::with_capacity(4096);
        header(
            &mut out,
            "fwfleet_hosts",
            "gauge",
            "Configured hosts by compliance with the repository, from each host's latest scan.",
        );
        let mut by = BTreeMap::new();
        for c in Compliance::ALL {
            by.insert(c.as_str(), 0u64);
        }
        for h in &fleet.hosts {
            *by.entry(h.compliance.as_str()).or_default() += 1;
        }
        for (c, n) in &by {
            let _ = writeln!(out, "fwfleet_hosts{{compliance=\"{c}\"}} {n}");
        }
        header(
            &mut out,
            "fwfleet_components",
            "gauge",
            "Active firmware components by kind and running version, from each host's latest scan.",
        );
        let mut comps: BTreeMap<(String, String), u64> = BTreeMap::new();
        for inv in fleet.hosts.iter().filter_map(|h| h.inventory.as_ref()) {
            for c in inv.components.iter().filter(|c| c.role == Role::Active) {
                let v = c.version.clone().unwrap_or_else(|| "unknown".into());
                *comps.entry((c.kind.as_str().to_string(), v)).or_default() += 1;
            }
        }
        for ((kind, version), n) in &comps {
            let _ = writeln!(
                out,
                "fwfleet_components{{kind=\"{}\",version=\"{}\"}} {n}",
                escape(kind),
                escape(version)
            );
        }
        let c = self.counters();
        header(
            &mut out,
            "fwfleet_steps_total",
            "counter",
            "Update steps finished by this process, by outcome (not-started included).",
        );
        for (o, n) in &c.steps_by_outcome {
            let _ = writeln!(out, "fwfleet_steps_total{{outcome=\"{}\"}} {n}", escape(o));
        }
        header(
            &mut out,
            "fwfleet_step_duration_seconds",
            "histogram",
            "Duration of update steps that ran, transfer to verified version.",
        );
        let mut cumulative = 0;
        for (b, n) in DURATION_BUCKETS.iter().zip(c.duration_buckets) {
            cumulative += n;
            let _ = writeln!(
                out,
                "fwfleet_step_duration_seconds_bucket{{le=\"{b}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "fwfleet_step_duration_seconds_bucket{{le=\"+Inf\"}} {}",
            c.duration_count
        );
        let _ = writeln!(out, "fwfleet_step_duration_seconds_sum {}", c.duration_sum);
        let _ = writeln!(
            out,
            "fwfleet_step_duration_seconds_count {}",
            c.duration_count
        );
        header(
            &mut out,
            "fwfleet_runs_total",
            "counter",
            "Rollouts finished by this process, by final status.",
        );
        for (s, n) in &c.runs_by_status {
            let _ = writeln!(out, "fwfleet_runs_total{{status=\"{}\"}} {n}", escape(s));
        }
        header(
            &mut out,
            "fwfleet_updates_in_flight",
            "gauge",
            "Hosts being updated now (one update at a time per BMC).",
        );
        let _ = writeln!(out, "fwfleet_updates_in_flight {}", self.in_flight());
        header(
            &mut out,
            "fwfleet_run_active",
            "gauge",
            "1 while a rollout runs, else 0.",
        );
        let _ = writeln!(out, "fwfleet_run_active {}", u8::from(run_active));
        header(
            &mut out,
            "fwfleet_last_scan_timestamp_seconds",
            "gauge",
            "Start of the latest saved inventory scan, Unix time (absent before the first).",
        );
        if let Some(t) = fleet
            .scan
            .as_ref()
            .and_then(|s| DateTime::parse_from_rfc3339(&s.scanned_at).ok())
        {
            let _ = writeln!(
                out,
                "fwfleet_last_scan_timestamp_seconds {}",
                t.timestamp_millis() as f64 / 1000.0
            );
        }
        redfish_uri_counters(&mut out);
        header(
            &mut out,
            "fwfleet_next_window_start_timestamp_seconds",
            "gauge",
            "Start of the next maintenance window of any host, Unix time (absent when none will open).",
        );
        if let Some(t) = c.next_window {
            let _ = writeln!(
                out,
                "fwfleet_next_window_start_timestamp_seconds {}",
                t.timestamp()
            );
        }
        out
    }
}

/// The `[[notify]]` delivery counters, per endpoint (its `name`, by
/// default the URL's host: never the URL's path, which may hold a token).
/// Nothing when no endpoint is configured.
pub fn notify_lines(stats: &[crate::notify::EndpointStats]) -> String {
    let mut out = String::new();
    if stats.is_empty() {
        return out;
    }
    type Count = fn(&crate::notify::EndpointStats) -> u64;
    let series: [(&str, &str, Count); 3] = [
        (
            "fwfleet_notify_delivered_total",
            "Webhook events delivered (a 2xx answer), by endpoint.",
            |s| s.delivered,
        ),
        (
            "fwfleet_notify_failures_total",
            "Webhook events given up on after every attempt, or refused by the endpoint (4xx), by endpoint.",
            |s| s.failed,
        ),
        (
            "fwfleet_notify_dropped_total",
            "Webhook events dropped unsent from a full queue (the oldest goes first), by endpoint.",
            |s| s.dropped,
        ),
    ];
    for (name, help, value) in series {
        header(&mut out, name, "counter", help);
        for s in stats {
            let _ = writeln!(
                out,
                "{name}{{endpoint=\"{}\"}} {}",
                escape(&s.endpoint),
                value(s)
            );
        }
    }
    out
}

/// The origin-binding counters of `redfish::origin` (process-wide: the
/// Redfish client has no metrics handle, and needs none for one add).
fn redfish_uri_counters(out: &mut String) {
    header(
        out,
        "fwfleet_redfish_foreign_origin_total",
        "counter",
        "URIs from BMCs that named another origin than the configured one (used as a path on the configured origin, or refused), by field.",
    );
    for (field, n) in crate::redfish::origin::foreign_origin_counts() {
        let _ = writeln!(
            out,
            "fwfleet_redfish_foreign_origin_total{{field=\"{}\"}} {n}",
            escape(field)
        );
    }
    header(
        out,
        "fwfleet_redfish_refused_uri_total",
        "counter",
        "URIs from BMCs that were refused (https to http, a path outside /redfish/, a redirect), by field.",
    );
    for (field, n) in crate::redfish::origin::refused_counts() {
        let _ = writeln!(
            out,
            "fwfleet_redfish_refused_uri_total{{field=\"{}\"}} {n}",
            escape(field)
        );
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A label value as the text format wants it.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The rollout's progress, counted and logged. Logs go through `tracing`
/// (stderr): a service has no terminal for bars.
#[derive(Debug)]
pub struct MetricsSink {
    metrics: Arc<Metrics>,
    run_id: i64,
    /// Hosts counted through `host_finished`.
    counted: Mutex<HashSet<String>>,
}

impl MetricsSink {
    pub fn new(metrics: Arc<Metrics>, run_id: i64) -> MetricsSink {
        MetricsSink {
            metrics,
            run_id,
            counted: Mutex::new(HashSet::new()),
        }
    }

    /// Count the hosts of the final report that never started (the rollout
    /// halted or was cancelled before them): they never pass through
    /// `host_finished`, but their steps ended `not-started` all the same.
    pub fn count_the_rest(&self, report: &RolloutReport) {
        let counted = self.counted.lock().unwrap_or_else(|e| e.into_inner());
        for h in report.hosts.iter().filter(|h| !counted.contains(&h.name)) {
            self.metrics.record_host(h);
        }
    }
}

impl ProgressSink for MetricsSink {
    fn host_started(&self, host: &str, steps: usize) {
        self.metrics.in_flight.fetch_add(1, Ordering::Relaxed);
        tracing::info!(run = self.run_id, host, steps, "host started");
    }

    fn step_progress(&self, host: &str, component: &str, phase: &str, percent: Option<u8>) {
        tracing::debug!(run = self.run_id, host, component, phase, ?percent, "step");
    }

    fn host_finished(&self, report: &HostReport) {
        self.metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.metrics.record_host(report);
        self.counted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(report.name.clone());
        tracing::info!(run = self.run_id, host = %report.name, result = %report.result, "{}", report.message);
    }

    fn note(&self, line: &str) {
        tracing::info!(run = self.run_id, "{line}");
    }
}

/// Where the active run is steered: one `fwfleet_run_control` series per
/// state, 1 for the active run's (all 0 without an active run), so an alert
/// can fire on a run left `paused` for hours.
pub fn control_lines(state: Option<&str>) -> String {
    let mut out = String::new();
    header(
        &mut out,
        "fwfleet_run_control",
        "gauge",
        "1 for the active run's steering state (running, pausing, paused, resuming, cancelling).",
    );
    for s in ["running", "pausing", "paused", "resuming", "cancelling"] {
        let _ = writeln!(
            out,
            "fwfleet_run_control{{state=\"{s}\"}} {}",
            u8::from(state == Some(s))
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}

//! Live progress of a rollout: a bar per active host on a terminal, plain
//! lines (one per state change) when stderr is a pipe or a log, nothing in
//! tests and benchmarks.

use crate::updater::report::HostReport;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::sync::Mutex;

/// Receives what the rollout is doing. Called from many tasks at once.
pub trait ProgressSink: Send + Sync + std::fmt::Debug {
    fn host_started(&self, host: &str, steps: usize);
    /// A step's phase (`submitted`, `running`, a task state, `verifying`, an
    /// outcome) and percentage when the BMC reports one.
    fn step_progress(&self, host: &str, component: &str, phase: &str, percent: Option<u8>);
    fn host_finished(&self, report: &HostReport);
    /// A rollout-level line (wave started, halted, …).
    fn note(&self, line: &str);
}

/// Nothing (tests, benchmarks, `--format json` with a pipe).
#[derive(Debug, Default)]
pub struct Silent;

impl ProgressSink for Silent {
    fn host_started(&self, _: &str, _: usize) {}
    fn step_progress(&self, _: &str, _: &str, _: &str, _: Option<u8>) {}
    fn host_finished(&self, _: &HostReport) {}
    fn note(&self, _: &str) {}
}

/// One stderr line per change of phase (cron, logs, CI).
#[derive(Debug, Default)]
pub struct Lines {
    last: Mutex<HashMap<(String, String), String>>,
}

impl ProgressSink for Lines {
    fn host_started(&self, host: &str, steps: usize) {
        eprintln!(
            "{host}: started ({steps} step{})",
            if steps == 1 { "" } else { "s" }
        );
    }
    fn step_progress(&self, host: &str, component: &str, phase: &str, _: Option<u8>) {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let key = (host.to_string(), component.to_string());
        if last.get(&key).map(String::as_str) != Some(phase) {
            eprintln!("{host} {component}: {phase}");
            last.insert(key, phase.to_string());
        }
    }
    fn host_finished(&self, r: &HostReport) {
        eprintln!("{}: {} — {}", r.name, r.result, r.message);
    }
    fn note(&self, line: &str) {
        eprintln!("{line}");
    }
}

/// A bar per active host (indicatif), and a line per finished one.
pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
    style: ProgressStyle,
}

impl std::fmt::Debug for Bars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bars").finish_non_exhaustive()
    }
}

impl Default for Bars {
    fn default() -> Self {
        Bars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: Mutex::new(HashMap::new()),
            style: ProgressStyle::with_template(
                "{spinner} {prefix:<20} [{bar:20}] {pos:>3}% {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        }
    }
}

impl ProgressSink for Bars {
    fn host_started(&self, host: &str, _: usize) {
        let b = self.multi.add(ProgressBar::new(100));
        b.set_style(self.style.clone());
        b.set_prefix(host.to_string());
        b.enable_steady_tick(std::time::Duration::from_millis(200));
        self.bars
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(host.to_string(), b);
    }
    fn step_progress(&self, host: &str, component: &str, phase: &str, percent: Option<u8>) {
        if let Some(b) = self
            .bars
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(host)
        {
            if let Some(p) = percent {
                b.set_position(u64::from(p));
            }
            b.set_message(format!("{component}: {phase}"));
        }
    }
    fn host_finished(&self, r: &HostReport) {
        if let Some(b) = self
            .bars
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&r.name)
        {
            b.finish_and_clear();
            self.multi.remove(&b);
        }
        let _ = self
            .multi
            .println(format!("{}: {} — {}", r.name, r.result, r.message));
    }
    fn note(&self, line: &str) {
        let _ = self.multi.println(line);
    }
}

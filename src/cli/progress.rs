//! Rollout progress at fleet scale.
//!
//! - [`Summary`], when stderr is not a terminal and `-v` was not given: one
//!   summary line at most every interval (hosts done, running, failed;
//!   steps by phase; an ETA from the hosts finished so far), plus a line for
//!   every failed host and every rollout-level note (waves, halts). At
//!   thousands of hosts this is a few lines a minute instead of six per step.
//! - [`Live`], on a terminal: the same summary as one live line, and a bar
//!   for each active host up to a screenful; hosts beyond it are counted in
//!   the summary only.

use crate::updater::progress::ProgressSink;
use crate::updater::report::HostReport;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts and the time of the last line.
#[derive(Debug)]
struct State {
    running: usize,
    done: usize,
    failed: usize,
    /// The latest phase of every (host, component) step seen.
    phase: HashMap<(String, String), String>,
    last: Instant,
}

/// The periodic summary sink.
#[derive(Debug)]
pub struct Summary {
    total: usize,
    every: Duration,
    t0: Instant,
    state: Mutex<State>,
}

impl Summary {
    /// A sink for `total` hosts printing at most every `every`.
    pub fn new(total: usize, every: Duration) -> Summary {
        let now = Instant::now();
        Summary {
            total,
            every,
            t0: now,
            state: Mutex::new(State {
                running: 0,
                done: 0,
                failed: 0,
                phase: HashMap::new(),
                last: now,
            }),
        }
    }

    fn line(&self, s: &State) -> String {
        let mut by: BTreeMap<&str, usize> = BTreeMap::new();
        for p in s.phase.values() {
            *by.entry(p.as_str()).or_default() += 1;
        }
        let steps = by
            .iter()
            .map(|(p, n)| format!("{p} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let elapsed = self.t0.elapsed();
        let eta = if s.done > 0 && s.done < self.total {
            let per = elapsed.as_secs_f64() / s.done as f64;
            format!("; ETA {:.0}s", per * (self.total - s.done) as f64)
        } else {
            String::new()
        };
        format!(
            "apply: {}/{} hosts done, {} running, {} failed in {:.0}s{eta}; steps: {}",
            s.done,
            self.total,
            s.running,
            s.failed,
            elapsed.as_secs_f64(),
            if steps.is_empty() { "-".into() } else { steps }
        )
    }

    /// Print the summary when the interval has passed.
    fn tick(&self, s: &mut State) {
        if s.last.elapsed() >= self.every {
            eprintln!("{}", self.line(s));
            s.last = Instant::now();
        }
    }
}

impl ProgressSink for Summary {
    fn host_started(&self, _: &str, _: usize) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.running += 1;
        self.tick(&mut s);
    }

    fn step_progress(&self, host: &str, component: &str, phase: &str, _: Option<u8>) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.phase
            .insert((host.to_string(), component.to_string()), phase.to_string());
        self.tick(&mut s);
    }

    fn host_finished(&self, r: &HostReport) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.running = s.running.saturating_sub(1);
        s.done += 1;
        if r.failed {
            s.failed += 1;
            eprintln!("{}: {} — {}", r.name, r.result, r.message);
        }
        if s.done == self.total {
            eprintln!("{}", self.line(&s));
            s.last = Instant::now();
        } else {
            self.tick(&mut s);
        }
    }

    fn note(&self, line: &str) {
        eprintln!("{line}");
    }
}

/// The terminal view: a live summary line and at most `max_bars` host bars.
pub struct Live {
    counts: Summary,
    multi: MultiProgress,
    top: ProgressBar,
    bars: Mutex<HashMap<String, ProgressBar>>,
    max_bars: usize,
    style: ProgressStyle,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live").finish_non_exhaustive()
    }
}

impl Live {
    /// For `total` hosts; bars for at most `$LINES` − 4 hosts (20 when
    /// the terminal's height is unknown).
    pub fn new(total: usize) -> Live {
        let rows = std::env::var("LINES")
            .ok()
            .and_then(|l| l.trim().parse::<usize>().ok())
            .unwrap_or(24);
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let top = multi.add(ProgressBar::new_spinner());
        top.set_style(
            ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        top.enable_steady_tick(Duration::from_millis(200));
        Live {
            counts: Summary::new(total, Duration::MAX),
            multi,
            top,
            bars: Mutex::new(HashMap::new()),
            max_bars: rows.saturating_sub(4).clamp(1, 40),
            style: ProgressStyle::with_template("  {prefix:<20} [{bar:20}] {pos:>3}% {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        }
    }

    fn refresh(&self) {
        let s = self.counts.state.lock().unwrap_or_else(|e| e.into_inner());
        self.top.set_message(self.counts.line(&s));
    }
}

impl ProgressSink for Live {
    fn host_started(&self, host: &str, steps: usize) {
        self.counts.host_started(host, steps);
        let mut bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
        if bars.len() < self.max_bars {
            let b = self.multi.add(ProgressBar::new(100));
            b.set_style(self.style.clone());
            b.set_prefix(host.to_string());
            bars.insert(host.to_string(), b);
        }
        drop(bars);
        self.refresh();
    }

    fn step_progress(&self, host: &str, component: &str, phase: &str, percent: Option<u8>) {
        self.counts.step_progress(host, component, phase, percent);
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
        self.refresh();
    }

    fn host_finished(&self, r: &HostReport) {
        {
            let mut s = self.counts.state.lock().unwrap_or_else(|e| e.into_inner());
            s.running = s.running.saturating_sub(1);
            s.done += 1;
            if r.failed {
                s.failed += 1;
            }
        }
        if let Some(b) = self
            .bars
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&r.name)
        {
            b.finish_and_clear();
            self.multi.remove(&b);
        }
        if r.failed {
            let _ = self
                .multi
                .println(format!("{}: {} — {}", r.name, r.result, r.message));
        }
        self.refresh();
        let s = self.counts.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.done == self.counts.total {
            self.top.finish_with_message(self.counts.line(&s));
        }
    }

    fn note(&self, line: &str) {
        let _ = self.multi.println(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_hosts_and_steps_by_phase() {
        let s = Summary::new(3, Duration::MAX);
        s.host_started("a", 1);
        s.host_started("b", 1);
        s.step_progress("a", "bios", "running", Some(10));
        s.step_progress("b", "bmc", "verifying", None);
        s.step_progress("a", "bios", "verifying", None);
        let st = s.state.lock().unwrap();
        let line = s.line(&st);
        assert!(
            line.starts_with("apply: 0/3 hosts done, 2 running, 0 failed in "),
            "{line}"
        );
        assert!(line.ends_with("; steps: verifying 2"), "{line}");
    }
}

//! Rollout progress when stderr is not a terminal and `-v` was not given:
//! one summary line at most every interval (hosts done, running, failed;
//! steps by phase; an ETA from the hosts finished so far), plus a line for
//! every failed host and every rollout-level note (waves, halts). At
//! thousands of hosts this is a few lines a minute instead of six per step.

use crate::updater::progress::ProgressSink;
use crate::updater::report::HostReport;
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

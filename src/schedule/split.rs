//! Which pending steps may start in the window open now, and which wait.
//!
//! A BMC takes one update at a time and a host's steps have an order (BMC
//! before BIOS, …), so each host's steps are taken in the order given and
//! laid back to back from `now`. A step runs in this window only if it ends,
//! by its estimate, before the window closes; once one of a host's steps
//! waits, the steps after it wait too rather than jump the queue.

use super::estimate::{ComponentKey, Estimate, Estimates};
use super::spans::{Schedule, Span};
use super::window::Labels;
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::HashMap;
use std::time::Duration;

/// Whether a step of `estimate` begun at `now` ends no later than
/// `window_end`. A step must never be started if it cannot finish inside the
/// window: a flash cut off by the window's end is a flash during production.
pub fn fits(now: DateTime<Utc>, window_end: DateTime<Utc>, estimate: Duration) -> bool {
    TimeDelta::from_std(estimate)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .is_some_and(|done| done <= window_end)
}

/// A step waiting to run. All steps of one host carry the same labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingStep {
    pub host: String,
    pub labels: Labels,
    pub component: ComponentKey,
    /// The server's model (`SystemInfo` model), half of the estimate key.
    pub model: String,
}

/// A step that runs in the window open now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ready<'a> {
    pub step: &'a PendingStep,
    /// When it is expected to start: `now`, or after the host's earlier steps.
    pub begin: DateTime<Utc>,
    pub estimate: Estimate,
    /// The open window it must finish in.
    pub window: Span,
}

/// Why a step waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitReason {
    /// No window applies to the host's labels.
    NoWindowForHost,
    /// No window of the host is open now.
    Closed,
    /// A window is open, but the step would end after it closes.
    WouldOverrun {
        begin: DateTime<Utc>,
        window_end: DateTime<Utc>,
    },
    /// An earlier step of the same host waits, and order is kept.
    AfterWaitingStep,
}

/// A step left for a later window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deferred<'a> {
    pub step: &'a PendingStep,
    pub estimate: Estimate,
    pub reason: WaitReason,
    /// Start of the host's next window (after the one open now) long
    /// enough for this step alone; `None` if none within
    /// [`LOOKAHEAD`](super::LOOKAHEAD) or the host has no window.
    pub next_start: Option<DateTime<Utc>>,
}

/// The steps split by [`split_steps`], each list in input order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Split<'a> {
    pub now: Vec<Ready<'a>>,
    pub later: Vec<Deferred<'a>>,
}

impl Split<'_> {
    /// The earliest `next_start` of the waiting steps: when to look again.
    pub fn next_start(&self) -> Option<DateTime<Utc>> {
        self.later.iter().filter_map(|d| d.next_start).min()
    }
}

struct HostState {
    open: Option<Span>,
    /// When the host's next step would begin (after the ones admitted).
    cursor: DateTime<Utc>,
    waiting: bool,
    has_window: bool,
}

/// Split `steps` into those that run in the window open at `now` and those
/// left for a later one.
pub fn split_steps<'a>(
    schedule: &Schedule,
    estimates: &Estimates,
    now: DateTime<Utc>,
    steps: &'a [PendingStep],
) -> Split<'a> {
    let mut hosts: HashMap<&str, HostState> = HashMap::new();
    let mut split = Split::default();
    for step in steps {
        let host = hosts.entry(&step.host).or_insert_with(|| HostState {
            open: schedule.open_at(now, &step.labels),
            cursor: now,
            waiting: false,
            has_window: schedule.windows_for(&step.labels).next().is_some(),
        });
        let estimate = estimates.estimate(&step.component, &step.model);
        let decision = match &host.open {
            _ if !host.has_window => Err(WaitReason::NoWindowForHost),
            _ if host.waiting => Err(WaitReason::AfterWaitingStep),
            None => Err(WaitReason::Closed),
            Some(span) if fits(host.cursor, span.end, estimate.duration) => Ok(span.clone()),
            Some(span) => Err(WaitReason::WouldOverrun {
                begin: host.cursor,
                window_end: span.end,
            }),
        };
        match decision {
            Ok(window) => {
                let begin = host.cursor;
                // `fits` has checked that this addition stays before the window end.
                host.cursor = begin + TimeDelta::from_std(estimate.duration).unwrap_or_default();
                split.now.push(Ready {
                    step,
                    begin,
                    estimate,
                    window,
                });
            }
            Err(reason) => {
                host.waiting = true;
                let from = host.open.as_ref().map_or(now, |s| s.end);
                let next_start = if host.has_window {
                    schedule
                        .next_fitting(from, &step.labels, estimate.duration)
                        .map(|s| s.start.max(from))
                } else {
                    None
                };
                split.later.push(Deferred {
                    step,
                    estimate,
                    reason,
                    next_start,
                });
            }
        }
    }
    split
}

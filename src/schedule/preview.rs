//! What the schedule will do with the planned steps: each host's next
//! windows, which of its steps would run in each, and the steps no window
//! holds, with the estimate to blame. Pure, like the rest of `schedule`.
//!
//! The preview lays each host's steps back to back from the opening of each
//! of its spans, by the same rule as [`split_steps`](super::split_steps): a
//! step starts only if it ends before the span closes, and once one waits
//! the later ones wait behind it. It does not model `max_parallel`, label
//! caps or the canary: those can only start a host later than shown, never
//! earlier, so the preview is the best case and says so.
//!
//! Change freezes are marked as the service applies them: a host frozen
//! when a span opens (or now, for the span open now) is left out of that
//! span's run, and a freeze that begins inside a span closes the span for
//! the host at its start (no step may be submitted after it).

use super::duration::HumanDuration;
use super::estimate::{ComponentKey, Estimate, EstimateSource, Estimates};
use super::spans::{Schedule, Span};
use super::split::{fits, PendingStep};
use super::window::{Labels, Window};
use crate::freeze::Freezes;
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// At most this many spans per host are shown: an hourly window over a
/// month would otherwise print 720 lines for every host.
pub const MAX_SPANS_PER_HOST: usize = 31;

/// One step placed in a span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placed {
    pub component: String,
    pub begin: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub estimate: EstimateView,
}

/// An estimate as shown: how long, and where the figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EstimateView {
    pub secs: u64,
    /// `history` (a percentile of recorded steps) or `default` (the
    /// configured `[estimates] default`).
    pub source: &'static str,
    /// Recorded steps behind a `history` estimate; 0 for `default`.
    pub samples: usize,
}

impl From<Estimate> for EstimateView {
    fn from(e: Estimate) -> Self {
        let (source, samples) = match e.source {
            EstimateSource::History { samples } => ("history", samples),
            EstimateSource::Default => ("default", 0),
        };
        EstimateView {
            secs: e.duration.as_secs(),
            source,
            samples,
        }
    }
}

/// One of a host's spans and what runs in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpanPreview {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The windows that make up the span.
    pub windows: Vec<String>,
    /// The steps that would run, in order; empty when nothing is left or the
    /// next step does not fit.
    pub steps: Vec<Placed>,
    /// Why the next waiting step does not start in this span, if one waits.
    pub waits: Option<String>,
    /// A change freeze that covers the host in this span, from `from`: at
    /// the span's opening (or now) the host is left out of the run; later,
    /// no step of the host starts after `from`.
    pub frozen: Option<FrozenMark>,
}

/// Where a freeze cuts a span for a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrozenMark {
    pub from: DateTime<Utc>,
    /// The freeze as `apply` names it (`freeze #1 "year-end" (… to …): reason`).
    pub freeze: String,
}

/// A step that no span within the preview holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unscheduled {
    pub component: String,
    pub estimate: EstimateView,
    pub reason: String,
}

/// One host's preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostPreview {
    pub host: String,
    pub model: String,
    pub labels: Labels,
    /// Whether any `[[windows]]` entry applies to the host.
    pub has_window: bool,
    pub spans: Vec<SpanPreview>,
    /// True when more spans fell inside the preview than are shown.
    pub more_spans: bool,
    pub unscheduled: Vec<Unscheduled>,
}

/// Each host's next spans from `now` until `until` and where its steps
/// (`steps`, in plan order; all steps of a host carry the same labels and
/// model) fall in them. Hosts appear in the order of their first step.
pub fn preview(
    schedule: &Schedule,
    freezes: &Freezes,
    estimates: &Estimates,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    steps: &[PendingStep],
) -> Vec<HostPreview> {
    let mut order: Vec<&str> = Vec::new();
    let mut by_host: BTreeMap<&str, Vec<&PendingStep>> = BTreeMap::new();
    for s in steps {
        let list = by_host.entry(&s.host).or_default();
        if list.is_empty() {
            order.push(&s.host);
        }
        list.push(s);
    }
    order
        .into_iter()
        .map(|h| host_preview(schedule, freezes, estimates, now, until, &by_host[h]))
        .collect()
}

fn host_preview(
    schedule: &Schedule,
    freezes: &Freezes,
    estimates: &Estimates,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    steps: &[&PendingStep],
) -> HostPreview {
    let first = steps[0];
    let windows: Vec<&Window> = schedule.windows_for(&first.labels).collect();
    let mut queue: Vec<(&PendingStep, Estimate)> = steps
        .iter()
        .map(|s| (*s, estimates.estimate(&s.component, &s.model)))
        .collect();
    queue.reverse(); // pop() takes the next step in plan order
    let mut spans = Vec::new();
    let mut more_spans = false;
    if !windows.is_empty() {
        for span in schedule
            .spans(now, &first.labels)
            .take_while(|s| s.start < until)
        {
            if spans.len() == MAX_SPANS_PER_HOST {
                more_spans = true;
                break;
            }
            let opens = span.start.max(now);
            let frozen = match freezes.covering(&first.host, &first.labels, opens) {
                Some(f) => Some((opens, f)),
                None => freezes
                    .next_for(&first.host, &first.labels, opens)
                    .filter(|f| f.start > opens && f.start < span.end)
                    .map(|f| (f.start, f)),
            };
            let closes = frozen.map_or(span.end, |(from, _)| from);
            let mut p = place(&span, now, closes, &mut queue);
            if let Some((from, f)) = frozen {
                p.waits = p.waits.map(|w| {
                    if from == opens {
                        format!("the host is inside a change freeze ({f})")
                    } else {
                        format!(
                            "{w} before a change freeze begins at {}",
                            from.format("%H:%M")
                        )
                    }
                });
                p.frozen = Some(FrozenMark {
                    from,
                    freeze: f.to_string(),
                });
            }
            spans.push(p);
        }
    }
    let longest = windows.iter().map(|w| w.duration()).max();
    let unscheduled = queue
        .into_iter()
        .rev()
        .enumerate()
        .map(|(i, (s, e))| Unscheduled {
            component: s.component.to_string(),
            estimate: e.into(),
            reason: match longest {
                None => "no window applies to the host".to_string(),
                Some(l) if e.duration > l => format!(
                    "its estimate {e} is longer than any window of the host (longest {})",
                    HumanDuration(l)
                ),
                Some(_) if i > 0 => "it waits behind an earlier step of the host".to_string(),
                Some(_) => "no span before the end of the preview has room for it".to_string(),
            },
        })
        .collect();
    HostPreview {
        host: first.host.clone(),
        model: first.model.clone(),
        labels: first.labels.clone(),
        has_window: !windows.is_empty(),
        spans,
        more_spans,
        unscheduled,
    }
}

/// Take from `queue` (reversed plan order) the steps that fit in `span`
/// before `closes` (the span's end, or a freeze's start within it).
fn place(
    span: &Span,
    now: DateTime<Utc>,
    closes: DateTime<Utc>,
    queue: &mut Vec<(&PendingStep, Estimate)>,
) -> SpanPreview {
    let mut cursor = span.start.max(now);
    let mut placed = Vec::new();
    while let Some((step, estimate)) = queue.last().copied() {
        if cursor >= closes || !fits(cursor, closes, estimate.duration) {
            break;
        }
        let end = cursor + delta(estimate.duration);
        placed.push(Placed {
            component: step.component.to_string(),
            begin: cursor,
            end,
            estimate: estimate.into(),
        });
        cursor = end;
        queue.pop();
    }
    let waits = queue.last().map(|(step, estimate)| {
        let left = (closes - cursor).to_std().unwrap_or_default();
        format!(
            "{} needs {estimate}, {} left in the span",
            step.component,
            HumanDuration(left)
        )
    });
    SpanPreview {
        start: span.start,
        end: span.end,
        windows: span.windows.clone(),
        steps: placed,
        waits,
        frozen: None,
    }
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// The windows that cannot hold even the first planned step of a host:
/// steps run in plan order, so such a window runs nothing for that host.
/// One line per (window, first step, model, estimate), naming the hosts and
/// the estimate to blame, for `serve`'s start and the schedule view.
pub fn too_short(schedule: &Schedule, estimates: &Estimates, steps: &[PendingStep]) -> Vec<String> {
    let mut firsts: Vec<&PendingStep> = Vec::new();
    for s in steps {
        if !firsts.iter().any(|f| f.host == s.host) {
            firsts.push(s);
        }
    }
    // (window, component, model) → (window length, estimate, hosts)
    type Key<'a> = (&'a str, &'a ComponentKey, &'a str);
    let mut groups: BTreeMap<Key<'_>, (Duration, Estimate, Vec<&str>)> = BTreeMap::new();
    for f in firsts {
        let estimate = estimates.estimate(&f.component, &f.model);
        for w in schedule.windows_for(&f.labels) {
            if estimate.duration > w.duration() {
                groups
                    .entry((w.name(), &f.component, &f.model))
                    .or_insert_with(|| (w.duration(), estimate, Vec::new()))
                    .2
                    .push(&f.host);
            }
        }
    }
    let percentile = estimates.settings().percentile;
    groups
        .into_iter()
        .map(|((window, component, model), (length, estimate, hosts))| {
            let blame = match estimate.source {
                EstimateSource::Default => format!(
                    "the configured default (`[estimates] default`): no {component} on {} has been updated yet; lower the default or lengthen the window",
                    if model.is_empty() { "this model" } else { model }
                ),
                EstimateSource::History { samples } => format!(
                    "p{percentile} of {samples} earlier step(s) of {component} on {}; lengthen the window",
                    if model.is_empty() { "this model" } else { model }
                ),
            };
            format!(
                "window {window} ({}) cannot fit any planned step of {}: the first, {component}, is estimated {} by {blame}",
                HumanDuration(length),
                name_hosts(&hosts),
                HumanDuration(estimate.duration),
            )
        })
        .collect()
}

/// `bmc-1`, `bmc-1, bmc-2`, or `40 host(s) (bmc-1, bmc-2, bmc-3, …)`.
fn name_hosts(hosts: &[&str]) -> String {
    match hosts.len() {
        0..=3 => hosts.join(", "),
        n => format!("{n} host(s) ({}, …)", hosts[..3].join(", ")),
    }
}

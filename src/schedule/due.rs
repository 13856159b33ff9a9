//! What the service's scheduler does at `now`: which hosts have a window
//! open that nobody has acted on yet, when to look again, and the last
//! instant at which a rollout of admitted steps may still start one.
//!
//! The scheduler (`crate::daemon::scheduler`) owns the clock and the
//! store; these functions take `now` and what has been done, so the decisions
//! (a window opens and a rollout starts, a step that would overrun is not
//! started, daylight-saving gaps and repeats) are tested with explicit
//! instants.

use super::spans::{Schedule, Span};
use super::split::Ready;
use super::window::Labels;
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{BTreeMap, HashMap};

/// Hosts whose window is open at `now` and have not been acted on in it,
/// all sharing the same open span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueGroup {
    pub span: Span,
    /// Host names, in the order they were given.
    pub hosts: Vec<String>,
}

/// The scheduler's to-do at `now`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Due {
    /// Groups to roll out now, the one whose span ends first first (it has
    /// the least time left, so it should not wait behind the others).
    pub groups: Vec<DueGroup>,
    /// The earliest start, after `now`, of a span of any host: when to look
    /// again if nothing is due. `None`: no window will ever open.
    pub next_start: Option<DateTime<Utc>>,
}

/// What all hosts under the same windows share: the span open at `now`, and
/// the start of the next one.
type Class = (Option<Span>, Option<DateTime<Utc>>);

/// Which hosts are due at `now`.
///
/// `handled` maps a host to the start of the span in which a rollout was
/// already started for it: a host is due once per span, so a window whose
/// steps did not all fit is not retried until its next opening (what is left
/// waits for the next window). Hosts under the same windows share their
/// spans, so the spans are computed once per distinct set of windows rather
/// than once per host.
pub fn due<'a>(
    schedule: &Schedule,
    now: DateTime<Utc>,
    hosts: impl IntoIterator<Item = (&'a str, &'a Labels)>,
    handled: &HashMap<String, DateTime<Utc>>,
) -> Due {
    // The indices of the windows that apply → what hosts under them share.
    let mut classes: BTreeMap<Vec<usize>, Class> = BTreeMap::new();
    let mut groups: Vec<DueGroup> = Vec::new();
    let mut next_start: Option<DateTime<Utc>> = None;
    for (name, labels) in hosts {
        let key: Vec<usize> = schedule
            .windows()
            .iter()
            .enumerate()
            .filter(|(_, w)| w.applies_to(labels))
            .map(|(i, _)| i)
            .collect();
        if key.is_empty() {
            continue;
        }
        let (open, next) = classes
            .entry(key)
            .or_insert_with(|| {
                (
                    schedule.open_at(now, labels),
                    schedule.next_window(now, labels).map(|s| s.start),
                )
            })
            .clone();
        if let Some(t) = next {
            next_start = Some(next_start.map_or(t, |n| n.min(t)));
        }
        let Some(span) = open else { continue };
        if handled.get(name) == Some(&span.start) {
            continue;
        }
        // Hosts under different windows may share a stretch of time; one
        // rollout serves them all, so the group is the stretch, not the names.
        match groups
            .iter_mut()
            .find(|g| (g.span.start, g.span.end) == (span.start, span.end))
        {
            Some(g) => {
                for w in &span.windows {
                    if !g.span.windows.contains(w) {
                        g.span.windows.push(w.clone());
                    }
                }
                g.hosts.push(name.to_owned());
            }
            None => groups.push(DueGroup {
                span,
                hosts: vec![name.to_owned()],
            }),
        }
    }
    groups.sort_by_key(|g| (g.span.end, g.span.start));
    Due { groups, next_start }
}

/// The last instant at which any of the admitted steps may still start:
/// the earliest `window end − estimate` over them. A rollout stopped from
/// starting steps at this instant starts no step that cannot finish before
/// its window closes, whichever host, wave or position the step has (a host
/// in a later wave starts later than [`split_steps`](super::split_steps)
/// assumed). It is cautious: a short step could still fit after it, and
/// waits for the next window instead. `None` when nothing was admitted.
pub fn last_start(ready: &[Ready<'_>]) -> Option<DateTime<Utc>> {
    ready
        .iter()
        .map(|r| {
            let est = TimeDelta::from_std(r.estimate.duration).unwrap_or(TimeDelta::MAX);
            r.window
                .end
                .checked_sub_signed(est)
                .unwrap_or(DateTime::<Utc>::MIN_UTC)
        })
        .min()
}

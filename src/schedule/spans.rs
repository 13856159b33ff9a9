//! All windows together: which are open for a host, and when the next opens.
//!
//! A host may be covered by several windows (its rack's and a fleet-wide
//! one), and one window's openings may overlap or touch (`0 * * * *` for
//! `90m`). What matters for "can this step finish in time" is the stretch of
//! time that is continuously inside *some* applicable opening, so openings
//! that overlap or touch are merged into one [`Span`]. A span is followed
//! for at most [`MAX_SPAN`] in each direction: a longer run of back-to-back
//! openings (a cron that fires every minute) is cut there, which can only
//! make the span look shorter than it is, never let a step overrun.

use super::window::{Labels, Occurrence, Starts, Window, WindowError, WindowSpec};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::HashSet;
use std::iter::Peekable;
use std::time::Duration;

/// How far a span is followed from `now`, forwards and backwards.
pub const MAX_SPAN: TimeDelta = TimeDelta::days(7);

/// How far ahead [`Schedule::next_fitting`] looks for a long enough span.
pub const LOOKAHEAD: TimeDelta = TimeDelta::days(400);

/// A stretch of time continuously inside at least one opening:
/// `start <= t < end` is inside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The windows whose openings make up the span, in order of opening.
    pub windows: Vec<String>,
}

impl Span {
    fn from_occurrence(name: &str, o: Occurrence) -> Span {
        Span {
            start: o.start,
            end: o.end,
            windows: vec![name.to_owned()],
        }
    }

    fn absorb(&mut self, name: &str, o: Occurrence) {
        self.start = self.start.min(o.start);
        self.end = self.end.max(o.end);
        if !self.windows.iter().any(|w| w == name) {
            self.windows.push(name.to_owned());
        }
    }

    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }
}

/// The validated `[[windows]]` list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schedule {
    windows: Vec<Window>,
}

impl Schedule {
    /// Validate every window, in order; the first error is returned. Names
    /// must be unique because plans and logs refer to windows by name.
    pub fn from_specs(specs: &[WindowSpec]) -> Result<Schedule, WindowError> {
        let mut seen = HashSet::new();
        let mut windows = Vec::with_capacity(specs.len());
        for (i, spec) in specs.iter().enumerate() {
            let w = spec.validate(i)?;
            if !seen.insert(w.name().to_owned()) {
                return Err(WindowError {
                    index: i,
                    name: spec.name.clone(),
                    field: "name",
                    message: format!(
                        "window name '{}' appears twice\n  hint: give every window a unique name",
                        w.name()
                    ),
                });
            }
            windows.push(w);
        }
        Ok(Schedule { windows })
    }

    /// A schedule from windows built in code (names are not checked).
    pub fn new(windows: Vec<Window>) -> Schedule {
        Schedule { windows }
    }

    pub fn windows(&self) -> &[Window] {
        &self.windows
    }

    /// No windows at all. Whether that means "always allowed" or "never" is
    /// the caller's policy, not this module's.
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    /// The windows that apply to a host with these labels.
    pub fn windows_for<'a>(&'a self, labels: &'a Labels) -> impl Iterator<Item = &'a Window> {
        self.windows.iter().filter(move |w| w.applies_to(labels))
    }

    /// The host's spans from `now` on: first the one open at `now`, if any,
    /// then the following ones in order.
    pub fn spans(&self, now: DateTime<Utc>, labels: &Labels) -> Spans<'_> {
        let members: Vec<&Window> = self
            .windows
            .iter()
            .filter(|w| w.applies_to(labels))
            .collect();
        let longest = members.iter().map(|w| w.delta()).max().unwrap_or_default();
        let mut spans = Spans {
            stream: Merged::new(&members, now - longest).peekable(),
            members,
            first: None,
        };
        // Openings that started at most `longest` ago may still be open.
        let mut current: Option<Span> = None;
        while let Some((name, o)) = spans.stream.next_if(|(_, o)| o.start <= now) {
            match &mut current {
                Some(s) if o.start <= s.end => s.absorb(name, o),
                _ => current = Some(Span::from_occurrence(name, o)),
            }
        }
        if let Some(mut span) = current.filter(|s| s.end > now) {
            spans.extend_forward(&mut span, now);
            spans.extend_backward(&mut span, now, longest);
            spans.first = Some(span);
        }
        spans
    }

    /// The span open for the host at `now` (`start <= now < end`).
    pub fn open_at(&self, now: DateTime<Utc>, labels: &Labels) -> Option<Span> {
        self.spans(now, labels).next().filter(|s| s.contains(now))
    }

    /// The host's next span that starts after `now` (not the open one).
    pub fn next_window(&self, now: DateTime<Utc>, labels: &Labels) -> Option<Span> {
        self.spans(now, labels).find(|s| s.start > now)
    }

    /// The first span, open at `from` or later, in which a step of
    /// `estimate` begun at `max(from, span.start)` ends before the span
    /// does; `None` if there is none within [`LOOKAHEAD`].
    pub fn next_fitting(
        &self,
        from: DateTime<Utc>,
        labels: &Labels,
        estimate: Duration,
    ) -> Option<Span> {
        self.spans(from, labels)
            .take_while(|s| s.start < from + LOOKAHEAD)
            .find(|s| super::fits(s.start.max(from), s.end, estimate))
    }
}

/// The spans of one host, in order; see [`Schedule::spans`].
#[derive(Debug)]
pub struct Spans<'a> {
    members: Vec<&'a Window>,
    stream: Peekable<Merged<'a>>,
    first: Option<Span>,
}

impl Spans<'_> {
    /// Absorb every later opening that starts before the span ends.
    fn extend_forward(&mut self, span: &mut Span, anchor: DateTime<Utc>) {
        let limit = anchor.max(span.start) + MAX_SPAN;
        while let Some((name, o)) = self
            .stream
            .next_if(|(_, o)| o.start <= span.end && o.start < limit)
        {
            span.absorb(name, o);
        }
    }

    /// Absorb earlier openings that reach the span's start.
    fn extend_backward(&self, span: &mut Span, now: DateTime<Utc>, longest: TimeDelta) {
        let limit = now - MAX_SPAN;
        while span.start > limit {
            let before = span.start;
            for (name, o) in Merged::new(&self.members, before - longest) {
                if o.start >= before {
                    break;
                }
                if o.end >= before {
                    span.absorb(name, o);
                }
            }
            if span.start == before {
                break;
            }
        }
    }
}

impl Iterator for Spans<'_> {
    type Item = Span;

    fn next(&mut self) -> Option<Span> {
        if let Some(s) = self.first.take() {
            return Some(s);
        }
        let (name, o) = self.stream.next()?;
        let mut span = Span::from_occurrence(name, o);
        self.extend_forward(&mut span, o.start);
        Some(span)
    }
}

/// The openings of several windows merged into one stream by start.
struct Merged<'a> {
    heads: Vec<(&'a Window, Peekable<Starts<'a>>)>,
}

impl std::fmt::Debug for Merged<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Merged")
            .field("windows", &self.heads.len())
            .finish()
    }
}

impl<'a> Merged<'a> {
    fn new(windows: &[&'a Window], from: DateTime<Utc>) -> Merged<'a> {
        Merged {
            heads: windows
                .iter()
                .map(|w| (*w, w.starts_from(from).peekable()))
                .collect(),
        }
    }
}

impl<'a> Iterator for Merged<'a> {
    type Item = (&'a str, Occurrence);

    fn next(&mut self) -> Option<Self::Item> {
        let (window, starts) = self
            .heads
            .iter_mut()
            .filter_map(|(w, s)| s.peek().copied().map(|t| (t, w, s)))
            .min_by_key(|(t, _, _)| *t)
            .map(|(_, w, s)| (*w, s))?;
        let start = starts.next()?;
        Some((
            window.name(),
            Occurrence {
                start,
                end: start + window.delta(),
            },
        ))
    }
}

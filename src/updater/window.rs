//! The maintenance window's end, as the executor honours it: to the second.
//!
//! The rollout's step gate (`control`) stops *new steps* at the window's
//! last start; but a step already past that gate may still be busy-waiting
//! for its BMC, uploading an image or following a Supermicro Verify task
//! when the window closes. Each irreversible action is therefore asked here
//! right before it goes ([`WindowEnd::may_start`]): the request that starts
//! a flash (after any busy-wait), `StartUpdate`, and the coordinated reset
//! (before `reset-sent` is journaled). A refusal sends nothing; the caller
//! records the step `deferred` (or leaves the image staged) for the next
//! window. A task already running at the end is never abandoned: it is
//! followed to its end, and [`WindowEnd::overran`] says how late it ended.
//!
//! `None` is "no window" (API runs, `apply` without `--window`): every
//! check passes.
//!
//! A change freeze (`crate::freeze`) that begins while a run goes closes a
//! host's window early: the host's end is the freeze's start
//! ([`WindowEnd::until_freeze`]), and the refusal names the freeze.

use chrono::{DateTime, SecondsFormat, Utc};

/// When the run's maintenance window closes, if it has one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WindowEnd {
    end: Option<DateTime<Utc>>,
    /// The `[[freezes]]` table (1-based) whose start is `end`, when a freeze
    /// closes the window before its own end.
    freeze: Option<usize>,
}

/// An action the window's end stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The request that starts a transfer (SimpleUpdate, a push).
    Submit,
    /// `UpdateService.StartUpdate` for an update held on the BMC.
    StartUpdate,
    /// The coordinated reset that activates staged images.
    Reset,
}

impl Action {
    /// What was not done, for messages.
    pub fn not_done(self) -> &'static str {
        match self {
            Action::Submit => "the update request was not sent",
            Action::StartUpdate => "StartUpdate was not sent",
            Action::Reset => "the coordinated reset was not sent",
        }
    }
}

/// The window closed before `what` could start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed {
    pub end: DateTime<Utc>,
    pub what: Action,
    /// The change freeze that began at `end`, if that is what closed it.
    pub freeze: Option<usize>,
}

impl Closed {
    /// "the window closed at 2026-12-01T04:00:00Z: the update request was not sent".
    pub fn describe(&self) -> String {
        format!(
            "{}: {}",
            closing(self.end, self.freeze),
            self.what.not_done()
        )
    }
}

/// "the maintenance window closed at …" or "change freeze #N ([[freezes]])
/// began at …".
fn closing(end: DateTime<Utc>, freeze: Option<usize>) -> String {
    match freeze {
        Some(n) => format!("change freeze #{n} ([[freezes]]) began at {}", rfc3339(end)),
        None => format!("the maintenance window closed at {}", rfc3339(end)),
    }
}

/// RFC 3339 to the second, as messages print instants.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl WindowEnd {
    /// No window: nothing is ever refused.
    pub const NONE: WindowEnd = WindowEnd {
        end: None,
        freeze: None,
    };

    /// A window that closes at `end`.
    pub fn at(end: DateTime<Utc>) -> WindowEnd {
        WindowEnd::from_option(Some(end))
    }

    pub fn from_option(end: Option<DateTime<Utc>>) -> WindowEnd {
        WindowEnd { end, freeze: None }
    }

    /// This window, closed by change freeze number `index` at its `start`
    /// when that comes first.
    pub fn until_freeze(self, start: DateTime<Utc>, index: usize) -> WindowEnd {
        match self.end {
            Some(end) if end <= start => self,
            _ => WindowEnd {
                end: Some(start),
                freeze: Some(index),
            },
        }
    }

    /// The end, if there is a window.
    pub fn end(&self) -> Option<DateTime<Utc>> {
        self.end
    }

    /// "the maintenance window closed at …" (or the freeze that began), for
    /// messages; empty without a window.
    pub fn describe_end(&self) -> String {
        self.end
            .map(|e| closing(e, self.freeze))
            .unwrap_or_default()
    }

    /// Whether `what` may still start now. Asked right before the action,
    /// after every wait that came before it.
    pub fn may_start(&self, what: Action) -> Result<(), Closed> {
        self.may_start_at(what, Utc::now())
    }

    /// [`Self::may_start`] at `now` (pure, for tests). The end itself is
    /// already outside the window: a window of `[start, end)`.
    pub fn may_start_at(&self, what: Action, now: DateTime<Utc>) -> Result<(), Closed> {
        match self.end {
            Some(end) if now >= end => Err(Closed {
                end,
                what,
                freeze: self.freeze,
            }),
            _ => Ok(()),
        }
    }

    /// How late something that ended at `ended` was, if it ended after the
    /// window's end.
    pub fn overran(&self, ended: DateTime<Utc>) -> Option<chrono::Duration> {
        self.end.filter(|end| ended > *end).map(|end| ended - end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn no_window_refuses_nothing_and_never_overruns() {
        let w = WindowEnd::NONE;
        for a in [Action::Submit, Action::StartUpdate, Action::Reset] {
            assert_eq!(w.may_start_at(a, t("2999-01-01T00:00:00Z")), Ok(()));
        }
        assert_eq!(w.overran(t("2999-01-01T00:00:00Z")), None);
    }

    #[test]
    fn the_end_itself_is_outside_the_window() {
        let w = WindowEnd::at(t("2026-12-01T04:00:00Z"));
        assert_eq!(
            w.may_start_at(Action::Submit, t("2026-12-01T03:59:59Z")),
            Ok(())
        );
        let closed = w
            .may_start_at(Action::Reset, t("2026-12-01T04:00:00Z"))
            .unwrap_err();
        assert_eq!(closed.what, Action::Reset);
        assert_eq!(
            closed.describe(),
            "the maintenance window closed at 2026-12-01T04:00:00Z: the coordinated reset was not sent"
        );
        assert!(w
            .may_start_at(Action::StartUpdate, t("2026-12-01T05:00:00Z"))
            .is_err());
    }

    #[test]
    fn a_freeze_that_begins_first_closes_the_window_and_is_named() {
        let w = WindowEnd::at(t("2026-12-01T04:00:00Z"));
        assert_eq!(w.until_freeze(t("2026-12-01T05:00:00Z"), 1), w);
        let f = w.until_freeze(t("2026-12-01T03:00:00Z"), 2);
        assert_eq!(f.end(), Some(t("2026-12-01T03:00:00Z")));
        let closed = f
            .may_start_at(Action::Submit, t("2026-12-01T03:00:00Z"))
            .unwrap_err();
        assert_eq!(
            closed.describe(),
            "change freeze #2 ([[freezes]]) began at 2026-12-01T03:00:00Z: the update request was not sent"
        );
        let none = WindowEnd::NONE.until_freeze(t("2026-12-01T03:00:00Z"), 1);
        assert_eq!(none.end(), Some(t("2026-12-01T03:00:00Z")));
    }

    #[test]
    fn overran_says_how_late() {
        let w = WindowEnd::at(t("2026-12-01T04:00:00Z"));
        assert_eq!(w.overran(t("2026-12-01T04:00:00Z")), None);
        assert_eq!(w.overran(t("2026-12-01T03:00:00Z")), None);
        assert_eq!(
            w.overran(t("2026-12-01T04:01:30Z")),
            Some(chrono::Duration::seconds(90))
        );
    }
}

//! The update engine's journal vocabulary: where a step stands
//! ([`StepState`]), how it ended ([`StepOutcome`]) and how a run ended
//! ([`RunStatus`]).
//!
//! Each word has one spelling, written once in the tables below: the store
//! writes it into its text columns, the JSON reports and `/api/v1` carry it,
//! the text output prints it, and reading a row parses it back with the same
//! table. A spelling that is not in a table is an error when read, never a
//! silent "not in flight".

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// A word the journal does not know, as read from a store row or a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} '{word}'; expected one of {expected}")]
pub struct UnknownWord {
    pub what: &'static str,
    pub word: String,
    pub expected: String,
}

/// Defines a `Copy` enum whose variants each have one spelling, and derives
/// every string form from that table: `as_str`, `parse`, `Display`,
/// `Serialize`, `Deserialize` and comparison with a `&str`.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $what:literal enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            const NAMES: &'static [&'static str] = &[$($text),+];

            /// The one spelling (store column, JSON, text).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The value spelled `s` exactly as [`Self::as_str`] spells it.
            pub fn parse(s: &str) -> Result<$name, UnknownWord> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownWord {
                        what: $what,
                        word: s.to_string(),
                        expected: Self::NAMES.join(", "),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str(concat!("a ", $what))
                    }
                    fn visit_str<E: de::Error>(self, s: &str) -> Result<$name, E> {
                        $name::parse(s).map_err(|_| E::unknown_variant(s, $name::NAMES))
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}

vocabulary! {
    /// Where a journaled step stands. The order is the order a step moves
    /// through: journal first, so each state is stored *before* the action it
    /// announces (`submitted` before the request that starts a flash).
    "step state" enum StepState {
        /// In the journal; nothing was sent.
        Planned => "planned",
        /// The request that starts the transfer is about to go, or went.
        Submitted => "submitted",
        /// The BMC accepted; its task (URI in the row, when it gave one) runs.
        Running => "running",
        /// The task ended; the new version is being read back.
        Verifying => "verifying",
        /// Staged, and the coordinated reset that activates it is about to
        /// be sent, or was: a restart never sends it again without evidence.
        ResetSent => "reset-sent",
        /// Ended; the row's outcome says how.
        Done => "done",
    }
}

impl StepState {
    /// The states of a step that has not ended: after a crash, each of these
    /// is decided from the journal and the BMC, never sent again.
    pub const IN_FLIGHT: [StepState; 5] = [
        StepState::Planned,
        StepState::Submitted,
        StepState::Running,
        StepState::Verifying,
        StepState::ResetSent,
    ];

    /// Whether a step in this state may still have an update going on the
    /// BMC (or, `planned`, about to): everything but `done`.
    pub const fn is_in_flight(self) -> bool {
        !matches!(self, StepState::Done)
    }
}

vocabulary! {
    /// How a step ended (issue 6 outcome classes).
    "step outcome" enum StepOutcome {
        Updated => "updated",
        Staged => "staged",
        NoChange => "no-change",
        UnexpectedVersion => "unexpected-version",
        Failed => "failed",
        Unreachable => "unreachable",
        TimedOut => "timed-out",
        Cancelled => "cancelled",
        NeedsAttention => "needs-attention",
        /// Skipped at a step boundary: a hold (config `[[holds]]` or `fwfleet
        /// hold add`) covers it; nothing was sent. The message names the hold.
        Held => "held",
        /// The maintenance window closed right before the step's request,
        /// `StartUpdate` or reset would have gone: nothing was sent. Not a
        /// failure: the next window plans the step again.
        Deferred => "deferred",
    }
}

impl StepOutcome {
    /// Whether the step reached what was asked (staged counts when nothing
    /// more was asked: the caller decides under its reset policy).
    pub fn is_success(self) -> bool {
        matches!(self, StepOutcome::Updated | StepOutcome::Staged)
    }
}

vocabulary! {
    /// Where a run stands, and how it ended.
    "run status" enum RunStatus {
        /// Started and not finished: by a live process, or by one that
        /// stopped (resume marks those `interrupted`).
        Running => "running",
        /// Every host was tried and none failed or was unreachable.
        Completed => "completed",
        /// Every host was tried, and some failed or were unreachable (at the
        /// scan or during the run): a cron wrapper must not read it as done.
        CompletedWithFailures => "completed-with-failures",
        /// A canary failed or the failure budget ran out.
        Halted => "halted",
        /// Ctrl-C, SIGTERM, the API, or a window's last start.
        Cancelled => "cancelled",
        /// The process running it stopped; a later start resumed its steps.
        Interrupted => "interrupted",
        /// The run itself could not go on (the store, the image server).
        Failed => "failed",
        /// Steps to flash, but none fitted before the window closed.
        Deferred => "deferred",
        /// Scanned and planned: nothing to flash.
        NothingToDo => "nothing-to-do",
    }
}

vocabulary! {
    /// Where an operator steers a running run (`fwfleet run pause|resume|cancel`,
    /// `POST /api/v1/runs/{id}/pause|resume|cancel`), and what the executor
    /// running it acknowledged: the store's `run_controls` columns.
    "run control" enum Control {
        /// Starts hosts and steps (the default, and what `resume` asks for).
        Running => "running",
        /// No new host or step starts; running steps finish and are recorded.
        Paused => "paused",
        /// No new host or step starts; the run ends `cancelled` once running
        /// steps are recorded.
        Cancelled => "cancelled",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_reads_back_as_itself() {
        for s in StepState::ALL {
            assert_eq!(StepState::parse(s.as_str()), Ok(*s));
            assert_eq!(serde_json::to_string(s).unwrap(), format!("\"{s}\""));
            assert_eq!(
                serde_json::from_str::<StepState>(&format!("\"{s}\"")).unwrap(),
                *s
            );
        }
        for o in StepOutcome::ALL {
            assert_eq!(StepOutcome::parse(o.as_str()), Ok(*o));
        }
        for r in RunStatus::ALL {
            assert_eq!(RunStatus::parse(r.as_str()), Ok(*r));
        }
        for c in Control::ALL {
            assert_eq!(Control::parse(c.as_str()), Ok(*c));
        }
    }

    #[test]
    fn in_flight_is_every_state_but_done() {
        let flying: Vec<StepState> = StepState::ALL
            .iter()
            .copied()
            .filter(|s| s.is_in_flight())
            .collect();
        assert_eq!(flying, StepState::IN_FLIGHT);
    }

    #[test]
    fn an_unknown_word_is_an_error_that_names_it() {
        let e = StepState::parse("completed").unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown step state 'completed'; expected one of planned, submitted, running, verifying, reset-sent, done"
        );
        let e = serde_json::from_str::<RunStatus>("\"paused\"").unwrap_err();
        assert!(e.to_string().contains("unknown variant `paused`"), "{e}");
    }
}

//! Maintenance windows and the decision whether a step may start now; pure.
//!
//! Everything here takes `now` as an argument and reads no clock, does no I/O
//! and needs no runtime, so every decision can be tested with explicit
//! instants, including the daylight-saving days that real clocks only reach
//! twice a year.
//!
//! Module map:
//!
//! - `cron`: five-field cron expressions matched against local wall-clock
//!   times ([`Cron`]).
//! - `duration`: humane durations, `4h`, `90m`, `1h30m` ([`parse_duration`]).
//! - `window`: one `[[windows]]` entry as written ([`WindowSpec`]), validated
//!   ([`Window`]), and its opening instants under the daylight-saving rules
//!   (gap → end of the gap; repeat → first occurrence; elapsed durations).
//! - `spans`: all windows together ([`Schedule`]): the [`Span`] open for a
//!   host at `now`, the next one, the next one long enough for a step.
//! - `estimate`: step durations learned per (component, model) with a
//!   configured default ([`Estimates`]).
//! - `split`: [`fits`], and [`split_steps`], which divides pending steps into
//!   those that run in the window open now and those left for a later one.
//! - `preview`: each host's next spans and which planned steps fall in
//!   them ([`preview()`]), and the windows too short for a host's first
//!   step ([`too_short`]), for `fwfleet schedule` and `serve`'s start.
//! - `due`: the service's scheduler decisions: which hosts have a window
//!   open that was not acted on yet ([`due`]), when to look again, and the
//!   last instant a rollout may start a step ([`last_start`]).
//!
//! Architecture invariant: this module knows nothing about Redfish, the
//! store or the config file; the caller hands in validated specs, recorded
//! durations and `now`.

mod cron;
mod due;
mod duration;
mod estimate;
mod preview;
mod spans;
mod split;
mod window;

#[cfg(test)]
mod tests;

pub use cron::{Cron, CronError};
pub use due::{due, last_start, Due, DueGroup};
pub use duration::{fmt_duration, parse_duration, HumanDuration};
pub use estimate::{
    ComponentKey, Estimate, EstimateSettings, EstimateSource, Estimates, EstimatesError,
    EstimatesSpec,
};
pub use preview::{
    preview, too_short, EstimateView, FrozenMark, HostPreview, Placed, SpanPreview, Unscheduled,
    MAX_SPANS_PER_HOST,
};
pub use spans::{Schedule, Span, Spans, LOOKAHEAD, MAX_SPAN};
pub use split::{fits, split_steps, Deferred, PendingStep, Ready, Split, WaitReason};
pub use window::{
    resolve_local, AtText, LabelSelector, Labels, Occurrence, Recurrence, Starts, Window,
    WindowError, WindowSpec, MAX_DURATION,
};

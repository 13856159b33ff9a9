//! How long a step will take, learned from earlier steps.
//!
//! Flashing time depends on the component and on the server model (a BMC of
//! one vendor reboots in two minutes, another in twelve), so history is kept
//! per (component kind and identity, system model) and nothing is borrowed
//! across keys: a wrong estimate from a neighbour is worse than the default,
//! which the operator chose knowing it is a guess.
//!
//! The estimate is a high percentile (nearest rank) of the recorded
//! durations rather than the mean: one fast run must not convince us that
//! the next will fit into the last minutes of a window.

use super::duration::{parse_duration, HumanDuration};
use crate::vocab::Kind;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// Which component a step updates: its kind and its stable identity (the
/// same key the planner uses, e.g. `bmc` / `BMC`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ComponentKey {
    pub kind: Kind,
    pub identity: String,
}

impl ComponentKey {
    pub fn new(kind: Kind, identity: &str) -> ComponentKey {
        ComponentKey {
            kind,
            identity: identity.to_owned(),
        }
    }
}

impl fmt::Display for ComponentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.identity)
    }
}

/// How estimates are made, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EstimateSettings {
    /// Used when a (component, model) has no history yet.
    pub default: Duration,
    /// Nearest-rank percentile of the history, 1–100 (50 = median).
    pub percentile: u8,
}

impl Default for EstimateSettings {
    /// One hour covers a BIOS flash with its reboots on every model we have
    /// seen; p90 ignores one slow outlier in ten.
    fn default() -> Self {
        EstimateSettings {
            default: Duration::from_secs(3600),
            percentile: 90,
        }
    }
}

/// The `[estimates]` table as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EstimatesSpec {
    pub default: Option<String>,
    pub percentile: Option<u8>,
}

/// An `[estimates]` key that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("estimates.{field}: {message}")]
pub struct EstimatesError {
    pub field: &'static str,
    pub message: String,
}

impl EstimatesSpec {
    pub fn validate(&self) -> Result<EstimateSettings, EstimatesError> {
        let base = EstimateSettings::default();
        let default = match &self.default {
            None => base.default,
            Some(text) => match parse_duration(text) {
                Ok(d) if !d.is_zero() => d,
                Ok(_) => {
                    return Err(EstimatesError {
                        field: "default",
                        message: format!("`{text}` is zero, so every step would seem to fit\n  hint: write a generous guess, e.g. default = \"1h\""),
                    })
                }
                Err(m) => {
                    return Err(EstimatesError {
                        field: "default",
                        message: m,
                    })
                }
            },
        };
        let percentile = self.percentile.unwrap_or(base.percentile);
        if !(1..=100).contains(&percentile) {
            return Err(EstimatesError {
                field: "percentile",
                message: format!(
                    "{percentile} is not between 1 and 100\n  hint: write 50 for the median or 90 for a cautious estimate"
                ),
            });
        }
        Ok(EstimateSettings {
            default,
            percentile,
        })
    }
}

/// Where an estimate came from, for plans and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EstimateSource {
    /// A percentile of this many recorded steps.
    History { samples: usize },
    /// No history: the configured default.
    Default,
}

/// A step duration estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    pub duration: Duration,
    pub source: EstimateSource,
}

impl fmt::Display for Estimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.source {
            EstimateSource::History { samples } => write!(
                f,
                "{} (from {samples} earlier step(s))",
                HumanDuration(self.duration)
            ),
            EstimateSource::Default => write!(f, "{} (default)", HumanDuration(self.duration)),
        }
    }
}

/// Recorded step durations per (component, model), and estimates from them.
#[derive(Debug, Clone, Default)]
pub struct Estimates {
    settings: EstimateSettings,
    /// Each list kept sorted, so a percentile is one index.
    history: BTreeMap<(ComponentKey, String), Vec<Duration>>,
}

impl Estimates {
    pub fn new(settings: EstimateSettings) -> Estimates {
        Estimates {
            settings,
            history: BTreeMap::new(),
        }
    }

    pub fn settings(&self) -> EstimateSettings {
        self.settings
    }

    /// Record how long a finished step took.
    pub fn record(&mut self, component: &ComponentKey, model: &str, took: Duration) {
        let list = self
            .history
            .entry((component.clone(), model.to_owned()))
            .or_default();
        let at = list.partition_point(|d| *d <= took);
        list.insert(at, took);
    }

    /// The estimate for a step of `component` on a server of `model`.
    pub fn estimate(&self, component: &ComponentKey, model: &str) -> Estimate {
        let list = self
            .history
            .get(&(component.clone(), model.to_owned()))
            .filter(|l| !l.is_empty());
        match list {
            None => Estimate {
                duration: self.settings.default,
                source: EstimateSource::Default,
            },
            Some(list) => {
                let n = list.len();
                let rank = (usize::from(self.settings.percentile) * n).div_ceil(100);
                Estimate {
                    duration: list[rank.clamp(1, n) - 1],
                    source: EstimateSource::History { samples: n },
                }
            }
        }
    }
}

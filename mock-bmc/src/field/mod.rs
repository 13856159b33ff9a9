//! The `field` behaviour: each vendor's documented update sequence, where the
//! `ideal` behaviour (the default for now) writes the version before the task
//! completes and reboots quickly.
//!
//! Every flow here has a row in docs/MOCK-BMC.md ("Field behaviour") naming its
//! source. Module map:
//! - [`timing`]: the field durations and the one time scale.
//! - [`host`]: the host's power and POST (`PowerState`, `BootProgress`) and the
//!   host firmware a reset activates.
//! - [`jobs`]: the Dell job queue (`JobService/Jobs`, `Oem/Dell/Jobs`).
//! - [`flow`]: accepting an update and running it per persona: transfer,
//!   install, stage, BMC reboot, activation.

pub mod flow;
pub mod host;
pub mod jobs;
pub mod timing;

pub use timing::FieldTiming;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How a BMC runs its updates (`--behaviour`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Behaviour {
    /// The idealised flows: the version is written before the task completes,
    /// a BMC reboots after that, every message is standard.
    Ideal,
    /// Each vendor's documented sequence (docs/MOCK-BMC.md "Field behaviour"):
    /// the default, because a mock exists to meet the field before a datacenter.
    #[default]
    Field,
}

impl Behaviour {
    pub fn name(self) -> &'static str {
        match self {
            Behaviour::Ideal => "ideal",
            Behaviour::Field => "field",
        }
    }
}

impl fmt::Display for Behaviour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl FromStr for Behaviour {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "ideal" => Ok(Behaviour::Ideal),
            "field" => Ok(Behaviour::Field),
            _ => Err(format!("unknown behaviour '{s}'; expected field or ideal")),
        }
    }
}

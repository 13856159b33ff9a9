//! What a firmware component is ([`Kind`]) and which of its images an
//! inventory entry describes ([`Role`]). Spelled as in the inventory JSON
//! (docs/INVENTORY.md), a stable interface.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Component kinds, shared by inventory, repository and planner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Bios,
    Bmc,
    Cpld,
    Nic,
    Storage,
    Drive,
    Psu,
    Other,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Bios,
        Kind::Bmc,
        Kind::Cpld,
        Kind::Nic,
        Kind::Storage,
        Kind::Drive,
        Kind::Psu,
        Kind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Bios => "bios",
            Kind::Bmc => "bmc",
            Kind::Cpld => "cpld",
            Kind::Nic => "nic",
            Kind::Storage => "storage",
            Kind::Drive => "drive",
            Kind::Psu => "psu",
            Kind::Other => "other",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown component kind '{s}'; expected one of bios, bmc, cpld, nic, storage, drive, psu, other")
            })
    }
}

/// Which image of a component an inventory entry describes. Only `Active`
/// entries are ever compared with the repository: a backup or previous image
/// mistaken for the running one would hide an outdated server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Active,
    Backup,
    Staged,
    Previous,
    /// Uploaded to the BMC, not installed: a Dell `Available-…` package
    /// (iDRAC keeps it listed until it is deleted, also after it was
    /// installed). Not a staged update: no reset activates it, so it is
    /// neither compared nor planned; a Dell update held for a reset shows
    /// as a `Scheduled` job instead (FIELD-NOTES B5.30).
    Available,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Role::Active => "active",
            Role::Backup => "backup",
            Role::Staged => "staged",
            Role::Previous => "previous",
            Role::Available => "available",
        })
    }
}

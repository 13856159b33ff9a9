//! What a scan learns about each host. These types are the JSON output of
//! `fwfleet inventory --format json` (docs/INVENTORY.md), so field names are a
//! stable interface: add fields, never rename them.

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
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Role::Active => "active",
            Role::Backup => "backup",
            Role::Staged => "staged",
            Role::Previous => "previous",
        })
    }
}

/// One firmware or software component as fwfleet understands it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    /// The Redfish `Id` (may embed a version on Dell).
    pub id: String,
    pub name: String,
    pub kind: Kind,
    /// `None` when the BMC reports none (or junk like `N/A` is kept as is).
    pub version: Option<String>,
    pub updateable: bool,
    pub software_id: Option<String>,
    pub role: Role,
    /// A stable identity for matching across scans and updates: SoftwareId,
    /// else the Id/Name with any embedded version and state removed.
    pub identity: String,
    /// The inventory member's URI.
    pub uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lowest_supported_version: Option<String>,
    /// SoftwareInventory `VersionScheme` when the BMC says it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_scheme: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub write_protected: bool,
}

/// The server behind the BMC.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemInfo {
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bios_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_state: Option<String>,
}

/// The BMC itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BmcInfo {
    pub vendor: Option<String>,
    pub product: Option<String>,
    pub redfish_version: Option<String>,
    /// The named platform fwfleet classified it as (quirks apply by platform).
    pub platform: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware_version: Option<String>,
}

/// Everything one scan learnt about one host, or why it could not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostInventory {
    pub name: String,
    pub url: String,
    pub ok: bool,
    /// Why the scan of this host failed, naming the cause and what to do.
    pub error: Option<String>,
    pub system: SystemInfo,
    pub bmc: BmcInfo,
    pub components: Vec<Component>,
    /// Host software (SoftwareInventory), only with `--software`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub software: Vec<Component>,
    /// Wall time of this host's scan in milliseconds.
    pub duration_ms: u64,
}

impl HostInventory {
    /// A host not read yet: the shape [`crate::inventory::scan::read`] fills in.
    pub fn unread(name: &str, url: &str) -> HostInventory {
        HostInventory {
            name: name.to_string(),
            url: url.to_string(),
            ok: false,
            error: None,
            system: SystemInfo::default(),
            bmc: BmcInfo {
                platform: "unknown".into(),
                ..BmcInfo::default()
            },
            components: Vec::new(),
            software: Vec::new(),
            duration_ms: 0,
        }
    }
}

/// A whole scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// RFC 3339 start time of the scan.
    pub scanned_at: String,
    pub hosts: Vec<HostInventory>,
}

impl Inventory {
    pub fn failed(&self) -> usize {
        self.hosts.iter().filter(|h| !h.ok).count()
    }
}

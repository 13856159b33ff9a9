//! What a scan learns about each host. These types are the JSON output of
//! `fwfleet inventory --format json` (docs/INVENTORY.md), so field names are a
//! stable interface: add fields, never rename them.

use serde::{Deserialize, Serialize};

/// The vocabulary lives in [`crate::vocab`]; re-exported here because the
/// inventory JSON is where operators meet it.
pub use crate::vocab::{Kind, Role};

use super::pci::PciIds;

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
    /// The device's four PCI IDs (`VVVV:DDDD:SVSV:SDSD`), where the BMC
    /// reports them (Dell `Oem.Dell.DellSoftwareInventory`): what Dell's
    /// catalog keys a device by when its ComponentID is the placeholder `0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pci: Option<PciIds>,
    /// SoftwareInventory `ResetRequiredOnUpdate` (v1_12), where the BMC
    /// says it: the BMC's own hint of whether applying an update disturbs
    /// what runs this software, one input of a step's disruption class
    /// (`planner::disruption`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_required_on_update: Option<bool>,
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
    /// Dell's system type, `Oem.Dell.DellSystem.SystemID`, in decimal as
    /// Redfish reports it (1814; Dell catalogs write it `0716`): what a Dell
    /// catalog package is matched by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dell_system_id: Option<u32>,
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
    /// Set when the UpdateService has no `FirmwareInventory` (v1.2 era) and
    /// the firmware was read from `SoftwareInventory`; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy_layout: Option<LegacyLayout>,
}

/// A v1.2-era UpdateService (docs/INVENTORY.md): where its firmware is
/// listed, and the standard update actions it offers, the only ones the
/// plan sends its updates through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyLayout {
    /// The collection the components were read from
    /// (`/redfish/v1/UpdateService/SoftwareInventory`).
    pub inventory: String,
    /// `simple-update` (the SimpleUpdate action), `multipart`
    /// (`MultipartHttpPushUri`), `raw-push` (`HttpPushUri`), as offered.
    pub methods: Vec<crate::vocab::Method>,
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

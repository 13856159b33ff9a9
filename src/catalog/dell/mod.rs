//! Dell's update catalog (`Catalog.xml`, what Dell publishes as
//! `Catalog.xml.gz` and Dell Repository Manager writes beside a mirror) read
//! into typed values, and the rules that pick what a fleet needs from it.
//!
//! The format, as Dell writes it (one `SoftwareComponent` per Dell Update
//! Package; only the parts fwfleet reads):
//!
//! ```xml
//! <Manifest baseLocation="downloads.dell.com" releaseID="RHDC6" version="25.04.28" dateTime="…">
//!   <SoftwareComponent path="FOLDER11615172M/1/Express-Flash-PCIe-SSD_Firmware_5JJFF_WN64_2.0.0_A00.EXE"
//!       packageID="5JJFF" packageType="LW64" vendorVersion="2.0.0" dellVersion="A00"
//!       hashMD5="83ad…" size="18553112" releaseDate="May 27, 2024" rebootRequired="false">
//!     <Name><Display lang="en"><![CDATA[Dell Express Flash NVMe …]]></Display></Name>
//!     <ComponentType value="FRMW"><Display lang="en"><![CDATA[Firmware]]></Display></ComponentType>
//!     <SupportedDevices>
//!       <Device componentID="112167" embedded="0">
//!         <PCIInfo deviceID="0025" subDeviceID="223E" subVendorID="1028" vendorID="1E0F"/>
//!         <Display lang="en"><![CDATA[…]]></Display>
//!       </Device>
//!     </SupportedDevices>
//!     <SupportedSystems>
//!       <Brand key="3" prefix="PE"><Display lang="en"><![CDATA[PowerEdge]]></Display>
//!         <Model systemID="0627" systemIDType="BIOS"><Display lang="en"><![CDATA[R730xd]]></Display></Model>
//!       </Brand>
//!     </SupportedSystems>
//!     <Criticality value="1"><Display lang="en"><![CDATA[Recommended]]></Display></Criticality>
//!     <Cryptography><Hash algorithm="SHA256">…</Hash></Cryptography>   <!-- newer catalogs -->
//!   </SoftwareComponent>
//! </Manifest>
//! ```
//!
//! Sources: Dell's own catalog excerpts in dell/dellemc-openmanage-ansible
//! test data and issue threads, dell/firmware-tools (`systemID` is hex:
//! `int(systemId, 16)`; `PCIInfo` carries the four IDs), Dell Repository
//! Manager and OpenManage Enterprise guides (criticality Optional /
//! Recommended / Urgent, OME shows Urgent as Critical), and
//! dell/iDRAC-Redfish-Scripting issues #4 and #118: Redfish updates take
//! Windows DUPs (`.EXE`), never the Linux `.BIN` (only runnable from the OS).
//!
//! Submodules: `parse` (the streaming reader), `select` (pure: which
//! packages a fleet needs, and why the others are not imported).

mod parse;
mod select;

pub use parse::{read_catalog, read_catalog_file};
pub use select::{
    choose, package_accepted_by_idrac, system_matches, Choice, ChosenPackage, DeviceFacts,
    HostFacts, Refusal, SystemMatch,
};

use crate::inventory::pci::PciIds;
use crate::repository::Criticality;

/// A whole catalog: where its packages live and the packages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DellCatalog {
    /// `Manifest@baseLocation`: the host (and path) packages are relative
    /// to on Dell's side; a mirror keeps the same relative paths.
    pub base_location: Option<String>,
    pub release_id: Option<String>,
    pub version: Option<String>,
    pub date_time: Option<String>,
    pub components: Vec<SoftwareComponent>,
    /// Entries skipped because a required attribute was missing or
    /// unreadable, one line each naming the entry.
    pub problems: Vec<String>,
}

impl DellCatalog {
    /// How the catalog names itself, for the manifest's `source`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(v) = &self.version {
            parts.push(format!("version {v}"));
        }
        if let Some(r) = &self.release_id {
            parts.push(format!("release {r}"));
        }
        if let Some(d) = &self.date_time {
            parts.push(format!("of {d}"));
        }
        parts.join(", ")
    }
}

/// One Dell Update Package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SoftwareComponent {
    /// Relative to the catalog's base location (and a mirror's root).
    pub path: String,
    pub package_id: Option<String>,
    /// `LW64`/`LWXP` (Windows DUP), `LLXP`/`LN64` (Linux), …
    pub package_type: Option<String>,
    /// The version the device reports once the package is applied.
    pub vendor_version: String,
    pub dell_version: Option<String>,
    /// Lower-case hex.
    pub hash_md5: Option<String>,
    /// From `Cryptography/Hash@algorithm="SHA256"`, lower-case hex.
    pub sha256: Option<String>,
    pub size: Option<u64>,
    /// As Dell writes it (`May 27, 2024`).
    pub release_date: Option<String>,
    pub reboot_required: Option<bool>,
    /// `ComponentType@value`: `FRMW`, `BIOS`, `DRVR`, `APAC`, …
    pub component_type: Option<String>,
    pub criticality: Option<Criticality>,
    pub name: Option<String>,
    pub devices: Vec<Device>,
    pub systems: Vec<SupportedSystem>,
}

impl SoftwareComponent {
    /// The release date as `YYYY-MM-DD`, when Dell's `Month DD, YYYY` (or
    /// an ISO date) can be read.
    pub fn release_date_iso(&self) -> Option<String> {
        let raw = self.release_date.as_deref()?.trim();
        ["%B %d, %Y", "%B %d,%Y", "%Y-%m-%d"]
            .iter()
            .find_map(|f| chrono::NaiveDate::parse_from_str(raw, f).ok())
            .map(|d| d.format("%Y-%m-%d").to_string())
    }

    /// The file name part of `path`.
    pub fn file_name(&self) -> &str {
        self.path
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(self.path.as_str())
    }
}

/// `SupportedDevices/Device`: a device the package updates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Device {
    /// Dell's ComponentID (= the inventory's SoftwareId); `0` for devices
    /// keyed by PCI IDs.
    pub component_id: String,
    pub display: Option<String>,
    /// Only complete `PCIInfo` (all four IDs); partial ones are dropped.
    pub pci: Vec<PciIds>,
}

/// `SupportedSystems/Brand/Model`: a system the package is for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SupportedSystem {
    /// `systemID`, four hex digits as Dell writes them, upper case.
    pub system_id: String,
    /// The same as a number (Redfish reports it in decimal).
    pub system_id_value: u32,
    /// `Brand@prefix` (`PE`) and its display (`PowerEdge`).
    pub brand_prefix: Option<String>,
    pub brand: Option<String>,
    /// `Model/Display`: `R750`, `R730xd`.
    pub model: Option<String>,
}

//! Firmware and software inventory: one `SoftwareInventory` per image a BMC
//! reports (members of `UpdateService/FirmwareInventory` and
//! `UpdateService/SoftwareInventory`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::common::{Action, Collection, ODataId, Status};
use crate::de;

lenient_enum! {
    /// `SoftwareInventory.VersionScheme` (SoftwareInventory.v1_13_0, since v1_9):
    /// how to compare `Version` strings.
    pub enum VersionScheme {
        /// Semantic Versioning 2.0.0.
        SemVer => "SemVer",
        /// Dot-separated integers, `^\d+(\.\d+)*$`, leading zeros ignored.
        DotIntegerNotation => "DotIntegerNotation",
        /// Vendor-defined.
        Oem => "OEM",
    }
}

/// `SoftwareInventory.v1_13_0.SoftwareInventory` (DSP8010 2025.4).
///
/// Tolerance, from what BMCs send:
/// - `Status`, `Updateable` and `SoftwareId` are optional: older iLO 5 firmware
///   omits all three (NOTES §7.2), and `Name`/`@odata.type` can be missing.
/// - `Version` is free text and kept verbatim, including `N/A`, empty strings
///   and control characters; interpreting it is the version parser's job.
/// - `ReleaseDate` is a string, not a date: iDRAC sends `0000-00-00T00:00:00Z`
///   and `00:00:00Z`, which no date parser accepts.
/// - `RelatedItem: null` or `null` entries decode as empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SoftwareInventory {
    /// URI of this entry; the value for `SimpleUpdate` `Targets`.
    #[serde(rename = "@odata.id")]
    pub odata_id: String,
    /// `#SoftwareInventory.v1_x_y.SoftwareInventory`; optional (NOTES §7.6).
    #[serde(rename = "@odata.type", skip_serializing_if = "Option::is_none")]
    pub odata_type: Option<String>,
    /// Id: `BMC`, `Installed-159-1.2.4__BIOS.Setup.1-1` (Dell), `3` (iLO), hash (OpenBMC).
    pub id: String,
    /// Display name; optional (NOTES §7.6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description; iLO puts the role here (`SystemRomActive`, `SystemRomBackup`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Version string as reported (free format unless `VersionScheme` says otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `false` ⇒ report-only. Optional: missing on older iLO 5.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updateable: Option<bool>,
    /// Implementation label correlating with a component repository (v1_1).
    /// Optional: missing on older iLO 5.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub software_id: Option<String>,
    /// Oldest version this entry can be updated from or to (v1_1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lowest_supported_version: Option<String>,
    /// Devices this software applies to (v1_1).
    #[serde(
        default,
        deserialize_with = "de::vec_skip_nulls",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub related_item: Vec<ODataId>,
    /// UEFI device paths of the devices (v1_1).
    #[serde(
        default,
        deserialize_with = "de::vec_skip_nulls",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub uefi_device_paths: Vec<String>,
    /// Manufacturer of the image (v1_2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    /// Release date as sent (v1_2). Not parsed: vendors send invalid dates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_date: Option<String>,
    /// Status; optional (older iLO 5 omits it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// `true` ⇒ cannot be overwritten (v1_3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_protected: Option<bool>,
    /// Bootloader/kernel/microcode versions (v1_7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_versions: Option<AdditionalVersions>,
    /// How `Version` is formatted (v1_9).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_scheme: Option<VersionScheme>,
    /// `Production`, `Prototype` or `Other` (v1_10), kept as a string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_type: Option<String>,
    /// The image is running on the devices in `Links.ActiveTargets` (v1_12).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// The image is staged, ready to activate (v1_12).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staged: Option<bool>,
    /// Applying an update needs a reset of the target (v1_12).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset_required_on_update: Option<bool>,
    /// Size of the image in bytes (v1_13).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// URI to download the image from (v1_13).
    #[serde(rename = "ImageDataURI", skip_serializing_if = "Option::is_none")]
    pub image_data_uri: Option<String>,
    /// `ActiveTargets` / `StagedTargets` (v1_12).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<SoftwareInventoryLinks>,
    /// `#SoftwareInventory.Activate` (v1_12).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<SoftwareInventoryActions>,
    /// Vendor extensions, kept raw (`Oem.Hpe.DeviceContext`, `Oem.Dell.DellSoftwareInventory`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oem: Option<Value>,
}

impl_oem_at!(SoftwareInventory);

impl SoftwareInventory {
    /// `Oem.Dell.DellSoftwareInventory`, when the member carries one
    /// (iDRAC9; see [`DellSoftwareInventory`]).
    pub fn dell_software_inventory(&self) -> Option<DellSoftwareInventory> {
        let d = self.oem_at(&["Dell", "DellSoftwareInventory"])?;
        let field = |k: &str| crate::common::oem_at(Some(d), &[k]).and_then(text_or_number);
        Some(DellSoftwareInventory {
            component_id: field("ComponentID"),
            vendor_id: field("VendorID"),
            device_id: field("DeviceID"),
            sub_vendor_id: field("SubVendorID"),
            sub_device_id: field("SubDeviceID"),
        })
    }
}

/// The part of Dell's `Oem.Dell.DellSoftwareInventory` (`#DellSoftwareInventory`,
/// iDRAC9 4.x and later) fwfleet reads: the ComponentID Dell's catalog keys
/// Update Packages by, and the four PCI IDs it keys devices by when the
/// ComponentID is the placeholder `0`.
///
/// Every field is optional and kept as text: iDRAC sends `null` for
/// non-PCI devices (BIOS, iDRAC, PSUs), `""` on some firmware, upper-case
/// hex (`14E4`) on most and `0x`-prefixed lower case on others
/// (dellemc-openmanage-ansible-modules `roles/idrac_gather_facts/README.md`
/// firmware sample; buildio/idrac `spec/lib/firmware_catalog_component_id_spec.rb`).
/// A number where text is expected is read as its decimal text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DellSoftwareInventory {
    pub component_id: Option<String>,
    pub vendor_id: Option<String>,
    pub device_id: Option<String>,
    pub sub_vendor_id: Option<String>,
    pub sub_device_id: Option<String>,
}

/// A JSON string (trimmed, empty → `None`) or number as text.
pub(crate) fn text_or_number(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `SoftwareInventoryCollection` (DSP8010 2025.4) with member links, as a plain GET returns it.
pub type SoftwareInventoryCollection = Collection<ODataId>;

/// `SoftwareInventory.v1_13_0.AdditionalVersions` (v1_7).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdditionalVersions {
    /// Bootloader version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bootloader: Option<String>,
    /// Kernel version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
    /// Microcode version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub microcode: Option<String>,
    /// Operating system distribution (v1_8).
    #[serde(rename = "OSDistribution", skip_serializing_if = "Option::is_none")]
    pub os_distribution: Option<String>,
    /// Factory configuration version (v1_11).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factory_configuration: Option<String>,
    /// Vendor extensions, kept raw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oem: Option<Value>,
}

/// `SoftwareInventory.v1_13_0.Links` (v1_12).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SoftwareInventoryLinks {
    /// Devices currently running this image.
    #[serde(
        default,
        deserialize_with = "de::vec_skip_nulls",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub active_targets: Vec<ODataId>,
    /// Devices this image is staged on.
    #[serde(
        default,
        deserialize_with = "de::vec_skip_nulls",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub staged_targets: Vec<ODataId>,
}

/// `SoftwareInventory.v1_13_0.Actions`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SoftwareInventoryActions {
    /// `#SoftwareInventory.Activate` (v1_12).
    #[serde(
        rename = "#SoftwareInventory.Activate",
        skip_serializing_if = "Option::is_none"
    )]
    pub activate: Option<Action>,
    /// Vendor actions, kept raw.
    #[serde(rename = "Oem", skip_serializing_if = "Option::is_none")]
    pub oem: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::{Health, State};
    use crate::test_support::check;

    #[test]
    fn dell_bios_with_invalid_release_date() {
        let inv: SoftwareInventory = check(
            r##"{
                "@odata.context": "/redfish/v1/$metadata#SoftwareInventory.SoftwareInventory",
                "@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Installed-159-1.2.4__BIOS.Setup.1-1",
                "@odata.type": "#SoftwareInventory.v1_5_0.SoftwareInventory",
                "Description": "Represents Firmware Inventory",
                "Id": "Installed-159-1.2.4__BIOS.Setup.1-1",
                "Manufacturer": null,
                "Name": "BIOS",
                "Oem": {"Dell": {"@odata.type": "#DellOem.v1_3_0.DellOemResources", "DellSoftwareInventory": {"ComponentID": "159", "ComponentType": "BIOS", "IsEntity": true}}},
                "ReleaseDate": "0000-00-00T00:00:00Z",
                "SoftwareId": "159",
                "Status": {"Health": "OK", "State": "Enabled"},
                "Updateable": true,
                "Version": "1.2.4"
            }"##,
        );
        assert_eq!(inv.release_date.as_deref(), Some("0000-00-00T00:00:00Z"));
        assert_eq!(inv.manufacturer, None);
        assert_eq!(inv.software_id.as_deref(), Some("159"));
        assert_eq!(
            inv.oem_at(&["Dell", "DellSoftwareInventory", "ComponentType"])
                .and_then(Value::as_str),
            Some("BIOS")
        );
    }

    #[test]
    fn dell_software_inventory_component_id_and_pci_ids() {
        // iDRAC9 6.x, as dellemc-openmanage-ansible-modules' idrac_gather_facts
        // documents it (with the @odata keys it strips put back).
        let inv: SoftwareInventory = check(
            r##"{
                "@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Previous-108255-22.00.6__NIC.Embedded.2-1-1",
                "Id": "Previous-108255-22.00.6__NIC.Embedded.2-1-1",
                "Name": "Broadcom Gigabit Ethernet BCM5720 - F4:02:70:B9:5A:29",
                "Oem": {"Dell": {"@odata.type": "#DellOem.v1_3_0.DellOemResources", "DellSoftwareInventory": {
                    "@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Previous-108255-22.00.6__NIC.Embedded.2-1-1/Oem/Dell/DellSoftwareInventory/DCIM:PREVIOUS_0x23_701__NIC.Embedded.2-1-1",
                    "@odata.type": "#DellSoftwareInventory.v1_1_0.DellSoftwareInventory",
                    "ComponentID": "108255", "ComponentType": "FRMW", "DeviceID": "165F",
                    "IdentityInfoValue": ["DCIM:firmware:14E4:165F:1028:08FF"], "IdentityInfoValue@odata.count": 1,
                    "SubDeviceID": "08FF", "SubVendorID": "1028", "VendorID": "14E4"}}},
                "SoftwareId": "108255",
                "Version": "22.00.6"
            }"##,
        );
        let d = inv.dell_software_inventory().unwrap();
        assert_eq!(d.component_id.as_deref(), Some("108255"));
        assert_eq!(
            (
                d.vendor_id.as_deref(),
                d.device_id.as_deref(),
                d.sub_vendor_id.as_deref(),
                d.sub_device_id.as_deref()
            ),
            (Some("14E4"), Some("165F"), Some("1028"), Some("08FF"))
        );
        let bios: SoftwareInventory = check(
            r##"{"@odata.id": "/x/Installed-159-1.7.5__BIOS.Setup.1-1", "Id": "Installed-159-1.7.5__BIOS.Setup.1-1",
                 "Oem": {"Dell": {"DellSoftwareInventory": {"ComponentID": 159, "DeviceID": null, "SubDeviceID": "", "VendorID": null}}}}"##,
        );
        let d = bios.dell_software_inventory().unwrap();
        assert_eq!(d.component_id.as_deref(), Some("159"));
        assert_eq!(
            (d.vendor_id, d.device_id, d.sub_device_id),
            (None, None, None)
        );
        let plain: SoftwareInventory = check(r##"{"@odata.id": "/x/BIOS", "Id": "BIOS"}"##);
        assert_eq!(plain.dell_software_inventory(), None);
    }

    #[test]
    fn dell_nic_with_time_only_release_date() {
        let inv: SoftwareInventory = check(
            r##"{
                "@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Installed-0-24.35.20.00",
                "Id": "Installed-0-24.35.20.00",
                "Name": "Broadcom Adv. Dual 25Gb Ethernet - 00:0A:F7:00:00:01",
                "ReleaseDate": "00:00:00Z",
                "SoftwareId": "0",
                "Updateable": true,
                "Version": "24.35.20.00"
            }"##,
        );
        assert_eq!(inv.release_date.as_deref(), Some("00:00:00Z"));
        assert_eq!(inv.odata_type, None);
    }

    #[test]
    fn ilo5_entry_without_status_updateable_or_software_id() {
        let inv: SoftwareInventory = check(
            r##"{
                "@odata.context": "/redfish/v1/$metadata#SoftwareInventory.SoftwareInventory",
                "@odata.etag": "W/\"F2C4A1B0\"",
                "@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/3/",
                "@odata.type": "#SoftwareInventory.v1_0_0.SoftwareInventory",
                "Description": "SystemRomActive",
                "Id": "3",
                "Name": "System ROM",
                "Oem": {"Hpe": {
                    "@odata.type": "#HpeiLOSoftwareInventory.v2_0_0.HpeiLOSoftwareInventory",
                    "DeviceClass": "aa8d9a47-1f1d-4b1f-8a3c-000000000000",
                    "DeviceContext": "System Board",
                    "Targets": ["00000000-0000-0000-0000-000000000204", "00000000-0000-0000-0000-000001000408"]
                }},
                "Version": "A43 v2.52 (10/29/2021)"
            }"##,
        );
        assert_eq!(inv.status, None);
        assert_eq!(inv.updateable, None);
        assert_eq!(inv.software_id, None);
        assert_eq!(inv.description.as_deref(), Some("SystemRomActive"));
        assert_eq!(inv.version.as_deref(), Some("A43 v2.52 (10/29/2021)"));
    }

    #[test]
    fn ilo5_nic_with_na_version_and_control_characters() {
        let inv: SoftwareInventory = check(
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/17/", "Id": "17", "Name": "Embedded Video Controller", "Version": "N/A"}"##,
        );
        assert_eq!(inv.version.as_deref(), Some("N/A"));
        let inv: SoftwareInventory = check(
            r##"{"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/21/", "Id": "21", "Name": "Power Supply 2", "Version": "0\u0014"}"##,
        );
        assert_eq!(inv.version.as_deref(), Some("0\u{14}"));
    }

    #[test]
    fn openbmc_bmc_image_with_related_item() {
        let inv: SoftwareInventory = check(
            r##"{
                "@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/5d0869c4",
                "@odata.type": "#SoftwareInventory.v1_1_0.SoftwareInventory",
                "Description": "BMC image",
                "Id": "5d0869c4",
                "Name": "Software Inventory",
                "RelatedItem": [{"@odata.id": "/redfish/v1/Managers/bmc"}],
                "RelatedItem@odata.count": 1,
                "Status": {"Health": "OK", "HealthRollup": "OK", "State": "Enabled"},
                "Updateable": true,
                "Version": "2.15.0-dev-686-g100c36de90"
            }"##,
        );
        assert_eq!(inv.related_item, [ODataId::new("/redfish/v1/Managers/bmc")]);
        let status = inv.status.unwrap();
        assert_eq!(status.state, Some(State::Enabled));
        assert_eq!(status.health, Some(Health::Ok));
    }

    #[test]
    fn v1_13_entry_with_every_modelled_field() {
        let inv: SoftwareInventory = check(
            r##"{
                "@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/BIOS",
                "@odata.type": "#SoftwareInventory.v1_13_0.SoftwareInventory",
                "Id": "BIOS",
                "Name": "Contoso BIOS Firmware",
                "Version": "P79 v1.45",
                "VersionScheme": "OEM",
                "ReleaseType": "Production",
                "Updateable": true,
                "WriteProtected": false,
                "Active": true,
                "Staged": false,
                "ResetRequiredOnUpdate": true,
                "SizeBytes": 33554432,
                "ImageDataURI": "/images/bios.bin",
                "LowestSupportedVersion": "P79 v1.10",
                "Manufacturer": "Contoso",
                "ReleaseDate": "2017-12-06T12:00:00Z",
                "AdditionalVersions": {"Microcode": "0x2b000603"},
                "Links": {"ActiveTargets": [{"@odata.id": "/redfish/v1/Systems/1"}], "StagedTargets": null},
                "Actions": {"#SoftwareInventory.Activate": {"target": "/redfish/v1/UpdateService/FirmwareInventory/BIOS/Actions/SoftwareInventory.Activate"}}
            }"##,
        );
        assert_eq!(inv.version_scheme, Some(VersionScheme::Oem));
        assert_eq!(inv.active, Some(true));
        assert_eq!(inv.staged, Some(false));
        assert_eq!(inv.reset_required_on_update, Some(true));
        assert_eq!(inv.size_bytes, Some(33_554_432));
        let links = inv.links.unwrap();
        assert_eq!(links.active_targets.len(), 1);
        assert!(links.staged_targets.is_empty());
        assert!(inv.actions.unwrap().activate.unwrap().target.is_some());
        assert_eq!(
            inv.additional_versions.unwrap().microcode.as_deref(),
            Some("0x2b000603")
        );
    }

    #[test]
    fn expanded_collection_decodes_members() {
        let c: Collection<SoftwareInventory> = check(
            r##"{
                "@odata.id": "/redfish/v1/UpdateService/FirmwareInventory",
                "Members": [
                    {"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/BMC", "Id": "BMC", "Version": "1.45"},
                    {"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/BIOS", "Id": "BIOS", "Version": "P79 v1.45"}
                ],
                "Members@odata.count": 2
            }"##,
        );
        assert_eq!(c.members[1].id, "BIOS");
    }
}

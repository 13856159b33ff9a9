//! `Manager`: the BMC itself (firmware version, model) and its reset action,
//! needed after BMC firmware updates that apply on reset.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::common::{ODataId, PowerState, ResetAction, Status};
use crate::de;

lenient_enum! {
    /// `Manager.ManagerType` (Manager.v1_24_0).
    pub enum ManagerType {
        /// A controller that manages a system.
        ManagementController => "ManagementController",
        /// Manages an enclosure.
        EnclosureManager => "EnclosureManager",
        /// A baseboard management controller.
        Bmc => "BMC",
        /// Manages a rack.
        RackManager => "RackManager",
        /// An auxiliary controller.
        AuxiliaryController => "AuxiliaryController",
        /// A software service.
        Service => "Service",
        /// Manages a fabric.
        FabricManager => "FabricManager",
    }
}

/// `Manager.v1_24_0.Manager` (DSP8010 2025.4), `/redfish/v1/Managers/<id>`;
/// only the properties fwfleet reads.
///
/// `FirmwareVersion` is optional because some BMCs report the version only in
/// FirmwareInventory; `Model` and `Manufacturer` are often absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Manager {
    /// URI of the manager (`/redfish/v1/Managers/iDRAC.Embedded.1`, `.../bmc`, `.../1`).
    #[serde(rename = "@odata.id")]
    pub odata_id: String,
    /// `#Manager.v1_x_y.Manager`; optional (NOTES §7.6).
    #[serde(rename = "@odata.type", skip_serializing_if = "Option::is_none")]
    pub odata_type: Option<String>,
    /// Id.
    pub id: String,
    /// Display name; optional (NOTES §7.6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `BMC`, `ManagementController`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager_type: Option<ManagerType>,
    /// Running firmware version as reported (`7.00.00.00`, `2.15.0-dev-686-g100c36de90`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub firmware_version: Option<String>,
    /// Model (`14G Monolithic`, `iLO 5`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Manufacturer (v1_7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    /// Manager UUID, kept as sent.
    #[serde(rename = "UUID", skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// UUID of the Redfish service this manager provides.
    #[serde(
        rename = "ServiceEntryPointUUID",
        skip_serializing_if = "Option::is_none"
    )]
    pub service_entry_point_uuid: Option<String>,
    /// Current date and time of the manager, kept as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_time: Option<String>,
    /// Power state (v1_2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power_state: Option<PowerState>,
    /// Status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Links to the firmware images of this manager.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<ManagerLinks>,
    /// `#Manager.Reset`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<ManagerActions>,
    /// Vendor extensions, kept raw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oem: Option<Value>,
}

impl_oem_at!(Manager);

impl Manager {
    /// `Actions["#Manager.Reset"]`, if advertised.
    pub fn reset_action(&self) -> Option<&ResetAction> {
        self.actions.as_ref()?.reset.as_ref()
    }
}

/// `Manager.v1_24_0.Links`, the parts that tie a manager to inventory entries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagerLinks {
    /// The SoftwareInventory entry of the running image (v1_6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_software_image: Option<ODataId>,
    /// All SoftwareInventory entries for this manager (v1_6).
    #[serde(
        default,
        deserialize_with = "de::vec_skip_nulls",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub software_images: Vec<ODataId>,
    /// Systems this manager manages.
    #[serde(
        default,
        deserialize_with = "de::vec_skip_nulls",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub manager_for_servers: Vec<ODataId>,
    /// Vendor extensions, kept raw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oem: Option<Value>,
}

/// `Manager.v1_24_0.Actions`; other actions are ignored, OEM ones kept raw.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ManagerActions {
    /// `#Manager.Reset` with its allowed `ResetType` values.
    #[serde(rename = "#Manager.Reset", skip_serializing_if = "Option::is_none")]
    pub reset: Option<ResetAction>,
    /// Vendor actions, kept raw.
    #[serde(rename = "Oem", skip_serializing_if = "Option::is_none")]
    pub oem: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::ResetType;
    use crate::test_support::check;

    #[test]
    fn dell_idrac_manager() {
        let m: Manager = check(
            r##"{
                "@odata.id": "/redfish/v1/Managers/iDRAC.Embedded.1",
                "@odata.type": "#Manager.v1_17_0.Manager",
                "Actions": {
                    "#Manager.Reset": {
                        "ResetType@Redfish.AllowableValues": ["GracefulRestart"],
                        "target": "/redfish/v1/Managers/iDRAC.Embedded.1/Actions/Manager.Reset"
                    },
                    "#Manager.ResetToDefaults": {
                        "ResetType@Redfish.AllowableValues": ["ResetAll", "PreserveNetworkAndUsers"],
                        "target": "/redfish/v1/Managers/iDRAC.Embedded.1/Actions/Manager.ResetToDefaults"
                    },
                    "Oem": {"#OemManager.v1_4_0.OemManager#OemManager.ExportSystemConfiguration": {"target": "/redfish/v1/Managers/iDRAC.Embedded.1/Actions/Oem/EID_674_Manager.ExportSystemConfiguration"}}
                },
                "DateTime": "2025-03-04T10:12:31-06:00",
                "FirmwareVersion": "7.00.00.00",
                "Id": "iDRAC.Embedded.1",
                "Links": {
                    "ActiveSoftwareImage": {"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Installed-25227-7.00.00.00__iDRAC.Embedded.1-1"},
                    "SoftwareImages": [
                        {"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Installed-25227-7.00.00.00__iDRAC.Embedded.1-1"},
                        {"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/Previous-25227-6.10.30.00__iDRAC.Embedded.1-1"}
                    ],
                    "SoftwareImages@odata.count": 2,
                    "ManagerForServers": [{"@odata.id": "/redfish/v1/Systems/System.Embedded.1"}]
                },
                "ManagerType": "BMC",
                "Manufacturer": "Dell Inc.",
                "Model": "15G Monolithic",
                "Name": "Manager",
                "PowerState": "On",
                "Status": {"Health": "OK", "State": "Enabled"},
                "UUID": "3256444f-c0c7-3080-5410-00d04c4c4544"
            }"##,
        );
        assert_eq!(m.firmware_version.as_deref(), Some("7.00.00.00"));
        assert_eq!(m.model.as_deref(), Some("15G Monolithic"));
        assert_eq!(m.manager_type, Some(ManagerType::Bmc));
        assert_eq!(
            m.reset_action().unwrap().reset_type_allowable_values,
            [ResetType::GracefulRestart]
        );
        let links = m.links.unwrap();
        assert_eq!(links.software_images.len(), 2);
        assert!(links.active_software_image.is_some());
    }

    #[test]
    fn openbmc_manager_without_model() {
        let m: Manager = check(
            r##"{
                "@odata.id": "/redfish/v1/Managers/bmc",
                "@odata.type": "#Manager.v1_14_0.Manager",
                "Actions": {"#Manager.Reset": {"@Redfish.ActionInfo": "/redfish/v1/Managers/bmc/ResetActionInfo", "target": "/redfish/v1/Managers/bmc/Actions/Manager.Reset"}},
                "FirmwareVersion": "2.15.0-dev-686-g100c36de90",
                "Id": "bmc",
                "ManagerType": "BMC",
                "Name": "OpenBmc Manager",
                "PowerState": "On",
                "UUID": "40575e98-90d7-4c10-9eb5-8d8a7156c9b9"
            }"##,
        );
        assert_eq!(m.model, None);
        let reset = m.reset_action().unwrap();
        assert!(reset.reset_type_allowable_values.is_empty());
        assert_eq!(
            reset.action_info.as_deref(),
            Some("/redfish/v1/Managers/bmc/ResetActionInfo")
        );
    }
}

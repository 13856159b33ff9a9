//! `ComputerSystem`: identity of the host (model, serial, BIOS version) and the
//! reset action that applies `OnReset` BIOS updates.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::common::{ODataId, PowerState, ResetAction, Status};

/// `ComputerSystem.v1_27_0.ComputerSystem` (DSP8010 2025.4),
/// `/redfish/v1/Systems/<id>`; only the properties fwfleet reads.
///
/// Identity properties are optional: virtual and white-box systems leave
/// `SerialNumber`/`Model` out or `null`, and `UUID` is kept as a string because
/// not every BMC sends a canonical one. Dell's invalid `LastResetTime`
/// (`0000-00-00T00:00:00+00:00`) is simply not modelled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ComputerSystem {
    /// URI of the system.
    #[serde(rename = "@odata.id")]
    pub odata_id: String,
    /// `#ComputerSystem.v1_x_y.ComputerSystem`; optional (NOTES §7.6).
    #[serde(rename = "@odata.type", skip_serializing_if = "Option::is_none")]
    pub odata_type: Option<String>,
    /// Id (`System.Embedded.1`, `1`, `system`).
    pub id: String,
    /// Display name; optional (NOTES §7.6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Manufacturer (`Dell Inc.`, `HPE`, `Supermicro`, `Lenovo`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    /// Product model (`PowerEdge R650`, `ProLiant DL325 Gen10 Plus`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Stock-keeping unit; Dell puts the service tag here.
    #[serde(rename = "SKU", skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// Serial number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    /// Part number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part_number: Option<String>,
    /// System UUID, kept as sent.
    #[serde(rename = "UUID", skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// Host name of the operating system, if the BMC knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_name: Option<String>,
    /// Running BIOS version as reported (free text, e.g. `P79 v1.45 (12/06/2017)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bios_version: Option<String>,
    /// Current power state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power_state: Option<PowerState>,
    /// Status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// The `Bios` resource; Supermicro uses its URI as a BIOS update target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bios: Option<ODataId>,
    /// `#ComputerSystem.Reset`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<ComputerSystemActions>,
    /// Vendor extensions, kept raw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oem: Option<Value>,
}

impl_oem_at!(ComputerSystem);

impl ComputerSystem {
    /// `Actions["#ComputerSystem.Reset"]`, if advertised.
    pub fn reset_action(&self) -> Option<&ResetAction> {
        self.actions.as_ref()?.reset.as_ref()
    }

    /// `Oem.Dell.DellSystem.SystemID`: Dell's system type, a JSON number in
    /// decimal (1814 for a PowerEdge R640, which Dell's catalogs write as
    /// `systemID="0716"`), embedded in the ComputerSystem since iDRAC9 4.x
    /// (buildio/idrac `spec/fixtures/PowerEdge-R640/…/System.Embedded.1/index.json`;
    /// dellemc-openmanage-ansible-modules `roles/idrac_gather_facts/tasks/get_system_info.yml`
    /// reads `Oem.Dell.DellSystem` from the same resource). A decimal string
    /// is accepted too; anything else, or a value past 16 bits (catalog IDs
    /// are four hex digits), is `None`.
    pub fn dell_system_id(&self) -> Option<u32> {
        let v = self.oem_at(&["Dell", "DellSystem", "SystemID"])?;
        let n = match v {
            Value::Number(n) => n.as_u64()?,
            Value::String(s) => s.trim().parse::<u64>().ok()?,
            _ => return None,
        };
        u32::try_from(n).ok().filter(|n| *n <= 0xFFFF)
    }
}

/// `ComputerSystem.v1_27_0.Actions`; other actions are ignored, OEM ones kept raw.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ComputerSystemActions {
    /// `#ComputerSystem.Reset` with its allowed `ResetType` values.
    #[serde(
        rename = "#ComputerSystem.Reset",
        skip_serializing_if = "Option::is_none"
    )]
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
    fn dell_system() {
        let sys: ComputerSystem = check(
            r##"{
                "@odata.id": "/redfish/v1/Systems/System.Embedded.1",
                "@odata.type": "#ComputerSystem.v1_20_0.ComputerSystem",
                "Actions": {
                    "#ComputerSystem.Reset": {
                        "target": "/redfish/v1/Systems/System.Embedded.1/Actions/ComputerSystem.Reset",
                        "ResetType@Redfish.AllowableValues": ["On", "ForceOff", "ForceRestart", "GracefulRestart", "GracefulShutdown", "PushPowerButton", "Nmi", "PowerCycle"]
                    }
                },
                "BiosVersion": "2.20.1",
                "Bios": {"@odata.id": "/redfish/v1/Systems/System.Embedded.1/Bios"},
                "HostName": "",
                "Id": "System.Embedded.1",
                "LastResetTime": "0000-00-00T00:00:00+00:00",
                "Manufacturer": "Dell Inc.",
                "Model": "PowerEdge R650",
                "Name": "System",
                "PartNumber": "0N2YPRA02",
                "PowerState": "On",
                "SKU": "7XYZ123",
                "SerialNumber": "CNFCP0012A00AB",
                "Status": {"Health": "OK", "HealthRollup": "OK", "State": "Enabled"},
                "UUID": "4c4c4544-0058-3810-8032-b2c04f525032"
            }"##,
        );
        assert_eq!(sys.model.as_deref(), Some("PowerEdge R650"));
        assert_eq!(sys.bios_version.as_deref(), Some("2.20.1"));
        assert_eq!(sys.power_state, Some(PowerState::On));
        let reset = sys.reset_action().unwrap();
        assert!(reset
            .reset_type_allowable_values
            .contains(&ResetType::GracefulRestart));
        assert_eq!(reset.reset_type_allowable_values.len(), 8);
    }

    #[test]
    fn dell_system_id_from_the_embedded_dell_system() {
        let sys: ComputerSystem = check(
            r##"{"@odata.id": "/redfish/v1/Systems/System.Embedded.1", "Id": "System.Embedded.1", "Model": "PowerEdge R640",
                 "Oem": {"Dell": {"@odata.type": "#DellOem.v1_3_0.DellOemResources", "DellSystem": {
                   "@odata.context": "/redfish/v1/$metadata#DellSystem.DellSystem",
                   "@odata.id": "/redfish/v1/Systems/System.Embedded.1/Oem/Dell/DellSystem/System.Embedded.1",
                   "@odata.type": "#DellSystem.v1_4_0.DellSystem",
                   "SystemGeneration": "14G Monolithic", "SystemID": 1814}}}}"##,
        );
        assert_eq!(sys.dell_system_id(), Some(1814));
        let as_text: ComputerSystem = check(
            r##"{"@odata.id": "/s", "Id": "s", "Oem": {"Dell": {"DellSystem": {"SystemID": " 2322 "}}}}"##,
        );
        assert_eq!(as_text.dell_system_id(), Some(2322));
        for bad in [r#""R640""#, "null", "-1", "70000", "1.5"] {
            let s: ComputerSystem = check(&format!(
                r##"{{"@odata.id": "/s", "Id": "s", "Oem": {{"Dell": {{"DellSystem": {{"SystemID": {bad}}}}}}}}}"##
            ));
            assert_eq!(s.dell_system_id(), None, "{bad}");
        }
    }

    #[test]
    fn minimal_system_with_nulls() {
        let sys: ComputerSystem = check(
            r##"{"@odata.id": "/redfish/v1/Systems/1", "Id": "1", "SerialNumber": null, "Model": null, "PowerState": "PoweringOn", "Actions": null}"##,
        );
        assert_eq!(sys.serial_number, None);
        assert_eq!(sys.power_state, Some(PowerState::PoweringOn));
        assert_eq!(sys.reset_action(), None);
    }
}

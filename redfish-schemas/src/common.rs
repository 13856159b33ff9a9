//! Types shared by every resource: links, `Status`, collections, actions,
//! apply-time annotations, common enums, and the OEM accessor.
//!
//! Sources: `Resource.v1_23_0` (Status, Health, State, PowerState, ResetType),
//! `Settings.v1_4_0` (OperationApplyTimeSupport), the OData/Redfish annotations
//! (`@odata.id`, `@Redfish.ActionInfo`, `@Redfish.AllowableValues`,
//! `Members@odata.count`), all from DSP8010 2025.4.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::de;

/// A link to another resource: `{"@odata.id": "/redfish/v1/..."}`
/// (OData `idRef`, used by every Redfish schema).
///
/// The target is required: a link without one is unusable, and every service we
/// know sends it. A link that is `null` as a whole decodes as `None` wherever the
/// field is an `Option<ODataId>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ODataId {
    /// URI of the target, usually an absolute path (`/redfish/v1/Managers/bmc`).
    #[serde(rename = "@odata.id")]
    pub odata_id: String,
}

impl ODataId {
    /// A link to `uri`.
    pub fn new(uri: impl Into<String>) -> Self {
        Self {
            odata_id: uri.into(),
        }
    }

    /// The target URI.
    pub fn as_str(&self) -> &str {
        &self.odata_id
    }
}

impl fmt::Display for ODataId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.odata_id)
    }
}

impl From<&str> for ODataId {
    fn from(uri: &str) -> Self {
        Self::new(uri)
    }
}

impl From<String> for ODataId {
    fn from(uri: String) -> Self {
        Self::new(uri)
    }
}

lenient_enum! {
    /// `Resource.Health` (Resource.v1_23_0): `OK`, `Warning`, `Critical`.
    /// Also the type of `Task.TaskStatus` and `Message.MessageSeverity`; the
    /// deprecated `Message.Severity` string uses the same words (Supermicro
    /// writes `Ok`, which matches case-insensitively).
    pub enum Health {
        /// Normal.
        Ok => "OK",
        /// A condition requires attention.
        Warning => "Warning",
        /// A critical condition requires immediate attention.
        Critical => "Critical",
    }
}

lenient_enum! {
    /// `Resource.State` (Resource.v1_23_0): the known state of a resource.
    pub enum State {
        /// Enabled.
        Enabled => "Enabled",
        /// Disabled.
        Disabled => "Disabled",
        /// Enabled but awaiting an external action to activate it.
        StandbyOffline => "StandbyOffline",
        /// Part of a redundancy set, awaiting failover.
        StandbySpare => "StandbySpare",
        /// Undergoing testing or commissioning.
        InTest => "InTest",
        /// Starting.
        Starting => "Starting",
        /// Not present or detected.
        Absent => "Absent",
        /// Present but cannot be used.
        UnavailableOffline => "UnavailableOffline",
        /// Will not process commands but queues them.
        Deferring => "Deferring",
        /// Processes commands but queues new requests.
        Quiesced => "Quiesced",
        /// Being updated.
        Updating => "Updating",
        /// Within acceptable range of operation.
        Qualified => "Qualified",
        /// Enabled but operating in a degraded mode.
        Degraded => "Degraded",
    }
}

lenient_enum! {
    /// `Resource.PowerState` (Resource.v1_23_0).
    pub enum PowerState {
        /// Powered on.
        On => "On",
        /// Powered off (standby power may remain).
        Off => "Off",
        /// Transitioning to on.
        PoweringOn => "PoweringOn",
        /// Transitioning to off.
        PoweringOff => "PoweringOff",
        /// Paused.
        Paused => "Paused",
    }
}

lenient_enum! {
    /// `Resource.ResetType` (Resource.v1_23_0): the `ResetType` parameter of
    /// `#ComputerSystem.Reset` and `#Manager.Reset`.
    pub enum ResetType {
        /// Turn on.
        On => "On",
        /// Turn off immediately (non-graceful).
        ForceOff => "ForceOff",
        /// Shut down gracefully and power off.
        GracefulShutdown => "GracefulShutdown",
        /// Shut down gracefully and restart.
        GracefulRestart => "GracefulRestart",
        /// Shut down immediately and restart.
        ForceRestart => "ForceRestart",
        /// Generate a diagnostic interrupt.
        Nmi => "Nmi",
        /// Turn on immediately.
        ForceOn => "ForceOn",
        /// Simulate pressing the power button.
        PushPowerButton => "PushPowerButton",
        /// Power cycle.
        PowerCycle => "PowerCycle",
        /// Write state to disk and power off.
        Suspend => "Suspend",
        /// Pause execution.
        Pause => "Pause",
        /// Resume from pause.
        Resume => "Resume",
        /// Full power cycle including auxiliary power.
        FullPowerCycle => "FullPowerCycle",
    }
}

lenient_enum! {
    /// When a service applies an operation: `Settings.OperationApplyTime`
    /// (Settings.v1_4_0, the `@Redfish.OperationApplyTime` annotation) and
    /// `UpdateService.ApplyTime` (UpdateService.v1_17_0), which share values.
    pub enum ApplyTime {
        /// Apply now; may reset the host or the manager.
        Immediate => "Immediate",
        /// Apply on the next reset of the system or service.
        OnReset => "OnReset",
        /// Apply at the start of the maintenance window.
        AtMaintenanceWindowStart => "AtMaintenanceWindowStart",
        /// Apply on a reset that happens inside the maintenance window.
        InMaintenanceWindowOnReset => "InMaintenanceWindowOnReset",
        /// Wait for `#UpdateService.StartUpdate` (Settings v1_3, UpdateService v1_11).
        OnStartUpdateRequest => "OnStartUpdateRequest",
        /// Apply when the target device resets (Settings v1_4, UpdateService v1_14).
        OnTargetReset => "OnTargetReset",
    }
}

/// `Resource.Status` (Resource.v1_23_0).
///
/// Every property is optional: older iLO 5 inventory omits `Status` entirely,
/// others send only `State` or `{"Health": null}`. `Conditions` is not modelled.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// Known state of the resource.
    #[serde(rename = "State", default, skip_serializing_if = "Option::is_none")]
    pub state: Option<State>,
    /// Health of the resource itself.
    #[serde(rename = "Health", default, skip_serializing_if = "Option::is_none")]
    pub health: Option<Health>,
    /// Health of the resource and everything it depends on.
    #[serde(
        rename = "HealthRollup",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub health_rollup: Option<Health>,
}

/// A resource collection (`Resource.ResourceCollection`, e.g.
/// `SoftwareInventoryCollection`, `TaskCollection`, `SessionCollection`;
/// DSP8010 2025.4).
///
/// `T` is [`ODataId`] for a plain GET; with `$expand` it is the member type
/// (`Collection<SoftwareInventory>`). Tolerance: `"Members": null` and a missing
/// `Members` (AMI-based BMCs) decode as empty, `null` members are dropped, and
/// `Members@odata.count`, `Name` and `@odata.type` are optional because some
/// services omit them even though the specification requires them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "T: Serialize", deserialize = "T: Deserialize<'de>"))]
pub struct Collection<T = ODataId> {
    /// URI of the collection.
    #[serde(rename = "@odata.id", default, skip_serializing_if = "Option::is_none")]
    pub odata_id: Option<String>,
    /// `#SoftwareInventoryCollection.SoftwareInventoryCollection` etc.
    #[serde(
        rename = "@odata.type",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub odata_type: Option<String>,
    /// Display name.
    #[serde(rename = "Name", default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(
        rename = "Description",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
    /// The members on this page. Always serialized (the property is required),
    /// also when empty.
    #[serde(rename = "Members", default, deserialize_with = "de::vec_skip_nulls")]
    pub members: Vec<T>,
    /// Total number of members on all pages, as the service reports it.
    #[serde(
        rename = "Members@odata.count",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub members_count: Option<u64>,
    /// URI of the next page, when the service pages the collection (DSP0266).
    #[serde(
        rename = "Members@odata.nextLink",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub next_link: Option<String>,
    /// The OData spelling of the next-page link, used by the DMTF mockups.
    #[serde(
        rename = "@odata.nextLink",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub odata_next_link: Option<String>,
}

impl<T> Collection<T> {
    /// URI of the next page: `Members@odata.nextLink`, else `@odata.nextLink`.
    pub fn next_page_uri(&self) -> Option<&str> {
        self.next_link
            .as_deref()
            .or(self.odata_next_link.as_deref())
    }
}

impl Collection<ODataId> {
    /// The member URIs, in order.
    pub fn member_uris(&self) -> impl Iterator<Item = &str> {
        self.members.iter().map(ODataId::as_str)
    }
}

/// A generic action object inside `Actions` (e.g. `#UpdateService.StartUpdate`,
/// `#SoftwareInventory.Activate`): the `target` URI to POST to, plus the
/// annotations any action may carry (DSP0266 "Actions"; DSP8010 2025.4).
///
/// `target` is optional because a vendor that advertises an action without one
/// should not make the whole resource undecodable; such an action is unusable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// URI to POST the action's parameters to.
    #[serde(rename = "target", default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Friendly name.
    #[serde(rename = "title", default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// URI of an `ActionInfo` resource describing the parameters.
    #[serde(
        rename = "@Redfish.ActionInfo",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub action_info: Option<String>,
    /// Apply times the action accepts in `@Redfish.OperationApplyTime`.
    #[serde(
        rename = "@Redfish.OperationApplyTimeSupport",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub operation_apply_time_support: Option<OperationApplyTimeSupport>,
}

/// `#ComputerSystem.Reset` (ComputerSystem.v1_27_0) and `#Manager.Reset`
/// (Manager.v1_24_0): a generic action plus the allowed `ResetType` values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetAction {
    /// URI to POST `{"ResetType": ...}` to.
    #[serde(rename = "target", default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Friendly name.
    #[serde(rename = "title", default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `ResetType@Redfish.AllowableValues`; empty when the service does not say
    /// (then the `@Redfish.ActionInfo` resource may).
    #[serde(
        rename = "ResetType@Redfish.AllowableValues",
        default,
        deserialize_with = "de::vec_skip_nulls",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub reset_type_allowable_values: Vec<ResetType>,
    /// URI of an `ActionInfo` resource describing the parameters.
    #[serde(
        rename = "@Redfish.ActionInfo",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub action_info: Option<String>,
}

/// `Settings.OperationApplyTimeSupport` (Settings.v1_4_0): the
/// `@Redfish.OperationApplyTimeSupport` annotation on an action or on
/// `MultipartHttpPushUri`.
///
/// `SupportedValues` is required by the schema; a missing or `null` list decodes
/// as empty, which a client should read as "not advertised".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationApplyTimeSupport {
    /// Values accepted in `@Redfish.OperationApplyTime`.
    #[serde(
        rename = "SupportedValues",
        default,
        deserialize_with = "de::vec_skip_nulls",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub supported_values: Vec<ApplyTime>,
    /// Start of the maintenance window (date-time string, kept as sent).
    #[serde(
        rename = "MaintenanceWindowStartTime",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub maintenance_window_start_time: Option<String>,
    /// Length of the maintenance window in seconds.
    #[serde(
        rename = "MaintenanceWindowDurationInSeconds",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub maintenance_window_duration_in_seconds: Option<u64>,
    /// Resource whose `@Redfish.MaintenanceWindow` defines the window.
    #[serde(
        rename = "MaintenanceWindowResource",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub maintenance_window_resource: Option<ODataId>,
}

/// Reads `path` inside a raw `Oem` object, treating a missing key and `null`
/// alike (`None`). `oem_at(task.oem.as_ref(), &["Dell", "JobState"])`.
pub fn oem_at<'a>(oem: Option<&'a Value>, path: &[&str]) -> Option<&'a Value> {
    let mut current = oem?;
    for key in path {
        current = current.get(key)?;
    }
    (!current.is_null()).then_some(current)
}

/// Adds `fn oem_at(&self, path)` to a type with an `oem: Option<Value>` field.
macro_rules! impl_oem_at {
    ($($ty:ty),+ $(,)?) => {
        $(
            impl $ty {
                /// Reads `path` inside this resource's raw `Oem` object; a missing
                /// key and `null` both give `None` (see [`crate::oem_at`]).
                pub fn oem_at(&self, path: &[&str]) -> Option<&::serde_json::Value> {
                    $crate::common::oem_at(self.oem.as_ref(), path)
                }
            }
        )+
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::check;

    #[test]
    fn collection_with_null_members_and_no_count() {
        // AMI-based BMC (Supermicro X11) answering an empty SoftwareInventory.
        let c: Collection = check(
            r##"{
                "@odata.type": "#SoftwareInventoryCollection.SoftwareInventoryCollection",
                "@odata.id": "/redfish/v1/UpdateService/SoftwareInventory",
                "Name": "Software Inventory Collection",
                "Members": null
            }"##,
        );
        assert!(c.members.is_empty());
        assert_eq!(c.members_count, None);
    }

    #[test]
    fn collection_without_name_type_or_members() {
        let c: Collection = check(r##"{"@odata.id": "/redfish/v1/TaskService/Tasks"}"##);
        assert!(c.members.is_empty());
        assert_eq!(c.name, None);
        assert_eq!(c.odata_type, None);
    }

    #[test]
    fn collection_members_count_and_paging() {
        let c: Collection = check(
            r##"{
                "@odata.id": "/redfish/v1/UpdateService/FirmwareInventory",
                "Members": [
                    {"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/BMC"},
                    null,
                    {"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/BIOS"}
                ],
                "Members@odata.count": 40,
                "Members@odata.nextLink": "/redfish/v1/UpdateService/FirmwareInventory?$skip=2"
            }"##,
        );
        assert_eq!(
            c.member_uris().collect::<Vec<_>>(),
            [
                "/redfish/v1/UpdateService/FirmwareInventory/BMC",
                "/redfish/v1/UpdateService/FirmwareInventory/BIOS"
            ]
        );
        assert_eq!(c.members_count, Some(40));
        assert_eq!(
            c.next_page_uri(),
            Some("/redfish/v1/UpdateService/FirmwareInventory?$skip=2")
        );
        let odata: Collection = check(
            r##"{"Members": [], "@odata.nextLink": "/redfish/v1/Systems/1/LogServices/Log1/Entries?$skiptoken=2"}"##,
        );
        assert_eq!(
            odata.next_page_uri(),
            Some("/redfish/v1/Systems/1/LogServices/Log1/Entries?$skiptoken=2")
        );
    }

    #[test]
    fn status_is_all_optional_and_lenient() {
        let s: Status = check(r##"{"State": "Enabled", "Health": null}"##);
        assert_eq!(s.state, Some(State::Enabled));
        assert_eq!(s.health, None);
        let s: Status =
            check(r##"{"State": "Unknown", "Health": "ok", "HealthRollup": "Critical"}"##);
        assert_eq!(s.state, Some(State::Other("Unknown".into())));
        assert_eq!(s.health, Some(Health::Ok));
        assert_eq!(s.health_rollup, Some(Health::Critical));
    }

    #[test]
    fn lenient_enums_keep_unknown_values_verbatim() {
        assert_eq!(ApplyTime::from("onreset"), ApplyTime::OnReset);
        assert_eq!(ApplyTime::OnReset.to_string(), "OnReset");
        let other: ApplyTime = "AtNextFullMoon".parse().unwrap();
        assert!(!other.is_known());
        assert_eq!(
            serde_json::to_string(&other).unwrap(),
            r##""AtNextFullMoon""##
        );
        let numeric: PowerState = serde_json::from_str("3").unwrap();
        assert_eq!(numeric, PowerState::Other("3".into()));
    }

    #[test]
    fn oem_at_treats_missing_and_null_alike() {
        let oem = serde_json::json!({"Dell": {"JobState": "Scheduled", "CompletionTime": null}});
        assert_eq!(
            oem_at(Some(&oem), &["Dell", "JobState"]).and_then(Value::as_str),
            Some("Scheduled")
        );
        assert_eq!(oem_at(Some(&oem), &["Dell", "CompletionTime"]), None);
        assert_eq!(oem_at(Some(&oem), &["Hpe", "State"]), None);
        assert_eq!(oem_at(None, &["Dell"]), None);
        assert_eq!(oem_at(Some(&oem), &[]), Some(&oem));
    }

    #[test]
    fn reset_action_with_allowable_values() {
        let a: ResetAction = check(
            r##"{
                "target": "/redfish/v1/Managers/bmc/Actions/Manager.Reset",
                "@Redfish.ActionInfo": "/redfish/v1/Managers/bmc/ResetActionInfo",
                "ResetType@Redfish.AllowableValues": ["GracefulRestart", "ForceRestart", "ResetAll"]
            }"##,
        );
        assert_eq!(
            a.reset_type_allowable_values,
            [
                ResetType::GracefulRestart,
                ResetType::ForceRestart,
                ResetType::Other("ResetAll".into())
            ]
        );
    }
}

//! The service root (`/redfish/v1/`): where navigation starts and where the
//! platform is classified (`Vendor`, `Product`, `RedfishVersion`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::common::ODataId;

/// `ServiceRoot.v1_20_0.ServiceRoot` (DSP8010 2025.4), `GET /redfish/v1/`.
///
/// `Vendor` (v1_5), `Product` (v1_3) and `ProtocolFeaturesSupported` (v1_3) are
/// optional because older services predate them (iLO 5 2.x, early OpenBMC);
/// `Links` is required by the schema but a missing one should fall back to the
/// conventional session collection rather than fail. Links to services the
/// client never follows (KeyService, Fabrics, …) are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceRoot {
    /// `/redfish/v1/`.
    #[serde(rename = "@odata.id")]
    pub odata_id: String,
    /// `#ServiceRoot.v1_x_y.ServiceRoot`; optional (NOTES §7.6).
    #[serde(rename = "@odata.type", skip_serializing_if = "Option::is_none")]
    pub odata_type: Option<String>,
    /// Usually `RootService`.
    pub id: String,
    /// Display name; optional (NOTES §7.6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Protocol version, `^\d+\.\d+\.\d+$` (e.g. `1.15.0`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redfish_version: Option<String>,
    /// Service UUID, kept as sent (not every BMC sends a canonical UUID).
    #[serde(rename = "UUID", skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// Vendor of the service (`Dell`, `HPE`, `Supermicro`, `Lenovo`, `AMI`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// Product name of the service (`Integrated Dell Remote Access Controller`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// Optional query parameters the service supports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol_features_supported: Option<ProtocolFeaturesSupported>,
    /// `ComputerSystemCollection`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub systems: Option<ODataId>,
    /// `ChassisCollection`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chassis: Option<ODataId>,
    /// `ManagerCollection`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managers: Option<ODataId>,
    /// The TaskService (the property is named `Tasks`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tasks: Option<ODataId>,
    /// The SessionService.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_service: Option<ODataId>,
    /// The AccountService.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_service: Option<ODataId>,
    /// The UpdateService (v1_1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_service: Option<ODataId>,
    /// The EventService.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_service: Option<ODataId>,
    /// The CertificateService (v1_5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_service: Option<ODataId>,
    /// The JobService (v1_4); Dell keeps update jobs there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_service: Option<ODataId>,
    /// `MessageRegistryFileCollection`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registries: Option<ODataId>,
    /// `JsonSchemaFileCollection`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_schemas: Option<ODataId>,
    /// `Links.Sessions` and friends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<ServiceRootLinks>,
    /// Vendor extensions, kept raw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oem: Option<Value>,
}

impl_oem_at!(ServiceRoot);

impl ServiceRoot {
    /// `Links.Sessions`: where to POST a login (must equal `SessionService.Sessions`).
    pub fn sessions_uri(&self) -> Option<&str> {
        self.links.as_ref()?.sessions.as_ref().map(ODataId::as_str)
    }

    /// `ProtocolFeaturesSupported.ExpandQuery`, if advertised.
    pub fn expand_query(&self) -> Option<&ExpandQuery> {
        self.protocol_features_supported
            .as_ref()?
            .expand_query
            .as_ref()
    }
}

/// `ServiceRoot.v1_20_0.Links`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceRootLinks {
    /// `SessionCollection`; required by the schema.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sessions: Option<ODataId>,
    /// The manager providing this service (v1_15).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager_providing_service: Option<ODataId>,
    /// Vendor extensions, kept raw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oem: Option<Value>,
}

/// `ServiceRoot.v1_20_0.ProtocolFeaturesSupported` (since v1_3). Every flag is
/// optional: absent means "not advertised", which a client treats as unsupported.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProtocolFeaturesSupported {
    /// `$expand` support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expand_query: Option<ExpandQuery>,
    /// `$select`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub select_query: Option<bool>,
    /// `$filter`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_query: Option<bool>,
    /// `only` (v1_4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub only_member_query: Option<bool>,
    /// `excerpt` (v1_4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excerpt_query: Option<bool>,
    /// `$top`/`$skip` (v1_17).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_skip_query: Option<bool>,
    /// Several HTTP requests in flight on one connection (v1_14).
    #[serde(
        rename = "MultipleHTTPRequests",
        skip_serializing_if = "Option::is_none"
    )]
    pub multiple_http_requests: Option<bool>,
}

/// `ServiceRoot.v1_20_0.Expand`: which `$expand` forms the service accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExpandQuery {
    /// `*`: expand links and subordinate resources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expand_all: Option<bool>,
    /// `$levels`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub levels: Option<bool>,
    /// `~`: expand links only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<bool>,
    /// `.`: expand subordinate resources only (collection members).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_links: Option<bool>,
    /// Maximum `$levels` value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_levels: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::check;

    #[test]
    fn dell_idrac_root() {
        let root: ServiceRoot = check(
            r##"{
                "@odata.context": "/redfish/v1/$metadata#ServiceRoot.ServiceRoot",
                "@odata.id": "/redfish/v1",
                "@odata.type": "#ServiceRoot.v1_16_0.ServiceRoot",
                "AccountService": {"@odata.id": "/redfish/v1/AccountService"},
                "Chassis": {"@odata.id": "/redfish/v1/Chassis"},
                "Description": "Root Service",
                "Id": "RootService",
                "JobService": {"@odata.id": "/redfish/v1/JobService"},
                "Links": {"Sessions": {"@odata.id": "/redfish/v1/SessionService/Sessions"}},
                "Managers": {"@odata.id": "/redfish/v1/Managers"},
                "Name": "Root Service",
                "Oem": {"Dell": {"@odata.type": "#DellServiceRoot.v1_0_0.DellServiceRoot", "IsBranded": 0, "ManagerMACAddress": "d0:8e:79:00:00:01", "ServiceTag": "7XYZ123"}},
                "Product": "Integrated Dell Remote Access Controller",
                "ProtocolFeaturesSupported": {
                    "DeepOperations": {"DeepPATCH": false, "DeepPOST": false},
                    "ExcerptQuery": false,
                    "ExpandQuery": {"ExpandAll": true, "Levels": true, "Links": true, "MaxLevels": 1, "NoLinks": true},
                    "FilterQuery": true,
                    "OnlyMemberQuery": true,
                    "SelectQuery": true
                },
                "RedfishVersion": "1.17.0",
                "Registries": {"@odata.id": "/redfish/v1/Registries"},
                "SessionService": {"@odata.id": "/redfish/v1/SessionService"},
                "Systems": {"@odata.id": "/redfish/v1/Systems"},
                "Tasks": {"@odata.id": "/redfish/v1/TaskService"},
                "UpdateService": {"@odata.id": "/redfish/v1/UpdateService"},
                "Vendor": "Dell"
            }"##,
        );
        assert_eq!(root.vendor.as_deref(), Some("Dell"));
        assert_eq!(
            root.product.as_deref(),
            Some("Integrated Dell Remote Access Controller")
        );
        assert_eq!(root.redfish_version.as_deref(), Some("1.17.0"));
        assert_eq!(
            root.sessions_uri(),
            Some("/redfish/v1/SessionService/Sessions")
        );
        let expand = root.expand_query().unwrap();
        assert_eq!(expand.expand_all, Some(true));
        assert_eq!(expand.max_levels, Some(1));
        assert_eq!(
            root.tasks.as_ref().unwrap().as_str(),
            "/redfish/v1/TaskService"
        );
        assert_eq!(
            root.oem_at(&["Dell", "ServiceTag"]).and_then(Value::as_str),
            Some("7XYZ123")
        );
    }

    #[test]
    fn openbmc_root_without_expand_support() {
        let root: ServiceRoot = check(
            r##"{
                "@odata.id": "/redfish/v1",
                "@odata.type": "#ServiceRoot.v1_11_0.ServiceRoot",
                "Id": "RootService",
                "Name": "Root Service",
                "RedfishVersion": "1.17.0",
                "UUID": "b0e4ab8c-8f2d-4e0b-9b3c-2d1b3f3e1a11",
                "Links": {"ManagerProvidingService": {"@odata.id": "/redfish/v1/Managers/bmc"}, "Sessions": {"@odata.id": "/redfish/v1/SessionService/Sessions"}},
                "ProtocolFeaturesSupported": {
                    "ExcerptQuery": false,
                    "ExpandQuery": {"ExpandAll": false, "Levels": false, "Links": false, "NoLinks": false},
                    "FilterQuery": false,
                    "OnlyMemberQuery": true,
                    "SelectQuery": true
                },
                "UpdateService": {"@odata.id": "/redfish/v1/UpdateService"},
                "Vendor": "OpenBMC"
            }"##,
        );
        assert_eq!(root.expand_query().unwrap().expand_all, Some(false));
        assert_eq!(root.product, None);
        assert_eq!(
            root.links
                .unwrap()
                .manager_providing_service
                .unwrap()
                .as_str(),
            "/redfish/v1/Managers/bmc"
        );
    }

    #[test]
    fn old_ilo_root_without_vendor_product_features_or_links() {
        let root: ServiceRoot = check(
            r##"{
                "@odata.id": "/redfish/v1/",
                "@odata.type": "#ServiceRoot.v1_0_5.ServiceRoot",
                "Id": "RootService",
                "RedfishVersion": "1.0.5",
                "UUID": "aa9d1b10-5a2e-5c4f-9bd5-98c4d0f5b9f2",
                "Oem": {"Hpe": {"Manager": [{"ManagerType": "iLO 5", "ManagerFirmwareVersion": "2.46"}]}}
            }"##,
        );
        assert_eq!(root.vendor, None);
        assert_eq!(root.sessions_uri(), None);
        assert_eq!(root.expand_query(), None);
        assert!(root.oem_at(&["Hpe", "Manager"]).is_some());
    }
}

//! `ActionInfo`: the resource an action's `@Redfish.ActionInfo` links to, listing
//! its parameters and allowed values (e.g. `SimpleUpdateActionInfo`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::de;

/// `ActionInfo.v1_5_0.ActionInfo` (DSP8010 2025.4), e.g.
/// `/redfish/v1/UpdateService/SimpleUpdateActionInfo`.
///
/// `Parameters` may be `null` or missing (→ empty): the action then has no
/// advertised constraints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ActionInfo {
    /// URI of this ActionInfo.
    #[serde(rename = "@odata.id")]
    pub odata_id: String,
    /// `#ActionInfo.v1_x_y.ActionInfo`; optional (NOTES §7.6).
    #[serde(rename = "@odata.type", skip_serializing_if = "Option::is_none")]
    pub odata_type: Option<String>,
    /// Id, e.g. `SimpleUpdateActionInfo`.
    pub id: String,
    /// Display name; optional (NOTES §7.6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The action's parameters.
    #[serde(
        default,
        deserialize_with = "de::vec_skip_nulls",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub parameters: Vec<ActionInfoParameter>,
    /// Vendor extensions, kept raw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oem: Option<Value>,
}

impl_oem_at!(ActionInfo);

impl ActionInfo {
    /// The parameter called `name` (exact match), if listed.
    pub fn parameter(&self, name: &str) -> Option<&ActionInfoParameter> {
        self.parameters.iter().find(|p| p.name == name)
    }

    /// `AllowableValues` of parameter `name`; empty when the parameter is not
    /// listed or does not restrict its values.
    pub fn allowable_values(&self, name: &str) -> &[String] {
        self.parameter(name)
            .map(|p| p.allowable_values.as_slice())
            .unwrap_or_default()
    }
}

/// `ActionInfo.v1_5_0.Parameters`: one parameter of an action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ActionInfoParameter {
    /// Parameter name as used in the POST body (`ImageURI`, `TransferProtocol`).
    pub name: String,
    /// Whether the POST must include it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    /// `Boolean`, `Number`, `NumberArray`, `String`, `StringArray`, `Object`, `ObjectArray`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_type: Option<String>,
    /// Schema type of an `Object`/`ObjectArray` parameter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_data_type: Option<String>,
    /// Allowed values for a string parameter.
    #[serde(
        default,
        deserialize_with = "de::vec_skip_nulls",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub allowable_values: Vec<String>,
    /// Regular expression the value must match (v1_3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowable_pattern: Option<String>,
    /// `true` ⇒ the parameter has no default value (v1_5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_default_value: Option<bool>,
    /// Value used when the parameter is omitted (v1_5), any JSON type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_value: Option<Value>,
    /// Minimum of a numeric parameter (v1_1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum_value: Option<f64>,
    /// Maximum of a numeric parameter (v1_1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum_value: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::check;

    #[test]
    fn supermicro_simple_update_action_info() {
        let info: ActionInfo = check(
            r##"{
                "@odata.type": "#ActionInfo.v1_1_2.ActionInfo",
                "@odata.id": "/redfish/v1/UpdateService/SimpleUpdateActionInfo",
                "Id": "SimpleUpdateActionInfo",
                "Name": "Simple Update Action Info",
                "Parameters": [
                    {"Name": "ImageURI", "Required": true, "DataType": "String"},
                    {"Name": "TransferProtocol", "Required": true, "DataType": "String", "AllowableValues": ["HTTP"]},
                    {"Name": "Targets", "Required": true, "DataType": "StringArray",
                     "AllowableValues": ["/redfish/v1/Managers/1", "/redfish/v1/Systems/1/Bios"]},
                    null
                ]
            }"##,
        );
        assert_eq!(info.parameters.len(), 3);
        assert_eq!(info.allowable_values("TransferProtocol"), ["HTTP"]);
        assert_eq!(info.parameter("ImageURI").unwrap().required, Some(true));
        assert!(info.allowable_values("Username").is_empty());
    }

    #[test]
    fn null_parameters_mean_none() {
        let info: ActionInfo =
            check(r##"{"@odata.id": "/a", "Id": "ResetActionInfo", "Parameters": null}"##);
        assert!(info.parameters.is_empty());
    }
}

//! Rollback requests beyond SimpleUpdate: the rollback action a
//! component's SoftwareInventory entry may offer.
//!
//! The DMTF schema (SoftwareInventory up to v1_14, 2025.4) defines
//! `#SoftwareInventory.Activate` and `#SoftwareInventory.Cancel` but no
//! rollback; a BMC that offers one does so as an action named
//! `….Rollback` in the entry's `Actions` (or `Actions.Oem`). fwfleet uses
//! such an action where the entry lists it, and only then. Dell's rollback
//! (SimpleUpdate with `ImageURI` = the `Previous-…` entry) goes through
//! [`super::update::simple_update`].

use crate::redfish::client::BmcClient;
use crate::redfish::error::RedfishError;
use crate::redfish::origin::Field;
use crate::redfish::update::Submitted;
use reqwest::Method;
use serde_json::{json, Value};

/// The name of a rollback action in an `Actions` object, if any.
fn rollback_key(actions: &Value) -> Option<(&str, &Value)> {
    let o = actions.as_object()?;
    o.iter()
        .find(|(k, _)| k.ends_with(".Rollback"))
        .map(|(k, v)| (k.as_str(), v))
        .or_else(|| o.get("Oem").and_then(rollback_key))
}

/// The target of the rollback action the SoftwareInventory entry at `uri`
/// offers, bound to the host's origin; `None` when it offers none.
pub async fn target(client: &BmcClient, uri: &str) -> Result<Option<String>, RedfishError> {
    let uri = client.bind(uri, Field::MEMBER)?;
    let v: Value = client.get(&uri).await?;
    let t = v
        .get("Actions")
        .and_then(rollback_key)
        .and_then(|(_, a)| a.get("target"))
        .and_then(Value::as_str);
    client.bind_opt(t, Field::named("Actions.*.Rollback.target"))
}

/// POST the rollback action (no parameters); the answer is read like any
/// update request's (202 + task monitor, or a refusal).
pub async fn activate(client: &BmcClient, target: &str) -> Result<Submitted, RedfishError> {
    let target = client.bind(target, Field::named("rollback action target"))?;
    let r = client
        .request(Method::POST, &target, Some(&json!({})))
        .await?;
    Ok(Submitted::of(&r))
}

#[cfg(test)]
mod tests {
    use super::rollback_key;
    use serde_json::json;

    #[test]
    fn a_rollback_action_is_found_in_actions_or_their_oem_part() {
        let std = json!({"#SoftwareInventory.Rollback": {"target": "/a"}, "#SoftwareInventory.Cancel": {"target": "/c"}});
        assert_eq!(rollback_key(&std).unwrap().0, "#SoftwareInventory.Rollback");
        let oem = json!({"Oem": {"#Vendor.Rollback": {"target": "/o"}}});
        assert_eq!(rollback_key(&oem).unwrap().0, "#Vendor.Rollback");
        let none = json!({"#SoftwareInventory.Activate": {"target": "/x"}, "#SoftwareInventory.Cancel": {"target": "/c"}});
        assert!(rollback_key(&none).is_none());
    }
}

//! Removing an update staged on the BMC (`fwfleet unstage`), in each
//! dialect's documented way:
//!
//! - Dell iDRAC: the update is a job `Scheduled` for the next host reset;
//!   `DellJobService.DeleteJobQueue` with its `JobID` deletes it
//!   (dell/iDRAC-Redfish-Scripting `DeleteJobQueueREDFISH.py`, "delete
//!   single job ID"). The action lives under the Manager
//!   (`{manager}/Oem/Dell/DellJobService/Actions/DellJobService.DeleteJobQueue`).
//! - Standard Redfish: `#SoftwareInventory.Cancel` on the staged image
//!   (SoftwareInventory v1_14, DMTF 2026.1: cancels a pending activation;
//!   the image stays on the BMC but no longer activates on a reset). A BMC
//!   whose staged entry offers no such action has no standard way to drop
//!   it ([`cancel_target`] answers `None`).

use crate::redfish::client::BmcClient;
use crate::redfish::error::RedfishError;
use crate::redfish::origin::Field;
use reqwest::Method;
use serde_json::{json, Value};

/// Delete Dell job `jid` from the queue of `manager` (the Manager's URI).
pub async fn dell_delete_job(
    client: &BmcClient,
    manager: &str,
    jid: &str,
) -> Result<(), RedfishError> {
    let target = format!(
        "{}/Oem/Dell/DellJobService/Actions/DellJobService.DeleteJobQueue",
        manager.trim_end_matches('/')
    );
    post(client, &target, &json!({ "JobID": jid })).await
}

/// The `#SoftwareInventory.Cancel` target of the inventory member `uri`,
/// if the BMC offers one.
pub async fn cancel_target(client: &BmcClient, uri: &str) -> Result<Option<String>, RedfishError> {
    let uri = client.bind(uri, Field::MEMBER)?;
    let v: Value = client.get(&uri).await?;
    client.bind_opt(
        v.get("Actions")
            .and_then(|a| a.get("#SoftwareInventory.Cancel"))
            .and_then(|a| a.get("target"))
            .and_then(Value::as_str),
        Field::named("Actions.#SoftwareInventory.Cancel.target"),
    )
}

/// Send `#SoftwareInventory.Cancel` to `target`.
pub async fn cancel(client: &BmcClient, target: &str) -> Result<(), RedfishError> {
    post(client, target, &json!({})).await
}

async fn post(client: &BmcClient, target: &str, body: &Value) -> Result<(), RedfishError> {
    let target = client.bind(target, Field::named("unstage target"))?;
    let r = client.request(Method::POST, &target, Some(body)).await?;
    if r.status.is_success() {
        Ok(())
    } else {
        Err(client.http_error("POST", &target, &r))
    }
}

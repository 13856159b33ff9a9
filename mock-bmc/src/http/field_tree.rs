//! What the `field` behaviour adds to the Redfish tree: the Dell job queue,
//! Dell's `Available-`/`Current-`/`Installed-` inventory entries, iLO's
//! `UpdateService.Oem.Hpe`, the push settings clients PATCH (bmcweb
//! `HttpPushUriOptions`, XCC `HttpPushUriTargets[Busy]`), the inventory-late
//! fault, and the v1.2-era legacy layout (firmware under SoftwareInventory).

use super::error::RedfishError;
use super::tree::{
    collection, firmware_item, link, ok, quirks, service_root, status_ok, Paths, Resource,
    FIRMWARE, SOFTWARE,
};
use crate::bmc::Bmc;
use crate::field::jobs::JOBS;
use crate::machine::Component;
use crate::persona::{Persona, Variant};
use crate::state::BmcState;
use serde_json::{json, Value};
use std::time::Instant;

fn legacy_layout(st: &BmcState) -> bool {
    st.machine.variant == Variant::LegacyLayout
}

fn dell(st: &BmcState) -> bool {
    st.machine.persona == Persona::Idrac
}

/// The Dell ids of a component flashed but not yet running: (Current-old, Installed-new).
fn dell_pending_ids(c: &Component) -> Option<(String, String)> {
    let new = c.staged_version.as_deref()?;
    let (state_less, fqdd) = c.id.split_once("__")?;
    let cid = c.software_id.as_deref().unwrap_or("0");
    let _ = state_less;
    Some((
        format!("Current-{cid}-{}__{fqdd}", c.version),
        format!("Installed-{cid}-{new}__{fqdd}"),
    ))
}

/// FirmwareInventory members of a field BMC.
fn firmware_members(st: &BmcState) -> Vec<String> {
    let mut ids = Vec::new();
    for c in &st.machine.components {
        if dell(st) && st.field.dell_pending.contains(&c.key) {
            if let Some((cur, inst)) = dell_pending_ids(c) {
                ids.push(cur);
                ids.push(inst);
                continue;
            }
        }
        ids.push(c.id.clone());
    }
    if dell(st) {
        for (cid, v) in &st.field.dell_available {
            ids.push(format!("Available-{cid}-{v}"));
        }
    } else {
        ids.extend(
            st.machine
                .components
                .iter()
                .filter(|c| c.staged_version.is_some())
                .map(|c| super::tree::staged_id(c, st.machine.persona)),
        );
    }
    if st
        .field
        .inventory_partial_until
        .is_some_and(|t| Instant::now() < t)
    {
        // inventory-late: only part of the inventory has been discovered again.
        let keep = ids.len().div_ceil(2);
        ids.truncate(keep);
    }
    ids
}

/// A resource the field tree answers differently from the ideal one, or `None`.
pub fn before(
    bmc: &Bmc,
    st: &BmcState,
    paths: &Paths,
    path: &str,
    segs: &[&str],
) -> Option<Result<Resource, RedfishError>> {
    let persona = st.machine.persona;
    Some(match segs {
        [] => {
            let mut v = service_root(bmc, st);
            if dell(st) {
                v["JobService"] = link("/redfish/v1/JobService");
            }
            if legacy_layout(st) {
                // A v1.2-era service: no Vendor/Product, no protocol features.
                v["@odata.type"] = json!("#ServiceRoot.v1_2_0.ServiceRoot");
                v["RedfishVersion"] = json!("1.2.0");
                if let Some(o) = v.as_object_mut() {
                    for k in ["Vendor", "Product", "ProtocolFeaturesSupported"] {
                        o.remove(k);
                    }
                }
            }
            if st.machine.variant == Variant::Ami {
                v["Vendor"] = json!("AMI");
                v["Product"] = json!(st.machine.model);
            }
            ok(v)
        }
        ["UpdateService", "FirmwareInventory"] if legacy_layout(st) => {
            Err(RedfishError::not_found(path))
        }
        ["UpdateService", "FirmwareInventory", _] if legacy_layout(st) => {
            Err(RedfishError::not_found(path))
        }
        ["UpdateService", "FirmwareInventory"] => ok(collection(
            FIRMWARE,
            "#SoftwareInventoryCollection.SoftwareInventoryCollection",
            "Firmware Inventory Collection",
            firmware_members(st)
                .into_iter()
                .map(|id| format!("{FIRMWARE}/{id}"))
                .collect(),
        )),
        ["UpdateService", "FirmwareInventory", id] => {
            if !firmware_members(st).iter().any(|m| m == id) {
                return Some(Err(RedfishError::not_found(path)));
            }
            if let Some(r) = dell_entry(st, id) {
                return Some(ok(r));
            }
            return None;
        }
        ["UpdateService", "SoftwareInventory"] if legacy_layout(st) => {
            let mut members: Vec<String> = st
                .machine
                .components
                .iter()
                .map(|c| format!("{SOFTWARE}/{}", c.id))
                .collect();
            members.extend(
                st.machine
                    .host_software
                    .iter()
                    .map(|s| format!("{SOFTWARE}/{}", s.id)),
            );
            ok(collection(
                SOFTWARE,
                "#SoftwareInventoryCollection.SoftwareInventoryCollection",
                "Software Inventory Collection",
                members,
            ))
        }
        ["UpdateService", "SoftwareInventory", id] if legacy_layout(st) => {
            let c = st.machine.components.iter().find(|c| c.id == *id)?;
            let mut v = firmware_item(c, persona, quirks(st));
            v["@odata.id"] = json!(format!("{SOFTWARE}/{}", c.id));
            v["@odata.type"] = json!("#SoftwareInventory.v1_2_0.SoftwareInventory");
            if let Some(o) = v.as_object_mut() {
                for k in ["WriteProtected", "VersionScheme", "RelatedItem@odata.count"] {
                    o.remove(k);
                }
            }
            ok(v)
        }
        ["JobService"] if dell(st) => ok(json!({
            "@odata.id": "/redfish/v1/JobService",
            "@odata.type": "#JobService.v1_0_6.JobService",
            "Id": "JobService",
            "Name": "Job Service",
            "ServiceEnabled": true,
            "DateTime": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "Status": status_ok(),
            "Jobs": link(JOBS),
        })),
        ["JobService", "Jobs"] if dell(st) => ok(collection(
            JOBS,
            "#JobCollection.JobCollection",
            "Job Collection",
            st.field
                .jobs
                .keys()
                .map(|id| format!("{JOBS}/{id}"))
                .collect(),
        )),
        ["JobService", "Jobs", id] if dell(st) => match st.field.jobs.get(*id) {
            Some(j) => ok(j.json()),
            None => Err(RedfishError::not_found(path)),
        },
        ["Managers", m, "Oem", "Dell", "Jobs"] if dell(st) && *m == paths.manager_id => ok(json!({
            "@odata.id": format!("{}/Oem/Dell/Jobs", paths.manager),
            "Name": "JobQueue",
            "Members@odata.count": st.field.jobs.len(),
            "Members": st.field.jobs.keys()
                .map(|id| link(&format!("{}/Oem/Dell/Jobs/{id}", paths.manager)))
                .collect::<Vec<_>>(),
        })),
        ["Managers", m, "Oem", "Dell", "Jobs", id] if dell(st) && *m == paths.manager_id => {
            match st.field.jobs.get(*id) {
                Some(j) => ok(j.dell_json(&paths.manager)),
                None => Err(RedfishError::not_found(path)),
            }
        }
        _ => return None,
    })
}

/// Dell's `Available-`, `Current-` and `Installed-` entries the field adds.
fn dell_entry(st: &BmcState, id: &str) -> Option<Value> {
    if !dell(st) {
        return None;
    }
    let persona = st.machine.persona;
    if let Some(rest) = id.strip_prefix("Available-") {
        let (cid, version) = rest.split_once('-')?;
        let c = st
            .machine
            .components
            .iter()
            .find(|c| c.software_id.as_deref() == Some(cid))?;
        let mut v = firmware_item(c, persona, false);
        v["@odata.id"] = json!(format!("{FIRMWARE}/{id}"));
        v["Id"] = json!(id);
        v["Version"] = json!(version);
        v["Status"] = json!({"State": "StandbyOffline", "Health": "OK"});
        v["Staged"] = json!(true);
        v["Active"] = json!(false);
        return Some(v);
    }
    for c in &st.machine.components {
        if !st.field.dell_pending.contains(&c.key) {
            continue;
        }
        let (cur, inst) = dell_pending_ids(c)?;
        let mut v = firmware_item(c, persona, false);
        if id == cur {
            v["@odata.id"] = json!(format!("{FIRMWARE}/{cur}"));
            v["Id"] = json!(cur);
            v["Active"] = json!(true);
            return Some(v);
        }
        if id == inst {
            v["@odata.id"] = json!(format!("{FIRMWARE}/{inst}"));
            v["Id"] = json!(inst);
            v["Version"] = json!(c.staged_version);
            v["Active"] = json!(false);
            v["Status"] = json!({"State": "StandbyOffline", "Health": "OK"});
            return Some(v);
        }
    }
    None
}

/// Field resources no ideal BMC has.
pub fn resolve(
    bmc: &Bmc,
    st: &BmcState,
    paths: &Paths,
    path: &str,
    segs: &[&str],
) -> Result<Resource, RedfishError> {
    let _ = (bmc, st, paths, segs);
    Err(RedfishError::not_found(path))
}

/// The UpdateService of a field BMC.
pub fn update_service(bmc: &Bmc, st: &BmcState, v: &mut Value, allow: &mut &'static str) {
    let _ = bmc;
    let f = &st.field;
    match (st.machine.persona, st.machine.variant) {
        (Persona::Openbmc, _) => {
            let at = match f.http_push_apply_time {
                crate::update::ApplyTime::OnReset => "OnReset",
                _ => "Immediate",
            };
            v["HttpPushUriOptions"] = json!({"HttpPushUriApplyTime": {"ApplyTime": at}});
            *allow = "GET, HEAD, PATCH";
        }
        // The DMTF model (public-rackmount1 mockup, UpdateService v1_4): a raw
        // push at `/FWUpdate` under service-wide options a client reserves
        // with `HttpPushUriOptionsBusy` while it uses them.
        (Persona::Generic, Variant::Standard) => {
            let at = match f.http_push_apply_time {
                crate::update::ApplyTime::OnReset => "OnReset",
                _ => "Immediate",
            };
            v["HttpPushUri"] = json!("/FWUpdate");
            v["HttpPushUriOptions"] = json!({"HttpPushUriApplyTime": {
                "ApplyTime": at,
                "ApplyTime@Redfish.AllowableValues": ["Immediate", "OnReset"],
            }});
            v["HttpPushUriOptionsBusy"] = json!(f.http_push_options_busy);
            *allow = "GET, HEAD, PATCH";
        }
        (Persona::Xcc, Variant::Standard) => {
            v["HttpPushUri"] = json!("/fwupdate");
            v["HttpPushUriTargets"] = json!(f.http_push_targets);
            v["HttpPushUriTargetsBusy"] = json!(f.http_push_targets_busy);
            *allow = "GET, HEAD, PATCH";
        }
        (Persona::Ilo, _) => {
            let mut hpe = json!({"State": f.hpe.state});
            if let Some(p) = f.hpe.flash_percent {
                hpe["FlashProgressPercent"] = json!(p);
            }
            if let Some((id, args)) = &f.hpe.result {
                hpe["Result"] = json!({"MessageId": id, "MessageArgs": args});
            }
            v["Oem"] = json!({"Hpe": hpe});
        }
        (Persona::Generic, Variant::LegacyLayout) => {
            *v = json!({
                "@odata.id": "/redfish/v1/UpdateService",
                "@odata.type": "#UpdateService.v1_2_0.UpdateService",
                "Id": "UpdateService",
                "Name": "Update Service",
                "Description": "Service for software update",
                "ServiceEnabled": true,
                "Status": status_ok(),
                "SoftwareInventory": link(SOFTWARE),
                "HttpPushUri": "/FWUpdate",
                "Actions": {
                    "#UpdateService.SimpleUpdate": {
                        "target": super::tree::SIMPLE_UPDATE,
                        "TransferProtocol@Redfish.AllowableValues": ["HTTP", "HTTPS"],
                    },
                },
            });
        }
        _ => {}
    }
}

/// PATCH on a field UpdateService: bmcweb's `HttpPushUriOptions` (before
/// commit 9c95be77a6 removed it) and XCC's `HttpPushUriTargets[Busy]`.
pub fn patch_update_service(st: &mut BmcState, body: &Value) -> Result<bool, RedfishError> {
    use axum::http::StatusCode;
    let bad = |k: &str, args: &[&str]| RedfishError::base(StatusCode::BAD_REQUEST, k, args);
    let Some(obj) = body.as_object() else {
        return Err(RedfishError::malformed_json());
    };
    let (p, variant) = (st.machine.persona, st.machine.variant);
    let mut changed = false;
    for (k, val) in obj {
        match (p, variant, k.as_str()) {
            (Persona::Generic, Variant::Standard, "HttpPushUriOptionsBusy") => {
                st.field.http_push_options_busy = val
                    .as_bool()
                    .ok_or_else(|| bad("PropertyValueTypeError", &[&val.to_string(), k]))?;
                changed = true;
            }
            (Persona::Openbmc, _, "HttpPushUriOptions")
            | (Persona::Generic, Variant::Standard, "HttpPushUriOptions") => {
                let at = val
                    .pointer("/HttpPushUriApplyTime/ApplyTime")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("PropertyMissing", &["HttpPushUriApplyTime/ApplyTime"]))?;
                st.field.http_push_apply_time = match at {
                    "Immediate" => crate::update::ApplyTime::Immediate,
                    "OnReset" => crate::update::ApplyTime::OnReset,
                    other => return Err(bad("PropertyValueNotInList", &[other, "ApplyTime"])),
                };
                changed = true;
            }
            (Persona::Xcc, Variant::Standard, "HttpPushUriTargetsBusy") => {
                st.field.http_push_targets_busy = val
                    .as_bool()
                    .ok_or_else(|| bad("PropertyValueTypeError", &[&val.to_string(), k]))?;
                changed = true;
            }
            (Persona::Xcc, Variant::Standard, "HttpPushUriTargets") => {
                let arr = val
                    .as_array()
                    .ok_or_else(|| bad("PropertyValueTypeError", &[&val.to_string(), k]))?;
                let mut targets = Vec::new();
                for t in arr {
                    let uri = t
                        .as_str()
                        .ok_or_else(|| bad("PropertyValueTypeError", &[&t.to_string(), k]))?;
                    crate::update::resolve_target(st, uri, "HttpPushUriTargets")?;
                    targets.push(uri.to_string());
                }
                st.field.http_push_targets = targets;
                changed = true;
            }
            _ => return Err(bad("PropertyNotWritable", &[k])),
        }
    }
    Ok(changed)
}

/// DELETE of a Dell `Available-` package (`DeleteFirmwarePackageREDFISH.py`).
pub fn delete_available(st: &mut BmcState, path: &str) -> Option<axum::response::Response> {
    use axum::response::IntoResponse;
    if !dell(st) {
        return None;
    }
    let rest = path.strip_prefix(&format!("{FIRMWARE}/Available-"))?;
    let (cid, version) = rest.split_once('-')?;
    let before = st.field.dell_available.len();
    st.field
        .dell_available
        .retain(|(c, v)| !(c == cid && v == version));
    if st.field.dell_available.len() == before {
        return Some(RedfishError::not_found(path).into_response());
    }
    Some(axum::http::StatusCode::NO_CONTENT.into_response())
}

/// `DellJobService.DeleteJobQueue` (`POST {manager}/Oem/Dell/DellJobService/
/// Actions/DellJobService.DeleteJobQueue`, body `{"JobID": "JID_…"}` or
/// `"JID_CLEARALL"`): deletes a job from the queue (dell/iDRAC-Redfish-Scripting
/// `DeleteJobQueueREDFISH.py`, "delete single job ID"; Dell's Redfish API
/// guide, DellJobService). A scheduled update job deleted this way is gone:
/// its image is no longer held for the next host reset. A running job is
/// refused (iDRAC cannot stop a job once it runs).
pub fn delete_job_queue(
    st: &mut BmcState,
    paths: &Paths,
    path: &str,
    body: &[u8],
) -> Option<Result<axum::response::Response, RedfishError>> {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    if !dell(st)
        || path
            != format!(
                "{}/Oem/Dell/DellJobService/Actions/DellJobService.DeleteJobQueue",
                paths.manager
            )
    {
        return None;
    }
    let v: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) => {
            return Some(Err(RedfishError::base(
                StatusCode::BAD_REQUEST,
                "MalformedJSON",
                &[],
            )))
        }
    };
    let Some(jid) = v.get("JobID").and_then(Value::as_str).map(str::to_string) else {
        return Some(Err(RedfishError::base(
            StatusCode::BAD_REQUEST,
            "ActionParameterMissing",
            &["DellJobService.DeleteJobQueue", "JobID"],
        )));
    };
    let ids: Vec<String> = if jid.starts_with("JID_CLEARALL") {
        st.field.jobs.keys().cloned().collect()
    } else if st.field.jobs.contains_key(&jid) {
        vec![jid.clone()]
    } else {
        return Some(Err(RedfishError::base(
            StatusCode::BAD_REQUEST,
            "ActionParameterValueNotInList",
            &[&jid, "JobID", "DellJobService.DeleteJobQueue"],
        )));
    };
    for id in ids {
        if st
            .field
            .jobs
            .get(&id)
            .is_some_and(|j| j.dell_state == "Running")
        {
            if jid.starts_with("JID_CLEARALL") {
                continue;
            }
            return Some(Err(RedfishError::base(
                StatusCode::BAD_REQUEST,
                "ActionNotSupported",
                &["DellJobService.DeleteJobQueue (the job is running)"],
            )));
        }
        st.field.jobs.remove(&id);
        let gone: Vec<Vec<String>> = st
            .field
            .staged_host
            .iter()
            .filter(|s| s.job.as_deref() == Some(id.as_str()))
            .map(|s| s.keys.clone())
            .collect();
        st.field
            .staged_host
            .retain(|s| s.job.as_deref() != Some(id.as_str()));
        for keys in gone {
            for c in st.machine.components.iter_mut() {
                if keys.contains(&c.key) {
                    c.staged_version = None;
                }
            }
        }
    }
    Some(Ok(StatusCode::OK.into_response()))
}

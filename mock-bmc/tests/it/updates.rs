//! Firmware updates over real HTTP: SimpleUpdate, multipart, raw push, apply
//! times, resets, BMC reboot, cancellation, bad images, downgrade rules.

use crate::support::*;
use mock_bmc::Persona;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

const SU: &str = "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate";

/// Start a SimpleUpdate of a fresh image for the active `kind`; returns (response, new version).
async fn simple_update(
    bmc: &mock_bmc::MockBmc,
    kind: &str,
    extra: Value,
) -> (reqwest::Response, String) {
    let st = bmc.state();
    let comp = component(&st, kind);
    let version = newer(comp);
    let model = st["model"].as_str().unwrap().to_string();
    let url = image_server(vec![(
        "fw.img",
        image_bytes(kind, &version, &[&model], 4096),
    )])
    .await;
    let mut body = json!({"ImageURI": format!("{url}/fw.img"), "TransferProtocol": "HTTP"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    (post(bmc, SU, body).await, version)
}

#[tokio::test]
async fn simple_update_downloads_installs_and_reports_the_new_version() {
    let bmc = fast(Persona::Generic).await;
    let (r, version) = simple_update(&bmc, "bios", json!({})).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let monitor = r.headers()["Location"].to_str().unwrap().to_string();
    assert!(monitor.starts_with("/redfish/v1/TaskService/TaskMonitors/"));
    assert!(r.headers().contains_key("Retry-After"));
    let (_, task) = json(r).await;
    assert_eq!(task["@odata.type"], "#Task.v1_7_4.Task");
    let task_uri = task["@odata.id"].as_str().unwrap().to_string();
    let (status, fin) = follow(&bmc, &monitor).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fin["TaskState"], "Completed", "{fin}");
    assert!(message_keys(&fin).contains(&"Update.UpdateSuccessful".to_string()));
    assert!(message_keys(&fin).contains(&"TaskEvent.TaskCompletedOK".to_string()));
    // The final response once, then 404; the Task resource stays 200.
    assert_eq!(get(&bmc, &monitor).await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&bmc, &task_uri).await.0, StatusCode::OK);
    let st = bmc.state();
    assert_eq!(component(&st, "bios")["version"], version.as_str());
    assert_eq!(component(&st, "bios")["flash_count"], 1);
    assert_eq!(
        get(&bmc, "/redfish/v1/Systems/1").await.1["BiosVersion"],
        version.as_str()
    );
    let (_, tasks) = get(&bmc, "/redfish/v1/TaskService/Tasks").await;
    assert_eq!(tasks["Members@odata.count"], 1);
}

#[tokio::test]
async fn simple_update_rejects_bad_requests_with_redfish_errors() {
    let bmc = fast(Persona::Generic).await;
    let r = post(&bmc, SU, json!({})).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_error(&json(r).await.1, "ActionParameterMissing");
    let r = post(
        &bmc,
        SU,
        json!({"ImageURI": "http://127.0.0.1:1/x", "TransferProtocol": "GOPHER"}),
    )
    .await;
    assert_error(&json(r).await.1, "ActionParameterValueNotInList");
    let r = post(
        &bmc,
        SU,
        json!({"ImageURI": "http://127.0.0.1:1/x", "Targets": ["/redfish/v1/Nope"]}),
    )
    .await;
    assert_error(&json(r).await.1, "ActionParameterValueFormatError");
    let r = post(&bmc, SU, json!({"ImageURI": "http://127.0.0.1:1/x", "@Redfish.OperationApplyTime": "AtMaintenanceWindowStart"})).await;
    assert_error(&json(r).await.1, "ActionParameterValueNotInList");
    let r = post(&bmc, SU, json!({"ImageURI": "http://10.1.2.3/x.img"})).await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "remote image hosts are refused by default"
    );
    assert_error(&json(r).await.1, "AccessDenied");
    let r = post(&bmc, SU, json!({"ImageURI": "tftp://127.0.0.1/x.img"})).await;
    assert_error(&json(r).await.1, "SourceDoesNotSupportProtocol");
    let r = post(
        &bmc,
        SU,
        json!({"ImageURI": "http://127.0.0.1:1/x", "Bogus": 1}),
    )
    .await;
    assert_error(&json(r).await.1, "ActionParameterUnknown");
}

#[tokio::test]
async fn transfer_failures_end_in_exception_and_change_nothing() {
    let bmc = fast(Persona::Generic).await;
    let before = component(&bmc.state(), "bios")["version"].clone();
    let url = image_server(vec![]).await;
    let r = post(&bmc, SU, json!({"ImageURI": format!("{url}/missing.img")})).await;
    let monitor = r.headers()["Location"].to_str().unwrap().to_string();
    let (_, fin) = follow(&bmc, &monitor).await;
    assert_eq!(fin["TaskState"], "Exception");
    assert_eq!(fin["TaskStatus"], "Critical");
    assert!(
        message_keys(&fin).contains(&"Update.TransferFailed".to_string()),
        "{fin}"
    );
    let st = bmc.state();
    assert_eq!(component(&st, "bios")["version"], before);
    assert_eq!(component(&st, "bios")["flash_count"], 0);
}

async fn push_image(
    bmc: &mock_bmc::MockBmc,
    uri: &str,
    params: Value,
    file: Vec<u8>,
    extra_parts: Vec<(&'static str, &'static str)>,
) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new()
        .part(
            "UpdateParameters",
            reqwest::multipart::Part::text(params.to_string())
                .mime_str("application/json")
                .unwrap(),
        )
        .part(
            "UpdateFile",
            reqwest::multipart::Part::bytes(file)
                .file_name("fw.img")
                .mime_str("application/octet-stream")
                .unwrap(),
        );
    for (name, text) in extra_parts {
        form = form.part(
            name,
            reqwest::multipart::Part::text(text)
                .mime_str("application/json")
                .unwrap(),
        );
    }
    client()
        .post(format!("{}{uri}", bmc.url()))
        .basic_auth("admin", Some(PASSWORD))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

fn image_for(bmc: &mock_bmc::MockBmc, kind: &str) -> (Vec<u8>, String) {
    let st = bmc.state();
    let v = newer(component(&st, kind));
    (
        image_bytes(kind, &v, &[st["model"].as_str().unwrap()], 8192),
        v,
    )
}

#[tokio::test]
async fn multipart_push_installs_the_version_in_the_uploaded_bytes() {
    let bmc = fast(Persona::Generic).await;
    let (img, v) = image_for(&bmc, "nic");
    let r = push_image(
        &bmc,
        "/redfish/v1/UpdateService/upload",
        json!({"Targets": []}),
        img,
        vec![],
    )
    .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let monitor = r.headers()["Location"].to_str().unwrap().to_string();
    let (_, fin) = follow(&bmc, &monitor).await;
    assert_eq!(fin["TaskState"], "Completed", "{fin}");
    assert_eq!(component(&bmc.state(), "nic")["version"], v.as_str());
    // Missing parts are 400s.
    let form = reqwest::multipart::Form::new()
        .part("UpdateParameters", reqwest::multipart::Part::text("{}"));
    let r = client()
        .post(format!("{}/redfish/v1/UpdateService/upload", bmc.url()))
        .basic_auth("admin", Some(PASSWORD))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_error(&json(r).await.1, "PropertyMissing");
}

#[tokio::test]
async fn uploads_above_max_image_size_get_413() {
    let mut cfg = mock_bmc::BmcConfig::new("small", Persona::Generic, 1, 0, PASSWORD).ideal();
    cfg.max_image_size = 10_000;
    let bmc = start_with(cfg).await;
    let (_, v) = image_for(&bmc, "bios");
    let big = image_bytes("bios", &v, &[], 50_000);
    let r = push_image(
        &bmc,
        "/redfish/v1/UpdateService/upload",
        json!({}),
        big,
        vec![],
    )
    .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(&json(r).await.1, "PayloadTooLarge");
}

#[tokio::test]
async fn bad_images_end_in_exception_with_the_right_message() {
    let bmc = fast(Persona::Generic).await;
    let st = bmc.state();
    let model = st["model"].as_str().unwrap().to_string();
    let v = newer(component(&st, "bios"));
    let good = image_bytes("bios", &v, &[&model], 4096);
    let mut corrupt = good.clone();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0xff;
    let truncated = good[..good.len() - 100].to_vec();
    let cases = [
        (corrupt, "Update.VerificationFailed"),
        (truncated, "Update.VerificationFailed"),
        (
            b"garbage, not an image".to_vec(),
            "Update.VerificationFailed",
        ),
        (
            image_bytes("bios", &v, &["Some Other Model"], 4096),
            "Update.UpdateNotApplicable",
        ),
    ];
    for (bytes, want) in cases {
        let r = push_image(
            &bmc,
            "/redfish/v1/UpdateService/upload",
            json!({}),
            bytes,
            vec![],
        )
        .await;
        let monitor = r.headers()["Location"].to_str().unwrap().to_string();
        let (_, fin) = follow(&bmc, &monitor).await;
        assert_eq!(fin["TaskState"], "Exception", "{want}: {fin}");
        assert!(
            message_keys(&fin).contains(&want.to_string()),
            "{want}: {fin}"
        );
    }
    // A BIOS image aimed at the BMC entry is not applicable either.
    let r = push_image(
        &bmc,
        "/redfish/v1/UpdateService/upload",
        json!({"Targets": ["/redfish/v1/UpdateService/FirmwareInventory/BMC"]}),
        good,
        vec![],
    )
    .await;
    let (_, fin) = follow(&bmc, r.headers()["Location"].to_str().unwrap()).await;
    assert!(
        message_keys(&fin).contains(&"Update.UpdateNotApplicable".to_string()),
        "{fin}"
    );
    assert_eq!(component(&bmc.state(), "bios")["flash_count"], 0);
}

#[tokio::test]
async fn downgrades_need_force_and_lowest_supported_version_always_holds() {
    let bmc = fast(Persona::Generic).await;
    let st = bmc.state();
    let model = st["model"].as_str().unwrap().to_string();
    let bmc_comp = component(&st, "bmc");
    let current = bmc_comp["version"].as_str().unwrap().to_string();
    // The generic BMC base is 1.45.3 (its LowestSupportedVersion); hosts sit at or above it.
    let (_, item) = get(&bmc, "/redfish/v1/UpdateService/FirmwareInventory/BMC").await;
    let lowest = item["LowestSupportedVersion"].as_str().unwrap().to_string();
    let older = "1.45.3";
    let below = "1.44.0";
    let send = |v: &str, force: bool| {
        let bytes = image_bytes("bmc", v, &[&model], 2048);
        push_image(
            &bmc,
            "/redfish/v1/UpdateService/upload",
            json!({"ForceUpdate": force}),
            bytes,
            vec![],
        )
    };
    if current != older {
        let r = send(older, false).await;
        let (_, fin) = follow(&bmc, r.headers()["Location"].to_str().unwrap()).await;
        assert_eq!(fin["TaskState"], "Exception", "{fin}");
        assert!(message_keys(&fin).contains(&"Update.UpdateNotApplicable".to_string()));
        assert_eq!(component(&bmc.state(), "bmc")["version"], current.as_str());
    }
    let r = send(below, true).await;
    let (_, fin) = follow(&bmc, r.headers()["Location"].to_str().unwrap()).await;
    assert!(
        message_keys(&fin).contains(&"Update.UpdateSkippedVersionTooLow".to_string()),
        "{lowest} {fin}"
    );
    // The same version is skipped, not re-flashed.
    let r = send(&current, false).await;
    let (_, fin) = follow(&bmc, r.headers()["Location"].to_str().unwrap()).await;
    assert_eq!(fin["TaskState"], "Completed");
    assert!(message_keys(&fin).contains(&"Update.UpdateSkippedSameVersion".to_string()));
    assert_eq!(component(&bmc.state(), "bmc")["flash_count"], 0);
}

#[tokio::test]
async fn on_reset_stages_until_the_system_resets() {
    let bmc = fast(Persona::Generic).await;
    let before = component(&bmc.state(), "bios")["version"]
        .as_str()
        .unwrap()
        .to_string();
    let (r, v) = simple_update(
        &bmc,
        "bios",
        json!({"@Redfish.OperationApplyTime": "OnReset"}),
    )
    .await;
    let (_, fin) = follow(&bmc, r.headers()["Location"].to_str().unwrap()).await;
    assert_eq!(fin["TaskState"], "Completed");
    let keys = message_keys(&fin);
    assert!(
        keys.contains(&"Update.AwaitToActivate".to_string())
            && keys.contains(&"Base.ResetRequired".to_string()),
        "{keys:?}"
    );
    let st = bmc.state();
    assert_eq!(component(&st, "bios")["version"], before.as_str());
    assert_eq!(component(&st, "bios")["staged_version"], v.as_str());
    assert_eq!(component(&st, "bios")["flash_count"], 0);
    let (_, staged) = get(
        &bmc,
        "/redfish/v1/UpdateService/FirmwareInventory/BIOS-Staged",
    )
    .await;
    assert_eq!(staged["Staged"], true);
    assert_eq!(staged["Version"], v.as_str());
    let r = post(
        &bmc,
        "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset",
        json!({"ResetType": "GracefulRestart"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let st = bmc.state();
    assert_eq!(component(&st, "bios")["version"], v.as_str());
    assert_eq!(component(&st, "bios")["flash_count"], 1);
    assert!(component(&st, "bios")["staged_version"].is_null());
    assert_eq!(
        get(
            &bmc,
            "/redfish/v1/UpdateService/FirmwareInventory/BIOS-Staged"
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn on_start_update_request_waits_for_start_update() {
    let bmc = fast(Persona::Generic).await;
    let (r, v) = simple_update(
        &bmc,
        "cpld",
        json!({"@Redfish.OperationApplyTime": "OnStartUpdateRequest"}),
    )
    .await;
    let task_uri = json(r).await.1["@odata.id"].as_str().unwrap().to_string();
    let t = wait_task(&bmc, &task_uri, &["Pending"]).await;
    assert!(message_keys(&t).contains(&"Update.AwaitToUpdate".to_string()));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(component(&bmc.state(), "cpld")["flash_count"], 0);
    let r = post(
        &bmc,
        "/redfish/v1/UpdateService/Actions/UpdateService.StartUpdate",
        json!({}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    wait_task(&bmc, &task_uri, &["Completed"]).await;
    assert_eq!(component(&bmc.state(), "cpld")["version"], v.as_str());
}

#[tokio::test]
async fn a_bmc_update_reboots_the_bmc_and_drops_sessions() {
    let bmc = fast(Persona::Generic).await;
    let login = client()
        .post(format!("{}/redfish/v1/SessionService/Sessions", bmc.url()))
        .json(&json!({"UserName": "admin", "Password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let token = login.headers()["X-Auth-Token"]
        .to_str()
        .unwrap()
        .to_string();
    let (r, v) = simple_update(&bmc, "bmc", json!({})).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    // The BMC goes away: connections are refused for a while.
    let mut refused = false;
    for _ in 0..200 {
        if client()
            .get(format!("{}/redfish/v1/", bmc.url()))
            .send()
            .await
            .is_err()
        {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "the BMC never went down");
    let mut back = false;
    for _ in 0..300 {
        if client()
            .get(format!("{}/redfish/v1/", bmc.url()))
            .send()
            .await
            .is_ok()
        {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(back, "the BMC never came back");
    let r = client()
        .get(format!("{}/redfish/v1/Managers/BMC", bmc.url()))
        .header("X-Auth-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "sessions do not survive a reboot"
    );
    assert_eq!(
        get(&bmc, "/redfish/v1/Managers/BMC").await.1["FirmwareVersion"],
        v.as_str()
    );
    assert_eq!(component(&bmc.state(), "bmc")["flash_count"], 1);
}

#[tokio::test]
async fn manager_reset_activates_a_staged_bmc_image() {
    let bmc = fast(Persona::Generic).await;
    let (r, v) = simple_update(
        &bmc,
        "bmc",
        json!({"@Redfish.OperationApplyTime": "OnReset"}),
    )
    .await;
    follow(&bmc, r.headers()["Location"].to_str().unwrap()).await;
    assert_eq!(component(&bmc.state(), "bmc")["staged_version"], v.as_str());
    let r = post(
        &bmc,
        "/redfish/v1/Managers/BMC/Actions/Manager.Reset",
        json!({"ResetType": "GracefulRestart"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(component(&bmc.state(), "bmc")["version"], v.as_str());
    assert_eq!(component(&bmc.state(), "bmc")["flash_count"], 1);
}

#[tokio::test]
async fn cancelling_before_the_write_leaves_the_component_alone() {
    let mut cfg = mock_bmc::BmcConfig::new("slow", Persona::Generic, 1, 0, PASSWORD).ideal();
    cfg.timing.update = Duration::from_secs(20);
    let bmc = start_with(cfg).await;
    let (r, _) = simple_update(&bmc, "psu", json!({})).await;
    let monitor = r.headers()["Location"].to_str().unwrap().to_string();
    let task_uri = json(r).await.1["@odata.id"].as_str().unwrap().to_string();
    wait_task(&bmc, &task_uri, &["Running"]).await;
    let r = client()
        .delete(format!("{}{monitor}", bmc.url()))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let t = wait_task(&bmc, &task_uri, &["Cancelled"]).await;
    assert!(message_keys(&t).contains(&"TaskEvent.TaskCancelled".to_string()));
    assert_eq!(
        get(&bmc, &monitor).await.0,
        StatusCode::NOT_FOUND,
        "a cancelled monitor is gone"
    );
    assert_eq!(component(&bmc.state(), "psu")["flash_count"], 0);
}

#[tokio::test]
async fn update_secs_zero_and_tasks_progress_through_states() {
    let mut cfg = mock_bmc::BmcConfig::new("prog", Persona::Generic, 1, 0, PASSWORD).ideal();
    cfg.timing.update = Duration::from_millis(600);
    let bmc = start_with(cfg).await;
    let (r, _) = simple_update(&bmc, "drive", json!({})).await;
    let task_uri = json(r).await.1["@odata.id"].as_str().unwrap().to_string();
    let t = wait_task(&bmc, &task_uri, &["Running"]).await;
    assert!(t["PercentComplete"].as_u64().unwrap() < 100);
    let t = wait_task(&bmc, &task_uri, &["Completed"]).await;
    assert_eq!(t["PercentComplete"], 100);
    assert!(t["EndTime"].is_string());
    // Both drives share one firmware image and are updated together.
    let st = bmc.state();
    let drives: Vec<&Value> = st["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "drive")
        .collect();
    assert_eq!(drives.len(), 2);
    assert!(drives.iter().all(|d| d["flash_count"] == 1));
}

#[tokio::test]
async fn state_dir_keeps_firmware_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let mk = || {
        let mut cfg = mock_bmc::BmcConfig::new("persist", Persona::Generic, 5, 0, PASSWORD).ideal();
        cfg.timing.update = Duration::ZERO;
        cfg.state_dir = Some(dir.path().to_path_buf());
        cfg
    };
    let bmc = start_with(mk()).await;
    let (r, v) = simple_update(&bmc, "nic", json!({})).await;
    follow(&bmc, r.headers()["Location"].to_str().unwrap()).await;
    drop(bmc);
    let bmc = start_with(mk()).await;
    let st = bmc.state();
    assert_eq!(component(&st, "nic")["version"], v.as_str());
    assert_eq!(component(&st, "nic")["flash_count"], 1);
}

//! Each persona's documented update quirks (docs/MOCK-BMC.md).

use crate::support::*;
use mock_bmc::Persona;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

const SU: &str = "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate";

async fn image_url(bmc: &mock_bmc::MockBmc, kind: &str) -> (String, String) {
    let st = bmc.state();
    let v = newer(component(&st, kind));
    let url = image_server(vec![(
        "fw.img",
        image_bytes(kind, &v, &[st["model"].as_str().unwrap()], 4096),
    )])
    .await;
    (format!("{url}/fw.img"), v)
}

fn form(params: Value, file: Vec<u8>, filename: &str) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .part(
            "UpdateParameters",
            reqwest::multipart::Part::text(params.to_string())
                .mime_str("application/json")
                .unwrap(),
        )
        .part(
            "UpdateFile",
            reqwest::multipart::Part::bytes(file)
                .file_name(filename.to_string())
                .mime_str("application/octet-stream")
                .unwrap(),
        )
}

async fn send_form(
    bmc: &mock_bmc::MockBmc,
    uri: &str,
    f: reqwest::multipart::Form,
) -> reqwest::Response {
    client()
        .post(format!("{}{uri}", bmc.url()))
        .basic_auth("admin", Some(PASSWORD))
        .multipart(f)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn idrac_tasks_are_jobs_that_start_new_and_vanish_after_completion() {
    let mut cfg = mock_bmc::BmcConfig::new("idrac", Persona::Idrac, 3, 0, PASSWORD).ideal();
    cfg.timing.update = Duration::from_millis(300);
    cfg.timing.task_vanish = Some(Duration::from_millis(400));
    let bmc = start_with(cfg).await;
    let (url, v) = image_url(&bmc, "bios").await;
    let r = post(&bmc, SU, json!({"ImageURI": url})).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let loc = r.headers()["Location"].to_str().unwrap().to_string();
    assert!(
        loc.starts_with("/redfish/v1/TaskService/Tasks/JID_"),
        "{loc}"
    );
    let (_, body) = json(r).await;
    assert_eq!(body["TaskState"], "New");
    assert_eq!(body["Oem"]["Dell"]["JobState"], "New");
    // The Location is the Task itself: always 200, never 202.
    let t = wait_task(&bmc, &loc, &["Completed"]).await;
    assert_eq!(t["Oem"]["Dell"]["JobState"], "Completed");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        get(&bmc, &loc).await.0,
        StatusCode::NOT_FOUND,
        "completed jobs vanish"
    );
    let st = bmc.state();
    let bios = component(&st, "bios");
    assert_eq!(bios["version"], v.as_str());
    // The inventory id embeds the new version; the old one is gone.
    assert!(bios["id"]
        .as_str()
        .unwrap()
        .starts_with(&format!("Installed-159-{v}__")));
}

#[tokio::test]
async fn idrac_on_reset_jobs_stay_scheduled_until_the_host_reboots() {
    let bmc = fast(Persona::Idrac).await;
    let (url, v) = image_url(&bmc, "bios").await;
    let r = post(
        &bmc,
        SU,
        json!({"ImageURI": url, "@Redfish.OperationApplyTime": "OnReset"}),
    )
    .await;
    let loc = r.headers()["Location"].to_str().unwrap().to_string();
    let t = wait_task(&bmc, &loc, &["Pending"]).await;
    assert_eq!(t["Oem"]["Dell"]["JobState"], "Scheduled");
    let (_, fi) = get(&bmc, "/redfish/v1/UpdateService/FirmwareInventory").await;
    assert!(
        fi["Members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["@odata.id"]
                .as_str()
                .unwrap()
                .contains(&format!("/Available-159-{v}"))),
        "{fi}"
    );
    post(
        &bmc,
        "/redfish/v1/Systems/System.Embedded.1/Actions/ComputerSystem.Reset",
        json!({"ResetType": "ForceRestart"}),
    )
    .await;
    let t = wait_task(&bmc, &loc, &["Completed"]).await;
    assert!(message_keys(&t).contains(&"Update.UpdateSuccessful".to_string()));
    assert_eq!(component(&bmc.state(), "bios")["version"], v.as_str());
}

#[tokio::test]
async fn idrac_multipart_wants_oem_no_targets_and_a_base_name() {
    let bmc = fast(Persona::Idrac).await;
    let st = bmc.state();
    let v = newer(component(&st, "nic"));
    let img = image_bytes("nic", &v, &[st["model"].as_str().unwrap()], 2048);
    let uri = "/redfish/v1/UpdateService/MultipartUpload";
    let r = send_form(
        &bmc,
        uri,
        form(json!({"Targets": []}), img.clone(), "fw.img"),
    )
    .await;
    assert_error(&json(r).await.1, "PropertyMissing");
    let r = send_form(
        &bmc,
        uri,
        form(
            json!({"Oem": {}, "Targets": ["/redfish/v1/Systems/System.Embedded.1"]}),
            img.clone(),
            "fw.img",
        ),
    )
    .await;
    assert_error(&json(r).await.1, "ActionParameterNotSupported");
    let r = send_form(
        &bmc,
        uri,
        form(json!({"Oem": {}}), img.clone(), "dir/fw.img"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = send_form(
        &bmc,
        uri,
        form(json!({"Oem": {}, "Targets": []}), img, "fw.img"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let loc = r.headers()["Location"].to_str().unwrap().to_string();
    wait_task(&bmc, &loc, &["Completed"]).await;
    assert_eq!(component(&bmc.state(), "nic")["version"], v.as_str());
}

#[tokio::test]
async fn ilo_monitors_go_404_at_completion_but_the_task_stays() {
    let bmc = fast(Persona::Ilo).await;
    let (url, v) = image_url(&bmc, "bios").await;
    let r = post(&bmc, SU, json!({"ImageURI": url})).await;
    let monitor = r.headers()["Location"].to_str().unwrap().to_string();
    let task_uri = json(r).await.1["@odata.id"].as_str().unwrap().to_string();
    let (status, _) = follow(&bmc, &monitor).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "iLO never serves the final response"
    );
    let t = wait_task(&bmc, &task_uri, &["Completed"]).await;
    assert_eq!(t["TaskState"], "Completed");
    assert_eq!(component(&bmc.state(), "bios")["version"], v.as_str());
}

#[tokio::test]
async fn openbmc_does_one_update_at_a_time_and_takes_raw_pushes() {
    let mut cfg = mock_bmc::BmcConfig::new("obmc", Persona::Openbmc, 4, 0, PASSWORD).ideal();
    cfg.timing.update = Duration::from_millis(500);
    cfg.timing.reboot = Duration::from_millis(200);
    let bmc = start_with(cfg).await;
    let (url, _) = image_url(&bmc, "nic").await;
    let r = post(&bmc, SU, json!({"ImageURI": url})).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let monitor = r.headers()["Location"].to_str().unwrap().to_string();
    let r = post(&bmc, SU, json!({"ImageURI": url})).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.headers()["Retry-After"], "30");
    assert_error(&json(r).await.1, "ServiceTemporarilyUnavailable");
    // bmcweb: final 204 once, then 404.
    let (status, _) = follow(&bmc, &monitor).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(get(&bmc, &monitor).await.0, StatusCode::NOT_FOUND);

    let st = bmc.state();
    let v = newer(component(&st, "bmc"));
    let img = image_bytes("bmc", &v, &[st["model"].as_str().unwrap()], 4096);
    let r = client()
        .post(format!("{}/redfish/v1/UpdateService/update", bmc.url()))
        .basic_auth("admin", Some(PASSWORD))
        .body(img.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "raw push needs application/octet-stream"
    );
    let r = client()
        .post(format!("{}/redfish/v1/UpdateService/update", bmc.url()))
        .basic_auth("admin", Some(PASSWORD))
        .header("Content-Type", "application/octet-stream")
        .body(img)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let task_uri = json(r).await.1["@odata.id"].as_str().unwrap().to_string();
    // The BMC reboots after its own update; wait for it to come back.
    for _ in 0..300 {
        if component(&bmc.state(), "bmc")["version"] == v.as_str() && !bmc.bmc().lock().rebooting {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    wait_task(&bmc, &task_uri, &["Completed"]).await;
    assert_eq!(component(&bmc.state(), "bmc")["version"], v.as_str());
}

#[tokio::test]
async fn supermicro_needs_start_update_and_names_the_task_only_in_message_args() {
    let bmc = fast(Persona::Supermicro).await;
    let st = bmc.state();
    let v = newer(component(&st, "bios"));
    let img = image_bytes("bios", &v, &[st["model"].as_str().unwrap()], 4096);
    let uri = "/redfish/v1/UpdateService/upload";
    let r = send_form(
        &bmc,
        uri,
        form(
            json!({"Targets": ["/redfish/v1/Systems/1/Bios"]}),
            img.clone(),
            "fw.img",
        ),
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "apply time is mandatory"
    );
    let r = send_form(
        &bmc,
        uri,
        form(
            json!({"Targets": ["/redfish/v1/Systems/1/Bios"], "@Redfish.OperationApplyTime": "OnStartUpdateRequest",
                   "Oem": {"Supermicro": {"BIOS": {"PreserveME": true, "PreserveNVRAM": true}}}}),
            img,
            "fw.img",
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert!(!r.headers().contains_key("Location"));
    let (_, body) = json(r).await;
    let task_uri = body["Accepted"]["@Message.ExtendedInfo"][0]["MessageArgs"][0]
        .as_str()
        .unwrap()
        .to_string();
    let t = wait_task(&bmc, &task_uri, &["Scheduled"]).await;
    assert_eq!(t["TaskState"], "Scheduled");
    post(
        &bmc,
        "/redfish/v1/UpdateService/Actions/UpdateService.StartUpdate",
        json!({}),
    )
    .await;
    wait_task(&bmc, &task_uri, &["Completed"]).await;
    assert_eq!(component(&bmc.state(), "bios")["version"], v.as_str());
}

/// XCC takes the standard multipart form (pubs.lenovo.com xcc2-restapi
/// `simple_update_firmware_post_multi_httppush`): no `OemParameters` part is
/// needed (that is the AMI-based Lenovo servers', the `ami` variant), an
/// `Oem` key inside `UpdateParameters` is refused. Until issue 16 the mock
/// wanted the AMI part from every XCC, which no Lenovo source says.
#[tokio::test]
async fn xcc_takes_the_standard_multipart_form() {
    let bmc = fast(Persona::Xcc).await;
    let st = bmc.state();
    let v = newer(component(&st, "nic"));
    let img = image_bytes("nic", &v, &[st["model"].as_str().unwrap()], 4096);
    let r = send_form(
        &bmc,
        "/mfwupdate",
        form(json!({"Oem": {"Lenovo": {}}}), img.clone(), "fw.img"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = send_form(&bmc, "/mfwupdate", form(json!({}), img, "fw.img")).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let task_uri = json(r).await.1["@odata.id"].as_str().unwrap().to_string();
    wait_task(&bmc, &task_uri, &["Completed"]).await;
    assert_eq!(component(&bmc.state(), "nic")["version"], v.as_str());
}

/// iDRAC9's OEM inventory (docs/MOCK-BMC.md): the ComputerSystem embeds
/// `Oem.Dell.DellSystem` with the decimal SystemID, and every firmware
/// member `Oem.Dell.DellSoftwareInventory` with its ComponentID and, for
/// PCI devices, the four PCI IDs; one card reports ComponentID `0`.
#[tokio::test]
async fn idrac_reports_its_system_id_and_dell_software_inventory() {
    let bmc = start(Persona::Idrac).await;
    let (_, sys) = get(&bmc, "/redfish/v1/Systems/System.Embedded.1").await;
    let dell = &sys["Oem"]["Dell"]["DellSystem"];
    let model = sys["Model"].as_str().unwrap();
    let expected = match model {
        "PowerEdge R650" => 2322,
        "PowerEdge R750" => 2318,
        other => panic!("unexpected model {other}"),
    };
    assert_eq!(dell["SystemID"], expected, "{sys}");
    assert!(
        dell["SystemID"].is_u64(),
        "a JSON number, as iDRAC sends it"
    );
    let (_, inv) = get(
        &bmc,
        "/redfish/v1/UpdateService/FirmwareInventory?$expand=.($levels=1)",
    )
    .await;
    let members = inv["Members"].as_array().unwrap();
    let oem = |needle: &str| -> &Value {
        let m = members
            .iter()
            .find(|m| m["Id"].as_str().unwrap().contains(needle))
            .unwrap_or_else(|| panic!("no member {needle} in {inv}"));
        &m["Oem"]["Dell"]["DellSoftwareInventory"]
    };
    let bios = oem("BIOS.Setup.1-1");
    assert_eq!(bios["ComponentID"], "159");
    assert_eq!(bios["ComponentType"], "BIOS");
    assert!(bios["VendorID"].is_null() && bios["SubDeviceID"].is_null());
    let lom = oem("NIC.Integrated.1-1-1");
    assert_eq!(lom["ComponentID"], "108255");
    assert_eq!(
        [
            &lom["VendorID"],
            &lom["DeviceID"],
            &lom["SubVendorID"],
            &lom["SubDeviceID"]
        ],
        ["14E4", "165F", "1028", "08FF"]
    );
    assert_eq!(
        lom["IdentityInfoValue"][0],
        "DCIM:firmware:14E4:165F:1028:08FF"
    );
    let x710 = oem("NIC.Slot.2-1-1");
    assert_eq!(x710["ComponentID"], "0");
    assert_eq!(
        [
            &x710["VendorID"],
            &x710["DeviceID"],
            &x710["SubVendorID"],
            &x710["SubDeviceID"]
        ],
        ["8086", "1572", "8086", "0007"]
    );
    // Other personas carry no Dell OEM.
    let ilo = start(Persona::Ilo).await;
    let (_, sys) = get(&ilo, "/redfish/v1/Systems/1").await;
    assert!(sys["Oem"]["Dell"].is_null(), "{sys}");
}

/// A Dell Update Package goes to the devices it names: an image for the
/// ComponentID-0 X710 (named by its PCI IDs), sent without `Targets`, updates
/// that card and leaves the other NIC alone.
#[tokio::test]
async fn idrac_applies_an_image_only_to_the_devices_it_names() {
    let mut cfg = mock_bmc::BmcConfig::new("idrac", Persona::Idrac, 3, 0, PASSWORD).ideal();
    cfg.timing.update = Duration::from_millis(100);
    let bmc = start_with(cfg).await;
    let st = bmc.state();
    let by_key = |st: &Value, key: &str| -> Value {
        st["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == key)
            .unwrap()
            .clone()
    };
    let (lom, x710) = (by_key(&st, "nic1"), by_key(&st, "nic2"));
    let v = newer(&x710);
    let bytes = {
        let mut out = Vec::new();
        mock_bmc::image::ImageBuilder::new(mock_bmc::Kind::Nic, v.clone())
            .models([st["model"].as_str().unwrap()])
            .devices(["8086:1572:8086:0007"])
            .payload_size(2048)
            .write_to(&mut out)
            .unwrap();
        out
    };
    let url = image_server(vec![("x710.exe", bytes)]).await;
    let r = post(&bmc, SU, json!({"ImageURI": format!("{url}/x710.exe")})).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let loc = r.headers()["Location"].to_str().unwrap().to_string();
    let t = wait_task(&bmc, &loc, &["Completed", "Exception"]).await;
    assert_eq!(t["TaskState"], "Completed", "{t}");
    let after = bmc.state();
    assert_eq!(by_key(&after, "nic2")["version"], v.as_str());
    assert_eq!(by_key(&after, "nic1")["version"], lom["version"]);
    assert_eq!(by_key(&after, "nic1")["flash_count"], 0);
}

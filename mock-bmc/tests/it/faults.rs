//! Every fault, injected at run time through `POST /mock/faults`, over real HTTP.

use crate::support::*;
use mock_bmc::Persona;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const SU: &str = "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate";

async fn set_faults(bmc: &mock_bmc::MockBmc, f: Value) -> Value {
    let r = client()
        .post(format!("{}/mock/faults", bmc.url()))
        .json(&f)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

async fn update(bmc: &mock_bmc::MockBmc, kind: &str) -> (String, String, String) {
    let st = bmc.state();
    let v = newer(component(&st, kind));
    let url = image_server(vec![(
        "fw.img",
        image_bytes(kind, &v, &[st["model"].as_str().unwrap()], 64 * 1024),
    )])
    .await;
    let r = post(bmc, SU, json!({"ImageURI": format!("{url}/fw.img")})).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let monitor = r.headers()["Location"].to_str().unwrap().to_string();
    let task = json(r).await.1["@odata.id"].as_str().unwrap().to_string();
    (monitor, task, v)
}

#[tokio::test]
async fn a_503_storm_carries_retry_after_then_passes() {
    let bmc = fast(Persona::Generic).await;
    set_faults(&bmc, json!({"unavailable": 3, "retry_after_secs": 2})).await;
    for _ in 0..3 {
        let r = client()
            .get(format!("{}/redfish/v1/Systems", bmc.url()))
            .basic_auth("admin", Some(PASSWORD))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()["Retry-After"], "2");
        assert_error(&json(r).await.1, "ServiceTemporarilyUnavailable");
    }
    assert_eq!(get(&bmc, "/redfish/v1/Systems").await.0, StatusCode::OK);
}

#[tokio::test]
async fn dropped_connections_and_malformed_json_reach_the_client() {
    let bmc = fast(Persona::Generic).await;
    set_faults(&bmc, json!({"drop_connections": 1})).await;
    let r = client()
        .get(format!("{}/redfish/v1/Systems", bmc.url()))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await;
    let failed = match r {
        Err(_) => true,
        Ok(resp) => resp.bytes().await.is_err(),
    };
    assert!(failed, "the connection should break");
    set_faults(&bmc, json!({"malformed_json": 1})).await;
    let r = client()
        .get(format!("{}/redfish/v1/Systems", bmc.url()))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    assert_eq!(
        get(&bmc, "/redfish/v1/Systems").await.0,
        StatusCode::OK,
        "faults are used up"
    );
}

#[tokio::test]
async fn slow_bodies_and_latency_slow_responses_down() {
    let bmc = fast(Persona::Generic).await;
    set_faults(&bmc, json!({"latency_ms": 150})).await;
    let t = Instant::now();
    get(&bmc, "/redfish/v1/").await;
    assert!(t.elapsed() >= Duration::from_millis(150));
    set_faults(&bmc, json!({"reset": true, "slow_body_ms": 20})).await;
    let t = Instant::now();
    let (status, body) = get(&bmc, "/redfish/v1/UpdateService").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["Id"], "UpdateService");
    assert!(
        t.elapsed() >= Duration::from_millis(200),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn expired_sessions_and_session_limits_can_be_forced() {
    let bmc = fast(Persona::Generic).await;
    let login = || {
        client()
            .post(format!("{}/redfish/v1/SessionService/Sessions", bmc.url()))
            .json(&json!({"UserName": "admin", "Password": PASSWORD}))
            .send()
    };
    let r = login().await.unwrap();
    let token = r.headers()["X-Auth-Token"].to_str().unwrap().to_string();
    set_faults(&bmc, json!({"expire_sessions": true, "session_limit": 1})).await;
    let r = client()
        .get(format!("{}/redfish/v1/Systems", bmc.url()))
        .header("X-Auth-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(login().await.unwrap().status(), StatusCode::CREATED);
    assert_eq!(
        login().await.unwrap().status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
}

#[tokio::test]
async fn task_faults_fail_stick_or_do_nothing() {
    let bmc = fast(Persona::Generic).await;
    set_faults(&bmc, json!({"task_fails": true})).await;
    let (m, _, _) = update(&bmc, "bios").await;
    let (_, fin) = follow(&bmc, &m).await;
    assert_eq!(fin["TaskState"], "Exception");
    assert!(message_keys(&fin).contains(&"Update.ApplyFailed".to_string()));
    assert_eq!(component(&bmc.state(), "bios")["flash_count"], 0);

    set_faults(&bmc, json!({"reset": true, "download_fails": true})).await;
    let (m, _, _) = update(&bmc, "bios").await;
    let (_, fin) = follow(&bmc, &m).await;
    assert!(
        message_keys(&fin).contains(&"Update.TransferFailed".to_string()),
        "{fin}"
    );

    set_faults(&bmc, json!({"reset": true, "silently_not_applied": true})).await;
    let before = component(&bmc.state(), "cpld")["version"].clone();
    let (m, _, _) = update(&bmc, "cpld").await;
    let (_, fin) = follow(&bmc, &m).await;
    assert_eq!(fin["TaskState"], "Completed", "the BMC claims success");
    assert_eq!(
        component(&bmc.state(), "cpld")["version"],
        before,
        "but nothing changed"
    );

    set_faults(&bmc, json!({"reset": true, "task_stuck": true})).await;
    let (_, task, _) = update(&bmc, "nic").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, t) = get(&bmc, &task).await;
    assert_eq!(t["TaskState"], "Running");
    assert_eq!(t["PercentComplete"], 50);
}

#[tokio::test]
async fn wrong_version_after_reboot_reports_another_version() {
    let bmc = fast(Persona::Generic).await;
    set_faults(&bmc, json!({"wrong_version_after_reboot": true})).await;
    let (m, _, v) = update(&bmc, "bmc").await;
    let _ = follow(&bmc, &m).await;
    for _ in 0..200 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let st = bmc.state();
        let now = component(&st, "bmc")["version"]
            .as_str()
            .unwrap()
            .to_string();
        if now != v && component(&st, "bmc")["flash_count"] == 1 && !bmc.bmc().lock().rebooting {
            assert_ne!(now, v);
            return;
        }
    }
    panic!("the BMC came back with the image's version");
}

#[tokio::test]
async fn bandwidth_limits_stretch_transfers() {
    let bmc = fast(Persona::Generic).await;
    set_faults(&bmc, json!({"download_bandwidth": 200_000})).await;
    let t = Instant::now();
    let (m, _, _) = update(&bmc, "psu").await; // 64 KiB payload at 200 kB/s
    let _ = follow(&bmc, &m).await;
    assert!(
        t.elapsed() >= Duration::from_millis(250),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn discarded_uploads_are_counted_not_applied() {
    let bmc = fast(Persona::Generic).await;
    set_faults(&bmc, json!({"discard_uploads": true})).await;
    let st = bmc.state();
    let img = image_bytes("bios", &newer(component(&st, "bios")), &[], 100_000);
    let form = reqwest::multipart::Form::new()
        .part(
            "UpdateParameters",
            reqwest::multipart::Part::text("{}")
                .mime_str("application/json")
                .unwrap(),
        )
        .part(
            "UpdateFile",
            reqwest::multipart::Part::bytes(img).file_name("x.img"),
        );
    let r = client()
        .post(format!("{}/redfish/v1/UpdateService/upload", bmc.url()))
        .basic_auth("admin", Some(PASSWORD))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let (_, fin) = follow(&bmc, r.headers()["Location"].to_str().unwrap()).await;
    assert_eq!(fin["TaskState"], "Completed");
    assert_eq!(component(&bmc.state(), "bios")["flash_count"], 0);
}

#[tokio::test]
async fn schema_quirks_break_the_schema_like_real_bmcs() {
    let bmc = fast(Persona::Generic).await;
    set_faults(&bmc, json!({"schema_quirks": true})).await;
    let (_, item) = get(&bmc, "/redfish/v1/UpdateService/FirmwareInventory/PSU1").await;
    assert_eq!(item["Version"], "N/A");
    assert_eq!(item["ReleaseDate"], "0000-00-00T00:00:00Z");
    let (_, drive) = get(&bmc, "/redfish/v1/UpdateService/FirmwareInventory/DRIVE1").await;
    assert_eq!(drive["Version"], "0\u{14}");
    assert!(item.get("Status").is_none());
    let (_, sw) = get(&bmc, "/redfish/v1/UpdateService/SoftwareInventory").await;
    assert!(sw["Members"].is_null());
}

#[tokio::test]
async fn unknown_faults_are_refused_with_the_list() {
    let bmc = fast(Persona::Generic).await;
    let r = client()
        .post(format!("{}/mock/faults", bmc.url()))
        .json(&json!({"explode": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("task-stuck"));
}

//! The `field` behaviour over plain HTTP, one test per row of the table
//! "Field behaviour" in docs/MOCK-BMC.md; each test names its row's source.
//!
//! Durations are compressed with the time scale (÷ 600: a BMC reboot is
//! 0.5 s); every wait polls for the event with a deadline, never a fixed sleep.

use crate::support::*;
use mock_bmc::{BmcConfig, MockBmc, Persona, Variant};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const SU: &str = "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate";
const FI: &str = "/redfish/v1/UpdateService/FirmwareInventory";
const DEADLINE: Duration = Duration::from_secs(60);

async fn field_bmc(persona: Persona, variant: Variant, overrides: &[(&str, f64)]) -> MockBmc {
    let mut cfg =
        BmcConfig::new_variant("bmc-field", persona, variant, 21, 0, PASSWORD).field(600.0);
    // Long enough to be seen by a poller on a loaded machine, still fast.
    cfg.field.set("pause", Duration::from_millis(400)).unwrap();
    cfg.field
        .set("task-vanish", Duration::from_secs(30))
        .unwrap();
    for (name, secs) in overrides {
        cfg.field.set(name, Duration::from_secs_f64(*secs)).unwrap();
    }
    start_with(cfg).await
}

/// GET with Basic auth; `None` while the BMC refuses connections.
async fn try_get(bmc: &MockBmc, path: &str) -> Option<(StatusCode, Value)> {
    let r = client()
        .get(format!("{}{path}", bmc.url()))
        .basic_auth("admin", Some(PASSWORD))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .ok()?;
    Some(json(r).await)
}

/// Poll `probe` every 10 ms until it returns `Some`, or fail naming `what`.
async fn until<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Poll and record every distinct observation of `probe` until `done` holds for one.
async fn timeline<F, Fut>(what: &str, mut probe: F, done: impl Fn(&str) -> bool) -> Vec<String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = String>,
{
    let start = Instant::now();
    let mut seen: Vec<String> = Vec::new();
    loop {
        let o = probe().await;
        if seen.last() != Some(&o) {
            seen.push(o.clone());
        }
        if done(&o) {
            return seen;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "timed out waiting for {what}: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// `sub` appears in `seq` in this order (other observations may sit between).
fn in_order(seq: &[String], sub: &[&str]) -> bool {
    let mut it = seq.iter();
    sub.iter().all(|s| it.any(|o| o == s))
}

fn version(bmc: &MockBmc, kind: &str) -> String {
    component(&bmc.state(), kind)["version"]
        .as_str()
        .unwrap()
        .to_string()
}

/// An image server holding a newer image for `kind` named `file`; (URL, version).
async fn image(bmc: &MockBmc, kind: &str, file: &'static str) -> (String, String) {
    let st = bmc.state();
    let v = newer(component(&st, kind));
    let url = image_server(vec![(
        file,
        image_bytes(kind, &v, &[st["model"].as_str().unwrap()], 4096),
    )])
    .await;
    (format!("{url}/{file}"), v)
}

fn form(params: Value, file: Vec<u8>) -> reqwest::multipart::Form {
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
                .file_name("fw.bin")
                .mime_str("application/octet-stream")
                .unwrap(),
        )
}

async fn push(bmc: &MockBmc, uri: &str, f: reqwest::multipart::Form) -> reqwest::Response {
    client()
        .post(format!("{}{uri}", bmc.url()))
        .basic_auth("admin", Some(PASSWORD))
        .multipart(f)
        .send()
        .await
        .unwrap()
}

fn img(bmc: &MockBmc, kind: &str) -> (Vec<u8>, String) {
    let st = bmc.state();
    let v = newer(component(&st, kind));
    (
        image_bytes(kind, &v, &[st["model"].as_str().unwrap()], 4096),
        v,
    )
}

async fn login(bmc: &MockBmc) -> String {
    let r = client()
        .post(format!("{}/redfish/v1/SessionService/Sessions", bmc.url()))
        .json(&json!({"UserName": "admin", "Password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.headers()["X-Auth-Token"].to_str().unwrap().to_string()
}

async fn with_token(bmc: &MockBmc, token: &str, path: &str) -> StatusCode {
    client()
        .get(format!("{}{path}", bmc.url()))
        .header("X-Auth-Token", token)
        .send()
        .await
        .unwrap()
        .status()
}

/// Task state (or `gone`, `down`) of `uri`, for timelines.
async fn task_probe(bmc: &MockBmc, uri: &str) -> String {
    match try_get(bmc, uri).await {
        None => "down".into(),
        Some((StatusCode::NOT_FOUND, _)) => "gone".into(),
        Some((_, t)) => t["TaskState"].as_str().unwrap_or("?").to_string(),
    }
}

async fn reset_host(bmc: &MockBmc, system: &str) {
    let r = post(
        bmc,
        &format!("{system}/Actions/ComputerSystem.Reset"),
        json!({"ResetType": "ForceRestart"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
}

/// Watch a host reset: PowerState/BootProgress and the `kind` version, until the OS
/// runs with version `want`.
async fn watch_post(bmc: &MockBmc, system: &str, kind: &str, want: &str) -> Vec<String> {
    timeline(
        "the host to boot",
        || async {
            let (_, s) = try_get(bmc, system).await.unwrap_or_default();
            format!(
                "{}/{}/{}",
                s["PowerState"].as_str().unwrap_or("?"),
                s["BootProgress"]["LastState"].as_str().unwrap_or("?"),
                if kind.is_empty() {
                    String::new()
                } else {
                    version(bmc, kind)
                }
            )
        },
        |o| o.contains("/OSRunning/") && o.ends_with(want),
    )
    .await
}

// --- activation: BMC firmware --------------------------------------------------------------

/// Row "BMC firmware activates after a BMC reboot" (generic; DSP0266 Immediate may
/// reset the manager; bmcweb commit 274dfe625f, inferred for generic).
#[tokio::test]
async fn generic_bmc_image_is_active_only_after_the_reboot_that_drops_sessions_and_tasks() {
    let bmc = field_bmc(Persona::Generic, Variant::Standard, &[]).await;
    let token = login(&bmc).await;
    let old = version(&bmc, "bmc");
    let (url, v) = image(&bmc, "bmc", "bmc.img").await;
    let r = post(&bmc, SU, json!({"ImageURI": url})).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let task = json(r).await.1["@odata.id"].as_str().unwrap().to_string();
    let seen = timeline(
        "the BMC to reboot and come back",
        || async {
            let t = task_probe(&bmc, &task).await;
            format!(
                "{t}/{}",
                if version(&bmc, "bmc") == v {
                    "new"
                } else {
                    "old"
                }
            )
        },
        |o| o == "gone/new",
    )
    .await;
    assert!(
        in_order(
            &seen,
            &["Running/old", "Completed/old", "down/old", "gone/new"]
        ),
        "{seen:?}"
    );
    assert_ne!(old, v);
    assert_eq!(
        with_token(&bmc, &token, "/redfish/v1/Systems").await,
        StatusCode::UNAUTHORIZED,
        "sessions are gone"
    );
    let (_, tasks) = get(&bmc, "/redfish/v1/TaskService/Tasks").await;
    assert_eq!(
        tasks["Members@odata.count"], 0,
        "tasks are gone after a reboot"
    );
    assert_eq!(bmc.state()["field"]["reboots"], 1);
}

/// Row "bmcweb multipart defaults to OnReset: Stopping + TaskPaused" (openbmc/bmcweb
/// update_service.hpp updateMultipartContext, handleCreateTask).
#[tokio::test]
async fn openbmc_multipart_defaults_to_on_reset_and_activates_after_manager_reset() {
    let bmc = field_bmc(Persona::Openbmc, Variant::Standard, &[]).await;
    let (file, v) = img(&bmc, "bmc");
    let r = push(
        &bmc,
        "/redfish/v1/UpdateService/update-multipart",
        form(json!({"Targets": ["/redfish/v1/Managers/bmc"]}), file),
    )
    .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let task = json(r).await.1["@odata.id"].as_str().unwrap().to_string();
    let t = until("Stopping", || async {
        let (_, t) = try_get(&bmc, &task).await?;
        (t["TaskState"] == "Stopping").then_some(t)
    })
    .await;
    assert!(
        message_keys(&t).contains(&"TaskEvent.TaskPaused".to_string()),
        "{t}"
    );
    assert_ne!(version(&bmc, "bmc"), v, "staged, not active");
    let (_, fi) = get(&bmc, FI).await;
    assert!(fi["Members"].to_string().contains("-Staged"), "{fi}");
    let r = post(
        &bmc,
        "/redfish/v1/Managers/bmc/Actions/Manager.Reset",
        json!({"ResetType": "GracefulRestart"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    until("the new version", || async {
        (version(&bmc, "bmc") == v && try_get(&bmc, "/redfish/v1").await.is_some()).then_some(())
    })
    .await;
    assert_eq!(task_probe(&bmc, &task).await, "gone");
    let c = component(&bmc.state(), "bmc").clone();
    assert_eq!(
        (c["flash_count"].as_u64(), c["resets_received"].as_u64()),
        (Some(1), Some(1)),
        "{c}"
    );
}

/// Row "bmcweb Immediate: task Completed when Active, then the BMC reboots itself"
/// (bmcweb handleCreateTask; commit 274dfe625f force-reboot).
#[tokio::test]
async fn openbmc_immediate_completes_then_reboots_into_the_image() {
    let bmc = field_bmc(Persona::Openbmc, Variant::Standard, &[]).await;
    let (file, v) = img(&bmc, "bmc");
    let r = push(
        &bmc,
        "/redfish/v1/UpdateService/update-multipart",
        form(json!({"@Redfish.OperationApplyTime": "Immediate"}), file),
    )
    .await;
    let monitor = r.headers()["Location"].to_str().unwrap().to_string();
    let seen = timeline(
        "the monitor to end and the BMC to come back",
        || async {
            match client()
                .get(format!("{}{monitor}", bmc.url()))
                .basic_auth("admin", Some(PASSWORD))
                .send()
                .await
            {
                Err(_) => "down".to_string(),
                Ok(r) => format!(
                    "{}/{}",
                    r.status().as_u16(),
                    if version(&bmc, "bmc") == v {
                        "new"
                    } else {
                        "old"
                    }
                ),
            }
        },
        |o| o == "404/new",
    )
    .await;
    assert!(
        in_order(&seen, &["202/old", "204/old", "down", "404/new"]),
        "{seen:?}"
    );
}

/// Row "bmcweb raw push follows HttpPushUriOptions.HttpPushUriApplyTime" (bmcweb
/// commit 274dfe625f: PATCHable ApplyTime; removed in 9c95be77a6, 2024).
#[tokio::test]
async fn openbmc_raw_push_follows_the_patched_service_wide_apply_time() {
    let bmc = field_bmc(Persona::Openbmc, Variant::Standard, &[]).await;
    let r = client()
        .patch(format!("{}/redfish/v1/UpdateService", bmc.url()))
        .basic_auth("admin", Some(PASSWORD))
        .json(&json!({"HttpPushUriOptions": {"HttpPushUriApplyTime": {"ApplyTime": "OnReset"}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        json(r).await.1["HttpPushUriOptions"]["HttpPushUriApplyTime"]["ApplyTime"],
        "OnReset"
    );
    let (file, v) = img(&bmc, "bmc");
    let r = client()
        .post(format!("{}/redfish/v1/UpdateService/update", bmc.url()))
        .basic_auth("admin", Some(PASSWORD))
        .header("Content-Type", "application/octet-stream")
        .body(file)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let task = json(r).await.1["@odata.id"].as_str().unwrap().to_string();
    until("Stopping", || async {
        (task_probe(&bmc, &task).await == "Stopping").then_some(())
    })
    .await;
    assert_ne!(version(&bmc, "bmc"), v);
}

/// Row "iDRAC resets itself before its job reports Completed; the job queue has the
/// end" (dell/iDRAC-Redfish-Scripting#231, #275; DeviceFirmwareMultipartUploadREDFISH.py).
#[tokio::test]
async fn idrac_resets_before_the_job_completes_and_the_job_queue_keeps_the_end() {
    let bmc = field_bmc(Persona::Idrac, Variant::Standard, &[]).await;
    let token = login(&bmc).await;
    let (url, v) = image(&bmc, "bmc", "idrac.exe").await;
    let r = post(&bmc, SU, json!({"ImageURI": url})).await;
    let loc = r.headers()["Location"].to_str().unwrap().to_string();
    let jid = loc.rsplit('/').next().unwrap().to_string();
    let job_uri = format!("/redfish/v1/Managers/iDRAC.Embedded.1/Oem/Dell/Jobs/{jid}");
    let seen = timeline(
        "the iDRAC to come back",
        || async {
            let t = task_probe(&bmc, &loc).await;
            let j = bmc.state()["field"]["jobs"]
                .as_array()
                .and_then(|a| {
                    a.iter()
                        .find(|j| j["Id"] == jid.as_str())
                        .map(|j| j["JobState"].as_str().unwrap_or("").to_string())
                })
                .unwrap_or_default();
            format!("{t}/{j}")
        },
        |o| o.starts_with("gone/"),
    )
    .await;
    assert!(
        in_order(
            &seen,
            &["Running/Running", "down/Running", "gone/Completed"]
        ),
        "{seen:?}"
    );
    assert_eq!(version(&bmc, "bmc"), v);
    let (s, job) = get(&bmc, &job_uri).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (job["JobState"].as_str(), job["MessageId"].as_str()),
        (Some("Completed"), Some("IDRAC.2.9.RED001")),
        "{job}"
    );
    let (_, job) = get(&bmc, &format!("/redfish/v1/JobService/Jobs/{jid}")).await;
    assert_eq!(job["JobState"], "Completed");
    assert!(job["Messages"][0]["Message"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .contains("success"));
    assert_eq!(
        with_token(&bmc, &token, "/redfish/v1").await,
        StatusCode::OK,
        "root needs no session"
    );
    assert_eq!(
        with_token(&bmc, &token, "/redfish/v1/Systems").await,
        StatusCode::UNAUTHORIZED
    );
    let prev = bmc.state()["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["role"] == "previous")
        .unwrap()
        .clone();
    assert_ne!(prev["version"], v.as_str(), "the old image is the rollback");
}

/// Row "rollback: SimpleUpdate with ImageURI = a Previous- entry installs the kept image"
/// (dellemc-openmanage-ansible-modules `redfish_firmware_rollback`): nothing is
/// downloaded, the iDRAC resets as for its own update, and the versions swap.
#[tokio::test]
async fn idrac_rollback_to_the_previous_entry_swaps_the_versions() {
    let bmc = field_bmc(Persona::Idrac, Variant::Standard, &[]).await;
    let entry = |role: &str| {
        bmc.state()["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["kind"] == "bmc" && c["role"] == role)
            .unwrap()
            .clone()
    };
    let (was, prev) = (entry("active"), entry("previous"));
    let prev_uri = format!(
        "/redfish/v1/UpdateService/FirmwareInventory/{}",
        prev["id"].as_str().unwrap()
    );
    let (s, listed) = get(&bmc, &prev_uri).await;
    assert_eq!(s, StatusCode::OK, "the Previous- entry is served");
    assert_eq!(listed["Version"], prev["version"]);
    let r = post(&bmc, SU, json!({"ImageURI": prev_uri})).await;
    assert!(r.status().is_success(), "{}", r.status());
    let loc = r.headers()["Location"].to_str().unwrap().to_string();
    let seen = timeline(
        "the iDRAC to come back",
        || async { task_probe(&bmc, &loc).await },
        |o| o == "gone",
    )
    .await;
    assert!(in_order(&seen, &["Running", "down", "gone"]), "{seen:?}");
    assert_eq!(version(&bmc, "bmc"), prev["version"].as_str().unwrap());
    assert_eq!(
        entry("previous")["version"],
        was["version"],
        "the replaced image is kept"
    );

    // An ImageURI naming an entry that is not a kept image is refused.
    let active = format!(
        "/redfish/v1/UpdateService/FirmwareInventory/{}",
        entry("active")["id"].as_str().unwrap()
    );
    let r = post(&bmc, SU, json!({"ImageURI": active})).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

// --- activation: host firmware -------------------------------------------------------------

/// Row "host firmware is staged and activated by a host reset, POST shown in
/// PowerState/BootProgress" (generic, OnReset; Update registry AwaitToActivate,
/// Base ResetRequired; ComputerSystem BootProgress).
#[tokio::test]
async fn generic_bios_on_reset_waits_for_the_host_reset_and_changes_after_post() {
    let bmc = field_bmc(Persona::Generic, Variant::Standard, &[]).await;
    let (url, v) = image(&bmc, "bios", "bios.img").await;
    let r = post(
        &bmc,
        SU,
        json!({"ImageURI": url, "@Redfish.OperationApplyTime": "OnReset"}),
    )
    .await;
    let task = json(r).await.1["@odata.id"].as_str().unwrap().to_string();
    let t = until("Pending", || async {
        let (_, t) = try_get(&bmc, &task).await?;
        (t["TaskState"] == "Pending").then_some(t)
    })
    .await;
    let keys = message_keys(&t);
    assert!(
        keys.contains(&"Update.AwaitToActivate".to_string())
            && keys.contains(&"Base.ResetRequired".to_string()),
        "{keys:?}"
    );
    let (_, staged) = get(&bmc, &format!("{FI}/BIOS-Staged")).await;
    assert_eq!(
        (staged["Staged"].as_bool(), staged["Version"].as_str()),
        (Some(true), Some(v.as_str()))
    );
    assert_ne!(version(&bmc, "bios"), v);
    reset_host(&bmc, "/redfish/v1/Systems/1").await;
    let seen = watch_post(&bmc, "/redfish/v1/Systems/1", "bios", &v).await;
    let old = seen[0].rsplit('/').next().unwrap().to_string();
    assert!(
        in_order(
            &seen,
            &[
                &format!("PoweringOn/PrimaryProcessorInitializationStarted/{old}"),
                &format!("PoweringOn/OEM/{old}"),
                &format!("On/SystemHardwareInitializationComplete/{v}"),
                &format!("On/OSRunning/{v}"),
            ]
        ),
        "{seen:?}"
    );
    let t = until("Completed", || async {
        let (_, t) = try_get(&bmc, &task).await?;
        (t["TaskState"] == "Completed").then_some(t)
    })
    .await;
    assert!(message_keys(&t).contains(&"Update.UpdateSuccessful".to_string()));
    assert_eq!(
        get(&bmc, &format!("{FI}/BIOS-Staged")).await.0,
        StatusCode::NOT_FOUND
    );
}

/// Row "generic Immediate host firmware: the BMC resets the host itself" (DSP0266
/// OperationApplyTime Immediate; inferred).
#[tokio::test]
async fn generic_bios_immediate_resets_the_host_itself() {
    let bmc = field_bmc(Persona::Generic, Variant::Standard, &[]).await;
    let (url, v) = image(&bmc, "bios", "bios.img").await;
    post(&bmc, SU, json!({"ImageURI": url})).await;
    let seen = watch_post(&bmc, "/redfish/v1/Systems/1", "bios", &v).await;
    assert!(
        seen.iter().any(|o| o.starts_with("PoweringOn/")),
        "{seen:?}"
    );
    assert!(seen.last().unwrap().ends_with(&v), "{seen:?}");
    assert_eq!(bmc.state()["field"]["host_resets"], 1);
}

/// Row "iDRAC host firmware: job Scheduled (TaskState Starting, JCP001) until the host
/// resets; Available-, then Current-/Installed- while pending" (Dell OpenManage
/// idrac_network_attributes JCP001 sample; FIELD-NOTES B5.30; inferred for the ids).
#[tokio::test]
async fn idrac_bios_job_waits_scheduled_and_the_inventory_shows_dell_states() {
    let bmc = field_bmc(Persona::Idrac, Variant::Standard, &[("bios-flash", 1.5)]).await;
    let (url, v) = image(&bmc, "bios", "bios.exe").await;
    let r = post(
        &bmc,
        SU,
        json!({"ImageURI": url, "@Redfish.OperationApplyTime": "OnReset"}),
    )
    .await;
    let loc = r.headers()["Location"].to_str().unwrap().to_string();
    let t = until("Scheduled", || async {
        let (_, t) = try_get(&bmc, &loc).await?;
        (t["Oem"]["Dell"]["JobState"] == "Scheduled").then_some(t)
    })
    .await;
    assert_eq!(t["TaskState"], "Starting");
    assert_eq!(t["Oem"]["Dell"]["MessageId"], "IDRAC.2.9.JCP001");
    let avail = format!("{FI}/Available-159-{v}");
    assert!(
        get(&bmc, FI).await.1["Members"]
            .to_string()
            .contains(&avail),
        "uploaded, not installed"
    );
    reset_host(&bmc, "/redfish/v1/Systems/System.Embedded.1").await;
    let (cur, inst) = until("Current-/Installed- while the flash runs", || async {
        let (_, fi) = try_get(&bmc, FI).await?;
        let m = fi["Members"].to_string();
        let cur = m.contains("/Current-159-");
        let inst = m.contains(&format!("/Installed-159-{v}__"));
        (cur && inst).then_some((cur, inst))
    })
    .await;
    assert!(cur && inst);
    assert_ne!(version(&bmc, "bios"), v, "pending: written, not running");
    until("the job to complete", || async {
        let (_, t) = try_get(&bmc, &loc).await?;
        (t["Oem"]["Dell"]["JobState"] == "Completed").then_some(())
    })
    .await;
    assert_eq!(version(&bmc, "bios"), v);
    let (_, fi) = get(&bmc, FI).await;
    assert!(!fi["Members"].to_string().contains("/Current-"), "{fi}");
    assert!(
        fi["Members"].to_string().contains(&avail),
        "the package is left over"
    );
    let r = client()
        .delete(format!("{}{avail}", bmc.url()))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(!get(&bmc, FI).await.1["Members"]
        .to_string()
        .contains("Available-"));
}

/// Row "iDRAC9 under Immediate reboots the host by itself" (dell/iDRAC-Redfish-Scripting#166).
#[tokio::test]
async fn idrac9_immediate_reboots_the_host_itself() {
    let bmc = field_bmc(Persona::Idrac, Variant::Standard, &[]).await;
    let (url, v) = image(&bmc, "bios", "bios.exe").await;
    let r = post(
        &bmc,
        SU,
        json!({"ImageURI": url, "@Redfish.OperationApplyTime": "Immediate"}),
    )
    .await;
    let loc = r.headers()["Location"].to_str().unwrap().to_string();
    let seen = watch_post(&bmc, "/redfish/v1/Systems/System.Embedded.1", "bios", &v).await;
    assert!(seen.last().unwrap().ends_with(&v), "{seen:?}");
    until("Completed", || async {
        (task_probe(&bmc, &loc).await == "Completed").then_some(())
    })
    .await;
    assert_eq!(bmc.state()["field"]["host_resets"], 1);
}

/// Row "iLO flashes its own firmware with progress in UpdateService.Oem.Hpe, then
/// resets itself" (ilo-rest-api-docs _ilo5_updateservicedoc.md; HPEDevCom/redfishdocs
/// firmware_update_part3.md).
#[tokio::test]
async fn ilo_progress_is_in_oem_hpe_and_ilo_resets_after_its_flash() {
    let bmc = field_bmc(
        Persona::Ilo,
        Variant::Standard,
        &[("bmc-flash", 1.0), ("transfer", 1.0)],
    )
    .await;
    let (url, v) = image(&bmc, "bmc", "ilo5_250.bin").await;
    let r = post(&bmc, SU, json!({"ImageURI": url})).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let body = json(r).await.1;
    assert!(
        body.get("PercentComplete").is_none(),
        "iLO tasks carry no percentage: {body}"
    );
    let seen = timeline(
        "iLO to come back",
        || async {
            match try_get(&bmc, "/redfish/v1/UpdateService").await {
                None => "down".to_string(),
                Some((_, u)) => {
                    let hpe = &u["Oem"]["Hpe"];
                    let pct = if hpe["FlashProgressPercent"].is_number() {
                        "%"
                    } else {
                        ""
                    };
                    format!(
                        "{}{pct}/{}",
                        hpe["State"].as_str().unwrap_or("?"),
                        if version(&bmc, "bmc") == v {
                            "new"
                        } else {
                            "old"
                        }
                    )
                }
            }
        },
        |o| o == "Idle/new",
    )
    .await;
    assert!(
        in_order(
            &seen,
            &[
                "Verifying/old",
                "Updating%/old",
                "Complete%/old",
                "down",
                "Idle/new"
            ]
        ),
        "{seen:?}"
    );
}

/// Row "iLO stages the System ROM; Oem.Hpe.Result says SystemResetRequired" (HPE
/// redfishdocs part3: UEFI staged and flashed at next reboot; iLO message registry).
#[tokio::test]
async fn ilo_system_rom_is_staged_with_system_reset_required() {
    let bmc = field_bmc(Persona::Ilo, Variant::Standard, &[]).await;
    let (url, v) = image(&bmc, "bios", "U46_2.80.signed.flash").await;
    post(&bmc, SU, json!({"ImageURI": url})).await;
    until("SystemResetRequired", || async {
        let (_, u) = try_get(&bmc, "/redfish/v1/UpdateService").await?;
        (u["Oem"]["Hpe"]["Result"]["MessageId"] == "iLO.2.15.SystemResetRequired").then_some(())
    })
    .await;
    assert_ne!(version(&bmc, "bios"), v);
    reset_host(&bmc, "/redfish/v1/Systems/1").await;
    let seen = watch_post(&bmc, "/redfish/v1/Systems/1", "bios", &v).await;
    assert!(seen.last().unwrap().ends_with(&v), "{seen:?}");
    let (_, u) = get(&bmc, "/redfish/v1/UpdateService").await;
    assert_eq!(u["Oem"]["Hpe"]["State"], "Idle");
}

/// Row "iLO SimpleUpdate takes only .bin/.signed.flash; others get 200 and fail"
/// (HPEDevCom/redfishdocs firmware_update_part3.md).
#[tokio::test]
async fn ilo_answers_200_to_other_image_types_and_then_fails() {
    let bmc = field_bmc(Persona::Ilo, Variant::Standard, &[]).await;
    let (url, _) = image(&bmc, "bios", "firmware.fwpkg").await;
    let r = post(&bmc, SU, json!({"ImageURI": url})).await;
    assert_eq!(r.status(), StatusCode::OK);
    until("Error", || async {
        let (_, u) = try_get(&bmc, "/redfish/v1/UpdateService").await?;
        (u["Oem"]["Hpe"]["State"] == "Error").then_some(())
    })
    .await;
    assert_eq!(component(&bmc.state(), "bios")["flash_count"], 0);
    assert_eq!(
        get(&bmc, "/redfish/v1/TaskService/Tasks").await.1["Members@odata.count"],
        0
    );
}

/// Row "iLO `legacy` (iLO 5 before 2.30): SimpleUpdate answers without a task"
/// (HPEDevCom/redfishdocs firmware_update_part3.md: tasks from 2.30 on).
#[tokio::test]
async fn ilo_legacy_simple_update_has_no_task_and_reports_in_oem_hpe() {
    let bmc = field_bmc(Persona::Ilo, Variant::Legacy, &[]).await;
    assert!(version(&bmc, "bmc").as_str() < "2.30");
    let (url, v) = image(&bmc, "bmc", "ilo5_220.bin").await;
    let r = post(&bmc, SU, json!({"ImageURI": url})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!r.headers().contains_key("Location"));
    until("the new iLO", || async {
        let (_, u) = try_get(&bmc, "/redfish/v1/UpdateService").await?;
        (u["Oem"]["Hpe"]["State"] == "Idle" && version(&bmc, "bmc") == v).then_some(())
    })
    .await;
    assert_eq!(
        get(&bmc, "/redfish/v1/TaskService/Tasks").await.1["Members@odata.count"],
        0
    );
}

// --- Supermicro ----------------------------------------------------------------------------

fn smc_params(target: &str, preserve_cfg: bool) -> Value {
    json!({"Targets": [target], "@Redfish.OperationApplyTime": "OnStartUpdateRequest",
           "Oem": {"Supermicro": {"BMC": {"PreserveCfg": preserve_cfg, "PreserveSdr": true, "PreserveSsl": true}}}})
}

fn smc_task(body: &Value) -> String {
    body["Accepted"]["@Message.ExtendedInfo"][0]["MessageArgs"][0]
        .as_str()
        .unwrap()
        .to_string()
}

/// Row "Supermicro: BMC Verify task, nothing written until StartUpdate, update mode,
/// BMC Update task, reboot" (bmclib providers/supermicro/docs/x12.md, x12.go).
#[tokio::test]
async fn supermicro_verifies_holds_update_mode_and_installs_on_start_update() {
    let bmc = field_bmc(Persona::Supermicro, Variant::Standard, &[]).await;
    let (file, v) = img(&bmc, "bmc");
    let r = push(
        &bmc,
        "/redfish/v1/UpdateService/upload",
        form(smc_params("/redfish/v1/Managers/1", true), file.clone()),
    )
    .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let verify = smc_task(&json(r).await.1);
    let t = until("BMC Verify Completed", || async {
        let (_, t) = try_get(&bmc, &verify).await?;
        (t["TaskState"] == "Completed").then_some(t)
    })
    .await;
    assert_eq!(t["Name"], "BMC Verify");
    assert_eq!(t["TaskStatus"], "OK");
    assert_eq!(t["Messages"][0]["MessageId"], "", "blank messages: {t}");
    let st = bmc.state();
    assert_eq!(
        component(&st, "bmc")["flash_count"],
        0,
        "nothing written yet"
    );
    assert_eq!(st["field"]["update_mode"], true);
    assert_eq!(component(&st, "bmc")["preserve_flags"]["PreserveCfg"], true);
    let r = push(
        &bmc,
        "/redfish/v1/UpdateService/upload",
        form(smc_params("/redfish/v1/Managers/1", true), file),
    )
    .await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(json(r)
        .await
        .1
        .to_string()
        .contains("OemFirmwareAlreadyInUpdateMode"));
    let r = post(
        &bmc,
        "/redfish/v1/UpdateService/Actions/UpdateService.StartUpdate",
        json!({}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let update = smc_task(&json(r).await.1);
    assert_ne!(update, verify);
    let seen = timeline(
        "the BMC Update task and the reboot",
        || async {
            format!(
                "{}/{}",
                task_probe(&bmc, &update).await,
                version(&bmc, "bmc") == v
            )
        },
        |o| o == "gone/true",
    )
    .await;
    assert!(
        in_order(
            &seen,
            &[
                "Running/false",
                "Completed/false",
                "down/false",
                "gone/true"
            ]
        ),
        "{seen:?}"
    );
    let st = bmc.state();
    assert_eq!(st["field"]["update_mode"], false);
    assert_eq!(component(&st, "bmc")["start_update_calls"], 1);
}

/// Row "fault no-preserve-resets-config: a BMC update without PreserveCfg resets the
/// configuration" (bmclib x12.go sends PreserveCfg; inferred consequence).
#[tokio::test]
async fn supermicro_without_preserve_cfg_comes_back_with_factory_credentials_under_the_fault() {
    let mut cfg = BmcConfig::new("bmc-smc", Persona::Supermicro, 21, 0, PASSWORD).field(600.0);
    cfg.faults.no_preserve_resets_config = Some(true);
    let bmc = start_with(cfg).await;
    let (file, v) = img(&bmc, "bmc");
    let r = push(
        &bmc,
        "/redfish/v1/UpdateService/upload",
        form(smc_params("/redfish/v1/Managers/1", false), file),
    )
    .await;
    let verify = smc_task(&json(r).await.1);
    until("verified", || async {
        (task_probe(&bmc, &verify).await == "Completed").then_some(())
    })
    .await;
    post(
        &bmc,
        "/redfish/v1/UpdateService/Actions/UpdateService.StartUpdate",
        json!({}),
    )
    .await;
    until("the new BMC", || async {
        (version(&bmc, "bmc") == v && try_get(&bmc, "/redfish/v1").await.is_some()).then_some(())
    })
    .await;
    assert_eq!(
        try_get(&bmc, "/redfish/v1/Systems").await.unwrap().0,
        StatusCode::UNAUTHORIZED
    );
    let r = client()
        .get(format!("{}/redfish/v1/Systems", bmc.url()))
        .basic_auth("ADMIN", Some("ADMIN"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(bmc.state()["field"]["config_reset"], true);
}

// --- Lenovo --------------------------------------------------------------------------------

/// Row "XCC takes the standard multipart form; push and multipart exclude each other
/// (503); HttpPushUriTargetsBusy is stored" (pubs.lenovo.com xcc2-restapi
/// simple_update_firmware_post_multi_httppush; lenovo/python-redfish-lenovo update_firmware.py).
#[tokio::test]
async fn xcc_standard_multipart_push_exclusion_and_targets_busy() {
    let bmc = field_bmc(Persona::Xcc, Variant::Standard, &[("bmc-flash", 3.0)]).await;
    let r = client()
        .patch(format!("{}/redfish/v1/UpdateService", bmc.url()))
        .basic_auth("admin", Some(PASSWORD))
        .json(&json!({"HttpPushUriTargetsBusy": true, "HttpPushUriTargets": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        get(&bmc, "/redfish/v1/UpdateService").await.1["HttpPushUriTargetsBusy"],
        true
    );
    let (file, v) = img(&bmc, "nic");
    let r = push(
        &bmc,
        "/mfwupdate",
        form(json!({"Targets": []}), file.clone()),
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::ACCEPTED,
        "no OemParameters part needed"
    );
    let task = json(r).await.1["@odata.id"].as_str().unwrap().to_string();
    let r = client()
        .post(format!("{}/fwupdate", bmc.url()))
        .basic_auth("admin", Some(PASSWORD))
        .header("Content-Type", "application/octet-stream")
        .body(file)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "push while multipart runs"
    );
    until("the task to stage", || async {
        let s = task_probe(&bmc, &task).await;
        (s == "Pending" || s == "Completed").then_some(())
    })
    .await;
    let _ = v;
}

/// Row "AMI-based Lenovo (SR635/SR655) needs the OemParameters part with a FlashType"
/// (lenovo/python-redfish-lenovo lenovo_update_firmware.py; FIELD-NOTES B4.21).
#[tokio::test]
async fn ami_lenovo_requires_oem_parameters_and_names_itself_ami() {
    let bmc = field_bmc(Persona::Xcc, Variant::Ami, &[]).await;
    let (_, root) = get(&bmc, "/redfish/v1").await;
    assert_eq!(root["Vendor"], "AMI");
    assert_eq!(
        get(&bmc, "/redfish/v1/Managers/Self").await.0,
        StatusCode::OK
    );
    let (file, v) = img(&bmc, "bmc");
    let params = json!({"Targets": ["/redfish/v1/Managers/Self"]});
    let r = push(&bmc, "/mfwupdate", form(params.clone(), file.clone())).await;
    assert_error(&json(r).await.1, "PropertyMissing");
    let f = form(params, file).part(
        "OemParameters",
        reqwest::multipart::Part::text(r#"{"FlashType":"HPMFwUpdate","UploadSelector":"Default"}"#)
            .mime_str("application/json")
            .unwrap(),
    );
    let r = push(&bmc, "/mfwupdate", f).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    until("the BMC to restart into the image", || async {
        (version(&bmc, "bmc") == v && try_get(&bmc, "/redfish/v1").await.is_some()).then_some(())
    })
    .await;
}

// --- tasks ---------------------------------------------------------------------------------

/// Row "transient Interrupted / Suspended states that continue; PercentComplete
/// stalls" (Task.v1_7_4 TaskState; bmcweb task.hpp maps both to TaskPaused;
/// FIELD-NOTES B1.8).
#[tokio::test]
async fn tasks_pass_through_transient_states_and_stall_then_complete() {
    for state in ["interrupted", "suspended"] {
        let mut cfg = BmcConfig::new("bmc-t", Persona::Generic, 21, 0, PASSWORD).field(600.0);
        cfg.faults.transient_task_state = Some(state.into());
        cfg.field.set("pause", Duration::from_millis(500)).unwrap();
        cfg.field.set("stall", Duration::from_millis(800)).unwrap();
        let bmc = start_with(cfg).await;
        let (url, _) = image(&bmc, "nic", "nic.img").await;
        let r = post(
            &bmc,
            SU,
            json!({"ImageURI": url, "@Redfish.OperationApplyTime": "OnReset"}),
        )
        .await;
        let task = json(r).await.1["@odata.id"].as_str().unwrap().to_string();
        let mut stalled = false;
        let mut last = (String::new(), Instant::now());
        let mut seen: Vec<String> = Vec::new();
        let start = Instant::now();
        loop {
            let (_, t) = try_get(&bmc, &task).await.unwrap_or_default();
            let pct = t["PercentComplete"].to_string();
            if pct != last.0 {
                last = (pct, Instant::now());
            } else if last.1.elapsed() > Duration::from_millis(600) && t["TaskState"] == "Running" {
                stalled = true;
            }
            let o = t["TaskState"].as_str().unwrap_or("?").to_string();
            if seen.last() != Some(&o) {
                seen.push(o.clone());
            }
            if o == "Pending" {
                break;
            }
            assert!(start.elapsed() < DEADLINE, "{seen:?}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let want = if state == "interrupted" {
            "Interrupted"
        } else {
            "Suspended"
        };
        assert!(
            in_order(&seen, &["Running", want, "Running", "Pending"]),
            "{seen:?}"
        );
        assert!(stalled, "PercentComplete held still while Running");
    }
}

// --- faults --------------------------------------------------------------------------------

/// Row "fault reboot-mid-task: the BMC reboots during the install; nothing written,
/// task gone" (FIELD-NOTES B2.11-12; inferred).
#[tokio::test]
async fn reboot_mid_task_loses_the_task_and_writes_nothing() {
    let mut cfg = BmcConfig::new("bmc-f", Persona::Generic, 21, 0, PASSWORD).field(600.0);
    cfg.faults.reboot_mid_task = Some(true);
    let bmc = start_with(cfg).await;
    let old = version(&bmc, "bios");
    let (url, _) = image(&bmc, "bios", "bios.img").await;
    let task = json(post(&bmc, SU, json!({"ImageURI": url})).await).await.1["@odata.id"]
        .as_str()
        .unwrap()
        .to_string();
    let seen = timeline(
        "the reboot",
        || async { task_probe(&bmc, &task).await },
        |o| o == "gone",
    )
    .await;
    assert!(in_order(&seen, &["Running", "down", "gone"]), "{seen:?}");
    assert_eq!(version(&bmc, "bios"), old);
    assert_eq!(component(&bmc.state(), "bios")["flash_count"], 0);
}

/// Row "fault drop-after-accept: accepted and flashed, the response never arrives"
/// (FIELD-NOTES B2; inferred).
#[tokio::test]
async fn drop_after_accept_flashes_without_an_answer() {
    let mut cfg = BmcConfig::new("bmc-f", Persona::Generic, 21, 0, PASSWORD).field(600.0);
    cfg.faults.drop_after_accept = Some(true);
    let bmc = start_with(cfg).await;
    let (url, v) = image(&bmc, "nic", "nic.img").await;
    let r = client()
        .post(format!("{}{SU}", bmc.url()))
        .basic_auth("admin", Some(PASSWORD))
        .json(&json!({"ImageURI": url}))
        .send()
        .await;
    let failed = match r {
        Err(_) => true,
        Ok(r) => r.bytes().await.is_err(),
    };
    assert!(failed, "the answer is lost");
    reset_host(&bmc, "/redfish/v1/Systems/1").await;
    until("the flash anyway", || async {
        (version(&bmc, "nic") == v).then_some(())
    })
    .await;
}

/// Row "fault 500-after-accept: 500 although the image was taken" (bmcweb
/// update_service.hpp afterAvailbleTimerAsyncWait: "FW image may has already been uploaded").
#[tokio::test]
async fn error_500_after_accept_still_runs_the_update() {
    let mut cfg = BmcConfig::new("bmc-f", Persona::Openbmc, 21, 0, PASSWORD).field(600.0);
    cfg.faults.error_500_after_accept = Some(true);
    let bmc = start_with(cfg).await;
    let (file, v) = img(&bmc, "bmc");
    let r = push(
        &bmc,
        "/redfish/v1/UpdateService/update-multipart",
        form(json!({"@Redfish.OperationApplyTime": "Immediate"}), file),
    )
    .await;
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_error(&json(r).await.1, "InternalError");
    until("the new BMC", || async {
        (version(&bmc, "bmc") == v && try_get(&bmc, "/redfish/v1").await.is_some()).then_some(())
    })
    .await;
}

/// Row "fault inventory-late: after a reboot FirmwareInventory lists only some
/// members for a while" (FIELD-NOTES B2.12: reads good only after a while; inferred).
#[tokio::test]
async fn inventory_late_lists_part_of_the_inventory_after_a_reboot() {
    let mut cfg = BmcConfig::new("bmc-f", Persona::Generic, 21, 0, PASSWORD).field(600.0);
    cfg.faults.inventory_late = Some(true);
    cfg.field
        .set("inventory-late", Duration::from_secs(2))
        .unwrap();
    let bmc = start_with(cfg).await;
    let full = get(&bmc, FI).await.1["Members@odata.count"]
        .as_u64()
        .unwrap();
    post(
        &bmc,
        "/redfish/v1/Managers/BMC/Actions/Manager.Reset",
        json!({"ResetType": "GracefulRestart"}),
    )
    .await;
    // The reset is counted when it is accepted, before the BMC goes down, so
    // "whole again" needs the listener to have been seen down first.
    let went_down = std::sync::atomic::AtomicBool::new(false);
    let seen = timeline(
        "the inventory to be whole again",
        || async {
            match try_get(&bmc, FI).await {
                None => {
                    went_down.store(true, std::sync::atomic::Ordering::SeqCst);
                    "down".into()
                }
                Some((_, fi)) => fi["Members@odata.count"].to_string(),
            }
        },
        |o| o == full.to_string() && went_down.load(std::sync::atomic::Ordering::SeqCst),
    )
    .await;
    assert!(
        in_order(
            &seen,
            &["down", &full.div_ceil(2).to_string(), &full.to_string()]
        ),
        "{seen:?}"
    );
}

/// Row "fault slow-reboot: the BMC stays away far longer than its usual reboot"
/// (FIELD-NOTES B2.12: Ironic raised the BMC timeout to 300 s).
#[tokio::test]
async fn slow_reboot_keeps_the_bmc_away_longer() {
    let mut cfg = BmcConfig::new("bmc-f", Persona::Generic, 21, 0, PASSWORD).field(600.0);
    cfg.faults.slow_reboot = Some(true);
    cfg.field
        .set("bmc-reboot", Duration::from_millis(200))
        .unwrap();
    cfg.field
        .set("slow-reboot", Duration::from_secs(4))
        .unwrap();
    let bmc = start_with(cfg).await;
    post(
        &bmc,
        "/redfish/v1/Managers/BMC/Actions/Manager.Reset",
        json!({"ResetType": "GracefulRestart"}),
    )
    .await;
    until("the BMC to go down", || async {
        try_get(&bmc, "/redfish/v1").await.is_none().then_some(())
    })
    .await;
    let down = Instant::now();
    until("the BMC to come back", || async {
        try_get(&bmc, "/redfish/v1").await.map(|_| ())
    })
    .await;
    assert!(
        down.elapsed() >= Duration::from_secs(3),
        "away {:?}",
        down.elapsed()
    );
}

// --- legacy layout -------------------------------------------------------------------------

/// Row "legacy layout: v1.2-era UpdateService, firmware under SoftwareInventory, no
/// FirmwareInventory" (fwupd plugins/redfish fu-redfish-backend.c falls back to
/// SoftwareInventory; DMTF mockups HttpPushUri /FWUpdate; inferred).
#[tokio::test]
async fn legacy_layout_lists_firmware_under_software_inventory() {
    let bmc = field_bmc(Persona::Generic, Variant::LegacyLayout, &[]).await;
    let (_, us) = get(&bmc, "/redfish/v1/UpdateService").await;
    assert_eq!(us["@odata.type"], "#UpdateService.v1_2_0.UpdateService");
    assert!(
        us.get("FirmwareInventory").is_none() && us.get("MultipartHttpPushUri").is_none(),
        "{us}"
    );
    assert_eq!(get(&bmc, FI).await.0, StatusCode::NOT_FOUND);
    let (_, sw) = get(&bmc, "/redfish/v1/UpdateService/SoftwareInventory").await;
    assert!(
        sw["Members"]
            .to_string()
            .contains("/SoftwareInventory/BIOS"),
        "{sw}"
    );
    let (url, v) = image(&bmc, "bios", "bios.img").await;
    post(&bmc, SU, json!({"ImageURI": url})).await;
    until("the new BIOS in SoftwareInventory", || async {
        let (_, b) = try_get(&bmc, "/redfish/v1/UpdateService/SoftwareInventory/BIOS").await?;
        (b["Version"] == v.as_str()).then_some(())
    })
    .await;
}

/// The library API a fleet test uses: `FleetConfig::field(scale)`, a fleet-wide
/// variant and per-host settings.
#[tokio::test]
async fn a_fleet_starts_in_field_mode_with_variants_and_per_host_settings() {
    use mock_bmc::faults::{HostSettings, HostSettingsFile};
    use mock_bmc::{Behaviour, FleetConfig, MockFleet, Profile};
    let mut hosts = std::collections::BTreeMap::new();
    hosts.insert(
        "bmc-0002".to_string(),
        HostSettings {
            behaviour: Some(Behaviour::Ideal),
            variant: Some(Variant::Standard),
        },
    );
    let fleet = MockFleet::start(
        FleetConfig {
            count: 3,
            profile: Profile::Single(Persona::Ilo),
            variant: Variant::Legacy,
            host_settings: HostSettingsFile {
                default: HostSettings::default(),
                hosts,
            },
            ..FleetConfig::default()
        }
        .field(600.0),
    )
    .await
    .unwrap();
    let s: Vec<(String, String)> = fleet
        .bmcs
        .iter()
        .map(|b| {
            let st = b.state();
            (
                st["behaviour"].as_str().unwrap().into(),
                st["variant"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(s[0], ("field".to_string(), "legacy".to_string()));
    assert_eq!(s[1], ("ideal".to_string(), "standard".to_string()));
    assert_eq!(s[2], ("field".to_string(), "legacy".to_string()));
    let bad = MockFleet::start(FleetConfig {
        profile: Profile::Single(Persona::Idrac),
        variant: Variant::Ami,
        ..FleetConfig::default()
    })
    .await
    .unwrap_err()
    .to_string();
    assert!(bad.contains("belongs to persona 'xcc'"), "{bad}");
}

/// Row "OnStartUpdateRequest holds the update (task `Pending`, `Update.AwaitToUpdate`)
/// until `UpdateService.StartUpdate`, then it runs as Immediate" (UpdateService v1_11
/// `StartUpdate`, Settings `OnStartUpdateRequest`, DSP8010).
#[tokio::test]
async fn on_start_update_request_waits_for_start_update_then_runs() {
    let bmc = field_bmc(Persona::Generic, Variant::Standard, &[]).await;
    let (url, v) = image(&bmc, "bmc", "bmc.img").await;
    let r = post(
        &bmc,
        SU,
        json!({"ImageURI": url, "@Redfish.OperationApplyTime": "OnStartUpdateRequest"}),
    )
    .await;
    let task = json(r).await.1["@odata.id"].as_str().unwrap().to_string();
    let (_, t) = until("Pending", || async {
        let (s, t) = try_get(&bmc, &task).await?;
        (t["TaskState"] == "Pending").then_some((s, t))
    })
    .await;
    assert!(
        message_keys(&t).contains(&"Update.AwaitToUpdate".to_string()),
        "{t}"
    );
    assert_eq!(component(&bmc.state(), "bmc")["flash_count"], 0);
    let r = post(
        &bmc,
        "/redfish/v1/UpdateService/Actions/UpdateService.StartUpdate",
        json!({}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    until("the new BMC", || async {
        (version(&bmc, "bmc") == v && try_get(&bmc, "/redfish/v1").await.is_some()).then_some(())
    })
    .await;
    let c = component(&bmc.state(), "bmc").clone();
    assert_eq!(
        (
            c["start_update_calls"].as_u64(),
            c["resets_received"].as_u64()
        ),
        (Some(1), Some(1)),
        "{c}"
    );
}

/// Row "one update at a time (503, Retry-After 30) while one runs; a staged image no
/// longer holds the service" (bmcweb monitorForSoftwareAvailable `fwUpdateInProgress`,
/// cleared by cleanUp once the image exists).
#[tokio::test]
async fn openbmc_refuses_a_second_update_while_one_runs_but_not_once_it_is_staged() {
    let bmc = field_bmc(Persona::Openbmc, Variant::Standard, &[("bmc-flash", 2.0)]).await;
    let (file, _) = img(&bmc, "bmc");
    let uri = "/redfish/v1/UpdateService/update-multipart";
    let r = push(&bmc, uri, form(json!({}), file.clone())).await;
    let task = json(r).await.1["@odata.id"].as_str().unwrap().to_string();
    until("Running", || async {
        (task_probe(&bmc, &task).await == "Running").then_some(())
    })
    .await;
    let r = push(&bmc, uri, form(json!({}), file.clone())).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.headers()["Retry-After"], "30");
    until("Stopping", || async {
        (task_probe(&bmc, &task).await == "Stopping").then_some(())
    })
    .await;
    let (bios, _) = img(&bmc, "bios");
    let r = push(&bmc, uri, form(json!({}), bios)).await;
    assert_eq!(
        r.status(),
        StatusCode::ACCEPTED,
        "a staged image does not block"
    );
}

//! Following update tasks with `redfish::task::follow` on every persona's
//! dialect, over real HTTP against the mock (moved from tests/it: they send
//! requests below the typed operations).

use super::{client_with, image_url};
use crate::redfish::client::BmcClient;
use crate::redfish::task::{follow, parse_accepted, Awaiting, FollowLimits, Outcome};
use mock_bmc::image::ImageBuilder;
use mock_bmc::{BmcConfig, Kind, MockBmc, Persona};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

const PW: &str = "task-pw";

async fn bmc(persona: Persona, update: Duration) -> MockBmc {
    let mut c = BmcConfig::new("t", persona, 5, 0, PW).ideal();
    c.timing.update = update;
    c.timing.reboot = super::shortest_reboot();
    c.timing.task_vanish = Some(Duration::from_millis(300));
    MockBmc::start(c).await.unwrap()
}

fn client(b: &MockBmc) -> BmcClient {
    client_with(b, PW)
}

/// Follow with a 50 ms poll and no progress callback.
async fn follow_quick(
    c: &BmcClient,
    acc: &crate::redfish::task::Accepted,
    deadline: Duration,
) -> Outcome {
    follow(
        c,
        acc,
        FollowLimits::new(deadline, Duration::from_millis(50)),
        |_| {},
    )
    .await
    .unwrap()
}

async fn start_update(
    c: &BmcClient,
    url: &str,
    apply: Option<&str>,
) -> crate::redfish::task::Accepted {
    let mut body = json!({"ImageURI": url});
    if let Some(a) = apply {
        body["@Redfish.OperationApplyTime"] = json!(a);
    }
    let r = c
        .request(
            Method::POST,
            "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate",
            Some(&body),
        )
        .await
        .unwrap();
    assert_eq!(
        r.status.as_u16(),
        202,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    parse_accepted(&r)
}

fn bios_version(b: &MockBmc) -> String {
    b.state()["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "bios" && c["role"] == "active")
        .unwrap()["version"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn every_persona_dialect_ends_in_a_decision() {
    for (persona, version) in [
        (Persona::Generic, "9.0.0"),
        (Persona::Openbmc, "F0E_3A99"),
        (Persona::Ilo, "U46 v9.00 (01/01/2030)"),
        (Persona::Xcc, "U8E138K-9.00"),
    ] {
        let b = bmc(persona, Duration::from_millis(300)).await;
        let version = if persona == Persona::Ilo
            && b.state()["model"].as_str().unwrap().contains("DL325")
        {
            "A43 v9.00 (01/01/2030)"
        } else if persona == Persona::Openbmc
            && b.state()["model"].as_str().unwrap().contains("Yosemite")
        {
            "F09_3A99"
        } else if persona == Persona::Xcc && b.state()["model"].as_str().unwrap().contains("SR630")
        {
            "U8E134J-9.00"
        } else {
            version
        };
        let c = client(&b);
        c.login().await.unwrap();
        let url = image_url(&b, Kind::Bios, version).await;
        let acc = start_update(&c, &url, None).await;
        let mut states = Vec::new();
        let out = follow(
            &c,
            &acc,
            FollowLimits::new(Duration::from_secs(20), Duration::from_millis(50)),
            |p| states.push(p.state.clone()),
        )
        .await
        .unwrap();
        assert!(
            matches!(out, Outcome::Completed(_)),
            "{persona}: {out:?} (states {states:?}, accepted {acc:?})"
        );
        assert_eq!(bios_version(&b), version, "{persona}");
        c.logout().await;
    }
}

#[tokio::test]
async fn idrac_tasks_vanish_and_supermicro_names_the_task_in_message_args() {
    let b = bmc(Persona::Idrac, Duration::from_millis(200)).await;
    let c = client(&b);
    c.login().await.unwrap();
    let model = b.state()["model"].as_str().unwrap().to_string();
    let v = if model.contains("R750") {
        "1.9.0"
    } else {
        "2.99.0"
    };
    let url = image_url(&b, Kind::Bios, v).await;
    let acc = start_update(&c, &url, None).await;
    assert!(
        acc.task.as_deref().unwrap().contains("/Tasks/JID_"),
        "{acc:?}"
    );
    assert!(acc.monitor.is_none());
    let out = follow_quick(&c, &acc, Duration::from_secs(20)).await;
    assert!(
        matches!(out, Outcome::Completed(_) | Outcome::Gone(_)),
        "{out:?}"
    );
    assert_eq!(bios_version(&b), v);

    // Supermicro: the 202 carries no Location; the task waits for StartUpdate.
    let b = bmc(Persona::Supermicro, Duration::ZERO).await;
    let c = client(&b);
    c.login().await.unwrap();
    let model = b.state()["model"].as_str().unwrap().to_string();
    let v = if model.contains("620U") { "1.9" } else { "2.9" };
    let url = image_url(&b, Kind::Bios, v).await;
    let acc = start_update(&c, &url, Some("OnStartUpdateRequest")).await;
    assert!(acc.task.is_some() && acc.monitor.is_none(), "{acc:?}");
    let out = follow_quick(&c, &acc, Duration::from_secs(20)).await;
    assert!(
        matches!(out, Outcome::Held(_, Awaiting::StartUpdate)),
        "{out:?}"
    );
    let r = c
        .request(
            Method::POST,
            "/redfish/v1/UpdateService/Actions/UpdateService.StartUpdate",
            Some(&json!({})),
        )
        .await
        .unwrap();
    assert!(r.status.is_success());
    let out = follow_quick(&c, &acc, Duration::from_secs(20)).await;
    assert!(matches!(out, Outcome::Completed(_)), "{out:?}");
    assert_eq!(bios_version(&b), v);
}

#[tokio::test]
async fn staged_failed_and_stuck_tasks_are_told_apart() {
    let b = bmc(Persona::Generic, Duration::ZERO).await;
    let c = client(&b);
    c.login().await.unwrap();
    let url = image_url(&b, Kind::Bios, "9.1.0").await;
    let acc = start_update(&c, &url, Some("OnReset")).await;
    let out = follow_quick(&c, &acc, Duration::from_secs(10)).await;
    assert!(matches!(out, Outcome::Held(_, Awaiting::Reset)), "{out:?}");

    let http = reqwest::Client::new();
    http.post(format!("{}/mock/faults", b.url()))
        .json(&json!({"task_fails": true}))
        .send()
        .await
        .unwrap();
    let url = image_url(&b, Kind::Nic, "99.0.0").await;
    let acc = start_update(&c, &url, None).await;
    let out = follow_quick(&c, &acc, Duration::from_secs(10)).await;
    match out {
        Outcome::Failed(Some(t)) => {
            assert!(t.messages.iter().any(|m| m.message_key() == "ApplyFailed"))
        }
        other => panic!("{other:?}"),
    }

    http.post(format!("{}/mock/faults", b.url()))
        .json(&json!({"reset": true, "task_stuck": true}))
        .send()
        .await
        .unwrap();
    let url = image_url(&b, Kind::Cpld, "9.0.0").await;
    let acc = start_update(&c, &url, None).await;
    let out = follow_quick(&c, &acc, Duration::from_millis(800)).await;
    assert!(matches!(out, Outcome::TimedOut(Some(_))), "{out:?}");
    c.logout().await;
}

#[tokio::test]
async fn multipart_pushes_streamed_from_disk_work_on_every_persona() {
    use crate::redfish::push::{self, MultipartPush};
    use crate::redfish::quirks::Platform;
    for persona in Persona::ALL {
        let b = bmc(persona, Duration::ZERO).await;
        let c = client(&b);
        c.login().await.unwrap();
        let root: serde_json::Value = c.get("/redfish/v1/").await.unwrap();
        let platform = Platform::classify(root["Vendor"].as_str(), root["Product"].as_str(), None);
        let us: serde_json::Value = c.get("/redfish/v1/UpdateService").await.unwrap();
        let st = b.state();
        let nic = st["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["kind"] == "nic")
            .unwrap();
        let style: mock_bmc::vstyle::VersionStyle =
            serde_json::from_value(nic["version_style"].clone()).unwrap();
        let v = style
            .bump(
                nic["version"].as_str().unwrap(),
                mock_bmc::vstyle::Bump::Minor,
            )
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("nic.fwimg");
        ImageBuilder::new(Kind::Nic, v.as_str())
            .models([st["model"].as_str().unwrap().to_string()])
            .payload_size(300_000)
            .write_file(&file)
            .unwrap();
        let targets = if persona == Persona::Supermicro {
            vec![format!(
                "/redfish/v1/UpdateService/FirmwareInventory/{}",
                nic["id"].as_str().unwrap()
            )]
        } else {
            Vec::new()
        };
        let req = MultipartPush {
            uri: us["MultipartHttpPushUri"].as_str().unwrap().to_string(),
            file,
            targets,
            apply_time: None,
            force: false,
            component: None,
            preserve: false,
        };
        let r = push::multipart(&c, &platform, &req).await.unwrap();
        assert_eq!(
            r.status.as_u16(),
            202,
            "{persona}: {}",
            String::from_utf8_lossy(&r.body)
        );
        let acc = parse_accepted(&r);
        let mut out = follow_quick(&c, &acc, Duration::from_secs(20)).await;
        if let Outcome::Held(_, Awaiting::StartUpdate) = out {
            c.request(
                Method::POST,
                "/redfish/v1/UpdateService/Actions/UpdateService.StartUpdate",
                Some(&json!({})),
            )
            .await
            .unwrap();
            out = follow_quick(&c, &acc, Duration::from_secs(20)).await;
        }
        assert!(
            matches!(out, Outcome::Completed(_) | Outcome::Gone(_)),
            "{persona}: {out:?}"
        );
        let now = b.state();
        let nic = now["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["kind"] == "nic")
            .unwrap();
        assert_eq!(nic["version"], v.as_str(), "{persona}");
        assert_eq!(nic["flash_count"], 1, "{persona}");
        c.logout().await;
    }
}

#[tokio::test]
async fn openbmc_raw_push_updates_the_bmc() {
    let b = bmc(Persona::Openbmc, Duration::ZERO).await;
    let c = client(&b);
    c.login().await.unwrap();
    let st = b.state();
    let comp = st["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == "bmc" && x["role"] == "active")
        .unwrap();
    let style: mock_bmc::vstyle::VersionStyle =
        serde_json::from_value(comp["version_style"].clone()).unwrap();
    let v = style
        .bump(
            comp["version"].as_str().unwrap(),
            mock_bmc::vstyle::Bump::Minor,
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bmc.fwimg");
    ImageBuilder::new(Kind::Bmc, v.as_str())
        .payload_size(50_000)
        .write_file(&file)
        .unwrap();
    let r = crate::redfish::push::raw(&c, "/redfish/v1/UpdateService/update", &file)
        .await
        .unwrap();
    assert_eq!(
        r.status.as_u16(),
        202,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    for _ in 0..200 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if b.state()["components"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["kind"] == "bmc" && x["role"] == "active" && x["version"] == v.as_str())
        {
            return;
        }
    }
    panic!("the BMC never reported {v}");
}

//! The Redfish tree: unauthenticated resources, headers, errors, `$expand`.

use crate::support::*;
use mock_bmc::Persona;
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn unauthenticated_entry_points() {
    let bmc = start(Persona::Generic).await;
    let c = client();
    let r = c
        .get(format!("{}/redfish", bmc.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(json(r).await.1["v1"], "/redfish/v1/");
    for path in ["/redfish/v1/", "/redfish/v1"] {
        let r = c.get(format!("{}{path}", bmc.url())).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["OData-Version"], "4.0");
        assert!(r.headers().contains_key("ETag"));
        let (_, root) = json(r).await;
        assert_eq!(root["@odata.type"], "#ServiceRoot.v1_20_0.ServiceRoot");
        assert_eq!(
            root["Links"]["Sessions"]["@odata.id"],
            "/redfish/v1/SessionService/Sessions"
        );
        assert_eq!(
            root["ProtocolFeaturesSupported"]["ExpandQuery"]["Levels"],
            true
        );
    }
    let r = c
        .get(format!("{}/redfish/v1/odata", bmc.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (_, doc) = json(r).await;
    assert!(doc["value"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["url"] == "/redfish/v1/UpdateService"));
    let r = c
        .get(format!("{}/redfish/v1/$metadata", bmc.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["Content-Type"]
        .to_str()
        .unwrap()
        .starts_with("application/xml"));
    let xml = r.text().await.unwrap();
    assert!(xml.contains("EntityContainer"));
    assert!(xml.contains("SoftwareInventory.v1_13_0"));
}

#[tokio::test]
async fn errors_have_redfish_bodies_and_the_right_headers() {
    let bmc = start(Persona::Generic).await;
    let c = client();
    // 401 without credentials
    let r = c
        .get(format!("{}/redfish/v1/Systems/1", bmc.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().contains_key("WWW-Authenticate"));
    assert_error(&json(r).await.1, "ResourceAtUriUnauthorized");
    // 404
    let (status, body) = get(&bmc, "/redfish/v1/Systems/does-not-exist").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "ResourceMissingAtURI");
    // 405 with Allow
    let r = c
        .delete(format!("{}/redfish/v1/Systems/1", bmc.url()))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["Allow"], "GET, HEAD");
    assert_error(&json(r).await.1, "OperationNotAllowed");
    let r = c
        .put(format!("{}/redfish/v1/UpdateService", bmc.url()))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.headers().contains_key("Allow"));
    // unsupported $ query -> 501 naming it; bad $expand -> 400
    let (status, body) = get(&bmc, "/redfish/v1/Systems?$filter=Id%20eq%201").await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED);
    assert_error(&body, "QueryParameterUnsupported");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("$filter"));
    let (status, body) = get(&bmc, "/redfish/v1/Systems?$expand=bogus").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "QueryParameterValueFormatError");
    // unknown non-$ parameters are ignored
    let (status, _) = get(&bmc, "/redfish/v1/Systems?vendor_thing=1").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn systems_managers_chassis_carry_identity_and_actions() {
    for persona in Persona::ALL {
        let bmc = start(persona).await;
        let (_, systems) = get(&bmc, "/redfish/v1/Systems").await;
        let sys_uri = systems["Members"][0]["@odata.id"]
            .as_str()
            .unwrap()
            .to_string();
        let (status, sys) = get(&bmc, &sys_uri).await;
        assert_eq!(status, StatusCode::OK, "{persona}");
        for key in [
            "Manufacturer",
            "Model",
            "SerialNumber",
            "BiosVersion",
            "PowerState",
        ] {
            assert!(
                sys[key].as_str().is_some_and(|s| !s.is_empty()),
                "{persona} {key}"
            );
        }
        assert!(sys["Actions"]["#ComputerSystem.Reset"]["target"].is_string());
        let (_, managers) = get(&bmc, "/redfish/v1/Managers").await;
        let mgr_uri = managers["Members"][0]["@odata.id"]
            .as_str()
            .unwrap()
            .to_string();
        let (_, mgr) = get(&bmc, &mgr_uri).await;
        assert!(mgr["FirmwareVersion"]
            .as_str()
            .is_some_and(|s| !s.is_empty()));
        assert!(mgr["Actions"]["#Manager.Reset"]["target"].is_string());
        let (_, chassis) = get(&bmc, "/redfish/v1/Chassis").await;
        let ch_uri = chassis["Members"][0]["@odata.id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(get(&bmc, &ch_uri).await.0, StatusCode::OK);
        // The BIOS in the inventory is the one the system reports.
        let state = bmc.state();
        let bios = state["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["kind"] == "bios" && c["role"] == "active")
            .unwrap();
        assert_eq!(sys["BiosVersion"], bios["version"], "{persona}");
        assert_eq!(
            mgr["FirmwareVersion"],
            state["components"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["kind"] == "bmc" && c["role"] == "active")
                .unwrap()["version"]
        );
    }
}

#[tokio::test]
async fn reset_actions_validate_reset_type() {
    let bmc = start(Persona::Generic).await;
    let c = client();
    let target = format!(
        "{}/redfish/v1/Systems/1/Actions/ComputerSystem.Reset",
        bmc.url()
    );
    let r = c
        .post(&target)
        .basic_auth("admin", Some(PASSWORD))
        .json(&serde_json::json!({"ResetType": "ForceOff"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        get(&bmc, "/redfish/v1/Systems/1").await.1["PowerState"],
        "Off"
    );
    let r = c
        .post(&target)
        .basic_auth("admin", Some(PASSWORD))
        .json(&serde_json::json!({"ResetType": "Explode"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_error(&json(r).await.1, "ActionParameterValueNotInList");
    let r = c
        .post(&target)
        .basic_auth("admin", Some(PASSWORD))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_error(&json(r).await.1, "ActionParameterMissing");
}

#[tokio::test]
async fn update_service_advertises_actions_push_uri_and_apply_times() {
    for persona in Persona::ALL {
        let bmc = start(persona).await;
        let (_, us) = get(&bmc, "/redfish/v1/UpdateService").await;
        let su = &us["Actions"]["#UpdateService.SimpleUpdate"];
        assert!(su["target"].is_string(), "{persona}");
        assert!(su["TransferProtocol@Redfish.AllowableValues"]
            .as_array()
            .is_some_and(|a| !a.is_empty()));
        assert!(su["@Redfish.OperationApplyTimeSupport"]["SupportedValues"].is_array());
        assert!(us["MultipartHttpPushUri"].is_string());
        assert_eq!(
            us["FirmwareInventory"]["@odata.id"],
            "/redfish/v1/UpdateService/FirmwareInventory"
        );
        let (_, fi) = get(&bmc, "/redfish/v1/UpdateService/FirmwareInventory").await;
        let n = fi["Members@odata.count"].as_u64().unwrap();
        assert!(n >= 7, "{persona}: {n}");
        let (_, ts) = get(&bmc, "/redfish/v1/TaskService/Tasks").await;
        assert_eq!(ts["Members@odata.count"], 0);
    }
}

async fn member_by_member(bmc: &mock_bmc::MockBmc, coll: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for m in coll["Members"].as_array().unwrap() {
        out.push(get(bmc, m["@odata.id"].as_str().unwrap()).await.1);
    }
    out
}

#[tokio::test]
async fn expand_equals_the_member_by_member_result() {
    for persona in Persona::ALL {
        let bmc = start(persona).await;
        for coll in [
            "/redfish/v1/UpdateService/FirmwareInventory",
            "/redfish/v1/UpdateService/SoftwareInventory",
        ] {
            let (_, plain) = get(&bmc, coll).await;
            let walked = member_by_member(&bmc, &plain).await;
            for q in [
                "$expand=.($levels=1)",
                "$expand=*",
                "$expand=*($levels=1)",
                "%24expand=.%28%24levels%3D1%29",
            ] {
                let (status, expanded) = get(&bmc, &format!("{coll}?{q}")).await;
                assert_eq!(status, StatusCode::OK, "{persona} {q}");
                assert_eq!(
                    expanded["Members"].as_array().unwrap(),
                    &walked,
                    "{persona} {coll} {q}"
                );
                assert_eq!(
                    expanded["Members@odata.count"],
                    plain["Members@odata.count"]
                );
            }
        }
        // `~` only follows Links: the collection's members stay references.
        let (_, links_only) = get(&bmc, "/redfish/v1/Systems?$expand=~").await;
        assert_eq!(links_only["Members"][0].as_object().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn inventory_versions_are_in_vendor_styles() {
    let bmc = start(Persona::Ilo).await;
    let state = bmc.state();
    let versions: Vec<&str> = state["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["version"].as_str().unwrap())
        .collect();
    assert!(
        versions
            .iter()
            .any(|v| v.contains(" v") && v.ends_with(')')),
        "{versions:?}"
    );
    assert!(versions.iter().any(|v| v.starts_with("0x")), "{versions:?}");
    let bmc = start(Persona::Idrac).await;
    let (_, fi) = get(&bmc, "/redfish/v1/UpdateService/FirmwareInventory").await;
    assert!(fi["Members"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["@odata.id"].as_str().unwrap().contains("/Installed-159-")));
    assert!(fi["Members"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["@odata.id"]
            .as_str()
            .unwrap()
            .contains("/Previous-25227-")));
}

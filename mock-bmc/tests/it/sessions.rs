//! SessionService: login, token use, logout, limit, expiry; Basic auth.

use crate::support::*;
use mock_bmc::state::SessionPolicy;
use mock_bmc::{BmcConfig, Persona};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

async fn login(url: &str, password: &str) -> reqwest::Response {
    client()
        .post(format!("{url}/redfish/v1/SessionService/Sessions"))
        .json(&json!({"UserName": "admin", "Password": password}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn session_login_use_and_logout() {
    let bmc = start(Persona::Generic).await;
    let r = login(&bmc.url(), PASSWORD).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let token = r.headers()["X-Auth-Token"].to_str().unwrap().to_string();
    let location = r.headers()["Location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/redfish/v1/SessionService/Sessions/"));
    let (_, body) = json(r).await;
    assert_eq!(body["UserName"], "admin");
    assert!(body["Password"].is_null());
    assert_eq!(body["@odata.id"], location.as_str());

    let c = client();
    let r = c
        .get(format!("{}/redfish/v1/Systems", bmc.url()))
        .header("X-Auth-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(bmc.state()["sessions"], 1);

    let r = c
        .delete(format!("{}{location}", bmc.url()))
        .header("X-Auth-Token", &token)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let r = c
        .get(format!("{}/redfish/v1/Systems", bmc.url()))
        .header("X-Auth-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().contains_key("WWW-Authenticate"));
    let state = bmc.state();
    assert_eq!(state["sessions"], 0);
    assert_eq!(state["journal"]["sessions_created"], 1);
    assert_eq!(state["journal"]["sessions_deleted"], 1);
}

#[tokio::test]
async fn wrong_password_and_missing_fields_are_refused() {
    let bmc = start(Persona::Generic).await;
    let r = login(&bmc.url(), "wrong").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_error(&json(r).await.1, "ResourceAtUriUnauthorized");
    let r = client()
        .post(format!("{}/redfish/v1/SessionService/Sessions", bmc.url()))
        .json(&json!({"UserName": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_error(&json(r).await.1, "PropertyMissing");
    let r = client()
        .post(format!("{}/redfish/v1/SessionService/Sessions", bmc.url()))
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_error(&json(r).await.1, "MalformedJSON");
}

#[tokio::test]
async fn session_limit_is_enforced_and_freed_by_logout() {
    let mut cfg = BmcConfig::new("bmc-limit", Persona::Generic, 1, 0, PASSWORD);
    cfg.sessions = SessionPolicy {
        limit: 2,
        idle_timeout: Duration::from_secs(600),
    };
    let bmc = start_with(cfg).await;
    let a = login(&bmc.url(), PASSWORD).await;
    let b = login(&bmc.url(), PASSWORD).await;
    assert_eq!(a.status(), StatusCode::CREATED);
    assert_eq!(b.status(), StatusCode::CREATED);
    let c = login(&bmc.url(), PASSWORD).await;
    assert_eq!(c.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_error(&json(c).await.1, "SessionLimitExceeded");
    let loc = a.headers()["Location"].to_str().unwrap().to_string();
    let tok = a.headers()["X-Auth-Token"].to_str().unwrap().to_string();
    let r = client()
        .delete(format!("{}{loc}", bmc.url()))
        .header("X-Auth-Token", tok)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    assert_eq!(
        login(&bmc.url(), PASSWORD).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn idle_sessions_expire() {
    let mut cfg = BmcConfig::new("bmc-idle", Persona::Generic, 1, 0, PASSWORD);
    cfg.sessions = SessionPolicy {
        limit: 4,
        idle_timeout: Duration::from_millis(300),
    };
    let bmc = start_with(cfg).await;
    let r = login(&bmc.url(), PASSWORD).await;
    let tok = r.headers()["X-Auth-Token"].to_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let r = client()
        .get(format!("{}/redfish/v1/Systems", bmc.url()))
        .header("X-Auth-Token", tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_error(&json(r).await.1, "NoValidSession");
    assert_eq!(bmc.state()["journal"]["sessions_expired"], 1);
}

#[tokio::test]
async fn basic_auth_works_and_bad_basic_is_401() {
    let bmc = start(Persona::Generic).await;
    let (status, body) = get(&bmc, "/redfish/v1/Managers").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["Members@odata.count"], 1);
    let r = client()
        .get(format!("{}/redfish/v1/Managers", bmc.url()))
        .basic_auth("admin", Some("nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.headers()["WWW-Authenticate"].to_str().unwrap(),
        "Basic realm=\"Redfish\""
    );
    assert_error(&json(r).await.1, "ResourceAtUriUnauthorized");
    assert_eq!(bmc.state()["journal"]["basic_auth_requests"], 1);
}

#[tokio::test]
async fn session_timeout_can_be_patched_within_schema_bounds() {
    let bmc = start(Persona::Generic).await;
    let c = client();
    let url = format!("{}/redfish/v1/SessionService", bmc.url());
    let r = c
        .patch(&url)
        .basic_auth("admin", Some(PASSWORD))
        .json(&json!({"SessionTimeout": 600}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(json(r).await.1["SessionTimeout"], 600);
    let r = c
        .patch(&url)
        .basic_auth("admin", Some(PASSWORD))
        .json(&json!({"SessionTimeout": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_error(&json(r).await.1, "PropertyValueNotInList");
}

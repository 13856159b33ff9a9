//! Shared helpers: start a BMC, make clients, read JSON.

use mock_bmc::{BmcConfig, MockBmc, Persona};
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;

pub const PASSWORD: &str = "s3cret-pw";

pub async fn start(persona: Persona) -> MockBmc {
    start_with(BmcConfig::new("bmc-test", persona, 7, 0, PASSWORD).ideal()).await
}

pub async fn start_with(cfg: BmcConfig) -> MockBmc {
    MockBmc::start(cfg).await.expect("mock bmc starts")
}

pub fn client() -> Client {
    Client::builder().build().unwrap()
}

pub async fn json(resp: Response) -> (StatusCode, Value) {
    let status = resp.status();
    let body = resp.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

/// GET with Basic auth.
pub async fn get(bmc: &MockBmc, path: &str) -> (StatusCode, Value) {
    let r = client()
        .get(format!("{}{path}", bmc.url()))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    json(r).await
}

/// Assert a Redfish error body whose code ends with `key`.
pub fn assert_error(body: &Value, key: &str) {
    let code = body["error"]["code"].as_str().unwrap_or_default();
    assert!(code.ends_with(&format!(".{key}")), "code {code} in {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    let info = body["error"]["@Message.ExtendedInfo"]
        .as_array()
        .expect("ExtendedInfo");
    assert!(!info.is_empty());
    assert!(info[0]["MessageId"].as_str().is_some());
}

/// Bytes of a mock firmware image, built from the documented format
/// (magic line, JSON header line, payload) rather than the library's writer,
/// so the tests pin the format itself.
pub fn image_bytes(kind: &str, version: &str, models: &[&str], size: usize) -> Vec<u8> {
    use sha2::Digest;
    let payload: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
    let header = serde_json::json!({
        "component": kind,
        "version": version,
        "models": models,
        "payload_len": payload.len(),
        "payload_sha256": hex::encode(sha2::Sha256::digest(&payload)),
    });
    let mut out = b"MOCKFW01\n".to_vec();
    out.extend(serde_json::to_vec(&header).unwrap());
    out.push(b'\n');
    out.extend(payload);
    out
}

/// A tiny image server on 127.0.0.1:0 serving `files` by name; dropped with the runtime.
pub async fn image_server(files: Vec<(&'static str, Vec<u8>)>) -> String {
    use axum::extract::Path;
    use std::collections::HashMap;
    use std::sync::Arc;
    let files: Arc<HashMap<String, Vec<u8>>> =
        Arc::new(files.into_iter().map(|(k, v)| (k.to_string(), v)).collect());
    let app = axum::Router::new().route(
        "/img/{name}",
        axum::routing::get(move |Path(name): Path<String>| {
            let files = files.clone();
            async move {
                match files.get(&name) {
                    Some(b) => (axum::http::StatusCode::OK, b.clone()),
                    None => (axum::http::StatusCode::NOT_FOUND, Vec::new()),
                }
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    format!("http://{addr}/img")
}

/// The active component of `kind` in `/mock/state`.
pub fn component<'a>(state: &'a Value, kind: &str) -> &'a Value {
    state["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == kind && c["role"] == "active")
        .unwrap()
}

/// POST JSON with Basic auth.
pub async fn post(bmc: &MockBmc, path: &str, body: Value) -> reqwest::Response {
    client()
        .post(format!("{}{path}", bmc.url()))
        .basic_auth("admin", Some(PASSWORD))
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Follow a task monitor until it stops answering 202; returns the final status
/// and body and how many 202s it saw (each checked for Location and Retry-After).
pub async fn follow(bmc: &MockBmc, monitor: &str) -> (StatusCode, Value) {
    for _ in 0..600 {
        let r = client()
            .get(format!("{}{monitor}", bmc.url()))
            .basic_auth("admin", Some(PASSWORD))
            .send()
            .await
            .unwrap();
        if r.status() != StatusCode::ACCEPTED {
            return json(r).await;
        }
        assert!(r.headers().contains_key("Location"), "202 without Location");
        assert!(
            r.headers().contains_key("Retry-After"),
            "202 without Retry-After"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("task monitor {monitor} still 202 after 12 s");
}

/// Poll a Task resource until its TaskState is one of `states`.
pub async fn wait_task(bmc: &MockBmc, task_uri: &str, states: &[&str]) -> Value {
    for _ in 0..600 {
        let (status, body) = get(bmc, task_uri).await;
        assert_eq!(status, StatusCode::OK, "{task_uri}: {body}");
        if states.iter().any(|s| body["TaskState"] == *s) {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("task {task_uri} never reached {states:?}");
}

/// Message ids of a task, without registry versions: `Update.UpdateSuccessful`.
pub fn message_keys(task: &Value) -> Vec<String> {
    task["Messages"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|m| m["MessageId"].as_str())
                .map(|id| {
                    let parts: Vec<&str> = id.split('.').collect();
                    format!("{}.{}", parts[0], parts[parts.len() - 1])
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A BMC with instant updates and short reboots, for flow tests.
pub async fn fast(persona: mock_bmc::Persona) -> MockBmc {
    let mut cfg = mock_bmc::BmcConfig::new("bmc-upd", persona, 11, 0, PASSWORD).ideal();
    cfg.timing = mock_bmc::bmc::Timing {
        update: std::time::Duration::ZERO,
        reboot: std::time::Duration::from_millis(300),
        task_vanish: Some(std::time::Duration::from_millis(500)),
    };
    start_with(cfg).await
}

/// A version newer than the component's, in its own vendor style.
pub fn newer(comp: &Value) -> String {
    let style: mock_bmc::vstyle::VersionStyle =
        serde_json::from_value(comp["version_style"].clone()).unwrap();
    style
        .bump(
            comp["version"].as_str().unwrap(),
            mock_bmc::vstyle::Bump::Minor,
        )
        .unwrap()
}

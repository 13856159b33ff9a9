//! Shared helpers: start a BMC, make clients, read JSON.

use mock_bmc::{BmcConfig, MockBmc, Persona};
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;

pub const PASSWORD: &str = "s3cret-pw";

pub async fn start(persona: Persona) -> MockBmc {
    start_with(BmcConfig::new("bmc-test", persona, 7, 0, PASSWORD)).await
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

//! Every 4xx/5xx the mock sends: a Redfish error body plus the headers the
//! standard asks for (`WWW-Authenticate` on 401, `Allow` on 405, `Retry-After` on 503).

use crate::messages::{message, Registry};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// An error the handler returns; rendered in one place so every error looks alike.
#[derive(Debug, Clone)]
pub struct RedfishError {
    pub status: StatusCode,
    pub messages: Vec<Value>,
    pub headers: Vec<(header::HeaderName, String)>,
}

impl RedfishError {
    pub fn new(status: StatusCode, registry: Registry, key: &str, args: &[&str]) -> Self {
        RedfishError {
            status,
            messages: vec![message(registry, key, args)],
            headers: Vec::new(),
        }
    }

    pub fn base(status: StatusCode, key: &str, args: &[&str]) -> Self {
        Self::new(status, Registry::Base, key, args)
    }

    pub fn with_header(mut self, name: header::HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Add what went wrong in words to the first message (e.g. a parser's error).
    pub fn with_detail(mut self, detail: &str) -> Self {
        if let Some(m) = self.messages.first_mut() {
            let text = m["Message"].as_str().unwrap_or_default().to_string();
            m["Message"] = serde_json::Value::String(format!("{text} ({detail})"));
        }
        self
    }

    pub fn not_found(uri: &str) -> Self {
        Self::base(StatusCode::NOT_FOUND, "ResourceMissingAtURI", &[uri])
    }

    pub fn unauthorized(uri: &str) -> Self {
        Self::base(
            StatusCode::UNAUTHORIZED,
            "ResourceAtUriUnauthorized",
            &[uri, "Unauthorized"],
        )
        .with_header(header::WWW_AUTHENTICATE, "Basic realm=\"Redfish\"")
    }

    pub fn method_not_allowed(allow: &str) -> Self {
        Self::base(StatusCode::METHOD_NOT_ALLOWED, "OperationNotAllowed", &[])
            .with_header(header::ALLOW, allow)
    }

    pub fn malformed_json() -> Self {
        Self::base(StatusCode::BAD_REQUEST, "MalformedJSON", &[])
    }

    pub fn unavailable(retry_after_secs: u64) -> Self {
        let secs = retry_after_secs.to_string();
        Self::base(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceTemporarilyUnavailable",
            &[&secs],
        )
        .with_header(header::RETRY_AFTER, secs.clone())
    }

    /// The JSON body: `code`/`message` copy the single message, or become
    /// `GeneralError` when there are several.
    pub fn body(&self) -> Value {
        let (code, text) = match self.messages.as_slice() {
            [one] => (
                one["MessageId"].as_str().unwrap_or_default().to_string(),
                one["Message"].as_str().unwrap_or_default().to_string(),
            ),
            _ => (
                "Base.1.22.GeneralError".to_string(),
                "A general error has occurred. See ExtendedInfo for more information.".to_string(),
            ),
        };
        json!({"error": {"code": code, "message": text, "@Message.ExtendedInfo": self.messages}})
    }
}

impl IntoResponse for RedfishError {
    fn into_response(self) -> Response {
        let body = self.body();
        let mut resp = (self.status, axum::Json(body)).into_response();
        let h = resp.headers_mut();
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.insert(name, v);
            }
        }
        resp
    }
}

//! What can stop the service ([`DaemonError`]) and what the API answers when
//! a request fails ([`ApiError`], always `{"error": {"code", "message"}}`).

use crate::repository::RepoError;
use crate::store::StoreError;
use crate::updater::apply::ApplyError;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::path::PathBuf;

/// Why the service could not start, or a run could not go on.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Apply(#[from] ApplyError),
    #[error("cannot open the image repository {}: {source}", path.display())]
    Repository {
        path: std::path::PathBuf,
        #[source]
        source: RepoError,
    },
    #[error(transparent)]
    Lock(#[from] crate::updater::lock::LockError),
    #[error("daemon.tls_cert / tls_key: {0}\n  hint: both are PEM files: the certificate chain (server first) and its private key")]
    Tls(#[from] crate::tlsfiles::TlsFilesError),
    #[error(transparent)]
    Notify(#[from] crate::notify::SetupError),
    #[error("the HTTP server failed: {0}")]
    Serve(#[source] std::io::Error),
    /// A blocking task (store, planner) panicked; what it did is unknown.
    #[error("a background task did not finish: {0}")]
    Task(String),
}

/// Why no token could be loaded. Messages name the config key and never
/// contain the token.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("no API token is configured: set daemon.token_file or daemon.token_env (the admin token), or add [[daemon.tokens]]\n  hint: e.g. `openssl rand -hex 32 > api.token; chmod 600 api.token` and token_file = \"api.token\" under [daemon]")]
    Missing,
    #[error("{key}: cannot read {}: {source}", path.display())]
    File {
        key: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{key}: the environment variable {var} is not set (or not UTF-8)")]
    Env { key: String, var: String },
    #[error("{second} holds the same token as {first}: the audit trail could not tell them apart\n  hint: give every token its own value (`openssl rand -hex 32`)")]
    Shared { first: String, second: String },
    #[error("{origin}: the token is {len} character(s); use at least {min}\n  hint: `openssl rand -hex 32` writes a good one")]
    TooShort {
        origin: String,
        len: usize,
        min: usize,
    },
}

/// A failed API request: the status, a stable machine-readable `code`, and a
/// message for people that says what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad-request", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not-found", message)
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, message)
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl From<DaemonError> for ApiError {
    fn from(e: DaemonError) -> ApiError {
        // Store and repository errors name files, never credentials: the
        // store holds none and the token is only ever kept as a digest.
        tracing::error!("API request failed: {e}");
        ApiError::internal(e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        DaemonError::from(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": {"code": self.code, "message": self.message}
        });
        let mut resp = (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"fwfleet\""),
            );
        }
        resp
    }
}

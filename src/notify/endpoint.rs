//! One `[[notify]]` endpoint, validated (config/notify.rs reads the file):
//! where events go, which ones, the signing key and the delivery limits.

use super::event::EventKind;
use crate::secret::Secret;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

/// Per-request timeout when `timeout_secs` is not set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts per event when `attempts` is not set.
pub const DEFAULT_ATTEMPTS: u32 = 5;
/// Events waiting per endpoint when `queue_size` is not set.
pub const DEFAULT_QUEUE: usize = 1000;

/// A validated `[[notify]]` table. Its `Debug` shows the URL's host only
/// (the path may hold a token) and the key as `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct EndpointConfig {
    /// The `endpoint` label of the metrics and the name in log lines:
    /// `name`, or the URL's host and port. Never the URL's path or query,
    /// which may hold a token (chat webhooks put theirs there).
    pub name: String,
    /// `http://` or `https://`, without credentials.
    pub url: url::Url,
    /// The events this endpoint receives (default: all).
    pub events: BTreeSet<EventKind>,
    /// The HMAC-SHA256 key (`secret_file`'s contents, trailing newline cut).
    pub secret: Secret,
    /// Trust only this CA for an `https://` endpoint (default: WebPKI roots).
    pub ca_file: Option<PathBuf>,
    /// Per request, connect to response.
    pub timeout: Duration,
    /// Attempts per event, the first included.
    pub attempts: u32,
    /// Events waiting; when full the oldest is dropped.
    pub queue_size: usize,
}

impl std::fmt::Debug for EndpointConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointConfig")
            .field("name", &self.name)
            .field("host", &self.host())
            .field("events", &self.events)
            .field("secret", &self.secret)
            .field("ca_file", &self.ca_file)
            .field("timeout", &self.timeout)
            .field("attempts", &self.attempts)
            .field("queue_size", &self.queue_size)
            .finish_non_exhaustive()
    }
}

impl EndpointConfig {
    /// The URL's host and port, for logs: never its path or query.
    pub fn host(&self) -> String {
        host_of(&self.url)
    }
}

/// `host[:port]` of a URL (the port only when it is not the scheme's).
pub fn host_of(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

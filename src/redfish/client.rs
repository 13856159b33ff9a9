//! One BMC's Redfish client: TLS policy, auth (session with Basic fallback),
//! timeouts, retries, a response-size cap and at most N requests in flight.
//!
//! BMCs are small embedded computers with small session tables: the client
//! keeps one session per BMC, reuses it, re-logs in once on 401, and always
//! logs out — on success, on error, and on drop.

use super::error::{chain, redfish_message, RedfishError};
use super::tls::{self, TlsPolicy};
use crate::config::{AuthMode, HostConfig, Limits, TlsSetting};
use crate::secret::Secret;
use bytes::Bytes;
use futures::StreamExt;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, Semaphore};

/// How the client currently authenticates.
#[derive(Debug, Clone)]
enum Auth {
    None,
    Session { token: Secret, location: String },
    Basic,
}

/// A response read in full (under the size cap).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The Redfish client of one host.
#[derive(Debug)]
pub struct BmcClient {
    host: String,
    base: String,
    http: reqwest::Client,
    username: String,
    password: Secret,
    mode: AuthMode,
    limits: Limits,
    in_flight: Semaphore,
    auth: Mutex<Auth>,
    /// Shared with the drop guard so a forgotten session is still deleted.
    open_session: Arc<std::sync::Mutex<Option<(Secret, String)>>>,
}

/// Longest `Retry-After` the client honours before treating the BMC as down.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// How long 503s are waited out in all, beyond the configured retries.
const MAX_503_WAIT: Duration = Duration::from_secs(60);

/// When a failed exchange is tried again, shared by every request path.
#[derive(Debug, Default)]
struct Patience {
    attempt: u32,
    waited_503: Duration,
}

impl Patience {
    /// How long to wait before trying again, or `None` to give `result` to
    /// the caller. A 503 storm (BMC busy, rebooting its web server) is waited
    /// out after its `Retry-After` for up to a minute, however many 503s it
    /// takes, for any method (the BMC said nothing was done); transient
    /// failures are retried with backoff only for idempotent methods.
    fn wait_before_retry(
        &mut self,
        result: &Result<Reply, RedfishError>,
        idempotent: bool,
        retries: u32,
    ) -> Option<Duration> {
        self.attempt += 1;
        match result {
            Ok(r)
                if r.status == StatusCode::SERVICE_UNAVAILABLE
                    && (self.attempt <= retries || self.waited_503 < MAX_503_WAIT) =>
            {
                let wait = retry_after(r)
                    .unwrap_or(Duration::from_secs(1))
                    .clamp(Duration::from_millis(250), MAX_RETRY_AFTER);
                self.waited_503 += wait;
                Some(wait)
            }
            Err(e) if idempotent && e.is_transient() && self.attempt <= retries => {
                Some(Duration::from_millis(200 * 2u64.pow(self.attempt - 1)))
            }
            _ => None,
        }
    }
}

impl BmcClient {
    /// Build the client; no I/O yet.
    pub fn new(h: &HostConfig) -> Result<BmcClient, RedfishError> {
        let setup = |detail: String| RedfishError::Setup {
            host: h.name.clone(),
            detail,
        };
        let policy = match &h.tls {
            TlsSetting::Verify { ca_file } => TlsPolicy::Verify {
                ca_file: ca_file.clone(),
            },
            TlsSetting::Pin(fp) => TlsPolicy::Pin {
                sha256: tls::parse_fingerprint(fp)
                    .map_err(|e| setup(format!("tls_fingerprint_sha256: {e}")))?,
            },
            TlsSetting::Insecure => {
                tracing::warn!(host = %h.name, "TLS verification is off for this host (insecure = true)");
                TlsPolicy::Insecure
            }
        };
        let mut b = tls::client_builder(&policy)
            .map_err(|e| setup(e.to_string()))?
            .connect_timeout(h.limits.connect_timeout)
            .timeout(h.limits.request_timeout)
            // Keep no more idle sockets than requests in flight, and not for long:
            // thousands of idle keep-alives would exhaust a BMC simulator or a proxy.
            .pool_max_idle_per_host(h.limits.max_in_flight)
            .pool_idle_timeout(Duration::from_secs(5))
            // Every TLS policy behaves alike (a pinned config speaks HTTP/1.1 only), and
            // BMC web servers are HTTP/1.1 first.
            .http1_only()
            .user_agent(concat!("fwfleet/", env!("CARGO_PKG_VERSION")));
        b = match &h.proxy {
            Some(p) => {
                b.proxy(reqwest::Proxy::all(p).map_err(|e| setup(format!("proxy {p}: {e}")))?)
            }
            None => b.no_proxy(),
        };
        let http = b.build().map_err(|e| setup(chain(&e)))?;
        Ok(BmcClient {
            host: h.name.clone(),
            base: h.url.clone(),
            http,
            username: h.username.clone(),
            password: h.password.clone(),
            mode: h.auth,
            limits: h.limits.clone(),
            in_flight: Semaphore::new(h.limits.max_in_flight.max(1)),
            auth: Mutex::new(Auth::None),
            open_session: Arc::new(std::sync::Mutex::new(None)),
        })
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn url(&self, uri: &str) -> String {
        if uri.starts_with("http://") || uri.starts_with("https://") {
            uri.to_string()
        } else {
            format!("{}{uri}", self.base)
        }
    }

    fn connect_error(&self, uri: &str, e: reqwest::Error) -> RedfishError {
        if let Some(tls::PinMismatch { expected, got }) = tls::pin_mismatch(&e) {
            return RedfishError::PinMismatch {
                host: self.host.clone(),
                expected,
                got,
            };
        }
        if e.is_timeout() {
            return RedfishError::Timeout {
                host: self.host.clone(),
                uri: uri.to_string(),
                secs: self.limits.request_timeout.as_secs(),
            };
        }
        RedfishError::Connect {
            host: self.host.clone(),
            uri: uri.to_string(),
            detail: chain(&e),
            source: Some(e),
        }
    }

    /// One HTTP exchange, body read under the size cap. No retries, no auth logic.
    async fn exchange(
        &self,
        method: Method,
        uri: &str,
        auth: &Auth,
        body: Option<&serde_json::Value>,
    ) -> Result<Reply, RedfishError> {
        let _permit = self
            .in_flight
            .acquire()
            .await
            .map_err(|_| RedfishError::Setup {
                host: self.host.clone(),
                detail: "client closed".into(),
            })?;
        let mut rq = self
            .http
            .request(method, self.url(uri))
            .header("Accept", "application/json")
            .header("OData-Version", "4.0");
        rq = match auth {
            Auth::Session { token, .. } => rq.header("X-Auth-Token", token.expose()),
            Auth::Basic => rq.basic_auth(&self.username, Some(self.password.expose())),
            Auth::None => rq,
        };
        if let Some(b) = body {
            rq = rq.json(b);
        }
        let resp = rq.send().await.map_err(|e| self.connect_error(uri, e))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let limit = self.limits.max_response_bytes;
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(RedfishError::TooLarge {
                host: self.host.clone(),
                uri: uri.to_string(),
                limit,
            });
        }
        let mut body = Vec::new();
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.connect_error(uri, e))?;
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(RedfishError::TooLarge {
                    host: self.host.clone(),
                    uri: uri.to_string(),
                    limit,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Reply {
            status,
            headers,
            body: Bytes::from(body),
        })
    }

    /// A request with auth, one re-login on 401, and retries: idempotent
    /// methods retry transient failures with backoff; any method retries a 503
    /// after its `Retry-After` (the BMC said nothing was done).
    pub async fn request(
        &self,
        method: Method,
        uri: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Reply, RedfishError> {
        let idempotent = matches!(method, Method::GET | Method::HEAD);
        let mut relogged = false;
        let mut patience = Patience::default();
        loop {
            let auth = self.auth.lock().await.clone();
            let result = self.exchange(method.clone(), uri, &auth, body).await;
            if let Ok(r) = &result {
                if r.status == StatusCode::UNAUTHORIZED && !relogged && !matches!(auth, Auth::None)
                {
                    // Sessions vanish (BMC reboot, expiry): log in again, once.
                    relogged = true;
                    tracing::debug!(host = %self.host, uri, "401: logging in again");
                    self.forget_session().await;
                    self.login().await?;
                    continue;
                }
            }
            match patience.wait_before_retry(&result, idempotent, self.limits.retries) {
                Some(wait) => {
                    tracing::debug!(host = %self.host, uri, ?wait, "retrying");
                    tokio::time::sleep(wait).await;
                }
                None => return result,
            }
        }
    }

    fn http_error(&self, method: &str, uri: &str, r: &Reply) -> RedfishError {
        RedfishError::Http {
            host: self.host.clone(),
            method: method.to_string(),
            uri: uri.to_string(),
            status: r.status.as_u16(),
            redfish_message: redfish_message(&r.body),
        }
    }

    /// GET and decode JSON into `T`; decode errors name the JSON path.
    pub async fn get<T: DeserializeOwned>(&self, uri: &str) -> Result<T, RedfishError> {
        let r = self.request(Method::GET, uri, None).await?;
        if !r.status.is_success() {
            return Err(self.http_error("GET", uri, &r));
        }
        self.decode(uri, &r.body)
    }

    /// Decode a body, naming host, URI and JSON path on failure.
    pub fn decode<T: DeserializeOwned>(&self, uri: &str, body: &[u8]) -> Result<T, RedfishError> {
        let de = &mut serde_json::Deserializer::from_slice(body);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            RedfishError::Decode {
                host: self.host.clone(),
                uri: uri.to_string(),
                what: std::any::type_name::<T>()
                    .rsplit("::")
                    .next()
                    .unwrap_or("JSON")
                    .to_string(),
                detail: if path == "." {
                    e.into_inner().to_string()
                } else {
                    format!("at JSON path `{path}`: {}", e.into_inner())
                },
            }
        })
    }

    /// GET without credentials (service root).
    pub async fn get_public<T: DeserializeOwned>(&self, uri: &str) -> Result<T, RedfishError> {
        let mut patience = Patience::default();
        let r = loop {
            let result = self.exchange(Method::GET, uri, &Auth::None, None).await;
            match patience.wait_before_retry(&result, true, self.limits.retries) {
                Some(wait) => tokio::time::sleep(wait).await,
                None => break result?,
            }
        };
        if !r.status.is_success() {
            return Err(self.http_error("GET", uri, &r));
        }
        self.decode(uri, &r.body)
    }

    /// Authenticate per the host's mode: a session (Basic when the BMC has no
    /// SessionService or its session table is full), or Basic.
    pub async fn login(&self) -> Result<(), RedfishError> {
        // Already authenticated: one session per BMC, never a second.
        if !matches!(*self.auth.lock().await, Auth::None) {
            return Ok(());
        }
        if self.mode == AuthMode::Basic {
            *self.auth.lock().await = Auth::Basic;
            return Ok(());
        }
        let uri = "/redfish/v1/SessionService/Sessions";
        let body =
            serde_json::json!({"UserName": self.username, "Password": self.password.expose()});
        let r = self
            .exchange(Method::POST, uri, &Auth::None, Some(&body))
            .await?;
        match r.status.as_u16() {
            200 | 201 | 204 => {
                let token = r
                    .header("X-Auth-Token")
                    .map(str::to_string)
                    .ok_or_else(|| RedfishError::Auth {
                        host: self.host.clone(),
                        detail: "the BMC created a session but sent no X-Auth-Token".into(),
                    })?;
                let location = r
                    .header("Location")
                    .map(|l| l.to_string())
                    .or_else(|| {
                        serde_json::from_slice::<serde_json::Value>(&r.body)
                            .ok()
                            .and_then(|v| v["@odata.id"].as_str().map(str::to_string))
                    })
                    .unwrap_or_default();
                let token = Secret::new(token);
                if let Ok(mut g) = self.open_session.lock() {
                    *g = Some((token.clone(), location.clone()));
                }
                *self.auth.lock().await = Auth::Session { token, location };
                Ok(())
            }
            401 | 403 => Err(RedfishError::Auth {
                host: self.host.clone(),
                detail: redfish_message(&r.body)
                    .unwrap_or_else(|| format!("HTTP {}", r.status.as_u16())),
            }),
            404 | 405 | 501 | 503 => {
                // No SessionService, or its table is full: Basic keeps us working
                // without taking a session slot from operators.
                tracing::info!(host = %self.host, status = r.status.as_u16(), "no session available; using Basic auth");
                *self.auth.lock().await = Auth::Basic;
                Ok(())
            }
            _ => Err(self.http_error("POST", uri, &r)),
        }
    }

    async fn forget_session(&self) {
        *self.auth.lock().await = Auth::None;
        if let Ok(mut g) = self.open_session.lock() {
            *g = None;
        }
    }

    /// Delete the session (best effort: an error is logged, not returned).
    pub async fn logout(&self) {
        let auth = std::mem::replace(&mut *self.auth.lock().await, Auth::None);
        if let Ok(mut g) = self.open_session.lock() {
            *g = None;
        }
        if let Auth::Session { token, location } = auth {
            if location.is_empty() {
                return;
            }
            let r = self
                .exchange(
                    Method::DELETE,
                    &location,
                    &Auth::Session {
                        token,
                        location: location.clone(),
                    },
                    None,
                )
                .await;
            match r {
                Ok(r) if r.status.is_success() || r.status == StatusCode::NOT_FOUND => {}
                Ok(r) => {
                    tracing::warn!(host = %self.host, status = r.status.as_u16(), "logout refused")
                }
                Err(e) => tracing::warn!(host = %self.host, error = %e, "logout failed"),
            }
        }
    }
}

impl Drop for BmcClient {
    /// A client dropped with a session open (a panic, a cancelled scan) still
    /// frees the BMC's session slot, in the background.
    fn drop(&mut self) {
        let open = self.open_session.lock().ok().and_then(|mut g| g.take());
        if let (Some((token, location)), Ok(rt)) = (open, tokio::runtime::Handle::try_current()) {
            if location.is_empty() {
                return;
            }
            let http = self.http.clone();
            let url = self.url(&location);
            rt.spawn(async move {
                let _ = http
                    .delete(url)
                    .header("X-Auth-Token", token.expose())
                    .send()
                    .await;
            });
        }
    }
}

/// A request body that streams from disk, built afresh for each attempt.
#[derive(Debug)]
pub enum UploadBody {
    Multipart(reqwest::multipart::Form),
    /// A raw body (`application/octet-stream`) of known length.
    Raw(reqwest::Body, u64),
}

impl BmcClient {
    /// POST an upload. `body` is called again for a retry, so an image is
    /// streamed from disk each time and never held in memory. A 401 re-logs in
    /// once; a 503 (nothing was written) is retried after its `Retry-After`.
    pub async fn upload<F, Fut>(
        &self,
        uri: &str,
        timeout: Duration,
        body: F,
    ) -> Result<Reply, RedfishError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = std::io::Result<UploadBody>>,
    {
        let mut relogged = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let auth = self.auth.lock().await.clone();
            let b = body().await.map_err(|e| RedfishError::Setup {
                host: self.host.clone(),
                detail: format!("reading the image for {uri}: {e}"),
            })?;
            let _permit = self
                .in_flight
                .acquire()
                .await
                .map_err(|_| RedfishError::Setup {
                    host: self.host.clone(),
                    detail: "client closed".into(),
                })?;
            let mut rq = self.http.post(self.url(uri)).timeout(timeout);
            rq = match &auth {
                Auth::Session { token, .. } => rq.header("X-Auth-Token", token.expose()),
                Auth::Basic => rq.basic_auth(&self.username, Some(self.password.expose())),
                Auth::None => rq,
            };
            rq = match b {
                UploadBody::Multipart(form) => rq.multipart(form),
                UploadBody::Raw(body, len) => rq
                    .header("Content-Type", "application/octet-stream")
                    .header("Content-Length", len)
                    .body(body),
            };
            let resp = rq.send().await.map_err(|e| self.connect_error(uri, e))?;
            let status = resp.status();
            let headers = resp.headers().clone();
            let bytes = resp.bytes().await.map_err(|e| self.connect_error(uri, e))?;
            drop(_permit);
            let r = Reply {
                status,
                headers,
                body: bytes,
            };
            if r.status == StatusCode::UNAUTHORIZED && !relogged && !matches!(auth, Auth::None) {
                relogged = true;
                self.forget_session().await;
                self.login().await?;
                continue;
            }
            if r.status == StatusCode::SERVICE_UNAVAILABLE && attempt <= self.limits.retries {
                let wait = retry_after(&r)
                    .unwrap_or(Duration::from_secs(1))
                    .min(MAX_RETRY_AFTER);
                tokio::time::sleep(wait).await;
                continue;
            }
            return Ok(r);
        }
    }

    /// How long an upload of `size` bytes may take: the request timeout plus
    /// one second per MiB (BMCs often take images at a few MiB/s; FIELD-NOTES B2.15).
    pub fn upload_timeout(&self, size: u64) -> Duration {
        self.limits.request_timeout + Duration::from_secs(size / (1024 * 1024) + 1)
    }
}

fn retry_after(r: &Reply) -> Option<Duration> {
    let v = r.header("Retry-After")?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let secs = (when.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds();
    Some(Duration::from_secs(secs.max(0) as u64))
}

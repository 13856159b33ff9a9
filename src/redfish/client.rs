//! One BMC's Redfish client: TLS policy, auth (session with Basic fallback),
//! timeouts, retries, a response-size cap and at most N requests in flight.
//!
//! BMCs are small embedded computers with small session tables: the client
//! keeps one session per BMC, reuses it, re-logs in once on 401, and always
//! logs out — on success, on error, and on drop.
//!
//! A BMC is untrusted input (docs/SECURITY.md): every URI it names goes
//! through [`origin`](super::origin) to the configured origin only, no
//! redirect is followed by the HTTP library (a same-origin GET redirect is
//! followed here, at most [`MAX_REDIRECTS`] times), and every body it sends,
//! upload replies included, is read under `max_response_bytes`.

use super::error::{chain, redfish_message, RedfishError};
use super::origin::{self, Bound, Field, Origin, Refusal};
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

/// A response read in full (under the size cap). Only `redfish/` sees
/// one: everything above it gets typed results.
#[derive(Debug)]
pub(in crate::redfish) struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub(in crate::redfish) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A BMC-supplied URI that named another origin (reduced to its path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    pub field: &'static str,
    /// The URI as the BMC wrote it (bounded, printable).
    pub uri: String,
}

/// Sightings kept per client for [`BmcClient::foreign_origins`]; the
/// process-wide counters count them all.
const MAX_SIGHTINGS: usize = 32;

/// Same-origin redirects a GET follows before giving up.
pub const MAX_REDIRECTS: u32 = 3;

/// Pages of one collection read through `Members@odata.nextLink`: a BMC
/// that keeps naming next pages (or the same one) must not keep fwfleet reading.
pub const MAX_PAGES: usize = 100;

/// The Redfish client of one host.
#[derive(Debug)]
pub struct BmcClient {
    host: String,
    base: String,
    origin: Origin,
    http: reqwest::Client,
    username: String,
    password: Secret,
    mode: AuthMode,
    limits: Limits,
    in_flight: Semaphore,
    auth: Mutex<Auth>,
    /// Shared with the drop guard so a forgotten session is still deleted.
    open_session: Arc<std::sync::Mutex<Option<(Secret, String)>>>,
    /// Foreign origins this BMC named, the first of each field logged.
    sightings: std::sync::Mutex<Vec<Sighting>>,
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
                Some(backoff(self.attempt))
            }
            _ => None,
        }
    }
}

/// The wait before retry `attempt` (1-based) of a transient failure.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(200 * 2u64.pow(attempt.saturating_sub(1).min(16)))
}

/// How long the client keeps retrying a read that finds the BMC refusing
/// connections before it hands the error to its caller: every backoff of
/// `limits.retries` retries. A BMC away for longer than this (a reboot) is
/// the caller's to ride out (`updater::step`'s `bmc_reboot_timeout`), and a
/// test's mock reboot must last several times this, or the retries alone
/// would hide it.
pub fn transport_retry_window(limits: &Limits) -> Duration {
    (1..=limits.retries).map(backoff).sum()
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
            // Redirects are never followed by the library: it would re-send
            // `X-Auth-Token` (and a login's password) to wherever the BMC
            // points. `exchange` follows same-origin GET redirects itself.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("fwfleet/", env!("CARGO_PKG_VERSION")));
        b = match &h.proxy {
            // The proxy URL may carry credentials: errors name the key, not the value.
            Some(p) => b.proxy(reqwest::Proxy::all(p.expose()).map_err(|_| {
                setup(format!(
                    "proxy {} is not a usable proxy URL; check hosts[].proxy / defaults.proxy",
                    p
                ))
            })?),
            None => b.no_proxy(),
        };
        let http = b.build().map_err(|e| setup(chain(&e)))?;
        let origin = Origin::new(&h.url).map_err(setup)?;
        Ok(BmcClient {
            host: h.name.clone(),
            base: h.url.clone(),
            origin,
            http,
            username: h.username.clone(),
            password: h.password.clone(),
            mode: h.auth,
            limits: h.limits.clone(),
            in_flight: Semaphore::new(h.limits.max_in_flight.max(1)),
            auth: Mutex::new(Auth::None),
            open_session: Arc::new(std::sync::Mutex::new(None)),
            sightings: std::sync::Mutex::new(Vec::new()),
        })
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Bind a URI the BMC supplied in `field` to the configured origin:
    /// its path and query, to pass to `request` or store.
    /// A foreign origin is counted and logged; a refusal is an error naming
    /// host, URI and field.
    pub fn bind(&self, raw: &str, field: Field) -> Result<String, RedfishError> {
        self.bind_from(raw, field, None).map(|b| b.path_and_query())
    }

    /// [`bind`](Self::bind) for an optional URI.
    pub fn bind_opt(
        &self,
        raw: Option<&str>,
        field: Field,
    ) -> Result<Option<String>, RedfishError> {
        raw.map(|r| self.bind(r, field)).transpose()
    }

    fn bind_from(
        &self,
        raw: &str,
        field: Field,
        from: Option<&reqwest::Url>,
    ) -> Result<Bound, RedfishError> {
        match self.origin.bind(raw, field, from) {
            Ok(b) => {
                if b.foreign {
                    self.sighted(raw, field);
                }
                Ok(b)
            }
            Err(why) => Err(self.refused(raw, field, &why)),
        }
    }

    fn sighted(&self, raw: &str, field: Field) {
        origin::count_foreign(field);
        let mut s = self.sightings.lock().unwrap_or_else(|e| e.into_inner());
        let first_of_field = !s.iter().any(|x| x.field == field.name());
        if first_of_field {
            tracing::warn!(
                host = %self.host,
                field = field.name(),
                uri = %origin::shown(raw),
                configured = %self.base,
                "the BMC named another origin; only its path is used, on the configured origin (counted in fwfleet_redfish_foreign_origin_total)"
            );
        }
        if s.len() < MAX_SIGHTINGS {
            s.push(Sighting {
                field: field.name(),
                uri: origin::shown(raw),
            });
        }
    }

    fn refused(&self, raw: &str, field: Field, why: &Refusal) -> RedfishError {
        origin::count_refused(field);
        if self.origin.is_foreign(raw) {
            origin::count_foreign(field);
        }
        let e = RedfishError::RefusedUri {
            host: self.host.clone(),
            field: field.name(),
            uri: origin::shown(raw),
            why: why.why(),
        };
        tracing::warn!(host = %self.host, field = field.name(), "{e}");
        e
    }

    /// The foreign origins this BMC named so far (the first
    /// [`MAX_SIGHTINGS`]), for reports and tests.
    pub fn foreign_origins(&self) -> Vec<Sighting> {
        self.sightings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn connect_error(&self, uri: &str, e: reqwest::Error) -> RedfishError {
        if let Some(tls::PinMismatch { expected, got }) = tls::pin_mismatch(&e) {
            return RedfishError::PinMismatch {
                host: self.host.clone(),
                expected,
                got,
            };
        }
        if let Some(tls::Untrusted {
            reason,
            fingerprint,
        }) = tls::untrusted(&e)
        {
            return RedfishError::Untrusted {
                host: self.host.clone(),
                reason,
                fingerprint,
            };
        }
        // No connection at all (refused, unreachable, a connect timeout, a
        // failed handshake): nothing reached the BMC.
        if e.is_connect() {
            return RedfishError::Connect {
                host: self.host.clone(),
                uri: uri.to_string(),
                detail: chain(&e),
                source: Some(e),
            };
        }
        if e.is_timeout() {
            return RedfishError::Timeout {
                host: self.host.clone(),
                uri: uri.to_string(),
                secs: self.limits.request_timeout.as_secs(),
            };
        }
        // Connected, then cut off before (or while) the answer came: the
        // request may have been taken.
        RedfishError::Dropped {
            host: self.host.clone(),
            uri: uri.to_string(),
            detail: chain(&e),
            source: Some(e),
        }
    }

    /// One HTTP exchange, body read under the size cap. No retries, no auth
    /// logic. A GET redirected within the configured origin is followed (at
    /// most [`MAX_REDIRECTS`] times, credentials kept: it is the same BMC);
    /// any other redirect is an error, and nothing is sent to its target.
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
        let mut url = self.bind_from(uri, Field::REQUEST, None)?.url;
        let mut hops = 0;
        loop {
            let mut rq = self
                .http
                .request(method.clone(), url.clone())
                .header("Accept", "application/json")
                .header("OData-Version", "4.0");
            rq = self.authorize(rq, auth);
            if let Some(b) = body {
                rq = rq.json(b);
            }
            let resp = rq.send().await.map_err(|e| self.connect_error(uri, e))?;
            let reply = self.read_capped(uri, resp).await?;
            if !is_redirect(reply.status) {
                return Ok(reply);
            }
            let idempotent = matches!(method, Method::GET | Method::HEAD);
            url = self.redirect_target(
                &method,
                uri,
                &url,
                &reply,
                idempotent && hops < MAX_REDIRECTS,
            )?;
            hops += 1;
            tracing::debug!(host = %self.host, uri, to = %url.path(), "following a same-origin redirect");
        }
    }

    /// Where a redirect may be followed to, or why it is not.
    fn redirect_target(
        &self,
        method: &Method,
        uri: &str,
        from: &reqwest::Url,
        reply: &Reply,
        may_follow: bool,
    ) -> Result<reqwest::Url, RedfishError> {
        let location = reply.header("Location").unwrap_or("");
        if !may_follow {
            return Err(self.redirect_refused(method, uri, reply));
        }
        match self.bind_from(location, Field::REDIRECT, Some(from)) {
            Ok(b) if !b.foreign => Ok(b.url),
            // Reduced to a path it would go to the configured origin, but a
            // redirect means "not here": following it elsewhere is not what
            // the BMC asked, and across origins never what we allow.
            Ok(_) => Err(self.refused(location, Field::REDIRECT, &Refusal::CrossOrigin)),
            Err(e) => Err(e),
        }
    }

    /// A redirect that is not followed at all.
    fn redirect_refused(&self, method: &Method, uri: &str, reply: &Reply) -> RedfishError {
        RedfishError::Redirect {
            host: self.host.clone(),
            method: method.to_string(),
            uri: uri.to_string(),
            status: reply.status.as_u16(),
            location: origin::shown(reply.header("Location").unwrap_or("")),
            why: if matches!(*method, Method::GET | Method::HEAD) {
                format!("more than {MAX_REDIRECTS} redirects in a row")
            } else {
                format!("fwfleet never re-sends a {method} to a redirect")
            },
        }
    }

    fn authorize(&self, rq: reqwest::RequestBuilder, auth: &Auth) -> reqwest::RequestBuilder {
        match auth {
            Auth::Session { token, .. } => rq.header("X-Auth-Token", token.expose()),
            Auth::Basic => rq.basic_auth(&self.username, Some(self.password.expose())),
            Auth::None => rq,
        }
    }

    /// Read a response under `max_response_bytes`: a declared length over the
    /// cap is refused before reading, an undeclared one when the cap is
    /// passed, so at most the cap (plus one network chunk) is ever held.
    async fn read_capped(&self, uri: &str, resp: reqwest::Response) -> Result<Reply, RedfishError> {
        let status = resp.status();
        let headers = resp.headers().clone();
        let limit = self.limits.max_response_bytes;
        let too_large = || RedfishError::TooLarge {
            host: self.host.clone(),
            uri: uri.to_string(),
            limit,
        };
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.connect_error(uri, e))?;
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Reply {
            status,
            headers,
            body: Bytes::from(body),
        })
    }

    /// A success reply's `Location` (a task monitor, a created resource)
    /// bound to the configured origin in place, so whoever reads it gets a path.
    fn bind_location(&self, reply: &mut Reply, field: Field) -> Result<(), RedfishError> {
        let Some(raw) = reply.header("Location").map(str::to_string) else {
            return Ok(());
        };
        let bound = self.bind(&raw, field)?;
        match reqwest::header::HeaderValue::from_str(&bound) {
            Ok(v) => {
                reply.headers.insert(reqwest::header::LOCATION, v);
            }
            Err(_) => {
                reply.headers.remove(reqwest::header::LOCATION);
            }
        }
        Ok(())
    }

    /// A request with auth, one re-login on 401, and retries: idempotent
    /// methods retry transient failures with backoff; any method retries a 503
    /// after its `Retry-After` (the BMC said nothing was done).
    pub(in crate::redfish) async fn request(
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
                None => {
                    let mut r = result?;
                    self.bind_location(&mut r, Field::LOCATION)?;
                    return Ok(r);
                }
            }
        }
    }

    pub(in crate::redfish) fn http_error(
        &self,
        method: &str,
        uri: &str,
        r: &Reply,
    ) -> RedfishError {
        RedfishError::Http {
            host: self.host.clone(),
            method: method.to_string(),
            uri: uri.to_string(),
            status: r.status.as_u16(),
            redfish_message: redfish_message(&r.body),
        }
    }

    /// GET and decode JSON into `T`; decode errors name the JSON path.
    pub(in crate::redfish) async fn get<T: DeserializeOwned>(
        &self,
        uri: &str,
    ) -> Result<T, RedfishError> {
        let r = self.request(Method::GET, uri, None).await?;
        if !r.status.is_success() {
            return Err(self.http_error("GET", uri, &r));
        }
        self.decode(uri, &r.body)
    }

    /// GET a collection with all its pages: each `Members@odata.nextLink`
    /// (or `@odata.nextLink`) is bound to the host's origin and followed, at
    /// most [`MAX_PAGES`] pages in all, never the same page twice.
    pub(in crate::redfish) async fn get_collection<T: DeserializeOwned>(
        &self,
        uri: &str,
    ) -> Result<redfish_schemas::Collection<T>, RedfishError> {
        let mut coll: redfish_schemas::Collection<T> = self.get(uri).await?;
        // Compared as bound (normalised) paths, as the next links are.
        let mut seen = vec![self.bind(uri, Field::REQUEST)?];
        while let Some(next) = coll.next_page_uri().map(str::to_string) {
            let next = self.bind(&next, Field::NEXT_LINK)?;
            if seen.contains(&next) || seen.len() >= MAX_PAGES {
                return Err(RedfishError::RefusedUri {
                    host: self.host.clone(),
                    field: Field::NEXT_LINK.name(),
                    uri: origin::shown(&next),
                    why: if seen.contains(&next) {
                        "the collection's pages lead back to a page already read".into()
                    } else {
                        format!("the collection has more than {MAX_PAGES} pages")
                    },
                });
            }
            let page: redfish_schemas::Collection<T> = self.get(&next).await?;
            seen.push(next);
            coll.members.extend(page.members);
            coll.next_link = page.next_link;
            coll.odata_next_link = page.odata_next_link;
        }
        Ok(coll)
    }

    /// Decode a body, naming host, URI and JSON path on failure.
    ///
    /// The plain decoder runs first: tracking the path costs a fair share of
    /// the client's CPU on large collections, and only a failure needs it, so a
    /// body that does not decode is decoded once more with it for the message.
    pub(in crate::redfish) fn decode<T: DeserializeOwned>(
        &self,
        uri: &str,
        body: &[u8],
    ) -> Result<T, RedfishError> {
        if let Ok(v) = serde_json::from_slice(body) {
            return Ok(v);
        }
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
    pub(in crate::redfish) async fn get_public<T: DeserializeOwned>(
        &self,
        uri: &str,
    ) -> Result<T, RedfishError> {
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
                let token = Secret::new(token);
                // The logout URI: sent the token later, so bound like any
                // other URI (a session elsewhere would collect it).
                let named: Option<(String, Field)> = match r.header("Location") {
                    Some(l) => Some((l.to_string(), Field::SESSION_LOCATION)),
                    None => serde_json::from_slice::<serde_json::Value>(&r.body)
                        .ok()
                        .and_then(|v| v["@odata.id"].as_str().map(str::to_string))
                        .map(|id| (id, Field::SESSION_ID)),
                };
                let location = match named {
                    None => String::new(),
                    // Refused: the session exists, but there is no URI we
                    // trust to log it out at; it expires on the BMC.
                    Some((raw, field)) => self.bind(&raw, field)?,
                };
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

    /// Forget the session and log in afresh: after a BMC reboot every
    /// session is gone (FIELD-NOTES B2.12, B6.38).
    pub async fn relogin(&self) -> Result<(), RedfishError> {
        self.forget_session().await;
        self.login().await
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
            let Ok(url) = self.origin.bind(&location, Field::SESSION_LOCATION, None) else {
                return;
            };
            let url = url.url;
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
pub(in crate::redfish) enum UploadBody {
    Multipart(reqwest::multipart::Form),
    /// A raw body (`application/octet-stream`) of known length.
    Raw(reqwest::Body, u64),
}

impl BmcClient {
    /// POST an upload. `body` is called again for a retry, so an image is
    /// streamed from disk each time and never held in memory. A 401 re-logs in
    /// once; a 503 (nothing was written) is retried after its `Retry-After`.
    pub(in crate::redfish) async fn upload<F, Fut>(
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
            let url = self.bind_from(uri, Field::UPLOAD, None)?.url;
            let mut rq = self.http.post(url).timeout(timeout);
            rq = self.authorize(rq, &auth);
            rq = match b {
                UploadBody::Multipart(form) => rq.multipart(form),
                UploadBody::Raw(body, len) => rq
                    .header("Content-Type", "application/octet-stream")
                    .header("Content-Length", len)
                    .body(body),
            };
            let resp = rq.send().await.map_err(|e| self.connect_error(uri, e))?;
            // The reply is a BMC body like any other: under the cap.
            let mut r = self.read_capped(uri, resp).await?;
            drop(_permit);
            if is_redirect(r.status) {
                // An image is never pushed twice because a BMC pointed elsewhere.
                return Err(self.redirect_refused(&Method::POST, uri, &r));
            }
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
            self.bind_location(&mut r, Field::LOCATION)?;
            return Ok(r);
        }
    }

    /// How long an upload of `size` bytes may take: the request timeout plus
    /// one second per MiB (BMCs often take images at a few MiB/s; FIELD-NOTES B2.15).
    pub fn upload_timeout(&self, size: u64) -> Duration {
        self.limits.request_timeout + Duration::from_secs(size / (1024 * 1024) + 1)
    }
}

/// The statuses that redirect (304 does not: it has no `Location`).
fn is_redirect(s: StatusCode) -> bool {
    matches!(s.as_u16(), 301 | 302 | 303 | 307 | 308)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> BmcClient {
        BmcClient::new(&host()).unwrap()
    }

    fn host() -> HostConfig {
        HostConfig {
            name: "bmc-1".into(),
            url: "http://127.0.0.1:9".into(),
            username: "admin".into(),
            password: Secret::new("pw"),
            tls: TlsSetting::Verify { ca_file: None },
            auth: AuthMode::Session,
            proxy: None,
            labels: Default::default(),
            limits: Limits::default(),
            tls_repin_after_bmc_update: false,
            pre_reset: None,
            post_update: None,
            method: None,
        }
    }

    fn reply_503(retry_after: &str) -> Result<Reply, RedfishError> {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("Retry-After", retry_after.parse().unwrap());
        Ok(Reply {
            status: StatusCode::SERVICE_UNAVAILABLE,
            headers,
            body: Bytes::new(),
        })
    }

    #[test]
    fn retry_after_is_clamped_and_503s_are_waited_out_for_a_bounded_time() {
        let mut p = Patience::default();
        // A BMC asking for a day gets 30 s; one asking for nothing, 250 ms.
        assert_eq!(
            p.wait_before_retry(&reply_503("86400"), false, 3),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(
            p.wait_before_retry(&reply_503("0"), false, 3),
            Some(Duration::from_millis(250))
        );
        // Past the retries, 503s are waited out for at most a minute in all.
        let mut p = Patience::default();
        let mut waited = Duration::ZERO;
        while let Some(w) = p.wait_before_retry(&reply_503("86400"), true, 0) {
            waited += w;
        }
        assert!(waited <= MAX_503_WAIT + MAX_RETRY_AFTER, "{waited:?}");
    }

    #[test]
    fn the_transport_retry_window_is_the_sum_of_the_backoffs() {
        let limits = Limits::default();
        assert_eq!(limits.retries, 3);
        assert_eq!(
            transport_retry_window(&limits),
            Duration::from_millis(200 + 400 + 800)
        );
        let none = Limits {
            retries: 0,
            ..Limits::default()
        };
        assert_eq!(transport_retry_window(&none), Duration::ZERO);
    }

    #[test]
    fn uris_handed_to_the_client_are_bound_to_its_origin() {
        let c = client();
        assert_eq!(
            c.bind("https://10.9.9.9/redfish/v1/Systems?$top=1", Field::MEMBER)
                .unwrap(),
            "/redfish/v1/Systems?$top=1"
        );
        assert_eq!(
            c.foreign_origins(),
            [Sighting {
                field: "Members[].@odata.id",
                uri: "https://10.9.9.9/redfish/v1/Systems?$top=1".into()
            }]
        );
        let e = c
            .bind("/cgi-bin/x", Field::NEXT_LINK)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("bmc-1") && e.contains("/cgi-bin/x") && e.contains("Members@odata.nextLink"),
            "{e}"
        );
        // A proxy URL that is not one is named by key, never shown.
        let mut h = HostConfig {
            proxy: Some(crate::config::ProxyUrl::new("::u:s3cr3t@")),
            ..host()
        };
        let e = BmcClient::new(&h).unwrap_err().to_string();
        assert!(e.contains("proxy") && !e.contains("s3cr3t"), "{e}");
        h.proxy = None;
        assert!(BmcClient::new(&h).is_ok());
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Task {
        #[serde(rename = "PercentComplete")]
        percent: Option<u8>,
    }

    #[test]
    fn a_body_that_does_not_decode_names_the_json_path() {
        let c = client();
        assert_eq!(
            c.decode::<Task>("/t/1", br#"{"PercentComplete": 40}"#)
                .unwrap(),
            Task { percent: Some(40) }
        );
        let err = c
            .decode::<Task>("/t/1", br#"{"PercentComplete": "forty"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("PercentComplete") && err.contains("/t/1") && err.contains("bmc-1"),
            "{err}"
        );
        let err = c.decode::<Task>("/t/1", b"{").unwrap_err().to_string();
        assert!(err.contains("/t/1"), "{err}");
    }
}

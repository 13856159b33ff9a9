//! The HTTP face of one BMC: routing, authentication, query options and the
//! headers every Redfish response carries.
//!
//! - [`tree`] builds each resource's JSON from the BMC state.
//! - [`expand`] implements `$expand` on top of `tree`.
//! - [`metadata`] serves `/redfish/v1/$metadata` and `/redfish/v1/odata`.
//! - [`error`] renders every 4xx/5xx as a Redfish error body.
//! - [`control`] is the mock's own control plane under `/mock/` (no auth).
//! - [`field_tree`] is what the `field` behaviour adds to and changes in the tree.

pub mod control;
pub mod error;
pub mod expand;
pub mod field_tree;
pub mod metadata;
pub mod tree;
pub mod updates;

use crate::bmc::Bmc;
use crate::state::BmcState;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine;
use error::RedfishError;
use futures::StreamExt;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use tree::{Resource, ROOT, SESSIONS};

/// Largest request body a BMC reads into memory (JSON actions, logins).
const MAX_JSON_BODY: usize = 1024 * 1024;

/// The router of one BMC; a function so tests can drive it directly.
pub fn router(bmc: Arc<Bmc>) -> Router {
    Router::new()
        .route("/redfish", get(redfish_versions))
        .route("/redfish/", get(redfish_versions))
        .merge(control::routes())
        .fallback(redfish)
        .layer(middleware::from_fn_with_state(bmc.clone(), observe))
        // Image pushes stream to disk and enforce MaxImageSizeBytes themselves.
        .layer(DefaultBodyLimit::disable())
        .with_state(bmc)
}

async fn redfish_versions() -> Response {
    json_response(StatusCode::OK, &json!({"v1": "/redfish/v1/"}), None)
}

/// Latency, common headers and the request journal, for every request.
async fn observe(State(bmc): State<Arc<Bmc>>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let control = path.starts_with("/mock/");
    let mut fault = Injected::None;
    if !control {
        let latency = {
            let mut st = bmc.lock();
            fault = take_fault(&mut st);
            st.faults
                .latency_ms
                .map(std::time::Duration::from_millis)
                .unwrap_or(bmc.config.latency)
        };
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
    }
    let mut resp = match fault {
        Injected::Unavailable(secs) => RedfishError::unavailable(secs).into_response(),
        Injected::Drop => dropped_connection(),
        _ => next.run(req).await,
    };
    match fault {
        Injected::Malformed => resp = malformed(resp).await,
        Injected::Slow(ms) => resp = slow(resp, ms),
        _ => {}
    }
    let h = resp.headers_mut();
    h.insert("OData-Version", HeaderValue::from_static("4.0"));
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-cache"));
    if !control {
        bmc.lock()
            .journal
            .record(&method, &path, resp.status().as_u16());
    }
    resp
}

/// A fault to inject into this one response.
#[derive(Debug, Clone, Copy)]
enum Injected {
    None,
    Unavailable(u64),
    Drop,
    Malformed,
    Slow(u64),
}

/// Count down the per-request faults; the first that applies wins.
fn take_fault(st: &mut BmcState) -> Injected {
    let f = &mut st.faults;
    if let Some(n) = f.unavailable.filter(|n| *n > 0) {
        f.unavailable = Some(n - 1);
        return Injected::Unavailable(f.retry_after_secs.unwrap_or(1));
    }
    if let Some(n) = f.drop_connections.filter(|n| *n > 0) {
        f.drop_connections = Some(n - 1);
        return Injected::Drop;
    }
    if let Some(n) = f.malformed_json.filter(|n| *n > 0) {
        f.malformed_json = Some(n - 1);
        return Injected::Malformed;
    }
    if let Some(ms) = f.slow_body_ms.filter(|ms| *ms > 0) {
        return Injected::Slow(ms);
    }
    Injected::None
}

/// A response whose body fails at once: hyper closes the connection mid-response.
pub(crate) fn dropped_connection() -> Response {
    let stream = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected drop",
        ))
    });
    let mut r = Response::new(Body::from_stream(stream));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

/// The first half of the body, as a BMC with a broken JSON writer sends it.
async fn malformed(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let cut = bytes.slice(0..bytes.len() / 2);
    parts.headers.remove(header::CONTENT_LENGTH);
    if cut.is_empty() {
        return Response::from_parts(parts, Body::from("{\"error\": "));
    }
    Response::from_parts(parts, Body::from(cut))
}

/// The body in 64-byte pieces with `ms` between them.
fn slow(resp: Response, ms: u64) -> Response {
    let (mut parts, body) = resp.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let stream = futures::stream::once(async move {
        axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default()
    })
    .flat_map(move |bytes| {
        let pieces: Vec<Bytes> = (0..bytes.len())
            .step_by(64)
            .map(|i| bytes.slice(i..(i + 64).min(bytes.len())))
            .collect();
        futures::stream::iter(pieces).then(move |p| async move {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            Ok::<Bytes, std::io::Error>(p)
        })
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

fn etag(body: &[u8]) -> String {
    let mut x: u64 = 0xcbf2_9ce4_8422_2325;
    for b in body {
        x ^= u64::from(*b);
        x = x.wrapping_mul(0x0100_0000_01b3);
    }
    format!("W/\"{x:016x}\"")
}

/// A JSON response with `Content-Type`, `ETag` and, for typed resources, the
/// `Link: <schema>; rel=describedby` header.
pub fn json_response(status: StatusCode, body: &Value, allow: Option<&str>) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut resp = Response::new(Body::from(bytes.clone()));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&etag(&bytes)) {
        h.insert(header::ETAG, v);
    }
    if let Some(allow) = allow {
        if let Ok(v) = HeaderValue::from_str(allow) {
            h.insert(header::ALLOW, v);
        }
    }
    if let Some(t) = body.get("@odata.type").and_then(Value::as_str) {
        // "#ServiceRoot.v1_20_0.ServiceRoot" -> ServiceRoot.v1_20_0.json
        let mut parts = t.trim_start_matches('#').split('.');
        if let (Some(ns), Some(ver)) = (parts.next(), parts.next()) {
            let schema = if ver.starts_with('v') {
                format!("{ns}.{ver}")
            } else {
                ns.to_string()
            };
            let link =
                format!("<http://redfish.dmtf.org/schemas/v1/{schema}.json>; rel=describedby");
            if let Ok(v) = HeaderValue::from_str(&link) {
                h.insert(header::LINK, v);
            }
        }
    }
    resp
}

/// `/redfish/v1` and `/redfish/v1/x/` name the same resources as their canonical forms.
fn normalise(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_string()
    } else {
        trimmed.to_string()
    }
}

/// Who made a request.
#[derive(Debug, Clone)]
pub enum Principal {
    Session(String),
    Basic,
}

fn authenticate(
    bmc: &Bmc,
    st: &mut BmcState,
    headers: &HeaderMap,
    path: &str,
) -> Result<Principal, RedfishError> {
    if let Some(token) = headers.get("X-Auth-Token").and_then(|v| v.to_str().ok()) {
        return match st.session_by_token(token) {
            Some(s) => Ok(Principal::Session(s.id.clone())),
            None => {
                st.journal.summary.unauthorized += 1;
                Err(
                    RedfishError::base(StatusCode::UNAUTHORIZED, "NoValidSession", &[])
                        .with_header(header::WWW_AUTHENTICATE, "Basic realm=\"Redfish\""),
                )
            }
        };
    }
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(b64) = auth.strip_prefix("Basic ") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
                .and_then(|d| String::from_utf8(d).ok());
            if let Some((u, p)) = decoded.as_deref().and_then(|d| d.split_once(':')) {
                if bmc.credentials_ok(st, u, p) {
                    st.journal.summary.basic_auth_requests += 1;
                    return Ok(Principal::Basic);
                }
            }
        }
    }
    st.journal.summary.unauthorized += 1;
    Err(RedfishError::unauthorized(path))
}

/// Resources readable without credentials (DSP0266 "unauthenticated URIs").
fn is_public(method: &Method, path: &str) -> bool {
    match *method {
        Method::GET | Method::HEAD => {
            matches!(path, ROOT | "/redfish/v1/odata" | "/redfish/v1/$metadata")
        }
        Method::POST => path == SESSIONS || path == "/redfish/v1/SessionService/Sessions/Members",
        _ => false,
    }
}

/// Everything under `/redfish/v1`.
async fn redfish(
    State(bmc): State<Arc<Bmc>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let path = normalise(req.uri().path());
    if req.method() == Method::POST {
        let (multipart, raw) = {
            let st = bmc.lock();
            (
                updates::multipart_uri(&bmc, &st),
                updates::raw_push_uri(&bmc, &st),
            )
        };
        if multipart == Some(path.as_str()) {
            return updates::push(bmc, req, true).await;
        }
        if raw == Some(path.as_str()) {
            return updates::push(bmc, req, false).await;
        }
    }
    let (parts, body) = req.into_parts();
    if !path.starts_with(ROOT) || (path.len() > ROOT.len() && !path[ROOT.len()..].starts_with('/'))
    {
        return RedfishError::not_found(parts.uri.path()).into_response();
    }
    let query = parts.uri.query().unwrap_or("");
    let body = match axum::body::to_bytes(body, MAX_JSON_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return RedfishError::base(StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLarge", &[])
                .into_response()
        }
    };
    match dispatch(
        &bmc,
        &parts.method,
        &path,
        query,
        &parts.headers,
        &body,
        peer,
    ) {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

fn dispatch(
    bmc: &Arc<Bmc>,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &Bytes,
    peer: SocketAddr,
) -> Result<Response, RedfishError> {
    if path == "/redfish/v1/$metadata" && matches!(*method, Method::GET | Method::HEAD) {
        return Ok(metadata::metadata_response());
    }
    let mut st = bmc.lock();
    st.reap_tasks();
    if path == "/redfish/v1/odata" && matches!(*method, Method::GET | Method::HEAD) {
        return Ok(json_response(
            StatusCode::OK,
            &metadata::service_document(),
            None,
        ));
    }
    let principal = if is_public(method, path) {
        None
    } else {
        Some(authenticate(bmc, &mut st, headers, path)?)
    };
    match *method {
        Method::GET | Method::HEAD => {
            if let Some(resp) = updates::monitor_get(&mut st, path) {
                return Ok(resp);
            }
            let opts = expand::QueryOptions::parse(query)?;
            let Resource { body, allow } = tree::resolve(bmc, &st, path)?;
            let body = expand::apply(bmc, &st, body, &opts);
            Ok(json_response(StatusCode::OK, &body, Some(allow)))
        }
        Method::POST => post(bmc, &mut st, path, body, peer),
        Method::DELETE => delete(bmc, &mut st, path, principal),
        Method::PATCH => patch(bmc, &mut st, path, body),
        _ => {
            let allow = tree::resolve(bmc, &st, path)?.allow;
            Err(RedfishError::method_not_allowed(allow))
        }
    }
}

fn parse_json(body: &Bytes) -> Result<Value, RedfishError> {
    let v: Value = serde_json::from_slice(body).map_err(|_| RedfishError::malformed_json())?;
    if v.is_object() {
        Ok(v)
    } else {
        Err(RedfishError::malformed_json())
    }
}

fn post(
    bmc: &Arc<Bmc>,
    st: &mut BmcState,
    path: &str,
    body: &Bytes,
    peer: SocketAddr,
) -> Result<Response, RedfishError> {
    let paths = tree::Paths::of_machine(&st.machine);
    if path == tree::REMOTE_CERTS && st.machine.persona.remote_server_certificates() {
        return add_remote_cert(bmc, st, body);
    }
    if path == SESSIONS || path == "/redfish/v1/SessionService/Sessions/Members" {
        return login(bmc, st, body, peer);
    }
    if bmc.config.is_field() {
        if let Some(r) = field_tree::delete_job_queue(st, &paths, path, body) {
            return r;
        }
    }
    if path == format!("{}/Actions/ComputerSystem.Reset", paths.system) {
        let v = parse_json(body)?;
        let reset = reset_type(&v, "ComputerSystem.Reset")?;
        if bmc.config.is_field() {
            let host = &st.field.host;
            let off = host.power == "Off";
            match reset.as_str() {
                "On" | "ForceOn" if off => crate::field::host::reset(bmc, st, false),
                "On" | "ForceOn" => {}
                "ForceOff" | "GracefulShutdown" => crate::field::host::power_off(st),
                "GracefulRestart" | "ForceRestart" | "PowerCycle" => {
                    crate::field::host::reset(bmc, st, false)
                }
                other => {
                    return Err(RedfishError::base(
                        StatusCode::BAD_REQUEST,
                        "ActionParameterValueNotInList",
                        &[other, "ResetType", "ComputerSystem.Reset"],
                    ))
                }
            }
            return Ok(success());
        }
        match reset.as_str() {
            // The host (re)starts: images staged for it are activated.
            "On" | "ForceOn" => {
                if !st.power_on {
                    crate::update::activate_staged(bmc, st, false);
                }
                st.power_on = true;
            }
            "ForceOff" | "GracefulShutdown" => st.power_on = false,
            "GracefulRestart" | "ForceRestart" | "PowerCycle" => {
                crate::update::activate_staged(bmc, st, false);
                st.power_on = true;
            }
            other => {
                return Err(RedfishError::base(
                    StatusCode::BAD_REQUEST,
                    "ActionParameterValueNotInList",
                    &[other, "ResetType", "ComputerSystem.Reset"],
                ))
            }
        }
        return Ok(success());
    }
    if path == format!("{}/Actions/Manager.Reset", paths.manager) {
        let v = parse_json(body)?;
        let reset = reset_type(&v, "Manager.Reset")?;
        if !matches!(reset.as_str(), "GracefulRestart" | "ForceRestart") {
            return Err(RedfishError::base(
                StatusCode::BAD_REQUEST,
                "ActionParameterValueNotInList",
                &[&reset, "ResetType", "Manager.Reset"],
            ));
        }
        if bmc.config.is_field() {
            let d = crate::field::flow::manager_reset(bmc, st);
            bmc.request_reboot_for(d);
            return Ok(success());
        }
        // The BMC restarts: staged BMC images become active, then it goes away a while.
        crate::update::activate_staged(bmc, st, true);
        bmc.request_reboot();
        return Ok(success());
    }
    if path == tree::SIMPLE_UPDATE {
        let v = parse_json(body)?;
        return updates::simple_update(bmc, st, &v);
    }
    if path == tree::START_UPDATE {
        if bmc.config.is_field() {
            return Ok(match crate::field::flow::start_update(bmc, st)? {
                // Supermicro names the new "BMC Update" task as its upload did.
                Some(id) => updates::accepted(st, &id),
                None => success(),
            });
        }
        crate::update::start_held(bmc, st);
        return Ok(success());
    }
    let allow = tree::resolve(bmc, st, path)?.allow;
    Err(RedfishError::method_not_allowed(allow))
}

fn reset_type(v: &Value, action: &str) -> Result<String, RedfishError> {
    match v.get("ResetType") {
        None => Err(RedfishError::base(
            StatusCode::BAD_REQUEST,
            "ActionParameterMissing",
            &[action, "ResetType"],
        )),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(RedfishError::base(
            StatusCode::BAD_REQUEST,
            "ActionParameterValueTypeError",
            &[&other.to_string(), "ResetType", action],
        )),
    }
}

fn success() -> Response {
    json_response(
        StatusCode::OK,
        &json!({"@Message.ExtendedInfo": [crate::messages::message(crate::messages::Registry::Base, "Success", &[])]}),
        None,
    )
}

fn login(
    bmc: &Bmc,
    st: &mut BmcState,
    body: &Bytes,
    peer: SocketAddr,
) -> Result<Response, RedfishError> {
    let v = parse_json(body)?;
    let field = |name: &str| -> Result<String, RedfishError> {
        match v.get(name) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(RedfishError::base(
                StatusCode::BAD_REQUEST,
                "PropertyValueTypeError",
                &[&other.to_string(), name],
            )),
            None => Err(RedfishError::base(
                StatusCode::BAD_REQUEST,
                "PropertyMissing",
                &[name],
            )),
        }
    };
    let user = field("UserName")?;
    let pass = field("Password")?;
    if !bmc.credentials_ok(st, &user, &pass) {
        st.journal.summary.unauthorized += 1;
        return Err(RedfishError::unauthorized(SESSIONS));
    }
    let session = st
        .create_session(&user, &peer.ip().to_string())
        .ok_or_else(|| {
            RedfishError::base(StatusCode::SERVICE_UNAVAILABLE, "SessionLimitExceeded", &[])
        })?;
    let uri = format!("{SESSIONS}/{}", session.id);
    let Resource { body, .. } = tree::resolve(bmc, st, &uri)?;
    let mut resp = json_response(StatusCode::CREATED, &body, None);
    let h = resp.headers_mut();
    if let (Ok(loc), Ok(tok)) = (
        HeaderValue::from_str(&uri),
        HeaderValue::from_str(&session.token),
    ) {
        h.insert(header::LOCATION, loc);
        h.insert("X-Auth-Token", tok);
    }
    Ok(resp)
}

/// `POST RemoteServerCertificates` (Certificate: `CertificateString`,
/// `CertificateType` `PEM`): 201 with the new member's `Location`.
fn add_remote_cert(bmc: &Bmc, st: &mut BmcState, body: &Bytes) -> Result<Response, RedfishError> {
    let v = parse_json(body)?;
    let text = v
        .get("CertificateString")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            RedfishError::base(
                StatusCode::BAD_REQUEST,
                "PropertyMissing",
                &["CertificateString"],
            )
        })?;
    match v.get("CertificateType").and_then(Value::as_str) {
        Some("PEM") | Some("PEMchain") => {}
        Some(other) => {
            return Err(RedfishError::base(
                StatusCode::BAD_REQUEST,
                "PropertyValueNotInList",
                &[other, "CertificateType"],
            ))
        }
        None => {
            return Err(RedfishError::base(
                StatusCode::BAD_REQUEST,
                "PropertyMissing",
                &["CertificateType"],
            ))
        }
    }
    let parsed = rustls_pemfile::certs(&mut text.as_bytes()).collect::<Result<Vec<_>, _>>();
    if !matches!(&parsed, Ok(c) if !c.is_empty()) {
        return Err(RedfishError::base(
            StatusCode::BAD_REQUEST,
            "PropertyValueFormatError",
            &["(certificate)", "CertificateString"],
        ));
    }
    st.remote_certs.next_id += 1;
    let id = st.remote_certs.next_id;
    st.remote_certs.certs.push((id, text.to_string()));
    let uri = format!("{}/{id}", tree::REMOTE_CERTS);
    let Resource { body, .. } = tree::resolve(bmc, st, &uri)?;
    let mut resp = json_response(StatusCode::CREATED, &body, None);
    if let Ok(loc) = HeaderValue::from_str(&uri) {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(resp)
}

fn delete(
    bmc: &Bmc,
    st: &mut BmcState,
    path: &str,
    _who: Option<Principal>,
) -> Result<Response, RedfishError> {
    if let Some(id) = path
        .strip_prefix(tree::REMOTE_CERTS)
        .and_then(|r| r.strip_prefix('/'))
        .filter(|_| st.machine.persona.remote_server_certificates())
    {
        let before = st.remote_certs.certs.len();
        st.remote_certs.certs.retain(|(n, _)| n.to_string() != id);
        if st.remote_certs.certs.len() < before {
            return Ok(StatusCode::NO_CONTENT.into_response());
        }
        return Err(RedfishError::not_found(path));
    }
    if let Some(r) = updates::delete_task(st, path) {
        return r;
    }
    if bmc.config.is_field() {
        if let Some(r) = field_tree::delete_available(st, path) {
            return Ok(r);
        }
    }
    if let Some(id) = path.strip_prefix(&format!("{SESSIONS}/")) {
        if st.delete_session(id) {
            return Ok(StatusCode::NO_CONTENT.into_response());
        }
        return Err(RedfishError::not_found(path));
    }
    let allow = tree::resolve(bmc, st, path)?.allow;
    Err(RedfishError::method_not_allowed(allow))
}

fn patch(bmc: &Bmc, st: &mut BmcState, path: &str, body: &Bytes) -> Result<Response, RedfishError> {
    if path == "/redfish/v1/UpdateService" && st.machine.persona.remote_server_certificates() {
        let mut v = parse_json(body)?;
        if let Some(verify) = v
            .as_object_mut()
            .and_then(|o| o.remove("VerifyRemoteServerCertificate"))
        {
            let Some(on) = verify.as_bool() else {
                return Err(RedfishError::base(
                    StatusCode::BAD_REQUEST,
                    "PropertyValueTypeError",
                    &[&verify.to_string(), "VerifyRemoteServerCertificate"],
                ));
            };
            st.remote_certs.verify = on;
            if bmc.config.is_field() && v.as_object().is_some_and(|o| !o.is_empty()) {
                field_tree::patch_update_service(st, &v)?;
            }
            let Resource { body, allow } = tree::resolve(bmc, st, path)?;
            return Ok(json_response(StatusCode::OK, &body, Some(allow)));
        }
    }
    if path == "/redfish/v1/UpdateService" && bmc.config.is_field() {
        let allow = tree::resolve(bmc, st, path)?.allow;
        if allow.contains("PATCH") {
            let v = parse_json(body)?;
            field_tree::patch_update_service(st, &v)?;
            let Resource { body, allow } = tree::resolve(bmc, st, path)?;
            return Ok(json_response(StatusCode::OK, &body, Some(allow)));
        }
    }
    if path == "/redfish/v1/SessionService" {
        let v = parse_json(body)?;
        let obj = v.as_object().map(|o| o.len()).unwrap_or(0);
        if obj == 0 {
            return Err(RedfishError::base(
                StatusCode::BAD_REQUEST,
                "NoOperation",
                &[],
            ));
        }
        for (k, val) in v.as_object().into_iter().flatten() {
            match (k.as_str(), val.as_u64()) {
                ("SessionTimeout", Some(secs)) if (30..=86400).contains(&secs) => {
                    st.session_policy.idle_timeout = std::time::Duration::from_secs(secs);
                }
                ("SessionTimeout", _) => {
                    return Err(RedfishError::base(
                        StatusCode::BAD_REQUEST,
                        "PropertyValueNotInList",
                        &[&val.to_string(), "SessionTimeout"],
                    ))
                }
                (other, _) => {
                    return Err(RedfishError::base(
                        StatusCode::BAD_REQUEST,
                        "PropertyNotWritable",
                        &[other],
                    ))
                }
            }
        }
        let Resource { body, allow } = tree::resolve(bmc, st, path)?;
        return Ok(json_response(StatusCode::OK, &body, Some(allow)));
    }
    let allow = tree::resolve(bmc, st, path)?.allow;
    Err(RedfishError::method_not_allowed(allow))
}

//! A BMC is untrusted input (issue 13, docs/SECURITY.md): the client against
//! hostile BMCs (moved from tests/it/security.rs: they send requests below
//! the typed operations).
//!
//! Hostile BMCs are built from a rewriting proxy in front of an in-process
//! mock BMC: it rewrites the URIs the mock names so they point at "another
//! host", a recording listener on 127.0.0.2 that must never see a
//! connection, and it redirects where a test asks. Size and time limits are
//! checked against small fixture servers that send what no real BMC would.

use crate::config::{AuthMode, HostConfig, Limits, TlsSetting};
use crate::redfish::client::BmcClient;
use crate::redfish::error::RedfishError;
use crate::redfish::origin;
use crate::redfish::task::{self, Outcome};
use crate::redfish::update_service;
use crate::secret::Secret;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use mock_bmc::{BmcConfig, Kind, MockBmc, Persona};
use reqwest::Method;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PW: &str = "hostile-bmc-pw";

// ---------------------------------------------------------------------------
// The other host: counts every connection made to it.

struct Recorder {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
}

impl Recorder {
    async fn start() -> Recorder {
        let l = tokio::net::TcpListener::bind("127.0.0.2:0")
            .await
            .expect("127.0.0.2 is a loopback address on Linux");
        let addr = l.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let n = connections.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = l.accept().await {
                n.fetch_add(1, Ordering::SeqCst);
                drop(sock);
            }
        });
        Recorder { addr, connections }
    }

    fn origin(&self, scheme: &str) -> String {
        format!("{scheme}://{}", self.addr)
    }

    fn count(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

// ---------------------------------------------------------------------------
// The rewriting proxy.

/// What the proxy does to the mock's answers.
#[derive(Debug, Clone)]
enum Mode {
    /// Every `@odata.id` in the service root names the other host.
    RootLinks,
    /// Every collection member's `@odata.id` names the other host.
    Members,
    /// Every URI-valued string and every `Location` names the other host.
    Everything,
    /// The 202 of a SimpleUpdate loses its `@odata.id`; task monitor bodies
    /// name their Task on the other host.
    MonitorBody,
    /// The new session's `Location` names the other host.
    SessionLocation,
    /// FirmwareInventory is served in two pages; the next page is named on
    /// the other host.
    NextLink,
    /// FirmwareInventory's next page is the page itself.
    NextLinkLoop,
    /// A GET of `from` answers `status` with `Location: to`.
    RedirectGet {
        from: &'static str,
        status: u16,
        to: String,
    },
    /// The session POST answers `status` with `Location: to`.
    RedirectLogin { status: u16, to: String },
}

struct ProxyState {
    target: String,
    foreign: String,
    mode: Mode,
    http: reqwest::Client,
}

struct Proxy {
    url: String,
    fingerprint: Option<String>,
}

const FW: &str = "/redfish/v1/UpdateService/FirmwareInventory";
const SESSIONS: &str = "/redfish/v1/SessionService/Sessions";

/// A proxy in front of `bmc`; `foreign` is what rewritten URIs point at.
/// With `tls`, the proxy speaks HTTPS with a fresh self-signed certificate.
async fn proxy(bmc: &MockBmc, foreign: String, mode: Mode, tls: bool) -> Proxy {
    let state = Arc::new(ProxyState {
        target: bmc.url(),
        foreign,
        mode,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    });
    let app = axum::Router::new().fallback(forward).with_state(state);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    if tls {
        let id = mock_bmc::tls::self_signed("proxy", addr.ip()).unwrap();
        let fingerprint = mock_bmc::tls::fingerprint(&id.cert_der);
        let cfg = mock_bmc::tls::server_config(&id).unwrap();
        let server = axum_server::from_tcp_rustls(
            listener,
            axum_server::tls_rustls::RustlsConfig::from_config(cfg),
        );
        tokio::spawn(async move { server.serve(app.into_make_service()).await.unwrap() });
        Proxy {
            url: format!("https://{addr}"),
            fingerprint: Some(fingerprint),
        }
    } else {
        let server = axum_server::from_tcp(listener);
        tokio::spawn(async move { server.serve(app.into_make_service()).await.unwrap() });
        Proxy {
            url: format!("http://{addr}"),
            fingerprint: None,
        }
    }
}

fn redirect(status: u16, to: &str) -> Response {
    let mut r = StatusCode::from_u16(status).unwrap().into_response();
    r.headers_mut()
        .insert("Location", HeaderValue::from_str(to).unwrap());
    r
}

async fn forward(State(p): State<Arc<ProxyState>>, req: Request) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    match &p.mode {
        Mode::RedirectGet { from, status, to } if method == Method::GET && path == *from => {
            return redirect(*status, to)
        }
        Mode::RedirectLogin { status, to } if method == Method::POST && path == SESSIONS => {
            return redirect(*status, to)
        }
        _ => {}
    }
    // Paging: `$skip=K` is the proxy's own, the mock sees the original query.
    let (query, skip) = match query {
        Some(q) if q.contains("$skip=") => {
            let (rest, k) = q.rsplit_once("$skip=").unwrap();
            let rest = rest.trim_end_matches('&').to_string();
            (
                Some(rest).filter(|r| !r.is_empty()),
                k.parse::<usize>().ok(),
            )
        }
        q => (q, None),
    };
    let url = match &query {
        Some(q) => format!("{}{path}?{q}", p.target),
        None => format!("{}{path}", p.target),
    };
    let headers = req.headers().clone();
    let body = axum::body::to_bytes(req.into_body(), 64 << 20)
        .await
        .unwrap();
    let mut rq = p.http.request(method.clone(), url).body(body);
    for (k, v) in &headers {
        if k != "host" {
            rq = rq.header(k, v);
        }
    }
    let resp = rq.send().await.unwrap();
    let status = resp.status();
    let mut out_headers = HeaderMap::new();
    for (k, v) in resp.headers() {
        if !matches!(k.as_str(), "content-length" | "transfer-encoding") {
            out_headers.insert(k.clone(), v.clone());
        }
    }
    let bytes = resp.bytes().await.unwrap();
    let mut body: Option<Value> = serde_json::from_slice(&bytes).ok();
    let foreign = |s: &str| format!("{}{s}", p.foreign);
    match (&p.mode, body.as_mut()) {
        (Mode::RootLinks, Some(b)) if path == "/redfish/v1/" || path == "/redfish/v1" => {
            for (k, v) in b.as_object_mut().unwrap() {
                if let Some(id) = v.get("@odata.id").and_then(Value::as_str) {
                    if k != "@odata.id" {
                        v["@odata.id"] = json!(foreign(id));
                    }
                }
            }
        }
        (Mode::Members, Some(b)) => {
            if let Some(ms) = b.get_mut("Members").and_then(Value::as_array_mut) {
                for m in ms {
                    if let Some(id) = m.get("@odata.id").and_then(Value::as_str) {
                        m["@odata.id"] = json!(foreign(id));
                    }
                }
            }
        }
        (Mode::Everything, Some(b)) => rewrite_all(b, &p.foreign),
        (Mode::MonitorBody, Some(b)) => {
            if method == Method::POST && path.contains("SimpleUpdate") {
                b.as_object_mut().unwrap().remove("@odata.id");
            } else if path.contains("/TaskMonitors/") {
                if let Some(id) = b.get("@odata.id").and_then(Value::as_str) {
                    b["@odata.id"] = json!(foreign(id));
                }
            }
        }
        (Mode::NextLink | Mode::NextLinkLoop, Some(b)) if path == FW => {
            let members = b["Members"].as_array().cloned().unwrap_or_default();
            let half = members.len() / 2;
            let q = query
                .as_deref()
                .map(|q| format!("{q}&"))
                .unwrap_or_default();
            match skip {
                None => {
                    b["Members"] = json!(members[..half]);
                    let next = match p.mode {
                        Mode::NextLink => foreign(&format!("{FW}?{q}$skip={half}")),
                        _ => format!("{FW}?{q}$skip=0"),
                    };
                    b["Members@odata.nextLink"] = json!(next);
                }
                Some(0) => {
                    // The loop: the "next" page is the first one, again.
                    b["Members"] = json!(members[..half]);
                    b["Members@odata.nextLink"] = json!(format!("{FW}?{q}$skip=0"));
                }
                Some(k) => b["Members"] = json!(members[k..]),
            }
        }
        _ => {}
    }
    let rewrite_location = matches!(p.mode, Mode::Everything)
        || (matches!(p.mode, Mode::SessionLocation) && method == Method::POST && path == SESSIONS);
    if rewrite_location {
        if let Some(loc) = out_headers
            .get("Location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
        {
            out_headers.insert("Location", HeaderValue::from_str(&foreign(&loc)).unwrap());
        }
    }
    let bytes = match body {
        Some(b) => serde_json::to_vec(&b).unwrap(),
        None => bytes.to_vec(),
    };
    let mut r = Response::new(Body::from(bytes));
    *r.status_mut() = status;
    *r.headers_mut() = out_headers;
    r
}

/// Every string that is a Redfish path now names the other host.
fn rewrite_all(v: &mut Value, foreign: &str) {
    match v {
        Value::String(s) if s.starts_with("/redfish/") => *s = format!("{foreign}{s}"),
        Value::Array(a) => a.iter_mut().for_each(|x| rewrite_all(x, foreign)),
        Value::Object(o) => o.values_mut().for_each(|x| rewrite_all(x, foreign)),
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// Helpers.

async fn bmc(persona: Persona) -> MockBmc {
    bmc_with(persona, Duration::from_millis(100)).await
}

/// A mock BMC whose updates install for `update`.
async fn bmc_with(persona: Persona, update: Duration) -> MockBmc {
    let mut c = BmcConfig::new("hostile", persona, 13, 0, PW).ideal();
    c.timing.update = update;
    c.timing.reboot = super::shortest_reboot();
    c.timing.task_vanish = Some(Duration::from_millis(400));
    MockBmc::start(c).await.unwrap()
}

fn host(name: &str, url: &str, tls: TlsSetting, auth: AuthMode, limits: Limits) -> HostConfig {
    HostConfig {
        name: name.into(),
        url: url.into(),
        username: "admin".into(),
        password: Secret::new(PW),
        tls,
        auth,
        proxy: None,
        labels: Default::default(),
        limits,
        tls_repin_after_bmc_update: false,
        pre_reset: None,
        post_update: None,
        method: None,
    }
}

fn client_of(p: &Proxy) -> BmcClient {
    let tls = match &p.fingerprint {
        Some(fp) => TlsSetting::Pin(fp.clone()),
        None => TlsSetting::Verify { ca_file: None },
    };
    BmcClient::new(&host(
        "hostile-bmc",
        &p.url,
        tls,
        AuthMode::Session,
        Limits::default(),
    ))
    .unwrap()
}

fn direct(b: &MockBmc) -> BmcClient {
    BmcClient::new(&host(
        "direct",
        &b.url(),
        TlsSetting::Verify { ca_file: None },
        AuthMode::Session,
        Limits::default(),
    ))
    .unwrap()
}

fn fields(c: &BmcClient) -> Vec<&'static str> {
    c.foreign_origins().iter().map(|s| s.field).collect()
}

fn bios(b: &MockBmc) -> (String, Value) {
    let st = b.state();
    let c = st["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "bios" && c["role"] == "active")
        .unwrap()
        .clone();
    (c["version"].as_str().unwrap().to_string(), c)
}

fn newer(b: &MockBmc) -> String {
    let (v, c) = bios(b);
    let style: mock_bmc::vstyle::VersionStyle =
        serde_json::from_value(c["version_style"].clone()).unwrap();
    style.bump(&v, mock_bmc::vstyle::Bump::Minor).unwrap()
}

/// Start a SimpleUpdate of a newer BIOS through `c` and follow it.
async fn update_bios(c: &BmcClient, b: &MockBmc) -> Result<Outcome, RedfishError> {
    let caps = update_service::discover(c).await?;
    let target = caps.simple_update.clone().expect("SimpleUpdate");
    let url = super::image_url(b, Kind::Bios, &newer(b)).await;
    let r = c
        .request(Method::POST, &target, Some(&json!({"ImageURI": url})))
        .await?;
    assert_eq!(
        r.status.as_u16(),
        202,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let acc = task::parse_accepted(&r);
    task::follow(
        c,
        &acc,
        task::FollowLimits::new(Duration::from_secs(30), Duration::from_millis(50)),
        |_| {},
    )
    .await
}

fn mock_saw(b: &MockBmc, method: &str, path_part: &str) -> bool {
    b.bmc()
        .lock()
        .journal
        .entries
        .iter()
        .any(|e| e.method == method && e.path.contains(path_part))
}

/// A tracing subscriber writing into a buffer, for this (current-thread) test.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

// ---------------------------------------------------------------------------
// Origin binding, per URI source.

#[tokio::test]
async fn root_links_naming_another_host_are_read_from_the_configured_origin() {
    let other = Recorder::start().await;
    let b = bmc(Persona::Generic).await;
    let p = proxy(&b, other.origin("http"), Mode::RootLinks, false).await;
    let c = client_of(&p);
    let logs = Logs::default();
    let sub = tracing_subscriber::fmt()
        .with_writer({
            let l = logs.clone();
            move || l.clone()
        })
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(sub);
    let inv = crate::inventory::scan::read_now(&c).await.unwrap();
    let want = crate::inventory::scan::read_now(&direct(&b)).await.unwrap();
    assert_eq!(inv.components.len(), want.components.len());
    assert!(!inv.components.is_empty());
    assert_eq!(other.count(), 0, "the other host was contacted");
    let f = fields(&c);
    assert!(f.contains(&"ServiceRoot.UpdateService"), "{f:?}");
    assert!(f.contains(&"ServiceRoot.Systems"), "{f:?}");
    // The sighting is a log line naming host and field, and a counter.
    let log = logs.text();
    assert!(
        log.contains("another origin")
            && log.contains("hostile-bmc")
            && log.contains("ServiceRoot.UpdateService"),
        "{log}"
    );
    assert!(!log.contains(PW), "{log}");
    assert!(origin::foreign_origin_counts()["ServiceRoot.UpdateService"] >= 1);
    let text = crate::daemon::metrics::Metrics::default()
        .render(&crate::daemon::views::FleetView::default(), false);
    assert!(
        text.contains("# TYPE fwfleet_redfish_foreign_origin_total counter")
            && text.contains(
                r#"fwfleet_redfish_foreign_origin_total{field="ServiceRoot.UpdateService"}"#
            ),
        "{text}"
    );
    c.logout().await;
    assert_eq!(other.count(), 0);
}

#[tokio::test]
async fn collection_members_naming_another_host_are_read_from_the_configured_origin() {
    let other = Recorder::start().await;
    let b = bmc(Persona::Openbmc).await;
    let p = proxy(&b, other.origin("http"), Mode::Members, false).await;
    let c = client_of(&p);
    let inv = crate::inventory::scan::read_now(&c).await.unwrap();
    let want = crate::inventory::scan::read_now(&direct(&b)).await.unwrap();
    assert_eq!(inv.components.len(), want.components.len());
    assert_eq!(inv.system.serial, want.system.serial);
    assert_eq!(other.count(), 0);
    assert!(
        fields(&c).contains(&"Members[].@odata.id"),
        "{:?}",
        fields(&c)
    );
    c.logout().await;
}

/// Every URI the BMC names points elsewhere — links, action targets, push
/// URIs, the 202's `Location`, task bodies, the session — and the whole
/// update still runs against the BMC's own address.
#[tokio::test]
async fn an_update_runs_on_the_configured_origin_when_every_uri_names_another_host() {
    let other = Recorder::start().await;
    let b = bmc(Persona::Generic).await;
    let p = proxy(&b, other.origin("http"), Mode::Everything, false).await;
    let c = client_of(&p);
    c.login().await.unwrap();
    let caps = update_service::discover(&c).await.unwrap();
    assert!(caps
        .simple_update
        .as_deref()
        .unwrap()
        .starts_with("/redfish/"));
    assert!(caps.multipart.as_deref().unwrap().starts_with("/redfish/"));
    let to = newer(&b);
    let o = update_bios(&c, &b).await.unwrap();
    assert!(matches!(o, Outcome::Completed(_)), "{o:?}");
    assert_eq!(bios(&b).0, to, "the flash reached the BMC");
    let inv = crate::inventory::scan::read_now(&c).await.unwrap();
    assert!(!inv.components.is_empty());
    c.logout().await;
    assert_eq!(b.bmc().lock().journal.summary.sessions_deleted, 1);
    assert_eq!(other.count(), 0, "the other host was contacted");
    let f = fields(&c);
    for want in [
        "session Location",
        "Actions.#UpdateService.SimpleUpdate.target",
        "MultipartHttpPushUri",
        "Location",
    ] {
        assert!(f.contains(&want), "{want} not in {f:?}");
    }
}

#[tokio::test]
async fn a_task_named_in_a_monitor_body_is_read_from_the_configured_origin() {
    let other = Recorder::start().await;
    // iLO drops the monitor when the task ends: the task itself must be read.
    // Long enough an install that the monitor is seen running first.
    let b = bmc_with(Persona::Ilo, Duration::from_millis(1500)).await;
    let p = proxy(&b, other.origin("http"), Mode::MonitorBody, false).await;
    let c = client_of(&p);
    c.login().await.unwrap();
    let to = newer(&b);
    let o = update_bios(&c, &b).await.unwrap();
    assert!(matches!(o, Outcome::Completed(_)), "{o:?}");
    assert_eq!(bios(&b).0, to);
    assert!(
        mock_saw(&b, "GET", "/TaskService/Tasks/"),
        "the task was read from the BMC"
    );
    assert_eq!(other.count(), 0);
    assert!(
        fields(&c).contains(&"task monitor body @odata.id"),
        "{:?}",
        fields(&c)
    );
    c.logout().await;
}

#[tokio::test]
async fn a_session_location_naming_another_host_is_logged_out_at_the_bmc() {
    let other = Recorder::start().await;
    let b = bmc(Persona::Generic).await;
    let p = proxy(&b, other.origin("http"), Mode::SessionLocation, false).await;
    let c = client_of(&p);
    c.login().await.unwrap();
    let _: Value = c.get("/redfish/v1/Systems").await.unwrap();
    c.logout().await;
    let s = b.bmc().lock().journal.summary.clone();
    assert_eq!((s.sessions_created, s.sessions_deleted), (1, 1));
    assert_eq!(other.count(), 0, "the token went to the other host");
    assert_eq!(fields(&c), ["session Location"]);
}

#[tokio::test]
async fn next_links_naming_another_host_are_read_from_the_configured_origin() {
    let other = Recorder::start().await;
    let b = bmc(Persona::Generic).await;
    let p = proxy(&b, other.origin("http"), Mode::NextLink, false).await;
    let c = client_of(&p);
    let inv = crate::inventory::scan::read_now(&c).await.unwrap();
    let want = crate::inventory::scan::read_now(&direct(&b)).await.unwrap();
    assert!(want.components.len() >= 2);
    let ids = |i: &crate::inventory::model::HostInventory| {
        let mut v: Vec<String> = i.components.iter().map(|c| c.identity.clone()).collect();
        v.sort();
        v
    };
    assert_eq!(ids(&inv), ids(&want), "both pages were read");
    assert_eq!(other.count(), 0);
    assert!(
        fields(&c).contains(&"Members@odata.nextLink"),
        "{:?}",
        fields(&c)
    );
    c.logout().await;
    // A next page that leads back is an error naming host and field.
    let p = proxy(&b, other.origin("http"), Mode::NextLinkLoop, false).await;
    let c = client_of(&p);
    let e = crate::inventory::scan::read_now(&c)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("hostile-bmc")
            && e.contains("Members@odata.nextLink")
            && e.contains("already read"),
        "{e}"
    );
    c.logout().await;
    assert_eq!(other.count(), 0);
}

#[tokio::test]
async fn https_links_to_http_are_refused_naming_host_uri_and_field() {
    let other = Recorder::start().await;
    let b = bmc(Persona::Generic).await;
    let p = proxy(&b, other.origin("http"), Mode::RootLinks, true).await;
    let c = client_of(&p);
    let e = crate::inventory::scan::read_now(&c).await.unwrap_err();
    assert!(matches!(e, RedfishError::RefusedUri { .. }), "{e:?}");
    let e = e.to_string();
    assert!(
        e.contains("hostile-bmc")
            && e.contains("ServiceRoot.UpdateService")
            && e.contains(&other.origin("http"))
            && e.contains("https to http"),
        "{e}"
    );
    assert!(origin::refused_counts()["ServiceRoot.UpdateService"] >= 1);
    c.logout().await;
    assert_eq!(other.count(), 0);
}

#[tokio::test]
async fn paths_outside_redfish_are_refused_except_advertised_push_uris() {
    let b = bmc(Persona::Xcc).await;
    let c = direct(&b);
    c.login().await.unwrap();
    // Lenovo XCC pushes to /mfwupdate: advertised, so allowed.
    let caps = update_service::discover(&c).await.unwrap();
    assert_eq!(caps.multipart.as_deref(), Some("/mfwupdate"));
    for (raw, field) in [
        ("/mock/faults", origin::Field::MEMBER),
        ("/redfish/../mock/faults", origin::Field::NEXT_LINK),
        ("/mfwupdate", origin::Field::TASK_ID),
    ] {
        let e = c.bind(raw, field).unwrap_err().to_string();
        assert!(
            e.contains("direct")
                && e.contains(raw)
                && e.contains(field.name())
                && e.contains("/redfish/"),
            "{e}"
        );
    }
    // The client's last guard: nothing outside /redfish/ is requested.
    let e = c.get::<Value>("/mock/state").await.unwrap_err().to_string();
    assert!(e.contains("request URI"), "{e}");
    c.logout().await;
}

// ---------------------------------------------------------------------------
// Redirects.

#[tokio::test]
async fn a_get_redirected_to_another_host_is_not_followed() {
    let other = Recorder::start().await;
    let b = bmc(Persona::Generic).await;
    for status in [302, 307] {
        let to = format!("{}/redfish/v1/Systems", other.origin("http"));
        let mode = Mode::RedirectGet {
            from: "/redfish/v1/Systems",
            status,
            to,
        };
        let p = proxy(&b, other.origin("http"), mode, false).await;
        let c = client_of(&p);
        c.login().await.unwrap();
        let e = c.get::<Value>("/redfish/v1/Systems").await.unwrap_err();
        let s = e.to_string();
        assert!(matches!(e, RedfishError::RefusedUri { .. }), "{s}");
        assert!(
            s.contains("hostile-bmc")
                && s.contains("redirect Location")
                && s.contains("another origin"),
            "{s}"
        );
        // The BMC's own answers still work.
        let _: Value = c.get("/redfish/v1/Managers").await.unwrap();
        c.logout().await;
    }
    assert_eq!(other.count(), 0);
}

#[tokio::test]
async fn a_same_origin_get_redirect_is_followed_a_bounded_number_of_times() {
    let b = bmc(Persona::Generic).await;
    let mode = Mode::RedirectGet {
        from: "/redfish/v1/Old",
        status: 301,
        to: "/redfish/v1/Systems".into(),
    };
    let p = proxy(&b, String::new(), mode, false).await;
    let c = client_of(&p);
    c.login().await.unwrap();
    let v: Value = c.get("/redfish/v1/Old").await.unwrap();
    assert_eq!(v["@odata.id"], "/redfish/v1/Systems");
    c.logout().await;
    let mode = Mode::RedirectGet {
        from: "/redfish/v1/Loop",
        status: 302,
        to: "/redfish/v1/Loop".into(),
    };
    let p = proxy(&b, String::new(), mode, false).await;
    let c = client_of(&p);
    c.login().await.unwrap();
    let e = c
        .get::<Value>("/redfish/v1/Loop")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("hostile-bmc") && e.contains("more than 3 redirects"),
        "{e}"
    );
    c.logout().await;
}

#[tokio::test]
async fn a_redirected_session_post_never_re_sends_the_password() {
    let other = Recorder::start().await;
    let b = bmc(Persona::Generic).await;
    for (status, to) in [
        (307, format!("{}{SESSIONS}", other.origin("http"))),
        (302, format!("{}{SESSIONS}", other.origin("http"))),
        // Not even to the same origin: a POST is never re-sent.
        (307, SESSIONS.to_string()),
    ] {
        let mode = Mode::RedirectLogin { status, to };
        let p = proxy(&b, other.origin("http"), mode, false).await;
        let c = client_of(&p);
        let e = c.login().await.unwrap_err().to_string();
        assert!(
            e.contains("hostile-bmc")
                && e.contains(&format!("HTTP {status}"))
                && e.contains("redirect Location")
                && e.contains("never re-sends a POST"),
            "{e}"
        );
        assert!(!e.contains(PW));
    }
    assert_eq!(other.count(), 0);
    assert_eq!(b.bmc().lock().journal.summary.sessions_created, 0);
}

#[tokio::test]
async fn a_redirect_from_https_to_http_is_refused() {
    let other = Recorder::start().await;
    let b = bmc(Persona::Generic).await;
    for status in [302, 307] {
        let mode = Mode::RedirectGet {
            from: "/redfish/v1/Systems",
            status,
            to: format!("{}/redfish/v1/Systems", other.origin("http")),
        };
        let p = proxy(&b, other.origin("http"), mode, true).await;
        let c = client_of(&p);
        c.login().await.unwrap();
        let e = c
            .get::<Value>("/redfish/v1/Systems")
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("hostile-bmc")
                && e.contains("redirect Location")
                && e.contains("https to http"),
            "{e}"
        );
        // The same BMC named over http on its own address: refused too.
        let own = p.url.replace("https://", "http://") + "/redfish/v1/Systems";
        let e = c
            .bind(&own, origin::Field::LOCATION)
            .unwrap_err()
            .to_string();
        assert!(e.contains("https to http") && e.contains("Location"), "{e}");
        c.logout().await;
    }
    assert_eq!(other.count(), 0);
}

// ---------------------------------------------------------------------------
// Every body under the cap, and bounded in time.

/// A fixture "BMC" whose every answer is `reply`; counts the body bytes it
/// produced, so a test can tell how much the client let it send.
async fn fixture(reply: fn(Arc<AtomicU64>) -> Response) -> (String, Arc<AtomicU64>) {
    let produced = Arc::new(AtomicU64::new(0));
    let p = produced.clone();
    let app = axum::Router::new().fallback(move |req: Request| {
        let p = p.clone();
        async move {
            // Drain what was sent (an upload), then answer.
            let _ = axum::body::to_bytes(req.into_body(), 64 << 20).await;
            reply(p)
        }
    });
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (format!("http://{addr}"), produced)
}

const MIB: u64 = 1024 * 1024;

/// `total` bytes of JSON-ish filler in 1 MiB chunks, counted as produced.
fn stream_of(total: u64, produced: Arc<AtomicU64>) -> Body {
    let chunk = bytes::Bytes::from(vec![b' '; MIB as usize]);
    let s = futures::stream::unfold(0u64, move |sent| {
        let chunk = chunk.clone();
        let produced = produced.clone();
        async move {
            (sent < total).then(|| {
                produced.fetch_add(MIB, Ordering::SeqCst);
                (Ok::<_, std::io::Error>(chunk), sent + MIB)
            })
        }
    });
    Body::from_stream(s)
}

fn huge_chunked(p: Arc<AtomicU64>) -> Response {
    let mut r = Response::new(stream_of(600 * MIB, p));
    *r.status_mut() = StatusCode::ACCEPTED;
    r
}

fn huge_declared(p: Arc<AtomicU64>) -> Response {
    let mut r = Response::new(stream_of(600 * MIB, p));
    *r.status_mut() = StatusCode::ACCEPTED;
    r.headers_mut()
        .insert("Content-Length", HeaderValue::from(600 * MIB));
    r
}

/// The process's peak resident set (`VmHWM`), in bytes.
fn peak_rss() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = s.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

#[tokio::test]
async fn a_600_mib_upload_reply_is_refused_within_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("fw.img");
    std::fs::write(&image, vec![7u8; 64 * 1024]).unwrap();
    for reply in [huge_chunked, huge_declared] {
        let (url, produced) = fixture(reply).await;
        let c = BmcClient::new(&host(
            "huge-reply",
            &url,
            TlsSetting::Verify { ca_file: None },
            AuthMode::Basic,
            Limits::default(),
        ))
        .unwrap();
        c.login().await.unwrap();
        let before = peak_rss();
        let e = crate::redfish::push::raw(&c, "/redfish/v1/UpdateService/update", &image)
            .await
            .unwrap_err();
        let grew = peak_rss().saturating_sub(before);
        assert!(matches!(e, RedfishError::TooLarge { .. }), "{e:?}");
        let s = e.to_string();
        assert!(
            s.contains("huge-reply")
                && s.contains("/redfish/v1/UpdateService/update")
                && s.contains("16777216"),
            "{s}"
        );
        // The client stopped reading at the cap: what the server got out is
        // the cap plus what socket buffers hold, far from 600 MiB.
        let sent = produced.load(Ordering::SeqCst);
        assert!(sent < 64 * MIB, "{} MiB left the server", sent / MIB);
        // Other tests run in this process too: the bound is generous, and
        // still far below the 600 MiB an unbounded read holds.
        assert!(grew < 256 * MIB, "peak RSS grew by {} MiB", grew / MIB);
        eprintln!(
            "600 MiB upload reply: refused after {} MiB produced; peak RSS +{} MiB",
            sent / MIB,
            grew / MIB
        );
    }
}

fn json_17_mib(p: Arc<AtomicU64>) -> Response {
    Response::new(stream_of(17 * MIB, p))
}

fn nested_json(_: Arc<AtomicU64>) -> Response {
    let depth = 100_000;
    let body = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    Response::new(Body::from(body))
}

fn slow_body(_: Arc<AtomicU64>) -> Response {
    // One byte, then nothing, ever: only the client's timeout ends it.
    let s = futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"{"))])
        .chain(futures::stream::pending());
    Response::new(Body::from_stream(s))
}

use futures::StreamExt as _;

fn quick_limits() -> Limits {
    Limits {
        request_timeout: Duration::from_millis(500),
        retries: 0,
        ..Limits::default()
    }
}

#[tokio::test]
async fn json_replies_over_the_cap_deep_nesting_and_slow_bodies_end_in_errors() {
    let c = |url: &str| {
        BmcClient::new(&host(
            "odd-bmc",
            url,
            TlsSetting::Verify { ca_file: None },
            AuthMode::Basic,
            quick_limits(),
        ))
        .unwrap()
    };
    let (url, produced) = fixture(json_17_mib).await;
    let e = c(&url).get::<Value>("/redfish/v1/").await.unwrap_err();
    assert!(matches!(e, RedfishError::TooLarge { .. }), "{e:?}");
    assert!(produced.load(Ordering::SeqCst) <= 17 * MIB);
    let (url, _) = fixture(nested_json).await;
    let e = c(&url).get::<Value>("/redfish/v1/").await.unwrap_err();
    assert!(matches!(e, RedfishError::Decode { .. }), "{e:?}");
    assert!(
        e.to_string().contains("odd-bmc") && e.to_string().contains("recursion"),
        "{e}"
    );
    let (url, _) = fixture(slow_body).await;
    let e = c(&url).get::<Value>("/redfish/v1/").await.unwrap_err();
    assert!(matches!(e, RedfishError::Timeout { .. }), "{e:?}");
}

// ---------------------------------------------------------------------------
// Hooks see no secret; what they print is redacted.

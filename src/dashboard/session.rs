//! Signing in to the dashboard: an API token, typed once into a form,
//! becomes a session cookie; the token itself is never stored, logged or
//! echoed (only the name and role [`crate::daemon::auth::Keyring`] finds).
//!
//! - The session id is 244 random bits (two UUIDv4, from the OS's CSPRNG)
//!   in `fwfleet_session`: `HttpOnly` (no script reads it), `SameSite=Strict`
//!   (no other site's page sends it), `Secure` when the API serves TLS, and
//!   an expiry ([`SESSION_TTL`]); the server forgets it at the same time.
//! - Every form carries a CSRF token: the sign-in form a pre-session one
//!   that must equal its `fwfleet_signin` cookie (double submit), every
//!   later form the session's own. A POST without the right one is 403.
//! - Roles are the token's: [`Session::may`] is what action forms (next)
//!   ask before they are drawn and again when they are posted.

use super::layout::{self, Page};
use super::Dash;
use crate::vocab::ApiRole;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The session cookie.
pub const SESSION_COOKIE: &str = "fwfleet_session";
/// The sign-in form's pre-session CSRF cookie.
pub const SIGNIN_COOKIE: &str = "fwfleet_signin";
/// How long a session lasts (a working day), whatever is done meanwhile.
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);
/// How long a sign-in form may stay open.
const SIGNIN_TTL: Duration = Duration::from_secs(600);
/// Sessions kept at most: sign-ins beyond it are refused, so that a token
/// holder who signs in in a loop cannot grow the map without end.
const MAX_SESSIONS: usize = 10_000;

/// A signed-in browser.
#[derive(Clone)]
pub struct Session {
    /// The token's name (`[[daemon.tokens]]` `name`).
    pub name: String,
    pub role: ApiRole,
    /// The CSRF token every form of this session carries.
    pub csrf: String,
    expires: Instant,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("name", &self.name)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Whether this session may do what needs `needed`.
    pub fn may(&self, needed: ApiRole) -> bool {
        self.role >= needed
    }
}

/// Every live session, by id (in memory: a restart signs everyone out).
#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
}

impl fmt::Debug for Sessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sessions([redacted])")
    }
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new session for a token's name and role; `None` when full.
    fn open(&self, name: String, role: ApiRole) -> Option<(String, Session)> {
        let mut map = self.lock();
        let now = Instant::now();
        map.retain(|_, s| s.expires > now);
        if map.len() >= MAX_SESSIONS {
            return None;
        }
        let id = random();
        let s = Session {
            name,
            role,
            csrf: random(),
            expires: now + SESSION_TTL,
        };
        map.insert(id.clone(), s.clone());
        Some((id, s))
    }

    /// The live session the request's cookie names.
    pub fn get(&self, headers: &HeaderMap) -> Option<Session> {
        let id = cookie(headers, SESSION_COOKIE)?;
        let mut map = self.lock();
        match map.get(&id) {
            Some(s) if s.expires > Instant::now() => Some(s.clone()),
            Some(_) => {
                map.remove(&id);
                None
            }
            None => None,
        }
    }

    fn close(&self, headers: &HeaderMap) {
        if let Some(id) = cookie(headers, SESSION_COOKIE) {
            self.lock().remove(&id);
        }
    }
}

/// 244 random bits as 64 hex digits.
fn random() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// A cookie's value from the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Equal without an early exit on the first differing byte.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The form's fields (`application/x-www-form-urlencoded`).
pub fn form(body: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// Whether the posted form carries this session's CSRF token.
pub fn csrf_ok(session: &Session, fields: &HashMap<String, String>) -> bool {
    fields.get("csrf").is_some_and(|t| same(t, &session.csrf))
}

fn set_cookie(dash: &Dash, name: &str, value: &str, path: &str, max_age: Duration) -> HeaderValue {
    let secure = if dash.daemon.cfg().daemon.tls_cert.is_some() {
        "; Secure"
    } else {
        ""
    };
    let text = format!(
        "{name}={value}; Path={path}; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
        max_age.as_secs()
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `303 See Other` to `to`.
pub fn redirect(to: &'static str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

/// 403 for a form posted without its CSRF token.
pub fn csrf_refused() -> Response {
    layout::error(
        StatusCode::FORBIDDEN,
        "The form was not sent by this dashboard (its CSRF token is missing or wrong). Reload the page and send it again.",
    )
}

/// `GET /signin`: the form, with a fresh pre-session CSRF token.
pub async fn signin_form(State(dash): State<Arc<Dash>>) -> Response {
    signin_page(&dash, StatusCode::OK, None)
}

fn signin_page(dash: &Dash, status: StatusCode, problem: Option<&str>) -> Response {
    let csrf = random();
    let body = html! {
        h1 { "Sign in" }
        @if let Some(p) = problem { p.problem { (p) } }
        form method="post" action="/signin" {
            input type="hidden" name="csrf" value=(csrf);
            label for="token" { "API token" }
            input type="password" id="token" name="token" autocomplete="off" required;
            button type="submit" { "Sign in" }
        }
        p.note { "Any token of [daemon] or [[daemon.tokens]]; the dashboard shows what its role may do." }
    };
    let mut resp = layout::page(status, Page::new("Sign in"), None, body);
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(dash, SIGNIN_COOKIE, &csrf, "/signin", SIGNIN_TTL),
    );
    resp
}

/// `POST /signin`: check the CSRF pair, then the token; open a session.
pub async fn signin(State(dash): State<Arc<Dash>>, headers: HeaderMap, body: Bytes) -> Response {
    let fields = form(&body);
    let pair = cookie(&headers, SIGNIN_COOKIE).zip(fields.get("csrf"));
    if !pair.is_some_and(|(c, f)| !c.is_empty() && same(&c, f)) {
        return csrf_refused();
    }
    let found = fields
        .get("token")
        .and_then(|t| dash.daemon.keyring().identify(t));
    let Some((name, role)) = found else {
        tracing::warn!("refused a dashboard sign-in: not an API token");
        return signin_page(
            &dash,
            StatusCode::UNAUTHORIZED,
            Some("That is not an API token of this service."),
        );
    };
    let Some((id, _)) = dash.sessions.open(name.clone(), role) else {
        return layout::error(
            StatusCode::SERVICE_UNAVAILABLE,
            "Too many open sessions; sign out elsewhere or wait for them to expire.",
        );
    };
    tracing::info!(token = %name, role = %role, "dashboard sign-in");
    let mut resp = redirect("/");
    let h = resp.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(&dash, SESSION_COOKIE, &id, "/", SESSION_TTL),
    );
    h.append(
        header::SET_COOKIE,
        set_cookie(&dash, SIGNIN_COOKIE, "", "/signin", Duration::ZERO),
    );
    resp
}

/// `POST /signout`: the session's CSRF token, then forget the session.
pub async fn signout(State(dash): State<Arc<Dash>>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(session) = dash.sessions.get(&headers) else {
        return redirect("/signin");
    };
    if !csrf_ok(&session, &form(&body)) {
        return csrf_refused();
    }
    dash.sessions.close(&headers);
    let mut resp = redirect("/signin");
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&dash, SESSION_COOKIE, "", "/", Duration::ZERO),
    );
    resp
}

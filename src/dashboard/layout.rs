//! The frame every page shares and the headers every answer carries.
//!
//! The Content-Security-Policy allows only the service's own stylesheet,
//! images and script (`/static/dashboard.js`, the project's own), its own
//! event stream (`connect-src`), no inline anything, forms only to itself
//! and no framing: even if a string a BMC sends slipped past the escaping,
//! a browser would not run it.

use super::session::Session;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};

/// The policy of every dashboard answer.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Where the stylesheet is served.
pub const CSS_ROUTE: &str = "/static/dashboard.css";
/// Where the script is served (the project's own, the only one).
pub const JS_ROUTE: &str = "/static/dashboard.js";

const CSS: &str = include_str!("dashboard.css");
const JS: &str = include_str!("dashboard.js");

/// A page's title and which part of the navigation it belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    pub title: &'a str,
    pub nav: Nav,
}

/// The navigation's entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    None,
    Fleet,
    Hosts,
    Runs,
}

impl<'a> Page<'a> {
    pub fn new(title: &'a str) -> Page<'a> {
        Page {
            title,
            nav: Nav::None,
        }
    }

    pub fn nav(mut self, nav: Nav) -> Page<'a> {
        self.nav = nav;
        self
    }
}

/// The whole document around `body`, with the security headers.
pub fn page(status: StatusCode, p: Page<'_>, session: Option<&Session>, body: Markup) -> Response {
    let doc = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (p.title) " — fwfleet" }
                link rel="stylesheet" href=(CSS_ROUTE);
                script src=(JS_ROUTE) defer {}
            }
            body {
                header {
                    span.brand { "fwfleet" }
                    @if let Some(s) = session {
                        nav {
                            a href="/" class=[(p.nav == Nav::Fleet).then_some("here")] { "Fleet" }
                            a href="/hosts" class=[(p.nav == Nav::Hosts).then_some("here")] { "Hosts" }
                            a href="/runs" class=[(p.nav == Nav::Runs).then_some("here")] { "Runs" }
                        }
                        form.signout method="post" action="/signout" {
                            span.who { (s.name) " (" (s.role.to_string()) ")" }
                            input type="hidden" name="csrf" value=(s.csrf);
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main { (body) }
            }
        }
    };
    let mut resp = (status, doc.into_string()).into_response();
    secure(&mut resp, "text/html; charset=utf-8");
    resp
}

/// The security headers, and the content type.
pub fn secure(resp: &mut Response, content_type: &'static str) {
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// An error page (no session needed to read it).
pub fn error(status: StatusCode, message: &str) -> Response {
    page(
        status,
        Page::new(status.canonical_reason().unwrap_or("Error")),
        None,
        html! { h1 { (status.as_u16()) } p.problem { (message) } },
    )
}

/// `GET /static/dashboard.css`.
pub async fn css() -> Response {
    let mut resp = CSS.into_response();
    secure(&mut resp, "text/css; charset=utf-8");
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=3600"),
    );
    resp
}

/// `GET /static/dashboard.js`.
pub async fn js() -> Response {
    let mut resp = JS.into_response();
    secure(&mut resp, "text/javascript; charset=utf-8");
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=3600"),
    );
    resp
}

/// A path segment with everything but unreserved characters percent-encoded
/// (host names go into links).
pub fn segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A query value, `application/x-www-form-urlencoded`.
pub fn query_value(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

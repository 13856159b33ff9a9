//! Origin binding: where a URI a BMC names may be sent.
//!
//! A BMC names URIs everywhere: navigation links and `@odata.id`s, action
//! targets, push URIs, `Location` headers, `nextLink`s, task monitors. Behind
//! NAT those name addresses fwfleet cannot reach, and a hostile BMC (or a
//! rewriting box on the path) can name any host to collect the credentials
//! that go with every request. So a BMC-supplied URI is never followed as
//! written: it is reduced to its path and query and sent only to the host's
//! configured origin (scheme, host, port from the config). A foreign origin is
//! counted ([`foreign_origin_counts`]) and logged once per field and client;
//! an `https` → `http` change, or a path outside `/redfish/` where only a push
//! URI may lie elsewhere, is refused with an error naming host, URI and field.

use reqwest::Url;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Where a BMC-supplied URI came from: named in errors, logs and the
/// `field` label of the metrics. Names are static, so the label set is small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    name: &'static str,
    /// Push URIs (`MultipartHttpPushUri`, `HttpPushUri`) may lie outside
    /// `/redfish/` (Lenovo XCC uses `/mfwupdate`); nothing else may.
    push: bool,
}

impl Field {
    /// A link, target or header: its path must lie under `/redfish/`.
    pub const fn named(name: &'static str) -> Field {
        Field { name, push: false }
    }

    /// An advertised push URI: any path on the configured origin.
    pub const fn push(name: &'static str) -> Field {
        Field { name, push: true }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The 202's `Location` (task monitor) and any `Location` of a success reply.
    pub const LOCATION: Field = Field::named("Location");
    /// `UpdateService.RemoteServerCertificates`.
    pub const REMOTE_CERTIFICATES: Field = Field::named("UpdateService.RemoteServerCertificates");
    /// The `Location` of a new session (the logout URI).
    pub const SESSION_LOCATION: Field = Field::named("session Location");
    /// A session's `@odata.id` when the BMC sent no `Location`.
    pub const SESSION_ID: Field = Field::named("session @odata.id");
    /// A redirect's `Location`.
    pub const REDIRECT: Field = Field::named("redirect Location");
    /// A collection member's `@odata.id`.
    pub const MEMBER: Field = Field::named("Members[].@odata.id");
    /// A collection's next page.
    pub const NEXT_LINK: Field = Field::named("Members@odata.nextLink");
    /// The Task's own `@odata.id` in a monitor or 202 body.
    pub const TASK_ID: Field = Field::named("Task @odata.id");
    /// The Task's `@odata.id` in the body of a task monitor's reply.
    pub const MONITOR_BODY_ID: Field = Field::named("task monitor body @odata.id");
    /// `TaskMonitor` in a 202 body.
    pub const TASK_MONITOR: Field = Field::named("TaskMonitor");
    /// A URI in a message's `MessageArgs` (Supermicro tasks, reset targets).
    pub const MESSAGE_ARGS: Field = Field::named("MessageArgs");
    /// Any URI handed to the client: the last guard, for URIs no caller named.
    pub const REQUEST: Field = Field::named("request URI");
    /// The push URI handed to an upload.
    pub const UPLOAD: Field = Field::push("push URI");
}

/// Why a BMC-supplied URI is not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a URI at all.
    Unparsable(String),
    /// The configured origin is `https`, the URI says `http`: credentials
    /// would cross the network in the clear if anything followed it.
    Downgrade,
    /// The path lies outside `/redfish/` and the field is no push URI.
    OutsideRedfish,
    /// A redirect to another origin (never followed, whatever the path).
    CrossOrigin,
}

impl Refusal {
    pub fn why(&self) -> String {
        match self {
            Refusal::Unparsable(e) => format!("it is not a URI ({e})"),
            Refusal::Downgrade => {
                "it changes https to http, so credentials would travel in the clear; fwfleet does not follow it".into()
            }
            Refusal::OutsideRedfish => {
                "its path lies outside /redfish/ and it is not a push URI the BMC advertises".into()
            }
            Refusal::CrossOrigin => {
                "it points to another origin, and fwfleet follows redirects only within the configured origin".into()
            }
        }
    }
}

/// A URI bound to the configured origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound {
    /// The URL that is sent: configured origin + the URI's path and query.
    pub url: Url,
    /// Whether the URI named another origin (reduced to its path).
    pub foreign: bool,
}

impl Bound {
    /// Path and query, as stored and handed on (`/redfish/v1/…?$skip=2`).
    pub fn path_and_query(&self) -> String {
        match self.url.query() {
            Some(q) => format!("{}?{q}", self.url.path()),
            None => self.url.path().to_string(),
        }
    }
}

/// One host's configured origin.
#[derive(Debug, Clone)]
pub struct Origin {
    base: Url,
}

impl Origin {
    /// `base` is the host's configured URL (`https://HOST[:PORT]`, no path).
    pub fn new(base: &str) -> Result<Origin, String> {
        let base = Url::parse(base).map_err(|e| format!("url {base}: {e}"))?;
        if !matches!(base.scheme(), "http" | "https") || base.host().is_none() {
            return Err(format!("url {base}: not an http(s) base URL"));
        }
        Ok(Origin { base })
    }

    pub fn url(&self) -> &Url {
        &self.base
    }

    /// Whether `raw` names an origin other than the configured one.
    pub fn is_foreign(&self, raw: &str) -> bool {
        self.base
            .join(raw.trim())
            .is_ok_and(|u| u.origin() != self.base.origin())
    }

    /// Bind `raw` (absolute, scheme-relative or relative, as a BMC wrote it)
    /// to the configured origin. `from` is the URL it is relative to (the
    /// request that carried it; the origin's root when `None`).
    pub fn bind(&self, raw: &str, field: Field, from: Option<&Url>) -> Result<Bound, Refusal> {
        let joined = from
            .unwrap_or(&self.base)
            .join(raw.trim())
            .map_err(|e| Refusal::Unparsable(e.to_string()))?;
        if !matches!(joined.scheme(), "http" | "https") {
            return Err(Refusal::Unparsable(format!(
                "scheme {} is not http(s)",
                joined.scheme()
            )));
        }
        if self.base.scheme() == "https" && joined.scheme() == "http" {
            return Err(Refusal::Downgrade);
        }
        let foreign = joined.origin() != self.base.origin();
        let mut url = self.base.clone();
        // The joined URL's path is normalised (`..`, `%2e%2e`), so the check
        // below sees the path the BMC's web server will see.
        url.set_path(joined.path());
        url.set_query(joined.query());
        let path = url.path();
        let under_redfish = path == "/redfish" || path.starts_with("/redfish/");
        if !under_redfish && !field.push {
            return Err(Refusal::OutsideRedfish);
        }
        Ok(Bound { url, foreign })
    }
}

/// At most this much of a BMC-supplied URI goes into an error or a log line:
/// a hostile BMC could send megabytes.
const SHOWN: usize = 200;

/// `raw` as it may be shown: bounded, control characters escaped.
pub fn shown(raw: &str) -> String {
    let mut s: String = raw
        .chars()
        .take(SHOWN)
        .flat_map(char::escape_default)
        .collect();
    if raw.chars().count() > SHOWN {
        s.push('…');
    }
    s
}

#[derive(Debug, Default)]
struct Tally {
    foreign: BTreeMap<&'static str, u64>,
    refused: BTreeMap<&'static str, u64>,
}

/// Counted for the whole process, like the daemon's other counters: the
/// client has no store and no metrics handle, and a counter is one add.
static TALLY: Mutex<Tally> = Mutex::new(Tally {
    foreign: BTreeMap::new(),
    refused: BTreeMap::new(),
});

fn tally() -> std::sync::MutexGuard<'static, Tally> {
    TALLY.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn count_foreign(field: Field) {
    *tally().foreign.entry(field.name).or_default() += 1;
}

pub(crate) fn count_refused(field: Field) {
    *tally().refused.entry(field.name).or_default() += 1;
}

/// URIs that named another origin, by field, since the process started
/// (`fwfleet_redfish_foreign_origin_total`).
pub fn foreign_origin_counts() -> BTreeMap<&'static str, u64> {
    tally().foreign.clone()
}

/// URIs refused, by field, since the process started
/// (`fwfleet_redfish_refused_uri_total`).
pub fn refused_counts() -> BTreeMap<&'static str, u64> {
    tally().refused.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(base: &str, raw: &str, field: Field) -> Result<(String, bool), Refusal> {
        Origin::new(base)
            .unwrap()
            .bind(raw, field, None)
            .map(|b| (b.url.to_string(), b.foreign))
    }

    #[test]
    fn bmc_uris_are_bound_to_the_configured_origin() {
        let link = Field::named("ServiceRoot.UpdateService");
        let ok = |u: &str, foreign| Ok((u.to_string(), foreign));
        let b = "https://10.0.0.5";
        assert_eq!(
            check(b, "/redfish/v1/UpdateService", link),
            ok("https://10.0.0.5/redfish/v1/UpdateService", false)
        );
        // The same origin written out, default port included.
        assert_eq!(
            check(b, "https://10.0.0.5:443/redfish/v1/?$expand=.", link),
            ok("https://10.0.0.5/redfish/v1/?$expand=.", false)
        );
        // NAT: the BMC names its internal address; the path goes to ours.
        assert_eq!(
            check(
                b,
                "https://192.168.0.120:8443/redfish/v1/Systems/1#frag",
                link
            ),
            ok("https://10.0.0.5/redfish/v1/Systems/1", true)
        );
        assert_eq!(
            check(b, "//evil.example/redfish/v1/", link),
            ok("https://10.0.0.5/redfish/v1/", true)
        );
        // An http origin may be named as https elsewhere: still only the path.
        assert_eq!(
            check(
                "http://127.0.0.1:9",
                "https://127.0.0.2:9/redfish/v1/",
                link
            ),
            ok("http://127.0.0.1:9/redfish/v1/", true)
        );
        assert_eq!(
            check(b, "http://10.0.0.5/redfish/v1/", link),
            Err(Refusal::Downgrade)
        );
        assert_eq!(
            check(b, "/cgi-bin/upload", link),
            Err(Refusal::OutsideRedfish)
        );
        assert_eq!(
            check(b, "/redfish/../mock/faults", link),
            Err(Refusal::OutsideRedfish)
        );
        assert_eq!(
            check(b, "/redfish/%2e%2e/mock/faults", link),
            Err(Refusal::OutsideRedfish)
        );
        assert_eq!(check(b, "/redfishy", link), Err(Refusal::OutsideRedfish));
        assert_eq!(
            check(
                b,
                "https://other/mfwupdate",
                Field::push("MultipartHttpPushUri")
            ),
            ok("https://10.0.0.5/mfwupdate", true)
        );
        assert!(matches!(
            check(b, "file:///etc/passwd", link),
            Err(Refusal::Unparsable(_))
        ));
    }

    #[test]
    fn shown_uris_are_bounded_and_printable() {
        assert_eq!(shown("/a\nb"), "/a\\nb");
        let long = "x".repeat(10_000);
        assert_eq!(shown(&long).chars().count(), SHOWN + 1);
    }
}

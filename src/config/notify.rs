//! `[[notify]]` → [`EndpointConfig`]: the webhook URL (no credentials in
//! it, never echoed: its path may hold a token), the event names, the
//! signing key from `secret_file` (mode-checked like a `password_file`),
//! and the delivery limits.

use super::credentials::{exposure, is_loopback_url, Exposure};
use super::raw::RawNotify;
use super::ConfigError;
use crate::notify::endpoint::{host_of, DEFAULT_ATTEMPTS, DEFAULT_QUEUE, DEFAULT_TIMEOUT};
use crate::notify::{EndpointConfig, EventKind, MAX_ATTEMPTS};
use crate::secret::{Redactor, Secret};
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What validating the endpoints needs from the rest of the config.
pub(super) struct NotifyCheck<'a> {
    pub(super) err: &'a dyn Fn(Option<String>, String) -> ConfigError,
    pub(super) rel: &'a dyn Fn(PathBuf) -> PathBuf,
    pub(super) warnings: &'a mut Vec<String>,
    /// The signing keys join the secrets scrubbed from hook output.
    pub(super) redact: &'a mut Redactor,
    pub(super) names: HashSet<String>,
}

impl NotifyCheck<'_> {
    /// `[[notify]]` entry `i`.
    pub(super) fn endpoint(
        &mut self,
        i: usize,
        n: &RawNotify,
    ) -> Result<EndpointConfig, ConfigError> {
        let key = |k: &str| Some(format!("notify[{i}].{k}"));
        let err = self.err;
        let bad_url = || {
            err(
                key("url"),
                "is not an http:// or https:// URL (the value is not shown: it may hold a token)\n  hint: e.g. url = \"https://hooks.example.com/fwfleet\"".into(),
            )
        };
        let url = url::Url::parse(n.url.trim()).map_err(|_| bad_url())?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
            return Err(bad_url());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(err(
                key("url"),
                "has credentials inside it (the value is not shown); the endpoint checks the signature instead\n  hint: remove user:password@ from the URL; the receiver verifies X-Fwfleet-Signature with the secret_file key".into(),
            ));
        }
        let name = match &n.name {
            Some(s) if s.trim().is_empty() => return Err(err(key("name"), "is empty".into())),
            Some(s) => s.clone(),
            None => host_of(&url),
        };
        if !self.names.insert(name.clone()) {
            return Err(err(
                key("name"),
                format!("two [[notify]] endpoints are named '{name}' (by default an endpoint is named after its host)\n  hint: give each one a distinct name = \"…\""),
            ));
        }
        if url.scheme() == "http" && !is_loopback_url(url.as_str()) {
            self.warnings.push(format!(
                "notify endpoint {name} is plain http://: events cross the network readable by anyone on the path (the signature still stops forgery); use https://"
            ));
        }
        let events = match &n.events {
            None => EventKind::ALL.into_iter().collect(),
            Some(list) if list.is_empty() => {
                return Err(err(
                    key("events"),
                    format!(
                        "lists no event; leave the key out for every event, or name some of: {}",
                        EventKind::names()
                    ),
                ))
            }
            Some(list) => {
                let mut set = BTreeSet::new();
                for (j, e) in list.iter().enumerate() {
                    let k = EventKind::parse(e.trim()).ok_or_else(|| {
                        err(
                            key(&format!("events[{j}]")),
                            format!("unknown event '{e}'\n  hint: one of {}", EventKind::names()),
                        )
                    })?;
                    set.insert(k);
                }
                set
            }
        };
        let secret = self.secret(i, &name, &n.secret_file)?;
        let timeout = match n.timeout_secs {
            None => DEFAULT_TIMEOUT,
            Some(s) if s > 0.0 && s <= 300.0 => Duration::from_secs_f64(s),
            Some(s) => {
                return Err(err(
                    key("timeout_secs"),
                    format!("{s} is not a timeout in seconds between 0 and 300"),
                ))
            }
        };
        let attempts = n.attempts.unwrap_or(DEFAULT_ATTEMPTS);
        if !(1..=MAX_ATTEMPTS).contains(&attempts) {
            return Err(err(
                key("attempts"),
                format!(
                    "{attempts} is not between 1 and {MAX_ATTEMPTS} (the first attempt included)"
                ),
            ));
        }
        let queue_size = n.queue_size.unwrap_or(DEFAULT_QUEUE);
        if queue_size == 0 {
            return Err(err(key("queue_size"), "must be at least 1".into()));
        }
        Ok(EndpointConfig {
            name,
            url,
            events,
            secret,
            ca_file: n.ca_file.clone().map(self.rel),
            timeout,
            attempts,
            queue_size,
        })
    }

    /// The HMAC key: the file's text without its trailing newline.
    fn secret(&mut self, i: usize, name: &str, file: &Path) -> Result<Secret, ConfigError> {
        let key = Some(format!("notify[{i}].secret_file"));
        let file = (self.rel)(file.to_path_buf());
        match exposure(&file) {
            Some(Exposure::WorldWritable(mode)) => {
                return Err((self.err)(
                    key,
                    format!("{} (notify endpoint {name}) is writable by every user (mode {mode:o}): anyone could change the key receivers trust\n  hint: chmod 600 {}", file.display(), file.display()),
                ))
            }
            Some(Exposure::Shared(mode)) => self.warnings.push(format!(
                "notify endpoint {name}: secret_file {} is readable by others (mode {mode:o}), who could sign events; run chmod 600 on it",
                file.display()
            )),
            _ => {}
        }
        let text = std::fs::read_to_string(&file).map_err(|e| {
            (self.err)(
                key.clone(),
                format!("cannot read {} (notify endpoint {name}): {e}\n  hint: e.g. `openssl rand -hex 32 > {}; chmod 600 {}`", file.display(), file.display(), file.display()),
            )
        })?;
        let text = text.trim_end_matches(['\n', '\r']);
        if text.is_empty() {
            return Err((self.err)(
                key,
                format!("{} (notify endpoint {name}) is empty: events would be signed with an empty key\n  hint: e.g. `openssl rand -hex 32 > {}`", file.display(), file.display()),
            ));
        }
        let s = Secret::new(text);
        self.redact.add(&s);
        Ok(s)
    }
}

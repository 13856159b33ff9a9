//! Trust settings (issue 17): who may use the API and how it is served
//! (`[daemon]` TLS, timeouts, `[[daemon.tokens]]`), and the pins file that
//! `fwfleet trust --pins-file` writes (`tls_pins_file`).
//!
//! Kept in one file so the raw → validated stages stay readable: the keys
//! are read in `raw`, checked here, and land in `DaemonSettings` and the
//! hosts' `TlsSetting`.

use super::raw::{RawDaemon, RawToken};
use super::settings::{ApiTokenSource, HostConfig, TlsSetting, TokenFrom};
use super::ConfigError;
use crate::vocab::ApiRole;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

type ErrFn<'a> = dyn Fn(Option<String>, String) -> ConfigError + 'a;

/// The name the single `token_file` / `token_env` token has in the audit
/// trail; it is an `admin` token, as it was before roles.
pub const DEFAULT_TOKEN_NAME: &str = "default";

/// What `[daemon]` says about the API's transport and tokens.
pub(super) struct Access {
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
    pub tokens: Vec<ApiTokenSource>,
}

fn secs(
    err: &ErrFn<'_>,
    key: &str,
    v: Option<f64>,
    default: Duration,
) -> Result<Duration, ConfigError> {
    match v {
        None => Ok(default),
        Some(s) if s > 0.0 && s <= 3600.0 => Ok(Duration::from_secs_f64(s)),
        Some(s) => Err(err(
            Some(format!("daemon.{key}")),
            format!("{s} is not a duration in seconds between 0 and 3600"),
        )),
    }
}

fn env_name_ok(v: &str) -> bool {
    !v.trim().is_empty() && !v.contains('=') && !v.contains('\0')
}

pub(super) fn daemon_access(
    r: &RawDaemon,
    defaults: (Duration, Duration, usize),
    err: &ErrFn<'_>,
    rel: &dyn Fn(PathBuf) -> PathBuf,
) -> Result<Access, ConfigError> {
    if r.tls_cert.is_some() != r.tls_key.is_some() {
        return Err(err(
            Some("daemon.tls_cert".into()),
            "tls_cert and tls_key go together; set both or neither".into(),
        ));
    }
    let header_timeout = secs(
        err,
        "header_timeout_secs",
        r.header_timeout_secs,
        defaults.0,
    )?;
    let idle_timeout = secs(err, "idle_timeout_secs", r.idle_timeout_secs, defaults.1)?;
    let max_connections = match r.max_connections {
        None => defaults.2,
        Some(n) if (1..=65_536).contains(&n) => n,
        Some(n) => {
            return Err(err(
                Some("daemon.max_connections".into()),
                format!("{n} is not between 1 and 65536"),
            ))
        }
    };
    let mut names: HashSet<String> = HashSet::new();
    if r.token_file.is_some() || r.token_env.is_some() {
        names.insert(DEFAULT_TOKEN_NAME.into());
    }
    let tokens = r
        .tokens
        .iter()
        .enumerate()
        .map(|(i, t)| token(i, t, &mut names, err, rel))
        .collect::<Result<_, _>>()?;
    Ok(Access {
        tls_cert: r.tls_cert.clone().map(rel),
        tls_key: r.tls_key.clone().map(rel),
        header_timeout,
        idle_timeout,
        max_connections,
        tokens,
    })
}

fn token(
    i: usize,
    t: &RawToken,
    names: &mut HashSet<String>,
    err: &ErrFn<'_>,
    rel: &dyn Fn(PathBuf) -> PathBuf,
) -> Result<ApiTokenSource, ConfigError> {
    let key = |k: &str| Some(format!("daemon.tokens[{i}].{k}"));
    let name_ok = !t.name.is_empty()
        && t.name.len() <= 64
        && t.name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !name_ok {
        return Err(err(
            key("name"),
            format!("'{}' is not a token name\n  hint: letters, digits, '-', '_' and '.', at most 64, e.g. name = \"grafana\"", t.name),
        ));
    }
    if !names.insert(t.name.clone()) {
        let why = if t.name == DEFAULT_TOKEN_NAME {
            "is the name of daemon.token_file / token_env's token"
        } else {
            "appears twice"
        };
        return Err(err(
            key("name"),
            format!(
                "token name '{}' {why}; names must be unique (the audit trail records who by name)",
                t.name
            ),
        ));
    }
    let role = ApiRole::parse(&t.role).map_err(|e| err(key("role"), format!("{e}")))?;
    let from = match (&t.token_file, &t.token_env) {
        (Some(f), None) => TokenFrom::File(rel(f.clone())),
        (None, Some(v)) if env_name_ok(v) => TokenFrom::Env(v.clone()),
        (None, Some(v)) => {
            return Err(err(
                key("token_env"),
                format!("'{v}' is not an environment variable name\n  hint: e.g. token_env = \"FWFLEET_TOKEN_GRAFANA\""),
            ))
        }
        (Some(_), Some(_)) => {
            return Err(err(
                key("token_env"),
                "is set together with token_file; keep one source for the token".into(),
            ))
        }
        (None, None) => {
            return Err(err(
                key("token_file"),
                format!("token '{}' has no value\n  hint: set token_file = \"FILE\" or token_env = \"VAR\"", t.name),
            ))
        }
    };
    Ok(ApiTokenSource {
        name: t.name.clone(),
        role,
        from,
    })
}

/// The pins file `fwfleet trust --pins-file` writes: one table per host.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPins {
    #[serde(default)]
    hosts: BTreeMap<String, RawPin>,
}

#[derive(Debug, Deserialize)]
struct RawPin {
    tls_fingerprint_sha256: String,
    // What `trust` showed when the pin was written, for the reader of the file.
    #[serde(flatten)]
    _about: BTreeMap<String, toml::Value>,
}

/// Apply the pins of `file` to `hosts`: a host verified by default gets its
/// pin from the file. A host that also has one in the config, or is
/// `insecure`, is an error (which one is meant?); a name that is no host, a
/// warning.
pub(super) fn apply_pins(
    file: &Path,
    hosts: &mut [HostConfig],
    err: &ErrFn<'_>,
    warnings: &mut Vec<String>,
) -> Result<(), ConfigError> {
    let key = Some("tls_pins_file".to_string());
    if !file.exists() {
        // Named before `fwfleet trust` wrote it: hosts stay verified by CA,
        // and their TLS errors say how to pin them.
        warnings.push(format!(
            "tls_pins_file {} does not exist yet; fwfleet trust --config FILE writes it",
            file.display()
        ));
        return Ok(());
    }
    let text = std::fs::read_to_string(file).map_err(|e| {
        err(
            key.clone(),
            format!(
                "cannot read {}: {e}\n  hint: fwfleet trust --pins-file {} writes it",
                file.display(),
                file.display()
            ),
        )
    })?;
    let raw: RawPins = toml::from_str(&text).map_err(|e| {
        err(
            key.clone(),
            format!("{} is not a pins file: {}", file.display(), e.message()),
        )
    })?;
    for (name, pin) in raw.hosts {
        let Some(h) = hosts.iter_mut().find(|h| h.name == name) else {
            warnings.push(format!(
                "{} pins host {name}, which is not in the config; remove its [hosts.{name}] table",
                file.display()
            ));
            continue;
        };
        let fp = pin.tls_fingerprint_sha256;
        match &h.tls {
            TlsSetting::Pin(own) if own.eq_ignore_ascii_case(&fp) => {}
            TlsSetting::Pin(_) => {
                return Err(err(
                    key.clone(),
                    format!("host {name} is pinned both in the config (tls_fingerprint_sha256) and in {} with another fingerprint; keep one", file.display()),
                ))
            }
            TlsSetting::Insecure => {
                return Err(err(
                    key.clone(),
                    format!("host {name} is insecure = true in the config but pinned in {}; remove insecure to use the pin", file.display()),
                ))
            }
            TlsSetting::Verify { .. } => {
                if h.url.starts_with("http://") {
                    warnings.push(format!(
                        "{} pins host {name}, whose URL is http://: the pin has no effect",
                        file.display()
                    ));
                }
                h.tls = TlsSetting::Pin(fp);
            }
        }
    }
    Ok(())
}

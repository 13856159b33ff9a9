//! The fleet config file (docs/CONFIG.md): TOML → a validated [`Config`].
//!
//! Raw serde structs mirror the file; validation turns them into typed
//! settings before any I/O, and every error names the file, the line where
//! TOML can tell, and the key (`hosts[3].url`), with a hint on what to write.

use crate::secret::{Redactor, Secret};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A config error: where and what, plus how to fix it.
#[derive(Debug, thiserror::Error)]
pub struct ConfigError {
    pub path: PathBuf,
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "config {}", self.path.display())?;
        if let Some(k) = &self.key {
            write!(f, ": key `{k}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// How a client authenticates to a BMC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// Redfish sessions (default); falls back to Basic when the BMC has no
    /// SessionService or its session limit is reached.
    #[default]
    Session,
    /// HTTP Basic on every request.
    Basic,
}

/// How a host's TLS certificate is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSetting {
    /// Against the built-in roots, or only the CA in `ca_file`.
    Verify { ca_file: Option<PathBuf> },
    /// The end-entity certificate's SHA-256 must be this (`AB:CD:…` as written).
    Pin(String),
    /// No verification: only when `insecure = true` is written explicitly.
    Insecure,
}

/// Per-host limits, all with documented defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Requests in flight to one BMC at once (BMCs are small computers).
    pub max_in_flight: usize,
    /// Attempts for an idempotent GET (or a 503) before giving up.
    pub retries: u32,
    /// Largest response body read from a BMC.
    pub max_response_bytes: u64,
    /// Deadline for one host's whole inventory scan.
    pub scan_deadline: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_in_flight: 2,
            retries: 3,
            max_response_bytes: 16 * 1024 * 1024,
            scan_deadline: Duration::from_secs(120),
        }
    }
}

/// What the rollout does with images that wait for a reset (`OnReset`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, Default, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum ResetPolicy {
    /// Leave staged images staged; the operator resets the servers later.
    #[default]
    Never,
    /// `GracefulRestart` inside the window, after the `pre_reset` hook.
    Graceful,
    /// `ForceRestart` inside the window, after the `pre_reset` hook.
    Force,
}

impl ResetPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            ResetPolicy::Never => "never",
            ResetPolicy::Graceful => "graceful",
            ResetPolicy::Force => "force",
        }
    }
}

/// Operator commands run around a host's updates (`sh -c`), with the host,
/// component and versions in `FWFLEET_*` environment variables, in an
/// environment cleared of everything else (docs/SECURITY.md).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hooks {
    /// Before a coordinated reset (drain the workload); a non-zero exit skips the reset.
    pub pre_reset: Option<String>,
    /// After each successful update step.
    pub post_update: Option<String>,
    pub timeout: Duration,
    /// Variables of fwfleet's environment a hook may see besides `PATH`,
    /// `HOME`, `LANG` and `FWFLEET_*` (`rollout.env_passthrough`); never the
    /// name of a configured secret variable.
    pub env_passthrough: Vec<String>,
    /// Every configured secret (BMC passwords, proxy credentials, the API
    /// token), scrubbed from a hook's output before it is logged or stored.
    pub redact: Redactor,
}

/// How `apply` rolls updates out over the fleet (docs/CONFIG.md `[rollout]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Rollout {
    /// Hosts updated at once across the fleet.
    pub max_parallel: usize,
    /// Canary hosts (when no host has the `canary` label): the first N in plan order.
    pub canary: usize,
    /// Hosts per wave after the canaries (default: `max_parallel`).
    pub wave_size: Option<usize>,
    /// Share of the rollout's hosts that may fail before it halts (0.0–1.0).
    pub failure_budget: f64,
    /// At most this many hosts at once per distinct value of a label (`rack = 2`).
    pub label_caps: BTreeMap<String, usize>,
    pub reset_policy: ResetPolicy,
    /// `simple-update`, `multipart` or `raw-push` when neither the repository
    /// nor the BMC decides; `None`: SimpleUpdate, then multipart, then raw.
    pub default_method: Option<crate::repository::Method>,
    /// Attempts of a transfer that wrote nothing.
    pub attempts: u32,
    /// Deadline of one step, transfer to verified version.
    pub step_deadline: Duration,
    pub hooks: Hooks,
    /// How a restart treats steps a stopped fwfleet left in flight.
    pub resume: ResumeSettings,
}

/// How a restarted fwfleet decides a step that was sent (or about to be)
/// when the process stopped, and the BMC shows no trace of it (docs/APPLY.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResumeSettings {
    /// How long the BMC must show neither the new version nor an update task
    /// before the step is judged never to have arrived (a BMC may take a
    /// while to turn an accepted request into a visible task).
    pub quiet_period: Duration,
    /// Then: plan the update again (`true`, nothing was written), or stop
    /// with `needs-attention` for the operator to look first.
    pub retry: bool,
    /// How long to wait for a BMC that does not answer (rebooting after its
    /// own update) before leaving its steps in flight for the next start.
    pub wait: Duration,
}

impl Default for ResumeSettings {
    fn default() -> Self {
        ResumeSettings {
            quiet_period: Duration::from_secs(30),
            retry: true,
            wait: Duration::from_secs(600),
        }
    }
}

impl Default for Rollout {
    fn default() -> Self {
        Rollout {
            max_parallel: 50,
            canary: 1,
            wave_size: None,
            failure_budget: 0.1,
            label_caps: BTreeMap::new(),
            reset_policy: ResetPolicy::Never,
            default_method: None,
            attempts: 2,
            step_deadline: Duration::from_secs(3600),
            hooks: Hooks {
                pre_reset: None,
                post_update: None,
                timeout: Duration::from_secs(600),
                env_passthrough: Vec::new(),
                redact: Redactor::default(),
            },
            resume: ResumeSettings::default(),
        }
    }
}

/// Where fwfleet serves images to BMCs for SimpleUpdate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageServerSettings {
    pub bind: std::net::SocketAddr,
    /// The URL BMCs use to reach `bind` (NAT, another interface, a name).
    pub advertise_url: Option<String>,
    /// Serve HTTPS with these PEM files.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
}

impl Default for ImageServerSettings {
    fn default() -> Self {
        ImageServerSettings {
            bind: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            advertise_url: None,
            tls_cert: None,
            tls_key: None,
        }
    }
}

/// `fwfleet serve` (docs/CONFIG.md `[daemon]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonSettings {
    /// Where the HTTP API listens. Loopback by default: the API can start
    /// firmware updates, so exposing it is the operator's explicit choice.
    pub bind: std::net::SocketAddr,
    /// A file holding the API's bearer token (first line).
    pub token_file: Option<PathBuf>,
    /// An environment variable holding the API's bearer token.
    pub token_env: Option<String>,
    /// Largest request body the API reads.
    pub max_body_bytes: usize,
    /// Whether `[[windows]]` start rollouts; off leaves only the API.
    pub scheduler: bool,
}

impl DaemonSettings {
    /// The documented default port, 8470, on loopback.
    pub const DEFAULT_BIND: ([u8; 4], u16) = ([127, 0, 0, 1], 8470);
}

impl Default for DaemonSettings {
    fn default() -> Self {
        DaemonSettings {
            bind: std::net::SocketAddr::from(Self::DEFAULT_BIND),
            token_file: None,
            token_env: None,
            max_body_bytes: 64 * 1024,
            scheduler: true,
        }
    }
}

/// A proxy URL. It may carry credentials (`http://user:pw@proxy:3128`), so
/// it prints with them replaced by `[redacted]`; [`ProxyUrl::expose`] is
/// for the HTTP client alone.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl(Secret);

impl ProxyUrl {
    pub fn new(url: impl Into<String>) -> ProxyUrl {
        ProxyUrl(Secret::new(url))
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// The password in the URL, if any (for the redactor).
    fn password(&self) -> Option<Secret> {
        let u = reqwest::Url::parse(self.expose()).ok()?;
        u.password().map(Secret::new)
    }
}

impl fmt::Display for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match reqwest::Url::parse(self.expose()) {
            Ok(u) => {
                let auth = if u.username().is_empty() && u.password().is_none() {
                    ""
                } else {
                    "[redacted]@"
                };
                let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
                write!(
                    f,
                    "{}://{auth}{}{port}",
                    u.scheme(),
                    u.host_str().unwrap_or("")
                )
            }
            Err(_) => f.write_str("[redacted]"),
        }
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProxyUrl({self})")
    }
}

/// One BMC, validated.
#[derive(Debug, Clone)]
pub struct HostConfig {
    pub name: String,
    /// Base URL, `https://IP:PORT` (no path).
    pub url: String,
    pub username: String,
    pub password: Secret,
    pub tls: TlsSetting,
    pub auth: AuthMode,
    pub proxy: Option<ProxyUrl>,
    pub labels: BTreeMap<String, String>,
    pub limits: Limits,
    /// Accept the new certificate a pinned BMC presents after its own
    /// firmware update (and say so in the journal) instead of stopping.
    pub tls_repin_after_bmc_update: bool,
    /// Per-host hook commands overriding `[rollout]`'s.
    pub pre_reset: Option<String>,
    pub post_update: Option<String>,
}

impl HostConfig {
    /// A canary is a host labelled `canary` (any value but `false`/`no`/`0`).
    pub fn is_canary(&self) -> bool {
        self.labels
            .get("canary")
            .is_some_and(|v| !matches!(v.to_ascii_lowercase().as_str(), "false" | "no" | "0"))
    }
}

/// The whole config, validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    pub state_dir: PathBuf,
    pub repository: PathBuf,
    /// Hosts scanned at once.
    pub concurrency: usize,
    pub hosts: Vec<HostConfig>,
    pub rollout: Rollout,
    pub image_server: ImageServerSettings,
    /// Maintenance windows (`[[windows]]`); empty: none configured.
    pub schedule: crate::schedule::Schedule,
    /// How step durations are estimated for window fitting (`[estimates]`).
    pub estimates: crate::schedule::EstimateSettings,
    /// `fwfleet serve`: API address, token source, limits (`[daemon]`).
    pub daemon: DaemonSettings,
    /// Warnings found while loading (printed by the CLI).
    pub warnings: Vec<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    connect_timeout_secs: Option<f64>,
    request_timeout_secs: Option<f64>,
    max_in_flight: Option<usize>,
    retries: Option<u32>,
    max_response_bytes: Option<u64>,
    scan_deadline_secs: Option<f64>,
    auth: Option<AuthMode>,
    #[serde(default, deserialize_with = "quoted_secret")]
    proxy: Option<String>,
    ca_file: Option<PathBuf>,
    /// Read only to refuse it with a clear error: TLS is turned off per host.
    insecure: Option<bool>,
    password_command_timeout_secs: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHost {
    name: String,
    url: String,
    username: String,
    #[serde(default, deserialize_with = "quoted_secret")]
    password: Option<String>,
    password_env: Option<String>,
    password_file: Option<PathBuf>,
    password_command: Option<Vec<String>>,
    tls_fingerprint_sha256: Option<String>,
    ca_file: Option<PathBuf>,
    insecure: Option<bool>,
    auth: Option<AuthMode>,
    #[serde(default, deserialize_with = "quoted_secret")]
    proxy: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    connect_timeout_secs: Option<f64>,
    request_timeout_secs: Option<f64>,
    max_in_flight: Option<usize>,
    #[serde(default)]
    tls_repin_after_bmc_update: bool,
    pre_reset: Option<String>,
    post_update: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRollout {
    max_parallel: Option<usize>,
    canary: Option<usize>,
    wave_size: Option<usize>,
    failure_budget: Option<f64>,
    #[serde(default)]
    label_caps: BTreeMap<String, usize>,
    reset_policy: Option<ResetPolicy>,
    default_method: Option<String>,
    attempts: Option<u32>,
    step_deadline_secs: Option<f64>,
    pre_reset: Option<String>,
    post_update: Option<String>,
    hook_timeout_secs: Option<f64>,
    #[serde(default)]
    env_passthrough: Vec<String>,
    resume_quiet_secs: Option<f64>,
    resume_retry: Option<bool>,
    resume_wait_secs: Option<f64>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawImageServer {
    bind: Option<String>,
    advertise_url: Option<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDaemon {
    bind: Option<String>,
    token_file: Option<PathBuf>,
    token_env: Option<String>,
    max_body_bytes: Option<usize>,
    scheduler: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    state_dir: Option<PathBuf>,
    repository: Option<PathBuf>,
    concurrency: Option<usize>,
    #[serde(default)]
    defaults: RawLimits,
    #[serde(default)]
    hosts: Vec<RawHost>,
    #[serde(default)]
    rollout: RawRollout,
    #[serde(default)]
    image_server: RawImageServer,
    #[serde(default)]
    windows: Vec<crate::schedule::WindowSpec>,
    estimates: Option<crate::schedule::EstimatesSpec>,
    #[serde(default)]
    daemon: RawDaemon,
}

impl Config {
    /// Read and validate a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let err = |key: Option<String>, message: String| ConfigError {
            path: path.to_path_buf(),
            key,
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            err(
                None,
                format!("cannot read it: {e}\n  hint: pass the fleet file with --config FILE (mock-bmc serve --fleet-out writes one)"),
            )
        })?;
        let (mut cfg, facts) = Self::parse_checked(path, &text)?;
        // Keyed on what was parsed, not on how it was written.
        if let Some(key) = facts.inline_secret {
            match exposure(path) {
                Some(Exposure::WorldWritable(mode)) => {
                    return Err(err(
                        Some(key),
                        format!("the file holds credentials inline and is writable by every user (mode {mode:o}): anyone could change them, or the URLs they are sent to\n  hint: chmod 600 {}, or move the credentials to password_env / password_file / password_command", path.display()),
                    ))
                }
                Some(Exposure::Shared(mode)) => cfg.warnings.push(format!(
                    "{} holds inline credentials and is readable by others (mode {mode:o}); run chmod 600 on it, or use password_env / password_file / password_command",
                    path.display(),
                )),
                _ => {}
            }
        }
        Ok(cfg)
    }

    /// Validate config text read from `path` (used for relative paths and errors).
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        Self::parse_checked(path, text).map(|(c, _)| c)
    }

    fn parse_checked(path: &Path, text: &str) -> Result<(Config, Facts), ConfigError> {
        let err = |key: Option<String>, message: String| ConfigError {
            path: path.to_path_buf(),
            key,
            message,
        };
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| err(None, toml_error_message(text, &e)))?;
        let mut facts = Facts::default();
        let mut redact = Redactor::default();
        // Secret variables a hook must never be handed (`env_passthrough`).
        let mut secret_vars: Vec<(String, String)> = Vec::new();
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let rel = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
        let d = &raw.defaults;
        let secs =
            |key: String, v: Option<f64>, default: Duration| -> Result<Duration, ConfigError> {
                match v {
                    None => Ok(default),
                    Some(s) if s > 0.0 && s <= 86_400.0 => Ok(Duration::from_secs_f64(s)),
                    Some(s) => Err(err(
                        Some(key),
                        format!("{s} is not a duration in seconds between 0 and 86400"),
                    )),
                }
            };
        let base_limits = Limits::default();
        let default_limits = Limits {
            connect_timeout: secs(
                "defaults.connect_timeout_secs".into(),
                d.connect_timeout_secs,
                base_limits.connect_timeout,
            )?,
            request_timeout: secs(
                "defaults.request_timeout_secs".into(),
                d.request_timeout_secs,
                base_limits.request_timeout,
            )?,
            max_in_flight: d.max_in_flight.unwrap_or(base_limits.max_in_flight),
            retries: d.retries.unwrap_or(base_limits.retries),
            max_response_bytes: d
                .max_response_bytes
                .unwrap_or(base_limits.max_response_bytes),
            scan_deadline: secs(
                "defaults.scan_deadline_secs".into(),
                d.scan_deadline_secs,
                base_limits.scan_deadline,
            )?,
        };
        if d.insecure.is_some() {
            return Err(err(
                Some("defaults.insecure".into()),
                "TLS verification is turned off per host only, never for the whole fleet\n  hint: move `insecure = true` into the [[hosts]] entries that need it, or better, pin them with tls_fingerprint_sha256".into(),
            ));
        }
        let command_timeout = secs(
            "defaults.password_command_timeout_secs".into(),
            d.password_command_timeout_secs,
            Duration::from_secs(30),
        )?;
        let mut commands: BTreeMap<Vec<String>, Secret> = BTreeMap::new();
        let mut plain_http: Vec<String> = Vec::new();
        if default_limits.max_in_flight == 0 {
            return Err(err(
                Some("defaults.max_in_flight".into()),
                "must be at least 1".into(),
            ));
        }
        let concurrency = raw.concurrency.unwrap_or(64);
        if concurrency == 0 {
            return Err(err(Some("concurrency".into()), "must be at least 1".into()));
        }
        let mut names = HashSet::new();
        let mut hosts = Vec::with_capacity(raw.hosts.len());
        let mut warnings = Vec::new();
        for (i, h) in raw.hosts.into_iter().enumerate() {
            let key = |k: &str| Some(format!("hosts[{i}].{k}"));
            if h.name.trim().is_empty() {
                return Err(err(key("name"), "is empty".into()));
            }
            if !names.insert(h.name.clone()) {
                return Err(err(
                    key("name"),
                    format!("host name '{}' appears twice; names must be unique", h.name),
                ));
            }
            let url = h.url.trim_end_matches('/').to_string();
            let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
            let authority = url.split_once("://").map(|(_, r)| r).unwrap_or("");
            if authority.contains('@') {
                return Err(err(
                    key("url"),
                    format!("host {} has credentials inside its URL; remove them and use username with password_env or password_file", h.name),
                ));
            }
            if !scheme_ok || authority.is_empty() || authority.contains('/') {
                return Err(err(
                    key("url"),
                    format!("'{}' is not a BMC base URL\n  hint: write https://HOST[:PORT] (no path), e.g. https://10.0.0.5", h.url),
                ));
            }
            let sources = [
                h.password.is_some(),
                h.password_env.is_some(),
                h.password_file.is_some(),
                h.password_command.is_some(),
            ];
            match sources.iter().filter(|x| **x).count() {
                0 => {
                    return Err(err(
                        key("password"),
                        format!("host {} has no password\n  hint: set password_env = \"VAR\", password_file = \"FILE\" or password_command = [\"PROGRAM\", \"ARG\"]", h.name),
                    ))
                }
                1 => {}
                _ => {
                    return Err(err(
                        key("password"),
                        format!("host {} sets more than one of password, password_env, password_file, password_command; keep one", h.name),
                    ))
                }
            }
            let password = if let Some(p) = &h.password {
                facts
                    .inline_secret
                    .get_or_insert_with(|| format!("hosts[{i}].password"));
                Secret::new(p.clone())
            } else if let Some(var) = &h.password_env {
                secret_vars.push((var.clone(), format!("the password_env of host {}", h.name)));
                Secret::new(std::env::var(var).map_err(|_| {
                    err(
                        key("password_env"),
                        format!("environment variable {var} is not set (host {})", h.name),
                    )
                })?)
            } else if let Some(file) = &h.password_file {
                let file = rel(file.clone());
                match exposure(&file) {
                    Some(Exposure::WorldWritable(mode)) => {
                        return Err(err(
                            key("password_file"),
                            format!("{} (host {}) is writable by every user (mode {mode:o}): anyone could replace the password fwfleet sends\n  hint: chmod 600 {}", file.display(), h.name, file.display()),
                        ))
                    }
                    Some(Exposure::Shared(mode)) => warnings.push(format!(
                        "host {}: password_file {} is readable by others (mode {mode:o}); run chmod 600 on it",
                        h.name,
                        file.display()
                    )),
                    _ => {}
                }
                let text = std::fs::read_to_string(&file).map_err(|e| {
                    err(
                        key("password_file"),
                        format!("cannot read {} (host {}): {e}", file.display(), h.name),
                    )
                })?;
                Secret::new(text.trim_end_matches(['\n', '\r']).to_string())
            } else if let Some(argv) = &h.password_command {
                match commands.get(argv) {
                    Some(p) => p.clone(),
                    None => {
                        let p = password_command(argv, &base, command_timeout).map_err(|why| {
                            err(key("password_command"), format!("host {}: {why}", h.name))
                        })?;
                        commands.insert(argv.clone(), p.clone());
                        p
                    }
                }
            } else {
                unreachable!("one password source was counted")
            };
            redact.add(&password);
            let insecure = h.insecure.unwrap_or(false);
            let tls = match (&h.tls_fingerprint_sha256, insecure) {
                (Some(_), true) if h.insecure == Some(true) => {
                    return Err(err(
                        key("insecure"),
                        "contradicts tls_fingerprint_sha256; a pinned host is verified".into(),
                    ))
                }
                (Some(fp), _) => TlsSetting::Pin(fp.clone()),
                (None, true) => TlsSetting::Insecure,
                (None, false) => TlsSetting::Verify {
                    ca_file: h.ca_file.clone().or_else(|| d.ca_file.clone()).map(rel),
                },
            };
            if url.starts_with("http://") && tls != (TlsSetting::Verify { ca_file: None }) {
                warnings.push(format!(
                    "host {}: TLS settings have no effect on an http:// URL",
                    h.name
                ));
            }
            let (proxy, proxy_key) = match (&h.proxy, &d.proxy) {
                (Some(p), _) => (Some(p.clone()), format!("hosts[{i}].proxy")),
                (None, Some(p)) => (Some(p.clone()), "defaults.proxy".to_string()),
                (None, None) => (None, String::new()),
            };
            let proxy = match proxy {
                None => None,
                Some(p) => {
                    let p = ProxyUrl::new(p);
                    check_proxy(&p).map_err(|why| err(Some(proxy_key.clone()), why))?;
                    if let Some(pw) = p.password() {
                        facts.inline_secret.get_or_insert(proxy_key);
                        redact.add(&pw);
                    }
                    Some(p)
                }
            };
            if url.starts_with("http://") && (proxy.is_some() || !is_loopback_url(&url)) {
                plain_http.push(h.name.clone());
            }
            let limits = Limits {
                connect_timeout: secs(
                    format!("hosts[{i}].connect_timeout_secs"),
                    h.connect_timeout_secs,
                    default_limits.connect_timeout,
                )?,
                request_timeout: secs(
                    format!("hosts[{i}].request_timeout_secs"),
                    h.request_timeout_secs,
                    default_limits.request_timeout,
                )?,
                max_in_flight: h
                    .max_in_flight
                    .unwrap_or(default_limits.max_in_flight)
                    .max(1),
                ..default_limits.clone()
            };
            hosts.push(HostConfig {
                name: h.name,
                url,
                username: h.username,
                password,
                tls,
                auth: h.auth.or(d.auth).unwrap_or_default(),
                proxy,
                labels: h.labels,
                limits,
                tls_repin_after_bmc_update: h.tls_repin_after_bmc_update,
                pre_reset: h.pre_reset,
                post_update: h.post_update,
            });
        }
        if !plain_http.is_empty() {
            let n = plain_http.len();
            let mut names = plain_http
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if n > 5 {
                names.push_str(&format!(" and {} more", n - 5));
            }
            warnings.push(format!(
                "{n} host(s) send their password over plain http:// ({names}): anyone on the network path can read it\n  hint: use https:// URLs (pin self-signed certificates with tls_fingerprint_sha256)"
            ));
        }
        let daemon = daemon_of(&raw.daemon, &err, &rel)?;
        if let Some(var) = &daemon.token_env {
            secret_vars.push((var.clone(), "daemon.token_env".into()));
            if let Ok(t) = std::env::var(var) {
                redact.add(&Secret::new(t.trim()));
            }
        }
        if let Some(file) = &daemon.token_file {
            match exposure(file) {
                Some(Exposure::WorldWritable(mode)) => {
                    return Err(err(
                        Some("daemon.token_file".into()),
                        format!("{} is writable by every user (mode {mode:o}): anyone could set the API token\n  hint: chmod 600 {}", file.display(), file.display()),
                    ))
                }
                Some(Exposure::Shared(mode)) => warnings.push(format!(
                    "the API token file {} is readable by others (mode {mode:o}); run chmod 600 on it",
                    file.display()
                )),
                _ => {}
            }
            // Best effort: only `serve` needs the token, and says so itself.
            if let Ok(text) = std::fs::read_to_string(file) {
                redact.add(&Secret::new(text.lines().next().unwrap_or("").trim()));
            }
        }
        let mut rollout = rollout_of(&raw.rollout, &err, &secret_vars)?;
        rollout.hooks.redact = redact;
        let image_server = image_server_of(&raw.image_server, &err, &rel)?;
        let schedule = crate::schedule::Schedule::from_specs(&raw.windows)
            .map_err(|e| err(Some(e.key()), e.to_string()))?;
        let estimates = match &raw.estimates {
            None => crate::schedule::EstimateSettings::default(),
            Some(spec) => spec
                .validate()
                .map_err(|e| err(Some(format!("estimates.{}", e.field)), e.message.clone()))?,
        };
        Ok((
            Config {
                path: path.to_path_buf(),
                state_dir: rel(raw.state_dir.unwrap_or_else(|| PathBuf::from("state"))),
                repository: rel(raw
                    .repository
                    .unwrap_or_else(|| PathBuf::from("repository"))),
                concurrency,
                hosts,
                rollout,
                image_server,
                schedule,
                estimates,
                daemon,
                warnings,
            },
            facts,
        ))
    }
}

/// What `load` checks beyond the text: facts found while parsing.
#[derive(Debug, Default)]
struct Facts {
    /// The first key holding a credential inline (the file's mode matters).
    inline_secret: Option<String>,
}

/// Keys whose values are credentials: a TOML error on their line is
/// reported without the line's text or the value.
const SECRET_KEYS: [&str; 3] = ["password", "proxy", "password_command"];

/// A TOML error as one line with its line number, never echoing a
/// credential: serde names the value of a mistyped field
/// (`invalid type: integer `12345``), which for `password = 12345` is the
/// password.
fn toml_error_message(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().to_string();
    let Some(span) = e.span() else { return msg };
    let start = span.start.min(text.len());
    let line_no = text[..start].matches('\n').count() + 1;
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("");
    let key = line
        .split('=')
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches(|c| c == '"' || c == '\'');
    if line.contains('=') && SECRET_KEYS.contains(&key) {
        return format!(
            "line {line_no}: the value of `{key}` is not valid here (it is not shown)\n  hint: write it as a quoted string, e.g. {key} = \"…\"{}",
            if key == "password_command" { " list: [\"vault\", \"kv\", \"get\", \"-field=password\", \"bmc/r12\"]" } else { "" }
        );
    }
    format!("line {line_no}: {msg}")
}

/// A credential field: a string, and any other type is an error that does
/// not repeat the value (serde's default message would).
fn quoted_secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a quoted string")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Err(not_shown("a number"))
        }
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Err(not_shown("a number"))
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Err(not_shown("a number"))
        }
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Err(not_shown("a boolean"))
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(not_shown("a list"))
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(not_shown("a table or date"))
        }
    }
    d.deserialize_any(V)
}

fn not_shown<E: serde::de::Error>(what: &str) -> E {
    E::custom(format!(
        "{what} where a quoted string belongs (the value is not shown)"
    ))
}

/// Who besides the owner can touch a file holding a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exposure {
    /// Owner only.
    Private,
    /// Group or others may read (or write) it: warned about.
    Shared(u32),
    /// Every user may write it: refused.
    WorldWritable(u32),
}

/// `None` when the file cannot be looked at (its reader reports that).
fn exposure(path: &Path) -> Option<Exposure> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        Some(if mode & 0o002 != 0 {
            Exposure::WorldWritable(mode)
        } else if mode & 0o077 != 0 {
            Exposure::Shared(mode)
        } else {
            Exposure::Private
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Some(Exposure::Private)
    }
}

/// The largest output a `password_command` may print: a password, not a file.
const MAX_COMMAND_OUTPUT: usize = 64 * 1024;

/// Run a `password_command` (argv, no shell: nothing in it is expanded or
/// interpreted) in the config's directory with fwfleet's environment (a
/// vault client needs its address and token), stdin closed and a timeout; the
/// password is its output with surrounding whitespace trimmed. Errors name
/// the program, never what it printed.
fn password_command(argv: &[String], dir: &Path, timeout: Duration) -> Result<Secret, String> {
    use std::io::Read;
    let Some(program) = argv.first().filter(|p| !p.trim().is_empty()) else {
        return Err("is empty; write the program and its arguments as a list, e.g. [\"vault\", \"kv\", \"get\", \"-field=password\", \"bmc/r12\"]".into());
    };
    let hint =
        "\n  hint: run it by hand as the user fwfleet runs as; fwfleet never shows what it prints";
    let mut cmd = std::process::Command::new(program);
    // Relative paths in it are relative to the config, like every other path.
    if dir.is_dir() {
        cmd.current_dir(dir);
    }
    let mut child = cmd
        .args(&argv[1..])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("`{program}` could not start: {e}{hint}"))?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let r = (&mut stdout)
            .take(MAX_COMMAND_OUTPUT as u64 + 1)
            .read_to_end(&mut out);
        let _ = tx.send(r.map(|_| out));
    });
    let deadline = std::time::Instant::now() + timeout;
    let kill = |child: &mut std::process::Child| {
        let _ = child.kill();
        let _ = child.wait();
    };
    let timed_out = || {
        format!(
            "`{program}` did not finish within {}s and was killed{hint}\n  hint: raise defaults.password_command_timeout_secs if the vault is slow",
            timeout.as_secs_f64()
        )
    };
    // The output ends when the program closes its stdout (usually: exits).
    let out = match rx.recv_timeout(timeout) {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => {
            kill(&mut child);
            return Err(format!("reading the output of `{program}`: {e}"));
        }
        Err(_) => {
            kill(&mut child);
            return Err(timed_out());
        }
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Ok(None) => {
                kill(&mut child);
                return Err(timed_out());
            }
            Err(e) => return Err(format!("waiting for `{program}`: {e}")),
        }
    };
    if !status.success() {
        return Err(format!("`{program}` failed ({status}){hint}"));
    }
    if out.len() > MAX_COMMAND_OUTPUT {
        return Err(format!(
            "`{program}` printed more than {MAX_COMMAND_OUTPUT} bytes; a password_command prints the password alone{hint}"
        ));
    }
    let text = String::from_utf8(out)
        .map_err(|_| format!("`{program}` printed something that is not UTF-8 text{hint}"))?;
    let password = text.trim();
    if password.is_empty() {
        return Err(format!("`{program}` printed nothing{hint}"));
    }
    Ok(Secret::new(password))
}

/// A proxy URL fwfleet can use; the error never contains the URL (it may
/// hold credentials).
fn check_proxy(p: &ProxyUrl) -> Result<(), String> {
    let bad = "is not an http:// or https:// proxy URL (the value is not shown: it may hold credentials)\n  hint: e.g. proxy = \"http://mgmt-proxy.example:3128\"";
    let u = reqwest::Url::parse(p.expose()).map_err(|_| bad.to_string())?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none_or(str::is_empty) {
        return Err(bad.into());
    }
    Ok(())
}

/// Whether a BMC URL names this machine (the mock): plain http there
/// crosses no network.
fn is_loopback_url(url: &str) -> bool {
    let Some(host) = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
    else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    }
}

type ErrFn<'a> = dyn Fn(Option<String>, String) -> ConfigError + 'a;

fn rollout_of(
    r: &RawRollout,
    err: &ErrFn<'_>,
    secret_vars: &[(String, String)],
) -> Result<Rollout, ConfigError> {
    let d = Rollout::default();
    let key = |k: &str| Some(format!("rollout.{k}"));
    for (i, name) in r.env_passthrough.iter().enumerate() {
        let k = key(&format!("env_passthrough[{i}]"));
        if name.is_empty() || name.contains('=') || name.contains('\0') {
            return Err(err(
                k,
                format!("'{name}' is not an environment variable name\n  hint: e.g. env_passthrough = [\"HTTPS_PROXY\", \"KRB5CCNAME\"]"),
            ));
        }
        if let Some((_, whose)) = secret_vars.iter().find(|(v, _)| v == name) {
            return Err(err(
                k,
                format!("{name} is {whose}: hooks never see credentials\n  hint: a hook that needs the BMC reads its own credentials"),
            ));
        }
        if name.starts_with("FWFLEET_") || matches!(name.as_str(), "PATH" | "HOME" | "LANG") {
            return Err(err(
                k,
                format!("{name} is always set for hooks; remove it from env_passthrough"),
            ));
        }
    }
    let at_least_1 = |k: &str, v: Option<usize>, default: usize| match v {
        Some(0) => Err(err(key(k), "must be at least 1".into())),
        Some(n) => Ok(n),
        None => Ok(default),
    };
    let secs = |k: &str, v: Option<f64>, default: Duration| match v {
        None => Ok(default),
        Some(s) if s > 0.0 && s <= 7.0 * 86_400.0 => Ok(Duration::from_secs_f64(s)),
        Some(s) => Err(err(
            key(k),
            format!("{s} is not a duration in seconds between 0 and 604800"),
        )),
    };
    let failure_budget = match r.failure_budget {
        None => d.failure_budget,
        Some(b) if (0.0..=1.0).contains(&b) => b,
        Some(b) => {
            return Err(err(
                key("failure_budget"),
                format!("{b} is not a share between 0.0 and 1.0\n  hint: 10% is written 0.1"),
            ))
        }
    };
    for (label, cap) in &r.label_caps {
        if *cap == 0 {
            return Err(err(
                key(&format!("label_caps.{label}")),
                "must be at least 1".into(),
            ));
        }
    }
    let default_method = match &r.default_method {
        None => None,
        Some(m) => Some(
            crate::repository::Method::ALL
                .into_iter()
                .find(|x| x.as_str() == m)
                .ok_or_else(|| {
                    err(
                        key("default_method"),
                        format!("'{m}' is not one of simple-update, multipart, raw-push"),
                    )
                })?,
        ),
    };
    if r.attempts == Some(0) {
        return Err(err(
            key("attempts"),
            "must be at least 1 (1 = no retry)".into(),
        ));
    }
    Ok(Rollout {
        max_parallel: at_least_1("max_parallel", r.max_parallel, d.max_parallel)?,
        canary: r.canary.unwrap_or(d.canary),
        wave_size: match r.wave_size {
            Some(0) => return Err(err(key("wave_size"), "must be at least 1".into())),
            w => w,
        },
        failure_budget,
        label_caps: r.label_caps.clone(),
        reset_policy: r.reset_policy.unwrap_or_default(),
        default_method,
        attempts: r.attempts.unwrap_or(d.attempts),
        step_deadline: secs("step_deadline_secs", r.step_deadline_secs, d.step_deadline)?,
        hooks: Hooks {
            pre_reset: r.pre_reset.clone(),
            post_update: r.post_update.clone(),
            timeout: secs("hook_timeout_secs", r.hook_timeout_secs, d.hooks.timeout)?,
            env_passthrough: r.env_passthrough.clone(),
            redact: Redactor::default(),
        },
        resume: ResumeSettings {
            quiet_period: secs(
                "resume_quiet_secs",
                r.resume_quiet_secs,
                d.resume.quiet_period,
            )?,
            retry: r.resume_retry.unwrap_or(d.resume.retry),
            wait: secs("resume_wait_secs", r.resume_wait_secs, d.resume.wait)?,
        },
    })
}

fn image_server_of(
    r: &RawImageServer,
    err: &ErrFn<'_>,
    rel: &dyn Fn(PathBuf) -> PathBuf,
) -> Result<ImageServerSettings, ConfigError> {
    let d = ImageServerSettings::default();
    let bind = match &r.bind {
        None => d.bind,
        Some(b) => b.parse().map_err(|_| {
            err(
                Some("image_server.bind".into()),
                format!("'{b}' is not IP:PORT\n  hint: e.g. 0.0.0.0:8443, and set advertise_url to the address BMCs reach"),
            )
        })?,
    };
    if let Some(u) = &r.advertise_url {
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            return Err(err(
                Some("image_server.advertise_url".into()),
                format!("'{u}' is not an http(s):// URL"),
            ));
        }
    }
    if r.tls_cert.is_some() != r.tls_key.is_some() {
        return Err(err(
            Some("image_server.tls_cert".into()),
            "tls_cert and tls_key go together; set both or neither".into(),
        ));
    }
    Ok(ImageServerSettings {
        bind,
        advertise_url: r.advertise_url.clone(),
        tls_cert: r.tls_cert.clone().map(rel),
        tls_key: r.tls_key.clone().map(rel),
    })
}

/// The largest `daemon.max_body_bytes`: request bodies are small JSON
/// documents, and the limit exists so that nobody can make the service
/// buffer megabytes.
const MAX_BODY_LIMIT: usize = 16 * 1024 * 1024;

fn daemon_of(
    r: &RawDaemon,
    err: &ErrFn<'_>,
    rel: &dyn Fn(PathBuf) -> PathBuf,
) -> Result<DaemonSettings, ConfigError> {
    let d = DaemonSettings::default();
    let key = |k: &str| Some(format!("daemon.{k}"));
    let bind = match &r.bind {
        None => d.bind,
        Some(b) => b.parse().map_err(|_| {
            err(
                key("bind"),
                format!("'{b}' is not IP:PORT\n  hint: e.g. 127.0.0.1:8470 (the default), or 0.0.0.0:8470 to listen on every interface"),
            )
        })?,
    };
    if r.token_file.is_some() && r.token_env.is_some() {
        return Err(err(
            key("token_env"),
            "is set together with token_file; keep one source for the API token".into(),
        ));
    }
    if let Some(v) = &r.token_env {
        if v.trim().is_empty() || v.contains('=') {
            return Err(err(
                key("token_env"),
                format!("'{v}' is not an environment variable name\n  hint: e.g. token_env = \"FWFLEET_API_TOKEN\""),
            ));
        }
    }
    let max_body_bytes = match r.max_body_bytes {
        None => d.max_body_bytes,
        Some(n) if (1024..=MAX_BODY_LIMIT).contains(&n) => n,
        Some(n) => {
            return Err(err(
                key("max_body_bytes"),
                format!("{n} is not between 1024 and {MAX_BODY_LIMIT}"),
            ))
        }
    };
    Ok(DaemonSettings {
        bind,
        token_file: r.token_file.clone().map(rel),
        token_env: r.token_env.clone(),
        max_body_bytes,
        scheduler: r.scheduler.unwrap_or(d.scheduler),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("/etc/fwfleet/fleet.toml"), text)
    }

    const ONE: &str = "[[hosts]]\nname = \"a\"\nurl = \"https://10.0.0.5\"\nusername = \"root\"\npassword = \"pw\"\n";

    #[test]
    fn a_mock_fleet_file_loads_with_defaults() {
        let c = parse(ONE).unwrap();
        assert_eq!(c.hosts.len(), 1);
        assert_eq!(c.state_dir, PathBuf::from("/etc/fwfleet/state"));
        assert_eq!(c.repository, PathBuf::from("/etc/fwfleet/repository"));
        assert_eq!(c.concurrency, 64);
        let h = &c.hosts[0];
        assert_eq!(h.limits.max_in_flight, 2);
        assert_eq!(h.auth, AuthMode::Session);
        assert_eq!(h.tls, TlsSetting::Verify { ca_file: None });
        assert_eq!(format!("{:?}", h.password), "[redacted]");
        assert!(!format!("{c:?}").contains("\"pw\""));
    }

    fn check_err(text: &str, key: &str, words: &[&str]) {
        let e = parse(text).unwrap_err();
        let s = e.to_string();
        assert!(s.contains("/etc/fwfleet/fleet.toml"), "{s}");
        assert!(s.contains(key), "{s}");
        for w in words {
            assert!(s.contains(w), "{s} lacks {w}");
        }
    }

    #[test]
    fn bad_configs_name_file_line_and_key() {
        check_err("[[hosts]]\nname = \"a\"\nurl = 5\n", "line 3", &["string"]);
        check_err(&ONE.replace("username", "usernme"), "line", &["usernme"]);
        check_err(
            &ONE.replace("https://10.0.0.5", "10.0.0.5"),
            "hosts[0].url",
            &["hint"],
        );
        check_err(&format!("{ONE}{ONE}"), "hosts[1].name", &["twice"]);
        check_err(
            &ONE.replace("password = \"pw\"", ""),
            "hosts[0].password",
            &["password_env"],
        );
        check_err(
            &ONE.replace(
                "password = \"pw\"",
                "password_env = \"FWFLEET_TEST_UNSET_VAR\"",
            ),
            "hosts[0].password_env",
            &["not set"],
        );
        check_err(
            &format!("{ONE}tls_fingerprint_sha256 = \"AB\"\ninsecure = true\n"),
            "hosts[0].insecure",
            &["contradicts"],
        );
        check_err(
            &format!("concurrency = 0\n{ONE}"),
            "concurrency",
            &["at least 1"],
        );
    }

    #[test]
    fn daemon_table_defaults_and_errors_name_the_key() {
        let c = parse(ONE).unwrap();
        assert_eq!(c.daemon, DaemonSettings::default());
        assert_eq!(c.daemon.bind.to_string(), "127.0.0.1:8470");
        let c = parse(&format!(
            "[daemon]\nbind = \"0.0.0.0:9000\"\ntoken_file = \"api.token\"\nmax_body_bytes = 4096\nscheduler = false\n{ONE}"
        ))
        .unwrap();
        assert_eq!(c.daemon.bind.to_string(), "0.0.0.0:9000");
        assert_eq!(
            c.daemon.token_file,
            Some(PathBuf::from("/etc/fwfleet/api.token"))
        );
        assert_eq!(c.daemon.max_body_bytes, 4096);
        assert!(!c.daemon.scheduler);
        check_err(
            &format!("[daemon]\nbind = \"localhost\"\n{ONE}"),
            "daemon.bind",
            &["IP:PORT"],
        );
        check_err(
            &format!("[daemon]\ntoken_file = \"t\"\ntoken_env = \"T\"\n{ONE}"),
            "daemon.token_env",
            &["one source"],
        );
        check_err(
            &format!("[daemon]\ntoken_env = \"\"\n{ONE}"),
            "daemon.token_env",
            &["hint"],
        );
        check_err(
            &format!("[daemon]\nmax_body_bytes = 10\n{ONE}"),
            "daemon.max_body_bytes",
            &["between"],
        );
        check_err(&format!("[daemon]\nport = 1\n{ONE}"), "line", &["port"]);
    }

    #[test]
    fn credentials_in_a_url_are_refused_without_echoing_them() {
        let e = parse(&ONE.replace("https://10.0.0.5", "https://root:pw@10.0.0.5"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("credentials inside its URL") && !e.contains(":pw@"),
            "{e}"
        );
    }

    #[test]
    fn password_from_file_and_tls_settings() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pw"), "s3cret\n").unwrap();
        let cfg = dir.path().join("fleet.toml");
        let text = "[defaults]\nca_file = \"ca.pem\"\n[[hosts]]\nname = \"a\"\nurl = \"https://h\"\nusername = \"u\"\npassword_file = \"pw\"\n[[hosts]]\nname = \"b\"\nurl = \"https://h2\"\nusername = \"u\"\npassword = \"x\"\ninsecure = true\n";
        let c = Config::parse(&cfg, text).unwrap();
        assert_eq!(c.hosts[0].password.expose(), "s3cret");
        assert_eq!(
            c.hosts[0].tls,
            TlsSetting::Verify {
                ca_file: Some(dir.path().join("ca.pem"))
            }
        );
        assert_eq!(c.hosts[1].tls, TlsSetting::Insecure);
    }

    #[test]
    fn inline_passwords_in_a_readable_file_warn() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fleet.toml");
        std::fs::write(&p, ONE).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
            let c = Config::load(&p).unwrap();
            assert!(
                c.warnings.iter().any(|w| w.contains("chmod 600")),
                "{:?}",
                c.warnings
            );
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
            assert!(Config::load(&p).unwrap().warnings.is_empty());
        }
    }

    /// An error that names the file and the key, and never the value.
    fn check_secret_err(text: &str, key: &str, secret: &str) -> String {
        let e = parse(text).unwrap_err().to_string();
        assert!(e.contains("/etc/fwfleet/fleet.toml"), "{e}");
        assert!(e.contains(key), "{e} lacks {key}");
        assert!(!e.contains(secret), "{e} shows the value");
        e
    }

    #[test]
    fn insecure_is_refused_in_defaults_with_a_clear_error() {
        for v in ["true", "false"] {
            let e = check_secret_err(
                &format!("[defaults]\ninsecure = {v}\n{ONE}"),
                "defaults.insecure",
                "\u{0}",
            );
            assert!(e.contains("per host") && e.contains("hint"), "{e}");
        }
        let c = parse(&format!("{ONE}insecure = true\n")).unwrap();
        assert_eq!(c.hosts[0].tls, TlsSetting::Insecure);
    }

    #[test]
    fn mistyped_credentials_are_never_echoed() {
        // A numeric password, unquoted: serde would say "integer `987654321`".
        let e = check_secret_err(
            &ONE.replace("password = \"pw\"", "password = 987654321"),
            "line 5",
            "987654321",
        );
        assert!(e.contains("`password`") && e.contains("quoted"), "{e}");
        check_secret_err(
            &ONE.replace("password = \"pw\"", "password = 98765.4321"),
            "line 5",
            "98765",
        );
        // The same inside an inline table, where the line names `hosts`.
        let e = check_secret_err(
            "hosts = [{ name = \"a\", url = \"https://h\", username = \"u\", password = 55554444 }]\n",
            "line 1",
            "55554444",
        );
        assert!(e.contains("not shown"), "{e}");
        check_secret_err(
            &format!("[defaults]\nproxy = 31337313\n{ONE}"),
            "line 2",
            "31337313",
        );
    }

    #[test]
    fn proxy_credentials_never_reach_an_error_or_debug_output() {
        check_secret_err(
            &format!("{ONE}proxy = \"ftp://ops:pr0xy-s3cret@proxy:21\"\n"),
            "hosts[0].proxy",
            "pr0xy-s3cret",
        );
        check_secret_err(
            &format!("[defaults]\nproxy = \"not a url pr0xy-s3cret\"\n{ONE}"),
            "defaults.proxy",
            "pr0xy-s3cret",
        );
        let c = parse(&format!(
            "{ONE}proxy = \"http://ops:pr0xy-s3cret@proxy.example:3128\"\n"
        ))
        .unwrap();
        let p = c.hosts[0].proxy.as_ref().unwrap();
        assert_eq!(p.to_string(), "http://[redacted]@proxy.example:3128");
        assert!(!format!("{c:?}").contains("pr0xy-s3cret"));
        assert_eq!(
            c.rollout.hooks.redact.redact("x pr0xy-s3cret y"),
            "x [redacted] y"
        );
    }

    #[cfg(unix)]
    fn chmod(p: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn credential_files_readable_by_others_warn_and_world_writable_ones_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "file-s3cret\n").unwrap();
        let cfg = dir.path().join("fleet.toml");
        let text = ONE.replace("password = \"pw\"", "password_file = \"pw\"");
        chmod(&pw, 0o600);
        let c = Config::parse(&cfg, &text).unwrap();
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        assert_eq!(c.hosts[0].password.expose(), "file-s3cret");
        chmod(&pw, 0o640);
        let c = Config::parse(&cfg, &text).unwrap();
        assert!(
            c.warnings.iter().any(|w| w.contains("password_file")
                && w.contains("chmod 600")
                && w.contains("640")),
            "{:?}",
            c.warnings
        );
        chmod(&pw, 0o666);
        let e = Config::parse(&cfg, &text).unwrap_err().to_string();
        assert!(
            e.contains("hosts[0].password_file")
                && e.contains(&pw.display().to_string())
                && e.contains("writable by every user")
                && !e.contains("file-s3cret"),
            "{e}"
        );
        // The API token file, likewise.
        let token = dir.path().join("api.token");
        std::fs::write(&token, "an-api-token-of-some-length\n").unwrap();
        let text = format!("[daemon]\ntoken_file = \"api.token\"\n{ONE}");
        chmod(&token, 0o644);
        let c = Config::parse(&cfg, &text).unwrap();
        assert!(
            c.warnings.iter().any(|w| w.contains("API token file")),
            "{:?}",
            c.warnings
        );
        assert_eq!(
            c.rollout.hooks.redact.redact("an-api-token-of-some-length"),
            "[redacted]"
        );
        chmod(&token, 0o602);
        let e = Config::parse(&cfg, &text).unwrap_err().to_string();
        assert!(
            e.contains("daemon.token_file") && !e.contains("an-api-token"),
            "{e}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn inline_credentials_are_checked_on_the_parsed_value_not_the_text() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fleet.toml");
        // No space before `=`: the old text match missed it.
        std::fs::write(&p, ONE.replace("password = \"pw\"", "password=\"pw\"")).unwrap();
        chmod(&p, 0o604);
        let c = Config::load(&p).unwrap();
        assert!(
            c.warnings.iter().any(|w| w.contains("chmod 600")),
            "{:?}",
            c.warnings
        );
        chmod(&p, 0o666);
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(
            e.contains("hosts[0].password") && e.contains("writable by every user"),
            "{e}"
        );
        // Without an inline credential the file's mode is not a credential's.
        std::fs::write(
            &p,
            ONE.replace("password = \"pw\"", "password_env = \"PATH\""),
        )
        .unwrap();
        chmod(&p, 0o644);
        assert!(Config::load(&p).unwrap().warnings.is_empty());
        // A proxy URL with a password is an inline credential too.
        std::fs::write(
            &p,
            format!(
                "{}proxy = \"http://u:pxpw@proxy:3128\"\n",
                ONE.replace("password = \"pw\"", "password_env = \"PATH\"")
            ),
        )
        .unwrap();
        let c = Config::load(&p).unwrap();
        assert!(
            c.warnings.iter().any(|w| w.contains("chmod 600")),
            "{:?}",
            c.warnings
        );
    }

    fn with_command(argv: &str) -> String {
        ONE.replace("password = \"pw\"", &format!("password_command = {argv}"))
    }

    #[cfg(unix)]
    #[test]
    fn password_commands_run_without_a_shell_trimmed_and_bounded_in_time() {
        let c = parse(&with_command(r#"["printf", "  vault-s3cret \n"]"#)).unwrap();
        assert_eq!(c.hosts[0].password.expose(), "vault-s3cret");
        assert_eq!(c.rollout.hooks.redact.redact("vault-s3cret"), "[redacted]");
        // No shell: `$HOME` and `;` reach the program as written.
        let c = parse(&with_command(r#"["echo", "$HOME;x"]"#)).unwrap();
        assert_eq!(c.hosts[0].password.expose(), "$HOME;x");
        // Failures name key, host and program, never the output.
        let e = check_secret_err(
            &with_command(r#"["sh", "-c", "echo leaked-s3cret; exit 3"]"#),
            "hosts[0].password_command",
            "leaked-s3cret",
        );
        assert!(e.contains("`sh` failed") && e.contains("host a"), "{e}");
        let e = check_secret_err(
            &format!(
                "[defaults]\npassword_command_timeout_secs = 0.2\n{}",
                with_command(r#"["sleep", "30"]"#)
            ),
            "hosts[0].password_command",
            "\u{0}",
        );
        assert!(
            e.contains("killed") && e.contains("password_command_timeout_secs"),
            "{e}"
        );
        check_secret_err(&with_command("[]"), "hosts[0].password_command", "\u{0}");
        let e = check_secret_err(
            &with_command(r#"["/nonexistent/vault"]"#),
            "hosts[0].password_command",
            "\u{0}",
        );
        assert!(e.contains("could not start"), "{e}");
        let e = check_secret_err(
            &with_command(r#"["true"]"#),
            "hosts[0].password_command",
            "\u{0}",
        );
        assert!(e.contains("printed nothing"), "{e}");
        check_secret_err(
            &format!("{}password_env = \"PATH\"\n", with_command(r#"["true"]"#)),
            "hosts[0].password",
            "\u{0}",
        );
    }

    #[test]
    fn passwords_over_plain_http_warn_except_on_this_machine() {
        let http = |url: &str| ONE.replace("https://10.0.0.5", url);
        let c = parse(&http("http://10.0.0.5")).unwrap();
        assert!(
            c.warnings
                .iter()
                .any(|w| w.contains("plain http://") && w.contains("(a)") && w.contains("hint")),
            "{:?}",
            c.warnings
        );
        assert!(parse(&http("http://127.0.0.1:8000"))
            .unwrap()
            .warnings
            .is_empty());
        assert!(parse(&http("http://[::1]:8000"))
            .unwrap()
            .warnings
            .is_empty());
        assert!(parse(&http("http://localhost:8000"))
            .unwrap()
            .warnings
            .is_empty());
        // Through a proxy, loopback is no longer this machine.
        let c = parse(&format!(
            "{}proxy = \"http://proxy:3128\"\n",
            http("http://127.0.0.1:8000")
        ))
        .unwrap();
        assert!(!c.warnings.is_empty());
        // Many hosts: one warning, a few names.
        let many: String = (0..8)
            .map(|i| {
                format!(
                    "[[hosts]]\nname = \"h{i}\"\nurl = \"http://10.0.0.{i}\"\nusername = \"u\"\npassword = \"p\"\n"
                )
            })
            .collect();
        let c = parse(&many).unwrap();
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(c.warnings[0].contains("8 host(s)") && c.warnings[0].contains("3 more"));
        assert!(parse(ONE).unwrap().warnings.is_empty());
    }

    #[test]
    fn env_passthrough_refuses_secret_variables() {
        let with = |list: &str, extra: &str| {
            format!(
                "{extra}[rollout]\nenv_passthrough = {list}\n{}",
                ONE.replace("password = \"pw\"", "password_env = \"PATH\"")
            )
        };
        let c = parse(&with(r#"["KRB5CCNAME", "TZ"]"#, "")).unwrap();
        assert_eq!(c.rollout.hooks.env_passthrough, ["KRB5CCNAME", "TZ"]);
        let e = check_secret_err(
            &with(r#"["TZ", "PATH"]"#, ""),
            "rollout.env_passthrough[1]",
            "\u{0}",
        );
        assert!(e.contains("password_env of host a"), "{e}");
        let e = check_secret_err(
            &with(r#"["API_TOKEN"]"#, "[daemon]\ntoken_env = \"API_TOKEN\"\n"),
            "rollout.env_passthrough[0]",
            "\u{0}",
        );
        assert!(e.contains("daemon.token_env"), "{e}");
        check_secret_err(
            &with(r#"["FWFLEET_HOST"]"#, ""),
            "rollout.env_passthrough[0]",
            "\u{0}",
        );
        check_secret_err(
            &with(r#"["A=B"]"#, ""),
            "rollout.env_passthrough[0]",
            "\u{0}",
        );
    }
}

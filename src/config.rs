//! The fleet config file (docs/CONFIG.md): TOML → a validated [`Config`].
//!
//! Raw serde structs mirror the file; validation turns them into typed
//! settings before any I/O, and every error names the file, the line where
//! TOML can tell, and the key (`hosts[3].url`), with a hint on what to write.

use crate::secret::Secret;
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
/// component and versions in `FWFLEET_*` environment variables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hooks {
    /// Before a coordinated reset (drain the workload); a non-zero exit skips the reset.
    pub pre_reset: Option<String>,
    /// After each successful update step.
    pub post_update: Option<String>,
    pub timeout: Duration,
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
    pub proxy: Option<String>,
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
    proxy: Option<String>,
    ca_file: Option<PathBuf>,
    insecure: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHost {
    name: String,
    url: String,
    username: String,
    password: Option<String>,
    password_env: Option<String>,
    password_file: Option<PathBuf>,
    tls_fingerprint_sha256: Option<String>,
    ca_file: Option<PathBuf>,
    insecure: Option<bool>,
    auth: Option<AuthMode>,
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
        let mut cfg = Self::parse(path, &text)?;
        if cfg.hosts.iter().any(|_| true) && text.contains("password =") {
            if let Some(w) = world_readable_warning(path) {
                cfg.warnings.push(w);
            }
        }
        Ok(cfg)
    }

    /// Validate config text read from `path` (used for relative paths and errors).
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let err = |key: Option<String>, message: String| ConfigError {
            path: path.to_path_buf(),
            key,
            message,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let msg = e.message().to_string();
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            err(
                None,
                match line {
                    Some(l) => format!("line {l}: {msg}"),
                    None => msg,
                },
            )
        })?;
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
            let password = match (&h.password, &h.password_env, &h.password_file) {
                (Some(p), None, None) => Secret::new(p.clone()),
                (None, Some(var), None) => Secret::new(std::env::var(var).map_err(|_| {
                    err(key("password_env"), format!("environment variable {var} is not set (host {})", h.name))
                })?),
                (None, None, Some(file)) => {
                    let file = rel(file.clone());
                    let text = std::fs::read_to_string(&file).map_err(|e| {
                        err(key("password_file"), format!("cannot read {} (host {}): {e}", file.display(), h.name))
                    })?;
                    Secret::new(text.trim_end_matches(['\n', '\r']).to_string())
                }
                (None, None, None) => {
                    return Err(err(
                        key("password"),
                        format!("host {} has no password\n  hint: set password_env = \"VAR\" or password_file = \"FILE\"", h.name),
                    ))
                }
                _ => {
                    return Err(err(
                        key("password"),
                        format!("host {} sets more than one of password, password_env, password_file; keep one", h.name),
                    ))
                }
            };
            let insecure = h.insecure.or(d.insecure).unwrap_or(false);
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
                proxy: h.proxy.or_else(|| d.proxy.clone()),
                labels: h.labels,
                limits,
                tls_repin_after_bmc_update: h.tls_repin_after_bmc_update,
                pre_reset: h.pre_reset,
                post_update: h.post_update,
            });
        }
        let rollout = rollout_of(&raw.rollout, &err)?;
        let image_server = image_server_of(&raw.image_server, &err, &rel)?;
        let schedule = crate::schedule::Schedule::from_specs(&raw.windows)
            .map_err(|e| err(Some(e.key()), e.to_string()))?;
        let estimates = match &raw.estimates {
            None => crate::schedule::EstimateSettings::default(),
            Some(spec) => spec
                .validate()
                .map_err(|e| err(Some(format!("estimates.{}", e.field)), e.message.clone()))?,
        };
        let daemon = daemon_of(&raw.daemon, &err, &rel)?;
        Ok(Config {
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
        })
    }
}

type ErrFn<'a> = dyn Fn(Option<String>, String) -> ConfigError + 'a;

fn rollout_of(r: &RawRollout, err: &ErrFn<'_>) -> Result<Rollout, ConfigError> {
    let d = Rollout::default();
    let key = |k: &str| Some(format!("rollout.{k}"));
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

/// A config with inline passwords must not be readable by others.
fn world_readable_warning(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode();
        if mode & 0o077 != 0 {
            return Some(format!(
                "{} holds inline passwords and is readable by others (mode {:o}); run chmod 600 on it, or use password_env / password_file",
                path.display(),
                mode & 0o777
            ));
        }
    }
    let _ = path;
    None
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
}

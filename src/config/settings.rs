//! The validated settings a [`Config`] is made of: what the rest of fwfleet
//! reads. Every value here has passed validation; defaults are documented
//! in docs/CONFIG.md.

use crate::secret::{Redactor, Secret};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

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
    pub default_method: Option<crate::vocab::Method>,
    /// Attempts of a transfer that wrote nothing.
    pub attempts: u32,
    /// Deadline of one step, transfer to verified version.
    pub step_deadline: Duration,
    /// How long a step waits for a BMC that went away (a reboot) while a
    /// task is followed or a version verified.
    pub bmc_reboot_timeout: Duration,
    /// How long "completed but still the old version" waits for the vendor's
    /// activation before the step ends `no-change`.
    pub activation_timeout: Duration,
    /// How long a task may stay `Interrupted`/`Suspended` in one go.
    pub stall_timeout: Duration,
    /// Supermicro: send `Oem.Supermicro` preserve flags (BMC config, SDR,
    /// SSL; BIOS ME, NVRAM, SMBIOS) with every update.
    pub supermicro_preserve: bool,
    pub hooks: Hooks,
    /// How a restart treats steps a stopped fwfleet left in flight.
    pub resume: ResumeSettings,
    /// Stage ahead (issue 21 item 3, opt-in): a windowed run may transfer
    /// and stage from this long before its window opens; only the
    /// activation waits for the window's start. `None`: off.
    pub stage_ahead: Option<Duration>,
    /// Phases and gates (`[[rollout.phases]]`, `seed`, `spread_by`,
    /// `order_by`); no phases: canaries and waves.
    pub phases: super::phases::PhasePolicy,
    /// Disruption classes (issue 21 item 4, opt-in): a windowed run starts
    /// at once and runs its `no-host-impact` steps (BMC firmware: the BMC
    /// reboots, the server keeps running) before the window opens; every
    /// other step, and the host's later steps, wait for the window's start.
    pub no_host_impact_outside_windows: bool,
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
            bmc_reboot_timeout: Duration::from_secs(1200),
            activation_timeout: Duration::from_secs(900),
            stall_timeout: Duration::from_secs(900),
            supermicro_preserve: true,
            stage_ahead: None,
            phases: super::phases::PhasePolicy::default(),
            no_host_impact_outside_windows: false,
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
    /// With TLS: have each BMC that can verify the image server's
    /// certificate against fwfleet's own (UpdateService
    /// `VerifyRemoteServerCertificate`, docs/SECURITY.md), and restore its
    /// settings afterwards.
    pub bmc_verify_certificate: bool,
}

impl Default for ImageServerSettings {
    fn default() -> Self {
        ImageServerSettings {
            bind: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            advertise_url: None,
            tls_cert: None,
            tls_key: None,
            bmc_verify_certificate: false,
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
    /// Serve the API over HTTPS with these PEM files.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// A request's line and headers must arrive within this, counted from
    /// when the server starts waiting for them (a new connection, or a
    /// kept-alive one after the previous answer); the TLS handshake too.
    pub header_timeout: Duration,
    /// A connection on which nothing moves either way for this long is closed.
    pub idle_timeout: Duration,
    /// Connections served at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// `[[daemon.tokens]]`: named tokens with roles (besides `token_file` /
    /// `token_env`, which is the `admin` token named `default`).
    pub tokens: Vec<ApiTokenSource>,
}

/// A named API token and its role; its value is read by `fwfleet serve`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenSource {
    pub name: String,
    pub role: crate::vocab::ApiRole,
    pub from: TokenFrom,
}

/// Where a token's value is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenFrom {
    /// The first line of this file.
    File(PathBuf),
    /// This environment variable.
    Env(String),
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
            tls_cert: None,
            tls_key: None,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 256,
            tokens: Vec::new(),
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
    pub(super) fn password(&self) -> Option<Secret> {
        let u = url::Url::parse(self.expose()).ok()?;
        u.password().map(Secret::new)
    }
}

impl fmt::Display for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match url::Url::parse(self.expose()) {
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
    /// `method`: this BMC's transfer when the repository entry names none,
    /// before `rollout.default_method` (e.g. push where the BMC cannot reach
    /// the image server).
    pub method: Option<crate::vocab::Method>,
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
    /// Where `fwfleet trust --pins-file` keeps host pins (`tls_pins_file`).
    pub tls_pins_file: Option<PathBuf>,
    /// Holds and pins of the config (`[[holds]]`); stored ones (`fwfleet
    /// hold add`) are read from the store where they are used.
    pub holds: Vec<crate::holds::Hold>,
    /// Change freezes (`[[freezes]]`): no run starts on a host inside one.
    pub freezes: crate::freeze::Freezes,
    /// Webhooks for run events (`[[notify]]`, `crate::notify`).
    pub notify: Vec<crate::notify::EndpointConfig>,
    /// Warnings found while loading (printed by the CLI).
    pub warnings: Vec<String>,
}

//! The raw file → validated settings, before any I/O a setting itself
//! needs (in the style of ripgrep's low → high arguments): each table has
//! its function, each error names the file, the key (`hosts[3].url`) and
//! what to write. The checks run in the order of the file (defaults, hosts,
//! daemon, rollout, image server, windows, estimates), so the first
//! problem reported is the first one written.

use super::credentials::{check_proxy, exposure, is_loopback_url, password_command, Exposure};
use super::raw::{RawConfig, RawDaemon, RawHost, RawImageServer, RawLimits, RawRollout};
use super::settings::*;
use super::ConfigError;
use crate::secret::{Redactor, Secret};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What `load` checks beyond the text: facts found while parsing.
#[derive(Debug, Default)]
pub(super) struct Facts {
    /// The first key holding a credential inline (the file's mode matters).
    pub(super) inline_secret: Option<String>,
}

/// What validating the hosts collects on the way.
struct Check<'a> {
    path: &'a Path,
    /// The config's directory: relative paths are relative to it.
    base: PathBuf,
    facts: Facts,
    /// Every secret loaded, scrubbed from hook output.
    redact: Redactor,
    /// Secret variables a hook must never be handed (`env_passthrough`).
    secret_vars: Vec<(String, String)>,
    /// A `password_command` runs once per distinct argv.
    commands: BTreeMap<Vec<String>, Secret>,
    /// Hosts whose password crosses a network in the clear.
    plain_http: Vec<String>,
    names: HashSet<String>,
    warnings: Vec<String>,
}

/// The `[defaults]` every host starts from.
struct Defaults<'r> {
    raw: &'r RawLimits,
    limits: Limits,
    command_timeout: Duration,
}

impl Check<'_> {
    fn err(&self, key: Option<String>, message: String) -> ConfigError {
        ConfigError {
            path: self.path.to_path_buf(),
            key,
            message,
        }
    }

    fn rel(&self, p: PathBuf) -> PathBuf {
        if p.is_absolute() {
            p
        } else {
            self.base.join(p)
        }
    }

    fn secs(
        &self,
        key: String,
        v: Option<f64>,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        match v {
            None => Ok(default),
            Some(s) if s > 0.0 && s <= 86_400.0 => Ok(Duration::from_secs_f64(s)),
            Some(s) => Err(self.err(
                Some(key),
                format!("{s} is not a duration in seconds between 0 and 86400"),
            )),
        }
    }

    fn defaults<'r>(&self, d: &'r RawLimits) -> Result<Defaults<'r>, ConfigError> {
        let base_limits = Limits::default();
        let limits = Limits {
            connect_timeout: self.secs(
                "defaults.connect_timeout_secs".into(),
                d.connect_timeout_secs,
                base_limits.connect_timeout,
            )?,
            request_timeout: self.secs(
                "defaults.request_timeout_secs".into(),
                d.request_timeout_secs,
                base_limits.request_timeout,
            )?,
            max_in_flight: d.max_in_flight.unwrap_or(base_limits.max_in_flight),
            retries: d.retries.unwrap_or(base_limits.retries),
            max_response_bytes: d
                .max_response_bytes
                .unwrap_or(base_limits.max_response_bytes),
            scan_deadline: self.secs(
                "defaults.scan_deadline_secs".into(),
                d.scan_deadline_secs,
                base_limits.scan_deadline,
            )?,
        };
        if d.insecure.is_some() {
            return Err(self.err(
                Some("defaults.insecure".into()),
                "TLS verification is turned off per host only, never for the whole fleet\n  hint: move `insecure = true` into the [[hosts]] entries that need it, or better, pin them with tls_fingerprint_sha256".into(),
            ));
        }
        let command_timeout = self.secs(
            "defaults.password_command_timeout_secs".into(),
            d.password_command_timeout_secs,
            Duration::from_secs(30),
        )?;
        if limits.max_in_flight == 0 {
            return Err(self.err(
                Some("defaults.max_in_flight".into()),
                "must be at least 1".into(),
            ));
        }
        Ok(Defaults {
            raw: d,
            limits,
            command_timeout,
        })
    }

    /// `[[hosts]]` entry `i`.
    fn host(&mut self, i: usize, h: RawHost, d: &Defaults<'_>) -> Result<HostConfig, ConfigError> {
        let key = |k: &str| Some(format!("hosts[{i}].{k}"));
        if h.name.trim().is_empty() {
            return Err(self.err(key("name"), "is empty".into()));
        }
        if !self.names.insert(h.name.clone()) {
            return Err(self.err(
                key("name"),
                format!("host name '{}' appears twice; names must be unique", h.name),
            ));
        }
        let url = h.url.trim_end_matches('/').to_string();
        let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
        let authority = url.split_once("://").map(|(_, r)| r).unwrap_or("");
        if authority.contains('@') {
            return Err(self.err(
                key("url"),
                format!("host {} has credentials inside its URL; remove them and use username with password_env or password_file", h.name),
            ));
        }
        if !scheme_ok || authority.is_empty() || authority.contains('/') {
            return Err(self.err(
                key("url"),
                format!("'{}' is not a BMC base URL\n  hint: write https://HOST[:PORT] (no path), e.g. https://10.0.0.5", h.url),
            ));
        }
        let password = self.password(i, &h, d)?;
        self.redact.add(&password);
        let tls = self.tls(i, &h, d)?;
        if url.starts_with("http://") && tls != (TlsSetting::Verify { ca_file: None }) {
            self.warnings.push(format!(
                "host {}: TLS settings have no effect on an http:// URL",
                h.name
            ));
        }
        let proxy = self.proxy(i, &h, d)?;
        if url.starts_with("http://") && (proxy.is_some() || !is_loopback_url(&url)) {
            self.plain_http.push(h.name.clone());
        }
        let limits = Limits {
            connect_timeout: self.secs(
                format!("hosts[{i}].connect_timeout_secs"),
                h.connect_timeout_secs,
                d.limits.connect_timeout,
            )?,
            request_timeout: self.secs(
                format!("hosts[{i}].request_timeout_secs"),
                h.request_timeout_secs,
                d.limits.request_timeout,
            )?,
            max_in_flight: h.max_in_flight.unwrap_or(d.limits.max_in_flight).max(1),
            ..d.limits.clone()
        };
        let method = match &h.method {
            None => None,
            Some(m) => Some(parse_method(m).map_err(|e| self.err(key("method"), e))?),
        };
        Ok(HostConfig {
            method,
            name: h.name,
            url,
            username: h.username,
            password,
            tls,
            auth: h.auth.or(d.raw.auth).unwrap_or_default(),
            proxy,
            labels: h.labels,
            limits,
            tls_repin_after_bmc_update: h.tls_repin_after_bmc_update,
            pre_reset: h.pre_reset,
            post_update: h.post_update,
        })
    }

    /// The host's one password source, read.
    fn password(&mut self, i: usize, h: &RawHost, d: &Defaults<'_>) -> Result<Secret, ConfigError> {
        let key = |k: &str| Some(format!("hosts[{i}].{k}"));
        let sources = [
            h.password.is_some(),
            h.password_env.is_some(),
            h.password_file.is_some(),
            h.password_command.is_some(),
        ];
        match sources.iter().filter(|x| **x).count() {
            0 => {
                return Err(self.err(
                    key("password"),
                    format!("host {} has no password\n  hint: set password_env = \"VAR\", password_file = \"FILE\" or password_command = [\"PROGRAM\", \"ARG\"]", h.name),
                ))
            }
            1 => {}
            _ => {
                return Err(self.err(
                    key("password"),
                    format!("host {} sets more than one of password, password_env, password_file, password_command; keep one", h.name),
                ))
            }
        }
        if let Some(p) = &h.password {
            self.facts
                .inline_secret
                .get_or_insert_with(|| format!("hosts[{i}].password"));
            Ok(Secret::new(p.clone()))
        } else if let Some(var) = &h.password_env {
            self.secret_vars
                .push((var.clone(), format!("the password_env of host {}", h.name)));
            Ok(Secret::new(std::env::var(var).map_err(|_| {
                self.err(
                    key("password_env"),
                    format!("environment variable {var} is not set (host {})", h.name),
                )
            })?))
        } else if let Some(file) = &h.password_file {
            let file = self.rel(file.clone());
            match exposure(&file) {
                Some(Exposure::WorldWritable(mode)) => {
                    return Err(self.err(
                        key("password_file"),
                        format!("{} (host {}) is writable by every user (mode {mode:o}): anyone could replace the password fwfleet sends\n  hint: chmod 600 {}", file.display(), h.name, file.display()),
                    ))
                }
                Some(Exposure::Shared(mode)) => self.warnings.push(format!(
                    "host {}: password_file {} is readable by others (mode {mode:o}); run chmod 600 on it",
                    h.name,
                    file.display()
                )),
                _ => {}
            }
            let text = std::fs::read_to_string(&file).map_err(|e| {
                self.err(
                    key("password_file"),
                    format!("cannot read {} (host {}): {e}", file.display(), h.name),
                )
            })?;
            Ok(Secret::new(text.trim_end_matches(['\n', '\r']).to_string()))
        } else if let Some(argv) = &h.password_command {
            if let Some(p) = self.commands.get(argv) {
                return Ok(p.clone());
            }
            let p = password_command(argv, &self.base, d.command_timeout).map_err(|why| {
                self.err(key("password_command"), format!("host {}: {why}", h.name))
            })?;
            self.commands.insert(argv.clone(), p.clone());
            Ok(p)
        } else {
            unreachable!("one password source was counted")
        }
    }

    fn tls(&self, i: usize, h: &RawHost, d: &Defaults<'_>) -> Result<TlsSetting, ConfigError> {
        let insecure = h.insecure.unwrap_or(false);
        Ok(match (&h.tls_fingerprint_sha256, insecure) {
            (Some(_), true) if h.insecure == Some(true) => {
                return Err(self.err(
                    Some(format!("hosts[{i}].insecure")),
                    "contradicts tls_fingerprint_sha256; a pinned host is verified".into(),
                ))
            }
            (Some(fp), _) => TlsSetting::Pin(fp.clone()),
            (None, true) => TlsSetting::Insecure,
            (None, false) => TlsSetting::Verify {
                ca_file: h
                    .ca_file
                    .clone()
                    .or_else(|| d.raw.ca_file.clone())
                    .map(|p| self.rel(p)),
            },
        })
    }

    /// The host's proxy, or the default one.
    fn proxy(
        &mut self,
        i: usize,
        h: &RawHost,
        d: &Defaults<'_>,
    ) -> Result<Option<ProxyUrl>, ConfigError> {
        let (proxy, proxy_key) = match (&h.proxy, &d.raw.proxy) {
            (Some(p), _) => (p.clone(), format!("hosts[{i}].proxy")),
            (None, Some(p)) => (p.clone(), "defaults.proxy".to_string()),
            (None, None) => return Ok(None),
        };
        let p = ProxyUrl::new(proxy);
        check_proxy(&p).map_err(|why| self.err(Some(proxy_key.clone()), why))?;
        if let Some(pw) = p.password() {
            self.facts.inline_secret.get_or_insert(proxy_key);
            self.redact.add(&pw);
        }
        Ok(Some(p))
    }

    /// One warning for every host that sends its password in the clear.
    fn warn_plain_http(&mut self) {
        if self.plain_http.is_empty() {
            return;
        }
        let n = self.plain_http.len();
        let mut names = self
            .plain_http
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if n > 5 {
            names.push_str(&format!(" and {} more", n - 5));
        }
        self.warnings.push(format!(
            "{n} host(s) send their password over plain http:// ({names}): anyone on the network path can read it\n  hint: use https:// URLs (pin self-signed certificates with tls_fingerprint_sha256)"
        ));
    }

    /// The API token's source: never handed to hooks, scrubbed from their
    /// output, and a token file others may write is refused.
    fn token(&mut self, daemon: &DaemonSettings) -> Result<(), ConfigError> {
        let mut sources: Vec<(String, TokenFrom)> = Vec::new();
        if let Some(var) = &daemon.token_env {
            sources.push(("daemon.token_env".into(), TokenFrom::Env(var.clone())));
        }
        if let Some(file) = &daemon.token_file {
            sources.push(("daemon.token_file".into(), TokenFrom::File(file.clone())));
        }
        for (i, t) in daemon.tokens.iter().enumerate() {
            let key = match &t.from {
                TokenFrom::Env(_) => format!("daemon.tokens[{i}].token_env"),
                TokenFrom::File(_) => format!("daemon.tokens[{i}].token_file"),
            };
            sources.push((key, t.from.clone()));
        }
        for (key, from) in sources {
            self.token_source(key, &from)?;
        }
        Ok(())
    }

    fn token_source(&mut self, key: String, from: &TokenFrom) -> Result<(), ConfigError> {
        if let TokenFrom::Env(var) = from {
            self.secret_vars.push((var.clone(), key.clone()));
            if let Ok(t) = std::env::var(var) {
                self.redact.add(&Secret::new(t.trim()));
            }
        }
        if let TokenFrom::File(file) = from {
            match exposure(file) {
                Some(Exposure::WorldWritable(mode)) => {
                    return Err(self.err(
                        Some(key),
                        format!("{} is writable by every user (mode {mode:o}): anyone could set the API token\n  hint: chmod 600 {}", file.display(), file.display()),
                    ))
                }
                Some(Exposure::Shared(mode)) => self.warnings.push(format!(
                    "the API token file {} is readable by others (mode {mode:o}); run chmod 600 on it",
                    file.display()
                )),
                _ => {}
            }
            // Best effort: only `serve` needs the token, and says so itself.
            if let Ok(text) = std::fs::read_to_string(file) {
                self.redact
                    .add(&Secret::new(text.lines().next().unwrap_or("").trim()));
            }
        }
        Ok(())
    }
}

/// Validate the raw file read from `path` into a [`Config`], and the facts
/// `Config::load` checks about the file itself.
/// Every problem the file has is reported at once (issue 18): each table
/// and each host is checked even when an earlier one failed, with the
/// defaults in place of what could not be read; within one host or table
/// the first problem is reported.
pub(super) fn config(path: &Path, raw: RawConfig) -> Result<(Config, Facts), Vec<ConfigError>> {
    let mut cx = Check {
        path,
        base: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        facts: Facts::default(),
        redact: Redactor::default(),
        secret_vars: Vec::new(),
        commands: BTreeMap::new(),
        plain_http: Vec::new(),
        names: HashSet::new(),
        warnings: Vec::new(),
    };
    let err = |key: Option<String>, message: String| ConfigError {
        path: path.to_path_buf(),
        key,
        message,
    };
    let mut problems: Vec<ConfigError> = Vec::new();
    fn keep<T>(r: Result<T, ConfigError>, problems: &mut Vec<ConfigError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                problems.push(e);
                None
            }
        }
    }
    let defaults = keep(cx.defaults(&raw.defaults), &mut problems).unwrap_or(Defaults {
        raw: &raw.defaults,
        limits: Limits::default(),
        command_timeout: Duration::from_secs(30),
    });
    let concurrency = raw.concurrency.unwrap_or(64);
    if concurrency == 0 {
        problems.push(err(Some("concurrency".into()), "must be at least 1".into()));
    }
    let mut hosts = Vec::with_capacity(raw.hosts.len());
    for (i, h) in raw.hosts.into_iter().enumerate() {
        if let Some(h) = keep(cx.host(i, h, &defaults), &mut problems) {
            hosts.push(h);
        }
    }
    cx.warn_plain_http();
    let base = cx.base.clone();
    let rel = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
    let tls_pins_file = raw.tls_pins_file.clone().map(rel);
    if let Some(file) = &tls_pins_file {
        keep(
            super::access::apply_pins(file, &mut hosts, &err, &mut cx.warnings),
            &mut problems,
        );
    }
    let daemon = match keep(daemon_of(&raw.daemon, &err, &rel), &mut problems) {
        Some(d) => {
            keep(cx.token(&d), &mut problems);
            d
        }
        None => DaemonSettings::default(),
    };
    let mut rollout = keep(
        rollout_of(&raw.rollout, &err, &cx.secret_vars),
        &mut problems,
    )
    .unwrap_or_default();
    if let Some(p) = keep(
        super::phases::policy(
            &raw.rollout.phases,
            raw.rollout.seed,
            &raw.rollout.spread_by,
            &raw.rollout.order_by,
            &mut cx.warnings,
        )
        .map_err(|p| err(Some(p.key), p.message)),
        &mut problems,
    ) {
        if !p.phases.is_empty() {
            for (k, set) in [
                ("canary", raw.rollout.canary.is_some()),
                ("wave_size", raw.rollout.wave_size.is_some()),
            ] {
                if set {
                    cx.warnings.push(format!("rollout.{k} is not used when [[rollout.phases]] are configured: the phases choose the hosts"));
                }
            }
        }
        rollout.phases = p;
    }
    let mut notify = Vec::with_capacity(raw.notify.len());
    {
        let mut nc = super::notify::NotifyCheck {
            err: &err,
            rel: &rel,
            warnings: &mut cx.warnings,
            redact: &mut cx.redact,
            names: HashSet::new(),
        };
        for (i, n) in raw.notify.iter().enumerate() {
            if let Some(e) = keep(nc.endpoint(i, n), &mut problems) {
                notify.push(e);
            }
        }
    }
    rollout.hooks.redact = cx.redact;
    let image_server = keep(
        image_server_of(&raw.image_server, &err, &rel),
        &mut problems,
    )
    .unwrap_or_default();
    let schedule = keep(
        crate::schedule::Schedule::from_specs(&raw.windows)
            .map_err(|e| err(Some(e.key()), e.to_string())),
        &mut problems,
    )
    .unwrap_or_default();
    let estimates = match &raw.estimates {
        None => crate::schedule::EstimateSettings::default(),
        Some(spec) => keep(
            spec.validate()
                .map_err(|e| err(Some(format!("estimates.{}", e.field)), e.message.clone())),
            &mut problems,
        )
        .unwrap_or_default(),
    };
    let mut holds = Vec::with_capacity(raw.holds.len());
    for (i, h) in raw.holds.iter().enumerate() {
        let parsed = crate::holds::Hold::parse(
            crate::holds::HoldSource::Config(i + 1),
            &h.hosts,
            h.selector.as_deref(),
            &h.kinds,
            h.version.as_deref(),
            &h.reason,
            h.until.as_deref(),
            crate::select::Source::Cli,
        )
        .map_err(|e| err(Some(format!("holds[{i}]")), e.0));
        if let Some(h) = keep(parsed, &mut problems) {
            holds.push(h);
        }
    }
    let mut freezes = Vec::with_capacity(raw.freezes.len());
    for (i, f) in raw.freezes.iter().enumerate() {
        let parsed = f
            .parse(i + 1)
            .map_err(|e| err(Some(format!("freezes[{i}].{}", e.key)), e.message));
        if let Some(f) = keep(parsed, &mut problems) {
            freezes.push(f);
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
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
            tls_pins_file,
            holds,
            freezes: crate::freeze::Freezes(freezes),
            notify,
            warnings: cx.warnings,
        },
        cx.facts,
    ))
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
        Some(m) => Some(parse_method(m).map_err(|e| err(key("default_method"), e))?),
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
        bmc_reboot_timeout: secs(
            "bmc_reboot_timeout_secs",
            r.bmc_reboot_timeout_secs,
            d.bmc_reboot_timeout,
        )?,
        activation_timeout: secs(
            "activation_timeout_secs",
            r.activation_timeout_secs,
            d.activation_timeout,
        )?,
        stall_timeout: secs("stall_timeout_secs", r.stall_timeout_secs, d.stall_timeout)?,
        supermicro_preserve: r.supermicro_preserve.unwrap_or(d.supermicro_preserve),
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
        stage_ahead: match &r.stage_ahead {
            None => None,
            Some(t) => Some(crate::schedule::parse_duration(t).map_err(|e| {
                err(
                    key("stage_ahead"),
                    format!("\"{t}\" {e}\n  hint: stage_ahead = \"24h\" stages up to a day before a window opens"),
                )
            })?)
            .filter(|d| !d.is_zero()),
        },
        // Validated with the warnings at hand (`config()`).
        phases: Default::default(),
        no_host_impact_outside_windows: r
            .no_host_impact_outside_windows
            .unwrap_or(d.no_host_impact_outside_windows),
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
    if r.bmc_verify_certificate == Some(true) && r.tls_cert.is_none() {
        return Err(err(
            Some("image_server.bmc_verify_certificate".into()),
            "needs image_server.tls_cert and tls_key: a BMC can only verify an image server that serves HTTPS".into(),
        ));
    }
    Ok(ImageServerSettings {
        bind,
        advertise_url: r.advertise_url.clone(),
        tls_cert: r.tls_cert.clone().map(rel),
        tls_key: r.tls_key.clone().map(rel),
        bmc_verify_certificate: r.bmc_verify_certificate.unwrap_or(false),
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
    let a = super::access::daemon_access(
        r,
        (d.header_timeout, d.idle_timeout, d.max_connections),
        err,
        rel,
    )?;
    Ok(DaemonSettings {
        bind,
        token_file: r.token_file.clone().map(rel),
        token_env: r.token_env.clone(),
        max_body_bytes,
        scheduler: r.scheduler.unwrap_or(d.scheduler),
        tls_cert: a.tls_cert,
        tls_key: a.tls_key,
        header_timeout: a.header_timeout,
        idle_timeout: a.idle_timeout,
        max_connections: a.max_connections,
        tokens: a.tokens,
    })
}

/// A method's config name (`simple-update`, `multipart`, `raw-push`).
fn parse_method(m: &str) -> Result<crate::vocab::Method, String> {
    crate::vocab::Method::ALL
        .into_iter()
        .find(|x| x.as_str() == m)
        .ok_or_else(|| format!("'{m}' is not one of simple-update, multipart, raw-push"))
}

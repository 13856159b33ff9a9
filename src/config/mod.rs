//! The fleet config file (docs/CONFIG.md): TOML → a validated [`Config`].
//!
//! Two stages, as ripgrep reads its flags (`lowargs` → `hiargs`): the raw
//! serde structs mirror the file, then validation turns them into typed
//! settings, and every error names the file, the line where TOML can tell,
//! and the key (`hosts[3].url`), with a hint on what to write.
//!
//! Module map:
//!
//! - `mod.rs` (this file): [`Config::load`] / [`Config::parse`] and
//!   [`ConfigError`].
//! - `raw`: the file as written (`RawConfig`, unknown keys refused); TOML
//!   errors that never echo a credential.
//! - `validate`: raw → settings, one function per table, in file order.
//! - `settings`: the validated types the rest of fwfleet reads
//!   ([`HostConfig`], [`Rollout`], [`Limits`], …).
//! - `access`: the API's transport and tokens (`[daemon]` TLS, timeouts,
//!   `[[daemon.tokens]]`), and the pins file `fwfleet trust` writes.
//! - [`pins`]: writing the pins `fwfleet trust` takes, into the config or
//!   its pins file, keeping the operator's formatting.
//! - `credentials`: where credentials come from (files and who may read
//!   them, `password_command`) and how they travel (proxies, plain http).
//! - `notify`: the `[[notify]]` webhooks (URL, events, signing key).
//! - `phases`: `[[rollout.phases]]` and the cohort keys of `[rollout]`
//!   (`seed`, `spread_by`, `order_by`): [`PhasePolicy`].

mod access;
mod credentials;
mod lines;
mod notify;
mod phases;
pub mod pins;
mod raw;
mod settings;
#[cfg(test)]
mod tests;
mod validate;

pub use access::DEFAULT_TOKEN_NAME;
pub use phases::{PhaseHosts, PhasePolicy, PhaseSpec};
pub use settings::*;

use credentials::{exposure, Exposure};
use std::fmt;
use std::path::{Path, PathBuf};
use validate::Facts;

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

impl Config {
    /// The configured hosts `keep` chooses that a change freeze covers at
    /// `at`, by freeze: one rule for `apply`'s refusal and the service's
    /// runs.
    pub fn frozen_hosts(
        &self,
        keep: impl Fn(&HostConfig) -> bool,
        at: chrono::DateTime<chrono::Utc>,
    ) -> crate::freeze::Frozen {
        self.freezes.frozen(
            self.hosts
                .iter()
                .filter(|h| keep(h))
                .map(|h| (h.name.as_str(), &h.labels)),
            at,
        )
    }

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

    /// Where the state store of the config at `path` is, without
    /// validating the rest (no credential is loaded, no `password_command`
    /// runs): the audit trail is opened before the command loads its config.
    pub fn state_dir_of(path: &Path) -> Result<PathBuf, ConfigError> {
        let err = |message: String| ConfigError {
            path: path.to_path_buf(),
            key: None,
            message,
        };
        let text =
            std::fs::read_to_string(path).map_err(|e| err(format!("cannot read it: {e}")))?;
        let raw = raw::parse(&text).map_err(err)?;
        let dir = raw.state_dir.unwrap_or_else(|| PathBuf::from("state"));
        Ok(if dir.is_absolute() {
            dir
        } else {
            path.parent().unwrap_or(Path::new("")).join(dir)
        })
    }

    fn parse_checked(path: &Path, text: &str) -> Result<(Config, Facts), ConfigError> {
        let raw = raw::parse(text).map_err(|message| ConfigError {
            path: path.to_path_buf(),
            key: None,
            message,
        })?;
        validate::config(path, raw).map_err(|mut problems| {
            if problems.len() == 1 {
                return problems.remove(0);
            }
            lines::all_at_once(path, text, problems)
        })
    }
}

//! The file as written: serde structs that mirror the TOML key for key
//! (unknown keys refused), and the one function that reads them. Nothing
//! here judges a value; `validate` does. A TOML error never echoes a
//! credential.

use super::settings::{AuthMode, ResetPolicy};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// Read the TOML text into the raw structs; the error is one line naming
/// the line number (and never a credential's value).
pub(super) fn parse(text: &str) -> Result<RawConfig, String> {
    toml::from_str(text).map_err(|e| toml_error_message(text, &e))
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLimits {
    pub(super) connect_timeout_secs: Option<f64>,
    pub(super) request_timeout_secs: Option<f64>,
    pub(super) max_in_flight: Option<usize>,
    pub(super) retries: Option<u32>,
    pub(super) max_response_bytes: Option<u64>,
    pub(super) scan_deadline_secs: Option<f64>,
    pub(super) auth: Option<AuthMode>,
    #[serde(default, deserialize_with = "quoted_secret")]
    pub(super) proxy: Option<String>,
    pub(super) ca_file: Option<PathBuf>,
    /// Read only to refuse it with a clear error: TLS is turned off per host.
    pub(super) insecure: Option<bool>,
    pub(super) password_command_timeout_secs: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHost {
    pub(super) name: String,
    pub(super) url: String,
    pub(super) username: String,
    #[serde(default, deserialize_with = "quoted_secret")]
    pub(super) password: Option<String>,
    pub(super) password_env: Option<String>,
    pub(super) password_file: Option<PathBuf>,
    pub(super) password_command: Option<Vec<String>>,
    pub(super) tls_fingerprint_sha256: Option<String>,
    pub(super) ca_file: Option<PathBuf>,
    pub(super) insecure: Option<bool>,
    pub(super) auth: Option<AuthMode>,
    #[serde(default, deserialize_with = "quoted_secret")]
    pub(super) proxy: Option<String>,
    #[serde(default)]
    pub(super) labels: BTreeMap<String, String>,
    pub(super) connect_timeout_secs: Option<f64>,
    pub(super) request_timeout_secs: Option<f64>,
    pub(super) max_in_flight: Option<usize>,
    #[serde(default)]
    pub(super) tls_repin_after_bmc_update: bool,
    pub(super) pre_reset: Option<String>,
    pub(super) post_update: Option<String>,
    /// This BMC's update method when the repository entry names none.
    pub(super) method: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRollout {
    pub(super) max_parallel: Option<usize>,
    pub(super) canary: Option<usize>,
    pub(super) wave_size: Option<usize>,
    pub(super) failure_budget: Option<f64>,
    #[serde(default)]
    pub(super) label_caps: BTreeMap<String, usize>,
    pub(super) reset_policy: Option<ResetPolicy>,
    pub(super) default_method: Option<String>,
    pub(super) attempts: Option<u32>,
    pub(super) step_deadline_secs: Option<f64>,
    pub(super) bmc_reboot_timeout_secs: Option<f64>,
    pub(super) activation_timeout_secs: Option<f64>,
    pub(super) stall_timeout_secs: Option<f64>,
    pub(super) supermicro_preserve: Option<bool>,
    pub(super) pre_reset: Option<String>,
    pub(super) post_update: Option<String>,
    pub(super) hook_timeout_secs: Option<f64>,
    #[serde(default)]
    pub(super) env_passthrough: Vec<String>,
    pub(super) resume_quiet_secs: Option<f64>,
    pub(super) resume_retry: Option<bool>,
    pub(super) resume_wait_secs: Option<f64>,
    // Stage ahead, activate in the window (issue 21 item 3).
    pub(super) stage_ahead: Option<String>,
    // Phases and gates (issue 21 item 1; config/phases.rs).
    #[serde(default)]
    pub(super) phases: Vec<super::phases::RawPhase>,
    pub(super) seed: Option<u64>,
    pub(super) spread_by: Option<String>,
    pub(super) order_by: Option<String>,
    // Disruption classes (issue 21 item 4).
    pub(super) no_host_impact_outside_windows: Option<bool>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawImageServer {
    pub(super) bind: Option<String>,
    pub(super) advertise_url: Option<String>,
    pub(super) tls_cert: Option<PathBuf>,
    pub(super) tls_key: Option<PathBuf>,
    /// Have each BMC verify this server's certificate (issue 17).
    pub(super) bmc_verify_certificate: Option<bool>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDaemon {
    pub(super) bind: Option<String>,
    pub(super) token_file: Option<PathBuf>,
    pub(super) token_env: Option<String>,
    pub(super) max_body_bytes: Option<usize>,
    pub(super) scheduler: Option<bool>,
    // The API's transport and who may use it (issue 17; config/access.rs).
    pub(super) tls_cert: Option<PathBuf>,
    pub(super) tls_key: Option<PathBuf>,
    pub(super) header_timeout_secs: Option<f64>,
    pub(super) idle_timeout_secs: Option<f64>,
    pub(super) max_connections: Option<usize>,
    #[serde(default)]
    pub(super) tokens: Vec<RawToken>,
}

/// `[[daemon.tokens]]`: a named API token with a role.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawToken {
    pub(super) name: String,
    pub(super) role: String,
    pub(super) token_file: Option<PathBuf>,
    pub(super) token_env: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub(super) state_dir: Option<PathBuf>,
    pub(super) repository: Option<PathBuf>,
    pub(super) concurrency: Option<usize>,
    #[serde(default)]
    pub(super) defaults: RawLimits,
    #[serde(default)]
    pub(super) hosts: Vec<RawHost>,
    #[serde(default)]
    pub(super) rollout: RawRollout,
    #[serde(default)]
    pub(super) image_server: RawImageServer,
    #[serde(default)]
    pub(super) windows: Vec<crate::schedule::WindowSpec>,
    pub(super) estimates: Option<crate::schedule::EstimatesSpec>,
    #[serde(default)]
    pub(super) daemon: RawDaemon,
    /// Pins written by `fwfleet trust --pins-file` (config/access.rs).
    pub(super) tls_pins_file: Option<PathBuf>,
    /// Hosts and components kept out of updates (`crate::holds`).
    #[serde(default)]
    pub(super) holds: Vec<RawHold>,
    /// Change freezes (`crate::freeze`).
    #[serde(default)]
    pub(super) freezes: Vec<crate::freeze::FreezeSpec>,
    /// Webhooks for run events (`crate::notify`).
    #[serde(default)]
    pub(super) notify: Vec<RawNotify>,
}

/// One `[[notify]]` table: a webhook.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNotify {
    pub(super) name: Option<String>,
    /// May hold a token in its path (chat webhooks): errors never echo it.
    #[serde(deserialize_with = "quoted_secret_required")]
    pub(super) url: String,
    pub(super) events: Option<Vec<String>>,
    pub(super) secret_file: PathBuf,
    pub(super) ca_file: Option<PathBuf>,
    pub(super) timeout_secs: Option<f64>,
    pub(super) attempts: Option<u32>,
    pub(super) queue_size: Option<usize>,
}

/// One `[[holds]]` table: a hold, or a pin when `version` is set.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHold {
    #[serde(default)]
    pub(super) hosts: Vec<String>,
    pub(super) selector: Option<String>,
    #[serde(default)]
    pub(super) kinds: Vec<String>,
    pub(super) version: Option<String>,
    pub(super) reason: String,
    pub(super) until: Option<String>,
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

/// [`quoted_secret`] for a key that must be present.
fn quoted_secret_required<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    quoted_secret(d)?.ok_or_else(|| serde::de::Error::custom("a quoted string"))
}

fn not_shown<E: serde::de::Error>(what: &str) -> E {
    E::custom(format!(
        "{what} where a quoted string belongs (the value is not shown)"
    ))
}

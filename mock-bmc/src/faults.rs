//! Fault injection: what a BMC does wrong, set per BMC from CLI flags, a
//! scenario file, or `POST /mock/faults` while it runs.
//!
//! Each fault reproduces something FIELD-NOTES.md saw in real fleets, so a
//! client's handling of it can be proven before a real BMC does it at 3 a.m.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The faults of one BMC. Every field is optional so that a partial JSON or
/// TOML object changes only what it names.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Extra delay before every Redfish response, in ms.
    pub latency_ms: Option<u64>,
    /// The next N Redfish requests get 503 + `Retry-After` (a 503 storm).
    pub unavailable: Option<u32>,
    /// `Retry-After` seconds for 503s (default 1).
    pub retry_after_secs: Option<u64>,
    /// The next N Redfish requests have their connection dropped mid-response.
    pub drop_connections: Option<u32>,
    /// One-shot: forget every session now (as a BMC does when tokens expire).
    pub expire_sessions: Option<bool>,
    /// Idle timeout of sessions in seconds, overriding the BMC's.
    pub session_timeout_secs: Option<u64>,
    /// Most sessions open at once, overriding the BMC's.
    pub session_limit: Option<usize>,
    /// Update tasks stop progressing at 50 % and never finish.
    pub task_stuck: Option<bool>,
    /// Update tasks end in `Exception` with `Update.ApplyFailed`.
    pub task_fails: Option<bool>,
    /// SimpleUpdate image downloads fail (`Update.TransferFailed`).
    pub download_fails: Option<bool>,
    /// Tasks complete, but the component keeps its old version.
    pub silently_not_applied: Option<bool>,
    /// After a BMC self-update and reboot, the BMC reports a version other than the image's.
    pub wrong_version_after_reboot: Option<bool>,
    /// The next N JSON responses are cut off mid-document (0 or absent: none).
    pub malformed_json: Option<u32>,
    /// Response bodies trickle out 64 bytes at a time with this many ms between pieces.
    pub slow_body_ms: Option<u64>,
    /// Image downloads (SimpleUpdate) are limited to this many bytes per second.
    pub download_bandwidth: Option<u64>,
    /// Image uploads (multipart and raw push) are read at most this many bytes per second.
    pub upload_bandwidth: Option<u64>,
    /// Uploads are read and counted but neither stored nor applied (benchmarks).
    pub discard_uploads: Option<bool>,
    /// Payloads that break the schema the way real BMCs do: invalid `ReleaseDate`,
    /// `Members: null`, missing `Status`, `N/A` versions.
    pub schema_quirks: Option<bool>,
}

impl Faults {
    /// Overlay `other` on `self`: fields `other` sets win.
    pub fn merge(&mut self, other: &Faults) {
        macro_rules! take {
            ($($f:ident),*) => { $( if other.$f.is_some() { self.$f = other.$f.clone(); } )* };
        }
        take!(
            latency_ms,
            unavailable,
            retry_after_secs,
            drop_connections,
            expire_sessions,
            session_timeout_secs,
            session_limit,
            task_stuck,
            task_fails,
            download_fails,
            silently_not_applied,
            wrong_version_after_reboot,
            malformed_json,
            slow_body_ms,
            download_bandwidth,
            upload_bandwidth,
            discard_uploads,
            schema_quirks
        );
    }

    pub fn on(flag: Option<bool>) -> bool {
        flag.unwrap_or(false)
    }

    /// Parse one `--fault` flag: `NAME` (a boolean fault) or `NAME=VALUE`;
    /// names use dashes or underscores.
    pub fn parse_flag(spec: &str) -> Result<Faults, String> {
        let (name, value) = match spec.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (spec.trim(), None),
        };
        let key = name.replace('-', "_");
        let literal = match value {
            None => "true".to_string(),
            Some(v) if v.parse::<f64>().is_ok() || v == "true" || v == "false" => v.to_string(),
            Some(v) => format!("\"{v}\""),
        };
        let doc = format!("{key} = {literal}");
        toml::from_str::<Faults>(&doc).map_err(|e| {
            format!(
                "bad --fault '{spec}': {}\nknown faults: {}",
                e.message(),
                FAULT_NAMES.join(", ")
            )
        })
    }
}

/// Names accepted by `--fault`, for help and errors.
pub const FAULT_NAMES: &[&str] = &[
    "latency-ms=MS",
    "unavailable=N",
    "retry-after-secs=S",
    "drop-connections=N",
    "expire-sessions",
    "session-timeout-secs=S",
    "session-limit=N",
    "task-stuck",
    "task-fails",
    "download-fails",
    "silently-not-applied",
    "wrong-version-after-reboot",
    "malformed-json=N",
    "slow-body-ms=MS",
    "download-bandwidth=BYTES_PER_SEC",
    "upload-bandwidth=BYTES_PER_SEC",
    "discard-uploads",
    "schema-quirks",
];

/// A scenario file: faults for every BMC and per host name.
///
/// ```toml
/// [default]
/// latency_ms = 20
/// [hosts.bmc-0003]
/// task_fails = true
/// ```
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    pub default: Faults,
    pub hosts: BTreeMap<String, Faults>,
}

impl Scenario {
    /// Read a TOML (or, by extension, JSON) scenario file; errors name the file.
    pub fn load(path: &Path) -> Result<Scenario, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read scenario file {}: {e}", path.display()))?;
        if path.extension().is_some_and(|e| e == "json") {
            serde_json::from_str(&text)
                .map_err(|e| format!("scenario file {}: {e}", path.display()))
        } else {
            toml::from_str(&text).map_err(|e| format!("scenario file {}: {e}", path.display()))
        }
    }

    /// The faults of host `name`.
    pub fn for_host(&self, name: &str) -> Faults {
        let mut f = self.default.clone();
        if let Some(h) = self.hosts.get(name) {
            f.merge(h);
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_with_dashes_and_values() {
        assert_eq!(
            Faults::parse_flag("task-fails").unwrap().task_fails,
            Some(true)
        );
        assert_eq!(
            Faults::parse_flag("unavailable=5").unwrap().unavailable,
            Some(5)
        );
        assert_eq!(
            Faults::parse_flag("download_bandwidth=1048576")
                .unwrap()
                .download_bandwidth,
            Some(1_048_576)
        );
        let e = Faults::parse_flag("explode").unwrap_err();
        assert!(
            e.contains("known faults") && e.contains("task-stuck"),
            "{e}"
        );
    }

    #[test]
    fn scenario_merges_default_and_host() {
        let s: Scenario = toml::from_str(
            "[default]\nlatency_ms = 20\n[hosts.bmc-0003]\ntask_fails = true\nlatency_ms = 5\n",
        )
        .unwrap();
        assert_eq!(s.for_host("bmc-0001").latency_ms, Some(20));
        let h = s.for_host("bmc-0003");
        assert_eq!((h.latency_ms, h.task_fails), (Some(5), Some(true)));
    }
}

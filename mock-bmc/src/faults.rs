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
    /// Field: the BMC reboots in the middle of an install; nothing is written
    /// and the task is gone when it is back.
    pub reboot_mid_task: Option<bool>,
    /// The BMC accepts and flashes, but the connection drops before its response.
    pub drop_after_accept: Option<bool>,
    /// The BMC answers 500 although it took the image (bmcweb's timeout path).
    #[serde(rename = "500_after_accept")]
    pub error_500_after_accept: Option<bool>,
    /// Field: after a reboot FirmwareInventory lists only some members for a while.
    pub inventory_late: Option<bool>,
    /// Field: BMC reboots take `slow-reboot` instead of the persona's reboot time.
    pub slow_reboot: Option<bool>,
    /// Field, Supermicro: a BMC update without `PreserveCfg: true` resets the
    /// configuration (the account returns to factory `ADMIN`/`ADMIN`).
    pub no_preserve_resets_config: Option<bool>,
    /// Field: force the transient task state of every update (`interrupted`,
    /// `suspended` or `none`) instead of drawing it from the seed.
    pub transient_task_state: Option<String>,
    /// Supermicro: the BMC has no out-of-band licence (SFT-OOB-LIC /
    /// SFT-DCMS-SINGLE): SimpleUpdate and uploads answer 405
    /// `SMC.1.0.OemLicenseNotPassed` and nothing is taken.
    pub no_oob_license: Option<bool>,
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
            schema_quirks,
            reboot_mid_task,
            drop_after_accept,
            error_500_after_accept,
            inventory_late,
            slow_reboot,
            no_preserve_resets_config,
            transient_task_state,
            no_oob_license
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
        let f = toml::from_str::<Faults>(&doc).map_err(|e| {
            format!(
                "bad --fault '{spec}': {}\nknown faults: {}",
                e.message(),
                FAULT_NAMES.join(", ")
            )
        })?;
        f.check()
            .map_err(|e| format!("bad --fault '{spec}': {e}"))?;
        Ok(f)
    }

    /// Values serde cannot check.
    pub fn check(&self) -> Result<(), String> {
        match self.transient_task_state.as_deref() {
            None | Some("interrupted" | "suspended" | "none") => Ok(()),
            Some(v) => Err(format!(
                "transient-task-state must be interrupted, suspended or none, not '{v}'"
            )),
        }
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
    "reboot-mid-task",
    "drop-after-accept",
    "500-after-accept",
    "inventory-late",
    "slow-reboot",
    "no-preserve-resets-config",
    "transient-task-state=interrupted|suspended|none",
    "no-oob-license",
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
        Self::load_with_settings(path).map(|(s, _)| s)
    }

    /// Read a scenario file whose `[default]` and `[hosts.NAME]` tables may also
    /// carry `behaviour = "field"|"ideal"` and `variant = "NAME"` next to faults.
    pub fn load_with_settings(path: &Path) -> Result<(Scenario, HostSettingsFile), String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read scenario file {}: {e}", path.display()))?;
        let at = |e: String| format!("scenario file {}: {e}", path.display());
        let mut v: serde_json::Value = if path.extension().is_some_and(|e| e == "json") {
            serde_json::from_str(&text).map_err(|e| at(e.to_string()))?
        } else {
            let t: toml::Value = toml::from_str(&text).map_err(|e| at(e.to_string()))?;
            serde_json::to_value(t).map_err(|e| at(e.to_string()))?
        };
        let mut settings = HostSettingsFile::default();
        let take =
            |table: Option<&mut serde_json::Value>, what: &str| -> Result<HostSettings, String> {
                let Some(obj) = table.and_then(|t| t.as_object_mut()) else {
                    return Ok(HostSettings::default());
                };
                let field = |obj: &mut serde_json::Map<String, serde_json::Value>, k: &str| {
                    obj.remove(k).map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string())
                    })
                };
                let behaviour = field(obj, "behaviour")
                    .map(|b| b.parse::<crate::field::Behaviour>())
                    .transpose()
                    .map_err(|e| at(format!("{what}: {e}")))?;
                let variant = field(obj, "variant")
                    .map(|b| b.parse::<crate::persona::Variant>())
                    .transpose()
                    .map_err(|e| at(format!("{what}: {e}")))?;
                Ok(HostSettings { behaviour, variant })
            };
        settings.default = take(v.get_mut("default"), "[default]")?;
        if let Some(hosts) = v.get_mut("hosts").and_then(|h| h.as_object_mut()) {
            for (name, table) in hosts.iter_mut() {
                let hs = take(Some(table), &format!("[hosts.{name}]"))?;
                if hs != HostSettings::default() {
                    settings.hosts.insert(name.clone(), hs);
                }
            }
        }
        let scenario: Scenario = serde_json::from_value(v).map_err(|e| at(e.to_string()))?;
        scenario
            .default
            .check()
            .map_err(|e| at(format!("[default]: {e}")))?;
        for (name, f) in &scenario.hosts {
            f.check().map_err(|e| at(format!("[hosts.{name}]: {e}")))?;
        }
        Ok((scenario, settings))
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

/// Per-host settings a scenario file may carry besides faults.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct HostSettings {
    pub behaviour: Option<crate::field::Behaviour>,
    pub variant: Option<crate::persona::Variant>,
}

/// The settings of a scenario file: for every host and per host name.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct HostSettingsFile {
    pub default: HostSettings,
    pub hosts: BTreeMap<String, HostSettings>,
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

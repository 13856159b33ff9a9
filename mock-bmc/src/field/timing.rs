//! Field durations and the one time scale that compresses them.
//!
//! Every duration is a field time (what a real BMC takes, in seconds) divided
//! by `time_scale`; an override sets one duration in wall-clock seconds. The
//! flows run their steps one after another, so no duration can reorder events:
//! a shorter reboot is still a reboot that comes after the flash.

use std::time::Duration;

/// (name, field seconds, what it is). docs/MOCK-BMC.md "Timing" is this table.
pub const DURATIONS: &[(&str, f64, &str)] = &[
    (
        "transfer",
        60.0,
        "receiving and checking an image before anything is written",
    ),
    ("verify", 6.0, "Supermicro's BMC Verify / BIOS Verify task"),
    (
        "bmc-flash",
        120.0,
        "writing BMC firmware (and any install phase run by the BMC)",
    ),
    (
        "bmc-reboot",
        300.0,
        "a BMC reboot: connections refused, sessions and tasks gone",
    ),
    ("idrac-xcc-reboot", 480.0, "an iDRAC or XCC reboot"),
    (
        "slow-reboot",
        1200.0,
        "a BMC reboot under the slow-reboot fault",
    ),
    (
        "host-post",
        360.0,
        "a host reset through POST to the running OS",
    ),
    (
        "bios-flash",
        240.0,
        "a BIOS flash added to the POST that applies it",
    ),
    (
        "device-flash",
        120.0,
        "a NIC, storage, drive, PSU or CPLD flash added to that POST",
    ),
    (
        "stall",
        90.0,
        "the pause of PercentComplete every field install has",
    ),
    (
        "pause",
        30.0,
        "a transient Interrupted or Suspended task state",
    ),
    (
        "task-vanish",
        60.0,
        "how long a finished iDRAC task stays readable",
    ),
    (
        "inventory-late",
        120.0,
        "FirmwareInventory lists only some members after a reboot (fault)",
    ),
];

/// The default time scale: field times ÷ 60 (a 5-minute BMC reboot takes 5 s).
pub const DEFAULT_TIME_SCALE: f64 = 60.0;

/// The durations of the field behaviour, already scaled.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldTiming {
    pub time_scale: f64,
    pub transfer: Duration,
    pub verify: Duration,
    pub bmc_flash: Duration,
    pub reboot_delay: Duration,
    pub bmc_reboot: Duration,
    pub idrac_xcc_reboot: Duration,
    pub slow_reboot: Duration,
    pub host_post: Duration,
    pub bios_flash: Duration,
    pub device_flash: Duration,
    pub stall: Duration,
    pub pause: Duration,
    pub task_vanish: Duration,
    pub inventory_late: Duration,
}

impl Default for FieldTiming {
    fn default() -> Self {
        FieldTiming::at_scale(DEFAULT_TIME_SCALE)
    }
}

impl FieldTiming {
    /// Every field duration divided by `scale` (clamped to at least 1).
    pub fn at_scale(scale: f64) -> FieldTiming {
        let scale = if scale.is_finite() && scale >= 1.0 {
            scale
        } else {
            1.0
        };
        let mut t = FieldTiming {
            time_scale: scale,
            transfer: Duration::ZERO,
            verify: Duration::ZERO,
            bmc_flash: Duration::ZERO,
            reboot_delay: Duration::ZERO,
            bmc_reboot: Duration::ZERO,
            idrac_xcc_reboot: Duration::ZERO,
            slow_reboot: Duration::ZERO,
            host_post: Duration::ZERO,
            bios_flash: Duration::ZERO,
            device_flash: Duration::ZERO,
            stall: Duration::ZERO,
            pause: Duration::ZERO,
            task_vanish: Duration::ZERO,
            inventory_late: Duration::ZERO,
        };
        for (name, secs, _) in DURATIONS {
            if let Some(d) = t.slot(name) {
                *d = Duration::from_secs_f64(secs / scale);
            }
        }
        t
    }

    fn slot(&mut self, name: &str) -> Option<&mut Duration> {
        Some(match name {
            "transfer" => &mut self.transfer,
            "verify" => &mut self.verify,
            "bmc-flash" => &mut self.bmc_flash,
            "reboot-delay" => &mut self.reboot_delay,
            "bmc-reboot" => &mut self.bmc_reboot,
            "idrac-xcc-reboot" => &mut self.idrac_xcc_reboot,
            "slow-reboot" => &mut self.slow_reboot,
            "host-post" => &mut self.host_post,
            "bios-flash" => &mut self.bios_flash,
            "device-flash" => &mut self.device_flash,
            "stall" => &mut self.stall,
            "pause" => &mut self.pause,
            "task-vanish" => &mut self.task_vanish,
            "inventory-late" => &mut self.inventory_late,
            _ => return None,
        })
    }

    /// Set one duration (wall-clock) by its table name.
    pub fn set(&mut self, name: &str, d: Duration) -> Result<(), String> {
        let names: Vec<&str> = DURATIONS.iter().map(|(n, ..)| *n).collect();
        *self.slot(name).ok_or_else(|| {
            format!(
                "unknown field duration '{name}'; expected one of {}",
                names.join(", ")
            )
        })? = d;
        Ok(())
    }

    /// Parse `NAME=SECONDS` (the `--field-duration` flag) and apply it.
    pub fn apply_override(&mut self, spec: &str) -> Result<(), String> {
        let (name, secs) = spec.split_once('=').ok_or_else(|| {
            format!("bad --field-duration '{spec}': expected NAME=SECONDS, e.g. bmc-reboot=3")
        })?;
        let secs: f64 = secs
            .trim()
            .parse()
            .ok()
            .filter(|s: &f64| s.is_finite() && (0.0..=86_400.0).contains(s))
            .ok_or_else(|| {
                format!("bad --field-duration '{spec}': SECONDS must be between 0 and 86400")
            })?;
        self.set(name.trim(), Duration::from_secs_f64(secs))
    }

    /// The table as JSON for `/mock/state`: name, field seconds, mock seconds.
    pub fn json(&self) -> serde_json::Value {
        let mut me = self.clone();
        let rows: Vec<serde_json::Value> = DURATIONS
            .iter()
            .map(|(name, field, _)| {
                let d = me.slot(name).map(|d| d.as_secs_f64()).unwrap_or(0.0);
                serde_json::json!({"name": name, "field_secs": field, "secs": d})
            })
            .collect();
        serde_json::json!({"time_scale": self.time_scale, "durations": rows})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_scale_gives_the_documented_seconds() {
        let t = FieldTiming::default();
        assert_eq!(t.bmc_reboot, Duration::from_secs(5));
        assert_eq!(t.idrac_xcc_reboot, Duration::from_secs(8));
        assert_eq!(t.host_post, Duration::from_secs(6));
        assert_eq!(t.bios_flash, Duration::from_secs(4));
    }

    #[test]
    fn overrides_name_a_duration_and_bad_ones_say_what_fits() {
        let mut t = FieldTiming::at_scale(600.0);
        assert_eq!(t.bmc_reboot, Duration::from_millis(500));
        t.apply_override("bmc-reboot=3").unwrap();
        assert_eq!(t.bmc_reboot, Duration::from_secs(3));
        let e = t.apply_override("reboot=3").unwrap_err();
        assert!(e.contains("bmc-reboot") && e.contains("host-post"), "{e}");
        assert!(t.apply_override("bmc-reboot").is_err());
        assert!(t.apply_override("bmc-reboot=-1").is_err());
    }
}

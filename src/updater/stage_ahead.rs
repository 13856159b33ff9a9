//! Stage ahead, activate in the window (issue 21 item 3, opt-in with
//! `[rollout] stage_ahead` or `apply --stage-ahead`).
//!
//! A windowed run may start up to `stage_ahead` before its window opens.
//! Until the window's start only what does not touch the running host is
//! done: the image is transferred with apply time `OnReset` (on a Dell
//! iDRAC that is a scheduled job), so the BMC holds it for the next reset.
//! The activation — the coordinated reset, `StartUpdate`, a Dell job's
//! reboot — waits for the window's start ([`ActivateAt`]).
//!
//! Which steps may be staged ahead is decided here, purely, from what the
//! BMC said of itself ([`stageable`]): a step that cannot be staged, and
//! every later step of its host (the plan's order is kept), runs inside the
//! window as it would without stage ahead.
//!
//! Supermicro is never staged ahead: after an upload it stays in *update
//! mode* until `StartUpdate` (NOTES §7.5, bmclib `providers/supermicro`),
//! refusing other uploads and holding the BMC busy for a day; its steps
//! run inside the window.

use crate::redfish::update_service::UpdateCaps;
use crate::updater::host::PlannedStep;
use chrono::{DateTime, Utc};

/// The apply time a staged-ahead transfer is sent with.
pub const ON_RESET: &str = "OnReset";

/// When activation may start: the window's start, for a run that stages
/// ahead; `None` for every other run (nothing waits).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActivateAt(pub Option<DateTime<Utc>>);

impl ActivateAt {
    /// Whether `now` is still before the window's start (staging time).
    pub fn before_window(&self, now: DateTime<Utc>) -> bool {
        self.0.is_some_and(|at| now < at)
    }

    /// Sleep until the window's start (returns at once when it has come or
    /// there is none); `false` when `cancel` fired first.
    pub async fn wait(&self, cancel: &tokio_util::sync::CancellationToken) -> bool {
        let Some(at) = self.0 else { return true };
        let left = (at - Utc::now()).to_std().unwrap_or_default();
        if left.is_zero() {
            return true;
        }
        tokio::select! {
            _ = tokio::time::sleep(left) => true,
            _ = cancel.cancelled() => false,
        }
    }
}

/// Why a step cannot be staged ahead on this BMC (`Err`), for the journal.
pub fn stageable(caps: &UpdateCaps, s: &PlannedStep) -> Result<(), String> {
    if caps.platform.requires_start_update() {
        return Err("Supermicro stays in update mode from the upload until StartUpdate, so it is never staged ahead; the step runs inside the window".into());
    }
    if s.activate_only {
        return Err("already staged; only its activation is left".into());
    }
    match s.apply_time.as_deref() {
        None | Some(ON_RESET) => {}
        Some(other) => {
            return Err(format!(
                "the repository entry's apply time {other} is not held for a reset; the step runs inside the window"
            ))
        }
    }
    if !caps.accepts_apply_time(ON_RESET) {
        return Err("the BMC does not offer apply time OnReset (@Redfish.OperationApplyTimeSupport); the step runs inside the window".into());
    }
    if caps.simple_update.is_none() && caps.multipart.is_none() && caps.push_options_busy.is_none()
    {
        return Err("the BMC's only transfer is a raw push whose apply time fwfleet cannot set; the step runs inside the window".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redfish::quirks::Platform;
    use crate::vocab::Kind;

    fn caps(vendor: &str, apply_times: &[&str]) -> UpdateCaps {
        UpdateCaps {
            platform: Platform::classify(Some(vendor), None, None),
            tasks: None,
            update_service: "/redfish/v1/UpdateService".into(),
            simple_update: Some("/x".into()),
            protocols: vec![],
            multipart: Some("/m".into()),
            http_push: None,
            start_update: None,
            apply_times: apply_times.iter().map(|s| s.to_string()).collect(),
            max_image_size: None,
            system: None,
            manager: None,
            jobs: None,
            hpe_state: false,
            push_apply_time: None,
            push_options_busy: None,
        }
    }

    fn step(apply_time: Option<&str>) -> PlannedStep {
        PlannedStep {
            component: "BIOS".into(),
            identity: "bios".into(),
            kind: Kind::Bios,
            from: Some("1".into()),
            to: "2".into(),
            image: "/i".into(),
            target: None,
            image_name: "i".into(),
            sha256: String::new(),
            size: 0,
            method: None,
            apply_time: apply_time.map(str::to_string),
            force: false,
            activate_only: false,
            disruption: crate::vocab::Disruption::HostReboot,
        }
    }

    #[test]
    fn standard_bmc_with_on_reset_is_staged_ahead() {
        assert!(stageable(&caps("DMTF", &["Immediate", "OnReset"]), &step(None)).is_ok());
        assert!(stageable(
            &caps("Dell", &["Immediate", "OnReset"]),
            &step(Some("OnReset"))
        )
        .is_ok());
    }

    #[test]
    fn supermicro_is_never_staged_ahead() {
        let why = stageable(
            &caps(
                "Supermicro",
                &["Immediate", "OnReset", "OnStartUpdateRequest"],
            ),
            &step(None),
        )
        .unwrap_err();
        assert!(why.contains("update mode"), "{why}");
    }

    #[test]
    fn no_on_reset_or_another_apply_time_runs_in_the_window() {
        assert!(stageable(&caps("DMTF", &["Immediate"]), &step(None)).is_err());
        assert!(stageable(&caps("DMTF", &[]), &step(None)).is_err());
        assert!(stageable(&caps("DMTF", &["OnReset"]), &step(Some("Immediate"))).is_err());
    }

    #[test]
    fn activate_at_only_waits_before_the_window() {
        let at = Utc::now() + chrono::Duration::hours(1);
        assert!(ActivateAt(Some(at)).before_window(Utc::now()));
        assert!(!ActivateAt(Some(at)).before_window(at));
        assert!(!ActivateAt(None).before_window(Utc::now()));
    }
}

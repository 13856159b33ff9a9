//! Verifying a step from the inventory, after the vendor's activation.
//!
//! A task that ended `Completed` is not an active image: a BMC reboots into
//! its new firmware after the task (generic, bmcweb, iLO, Supermicro), a
//! host image is written during the next POST (Dell, iLO, every `OnReset`),
//! an iDRAC reboots before its job reports the end. So "still the old
//! version" is *pending* until the settle deadline (`activation_timeout_secs`),
//! a BMC that is away meanwhile is waited for (`bmc_reboot_timeout_secs`),
//! and only then is a step `updated`, `staged` or `no-change`.

use super::cx::Ctx;
use super::send::ride_out;
use super::{ProgressFn, ResetRequest, StepOutcome, StepResult, StepSpec};
use crate::inventory::model::Component;
use crate::redfish::client::BmcClient;
use crate::redfish::error::RedfishError;
use crate::redfish::update_service::{self, UpdateCaps};
use crate::store::{StepJournal, Store, StoreError};
use crate::vocab::{Kind, Role, StepState};
use std::time::{Duration, Instant};

/// Verify a step again with another client or after a reset: after the
/// operator-allowed re-pin of a BMC that came back from its own update with
/// a new certificate, and after the coordinated reset (`after_reset`: then
/// a staged image still listed is the POST not done yet, never `staged` again).
pub async fn reverify(
    client: &BmcClient,
    store: &Store,
    spec: &StepSpec,
    step_id: i64,
    caps: &UpdateCaps,
    after_reset: bool,
    progress: &ProgressFn,
) -> Result<StepResult, StoreError> {
    let journal = StepJournal::of(store, spec.run_id, step_id);
    let mut cx = Ctx::new(client, journal, spec, progress);
    cx.caps = Some(caps);
    cx.after_reset = after_reset;
    // The reset went before the window's end; its POST may end after it.
    cx.sent
        .store(after_reset, std::sync::atomic::Ordering::Relaxed);
    verify(&cx).await
}

/// What one inventory read says about the step's component.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    /// Every active entry shows the target version.
    Target,
    /// The active version (or `None`: the component is not listed, as after
    /// a reboot before the inventory is complete), not the target.
    Other(Option<String>),
    /// Dell lists the component twice, `Current-` (running) and `Installed-`
    /// (written) with different versions: written, not running yet.
    Split(String),
}

fn seen(components: &[Component], spec: &StepSpec) -> (Seen, bool) {
    let mine = || components.iter().filter(|c| c.identity == spec.identity);
    let active: Vec<Option<&str>> = mine()
        .filter(|c| c.role == Role::Active)
        .map(|c| c.version.as_deref())
        .collect();
    let staged = mine().any(|c| c.role == Role::Staged && c.version.as_deref() == Some(&spec.to));
    let target = Some(spec.to.as_str());
    let s = match active.as_slice() {
        [] => Seen::Other(None),
        all if all.iter().all(|v| *v == target) => Seen::Target,
        all if all.contains(&target) => Seen::Split(
            all.iter()
                .flatten()
                .find(|v| Some(**v) != target)
                .map(|v| v.to_string())
                .unwrap_or_default(),
        ),
        all => Seen::Other(all.first().and_then(|v| v.map(str::to_string))),
    };
    (s, staged)
}

/// Success is the inventory showing the target version as active in two
/// consecutive reads (FIELD-NOTES B2.12: right after a reboot a BMC can list
/// a partial or stale inventory), after the vendor's activation.
pub(super) async fn verify(cx: &Ctx<'_>) -> Result<StepResult, StoreError> {
    let spec = cx.spec;
    // After the coordinated reset the row stays `reset-sent` until it ends:
    // a restart then knows a reset was sent and never sends another.
    if !cx.after_reset {
        cx.state(StepState::Verifying, None).await?;
    }
    let mut confirmed_once = false;
    let mut pending_since: Option<Instant> = None;
    let mut last_error = String::new();
    let mut last_seen: Option<Seen> = None;
    let mut last_other: Option<String> = None;
    loop {
        if cx.left().is_zero() {
            return cx
                .finish(
                    StepOutcome::TimedOut,
                    format!(
                        "{}: could not read {} back as active within {}s{}{}",
                        cx.who(),
                        spec.to,
                        spec.deadline.as_secs(),
                        match &last_seen {
                            Some(Seen::Other(Some(v))) => format!(" (still {v})"),
                            _ => String::new(),
                        },
                        if last_error.is_empty() {
                            String::new()
                        } else {
                            format!(" (last error: {last_error})")
                        }
                    ),
                    None,
                )
                .await;
        }
        match crate::inventory::scan::read_now(cx.client).await {
            Ok(inv) => {
                let (now, staged) = seen(&inv.components, spec);
                last_seen = Some(now.clone());
                if now == Seen::Target {
                    if confirmed_once {
                        return cx
                            .finish(
                                StepOutcome::Updated,
                                format!("{}: now {}", cx.who(), spec.to),
                                None,
                            )
                            .await;
                    }
                    confirmed_once = true;
                    let pause = if spec.kind == Kind::Bmc {
                        SETTLE_PAUSE
                    } else {
                        CONFIRM_PAUSE
                    };
                    tokio::time::sleep(pause.min(cx.left())).await;
                    continue;
                }
                // Another version than the one it ran, read twice alike:
                // not activation to come, a wrong image (or a BMC that
                // reports another version after its reboot).
                if let Seen::Other(Some(v)) = &now {
                    if Some(v) != spec.from.as_ref() {
                        if last_other.as_ref() == Some(v) {
                            return settled(cx, now).await;
                        }
                        last_other = Some(v.clone());
                        confirmed_once = false;
                        tokio::time::sleep(SETTLE_PAUSE.min(cx.left())).await;
                        continue;
                    }
                }
                last_other = None;
                confirmed_once = false;
                // Staged and waiting for a reset: the coordinated reset (or
                // the operator, under reset policy never) activates it.
                let held_for_host_reset = spec.kind != Kind::Bmc
                    && cx
                        .caps
                        .is_some_and(|c| c.platform.host_firmware_waits_for_host_reset());
                if !cx.after_reset
                    && (staged || held_for_host_reset || self_reset_required(cx).await)
                {
                    return cx
                        .finish(
                            StepOutcome::Staged,
                            format!(
                                "{}: {} staged, active after the next reset",
                                cx.who(),
                                spec.to
                            ),
                            Some(ResetRequest {
                                target: None,
                                reset_type: None,
                            }),
                        )
                        .await;
                }
                let since = *pending_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= spec.waits.settle {
                    return settled(cx, now).await;
                }
            }
            Err(RedfishError::PinMismatch { expected, got, .. }) => {
                let mut r = cx
                    .finish(
                        StepOutcome::NeedsAttention,
                        format!("{}: the BMC came back with a new TLS certificate ({got}, pinned {expected}); verify it and update tls_fingerprint_sha256, or set tls_repin_after_bmc_update = true for this host", cx.who()),
                        None,
                    )
                    .await?;
                r.new_certificate = Some(got);
                return Ok(r);
            }
            Err(e) if e.is_away() => {
                confirmed_once = false;
                if let Err(lost) = ride_out(cx, "its new version was read back", &e).await {
                    return cx
                        .finish(
                            StepOutcome::Unreachable,
                            format!(
                                "{}: {lost}; the inventory decides on the next run",
                                cx.who()
                            ),
                            None,
                        )
                        .await;
                }
                continue;
            }
            Err(e) => {
                // Up but not serving Redfish yet (404, 500 while booting):
                // keep reading within the deadline.
                last_error = e.to_string().lines().next().unwrap_or_default().to_string();
                confirmed_once = false;
            }
        }
        tokio::time::sleep(SETTLE_PAUSE.min(cx.left())).await;
    }
}

/// The settle deadline passed without the target version active.
async fn settled(cx: &Ctx<'_>, now: Seen) -> Result<StepResult, StoreError> {
    let spec = cx.spec;
    let waited = spec.waits.settle.as_secs();
    let (outcome, message) = match now {
        Seen::Target => unreachable!("decided before"),
        Seen::Split(running) => (
            StepOutcome::NeedsAttention,
            format!("{}: {} is written but {running} still runs, and no job activates it after {waited}s; check the BMC's job queue and reset the host by hand if it is due (fwfleet does not flash it again)", cx.who(), spec.to),
        ),
        Seen::Other(Some(v)) if Some(&v) == spec.from.as_ref() && cx.lost_in_reboot() => (
            StepOutcome::Failed,
            format!("{}: the BMC rebooted while the update ran and its task is gone; it still runs {v} after {waited}s: the update was lost, nothing was written; run apply again", cx.who()),
        ),
        Seen::Other(Some(v)) if Some(&v) == spec.from.as_ref() && cx.vanished => (
            StepOutcome::Cancelled,
            format!("{}: the task is gone and the BMC still runs {v}: the update did not happen before fwfleet stopped; nothing was written; planned again", cx.who()),
        ),
        Seen::Other(Some(v)) if Some(&v) == spec.from.as_ref() => (
            StepOutcome::NoChange,
            format!("{}: the BMC reported success but still runs {v} after {waited}s (activation_timeout_secs); the image was not applied (check the BMC's log)", cx.who()),
        ),
        Seen::Other(other) => (
            StepOutcome::UnexpectedVersion,
            format!(
                "{}: expected {}, the BMC reports {}; do not retry before checking the image",
                cx.who(),
                spec.to,
                other.unwrap_or_else(|| "no version".into())
            ),
        ),
    };
    cx.finish(outcome, message, None).await
}

/// iLO says a system reset is required (`Oem.Hpe.Result`): host firmware
/// is staged for the next POST (HPE redfishdocs, firmware updates part 3).
async fn self_reset_required(cx: &Ctx<'_>) -> bool {
    let Some(caps) = cx.caps else { return false };
    if cx.spec.kind == Kind::Bmc {
        return false;
    }
    matches!(
        update_service::hpe_update(cx.client, caps).await,
        Ok(Some(h)) if h.result.as_deref() == Some("SystemResetRequired")
    )
}

/// Between verification reads while the BMC reboots or does not answer, and
/// before the confirming read of a BMC update.
const SETTLE_PAUSE: Duration = Duration::from_millis(300);
/// Before the confirming read of any other component.
const CONFIRM_PAUSE: Duration = Duration::from_millis(100);

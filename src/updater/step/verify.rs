//! Verifying a step from the inventory.

use super::cx::Ctx;
use super::{ProgressFn, StepOutcome, StepResult, StepSpec};
use crate::redfish::client::BmcClient;
use crate::redfish::error::RedfishError;
use crate::store::{StepJournal, Store, StoreError};
use crate::vocab::{Kind, Role, StepState};
use std::time::Duration;

/// Verify a step again with another client: after the operator-allowed
/// re-pin of a BMC that came back from its own update with a new certificate.
pub async fn reverify(
    client: &BmcClient,
    store: &Store,
    spec: &StepSpec,
    step_id: i64,
    progress: &ProgressFn,
) -> Result<StepResult, StoreError> {
    let journal = StepJournal::of(store, spec.run_id, step_id);
    verify(&Ctx::new(client, journal, spec, progress)).await
}

/// Success is the inventory showing the target version as active; after a BMC
/// reboot wait until logins work and two consecutive reads agree (FIELD-NOTES B2.12).
pub(super) async fn verify(cx: &Ctx<'_>) -> Result<StepResult, StoreError> {
    let spec = cx.spec;
    cx.state(StepState::Verifying, None).await?;
    let mut previous: Option<Option<String>> = None;
    let mut last_error = String::new();
    loop {
        if cx.left().is_zero() {
            return cx
                .finish(
                    StepOutcome::TimedOut,
                    format!(
                        "{}: could not read the new version back within {}s{}",
                        cx.who(),
                        spec.deadline.as_secs(),
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
                let comp = inv
                    .components
                    .iter()
                    .find(|c| c.identity == spec.identity && c.role == Role::Active);
                let now = comp.and_then(|c| c.version.clone());
                if previous.as_ref() == Some(&now) {
                    return match now {
                        Some(v) if v == spec.to => {
                            cx.finish(StepOutcome::Updated, format!("{}: now {v}", cx.who()), None).await
                        }
                        Some(v) if Some(&v) == spec.from.as_ref() && cx.vanished => {
                            cx.finish(
                                StepOutcome::Cancelled,
                                format!("{}: the task is gone and the BMC still runs {v}: the update did not happen before fwfleet stopped; nothing was written; planned again", cx.who()),
                                None,
                            )
                            .await
                        }
                        Some(v) if Some(&v) == spec.from.as_ref() => {
                            cx.finish(
                                StepOutcome::NoChange,
                                format!("{}: the BMC reported success but still runs {v}; the image was not applied (check the BMC's log)", cx.who()),
                                None,
                            )
                            .await
                        }
                        other => {
                            cx.finish(
                                StepOutcome::UnexpectedVersion,
                                format!(
                                    "{}: expected {}, the BMC reports {}; do not retry before checking the image",
                                    cx.who(),
                                    spec.to,
                                    other.unwrap_or_else(|| "no version".into())
                                ),
                                None,
                            )
                            .await
                        }
                    };
                }
                previous = Some(now);
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
            Err(e) => {
                // Rebooting or not yet serving Redfish: keep waiting within the deadline.
                last_error = e.to_string().lines().next().unwrap_or_default().to_string();
                previous = None;
            }
        }
        // A BMC that rebooted (its own update) or did not answer gets time to
        // settle; for other components the BMC never went away, so the
        // confirming read may follow sooner.
        let pause = if previous.is_some() && spec.kind != Kind::Bmc {
            CONFIRM_PAUSE
        } else {
            SETTLE_PAUSE
        };
        tokio::time::sleep(pause.min(cx.left())).await;
    }
}

/// Between verification reads while the BMC reboots or does not answer, and
/// before the confirming read of a BMC update.
const SETTLE_PAUSE: Duration = Duration::from_millis(300);
/// Before the confirming read of any other component.
const CONFIRM_PAUSE: Duration = Duration::from_millis(100);

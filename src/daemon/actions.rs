//! What an operator may do to a run, in one place: the table of run actions
//! ([`RUN_ACTIONS`]: name, the role it needs, its effect) and [`perform`],
//! the one function both `POST /api/v1/runs/{id}/{action}` (`api`) and the
//! dashboard's buttons (`crate::dashboard::runs`) call. So a button does
//! exactly what the API does: the same role check, the same audit row
//! (written before it acts), the same store write through
//! `updater::control::request`.
//!
//! An action is one row here and one arm in [`perform`]'s `match` on
//! [`Effect`] (Approve, for gated phases, was added so); the API route and
//! the dashboard's button and confirmation follow from the row.

use super::error::ApiError;
use super::runs::CancelError;
use super::Daemon;
use crate::audit::{self, Call, Caller};
use crate::updater::control::{self, SteerError};
use crate::vocab::{ApiRole, Control};
use axum::http::StatusCode;

/// What an action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Record the control in the store; the executor obeys at its next read.
    Steer(Control),
    /// Record `cancelled`, and cancel the run's token if this service runs it.
    Cancel,
    /// Open the phase gate the run waits at (`updater::approval::approve`).
    Approve,
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct RunAction {
    /// The route's last segment (`/api/v1/runs/{id}/pause`, `/runs/{id}/pause`)
    /// and the button's id.
    pub name: &'static str,
    /// The audit trail's action (`fwfleet audit`).
    pub audit: &'static str,
    /// The least role allowed.
    pub role: ApiRole,
    pub effect: Effect,
    /// The button's text.
    pub label: &'static str,
    /// The confirmation's question (`{id}` is the run).
    pub confirm: &'static str,
    /// The `control.state` word the answer carries.
    pub answer: &'static str,
    /// Control states (`GET /api/v1/runs/{id}` `run.control.state`) in
    /// which the dashboard offers it.
    pub offered_in: &'static [&'static str],
}

/// Every run action.
pub const RUN_ACTIONS: [RunAction; 4] = [
    RunAction {
        name: "pause",
        audit: "runs.pause",
        role: ApiRole::Operator,
        effect: Effect::Steer(Control::Paused),
        label: "Pause",
        confirm: "Pause run {id}? No new host or step starts; running steps finish and are recorded.",
        answer: "pausing",
        offered_in: &["running", "resuming"],
    },
    RunAction {
        name: "resume",
        audit: "runs.resume",
        role: ApiRole::Operator,
        effect: Effect::Steer(Control::Running),
        label: "Resume",
        confirm: "Resume run {id}? Hosts and steps start again.",
        answer: "resuming",
        offered_in: &["paused", "pausing"],
    },
    RunAction {
        name: "cancel",
        audit: "runs.cancel",
        role: ApiRole::Operator,
        effect: Effect::Cancel,
        label: "Cancel",
        confirm: "Cancel run {id}? No new host or step starts; the run ends cancelled once running steps are recorded. It cannot be resumed.",
        answer: "cancelling",
        offered_in: &["running", "pausing", "paused", "resuming", "waiting"],
    },
    RunAction {
        name: "approve",
        audit: "runs.approve",
        role: ApiRole::Operator,
        effect: Effect::Approve,
        label: "Approve",
        confirm: "Approve the next phase of run {id}? The phase that ended passed its gate; the next one starts.",
        answer: "approved",
        offered_in: &["waiting"],
    },
];

impl RunAction {
    /// The row named `name`.
    pub fn named(name: &str) -> Option<&'static RunAction> {
        RUN_ACTIONS.iter().find(|a| a.name == name)
    }

    /// The confirmation's question for run `id`.
    pub fn question(&self, id: i64) -> String {
        self.confirm.replace("{id}", &id.to_string())
    }
}

/// What the caller asked, beyond which action.
#[derive(Debug, Clone)]
pub struct Ask {
    /// The run id as sent (checked here, after the audit row is written).
    pub run: String,
    /// Why, or why the request's body could not be read (audited `failed`).
    pub reason: Result<Option<String>, String>,
    /// What the audit row keeps as the request's detail.
    pub detail: Option<String>,
}

/// Done: what the API answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Performed {
    pub run_id: i64,
    /// `pausing`, `resuming`, `cancelling`, `approved`.
    pub state: &'static str,
    /// The phase approved (Approve only).
    pub phase: Option<String>,
}

/// The audit row's target for run text `run`.
fn target(run: &str) -> String {
    let run: String = run.chars().filter(|c| !c.is_control()).take(100).collect();
    format!("run {run}")
}

/// Record that `caller` may not do `action` and the 403 to answer; `None`
/// when the caller's role allows it. Used by the dashboard before it shows
/// a confirmation, and by [`perform`].
pub async fn refuse(
    d: &Daemon,
    caller: &Caller,
    action: &RunAction,
    run: &str,
) -> Option<ApiError> {
    if crate::daemon::auth::need(caller, action.role) {
        return None;
    }
    let t = target(run);
    let why = format!("needs role {}", action.role);
    if let Err(e) = audit::denied(
        &d.store,
        caller,
        Call {
            action: action.audit,
            target: Some(&t),
            detail: Some(&why),
        },
    )
    .await
    {
        tracing::error!("cannot record a denied run action in the audit trail: {e}");
    }
    let role = caller.role.unwrap_or(ApiRole::Viewer);
    tracing::warn!(who = %caller.who, role = %role, "refused {} of {t}: {why}", action.name);
    Some(ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        format!(
            "{} of a run needs role {}; {} is {role}\n  hint: use a token with role {} (docs/SECURITY.md#roles)",
            action.name, action.role, caller.who, action.role
        ),
    ))
}

fn steer_error(e: SteerError) -> ApiError {
    match e {
        SteerError::NotFound(_) => ApiError::not_found(e.to_string()),
        SteerError::NotActive { .. } => ApiError::conflict("run-not-active", e.to_string()),
        SteerError::Store(e) => e.into(),
    }
}

fn run_id(text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>()
        .map_err(|_| ApiError::bad_request(format!("run id '{text}' is not a number")))
}

/// Do `action` to the run `ask.run` for `caller`: role check (refusals are
/// audited `denied`), the audit row, then the effect; the row ends `ok` or
/// `failed` with the reason.
pub async fn perform(
    d: &Daemon,
    caller: &Caller,
    action: &RunAction,
    ask: Ask,
) -> Result<Performed, ApiError> {
    if let Some(e) = refuse(d, caller, action, &ask.run).await {
        return Err(e);
    }
    let t = target(&ask.run);
    let pending = audit::begin(
        &d.store,
        caller,
        Call {
            action: action.audit,
            target: Some(&t),
            detail: ask.detail.as_deref(),
        },
    )
    .await?;
    let result = async {
        let reason = ask.reason.map_err(ApiError::bad_request)?;
        let id = run_id(&ask.run)?;
        let mut phase = None;
        match action.effect {
            Effect::Steer(want) => {
                control::request(&d.store, id, want, &caller.who, reason.as_deref())
                    .await
                    .map_err(steer_error)?;
            }
            Effect::Cancel => {
                control::request(
                    &d.store,
                    id,
                    Control::Cancelled,
                    &caller.who,
                    reason.as_deref(),
                )
                .await
                .map_err(steer_error)?;
                d.cancel_run(
                    id,
                    &format!("{} of run {id} by {}", action.name, caller.who),
                )
                .await
                .map_err(|e| match e {
                    CancelError::NotFound(_) => ApiError::not_found(e.to_string()),
                    CancelError::NotActive { .. } => {
                        ApiError::conflict("run-not-active", e.to_string())
                    }
                    CancelError::Failed(e) => e.into(),
                })?;
            }
            Effect::Approve => {
                use crate::updater::approval::{self, ApproveError};
                let p = approval::approve(&d.store, id, &caller.who, reason.as_deref())
                    .await
                    .map_err(|e| match e {
                        ApproveError::NotFound(_) => ApiError::not_found(e.to_string()),
                        ApproveError::NotActive { .. } => {
                            ApiError::conflict("run-not-active", e.to_string())
                        }
                        ApproveError::NotWaiting(_) => {
                            ApiError::conflict("run-not-waiting", e.to_string())
                        }
                        ApproveError::Store(e) => e.into(),
                    })?;
                phase = Some(p);
            }
        }
        Ok::<(i64, Option<String>), ApiError>((id, phase))
    }
    .await;
    match result {
        Ok((id, phase)) => {
            pending.ok(None).await;
            Ok(Performed {
                run_id: id,
                state: action.answer,
                phase,
            })
        }
        Err(e) => {
            pending.failed(e.message.clone()).await;
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_an_api_route_and_a_unique_name() {
        for a in &RUN_ACTIONS {
            let route = format!("/api/v1/runs/{{id}}/{}", a.name);
            assert!(
                crate::daemon::api::ROUTES.contains(&("POST", route.as_str())),
                "{route} is not in api::ROUTES"
            );
            assert_eq!(
                crate::daemon::api::action_of(&axum::http::Method::POST, &route),
                Some(a.audit)
            );
            assert_eq!(RunAction::named(a.name).map(|x| x.audit), Some(a.audit));
            assert!(a.question(7).contains("run 7"), "{}", a.confirm);
        }
    }
}

//! The mock's control plane under `/mock/`: no authentication, not Redfish.
//!
//! Tests and operators read what the BMC really holds here (versions, flash
//! counts, the request journal) instead of trusting what a client reports.

use crate::bmc::Bmc;
use crate::faults::Faults;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;

pub fn routes() -> Router<Arc<Bmc>> {
    Router::new()
        .route("/mock/state", get(state))
        .route("/mock/journal", get(journal))
        .route("/mock/faults", get(get_faults).post(set_faults))
}

async fn get_faults(State(bmc): State<Arc<Bmc>>) -> Json<Faults> {
    Json(bmc.lock().faults.clone())
}

/// Merge the posted faults into the BMC's; `{"expire_sessions": true}` drops
/// every session now; `{"reset": true}` clears all faults first.
async fn set_faults(
    State(bmc): State<Arc<Bmc>>,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let mut v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("bad JSON: {e}\n")).into_response(),
    };
    let reset = v
        .as_object_mut()
        .and_then(|o| o.remove("reset"))
        .and_then(|r| r.as_bool())
        .unwrap_or(false);
    let f: Faults = match serde_json::from_value(v) {
        Ok(f) => f,
        Err(e) => {
            let names = crate::faults::FAULT_NAMES.join(", ");
            return (
                StatusCode::BAD_REQUEST,
                format!("{e}\nknown faults: {names}\n"),
            )
                .into_response();
        }
    };
    let mut st = bmc.lock();
    if reset {
        st.faults = Faults::default();
    }
    st.faults.merge(&f);
    if Faults::on(f.expire_sessions) {
        let n = st.sessions.len() as u64;
        st.sessions.clear();
        st.journal.summary.sessions_expired += n;
        st.faults.expire_sessions = None;
    }
    if let Some(limit) = f.session_limit {
        st.session_policy.limit = limit;
    }
    if let Some(t) = f.session_timeout_secs {
        st.session_policy.idle_timeout = std::time::Duration::from_secs(t);
    }
    Json(st.faults.clone()).into_response()
}

async fn state(State(bmc): State<Arc<Bmc>>) -> Json<Value> {
    Json(bmc.state_json())
}

async fn journal(State(bmc): State<Arc<Bmc>>) -> Json<Value> {
    let st = bmc.lock();
    Json(json!({
        "summary": st.journal.summary,
        "entries": st.journal.entries,
    }))
}

/// A fleet-wide control listener (`serve --control ADDR`): `/mock/bmcs` lists the
/// BMCs, `/mock/bmcs/{name}/state` and `/journal` read one, also while that BMC
/// reboots and its own listener refuses connections.
pub fn fleet_routes(bmcs: Vec<Arc<Bmc>>) -> Router {
    use axum::extract::Path;
    let bmcs = Arc::new(bmcs);
    let find = |bmcs: &[Arc<Bmc>], name: &str| {
        bmcs.iter().find(|b| b.config.machine.name == name).cloned()
    };
    let b1 = bmcs.clone();
    let b2 = bmcs.clone();
    let b3 = bmcs.clone();
    Router::new()
        .route(
            "/mock/bmcs",
            get(move || {
                let bmcs = b1.clone();
                async move {
                    Json(json!(bmcs
                        .iter()
                        .map(|b| json!({"name": b.config.machine.name, "persona": b.config.machine.persona,
                                        "rebooting": b.lock().rebooting}))
                        .collect::<Vec<_>>()))
                }
            }),
        )
        .route(
            "/mock/bmcs/{name}/state",
            get(move |Path(name): Path<String>| {
                let bmcs = b2.clone();
                async move {
                    match find(&bmcs, &name) {
                        Some(b) => Json(b.state_json()).into_response(),
                        None => (StatusCode::NOT_FOUND, format!("no BMC named {name}\n")).into_response(),
                    }
                }
            }),
        )
        .route(
            "/mock/bmcs/{name}/journal",
            get(move |Path(name): Path<String>| {
                let bmcs = b3.clone();
                async move {
                    match find(&bmcs, &name) {
                        Some(b) => {
                            let st = b.lock();
                            Json(json!({"summary": st.journal.summary, "entries": st.journal.entries}))
                                .into_response()
                        }
                        None => (StatusCode::NOT_FOUND, format!("no BMC named {name}\n")).into_response(),
                    }
                }
            }),
        )
}

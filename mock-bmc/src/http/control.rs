//! The mock's control plane under `/mock/`: no authentication, not Redfish.
//!
//! Tests and operators read what the BMC really holds here (versions, flash
//! counts, the request journal) instead of trusting what a client reports.

use crate::bmc::Bmc;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;

pub fn routes() -> Router<Arc<Bmc>> {
    Router::new()
        .route("/mock/state", get(state))
        .route("/mock/journal", get(journal))
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

//! The HTTP API (docs/API.md, docs/openapi.yaml): the router and its
//! handlers. Every answer is JSON except `/metrics`; every error is
//! `{"error": {"code", "message"}}` ([`ApiError`]), unknown routes, wrong
//! methods, bad bodies and oversized bodies included. Everything but
//! `/healthz` needs the bearer token (`auth::require`).

use super::auth;
use super::error::ApiError;
use super::runs::{CancelError, StartError, Trigger};
use super::views::{Compliance, HostView};
use super::Daemon;
use crate::config::ResetPolicy;
use crate::repository::Repository;
use crate::store::Run;
use crate::updater::apply::{self, ApplyOptions};
use crate::vocab::Role;
use crate::vocab::StepOutcome;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Every route the router serves, as (method, path in OpenAPI spelling).
/// docs/openapi.yaml must describe each; a test holds both to it.
pub const ROUTES: [(&str, &str); 9] = [
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    ("GET", "/api/v1/hosts"),
    ("GET", "/api/v1/hosts/{name}"),
    ("GET", "/api/v1/runs"),
    ("POST", "/api/v1/runs"),
    ("GET", "/api/v1/runs/{id}"),
    ("POST", "/api/v1/runs/{id}/cancel"),
    ("GET", "/api/v1/schedule"),
];

/// The service's router; tests drive it through a real listener.
pub fn router(d: Arc<Daemon>) -> Router {
    let limit = d.cfg.daemon.max_body_bytes;
    let authed = Router::new()
        .route(ROUTES[1].1, get(metrics))
        .route(ROUTES[2].1, get(hosts))
        .route(ROUTES[3].1, get(host))
        .route(ROUTES[4].1, get(runs).post(start_run))
        .route(ROUTES[6].1, get(run))
        .route(ROUTES[7].1, post(cancel_run))
        .route(ROUTES[8].1, get(schedule))
        .route_layer(middleware::from_fn_with_state(d.clone(), auth::require));
    Router::new()
        .route(ROUTES[0].1, get(healthz))
        .merge(authed)
        .fallback(unknown_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(d)
}

async fn unknown_route(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!(
        "no route {}; the API is described in docs/API.md",
        uri.path()
    ))
}

async fn wrong_method(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        format!("{} does not take {method}", uri.path()),
    )
}

async fn healthz(State(d): State<Arc<Daemon>>) -> Json<Value> {
    let status = if d.shutdown.is_cancelled() {
        "stopping"
    } else {
        "ok"
    };
    Json(json!({"status": status}))
}

async fn metrics(State(d): State<Arc<Daemon>>) -> Result<Response, ApiError> {
    let view = d.views.get(&d.cfg, &d.store).await?;
    let text = d.metrics.render(&view, d.active_run().is_some());
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// A host in the list: identity, compliance, running versions, what would change.
fn host_summary(h: &HostView) -> Value {
    let inv = h.inventory.as_ref();
    let components: Vec<Value> = inv
        .map(|i| {
            i.components
                .iter()
                .filter(|c| c.role == Role::Active)
                .map(|c| json!({"kind": c.kind, "identity": c.identity, "version": c.version}))
                .collect()
        })
        .unwrap_or_default();
    let changes: Vec<Value> = h
        .plan
        .as_ref()
        .map(|p| {
            p.steps
                .iter()
                .filter(|s| s.action.is_change())
                .map(|s| json!({"identity": s.identity, "kind": s.kind, "from": s.from, "to": s.to, "action": s.action}))
                .collect()
        })
        .unwrap_or_default();
    let attention = h.plan.as_ref().map_or(0, |p| {
        p.steps
            .iter()
            .filter(|s| !s.action.is_compliant() && !s.action.is_change())
            .count()
    });
    json!({
        "name": h.name,
        "labels": h.labels,
        "compliance": h.compliance,
        "ok": inv.map(|i| i.ok),
        "error": inv.and_then(|i| i.error.clone()),
        "system": inv.map(|i| &i.system),
        "platform": inv.map(|i| &i.bmc.platform),
        "components": components,
        "changes": changes,
        "attention": attention,
    })
}

async fn hosts(State(d): State<Arc<Daemon>>) -> Result<Json<Value>, ApiError> {
    let view = d.views.get(&d.cfg, &d.store).await?;
    let mut by: BTreeMap<&str, usize> = Compliance::ALL.iter().map(|c| (c.as_str(), 0)).collect();
    for h in &view.hosts {
        *by.entry(h.compliance.as_str()).or_default() += 1;
    }
    Ok(Json(json!({
        "scan": view.scan,
        "repository_error": view.repository_error,
        "summary": {"hosts": view.hosts.len(), "by_compliance": by},
        "hosts": view.hosts.iter().map(host_summary).collect::<Vec<_>>(),
    })))
}

async fn host(
    State(d): State<Arc<Daemon>>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let view = d.views.get(&d.cfg, &d.store).await?;
    let h = view.hosts.iter().find(|h| h.name == name).ok_or_else(|| {
        ApiError::not_found(format!(
            "no host {name} in {}; GET /api/v1/hosts lists them",
            d.cfg.path.display()
        ))
    })?;
    Ok(Json(json!({
        "name": h.name,
        "labels": h.labels,
        "compliance": h.compliance,
        "inventory": h.inventory,
        "plan": h.plan,
        "repository_error": view.repository_error,
    })))
}

/// A run as the API shows it: options decoded, and whether it is the active one.
fn run_json(r: &Run, active: Option<i64>) -> Value {
    json!({
        "id": r.id,
        "started_at": r.started_at,
        "finished_at": r.finished_at,
        "status": r.status,
        "active": active == Some(r.id),
        "options": serde_json::from_str::<Value>(&r.options_json).unwrap_or(Value::Null),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunsQuery {
    limit: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleQuery {
    days: Option<u32>,
    hosts: Option<String>,
}

/// `fwfleet schedule` as JSON: each host's next windows and the planned
/// steps that fit in them, from the stored scans (no BMC is touched).
async fn schedule(
    State(d): State<Arc<Daemon>>,
    query: Result<Query<ScheduleQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(format!("query: {}", e.body_text())))?;
    let days = q.days.unwrap_or(7);
    if !(1..=super::preview::MAX_DAYS).contains(&days) {
        return Err(ApiError::bad_request(format!(
            "days {days} is not between 1 and {}",
            super::preview::MAX_DAYS
        )));
    }
    crate::updater::apply::host_filter(q.hosts.as_deref())
        .map_err(|e| ApiError::bad_request(format!("hosts: {e}")))?;
    let dir = d.cfg.repository.clone();
    let repo = tokio::task::spawn_blocking(move || Repository::open(&dir))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| {
            ApiError::new(
                StatusCode::CONFLICT,
                "no-repository",
                format!(
                    "cannot open the image repository {}: {e}",
                    d.cfg.repository.display()
                ),
            )
        })?;
    let opts = crate::updater::apply::ApplyOptions {
        hosts: q.hosts,
        ..Default::default()
    };
    let view =
        super::preview::view(&d.cfg, &d.store, &repo, &opts, chrono::Utc::now(), days).await?;
    Ok(Json(
        serde_json::to_value(view).map_err(|e| ApiError::internal(e.to_string()))?,
    ))
}

/// The largest `limit` of `GET /api/v1/runs`.
const MAX_RUNS_LISTED: usize = 1000;

async fn runs(
    State(d): State<Arc<Daemon>>,
    query: Result<Query<RunsQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(format!("query: {}", e.body_text())))?;
    let limit = q.limit.unwrap_or(20);
    if !(1..=MAX_RUNS_LISTED).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit {limit} is not between 1 and {MAX_RUNS_LISTED}"
        )));
    }
    let mut list = Vec::new();
    for r in d.store.list_runs(limit).await? {
        let mut by: BTreeMap<&str, usize> = BTreeMap::new();
        for st in d.store.steps(r.id).await? {
            *by.entry(st.outcome.map_or(st.state.as_str(), StepOutcome::as_str))
                .or_default() += 1;
        }
        list.push((r, by));
    }
    let active = d.active_run();
    let id = active.as_ref().map(|a| a.run_id);
    let runs: Vec<Value> = list
        .iter()
        .map(|(r, by)| {
            let mut v = run_json(r, id);
            v["steps_by_outcome"] = json!(by);
            v
        })
        .collect();
    Ok(Json(json!({"runs": runs, "active": active})))
}

fn run_id(text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>()
        .map_err(|_| ApiError::bad_request(format!("run id '{text}' is not a number")))
}

async fn run(
    State(d): State<Arc<Daemon>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = run_id(&id)?;
    let r =
        d.store.run(id).await?.ok_or_else(|| {
            ApiError::not_found(format!("no run {id}; GET /api/v1/runs lists them"))
        })?;
    let (steps, events) = (d.store.steps(id).await?, d.store.events(id).await?);
    let active = d.active_run().map(|a| a.run_id);
    Ok(Json(json!({
        "run": run_json(&r, active),
        "steps": steps,
        "events": events,
    })))
}

/// The body of `POST /api/v1/runs`: the options of `fwfleet apply`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    pub hosts: Option<String>,
    pub canary: Option<usize>,
    pub max_parallel: Option<usize>,
    pub failure_budget: Option<f64>,
    pub reset_policy: Option<ResetPolicy>,
    #[serde(default)]
    pub allow_downgrade: bool,
}

impl RunRequest {
    /// Parse and check the body the way `apply` checks its flags. An empty
    /// body is `{}`: every option from the config.
    fn parse(body: &[u8], d: &Daemon) -> Result<ApplyOptions, ApiError> {
        let req: RunRequest = if body.iter().all(u8::is_ascii_whitespace) {
            RunRequest::default()
        } else {
            let de = &mut serde_json::Deserializer::from_slice(body);
            serde_path_to_error::deserialize(de).map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                if path == "." || path.is_empty() {
                    ApiError::bad_request(format!("body: {inner}"))
                } else {
                    ApiError::bad_request(format!("body: `{path}`: {inner}"))
                }
            })?
        };
        if let Some(b) = req.failure_budget {
            if !(0.0..=1.0).contains(&b) {
                return Err(ApiError::bad_request(format!(
                    "failure_budget {b}: write a share between 0.0 and 1.0 (10% = 0.1)"
                )));
            }
        }
        if req.max_parallel == Some(0) {
            return Err(ApiError::bad_request("max_parallel must be at least 1"));
        }
        let filter = apply::host_filter(req.hosts.as_deref())
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        if let Some(g) = &filter {
            if !d.cfg.hosts.iter().any(|h| g.is_match(&h.name)) {
                return Err(ApiError::bad_request(format!(
                    "hosts '{}' matches no host in {}",
                    req.hosts.as_deref().unwrap_or(""),
                    d.cfg.path.display()
                )));
            }
        }
        Ok(ApplyOptions {
            hosts: req.hosts,
            canary: req.canary,
            max_parallel: req.max_parallel,
            failure_budget: req.failure_budget,
            reset_policy: req.reset_policy,
            allow_downgrade: req.allow_downgrade,
            poll: None,
        })
    }
}

fn body_error(e: BytesRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "the body is larger than daemon.max_body_bytes",
        )
    } else {
        ApiError::bad_request(format!("body: {}", e.body_text()))
    }
}

async fn start_run(
    State(d): State<Arc<Daemon>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(body_error)?;
    let opts = RunRequest::parse(&body, &d)?;
    let id = d.start_run(opts, Trigger::Api).await.map_err(|e| match e {
        StartError::Busy(_) => ApiError::conflict("run-active", e.to_string()),
        StartError::ShuttingDown => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting-down",
            e.to_string(),
        ),
        StartError::Failed(e) => e.into(),
    })?;
    let location = format!("/api/v1/runs/{id}");
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, location.clone())],
        Json(json!({"run_id": id, "status": "running", "location": location})),
    )
        .into_response())
}

async fn cancel_run(
    State(d): State<Arc<Daemon>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = run_id(&id)?;
    d.cancel_run(id, "POST /api/v1/runs/{id}/cancel")
        .await
        .map_err(|e| match e {
            CancelError::NotFound(_) => ApiError::not_found(e.to_string()),
            CancelError::NotActive { .. } => ApiError::conflict("run-not-active", e.to_string()),
            CancelError::Failed(e) => e.into(),
        })?;
    Ok((
        StatusCode::ACCEPTED,
        Json(
            json!({"run_id": id, "status": "cancelling", "location": format!("/api/v1/runs/{id}")}),
        ),
    )
        .into_response())
}

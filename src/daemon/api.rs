//! The HTTP API (docs/API.md, docs/openapi.yaml): the router and its
//! handlers. Every answer is JSON except `/metrics`; every error is
//! `{"error": {"code", "message"}}` ([`ApiError`]), unknown routes, wrong
//! methods, bad bodies and oversized bodies included. Everything but
//! `/healthz` needs a bearer token whose role the route allows
//! (`auth::require`); every mutating call is recorded in the audit trail
//! before it acts (`crate::audit`).

use super::actions::{self, Ask, RunAction, RUN_ACTIONS};
use super::auth;
use super::error::ApiError;
use super::runs::{StartError, Trigger};
use super::views::{Compliance, HostView};
use super::Daemon;
use crate::audit::{self, Call, Caller};
use crate::config::ResetPolicy;
use crate::repository::Repository;
use crate::store::Run;
use crate::updater::apply::ApplyOptions;
use crate::vocab::ApiRole;
use crate::vocab::Role;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Extension, Path, Query, State};
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
pub const ROUTES: [(&str, &str); 14] = [
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    ("GET", "/api/v1/hosts"),
    ("GET", "/api/v1/hosts/{name}"),
    ("GET", "/api/v1/runs"),
    ("POST", "/api/v1/runs"),
    ("GET", "/api/v1/runs/{id}"),
    ("POST", "/api/v1/runs/{id}/cancel"),
    ("GET", "/api/v1/schedule"),
    ("GET", AUDIT_ROUTE),
    ("POST", "/api/v1/runs/{id}/pause"),
    ("POST", "/api/v1/runs/{id}/resume"),
    ("POST", "/api/v1/runs/{id}/approve"),
    ("GET", FLEET_ROUTE),
];

/// The fleet page's JSON twin: the compliance roll-up and the model × kind
/// matrix.
pub const FLEET_ROUTE: &str = "/api/v1/fleet";

/// The audit trail (admin only).
pub const AUDIT_ROUTE: &str = "/api/v1/audit";

/// The audit trail's name for a mutating route (`None` for reads).
pub fn action_of(method: &axum::http::Method, route: &str) -> Option<&'static str> {
    let action = route
        .strip_prefix("/api/v1/runs/{id}/")
        .and_then(RunAction::named);
    match (method.as_str(), route, action) {
        ("POST", "/api/v1/runs", _) => Some("runs.start"),
        ("POST", _, Some(a)) => Some(a.audit),
        ("GET" | "HEAD", _, _) => None,
        _ => Some("api.other"),
    }
}

/// The service's router; tests drive it through a real listener.
pub fn router(d: Arc<Daemon>) -> Router {
    let limit = d.cfg().daemon.max_body_bytes;
    let mut authed = Router::new()
        .route(ROUTES[1].1, get(metrics))
        .route(ROUTES[2].1, get(hosts))
        .route(ROUTES[3].1, get(host))
        .route(ROUTES[4].1, get(runs).post(start_run))
        .route(ROUTES[6].1, get(run))
        .route(ROUTES[8].1, get(schedule))
        .route(ROUTES[9].1, get(audit_trail))
        .route(FLEET_ROUTE, get(fleet));
    // pause, resume, cancel, approve (ROUTES 7, 10, 11, 12): one route per row of the
    // actions table, all through `actions::perform`.
    for a in &RUN_ACTIONS {
        authed = authed.route(
            &format!("/api/v1/runs/{{id}}/{}", a.name),
            post(
                move |State(d): State<Arc<Daemon>>,
                      Extension(caller): Extension<Caller>,
                      Path(id): Path<String>,
                      body: Bytes| act(d, caller, id, body, a),
            ),
        );
    }
    let authed = authed.route_layer(middleware::from_fn_with_state(d.clone(), auth::require));
    Router::new()
        .route(ROUTES[0].1, get(healthz))
        .merge(authed)
        .merge(crate::dashboard::router(d.clone()))
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
    let view = d.views.get(&d.cfg(), &d.store).await?;
    let mut text = d.metrics.render(&view, d.active_run().is_some());
    let state = match d.active_run() {
        Some(a) => match d.store.control(a.run_id).await? {
            Some(c) => Some(c.state()),
            None => Some("running"),
        },
        None => None,
    };
    text.push_str(&super::metrics::control_lines(state));
    text.push_str(&super::metrics::notify_lines(&d.notify.stats()));
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

/// `GET /api/v1/hosts?hosts=…&selector=…&exclude=…`: the CLI's selection.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct HostsQuery {
    hosts: Option<String>,
    selector: Option<String>,
    exclude: Option<String>,
}

async fn hosts(
    State(d): State<Arc<Daemon>>,
    query: Result<Query<HostsQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(format!("query: {}", e.body_text())))?;
    let list = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
    let chosen = crate::select::HostSelector::parse(
        &list(&q.hosts),
        q.selector.as_deref(),
        &list(&q.exclude),
        crate::select::Source::Api,
    )
    .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let view = d.views.get(&d.cfg(), &d.store).await?;
    let shown: Vec<&HostView> = view
        .hosts
        .iter()
        .filter(|h| chosen.matches(&h.name, &h.labels))
        .collect();
    let mut by: BTreeMap<&str, usize> = Compliance::ALL.iter().map(|c| (c.as_str(), 0)).collect();
    for h in &shown {
        *by.entry(h.compliance.as_str()).or_default() += 1;
    }
    Ok(Json(json!({
        "scan": view.scan,
        "repository_error": view.repository_error,
        "summary": {"hosts": shown.len(), "by_compliance": by},
        "hosts": shown.iter().map(|h| host_summary(h)).collect::<Vec<_>>(),
    })))
}

/// `GET /api/v1/fleet`: the fleet page's numbers: hosts per compliance
/// status, the model × kind matrix, the latest scan and its age, the
/// active run.
async fn fleet(State(d): State<Arc<Daemon>>) -> Result<Json<Value>, ApiError> {
    let view = d.views.get(&d.cfg(), &d.store).await?;
    let r = view.rollup();
    let by: serde_json::Map<String, Value> = r
        .by_compliance
        .iter()
        .map(|(c, n)| (c.as_str().to_string(), json!(n)))
        .collect();
    let age = view.scan.as_ref().and_then(|s| {
        chrono::DateTime::parse_from_rfc3339(&s.scanned_at)
            .ok()
            .map(|t| (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_seconds())
    });
    Ok(Json(json!({
        "scan": view.scan,
        "inventory_age_secs": age,
        "repository_error": view.repository_error,
        "summary": {"hosts": r.hosts, "by_compliance": by},
        "matrix": r.matrix,
        "active": d.active_run(),
    })))
}

async fn host(
    State(d): State<Arc<Daemon>>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let view = d.views.get(&d.cfg(), &d.store).await?;
    let h = view.hosts.iter().find(|h| h.name == name).ok_or_else(|| {
        ApiError::not_found(format!(
            "no host {name} in {}; GET /api/v1/hosts lists them",
            d.cfg().path.display()
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

/// A run's steering as the API shows it: `state` is `running`, `pausing`,
/// `paused`, `resuming` or `cancelling` while the run runs, else its status;
/// the rest is who asked what, why, and what the executor acknowledged.
pub fn control_json(r: &Run, c: Option<&crate::store::RunControl>) -> Value {
    let state = match (r.status, c) {
        (crate::vocab::RunStatus::Running, Some(c)) => c.state(),
        (s, _) => s.as_str(),
    };
    match c {
        None => json!({"state": state}),
        Some(c) => json!({
            "state": state,
            "requested": c.requested,
            "requested_by": c.requested_by,
            "reason": c.reason,
            "requested_at": c.requested_at,
            "acked": c.acked,
            "acked_at": c.acked_at,
        }),
    }
}

/// A running run waiting at a phase gate: `waiting: {phase, since}`, and
/// `control.state` says `waiting` unless a pause or cancel is asked.
pub fn with_gate(run: &mut Value, waiting: Option<&crate::updater::approval::Waiting>) {
    let Some(w) = waiting else {
        return;
    };
    run["waiting"] = json!(w);
    if !run["control"].is_object() {
        run["control"] = json!({"state": "running"});
    }
    if run["control"]["state"] == "running" {
        run["control"]["state"] = json!("waiting");
    }
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
    crate::select::HostSelector::parse(
        &q.hosts.iter().cloned().collect::<Vec<_>>(),
        None,
        &[],
        crate::select::Source::Api,
    )
    .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let dir = d.cfg().repository.clone();
    let repo = tokio::task::spawn_blocking(move || Repository::open(&dir))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| {
            ApiError::new(
                StatusCode::CONFLICT,
                "no-repository",
                format!(
                    "cannot open the image repository {}: {e}",
                    d.cfg().repository.display()
                ),
            )
        })?;
    let opts = crate::updater::apply::ApplyOptions {
        hosts: q.hosts,
        ..Default::default()
    };
    let view =
        super::preview::view(&d.cfg(), &d.store, &repo, &opts, chrono::Utc::now(), days).await?;
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
    let listed = d.store.list_runs(limit).await?;
    let mut counts = d
        .store
        .step_counts(listed.iter().map(|r| r.id).collect())
        .await?;
    for r in listed {
        let by = counts.remove(&r.id).unwrap_or_default();
        let c = if r.status == crate::vocab::RunStatus::Running {
            d.store.control(r.id).await?
        } else {
            None
        };
        let control = control_json(&r, c.as_ref());
        list.push((r, by, control));
    }
    let active = d.active_run();
    let id = active.as_ref().map(|a| a.run_id);
    let runs: Vec<Value> = list
        .iter()
        .map(|(r, by, control)| {
            let mut v = run_json(r, id);
            v["steps_by_outcome"] = json!(by);
            v["control"] = control.clone();
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
    let mut run = run_json(&r, active);
    run["control"] = control_json(&r, d.store.control(id).await?.as_ref());
    if r.status == crate::vocab::RunStatus::Running {
        with_gate(
            &mut run,
            crate::updater::approval::waiting(&events).as_ref(),
        );
    }
    let plan = d.store.frozen_plan(id).await?;
    Ok(Json(json!({
        "run": run,
        "plan": plan,
        "steps": steps,
        "events": events,
    })))
}

/// The body of `POST /api/v1/runs`: the options of `fwfleet apply`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// Host names or globs, comma-separated (`fwfleet apply --hosts`).
    pub hosts: Option<String>,
    /// A label selector (`--selector`): `rack=r12,role in (db,web),!canary`.
    pub selector: Option<String>,
    /// Host names or globs to leave out (`--exclude`).
    pub exclude: Option<String>,
    /// Component kinds to update (`--kinds`); absent or empty: every kind.
    #[serde(default)]
    pub kinds: Vec<crate::vocab::Kind>,
    pub canary: Option<usize>,
    pub max_parallel: Option<usize>,
    pub failure_budget: Option<f64>,
    pub reset_policy: Option<ResetPolicy>,
    #[serde(default)]
    pub allow_downgrade: bool,
    /// Start on hosts inside a change freeze anyway, for this reason
    /// (recorded; admin role).
    pub override_freeze: Option<String>,
    /// The seed of the phases' cohorts (`fwfleet apply --seed`).
    pub seed: Option<u64>,
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
        if req
            .override_freeze
            .as_deref()
            .is_some_and(|r| r.trim().is_empty())
        {
            return Err(ApiError::bad_request(
                "override_freeze needs a reason: it is recorded with the run",
            ));
        }
        let opts = ApplyOptions {
            hosts: req.hosts,
            selector: req.selector,
            exclude: req.exclude,
            kinds: req.kinds,
            canary: req.canary,
            max_parallel: req.max_parallel,
            failure_budget: req.failure_budget,
            reset_policy: req.reset_policy,
            allow_downgrade: req.allow_downgrade,
            override_freeze: req.override_freeze,
            seed: req.seed,
            ..ApplyOptions::default()
        };
        let chosen = opts
            .host_selector(crate::select::Source::Api)
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        if !chosen.is_everything()
            && !d
                .cfg()
                .hosts
                .iter()
                .any(|h| chosen.matches(&h.name, &h.labels))
        {
            return Err(ApiError::bad_request(format!(
                "{} matches no host in {}",
                chosen.describe(crate::select::Source::Api),
                d.cfg().path.display()
            )));
        }
        Ok(opts)
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

/// The body as the audit trail keeps it: bounded, control characters out
/// (the API takes no secret in a body).
fn body_detail(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .filter(|c| !c.is_control())
        .take(1000)
        .collect()
}

/// What a run request needs beyond `operator`: downgrades and forced resets
/// are the admin's.
fn run_role(opts: &ApplyOptions) -> (ApiRole, &'static str) {
    if opts.allow_downgrade {
        (ApiRole::Admin, "allow_downgrade")
    } else if opts.override_freeze.is_some() {
        (ApiRole::Admin, "override_freeze")
    } else if opts.reset_policy == Some(ResetPolicy::Force) {
        (ApiRole::Admin, "reset_policy force")
    } else {
        (ApiRole::Operator, "a run")
    }
}

async fn start_run(
    State(d): State<Arc<Daemon>>,
    Extension(caller): Extension<Caller>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let text = match &body {
        Ok(b) => body_detail(b),
        Err(e) => format!("unreadable body: {}", e.body_text()),
    };
    let pending = audit::begin(
        &d.store,
        &caller,
        Call {
            action: "runs.start",
            target: None,
            detail: Some(&text),
        },
    )
    .await?;
    let opts = match body
        .map_err(body_error)
        .and_then(|b| RunRequest::parse(&b, &d))
    {
        Ok(o) => o,
        Err(e) => {
            pending.failed(e.message.clone()).await;
            return Err(e);
        }
    };
    let (needed, what) = run_role(&opts);
    if !auth::need(&caller, needed) {
        pending.denied(format!("{what} needs role {needed}")).await;
        let role = caller.role.unwrap_or(ApiRole::Viewer);
        return Ok(auth::forbidden(
            caller.who.trim_start_matches("token:"),
            role,
            needed,
            &format!("POST /api/v1/runs with {what}"),
        ));
    }
    let id = match d.start_run(opts, Trigger::Api).await {
        Ok(id) => id,
        Err(e) => {
            let e = match e {
                StartError::Busy(_) => ApiError::conflict("run-active", e.to_string()),
                StartError::Frozen(_) => ApiError::conflict("frozen", e.to_string()),
                StartError::ShuttingDown => ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "shutting-down",
                    e.to_string(),
                ),
                StartError::Failed(e) => e.into(),
            };
            pending.failed(e.message.clone()).await;
            return Err(e);
        }
    };
    pending.ok(Some(format!("run {id}"))).await;
    let location = format!("/api/v1/runs/{id}");
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, location.clone())],
        Json(json!({"run_id": id, "status": "running", "location": location})),
    )
        .into_response())
}

/// The optional body of pause, resume and cancel: `{"reason": "…"}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SteerRequest {
    reason: Option<String>,
}

fn steer_reason(body: &[u8]) -> Result<Option<String>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let r: SteerRequest = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!(
            "body: {e}; send nothing or {{\"reason\": \"why\"}}"
        ))
    })?;
    Ok(r.reason
        .map(|s| s.chars().filter(|c| !c.is_control()).take(500).collect()))
}

/// Pause, resume, cancel (a row of [`RUN_ACTIONS`]): recorded in the store
/// (who, why) and audited by `actions::perform`, which the dashboard's
/// buttons call too; the run's executor acts on it within moments
/// (`GET /api/v1/runs/{id}` shows `control.state` move from `pausing` to
/// `paused`).
async fn act(
    d: Arc<Daemon>,
    caller: Caller,
    id: String,
    body: Bytes,
    action: &'static RunAction,
) -> Result<Response, ApiError> {
    let ask = Ask {
        run: id,
        reason: steer_reason(&body).map_err(|e| e.message),
        detail: (!body.is_empty()).then(|| body_detail(&body)),
    };
    let done = actions::perform(&d, &caller, action, ask).await?;
    let id = done.run_id;
    Ok((
        StatusCode::ACCEPTED,
        Json(match &done.phase {
            Some(phase) => json!({"run_id": id, "status": done.state, "phase": phase, "location": format!("/api/v1/runs/{id}")}),
            None => json!({"run_id": id, "status": done.state, "location": format!("/api/v1/runs/{id}")}),
        }),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    limit: Option<usize>,
    before: Option<i64>,
}

/// The largest `limit` of `GET /api/v1/audit`.
const MAX_AUDIT_LISTED: usize = 10_000;

/// `GET /api/v1/audit`: newest first; page with `before` (the last id seen).
async fn audit_trail(
    State(d): State<Arc<Daemon>>,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(format!("query: {}", e.body_text())))?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=MAX_AUDIT_LISTED).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit {limit} is not between 1 and {MAX_AUDIT_LISTED}"
        )));
    }
    let entries = d.store.audit(limit, q.before).await?;
    Ok(Json(json!({ "entries": entries })))
}

//! The runs pages: the list (`/runs`), one run (`/runs/{id}`: state, ETA
//! against its window, phases, the host grid by state, the frozen plan,
//! the latest events, the action buttons), the actions' forms
//! (`POST /runs/{id}/{action}`, through `crate::daemon::actions::perform`
//! like the API) and the live stream (`GET /runs/{id}/events`, SSE).
//!
//! Handlers read the store; `render_*`, [`host_states`] and [`phases`] are
//! pure, so tests and the stream share them with the page.

use super::layout::{self, segment, Nav, Page};
use super::session::{self, Session};
use super::Dash;
use crate::audit::Caller;
use crate::daemon::actions::{self, Ask, RunAction, RUN_ACTIONS};
use crate::store::{Event, Run, Step};
use crate::updater::control::PlanEntry;
use crate::vocab::{RunStatus, StepOutcome, StepState};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono::{DateTime, Utc};
use maud::{html, Markup};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Runs per page of `/runs`.
pub const RUNS_PER_PAGE: usize = 25;
/// Frozen-plan rows per page of `/runs/{id}`.
pub const PLAN_PER_PAGE: usize = 200;
/// Events the run page shows (the newest).
const EVENTS_SHOWN: usize = 100;
/// How often a live stream reads the run's steps.
pub const STREAM_POLL: Duration = Duration::from_millis(400);
/// How long a stream waits for a browser that stopped reading before it
/// ends (the browser reconnects and gets a fresh snapshot).
const STREAM_STALL: Duration = Duration::from_secs(10);
/// Live streams served at once (each reads the store every [`STREAM_POLL`]);
/// more are answered 503 and the page stays readable without them.
pub const MAX_STREAMS: usize = 64;

/// The grid's word for a host that has not started.
pub const WAITING: &str = "waiting";

fn unavailable(e: impl std::fmt::Display) -> Response {
    layout::error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string())
}

fn see_other(to: String) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

/// `?page=N` (and `plan_page=N`), 1-based.
fn page_of(raw: Option<&str>, key: &str) -> usize {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1)
}

/// A run's options as stored (`updater::apply::RunOptions`), read leniently:
/// runs of older fwfleets lack fields.
fn options(r: &Run) -> Value {
    serde_json::from_str(&r.options_json).unwrap_or(Value::Null)
}

fn trigger(r: &Run) -> String {
    let o = options(r);
    o["trigger"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| o["command"].as_str().unwrap_or("").to_string())
}

/// The word a running run's control gives (`running`, `pausing`, `paused`,
/// `resuming`, `cancelling`), else its status.
fn state_word(r: &Run, c: Option<&crate::store::RunControl>) -> String {
    match (r.status, c) {
        (RunStatus::Running, Some(c)) => c.state().to_string(),
        (s, _) => s.as_str().to_string(),
    }
}

/// One line of the runs list.
#[derive(Debug, Clone)]
pub struct RunLine {
    pub run: Run,
    pub state: String,
    pub steps: BTreeMap<String, usize>,
}

/// `GET /runs?page=N`: newest first (JSON twin: `GET /api/v1/runs`).
pub async fn list(
    State(dash): State<Arc<Dash>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(s) = dash.sessions.get(&headers) else {
        return session::redirect("/signin");
    };
    let page = page_of(raw.as_deref(), "page");
    let store = &dash.daemon.store;
    let read = async {
        let all = store.list_runs(page * RUNS_PER_PAGE + 1).await?;
        let more = all.len() > page * RUNS_PER_PAGE;
        let shown: Vec<Run> = all
            .into_iter()
            .skip((page - 1) * RUNS_PER_PAGE)
            .take(RUNS_PER_PAGE)
            .collect();
        let mut counts = store
            .step_counts(shown.iter().map(|r| r.id).collect())
            .await?;
        let mut lines = Vec::with_capacity(shown.len());
        for r in shown {
            let c = if r.status == RunStatus::Running {
                store.control(r.id).await?
            } else {
                None
            };
            lines.push(RunLine {
                state: state_word(&r, c.as_ref()),
                steps: counts.remove(&r.id).unwrap_or_default(),
                run: r,
            });
        }
        Ok::<_, crate::store::StoreError>((lines, more))
    };
    let (lines, more) = match read.await {
        Ok(x) => x,
        Err(e) => return unavailable(e),
    };
    let active = dash.daemon.active_run().map(|a| a.run_id);
    layout::page(
        StatusCode::OK,
        Page::new("Runs").nav(Nav::Runs),
        Some(&s),
        render_list(&lines, active, page, more),
    )
}

/// The runs list's body.
pub fn render_list(lines: &[RunLine], active: Option<i64>, page: usize, more: bool) -> Markup {
    html! {
        h1 { "Runs" }
        @if lines.is_empty() {
            p.note { "No runs on this page." }
        } @else {
            table.runs #runs {
                tr { th { "run" } th { "state" } th { "trigger" } th { "started" } th { "finished" } th { "steps" } }
                @for l in lines {
                    tr data-run=(l.run.id) data-state=(l.state) {
                        td.n {
                            a href=(format!("/runs/{}", l.run.id)) { (l.run.id) }
                            @if active == Some(l.run.id) { " " span.badge { "active" } }
                        }
                        td class=(format!("st-{}", l.state)) { (l.state) }
                        td { (trigger(&l.run)) }
                        td { (l.run.started_at) }
                        td { (l.run.finished_at.as_deref().unwrap_or("")) }
                        td {
                            @for (i, (word, n)) in l.steps.iter().enumerate() {
                                @if i > 0 { ", " }
                                span class=(format!("st-{word}")) data-state=(word) { (n) " " (word) }
                            }
                        }
                    }
                }
            }
        }
        p.pager {
            @if page > 1 { a href=(format!("/runs?page={}", page - 1)) rel="prev" { "← newer" } }
            span { "page " (page) }
            @if more { a href=(format!("/runs?page={}", page + 1)) rel="next" { "older →" } }
        }
    }
}

/// Where each host of a run stands, in plan order (hosts the journal has
/// but the plan lacks come after): the grid's cells and the stream's
/// events. A host is its first step on the way (`submitted`, `running`,
/// `verifying`, `reset-sent`), else the first way a step ended short of
/// success (`failed`, `held`, …), else `updated` / `staged` once every
/// planned step succeeded, else `running` between its steps, else
/// [`WAITING`].
pub fn host_states(plan: &[PlanEntry], steps: &[Step]) -> Vec<(String, &'static str)> {
    let mut order: Vec<&str> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut planned: HashMap<&str, usize> = HashMap::new();
    for p in plan {
        *planned.entry(p.host.as_str()).or_default() += 1;
        if seen.insert(p.host.as_str()) {
            order.push(p.host.as_str());
        }
    }
    let mut by_host: HashMap<&str, Vec<&Step>> = HashMap::new();
    for st in steps {
        if seen.insert(st.host.as_str()) {
            order.push(st.host.as_str());
        }
        by_host.entry(st.host.as_str()).or_default().push(st);
    }
    order
        .into_iter()
        .map(|h| {
            let mine = by_host.get(h).map(Vec::as_slice).unwrap_or(&[]);
            (h.to_string(), host_state(mine, planned.get(h).copied()))
        })
        .collect()
}

fn host_state(steps: &[&Step], planned: Option<usize>) -> &'static str {
    if let Some(st) = steps
        .iter()
        .find(|s| s.state != StepState::Done && s.state != StepState::Planned)
    {
        return st.state.as_str();
    }
    let ended: Vec<StepOutcome> = steps.iter().filter_map(|s| s.outcome).collect();
    if let Some(o) = ended.iter().find(|o| !o.is_success()) {
        return o.as_str();
    }
    let wanted = planned.unwrap_or(steps.len()).max(1);
    if ended.len() >= wanted {
        return if ended.contains(&StepOutcome::Staged) {
            StepOutcome::Staged.as_str()
        } else {
            StepOutcome::Updated.as_str()
        };
    }
    if ended.is_empty() {
        WAITING
    } else {
        StepState::Running.as_str()
    }
}

/// Whether a grid word is an end (an outcome).
fn ended(word: &str) -> bool {
    StepOutcome::parse(word).is_ok()
}

/// One phase of a run: canaries, then waves, as `updater::rollout` runs
/// them. Gated phases (`[[rollout.phases]]`, with `gate-waiting` /
/// `approved` journal events) are to be drawn here too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phase {
    /// `canary`, `wave-1`, … (the names of `phase.started` notifications).
    pub name: String,
    pub hosts: Vec<String>,
    /// `waiting`, `in-progress`, `done`; for a configured phase also
    /// `halted` (its gate stopped the rollout) and `gate-waiting` (it ended
    /// and the next phase waits for approval).
    pub state: &'static str,
    /// What its gate said, for configured phases (`[[rollout.phases]]`):
    /// `passed`, `halted`, `waiting for approval since …`, `approved by …`.
    pub gate: Option<String>,
}

/// The journal events that say which phases a run has and how their gates
/// went: read whole from the store (a gate event may be older than the
/// latest events the page lists).
pub const PHASE_EVENTS: &[&str] = &[
    "phases",
    "phase-ended",
    crate::updater::approval::WAITING,
    crate::updater::approval::APPROVED,
];

/// What decides a run's phases beyond its plan.
#[derive(Debug, Clone, Default)]
pub struct PhaseRules {
    /// `canary` of the run's options: the first N hosts, unless some host
    /// is labelled `canary`.
    pub canary: usize,
    /// Hosts per wave (the config's `wave_size`, else the run's `max_parallel`).
    pub wave_size: usize,
    /// Hosts labelled `canary` in the config.
    pub labelled: HashSet<String>,
}

/// The run's phases from its plan's host order, the rules and where each
/// host stands (the same split as `updater::rollout::split_canaries`).
pub fn phases(
    states: &[(String, &'static str)],
    plan: &[PlanEntry],
    rules: &PhaseRules,
) -> Vec<Phase> {
    let mut hosts: Vec<&str> = Vec::new();
    let mut seen = HashSet::new();
    for p in plan {
        if seen.insert(p.host.as_str()) {
            hosts.push(&p.host);
        }
    }
    let labelled = hosts.iter().any(|h| rules.labelled.contains(*h));
    type Hosts<'a> = Vec<(usize, &'a str)>;
    let (canaries, rest): (Hosts<'_>, Hosts<'_>) =
        hosts.iter().copied().enumerate().partition(|(i, h)| {
            if labelled {
                rules.labelled.contains(*h)
            } else {
                *i < rules.canary
            }
        });
    let word: HashMap<&str, &str> = states.iter().map(|(h, w)| (h.as_str(), *w)).collect();
    let phase = |name: String, hs: &[(usize, &str)]| {
        let words: Vec<&str> = hs
            .iter()
            .map(|(_, h)| word.get(h).copied().unwrap_or(WAITING))
            .collect();
        let state = if words.iter().all(|w| ended(w)) {
            "done"
        } else if words.iter().all(|w| *w == WAITING) {
            "waiting"
        } else {
            "in-progress"
        };
        Phase {
            name,
            hosts: hs.iter().map(|(_, h)| h.to_string()).collect(),
            state,
            gate: None,
        }
    };
    let mut out = Vec::new();
    if !canaries.is_empty() {
        out.push(phase("canary".into(), &canaries));
    }
    for (i, wave) in rest.chunks(rules.wave_size.max(1)).enumerate() {
        out.push(phase(format!("wave-{}", i + 1), wave));
    }
    out
}

/// A phased run's phases as its journal recorded them (the `phases` event:
/// seed and cohorts), each with where its hosts stand and what its gate
/// said; `None` for a run of canaries and waves, or one whose line does
/// not read back (then [`phases`] splits the plan as before).
pub fn recorded_phases(
    states: &[(String, &'static str)],
    events: &[Event],
) -> Option<(u64, Vec<Phase>)> {
    use crate::updater::approval;
    let line = events.iter().rev().find(|e| e.kind == "phases")?;
    let (seed, cohorts) = crate::updater::phases::parse_journal_line(&line.message)?;
    let word: HashMap<&str, &str> = states.iter().map(|(h, w)| (h.as_str(), *w)).collect();
    let waiting = approval::waiting(events);
    let phases = cohorts
        .into_iter()
        .map(|(name, hosts)| {
            let words: Vec<&str> = hosts
                .iter()
                .map(|h| word.get(h.as_str()).copied().unwrap_or(WAITING))
                .collect();
            let end = events.iter().rev().find(|e| {
                e.kind == "phase-ended" && approval::phase_of(&e.message) == Some(name.as_str())
            });
            let gate_word = end.and_then(|e| e.message.rsplit_once("gate ").map(|(_, g)| g));
            let mut state = if words.iter().all(|w| ended(w)) {
                "done"
            } else if words.iter().all(|w| *w == WAITING) {
                "waiting"
            } else {
                "in-progress"
            };
            let mut gate = gate_word.map(str::to_string);
            if gate_word == Some("halted") {
                state = "halted";
            }
            if let Some(w) = waiting.as_ref().filter(|w| w.phase == name) {
                state = "gate-waiting";
                gate = Some(format!("waiting for approval since {}", w.since));
            } else if let Some(by) = approval::approved_by(events, &name) {
                gate = Some(format!("approved by {by}"));
            }
            Phase {
                name,
                hosts,
                state,
                gate,
            }
        })
        .collect();
    Some((seed, phases))
}

/// The run's finish, extrapolated from its steps so far: elapsed × planned
/// ÷ ended. `None` before the first step ends.
pub fn eta(
    started: DateTime<Utc>,
    now: DateTime<Utc>,
    ended: usize,
    planned: usize,
) -> Option<DateTime<Utc>> {
    if ended == 0 || planned == 0 {
        return None;
    }
    let elapsed = (now - started).num_milliseconds().max(0);
    let total = elapsed.saturating_mul(planned as i64) / ended as i64;
    Some(started + chrono::Duration::milliseconds(total))
}

/// Everything the run page shows.
#[derive(Debug, Clone)]
pub struct RunData {
    pub run: Run,
    pub state: String,
    pub active: bool,
    pub plan: Option<crate::store::FrozenPlan>,
    pub entries: Vec<PlanEntry>,
    pub steps: Vec<Step>,
    pub events: Vec<Event>,
    /// [`PHASE_EVENTS`], all of them.
    pub phase_events: Vec<Event>,
    pub rules: PhaseRules,
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

async fn run_data(dash: &Dash, id: i64) -> Result<Option<RunData>, crate::store::StoreError> {
    let store = &dash.daemon.store;
    let Some(run) = store.run(id).await? else {
        return Ok(None);
    };
    let control = store.control(id).await?;
    let mut plan = store.frozen_plan(id).await?;
    // The entries are taken out, not cloned (10,000 of them in a big run).
    let entries: Vec<PlanEntry> = plan
        .as_mut()
        .and_then(|p| serde_json::from_value(p.plan.take()).ok())
        .unwrap_or_default();
    let steps = store.steps(id).await?;
    let events = store.recent_events(id, EVENTS_SHOWN).await?;
    let phase_events = store.events_of_kinds(id, PHASE_EVENTS).await?;
    let cfg = dash.daemon.cfg();
    let o = options(&run);
    let as_n = |v: &Value| v.as_u64().map(|n| n as usize);
    let rules = PhaseRules {
        canary: as_n(&o["canary"]).unwrap_or(cfg.rollout.canary),
        wave_size: cfg
            .rollout
            .wave_size
            .or_else(|| as_n(&o["max_parallel"]))
            .unwrap_or(cfg.rollout.max_parallel),
        labelled: cfg
            .hosts
            .iter()
            .filter(|h| h.is_canary())
            .map(|h| h.name.clone())
            .collect(),
    };
    // A run at a phase gate (`gate-waiting` with no `approved` after it)
    // is `waiting`, as the API's `control.state`.
    let mut state = state_word(&run, control.as_ref());
    if state == "running" && crate::updater::approval::waiting(&phase_events).is_some() {
        state = "waiting".into();
    }
    Ok(Some(RunData {
        state,
        active: dash.daemon.active_run().is_some_and(|a| a.run_id == id),
        run,
        plan,
        entries,
        steps,
        events,
        phase_events,
        rules,
    }))
}

fn run_id(text: &str) -> Result<i64, Box<Response>> {
    text.parse::<i64>().map_err(|_| {
        Box::new(layout::error(
            StatusCode::BAD_REQUEST,
            &format!("Run id '{text}' is not a number."),
        ))
    })
}

/// `GET /runs/{id}?plan_page=N` (JSON twin: `GET /api/v1/runs/{id}`).
pub async fn run(
    State(dash): State<Arc<Dash>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(s) = dash.sessions.get(&headers) else {
        return session::redirect("/signin");
    };
    let id = match run_id(&id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let data = match run_data(&dash, id).await {
        Ok(Some(d)) => d,
        Ok(None) => return layout::error(StatusCode::NOT_FOUND, &format!("No run {id}.")),
        Err(e) => return unavailable(e),
    };
    let plan_page = page_of(raw.as_deref(), "plan_page");
    layout::page(
        StatusCode::OK,
        Page::new(&format!("Run {id}")).nav(Nav::Runs),
        Some(&s),
        render_run(&data, &s, Utc::now(), plan_page),
    )
}

/// The phases, as the run page draws them: the one place a phase's looks
/// live (gates come here).
pub fn render_phases(phases: &[Phase], seed: Option<u64>) -> Markup {
    html! {
        @if let Some(seed) = seed {
            p.note #seed data-seed=(seed) { "Configured phases ([[rollout.phases]]), cohorts chosen with seed " (seed) "." }
        }
        @if phases.is_empty() {
            p.note { "No phases yet: the run has no frozen plan." }
        } @else {
            ol.phases #phases {
                @for p in phases {
                    li data-phase=(p.name) data-state=(p.state) class=(format!("ph-{}", p.state)) {
                        strong { (p.name) } " · " (p.hosts.len()) " host(s) · " span.state { (p.state) }
                        @if let Some(g) = &p.gate { " · gate " span.gate { (g) } }
                        @if !p.hosts.is_empty() {
                            " · " span.note {
                                @for (i, h) in p.hosts.iter().take(10).enumerate() {
                                    @if i > 0 { ", " }
                                    (h)
                                }
                                @if p.hosts.len() > 10 { " and " (p.hosts.len() - 10) " more" }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The run page's body.
pub fn render_run(d: &RunData, s: &Session, now: DateTime<Utc>, plan_page: usize) -> Markup {
    let id = d.run.id;
    let states = host_states(&d.entries, &d.steps);
    let (seed, phases) = match recorded_phases(&states, &d.phase_events) {
        Some((seed, p)) => (Some(seed), p),
        None => (None, phases(&states, &d.entries, &d.rules)),
    };
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, w) in &states {
        *counts.entry(w).or_default() += 1;
    }
    let planned = d.entries.len().max(d.steps.len());
    let done = d
        .steps
        .iter()
        .filter(|s| s.state == StepState::Done)
        .count();
    let o = options(&d.run);
    let window_end = o["window"]["end"].as_str().and_then(parse_time);
    let started = parse_time(&d.run.started_at);
    let running = d.run.status == RunStatus::Running;
    let eta = started
        .filter(|_| running)
        .and_then(|t| eta(t, now, done, planned));
    let offered: Vec<&RunAction> = RUN_ACTIONS
        .iter()
        .filter(|a| running && s.may(a.role) && a.offered_in.contains(&d.state.as_str()))
        .collect();
    let pages = d.entries.len().div_ceil(PLAN_PER_PAGE).max(1);
    let plan_page = plan_page.min(pages);
    html! {
        h1 { "Run " (id) }
        p #run-summary {
            "State: " span #run-state data-state=(d.state) class=(format!("st-{}", d.state)) { (d.state) }
            " · status " span #run-status data-status=(d.run.status.as_str()) { (d.run.status.as_str()) }
            @if d.active { " · " span.badge { "active" } }
            " · trigger " (trigger(&d.run))
            " · started " (d.run.started_at)
            @if let Some(f) = &d.run.finished_at { " · finished " (f) }
        }
        p #progress data-done=(done) data-planned=(planned) {
            (done) " of " (planned) " step(s) ended."
            @if running {
                " "
                @match eta {
                    Some(t) => span #eta data-eta=(t.to_rfc3339()) { "ETA " (t.format("%Y-%m-%d %H:%M UTC")) },
                    None => span #eta.note { "No ETA until a step ends." },
                }
            }
            @if let Some(end) = window_end {
                " " span #window data-end=(end.to_rfc3339()) {
                    "Window ends " (end.format("%Y-%m-%d %H:%M UTC"))
                    @if let Some(t) = eta.filter(|_| running) {
                        @if t <= end {
                            " (" ((end - t).num_minutes()) " min after the ETA)"
                        } @else {
                            span.problem { " (the ETA is " ((t - end).num_minutes()) " min after it: steps that cannot finish in time wait for the next window)" }
                        }
                    }
                }
            }
        }
        @if !offered.is_empty() {
            div #actions {
                @for a in &offered {
                    form.action method="post" action=(format!("/runs/{id}/{}", a.name)) data-confirm=(a.question(id)) {
                        input type="hidden" name="csrf" value=(s.csrf);
                        button type="submit" id=(a.name) data-action=(a.name) { (a.label) }
                    }
                }
            }
        }
        h2 { "Phases" }
        (render_phases(&phases, seed))
        h2 { "Hosts by state" }
        ul #grid-counts {
            @for (w, n) in &counts {
                li data-state=(w) class=(format!("st-{w}")) { span.n { (n) } " " (w) }
            }
        }
        @if states.is_empty() {
            p.note #grid-empty { "No hosts yet: the run is being planned, or planned nothing." }
        }
        ol.grid #grid data-run=(id) data-events=(format!("/runs/{id}/events")) {
            @for (h, w) in &states {
                li class=(format!("cell st-{w}")) data-host=(h) data-state=(w) {
                    a href=(format!("/hosts/{}", segment(h))) title=(format!("{h}: {w}")) { (h) }
                }
            }
        }
        h2 { "Frozen plan" }
        @match &d.plan {
            None => p.note { "Not frozen yet (the run is scanning and planning), or the run made none." },
            Some(p) => {
                p { (p.steps) " step(s) on " (p.hosts) " host(s), frozen " (p.frozen_at) "." }
                table.plan #plan {
                    tr { th { "host" } th { "component" } th { "kind" } th { "from" } th { "to" } th { "image" } }
                    @for e in d.entries.iter().skip((plan_page - 1) * PLAN_PER_PAGE).take(PLAN_PER_PAGE) {
                        tr data-host=(e.host) {
                            td { (e.host) }
                            td { (e.component) }
                            td { (e.kind.as_str()) }
                            td { (e.from.as_deref().unwrap_or("?")) }
                            td { (e.to) }
                            td { (e.image) }
                        }
                    }
                }
                @if pages > 1 {
                    p.pager {
                        @if plan_page > 1 { a href=(format!("/runs/{id}?plan_page={}", plan_page - 1)) rel="prev" { "← previous" } }
                        span { "plan page " (plan_page) " of " (pages) }
                        @if plan_page < pages { a href=(format!("/runs/{id}?plan_page={}", plan_page + 1)) rel="next" { "next →" } }
                    }
                }
            }
        }
        h2 { "Latest events" }
        @if d.events.is_empty() {
            p.note { "No events." }
        } @else {
            table.events #events {
                tr { th { "at" } th { "kind" } th { "message" } }
                @for e in &d.events {
                    tr data-kind=(e.kind) { td { (e.at) } td { (e.kind) } td { (e.message) } }
                }
            }
        }
    }
}

/// The confirmation page an action's form leads to without JavaScript
/// (with it, `confirm()` asks and the form is sent confirmed).
pub fn render_confirm(a: &RunAction, id: i64, s: &Session) -> Markup {
    html! {
        h1 { (a.label) " run " (id) "?" }
        p #question { (a.question(id)) }
        form #confirm-form method="post" action=(format!("/runs/{id}/{}", a.name)) {
            input type="hidden" name="csrf" value=(s.csrf);
            input type="hidden" name="confirmed" value="yes";
            label for="reason" { "Reason (recorded with the run and in the audit trail)" }
            input type="text" id="reason" name="reason" maxlength="500";
            button type="submit" id="confirm" data-action=(a.name) { (a.label) " run " (id) }
        }
        p { a #back href=(format!("/runs/{id}")) { "Back to run " (id) } }
    }
}

/// `POST /runs/{id}/{action}`: the session's CSRF token, the role, then a
/// confirmation page unless the form says `confirmed=yes`, then
/// [`actions::perform`] (audited like the API) and back to the run.
pub async fn act(
    State(dash): State<Arc<Dash>>,
    headers: HeaderMap,
    Path((id, name)): Path<(String, String)>,
    peer: Result<Extension<ConnectInfo<SocketAddr>>, axum::extract::rejection::ExtensionRejection>,
    body: Bytes,
) -> Response {
    let Some(s) = dash.sessions.get(&headers) else {
        return layout::error(
            StatusCode::FORBIDDEN,
            "Sign in first: actions need a session.",
        );
    };
    let fields = session::form(&body);
    if !session::csrf_ok(&s, &fields) {
        return session::csrf_refused();
    }
    let Some(action) = RunAction::named(&name) else {
        return layout::error(StatusCode::NOT_FOUND, &format!("No run action {name}."));
    };
    let caller = Caller::token(&s.name, s.role, peer.ok().map(|Extension(c)| c.0));
    let d = &dash.daemon;
    if fields.get("confirmed").map(String::as_str) != Some("yes") {
        if let Some(e) = actions::refuse(d, &caller, action, &id).await {
            return layout::error(e.status, &e.message);
        }
        let n = match run_id(&id) {
            Ok(n) => n,
            Err(r) => return *r,
        };
        return layout::page(
            StatusCode::OK,
            Page::new(action.label).nav(Nav::Runs),
            Some(&s),
            render_confirm(action, n, &s),
        );
    }
    let reason: Option<String> = fields
        .get("reason")
        .map(|r| {
            r.chars()
                .filter(|c| !c.is_control())
                .take(500)
                .collect::<String>()
        })
        .filter(|r| !r.trim().is_empty());
    let detail = match &reason {
        Some(r) => format!("dashboard: {r}"),
        None => "dashboard".to_string(),
    };
    let ask = Ask {
        run: id,
        reason: Ok(reason),
        detail: Some(detail),
    };
    match actions::perform(d, &caller, action, ask).await {
        Ok(done) => see_other(format!("/runs/{}", done.run_id)),
        Err(e) => layout::error(e.status, &e.message),
    }
}

/// What one stream read of the run found.
#[derive(Debug, Default)]
struct Seen {
    hosts: HashMap<String, &'static str>,
    state: String,
}

/// `GET /runs/{id}/events`: server-sent events while the run runs:
/// `snapshot` (every host's state and the run's, first), `host` (a host's
/// state changed: `{"host", "state", "step"}`), `run` (`{"state",
/// "status"}` changed), `end` (the run finished; the stream closes).
pub async fn events(
    State(dash): State<Arc<Dash>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if dash.sessions.get(&headers).is_none() {
        return layout::error(StatusCode::FORBIDDEN, "Sign in first.");
    }
    let id = match run_id(&id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    match dash.daemon.store.run(id).await {
        Ok(Some(_)) => {}
        Ok(None) => return layout::error(StatusCode::NOT_FOUND, &format!("No run {id}.")),
        Err(e) => return unavailable(e),
    }
    let Ok(permit) = dash.streams.clone().try_acquire_owned() else {
        return layout::error(
            StatusCode::SERVICE_UNAVAILABLE,
            "Too many live streams; the page still shows the state at its load.",
        );
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<SseEvent>(64);
    let d = dash.daemon.clone();
    // A comment at least this often: more often than the idle timeout cuts
    // a connection on which nothing moves (`daemon.idle_timeout_secs`).
    let keep_alive =
        (d.cfg().daemon.idle_timeout / 2).clamp(Duration::from_secs(1), Duration::from_secs(15));
    tokio::spawn(async move {
        let _permit = permit;
        let mut seen: Option<Seen> = None;
        loop {
            let read = async {
                let run = d.store.run(id).await?;
                let control = d.store.control(id).await?;
                let plan = d.store.frozen_plan(id).await?;
                let steps = d.store.steps(id).await?;
                Ok::<_, crate::store::StoreError>((run, control, plan, steps))
            };
            let (run, control, plan, steps) = match read.await {
                Ok((Some(r), c, p, s)) => (r, c, p, s),
                Ok((None, ..)) => return,
                Err(e) => {
                    tracing::warn!(run = id, "live stream: cannot read the run: {e}");
                    return;
                }
            };
            let entries: Vec<PlanEntry> = plan
                .and_then(|p| serde_json::from_value(p.plan).ok())
                .unwrap_or_default();
            let now = Seen {
                hosts: host_states(&entries, &steps).into_iter().collect(),
                state: state_word(&run, control.as_ref()),
            };
            let mut out: Vec<SseEvent> = Vec::new();
            match &seen {
                None => out.push(json_event(
                    "snapshot",
                    &json!({"hosts": now.hosts, "state": now.state, "status": run.status}),
                )),
                Some(before) => {
                    for (h, w) in &now.hosts {
                        if before.hosts.get(h) != Some(w) {
                            let step = steps.iter().rev().find(|s| &s.host == h).map(|s| {
                                json!({"component": s.component, "state": s.state, "outcome": s.outcome, "to_version": s.to_version})
                            });
                            out.push(json_event(
                                "host",
                                &json!({"host": h, "state": w, "step": step}),
                            ));
                        }
                    }
                    if before.state != now.state {
                        out.push(json_event(
                            "run",
                            &json!({"state": now.state, "status": run.status}),
                        ));
                    }
                }
            }
            let finished = run.status != RunStatus::Running;
            if finished {
                out.push(json_event("end", &json!({"status": run.status})));
            }
            for e in out {
                let sent = tokio::time::timeout(STREAM_STALL, tx.send(e)).await;
                if !matches!(sent, Ok(Ok(()))) {
                    // The browser went away, or stopped reading: end here;
                    // its EventSource reconnects and gets a fresh snapshot.
                    return;
                }
            }
            if finished {
                return;
            }
            seen = Some(now);
            tokio::select! {
                _ = tokio::time::sleep(STREAM_POLL) => {}
                _ = d.shutdown.cancelled() => return,
                _ = tx.closed() => return,
            }
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|e| (Ok::<_, std::convert::Infallible>(e), rx))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(keep_alive))
        .into_response()
}

fn json_event(name: &str, data: &Value) -> SseEvent {
    SseEvent::default().event(name).data(data.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::Kind;

    fn entry(host: &str, component: &str) -> PlanEntry {
        PlanEntry {
            host: host.into(),
            component: component.into(),
            kind: Kind::Bios,
            from: Some("1".into()),
            to: "2".into(),
            image: "i".into(),
            sha256: String::new(),
        }
    }

    fn step(id: i64, host: &str, state: StepState, outcome: Option<StepOutcome>) -> Step {
        Step {
            id,
            run_id: 1,
            host: host.into(),
            component: "BIOS".into(),
            from_version: None,
            to_version: "2".into(),
            state,
            task_uri: None,
            outcome,
            message: None,
            updated_at: String::new(),
        }
    }

    #[test]
    fn each_host_is_its_step_on_the_way_else_its_first_shortfall_else_done_else_waiting() {
        let plan = [
            entry("a", "BIOS"),
            entry("a", "BMC"),
            entry("b", "BIOS"),
            entry("c", "BIOS"),
            entry("d", "BIOS"),
            entry("e", "BIOS"),
        ];
        let steps = [
            step(1, "a", StepState::Done, Some(StepOutcome::Updated)),
            step(2, "b", StepState::Running, None),
            step(3, "c", StepState::Done, Some(StepOutcome::Held)),
            step(4, "d", StepState::Done, Some(StepOutcome::Updated)),
            step(5, "x", StepState::Planned, None),
        ];
        let got = host_states(&plan, &steps);
        let want: Vec<(String, &str)> = [
            ("a", "running"),
            ("b", "running"),
            ("c", "held"),
            ("d", "updated"),
            ("e", WAITING),
            ("x", WAITING),
        ]
        .iter()
        .map(|(h, w)| (h.to_string(), *w))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_phased_run_shows_its_recorded_cohorts_and_gates() {
        let ev = |id: i64, kind: &str, message: &str| Event {
            id,
            run_id: 1,
            step_id: None,
            at: format!("2026-12-08T01:00:0{id}Z"),
            kind: kind.into(),
            message: message.into(),
        };
        let states = vec![
            ("c".to_string(), "updated"),
            ("a".to_string(), "failed"),
            ("b".to_string(), WAITING),
        ];
        let mut events = vec![
            ev(
                1,
                "phases",
                "seed 7: canary 1 host(s) [c]; rest 2 host(s) [a, b]",
            ),
            ev(
                2,
                "phase-ended",
                "phase canary: 1 host(s), 0 failed: gate passed",
            ),
            ev(
                3,
                crate::updater::approval::WAITING,
                "phase canary: waiting for approval",
            ),
        ];
        let (seed, p) = recorded_phases(&states, &events).unwrap();
        assert_eq!(seed, 7);
        assert_eq!(p[0].hosts, vec!["c"]);
        assert_eq!(p[0].state, "gate-waiting");
        assert!(p[0]
            .gate
            .as_deref()
            .unwrap()
            .starts_with("waiting for approval since"));
        assert_eq!(p[1].hosts, vec!["a", "b"]);
        events.push(ev(
            4,
            crate::updater::approval::APPROVED,
            "phase canary: approved by token:ops",
        ));
        events.push(ev(
            5,
            "phase-ended",
            "phase rest: 2 host(s), 1 failed: gate halted",
        ));
        let (_, p) = recorded_phases(&states, &events).unwrap();
        assert_eq!(
            (p[0].state, p[0].gate.as_deref()),
            ("done", Some("approved by token:ops"))
        );
        assert_eq!(
            (p[1].state, p[1].gate.as_deref()),
            ("halted", Some("halted"))
        );
        let html = render_phases(&p, Some(7)).into_string();
        assert!(
            html.contains("data-seed=\"7\"") && html.contains("approved by token:ops"),
            "{html}"
        );
        // Canaries and waves: nothing recorded, the plan's split is drawn.
        assert_eq!(recorded_phases(&states, &events[1..]), None);
    }

    #[test]
    fn phases_split_as_the_rollout_does_canaries_first_then_waves() {
        let plan: Vec<PlanEntry> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|h| entry(h, "BIOS"))
            .collect();
        let states = vec![("a".to_string(), "updated"), ("b".to_string(), "running")];
        let rules = PhaseRules {
            canary: 1,
            wave_size: 2,
            labelled: HashSet::new(),
        };
        let p = phases(&states, &plan, &rules);
        let names: Vec<(&str, Vec<&str>, &str)> = p
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.hosts.iter().map(String::as_str).collect(),
                    p.state,
                )
            })
            .collect();
        assert_eq!(
            names,
            vec![
                ("canary", vec!["a"], "done"),
                ("wave-1", vec!["b", "c"], "in-progress"),
                ("wave-2", vec!["d", "e"], "waiting"),
            ]
        );
        // A host labelled canary wins over the count.
        let rules = PhaseRules {
            labelled: ["d".to_string()].into_iter().collect(),
            ..rules
        };
        assert_eq!(phases(&states, &plan, &rules)[0].hosts, vec!["d"]);
    }

    #[test]
    fn the_eta_extrapolates_from_the_steps_ended() {
        let t0 = DateTime::parse_from_rfc3339("2026-12-01T01:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let now = t0 + chrono::Duration::minutes(10);
        assert_eq!(eta(t0, now, 0, 8), None);
        assert_eq!(eta(t0, now, 2, 8), Some(t0 + chrono::Duration::minutes(40)));
    }
}

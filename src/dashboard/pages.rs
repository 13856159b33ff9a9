//! The pages: the fleet roll-up (`/`), the host list (`/hosts`) and one
//! host (`/hosts/{name}`). Handlers fetch; the `render_*` functions are pure
//! (a [`FleetView`] in, HTML out), so tests can feed them any inventory.

use super::chart::{self, Bar};
use super::layout::{self, query_value, segment, Nav, Page};
use super::session::{self, Session};
use super::Dash;
use crate::daemon::runs::ActiveRun;
use crate::daemon::views::{Compliance, FleetView, HostView};
use crate::planner::Action;
use crate::select::{HostSelector, Source};
use crate::store::{Event, Step};
use crate::vocab::{Kind, Role};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::{html, Markup};
use std::sync::Arc;

/// Hosts per page unless `per_page` says otherwise, and the most it may say.
pub const PER_PAGE: usize = 100;
pub const MAX_PER_PAGE: usize = 1000;
/// Runs the host page's timeline looks back over.
const TIMELINE_RUNS: usize = 10;

fn colour(c: Compliance) -> &'static str {
    match c {
        Compliance::Compliant => "#00a32a",
        Compliance::NonCompliant => "#dba617",
        Compliance::Failed => "#d63638",
        Compliance::Unscanned => "#a7aaad",
        Compliance::Unknown => "#787c82",
    }
}

/// The signed-in session (without one, pages redirect to the sign-in form).
fn signed_in(dash: &Dash, headers: &HeaderMap) -> Option<Session> {
    dash.sessions.get(headers)
}

fn unavailable(e: impl std::fmt::Display) -> Response {
    layout::error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string())
}

/// Counts per compliance status, every status present (as `/api/v1/hosts`
/// `summary.by_compliance`).
pub fn by_compliance<'a>(
    hosts: impl IntoIterator<Item = &'a HostView>,
) -> Vec<(Compliance, usize)> {
    let mut by: Vec<(Compliance, usize)> = Compliance::ALL.iter().map(|c| (*c, 0)).collect();
    for h in hosts {
        if let Some(slot) = by.iter_mut().find(|(c, _)| *c == h.compliance) {
            slot.1 += 1;
        }
    }
    by
}

fn model(h: &HostView) -> &str {
    crate::daemon::views::model_of(h)
}

/// `GET /`.
pub async fn fleet(State(dash): State<Arc<Dash>>, headers: HeaderMap) -> Response {
    let Some(s) = signed_in(&dash, &headers) else {
        return session::redirect("/signin");
    };
    let view = match dash.daemon.fleet_view().await {
        Ok(v) => v,
        Err(e) => return unavailable(e),
    };
    let active = dash.daemon.active_run();
    let now = chrono::Utc::now();
    layout::page(
        StatusCode::OK,
        Page::new("Fleet").nav(Nav::Fleet),
        Some(&s),
        render_fleet(&view, active.as_ref(), now),
    )
}

/// The fleet page's body.
pub fn render_fleet(
    view: &FleetView,
    active: Option<&ActiveRun>,
    now: chrono::DateTime<chrono::Utc>,
) -> Markup {
    let rollup = view.rollup();
    let by = &rollup.by_compliance;
    let bars: Vec<Bar<'_>> = by
        .iter()
        .map(|(c, n)| Bar {
            label: c.as_str(),
            count: *n,
            colour: colour(*c),
        })
        .collect();
    let matrix = &rollup.matrix;
    let kinds: Vec<Kind> = Kind::ALL
        .iter()
        .copied()
        .filter(|k| matrix.iter().any(|r| r.kinds.contains_key(k)))
        .collect();
    let age = view.scan.as_ref().and_then(|s| {
        chrono::DateTime::parse_from_rfc3339(&s.scanned_at)
            .ok()
            .map(|t| (now - t.with_timezone(&chrono::Utc)).num_minutes())
    });
    html! {
        h1 { "Fleet" }
        @if let Some(e) = &view.repository_error { p.problem { (e) } }
        section {
            h2 { "Compliance" }
            table.compliance #compliance {
                tr { th { "status" } th { "hosts" } }
                @for (c, n) in by {
                    tr data-status=(c.as_str()) data-count=(n) {
                        td class=(format!("s-{}", c.as_str())) { (c.as_str()) }
                        td.n { (n) }
                    }
                }
                tr data-status="all" data-count=(rollup.hosts) { th { "all" } td.n { (rollup.hosts) } }
            }
            (chart::bars("Hosts per compliance status", &bars))
        }
        section {
            h2 { "Inventory" }
            @match &view.scan {
                Some(scan) => p {
                    "Latest scan " (scan.scanned_at)
                    @if let Some(m) = age { " (" (age_text(m)) " ago)" }
                    ": " (scan.hosts) " hosts, " (scan.failed) " failed."
                },
                None => p.note { "No scan saved yet." },
            }
            h2 { "Active run" }
            @match active {
                Some(a) => p #active-run data-run=(a.run_id) {
                    a href=(format!("/runs/{}", a.run_id)) { "Run " (a.run_id) }
                    " (" (a.trigger) "), started " (a.started_at.to_rfc3339()) "."
                },
                None => p.note #active-run { "No run is active." },
            }
        }
        section {
            h2 { "Components: model × kind" }
            p.note { "Per cell: components compliant / to update / needing attention. A model links to its hosts." }
            @if matrix.is_empty() {
                p.note { "Nothing planned yet (no scan, or no repository)." }
            } @else {
                table.matrix #matrix {
                    tr { th { "model" } @for k in &kinds { th { (k.as_str()) } } }
                    @for row in matrix {
                        @let hosts = format!("/hosts?model={}", query_value(&row.model));
                        tr data-model=(row.model) {
                            td { a href=(hosts) data-model=(row.model) { (row.model) } }
                            @for k in &kinds {
                                td.n data-kind=(k.as_str()) {
                                    @if let Some(cell) = row.kinds.get(k) {
                                        a.cell href=(hosts) {
                                            span.s-compliant data-status="compliant" { (cell.compliant) }
                                            " / "
                                            span.s-non-compliant data-status="to-update" { (cell.to_update) }
                                            " / "
                                            span.s-failed data-status="attention" { (cell.attention) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn age_text(minutes: i64) -> String {
    match minutes {
        m if m < 1 => "under a minute".into(),
        m if m < 120 => format!("{m} min"),
        m if m < 48 * 60 => format!("{} h", m / 60),
        m => format!("{} days", m / (24 * 60)),
    }
}

/// `/hosts`' query: the CLI's selectors, a model (the matrix's links), a page.
#[derive(Debug, Default, Clone)]
pub struct HostsQuery {
    pub hosts: Option<String>,
    pub selector: Option<String>,
    pub exclude: Option<String>,
    pub model: Option<String>,
    pub page: usize,
    pub per_page: usize,
}

impl HostsQuery {
    pub fn parse(raw: Option<&str>) -> HostsQuery {
        let mut q = HostsQuery {
            page: 1,
            per_page: PER_PAGE,
            ..HostsQuery::default()
        };
        for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            let v = v.into_owned();
            let text = (!v.trim().is_empty()).then_some(v.clone());
            match k.as_ref() {
                "hosts" => q.hosts = text,
                "selector" => q.selector = text,
                "exclude" => q.exclude = text,
                "model" => q.model = text,
                "page" => q.page = v.parse().unwrap_or(1).max(1),
                "per_page" => q.per_page = v.parse().unwrap_or(PER_PAGE).clamp(1, MAX_PER_PAGE),
                _ => {}
            }
        }
        q
    }

    /// This query on another page.
    fn link(&self, page: usize) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("hosts", &self.hosts),
            ("selector", &self.selector),
            ("exclude", &self.exclude),
            ("model", &self.model),
        ] {
            if let Some(v) = v {
                out.append_pair(k, v);
            }
        }
        out.append_pair("page", &page.to_string());
        out.append_pair("per_page", &self.per_page.to_string());
        format!("/hosts?{}", out.finish())
    }
}

/// `GET /hosts`.
pub async fn hosts(
    State(dash): State<Arc<Dash>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(s) = signed_in(&dash, &headers) else {
        return session::redirect("/signin");
    };
    let view = match dash.daemon.fleet_view().await {
        Ok(v) => v,
        Err(e) => return unavailable(e),
    };
    let q = HostsQuery::parse(raw.as_deref());
    match render_hosts(&view, &q) {
        Ok(body) => layout::page(
            StatusCode::OK,
            Page::new("Hosts").nav(Nav::Hosts),
            Some(&s),
            body,
        ),
        Err(e) => layout::error(StatusCode::BAD_REQUEST, &e),
    }
}

/// The host list's body, or why the selection does not parse.
pub fn render_hosts(view: &FleetView, q: &HostsQuery) -> Result<Markup, String> {
    let list = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
    let chosen = HostSelector::parse(
        &list(&q.hosts),
        q.selector.as_deref(),
        &list(&q.exclude),
        Source::Api,
    )
    .map_err(|e| e.to_string())?;
    let shown: Vec<&HostView> = view
        .hosts
        .iter()
        .filter(|h| chosen.matches(&h.name, &h.labels))
        .filter(|h| q.model.as_deref().is_none_or(|m| model(h) == m))
        .collect();
    let by = by_compliance(shown.iter().copied());
    let pages = shown.len().div_ceil(q.per_page).max(1);
    let page = q.page.min(pages);
    let slice = shown.iter().skip((page - 1) * q.per_page).take(q.per_page);
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    Ok(html! {
        h1 { "Hosts" }
        form.filter method="get" action="/hosts" {
            label { "hosts " input type="text" name="hosts" value=(v(&q.hosts)) placeholder="web-*,db-1"; }
            label { "selector " input type="text" name="selector" value=(v(&q.selector)) placeholder="rack=r1,role!=db"; }
            label { "exclude " input type="text" name="exclude" value=(v(&q.exclude)); }
            @if let Some(m) = &q.model { input type="hidden" name="model" value=(m); }
            input type="hidden" name="per_page" value=(q.per_page);
            button type="submit" { "Show" }
        }
        p {
            (shown.len()) " hosts"
            @if let Some(m) = &q.model { " of model " (m) }
            ": "
            @for (i, (c, n)) in by.iter().enumerate() {
                @if i > 0 { ", " }
                span class=(format!("s-{}", c.as_str())) { (n) " " (c.as_str()) }
            }
        }
        table.hosts {
            tr { th { "host" } th { "model" } th { "compliance" } th { "changes" } th { "attention" } }
            @for h in slice {
                @let steps = h.plan.as_ref().map(|p| p.steps.as_slice()).unwrap_or(&[]);
                tr data-host=(h.name) data-status=(h.compliance.as_str()) {
                    td { a href=(format!("/hosts/{}", segment(&h.name))) { (h.name) } }
                    td { (model(h)) }
                    td class=(format!("s-{}", h.compliance.as_str())) { (h.compliance.as_str()) }
                    td.n { (steps.iter().filter(|s| s.action.is_change()).count()) }
                    td.n { (steps.iter().filter(|s| !s.action.is_compliant() && !s.action.is_change()).count()) }
                }
            }
        }
        p.pager {
            @if page > 1 { a href=(q.link(page - 1)) rel="prev" { "← previous" } }
            span { "page " (page) " of " (pages) }
            @if page < pages { a href=(q.link(page + 1)) rel="next" { "next →" } }
        }
    })
}

/// `GET /hosts/{name}`.
pub async fn host(
    State(dash): State<Arc<Dash>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    let Some(s) = signed_in(&dash, &headers) else {
        return session::redirect("/signin");
    };
    let view = match dash.daemon.fleet_view().await {
        Ok(v) => v,
        Err(e) => return unavailable(e),
    };
    let Some(h) = view.hosts.iter().find(|h| h.name == name) else {
        return layout::error(
            StatusCode::NOT_FOUND,
            &format!("No host {name} in the config."),
        );
    };
    let timeline = match timeline(&dash, &name).await {
        Ok(t) => t,
        Err(e) => return unavailable(e),
    };
    layout::page(
        StatusCode::OK,
        Page::new(&h.name).nav(Nav::Hosts),
        Some(&s),
        render_host(h, &timeline),
    )
}

/// The host's steps of the latest runs, each with its events, newest run first.
pub type Timeline = Vec<(Step, Vec<Event>)>;

async fn timeline(dash: &Dash, host: &str) -> Result<Timeline, crate::store::StoreError> {
    let store = &dash.daemon.store;
    let mut out = Vec::new();
    for run in store.list_runs(TIMELINE_RUNS).await? {
        let steps: Vec<Step> = store.host_steps(run.id, host).await?;
        if steps.is_empty() {
            continue;
        }
        let events = store
            .step_events(run.id, steps.iter().map(|s| s.id).collect())
            .await?;
        for st in steps {
            let mine = events
                .iter()
                .filter(|e| e.step_id == Some(st.id))
                .cloned()
                .collect();
            out.push((st, mine));
        }
    }
    Ok(out)
}

/// The host page's body.
pub fn render_host(h: &HostView, timeline: &Timeline) -> Markup {
    let inv = h.inventory.as_ref();
    let comps = inv.map(|i| i.components.as_slice()).unwrap_or(&[]);
    let steps = h.plan.as_ref().map(|p| p.steps.as_slice()).unwrap_or(&[]);
    let version_of = |identity: &str, role: Role| -> Vec<String> {
        comps
            .iter()
            .filter(|c| c.identity == identity && c.role == role)
            .map(|c| c.version.clone().unwrap_or_else(|| "?".into()))
            .collect()
    };
    let held: Vec<_> = steps.iter().filter(|s| s.action == Action::Held).collect();
    html! {
        h1 { (h.name) }
        p {
            span class=(format!("s-{}", h.compliance.as_str())) { (h.compliance.as_str()) }
            @if let Some(i) = inv {
                " · " (i.system.manufacturer.as_deref().unwrap_or("")) " " (i.system.model.as_deref().unwrap_or("(unknown model)"))
                @if let Some(sn) = &i.system.serial { " · serial " (sn) }
            }
        }
        @if !h.labels.is_empty() {
            p.note { @for (k, v) in &h.labels { (k) "=" (v) " " } }
        }
        @if let Some(e) = inv.and_then(|i| i.error.as_deref()) { p.problem { (e) } }
        h2 { "Components" }
        @if comps.is_empty() {
            p.note { "Not scanned yet." }
        } @else {
            table.components {
                tr { th { "component" } th { "kind" } th { "active" } th { "backup" } th { "staged" } th { "target" } th { "status" } th { "reason" } }
                @for c in comps.iter().filter(|c| c.role == Role::Active) {
                    @let step = steps.iter().find(|s| s.identity == c.identity);
                    tr data-kind=(c.kind.as_str()) data-status=(step.map(|s| s.action.as_str()).unwrap_or("")) {
                        td { (c.name) }
                        td { (c.kind.as_str()) }
                        td { (c.version.as_deref().unwrap_or("?")) }
                        td { (version_of(&c.identity, Role::Backup).join(", ")) }
                        td { (version_of(&c.identity, Role::Staged).join(", ")) }
                        td { (step.and_then(|s| s.to.as_deref()).unwrap_or("")) }
                        td { (step.map(|s| s.action.as_str()).unwrap_or("")) }
                        td { (step.map(|s| s.reason.as_str()).unwrap_or("")) }
                    }
                }
            }
        }
        h2 { "Holds" }
        @if held.is_empty() {
            p.note { "No hold applies to this host." }
        } @else {
            ul { @for s in &held { li { (s.identity) ": " (s.reason) } } }
        }
        h2 { "Timeline" }
        @if timeline.is_empty() {
            p.note { "No steps in the latest runs." }
        } @else {
            table.timeline {
                tr { th { "run" } th { "step" } th { "versions" } th { "state" } th { "outcome" } th { "events" } }
                @for (st, events) in timeline {
                    tr {
                        td.n { (st.run_id) }
                        td { (st.component) }
                        td { (st.from_version.as_deref().unwrap_or("?")) " → " (st.to_version) }
                        td { (st.state.to_string()) " " span.note { (st.updated_at) } }
                        td { (st.outcome.map(|o| o.to_string()).unwrap_or_default()) " " (st.message.as_deref().unwrap_or("")) }
                        td { ul { @for e in events { li { (e.at) " " (e.kind) ": " (e.message) } } } }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::model::{Component, HostInventory};
    use std::collections::BTreeMap;

    const EVIL: &str = "<script>alert(1)</script>";

    fn evil_fleet() -> FleetView {
        let mut inv = HostInventory::unread("h1", "https://127.0.0.1:1");
        inv.ok = true;
        inv.system.model = Some(format!("R{EVIL}"));
        let c: Component = serde_json::from_value(serde_json::json!({
            "id": "BMC", "name": format!("BMC {EVIL}"), "kind": "bmc",
            "version": format!("1.0{EVIL}"), "updateable": true, "software_id": null,
            "role": "active", "identity": "bmc", "uri": "/redfish/v1/x",
        }))
        .unwrap();
        inv.components.push(c);
        FleetView {
            scan: None,
            repository_error: None,
            hosts: vec![HostView {
                name: "h1".into(),
                labels: BTreeMap::new(),
                compliance: Compliance::Unknown,
                inventory: Some(inv),
                plan: None,
            }],
        }
    }

    #[test]
    fn strings_from_a_bmc_are_escaped_on_every_page() {
        let view = evil_fleet();
        let pages = [
            render_fleet(&view, None, chrono::Utc::now()).into_string(),
            render_hosts(&view, &HostsQuery::parse(None))
                .unwrap()
                .into_string(),
            render_host(&view.hosts[0], &Vec::new()).into_string(),
        ];
        for page in &pages {
            assert!(!page.contains("<script"), "{page}");
        }
        // The host page shows the component and the model, inert.
        assert!(pages[2].contains("BMC &lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(pages[2].contains("R&lt;script&gt;"));
        assert!(pages[1].contains("R&lt;script&gt;"));
    }

    #[test]
    fn paging_clamps_and_keeps_the_selection() {
        let q = HostsQuery::parse(Some("selector=rack%3Dr1&page=0&per_page=99999"));
        assert_eq!((q.page, q.per_page), (1, MAX_PER_PAGE));
        assert_eq!(q.selector.as_deref(), Some("rack=r1"));
        assert!(q.link(2).contains("selector=rack%3Dr1&page=2"));
    }
}

//! The dashboard in a real browser (issue 22): Debian's headless Chromium
//! driven through `chromedriver` over WebDriver, against `fwfleet serve` and
//! a mixed mock fleet on loopback. Built only with `--features
//! browser-tests` (`.ci/browser.sh` installs Chromium and runs it); with the
//! feature on and Chromium missing the tests fail, never skip. Each page
//! is saved as a screenshot (`$FWFLEET_SCREENSHOTS`, default
//! `target/browser-screenshots`).

mod fleet;
#[path = "../it/serve_proc.rs"]
#[allow(dead_code)]
mod serve_proc;
mod webdriver;

use fleet::{Fleet, ADMIN};
use serde_json::Value;
use std::collections::BTreeMap;
use webdriver::{Browser, Driver};

/// A signed-in browser on `fleet` with `token`.
async fn signed_in(driver: &Driver, fleet: &Fleet, token: &str) -> Browser {
    let profile = fleet.dir.path().join(format!("chromium-{}", &token[..12]));
    let b = driver.session(&profile).await;
    b.goto(&fleet.url("/")).await;
    // Not signed in: the fleet page sends the browser to the sign-in form.
    let input = b.find("input#token").await;
    assert!(b.current_url().await.ends_with("/signin"));
    b.type_into(&input, token).await;
    let submit = b.find("form[action='/signin'] button[type=submit]").await;
    b.click(&submit).await;
    b.wait_until("signed in, on the fleet page", || async {
        b.current_url().await == fleet.url("/")
    })
    .await;
    b
}

/// What `script` returns as `[[key, value], …]`, as a map (a `null` value
/// reads as empty).
async fn pairs(b: &Browser, script: &str) -> BTreeMap<String, String> {
    let v = b.script(script).await;
    v.as_array()
        .unwrap_or_else(|| panic!("{script}: {v}"))
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_string(),
                p[1].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// The fleet page's compliance table: status → hosts.
async fn compliance_counts(b: &Browser) -> BTreeMap<String, u64> {
    pairs(
        b,
        "return [...document.querySelectorAll('table.compliance tr[data-status]')]
            .map(tr => [tr.dataset.status, tr.querySelector('td.n').textContent.trim()]);",
    )
    .await
    .into_iter()
    .map(|(k, n)| (k, n.parse().unwrap()))
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_in_fleet_counts_and_click_through_the_matrix_to_a_host() {
    let fleet = Fleet::start(6, "canary = 0\n").await;
    let driver = Driver::start().await;
    let shots = Fleet::screenshots();

    let b = driver
        .session(&fleet.dir.path().join("chromium-signin"))
        .await;
    b.goto(&fleet.url("/")).await;
    b.find("input#token").await;
    b.screenshot(&shots, "signin").await;
    b.quit().await;

    let b = signed_in(&driver, &fleet, ADMIN).await;
    // The counts the mocks and the repository imply, on the page and in
    // the API's twin.
    let mut want: BTreeMap<String, u64> = BTreeMap::new();
    for c in fleet.expected.values() {
        *want.entry((*c).to_string()).or_default() += 1;
    }
    let mut shown: BTreeMap<String, u64> = compliance_counts(&b)
        .await
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(
        shown.remove("all"),
        Some(fleet.expected.len() as u64),
        "the total"
    );
    assert_eq!(shown, want, "fleet page vs the mocks: {:?}", fleet.expected);
    let api = fleet.api(reqwest::Method::GET, "/api/v1/hosts", None).await;
    let mut twin: BTreeMap<String, u64> = BTreeMap::new();
    for h in api["hosts"].as_array().unwrap() {
        *twin
            .entry(h["compliance"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(twin, want, "the API's twin");
    b.screenshot(&shots, "fleet").await;

    // Matrix → the hosts of a model → one host.
    let model = &fleet.outdated_models[0];
    let link = b
        .find(&format!(
            "table.matrix a[data-model='{}']",
            model.replace('\'', "\\'")
        ))
        .await;
    b.click(&link).await;
    b.wait_until("the hosts of the model", || async {
        b.current_url().await.contains("/hosts?model=")
    })
    .await;
    let listed: Vec<String> = b
        .script("return [...document.querySelectorAll('table.hosts tr[data-host]')].map(tr => tr.dataset.host);")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let states: Vec<Value> = fleet.mocks.bmcs.iter().map(|m| m.state()).collect();
    let mut of_model: Vec<String> = states
        .iter()
        .filter(|s| s["model"] == model.as_str())
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    of_model.sort();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(sorted, of_model, "hosts of {model}");
    b.screenshot(&shots, "hosts").await;
    let host = &listed[0];
    let a = b
        .find(&format!("table.hosts tr[data-host='{host}'] a"))
        .await;
    b.click(&a).await;
    let h1 = b.find("h1").await;
    b.wait_until("the host page", || async { b.text(&h1).await == *host })
        .await;
    // Its BMC firmware is to update, to the repository's version.
    let row = b.find("table.components tr[data-kind='bmc']").await;
    let status = b.attr(&row, "data-status").await;
    assert_eq!(status.as_deref(), Some("upgrade"), "{host}");
    b.screenshot(&shots, "host").await;
    b.quit().await;
}

/// The first journal event of each step of run `v` (`GET /api/v1/runs/{id}`).
fn step_starts(v: &Value) -> Vec<(i64, chrono::DateTime<chrono::Utc>)> {
    let events = v["events"].as_array().unwrap();
    v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let id = s["id"].as_i64().unwrap();
            let first = events
                .iter()
                .filter(|e| e["step_id"].as_i64() == Some(id))
                .map(|e| when(e["at"].as_str().unwrap()))
                .min()
                .unwrap_or_else(|| panic!("step {id} has no event: {v:#}"));
            (id, first)
        })
        .collect()
}

fn when(at: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(at)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

/// The run page's host grid: host → state word.
async fn grid(b: &Browser) -> BTreeMap<String, String> {
    pairs(
        b,
        "return [...document.querySelectorAll('#grid [data-host]')]
            .map(c => [c.dataset.host, c.dataset.state]);",
    )
    .await
}

/// Press an action button of the run page and accept its confirm().
async fn press(b: &Browser, action: &str) {
    let button = b.find(&format!("button#{action}")).await;
    b.click(&button).await;
    let asked = b.accept_dialog().await;
    assert!(asked.contains("run"), "{action}: {asked}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_run_updates_live_pauses_resumes_and_a_viewer_sees_no_buttons() {
    // One host at a time, so a pause has hosts to hold back.
    let fleet = Fleet::start(6, "canary = 0\nmax_parallel = 1\n").await;
    let driver = Driver::start().await;
    let shots = Fleet::screenshots();
    let b = signed_in(&driver, &fleet, ADMIN).await;

    let started = fleet
        .api(
            reqwest::Method::POST,
            "/api/v1/runs",
            Some(serde_json::json!({"exclude": fleet::DEAD})),
        )
        .await;
    let run = started["run_id"].as_i64().unwrap();
    let path = format!("/runs/{run}");
    b.goto(&fleet.url(&path)).await;
    b.find("#grid").await;
    // A mark that a reload would wipe.
    b.script("window.fwfleetTestMark = 42; return null;").await;
    b.wait_until("the grid's event stream open", || async {
        b.script("return document.getElementById('grid').dataset.live;")
            .await
            .as_str()
            == Some("open")
    })
    .await;
    let first = grid(&b).await;
    b.wait_until("a host's state changing on the page", || async {
        let now = grid(&b).await;
        now != first
    })
    .await;
    let mark = b.script("return window.fwfleetTestMark;").await;
    assert_eq!(mark, 42, "the page updated without a reload");
    b.screenshot(&shots, "run-live").await;

    // Pause: no new step starts while paused.
    press(&b, "pause").await;
    b.wait_until("the pause acknowledged", || async {
        let v = fleet
            .api(reqwest::Method::GET, &format!("/api/v1/runs/{run}"), None)
            .await;
        v["run"]["control"]["state"] == "paused"
    })
    .await;
    let paused_at = chrono::Utc::now();
    // The steps already running finish; then nothing moves.
    b.wait_until("the running steps finished", || async {
        let v = fleet
            .api(reqwest::Method::GET, &format!("/api/v1/runs/{run}"), None)
            .await;
        v["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| !s["outcome"].is_null())
    })
    .await;
    b.goto(&fleet.url(&path)).await;
    let state = b.find("#run-state").await;
    assert_eq!(
        b.attr(&state, "data-state").await.as_deref(),
        Some("paused")
    );
    assert!(
        b.all("button#pause").await.is_empty(),
        "no Pause while paused"
    );
    b.find("button#resume").await;
    b.screenshot(&shots, "run-paused").await;

    // A viewer sees the run, no button, and is refused an action.
    let viewer = signed_in(&driver, &fleet, fleet::VIEWER).await;
    viewer.goto(&fleet.url(&path)).await;
    viewer.find("#grid").await;
    assert!(
        viewer.all("button[data-action]").await.is_empty(),
        "a viewer has no action buttons"
    );
    let refused = viewer
        .script(&format!(
            "const csrf = document.querySelector('input[name=csrf]');
             const body = 'confirmed=yes' + (csrf ? '&csrf=' + csrf.value : '');
             return fetch('/runs/{run}/resume', {{method: 'POST', body: body,
                 headers: {{'content-type': 'application/x-www-form-urlencoded'}}}})
               .then(r => r.status);"
        ))
        .await;
    assert_eq!(refused, 403, "a viewer's resume");
    viewer.screenshot(&shots, "run-viewer").await;
    viewer.quit().await;

    let v = fleet
        .api(reqwest::Method::GET, &format!("/api/v1/runs/{run}"), None)
        .await;
    let planned = v["plan"]["steps"].as_u64().unwrap_or(0) as usize;
    let started_while_paused = v["steps"].as_array().unwrap().len();
    assert!(
        started_while_paused < planned,
        "a pause with nothing left to hold back proves nothing: {started_while_paused} of {planned} started"
    );
    assert_eq!(
        v["run"]["control"]["state"], "paused",
        "still paused after the viewer's try"
    );

    // Resume to the end.
    let resumed_at = chrono::Utc::now();
    press(&b, "resume").await;
    b.find("#grid").await;
    b.wait_until("the run finished, shown live", || async {
        b.script("return document.getElementById('run-status').dataset.status;")
            .await
            .as_str()
            .is_some_and(|s| s != "running")
    })
    .await;
    let status = b.find("#run-status").await;
    assert_eq!(
        b.attr(&status, "data-status").await.as_deref(),
        Some("completed")
    );
    // The buttons rendered for a running run go away with it.
    b.find("#actions-stale").await;
    b.wait_until("the stale buttons hidden", || async {
        b.script("return document.getElementById('actions').offsetParent === null;")
            .await
            == true
    })
    .await;
    b.screenshot(&shots, "run-ended-live").await;
    // And the page as served once the run ended: no action is offered.
    b.goto(&fleet.url(&path)).await;
    let state = b.find("#run-state").await;
    assert_eq!(
        b.attr(&state, "data-state").await.as_deref(),
        Some("completed")
    );
    assert!(
        b.all("button[data-action]").await.is_empty(),
        "no action on an ended run"
    );
    b.screenshot(&shots, "run-done").await;
    b.goto(&fleet.url("/runs")).await;
    b.find(&format!("tr[data-run='{run}']")).await;
    b.screenshot(&shots, "runs").await;

    let v = fleet
        .api(reqwest::Method::GET, &format!("/api/v1/runs/{run}"), None)
        .await;
    let starts = step_starts(&v);
    assert_eq!(starts.len(), planned, "every planned step ran: {v:#}");
    for (id, t) in &starts {
        assert!(
            !(paused_at < *t && *t < resumed_at),
            "step {id} started at {t}, while paused ({paused_at} .. {resumed_at})"
        );
    }
    assert!(
        starts.iter().any(|(_, t)| *t > resumed_at),
        "steps held back by the pause started after resume"
    );
    b.quit().await;
}

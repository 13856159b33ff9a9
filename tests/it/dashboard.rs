//! The web dashboard of `fwfleet serve` (docs/DASHBOARD.md) over real HTTP:
//! sign-in and its cookies, CSRF, roles, the fleet counts against the
//! API's JSON twin, host paging and the host page.

use super::apply::{fwfleet, repository_of_kind, setup, timing};
use super::daemon::{start_service_with, TOKEN};
use fwfleet::daemon::auth::{Keyring, Token};
use fwfleet::vocab::ApiRole;
use mock_bmc::{FleetConfig, Profile};
use reqwest::header::{HeaderMap, CONTENT_SECURITY_POLICY, COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use std::time::Duration;

const VIEWER: &str = "viewer-token-0123456789abcdef";

pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// `name=value` of the Set-Cookie naming `name`, with the whole header.
fn set_cookie(h: &HeaderMap, name: &str) -> (String, String) {
    let line = h
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no cookie {name}: {h:?}"));
    (line.split(';').next().unwrap().to_string(), line)
}

fn hidden_csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..at + 64].to_string()
}

/// Sign in with `token`; the session cookie (`name=value`).
pub(crate) async fn sign_in(http: &reqwest::Client, url: &str, token: &str) -> String {
    let r = http.get(format!("{url}/signin")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (pre, line) = set_cookie(r.headers(), "fwfleet_signin");
    assert!(
        line.contains("HttpOnly") && line.contains("SameSite=Strict"),
        "{line}"
    );
    let csrf = hidden_csrf(&r.text().await.unwrap());
    let r = http
        .post(format!("{url}/signin"))
        .header(COOKIE, &pre)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}&token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (session, line) = set_cookie(r.headers(), "fwfleet_session");
    for flag in ["HttpOnly", "SameSite=Strict", "Max-Age=28800", "Path=/"] {
        assert!(line.contains(flag), "{flag} missing: {line}");
    }
    assert!(!line.contains("Secure"), "plain HTTP: {line}");
    session
}

pub(crate) async fn page(
    http: &reqwest::Client,
    url: &str,
    cookie: &str,
) -> (StatusCode, HeaderMap, String) {
    let r = http.get(url).header(COOKIE, cookie).send().await.unwrap();
    let (s, h) = (r.status(), r.headers().clone());
    (s, h, r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_fleet_counts_paging_host_page_csrf_and_roles() {
    let s = setup(
        FleetConfig {
            count: 6,
            profile: Profile::Mixed,
            timing: timing(),
            ..FleetConfig::default()
        }
        .ideal(),
        "",
    )
    .await;
    repository_of_kind(&s, mock_bmc::Kind::Bmc, mock_bmc::vstyle::Bump::Minor, None).await;
    let out = fwfleet(&["inventory"], &s.config);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let keys = Keyring::from(Token::new(TOKEN, "test").unwrap()).with(
        "grafana",
        ApiRole::Viewer,
        Token::new(VIEWER, "test").unwrap(),
    );
    let svc = start_service_with(&s.config, keys).await;
    let url = svc.url("");
    let http = browser();

    // Without a session: to the sign-in form.
    let r = http.get(svc.url("/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/signin");
    // A sign-in without the CSRF pair, and one with a wrong token.
    let r = http
        .post(svc.url("/signin"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(!r.text().await.unwrap().contains(TOKEN));

    let admin = sign_in(&http, &url, TOKEN).await;
    let (status, headers, fleet) = page(&http, &svc.url("/"), &admin).await;
    assert_eq!(status, StatusCode::OK, "{fleet}");
    assert!(headers[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(fleet.contains("<svg"), "{fleet}");
    // The same counts as the JSON twin.
    let (_, v) = svc.json("GET", "/api/v1/hosts", None).await;
    let by = v["summary"]["by_compliance"].as_object().unwrap();
    assert_eq!(by.values().map(|n| n.as_u64().unwrap()).sum::<u64>(), 6);
    for (status, n) in by {
        let cell = format!(">{status}</td><td class=\"n\">{n}</td>");
        assert!(fleet.contains(&cell), "{cell} not in {fleet}");
    }

    // Paging: 6 hosts, 4 a page.
    let (_, _, p1) = page(&http, &svc.url("/hosts?per_page=4"), &admin).await;
    assert_eq!(p1.matches("<a href=\"/hosts/").count(), 4, "{p1}");
    assert!(
        p1.contains("page 1 of 2") && p1.contains("rel=\"next\""),
        "{p1}"
    );
    let (_, _, p2) = page(&http, &svc.url("/hosts?per_page=4&page=2"), &admin).await;
    assert_eq!(p2.matches("<a href=\"/hosts/").count(), 2, "{p2}");
    assert!(
        p2.contains("rel=\"prev\"") && !p2.contains("rel=\"next\""),
        "{p2}"
    );
    let (status, _, _) = page(&http, &svc.url("/hosts?selector=%3D%3D"), &admin).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The host page lists the host's components (as its JSON twin has them).
    let name = v["hosts"][0]["name"].as_str().unwrap();
    let (status, _, host) = page(&http, &svc.url(&format!("/hosts/{name}")), &admin).await;
    assert_eq!(status, StatusCode::OK, "{host}");
    let (_, twin) = svc
        .json("GET", &format!("/api/v1/hosts/{name}"), None)
        .await;
    for c in twin["inventory"]["components"].as_array().unwrap() {
        if c["role"] == "active" {
            let cname = c["name"].as_str().unwrap();
            assert!(
                host.contains(&format!("<td>{cname}</td>")),
                "{cname} not in {host}"
            );
        }
    }

    // A viewer sees the pages, and no form but the sign-out.
    let viewer = sign_in(&http, &url, VIEWER).await;
    let (status, _, vpage) = page(&http, &svc.url(&format!("/hosts/{name}")), &viewer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(vpage.contains("grafana (viewer)"), "{vpage}");
    assert_eq!(vpage.matches("<form").count(), 1, "{vpage}");
    assert!(vpage.contains("action=\"/signout\""));

    // Signing out needs the session's CSRF token.
    let post = |body: String| {
        http.post(svc.url("/signout"))
            .header(COOKIE, &admin)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    assert_eq!(
        post(String::new()).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post("csrf=0".to_string()).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let r = post(format!("csrf={}", hidden_csrf(&fleet))).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = http
        .get(svc.url("/"))
        .header(COOKIE, &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the session is gone");
    svc.shutdown().await;
}

/// The admin's CSRF token and the session cookie of a signed-in page.
async fn csrf_of(http: &reqwest::Client, url: &str, cookie: &str) -> String {
    let (status, _, html) = page(http, url, cookie).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    hidden_csrf(&html)
}

/// A form POST with the session cookie.
async fn post_form(
    http: &reqwest::Client,
    url: &str,
    cookie: &str,
    body: &str,
) -> (StatusCode, HeaderMap, String) {
    let r = http
        .post(url)
        .header(COOKIE, cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let (s, h) = (r.status(), r.headers().clone());
    (s, h, r.text().await.unwrap())
}

/// One server-sent event: its name and its data.
type Sse = (String, serde_json::Value);

/// Follow `GET url` as an event stream; every event goes to the channel.
async fn follow(
    http: &reqwest::Client,
    url: &str,
    cookie: &str,
) -> tokio::sync::mpsc::UnboundedReceiver<Sse> {
    use futures::StreamExt;
    let r = http
        .get(url)
        .header(COOKIE, cookie)
        .timeout(Duration::from_secs(300))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut body = r.bytes_stream();
        let mut buf = String::new();
        while let Some(Ok(chunk)) = body.next().await {
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(at) = buf.find("\n\n") {
                let block: String = buf.drain(..at + 2).collect();
                let mut name = String::from("message");
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(n) = line.strip_prefix("event:") {
                        name = n.trim().to_string();
                    } else if let Some(d) = line.strip_prefix("data:") {
                        data.push_str(d.trim_start());
                    }
                }
                if data.is_empty() {
                    continue; // a keep-alive comment
                }
                let v = serde_json::from_str(&data).unwrap_or(serde_json::Value::Null);
                if tx.send((name, v)).is_err() {
                    return;
                }
            }
        }
    });
    rx
}

/// The next event named `name` (others are skipped).
async fn next_event(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Sse>, name: &str) -> Sse {
    loop {
        let e = tokio::time::timeout(Duration::from_secs(90), rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no {name} event"))
            .unwrap_or_else(|| panic!("the stream ended before a {name} event"));
        if e.0 == name {
            return e;
        }
    }
}

/// GET `/api/v1/runs/{id}` until `done` holds.
async fn run_until(
    svc: &super::daemon::Service,
    id: i64,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let t0 = std::time::Instant::now();
    loop {
        let (_, v) = svc.json("GET", &format!("/api/v1/runs/{id}"), None).await;
        if done(&v) {
            return v;
        }
        assert!(t0.elapsed() < Duration::from_secs(90), "{v:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn runs_pages_the_pause_button_csrf_roles_audit_and_live_events() {
    let count = 3;
    let s = setup(
        super::daemon::generic_fleet(
            count,
            mock_bmc::bmc::Timing {
                update: Duration::from_millis(2500),
                ..timing()
            },
        ),
        "canary = 1\nmax_parallel = 1\nstep_deadline_secs = 60",
    )
    .await;
    repository_of_kind(
        &s,
        mock_bmc::Kind::Bios,
        mock_bmc::vstyle::Bump::Patch,
        None,
    )
    .await;
    let keys = Keyring::from(Token::new(TOKEN, "test").unwrap()).with(
        "grafana",
        ApiRole::Viewer,
        Token::new(VIEWER, "test").unwrap(),
    );
    let svc = start_service_with(&s.config, keys).await;
    let url = svc.url("");
    let http = browser();
    let admin = sign_in(&http, &url, TOKEN).await;
    let viewer = sign_in(&http, &url, VIEWER).await;

    let (status, v) = svc.json("POST", "/api/v1/runs", None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    let id = v["run_id"].as_i64().unwrap();
    let run_url = svc.url(&format!("/runs/{id}"));
    // The live stream, from the start: a snapshot first.
    let mut live = follow(&http, &svc.url(&format!("/runs/{id}/events")), &admin).await;
    let (_, snap) = next_event(&mut live, "snapshot").await;
    assert!(snap["hosts"].is_object(), "{snap}");
    super::daemon::wait_for_a_step(&svc, id).await;

    // The list and the page, with a real run against the mock.
    let (status, headers, list) = page(&http, &svc.url("/runs"), &admin).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert!(headers[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .contains("script-src 'self'"));
    assert!(list.contains(&format!("data-run=\"{id}\"")), "{list}");
    let (status, _, run) = page(&http, &run_url, &admin).await;
    assert_eq!(status, StatusCode::OK, "{run}");
    for want in [
        "id=\"grid\"",
        "id=\"phases\"",
        "data-phase=\"canary\"",
        "data-phase=\"wave-1\"",
        "id=\"pause\"",
        "id=\"cancel\"",
        "data-confirm=",
        "<script src=\"/static/dashboard.js\"",
    ] {
        assert!(run.contains(want), "{want} not in {run}");
    }
    assert!(run.matches("class=\"cell ").count() == count, "{run}");
    assert!(!run.contains("<script>"), "no inline script: {run}");
    // The script, served as JavaScript.
    let r = http
        .get(svc.url("/static/dashboard.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert!(r.text().await.unwrap().contains("EventSource"));

    // A viewer sees no buttons and is refused the action (audited).
    let (_, _, vrun) = page(&http, &run_url, &viewer).await;
    assert!(!vrun.contains("id=\"pause\""), "{vrun}");
    assert_eq!(
        vrun.matches("<form").count(),
        1,
        "only the sign-out: {vrun}"
    );
    let vcsrf = hidden_csrf(&vrun);
    let (status, _, body) = post_form(
        &http,
        &format!("{run_url}/pause"),
        &viewer,
        &format!("csrf={vcsrf}&confirmed=yes"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // Without the CSRF token, or with another session's: 403.
    let (status, _, _) =
        post_form(&http, &format!("{run_url}/pause"), &admin, "confirmed=yes").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = post_form(
        &http,
        &format!("{run_url}/pause"),
        &admin,
        &format!("csrf={vcsrf}&confirmed=yes"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Unconfirmed: the confirmation page (no JavaScript needed).
    let csrf = csrf_of(&http, &run_url, &admin).await;
    let (status, _, confirm) = post_form(
        &http,
        &format!("{run_url}/pause"),
        &admin,
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{confirm}");
    assert!(confirm.contains("id=\"confirm-form\""), "{confirm}");
    assert!(
        confirm.contains("name=\"confirmed\" value=\"yes\""),
        "{confirm}"
    );
    let (_, v) = svc.json("GET", &format!("/api/v1/runs/{id}"), None).await;
    assert_eq!(
        v["run"]["control"]["state"], "running",
        "not paused yet: {v:#}"
    );
    // Confirmed: paused, as the API shows.
    let (status, headers, body) = post_form(
        &http,
        &format!("{run_url}/pause"),
        &admin,
        &format!("csrf={csrf}&confirmed=yes&reason=rack+12"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(headers[LOCATION], format!("/runs/{id}"));
    let paused = run_until(&svc, id, |v| v["run"]["control"]["state"] == "paused").await;
    assert_eq!(paused["run"]["control"]["requested_by"], "token:default");
    assert_eq!(paused["run"]["control"]["reason"], "rack 12");
    let (_, _, prun) = page(&http, &run_url, &admin).await;
    assert!(
        prun.contains("id=\"resume\"") && !prun.contains("id=\"pause\""),
        "{prun}"
    );
    assert!(prun.contains("data-state=\"paused\""), "{prun}");
    // Audited like the API's: the dashboard's pause and the viewer's refusal.
    let (_, a) = svc.json("GET", "/api/v1/audit", None).await;
    let entries = a["entries"].as_array().unwrap();
    assert!(
        entries.iter().any(|e| e["action"] == "runs.pause"
            && e["who"] == "token:default"
            && e["outcome"] == "ok"
            && e["detail"].as_str().unwrap_or("").contains("dashboard")),
        "{a:#}"
    );
    assert!(
        entries.iter().any(|e| e["action"] == "runs.pause"
            && e["who"] == "token:grafana"
            && e["outcome"] == "denied"),
        "{a:#}"
    );
    // The stream told of a host's state change (the canary's step).
    let (_, h) = next_event(&mut live, "host").await;
    assert!(h["host"].is_string() && h["state"].is_string(), "{h}");
    let (_, r) = next_event(&mut live, "run").await;
    assert!(r["state"].is_string(), "{r}");
    // Resume through the API; the stream ends with the run.
    let (status, _) = svc
        .json("POST", &format!("/api/v1/runs/{id}/resume"), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (_, end) = next_event(&mut live, "end").await;
    assert_eq!(end["status"], "completed", "{end}");
    let done = svc.wait_run(id).await;
    assert_eq!(done["run"]["status"], "completed", "{done:#}");
    let (_, _, drun) = page(&http, &run_url, &admin).await;
    assert_eq!(
        drun.matches("class=\"cell st-updated\"").count(),
        count,
        "{drun}"
    );
    assert!(
        !drun.contains("id=\"actions\""),
        "no buttons on an ended run: {drun}"
    );
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_script_in_a_component_name_and_a_model_name_is_inert_on_every_page() {
    // Hostile strings as a BMC reports them: a mock BMC given its own
    // inventory through its state file (docs/MOCK-BMC.md#custom-inventory).
    const EVIL: &str = "<script>alert(1)</script>";
    const ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt;";
    let count = 2;
    let state = tempfile::tempdir().unwrap();
    for i in 0..count {
        let name = mock_bmc::fleet::host_name(i, count);
        let mut m = mock_bmc::Machine::generate(&name, mock_bmc::Persona::Generic, 1, i);
        m.model = format!("R{EVIL}");
        let c = m
            .components
            .iter_mut()
            .find(|c| c.role == mock_bmc::machine::Role::Active)
            .unwrap();
        c.name = format!("{} {EVIL}", c.name);
        std::fs::write(
            state.path().join(format!("{name}.json")),
            serde_json::to_vec(&m).unwrap(),
        )
        .unwrap();
    }
    let s = setup(
        FleetConfig {
            count,
            profile: Profile::Single(mock_bmc::Persona::Generic),
            timing: timing(),
            state_dir: Some(state.path().to_path_buf()),
            ..FleetConfig::default()
        }
        .ideal(),
        "canary = 0",
    )
    .await;
    repository_of_kind(
        &s,
        mock_bmc::Kind::Bios,
        mock_bmc::vstyle::Bump::Patch,
        None,
    )
    .await;
    let out = fwfleet(&["inventory"], &s.config);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svc = start_service_with(&s.config, Token::new(TOKEN, "test").unwrap().into()).await;
    let (status, v) = svc.json("POST", "/api/v1/runs", None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    let id = v["run_id"].as_i64().unwrap();
    svc.wait_run(id).await;
    let http = browser();
    let admin = sign_in(&http, &svc.url(""), TOKEN).await;
    let host = mock_bmc::fleet::host_name(0, count);
    for (path, shows) in [
        ("/".to_string(), true),
        ("/hosts".to_string(), true),
        (format!("/hosts/{host}"), true),
        ("/runs".to_string(), false),
        (format!("/runs/{id}"), false),
    ] {
        let (status, headers, html) = page(&http, &svc.url(&path), &admin).await;
        assert_eq!(status, StatusCode::OK, "{path}: {html}");
        assert!(!html.contains(EVIL), "{path} carries the script: {html}");
        assert!(!html.contains("<script>"), "{path}: {html}");
        if shows {
            assert!(html.contains(&format!("R{ESCAPED}")), "{path}: {html}");
        }
        let csp = headers[CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
    }
    let (_, _, h) = page(&http, &svc.url(&format!("/hosts/{host}")), &admin).await;
    assert!(
        h.contains(&format!(" {ESCAPED}</td>")),
        "the component: {h}"
    );
    // The host's steps of the run, in its timeline (read for the host alone).
    assert!(
        h.contains("class=\"timeline\"") && h.contains(&format!("<td class=\"n\">{id}</td>")),
        "the timeline: {h}"
    );
    // The JSON twin carries the string as data.
    let (_, f) = svc.json("GET", "/api/v1/fleet", None).await;
    assert!(
        f["matrix"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["model"] == format!("R{EVIL}")),
        "{f:#}"
    );
    svc.shutdown().await;
}

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

fn browser() -> reqwest::Client {
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
async fn sign_in(http: &reqwest::Client, url: &str, token: &str) -> String {
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

async fn page(http: &reqwest::Client, url: &str, cookie: &str) -> (StatusCode, HeaderMap, String) {
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

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

/// The fleet page's compliance table: status → hosts.
async fn compliance_counts(b: &Browser) -> BTreeMap<String, u64> {
    let v = b
        .script(
            "return [...document.querySelectorAll('table.compliance tr[data-status]')]
                .map(tr => [tr.dataset.status, tr.querySelector('td.n').textContent.trim()]);",
        )
        .await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_string(),
                p[1].as_str().unwrap().parse().unwrap(),
            )
        })
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
    let shown: BTreeMap<String, u64> = compliance_counts(&b)
        .await
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect();
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

//! Dashboard pages at fleet scale: `fwfleet serve` (the release binary) over
//! a store of 10,000 hosts, each with a saved scan and a plan against a
//! repository, 30 small runs and one run over every host (10,000 steps, a
//! frozen plan of 10,000 entries, 20,000 events). Signs in like a browser
//! and fetches each page over real HTTP on loopback, one request at a time,
//! body read in full. Target (issue 22): p95 ≤ 200 ms per page.
//!
//! `cargo bench --bench dashboard [-- --hosts N --requests N]` (defaults
//! 10,000 and 40). The first `/` builds the daemon's cached fleet view (scan
//! read + plan of every host) and is reported on its own; it is not a page
//! view but the cost after each new scan. Exits 1 when a page misses the
//! target.

mod common;
use common::num;

use fwfleet::inventory::model::{Component, HostInventory, Inventory};
use fwfleet::repository::{AddSpec, Repository};
use fwfleet::store::sqlite::{NewStep, StateChange};
use fwfleet::store::{SqliteStore, Store};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TOKEN: &str = "dashboard-bench-token-0123456789abcdef";
const TARGET_MS: f64 = 200.0;
const MODELS: [&str; 4] = [
    "PowerEdge R650",
    "PowerEdge R750",
    "ProLiant DL360",
    "SYS-120U",
];

fn host(i: usize) -> String {
    format!("node-{i:05}")
}

fn component(id: &str, kind: &str, version: &str) -> Component {
    serde_json::from_value(serde_json::json!({
        "id": id, "name": format!("{id} firmware"), "kind": kind,
        "version": version, "updateable": true, "software_id": null,
        "role": "active", "identity": id, "uri": format!("/redfish/v1/UpdateService/FirmwareInventory/{id}"),
    }))
    .expect("component")
}

/// The fleet's scan: four models; BIOS behind on two hosts in three, BMC
/// behind on one in five, one in a hundred hosts failed.
fn inventory(n: usize) -> Inventory {
    let hosts = (0..n)
        .map(|i| {
            let mut h = HostInventory::unread(&host(i), "http://127.0.0.1:9");
            if i % 100 == 99 {
                h.error = Some("connection refused".into());
                return h;
            }
            h.ok = true;
            h.system.manufacturer = Some("Vendor".into());
            h.system.model = Some(MODELS[i % MODELS.len()].into());
            h.system.serial = Some(format!("SN{i:07}"));
            let bios = if i % 3 == 0 { "2.0.0" } else { "1.9.0" };
            let bmc = if i % 5 == 0 { "6.9.0" } else { "7.0.0" };
            h.components = vec![
                component("BIOS", "bios", bios),
                component("BMC", "bmc", bmc),
                component("NIC.1", "nic", "22.31.6"),
            ];
            h
        })
        .collect();
    Inventory {
        scanned_at: chrono::Utc::now().to_rfc3339(),
        hosts,
    }
}

fn write_config(dir: &std::path::Path, n: usize) {
    let mut text = String::from("[daemon]\ntoken_file = \"api.token\"\nscheduler = false\n\n[rollout]\ncanary = 2\nmax_parallel = 100\n\n");
    for i in 0..n {
        text.push_str(&format!(
            "[[hosts]]\nname = \"{}\"\nurl = \"http://127.0.0.1:9\"\nusername = \"u\"\npassword = \"p\"\nlabels = {{ rack = \"r{}\" }}\n\n",
            host(i),
            i / 40
        ));
    }
    mock_bmc::fleet::write_private(&dir.join("fleet.toml"), text.as_bytes()).expect("config");
    mock_bmc::fleet::write_private(&dir.join("api.token"), TOKEN.as_bytes()).expect("token");
}

fn repository(dir: &std::path::Path) {
    let mut repo = Repository::create_or_open(dir.join("repository")).expect("repository");
    for (kind, version) in [("bios", "2.0.0"), ("bmc", "7.0.0")] {
        let image = dir.join(format!("{kind}-{version}.bin"));
        std::fs::write(&image, format!("{kind} {version}").repeat(512)).expect("image");
        let mut add = AddSpec::new(kind.parse().expect("kind"), version);
        add.models = MODELS.iter().map(|m| m.to_string()).collect();
        repo.add(&image, add).expect("add an image");
    }
}

/// One finished run with a step per `hosts` entry (updated, one in fifty
/// failed) and two events per step, written by 32 threads (the store's
/// group commit shares their fsyncs).
fn journal_run(db: &Arc<SqliteStore>, run: i64, hosts: &[String]) {
    let chunks: Vec<Vec<String>> = hosts
        .chunks(hosts.len().div_ceil(32).max(1))
        .map(<[String]>::to_vec)
        .collect();
    std::thread::scope(|s| {
        for chunk in chunks {
            let db = db.clone();
            s.spawn(move || {
                for (i, h) in chunk.iter().enumerate() {
                    let id = db
                        .add_step(
                            run,
                            &NewStep {
                                host: h,
                                component: "BIOS",
                                from_version: Some("1.9.0"),
                                to_version: "2.0.0",
                                state: "planned",
                            },
                        )
                        .expect("step");
                    db.add_event(
                        run,
                        Some(id),
                        "submitted",
                        &format!("{h}: SimpleUpdate sent"),
                    )
                    .expect("event");
                    let outcome = if i % 50 == 49 { "failed" } else { "updated" };
                    db.set_step_state_with_event(
                        run,
                        id,
                        &StateChange {
                            state: "done",
                            outcome: Some(outcome),
                            message: Some("BIOS 1.9.0 -> 2.0.0"),
                            ..StateChange::default()
                        },
                        (outcome, "BIOS 1.9.0 -> 2.0.0"),
                    )
                    .expect("state");
                }
            });
        }
    });
}

async fn fill_store(dir: &std::path::Path, n: usize) -> i64 {
    let state = dir.join("state");
    let db = Arc::new(SqliteStore::open(&state).expect("store"));
    let store = Store::sqlite(db.clone());
    store.save_inventory(&inventory(n)).await.expect("scan");
    let options = |hosts: usize| {
        serde_json::json!({"command": "serve", "trigger": "api", "options": {}, "max_parallel": 100,
            "canary": 2, "failure_budget": 0.1, "reset_policy": "never", "hosts": hosts})
    };
    for r in 0..30 {
        let run = store.create_run(&options(10)).await.expect("run");
        let hosts: Vec<String> = (r * 10..r * 10 + 10).map(host).collect();
        journal_run(&db, run, &hosts);
        store
            .finish_run(run, fwfleet::vocab::RunStatus::Completed)
            .await
            .expect("finish");
    }
    let big = store.create_run(&options(n)).await.expect("run");
    let hosts: Vec<String> = (0..n).map(host).collect();
    let plan: Vec<serde_json::Value> = hosts
        .iter()
        .map(|h| {
            serde_json::json!({"host": h, "component": "BIOS", "kind": "bios", "from": "1.9.0",
            "to": "2.0.0", "image": "bios-2.0.0.bin", "sha256": "0".repeat(64)})
        })
        .collect();
    store.freeze_plan(big, n, n, &plan).await.expect("plan");
    journal_run(&db, big, &hosts);
    store
        .finish_run(big, fwfleet::vocab::RunStatus::CompletedWithFailures)
        .await
        .expect("finish");
    big
}

/// The cookie `name=value` a response sets.
fn cookie(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .expect("a cookie")
        .to_string()
}

async fn sign_in(http: &reqwest::Client, base: &str) -> String {
    let r = http
        .get(format!("{base}/signin"))
        .send()
        .await
        .expect("signin");
    let pre = cookie(&r, "fwfleet_signin");
    let html = r.text().await.expect("form");
    let at = html.find("name=\"csrf\" value=\"").expect("csrf") + 19;
    let csrf = &html[at..at + 64];
    let r = http
        .post(format!("{base}/signin"))
        .header(reqwest::header::COOKIE, &pre)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}&token={TOKEN}"))
        .send()
        .await
        .expect("sign in");
    cookie(&r, "fwfleet_session")
}

/// Milliseconds of one GET, body read.
async fn fetch(http: &reqwest::Client, url: &str, session: &str) -> (f64, usize) {
    let t = Instant::now();
    let r = http
        .get(url)
        .header(reqwest::header::COOKIE, session)
        .send()
        .await
        .expect("page");
    assert_eq!(r.status(), 200, "{url}");
    let body = r.bytes().await.expect("body");
    (t.elapsed().as_secs_f64() * 1000.0, body.len())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = num(&args, "--hosts", 10_000);
    let requests: usize = num(&args, "--requests", 40);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let t0 = Instant::now();
    write_config(dir.path(), n);
    repository(dir.path());
    let big = rt.block_on(fill_store(dir.path(), n));
    eprintln!(
        "store of {n} hosts written in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_fwfleet"))
        .args(["serve", "--config"])
        .arg(dir.path().join("fleet.toml"))
        .args(["--bind", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start fwfleet serve");
    let stderr = child.stderr.take().expect("stderr");
    let addr = {
        use std::io::{BufRead, BufReader};
        let mut lines = BufReader::new(stderr).lines();
        loop {
            match lines.next() {
                Some(Ok(l)) => {
                    if let Some(a) = l.strip_prefix("fwfleet serve: listening on http://") {
                        let a = a.to_string();
                        std::thread::spawn(move || for _ in lines.by_ref() {});
                        break a;
                    }
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    eprintln!("fwfleet serve ended before listening");
                    return ExitCode::from(2);
                }
            }
        }
    };
    let base = format!("http://{addr}");
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(120))
        .build()
        .expect("client");
    let pages = [
        "/".to_string(),
        "/hosts".to_string(),
        format!("/hosts/{}", host(n / 2)),
        "/runs".to_string(),
        format!("/runs/{big}"),
    ];
    let results = rt.block_on(async {
        let session = sign_in(&http, &base).await;
        let (first, _) = fetch(&http, &format!("{base}/"), &session).await;
        let mut out = Vec::new();
        for p in &pages {
            let url = format!("{base}{p}");
            let mut ms = Vec::with_capacity(requests);
            let mut size = 0;
            for _ in 0..requests {
                let (t, len) = fetch(&http, &url, &session).await;
                ms.push(t);
                size = len;
            }
            ms.sort_by(f64::total_cmp);
            out.push((p.clone(), percentile(&ms, 0.5), percentile(&ms, 0.95), size));
        }
        (first, out)
    });
    let _ = child.kill();
    let _ = child.wait();
    let (first, out) = results;
    println!("dashboard pages, {n} hosts, {requests} requests each, one at a time over loopback");
    println!("first / (builds the cached fleet view): {first:.0} ms");
    println!(
        "{:<22} {:>9} {:>9} {:>10}",
        "page", "p50 ms", "p95 ms", "bytes"
    );
    let mut ok = true;
    for (p, p50, p95, size) in &out {
        let page = if p.starts_with("/hosts/") {
            "/hosts/{name}"
        } else if p.starts_with("/runs/") {
            "/runs/{id}"
        } else {
            p.as_str()
        };
        let mark = if *p95 <= TARGET_MS { "" } else { "  MISSED" };
        ok &= *p95 <= TARGET_MS;
        println!("{page:<22} {p50:>9.1} {p95:>9.1} {size:>10}{mark}");
    }
    println!("target: p95 <= {TARGET_MS} ms per page");
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

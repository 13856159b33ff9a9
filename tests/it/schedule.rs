//! `fwfleet schedule`, `GET /api/v1/schedule` and `serve`'s start warning,
//! on a mock fleet with stored scans and a journal with history.

use crate::apply::{fwfleet, repository_of_kind, setup, timing};
use crate::serve_proc::Serve;
use mock_bmc::fleet::FleetConfig;
use mock_bmc::{Persona, Profile};
use serde_json::Value;
use std::path::Path;

/// A one-shot window `hours` from now, as a `[[windows]]` table.
fn window_in(name: &str, hours: i64, duration: &str) -> String {
    let at = (chrono::Utc::now() + chrono::TimeDelta::hours(hours))
        .format("%Y-%m-%dT%H:00:00Z")
        .to_string();
    format!("\n[[windows]]\nname = \"{name}\"\nat = \"{at}\"\nduration = \"{duration}\"\n")
}

fn append(config: &Path, text: &str) {
    let mut t = std::fs::read_to_string(config).unwrap();
    t.push_str(text);
    mock_bmc::fleet::write_private(config, t.as_bytes()).unwrap();
}

fn ok(out: &std::process::Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(0), "{err}");
    err
}

/// Two windows and a journal with history: the BIOS (estimated from its
/// earlier update) fits the short window, the NIC (no history: the 1h
/// default) waits for the long one; each estimate says where it comes from.
#[test]
fn the_schedule_shows_which_steps_fit_which_window_with_their_estimates() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt.block_on(setup(
        FleetConfig {
            count: 2,
            profile: Profile::Single(Persona::Generic),
            timing: timing(),
            ..FleetConfig::default()
        }
        .ideal(),
        "canary = 0\nstep_deadline_secs = 60",
    ));
    // History: one BIOS update per host.
    rt.block_on(repository_of_kind(
        &s,
        mock_bmc::Kind::Bios,
        mock_bmc::vstyle::Bump::Patch,
        None,
    ));
    ok(&fwfleet(&["apply", "--yes"], &s.config));
    ok(&fwfleet(&["inventory"], &s.config));
    // Now a newer BIOS and a NIC image wait.
    rt.block_on(repository_of_kind(
        &s,
        mock_bmc::Kind::Bios,
        mock_bmc::vstyle::Bump::Patch,
        None,
    ));
    rt.block_on(repository_of_kind(
        &s,
        mock_bmc::Kind::Nic,
        mock_bmc::vstyle::Bump::Patch,
        None,
    ));
    append(
        &s.config,
        &format!(
            "{}{}",
            window_in("short", 2, "10m"),
            window_in("long", 5, "4h")
        ),
    );

    let out = fwfleet(&["schedule", "--days", "2", "--format", "json"], &s.config);
    ok(&out);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let hosts = v["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 2, "{v:#}");
    assert_eq!(v["warnings"].as_array().unwrap().len(), 0, "{v:#}");
    for h in hosts {
        let spans = h["spans"].as_array().unwrap();
        assert_eq!(spans.len(), 2, "{h:#}");
        assert_eq!(spans[0]["windows"][0], "short");
        assert_eq!(spans[1]["windows"][0], "long");
        // Short: the BIOS only, estimated from the earlier update of each
        // host (one model: history is kept per component and model).
        let short = spans[0]["steps"].as_array().unwrap();
        assert_eq!(short.len(), 1, "{h:#}");
        assert!(short[0]["component"].as_str().unwrap().starts_with("bios "));
        assert_eq!(short[0]["estimate"]["source"], "history");
        assert_eq!(short[0]["estimate"]["samples"], 2);
        assert!(short[0]["estimate"]["secs"].as_u64().unwrap() < 600);
        assert!(
            spans[0]["waits"]
                .as_str()
                .unwrap()
                .contains("needs 1h (default)"),
            "{h:#}"
        );
        // Long: the NIC, on the default.
        let long = spans[1]["steps"].as_array().unwrap();
        assert_eq!(long.len(), 1, "{h:#}");
        assert!(long[0]["component"].as_str().unwrap().starts_with("nic "));
        assert_eq!(long[0]["estimate"]["source"], "default");
        assert_eq!(long[0]["estimate"]["secs"], 3600);
        assert_eq!(long[0]["begin"], spans[1]["start"]);
        assert!(h["unscheduled"].as_array().unwrap().is_empty());
    }
    // The text form says the same, a line per window.
    let out = fwfleet(&["schedule", "--days", "2"], &s.config);
    ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("[short]") && text.contains("[long]"),
        "{text}"
    );
    assert!(text.contains("from 2 earlier step(s)"), "{text}");
    assert!(text.contains("waits: nic"), "{text}");
    // Nothing was flashed by looking.
    let flashed: u64 = s
        .fleet
        .bmcs
        .iter()
        .flat_map(|b| b.state()["components"].as_array().unwrap().clone())
        .map(|c| c["flash_count"].as_u64().unwrap())
        .sum();
    assert_eq!(flashed, 2);
    // Bad input: a clear error, exit 2.
    let out = fwfleet(&["schedule", "--days", "0"], &s.config);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--days 0"));
}

/// A window shorter than the first planned step: `schedule` exits 1 with
/// the estimate to blame, `serve` says it at start, and the API shows it.
#[test]
fn a_window_too_short_for_any_step_is_named_by_schedule_serve_and_the_api() {
    const TOKEN: &str = "schedule-test-token-0123456789abcdef";
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt.block_on(setup(
        FleetConfig {
            count: 1,
            profile: Profile::Single(Persona::Generic),
            timing: timing(),
            ..FleetConfig::default()
        }
        .ideal(),
        "canary = 0\nstep_deadline_secs = 60",
    ));
    rt.block_on(repository_of_kind(
        &s,
        mock_bmc::Kind::Nic,
        mock_bmc::vstyle::Bump::Patch,
        None,
    ));
    // No scan stored yet: a clear error naming the command to run.
    append(&s.config, &window_in("short", 3, "15m"));
    let out = fwfleet(&["schedule"], &s.config);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("fwfleet inventory"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    ok(&fwfleet(&["inventory"], &s.config));
    let out = fwfleet(&["schedule"], &s.config);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "warning: window short (15m) cannot fit any planned step of bmc-0001: the first, nic "
        ) && text.contains("is estimated 1h by the configured default"),
        "{text}"
    );

    let t = std::fs::read_to_string(&s.config).unwrap();
    let t = format!("[daemon]\ntoken_env = \"FWFLEET_SCHEDULE_TEST_TOKEN\"\n\n{t}");
    mock_bmc::fleet::write_private(&s.config, t.as_bytes()).unwrap();
    let serve = Serve::start(&s.config, "FWFLEET_SCHEDULE_TEST_TOKEN", TOKEN, "warn");
    let warning = serve.wait_for("cannot fit any planned step");
    assert!(
        warning.contains("window short (15m)") && warning.contains("fwfleet schedule"),
        "{warning}"
    );
    let base = serve.base.clone();
    let v: Value = rt.block_on(async {
        let c = reqwest::Client::new();
        let bad = c
            .get(format!("{base}/api/v1/schedule?days=9999"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status().as_u16(), 400);
        let unauth = c
            .get(format!("{base}/api/v1/schedule"))
            .send()
            .await
            .unwrap();
        assert_eq!(unauth.status().as_u16(), 401);
        c.get(format!("{base}/api/v1/schedule?days=1"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    drop(serve);
    assert_eq!(v["days"], 1);
    assert_eq!(v["hosts"][0]["host"], "bmc-0001", "{v:#}");
    let un = &v["hosts"][0]["unscheduled"][0];
    assert!(
        un["reason"]
            .as_str()
            .unwrap()
            .contains("longer than any window of the host (longest 15m)"),
        "{v:#}"
    );
    assert_eq!(v["warnings"].as_array().unwrap().len(), 1, "{v:#}");
}

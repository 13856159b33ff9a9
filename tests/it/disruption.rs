//! Disruption classes (issue 21 item 4), end to end through `fwfleet apply
//! --at --window` at the mock's default field timings: with `[rollout]
//! no_host_impact_outside_windows` the BMC firmware step (no-host-impact:
//! the BMC reboots, the server keeps running) runs before the window opens,
//! while the BIOS step and the host reset wait for the window's start; the
//! journal shows both times. Without the policy nothing starts before the
//! window. The plan JSON names each step's class and where it came from.

use crate::apply::Setup;
use crate::field::{field_fleet, field_repository};
use crate::timing::FIELD_SCALE;
use chrono::{DateTime, Utc};
use fwfleet::config::Config;
use fwfleet::store::SqliteStore;
use mock_bmc::persona::Variant;
use mock_bmc::{Kind as MockKind, Persona};
use serde_json::Value;
use std::path::PathBuf;

const ROLLOUT: &str = "reset_policy = \"graceful\"\ncanary = 0\n";

async fn bmc_and_bios(rollout: &str) -> Setup {
    let s = field_fleet(
        Persona::Generic,
        Variant::default(),
        1,
        FIELD_SCALE,
        Default::default(),
        rollout,
    )
    .await;
    field_repository(&s, Persona::Generic, &[MockKind::Bmc, MockKind::Bios]).await;
    s
}

/// `fwfleet apply --yes --format json --at AT --window 1h`, to its end.
async fn apply_at(config: PathBuf, at: DateTime<Utc>) -> (Option<i32>, Value, String) {
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_fwfleet"))
            .args(["apply", "--yes", "--format", "json", "--at"])
            .arg(at.to_rfc3339())
            .args(["--window", "1h", "--config"])
            .arg(&config)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        let v = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("apply JSON: {e}\n{err}"));
        (out.status.code(), v, err)
    })
    .await
    .unwrap()
}

fn when(at: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(at)
        .unwrap()
        .with_timezone(&Utc)
}

/// Per step of the run (component identity → first journal event time),
/// and every event of the run.
fn journal(s: &Setup, run: i64) -> (Vec<(String, DateTime<Utc>)>, Vec<fwfleet::store::Event>) {
    let cfg = Config::load(&s.config).unwrap();
    let store = SqliteStore::open(&cfg.state_dir).unwrap();
    let events = store.events(run).unwrap();
    let steps = store
        .steps(run)
        .unwrap()
        .into_iter()
        .map(|st| {
            let first = events
                .iter()
                .filter(|e| e.step_id == Some(st.id))
                .map(|e| when(&e.at))
                .min()
                .unwrap_or_else(|| panic!("step {} has no event", st.component));
            (st.component, first)
        })
        .collect();
    (steps, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_no_host_impact_step_runs_outside_the_window_when_allowed() {
    let policy = format!("{ROLLOUT}no_host_impact_outside_windows = true\n");
    let (allowed, strict) = tokio::join!(bmc_and_bios(&policy), bmc_and_bios(ROLLOUT),);
    // The plan names each step's class and its source.
    let out = crate::apply::fwfleet(&["plan", "--format", "json"], &allowed.config);
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = plan["hosts"][0]["steps"].as_array().unwrap();
    let class = |kind: &str| {
        let s = steps
            .iter()
            .find(|s| s["kind"] == kind && s["action"] == "upgrade")
            .unwrap_or_else(|| panic!("no {kind} upgrade in {plan:#}"));
        (s["disruption"].clone(), s["disruption_source"].clone())
    };
    assert_eq!(
        class("bmc"),
        ("no-host-impact".into(), "kind-default".into())
    );
    assert_eq!(class("bios"), ("host-reboot".into(), "kind-default".into()));

    // The window opens well after a BMC update could start.
    let start = Utc::now() + chrono::Duration::seconds(25);
    let ((code, v, err), (strict_code, strict_v, strict_err)) = tokio::join!(
        apply_at(allowed.config.clone(), start),
        apply_at(strict.config.clone(), start),
    );
    assert_eq!(code, Some(0), "{err}\n{v:#}");
    assert_eq!(v["hosts_by_result"]["updated"], 1, "{v:#}");
    assert!(err.contains("no-host-impact steps run now"), "{err}");
    let run = v["run_id"].as_i64().unwrap();
    let (steps, events) = journal(&allowed, run);
    assert_eq!(steps.len(), 2, "{steps:?}");
    let bmc = &allowed.fleet.bmcs[0];
    let st = bmc.state();
    // The BMC step (planned first) began before the window; the BIOS step
    // and the coordinated reset only inside it.
    let early: Vec<&fwfleet::store::Event> = events
        .iter()
        .filter(|e| e.kind == "outside-window" && e.message.contains("runs before the window"))
        .collect();
    assert_eq!(early.len(), 1, "{events:#?}");
    assert!(when(&early[0].at) < start, "{early:?} vs {start}");
    let (bmc_step, bmc_began) = steps
        .iter()
        .find(|(c, _)| early[0].message.contains(c.as_str()))
        .unwrap_or_else(|| panic!("{early:?} names no step of {steps:?}"));
    assert!(
        *bmc_began < start,
        "BMC step began {bmc_began}, window {start}"
    );
    let (bios_step, bios_began) = steps.iter().find(|(c, _)| c != bmc_step).unwrap();
    assert!(
        *bios_began >= start,
        "BIOS step {bios_step} began {bios_began}, before the window {start}"
    );
    let wait = events
        .iter()
        .find(|e| e.kind == "window-wait" && e.message.contains(bios_step.as_str()))
        .unwrap_or_else(|| panic!("no window-wait for {bios_step}: {events:#?}"));
    assert!(
        when(&wait.at) < start && wait.message.contains("host-reboot"),
        "{wait:?}"
    );
    let resets: Vec<_> = events.iter().filter(|e| e.kind == "reset").collect();
    assert!(!resets.is_empty(), "{events:#?}");
    assert!(resets.iter().all(|e| when(&e.at) >= start), "{resets:#?}");
    assert_eq!(
        st["field"]["host_resets"], 1,
        "one host reset, in the window"
    );

    // Without the policy the whole run waits for the window.
    assert_eq!(strict_code, Some(0), "{strict_err}\n{strict_v:#}");
    assert!(strict_err.contains("waiting until"), "{strict_err}");
    let (strict_steps, strict_events) = journal(&strict, strict_v["run_id"].as_i64().unwrap());
    assert_eq!(strict_steps.len(), 2, "{strict_steps:?}");
    assert!(
        strict_events.iter().all(|e| when(&e.at) >= start),
        "{strict_events:#?}"
    );
}

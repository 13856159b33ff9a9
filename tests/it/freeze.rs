//! Change freezes (`[[freezes]]`, issue 21 item 2): no run starts on a
//! frozen host. `apply` refuses naming the freeze (exit 2) and runs with an
//! explicit, recorded override; `serve` refuses an API run on a frozen host
//! (409 `frozen`) and leaves frozen hosts out of a window's run. The mock
//! BMCs' flash counters judge what was sent.

use super::apply::{fwfleet, repository_of_kind, setup, timing, Setup};
use super::daemon::{first_run, flashes, generic_fleet, start_service, window_in};
use reqwest::StatusCode;
use serde_json::Value;

/// A freeze on `hosts` from an hour ago to an hour from now.
fn freeze_now(hosts: &str) -> String {
    let t = |h: i64| {
        (chrono::Utc::now() + chrono::TimeDelta::hours(h))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    format!(
        "\n[[freezes]]\nname = \"year-end\"\nstart = \"{}\"\nend = \"{}\"\nreason = \"year-end change freeze (CAB-1182)\"\nhosts = [\"{hosts}\"]\n",
        t(-1),
        t(1)
    )
}

/// Two generic BMCs with a BIOS image a patch ahead; `extra` after `[rollout]`.
async fn fleet(extra: &str) -> Setup {
    let s = setup(
        generic_fleet(2, timing()),
        &format!("canary = 0\nmax_parallel = 2\nstep_deadline_secs = 120\n{extra}"),
    )
    .await;
    repository_of_kind(
        &s,
        mock_bmc::Kind::Bios,
        mock_bmc::vstyle::Bump::Patch,
        None,
    )
    .await;
    s
}

#[test]
fn apply_refuses_a_run_inside_a_freeze_naming_it_and_an_override_runs_and_is_recorded() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt.block_on(fleet(&freeze_now("bmc-0001")));
    let out = fwfleet(&["apply", "--yes"], &s.config);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("inside a change freeze")
            && stderr.contains("freeze #1 \"year-end\"")
            && stderr.contains("CAB-1182")
            && stderr.contains("bmc-0001")
            && stderr.contains("--override-freeze"),
        "{stderr}"
    );
    assert_eq!(flashes(&s), vec![0, 0]);
    // A host no freeze covers runs.
    let out = fwfleet(&["apply", "--yes", "--exclude", "bmc-0001"], &s.config);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(flashes(&s), vec![0, 1]);
    // An override needs a reason, and is recorded with the run.
    let out = fwfleet(&["apply", "--yes", "--override-freeze", " "], &s.config);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let out = fwfleet(
        &[
            "apply",
            "--yes",
            "--override-freeze",
            "emergency BIOS fix INC-42",
            "--format",
            "json",
        ],
        &s.config,
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(flashes(&s), vec![1, 1]);
    let id = serde_json::from_slice::<Value>(&out.stdout).unwrap()["run_id"]
        .as_i64()
        .unwrap()
        .to_string();
    let out = fwfleet(&["status", "--run", &id, "--format", "json"], &s.config);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = v.to_string();
    assert!(
        text.contains("\"override_freeze\":\"emergency BIOS fix INC-42\"")
            && text.contains("freeze-override"),
        "{v:#}"
    );
    let out = fwfleet(&["audit", "--format", "json"], &s.config);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("apply.override-freeze"),
        "{out:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_refuses_an_api_run_on_a_frozen_host_and_a_window_run_leaves_it_out() {
    // Far enough ahead that the API call below comes before the window.
    let (_, windows) = window_in(5, "10m");
    let s = fleet(&format!(
        "{}{windows}[estimates]\ndefault = \"1m\"\n",
        freeze_now("bmc-0001")
    ))
    .await;
    let svc = start_service(&s.config).await;
    let (status, v) = svc.json("POST", "/api/v1/runs", None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "frozen", "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("freeze #1 \"year-end\""),
        "{v}"
    );
    // The window opens: its run updates only the host no freeze covers.
    let id = first_run(&svc).await;
    let done = svc.wait_run(id).await;
    assert_eq!(done["run"]["status"], "completed", "{done:#}");
    assert_eq!(done["run"]["options"]["window"]["hosts"], 1, "{done:#}");
    assert!(
        done["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "frozen" && e["message"].as_str().unwrap().contains("bmc-0001")),
        "{done:#}"
    );
    assert_eq!(flashes(&s), vec![0, 1]);
    svc.shutdown().await;
}

//! `fwfleet rollback` (issue 21 item 5) against field-behaviour mock BMCs:
//! on an iDRAC through its kept `Previous-` image (journaled as a step of
//! a `rollback` run, the versions swapped, the inventory agreeing); refused
//! on a BMC that keeps no previous image unless `--allow-downgrade`, and
//! then the older repository entry is flashed.

use crate::apply::{fwfleet, Setup};
use crate::field::{field_fleet, field_repository};
use crate::timing::FIELD_SCALE;
use fwfleet::repository::{AddSpec, Repository};
use mock_bmc::persona::Variant;
use mock_bmc::{Kind as MockKind, Persona};
use serde_json::Value;

async fn one_host(persona: Persona) -> Setup {
    let s = field_fleet(
        persona,
        Variant::default(),
        1,
        FIELD_SCALE,
        Default::default(),
        "",
    )
    .await;
    field_repository(&s, persona, &[MockKind::Bios]).await;
    s
}

/// Host 0's components of `kind` as the mock itself holds them.
async fn mock_components(s: &Setup, kind: &str) -> Vec<Value> {
    let states = mock_bmc::imagegen::fetch_states(&s.config).await.unwrap();
    states[0]["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == kind)
        .cloned()
        .collect()
}

fn version_of(cs: &[Value], role: &str) -> String {
    cs.iter()
        .find(|c| c["role"] == role)
        .unwrap_or_else(|| panic!("no {role} component in {cs:?}"))["version"]
        .as_str()
        .unwrap()
        .to_string()
}

fn flashes(cs: &[Value]) -> u64 {
    cs.iter().map(|c| c["flash_count"].as_u64().unwrap()).sum()
}

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// On an iDRAC the kept `Previous-` image is installed again by
/// SimpleUpdate with `ImageURI` = that entry: one journaled step of a run
/// whose command is `rollback`, the previous version active afterwards
/// (and the replaced one kept as the new `Previous-`), and `fwfleet
/// inventory` agreeing with the mock.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rollback_on_idrac_installs_the_previous_image() {
    let s = one_host(Persona::Idrac).await;
    let host = s.fleet.bmcs[0].name().to_string();
    let before = mock_components(&s, "bmc").await;
    let (was, kept) = (
        version_of(&before, "active"),
        version_of(&before, "previous"),
    );
    assert_ne!(was, kept);

    let dry = fwfleet(
        &[
            "rollback",
            "--component",
            "bmc",
            "--hosts",
            &host,
            "--dry-run",
            "--json",
        ],
        &s.config,
    );
    assert!(dry.status.success(), "{}", text(&dry));
    let dry: Value = serde_json::from_slice(&dry.stdout).unwrap();
    let choice = &dry["hosts"][0]["components"][0];
    assert_eq!(choice["how"], "kept-image", "{dry}");
    assert_eq!(choice["version"], kept.as_str(), "{dry}");
    assert!(
        choice["uri"].as_str().unwrap().contains("/Previous-25227-"),
        "{dry}"
    );
    assert_eq!(
        flashes(&mock_components(&s, "bmc").await),
        flashes(&before),
        "a dry run flashes nothing"
    );

    let out = fwfleet(
        &[
            "rollback",
            "--component",
            "bmc",
            "--hosts",
            &host,
            "--yes",
            "--json",
        ],
        &s.config,
    );
    assert!(out.status.success(), "{}", text(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let step = &r["report"]["hosts"][0]["steps"][0];
    assert_eq!(step["outcome"], "updated", "{r}");
    assert_eq!(step["to"], kept.as_str(), "{r}");
    assert_eq!(step["method"], "kept-image", "{r}");

    let after = mock_components(&s, "bmc").await;
    assert_eq!(
        version_of(&after, "active"),
        kept,
        "the previous image runs"
    );
    assert_eq!(
        version_of(&after, "previous"),
        was,
        "the replaced one is kept"
    );

    // The journal: a run of command `rollback` with the step.
    let run = r["run_id"].as_i64().unwrap().to_string();
    let st = fwfleet(&["status", "--run", &run, "--format", "json"], &s.config);
    let st: Value = serde_json::from_slice(&st.stdout).unwrap();
    assert_eq!(st["run"]["options"]["command"], "rollback", "{st}");
    let steps = st["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 1, "{st}");
    assert_eq!(steps[0]["to_version"], kept.as_str(), "{st}");
    assert_eq!(steps[0]["from_version"], was.as_str(), "{st}");
    assert_eq!(steps[0]["outcome"], "updated", "{st}");

    // A fresh scan agrees.
    let inv = fwfleet(&["inventory", "--format", "json", "--no-save"], &s.config);
    let inv: Value = serde_json::from_slice(&inv.stdout).unwrap();
    let bmc: Vec<&Value> = inv["hosts"][0]["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "bmc")
        .collect();
    let active = bmc.iter().find(|c| c["role"] == "active").unwrap();
    assert_eq!(active["version"], kept.as_str(), "{bmc:?}");
    let previous = bmc.iter().find(|c| c["role"] == "previous").unwrap();
    assert_eq!(previous["version"], was.as_str(), "{bmc:?}");
}

/// A BMC that keeps no previous image: the whole rollback is refused with
/// exit 2 naming the host and `--allow-downgrade`, nothing is flashed and
/// no run is created; with `--allow-downgrade` the older repository entry
/// is flashed through the normal step path.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rollback_without_a_kept_image_is_refused_unless_downgrades_are_allowed() {
    let s = one_host(Persona::Generic).await;
    let host = s.fleet.bmcs[0].name().to_string();
    let before = mock_components(&s, "bmc").await;
    let was = version_of(&before, "active");

    let out = fwfleet(
        &["rollback", "--component", "bmc", "--hosts", &host, "--yes"],
        &s.config,
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&host), "{err}");
    assert!(err.contains("--allow-downgrade"), "{err}");
    assert!(err.contains("nothing was flashed"), "{err}");
    assert_eq!(flashes(&mock_components(&s, "bmc").await), flashes(&before));
    let runs = fwfleet(&["status", "--format", "json"], &s.config);
    let runs: Value = serde_json::from_slice(&runs.stdout).unwrap();
    assert!(runs["runs"].as_array().unwrap().is_empty(), "{runs}");

    // Upgrade first, so that the repository's older entry is the one the
    // host ran: BMC v0 → v1 by `apply`, then the entry for v0 is added.
    let repo_dir = s.dir.path().join("repository");
    let images = s.dir.path().join("images");
    let newer = field_repository(&s, Persona::Generic, &[MockKind::Bmc]).await;
    let v1 = newer
        .list()
        .iter()
        .find(|e| e.kind == fwfleet::inventory::model::Kind::Bmc)
        .unwrap()
        .version
        .clone();
    let out = fwfleet(
        &["apply", "--yes", "--kinds", "bmc", "--format", "json"],
        &s.config,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(version_of(&mock_components(&s, "bmc").await, "active"), v1);
    let old = images.join("bmc-old.img");
    mock_bmc::image::ImageBuilder::new(MockKind::Bmc, was.clone())
        .payload_size(4096)
        .write_file(&old)
        .unwrap();
    let mut repo = Repository::open(&repo_dir).unwrap();
    repo.add(
        &old,
        AddSpec::new(fwfleet::inventory::model::Kind::Bmc, was.clone()),
    )
    .unwrap();

    let out = fwfleet(
        &[
            "rollback",
            "--component",
            "bmc",
            "--hosts",
            &host,
            "--allow-downgrade",
            "--yes",
            "--json",
        ],
        &s.config,
    );
    assert!(out.status.success(), "{}", text(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let choice = &r["hosts"][0]["components"][0];
    assert_eq!(choice["how"], "repository", "{r}");
    assert_eq!(choice["version"], was.as_str(), "{r}");
    let step = &r["report"]["hosts"][0]["steps"][0];
    assert_eq!(step["outcome"], "updated", "{r}");
    assert_eq!(version_of(&mock_components(&s, "bmc").await, "active"), was);
}

/// A rollback respects freezes and holds like `apply`: inside a change
/// freeze it is refused naming the freeze (exit 2, nothing scanned or
/// flashed), with `--override-freeze REASON` it runs; a hold on the host
/// keeps the step `held` and the BMC untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rollback_respects_freezes_and_holds() {
    let s = one_host(Persona::Idrac).await;
    let host = s.fleet.bmcs[0].name().to_string();
    let before = mock_components(&s, "bmc").await;
    let t = |h: i64| {
        (chrono::Utc::now() + chrono::TimeDelta::hours(h))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let mut cfg = std::fs::read_to_string(&s.config).unwrap();
    cfg.push_str(&format!(
        "\n[[freezes]]\nname = \"year-end\"\nstart = \"{}\"\nend = \"{}\"\nreason = \"year-end change freeze\"\nhosts = [\"{host}\"]\n",
        t(-1),
        t(1)
    ));
    mock_bmc::fleet::write_private(&s.config, cfg.as_bytes()).unwrap();
    let args = [
        "rollback",
        "--component",
        "bmc",
        "--hosts",
        &host,
        "--yes",
        "--json",
    ];
    let out = fwfleet(&args, &s.config);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("year-end"), "{err}");
    assert_eq!(flashes(&mock_components(&s, "bmc").await), flashes(&before));

    // Overridden, but held: the step is held and nothing is sent.
    let hold = fwfleet(
        &[
            "hold",
            "add",
            "--hosts",
            &host,
            "--reason",
            "under investigation",
        ],
        &s.config,
    );
    assert!(hold.status.success(), "{}", text(&hold));
    let mut with_override = args.to_vec();
    with_override.extend(["--override-freeze", "incident 7"]);
    let out = fwfleet(&with_override, &s.config);
    let r: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out)));
    assert_eq!(
        r["report"]["hosts"][0]["steps"][0]["outcome"], "held",
        "{r}"
    );
    assert_eq!(flashes(&mock_components(&s, "bmc").await), flashes(&before));
    let audit = fwfleet(&["audit", "--format", "json"], &s.config);
    let audit = String::from_utf8_lossy(&audit.stdout);
    assert!(audit.contains("rollback.override-freeze"), "{audit}");
}

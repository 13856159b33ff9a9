//! The update engine against the mock's `field` behaviour at its default
//! timings (field times ÷ 60): every persona and variant, one host per
//! transfer the persona offers, BMC + BIOS + one other component per host.
//! One `apply` per fleet with every host at once, each host with its own
//! transfer (`hosts[].method`). Judged by the BMCs' own counters: every
//! component flashed exactly once, at most one host reset per host.

use crate::apply::Setup;
use fwfleet::config::Config;
use fwfleet::redfish::client::BmcClient;
use fwfleet::redfish::update_service;
use fwfleet::repository::{AddSpec, ApplyTime, Repository};
use fwfleet::store::Store;
use fwfleet::updater::apply::{self, ApplyOptions};
use fwfleet::updater::method;
use fwfleet::updater::progress::Silent;
use fwfleet::updater::rollout::RolloutReport;
use fwfleet::vocab::Method;
use mock_bmc::persona::Variant;
use mock_bmc::{FleetConfig, Kind as MockKind, Persona, Profile};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The mock's default time scale: the acceptance runs at default timings.
const DEFAULT_SCALE: f64 = crate::timing::FIELD_SCALE;

/// The cases: every persona, and every variant of the personas that have one.
fn cases() -> Vec<(Persona, Variant)> {
    let mut out: Vec<(Persona, Variant)> = Persona::ALL
        .iter()
        .map(|p| (*p, Variant::Standard))
        .collect();
    for v in Variant::ALL {
        if let Some(p) = v.persona() {
            out.push((p, v));
        }
    }
    out
}

/// A field fleet of `count` hosts of one persona and variant, its fleet file
/// and `rollout_toml`.
pub(crate) async fn field_fleet(
    persona: Persona,
    variant: Variant,
    count: usize,
    scale: f64,
    scenario: mock_bmc::faults::Scenario,
    rollout_toml: &str,
) -> Setup {
    crate::apply::setup(
        FleetConfig {
            count,
            profile: Profile::Single(persona),
            variant,
            scenario,
            ..FleetConfig::default()
        }
        .field(scale),
        rollout_toml,
    )
    .await
}

/// The other component a host of this fleet gets besides BMC and BIOS: the
/// first updateable one of NIC, storage, CPLD, drive, PSU that every host
/// has, all of one device (one name: identical devices such as the apollo
/// iLO's NICs take one image). `make-images` writes one image per model and
/// kind that names no device, which real vendors never ship for two
/// different devices (the iDRAC's BCM5720 and X710 each have their own Dell
/// Update Package, `make-images --dell-catalog`): such a kind is skipped.
fn other_kind(states: &[Value]) -> Option<MockKind> {
    [
        MockKind::Nic,
        MockKind::Storage,
        MockKind::Cpld,
        MockKind::Drive,
        MockKind::Psu,
    ]
    .into_iter()
    .find(|k| {
        states.iter().all(|st| {
            let of_kind: Vec<&Value> = st["components"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| {
                    c["kind"] == k.to_string() && c["role"] == "active" && c["updateable"] == true
                })
                .collect();
            !of_kind.is_empty() && of_kind.iter().all(|c| c["name"] == of_kind[0]["name"])
        })
    })
}

/// One patch newer than the fleet for BMC, BIOS and one other kind. Host
/// firmware goes `OnReset` where the family stages it for a reset it is
/// told to do (one coordinated reset activates all of it); iLO stages host
/// firmware by itself and Supermicro holds everything for StartUpdate. iLO
/// images are `.bin`, the type iLO's SimpleUpdate takes.
pub(crate) async fn field_repository(
    s: &Setup,
    persona: Persona,
    kinds: &[MockKind],
) -> Repository {
    let states = mock_bmc::imagegen::fetch_states(&s.config).await.unwrap();
    let out = s.dir.path().join("images");
    let specs = mock_bmc::imagegen::make_images(
        &states,
        &out,
        Some(kinds),
        mock_bmc::vstyle::Bump::Patch,
        4096,
    )
    .unwrap();
    let mut repo = Repository::create_or_open(s.dir.path().join("repository")).unwrap();
    for sp in specs {
        let kind: fwfleet::inventory::model::Kind = sp.component.to_string().parse().unwrap();
        let mut add = AddSpec::new(kind, sp.version.clone());
        add.models = sp.models.clone();
        let host_fw = kind != fwfleet::inventory::model::Kind::Bmc;
        if host_fw && !matches!(persona, Persona::Ilo | Persona::Supermicro) {
            add.apply_time = Some(ApplyTime::OnReset);
        }
        let mut file = out.join(&sp.file);
        if persona == Persona::Ilo {
            let bin = file.with_extension("bin");
            std::fs::rename(&file, &bin).unwrap();
            file = bin;
        }
        repo.add(&file, add).unwrap();
    }
    repo
}

/// The transfers a BMC offers, as fwfleet discovers them.
async fn transfers(cfg: &Config, host: usize) -> Vec<Method> {
    let c = BmcClient::new(&cfg.hosts[host]).unwrap();
    c.login().await.unwrap();
    let caps = update_service::discover(&c).await.unwrap();
    c.logout().await;
    method::offered(&caps, Some("http"))
}

/// Run `apply` for one host alone with `transfer` as the default method,
/// in a state directory of its own.
pub(crate) async fn apply_one(
    s: &Setup,
    cfg: &Config,
    host: &str,
    transfer: Option<Method>,
) -> RolloutReport {
    let mut cfg = cfg.clone();
    cfg.state_dir = s.dir.path().join(format!("state-{host}"));
    cfg.rollout.default_method = transfer;
    apply_with(&cfg, Some(host.to_string())).await
}

/// One `apply` of the whole fleet in `cfg`.
async fn apply_all(cfg: &Config) -> RolloutReport {
    apply_with(cfg, None).await
}

/// One `apply` of `cfg` on the selected hosts (all without a selection).
async fn apply_with(cfg: &Config, hosts: Option<String>) -> RolloutReport {
    let repo = Repository::open(&cfg.repository).unwrap();
    let store = Store::open(&cfg.state_dir).await.unwrap();
    let opts = ApplyOptions {
        hosts,
        poll: Some(Duration::from_millis(250)),
        ..ApplyOptions::default()
    };
    let cancel = CancellationToken::new();
    let prepared = apply::prepare(cfg, &repo, &store, &opts, &cancel)
        .await
        .unwrap();
    let unreachable = prepared.inventory.failed();
    apply::execute(
        cfg,
        prepared.jobs,
        unreachable,
        &opts,
        store,
        cancel,
        Arc::new(Silent),
    )
    .await
    .unwrap()
}

/// One persona and variant: the failures, each naming persona, transfer and component.
async fn matrix_case(persona: Persona, variant: Variant) -> Vec<String> {
    let label = format!("{}/{}", persona.name(), variant.name());
    let s = field_fleet(
        persona,
        variant,
        3,
        DEFAULT_SCALE,
        mock_bmc::faults::Scenario::default(),
        "max_parallel = 10\ncanary = 0\nfailure_budget = 1.0\nreset_policy = \"graceful\"\nstep_deadline_secs = 90\nactivation_timeout_secs = 40",
    )
    .await;
    let mut cfg = Config::load(&s.config).unwrap();
    let offered = transfers(&cfg, 0).await;
    if offered.is_empty() {
        return vec![format!("{label}: fwfleet finds no transfer it can use")];
    }
    let states = mock_bmc::imagegen::fetch_states(&s.config).await.unwrap();
    let mut kinds = vec![MockKind::Bmc, MockKind::Bios];
    // AMI-based Lenovo takes BMC and UEFI images only (OemParameters
    // FlashType, lenovo_update_firmware.py): nothing else to send there.
    if variant != Variant::Ami {
        kinds.extend(other_kind(&states));
    }
    field_repository(&s, persona, &kinds).await;
    // One run over every host at once (max_parallel 10 ≥ hosts), each host
    // with its own transfer (`hosts[].method`).
    cfg.hosts.truncate(offered.len());
    for (h, t) in cfg.hosts.iter_mut().zip(&offered) {
        h.method = Some(*t);
    }
    assert!(cfg.rollout.max_parallel >= cfg.hosts.len());
    let report = apply_all(&cfg).await;
    let mut failures = Vec::new();
    for (h, transfer) in cfg.hosts.iter().zip(&offered) {
        let host = h.name.clone();
        let who = format!("{label} {}", transfer.as_str());
        let Some(h) = report.hosts.iter().find(|h| h.name == host) else {
            failures.push(format!("{who}: {host} had nothing planned"));
            continue;
        };
        for st in &h.steps {
            if st.outcome != "updated" {
                failures.push(format!(
                    "{who} {}: {} ({})",
                    st.kind.as_str(),
                    st.outcome,
                    st.message
                ));
            }
        }
        // The host's own method was used (a step may still go another way
        // when its image needs it, e.g. a type iLO's SimpleUpdate refuses).
        // A legacy-layout service is planned through its first standard
        // action (planner `through_standard_actions`), whatever the host says.
        if variant != Variant::LegacyLayout
            && !h
                .steps
                .iter()
                .any(|st| st.method.as_deref() == Some(transfer.as_str()))
        {
            failures.push(format!(
                "{who}: no step went by {} ({:?})",
                transfer.as_str(),
                h.steps.iter().map(|s| &s.method).collect::<Vec<_>>()
            ));
        }
        // Identical devices (the apollo iLO's two NICs) are a step each.
        let mut planned: Vec<&str> = h.steps.iter().map(|s| s.kind.as_str()).collect();
        planned.dedup();
        if planned.len() != kinds.len() {
            failures.push(format!("{who}: planned {planned:?}, wanted {kinds:?}"));
        }
        let b = s.fleet.bmcs.iter().find(|b| b.name() == host).unwrap();
        let state = b.state();
        for k in &kinds {
            let n = state["components"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["kind"] == k.to_string() && c["role"] == "active")
                .map(|c| c["flash_count"].as_u64().unwrap())
                .max()
                .unwrap_or(0);
            if n != 1 {
                failures.push(format!("{who} {k}: flashed {n} times, wanted exactly 1"));
            }
        }
        let resets = state["field"]["host_resets"].as_u64().unwrap_or(0);
        if resets > 1 {
            failures.push(format!(
                "{who}: the host was reset {resets} times in one run"
            ));
        }
    }
    failures
}

#[tokio::test(flavor = "multi_thread")]
async fn every_persona_variant_and_transfer_updates_bmc_bios_and_one_more_on_field_timings() {
    let all = futures::future::join_all(cases().into_iter().map(|(p, v)| matrix_case(p, v))).await;
    let failures: Vec<String> = all.into_iter().flatten().collect();
    assert!(
        failures.is_empty(),
        "field matrix:\n{}",
        failures.join("\n")
    );
}

/// Each field fault on one persona (generic, its BMC firmware by
/// SimpleUpdate under `Immediate`, default timings): the right outcome, the
/// component written at most once, and a message naming host, component and
/// cause. `slow-reboot` twice: within `bmc_reboot_timeout_secs` it is ridden
/// out, past a shorter one the step is `unreachable`.
#[tokio::test(flavor = "multi_thread")]
async fn each_field_fault_ends_in_its_outcome_with_flash_count_at_most_one() {
    use mock_bmc::faults::{Faults, Scenario};
    let on = Some(true);
    // (fault, bmc_reboot_timeout_secs, outcome, words the message must hold, flashes)
    type Case<'a> = (Faults, Option<u64>, &'a str, &'a [&'a str], u64);
    let cases: Vec<Case> = vec![
        (
            Faults {
                reboot_mid_task: on,
                ..Faults::default()
            },
            None,
            "failed",
            &["rebooted while the update ran", "nothing was written"],
            0,
        ),
        (
            Faults {
                drop_after_accept: on,
                ..Faults::default()
            },
            None,
            "updated",
            &["no answer came", "followed"],
            1,
        ),
        (
            Faults {
                error_500_after_accept: on,
                ..Faults::default()
            },
            None,
            "updated",
            &["HTTP 500", "followed"],
            1,
        ),
        (
            Faults {
                inventory_late: on,
                ..Faults::default()
            },
            None,
            "updated",
            &["the BMC was away"],
            1,
        ),
        (
            Faults {
                slow_reboot: on,
                ..Faults::default()
            },
            None,
            "updated",
            &["the BMC was away"],
            1,
        ),
        (
            Faults {
                slow_reboot: on,
                ..Faults::default()
            },
            Some(8),
            "unreachable",
            &["did not come back within 8s", "bmc_reboot_timeout_secs"],
            1,
        ),
    ];
    let names: Vec<String> = (1..=cases.len()).map(|i| format!("bmc-{i:04}")).collect();
    let scenario = Scenario {
        default: Faults::default(),
        hosts: names
            .iter()
            .zip(&cases)
            .map(|(n, c)| (n.clone(), c.0.clone()))
            .collect(),
    };
    let s = field_fleet(
        Persona::Generic,
        Variant::Standard,
        cases.len(),
        DEFAULT_SCALE,
        scenario,
        "max_parallel = 10\ncanary = 0\nfailure_budget = 1.0\nstep_deadline_secs = 120\nactivation_timeout_secs = 15",
    )
    .await;
    field_repository(&s, Persona::Generic, &[MockKind::Bmc]).await;
    let cfg = Config::load(&s.config).unwrap();
    let runs = names.iter().zip(&cases).map(|(host, c)| {
        let mut cfg = cfg.clone();
        if let Some(t) = c.1 {
            cfg.rollout.bmc_reboot_timeout = Duration::from_secs(t);
        }
        let s = &s;
        async move {
            (
                host.clone(),
                apply_one(s, &cfg, host, Some(Method::SimpleUpdate)).await,
            )
        }
    });
    let mut failures = Vec::new();
    for ((host, report), (fault, _, want, words, flashes)) in futures::future::join_all(runs)
        .await
        .into_iter()
        .zip(&cases)
    {
        let fault = serde_json::to_string(fault).unwrap();
        let h = report.hosts.iter().find(|h| h.name == host).unwrap();
        let st = &h.steps[0];
        if st.outcome != *want {
            failures.push(format!(
                "{fault}: {} ({}), wanted {want}",
                st.outcome, st.message
            ));
        }
        for w in words.iter().chain([&host.as_str(), &st.identity.as_str()]) {
            if !st.message.contains(w) {
                failures.push(format!("{fault}: the message lacks '{w}': {}", st.message));
            }
        }
        let b = s.fleet.bmcs.iter().find(|b| b.name() == host).unwrap();
        let n = b.state()["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["kind"] == "bmc" && c["role"] == "active")
            .map(|c| c["flash_count"].as_u64().unwrap())
            .max()
            .unwrap_or(0);
        if n != *flashes {
            failures.push(format!("{fault}: flashed {n} times, wanted {flashes}"));
        }
    }
    assert!(
        failures.is_empty(),
        "field faults:\n{}",
        failures.join("\n")
    );
}

/// Found by the kill test on `field`: a Supermicro BIOS written by its
/// Update task runs only after a host reset, and nothing in the inventory
/// says it waits. The journal does: the next run must plan its activation,
/// never a second transfer, and a run that may reset activates it.
#[tokio::test(flavor = "multi_thread")]
async fn an_image_staged_where_the_bmc_lists_nothing_is_activated_never_sent_again() {
    let s = field_fleet(
        Persona::Supermicro,
        Variant::Standard,
        1,
        DEFAULT_SCALE,
        mock_bmc::faults::Scenario::default(),
        "canary = 0\nstep_deadline_secs = 900",
    )
    .await;
    field_repository(&s, Persona::Supermicro, &[MockKind::Bios]).await;
    let cfg = Config::load(&s.config).unwrap();
    let (_, before) = bios(&s);
    // Reset policy never: the BIOS is written and waits for a reset.
    let r = apply_one(&s, &cfg, "bmc-0001", None).await;
    let outcomes: Vec<&str> = r.hosts[0]
        .steps
        .iter()
        .map(|st| st.outcome.as_str())
        .collect();
    assert_eq!(outcomes, ["staged"], "{}", apply::render_table(&r));
    assert_eq!(bios(&s), (1, before.clone()));
    // Again under never: planned as staged, nothing sent.
    let r = apply_one(&s, &cfg, "bmc-0001", None).await;
    assert!(
        r.hosts.iter().all(|h| h.steps.is_empty()),
        "{}",
        apply::render_table(&r)
    );
    assert_eq!(bios(&s).0, 1, "the staged BIOS was sent again");
    // A run that may reset activates it: the new version runs, still one flash.
    let mut graceful = cfg.clone();
    graceful.rollout.reset_policy = fwfleet::config::ResetPolicy::Graceful;
    let r = apply_one(&s, &graceful, "bmc-0001", None).await;
    let (flashes, now) = bios(&s);
    assert_eq!(flashes, 1, "{}", apply::render_table(&r));
    assert_ne!(now, before, "{}", apply::render_table(&r));
}

/// The first BMC's active BIOS: (flash count, version).
fn bios(s: &Setup) -> (u64, String) {
    let st = s.fleet.bmcs[0].state();
    let c = st["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "bios" && c["role"] == "active")
        .unwrap()
        .clone();
    (
        c["flash_count"].as_u64().unwrap(),
        c["version"].as_str().unwrap().to_string(),
    )
}

/// A Supermicro BIOS staged (listed nowhere), then a run stopped between
/// `reset-sent` and the reset, and the restart found no sign of the reset
/// (`needs-attention`): no later run may send the image again (a second
/// flash) or reset the host again — the component is blocked until the
/// operator resets it by hand (the kill test found the second flash).
#[tokio::test(flavor = "multi_thread")]
async fn a_step_stopped_between_reset_sent_and_the_reset_is_neither_sent_nor_reset_again() {
    let s = field_fleet(
        Persona::Supermicro,
        Variant::Standard,
        1,
        DEFAULT_SCALE,
        mock_bmc::faults::Scenario::default(),
        "canary = 0\nstep_deadline_secs = 900\nresume_quiet_secs = 0.3\nresume_wait_secs = 5",
    )
    .await;
    field_repository(&s, Persona::Supermicro, &[MockKind::Bios]).await;
    let cfg = Config::load(&s.config).unwrap();
    let (_, before) = bios(&s);
    // Reset policy never: the BIOS is written and waits for a reset.
    let r = apply_one(&s, &cfg, "bmc-0001", None).await;
    assert_eq!(r.hosts[0].steps[0].outcome.as_str(), "staged");
    assert_eq!(bios(&s), (1, before.clone()));
    // The next run journaled `reset-sent` and was killed before the reset.
    let mut one = cfg.clone();
    one.state_dir = s.dir.path().join("state-bmc-0001");
    let staged = {
        let store = Store::open(&one.state_dir).await.unwrap();
        let run = store.list_runs(1).await.unwrap()[0].id;
        store.steps(run).await.unwrap().remove(0)
    };
    let (store, run, ids) = crate::resume::left_behind(
        &one,
        "bmc-0001",
        &staged.component,
        staged.from_version.as_deref().unwrap(),
        &[("reset-sent", staged.to_version.as_str())],
    );
    store
        .add_event(run, Some(ids[0]), "reset-sent", "bmc-0001: graceful reset")
        .unwrap();
    let report = crate::resume::resume_now(&one, &store).await;
    assert_eq!(
        report.steps.iter().map(|s| s.outcome).collect::<Vec<_>>(),
        [fwfleet::vocab::StepOutcome::NeedsAttention],
        "{report:?}"
    );
    // A run that may reset: nothing sent, no reset, blocked with the reason.
    let mut graceful = cfg.clone();
    graceful.rollout.reset_policy = fwfleet::config::ResetPolicy::Graceful;
    let r = apply_one(&s, &graceful, "bmc-0001", None).await;
    assert!(
        r.hosts.iter().all(|h| h.steps.is_empty()),
        "{}",
        apply::render_table(&r)
    );
    assert_eq!(bios(&s), (1, before), "the BIOS was sent again");
    let st = s.fleet.bmcs[0].state();
    assert_eq!(st["field"]["host_resets"], 0, "the host was reset");
    let mut graceful_one = graceful.clone();
    graceful_one.state_dir = one.state_dir.clone();
    let repo = Repository::open(&graceful_one.repository).unwrap();
    let p = apply::prepare(
        &graceful_one,
        &repo,
        &Store::open(&one.state_dir).await.unwrap(),
        &ApplyOptions::default(),
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    let row = p.plan.hosts[0]
        .steps
        .iter()
        .find(|r| r.identity == staged.component)
        .unwrap();
    assert_eq!(row.action, fwfleet::planner::Action::Blocked, "{row:?}");
    assert!(row.reason.contains("reset it by hand"), "{}", row.reason);
}

//! Vendor flows of issue 16 item 3 against the mock's `field` behaviour:
//! what each family is sent, and the vendor answers that end a step before
//! anything is written.

use crate::field::{apply_one, field_fleet, field_repository};
use fwfleet::config::Config;
use fwfleet::vocab::Method;
use mock_bmc::persona::Variant;
use mock_bmc::{Kind as MockKind, Persona};
use serde_json::Value;

const ROLLOUT: &str = "max_parallel = 4\ncanary = 0\nfailure_budget = 1.0\nreset_policy = \"graceful\"\nstep_deadline_secs = 90\nactivation_timeout_secs = 40";

fn component<'a>(state: &'a Value, kind: &str) -> &'a Value {
    state["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == kind && c["role"] == "active")
        .unwrap_or_else(|| panic!("no active {kind} in {state}"))
}

/// Multipart BMC + BIOS on one XCC of `variant`: every step `updated`; the
/// `OemParameters` part each component's update carried.
async fn xcc_multipart(variant: Variant) -> (Value, Value) {
    let s = field_fleet(
        Persona::Xcc,
        variant,
        1,
        crate::timing::FIELD_SCALE,
        mock_bmc::faults::Scenario::default(),
        ROLLOUT,
    )
    .await;
    field_repository(&s, Persona::Xcc, &[MockKind::Bmc, MockKind::Bios]).await;
    let cfg = Config::load(&s.config).unwrap();
    let host = cfg.hosts[0].name.clone();
    let report = apply_one(&s, &cfg, &host, Some(Method::Multipart)).await;
    let h = &report.hosts[0];
    assert_eq!(h.steps.len(), 2, "{:?}", h.steps);
    for st in &h.steps {
        assert_eq!(
            st.outcome,
            "updated",
            "xcc/{} {}: {}",
            variant.name(),
            st.kind.as_str(),
            st.message
        );
        assert_eq!(st.method.as_deref(), Some("multipart"), "{}", st.message);
    }
    let state = s.fleet.bmcs[0].state();
    (
        component(&state, "bmc")["oem_parameters"].clone(),
        component(&state, "bios")["oem_parameters"].clone(),
    )
}

/// Issue 16 item 3, Lenovo: `OemParameters` only for the AMI-based Lenovo
/// servers, with the FlashType of the component; Lenovo's own XCC gets the
/// standard form (before, every XCC got the AMI part).
#[tokio::test(flavor = "multi_thread")]
async fn only_ami_based_lenovo_gets_oem_parameters_with_the_flash_type_of_the_component() {
    let (standard, ami) = tokio::join!(
        xcc_multipart(Variant::Standard),
        xcc_multipart(Variant::Ami)
    );
    assert_eq!(standard, (Value::Null, Value::Null), "standard XCC");
    assert_eq!(ami.0["FlashType"], "HPMFwUpdate", "AMI Lenovo BMC: {ami:?}");
    assert_eq!(ami.1["FlashType"], "UEFIUpdate", "AMI Lenovo BIOS: {ami:?}");
}

/// Issue 16 item 3, Dell: another tool (here: a multipart push `OnReset`
/// that fwfleet's journal knows nothing of) left a BIOS update scheduled in
/// the iDRAC's job queue. Its package is listed `Available-…`: uploaded, not
/// installed, so the inventory does not call it staged; fwfleet plans the
/// BIOS upgrade, and its pre-flight finds the foreign job and sends nothing,
/// naming host, component and JID.
#[tokio::test(flavor = "multi_thread")]
async fn a_dell_job_left_by_another_tool_blocks_the_step_and_is_named() {
    use fwfleet::redfish::client::BmcClient;
    use fwfleet::redfish::task::{self, JobHold};
    use fwfleet::redfish::update::{self, Push};
    use fwfleet::redfish::update_service;
    use fwfleet::vocab::{Kind, Role};
    let s = field_fleet(
        Persona::Idrac,
        Variant::Standard,
        1,
        crate::timing::FIELD_SCALE,
        mock_bmc::faults::Scenario::default(),
        ROLLOUT,
    )
    .await;
    field_repository(&s, Persona::Idrac, &[MockKind::Bios]).await;
    let cfg = Config::load(&s.config).unwrap();
    let host = cfg.hosts[0].name.clone();
    // The other tool: the same BIOS image, pushed OnReset.
    let states = mock_bmc::imagegen::fetch_states(&s.config).await.unwrap();
    let theirs = s.dir.path().join("theirs");
    let spec = mock_bmc::imagegen::make_images(
        &states,
        &theirs,
        Some(&[MockKind::Bios]),
        mock_bmc::vstyle::Bump::Patch,
        4096,
    )
    .unwrap()
    .remove(0);
    let client = BmcClient::new(&cfg.hosts[0]).unwrap();
    client.login().await.unwrap();
    let caps = update_service::discover(&client).await.unwrap();
    let sent = update::push_multipart(
        &client,
        &caps,
        &Push {
            file: &theirs.join(&spec.file),
            targets: &[],
            apply_time: Some("OnReset"),
            force: false,
            component: Some(Kind::Bios),
            preserve: false,
        },
    )
    .await
    .unwrap();
    assert!(sent.status.is_success(), "{sent:?}");
    let jobs = caps.jobs.clone().expect("the iDRAC has a job queue");
    let jid = loop {
        let open = task::open_jobs(&client, &jobs).await.unwrap();
        if let Some(j) = open.iter().find(|j| j.hold == JobHold::Scheduled) {
            break j.id.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let inv = fwfleet::inventory::scan::read_now(&client).await.unwrap();
    client.logout().await;
    let bios: Vec<_> = inv
        .components
        .iter()
        .filter(|c| c.kind == Kind::Bios)
        .collect();
    assert!(
        bios.iter()
            .any(|c| c.role == Role::Available && c.version.as_deref() == Some(&spec.version)),
        "the uploaded package is listed as available: {bios:?}"
    );
    assert!(
        bios.iter().all(|c| c.role != Role::Staged),
        "an Available- package is not a staged update: {bios:?}"
    );

    let report = apply_one(&s, &cfg, &host, None).await;
    let st = &report.hosts[0].steps[0];
    assert_eq!(st.outcome, "needs-attention", "{}", st.message);
    for want in [
        host.as_str(),
        jid.as_str(),
        "not created by fwfleet",
        "nothing was sent",
    ] {
        assert!(st.message.contains(want), "{want}: {}", st.message);
    }
    let state = s.fleet.bmcs[0].state();
    assert_eq!(component(&state, "bios")["flash_count"], 0, "{state}");
    assert_eq!(
        state["field"]["jobs"].as_array().unwrap().len(),
        1,
        "fwfleet queued no job of its own: {state}"
    );
}

/// Issue 16 item 3, Supermicro: a BMC without its out-of-band licence
/// answers the update `SMC.1.0.OemLicenseNotPassed` (mock fault
/// `no-oob-license`). The step ends `needs-attention` naming host,
/// component and the licence to install; it is not retried (one refusal),
/// nothing is flashed, and the host's later steps do not start.
#[tokio::test(flavor = "multi_thread")]
async fn a_supermicro_without_its_oob_licence_ends_the_step_naming_the_licence() {
    let scenario = mock_bmc::faults::Scenario {
        default: mock_bmc::faults::Faults {
            no_oob_license: Some(true),
            ..Default::default()
        },
        ..Default::default()
    };
    let s = field_fleet(
        Persona::Supermicro,
        Variant::Standard,
        1,
        crate::timing::FIELD_SCALE,
        scenario,
        &format!("{ROLLOUT}\nattempts = 3"),
    )
    .await;
    field_repository(&s, Persona::Supermicro, &[MockKind::Bmc, MockKind::Bios]).await;
    let cfg = Config::load(&s.config).unwrap();
    let host = cfg.hosts[0].name.clone();
    let report = apply_one(&s, &cfg, &host, None).await;
    let steps = &report.hosts[0].steps;
    let first = &steps[0];
    assert_eq!(first.outcome, "needs-attention", "{}", first.message);
    for want in [
        host.as_str(),
        first.identity.as_str(),
        "install the Supermicro OOB/DCMS licence",
        "OemLicenseNotPassed",
        "nothing was sent",
    ] {
        assert!(first.message.contains(want), "{want}: {}", first.message);
    }
    assert!(
        steps[1..].iter().all(|s| s.outcome == "not-started"),
        "{steps:?}"
    );
    let state = s.fleet.bmcs[0].state();
    for c in state["components"].as_array().unwrap() {
        assert_eq!(c["flash_count"], 0, "{c}");
    }
    assert_eq!(
        state["journal"]["by_status"]["405"], 1,
        "refused once, never retried: {}",
        state["journal"]
    );
}

/// Issue 16 item 3: an image larger than the BMC's `MaxImageSizeBytes` is
/// never pushed. A push refuses it before sending a byte (the BMC sees no
/// upload), and a rollout sends it by SimpleUpdate, which the BMC pulls.
#[tokio::test(flavor = "multi_thread")]
async fn an_image_past_max_image_size_bytes_is_never_pushed() {
    use fwfleet::redfish::client::BmcClient;
    use fwfleet::redfish::update::{self, Push};
    use fwfleet::redfish::update_service;
    let s = crate::apply::setup(
        mock_bmc::FleetConfig {
            count: 1,
            profile: mock_bmc::Profile::Single(Persona::Generic),
            max_image_size: 2048,
            ..mock_bmc::FleetConfig::default()
        }
        .field(crate::timing::FIELD_SCALE),
        ROLLOUT,
    )
    .await;
    field_repository(&s, Persona::Generic, &[MockKind::Bmc]).await;
    let cfg = Config::load(&s.config).unwrap();
    let host = cfg.hosts[0].name.clone();
    let image = std::fs::read_dir(s.dir.path().join("images"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let client = BmcClient::new(&cfg.hosts[0]).unwrap();
    client.login().await.unwrap();
    let caps = update_service::discover(&client).await.unwrap();
    assert_eq!(caps.max_image_size, Some(2048));
    let e = update::push_multipart(
        &client,
        &caps,
        &Push {
            file: &image,
            targets: &[],
            apply_time: None,
            force: false,
            component: Some(fwfleet::vocab::Kind::Bmc),
            preserve: false,
        },
    )
    .await
    .unwrap_err()
    .to_string();
    client.logout().await;
    for want in [
        host.as_str(),
        "MaxImageSizeBytes",
        "2048",
        "nothing was sent",
    ] {
        assert!(e.contains(want), "{want}: {e}");
    }
    let before = s.fleet.bmcs[0].state();
    assert_eq!(
        before["journal"]["by_status"].get("413"),
        None,
        "no upload reached the BMC: {}",
        before["journal"]
    );
    let report = apply_one(&s, &cfg, &host, Some(Method::Multipart)).await;
    let st = &report.hosts[0].steps[0];
    assert_eq!(st.outcome, "updated", "{}", st.message);
    assert_eq!(
        st.method.as_deref(),
        Some("simple-update"),
        "{}",
        st.message
    );
    let state = s.fleet.bmcs[0].state();
    assert_eq!(component(&state, "bmc")["flash_count"], 1, "{state}");
    assert_eq!(state["journal"]["by_status"].get("413"), None);
}

/// Issue 16 item 3, the raw push's service-wide apply time: a host-firmware
/// image sent `OnReset` by raw push to a BMC with `HttpPushUriOptionsBusy`
/// (the DMTF model) takes the options for the push (PATCH busy + apply
/// time), gives them back after the step (PATCH), and the update is
/// activated by the coordinated reset. A BMC without the flag (bmcweb, whose
/// raw push carries the BMC image only) is never PATCHed.
#[tokio::test(flavor = "multi_thread")]
async fn a_raw_push_on_reset_holds_the_push_options_and_gives_them_back() {
    use fwfleet::redfish::client::BmcClient;
    use fwfleet::redfish::update_service;
    let s = field_fleet(
        Persona::Generic,
        Variant::Standard,
        1,
        crate::timing::FIELD_SCALE,
        mock_bmc::faults::Scenario::default(),
        ROLLOUT,
    )
    .await;
    field_repository(&s, Persona::Generic, &[MockKind::Bios]).await;
    let cfg = Config::load(&s.config).unwrap();
    let host = cfg.hosts[0].name.clone();
    let report = apply_one(&s, &cfg, &host, Some(Method::RawPush)).await;
    let st = &report.hosts[0].steps[0];
    assert_eq!(st.outcome, "updated", "{}", st.message);
    assert_eq!(st.method.as_deref(), Some("raw-push"), "{}", st.message);
    let state = s.fleet.bmcs[0].state();
    assert_eq!(component(&state, "bios")["flash_count"], 1, "{state}");
    assert_eq!(state["field"]["host_resets"], 1, "{state}");
    assert_eq!(
        state["journal"]["by_method"]["PATCH"], 2,
        "one PATCH to take the options, one to give them back: {}",
        state["journal"]
    );
    let client = BmcClient::new(&cfg.hosts[0]).unwrap();
    client.login().await.unwrap();
    let caps = update_service::discover(&client).await.unwrap();
    client.logout().await;
    assert_eq!(caps.push_apply_time.as_deref(), Some("Immediate"));
    assert_eq!(caps.push_options_busy, Some(false));
}

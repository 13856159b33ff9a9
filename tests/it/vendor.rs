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

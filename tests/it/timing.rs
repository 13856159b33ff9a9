//! The tests' shared mock timings. Tests may run faster than the mock's
//! defaults, but a mock reboot must outlast the client's whole
//! transport-retry window several times over: otherwise the client's own
//! retries of one GET would hide the reboot, and a test of riding a BMC
//! out would pass without the engine doing it (issue 16 acceptance).

use fwfleet::config::Limits;
use fwfleet::redfish::client::transport_retry_window;
use mock_bmc::bmc::Timing;
use mock_bmc::FieldTiming;
use std::time::Duration;

/// How many of the client's transport-retry windows a mock reboot lasts at least.
pub(crate) const REBOOT_WINDOWS: u32 = 3;

/// The client's transport-retry window at the default limits.
pub(crate) fn retry_window() -> Duration {
    transport_retry_window(&Limits::default())
}

/// The shortest mock reboot a test may use.
pub(crate) fn shortest_reboot() -> Duration {
    retry_window() * REBOOT_WINDOWS + Duration::from_millis(300)
}

/// `ideal` behaviour, short updates: a task of 150 ms, a reboot of
/// [`shortest_reboot`], iDRAC tasks gone 400 ms after they end.
pub(crate) fn ideal() -> Timing {
    Timing {
        update: Duration::from_millis(150),
        reboot: shortest_reboot(),
        task_vanish: Some(Duration::from_millis(400)),
    }
}

/// `ideal` with slower updates (the kill test catches them mid-way).
pub(crate) fn ideal_slow_updates() -> Timing {
    Timing {
        update: Duration::from_millis(600),
        reboot: shortest_reboot(),
        task_vanish: Some(Duration::from_secs(2)),
    }
}

/// The fastest field time scale tests use: every reboot of the field table
/// still lasts [`shortest_reboot`] (the BMC reboot's 300 field seconds are
/// the shortest; the default scale is 60).
pub(crate) const FIELD_SCALE: f64 = mock_bmc::field::timing::DEFAULT_TIME_SCALE;

#[test]
fn every_mock_reboot_in_the_tests_lasts_three_client_retry_windows() {
    let least = retry_window() * REBOOT_WINDOWS;
    assert!(least >= Duration::from_secs(4), "{least:?}");
    for (what, reboot) in [
        ("ideal", ideal().reboot),
        ("ideal_slow_updates", ideal_slow_updates().reboot),
        (
            "field bmc-reboot",
            FieldTiming::at_scale(FIELD_SCALE).bmc_reboot,
        ),
        (
            "field idrac-xcc-reboot",
            FieldTiming::at_scale(FIELD_SCALE).idrac_xcc_reboot,
        ),
        (
            "field slow-reboot",
            FieldTiming::at_scale(FIELD_SCALE).slow_reboot,
        ),
    ] {
        assert!(
            reboot >= least,
            "{what}: a mock reboot of {reboot:?} is shorter than {REBOOT_WINDOWS}× the client's transport-retry window ({:?})",
            retry_window()
        );
    }
}

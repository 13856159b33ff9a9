//! The mock's newer versions are newer to fwfleet too.
//!
//! `mock-bmc make-images` writes images one release ahead of a fleet, in each
//! vendor's own style. If fwfleet's version reader cannot order such a pair,
//! the planner (rightly) says `version-unknown` and nothing gets updated, so a
//! demo or test built on those images proves nothing. The mock does not depend
//! on fwfleet (DESIGN §2), so this check lives here: every persona, both
//! models, every active component, every bump, judged by `fwfleet::version`
//! exactly as the planner judges it (with the `VersionScheme` the mock
//! advertises, if any).

use fwfleet::version::{cmp_report, Verdict, VersionScheme};
use mock_bmc::bmc::{Bmc, BmcConfig};
use mock_bmc::machine::{Machine, Role};
use mock_bmc::vstyle::{Bump, VersionStyle};
use mock_bmc::Persona;
use serde_json::Value;

/// The scheme the mock puts in `VersionScheme` (only the generic persona,
/// only for dotted versions), so the judgement is the planner's.
fn scheme(persona: Persona, style: &VersionStyle) -> Option<VersionScheme> {
    (persona == Persona::Generic && matches!(style, VersionStyle::Dotted { .. }))
        .then(|| "DotIntegerNotation".parse().unwrap())
}

/// `next` judged against `cur`; a line for the failure list unless newer.
fn judge(what: &str, next: &str, cur: &str, scheme: Option<VersionScheme>) -> Option<String> {
    let r = cmp_report(next, cur, scheme);
    (r.verdict != Verdict::Newer)
        .then(|| format!("{what}: {next} {} {cur} ({})", r.verdict, r.reason))
}

#[test]
fn every_successor_the_mock_makes_is_newer_to_fwfleet() {
    let mut bad = Vec::new();
    for p in Persona::ALL {
        // Enough hosts for both models and every spread of versions.
        for index in 0..16 {
            let m = Machine::generate("h", p, 2026, index);
            for c in m.components.iter().filter(|c| c.role == Role::Active) {
                let s = scheme(p, &c.style);
                for bump in [Bump::Patch, Bump::Minor, Bump::Major] {
                    // Three releases in a row: the fleet drifts by patches, then
                    // make-images goes one further.
                    let mut cur = c.version.clone();
                    for _ in 0..3 {
                        let next = c.style.successor(&cur, bump).unwrap();
                        let what = format!("{p} {} {} {bump:?}", m.model, c.key);
                        bad.extend(judge(&what, &next, &cur, s));
                        cur = next;
                    }
                }
            }
        }
    }
    bad.sort();
    bad.dedup();
    assert!(
        bad.is_empty(),
        "fwfleet cannot order {} mock successor(s):\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// What `make-images` plans for a whole fleet is newer than every version of
/// that (model, kind) the fleet runs, not only the newest one.
#[test]
fn make_images_is_newer_than_every_host_of_the_fleet() {
    let mut bad = Vec::new();
    for p in Persona::ALL {
        let states: Vec<Value> = (0..24)
            .map(|i| Bmc::new(BmcConfig::new(&format!("h{i}"), p, 2026, i, "pw")).state_json())
            .collect();
        let specs = mock_bmc::imagegen::plan_images(&states, None, Bump::Patch).unwrap();
        for spec in &specs {
            for st in states.iter().filter(|s| s["model"] == spec.models[0]) {
                for c in st["components"].as_array().unwrap() {
                    if c["role"] != "active"
                        || c["kind"] != serde_json::to_value(spec.component).unwrap()
                    {
                        continue;
                    }
                    let style: VersionStyle =
                        serde_json::from_value(c["version_style"].clone()).unwrap();
                    let cur = c["version"].as_str().unwrap();
                    let what = format!("{p} {} {}", spec.models[0], c["key"]);
                    bad.extend(judge(&what, &spec.version, cur, scheme(p, &style)));
                }
            }
        }
    }
    bad.sort();
    bad.dedup();
    assert!(
        bad.is_empty(),
        "make-images plans {} image(s) fwfleet cannot order:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

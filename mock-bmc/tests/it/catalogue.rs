//! The persona catalogue is data (`mock-bmc/data/`); these tests pin what it
//! generates so that moving or editing it cannot change a fleet by accident:
//! the same seed must keep giving the same machines.

use mock_bmc::{Machine, Persona};
use sha2::Digest;

/// Machines generated before the catalogue moved out of the code, for
/// (seed, index) pairs that cover both models of every persona.
const PINNED: &str = include_str!("../data/pinned-machines.json");

#[test]
fn generated_machines_match_the_pinned_ones() {
    let pinned: Vec<serde_json::Value> = serde_json::from_str(PINNED).unwrap();
    let mut i = 0;
    for p in Persona::ALL {
        for (seed, index) in [(1u64, 0usize), (7, 3), (42, 1), (42, 2)] {
            let now = serde_json::to_value(Machine::generate("bmc-pin", p, seed, index)).unwrap();
            assert_eq!(now, pinned[i], "{p} seed {seed} index {index}");
            i += 1;
        }
    }
    assert_eq!(i, pinned.len());
}

#[test]
fn a_wide_sample_of_machines_is_unchanged() {
    // 1,200 machines (200 per persona) hashed: any change in any field shows.
    let mut h = sha2::Sha256::new();
    for p in Persona::ALL {
        for i in 0..200 {
            let m = Machine::generate(&format!("bmc-{i}"), p, 0xfeed, i);
            h.update(serde_json::to_vec(&m).unwrap());
        }
    }
    assert_eq!(
        hex::encode(h.finalize()),
        "d115de1b89f088495b823d79df327e35cf15f3c62e3e86a210527f404d556124"
    );
}

//! fwfleet keeps the BIOS and firmware of a server fleet up to date through the
//! servers' BMCs over DMTF Redfish.
//!
//! Module map (see docs/ARCHITECTURE.md for the invariants):
//!
//! - [`cli`] parses the command line into validated commands and owns exit codes.
//! - `demo` (feature `demo`, on by default) runs fwfleet against a bundled
//!   mock BMC fleet; it is the only production code that links `mock-bmc`.
//! - [`version`] parses vendor version strings and compares them; it does no I/O
//!   and never guesses: two strings it cannot order compare as `Unknown`.

pub mod cli;
#[cfg(feature = "demo")]
pub mod demo;
pub mod version;

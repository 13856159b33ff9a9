//! Fleet inventory: what every BMC runs.
//!
//! - [`model`]: the inventory types (also the stable JSON of `fwfleet inventory`).
//! - [`normalize`]: Redfish SoftwareInventory members → components (kind, role,
//!   identity), per vendor convention; pure.
//! - [`scan`]: the bounded, deadline-guarded fleet scan over [`crate::redfish`].
//! - [`report`]: table and JSON output.

pub mod model;
pub mod normalize;
pub mod report;
pub mod scan;

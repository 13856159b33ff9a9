//! Fleet inventory: what every BMC runs.
//!
//! - [`model`]: the inventory types (also the stable JSON of `fwfleet inventory`).
//! - [`normalize`]: Redfish SoftwareInventory members → components (kind, role,
//!   identity), per vendor convention; pure.
//! - [`scan`]: the bounded, deadline-guarded fleet scan over [`crate::redfish`].
//! - [`report`]: table and JSON output.
//! - [`pci`]: [`pci::PciIds`], the four PCI IDs that name a device when its
//!   vendor's catalog has no ComponentID for it.

pub mod model;
pub mod normalize;
pub mod pci;
pub mod report;
pub mod scan;

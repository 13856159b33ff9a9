//! The words every layer shares, in a leaf module that depends on nothing
//! else in fwfleet, so that no module has to reach up into another's to
//! name a component kind or a step state.
//!
//! Module map:
//!
//! - `component`: [`Kind`] and [`Role`], what a firmware component is and
//!   which of its images an inventory entry describes (spelled as in the
//!   inventory JSON, docs/INVENTORY.md).
//! - `method`: [`Method`] and [`ApplyTime`], how an image reaches the BMC
//!   and when the BMC applies it (spelled as in `manifest.toml` and Redfish).
//! - `criticality`: [`Criticality`], the vendor's urgency for an update
//!   (Dell's catalog, the manifest, plan steps and compliance).
//! - `journal`: [`StepState`], [`StepOutcome`] and [`RunStatus`], the update
//!   engine's journal. Each has one spelling, used by the store's columns,
//!   the JSON reports and the text output alike: the table in
//!   `journal` is the only place it is written.
//! - `disruption`: [`Disruption`], what a step does to the running host
//!   (`no-host-impact`, `host-reboot`, `power-cycle`).
//! - `access`: [`ApiRole`] (what an API token may do), and the audit
//!   trail's [`AuditVia`] and [`AuditOutcome`].
//!
//! Architecture invariant: nothing here does I/O or names another fwfleet
//! module; the types are plain `Copy` enums with their spellings.

mod component;
#[macro_use]
mod journal;
mod access;
mod criticality;
mod disruption;
mod method;

pub use access::{ApiRole, AuditOutcome, AuditVia};
pub use component::{Kind, Role};
pub use criticality::Criticality;
pub use disruption::Disruption;
pub use journal::{Control, RunStatus, StepOutcome, StepState, UnknownWord};
pub use method::{ApplyTime, Method};

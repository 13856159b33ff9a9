//! Pure planning: (inventory, repository images, policy) → [`Plan`].
//!
//! No I/O: the caller hands in an [`Inventory`](crate::inventory::model::Inventory),
//! an [`ImageSource`] (the repository's applicability answer) and a
//! [`Policy`]; the plan says, per host and per *active* component, what to do
//! and why. Backup, previous and staged images are never compared with the
//! repository: a backup mistaken for the running image would hide an
//! outdated server (FIELD-NOTES B5 #31). A staged image only tells us that
//! an update already waits for a reset.
//!
//! Outcome rules, in the order they are tried for each active component:
//!
//! 1. a staged entry with the same kind and identity → `staged-pending`;
//! 2. `Updateable == false` → `not-updateable`;
//! 3. no candidate image → `no-image`; no version reported → `version-unknown`;
//! 4. the target is the newest candidate; if any two candidates cannot be
//!    ordered → `version-unknown` (picking among them would be a guess);
//! 5. running vs target: unknown → `version-unknown`; same → `up-to-date`;
//!    newer → `newer-than-repository`, or `downgrade` when the target image
//!    or the policy allows it; older → `upgrade`, through an upgrade path
//!    when the target's `min_from_version` is above the running version
//!    (several steps, each hop's minimum met), else `blocked` ("needs an
//!    intermediate image ≥ X");
//! 6. a change is `blocked` when the component is write-protected, when a
//!    hop is below `LowestSupportedVersion`, or when a prerequisite
//!    (`bmc ≥ X`) holds neither now nor after a change planned earlier in
//!    the same plan (then the step is ordered after that change);
//! 7. on a legacy-layout host (firmware read from SoftwareInventory, the
//!    inventory's `bmc.legacy_layout`) every change names the standard
//!    action it is sent with, from those the UpdateService offers (the
//!    image's preference when offered); none offered → `blocked`.
//!
//! Versions are read by [`crate::version`] under the scheme from, in order,
//! [`Policy::scheme_overrides`], the image, the BMC's `VersionScheme`.
//!
//! Module map:
//!
//! - `model`: inputs ([`ImageRef`], [`ImageSource`], [`Policy`]) and the
//!   output, whose JSON is a stable interface.
//! - `decide`: the rules above, prerequisite resolution and step order.
//! - `render`: [`render_table`] and [`render_csv`].
//! - `view`: the views that read at fleet scale (a summary per group ×
//!   kind, only the changes, rows cut to the terminal's width).
//!
//! Architecture invariant: this module knows nothing about Redfish, files or
//! the repository's manifest; the caller adapts the repository to
//! [`ImageSource`].

mod decide;
pub mod disruption;
mod model;
mod render;
pub mod view;

#[cfg(test)]
mod tests;

pub use decide::{plan, plan_host};
pub use model::{
    Action, Execution, HeldBack, HostPlan, ImageFacts, ImageRef, ImageSource, Plan, Policy,
    Provenance, Step, Summary,
};
pub use render::{render_csv, render_table, CSV_HEADER, CSV_SCAN_FAILED};

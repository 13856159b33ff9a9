//! The only code that speaks HTTP to BMCs: it alone knows URLs, headers and
//! Redfish JSON shapes (through `redfish-schemas`).
//!
//! The boundary is visibility: `BmcClient::request`, its GETs and `Reply`
//! are `pub(in crate::redfish)`, so code above gets typed operations and
//! typed results only (`tests/it/architecture.rs` checks that no other module
//! names `reqwest`, `"/redfish/v1"` or `redfish_schemas`).
//!
//! - [`tls`]: per-host TLS policy: system roots, a CA file, SHA-256 pinning, or
//!   (explicitly) none.
//! - [`probe`]: the certificate a BMC presents (fingerprint, names,
//!   dates) and whether the host's setting accepts it, for `fwfleet trust`.
//! - [`client`]: one BMC's client: auth (session, Basic fallback), timeouts,
//!   retries, size cap, ≤ N requests in flight, logout on drop.
//! - [`origin`]: every URI a BMC names is bound to the host's configured
//!   origin (path and query only); foreign origins counted, downgrades refused.
//! - [`inventory`]: the firmware inventory read in typed steps: service
//!   root, UpdateService and system, the collections' members (`$expand`,
//!   member walk, every page).
//! - [`update`]: the requests that start and release an update
//!   (SimpleUpdate, multipart and raw push, StartUpdate) and what the answer
//!   means ([`update::Submitted`]).
//! - [`messages`]: what a Task's messages say: why it failed, whether
//!   anything was written, which reset activates a staged image.
//! - [`push`]: multipart and raw image pushes streamed from disk, per vendor dialect.
//! - [`remote_certs`]: have the BMC verify the image server's certificate
//!   (`VerifyRemoteServerCertificate`, `RemoteServerCertificates`), and undo it.
//! - [`quirks`]: platform classification and named vendor quirks.
//! - [`task`]: following 202s through task monitors and Task resources, leniently.
//! - [`update_service`]: what the UpdateService offers (SimpleUpdate, push
//!   URIs, apply times), whether the BMC is busy, and its reset actions.
//! - `tests`: the client and the operations against mock BMCs (hostile
//!   ones included), below the public API.
//! - [`rollback`]: the rollback action a SoftwareInventory entry may offer
//!   (Dell's `Previous-…` rollback is a SimpleUpdate, in [`update`]).
//! - [`unstage`]: removing a staged update (Dell job deletion,
//!   `#SoftwareInventory.Cancel`).
//! - [`error`]: errors that name host and URI and say what to do.

pub mod client;
pub mod error;
pub mod inventory;
pub mod messages;
pub mod origin;
pub mod probe;
pub mod push;
pub mod quirks;
pub mod remote_certs;
pub mod rollback;
pub mod task;
#[cfg(test)]
mod tests;
pub mod tls;
pub mod unstage;
pub mod update;
pub mod update_service;

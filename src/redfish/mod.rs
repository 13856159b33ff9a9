//! The only code that speaks HTTP to BMCs: it alone knows URLs, headers and
//! Redfish JSON shapes (through `redfish-schemas`).
//!
//! - [`tls`]: per-host TLS policy: system roots, a CA file, SHA-256 pinning, or
//!   (explicitly) none.
//! - [`client`]: one BMC's client: auth (session, Basic fallback), timeouts,
//!   retries, size cap, ≤ N requests in flight, logout on drop.
//! - [`origin`]: every URI a BMC names is bound to the host's configured
//!   origin (path and query only); foreign origins counted, downgrades refused.
//! - [`push`]: multipart and raw image pushes streamed from disk, per vendor dialect.
//! - [`quirks`]: platform classification and named vendor quirks.
//! - [`task`]: following 202s through task monitors and Task resources, leniently.
//! - [`update_service`]: what the UpdateService offers (SimpleUpdate, push
//!   URIs, apply times), whether the BMC is busy, and its reset actions.
//! - [`error`]: errors that name host and URI and say what to do.

pub mod client;
pub mod error;
pub mod origin;
pub mod push;
pub mod quirks;
pub mod task;
pub mod tls;
pub mod update_service;

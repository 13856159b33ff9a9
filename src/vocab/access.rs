//! Who may do what through the API, and the audit trail's words: an API
//! token's [`ApiRole`], where a recorded call came in ([`AuditVia`]) and how
//! it ended ([`AuditOutcome`]). Spelled once, as the config, the store's
//! `audit` table, `/api/v1/audit` and `fwfleet audit` write them.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

use super::journal::UnknownWord;

vocabulary! {
    /// What an API token may do (docs/SECURITY.md). Ordered: each role may
    /// do everything the ones before it may.
    "API role" enum ApiRole {
        /// Read-only routes and `/metrics`.
        Viewer => "viewer",
        /// Also start and cancel runs.
        Operator => "operator",
        /// Also what can hurt: downgrades, forced resets, holds, the audit trail.
        Admin => "admin",
    }
}

vocabulary! {
    /// Where a recorded call came in.
    "audit channel" enum AuditVia {
        /// `fwfleet serve`'s HTTP API.
        Api => "api",
        /// A `fwfleet` command run on this machine.
        Cli => "cli",
    }
}

vocabulary! {
    /// How a recorded call ended. A row is written `started` before the call
    /// acts and finished afterwards, so a crash leaves `started` behind,
    /// never nothing.
    "audit outcome" enum AuditOutcome {
        Started => "started",
        Ok => "ok",
        Failed => "failed",
        /// Refused before it acted: the caller's role does not allow it.
        Denied => "denied",
    }
}

//! The update engine: execute plan steps against BMCs.
//!
//! - [`step`]: one step on one host, journal first: stored as `submitted`
//!   before the request that starts the flash, the task URI stored the moment
//!   it arrives, then followed, then verified from the inventory. Success means
//!   the inventory shows the target version as active.
//!
//! Rollout (canaries, waves, caps, failure budget) and the `apply` command
//! build on this in the next part.

pub mod step;

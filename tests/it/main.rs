//! fwfleet integration tests: the `fwfleet` binary and library against mock BMCs
//! over real sockets on 127.0.0.1.

mod apply;
mod architecture;
mod catalog;
mod daemon;
mod dashboard;
mod demo;
mod disruption;
mod docs;
mod ergonomics;
mod field;
mod freeze;
mod inventory;
mod inventory_edges;
mod mock_versions;
mod notify;
mod phases;
mod plan;
mod plan_snapshot;
mod preflight;
mod reload;
mod resume;
mod schedule;
mod security;
mod serve_proc;
mod stage_ahead;
mod steer;
mod store_compat;
mod timing;
mod trust;
mod update_step;
mod vendor;
mod version_cmp;
mod window_end;

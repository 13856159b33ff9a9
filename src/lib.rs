//! fwfleet keeps the BIOS and firmware of a server fleet up to date through the
//! servers' BMCs over DMTF Redfish.
//!
//! Module map (see docs/ARCHITECTURE.md for the invariants):
//!
//! - [`audit`] says who is calling (an API token, a local user) and records
//!   every mutating call in the store before it acts.
//! - [`cli`] parses the command line into validated commands and owns exit codes.
//! - `demo` (feature `demo`, on by default) runs fwfleet against a bundled
//!   mock BMC fleet; it is the only production code that links `mock-bmc`.
//! - [`daemon`] is `fwfleet serve`: the scheduler loop over maintenance
//!   windows, the HTTP API (bearer token) and Prometheus metrics, on top of
//!   the same apply flow as the CLI.
//! - [`config`] reads the fleet config (TOML) into validated hosts and settings.
//! - [`import`] turns an Ansible inventory (INI or YAML) into fleet config
//!   TOML: group hierarchy and variable precedence resolved, variables mapped
//!   to hosts, URLs, TLS settings and labels; passwords are only ever
//!   referenced (`password_env` / `password_file`), never copied.
//! - [`secret`] holds passwords and tokens in a type that never prints.
//! - [`redfish`] is the only code that speaks HTTP to BMCs.
//! - [`inventory`] scans the fleet: identity and normalised firmware components.
//! - [`updater`] executes plan steps: journal first, transfer, follow the task, verify.
//! - [`notify`] sends signed JSON events about runs (created, phase started,
//!   waiting at a gate, halted, finished, host failed) to `[[notify]]`
//!   webhooks, from a bounded queue per endpoint: a rollout never waits for one.
//! - [`store`] is the state (inventory snapshots, runs, steps, events)
//!   behind one async handle, [`store::Store`]; SQLite is its first backend.
//! - [`repository`] is the local image repository: images, `manifest.toml`
//!   (what each image is and where it applies), checksums.
//! - [`catalog`] reads vendor catalogs and packages (Dell `Catalog.xml`, HPE
//!   `.fwpkg`) and fills the repository from them with the packages the
//!   fleet needs, fetched from the operator's mirror and verified.
//! - [`compliance`] judges every host and component against the plan (ok,
//!   warning, critical, downgrade, unknown) and rolls it up; pure.
//! - [`imageserver`] streams published repository images to BMCs over HTTP(S)
//!   for SimpleUpdate, behind unguessable per-run URLs, re-checking each hash.
//! - [`tlsfiles`] makes rustls server configs from the operator's PEM files
//!   (the image server, the API).
//! - [`planner`] turns an inventory, repository images and a policy into a
//!   plan (per component: upgrade, up-to-date, blocked, … with a reason); pure.
//! - [`schedule`] decides when steps may run: maintenance windows (cron in a
//!   time zone, exact across daylight-saving changes, or one-shot), step
//!   duration estimates from history, and which pending steps fit the window
//!   open now; pure, `now` is always an argument.
//! - [`version`] parses vendor version strings and compares them; it does no I/O
//!   and never guesses: two strings it cannot order compare as `Unknown`.
//! - [`vocab`] is the shared vocabulary, a leaf: component kinds and roles,
//!   update methods and apply times, and the journal's step states, step
//!   outcomes and run statuses, each with its one spelling.
//! - [`holds`]: holds and pins (config `[[holds]]`, `fwfleet hold add`):
//!   which hosts and components are kept out of updates, or not moved past
//!   a version; pure, asked by the planner and at every step boundary.
//! - [`freeze`]: change freezes (config `[[freezes]]`): spans of time in
//!   which no run starts on the hosts they cover; pure.
//! - [`select`] is the one grammar for choosing hosts (names, globs,
//!   kubectl-style label selectors, exclusions) and component kinds; pure.
//! - [`text`] holds what every renderer shares: CSV quoting, control
//!   characters made visible, cells cut to a column width.
//! - [`digest`] is the one SHA-256 of image files (copy-and-hash, hash,
//!   hash off the async threads).

pub mod audit;
pub mod catalog;
pub mod cli;
pub mod compliance;
pub mod config;
pub mod daemon;
pub mod dashboard;
#[cfg(feature = "demo")]
pub mod demo;
pub mod digest;
pub mod freeze;
pub mod holds;
pub mod imageserver;
pub mod import;
pub mod inventory;
pub mod notify;
pub mod planner;
pub mod redfish;
pub mod repository;
pub mod schedule;
pub mod secret;
pub mod select;
pub mod store;
pub mod text;
pub mod tlsfiles;
pub mod updater;
pub mod version;
pub mod vocab;

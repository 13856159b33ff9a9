//! The update engine: execute plan steps against BMCs.
//!
//! - [`step`]: one step on one host (`send`, `verify`, `resume`), journal first: stored as `submitted`
//!   before the request that starts the flash, the task URI stored the moment
//!   it arrives, then followed, then verified from the inventory. Success means
//!   the inventory shows the target version as active.
//! - [`method`]: which transfer a step uses, and why (pure).
//! - [`host`]: a host's steps in plan order, busy pre-flight, TLS re-pin,
//!   the coordinated reset under the reset policy, hooks.
//! - [`job_queue`]: the BMC's job queue before a step (Dell): an update of
//!   fwfleet's held for a reset is staged, a job another tool left blocks.
//! - [`reset_type`]: the `ResetType` a coordinated reset sends, the reset
//!   policy's choice among the values the BMC allows (pure).
//! - [`hooks`]: the operator's `pre_reset` / `post_update` commands.
//! - [`control`]: the run's gate: pause, resume, cancel and holds read from
//!   the store by a watcher, asked before each host and each step.
//! - [`rollout`]: canaries, waves, fleet and label caps, failure budget;
//!   or the configured phases with their gates, soaks and approvals.
//! - [`phases`]: which hosts go in which phase: the seeded shuffle,
//!   `spread_by`, `order_by`, phase sizes (pure).
//! - [`approval`]: a phase's manual gate, kept as journal events
//!   (`gate-waiting`, `approved`); `approve` for the CLI and the API.
//! - [`jobs`]: a plan and the repository → the host jobs a rollout runs.
//! - [`apply`]: scan → plan → jobs → image server + journaled rollout.
//! - [`progress`]: bars on a terminal, lines otherwise.
//! - [`report`]: what a rollout reports per host and step (the JSON of
//!   `apply --format json`), below both `host` and `progress`.
//! - [`resume`]: steps a stopped fwfleet left in flight, decided from the
//!   journal and the BMC before anything new is planned.
//! - [`preflight`]: planned images checked before the first flash: marked
//!   `image-missing`/`image-corrupt` in the plan, read in full when a run
//!   starts (a bad one refuses the run).
//! - [`lock`]: one updating process per state directory.
//! - [`stage_ahead`]: which steps a run that stages ahead sends `OnReset`
//!   before the window's start, and the wait for it (pure decision).
//! - [`unstage`]: `fwfleet unstage`, removing what fwfleet staged (Dell job
//!   deletion, `SoftwareInventory.Cancel`), journaled like steps.
//! - [`window`]: the maintenance window's end, asked right before each
//!   irreversible action (submit, `StartUpdate`, coordinated reset).

pub mod apply;
pub mod approval;
pub mod control;
pub mod hooks;
pub mod host;
pub mod job_queue;
pub mod jobs;
pub mod lock;
pub mod method;
pub mod phases;
pub mod preflight;
pub mod progress;
pub mod report;
pub mod reset_type;
pub mod resume;
pub mod rollout;
pub mod stage_ahead;
pub mod staged;
pub mod step;
pub mod unstage;
pub mod window;

//! One update step on one host, journaled before acting.
//!
//! The order is the safety argument: the step is stored `submitted` (fsynced)
//! before the request that starts a flash, the task URI the moment it arrives,
//! and every state change is an event. A crash at any point leaves a row that
//! says what may have reached the BMC, so a restart re-attaches or decides
//! from the inventory instead of flashing again.
//!
//! Module map:
//!
//! - `mod.rs` (this file): what a step is ([`StepSpec`], [`Transfer`]) and
//!   how it ended ([`StepResult`], [`StepOutcome`], [`ResetRequest`]).
//! - `cx`: the step's context: its [`StepJournal`](crate::store::StepJournal),
//!   live progress and the message that names host and component.
//! - `send`: [`execute`]: pre-flight hash, the request that starts the
//!   transfer (retried only while nothing was written), the task followed
//!   (StartUpdate for a held update), what the task's end means.
//! - `verify`: success is the inventory showing the target version active,
//!   read twice; [`reverify`] after a TLS re-pin.
//! - `resume`: [`resume`], a step a stopped fwfleet left in flight, carried
//!   on as `updater::resume` decided ([`Resume`]); never sent again.

mod cx;
mod resume;
mod send;
mod verify;

pub use resume::resume;
pub use send::execute;
pub use verify::reverify;

use crate::redfish::task::Accepted;
use crate::updater::window::WindowEnd;
use crate::vocab::Kind;
pub use crate::vocab::StepOutcome;
use std::path::PathBuf;
use std::time::Duration;

/// How the image reaches the BMC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transfer {
    /// SimpleUpdate: the BMC pulls from this URL (fwfleet's image server).
    SimpleUpdate { image_uri: String },
    /// Multipart push to `MultipartHttpPushUri`, streamed from the file.
    Multipart,
    /// The bare image to `HttpPushUri`, for BMCs that have nothing better.
    Raw,
    /// Sent by an earlier fwfleet that stopped before the step ended; a
    /// resumed step follows or verifies, it never sends again.
    Resumed,
    /// A rollback to an image the BMC kept: SimpleUpdate with `ImageURI`
    /// set to the kept inventory entry's URI (Dell `Previous-…`); nothing
    /// is read from disk or served (`fwfleet rollback`).
    KeptImage { image_uri: String },
    /// A rollback through the rollback action the component's
    /// SoftwareInventory entry offers (`target`, bound to the BMC's origin).
    RollbackAction { target: String },
}

/// The image a rollback step activates on the BMC instead of sending one
/// (`PlannedStep::kept_image`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "how", rename_all = "kebab-case")]
pub enum Kept {
    /// Dell: the `Previous-…` FirmwareInventory entry, by its URI.
    Previous { uri: String },
    /// The entry's rollback action, by its target URI.
    Action { target: String },
}

impl Kept {
    /// The transfer that activates it.
    pub fn transfer(&self) -> Transfer {
        match self {
            Kept::Previous { uri } => Transfer::KeptImage {
                image_uri: uri.clone(),
            },
            Kept::Action { target } => Transfer::RollbackAction {
                target: target.clone(),
            },
        }
    }
}

impl Transfer {
    /// The manifest spelling, for logs and the journal.
    pub fn name(&self) -> &'static str {
        match self {
            Transfer::SimpleUpdate { .. } => "simple-update",
            Transfer::Multipart => "multipart",
            Transfer::Raw => "raw-push",
            Transfer::Resumed => "resumed",
            Transfer::KeptImage { .. } => "kept-image",
            Transfer::RollbackAction { .. } => "rollback-action",
        }
    }

    /// Nothing is sent from disk: the BMC already holds the image.
    pub fn is_kept(&self) -> bool {
        matches!(
            self,
            Transfer::KeptImage { .. } | Transfer::RollbackAction { .. }
        )
    }
}

/// What to do.
#[derive(Debug, Clone)]
pub struct StepSpec {
    pub run_id: i64,
    /// The component's identity (stable across updates).
    pub identity: String,
    pub kind: Kind,
    pub from: Option<String>,
    pub to: String,
    pub image: PathBuf,
    pub sha256: String,
    pub transfer: Transfer,
    pub apply_time: Option<String>,
    /// Only for a downgrade the repository or the operator allowed.
    pub force: bool,
    /// Supermicro: send the preserve flags (`supermicro_preserve`).
    pub preserve: bool,
    /// The component's inventory URI(s) for multipart `Targets` (vendor
    /// rules in `push::parameters` decide whether they are sent).
    pub targets: Vec<String>,
    /// The whole step must end within this.
    pub deadline: Duration,
    /// Attempts for a transfer that wrote nothing (download failed, upload
    /// refused); at least 1.
    pub attempts: u32,
    /// Task poll interval when the BMC sends no `Retry-After`.
    pub poll: Duration,
    /// How long the step waits for a BMC that is away, and for activation.
    pub waits: Waits,
    /// The maintenance window's end: asked right before the request and
    /// before `StartUpdate`; a step that ends after it is `overran-window`.
    pub window: WindowEnd,
}

/// How long a step waits for what a real BMC does between "task completed"
/// and "new version active" (docs/CONFIG.md `[rollout]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waits {
    /// A BMC that stops answering while a task is followed or a version
    /// verified (a reboot into new firmware) is waited for this long, within
    /// the step deadline, before the step ends `unreachable`.
    pub bmc_reboot: Duration,
    /// After the task ended, how long "still the old version" is read as
    /// activation still to come (a reboot, a job, a host POST) before the
    /// step ends `no-change`.
    pub settle: Duration,
    /// How long a task may stay `Interrupted` or `Suspended` in one go.
    pub stall: Duration,
}

impl Waits {
    /// The waits a rollout's settings give.
    pub fn of(r: &crate::config::Rollout) -> Waits {
        Waits {
            bmc_reboot: r.bmc_reboot_timeout,
            settle: r.activation_timeout,
            stall: r.stall_timeout,
        }
    }
}

impl Default for Waits {
    fn default() -> Self {
        Waits {
            bmc_reboot: Duration::from_secs(1200),
            settle: Duration::from_secs(900),
            stall: Duration::from_secs(900),
        }
    }
}

/// A reset the BMC asked for to activate a staged image.
pub use crate::redfish::messages::ResetRequest;

/// The result with a message that names host, component and cause.
#[derive(Debug, Clone)]
pub struct StepResult {
    pub step_id: i64,
    pub outcome: StepOutcome,
    pub message: String,
    /// For `staged`: what activates the image.
    pub reset: Option<ResetRequest>,
    /// For `needs-attention` after a BMC update: the certificate the BMC now
    /// presents (SHA-256), which the caller may re-pin if the operator allowed it.
    pub new_certificate: Option<String>,
    pub duration: Duration,
    /// Something was sent before the window's end and the step ended after
    /// it (journaled as event `overran-window`).
    pub overran_window: bool,
}

/// Live progress for a step: a phase word and a percentage when the BMC gives one.
pub type ProgressFn = dyn Fn(&str, Option<u8>) + Send + Sync;

impl StepSpec {
    /// What a resumed step needs: the journaled row and the component's kind
    /// (from a fresh read of the BMC). Nothing is sent again, so there is no
    /// image and no transfer to choose.
    #[allow(clippy::too_many_arguments)]
    pub fn resumed(
        run_id: i64,
        identity: String,
        kind: Kind,
        from: Option<String>,
        to: String,
        deadline: Duration,
        poll: Duration,
        waits: Waits,
    ) -> StepSpec {
        StepSpec {
            run_id,
            identity,
            kind,
            from,
            to,
            image: PathBuf::new(),
            sha256: String::new(),
            transfer: Transfer::Resumed,
            apply_time: None,
            force: false,
            preserve: true,
            targets: Vec::new(),
            deadline,
            poll,
            attempts: 1,
            waits,
            window: WindowEnd::NONE,
        }
    }
}

/// How a restarted fwfleet carries on with a step that a stopped one left in
/// flight; `updater::resume` decides which from the journal and the BMC.
#[derive(Debug, Clone)]
pub enum Resume {
    /// Follow this task: the one journaled, or a running update task the BMC
    /// shows for a step that was sent before its task URI was recorded.
    Follow(Accepted),
    /// The update had ended; read the version back (two agreeing reads).
    Verify,
    /// The coordinated reset was sent and the host is in its POST: follow
    /// it and read the version back (a staged image is the POST not done).
    VerifyAfterReset,
    /// Already decided from the BMC; record it.
    Decided(StepOutcome, String),
}

//! The planner's inputs ([`ImageRef`], [`ImageSource`], [`Policy`]) and its
//! output ([`Plan`], [`HostPlan`], [`Step`], [`Action`], [`Summary`]).
//!
//! The output is the JSON of `fwfleet plan --format json`, so field names and
//! action spellings are a stable interface: add fields, never rename them.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::inventory::model::{Component, SystemInfo};
use crate::version::VersionScheme;
use crate::vocab::{Criticality, Kind, Method};
use std::path::PathBuf;

/// What the planner needs to know about one repository image.
///
/// The planner takes this small view instead of the repository's `Entry` so
/// that the two modules can change independently; whoever wires them maps an
/// entry to an `ImageRef` (apply time as its manifest spelling).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// The image's path in the repository: the entry's id, and how plans
    /// name the image.
    pub file: String,
    pub kind: Kind,
    pub software_id: Option<String>,
    /// The version the component reports once this image is applied.
    pub version: String,
    /// How to read `version` and the component's version; overrides the
    /// scheme the BMC states (but not [`Policy::scheme_overrides`]).
    pub version_scheme: Option<VersionScheme>,
    /// The image may only be applied on top of this version or newer: the
    /// vendor's upgrade path goes through it.
    pub min_from_version: Option<String>,
    /// Other components that must be at least at a version before this image
    /// is applied, e.g. `(Kind::Bmc, "5.10")` for a BIOS that relies on it.
    pub prerequisites: Vec<(Kind, String)>,
    /// Whether this image may replace a newer version. Never implied.
    pub allow_downgrade: bool,
    /// How the image must reach the BMC; `None` lets the updater choose.
    pub method: Option<Method>,
    /// Redfish `OperationApplyTime` spelling (`Immediate`, `OnReset`, …).
    pub apply_time: Option<String>,
    /// The file itself, for the step that flashes it; `None` for a source
    /// that only answers what applies (its plans cannot be executed).
    pub facts: Option<ImageFacts>,
    /// Why the BMC's update service cannot apply this image (only a host
    /// agent or the vendor's tool can). Such an image is compared like any
    /// other but never flashed: a component whose only way up is one is
    /// `needs-vendor-tool`, and an installable older image is the fallback.
    pub needs_vendor_tool: Option<String>,
    /// What the vendor says about the image; carried onto the plan rows.
    pub provenance: Provenance,
}

impl ImageRef {
    /// An image of `kind` at `version` in `file`, with nothing else said
    /// about it (no gate, no provenance, no file facts).
    pub fn new(file: impl Into<String>, kind: Kind, version: impl Into<String>) -> ImageRef {
        ImageRef {
            file: file.into(),
            kind,
            software_id: None,
            version: version.into(),
            version_scheme: None,
            min_from_version: None,
            prerequisites: Vec::new(),
            allow_downgrade: false,
            method: None,
            apply_time: None,
            facts: None,
            needs_vendor_tool: None,
            provenance: Provenance::default(),
        }
    }
}

/// Where an image came from and what its vendor says about it: the
/// catalog's criticality, reboot flag, release date and the catalog itself.
/// Plan rows carry it so an operator (and compliance) can tell an urgent
/// update from an optional one without opening the manifest. In the plan
/// JSON its keys sit on the step itself, each omitted when unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criticality: Option<Criticality>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reboot_required: Option<bool>,
    /// The repository entry's `disruption`. Not a key of its own in the
    /// plan: the step's decided class ([`Step::disruption`]) shows it, with
    /// `disruption_source = "repository"`.
    #[serde(skip)]
    pub disruption: Option<crate::vocab::Disruption>,
    /// `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_date: Option<String>,
    /// The catalog the image was imported from (`dell:Catalog.xml (version …)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// The newest image for a component when the plan takes another one (or
/// none): which it is and why it was not taken. With a fallback the row
/// names the image it does take; without, the row is the held-back image's
/// `blocked` or `needs-vendor-tool`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldBack {
    pub image: String,
    pub version: String,
    /// `blocked` or `needs-vendor-tool`.
    pub action: Action,
    pub reason: String,
}

/// The image file as the repository verified it: what a step sends and
/// checks before sending. Facts, not I/O: the planner only carries them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFacts {
    pub path: PathBuf,
    /// Lowercase hex.
    pub sha256: String,
    pub size: u64,
}

/// What carrying out one plan row needs, decided by the planner so that no
/// one joins the plan with the repository or the inventory again: the
/// image, the component it goes to, and whether it is only activated.
/// Not part of the plan JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Execution {
    /// The repository entry's id ([`ImageRef::file`]).
    pub entry: String,
    pub image: ImageFacts,
    /// The active component's inventory URI (multipart `Targets`).
    pub target: String,
    pub method: Option<Method>,
    /// The image is already staged on the BMC (an earlier run under reset
    /// policy `never`, or one that stopped before its reset) and is the
    /// repository's own version: nothing is sent, the coordinated reset
    /// activates it. Only on `staged-pending` rows.
    pub activate_only: bool,
}

/// Where the planner gets the images that apply to a component.
///
/// Applicability (kind, SoftwareId, name pattern, manufacturer and model
/// globs) is the repository's business; the planner trusts the answer and
/// only decides between the candidates. A closure
/// `Fn(&Component, Option<&str>, Option<&str>) -> Vec<ImageRef>` is a source
/// too, which is what tests use.
pub trait ImageSource {
    /// Every image that may be applied to `component` on a system of this
    /// manufacturer and model, in any order.
    fn candidates(
        &self,
        component: &Component,
        manufacturer: Option<&str>,
        model: Option<&str>,
    ) -> Vec<ImageRef>;

    /// Every image that may be applied to `component` on `system`, which
    /// also names the Dell SystemID that catalog images are restricted to.
    /// What the planner asks; by default [`ImageSource::candidates`] with
    /// the system's manufacturer and model.
    fn candidates_on(&self, component: &Component, system: &SystemInfo) -> Vec<ImageRef> {
        self.candidates(
            component,
            system.manufacturer.as_deref(),
            system.model.as_deref(),
        )
    }
}

impl<F> ImageSource for F
where
    F: Fn(&Component, Option<&str>, Option<&str>) -> Vec<ImageRef>,
{
    fn candidates(
        &self,
        component: &Component,
        manufacturer: Option<&str>,
        model: Option<&str>,
    ) -> Vec<ImageRef> {
        self(component, manufacturer, model)
    }
}

/// What the operator decides for a whole plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// The order in which a host's components are updated; kinds not listed
    /// come last, in inventory order. A step that needs another component
    /// updated first (a prerequisite) is moved after it whatever this says.
    pub order: Vec<Kind>,
    /// Allow every downgrade, not only those the image allows. Off by
    /// default: a downgrade must be asked for explicitly (DESIGN §2).
    pub allow_downgrade: bool,
    /// Read every version of a component kind under this scheme, overriding
    /// both the BMC's `VersionScheme` and the image's: the operator's word
    /// is last.
    pub scheme_overrides: BTreeMap<Kind, VersionScheme>,
    /// Plan only these component kinds (`--kinds bios,bmc`); empty plans
    /// every kind. A kind left out is not changed by this plan, so a
    /// prerequisite that only its update would meet blocks the step that
    /// needs it.
    pub kinds: Vec<Kind>,
}

impl Policy {
    /// Whether this plan covers components of `kind`.
    pub fn covers(&self, kind: Kind) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&kind)
    }
}

impl Policy {
    /// BMC first, because new BIOS and CPLD images often need a recent BMC to
    /// be applied at all; then the host firmware, then the devices.
    pub const DEFAULT_ORDER: [Kind; 8] = [
        Kind::Bmc,
        Kind::Bios,
        Kind::Cpld,
        Kind::Nic,
        Kind::Storage,
        Kind::Drive,
        Kind::Psu,
        Kind::Other,
    ];
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            order: Self::DEFAULT_ORDER.to_vec(),
            allow_downgrade: false,
            scheme_overrides: BTreeMap::new(),
            kinds: Vec::new(),
        }
    }
}

/// The outcome for one component (or one hop of an upgrade path).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Flash a newer image.
    Upgrade,
    /// The component runs the newest image the repository has.
    UpToDate,
    /// The component runs something newer than every image; no downgrade was
    /// allowed, so nothing happens.
    NewerThanRepository,
    /// Flash an older image; only when the image or the policy allows it.
    Downgrade,
    /// No repository image applies to the component.
    NoImage,
    /// The versions cannot be ordered safely, so nothing is flashed.
    VersionUnknown,
    /// The BMC says the component cannot be updated.
    NotUpdateable,
    /// An update is needed but may not run: lowest supported version, an
    /// unmet prerequisite, no upgrade path, write protection.
    Blocked,
    /// An image is already staged for this component and waits for a reset;
    /// queueing another could flash twice or race the staged one.
    StagedPending,
    /// The only newer image is one the BMC's update service cannot apply
    /// (an HPE UEFI-only or RuntimeAgent package): the vendor's tool or a
    /// host agent must, so fwfleet never flashes it.
    NeedsVendorTool,
    /// An update is available, but a hold (config `[[holds]]`, `fwfleet hold
    /// add`) keeps the component where it is, or a pin keeps it from moving
    /// past a version: nothing is flashed; the reason names the hold.
    Held,
    /// An update is planned, but its image is not in the repository
    /// directory (deleted, never copied, a moved repository): nothing is
    /// flashed, and `apply` refuses the run until it is back
    /// (`updater::preflight`).
    ImageMissing,
    /// An update is planned, but its image has another size or SHA-256 than
    /// the manifest says, or cannot be read: nothing is flashed, and `apply`
    /// refuses the run.
    ImageCorrupt,
}

impl Action {
    pub const ALL: [Action; 13] = [
        Action::Upgrade,
        Action::UpToDate,
        Action::NewerThanRepository,
        Action::Downgrade,
        Action::NoImage,
        Action::VersionUnknown,
        Action::NotUpdateable,
        Action::Blocked,
        Action::StagedPending,
        Action::NeedsVendorTool,
        Action::Held,
        Action::ImageMissing,
        Action::ImageCorrupt,
    ];

    /// The kebab-case spelling JSON, CSV and tables use.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Upgrade => "upgrade",
            Action::UpToDate => "up-to-date",
            Action::NewerThanRepository => "newer-than-repository",
            Action::Downgrade => "downgrade",
            Action::NoImage => "no-image",
            Action::VersionUnknown => "version-unknown",
            Action::NotUpdateable => "not-updateable",
            Action::Blocked => "blocked",
            Action::StagedPending => "staged-pending",
            Action::NeedsVendorTool => "needs-vendor-tool",
            Action::Held => "held",
            Action::ImageMissing => "image-missing",
            Action::ImageCorrupt => "image-corrupt",
        }
    }

    /// Whether the step flashes something.
    pub fn is_change(self) -> bool {
        matches!(self, Action::Upgrade | Action::Downgrade)
    }

    /// Whether a host whose every step has this action counts as compliant:
    /// nothing to flash and nothing an operator must look at.
    pub fn is_compliant(self) -> bool {
        matches!(
            self,
            Action::UpToDate
                | Action::NewerThanRepository
                | Action::NoImage
                | Action::NotUpdateable
        )
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// One row of a host's plan: an outcome for an active component, or one hop
/// of its upgrade path. Only `upgrade` and `downgrade` rows are executed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// The component's Redfish `Id` at scan time.
    pub component: String,
    /// The identity that survives updates (the updater verifies by it,
    /// because Dell Ids change with the version).
    pub identity: String,
    pub kind: Kind,
    /// The version before this step (the running one, or the previous hop's).
    pub from: Option<String>,
    /// The version after this step, or the image that was considered.
    pub to: Option<String>,
    pub action: Action,
    /// Why, in one lowercase line naming the versions involved.
    pub reason: String,
    /// The repository file to flash, or the one that was considered.
    pub image: Option<String>,
    pub method: Option<String>,
    pub apply_time: Option<String>,
    /// The image's provenance (`criticality`, `reboot_required`,
    /// `release_date`, `source`), for the image the row names.
    #[serde(flatten)]
    pub provenance: Provenance,
    /// The newest image, when the row takes an older one (or none) because
    /// the newest is blocked or needs the vendor's tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_back: Option<HeldBack>,
    /// What the step does to the running host, for the rows that change a
    /// component (`upgrade`, `downgrade`): `[rollout]
    /// no_host_impact_outside_windows` lets a `no-host-impact` step run
    /// before its window opens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disruption: Option<crate::vocab::Disruption>,
    /// Where [`Step::disruption`] came from: `repository`, `catalog`,
    /// `bmc` or `kind-default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disruption_source: Option<super::disruption::DisruptionSource>,
    /// For the rows the updater may run (`upgrade`, `downgrade`, and a
    /// `staged-pending` image the repository has): what it needs.
    #[serde(skip)]
    pub exec: Option<Execution>,
}

/// One host's plan. A host whose scan failed has `ok == false`, the scan's
/// error, and no steps: nothing is planned on a guess.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostPlan {
    pub name: String,
    pub ok: bool,
    pub error: Option<String>,
    /// In execution order (see [`Policy::order`]).
    pub steps: Vec<Step>,
}

impl HostPlan {
    /// Every active component is up to date, newer than the repository, has
    /// no image, or cannot be updated; a failed host is never compliant.
    pub fn is_compliant(&self) -> bool {
        self.ok && self.steps.iter().all(|s| s.action.is_compliant())
    }
}

/// Counts over a plan, for the last line of the table and for metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub hosts: usize,
    /// See [`HostPlan::is_compliant`].
    pub hosts_compliant: usize,
    pub hosts_failed: usize,
    /// Rows per action; every action is present, zero included, so
    /// consumers can rely on the keys.
    pub steps_by_action: BTreeMap<String, usize>,
}

impl Summary {
    /// Counts `hosts`.
    pub fn of(hosts: &[HostPlan]) -> Self {
        let mut steps_by_action: BTreeMap<String, usize> = Action::ALL
            .iter()
            .map(|a| (a.as_str().to_owned(), 0))
            .collect();
        for step in hosts.iter().flat_map(|h| &h.steps) {
            *steps_by_action
                .entry(step.action.as_str().to_owned())
                .or_default() += 1;
        }
        Summary {
            hosts: hosts.len(),
            hosts_compliant: hosts.iter().filter(|h| h.is_compliant()).count(),
            hosts_failed: hosts.iter().filter(|h| !h.ok).count(),
            steps_by_action,
        }
    }
}

/// The plan for a whole inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// In inventory order.
    pub hosts: Vec<HostPlan>,
    pub summary: Summary,
}

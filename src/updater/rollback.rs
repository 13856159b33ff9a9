//! `fwfleet rollback`: put a component back on its previous firmware.
//!
//! Per host and component, [`choose`] (pure) picks how, in this order:
//!
//! 1. **Kept image** (Dell iDRAC): the BMC keeps the image an update
//!    replaced as a `Previous-…` FirmwareInventory entry; SimpleUpdate with
//!    `ImageURI` set to that entry's URI installs it again
//!    (dellemc-openmanage-ansible-modules `redfish_firmware_rollback`).
//! 2. **Rollback action**: the component's SoftwareInventory entry offers a
//!    `….Rollback` action, and the BMC lists the version it goes back to (a
//!    `Previous`/`Backup` entry of the same component).
//! 3. **Older repository entry**, only with `--allow-downgrade`: `--to`
//!    picks the version, otherwise the newest entry older than the
//!    installed one; flashed as a downgrade (`ForceUpdate`).
//! 4. Otherwise the host is **refused**, and with it the whole rollback:
//!    nothing is flashed.
//!
//! The chosen steps run as one journaled run (`command: rollback`) through
//! the normal step path (`updater::host`, `updater::step`): a kept image is
//! a transfer kind of its own ([`Kept`]), followed through its task and
//! verified from the inventory (the expected version is the kept entry's),
//! under freezes, holds and steering like any step.

use crate::config::HostConfig;
use crate::inventory::model::{Component, HostInventory};
use crate::redfish::client::BmcClient;
use crate::redfish::update_service::{self, NotReady};
use crate::repository::{Entry, Repository};
use crate::updater::host::{HostJob, PlannedStep};
use crate::updater::step::Kept;
use crate::version::Verdict;
use crate::vocab::{Kind, Role};
use futures::StreamExt;
use serde::Serialize;

/// What the operator asked for.
#[derive(Debug, Clone)]
pub struct Request {
    pub kind: Kind,
    /// The version to go back to (`--to`); default: the kept image, or the
    /// newest repository entry older than the installed version.
    pub to: Option<String>,
    pub allow_downgrade: bool,
}

/// How one component is rolled back, or why it cannot be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "how", rename_all = "kebab-case")]
pub enum Choice {
    /// SimpleUpdate with `ImageURI` = the kept `Previous-…` entry.
    KeptImage { uri: String, version: String },
    /// The entry's rollback action, back to the version the BMC lists.
    RollbackAction { target: String, version: String },
    /// `--allow-downgrade`: the older repository entry, flashed.
    Repository { entry: String, version: String },
    /// Nothing fits: the rollback is refused.
    Refused { reason: String },
}

impl Choice {
    /// The version the component runs after the rollback.
    pub fn version(&self) -> Option<&str> {
        match self {
            Choice::KeptImage { version, .. }
            | Choice::RollbackAction { version, .. }
            | Choice::Repository { version, .. } => Some(version),
            Choice::Refused { .. } => None,
        }
    }

    /// One line for the table and the journal.
    pub fn describe(&self) -> String {
        match self {
            Choice::KeptImage { uri, version } => {
                format!("kept image {version} (SimpleUpdate ImageURI {uri})")
            }
            Choice::RollbackAction { target, version } => {
                format!("rollback action {target} → {version}")
            }
            Choice::Repository { entry, version } => {
                format!("repository entry {entry} ({version}, downgrade)")
            }
            Choice::Refused { reason } => format!("refused: {reason}"),
        }
    }
}

/// What a BMC and the repository offer for one active component: the
/// inputs of [`choose`], read by the caller.
#[derive(Debug, Clone, Default)]
pub struct Offer {
    /// The installed version.
    pub current: Option<String>,
    pub version_scheme: Option<crate::version::VersionScheme>,
    /// The BMC keeps replaced images as rollback entries (Dell iDRAC).
    pub keeps_previous: bool,
    /// Kept entries of the same component: (role, version, URI).
    pub kept: Vec<(Role, String, String)>,
    /// The rollback action's target, where the entry offers one.
    pub action: Option<String>,
    /// Repository entries for the component: (file, version).
    pub repository: Vec<(String, String)>,
}

fn older(a: &str, b: &str, scheme: Option<crate::version::VersionScheme>) -> bool {
    crate::version::compare(a, b, scheme) == Verdict::Older
}

/// Choose how to roll one component back (pure; see the module docs).
pub fn choose(offer: &Offer, req: &Request) -> Choice {
    let Some(current) = offer.current.as_deref() else {
        return Choice::Refused {
            reason: "the BMC reports no version for it, so nothing can be compared or verified"
                .into(),
        };
    };
    if req.to.as_deref() == Some(current) {
        return Choice::Refused {
            reason: format!("{current} is installed already"),
        };
    }
    let wanted = |v: &str| match &req.to {
        Some(to) => v == to,
        None => v != current,
    };
    if offer.keeps_previous {
        if let Some((_, v, uri)) = offer
            .kept
            .iter()
            .find(|(r, v, _)| *r == Role::Previous && wanted(v))
        {
            return Choice::KeptImage {
                uri: uri.clone(),
                version: v.clone(),
            };
        }
    }
    if let Some(target) = &offer.action {
        if let Some((_, v, _)) = offer
            .kept
            .iter()
            .find(|(r, v, _)| matches!(r, Role::Previous | Role::Backup) && wanted(v))
        {
            return Choice::RollbackAction {
                target: target.clone(),
                version: v.clone(),
            };
        }
    }
    let kept_word = if offer.kept.is_empty() {
        "the BMC keeps no previous image of it".to_string()
    } else {
        format!(
            "the BMC keeps {} but {}",
            offer
                .kept
                .iter()
                .map(|(r, v, _)| format!("{r} {v}"))
                .collect::<Vec<_>>()
                .join(", "),
            if offer.keeps_previous || offer.action.is_some() {
                match &req.to {
                    Some(to) => format!("not {to}"),
                    None => "none older than what runs".to_string(),
                }
            } else {
                "offers no way to activate it (no Dell Previous- rollback, no rollback action)"
                    .to_string()
            }
        )
    };
    if !req.allow_downgrade {
        return Choice::Refused {
            reason: format!(
                "{kept_word}; re-flashing an older repository entry is a downgrade and needs --allow-downgrade"
            ),
        };
    }
    let scheme = offer.version_scheme;
    let pick = match &req.to {
        Some(to) => offer.repository.iter().find(|(_, v)| v == to),
        None => offer
            .repository
            .iter()
            .filter(|(_, v)| older(v, current, scheme))
            .fold(None::<&(String, String)>, |best, e| match best {
                Some(b) if !older(&b.1, &e.1, scheme) => Some(b),
                _ => Some(e),
            }),
    };
    match pick {
        Some((file, v)) => Choice::Repository {
            entry: file.clone(),
            version: v.clone(),
        },
        None => Choice::Refused {
            reason: match &req.to {
                Some(to) => format!("{kept_word}, and the repository has no entry {to} for it"),
                None => format!(
                    "{kept_word}, and the repository has no entry older than {current} for it"
                ),
            },
        },
    }
}

/// One component's decision.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentChoice {
    pub component: String,
    pub identity: String,
    pub from: Option<String>,
    #[serde(flatten)]
    pub choice: Choice,
    /// A hold or pin that stops this step (it is then `held`, not flashed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held: Option<String>,
}

/// One host's decisions (`error`: the BMC could not be read; refused).
#[derive(Debug, Clone, Serialize)]
pub struct HostChoice {
    pub host: String,
    pub components: Vec<ComponentChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl HostChoice {
    /// Why this host refuses the rollback, if it does.
    pub fn refusal(&self, kind: Kind) -> Option<String> {
        if let Some(e) = &self.error {
            return Some(e.clone());
        }
        if self.components.is_empty() {
            return Some(format!("the BMC lists no active {kind} component"));
        }
        let refused: Vec<String> = self
            .components
            .iter()
            .filter_map(|c| match &c.choice {
                Choice::Refused { reason } => Some(format!("{}: {reason}", c.component)),
                _ => None,
            })
            .collect();
        (!refused.is_empty()).then(|| refused.join("; "))
    }
}

/// Every host's decisions, and the jobs they make.
#[derive(Debug, Clone, Serialize)]
pub struct Decided {
    pub hosts: Vec<HostChoice>,
    #[serde(skip)]
    pub jobs: Vec<HostJob>,
}

impl Decided {
    /// The hosts that refuse, with why: any one refuses the whole rollback.
    pub fn refused(&self, kind: Kind) -> Vec<(String, String)> {
        self.hosts
            .iter()
            .filter_map(|h| h.refusal(kind).map(|r| (h.host.clone(), r)))
            .collect()
    }

    pub fn steps(&self) -> usize {
        self.jobs.iter().map(|j| j.steps.len()).sum()
    }
}

/// How many BMCs are read at once while deciding.
const READ_PARALLEL: usize = 16;

/// Read every host's BMC and decide (nothing is changed on any BMC).
pub async fn decide(
    hosts: &[HostConfig],
    repo: &Repository,
    req: &Request,
    holds: &crate::holds::Holds,
) -> Decided {
    let results: Vec<(HostChoice, Option<HostJob>)> = futures::stream::iter(hosts)
        .map(|h| decide_host(h, repo, req, holds))
        .buffered(READ_PARALLEL)
        .collect()
        .await;
    let mut out = Decided {
        hosts: Vec::new(),
        jobs: Vec::new(),
    };
    for (c, j) in results {
        out.hosts.push(c);
        out.jobs.extend(j);
    }
    out
}

fn host_error(h: &HostConfig, e: String) -> (HostChoice, Option<HostJob>) {
    (
        HostChoice {
            host: h.name.clone(),
            components: Vec::new(),
            error: Some(e),
        },
        None,
    )
}

async fn decide_host(
    h: &HostConfig,
    repo: &Repository,
    req: &Request,
    holds: &crate::holds::Holds,
) -> (HostChoice, Option<HostJob>) {
    let client = match BmcClient::new(h) {
        Ok(c) => c,
        Err(e) => return host_error(h, e.to_string()),
    };
    let caps = match update_service::login_and_discover(&client)
        .await
        .map_err(|e| *e)
    {
        Ok(c) => c,
        Err(NotReady::Login(e) | NotReady::Discover(e)) => {
            return host_error(h, format!("cannot reach the BMC: {e}"))
        }
    };
    let inv = match crate::inventory::scan::read_now(&client).await {
        Ok(i) => i,
        Err(e) => {
            client.logout().await;
            return host_error(h, format!("cannot read the inventory: {e}"));
        }
    };
    let keeps_previous = caps.platform.keeps_previous_image();
    let mut components = Vec::new();
    let mut steps = Vec::new();
    for c in inv
        .components
        .iter()
        .filter(|c| c.kind == req.kind && c.role == Role::Active)
    {
        let mut offer = offer_for(&inv, c, repo, keeps_previous);
        // The extra read only where it can matter: no Dell kept image.
        if !keeps_previous {
            offer.action = crate::redfish::rollback::target(&client, &c.uri)
                .await
                .ok()
                .flatten();
        }
        let choice = choose(&offer, req);
        let held = choice
            .version()
            .and_then(|v| holds.holding(&h.name, &h.labels, c.kind, Some(v), chrono::Utc::now()));
        if let Some(step) = planned(c, &choice, repo) {
            steps.push(step);
        }
        components.push(ComponentChoice {
            component: c.id.clone(),
            identity: c.identity.clone(),
            from: c.version.clone(),
            choice,
            held,
        });
    }
    client.logout().await;
    let job = (!steps.is_empty()).then(|| HostJob {
        host: h.clone(),
        steps,
    });
    (
        HostChoice {
            host: h.name.clone(),
            components,
            error: None,
        },
        job,
    )
}

fn offer_for(inv: &HostInventory, c: &Component, repo: &Repository, keeps_previous: bool) -> Offer {
    let scheme = c
        .version_scheme
        .as_deref()
        .and_then(|s| s.parse::<crate::version::VersionScheme>().ok());
    Offer {
        current: c.version.clone(),
        version_scheme: scheme,
        keeps_previous,
        kept: inv
            .components
            .iter()
            .filter(|k| k.identity == c.identity && matches!(k.role, Role::Previous | Role::Backup))
            .filter_map(|k| Some((k.role, k.version.clone()?, k.uri.clone())))
            .collect(),
        action: None,
        repository: repo
            .candidates_on(c, &inv.system)
            .into_iter()
            .filter(|e| e.needs_vendor_tool.is_none())
            .map(|e| (e.file.clone(), e.version.clone()))
            .collect(),
    }
}

/// The step a choice makes (none for a refusal).
fn planned(c: &Component, choice: &Choice, repo: &Repository) -> Option<PlannedStep> {
    let base = |to: &str, kept: Option<Kept>| PlannedStep {
        component: c.id.clone(),
        identity: c.identity.clone(),
        kind: c.kind,
        from: c.version.clone(),
        to: to.to_string(),
        image: std::path::PathBuf::new(),
        target: Some(c.uri.clone()),
        image_name: String::new(),
        sha256: String::new(),
        size: 0,
        method: None,
        apply_time: None,
        force: false,
        activate_only: false,
        kept_image: kept,
        // What a flash of this kind does to the host (a rollback runs now,
        // not before a window, so the class is only reported).
        disruption: crate::planner::disruption::kind_default(c.kind),
    };
    match choice {
        Choice::KeptImage { uri, version } => Some(PlannedStep {
            image_name: uri.rsplit('/').next().unwrap_or(uri).to_string(),
            ..base(version, Some(Kept::Previous { uri: uri.clone() }))
        }),
        Choice::RollbackAction { target, version } => Some(PlannedStep {
            image_name: "rollback-action".into(),
            ..base(
                version,
                Some(Kept::Action {
                    target: target.clone(),
                }),
            )
        }),
        Choice::Repository { entry, version } => {
            let e: &Entry = repo.list().iter().find(|e| &e.file == entry)?;
            Some(PlannedStep {
                image: repo.path_of(e),
                image_name: e.file.clone(),
                sha256: e.sha256.clone(),
                size: e.size,
                method: e.method,
                apply_time: e.apply_time.map(|a| a.as_str().to_string()),
                force: true,
                ..base(version, None)
            })
        }
        Choice::Refused { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(to: Option<&str>, allow_downgrade: bool) -> Request {
        Request {
            kind: Kind::Bmc,
            to: to.map(str::to_string),
            allow_downgrade,
        }
    }

    fn dell() -> Offer {
        Offer {
            current: Some("7.00.00.00".into()),
            keeps_previous: true,
            kept: vec![(
                Role::Previous,
                "6.10.30.00".into(),
                "/fw/Previous-25227-6.10.30.00__iDRAC.Embedded.1-1".into(),
            )],
            repository: vec![("idrac-6.00.bin".into(), "6.00.00.00".into())],
            ..Offer::default()
        }
    }

    fn generic() -> Offer {
        Offer {
            current: Some("2.10.0".into()),
            repository: vec![
                ("bmc-2.8.0".into(), "2.8.0".into()),
                ("bmc-2.9.0".into(), "2.9.0".into()),
                ("bmc-2.11.0".into(), "2.11.0".into()),
            ],
            ..Offer::default()
        }
    }

    #[test]
    fn each_offer_gets_its_choice() {
        let cases: Vec<(&str, Offer, Request, Choice)> = vec![
            (
                "dell previous",
                dell(),
                req(None, false),
                Choice::KeptImage {
                    uri: "/fw/Previous-25227-6.10.30.00__iDRAC.Embedded.1-1".into(),
                    version: "6.10.30.00".into(),
                },
            ),
            (
                "dell --to a repository version needs --allow-downgrade",
                dell(),
                req(Some("6.00.00.00"), true),
                Choice::Repository {
                    entry: "idrac-6.00.bin".into(),
                    version: "6.00.00.00".into(),
                },
            ),
            (
                "rollback action with a backup version",
                Offer {
                    action: Some("/fw/1/Actions/Oem/Vendor.Rollback".into()),
                    kept: vec![(Role::Backup, "2.9.0".into(), "/fw/2".into())],
                    ..generic()
                },
                req(None, false),
                Choice::RollbackAction {
                    target: "/fw/1/Actions/Oem/Vendor.Rollback".into(),
                    version: "2.9.0".into(),
                },
            ),
            (
                "newest older repository entry",
                generic(),
                req(None, true),
                Choice::Repository {
                    entry: "bmc-2.9.0".into(),
                    version: "2.9.0".into(),
                },
            ),
            (
                "--to picks the repository entry",
                generic(),
                req(Some("2.8.0"), true),
                Choice::Repository {
                    entry: "bmc-2.8.0".into(),
                    version: "2.8.0".into(),
                },
            ),
        ];
        for (name, offer, r, want) in cases {
            assert_eq!(choose(&offer, &r), want, "{name}");
        }
    }

    #[test]
    fn refusals_say_what_to_do() {
        let reason = |o: &Offer, r: &Request| match choose(o, r) {
            Choice::Refused { reason } => reason,
            other => panic!("not refused: {other:?}"),
        };
        let r = reason(&generic(), &req(None, false));
        assert!(r.contains("keeps no previous image"), "{r}");
        assert!(r.contains("--allow-downgrade"), "{r}");
        // A backup without any way to activate it is not a rollback.
        let with_backup = Offer {
            kept: vec![(Role::Backup, "2.9.0".into(), "/fw/2".into())],
            ..generic()
        };
        let r = reason(&with_backup, &req(None, false));
        assert!(r.contains("no way to activate"), "{r}");
        let r = reason(&generic(), &req(Some("1.0.0"), true));
        assert!(r.contains("no entry 1.0.0"), "{r}");
        let nothing_older = Offer {
            repository: vec![("bmc-2.11.0".into(), "2.11.0".into())],
            ..generic()
        };
        let r = reason(&nothing_older, &req(None, true));
        assert!(r.contains("no entry older than 2.10.0"), "{r}");
        let r = reason(&generic(), &req(Some("2.10.0"), true));
        assert!(r.contains("installed already"), "{r}");
        let r = reason(
            &Offer {
                current: None,
                ..dell()
            },
            &req(None, false),
        );
        assert!(r.contains("no version"), "{r}");
        // Dell with --to a version it does not keep and no downgrade allowed.
        let r = reason(&dell(), &req(Some("6.00.00.00"), false));
        assert!(r.contains("not 6.00.00.00"), "{r}");
    }
}

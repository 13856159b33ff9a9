//! Images checked before the first flash (issue 16 item 5).
//!
//! A step already hashes its own image before it sends it, so a bad image
//! never reaches a BMC; but found there, it fails that one step after others
//! have flashed, and a rollout ends with half a fleet on the new firmware
//! because a file was truncated in the repository. So the images are
//! checked twice before anything is sent:
//!
//! - when planning ([`mark_plan`]): a row whose image is missing, unreadable
//!   or not the manifest's bytes becomes `image-missing` / `image-corrupt`,
//!   so `plan`, `apply --dry-run` and the fleet view show it. Stamps
//!   ([`Stamps`]) keep this cheap: an image is re-read only when its
//!   metadata changed since it last hashed right.
//! - when a run starts ([`verify_jobs`]): every distinct planned image is
//!   read in full and must match its SHA-256, or the run is refused before
//!   its first step. This is what catches bytes that changed without their
//!   metadata, and an image replaced between the plan and the run.

use crate::planner::{Action, Plan, Summary};
use crate::repository::{check_image, ImageRead, ProblemKind, Stamps};
use crate::updater::host::HostJob;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// A planned image that cannot be flashed, and the hosts that would get it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadImage {
    /// The repository entry (`file` in the manifest).
    pub file: String,
    pub path: PathBuf,
    #[serde(flatten)]
    pub problem: ProblemKind,
    /// Hosts it was planned on, in plan order.
    pub hosts: Vec<String>,
}

impl BadImage {
    /// `image-missing` or `image-corrupt`.
    pub fn action(&self) -> Action {
        match self.problem {
            ProblemKind::Missing => Action::ImageMissing,
            _ => Action::ImageCorrupt,
        }
    }

    /// What is wrong, in a few words, for a plan row's reason.
    fn what(&self) -> String {
        match &self.problem {
            ProblemKind::Missing => format!("image {} is missing", self.path.display()),
            ProblemKind::Unreadable { error } => {
                format!("image {} cannot be read: {error}", self.path.display())
            }
            ProblemKind::SizeMismatch { expected, actual } => format!(
                "image {} is {actual} bytes, the manifest says {expected}",
                self.path.display()
            ),
            ProblemKind::HashMismatch { .. } => format!(
                "image {} does not match its SHA-256 in the manifest",
                self.path.display()
            ),
            ProblemKind::SignatureMissing { signature } => {
                format!("the signature {signature} is missing")
            }
        }
    }
}

impl fmt::Display for BadImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 5;
        let hosts = self
            .hosts
            .iter()
            .take(SHOWN)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        let more = self.hosts.len().saturating_sub(SHOWN);
        write!(
            f,
            "{} ({}): {}; planned on {} host(s): {hosts}{}",
            self.file,
            self.action(),
            self.what(),
            self.hosts.len(),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        )
    }
}

/// A run refused before its first step: nothing was sent to any BMC.
#[derive(Debug, Clone, thiserror::Error)]
pub struct Refused {
    pub images: Vec<BadImage>,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "the run was refused before its first step: {} planned image(s) are missing or corrupt; nothing was flashed",
            self.images.len()
        )?;
        for b in &self.images {
            writeln!(f, "  {b}")?;
        }
        write!(
            f,
            "  hint: copy the right images back (`fwfleet repo verify` checks every image), or leave them out with --kinds/--exclude, or remove their entries with `fwfleet repo remove`"
        )
    }
}

/// Marks the plan's `upgrade` and `downgrade` rows whose image is missing
/// or corrupt (`image-missing`, `image-corrupt`: nothing is flashed there)
/// and a later hop of the same component `blocked` behind them; returns the
/// bad images. Each distinct image is checked once, through `stamps`.
pub fn mark_plan(plan: &mut Plan, stamps: &Stamps) -> Vec<BadImage> {
    let mut checked: BTreeMap<PathBuf, Option<ProblemKind>> = BTreeMap::new();
    let mut bad: BTreeMap<String, BadImage> = BTreeMap::new();
    for host in &mut plan.hosts {
        let mut stopped: Vec<(String, String)> = Vec::new();
        for step in &mut host.steps {
            if !step.action.is_change() {
                continue;
            }
            if let Some((_, file)) = stopped.iter().find(|(id, _)| *id == step.identity) {
                step.reason = format!(
                    "blocked: the image of an earlier hop ({file}) cannot be flashed; was: {} ({})",
                    step.action, step.reason
                );
                step.action = Action::Blocked;
                step.exec = None;
                continue;
            }
            let Some(exec) = &step.exec else { continue };
            let (file, facts) = (exec.entry.clone(), exec.image.clone());
            let problem = checked
                .entry(facts.path.clone())
                .or_insert_with(|| {
                    check_image(
                        &facts.path,
                        facts.size,
                        &facts.sha256,
                        Some(stamps),
                        ImageRead::Stamped,
                    )
                })
                .clone();
            let Some(problem) = problem else { continue };
            let entry = bad.entry(file.clone()).or_insert_with(|| BadImage {
                file: file.clone(),
                path: facts.path.clone(),
                problem,
                hosts: Vec::new(),
            });
            if entry.hosts.last() != Some(&host.name) {
                entry.hosts.push(host.name.clone());
            }
            step.reason = format!(
                "{}: nothing is flashed until it is put back (`fwfleet repo verify`); was: {} ({})",
                entry.what(),
                step.action,
                step.reason
            );
            step.action = entry.action();
            step.exec = None;
            stopped.push((step.identity.clone(), file));
        }
    }
    stamps.save();
    plan.summary = Summary::of(&plan.hosts);
    bad.into_values().collect()
}

/// [`mark_plan`] with the stamps of `state_dir`, off the async threads
/// (hashing the images whose stamps no longer hold takes seconds).
pub async fn mark_plan_in(
    mut plan: Plan,
    state_dir: &std::path::Path,
) -> Result<(Plan, Vec<BadImage>), tokio::task::JoinError> {
    let state_dir = state_dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let bad = mark_plan(&mut plan, &Stamps::open(&state_dir));
        (plan, bad)
    })
    .await
}

/// Reads every distinct image the jobs would send, in full, and compares it
/// with its SHA-256 and size: the last look before a run starts. Activations
/// of staged images send nothing and are not read. Runs on the blocking
/// pool (images are hundreds of MiB).
pub async fn verify_jobs(jobs: &[HostJob], stamps: Option<Stamps>) -> Result<(), Refused> {
    // path → (entry, size, sha256, hosts)
    let mut wanted: BTreeMap<PathBuf, (String, u64, String, Vec<String>)> = BTreeMap::new();
    for job in jobs {
        for s in job.steps.iter().filter(|s| !s.activate_only) {
            let w = wanted
                .entry(s.image.clone())
                .or_insert_with(|| (s.image_name.clone(), s.size, s.sha256.clone(), Vec::new()));
            if w.3.last() != Some(&job.host.name) {
                w.3.push(job.host.name.clone());
            }
        }
    }
    let images = tokio::task::spawn_blocking(move || {
        let mut bad = Vec::new();
        for (path, (file, size, sha256, hosts)) in wanted {
            if let Some(problem) =
                check_image(&path, size, &sha256, stamps.as_ref(), ImageRead::Full)
            {
                bad.push(BadImage {
                    file,
                    path,
                    problem,
                    hosts,
                });
            }
        }
        if let Some(s) = &stamps {
            s.save();
        }
        bad
    })
    .await
    .unwrap_or_else(|e| {
        vec![BadImage {
            file: "-".into(),
            path: PathBuf::new(),
            problem: ProblemKind::Unreadable {
                error: format!("the image check stopped: {e}"),
            },
            hosts: Vec::new(),
        }]
    });
    if images.is_empty() {
        Ok(())
    } else {
        Err(Refused { images })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::model::{
        BmcInfo, Component, HostInventory, Inventory, Kind, Role, SystemInfo,
    };
    use crate::planner::{self, ImageFacts, ImageRef, Policy};
    use std::path::Path;

    fn host(name: &str) -> HostInventory {
        HostInventory {
            name: name.into(),
            url: format!("https://{name}.example"),
            ok: true,
            error: None,
            system: SystemInfo::default(),
            bmc: BmcInfo::default(),
            components: vec![Component {
                id: "BIOS".into(),
                name: "BIOS".into(),
                kind: Kind::Bios,
                version: Some("1.0.0".into()),
                updateable: true,
                software_id: None,
                role: Role::Active,
                identity: "bios".into(),
                uri: "/redfish/v1/UpdateService/FirmwareInventory/BIOS".into(),
                lowest_supported_version: None,
                version_scheme: None,
                manufacturer: None,
                write_protected: false,
                pci: None,
                reset_required_on_update: None,
            }],
            software: Vec::new(),
            duration_ms: 0,
        }
    }

    /// An image of `version` written to `dir`, with its facts.
    fn image(dir: &Path, version: &str, min_from: Option<&str>) -> ImageRef {
        let file = format!("bios-{version}.bin");
        let path = dir.join(&file);
        std::fs::write(&path, format!("BIOS {version}")).unwrap();
        let d = crate::digest::hash_file(&path).unwrap();
        let mut r = ImageRef::new(file, Kind::Bios, version);
        r.min_from_version = min_from.map(str::to_string);
        r.facts = Some(ImageFacts {
            path,
            sha256: d.sha256,
            size: d.size,
        });
        r
    }

    #[tokio::test]
    async fn a_missing_hop_image_is_image_missing_and_the_hops_after_it_are_blocked() {
        let dir = tempfile::tempdir().unwrap();
        let images = [
            image(dir.path(), "2.0.0", None),
            image(dir.path(), "3.0.0", Some("2.0.0")),
        ];
        let inv = Inventory {
            scanned_at: "2026-12-07T00:00:00Z".into(),
            hosts: vec![host("a"), host("b")],
        };
        let source = |_: &Component, _: Option<&str>, _: Option<&str>| images.to_vec();
        let plan = planner::plan(&inv, &source, &Policy::default());
        let hops: Vec<_> = plan.hosts[0].steps.iter().map(|s| s.action).collect();
        assert_eq!(hops, [Action::Upgrade, Action::Upgrade], "{plan:#?}");

        // Intact: nothing changes, and the jobs' full read agrees.
        let stamps = Stamps::in_memory();
        let mut intact = plan.clone();
        assert!(mark_plan(&mut intact, &stamps).is_empty());
        assert_eq!(intact, plan);

        std::fs::remove_file(images[0].facts.as_ref().unwrap().path.clone()).unwrap();
        let mut marked = plan.clone();
        let bad = mark_plan(&mut marked, &stamps);
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert_eq!(bad[0].file, "bios-2.0.0.bin");
        assert_eq!(bad[0].hosts, ["a", "b"]);
        assert_eq!(bad[0].action(), Action::ImageMissing);
        for h in &marked.hosts {
            let s = &h.steps;
            assert_eq!(s[0].action, Action::ImageMissing, "{}", s[0].reason);
            assert!(s[0].exec.is_none() && s[0].reason.contains("was: upgrade"));
            assert_eq!(s[1].action, Action::Blocked, "{}", s[1].reason);
            assert!(s[1].exec.is_none() && s[1].reason.contains("bios-2.0.0.bin"));
        }
        assert_eq!(marked.summary.steps_by_action["image-missing"], 2);
        assert_eq!(marked.summary.steps_by_action["blocked"], 2);
        let text = Refused { images: bad }.to_string();
        assert!(
            text.contains("bios-2.0.0.bin (image-missing)") && text.contains("2 host(s): a, b"),
            "{text}"
        );
    }

    #[test]
    fn the_run_start_check_reads_the_bytes_whatever_the_stamps_say() {
        let dir = tempfile::tempdir().unwrap();
        let facts = image(dir.path(), "2.0.0", None).facts.unwrap();
        // Bytes that rotted with no metadata change: the stamp still vouches
        // for the manifest's digest, which the bytes no longer have.
        let manifest = "0".repeat(64);
        let stamps = Stamps::in_memory();
        let meta = std::fs::metadata(&facts.path).unwrap();
        let stale = crate::digest::Digest {
            sha256: manifest.clone(),
            size: facts.size,
        };
        stamps.record(&facts.path, &meta, &stale);
        let check = |read| check_image(&facts.path, facts.size, &manifest, Some(&stamps), read);
        assert_eq!(check(ImageRead::Stamped), None, "the plan trusts the stamp");
        assert!(matches!(
            check(ImageRead::Full),
            Some(ProblemKind::HashMismatch { .. })
        ));
        // The full read refreshed the stamp: the plan sees it now too.
        assert!(matches!(
            check(ImageRead::Stamped),
            Some(ProblemKind::HashMismatch { .. })
        ));
    }
}

//! `fwfleet repo import-catalog`: from a Dell catalog and the fleet's
//! inventory to repository entries.
//!
//! For each package [`dell::choose`] picks: fetch it from the mirror,
//! check it against the catalog's digest (SHA-256 where the catalog gives
//! one, else MD5, recorded as which) and size, and add it with its
//! applicability (the ComponentIDs and PCI IDs it lists, the SystemIDs and
//! model names it was verified for) and the catalog's criticality, reboot
//! flag, release date and name. A package already in the repository is left
//! alone; a newer one says which entries of the same devices and systems it
//! supersedes (they are kept: the planner falls back to them when the
//! newest cannot be installed). One package failing does not stop the
//! others; the report says which failed and why.

use super::dell::{self, ChosenPackage, DellCatalog, DeviceFacts, HostFacts};
use super::mirror::{self, Mirror};
use crate::inventory::model::{Inventory, Role};
use crate::repository::{AddSpec, Entry, HashKind, Repository};
use crate::version::Verdict;
use serde::Serialize;
use std::path::Path;

/// What the import did with one chosen package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageOutcome {
    /// The catalog's path.
    pub path: String,
    /// The repository file name.
    pub file: String,
    pub kind: String,
    pub version: String,
    /// `added`, `unchanged`, `would-add` (dry run) or `failed`.
    pub status: &'static str,
    /// Why it failed, naming the package.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `sha256` or `md5`: what the file was checked against.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_with: Option<&'static str>,
    /// Entries of the same devices and systems with an older version
    /// (`file (version)`), kept as fallbacks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replaces: Vec<String>,
    /// Hosts whose components it is for.
    pub hosts: usize,
    pub criticality: Option<String>,
}

/// The whole import, as `--format json` prints it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub catalog: String,
    pub packages_in_catalog: usize,
    pub packages: Vec<PackageOutcome>,
    /// Packages that fit a host but iDRAC cannot apply over Redfish.
    pub refused: Vec<Refused>,
    /// Packages no host of the fleet needs (other systems, other devices).
    pub not_needed: usize,
    pub hosts_without_system_id: Vec<String>,
    pub model_mismatches: Vec<String>,
    /// Catalog entries that could not be read.
    pub catalog_problems: Vec<String>,
    pub dry_run: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refused {
    pub path: String,
    pub reason: String,
}

impl ImportReport {
    pub fn failed(&self) -> usize {
        self.packages
            .iter()
            .filter(|p| p.status == "failed")
            .count()
    }

    /// The human summary: one line per package, then the counts.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        for p in &self.packages {
            let mut line = format!("{:<10} {} ({} {})", p.status, p.file, p.kind, p.version);
            if let Some(v) = p.verified_with {
                line.push_str(&format!(", {v} verified"));
            }
            if let Some(c) = &p.criticality {
                line.push_str(&format!(", {c}"));
            }
            line.push_str(&format!(", for {} host(s)", p.hosts));
            if !p.replaces.is_empty() {
                line.push_str(&format!("; replaces {}", p.replaces.join(", ")));
            }
            out.push_str(&line);
            out.push('\n');
            if let Some(e) = &p.error {
                for l in e.lines() {
                    out.push_str(&format!("           {l}\n"));
                }
            }
        }
        for r in &self.refused {
            out.push_str(&format!("refused    {}: {}\n", r.path, r.reason));
        }
        for m in &self.model_mismatches {
            out.push_str(&format!("mismatch   {m}\n"));
        }
        for p in &self.catalog_problems {
            out.push_str(&format!("skipped    {p}\n"));
        }
        if !self.hosts_without_system_id.is_empty() {
            out.push_str(&format!(
                "{} host(s) report no Dell SystemID and get no catalog package: {}\n",
                self.hosts_without_system_id.len(),
                abbreviate(&self.hosts_without_system_id)
            ));
        }
        let count = |s: &str| self.packages.iter().filter(|p| p.status == s).count();
        out.push_str(&format!(
            "{}: {} packages; {} {}, {} unchanged, {} failed, {} refused, {} not needed by this fleet\n",
            self.catalog,
            self.packages_in_catalog,
            if self.dry_run { count("would-add") } else { count("added") },
            if self.dry_run { "would be added" } else { "added" },
            count("unchanged"),
            self.failed(),
            self.refused.len(),
            self.not_needed
        ));
        out
    }
}

fn abbreviate(names: &[String]) -> String {
    if names.len() <= 5 {
        names.join(", ")
    } else {
        format!("{}, … ({} more)", names[..5].join(", "), names.len() - 5)
    }
}

/// What the catalog rules need from an inventory: every host that was
/// read, with its SystemID (`Oem.Dell.DellSystem.SystemID`) and its active
/// components with their ComponentIDs and PCI IDs
/// (`Oem.Dell.DellSoftwareInventory`). A host that reports no SystemID (not
/// a Dell, or an iDRAC too old to say it) gets nothing: nothing is matched
/// on model names alone.
pub fn host_facts(inv: &Inventory) -> Vec<HostFacts> {
    inv.hosts
        .iter()
        .filter(|h| h.ok)
        .map(|h| HostFacts {
            name: h.name.clone(),
            manufacturer: h.system.manufacturer.clone(),
            model: h.system.model.clone(),
            dell_system_id: h.system.dell_system_id,
            devices: h
                .components
                .iter()
                .filter(|c| c.role == Role::Active)
                .map(|c| DeviceFacts {
                    identity: c.identity.clone(),
                    kind: c.kind,
                    software_id: c.software_id.clone(),
                    pci: c.pci,
                    version: c.version.clone(),
                })
                .collect(),
        })
        .collect()
}

/// Options of one import.
#[derive(Debug, Clone)]
pub struct ImportOptions<'a> {
    /// How the catalog is named in reports and in entries' `source`.
    pub label: String,
    pub mirror: &'a Mirror,
    /// Where HTTP downloads are kept until added (and resumed from).
    pub staging: &'a Path,
    pub dry_run: bool,
    /// Draw a progress bar per download on stderr.
    pub progress: bool,
}

/// Runs the import; see the module docs.
pub async fn import_dell(
    repo: &mut Repository,
    catalog: &DellCatalog,
    hosts: &[HostFacts],
    opts: &ImportOptions<'_>,
) -> ImportReport {
    let choice = dell::choose(catalog, hosts);
    let mut report = ImportReport {
        catalog: opts.label.clone(),
        packages_in_catalog: catalog.components.len(),
        refused: choice
            .refused
            .iter()
            .map(|r| Refused {
                path: r.path.clone(),
                reason: r.reason.clone(),
            })
            .collect(),
        not_needed: choice.not_needed,
        hosts_without_system_id: choice.hosts_without_system_id.clone(),
        model_mismatches: choice.model_mismatches.clone(),
        catalog_problems: catalog.problems.clone(),
        dry_run: opts.dry_run,
        packages: Vec::new(),
    };
    let client = mirror::client();
    let source = format!(
        "dell:{}{}",
        opts.label,
        match catalog.describe() {
            d if d.is_empty() => String::new(),
            d => format!(" ({d})"),
        }
    );
    for pkg in &choice.chosen {
        let outcome = import_one(repo, pkg, &source, &client, opts).await;
        report.packages.push(outcome);
    }
    report
}

async fn import_one(
    repo: &mut Repository,
    pkg: &ChosenPackage,
    source: &str,
    client: &reqwest::Client,
    opts: &ImportOptions<'_>,
) -> PackageOutcome {
    let c = &pkg.component;
    let file = c.file_name().to_owned();
    let mut out = PackageOutcome {
        path: c.path.clone(),
        file: file.clone(),
        kind: pkg.kind.to_string(),
        version: c.vendor_version.clone(),
        status: "failed",
        error: None,
        verified_with: None,
        replaces: Vec::new(),
        hosts: pkg
            .targets
            .iter()
            .map(|t| t.0.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        criticality: c.criticality.map(|k| k.to_string()),
    };
    let fail = |mut out: PackageOutcome, msg: String| {
        out.error = Some(format!("{}: {msg}", c.path));
        out
    };
    let vendor_hash = match (&c.sha256, &c.hash_md5) {
        (Some(h), _) => (HashKind::Sha256, h.clone()),
        (None, Some(h)) => (HashKind::Md5, h.clone()),
        (None, None) => {
            return fail(
                out,
                "the catalog gives no checksum for it, so it cannot be verified; not imported"
                    .into(),
            )
        }
    };
    out.verified_with = Some(vendor_hash.0.as_str());

    if let Some(existing) = repo.list().iter().find(|e| e.file == file) {
        let same = existing.vendor_hash.as_deref() == Some(vendor_hash.1.as_str())
            || (vendor_hash.0 == HashKind::Sha256 && existing.sha256 == vendor_hash.1);
        if same {
            out.status = "unchanged";
            return out;
        }
        return fail(
            out,
            format!(
                "the repository already has another file named {file}\n  remove it (`fwfleet repo remove {file}`) if the catalog's package should replace it"
            ),
        );
    }
    let spec = spec_for(pkg, source, vendor_hash.clone());
    out.replaces = superseded(repo.list(), &spec)
        .into_iter()
        .map(|e| format!("{} ({})", e.file, e.version))
        .collect();
    if opts.dry_run {
        out.status = "would-add";
        return out;
    }

    let bar = if opts.progress {
        let b = indicatif::ProgressBar::with_draw_target(
            c.size,
            indicatif::ProgressDrawTarget::stderr(),
        );
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg:40!} {bytes:>10}/{total_bytes:10} {bytes_per_sec:>12} {eta:>4}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b.set_message(file.clone());
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let fetched = mirror::fetch(opts.mirror, client, &c.path, opts.staging, c.size, &bar).await;
    bar.finish_and_clear();
    let fetched = match fetched {
        Ok(f) => f,
        Err(e) => return fail(out, e.to_string()),
    };
    if let Some(size) = c.size {
        if fetched.size != size {
            return fail(
                out,
                format!(
                    "{} bytes, the catalog says {size}\n  the mirror's copy is truncated or another file; fetch it again",
                    fetched.size
                ),
            );
        }
    }
    let actual = match vendor_hash.0 {
        HashKind::Sha256 => &fetched.sha256,
        HashKind::Md5 => &fetched.md5,
    };
    if actual != &vendor_hash.1 {
        if fetched.file.starts_with(opts.staging) {
            let _ = std::fs::remove_file(&fetched.file);
        }
        return fail(
            out,
            format!(
                "{} {actual} does not match the catalog's {}\n  the package is corrupt or not Dell's; nothing was added, fix the mirror and import again",
                vendor_hash.0, vendor_hash.1
            ),
        );
    }
    let added = repo.add(&fetched.file, spec);
    if fetched.file.starts_with(opts.staging) {
        let _ = std::fs::remove_file(&fetched.file);
    }
    match added {
        Ok(e) => {
            tracing::info!(file = %e.file, version = %e.version, "catalog package added");
            out.status = "added";
            out
        }
        Err(e) => fail(out, e.to_string()),
    }
}

/// The repository entry a chosen package becomes.
fn spec_for(pkg: &ChosenPackage, source: &str, vendor_hash: (HashKind, String)) -> AddSpec {
    let c = &pkg.component;
    let mut notes = c.name.clone().unwrap_or_default();
    if let Some(id) = &c.package_id {
        notes = format!("{notes} [Dell package {id}]").trim().to_owned();
    }
    AddSpec {
        models: pkg.models.iter().cloned().collect(),
        manufacturers: vec!["Dell*".into()],
        software_ids: pkg.software_ids(),
        pci_ids: pkg.pci_ids(),
        system_ids: pkg.system_ids.iter().cloned().collect(),
        criticality: c.criticality,
        reboot_required: c.reboot_required,
        release_date: c.release_date_iso(),
        source: Some(source.to_owned()),
        vendor_hash: Some(vendor_hash),
        notes: (!notes.is_empty()).then_some(notes),
        ..AddSpec::new(pkg.kind, c.vendor_version.clone())
    }
}

/// Entries a new spec supersedes: same kind, a device in common (a
/// SoftwareId or PCI IDs), a system or model in common, and an older
/// version.
pub fn superseded<'r>(entries: &'r [Entry], spec: &AddSpec) -> Vec<&'r Entry> {
    entries
        .iter()
        .filter(|e| e.kind == spec.kind)
        .filter(|e| {
            e.software_ids.iter().any(|s| spec.software_ids.contains(s))
                || e.pci_ids.iter().any(|p| spec.pci_ids.contains(p))
        })
        .filter(|e| {
            e.system_ids.iter().any(|s| spec.system_ids.contains(s))
                || e.models.iter().any(|m| spec.models.contains(m))
        })
        .filter(|e| crate::version::compare(&e.version, &spec.version, None) == Verdict::Older)
        .collect()
}

//! Which packages of a Dell catalog a fleet needs: pure functions of the
//! catalog and what the fleet's inventory says about each host.
//!
//! The rules, and why:
//!
//! - **Systems by SystemID, cross-checked by model.** A host matches a
//!   package's `SupportedSystems/Brand/Model` when its
//!   `Oem.Dell.DellSystem.SystemID` (decimal in Redfish: 1814) equals the
//!   catalog's `systemID` (four hex digits: `0716`), *and* the catalog's
//!   model name is the host's model (`R750` ↔ `PowerEdge R750`). A host
//!   without a SystemID matches nothing: model names alone are not unique
//!   enough to flash a BIOS on. An ID that matches with another model name
//!   is refused and reported, because one of the two is wrong.
//! - **Devices by ComponentID, else by the four PCI IDs.** A device matches
//!   when its SoftwareId (Dell's ComponentID) is one the package lists;
//!   when it reports none or the placeholder `0`, when all four PCI IDs
//!   equal a `PCIInfo` of the package. Never by display name
//!   ([`crate::repository::device_matches`], shared with the planner's
//!   matching).
//! - **Only what iDRAC accepts.** Redfish updates take Windows Dell Update
//!   Packages (`.EXE`, package types `LW64`/`LWXP`); the Linux `.BIN` runs
//!   only from the host OS (dell/iDRAC-Redfish-Scripting #4, #118). Other
//!   packages are reported as refused, never imported.
//! - **Only what some host needs.** For every device of every host, the
//!   newest accepted package that fits it (also when the host already runs
//!   it, so that the plan says `up-to-date` and compliance `ok` rather than
//!   `no-image`). Packages that fit no host, such as those for other
//!   systems, are counted and ignored.

use super::{DellCatalog, SoftwareComponent, SupportedSystem};
use crate::inventory::model::Kind;
use crate::inventory::pci::PciIds;
use crate::repository::{device_matches, is_placeholder_id};
use crate::version::Verdict;
use std::collections::{BTreeMap, BTreeSet};

/// What the inventory says about one host, as far as the catalog cares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostFacts {
    pub name: String,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    /// `Oem.Dell.DellSystem.SystemID`, decimal as Redfish reports it.
    pub dell_system_id: Option<u32>,
    /// Active components only.
    pub devices: Vec<DeviceFacts>,
}

/// One active component of a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceFacts {
    /// The component's stable identity (the planner's key).
    pub identity: String,
    pub kind: Kind,
    pub software_id: Option<String>,
    pub pci: Option<PciIds>,
    pub version: Option<String>,
}

/// How a host relates to one supported system of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SystemMatch {
    Yes,
    /// The host reports no SystemID.
    NoSystemId,
    OtherSystem,
    /// The SystemID matches but the model names disagree.
    ModelMismatch {
        catalog: String,
        host: String,
    },
}

/// Whether `host` is the system `sys` describes.
pub fn system_matches(sys: &SupportedSystem, host: &HostFacts) -> SystemMatch {
    let Some(id) = host.dell_system_id else {
        return SystemMatch::NoSystemId;
    };
    if id != sys.system_id_value {
        return SystemMatch::OtherSystem;
    }
    let Some(catalog_model) = sys.model.as_deref() else {
        // Dell always names the model; an entry without one is matched on
        // the ID, which is the authoritative half.
        return SystemMatch::Yes;
    };
    let host_model = host.model.as_deref().unwrap_or("");
    if model_key(catalog_model) == model_key(host_model) {
        SystemMatch::Yes
    } else {
        SystemMatch::ModelMismatch {
            catalog: catalog_model.to_owned(),
            host: host_model.to_owned(),
        }
    }
}

/// `PowerEdge R750` and `R750` alike: lower case, the brand word and
/// spaces dropped.
fn model_key(s: &str) -> String {
    let lower = s.trim().to_ascii_lowercase();
    let rest = lower
        .strip_prefix("dell emc ")
        .or_else(|| lower.strip_prefix("dell "))
        .unwrap_or(&lower);
    let rest = rest.strip_prefix("poweredge").unwrap_or(rest);
    rest.chars().filter(|c| !c.is_whitespace()).collect()
}

/// `Ok` when iDRAC's Redfish update service takes this package.
pub fn package_accepted_by_idrac(c: &SoftwareComponent) -> Result<(), String> {
    let name = c.file_name();
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let windows_type = c
        .package_type
        .as_deref()
        .is_none_or(|t| t.to_ascii_uppercase().starts_with("LW"));
    match ext.as_deref() {
        Some("exe") if windows_type => Ok(()),
        Some("exe") => Err(format!(
            "package type {} is not a Windows Dell Update Package",
            c.package_type.as_deref().unwrap_or("?")
        )),
        Some("bin") => Err(
            "a Linux .BIN package: iDRAC refuses it over Redfish (only Windows .EXE packages update through the BMC)"
                .into(),
        ),
        _ => Err(format!(
            "`{name}` is not a Windows Dell Update Package (.EXE), the only kind iDRAC takes over Redfish"
        )),
    }
}

/// A package chosen for the fleet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChosenPackage {
    pub component: SoftwareComponent,
    /// The kind of the inventory components it was chosen for.
    pub kind: Kind,
    /// Host models (as Redfish names them) whose SystemID it was verified
    /// for; the manifest entry is restricted to them.
    pub models: BTreeSet<String>,
    /// Catalog SystemIDs (hex) matched by some host.
    pub system_ids: BTreeSet<String>,
    /// `(host, component identity, version it runs)` it is for.
    pub targets: Vec<(String, String, Option<String>)>,
}

impl ChosenPackage {
    /// The non-placeholder ComponentIDs the package lists.
    pub fn software_ids(&self) -> Vec<String> {
        let ids: BTreeSet<String> = self
            .component
            .devices
            .iter()
            .map(|d| d.component_id.clone())
            .filter(|id| !is_placeholder_id(id))
            .collect();
        ids.into_iter().collect()
    }

    /// Every complete `PCIInfo` the package lists.
    pub fn pci_ids(&self) -> Vec<PciIds> {
        let ids: BTreeSet<PciIds> = self
            .component
            .devices
            .iter()
            .flat_map(|d| d.pci.iter().copied())
            .collect();
        ids.into_iter().collect()
    }
}

/// A package that fits a host but is not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub path: String,
    pub reason: String,
}

/// The outcome of matching a catalog against a fleet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Choice {
    pub chosen: Vec<ChosenPackage>,
    pub refused: Vec<Refusal>,
    /// Packages that fit no host of the fleet (other systems, other devices).
    pub not_needed: usize,
    /// Hosts that report no SystemID (nothing can be matched for them).
    pub hosts_without_system_id: Vec<String>,
    /// SystemID matches refused because the model names disagree.
    pub model_mismatches: Vec<String>,
}

/// Matches `catalog` against `hosts`; see the module rules.
pub fn choose(catalog: &DellCatalog, hosts: &[HostFacts]) -> Choice {
    let mut choice = Choice::default();
    let mut used = vec![false; catalog.components.len()];
    let mut refused_paths = BTreeSet::new();
    let mut mismatch_notes = BTreeSet::new();
    // (host index, device index) → candidate component indices.
    let mut per_device: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    let mut system_of: BTreeMap<(usize, usize), String> = BTreeMap::new();

    for (hi, host) in hosts.iter().enumerate() {
        if host.dell_system_id.is_none() {
            choice.hosts_without_system_id.push(host.name.clone());
            continue;
        }
        for (ci, c) in catalog.components.iter().enumerate() {
            let mut system = None;
            for sys in &c.systems {
                match system_matches(sys, host) {
                    SystemMatch::Yes => {
                        system = Some(sys.system_id.clone());
                        break;
                    }
                    SystemMatch::ModelMismatch { catalog, host: hm } => {
                        mismatch_notes.insert(format!(
                            "{}: SystemID {} is {catalog} in the catalog but the host reports model {hm:?}; not matched",
                            host.name, sys.system_id
                        ));
                    }
                    SystemMatch::NoSystemId | SystemMatch::OtherSystem => {}
                }
            }
            let Some(system) = system else {
                continue;
            };
            let ids: Vec<String> = c
                .devices
                .iter()
                .map(|d| d.component_id.clone())
                .filter(|id| !is_placeholder_id(id))
                .collect();
            let pcis: Vec<PciIds> = c
                .devices
                .iter()
                .flat_map(|d| d.pci.iter().copied())
                .collect();
            for (di, dev) in host.devices.iter().enumerate() {
                if device_matches(&ids, &pcis, dev.software_id.as_deref(), dev.pci) {
                    used[ci] = true;
                    match package_accepted_by_idrac(c) {
                        Ok(()) => {
                            per_device.entry((hi, di)).or_default().push(ci);
                            system_of.insert((hi, ci), system.clone());
                        }
                        Err(reason) => {
                            if refused_paths.insert(c.path.clone()) {
                                choice.refused.push(Refusal {
                                    path: c.path.clone(),
                                    reason,
                                });
                            }
                        }
                    }
                }
            }
        }
    }
    choice.not_needed = used.iter().filter(|u| !**u).count();
    choice.model_mismatches = mismatch_notes.into_iter().collect();

    let mut chosen: BTreeMap<usize, ChosenPackage> = BTreeMap::new();
    for ((hi, di), candidates) in per_device {
        let best = newest(&catalog.components, &candidates);
        let host = &hosts[hi];
        let dev = &host.devices[di];
        let c = &catalog.components[best];
        let entry = chosen.entry(best).or_insert_with(|| ChosenPackage {
            component: c.clone(),
            kind: dev.kind,
            models: BTreeSet::new(),
            system_ids: BTreeSet::new(),
            targets: Vec::new(),
        });
        if entry.kind != dev.kind {
            // One package, devices the inventory classifies differently:
            // keep the first kind; the others will plan as no-image, which
            // is visible, rather than flash under a wrong kind.
            continue;
        }
        if let Some(m) = &host.model {
            entry.models.insert(m.clone());
        }
        if let Some(s) = system_of.get(&(hi, best)) {
            entry.system_ids.insert(s.clone());
        }
        entry
            .targets
            .push((host.name.clone(), dev.identity.clone(), dev.version.clone()));
    }
    choice.chosen = chosen.into_values().collect();
    choice
}

/// The newest of `candidates` by vendor version; versions that cannot be
/// ordered fall back to the later release date, then catalog order.
fn newest(components: &[SoftwareComponent], candidates: &[usize]) -> usize {
    let mut best = candidates[0];
    for &c in &candidates[1..] {
        let (a, b) = (&components[c], &components[best]);
        let better = match crate::version::compare(&a.vendor_version, &b.vendor_version, None) {
            Verdict::Newer => true,
            Verdict::Older | Verdict::Same => false,
            Verdict::Unknown => a.release_date_iso() > b.release_date_iso(),
        };
        if better {
            best = c;
        }
    }
    best
}

//! What a mock server is: identity and firmware components, generated from a seed.
//!
//! Machines of one fleet differ the way a real fleet does: a few models per
//! vendor, each component a few releases apart from host to host. The same
//! seed always gives the same fleet, so a failing test can be replayed.

use crate::persona::{Persona, Variant};
use crate::vstyle::{Bump, VersionStyle};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The component kinds the whole project speaks of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Bios,
    Bmc,
    Cpld,
    Nic,
    Storage,
    Drive,
    Psu,
    Other,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Bios,
        Kind::Bmc,
        Kind::Cpld,
        Kind::Nic,
        Kind::Storage,
        Kind::Drive,
        Kind::Psu,
        Kind::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Bios => "bios",
            Kind::Bmc => "bmc",
            Kind::Cpld => "cpld",
            Kind::Nic => "nic",
            Kind::Storage => "storage",
            Kind::Drive => "drive",
            Kind::Psu => "psu",
            Kind::Other => "other",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!(
                    "unknown component kind '{s}'; expected one of bios, bmc, cpld, nic, storage, drive, psu, other"
                )
            })
    }
}

/// Which image of a component an inventory entry describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The running image.
    Active,
    /// A redundant copy (iLO "Redundant System ROM", XCC "BMC-Backup").
    Backup,
    /// The image a rollback would restore (iDRAC "Previous-...").
    Previous,
}

/// One firmware component of a machine as the mock keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Component {
    /// Stable key inside the mock (never shown as a Redfish Id on its own).
    pub key: String,
    /// The Redfish `Id` of its FirmwareInventory member, as the persona names it.
    pub id: String,
    pub kind: Kind,
    pub role: Role,
    pub name: String,
    pub description: String,
    pub version: String,
    pub style: VersionStyle,
    pub software_id: Option<String>,
    pub updateable: bool,
    pub lowest_supported_version: Option<String>,
    pub manufacturer: String,
    pub release_date: String,
    /// Redfish URIs of the devices this image runs on.
    pub related_item: Vec<String>,
    /// How many times this component was really written.
    #[serde(default)]
    pub flash_count: u32,
    /// An image written but not yet activated.
    #[serde(default)]
    pub staged_version: Option<String>,
    /// What the field behaviour counts for this component (`/mock/state`).
    #[serde(default, skip_serializing_if = "FieldCounters::is_empty")]
    pub field: FieldCounters,
    /// Where the device sits when the host has several identical ones
    /// (`Bay 2`, `PCI-E Slot 5`); iLO shows it as `Oem.Hpe.DeviceContext`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_context: Option<String>,
}

/// Per-component counters of the field behaviour: what a client did to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FieldCounters {
    /// Resets that reached this component: `Manager.Reset` or a self-reboot for
    /// BMC firmware, host resets (`ComputerSystem.Reset`) for host firmware.
    pub resets_received: u32,
    /// `UpdateService.StartUpdate` calls that started an update of it.
    pub start_update_calls: u32,
    /// The vendor preserve flags of the last update that named it
    /// (Supermicro `Oem.Supermicro.BMC` / `.BIOS`).
    pub preserve_flags: std::collections::BTreeMap<String, bool>,
    /// The multipart `OemParameters` part of the last update that named it
    /// (`None`: the request had none), as the request journal would show it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oem_parameters: Option<serde_json::Value>,
}

impl FieldCounters {
    pub fn is_empty(&self) -> bool {
        self == &FieldCounters::default()
    }
}

/// Host software listed in `SoftwareInventory`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HostSoftware {
    pub id: String,
    pub name: String,
    pub version: String,
    pub manufacturer: String,
}

/// A whole mock machine.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub name: String,
    pub persona: Persona,
    #[serde(default, skip_serializing_if = "Variant::is_standard")]
    pub variant: Variant,
    pub manufacturer: String,
    pub model: String,
    pub serial: String,
    pub uuid: String,
    pub sku: String,
    pub components: Vec<Component>,
    pub host_software: Vec<HostSoftware>,
}

/// The catalogue (`data/personas.toml`), parsed once.
mod catalogue {
    use super::Kind;
    use crate::vstyle::VersionStyle;
    use serde::Deserialize;
    use std::collections::BTreeMap;
    use std::sync::OnceLock;

    /// A value per model, or one for both.
    #[derive(Debug, Clone, Deserialize)]
    #[serde(untagged)]
    pub enum PerModel<T> {
        Both(T),
        Each([T; 2]),
    }

    impl<T> PerModel<T> {
        pub fn get(&self, model_idx: usize) -> &T {
            match self {
                PerModel::Both(v) => v,
                PerModel::Each(v) => &v[model_idx % 2],
            }
        }
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Serial {
        pub prefix: String,
        pub length: usize,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    pub enum Ids {
        KeyUpper,
        RandomHex,
        Dell,
        Index,
        Explicit,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    pub enum SoftwareIds {
        SkuKey,
        Dell,
        None,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Model {
        pub manufacturer: String,
        pub model: String,
        pub sku_prefix: String,
        #[serde(default)]
        pub dell_system_id: Option<u32>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Dell {
        pub id: String,
        pub fqdd: String,
        /// `VENDOR:DEVICE:SUBVENDOR:SUBDEVICE`, upper-case hex, for PCI devices.
        #[serde(default)]
        pub pci: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Template {
        pub key: String,
        #[serde(default)]
        pub id: Option<String>,
        pub kind: Kind,
        pub name: String,
        pub description: String,
        pub base: PerModel<String>,
        pub style: PerModel<VersionStyle>,
        pub manufacturer: String,
        /// For dotted styles: how many patch releases a host may be ahead of base.
        pub spread: u32,
        #[serde(default)]
        pub updateable: Option<bool>,
        #[serde(default)]
        pub dell: Option<Dell>,
        /// The device the component sits on (its `device_context`); several:
        /// identical devices, one component each, keys `<key>1`, `<key>2`, …,
        /// each drifting on its own. Empty: one component, no device named.
        #[serde(default)]
        pub devices: Vec<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Entry {
        pub serial: Serial,
        pub ids: Ids,
        pub software_ids: SoftwareIds,
        pub models: [Model; 2],
        pub components: Vec<Template>,
    }

    const TEXT: &str = include_str!("../data/personas.toml");

    /// Every entry by name (`ilo`, `ilo-legacy`, ...); the file is part of the
    /// binary and a unit test parses it, so a broken file never ships.
    pub fn all() -> &'static BTreeMap<String, Entry> {
        static CATALOGUE: OnceLock<BTreeMap<String, Entry>> = OnceLock::new();
        CATALOGUE.get_or_init(|| {
            toml::from_str(TEXT).unwrap_or_else(|e| panic!("mock-bmc data/personas.toml: {e}"))
        })
    }
}

/// The catalogue entry of a persona and variant.
fn entry(persona: Persona, variant: Variant) -> &'static catalogue::Entry {
    let name = match variant {
        Variant::Legacy | Variant::Ami | Variant::Apollo => {
            format!("{}-{}", persona.name(), variant.name())
        }
        Variant::Standard | Variant::LegacyLayout => persona.name().to_string(),
    };
    catalogue::all()
        .get(&name)
        .or_else(|| catalogue::all().get(persona.name()))
        .unwrap_or_else(|| panic!("mock-bmc data/personas.toml has no [{name}]"))
}

/// The Dell component id and FQDD of a component key (iDRAC ids embed both).
pub fn dell_ids(key: &str) -> (&'static str, &'static str) {
    entry(Persona::Idrac, Variant::Standard)
        .components
        .iter()
        .find(|t| t.key == key)
        .and_then(|t| t.dell.as_ref())
        .map_or(("0", "Unknown.1"), |d| (d.id.as_str(), d.fqdd.as_str()))
}

/// The four PCI IDs (`VENDOR:DEVICE:SUBVENDOR:SUBDEVICE`) an iDRAC reports
/// for the PCI device behind a component key in
/// `Oem.Dell.DellSoftwareInventory`; `None` for BIOS, iDRAC, CPLD, PSUs.
pub fn dell_pci(key: &str) -> Option<&'static str> {
    entry(Persona::Idrac, Variant::Standard)
        .components
        .iter()
        .find(|t| t.key == key)
        .and_then(|t| t.dell.as_ref())
        .and_then(|d| d.pci.as_deref())
}

/// Dell's system type of an iDRAC model (`Oem.Dell.DellSystem.SystemID`).
pub fn dell_system_id(model: &str) -> Option<u32> {
    entry(Persona::Idrac, Variant::Standard)
        .models
        .iter()
        .find(|m| m.model == model)
        .and_then(|m| m.dell_system_id)
}

impl Component {
    /// Recompute the Redfish `Id` after a version change, for personas whose ids embed
    /// the version (Dell: `Installed-159-2.20.1__BIOS.Setup.1-1`).
    pub fn refresh_id(&mut self, persona: Persona) {
        if persona == Persona::Idrac {
            let state = match self.role {
                Role::Previous => "Previous",
                _ => "Installed",
            };
            // A rollback entry carries its component's ids.
            let (cid, fqdd) = dell_ids(self.key.trim_end_matches("-previous"));
            self.id = format!("{state}-{cid}-{}__{fqdd}", self.version);
        }
    }
}

/// Derive the stable per-host random stream from the fleet seed and the host index.
pub fn host_rng(seed: u64, index: usize) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

fn upper_alnum(rng: &mut ChaCha8Rng, n: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
    (0..n)
        .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
        .collect()
}

impl Machine {
    /// Generate machine `index` of a fleet with the given persona from `seed`.
    pub fn generate(name: &str, persona: Persona, seed: u64, index: usize) -> Machine {
        Self::generate_variant(name, persona, Variant::Standard, seed, index)
    }

    /// [`Machine::generate`] for a persona's variant (its own models and
    /// releases where the catalogue has them).
    pub fn generate_variant(
        name: &str,
        persona: Persona,
        variant: Variant,
        seed: u64,
        index: usize,
    ) -> Machine {
        use catalogue::{Ids, SoftwareIds};
        let cat = entry(persona, variant);
        let mut rng = host_rng(seed, index);
        let model_idx = rng.gen_range(0..2usize);
        let spec = &cat.models[model_idx];
        let serial = format!(
            "{}{}",
            cat.serial.prefix,
            upper_alnum(&mut rng, cat.serial.length)
        );
        let uuid = uuid::Builder::from_random_bytes(rng.gen())
            .into_uuid()
            .to_string();
        let ids = crate::http::tree::Paths::of_variant(persona, variant);
        let mut components = Vec::new();
        for t in &cat.components {
            // One component per template, or one per identical device.
            let devices: Vec<(String, Option<&String>)> = if t.devices.len() <= 1 {
                vec![(t.key.clone(), t.devices.first())]
            } else {
                (1..=t.devices.len())
                    .map(|n| format!("{}{n}", t.key))
                    .zip(t.devices.iter().map(Some))
                    .collect()
            };
            for (key, device) in devices {
                let i = components.len();
                let base = t.base.get(model_idx);
                let style = t.style.get(model_idx);
                let mut version = base.clone();
                // Hosts drift apart by a few releases; backups and previous images stay put.
                let steps = if t.spread == 0 {
                    0
                } else {
                    rng.gen_range(0..=t.spread)
                };
                for _ in 0..steps {
                    if let Ok(v) = style.bump(&version, Bump::Patch) {
                        version = v;
                    }
                }
                let role = if key.ends_with("-backup") {
                    Role::Backup
                } else if key.ends_with("-previous") {
                    Role::Previous
                } else {
                    Role::Active
                };
                let related = match t.kind {
                    Kind::Bmc => vec![ids.manager.clone()],
                    Kind::Bios | Kind::Cpld => vec![ids.system.clone()],
                    _ => vec![ids.chassis.clone()],
                };
                let software_id = match cat.software_ids {
                    SoftwareIds::None => None,
                    SoftwareIds::Dell => Some(dell_ids(&key).0.to_string()),
                    // Identical devices share their SoftwareId: it names the firmware.
                    SoftwareIds::SkuKey => Some(format!(
                        "{}-{}",
                        spec.sku_prefix,
                        t.key.trim_end_matches("-backup").to_ascii_uppercase()
                    )),
                };
                let id = match cat.ids {
                    Ids::KeyUpper => key.to_ascii_uppercase(),
                    Ids::RandomHex => format!("{:08x}", rng.gen::<u32>()),
                    // Dell ids embed state, component id and version; `refresh_id` builds them.
                    Ids::Dell => String::new(),
                    Ids::Index => (i + 1).to_string(),
                    Ids::Explicit => t.id.clone().unwrap_or_else(|| key.to_ascii_uppercase()),
                };
                let year = 2021 + (i as i32 % 4);
                let mut c = Component {
                    key,
                    id,
                    kind: t.kind,
                    role,
                    name: t.name.clone(),
                    description: t.description.clone(),
                    version,
                    style: style.clone(),
                    software_id,
                    updateable: role != Role::Previous && t.updateable.unwrap_or(true),
                    // Vendors forbid going below the first release of a model's line.
                    lowest_supported_version: (role == Role::Active).then(|| base.clone()),
                    manufacturer: t.manufacturer.clone(),
                    release_date: format!("{year}-0{}-1{}T00:00:00Z", 1 + i % 9, i % 10),
                    related_item: related,
                    flash_count: 0,
                    staged_version: None,
                    field: FieldCounters::default(),
                    device_context: device.cloned(),
                };
                c.refresh_id(persona);
                components.push(c);
            }
        }
        let host_software = vec![
            HostSoftware {
                id: "os-nic-driver".into(),
                name: "Network driver".into(),
                version: format!("5.{}.{}", rng.gen_range(10..20), rng.gen_range(0..9)),
                manufacturer: "Mellanox".into(),
            },
            HostSoftware {
                id: "os-agent".into(),
                name: "Management agent".into(),
                version: format!("3.{}.0", rng.gen_range(0..6)),
                manufacturer: spec.manufacturer.clone(),
            },
        ];
        Machine {
            name: name.to_string(),
            persona,
            variant,
            manufacturer: spec.manufacturer.clone(),
            model: spec.model.clone(),
            serial,
            uuid,
            sku: format!("{}-{}", spec.sku_prefix, upper_alnum(&mut rng, 4)),
            components,
            host_software,
        }
    }

    /// The running BIOS version (ComputerSystem `BiosVersion`).
    pub fn bios_version(&self) -> &str {
        self.active(Kind::Bios).map_or("", |c| c.version.as_str())
    }

    /// The running BMC version (Manager `FirmwareVersion`).
    pub fn bmc_version(&self) -> &str {
        self.active(Kind::Bmc).map_or("", |c| c.version.as_str())
    }

    fn active(&self, kind: Kind) -> Option<&Component> {
        self.components
            .iter()
            .find(|c| c.kind == kind && c.role == Role::Active)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_machine() {
        for p in Persona::ALL {
            let a = Machine::generate("h", p, 7, 3);
            let b = Machine::generate("h", p, 7, 3);
            assert_eq!(
                serde_json::to_string(&a).unwrap(),
                serde_json::to_string(&b).unwrap()
            );
        }
    }

    #[test]
    fn every_persona_has_the_required_component_kinds() {
        for p in Persona::ALL {
            let m = Machine::generate("h", p, 1, 0);
            for k in [
                Kind::Bios,
                Kind::Bmc,
                Kind::Cpld,
                Kind::Nic,
                Kind::Storage,
                Kind::Drive,
                Kind::Psu,
            ] {
                assert!(
                    m.components
                        .iter()
                        .any(|c| c.kind == k && c.role == Role::Active),
                    "{p} lacks {k}"
                );
            }
            let mut ids: Vec<_> = m.components.iter().map(|c| c.id.clone()).collect();
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), m.components.len(), "{p} has duplicate ids");
            for id in &ids {
                assert!(
                    id.chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || "-_.:".contains(ch)),
                    "{p}: id '{id}' is not URI-safe"
                );
            }
        }
    }

    #[test]
    fn every_variant_has_its_own_catalogue_entry_and_every_kind() {
        assert!(catalogue::all().len() >= 8, "data/personas.toml parses");
        for p in Persona::ALL {
            for v in Variant::of(p) {
                let m = Machine::generate_variant("h", p, v, 5, 1);
                assert_eq!(m.variant, v);
                for k in [Kind::Bios, Kind::Bmc, Kind::Nic, Kind::Storage] {
                    assert!(
                        m.components.iter().any(|c| c.kind == k),
                        "{p}/{v} lacks {k}"
                    );
                }
                for c in &m.components {
                    assert!(
                        c.style.check(&c.version).is_ok(),
                        "{p}/{v} {}: {}",
                        c.key,
                        c.version
                    );
                }
            }
        }
        let legacy = Machine::generate_variant("h", Persona::Ilo, Variant::Legacy, 5, 1);
        assert!(
            legacy.bmc_version() < "2.30",
            "iLO 5 before 2.30: {}",
            legacy.bmc_version()
        );
    }

    #[test]
    fn the_apollo_variant_has_identical_devices_told_apart_by_device_context() {
        for index in 0..4 {
            let m = Machine::generate_variant("h", Persona::Ilo, Variant::Apollo, 5, index);
            for (kind, name, n) in [
                (Kind::Psu, "Power Supply Firmware", 4),
                (Kind::Other, "NVIDIA A100-SXM4-40GB", 8),
                (Kind::Nic, "SS11 200Gb 1P NIC PCIE", 2),
            ] {
                let same: Vec<&Component> =
                    m.components.iter().filter(|c| c.kind == kind).collect();
                assert_eq!(same.len(), n, "{kind}");
                for c in &same {
                    assert_eq!(
                        (c.name.as_str(), &c.description),
                        (name, &same[0].description)
                    );
                    assert_eq!((c.role, c.software_id.as_ref()), (Role::Active, None));
                }
                let mut places: Vec<_> = same.iter().map(|c| c.device_context.clone()).collect();
                places.sort();
                places.dedup();
                assert_eq!(places.len(), n, "{kind}: {places:?}");
                assert!(places.iter().all(Option::is_some));
            }
            let bmc = m.components.iter().find(|c| c.key == "bmc").unwrap();
            assert_eq!(bmc.device_context.as_deref(), Some("System Board"));
            let backup = m
                .components
                .iter()
                .find(|c| c.key == "bios-backup")
                .unwrap();
            assert_eq!(backup.role, Role::Backup);
            let keys: Vec<&str> = m
                .components
                .iter()
                .filter(|c| c.kind == Kind::Psu)
                .map(|c| c.key.as_str())
                .collect();
            assert_eq!(keys, ["psu1", "psu2", "psu3", "psu4"]);
        }
        // The standard iLO names no device: its machines are unchanged.
        let m = Machine::generate("h", Persona::Ilo, 5, 1);
        assert!(m.components.iter().all(|c| c.device_context.is_none()));
    }

    #[test]
    fn dell_ids_embed_the_version() {
        let m = Machine::generate("h", Persona::Idrac, 1, 0);
        let bios = m.components.iter().find(|c| c.key == "bios").unwrap();
        assert_eq!(
            bios.id,
            format!("Installed-159-{}__BIOS.Setup.1-1", bios.version)
        );
    }

    #[test]
    fn a_fleet_mixes_versions() {
        let versions: std::collections::HashSet<_> = (0..40)
            .map(|i| {
                Machine::generate("h", Persona::Generic, 42, i)
                    .bmc_version()
                    .to_string()
            })
            .collect();
        assert!(versions.len() > 1, "{versions:?}");
    }
}

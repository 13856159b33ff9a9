//! What a mock server is: identity and firmware components, generated from a seed.
//!
//! Machines of one fleet differ the way a real fleet does: a few models per
//! vendor, each component a few releases apart from host to host. The same
//! seed always gives the same fleet, so a failing test can be replayed.

use crate::persona::Persona;
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
    pub manufacturer: String,
    pub model: String,
    pub serial: String,
    pub uuid: String,
    pub sku: String,
    pub components: Vec<Component>,
    pub host_software: Vec<HostSoftware>,
}

/// A component template: what a model ships and its oldest release.
struct Template {
    key: &'static str,
    kind: Kind,
    name: &'static str,
    description: &'static str,
    base: &'static str,
    style: VersionStyle,
    manufacturer: &'static str,
    /// For dotted styles: how many patch releases a host may be ahead of base.
    spread: u32,
}

fn dotted(widths: &[usize]) -> VersionStyle {
    VersionStyle::Dotted {
        widths: widths.to_vec(),
    }
}

struct ModelSpec {
    manufacturer: &'static str,
    model: &'static str,
    sku_prefix: &'static str,
}

fn models(p: Persona) -> [ModelSpec; 2] {
    let m = |manufacturer, model, sku_prefix| ModelSpec {
        manufacturer,
        model,
        sku_prefix,
    };
    match p {
        Persona::Generic => [
            m("Contoso", "CX-2200", "CX22"),
            m("Contoso", "CX-4400", "CX44"),
        ],
        Persona::Openbmc => [
            m("Open Compute Project", "OCP Tioga Pass", "TP"),
            m("Open Compute Project", "OCP Yosemite V3", "YV3"),
        ],
        Persona::Idrac => [
            m("Dell Inc.", "PowerEdge R650", "0R650"),
            m("Dell Inc.", "PowerEdge R750", "0R750"),
        ],
        Persona::Ilo => [
            m("HPE", "ProLiant DL380 Gen10 Plus", "P05172"),
            m("HPE", "ProLiant DL325 Gen10 Plus", "P18606"),
        ],
        Persona::Supermicro => [
            m("Supermicro", "SYS-120U-TNR", "SYS120U"),
            m("Supermicro", "SYS-620U-TNR", "SYS620U"),
        ],
        Persona::Xcc => [
            m("Lenovo", "ThinkSystem SR650 V2", "7Z73"),
            m("Lenovo", "ThinkSystem SR630 V2", "7Z71"),
        ],
    }
}

/// The firmware a model of this persona carries. `model_idx` picks model-specific
/// details (HPE ROM family, Lenovo build ids) so that two models never share an image.
fn templates(p: Persona, model_idx: usize) -> Vec<Template> {
    let t = |key, kind, name, description, base, style, manufacturer, spread| Template {
        key,
        kind,
        name,
        description,
        base,
        style,
        manufacturer,
        spread,
    };
    let second = model_idx % 2 == 1;
    match p {
        Persona::Generic => vec![
            t(
                "bios",
                Kind::Bios,
                "BIOS",
                "System BIOS",
                if second { "1.8.2" } else { "2.14.1" },
                dotted(&[]),
                "Contoso",
                3,
            ),
            t(
                "bmc",
                Kind::Bmc,
                "BMC Firmware",
                "Baseboard management controller",
                "1.45.3",
                dotted(&[]),
                "Contoso",
                3,
            ),
            t(
                "cpld",
                Kind::Cpld,
                "System CPLD",
                "Complex programmable logic device",
                "1.0.6",
                dotted(&[]),
                "Contoso",
                1,
            ),
            t(
                "nic1",
                Kind::Nic,
                "Ethernet Adapter 25GbE",
                "Network adapter firmware",
                "22.31.6",
                dotted(&[]),
                "Mellanox",
                2,
            ),
            t(
                "raid1",
                Kind::Storage,
                "RAID Controller",
                "Storage controller firmware",
                "52.16.3",
                dotted(&[]),
                "Broadcom",
                2,
            ),
            t(
                "drive1",
                Kind::Drive,
                "NVMe Drive 0",
                "Drive firmware",
                "4.2.1",
                dotted(&[]),
                "Samsung",
                1,
            ),
            t(
                "drive2",
                Kind::Drive,
                "NVMe Drive 1",
                "Drive firmware",
                "4.2.1",
                dotted(&[]),
                "Samsung",
                1,
            ),
            t(
                "psu1",
                Kind::Psu,
                "Power Supply 1",
                "Power supply firmware",
                "1.2.0",
                dotted(&[]),
                "Delta",
                1,
            ),
            t(
                "psu2",
                Kind::Psu,
                "Power Supply 2",
                "Power supply firmware",
                "1.2.0",
                dotted(&[]),
                "Delta",
                1,
            ),
            // TPM firmware is listed but cannot be updated over Redfish.
            t(
                "tpm",
                Kind::Other,
                "TPM Firmware",
                "Trusted platform module",
                "7.2.3",
                dotted(&[]),
                "Infineon",
                0,
            ),
        ],
        Persona::Openbmc => vec![
            t(
                "bmc",
                Kind::Bmc,
                "bmc",
                "BMC image",
                "2.15.0-dev-686-g100c36de90",
                VersionStyle::GitDescribe,
                "OpenBMC",
                2,
            ),
            t(
                "bios",
                Kind::Bios,
                "bios",
                "Host image",
                // AMI's letter-and-revision BIOS codes (`C27`, NOTES §7.7). OCP
                // boards also show codes such as `F0E_3A12`, which no rule can
                // order: fwfleet would never update them (`version-unknown`).
                if second { "C18" } else { "F12" },
                VersionStyle::LetterRev {
                    letter: if second { 'C' } else { 'F' },
                },
                "AMI",
                3,
            ),
            t(
                "cpld",
                Kind::Cpld,
                "cpld",
                "CPLD image",
                "0x0F",
                VersionStyle::Hex { width: 2 },
                "Lattice",
                1,
            ),
            t(
                "nic1",
                Kind::Nic,
                "nic0",
                "NIC image",
                "16.25.40.62",
                dotted(&[0, 0, 0, 0]),
                "Mellanox",
                2,
            ),
            t(
                "raid1",
                Kind::Storage,
                "storage0",
                "Storage controller image",
                "1.0.14.1055",
                dotted(&[]),
                "Broadcom",
                2,
            ),
            t(
                "drive1",
                Kind::Drive,
                "nvme0",
                "Drive image",
                "2.2.0",
                dotted(&[]),
                "Micron",
                1,
            ),
            t(
                "psu1",
                Kind::Psu,
                "psu0",
                "Power supply image",
                "2.03",
                dotted(&[0, 2]),
                "Delta",
                1,
            ),
        ],
        Persona::Idrac => vec![
            t(
                "bios",
                Kind::Bios,
                "BIOS",
                "BIOS",
                if second { "1.2.4" } else { "2.20.1" },
                dotted(&[]),
                "Dell Inc.",
                3,
            ),
            t(
                "bmc",
                Kind::Bmc,
                "Integrated Dell Remote Access Controller",
                "iDRAC",
                "7.00.00.00",
                dotted(&[1, 2, 2, 2]),
                "Dell Inc.",
                3,
            ),
            t(
                "bmc-previous",
                Kind::Bmc,
                "Integrated Dell Remote Access Controller",
                "iDRAC rollback image",
                "6.10.30.00",
                dotted(&[1, 2, 2, 2]),
                "Dell Inc.",
                0,
            ),
            t(
                "cpld",
                Kind::Cpld,
                "System CPLD",
                "CPLD",
                "1.0.6",
                dotted(&[]),
                "Dell Inc.",
                1,
            ),
            t(
                "nic1",
                Kind::Nic,
                "Broadcom Adv. Dual 25Gb Ethernet - 00:0A:F7:00:00:01",
                "NIC",
                "21.80.9",
                dotted(&[]),
                "Broadcom",
                2,
            ),
            t(
                "raid1",
                Kind::Storage,
                "PERC H755 Front",
                "RAID controller",
                "52.16.1-4405",
                VersionStyle::DottedBuild { widths: vec![] },
                "Broadcom",
                2,
            ),
            t(
                "drive1",
                Kind::Drive,
                "Disk 0 in Backplane 1 of RAID Controller in Slot 1",
                "Drive",
                "A07",
                VersionStyle::LetterRev { letter: 'A' },
                "Toshiba",
                1,
            ),
            t(
                "psu1",
                Kind::Psu,
                "PS1 Status",
                "Power supply",
                // Dell PSU firmware is `00.XX.YY`; the all-decimal releases order
                // as dotted numbers (hex-looking ones such as `00.1D.7D` do not).
                "00.24.33",
                dotted(&[2, 2, 2]),
                "Dell Inc.",
                1,
            ),
        ],
        Persona::Ilo => vec![
            t(
                "bmc",
                Kind::Bmc,
                "iLO 5",
                "SystemBMC",
                "2.46 May 11 2021",
                VersionStyle::IloDate,
                "HPE",
                3,
            ),
            t(
                "bios",
                Kind::Bios,
                "System ROM",
                "SystemRomActive",
                if second {
                    "A43 v2.52 (10/29/2021)"
                } else {
                    "U46 v2.72 (03/10/2023)"
                },
                VersionStyle::HpeRom {
                    family: if second { "A43".into() } else { "U46".into() },
                },
                "HPE",
                3,
            ),
            t(
                "bios-backup",
                Kind::Bios,
                "Redundant System ROM",
                "SystemRomBackup",
                if second {
                    "A43 v2.40 (06/01/2021)"
                } else {
                    "U46 v2.60 (11/02/2022)"
                },
                VersionStyle::HpeRom {
                    family: if second { "A43".into() } else { "U46".into() },
                },
                "HPE",
                0,
            ),
            t(
                "cpld",
                Kind::Cpld,
                "System Programmable Logic Device",
                "SystemPLD",
                "0x0D",
                VersionStyle::Hex { width: 2 },
                "HPE",
                1,
            ),
            t(
                "nic1",
                Kind::Nic,
                "Intel(R) Ethernet 1Gb 4-port 366FLR Adapter",
                "NIC",
                "1.2839.0",
                dotted(&[]),
                "Intel",
                2,
            ),
            t(
                "raid1",
                Kind::Storage,
                "HPE Smart Array P408i-a SR Gen10",
                "Storage",
                "5.00",
                dotted(&[0, 2]),
                "HPE",
                2,
            ),
            t(
                "drive1",
                Kind::Drive,
                "Drive 1I:1:1",
                "Drive",
                // HPE's own drive codes (`HPK3`, `HPG1`) cannot be ordered by any
                // rule; this drive reports its maker's four-digit revision.
                "0106",
                dotted(&[4]),
                "KIOXIA",
                1,
            ),
            t(
                "psu1",
                Kind::Psu,
                "Power Supply 1",
                "PowerSupply",
                "3.11",
                dotted(&[0, 2]),
                "HPE",
                1,
            ),
        ],
        Persona::Supermicro => vec![
            t(
                "bios",
                Kind::Bios,
                "BIOS",
                "BIOS",
                if second { "1.6" } else { "2.4" },
                dotted(&[]),
                "American Megatrends",
                2,
            ),
            t(
                "bmc",
                Kind::Bmc,
                "BMC",
                "BMC",
                "01.01.10",
                dotted(&[2, 2, 2]),
                "Supermicro",
                3,
            ),
            t(
                "cpld",
                Kind::Cpld,
                "CPLD_Motherboard",
                "CPLD",
                "3.0.1",
                dotted(&[]),
                "Supermicro",
                1,
            ),
            t(
                "nic1",
                Kind::Nic,
                "AOC-S25GC-i2S",
                "NIC",
                "1.3082.0",
                dotted(&[]),
                "Intel",
                2,
            ),
            t(
                "raid1",
                Kind::Storage,
                "AOC-S3908L-H8IR",
                "Storage",
                "52.16.3-3913",
                VersionStyle::DottedBuild { widths: vec![] },
                "Broadcom",
                2,
            ),
            t(
                "drive1",
                Kind::Drive,
                "Disk.Bay.0",
                "Drive",
                // Samsung codes (`GDC5902Q`) cannot be ordered by any rule; a
                // four-digit revision can.
                "0108",
                dotted(&[4]),
                "KIOXIA",
                1,
            ),
            t(
                "psu1",
                Kind::Psu,
                "PWS-1K62A-1R",
                "Power supply",
                "1.2",
                dotted(&[]),
                "Supermicro",
                1,
            ),
        ],
        Persona::Xcc => vec![
            t(
                "bmc",
                Kind::Bmc,
                "XCC",
                "BMC-Primary",
                "TGBT58A-3.10",
                VersionStyle::BuildPrefixed {
                    prefix: "TGBT58A".into(),
                },
                "Lenovo",
                3,
            ),
            t(
                "bmc-backup",
                Kind::Bmc,
                "XCC Backup",
                "BMC-Backup",
                "TGBT58A-3.02",
                VersionStyle::BuildPrefixed {
                    prefix: "TGBT58A".into(),
                },
                "Lenovo",
                0,
            ),
            t(
                "bios",
                Kind::Bios,
                "UEFI",
                "UEFI",
                if second {
                    "U8E134J-2.10"
                } else {
                    "U8E138K-2.30"
                },
                VersionStyle::BuildPrefixed {
                    prefix: if second {
                        "U8E134J".into()
                    } else {
                        "U8E138K".into()
                    },
                },
                "Lenovo",
                3,
            ),
            t(
                "cpld",
                Kind::Cpld,
                "FPGA",
                "FPGA",
                "4.06",
                dotted(&[0, 2]),
                "Lenovo",
                1,
            ),
            t(
                "nic1",
                Kind::Nic,
                "Broadcom NX-E PCIe 25Gb 2-Port",
                "Slot_1.Bundle",
                "222.1.68.0",
                dotted(&[]),
                "Broadcom",
                2,
            ),
            t(
                "raid1",
                Kind::Storage,
                "ThinkSystem RAID 940-8i",
                "Slot_4.Bundle",
                "52.16.3-3913",
                VersionStyle::DottedBuild { widths: vec![] },
                "Broadcom",
                2,
            ),
            t(
                "drive1",
                Kind::Drive,
                "Disk_0",
                "Drive",
                "4104",
                dotted(&[4]),
                "Intel",
                1,
            ),
            t(
                "psu1",
                Kind::Psu,
                "PSU1",
                "Power supply",
                "6.54",
                dotted(&[0, 2]),
                "Lenovo",
                1,
            ),
        ],
    }
}

fn redfish_id(p: Persona, t: &Template, index: usize, rng: &mut ChaCha8Rng) -> String {
    match p {
        Persona::Generic => t.key.to_ascii_uppercase(),
        Persona::Openbmc => format!("{:08x}", rng.gen::<u32>()),
        // Dell ids embed state, component id and version; `id_for_version` rebuilds them.
        Persona::Idrac => String::new(),
        Persona::Ilo => (index + 1).to_string(),
        Persona::Supermicro => match t.key {
            "bios" => "BIOS",
            "bmc" => "BMC",
            "cpld" => "CPLD_Motherboard",
            "nic1" => "NIC_Slot1",
            "raid1" => "Storage_Slot2",
            "drive1" => "Disk_Bay0",
            _ => "PSU1",
        }
        .to_string(),
        Persona::Xcc => match t.key {
            "bmc" => "BMC-Primary",
            "bmc-backup" => "BMC-Backup",
            "bios" => "UEFI",
            "cpld" => "FPGA",
            "nic1" => "Slot_1.Bundle",
            "raid1" => "Slot_4.Bundle",
            "drive1" => "Disk_0",
            _ => "PSU1",
        }
        .to_string(),
    }
}

/// The Dell component id (SoftwareId) of a template.
fn dell_component_id(key: &str) -> &'static str {
    match key {
        "bios" => "159",
        "bmc" | "bmc-previous" => "25227",
        "cpld" => "27763",
        "nic1" => "108255",
        "raid1" => "104298",
        "drive1" => "103049",
        "psu1" => "104308",
        _ => "0",
    }
}

fn dell_fqdd(key: &str) -> &'static str {
    match key {
        "bios" => "BIOS.Setup.1-1",
        "bmc" | "bmc-previous" => "iDRAC.Embedded.1-1",
        "cpld" => "CPLD.Embedded.1",
        "nic1" => "NIC.Integrated.1-1-1",
        "raid1" => "RAID.SL.3-1",
        "drive1" => "Disk.Bay.0:Enclosure.Internal.0-1:RAID.SL.3-1",
        "psu1" => "PSU.Slot.1",
        _ => "Unknown.1",
    }
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
            self.id = format!(
                "{state}-{}-{}__{}",
                dell_component_id(&self.key),
                self.version,
                dell_fqdd(&self.key)
            );
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
        let mut rng = host_rng(seed, index);
        let model_idx = rng.gen_range(0..2usize);
        let spec = &models(persona)[model_idx];
        let serial = match persona {
            Persona::Idrac => upper_alnum(&mut rng, 7),
            Persona::Ilo => format!("CZ{}", upper_alnum(&mut rng, 8)),
            Persona::Xcc => format!("J{}", upper_alnum(&mut rng, 7)),
            _ => format!("S{}", upper_alnum(&mut rng, 11)),
        };
        let uuid = uuid::Builder::from_random_bytes(rng.gen())
            .into_uuid()
            .to_string();
        let system_uri = format!("/redfish/v1/Systems/{}", persona.system_id());
        let manager_uri = format!("/redfish/v1/Managers/{}", persona.manager_id());
        let chassis_uri = format!("/redfish/v1/Chassis/{}", persona.chassis_id());
        let mut components = Vec::new();
        for (i, t) in templates(persona, model_idx).iter().enumerate() {
            let mut version = t.base.to_string();
            // Hosts drift apart by a few releases; backups and previous images stay put.
            let steps = if t.spread == 0 {
                0
            } else {
                rng.gen_range(0..=t.spread)
            };
            for _ in 0..steps {
                if let Ok(v) = t.style.bump(&version, Bump::Patch) {
                    version = v;
                }
            }
            let role = if t.key.ends_with("-backup") {
                Role::Backup
            } else if t.key.ends_with("-previous") {
                Role::Previous
            } else {
                Role::Active
            };
            let related = match t.kind {
                Kind::Bmc => vec![manager_uri.clone()],
                Kind::Bios | Kind::Cpld => vec![system_uri.clone()],
                _ => vec![chassis_uri.clone()],
            };
            let software_id = match persona {
                Persona::Ilo => None,
                Persona::Idrac => Some(dell_component_id(t.key).to_string()),
                _ => Some(format!(
                    "{}-{}",
                    spec.sku_prefix,
                    t.key.trim_end_matches("-backup").to_ascii_uppercase()
                )),
            };
            let year = 2021 + (i as i32 % 4);
            let mut c = Component {
                key: t.key.to_string(),
                id: redfish_id(persona, t, i, &mut rng),
                kind: t.kind,
                role,
                name: t.name.to_string(),
                description: t.description.to_string(),
                version,
                style: t.style.clone(),
                software_id,
                updateable: role != Role::Previous && t.key != "tpm",
                // Vendors forbid going below the first release of a model's line.
                lowest_supported_version: (role == Role::Active).then(|| t.base.to_string()),
                manufacturer: t.manufacturer.to_string(),
                release_date: format!("{year}-0{}-1{}T00:00:00Z", 1 + i % 9, i % 10),
                related_item: related,
                flash_count: 0,
                staged_version: None,
            };
            c.refresh_id(persona);
            components.push(c);
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
                manufacturer: spec.manufacturer.into(),
            },
        ];
        Machine {
            name: name.to_string(),
            persona,
            manufacturer: spec.manufacturer.to_string(),
            model: spec.model.to_string(),
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

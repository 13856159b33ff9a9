//! A member's `kind`: veto words, `RelatedItem` links, keywords by position,
//! weak NIC hints.

use super::dell::DellId;
use super::words::{tokens, Token};
use super::Context;
use crate::redfish::inventory::SoftwareInventory;
use crate::vocab::Kind;

/// A keyword: a run of tokens (`#` matches a number, `*` any word) or, for names that
/// camel case splits oddly (`ConnectX`, `NetXtreme`), a substring of the
/// field with its separators removed.
#[derive(Debug, Clone, Copy)]
enum Pat {
    Words(&'static [&'static str]),
    Joined(&'static str),
}

use Pat::{Joined, Words};

/// Words that mark software which is not the firmware of a device even when
/// the name holds a device word: "Dell 64 Bit uEFI Diagnostics", "iDRAC
/// Service Module", "Power Management Controller" (HPE), "Lifecycle
/// Controller" (Dell), "LXPM Windows Driver Bundle" (Lenovo), and host
/// software ("Network driver", "Management agent").
const VETO: &[Pat] = &[
    Words(&["diagnostics"]),
    Words(&["diagnostic"]),
    Words(&["driver"]),
    Words(&["drivers"]),
    Words(&["agent"]),
    Words(&["collector"]),
    Words(&["provisioning"]),
    Words(&["lxpm"]),
    Words(&["service", "module"]),
    Words(&["lifecycle", "controller"]),
    Words(&["power", "management", "controller"]),
];

/// Strong keywords, by kind. Within one field the earliest match wins, which
/// is how English device names work: "Disk 0 in Backplane 1 of RAID
/// Controller in Slot 1" is a disk, "PERC H755N NVMe" a controller. On a tie
/// the earlier entry in this table wins.
const KEYWORDS: &[(Kind, Pat)] = &[
    // "NVMe Backplane", "SAS Enclosure": a device word right before these is
    // a modifier. Listed first so that the tie at that word goes to `other`.
    (Kind::Other, Words(&["*", "backplane"])),
    (Kind::Other, Words(&["*", "enclosure"])),
    // BIOS: DMTF/Dell/Supermicro "BIOS", Lenovo "UEFI", HPE "System ROM",
    // OpenBMC "Host image".
    (Kind::Bios, Words(&["bios"])),
    (Kind::Bios, Words(&["uefi"])),
    (Kind::Bios, Words(&["system", "rom"])),
    (Kind::Bios, Words(&["host", "image"])),
    (Kind::Bios, Words(&["host", "firmware"])),
    // BMC: iDRAC, iLO, XCC/XClarity, IMM, "BMC image" (OpenBMC).
    (Kind::Bmc, Words(&["bmc"])),
    (Kind::Bmc, Words(&["idrac"])),
    (Kind::Bmc, Words(&["ilo"])),
    (Kind::Bmc, Words(&["xcc"])),
    (Kind::Bmc, Words(&["imm"])),
    (Kind::Bmc, Joined("xclarity")),
    (Kind::Bmc, Words(&["remote", "access", "controller"])),
    (Kind::Bmc, Words(&["management", "controller"])),
    (Kind::Bmc, Words(&["lights", "out"])),
    // CPLD: Lenovo "FPGA", HPE "System Programmable Logic Device" / `SystemPLD`.
    (Kind::Cpld, Words(&["cpld"])),
    (Kind::Cpld, Words(&["fpga"])),
    (Kind::Cpld, Words(&["pld"])),
    (Kind::Cpld, Words(&["programmable", "logic"])),
    // Drives before storage only matters on ties; position does the rest.
    (Kind::Drive, Words(&["disk"])),
    (Kind::Drive, Words(&["drive"])),
    (Kind::Drive, Words(&["ssd"])),
    (Kind::Drive, Words(&["hdd"])),
    (Kind::Drive, Words(&["nvme"])),
    // Storage controllers: Dell PERC/BOSS/HBA, HPE Smart Array, MR416i,
    // NS204i "Boot Controller", Broadcom MegaRAID, Fibre Channel HBAs.
    (Kind::Storage, Words(&["raid"])),
    (Kind::Storage, Words(&["perc"])),
    (Kind::Storage, Words(&["boss"])),
    (Kind::Storage, Words(&["hba"])),
    (Kind::Storage, Words(&["ahci"])),
    (Kind::Storage, Words(&["storage"])),
    (Kind::Storage, Words(&["smart", "array"])),
    (Kind::Storage, Words(&["mr", "#", "i"])),
    (Kind::Storage, Words(&["boot", "controller"])),
    (Kind::Storage, Words(&["fibre", "channel"])),
    (Kind::Storage, Words(&["fc"])),
    (Kind::Storage, Joined("megaraid")),
    // NICs.
    (Kind::Nic, Words(&["nic"])),
    (Kind::Nic, Words(&["ethernet"])),
    (Kind::Nic, Words(&["network"])),
    (Kind::Nic, Words(&["ndc"])),
    (Kind::Nic, Words(&["rndc"])),
    (Kind::Nic, Words(&["lom"])),
    (Kind::Nic, Words(&["cna"])),
    (Kind::Nic, Words(&["infiniband"])),
    (Kind::Nic, Joined("connectx")),
    (Kind::Nic, Joined("netxtreme")),
    (Kind::Nic, Joined("fastlinq")),
    // Power supplies: "Power Supply 1", HPE `PowerSupply`, Dell "PS1 Status",
    // Lenovo "PSU1", Supermicro "PWS-1K62A-1R".
    (Kind::Psu, Words(&["psu"])),
    (Kind::Psu, Words(&["power", "supply"])),
    (Kind::Psu, Words(&["ps", "#"])),
    (Kind::Psu, Words(&["pws"])),
    // GPUs are none of the above, and must not fall to the weak NIC hints:
    // iLO's "NVIDIA A100-SXM4-40GB" ends in `40GB`, "NVIDIA HGX A100 8 GPU
    // 40" is the baseboard (Cray-HPE mockups/XL675d_A100).
    (Kind::Other, Words(&["gpu"])),
    (Kind::Other, Words(&["sxm"])),
    (Kind::Other, Words(&["vbios"])),
    (Kind::Other, Words(&["accelerator"])),
    // Enclosure firmware is none of the above: "Backplane 1" (Dell).
    (Kind::Other, Words(&["backplane"])),
    (Kind::Other, Words(&["enclosure"])),
];

/// Hints too weak to beat any keyword: "Broadcom NX-E PCIe 25Gb 2-Port"
/// (Lenovo `Slot_1.Bundle`) is a NIC, but "430-8i SAS/SATA 12Gb HBA" is not.
const NIC_HINTS: &[Pat] = &[
    Words(&["gb"]),
    Words(&["gbe"]),
    Words(&["gbps"]),
    Words(&["port"]),
    Words(&["adapter"]),
    Words(&["sfp"]),
    Words(&["qsfp"]),
];

pub(super) fn kind_of(
    item: &SoftwareInventory,
    dell: Option<&DellId<'_>>,
    ctx: &Context<'_>,
) -> Kind {
    // Dell's FQDD is the informative part of its Id.
    let id = dell.and_then(|d| d.fqdd).unwrap_or(&item.id);
    let fields: Vec<Field<'_>> = [item.name.as_deref(), item.description.as_deref(), Some(id)]
        .into_iter()
        .flatten()
        .map(Field::new)
        .collect();
    if fields.iter().any(|f| VETO.iter().any(|p| f.has(p))) {
        return Kind::Other;
    }
    if let Some(kind) = kind_from_links(item, ctx) {
        return kind;
    }
    for field in &fields {
        let earliest = KEYWORDS
            .iter()
            .filter_map(|(kind, p)| field.find(p).map(|at| (at, *kind)))
            .min_by_key(|(at, _)| *at);
        if let Some((_, kind)) = earliest {
            return kind;
        }
    }
    let nic = fields
        .iter()
        .any(|f| has_mac(f.text) || NIC_HINTS.iter().any(|p| f.has(p)));
    if nic {
        Kind::Nic
    } else {
        Kind::Other
    }
}

/// `RelatedItem` links name the device an image runs on (v1_1): the BMC's
/// Manager, the System's Bios resource, a drive… Links to the System or
/// Chassis as a whole decide nothing (mock and Supermicro link BIOS and CPLD
/// alike to the System).
fn kind_from_links(item: &SoftwareInventory, ctx: &Context<'_>) -> Option<Kind> {
    item.related_item.iter().find_map(|link| {
        let uri = link.as_str().trim_end_matches('/');
        if ctx.manager_uri.map(|m| m.trim_end_matches('/')) == Some(uri) {
            return Some(Kind::Bmc);
        }
        let segs: Vec<String> = uri
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        let has = |s: &str| segs.iter().any(|x| x == s);
        let under_system = ctx
            .system_uri
            .map(|s| s.trim_end_matches('/'))
            .is_some_and(|s| uri.starts_with(s))
            || has("systems");
        if has("managers") {
            Some(Kind::Bmc)
        } else if under_system && segs.last().is_some_and(|s| s == "bios") {
            Some(Kind::Bios)
        } else if has("drives") {
            Some(Kind::Drive)
        } else if has("storage") || has("storagecontrollers") {
            Some(Kind::Storage)
        } else if has("networkadapters") {
            Some(Kind::Nic)
        } else if has("powersupplies") {
            Some(Kind::Psu)
        } else {
            None
        }
    })
}

/// A MAC address (`00:0A:F7:00:00:01`), as Dell appends to NIC port names.
fn has_mac(s: &str) -> bool {
    s.split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .any(|w| {
            let parts: Vec<&str> = w.split(':').collect();
            parts.len() == 6
                && parts
                    .iter()
                    .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()))
        })
}

/// One text field of a member, prepared for keyword search.
#[derive(Debug)]
struct Field<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    /// The alphanumerics, lower-cased, and the byte offset each came from.
    joined: String,
    joined_at: Vec<usize>,
}

impl<'a> Field<'a> {
    fn new(text: &'a str) -> Field<'a> {
        let mut joined = String::new();
        let mut joined_at = Vec::new();
        for (at, c) in text.char_indices().filter(|(_, c)| c.is_alphanumeric()) {
            for l in c.to_lowercase() {
                joined.push(l);
                joined_at.extend(std::iter::repeat_n(at, l.len_utf8()));
            }
        }
        Field {
            text,
            tokens: tokens(text),
            joined,
            joined_at,
        }
    }

    /// Where `p` first matches (byte offset in the field), if it does.
    fn find(&self, p: &Pat) -> Option<usize> {
        match p {
            Words(words) => (0..self.tokens.len()).find_map(|i| {
                let window = self.tokens.get(i..i + words.len())?;
                let hit = window.iter().zip(words.iter()).all(|(t, w)| match *w {
                    "#" => t.text.bytes().all(|b| b.is_ascii_digit()),
                    "*" => true,
                    w => t.text == w,
                });
                hit.then_some(window[0].at)
            }),
            Joined(needle) => self.joined.find(needle).map(|k| self.joined_at[k]),
        }
    }

    fn has(&self, p: &Pat) -> bool {
        self.find(p).is_some()
    }
}

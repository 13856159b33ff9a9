//! Dell's FirmwareInventory Ids, `<State>-<ComponentID>-<Version>[__<FQDD>]`:
//! the one vendor whose Ids carry the state, the version and the identity.

use super::words::{clean, identity_text};
use super::Context;
use crate::inventory::model::{Component, Role};
use crate::inventory::pci::PciIds;
use crate::redfish::inventory::DellSoftwareInventory;
use crate::redfish::quirks::{Family, Platform};

/// The state word of a Dell FirmwareInventory Id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DellState {
    /// `Installed-…` and `Current-…`: on the device. Both can be listed with
    /// different versions while an installed image waits for activation
    /// (dell/iDRAC-Redfish-Scripting#264); both count as active, so the
    /// planner sees the disagreement instead of one side of it.
    Installed,
    /// `Previous-…`: the rollback image.
    Previous,
    /// `Available-…`: uploaded, not installed yet.
    Available,
}

/// A Dell Id `<State>-<ComponentID>-<Version>[__<FQDD>]`, e.g.
/// `Installed-159-2.20.1__BIOS.Setup.1-1`, `Available-159-1.2.71`
/// (NOTES §3, FIELD-NOTES B5.30).
#[derive(Debug)]
pub(super) struct DellId<'a> {
    pub(super) state: DellState,
    component_id: &'a str,
    pub(super) version: &'a str,
    pub(super) fqdd: Option<&'a str>,
}

/// Dell's Id grammar, applied where the platform embeds versions in Ids and
/// to unclassified BMCs (no or an unknown `Vendor`: the grammar is specific
/// enough), never to another known family.
pub(super) fn dell_id<'a>(id: &'a str, ctx: &Context<'_>) -> Option<DellId<'a>> {
    let platform = Platform::classify(ctx.vendor, None, None);
    if !(platform.inventory_ids_embed_version() || platform.family == Family::Generic) {
        return None;
    }
    let (state, rest) = id.split_once('-')?;
    let state = match state {
        "Installed" | "Current" => DellState::Installed,
        "Previous" => DellState::Previous,
        "Available" => DellState::Available,
        _ => return None,
    };
    let (component_id, rest) = rest.split_once('-')?;
    if component_id.is_empty() || !component_id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Versions may hold dashes (`52.16.1-4405`); the FQDD follows `__`.
    let (version, fqdd) = match rest.split_once("__") {
        Some((v, f)) => (v, Some(f).filter(|f| !f.is_empty())),
        None => (rest, None),
    };
    if version.is_empty() {
        return None;
    }
    Some(DellId {
        state,
        component_id,
        version,
        fqdd,
    })
}

/// Dell (FIELD-NOTES B5.30, dell/iDRAC-Redfish-Scripting #80, #276):
/// - the ComponentID is what Dell's catalog keys Update Packages by, and the
///   only part every state of a component shares: `Available-159-1.2.71` and
///   older `Previous-159-2.7.7` carry no FQDD, and identical disks are listed
///   once per version under a random one of their FQDDs. So the FQDD is left
///   out, and Installed/Current/Previous/Available pair on `dell:<id>`.
/// - ComponentID `0` means "never updated, or Lifecycle data erased": a
///   placeholder shared by unrelated devices. Those fall back to the FQDD (or
///   the Name, which carries the port's MAC) to stay distinct.
pub(super) fn dell_identity(d: &DellId<'_>, name: &str) -> String {
    if d.component_id.bytes().any(|b| b != b'0') {
        return format!("dell:{}", d.component_id);
    }
    match d.fqdd {
        Some(fqdd) => format!("dell:0:{fqdd}"),
        None => format!("dell:0:{}", identity_text(name)),
    }
}

/// Whether `id` is a Dell Id of a ComponentID-`0` device without an FQDD
/// (`Available-0-20.5.16`: iDRAC lists a downloaded package by ComponentID
/// and version only), whose identity the name alone cannot tie to a device.
pub(super) fn placeholder_without_fqdd(id: &str, ctx: &Context<'_>) -> bool {
    dell_id(id, ctx).is_some_and(|d| d.fqdd.is_none() && d.component_id.bytes().all(|b| b == b'0'))
}

/// Gives a ComponentID-`0` member without an FQDD (see
/// [`placeholder_without_fqdd`]) the identity of the one device it belongs
/// to: the active component of its kind with the same four PCI IDs, which
/// is how Dell keys such a device. With none, or several such devices of
/// different identities, the member keeps its own: a guess could make a
/// package waiting for one card look staged for another.
pub(super) fn tie_by_pci(components: &mut [Component], placeholder: &[bool]) {
    for i in 0..components.len() {
        let (Some(pci), true) = (components[i].pci, placeholder[i]) else {
            continue;
        };
        let kind = components[i].kind;
        let owners: std::collections::BTreeSet<&str> = components
            .iter()
            .zip(placeholder)
            .filter(|(c, p)| !**p && c.role == Role::Active && c.kind == kind && c.pci == Some(pci))
            .map(|(c, _)| c.identity.as_str())
            .collect();
        if owners.len() == 1 {
            let identity = owners.iter().next().map(|s| s.to_string());
            if let Some(identity) = identity {
                components[i].identity = identity;
            }
        }
    }
}

/// The ComponentID `Oem.Dell.DellSoftwareInventory` states, for members
/// without a `SoftwareId` (the two are the same number on iDRAC9).
pub(super) fn oem_component_id(oem: Option<&DellSoftwareInventory>) -> Option<String> {
    oem?.component_id.as_deref().and_then(clean)
}

/// The device's PCI IDs from `Oem.Dell.DellSoftwareInventory`; `None`
/// unless all four are there (`null` for BIOS, iDRAC and PSUs), because a
/// partial match would be a guess.
pub(super) fn oem_pci(oem: Option<&DellSoftwareInventory>) -> Option<PciIds> {
    let o = oem?;
    PciIds::from_parts(
        o.vendor_id.as_deref(),
        o.device_id.as_deref(),
        o.sub_vendor_id.as_deref(),
        o.sub_device_id.as_deref(),
    )
}

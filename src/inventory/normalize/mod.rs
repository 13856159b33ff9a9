//! Redfish `SoftwareInventory` members → fwfleet [`Component`]s. Pure: no I/O,
//! no clock, no logging. Every vendor names its images differently
//! (shared/redfish NOTES §3, §7; FIELD-NOTES B5), so this module is the one
//! place that knows those conventions; everything downstream reads `kind`,
//! `role` and `identity` and never looks at a Redfish `Id` again.
//!
//! | field | rule, first match wins | from |
//! |---|---|---|
//! | `kind` | 1. veto words (diagnostics, driver, agent, Lifecycle Controller, iDRAC Service Module, Power Management Controller, …) → `other` | Dell, HPE, Lenovo, host software |
//! | | 2. `RelatedItem`: `…/Managers/…` or the context's manager → `bmc`; `…/Systems/…/Bios` → `bios`; `…/Drives/…` → `drive`; `…/Storage/…` → `storage`; `…/NetworkAdapters/…` → `nic`; `…/PowerSupplies/…` → `psu` | OpenBMC, DMTF, Supermicro, Lenovo |
//! | | 3. keywords in Name, then Description, then Id (Dell: the FQDD); in each field the *earliest* keyword decides | all |
//! | | 4. weak NIC hints (`25Gb`, `2-Port`, `Adapter`, a MAC address) → `nic`; else `other` | Lenovo `Slot_N.Bundle`, Dell NIC names |
//! | `role` | 1. Dell Id state: `Installed-`/`Current-` → active, `Previous-` → previous, `Available-` → available (uploaded, not installed: never staged) | Dell |
//! | | 2. `Staged: true` or `Links.StagedTargets` without `ActiveTargets` → staged; `Active: true` → active; `Active: false` → backup | SoftwareInventory v1_12 |
//! | | 3. words: backup/secondary/standby/alternate/inactive/golden, Name starting "Redundant" → backup; active/running/primary → active | HPE, Lenovo, OpenBMC |
//! | | 4. `Status.State`: `StandbySpare` → backup, `StandbyOffline` → staged; else active | DMTF `Resource.State` |
//! | `identity` | 1. Dell Id `<State>-<ComponentID>-<Version>[__<FQDD>]` → `dell:<ComponentID>`; ComponentID `0` → `dell:0:<FQDD>`, else `dell:0:<name>` | Dell |
//! | | 2. `SoftwareId` unless a placeholder (`0`, `N/A`, all-zero GUID, …) | DMTF, Lenovo, Supermicro |
//! | | 3. the Id without role decorations (`-Backup`, `-Primary`, `_running`, `-Staged`), lower-cased; an opaque Id (numeric, hex hash) → the Name, else the Description, likewise cleaned | Lenovo, Supermicro, HPE, OpenBMC |
//! | | 4. (whole host, [`normalize_all`]) several *active* members of one identity are identical devices: every member of it gets `<identity> @ <qualifier>`, the qualifier from `Oem.Hpe.DeviceContext`, else `RelatedItem`, else the Id (not a hash), else `#n`; not for Dell | HPE XL675d (4 PSUs, 8 GPUs), DMTF public-tower (16 drives) |
//! | `version` | kept exactly as sent, control characters included (the version module judges such a string unknown; removing them would turn iLO's `"0\x14"` into `0`); empty or only whitespace → `None`; `N/A` kept; Dell: the Id's version when `Version` is missing. `lowest_supported_version` likewise | HPE `"0\x14"` (Cray XL675d capture), Dell |
//! | `updateable` | `Updateable`, missing → `true` (see [`normalize`]) | older iLO 5 |
//! | `software_id` | `SoftwareId`, else Dell's `Oem.Dell.DellSoftwareInventory.ComponentID` | Dell |
//! | | 5. (whole host) a Dell ComponentID-`0` member without FQDD (`Available-0-20.5.16`, a downloaded package) takes the identity of the one active component of its kind with the same four PCI IDs; with none or several, its own | Dell |
//! | `reset_required_on_update` | `ResetRequiredOnUpdate`, as sent (`null` or missing → `None`) | SoftwareInventory v1_12 |
//! | `pci` | the four IDs of `Oem.Dell.DellSoftwareInventory` (`VendorID`, `DeviceID`, `SubVendorID`, `SubDeviceID`), only when all four are hex IDs | Dell |
//!
//! Module map, one file per column of the table: `kind`, `role`,
//! `identity`; `dell` (the one vendor whose Ids carry state, version and
//! identity, read once and handed to the three); `devices` (a host-wide
//! pass: identical devices, one identity each); `words` (names split into
//! words, cleaned text); `tests` (one `check` per vendor).

use crate::redfish::inventory::SoftwareInventory;

use super::model::Component;
use crate::vocab::{Kind, Role};

mod dell;
mod devices;
mod identity;
mod kind;
mod role;
#[cfg(test)]
mod tests;
mod words;

#[cfg(test)]
use words::tokens;
use words::{clean, raw_version};

/// The host facts that help read its inventory members. Every field is
/// optional: the rules key on the member's own shape first, because
/// rebranded BMCs report surprising `Vendor`s.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    /// ServiceRoot `Vendor`. Only used to keep Dell's Id grammar to BMCs
    /// that are Dell or unclassified.
    pub vendor: Option<&'a str>,
    /// A ComputerSystem URI or the Systems collection URI: a `RelatedItem`
    /// under it ending in `/Bios` is the host firmware.
    pub system_uri: Option<&'a str>,
    /// The Manager (BMC) URI: a `RelatedItem` equal to it is the BMC image,
    /// whatever the URI looks like.
    pub manager_uri: Option<&'a str>,
}

/// Turns one inventory member into a component.
///
/// `updateable` defaults to `true` when the BMC omits `Updateable`: older
/// iLO 5 omits it on every member (NOTES §7.2), the System ROM and iLO
/// included, and `false` there would silently exempt whole HPE fleets from
/// updates. `true` only makes the member a candidate: the planner still needs
/// a version it can compare and a repository image for this identity, and
/// the BMC checks the image before flashing, so a wrong `true` ends as a
/// reported per-host failure, never as a silently outdated server.
pub fn normalize(item: &SoftwareInventory, ctx: &Context<'_>) -> Component {
    let dell = dell::dell_id(&item.id, ctx);
    let name = item
        .name
        .as_deref()
        .and_then(clean)
        .unwrap_or_else(|| item.id.clone());
    let version = item
        .version
        .as_deref()
        .and_then(raw_version)
        .or_else(|| dell.as_ref().and_then(|d| raw_version(d.version)));
    let oem = item.dell_software_inventory();
    Component {
        id: item.id.clone(),
        kind: kind::kind_of(item, dell.as_ref(), ctx),
        role: role::role_of(item, dell.as_ref()),
        identity: identity::identity_of(item, dell.as_ref(), &name),
        name,
        version,
        updateable: item.updateable.unwrap_or(true),
        software_id: item
            .software_id
            .as_deref()
            .and_then(clean)
            .or_else(|| dell::oem_component_id(oem.as_ref())),
        uri: item.odata_id.clone(),
        lowest_supported_version: item
            .lowest_supported_version
            .as_deref()
            .and_then(raw_version),
        version_scheme: item.version_scheme.as_ref().map(|s| s.as_str().to_string()),
        manufacturer: item.manufacturer.as_deref().and_then(clean),
        write_protected: item.write_protected.unwrap_or(false),
        pci: dell::oem_pci(oem.as_ref()),
        reset_required_on_update: item.reset_required_on_update,
    }
}

/// Turns one host's inventory collection into components: [`normalize`]
/// per member, then identical devices (several active members of one
/// identity: iLO's four "Power Supply Firmware", eight identical GPUs,
/// drives of one SoftwareId) get an identity each, `<identity> @ <device>` (see
/// `devices`), so no two devices are ever taken for one.
pub fn normalize_all(items: &[SoftwareInventory], ctx: &Context<'_>) -> Vec<Component> {
    let mut components: Vec<Component> = items.iter().map(|i| normalize(i, ctx)).collect();
    let hints: Vec<devices::Hints> = items
        .iter()
        .map(|i| devices::Hints {
            context: i
                .oem_at(&["Hpe", "DeviceContext"])
                .and_then(serde_json::Value::as_str)
                .and_then(clean),
            related: i.related_item.iter().map(|r| r.odata_id.clone()).collect(),
            dell: dell::dell_id(&i.id, ctx).is_some(),
        })
        .collect();
    devices::distinguish(&mut components, &hints);
    let placeholder: Vec<bool> = items
        .iter()
        .map(|i| dell::placeholder_without_fqdd(&i.id, ctx))
        .collect();
    dell::tie_by_pci(&mut components, &placeholder);
    components
}

/// The running images of one kind: the only entries ever compared with the
/// repository (a backup or staged image would hide an outdated server).
pub fn active_of(components: &[Component], kind: Kind) -> impl Iterator<Item = &Component> {
    components
        .iter()
        .filter(move |c| c.kind == kind && c.role == Role::Active)
}

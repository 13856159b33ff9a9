//! Identical devices on one host: members the identity rules give one
//! identity although they are different devices, told apart so that each is
//! reported, planned and verified as itself.
//!
//! The identity rules pair the images of *one* component (active, backup,
//! previous, staged) on purpose. But a host may carry several devices of one
//! model: iLO lists four "Power Supply Firmware" members (`Bay 1`…`Bay 4`),
//! eight "NVIDIA A100-SXM4-40GB" GPUs and two "Network Controller" NICs,
//! each with a numeric Id and the same Name, Description and version, told
//! apart only by `Oem.Hpe.DeviceContext` (Cray-HPE csm-redfish-interface-
//! emulator, `mockups/XL675d_A100`, `XL675d_A40`); a standard BMC gives
//! identical drives one SoftwareId and a `RelatedItem` each (DMTF
//! `public-tower` has 16 drives of model "SAS 18000"). Left alone, those
//! members would share an identity, and everything keyed by identity (the
//! planner's staged check, the updater's verification, the daemon's
//! estimates) would confuse one device with another.
//!
//! Rule: when two *active* members share an identity, they are different
//! devices (one device runs one image), and every member of that identity
//! gets a qualifier, `<identity> @ <qualifier>`, from the first source that
//! is present on every member and tells the active ones apart: the HPE
//! device context (`bay 2`, `pci-e slot 1`), the `RelatedItem` links, the Id
//! without role words (iLO's `15`, `Disk_1`), and as a last resort the
//! member's place among its role (`#1`, `#2`, in collection order). An Id
//! that is a hash is skipped: OpenBMC's change with every image. The other
//! images of a device share its qualifier (both ROMs of an iLO are on the
//! `System Board`), so they stay paired; several backup or staged images of
//! one identity with a single active one are one device's images, left
//! alone.
//!
//! Dell is left alone: identical disks share a ComponentID because one
//! Dell Update Package updates them together, and iDRAC lists them once per
//! distinct version under a random one of their FQDDs
//! (dell/iDRAC-Redfish-Scripting#80), so no qualifier would be stable.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::identity::{is_hash, strip_role_words};
use super::words::identity_text;
use crate::inventory::model::Component;
use crate::vocab::Role;

/// What tells one member's device from another's, read from the member.
#[derive(Debug, Clone, Default)]
pub(super) struct Hints {
    /// `Oem.Hpe.DeviceContext`: where the device sits (`Bay 2`).
    pub(super) context: Option<String>,
    /// `RelatedItem` URIs, in order.
    pub(super) related: Vec<String>,
    /// A Dell Id: identical devices share one identity on purpose.
    pub(super) dell: bool,
}

/// Gives every member of an identity shared by several devices its
/// qualifier; see the module docs.
pub(super) fn distinguish(components: &mut [Component], hints: &[Hints]) {
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, c) in components.iter().enumerate() {
        if !hints.get(i).is_some_and(|h| h.dell) {
            groups.entry(c.identity.as_str()).or_default().push(i);
        }
    }
    let qualified: Vec<(usize, String)> = groups
        .into_values()
        .filter(|members| several_active(components, members))
        .flat_map(|members| {
            let names = qualifiers(components, hints, &members);
            members.into_iter().zip(names)
        })
        .collect();
    for (i, q) in qualified {
        let c = &mut components[i];
        c.identity = format!("{} @ {q}", c.identity);
    }
}

fn several_active(components: &[Component], members: &[usize]) -> bool {
    members
        .iter()
        .filter(|&&i| components[i].role == Role::Active)
        .nth(1)
        .is_some()
}

/// One qualifier per member, from the first source that is present on every
/// member and unique among the active ones.
fn qualifiers(components: &[Component], hints: &[Hints], members: &[usize]) -> Vec<String> {
    let sources: [&dyn Fn(usize) -> Option<String>; 3] = [
        &|i| hints[i].context.as_deref().map(identity_text),
        &|i| (!hints[i].related.is_empty()).then(|| identity_text(&hints[i].related.join(","))),
        &|i| {
            let id = strip_role_words(components[i].id.trim().trim_end_matches('/'));
            (!id.is_empty() && !is_hash(id)).then(|| identity_text(id))
        },
    ];
    for source in sources {
        let names: Option<Vec<String>> = members.iter().map(|&i| source(i)).collect();
        if let Some(names) = names {
            if unique_among_active(components, members, &names) {
                return names;
            }
        }
    }
    let mut seen: HashMap<Role, usize> = HashMap::new();
    members
        .iter()
        .map(|&i| {
            let n = seen.entry(components[i].role).or_default();
            *n += 1;
            format!("#{n}")
        })
        .collect()
}

fn unique_among_active(components: &[Component], members: &[usize], names: &[String]) -> bool {
    let mut seen = HashSet::new();
    members
        .iter()
        .zip(names)
        .filter(|(&i, _)| components[i].role == Role::Active)
        .all(|(_, name)| seen.insert(name.as_str()))
}

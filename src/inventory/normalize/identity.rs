//! A component's `identity`: what stays the same across updates and pairs
//! the active, backup, previous and staged images of one component.

use super::dell::{dell_identity, DellId};
use super::words::{clean, identity_text};
use crate::redfish::inventory::SoftwareInventory;

/// See the module table. Several members may share an identity on purpose:
/// the active, backup, previous and staged images of one component (so the
/// planner can pair them; `role` tells them apart), and Dell's identical
/// devices, which one Dell Update Package updates together.
pub(super) fn identity_of(
    item: &SoftwareInventory,
    dell: Option<&DellId<'_>>,
    name: &str,
) -> String {
    if let Some(d) = dell {
        return dell_identity(d, name);
    }
    if let Some(sid) = item.software_id.as_deref().and_then(clean) {
        if !is_placeholder(&sid) {
            return sid;
        }
    }
    let id = strip_role_words(item.id.trim().trim_end_matches('/'));
    let label = if is_opaque(id) {
        // iLO's `1`, `2`… and OpenBMC's version hashes say nothing and the
        // hash changes with every image: the Name (iLO) or Description
        // (OpenBMC, whose Name is always "Software Inventory") does not.
        [Some(name), item.description.as_deref()]
            .into_iter()
            .flatten()
            .find(|t| !t.trim().is_empty() && !is_generic_label(t))
            .unwrap_or(id)
    } else {
        id
    };
    identity_text(strip_role_words(label))
}

/// SoftwareIds that identify nothing: Dell's `0`, all-zero GUIDs, `N/A`.
fn is_placeholder(sid: &str) -> bool {
    sid.bytes().all(|b| b == b'0' || b == b'-')
        || ["n/a", "na", "none", "null", "unknown", "not available"]
            .iter()
            .any(|p| sid.eq_ignore_ascii_case(p))
}

/// Ids that carry no meaning: all digits (iLO) or a hash (OpenBMC).
fn is_opaque(id: &str) -> bool {
    let all_digits = !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit());
    all_digits || is_hash(id)
}

/// A hex hash of at least six characters with a digit and a letter in it
/// (OpenBMC's `5d0869c4`): it changes with every image, so it names no
/// device either. All digits is an index (iLO's `15`), not a hash.
pub(super) fn is_hash(id: &str) -> bool {
    id.len() >= 6
        && id.bytes().all(|b| b.is_ascii_hexdigit())
        && id.bytes().any(|b| b.is_ascii_digit())
        && !id.bytes().all(|b| b.is_ascii_digit())
}

/// Names that say nothing about the component (bmcweb names every member
/// "Software Inventory").
fn is_generic_label(s: &str) -> bool {
    let s = s.trim();
    [
        "Software Inventory",
        "Firmware Inventory",
        "Represents Firmware Inventory",
        "Firmware",
        "Software",
    ]
    .iter()
    .any(|g| s.eq_ignore_ascii_case(g))
}

/// Role words vendors glue onto Ids and Names of one component's images:
/// Lenovo `BMC-Primary`/`BMC-Backup`, HPE "Redundant System ROM", OpenBMC
/// `…_running`/`bios_active`, staged copies `…-Staged`/"… (staged)".
const ROLE_DECORATIONS: [&str; 9] = [
    "primary",
    "backup",
    "secondary",
    "redundant",
    "active",
    "running",
    "staged",
    "(staged)",
    "standby",
];

/// Removes role words at either end of `s`, when separated from the rest by
/// `-`, `_`, `.` or a space, so the images of one component share a label.
pub(super) fn strip_role_words(s: &str) -> &str {
    const SEP: &[char] = &['-', '_', '.', ' '];
    let mut s = s.trim();
    loop {
        let before = s;
        for w in ROLE_DECORATIONS {
            if let Some(head) = strip_suffix_ci(s, w) {
                if head.ends_with(SEP) && !head.trim_end_matches(SEP).is_empty() {
                    s = head.trim_end_matches(SEP);
                }
            }
            if let Some(tail) = strip_prefix_ci(s, w) {
                if tail.starts_with(SEP) && !tail.trim_start_matches(SEP).is_empty() {
                    s = tail.trim_start_matches(SEP);
                }
            }
        }
        if s == before {
            return s;
        }
    }
}

fn strip_suffix_ci<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = s.len().checked_sub(suffix.len())?;
    (s.is_char_boundary(cut) && s[cut..].eq_ignore_ascii_case(suffix)).then(|| &s[..cut])
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    (s.is_char_boundary(prefix.len().min(s.len()))
        && s.len() >= prefix.len()
        && s[..prefix.len()].eq_ignore_ascii_case(prefix))
    .then(|| &s[prefix.len()..])
}

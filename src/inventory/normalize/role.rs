//! A member's `role`: which image of its component it describes.

use super::dell::{DellId, DellState};
use super::words::{tokens, Token};
use crate::redfish::inventory::{SoftwareInventory, State};
use crate::vocab::Role;

/// See the module table. Dell's Id state comes first because Dell marks its
/// rollback images `Enabled` like running ones; the standard `Staged`/`Active`
/// (v1_12) come before naming conventions because they are explicit.
pub(super) fn role_of(item: &SoftwareInventory, dell: Option<&DellId<'_>>) -> Role {
    if let Some(d) = dell {
        return match d.state {
            DellState::Installed => Role::Active,
            DellState::Previous => Role::Previous,
            DellState::Available => Role::Available,
        };
    }
    if item.staged == Some(true) {
        return Role::Staged;
    }
    if let Some(links) = &item.links {
        if !links.staged_targets.is_empty()
            && links.active_targets.is_empty()
            && item.active != Some(true)
        {
            return Role::Staged;
        }
    }
    match item.active {
        Some(true) => return Role::Active,
        // Present but not running, and not said to be staged: an inactive
        // copy. Calling it staged could make the planner wait for a reboot
        // that activates nothing; a backup is never compared, which is safe.
        Some(false) => return Role::Backup,
        None => {}
    }
    if let Some(role) = role_from_words(item) {
        return role;
    }
    match item.status.as_ref().and_then(|s| s.state.as_ref()) {
        // "Part of a redundancy set, awaiting failover".
        Some(State::StandbySpare) => Role::Backup,
        // "Enabled but awaits an external action to activate it".
        Some(State::StandbyOffline) => Role::Staged,
        _ => Role::Active,
    }
}

/// Backup words in Id, Name or Description (Lenovo `BMC-Backup`, HPE
/// `SystemRomBackup` / "Redundant System ROM", "Secondary", "Standby"), then
/// explicit active words (HPE `SystemRomActive`, OpenBMC `…_running`).
fn role_from_words(item: &SoftwareInventory) -> Option<Role> {
    let fields: Vec<Vec<Token>> = [
        Some(item.id.as_str()),
        item.name.as_deref(),
        item.description.as_deref(),
    ]
    .into_iter()
    .flatten()
    .map(tokens)
    .collect();
    let backup = fields.iter().any(|toks| {
        toks.iter().enumerate().any(|(i, t)| match t.text.as_str() {
            "secondary" | "standby" | "alternate" | "inactive" | "golden" => true,
            // Not a "Battery Backup Unit".
            "backup" => i == 0 || toks[i - 1].text != "battery",
            _ => false,
        })
    });
    // HPE "Redundant System ROM"; only in front, not "… Redundant Power …".
    let redundant = item
        .name
        .as_deref()
        .and_then(|n| tokens(n).into_iter().next())
        .is_some_and(|t| t.text == "redundant");
    if backup || redundant {
        return Some(Role::Backup);
    }
    let active = fields
        .iter()
        .flatten()
        .any(|t| matches!(t.text.as_str(), "active" | "running" | "primary"));
    active.then_some(Role::Active)
}

//! [`Edit`]: what `fwfleet repo edit` changes on an entry in place.
//!
//! Only what can be wrong without the image being wrong: where it applies
//! and what the operator notes about it. Identity (file, hash, size, kind,
//! version) is the image's own, so changing it means adding the image again.

use super::entry::{Entry, FieldError};
use super::provenance::Criticality;

/// Changes to one entry; `None` leaves a field as it is. The lists replace
/// the entry's lists whole (an empty list clears one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edit {
    pub models: Option<Vec<String>>,
    pub manufacturers: Option<Vec<String>>,
    /// `Some(None)` clears the field.
    pub software_id: Option<Option<String>>,
    pub software_ids: Option<Vec<String>>,
    pub match_regex: Option<Option<String>>,
    pub notes: Option<Option<String>>,
    pub criticality: Option<Option<Criticality>>,
    /// Accept an entry that applies to every model afterwards (the
    /// `--any-model` of `repo add`).
    pub any_model: bool,
}

impl Edit {
    /// Whether the edit changes nothing (the command refuses it, so a typo
    /// in a flag name is not silently a no-op).
    pub fn is_empty(&self) -> bool {
        self.models.is_none()
            && self.manufacturers.is_none()
            && self.software_id.is_none()
            && self.software_ids.is_none()
            && self.match_regex.is_none()
            && self.notes.is_none()
            && self.criticality.is_none()
    }

    /// The entry after the edit, checked by the same rules as a new one;
    /// `Err((key, message))` names the manifest key that is wrong.
    pub(crate) fn apply(self, mut e: Entry) -> Result<Entry, (String, String)> {
        if let Some(v) = self.models {
            e.models = v;
        }
        if let Some(v) = self.manufacturers {
            e.manufacturers = v;
        }
        if let Some(v) = self.software_id {
            e.software_id = v;
        }
        if let Some(v) = self.software_ids {
            e.software_ids = v;
        }
        if let Some(v) = self.match_regex {
            e.match_regex = v;
        }
        if let Some(v) = self.notes {
            e.notes = v;
        }
        if let Some(v) = self.criticality {
            e.criticality = v;
        }
        let restricted = !e.models.is_empty()
            || !e.manufacturers.is_empty()
            || e.software_id.is_some()
            || e.match_regex.is_some()
            || !e.software_ids.is_empty()
            || !e.pci_ids.is_empty()
            || !e.system_ids.is_empty();
        if !restricted && !self.any_model {
            return Err((
                "models".into(),
                "the entry would apply to every component of its kind on every model; keep a model, manufacturer, SoftwareId or --match, or say --any-model".into(),
            ));
        }
        e.prepare()
            .map_err(|FieldError { key, message }| (key.to_string(), message))
    }
}

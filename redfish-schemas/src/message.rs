//! `Message`: the entries of `@Message.ExtendedInfo` and `Task.Messages`, and
//! message-id matching without the registry version.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::common::Health;
use crate::de;

/// `Message.v1_3_0.Message` (DSP8010 2025.4).
///
/// Tolerance:
/// - Both `MessageSeverity` (v1_1) and the deprecated `Severity` are kept, as
///   sent; [`severity`](Self::severity) prefers the former. iLO and Supermicro
///   send only `Severity` (Supermicro as `Ok`).
/// - `MessageId` is required by the schema but Supermicro sends placeholder
///   messages with empty strings; missing or `null` decodes as `""`.
/// - `MessageArgs` must be strings, but numbers occur (task progress); they are
///   kept as their JSON text. `null` lists decode as empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Message {
    /// `<Registry>.<Major>.<Minor>[.<Errata>].<Key>`, e.g. `Update.1.3.UpdateSuccessful`,
    /// or a vendor id such as `IDRAC.2.8.JCP001`, `JCP001`.
    #[serde(
        default,
        deserialize_with = "de::string_or_empty",
        skip_serializing_if = "String::is_empty"
    )]
    pub message_id: String,
    /// Human-readable text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Arguments substituted into the registry message (often URIs).
    #[serde(
        default,
        deserialize_with = "de::lenient_strings",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub message_args: Vec<String>,
    /// Severity (v1_1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_severity: Option<Health>,
    /// Deprecated severity string, still common.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Health>,
    /// Suggested resolution.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    /// JSON pointers of the properties the message is about (`#/ImageURI`).
    #[serde(
        default,
        deserialize_with = "de::lenient_strings",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub related_properties: Vec<String>,
    /// Vendor extensions, kept raw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oem: Option<Value>,
}

impl_oem_at!(Message);

impl Message {
    /// `MessageSeverity`, else the deprecated `Severity`.
    pub fn severity(&self) -> Option<&Health> {
        self.message_severity.as_ref().or(self.severity.as_ref())
    }

    /// The parts of `MessageId`.
    pub fn id_parts(&self) -> MessageIdParts<'_> {
        MessageIdParts::parse(&self.message_id)
    }

    /// The id without registry prefix and version:
    /// `Update.1.3.UpdateSuccessful` → `UpdateSuccessful`.
    pub fn message_key(&self) -> &str {
        message_key(&self.message_id)
    }

    /// The registry prefix (`Update`, `Base`, `TaskEvent`, `IDRAC`, `SMC`), if any.
    pub fn registry(&self) -> Option<&str> {
        self.id_parts().registry
    }

    /// Whether this is message `key` of registry `registry`, in any version
    /// (`msg.is("Update", "UpdateSuccessful")`). The registry compares
    /// ASCII-case-insensitively (`IDRAC` vs `iDRAC`), the key exactly.
    pub fn is(&self, registry: &str, key: &str) -> bool {
        self.id_parts().is(registry, key)
    }
}

/// The key of a message id: the text after the last `.`, or the whole id when
/// it has no `.` (`JCP001`). See [`MessageIdParts`].
pub fn message_key(message_id: &str) -> &str {
    MessageIdParts::parse(message_id).key
}

/// A message id split into registry prefix, version and key.
///
/// The first `.`-separated segment is the registry, the last the key, and what
/// lies between the version. This fits standard ids and the vendor ids seen in
/// the field:
///
/// | id | registry | version | key |
/// |---|---|---|---|
/// | `Update.1.3.UpdateSuccessful` | `Update` | `1.3` | `UpdateSuccessful` |
/// | `TaskEvent.1.0.4.TaskCancelled` | `TaskEvent` | `1.0.4` | `TaskCancelled` |
/// | `Base.v1_4_0.GeneralError` (Supermicro) | `Base` | `v1_4_0` | `GeneralError` |
/// | `IDRAC.2.8.JCP001` | `IDRAC` | `2.8` | `JCP001` |
/// | `SMC.1.0.OemSimpleupdateAcceptedMessage` | `SMC` | `1.0` | `OemSimpleupdateAcceptedMessage` |
/// | `JCP001` | – | – | `JCP001` |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageIdParts<'a> {
    /// Registry prefix; `None` for a bare key.
    pub registry: Option<&'a str>,
    /// Registry version (`1.3`, `1.0.4`, `v1_4_0`); `None` when absent.
    pub version: Option<&'a str>,
    /// The message key.
    pub key: &'a str,
}

impl<'a> MessageIdParts<'a> {
    /// Splits `message_id` (surrounding whitespace ignored). Never fails.
    pub fn parse(message_id: &'a str) -> Self {
        let id = message_id.trim();
        let non_empty = |s: &'a str| (!s.is_empty()).then_some(s);
        match id.split_once('.') {
            None => Self {
                registry: None,
                version: None,
                key: id,
            },
            Some((registry, rest)) => {
                let (version, key) = match rest.rsplit_once('.') {
                    Some((version, key)) => (non_empty(version), key),
                    None => (None, rest),
                };
                Self {
                    registry: non_empty(registry),
                    version,
                    key,
                }
            }
        }
    }

    /// Whether registry and key match (registry ASCII-case-insensitively).
    pub fn is(&self, registry: &str, key: &str) -> bool {
        self.key == key
            && self
                .registry
                .is_some_and(|r| r.eq_ignore_ascii_case(registry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::check;

    #[test]
    fn message_id_parts() {
        let cases: &[(&str, Option<&str>, Option<&str>, &str)] = &[
            (
                "Update.1.3.UpdateSuccessful",
                Some("Update"),
                Some("1.3"),
                "UpdateSuccessful",
            ),
            (
                "Update.1.0.UpdateSuccessful",
                Some("Update"),
                Some("1.0"),
                "UpdateSuccessful",
            ),
            (
                "TaskEvent.1.0.4.TaskCancelled",
                Some("TaskEvent"),
                Some("1.0.4"),
                "TaskCancelled",
            ),
            (
                "Base.1.18.ResourceMissingAtURI",
                Some("Base"),
                Some("1.18"),
                "ResourceMissingAtURI",
            ),
            (
                "Base.v1_4_0.GeneralError",
                Some("Base"),
                Some("v1_4_0"),
                "GeneralError",
            ),
            ("IDRAC.2.8.JCP001", Some("IDRAC"), Some("2.8"), "JCP001"),
            (
                "SMC.1.0.OemSimpleupdateAcceptedMessage",
                Some("SMC"),
                Some("1.0"),
                "OemSimpleupdateAcceptedMessage",
            ),
            (
                "iLO.2.25.SystemResetRequired",
                Some("iLO"),
                Some("2.25"),
                "SystemResetRequired",
            ),
            (
                "Update.UpdateSuccessful",
                Some("Update"),
                None,
                "UpdateSuccessful",
            ),
            ("JCP001", None, None, "JCP001"),
            ("PR30", None, None, "PR30"),
            (
                " Base.1.8.1.Success ",
                Some("Base"),
                Some("1.8.1"),
                "Success",
            ),
            ("", None, None, ""),
        ];
        for &(id, registry, version, key) in cases {
            let parts = MessageIdParts::parse(id);
            assert_eq!(
                parts,
                MessageIdParts {
                    registry,
                    version,
                    key
                },
                "{id:?}"
            );
            assert_eq!(message_key(id), key, "{id:?}");
        }
    }

    #[test]
    fn is_matches_any_registry_version() {
        let a: Message = check(r##"{"MessageId": "Update.1.0.UpdateSuccessful"}"##);
        let b: Message = check(r##"{"MessageId": "Update.1.3.UpdateSuccessful"}"##);
        for m in [&a, &b] {
            assert!(m.is("Update", "UpdateSuccessful"));
            assert!(!m.is("Base", "UpdateSuccessful"));
            assert!(!m.is("Update", "UpdateInProgress"));
            assert_eq!(m.registry(), Some("Update"));
        }
        let dell: Message = check(r##"{"MessageId": "IDRAC.2.8.JCP001"}"##);
        assert!(dell.is("iDRAC", "JCP001"));
        let bare: Message = check(r##"{"MessageId": "JCP001"}"##);
        assert!(!bare.is("IDRAC", "JCP001"));
        assert_eq!(bare.message_key(), "JCP001");
    }

    #[test]
    fn severity_prefers_message_severity_then_deprecated_severity() {
        let both: Message = check(
            r##"{"MessageId": "Base.1.8.Success", "MessageSeverity": "OK", "Severity": "Warning"}"##,
        );
        assert_eq!(both.severity(), Some(&Health::Ok));
        let old: Message =
            check(r##"{"MessageId": "Base.1.0.PropertyNotWritable", "Severity": "Warning"}"##);
        assert_eq!(old.severity(), Some(&Health::Warning));
        // Supermicro spells it `Ok`.
        let smc: Message = check(r##"{"MessageId": "SMC.1.0.OemX", "Severity": "Ok"}"##);
        assert_eq!(smc.severity(), Some(&Health::Ok));
        let none: Message = check(r##"{"MessageId": "X.1.0.Y"}"##);
        assert_eq!(none.severity(), None);
        let odd: Message = check(r##"{"MessageId": "X.1.0.Y", "Severity": "Informational"}"##);
        assert_eq!(odd.severity(), Some(&Health::Other("Informational".into())));
    }

    #[test]
    fn supermicro_placeholder_and_null_fields() {
        let m: Message = check(
            r##"{"MessageId": "", "Message": "", "MessageArgs": [""], "Severity": "", "Resolution": "", "RelatedProperties": null}"##,
        );
        assert_eq!(m.message_key(), "");
        assert_eq!(m.registry(), None);
        let m: Message = check(r##"{"MessageId": null, "MessageArgs": null}"##);
        assert_eq!(m.message_id, "");
        assert!(m.message_args.is_empty());
        let m: Message = check(r##"{"Message": "no id at all"}"##);
        assert_eq!(m.message_id, "");
    }

    #[test]
    fn numeric_message_args_become_text() {
        let m: Message = check(
            r##"{"MessageId": "TaskEvent.1.0.3.TaskProgressChanged", "MessageArgs": ["0", 45], "MessageSeverity": "OK"}"##,
        );
        assert_eq!(m.message_args, ["0", "45"]);
    }
}

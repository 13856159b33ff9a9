//! `decode`: bytes → model, with errors that name the JSON path.
//!
//! A BMC that sends a string where a number belongs should produce
//! "cannot decode Task at JSON path `Messages[2].MessageId`", not "invalid type
//! at line 1 column 4711" in a 40 KiB body. `serde_path_to_error` tracks the path
//! while serde_json does the work.

use std::fmt;

use serde::de::DeserializeOwned;

/// Decodes a response body into `T`.
///
/// Tolerates a leading UTF-8 byte-order mark and trailing whitespace; anything
/// else after the JSON value is an error (as with `serde_json::from_slice`).
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|e| DecodeError::from_path_error::<T>(e))?;
    deserializer
        .end()
        .map_err(|e| DecodeError::new::<T>(String::new(), e))?;
    Ok(value)
}

/// Decodes an already parsed JSON value into `T` (an `Oem` object, one member of
/// an expanded collection, …). Errors carry the path inside `value`.
pub fn decode_value<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, DecodeError> {
    serde_path_to_error::deserialize(value).map_err(|e| DecodeError::from_path_error::<T>(e))
}

/// A body that could not be decoded into the expected model.
///
/// `Display` names the target type and the JSON path, e.g.
/// ``cannot decode SoftwareInventory: unexpected value at JSON path `Status.Health` ``.
/// The serde_json error with the detail (``invalid type: integer `5`, expected a
/// string at line 3 column 20``) is the [`source`](std::error::Error::source),
/// so print the whole chain (`{:#}` with anyhow) to see both.
#[derive(Debug)]
pub struct DecodeError {
    type_name: &'static str,
    path: String,
    source: serde_json::Error,
}

impl DecodeError {
    fn new<T>(path: String, source: serde_json::Error) -> Self {
        Self {
            type_name: std::any::type_name::<T>(),
            path,
            source,
        }
    }

    fn from_path_error<T>(error: serde_path_to_error::Error<serde_json::Error>) -> Self {
        let path = error.path();
        // `Path`'s Display prints "." for the root; keep an empty string instead.
        let path = if path.iter().next().is_none() {
            String::new()
        } else {
            path.to_string()
        };
        Self::new::<T>(path, error.into_inner())
    }

    /// JSON path of the value that failed, e.g. `Members[3].@odata.id`; empty
    /// when the failure is at the top level (wrong type, empty body, …).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The model that was expected, without module paths (`Collection<ODataId>`).
    pub fn type_name(&self) -> String {
        short_type_name(self.type_name)
    }

    /// `true` when the body is not JSON at all or is cut short (an HTML error
    /// page from a proxy, a truncated response), as opposed to JSON of the wrong
    /// shape.
    pub fn is_syntax(&self) -> bool {
        matches!(
            self.source.classify(),
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof
        )
    }

    /// The underlying serde_json error (also the `source`).
    pub fn inner(&self) -> &serde_json::Error {
        &self.source
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let type_name = self.type_name();
        let at = if self.path.is_empty() {
            "at the top level".to_owned()
        } else {
            format!("at JSON path `{}`", self.path)
        };
        if self.is_syntax() {
            write!(
                f,
                "cannot decode {type_name}: body is not valid JSON ({at})"
            )
        } else {
            write!(f, "cannot decode {type_name}: unexpected value {at}")
        }
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// `alloc::vec::Vec<redfish_schemas::common::ODataId>` → `Vec<ODataId>`.
fn short_type_name(full: &str) -> String {
    let mut out = String::with_capacity(full.len());
    let mut segment = String::new();
    let mut chars = full.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            segment.clear();
        } else if c.is_alphanumeric() || c == '_' {
            segment.push(c);
        } else {
            out.push_str(&segment);
            segment.clear();
            out.push(c);
        }
    }
    out.push_str(&segment);
    out
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;
    use crate::{Collection, ODataId, SoftwareInventory, Task};

    #[test]
    fn short_type_names() {
        assert_eq!(short_type_name("redfish_schemas::task::Task"), "Task");
        assert_eq!(
            short_type_name(
                "redfish_schemas::common::Collection<redfish_schemas::common::ODataId>"
            ),
            "Collection<ODataId>"
        );
        assert_eq!(short_type_name("u8"), "u8");
    }

    #[test]
    fn error_names_the_json_path_of_a_nested_field() {
        let body = br##"{
            "@odata.id": "/redfish/v1/TaskService/Tasks/7",
            "Id": "7",
            "TaskState": "Running",
            "Messages": [
                {"MessageId": "TaskEvent.1.0.3.TaskStarted"},
                {"MessageId": 42}
            ]
        }"##;
        let err = decode::<Task>(body).unwrap_err();
        assert_eq!(err.path(), "Messages[1].MessageId");
        assert!(!err.is_syntax());
        assert_eq!(
            err.to_string(),
            "cannot decode Task: unexpected value at JSON path `Messages[1].MessageId`"
        );
        let detail = err.source().expect("source").to_string();
        assert!(detail.contains("invalid type: integer `42`"), "{detail}");
    }

    #[test]
    fn error_names_the_path_inside_collection_members() {
        let body =
            br##"{"Members": [{"@odata.id": "/a"}, {"@odata.id": "/b"}, {"odata.id": "/c"}]}"##;
        let err = decode::<Collection<ODataId>>(body).unwrap_err();
        assert_eq!(err.path(), "Members[2]");
        // rustc may or may not print the defaulted type parameter.
        assert!(
            err.type_name().starts_with("Collection"),
            "{}",
            err.type_name()
        );
        assert!(err
            .inner()
            .to_string()
            .contains("missing field `@odata.id`"));
    }

    #[test]
    fn error_names_the_path_of_a_wrong_scalar() {
        let body = br##"{"@odata.id": "/x", "Id": "BMC", "Updateable": "yes"}"##;
        let err = decode::<SoftwareInventory>(body).unwrap_err();
        assert_eq!(err.path(), "Updateable");
        assert!(err.to_string().contains("`Updateable`"));
    }

    #[test]
    fn syntax_errors_are_classified() {
        let err = decode::<Task>(b"<html><body>502 Bad Gateway</body></html>").unwrap_err();
        assert!(err.is_syntax());
        assert_eq!(
            err.to_string(),
            "cannot decode Task: body is not valid JSON (at the top level)"
        );

        let err =
            decode::<Task>(br##"{"@odata.id": "/t", "Id": "1", "Messages": [{"##).unwrap_err();
        assert!(err.is_syntax());
        // The unfinished object ends before its first key: `Messages[0].?`.
        assert!(err.path().starts_with("Messages[0]"), "{}", err.path());

        let err = decode::<Task>(b"").unwrap_err();
        assert!(err.is_syntax());
    }

    #[test]
    fn trailing_garbage_is_an_error_but_bom_and_whitespace_are_not() {
        let ok = b"\xEF\xBB\xBF{\"@odata.id\": \"/a\"} \r\n";
        assert_eq!(decode::<ODataId>(ok).unwrap().as_str(), "/a");
        let err = decode::<ODataId>(br##"{"@odata.id": "/a"} x"##).unwrap_err();
        assert!(err.is_syntax());
        assert_eq!(err.path(), "");
    }

    #[test]
    fn decode_value_reports_paths_too() {
        let value = serde_json::json!({"Members": [{"@odata.id": 1}]});
        let err = decode_value::<Collection>(&value).unwrap_err();
        assert_eq!(err.path(), "Members[0].@odata.id");
    }
}

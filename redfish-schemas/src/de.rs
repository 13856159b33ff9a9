//! Field deserializers for the ways BMCs bend the schema.
//!
//! Used through `#[serde(default, deserialize_with = "...")]`. Each one treats
//! `null` like a missing property, because BMCs send `null` for "not known" even
//! where the schema does not allow it (`"Members": null` on AMI-based BMCs).

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// An array that may be `null` or missing (→ empty) and may hold `null`
/// elements (dropped). Errors inside an element keep their index in the path.
pub(crate) fn vec_skip_nulls<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let items = Option::<Vec<Option<T>>>::deserialize(deserializer)?;
    Ok(items.unwrap_or_default().into_iter().flatten().collect())
}

/// A string that may be `null` or missing (→ empty string).
pub(crate) fn string_or_empty<'de, D>(deserializer: D) -> Result<String, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_default())
}

/// An array of strings that never fails: `null` → empty, `null` elements are
/// dropped, numbers/booleans become their JSON text, nested objects their
/// compact JSON, and a lone scalar becomes a one-element list.
///
/// `Message.MessageArgs` is declared as strings, but services put numbers there
/// (the percentage of `TaskEvent.TaskProgressChanged`), and a message must never
/// make the task carrying it undecodable.
pub(crate) fn lenient_strings<'de, D>(deserializer: D) -> Result<Vec<String>, D::Error>
where
    D: Deserializer<'de>,
{
    let value = Option::<Value>::deserialize(deserializer)?;
    Ok(match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().filter_map(scalar_text).collect(),
        Some(other) => scalar_text(&other).into_iter().collect(),
    })
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// A percentage that never fails: integers, floats and strings such as `"45"` or
/// `"45%"` are accepted and clamped to 0–100; anything else (including negative
/// numbers, which some BMCs use for "unknown") is `None`.
pub(crate) fn lenient_percent<'de, D>(deserializer: D) -> Result<Option<u8>, D::Error>
where
    D: Deserializer<'de>,
{
    let value = Option::<Value>::deserialize(deserializer)?;
    Ok(value.as_ref().and_then(percent_from_value))
}

fn percent_from_value(value: &Value) -> Option<u8> {
    let number = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().trim_end_matches('%').trim().parse::<f64>().ok()?,
        _ => return None,
    };
    if !number.is_finite() || number < 0.0 {
        return None;
    }
    // In range 0..=100 after `min`, so the cast cannot truncate.
    Some(number.min(100.0).round() as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "lenient_percent")]
        percent: Option<u8>,
        #[serde(default, deserialize_with = "lenient_strings")]
        args: Vec<String>,
        #[serde(default, deserialize_with = "vec_skip_nulls")]
        items: Vec<u32>,
        #[serde(default, deserialize_with = "string_or_empty")]
        id: String,
    }

    fn probe(json: &str) -> Probe {
        serde_json::from_str(json).expect(json)
    }

    #[test]
    fn percent_accepts_numbers_strings_and_clamps() {
        let cases: &[(&str, Option<u8>)] = &[
            (r##"{"percent": 45}"##, Some(45)),
            (r##"{"percent": 45.6}"##, Some(46)),
            (r##"{"percent": "45"}"##, Some(45)),
            (r##"{"percent": " 45 % "}"##, Some(45)),
            (r##"{"percent": 250}"##, Some(100)),
            (r##"{"percent": -1}"##, None),
            (r##"{"percent": "n/a"}"##, None),
            (r##"{"percent": true}"##, None),
            (r##"{"percent": null}"##, None),
            (r##"{}"##, None),
        ];
        for (json, want) in cases {
            assert_eq!(probe(json).percent, *want, "{json}");
        }
    }

    #[test]
    fn strings_accept_scalars_and_null() {
        assert_eq!(
            probe(r##"{"args": ["0", 20, true, null, {"a": 1}]}"##).args,
            ["0", "20", "true", r##"{"a":1}"##]
        );
        assert_eq!(
            probe(r##"{"args": "/redfish/v1/TaskService/Tasks/1"}"##)
                .args
                .len(),
            1
        );
        assert!(probe(r##"{"args": null}"##).args.is_empty());
    }

    #[test]
    fn vectors_and_strings_treat_null_as_empty() {
        let p = probe(r##"{"items": [1, null, 3], "id": null}"##);
        assert_eq!(p.items, [1, 3]);
        assert_eq!(p.id, "");
        assert!(probe(r##"{"items": null}"##).items.is_empty());
    }
}

//! `manifest.toml` ⇄ entries.
//!
//! The raw structs mirror the file and keep the span of every value that a
//! later rule can reject, so each error names the line of the offending key,
//! not only the entry. Unknown keys are errors: a misspelt `min_from_version`
//! silently ignored would let an image skip its upgrade path.

use super::entry::{AddSpec, Entry, FieldError, Key, Prerequisite};
use super::error::ManifestError;
use crate::version::VersionScheme;
use crate::vocab::Kind;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;

/// Written at the top of every manifest fwfleet writes.
const HEADER: &str = "\
# fwfleet image repository manifest: one [[images]] table per image file.
# fwfleet rewrites this file when images are added or removed, and comments
# are not kept: write remarks in an entry's `notes`.

";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    #[serde(default)]
    images: Vec<RawEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    file: Spanned<String>,
    sha256: Spanned<String>,
    size: u64,
    kind: Spanned<String>,
    #[serde(default)]
    software_id: Option<Spanned<String>>,
    #[serde(default, rename = "match")]
    match_regex: Option<Spanned<String>>,
    #[serde(default)]
    manufacturers: Vec<Spanned<String>>,
    #[serde(default)]
    models: Vec<Spanned<String>>,
    version: Spanned<String>,
    #[serde(default)]
    version_scheme: Option<Spanned<String>>,
    #[serde(default)]
    min_from_version: Option<Spanned<String>>,
    #[serde(default)]
    prerequisites: Vec<RawPrerequisite>,
    #[serde(default)]
    method: Option<Spanned<String>>,
    #[serde(default)]
    apply_time: Option<Spanned<String>>,
    #[serde(default)]
    allow_downgrade: bool,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    software_ids: Vec<Spanned<String>>,
    #[serde(default)]
    pci_ids: Vec<Spanned<String>>,
    #[serde(default)]
    system_ids: Vec<Spanned<String>>,
    #[serde(default)]
    criticality: Option<Spanned<String>>,
    #[serde(default)]
    reboot_required: Option<bool>,
    #[serde(default)]
    disruption: Option<Spanned<String>>,
    #[serde(default)]
    release_date: Option<Spanned<String>>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    vendor_hash: Option<Spanned<String>>,
    #[serde(default)]
    vendor_hash_kind: Option<Spanned<String>>,
    #[serde(default)]
    signature: Option<Spanned<String>>,
    #[serde(default)]
    needs_vendor_tool: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrerequisite {
    kind: Spanned<String>,
    min_version: Spanned<String>,
}

/// Reads and checks manifest `text` that came from `path` (used in errors).
pub(crate) fn parse(path: &Path, text: &str) -> Result<Vec<Entry>, ManifestError> {
    let headers = Headers::scan(text);
    let raw: RawManifest =
        toml::from_str(text).map_err(|e| toml_error(path, text, &headers, &e))?;
    // Header lines locate entries only when every entry has one (not with an
    // inline `images = [...]` array).
    let entry_lines = (headers.entries.len() == raw.images.len()).then_some(&headers.entries);

    let mut entries: Vec<Entry> = Vec::with_capacity(raw.images.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, r) in raw.images.iter().enumerate() {
        let fail = |e: FieldError| ManifestError {
            path: path.to_path_buf(),
            line: span_of(r, e.key)
                .map(|s| line_at(text, s.start))
                .or_else(|| entry_lines.map(|l| l[i])),
            key: Some(format!("images[{i}].{}", e.key)),
            message: e.message,
        };
        let entry = to_entry(r).and_then(Entry::prepare).map_err(fail)?;
        if let Some(first) = seen.insert(entry.file.clone(), i) {
            return Err(fail(FieldError {
                key: Key::Field("file"),
                message: format!(
                    "`{}` is already listed as images[{first}]\n  list each file once; one entry can name several models",
                    entry.file
                ),
            }));
        }
        entries.push(entry);
    }
    Ok(entries)
}

/// The manifest text for `entries`.
pub(crate) fn render(entries: &[Entry]) -> Result<String, toml::ser::Error> {
    #[derive(Serialize)]
    struct Out<'a> {
        images: &'a [Entry],
    }
    Ok(format!(
        "{HEADER}{}",
        toml::to_string(&Out { images: entries })?
    ))
}

/// The text fields read into types; the rules proper are in `Entry::prepare`.
fn to_entry(r: &RawEntry) -> Result<Entry, FieldError> {
    let field = |key: &'static str| {
        move |message: String| FieldError {
            key: Key::Field(key),
            message,
        }
    };
    let kind: Kind = r.kind.get_ref().parse().map_err(field("kind"))?;
    let version_scheme = r
        .version_scheme
        .as_ref()
        .map(|s| s.get_ref().parse::<VersionScheme>())
        .transpose()
        .map_err(|e| field("version_scheme")(e.to_string()))?;
    let method = r
        .method
        .as_ref()
        .map(|s| s.get_ref().parse())
        .transpose()
        .map_err(field("method"))?;
    let apply_time = r
        .apply_time
        .as_ref()
        .map(|s| s.get_ref().parse())
        .transpose()
        .map_err(field("apply_time"))?;
    let mut prerequisites = Vec::with_capacity(r.prerequisites.len());
    for (i, p) in r.prerequisites.iter().enumerate() {
        let kind = p.kind.get_ref().parse().map_err(|message| FieldError {
            key: Key::Prerequisite(i, "kind"),
            message,
        })?;
        prerequisites.push(Prerequisite {
            kind,
            min_version: p.min_version.get_ref().clone(),
        });
    }
    let mut pci_ids = Vec::with_capacity(r.pci_ids.len());
    for (i, p) in r.pci_ids.iter().enumerate() {
        pci_ids.push(p.get_ref().parse().map_err(|message| FieldError {
            key: Key::Item("pci_ids", i),
            message,
        })?);
    }
    let criticality = r
        .criticality
        .as_ref()
        .map(|s| s.get_ref().parse())
        .transpose()
        .map_err(field("criticality"))?;
    let disruption = r
        .disruption
        .as_ref()
        .map(|s| crate::vocab::Disruption::parse(s.get_ref()).map_err(|e| e.to_string()))
        .transpose()
        .map_err(field("disruption"))?;
    let vendor_hash_kind = r
        .vendor_hash_kind
        .as_ref()
        .map(|s| s.get_ref().parse())
        .transpose()
        .map_err(field("vendor_hash_kind"))?;
    let strings = |v: &[Spanned<String>]| v.iter().map(|s| s.get_ref().clone()).collect();
    let string = |v: &Option<Spanned<String>>| v.as_ref().map(|s| s.get_ref().clone());
    let spec = AddSpec {
        kind,
        version: r.version.get_ref().clone(),
        models: strings(&r.models),
        manufacturers: strings(&r.manufacturers),
        software_id: string(&r.software_id),
        match_regex: string(&r.match_regex),
        version_scheme,
        min_from_version: string(&r.min_from_version),
        method,
        apply_time,
        allow_downgrade: r.allow_downgrade,
        prerequisites,
        notes: r.notes.clone(),
        software_ids: strings(&r.software_ids),
        pci_ids,
        system_ids: strings(&r.system_ids),
        criticality,
        reboot_required: r.reboot_required,
        disruption,
        release_date: string(&r.release_date),
        source: r.source.clone(),
        needs_vendor_tool: r.needs_vendor_tool.clone(),
        vendor_hash: None,
        signature_src: None,
    };
    let mut entry = spec.into_entry(r.file.get_ref().clone(), r.sha256.get_ref().clone(), r.size);
    // Set apart from the spec: a manifest may hold one without the other,
    // which `prepare` reports by key.
    entry.vendor_hash = string(&r.vendor_hash);
    entry.vendor_hash_kind = vendor_hash_kind;
    entry.signature = string(&r.signature);
    Ok(entry)
}

/// Where in the text the value behind `key` is.
fn span_of(r: &RawEntry, key: Key) -> Option<Range<usize>> {
    let opt = |v: &Option<Spanned<String>>| v.as_ref().map(Spanned::span);
    match key {
        Key::Field("file") => Some(r.file.span()),
        Key::Field("sha256") => Some(r.sha256.span()),
        Key::Field("kind") => Some(r.kind.span()),
        Key::Field("software_id") => opt(&r.software_id),
        Key::Field("match") => opt(&r.match_regex),
        Key::Field("version") => Some(r.version.span()),
        Key::Field("version_scheme") => opt(&r.version_scheme),
        Key::Field("min_from_version") => opt(&r.min_from_version),
        Key::Field("method") => opt(&r.method),
        Key::Field("apply_time") => opt(&r.apply_time),
        Key::Field("criticality") => opt(&r.criticality),
        Key::Field("disruption") => opt(&r.disruption),
        Key::Field("release_date") => opt(&r.release_date),
        Key::Field("vendor_hash") => opt(&r.vendor_hash),
        Key::Field("vendor_hash_kind") => opt(&r.vendor_hash_kind),
        Key::Field("signature") => opt(&r.signature),
        Key::Item("software_ids", i) => r.software_ids.get(i).map(Spanned::span),
        Key::Item("pci_ids", i) => r.pci_ids.get(i).map(Spanned::span),
        Key::Item("system_ids", i) => r.system_ids.get(i).map(Spanned::span),
        Key::Item("models", i) => r.models.get(i).map(Spanned::span),
        Key::Item("manufacturers", i) => r.manufacturers.get(i).map(Spanned::span),
        Key::Field("models") => r.models.first().map(Spanned::span),
        Key::Field("manufacturers") => r.manufacturers.first().map(Spanned::span),
        Key::Prerequisite(i, "kind") => r.prerequisites.get(i).map(|p| p.kind.span()),
        Key::Prerequisite(i, "min_version") => r.prerequisites.get(i).map(|p| p.min_version.span()),
        _ => None,
    }
}

/// A TOML syntax or shape error, located by its span and, when the span is
/// inside an `[[images]]` table, named by the entry it is in.
fn toml_error(path: &Path, text: &str, headers: &Headers, e: &toml::de::Error) -> ManifestError {
    let offset = e.span().map(|s| s.start);
    let entry = offset.and_then(|o| headers.entry_at(o));
    let message = e.message().trim_end().to_owned();
    let field = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|p| message.strip_prefix(p))
        .and_then(|rest| rest.split('`').next())
        .filter(|f| !f.is_empty());
    // A prerequisite's unknown field: serde lists what it expected.
    let in_prerequisite = message.contains("expected `kind` or `min_version`");
    let field = field.or_else(|| offset.and_then(|o| key_on_line(text, o)));
    let key = match (entry, field) {
        (Some(i), Some(_)) if in_prerequisite => Some(format!("images[{i}].prerequisites")),
        (Some(i), Some(f)) => Some(format!("images[{i}].{f}")),
        (Some(i), None) => Some(format!("images[{i}]")),
        (None, Some(f)) => Some(f.to_owned()),
        (None, None) => None,
    };
    let hint = if message.starts_with("unknown field") {
        "\n  check the spelling against the accepted keys"
    } else {
        "\n  fix the manifest and run the command again"
    };
    ManifestError {
        path: path.to_path_buf(),
        line: offset.map(|o| line_at(text, o)),
        key,
        message: format!("{message}{hint}"),
    }
}

/// The bare key of a `key = value` line when `offset` is in its value, so a
/// bad value (`size = -1`) is named by its key, not only its entry.
fn key_on_line(text: &str, offset: usize) -> Option<&str> {
    let offset = offset.min(text.len());
    let start = text.as_bytes()[..offset]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    let line = text[start..].lines().next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    let after_eq = start + line.find('=')? < offset;
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    (after_eq && bare).then_some(key)
}

/// 1-based line of byte `offset`.
fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The table headers of a manifest, found by a line scan. Only used to name
/// the entry an error is in, so a header inside a multi-line string fooling
/// it costs a less precise message, nothing more.
#[derive(Debug, Default)]
struct Headers {
    /// The 1-based line of each `[[images]]` header, in order.
    entries: Vec<usize>,
    /// Every table header: where it starts and which entry it belongs to
    /// (`[[images.prerequisites]]` belongs to the entry before it; any other
    /// table to none).
    tables: Vec<(usize, Option<usize>)>,
}

impl Headers {
    fn scan(text: &str) -> Headers {
        let mut h = Headers::default();
        let mut offset = 0;
        for (n, line) in text.split_inclusive('\n').enumerate() {
            let t = line.trim_start();
            if t.starts_with('[') {
                let inner = t.trim_start_matches('[');
                let inner = inner.split(']').next().unwrap_or("");
                let name: Vec<&str> = inner.split('.').map(str::trim).collect();
                let owner = if name == ["images"] && t.starts_with("[[") {
                    h.entries.push(n + 1);
                    Some(h.entries.len() - 1)
                } else if name.first() == Some(&"images") && name.len() > 1 {
                    h.entries.len().checked_sub(1)
                } else {
                    None
                };
                h.tables.push((offset, owner));
            }
            offset += line.len();
        }
        h
    }

    /// Index of the entry whose table holds byte `offset`.
    fn entry_at(&self, offset: usize) -> Option<usize> {
        self.tables
            .iter()
            .rev()
            .find(|(start, _)| *start <= offset)
            .and_then(|(_, owner)| *owner)
    }
}

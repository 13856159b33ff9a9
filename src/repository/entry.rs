//! [`Entry`]: one image and the components it applies to; [`AddSpec`]: what
//! a caller states about an image it adds.
//!
//! Entries from the manifest and from `add` go through the same
//! [`Entry::prepare`], so a rule (a glob must compile, a version must be
//! readable under its scheme) cannot hold for one path and not the other.

use crate::inventory::model::Component;
use crate::version::VersionScheme;
use crate::vocab::{ApplyTime, Kind, Method};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex_automata::meta::Regex;
use regex_automata::util::syntax;
use serde::Serialize;
use std::fmt;
use std::path::{Component as PathPart, Path, PathBuf};

use super::MANIFEST;

/// Another component that must be at a version before this image may be
/// applied, e.g. a BMC at least 5.10 before a BIOS that relies on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Prerequisite {
    pub kind: Kind,
    pub min_version: String,
}

/// One image in the repository. Field names are the manifest keys (and the
/// JSON of a repository listing), so they are a stable interface.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Path relative to the repository directory, `/`-separated, without `.`
    /// or `..` parts.
    pub file: String,
    /// Lowercase hex.
    pub sha256: String,
    pub size: u64,
    pub kind: Kind,
    /// When both this and the component have one, they must be equal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub software_id: Option<String>,
    /// A regex that the component's name, id or identity must match.
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    pub match_regex: Option<String>,
    /// Globs on the system manufacturer; empty = any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub manufacturers: Vec<String>,
    /// Globs on the system model; empty = any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<String>,
    /// The version the component reports once this image is applied.
    pub version: String,
    /// How to read `version` (and the component's version) when the shape
    /// alone is ambiguous; overrides what the BMC states.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_scheme: Option<VersionScheme>,
    /// The image may only be applied on top of this version or newer: the
    /// vendor's upgrade path goes through it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_from_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<Method>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply_time: Option<ApplyTime>,
    /// Whether this image may replace a newer version. Never implied.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub allow_downgrade: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Last, because TOML writes arrays of tables after the plain keys.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prerequisites: Vec<Prerequisite>,
    /// Compiled from the fields above by `prepare`; private so the two
    /// cannot drift apart.
    #[serde(skip)]
    matchers: Matchers,
}

#[derive(Debug, Clone, Default)]
struct Matchers {
    /// `None` = no restriction.
    manufacturers: Option<GlobSet>,
    models: Option<GlobSet>,
    regex: Option<Regex>,
}

/// Where in an entry a problem is, so the manifest reader can point at the
/// line and the `add` path can name the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    Field(&'static str),
    Item(&'static str, usize),
    Prerequisite(usize, &'static str),
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Field(k) => f.write_str(k),
            Key::Item(k, i) => write!(f, "{k}[{i}]"),
            Key::Prerequisite(i, k) => write!(f, "prerequisites[{i}].{k}"),
        }
    }
}

/// A rule an entry breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldError {
    pub key: Key,
    pub message: String,
}

fn bad(key: Key, message: impl Into<String>) -> FieldError {
    FieldError {
        key,
        message: message.into(),
    }
}

/// What a caller states about an image it adds; the file name, hash and size
/// come from the file itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddSpec {
    pub kind: Kind,
    pub version: String,
    pub models: Vec<String>,
    pub manufacturers: Vec<String>,
    pub software_id: Option<String>,
    /// The manifest's `match`.
    pub match_regex: Option<String>,
    pub version_scheme: Option<VersionScheme>,
    pub min_from_version: Option<String>,
    pub method: Option<Method>,
    pub apply_time: Option<ApplyTime>,
    pub allow_downgrade: bool,
    pub prerequisites: Vec<Prerequisite>,
    pub notes: Option<String>,
}

impl AddSpec {
    /// An image of `kind` at `version` that applies to any model.
    pub fn new(kind: Kind, version: impl Into<String>) -> AddSpec {
        AddSpec {
            kind,
            version: version.into(),
            models: Vec::new(),
            manufacturers: Vec::new(),
            software_id: None,
            match_regex: None,
            version_scheme: None,
            min_from_version: None,
            method: None,
            apply_time: None,
            allow_downgrade: false,
            prerequisites: Vec::new(),
            notes: None,
        }
    }

    /// The entry this spec describes for a file already hashed; the manifest
    /// reader builds its entries this way too. Not yet checked: `prepare`
    /// must run before the entry is used.
    pub(crate) fn into_entry(self, file: String, sha256: String, size: u64) -> Entry {
        Entry {
            file,
            sha256,
            size,
            kind: self.kind,
            software_id: self.software_id,
            match_regex: self.match_regex,
            manufacturers: self.manufacturers,
            models: self.models,
            version: self.version,
            version_scheme: self.version_scheme,
            min_from_version: self.min_from_version,
            method: self.method,
            apply_time: self.apply_time,
            allow_downgrade: self.allow_downgrade,
            notes: self.notes,
            prerequisites: self.prerequisites,
            matchers: Matchers::default(),
        }
    }
}

impl Entry {
    /// Checks every rule and compiles the matchers. All matching is
    /// case-insensitive: BMCs of one vendor write `BIOS`, `Bios` and `bios`.
    pub(crate) fn prepare(mut self) -> Result<Entry, FieldError> {
        self.file = normalise_file(&self.file).map_err(|m| bad(Key::Field("file"), m))?;
        let sha = self.sha256.trim();
        if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad(
                Key::Field("sha256"),
                format!(
                    "`{sha}` is not a SHA-256 digest; write the 64 hex digits `sha256sum` prints"
                ),
            ));
        }
        self.sha256 = sha.to_ascii_lowercase();
        if let Some(id) = &self.software_id {
            if id.trim().is_empty() {
                return Err(bad(
                    Key::Field("software_id"),
                    "empty; omit the key to match any SoftwareId",
                ));
            }
        }
        if let Some(pattern) = &self.match_regex {
            self.matchers.regex =
                Some(compile_regex(pattern).map_err(|m| bad(Key::Field("match"), m))?);
        }
        self.matchers.manufacturers = compile_globs("manufacturers", &self.manufacturers)?;
        self.matchers.models = compile_globs("models", &self.models)?;
        check_version(Key::Field("version"), &self.version, self.version_scheme)?;
        if let Some(from) = &self.min_from_version {
            check_version(Key::Field("min_from_version"), from, self.version_scheme)?;
        }
        for (i, pre) in self.prerequisites.iter().enumerate() {
            if pre.kind == self.kind {
                return Err(bad(
                    Key::Prerequisite(i, "kind"),
                    format!(
                        "a {} image cannot require a {} version; write that as `min_from_version`",
                        self.kind, pre.kind
                    ),
                ));
            }
            // The other component's scheme is unknown here: read by shape.
            check_version(Key::Prerequisite(i, "min_version"), &pre.min_version, None)?;
        }
        Ok(self)
    }

    /// Whether this image is for `component` on a system by `manufacturer`
    /// of `model`. Only identity is checked here; versions, upgrade paths and
    /// prerequisites are the planner's business, because it has to say why.
    ///
    /// A restricted entry never applies when the system's manufacturer or
    /// model is unknown: flashing a BIOS built for another board bricks it.
    pub fn applies_to(
        &self,
        component: &Component,
        manufacturer: Option<&str>,
        model: Option<&str>,
    ) -> bool {
        if self.kind != component.kind {
            return false;
        }
        if let (Some(ours), Some(theirs)) = (&self.software_id, &component.software_id) {
            if !ours.trim().eq_ignore_ascii_case(theirs.trim()) {
                return false;
            }
        }
        if let Some(re) = &self.matchers.regex {
            let hit = [&component.name, &component.id, &component.identity]
                .iter()
                .any(|s| re.is_match(s.as_str()));
            if !hit {
                return false;
            }
        }
        glob_allows(self.matchers.manufacturers.as_ref(), manufacturer)
            && glob_allows(self.matchers.models.as_ref(), model)
    }
}

fn glob_allows(set: Option<&GlobSet>, value: Option<&str>) -> bool {
    match (set, value) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(set), Some(v)) => set.is_match(v.trim()),
    }
}

/// A relative path inside the repository. `..` and absolute paths are
/// refused because the image server serves whatever `file` names.
pub(crate) fn normalise_file(file: &str) -> Result<String, String> {
    let mut parts = Vec::new();
    for part in Path::new(file).components() {
        match part {
            PathPart::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            PathPart::CurDir => {}
            PathPart::ParentDir | PathPart::RootDir | PathPart::Prefix(_) => {
                return Err(format!(
                    "`{file}` leaves the repository; write a path relative to the repository directory, without `..`"
                ))
            }
        }
    }
    if parts.is_empty() {
        return Err("empty; write the image's path relative to the repository directory".into());
    }
    let joined = parts.join("/");
    if joined == MANIFEST {
        return Err(format!("`{file}` is the manifest itself, not an image"));
    }
    Ok(joined)
}

/// The path of `file` (as normalised) under `dir`.
pub(crate) fn file_path(dir: &Path, file: &str) -> PathBuf {
    file.split('/')
        .fold(dir.to_path_buf(), |p, part| p.join(part))
}

fn compile_regex(pattern: &str) -> Result<Regex, String> {
    if pattern.trim().is_empty() {
        return Err("empty pattern matches every component; omit `match` instead".into());
    }
    Regex::builder()
        .syntax(syntax::Config::new().case_insensitive(true))
        .build(pattern)
        .map_err(|e| {
            // The syntax error's own text spans several lines with a caret
            // drawing; its last line says what is wrong.
            let why = e
                .syntax_error()
                .map(|se| se.to_string())
                .and_then(|t| {
                    t.lines()
                        .last()
                        .map(|l| l.trim_start_matches("error: ").to_owned())
                })
                .unwrap_or_else(|| e.to_string());
            format!("`{pattern}` is not a valid regex: {why}")
        })
}

fn compile_globs(key: &'static str, globs: &[String]) -> Result<Option<GlobSet>, FieldError> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut set = GlobSetBuilder::new();
    for (i, g) in globs.iter().enumerate() {
        if g.trim().is_empty() {
            return Err(bad(
                Key::Item(key, i),
                "empty glob matches nothing; write a pattern such as `PowerEdge R7*`, or leave the list empty to match any",
            ));
        }
        let glob = GlobBuilder::new(g.trim())
            .case_insensitive(true)
            .build()
            .map_err(|e| {
                bad(
                    Key::Item(key, i),
                    format!("`{g}` is not a valid glob: {}", e.kind()),
                )
            })?;
        set.add(glob);
    }
    set.build()
        .map(Some)
        .map_err(|e| bad(Key::Field(key), format!("globs do not compile: {e}")))
}

fn check_version(key: Key, version: &str, scheme: Option<VersionScheme>) -> Result<(), FieldError> {
    let parsed = crate::version::parse(version, scheme);
    if parsed.is_comparable() {
        return Ok(());
    }
    let under = scheme
        .map(|s| format!(" under version scheme `{s}`"))
        .unwrap_or_default();
    Err(bad(
        key,
        format!(
            "`{version}` cannot be read as a version{under}: {}\n  write the version exactly as the BMC reports it after the update",
            parsed.note()
        ),
    ))
}

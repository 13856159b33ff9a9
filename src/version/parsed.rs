//! [`ParsedVersion`]: how one string was read.
//!
//! The typed reading (`Reading`) stays private so the comparison rules can
//! change without breaking callers; the public view is the family, the
//! components with their [`Role`] and a one-line rule, which is what an
//! operator needs to see why two strings compared the way they did.

use serde::{Serialize, Serializer};

use super::atoms::Dotted;
use super::families::{
    build_prefixed::BuildPrefixed, dotted, dotted_build::DottedBuild, git_describe::GitDescribe,
    hex::Hex, hpe_rom::HpeRom, ilo::Ilo, letter::LetterRevision, semver::SemVer,
    suffixed::Suffixed,
};
use super::scheme::VersionScheme;

/// The format a string was recognised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Family {
    /// SemVer 2.0 (`1.2.3-rc.1+b5`).
    #[serde(rename = "semver")]
    SemVer,
    /// Dot-separated integers (`5.10.00.00`, `04.04.04.053`, `238`).
    #[serde(rename = "dotted")]
    Dotted,
    /// Numbers then a build number (`52.16.3-3913`, `9.1.0 Build 36`).
    #[serde(rename = "dotted_build")]
    DottedBuild,
    /// `git describe` output (`2.15.0-dev-686-g100c36de90`).
    #[serde(rename = "git_describe")]
    GitDescribe,
    /// Leading numbers plus a suffix of unknown meaning (`1.2.3-hotfix1`).
    #[serde(rename = "suffixed")]
    Suffixed,
    /// HPE System ROM (`U46 v2.72 (03/10/2023)`, `P79 v1.45`, `1.56_11-29-2021`).
    #[serde(rename = "hpe_rom")]
    HpeRom,
    /// HPE iLO firmware with build date (`2.46 May 11 2021`).
    #[serde(rename = "ilo")]
    Ilo,
    /// One letter and a number (Dell `A17`, AMI `C27`).
    #[serde(rename = "letter_revision")]
    LetterRevision,
    /// Hexadecimal (`0x0D`).
    #[serde(rename = "hex")]
    Hex,
    /// Build prefix and version (Lenovo XCC `11A-1.02`, Cray `ex425.bios-1.6.3`).
    #[serde(rename = "build_prefixed")]
    BuildPrefixed,
    /// No known format: only an identical string compares as the same.
    #[serde(rename = "opaque")]
    Opaque,
    /// Not a version at all (empty, `N/A`, control characters, wrong scheme).
    #[serde(rename = "unparsable")]
    Unparsable,
}

impl Family {
    /// The name used in JSON, text output and `--scheme`.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::SemVer => "semver",
            Family::Dotted => "dotted",
            Family::DottedBuild => "dotted_build",
            Family::GitDescribe => "git_describe",
            Family::Suffixed => "suffixed",
            Family::HpeRom => "hpe_rom",
            Family::Ilo => "ilo",
            Family::LetterRevision => "letter_revision",
            Family::Hex => "hex",
            Family::BuildPrefixed => "build_prefixed",
            Family::Opaque => "opaque",
            Family::Unparsable => "unparsable",
        }
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a component does in a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Must be equal on both sides, or the verdict is unknown (ROM family, label).
    Match,
    /// Decides the order (version numbers, build numbers).
    Order,
    /// Consulted only when the ordering parts are equal; then it must be equal
    /// too, or the verdict is unknown (build dates, commit hashes).
    Tie,
}

impl Role {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Match => "match",
            Role::Order => "order",
            Role::Tie => "tie",
        }
    }
}

/// One named piece of a reading, e.g. `rom_family = U46 (match)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Component {
    /// What the piece is (`numbers`, `rom_family`, `date`, …).
    pub name: &'static str,
    /// The piece as read (dates normalised to `YYYY-MM-DD`).
    pub value: String,
    /// How the piece takes part in a comparison.
    pub role: Role,
}

impl Component {
    pub(crate) fn new(name: &'static str, value: impl Into<String>, role: Role) -> Self {
        Component {
            name,
            value: value.into(),
            role,
        }
    }
}

/// The typed reading the comparison works on; one variant per [`Family`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reading {
    SemVer(SemVer),
    Dotted(Dotted),
    DottedBuild(DottedBuild),
    GitDescribe(GitDescribe),
    Suffixed(Suffixed),
    HpeRom(HpeRom),
    Ilo(Ilo),
    LetterRevision(LetterRevision),
    Hex(Hex),
    BuildPrefixed(BuildPrefixed),
    /// The trimmed text, compared for exact equality.
    Opaque(String),
    /// Why the string is not a version.
    Unparsable(String),
}

impl Reading {
    pub(crate) fn family(&self) -> Family {
        match self {
            Reading::SemVer(_) => Family::SemVer,
            Reading::Dotted(_) => Family::Dotted,
            Reading::DottedBuild(_) => Family::DottedBuild,
            Reading::GitDescribe(_) => Family::GitDescribe,
            Reading::Suffixed(_) => Family::Suffixed,
            Reading::HpeRom(_) => Family::HpeRom,
            Reading::Ilo(_) => Family::Ilo,
            Reading::LetterRevision(_) => Family::LetterRevision,
            Reading::Hex(_) => Family::Hex,
            Reading::BuildPrefixed(_) => Family::BuildPrefixed,
            Reading::Opaque(_) => Family::Opaque,
            Reading::Unparsable(_) => Family::Unparsable,
        }
    }

    fn components(&self) -> Vec<Component> {
        match self {
            Reading::SemVer(v) => v.components(),
            Reading::Dotted(d) => vec![Component::new("numbers", d.to_string(), Role::Order)],
            Reading::DottedBuild(v) => v.components(),
            Reading::GitDescribe(v) => v.components(),
            Reading::Suffixed(v) => v.components(),
            Reading::HpeRom(v) => v.components(),
            Reading::Ilo(v) => v.components(),
            Reading::LetterRevision(v) => v.components(),
            Reading::Hex(v) => v.components(),
            Reading::BuildPrefixed(v) => v.components(),
            Reading::Opaque(t) => vec![Component::new("text", t.clone(), Role::Match)],
            Reading::Unparsable(_) => Vec::new(),
        }
    }

    /// The family's ordering rule, or why the string is not a version.
    fn note(&self) -> &str {
        use super::families::{
            build_prefixed, dotted_build, git_describe, hex, hpe_rom, ilo, letter, semver, suffixed,
        };
        match self {
            Reading::SemVer(_) => semver::RULE,
            Reading::Dotted(_) => dotted::RULE,
            Reading::DottedBuild(_) => dotted_build::RULE,
            Reading::GitDescribe(_) => git_describe::RULE,
            Reading::Suffixed(_) => suffixed::RULE,
            Reading::HpeRom(_) => hpe_rom::RULE,
            Reading::Ilo(_) => ilo::RULE,
            Reading::LetterRevision(_) => letter::RULE,
            Reading::Hex(_) => hex::RULE,
            Reading::BuildPrefixed(_) => build_prefixed::RULE,
            Reading::Opaque(_) => "no known format: only an identical string compares as same",
            Reading::Unparsable(why) => why,
        }
    }
}

/// How one version string was read. Build it with [`super::parse`].
///
/// Serialises as
/// `{"input","scheme","family","comparable","components","note"}`, where
/// `note` is the family's ordering rule, or why the string is not a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedVersion {
    pub(crate) input: String,
    pub(crate) scheme: Option<VersionScheme>,
    /// A leading label such as `iLO 5` in `iLO 5 : 3.02 Feb 22 2024`,
    /// whitespace collapsed. It names what the version belongs to, so it must
    /// match for any verdict: `iLO 5` and `iLO 6` versions are not comparable.
    pub(crate) label: Option<String>,
    pub(crate) reading: Reading,
}

impl ParsedVersion {
    /// The string exactly as given.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// The scheme the string was read under, if any.
    pub fn scheme(&self) -> Option<VersionScheme> {
        self.scheme
    }

    /// The label in front of the version (`iLO 5`, `System ROM`, `IPAD`).
    pub fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }

    /// The family the string was recognised as.
    pub fn family(&self) -> Family {
        self.reading.family()
    }

    /// False for strings that are not versions; they compare as unknown even
    /// with themselves.
    pub fn is_comparable(&self) -> bool {
        !matches!(self.reading, Reading::Unparsable(_))
    }

    /// The pieces read, label first; empty when the string is not a version.
    pub fn components(&self) -> Vec<Component> {
        let mut out = Vec::new();
        if let Some(label) = &self.label {
            out.push(Component::new("label", label.clone(), Role::Match));
        }
        out.extend(self.reading.components());
        out
    }

    /// The family's ordering rule, or why the string is not a version.
    pub fn note(&self) -> &str {
        self.reading.note()
    }
}

#[derive(Serialize)]
struct View<'a> {
    input: &'a str,
    scheme: Option<VersionScheme>,
    family: Family,
    comparable: bool,
    components: Vec<Component>,
    note: &'a str,
}

impl Serialize for ParsedVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        View {
            input: &self.input,
            scheme: self.scheme,
            family: self.family(),
            comparable: self.is_comparable(),
            components: self.components(),
            note: self.note(),
        }
        .serialize(serializer)
    }
}

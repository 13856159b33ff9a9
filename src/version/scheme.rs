//! [`VersionScheme`]: how the caller says a string must be read.
//!
//! Redfish `SoftwareInventory.VersionScheme` (v1.9+) has three values:
//! `SemVer`, `DotIntegerNotation` and `OEM`. When a BMC states one of the first
//! two we read strictly by it, because a string that breaks the stated format
//! is a BMC bug, and reading it some other way would be a guess (one
//! exception: `git describe` output such as `2.8.2-20-gfc1389898` stays git
//! output under `SemVer`, see `families::read_as`). `OEM` only
//! says "vendor format", so it reads like no scheme at all. The remaining
//! values name our own families so an operator can force a reading
//! (`--scheme hex` for a bare `0D`, `--scheme opaque` for plain equality).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::parsed::Family;

/// A requested reading; see the module docs for what each value does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum VersionScheme {
    /// Redfish `SemVer`: SemVer 2.0, pre-release and build metadata included.
    SemVer,
    /// Redfish `DotIntegerNotation`: `^\d+(\.\d+)*$`, leading zeros ignored.
    DotIntegerNotation,
    /// Redfish `OEM`: vendor-defined, recognised from its shape.
    Oem,
    /// `1.2.3-45` or `9.1.0 Build 36`: numbers, then a build number.
    DottedBuild,
    /// `git describe` output: `2.8.2-20-gfc1389898`.
    GitDescribe,
    /// Leading numbers plus a suffix whose meaning is unknown: `1.2.3-hotfix1`.
    Suffixed,
    /// HPE System ROM: `U46 v2.72 (03/10/2023)`.
    HpeRom,
    /// HPE iLO firmware: `2.46 May 11 2021`.
    Ilo,
    /// One letter and a number: Dell `A17`, AMI `C27`.
    LetterRevision,
    /// Hexadecimal: `0x0D`; under this scheme a bare `0D` is accepted too.
    Hex,
    /// `<build>-<version>`: Lenovo XCC `11A-1.02`.
    BuildPrefixed,
    /// Equality only, like fwupd's "plain" format.
    Opaque,
}

/// Every accepted spelling, canonical first; matched case-insensitively with
/// `-` and `_` treated alike.
const NAMES: &[(&str, VersionScheme)] = &[
    ("semver", VersionScheme::SemVer),
    ("dotted", VersionScheme::DotIntegerNotation),
    ("dotintegernotation", VersionScheme::DotIntegerNotation),
    ("oem", VersionScheme::Oem),
    ("dotted_build", VersionScheme::DottedBuild),
    ("git_describe", VersionScheme::GitDescribe),
    ("git", VersionScheme::GitDescribe),
    ("suffixed", VersionScheme::Suffixed),
    ("hpe_rom", VersionScheme::HpeRom),
    ("ilo", VersionScheme::Ilo),
    ("letter_revision", VersionScheme::LetterRevision),
    ("letter", VersionScheme::LetterRevision),
    ("hex", VersionScheme::Hex),
    ("build_prefixed", VersionScheme::BuildPrefixed),
    ("lenovo", VersionScheme::BuildPrefixed),
    ("opaque", VersionScheme::Opaque),
];

impl VersionScheme {
    /// Every value, in the order the help text lists them.
    pub const ALL: [VersionScheme; 12] = [
        VersionScheme::SemVer,
        VersionScheme::DotIntegerNotation,
        VersionScheme::Oem,
        VersionScheme::DottedBuild,
        VersionScheme::GitDescribe,
        VersionScheme::Suffixed,
        VersionScheme::HpeRom,
        VersionScheme::Ilo,
        VersionScheme::LetterRevision,
        VersionScheme::Hex,
        VersionScheme::BuildPrefixed,
        VersionScheme::Opaque,
    ];

    /// The canonical name, as `--scheme` takes it and JSON prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            VersionScheme::SemVer => "semver",
            VersionScheme::DotIntegerNotation => "dotted",
            VersionScheme::Oem => "oem",
            VersionScheme::DottedBuild => "dotted_build",
            VersionScheme::GitDescribe => "git_describe",
            VersionScheme::Suffixed => "suffixed",
            VersionScheme::HpeRom => "hpe_rom",
            VersionScheme::Ilo => "ilo",
            VersionScheme::LetterRevision => "letter_revision",
            VersionScheme::Hex => "hex",
            VersionScheme::BuildPrefixed => "build_prefixed",
            VersionScheme::Opaque => "opaque",
        }
    }

    /// The single family this scheme forces, if it forces one. `Oem` forces
    /// none: it means "recognise the vendor format".
    pub(crate) fn forced_family(self) -> Option<Family> {
        match self {
            VersionScheme::SemVer => Some(Family::SemVer),
            VersionScheme::DotIntegerNotation => Some(Family::Dotted),
            VersionScheme::Oem => None,
            VersionScheme::DottedBuild => Some(Family::DottedBuild),
            VersionScheme::GitDescribe => Some(Family::GitDescribe),
            VersionScheme::Suffixed => Some(Family::Suffixed),
            VersionScheme::HpeRom => Some(Family::HpeRom),
            VersionScheme::Ilo => Some(Family::Ilo),
            VersionScheme::LetterRevision => Some(Family::LetterRevision),
            VersionScheme::Hex => Some(Family::Hex),
            VersionScheme::BuildPrefixed => Some(Family::BuildPrefixed),
            VersionScheme::Opaque => Some(Family::Opaque),
        }
    }
}

impl fmt::Display for VersionScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `--scheme` value (or manifest field) that names no scheme.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown version scheme `{given}`\n  accepted (any case): {}",
    accepted()
)]
pub struct ParseSchemeError {
    /// The text that was given, trimmed.
    pub given: String,
}

fn accepted() -> String {
    let mut out = String::new();
    for (i, (name, _)) in NAMES.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(name);
    }
    out
}

impl FromStr for VersionScheme {
    type Err = ParseSchemeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key: String = s
            .trim()
            .chars()
            .map(|c| {
                if c == '-' {
                    '_'
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect();
        NAMES
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, scheme)| *scheme)
            .ok_or_else(|| ParseSchemeError {
                given: s.trim().to_owned(),
            })
    }
}

impl TryFrom<String> for VersionScheme {
    type Error = ParseSchemeError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<VersionScheme> for String {
    fn from(s: VersionScheme) -> String {
        s.as_str().to_owned()
    }
}

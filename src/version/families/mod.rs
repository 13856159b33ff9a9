//! One reader per vendor format.
//!
//! Each file owns a format's shape (`parse`), its ordering (`judge`), its
//! components for display and a one-line `RULE`. Adding a format means adding
//! a file here, a [`Family`] variant and a line in [`recognise`].
//!
//! Family map:
//!
//! - `dotted`: `5.10.00.00`, `04.04.04.053`, `238` (Redfish `DotIntegerNotation`).
//! - `dotted_build`: `52.16.3-3913`, `9.1.0 Build 36` — the number after the
//!   numbers is a build number, as HPE and Cray FAS use it.
//! - `semver`: SemVer 2.0 via the `semver` crate when declared; without a
//!   scheme, numbers with a pre-release word (`1.0.0-rc1`, `2.1-beta.2`).
//! - `git_describe`: OpenBMC `2.15.0-dev-686-g100c36de90`, also under
//!   `VersionScheme: SemVer` (SemVer would call it a pre-release).
//! - `suffixed`: numbers plus a suffix we cannot interpret (`1.2.3-hotfix1`).
//! - `hpe_rom`: `U46 v2.72 (03/10/2023)`, `P79 v1.45`, `1.56_11-29-2021`.
//! - `ilo`: `2.46 May 11 2021`.
//! - `letter`: Dell `A17`, AMI `C27`.
//! - `hex`: `0x0D`.
//! - `build_prefixed`: Lenovo XCC `11A-1.02`, Cray `ex425.bios-1.6.3`.

use super::parsed::{Family, Reading};

pub(crate) mod build_prefixed;
pub(crate) mod dotted;
pub(crate) mod dotted_build;
pub(crate) mod git_describe;
pub(crate) mod hex;
pub(crate) mod hpe_rom;
pub(crate) mod ilo;
pub(crate) mod letter;
pub(crate) mod semver;
pub(crate) mod suffixed;

/// Recognises a vendor format from the shape of `text` (already trimmed and
/// free of control characters), or `None` when no reader claims it.
///
/// Order matters where shapes overlap; the most specific reader goes first:
/// `52.16.3-3913` is a dotted build before it is a SemVer pre-release,
/// `2.8.2-20-gfc1389898` is git output before it is a suffixed version, and a
/// SemVer pre-release is only recognised without a scheme when its tag starts
/// with `alpha`, `beta`, `rc`, `pre` or `dev` (`rc.1`, `rc1`, `beta`), so
/// `1.2.3-hotfix1` is never read as older than `1.2.3`.
pub(crate) fn recognise(text: &str) -> Option<Reading> {
    None.or_else(|| hex::parse(text).map(Reading::Hex))
        .or_else(|| dotted::parse(text).map(Reading::Dotted))
        .or_else(|| dotted_build::parse(text).map(Reading::DottedBuild))
        .or_else(|| git_describe::parse(text).map(Reading::GitDescribe))
        .or_else(|| hpe_rom::parse(text).map(Reading::HpeRom))
        .or_else(|| ilo::parse(text).map(Reading::Ilo))
        .or_else(|| letter::parse(text).map(Reading::LetterRevision))
        .or_else(|| semver::parse_recognised(text).map(Reading::SemVer))
        .or_else(|| build_prefixed::parse(text).map(Reading::BuildPrefixed))
        .or_else(|| suffixed::parse(text).map(Reading::Suffixed))
}

/// Reads `text` as exactly `family`, as a forcing scheme demands. Strict where
/// Redfish defines the format (SemVer, DotIntegerNotation), and a little more
/// accepting than [`recognise`] where the operator has vouched for the format
/// (a bare `0D` under `hex`, any SemVer pre-release under `semver`).
///
/// One exception: `git describe` output stays git output under `SemVer`.
/// It is valid SemVer (`2.8.2-20-gfc1389898` has the pre-release
/// `20-gfc1389898`), but it names a build 20 commits *after* tag 2.8.2, so
/// the SemVer reading would plan a downgrade to 2.8.2 as an upgrade.
pub(crate) fn read_as(family: Family, text: &str) -> Option<Reading> {
    match family {
        Family::SemVer => git_describe::parse(text)
            .map(Reading::GitDescribe)
            .or_else(|| semver::parse_strict(text).map(Reading::SemVer)),
        Family::Dotted => dotted::parse_strict(text).map(Reading::Dotted),
        Family::DottedBuild => dotted_build::parse(text).map(Reading::DottedBuild),
        Family::GitDescribe => git_describe::parse(text).map(Reading::GitDescribe),
        Family::Suffixed => suffixed::parse(text).map(Reading::Suffixed),
        Family::HpeRom => hpe_rom::parse(text).map(Reading::HpeRom),
        Family::Ilo => ilo::parse(text).map(Reading::Ilo),
        Family::LetterRevision => letter::parse(text).map(Reading::LetterRevision),
        Family::Hex => hex::parse_forced(text).map(Reading::Hex),
        Family::BuildPrefixed => build_prefixed::parse(text).map(Reading::BuildPrefixed),
        Family::Opaque => Some(Reading::Opaque(text.to_owned())),
        Family::Unparsable => None,
    }
}

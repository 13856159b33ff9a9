//! Version strings in each vendor's own style, and how to make a newer one.
//!
//! Real fleets report `2.46 May 11 2021`, `U46 v2.72 (03/10/2023)`, `0x0D`,
//! `7.00.00.00` and `2.15.0-dev-686-g100c36de90` side by side. The mock keeps
//! each component's style so that a fleet's versions, and the newer images
//! `make-images` writes for it, look like what that vendor really ships.

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How far `bump` moves a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bump {
    Patch,
    Minor,
    Major,
}

impl FromStr for Bump {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "patch" => Ok(Bump::Patch),
            "minor" => Ok(Bump::Minor),
            "major" => Ok(Bump::Major),
            _ => Err(format!(
                "unknown bump '{s}'; expected patch, minor or major"
            )),
        }
    }
}

/// A vendor's version format. Serialised into `/mock/state` so that tools
/// (and `make-images`) can produce newer versions from a running fleet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "style", rename_all = "kebab-case")]
pub enum VersionStyle {
    /// Dot-separated integers, each part zero-padded to its width
    /// (`2.14.1`, `7.00.00.00`, `25.5.7.0005`).
    Dotted { widths: Vec<usize> },
    /// Dotted integers plus a build number (`52.16.3-3913`).
    DottedBuild { widths: Vec<usize> },
    /// HPE System ROM: family, `v<major>.<minor>` and a release date.
    HpeRom { family: String },
    /// HPE iLO firmware: `<major>.<minor> <Mon> <dd> <yyyy>`.
    IloDate,
    /// A hexadecimal revision (`0x0D`), common for CPLDs.
    Hex { width: usize },
    /// An OpenBMC `git describe` build (`2.15.0-dev-686-g100c36de90`).
    GitDescribe,
    /// A Lenovo-style build id before the version (`TGBT58A-3.10`).
    BuildPrefixed { prefix: String },
    /// A letter and a revision number (`A17`).
    LetterRev { letter: char },
    /// An opaque vendor code whose trailing digit counts revisions (`HPK3`).
    Opaque { prefix: String },
}

/// A version string that does not match its declared style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StyleMismatch {
    pub version: String,
    pub style: String,
}

impl fmt::Display for StyleMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "version '{}' is not in the {} style",
            self.version, self.style
        )
    }
}

impl std::error::Error for StyleMismatch {}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn pad(n: u64, width: usize) -> String {
    format!("{n:0width$}")
}

fn parse_parts(s: &str) -> Option<Vec<u64>> {
    s.split('.').map(|p| p.parse::<u64>().ok()).collect()
}

fn bump_parts(parts: &mut [u64], bump: Bump) {
    let idx = match bump {
        Bump::Major => 0,
        Bump::Minor => 1.min(parts.len().saturating_sub(1)),
        Bump::Patch => parts.len().saturating_sub(1),
    };
    if let Some(p) = parts.get_mut(idx) {
        *p += 1;
    }
    for p in parts.iter_mut().skip(idx + 1) {
        *p = 0;
    }
}

fn render_parts(parts: &[u64], widths: &[usize]) -> String {
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| pad(*p, widths.get(i).copied().unwrap_or(0)))
        .collect::<Vec<_>>()
        .join(".")
}

fn date_after(d: NaiveDate, bump: Bump) -> NaiveDate {
    d + Duration::days(match bump {
        Bump::Patch => 42,
        Bump::Minor => 120,
        Bump::Major => 365,
    })
}

impl VersionStyle {
    fn label(&self) -> &'static str {
        match self {
            VersionStyle::Dotted { .. } => "dotted",
            VersionStyle::DottedBuild { .. } => "dotted-build",
            VersionStyle::HpeRom { .. } => "hpe-rom",
            VersionStyle::IloDate => "ilo-date",
            VersionStyle::Hex { .. } => "hex",
            VersionStyle::GitDescribe => "git-describe",
            VersionStyle::BuildPrefixed { .. } => "build-prefixed",
            VersionStyle::LetterRev { .. } => "letter-rev",
            VersionStyle::Opaque { .. } => "opaque",
        }
    }

    fn mismatch(&self, v: &str) -> StyleMismatch {
        StyleMismatch {
            version: v.to_string(),
            style: self.label().to_string(),
        }
    }

    /// A version newer than `version`, in the same style.
    pub fn bump(&self, version: &str, bump: Bump) -> Result<String, StyleMismatch> {
        let err = || self.mismatch(version);
        match self {
            VersionStyle::Dotted { widths } => {
                let mut parts = parse_parts(version).ok_or_else(err)?;
                bump_parts(&mut parts, bump);
                Ok(render_parts(&parts, widths))
            }
            VersionStyle::DottedBuild { widths } => {
                let (head, build) = version.split_once('-').ok_or_else(err)?;
                let mut parts = parse_parts(head).ok_or_else(err)?;
                let build: u64 = build.parse().map_err(|_| err())?;
                bump_parts(&mut parts, bump);
                Ok(format!("{}-{}", render_parts(&parts, widths), build + 17))
            }
            VersionStyle::HpeRom { family } => {
                // `U46 v2.72 (03/10/2023)`
                let rest = version
                    .strip_prefix(family.as_str())
                    .and_then(|r| r.strip_prefix(" v"))
                    .ok_or_else(err)?;
                let (ver, date) = rest.split_once(" (").ok_or_else(err)?;
                let date = date.strip_suffix(')').ok_or_else(err)?;
                let date = NaiveDate::parse_from_str(date, "%m/%d/%Y").map_err(|_| err())?;
                let (maj, min) = ver.split_once('.').ok_or_else(err)?;
                let (mut maj, mut min): (u64, u64) = (
                    maj.parse().map_err(|_| err())?,
                    min.parse().map_err(|_| err())?,
                );
                match bump {
                    Bump::Patch => min += 2,
                    Bump::Minor => min = (min / 10 + 1) * 10,
                    Bump::Major => {
                        maj += 1;
                        min = 0
                    }
                }
                if min >= 100 {
                    maj += 1;
                    min = 0;
                }
                Ok(format!(
                    "{family} v{maj}.{min:02} ({})",
                    date_after(date, bump).format("%m/%d/%Y")
                ))
            }
            VersionStyle::IloDate => {
                // `2.46 May 11 2021`
                let (ver, date) = version.split_once(' ').ok_or_else(err)?;
                let date = NaiveDate::parse_from_str(date, "%b %d %Y").map_err(|_| err())?;
                let (maj, min) = ver.split_once('.').ok_or_else(err)?;
                let (mut maj, mut min): (u64, u64) = (
                    maj.parse().map_err(|_| err())?,
                    min.parse().map_err(|_| err())?,
                );
                match bump {
                    Bump::Patch => min += 1,
                    Bump::Minor => min = (min / 10 + 1) * 10,
                    Bump::Major => {
                        maj += 1;
                        min = 0
                    }
                }
                if min >= 100 {
                    maj += 1;
                    min = 0;
                }
                let d = date_after(date, bump);
                let month = MONTHS.get(d.month0() as usize).copied().unwrap_or("Jan");
                Ok(format!(
                    "{maj}.{min:02} {month} {:02} {}",
                    d.day(),
                    d.year()
                ))
            }
            VersionStyle::Hex { width } => {
                let v = version
                    .strip_prefix("0x")
                    .and_then(|h| u64::from_str_radix(h, 16).ok())
                    .ok_or_else(err)?;
                let step = match bump {
                    Bump::Patch => 1,
                    Bump::Minor => 0x10,
                    Bump::Major => 0x40,
                };
                Ok(format!("0x{:0width$X}", v + step, width = *width))
            }
            VersionStyle::GitDescribe => {
                // `2.15.0-dev-686-g100c36de90`
                let mut it = version.splitn(4, '-');
                let (base, tag, count, hash) = (
                    it.next().ok_or_else(err)?,
                    it.next().ok_or_else(err)?,
                    it.next().ok_or_else(err)?,
                    it.next().ok_or_else(err)?,
                );
                let mut parts = parse_parts(base).ok_or_else(err)?;
                let count: u64 = count.parse().map_err(|_| err())?;
                let hash = hash.strip_prefix('g').ok_or_else(err)?;
                let new_hash = next_hash(hash);
                match bump {
                    Bump::Patch => Ok(format!(
                        "{}-{tag}-{}-g{new_hash}",
                        render_parts(&parts, &[]),
                        count + 23
                    )),
                    b => {
                        bump_parts(&mut parts, b);
                        Ok(format!(
                            "{}-{tag}-{}-g{new_hash}",
                            render_parts(&parts, &[]),
                            count % 50 + 3
                        ))
                    }
                }
            }
            VersionStyle::BuildPrefixed { prefix } => {
                let rest = version
                    .strip_prefix(prefix.as_str())
                    .and_then(|r| r.strip_prefix('-'))
                    .ok_or_else(err)?;
                let (maj, min) = rest.split_once('.').ok_or_else(err)?;
                let width = min.len();
                let (mut maj, mut min): (u64, u64) = (
                    maj.parse().map_err(|_| err())?,
                    min.parse().map_err(|_| err())?,
                );
                match bump {
                    Bump::Patch => min += 1,
                    Bump::Minor => min = (min / 10 + 1) * 10,
                    Bump::Major => {
                        maj += 1;
                        min = 0
                    }
                }
                Ok(format!("{prefix}-{maj}.{}", pad(min, width)))
            }
            VersionStyle::LetterRev { letter } => {
                let n: u64 = version
                    .strip_prefix(*letter)
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(err)?;
                let step = match bump {
                    Bump::Patch => 1,
                    Bump::Minor => 5,
                    Bump::Major => 10,
                };
                Ok(format!("{letter}{:02}", n + step))
            }
            VersionStyle::Opaque { prefix } => {
                let n: u64 = version
                    .strip_prefix(prefix.as_str())
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(err)?;
                let step = match bump {
                    Bump::Patch => 1,
                    Bump::Minor => 2,
                    Bump::Major => 3,
                };
                Ok(format!("{prefix}{}", n + step))
            }
        }
    }
}

/// A deterministic "next commit" hash, so bumps are reproducible.
fn next_hash(hash: &str) -> String {
    let mut x: u64 = 0xcbf2_9ce4_8422_2325;
    for b in hash.bytes() {
        x ^= u64::from(b);
        x = x.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{x:016x}").chars().take(10).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(style: VersionStyle, from: &str, bump: Bump, want: &str) {
        assert_eq!(style.bump(from, bump).unwrap(), want, "{style:?} {from}");
    }

    #[test]
    fn bumps_keep_each_vendor_style() {
        let dotted = |w: &[usize]| VersionStyle::Dotted { widths: w.to_vec() };
        check(dotted(&[1, 1, 1]), "2.14.1", Bump::Patch, "2.14.2");
        check(dotted(&[1, 1, 1]), "2.14.1", Bump::Minor, "2.15.0");
        check(
            dotted(&[1, 2, 2, 2]),
            "7.00.00.00",
            Bump::Patch,
            "7.00.00.01",
        );
        check(
            dotted(&[1, 2, 2, 2]),
            "5.10.00.00",
            Bump::Minor,
            "5.11.00.00",
        );
        check(
            dotted(&[0, 0, 0, 4]),
            "25.5.7.0005",
            Bump::Patch,
            "25.5.7.0006",
        );
        check(
            VersionStyle::DottedBuild { widths: vec![] },
            "52.16.3-3913",
            Bump::Patch,
            "52.16.4-3930",
        );
        check(
            VersionStyle::HpeRom {
                family: "U46".into(),
            },
            "U46 v2.72 (03/10/2023)",
            Bump::Patch,
            "U46 v2.74 (04/21/2023)",
        );
        check(
            VersionStyle::IloDate,
            "2.46 May 11 2021",
            Bump::Patch,
            "2.47 Jun 22 2021",
        );
        check(VersionStyle::Hex { width: 2 }, "0x0D", Bump::Patch, "0x0E");
        check(VersionStyle::Hex { width: 2 }, "0x0F", Bump::Patch, "0x10");
        check(
            VersionStyle::BuildPrefixed {
                prefix: "TGBT58A".into(),
            },
            "TGBT58A-3.10",
            Bump::Patch,
            "TGBT58A-3.11",
        );
        check(
            VersionStyle::LetterRev { letter: 'A' },
            "A07",
            Bump::Patch,
            "A08",
        );
        check(
            VersionStyle::Opaque {
                prefix: "HPK".into(),
            },
            "HPK3",
            Bump::Patch,
            "HPK4",
        );
        let g = VersionStyle::GitDescribe
            .bump("2.15.0-dev-686-g100c36de90", Bump::Patch)
            .unwrap();
        assert!(g.starts_with("2.15.0-dev-709-g"), "{g}");
        let g = VersionStyle::GitDescribe
            .bump("2.15.0-dev-686-g100c36de90", Bump::Minor)
            .unwrap();
        assert!(g.starts_with("2.16.0-dev-"), "{g}");
    }

    #[test]
    fn a_version_in_another_style_is_an_error_not_a_guess() {
        let e = VersionStyle::IloDate
            .bump("2.14.1", Bump::Patch)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "version '2.14.1' is not in the ilo-date style"
        );
        assert!(VersionStyle::Hex { width: 2 }
            .bump("0xZZ", Bump::Patch)
            .is_err());
    }
}

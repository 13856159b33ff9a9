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
    /// The mock can order these, a client without vendor knowledge cannot
    /// (fwfleet says `version-unknown`), so no persona ships one by default:
    /// a fleet whose images can never be planned proves nothing.
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
                // A newer build is a build after a newer tag. More commits
                // after the same tag would not do: two such builds may sit on
                // different branches, so git (and fwfleet) cannot order them.
                bump_parts(&mut parts, bump);
                Ok(format!(
                    "{}-{tag}-{}-g{new_hash}",
                    render_parts(&parts, &[]),
                    count % 50 + 3
                ))
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

/// Ordering versions. The BMC refuses downgrades and enforces
/// `LowestSupportedVersion` with these, and `make-images` finds a fleet's newest
/// version with them, so they parse strictly: a version that is not in the
/// style gets no key rather than a guessed one.
impl VersionStyle {
    /// A numeric key that orders versions of this style; `None` when the string
    /// is not in the style (the BMC then cannot tell a downgrade, and says so).
    ///
    /// The key is, per style: the dotted parts; the dotted parts then the build;
    /// HPE ROM `[major, minor]` (family must match); iLO `[major, minor]`; the
    /// hex value; git-describe base parts then the commit count; build-prefixed
    /// `[major, minor]` (prefix required); the letter-rev number; the opaque
    /// trailing number (prefix required, none counts as 0). Keys of the same shape
    /// compare as vectors; [`compare`](Self::compare) also copes with dotted parts
    /// of different counts (`1.2` = `1.2.0`).
    pub fn sort_key(&self, version: &str) -> Option<Vec<u64>> {
        let (mut key, tail) = self.key_parts(version)?;
        key.extend(tail);
        Some(key)
    }

    /// Order two versions of this style, or `None` if either is not in it.
    pub fn compare(&self, a: &str, b: &str) -> Option<std::cmp::Ordering> {
        let (head_a, tail_a) = self.key_parts(a)?;
        let (head_b, tail_b) = self.key_parts(b)?;
        // Missing dotted parts are zeros; the fixed-size tail (build, commit
        // count, …) only decides when the dotted parts are equal.
        let n = head_a.len().max(head_b.len());
        let part = |h: &[u64], i: usize| h.get(i).copied().unwrap_or(0);
        let head = (0..n)
            .map(|i| part(&head_a, i).cmp(&part(&head_b, i)))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal);
        Some(head.then_with(|| tail_a.cmp(&tail_b)))
    }

    /// `Ok` when `version` is in this style (has a [`sort_key`](Self::sort_key)).
    pub fn check(&self, version: &str) -> Result<(), StyleMismatch> {
        self.key_parts(version)
            .map(|_| ())
            .ok_or_else(|| self.mismatch(version))
    }

    /// [`bump`](Self::bump), plus the one case `bump` refuses although the version
    /// is in style: an opaque code that has no revision number yet (`GDC5902Q`,
    /// `00.1D.7D`) gets its first one (`GDC5902Q1`). `make-images` uses this so
    /// that every component of a fleet gets a newer image.
    pub fn successor(&self, version: &str, bump: Bump) -> Result<String, StyleMismatch> {
        match (self.bump(version, bump), self) {
            (Ok(v), _) => Ok(v),
            (Err(_), VersionStyle::Opaque { prefix }) if version == prefix => {
                let step = match bump {
                    Bump::Patch => 1,
                    Bump::Minor => 2,
                    Bump::Major => 3,
                };
                Ok(format!("{prefix}{step}"))
            }
            (Err(e), _) => Err(e),
        }
    }

    /// The key split in two: dotted parts of any count, then a fixed-size tail.
    fn key_parts(&self, v: &str) -> Option<(Vec<u64>, Vec<u64>)> {
        let major_minor = |s: &str| -> Option<Vec<u64>> {
            let (a, b) = s.split_once('.')?;
            Some(vec![strict_num(a)?, strict_num(b)?])
        };
        match self {
            VersionStyle::Dotted { .. } => Some((strict_parts(v)?, vec![])),
            VersionStyle::DottedBuild { .. } => {
                let (head, build) = v.split_once('-')?;
                Some((strict_parts(head)?, vec![strict_num(build)?]))
            }
            VersionStyle::HpeRom { family } => {
                // `U46 v2.72 (03/10/2023)`
                let rest = v.strip_prefix(family.as_str())?.strip_prefix(" v")?;
                let (ver, date) = rest.split_once(" (")?;
                NaiveDate::parse_from_str(date.strip_suffix(')')?, "%m/%d/%Y").ok()?;
                Some((vec![], major_minor(ver)?))
            }
            VersionStyle::IloDate => {
                // `2.46 May 11 2021`
                let (ver, date) = v.split_once(' ')?;
                NaiveDate::parse_from_str(date, "%b %d %Y").ok()?;
                Some((vec![], major_minor(ver)?))
            }
            VersionStyle::Hex { .. } => {
                let h = v.strip_prefix("0x")?;
                if h.is_empty() || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                Some((vec![], vec![u64::from_str_radix(h, 16).ok()?]))
            }
            VersionStyle::GitDescribe => {
                // `2.15.0-dev-686-g100c36de90`: base, tag, commits since the tag, hash.
                let (base, rest) = v.split_once('-')?;
                let (rest, hash) = rest.rsplit_once('-')?;
                let (tag, count) = rest.rsplit_once('-')?;
                let hash = hash.strip_prefix('g')?;
                if tag.is_empty() || hash.is_empty() || !hash.bytes().all(|b| b.is_ascii_hexdigit())
                {
                    return None;
                }
                Some((strict_parts(base)?, vec![strict_num(count)?]))
            }
            VersionStyle::BuildPrefixed { prefix } => {
                let rest = v.strip_prefix(prefix.as_str())?.strip_prefix('-')?;
                Some((vec![], major_minor(rest)?))
            }
            VersionStyle::LetterRev { letter } => {
                Some((vec![], vec![strict_num(v.strip_prefix(*letter)?)?]))
            }
            VersionStyle::Opaque { prefix } => {
                let rest = v.strip_prefix(prefix.as_str())?;
                // A code without a revision number is the first release.
                let n = if rest.is_empty() {
                    0
                } else {
                    strict_num(rest)?
                };
                Some((vec![], vec![n]))
            }
        }
    }
}

/// Digits only: `str::parse` would also take `+5`, which no vendor writes.
fn strict_num(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn strict_parts(s: &str) -> Option<Vec<u64>> {
    s.split('.').map(strict_num).collect()
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
        assert!(g.starts_with("2.15.1-dev-39-g"), "{g}");
        let g = VersionStyle::GitDescribe
            .bump("2.15.0-dev-686-g100c36de90", Bump::Minor)
            .unwrap();
        assert!(g.starts_with("2.16.0-dev-"), "{g}");
    }

    #[test]
    fn every_bump_sorts_after_its_origin() {
        let cases = [
            (
                VersionStyle::Dotted {
                    widths: vec![1, 2, 2, 2],
                },
                "7.00.00.00",
            ),
            (VersionStyle::DottedBuild { widths: vec![] }, "52.16.3-3913"),
            (
                VersionStyle::HpeRom {
                    family: "U46".into(),
                },
                "U46 v2.72 (03/10/2023)",
            ),
            (VersionStyle::IloDate, "2.46 May 11 2021"),
            (VersionStyle::Hex { width: 2 }, "0x0F"),
            (VersionStyle::GitDescribe, "2.15.0-dev-686-g100c36de90"),
            (
                VersionStyle::BuildPrefixed {
                    prefix: "TGBT58A".into(),
                },
                "TGBT58A-3.10",
            ),
            (VersionStyle::LetterRev { letter: 'A' }, "A07"),
            (
                VersionStyle::Opaque {
                    prefix: "HPK".into(),
                },
                "HPK3",
            ),
        ];
        for (style, v) in cases {
            for b in [Bump::Patch, Bump::Minor, Bump::Major] {
                let n = style.bump(v, b).unwrap();
                assert_eq!(
                    style.compare(&n, v),
                    Some(std::cmp::Ordering::Greater),
                    "{style:?} {v} -> {n}"
                );
                assert_eq!(style.compare(v, &n), Some(std::cmp::Ordering::Less));
            }
            assert_eq!(style.compare(v, v), Some(std::cmp::Ordering::Equal));
        }
        assert_eq!(
            VersionStyle::IloDate.compare("2.46 May 11 2021", "nonsense"),
            None
        );
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

#[cfg(test)]
mod order_tests {
    use super::*;
    use crate::machine::{Machine, Role};
    use crate::persona::Persona;
    use std::cmp::Ordering;

    /// One version per style, in the shapes the personas ship.
    fn samples() -> Vec<(VersionStyle, &'static str)> {
        let dotted = |w: &[usize]| VersionStyle::Dotted { widths: w.to_vec() };
        vec![
            (dotted(&[]), "2.14.1"),
            (dotted(&[1, 2, 2, 2]), "7.00.00.00"),
            (dotted(&[0, 0, 0, 4]), "25.5.7.0005"),
            (dotted(&[0, 2]), "2.03"),
            (dotted(&[]), "5"),
            (VersionStyle::DottedBuild { widths: vec![] }, "52.16.3-3913"),
            (
                VersionStyle::HpeRom {
                    family: "U46".into(),
                },
                "U46 v2.98 (03/10/2023)",
            ),
            (VersionStyle::IloDate, "2.99 Dec 30 2021"),
            (VersionStyle::Hex { width: 2 }, "0x0F"),
            (VersionStyle::GitDescribe, "2.15.0-dev-686-g100c36de90"),
            (
                VersionStyle::BuildPrefixed {
                    prefix: "TGBT58A".into(),
                },
                "TGBT58A-3.9",
            ),
            (VersionStyle::LetterRev { letter: 'A' }, "A07"),
            (
                VersionStyle::Opaque {
                    prefix: "HPK".into(),
                },
                "HPK3",
            ),
            (
                VersionStyle::Opaque {
                    prefix: "GDC5902Q".into(),
                },
                "GDC5902Q",
            ),
        ]
    }

    /// `next` is newer than `v` by both `compare` and the raw `sort_key`.
    fn assert_newer(style: &VersionStyle, v: &str, next: &str) {
        assert_eq!(
            style.compare(next, v),
            Some(Ordering::Greater),
            "{style:?}: {next} should sort after {v}"
        );
        assert_eq!(style.compare(v, next), Some(Ordering::Less));
        assert!(
            style.sort_key(next) > style.sort_key(v),
            "{style:?} {v} {next}"
        );
    }

    #[test]
    fn every_successor_sorts_after_its_origin_even_after_many_bumps() {
        for (style, v) in samples() {
            assert_eq!(style.compare(v, v), Some(Ordering::Equal), "{style:?} {v}");
            for b in [Bump::Patch, Bump::Minor, Bump::Major] {
                let mut cur = v.to_string();
                for _ in 0..30 {
                    let next = style.successor(&cur, b).unwrap();
                    assert!(style.check(&next).is_ok(), "{style:?}: {next}");
                    assert_newer(&style, &cur, &next);
                    cur = next;
                }
            }
        }
    }

    #[test]
    fn successor_is_bump_wherever_bump_works() {
        for (style, v) in samples() {
            for b in [Bump::Patch, Bump::Minor, Bump::Major] {
                if let Ok(bumped) = style.bump(v, b) {
                    assert_eq!(style.successor(v, b).unwrap(), bumped);
                }
            }
        }
        let gdc = VersionStyle::Opaque {
            prefix: "GDC5902Q".into(),
        };
        assert!(gdc.bump("GDC5902Q", Bump::Patch).is_err());
        assert_eq!(gdc.successor("GDC5902Q", Bump::Patch).unwrap(), "GDC5902Q1");
        assert_eq!(gdc.sort_key("GDC5902Q"), Some(vec![0]));
    }

    #[test]
    fn every_generated_component_is_in_style_and_has_a_newer_version() {
        for p in Persona::ALL {
            for index in 0..8 {
                let m = Machine::generate("h", p, 11, index);
                for c in &m.components {
                    c.style
                        .check(&c.version)
                        .unwrap_or_else(|e| panic!("{p} {}: {e}", c.key));
                    if let Some(low) = &c.lowest_supported_version {
                        assert_ne!(
                            c.style.compare(&c.version, low),
                            Some(Ordering::Less),
                            "{p} {}: {} is below its lowest supported {low}",
                            c.key,
                            c.version
                        );
                    }
                    if c.role == Role::Active {
                        for b in [Bump::Patch, Bump::Minor, Bump::Major] {
                            let next = c.style.successor(&c.version, b).unwrap();
                            assert_newer(&c.style, &c.version, &next);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn keys_follow_the_documented_shapes() {
        let check = |style: VersionStyle, v: &str, key: &[u64]| {
            assert_eq!(style.sort_key(v).as_deref(), Some(key), "{style:?} {v}");
        };
        check(
            VersionStyle::Dotted { widths: vec![] },
            "7.00.00.01",
            &[7, 0, 0, 1],
        );
        check(
            VersionStyle::DottedBuild { widths: vec![] },
            "52.16.3-3913",
            &[52, 16, 3, 3913],
        );
        check(
            VersionStyle::HpeRom {
                family: "A43".into(),
            },
            "A43 v2.52 (10/29/2021)",
            &[2, 52],
        );
        check(VersionStyle::IloDate, "2.46 May 11 2021", &[2, 46]);
        check(VersionStyle::Hex { width: 2 }, "0x1D", &[0x1D]);
        check(
            VersionStyle::GitDescribe,
            "2.15.0-dev-686-g100c36de90",
            &[2, 15, 0, 686],
        );
        check(
            VersionStyle::BuildPrefixed {
                prefix: "U8E138K".into(),
            },
            "U8E138K-2.30",
            &[2, 30],
        );
        check(VersionStyle::LetterRev { letter: 'A' }, "A17", &[17]);
        check(
            VersionStyle::Opaque {
                prefix: "410".into(),
            },
            "4104",
            &[4],
        );
    }

    #[test]
    fn compare_pads_dotted_parts_before_looking_at_the_build() {
        let dotted = VersionStyle::Dotted { widths: vec![] };
        assert_eq!(dotted.compare("1.2", "1.2.0"), Some(Ordering::Equal));
        assert_eq!(dotted.compare("1.2", "1.2.1"), Some(Ordering::Less));
        assert_eq!(dotted.compare("1.10", "1.9"), Some(Ordering::Greater));
        let build = VersionStyle::DottedBuild { widths: vec![] };
        assert_eq!(build.compare("1.2-5", "1.2.0-3"), Some(Ordering::Greater));
        assert_eq!(build.compare("1.2.1-1", "1.2-900"), Some(Ordering::Greater));
        let git = VersionStyle::GitDescribe;
        assert_eq!(
            git.compare("2.16.0-dev-3-gabc", "2.15.0-dev-900-gdef"),
            Some(Ordering::Greater)
        );
    }

    #[test]
    fn versions_outside_the_style_have_no_key() {
        let cases: Vec<(VersionStyle, &str)> = vec![
            (VersionStyle::Dotted { widths: vec![] }, "+1.2"),
            (VersionStyle::Dotted { widths: vec![] }, "1..2"),
            (VersionStyle::Dotted { widths: vec![] }, ""),
            (VersionStyle::Dotted { widths: vec![] }, "1.2 "),
            (VersionStyle::DottedBuild { widths: vec![] }, "52.16.3"),
            (
                VersionStyle::HpeRom {
                    family: "U46".into(),
                },
                "A43 v2.52 (10/29/2021)",
            ),
            (
                VersionStyle::HpeRom {
                    family: "U46".into(),
                },
                "U46 v2.52 (13/45/2021)",
            ),
            (VersionStyle::IloDate, "2.46"),
            (VersionStyle::IloDate, "2.46 Foo 11 2021"),
            (VersionStyle::Hex { width: 2 }, "0x"),
            (VersionStyle::Hex { width: 2 }, "0x+1"),
            (VersionStyle::Hex { width: 2 }, "0D"),
            (VersionStyle::GitDescribe, "2.15.0"),
            (VersionStyle::GitDescribe, "2.15.0-dev-686-100c36de90"),
            (
                VersionStyle::BuildPrefixed {
                    prefix: "TGBT58A".into(),
                },
                "TGBT99Z-3.10",
            ),
            (VersionStyle::LetterRev { letter: 'A' }, "B07"),
            (
                VersionStyle::Opaque {
                    prefix: "HPK".into(),
                },
                "HPL3",
            ),
            (
                VersionStyle::Opaque {
                    prefix: "HPK".into(),
                },
                "HPK3a",
            ),
        ];
        for (style, v) in cases {
            assert_eq!(style.sort_key(v), None, "{style:?} '{v}'");
            assert_eq!(style.compare(v, v), None);
            assert!(style.check(v).is_err());
        }
    }
}

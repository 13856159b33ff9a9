//! Property tests: the verdicts form a consistent partial order, agree with
//! simple oracles, and no input makes the module panic.
//!
//! Generators draw from small value pools on purpose, so equal and
//! near-equal versions (the cases where ordering rules disagree) come up often.

use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::Union;

use crate::version::{
    cmp_report, compare, compare_parsed, parse, ParsedVersion, Verdict, VersionScheme,
};

// ---------------------------------------------------------------- generators

/// An integer 0..4 with zero to two leading zeros (`3`, `03`, `003`); a small
/// pool, so equal numbers written differently are common.
fn num() -> impl Strategy<Value = String> + Clone {
    (0u32..4, 0usize..3).prop_map(|(n, zeros)| format!("{}{n}", "0".repeat(zeros)))
}

fn dotted(min: usize, max: usize) -> impl Strategy<Value = String> + Clone {
    proptest::collection::vec(num(), min..=max).prop_map(|parts| parts.join("."))
}

/// Fewer distinct values than [`dotted`], for ties across families.
fn short_dotted() -> impl Strategy<Value = String> + Clone {
    (
        select(vec!["1", "01", "2"]),
        select(vec!["", ".0", ".1", ".00"]),
    )
        .prop_map(|(a, b)| format!("{a}{b}"))
}

fn dotted_build() -> impl Strategy<Value = String> + Clone {
    (
        short_dotted().prop_map(|d| format!("{d}.0")),
        0u32..3,
        any::<bool>(),
    )
        .prop_map(|(base, build, dash)| {
            if dash {
                format!("{base}-{build}")
            } else {
                format!("{base} Build {build}")
            }
        })
}

/// Strict SemVer, meant to be read under `VersionScheme::SemVer`.
fn semver_strict() -> impl Strategy<Value = String> + Clone {
    let pre = select(vec![
        "", "-rc.1", "-rc.2", "-rc.10", "-rc10", "-beta", "-alpha.1", "-1",
    ]);
    let build = select(vec!["", "", "+b1", "+b2"]);
    (0u32..3, 0u32..3, 0u32..3, pre, build)
        .prop_map(|(x, y, z, pre, build)| format!("{x}.{y}.{z}{pre}{build}"))
}

/// SemVer shapes recognised without a scheme: pre-release words (digits may
/// follow) on two to four numbers, or build metadata.
fn semver_recognised() -> impl Strategy<Value = String> + Clone {
    let pre = select(vec![
        "-rc.1", "-rc.2", "-beta", "-beta.3", "+b1", "-dev", "-rc1", "-rc2", "-rc10", "-alpha",
        "-pre", "-dev.1", "-RC1", "-rc",
    ]);
    let tail = select(vec![".0", ".0", ".0.0", ""]);
    (1u32..3, 0u32..2, tail, pre).prop_map(|(x, y, tail, pre)| {
        // Build metadata alone is SemVer only in its three-number shape.
        let tail = if pre.starts_with('+') { ".0" } else { tail };
        format!("{x}.{y}{tail}{pre}")
    })
}

/// The tags item 7 of issue 16 names, and suffixes it does not.
fn pre_release_tag() -> impl Strategy<Value = String> + Clone {
    (
        select(vec!["alpha", "beta", "rc", "pre", "dev", "Beta", "RC"]),
        select(vec!["", "1", "2", "10", ".1", ".2.3"]),
    )
        .prop_map(|(w, d)| format!("{w}{d}"))
}

fn git_describe() -> impl Strategy<Value = String> + Clone {
    let suffix = select(vec!["", "", "-dev", "-rc1"]);
    let distance = select(vec![0u32, 0, 1, 5]);
    let hash = select(vec!["abcd1234", "ABCD1234", "deadbeef"]);
    (short_dotted(), suffix, distance, hash)
        .prop_map(|(base, suffix, d, hash)| format!("v{base}{suffix}-{d}-g{hash}"))
}

fn suffixed() -> impl Strategy<Value = String> + Clone {
    let suffix = select(vec!["-hotfix1", "-hotfix2", "+local", "-p1"]);
    (short_dotted(), suffix).prop_map(|(base, suffix)| format!("{base}{suffix}"))
}

fn hpe_rom() -> impl Strategy<Value = String> + Clone {
    let family = select(vec!["U46 ", "u46 ", "A43 ", ""]);
    let version = select(vec!["1.0", "1.00", "01", "2.1"]);
    let date = select(vec!["", " (01/02/2020)", " (03/04/2021)"]);
    (family, version, date).prop_map(|(family, version, date)| {
        // Without a family the date is what makes it a ROM string.
        let date = if family.is_empty() && date.is_empty() {
            " (01/02/2020)"
        } else {
            date
        };
        format!("{family}v{version}{date}")
    })
}

fn ilo() -> impl Strategy<Value = String> + Clone {
    let label = select(vec!["", "", "iLO 5 : ", "iLO 6 : "]);
    let version = select(vec!["2.46", "02.46", "2.460", "3.0"]);
    let date = select(vec!["May 11 2021", "Jun 01 2022"]);
    (label, version, date).prop_map(|(label, v, date)| format!("{label}{v} {date}"))
}

fn letter() -> impl Strategy<Value = String> + Clone {
    (select(vec!['A', 'C', 'c']), num()).prop_map(|(l, n)| format!("{l}{n}"))
}

fn hex() -> impl Strategy<Value = String> + Clone {
    (0u32..40, any::<bool>(), 0usize..3).prop_map(|(n, upper, zeros)| {
        let digits = if upper {
            format!("{n:X}")
        } else {
            format!("{n:x}")
        };
        format!("0x{}{digits}", "0".repeat(zeros))
    })
}

fn build_prefixed() -> impl Strategy<Value = String> + Clone {
    (select(vec!["11A", "12B", "ex425.bios"]), dotted(2, 3))
        .prop_map(|(build, v)| format!("{build}-{v}"))
}

fn opaque() -> impl Strategy<Value = String> + Clone {
    select(vec!["HPK3", "HPG1", "5101AALB", "51H0AALB", "4301A42"]).prop_map(str::to_owned)
}

/// Strings of the numeric group, which compare across their families.
fn numeric_group() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        short_dotted(),
        dotted(1, 4),
        dotted_build(),
        git_describe(),
        suffixed(),
        semver_recognised(),
    ]
}

type Case = (Option<VersionScheme>, String);

/// Each family's generator with the scheme to read it under.
fn families() -> Vec<(Option<VersionScheme>, BoxedStrategy<String>)> {
    vec![
        (None, dotted(1, 4).boxed()),
        (
            Some(VersionScheme::DotIntegerNotation),
            dotted(1, 4).boxed(),
        ),
        (None, dotted_build().boxed()),
        (Some(VersionScheme::SemVer), semver_strict().boxed()),
        (None, semver_recognised().boxed()),
        (None, git_describe().boxed()),
        (Some(VersionScheme::SemVer), git_describe().boxed()),
        (None, suffixed().boxed()),
        (None, hpe_rom().boxed()),
        (None, ilo().boxed()),
        (None, letter().boxed()),
        (None, hex().boxed()),
        (None, build_prefixed().boxed()),
        (None, opaque().boxed()),
        (None, numeric_group().boxed()),
        (Some(VersionScheme::Oem), numeric_group().boxed()),
    ]
}

/// One structured version of any family.
fn structured() -> impl Strategy<Value = Case> {
    Union::new(
        families()
            .into_iter()
            .map(|(scheme, s)| s.prop_map(move |v| (scheme, v)).boxed()),
    )
}

/// Three versions of one family (or of the numeric group), same scheme.
fn triple() -> impl Strategy<Value = (Option<VersionScheme>, String, String, String)> {
    Union::new(families().into_iter().map(|(scheme, s)| {
        (s.clone(), s.clone(), s)
            .prop_map(move |(a, b, c)| (scheme, a, b, c))
            .boxed()
    }))
}

/// Anything at all: unicode, control characters, version-like noise, very
/// long strings and real shapes.
fn arbitrary() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,24}",
        "[0-9a-zA-Z.\\-_+: ()/]{0,24}",
        "[\\x00-\\x1f\\x7f0-9.v ]{0,8}",
        "[0-9.]{250,300}",
        structured().prop_map(|(_, s)| s),
    ]
}

fn any_scheme() -> impl Strategy<Value = Option<VersionScheme>> {
    proptest::option::of(select(VersionScheme::ALL.to_vec()))
}

// ---------------------------------------------------------------- properties

/// The verdict for `a ? c` that `a ? b` and `b ? c` force, if any.
fn implied(ab: Verdict, bc: Verdict) -> Option<Verdict> {
    use Verdict::*;
    match (ab, bc) {
        (Same, Same) => Some(Same),
        (Older | Same, Older | Same) => Some(Older),
        (Newer | Same, Newer | Same) => Some(Newer),
        _ => None,
    }
}

fn read(scheme: Option<VersionScheme>, s: &str) -> ParsedVersion {
    parse(s, scheme)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// compare(a, b) is the reverse of compare(b, a), for any input.
    #[test]
    fn antisymmetric(scheme in any_scheme(), a in arbitrary(), b in arbitrary()) {
        prop_assert_eq!(compare(&a, &b, scheme), compare(&b, &a, scheme).reverse());
    }

    /// Also across families and schemes chosen per side.
    #[test]
    fn antisymmetric_structured((sa, a) in structured(), (sb, b) in structured()) {
        let (pa, pb) = (read(sa, &a), read(sb, &b));
        prop_assert_eq!(compare_parsed(&pa, &pb), compare_parsed(&pb, &pa).reverse());
    }

    /// a ≤ b ≤ c implies a ≤ c (strictly if either step is strict), and a
    /// version judged the same as another can stand in for it.
    #[test]
    fn transitive((scheme, a, b, c) in triple()) {
        let (pa, pb, pc) = (read(scheme, &a), read(scheme, &b), read(scheme, &c));
        let (ab, bc, ac) = (compare_parsed(&pa, &pb), compare_parsed(&pb, &pc), compare_parsed(&pa, &pc));
        if let Some(expected) = implied(ab, bc) {
            prop_assert_eq!(ac, expected, "{} {} {} {} {}", a, ab, b, bc, c);
        }
        if ab == Verdict::Same {
            prop_assert_eq!(ac, bc, "{} same as {}, so both stand the same to {}", a, b, c);
        }
    }

    /// Transitivity across families: any three structured versions.
    #[test]
    fn transitive_mixed((sa, a) in structured(), (sb, b) in structured(), (sc, c) in structured()) {
        let (pa, pb, pc) = (read(sa, &a), read(sb, &b), read(sc, &c));
        let (ab, bc, ac) = (compare_parsed(&pa, &pb), compare_parsed(&pb, &pc), compare_parsed(&pa, &pc));
        if let Some(expected) = implied(ab, bc) {
            prop_assert_eq!(ac, expected, "{} {} {} {} {}", a, ab, b, bc, c);
        }
    }

    /// Every generated version is the same as itself.
    #[test]
    fn reflexive_structured((scheme, s) in structured()) {
        prop_assert_eq!(compare(&s, &s, scheme), Verdict::Same, "{:?}", parse(&s, scheme));
    }

    /// Any string that parses as a version is the same as itself; junk is not.
    #[test]
    fn reflexive_when_parsable(scheme in any_scheme(), s in arbitrary()) {
        let expected = if parse(&s, scheme).is_comparable() { Verdict::Same } else { Verdict::Unknown };
        prop_assert_eq!(compare(&s, &s, scheme), expected);
    }

    /// Dotted integers order exactly like zero-padded integer vectors.
    #[test]
    fn dotted_matches_integer_oracle(
        a in proptest::collection::vec((0u64..1000, 0usize..3), 1..5),
        b in proptest::collection::vec((0u64..1000, 0usize..3), 1..5),
    ) {
        let text = |v: &[(u64, usize)]| {
            v.iter().map(|(n, z)| format!("{}{n}", "0".repeat(*z))).collect::<Vec<_>>().join(".")
        };
        let pad = |v: &[(u64, usize)]| {
            let mut out: Vec<u64> = v.iter().map(|(n, _)| *n).collect();
            out.resize(5, 0);
            out
        };
        let expected = match pad(&a).cmp(&pad(&b)) {
            std::cmp::Ordering::Less => Verdict::Older,
            std::cmp::Ordering::Equal => Verdict::Same,
            std::cmp::Ordering::Greater => Verdict::Newer,
        };
        prop_assert_eq!(compare(&text(&a), &text(&b), None), expected);
    }

    /// Under `SemVer`, the verdict is SemVer precedence (build metadata aside).
    #[test]
    fn semver_matches_precedence(a in semver_strict(), b in semver_strict()) {
        let (va, vb) = (semver::Version::parse(&a), semver::Version::parse(&b));
        let (Ok(va), Ok(vb)) = (va, vb) else {
            return Err(TestCaseError::fail("generator made invalid semver"));
        };
        let got = compare(&a, &b, Some(VersionScheme::SemVer));
        match va.cmp_precedence(&vb) {
            std::cmp::Ordering::Less => prop_assert_eq!(got, Verdict::Older),
            std::cmp::Ordering::Greater => prop_assert_eq!(got, Verdict::Newer),
            std::cmp::Ordering::Equal if va.build == vb.build => prop_assert_eq!(got, Verdict::Same),
            std::cmp::Ordering::Equal => prop_assert_eq!(got, Verdict::Unknown),
        }
    }

    /// Item 7 of issue 16: `<numbers>-<alpha|beta|rc|pre|dev…>` is older than
    /// the same numbers released, and newer than anything with lower numbers.
    #[test]
    fn pre_release_words_order_below_their_release(base in dotted(2, 4), tag in pre_release_tag()) {
        let pre = format!("{base}-{tag}");
        prop_assert_eq!(compare(&pre, &base, None), Verdict::Older, "{} vs {}", pre, base);
        prop_assert_eq!(
            compare(&pre, &format!("{base}-{tag}"), None),
            Verdict::Same
        );
    }

    /// Under `VersionScheme: SemVer` any `-` suffix orders below its release,
    /// except `git describe` output, which stays a build after its tag.
    #[test]
    fn declared_semver_suffixes_order_below_release(
        (x, y, z) in (0u32..20, 0u32..20, 0u32..20),
        suffix in select(vec!["1", "hotfix1", "3913", "p2", "rc.1"]),
        distance in 1u32..50,
    ) {
        let release = format!("{x}.{y}.{z}");
        let scheme = Some(VersionScheme::SemVer);
        prop_assert_eq!(compare(&format!("{release}-{suffix}"), &release, scheme), Verdict::Older);
        let git = format!("{release}-{distance}-gabcdef12");
        prop_assert_eq!(compare(&git, &release, scheme), Verdict::Unknown, "{}", git);
        prop_assert_eq!(compare(&git, &format!("{release}-0-gabcdef12"), scheme), Verdict::Newer);
    }

    /// A build number compares only within one base: against a number in its
    /// place (another base's extra part, or a longer base) it is unknown.
    #[test]
    fn build_numbers_compare_only_within_one_base(
        base in dotted(2, 3),
        (b, c) in (0u32..5000, 0u32..5000),
        extra in dotted(1, 2),
    ) {
        let build = format!("{base}-{b}");
        prop_assert_eq!(compare(&build, &format!("{base}.{extra}"), None), Verdict::Unknown);
        prop_assert_eq!(compare(&build, &format!("{base}.{extra}-{c}"), None), Verdict::Unknown);
        prop_assert_eq!(compare(&build, &base, None), Verdict::Unknown);
        let expected = match b.cmp(&c) {
            std::cmp::Ordering::Less => Verdict::Older,
            std::cmp::Ordering::Equal => Verdict::Same,
            std::cmp::Ordering::Greater => Verdict::Newer,
        };
        prop_assert_eq!(compare(&build, &format!("{base}-{c}"), None), expected);
    }

    /// A control character anywhere makes the string no version, even when
    /// the rest is one (trimming would read `1.2.3\n` as `1.2.3`).
    #[test]
    fn control_characters_are_never_trimmed_away(
        v in dotted(1, 4),
        c in select(vec!['\n', '\t', '\r', '\u{0}', '\u{14}', '\u{1b}', '\u{7f}', '\u{85}']),
        at_end in any::<bool>(),
        scheme in any_scheme(),
    ) {
        let raw = if at_end { format!("{v}{c}") } else { format!("{c}{v}") };
        prop_assert!(!parse(&raw, scheme).is_comparable());
        prop_assert_eq!(compare(&raw, &v, scheme), Verdict::Unknown);
    }

    /// Nothing panics, under any scheme, all the way to JSON and text; the
    /// text's first line is one line holding the verdict.
    #[test]
    fn never_panics(scheme in any_scheme(), a in arbitrary(), b in arbitrary()) {
        let report = cmp_report(&a, &b, scheme);
        let json = serde_json::to_string(&report);
        prop_assert!(json.is_ok());
        let text = report.render_text();
        let first = text.lines().next().unwrap_or_default();
        let plain = |s: &str| !s.is_empty() && s.trim() == s && !s.chars().any(char::is_control);
        if plain(&a) && plain(&b) && !a.contains(char::is_whitespace) && !b.contains(char::is_whitespace) {
            prop_assert_eq!(first, format!("{} {} {}", a, report.verdict, b));
        } else {
            let verdict = format!(" {} ", report.verdict);
            prop_assert!(first.contains(&verdict));
        }
    }
}

//! The corpus: real vendor version strings and the traps other tools fell into.
//!
//! Sources: Redfish NOTES §7.7 (observed `Version` strings, by vendor) and
//! FIELD-NOTES B5 (fwupd, FAS, badfish, Interop-Validator bugs). Every string
//! of those tables appears in `READINGS`; `PAIRS` pins the verdicts.

use crate::version::{compare, parse, Family, Verdict, VersionScheme};

use Family::*;
use Verdict::*;

/// Reads `input` under `scheme` and checks the family and the components,
/// written as `name=value` joined by spaces (empty for unparsable strings).
#[track_caller]
fn check_reading(input: &str, scheme: Option<&str>, family: Family, components: &str) {
    let scheme = scheme.map(|s| s.parse::<VersionScheme>().expect("scheme in table"));
    let parsed = parse(input, scheme);
    let got: Vec<String> = parsed
        .components()
        .iter()
        .map(|c| format!("{}={}", c.name, c.value))
        .collect();
    assert_eq!(
        (parsed.family(), got.join(" ").as_str()),
        (family, components),
        "reading {input:?} under {scheme:?}"
    );
}

/// Judges `a` relative to `b` under `scheme`, and `b` relative to `a`, which
/// must give the reverse verdict.
#[track_caller]
fn check_cmp(a: &str, b: &str, scheme: Option<&str>, expected: Verdict) {
    let scheme = scheme.map(|s| s.parse::<VersionScheme>().expect("scheme in table"));
    assert_eq!(
        compare(a, b, scheme),
        expected,
        "{a:?} vs {b:?} under {scheme:?}"
    );
    assert_eq!(
        compare(b, a, scheme),
        expected.reverse(),
        "{b:?} vs {a:?} under {scheme:?} (swapped)"
    );
}

type ReadingRow = (&'static str, Option<&'static str>, Family, &'static str);

#[rustfmt::skip]
const READINGS: &[ReadingRow] = &[
    // HPE iLO 5 (NOTES §7.7; FIELD-NOTES B5 #33 for the labelled form)
    ("2.46 May 11 2021", None, Ilo, "version=2.46 date=2021-05-11"),
    ("2.55 Oct 01 2021", None, Ilo, "version=2.55 date=2021-10-01"),
    ("2.70 May 16 2022", None, Ilo, "version=2.70 date=2022-05-16"),
    ("iLO 5 : 3.02 Feb 22 2024", None, Ilo, "label=iLO 5 version=3.02 date=2024-02-22"),
    // HPE System ROM, with and without family; repository package forms
    ("A43 v2.52 (10/29/2021)", None, HpeRom, "rom_family=A43 version=2.52 date=2021-10-29"),
    ("U46 v1.56 (11/29/2021)", None, HpeRom, "rom_family=U46 version=1.56 date=2021-11-29"),
    ("A47 v2.58 (05/19/2022)", None, HpeRom, "rom_family=A47 version=2.58 date=2022-05-19"),
    ("U46 v2.72 (03/10/2023)", None, HpeRom, "rom_family=U46 version=2.72 date=2023-03-10"),
    ("A43 v2.80", None, HpeRom, "rom_family=A43 version=2.80"),
    ("P79 v1.45", None, HpeRom, "rom_family=P79 version=1.45"),
    ("v1.42 (05/26/2021)", None, HpeRom, "version=1.42 date=2021-05-26"),
    ("1.56_11-29-2021", None, HpeRom, "version=1.56 date=2021-11-29"),
    ("System ROM : A43 v3.60 (01/21/2025)", None, HpeRom, "label=System ROM rom_family=A43 version=3.60 date=2025-01-21"),
    ("A43 v2.52 (10/29/2021)", Some("OEM"), HpeRom, "rom_family=A43 version=2.52 date=2021-10-29"),
    ("A43 v2.52 (13/29/2021)", None, Opaque, "text=A43 v2.52 (13/29/2021)"),
    // HPE misc: CPLD, SPS, IP, IPAD, TPM, SPS descriptor, PMC
    ("0x0D", None, Hex, "value=0x0D"),
    ("0x0F", None, Hex, "value=0x0F"),
    ("04.04.04.053", None, Dotted, "numbers=04.04.04.053"),
    ("3.64.2", None, Dotted, "numbers=3.64.2"),
    ("9.1.0 Build 36", None, DottedBuild, "numbers=9.1.0 build=36"),
    ("IPAD 9.1.0 Build 36", None, DottedBuild, "label=IPAD numbers=9.1.0 build=36"),
    ("73.64", None, Dotted, "numbers=73.64"),
    ("1.2 0", None, Opaque, "text=1.2 0"),
    ("1.0.7", None, Dotted, "numbers=1.0.7"),
    // HPE storage, NIC, PSU, GPU
    ("5.00", None, Dotted, "numbers=5.00"),
    ("52.16.3-3913", None, DottedBuild, "numbers=52.16.3 build=3913"),
    ("1.0.14.1055", None, Dotted, "numbers=1.0.14.1055"),
    ("HPK3", None, Opaque, "text=HPK3"),
    ("85031G00", None, Opaque, "text=85031G00"),
    ("HPG1", None, Opaque, "text=HPG1"),
    ("1.2839.0", None, Dotted, "numbers=1.2839.0"),
    ("1.3082.0", None, Dotted, "numbers=1.3082.0"),
    ("08.50.78", None, Dotted, "numbers=08.50.78"),
    ("3.11", None, Dotted, "numbers=3.11"),
    ("2.03", None, Dotted, "numbers=2.03"),
    ("1.00", None, Dotted, "numbers=1.00"),
    ("238.00", None, Dotted, "numbers=238.00"),
    ("92.00.19.00.10", None, Dotted, "numbers=92.00.19.00.10"),
    ("N/A", None, Unparsable, ""),
    ("0\u{14}", None, Unparsable, ""),
    // Dell iDRAC, BIOS, PERC, NIC, diagnostics
    ("5.10.00.00", None, Dotted, "numbers=5.10.00.00"),
    ("7.00.00.00", None, Dotted, "numbers=7.00.00.00"),
    ("2.20.1", None, Dotted, "numbers=2.20.1"),
    ("1.2.4", None, Dotted, "numbers=1.2.4"),
    ("2.7.7", None, Dotted, "numbers=2.7.7"),
    ("25.5.7.0005", None, Dotted, "numbers=25.5.7.0005"),
    ("24.35.20.00", None, Dotted, "numbers=24.35.20.00"),
    ("16.25.40.62", None, Dotted, "numbers=16.25.40.62"),
    ("19.5.12", None, Dotted, "numbers=19.5.12"),
    ("18.5.17", None, Dotted, "numbers=18.5.17"),
    ("4301A42", None, Opaque, "text=4301A42"),
    ("4301X07", None, Opaque, "text=4301X07"),
    ("A17", None, LetterRevision, "letter=A number=17"),
    ("2.60", None, Dotted, "numbers=2.60"),
    ("2.61", None, Dotted, "numbers=2.61"),
    ("2.75", None, Dotted, "numbers=2.75"),
    // Dell inventory Ids carry a version but are not one (FIELD-NOTES B5 #30)
    ("Current-100170-18.5.17", None, Opaque, "text=Current-100170-18.5.17"),
    ("Installed-100170-19.5.12", None, Opaque, "text=Installed-100170-19.5.12"),
    // OpenBMC, NVIDIA BlueField BMC
    ("2.15.0-dev-686-g100c36de90", None, GitDescribe, "tag=2.15.0-dev commits_after_tag=686 commit=100c36de90"),
    ("2.8.2-20-gfc1389898", None, GitDescribe, "tag=2.8.2 commits_after_tag=20 commit=fc1389898"),
    // AMI (Gigabyte)
    ("C27", None, LetterRevision, "letter=C number=27"),
    ("12.84.13", None, Dotted, "numbers=12.84.13"),
    ("ff", None, Opaque, "text=ff"),
    ("ff", Some("hex"), Hex, "value=0xff"),
    // HPE Cray EX
    ("nc.1.6.19-5-shasta-release.arm.2022-02-25T01:38:09+00:00.d20b426", None, Opaque,
     "text=nc.1.6.19-5-shasta-release.arm.2022-02-25T01:38:09+00:00.d20b426"),
    ("ex425.bios-1.6.3", None, BuildPrefixed, "build=ex425.bios version=1.6.3"),
    ("PFC_01.13-SEC_04.08", None, Opaque, "text=PFC_01.13-SEC_04.08"),
    ("undefined", None, Unparsable, ""),
    // DMTF public-rackmount1 mockup
    ("1.45.455b66-rev4", None, Opaque, "text=1.45.455b66-rev4"),
    // fwupd PR#1767 drive firmware; Lenovo XCC (FIELD-NOTES B5 #32)
    ("5101AALB", None, Opaque, "text=5101AALB"),
    ("51H0AALB", None, Opaque, "text=51H0AALB"),
    ("11A-1.02", None, BuildPrefixed, "build=11A version=1.02"),
    // naive-comparison traps (FIELD-NOTES B5 #34)
    ("4.10", None, Dotted, "numbers=4.10"),
    ("4.2", None, Dotted, "numbers=4.2"),
    ("1.15.0", None, Dotted, "numbers=1.15.0"),
    ("1.5.2", None, Dotted, "numbers=1.5.2"),
    // shapes the spec names, and the edges of each reader
    ("v2.8.2", None, Dotted, "numbers=2.8.2"),
    ("1.2.3-rc.1", None, SemVer, "numbers=1.2.3 pre_release=rc.1"),
    ("1.2.3+b5", None, SemVer, "numbers=1.2.3 build_metadata=b5"),
    // item 7 (issue 16): `rc` means "before the release", digits or not
    ("1.0.0-rc10", None, SemVer, "numbers=1.0.0 pre_release=rc10"),
    ("1.2.3-hotfix1", None, Suffixed, "numbers=1.2.3 suffix=-hotfix1"),
    ("2.8.2-dirty", None, Suffixed, "numbers=2.8.2 suffix=-dirty"),
    ("x.y.z", None, Opaque, "text=x.y.z"),
    ("１.２", None, Opaque, "text=１.２"),
    ("", None, Unparsable, ""),
    ("   ", None, Unparsable, ""),
    ("null", None, Unparsable, ""),
    ("Not Available", None, Unparsable, ""),
    ("--", None, Unparsable, ""),
    // item 7: control characters are never trimmed into another version
    ("1.2.3\n", None, Unparsable, ""),
    ("1.2\u{0}3", None, Unparsable, ""),
    // Redfish VersionScheme and forced families
    ("1.2.3", Some("SemVer"), SemVer, "numbers=1.2.3"),
    ("1.0.0-rc10", Some("semver"), SemVer, "numbers=1.0.0 pre_release=rc10"),
    ("1.2", Some("semver"), Unparsable, ""),
    ("v1.2.3", Some("semver"), Unparsable, ""),
    ("5.10.00.00", Some("DotIntegerNotation"), Dotted, "numbers=5.10.00.00"),
    ("v1.2", Some("dotted"), Unparsable, ""),
    ("52.16.3-3913", Some("dotted"), Unparsable, ""),
    ("0D", Some("hex"), Hex, "value=0x0D"),
    ("1.2.0", Some("opaque"), Opaque, "text=1.2.0"),
    ("N/A", Some("opaque"), Unparsable, ""),
    ("iLO 5 : 3.02 Feb 22 2024", Some("ilo"), Ilo, "label=iLO 5 version=3.02 date=2024-02-22"),
    ("3.02", Some("ilo"), Unparsable, ""),
    // item 7 (issue 16): a `-` suffix is a pre-release only for alpha, beta,
    // rc, pre, dev (digits may follow) or under VersionScheme SemVer; OpenBMC
    // tags its development line `2.15.0-dev` (NOTES §7.7)
    ("1.0.0-rc1", None, SemVer, "numbers=1.0.0 pre_release=rc1"),
    ("2.15.0-dev", None, SemVer, "numbers=2.15.0 pre_release=dev"),
    ("1.0-beta.2", None, SemVer, "numbers=1.0 pre_release=beta.2"),
    ("v2.1.0-alpha", None, SemVer, "numbers=2.1.0 pre_release=alpha"),
    ("01.2.3-pre1", None, SemVer, "numbers=01.2.3 pre_release=pre1"),
    ("1.2.3-RC1", None, SemVer, "numbers=1.2.3 pre_release=RC1"),
    ("1.0.0-rc1+b7", None, SemVer, "numbers=1.0.0 pre_release=rc1 build_metadata=b7"),
    ("1.2.3-preview", None, Suffixed, "numbers=1.2.3 suffix=-preview"),
    ("1.2.3-rc.01", None, Suffixed, "numbers=1.2.3 suffix=-rc.01"),
    ("1.2.3-rc1-hotfix", None, Suffixed, "numbers=1.2.3 suffix=-rc1-hotfix"),
    ("5-rc1", None, Suffixed, "numbers=5 suffix=-rc1"),
    ("1.0.0-rc1", Some("SemVer"), SemVer, "numbers=1.0.0 pre_release=rc1"),
    ("52.16.3-3913", Some("SemVer"), SemVer, "numbers=52.16.3 pre_release=3913"),
    ("1.2.3-hotfix1", Some("SemVer"), SemVer, "numbers=1.2.3 pre_release=hotfix1"),
    // item 7: `X-N-g<hex>` stays git-describe, also under VersionScheme SemVer
    ("2.8.2-20-gfc1389898", Some("SemVer"), GitDescribe, "tag=2.8.2 commits_after_tag=20 commit=fc1389898"),
    ("2.15.0-dev-686-g100c36de90", Some("semver"), GitDescribe, "tag=2.15.0-dev commits_after_tag=686 commit=100c36de90"),
    ("1.0.0-rc1-5-g0123abcd", None, GitDescribe, "tag=1.0.0-rc1 commits_after_tag=5 commit=0123abcd"),
    // item 7: a control character anywhere makes the string no version; only
    // spaces are trimmed (iLO `"0\x14"`, NOTES §7.6/§7.7)
    ("1.2.3\t", None, Unparsable, ""),
    ("\t1.2.3", None, Unparsable, ""),
    ("1.2.3\r\n", None, Unparsable, ""),
    ("1.2.3\u{85}", None, Unparsable, ""),
    ("A43 v2.52 (10/29/2021)\u{0}", None, Unparsable, ""),
    ("0\u{14}", Some("opaque"), Unparsable, ""),
    (" 1.2.3 ", None, Dotted, "numbers=1.2.3"),
];

#[test]
fn corpus_readings() {
    for &(input, scheme, family, components) in READINGS {
        check_reading(input, scheme, family, components);
    }
}

type PairRow = (&'static str, &'static str, Option<&'static str>, Verdict);

#[rustfmt::skip]
const PAIRS: &[PairRow] = &[
    // naive-comparison traps (FIELD-NOTES B5 #34)
    ("4.10", "4.2", None, Newer),
    ("1.15.0", "1.5.2", None, Newer),
    ("7.00.00.00", "5.10.00.00", None, Newer),
    ("2.10.0.0", "2.9.10.0", None, Newer), // int(s.replace(".", "")) says older
    ("5101AALB", "51H0AALB", None, Unknown), // fwupd read 5101 > 51
    ("5101AALB", "5101AALB", None, Same),
    // dotted: leading zeros ignored, missing parts are zero
    ("04.04.04.053", "04.04.04.060", None, Older),
    ("04.04.04.053", "4.4.4.53", None, Same),
    ("08.50.78", "8.50.78", None, Same),
    ("5.10.00.00", "5.10", None, Same),
    ("1.0.14.1055", "1.0.14", None, Newer),
    ("1.2839.0", "1.3082.0", None, Older),
    ("238.00", "3.11", None, Newer),
    ("1.00", "1.0", None, Same),
    ("92.00.19.00.10", "92.00.19.00.9", None, Newer),
    ("25.5.7.0005", "25.5.7.0010", None, Older),
    ("24.35.20.00", "16.25.40.62", None, Newer),
    ("19.5.12", "18.5.17", None, Newer),
    ("2.20.1", "1.2.4", None, Newer),
    ("2.7.7", "2.20.1", None, Older),
    ("2.60", "2.61", None, Older),
    ("2.75", "2.61", None, Newer),
    ("3.64.2", "3.64.10", None, Older),
    ("73.64", "73.7", None, Newer),
    ("12.84.13", "12.84.13", None, Same),
    ("v1.2", "1.3", None, Older),
    ("  4.10 ", "4.10", None, Same),
    ("99999999999999999999999.1", "99999999999999999999998.9", None, Newer),
    // HPE System ROM: the family must match, the date must agree on ties
    ("U46 v2.72 (03/10/2023)", "A43 v2.80", None, Unknown),
    ("A43 v2.52 (10/29/2021)", "A43 v2.80", None, Older),
    ("A43 v2.52 (10/29/2021)", "A43 v2.52 (10/29/2021)", None, Same),
    ("A43 v2.52 (10/29/2021)", "A43 v2.52", None, Unknown),
    ("A43 v2.52 (10/29/2021)", "A43 v2.52 (10/30/2021)", None, Unknown),
    ("U46 v1.56 (11/29/2021)", "U46 v2.72 (03/10/2023)", None, Older),
    ("A47 v2.58 (05/19/2022)", "A43 v2.52 (10/29/2021)", None, Unknown),
    ("P79 v1.45", "U46 v1.56 (11/29/2021)", None, Unknown),
    ("p79 v1.45", "P79 v1.45", None, Same),
    ("v1.42 (05/26/2021)", "1.56_11-29-2021", None, Older),
    ("1.56_11-29-2021", "U46 v1.56 (11/29/2021)", None, Unknown),
    ("System ROM : A43 v3.60 (01/21/2025)", "System ROM : A43 v2.52 (10/29/2021)", None, Newer),
    ("System ROM : A43 v3.60 (01/21/2025)", "A43 v2.52 (10/29/2021)", None, Unknown),
    ("A43 v2.52 (10/29/2021)", "2.52", None, Unknown),
    // HPE iLO: generation arrives as a label and must match
    ("2.46 May 11 2021", "2.55 Oct 01 2021", None, Older),
    ("2.70 May 16 2022", "2.55 Oct 01 2021", None, Newer),
    ("2.46 May 11 2021", "2.46 May 11 2021", None, Same),
    ("2.46 May 11 2021", "2.46 Jun 11 2021", None, Unknown),
    ("2.46 May 11 2021", "2.46", None, Unknown),
    ("iLO 5 : 3.02 Feb 22 2024", "iLO 5 : 2.70 May 16 2022", None, Newer),
    ("iLO 5 : 3.02 Feb 22 2024", "ilo  5 : 3.02 Feb 22 2024", None, Same),
    ("iLO 5 : 3.02 Feb 22 2024", "iLO 6 : 1.55 Feb 22 2024", None, Unknown),
    ("iLO 5 : 3.02 Feb 22 2024", "2.70 May 16 2022", None, Unknown),
    // hex, and hex against other families
    ("0x0D", "0x0F", None, Older),
    ("0x0F", "0x0f", None, Same),
    ("0x0D", "0x00D", None, Same),
    ("0x0D", "13", None, Unknown),
    ("0D", "0F", Some("hex"), Older),
    ("ff", "ff", None, Same),
    ("12.84.13", "ff", None, Unknown),
    // build numbers: `-N` orders within the family, is ambiguous against plain
    ("52.16.3-3913", "52.16.3-4000", None, Older),
    ("52.16.3-3913", "52.16.3", None, Unknown),
    ("52.16.3-3913", "52.16.4", None, Older),
    ("52.16.3-3913", "52.16.3-3913", None, Same),
    ("9.1.0 Build 36", "9.1.0 Build 40", None, Older),
    ("9.1.0 Build 36", "9.1.0-36", None, Same),
    ("IPAD 9.1.0 Build 36", "IPAD 9.1.0 Build 36", None, Same),
    ("IPAD 9.1.0 Build 36", "9.1.0 Build 37", None, Unknown),
    // git describe: tags order, a build after a tag beats the tag, branches do not order
    ("2.15.0-dev-686-g100c36de90", "2.15.0-dev-686-g100c36de90", None, Same),
    ("2.15.0-dev-686-g100c36de90", "2.15.0-dev-700-gabcdef1234", None, Unknown),
    ("2.15.0-dev-686-g100c36de90", "2.14.0-12-g0123abcd", None, Newer),
    ("2.15.0-dev-686-g100c36de90", "2.15.0-rc1-3-g0123abcd", None, Unknown),
    ("2.15.0-dev-686-g100c36de90", "2.16.0", None, Older),
    ("2.15.0-dev-686-g100c36de90", "2.15.0", None, Unknown),
    ("2.8.2-20-gfc1389898", "2.8.2-0-gdeadbeef", None, Newer),
    ("2.8.2-20-gfc1389898", "2.8.2-20-gFC1389898", None, Same),
    ("2.8.2-20-gfc1389898", "2.8.2-20-gfc1389899", None, Unknown),
    ("2.8.2-20-gfc1389898", "2.8.2", None, Unknown),
    ("2.8.2-20-gfc1389898", "2.8.3", None, Older),
    ("2.8.2-20-gfc1389898", "52.16.3-3913", None, Older),
    // letter revisions
    ("C27", "C28", None, Older),
    ("A17", "C27", None, Unknown),
    ("A17", "a17", None, Same),
    ("A17", "A9", None, Newer),
    // opaque: equal or unknown, never ordered
    ("4301A42", "4301X07", None, Unknown),
    ("HPK3", "HPG1", None, Unknown),
    ("85031G00", "85031G00", None, Same),
    ("HPK3", "hpk3", None, Unknown),
    ("Current-100170-18.5.17", "Installed-100170-19.5.12", None, Unknown),
    ("1.45.455b66-rev4", "1.45.455b66-rev5", None, Unknown),
    ("PFC_01.13-SEC_04.08", "PFC_01.13-SEC_04.08", None, Same),
    ("1.2 0", "1.3 0", None, Unknown),
    ("nc.1.6.19-5-shasta-release.arm.2022-02-25T01:38:09+00:00.d20b426",
     "nc.1.6.19-5-shasta-release.arm.2022-02-25T01:38:09+00:00.d20b426", None, Same),
    // build prefix (Lenovo XCC, Cray)
    ("11A-1.02", "11A-1.10", None, Older),
    ("11A-1.02", "12B-1.10", None, Unknown),
    ("11A-1.02", "1.02", None, Unknown),
    ("ex425.bios-1.6.3", "ex425.bios-1.6.10", None, Older),
    // junk never compares, not even with itself
    ("N/A", "N/A", None, Unknown),
    ("undefined", "1.0", None, Unknown),
    ("", "", None, Unknown),
    ("0\u{14}", "0\u{14}", None, Unknown),
    ("1.0", "1.0\u{7f}", None, Unknown),
    // SemVer: recognised only when plain, honoured fully when declared
    ("1.2.3-rc.1", "1.2.3-rc.2", None, Older),
    ("1.2.3-rc.1", "1.2.3", None, Older), // item 7: rc orders below its release
    ("1.2.3-rc.1", "1.2.4", None, Older),
    ("1.2.3-rc.1", "1.2.3", Some("SemVer"), Older),
    ("1.2.3+b5", "1.2.3+b6", Some("semver"), Unknown),
    ("1.2.3+b5", "1.2.3+b5", Some("semver"), Same),
    ("1.2.3", "1.2.3", Some("semver"), Same),
    ("1.0.0-rc10", "1.0.0-rc2", None, Unknown),
    ("1.0.0-rc10", "1.0.0-rc2", Some("semver"), Older),
    ("1.2", "1.3", Some("semver"), Unknown),
    // suffixes of unknown meaning: numbers order, equal numbers do not
    ("1.2.3-hotfix1", "1.2.3", None, Unknown),
    ("1.2.3-hotfix1", "1.2.4", None, Older),
    ("1.2.3-hotfix1", "1.2.3-hotfix1", None, Same),
    ("1.2.3-hotfix1", "1.2.3-hotfix2", None, Unknown),
    // Redfish DotIntegerNotation and forced families
    ("5.10.00.00", "7.00.00.00", Some("DotIntegerNotation"), Older),
    ("5.10.00.00", "5.10", Some("dotted"), Same),
    ("5101AALB", "5101AALB", Some("opaque"), Same),
    ("1.2.0", "1.2", Some("opaque"), Unknown),
    ("A43 v2.52 (10/29/2021)", "A43 v2.80", Some("oem"), Older),
    // item 7 (issue 16): pre-release words order below their release
    ("1.0.0-rc1", "1.0.0", None, Older),
    ("2.15.0-dev", "2.15.0", None, Older),
    ("1.0-beta.2", "1.0", None, Older),
    ("1.0-beta.2", "1.0.0", None, Older),
    ("v2.1.0-alpha", "2.1.0", None, Older),
    ("01.2.3-pre1", "1.2.3", None, Older),
    ("1.0.0-rc1", "1.0.0+b5", None, Older),
    ("1.0.0-rc1", "0.9.9", None, Newer),
    ("1.0.0-rc1", "1.0.1", None, Older),
    ("1.0.0-rc1", "1.0.0-rc1", None, Same),
    ("1.0.0-alpha", "1.0.0-beta", None, Older),
    ("1.0.0-beta.2", "1.0.0-rc1", None, Older),
    ("1.0.0-rc1", "1.0.0-rc2", None, Older),
    ("1.0.0-rc.2", "1.0.0-rc.10", None, Older),
    ("1.0.0-dev", "1.0.0-beta", None, Unknown), // projects rank dev differently
    ("1.0.0-pre", "1.0.0-rc1", None, Unknown),
    ("1.0.0-rc", "1.0.0-rc1", None, Unknown),
    ("1.0.0-rc", "1.0.0-rc.1", None, Unknown),
    ("1.2.3-RC1", "1.2.3-rc1", None, Unknown),
    // ...and only those words: any other suffix may mean "after"
    ("1.2.3-preview", "1.2.3", None, Unknown),
    ("1.2.3-rc1-hotfix", "1.2.3", None, Unknown),
    ("2.8.2-dirty", "2.8.2", None, Unknown),
    ("52.16.3-rc1", "52.16.3-3913", None, Unknown),
    // ...unless the BMC declares SemVer: then any suffix does
    ("1.0.0-rc1", "1.0.0", Some("SemVer"), Older),
    ("52.16.3-3913", "52.16.3", Some("SemVer"), Older),
    ("1.2.3-hotfix1", "1.2.3", Some("SemVer"), Older),
    ("1.0.0-rc.2", "1.0.0-rc.10", Some("SemVer"), Older),
    ("1.0.0-beta", "1.0.0-dev", Some("SemVer"), Older),
    // item 7: git describe stays git describe (a build after its tag is not
    // a pre-release of it), with or without VersionScheme SemVer
    ("2.8.2-20-gfc1389898", "2.8.2", Some("SemVer"), Unknown),
    ("2.8.2-20-gfc1389898", "2.8.2-0-gdeadbeef", Some("SemVer"), Newer),
    ("2.8.2-20-gfc1389898", "2.8.3", Some("SemVer"), Older),
    ("2.15.0-dev-686-g100c36de90", "2.15.0", Some("semver"), Unknown),
    ("1.0.0-rc1-5-g0123abcd", "1.0.0-rc1", None, Unknown),
    ("1.0.0-rc1-5-g0123abcd", "1.0.0", None, Unknown),
    // item 7: a numeric suffix compares only within one base
    ("52.16.3-3913", "52.16.3.4000", None, Unknown),
    ("52.16.3-3913", "52.16.3.0", None, Unknown),
    ("1.0.14-1055", "1.0.14.1055", None, Unknown), // HPE NS204i writes the build as a 4th number
    ("52.16.3-3913", "52.16.2.9999", None, Newer),
    ("52.16.3-3913", "052.16.3-4000", None, Older),
    ("1.2-5", "1.2.1", None, Unknown),
    ("1.2-5", "1.2.0-6", None, Unknown),
    ("1.2-5", "1.3.0-1", None, Older),
    ("52.16.3-3913", "52.16.3-hotfix1", None, Unknown),
    ("51.12.0-3097", "52.16.3-3913", None, Older), // Lenovo RAID 930 vs 940
    ("52.16.1-4405", "52.16.3-3913", None, Older), // Dell PERC H755 vs HPE MR416i
    ("9.1.0 Build 27", "9.1.0 Build 36", None, Older), // HPE IPAD, XL675d vs DL325
    // item 7: control characters are never trimmed into another version
    ("1.2.3\n", "1.2.3", None, Unknown),
    ("1.2.3", "1.2.3\t", None, Unknown),
    ("0\u{14}", "0", None, Unknown),
    ("0\u{14}", "0", Some("opaque"), Unknown),
];

#[test]
fn corpus_pairs() {
    for &(a, b, scheme, expected) in PAIRS {
        check_cmp(a, b, scheme, expected);
    }
}

#[test]
fn corpus_is_large_enough() {
    assert!(READINGS.len() + PAIRS.len() >= 80);
}

//! `--scheme` spellings: Redfish's own values, our family names, any case.

use crate::version::VersionScheme;

/// Parses `input` and checks the scheme, or that the error lists the
/// accepted values.
#[track_caller]
fn check(input: &str, expected: Option<VersionScheme>) {
    match (input.parse::<VersionScheme>(), expected) {
        (Ok(got), Some(want)) => assert_eq!(got, want, "{input:?}"),
        (Err(e), None) => {
            let msg = e.to_string();
            assert!(msg.starts_with("unknown version scheme"), "{msg}");
            assert!(msg.contains(input.trim()), "{msg}");
            for name in [
                "semver",
                "dotted",
                "dotintegernotation",
                "oem",
                "hex",
                "opaque",
            ] {
                assert!(msg.contains(name), "{name} missing from {msg}");
            }
        }
        (got, want) => panic!("{input:?}: got {got:?}, want {want:?}"),
    }
}

#[test]
fn scheme_spellings() {
    use VersionScheme::*;
    let table: &[(&str, Option<VersionScheme>)] = &[
        ("semver", Some(SemVer)),
        ("SemVer", Some(SemVer)),
        ("SEMVER", Some(SemVer)),
        ("dotted", Some(DotIntegerNotation)),
        ("DotIntegerNotation", Some(DotIntegerNotation)),
        ("OEM", Some(Oem)),
        ("oem", Some(Oem)),
        (" hex ", Some(Hex)),
        ("hpe-rom", Some(HpeRom)),
        ("HPE_ROM", Some(HpeRom)),
        ("ilo", Some(Ilo)),
        ("letter", Some(LetterRevision)),
        ("letter_revision", Some(LetterRevision)),
        ("dotted-build", Some(DottedBuild)),
        ("git", Some(GitDescribe)),
        ("git_describe", Some(GitDescribe)),
        ("build-prefixed", Some(BuildPrefixed)),
        ("lenovo", Some(BuildPrefixed)),
        ("suffixed", Some(Suffixed)),
        ("opaque", Some(Opaque)),
        ("", None),
        ("semver2", None),
        ("dot integer", None),
        ("ünïcode", None),
    ];
    for &(input, expected) in table {
        check(input, expected);
    }
}

/// Every scheme's canonical name parses back to it, so JSON output and
/// `--scheme` agree.
#[test]
fn scheme_names_round_trip() {
    for scheme in VersionScheme::ALL {
        check(scheme.as_str(), Some(scheme));
        let json = serde_json::to_string(&scheme).expect("serialise");
        let back: VersionScheme = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, scheme);
    }
}

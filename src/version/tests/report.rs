//! `fwfleet version-cmp A B`: the text and JSON forms.

use crate::version::{cmp_report, VersionScheme};

/// Builds the report and checks the whole text form.
#[track_caller]
fn check(a: &str, b: &str, scheme: Option<VersionScheme>, expected: &str) {
    assert_eq!(cmp_report(a, b, scheme).render_text(), expected);
}

#[test]
fn text_dotted_trap() {
    check(
        "4.10",
        "4.2",
        None,
        "4.10 newer 4.2\n\
         why: numbers 4.10 > 4.2\n\
         a: dotted: numbers=4.10 [order]\n\
         b: dotted: numbers=4.2 [order]\n",
    );
}

#[test]
fn text_rom_family_mismatch() {
    check(
        "U46 v2.72 (03/10/2023)",
        "A43 v2.80",
        None,
        "U46 v2.72 (03/10/2023) unknown A43 v2.80\n\
         why: different ROM families (U46 vs A43): ROMs for different platforms\n\
         a: hpe_rom: rom_family=U46 [match], version=2.72 [order], date=2023-03-10 [tie]\n\
         b: hpe_rom: rom_family=A43 [match], version=2.80 [order]\n",
    );
}

#[test]
fn text_junk_and_scheme() {
    check(
        "",
        "1.2.3",
        Some(VersionScheme::SemVer),
        "\"\" unknown 1.2.3\n\
         why: a is not a version: empty\n\
         a: unparsable: empty\n\
         b: semver: numbers=1.2.3 [order] (scheme semver)\n",
    );
}

#[test]
fn text_first_line_stays_one_line() {
    let text = cmp_report("0\u{14}", "1.0\n2", None).render_text();
    assert_eq!(text.lines().next(), Some(r#""0\u{14}" unknown "1.0\n2""#));
}

#[test]
fn json_has_exactly_the_contract_keys() {
    let report = cmp_report("7.00.00.00", "5.10.00.00", None);
    let json = serde_json::to_value(&report).expect("serialise");
    let keys: Vec<&str> = json
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 5);
    for key in ["a", "b", "verdict", "a_parsed", "b_parsed"] {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
    assert_eq!(json["verdict"], "newer");
}

#[test]
fn json_parsed_form() {
    let report = cmp_report("iLO 5 : 3.02 Feb 22 2024", "N/A", None);
    let json = serde_json::to_value(&report).expect("serialise");
    assert_eq!(
        json["a_parsed"],
        serde_json::json!({
            "input": "iLO 5 : 3.02 Feb 22 2024",
            "scheme": null,
            "family": "ilo",
            "comparable": true,
            "components": [
                {"name": "label", "value": "iLO 5", "role": "match"},
                {"name": "version", "value": "3.02", "role": "order"},
                {"name": "date", "value": "2024-02-22", "role": "tie"},
            ],
            "note": "the version orders; the build date must agree when versions are equal",
        })
    );
    assert_eq!(
        json["b_parsed"],
        serde_json::json!({
            "input": "N/A",
            "scheme": null,
            "family": "unparsable",
            "comparable": false,
            "components": [],
            "note": "placeholder `N/A`",
        })
    );
    assert_eq!(json["verdict"], "unknown");
}

#[test]
fn json_verdicts_are_lowercase() {
    for (a, b, word) in [
        ("1", "2", "older"),
        ("2", "2", "same"),
        ("3", "2", "newer"),
        ("x", "2", "unknown"),
    ] {
        let json = serde_json::to_value(cmp_report(a, b, None)).expect("serialise");
        assert_eq!(json["verdict"], word);
    }
}

//! `fwfleet version-cmp`: a stable first line and a stable JSON shape.

use std::process::Command;

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_fwfleet"))
        .arg("version-cmp")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn first_line_is_the_verdict_for_the_field_traps() {
    for (a, b, want) in [
        ("4.10", "4.2", "4.10 newer 4.2"),
        ("1.5.2", "1.15.0", "1.5.2 older 1.15.0"),
        ("5101AALB", "51H0AALB", "5101AALB unknown 51H0AALB"),
        (
            "U46 v2.72 (03/10/2023)",
            "U46 v2.72 (03/10/2023)",
            "U46 v2.72 (03/10/2023) same U46 v2.72 (03/10/2023)",
        ),
        ("0x0D", "7.00.00.00", "0x0D unknown 7.00.00.00"),
    ] {
        let (code, out, err) = run(&[a, b]);
        assert_eq!(code, Some(0), "{err}");
        assert_eq!(out.lines().next(), Some(want));
    }
}

#[test]
fn json_has_the_documented_keys() {
    let (code, out, _) = run(&["2.46 May 11 2021", "2.55 Oct 01 2021", "--format", "json"]);
    assert_eq!(code, Some(0));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["a", "a_parsed", "b", "b_parsed", "verdict"]);
    assert_eq!(v["verdict"], "older");
    assert_eq!(v["a_parsed"]["family"], "ilo");
}

#[test]
fn a_bad_scheme_is_a_usage_error_listing_the_choices() {
    let (code, _, err) = run(&["1", "2", "--scheme", "bogus"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("bogus") && err.contains("semver"), "{err}");
}

#[test]
fn a_reader_that_went_away_ends_quietly_instead_of_a_panic() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_fwfleet"))
        .args(["version-cmp", "1.0", "2.0", "--format", "json"])
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(141), "{err}");
}

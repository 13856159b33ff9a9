use super::*;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn hosts() -> Vec<(&'static str, BTreeMap<String, String>)> {
    vec![
        (
            "r12-01",
            labels(&[("rack", "r12"), ("role", "db"), ("canary", "true")]),
        ),
        ("r12-02", labels(&[("rack", "r12"), ("role", "web")])),
        (
            "r13-01",
            labels(&[("rack", "r13"), ("role", "cache"), ("canary", "false")]),
        ),
        ("mgmt", labels(&[])),
    ]
}

/// The names chosen by `hosts` / `selector` / `exclude`.
fn check(hosts_: &[&str], selector: Option<&str>, exclude: &[&str]) -> Vec<&'static str> {
    let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let sel = HostSelector::parse(&own(hosts_), selector, &own(exclude), Source::Cli)
        .unwrap_or_else(|e| panic!("{e}"));
    hosts()
        .into_iter()
        .filter(|(n, l)| sel.matches(n, l))
        .map(|(n, _)| n)
        .collect()
}

fn err(hosts_: &[&str], selector: Option<&str>) -> String {
    let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    HostSelector::parse(&own(hosts_), selector, &[], Source::Cli)
        .unwrap_err()
        .to_string()
}

#[test]
fn names_and_globs() {
    assert_eq!(
        check(&[], None, &[]),
        ["r12-01", "r12-02", "r13-01", "mgmt"]
    );
    assert_eq!(check(&["mgmt"], None, &[]), ["mgmt"]);
    assert_eq!(check(&["r12-*"], None, &[]), ["r12-01", "r12-02"]);
    assert_eq!(check(&["r1?-01"], None, &[]), ["r12-01", "r13-01"]);
    assert_eq!(check(&["r12-0[2-9]"], None, &[]), ["r12-02"]);
    assert_eq!(check(&["{mgmt,r13-*}"], None, &[]), ["r13-01", "mgmt"]);
    assert_eq!(check(&["mgmt,r12-02"], None, &[]), ["r12-02", "mgmt"]);
    assert_eq!(check(&["mgmt", "r12-02"], None, &[]), ["r12-02", "mgmt"]);
    assert_eq!(check(&["nothing"], None, &[]), Vec::<&str>::new());
}

#[test]
fn label_terms() {
    assert_eq!(check(&[], Some("rack=r12"), &[]), ["r12-01", "r12-02"]);
    assert_eq!(check(&[], Some("rack==r13"), &[]), ["r13-01"]);
    assert_eq!(check(&[], Some("rack!=r12"), &[]), ["r13-01", "mgmt"]);
    assert_eq!(
        check(&[], Some("role in (db,web)"), &[]),
        ["r12-01", "r12-02"]
    );
    assert_eq!(
        check(&[], Some("role in(db , cache)"), &[]),
        ["r12-01", "r13-01"]
    );
    assert_eq!(
        check(&[], Some("role notin (db,web)"), &[]),
        ["r13-01", "mgmt"]
    );
    assert_eq!(check(&[], Some("canary"), &[]), ["r12-01"]);
    assert_eq!(
        check(&[], Some("!canary"), &[]),
        ["r12-02", "r13-01", "mgmt"]
    );
    assert_eq!(
        check(&[], Some("role"), &[]),
        ["r12-01", "r12-02", "r13-01"]
    );
    assert_eq!(
        check(&[], Some("  "), &[]),
        ["r12-01", "r12-02", "r13-01", "mgmt"]
    );
}

#[test]
fn comma_is_and_and_parts_combine() {
    assert_eq!(check(&[], Some("rack=r12,!canary"), &[]), ["r12-02"]);
    assert_eq!(
        check(&[], Some("rack=r12, role in (db,web), canary"), &[]),
        ["r12-01"]
    );
    assert_eq!(check(&["r1*"], Some("role!=db"), &["r13-*"]), ["r12-02"]);
    assert_eq!(check(&[], None, &["r12-01", "mgmt"]), ["r12-02", "r13-01"]);
    assert_eq!(check(&[], None, &["r12-*,mgmt"]), ["r13-01"]);
}

#[test]
fn bad_selectors_name_the_flag_the_column_and_the_fix() {
    let e = err(&[], Some("role in (db"));
    assert!(
        e.starts_with("--selector 'role in (db': the set of `role` has no closing `)`"),
        "{e}"
    );
    assert!(
        e.contains("hint: write a set in parentheses: 'role in (db,web)'"),
        "{e}"
    );
    let e = err(&[], Some("rack="));
    assert!(
        e.contains("label `rack` has no value") && e.contains("(column 6)"),
        "{e}"
    );
    let e = err(&[], Some("rack=r12,"));
    assert!(e.contains("a comma ends the selector"), "{e}");
    let e = err(&[], Some("rack r12"));
    assert!(
        e.contains("expected `=`, `!=`, `in` or `notin` after `rack`, found `r12`"),
        "{e}"
    );
    let e = err(&[], Some("role in db"));
    assert!(e.contains("expected `(` after `role in`"), "{e}");
    let e = err(&[], Some("=db"));
    assert!(
        e.contains("expected a label name, found `=`") && e.contains("(column 1)"),
        "{e}"
    );
    let e = err(&[], Some("rack=r12)"));
    assert!(e.contains("unexpected `)`"), "{e}");
    let api = LabelSelector::parse("rack=", Source::Api)
        .unwrap_err()
        .to_string();
    assert!(api.starts_with("selector 'rack=':"), "{api}");
}

#[test]
fn label_terms_in_hosts_point_at_the_selector() {
    let e = err(&["rack=r12"], None);
    assert!(
        e.contains("`rack=r12` is a label term") && e.contains("--selector 'rack=r12'"),
        "{e}"
    );
    let e = err(&["!canary"], None);
    assert!(e.contains("label term"), "{e}");
    let e = err(&["bmc-[0"], None);
    assert!(e.contains("not a valid glob"), "{e}");
}

#[test]
fn describe_writes_what_was_asked() {
    let sel = HostSelector::parse(
        &["r1*".into()],
        Some("role in (db,web), !canary"),
        &["r13-01".into()],
        Source::Cli,
    )
    .unwrap();
    assert_eq!(
        sel.describe(Source::Cli),
        "--hosts 'r1*' --selector 'role in (db,web),!canary' --exclude 'r13-01'"
    );
    assert_eq!(HostSelector::default().describe(Source::Cli), "*");
    assert!(HostSelector::default().is_everything());
}

#[test]
fn kinds() {
    let k = Kinds::new(&[Kind::Bmc, Kind::Bios, Kind::Bmc]);
    assert!(k.contains(Kind::Bios) && k.contains(Kind::Bmc) && !k.contains(Kind::Nic));
    assert_eq!(k.to_string(), "bios,bmc");
    assert!(Kinds::default().contains(Kind::Psu) && Kinds::default().is_all());
}

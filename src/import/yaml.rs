//! Ansible's YAML inventory format:
//!
//! ```yaml
//! all:
//!   vars: { bmc_user: fwfleet }
//!   children:
//!     rack_a:
//!       hosts:
//!         bmc[01:04].dc1:
//!         bmc05.dc1: { bmc_address: 10.1.0.5 }
//! ```
//!
//! Top-level keys are groups (`all` or others, which become children of
//! `all`); a group has `hosts`, `children` and `vars`. YAML gives no line
//! numbers after parsing, so structural errors name the path
//! (`all.children.rack_a.hosts`) instead.

use super::model::{stored, Inventory, Var, Vars};
use super::range;
use serde_norway::Value;

/// A parse failure: the line when the YAML parser knows it, and what to fix.
pub type YamlError = (Option<usize>, String);

pub fn parse(text: &str) -> Result<Inventory, YamlError> {
    let doc: Value = serde_norway::from_str(text)
        .map_err(|e| (e.location().map(|l| l.line()), e.to_string()))?;
    let mut inv = Inventory::default();
    match doc {
        Value::Null => {}
        Value::Mapping(m) => {
            for (k, v) in m {
                let name = key(&k, "the top level")?;
                group(&mut inv, &name, v, &name)?;
            }
        }
        _ => {
            return Err((
                None,
                "the document is not a mapping of groups\n  hint: start with `all:` and put hosts under `all: hosts:` or `all: children: GROUP: hosts:`".into(),
            ))
        }
    }
    Ok(inv)
}

fn key(k: &Value, at: &str) -> Result<String, YamlError> {
    match k {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err((None, format!("{at}: a key is not a plain name"))),
    }
}

fn group(inv: &mut Inventory, name: &str, v: Value, at: &str) -> Result<(), YamlError> {
    inv.group(name);
    let m = match v {
        Value::Null => return Ok(()),
        Value::Mapping(m) => m,
        _ => {
            return Err((
                None,
                format!("{at}: a group must be a mapping with hosts, children and vars"),
            ))
        }
    };
    for (k, v) in m {
        let k = key(&k, at)?;
        let here = format!("{at}.{k}");
        match k.as_str() {
            "hosts" => match v {
                Value::Null => {}
                Value::Mapping(hosts) => {
                    for (h, hv) in hosts {
                        let pattern = key(&h, &here)?;
                        let vars = match hv {
                            Value::Null => Vars::new(),
                            Value::Mapping(_) => vars(hv, &format!("{here}.{pattern}"))?,
                            _ => {
                                return Err((
                                    None,
                                    format!("{here}.{pattern}: a host's value must be a mapping of variables or empty"),
                                ))
                            }
                        };
                        let names = range::expand(&pattern)
                            .map_err(|m| (None, format!("{here}: host `{pattern}`: {m}")))?;
                        for n in names {
                            inv.add_host(name, &n, vars.clone());
                        }
                    }
                }
                _ => {
                    return Err((
                        None,
                        format!("{here} must be a mapping of host names\n  hint: write each host as `NAME:` on its own line (a YAML list is not an Ansible host list)"),
                    ))
                }
            },
            "children" => match v {
                Value::Null => {}
                Value::Mapping(children) => {
                    for (c, cv) in children {
                        let child = key(&c, &here)?;
                        if child == "all" {
                            return Err((None, format!("{here}: `all` cannot be a child group")));
                        }
                        inv.add_child(name, &child);
                        group(inv, &child, cv, &format!("{here}.{child}"))?;
                    }
                }
                _ => {
                    return Err((
                        None,
                        format!("{here} must be a mapping of group names"),
                    ))
                }
            },
            "vars" => {
                let vs = vars(v, &here)?;
                inv.group(name).vars.extend(vs);
            }
            other => inv.warnings.push(format!(
                "{at}: unexpected key `{other}` ignored (a group has hosts, children and vars)"
            )),
        }
    }
    Ok(())
}

fn vars(v: Value, at: &str) -> Result<Vars, YamlError> {
    let mut out = Vars::new();
    match v {
        Value::Null => {}
        Value::Mapping(m) => {
            for (k, v) in m {
                let k = key(&k, at)?;
                let value = var(v);
                out.insert(k.clone(), stored(&k, value));
            }
        }
        _ => return Err((None, format!("{at} must be a mapping of variables"))),
    }
    Ok(out)
}

fn var(v: Value) -> Var {
    match v {
        Value::Null => Var::Null,
        Value::Bool(b) => Var::Text(b.to_string()),
        Value::Number(n) => Var::Text(n.to_string()),
        Value::String(s) if s.is_empty() => Var::Null,
        Value::String(s) => Var::Text(s),
        Value::Sequence(s) => Var::List(s.into_iter().map(var).collect()),
        Value::Mapping(m) => Var::Map(
            m.into_iter()
                .map(|(k, v)| {
                    let k = match k {
                        Value::String(s) => s,
                        other => serde_norway::to_string(&other)
                            .unwrap_or_default()
                            .trim()
                            .to_string(),
                    };
                    let v = stored(&k, var(v));
                    (k, v)
                })
                .collect(),
        ),
        // `!vault |` is encrypted; whatever it holds, fwfleet must not carry it.
        Value::Tagged(t) if t.tag == "vault" || t.tag == "!vault" => Var::Redacted,
        Value::Tagged(t) => var(t.value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_children_hosts_and_vars() {
        let inv = parse(
            "all:\n  vars:\n    bmc_user: fwfleet\n  hosts:\n    lone:\n  children:\n    dc1:\n      vars: {bmc_tls_verify: false, bmc_port: 8443}\n      children:\n        rack_a:\n          hosts:\n            bmc[01:02].dc1:\n            bmc03.dc1: {bmc_address: 10.0.0.3, fwfleet_labels: [gpu, {x: 1}]}\nextra:\n  hosts:\n    lone:\n",
        )
        .unwrap();
        assert_eq!(inv.hosts, ["lone", "bmc01.dc1", "bmc02.dc1", "bmc03.dc1"]);
        assert_eq!(inv.groups["all"].children, ["dc1"]);
        assert_eq!(inv.groups["dc1"].children, ["rack_a"]);
        assert_eq!(inv.groups["extra"].hosts, ["lone"]);
        assert_eq!(
            inv.groups["dc1"].vars["bmc_tls_verify"],
            Var::Text("false".into())
        );
        assert_eq!(inv.groups["dc1"].vars["bmc_port"], Var::Text("8443".into()));
        assert!(matches!(
            inv.host_vars["bmc03.dc1"]["fwfleet_labels"],
            Var::List(_)
        ));
    }

    #[test]
    fn passwords_and_vault_values_are_dropped() {
        let inv = parse(
            "all:\n  hosts:\n    h:\n      bmc_password: hunter2\n      other: !vault |\n        $ANSIBLE_VAULT;1.1;AES256\n        6162\n",
        )
        .unwrap();
        assert_eq!(inv.host_vars["h"]["bmc_password"], Var::Redacted);
        assert_eq!(inv.host_vars["h"]["other"], Var::Redacted);
        assert!(!format!("{inv:?}").contains("hunter2"));
    }

    #[test]
    fn structural_errors_name_the_path() {
        for (text, words) in [
            ("- a\n- b\n", "not a mapping of groups"),
            (
                "all:\n  hosts:\n    - bmc01\n",
                "all.hosts must be a mapping",
            ),
            (
                "all:\n  children:\n    r:\n      hosts:\n        h: 5\n",
                "all.children.r.hosts.h",
            ),
            ("all:\n  children: [a]\n", "all.children must be"),
            ("all:\n  vars: [a]\n", "all.vars must be"),
            ("all:\n  hosts:\n    n[3:1]:\n", "start is after end"),
        ] {
            let (_, m) = parse(text).unwrap_err();
            assert!(m.contains(words), "{text:?}: {m}");
        }
        let (line, m) = parse("all:\n  hosts:\n    a: [\n").unwrap_err();
        assert!(line.is_some(), "{m}");
    }

    #[test]
    fn unexpected_group_keys_warn() {
        let inv = parse("all:\n  host:\n    a:\n").unwrap();
        assert!(
            inv.warnings[0].contains("unexpected key `host`"),
            "{:?}",
            inv.warnings
        );
    }
}

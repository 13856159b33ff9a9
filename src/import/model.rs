//! What an Ansible inventory says, before any fwfleet meaning is given to it:
//! groups (hosts, children, vars) and hosts (vars), in file order.

use std::collections::BTreeMap;
use std::fmt;

/// One inventory variable's value.
///
/// Values of password-like variables are never kept: the parsers store
/// [`Var::Redacted`] for them, so no `Debug`, error or output can show one.
#[derive(Clone, PartialEq, Eq)]
pub enum Var {
    /// A scalar, as text (`443`, `false`, `10.0.0.5`).
    Text(String),
    /// A YAML sequence.
    List(Vec<Var>),
    /// A YAML mapping, in file order.
    Map(Vec<(String, Var)>),
    /// A password-like value (or an `!vault` one), dropped at parse time.
    Redacted,
    /// YAML `~` or an empty value: treated as not set.
    Null,
}

impl fmt::Debug for Var {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Var::Text(s) => write!(f, "{s:?}"),
            Var::List(l) => f.debug_list().entries(l).finish(),
            Var::Map(m) => f
                .debug_map()
                .entries(m.iter().map(|(k, v)| (k, v)))
                .finish(),
            Var::Redacted => f.write_str("[redacted]"),
            Var::Null => f.write_str("null"),
        }
    }
}

/// Whether a variable holds a password or similar: its value is never stored.
/// `*_env` and `*_file` variables name where a secret is, so they are kept.
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    if n.ends_with("_env") || n.ends_with("_file") {
        return false;
    }
    ["pass", "secret", "token", "private_key"]
        .iter()
        .any(|w| n.contains(w))
}

/// A variable as stored: redacted when its name says it is a secret.
pub fn stored(name: &str, value: Var) -> Var {
    if is_secret_name(name) && value != Var::Null {
        Var::Redacted
    } else {
        value
    }
}

/// Variables in definition order; a later definition of a name replaces the earlier.
pub type Vars = BTreeMap<String, Var>;

/// One group as written.
#[derive(Debug, Clone, Default)]
pub struct Group {
    /// Hosts listed directly in the group.
    pub hosts: Vec<String>,
    /// Child groups (`[g:children]`, YAML `children:`).
    pub children: Vec<String>,
    pub vars: Vars,
}

/// A parsed inventory. `all` and `ungrouped` always exist.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// Groups by name.
    pub groups: BTreeMap<String, Group>,
    /// Host names in order of first appearance.
    pub hosts: Vec<String>,
    /// Host variables (inline `key=value`, YAML host mappings).
    pub host_vars: BTreeMap<String, Vars>,
    /// Non-fatal remarks from parsing (e.g. unexpected YAML keys).
    pub warnings: Vec<String>,
}

impl Default for Inventory {
    fn default() -> Self {
        let mut groups = BTreeMap::new();
        groups.insert("all".to_string(), Group::default());
        groups.insert("ungrouped".to_string(), Group::default());
        Inventory {
            groups,
            hosts: Vec::new(),
            host_vars: BTreeMap::new(),
            warnings: Vec::new(),
        }
    }
}

impl Inventory {
    /// The group, created empty when new.
    pub fn group(&mut self, name: &str) -> &mut Group {
        self.groups.entry(name.to_string()).or_default()
    }

    /// Declare a host (first appearance fixes its order) and merge its vars.
    pub fn add_host(&mut self, group: &str, host: &str, vars: Vars) {
        if !self.host_vars.contains_key(host) {
            self.hosts.push(host.to_string());
        }
        self.host_vars
            .entry(host.to_string())
            .or_default()
            .extend(vars);
        let g = self.group(group);
        if !g.hosts.iter().any(|h| h == host) {
            g.hosts.push(host.to_string());
        }
    }

    /// Make `child` a child group of `parent` (both created when new).
    pub fn add_child(&mut self, parent: &str, child: &str) {
        self.group(child);
        let g = self.group(parent);
        if !g.children.iter().any(|c| c == child) {
            g.children.push(child.to_string());
        }
    }
}

//! From resolved Ansible variables to fwfleet hosts (the table in
//! docs/CONFIG.md, "Importing from Ansible").
//!
//! Problems and warnings are collected for every host rather than stopping
//! at the first, and the same message for many hosts is reported once with
//! the hosts named, so a mistake in `[all:vars]` is one line, not five hundred.

use super::model::Var;
use super::resolve::ResolvedHost;
use std::collections::BTreeMap;

/// Where a host's password comes from; never the password itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordRef {
    /// `password_env = "VAR"`
    Env(String),
    /// `password_file = "PATH"`
    File(String),
}

/// One fwfleet host, ready to be written as a `[[hosts]]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedHost {
    pub name: String,
    pub url: String,
    pub username: String,
    pub password: PasswordRef,
    pub tls_fingerprint_sha256: Option<String>,
    pub ca_file: Option<String>,
    /// `Some(true)` only when the inventory says `bmc_tls_verify=false`.
    pub insecure: Option<bool>,
    pub auth: Option<String>,
    pub proxy: Option<String>,
    pub labels: BTreeMap<String, String>,
}

/// Variables that carry a literal password; never copied.
pub const LITERAL_PASSWORD_VARS: &[&str] = &[
    "bmc_password",
    "redfish_password",
    "ansible_password",
    "ansible_ssh_pass",
    "ansible_ssh_password",
];
const ADDRESS_VARS: &[&str] = &["bmc_address", "redfish_host", "ansible_host"];
const USER_VARS: &[&str] = &[
    "bmc_user",
    "bmc_username",
    "redfish_username",
    "ansible_user",
];

/// Every `bmc_*` / `fwfleet_*` variable this importer reads; others are warned about.
const KNOWN: &[&str] = &[
    "bmc_address",
    "bmc_user",
    "bmc_username",
    "bmc_password",
    "bmc_password_env",
    "bmc_password_file",
    "bmc_port",
    "bmc_scheme",
    "bmc_tls_verify",
    "bmc_tls_fingerprint",
    "bmc_ca_file",
    "bmc_auth",
    "bmc_proxy",
    "fwfleet_labels",
];

/// Messages keyed by text, each with the hosts it applies to (in host order).
#[derive(Debug, Default)]
pub struct Notes(Vec<(String, Vec<String>)>);

impl Notes {
    fn add(&mut self, host: &str, message: String) {
        match self.0.iter_mut().find(|(m, _)| *m == message) {
            Some((_, hosts)) => hosts.push(host.to_string()),
            None => self.0.push((message, vec![host.to_string()])),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `host a: …` or `hosts a, b, c and 12 more: …`
    pub fn render(&self) -> Vec<String> {
        const SHOWN: usize = 5;
        self.0
            .iter()
            .map(|(msg, hosts)| {
                let who = if hosts.len() == 1 {
                    format!("host {}", hosts[0])
                } else {
                    let shown = hosts[..hosts.len().min(SHOWN)].join(", ");
                    match hosts.len().saturating_sub(SHOWN) {
                        0 => format!("hosts {shown}"),
                        more => format!("hosts {shown} and {more} more"),
                    }
                };
                format!("{who}: {msg}")
            })
            .collect()
    }
}

/// Options that are not in the inventory.
#[derive(Debug, Clone, Default)]
pub struct MapOptions {
    /// `password_env` for hosts that set neither `bmc_password_env` nor `bmc_password_file`.
    pub password_env: Option<String>,
    /// `--group-label KEY`: groups named `KEY_VALUE` / `KEY-VALUE` become
    /// the label `KEY = "VALUE"`.
    pub group_labels: Vec<String>,
}

/// The value a group name gives the label `key` under `--group-label`:
/// `rack_a` and `rack-a` give `a` for key `rack`.
pub fn group_label_value<'g>(key: &str, group: &'g str) -> Option<&'g str> {
    let rest = group.strip_prefix(key)?;
    let value = rest.strip_prefix('_').or_else(|| rest.strip_prefix('-'))?;
    (!value.is_empty()).then_some(value)
}

/// Map every host; `Err` holds the problems (each naming its hosts).
pub fn map_hosts(
    hosts: &[ResolvedHost],
    opts: &MapOptions,
) -> Result<(Vec<ImportedHost>, Notes), Notes> {
    let mut problems = Notes::default();
    let mut warnings = Notes::default();
    let mut out = Vec::with_capacity(hosts.len());
    for h in hosts {
        let before = problems.0.iter().map(|(_, v)| v.len()).sum::<usize>();
        let mut cx = Cx {
            host: h,
            problems: &mut problems,
            warnings: &mut warnings,
        };
        let host = cx.map(opts);
        let after = problems.0.iter().map(|(_, v)| v.len()).sum::<usize>();
        if after == before {
            if let Some(host) = host {
                out.push(host);
            }
        }
    }
    if problems.is_empty() {
        Ok((out, warnings))
    } else {
        Err(problems)
    }
}

struct Cx<'a> {
    host: &'a ResolvedHost,
    problems: &'a mut Notes,
    warnings: &'a mut Notes,
}

impl Cx<'_> {
    fn problem(&mut self, m: String) {
        self.problems.add(&self.host.name, m);
    }

    fn warn(&mut self, m: String) {
        self.warnings.add(&self.host.name, m);
    }

    /// A scalar variable as text; `None` when unset, null or empty.
    /// `{{ inventory_hostname }}` and `{{ inventory_hostname_short }}` are
    /// expanded; any other template is a problem (fwfleet is not Jinja).
    fn text(&mut self, var: &str) -> Option<String> {
        match self.host.vars.get(var)? {
            Var::Null => None,
            Var::Text(t) if t.trim().is_empty() => None,
            Var::Text(t) => {
                let t = t.trim().to_string();
                match self.expand_templates(&t) {
                    Ok(s) => Some(s),
                    Err(expr) => {
                        self.problem(format!(
                            "{var} uses the template `{{{{ {expr} }}}}`, which fwfleet does not evaluate\n  hint: write the value out (only inventory_hostname and inventory_hostname_short are expanded)"
                        ));
                        None
                    }
                }
            }
            Var::Redacted => {
                self.problem(format!("{var} holds a secret value, not a name or address"));
                None
            }
            Var::List(_) | Var::Map(_) => {
                self.problem(format!(
                    "{var} must be a single value, not a list or mapping"
                ));
                None
            }
        }
    }

    fn expand_templates(&self, s: &str) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = s;
        while let Some(open) = rest.find("{{") {
            let close = rest[open..]
                .find("}}")
                .map(|i| open + i)
                .ok_or_else(|| rest[open + 2..].trim().to_string())?;
            let expr = rest[open + 2..close].trim();
            out.push_str(&rest[..open]);
            match expr {
                "inventory_hostname" => out.push_str(&self.host.name),
                "inventory_hostname_short" => {
                    out.push_str(self.host.name.split('.').next().unwrap_or(""))
                }
                other => return Err(other.to_string()),
            }
            rest = &rest[close + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn first(&mut self, vars: &[&str]) -> Option<(String, String)> {
        for v in vars {
            if let Some(t) = self.text(v) {
                return Some((v.to_string(), t));
            }
        }
        None
    }

    fn present(&self, var: &str) -> bool {
        !matches!(self.host.vars.get(var), None | Some(Var::Null))
    }

    fn map(&mut self, opts: &MapOptions) -> Option<ImportedHost> {
        for name in self.host.vars.keys() {
            if (name.starts_with("bmc_") || name.starts_with("fwfleet_"))
                && !KNOWN.contains(&name.as_str())
            {
                self.warn(format!("unknown variable {name} ignored (docs/CONFIG.md, \"Importing from Ansible\", lists the ones fwfleet reads)"));
            }
        }
        let url = self.url();
        let username = match self.first(USER_VARS) {
            Some((_, u)) => Some(u),
            None => {
                self.problem("has no BMC username\n  hint: set bmc_user=NAME for the host or its group (e.g. in [all:vars])".into());
                None
            }
        };
        let password = self.password(opts);
        let (fingerprint, ca_file, insecure) = self.tls();
        let auth = self.text("bmc_auth").map(|a| a.to_ascii_lowercase());
        if let Some(a) = &auth {
            if a != "session" && a != "basic" {
                self.problem(format!("bmc_auth is `{a}`; write session or basic"));
            }
        }
        let proxy = self.text("bmc_proxy");
        let mut labels = self.labels();
        self.group_labels(&mut labels, &opts.group_labels);
        Some(ImportedHost {
            name: self.host.name.clone(),
            url: url?,
            username: username?,
            password: password?,
            tls_fingerprint_sha256: fingerprint,
            ca_file,
            insecure,
            auth,
            proxy,
            labels,
        })
    }

    fn url(&mut self) -> Option<String> {
        let (var, addr) = self
            .first(ADDRESS_VARS)
            .unwrap_or_else(|| ("the host name".to_string(), self.host.name.clone()));
        let scheme = self.text("bmc_scheme").map(|s| s.to_ascii_lowercase());
        let port = self.text("bmc_port");
        if addr.contains('@') {
            // Never echo it: the part before `@` may be user:password.
            self.problem(format!(
                "{var} holds credentials (`…@`)\n  hint: keep only the address there and use bmc_user with bmc_password_env or bmc_password_file"
            ));
            return None;
        }
        if addr.chars().any(char::is_whitespace) {
            self.problem(format!("{var} `{addr}` contains whitespace"));
            return None;
        }
        if let Some((s, rest)) = addr.split_once("://") {
            let s = s.to_ascii_lowercase();
            let authority = rest.trim_end_matches('/');
            if s != "https" && s != "http" {
                self.problem(format!("{var} `{addr}` is not an https:// or http:// URL"));
                return None;
            }
            if authority.is_empty() || authority.contains('/') {
                self.problem(format!(
                    "{var} `{addr}` has a path or no host\n  hint: write the BMC base URL https://HOST[:PORT] (no /redfish/v1)"
                ));
                return None;
            }
            if scheme.is_some() || port.is_some() {
                self.problem(format!(
                    "{var} is a full URL and bmc_scheme or bmc_port is also set\n  hint: keep the URL, or an address with bmc_scheme/bmc_port"
                ));
                return None;
            }
            return Some(format!("{s}://{authority}"));
        }
        let scheme = scheme.unwrap_or_else(|| "https".into());
        if scheme != "https" && scheme != "http" {
            self.problem(format!("bmc_scheme is `{scheme}`; write https or http"));
            return None;
        }
        let host = if addr.parse::<std::net::Ipv6Addr>().is_ok() {
            format!("[{addr}]")
        } else if addr.contains(':') && !addr.starts_with('[') {
            self.problem(format!(
                "{var} `{addr}` has a colon\n  hint: give the port as bmc_port, or write a URL https://HOST:PORT"
            ));
            return None;
        } else {
            addr
        };
        let port = match port {
            None => String::new(),
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n > 0 => format!(":{n}"),
                _ => {
                    self.problem(format!("bmc_port `{p}` is not a port number (1-65535)"));
                    return None;
                }
            },
        };
        Some(format!("{scheme}://{host}{port}"))
    }

    fn password(&mut self, opts: &MapOptions) -> Option<PasswordRef> {
        let env = self.text("bmc_password_env");
        let file = self.text("bmc_password_file");
        let literal = LITERAL_PASSWORD_VARS
            .iter()
            .find(|v| self.present(v))
            .copied();
        let reference = match (env, file) {
            (Some(e), Some(f)) => match self.more_specific("bmc_password_env", "bmc_password_file")
            {
                Some(true) => Some(PasswordRef::Env(e)),
                Some(false) => Some(PasswordRef::File(f)),
                None => {
                    self.problem("sets both bmc_password_env and bmc_password_file at the same level; keep one".into());
                    return None;
                }
            },
            (Some(e), None) => Some(PasswordRef::Env(e)),
            (None, Some(f)) => Some(PasswordRef::File(f)),
            (None, None) => opts.password_env.clone().map(PasswordRef::Env),
        };
        match (reference, literal) {
            (Some(r), None) => Some(r),
            (Some(r), Some(lit)) => {
                let used = match &r {
                    PasswordRef::Env(v) => format!("password_env = \"{v}\""),
                    PasswordRef::File(f) => format!("password_file = \"{f}\""),
                };
                self.warn(format!(
                    "{lit} holds a literal password; it was not copied (the config reads {used} instead)"
                ));
                Some(r)
            }
            (None, Some(lit)) => {
                self.problem(format!(
                    "{lit} holds a literal password, which fwfleet never copies into a config\n  hint: put the password in an environment variable or a file only fwfleet can read, and set bmc_password_env=VAR or bmc_password_file=PATH (e.g. in [all:vars]), or pass --password-env VAR"
                ));
                None
            }
            (None, None) => {
                self.problem("has no password reference\n  hint: set bmc_password_env=VAR or bmc_password_file=PATH for the host or its group (e.g. in [all:vars]), or pass --password-env VAR".into());
                None
            }
        }
    }

    fn tls(&mut self) -> (Option<String>, Option<String>, Option<bool>) {
        let verify = match self.text("bmc_tls_verify") {
            None => None,
            Some(v) => match ansible_bool(&v) {
                Some(b) => Some(b),
                None => {
                    self.problem(format!(
                        "bmc_tls_verify is `{v}`, not a boolean; write true or false"
                    ));
                    None
                }
            },
        };
        let mut fingerprint = self.text("bmc_tls_fingerprint");
        if let Some(fp) = &fingerprint {
            if let Err(e) = crate::redfish::tls::parse_fingerprint(fp) {
                self.problem(format!("bmc_tls_fingerprint: {e}"));
            }
        }
        let mut ca_file = self.text("bmc_ca_file");
        let mut verify = verify;
        // The more specific setting wins: a pin on one host beats
        // `bmc_tls_verify=false` for its group, and the other way round.
        for (var, set) in [
            ("bmc_tls_fingerprint", fingerprint.is_some()),
            ("bmc_ca_file", ca_file.is_some()),
        ] {
            if !set || verify != Some(false) {
                continue;
            }
            match self.more_specific("bmc_tls_verify", var) {
                Some(true) if var == "bmc_ca_file" => ca_file = None,
                Some(true) => fingerprint = None,
                Some(false) => verify = None,
                None => self.problem(format!("bmc_tls_verify=false contradicts {var} set at the same level\n  hint: a pinned or CA-checked host is verified; drop bmc_tls_verify=false")),
            }
        }
        let insecure = (verify == Some(false)).then_some(true);
        (fingerprint, ca_file, insecure)
    }

    /// Whether `a` is defined more specifically than `b`; `None` at the same level.
    fn more_specific(&self, a: &str, b: &str) -> Option<bool> {
        let r = |v: &str| self.host.rank.get(v).copied().unwrap_or(0);
        match r(a).cmp(&r(b)) {
            std::cmp::Ordering::Greater => Some(true),
            std::cmp::Ordering::Less => Some(false),
            std::cmp::Ordering::Equal => None,
        }
    }

    /// `--group-label KEY`: the one group `KEY_VALUE` the host is in becomes
    /// `KEY = "VALUE"`; two such groups are a problem (a cap per rack needs
    /// one rack per host); `fwfleet_labels` setting KEY wins.
    fn group_labels(&mut self, labels: &mut BTreeMap<String, String>, keys: &[String]) {
        let explicit = self.host.vars.contains_key("fwfleet_labels");
        for key in keys {
            let values: Vec<&str> = self
                .host
                .groups
                .iter()
                .filter_map(|g| group_label_value(key, g))
                .collect();
            match values.as_slice() {
                [] => {}
                [one] => {
                    if !(explicit && labels.contains_key(key)) {
                        labels.insert(key.clone(), (*one).to_string());
                    }
                }
                many => self.problem(format!(
                    "is in groups {} and --group-label {key} needs at most one\n  hint: keep the host in one {key}_* group, or set fwfleet_labels=\"{key}=VALUE\" on it",
                    many.iter().map(|v| format!("{key}_{v}")).collect::<Vec<_>>().join(", ")
                )),
            }
        }
    }

    /// Group names (value "true"), then `fwfleet_labels`, which wins on a clash.
    fn labels(&mut self) -> BTreeMap<String, String> {
        let mut labels: BTreeMap<String, String> = self
            .host
            .groups
            .iter()
            .map(|g| (g.clone(), "true".to_string()))
            .collect();
        let bad = "fwfleet_labels must be `key=value,…` text, a list of `key=value` / `key` items, or a mapping of key: value";
        match self.host.vars.get("fwfleet_labels").cloned() {
            None | Some(Var::Null) => {}
            Some(Var::Text(t)) => {
                for item in t.split(',') {
                    self.label_item(&mut labels, item);
                }
            }
            Some(Var::List(items)) => {
                for item in items {
                    match item {
                        Var::Text(t) => self.label_item(&mut labels, &t),
                        _ => self.problem(bad.into()),
                    }
                }
            }
            Some(Var::Map(m)) => {
                for (k, v) in m {
                    match v {
                        Var::Text(t) => {
                            labels.insert(k.trim().to_string(), t);
                        }
                        Var::Null => {
                            labels.insert(k.trim().to_string(), "true".into());
                        }
                        _ => self.problem(bad.into()),
                    }
                }
            }
            Some(Var::Redacted) => self.problem(bad.into()),
        }
        labels
    }

    fn label_item(&mut self, labels: &mut BTreeMap<String, String>, item: &str) {
        let item = item.trim();
        if item.is_empty() {
            return;
        }
        let (k, v) = match item.split_once('=') {
            Some((k, v)) => (k.trim(), v.trim()),
            None => (item, "true"),
        };
        if k.is_empty() {
            self.problem(format!("fwfleet_labels item `{item}` has no key"));
            return;
        }
        labels.insert(k.to_string(), v.to_string());
    }
}

/// Ansible's boolean spellings.
fn ansible_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" | "y" | "t" => Some(true),
        "false" | "no" | "off" | "0" | "n" | "f" => Some(false),
        _ => None,
    }
}

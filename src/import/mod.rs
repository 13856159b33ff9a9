//! Fleet config import from an Ansible inventory (`fwfleet import ansible`).
//!
//! Operators already keep their BMC lists in Ansible; this turns one into a
//! fleet config (docs/CONFIG.md, "Importing from Ansible"). It does no
//! network I/O and reads only the inventory file.
//!
//! - `model` is the inventory as written: groups, children, variables. Values
//!   of password-like variables are dropped as they are parsed, so no error,
//!   `Debug` output or generated file can contain one.
//! - `ini` and `yaml` parse Ansible's two inventory formats into the model;
//!   `range` expands host ranges (`bmc[01:20].dc1`) for both.
//! - `resolve` applies Ansible's group hierarchy and variable precedence
//!   (`all` < parent group < child group < host).
//! - `map` gives the variables their fwfleet meaning (address, user, password
//!   reference, TLS, labels), collecting every problem and warning per host.
//! - `render` writes the fleet config TOML that [`crate::config::Config`] reads.

mod ini;
pub mod map;
pub mod model;
mod range;
mod render;
pub mod resolve;
mod yaml;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};

pub use map::{ImportedHost, PasswordRef};

/// Why an inventory could not be imported: the file, the line when known,
/// and what to fix. Never contains a password value.
#[derive(Debug, thiserror::Error)]
pub struct ImportError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
    #[source]
    pub source: Option<std::io::Error>,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "inventory {}", self.path.display())?;
        if let Some(l) = self.line {
            write!(f, ": line {l}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The two inventory formats Ansible ships parsers for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Ini,
    Yaml,
}

impl Format {
    /// By extension (`.yml`, `.yaml`, `.json` are YAML; `.ini`, `.cfg` INI),
    /// else by the first meaningful line (`all:` or `---` is YAML).
    pub fn detect(path: &Path, text: &str) -> Format {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("yml" | "yaml" | "json") => return Format::Yaml,
            Some("ini" | "cfg") => return Format::Ini,
            _ => {}
        }
        let first = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(';'));
        match first {
            Some(l) if l.starts_with("---") || l.starts_with('{') => Format::Yaml,
            Some(l) if !l.starts_with('[') && l.ends_with(':') => Format::Yaml,
            _ => Format::Ini,
        }
    }
}

/// What the import is asked for, beyond the inventory.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Only hosts in this group (directly or through its children).
    pub group: Option<String>,
    /// `password_env` for hosts with no `bmc_password_env` / `bmc_password_file`.
    pub password_env: Option<String>,
    /// Label keys made from group names (`--group-label rack`): a host in
    /// group `rack_a` (or `rack-a`) gets `rack = "a"`, which `label_caps`,
    /// selectors and windows can use.
    pub group_labels: Vec<String>,
}

/// A finished import.
#[derive(Debug, Clone)]
pub struct Import {
    pub format: Format,
    pub hosts: Vec<ImportedHost>,
    /// The fleet config TOML, header included.
    pub toml: String,
    /// For the operator (unknown variables, literal passwords not copied, …).
    pub warnings: Vec<String>,
}

/// Parse an inventory in either format into the model.
pub fn parse_inventory(path: &Path, text: &str) -> Result<(Format, model::Inventory), ImportError> {
    let err = |line: Option<usize>, message: String| ImportError {
        path: path.to_path_buf(),
        line,
        message,
        source: None,
    };
    let format = Format::detect(path, text);
    let inv = match format {
        Format::Ini => ini::parse(text).map_err(|(l, m)| err(Some(l), m))?,
        Format::Yaml => yaml::parse(text).map_err(|(l, m)| {
            err(
                l,
                format!(
                    "{m}\n  hint: the file was read as a YAML inventory (all: hosts/children/vars)"
                ),
            )
        })?,
    };
    Ok((format, inv))
}

/// Read the inventory at `path` and import it.
pub fn import_file(path: &Path, opts: &ImportOptions) -> Result<Import, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|e| ImportError {
        path: path.to_path_buf(),
        line: None,
        message: format!("cannot read it: {e}"),
        source: Some(e),
    })?;
    import_text(path, &text, opts)
}

/// Import inventory `text` read from `path` (used for the format, messages and header).
pub fn import_text(path: &Path, text: &str, opts: &ImportOptions) -> Result<Import, ImportError> {
    let err = |message: String| ImportError {
        path: path.to_path_buf(),
        line: None,
        message,
        source: None,
    };
    let (format, inv) = parse_inventory(path, text)?;
    let mut warnings: Vec<String> = inv
        .warnings
        .iter()
        .map(|w| format!("inventory {}: {w}", path.display()))
        .collect();
    let mut hosts = resolve::resolve(&inv).map_err(err)?;
    if let Some(g) = &opts.group {
        if !inv.groups.contains_key(g) {
            let known: Vec<&str> = inv
                .groups
                .keys()
                .map(String::as_str)
                .filter(|k| *k != "ungrouped")
                .collect();
            return Err(err(format!(
                "has no group `{g}`\n  hint: --group takes one of: {}",
                known.join(", ")
            )));
        }
        if g != "all" {
            hosts.retain(|h| h.groups.iter().any(|x| x == g));
        }
    }
    if hosts.is_empty() {
        return Err(err(match &opts.group {
            Some(g) => format!("group `{g}` has no hosts"),
            None => "has no hosts\n  hint: list BMCs under a [GROUP] section (INI) or all: hosts: (YAML)".into(),
        }));
    }
    let map_opts = map::MapOptions {
        password_env: opts.password_env.clone(),
        group_labels: opts.group_labels.clone(),
    };
    let (imported, notes) = map::map_hosts(&hosts, &map_opts).map_err(|problems| {
        let lines = problems.render();
        err(format!(
            "cannot be imported:\n{}",
            lines
                .iter()
                .map(|l| format!("  - {}", l.replace('\n', "\n  ")))
                .collect::<Vec<_>>()
                .join("\n")
        ))
    })?;
    warnings.extend(notes.render());
    let source = match &opts.group {
        Some(g) => format!("{} (group {g})", path.display()),
        None => path.display().to_string(),
    };
    let toml = render::fleet_toml(&source, &imported);
    Ok(Import {
        format,
        hosts: imported,
        toml,
        warnings,
    })
}

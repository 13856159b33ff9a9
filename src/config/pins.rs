//! Writing pins (`fwfleet trust`): into the config's `[[hosts]]` tables, or
//! into a pins file the config names (`tls_pins_file`). Both keep the
//! operator's file as written — comments, order, formatting — through
//! `toml_edit`, and are replaced atomically (a temporary file renamed over
//! it, with the old file's permissions), so a reader never sees half a file.

use super::ConfigError;
use std::path::{Path, PathBuf};

/// One certificate to pin, and what the operator saw when it was pinned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPin {
    pub host: String,
    /// `AB:CD:…`.
    pub fingerprint: String,
    pub subject: String,
    pub not_after: String,
}

fn err(path: &Path, key: Option<&str>, message: String) -> ConfigError {
    ConfigError {
        path: path.to_path_buf(),
        key: key.map(str::to_string),
        message,
    }
}

fn read_doc(path: &Path) -> Result<toml_edit::DocumentMut, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| err(path, None, format!("cannot read it: {e}")))?;
    text.parse::<toml_edit::DocumentMut>()
        .map_err(|e| err(path, None, format!("is not TOML: {e}")))
}

/// Replace `path` with `text`: a temporary file beside it, with the old
/// file's mode, owner and group (for a new file: `mode`, and the group of
/// `like`, so that a pins file beside a `root:fwfleet 0640` config is
/// readable by the service as the config is), renamed over it.
fn replace(path: &Path, text: &str, mode: u32, like: &Path) -> Result<(), ConfigError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.fwfleet-trust-{}", std::process::id()));
    let fail = |what: &str, e: std::io::Error| {
        let _ = std::fs::remove_file(&tmp);
        err(path, None, format!("cannot {what}: {e}\n  hint: fwfleet trust needs write access to the file and its directory"))
    };
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).map_or(mode, |m| m.permissions().mode() & 0o7777)
    };
    {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(mode);
        }
        let mut f = opts.open(&tmp).map_err(|e| fail("write beside it", e))?;
        f.write_all(text.as_bytes())
            .map_err(|e| fail("write it", e))?;
        f.sync_all().map_err(|e| fail("write it", e))?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))
            .map_err(|e| fail("set its mode", e))?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let (uid, gid) = match std::fs::metadata(path) {
            Ok(m) => (Some(m.uid()), Some(m.gid())),
            Err(_) => (None, std::fs::metadata(like).ok().map(|m| m.gid())),
        };
        let mine = std::fs::metadata(&tmp).map_err(|e| fail("write beside it", e))?;
        if uid.is_some_and(|u| u != mine.uid()) || gid.is_some_and(|g| g != mine.gid()) {
            std::os::unix::fs::chown(&tmp, uid, gid).map_err(|e| {
                fail(
                    "keep its owner and group (run fwfleet trust as the file's owner or root)",
                    e,
                )
            })?;
        }
    }
    std::fs::rename(&tmp, path).map_err(|e| fail("replace it", e))
}

/// Set `tls_fingerprint_sha256` on each host's `[[hosts]]` table in the
/// config at `path`.
pub fn write_into_config(path: &Path, pins: &[NewPin]) -> Result<(), ConfigError> {
    let mut doc = read_doc(path)?;
    for pin in pins {
        let table = host_table(&mut doc, &pin.host).ok_or_else(|| {
            err(
                path,
                Some("hosts"),
                format!(
                    "host {} is not a [[hosts]] table of this file, so its pin cannot be written here\n  hint: write pins into a file of their own with --pins-file FILE",
                    pin.host
                ),
            )
        })?;
        table.insert("tls_fingerprint_sha256", toml_edit::value(&pin.fingerprint));
        // `insecure` and a pin contradict each other; `trust` never pins an
        // insecure host, so none is here to remove.
    }
    replace(path, &doc.to_string(), 0o600, path)
}

fn host_table<'a>(
    doc: &'a mut toml_edit::DocumentMut,
    name: &str,
) -> Option<&'a mut dyn toml_edit::TableLike> {
    let hosts = doc.get_mut("hosts")?;
    if hosts.is_array_of_tables() {
        return hosts
            .as_array_of_tables_mut()?
            .iter_mut()
            .find(|t| t.get("name").and_then(|n| n.as_str()) == Some(name))
            .map(|t| t as &mut dyn toml_edit::TableLike);
    }
    hosts.as_array_mut()?.iter_mut().find_map(|v| {
        let t = v.as_inline_table_mut()?;
        (t.get("name").and_then(|n| n.as_str()) == Some(name))
            .then_some(t as &mut dyn toml_edit::TableLike)
    })
}

/// Add `pins` to the pins file `file` (created if missing), one
/// `[hosts.NAME]` table each, and name the file in the config at `config`
/// (`tls_pins_file`) when it does not name one yet.
pub fn write_pins_file(
    config: &Path,
    file: &Path,
    pins: &[NewPin],
    now: &str,
) -> Result<(), ConfigError> {
    let mut doc = if file.exists() {
        read_doc(file)?
    } else {
        let mut d = toml_edit::DocumentMut::new();
        d.decor_mut().set_prefix(
            "# TLS pins written by `fwfleet trust` (docs/SECURITY.md#trust-on-first-use).\n\
             # One table per host; only tls_fingerprint_sha256 is read, the rest says\n\
             # what was shown when it was pinned.\n",
        );
        d
    };
    let hosts = doc
        .entry("hosts")
        .or_insert_with(|| {
            let mut t = toml_edit::Table::new();
            t.set_implicit(true);
            toml_edit::Item::Table(t)
        })
        .as_table_mut()
        .ok_or_else(|| err(file, Some("hosts"), "is not a table of host pins".into()))?;
    for pin in pins {
        let mut t = toml_edit::Table::new();
        t.insert("tls_fingerprint_sha256", toml_edit::value(&pin.fingerprint));
        t.insert("subject", toml_edit::value(&pin.subject));
        t.insert("not_after", toml_edit::value(&pin.not_after));
        t.insert("pinned_at", toml_edit::value(now));
        hosts.insert(&pin.host, toml_edit::Item::Table(t));
    }
    replace(file, &doc.to_string(), 0o640, config)?;
    name_pins_file(config, file)
}

/// `tls_pins_file = "…"` at the top of the config, relative to it when the
/// pins file is beside it or below.
fn name_pins_file(config: &Path, file: &Path) -> Result<(), ConfigError> {
    let mut doc = read_doc(config)?;
    let base = config.parent().unwrap_or(Path::new(""));
    let shown: PathBuf = file
        .strip_prefix(base)
        .map_or_else(|_| file.to_path_buf(), Path::to_path_buf);
    match doc.get("tls_pins_file").and_then(|v| v.as_str()) {
        Some(named) => {
            let named = Path::new(named);
            let same = if named.is_absolute() {
                named == file
            } else {
                base.join(named) == file
            };
            if same {
                return Ok(());
            }
            Err(err(
                config,
                Some("tls_pins_file"),
                format!(
                    "names {}, not {}: the pins just written would not be read\n  hint: run fwfleet trust without --pins-file to use {}",
                    named.display(),
                    file.display(),
                    named.display()
                ),
            ))
        }
        None => {
            doc.insert(
                "tls_pins_file",
                toml_edit::value(shown.to_string_lossy().as_ref()),
            );
            replace(config, &doc.to_string(), 0o600, config)
        }
    }
}

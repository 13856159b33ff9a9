//! `fwfleet import ansible INVENTORY`: write a fleet config from an Ansible
//! inventory. All the work is in [`crate::import`]; this checks the flags,
//! prints the warnings and writes the file.

use super::UsageError;
use crate::import::{import_file, ImportOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub source: ImportSource,
}

#[derive(Debug, clap::Subcommand)]
pub enum ImportSource {
    /// From an Ansible inventory, INI or YAML (docs/CONFIG.md, "Importing from Ansible").
    Ansible(AnsibleArgs),
}

#[derive(Debug, clap::Args)]
pub struct AnsibleArgs {
    /// The inventory file (`.yml`/`.yaml` is read as YAML, anything else as INI
    /// unless it starts like YAML).
    pub inventory: PathBuf,
    /// Write the fleet config here instead of to stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Only hosts in this group (directly or through its child groups).
    #[arg(long, value_name = "G")]
    pub group: Option<String>,
    /// Hosts with no bmc_password_env / bmc_password_file read their password
    /// from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// Make the label KEY from group names (repeatable): a host in group `KEY_VALUE` or `KEY-VALUE` gets `KEY = "VALUE"` (`--group-label rack`: rack_a → rack = "a"), usable by label_caps.
    #[arg(long = "group-label", value_name = "KEY")]
    pub group_labels: Vec<String>,
    /// Replace --output FILE if it exists.
    #[arg(long)]
    pub force: bool,
}

/// `fwfleet import …`: exit 0 when the config was written, 2 when the
/// inventory or the flags are wrong (nothing is written then).
pub fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    match args.source {
        ImportSource::Ansible(a) => ansible(a),
    }
}

fn ansible(a: AnsibleArgs) -> anyhow::Result<ExitCode> {
    if let Some(var) = &a.password_env {
        if var.is_empty() || var.contains(['=', '\0']) || var.chars().any(char::is_whitespace) {
            return Err(UsageError(format!(
                "--password-env '{var}' is not an environment variable name\n  hint: e.g. --password-env BMC_PASSWORD"
            ))
            .into());
        }
    }
    for key in &a.group_labels {
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(UsageError(format!(
                "--group-label '{key}' is not a label name\n  hint: e.g. --group-label rack, for groups named rack_a, rack_b"
            ))
            .into());
        }
    }
    if let Some(out) = &a.output {
        if out.exists() && !a.force {
            return Err(UsageError(format!(
                "{} exists\n  hint: pass --force to replace it, or choose another --output",
                out.display()
            ))
            .into());
        }
    }
    let opts = ImportOptions {
        group: a.group.clone(),
        password_env: a.password_env.clone(),
        group_labels: a.group_labels.clone(),
    };
    let import = import_file(&a.inventory, &opts).map_err(|e| UsageError(e.to_string()))?;
    for w in &import.warnings {
        tracing::warn!("{w}");
    }
    match &a.output {
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(import.toml.as_bytes())?;
            stdout.flush()?;
        }
        Some(out) => {
            write_replacing(out, &import.toml)?;
            println!(
                "imported {} hosts from {} into {}",
                import.hosts.len(),
                a.inventory.display(),
                out.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Write through a temporary file in the same directory and rename, so a
/// failed write never leaves half a config behind.
fn write_replacing(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| UsageError(format!("--output {} is not a file name", path.display())))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let result = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(UsageError(format!("cannot write {}: {e}", path.display())).into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(inventory: &Path, output: Option<PathBuf>, force: bool) -> ImportArgs {
        ImportArgs {
            source: ImportSource::Ansible(AnsibleArgs {
                inventory: inventory.to_path_buf(),
                output,
                group: None,
                password_env: None,
                group_labels: Vec::new(),
                force,
            }),
        }
    }

    #[test]
    fn output_is_written_once_then_replaced_only_with_force() {
        let dir = tempfile::tempdir().unwrap();
        let inv = dir.path().join("hosts");
        std::fs::write(&inv, "h bmc_user=u bmc_password_env=P\n").unwrap();
        let out = dir.path().join("fleet.toml");
        run(args(&inv, Some(out.clone()), false)).unwrap();
        assert!(std::fs::read_to_string(&out)
            .unwrap()
            .contains("name = \"h\""));
        let e = run(args(&inv, Some(out.clone()), false)).unwrap_err();
        assert!(e.to_string().contains("--force"), "{e}");
        std::fs::write(&inv, "h2 bmc_user=u bmc_password_env=P\n").unwrap();
        run(args(&inv, Some(out.clone()), true)).unwrap();
        assert!(std::fs::read_to_string(&out)
            .unwrap()
            .contains("name = \"h2\""));
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 2, "no temporary file is left behind");
    }

    #[test]
    fn inventory_errors_are_usage_errors_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let inv = dir.path().join("hosts");
        std::fs::write(&inv, "h bmc_password=hunter2\n").unwrap();
        let out = dir.path().join("fleet.toml");
        let e = run(args(&inv, Some(out.clone()), false)).unwrap_err();
        assert!(e.downcast_ref::<UsageError>().is_some());
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(!out.exists());
        let mut a = args(&inv, None, false);
        let ImportSource::Ansible(x) = &mut a.source;
        x.password_env = Some("A B".into());
        let e = run(a).unwrap_err();
        assert!(e.to_string().contains("--password-env"), "{e}");
    }
}

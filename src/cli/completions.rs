//! `fwfleet completions SHELL` and `fwfleet man`: what a package ships
//! besides the binary, generated from the same clap definitions the binary
//! parses with, so they can never describe flags that do not exist.

use super::{Cli, UsageError};
use clap::CommandFactory;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell.
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write fwfleet.1 and one page per subcommand (fwfleet-apply.1, fwfleet-repo-add.1, …)
    /// into this directory instead of printing fwfleet.1 on stdout.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `fwfleet completions SHELL`: the completion script on stdout, e.g.
/// `fwfleet completions bash > /usr/share/bash-completion/completions/fwfleet`.
pub fn completions(args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut Cli::command(), "fwfleet", &mut out);
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `fwfleet man [--out DIR]`.
pub fn man(args: ManArgs) -> anyhow::Result<ExitCode> {
    match args.out {
        None => {
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(Cli::command()).render(&mut out)?;
            out.flush()?;
        }
        Some(dir) => {
            let written = write_man_pages(&dir)?;
            for p in written {
                println!("{}", p.display());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Write `fwfleet.1` and a page per subcommand, nested ones named by their
/// path (`fwfleet-repo-add.1`, as git names its pages). Returns the files.
pub fn write_man_pages(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .map_err(|e| UsageError(format!("--out {}: {e}", dir.display())))?;
    let mut cmd = Cli::command();
    cmd.build();
    let mut written = Vec::new();
    page(&cmd, "fwfleet", dir, &mut written)?;
    Ok(written)
}

fn page(
    cmd: &clap::Command,
    name: &str,
    dir: &Path,
    written: &mut Vec<PathBuf>,
) -> anyhow::Result<()> {
    let path = dir.join(format!("{name}.1"));
    let mut buf = Vec::new();
    // The page's title is its file name, so `man fwfleet-apply` finds it.
    let named = cmd.clone().name(name.to_string());
    clap_mangen::Man::new(named).render(&mut buf)?;
    std::fs::write(&path, buf).map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
    written.push(path);
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        page(sub, &format!("{name}-{}", sub.get_name()), dir, written)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shell_gets_a_script_naming_every_subcommand() {
        let cmd = Cli::command();
        let subs: Vec<String> = cmd
            .get_subcommands()
            .map(|s| s.get_name().to_string())
            .collect();
        assert!(subs.iter().any(|s| s == "apply"), "{subs:?}");
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
            clap_complete::Shell::Elvish,
            clap_complete::Shell::PowerShell,
        ] {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "fwfleet", &mut buf);
            let text = String::from_utf8(buf).unwrap();
            for s in &subs {
                assert!(text.contains(s.as_str()), "{shell}: no {s}");
            }
        }
    }

    #[test]
    fn man_pages_cover_every_subcommand_and_nested_ones() {
        let dir = tempfile::tempdir().unwrap();
        let files = write_man_pages(dir.path()).unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        for want in [
            "fwfleet.1",
            "fwfleet-apply.1",
            "fwfleet-repo-import.1",
            "fwfleet-man.1",
        ] {
            assert!(names.iter().any(|n| n == want), "{want} missing: {names:?}");
        }
        let apply = std::fs::read_to_string(dir.path().join("fwfleet-apply.1")).unwrap();
        assert!(
            apply.starts_with(".ie") || apply.contains(".TH fwfleet-apply"),
            "{apply}"
        );
        assert!(apply.contains("dry\\-run"), "{apply}");
    }
}

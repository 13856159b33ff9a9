//! `serve` reads its config again on SIGHUP, as operators expect of a
//! daemon (nginx, Prometheus): the new file is validated whole first, and a
//! file that does not validate is refused with a log line while the running
//! config stays. A run already going keeps the config it started with (its
//! plan is its own); the next run, the scheduler's next look, the host views
//! and the schedule preview use the new one.
//!
//! What cannot change under a running process is kept from the old config
//! and named in a warning: the state directory (the journal and the update
//! lock live there) and the `[daemon]` table (the socket is bound, the TLS
//! files and the tokens are loaded, the scheduler is running or not), and
//! the `[[notify]]` webhooks (their workers and queues live as long as the
//! process).

use crate::config::Config;

/// The config to switch to: `new`, with the settings that need a restart
/// taken from `old`; and one line per such setting that differed.
pub fn merge(old: &Config, mut new: Config) -> (Config, Vec<String>) {
    let mut kept = Vec::new();
    if new.state_dir != old.state_dir {
        kept.push(format!(
            "state_dir changed to {}: it needs a restart; still using {}",
            new.state_dir.display(),
            old.state_dir.display()
        ));
        new.state_dir = old.state_dir.clone();
    }
    if new.daemon != old.daemon {
        kept.push(
            "[daemon] changed (bind, TLS, tokens, timeouts or scheduler): it needs a restart; still using the table the service started with".to_string(),
        );
        new.daemon = old.daemon.clone();
    }
    if new.notify != old.notify {
        kept.push(
            "[[notify]] changed: the webhook workers need a restart; still sending to the endpoints the service started with".to_string(),
        );
        new.notify = old.notify.clone();
    }
    (new, kept)
}

/// One line for the log: what the reloaded config holds.
pub fn summary(cfg: &Config) -> String {
    format!(
        "config reloaded from {}: {} host(s), {} window(s)",
        cfg.path.display(),
        cfg.hosts.len(),
        cfg.schedule.windows().len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const HOST: &str =
        "[[hosts]]\nname = \"a\"\nurl = \"https://a\"\nusername = \"u\"\npassword = \"p\"\n";

    fn parse(text: &str) -> Config {
        Config::parse(Path::new("/etc/fwfleet/fleet.toml"), text).unwrap()
    }

    #[test]
    fn hosts_and_windows_change_and_the_restart_only_settings_stay() {
        let old = parse(&format!("state_dir = \"/var/lib/a\"\n{HOST}"));
        let new = parse(&format!(
            "state_dir = \"/var/lib/b\"\n[daemon]\nbind = \"127.0.0.1:9999\"\n\n{HOST}[[hosts]]\nname = \"b\"\nurl = \"https://b\"\nusername = \"u\"\npassword = \"p\"\n\n[[windows]]\nname = \"w\"\ncron = \"0 1 * * *\"\nduration = \"2h\"\ntimezone = \"UTC\"\n"
        ));
        let (cfg, kept) = merge(&old, new);
        assert_eq!(cfg.hosts.len(), 2);
        assert_eq!(cfg.schedule.windows().len(), 1);
        assert_eq!(cfg.state_dir, old.state_dir);
        assert_eq!(cfg.daemon, old.daemon);
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert!(kept[0].contains("state_dir") && kept[0].contains("/var/lib/a"));
        assert!(kept[1].contains("[daemon]"));
        assert_eq!(
            summary(&cfg),
            "config reloaded from /etc/fwfleet/fleet.toml: 2 host(s), 1 window(s)"
        );
        // The same file again: nothing to say.
        let (_, kept) = merge(&old, old.clone());
        assert!(kept.is_empty());
    }
}

//! `serve` reloads its config on SIGHUP: a valid file is switched to (hosts,
//! windows), a bad one is refused with a log line and the old config stays.

use crate::apply::{setup, timing};
use mock_bmc::fleet::FleetConfig;
use mock_bmc::{Persona, Profile};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

const TOKEN: &str = "reload-test-token-0123456789abcdef";

/// The next stderr line containing `needle` (the service's log is the event).
fn wait_for(lines: &Receiver<String>, needle: &str) -> String {
    let mut seen = Vec::new();
    loop {
        let line = lines
            .recv_timeout(Duration::from_secs(90))
            .unwrap_or_else(|_| {
                panic!(
                    "serve never logged {needle:?}; it logged:\n{}",
                    seen.join("\n")
                )
            });
        if line.contains(needle) {
            return line;
        }
        seen.push(line);
    }
}

fn hosts(rt: &tokio::runtime::Runtime, base: &str) -> Vec<String> {
    rt.block_on(async {
        let v: Value = reqwest::Client::new()
            .get(format!("{base}/api/v1/hosts"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["name"].as_str().unwrap().to_string())
            .collect()
    })
}

#[cfg(unix)]
#[test]
fn sighup_switches_to_a_valid_config_and_refuses_a_bad_one() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt.block_on(setup(
        FleetConfig {
            count: 3,
            profile: Profile::Single(Persona::Generic),
            timing: timing(),
            ..FleetConfig::default()
        },
        "canary = 0",
    ));
    let full = std::fs::read_to_string(&s.config).unwrap();
    let daemon = "[daemon]\ntoken_env = \"FWFLEET_RELOAD_TEST_TOKEN\"\n\n";
    // Start with the first two hosts only: cut the text before the third.
    let third = full.match_indices("[[hosts]]").nth(2).unwrap().0;
    let rollout = full.find("[rollout]").unwrap();
    let two = format!("{daemon}{}{}", &full[..third], &full[rollout..]);
    mock_bmc::fleet::write_private(&s.config, two.as_bytes()).unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_fwfleet"))
        .args(["serve", "--bind", "127.0.0.1:0", "--config"])
        .arg(&s.config)
        .env("FWFLEET_RELOAD_TEST_TOKEN", TOKEN)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let base = wait_for(&rx, "fwfleet serve: listening on ")
        .trim_start_matches("fwfleet serve: listening on ")
        .to_string();
    // The API answers once startup (resume) is done.
    wait_for(&rx, "runs start through the API only");
    assert_eq!(hosts(&rt, &base), ["bmc-0001", "bmc-0002"]);
    let hup = || {
        assert!(Command::new("kill")
            .args(["-HUP", &child.id().to_string()])
            .status()
            .unwrap()
            .success());
    };

    // All three hosts and a window: switched to.
    let three = format!("{daemon}{full}\n[[windows]]\nname = \"nightly\"\ncron = \"0 1 * * *\"\nduration = \"2h\"\ntimezone = \"UTC\"\n");
    mock_bmc::fleet::write_private(&s.config, three.as_bytes()).unwrap();
    hup();
    let line = wait_for(&rx, "config reloaded");
    assert!(line.contains("3 host(s), 1 window(s)"), "{line}");
    assert_eq!(hosts(&rt, &base), ["bmc-0001", "bmc-0002", "bmc-0003"]);

    // A bad file (an unknown key): refused, named, the three hosts stay.
    let bad = format!("{three}\nconcurrencyy = 4\n");
    mock_bmc::fleet::write_private(&s.config, bad.as_bytes()).unwrap();
    hup();
    let line = wait_for(&rx, "config reload refused");
    assert!(line.contains("concurrencyy"), "{line}");
    assert_eq!(hosts(&rt, &base), ["bmc-0001", "bmc-0002", "bmc-0003"]);

    // A changed [daemon] needs a restart: said, and the service keeps its own.
    let moved = three.replace(daemon, &format!("{daemon}max_body_bytes = 4096\n"));
    mock_bmc::fleet::write_private(&s.config, moved.as_bytes()).unwrap();
    hup();
    wait_for(&rx, "[daemon] changed");
    wait_for(&rx, "config reloaded");

    let _ = child.kill();
    let _ = child.wait();
}

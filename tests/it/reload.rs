//! `serve` reloads its config on SIGHUP: a valid file is switched to (hosts,
//! windows), a bad one is refused with a log line and the old config stays.

use crate::apply::{setup, timing};
use crate::serve_proc::Serve;
use mock_bmc::fleet::FleetConfig;
use mock_bmc::{Persona, Profile};
use serde_json::Value;

const TOKEN: &str = "reload-test-token-0123456789abcdef";

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
        }
        .ideal(),
        "canary = 0",
    ));
    let full = std::fs::read_to_string(&s.config).unwrap();
    let daemon = "[daemon]\ntoken_env = \"FWFLEET_RELOAD_TEST_TOKEN\"\n\n";
    // Start with the first two hosts only: cut the text before the third.
    let third = full.match_indices("[[hosts]]").nth(2).unwrap().0;
    let rollout = full.find("[rollout]").unwrap();
    let two = format!("{daemon}{}{}", &full[..third], &full[rollout..]);
    mock_bmc::fleet::write_private(&s.config, two.as_bytes()).unwrap();

    let serve = Serve::start(&s.config, "FWFLEET_RELOAD_TEST_TOKEN", TOKEN, "info");
    let base = serve.base.clone();
    // The API answers once startup (resume) is done.
    serve.wait_for("runs start through the API only");
    assert_eq!(hosts(&rt, &base), ["bmc-0001", "bmc-0002"]);
    // All three hosts and a window: switched to.
    let three = format!("{daemon}{full}\n[[windows]]\nname = \"nightly\"\ncron = \"0 1 * * *\"\nduration = \"2h\"\ntimezone = \"UTC\"\n");
    mock_bmc::fleet::write_private(&s.config, three.as_bytes()).unwrap();
    serve.signal("HUP");
    let line = serve.wait_for("config reloaded");
    assert!(line.contains("3 host(s), 1 window(s)"), "{line}");
    assert_eq!(hosts(&rt, &base), ["bmc-0001", "bmc-0002", "bmc-0003"]);

    // A bad file (an unknown key): refused, named, the three hosts stay.
    let bad = format!("{three}\nconcurrencyy = 4\n");
    mock_bmc::fleet::write_private(&s.config, bad.as_bytes()).unwrap();
    serve.signal("HUP");
    let line = serve.wait_for("config reload refused");
    assert!(line.contains("concurrencyy"), "{line}");
    assert_eq!(hosts(&rt, &base), ["bmc-0001", "bmc-0002", "bmc-0003"]);

    // A changed [daemon] needs a restart: said, and the service keeps its own.
    let moved = three.replace(daemon, &format!("{daemon}max_body_bytes = 4096\n"));
    mock_bmc::fleet::write_private(&s.config, moved.as_bytes()).unwrap();
    serve.signal("HUP");
    serve.wait_for("[daemon] changed");
    serve.wait_for("config reloaded");
}

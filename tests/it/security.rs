//! A BMC is untrusted input (issue 13, docs/SECURITY.md): what reaches hook
//! environments, the store and the log. The client's tests against hostile
//! BMCs are in src/redfish/tests/hostile.rs.

use mock_bmc::{Kind, Persona};
use serde_json::Value;

#[test]
fn hooks_see_no_secret_variable_and_an_echoed_secret_reaches_neither_store_nor_log() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt.block_on(crate::apply::setup(
        mock_bmc::FleetConfig {
            count: 1,
            profile: mock_bmc::Profile::Single(Persona::Generic),
            timing: crate::apply::timing(),
            ..mock_bmc::FleetConfig::default()
        }
        .ideal(),
        "",
    ));
    rt.block_on(crate::apply::repository_of_kind(
        &s,
        Kind::Nic,
        mock_bmc::vstyle::Bump::Patch,
        None,
    ));
    let bmc_pw = s.fleet.bmcs[0].password().to_string();
    let token = "sectest-api-token-0123456789abcdef";
    let env_dump = s.dir.path().join("hook-env");
    // The hook has its own way to a secret (a file it may read) and prints it.
    let leak = s.dir.path().join("leak");
    std::fs::write(&leak, format!("{bmc_pw} {token}")).unwrap();
    let fleet = s.fleet.fleet_toml().replace(
        &format!("password = \"{bmc_pw}\""),
        "password_env = \"SECTEST_BMC_PW\"",
    );
    assert!(fleet.contains("SECTEST_BMC_PW"), "{fleet}");
    let text = format!(
        "{fleet}\n[daemon]\ntoken_env = \"SECTEST_API_TOKEN\"\n\n[rollout]\ncanary = 0\nstep_deadline_secs = 60\n\
         env_passthrough = [\"SECTEST_VISIBLE\"]\n\
         post_update = 'env > {}; echo \"leaking $(cat {})\"; exit 4'\n",
        env_dump.display(),
        leak.display()
    );
    mock_bmc::fleet::write_private(&s.config, text.as_bytes()).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fwfleet"))
        .args(["apply", "--yes", "--format", "json", "--config"])
        .arg(&s.config)
        .env("SECTEST_BMC_PW", &bmc_pw)
        .env("SECTEST_API_TOKEN", token)
        .env("SECTEST_VISIBLE", "yes")
        .env("RUST_LOG", "debug")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.code().is_some(), "{stderr}");
    // The hook ran, in a clean environment.
    let env = std::fs::read_to_string(&env_dump).unwrap_or_else(|e| panic!("{e}\n{stderr}"));
    assert!(
        env.contains("FWFLEET_HOST=") && env.contains("SECTEST_VISIBLE=yes"),
        "{env}"
    );
    for name in ["SECTEST_BMC_PW", "SECTEST_API_TOKEN", "RUST_LOG", "CARGO"] {
        assert!(!env.contains(&format!("{name}=")), "{name} in {env}");
    }
    assert!(!env.contains(&bmc_pw) && !env.contains(token), "{env}");
    let allowed = [
        "PATH",
        "HOME",
        "LANG",
        "SECTEST_VISIBLE",
        "PWD",
        "SHLVL",
        "_",
        "OLDPWD",
    ];
    for line in env.lines().filter(|l| l.contains('=')) {
        let name = line.split('=').next().unwrap();
        assert!(
            name.starts_with("FWFLEET_") || allowed.contains(&name),
            "hooks got {name}: {env}"
        );
    }
    // What it printed reached the journal redacted, and nothing else anywhere.
    // The config names no state_dir: `state/` beside it.
    let state_dir = s.dir.path().join("state");
    let store = fwfleet::store::SqliteStore::open(&state_dir).unwrap();
    let run: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    let events = store.events(run["run_id"].as_i64().unwrap()).unwrap();
    let failed = events
        .iter()
        .find(|e| e.kind == "hook-failed")
        .unwrap_or_else(|| panic!("{events:#?}"));
    assert!(
        failed.message.contains("leaking [redacted] [redacted]"),
        "{}",
        failed.message
    );
    for (what, text) in [("stdout", &*stdout), ("stderr", &*stderr)] {
        assert!(
            !text.contains(&bmc_pw) && !text.contains(token),
            "{what}: {text}"
        );
    }
    drop(store);
    for f in std::fs::read_dir(&state_dir).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap();
        for secret in [bmc_pw.as_bytes(), token.as_bytes()] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret),
                "a secret is in the state directory"
            );
        }
    }
}

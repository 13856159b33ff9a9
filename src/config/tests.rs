use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(Path::new("/etc/fwfleet/fleet.toml"), text)
}

const ONE: &str =
    "[[hosts]]\nname = \"a\"\nurl = \"https://10.0.0.5\"\nusername = \"root\"\npassword = \"pw\"\n";

#[test]
fn a_mock_fleet_file_loads_with_defaults() {
    let c = parse(ONE).unwrap();
    assert_eq!(c.hosts.len(), 1);
    assert_eq!(c.state_dir, PathBuf::from("/etc/fwfleet/state"));
    assert_eq!(c.repository, PathBuf::from("/etc/fwfleet/repository"));
    assert_eq!(c.concurrency, 64);
    let h = &c.hosts[0];
    assert_eq!(h.limits.max_in_flight, 2);
    assert_eq!(h.auth, AuthMode::Session);
    assert_eq!(h.tls, TlsSetting::Verify { ca_file: None });
    assert_eq!(format!("{:?}", h.password), "[redacted]");
    assert!(!format!("{c:?}").contains("\"pw\""));
}

fn check_err(text: &str, key: &str, words: &[&str]) {
    let e = parse(text).unwrap_err();
    let s = e.to_string();
    assert!(s.contains("/etc/fwfleet/fleet.toml"), "{s}");
    assert!(s.contains(key), "{s}");
    for w in words {
        assert!(s.contains(w), "{s} lacks {w}");
    }
}

#[test]
fn bad_configs_name_file_line_and_key() {
    check_err("[[hosts]]\nname = \"a\"\nurl = 5\n", "line 3", &["string"]);
    check_err(&ONE.replace("username", "usernme"), "line", &["usernme"]);
    check_err(
        &ONE.replace("https://10.0.0.5", "10.0.0.5"),
        "hosts[0].url",
        &["hint"],
    );
    check_err(&format!("{ONE}{ONE}"), "hosts[1].name", &["twice"]);
    check_err(
        &ONE.replace("password = \"pw\"", ""),
        "hosts[0].password",
        &["password_env"],
    );
    check_err(
        &ONE.replace(
            "password = \"pw\"",
            "password_env = \"FWFLEET_TEST_UNSET_VAR\"",
        ),
        "hosts[0].password_env",
        &["not set"],
    );
    check_err(
        &format!("{ONE}tls_fingerprint_sha256 = \"AB\"\ninsecure = true\n"),
        "hosts[0].insecure",
        &["contradicts"],
    );
    check_err(
        &format!("concurrency = 0\n{ONE}"),
        "concurrency",
        &["at least 1"],
    );
}

#[test]
fn a_hosts_method_is_read_and_a_wrong_one_names_its_key() {
    let c = parse(&format!("{ONE}method = \"raw-push\"\n")).unwrap();
    assert_eq!(c.hosts[0].method, Some(crate::vocab::Method::RawPush));
    assert_eq!(parse(ONE).unwrap().hosts[0].method, None);
    check_err(
        &format!("{ONE}method = \"ftp\"\n"),
        "hosts[0].method",
        &["simple-update, multipart, raw-push"],
    );
}

#[test]
fn daemon_table_defaults_and_errors_name_the_key() {
    let c = parse(ONE).unwrap();
    assert_eq!(c.daemon, DaemonSettings::default());
    assert_eq!(c.daemon.bind.to_string(), "127.0.0.1:8470");
    let c = parse(&format!(
        "[daemon]\nbind = \"0.0.0.0:9000\"\ntoken_file = \"api.token\"\nmax_body_bytes = 4096\nscheduler = false\n{ONE}"
    ))
    .unwrap();
    assert_eq!(c.daemon.bind.to_string(), "0.0.0.0:9000");
    assert_eq!(
        c.daemon.token_file,
        Some(PathBuf::from("/etc/fwfleet/api.token"))
    );
    assert_eq!(c.daemon.max_body_bytes, 4096);
    assert!(!c.daemon.scheduler);
    check_err(
        &format!("[daemon]\nbind = \"localhost\"\n{ONE}"),
        "daemon.bind",
        &["IP:PORT"],
    );
    check_err(
        &format!("[daemon]\ntoken_file = \"t\"\ntoken_env = \"T\"\n{ONE}"),
        "daemon.token_env",
        &["one source"],
    );
    check_err(
        &format!("[daemon]\ntoken_env = \"\"\n{ONE}"),
        "daemon.token_env",
        &["hint"],
    );
    check_err(
        &format!("[daemon]\nmax_body_bytes = 10\n{ONE}"),
        "daemon.max_body_bytes",
        &["between"],
    );
    check_err(&format!("[daemon]\nport = 1\n{ONE}"), "line", &["port"]);
}

#[test]
fn credentials_in_a_url_are_refused_without_echoing_them() {
    let e = parse(&ONE.replace("https://10.0.0.5", "https://root:pw@10.0.0.5"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("credentials inside its URL") && !e.contains(":pw@"),
        "{e}"
    );
}

#[test]
fn password_from_file_and_tls_settings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pw"), "s3cret\n").unwrap();
    let cfg = dir.path().join("fleet.toml");
    let text = "[defaults]\nca_file = \"ca.pem\"\n[[hosts]]\nname = \"a\"\nurl = \"https://h\"\nusername = \"u\"\npassword_file = \"pw\"\n[[hosts]]\nname = \"b\"\nurl = \"https://h2\"\nusername = \"u\"\npassword = \"x\"\ninsecure = true\n";
    let c = Config::parse(&cfg, text).unwrap();
    assert_eq!(c.hosts[0].password.expose(), "s3cret");
    assert_eq!(
        c.hosts[0].tls,
        TlsSetting::Verify {
            ca_file: Some(dir.path().join("ca.pem"))
        }
    );
    assert_eq!(c.hosts[1].tls, TlsSetting::Insecure);
}

#[test]
fn inline_passwords_in_a_readable_file_warn() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("fleet.toml");
    std::fs::write(&p, ONE).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let c = Config::load(&p).unwrap();
        assert!(
            c.warnings.iter().any(|w| w.contains("chmod 600")),
            "{:?}",
            c.warnings
        );
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(Config::load(&p).unwrap().warnings.is_empty());
    }
}

/// An error that names the file and the key, and never the value.
fn check_secret_err(text: &str, key: &str, secret: &str) -> String {
    let e = parse(text).unwrap_err().to_string();
    assert!(e.contains("/etc/fwfleet/fleet.toml"), "{e}");
    assert!(e.contains(key), "{e} lacks {key}");
    assert!(!e.contains(secret), "{e} shows the value");
    e
}

#[test]
fn insecure_is_refused_in_defaults_with_a_clear_error() {
    for v in ["true", "false"] {
        let e = check_secret_err(
            &format!("[defaults]\ninsecure = {v}\n{ONE}"),
            "defaults.insecure",
            "\u{0}",
        );
        assert!(e.contains("per host") && e.contains("hint"), "{e}");
    }
    let c = parse(&format!("{ONE}insecure = true\n")).unwrap();
    assert_eq!(c.hosts[0].tls, TlsSetting::Insecure);
}

#[test]
fn mistyped_credentials_are_never_echoed() {
    // A numeric password, unquoted: serde would say "integer `987654321`".
    let e = check_secret_err(
        &ONE.replace("password = \"pw\"", "password = 987654321"),
        "line 5",
        "987654321",
    );
    assert!(e.contains("`password`") && e.contains("quoted"), "{e}");
    check_secret_err(
        &ONE.replace("password = \"pw\"", "password = 98765.4321"),
        "line 5",
        "98765",
    );
    // The same inside an inline table, where the line names `hosts`.
    let e = check_secret_err(
        "hosts = [{ name = \"a\", url = \"https://h\", username = \"u\", password = 55554444 }]\n",
        "line 1",
        "55554444",
    );
    assert!(e.contains("not shown"), "{e}");
    check_secret_err(
        &format!("[defaults]\nproxy = 31337313\n{ONE}"),
        "line 2",
        "31337313",
    );
}

#[test]
fn proxy_credentials_never_reach_an_error_or_debug_output() {
    check_secret_err(
        &format!("{ONE}proxy = \"ftp://ops:pr0xy-s3cret@proxy:21\"\n"),
        "hosts[0].proxy",
        "pr0xy-s3cret",
    );
    check_secret_err(
        &format!("[defaults]\nproxy = \"not a url pr0xy-s3cret\"\n{ONE}"),
        "defaults.proxy",
        "pr0xy-s3cret",
    );
    let c = parse(&format!(
        "{ONE}proxy = \"http://ops:pr0xy-s3cret@proxy.example:3128\"\n"
    ))
    .unwrap();
    let p = c.hosts[0].proxy.as_ref().unwrap();
    assert_eq!(p.to_string(), "http://[redacted]@proxy.example:3128");
    assert!(!format!("{c:?}").contains("pr0xy-s3cret"));
    assert_eq!(
        c.rollout.hooks.redact.redact("x pr0xy-s3cret y"),
        "x [redacted] y"
    );
}

#[cfg(unix)]
fn chmod(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(unix)]
#[test]
fn credential_files_readable_by_others_warn_and_world_writable_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "file-s3cret\n").unwrap();
    let cfg = dir.path().join("fleet.toml");
    let text = ONE.replace("password = \"pw\"", "password_file = \"pw\"");
    chmod(&pw, 0o600);
    let c = Config::parse(&cfg, &text).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(c.hosts[0].password.expose(), "file-s3cret");
    chmod(&pw, 0o640);
    let c = Config::parse(&cfg, &text).unwrap();
    assert!(
        c.warnings
            .iter()
            .any(|w| w.contains("password_file") && w.contains("chmod 600") && w.contains("640")),
        "{:?}",
        c.warnings
    );
    chmod(&pw, 0o666);
    let e = Config::parse(&cfg, &text).unwrap_err().to_string();
    assert!(
        e.contains("hosts[0].password_file")
            && e.contains(&pw.display().to_string())
            && e.contains("writable by every user")
            && !e.contains("file-s3cret"),
        "{e}"
    );
    // The API token file, likewise.
    let token = dir.path().join("api.token");
    std::fs::write(&token, "an-api-token-of-some-length\n").unwrap();
    let text = format!("[daemon]\ntoken_file = \"api.token\"\n{ONE}");
    chmod(&token, 0o644);
    let c = Config::parse(&cfg, &text).unwrap();
    assert!(
        c.warnings.iter().any(|w| w.contains("API token file")),
        "{:?}",
        c.warnings
    );
    assert_eq!(
        c.rollout.hooks.redact.redact("an-api-token-of-some-length"),
        "[redacted]"
    );
    chmod(&token, 0o602);
    let e = Config::parse(&cfg, &text).unwrap_err().to_string();
    assert!(
        e.contains("daemon.token_file") && !e.contains("an-api-token"),
        "{e}"
    );
}

#[cfg(unix)]
#[test]
fn inline_credentials_are_checked_on_the_parsed_value_not_the_text() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("fleet.toml");
    // No space before `=`: the old text match missed it.
    std::fs::write(&p, ONE.replace("password = \"pw\"", "password=\"pw\"")).unwrap();
    chmod(&p, 0o604);
    let c = Config::load(&p).unwrap();
    assert!(
        c.warnings.iter().any(|w| w.contains("chmod 600")),
        "{:?}",
        c.warnings
    );
    chmod(&p, 0o666);
    let e = Config::load(&p).unwrap_err().to_string();
    assert!(
        e.contains("hosts[0].password") && e.contains("writable by every user"),
        "{e}"
    );
    // Without an inline credential the file's mode is not a credential's.
    std::fs::write(
        &p,
        ONE.replace("password = \"pw\"", "password_env = \"PATH\""),
    )
    .unwrap();
    chmod(&p, 0o644);
    assert!(Config::load(&p).unwrap().warnings.is_empty());
    // A proxy URL with a password is an inline credential too.
    std::fs::write(
        &p,
        format!(
            "{}proxy = \"http://u:pxpw@proxy:3128\"\n",
            ONE.replace("password = \"pw\"", "password_env = \"PATH\"")
        ),
    )
    .unwrap();
    let c = Config::load(&p).unwrap();
    assert!(
        c.warnings.iter().any(|w| w.contains("chmod 600")),
        "{:?}",
        c.warnings
    );
}

fn with_command(argv: &str) -> String {
    ONE.replace("password = \"pw\"", &format!("password_command = {argv}"))
}

#[cfg(unix)]
#[test]
fn password_commands_run_without_a_shell_trimmed_and_bounded_in_time() {
    let c = parse(&with_command(r#"["printf", "  vault-s3cret \n"]"#)).unwrap();
    assert_eq!(c.hosts[0].password.expose(), "vault-s3cret");
    assert_eq!(c.rollout.hooks.redact.redact("vault-s3cret"), "[redacted]");
    // No shell: `$HOME` and `;` reach the program as written.
    let c = parse(&with_command(r#"["echo", "$HOME;x"]"#)).unwrap();
    assert_eq!(c.hosts[0].password.expose(), "$HOME;x");
    // Failures name key, host and program, never the output.
    let e = check_secret_err(
        &with_command(r#"["sh", "-c", "echo leaked-s3cret; exit 3"]"#),
        "hosts[0].password_command",
        "leaked-s3cret",
    );
    assert!(e.contains("`sh` failed") && e.contains("host a"), "{e}");
    let e = check_secret_err(
        &format!(
            "[defaults]\npassword_command_timeout_secs = 0.2\n{}",
            with_command(r#"["sleep", "30"]"#)
        ),
        "hosts[0].password_command",
        "\u{0}",
    );
    assert!(
        e.contains("killed") && e.contains("password_command_timeout_secs"),
        "{e}"
    );
    check_secret_err(&with_command("[]"), "hosts[0].password_command", "\u{0}");
    let e = check_secret_err(
        &with_command(r#"["/nonexistent/vault"]"#),
        "hosts[0].password_command",
        "\u{0}",
    );
    assert!(e.contains("could not start"), "{e}");
    let e = check_secret_err(
        &with_command(r#"["true"]"#),
        "hosts[0].password_command",
        "\u{0}",
    );
    assert!(e.contains("printed nothing"), "{e}");
    check_secret_err(
        &format!("{}password_env = \"PATH\"\n", with_command(r#"["true"]"#)),
        "hosts[0].password",
        "\u{0}",
    );
}

#[test]
fn passwords_over_plain_http_warn_except_on_this_machine() {
    let http = |url: &str| ONE.replace("https://10.0.0.5", url);
    let c = parse(&http("http://10.0.0.5")).unwrap();
    assert!(
        c.warnings
            .iter()
            .any(|w| w.contains("plain http://") && w.contains("(a)") && w.contains("hint")),
        "{:?}",
        c.warnings
    );
    assert!(parse(&http("http://127.0.0.1:8000"))
        .unwrap()
        .warnings
        .is_empty());
    assert!(parse(&http("http://[::1]:8000"))
        .unwrap()
        .warnings
        .is_empty());
    assert!(parse(&http("http://localhost:8000"))
        .unwrap()
        .warnings
        .is_empty());
    // Through a proxy, loopback is no longer this machine.
    let c = parse(&format!(
        "{}proxy = \"http://proxy:3128\"\n",
        http("http://127.0.0.1:8000")
    ))
    .unwrap();
    assert!(!c.warnings.is_empty());
    // Many hosts: one warning, a few names.
    let many: String = (0..8)
        .map(|i| {
            format!(
                "[[hosts]]\nname = \"h{i}\"\nurl = \"http://10.0.0.{i}\"\nusername = \"u\"\npassword = \"p\"\n"
            )
        })
        .collect();
    let c = parse(&many).unwrap();
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(c.warnings[0].contains("8 host(s)") && c.warnings[0].contains("3 more"));
    assert!(parse(ONE).unwrap().warnings.is_empty());
}

#[test]
fn env_passthrough_refuses_secret_variables() {
    let with = |list: &str, extra: &str| {
        format!(
            "{extra}[rollout]\nenv_passthrough = {list}\n{}",
            ONE.replace("password = \"pw\"", "password_env = \"PATH\"")
        )
    };
    let c = parse(&with(r#"["KRB5CCNAME", "TZ"]"#, "")).unwrap();
    assert_eq!(c.rollout.hooks.env_passthrough, ["KRB5CCNAME", "TZ"]);
    let e = check_secret_err(
        &with(r#"["TZ", "PATH"]"#, ""),
        "rollout.env_passthrough[1]",
        "\u{0}",
    );
    assert!(e.contains("password_env of host a"), "{e}");
    let e = check_secret_err(
        &with(r#"["API_TOKEN"]"#, "[daemon]\ntoken_env = \"API_TOKEN\"\n"),
        "rollout.env_passthrough[0]",
        "\u{0}",
    );
    assert!(e.contains("daemon.token_env"), "{e}");
    check_secret_err(
        &with(r#"["FWFLEET_HOST"]"#, ""),
        "rollout.env_passthrough[0]",
        "\u{0}",
    );
    check_secret_err(
        &with(r#"["A=B"]"#, ""),
        "rollout.env_passthrough[0]",
        "\u{0}",
    );
}

/// Issue 18: every problem at once, each with its line and key, in file
/// order; one problem reads as it always did.
#[test]
fn every_problem_is_reported_at_once_with_line_and_key() {
    let text = format!(
        "concurrency = 0\n\n{}\n[[hosts]]\nname = \"b\"\nurl = \"10.0.0.6\"\nusername = \"root\"\npassword = \"pw\"\n\n[rollout]\nfailure_budget = 2.0\n",
        ONE
    );
    let e = parse(&text).unwrap_err();
    let s = e.to_string();
    assert!(
        s.starts_with("config /etc/fwfleet/fleet.toml: 3 problems"),
        "{s}"
    );
    let at = |needle: &str| s.find(needle).unwrap_or_else(|| panic!("{needle} in {s}"));
    assert!(
        at("line 1: key `concurrency`") < at("line 11: key `hosts[1].url`"),
        "{s}"
    );
    assert!(
        at("line 11: key `hosts[1].url`") < at("line 16: key `rollout.failure_budget`"),
        "{s}"
    );
    // One problem: the message as before, with its key.
    let one = parse("concurrency = 0\n").unwrap_err();
    assert_eq!(one.key.as_deref(), Some("concurrency"));
}

#[test]
fn named_api_tokens_with_roles_load_and_bad_ones_name_the_key() {
    let base = format!("{ONE}[daemon]\ntoken_env = \"FWFLEET_ADMIN\"\n");
    let c = parse(&format!(
        "{base}[[daemon.tokens]]\nname = \"grafana\"\nrole = \"viewer\"\ntoken_file = \"grafana.token\"\n\
         [[daemon.tokens]]\nname = \"oncall\"\nrole = \"operator\"\ntoken_env = \"ONCALL\"\n"
    ))
    .unwrap();
    assert_eq!(c.daemon.tokens.len(), 2);
    assert_eq!(c.daemon.tokens[0].role, crate::vocab::ApiRole::Viewer);
    assert_eq!(
        c.daemon.tokens[0].from,
        TokenFrom::File(PathBuf::from("/etc/fwfleet/grafana.token"))
    );
    assert_eq!(c.daemon.tokens[1].from, TokenFrom::Env("ONCALL".into()));
    let t = |body: &str| format!("{base}[[daemon.tokens]]\n{body}");
    check_err(
        &t("name = \"a\"\nrole = \"root\"\ntoken_env = \"X\"\n"),
        "daemon.tokens[0].role",
        &["root", "viewer, operator, admin"],
    );
    check_err(
        &t("name = \"default\"\nrole = \"viewer\"\ntoken_env = \"X\"\n"),
        "daemon.tokens[0].name",
        &["token_file / token_env"],
    );
    check_err(
        &t("name = \"a b\"\nrole = \"viewer\"\ntoken_env = \"X\"\n"),
        "daemon.tokens[0].name",
        &["hint"],
    );
    check_err(
        &t("name = \"a\"\nrole = \"viewer\"\n"),
        "daemon.tokens[0].token_file",
        &["no value"],
    );
    check_err(
        &t("name = \"a\"\nrole = \"viewer\"\ntoken_env = \"X\"\ntoken_file = \"f\"\n"),
        "daemon.tokens[0].token_env",
        &["one source"],
    );
    check_err(
        &format!(
            "{}\n[[daemon.tokens]]\nname = \"a\"\nrole = \"viewer\"\ntoken_env = \"X\"\n",
            t("name = \"a\"\nrole = \"viewer\"\ntoken_env = \"Y\"\n")
        ),
        "daemon.tokens[1].name",
        &["twice"],
    );
    // A token variable never reaches a hook.
    check_err(
        &format!(
            "{}[rollout]\nenv_passthrough = [\"ONCALL\"]\n",
            t("name = \"oncall\"\nrole = \"operator\"\ntoken_env = \"ONCALL\"\n")
        ),
        "env_passthrough",
        &["ONCALL"],
    );
}

#[test]
fn api_tls_and_timeouts_are_checked() {
    let d = |body: &str| format!("{ONE}[daemon]\n{body}");
    let c = parse(&d(
        "tls_cert = \"api.pem\"\ntls_key = \"api.key\"\nheader_timeout_secs = 2.5\n",
    ))
    .unwrap();
    assert_eq!(
        c.daemon.tls_cert,
        Some(PathBuf::from("/etc/fwfleet/api.pem"))
    );
    assert_eq!(
        c.daemon.header_timeout,
        std::time::Duration::from_millis(2500)
    );
    assert_eq!(c.daemon.idle_timeout, std::time::Duration::from_secs(60));
    check_err(&d("tls_cert = \"api.pem\"\n"), "daemon.tls_cert", &["both"]);
    check_err(
        &d("header_timeout_secs = 0\n"),
        "daemon.header_timeout_secs",
        &["3600"],
    );
    check_err(
        &d("max_connections = 0\n"),
        "daemon.max_connections",
        &["65536"],
    );
}

#[test]
fn bmc_verification_of_the_image_server_needs_its_tls() {
    let c = parse(&format!(
        "{ONE}[image_server]\ntls_cert = \"i.pem\"\ntls_key = \"i.key\"\nbmc_verify_certificate = true\n"
    ))
    .unwrap();
    assert!(c.image_server.bmc_verify_certificate);
    check_err(
        &format!("{ONE}[image_server]\nbmc_verify_certificate = true\n"),
        "image_server.bmc_verify_certificate",
        &["tls_cert"],
    );
}

/// A config in a temporary directory with a `[[notify]]` key file beside it.
fn with_notify(table: &str, key_mode: u32) -> (tempfile::TempDir, Result<Config, ConfigError>) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("notify.key");
    std::fs::write(&key, "s3cr3t-hmac-key\n").unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(key_mode)).unwrap();
    let path = dir.path().join("fleet.toml");
    let r = Config::parse(
        &path,
        &format!("{ONE}\n[[notify]]\nsecret_file = \"notify.key\"\n{table}"),
    );
    (dir, r)
}

#[test]
fn notify_endpoints_default_to_every_event_and_keep_their_key_secret() {
    let (_d, c) = with_notify("url = \"https://hooks.example.com:8443/t/abc123\"\n", 0o600);
    let c = c.unwrap();
    let n = &c.notify[0];
    assert_eq!(n.name, "hooks.example.com:8443", "the host, never the path");
    assert_eq!(n.events.len(), crate::notify::EventKind::ALL.len());
    assert_eq!(n.secret.expose(), "s3cr3t-hmac-key");
    assert_eq!(n.attempts, 5);
    assert_eq!(n.timeout, std::time::Duration::from_secs(10));
    assert!(!format!("{c:?}").contains("s3cr3t"));
    assert!(
        !format!("{c:?}").contains("abc123"),
        "the URL's path is not shown"
    );
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    // The key is scrubbed from hook output like every other secret.
    assert_eq!(
        c.rollout.hooks.redact.redact("x s3cr3t-hmac-key y"),
        "x [redacted] y"
    );
    let (_d, c) = with_notify(
        "url = \"https://h.example\"\nevents = [\"run.finished\", \"host.failed\"]\n",
        0o644,
    );
    let c = c.unwrap();
    assert_eq!(c.notify[0].events.len(), 2);
    assert!(
        c.warnings[0].contains("readable by others"),
        "{:?}",
        c.warnings
    );
}

#[test]
fn bad_notify_tables_name_their_key() {
    let err = |table: &str, mode: u32| with_notify(table, mode).1.unwrap_err().to_string();
    let e = err(
        "url = \"https://h.example\"\nevents = [\"run.finished\", \"run.started\"]\n",
        0o600,
    );
    assert!(
        e.contains("notify[0].events[1]") && e.contains("run.started"),
        "{e}"
    );
    assert!(e.contains("phase.started"), "names the known events: {e}");
    let e = err("url = \"https://u:topsecret@h.example/x\"\n", 0o600);
    assert!(
        e.contains("notify[0].url") && !e.contains("topsecret"),
        "{e}"
    );
    let e = err("url = \"ftp://h.example/tok3n\"\n", 0o600);
    assert!(e.contains("notify[0].url") && !e.contains("tok3n"), "{e}");
    let e = err("url = \"https://h.example\"\n", 0o666);
    assert!(
        e.contains("notify[0].secret_file") && e.contains("writable"),
        "{e}"
    );
    let e = err("url = \"https://h.example\"\nattempts = 0\n", 0o600);
    assert!(e.contains("notify[0].attempts"), "{e}");
    let e = err("url = \"https://h.example\"\nevents = []\n", 0o600);
    assert!(e.contains("notify[0].events"), "{e}");
    let e = err(
        "url = \"https://h.example/a\"\n[[notify]]\nsecret_file = \"notify.key\"\nurl = \"https://h.example/b\"\n",
        0o600,
    );
    assert!(
        e.contains("notify[1].name") && e.contains("distinct"),
        "{e}"
    );
    let e = parse(&format!(
        "{ONE}[[notify]]\nurl = \"https://h.example\"\nsecret_file = \"/nonexistent/notify.key\"\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("notify[0].secret_file") && e.contains("cannot read"),
        "{e}"
    );
}

#[test]
fn rollout_phases_load_into_the_rollout_and_name_their_keys() {
    let c = parse(&format!(
        "{ONE}[rollout]\ncanary = 2\nseed = 9\norder_by = \"cluster\"\n\
         [[rollout.phases]]\nname = \"canary\"\nhosts = 1\napprove = true\n\
         [[rollout.phases]]\nname = \"rest\"\nhosts = \"rest\"\n"
    ))
    .unwrap();
    let p = &c.rollout.phases;
    assert_eq!(p.seed, Some(9));
    assert_eq!(p.order_by.as_deref(), Some("cluster"));
    assert_eq!(p.phases.len(), 2);
    assert!(p.phases[0].approve);
    assert!(
        c.warnings
            .iter()
            .any(|w| w.contains("rollout.canary is not used")),
        "{:?}",
        c.warnings
    );
    // No phases: nothing changes.
    assert_eq!(parse(ONE).unwrap().rollout.phases, PhasePolicy::default());
    check_err(
        &format!("{ONE}[rollout]\n[[rollout.phases]]\nname = \"a\"\nhosts = \"7\"\n"),
        "rollout.phases[0].hosts",
        &["percent"],
    );
    check_err(
        &format!("{ONE}[rollout]\n[[rollout.phases]]\nname = \"a\"\nhosts = \"rest\"\nwait = 3\n"),
        "line",
        &["wait"],
    );
}

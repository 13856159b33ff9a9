//! Issue 18, operator ergonomics at fleet scale, through the binary: host
//! selectors and `--kinds`, the default config path, plan summaries and
//! `--changes`, `plan --cached` over each host's last good scan, results on
//! stdout and quiet stderr, a closed pipe, and a silent BMC named while a
//! scan waits for it.

use crate::inventory::{fleet, PW};
use fwfleet::inventory::model::{
    BmcInfo, Component, HostInventory, Inventory, Kind, Role, SystemInfo,
};
use mock_bmc::{MockFleet, Persona, Profile};
use serde_json::Value;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fwfleet"));
    c.env_remove("RUST_LOG").env_remove("FWFLEET_CONFIG");
    c
}

fn run(cmd: &mut Command) -> (Option<i32>, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `labels` per host (1-based index) added to the mock fleet's file.
fn labelled_config(dir: &Path, f: &MockFleet, labels: &dyn Fn(usize) -> String) -> PathBuf {
    let mut text = f.fleet_toml();
    for i in 1..=f.bmcs.len() {
        let name = format!("name = \"bmc-{i:04}\"");
        text = text.replace(&name, &format!("{name}\n{}", labels(i)));
    }
    let cfg = dir.join("fleet.toml");
    mock_bmc::fleet::write_private(&cfg, text.as_bytes()).unwrap();
    cfg
}

fn six_labels(i: usize) -> String {
    let rack = if i <= 3 { "r1" } else { "r2" };
    let role = ["db", "web", "cache"][(i - 1) % 3];
    let canary = if i == 1 { ", canary = \"true\"" } else { "" };
    format!("labels = {{ rack = \"{rack}\", role = \"{role}\"{canary} }}")
}

fn names_in(inventory_json: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(inventory_json).unwrap();
    v["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_selector_form_chooses_hosts_and_kinds_limit_components() {
    let f = fleet(6, Profile::Single(Persona::Generic), false).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = labelled_config(dir.path(), &f, &six_labels);
    let chosen = |args: &[&str]| -> Vec<String> {
        let (code, out, err) = run(bin()
            .args(["inventory", "--no-save", "--format", "json", "--config"])
            .arg(&cfg)
            .args(args));
        assert_eq!(code, Some(0), "{args:?}: {err}");
        names_in(&out)
    };
    let n = |v: &[usize]| -> Vec<String> { v.iter().map(|i| format!("bmc-{i:04}")).collect() };
    let cases: &[(&[&str], &[usize])] = &[
        (&[], &[1, 2, 3, 4, 5, 6]),
        (&["--hosts", "bmc-0002"], &[2]),
        (&["--hosts", "bmc-000[1-3]"], &[1, 2, 3]),
        (&["--hosts", "bmc-{0001,0006}"], &[1, 6]),
        (&["--hosts", "bmc-0001,bmc-0004"], &[1, 4]),
        (&["--hosts", "bmc-0001", "--hosts", "bmc-0005"], &[1, 5]),
        (&["-l", "rack=r2"], &[4, 5, 6]),
        (&["--selector", "rack==r1"], &[1, 2, 3]),
        (&["-l", "rack!=r1"], &[4, 5, 6]),
        (&["-l", "role in (db,web)"], &[1, 2, 4, 5]),
        (&["-l", "role notin (db,web)"], &[3, 6]),
        (&["-l", "canary"], &[1]),
        (&["-l", "!canary"], &[2, 3, 4, 5, 6]),
        (&["-l", "rack=r1,!canary"], &[2, 3]),
        (&["--exclude", "bmc-0002,bmc-000[5-6]"], &[1, 3, 4]),
        (
            &["--hosts", "bmc-*", "-l", "role=db", "--exclude", "bmc-0001"],
            &[4],
        ),
    ];
    for (args, want) in cases {
        assert_eq!(chosen(args), n(want), "{args:?}");
    }
    // --kinds limits the components shown (the CSV has one row per component).
    let (code, out, err) = run(bin()
        .args([
            "inventory",
            "--no-save",
            "--format",
            "csv",
            "--kinds",
            "bios,bmc",
        ])
        .arg("--config")
        .arg(&cfg));
    assert_eq!(code, Some(0), "{err}");
    let mut header = out.lines();
    assert!(header.next().unwrap().starts_with("host,ok,platform,"));
    let kinds: std::collections::BTreeSet<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(6).unwrap())
        .collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["bios", "bmc"],
        "{out}"
    );
    // Mistakes are usage errors naming the flag and the fix, before any BMC.
    for (args, words) in [
        (
            &["-l", "role in (db"][..],
            "--selector 'role in (db': the set of `role` has no closing `)`",
        ),
        (&["-l", "rack="], "label `rack` has no value"),
        (&["--hosts", "rack=r1"], "--selector 'rack=r1'"),
        (&["--hosts", "bmc-[0"], "not a valid glob"),
        (&["-l", "rack=r9"], "no host in"),
        (&["--kinds", "gpu"], "unknown component kind 'gpu'"),
    ] {
        let (code, _, err) = run(bin().args(["inventory", "--config"]).arg(&cfg).args(args));
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.contains(words), "{args:?}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_config_is_found_without_flags_and_help_says_where_to_start() {
    let f = fleet(1, Profile::Single(Persona::Generic), false).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = labelled_config(dir.path(), &f, &|_| String::new());
    // ./fleet.toml
    let (code, out, err) =
        run(bin()
            .current_dir(dir.path())
            .args(["inventory", "--no-save", "--format", "json"]));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(names_in(&out), ["bmc-0001"]);
    // $FWFLEET_CONFIG, from anywhere.
    let elsewhere = tempfile::tempdir().unwrap();
    let (code, out, err) = run(bin()
        .current_dir(elsewhere.path())
        .env("FWFLEET_CONFIG", &cfg)
        .args(["inventory", "--no-save", "--format", "json"]));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(names_in(&out), ["bmc-0001"]);
    // Neither: exit 2 with what to do (unless the machine has /etc/fwfleet/fleet.toml).
    if !Path::new("/etc/fwfleet/fleet.toml").exists() {
        let (code, _, err) = run(bin().current_dir(elsewhere.path()).args(["status"]));
        assert_eq!(code, Some(2), "{err}");
        assert!(
            err.contains("no fleet config") && err.contains("--config FILE"),
            "{err}"
        );
    }
    let (code, out, _) = run(bin().arg("--help"));
    assert_eq!(code, Some(0));
    let first: Vec<&str> = out.lines().take(4).collect();
    assert_eq!(first[0], "Start here:", "{out}");
    for (line, cmd) in first[1..].iter().zip(["inventory", "plan", "apply"]) {
        assert!(
            line.trim_start().starts_with(&format!("fwfleet {cmd}")),
            "{out}"
        );
    }
}

/// A repository import prints its result and nothing on stderr; the first
/// command on a new state directory (its migrations) is quiet too.
#[tokio::test(flavor = "multi_thread")]
async fn a_repo_import_of_twenty_images_prints_only_its_result() {
    let f = fleet(8, Profile::Mixed, false).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = labelled_config(dir.path(), &f, &|_| String::new());
    let states: Vec<Value> = f.bmcs.iter().map(|b| b.state()).collect();
    let out_dir = dir.path().join("images");
    let specs = mock_bmc::imagegen::make_images(
        &states,
        &out_dir,
        None,
        mock_bmc::vstyle::Bump::Patch,
        1024,
    )
    .unwrap();
    assert!(specs.len() >= 20, "{} images", specs.len());
    let (code, out, err) = run(bin()
        .args(["repo", "import"])
        .arg(out_dir.join("images.json"))
        .arg("--config")
        .arg(&cfg));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(err, "", "stderr at the default level");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.starts_with(&format!("imported {} images", specs.len())),
        "{out}"
    );
    // The first scan creates the store: no migration or other info lines
    // (a progress line may appear on a loaded machine, never a log record).
    let (code, _, err) = run(bin().args(["inventory", "--config"]).arg(&cfg));
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.lines().all(|l| l.starts_with("inventory: ")),
        "stderr of the first command on a new state dir: {err}"
    );
    // -v brings the info lines back.
    let (_, _, err) = run(bin()
        .args(["-v", "inventory", "--hosts", "bmc-0001", "--config"])
        .arg(&cfg));
    assert!(
        err.contains("INFO") && err.contains("inventory saved"),
        "{err}"
    );
    // A dry run's plan is its result: on stdout.
    let (code, out, err) = run(bin().args(["apply", "--dry-run", "--config"]).arg(&cfg));
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("UPGRADE") && out.contains("step(s) on 8 host(s)"),
        "{out}"
    );
    assert!(!err.contains("UPGRADE"), "{err}");
}

fn component(id: &str, kind: Kind, version: &str, identity: &str) -> Component {
    Component {
        id: id.into(),
        name: id.into(),
        kind,
        version: Some(version.into()),
        updateable: true,
        software_id: None,
        role: Role::Active,
        identity: identity.into(),
        uri: format!("/redfish/v1/UpdateService/FirmwareInventory/{id}"),
        lowest_supported_version: None,
        version_scheme: None,
        manufacturer: None,
        write_protected: false,
        pci: None,
        reset_required_on_update: None,
    }
}

/// 30 hosts of three models: the R650s one BIOS behind (one of them with a
/// BIOS the repository cannot order), the Gen10s up to date but for a BMC
/// that needs a newer CPLD first, the OCP boxes up to date; two unreachable.
fn mixed_thirty() -> Inventory {
    let mut hosts = Vec::new();
    for i in 1..=30 {
        let name = format!("node-{i:02}");
        let (model, components) = match i % 3 {
            0 => (
                "PowerEdge R650",
                vec![
                    component(
                        "Installed-159-1.2.5__BIOS.Setup.1-1",
                        Kind::Bios,
                        if i == 3 { "X-tested" } else { "1.2.5" },
                        "dell:159",
                    ),
                    component(
                        "Installed-25227-7.00__iDRAC",
                        Kind::Bmc,
                        "7.00.00.04",
                        "dell:25227",
                    ),
                ],
            ),
            1 => (
                "ProLiant DL380 Gen10 Plus",
                vec![
                    component("1", Kind::Bmc, "2.47", "ilo 5"),
                    component("2", Kind::Bios, "2.80", "system rom"),
                    component("4", Kind::Cpld, "0x0D", "system programmable logic device"),
                ],
            ),
            _ => (
                "OCP Tioga Pass",
                vec![
                    component("bios", Kind::Bios, "F13", "tp-bios"),
                    component("bmc", Kind::Bmc, "2.15.3", "tp-bmc"),
                ],
            ),
        };
        let ok = i != 7 && i != 8;
        hosts.push(HostInventory {
            name: name.clone(),
            url: format!("https://{name}.example"),
            ok,
            error: (!ok).then(|| format!("{name}: cannot connect: connection refused")),
            system: SystemInfo {
                model: Some(model.into()),
                ..SystemInfo::default()
            },
            bmc: BmcInfo::default(),
            components: if ok { components } else { Vec::new() },
            ..HostInventory::unread(&name, "https://x.example")
        });
    }
    Inventory {
        scanned_at: "2026-12-07T09:00:00Z".into(),
        hosts,
    }
}

fn image(file: &str, kind: Kind, version: &str) -> fwfleet::planner::ImageRef {
    fwfleet::planner::ImageRef {
        file: file.into(),
        kind,
        software_id: None,
        version: version.into(),
        version_scheme: None,
        min_from_version: None,
        prerequisites: Vec::new(),
        allow_downgrade: false,
        method: None,
        apply_time: None,
        facts: None,
        needs_vendor_tool: None,
        provenance: Default::default(),
    }
}

fn mixed_plan() -> fwfleet::planner::Plan {
    let inv = mixed_thirty();
    let model_of: std::collections::HashMap<String, String> = inv
        .hosts
        .iter()
        .map(|h| (h.name.clone(), h.system.model.clone().unwrap_or_default()))
        .collect();
    let source = move |c: &Component, _: Option<&str>, model: Option<&str>| {
        let _ = &model_of;
        match (model.unwrap_or(""), c.kind) {
            ("PowerEdge R650", Kind::Bios) => {
                vec![image("r650-bios-1.3.0.exe", Kind::Bios, "1.3.0")]
            }
            ("PowerEdge R650", Kind::Bmc) => {
                vec![image("r650-idrac-7.00.00.04.exe", Kind::Bmc, "7.00.00.04")]
            }
            ("ProLiant DL380 Gen10 Plus", Kind::Bmc) => {
                let mut i = image("ilo5-2.49.fwpkg", Kind::Bmc, "2.49");
                i.prerequisites = vec![(Kind::Cpld, "0x0F".into())];
                vec![i]
            }
            ("ProLiant DL380 Gen10 Plus", Kind::Bios) => {
                vec![image("u46-2.80.fwpkg", Kind::Bios, "2.80")]
            }
            ("OCP Tioga Pass", Kind::Bios) => vec![image("tp-bios-F13.bin", Kind::Bios, "F13")],
            ("OCP Tioga Pass", Kind::Bmc) => vec![image("tp-bmc-2.15.3.bin", Kind::Bmc, "2.15.3")],
            _ => Vec::new(),
        }
    };
    fwfleet::planner::plan(&inv, &source, &fwfleet::planner::Policy::default())
}

fn check_snapshot(name: &str, got: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        got, want,
        "{name} changed; if on purpose, run with UPDATE_SNAPSHOTS=1 and update docs/PLAN.md"
    );
}

#[test]
fn the_plan_summary_and_changes_of_a_mixed_thirty_host_fleet_match_their_snapshots() {
    use fwfleet::planner::view::{render_rows, render_summary, GroupBy, Rows};
    let plan = mixed_plan();
    let inv = mixed_thirty();
    let model = |name: &str| -> String {
        inv.hosts
            .iter()
            .find(|h| h.name == name)
            .and_then(|h| h.system.model.clone())
            .unwrap_or_default()
    };
    let summary = render_summary(&plan, &GroupBy::Model, &model);
    check_snapshot("plan-summary.txt", &summary);
    let by_kind = render_summary(&plan, &GroupBy::Kind, &model);
    check_snapshot("plan-summary-by-kind.txt", &by_kind);
    let changes = render_rows(&plan, Rows::Changes, 120);
    check_snapshot("plan-changes.txt", &changes);
    // Every line fits the width asked for; the JSON keeps the whole Id.
    for line in changes.lines() {
        assert!(line.chars().count() <= 120, "{line}");
    }
    let json = serde_json::to_string(&plan).unwrap();
    assert!(json.contains("Installed-159-1.2.5__BIOS.Setup.1-1"));
    // A large plan's default rows: only what needs a look.
    let attention = render_rows(&plan, Rows::Attention, 120);
    assert_eq!(attention.lines().count(), 1 + 9 + 1 + 2, "{attention}");
    assert!(!attention.contains(" upgrade "), "{attention}");
    assert!(attention.contains("scan-failed") && attention.contains("version-unknown"));
    // --changes has no up-to-date row, the summary is one line per model × kind.
    assert!(!changes.contains("up-to-date"), "{changes}");
    assert_eq!(summary.lines().count(), 1 + 7 + 2, "{summary}");
}

/// Hosts `node-001…` with bogus URLs (never contacted: `--cached`) and an
/// empty repository; each host's stored scan has `components` components.
async fn cached_fleet(dir: &Path, hosts: usize, components: usize) -> PathBuf {
    let cfg = dir.join("fleet.toml");
    let mut text = String::new();
    for i in 1..=hosts {
        text.push_str(&format!(
            "[[hosts]]\nname = \"node-{i:03}\"\nurl = \"http://127.0.0.1:9\"\nusername = \"u\"\npassword = \"{PW}\"\n\n"
        ));
    }
    mock_bmc::fleet::write_private(&cfg, text.as_bytes()).unwrap();
    fwfleet::repository::Repository::create_or_open(dir.join("repository")).unwrap();
    let inv = Inventory {
        scanned_at: "2026-12-07T09:00:00Z".into(),
        hosts: (1..=hosts)
            .map(|i| {
                let name = format!("node-{i:03}");
                let mut h = HostInventory::unread(&name, "http://127.0.0.1:9");
                h.ok = true;
                h.components = (0..components)
                    .map(|c| {
                        component(
                            &format!("NIC.Slot.{c}-1"),
                            Kind::Nic,
                            "22.31.6",
                            &format!("nic {c}"),
                        )
                    })
                    .collect();
                h
            })
            .collect(),
    };
    let config = fwfleet::config::Config::load(&cfg).unwrap();
    let store = fwfleet::store::Store::open(&config.state_dir)
        .await
        .unwrap();
    store.save_inventory(&inv).await.unwrap();
    cfg
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_cached_uses_each_hosts_last_good_scan_and_says_how_old() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = cached_fleet(dir.path(), 30, 2).await;
    // A later partial scan: two hosts, one of them failed.
    let config = fwfleet::config::Config::load(&cfg).unwrap();
    let store = fwfleet::store::Store::open(&config.state_dir)
        .await
        .unwrap();
    let mut ok = HostInventory::unread("node-001", "http://127.0.0.1:9");
    ok.ok = true;
    ok.components = vec![component("NIC.Slot.9-1", Kind::Nic, "22.31.7", "nic 9")];
    let mut failed = HostInventory::unread("node-002", "http://127.0.0.1:9");
    failed.error = Some("node-002: cannot connect".into());
    store
        .save_inventory(&Inventory {
            scanned_at: "2026-12-07T10:00:00Z".into(),
            hosts: vec![ok, failed],
        })
        .await
        .unwrap();
    let (code, out, err) = run(bin()
        .args(["plan", "--cached", "--format", "json", "--config"])
        .arg(&cfg));
    assert_eq!(code, Some(0), "{err}");
    let plan: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(plan["summary"]["hosts"], 30, "{out}");
    assert_eq!(plan["summary"]["hosts_failed"], 0, "{out}");
    let host = |n: &str| {
        plan["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["name"] == n)
            .unwrap()
            .clone()
    };
    // node-001 from the newer scan, node-002 from the older good one.
    assert_eq!(host("node-001")["steps"][0]["component"], "NIC.Slot.9-1");
    assert_eq!(host("node-002")["steps"].as_array().unwrap().len(), 2);
    assert!(
        err.contains("30 host(s) from scans of 2026-12-07T09:00:00Z")
            && err.contains("to 2026-12-07T10:00:00Z"),
        "{err}"
    );
    // The selection applies to cached plans too.
    let (code, out, err) = run(bin()
        .args([
            "plan",
            "--cached",
            "--format",
            "json",
            "--hosts",
            "node-00[1-3]",
            "--config",
        ])
        .arg(&cfg));
    assert_eq!(code, Some(0), "{err}");
    let plan: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(plan["summary"]["hosts"], 3, "{out}");
}

/// Read a little of what `args` writes to a pipe (stdout only, or stdout
/// and stderr together), then close it: the process must end quietly.
fn closed_pipe(cfg: &Path, args: &[&str], both: bool, read: impl FnOnce(&mut dyn BufRead)) {
    let (reader, writer) = std::io::pipe().unwrap();
    let mut cmd = bin();
    cmd.args(args)
        .arg("--config")
        .arg(cfg)
        .stdout(writer.try_clone().unwrap());
    let stderr_file = tempfile::NamedTempFile::new().unwrap();
    if both {
        cmd.stderr(writer);
    } else {
        drop(writer);
        cmd.stderr(stderr_file.reopen().unwrap());
    }
    let mut child = cmd.spawn().unwrap();
    // Our copies of the write end are gone: the reader sees EOF only when the child ends.
    drop(cmd);
    let mut r = std::io::BufReader::new(reader);
    read(&mut r);
    drop(r);
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::fs::File::open(stderr_file.path())
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    assert_eq!(status.code(), Some(141), "{args:?}: {status:?} {err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_pipe_ends_the_plan_quietly() {
    let dir = tempfile::tempdir().unwrap();
    // 300 hosts × 4 rows: far more than a pipe buffer holds.
    let cfg = cached_fleet(dir.path(), 300, 4).await;
    // `fwfleet plan --format json | head -c 10`
    closed_pipe(
        &cfg,
        &["plan", "--cached", "--format", "json"],
        false,
        |r| {
            let mut ten = [0u8; 10];
            r.read_exact(&mut ten).unwrap();
            assert_eq!(&ten[..1], b"{");
        },
    );
    // `fwfleet plan --full 2>&1 | head -n 1`
    closed_pipe(&cfg, &["plan", "--cached", "--full"], true, |r| {
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        assert!(!line.is_empty());
    });
}

/// A BMC that accepts connections and never answers is named by the scan's
/// progress lines while it is waited for, and given up after --host-timeout.
#[tokio::test(flavor = "multi_thread")]
async fn a_scan_names_the_silent_bmc_it_waits_for() {
    let f = fleet(2, Profile::Single(Persona::Generic), false).await;
    let dir = tempfile::tempdir().unwrap();
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    // Accept and hold every connection, reading nothing, answering nothing.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in silent.incoming().flatten() {
            held.push(s);
        }
    });
    let mut text = f.fleet_toml();
    text.push_str(&format!(
        "\n[[hosts]]\nname = \"silent-bmc\"\nurl = \"http://{addr}\"\nusername = \"u\"\npassword = \"{PW}\"\n"
    ));
    let cfg = dir.path().join("fleet.toml");
    mock_bmc::fleet::write_private(&cfg, text.as_bytes()).unwrap();
    let mut child = bin()
        .args([
            "inventory",
            "--no-save",
            "--progress-interval",
            "1s",
            "--host-timeout",
            "30s",
            "--config",
        ])
        .arg(&cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = Vec::new();
    let mut named = false;
    for line in stderr.lines() {
        let line = line.unwrap();
        if line.contains("waiting for") && line.contains("silent-bmc (") {
            assert!(line.starts_with("inventory: "), "{line}");
            named = true;
            break;
        }
        seen.push(line);
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(named, "no progress line named the silent BMC: {seen:#?}");
}

/// One component, one name: the identity the normaliser gives it is what
/// the inventory CSV, the plan table, apply's progress and status show
/// (the Redfish Id, which on a Dell changes with the version, only in JSON).
#[tokio::test(flavor = "multi_thread")]
async fn a_component_has_one_display_name_in_inventory_plan_apply_and_status() {
    let f = MockFleet::start(
        mock_bmc::FleetConfig {
            count: 1,
            profile: Profile::Single(Persona::Idrac),
            timing: crate::apply::timing(),
            password: PW.into(),
            ..mock_bmc::FleetConfig::default()
        }
        .ideal(),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = labelled_config(dir.path(), &f, &|_| String::new());
    let states: Vec<Value> = f.bmcs.iter().map(|b| b.state()).collect();
    let images = dir.path().join("images");
    mock_bmc::imagegen::make_images(
        &states,
        &images,
        Some(&[mock_bmc::Kind::Bmc]),
        mock_bmc::vstyle::Bump::Patch,
        2048,
    )
    .unwrap();
    let (code, _, err) = run(bin()
        .args(["repo", "import"])
        .arg(images.join("images.json"))
        .arg("--config")
        .arg(&cfg));
    assert_eq!(code, Some(0), "{err}");
    // The inventory's name for the active BMC firmware.
    let (code, out, err) = run(bin()
        .args(["inventory", "--format", "csv", "--kinds", "bmc", "--config"])
        .arg(&cfg));
    assert_eq!(code, Some(0), "{err}");
    let row = out
        .lines()
        .find(|l| l.contains(",bmc,active,"))
        .unwrap_or_else(|| panic!("{out}"));
    let cols: Vec<&str> = row.split(',').collect();
    let (id, name) = (cols[8], cols[10]);
    assert!(id.starts_with("Installed-"), "{row}");
    assert!(name.starts_with("dell:"), "{row}");
    // The plan table says the same, and not the Redfish Id.
    let (code, out, err) = run(bin().args(["plan", "--kinds", "bmc", "--config"]).arg(&cfg));
    assert_eq!(code, Some(0), "{err}");
    let line = out
        .lines()
        .find(|l| l.starts_with("bmc-0001 "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains(name) && !line.contains(id), "{line}");
    // Apply's progress (-v: one line per phase) and status name it so too.
    let (code, _, err) = run(bin()
        .args(["-v", "apply", "--yes", "--kinds", "bmc", "--config"])
        .arg(&cfg));
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains(&format!("bmc-0001 {name}: ")), "{err}");
    assert!(!err.contains(id), "{err}");
    let (code, out, err) = run(bin().args(["status", "--run", "1", "--config"]).arg(&cfg));
    assert_eq!(code, Some(0), "{err}");
    let step = out
        .lines()
        .find(|l| l.contains("bmc-0001"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(step.contains(name), "{out}");
}

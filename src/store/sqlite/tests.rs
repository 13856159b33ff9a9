use super::SqliteStore as Store;
use super::*;
use crate::inventory::model::{
    BmcInfo, Component, HostInventory, Inventory, Kind, Role, SystemInfo,
};
use crate::store::ScanSummary;
use std::sync::Arc;

fn component(kind: Kind, id: &str, version: Option<&str>) -> Component {
    Component {
        id: id.to_string(),
        name: format!("{id} firmware"),
        kind,
        version: version.map(str::to_string),
        updateable: true,
        software_id: None,
        role: Role::Active,
        identity: id.to_string(),
        uri: format!("/redfish/v1/UpdateService/FirmwareInventory/{id}"),
        lowest_supported_version: None,
        version_scheme: None,
        manufacturer: Some("Contoso".to_string()),
        write_protected: false,
        pci: None,
        reset_required_on_update: None,
    }
}

fn host_ok(name: &str, bios: &str) -> HostInventory {
    HostInventory {
        name: name.to_string(),
        url: format!("https://{name}.example.net"),
        ok: true,
        error: None,
        system: SystemInfo {
            manufacturer: Some("Contoso".to_string()),
            model: Some("R9000".to_string()),
            serial: Some(format!("SN-{name}")),
            bios_version: Some(bios.to_string()),
            power_state: Some("On".to_string()),
            dell_system_id: None,
        },
        bmc: BmcInfo {
            vendor: Some("Contoso".to_string()),
            product: Some("ContosoBMC".to_string()),
            redfish_version: Some("1.15.0".to_string()),
            platform: "generic".to_string(),
            firmware_version: Some("2.1.0".to_string()),
            legacy_layout: None,
        },
        components: vec![
            component(Kind::Bios, "BIOS", Some(bios)),
            component(Kind::Bmc, "BMC", Some("2.1.0")),
            component(Kind::Psu, "PSU1", None),
        ],
        software: Vec::new(),
        duration_ms: 120,
    }
}

fn host_failed(name: &str, error: &str) -> HostInventory {
    HostInventory {
        name: name.to_string(),
        url: format!("https://{name}.example.net"),
        ok: false,
        error: Some(error.to_string()),
        system: SystemInfo::default(),
        bmc: BmcInfo::default(),
        components: Vec::new(),
        software: Vec::new(),
        duration_ms: 5000,
    }
}

fn scan(at: &str, hosts: Vec<HostInventory>) -> Inventory {
    Inventory {
        scanned_at: at.to_string(),
        hosts,
    }
}

fn open(dir: &tempfile::TempDir) -> Store {
    Store::open(dir.path()).expect("open store")
}

fn pragma(store: &Store, name: &str) -> String {
    use rusqlite::types::Value;
    let conn = store.lock();
    let value: Value = conn
        .pragma_query_value(None, name, |row| row.get(0))
        .unwrap();
    match value {
        Value::Text(t) => t,
        Value::Integer(i) => i.to_string(),
        other => format!("{other:?}"),
    }
}

fn step<'a>(host: &'a str, state: &'a str) -> NewStep<'a> {
    NewStep {
        host,
        component: "BIOS",
        from_version: Some("1.0.0"),
        to_version: "1.2.0",
        state,
    }
}

#[test]
fn store_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Store>();
    check::<Arc<Store>>();
}

#[test]
fn migrations_are_numbered_by_position_and_latest_matches() {
    assert_eq!(Store::schema_version(), migrations::MIGRATIONS.len() as i64);
    assert!(migrations::MIGRATIONS
        .iter()
        .all(|m| !m.sql.trim().is_empty()));
}

#[test]
fn inventory_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut with_software = host_ok("bmc-2", "2.0.1");
    with_software.software = vec![component(Kind::Other, "Driver-Mellanox", Some("5.8"))];
    let inv = scan(
        "2025-03-01T10:00:00Z",
        vec![
            host_ok("bmc-1", "1.0.0"),
            with_software,
            host_failed(
                "bmc-3",
                "bmc-3: connect to https://bmc-3.example.net timed out after 10 s; \
                 check the address and the network path",
            ),
        ],
    );
    let id = store.save_inventory(&inv).unwrap();
    assert_eq!(store.inventory(id).unwrap(), Some(inv.clone()));
    assert_eq!(store.latest_inventory().unwrap(), Some((id, inv.clone())));
    assert_eq!(
        store.list_scans(10).unwrap(),
        vec![ScanSummary {
            id,
            scanned_at: "2025-03-01T10:00:00Z".to_string(),
            hosts: 3,
            failed: 1
        }]
    );
    // The queryable columns agree with the JSON.
    let conn = store.lock();
    let failed: Vec<(String, bool, Option<String>)> = conn
        .prepare("SELECT host, ok, error FROM scan_hosts WHERE NOT ok")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        failed,
        vec![("bmc-3".to_string(), false, inv.hosts[2].error.clone())]
    );
}

#[test]
fn empty_store_has_no_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    assert_eq!(store.latest_inventory().unwrap(), None);
    assert_eq!(store.inventory(1).unwrap(), None);
    assert_eq!(store.latest_host("bmc-1").unwrap(), None);
    assert!(store.list_scans(10).unwrap().is_empty());
    assert!(store.list_runs(10).unwrap().is_empty());
}

#[test]
fn latest_is_the_last_saved_and_lists_are_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let first = scan(
        "2025-03-01T10:00:00Z",
        vec![host_ok("bmc-1", "1.0.0"), host_ok("bmc-2", "1.0.0")],
    );
    let second = scan(
        "2025-03-02T10:00:00Z",
        vec![host_ok("bmc-1", "1.1.0"), host_failed("bmc-2", "http 503")],
    );
    // Saved last but started "earlier" (a clock that jumped back): still latest.
    let third = scan("2025-03-01T09:00:00Z", vec![host_ok("bmc-1", "1.2.0")]);
    let ids: Vec<i64> = [&first, &second, &third]
        .iter()
        .map(|inv| store.save_inventory(inv).unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));

    assert_eq!(store.latest_inventory().unwrap(), Some((ids[2], third)));
    let listed: Vec<(i64, usize, usize)> = store
        .list_scans(10)
        .unwrap()
        .iter()
        .map(|s| (s.id, s.hosts, s.failed))
        .collect();
    assert_eq!(listed, vec![(ids[2], 1, 0), (ids[1], 2, 1), (ids[0], 2, 0)]);
    assert_eq!(store.list_scans(2).unwrap().len(), 2);
    assert_eq!(store.list_scans(0).unwrap().len(), 0);
    assert_eq!(store.inventory(ids[0]).unwrap(), Some(first));

    let bmc1 = store.latest_host("bmc-1").unwrap().unwrap();
    assert_eq!(bmc1.system.bios_version.as_deref(), Some("1.2.0"));
    // bmc-2 was not in the third scan; its latest is the failed second one.
    let bmc2 = store.latest_host("bmc-2").unwrap().unwrap();
    assert!(!bmc2.ok);
    assert_eq!(bmc2.error.as_deref(), Some("http 503"));
    assert_eq!(store.latest_host("bmc-9").unwrap(), None);
}

#[test]
fn reopening_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let inv = scan("2025-03-01T10:00:00Z", vec![host_ok("bmc-1", "1.0.0")]);
    let id = open(&dir).save_inventory(&inv).unwrap();
    for _ in 0..2 {
        let store = open(&dir);
        assert_eq!(
            pragma(&store, "user_version"),
            Store::schema_version().to_string()
        );
        assert_eq!(store.latest_inventory().unwrap(), Some((id, inv.clone())));
    }
}

#[test]
fn refuses_a_schema_newer_than_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(&dir));
    let newer = Store::schema_version() + 5;
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    conn.pragma_update(None, "user_version", newer).unwrap();
    drop(conn);

    let err = Store::open(dir.path()).unwrap_err();
    assert!(
        matches!(err, StoreError::SchemaTooNew { found, known, .. }
            if found == newer && known == Store::schema_version()),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains(&format!(
            "database schema version {newer} is newer than this fwfleet ({}); upgrade fwfleet",
            Store::schema_version()
        )),
        "{msg}"
    );
    assert!(
        msg.contains(&dir.path().join(DB_FILE).display().to_string()),
        "{msg}"
    );
    // Refusing did not touch the version.
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    let v: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, newer);
}

#[test]
fn wal_and_connection_settings_are_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    assert_eq!(pragma(&store, "journal_mode"), "wal");
    assert_eq!(pragma(&store, "synchronous"), "1"); // NORMAL
    assert_eq!(pragma(&store, "foreign_keys"), "1");
    assert_eq!(pragma(&store, "busy_timeout"), "5000");
    // WAL is a property of the file: a plain second connection sees it too.
    store
        .save_inventory(&scan("2025-03-01T10:00:00Z", vec![host_ok("bmc-1", "1")]))
        .unwrap();
    assert!(dir.path().join("fwfleet.db-wal").exists());
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    // A synced state change puts the connection back to NORMAL afterwards, also
    // when it fails.
    let run = store.create_run("running", &serde_json::json!({})).unwrap();
    let id = store.add_step(run, &step("bmc-1", "planned")).unwrap();
    store
        .set_step_state(id, "submitted", None, None, None)
        .unwrap();
    assert_eq!(pragma(&store, "synchronous"), "1");
    store
        .set_step_state(id + 1, "submitted", None, None, None)
        .unwrap_err();
    assert_eq!(pragma(&store, "synchronous"), "1");
}

#[cfg(unix)]
#[test]
fn creates_a_private_state_directory() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state").join("fwfleet");
    let store = Store::open(&state).unwrap();
    assert_eq!(store.path(), state.join(DB_FILE));
    let mode = std::fs::metadata(&state).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
}

#[test]
fn journaled_steps_survive_a_crash_and_are_visible_to_another_store() {
    let dir = tempfile::tempdir().unwrap();
    let a = open(&dir);
    let run = a
        .create_run(
            "running",
            &serde_json::json!({"hosts": "rack1-*", "waves": 2}),
        )
        .unwrap();
    let s1 = a.add_step(run, &step("bmc-1", "planned")).unwrap();
    let s2 = a.add_step(run, &step("bmc-2", "planned")).unwrap();
    // The updater's order: submitted before the POST, task URI when it arrives.
    a.set_step_state(s1, "submitted", None, None, None).unwrap();
    a.set_step_state(
        s1,
        "running",
        Some("/redfish/v1/TaskService/TaskMonitors/7"),
        None,
        Some("task accepted"),
    )
    .unwrap();
    a.add_event(run, Some(s1), "step", "bmc-1 BIOS 1.0.0 -> 1.2.0 submitted")
        .unwrap();

    // A second store on the same file while the first is still open (the
    // daemon and a CLI command), then the first "crashes" without closing.
    let b = open(&dir);
    let in_flight = b.steps_in_state(&["submitted", "running"]).unwrap();
    assert_eq!(in_flight.len(), 1);
    assert_eq!(in_flight[0].id, s1);
    assert_eq!(in_flight[0].host, "bmc-1");
    assert_eq!(
        in_flight[0].task_uri.as_deref(),
        Some("/redfish/v1/TaskService/TaskMonitors/7")
    );
    assert_eq!(in_flight[0].message.as_deref(), Some("task accepted"));

    a.set_step_state(s1, "completed", None, Some("upgraded"), None)
        .unwrap();
    std::mem::forget(a); // never closed: no checkpoint, the WAL is all there is
    drop(b);

    let c = open(&dir);
    let done = c.step(s1).unwrap().unwrap();
    assert_eq!(done.state, "completed");
    assert_eq!(done.outcome.as_deref(), Some("upgraded"));
    // None kept the task URI and the message.
    assert_eq!(
        done.task_uri.as_deref(),
        Some("/redfish/v1/TaskService/TaskMonitors/7")
    );
    assert_eq!(done.message.as_deref(), Some("task accepted"));
    assert!(c
        .steps_in_state(&["submitted", "running"])
        .unwrap()
        .is_empty());
    assert_eq!(c.steps_in_state(&["planned"]).unwrap()[0].id, s2);
    assert!(c.steps_in_state(&[]).unwrap().is_empty());
    assert_eq!(
        c.steps(run)
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect::<Vec<_>>(),
        vec![s1, s2]
    );
    let events = c.events(run).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].step_id, Some(s1));

    let r = c.run(run).unwrap().unwrap();
    assert_eq!(r.status, "running");
    assert_eq!(r.finished_at, None);
    let opts: serde_json::Value = r.options().unwrap();
    assert_eq!(opts["waves"], 2);
    c.finish_run(run, "succeeded").unwrap();
    let r = c.run(run).unwrap().unwrap();
    assert_eq!(r.status, "succeeded");
    assert!(r.finished_at.is_some());
    assert_eq!(c.list_runs(10).unwrap(), vec![r]);
}

#[test]
fn journal_writes_to_missing_rows_fail_loudly() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let db = store.path().display().to_string();

    let err = store
        .set_step_state(42, "submitted", None, None, None)
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NotFound {
                what: "step",
                id: 42,
                ..
            }
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("set the state of a step") && msg.contains(&db),
        "{msg}"
    );
    assert!(matches!(
        store.finish_run(7, "failed").unwrap_err(),
        StoreError::NotFound {
            what: "run",
            id: 7,
            ..
        }
    ));

    // A step of a run that does not exist breaks a foreign key; the SQLite
    // error is kept as the source.
    let err = store.add_step(99, &step("bmc-1", "planned")).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Sqlite {
                op: "add a step",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains(&db));
    let source = std::error::Error::source(&err).expect("source").to_string();
    assert!(source.contains("FOREIGN KEY"), "{source}");
}

#[test]
fn inventory_rows_hold_no_credentials() {
    // A scan that failed to log in: the error names the host, the status and
    // what to do, never the password or token it tried.
    let password = crate::secret::Secret::new("hunter2-Pa55");
    let token = "X-Auth-Token-3f9a1c";
    let error = format!(
        "bmc-1: login failed at https://bmc-1.example.net/redfish/v1/SessionService/Sessions \
         (HTTP 401, user admin, password {password:?}); check the credentials in the config"
    );
    let inv = scan(
        "2025-03-01T10:00:00Z",
        vec![host_failed("bmc-1", &error), host_ok("bmc-2", "1.0.0")],
    );
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store.save_inventory(&inv).unwrap();
    assert_eq!(
        store.latest_host("bmc-1").unwrap().unwrap().error,
        Some(error)
    );

    // Every byte the store wrote: the database, its WAL and shared memory.
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    let contains = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(
        contains("[redacted]"),
        "the error text should have been saved"
    );
    assert!(!contains(password.expose()));
    assert!(!contains(token));
}

#[test]
fn concurrent_writers_share_one_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(&dir));
    let run = store.create_run("running", &serde_json::json!({})).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                for i in 0..10 {
                    let name = format!("bmc-{t}-{i}");
                    let id = store.add_step(run, &step(&name, "planned")).unwrap();
                    store
                        .set_step_state(id, "submitted", Some("/tasks/1"), None, None)
                        .unwrap();
                    store.add_event(run, Some(id), "step", &name).unwrap();
                    store
                        .save_inventory(&scan("2025-03-01T10:00:00Z", vec![host_ok(&name, "1")]))
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(store.steps_in_state(&["submitted"]).unwrap().len(), 40);
    assert_eq!(store.events(run).unwrap().len(), 40);
    assert_eq!(store.list_scans(100).unwrap().len(), 40);
}

#[test]
fn concurrent_writers_with_their_own_connections() {
    // Separate `Store`s on one file stand for separate processes (the daemon and
    // CLI commands): WAL, BEGIN IMMEDIATE and the busy timeout serialise them.
    let dir = tempfile::tempdir().unwrap();
    let run = open(&dir)
        .create_run("running", &serde_json::json!({}))
        .unwrap();
    let path = dir.path().to_path_buf();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let path = path.clone();
            std::thread::spawn(move || {
                let store = Store::open(&path).unwrap();
                for i in 0..10 {
                    let name = format!("bmc-{t}-{i}");
                    let id = store.add_step(run, &step(&name, "planned")).unwrap();
                    store
                        .set_step_state(id, "completed", None, Some("upgraded"), None)
                        .unwrap();
                    store
                        .save_inventory(&scan("2025-03-01T10:00:00Z", vec![host_ok(&name, "1")]))
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let store = open(&dir);
    assert_eq!(store.steps_in_state(&["completed"]).unwrap().len(), 40);
    assert_eq!(store.list_scans(100).unwrap().len(), 40);
}

#[test]
fn concurrent_first_opens_migrate_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || Store::open(&path).map(drop))
        })
        .collect();
    for t in threads {
        t.join().unwrap().unwrap();
    }
    assert_eq!(
        pragma(&open(&dir), "user_version"),
        Store::schema_version().to_string()
    );
}

/// Open `fwfleet.db` with a connection of its own, as a restarted fwfleet would.
fn steps_on_disk(dir: &tempfile::TempDir) -> Vec<(i64, String)> {
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    let mut stmt = conn
        .prepare("SELECT id, state FROM steps ORDER BY id")
        .unwrap();
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

#[test]
fn concurrent_synced_writes_share_fsyncs_and_each_returns_durable() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(&dir));
    let run = store.create_run("running", &serde_json::json!({})).unwrap();
    const THREADS: usize = 16;
    const STATES: [&str; 4] = ["submitted", "running", "verifying", "done"];
    let barrier = Arc::new(std::sync::Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
            std::thread::spawn(move || {
                let name = format!("bmc-{t}");
                let id = store.add_step(run, &step(&name, "planned")).unwrap();
                barrier.wait();
                for state in STATES {
                    let change = StateChange {
                        state,
                        ..StateChange::default()
                    };
                    store
                        .set_step_state_with_event(run, id, &change, (state, &name))
                        .unwrap();
                    // Returned: covered by an fsync that started after the commit.
                    assert!(store.sync.synced() >= durable::last_ticket());
                    assert_eq!(store.step(id).unwrap().unwrap().state, state);
                }
                id
            })
        })
        .collect();
    let ids: Vec<i64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    // 64 synced writes; how many fsyncs depends on scheduling, but never more
    // than one per write, and each write saw one of its own or a shared one.
    let fsyncs = store.sync.fsyncs();
    assert!(
        (1..=(THREADS * STATES.len()) as u64).contains(&fsyncs),
        "{fsyncs}"
    );
    // Per step, the events are in the order the states were set.
    let events = store.events(run).unwrap();
    for id in &ids {
        let kinds: Vec<&str> = events
            .iter()
            .filter(|e| e.step_id == Some(*id))
            .map(|e| e.kind.as_str())
            .collect();
        assert_eq!(kinds, STATES);
    }
    // Reopened after a crash (no close, no checkpoint): everything is there.
    std::mem::forget(Arc::try_unwrap(store).unwrap());
    let on_disk = steps_on_disk(&dir);
    assert_eq!(on_disk.len(), THREADS);
    assert!(on_disk.iter().all(|(_, s)| s == "done"), "{on_disk:?}");
    assert_eq!(open(&dir).events(run).unwrap().len(), THREADS * 4);
}

#[test]
fn writers_that_commit_during_an_fsync_share_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(&dir));
    let run = store.create_run("running", &serde_json::json!({})).unwrap();
    let ids: Vec<i64> = (0..9)
        .map(|i| {
            store
                .add_step(run, &step(&format!("bmc-{i}"), "planned"))
                .unwrap()
        })
        .collect();
    let base = store.sync.commits();
    let release = store.sync.hold_next_sync();
    let write = |id: i64| {
        let store = Arc::clone(&store);
        std::thread::spawn(move || {
            store
                .set_step_state(id, "submitted", None, None, None)
                .unwrap();
            assert!(store.sync.synced() >= durable::last_ticket());
        })
    };
    // The first writer leads an fsync that is held on the way to the disk…
    let first = write(ids[0]);
    while !store.sync.syncing() {
        std::thread::yield_now();
    }
    assert_eq!(store.sync.commits(), base + 1);
    // …while eight more commit and wait.
    let rest: Vec<_> = ids[1..].iter().map(|id| write(*id)).collect();
    while store.sync.commits() < base + 9 {
        std::thread::yield_now();
    }
    assert_eq!(store.sync.synced(), 0, "nothing returned before its fsync");
    release.send(()).unwrap();
    first.join().unwrap();
    for t in rest {
        t.join().unwrap();
    }
    // One fsync for the first, one for the eight that came while it ran.
    assert_eq!(store.sync.fsyncs(), 2);
    assert_eq!(store.steps_in_state(&["submitted"]).unwrap().len(), 9);
}

#[test]
fn a_failing_synced_write_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(&dir));
    let run = store.create_run("running", &serde_json::json!({})).unwrap();
    let good = store.add_step(run, &step("bmc-1", "planned")).unwrap();
    let barrier = Arc::new(std::sync::Barrier::new(2));
    let change = |state| StateChange {
        state,
        ..StateChange::default()
    };
    let writers: Vec<_> = [good, good + 100]
        .into_iter()
        .map(|id| {
            let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                store.set_step_state_with_event(run, id, &change("submitted"), ("submitted", ""))
            })
        })
        .collect();
    let results: Vec<_> = writers.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(results[0].is_ok(), "{:?}", results[0]);
    assert!(
        matches!(results[1], Err(StoreError::NotFound { id, .. }) if id == good + 100),
        "{:?}",
        results[1]
    );
    // Neither the state nor the event of the failed write went in.
    assert_eq!(store.events(run).unwrap().len(), 1);
    assert_eq!(store.step(good).unwrap().unwrap().state, "submitted");
    // Later writes go on.
    store
        .set_step_state_with_event(run, good, &change("running"), ("running", "/t/1"))
        .unwrap();
    assert_eq!(steps_on_disk(&dir), vec![(good, "running".to_string())]);
}

#[test]
fn a_failed_fsync_fails_every_later_synced_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let run = store.create_run("running", &serde_json::json!({})).unwrap();
    let id = store.add_step(run, &step("bmc-1", "planned")).unwrap();
    store.sync.fail_next_sync();
    let err = store
        .set_step_state(id, "submitted", None, None, None)
        .unwrap_err();
    assert!(matches!(err, StoreError::Sync { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("fsync failed") && msg.contains("restart fwfleet"),
        "{msg}"
    );
    // A later fsync that "succeeds" proves nothing about the pages the failed
    // one dropped: synced writes keep failing, so no flash starts unjournaled.
    assert!(matches!(
        store.set_step_state(id, "submitted", None, None, None),
        Err(StoreError::Sync { .. })
    ));
    // Writes that promise no fsync and reads go on.
    store
        .add_event(run, Some(id), "note", "still here")
        .unwrap();
    assert_eq!(store.events(run).unwrap().len(), 1);
}

#[cfg(unix)]
#[test]
fn synced_writes_after_the_wal_was_replaced_or_removed() {
    let dir = tempfile::tempdir().unwrap();
    let wal = dir.path().join("fwfleet.db-wal");
    let store = open(&dir);
    let run = store.create_run("running", &serde_json::json!({})).unwrap();
    let id = store.add_step(run, &step("bmc-1", "planned")).unwrap();
    let set = |state| {
        store.set_step_state(id, state, None, None, None).unwrap();
        assert!(store.sync.synced() >= durable::last_ticket());
    };
    set("submitted");
    let inode = |p: &std::path::Path| {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(p).unwrap().ino()
    };
    let before = inode(&wal);
    let mode = |m: &str| {
        let conn = store.lock();
        let _: String = conn
            .pragma_update_and_check(None, "journal_mode", m, |r| r.get(0))
            .unwrap();
    };
    // A new WAL file: the store's handle to the old one is replaced. (The old
    // one's inode cannot be reused while the store holds it open.)
    mode("DELETE");
    mode("WAL");
    set("running");
    assert_ne!(inode(&wal), before);
    // No WAL at all (everything checkpointed into the database file): the
    // database file is what gets the fsync.
    mode("DELETE");
    assert!(!wal.exists());
    set("verifying");
    mode("WAL");
    let fsyncs = store.sync.fsyncs();
    set("done");
    assert_eq!(store.sync.fsyncs(), fsyncs + 1);
    // A second store on the file closing does not take the WAL away.
    drop(open(&dir));
    set("done");
    std::mem::forget(store);
    assert_eq!(steps_on_disk(&dir), vec![(id, "done".to_string())]);
}

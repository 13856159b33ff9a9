//! `updater::step::execute` against mock BMCs: journaled, followed, verified.

use fwfleet::config::{AuthMode, HostConfig, Limits, TlsSetting};
use fwfleet::redfish::client::BmcClient;
use fwfleet::secret::Secret;
use fwfleet::store::{SqliteStore, Store};
use fwfleet::updater::step::{StepOutcome, StepResult, StepSpec, Transfer};
use mock_bmc::image::ImageBuilder;
use mock_bmc::{BmcConfig, Kind, MockBmc, Persona};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

const PW: &str = "step-pw";

async fn bmc(persona: Persona) -> MockBmc {
    let mut c = BmcConfig::new("s", persona, 9, 0, PW).ideal();
    c.timing.update = Duration::from_millis(100);
    c.timing.reboot = crate::timing::shortest_reboot();
    c.timing.task_vanish = Some(Duration::from_millis(300));
    MockBmc::start(c).await.unwrap()
}

/// A session-auth client for a mock BMC on plain HTTP .
fn client_with(b: &MockBmc, password: &str) -> BmcClient {
    BmcClient::new(&HostConfig {
        name: b.name().to_string(),
        url: b.url(),
        username: "admin".into(),
        password: Secret::new(password),
        tls: TlsSetting::Verify { ca_file: None },
        auth: AuthMode::Session,
        proxy: None,
        labels: Default::default(),
        limits: Limits::default(),
        tls_repin_after_bmc_update: false,
        pre_reset: None,
        post_update: None,
        method: None,
    })
    .unwrap()
}

fn client(b: &MockBmc) -> BmcClient {
    client_with(b, PW)
}

fn active<'a>(st: &'a Value, kind: &str) -> &'a Value {
    st["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == kind && c["role"] == "active")
        .unwrap()
}

/// An image newer than the BMC's `kind`, its path, sha256, version and the component identity.
async fn prepare(
    b: &MockBmc,
    c: &BmcClient,
    kind: &str,
    mk: Kind,
    dir: &std::path::Path,
) -> (PathBuf, String, String, String, String) {
    let st = b.state();
    let comp = active(&st, kind);
    let style: mock_bmc::vstyle::VersionStyle =
        serde_json::from_value(comp["version_style"].clone()).unwrap();
    let from = comp["version"].as_str().unwrap().to_string();
    let to = style.bump(&from, mock_bmc::vstyle::Bump::Minor).unwrap();
    let path = dir.join(format!("{kind}.fwimg"));
    let h = ImageBuilder::new(mk, to.as_str())
        .models([st["model"].as_str().unwrap().to_string()])
        .payload_size(20_000)
        .write_file(&path)
        .unwrap();
    // The identity the inventory gives this component.
    let mut inv = fwfleet::inventory::model::HostInventory {
        name: b.name().into(),
        url: b.url(),
        ok: false,
        error: None,
        system: Default::default(),
        bmc: Default::default(),
        components: vec![],
        software: vec![],
        duration_ms: 0,
    };
    fwfleet::inventory::scan::read(c, false, &mut inv)
        .await
        .unwrap();
    let identity = inv
        .components
        .iter()
        .find(|x| x.kind.as_str() == kind && x.role == fwfleet::inventory::model::Role::Active)
        .unwrap()
        .identity
        .clone();
    (path, h.payload_sha256.clone(), from, to, identity)
}

fn file_sha(p: &std::path::Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(p).unwrap()))
}

async fn serve_file(path: PathBuf) -> String {
    let bytes = std::fs::read(&path).unwrap();
    let app = axum::Router::new().route(
        "/img",
        axum::routing::get(move || {
            let b = bytes.clone();
            async move { b }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    format!("http://{addr}/img")
}

/// `step::execute` with the BMC's discovered capabilities and no progress output.
async fn execute(
    c: &BmcClient,
    store: &Arc<SqliteStore>,
    spec: &StepSpec,
) -> Result<StepResult, fwfleet::store::StoreError> {
    c.login().await.unwrap();
    let caps = fwfleet::redfish::update_service::discover(c).await.unwrap();
    fwfleet::updater::step::execute(c, &Store::sqlite(store.clone()), spec, &caps, &|_, _| {}).await
}

fn spec(
    run: i64,
    identity: String,
    from: String,
    to: String,
    image: PathBuf,
    transfer: Transfer,
    apply: Option<&str>,
) -> StepSpec {
    StepSpec {
        run_id: run,
        identity,
        from: Some(from),
        to,
        sha256: file_sha(&image),
        image,
        transfer,
        apply_time: apply.map(str::to_string),
        force: false,
        preserve: true,
        deadline: Duration::from_secs(30),
        kind: fwfleet::inventory::model::Kind::Other,
        attempts: 2,
        targets: Vec::new(),
        poll: Duration::from_millis(200),
        // "Completed, still the old version" is pending this long
        // (`silently-not-applied` ends `no-change` after it).
        waits: fwfleet::updater::step::Waits {
            settle: Duration::from_secs(3),
            ..fwfleet::updater::step::Waits::default()
        },
        window: fwfleet::updater::window::WindowEnd::NONE,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn steps_are_journaled_followed_and_verified() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("state")).unwrap());
    let run = store.create_run("running", &json!({})).unwrap();

    // SimpleUpdate of a BIOS on a generic BMC.
    let b = bmc(Persona::Generic).await;
    let c = client(&b);
    c.login().await.unwrap();
    let (img, _, from, to, id) = prepare(&b, &c, "bios", Kind::Bios, dir.path()).await;
    let url = serve_file(img.clone()).await;
    let r = execute(
        &c,
        &store,
        &spec(
            run,
            id,
            from,
            to.clone(),
            img,
            Transfer::SimpleUpdate { image_uri: url },
            None,
        ),
    )
    .await
    .unwrap();
    assert_eq!(r.outcome, StepOutcome::Updated, "{}", r.message);
    assert_eq!(active(&b.state(), "bios")["flash_count"], 1);
    let step = store.step(r.step_id).unwrap().unwrap();
    assert_eq!(
        (step.state.as_str(), step.outcome.as_deref()),
        ("done", Some("updated"))
    );
    assert!(step.task_uri.is_some(), "the task URI was journaled");
    c.logout().await;

    // Multipart push of the BMC's own firmware on OpenBMC: the BMC reboots, sessions vanish.
    let b = bmc(Persona::Openbmc).await;
    let c = client(&b);
    c.login().await.unwrap();
    let (img, _, from, to, id) = prepare(&b, &c, "bmc", Kind::Bmc, dir.path()).await;
    let r = execute(
        &c,
        &store,
        &spec(run, id, from, to.clone(), img, Transfer::Multipart, None),
    )
    .await
    .unwrap();
    assert_eq!(r.outcome, StepOutcome::Updated, "{}", r.message);
    assert_eq!(active(&b.state(), "bmc")["flash_count"], 1);
    c.logout().await;

    // OnReset on iDRAC: staged, not flashed.
    let b = bmc(Persona::Idrac).await;
    let c = client(&b);
    c.login().await.unwrap();
    let (img, _, from, to, id) = prepare(&b, &c, "nic", Kind::Nic, dir.path()).await;
    let r = execute(
        &c,
        &store,
        &spec(
            run,
            id,
            from,
            to.clone(),
            img,
            Transfer::Multipart,
            Some("OnReset"),
        ),
    )
    .await
    .unwrap();
    assert_eq!(r.outcome, StepOutcome::Staged, "{}", r.message);
    assert_eq!(active(&b.state(), "nic")["staged_version"], to.as_str());
    c.logout().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_lead_to_the_right_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("state")).unwrap());
    let run = store.create_run("running", &json!({})).unwrap();
    let http = reqwest::Client::new();
    for (fault, kind, mk, want) in [
        (
            json!({"silently_not_applied": true}),
            "cpld",
            Kind::Cpld,
            StepOutcome::NoChange,
        ),
        (
            json!({"task_fails": true}),
            "nic",
            Kind::Nic,
            StepOutcome::Failed,
        ),
        (
            json!({"wrong_version_after_reboot": true}),
            "bmc",
            Kind::Bmc,
            StepOutcome::UnexpectedVersion,
        ),
    ] {
        let b = bmc(Persona::Generic).await;
        http.post(format!("{}/mock/faults", b.url()))
            .json(&fault)
            .send()
            .await
            .unwrap();
        let c = client(&b);
        c.login().await.unwrap();
        let (img, _, from, to, id) = prepare(&b, &c, kind, mk, dir.path()).await;
        let r = execute(
            &c,
            &store,
            &spec(run, id.clone(), from, to, img, Transfer::Multipart, None),
        )
        .await
        .unwrap();
        assert_eq!(r.outcome, want, "{fault}: {}", r.message);
        assert!(
            r.message.contains(b.name()) && r.message.contains(&id),
            "{}",
            r.message
        );
        c.logout().await;
    }
    // A changed image never leaves fwfleet.
    let b = bmc(Persona::Generic).await;
    let c = client(&b);
    let (img, _, from, to, id) = prepare(&b, &c, "psu", Kind::Psu, dir.path()).await;
    let mut s = spec(run, id, from, to, img.clone(), Transfer::Multipart, None);
    std::fs::write(&img, b"tampered").unwrap();
    s.image = img;
    let r = execute(&c, &store, &s).await.unwrap();
    assert_eq!(r.outcome, StepOutcome::Failed);
    assert!(r.message.contains("SHA-256"), "{}", r.message);
    assert_eq!(active(&b.state(), "psu")["flash_count"], 0);
    let sent = b
        .bmc()
        .lock()
        .journal
        .entries
        .iter()
        .any(|e| e.method == "POST" && !e.path.contains("Sessions"));
    assert!(!sent, "no update request reached the BMC");
}

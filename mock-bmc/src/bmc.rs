//! One running mock BMC: its configuration, shared state and listener.

use crate::faults::Faults;
use crate::http;
use crate::machine::Machine;
use crate::persona::Persona;
use crate::state::{BmcState, SessionPolicy};
use crate::tls::{self, Identity, TlsError};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// How long the BMC's slow operations take.
#[derive(Debug, Clone)]
pub struct Timing {
    /// The install phase of an update (`--update-secs`); zero works.
    pub update: Duration,
    /// How long the BMC refuses connections while it reboots (`--bmc-reboot-secs`).
    pub reboot: Duration,
    /// How long a finished task stays readable where the persona deletes tasks
    /// (iDRAC); `None` keeps tasks.
    pub task_vanish: Option<Duration>,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            update: Duration::from_secs(2),
            reboot: Duration::from_secs(5),
            task_vanish: Some(Duration::from_secs(3)),
        }
    }
}

/// How a BMC speaks TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain HTTP.
    Off,
    /// A certificate generated at start, as BMCs ship from the factory.
    SelfSigned,
    /// An operator's certificate and key (PEM files).
    Files { cert: PathBuf, key: PathBuf },
}

/// Everything needed to start one BMC.
#[derive(Clone)]
pub struct BmcConfig {
    pub machine: Machine,
    pub listen: SocketAddr,
    pub tls: TlsMode,
    pub username: String,
    pub password: String,
    /// Added before every Redfish response, like a slow BMC or a long network path.
    pub latency: Duration,
    pub sessions: SessionPolicy,
    pub timing: Timing,
    pub faults: Faults,
    /// Let SimpleUpdate fetch images from non-loopback addresses.
    pub allow_remote_images: bool,
    /// `MaxImageSizeBytes`: larger uploads get 413.
    pub max_image_size: u64,
    /// Keep firmware state in `DIR/NAME.json` across restarts of the mock.
    pub state_dir: Option<PathBuf>,
    /// `ideal` (the default for now) or `field` (docs/MOCK-BMC.md "Field behaviour").
    pub behaviour: crate::field::Behaviour,
    /// The field durations, scaled by one time scale; `ideal` uses `timing`.
    pub field: crate::field::FieldTiming,
    /// Seeds the field behaviour's per-task irregularities (stalls, transient states).
    pub seed: u64,
}

impl std::fmt::Debug for BmcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BmcConfig")
            .field("name", &self.machine.name)
            .field("persona", &self.machine.persona)
            .field("listen", &self.listen)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .field("latency", &self.latency)
            .field("behaviour", &self.behaviour)
            .finish()
    }
}

impl BmcConfig {
    /// A BMC on 127.0.0.1 port 0 with machine `index` of a `persona` fleet
    /// seeded with `seed`, plain HTTP, user `admin`.
    pub fn new(name: &str, persona: Persona, seed: u64, index: usize, password: &str) -> Self {
        Self::new_variant(
            name,
            persona,
            crate::persona::Variant::Standard,
            seed,
            index,
            password,
        )
    }

    /// [`BmcConfig::new`] for a persona's variant.
    pub fn new_variant(
        name: &str,
        persona: Persona,
        variant: crate::persona::Variant,
        seed: u64,
        index: usize,
        password: &str,
    ) -> Self {
        BmcConfig {
            machine: Machine::generate_variant(name, persona, variant, seed, index),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: TlsMode::Off,
            username: "admin".to_string(),
            password: password.to_string(),
            latency: Duration::ZERO,
            sessions: SessionPolicy::default(),
            timing: Timing::default(),
            faults: Faults::default(),
            allow_remote_images: false,
            max_image_size: DEFAULT_MAX_IMAGE_SIZE,
            state_dir: None,
            behaviour: crate::field::Behaviour::Field,
            field: crate::field::FieldTiming::default(),
            seed: seed ^ (index as u64).rotate_left(29),
        }
    }

    /// This BMC in `field` behaviour with field times divided by `time_scale`.
    pub fn field(mut self, time_scale: f64) -> Self {
        self.behaviour = crate::field::Behaviour::Field;
        self.field = crate::field::FieldTiming::at_scale(time_scale);
        self
    }

    /// This BMC in `ideal` behaviour (the idealised flows, timed by `timing`).
    pub fn ideal(mut self) -> Self {
        self.behaviour = crate::field::Behaviour::Ideal;
        self
    }

    pub fn is_field(&self) -> bool {
        self.behaviour == crate::field::Behaviour::Field
    }
}

/// Default `MaxImageSizeBytes` (1 GiB): big enough for 512 MiB benchmark images.
pub const DEFAULT_MAX_IMAGE_SIZE: u64 = 1 << 30;

/// Why a BMC could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("state file {path}: {message}")]
    State { path: String, message: String },
    #[error("work directory for {name}: {source}")]
    WorkDir {
        name: String,
        #[source]
        source: std::io::Error,
    },
    #[error("tls for {name}: {source}")]
    Tls {
        name: String,
        #[source]
        source: TlsError,
    },
}

/// State shared by the handlers of one BMC.
#[derive(Debug)]
pub struct Bmc {
    pub config: BmcConfig,
    pub service_uuid: String,
    state: Mutex<BmcState>,
    reboot: OnceLock<mpsc::UnboundedSender<Duration>>,
    work: WorkDir,
    /// Image downloads (SimpleUpdate pulls) streaming now: `/mock/state`
    /// shows them so a test can aim at a BMC that is pulling an image.
    downloads: std::sync::atomic::AtomicUsize,
}

/// Counts one download in progress while it lives.
pub(crate) struct Downloading<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for Downloading<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Where uploads and downloads land before they are verified.
#[derive(Debug)]
enum WorkDir {
    Kept(PathBuf),
    Temp(tempfile::TempDir),
}

impl Bmc {
    /// A BMC's shared state; with a `state_dir`, firmware state saved by an
    /// earlier run replaces the generated machine.
    pub fn new(config: BmcConfig) -> Bmc {
        Self::try_new(config).unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn try_new(mut config: BmcConfig) -> Result<Bmc, StartError> {
        let name = config.machine.name.clone();
        let work = match &config.state_dir {
            Some(dir) => {
                let state_file = dir.join(format!("{name}.json"));
                if state_file.exists() {
                    let text =
                        std::fs::read_to_string(&state_file).map_err(|e| StartError::State {
                            path: state_file.display().to_string(),
                            message: e.to_string(),
                        })?;
                    config.machine =
                        serde_json::from_str(&text).map_err(|e| StartError::State {
                            path: state_file.display().to_string(),
                            message: format!("{e}; delete it to start this BMC afresh"),
                        })?;
                }
                let w = dir.join(format!("{name}.work"));
                std::fs::create_dir_all(&w).map_err(|source| StartError::WorkDir {
                    name: name.clone(),
                    source,
                })?;
                WorkDir::Kept(w)
            }
            None => WorkDir::Temp(
                tempfile::Builder::new()
                    .prefix("mock-bmc-")
                    .tempdir()
                    .map_err(|source| StartError::WorkDir {
                        name: name.clone(),
                        source,
                    })?,
            ),
        };
        let mut state = BmcState::new(config.machine.clone(), config.sessions.clone());
        state.faults = config.faults.clone();
        if let Some(limit) = config.faults.session_limit {
            state.session_policy.limit = limit;
        }
        if let Some(t) = config.faults.session_timeout_secs {
            state.session_policy.idle_timeout = Duration::from_secs(t);
        }
        Ok(Bmc {
            service_uuid: config.machine.uuid.clone(),
            config,
            state: Mutex::new(state),
            reboot: OnceLock::new(),
            work,
            downloads: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// Marks a download as in progress until the guard drops.
    pub(crate) fn downloading(&self) -> Downloading<'_> {
        self.downloads
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Downloading(&self.downloads)
    }

    pub fn work_dir(&self) -> &std::path::Path {
        match &self.work {
            WorkDir::Kept(p) => p,
            WorkDir::Temp(t) => t.path(),
        }
    }

    /// Save the firmware state when the BMC has a state dir (atomic rename).
    pub fn persist(&self) {
        if self.config.state_dir.is_none() {
            return;
        }
        let st = self.lock();
        self.persist_with(&st);
    }

    /// `persist` for callers that already hold the state lock.
    pub fn persist_with(&self, st: &BmcState) {
        let Some(dir) = &self.config.state_dir else {
            return;
        };
        let json = serde_json::to_vec_pretty(&st.machine).unwrap_or_default();
        let path = dir.join(format!("{}.json", self.config.machine.name));
        if let Err(e) = crate::fleet::write_private(&path, &json) {
            tracing::warn!(path = %path.display(), error = %e, "cannot save mock BMC state");
        }
    }

    /// Reboot the BMC: its listener goes away for `timing.reboot` (field: the
    /// persona's reboot time), sessions are lost.
    pub fn request_reboot(&self) {
        let d = if self.config.is_field() {
            let st = self.lock();
            crate::field::flow::reboot_time(self, &st)
        } else {
            self.config.timing.reboot
        };
        self.request_reboot_for(d);
    }

    /// Reboot the BMC for `d`.
    pub fn request_reboot_for(&self, d: Duration) {
        if let Some(tx) = self.reboot.get() {
            let _ = tx.send(d);
        }
    }

    /// Write a version into components; true when the BMC must reboot.
    pub fn write_components(&self, keys: &[String], version: &str) -> bool {
        let mut reboot = false;
        {
            let mut st = self.lock();
            let persona = st.machine.persona;
            for k in keys {
                reboot |= st.write_component(k, version, persona);
            }
        }
        self.persist();
        reboot
    }

    /// Human names of components for task messages: their inventory URIs.
    pub fn target_names(&self, keys: &[String]) -> String {
        let st = self.lock();
        keys.iter()
            .filter_map(|k| st.machine.components.iter().find(|c| &c.key == k))
            .map(|c| format!("{}/{}", http::tree::FIRMWARE, c.id))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A task reached its end: personas that delete finished tasks start the clock.
    pub fn task_finished(&self, id: &str) {
        let mut st = self.lock();
        if st.machine.persona == Persona::Idrac {
            st.schedule_vanish(id, self.config.timing.task_vanish);
        }
    }

    /// The state; a poisoned lock (a panicked handler) still yields the data,
    /// because the mock must keep answering for the test to see the failure.
    pub fn lock(&self) -> MutexGuard<'_, BmcState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Constant-time-enough comparison is not needed for a mock; equality is.
    pub fn credentials_match(&self, user: &str, pass: &str) -> bool {
        user == self.config.username && pass == self.config.password
    }

    /// The account as it is now: a configuration reset (no-preserve-resets-config)
    /// brings back the factory `ADMIN`/`ADMIN`.
    pub fn credentials_ok(&self, st: &BmcState, user: &str, pass: &str) -> bool {
        if st.field.credentials_reset {
            return user == "ADMIN" && pass == "ADMIN";
        }
        self.credentials_match(user, pass)
    }

    /// What `/mock/state` answers.
    pub fn state_json(&self) -> Value {
        let st = self.lock();
        let m = &st.machine;
        let components: Vec<Value> = m
            .components
            .iter()
            .map(|c| {
                let mut v = json!({
                    "id": c.id,
                    "key": c.key,
                    "kind": c.kind,
                    "role": c.role,
                    "name": c.name,
                    "version": c.version,
                    "version_style": c.style,
                    "software_id": c.software_id,
                    "updateable": c.updateable,
                    "flash_count": c.flash_count,
                    "staged_version": c.staged_version,
                    "active_version": c.version,
                    "resets_received": c.field.resets_received,
                    "start_update_calls": c.field.start_update_calls,
                    "preserve_flags": c.field.preserve_flags,
                    "oem_parameters": c.field.oem_parameters,
                });
                if let Some(at) = &c.device_context {
                    v["device_context"] = json!(at);
                }
                v
            })
            .collect();
        let f = &st.field;
        let jobs: Vec<Value> = f.jobs.values().map(|j| j.json()).collect();
        let field = json!({
            "time": self.config.field.json(),
            "boot_progress": f.host.boot,
            "reboots": f.reboots,
            "host_resets": f.host_resets,
            "manager_resets": f.manager_resets,
            "start_update_calls": f.start_update_calls,
            "update_mode": f.smc.is_some() || f.smc_running,
            "config_reset": f.credentials_reset,
            "staged_for_host_reset": f.staged_host.iter().map(|s| json!({"keys": s.keys, "version": s.version})).collect::<Vec<_>>(),
            "staged_for_bmc_reset": f.staged_bmc.iter().map(|s| json!({"keys": s.keys, "version": s.version})).collect::<Vec<_>>(),
            "jobs": jobs,
            "hpe_state": f.hpe.state,
        });
        let downloads = self.downloads.load(std::sync::atomic::Ordering::SeqCst);
        json!({
            "name": m.name,
            "persona": m.persona,
            "variant": m.variant,
            "behaviour": self.config.behaviour,
            "manufacturer": m.manufacturer,
            "model": m.model,
            "serial": m.serial,
            "power_state": if self.config.is_field() { st.field.host.power } else if st.power_on { "On" } else { "Off" },
            "rebooting": st.rebooting,
            "components": components,
            "field": field,
            "sessions": st.sessions.len(),
            "downloads_in_progress": downloads,
            "journal": st.journal.summary,
        })
    }
}

/// A running BMC; it stops when dropped.
#[derive(Debug)]
pub struct MockBmc {
    bmc: Arc<Bmc>,
    addr: SocketAddr,
    scheme: &'static str,
    fingerprint: Option<String>,
    cert_pem: Option<String>,
    stop: CancellationToken,
}

impl MockBmc {
    /// Bind, then serve in the background. The listener is bound before this
    /// returns, so `url()` is immediately usable.
    pub async fn start(config: BmcConfig) -> Result<MockBmc, StartError> {
        let listener = bind(config.listen).map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
        let name = config.machine.name.clone();
        let tls_err = |source| StartError::Tls {
            name: name.clone(),
            source,
        };
        let identity: Option<Identity> = match &config.tls {
            TlsMode::Off => None,
            TlsMode::SelfSigned => Some(tls::self_signed(&name, addr.ip()).map_err(tls_err)?),
            TlsMode::Files { cert, key } => Some(tls::from_files(cert, key).map_err(tls_err)?),
        };
        let bmc = Arc::new(Bmc::try_new(config)?);
        let tls_config = match &identity {
            Some(id) => Some(tls::server_config(id).map_err(tls_err)?),
            None => None,
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let _ = bmc.reboot.set(tx);
        let stop = CancellationToken::new();
        tokio::spawn(supervise(
            bmc.clone(),
            listener,
            addr,
            tls_config.clone(),
            rx,
            stop.clone(),
        ));
        let (scheme, fingerprint, cert_pem) = match identity {
            None => ("http", None, None),
            Some(id) => (
                "https",
                Some(tls::fingerprint(&id.cert_der)),
                Some(id.cert_pem),
            ),
        };
        Ok(MockBmc {
            bmc,
            addr,
            scheme,
            fingerprint,
            cert_pem,
            stop,
        })
    }

    /// `http://127.0.0.1:PORT` or `https://…`.
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn name(&self) -> &str {
        &self.bmc.config.machine.name
    }

    pub fn username(&self) -> &str {
        &self.bmc.config.username
    }

    pub fn password(&self) -> &str {
        &self.bmc.config.password
    }

    /// SHA-256 fingerprint of the TLS certificate, `AB:CD:…`.
    pub fn tls_fingerprint(&self) -> Option<&str> {
        self.fingerprint.as_deref()
    }

    /// The TLS certificate in PEM, for clients that want a CA file.
    pub fn cert_pem(&self) -> Option<&str> {
        self.cert_pem.as_deref()
    }

    /// The shared state, for in-process tests.
    pub fn bmc(&self) -> &Arc<Bmc> {
        &self.bmc
    }

    /// What `GET /mock/state` would answer.
    pub fn state(&self) -> Value {
        self.bmc.state_json()
    }
}

impl Drop for MockBmc {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Serve one listener until stopped or told to reboot; returns the handle.
fn serve(
    bmc: &Arc<Bmc>,
    listener: std::net::TcpListener,
    tls_config: Option<Arc<rustls::ServerConfig>>,
) -> (axum_server::Handle, tokio::task::JoinHandle<()>) {
    let app = http::router(bmc.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let handle = axum_server::Handle::new();
    let task = match tls_config {
        None => {
            let server = axum_server::from_tcp(listener).handle(handle.clone());
            tokio::spawn(async move {
                if let Err(e) = server.serve(app).await {
                    tracing::warn!(error = %e, "mock bmc listener stopped");
                }
            })
        }
        Some(cfg) => {
            let server = axum_server::from_tcp_rustls(
                listener,
                axum_server::tls_rustls::RustlsConfig::from_config(cfg),
            )
            .handle(handle.clone());
            tokio::spawn(async move {
                if let Err(e) = server.serve(app).await {
                    tracing::warn!(error = %e, "mock bmc listener stopped");
                }
            })
        }
    };
    (handle, task)
}

/// The BMC's life: serve; on a reboot request close the listener (connections
/// are refused), forget sessions, wait, and come back on the same address.
async fn supervise(
    bmc: Arc<Bmc>,
    first: std::net::TcpListener,
    addr: SocketAddr,
    tls_config: Option<Arc<rustls::ServerConfig>>,
    mut reboots: mpsc::UnboundedReceiver<Duration>,
    stop: CancellationToken,
) {
    let mut listener = Some(first);
    loop {
        let l = match listener.take() {
            Some(l) => l,
            None => loop {
                match bind(addr) {
                    Ok(l) => break l,
                    Err(e) => {
                        tracing::warn!(%addr, error = %e, "mock bmc cannot rebind yet");
                        tokio::select! {
                            _ = stop.cancelled() => return,
                            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                        }
                    }
                }
            },
        };
        let (handle, task) = serve(&bmc, l, tls_config.clone());
        bmc.lock().rebooting = false;
        tokio::select! {
            _ = stop.cancelled() => {
                handle.shutdown();
                let _ = task.await;
                return;
            }
            r = reboots.recv() => {
                let Some(reboot_for) = r else {
                    handle.shutdown();
                    return;
                };
                // Let the response that caused the reboot leave first.
                tokio::time::sleep(Duration::from_millis(50)).await;
                handle.shutdown();
                let _ = task.await;
                {
                    let mut st = bmc.lock();
                    st.rebooting = true;
                    st.sessions.clear();
                    if bmc.config.is_field() {
                        crate::field::flow::going_down(&mut st);
                    }
                }
                tracing::info!(bmc = %bmc.config.machine.name, secs = reboot_for.as_secs_f64(), "rebooting");
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(reboot_for) => {}
                }
                if bmc.config.is_field() {
                    crate::field::flow::back_up(&bmc);
                }
                let wrong = {
                    let mut st = bmc.lock();
                    std::mem::take(&mut st.wrong_version_pending)
                };
                if wrong {
                    apply_wrong_version(&bmc);
                }
                while reboots.try_recv().is_ok() {}
            }
        }
    }
}

/// `wrong_version_after_reboot`: the BMC comes back reporting another version.
fn apply_wrong_version(bmc: &Bmc) {
    {
        let mut st = bmc.lock();
        let persona = st.machine.persona;
        if let Some(c) =
            st.machine.components.iter_mut().find(|c| {
                c.kind == crate::machine::Kind::Bmc && c.role == crate::machine::Role::Active
            })
        {
            if let Ok(v) = c.style.bump(&c.version, crate::vstyle::Bump::Patch) {
                c.version = v;
                c.refresh_id(persona);
            }
        }
    }
    bmc.persist();
}

/// A listener with `SO_REUSEADDR`, so a BMC can come back on its port at once.
fn bind(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    let listener = socket.listen(1024)?;
    listener.into_std()
}

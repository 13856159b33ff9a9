//! One running mock BMC: its configuration, shared state and listener.

use crate::http;
use crate::machine::Machine;
use crate::persona::Persona;
use crate::state::{BmcState, SessionPolicy};
use crate::tls::{self, Identity, TlsError};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

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
            .finish()
    }
}

impl BmcConfig {
    /// A BMC on 127.0.0.1 port 0 with machine `index` of a `persona` fleet
    /// seeded with `seed`, plain HTTP, user `admin`.
    pub fn new(name: &str, persona: Persona, seed: u64, index: usize, password: &str) -> Self {
        BmcConfig {
            machine: Machine::generate(name, persona, seed, index),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: TlsMode::Off,
            username: "admin".to_string(),
            password: password.to_string(),
            latency: Duration::ZERO,
            sessions: SessionPolicy::default(),
        }
    }
}

/// Why a BMC could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
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
}

impl Bmc {
    pub fn new(config: BmcConfig) -> Bmc {
        let state = BmcState::new(config.machine.clone(), config.sessions.clone());
        Bmc {
            service_uuid: config.machine.uuid.clone(),
            config,
            state: Mutex::new(state),
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

    /// What `/mock/state` answers.
    pub fn state_json(&self) -> Value {
        let st = self.lock();
        let m = &st.machine;
        let components: Vec<Value> = m
            .components
            .iter()
            .map(|c| {
                json!({
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
                })
            })
            .collect();
        json!({
            "name": m.name,
            "persona": m.persona,
            "manufacturer": m.manufacturer,
            "model": m.model,
            "serial": m.serial,
            "power_state": if st.power_on { "On" } else { "Off" },
            "components": components,
            "sessions": st.sessions.len(),
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
    handle: axum_server::Handle,
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
        let bmc = Arc::new(Bmc::new(config));
        let app = http::router(bmc.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let handle = axum_server::Handle::new();
        let (scheme, fingerprint, cert_pem) = match identity {
            None => {
                let server = axum_server::from_tcp(listener).handle(handle.clone());
                tokio::spawn(async move {
                    if let Err(e) = server.serve(app).await {
                        tracing::warn!(error = %e, "mock bmc listener stopped");
                    }
                });
                ("http", None, None)
            }
            Some(id) => {
                let cfg = tls::server_config(&id).map_err(tls_err)?;
                let server = axum_server::from_tcp_rustls(
                    listener,
                    axum_server::tls_rustls::RustlsConfig::from_config(cfg),
                )
                .handle(handle.clone());
                tokio::spawn(async move {
                    if let Err(e) = server.serve(app).await {
                        tracing::warn!(error = %e, "mock bmc listener stopped");
                    }
                });
                (
                    "https",
                    Some(tls::fingerprint(&id.cert_der)),
                    Some(id.cert_pem),
                )
            }
        };
        Ok(MockBmc {
            bmc,
            addr,
            scheme,
            fingerprint,
            cert_pem,
            handle,
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
        self.handle.shutdown();
    }
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

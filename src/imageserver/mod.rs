//! The image server: streams repository images to BMCs that were told to
//! fetch them with `UpdateService.SimpleUpdate`.
//!
//! SimpleUpdate makes the BMC the HTTP client, so fwfleet must run a server
//! the BMC can reach. This one serves nothing but what was explicitly
//! published for the current run:
//!
//! - [`ImageServer::publish`] registers one file (path, sha256, size, label)
//!   and returns a URL `ADVERTISE/i/<token>/<file name>` with a fresh 128-bit
//!   random token. Only the registry maps a token to a path, so a URL cannot
//!   name any other file: there is no directory listing, `..` or encoded
//!   slashes are just a wrong name (404). The file name in the URL is
//!   cosmetic (some BMCs insist on an extension) but must match exactly.
//! - Before the first byte of an image goes out, and again whenever its size
//!   or mtime changed, the file is hashed and compared with the published
//!   sha256. A mismatch answers 500, is logged, and marks the token bad (410
//!   from then on): a BMC is never handed an image other than the one the
//!   plan chose. Full downloads are also hashed while they are sent, and the
//!   last chunk is held back until the hash is right.
//! - Files are streamed from disk in 64 KiB chunks, never held in memory,
//!   with `Content-Length`, `Accept-Ranges: bytes`, single `Range` requests
//!   (206/416; several ranges get the whole body) and HEAD, because BMCs
//!   probe with HEAD and resume with ranges.
//! - Every request is logged (tracing, info) and kept in an in-memory audit
//!   ([`ImageServer::audit`]), and completed full downloads are counted per
//!   token ([`ImageServer::fetches`]): the updater can tell "the BMC never
//!   fetched the image" from "it fetched it and then failed".
//! - Optional Basic auth ([`ImageServerConfig::credentials`]) for the
//!   `Username`/`Password` parameters of SimpleUpdate; optional TLS from PEM
//!   files (rustls with the ring provider).
//!
//! # Addresses
//!
//! The defaults (`bind = 127.0.0.1:0`, `advertise_url` derived from the bound
//! address) only work when the BMC runs on this machine, as the mock BMC in
//! tests does. **A real fleet must set both**: `bind` to an interface on the
//! BMCs' management network (or `0.0.0.0:PORT`) and `advertise_url` to the
//! URL BMCs use to reach it (a name or address routable from the BMC side,
//! through any NAT or proxy, e.g. `http://10.0.0.5:8080`). Binding an
//! unspecified address (`0.0.0.0`, `::`) without `advertise_url` is an error,
//! because there is no address to derive.
//!
//! # Shutdown
//!
//! The server stops when the `shutdown` token passed to
//! [`ImageServer::start`] is cancelled or the [`ImageServer`] is dropped,
//! letting downloads in flight finish for up to
//! [`ImageServerConfig::shutdown_grace`].
//!
//! Module map:
//!
//! - `http`: the router and its single handler, streaming and verification.
//! - `range`: `Range` header parsing (pure).
//! - `registry`: the token table and the audit log ([`AuditEntry`]).

mod http;
mod range;
mod registry;

#[cfg(test)]
mod tests;

pub use registry::AuditEntry;

use crate::secret::Secret;
use http::Shared;
use registry::{Image, Registry};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How to run the image server; every field has a documented default.
#[derive(Debug, Clone)]
pub struct ImageServerConfig {
    /// Where to listen. Default `127.0.0.1:0` (loopback, any free port):
    /// only for a BMC on this machine; see the module docs.
    pub bind: SocketAddr,
    /// The base URL put in front of `/i/<token>/<name>` in published URLs,
    /// e.g. `http://10.0.0.5:8080`. Default: `http(s)://IP:PORT` of the
    /// bound socket.
    pub advertise_url: Option<String>,
    /// Serve HTTPS with this certificate chain and key (PEM). Default: HTTP.
    pub tls: Option<TlsFiles>,
    /// Require `Authorization: Basic` with this user and password. Default:
    /// none (the unguessable URL is the only secret).
    pub credentials: Option<(String, Secret)>,
    /// How many requests the in-memory audit keeps (oldest dropped first).
    /// Default 10,000: a rollout of thousands of hosts stays in a few MiB.
    pub audit_capacity: usize,
    /// How long downloads in flight may continue after shutdown. Default 5 s.
    pub shutdown_grace: Duration,
    /// With `tls`: BMCs that can verify this server's certificate are asked
    /// to (`ImageServer::certificate_for_bmcs`). Default off.
    pub bmc_verify: bool,
}

impl Default for ImageServerConfig {
    fn default() -> Self {
        ImageServerConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            advertise_url: None,
            tls: None,
            credentials: None,
            audit_capacity: 10_000,
            shutdown_grace: Duration::from_secs(5),
            bmc_verify: false,
        }
    }
}

/// PEM files for HTTPS.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Why the image server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ImageServerError {
    #[error("image server cannot listen on {addr}: {source}\nis another process using the port, or is the address not on this machine?")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("image server bound to {addr}, which BMCs cannot be sent to\nset advertise_url to the URL BMCs reach this machine by")]
    NoAdvertiseUrl { addr: SocketAddr },
    #[error("image server advertise_url {url:?} is not an http:// or https:// URL")]
    BadAdvertiseUrl { url: String },
    #[error("image server {0}")]
    Tls(#[from] crate::tlsfiles::TlsFilesError),
    #[error("image server cannot draw a random token: the system random source failed")]
    Random,
}

/// What [`ImageServer::publish`] hands back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The 128-bit token, 32 hex digits; the key for `unpublish` and `fetches`.
    pub token: String,
    /// The URL to put in SimpleUpdate's `ImageURI`.
    pub url: String,
}

impl std::fmt::Display for Published {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url)
    }
}

/// A running image server; it stops when dropped or when its shutdown token
/// is cancelled.
#[derive(Debug)]
pub struct ImageServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    base_url: String,
    stop: CancellationToken,
    task: Option<tokio::task::JoinHandle<()>>,
    /// The certificate chain (PEM) BMCs are to verify this server against.
    bmc_pem: Option<String>,
}

impl ImageServer {
    /// Binds `cfg.bind`, loads TLS if asked, and serves in the background.
    /// The socket is bound before this returns, so published URLs work at once.
    pub async fn start(
        cfg: ImageServerConfig,
        shutdown: CancellationToken,
    ) -> Result<ImageServer, ImageServerError> {
        let tls = match &cfg.tls {
            Some(files) => Some(tls_config(files)?),
            None => None,
        };
        let bmc_pem = match (&cfg.tls, cfg.bmc_verify) {
            (Some(files), true) => Some(std::fs::read_to_string(&files.cert).map_err(|e| {
                ImageServerError::Tls(crate::tlsfiles::TlsFilesError::File {
                    what: "certificate",
                    path: files.cert.clone(),
                    source: rustls::pki_types::pem::Error::Io(e),
                })
            })?),
            _ => None,
        };
        let bind_err = |source| ImageServerError::Bind {
            addr: cfg.bind,
            source,
        };
        let listener = std::net::TcpListener::bind(cfg.bind).map_err(bind_err)?;
        listener.set_nonblocking(true).map_err(bind_err)?;
        let addr = listener.local_addr().map_err(bind_err)?;
        let base_url = match &cfg.advertise_url {
            Some(url) => {
                let url = url.trim_end_matches('/');
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(ImageServerError::BadAdvertiseUrl { url: url.into() });
                }
                url.to_string()
            }
            None if addr.ip().is_unspecified() => {
                return Err(ImageServerError::NoAdvertiseUrl { addr })
            }
            None => {
                let scheme = if tls.is_some() { "https" } else { "http" };
                format!("{scheme}://{addr}")
            }
        };
        let basic = cfg.credentials.as_ref().map(|(user, password)| {
            Secret::new(base64(format!("{user}:{}", password.expose()).as_bytes()))
        });
        let shared = Arc::new(Shared {
            registry: Registry::new(cfg.audit_capacity),
            basic,
        });
        let app = http::router(shared.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let handle = axum_server::Handle::new();
        let stop = shutdown.child_token();
        let grace = cfg.shutdown_grace;
        {
            let (handle, stop) = (handle.clone(), stop.clone());
            tokio::spawn(async move {
                stop.cancelled().await;
                handle.graceful_shutdown(Some(grace));
            });
        }
        let task = match tls {
            None => {
                let server = axum_server::from_tcp(listener).handle(handle);
                tokio::spawn(async move {
                    if let Err(e) = server.serve(app).await {
                        tracing::error!(%addr, error = %e, "image server stopped");
                    }
                })
            }
            Some(tls) => {
                let server = axum_server::from_tcp_rustls(
                    listener,
                    axum_server::tls_rustls::RustlsConfig::from_config(tls),
                )
                .handle(handle);
                tokio::spawn(async move {
                    if let Err(e) = server.serve(app).await {
                        tracing::error!(%addr, error = %e, "image server stopped");
                    }
                })
            }
        };
        tracing::info!(%addr, url = %base_url, auth = cfg.credentials.is_some(), "image server listening");
        Ok(ImageServer {
            shared,
            addr,
            base_url,
            stop,
            task: Some(task),
            bmc_pem,
        })
    }

    /// The certificate chain (PEM) BMCs should verify this server against,
    /// when the operator asked for it (`image_server.bmc_verify_certificate`).
    pub fn certificate_for_bmcs(&self) -> Option<&str> {
        self.bmc_pem.as_deref()
    }

    /// The bound socket address (the real port when `bind` had port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The advertised base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Registers `path` under a fresh random token and returns its URL.
    ///
    /// `sha256` (hex) and `size` are what the repository manifest promises;
    /// the file is checked against them before it is served. `label` names
    /// the image in the audit and logs (e.g. `bios 2.19.1 for host-7`).
    /// Publishing the same file twice gives two tokens, so each host's
    /// download can be audited alone.
    pub fn publish(
        &self,
        path: PathBuf,
        sha256: String,
        size: u64,
        label: String,
    ) -> Result<Published, ImageServerError> {
        let token = random_token()?;
        // Absolute, so a later change of the working directory cannot
        // redirect a token to another file.
        let path = std::path::absolute(&path).unwrap_or(path);
        let file_name = file_name(&path);
        let url = format!("{}/i/{token}/{}", self.base_url, percent_encode(&file_name));
        tracing::info!(path = %path.display(), %label, %sha256, size, "image published");
        self.shared.registry.insert(
            token.clone(),
            Image {
                path,
                file_name,
                sha256: sha256.to_ascii_lowercase(),
                size,
                label,
                bad: AtomicBool::new(false),
                fetches: AtomicU64::new(0),
                verified: tokio::sync::Mutex::new(None),
            },
        );
        Ok(Published { token, url })
    }

    /// Publishes a repository entry (`repo.path_of(entry)`, its sha256 and
    /// size) under `label`.
    pub fn publish_entry(
        &self,
        repo: &crate::repository::Repository,
        entry: &crate::repository::Entry,
        label: String,
    ) -> Result<Published, ImageServerError> {
        self.publish(repo.path_of(entry), entry.sha256.clone(), entry.size, label)
    }

    /// Withdraws a token: its URL answers 404 from now on (downloads in
    /// flight finish). Returns whether the token was published.
    pub fn unpublish(&self, token: &str) -> bool {
        self.shared.registry.remove(token)
    }

    /// How many times the image behind `token` was downloaded completely
    /// (200 with the whole body sent). `None` for an unknown token.
    pub fn fetches(&self, token: &str) -> Option<u64> {
        self.shared
            .registry
            .get(token)
            .map(|i| i.fetches.load(Ordering::SeqCst))
    }

    /// Every request so far (up to `audit_capacity`), oldest first.
    pub fn audit(&self) -> Vec<AuditEntry> {
        self.shared.registry.audit()
    }

    /// The router over this server's registry, for driving it without a
    /// socket (peer addresses are then `None` in the audit).
    pub fn router(&self) -> axum::Router {
        http::router(self.shared.clone())
    }

    /// Stops accepting, lets downloads in flight finish (up to the grace
    /// period) and waits for the server to end.
    pub async fn shutdown(mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ImageServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// 128 bits from the system CSPRNG through rustls' ring provider (already
/// linked for TLS; no extra dependency), as 32 hex digits.
fn random_token() -> Result<String, ImageServerError> {
    let mut bytes = [0u8; 16];
    rustls::crypto::ring::default_provider()
        .secure_random
        .fill(&mut bytes)
        .map_err(|_| ImageServerError::Random)?;
    Ok(hex::encode(bytes))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "image".into())
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so the
/// name is one path segment however the file is called.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Standard padded base64, for the expected `Authorization: Basic` value.
fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A rustls server config from the PEM files. HTTP/1.1 only: BMC download
/// clients are HTTP/1.1, and one protocol is one less thing to go wrong.
fn tls_config(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>, ImageServerError> {
    Ok(crate::tlsfiles::server_config(
        &files.cert,
        &files.key,
        &[b"http/1.1"],
    )?)
}

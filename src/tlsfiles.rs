//! rustls server configurations from the operator's PEM files, for the two
//! servers fwfleet runs: the image server (BMCs download from it) and the
//! API of `fwfleet serve`. The ring provider is the one the workspace builds;
//! no process-wide default is installed.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why the PEM files do not make a server. Messages name the file; the
/// caller says which server (`image server …`, `daemon.tls_cert: …`).
#[derive(Debug, thiserror::Error)]
pub enum TlsFilesError {
    #[error("cannot read TLS {what} {}: {source}", path.display())]
    File {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    #[error("TLS certificate {} and key {} do not make a server config: {source}", cert.display(), key.display())]
    Config {
        cert: PathBuf,
        key: PathBuf,
        #[source]
        source: rustls::Error,
    },
}

/// The certificate chain in `cert` (end entity first).
pub fn certificates(cert: &Path) -> Result<Vec<CertificateDer<'static>>, TlsFilesError> {
    CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|source| TlsFilesError::File {
            what: "certificate",
            path: cert.to_path_buf(),
            source,
        })
}

/// A server config serving `cert` with `key`, offering `alpn` in order.
pub fn server_config(
    cert: &Path,
    key: &Path,
    alpn: &[&[u8]],
) -> Result<Arc<rustls::ServerConfig>, TlsFilesError> {
    let certs = certificates(cert)?;
    let private = PrivateKeyDer::from_pem_file(key).map_err(|source| TlsFilesError::File {
        what: "key",
        path: key.to_path_buf(),
        source,
    })?;
    let config_err = |source| TlsFilesError::Config {
        cert: cert.to_path_buf(),
        key: key.to_path_buf(),
        source,
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(config_err)?
        .with_no_client_auth()
        .with_single_cert(certs, private)
        .map_err(config_err)?;
    cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(cfg))
}

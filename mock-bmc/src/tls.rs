//! TLS for a mock BMC: a self-signed certificate per BMC (as real BMCs ship),
//! or one given by path; and the SHA-256 fingerprint clients pin.

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, SanType};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

/// A certificate and key, DER encoded, plus the PEM of the certificate.
pub struct Identity {
    pub cert_der: Vec<u8>,
    pub key: PrivateKeyDer<'static>,
    pub cert_pem: String,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("fingerprint", &fingerprint(&self.cert_der))
            .field("key", &"[redacted]")
            .finish()
    }
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("generating a certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} holds no {what} in PEM form")]
    Missing { path: String, what: &'static str },
    #[error("building the TLS configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// A fresh self-signed certificate valid for `ip` (and localhost).
pub fn self_signed(name: &str, ip: IpAddr) -> Result<Identity, TlsError> {
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, format!("{name} mock BMC"));
    dn.push(DnType::OrganizationName, "fwfleet mock-bmc");
    params.distinguished_name = dn;
    params.subject_alt_names = vec![
        SanType::IpAddress(ip),
        SanType::DnsName("localhost".try_into()?),
    ];
    if ip != IpAddr::from([127, 0, 0, 1]) {
        params
            .subject_alt_names
            .push(SanType::IpAddress(IpAddr::from([127, 0, 0, 1])));
    }
    let cert = params.self_signed(&key)?;
    Ok(Identity {
        cert_der: cert.der().to_vec(),
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        cert_pem: cert.pem(),
    })
}

/// Load a PEM certificate and key an operator supplied.
pub fn from_files(cert: &Path, key: &Path) -> Result<Identity, TlsError> {
    let read = |p: &Path| {
        std::fs::read(p).map_err(|source| TlsError::Read {
            path: p.display().to_string(),
            source,
        })
    };
    let cert_bytes = read(cert)?;
    let key_bytes = read(key)?;
    let cert_der = rustls_pemfile::certs(&mut cert_bytes.as_slice())
        .next()
        .and_then(Result::ok)
        .ok_or_else(|| TlsError::Missing {
            path: cert.display().to_string(),
            what: "certificate",
        })?;
    let key_der = rustls_pemfile::private_key(&mut key_bytes.as_slice())
        .ok()
        .flatten()
        .ok_or_else(|| TlsError::Missing {
            path: key.display().to_string(),
            what: "private key",
        })?;
    Ok(Identity {
        cert_der: cert_der.to_vec(),
        key: key_der,
        cert_pem: String::from_utf8_lossy(&cert_bytes).into_owned(),
    })
}

/// The SHA-256 fingerprint of a DER certificate, as `AB:CD:...` (what
/// `openssl x509 -fingerprint -sha256` prints).
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// A rustls server configuration with the ring provider.
pub fn server_config(id: &Identity) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = id.key.clone_key();
    let mut cfg = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![CertificateDer::from(id.cert_der.clone())], key)?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

//! How the Redfish client decides to trust a BMC's TLS certificate, per host.
//!
//! BMCs almost never carry a certificate a public CA signed: they ship a
//! self-signed one made at the factory or at first boot, often for a name or
//! address that is no longer right. That is why the rest of the industry
//! defaults to "accept anything" (FIELD-NOTES §B6, note 39). We offer, in the
//! order we recommend them:
//!
//! - [`TlsPolicy::Pin`]: trust exactly one certificate, named by the SHA-256 of
//!   its DER encoding (what `openssl x509 -noout -fingerprint -sha256` prints).
//!   Names, chains and dates are ignored, because on BMCs they are wrong more
//!   often than not, but the handshake signature is still checked, so only the
//!   holder of that certificate's private key gets through.
//! - [`TlsPolicy::Verify`]: ordinary WebPKI verification (chain, names, dates),
//!   either against the Mozilla roots bundled in reqwest or against *only* the
//!   CA in an operator's PEM file.
//! - [`TlsPolicy::Insecure`]: no verification at all, only when asked for.
//!
//! This module builds a `reqwest::ClientBuilder` per policy and nothing else:
//! timeouts, pools, proxies and logging belong to the caller.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};
use sha2::{Digest, Sha256};

/// How one host's certificate is checked.
#[derive(Clone, PartialEq, Eq)]
pub enum TlsPolicy {
    /// WebPKI verification of chain, host name and validity dates.
    ///
    /// Without `ca_file` the roots are the Mozilla set bundled into reqwest
    /// (`webpki-roots`), *not* the operating system's store, so a CA added to
    /// `/etc/ssl/certs` is not seen: name it in `ca_file` instead. With
    /// `ca_file` only the certificates in that PEM file are trusted and the
    /// bundled roots are switched off, because an operator with a private BMC
    /// CA means "this CA signs my BMCs", not "this CA or any public one".
    Verify { ca_file: Option<PathBuf> },
    /// Trust exactly the end-entity certificate whose DER hashes to `sha256`.
    Pin { sha256: [u8; 32] },
    /// Accept any certificate. The caller warns; this module logs nothing.
    Insecure,
}

impl Default for TlsPolicy {
    fn default() -> Self {
        TlsPolicy::Verify { ca_file: None }
    }
}

// By hand so a pin reads as the fingerprint operators compare, not 32 numbers.
impl fmt::Debug for TlsPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsPolicy::Verify { ca_file } => {
                f.debug_struct("Verify").field("ca_file", ca_file).finish()
            }
            TlsPolicy::Pin { sha256 } => f
                .debug_struct("Pin")
                .field("sha256", &format_fingerprint(sha256))
                .finish(),
            TlsPolicy::Insecure => f.write_str("Insecure"),
        }
    }
}

/// One short phrase for logs and `fwfleet` output.
impl fmt::Display for TlsPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // "bundled", not "system": see `Verify` for why the difference matters.
            TlsPolicy::Verify { ca_file: None } => f.write_str("bundled Mozilla roots"),
            TlsPolicy::Verify { ca_file: Some(p) } => write!(f, "CA file {}", p.display()),
            TlsPolicy::Pin { sha256 } => write!(f, "pinned {}", format_fingerprint(sha256)),
            TlsPolicy::Insecure => f.write_str("INSECURE (no verification)"),
        }
    }
}

/// The form we show in every message about a fingerprint.
const FINGERPRINT_EXAMPLE: &str =
    "AB:CD:…:EF (32 hex pairs, as printed by `openssl x509 -noout -fingerprint -sha256`)";

/// Why a TLS policy could not be turned into a client.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error(
        "invalid SHA-256 fingerprint {input:?}: {reason}\n  hint: expected {FINGERPRINT_EXAMPLE}"
    )]
    Fingerprint { input: String, reason: String },
    #[error("cannot read CA file {path}: {source}")]
    CaFileRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("CA file {path} is not valid PEM: {source}")]
    CaFilePem {
        path: PathBuf,
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    #[error("CA file {path} holds no certificates\n  hint: it must contain PEM blocks starting with -----BEGIN CERTIFICATE-----")]
    CaFileEmpty { path: PathBuf },
    #[error("CA file {path}: certificate #{number} cannot be used as a trust anchor: {source}")]
    CaFileCert {
        path: PathBuf,
        /// 1-based position in the file, as an operator counts.
        number: usize,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("building the TLS configuration: {0}")]
    Config(#[from] rustls::Error),
    #[error("building the certificate verifier: {0}")]
    Verifier(#[from] rustls::client::VerifierBuilderError),
}

/// The server's certificate failed WebPKI verification (an unknown issuer:
/// a self-signed BMC; a wrong name; expired). Carries the certificate's
/// fingerprint so that the operator can compare it and pin it
/// (`fwfleet trust`) without a second tool.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("certificate not trusted ({reason}); SHA-256 fingerprint {fingerprint}")]
pub struct Untrusted {
    /// rustls's word for why: `UnknownIssuer`, `NotValidForName`, `Expired`, …
    pub reason: String,
    /// `AB:CD:…`.
    pub fingerprint: String,
}

/// The server presented a certificate other than the pinned one.
///
/// Travels inside the handshake error (see [`pin_mismatch`]) so that the
/// caller can tell the operator both values without a second connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("certificate fingerprint mismatch: expected {expected}, got {got}")]
pub struct PinMismatch {
    /// The pin from the config, `AB:CD:…`.
    pub expected: String,
    /// What the server presented, `AB:CD:…`.
    pub got: String,
}

/// The SHA-256 fingerprint of a DER certificate as `AB:CD:…`: uppercase with
/// colons, as `openssl x509 -fingerprint -sha256` prints it and as mock-bmc
/// writes `tls_fingerprint_sha256`, so operators can compare by eye.
pub fn fingerprint_hex(der: &[u8]) -> String {
    format_fingerprint(&Sha256::digest(der).into())
}

fn format_fingerprint(sha256: &[u8; 32]) -> String {
    let hex = hex::encode_upper(sha256);
    let pairs: Vec<&str> = (0..32).map(|i| &hex[2 * i..2 * i + 2]).collect();
    pairs.join(":")
}

/// Read a fingerprint the way operators paste it: `AB:CD:…`, lowercase,
/// with or without colons or spaces, and with openssl's
/// `sha256 Fingerprint=` prefix left on.
pub fn parse_fingerprint(s: &str) -> Result<[u8; 32], TlsError> {
    let fail = |reason: String| TlsError::Fingerprint {
        input: s.to_string(),
        reason,
    };
    // Byte offset of the fingerprint proper, so positions in messages count
    // from the start of what the operator wrote.
    let mut start = s.len() - s.trim_start().len();
    if let Some((prefix, _)) = s[start..].split_once('=') {
        if prefix.trim().eq_ignore_ascii_case("sha256 fingerprint") {
            start += prefix.len() + 1;
        }
    }
    let mut digits = String::with_capacity(64);
    for (i, c) in s[start..].char_indices() {
        match c {
            ':' => {}
            c if c.is_whitespace() => {}
            c if c.is_ascii_hexdigit() => digits.push(c),
            c => {
                let position = s[..start + i].chars().count() + 1;
                return Err(fail(format!(
                    "{c:?} at position {position} is not a hex digit"
                )));
            }
        }
    }
    if digits.len() != 64 {
        let hint = match digits.len() {
            40 => " (that is the length of a SHA-1 fingerprint; use -sha256)",
            32 => " (that is the length of an MD5 fingerprint; use -sha256)",
            _ => "",
        };
        return Err(fail(format!(
            "found {} hex digits, expected 64{hint}",
            digits.len()
        )));
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(&digits, &mut out).map_err(|e| fail(format!("not hexadecimal: {e}")))?;
    Ok(out)
}

/// A reqwest builder whose TLS follows `policy`; the caller adds timeouts,
/// pool settings and the rest, and must not call TLS methods on it
/// (`use_rustls_tls()` in particular would silently drop a pin).
///
/// A CA file is read and checked here, so a bad path fails at start-up with
/// the path in the message rather than as an anonymous "builder error".
pub fn client_builder(policy: &TlsPolicy) -> Result<reqwest::ClientBuilder, TlsError> {
    let builder = reqwest::Client::builder();
    Ok(match policy {
        // WebPKI verification, through a verifier that names the
        // fingerprint of a certificate it refuses (see [`Untrusted`]).
        TlsPolicy::Verify { ca_file: None } => builder.use_preconfigured_tls(verified_config(
            webpki_roots::TLS_SERVER_ROOTS.iter().cloned().collect(),
        )?),
        TlsPolicy::Verify {
            ca_file: Some(path),
        } => builder.use_preconfigured_tls(verified_config(load_ca_file(path)?)?),
        TlsPolicy::Pin { sha256 } => {
            // reqwest takes `impl Any` and downcasts it to its own rustls's
            // ClientConfig; a config from another rustls major version is not
            // recognised (build() then fails with "Unknown TLS backend"). The
            // tests check that a wrong pin is refused, not merely that a
            // client builds.
            builder.use_preconfigured_tls(pinned_config(*sha256)?)
        }
        TlsPolicy::Insecure => builder.danger_accept_invalid_certs(true),
    })
}

/// Every certificate in a PEM file as trust anchors, each checked.
///
/// A CA file is read and checked here, so a bad path fails at start-up with
/// the path in the message rather than as an anonymous "builder error".
fn load_ca_file(path: &Path) -> Result<rustls::RootCertStore, TlsError> {
    let bytes = std::fs::read(path).map_err(|source| TlsError::CaFileRead {
        path: path.to_path_buf(),
        source,
    })?;
    let ders = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsError::CaFilePem {
            path: path.to_path_buf(),
            source,
        })?;
    if ders.is_empty() {
        return Err(TlsError::CaFileEmpty {
            path: path.to_path_buf(),
        });
    }
    let mut roots = rustls::RootCertStore::empty();
    for (i, der) in ders.into_iter().enumerate() {
        roots.add(der).map_err(|e| TlsError::CaFileCert {
            path: path.to_path_buf(),
            number: i + 1,
            source: Box::new(e),
        })?;
    }
    Ok(roots)
}

/// A rustls client configuration verifying against `roots` (WebPKI: chain,
/// name, dates), which names the fingerprint of a certificate it refuses.
fn verified_config(roots: rustls::RootCertStore) -> Result<rustls::ClientConfig, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Telling { inner }))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// WebPKI verification that, when it refuses a certificate, says which one.
#[derive(Debug)]
struct Telling {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
}

impl ServerCertVerifier for Telling {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|e| match e {
                rustls::Error::InvalidCertificate(why)
                    if !matches!(why, CertificateError::Other(_)) =>
                {
                    let untrusted = Untrusted {
                        reason: format!("{why:?}"),
                        fingerprint: fingerprint_hex(end_entity.as_ref()),
                    };
                    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(
                        Arc::new(untrusted),
                    )))
                }
                other => other,
            })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// A rustls client configuration that trusts exactly one certificate.
fn pinned_config(sha256: [u8; 32]) -> Result<rustls::ClientConfig, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(PinVerifier {
        sha256,
        algorithms: provider.signature_verification_algorithms,
    });
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    // We speak HTTP/1.1 to BMCs: their HTTP/2 support is rare and young.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Accepts the server iff its end-entity certificate hashes to the pin.
///
/// Chain, name and dates are deliberately ignored (a self-signed BMC
/// certificate fails all three), but the handshake signatures are verified
/// against the pinned certificate's key: without that, anyone could replay
/// the public certificate and pass.
///
/// Known limit: signature checking parses the certificate with webpki, which
/// refuses X.509 v1 certificates; a BMC still serving one has to be
/// re-keyed or run `Insecure`.
#[derive(Debug)]
struct PinVerifier {
    sha256: [u8; 32],
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let got: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
        if got == self.sha256 {
            return Ok(ServerCertVerified::assertion());
        }
        let mismatch = PinMismatch {
            expected: format_fingerprint(&self.sha256),
            got: format_fingerprint(&got),
        };
        Err(rustls::Error::InvalidCertificate(CertificateError::Other(
            OtherError(Arc::new(mismatch)),
        )))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The pin mismatch behind a failed request, if that is why it failed.
///
/// Walks the whole source chain (reqwest → hyper → `io::Error` → rustls).
/// `io::Error::source()` skips the error it wraps, so each `io::Error` is
/// also opened with `get_ref()`.
pub fn pin_mismatch(err: &(dyn std::error::Error + 'static)) -> Option<PinMismatch> {
    in_chain::<PinMismatch>(err)
}

/// The refused certificate behind a failed request, if that is why it
/// failed (the chain is walked as for [`pin_mismatch`]).
pub fn untrusted(err: &(dyn std::error::Error + 'static)) -> Option<Untrusted> {
    in_chain::<Untrusted>(err)
}

/// The first `T` in `err`'s source chain, `io::Error`s opened too.
fn in_chain<T: std::error::Error + Clone + 'static>(
    err: &(dyn std::error::Error + 'static),
) -> Option<T> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(found) = as_other::<T>(e) {
            return Some(found);
        }
        if let Some(inner) = e
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            if let Some(found) = in_chain::<T>(inner) {
                return Some(found);
            }
        }
        next = e.source();
    }
    None
}

/// `e` as a `T` carried in rustls's `CertificateError::Other`, or as itself.
fn as_other<T: std::error::Error + Clone + 'static>(
    e: &(dyn std::error::Error + 'static),
) -> Option<T> {
    if let Some(m) = e.downcast_ref::<T>() {
        return Some(m.clone());
    }
    match e.downcast_ref::<rustls::Error>()? {
        rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(inner))) => {
            inner.downcast_ref::<T>().cloned()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mock_bmc::{BmcConfig, MockBmc, Persona, TlsMode};

    async fn https_bmc(name: &str, index: usize) -> MockBmc {
        let mut cfg = BmcConfig::new(name, Persona::Generic, 1, index, "password");
        cfg.tls = TlsMode::SelfSigned;
        MockBmc::start(cfg).await.expect("mock BMC starts")
    }

    /// One unauthenticated GET of the service root under `policy`.
    async fn get_root(policy: &TlsPolicy, url: &str) -> Result<u16, reqwest::Error> {
        let client = client_builder(policy).expect("policy builds").build()?;
        let resp = client.get(format!("{url}/redfish/v1/")).send().await?;
        Ok(resp.status().as_u16())
    }

    fn pin_of(bmc: &MockBmc) -> TlsPolicy {
        let sha256 = parse_fingerprint(bmc.tls_fingerprint().unwrap()).unwrap();
        TlsPolicy::Pin { sha256 }
    }

    fn write_pem(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The whole chain in one string, for asserting on causes.
    fn chain(e: &(dyn std::error::Error + 'static)) -> String {
        let mut out = format!("{e:?}");
        let mut next = e.source();
        while let Some(s) = next {
            out.push_str(&format!(" <- {s:?}"));
            next = s.source();
        }
        out
    }

    #[tokio::test]
    async fn pin_accepts_the_pinned_certificate() {
        let bmc = https_bmc("pin-ok", 0).await;
        assert_eq!(get_root(&pin_of(&bmc), &bmc.url()).await.unwrap(), 200);
    }

    #[tokio::test]
    async fn pin_rejects_another_certificate_and_reports_both_fingerprints() {
        let bmc = https_bmc("pin-bad", 0).await;
        let other = https_bmc("pin-other", 1).await;
        let policy = pin_of(&other);
        let err = get_root(&policy, &bmc.url()).await.unwrap_err();
        let m = pin_mismatch(&err).unwrap_or_else(|| panic!("no pin mismatch in {}", chain(&err)));
        assert_eq!(m.expected, other.tls_fingerprint().unwrap());
        assert_eq!(m.got, bmc.tls_fingerprint().unwrap());
    }

    /// A server that presents the pinned certificate without holding its key
    /// (a MITM that copied the public certificate) must still fail.
    #[tokio::test]
    async fn pin_rejects_the_right_certificate_signed_with_the_wrong_key() {
        let ip = "127.0.0.1".parse().unwrap();
        let real = mock_bmc::tls::self_signed("real", ip).unwrap();
        let thief = mock_bmc::tls::self_signed("thief", ip).unwrap();
        let url = impostor_server(&real.cert_der, &thief.key);
        let sha256 = parse_fingerprint(&fingerprint_hex(&real.cert_der)).unwrap();
        let err = get_root(&TlsPolicy::Pin { sha256 }, &url)
            .await
            .unwrap_err();
        assert!(pin_mismatch(&err).is_none(), "{}", chain(&err));
        assert!(chain(&err).contains("BadSignature"), "{}", chain(&err));
    }

    #[derive(Debug)]
    struct Fixed(Arc<rustls::sign::CertifiedKey>);

    impl rustls::server::ResolvesServerCert for Fixed {
        fn resolve(
            &self,
            _: rustls::server::ClientHello<'_>,
        ) -> Option<Arc<rustls::sign::CertifiedKey>> {
            Some(self.0.clone())
        }
    }

    /// Serves one TLS handshake with `cert` but signing with `key`, on a
    /// thread (blocking rustls is enough for one connection).
    fn impostor_server(cert: &[u8], key: &rustls::pki_types::PrivateKeyDer<'static>) -> String {
        let signer = rustls::crypto::ring::sign::any_supported_type(key).unwrap();
        let certified =
            rustls::sign::CertifiedKey::new(vec![CertificateDer::from(cert.to_vec())], signer);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = Arc::new(
            rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_cert_resolver(Arc::new(Fixed(Arc::new(certified)))),
        );
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            if let Ok((mut sock, _)) = listener.accept() {
                let mut conn = rustls::ServerConnection::new(config).unwrap();
                while conn.is_handshaking() {
                    if conn.complete_io(&mut sock).is_err() {
                        break;
                    }
                }
            }
        });
        format!("https://{addr}")
    }

    #[tokio::test]
    async fn verify_with_bundled_roots_rejects_a_self_signed_bmc() {
        let bmc = https_bmc("roots", 0).await;
        let err = get_root(&TlsPolicy::default(), &bmc.url())
            .await
            .unwrap_err();
        assert!(pin_mismatch(&err).is_none());
        assert!(chain(&err).contains("UnknownIssuer"), "{}", chain(&err));
    }

    #[tokio::test]
    async fn ca_file_trusts_exactly_its_own_certificates() {
        let dir = tempfile::tempdir().unwrap();
        let bmc = https_bmc("ca", 0).await;
        let other = https_bmc("ca-other", 1).await;
        let own = write_pem(&dir, "own.pem", bmc.cert_pem().unwrap());
        let foreign = write_pem(&dir, "foreign.pem", other.cert_pem().unwrap());

        let policy = TlsPolicy::Verify { ca_file: Some(own) };
        assert_eq!(get_root(&policy, &bmc.url()).await.unwrap(), 200);

        let policy = TlsPolicy::Verify {
            ca_file: Some(foreign),
        };
        let err = get_root(&policy, &bmc.url()).await.unwrap_err();
        assert!(chain(&err).contains("UnknownIssuer"), "{}", chain(&err));
    }

    #[tokio::test]
    async fn insecure_accepts_a_self_signed_bmc() {
        let bmc = https_bmc("insecure", 0).await;
        assert_eq!(
            get_root(&TlsPolicy::Insecure, &bmc.url()).await.unwrap(),
            200
        );
    }

    #[test]
    fn ca_file_problems_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let empty = write_pem(&dir, "empty.pem", "# nothing here\n");
        let truncated = write_pem(&dir, "truncated.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n");
        let garbage = write_pem(
            &dir,
            "garbage.pem",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        );
        for (path, words) in [
            (&missing, "cannot read CA file"),
            (&empty, "holds no certificates"),
            (&truncated, "is not valid PEM"),
            (&garbage, "certificate #1 cannot be used as a trust anchor"),
        ] {
            let policy = TlsPolicy::Verify {
                ca_file: Some(path.clone()),
            };
            let msg = client_builder(&policy).unwrap_err().to_string();
            assert!(msg.contains(&path.display().to_string()), "{msg}");
            assert!(msg.contains(words), "{msg}");
        }
    }

    const FP: &str = "E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8:55";

    #[test]
    fn fingerprint_hex_matches_openssl_and_mock_bmc() {
        // SHA-256 of nothing: a fixed point anyone can check.
        assert_eq!(fingerprint_hex(b""), FP);
        let ip = "127.0.0.1".parse().unwrap();
        let id = mock_bmc::tls::self_signed("fp", ip).unwrap();
        assert_eq!(
            fingerprint_hex(&id.cert_der),
            mock_bmc::tls::fingerprint(&id.cert_der)
        );
    }

    /// Every accepted spelling of one fingerprint, and how bad ones are told.
    #[test]
    fn parse_fingerprint_forms() {
        let want = parse_fingerprint(FP).unwrap();
        assert_eq!(format_fingerprint(&want), FP);
        let bare = FP.replace(':', "");
        for ok in [
            FP.to_string(),
            FP.to_lowercase(),
            bare.clone(),
            bare.to_lowercase(),
            FP.replace(':', " "),
            format!("  {FP}\n"),
            format!("sha256 Fingerprint={FP}"),
            format!("SHA256 Fingerprint={}", FP.to_lowercase()),
        ] {
            assert_eq!(parse_fingerprint(&ok).unwrap(), want, "{ok}");
        }
        for (bad, words) in [
            ("", "found 0 hex digits, expected 64"),
            (&FP[..FP.len() - 3], "found 62 hex digits, expected 64"),
            (&format!("{FP}:00"), "found 66 hex digits, expected 64"),
            (&bare[..40], "SHA-1"),
            (
                &FP.replace("E3", "G3"),
                "'G' at position 1 is not a hex digit",
            ),
            (
                &FP.replace(':', "-"),
                "'-' at position 3 is not a hex digit",
            ),
            (&format!("md5={FP}"), "'m' at position 1"),
            (
                &format!(" sha256 Fingerprint={}x", &FP[..FP.len() - 1]),
                "'x' at position 115",
            ),
        ] {
            let msg = parse_fingerprint(bad).unwrap_err().to_string();
            assert!(msg.contains(words), "{bad:?}: {msg}");
            assert!(msg.contains("expected AB:CD:"), "{bad:?}: {msg}");
        }
    }

    #[test]
    fn policies_read_well_in_logs() {
        let sha256 = parse_fingerprint(FP).unwrap();
        for (policy, shown) in [
            (TlsPolicy::default(), "bundled Mozilla roots".to_string()),
            (
                TlsPolicy::Verify {
                    ca_file: Some("/etc/fwfleet/bmc-ca.pem".into()),
                },
                "CA file /etc/fwfleet/bmc-ca.pem".to_string(),
            ),
            (TlsPolicy::Pin { sha256 }, format!("pinned {FP}")),
            (
                TlsPolicy::Insecure,
                "INSECURE (no verification)".to_string(),
            ),
        ] {
            assert_eq!(policy.to_string(), shown);
        }
        assert!(format!("{:?}", TlsPolicy::Pin { sha256 }).contains(FP));
    }
}

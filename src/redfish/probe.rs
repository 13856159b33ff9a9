//! What certificate a BMC presents, for `fwfleet trust` (trust on first
//! use, explicitly): fingerprint, subject, issuer and validity, read from a
//! TLS handshake that trusts nothing yet and sends nothing but the
//! handshake — no request, no credentials.
//!
//! The handshake's signature is still checked against the presented
//! certificate, so what is shown is a certificate whose private key the
//! server holds. The certificate is parsed with `x509-parser` (untrusted
//! DER; a parser of our own would be security-critical code written by hand).

use super::error::RedfishError;
use super::tls::{self, TlsPolicy};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// A BMC's certificate as `fwfleet trust` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeerCertificate {
    /// SHA-256 of the DER, `AB:CD:…` (what `tls_fingerprint_sha256` takes).
    pub fingerprint: String,
    pub subject: String,
    pub issuer: String,
    /// RFC 3339.
    pub not_before: String,
    pub not_after: String,
    /// Issuer and subject are the same (the usual BMC certificate).
    pub self_signed: bool,
    /// Outside its validity period now (a pin ignores dates; shown so the
    /// operator knows).
    pub expired: bool,
    pub not_yet_valid: bool,
}

/// Whether the host's own TLS setting already accepts its certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Verified (CA chain, name, dates): nothing to pin.
    Verified,
    /// WebPKI refused it (`UnknownIssuer`, …): a candidate for a pin.
    Untrusted { reason: String },
}

/// Connect to `url` (`https://HOST[:PORT]`) and read the certificate it
/// presents, within `timeout` for connect and handshake together.
pub async fn peer_certificate(
    host: &str,
    url: &str,
    timeout: Duration,
) -> Result<PeerCertificate, RedfishError> {
    let fail = |detail: String| RedfishError::Connect {
        host: host.to_string(),
        uri: url.to_string(),
        detail,
        source: None,
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| fail(format!("not a URL: {e}")))?;
    if parsed.scheme() != "https" {
        return Err(RedfishError::Unsupported {
            host: host.to_string(),
            detail: format!("{url} is not https://: there is no certificate to pin"),
        });
    }
    let name = parsed
        .host_str()
        .ok_or_else(|| fail("the URL names no host".into()))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = parsed.port_or_known_default().unwrap_or(443);
    let server_name = ServerName::try_from(name.clone())
        .map_err(|e| fail(format!("{name} is not a server name: {e}")))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(ShowAnything {
        algorithms: provider.signature_verification_algorithms,
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| fail(format!("TLS setup: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let handshake = async {
        let tcp = tokio::net::TcpStream::connect((name.as_str(), port)).await?;
        connector.connect(server_name, tcp).await
    };
    let stream = tokio::time::timeout(timeout, handshake)
        .await
        .map_err(|_| RedfishError::Timeout {
            host: host.to_string(),
            uri: url.to_string(),
            secs: timeout.as_secs(),
        })?
        .map_err(|e| fail(format!("TLS handshake: {e}")))?;
    let der = stream
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| c.as_ref().to_vec())
        .ok_or_else(|| fail("the server presented no certificate".into()))?;
    drop(stream);
    describe(&der).map_err(|e| RedfishError::Decode {
        host: host.to_string(),
        uri: url.to_string(),
        what: "the certificate".into(),
        detail: e,
    })
}

/// Fingerprint, names and dates of a DER certificate.
pub fn describe(der: &[u8]) -> Result<PeerCertificate, String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| e.to_string())?;
    let validity = cert.validity();
    let now = x509_parser::time::ASN1Time::now();
    let rfc3339 = |t: &x509_parser::time::ASN1Time| {
        chrono::DateTime::from_timestamp(t.timestamp(), 0).map_or_else(
            || t.to_string(),
            |d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        )
    };
    let subject = printable(&cert.subject().to_string());
    let issuer = printable(&cert.issuer().to_string());
    Ok(PeerCertificate {
        fingerprint: tls::fingerprint_hex(der),
        self_signed: cert.subject() == cert.issuer(),
        subject: if subject.is_empty() {
            "(empty)".into()
        } else {
            subject
        },
        issuer: if issuer.is_empty() {
            "(empty)".into()
        } else {
            issuer
        },
        not_before: rfc3339(&validity.not_before),
        not_after: rfc3339(&validity.not_after),
        expired: validity.not_after < now,
        not_yet_valid: validity.not_before > now,
    })
}

/// Names come from the BMC: bounded, without control characters.
fn printable(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(300).collect()
}

/// Whether `policy` (the host's setting, never a pin or insecure) accepts
/// the certificate at `url`: one unauthenticated GET of the service root.
pub async fn verdict(
    host: &str,
    url: &str,
    policy: &TlsPolicy,
    timeout: Duration,
) -> Result<Verdict, RedfishError> {
    let setup = |detail: String| RedfishError::Setup {
        host: host.to_string(),
        detail,
    };
    let client = tls::client_builder(policy)
        .map_err(|e| setup(e.to_string()))?
        .connect_timeout(timeout)
        .timeout(timeout)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| setup(e.to_string()))?;
    let root = format!("{}/redfish/v1/", url.trim_end_matches('/'));
    match client.get(&root).send().await {
        Ok(_) => Ok(Verdict::Verified),
        Err(e) => match tls::untrusted(&e) {
            Some(u) => Ok(Verdict::Untrusted { reason: u.reason }),
            None => Err(RedfishError::Connect {
                host: host.to_string(),
                uri: root,
                detail: e.to_string(),
                source: Some(e),
            }),
        },
    }
}

/// Accepts any certificate (it is only shown, never trusted), but checks
/// the handshake signatures against it.
#[derive(Debug)]
struct ShowAnything {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for ShowAnything {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
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

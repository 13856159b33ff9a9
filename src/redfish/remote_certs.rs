//! Image transfers over TLS: have the BMC verify fwfleet's image server
//! (UpdateService 1.9: `VerifyRemoteServerCertificate`, and the server's
//! certificate added to `RemoteServerCertificates`), and put the BMC back
//! as it was afterwards. docs/SECURITY.md#image-transfers-over-tls.
//!
//! BMCs without the two properties (iDRAC, iLO, Supermicro, OpenBMC's
//! bmcweb) are left alone: [`verify_image_server`] answers `None` and the
//! download goes over HTTPS unverified by the BMC, as before — the image
//! is still checked by its SHA-256 before it is served and by the BMC's
//! own signature check, and its URL is unguessable and withdrawn after.

use super::client::BmcClient;
use super::error::{redfish_message, RedfishError};
use super::origin::Field;
use super::update_service::UpdateCaps;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// What the BMC had before, and what fwfleet added: enough to restore it.
/// Journaled before the settings change, so a crash leaves the way back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Previous {
    pub update_service: String,
    /// `VerifyRemoteServerCertificate` before (absent counts as false).
    pub verify: bool,
    /// The certificate fwfleet added (its URI), to delete afterwards.
    pub added: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Settings {
    #[serde(rename = "VerifyRemoteServerCertificate")]
    verify: Option<bool>,
    #[serde(rename = "RemoteServerCertificates")]
    certificates: Option<Link>,
}

#[derive(Debug, Deserialize)]
struct Link {
    #[serde(rename = "@odata.id")]
    id: String,
}

fn http(client: &BmcClient, method: &str, uri: &str, status: u16, body: &[u8]) -> RedfishError {
    RedfishError::Http {
        host: client.host().to_string(),
        method: method.to_string(),
        uri: uri.to_string(),
        status,
        redfish_message: redfish_message(body),
    }
}

/// What the BMC's UpdateService says now: `None` when it cannot verify
/// the image server (no `RemoteServerCertificates`).
pub async fn current(
    client: &BmcClient,
    caps: &UpdateCaps,
) -> Result<Option<Previous>, RedfishError> {
    let s: Settings = client.get(&caps.update_service).await?;
    Ok(s.certificates.map(|_| Previous {
        update_service: caps.update_service.clone(),
        verify: s.verify.unwrap_or(false),
        added: None,
    }))
}

/// Add `pem` (the image server's certificate) to `RemoteServerCertificates`
/// and switch `VerifyRemoteServerCertificate` on. `previous` is what
/// [`current`] read (and the caller journaled); the answer adds the new
/// certificate's URI to it, for [`restore`].
pub async fn verify_image_server(
    client: &BmcClient,
    previous: &Previous,
    pem: &str,
) -> Result<Previous, RedfishError> {
    let s: Settings = client.get(&previous.update_service).await?;
    let Some(collection) = s.certificates else {
        return Err(RedfishError::Unsupported {
            host: client.host().to_string(),
            detail: "the UpdateService no longer offers RemoteServerCertificates".into(),
        });
    };
    let collection = client.bind(&collection.id, Field::REMOTE_CERTIFICATES)?;
    let body = json!({"CertificateString": pem, "CertificateType": "PEM"});
    let r = client
        .request(Method::POST, &collection, Some(&body))
        .await?;
    if !r.status.is_success() {
        return Err(http(
            client,
            "POST",
            &collection,
            r.status.as_u16(),
            &r.body,
        ));
    }
    let added = match r.header("location") {
        Some(l) => Some(client.bind(l, Field::LOCATION)?),
        None => None,
    };
    let mut now = previous.clone();
    now.added = added;
    let patch = json!({"VerifyRemoteServerCertificate": true});
    let r = client
        .request(Method::PATCH, &previous.update_service, Some(&patch))
        .await?;
    if !r.status.is_success() {
        // Take the certificate back out before failing.
        let _ = restore(client, &now).await;
        return Err(http(
            client,
            "PATCH",
            &previous.update_service,
            r.status.as_u16(),
            &r.body,
        ));
    }
    Ok(now)
}

/// Put the BMC back: `VerifyRemoteServerCertificate` as it was, the
/// certificate fwfleet added deleted (a 404: already gone).
pub async fn restore(client: &BmcClient, previous: &Previous) -> Result<(), RedfishError> {
    let patch = json!({"VerifyRemoteServerCertificate": previous.verify});
    let r = client
        .request(Method::PATCH, &previous.update_service, Some(&patch))
        .await?;
    if !r.status.is_success() {
        return Err(http(
            client,
            "PATCH",
            &previous.update_service,
            r.status.as_u16(),
            &r.body,
        ));
    }
    if let Some(uri) = &previous.added {
        let r = client.request(Method::DELETE, uri, None).await?;
        if !r.status.is_success() && r.status.as_u16() != 404 {
            return Err(http(client, "DELETE", uri, r.status.as_u16(), &r.body));
        }
    }
    Ok(())
}

//! Errors from talking to one BMC. Every message names the host and the URI,
//! says what happened in words, and where it can, what to do next.

/// What went wrong with one request or one BMC.
#[derive(Debug, thiserror::Error)]
pub enum RedfishError {
    #[error("{host}: cannot connect to {uri}: {detail}\n  hint: check that the BMC is up and reachable from here (address, port, firewall, proxy)")]
    Connect {
        host: String,
        uri: String,
        detail: String,
        #[source]
        source: Option<reqwest::Error>,
    },
    /// The connection was made, then ended before a status line came back
    /// (a reset mid-body, a BMC that went down): the BMC may have taken the
    /// request.
    #[error("{host}: the connection to {uri} ended before the BMC answered: {detail}\n  hint: the BMC may be rebooting, or may have taken the request; for an update fwfleet decides from the BMC's tasks and inventory")]
    Dropped {
        host: String,
        uri: String,
        detail: String,
        #[source]
        source: Option<reqwest::Error>,
    },
    #[error("{host}: certificate changed: expected {expected}, got {got}\n  hint: if the BMC was reflashed or its certificate renewed, update tls_fingerprint_sha256 for {host} in the config")]
    PinMismatch {
        host: String,
        expected: String,
        got: String,
    },
    /// WebPKI verification refused the certificate (a self-signed BMC: an
    /// unknown issuer); the fingerprint lets the operator compare and pin it.
    #[error("{host}: the BMC's certificate is not trusted ({reason}); its SHA-256 fingerprint is {fingerprint}\n  hint: if that is the BMC's own certificate (compare it on the BMC's console), pin it with `fwfleet trust --config FILE --hosts {host}`, or name the CA that signed it in ca_file")]
    Untrusted {
        host: String,
        reason: String,
        fingerprint: String,
    },
    #[error("{host}: TLS: {detail}")]
    Tls { host: String, detail: String },
    #[error("{host}: no answer from {uri} within {secs}s\n  hint: the BMC may be overloaded; raise request_timeout_secs or lower concurrency")]
    Timeout {
        host: String,
        uri: String,
        secs: u64,
    },
    #[error("{host}: {method} {uri} returned HTTP {status}{}", redfish_message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Http {
        host: String,
        method: String,
        uri: String,
        status: u16,
        /// The BMC's own words, from a Redfish error body, when it sent one.
        redfish_message: Option<String>,
    },
    #[error("{host}: login failed: {detail}\n  hint: check username and password for {host} in the config")]
    Auth { host: String, detail: String },
    #[error("{host}: cannot read {what} from {uri}: {detail}")]
    Decode {
        host: String,
        uri: String,
        what: String,
        detail: String,
    },
    #[error("{host}: response from {uri} is larger than {limit} bytes\n  hint: raise defaults.max_response_bytes if this BMC really sends that much")]
    TooLarge {
        host: String,
        uri: String,
        limit: u64,
    },
    #[error("{host}: {detail}")]
    Unsupported { host: String, detail: String },
    /// A URI the BMC supplied that fwfleet will not use (docs/SECURITY.md).
    #[error("{host}: refused the URI {uri} the BMC gave in {field}: {why}\n  hint: a BMC names its own URIs as paths on the address fwfleet reaches it at (hosts[].url); check the BMC and anything between it and fwfleet")]
    RefusedUri {
        host: String,
        /// Where the URI came from (`Members@odata.nextLink`, `session Location`, …).
        field: &'static str,
        /// As the BMC wrote it, bounded.
        uri: String,
        why: String,
    },
    #[error("{host}: {method} {uri} was redirected (HTTP {status}); its redirect Location {location} is not followed: {why}\n  hint: set hosts[].url to the address the BMC answers on itself, with the scheme it serves")]
    Redirect {
        host: String,
        method: String,
        uri: String,
        status: u16,
        location: String,
        why: String,
    },
    #[error("{host}: gave up after {secs}s (scan deadline)\n  hint: the BMC answers too slowly; raise defaults.scan_deadline_secs")]
    Deadline { host: String, secs: u64 },
    #[error("{host}: interrupted (Ctrl-C); the session was closed")]
    Interrupted { host: String },
    #[error("{host}: client setup: {detail}")]
    Setup { host: String, detail: String },
}

impl RedfishError {
    /// Worth another try (for idempotent reads): the BMC may answer next time.
    pub fn is_transient(&self) -> bool {
        match self {
            RedfishError::Connect { .. }
            | RedfishError::Timeout { .. }
            | RedfishError::Dropped { .. } => true,
            RedfishError::Http { status, .. } => matches!(status, 502..=504),
            _ => false,
        }
    }

    /// Whether the BMC looks *away* (rebooting, its web server restarting)
    /// rather than answering: refused or dropped connections, timeouts, and
    /// 502/503/504 without a Redfish error body. A reply *with* an error body
    /// is the BMC speaking (a monitor's final answer, a refusal), never this.
    pub fn is_away(&self) -> bool {
        match self {
            RedfishError::Connect { .. }
            | RedfishError::Timeout { .. }
            | RedfishError::Dropped { .. } => true,
            RedfishError::Http {
                status,
                redfish_message,
                ..
            } => matches!(status, 502..=504) && redfish_message.is_none(),
            _ => false,
        }
    }

    /// Whether no connection was made at all, so nothing was sent: the one
    /// transport failure after which a flash request may be sent again.
    pub fn sent_nothing(&self) -> bool {
        matches!(self, RedfishError::Connect { .. })
    }
}

/// The `MessageId`s of a Redfish error body (`error.@Message.ExtendedInfo`,
/// else `error.code`), without registry and version (`OemLicenseNotPassed`).
pub fn error_message_keys(body: &[u8]) -> Vec<String> {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Vec::new();
    };
    let Some(err) = v.get("error") else {
        return Vec::new();
    };
    let mut ids: Vec<&str> = err
        .get("@Message.ExtendedInfo")
        .and_then(|x| x.as_array())
        .into_iter()
        .flatten()
        .filter_map(|m| m.get("MessageId").and_then(|x| x.as_str()))
        .collect();
    if ids.is_empty() {
        ids.extend(err.get("code").and_then(|x| x.as_str()));
    }
    ids.into_iter()
        .map(|id| redfish_schemas::message_key(id).to_string())
        .collect()
}

/// Read a Redfish error body into one readable line, tolerating vendors
/// (Supermicro's capital `Message`, bodies that are not JSON at all).
pub fn redfish_message(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let err = v.get("error")?;
    let mut parts: Vec<String> = Vec::new();
    if let Some(infos) = err.get("@Message.ExtendedInfo").and_then(|x| x.as_array()) {
        for m in infos {
            let id = m.get("MessageId").and_then(|x| x.as_str()).unwrap_or("");
            let text = m
                .get("Message")
                .and_then(|x| x.as_str())
                .unwrap_or("")
                .trim();
            if !text.is_empty() || !id.is_empty() {
                parts.push(if id.is_empty() {
                    text.to_string()
                } else {
                    format!("{text} ({id})")
                });
            }
        }
    }
    if parts.is_empty() {
        let text = err
            .get("message")
            .or_else(|| err.get("Message"))
            .and_then(|x| x.as_str())
            .unwrap_or("");
        let code = err.get("code").and_then(|x| x.as_str()).unwrap_or("");
        if text.is_empty() && code.is_empty() {
            return None;
        }
        parts.push(if code.is_empty() {
            text.to_string()
        } else {
            format!("{text} ({code})")
        });
    }
    Some(parts.join("; "))
}

/// A short, printable description of a reqwest error with its cause chain,
/// which reqwest's own Display hides.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let t = s.to_string();
        if !out.contains(&t) {
            out.push_str(": ");
            out.push_str(&t);
        }
        cur = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Supermicro's error shape (NOTES §7.5): capital-M `Message`, a `code`,
    /// the OEM message id in ExtendedInfo.
    #[test]
    fn error_message_keys_drop_registry_and_version() {
        let body = br#"{"error": {"code": "Base.v1_4_0.GeneralError", "Message": "A general error has occurred.",
            "@Message.ExtendedInfo": [{"MessageId": "SMC.1.0.OemLicenseNotPassed", "Message": "Not licensed"}]}}"#;
        assert_eq!(error_message_keys(body), ["OemLicenseNotPassed"]);
        let body = br#"{"error": {"code": "Base.1.8.GeneralError", "message": "x"}}"#;
        assert_eq!(error_message_keys(body), ["GeneralError"]);
        assert!(error_message_keys(b"not json").is_empty());
    }

    #[test]
    fn redfish_error_bodies_become_one_line() {
        let b = br#"{"error":{"code":"Base.1.22.ResourceMissingAtURI","message":"x","@Message.ExtendedInfo":[{"MessageId":"Base.1.22.ResourceMissingAtURI","Message":"The resource at the URI '/x' was not found."}]}}"#;
        assert_eq!(
            redfish_message(b).unwrap(),
            "The resource at the URI '/x' was not found. (Base.1.22.ResourceMissingAtURI)"
        );
        let smc = br#"{"error":{"code":"Base.v1_4_0.GeneralError","Message":"License required"}}"#;
        assert_eq!(
            redfish_message(smc).unwrap(),
            "License required (Base.v1_4_0.GeneralError)"
        );
        assert_eq!(redfish_message(b"<html>502</html>"), None);
    }
}

//! Webhook signatures: HMAC-SHA256, keyed with the endpoint's
//! `secret_file`, over `"<timestamp>.<body>"` — the `X-Fwfleet-Timestamp`
//! header (Unix seconds), a dot, and the exact body bytes. The timestamp is
//! inside the signed string so that a receiver that rejects old timestamps
//! (docs/API.md suggests 5 minutes) cannot be fed a recorded delivery again;
//! the same scheme as Stripe's and Slack's, so receivers know it.
//!
//! Sent as `X-Fwfleet-Signature: sha256=<64 lowercase hex digits>`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Fwfleet-Signature";
/// The header carrying the signed timestamp (Unix seconds, decimal).
pub const TIMESTAMP_HEADER: &str = "X-Fwfleet-Timestamp";
/// The event's name (`run.created`…), for routing without parsing.
pub const EVENT_HEADER: &str = "X-Fwfleet-Event";
/// The event's `id`, the same on every retry.
pub const DELIVERY_HEADER: &str = "X-Fwfleet-Delivery";

fn mac(key: &[u8], timestamp: u64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length (RFC 2104), so this cannot fail.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// The `X-Fwfleet-Signature` value of `body` sent at `timestamp`.
pub fn sign(key: &[u8], timestamp: u64, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(mac(key, timestamp, body).finalize().into_bytes())
    )
}

/// Whether `header` is the signature of `body` at `timestamp` (compared in
/// constant time). What a receiver does; fwfleet uses it in tests.
pub fn verify(key: &[u8], timestamp: u64, body: &[u8], header: &str) -> bool {
    let Some(digits) = header.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(sig) = hex::decode(digits) else {
        return false;
    };
    mac(key, timestamp, body).verify_slice(&sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_matches_rfc_4231_test_case_2() {
        // RFC 4231 §4.3: key "Jefe", data "what do ya want for nothing?".
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(b"Jefe").unwrap();
        m.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(m.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn the_signed_string_is_timestamp_dot_body() {
        // The RFC vector again, split as fwfleet splits it: "what do ya
        // want for nothing?" is not of that form, so sign a body whose
        // signed string is known and check it against plain HMAC.
        let body = br#"{"event":"run.created"}"#;
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(b"k3y").unwrap();
        m.update(br#"1700000000.{"event":"run.created"}"#);
        let expected = format!("sha256={}", hex::encode(m.finalize().into_bytes()));
        assert_eq!(sign(b"k3y", 1_700_000_000, body), expected);
        assert!(verify(b"k3y", 1_700_000_000, body, &expected));
        // Another timestamp, key or body does not verify.
        assert!(!verify(b"k3y", 1_700_000_001, body, &expected));
        assert!(!verify(b"k3z", 1_700_000_000, body, &expected));
        assert!(!verify(b"k3y", 1_700_000_000, b"{}", &expected));
        assert!(!verify(b"k3y", 1_700_000_000, body, "sha1=00"));
        assert!(!verify(b"k3y", 1_700_000_000, body, "sha256=zz"));
    }
}

//! Where an image came from and what its vendor says about it: the
//! vendor's urgency ([`Criticality`], a shared word in `vocab`), the checksum it published
//! ([`HashKind`] + digest), whether the update reboots the host, its release
//! date and the catalog it was imported from.
//!
//! None of this decides *whether* an image applies (that is `entry`'s
//! business); it decides how urgent a planned update is and lets an operator
//! trace an image back to the catalog line it came from.

pub use crate::vocab::Criticality;
use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Which vendor checksum an image was verified against. SHA-256 wherever
/// the vendor publishes one; MD5 only when it is all the vendor gives (older
/// Dell catalog entries), and then the manifest says so, because MD5 proves
/// integrity against accidents, not against tampering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashKind {
    Sha256,
    Md5,
}

impl HashKind {
    pub const ALL: [HashKind; 2] = [HashKind::Sha256, HashKind::Md5];

    pub fn as_str(self) -> &'static str {
        match self {
            HashKind::Sha256 => "sha256",
            HashKind::Md5 => "md5",
        }
    }

    /// Hex digits of a digest of this kind.
    pub fn hex_len(self) -> usize {
        match self {
            HashKind::Sha256 => 64,
            HashKind::Md5 => 32,
        }
    }
}

impl fmt::Display for HashKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for HashKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HashKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown hash kind `{}`; expected sha256 or md5", s.trim()))
    }
}

impl Serialize for HashKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// `hex` is a digest of `kind`: the right number of hex digits.
pub fn check_digest(kind: HashKind, hex: &str) -> Result<String, String> {
    let h = hex.trim();
    if h.len() != kind.hex_len() || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "`{h}` is not a {kind} digest; write the {} hex digits the vendor publishes",
            kind.hex_len()
        ));
    }
    Ok(h.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_checked_by_length_and_digits() {
        assert_eq!(
            check_digest(HashKind::Md5, "83AD12B7EAB4C50099DCCFFDB1066829").unwrap(),
            "83ad12b7eab4c50099dccffdb1066829"
        );
        assert!(
            check_digest(HashKind::Sha256, "83ad12b7eab4c50099dccffdb1066829")
                .unwrap_err()
                .contains("64 hex digits")
        );
        assert!(check_digest(HashKind::Md5, &"g".repeat(32)).is_err());
    }
}

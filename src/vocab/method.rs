//! How an image reaches the BMC ([`Method`]) and when the BMC applies it
//! ([`ApplyTime`]), spelled as `manifest.toml` and Redfish spell them.

use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// How an image reaches the BMC. `None` on an entry lets the updater pick from
/// what the BMC offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `UpdateService.SimpleUpdate`: the BMC pulls the image from fwfleet's
    /// image server.
    SimpleUpdate,
    /// `multipart/form-data` POST to `MultipartHttpPushUri`.
    Multipart,
    /// The image as the body of a POST to the deprecated `HttpPushUri`.
    RawPush,
}

impl Method {
    pub const ALL: [Method; 3] = [Method::SimpleUpdate, Method::Multipart, Method::RawPush];

    /// The manifest spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::SimpleUpdate => "simple-update",
            Method::Multipart => "multipart",
            Method::RawPush => "raw-push",
        }
    }
}

/// When the BMC applies an image: the Redfish `OperationApplyTime` values an
/// update can use, spelled as Redfish spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApplyTime {
    Immediate,
    /// Staged now, applied at the next host reset (BIOS on most vendors).
    OnReset,
    /// Staged until `UpdateService.StartUpdate` (Supermicro and others).
    OnStartUpdateRequest,
}

impl ApplyTime {
    pub const ALL: [ApplyTime; 3] = [
        ApplyTime::Immediate,
        ApplyTime::OnReset,
        ApplyTime::OnStartUpdateRequest,
    ];

    /// The manifest (and Redfish) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ApplyTime::Immediate => "Immediate",
            ApplyTime::OnReset => "OnReset",
            ApplyTime::OnStartUpdateRequest => "OnStartUpdateRequest",
        }
    }
}

/// Parses one of `names`, ignoring case and treating `-` and `_` alike, so
/// `OnReset`, `onreset` and `simple_update` are all accepted.
fn parse_named<T: Copy>(s: &str, all: &[T], name: fn(T) -> &'static str) -> Option<T> {
    let squash = |t: &str| -> String {
        t.trim()
            .chars()
            .filter(|c| *c != '-' && *c != '_')
            .flat_map(char::to_lowercase)
            .collect()
    };
    let want = squash(s);
    all.iter().copied().find(|v| squash(name(*v)) == want)
}

fn expected<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> String {
    all.iter().map(|v| name(*v)).collect::<Vec<_>>().join(", ")
}

macro_rules! text_enum {
    ($t:ty, $what:literal) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse_named(s, &<$t>::ALL, <$t>::as_str).ok_or_else(|| {
                    format!(
                        concat!("unknown ", $what, " `{}`; expected one of {}"),
                        s.trim(),
                        expected(&<$t>::ALL, <$t>::as_str)
                    )
                })
            }
        }

        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        /// Read back as written (and as leniently as [`FromStr`]), so
        /// stored inventories that name methods load again.
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

text_enum!(Method, "update method");
text_enum!(ApplyTime, "apply time");

//! The vendor's urgency for an update ([`Criticality`]), as Dell catalogs,
//! the repository manifest, plans and compliance reports spell it.

use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The vendor's urgency for an update, as Dell catalogs and OpenManage
/// Enterprise name it (`Optional`, `Recommended`, `Urgent`; OME shows
/// `Urgent` as "Critical").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Criticality {
    Optional,
    Recommended,
    Urgent,
}

impl Criticality {
    pub const ALL: [Criticality; 3] = [
        Criticality::Optional,
        Criticality::Recommended,
        Criticality::Urgent,
    ];

    /// The manifest spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Criticality::Optional => "optional",
            Criticality::Recommended => "recommended",
            Criticality::Urgent => "urgent",
        }
    }
}

impl fmt::Display for Criticality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Criticality {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        // "critical" is what OpenManage Enterprise displays for Urgent.
        if t.eq_ignore_ascii_case("critical") {
            return Ok(Criticality::Urgent);
        }
        Criticality::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| {
                format!("unknown criticality `{t}`; expected one of optional, recommended, urgent")
            })
    }
}

impl Serialize for Criticality {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Criticality {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criticality_reads_vendor_and_ome_spellings() {
        assert_eq!("Urgent".parse(), Ok(Criticality::Urgent));
        assert_eq!("critical".parse(), Ok(Criticality::Urgent));
        assert_eq!(" Recommended ".parse(), Ok(Criticality::Recommended));
        assert_eq!("optional".parse(), Ok(Criticality::Optional));
        assert!("soon"
            .parse::<Criticality>()
            .unwrap_err()
            .contains("expected one of"));
        assert!(Criticality::Urgent > Criticality::Recommended);
    }
}

//! [`PciIds`]: the four PCI identifiers of a device (vendor, device,
//! subsystem vendor, subsystem device).
//!
//! Dell's iDRAC reports ComponentID `0` for devices its catalog does not key
//! by ComponentID (many NICs and drives), and the catalog then names the
//! device by these four IDs (`PCIInfo`), the inventory by
//! `Oem.Dell.DellSoftwareInventory.{VendorID, DeviceID, SubVendorID,
//! SubDeviceID}`. Two devices are the same only when all four agree: the
//! subsystem IDs are what tell a Dell-branded card from the retail one its
//! chip shares, and their firmware is not interchangeable.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Written and read as `VVVV:DDDD:SVSV:SDSD` in upper-case hex, the order
/// `lspci -nn` and Dell's `IdentityInfoValue` use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PciIds {
    pub vendor: u16,
    pub device: u16,
    pub subvendor: u16,
    pub subdevice: u16,
}

impl PciIds {
    /// From the four IDs as vendors write them (`14E4`, `0x165f`); `None`
    /// when any is missing or not a 16-bit hex number, because a partial
    /// match would be a guess.
    pub fn from_parts(
        vendor: Option<&str>,
        device: Option<&str>,
        subvendor: Option<&str>,
        subdevice: Option<&str>,
    ) -> Option<PciIds> {
        Some(PciIds {
            vendor: hex16(vendor?)?,
            device: hex16(device?)?,
            subvendor: hex16(subvendor?)?,
            subdevice: hex16(subdevice?)?,
        })
    }
}

fn hex16(s: &str) -> Option<u16> {
    let t = s.trim();
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    if t.is_empty() || t.len() > 4 {
        return None;
    }
    u16::from_str_radix(t, 16).ok()
}

impl fmt::Display for PciIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04X}:{:04X}:{:04X}:{:04X}",
            self.vendor, self.device, self.subvendor, self.subdevice
        )
    }
}

impl FromStr for PciIds {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.trim().split(':').collect();
        let bad = || {
            format!(
                "`{}` is not four PCI IDs; write VENDOR:DEVICE:SUBVENDOR:SUBDEVICE in hex, e.g. 14E4:165F:1028:08FF",
                s.trim()
            )
        };
        match parts[..] {
            [v, d, sv, sd] => {
                PciIds::from_parts(Some(v), Some(d), Some(sv), Some(sd)).ok_or_else(bad)
            }
            _ => Err(bad()),
        }
    }
}

impl Serialize for PciIds {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PciIds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_ids_round_trip_and_partial_ones_are_refused() {
        let p: PciIds = "14e4:165F:1028:08ff".parse().unwrap();
        assert_eq!(p.to_string(), "14E4:165F:1028:08FF");
        assert_eq!(
            PciIds::from_parts(Some("0x14E4"), Some("165F"), Some("1028"), Some("08FF")),
            Some(p)
        );
        assert_eq!(
            PciIds::from_parts(Some("10EC"), Some("8125"), Some(""), Some("")),
            None
        );
        assert_eq!(
            PciIds::from_parts(Some("14E4"), None, Some("1028"), Some("08FF")),
            None
        );
        assert!("14E4:165F"
            .parse::<PciIds>()
            .unwrap_err()
            .contains("four PCI IDs"));
        assert!("14E4:165F:1028:108FF".parse::<PciIds>().is_err());
    }
}

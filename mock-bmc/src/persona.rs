//! Vendor personas: the identity, URI layout and dialect of one BMC family.
//!
//! A persona is data, not behaviour spread over `if vendor == ...` branches:
//! the HTTP layer asks the persona for ids and URIs, and later parts ask it for
//! the quirks (apply times, task URIs, push flavours) it documents.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// One BMC family the mock can imitate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Persona {
    /// A plain, standards-following BMC with dotted version strings.
    Generic,
    /// OpenBMC's bmcweb.
    Openbmc,
    /// Dell iDRAC 9.
    Idrac,
    /// HPE iLO 5/6.
    Ilo,
    /// Supermicro X12/X13 (AMI-based).
    Supermicro,
    /// Lenovo XClarity Controller 2.
    Xcc,
}

/// `--profile` values: one persona, or a seeded mix of all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Every BMC of the fleet has this persona.
    Single(Persona),
    /// Each BMC draws its persona from the fleet seed.
    Mixed,
}

impl Persona {
    /// Every persona, in a stable order (the `mixed` profile draws from it).
    pub const ALL: [Persona; 6] = [
        Persona::Generic,
        Persona::Openbmc,
        Persona::Idrac,
        Persona::Ilo,
        Persona::Supermicro,
        Persona::Xcc,
    ];

    /// The name used on the command line and in `/mock/state`.
    pub fn name(self) -> &'static str {
        match self {
            Persona::Generic => "generic",
            Persona::Openbmc => "openbmc",
            Persona::Idrac => "idrac",
            Persona::Ilo => "ilo",
            Persona::Supermicro => "supermicro",
            Persona::Xcc => "xcc",
        }
    }

    /// ServiceRoot `Vendor`, which clients classify platforms by.
    pub fn vendor(self) -> &'static str {
        match self {
            Persona::Generic => "Contoso",
            Persona::Openbmc => "OpenBMC",
            Persona::Idrac => "Dell",
            Persona::Ilo => "HPE",
            Persona::Supermicro => "Supermicro",
            Persona::Xcc => "Lenovo",
        }
    }

    /// ServiceRoot `Product`.
    pub fn product(self) -> &'static str {
        match self {
            Persona::Generic => "Contoso Baseboard Management Controller",
            Persona::Openbmc => "OpenBMC bmcweb",
            Persona::Idrac => "Integrated Dell Remote Access Controller",
            Persona::Ilo => "ProLiant DL380 Gen10 Plus iLO 5",
            Persona::Supermicro => "AMI Redfish Server",
            Persona::Xcc => "Lenovo XClarity Controller 2",
        }
    }

    /// The `Id` of the one ComputerSystem.
    pub fn system_id(self) -> &'static str {
        match self {
            Persona::Generic => "1",
            Persona::Openbmc => "system",
            Persona::Idrac => "System.Embedded.1",
            Persona::Ilo | Persona::Supermicro | Persona::Xcc => "1",
        }
    }

    /// The `Id` of the one Manager (the BMC itself).
    pub fn manager_id(self) -> &'static str {
        match self {
            Persona::Generic => "BMC",
            Persona::Openbmc => "bmc",
            Persona::Idrac => "iDRAC.Embedded.1",
            Persona::Ilo | Persona::Supermicro | Persona::Xcc => "1",
        }
    }

    /// The `Id` of the one Chassis.
    pub fn chassis_id(self) -> &'static str {
        match self {
            Persona::Generic => "1",
            Persona::Openbmc => "chassis",
            Persona::Idrac => "System.Embedded.1",
            Persona::Ilo | Persona::Supermicro | Persona::Xcc => "1",
        }
    }

    /// `MultipartHttpPushUri` as the family publishes it.
    pub fn multipart_push_uri(self) -> &'static str {
        match self {
            Persona::Generic => "/redfish/v1/UpdateService/upload",
            Persona::Openbmc => "/redfish/v1/UpdateService/update-multipart",
            Persona::Idrac => "/redfish/v1/UpdateService/MultipartUpload",
            Persona::Ilo => "/redfish/v1/UpdateService/upload",
            Persona::Supermicro => "/redfish/v1/UpdateService/upload",
            Persona::Xcc => "/mfwupdate",
        }
    }

    /// The raw `HttpPushUri`, for the families that have one that takes a raw body.
    pub fn raw_push_uri(self) -> Option<&'static str> {
        match self {
            Persona::Openbmc => Some("/redfish/v1/UpdateService/update"),
            _ => None,
        }
    }

    /// Transfer protocols SimpleUpdate accepts.
    pub fn transfer_protocols(self) -> &'static [&'static str] {
        match self {
            Persona::Openbmc => &["HTTPS", "HTTP"],
            _ => &["HTTP", "HTTPS"],
        }
    }

    /// Apply times the family accepts for updates; the first is its default.
    pub fn apply_times(self) -> &'static [&'static str] {
        match self {
            Persona::Generic => &["Immediate", "OnReset", "OnStartUpdateRequest"],
            Persona::Openbmc => &["Immediate", "OnReset"],
            Persona::Idrac => &["Immediate", "OnReset"],
            Persona::Ilo => &["Immediate", "OnReset"],
            Persona::Supermicro => &["OnStartUpdateRequest"],
            Persona::Xcc => &["Immediate", "OnReset", "OnStartUpdateRequest"],
        }
    }

    /// The Redfish protocol version the family reports.
    pub fn redfish_version(self) -> &'static str {
        match self {
            Persona::Generic => "1.20.0",
            Persona::Openbmc => "1.17.0",
            Persona::Idrac => "1.18.1",
            Persona::Ilo => "1.13.0",
            Persona::Supermicro => "1.11.0",
            Persona::Xcc => "1.15.0",
        }
    }
}

/// A persona's variant: the same vendor family in an older or other shape.
///
/// Spelled `--variant NAME` with `--profile PERSONA`, `variant = "NAME"` in a
/// scenario file's `[default]` or `[hosts.NAME]`, and [`Variant`] in
/// [`crate::BmcConfig`] / [`crate::FleetConfig`]. Each belongs to one persona.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// The persona as it ships today.
    #[default]
    Standard,
    /// `ilo` only: iLO 5 before firmware 2.30, whose SimpleUpdate answers
    /// without a task (progress only in `UpdateService.Oem.Hpe`).
    Legacy,
    /// `xcc` only: the AMI-based Lenovo servers (SR635/SR655 class) that want an
    /// `OemParameters` part with a `FlashType`.
    Ami,
    /// `generic` only: an UpdateService of the v1.2 era that lists firmware
    /// under `SoftwareInventory` and has no `FirmwareInventory`.
    LegacyLayout,
    /// `ilo` only: an HPE Apollo 6500 Gen10 Plus (ProLiant XL675d) GPU server
    /// whose FirmwareInventory lists identical devices (eight GPUs, four
    /// power supplies, two NICs) told apart only by Id and
    /// `Oem.Hpe.DeviceContext`.
    Apollo,
}

impl Variant {
    pub const ALL: [Variant; 5] = [
        Variant::Standard,
        Variant::Legacy,
        Variant::Ami,
        Variant::LegacyLayout,
        Variant::Apollo,
    ];

    pub fn is_standard(&self) -> bool {
        *self == Variant::Standard
    }

    pub fn name(self) -> &'static str {
        match self {
            Variant::Standard => "standard",
            Variant::Legacy => "legacy",
            Variant::Ami => "ami",
            Variant::LegacyLayout => "legacy-layout",
            Variant::Apollo => "apollo",
        }
    }

    /// The persona this variant belongs to (`None`: every persona has `standard`).
    pub fn persona(self) -> Option<Persona> {
        match self {
            Variant::Standard => None,
            Variant::Legacy => Some(Persona::Ilo),
            Variant::Ami => Some(Persona::Xcc),
            Variant::LegacyLayout => Some(Persona::Generic),
            Variant::Apollo => Some(Persona::Ilo),
        }
    }

    /// Whether `persona` has this variant.
    pub fn fits(self, persona: Persona) -> bool {
        self.persona().is_none_or(|p| p == persona)
    }

    /// Every variant `persona` has, `standard` first.
    pub fn of(persona: Persona) -> Vec<Variant> {
        Variant::ALL
            .into_iter()
            .filter(|v| v.fits(persona))
            .collect()
    }

    /// `persona` with this variant, or an error that names what fits.
    pub fn check(self, persona: Persona) -> Result<(), String> {
        if self.fits(persona) {
            return Ok(());
        }
        let names: Vec<&str> = Variant::of(persona).iter().map(|v| v.name()).collect();
        Err(format!(
            "variant '{}' belongs to persona '{}', not '{persona}'; {persona} has: {}",
            self.name(),
            self.persona().map_or("", |p| p.name()),
            names.join(", ")
        ))
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl FromStr for Variant {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Variant::ALL
            .into_iter()
            .find(|v| v.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown variant '{s}'; expected one of standard, legacy (ilo), apollo (ilo), ami (xcc), legacy-layout (generic)")
            })
    }
}

impl fmt::Display for Persona {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl FromStr for Persona {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Persona::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown persona '{s}'; expected one of generic, openbmc, idrac, ilo, supermicro, xcc")
            })
    }
}

impl FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("mixed") {
            Ok(Profile::Mixed)
        } else {
            s.parse::<Persona>()
                .map(Profile::Single)
                .map_err(|e| format!("{e}, mixed"))
        }
    }
}

//! HPE System ROM (BIOS): `U46 v2.72 (03/10/2023)`, `A43 v2.52 (10/29/2021)`,
//! `P79 v1.45` (DMTF mockup), and the package forms `v1.42 (05/26/2021)` and
//! `1.56_11-29-2021` that carry no ROM family.
//!
//! The ROM family (`U46`, `A43`) names the platform the ROM is built for;
//! `A43 v2.80` is not a newer `U46 v2.72`, so the family must match, and a
//! string without one is not matched against one that has it. The date is
//! redundant with the version, so it never orders; it only has to agree when
//! the versions are equal, else something is off and we say unknown.

use std::cmp::Ordering;

use crate::version::atoms::{Date, Dotted};
use crate::version::compare::Judgement;
use crate::version::parsed::{Component, Role};

pub(crate) const RULE: &str =
    "the ROM family must match; the version orders; the date must agree when versions are equal";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HpeRom {
    /// Uppercased, e.g. `U46`.
    rom: Option<String>,
    version: Dotted,
    date: Option<Date>,
}

impl HpeRom {
    pub(crate) fn components(&self) -> Vec<Component> {
        let mut out = Vec::new();
        if let Some(rom) = &self.rom {
            out.push(Component::new("rom_family", rom.clone(), Role::Match));
        }
        out.push(Component::new(
            "version",
            self.version.to_string(),
            Role::Order,
        ));
        if let Some(date) = self.date {
            out.push(Component::new("date", date.to_string(), Role::Tie));
        }
        out
    }
}

/// Reads `[<family>] v<n.n…> [(MM/DD/YYYY)]` (family or date required, else
/// it is a plain dotted `v1.42`) or the package form `<n.n…>_MM-DD-YYYY`.
pub(crate) fn parse(text: &str) -> Option<HpeRom> {
    if let Some(rom) = parse_package(text) {
        return Some(rom);
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let (rom, rest) = match words.split_first() {
        Some((first, rest)) if is_rom_family(first) => (Some(first.to_ascii_uppercase()), rest),
        _ => (None, words.as_slice()),
    };
    let (version, date) = match rest {
        [v] => (v, None),
        [v, d] => (v, Some(d)),
        _ => return None,
    };
    let version = Dotted::parse(version.strip_prefix(['v', 'V'])?)?;
    let date = match date {
        Some(d) => Some(Date::parse_us_slashes(
            d.strip_prefix('(')?.strip_suffix(')')?,
        )?),
        None => None,
    };
    (rom.is_some() || date.is_some()).then_some(HpeRom { rom, version, date })
}

/// `1.56_11-29-2021` (also with `_` between the date parts).
fn parse_package(text: &str) -> Option<HpeRom> {
    let (version, date) = text.split_once('_')?;
    let mut parts = date.split(['-', '_']);
    let (m, d, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Some(HpeRom {
        rom: None,
        version: Dotted::parse_multi(version)?,
        date: Some(Date::from_digits(y, m, d)?),
    })
}

/// A letter and one to three digits: `U46`, `A43`, `P79`, `I41`.
fn is_rom_family(word: &str) -> bool {
    let mut chars = word.chars();
    let digits = (1..=3).contains(&word.len().saturating_sub(1));
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && digits
        && chars.all(|c| c.is_ascii_digit())
}

pub(crate) fn judge(a: &HpeRom, b: &HpeRom) -> Judgement {
    if a.rom != b.rom {
        let show = |r: &Option<String>| r.clone().unwrap_or_else(|| "none".to_owned());
        return Judgement::unknown(format!(
            "different ROM families ({} vs {}): ROMs for different platforms",
            show(&a.rom),
            show(&b.rom)
        ));
    }
    match a.version.cmp_padded(&b.version) {
        Ordering::Equal if a.date == b.date => {
            Judgement::same(format!("same ROM version {}", a.version))
        }
        Ordering::Equal => Judgement::unknown(format!(
            "same ROM version {} but the dates disagree",
            a.version
        )),
        ord => Judgement::ordered("ROM version", &a.version, &b.version, ord),
    }
}

//! HPE iLO firmware as Redfish reports it: `2.46 May 11 2021`.
//!
//! The version orders; the build date is redundant and only has to agree when
//! the versions are equal. The iLO generation is not in this string: when a
//! tool prints it (`iLO 5 : 3.02 Feb 22 2024`) it arrives as a label, and
//! labels must match, so iLO 5 and iLO 6 versions are never compared.

use std::cmp::Ordering;

use crate::version::atoms::{strip_v, Date, Dotted};
use crate::version::compare::Judgement;
use crate::version::parsed::{Component, Role};

pub(crate) const RULE: &str =
    "the version orders; the build date must agree when versions are equal";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ilo {
    version: Dotted,
    date: Date,
}

impl Ilo {
    pub(crate) fn components(&self) -> Vec<Component> {
        vec![
            Component::new("version", self.version.to_string(), Role::Order),
            Component::new("date", self.date.to_string(), Role::Tie),
        ]
    }
}

/// Reads `<n.n…> <Mon> <day> <year>` with an English month abbreviation.
pub(crate) fn parse(text: &str) -> Option<Ilo> {
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        [version, month, day, year] => Some(Ilo {
            version: Dotted::parse_multi(strip_v(version))?,
            date: Date::from_month_name(year, month, day)?,
        }),
        _ => None,
    }
}

pub(crate) fn judge(a: &Ilo, b: &Ilo) -> Judgement {
    match a.version.cmp_padded(&b.version) {
        Ordering::Equal if a.date == b.date => {
            Judgement::same(format!("same iLO version {}", a.version))
        }
        Ordering::Equal => Judgement::unknown(format!(
            "same iLO version {} but the build dates disagree",
            a.version
        )),
        ord => Judgement::ordered("iLO version", &a.version, &b.version, ord),
    }
}

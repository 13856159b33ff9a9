//! Parse vendor firmware version strings and judge one relative to another.
//!
//! This module is pure: no I/O, no clocks, no panics on any input. It never
//! guesses: when two strings cannot be ordered with confidence the verdict is
//! [`Verdict::Unknown`], and the planner turns that into a `version-unknown`
//! outcome instead of flashing (or downgrading) on a hunch. Naive ordering is
//! how other tools went wrong: `"4.10" < "4.2"` as strings, `5101AALB` read as
//! `5101 > 51`, `int("7.00.00.00".replace(".", ""))`.
//!
//! Module map:
//!
//! - `atoms`: the building blocks every reader shares — integers of any length
//!   kept as digit strings (so no input can overflow), dot-separated integer
//!   runs, calendar dates.
//! - `scheme`: [`VersionScheme`], the Redfish `SoftwareInventory.VersionScheme`
//!   values plus our family names, so a caller (or `--scheme`) can force a reading.
//! - `parsed`: [`ParsedVersion`], [`Family`] and [`Component`]: how a string was
//!   read, serialisable because the CLI prints it.
//! - `families/`: one reader per vendor format, each with its own `parse` and
//!   `judge`, so a format's rules live in one small file.
//! - `parse`: cleaning (control characters, placeholders such as `N/A`), labels
//!   (`iLO 5 : …`), and the order in which the readers are tried.
//! - `compare`: [`Verdict`], [`Judgement`] and the rules across families.
//! - `report`: [`CmpReport`], the result of `fwfleet version-cmp A B`.
//!
//! Architecture invariant: nothing here knows about Redfish JSON, hosts or the
//! repository; callers hand in strings and an optional scheme.

mod atoms;
mod compare;
mod families;
mod parse;
mod parsed;
mod report;
mod scheme;

#[cfg(test)]
mod tests;

pub use compare::{compare_parsed, judge, Judgement, Verdict};
pub use parse::{parse, MAX_INPUT_LEN};
pub use parsed::{Component, Family, ParsedVersion, Role};
pub use report::{cmp_report, shown, CmpReport};
pub use scheme::{ParseSchemeError, VersionScheme};

/// Judge `a` relative to `b`: [`Verdict::Newer`] means `a` is newer than `b`.
///
/// Both strings are read under the same `scheme` (the Redfish `VersionScheme`
/// of the inventory entry, or `None` to recognise the format from its shape).
pub fn compare(a: &str, b: &str, scheme: Option<VersionScheme>) -> Verdict {
    compare_parsed(&parse(a, scheme), &parse(b, scheme))
}

//! Five-field cron expressions (`minute hour day-of-month month day-of-week`)
//! matched against *local naive* times.
//!
//! We parse cron ourselves rather than take a crate because the matcher must
//! work on wall-clock times with no zone attached: the zone rules (gaps,
//! repeats) are applied afterwards, in one place (`window.rs`), where they are
//! stated and tested. A crate that resolves zones itself would hide exactly
//! the decisions we need to control.
//!
//! Syntax: `*`, numbers, names (`jan`–`dec`, `sun`–`sat`, any case), lists
//! (`1,15`), ranges (`mon-fri`), steps (`*/15`, `0-30/10`, `5/20` = `5-max/20`).
//! Day of week is 0–7 with both 0 and 7 meaning Sunday. When both day fields
//! are restricted (neither starts with `*`) a day matches if *either* does,
//! as in Vixie cron and POSIX; otherwise both must match.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike};
use std::fmt;

/// A cron expression that failed to parse: which field and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CronError {
    /// `minute`, `hour`, `day-of-month`, `month`, `day-of-week` or `expression`.
    pub field: &'static str,
    pub message: String,
}

/// A parsed cron expression. Each field is a bit set of allowed values.
#[derive(Clone, PartialEq, Eq)]
pub struct Cron {
    source: String,
    minutes: u64,
    hours: u32,
    days_of_month: u32,
    months: u16,
    days_of_week: u8,
    dom_star: bool,
    dow_star: bool,
}

impl fmt::Debug for Cron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cron({:?})", self.source)
    }
}

impl fmt::Display for Cron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// How far ahead [`Cron::next_match`] looks: `0 0 29 2 *` fires only in leap
/// years, which can be eight years apart (2096 → 2104).
const SEARCH_DAYS: i64 = 366 * 8 + 2;

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

struct FieldSpec {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    /// The first name stands for this number (`jan` = 1, `sun` = 0).
    names_from: u32,
}

const FIELDS: [FieldSpec; 5] = [
    FieldSpec {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
        names_from: 0,
    },
    FieldSpec {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
        names_from: 0,
    },
    FieldSpec {
        name: "day-of-month",
        min: 1,
        max: 31,
        names: &[],
        names_from: 0,
    },
    FieldSpec {
        name: "month",
        min: 1,
        max: 12,
        names: &MONTHS,
        names_from: 1,
    },
    FieldSpec {
        name: "day-of-week",
        min: 0,
        max: 7,
        names: &WEEKDAYS,
        names_from: 0,
    },
];

impl Cron {
    /// Parse a five-field expression. Errors name the field and say what to
    /// write instead.
    pub fn parse(source: &str) -> Result<Cron, CronError> {
        let parts: Vec<&str> = source.split_whitespace().collect();
        if parts.len() != 5 {
            return Err(CronError {
                field: "expression",
                message: format!(
                    "has {} field(s), expected 5: minute hour day-of-month month day-of-week (e.g. \"0 2 * * tue\")",
                    parts.len()
                ),
            });
        }
        let mut bits = [0u64; 5];
        for (i, (part, spec)) in parts.iter().zip(FIELDS.iter()).enumerate() {
            bits[i] = parse_field(part, spec).map_err(|message| CronError {
                field: spec.name,
                message: format!("{} field `{part}`: {message}", spec.name),
            })?;
        }
        // Day of week 7 is Sunday, like 0.
        let mut dow = bits[4];
        if dow & (1 << 7) != 0 {
            dow = (dow & !(1 << 7)) | 1;
        }
        let cron = Cron {
            source: parts.join(" "),
            minutes: bits[0],
            hours: bits[1] as u32,
            days_of_month: bits[2] as u32,
            months: bits[3] as u16,
            days_of_week: dow as u8,
            dom_star: parts[2].starts_with('*'),
            dow_star: parts[4].starts_with('*'),
        };
        let start = NaiveDate::from_ymd_opt(2000, 1, 1)
            .expect("valid date")
            .and_time(NaiveTime::MIN);
        if cron.next_match(start).is_none() {
            return Err(CronError {
                field: "day-of-month",
                message: "never matches (that day does not occur in the chosen month(s)); pick a day that exists, e.g. `28`".into(),
            });
        }
        Ok(cron)
    }

    /// The expression as written (whitespace normalised).
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the calendar day matches the day-of-month, month and
    /// day-of-week fields.
    pub fn matches_date(&self, date: NaiveDate) -> bool {
        if self.months & (1 << date.month()) == 0 {
            return false;
        }
        let dom = self.days_of_month & (1 << date.day()) != 0;
        let dow = self.days_of_week & (1 << date.weekday().num_days_from_sunday()) != 0;
        if self.dom_star || self.dow_star {
            dom && dow
        } else {
            dom || dow
        }
    }

    /// Whether a local wall-clock time matches (seconds are ignored).
    pub fn matches(&self, t: NaiveDateTime) -> bool {
        self.matches_date(t.date())
            && self.hours & (1 << t.hour()) != 0
            && self.minutes & (1 << t.minute()) != 0
    }

    /// The first matching local time at or after `from` (rounded up to the
    /// whole minute), or `None` if none within eight years.
    pub fn next_match(&self, from: NaiveDateTime) -> Option<NaiveDateTime> {
        let mut from = from.with_nanosecond(0)?;
        if from.second() != 0 {
            from = from.with_second(0)? + TimeDelta::minutes(1);
        }
        let first_day = from.date();
        for offset in 0..SEARCH_DAYS {
            let day = first_day.checked_add_signed(TimeDelta::days(offset))?;
            if !self.matches_date(day) {
                continue;
            }
            let (h0, m0) = if offset == 0 {
                (from.hour(), from.minute())
            } else {
                (0, 0)
            };
            for h in h0..24 {
                if self.hours & (1 << h) == 0 {
                    continue;
                }
                let m_from = if h == h0 { m0 } else { 0 };
                let rest = self.minutes >> m_from;
                if rest != 0 {
                    let m = m_from + rest.trailing_zeros();
                    return day.and_hms_opt(h, m, 0);
                }
            }
        }
        None
    }
}

/// One comma-separated field → bit set. Errors are plain messages; the caller
/// adds the field name.
fn parse_field(text: &str, spec: &FieldSpec) -> Result<u64, String> {
    let mut bits = 0u64;
    for item in text.split(',') {
        if item.is_empty() {
            return Err(
                "empty list item; write values separated by single commas, e.g. `1,15`".into(),
            );
        }
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s
                    .parse()
                    .map_err(|_| format!("step `{s}` is not a number; write e.g. `*/15`"))?;
                if step == 0 {
                    return Err(
                        "step 0 never advances; write a step of 1 or more, e.g. `*/15`".into(),
                    );
                }
                (r, Some(step))
            }
            None => (item, None),
        };
        let (lo, hi) = if range == "*" {
            (spec.min, spec.max)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (value(a, spec)?, value(b, spec)?);
            if a > b {
                return Err(format!(
                    "range `{range}` runs backwards; write it upwards, or wrap it as a list, e.g. `{a}-{},{}-{b}`",
                    spec.max, spec.min
                ));
            }
            (a, b)
        } else {
            let a = value(range, spec)?;
            // `5/20` means from 5 to the end of the field, every 20.
            (a, if step.is_some() { spec.max } else { a })
        };
        let step = step.unwrap_or(1);
        let mut v = lo;
        while v <= hi {
            bits |= 1 << v;
            v += step;
        }
    }
    Ok(bits)
}

fn value(text: &str, spec: &FieldSpec) -> Result<u32, String> {
    if let Some(i) = spec.names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
        return Ok(spec.names_from + i as u32);
    }
    let allowed = if spec.names.is_empty() {
        format!("{}-{}", spec.min, spec.max)
    } else {
        let last = spec.names[spec.names.len() - 1];
        format!("{}-{} or {}-{last}", spec.min, spec.max, spec.names[0])
    };
    let v: u32 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a valid {}; write {allowed}", spec.name))?;
    if v < spec.min || v > spec.max {
        return Err(format!("{v} is out of range; write {allowed}"));
    }
    Ok(v)
}

//! One maintenance window: its spec as written in the config, validation,
//! and the instants at which it opens.
//!
//! Daylight-saving rules, all applied in [`resolve_local`]:
//!
//! - cron fields match *local* wall-clock time in the window's zone;
//! - a local start that does not exist (spring-forward gap) opens at the
//!   first instant after the gap (`02:30` in Berlin's gap opens at `03:00`
//!   CEST); several starts in one gap become one window;
//! - a local start that occurs twice (fall-back overlap) opens at its first
//!   occurrence only, so the repeated hour never yields a second window;
//! - durations are elapsed time: a `4h` window is open 4 hours of real time
//!   whatever the wall clock does meanwhile.

use super::cron::Cron;
use super::duration::{parse_duration, HumanDuration};
use chrono::{DateTime, LocalResult, NaiveDateTime, Offset, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// The longest window accepted. Longer ones are typos (`4d` for `4h`) more
/// often than intent, and a bound keeps every search here short.
pub const MAX_DURATION: Duration = Duration::from_secs(31 * 86_400);

/// Host labels as the config holds them (`{ rack = "r12" }`).
pub type Labels = BTreeMap<String, String>;

/// A `[[windows]]` table as written. Every field is optional here so that a
/// missing key gets our error (which names the window) rather than serde's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowSpec {
    pub name: Option<String>,
    /// Recurring: five-field cron in `timezone`'s local time.
    pub cron: Option<String>,
    /// One-shot: an RFC 3339 instant with its offset. TOML's unquoted
    /// datetimes are accepted too.
    pub at: Option<AtText>,
    pub duration: Option<String>,
    pub timezone: Option<String>,
    /// Absent: every host. Each entry is `key=value` or a bare value.
    pub labels: Option<Vec<String>>,
}

/// The `at` key: quoted text, or a TOML datetime literal (kept as its text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtText(pub String);

impl<'de> Deserialize<'de> for AtText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Text(String),
            Toml(toml::value::Datetime),
        }
        Ok(AtText(match Either::deserialize(d)? {
            Either::Text(s) => s,
            Either::Toml(t) => t.to_string(),
        }))
    }
}

impl From<&str> for AtText {
    fn from(s: &str) -> Self {
        AtText(s.to_owned())
    }
}

/// A window that failed validation: which one, which key, what to write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct WindowError {
    /// Position in the `[[windows]]` list.
    pub index: usize,
    /// The window's name when it has one.
    pub name: Option<String>,
    /// The key at fault (`cron`, `duration`, `timezone`, …).
    pub field: &'static str,
    /// What is wrong; a second line starting `hint:` says what to write.
    pub message: String,
}

impl WindowError {
    /// The config key, `windows[2].cron`, for [`crate::config::ConfigError`].
    pub fn key(&self) -> String {
        format!("windows[{}].{}", self.index, self.field)
    }
}

impl fmt::Display for WindowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(n) => write!(f, "window '{n}' ({}): {}", self.key(), self.message),
            None => write!(f, "{}: {}", self.key(), self.message),
        }
    }
}

/// One entry of a window's `labels`: `key=value` matches that host label;
/// a bare `value` matches a host having any label with that value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelSelector {
    Pair { key: String, value: String },
    Value(String),
}

impl LabelSelector {
    fn parse(text: &str) -> Result<LabelSelector, String> {
        let text = text.trim();
        match text.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => {
                Ok(LabelSelector::Pair {
                    key: k.trim().to_owned(),
                    value: v.trim().to_owned(),
                })
            }
            Some(_) => Err(format!("`{text}` has an empty side")),
            None if text.is_empty() => Err("an entry is empty".into()),
            None => Ok(LabelSelector::Value(text.to_owned())),
        }
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        match self {
            LabelSelector::Pair { key, value } => labels.get(key) == Some(value),
            LabelSelector::Value(v) => labels.values().any(|x| x == v),
        }
    }
}

impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LabelSelector::Pair { key, value } => write!(f, "{key}={value}"),
            LabelSelector::Value(v) => f.write_str(v),
        }
    }
}

/// When a window opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recurrence {
    /// At every local time matching `cron` in `zone` (see the module doc).
    Cron { cron: Cron, zone: Tz },
    /// Once, at this instant.
    Once(DateTime<Utc>),
}

/// A validated maintenance window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    name: String,
    recurrence: Recurrence,
    duration: TimeDelta,
    labels: Option<Vec<LabelSelector>>,
}

/// One opening of one window: `start <= t < end` is inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl WindowSpec {
    /// Validate the window at position `index` of `[[windows]]`.
    pub fn validate(&self, index: usize) -> Result<Window, WindowError> {
        let err = |field: &'static str, message: String| WindowError {
            index,
            name: self.name.clone(),
            field,
            message,
        };
        let name =
            match self.name.as_deref().map(str::trim) {
                Some(n) if !n.is_empty() => n.to_owned(),
                Some(_) => {
                    return Err(err(
                        "name",
                        "is empty\n  hint: give every window a unique name, e.g. name = \"rack-a\""
                            .into(),
                    ))
                }
                None => return Err(err(
                    "name",
                    "is missing\n  hint: give every window a unique name, e.g. name = \"rack-a\""
                        .into(),
                )),
            };
        let duration = match &self.duration {
            None => return Err(err(
                "duration",
                "is missing\n  hint: say how long the window stays open, e.g. duration = \"4h\""
                    .into(),
            )),
            Some(text) => {
                let d = parse_duration(text).map_err(|m| err("duration", m))?;
                if d.is_zero() {
                    return Err(err(
                        "duration",
                        format!("`{text}` is zero, so the window would never be open\n  hint: write a positive duration, e.g. duration = \"4h\""),
                    ));
                }
                if d > MAX_DURATION {
                    return Err(err(
                        "duration",
                        format!("`{text}` is longer than {}, which is not a maintenance window\n  hint: write a shorter duration, or a cron that opens more often", HumanDuration(MAX_DURATION)),
                    ));
                }
                TimeDelta::from_std(d)
                    .map_err(|_| err("duration", format!("`{text}` is too large")))?
            }
        };
        let recurrence = match (&self.cron, &self.at) {
            (Some(_), Some(_)) => {
                return Err(err(
                    "at",
                    "is set together with cron\n  hint: keep cron for a recurring window or at for a one-shot window, not both".into(),
                ))
            }
            (None, None) => {
                return Err(err(
                    "cron",
                    "is missing (and so is at)\n  hint: write cron = \"0 2 * * tue\" with timezone = \"Europe/Berlin\" for a recurring window, or at = \"2025-03-30T01:00:00Z\" for a one-shot window".into(),
                ))
            }
            (Some(text), None) => {
                let cron = Cron::parse(text).map_err(|e| {
                    err(
                        "cron",
                        format!("`{text}`: {e}\n  hint: five fields, minute hour day-of-month month day-of-week, in the window's local time, e.g. cron = \"0 2 * * tue\""),
                    )
                })?;
                let zone = match &self.timezone {
                    None => return Err(err(
                        "timezone",
                        "is missing; cron times are local wall-clock times, so the zone must be explicit\n  hint: write an IANA zone, e.g. timezone = \"Europe/Berlin\" or timezone = \"UTC\"".into(),
                    )),
                    Some(z) => parse_zone(z).map_err(|m| err("timezone", m))?,
                };
                Recurrence::Cron { cron, zone }
            }
            (None, Some(AtText(text))) => {
                if self.timezone.is_some() {
                    return Err(err(
                        "timezone",
                        "is set for a one-shot window, whose at instant carries its own offset\n  hint: remove timezone, and write the offset in at, e.g. at = \"2025-03-30T03:00:00+02:00\"".into(),
                    ));
                }
                let at = DateTime::parse_from_rfc3339(text).map_err(|e| {
                    err(
                        "at",
                        format!("`{text}` is not an RFC 3339 instant ({e})\n  hint: write a date, time and offset, e.g. at = \"2025-03-30T01:00:00Z\" or \"2025-03-30T03:00:00+02:00\""),
                    )
                })?;
                Recurrence::Once(at.with_timezone(&Utc))
            }
        };
        let labels = match &self.labels {
            None => None,
            Some(list) if list.is_empty() => {
                return Err(err(
                    "labels",
                    "is an empty list, which would match no host\n  hint: remove labels to apply the window to every host, or list labels, e.g. labels = [\"rack=a\"]".into(),
                ))
            }
            Some(list) => Some(
                list.iter()
                    .map(|l| LabelSelector::parse(l))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|m| {
                        err(
                            "labels",
                            format!("{m}\n  hint: write `key=value` (matches the host label key with that value) or a bare value (matches any host label with that value), e.g. labels = [\"rack=a\"]"),
                        )
                    })?,
            ),
        };
        Ok(Window {
            name,
            recurrence,
            duration,
            labels,
        })
    }
}

fn parse_zone(text: &str) -> Result<Tz, String> {
    if let Ok(z) = text.parse::<Tz>() {
        return Ok(z);
    }
    let suggestion = chrono_tz::TZ_VARIANTS
        .iter()
        .find(|z| z.name().eq_ignore_ascii_case(text.trim()))
        .map(|z| format!("\n  hint: did you mean timezone = \"{}\"?", z.name()))
        .unwrap_or_else(|| {
            "\n  hint: write an IANA zone name, e.g. \"Europe/Berlin\", \"America/New_York\" or \"UTC\"".into()
        });
    Err(format!("`{text}` is not a known time zone{suggestion}"))
}

impl Window {
    /// A recurring window, for callers that build windows in code.
    pub fn recurring(
        name: &str,
        cron: &str,
        duration: &str,
        timezone: &str,
    ) -> Result<Window, WindowError> {
        WindowSpec {
            name: Some(name.into()),
            cron: Some(cron.into()),
            duration: Some(duration.into()),
            timezone: Some(timezone.into()),
            ..WindowSpec::default()
        }
        .validate(0)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn recurrence(&self) -> &Recurrence {
        &self.recurrence
    }

    /// How long each opening lasts (elapsed time).
    pub fn duration(&self) -> Duration {
        self.duration.to_std().unwrap_or_default()
    }

    pub(crate) fn delta(&self) -> TimeDelta {
        self.duration
    }

    /// The label selectors, `None` when the window applies to every host.
    pub fn labels(&self) -> Option<&[LabelSelector]> {
        self.labels.as_deref()
    }

    /// Restrict the window to hosts matching any of these selectors.
    pub fn with_labels(mut self, labels: &[&str]) -> Result<Window, String> {
        self.labels = Some(
            labels
                .iter()
                .map(|l| LabelSelector::parse(l))
                .collect::<Result<_, _>>()?,
        );
        Ok(self)
    }

    /// Whether the window applies to a host with these labels: no selectors,
    /// or any selector matches.
    pub fn applies_to(&self, labels: &Labels) -> bool {
        match &self.labels {
            None => true,
            Some(sel) => sel.iter().any(|s| s.matches(labels)),
        }
    }

    /// The first opening at or after `now` (an opening at exactly `now` counts).
    pub fn next_start(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.starts_from(now).next()
    }

    /// Openings that start at or after `from`, in order, each once.
    pub fn starts_from(&self, from: DateTime<Utc>) -> Starts<'_> {
        let cursor = match &self.recurrence {
            Recurrence::Cron { zone, .. } => {
                // The local time one second before `from` can be later than at
                // `from` (just after a fall-back) or earlier (just after a gap,
                // whose starts open at exactly the gap's end): start at the
                // earlier of the two so that no start >= `from` is skipped.
                let a = from.with_timezone(zone).naive_local();
                let b = (from - TimeDelta::seconds(1))
                    .with_timezone(zone)
                    .naive_local();
                a.min(b).with_second(0).and_then(|t| t.with_nanosecond(0))
            }
            Recurrence::Once(_) => None,
        };
        Starts {
            window: self,
            from,
            cursor,
            last: None,
            done: false,
        }
    }

    /// The opening that contains `now` (`start <= now < end`); when several
    /// overlap, the one that closes last.
    pub fn open_at(&self, now: DateTime<Utc>) -> Option<Occurrence> {
        let mut found = None;
        for start in self.starts_from(now - self.duration) {
            if start > now {
                break;
            }
            if start + self.duration > now {
                found = Some(Occurrence {
                    start,
                    end: start + self.duration,
                });
            }
        }
        found
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.recurrence {
            Recurrence::Cron { cron, zone } => write!(f, "{} (cron \"{cron}\" {zone}", self.name)?,
            Recurrence::Once(at) => write!(f, "{} (at {}", self.name, at.to_rfc3339())?,
        }
        write!(
            f,
            ", {})",
            HumanDuration(self.duration.to_std().unwrap_or_default())
        )
    }
}

/// Iterator over a window's opening instants; see [`Window::starts_from`].
#[derive(Debug, Clone)]
pub struct Starts<'a> {
    window: &'a Window,
    from: DateTime<Utc>,
    /// Next local time to try (recurring windows only).
    cursor: Option<NaiveDateTime>,
    last: Option<DateTime<Utc>>,
    done: bool,
}

impl Iterator for Starts<'_> {
    type Item = DateTime<Utc>;

    fn next(&mut self) -> Option<DateTime<Utc>> {
        if self.done {
            return None;
        }
        match &self.window.recurrence {
            Recurrence::Once(at) => {
                self.done = true;
                (*at >= self.from).then_some(*at)
            }
            Recurrence::Cron { cron, zone } => loop {
                let local = self.cursor.and_then(|c| cron.next_match(c));
                let Some(local) = local else {
                    self.done = true;
                    return None;
                };
                self.cursor = Some(local + TimeDelta::minutes(1));
                let Some(start) = resolve_local(zone, local) else {
                    continue;
                };
                // Local times map to instants in order (gaps collapse onto one
                // instant), so skipping earlier and repeated instants is enough.
                if start < self.from || Some(start) == self.last {
                    continue;
                }
                self.last = Some(start);
                return Some(start);
            },
        }
    }
}

/// The instant a local start time stands for, under the DST rules in the
/// module doc: the time itself, its first occurrence when it repeats, or the
/// end of the gap when it does not exist.
pub fn resolve_local(zone: &Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Some(a.min(b).with_timezone(&Utc)),
        LocalResult::None => gap_end(zone, local),
    }
}

/// The first instant after the gap that swallows `local`. Transitions in
/// tzdata may fall on any second (old LMT offsets), so the minute found by
/// walking forward is refined to the second.
fn gap_end(zone: &Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    // The longest gap on record is a whole day (Pacific/Apia, 2011-12-30).
    let mut probe = local;
    let first_valid = loop {
        probe += TimeDelta::minutes(1);
        if probe - local > TimeDelta::hours(48) {
            return None;
        }
        match zone.from_local_datetime(&probe) {
            LocalResult::Single(t) => break t.with_timezone(&Utc),
            LocalResult::Ambiguous(a, b) => break a.min(b).with_timezone(&Utc),
            LocalResult::None => {}
        }
    };
    // The transition lies within the minute before `first_valid`: the local
    // time a minute earlier was still in the gap.
    let after = zone
        .offset_from_utc_datetime(&first_valid.naive_utc())
        .fix();
    (0..60)
        .rev()
        .map(|s| first_valid - TimeDelta::seconds(s))
        .find(|t| zone.offset_from_utc_datetime(&t.naive_utc()).fix() == after)
}

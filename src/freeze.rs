//! Change freezes (`[[freezes]]`): spans of time in which no run starts on
//! the hosts they cover (issue 21 item 2).
//!
//! A freeze is the operator's calendar (year-end, a launch, a datacenter
//! move), not a property of a host: unlike a hold it has a start and an end
//! and covers every component. `apply` refuses a run that would touch a
//! frozen host and names the freeze; the service leaves frozen hosts out of
//! a window's run and refuses an API run on them. The operator may override
//! a freeze for one run, explicitly and with a reason that the run records.
//!
//! Pure: callers ask [`Freezes::covering`] with the time they care about.

use crate::schedule::{resolve_local, AtText};
use crate::select::{HostSelector, Source};
use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// One `[[freezes]]` table as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreezeSpec {
    pub name: Option<String>,
    /// RFC 3339 with its offset, or a local date and time with `zone`.
    pub start: AtText,
    pub end: AtText,
    /// IANA zone for local `start`/`end` (`Europe/Berlin`).
    pub zone: Option<String>,
    pub reason: String,
    /// Names or globs; with `selector` absent too, every host.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Labels, the grammar of `--selector` (`rack=r12,!canary`).
    pub selector: Option<String>,
}

/// A freeze in force from `start` (inclusive) to `end` (exclusive).
#[derive(Debug, Clone)]
pub struct Freeze {
    /// 1-based position among the config's `[[freezes]]`.
    pub index: usize,
    pub name: Option<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub zone: Option<Tz>,
    pub reason: String,
    pub hosts: HostSelector,
}

/// Why a `[[freezes]]` table cannot be used: the key and what to write.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{key}: {message}")]
pub struct FreezeError {
    pub key: &'static str,
    pub message: String,
}

fn err(key: &'static str, message: impl Into<String>) -> FreezeError {
    FreezeError {
        key,
        message: message.into(),
    }
}

impl FreezeSpec {
    /// The freeze this table says; `index` is its 1-based position.
    pub fn parse(&self, index: usize) -> Result<Freeze, FreezeError> {
        if self.reason.trim().is_empty() {
            return Err(err(
                "reason",
                "is empty; say why (it is shown to whoever's run the freeze refuses)",
            ));
        }
        let zone = self
            .zone
            .as_deref()
            .map(|z| {
                z.parse::<Tz>().map_err(|_| {
                    err(
                        "zone",
                        format!("`{z}` is not a known time zone\n  hint: write an IANA zone name, e.g. \"Europe/Berlin\" or \"UTC\""),
                    )
                })
            })
            .transpose()?;
        let start = instant("start", &self.start, zone.as_ref())?;
        let end = instant("end", &self.end, zone.as_ref())?;
        if end <= start {
            return Err(err(
                "end",
                format!(
                    "{} is not after start {}",
                    end.to_rfc3339(),
                    start.to_rfc3339()
                ),
            ));
        }
        let hosts = if self.hosts.is_empty() && self.selector.is_none() {
            vec!["*".to_string()]
        } else {
            self.hosts.clone()
        };
        let hosts = HostSelector::parse(&hosts, self.selector.as_deref(), &[], Source::Cli)
            .map_err(|e| err("hosts", e.to_string()))?;
        Ok(Freeze {
            index,
            name: self.name.clone(),
            start,
            end,
            zone,
            reason: self.reason.clone(),
            hosts,
        })
    }
}

/// `text` as an instant: with `zone`, a local date-time in it; without,
/// RFC 3339 with an offset.
fn instant(
    key: &'static str,
    text: &AtText,
    zone: Option<&Tz>,
) -> Result<DateTime<Utc>, FreezeError> {
    let text = text.0.trim();
    match zone {
        None => DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| {
                err(
                    key,
                    format!("`{text}` is not an RFC 3339 instant ({e})\n  hint: write the offset, e.g. \"2026-12-20T00:00:00+01:00\", or a local time with zone = \"Europe/Berlin\""),
                )
            }),
        Some(z) => {
            let local = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
                .or_else(|| {
                    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                        .ok()
                        .and_then(|d| d.and_hms_opt(0, 0, 0))
                });
            let Some(local) = local else {
                return Err(err(
                    key,
                    format!("`{text}` is not a local date and time\n  hint: with zone, write e.g. \"2026-12-20T00:00\" or \"2026-12-20\" (no offset)"),
                ));
            };
            resolve_local(z, local)
                .ok_or_else(|| err(key, format!("`{text}` does not exist in {z}")))
        }
    }
}

impl Freeze {
    /// Whether the freeze covers `host` at `at`.
    pub fn covers(&self, host: &str, labels: &BTreeMap<String, String>, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end && self.hosts.matches(host, labels)
    }
}

impl fmt::Display for Freeze {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "freeze #{}", self.index)?;
        if let Some(n) = &self.name {
            write!(f, " \"{n}\"")?;
        }
        let show = |t: DateTime<Utc>| match &self.zone {
            Some(z) => t.with_timezone(z).format("%Y-%m-%d %H:%M %Z").to_string(),
            None => t.to_rfc3339(),
        };
        write!(
            f,
            " ({} to {}): {}",
            show(self.start),
            show(self.end),
            self.reason
        )
    }
}

/// Every freeze of the config.
#[derive(Debug, Clone, Default)]
pub struct Freezes(pub Vec<Freeze>);

impl Freezes {
    /// The first freeze covering `host` at `at`.
    pub fn covering(
        &self,
        host: &str,
        labels: &BTreeMap<String, String>,
        at: DateTime<Utc>,
    ) -> Option<&Freeze> {
        self.0.iter().find(|f| f.covers(host, labels, at))
    }

    /// The freeze covering `host` that is in force at `now` or begins
    /// after it, the one that begins first: where the host's window closes.
    pub fn next_for(
        &self,
        host: &str,
        labels: &BTreeMap<String, String>,
        now: DateTime<Utc>,
    ) -> Option<&Freeze> {
        self.0
            .iter()
            .filter(|f| f.end > now && f.hosts.matches(host, labels))
            .min_by_key(|f| f.start)
    }

    /// The hosts of `hosts` (name, labels) a freeze covers at `at`, by
    /// freeze: what a refusal names.
    pub fn frozen<'a>(
        &self,
        hosts: impl IntoIterator<Item = (&'a str, &'a BTreeMap<String, String>)>,
        at: DateTime<Utc>,
    ) -> Frozen {
        let mut by: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for (name, labels) in hosts {
            if let Some(f) = self.covering(name, labels, at) {
                by.entry(f.index).or_default().push(name.to_string());
            }
        }
        Frozen(
            by.into_iter()
                .map(|(i, hosts)| (self.0[i - 1].clone(), hosts))
                .collect(),
        )
    }
}

/// Hosts a freeze covers, by freeze; empty when none is frozen.
#[derive(Debug, Clone, Default)]
pub struct Frozen(pub Vec<(Freeze, Vec<String>)>);

impl Frozen {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every frozen host.
    pub fn hosts(&self) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .flat_map(|(_, h)| h.iter().map(String::as_str))
    }
}

impl fmt::Display for Frozen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 5;
        for (i, (freeze, hosts)) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            let more = hosts.len().saturating_sub(SHOWN);
            write!(
                f,
                "{} host(s) in {freeze}: {}{}",
                hosts.len(),
                hosts
                    .iter()
                    .take(SHOWN)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(start: &str, end: &str, zone: Option<&str>) -> FreezeSpec {
        FreezeSpec {
            name: Some("year-end".into()),
            start: AtText(start.into()),
            end: AtText(end.into()),
            zone: zone.map(str::to_string),
            reason: "year-end change freeze".into(),
            hosts: Vec::new(),
            selector: None,
        }
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_freeze_covers_every_host_from_its_start_until_its_end_in_its_zone() {
        let f = spec("2026-12-20", "2027-01-04T06:00", Some("Europe/Berlin"))
            .parse(1)
            .unwrap();
        assert_eq!(f.start, t("2026-12-19T23:00:00Z"));
        assert_eq!(f.end, t("2027-01-04T05:00:00Z"));
        let none = BTreeMap::new();
        assert!(!f.covers("db-1", &none, t("2026-12-19T22:59:59Z")));
        assert!(f.covers("db-1", &none, t("2026-12-19T23:00:00Z")));
        assert!(f.covers("any", &none, t("2027-01-04T04:59:59Z")));
        assert!(!f.covers("any", &none, t("2027-01-04T05:00:00Z")));
        let text = f.to_string();
        assert!(
            text.starts_with(
                "freeze #1 \"year-end\" (2026-12-20 00:00 CET to 2027-01-04 06:00 CET)"
            ) && text.ends_with("year-end change freeze"),
            "{text}"
        );
    }

    #[test]
    fn selectors_limit_a_freeze_and_frozen_names_hosts_by_freeze() {
        let mut s = spec("2026-12-20T00:00:00Z", "2026-12-21T00:00:00Z", None);
        s.selector = Some("rack=r12".into());
        let f = Freezes(vec![s.parse(1).unwrap()]);
        let r12: BTreeMap<String, String> = [("rack".into(), "r12".into())].into();
        let r13: BTreeMap<String, String> = [("rack".into(), "r13".into())].into();
        let at = t("2026-12-20T12:00:00Z");
        let frozen = f.frozen([("a", &r12), ("b", &r13), ("c", &r12)], at);
        assert_eq!(frozen.hosts().collect::<Vec<_>>(), ["a", "c"]);
        assert!(
            frozen.to_string().starts_with("2 host(s) in freeze #1"),
            "{frozen}"
        );
        assert!(f.frozen([("b", &r13)], at).is_empty());
    }

    #[test]
    fn bad_freezes_name_the_key_and_what_to_write() {
        let cases = [
            (spec("2026-12-20", "2026-12-21", None), "start", "RFC 3339"),
            (
                spec("2026-12-20T00:00:00Z", "2026-12-21", Some("Mars/Olympus")),
                "zone",
                "IANA",
            ),
            (
                spec("2026-12-21T00:00:00Z", "2026-12-20T00:00:00Z", None),
                "end",
                "is not after start",
            ),
            (
                spec("2026-12-20T00:00:00+01:00", "2026-12-21", Some("UTC")),
                "start",
                "no offset",
            ),
        ];
        for (s, key, text) in cases {
            let e = s.parse(1).unwrap_err();
            assert_eq!(e.key, key, "{e}");
            assert!(e.to_string().contains(text), "{e}");
        }
        let mut s = spec("2026-12-20T00:00:00Z", "2026-12-21T00:00:00Z", None);
        s.reason = " ".into();
        assert_eq!(s.parse(1).unwrap_err().key, "reason");
    }
}

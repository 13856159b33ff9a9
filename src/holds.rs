//! Holds and pins: hosts or components an operator keeps out of updates.
//!
//! A **hold** covers hosts (names or globs, and/or a label selector, the
//! grammar of [`crate::select`]) and optionally only some component kinds:
//! nothing it covers is updated, and the plan says `held` with the hold's
//! reason. A **pin** is a hold with a `version`: the components it covers may
//! be updated up to that version, never past it (a target the version code
//! cannot order against the pin is held too: guessing could move it past).
//! Both come from the config's `[[holds]]` and from `fwfleet hold add`
//! (stored, audited); either may expire (`until`).
//!
//! Pure: the planner asks [`Holds::holding`] while planning, the executor at
//! every step boundary (a hold added mid-run skips the host's next step).

use crate::select::{HostSelector, Source};
use crate::store::StoredHold;
use crate::vocab::Kind;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Where a hold was written, for the plan's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldSource {
    /// The n-th (1-based) `[[holds]]` table of the config.
    Config(usize),
    /// `fwfleet hold add`: its id and who added it.
    Stored { id: i64, by: String },
}

/// One hold or pin.
#[derive(Debug, Clone)]
pub struct Hold {
    pub source: HoldSource,
    pub hosts: HostSelector,
    /// Empty: every component of the hosts.
    pub kinds: Vec<Kind>,
    /// A pin: not moved past this version.
    pub version: Option<String>,
    pub reason: String,
    pub until: Option<DateTime<Utc>>,
}

/// Why a hold could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HoldError(pub String);

impl Hold {
    /// A hold from its parts as written (config or command line); `source`
    /// names where, for errors.
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        source: HoldSource,
        hosts: &[String],
        selector: Option<&str>,
        kinds: &[String],
        version: Option<&str>,
        reason: &str,
        until: Option<&str>,
        select_source: Source,
    ) -> Result<Hold, HoldError> {
        if hosts.is_empty() && selector.is_none() {
            return Err(HoldError(
                "a hold needs hosts or a selector (hosts = [\"*\"] holds every host)".into(),
            ));
        }
        if reason.trim().is_empty() {
            return Err(HoldError(
                "a hold needs a reason: the plan shows it to whoever wonders why a host is not updated".into(),
            ));
        }
        let sel = HostSelector::parse(hosts, selector, &[], select_source)
            .map_err(|e| HoldError(e.to_string()))?;
        let kinds = kinds
            .iter()
            .flat_map(|k| k.split(','))
            .filter(|k| !k.trim().is_empty())
            .map(|k| {
                k.trim()
                    .parse::<Kind>()
                    .map_err(|e| HoldError(format!("kind '{k}': {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let until = until
            .map(|u| {
                DateTime::parse_from_rfc3339(u)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|e| {
                        HoldError(format!(
                            "until '{u}': {e}; write RFC 3339, e.g. 2026-12-31T00:00:00Z"
                        ))
                    })
            })
            .transpose()?;
        if version.is_some_and(|v| v.trim().is_empty()) {
            return Err(HoldError("a pin's version is empty".into()));
        }
        Ok(Hold {
            source,
            hosts: sel,
            kinds,
            version: version.map(str::to_string),
            reason: reason.to_string(),
            until,
        })
    }

    /// A hold stored by `fwfleet hold add`.
    pub fn from_stored(h: &StoredHold) -> Result<Hold, HoldError> {
        let split = |s: &Option<String>| -> Vec<String> {
            s.iter()
                .flat_map(|s| s.split(','))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        Hold::parse(
            HoldSource::Stored {
                id: h.id,
                by: h.created_by.clone(),
            },
            &split(&h.hosts),
            h.selector.as_deref(),
            &split(&h.kinds),
            h.version.as_deref(),
            &h.reason,
            h.until.as_deref(),
            Source::Cli,
        )
        .map_err(|e| HoldError(format!("stored hold {}: {e}", h.id)))
    }

    /// The hold's name in a plan or step message.
    pub fn describe(&self) -> String {
        let what = if self.version.is_some() {
            "pin"
        } else {
            "hold"
        };
        let r#where = match &self.source {
            HoldSource::Config(n) => format!("{what} [[holds]] #{n} of the config"),
            HoldSource::Stored { id, by } => format!("{what} {id} (fwfleet hold add by {by})"),
        };
        let until = self
            .until
            .map(|u| format!(", until {}", u.to_rfc3339()))
            .unwrap_or_default();
        format!("{where}: {}{until}", self.reason)
    }

    fn covers(
        &self,
        host: &str,
        labels: &BTreeMap<String, String>,
        kind: Kind,
        now: DateTime<Utc>,
    ) -> bool {
        self.until.is_none_or(|u| now < u)
            && (self.kinds.is_empty() || self.kinds.contains(&kind))
            && self.hosts.matches(host, labels)
    }

    /// Whether moving a component to `to` is held: always for a hold; for a
    /// pin, when `to` is past (or not comparable with) the pinned version.
    fn stops(&self, to: Option<&str>) -> bool {
        let (Some(pin), Some(to)) = (&self.version, to) else {
            return true;
        };
        !matches!(
            crate::version::compare(to, pin, None),
            crate::version::Verdict::Older | crate::version::Verdict::Same
        )
    }
}

/// Every hold in force: the config's and the stored ones.
#[derive(Debug, Clone, Default)]
pub struct Holds {
    config: Vec<Hold>,
    stored: Vec<Hold>,
}

impl Holds {
    /// The config's holds (stored ones come with [`Holds::set_stored`]).
    pub fn new(config: Vec<Hold>) -> Holds {
        Holds {
            config,
            stored: Vec::new(),
        }
    }

    /// Replace the stored holds with `rows` (a row that does not read is
    /// logged and, to be safe, holds nothing less: it is skipped only when it
    /// cannot name what it holds).
    pub fn set_stored(&mut self, rows: &[StoredHold]) {
        self.stored = rows
            .iter()
            .filter_map(|r| match Hold::from_stored(r) {
                Ok(h) => Some(h),
                Err(e) => {
                    tracing::warn!("{e}; remove it with `fwfleet hold remove {}`", r.id);
                    None
                }
            })
            .collect();
    }

    pub fn is_empty(&self) -> bool {
        self.config.is_empty() && self.stored.is_empty()
    }

    /// Every hold, config first.
    pub fn all(&self) -> impl Iterator<Item = &Hold> {
        self.config.iter().chain(&self.stored)
    }

    /// The first hold that keeps the `kind` component of `host` from moving
    /// to `to` (`None`: the question is the whole host), described.
    pub fn holding(
        &self,
        host: &str,
        labels: &BTreeMap<String, String>,
        kind: Kind,
        to: Option<&str>,
        now: DateTime<Utc>,
    ) -> Option<String> {
        self.all()
            .find(|h| h.covers(host, labels, kind, now) && h.stops(to))
            .map(Hold::describe)
    }
}

/// Mark what `holds` cover in `plan`: every row that would flash
/// (`upgrade`, `downgrade`) and that a hold or pin stops becomes `held`, its
/// reason naming the hold, and so does every later hop of the same
/// component (a path cannot go on past a held hop). `labels_of` gives a
/// host's labels from the config.
pub fn apply_to_plan<'a>(
    plan: &mut crate::planner::Plan,
    holds: &Holds,
    labels_of: impl Fn(&str) -> Option<&'a BTreeMap<String, String>>,
    now: DateTime<Utc>,
) {
    if holds.is_empty() {
        return;
    }
    let none = BTreeMap::new();
    for host in &mut plan.hosts {
        let labels = labels_of(&host.name).unwrap_or(&none);
        let mut stopped: Vec<(String, String)> = Vec::new();
        for step in &mut host.steps {
            if !step.action.is_change() {
                continue;
            }
            let earlier = stopped.iter().find(|(id, _)| *id == step.identity);
            let why = match earlier {
                Some((_, why)) => Some(format!("{why} (an earlier hop is held)")),
                None => holds.holding(&host.name, labels, step.kind, step.to.as_deref(), now),
            };
            if let Some(why) = why {
                step.reason = format!("held by {why}; was: {} ({})", step.action, step.reason);
                step.action = crate::planner::Action::Held;
                step.exec = None;
                if earlier.is_none() {
                    stopped.push((step.identity.clone(), why));
                }
            }
        }
    }
    plan.summary = crate::planner::Summary::of(&plan.hosts);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hold(hosts: &[&str], kinds: &[&str], version: Option<&str>) -> Hold {
        Hold::parse(
            HoldSource::Config(1),
            &hosts.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            None,
            &kinds.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            version,
            "change freeze",
            None,
            Source::Cli,
        )
        .unwrap()
    }

    #[test]
    fn a_hold_covers_its_hosts_and_kinds_only() {
        let h = Holds::new(vec![hold(&["db-*"], &["bios"], None)]);
        let none = BTreeMap::new();
        let now = Utc::now();
        assert!(h
            .holding("db-1", &none, Kind::Bios, Some("2.0"), now)
            .is_some());
        assert!(h
            .holding("db-1", &none, Kind::Bmc, Some("2.0"), now)
            .is_none());
        assert!(h
            .holding("web-1", &none, Kind::Bios, Some("2.0"), now)
            .is_none());
        let why = h.holding("db-1", &none, Kind::Bios, None, now).unwrap();
        assert!(why.contains("change freeze") && why.contains("#1"), "{why}");
    }

    #[test]
    fn a_pin_lets_a_component_reach_its_version_and_not_past_it() {
        let h = Holds::new(vec![hold(&["*"], &["bmc"], Some("1.5.0"))]);
        let none = BTreeMap::new();
        let now = Utc::now();
        assert!(h
            .holding("a", &none, Kind::Bmc, Some("1.4.0"), now)
            .is_none());
        assert!(h
            .holding("a", &none, Kind::Bmc, Some("1.5.0"), now)
            .is_none());
        assert!(h
            .holding("a", &none, Kind::Bmc, Some("1.6.0"), now)
            .is_some());
        assert!(h
            .holding("a", &none, Kind::Bmc, Some("junk!"), now)
            .is_some());
    }

    #[test]
    fn an_expired_hold_holds_nothing() {
        let mut x = hold(&["*"], &[], None);
        x.until = Some(Utc::now() - chrono::Duration::seconds(1));
        let h = Holds::new(vec![x]);
        assert!(h
            .holding("a", &BTreeMap::new(), Kind::Bios, None, Utc::now())
            .is_none());
    }

    #[test]
    fn a_hold_without_hosts_or_reason_is_refused_with_what_to_write() {
        let e = Hold::parse(
            HoldSource::Config(2),
            &[],
            None,
            &[],
            None,
            "x",
            None,
            Source::Cli,
        )
        .unwrap_err();
        assert!(e.0.contains("hosts or a selector"), "{e}");
        let e = Hold::parse(
            HoldSource::Config(2),
            &["a".into()],
            None,
            &[],
            None,
            " ",
            None,
            Source::Cli,
        )
        .unwrap_err();
        assert!(e.0.contains("reason"), "{e}");
    }
}

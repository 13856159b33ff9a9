//! Rollout phases and gates (issue 21 item 1): `[[rollout.phases]]` and the
//! `[rollout]` keys that choose and order cohorts (`seed`, `spread_by`,
//! `order_by`), from the file as written to the validated [`PhasePolicy`].
//!
//! ```toml
//! [rollout]
//! seed = 42              # absent: drawn per run and recorded in it
//! spread_by = "rack"     # consecutive hosts of a phase from different racks
//! order_by = "cluster"   # finish one cluster before the next
//!
//! [[rollout.phases]]
//! name = "canary"
//! hosts = 1              # a count, a percent ("5%") or "rest" (last phase)
//! max_failures = 0       # gate: more failed hosts in the phase halt the rollout
//! soak = "10m"           # wait after the phase before the next starts
//! approve = true         # an operator approves before the next phase
//! ```
//!
//! No phases: the rollout is today's canaries and waves, unchanged.

use serde::Deserialize;
use std::time::Duration;

/// How many hosts a phase takes from those not yet in a phase.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PhaseHosts {
    /// At most this many.
    Count(usize),
    /// This percent of the rollout's hosts (rounded up, at least 1).
    Percent(f64),
    /// Every host left (the last phase).
    Rest,
}

impl std::fmt::Display for PhaseHosts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PhaseHosts::Count(n) => write!(f, "{n}"),
            PhaseHosts::Percent(p) => write!(f, "{p}%"),
            PhaseHosts::Rest => f.write_str("rest"),
        }
    }
}

/// One validated `[[rollout.phases]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseSpec {
    pub name: String,
    pub hosts: PhaseHosts,
    /// Gate: more failed hosts than this in the phase halt the rollout.
    pub max_failures: Option<usize>,
    /// Gate: failed hosts so far over the hosts of this and the earlier
    /// phases above this share (0.0–1.0) halt the rollout. A phase with
    /// neither gate uses `[rollout] failure_budget` here.
    pub max_failure_rate: Option<f64>,
    /// Wait this long after the phase before the next starts.
    pub soak: Duration,
    /// An operator approves (`fwfleet run approve ID`) before the next phase.
    pub approve: bool,
}

/// The phases and how cohorts are chosen; `phases` empty: canaries and waves.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PhasePolicy {
    pub phases: Vec<PhaseSpec>,
    /// The cohorts' shuffle; `None`: drawn per run and recorded in it.
    pub seed: Option<u64>,
    /// Interleave a phase's hosts by this label's value (`rack`).
    pub spread_by: Option<String>,
    /// Finish every host of one value of this label (`cluster`) before the next.
    pub order_by: Option<String>,
}

/// `hosts = 1`, `hosts = "5%"` or `hosts = "rest"` as written.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum RawHosts {
    Count(i64),
    Text(String),
}

/// One `[[rollout.phases]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPhase {
    pub(super) name: String,
    pub(super) hosts: RawHosts,
    pub(super) max_failures: Option<usize>,
    pub(super) max_failure_rate: Option<f64>,
    pub(super) soak: Option<String>,
    #[serde(default)]
    pub(super) approve: bool,
}

/// A problem with a key under `rollout`: the key and what to do.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PhaseProblem {
    pub(super) key: String,
    pub(super) message: String,
}

fn problem(key: String, message: String) -> PhaseProblem {
    PhaseProblem { key, message }
}

/// The longest soak: a week, as every other duration of `[rollout]`.
const MAX_SOAK: Duration = Duration::from_secs(7 * 86_400);

fn label_key(key: &str, v: &Option<String>) -> Result<Option<String>, PhaseProblem> {
    match v.as_deref().map(str::trim) {
        None => Ok(None),
        Some("") => Err(problem(
            format!("rollout.{key}"),
            format!("is empty\n  hint: name a host label, e.g. {key} = \"rack\""),
        )),
        Some(k) => Ok(Some(k.to_string())),
    }
}

/// Validate the phases and cohort keys of `[rollout]`; warnings (a gate
/// that holds nothing) go to `warnings`.
pub(super) fn policy(
    raw: &[RawPhase],
    seed: Option<u64>,
    spread_by: &Option<String>,
    order_by: &Option<String>,
    warnings: &mut Vec<String>,
) -> Result<PhasePolicy, PhaseProblem> {
    let spread_by = label_key("spread_by", spread_by)?;
    let order_by = label_key("order_by", order_by)?;
    let mut phases: Vec<PhaseSpec> = Vec::with_capacity(raw.len());
    let last = raw.len().saturating_sub(1);
    for (i, p) in raw.iter().enumerate() {
        let key = |k: &str| format!("rollout.phases[{i}].{k}");
        let name = p.name.trim();
        if name.is_empty()
            || name.len() > 64
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(problem(
                key("name"),
                format!("\"{}\" is not a phase name: 1 to 64 letters, digits, '-', '_' or '.'\n  hint: e.g. name = \"canary\"", p.name),
            ));
        }
        if phases.iter().any(|q| q.name == name) {
            return Err(problem(
                key("name"),
                format!("phase \"{name}\" is named twice; give each phase its own name"),
            ));
        }
        let hosts = match &p.hosts {
            RawHosts::Count(n) if *n >= 1 => PhaseHosts::Count(*n as usize),
            RawHosts::Count(n) => {
                return Err(problem(
                    key("hosts"),
                    format!("{n} is not a number of hosts: write at least 1, a percent (\"5%\") or \"rest\""),
                ))
            }
            RawHosts::Text(t) if t.trim() == "rest" => PhaseHosts::Rest,
            RawHosts::Text(t) => {
                let pct = t
                    .trim()
                    .strip_suffix('%')
                    .and_then(|n| n.trim().parse::<f64>().ok())
                    .filter(|p| *p > 0.0 && *p <= 100.0);
                match pct {
                    Some(p) => PhaseHosts::Percent(p),
                    None => {
                        return Err(problem(
                            key("hosts"),
                            format!("\"{t}\" is not a phase size: write a count (1), a percent above 0 up to 100 (\"5%\") or \"rest\""),
                        ))
                    }
                }
            }
        };
        match (hosts, i == last) {
            (PhaseHosts::Rest, false) => {
                return Err(problem(
                    key("hosts"),
                    "only the last phase takes \"rest\"\n  hint: give this phase a count or a percent, or move it last".into(),
                ))
            }
            (PhaseHosts::Count(_) | PhaseHosts::Percent(_), true) => {
                return Err(problem(
                    key("hosts"),
                    format!("the last phase takes every host left: write hosts = \"rest\" (it has {hosts})\n  hint: add a last phase with hosts = \"rest\""),
                ))
            }
            _ => {}
        }
        if let Some(r) = p.max_failure_rate {
            if !(0.0..=1.0).contains(&r) {
                return Err(problem(
                    key("max_failure_rate"),
                    format!("{r} is not a share between 0.0 and 1.0\n  hint: 5% is written 0.05"),
                ));
            }
        }
        let soak = match &p.soak {
            None => Duration::ZERO,
            Some(s) => {
                let d = crate::schedule::parse_duration(s).map_err(|e| {
                    problem(
                        key("soak"),
                        format!(
                            "\"{s}\" {e}\n  hint: soak = \"10m\" waits ten minutes after the phase"
                        ),
                    )
                })?;
                if d > MAX_SOAK {
                    return Err(problem(
                        key("soak"),
                        format!("\"{s}\" is longer than a week (7d)"),
                    ));
                }
                d
            }
        };
        if i == last && (p.approve || !soak.is_zero()) {
            warnings.push(format!(
                "rollout.phases[{i}] (\"{name}\") is the last phase: its soak and approve hold nothing, no phase follows it"
            ));
        }
        phases.push(PhaseSpec {
            name: name.to_string(),
            hosts,
            max_failures: p.max_failures,
            max_failure_rate: p.max_failure_rate,
            soak,
            approve: p.approve,
        });
    }
    if phases.is_empty() && (spread_by.is_some() || order_by.is_some()) {
        // Ordering without phases would change today's canary-and-waves
        // rollout silently; it is part of the phase policy.
        return Err(problem(
            format!(
                "rollout.{}",
                if spread_by.is_some() {
                    "spread_by"
                } else {
                    "order_by"
                }
            ),
            "orders the hosts of [[rollout.phases]], and none are configured\n  hint: add phases, e.g. [[rollout.phases]] name = \"all\" hosts = \"rest\"".into(),
        ));
    }
    Ok(PhasePolicy {
        phases,
        seed,
        spread_by,
        order_by,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<(PhasePolicy, Vec<String>), PhaseProblem> {
        #[derive(Deserialize)]
        struct R {
            #[serde(default)]
            phases: Vec<RawPhase>,
            seed: Option<u64>,
            spread_by: Option<String>,
            order_by: Option<String>,
        }
        let r: R = toml::from_str(text).unwrap();
        let mut w = Vec::new();
        policy(&r.phases, r.seed, &r.spread_by, &r.order_by, &mut w).map(|p| (p, w))
    }

    #[test]
    fn counts_percents_and_rest_with_gates_soak_and_approval() {
        let (p, w) = parse(
            "seed = 7\nspread_by = \"rack\"\n\
             [[phases]]\nname = \"canary\"\nhosts = 1\nmax_failures = 0\nsoak = \"10m\"\napprove = true\n\
             [[phases]]\nname = \"early\"\nhosts = \"5%\"\nmax_failure_rate = 0.1\n\
             [[phases]]\nname = \"rest\"\nhosts = \"rest\"\n",
        )
        .unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(p.seed, Some(7));
        assert_eq!(p.spread_by.as_deref(), Some("rack"));
        assert_eq!(p.phases.len(), 3);
        assert_eq!(p.phases[0].hosts, PhaseHosts::Count(1));
        assert_eq!(p.phases[0].soak, Duration::from_secs(600));
        assert!(p.phases[0].approve);
        assert_eq!(p.phases[1].hosts, PhaseHosts::Percent(5.0));
        assert_eq!(p.phases[1].max_failure_rate, Some(0.1));
        assert_eq!(p.phases[2].hosts, PhaseHosts::Rest);
    }

    #[test]
    fn errors_name_the_key_and_say_what_to_write() {
        let cases = [
            ("[[phases]]\nname = \"a\"\nhosts = 0\n", "rollout.phases[0].hosts", "at least 1"),
            ("[[phases]]\nname = \"a\"\nhosts = \"half\"\n", "rollout.phases[0].hosts", "percent"),
            ("[[phases]]\nname = \"a\"\nhosts = \"rest\"\n[[phases]]\nname = \"b\"\nhosts = \"rest\"\n", "rollout.phases[0].hosts", "only the last"),
            ("[[phases]]\nname = \"a\"\nhosts = 2\n", "rollout.phases[0].hosts", "hosts = \"rest\""),
            ("[[phases]]\nname = \"a b\"\nhosts = \"rest\"\n", "rollout.phases[0].name", "phase name"),
            ("[[phases]]\nname = \"a\"\nhosts = 1\n[[phases]]\nname = \"a\"\nhosts = \"rest\"\n", "rollout.phases[1].name", "twice"),
            ("[[phases]]\nname = \"a\"\nhosts = \"rest\"\nmax_failure_rate = 1.5\n", "rollout.phases[0].max_failure_rate", "0.05"),
            ("[[phases]]\nname = \"a\"\nhosts = \"rest\"\nsoak = \"soon\"\n", "rollout.phases[0].soak", "soak = \"10m\""),
            ("spread_by = \"rack\"\n", "rollout.spread_by", "add phases"),
            ("order_by = \"\"\n[[phases]]\nname = \"a\"\nhosts = \"rest\"\n", "rollout.order_by", "is empty"),
        ];
        for (text, key, says) in cases {
            let e = parse(text).expect_err(text);
            assert_eq!(e.key, key, "{text}");
            assert!(e.message.contains(says), "{text}: {}", e.message);
        }
    }

    #[test]
    fn a_gate_on_the_last_phase_is_a_warning() {
        let (_, w) =
            parse("[[phases]]\nname = \"all\"\nhosts = \"rest\"\napprove = true\n").unwrap();
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("last phase"), "{w:?}");
    }
}

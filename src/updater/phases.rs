//! Which hosts go in which phase (issue 21 item 1), a pure decision: the
//! rollout's hosts are shuffled by the run's seed, hosts labelled `canary`
//! are put first, then grouped by `order_by` (every host of one cluster
//! before the next) and interleaved by `spread_by` (consecutive hosts from
//! different racks); the phases then take their sizes from the front
//! (a count, a percent of all hosts rounded up, the last one the rest).
//!
//! The shuffle is a SplitMix64 generator driving a Fisher–Yates shuffle
//! over the hosts sorted by name, both written here: the same seed and the
//! same hosts give the same cohorts in every fwfleet version, which a
//! library shuffle does not promise.

use crate::config::{PhaseHosts, PhasePolicy, PhaseSpec};
use crate::updater::host::HostJob;
use std::collections::BTreeMap;

/// SplitMix64 (Steele, Lea, Flood 2014): small, fast, fully determined by
/// its seed.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform enough in `0..n` (n > 0): the high half of a 128-bit product.
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
}

/// A seed for a run whose config and command name none (recorded in the run).
pub fn draw_seed() -> u64 {
    uuid::Uuid::new_v4().as_u64_pair().0
}

/// One host as the ordering sees it.
#[derive(Debug, Clone, Copy)]
pub struct Member<'a> {
    pub name: &'a str,
    pub labels: &'a BTreeMap<String, String>,
    pub canary: bool,
}

/// Group `idx` by the value of label `key` (values in order of first
/// appearance, hosts without the label last), keeping order inside groups.
fn grouped(idx: Vec<usize>, members: &[Member<'_>], key: &str) -> Vec<Vec<usize>> {
    let mut order: Vec<Option<&str>> = Vec::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut none = Vec::new();
    for i in idx {
        match members[i].labels.get(key) {
            None => none.push(i),
            Some(v) => match order.iter().position(|o| *o == Some(v.as_str())) {
                Some(g) => groups[g].push(i),
                None => {
                    order.push(Some(v.as_str()));
                    groups.push(vec![i]);
                }
            },
        }
    }
    if !none.is_empty() {
        groups.push(none);
    }
    groups
}

/// Round-robin over the groups of `key`: one host of each value in turn.
fn spread(idx: Vec<usize>, members: &[Member<'_>], key: &str) -> Vec<usize> {
    let mut groups: Vec<std::collections::VecDeque<usize>> = grouped(idx, members, key)
        .into_iter()
        .map(Into::into)
        .collect();
    let mut out = Vec::new();
    while groups.iter().any(|g| !g.is_empty()) {
        for g in &mut groups {
            if let Some(i) = g.pop_front() {
                out.push(i);
            }
        }
    }
    out
}

/// The rollout order of `members` (indices into it) under `policy` and `seed`.
pub fn order(members: &[Member<'_>], policy: &PhasePolicy, seed: u64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..members.len()).collect();
    idx.sort_by(|a, b| members[*a].name.cmp(members[*b].name));
    let mut rng = SplitMix64(seed);
    for i in (1..idx.len()).rev() {
        let j = rng.below(i + 1);
        idx.swap(i, j);
    }
    let (canaries, rest): (Vec<usize>, Vec<usize>) =
        idx.into_iter().partition(|i| members[*i].canary);
    let arrange = |part: Vec<usize>| -> Vec<usize> {
        let groups = match &policy.order_by {
            Some(k) => grouped(part, members, k),
            None => vec![part],
        };
        groups
            .into_iter()
            .flat_map(|g| match &policy.spread_by {
                Some(k) => spread(g, members, k),
                None => g,
            })
            .collect()
    };
    let mut out = arrange(canaries);
    out.extend(arrange(rest));
    out
}

/// How many hosts each phase takes from `total`, in order.
pub fn sizes(total: usize, phases: &[PhaseSpec]) -> Vec<usize> {
    let mut left = total;
    phases
        .iter()
        .map(|p| {
            let want = match p.hosts {
                PhaseHosts::Count(n) => n,
                PhaseHosts::Percent(pct) => {
                    ((pct / 100.0 * total as f64) - 1e-9).ceil().max(1.0) as usize
                }
                PhaseHosts::Rest => left,
            };
            let n = want.min(left);
            left -= n;
            n
        })
        .collect()
}

/// The hosts of one phase, in the groups that run one after the other
/// (one per `order_by` value; a single group without `order_by`).
#[derive(Debug, Clone)]
pub struct Cohort {
    pub spec: PhaseSpec,
    pub groups: Vec<Vec<HostJob>>,
}

impl Cohort {
    pub fn len(&self) -> usize {
        self.groups.iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn names(&self) -> Vec<String> {
        self.groups
            .iter()
            .flatten()
            .map(|j| j.host.name.clone())
            .collect()
    }
}

/// Cut `jobs` into the phases of `policy` with `seed`.
pub fn cohorts(jobs: Vec<HostJob>, policy: &PhasePolicy, seed: u64) -> Vec<Cohort> {
    let members: Vec<Member<'_>> = jobs
        .iter()
        .map(|j| Member {
            name: &j.host.name,
            labels: &j.host.labels,
            canary: j.host.is_canary(),
        })
        .collect();
    let ordered = order(&members, policy, seed);
    let mut slots: Vec<Option<HostJob>> = jobs.into_iter().map(Some).collect();
    let mut ordered = ordered.into_iter();
    sizes(slots.len(), &policy.phases)
        .into_iter()
        .zip(&policy.phases)
        .map(|(n, spec)| {
            let mut groups: Vec<Vec<HostJob>> = Vec::new();
            let mut last: Option<Option<String>> = None;
            for i in ordered.by_ref().take(n) {
                let job = slots[i].take().expect("each host in one phase");
                let key = policy
                    .order_by
                    .as_ref()
                    .map(|k| job.host.labels.get(k).cloned());
                match (&last, groups.last_mut()) {
                    (Some(l), Some(g)) if *l == key.clone().flatten() => g.push(job),
                    _ => {
                        last = Some(key.flatten());
                        groups.push(vec![job]);
                    }
                }
            }
            Cohort {
                spec: spec.clone(),
                groups,
            }
        })
        .collect()
}

/// The phases `jobs` would run in under `rollout`, in one line for `apply`
/// before it asks (`phases (seed 7): canary 1 [bmc-0003]; rest 5 [...]`);
/// `None` without phases. Shown with the seed the run uses (`apply` draws
/// one before it shows them when none is set).
pub fn describe(jobs: &[HostJob], rollout: &crate::config::Rollout) -> Option<String> {
    let p = &rollout.phases;
    let seed = p.seed.filter(|_| !p.phases.is_empty())?;
    let cut = cohorts(jobs.to_vec(), p, seed);
    Some(format!(
        "phases (seed {seed}): {}",
        cut.iter()
            .map(|c| format!("{} {} [{}]", c.spec.name, c.len(), c.names().join(",")))
            .collect::<Vec<_>>()
            .join("; ")
    ))
}

/// The journal's `phases` event: the run's seed and every phase with its
/// hosts, `seed 42: canary 1 host(s) [a]; rest 3 host(s) [b, c, d]`. Written
/// once as the phased rollout starts; [`parse_journal_line`] reads it back
/// (the dashboard draws a run's real cohorts from it).
pub fn journal_line(seed: u64, cohorts: &[Cohort]) -> String {
    format!(
        "seed {seed}: {}",
        cohorts
            .iter()
            .map(|c| format!(
                "{} {} host(s) [{}]",
                c.spec.name,
                c.len(),
                c.names().join(", ")
            ))
            .collect::<Vec<_>>()
            .join("; ")
    )
}

/// A phase as the journal recorded it: its name and its hosts, in order.
pub type RecordedPhase = (String, Vec<String>);

/// The seed and the phases (name, hosts in order) of a [`journal_line`];
/// `None` for anything else. Phase names are `[A-Za-z0-9._-]`; a host name
/// holding `, ` or `; ` would split wrongly, which the counts catch: such a
/// line reads as `None` and the caller shows what it can without it.
pub fn parse_journal_line(line: &str) -> Option<(u64, Vec<RecordedPhase>)> {
    let rest = line.strip_prefix("seed ")?;
    let (seed, rest) = rest.split_once(": ")?;
    let seed = seed.parse().ok()?;
    let mut phases = Vec::new();
    for part in rest.split("; ") {
        let (name, rest) = part.split_once(' ')?;
        let (count, rest) = rest.split_once(" host(s) [")?;
        let hosts = rest.strip_suffix(']')?;
        let hosts: Vec<String> = if hosts.is_empty() {
            Vec::new()
        } else {
            hosts.split(", ").map(str::to_string).collect()
        };
        if count.parse::<usize>().ok()? != hosts.len() {
            return None;
        }
        phases.push((name.to_string(), hosts));
    }
    Some((seed, phases))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn spec(name: &str, hosts: PhaseHosts) -> PhaseSpec {
        PhaseSpec {
            name: name.into(),
            hosts,
            max_failures: None,
            max_failure_rate: None,
            soak: Duration::ZERO,
            approve: false,
        }
    }

    fn labelled(
        n: usize,
        f: impl Fn(usize) -> Vec<(&'static str, String)>,
    ) -> Vec<(String, BTreeMap<String, String>)> {
        (0..n)
            .map(|i| {
                (
                    format!("h{i:02}"),
                    f(i).into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
                )
            })
            .collect()
    }

    fn members(hosts: &[(String, BTreeMap<String, String>)]) -> Vec<Member<'_>> {
        hosts
            .iter()
            .map(|(n, l)| Member {
                name: n,
                labels: l,
                canary: l.contains_key("canary"),
            })
            .collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_order_and_another_seed_another() {
        let hosts = labelled(20, |_| vec![]);
        let m = members(&hosts);
        let p = PhasePolicy::default();
        assert_eq!(order(&m, &p, 42), order(&m, &p, 42));
        assert_ne!(order(&m, &p, 42), order(&m, &p, 43));
        let mut sorted = order(&m, &p, 42);
        sorted.sort();
        assert_eq!(sorted, (0..20).collect::<Vec<_>>());
        // The input order does not matter: the hosts are sorted by name first.
        let mut rev = hosts.clone();
        rev.reverse();
        let names = |h: &[(String, BTreeMap<String, String>)]| -> Vec<String> {
            let m = members(h);
            order(&m, &p, 9)
                .into_iter()
                .map(|i| h[i].0.clone())
                .collect()
        };
        assert_eq!(names(&hosts), names(&rev));
    }

    #[test]
    fn spread_interleaves_racks_and_order_finishes_a_cluster_first() {
        let hosts = labelled(12, |i| {
            vec![
                ("rack", format!("r{}", i % 3)),
                ("cluster", format!("c{}", i / 6)),
            ]
        });
        let m = members(&hosts);
        let p = PhasePolicy {
            spread_by: Some("rack".into()),
            order_by: Some("cluster".into()),
            ..Default::default()
        };
        let o = order(&m, &p, 5);
        let label = |i: usize, k: &str| hosts[i].1[k].clone();
        // One cluster, then the other.
        let clusters: Vec<String> = o.iter().map(|i| label(*i, "cluster")).collect();
        let switches = clusters.windows(2).filter(|w| w[0] != w[1]).count();
        assert_eq!(switches, 1, "{clusters:?}");
        // Inside a cluster, no two neighbours share a rack.
        for w in o.windows(2) {
            if label(w[0], "cluster") == label(w[1], "cluster") {
                assert_ne!(label(w[0], "rack"), label(w[1], "rack"), "{o:?}");
            }
        }
    }

    #[test]
    fn canaries_come_first() {
        let hosts = labelled(6, |i| {
            if i == 4 {
                vec![("canary", "true".into())]
            } else {
                vec![]
            }
        });
        let m = members(&hosts);
        for seed in 0..10 {
            assert_eq!(order(&m, &PhasePolicy::default(), seed)[0], 4);
        }
    }

    #[test]
    fn sizes_take_counts_and_percents_rounded_up_and_the_rest() {
        let phases = [
            spec("a", PhaseHosts::Count(1)),
            spec("b", PhaseHosts::Percent(5.0)),
            spec("c", PhaseHosts::Percent(25.0)),
            spec("d", PhaseHosts::Rest),
        ];
        assert_eq!(sizes(100, &phases), [1, 5, 25, 69]);
        assert_eq!(sizes(10, &phases), [1, 1, 3, 5]);
        assert_eq!(sizes(2, &phases), [1, 1, 0, 0]);
        assert_eq!(sizes(0, &phases), [0, 0, 0, 0]);
    }

    #[test]
    fn the_journal_line_reads_back() {
        let line =
            "seed 42: canary 1 host(s) [a]; five-pct 0 host(s) []; rest 3 host(s) [b, c-1.x, d]";
        let (seed, phases) = parse_journal_line(line).unwrap();
        assert_eq!(seed, 42);
        assert_eq!(
            phases,
            vec![
                ("canary".to_string(), vec!["a".to_string()]),
                ("five-pct".to_string(), vec![]),
                (
                    "rest".to_string(),
                    vec!["b".to_string(), "c-1.x".to_string(), "d".to_string()]
                ),
            ]
        );
        for bad in [
            "",
            "seed x: a 1 host(s) [a]",
            "seed 1: a 2 host(s) [a]",
            "seed 1: a 1 hosts [a]",
            "phase canary: 1 host(s)",
        ] {
            assert_eq!(parse_journal_line(bad), None, "{bad}");
        }
    }
}

//! Group hierarchy and variable precedence, as Ansible resolves them.
//!
//! Every group without a parent is a child of `all`. A host belongs to the
//! groups that list it and to all their ancestors. Its variables are merged
//! from its groups ordered by depth (distance from `all`, longest path), then
//! `ansible_group_priority` (default 1), then name, later winning; the host's
//! own variables win over every group's. So: `all` < parent < child < host.

use super::model::{Inventory, Var, Vars};
use std::collections::{BTreeMap, BTreeSet};

/// A host with its groups and effective variables.
#[derive(Debug, Clone)]
pub struct ResolvedHost {
    pub name: String,
    /// Every group the host is in, ancestors included, except `all` and `ungrouped`; sorted.
    pub groups: Vec<String>,
    pub vars: Vars,
    /// How specific each variable's definition is: higher is more specific
    /// (its group's place in the merge order; host variables are highest).
    /// Used where two different variables conflict (`bmc_password_env` in
    /// `[all:vars]`, `bmc_password_file` on one host): the more specific wins.
    pub rank: BTreeMap<String, usize>,
}

pub fn resolve(inv: &Inventory) -> Result<Vec<ResolvedHost>, String> {
    let mut parents: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (name, g) in &inv.groups {
        for c in &g.children {
            parents.entry(c.as_str()).or_default().push(name.as_str());
        }
    }
    for name in inv.groups.keys() {
        if name != "all" {
            parents.entry(name.as_str()).or_insert_with(|| vec!["all"]);
        }
    }
    let mut depth: BTreeMap<&str, usize> = BTreeMap::from([("all", 0)]);
    for name in inv.groups.keys() {
        depth_of(name, &parents, &mut depth, &mut Vec::new())?;
    }
    let priority = |g: &str| -> i64 {
        match inv.groups[g].vars.get("ansible_group_priority") {
            Some(Var::Text(p)) => p.trim().parse().unwrap_or(1),
            _ => 1,
        }
    };
    let mut direct: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (name, g) in &inv.groups {
        for h in &g.hosts {
            direct.entry(h.as_str()).or_default().insert(name.as_str());
        }
    }
    let mut out = Vec::with_capacity(inv.hosts.len());
    for host in &inv.hosts {
        let mut groups: BTreeSet<&str> = BTreeSet::from(["all"]);
        let mut todo: Vec<&str> = direct
            .get(host.as_str())
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default();
        while let Some(g) = todo.pop() {
            if groups.insert(g) {
                todo.extend(parents.get(g).into_iter().flatten().copied());
            }
        }
        let mut order: Vec<&str> = groups.iter().copied().collect();
        order.sort_by_key(|g| (depth[g], priority(g), *g));
        let mut vars = Vars::new();
        let mut rank = BTreeMap::new();
        for (i, g) in order.iter().enumerate() {
            for (k, v) in &inv.groups[*g].vars {
                vars.insert(k.clone(), v.clone());
                rank.insert(k.clone(), i);
            }
        }
        for (k, v) in inv.host_vars.get(host).into_iter().flatten() {
            vars.insert(k.clone(), v.clone());
            rank.insert(k.clone(), usize::MAX);
        }
        out.push(ResolvedHost {
            name: host.clone(),
            groups: groups
                .into_iter()
                .filter(|g| *g != "all" && *g != "ungrouped")
                .map(str::to_string)
                .collect(),
            vars,
            rank,
        });
    }
    Ok(out)
}

/// Longest distance from `all`; a cycle in `children` is an error naming it.
fn depth_of<'a>(
    g: &'a str,
    parents: &BTreeMap<&'a str, Vec<&'a str>>,
    memo: &mut BTreeMap<&'a str, usize>,
    path: &mut Vec<&'a str>,
) -> Result<usize, String> {
    if g == "all" {
        return Ok(0);
    }
    if let Some(d) = memo.get(g) {
        return Ok(*d);
    }
    if let Some(i) = path.iter().position(|p| *p == g) {
        let mut cycle: Vec<&str> = path[i..].to_vec();
        cycle.push(g);
        return Err(format!(
            "groups form a cycle, each a child of the next: {}\n  hint: a group cannot be its own ancestor; remove one of these children entries",
            cycle.join(" → ")
        ));
    }
    path.push(g);
    let mut d = 0;
    for p in parents.get(g).into_iter().flatten() {
        d = d.max(depth_of(p, parents, memo, path)? + 1);
    }
    path.pop();
    memo.insert(g, d);
    Ok(d)
}

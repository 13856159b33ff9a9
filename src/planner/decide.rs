//! The planning rules: one component's outcome, then a host's prerequisites
//! and order. See the module docs in `mod.rs` for the rules in prose.

use crate::inventory::model::{Component, HostInventory, Inventory, LegacyLayout};
use crate::version::{judge, parse, Judgement, Verdict, VersionScheme};
use crate::vocab::{Kind, Role};

use super::model::{
    Action, Execution, HeldBack, HostPlan, ImageRef, ImageSource, Plan, Policy, Provenance, Step,
    Summary,
};

/// Plans every host of `inventory`, in inventory order.
pub fn plan<S: ImageSource + ?Sized>(inventory: &Inventory, source: &S, policy: &Policy) -> Plan {
    let hosts: Vec<HostPlan> = inventory
        .hosts
        .iter()
        .map(|h| plan_host(h, source, policy))
        .collect();
    let summary = Summary::of(&hosts);
    Plan { hosts, summary }
}

/// Plans one host: one outcome per active component, upgrade paths as
/// several steps, prerequisites resolved, steps in policy order.
pub fn plan_host<S: ImageSource + ?Sized>(
    host: &HostInventory,
    source: &S,
    policy: &Policy,
) -> HostPlan {
    if !host.ok {
        return HostPlan {
            name: host.name.clone(),
            ok: false,
            error: Some(
                host.error
                    .clone()
                    .unwrap_or_else(|| "the scan failed without a reason".to_owned()),
            ),
            steps: Vec::new(),
        };
    }
    let active: Vec<&Component> = host
        .components
        .iter()
        .filter(|c| c.role == Role::Active)
        .collect();
    let mut units: Vec<Unit<'_>> = active
        .iter()
        .map(|c| {
            let (state, fallbacks) = decide(c, host, source.candidates_on(c, &host.system), policy);
            Unit {
                component: c,
                state,
                deps: Vec::new(),
                fallbacks,
            }
        })
        .collect();
    // A kind outside `--kinds` keeps its version in this plan: its unit is
    // settled before prerequisites are resolved, so nothing relies on an
    // update of it, and its row is left out.
    for u in units
        .iter_mut()
        .filter(|u| !policy.covers(u.component.kind))
    {
        u.state = State::Done(Row::new(Action::UpToDate, "kind not selected"));
    }
    resolve_prerequisites(&mut units, policy);
    let steps = order(units, policy)
        .into_iter()
        .flat_map(Unit::into_steps)
        .filter(|s| policy.covers(s.kind))
        .collect();
    HostPlan {
        name: host.name.clone(),
        ok: true,
        error: None,
        steps,
    }
}

/// One active component on its way through the planner.
struct Unit<'a> {
    component: &'a Component,
    state: State,
    /// Units (by index) whose changes this one's prerequisites rely on.
    deps: Vec<usize>,
    /// Changes to older images, newest first, to fall back to when the
    /// pending change's prerequisites cannot hold.
    fallbacks: Vec<Change>,
}

enum State {
    /// Decided without prerequisites: a single row.
    Done(Row),
    /// A change whose prerequisites are not checked yet.
    Pending(Change),
    /// A change whose prerequisites hold; `notes` say which planned steps
    /// they rely on.
    Confirmed(Change, Vec<String>),
}

/// A single non-executable row (or a blocked change); a `staged-pending`
/// row may still carry the activation of its staged image.
struct Row {
    action: Action,
    reason: String,
    to: Option<String>,
    image: Option<String>,
    /// Boxed: most rows have none, and `Row` is the error of every check.
    exec: Option<Box<Execution>>,
    /// Boxed for the same reason.
    provenance: Box<Provenance>,
    held_back: Option<Box<HeldBack>>,
}

/// An upgrade path (one or more hops) or a downgrade (one hop).
struct Change {
    action: Action,
    hops: Vec<Hop>,
    /// Read the final version under this scheme when another component's
    /// prerequisite asks about it.
    final_scheme: Option<VersionScheme>,
    /// The newest image, when this change is a fallback to an older one.
    held_back: Option<HeldBack>,
}

struct Hop {
    image: ImageRef,
    from: String,
    reason: String,
}

impl Change {
    fn final_version(&self) -> &str {
        // A change always has at least one hop; an empty one would be a bug
        // upstream, and "" reads as unparsable, which blocks rather than guesses.
        self.hops.last().map_or("", |h| h.image.version.as_str())
    }

    fn target(&self) -> Option<&ImageRef> {
        self.hops.last().map(|h| &h.image)
    }

    fn prerequisites(&self) -> impl Iterator<Item = &(Kind, String)> {
        self.hops.iter().flat_map(|h| &h.image.prerequisites)
    }

    /// The single row a change becomes when it may not run; it names the
    /// target so the operator sees what was held back.
    fn blocked(&self, reason: String) -> Row {
        let reason = match &self.held_back {
            Some(h) => format!("{reason}; {}", held_back_note(h)),
            None => reason,
        };
        Row {
            action: Action::Blocked,
            reason,
            held_back: self.held_back.clone().map(Box::new),
            to: self.target().map(|t| t.version.clone()),
            image: self.target().map(|t| t.file.clone()),
            exec: None,
            provenance: Box::new(
                self.target()
                    .map(|t| t.provenance.clone())
                    .unwrap_or_default(),
            ),
        }
    }

    /// This change, taken because `newest` is held back by `row`.
    fn falling_back_from(mut self, newest: &ImageRef, row: &Row) -> Change {
        self.held_back.get_or_insert_with(|| HeldBack {
            image: newest.file.clone(),
            version: newest.version.clone(),
            action: row.action,
            reason: row.reason.clone(),
        });
        self
    }
}

impl Row {
    fn new(action: Action, reason: impl Into<String>) -> Self {
        Row {
            action,
            reason: reason.into(),
            to: None,
            image: None,
            exec: None,
            provenance: Box::default(),
            held_back: None,
        }
    }

    fn about(mut self, image: &ImageRef) -> Self {
        self.to = Some(image.version.clone());
        self.image = Some(image.file.clone());
        self.provenance = Box::new(image.provenance.clone());
        self
    }
}

impl Unit<'_> {
    fn into_steps(self) -> Vec<Step> {
        let c = self.component;
        let step = |from: Option<String>, row: Row| Step {
            component: c.id.clone(),
            identity: c.identity.clone(),
            kind: c.kind,
            from,
            to: row.to,
            action: row.action,
            reason: row.reason,
            image: row.image,
            method: None,
            apply_time: None,
            provenance: *row.provenance,
            held_back: row.held_back.map(|h| *h),
            disruption: None,
            disruption_source: None,
            exec: row.exec.map(|e| *e),
        };
        match self.state {
            State::Done(row) => vec![step(c.version.clone(), row)],
            // Unresolved changes are turned into rows by `resolve_prerequisites`.
            State::Pending(change) => change_steps(c, change, &[]),
            State::Confirmed(change, notes) => change_steps(c, change, &notes),
        }
    }
}

fn change_steps(c: &Component, change: Change, notes: &[String]) -> Vec<Step> {
    let mut notes = notes.to_vec();
    if let Some(h) = &change.held_back {
        notes.push(held_back_note(h));
    }
    let suffix = if notes.is_empty() {
        String::new()
    } else {
        format!("; {}", notes.join("; "))
    };
    let last = change.hops.len().saturating_sub(1);
    let held_back = change.held_back;
    change
        .hops
        .into_iter()
        .enumerate()
        .map(|(i, hop)| {
            let (disruption, source) = super::disruption::decide(
                hop.image.provenance.disruption,
                hop.image.provenance.reboot_required,
                c.reset_required_on_update,
                c.kind,
            );
            Step {
                component: c.id.clone(),
                identity: c.identity.clone(),
                kind: c.kind,
                from: Some(hop.from),
                to: Some(hop.image.version.clone()),
                action: change.action,
                reason: format!("{}{suffix}", hop.reason),
                exec: execution(c, &hop.image, false),
                image: Some(hop.image.file),
                method: hop.image.method.map(|m| m.as_str().to_owned()),
                apply_time: hop.image.apply_time,
                provenance: hop.image.provenance,
                held_back: if i == last { held_back.clone() } else { None },
                disruption: Some(disruption),
                disruption_source: Some(source),
            }
        })
        .collect()
}

/// How a row names the newest image it does not take.
fn held_back_note(h: &HeldBack) -> String {
    format!(
        "the newest image {} ({}) is held back: {}",
        h.version, h.image, h.reason
    )
}

/// What flashing (or, `activate_only`, activating) `image` on `c` needs,
/// when the source gave the image's file.
fn execution(c: &Component, image: &ImageRef, activate_only: bool) -> Option<Execution> {
    Some(Execution {
        entry: image.file.clone(),
        image: image.facts.clone()?,
        target: c.uri.clone(),
        method: image.method,
        activate_only,
    })
}

/// The scheme a comparison involving `image` (or, without one, the bare
/// component) reads under: operator override, then image, then the BMC.
fn scheme_for(policy: &Policy, c: &Component, image: Option<&ImageRef>) -> Option<VersionScheme> {
    policy
        .scheme_overrides
        .get(&c.kind)
        .copied()
        .or_else(|| image.and_then(|i| i.version_scheme))
        .or_else(|| c.version_scheme.as_deref().and_then(|s| s.parse().ok()))
}

/// Judges `a` relative to `b`, each read under its own scheme.
fn judge_str(a: &str, sa: Option<VersionScheme>, b: &str, sb: Option<VersionScheme>) -> Judgement {
    judge(&parse(a, sa), &parse(b, sb))
}

/// Whether `v` is at least `min`: `Ok(true/false)`, or why it cannot be told.
fn at_least(v: &str, min: &str, scheme: Option<VersionScheme>) -> Result<bool, String> {
    let j = judge_str(v, scheme, min, scheme);
    match j.verdict {
        Verdict::Newer | Verdict::Same => Ok(true),
        Verdict::Older => Ok(false),
        Verdict::Unknown => Err(j.reason),
    }
}

/// The outcome for one active component, before prerequisites, and the
/// changes to older images to fall back to if its prerequisites fail.
///
/// Every candidate takes part in choosing the target, also those only the
/// vendor's tool can apply (their version is what the component should
/// reach); only installable ones are ever flashed, as a target or a hop.
/// When the change to the newest image is blocked (an unmet gate, the
/// lowest supported version) or needs the vendor's tool, the newest
/// installable image that can be reached is taken instead, and the row says
/// both.
fn decide(
    c: &Component,
    host: &HostInventory,
    candidates: Vec<ImageRef>,
    policy: &Policy,
) -> (State, Vec<Change>) {
    let done = |row: Row| (State::Done(row), Vec::new());
    let installable: Vec<ImageRef> = candidates
        .iter()
        .filter(|i| i.needs_vendor_tool.is_none())
        .cloned()
        .collect();
    // Staged first: whatever the repository says, a second update while one
    // waits for a reset could flash twice or race the staged image. A
    // "staged" entry of the version already active waits for nothing, and
    // planning its activation would reset the host on every run. (Dell's
    // downloaded packages, `Available-…`, are not staged at all: the
    // normaliser gives them `Role::Available`, FIELD-NOTES B5.30.)
    if let Some(staged) = host.components.iter().find(|s| {
        s.role == Role::Staged
            && s.kind == c.kind
            && s.identity == c.identity
            && (s.version.is_none() || s.version != c.version)
    }) {
        let version = staged.version.as_deref().unwrap_or("an unknown version");
        let mut row = Row::new(
            Action::StagedPending,
            format!(
                "{version} is staged and waits for a reset; reset the host (or clear the staged image) before planning another update"
            ),
        );
        row.to = staged.version.clone();
        // The repository's own image for that very version: the updater may
        // activate it (under a reset policy that resets) without sending it
        // again. A staged image the repository does not know stays the
        // operator's business.
        if let Some(img) = staged
            .version
            .as_ref()
            .and_then(|v| installable.iter().find(|i| &i.version == v))
        {
            row.exec = execution(c, img, true).map(Box::new);
            row.provenance = Box::new(img.provenance.clone());
        }
        return done(row);
    }
    if !c.updateable {
        return done(Row::new(
            Action::NotUpdateable,
            "the bmc reports the component as not updateable",
        ));
    }
    if candidates.is_empty() {
        return done(Row::new(
            Action::NoImage,
            format!("no repository image applies to {}", c.identity),
        ));
    }
    let Some(current) = c.version.as_deref() else {
        return done(Row::new(
            Action::VersionUnknown,
            "the bmc reports no version for the component",
        ));
    };
    let target = match newest(c, &candidates, policy) {
        Ok(t) => t,
        Err(reason) => return done(Row::new(Action::VersionUnknown, reason)),
    };
    let scheme = scheme_for(policy, c, Some(target));
    let j = judge_str(current, scheme, &target.version, scheme);
    let primary = match j.verdict {
        Verdict::Unknown => {
            return done(
                Row::new(
                    Action::VersionUnknown,
                    format!(
                        "cannot order {current} and the newest image {}: {}",
                        target.version, j.reason
                    ),
                )
                .about(target),
            )
        }
        Verdict::Same => {
            return done(
                Row::new(
                    Action::UpToDate,
                    format!("runs the newest image ({})", j.reason),
                )
                .about(target),
            )
        }
        Verdict::Newer if !(policy.allow_downgrade || target.allow_downgrade) => {
            return done(
                Row::new(
                    Action::NewerThanRepository,
                    format!(
                        "runs a newer version than the newest image ({}); downgrade not allowed: allow it on the image or in the policy to downgrade",
                        j.reason
                    ),
                )
                .about(target),
            )
        }
        Verdict::Newer => match vendor_tool(target) {
            Some(row) => return done(row),
            None => match downgrade(c, current, target, &j, policy).and_then(|ch| gate(c, host, ch, policy)) {
                Ok(change) => return (State::Pending(change), Vec::new()),
                Err(row) => return done(row),
            },
        },
        Verdict::Older => match vendor_tool(target) {
            Some(row) => Err(row),
            None => upgrade_path(c, current, target, &installable, policy)
                .and_then(|ch| gate(c, host, ch, policy)),
        },
    };
    let mut fallbacks = fallbacks(c, host, current, target, &installable, policy);
    match primary {
        Ok(change) => (State::Pending(change), fallbacks),
        // Only a held-back image falls back: an unordered gate stays
        // version-unknown, because the older path would be a guess too.
        Err(row)
            if matches!(row.action, Action::Blocked | Action::NeedsVendorTool)
                && !fallbacks.is_empty() =>
        {
            let first = fallbacks.remove(0).falling_back_from(target, &row);
            (State::Pending(first), fallbacks)
        }
        Err(row) => done(row),
    }
}

/// The `needs-vendor-tool` row for `image`, when only the vendor's tool
/// can apply it.
fn vendor_tool(image: &ImageRef) -> Option<Row> {
    let why = image.needs_vendor_tool.as_deref()?;
    Some(
        Row::new(
            Action::NeedsVendorTool,
            format!(
                "{} ({}) cannot be applied through the bmc: {why}; apply it with the vendor's tool from the host, or add an image the bmc's update service takes",
                image.version, image.file
            ),
        )
        .about(image),
    )
}

/// The checks every change passes before prerequisites: a legacy-layout
/// BMC's standard actions, write protection and the BMC's lowest supported
/// version.
fn gate(
    c: &Component,
    host: &HostInventory,
    mut change: Change,
    policy: &Policy,
) -> Result<Change, Row> {
    if let Some(legacy) = &host.bmc.legacy_layout {
        if let Err(reason) = through_standard_actions(&mut change, legacy) {
            return Err(change.blocked(reason));
        }
    }
    if c.write_protected {
        return Err(change.blocked(
            "the component is write-protected; clear WriteProtected on the bmc first".to_owned(),
        ));
    }
    if let Err(reason) = check_lowest_supported(c, &change, policy) {
        return Err(change.blocked(reason));
    }
    Ok(change)
}

/// Changes to the installable images newer than `current` and older than
/// `target`, newest first, each through its own upgrade path and gate
/// (images of the same version once): what the plan takes instead when
/// the newest is held back.
fn fallbacks(
    c: &Component,
    host: &HostInventory,
    current: &str,
    target: &ImageRef,
    installable: &[ImageRef],
    policy: &Policy,
) -> Vec<Change> {
    let mut older: Vec<&ImageRef> = installable
        .iter()
        .filter(|i| image_cmp(c, i, target, policy) == Verdict::Older)
        .filter(|i| {
            let scheme = scheme_for(policy, c, Some(i));
            judge_str(&i.version, scheme, current, scheme).verdict == Verdict::Newer
        })
        .collect();
    // Every pair is ordered: `newest` checked all candidates.
    older.sort_by(|a, b| match image_cmp(c, a, b, policy) {
        Verdict::Newer => std::cmp::Ordering::Less,
        Verdict::Older => std::cmp::Ordering::Greater,
        Verdict::Same | Verdict::Unknown => std::cmp::Ordering::Equal,
    });
    older.dedup_by(|a, b| image_cmp(c, a, b, policy) == Verdict::Same);
    older
        .into_iter()
        .filter_map(|alt| {
            let below: Vec<ImageRef> = installable
                .iter()
                .filter(|i| image_cmp(c, i, alt, policy) != Verdict::Newer)
                .cloned()
                .collect();
            upgrade_path(c, current, alt, &below, policy)
                .and_then(|ch| gate(c, host, ch, policy))
                .ok()
        })
        .collect()
}

/// A legacy-layout host (no FirmwareInventory, firmware read from
/// SoftwareInventory) is updated only through the standard actions its
/// UpdateService offers: each hop carries the method it is sent with, the
/// image's own preference when offered, else the first offered, so the
/// updater never reaches for a transfer this v1.2-era service lacks.
fn through_standard_actions(change: &mut Change, legacy: &LegacyLayout) -> Result<(), String> {
    let Some(&first) = legacy.methods.first() else {
        return Err(format!(
            "the legacy UpdateService (firmware under {}) offers no standard update action \
             (SimpleUpdate, MultipartHttpPushUri, HttpPushUri); update it with the vendor's tools",
            legacy.inventory
        ));
    };
    for hop in &mut change.hops {
        let note = match hop.image.method {
            Some(m) if legacy.methods.contains(&m) => format!("legacy UpdateService layout: {m}"),
            Some(m) => format!(
                "legacy UpdateService layout: {first}, not the image's {m}, which it does not offer"
            ),
            None => {
                format!("legacy UpdateService layout: {first}, the first standard action it offers")
            }
        };
        let chosen = hop.image.method.filter(|m| legacy.methods.contains(m));
        hop.image.method = Some(chosen.unwrap_or(first));
        hop.reason = if hop.reason.is_empty() {
            note
        } else {
            format!("{}; {note}", hop.reason)
        };
    }
    Ok(())
}

/// The newest candidate, when every pair of candidates can be ordered;
/// otherwise which pair cannot, because picking among unordered images
/// would be a guess. Ties go to the first candidate.
fn newest<'i>(
    c: &Component,
    cands: &'i [ImageRef],
    policy: &Policy,
) -> Result<&'i ImageRef, String> {
    for (i, a) in cands.iter().enumerate() {
        for b in &cands[i + 1..] {
            let j = judge_str(
                &a.version,
                scheme_for(policy, c, Some(a)),
                &b.version,
                scheme_for(policy, c, Some(b)),
            );
            if j.verdict == Verdict::Unknown {
                return Err(format!(
                    "repository images cannot be ordered: {} ({}) vs {} ({}): {}",
                    a.file, a.version, b.file, b.version, j.reason
                ));
            }
        }
    }
    let mut best = &cands[0];
    for other in &cands[1..] {
        if image_cmp(c, other, best, policy) == Verdict::Newer {
            best = other;
        }
    }
    Ok(best)
}

fn image_cmp(c: &Component, a: &ImageRef, b: &ImageRef, policy: &Policy) -> Verdict {
    judge_str(
        &a.version,
        scheme_for(policy, c, Some(a)),
        &b.version,
        scheme_for(policy, c, Some(b)),
    )
    .verdict
}

/// A downgrade to `target`, which the caller has allowed.
fn downgrade(
    c: &Component,
    current: &str,
    target: &ImageRef,
    j: &Judgement,
    policy: &Policy,
) -> Result<Change, Row> {
    let scheme = scheme_for(policy, c, Some(target));
    check_min_from(current, target, scheme)?;
    let by = if target.allow_downgrade {
        "the image"
    } else {
        "the policy"
    };
    Ok(Change {
        action: Action::Downgrade,
        hops: vec![Hop {
            image: target.clone(),
            from: current.to_owned(),
            reason: format!("downgrade allowed by {by} ({})", j.reason),
        }],
        final_scheme: scheme,
        held_back: None,
    })
}

/// `Ok` when `from` meets the image's `min_from_version`.
fn check_min_from(from: &str, image: &ImageRef, scheme: Option<VersionScheme>) -> Result<(), Row> {
    let Some(min) = image.min_from_version.as_deref() else {
        return Ok(());
    };
    match at_least(from, min, scheme) {
        Ok(true) => Ok(()),
        Ok(false) => Err(Row::new(
            Action::Blocked,
            format!(
                "{} may only be applied on top of {min} or newer",
                image.version
            ),
        )
        .about(image)),
        Err(why) => Err(Row::new(
            Action::VersionUnknown,
            format!(
                "cannot tell whether {from} meets {min}, the minimum version for {}: {why}",
                image.version
            ),
        )
        .about(image)),
    }
}

/// The hops from `current` to `target`, honouring every image's
/// `min_from_version`.
///
/// Greedy: from where we are, jump to the newest image we may apply. That is
/// never worse than a smaller jump, because an image reachable from a lower
/// version is reachable from a higher one (its minimum is ≤ both), so the
/// greedy path is also the shortest. Every hop moves strictly up, and the
/// loop is bounded by the number of images whatever the comparisons say.
fn upgrade_path(
    c: &Component,
    current: &str,
    target: &ImageRef,
    cands: &[ImageRef],
    policy: &Policy,
) -> Result<Change, Row> {
    let mut hops: Vec<Hop> = Vec::new();
    let mut at = current.to_owned();
    for _ in 0..cands.len() {
        let mut unknown: Option<String> = None;
        let mut best: Option<&ImageRef> = None;
        for img in cands {
            let scheme = scheme_for(policy, c, Some(img));
            if judge_str(&img.version, scheme, &at, scheme).verdict != Verdict::Newer {
                continue;
            }
            let ok = match img.min_from_version.as_deref() {
                None => true,
                Some(min) => match at_least(&at, min, scheme) {
                    Ok(ok) => ok,
                    Err(why) => {
                        unknown.get_or_insert(format!(
                            "cannot tell whether {at} meets {min}, the minimum version for {} ({}): {why}",
                            img.version, img.file
                        ));
                        false
                    }
                },
            };
            if ok && best.is_none_or(|b| image_cmp(c, img, b, policy) == Verdict::Newer) {
                best = Some(img);
            }
        }
        let Some(next) = best else {
            return Err(no_path(c, current, &at, target, cands, unknown, policy));
        };
        hops.push(Hop {
            image: next.clone(),
            from: std::mem::replace(&mut at, next.version.clone()),
            reason: String::new(),
        });
        if image_cmp(c, next, target, policy) == Verdict::Same {
            explain_hops(c, &mut hops, policy);
            return Ok(Change {
                action: Action::Upgrade,
                final_scheme: scheme_for(policy, c, Some(next)),
                hops,
                held_back: None,
            });
        }
    }
    Err(no_path(c, current, &at, target, cands, None, policy))
}

/// One reason per hop; on a path, each intermediate hop names the gate of
/// the next one, which is why it cannot be skipped.
fn explain_hops(c: &Component, hops: &mut [Hop], policy: &Policy) {
    let n = hops.len();
    for i in 0..n {
        let scheme = scheme_for(policy, c, Some(&hops[i].image));
        let j = judge_str(&hops[i].from, scheme, &hops[i].image.version, scheme);
        let gate = hops.get(i + 1).and_then(|next| {
            let min = next.image.min_from_version.as_deref()?;
            Some(format!(": {} needs {min} or newer", next.image.version))
        });
        hops[i].reason = if n == 1 {
            format!("newer image in the repository ({})", j.reason)
        } else {
            format!(
                "upgrade path step {} of {n} ({}){}",
                i + 1,
                j.reason,
                gate.unwrap_or_default()
            )
        };
    }
}

/// Why no path leads to `target`: the gate is the image above where the
/// path stopped whose minimum is lowest, because an image at that minimum
/// is what would let the path continue.
fn no_path(
    c: &Component,
    current: &str,
    at: &str,
    target: &ImageRef,
    cands: &[ImageRef],
    unknown: Option<String>,
    policy: &Policy,
) -> Row {
    if let Some(why) = unknown {
        return Row::new(Action::VersionUnknown, why).about(target);
    }
    let mut gate: Option<(&ImageRef, &str)> = None;
    for img in cands {
        let scheme = scheme_for(policy, c, Some(img));
        let Some(min) = img.min_from_version.as_deref() else {
            continue;
        };
        if judge_str(&img.version, scheme, at, scheme).verdict != Verdict::Newer {
            continue;
        }
        if gate.is_none_or(|(_, g)| judge_str(min, scheme, g, scheme).verdict == Verdict::Older) {
            gate = Some((img, min));
        }
    }
    let stop = if at == current {
        String::new()
    } else {
        format!(" (the path stops at {at})")
    };
    let reason = match gate {
        Some((img, min)) => format!(
            "no chain of repository images leads from {current} to {}{stop}: {} needs {min} or newer; needs an intermediate image ≥ {min}",
            target.version, img.version
        ),
        None => format!(
            "no chain of repository images leads from {current} to {}{stop}",
            target.version
        ),
    };
    Row::new(Action::Blocked, reason).about(target)
}

/// Every hop's target must be at or above the component's
/// `LowestSupportedVersion`. A placeholder (`N/A`) states nothing; a value
/// that cannot be compared blocks, because the BMC may refuse the image.
fn check_lowest_supported(c: &Component, change: &Change, policy: &Policy) -> Result<(), String> {
    let Some(lowest) = c.lowest_supported_version.as_deref() else {
        return Ok(());
    };
    if !parse(lowest, None).is_comparable() {
        return Ok(());
    }
    for hop in &change.hops {
        let scheme = scheme_for(policy, c, Some(&hop.image));
        match at_least(&hop.image.version, lowest, scheme) {
            Ok(true) => {}
            Ok(false) => {
                return Err(format!(
                    "{} is below the lowest supported version {lowest} the bmc reports",
                    hop.image.version
                ))
            }
            Err(why) => {
                return Err(format!(
                    "cannot tell whether {} meets the lowest supported version {lowest}: {why}",
                    hop.image.version
                ))
            }
        }
    }
    Ok(())
}

/// What one prerequisite check concluded.
enum Check {
    /// Holds; relies on these units' planned changes (may be empty).
    Holds(Vec<usize>, Vec<String>),
    /// Only a change that is itself still pending could satisfy it.
    Wait(String),
    /// Cannot hold in this plan.
    Fails(String),
}

/// Confirms or blocks every pending change.
///
/// A prerequisite holds when every active component of the kind is at least
/// at the version, counting changes already confirmed in this plan (the
/// dependent step then runs after them). Repeating until nothing changes
/// lets chains of prerequisites resolve in any order; what is still pending
/// at the end waits on itself (circular) and is blocked.
fn resolve_prerequisites(units: &mut [Unit<'_>], policy: &Policy) {
    loop {
        let mut progress = false;
        for i in 0..units.len() {
            // Taken out while checked: a unit never satisfies its own
            // prerequisites, so its placeholder state does not matter.
            let state = std::mem::replace(&mut units[i].state, placeholder());
            let State::Pending(change) = state else {
                units[i].state = state;
                continue;
            };
            units[i].state = match check_all(i, &change, units, policy) {
                Check::Holds(deps, notes) => {
                    units[i].deps = deps;
                    progress = true;
                    State::Confirmed(change, notes)
                }
                Check::Fails(reason) => {
                    progress = true;
                    if units[i].fallbacks.is_empty() {
                        State::Done(change.blocked(reason))
                    } else {
                        // The newest cannot run in this plan: the next
                        // older image is checked the same way.
                        let row = change.blocked(reason);
                        let newest = change.target().cloned();
                        let next = units[i].fallbacks.remove(0);
                        State::Pending(match (&change.held_back, newest) {
                            (None, Some(n)) => next.falling_back_from(&n, &row),
                            (Some(h), _) => Change {
                                held_back: Some(h.clone()),
                                ..next
                            },
                            (None, None) => next,
                        })
                    }
                }
                Check::Wait(_) => State::Pending(change),
            };
        }
        if !progress {
            break;
        }
    }
    // Whatever still waits, waits on another waiting change: a cycle. The
    // reasons are taken before any is blocked, so each names the cycle.
    let reasons: Vec<Option<String>> = (0..units.len())
        .map(|i| match &units[i].state {
            State::Pending(change) => Some(match check_all(i, change, units, policy) {
                Check::Wait(r) => {
                    format!("{r}, and that update waits for this one (circular prerequisites)")
                }
                Check::Fails(r) => r,
                Check::Holds(..) => "prerequisites could not be resolved".to_owned(),
            }),
            _ => None,
        })
        .collect();
    for (unit, reason) in units.iter_mut().zip(reasons) {
        let Some(reason) = reason else { continue };
        if let State::Pending(change) = std::mem::replace(&mut unit.state, placeholder()) {
            unit.state = State::Done(change.blocked(reason));
        }
    }
}

fn placeholder() -> State {
    State::Done(Row::new(Action::Blocked, String::new()))
}

fn check_all(me: usize, change: &Change, units: &[Unit<'_>], policy: &Policy) -> Check {
    let mut deps = Vec::new();
    let mut notes = Vec::new();
    for (kind, min) in change.prerequisites() {
        match check_one(me, *kind, min, units, policy) {
            Check::Holds(d, n) => {
                for x in d {
                    if !deps.contains(&x) {
                        deps.push(x);
                    }
                }
                notes.extend(n);
            }
            other => return other,
        }
    }
    notes.dedup();
    Check::Holds(deps, notes)
}

/// Whether `kind ≥ min` holds on this host for unit `me`.
fn check_one(me: usize, kind: Kind, min: &str, units: &[Unit<'_>], policy: &Policy) -> Check {
    let need = format!("needs {kind} ≥ {min}");
    let mut deps = Vec::new();
    let mut notes = Vec::new();
    let mut seen = false;
    for (i, u) in units.iter().enumerate() {
        let p = u.component;
        if p.kind != kind {
            continue;
        }
        seen = true;
        let Some(current) = p.version.as_deref() else {
            return Check::Fails(format!("{need}, but {kind} {} reports no version", p.id));
        };
        let scheme = scheme_for(policy, p, None);
        let now = match at_least(current, min, scheme) {
            Ok(b) => b,
            Err(why) => {
                return Check::Fails(format!(
                    "{need}: cannot tell whether {kind} {current} meets it: {why}"
                ))
            }
        };
        let planned = if i == me {
            None
        } else {
            match &u.state {
                State::Confirmed(c, _) => Some((c, true)),
                State::Pending(c) => Some((c, false)),
                State::Done(_) => None,
            }
        };
        match planned {
            None if now => {}
            None => {
                return Check::Fails(format!(
                    "{need}, but {kind} runs {current} and the plan does not upgrade it"
                ))
            }
            // High enough now; the pending change only ever confirms or
            // blocks, and a blocked change leaves it where it is.
            Some((_, false)) if now => {}
            Some((change, confirmed)) => {
                let fin = change.final_version();
                let after = match at_least(fin, min, change.final_scheme) {
                    Ok(b) => b,
                    Err(why) => {
                        return Check::Fails(format!(
                            "{need}: cannot tell whether the planned {kind} {fin} meets it: {why}"
                        ))
                    }
                };
                if !after {
                    return Check::Fails(format!(
                        "{need}, but the plan takes {kind} to {fin} only"
                    ));
                }
                if !confirmed {
                    return Check::Wait(format!(
                        "{need}, which only the planned {kind} update to {fin} reaches"
                    ));
                }
                if !now {
                    deps.push(i);
                    notes.push(format!(
                        "{need}, reached by the {kind} {} to {fin} planned before it",
                        change.action
                    ));
                }
            }
        }
    }
    if !seen {
        return Check::Fails(format!("{need}, but the host reports no active {kind}"));
    }
    Check::Holds(deps, notes)
}

/// Steps in policy order, except that a unit comes after every unit its
/// prerequisites rely on (a stable topological order, ties by policy rank
/// then inventory order). Dependencies only point at units confirmed
/// earlier, so there is no cycle; the fallback keeps the function total.
fn order<'a>(units: Vec<Unit<'a>>, policy: &Policy) -> Vec<Unit<'a>> {
    let rank = |k: Kind| {
        policy
            .order
            .iter()
            .position(|o| *o == k)
            .unwrap_or(policy.order.len())
    };
    let n = units.len();
    let mut emitted = vec![false; n];
    let mut sequence = Vec::with_capacity(n);
    for _ in 0..n {
        let ready = (0..n)
            .filter(|&i| !emitted[i])
            .filter(|&i| units[i].deps.iter().all(|&d| emitted[d]))
            .min_by_key(|&i| (rank(units[i].component.kind), i))
            .or_else(|| {
                (0..n)
                    .filter(|&i| !emitted[i])
                    .min_by_key(|&i| (rank(units[i].component.kind), i))
            });
        let Some(i) = ready else { break };
        emitted[i] = true;
        sequence.push(i);
    }
    let mut slots: Vec<Option<Unit<'a>>> = units.into_iter().map(Some).collect();
    sequence
        .into_iter()
        .filter_map(|i| slots[i].take())
        .collect()
}

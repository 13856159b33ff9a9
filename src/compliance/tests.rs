//! Compliance tests: hand-made plans (the planner has its own tests), so
//! each status rule is pinned by one row.

use super::*;
use crate::inventory::model::{BmcInfo, HostInventory, SystemInfo};
use crate::planner::{HostPlan, Summary};

fn host(name: &str, model: &str, ok: bool) -> HostInventory {
    HostInventory {
        name: name.into(),
        url: format!("https://{name}"),
        ok,
        error: (!ok).then(|| format!("{name}: connection refused")),
        system: SystemInfo {
            manufacturer: Some("Dell Inc.".into()),
            model: Some(model.into()),
            ..SystemInfo::default()
        },
        bmc: BmcInfo::default(),
        components: Vec::new(),
        software: Vec::new(),
        duration_ms: 0,
    }
}

fn step(id: &str, kind: Kind, action: Action, from: &str, to: &str, image: &str) -> Step {
    Step {
        component: id.into(),
        identity: id.into(),
        kind,
        from: Some(from.into()),
        to: (!to.is_empty()).then(|| to.into()),
        action,
        reason: format!("{action}"),
        image: (!image.is_empty()).then(|| image.into()),
        method: None,
        apply_time: None,
        provenance: Default::default(),
        held_back: None,
        disruption: None,
        disruption_source: None,
        exec: None,
    }
}

fn plan(hosts: Vec<(&str, bool, Vec<Step>)>) -> Plan {
    let hosts: Vec<HostPlan> = hosts
        .into_iter()
        .map(|(name, ok, steps)| HostPlan {
            name: name.into(),
            ok,
            error: (!ok).then(|| format!("{name}: connection refused")),
            steps,
        })
        .collect();
    let summary = Summary::of(&hosts);
    Plan { hosts, summary }
}

fn crit(file: &str) -> Option<Criticality> {
    match file {
        f if f.starts_with("urgent") => Some(Criticality::Urgent),
        f if f.starts_with("optional") => Some(Criticality::Optional),
        "" => None,
        _ => Some(Criticality::Recommended),
    }
}

#[test]
fn every_action_maps_to_its_status() {
    use Action::*;
    let urgent = Some(Criticality::Urgent);
    let rec = Some(Criticality::Recommended);
    let cases = [
        (UpToDate, rec, Status::Ok),
        (Upgrade, rec, Status::Warning),
        (Upgrade, None, Status::Warning),
        (Upgrade, urgent, Status::Critical),
        (Blocked, urgent, Status::Critical),
        (Blocked, rec, Status::Warning),
        (StagedPending, None, Status::Warning),
        (NewerThanRepository, rec, Status::Downgrade),
        (Downgrade, rec, Status::Downgrade),
        (NoImage, None, Status::Unknown),
        (VersionUnknown, rec, Status::Unknown),
        (NotUpdateable, None, Status::Unknown),
    ];
    for (action, c, want) in cases {
        assert_eq!(status_of(action, c), want, "{action} {c:?}");
    }
    assert!(Status::Critical > Status::Warning && Status::Warning > Status::Unknown);
    assert!(Status::Unknown > Status::Downgrade && Status::Downgrade > Status::Ok);
}

#[test]
fn hosts_roll_up_per_model_and_kind_and_the_fleet_takes_the_worst() {
    let now = DateTime::parse_from_rfc3339("2026-05-01T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let a = host("r750-a", "PowerEdge R750", true);
    let b = host("r750-b", "PowerEdge R750", true);
    let c = host("dl380", "ProLiant DL380 Gen10", true);
    let d = host("down", "PowerEdge R750", false);
    let p = plan(vec![
        (
            "r750-a",
            true,
            vec![
                step(
                    "bios",
                    Kind::Bios,
                    Action::UpToDate,
                    "2.19.1",
                    "2.19.1",
                    "bios-2.19.1.exe",
                ),
                // An upgrade path of two hops is one component, from the
                // running version to the last target; an urgent hop makes
                // it critical.
                step(
                    "idrac",
                    Kind::Bmc,
                    Action::Upgrade,
                    "5.10",
                    "6.10",
                    "idrac-6.10.exe",
                ),
                step(
                    "idrac",
                    Kind::Bmc,
                    Action::Upgrade,
                    "6.10",
                    "7.00",
                    "urgent-idrac-7.00.exe",
                ),
            ],
        ),
        (
            "r750-b",
            true,
            vec![
                step(
                    "bios",
                    Kind::Bios,
                    Action::Upgrade,
                    "2.18.0",
                    "2.19.1",
                    "bios-2.19.1.exe",
                ),
                step(
                    "idrac",
                    Kind::Bmc,
                    Action::NewerThanRepository,
                    "7.10",
                    "7.00",
                    "x.exe",
                ),
            ],
        ),
        (
            "dl380",
            true,
            vec![step(
                "rom",
                Kind::Bios,
                Action::NoImage,
                "U46 v2.72 (03/10/2023)",
                "",
                "",
            )],
        ),
        ("down", false, vec![]),
    ]);
    let inputs = [
        HostInput {
            inventory: &a,
            scanned_at: Some("2026-05-01T11:00:00Z"),
        },
        HostInput {
            inventory: &b,
            scanned_at: Some("2026-05-01T11:59:00Z"),
        },
        HostInput {
            inventory: &c,
            scanned_at: Some("2026-04-30T12:00:00Z"),
        },
        HostInput {
            inventory: &d,
            scanned_at: None,
        },
    ];
    let r = judge(&inputs, &p, &crit, now);

    let a = &r.hosts[0];
    assert_eq!(a.status, Status::Critical);
    assert_eq!(a.inventory_age_s, Some(3600));
    let idrac = &a.components[1];
    assert_eq!(
        (
            idrac.current.as_deref(),
            idrac.target.as_deref(),
            idrac.status
        ),
        (Some("5.10"), Some("7.00"), Status::Critical)
    );
    assert_eq!(idrac.criticality, Some(Criticality::Urgent));
    assert_eq!(a.components.len(), 2);
    assert_eq!(r.hosts[1].status, Status::Warning);
    assert_eq!(r.hosts[2].status, Status::Unknown);
    assert_eq!(r.hosts[3].status, Status::Unknown);
    assert!(r.hosts[3]
        .error
        .as_deref()
        .unwrap()
        .contains("connection refused"));

    let roll = |model: &str, kind: Kind| {
        r.by_model_kind
            .iter()
            .find(|x| x.model == model && x.kind == kind)
            .unwrap_or_else(|| panic!("no roll-up {model} {kind}"))
    };
    let bios = roll("PowerEdge R750", Kind::Bios);
    assert_eq!(
        (bios.counts[&Status::Ok], bios.counts[&Status::Warning]),
        (1, 1)
    );
    assert_eq!((bios.status, bios.hosts), (Status::Warning, 2));
    let bmc = roll("PowerEdge R750", Kind::Bmc);
    assert_eq!(
        (
            bmc.counts[&Status::Critical],
            bmc.counts[&Status::Downgrade]
        ),
        (1, 1)
    );
    assert_eq!(bmc.status, Status::Critical);
    assert_eq!(
        roll("ProLiant DL380 Gen10", Kind::Bios).status,
        Status::Unknown
    );

    assert_eq!(r.fleet.status, Status::Critical);
    assert_eq!(r.fleet.hosts, 4);
    assert_eq!(r.fleet.hosts_by_status[&Status::Unknown], 2);
    assert_eq!(r.fleet.oldest_inventory_age_s, Some(86_400));
    assert_eq!(
        r.fleet.oldest_inventory_at.as_deref(),
        Some("2026-04-30T12:00:00Z")
    );

    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["fleet"]["status"], "critical");
    assert_eq!(json["hosts"][0]["components"][1]["status"], "critical");
    assert_eq!(json["by_model_kind"][0]["counts"]["ok"], 1);

    let table = render_table(&r);
    assert!(table.contains("fleet: critical (4 hosts"), "{table}");
    assert!(table.contains("(24h old)"), "{table}");
    let csv = render_csv(&r);
    assert!(csv.starts_with(
        "host,model,component,kind,status,current,target,criticality,image,inventory_at,reason\n"
    ));
    assert!(
        csv.contains(
            "r750-a,PowerEdge R750,idrac,bmc,critical,5.10,7.00,urgent,urgent-idrac-7.00.exe,"
        ),
        "{csv}"
    );
}

#[test]
fn an_empty_fleet_is_ok_and_has_no_inventory_age() {
    let r = judge(&[], &plan(vec![]), &crit, Utc::now());
    assert_eq!((r.fleet.status, r.fleet.hosts), (Status::Ok, 0));
    assert_eq!(r.fleet.oldest_inventory_age_s, None);
}

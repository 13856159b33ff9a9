//! Schedule tests. Every instant is explicit; expected starts are written in
//! the window's local time *with* the offset (`2025-03-30T03:00+02:00`), so a
//! wrong offset fails as loudly as a wrong hour. Transition dates used:
//! Europe/Berlin 2025-03-30 (02:00 → 03:00) and 2025-10-26 (03:00 → 02:00);
//! America/New_York 2025-03-09 (02:00 → 03:00) and 2025-11-02 (02:00 → 01:00).

use super::*;
use crate::vocab::Kind;
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use std::time::Duration;

mod props;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("bad instant {s}: {e}"))
        .with_timezone(&Utc)
}

/// `2025-03-30T03:00+02:00`: an instant as a local time in `zone`.
fn local(t: DateTime<Utc>, zone: &str) -> String {
    let zone: Tz = zone.parse().expect("zone");
    t.with_timezone(&zone)
        .format("%Y-%m-%dT%H:%M%:z")
        .to_string()
}

fn window(cron: &str, duration: &str, zone: &str) -> Window {
    Window::recurring("w", cron, duration, zone)
        .unwrap_or_else(|e| panic!("window {cron} {duration} {zone}: {e}"))
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The next `n` starts at or after `now`, as local times with offsets.
fn check_starts(cron: &str, zone: &str, now: &str, expected: &[&str]) {
    let w = window(cron, "1h", zone);
    let got: Vec<String> = w
        .starts_from(utc(now))
        .take(expected.len())
        .map(|t| local(t, zone))
        .collect();
    assert_eq!(got, expected, "cron `{cron}` in {zone} from {now}");
}

/// (cron, zone, now, the next starts as local times with offsets).
type StartsRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);

#[rustfmt::skip]
const PLAIN: &[StartsRow] = &[
    // Winter and summer in Berlin: same wall clock, different UTC.
    ("0 2 * * tue", "Europe/Berlin", "2025-01-01T00:00:00Z", &["2025-01-07T02:00+01:00", "2025-01-14T02:00+01:00"]),
    ("0 2 * * tue", "Europe/Berlin", "2025-06-30T12:00:00Z", &["2025-07-01T02:00+02:00"]),
    // A start exactly at `now` counts (00:00Z is 02:00 CEST).
    ("0 2 * * tue", "Europe/Berlin", "2025-07-01T00:00:00Z", &["2025-07-01T02:00+02:00"]),
    ("0 2 * * tue", "Europe/Berlin", "2025-07-01T00:00:01Z", &["2025-07-08T02:00+02:00"]),
    ("0 22 * * fri", "America/New_York", "2025-01-01T00:00:00Z", &["2025-01-03T22:00-05:00", "2025-01-10T22:00-05:00"]),
    ("0 22 * * fri", "America/New_York", "2025-06-01T00:00:00Z", &["2025-06-06T22:00-04:00"]),
    // Lists, ranges, steps and names.
    ("0,30 1 * * mon-wed", "UTC", "2025-01-05T00:00:00Z", &["2025-01-06T01:00+00:00", "2025-01-06T01:30+00:00", "2025-01-07T01:00+00:00"]),
    ("*/20 3 1 jan,jul *", "UTC", "2025-02-01T00:00:00Z", &["2025-07-01T03:00+00:00", "2025-07-01T03:20+00:00", "2025-07-01T03:40+00:00", "2026-01-01T03:00+00:00"]),
    ("10/25 4 * * *", "UTC", "2025-01-01T00:00:00Z", &["2025-01-01T04:10+00:00", "2025-01-01T04:35+00:00", "2025-01-02T04:10+00:00"]),
    ("0 5 * * 7", "UTC", "2025-01-01T00:00:00Z", &["2025-01-05T05:00+00:00"]),
    ("0 5 * * SUN", "UTC", "2025-01-01T00:00:00Z", &["2025-01-05T05:00+00:00"]),
    // Both day fields restricted: either may match (the 13th, or a Friday).
    ("0 0 13 * fri", "UTC", "2025-06-01T00:00:00Z", &["2025-06-06T00:00+00:00", "2025-06-13T00:00+00:00", "2025-06-20T00:00+00:00"]),
    // Day of month restricted, day of week `*`: both must match.
    ("0 0 13 * *", "UTC", "2025-06-01T00:00:00Z", &["2025-06-13T00:00+00:00", "2025-07-13T00:00+00:00"]),
    // Leap day, years apart.
    ("0 0 29 2 *", "UTC", "2025-01-01T00:00:00Z", &["2028-02-29T00:00+00:00"]),
];

#[rustfmt::skip]
const GAPS: &[StartsRow] = &[
    // 02:30 does not exist on 2025-03-30 in Berlin: the window opens at 03:00 CEST.
    ("30 2 * * *", "Europe/Berlin", "2025-03-29T12:00:00Z", &["2025-03-30T03:00+02:00", "2025-03-31T02:30+02:00"]),
    // `now` exactly at the end of the gap still sees that start.
    ("30 2 * * *", "Europe/Berlin", "2025-03-30T01:00:00Z", &["2025-03-30T03:00+02:00"]),
    ("30 2 * * *", "Europe/Berlin", "2025-03-30T01:00:01Z", &["2025-03-31T02:30+02:00"]),
    // Four starts inside the gap make one window, not four.
    ("*/15 2 * * *", "Europe/Berlin", "2025-03-29T12:00:00Z", &["2025-03-30T03:00+02:00", "2025-03-31T02:00+02:00"]),
    // A gap start that coincides with a real 03:00 start: still one.
    ("0 2,3 * * *", "Europe/Berlin", "2025-03-29T12:00:00Z", &["2025-03-30T03:00+02:00", "2025-03-31T02:00+02:00"]),
    ("30 2 * * sun", "America/New_York", "2025-03-01T00:00:00Z", &["2025-03-02T02:30-05:00", "2025-03-09T03:00-04:00", "2025-03-16T02:30-04:00"]),
    // Chile springs forward at midnight: 00:00 → 01:00.
    ("0 0 * * *", "America/Santiago", "2025-09-06T12:00:00Z", &["2025-09-07T01:00-03:00", "2025-09-08T00:00-03:00"]),
    // Lord Howe moves by half an hour: 02:00 → 02:30.
    ("15 2 * * *", "Australia/Lord_Howe", "2025-10-04T00:00:00Z", &["2025-10-05T02:30+11:00", "2025-10-06T02:15+11:00"]),
];

#[rustfmt::skip]
const OVERLAPS: &[StartsRow] = &[
    // 02:30 happens twice on 2025-10-26 in Berlin (+02:00, then +01:00): one window, the first.
    ("30 2 * * *", "Europe/Berlin", "2025-10-25T12:00:00Z", &["2025-10-26T02:30+02:00", "2025-10-27T02:30+01:00"]),
    // During the repeated hour (the second 02:10, +01:00) the first 02:30 is past: no second window.
    ("30 2 * * *", "Europe/Berlin", "2025-10-26T01:10:00Z", &["2025-10-27T02:30+01:00"]),
    // Every 20 minutes: the repeated hour does not fire again.
    ("*/20 2 26 10 *", "Europe/Berlin", "2025-10-25T12:00:00Z", &["2025-10-26T02:00+02:00", "2025-10-26T02:20+02:00", "2025-10-26T02:40+02:00", "2026-10-26T02:00+01:00"]),
    ("30 1 * * *", "America/New_York", "2025-11-01T12:00:00Z", &["2025-11-02T01:30-04:00", "2025-11-03T01:30-05:00"]),
];

#[test]
fn windows_open_at_the_right_instant() {
    for (cron, zone, now, expected) in PLAIN {
        check_starts(cron, zone, now, expected);
    }
}

#[test]
fn daylight_saving_gap_opens_at_the_end_of_the_gap() {
    for (cron, zone, now, expected) in GAPS {
        check_starts(cron, zone, now, expected);
    }
}

#[test]
fn daylight_saving_overlap_uses_the_first_occurrence_only() {
    for (cron, zone, now, expected) in OVERLAPS {
        check_starts(cron, zone, now, expected);
    }
    // The instants themselves, to pin the offsets independently of formatting.
    let w = window("30 2 * * *", "1h", "Europe/Berlin");
    assert_eq!(
        w.next_start(utc("2025-10-25T12:00:00Z")),
        Some(utc("2025-10-26T00:30:00Z"))
    );
    assert_eq!(
        w.next_start(utc("2025-03-29T12:00:00Z")),
        Some(utc("2025-03-30T01:00:00Z"))
    );
}

#[test]
fn durations_are_elapsed_time_across_a_change() {
    // (cron, zone, now, start, end), all local with offsets.
    let cases = [
        // Spring: 4 elapsed hours are 5 on the wall clock.
        (
            "0 1 * * *",
            "Europe/Berlin",
            "2025-03-29T23:30:00Z",
            "2025-03-30T01:00+01:00",
            "2025-03-30T06:00+02:00",
        ),
        // Autumn: 4 elapsed hours are 3 on the wall clock.
        (
            "0 1 * * *",
            "Europe/Berlin",
            "2025-10-25T22:30:00Z",
            "2025-10-26T01:00+02:00",
            "2025-10-26T04:00+01:00",
        ),
        (
            "0 0 * * *",
            "America/New_York",
            "2025-11-02T03:00:00Z",
            "2025-11-02T00:00-04:00",
            "2025-11-02T03:00-05:00",
        ),
    ];
    for (cron, zone, now, start, end) in cases {
        let w = window(cron, "4h", zone);
        let s = w.next_start(utc(now)).expect("a start");
        let open = w
            .open_at(s + TimeDelta::hours(2))
            .expect("open two hours in");
        assert_eq!(open.start, s, "{cron} {zone}");
        assert_eq!(open.end - open.start, TimeDelta::hours(4), "{cron} {zone}");
        assert_eq!(
            (local(open.start, zone), local(open.end, zone)),
            (start.to_string(), end.to_string()),
            "{cron} {zone}"
        );
    }
}

#[test]
fn open_at_returns_the_window_containing_now() {
    // Tuesday 2025-01-07 02:00-06:00 CET = 01:00Z-05:00Z.
    let w = window("0 2 * * tue", "4h", "Europe/Berlin");
    let cases = [
        ("2025-01-07T00:59:59Z", None),
        (
            "2025-01-07T01:00:00Z",
            Some(("2025-01-07T01:00:00Z", "2025-01-07T05:00:00Z")),
        ),
        (
            "2025-01-07T03:30:00Z",
            Some(("2025-01-07T01:00:00Z", "2025-01-07T05:00:00Z")),
        ),
        (
            "2025-01-07T04:59:59Z",
            Some(("2025-01-07T01:00:00Z", "2025-01-07T05:00:00Z")),
        ),
        ("2025-01-07T05:00:00Z", None),
        ("2025-01-08T03:00:00Z", None),
    ];
    let schedule = Schedule::new(vec![w.clone()]);
    for (now, expected) in cases {
        let expected = expected.map(|(s, e)| (utc(s), utc(e)));
        let got = w.open_at(utc(now)).map(|o| (o.start, o.end));
        assert_eq!(got, expected, "window at {now}");
        let span = schedule
            .open_at(utc(now), &Labels::new())
            .map(|s| (s.start, s.end));
        assert_eq!(span, expected, "schedule at {now}");
    }
    // The next window after an open one is the following week's.
    let next = schedule
        .next_window(utc("2025-01-07T03:30:00Z"), &Labels::new())
        .expect("next");
    assert_eq!(next.start, utc("2025-01-14T01:00:00Z"));
    assert_eq!(next.windows, vec!["w".to_string()]);
}

#[test]
fn one_shot_windows() {
    let spec = WindowSpec {
        name: Some("emergency".into()),
        at: Some("2025-03-30T03:00:00+02:00".into()),
        duration: Some("90m".into()),
        ..WindowSpec::default()
    };
    let w = spec.validate(0).expect("valid");
    let at = utc("2025-03-30T01:00:00Z");
    assert_eq!(w.next_start(utc("2025-03-29T00:00:00Z")), Some(at));
    assert_eq!(w.next_start(at), Some(at));
    assert_eq!(w.next_start(at + TimeDelta::seconds(1)), None);
    assert_eq!(
        w.open_at(at + TimeDelta::minutes(89)).map(|o| o.end),
        Some(at + TimeDelta::minutes(90))
    );
    assert_eq!(w.open_at(at + TimeDelta::minutes(90)), None);
}

#[test]
fn per_label_windows() {
    let rack_a = Window::recurring("rack-a", "0 2 * * tue", "4h", "Europe/Berlin")
        .expect("valid")
        .with_labels(&["rack=a"])
        .expect("selector");
    let rack_b = Window::recurring("rack-b", "0 2 * * thu", "4h", "Europe/Berlin")
        .expect("valid")
        .with_labels(&["rack-b"])
        .expect("selector");
    let schedule = Schedule::new(vec![rack_a, rack_b]);
    let now = utc("2025-01-06T12:00:00Z"); // a Monday
    let cases = [
        (
            labels(&[("rack", "a")]),
            Some(("2025-01-07T01:00:00Z", "rack-a")),
        ),
        // A bare selector matches any label with that value.
        (
            labels(&[("rack", "rack-b")]),
            Some(("2025-01-09T01:00:00Z", "rack-b")),
        ),
        (
            labels(&[("row", "rack-b"), ("rack", "a")]),
            Some(("2025-01-07T01:00:00Z", "rack-a")),
        ),
        // `rack=a` is not `a` under another key.
        (labels(&[("row", "a")]), None),
        (labels(&[]), None),
    ];
    for (host, expected) in cases {
        let got = schedule
            .next_window(now, &host)
            .map(|s| (s.start, s.windows[0].clone()));
        assert_eq!(
            got,
            expected.map(|(t, n)| (utc(t), n.to_string())),
            "{host:?}"
        );
    }
}

#[test]
fn overlapping_and_touching_openings_merge_into_one_span() {
    let fleet = Window::recurring("fleet", "0 2 * * *", "2h", "UTC").expect("valid");
    let rack = Window::recurring("rack", "0 3 * * *", "3h", "UTC")
        .expect("valid")
        .with_labels(&["rack=a"])
        .expect("selector");
    let schedule = Schedule::new(vec![fleet, rack]);
    let a = labels(&[("rack", "a")]);
    let b = labels(&[("rack", "b")]);
    let span = schedule
        .open_at(utc("2025-01-01T05:00:00Z"), &a)
        .expect("open");
    assert_eq!(
        (span.start, span.end, span.windows.clone()),
        (
            utc("2025-01-01T02:00:00Z"),
            utc("2025-01-01T06:00:00Z"),
            vec!["fleet".to_string(), "rack".to_string()]
        )
    );
    assert_eq!(schedule.open_at(utc("2025-01-01T05:00:00Z"), &b), None);

    // Hourly one-hour openings touch: one span from 01:00 to 04:00.
    let touching = Schedule::new(vec![window("0 1-3 * * *", "1h", "UTC")]);
    let span = touching
        .open_at(utc("2025-01-01T02:30:00Z"), &Labels::new())
        .expect("open");
    assert_eq!(
        (span.start, span.end),
        (utc("2025-01-01T01:00:00Z"), utc("2025-01-01T04:00:00Z"))
    );
    // A 2h step fits from 02:00 only because the openings are merged.
    assert!(fits(
        utc("2025-01-01T02:00:00Z"),
        span.end,
        Duration::from_secs(7200)
    ));

    // Always open: the span is followed for MAX_SPAN each way, no further.
    let always = Schedule::new(vec![window("* * * * *", "5m", "UTC")]);
    let now = utc("2025-01-01T00:00:00Z");
    let span = always.open_at(now, &Labels::new()).expect("open");
    assert!(
        span.start >= now - MAX_SPAN - TimeDelta::minutes(5)
            && span.end <= now + MAX_SPAN + TimeDelta::minutes(5)
    );
    assert!(span.end - now >= MAX_SPAN);
}

#[test]
fn fits_never_overruns() {
    let end = utc("2025-01-07T05:00:00Z");
    let cases = [
        ("2025-01-07T03:00:00Z", 2 * 3600, true),
        ("2025-01-07T03:00:01Z", 2 * 3600, false),
        ("2025-01-07T05:00:00Z", 0, true),
        ("2025-01-07T01:00:00Z", 5 * 3600, false),
    ];
    for (now, secs, expected) in cases {
        assert_eq!(
            fits(utc(now), end, Duration::from_secs(secs)),
            expected,
            "{now} + {secs}s"
        );
    }
    assert!(!fits(utc("2025-01-07T03:00:00Z"), end, Duration::MAX));
}

fn bmc() -> ComponentKey {
    ComponentKey::new(Kind::Bmc, "BMC")
}

fn bios() -> ComponentKey {
    ComponentKey::new(Kind::Bios, "BIOS")
}

fn mins(m: u64) -> Duration {
    Duration::from_secs(m * 60)
}

#[test]
fn estimates_from_history_or_default() {
    let mut est = Estimates::new(EstimateSettings {
        default: mins(45),
        percentile: 90,
    });
    assert_eq!(
        est.estimate(&bmc(), "R650"),
        Estimate {
            duration: mins(45),
            source: EstimateSource::Default
        }
    );
    for m in [30, 10, 20, 100, 40, 50, 60, 70, 80, 90] {
        est.record(&bmc(), "R650", mins(m));
    }
    // p90 of ten samples is the 9th smallest.
    assert_eq!(
        est.estimate(&bmc(), "R650"),
        Estimate {
            duration: mins(90),
            source: EstimateSource::History { samples: 10 }
        }
    );
    // Another model or component has no history of its own.
    assert_eq!(est.estimate(&bmc(), "R750").source, EstimateSource::Default);
    assert_eq!(
        est.estimate(&bios(), "R650").source,
        EstimateSource::Default
    );

    let cases = [
        (50, &[7, 1, 5][..], 5),
        (50, &[1, 2, 3, 4], 2),
        (100, &[3, 9, 1], 9),
        (1, &[3, 9, 1], 1),
        (90, &[12], 12),
    ];
    for (percentile, samples, expected) in cases {
        let mut e = Estimates::new(EstimateSettings {
            default: mins(60),
            percentile,
        });
        for s in samples {
            e.record(&bios(), "m", mins(*s));
        }
        assert_eq!(
            e.estimate(&bios(), "m").duration,
            mins(expected),
            "p{percentile} of {samples:?}"
        );
    }

    let spec: EstimatesSpec = toml::from_str("default = \"1h30m\"\npercentile = 50").expect("toml");
    assert_eq!(
        spec.validate(),
        Ok(EstimateSettings {
            default: mins(90),
            percentile: 50
        })
    );
    assert_eq!(
        EstimatesSpec::default().validate(),
        Ok(EstimateSettings::default())
    );
    let bad = EstimatesSpec {
        percentile: Some(0),
        ..EstimatesSpec::default()
    };
    assert_eq!(bad.validate().map_err(|e| e.field), Err("percentile"));
    let zero = EstimatesSpec {
        default: Some("0s".into()),
        ..EstimatesSpec::default()
    };
    assert_eq!(zero.validate().map_err(|e| e.field), Err("default"));
}

fn step(host: &str, rack: &str, component: ComponentKey) -> PendingStep {
    PendingStep {
        host: host.into(),
        labels: labels(&[("rack", rack)]),
        component,
        model: "R650".into(),
    }
}

/// One row per step: `host component -> now|later(reason, next start)`.
fn check_split(
    schedule: &Schedule,
    estimates: &Estimates,
    now: &str,
    steps: &[PendingStep],
    expected: &[&str],
) {
    let split = split_steps(schedule, estimates, utc(now), steps);
    let mut rows: Vec<String> = split
        .now
        .iter()
        .map(|r| {
            format!(
                "{} {} -> now at {}",
                r.step.host,
                r.step.component,
                r.begin.to_rfc3339()
            )
        })
        .collect();
    rows.extend(split.later.iter().map(|d| {
        let reason = match &d.reason {
            WaitReason::NoWindowForHost => "no-window".to_string(),
            WaitReason::Closed => "closed".to_string(),
            WaitReason::WouldOverrun { .. } => "overrun".to_string(),
            WaitReason::AfterWaitingStep => "queued".to_string(),
        };
        let next = d.next_start.map_or("none".to_string(), |t| t.to_rfc3339());
        format!(
            "{} {} -> later {reason} {next}",
            d.step.host, d.step.component
        )
    }));
    assert_eq!(rows, expected, "split at {now}");
}

#[test]
fn steps_that_would_overrun_wait_for_the_next_window() {
    // Rack a: Tuesdays 02:00-06:00 Berlin (01:00Z-05:00Z in January).
    let schedule = Schedule::new(vec![Window::recurring(
        "rack-a",
        "0 2 * * tue",
        "4h",
        "Europe/Berlin",
    )
    .expect("valid")
    .with_labels(&["rack=a"])
    .expect("selector")]);
    let mut est = Estimates::new(EstimateSettings {
        default: mins(60),
        percentile: 90,
    });
    est.record(&bios(), "R650", mins(120));
    let steps = [
        step("n1", "a", bmc()),  // default 1h
        step("n1", "a", bios()), // 2h from history: begins 04:30Z, would end 06:30Z
        step("n1", "a", ComponentKey::new(Kind::Nic, "NIC1")),
        step("n2", "a", bios()),
        step("n3", "b", bmc()),
    ];
    // 03:30Z: 1h30 left in the window.
    check_split(
        &schedule,
        &est,
        "2025-01-07T03:30:00Z",
        &steps,
        &[
            "n1 bmc BMC -> now at 2025-01-07T03:30:00+00:00",
            "n1 bios BIOS -> later overrun 2025-01-14T01:00:00+00:00",
            "n1 nic NIC1 -> later queued 2025-01-14T01:00:00+00:00",
            "n2 bios BIOS -> later overrun 2025-01-14T01:00:00+00:00",
            "n3 bmc BMC -> later no-window none",
        ],
    );
    // At the opening everything of rack a fits, back to back per host.
    check_split(
        &schedule,
        &est,
        "2025-01-07T01:00:00Z",
        &steps[..4],
        &[
            "n1 bmc BMC -> now at 2025-01-07T01:00:00+00:00",
            "n1 bios BIOS -> now at 2025-01-07T02:00:00+00:00",
            "n1 nic NIC1 -> now at 2025-01-07T04:00:00+00:00",
            "n2 bios BIOS -> now at 2025-01-07T01:00:00+00:00",
        ],
    );
    // Closed: the next window's start.
    check_split(
        &schedule,
        &est,
        "2025-01-08T00:00:00Z",
        &steps[..1],
        &["n1 bmc BMC -> later closed 2025-01-14T01:00:00+00:00"],
    );
    // A step longer than the window never fits: no next start to promise.
    est.record(&bmc(), "R650", mins(300));
    let split = split_steps(&schedule, &est, utc("2025-01-08T00:00:00Z"), &steps[..1]);
    assert_eq!(split.later[0].next_start, None);
    assert_eq!(split.next_start(), None);
}

/// A valid spec to break one key at a time.
fn spec() -> WindowSpec {
    WindowSpec {
        name: Some("rack-a".into()),
        cron: Some("0 2 * * tue".into()),
        duration: Some("4h".into()),
        timezone: Some("Europe/Berlin".into()),
        ..WindowSpec::default()
    }
}

#[test]
fn bad_windows_name_the_window_the_key_and_the_fix() {
    type Edit = fn(&mut WindowSpec);
    let cases: &[(Edit, &str, &str)] = &[
        (
            |s| s.cron = Some("0 25 * * *".into()),
            "cron",
            "hour field `25`: 25 is out of range; write 0-23",
        ),
        (
            |s| s.cron = Some("0 2 * *".into()),
            "cron",
            "has 4 field(s), expected 5",
        ),
        (
            |s| s.cron = Some("0 2 * * tuesday".into()),
            "cron",
            "write 0-7 or sun-sat",
        ),
        (
            |s| s.cron = Some("0 2 * * fri-mon".into()),
            "cron",
            "runs backwards",
        ),
        (|s| s.cron = Some("*/0 2 * * *".into()), "cron", "step 0"),
        (
            |s| s.cron = Some("0 2 31 feb *".into()),
            "cron",
            "never matches",
        ),
        (
            |s| s.timezone = Some("Europe/Berlinn".into()),
            "timezone",
            "not a known time zone",
        ),
        (
            |s| s.timezone = Some("europe/berlin".into()),
            "timezone",
            "did you mean timezone = \"Europe/Berlin\"",
        ),
        (|s| s.timezone = None, "timezone", "is missing"),
        (|s| s.duration = Some("0m".into()), "duration", "is zero"),
        (
            |s| s.duration = Some("4 hours".into()),
            "duration",
            "unknown unit",
        ),
        (
            |s| s.duration = Some("32d".into()),
            "duration",
            "longer than 31d",
        ),
        (
            |s| s.duration = Some("30m1h".into()),
            "duration",
            "out of order",
        ),
        (
            |s| s.duration = Some("90".into()),
            "duration",
            "has no unit",
        ),
        (|s| s.duration = None, "duration", "is missing"),
        (|s| s.name = None, "name", "is missing"),
        (|s| s.cron = None, "cron", "is missing (and so is at)"),
        (
            |s| s.at = Some("2025-03-30T01:00:00Z".into()),
            "at",
            "together with cron",
        ),
        (
            |s| {
                s.cron = None;
                s.at = Some("2025-03-30 01:00".into());
                s.timezone = None;
            },
            "at",
            "not an RFC 3339 instant",
        ),
        (
            |s| {
                s.cron = None;
                s.at = Some("2025-03-30T01:00:00Z".into());
            },
            "timezone",
            "one-shot",
        ),
        (|s| s.labels = Some(vec![]), "labels", "empty list"),
        (
            |s| s.labels = Some(vec!["rack=".into()]),
            "labels",
            "empty side",
        ),
    ];
    for (edit, field, fragment) in cases {
        let mut s = spec();
        edit(&mut s);
        let err = s.validate(3).expect_err(&format!("{s:?} should fail"));
        assert_eq!((err.field, err.index), (*field, 3), "{err}");
        assert!(err.message.contains(fragment), "{err:?} lacks {fragment:?}");
        assert!(
            err.message.contains("hint:") || err.message.contains("write"),
            "{err} gives no fix"
        );
        let shown = err.to_string();
        assert!(shown.contains(&format!("windows[3].{field}")), "{shown}");
        if s.name.is_some() {
            assert!(shown.starts_with("window 'rack-a'"), "{shown}");
        }
    }
    let dup = Schedule::from_specs(&[spec(), spec()]).expect_err("duplicate");
    assert_eq!((dup.index, dup.field), (1, "name"));
}

#[test]
fn windows_deserialize_from_toml() {
    #[derive(serde::Deserialize)]
    struct File {
        windows: Vec<WindowSpec>,
    }
    let text = r#"
        [[windows]]
        name = "rack-a"
        cron = "0 2 * * tue"
        duration = "4h"
        timezone = "Europe/Berlin"
        labels = ["rack=a"]

        [[windows]]
        name = "rack-b"
        cron = "0 2 * * thu"
        duration = "1h30m"
        timezone = "Europe/Berlin"
        labels = ["rack-b"]

        [[windows]]
        name = "hotfix"
        at = 2025-03-30T01:00:00Z
        duration = "2h"
    "#;
    let file: File = toml::from_str(text).expect("toml");
    let schedule = Schedule::from_specs(&file.windows).expect("valid");
    let names: Vec<&str> = schedule.windows().iter().map(Window::name).collect();
    assert_eq!(names, ["rack-a", "rack-b", "hotfix"]);
    assert_eq!(schedule.windows()[1].duration(), mins(90));
    assert_eq!(
        schedule.windows()[2].recurrence(),
        &Recurrence::Once(utc("2025-03-30T01:00:00Z"))
    );
    assert!(schedule.windows()[2].applies_to(&labels(&[("rack", "x")])));
    assert_eq!(
        schedule.windows()[0].to_string(),
        "rack-a (cron \"0 2 * * tue\" Europe/Berlin, 4h)"
    );

    let unknown = toml::from_str::<File>("[[windows]]\nname = \"x\"\ncorn = \"0 2 * * *\"");
    assert!(unknown.is_err(), "unknown keys are errors");
}

#[test]
fn durations_parse_and_print() {
    let cases = [
        ("4h", 4 * 3600),
        ("90m", 5400),
        ("1h30m", 5400),
        ("1h 30m", 5400),
        ("2d", 172_800),
        ("45s", 45),
        ("1d2h3m4s", 93_784),
        ("0s", 0),
    ];
    for (text, secs) in cases {
        assert_eq!(
            parse_duration(text),
            Ok(Duration::from_secs(secs)),
            "{text}"
        );
    }
    for bad in ["", "h", "4", "4x", "1m1h", "1h1h", "-1h"] {
        assert!(parse_duration(bad).is_err(), "{bad:?} should fail");
    }
    assert_eq!(fmt_duration(Duration::from_secs(5400)), "1h30m");
    assert_eq!(fmt_duration(Duration::from_secs(93_784)), "1d2h3m4s");
}

/// The example and the error shown in docs/CONFIG.md are real.
#[test]
fn config_doc_example_is_valid() {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        windows: Vec<WindowSpec>,
        estimates: EstimatesSpec,
    }
    let doc = include_str!("../../docs/CONFIG.md");
    let section = &doc[doc.find("## `[[windows]]`").expect("section")..];
    let example = section
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("example block");
    let file: File = toml::from_str(example).expect("example parses");
    let schedule = Schedule::from_specs(&file.windows).expect("example validates");
    assert_eq!(schedule.windows().len(), 3);
    assert_eq!(file.estimates.validate().map(|e| e.default), Ok(mins(45)));
    let mut bad = spec();
    bad.cron = Some("0 25 * * tue".into());
    let shown = bad.validate(0).expect_err("bad hour").to_string();
    let documented = section
        .split("```text\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("error block");
    assert_eq!(shown, documented);
}

/// The scheduler's view at `now`: `span start..end: hosts` per due group,
/// then `next <instant>`.
fn check_due(
    schedule: &Schedule,
    now: &str,
    hosts: &[(&str, Labels)],
    handled: &[(&str, &str)],
    expected: &[&str],
) {
    let handled: std::collections::HashMap<String, DateTime<Utc>> = handled
        .iter()
        .map(|(h, t)| (h.to_string(), utc(t)))
        .collect();
    let d = due(
        schedule,
        utc(now),
        hosts.iter().map(|(n, l)| (*n, l)),
        &handled,
    );
    let mut rows: Vec<String> = d
        .groups
        .iter()
        .map(|g| {
            format!(
                "{}..{}: {}",
                g.span.start.to_rfc3339(),
                g.span.end.to_rfc3339(),
                g.hosts.join(",")
            )
        })
        .collect();
    rows.push(format!(
        "next {}",
        d.next_start.map_or("none".into(), |t| t.to_rfc3339())
    ));
    assert_eq!(rows, expected, "due at {now}");
}

fn rack_hosts() -> Vec<(&'static str, Labels)> {
    vec![
        ("n1", labels(&[("rack", "a")])),
        ("n2", labels(&[("rack", "a")])),
        ("n3", labels(&[("rack", "b")])),
        ("n4", labels(&[])),
    ]
}

#[test]
fn a_window_opens_and_a_rollout_starts_once_per_opening() {
    // Rack a: Tuesdays 02:00-06:00 Berlin = 01:00Z-05:00Z in January.
    let schedule = Schedule::new(vec![Window::recurring(
        "rack-a",
        "0 2 * * tue",
        "4h",
        "Europe/Berlin",
    )
    .expect("valid")
    .with_labels(&["rack=a"])
    .expect("selector")]);
    let hosts = rack_hosts();
    // A second before: nothing due, wake at the opening.
    check_due(
        &schedule,
        "2025-01-07T00:59:59Z",
        &hosts,
        &[],
        &["next 2025-01-07T01:00:00+00:00"],
    );
    // At the opening: rack a's hosts, not rack b's nor the unlabelled one.
    check_due(
        &schedule,
        "2025-01-07T01:00:00Z",
        &hosts,
        &[],
        &[
            "2025-01-07T01:00:00+00:00..2025-01-07T05:00:00+00:00: n1,n2",
            "next 2025-01-14T01:00:00+00:00",
        ],
    );
    // Once a rollout started for them in this opening, they are not due
    // again in it; a host not acted on yet (it waited behind another run) is.
    check_due(
        &schedule,
        "2025-01-07T03:00:00Z",
        &hosts,
        &[
            ("n1", "2025-01-07T01:00:00Z"),
            ("n2", "2025-01-07T01:00:00Z"),
        ],
        &["next 2025-01-14T01:00:00+00:00"],
    );
    check_due(
        &schedule,
        "2025-01-07T03:00:00Z",
        &hosts,
        &[("n1", "2025-01-07T01:00:00Z")],
        &[
            "2025-01-07T01:00:00+00:00..2025-01-07T05:00:00+00:00: n2",
            "next 2025-01-14T01:00:00+00:00",
        ],
    );
    // Handled last week does not count this week.
    check_due(
        &schedule,
        "2025-01-14T01:00:00Z",
        &hosts,
        &[
            ("n1", "2025-01-07T01:00:00Z"),
            ("n2", "2025-01-07T01:00:00Z"),
        ],
        &[
            "2025-01-14T01:00:00+00:00..2025-01-14T05:00:00+00:00: n1,n2",
            "next 2025-01-21T01:00:00+00:00",
        ],
    );
    // No windows: nothing is ever due.
    check_due(
        &Schedule::default(),
        "2025-01-07T01:00:00Z",
        &hosts,
        &[],
        &["next none"],
    );
}

#[test]
fn windows_of_different_labels_are_due_as_separate_groups_tightest_first() {
    let fleet = Window::recurring("fleet", "0 1 * * *", "6h", "UTC").expect("valid");
    let rack = Window::recurring("rack-b", "0 2 * * *", "1h", "UTC")
        .expect("valid")
        .with_labels(&["rack=b"])
        .expect("selector");
    let schedule = Schedule::new(vec![fleet, rack]);
    let hosts = rack_hosts();
    // 02:30: the fleet window (01:00-07:00) is open for everyone; rack b's
    // hosts are inside both, merged into one span 01:00-07:00 as well.
    check_due(
        &schedule,
        "2025-01-07T02:30:00Z",
        &hosts,
        &[],
        &[
            "2025-01-07T01:00:00+00:00..2025-01-07T07:00:00+00:00: n1,n2,n3,n4",
            "next 2025-01-08T01:00:00+00:00",
        ],
    );
    // Rack b alone at 00:30 with its own window: a separate, shorter span
    // that comes first.
    let early = Window::recurring("rack-b-early", "0 0 * * *", "1h", "UTC")
        .expect("valid")
        .with_labels(&["rack=b"])
        .expect("selector");
    let late = Window::recurring("all", "30 0 * * *", "4h", "UTC").expect("valid");
    let schedule = Schedule::new(vec![late, early]);
    let two: Vec<(&str, Labels)> = vec![
        ("n1", labels(&[("rack", "a")])),
        ("n3", labels(&[("rack", "b")])),
    ];
    check_due(
        &schedule,
        "2025-01-07T00:45:00Z",
        &two,
        &[],
        &[
            "2025-01-07T00:00:00+00:00..2025-01-07T04:30:00+00:00: n3",
            "2025-01-07T00:30:00+00:00..2025-01-07T04:30:00+00:00: n1",
            "next 2025-01-08T00:00:00+00:00",
        ],
    );
}

#[test]
fn a_window_in_the_daylight_saving_gap_is_due_at_the_end_of_the_gap() {
    // 02:30 does not exist in Berlin on 2025-03-30 (02:00 → 03:00 CEST).
    let schedule = Schedule::new(vec![window("30 2 * * *", "1h", "Europe/Berlin")]);
    let hosts = vec![("n1", Labels::new())];
    check_due(
        &schedule,
        "2025-03-30T00:59:59Z",
        &hosts,
        &[],
        &["next 2025-03-30T01:00:00+00:00"],
    );
    check_due(
        &schedule,
        "2025-03-30T01:00:00Z",
        &hosts,
        &[],
        &[
            "2025-03-30T01:00:00+00:00..2025-03-30T02:00:00+00:00: n1",
            "next 2025-03-31T00:30:00+00:00",
        ],
    );
}

#[test]
fn a_window_in_the_repeated_hour_is_due_once() {
    // 02:30 occurs twice in Berlin on 2025-10-26: 00:30Z (CEST) and 01:30Z (CET).
    let schedule = Schedule::new(vec![window("30 2 * * *", "30m", "Europe/Berlin")]);
    let hosts = vec![("n1", Labels::new())];
    check_due(
        &schedule,
        "2025-10-26T00:30:00Z",
        &hosts,
        &[],
        &[
            "2025-10-26T00:30:00+00:00..2025-10-26T01:00:00+00:00: n1",
            "next 2025-10-27T01:30:00+00:00",
        ],
    );
    // The second 02:30 opens nothing, handled or not.
    for handled in [&[][..], &[("n1", "2025-10-26T00:30:00Z")][..]] {
        check_due(
            &schedule,
            "2025-10-26T01:30:00Z",
            &hosts,
            handled,
            &["next 2025-10-27T01:30:00+00:00"],
        );
    }
}

#[test]
fn a_one_shot_window_is_due_once_then_never_again() {
    let spec = WindowSpec {
        name: Some("now-ish".into()),
        at: Some("2025-06-01T12:00:05Z".into()),
        duration: Some("10m".into()),
        ..WindowSpec::default()
    };
    let schedule = Schedule::new(vec![spec.validate(0).expect("valid")]);
    let hosts = vec![("n1", Labels::new())];
    check_due(
        &schedule,
        "2025-06-01T12:00:04Z",
        &hosts,
        &[],
        &["next 2025-06-01T12:00:05+00:00"],
    );
    check_due(
        &schedule,
        "2025-06-01T12:00:05Z",
        &hosts,
        &[],
        &[
            "2025-06-01T12:00:05+00:00..2025-06-01T12:10:05+00:00: n1",
            "next none",
        ],
    );
    check_due(
        &schedule,
        "2025-06-01T12:01:00Z",
        &hosts,
        &[("n1", "2025-06-01T12:00:05Z")],
        &["next none"],
    );
}

#[test]
fn a_step_that_would_overrun_is_not_started() {
    // Tuesdays 01:00Z-05:00Z.
    let schedule = Schedule::new(vec![window("0 2 * * tue", "4h", "Europe/Berlin")]);
    let mut est = Estimates::new(EstimateSettings {
        default: mins(60),
        percentile: 90,
    });
    est.record(&bios(), "R650", mins(120));
    let steps = [
        step("n1", "a", bmc()),  // 1h (default)
        step("n1", "a", bios()), // 2h (history)
        step("n2", "a", bios()), // 2h
    ];
    // At the opening all fit; the rollout may start steps until 03:00Z,
    // when a 2h step still ends exactly at the close.
    let open = utc("2025-01-07T01:00:00Z");
    let end = utc("2025-01-07T05:00:00Z");
    let split = split_steps(&schedule, &est, open, &steps);
    assert_eq!(split.now.len(), 3);
    let last = last_start(&split.now).expect("admitted");
    assert_eq!(last, utc("2025-01-07T03:00:00Z"));
    assert!(fits(last, end, mins(120)));
    assert!(!fits(last + TimeDelta::seconds(1), end, mins(120)));
    // Every admitted step begun at or before `last` ends inside the window,
    // whatever its host's position in the rollout.
    for r in &split.now {
        assert!(fits(last, r.window.end, r.estimate.duration), "{r:?}");
    }
    // 1h30 before the close only the BMC step is admitted; the BIOS steps
    // wait, and the last start is 04:00Z.
    let split = split_steps(&schedule, &est, utc("2025-01-07T03:30:00Z"), &steps);
    let admitted: Vec<String> = split
        .now
        .iter()
        .map(|r| format!("{} {}", r.step.host, r.step.component))
        .collect();
    assert_eq!(admitted, ["n1 bmc BMC"]);
    assert_eq!(last_start(&split.now), Some(utc("2025-01-07T04:00:00Z")));
    // Nothing admitted: no rollout.
    let split = split_steps(&schedule, &est, utc("2025-01-07T04:30:00Z"), &steps);
    assert!(split.now.is_empty());
    assert_eq!(last_start(&split.now), None);
}

/// Rack a: daily 01:00–03:00 UTC (2h); rack b: daily 02:00–02:15 (15m).
fn two_windows() -> Schedule {
    Schedule::new(vec![
        Window::recurring("night-a", "0 1 * * *", "2h", "UTC")
            .unwrap()
            .with_labels(&["rack=a"])
            .unwrap(),
        Window::recurring("short-b", "0 2 * * *", "15m", "UTC")
            .unwrap()
            .with_labels(&["rack=b"])
            .unwrap(),
    ])
}

#[test]
fn the_preview_lays_each_hosts_steps_into_its_next_spans_in_order() {
    let mut est = Estimates::new(EstimateSettings {
        default: mins(60),
        percentile: 90,
    });
    // The BMC took 20 and 30 minutes before; the BIOS has no history (1h default).
    est.record(&bmc(), "R650", mins(20));
    est.record(&bmc(), "R650", mins(30));
    let nic = ComponentKey::new(Kind::Nic, "NIC.1");
    let steps = [
        step("a1", "a", bmc()),
        step("a1", "a", bios()),
        step("a1", "a", nic.clone()),
        step("b1", "b", bios()),
        step("c1", "c", bmc()),
    ];
    // Now is inside a's window: 02:10, 50 minutes left.
    let now = utc("2025-01-07T02:10:00Z");
    let p = preview(
        &two_windows(),
        &Default::default(),
        &est,
        now,
        now + TimeDelta::days(2),
        &steps,
    );
    let hosts: Vec<&str> = p.iter().map(|h| h.host.as_str()).collect();
    assert_eq!(hosts, ["a1", "b1", "c1"]);

    let a = &p[0];
    assert!(a.has_window);
    // The open span (begun 01:00) holds the BMC (p90 of 20, 30 = 30m) from
    // now; the BIOS (1h) does not fit in the 20m left and waits for tomorrow,
    // where BIOS and NIC (1h each) fill the 2h exactly.
    assert_eq!(a.spans.len(), 3, "{a:#?}");
    assert_eq!(a.spans[0].start, utc("2025-01-07T01:00:00Z"));
    let placed = |s: &SpanPreview| -> Vec<String> {
        s.steps
            .iter()
            .map(|p| format!("{} {}", p.component, p.begin.format("%dT%H:%M")))
            .collect()
    };
    assert_eq!(placed(&a.spans[0]), ["bmc BMC 07T02:10"]);
    assert_eq!(
        a.spans[0].steps[0].estimate,
        EstimateView {
            secs: 1800,
            source: "history",
            samples: 2
        }
    );
    assert_eq!(
        a.spans[0].waits.as_deref(),
        Some("bios BIOS needs 1h (default), 20m left in the span")
    );
    assert_eq!(
        placed(&a.spans[1]),
        ["bios BIOS 08T01:00", "nic NIC.1 08T02:00"]
    );
    assert_eq!(a.spans[1].waits, None);
    // The day after: nothing left.
    assert!(a.spans[2].steps.is_empty() && a.spans[2].waits.is_none());
    assert!(a.unscheduled.is_empty());

    // b's 15-minute window never holds a 1h BIOS: every span says so, and
    // the step is unscheduled with the estimate to blame.
    let b = &p[1];
    // The span open now (02:00–02:15), tomorrow's and the day after's.
    assert_eq!(b.spans.len(), 3);
    assert!(b.spans.iter().all(|s| s.steps.is_empty()));
    assert_eq!(b.unscheduled.len(), 1);
    assert_eq!(
        b.unscheduled[0].reason,
        "its estimate 1h (default) is longer than any window of the host (longest 15m)"
    );
    assert_eq!(b.unscheduled[0].estimate.source, "default");

    // c has no window at all.
    let c = &p[2];
    assert!(!c.has_window && c.spans.is_empty());
    assert_eq!(c.unscheduled[0].reason, "no window applies to the host");
}

#[test]
fn the_preview_shows_at_most_a_month_of_spans_per_host() {
    let hourly = Schedule::new(vec![
        Window::recurring("hourly", "0 * * * *", "30m", "UTC").unwrap()
    ]);
    let est = Estimates::new(EstimateSettings::default());
    let steps = [step("h", "a", bmc())];
    let now = utc("2025-01-07T00:45:00Z");
    let p = preview(
        &hourly,
        &Default::default(),
        &est,
        now,
        now + TimeDelta::days(30),
        &steps,
    );
    assert_eq!(p[0].spans.len(), MAX_SPANS_PER_HOST);
    assert!(p[0].more_spans);
    // A 1h default never fits a 30m window: unscheduled, not lost.
    assert_eq!(p[0].unscheduled.len(), 1);
}

#[test]
fn a_window_too_short_for_a_hosts_first_step_is_named_with_the_estimate_to_blame() {
    let mut est = Estimates::new(EstimateSettings {
        default: mins(60),
        percentile: 90,
    });
    est.record(&bmc(), "R650", mins(20));
    let mut steps: Vec<PendingStep> = (1..=5)
        .map(|i| step(&format!("b{i}"), "b", bios()))
        .collect();
    // a1's first step (BMC, 20m from history) fits its 2h window: no line.
    steps.push(step("a1", "a", bmc()));
    steps.push(step("a1", "a", bios()));
    // b9's first step is a BMC whose history (20m) outgrows the 15m window.
    steps.push(step("b9", "b", bmc()));
    let lines = too_short(&two_windows(), &est, &steps);
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert_eq!(
        lines[1],
        "window short-b (15m) cannot fit any planned step of b9: the first, bmc BMC, is estimated 20m by p90 of 1 earlier step(s) of bmc BMC on R650; lengthen the window"
    );
    assert!(
        lines[0].starts_with(
            "window short-b (15m) cannot fit any planned step of 5 host(s) (b1, b2, b3, …): the first, bios BIOS, is estimated 1h by the configured default (`[estimates] default`)"
        ),
        "{}",
        lines[0]
    );
}

fn freeze(start: &str, end: &str, hosts: &[&str]) -> crate::freeze::Freeze {
    crate::freeze::FreezeSpec {
        name: Some("year-end".into()),
        start: AtText(start.into()),
        end: AtText(end.into()),
        zone: None,
        reason: "change freeze".into(),
        hosts: hosts.iter().map(|h| h.to_string()).collect(),
        selector: None,
    }
    .parse(1)
    .unwrap()
}

#[test]
fn the_preview_leaves_a_frozen_host_out_of_a_span_and_stops_a_span_where_a_freeze_begins() {
    let est = Estimates::new(EstimateSettings {
        default: mins(60),
        percentile: 90,
    });
    let steps = [
        step("a1", "a", bmc()),
        step("a1", "a", bios()),
        step("a2", "a", bmc()),
    ];
    let now = utc("2025-01-07T00:00:00Z");
    // a1 is frozen over the whole of the 8th and from 02:00 on the 9th: the
    // 7th's span holds the BMC, then the BIOS (1h) cannot go on the 8th,
    // and on the 9th only 01:00–02:00 is left, which holds it exactly.
    let freezes = crate::freeze::Freezes(vec![
        freeze("2025-01-08T00:00:00Z", "2025-01-09T00:00:00Z", &["a1"]),
        freeze("2025-01-09T02:00:00Z", "2025-01-10T00:00:00Z", &["a1"]),
    ]);
    // Without freezes both steps fit in the 7th's 2h span.
    let free = preview(
        &two_windows(),
        &Default::default(),
        &est,
        now,
        now + TimeDelta::days(3),
        &steps,
    );
    assert_eq!(free[0].spans[0].steps.len(), 2);
    assert!(free[0].spans.iter().all(|s| s.frozen.is_none()));

    // A freeze ending the 7th's span at 02:00 leaves room for the BMC only.
    let mut cut = freezes.clone();
    cut.0.push(freeze(
        "2025-01-07T02:00:00Z",
        "2025-01-07T06:00:00Z",
        &["a1"],
    ));
    let p = preview(
        &two_windows(),
        &cut,
        &est,
        now,
        now + TimeDelta::days(3),
        &steps,
    );
    let a1 = &p[0];
    let names = |s: &SpanPreview| -> Vec<String> {
        s.steps
            .iter()
            .map(|p| format!("{} {}", p.component, p.begin.format("%dT%H:%M")))
            .collect()
    };
    assert_eq!(names(&a1.spans[0]), ["bmc BMC 07T01:00"]);
    let mark = a1.spans[0].frozen.as_ref().expect("the 7th is cut");
    assert_eq!(mark.from, utc("2025-01-07T02:00:00Z"));
    assert_eq!(
        a1.spans[0].waits.as_deref(),
        Some("bios BIOS needs 1h (default), 0s left in the span before a change freeze begins at 02:00")
    );
    // The 8th: inside a freeze at the opening, nothing placed.
    assert!(a1.spans[1].steps.is_empty());
    assert_eq!(
        a1.spans[1].frozen.as_ref().unwrap().from,
        utc("2025-01-08T01:00:00Z")
    );
    assert!(a1.spans[1]
        .frozen
        .as_ref()
        .unwrap()
        .freeze
        .contains("year-end"));
    assert!(a1.spans[1]
        .waits
        .as_deref()
        .unwrap()
        .starts_with("the host is inside a change freeze (freeze #1"));
    // The 9th: the freeze from 02:00 leaves exactly an hour, the BIOS fits.
    assert_eq!(names(&a1.spans[2]), ["bios BIOS 09T01:00"]);
    assert_eq!(
        a1.spans[2].frozen.as_ref().unwrap().from,
        utc("2025-01-09T02:00:00Z")
    );
    assert!(a1.unscheduled.is_empty());
    // a2 is not covered by any freeze.
    assert!(p[1].spans.iter().all(|s| s.frozen.is_none()));
    assert_eq!(names(&p[1].spans[0]), ["bmc BMC 07T01:00"]);
}

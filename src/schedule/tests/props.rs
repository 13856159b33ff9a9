//! Property tests against a brute-force oracle that walks real time minute
//! by minute and asks chrono-tz, not our resolver, what the wall clock says.
//!
//! `now` is drawn mostly from the day and a half before a clock change, and
//! the zones include half-hour and midnight changes, so gaps and repeats
//! come up in most runs.

use super::super::*;
use chrono::{DateTime, NaiveDateTime, Offset, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use proptest::sample::select;

const ZONES: [&str; 7] = [
    "Europe/Berlin",
    "America/New_York",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Asia/Kolkata",
    "UTC",
];

/// Cron fields whose matches are at most a week apart, so the oracle can
/// walk every minute up to the next start.
fn cron() -> impl Strategy<Value = String> {
    let minute = prop_oneof![
        Just("*".to_string()),
        (1u32..60).prop_map(|s| format!("*/{s}")),
        (0u32..60).prop_map(|m| m.to_string()),
        (0u32..60, 0u32..60).prop_map(|(a, b)| format!("{},{}", a.min(b), a.max(b))),
        (0u32..60, 0u32..60).prop_map(|(a, b)| format!("{}-{}", a.min(b), a.max(b))),
    ];
    let hour = prop_oneof![
        Just("*".to_string()),
        (0u32..4).prop_map(|h| h.to_string()),
        (0u32..24).prop_map(|h| h.to_string()),
        (0u32..24, 1u32..6).prop_map(|(a, s)| format!("{a}/{s}")),
        (0u32..24, 0u32..24).prop_map(|(a, b)| format!("{}-{}", a.min(b), a.max(b))),
    ];
    let dow = select(vec!["*", "sun", "mon-fri", "tue,thu", "0,6", "7"]);
    (minute, hour, dow).prop_map(|(m, h, d)| format!("{m} {h} * * {d}"))
}

/// A random instant, or one up to 36 hours before a clock change of the
/// zone (most of the time, when the zone has changes).
fn now() -> impl Strategy<Value = (&'static str, DateTime<Utc>)> {
    (
        select(ZONES.to_vec()),
        946_684_800i64..2_114_380_800,
        0i64..36 * 3600,
        0u32..4,
    )
        .prop_map(|(zone, secs, before, pick)| {
            let t = DateTime::from_timestamp(secs, 0).expect("in range");
            let tz: Tz = zone.parse().expect("zone");
            let now = match next_change(&tz, t) {
                Some(change) if pick > 0 => change - TimeDelta::seconds(before),
                _ => t,
            };
            (zone, now)
        })
}

/// The first instant after `t` (within a year) at which the zone's offset
/// changes: found by days, then bisected to the second.
fn next_change(tz: &Tz, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let offset = |x: DateTime<Utc>| tz.offset_from_utc_datetime(&x.naive_utc()).fix();
    let (mut lo, mut hi) = (t, t);
    loop {
        hi += TimeDelta::days(1);
        if hi - t > TimeDelta::days(370) {
            return None;
        }
        if offset(hi) != offset(lo) {
            break;
        }
        lo = hi;
    }
    while hi - lo > TimeDelta::seconds(1) {
        let mid = lo + (hi - lo) / 2;
        if offset(mid) == offset(lo) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(hi)
}

fn local(zone: &Tz, t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(zone).naive_local()
}

/// Whether the whole minute `t` is a window start, by the rules as stated:
/// a matching local time at its first occurrence, or the end of a gap that
/// swallowed a matching local time.
fn is_start(cron: &Cron, zone: &Tz, t: DateTime<Utc>) -> bool {
    let here = local(zone, t);
    let before = local(zone, t - TimeDelta::seconds(1));
    if cron.matches(here) {
        let first = zone
            .from_local_datetime(&here)
            .earliest()
            .map(|x| x.with_timezone(&Utc));
        if first == Some(t) {
            return true;
        }
    }
    // The wall clock jumped forward at `t`: look at the minutes it skipped.
    let mut skipped = before.with_second(0).expect("s") + TimeDelta::minutes(1);
    while skipped < here {
        if cron.matches(skipped) {
            return true;
        }
        skipped += TimeDelta::minutes(1);
    }
    false
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    /// next_start(now) >= now, it is a start, and no start lies between.
    #[test]
    fn next_start_is_the_first_start_at_or_after_now(
        expr in cron(), (zone, now) in now()
    ) {
        let w = Window::recurring("p", &expr, "1h", zone).expect("valid");
        let tz: Tz = zone.parse().expect("zone");
        let Recurrence::Cron { cron, .. } = w.recurrence().clone() else { unreachable!() };
        let s = w.next_start(now).expect("a start within a week");
        prop_assert!(s >= now, "{s} < {now}");
        prop_assert!(s - now <= TimeDelta::days(8), "{s} is too far after {now}");
        prop_assert_eq!(s.second(), 0);
        prop_assert!(is_start(&cron, &tz, s), "{} ({}) is not a start of `{}`", s, local(&tz, s), expr);
        let mut t = now.with_second(0).expect("s").with_nanosecond(0).expect("ns");
        if t < now {
            t += TimeDelta::minutes(1);
        }
        while t < s {
            prop_assert!(!is_start(&cron, &tz, t), "missed start {} ({}) before {}", t, local(&tz, t), s);
            t += TimeDelta::minutes(1);
        }
    }

    /// Inside an opening, open_at returns an opening that contains `now`,
    /// lasts exactly the duration, and starts at a real start.
    #[test]
    fn open_at_contains_now(
        expr in cron(), (zone, now) in now(), mins in 1i64..300
    ) {
        let w = Window::recurring("p", &expr, &format!("{mins}m"), zone).expect("valid");
        let s = w.next_start(now).expect("a start");
        let inside = s + TimeDelta::minutes(mins) - TimeDelta::seconds(1);
        let o = w.open_at(inside).expect("open");
        prop_assert!(o.start <= inside && inside < o.end);
        prop_assert!(o.start >= s);
        prop_assert_eq!(o.end - o.start, TimeDelta::minutes(mins));
        prop_assert_eq!(w.next_start(o.start), Some(o.start));
        // The schedule's merged span holds the opening, and a step that fits
        // from `inside` by `fits` ends inside the span.
        let schedule = Schedule::new(vec![w.clone()]);
        let span = schedule.open_at(inside, &Labels::new()).expect("span");
        prop_assert!(span.start <= o.start && o.end <= span.end);
        prop_assert!(fits(inside, span.end, std::time::Duration::from_secs(1)));
    }
}

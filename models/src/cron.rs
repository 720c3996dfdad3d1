//! When a cron pattern fires over a run, in the policy's IANA time zone.
//!
//! Patterns are parsed by `croner` with its default parser: five fields (minute hour
//! day-of-month month day-of-week) or six with seconds first, names (`MON`, `JAN`) and
//! nicknames (`@daily`), and day-of-month OR day-of-week when both are restricted (vixie cron
//! and POSIX `crontab`). Daylight-saving changes follow the Open Cron Pattern Specification
//! that croner implements: a fixed time skipped by a spring-forward change fires at the first
//! valid instant after the gap (02:30 → 03:00), and a fixed time repeated by a fall-back change
//! fires once, at its first occurrence. AWS scheduled actions with a `TimeZone` and KEDA's cron
//! scaler with `timezone` likewise evaluate the pattern in local time, so "0 8 * * 1-5" in
//! `Europe/Paris` is 07:00 UTC in winter and 06:00 UTC in summer.
//!
//! The occurrences are computed once, at load, over the run's window: a run never reads a
//! clock.
//!
//! Two users: scheduled scaling actions (`policy::config::ScheduledAction`, resolved into
//! steps by the input library) and a CronJob's `Schedule` arrivals (`jobs::schedule`, one Job
//! per firing).

use std::str::FromStr;

use chrono::{DateTime, TimeZone as _};
use croner::Cron;
use sim::time::{SimDuration, SimTime, UtcInstant};
use workloads::traffic::TimeZone;

/// Most times one pattern may fire over a run: a per-minute pattern over 69 days. Each firing
/// is a step of some 100 bytes held for the run, so the bound keeps a typo (`* * * * * *`, every
/// second, over a year) from filling memory.
pub const MAX_OCCURRENCES: usize = 100_000;

/// A parsed cron pattern.
#[derive(Debug, Clone)]
pub struct CronPattern(Cron);

impl CronPattern {
    /// The pattern of `text`, or croner's reason it is not one.
    pub fn parse(text: &str) -> Result<CronPattern, String> {
        Cron::from_str(text).map(CronPattern).map_err(|e| {
            format!(
                "{e}: expected a cron pattern such as \"0 8 * * 1-5\" (minute hour day-of-month \
                 month day-of-week, optionally seconds first)"
            )
        })
    }

    /// The instants after the run's start (exclusive) up to its end (inclusive) at which the
    /// pattern fires in `zone`, as times since the start. Errors past [`MAX_OCCURRENCES`].
    pub fn occurrences(
        &self,
        zone: TimeZone,
        start: UtcInstant,
        duration: SimDuration,
    ) -> Result<Vec<SimTime>, String> {
        let tz = zone.tz();
        let Some(start_utc) = DateTime::from_timestamp(start.unix_s(), 0) else {
            return Ok(Vec::new());
        };
        let end_s = start
            .unix_s()
            .saturating_add(duration.as_secs_f64().floor() as i64);
        let mut at = tz.from_utc_datetime(&start_utc.naive_utc());
        let mut found = Vec::new();
        // A pattern that never matches ("0 0 30 2 *") ends the search with an error.
        while let Ok(next) = self.0.find_next_occurrence(&at, false) {
            let next_s = next.timestamp();
            if next_s > end_s {
                break;
            }
            if found.len() == MAX_OCCURRENCES {
                return Err(format!(
                    "the pattern fires more than {MAX_OCCURRENCES} times over the run: expected \
                     a coarser schedule"
                ));
            }
            let since_start = u64::try_from(next_s - start.unix_s()).unwrap_or(0);
            found.push(SimTime::from_secs(since_start));
            at = next;
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-03-28T00:00:00Z, a Saturday: Paris (CET, UTC+1) moves to CEST (UTC+2) on Sunday
    /// 2026-03-29 at 02:00 local (last Sunday of March, EU rule).
    const SAT_2026_03_28: i64 = 1_774_656_000;
    /// 2026-10-24T00:00:00Z, a Saturday: Paris moves back to CET on 2026-10-25 at 03:00 local.
    const SAT_2026_10_24: i64 = 1_792_800_000;

    fn paris() -> TimeZone {
        TimeZone::parse("Europe/Paris").unwrap()
    }

    fn hours(times: &[SimTime]) -> Vec<f64> {
        times.iter().map(|t| t.as_nanos() as f64 / 3.6e12).collect()
    }

    fn fires(pattern: &str, start: i64, duration_h: u64) -> Vec<f64> {
        let cron = CronPattern::parse(pattern).unwrap();
        let times = cron
            .occurrences(
                paris(),
                UtcInstant::from_unix_s(start),
                SimDuration::from_secs(duration_h * 3600),
            )
            .unwrap();
        hours(&times)
    }

    #[test]
    fn a_local_time_moves_an_hour_earlier_in_utc_across_spring_forward() {
        // 08:00 Paris: Saturday 07:00Z (CET), Sunday 06:00Z (CEST) = 24 + 6 = 30 h after the
        // start, Monday 06:00Z = 54 h.
        assert_eq!(fires("0 8 * * *", SAT_2026_03_28, 72), [7.0, 30.0, 54.0]);
        // Weekdays only: Monday 06:00Z and Tuesday 06:00Z (CEST).
        assert_eq!(fires("0 8 * * 1-5", SAT_2026_03_28, 96), [54.0, 78.0]);
    }

    #[test]
    fn a_time_skipped_by_spring_forward_fires_right_after_the_gap() {
        // 02:30 does not exist on 2026-03-29 in Paris: it fires at 03:00 CEST = 01:00Z (25 h).
        // Saturday 02:30 CET = 01:30Z; Monday 02:30 CEST = 00:30Z (48.5 h).
        assert_eq!(fires("30 2 * * *", SAT_2026_03_28, 72), [1.5, 25.0, 48.5]);
    }

    #[test]
    fn a_time_repeated_by_fall_back_fires_once_at_its_first_occurrence() {
        // 02:30 happens twice on 2026-10-25 (CEST 00:30Z, then CET 01:30Z): once, at 24.5 h.
        // Saturday 02:30 CEST = 00:30Z; Monday 02:30 CET = 01:30Z (49.5 h).
        assert_eq!(fires("30 2 * * *", SAT_2026_10_24, 72), [0.5, 24.5, 49.5]);
    }

    #[test]
    fn the_start_itself_is_excluded_and_the_end_included() {
        // Midnight UTC is 01:00 in Paris while on CET: from Friday 2026-03-27 "0 1 * * *"
        // fires at 0 h (the start, excluded), 24 h and 48 h (the end, included: 01:00 on the
        // 29th is still CET, the change comes at 02:00).
        assert_eq!(
            fires("0 1 * * *", SAT_2026_03_28 - 86_400, 48),
            [24.0, 48.0]
        );
        // In October 01:00 CEST is 23:00Z the day before, then 01:00 CET is 00:00Z.
        assert_eq!(fires("0 1 * * *", SAT_2026_10_24, 48), [23.0, 48.0]);
    }

    #[test]
    fn bad_and_never_matching_patterns() {
        assert!(CronPattern::parse("0 25 * * *").is_err());
        assert!(CronPattern::parse("every morning").is_err());
        assert!(CronPattern::parse("").is_err());
        assert_eq!(
            fires("0 0 30 2 *", SAT_2026_03_28, 24 * 400),
            Vec::<f64>::new()
        );
        let every_second = CronPattern::parse("* * * * * *").unwrap();
        let err = every_second
            .occurrences(
                paris(),
                UtcInstant::from_unix_s(SAT_2026_03_28),
                SimDuration::from_secs(86_400 * 2),
            )
            .unwrap_err();
        assert!(err.contains("more than 100000"), "{err}");
    }
}

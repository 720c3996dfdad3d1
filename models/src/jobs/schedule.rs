//! A CronJob's Jobs: one at each time its schedule fires over the run.
//!
//! Kubernetes' CronJob controller (`kubernetes/kubernetes`,
//! `pkg/controller/cronjob/cronjob_controllerv2.go`, `syncCronJob`, with the schedule
//! arithmetic of `pkg/controller/cronjob/utils.go`, `mostRecentScheduleTime` and
//! `nextScheduleTime`) wakes at each time the CronJob's `schedule` fires in its `timeZone` and
//! creates one Job from the `jobTemplate` (`getJobFromTemplate2`, named after the scheduled
//! minute). With `concurrencyPolicy: Allow`, the default and the only policy modelled, it does
//! so whatever the earlier Jobs are doing: each Job is independent, a batch Job like any other
//! once created. The simulated controller is never down, so no schedule is missed and
//! `startingDeadlineSeconds` (which only bounds how late a missed one may still start) never
//! applies.
//!
//! The firings are `crate::cron`'s (croner; its module doc has the pattern syntax and what a
//! daylight-saving change does to a local time), after the run's start and up to and including
//! its end, at most [`crate::cron::MAX_OCCURRENCES`]. A CronJob without `timeZone` is read in
//! the kube-controller-manager's own zone, UTC on managed control planes; the experiment's
//! default is "UTC", as a scheduled scaling action's.
//!
//! Each Job draws its pods' run time from the workload's [`DurationDist`] with the workload's
//! stream (`jobs/<name>`), one draw per firing in order, as Poisson arrivals draw theirs.

use sim::rng::Stream;
use sim::time::{SimDuration, UtcInstant};
use workloads::jobs::{DurationDist, JobArrival};
use workloads::traffic::TimeZone;

use crate::cron::CronPattern;

/// The Jobs of `cron` in `zone` over the run from `start` for `run`, each running a draw of
/// `durations` from `rng`; the pattern's error (or too many firings) otherwise.
pub fn schedule_arrivals(
    cron: &str,
    zone: TimeZone,
    durations: &DurationDist,
    start: UtcInstant,
    run: SimDuration,
    mut rng: Stream,
) -> Result<Vec<JobArrival>, String> {
    let times = CronPattern::parse(cron)?.occurrences(zone, start, run)?;
    Ok(times
        .into_iter()
        .map(|submit| JobArrival {
            submit,
            run: durations.sample(&mut rng),
            task: None,
            tasks: None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-01-15T00:00:00Z, a Thursday: New York is on EST (UTC−5).
    const JAN_15_2026: i64 = 1_768_435_200;
    /// 2026-07-01T00:00:00Z, a Wednesday: New York is on EDT (UTC−4).
    const JUL_1_2026: i64 = 1_782_864_000;

    fn submits(cron: &str, zone: &str, start: i64, run_s: u64) -> Vec<u64> {
        let jobs = schedule_arrivals(
            cron,
            TimeZone::parse(zone).unwrap(),
            &DurationDist::Constant {
                run: SimDuration::from_secs(600),
            },
            UtcInstant::from_unix_s(start),
            SimDuration::from_secs(run_s),
            sim::rng::stream(1, "jobs/t"),
        )
        .unwrap();
        assert!(jobs.iter().all(|j| j.run == SimDuration::from_secs(600)));
        jobs.iter()
            .map(|j| j.submit.as_nanos() / 1_000_000_000)
            .collect()
    }

    #[test]
    fn every_half_hour_over_two_hours_is_four_jobs_the_end_included() {
        assert_eq!(
            submits("*/30 * * * *", "UTC", JAN_15_2026, 7200),
            [1800, 3600, 5400, 7200]
        );
    }

    #[test]
    fn eight_in_new_york_is_13_utc_in_winter_and_12_utc_in_summer() {
        // 08:00 EST = 13:00Z = 46 800 s after midnight UTC; 08:00 EDT = 12:00Z = 43 200 s.
        assert_eq!(
            submits("0 8 * * *", "America/New_York", JAN_15_2026, 86_400),
            [46_800]
        );
        assert_eq!(
            submits("0 8 * * *", "America/New_York", JUL_1_2026, 86_400),
            [43_200]
        );
    }

    #[test]
    fn each_job_draws_its_run_time_in_order_from_the_stream() {
        let mean = SimDuration::from_secs(600);
        let durations = DurationDist::Exponential { mean };
        let jobs = schedule_arrivals(
            "0 * * * *",
            TimeZone::UTC,
            &durations,
            UtcInstant::from_unix_s(JAN_15_2026),
            SimDuration::from_secs(3 * 3600),
            sim::rng::stream(7, "jobs/t"),
        )
        .unwrap();
        let mut rng = sim::rng::stream(7, "jobs/t");
        let expected: Vec<SimDuration> = (0..3).map(|_| durations.sample(&mut rng)).collect();
        let runs: Vec<SimDuration> = jobs.iter().map(|j| j.run).collect();
        assert_eq!(runs, expected);
    }

    #[test]
    fn a_bad_pattern_is_croners_reason() {
        let err = schedule_arrivals(
            "0 25 * * *",
            TimeZone::UTC,
            &DurationDist::Constant {
                run: SimDuration::ZERO,
            },
            UtcInstant::from_unix_s(JAN_15_2026),
            SimDuration::from_secs(3600),
            sim::rng::stream(1, "jobs/t"),
        )
        .unwrap_err();
        assert!(err.contains("expected a cron pattern"), "{err}");
    }
}

//! `Schedule` arrivals end to end through the `clustersim` binary: a CronJob's Jobs arrive at
//! the hand-computed instants its pattern fires in its zone, and a bad pattern, zone or a
//! pattern firing too often exits 2 at its place with nothing written.

mod common;

use std::fs;

use common::{clustersim, text};

/// One node and one batch workload `report` of one-pod Jobs of 1 cpu running 10 min, whose
/// arrivals are `arrivals`, over a run of `duration` from `start`.
fn experiment(start: &str, duration: &str, arrivals: &str) -> String {
    format!(
        r#"Experiment(
    name: "cronjob",
    start: "{start}",
    duration: "{duration}",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [(name: "p", region: "us-east1", instance_type: "n2-standard-8", nodes: 1)],
    batch: [(
        name: "report",
        arrivals: {arrivals},
        requests: (cpu: "1", memory: "1Gi"),
    )],
)
"#
    )
}

/// `src` run; its exit code, stderr, the times (s) of each Job's creation (the events'
/// `SuccessfulCreate` rows) and the summary's `batch`.
fn run(src: &str) -> (Option<i32>, String, Vec<f64>, serde_json::Value, bool) {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("cronjob.ron");
    fs::write(&file, src).unwrap();
    let out = tmp.path().join("out");
    let r = clustersim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    if r.status.code() != Some(0) {
        return (
            r.status.code(),
            text(&r.stderr),
            Vec::new(),
            serde_json::Value::Null,
            out.exists(),
        );
    }
    let events = fs::read_to_string(out.join("events.csv")).unwrap();
    let created = events
        .lines()
        .filter(|l| l.contains(",SuccessfulCreate,job/report-"))
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    let summary: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
    (
        r.status.code(),
        text(&r.stderr),
        created,
        summary["batch"].clone(),
        true,
    )
}

#[test]
fn every_half_hour_over_two_hours_is_four_jobs() {
    let (code, err, created, batch, _) = run(&experiment(
        "2026-01-15T00:00:00Z",
        "2h",
        r#"Schedule(cron: "*/30 * * * *", duration: Constant(run: "10m"))"#,
    ));
    assert_eq!(code, Some(0), "{err}");
    // :30, :00, :30, :00 after the start, the end (7 200 s) included.
    assert_eq!(created, [1800.0, 3600.0, 5400.0, 7200.0]);
    assert_eq!(batch["jobs"], 4, "{batch}");
    // Each of the first three: its pod starts 5 s after creation, runs 600 s, and the Job
    // completes a sync (1 s) later, well before the next; the last arrives at the end.
    assert_eq!(batch["completed"], 3, "{batch}");
    assert_eq!(batch["unfinished"], 1, "{batch}");
    assert_eq!(batch["run_mean_s"].as_f64(), Some(601.0), "{batch}");
}

#[test]
fn eight_in_new_york_is_noon_utc_in_july() {
    // 2026-07-01T00:00:00Z: New York is on EDT (UTC−4), so 08:00 there is 12:00Z, 43 200 s
    // into the day.
    let (code, err, created, batch, _) = run(&experiment(
        "2026-07-01T00:00:00Z",
        "24h",
        r#"Schedule(cron: "0 8 * * *", time_zone: "America/New_York", duration: Constant(run: "10m"))"#,
    ));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(created, [43_200.0]);
    assert_eq!(batch["completed"], 1, "{batch}");
}

#[test]
fn a_bad_pattern_zone_or_too_many_firings_exit_2_at_their_place_with_nothing_written() {
    for (arrivals, duration, expected) in [
        (
            r#"Schedule(cron: "0 25 * * *", duration: Constant(run: "10m"))"#,
            "2h",
            ":9:34: batch[0].arrivals.Schedule.cron: ",
        ),
        (
            r#"Schedule(cron: "0 8 * * *", time_zone: "Mars/Olympus", duration: Constant(run: "10m"))"#,
            "2h",
            ":9:58: batch[0].arrivals.Schedule.time_zone: unknown time zone \"Mars/Olympus\"",
        ),
        (
            // Every second for two days: 172 800 firings.
            r#"Schedule(cron: "* * * * * *", duration: Constant(run: "10m"))"#,
            "48h",
            ":9:34: batch[0].arrivals.Schedule.cron: the pattern fires more than 100000 times",
        ),
        (
            r#"Schedule(cron: "0 * * * *", duration: Exponential(mean: "0s"))"#,
            "2h",
            ":9:75: batch[0].arrivals.Schedule.duration.Exponential.mean: expected a positive",
        ),
    ] {
        let (code, err, _, _, written) =
            run(&experiment("2026-01-15T00:00:00Z", duration, arrivals));
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains(expected), "expected {expected:?} in {err}");
        assert!(!written, "nothing is written");
    }
    // Like Poisson arrivals, a schedule's Jobs need the requests of their pods.
    let src = experiment(
        "2026-01-15T00:00:00Z",
        "2h",
        r#"Schedule(cron: "0 * * * *", duration: Constant(run: "10m"))"#,
    )
    .replace("        requests: (cpu: \"1\", memory: \"1Gi\"),\n", "");
    let (code, err, _, _, written) = run(&src);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("batch[0].requests: expected the requests of each pod"),
        "{err}"
    );
    assert!(!written);
}

//! End-to-end tests of the HorizontalPodAutoscaler through the `clustersim` binary: the
//! replicas it settles on under a steady load, the legacy scale-up limit, the 5-minute
//! downscale stabilization, its events, and the bad input it refuses. The replica calculation
//! itself is checked against upstream's cases in `models/tests/hpa_cases.rs`.

mod common;

use std::fs;
use std::path::Path;

use common::{clustersim, hpa_experiment as experiment, text};

const HPA: &str =
    "(min_replicas: 2, max_replicas: 20, metrics: [Resource(name: cpu, target: Utilization(50))])";

/// `column` of `timeseries.csv`, one value per 5 s sample.
fn series(out: &Path, column: &str) -> Vec<u64> {
    let csv = fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = header.iter().position(|h| *h == column).unwrap();
    lines
        .map(|l| l.split(',').nth(at).unwrap().parse().unwrap())
        .collect()
}

fn run(src: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let (r, tmp, out) = common::run_experiment(src);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    (tmp, out)
}

#[test]
fn the_hpa_settles_where_utilization_meets_its_target_and_waits_five_minutes_to_scale_down() {
    let (_tmp, out) = run(&experiment(HPA));
    let desired = series(&out, "desired_pods");
    let at = |s: usize| desired[s / 5];
    // Scrapes run at 7.5 s + k × 15 s, syncs every 15 s. The first sync with a cpu sample is
    // at 30 s (the 22.5 s scrape is the first at least 10 s after the pods started): 450/6 =
    // 75 requests/s per pod = 0.375 cpu = 75 % of the 500m request, so ceil(6 × 75/50) = 9
    // (the legacy scale-up limit, max(2 × 6, 4) = 12, does not bind).
    assert_eq!(at(25), 6);
    assert_eq!(at(30), 9);
    // Steady state: 450 requests/s on 9 pods is exactly the 50 % target.
    assert_eq!(at(300), 9);
    assert_eq!(at(595), 9);
    // At 600 s the load drops to 90 requests/s. The 615 s sync reads the 607.5 s scrape, whose
    // window [592.5, 607.5] is half at 50 % and half at 10 %: 30 %, ceil(9 × 30/50) = 6. From
    // 630 s on the windows are all 10 %: ceil(9 × 10/50) = 2. The downscale stabilization
    // keeps the highest recommendation not older than 5 minutes (upstream drops only those
    // `Before` the cutoff), so the 9 of the 600 s sync holds through 900 s, the 6 of 615 s
    // through 915 s, and 2 comes at 930 s.
    assert_eq!(at(900), 9);
    assert_eq!(at(915), 6);
    assert_eq!(at(930), 2);
    let ready = series(&out, "ready_pods");
    assert_eq!(ready[1000 / 5], 2);
    let events = fs::read_to_string(out.join("events.csv")).unwrap();
    let rescale = events
        .lines()
        .find(|l| l.contains("SuccessfulRescale"))
        .unwrap();
    assert!(rescale.starts_with("30.0,"), "{rescale}");
    assert!(rescale.contains("cpu 75%/50% → 9"), "{rescale}");
}

#[test]
fn a_behavior_with_a_pods_policy_limits_each_step() {
    // scaleUp: at most 1 pod per 15 s. At 30 s the metrics propose 9 (75 %, as above): 7.
    // At 45 s the 37.5 s scrape averages 75 requests/s per pod over [22.5, 30] and 450/7 =
    // 64.3 over [30, 37.5]: 69.6 requests/s = 69 % of the request, proposing 9 again: 8.
    let hpa = HPA.replace(
        "])",
        "], behavior: (scale_up: (policies: [Pods(value: 1, period: \"15s\")])))",
    );
    let (_tmp, out) = run(&experiment(&hpa));
    let desired = series(&out, "desired_pods");
    assert_eq!(desired[25 / 5], 6);
    assert_eq!(desired[30 / 5], 7);
    assert_eq!(desired[45 / 5], 8);
    assert_eq!(desired[120 / 5], 9);
    let events = fs::read_to_string(out.join("events.csv")).unwrap();
    let second = events.lines().find(|l| l.starts_with("45.0,")).unwrap();
    assert!(second.contains("cpu 69%/50% → 9"), "{second}");
    assert!(second.contains("policy Pods 1/15s) → 8"), "{second}");
}

#[test]
fn an_hpa_on_memory_without_a_memory_model_is_bad_input() {
    let src = experiment(&HPA.replace("name: cpu", "name: memory"));
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bad.ron");
    fs::write(&file, &src).unwrap();
    let r = clustersim(&["validate", file.to_str().unwrap()]);
    let err = text(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("services[0].hpa.metrics[0]"), "{err}");
    assert!(err.contains("memory_usage"), "{err}");
    let src = experiment(&HPA.replace("min_replicas: 2", "min_replicas: 30"));
    fs::write(&file, &src).unwrap();
    let r = clustersim(&["validate", file.to_str().unwrap()]);
    let err = text(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("services[0].hpa"), "{err}");
    // The error is located on the line of the HPA.
    assert!(err.contains("bad.ron:13:"), "{err}");
}

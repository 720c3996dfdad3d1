//! End-to-end tests of batch Jobs through the `clustersim` binary: Jobs queue behind a
//! namespace's ResourceQuota in arrival order and finish, with hand-computed waits; a bad job
//! trace row exits 2 naming it.

mod common;

use std::fs;

use common::{clustersim, text};

/// One node, a `batch` namespace whose quota holds one 2-cpu pod, and Jobs from `jobs.csv`.
const EXPERIMENT: &str = r#"Experiment(
    name: "batch",
    duration: "40m",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [(name: "p", region: "us-east1", instance_type: "n2-standard-8", nodes: 1)],
    namespaces: [(name: "batch", quota: (cpu: "2"))],
    batch: [(name: "etl", namespace: "batch", arrivals: Trace(file: "jobs.csv"))],
)
"#;

/// Three one-pod Jobs of 2 cpu and 1 GiB, all submitted at 60 s, each running 600 s.
const JOBS: &str = "submit_s,duration_s,cpu_millis,memory_mib\n60,600,2000,1024\n60,600,2000,1024\n60,600,2000,1024\n";

fn run(jobs: &str) -> (std::process::Output, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("jobs.csv"), jobs).unwrap();
    let file = tmp.path().join("batch.ron");
    fs::write(&file, EXPERIMENT).unwrap();
    let out = tmp.path().join("out");
    let r = clustersim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    (r, tmp)
}

#[test]
fn jobs_wait_for_the_quota_in_arrival_order_and_finish() {
    let (r, tmp) = run(JOBS);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let out = tmp.path().join("out");
    let summary: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
    let b = &summary["batch"];
    // The quota holds one pod: Job 0's pod is created at 60 s, runs from 65 s (5 s start-up)
    // to 665 s, and the Job completes a sync later, at 666 s. Its pod's end frees the quota at
    // 665 s: Job 1's pod is created then, runs 670–1270 s; Job 2's 1275–1875 s, done 1876 s.
    assert_eq!(b["jobs"], 3);
    assert_eq!(b["completed"], 3);
    // Waits (submit → running): 5, 610, 1 215 s.
    assert_eq!(b["wait_p50_s"].as_f64(), Some(610.0));
    assert_eq!(b["wait_mean_s"].as_f64(), Some(610.0));
    // Run (running → complete): 601 s each.
    assert_eq!(b["run_mean_s"].as_f64(), Some(601.0));
    // First submission 60 s → last completion 1 876 s.
    assert_eq!(b["makespan_s"].as_f64(), Some(1816.0));
    let events = fs::read_to_string(out.join("events.csv")).unwrap();
    let refused = events
        .lines()
        .filter(|l| l.contains("FailedCreate"))
        .count();
    assert!(refused >= 1, "{events}");
    let completed: Vec<&str> = events
        .lines()
        .filter(|l| l.contains(",Completed,"))
        .collect();
    assert_eq!(completed.len(), 3, "{events}");
    assert!(completed[0].starts_with("666.0,"), "{}", completed[0]);
    assert!(completed[2].starts_with("1876.0,"), "{}", completed[2]);
}

#[test]
fn a_bad_job_trace_row_exits_2_naming_it() {
    let (r, _tmp) = run(&JOBS.replace(
        "60,600,2000,1024\n60,600,2000,1024\n60,",
        "60,600,2000,1024\n60,ten,2000,1024\n60,",
    ));
    let err = text(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("batch[0].arrivals"), "{err}");
    assert!(err.contains("row 3"), "{err}");
    assert!(err.contains("duration_s"), "{err}");
}

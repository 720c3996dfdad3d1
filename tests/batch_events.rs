//! Issue 27: a batch run's events grow with its pods, not faster. The Job controller's wake-up
//! is one `JobSync` timer per instant, however many pod ends ask for it; it used to be one per
//! pod end, each re-armed at every firing, so with Jobs ending one after another the duplicate
//! syncs piled up (events per pod 4.8 at 10 000 pods, 8.6 at 100 000 in `clustersim bench`).
//!
//! Counted through `clustersim bench --json` on two runs that differ only in their number of
//! Jobs, so every fixed event (samples, the report) cancels out.

mod common;

use std::fs;

use common::{clustersim, text};

/// One node with room for every pod, no services, Jobs from `jobs.csv`.
const EXPERIMENT: &str = r#"Experiment(
    name: "batch-events",
    duration: "30m",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [(name: "p", region: "us-east1", instance_type: "n2-standard-8", nodes: 1)],
    namespaces: [(name: "batch")],
    batch: [(name: "etl", namespace: "batch", arrivals: Trace(file: "jobs.csv"))],
)
"#;

/// Events handled by a run of `jobs` one-pod Jobs, all submitted at 0 s, Job `i` running
/// `95 + i` s: its pod starts at 5 s (the Jobs' 5 s start-up), so the pods end at 100, 101, …
/// s, one a second.
fn events(jobs: u64) -> u64 {
    let tmp = tempfile::tempdir().unwrap();
    let mut csv = String::from("submit_s,duration_s,cpu_millis,memory_mib\n");
    for i in 0..jobs {
        csv.push_str(&format!("0,{},100,128\n", 95 + i));
    }
    fs::write(tmp.path().join("jobs.csv"), csv).unwrap();
    let file = tmp.path().join("batch.ron");
    fs::write(&file, EXPERIMENT).unwrap();
    let json = tmp.path().join("bench.json");
    let r = clustersim(&[
        "bench",
        file.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let report: serde_json::Value = serde_json::from_slice(&fs::read(&json).unwrap()).unwrap();
    let bench = &report["experiments"][0];
    assert_eq!(bench["jobs"].as_u64(), Some(jobs));
    bench["events"].as_u64().unwrap()
}

#[test]
fn each_more_job_costs_five_events_however_many_run() {
    // One more Job adds, at 5 s, its pod's Started and Ready timers (the 5 s wake-up is
    // shared); at its pod's end, 100 + i s, its JobPodEnd timer and a wake-up of its own; a
    // second later, the JobSync that completes it (sharing the wake-up of the next pod's end,
    // or one more wake-up after the last). 2 + 2 + 1 = 5 events, whether 10 or 20 Jobs run:
    // duplicate syncs grew with the pods ending while a sync was pending, here quadratically.
    let (ten, twenty, forty) = (events(10), events(20), events(40));
    assert_eq!(twenty - ten, 10 * 5);
    assert_eq!(forty - twenty, 20 * 5);
}

/// `experiments/bench/scale/`: `batch-100k.ron` at a tenth and ten times its size (pods and
/// nodes alike), to measure how time and events per pod grow; too large to run here.
#[test]
fn the_scaled_batch_benchmarks_validate() {
    for f in [
        "experiments/bench/scale/batch-10k.ron",
        "experiments/bench/scale/batch-1m.ron",
    ] {
        let r = clustersim(&["validate", f]);
        assert!(r.status.success(), "{f}: {}", text(&r.stderr));
    }
}

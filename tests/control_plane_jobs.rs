//! Job pods under the control plane's limits (issue 22): the region's Job controller creates
//! them through its own client, at kube-controller-manager's QPS and burst, as the ReplicaSet
//! controller does; the waits are the token bucket's closed form.

mod common;

use std::fs;

use common::{clustersim, text};

/// One node with room for every pod, 100 one-pod Jobs from `jobs.csv`, and `control_plane`.
fn experiment(control_plane: &str) -> String {
    format!(
        r#"Experiment(
    name: "jobs-throttled",
    duration: "20m",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [(name: "p", region: "us-east1", instance_type: "n2-standard-8", nodes: 1)],
    batch: [(name: "etl", arrivals: Trace(file: "jobs.csv"))],
    {control_plane}
)
"#
    )
}

/// The batch figures of the summary of a run of 100 Jobs of one 50m pod each, all submitted
/// at 60 s and running 600 s.
fn batch_summary(control_plane: &str) -> serde_json::Value {
    let tmp = tempfile::tempdir().unwrap();
    let mut jobs = String::from("submit_s,duration_s,cpu_millis,memory_mib\n");
    for _ in 0..100 {
        jobs.push_str("60,600,50,64\n");
    }
    fs::write(tmp.path().join("jobs.csv"), jobs).unwrap();
    let file = tmp.path().join("jobs.ron");
    fs::write(&file, experiment(control_plane)).unwrap();
    let out = tmp.path().join("out");
    let r = clustersim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(
        r.status.code().is_some_and(|c| c <= 1),
        "{}",
        text(&r.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
    summary["batch"].clone()
}

#[test]
fn job_pods_are_created_through_the_job_controllers_client() {
    // The Job controller's client: 20 QPS, burst 30, full at 60 s; one pod per Job, each
    // Job's sync one slow-start batch of one. Pod k (k ≤ 30) is created at 60 s, pod k > 30
    // at 60 + (k − 30)/20 s, and runs 5 s later (a Job pod's start-up). Waits (submit →
    // running): 30 × 5 s, then 5 + j/20 s for j = 1..70; mean (30 × 5 + 70 × 5 +
    // (70 × 71/2)/20)/100 = (500 + 124.25)/100 = 6.2425 s; the last 5 + 70/20 = 8.5 s.
    let b = batch_summary(
        "control_plane: (scheduler: (qps: None, pods_per_s: None), \
         kubelet: (image_pull_bytes_per_s: None), node_boot: None),",
    );
    assert_eq!(b["jobs"], 100);
    assert_eq!(b["completed"], 100);
    let mean = b["wait_mean_s"].as_f64().unwrap();
    assert!((mean - 6.2425).abs() < 1e-9, "{mean}");
    // Without the section every pod is created at 60 s: each waits its 5 s start-up only.
    let b = batch_summary("");
    assert_eq!(b["wait_mean_s"].as_f64(), Some(5.0));
}

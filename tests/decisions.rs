//! The decisions table (`decisions.parquet`/`.csv`, `models::api::decisions`) on hand-built
//! runs whose decisions are computed by hand, and `clustersim explain` reading it.

mod common;

use common::{clustersim, run_experiment, text};

/// The rows of `decisions.csv` as (header → cell) maps; the detail is the last column and may
/// hold commas inside quotes, so cells are split by a small quote-aware reader.
fn rows(out: &std::path::Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let csv = std::fs::read_to_string(out.join("decisions.csv")).unwrap();
    let split = |line: &str| {
        let (mut cells, mut cell, mut quoted) = (Vec::new(), String::new(), false);
        for c in line.chars() {
            match c {
                '"' => quoted = !quoted,
                ',' if !quoted => cells.push(std::mem::take(&mut cell)),
                c => cell.push(c),
            }
        }
        cells.push(cell);
        cells
    };
    let mut lines = csv.lines();
    let header = split(lines.next().unwrap());
    lines
        .map(|l| header.iter().cloned().zip(split(l)).collect())
        .collect()
}

/// 4 pods of 500m serving 360 requests/s at 100 requests/s each: every ready pod serves 90,
/// so uses 90 % of its CPU request (README, "Services and HPA metrics").
const HPA: &str = r#"Experiment(
    name: "decisions-hpa",
    duration: "2m",
    output_interval: "15s",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [(name: "p", region: "us-east1", instance_type: "n2-standard-8", nodes: 3)],
    services: [(
        name: "api",
        replicas: 4,
        requests: (cpu: "500m", memory: "512Mi"),
        capacity_rps: 100,
        traffic: Constant(rps: 360),
        hpa: (min_replicas: 4, max_replicas: 10, metrics: [Resource(name: cpu, target: Utilization(60))]),
    )],
)
"#;

#[test]
fn an_hpa_at_90_percent_of_a_60_percent_target_on_4_pods_proposes_6() {
    let (r, _dir, out) = run_experiment(HPA);
    assert!(
        r.status.code().is_some_and(|c| c <= 1),
        "{}",
        text(&r.stderr)
    );
    let rows = rows(&out);
    // usage ratio 90 / 60 = 1.5, outside the 0.1 tolerance: ceil(4 × 1.5) = 6; the legacy
    // scale-up limit max(2 × 4, 4) = 8 and max_replicas 10 leave it at 6.
    let metric = rows
        .iter()
        .find(|r| r["kind"] == "metric" && r["outcome"] == "proposal")
        .expect("a metric row with a proposal");
    assert_eq!(
        (metric["scope"].as_str(), metric["region"].as_str()),
        ("api", "us-east1")
    );
    assert_eq!(
        (
            metric["value"].as_str(),
            metric["target"].as_str(),
            metric["current"].as_str(),
            metric["proposed"].as_str()
        ),
        ("90.0", "60.0", "4.0", "6.0")
    );
    assert!(
        metric["detail"].contains(
            "cpu 90% of 60% target (ratio 1.500) → proposes 6 (from 4); tolerance exceeded"
        ),
        "{metric:?}"
    );
    let sync = rows
        .iter()
        .find(|r| r["kind"] == "sync" && r["time_s"] == metric["time_s"])
        .unwrap();
    assert_eq!(
        (sync["proposed"].as_str(), sync["final"].as_str()),
        ("6.0", "6.0")
    );
    assert!(
        sync["detail"].ends_with("desired 6 (from 4, bounds 4..10)"),
        "{sync:?}"
    );

    // explain at that instant prints the HPA's line, metric and sync joined.
    let at = format!("{}s", metric["time_s"].trim_end_matches(".0"));
    let r = clustersim(&[
        "explain",
        out.to_str().unwrap(),
        "--at",
        &at,
        "--window",
        "0s",
    ]);
    let said = text(&r.stdout);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert!(
        said.contains(
            "HPA api/us-east1 DesiredWithinRange: cpu 90% of 60% target (ratio 1.500) → \
             proposes 6 (from 4); tolerance exceeded (0.1); cpu 90%/60% → 6; proposal 6; \
             desired 6 (from 4, bounds 4..10)"
        ),
        "{said}"
    );
    let r = clustersim(&["explain", out.to_str().unwrap(), "--at", &at, "--json"]);
    let e: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert!(
        e["decisions"]["around"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["kind"] == "metric" && d["proposed"] == 6.0)
    );
}

#[test]
fn identical_syncs_collapse_into_one_row_with_their_count() {
    // 6 pods at 360 requests/s: 60 % of a 60 % target, ratio 1.0, within tolerance; every
    // sync with metrics proposes 6 and keeps 6 (`DesiredWithinRange`). The first sync, at
    // 15 s, has none yet (pods not ready: `FailedComputeMetricsReplicas`); the others, one
    // every 15 s from 30 s to 600 s, are (600 − 30) / 15 + 1 = 39 identical syncs: one row.
    let src = HPA
        .replace("replicas: 4,", "replicas: 6,")
        .replace("duration: \"2m\"", "duration: \"10m\"");
    let (r, _dir, out) = run_experiment(&src);
    assert!(
        r.status.code().is_some_and(|c| c <= 1),
        "{}",
        text(&r.stderr)
    );
    let rows = rows(&out);
    let steady: Vec<_> = rows
        .iter()
        .filter(|r| r["kind"] == "sync" && r["outcome"] == "DesiredWithinRange")
        .collect();
    assert_eq!(steady.len(), 1, "{steady:?}");
    assert_eq!(
        (
            steady[0]["time_s"].as_str(),
            steady[0]["last_time_s"].as_str(),
            steady[0]["repeats"].as_str()
        ),
        ("30.0", "600.0", "39")
    );
    assert_eq!(rows.iter().filter(|r| r["kind"] == "sync").count(), 2);
}

#[test]
fn a_node_group_at_its_max_size_is_rejected_in_upstream_words() {
    // 2 nodes of n2-standard-4 (≈3.9 cpu allocatable) hold 6 pods of 1 cpu; the 14 others stay
    // pending, and the only group is at its max of 2 nodes.
    let src = r#"Experiment(
    name: "decisions-max",
    duration: "2m",
    output_interval: "30s",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [(name: "web", region: "us-east1", instance_type: "n2-standard-4", nodes: 2,
        min_nodes: 2, max_nodes: 2)],
    services: [(
        name: "shop",
        replicas: 20,
        requests: (cpu: "1", memory: "2Gi"),
        capacity_rps: 100,
        traffic: Constant(rps: 100),
    )],
    node_autoscaling: [(region: "us-east1", cluster_autoscaler: ())],
)
"#;
    let (r, _dir, out) = run_experiment(src);
    assert!(
        r.status.code().is_some_and(|c| c <= 1),
        "{}",
        text(&r.stderr)
    );
    let rows = rows(&out);
    let group = rows
        .iter()
        .find(|r| r["kind"] == "scale-up-group" && r["scope"] == "web")
        .expect("a row for the group");
    assert_eq!(group["outcome"], "MaxNodeGroupSizeReached");
    assert_eq!(
        group["detail"],
        "max node group size reached (2 of max 2 nodes)"
    );
    let pending = rows
        .iter()
        .find(|r| r["kind"] == "pending-pods")
        .expect("a row for the pending pods");
    assert_eq!(pending["outcome"], "NotTriggerScaleUp");
    assert!(
        pending["detail"].ends_with("pod didn't trigger scale-up: 1 max node group size reached"),
        "{pending:?}"
    );
    // explain --pool keeps the group's rows.
    let r = clustersim(&[
        "explain",
        out.to_str().unwrap(),
        "--at",
        "00:01:00",
        "--pool",
        "web",
    ]);
    let said = text(&r.stdout);
    assert!(
        said.contains(
            "Cluster Autoscaler web/us-east1 MaxNodeGroupSizeReached: max node group size reached"
        ),
        "{said}"
    );
}

#[test]
fn a_pod_no_node_takes_gets_the_schedulers_own_words() {
    // 2 nodes of n2-standard-4 (≈3.9 cpu allocatable) hold 6 pods of 1 cpu (3 each, ≈0.9 cpu
    // left); 14 stay pending, with no autoscaler to add nodes. Equal priorities: preemption
    // finds no victims.
    let src = r#"Experiment(
    name: "decisions-scheduler",
    duration: "2m",
    output_interval: "30s",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [(name: "web", region: "us-east1", instance_type: "n2-standard-4", nodes: 2)],
    services: [(
        name: "shop",
        replicas: 20,
        requests: (cpu: "1", memory: "2Gi"),
        capacity_rps: 100,
        traffic: Constant(rps: 100),
    )],
)
"#;
    let (r, _dir, out) = run_experiment(src);
    assert!(
        r.status.code().is_some_and(|c| c <= 1),
        "{}",
        text(&r.stderr)
    );
    let message = "14 pod(s) pending: 0/2 nodes are available: 2 Insufficient cpu. \
                   preemption: 0/2 nodes are available: 2 No preemption victims found for \
                   incoming pod..";
    let events = std::fs::read_to_string(out.join("events.csv")).unwrap();
    assert!(
        events.contains(&format!(
            "FailedScheduling,deployment/shop-us-east1,{message}"
        )),
        "{events}"
    );
    let rows = rows(&out);
    let scheduler: Vec<_> = rows
        .iter()
        .filter(|r| r["controller"] == "scheduler")
        .collect();
    // Every cycle fails alike: one row.
    assert_eq!(scheduler.len(), 1, "{scheduler:?}");
    let row = scheduler[0];
    assert_eq!(
        (
            row["scope"].as_str(),
            row["region"].as_str(),
            row["outcome"].as_str(),
            row["value"].as_str(),
            row["current"].as_str(),
            row["detail"].as_str()
        ),
        (
            "shop",
            "us-east1",
            "FailedScheduling",
            "14.0",
            "2.0",
            message
        )
    );
    let r = clustersim(&[
        "explain",
        out.to_str().unwrap(),
        "--at",
        "00:01:00",
        "--service",
        "shop",
    ]);
    let said = text(&r.stdout);
    assert!(
        said.contains(&format!(
            "Scheduler shop/us-east1 FailedScheduling: {message}"
        )),
        "{said}"
    );
}

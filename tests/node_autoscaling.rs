//! End-to-end tests of node autoscaling (issue 8) through the binary: the Cluster Autoscaler's
//! scale-up timing, scale-down after the unneeded time, pool max and PDBs; Karpenter's
//! cheapest fitting type; every decision in `events.csv` with its reason; same seed, same
//! bytes; errors located in the file.
//!
//! Hand computations use GKE's allocatable tiers (`models::cluster::allocatable`): a 4-vCPU
//! node keeps 4000 − (60 + 10 + 5 + 5) = 3920m, so it takes three pods of 1 CPU.

use std::fs;
use std::path::Path;

mod common;
use common::{clustersim, text};

/// One region with one zone, pool `web` of `nodes` n2-standard-4 (`min`..`max`, ready 60 s
/// after launch), service `api` of `replicas` pods of 1 CPU / 1 GiB (start-up 20 s, readiness
/// 0 s) with `scale` steps, sampled every 10 s; `autoscaling` is the `node_autoscaling` list.
fn experiment(pool: &str, service_extra: &str, autoscaling: &str, duration: &str) -> String {
    format!(
        r#"Experiment(
    name: "t",
    seed: 3,
    duration: "{duration}",
    output_interval: "10s",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [{pool}],
    services: [(
        name: "api",
        requests: (cpu: "1", memory: "1Gi"),
        capacity_rps: 100,
        startup: "20s",
        readiness: "0s",
        traffic: Constant(rps: 10),
        {service_extra}
    )],
    node_autoscaling: [{autoscaling}],
)
"#
    )
}

const WEB: &str = r#"(name: "web", region: "us-east1", instance_type: "n2-standard-4", nodes: 1,
    min_nodes: 1, max_nodes: 3, provisioning_delay: "60s")"#;
const CA: &str = r#"(region: "us-east1", cluster_autoscaler: ())"#;

/// Writes `ron` and runs it into a new folder of `dir`; returns the output folder.
fn run(dir: &Path, ron: &str) -> std::path::PathBuf {
    let file = dir.join("x.ron");
    fs::write(&file, ron).unwrap();
    let out = (0..)
        .map(|k| dir.join(format!("out{k}")))
        .find(|o| !o.exists())
        .unwrap();
    let r = clustersim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(
        matches!(r.status.code(), Some(0 | 1)),
        "{}",
        text(&r.stderr)
    );
    out
}

/// Rows of a CSV output as (header → value) lookups, naively split (no quoted commas in the
/// columns read here, which come before `message`).
fn rows(path: &Path) -> Vec<Vec<String>> {
    let body = fs::read_to_string(path).unwrap();
    body.lines()
        .skip(1)
        .map(|l| l.splitn(5, ',').map(str::to_owned).collect())
        .collect()
}

/// `(time_s, reason, object, message)` of every event.
fn events(out: &Path) -> Vec<(f64, String, String, String)> {
    rows(&out.join("events.csv"))
        .into_iter()
        .map(|r| {
            (
                r[0].parse().unwrap(),
                r[2].clone(),
                r[3].clone(),
                r[4].clone(),
            )
        })
        .collect()
}

/// `column` of the time series at each sample: (time_s, value).
fn series(out: &Path, file: &str, column: &str) -> Vec<(u64, f64)> {
    let body = fs::read_to_string(out.join(file)).unwrap();
    let mut lines = body.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let k = header.iter().position(|h| *h == column).unwrap();
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[0].parse().unwrap(), cells[k].parse().unwrap())
        })
        .collect()
}

fn summary(out: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn pending_pods_trigger_a_scale_up_and_are_ready_after_the_boot_and_start_up() {
    // 3 pods fit the one node; at 100 s the step to 6 leaves 3 pending. Scans run every 10 s
    // from 10 s, so the scan at 110 s adds one node (3 pods × 1 CPU fit one 3920m node); it
    // is Ready at 110 + 60 = 170 s, the pods bind then and are Ready after their 20 s
    // start-up, at 190 s. Pending from 100 to 170 s: time to capacity 70 s, 3 × 70 = 210
    // pending pod-seconds.
    let dir = tempfile::tempdir().unwrap();
    let ron = experiment(
        WEB,
        r#"replicas: 3, scale: [(at: "100s", replicas: 6)],"#,
        CA,
        "5m",
    );
    let out = run(dir.path(), &ron);
    let ups: Vec<_> = events(&out)
        .into_iter()
        .filter(|e| e.1 == "TriggeredScaleUp")
        .collect();
    assert_eq!(ups.len(), 1, "{ups:?}");
    assert_eq!(ups[0].0, 110.0);
    assert_eq!(ups[0].2, "nodepool/web");
    assert!(
        ups[0]
            .3
            .starts_with("\"scale-up web +1: 3 pods unschedulable"),
        "{}",
        ups[0].3
    );
    let ready = series(&out, "timeseries.csv", "ready_pods");
    let at = |t: u64| ready.iter().find(|r| r.0 == t).unwrap().1;
    assert_eq!((at(180), at(190)), (3.0, 6.0));
    let s = summary(&out);
    assert_eq!(s["time_to_capacity_s"], 70.0);
    assert_eq!(s["pending_pod_seconds"], 210.0);
}

#[test]
fn an_emptied_node_goes_after_the_unneeded_time_and_the_pool_max_holds() {
    // Step to 12 at 100 s: 9 pending need 3 nodes, but max_nodes 3 allows 2 more (the scan at
    // 110 s adds 2; 3 pods stay pending). Step to 3 at 400 s: the ReplicaSet deletes the 9
    // newest pods; once their 30 s grace ends (430 s) two nodes are empty. Unneeded from the
    // scan at 430 or 440 s, they go at the first scan strictly more than 10 min later (after
    // delay-after-add: 110 + 600 = 710 s): 1040 or 1050 s.
    let dir = tempfile::tempdir().unwrap();
    let ron = experiment(
        WEB,
        r#"replicas: 3, scale: [(at: "100s", replicas: 12), (at: "400s", replicas: 3)],"#,
        CA,
        "20m",
    );
    let out = run(dir.path(), &ron);
    let nodes = series(&out, "pools.csv", "nodes");
    assert_eq!(nodes.iter().map(|n| n.1).fold(0.0, f64::max), 3.0);
    let downs: Vec<_> = events(&out)
        .into_iter()
        .filter(|e| e.1 == "ScaleDown")
        .collect();
    assert_eq!(downs.len(), 2, "{downs:?}");
    for d in &downs {
        assert!((1040.0..=1050.0).contains(&d.0), "{d:?}");
        assert!(
            d.3.contains("empty node(s) unneeded for more than 10m0s"),
            "{d:?}"
        );
    }
    assert_eq!(nodes.last().unwrap().1, 1.0);
}

#[test]
fn a_pdb_keeps_an_underused_node() {
    // Two nodes, two pods: LeastAllocated puts one on each (1000/3920 = 0.26 <= 0.5), so
    // either node's pod fits on the other. With min_available 2 of 2 ready pods no eviction
    // is allowed and neither node may go.
    let dir = tempfile::tempdir().unwrap();
    let pool = WEB.replace(
        "\"n2-standard-4\", nodes: 1,",
        "\"n2-standard-4\", nodes: 2,",
    );
    let ron = experiment(
        &pool,
        "replicas: 2, disruption_budget: (min_available: 2),",
        CA,
        "15m",
    );
    let out = run(dir.path(), &ron);
    assert!(events(&out).iter().all(|e| e.1 != "ScaleDown"));
    // Without the PDB one node is drained: unneeded from the scan at 10 s, removable at the
    // first scan strictly after 10 + 600 = 610 s, i.e. 620 s.
    let ron = experiment(&pool, "replicas: 2,", CA, "15m");
    let out = run(dir.path(), &ron);
    let downs: Vec<_> = events(&out)
        .into_iter()
        .filter(|e| e.1 == "ScaleDown")
        .collect();
    assert_eq!(downs.len(), 1, "{downs:?}");
    assert_eq!(downs[0].0, 620.0);
}

const KARPENTER: &str = r#"(region: "us-east1", karpenter: (node_pools: [(name: "np",
    requirements: (instance_types: ["n2-standard-4", "n2-standard-8", "e2-standard-2",
    "e2-standard-4"]))]))"#;

#[test]
fn karpenter_launches_the_cheapest_type_that_fits_the_batch() {
    // The static node takes 3 pods; at 100 s 3 more go pending. Checks run every second; the
    // one at 100 s runs before the cluster's step of that instant (it was scheduled first), so
    // the check at 101 s opens the batch and, idle 1 s later, 102 s closes it: the 3 pods
    // (3000m) form one claim. Allocatable
    // and on-demand prices in us-east1 (catalog): e2-standard-2 1930m (too small for 2 pods),
    // e2-standard-4 3920m at 0.13402284, n2-standard-4 3920m at 0.194236, n2-standard-8 at
    // 0.388472: one e2-standard-4, on demand (the NodePool default), Ready at 162 s.
    let dir = tempfile::tempdir().unwrap();
    let pool = r#"(name: "web", region: "us-east1", instance_type: "n2-standard-4", nodes: 1)"#;
    let ron = experiment(
        pool,
        r#"replicas: 3, scale: [(at: "100s", replicas: 6)],"#,
        KARPENTER,
        "5m",
    );
    let out = run(dir.path(), &ron);
    let ups: Vec<_> = events(&out)
        .into_iter()
        .filter(|e| e.1 == "TriggeredScaleUp")
        .collect();
    assert_eq!(ups.len(), 1, "{ups:?}");
    assert_eq!(ups[0].0, 102.0);
    assert_eq!(ups[0].2, "nodepool/np-e2-standard-4-on-demand");
    assert!(
        ups[0].3.contains(
            "batch of 3 pending pods, 3 placed here; cheapest fitting type at 0.1340 USD/h"
        ),
        "{}",
        ups[0].3
    );
    assert_eq!(summary(&out)["time_to_capacity_s"], 62.0);
}

#[test]
fn karpenter_does_not_consolidate_onto_a_node_still_launching() {
    // A Karpenter-only region, NodePool of n2-standard-8 only (7910m allocatable). Job etl-0
    // (1000m) at 0 s gets node 0 (launched at 2 s, Ready at 62 s); job etl-1 (7000m) at
    // 100 s does not fit the 6910m left, so node 1 is launched at 102 s, Ready at 162 s.
    // While node 1 is in flight, nothing is bound to it: 7910m look free, and moving etl-0
    // there would save node 0. Upstream refuses such a command ("would schedule against
    // uninitialized nodeclaim", `disruption/helpers.go SimulateScheduling`); counting the
    // in-flight node, consolidation deleted node 0 at 125 s, evicted etl-0, and the two Jobs
    // took turns being evicted from each new node for the rest of the run. Once node 1 is
    // Ready it holds etl-1 and has 910m left, less than etl-0 needs: no consolidation at all,
    // each Job waits 67 s (launch batch 2 s, boot 60 s, start 5 s) and runs its 30 minutes.
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("jobs.csv"),
        "submit_s,duration_s,cpu_millis,memory_mib\n0,1800,1000,1024\n100,1800,7000,1024\n",
    )
    .unwrap();
    let ron = r#"Experiment(
    name: "t",
    duration: "40m",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [],
    batch: [(name: "etl", arrivals: Trace(file: "jobs.csv"))],
    node_autoscaling: [(region: "us-east1", karpenter: (node_pools: [(name: "np",
        requirements: (instance_types: ["n2-standard-8"]))]))],
)
"#;
    let out = run(dir.path(), ron);
    let all = events(&out);
    let ups: Vec<_> = all.iter().filter(|e| e.1 == "TriggeredScaleUp").collect();
    assert_eq!(
        ups.iter().map(|e| e.0).collect::<Vec<_>>(),
        [2.0, 102.0],
        "{ups:?}"
    );
    let evicted: Vec<_> = all.iter().filter(|e| e.1 == "Evicted").collect();
    assert!(evicted.is_empty(), "{evicted:?}");
    let batch = &summary(&out)["batch"];
    assert_eq!(batch["completed"], 2);
    assert_eq!(batch["wait_mean_s"], 67.0);
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    for file in [
        "experiments/flash-crowd-cluster-autoscaler.ron",
        "experiments/flash-crowd-karpenter.ron",
    ] {
        let mut outputs = Vec::new();
        for k in 0..2 {
            let out = dir.path().join(format!("run{k}"));
            let r = clustersim(&["run", file, "--out", out.to_str().unwrap(), "--quiet"]);
            assert!(
                matches!(r.status.code(), Some(0 | 1)),
                "{}",
                text(&r.stderr)
            );
            outputs.push(out);
        }
        for name in ["events.csv", "pools.csv", "timeseries.csv", "summary.json"] {
            assert_eq!(
                fs::read(outputs[0].join(name)).unwrap(),
                fs::read(outputs[1].join(name)).unwrap(),
                "{file}: {name} differs"
            );
        }
    }
}

#[test]
fn bad_settings_are_located_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.ron");
    let check = |ron: String, field: &str, needle: &str| {
        fs::write(&file, ron).unwrap();
        let r = clustersim(&["validate", file.to_str().unwrap()]);
        assert_eq!(r.status.code(), Some(2), "{}", text(&r.stderr));
        let err = text(&r.stderr);
        assert!(err.contains(field) && err.contains(needle), "{err}");
        assert!(err.contains("x.ron:"), "{err}");
    };
    check(
        experiment(
            WEB,
            "replicas: 1,",
            r#"(region: "us-east1", cluster_autoscaler: (scale_down_utilization_threshold: 1.5))"#,
            "5m",
        ),
        "node_autoscaling[0].cluster_autoscaler.scale_down_utilization_threshold",
        "between 0 and 1",
    );
    check(
        experiment(
            r#"(name: "web", region: "us-east1", instance_type: "n2-standard-4", nodes: 1)"#,
            "replicas: 1,",
            CA,
            "5m",
        ),
        "node_pools[0]",
        "expected a `max_nodes`",
    );
    check(
        experiment(
            WEB,
            "replicas: 1,",
            &KARPENTER.replace("\"e2-standard-4\"", "\"e9-huge\""),
            "5m",
        ),
        "node_autoscaling[0].karpenter.node_pools[0].requirements.instance_types",
        "\"e9-huge\" is not offered",
    );
    check(
        experiment(WEB, "replicas: 1,", r#"(region: "us-east1")"#, "5m"),
        "node_autoscaling[0]",
        "exactly one of",
    );
}

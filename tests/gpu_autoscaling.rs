//! GPUs beyond Jobs (issue 21): the node autoscalers count `nvidia.com/gpu` like cpu and
//! memory. Karpenter launches a GPU machine type for a pending GPU pod (a type is compatible
//! only with at least the pod's GPUs, `OrderByPrice` among the compatible ones), and the
//! Cluster Autoscaler's binpacking estimate fits GPU pods onto template nodes by GPUs too.
//!
//! Prices and shapes from the GCP catalog, `us-east1` on demand: n2-standard-4 (4 vCPU,
//! 16 GB, no GPU) 0.194236 USD/h, g2-standard-4 (4 vCPU, 16 GB, one L4) 0.706832255,
//! g2-standard-8 (one L4) 0.853624271, a2-highgpu-1g (one A100) 3.673385; g2-standard-48
//! has four L4 (`models::gpu`).

use std::fs;
use std::path::Path;

mod common;
use common::{clustersim, text};

/// Writes `ron` and a Job trace of `gpu_jobs` Jobs (1 CPU, 1 GiB, `gpus` GPUs, 600 s, all
/// submitted at 0 s) into `dir`, runs it, expecting exit 0; returns the events and the
/// summary.
fn run(dir: &Path, ron: &str, gpu_jobs: u32, gpus: u32) -> (Vec<Vec<String>>, serde_json::Value) {
    let mut trace = "submit_s,duration_s,cpu_millis,memory_mib,gpus\n".to_owned();
    for _ in 0..gpu_jobs {
        trace.push_str(&format!("0,600,1000,1024,{gpus}\n"));
    }
    fs::write(dir.join("jobs.csv"), trace).unwrap();
    let file = dir.join("x.ron");
    fs::write(&file, ron).unwrap();
    let out = dir.join("out");
    let r = clustersim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let events = fs::read_to_string(out.join("events.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.splitn(5, ',').map(str::to_owned).collect())
        .collect();
    let summary = serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
    (events, summary)
}

/// `(time_s, object, message)` of the events of `reason`.
fn of_reason(events: &[Vec<String>], reason: &str) -> Vec<(f64, String, String)> {
    events
        .iter()
        .filter(|e| e[2] == reason)
        .map(|e| (e[0].parse().unwrap(), e[3].clone(), e[4].clone()))
        .collect()
}

#[test]
fn karpenter_launches_the_cheapest_type_with_a_gpu_for_a_gpu_job() {
    // The only static node (n2-standard-4) has no GPU; the NodePool allows a CPU type and three
    // GPU types. By cpu and memory alone n2-standard-4 (0.1942 USD/h) is the cheapest fit, and
    // a node of it would never take the pod; counting GPUs, the compatible types are the three
    // with one GPU, cheapest g2-standard-4 (0.7068), which the dominance pruning of the
    // expansion must keep though n2-standard-4 has its vCPUs and memory for less. The Job is
    // submitted at 0 s, the batch closes at 2 s, the node is Ready 60 s later (the default
    // provisioning delay) and the pod starts 5 s after binding: wait 67 s, done at 668 s.
    let dir = tempfile::tempdir().unwrap();
    let ron = r#"Experiment(
    name: "t",
    duration: "30m",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [(name: "cpu", region: "us-east1", instance_type: "n2-standard-4", nodes: 1)],
    batch: [(name: "train", arrivals: Trace(file: "jobs.csv"))],
    node_autoscaling: [(region: "us-east1", karpenter: (node_pools: [(name: "np",
        requirements: (instance_types: ["n2-standard-4", "g2-standard-8", "a2-highgpu-1g",
        "g2-standard-4"]))]))],
)
"#;
    let (events, summary) = run(dir.path(), ron, 1, 1);
    let ups = of_reason(&events, "TriggeredScaleUp");
    assert_eq!(ups.len(), 1, "{ups:?}");
    assert_eq!(ups[0].0, 2.0);
    assert_eq!(ups[0].1, "nodepool/np-g2-standard-4-on-demand");
    assert!(
        ups[0].2.contains(
            "cheapest fitting type at 0.7068 USD/h; 3 cheapest of 3 candidates by price: \
             g2-standard-4 0.7068, g2-standard-8 0.8536, a2-highgpu-1g 3.6734"
        ),
        "{}",
        ups[0].2
    );
    let batch = &summary["batch"];
    assert_eq!(batch["completed"], 1);
    assert_eq!(batch["wait_mean_s"], 67.0);
    assert_eq!(batch["makespan_s"], 668.0);
}

#[test]
fn karpenter_skips_types_with_too_few_gpus() {
    // A 2-GPU pod: g2-standard-4 and -8 have one GPU each, so the cheapest compatible type is
    // g2-standard-24 (two L4, 2.000832574 USD/h), cheaper than a2-highgpu-2g.
    let dir = tempfile::tempdir().unwrap();
    let ron = r#"Experiment(
    name: "t",
    duration: "30m",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [(name: "cpu", region: "us-east1", instance_type: "n2-standard-4", nodes: 1)],
    batch: [(name: "train", arrivals: Trace(file: "jobs.csv"))],
    node_autoscaling: [(region: "us-east1", karpenter: (node_pools: [(name: "np",
        requirements: (instance_types: ["g2-standard-4", "g2-standard-8", "g2-standard-24",
        "a2-highgpu-2g"]))]))],
)
"#;
    let (events, summary) = run(dir.path(), ron, 1, 2);
    let ups = of_reason(&events, "TriggeredScaleUp");
    assert_eq!(ups.len(), 1, "{ups:?}");
    assert_eq!(ups[0].1, "nodepool/np-g2-standard-24-on-demand");
    assert!(ups[0].2.contains("at 2.0008 USD/h"), "{}", ups[0].2);
    assert_eq!(summary["batch"]["completed"], 1);
}

#[test]
fn the_cluster_autoscaler_asks_one_four_gpu_node_per_four_gpu_pods() {
    // Six 1-GPU Jobs of 1 CPU / 1 GiB on g2-standard-48 templates (48 vCPU, four L4): by cpu
    // and memory one node takes all six, by GPUs ceil(6 / 4) = 2 nodes. The scan at 10 s asks
    // both at once; they are Ready at 70 s and every pod binds then (wait 75 s each, with the
    // 5 s start). Counting cpu and memory only, the scan asked +1, two pods waited for the
    // next scan's node (Ready at 140 s) and the last Jobs finished at 746 s instead of 676 s.
    let dir = tempfile::tempdir().unwrap();
    let ron = r#"Experiment(
    name: "t",
    duration: "30m",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [
        (name: "cpu", region: "us-east1", instance_type: "n2-standard-4", nodes: 1,
         min_nodes: 1, max_nodes: 1),
        (name: "gpu", region: "us-east1", instance_type: "g2-standard-48", nodes: 0,
         min_nodes: 0, max_nodes: 5, provisioning_delay: "60s",
         taints: [(key: "nvidia.com/gpu", value: "present", effect: NoSchedule)]),
    ],
    batch: [(name: "train", arrivals: Trace(file: "jobs.csv"))],
    node_autoscaling: [(region: "us-east1", cluster_autoscaler: ())],
)
"#;
    let (events, summary) = run(dir.path(), ron, 6, 1);
    let ups = of_reason(&events, "TriggeredScaleUp");
    assert_eq!(ups.len(), 1, "{ups:?}");
    assert_eq!(ups[0].0, 10.0);
    assert!(
        ups[0]
            .2
            .starts_with("\"scale-up gpu +2: 6 pods unschedulable, 6 fit the new nodes"),
        "{}",
        ups[0].2
    );
    let batch = &summary["batch"];
    assert_eq!(batch["completed"], 6);
    assert_eq!(batch["wait_mean_s"], 75.0);
    assert_eq!(batch["makespan_s"], 676.0);
}

#[test]
fn a_karpenter_region_without_gpu_types_refuses_a_gpu_job() {
    // The NodePool allows only the n2 family: no type Karpenter may launch has a GPU, so the
    // Jobs could never start; `validate` names the GPU types the region offers.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.ron");
    fs::write(
        &file,
        r#"Experiment(
    name: "t",
    duration: "30m",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [],
    batch: [(name: "train", arrivals: Poisson(rate: Constant(rps: 0.01),
        duration: LogNormal(median: "10m", sigma: 0.2)),
        requests: (cpu: "1", memory: "1Gi"), gpus: 1)],
    node_autoscaling: [(region: "us-east1", karpenter: (node_pools: [(name: "np",
        requirements: (instance_families: ["n2"]))]))],
)
"#,
    )
    .unwrap();
    let r = clustersim(&["validate", file.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(2));
    let err = text(&r.stderr);
    assert!(err.contains("batch[0].gpus"), "{err}");
    assert!(
        err.contains(
            "expected a NodePool whose requirements allow a machine type with that many GPUs"
        ),
        "{err}"
    );
    assert!(err.contains("such as `a2-highgpu-1g`"), "{err}");
}

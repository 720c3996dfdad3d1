//! `clustersim validate` on a sweep file (issue 17, item 4): the sweep and every run it
//! generates are checked without running any; a bad run exits 2 naming it.

mod common;

use common::{clustersim, text};

/// `quickstart.ron` as the base, in `dir`, and a sweep over checkout's cpu request.
fn sweep_over_cpu(dir: &std::path::Path, values: &str) -> std::path::PathBuf {
    let base = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/experiments/quickstart.ron"
    ))
    .unwrap();
    std::fs::write(dir.join("base.ron"), base).unwrap();
    let sweep = dir.join("sweep.ron");
    std::fs::write(
        &sweep,
        format!(
            "// a sweep\nSweep(\n    base: \"base.ron\",\n    axes: [Values(field: \
             \"services[name=checkout].requests.cpu\", values: [{values}])],\n    replicates: 2,\n)\n"
        ),
    )
    .unwrap();
    sweep
}

#[test]
fn a_sweep_validates_with_every_generated_run() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = sweep_over_cpu(dir.path(), "\"1\", \"2\"");
    let out = clustersim(&["validate", sweep.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // 2 values × 2 seeds.
    assert!(
        text(&out.stdout).ends_with(": ok, 4 runs\n"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_generated_run_that_can_never_schedule_fails_validate() {
    let dir = tempfile::tempdir().unwrap();
    // n2-standard-8 allocates 7910m: a 16-CPU checkout pod fits no node of general-us.
    let sweep = sweep_over_cpu(dir.path(), "\"1\", \"16\"");
    let out = clustersim(&["validate", sweep.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("services[1].requests"), "{stderr}");
    assert!(stderr.contains("it can never be scheduled"), "{stderr}");
    assert!(
        stderr.contains("services[name=checkout].requests.cpu = \"16\""),
        "{stderr}"
    );
}

#[test]
fn validate_warns_with_the_figures_when_replicas_cannot_all_fit() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/experiments/quickstart.ron"
    ))
    .unwrap();
    let file = dir.path().join("x.ron");
    std::fs::write(&file, base.replace("replicas: 5,", "replicas: 400,")).unwrap();
    let out = clustersim(&["validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // 3 × n2-standard-8 allocate 3 × 7910m = 23730m; 400 checkout pods of 1 CPU want 400.
    assert!(
        text(&out.stderr).contains(
            "warning: service checkout in us-east1: 400 replicas × (cpu 1, memory 1Gi) = cpu \
             400, memory 400Gi, more than the 3 nodes of general-us can allocate at most (cpu \
             23730m,"
        ),
        "{}",
        text(&out.stderr)
    );
}

/// A Dataproc-like worker pool (`n2-standard-4`, 4 vCPU / 16 GiB) and a batch workload whose
/// pods take a whole worker's usable share, 3 vCPU / 14 GiB; `pool_extra` adds to the pool.
fn dataproc_like(pool_extra: &str) -> String {
    format!(
        r#"Experiment(
    name: "dataproc",
    duration: "1h",
    regions: [(name: "us-central1", zones: ["us-central1-a"])],
    node_pools: [(name: "workers", region: "us-central1", instance_type: "n2-standard-4", nodes: 2{pool_extra})],
    batch: [(
        name: "spark",
        arrivals: Poisson(rate: Constant(rps: 0.001), duration: Constant(run: "10m")),
        requests: (cpu: "3", memory: "14Gi"),
    )],
)
"#
    )
}

#[test]
fn a_pool_that_states_its_allocatable_holds_what_the_tiers_would_refuse() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.ron");
    // GKE's tiers leave an n2-standard-4 16 GiB − 2.6 GiB − 100 MiB ≈ 13.3 GiB: 14 GiB never fits.
    std::fs::write(&file, dataproc_like("")).unwrap();
    let out = clustersim(&["validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("batch[0].requests"),
        "{}",
        text(&out.stderr)
    );
    // The platform's own figures, stated either way, hold one such pod per worker.
    for extra in [
        r#", allocatable: (cpu: "3", memory: "14Gi")"#,
        r#", reserved: (cpu: "1", memory: "2Gi")"#,
    ] {
        std::fs::write(&file, dataproc_like(extra)).unwrap();
        let out = clustersim(&["validate", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{extra}: {}", text(&out.stderr));
        assert!(text(&out.stderr).is_empty(), "{}", text(&out.stderr));
    }
}

#[test]
fn validate_warns_of_trace_jobs_that_can_never_start() {
    let dir = tempfile::tempdir().unwrap();
    // Two Jobs; the second asks for 16 GiB, more than a 14 GiB worker offers.
    std::fs::write(
        dir.path().join("jobs.csv"),
        "submit_s,duration_s,cpu_millis,memory_mib\n0,600,3000,14336\n60,600,3000,16384\n",
    )
    .unwrap();
    let src = dataproc_like(r#", allocatable: (cpu: "3", memory: "14Gi")"#).replace(
        r#"arrivals: Poisson(rate: Constant(rps: 0.001), duration: Constant(run: "10m")),
        requests: (cpu: "3", memory: "14Gi"),"#,
        r#"arrivals: Trace(file: "jobs.csv"),"#,
    );
    let file = dir.path().join("x.ron");
    std::fs::write(&file, src).unwrap();
    let out = clustersim(&["validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(
            "warning: batch workload spark in us-central1: 1 Jobs request more than any \
             untainted node of the region holds (the largest cpu=3 memory=16Gi); they never start"
        ),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn validate_warns_of_jobs_their_queue_can_never_admit() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.ron");
    // Four 1-cpu pods at once need 4 cpu; the queue has 2 and no cohort to borrow from.
    let src = dataproc_like("").replace(
        r#"requests: (cpu: "3", memory: "14Gi"),"#,
        r#"requests: (cpu: "1", memory: "1Gi"), parallelism: 4, completions: 4, queue: "q","#,
    ).replace(
        "    batch: [(",
        "    kueue: (\n        resource_flavors: [(name: \"any\")],\n        cluster_queues: [(name: \"small\", flavors: [(name: \"any\", nominal: (cpu: \"2\"))])],\n        local_queues: [(name: \"q\", cluster_queue: \"small\")],\n    ),\n    batch: [(",
    );
    std::fs::write(&file, src).unwrap();
    let out = clustersim(&["validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(" Jobs ask more (parallelism × requests) than ClusterQueue small could admit even with its cohort idle; they are never admitted"),
        "{}",
        text(&out.stderr)
    );
}

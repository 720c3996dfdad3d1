//! End-to-end tests of batch Jobs through the `clustersim` binary: Jobs queue behind a
//! namespace's ResourceQuota in arrival order and finish, with hand-computed waits; a bad job
//! trace row exits 2 naming it; two Kueue ClusterQueues lend and reclaim quota by preemption.

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
    // The three Jobs are one admission wave: packed decreasing onto n2-standard-8 nodes
    // (7910m allocatable), all three 2-cpu pods fit one node, which lives 600 s; its idle
    // cpu share is 1 − 3 × 2000/7910 for those 600 s, at $0.388472 an hour.
    let wave = &b["waves"][0];
    assert_eq!(wave["pods"], 3);
    for how in ["first_fit", "best_fit"] {
        assert_eq!(wave[how]["nodes"], 1);
        assert_eq!(wave[how]["node_hours"].as_f64(), Some(600.0 / 3600.0));
        let idle = 0.388472 * 600.0 * (1.0 - 3.0 * 2000.0 / 7910.0) / 3600.0;
        assert!((wave[how]["idle_cost_usd"].as_f64().unwrap() - idle).abs() < 1e-12);
    }
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

/// Two ClusterQueues of 4 cpu in one cohort; team-b reclaims what team-a borrowed.
const QUEUED: &str = r#"Experiment(
    name: "queued",
    duration: "1h",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [(name: "p", region: "us-east1", instance_type: "n2-standard-8", nodes: 4)],
    namespaces: [(name: "team-a"), (name: "team-b")],
    kueue: (
        resource_flavors: [(name: "default")],
        cluster_queues: [
            (name: "team-a", cohort: "c", flavors: [(name: "default", nominal: (cpu: "4"))]),
            (name: "team-b", cohort: "c", flavors: [(name: "default", nominal: (cpu: "4"))],
             preemption: (reclaim_within_cohort: Any)),
        ],
        local_queues: [
            (name: "a", namespace: "team-a", cluster_queue: "team-a"),
            (name: "b", namespace: "team-b", cluster_queue: "team-b"),
        ],
    ),
    batch: [
        (name: "a", namespace: "team-a", queue: "a", arrivals: Trace(file: "a.csv")),
        (name: "b", namespace: "team-b", queue: "b", arrivals: Trace(file: "b.csv")),
    ],
)
"#;

/// Runs `experiment` with team-a's three Jobs at 0, 10 and 20 s and team-b's two at 600 s
/// (2 cpu, 1 200 s each): the summary and the events table.
fn run_queued(experiment: &str) -> (serde_json::Value, String) {
    let tmp = tempfile::tempdir().unwrap();
    // team-a: three 2-cpu Jobs at 0, 10 and 20 s, 1 200 s each; team-b: two at 600 s.
    let head = "submit_s,duration_s,cpu_millis,memory_mib\n";
    fs::write(
        tmp.path().join("a.csv"),
        format!("{head}0,1200,2000,1024\n10,1200,2000,1024\n20,1200,2000,1024\n"),
    )
    .unwrap();
    fs::write(
        tmp.path().join("b.csv"),
        format!("{head}600,1200,2000,1024\n600,1200,2000,1024\n"),
    )
    .unwrap();
    let file = tmp.path().join("queued.ron");
    fs::write(&file, experiment).unwrap();
    run_passing(&file, tmp.path())
}

/// Runs `file` with its outputs in `dir/out`, expecting exit 0: the summary and the events.
fn run_passing(file: &std::path::Path, dir: &std::path::Path) -> (serde_json::Value, String) {
    let out = dir.join("out");
    let r = clustersim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let summary: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
    let events = fs::read_to_string(out.join("events.csv")).unwrap();
    (summary, events)
}

/// Runs a bundled example: its summary and events.
fn run_example(name: &str) -> (serde_json::Value, String) {
    let tmp = tempfile::tempdir().unwrap();
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("experiments")
        .join(name);
    run_passing(&file, tmp.path())
}

#[test]
fn a_cohort_lends_idle_quota_and_reclaims_it_by_preemption() {
    let (summary, events) = run_queued(QUEUED);
    let queues = &summary["batch"]["queues"];
    // team-a's nominal 4 cpu holds a-0 and a-1; a-2 borrows team-b's idle quota (6 of 8 used).
    // At 600 s b-0 takes the 2 cpu left; b-1 fits team-b's nominal quota only if team-a gives
    // back what it borrowed: a-2, its latest admission, is suspended and waits. a-0 runs
    // 5–1205 s and completes at 1206 s: team-a is back to 2 cpu and a-2 is admitted again
    // within its nominal quota, having waited 1206 − 600 = 606 s.
    assert_eq!(queues[0]["name"], "team-a");
    assert_eq!(queues[0]["admitted"], 4);
    assert_eq!(queues[0]["admitted_borrowing"], 1);
    assert_eq!(queues[0]["preempted"], 1);
    assert_eq!(queues[0]["wait_max_s"].as_f64(), Some(606.0));
    assert_eq!(queues[1]["admitted"], 2);
    assert_eq!(queues[1]["admitted_borrowing"], 0);
    assert_eq!(queues[1]["preempted"], 0);
    assert_eq!(queues[1]["wait_max_s"].as_f64(), Some(0.0));
    let suspended: Vec<&str> = events
        .lines()
        .filter(|l| l.contains(",Suspended,"))
        .collect();
    assert_eq!(suspended.len(), 1, "{events}");
    assert!(
        suspended[0].starts_with("600.0,")
            && suspended[0].contains("job/a-2,Preempted to accommodate job/b-1 of ClusterQueue team-b due to reclamation within the cohort"),
        "{}",
        suspended[0]
    );
    // Every Job completes: the preempted one is not failed, only delayed.
    assert_eq!(summary["batch"]["completed"], 5);
    assert_eq!(summary["batch"]["failed_backoff_limit"], 0);
}

#[test]
fn a_queue_that_waits_before_preempting_reclaims_later() {
    let (summary, events) = run_queued(&QUEUED.replace(
        "preemption: (reclaim_within_cohort: Any)",
        "preemption: (reclaim_within_cohort: Any, after_waiting: \"5m\")",
    ));
    let queues = &summary["batch"]["queues"];
    // b-1 waits 300 s before it may preempt: a-2 is suspended at 900 s, not 600 s, and is
    // admitted again when a-0 completes at 1 206 s, 306 s later.
    let suspended: Vec<&str> = events
        .lines()
        .filter(|l| l.contains(",Suspended,"))
        .collect();
    assert_eq!(suspended.len(), 1, "{events}");
    assert!(suspended[0].starts_with("900.0,"), "{}", suspended[0]);
    assert_eq!(queues[1]["wait_max_s"].as_f64(), Some(300.0));
    assert_eq!(queues[0]["wait_max_s"].as_f64(), Some(306.0));
}

/// `experiments/dask-dataproc-queues.ron` answers its question: ETL borrows idle quota, a
/// preemption happens only after the preemptor waited 15 minutes, and a preempted app is
/// delayed, not failed.
#[test]
fn the_dataproc_example_borrows_and_reclaims_after_fifteen_minutes() {
    let (summary, events) = run_example("dask-dataproc-queues.ron");
    let queues = &summary["batch"]["queues"];
    assert_eq!(queues[0]["name"], "etl");
    assert!(
        queues[0]["admitted_borrowing"].as_u64().unwrap() > 0,
        "{queues}"
    );
    assert_eq!(summary["batch"]["failed_backoff_limit"], 0);
    let suspended: Vec<&str> = events
        .lines()
        .filter(|l| l.contains(",Suspended,"))
        .collect();
    assert!(!suspended.is_empty(), "no preemption");
    for line in &suspended {
        // "…,Suspended,job/<victim>,Preempted to accommodate job/<preemptor> of …": the
        // preemptor's admission at the same instant says how long it waited.
        let time = line.split(',').next().unwrap();
        let preemptor = line
            .split("accommodate ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap();
        let admitted = events
            .lines()
            .find(|l| {
                l.starts_with(&format!("{time},"))
                    && l.contains(&format!(",QuotaReserved,{preemptor},"))
            })
            .unwrap_or_else(|| panic!("{preemptor} admitted at {time}"));
        let waited: f64 = admitted
            .split("waited ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(waited >= 900.0, "{admitted}");
        // The victim is admitted again later and completes.
        let victim = line.split(',').nth(3).unwrap();
        assert!(
            events
                .lines()
                .any(|l| l.contains(&format!(",Completed,{victim},"))),
            "{victim} never completed"
        );
    }
}

/// A GPU pod never lands on a node without a free GPU: three one-GPU Jobs, one 1-GPU node
/// (`g2-standard-8`, one L4, tainted `nvidia.com/gpu` as GKE taints GPU nodes) beside two
/// roomy CPU nodes, and one CPU Job that stays off the GPU node.
#[test]
fn gpu_jobs_wait_for_the_gpu_node_and_never_use_a_cpu_node() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("jobs.csv"),
        "submit_s,duration_s,cpu_millis,memory_mib,gpus\n0,600,1000,1024,1\n0,600,1000,1024,1\n0,600,1000,1024,1\n",
    )
    .unwrap();
    // A CPU Job too: the GPU node's `nvidia.com/gpu` taint (GKE's) keeps it on a CPU node,
    // while the GPU Jobs tolerate it (ExtendedResourceToleration).
    fs::write(
        tmp.path().join("cpu.csv"),
        "submit_s,duration_s,cpu_millis,memory_mib\n0,600,1000,1024\n",
    )
    .unwrap();
    let file = tmp.path().join("gpu.ron");
    fs::write(
        &file,
        r#"Experiment(
    name: "gpu",
    duration: "40m",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [
        (name: "cpu", region: "us-east1", instance_type: "n2-standard-8", nodes: 2),
        (name: "gpu", region: "us-east1", instance_type: "g2-standard-8", nodes: 1,
         taints: [(key: "nvidia.com/gpu", value: "present", effect: NoSchedule)]),
    ],
    batch: [
        (name: "train", arrivals: Trace(file: "jobs.csv")),
        (name: "etl", arrivals: Trace(file: "cpu.csv")),
    ],
)
"#,
    )
    .unwrap();
    let (summary, _) = run_passing(&file, tmp.path());
    let out = tmp.path().join("out");
    let b = &summary["batch"];
    // One GPU: the pods run one after another, 5–605, 610–1210, 1215–1815 s; waits (submit →
    // running) 5, 610 and 1 215 s, though the CPU nodes had room for all three at once.
    // The CPU Job waits 5 s on a CPU node: waits 5, 5, 610, 1 215 s.
    assert_eq!(b["completed"], 4);
    assert_eq!(
        b["wait_mean_s"].as_f64(),
        Some((5.0 + 5.0 + 610.0 + 1215.0) / 4.0)
    );
    // The CPU pool holds the CPU Job's 1 cpu of 2 × 7910m, no GPU pod.
    let pools = fs::read_to_string(out.join("pools.csv")).unwrap();
    let header: Vec<&str> = pools.lines().next().unwrap().split(',').collect();
    let (pool, fraction) = (
        header.iter().position(|&c| c == "pool").unwrap(),
        header
            .iter()
            .position(|&c| c == "cpu_requested_fraction")
            .unwrap(),
    );
    let mut gpu_busy = false;
    for line in pools.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let f: f64 = cells[fraction].parse().unwrap();
        match cells[pool] {
            // Bound at 0 s, gone at 605 s: exactly the CPU Job's share until then.
            "cpu" => {
                let t: u64 = cells[0].parse().unwrap();
                let share = if t <= 600 {
                    1000.0 / (2.0 * 7910.0)
                } else {
                    0.0
                };
                assert_eq!(f, share, "{line}");
            }
            _ => gpu_busy |= f > 0.0,
        }
    }
    assert!(gpu_busy, "{pools}");
}

/// `experiments/ml-forecasting-gpu.ron` answers its question: every Job completes before
/// 06:00 (five hours after the 01:00 start), demand borrows supply's idle quota and gives it
/// back by preemption, and the spot reclaim wave costs retries, not failed Jobs.
#[test]
fn the_ml_platform_example_finishes_before_six() {
    let (summary, events) = run_example("ml-forecasting-gpu.ron");
    let b = &summary["batch"];
    assert_eq!(b["completed"], b["jobs"]);
    assert_eq!(b["unfinished"], 0);
    // The first Job is submitted at or after 01:00, so a makespan within 5 h ends by 06:00.
    assert!(b["makespan_s"].as_f64().unwrap() <= 5.0 * 3600.0, "{b}");
    let demand = &b["queues"][0];
    assert_eq!(demand["name"], "demand");
    assert!(
        demand["admitted_borrowing"].as_u64().unwrap() > 0,
        "{demand}"
    );
    assert!(demand["preempted"].as_u64().unwrap() > 0, "{demand}");
    assert!(events.contains(",SpotInterruption,"), "no reclaim wave");
}

/// A run with queues writes the queues table and its chart, and `clustersim report` draws the
/// same chart again from the saved table.
#[test]
fn the_queues_table_and_chart_are_written_and_redrawn() {
    let tmp = tempfile::tempdir().unwrap();
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("experiments")
        .join("dask-dataproc-queues.ron");
    run_passing(&file, tmp.path());
    let out = tmp.path().join("out");
    let table = fs::read_to_string(out.join("queues.csv")).unwrap();
    assert!(
        table.starts_with(
            "time_s,time_utc,region,queue,pending_jobs,admitted_jobs,borrowing_jobs\n"
        ),
        "{table}"
    );
    // 6 h at 1 min: 361 samples × 3 queues, and the header.
    assert_eq!(table.lines().count(), 361 * 3 + 1);
    let chart = fs::read(out.join("charts/queues.svg")).unwrap();
    fs::remove_file(out.join("charts/queues.svg")).unwrap();
    let r = clustersim(&["report", out.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert_eq!(fs::read(out.join("charts/queues.svg")).unwrap(), chart);
}

#[test]
fn batch_figures_gate_a_run() {
    // The three Jobs above: none misses a deadline (none has one), all complete by 1 876 s of
    // the 40-minute run, and the longest wait is Job 2's 1 215 s, so the p95 of the waits is
    // above 610 s (the median) and at most 1 215 s.
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("jobs.csv"), JOBS).unwrap();
    let file = tmp.path().join("batch.ron");
    fs::write(&file, EXPERIMENT).unwrap();
    let gated = |gates: &[&str]| {
        let out = tmp.path().join("out");
        let mut args = vec![
            "run",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ];
        for g in gates {
            args.extend(["--gate", g]);
        }
        clustersim(&args)
    };
    let ok = gated(&[
        "batch_unfinished==0",
        "batch_deadline_misses==0",
        "batch_wait_p95_s<=1215",
        "batch_wait_p95_s>610",
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    let missed = gated(&["batch_wait_p95_s<=600"]);
    assert_eq!(missed.status.code(), Some(1), "{}", text(&missed.stderr));
    // The same as a target in the file.
    fs::write(
        &file,
        EXPERIMENT.replace(
            "    batch: [",
            "    targets: (batch_wait_p95: \"10m\"),\n    batch: [",
        ),
    )
    .unwrap();
    let target = gated(&[]);
    assert_eq!(target.status.code(), Some(1), "{}", text(&target.stderr));
    assert!(
        text(&target.stderr).contains("batch_wait_p95_s<=600"),
        "{}",
        text(&target.stderr)
    );
    assert!(
        text(&missed.stderr).contains("batch_wait_p95_s<=600"),
        "{}",
        text(&missed.stderr)
    );
}

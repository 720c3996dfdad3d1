//! End-to-end tests of `clustersim sweep` and `sweep-merge`: the table is byte-identical for
//! `--jobs 1`, `--jobs 2` and three shards merged; a sweep killed with SIGKILL resumes without
//! rerunning finished runs and ends with the uninterrupted table; the hand-derivable cheapest
//! passing configuration is the one named; bad sweep files exit 2 with file:line:col.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{GOOD, text};

/// The binary, with the batch engines' variables removed so that a CI runner inside a
/// Kubernetes Job or a Slurm allocation does not shard these sweeps.
fn clustersim_cmd(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_clustersim"));
    cmd.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    for var in [
        "JOB_COMPLETION_INDEX",
        "CLUSTERSIM_SHARDS",
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT",
        "SLURM_ARRAY_TASK_MIN",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn clustersim(args: &[&str]) -> Output {
    clustersim_cmd(args)
        .output()
        .expect("the clustersim binary runs")
}

/// A tiny base experiment: GOOD (1 h, one pool, 50 requests/s of a 100-requests/s-per-pod
/// service) with pods of 3 CPUs, so one pod fits one e2-standard-4 node, a p99 target of 60 ms,
/// noise so that seeds differ, and 5-minute rows.
fn write_base(dir: &Path) -> PathBuf {
    let base = GOOD
        .replace(
            "duration: \"1h\",",
            "duration: \"1h\",\n    output_interval: \"5m\",",
        )
        .replace("nodes: 2)", "capacity_type: OnDemand, nodes: 2)")
        .replace("cpu: \"500m\"", "cpu: \"3\"")
        .replace(
            "traffic: Constant(rps: 50),",
            "traffic: Product([Constant(rps: 50), Noise(cv: 0.02)]),",
        )
        .replace(
            "    )],\n)",
            "    )],\n    targets: (p99_latency: \"60ms\"),\n)",
        );
    assert!(base.contains("targets"), "{base}");
    let path = dir.join("base.ron");
    fs::write(&path, base).unwrap();
    path
}

/// Replicas and nodes zipped (n pods on n nodes), two capacity types, two seeds: 3 × 2 × 2 = 12
/// runs.
const SWEEP: &str = r#"Sweep(
    base: "base.ron",
    axes: [
        Zip([
            Values(field: "services[name=api].replicas", values: [1, 2, 3]),
            Values(field: "node_pools[0].nodes", values: [1, 2, 3]),
        ]),
        Values(field: "node_pools[0].capacity_type", values: ["OnDemand", "Spot"]),
    ],
    seeds: [1, 2],
)
"#;

fn write_sweep(dir: &Path, src: &str) -> PathBuf {
    write_base(dir);
    let path = dir.join("sweep.ron");
    fs::write(&path, src).unwrap();
    path
}

fn sweep(file: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "sweep",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    clustersim(&args)
}

const TABLES: [&str; 3] = ["sweep.parquet", "sweep.csv", "sweep.html"];

fn assert_same_tables(a: &Path, b: &Path) {
    for name in TABLES {
        let x = fs::read(a.join(name)).unwrap_or_else(|e| panic!("{name} in {a:?}: {e}"));
        let y = fs::read(b.join(name)).unwrap_or_else(|e| panic!("{name} in {b:?}: {e}"));
        assert!(!x.is_empty());
        assert!(x == y, "{name} differs between {a:?} and {b:?}");
    }
}

#[test]
fn the_table_is_the_same_for_one_thread_two_threads_and_three_merged_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_sweep(tmp.path(), SWEEP);
    let one = tmp.path().join("one");
    let two = tmp.path().join("two");
    let r = sweep(&file, &one, &["--jobs", "1", "--quiet"]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let r = sweep(&file, &two, &["--jobs", "2", "--quiet"]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert_same_tables(&one, &two);

    // Shard 0 by flag, 1 as a Slurm array task (ids 1..3), 2 as an Indexed Job completion.
    let shard = |i: usize| tmp.path().join(format!("shard-{i}"));
    let s0 = sweep(&file, &shard(0), &["--shard", "0/3", "--quiet"]);
    let mut slurm = clustersim_cmd(&[
        "sweep",
        file.to_str().unwrap(),
        "--out",
        shard(1).to_str().unwrap(),
        "--quiet",
    ]);
    slurm
        .env("SLURM_ARRAY_TASK_ID", "2")
        .env("SLURM_ARRAY_TASK_MIN", "1")
        .env("SLURM_ARRAY_TASK_COUNT", "3");
    let s1 = slurm.output().unwrap();
    let mut k8s = clustersim_cmd(&[
        "sweep",
        file.to_str().unwrap(),
        "--out",
        shard(2).to_str().unwrap(),
        "--shards",
        "3",
        "--quiet",
    ]);
    k8s.env("JOB_COMPLETION_INDEX", "2");
    let s2 = k8s.output().unwrap();
    for (i, s) in [s0, s1, s2].iter().enumerate() {
        assert_eq!(s.status.code(), Some(0), "shard {i}: {}", text(&s.stderr));
        // 12 runs, 4 per shard: index % 3 == i.
        let runs = fs::read_dir(shard(i).join("runs")).unwrap().count();
        assert_eq!(runs, 4, "shard {i}");
        assert!(shard(i).join(format!("sweep-shard-{i}-of-3.csv")).is_file());
    }
    let merged = tmp.path().join("merged");
    let m = clustersim(&[
        "sweep-merge",
        merged.to_str().unwrap(),
        shard(0).to_str().unwrap(),
        shard(1).to_str().unwrap(),
        shard(2).to_str().unwrap(),
    ]);
    assert_eq!(m.status.code(), Some(0), "{}", text(&m.stderr));
    assert_same_tables(&one, &merged);

    // Two shards only: the merge refuses, naming how many runs are missing.
    let partial = tmp.path().join("partial");
    let m = clustersim(&[
        "sweep-merge",
        partial.to_str().unwrap(),
        shard(0).to_str().unwrap(),
        shard(1).to_str().unwrap(),
    ]);
    assert_eq!(m.status.code(), Some(2), "{}", text(&m.stderr));
    assert!(
        text(&m.stderr).contains("4 of 12 runs"),
        "{}",
        text(&m.stderr)
    );
}

/// Hand derivation of the answer. The service is M/M/c with λ = 50 requests/s and μ = 100 per
/// pod (the 2 % noise moves λ by about a request per second), judged on p99 ≤ 60 ms:
/// - 1 pod: the sojourn time of M/M/1 is exponential with rate μ − λ = 50/s, so
///   p99 = ln(100) / 50 = 92 ms > 60 ms: fails.
/// - 2 pods: a = λ/μ = 0.5, Erlang C(2, 0.5) = (0.5²/2 · 2/1.5) / (1 + 0.5 + 0.5²/2 · 2/1.5)
///   = 0.1667 / 1.6667 = 0.1; the wait is 0 with probability 0.9, else exponential with rate
///   cμ − λ = 150/s; with the exponential service (rate 100) the sojourn tail is
///   P(S > t) = 0.9 e^(−100t) + 0.1 (3 e^(−100t) − 2 e^(−150t)) = 1.2 e^(−100t) − 0.2 e^(−150t),
///   which is 0.01 at t ≈ 47.8 ms (within the histogram's ±3.7 %: under 50 ms): passes.
/// - 3 pods: passes too, with one node more.
///
/// One pod per node, so the cost is nodes × 1 h × the e2-standard-4 price in us-east1:
/// on-demand $0.13402284/h, spot $0.080424/h (data/cloud/gcp, 2026-07-30). The cheapest
/// passing configuration is therefore 2 replicas on 2 spot nodes: 2 × 0.080424 = $0.160848.
#[test]
fn the_cheapest_passing_configuration_is_the_hand_derived_one() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_sweep(tmp.path(), SWEEP);
    let out = tmp.path().join("out");
    let r = sweep(&file, &out, &["--jobs", "2"]);
    let err = text(&r.stderr);
    assert_eq!(r.status.code(), Some(0), "{err}");
    assert!(
        err.contains(
            "cheapest configuration meeting every target: services[name=api].replicas = 2, \
             node_pools[0].nodes = 2, node_pools[0].capacity_type = Spot (mean $0.16 over 2 seeds)"
        ),
        "{err}"
    );
    let html = fs::read_to_string(out.join("sweep.html")).unwrap();
    let answer = &html[html.find("id=\"answer\"").unwrap()..html.find("id=\"chart\"").unwrap()];
    assert!(answer.contains("The cheapest configuration that meets every target"));
    assert!(
        answer.contains("node_pools[0].capacity_type = Spot"),
        "{answer}"
    );
    assert!(answer.contains("$0.16"), "{answer}");
    // The table: every 1-replica run fails, every other passes.
    let csv = fs::read_to_string(out.join("sweep.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 12);
    for row in &rows {
        // run_index, run_id, replicas, nodes, capacity_type, seed, pass, cost_usd, …
        let expected = if row[2] == "1" { "fail" } else { "pass" };
        assert_eq!(row[6], expected, "{row:?}");
    }
    let cost: f64 = rows
        .iter()
        .find(|r| r[2] == "2" && r[4] == "Spot")
        .map(|r| r[7].parse().unwrap())
        .unwrap();
    assert!((cost - 2.0 * 0.080424).abs() < 1e-9, "{cost}");
}

#[test]
fn a_killed_sweep_resumes_with_only_the_missing_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_sweep(tmp.path(), SWEEP);
    let reference = tmp.path().join("reference");
    let r = sweep(&file, &reference, &["--jobs", "2", "--quiet"]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));

    let out = tmp.path().join("out");
    let args = [
        "sweep",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--jobs",
        "1",
    ];
    let mut child = clustersim_cmd(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let done = |dir: &Path| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = fs::read_dir(dir.join("runs"))
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.join("summary.json").is_file())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    let deadline = Instant::now() + Duration::from_secs(300);
    while done(&out).len() < 3 {
        assert!(Instant::now() < deadline, "no run finished");
        assert!(child.try_wait().unwrap().is_none(), "the sweep ended early");
        std::thread::sleep(Duration::from_millis(10));
    }
    // `Child::kill` is SIGKILL on Unix: no chance to clean up.
    child.kill().unwrap();
    child.wait().unwrap();
    let finished = done(&out);
    assert!(finished.len() < 12, "killed too late to test resuming");
    assert!(!out.join("sweep.csv").exists());
    let stamps: Vec<_> = finished
        .iter()
        .map(|p| {
            fs::metadata(p.join("summary.json"))
                .unwrap()
                .modified()
                .unwrap()
        })
        .collect();

    let r = clustersim(&args);
    let err = text(&r.stderr);
    assert_eq!(r.status.code(), Some(0), "{err}");
    let k = finished.len();
    assert!(
        err.contains(&format!("12 runs, {k} already done, {} to run", 12 - k)),
        "{err}"
    );
    assert!(err.contains(&format!("ran {} runs", 12 - k)), "{err}");
    for (p, stamp) in finished.iter().zip(stamps) {
        let now = fs::metadata(p.join("summary.json"))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(now, stamp, "{p:?} was run again");
    }
    assert_same_tables(&reference, &out);
    // No temporary folder of the killed attempt is left.
    let hidden: Vec<_> = fs::read_dir(out.join("runs"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
}

/// Writes a sweep file, runs it, and checks exit 2, `file:line:col` and the words.
fn assert_bad_sweep(src: &str, line_col: &str, words: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_sweep(tmp.path(), src);
    let out = tmp.path().join("out");
    let r = sweep(&file, &out, &["--quiet"]);
    let err = text(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    let at = format!("{}:{line_col}", file.display());
    assert!(err.contains(&at), "expected {at} in: {err}");
    for w in words {
        assert!(err.contains(w), "expected {w:?} in: {err}");
    }
    assert!(!out.exists(), "bad input wrote {out:?}");
}

#[test]
fn bad_sweep_files_exit_2_with_their_location() {
    // An unknown field of an axis.
    assert_bad_sweep(
        &SWEEP.replace("values: [1, 2, 3]),", "values: [1, 2, 3], step: 1),"),
        "5:77",
        &["step"],
    );
    // A path the base does not have: located at the axis's field.
    assert_bad_sweep(
        &SWEEP.replace("[name=api].replicas", "[name=api].replica"),
        "5:27",
        &["services[name=api].replica", "not set in the base"],
    );
    // No element by that name.
    assert_bad_sweep(
        &SWEEP.replace("name=api", "name=web"),
        "5:27",
        &["no element of `services` has name `web`"],
    );
    // Zipped axes of different lengths.
    assert_bad_sweep(
        &SWEEP.replace(
            "values: [1, 2, 3]),\n        ]",
            "values: [1, 2]),\n        ]",
        ),
        "6:13",
        &["2 values where the Zip's first axis has 3"],
    );
    // A value the base's field cannot take, and a run the experiment loader refuses.
    assert_bad_sweep(
        &SWEEP.replace("[\"OnDemand\", \"Spot\"]", "[\"OnDemand\", 2]"),
        // Line 8 is `        Values(field: "node_pools[0].capacity_type", values: ["OnDemand", 2]),`:
        // the 2 is at column 8 + 66 + 1.
        "8:75",
        &["axes[1].values[1]", "expected a variant name"],
    );
}

#[test]
fn a_run_the_loader_refuses_is_reported_against_the_base_before_anything_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_sweep(
        tmp.path(),
        &SWEEP.replace("[\"OnDemand\", \"Spot\"]", "[\"OnDemand\", \"Reserved\"]"),
    );
    let out = tmp.path().join("out");
    let r = sweep(&file, &out, &["--quiet"]);
    let err = text(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    // The base's line 6 is the node pool; the run is named.
    assert!(err.contains("base.ron:6:"), "{err}");
    assert!(err.contains("capacity_type = Reserved"), "{err}");
    assert!(!out.exists());
}

#[test]
fn the_example_sweeps_validate_every_run_and_run_a_shard() {
    // spot-mix: 120 runs, all loaded and checked; shard 0 of 60 runs two of them. hpa-spot:
    // 100 runs, shard 0 of 50 runs two. policies-day: 8 runs, shard 0 of 4 runs two.
    // batch-packing: 4 runs, shard 0 of 2 runs two.
    for (file, shard, expected) in [
        (
            "experiments/sweeps/spot-mix.ron",
            "0/60",
            "2 runs (shard 0/60: 2 of 120)",
        ),
        (
            "experiments/sweeps/hpa-spot.ron",
            "0/50",
            "2 runs (shard 0/50: 2 of 100)",
        ),
        (
            "experiments/sweeps/policies-day.ron",
            "0/4",
            "2 runs (shard 0/4: 2 of 8)",
        ),
        (
            "experiments/sweeps/batch-packing.ron",
            "0/2",
            "2 runs (shard 0/2: 2 of 4)",
        ),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let r = sweep(Path::new(file), &out, &["--shard", shard, "--jobs", "2"]);
        let err = text(&r.stderr);
        assert_eq!(r.status.code(), Some(0), "{file}: {err}");
        assert!(err.contains(expected), "{file}: {err}");
    }
}

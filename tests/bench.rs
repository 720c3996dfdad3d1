//! End-to-end tests of `clustersim bench`: the table and the JSON agree with each other and
//! with the experiment, repeated runs handle the same events, bad or missing input exits 2.
//! Nothing here asserts how fast anything is: wall times vary from machine to machine.

use std::fs;
use std::path::Path;
use std::process::Command;

mod common;
use common::{GOOD, clustersim, text};

const COLUMNS: [&str; 11] = [
    "experiment",
    "runs",
    "load_s",
    "run_s",
    "events",
    "events_per_s",
    "sim_s_per_s",
    "peak_mem_mib",
    "peak_pods",
    "peak_nodes",
    "jobs",
];

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

#[test]
fn two_runs_of_the_quickstart_give_a_table_and_consistent_json() {
    let tmp = tempfile::tempdir().unwrap();
    let json = tmp.path().join("out.json");
    let r = clustersim(&[
        "bench",
        "experiments/quickstart.ron",
        "--runs",
        "2",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));

    // stdout is the table alone: a header and one row.
    let stdout = text(&r.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(header, COLUMNS, "{stdout}");
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(row.len(), COLUMNS.len(), "{stdout}");
    let cell = |name: &str| row[COLUMNS.iter().position(|c| *c == name).unwrap()];
    assert_eq!(cell("experiment"), "quickstart");
    assert_eq!(cell("runs"), "2");
    // 16 api pods in each of two regions and 5 checkout pods; 3 nodes per region.
    assert_eq!(cell("peak_pods"), "37");
    assert_eq!(cell("peak_nodes"), "6");
    assert_eq!(cell("jobs"), "-");

    // Written atomically: the file and nothing else.
    let names: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["out.json"]);
    let v: serde_json::Value = serde_json::from_str(&fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["runs"], 2);
    assert!(matches!(v["profile"].as_str(), Some("debug" | "release")));
    let x = &v["experiments"][0];
    assert_eq!(v["experiments"].as_array().map(Vec::len), Some(1));
    assert_eq!(x["file"], "experiments/quickstart.ron");
    assert_eq!(x["name"], "quickstart");
    assert_eq!(x["simulated_s"], 86_400.0);

    let events = x["events"].as_u64().unwrap();
    assert!(events > 0);
    assert_eq!(cell("events"), events.to_string());
    let runs = x["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    for run in runs {
        assert_eq!(run["events"].as_u64(), Some(events), "{run}");
        assert!(run["run_s"].as_f64().unwrap() > 0.0, "{run}");
        assert!(run["load_s"].as_f64().unwrap() > 0.0, "{run}");
    }
    assert_eq!(x["deterministic"], true);

    // The median of two runs is their mean; the rates follow from it.
    let run_s = x["run_s"].as_f64().unwrap();
    let mean = (runs[0]["run_s"].as_f64().unwrap() + runs[1]["run_s"].as_f64().unwrap()) / 2.0;
    assert!(close(run_s, mean), "{run_s} vs {mean}");
    let sim_per_wall = x["sim_s_per_s"].as_f64().unwrap();
    assert!(
        close(sim_per_wall, 86_400.0 / run_s),
        "{sim_per_wall} vs 86400 / {run_s}"
    );
    let per_s = x["events_per_s"].as_f64().unwrap();
    assert!(close(per_s, events as f64 / run_s), "{per_s}");
    assert_eq!(x["peak_pods"], 37);
    assert_eq!(x["peak_nodes"], 6);
    assert!(x["jobs"].is_null());

    // Peak memory is the largest run's, when /proc can tell.
    let peaks: Vec<Option<u64>> = runs
        .iter()
        .map(|r| r["peak_memory_bytes"].as_u64())
        .collect();
    assert_eq!(
        x["peak_memory_bytes"].as_u64(),
        peaks.iter().flatten().max().copied()
    );
    if cfg!(target_os = "linux") {
        assert!(peaks.iter().all(Option::is_some), "{peaks:?}");
    }
}

#[test]
fn batch_jobs_are_counted() {
    let r = clustersim(&["bench", "experiments/batch-quota.ron"]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let stdout = text(&r.stdout);
    let row: Vec<&str> = stdout.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(row[0], "batch-quota");
    // Jobs are counted, and their pods are not among the service's 4.
    let jobs: u64 = row[10].parse().unwrap();
    assert!(jobs > 0, "{stdout}");
    assert_eq!(row[8], "4", "{stdout}");
}

#[test]
fn a_missing_file_exits_2_and_names_it() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing.ron");
    let json = tmp.path().join("out.json");
    let r = clustersim(&[
        "bench",
        "experiments/quickstart.ron",
        missing.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(2), "{}", text(&r.stderr));
    assert!(
        text(&r.stderr).contains(missing.to_str().unwrap()),
        "{}",
        text(&r.stderr)
    );
    // Checked before anything runs: no table, no JSON.
    assert_eq!(text(&r.stdout), "");
    assert!(!json.exists());
}

#[test]
fn a_missing_default_outside_the_repository_root_says_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Command::new(env!("CARGO_BIN_EXE_clustersim"))
        .arg("bench")
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let err = text(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("experiments/"), "{err}");
    assert!(err.contains("repository root"), "{err}");
    assert!(err.contains("name the files"), "{err}");
    assert_eq!(text(&r.stdout), "");
}

#[test]
fn an_unparsable_experiment_is_located_like_run_does() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bad.ron");
    // An unknown field on line 3.
    fs::write(&file, GOOD.replace("duration:", "durations:")).unwrap();
    let f = file.to_str().unwrap();
    let bench = clustersim(&["bench", f]);
    let run = clustersim(&["validate", f]);
    assert_eq!(bench.status.code(), Some(2), "{}", text(&bench.stderr));
    let located = format!("{f}:3:");
    assert!(
        text(&bench.stderr).contains(&located),
        "{}",
        text(&bench.stderr)
    );
    assert!(text(&bench.stderr).contains(text(&run.stderr).trim()));
    assert_eq!(text(&bench.stdout), "");
}

#[test]
fn zero_runs_is_refused() {
    let r = clustersim(&["bench", "experiments/quickstart.ron", "--runs", "0"]);
    assert_eq!(r.status.code(), Some(2), "{}", text(&r.stderr));
    assert_eq!(text(&r.stdout), "");
}

/// `tests/cli.rs` runs the top-level experiments only; the benchmarks are too large to run in
/// every test pass (each takes ~15 s in a debug build), so they are checked for validity here.
#[test]
fn the_benchmark_experiments_validate() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/bench");
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    let names: Vec<_> = files.iter().map(|f| f.file_name().unwrap()).collect();
    assert_eq!(names, ["batch-100k.ron", "scheduling-burst.ron"]);
    for f in &files {
        let f = f.to_str().unwrap();
        let r = clustersim(&["validate", f]);
        assert!(r.status.success(), "{f}: {}", text(&r.stderr));
    }
}

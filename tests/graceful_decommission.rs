//! The bundled `experiments/dask-graceful-decommission.ron` end to end through the
//! `clustersim` binary, as written (`graceful_decommission_timeout: "10m"`) and patched to
//! Dataproc's forceful default ("0s"), to a timeout shorter than the tasks' remaining run
//! ("2m"), and forceful with the deadline out of the way (to see when the restarted tasks end).
//! The pure parts are tested in `models/src/policy/pool_model.rs`.
//!
//! Every figure below is derived by hand from the example:
//! - 4 workers of 3 allocatable vCPUs; at 0 s the app `nightly-0` (4 tasks of 1 vCPU, 1 200 s)
//!   and `nightly-1` (4 tasks of 2 vCPU, 600 s): one task of each per worker, all 12 vCPUs
//!   allocated. Job pods run 5 s after binding (start-up), so the short tasks end at 605 s and
//!   the long ones at 1 205 s; a Job completes 1 s after its last pod (`syncJobBatchPeriod`).
//! - The policy evaluates every 60 s from 60 s. At 600 s allocation is 12/12; from 660 s it is
//!   4/12 = 0.333 < 0.5, held 300 s at 960 s: 4 → 2 nodes (`Nodes(2)`, min 2), two busy workers
//!   of one long task each (all equally allocated and created at 0 s: the highest ids, 3 and 2).
//! - Graceful ("10m"): cordoned at 960 s, deadline 1 560 s; at the 1 200 s evaluation their
//!   tasks still run, at 1 260 s they are gone: removed then, 0 pods left, nothing evicted.
//!   The app completes at 1 206 s. Node-seconds 2 × 3 600 + 2 × 1 260: 2.7 node-hours.
//! - Forceful ("0s"): drained at 960 s, their 2 tasks evicted (955 s of work each lost), the
//!   instances gone when the pods' 30 s grace period ends (`terminationGracePeriodSeconds`
//!   default): 2 × 3 600 + 2 × 990 node-seconds, 2.55 node-hours. The app is still running at
//!   its 30-minute deadline: failed at 1 800 s, one deadline miss, exit 1.
//! - "2m": cordoned at 960 s, deadline 1 080 s, an evaluation instant with 125 s of the tasks
//!   left: drained then with 1 pod each, 2 evicted at 1 080 s.
//! - Forceful without the deadline: the evicted pods' failures wake the Job controller, which
//!   recreates the 2 pods at its back-off after two failures (10 s × 2 = 20 s, upstream
//!   `backoff_utils.go`), not at the evicted pods' 30 s grace period end; they run 5 s + 1 200 s
//!   again and the Job completes 1 s after: 960 + 20 + 1 206 = 2 186 s.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{clustersim, run_in, text};

const EXAMPLE: &str = "experiments/dask-graceful-decommission.ron";
const TRACE: &str = "dask-graceful-decommission-jobs.csv";
const TIMEOUT: &str = "graceful_decommission_timeout: \"10m\"";
const DEADLINE: &str = "active_deadline: \"30m\"";

/// The scale-down instant, seconds: 660 s (first low evaluation) + 300 s held.
const SCALE_DOWN_S: f64 = 960.0;

/// Runs the example with `edits` (each `(from, to)` must occur in it) in a fresh folder beside
/// a copy of its trace: the process output, the folder (kept alive) and the output path.
fn run_patched(edits: &[(&str, &str)]) -> (Output, tempfile::TempDir, PathBuf) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments");
    let mut src = std::fs::read_to_string(root.join("dask-graceful-decommission.ron")).unwrap();
    for (from, to) in edits {
        assert!(src.contains(from), "the example no longer has `{from}`");
        src = src.replace(from, to);
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root.join(TRACE), dir.path().join(TRACE)).unwrap();
    let out = dir.path().join("out");
    let r = run_in(dir.path(), "x", &src, &out, &[]);
    (r, dir, out)
}

/// `(time_s, reason, message)` of every row of `events.csv`.
fn events(out: &Path) -> Vec<(f64, String, String)> {
    let csv = std::fs::read_to_string(out.join("events.csv")).unwrap();
    csv.lines()
        .skip(1)
        .map(|line| {
            // time_s,time_utc,reason,object,message,count: the message alone may be quoted.
            let f: Vec<&str> = line.splitn(5, ',').collect();
            let (message, _count) = f[4].rsplit_once(',').unwrap();
            (
                f[0].parse().unwrap(),
                f[2].to_owned(),
                message.trim_matches('"').to_owned(),
            )
        })
        .collect()
}

/// `(time_s, pods)` of every `Evicted` event (its message starts with "N pod(s)").
fn evictions(out: &Path) -> Vec<(f64, u32)> {
    events(out)
        .into_iter()
        .filter(|(_, reason, _)| reason == "Evicted")
        .map(|(t, _, message)| {
            let (n, _) = message.split_once(" pod(s)").unwrap();
            (t, n.parse().unwrap())
        })
        .collect()
}

/// Instants of the `NodeNotSchedulable` events (graceful decommissions begun).
fn cordoned(out: &Path) -> Vec<f64> {
    events(out)
        .into_iter()
        .filter(|(_, reason, _)| reason == "NodeNotSchedulable")
        .map(|(t, _, _)| t)
        .collect()
}

/// `(time_s, pods left)` of the `decommission` rows of `decisions.csv`.
fn decommissions(out: &Path) -> Vec<(f64, f64)> {
    let csv = std::fs::read_to_string(out.join("decisions.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (t, kind, value) = (col("time_s"), col("kind"), col("value"));
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|row| row[kind] == "decommission")
        .map(|row| (row[t].parse().unwrap(), row[value].parse().unwrap()))
        .collect()
}

fn summary(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

fn close(actual: &serde_json::Value, expected: f64) -> bool {
    actual.as_f64().is_some_and(|a| (a - expected).abs() < 1e-9)
}

#[test]
fn with_a_ten_minute_timeout_the_busy_workers_finish_their_tasks_and_the_app_its_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let r = clustersim(&["run", EXAMPLE, "--out", out.to_str().unwrap(), "--quiet"]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert_eq!(cordoned(&out), vec![SCALE_DOWN_S; 2]);
    assert!(evictions(&out).is_empty());
    // Both removed at the 1 260 s evaluation, the first after their tasks ended at 1 205 s.
    assert_eq!(decommissions(&out), vec![(1260.0, 0.0); 2]);
    let s = summary(&out);
    let b = &s["batch"];
    assert_eq!(
        (b["completed"].as_u64(), b["deadline_misses"].as_u64()),
        (Some(2), Some(0))
    );
    assert!(close(&b["makespan_s"], 1206.0), "{b}");
    assert!(
        close(&s["node_hours"], (2.0 * 3600.0 + 2.0 * 1260.0) / 3600.0),
        "{s}"
    );
}

#[test]
fn forcefully_the_busy_workers_tasks_are_evicted_and_the_app_misses_its_deadline() {
    let (r, _dir, out) = run_patched(&[(TIMEOUT, "graceful_decommission_timeout: \"0s\"")]);
    assert_eq!(r.status.code(), Some(1), "{}", text(&r.stderr));
    // One long task per removed worker, evicted at the scale-down.
    let evicted = evictions(&out);
    assert!(
        evicted.iter().all(|&(t, _)| t == SCALE_DOWN_S),
        "{evicted:?}"
    );
    assert_eq!(evicted.iter().map(|&(_, n)| n).sum::<u32>(), 2);
    assert!(cordoned(&out).is_empty());
    assert!(decommissions(&out).is_empty());
    let s = summary(&out);
    let b = &s["batch"];
    assert_eq!(
        (b["completed"].as_u64(), b["deadline_misses"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(close(&b["makespan_s"], 1800.0), "{b}");
    assert!(
        close(&s["node_hours"], (2.0 * 3600.0 + 2.0 * 990.0) / 3600.0),
        "{s}"
    );
    let missed: Vec<&str> = s["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["pass"] == false)
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(missed, vec!["batch_deadline_misses"]);
}

#[test]
fn a_timeout_shorter_than_the_tasks_remaining_run_evicts_them_when_it_passes() {
    let (r, _dir, out) = run_patched(&[(TIMEOUT, "graceful_decommission_timeout: \"2m\"")]);
    assert_eq!(r.status.code(), Some(1), "{}", text(&r.stderr));
    assert_eq!(cordoned(&out), vec![SCALE_DOWN_S; 2]);
    assert_eq!(decommissions(&out), vec![(1080.0, 1.0); 2]);
    assert_eq!(evictions(&out), vec![(1080.0, 1); 2]);
}

#[test]
fn forcefully_the_evicted_tasks_run_again_from_the_start() {
    let (r, _dir, out) = run_patched(&[
        (TIMEOUT, "graceful_decommission_timeout: \"0s\""),
        (DEADLINE, "active_deadline: \"1h\""),
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let b = &summary(&out)["batch"];
    assert_eq!(b["completed"].as_u64(), Some(2), "{b}");
    let makespan = b["makespan_s"].as_f64().unwrap();
    assert!((makespan - 2186.0).abs() < 1e-6, "{makespan}");
}

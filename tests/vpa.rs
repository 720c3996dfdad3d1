//! End-to-end tests of the VerticalPodAutoscaler through the `clustersim` binary: the target
//! a constant usage settles on (upstream's histogram bucket and safety margin, computed here by
//! hand), each update mode, the OOM kill and bump, and the bad input it refuses. The
//! recommender's and updater's functions are checked against upstream's cases in
//! `models/tests/vpa_cases.rs`.

mod common;

use std::fs;
use std::path::Path;

use common::{clustersim, run_experiment, text};

/// 20 pods of 2 cores and 4 GiB serving 600 requests/s (30 each, of the 100 a pod serves at
/// its full declared CPU): each uses 0.6 cores and 500 MiB + 30 × 2 MiB = 560 MiB. 7 nodes of
/// 8 vCPU hold them all at the start.
fn experiment(duration: &str, vpa: &str) -> String {
    format!(
        r#"Experiment(
    name: "vpa",
    duration: "{duration}",
    output_interval: "1m",
    regions: [(name: "us-east1", zones: ["us-east1-b", "us-east1-c", "us-east1-d"])],
    node_pools: [(name: "p", region: "us-east1", instance_type: "n2-standard-8", nodes: 7,
                  min_nodes: 1, max_nodes: 10)],
    services: [(
        name: "api",
        replicas: 20,
        requests: (cpu: "2", memory: "4Gi"),
        capacity_rps: 100,
        traffic: Constant(rps: 600),
        memory_usage: (base: "500Mi", per_rps: "2Mi"),
        vpa: {vpa},
    )],
    node_autoscaling: [(region: "us-east1", cluster_autoscaler: ())],
)
"#
    )
}

/// A column of a CSV file, as text, one value per row.
fn column(path: &Path, name: &str) -> Vec<String> {
    let csv = fs::read_to_string(path).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let k = header.iter().position(|h| *h == name).unwrap();
    lines
        .map(|l| l.split(',').nth(k).unwrap().to_owned())
        .collect()
}

fn numbers(path: &Path, name: &str) -> Vec<f64> {
    column(path, name)
        .iter()
        .map(|v| v.parse().unwrap())
        .collect()
}

fn run(src: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let (r, dir, out) = run_experiment(src);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    (dir, out)
}

/// Upstream's target for a constant usage: the start of the first histogram bucket above it
/// (buckets start at `first × (1.05^i − 1) / 0.05`), truncated to millicores or bytes, plus
/// the 15 % safety margin, truncated.
fn target_for(usage: f64, first_bucket: f64, unit: f64) -> f64 {
    let mut i = 0;
    let start = |i: i32| first_bucket * (1.05f64.powi(i) - 1.0) / 0.05;
    while start(i) <= usage {
        i += 1;
    }
    let base = (start(i) * unit).floor();
    base + (base * 0.15).floor()
}

#[test]
fn a_constant_usage_gives_the_bucket_above_it_plus_the_safety_margin() {
    let (_dir, out) = run(&experiment("20m", "(update_mode: Off)"));
    let cpu = target_for(0.6, 0.01, 1000.0);
    let memory = target_for(560.0 * 1048576.0, 1e7, 1.0);
    assert_eq!((cpu, memory), (716.0, 716_711_186.0));
    let vpa = out.join("vpa.csv");
    let cpu_target = numbers(&vpa, "cpu_target_millicores");
    let memory_target = numbers(&vpa, "memory_target_bytes");
    // No recommendation before the first minute; the target from then on.
    assert!(cpu_target[0].is_nan(), "{cpu_target:?}");
    assert!(cpu_target[1..].iter().all(|&c| c == cpu), "{cpu_target:?}");
    assert!(
        memory_target[1..].iter().all(|&m| m == memory),
        "{memory_target:?}"
    );
    let usage = numbers(&vpa, "cpu_usage_millicores");
    assert!((usage[5] - 600.0).abs() < 1e-6, "{usage:?}");
    // Off: recommend only. The requests stay, nothing is logged.
    assert!(
        numbers(&vpa, "cpu_request_millicores")
            .iter()
            .all(|&c| c == 2000.0)
    );
    let events = fs::read_to_string(out.join("events.csv")).unwrap();
    assert!(
        !events.contains("VPA") && !events.contains("RecommendationApplied"),
        "{events}"
    );
}

#[test]
fn auto_evicts_the_pods_once_the_memory_upper_bound_falls_below_their_request() {
    let (_dir, out) = run(&experiment("6h", "(update_mode: Auto)"));
    let vpa = out.join("vpa.csv");
    // New pods get the target from the first minute.
    assert_eq!(numbers(&vpa, "cpu_request_millicores")[1], 716.0);
    let upper = numbers(&vpa, "memory_upper_bytes");
    let evicted = numbers(&vpa, "evicted_pods_total");
    let four_gib = 4.0 * 1024.0 * 1024.0 * 1024.0;
    // Inside the range: no eviction while the upper bound is above the 4 GiB request (the
    // pods are younger than the 12 h in-bounds lifetime); at the first sync below it, half of
    // the 20 pods (eviction tolerance 0.5), the other half a minute later. The counts are the
    // cluster's as of the VPA's sync, before its orders: one row late.
    let crossing = upper.iter().position(|&u| u < four_gib).unwrap();
    assert!(
        evicted[..=crossing].iter().all(|&e| e == 0.0),
        "{evicted:?}"
    );
    assert_eq!(evicted[crossing + 1], 10.0, "at row {crossing}");
    assert_eq!(evicted[crossing + 2], 20.0);
    assert_eq!(*evicted.last().unwrap(), 20.0);
    // The 20 pods of 716m fit on fewer nodes: the Cluster Autoscaler removes some.
    let nodes = numbers(&out.join("pools.csv"), "nodes");
    assert_eq!(nodes[0], 7.0);
    assert!(*nodes.last().unwrap() < 7.0, "{nodes:?}");
    let events = fs::read_to_string(out.join("events.csv")).unwrap();
    assert!(events.contains("EvictedByVPA"), "{events}");
    assert!(events.contains("outside the recommended range"), "{events}");
    // The summary: requests before and after, and the 20 evictions.
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let v = &summary["vpa"][0];
    assert_eq!(v["update_mode"], "Auto");
    assert_eq!(v["cpu_request_start_millicores"], 2000.0);
    assert_eq!(v["cpu_request_end_millicores"], 716.0);
    assert_eq!(v["memory_request_end_bytes"], 716_711_186.0);
    assert_eq!(v["evicted_pods"], 20);
    assert_eq!(v["oom_kills"], 0);
}

#[test]
fn initial_sets_new_pods_only_and_in_place_resizes_instead_of_evicting() {
    let (_dir, initial) = run(&experiment("6h", "(update_mode: Initial)"));
    let vpa = initial.join("vpa.csv");
    assert_eq!(*numbers(&vpa, "evicted_pods_total").last().unwrap(), 0.0);
    assert_eq!(numbers(&vpa, "cpu_request_millicores")[1], 716.0);
    let (_dir, in_place) = run(&experiment("6h", "(update_mode: InPlaceOrRecreate)"));
    let vpa = in_place.join("vpa.csv");
    // Smaller requests always fit where the pod is.
    assert_eq!(*numbers(&vpa, "resized_pods_total").last().unwrap(), 20.0);
    assert_eq!(*numbers(&vpa, "evicted_pods_total").last().unwrap(), 0.0);
    let events = fs::read_to_string(in_place.join("events.csv")).unwrap();
    assert!(events.contains("InPlaceResizedByVPA"), "{events}");
}

#[test]
fn a_container_over_its_memory_limit_is_oom_killed_and_the_vpa_raises_the_limit() {
    let src = fs::read_to_string("experiments/vpa-oom.ron").unwrap();
    let (r, _dir, out) = run_experiment(&src);
    assert_eq!(r.status.code(), Some(1), "{}", text(&r.stderr));
    let events = fs::read_to_string(out.join("events.csv")).unwrap();
    let oom: Vec<&str> = events.lines().filter(|l| l.contains("OOMKilled")).collect();
    // 400 MiB + 5 MiB × 80 requests/s = 800 MiB over the 768 MiB limit from about 5 min 50 s;
    // the kubelet looks every 10 s.
    let first: f64 = oom[0].split(',').next().unwrap().parse().unwrap();
    assert!((350.0..=380.0).contains(&first), "{first}");
    assert!(oom[0].contains("10 container(s) used 800Mi"), "{}", oom[0]);
    let vpa = out.join("vpa.csv");
    let time = numbers(&vpa, "time_s");
    let kills = numbers(&vpa, "oom_kills_total");
    let request = numbers(&vpa, "memory_request_bytes");
    // The OOM bump: each kill is a peak of max(512 MiB × 1.2, 512 MiB + 100 MiB) = 614.4 MiB,
    // and the pods' own 800 MiB; the template's request (limit = 1.5 × request) rises until
    // the limit is above the use, and the kills stop within 10 minutes.
    let last = *kills.last().unwrap();
    assert!(last > 0.0);
    let settled = time.iter().position(|&t| t >= 600.0).unwrap();
    assert_eq!(kills[settled], last, "{kills:?}");
    let mib = 1048576.0;
    assert!(request.last().unwrap() * 1.5 > 800.0 * mib, "{request:?}");
    let ready = numbers(&out.join("timeseries.csv"), "ready_pods");
    assert_eq!(*ready.last().unwrap(), 10.0);
}

#[test]
fn bad_vpa_input_exits_2_at_the_field() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bad.ron");
    for (vpa, field, says) in [
        (
            r#"(min_allowed: (cpu: "2"), max_allowed: (cpu: "1"))"#,
            "services[0].vpa.min_allowed.cpu",
            "at most max_allowed.cpu",
        ),
        (
            "(update_mode: Autoo)",
            "services[0].vpa.update_mode",
            "Auto",
        ),
        (
            "(controlled_resources: [gpu])",
            "services[0].vpa.controlled_resources",
            "cpu",
        ),
        (
            "(controlled_resources: [])",
            "services[0].vpa.controlled_resources",
            "at least one",
        ),
        (
            "(min_replicas: 0)",
            "services[0].vpa.min_replicas",
            "at least 1",
        ),
    ] {
        fs::write(&file, experiment("1h", vpa)).unwrap();
        let r = clustersim(&["validate", file.to_str().unwrap()]);
        let err = text(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{vpa}: {err}");
        assert!(err.contains(field), "{vpa}: {err}");
        assert!(err.contains(says), "{vpa}: {err}");
        assert!(err.contains("bad.ron:"), "{vpa}: {err}");
    }
    // Memory is controlled by default and needs a memory model.
    let src = experiment("1h", "(update_mode: Auto)")
        .replace(r#"memory_usage: (base: "500Mi", per_rps: "2Mi"),"#, "");
    fs::write(&file, src).unwrap();
    let r = clustersim(&["validate", file.to_str().unwrap()]);
    let err = text(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("memory_usage"), "{err}");
}

#[test]
fn a_vpa_and_an_hpa_on_cpu_get_a_warning_and_run() {
    let src = experiment("1h", "(update_mode: Auto)").replace(
        "vpa: (",
        "hpa: (min_replicas: 2, max_replicas: 40, metrics: [Resource(name: cpu, target: \
         Utilization(60))]),\n        vpa: (",
    );
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("both.ron");
    fs::write(&file, &src).unwrap();
    let r = clustersim(&["validate", file.to_str().unwrap()]);
    let err = text(&r.stderr);
    assert_eq!(r.status.code(), Some(0), "{err}");
    assert!(
        err.contains("its VPA sets the cpu request its HPA scales on"),
        "{err}"
    );
    // Without cpu in the VPA's resources there is nothing to warn of.
    let cpu_free = src.replace("vpa: (", "vpa: (controlled_resources: [memory], ");
    fs::write(&file, cpu_free).unwrap();
    let r = clustersim(&["validate", file.to_str().unwrap()]);
    assert!(!text(&r.stderr).contains("its VPA"), "{}", text(&r.stderr));
}

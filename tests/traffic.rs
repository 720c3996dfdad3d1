//! End-to-end tests of traffic shapes and trace replay through the `clustersim` binary: trace
//! files are read relative to the experiment, a bad row exits 2 naming the file, row and
//! column, every request of a trace arrives, seeded noise is reproducible and per service, and a
//! bundled real trace shows p99 latency crossing its target at the peak.

mod common;

use std::fs;
use std::path::Path;

use common::{clustersim, text};

/// An experiment of `duration` with one region and the given services (RON text).
fn experiment(seed: u64, duration: &str, services: &str) -> String {
    format!(
        r#"Experiment(
    name: "t",
    seed: {seed},
    duration: "{duration}",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [(name: "p", region: "us-east1", instance_type: "e2-standard-4", nodes: 2)],
    services: [{services}],
)
"#
    )
}

fn service(name: &str, traffic: &str) -> String {
    format!(
        r#"(
        name: "{name}",
        replicas: 2,
        requests: (cpu: "500m", memory: "512Mi"),
        capacity_rps: 100,
        traffic: {traffic},
    ),"#
    )
}

/// Runs `src` (written to `dir/name.ron`) into `dir/name-out`; returns the output folder.
fn run(dir: &Path, name: &str, src: &str) -> std::path::PathBuf {
    let file = dir.join(format!("{name}.ron"));
    fs::write(&file, src).unwrap();
    let out = dir.join(format!("{name}-out"));
    let r = clustersim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(
        matches!(r.status.code(), Some(0 | 1)),
        "{name}: {:?} {}",
        r.status,
        text(&r.stderr)
    );
    out
}

fn summary(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap()
}

/// `column` of `timeseries.csv` for `service`, one value per sample.
fn series(out: &Path, service: &str, column: &str) -> Vec<String> {
    let csv = fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (s, c) = (at("service"), at(column));
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[s] == service)
        .map(|f| f[c].to_owned())
        .collect()
}

/// Four one-minute rows of 600, 1 200, 0 and 2 400 requests: 4 200 in all.
const COUNTS: &str = "t,requests\n0,600\n60,1200\n120,0\n180,2400\n";

fn counts_trace(extra: &str) -> String {
    format!(
        r#"Trace(file: "counts.csv", time_column: "t", value_column: "requests",
                 value_kind: CountPerRow{extra})"#
    )
}

#[test]
fn every_request_of_a_trace_arrives_and_a_loop_repeats_them() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("counts.csv"), COUNTS).unwrap();
    let once = run(
        tmp.path(),
        "once",
        &experiment(0, "4m", &service("api", &counts_trace(""))),
    );
    assert_eq!(summary(&once)["requests"]["arrived"].as_f64(), Some(4200.0));
    // The rate at each minute's sample: 600/60, 1200/60, 0, 2400/60 requests/s.
    assert_eq!(
        series(&once, "api", "arrival_rps")[..4],
        ["10.0", "20.0", "0.0", "40.0"]
    );
    let looped = run(
        tmp.path(),
        "looped",
        &experiment(0, "10m", &service("api", &counts_trace(", loop: true"))),
    );
    // Two and a half passes: 2 × 4 200 + 600 + 1 200.
    assert_eq!(
        summary(&looped)["requests"]["arrived"].as_f64(),
        Some(10_200.0)
    );
    // Scaled so the busiest row (40 requests/s) becomes 100: × 2.5.
    let scaled = run(
        tmp.path(),
        "scaled",
        &experiment(
            0,
            "4m",
            &service("api", &counts_trace(", scale_to_peak_rps: 100")),
        ),
    );
    assert_eq!(
        summary(&scaled)["requests"]["arrived"].as_f64(),
        Some(10_500.0)
    );
}

#[test]
fn a_bad_trace_row_exits_2_naming_the_file_row_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("counts.csv"),
        COUNTS.replace("120,0", "120,zero"),
    )
    .unwrap();
    let src = experiment(0, "4m", &service("api", &counts_trace("")));
    let file = tmp.path().join("bad.ron");
    fs::write(&file, &src).unwrap();
    let f = file.to_str().unwrap();
    let out = tmp.path().join("out");
    // The error is located at the `file` field of the trace in the experiment.
    let (line, col) = position_of(&src, "\"counts.csv\"");
    for args in [
        vec!["validate", f],
        vec!["run", f, "--out", out.to_str().unwrap(), "--quiet"],
    ] {
        let r = clustersim(&args);
        let err = text(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{err}");
        let csv = tmp.path().join("counts.csv");
        for expected in [
            format!("{f}:{line}:{col}: services[0].traffic.file: "),
            format!("in trace `{}`", csv.display()),
            "row 4, column 2 (`requests`): expected a number, found \"zero\"".to_owned(),
        ] {
            assert!(err.contains(&expected), "expected `{expected}` in: {err}");
        }
    }
    assert!(!out.exists(), "bad input wrote outputs");
}

/// `tests/data/counts.parquet` holds the rows of [`COUNTS`] (`t` Int64, `requests` Float64);
/// `counts_null.parquet` the same with a null `requests` in its third row.
fn parquet_fixture(dir: &Path, name: &str) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    fs::copy(from, dir.join("counts.parquet")).unwrap();
}

#[test]
fn a_parquet_trace_replays_like_its_csv_twin() {
    let tmp = tempfile::tempdir().unwrap();
    parquet_fixture(tmp.path(), "counts.parquet");
    let trace = counts_trace("").replace("counts.csv", "counts.parquet");
    let out = run(
        tmp.path(),
        "parquet",
        &experiment(0, "4m", &service("api", &trace)),
    );
    // 600 + 1 200 + 0 + 2 400.
    assert_eq!(summary(&out)["requests"]["arrived"].as_f64(), Some(4200.0));
    assert_eq!(
        series(&out, "api", "arrival_rps")[..4],
        ["10.0", "20.0", "0.0", "40.0"]
    );
}

#[test]
fn a_null_in_a_parquet_trace_exits_2_naming_its_row() {
    let tmp = tempfile::tempdir().unwrap();
    parquet_fixture(tmp.path(), "counts_null.parquet");
    let trace = counts_trace("").replace("counts.csv", "counts.parquet");
    let src = experiment(0, "4m", &service("api", &trace));
    let file = tmp.path().join("bad.ron");
    fs::write(&file, &src).unwrap();
    let r = clustersim(&["validate", file.to_str().unwrap()]);
    let err = text(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    let (line, col) = position_of(&src, "\"counts.parquet\"");
    for expected in [
        format!(":{line}:{col}: services[0].traffic.file: "),
        "counts.parquet".to_owned(),
        "row 3, column 2 (`requests`): expected a number, found null".to_owned(),
    ] {
        assert!(err.contains(&expected), "expected `{expected}` in: {err}");
    }
}

#[test]
fn a_missing_trace_or_a_short_one_is_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("counts.csv"), COUNTS).unwrap();
    for (name, traffic, duration, words) in [
        (
            "missing",
            counts_trace("").replace("counts.csv", "nope.csv"),
            "4m",
            vec!["services[0].traffic.file", "cannot read trace", "nope.csv"],
        ),
        (
            "short",
            counts_trace(""),
            "5m",
            vec!["services[0].traffic.file", "lasts 4m0s", "loop: true"],
        ),
    ] {
        let file = tmp.path().join(format!("{name}.ron"));
        fs::write(&file, experiment(0, duration, &service("api", &traffic))).unwrap();
        let r = clustersim(&["validate", file.to_str().unwrap()]);
        let err = text(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{name}: {err}");
        for w in words {
            assert!(err.contains(w), "{name}: expected `{w}` in: {err}");
        }
    }
}

/// 1-based line and column of the first occurrence of `needle` in `src`.
fn position_of(src: &str, needle: &str) -> (usize, usize) {
    let at = src.find(needle).unwrap();
    let line = src[..at].matches('\n').count() + 1;
    let col = src[..at].rsplit('\n').next().unwrap().chars().count() + 1;
    (line, col)
}

#[test]
fn a_nested_shape_error_is_located_at_its_value() {
    let tmp = tempfile::tempdir().unwrap();
    for (traffic, path, value) in [
        (
            "Sum([\n  FlashCrowd(onset: \"1m\", rise: \"1m\", peak_multiplier: -2, decay: \"1m\"),\n  Constant(rps: 1)])",
            "services[0].traffic.Sum[0].FlashCrowd.peak_multiplier",
            "-2",
        ),
        (
            "Product([Constant(rps: 1),\n  Sum([Constant(rps: 2), Constant(rps: -3)])])",
            "services[0].traffic.Product[1].Sum[1].Constant.rps",
            "-3",
        ),
        (
            "Scale(factor: 2, shape: Diurnal(mean_rps: 1, amplitude: 7, peak_hour: 3))",
            "services[0].traffic.shape.Diurnal.amplitude",
            "7",
        ),
    ] {
        let src = experiment(0, "1h", &service("api", traffic));
        let file = tmp.path().join("nested.ron");
        fs::write(&file, &src).unwrap();
        let r = clustersim(&["validate", file.to_str().unwrap()]);
        let err = text(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{err}");
        let (line, col) = position_of(&src, value);
        let expected = format!("{}:{line}:{col}: {path}: expected", file.display());
        assert!(err.contains(&expected), "expected `{expected}` in: {err}");
    }
}

fn noisy(name: &str) -> String {
    service(name, r#"Product([Constant(rps: 100), Noise(cv: 0.2)])"#)
}

#[test]
fn seeded_noise_is_identical_for_a_seed_and_per_service() {
    let tmp = tempfile::tempdir().unwrap();
    let a = run(tmp.path(), "a", &experiment(5, "1h", &noisy("a")));
    let again = run(tmp.path(), "again", &experiment(5, "1h", &noisy("a")));
    let other_seed = run(tmp.path(), "other", &experiment(6, "1h", &noisy("a")));
    let two = format!("{}{}", noisy("a"), noisy("b"));
    let with_b = run(tmp.path(), "with_b", &experiment(5, "1h", &two));

    // Same file and seed: the same bytes.
    assert_eq!(
        fs::read(a.join("timeseries.csv")).unwrap(),
        fs::read(again.join("timeseries.csv")).unwrap()
    );
    let rates = series(&a, "a", "arrival_rps");
    assert_eq!(rates.len(), 61);
    // The noise moves the rate every minute.
    let distinct: std::collections::BTreeSet<&String> = rates.iter().collect();
    assert!(distinct.len() > 55, "{rates:?}");
    // Another seed, other draws.
    assert_ne!(rates, series(&other_seed, "a", "arrival_rps"));
    // Another noisy service leaves a's draws unchanged, and draws its own.
    assert_eq!(rates, series(&with_b, "a", "arrival_rps"));
    assert_ne!(rates, series(&with_b, "b", "arrival_rps"));
}

#[test]
fn the_wc98_example_replays_every_request_and_misses_its_target_at_the_peak() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("wc98");
    let r = clustersim(&[
        "run",
        "experiments/trace-wc98.ron",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(r.status.code(), Some(1), "{}", text(&r.stderr));
    // The sum of the trace's `requests` column, recomputed here.
    let csv = fs::read_to_string("data/traces/wc98/wc98_requests_per_minute_1998-07-06_to_08.csv")
        .unwrap();
    let total: u64 = csv
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, 97_028_629);
    let s = summary(&out);
    assert_eq!(s["requests"]["arrived"].as_f64(), Some(total as f64));
    // p99 is within the 100 ms target except around the busiest minute, 1998-07-07 21:41 UTC.
    let times = series(&out, "www", "time_utc");
    let p99: Vec<f64> = series(&out, "www", "latency_p99_ms")
        .iter()
        .map(|v| v.parse().unwrap())
        .collect();
    let peak = times
        .iter()
        .position(|t| t == "1998-07-07T21:41:00Z")
        .unwrap();
    assert!(p99[peak] > 100.0, "{}", p99[peak]);
    let over = p99.iter().filter(|&&v| v > 100.0).count();
    assert!((1..=20).contains(&over), "{over} samples over the target");
}

/// Two regions and one service whose global traffic is split by `routing`.
fn routed(routing: &str) -> String {
    format!(
        r#"Experiment(
    name: "t",
    duration: "2m",
    regions: [(name: "us-east1", zones: ["us-east1-b"]), (name: "europe-west1", zones: ["europe-west1-b"])],
    node_pools: [
        (name: "us", region: "us-east1", instance_type: "e2-standard-4", nodes: 2),
        (name: "eu", region: "europe-west1", instance_type: "e2-standard-4", nodes: 2),
    ],
    services: [(
        name: "api",
        replicas: 2,
        requests: (cpu: "500m", memory: "512Mi"),
        capacity_rps: 100,
        traffic: Constant(rps: 100),
        routing: {routing},
    )],
)
"#
    )
}

/// `arrival_rps` of `timeseries.csv` per region, first sample.
fn first_rates(out: &Path) -> Vec<(String, String)> {
    let csv = fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (region, rate, time) = (col("region"), col("arrival_rps"), col("time_s"));
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[time] == "0")
        .map(|f| (f[region].to_owned(), f[rate].to_owned()))
        .collect()
}

#[test]
fn weighted_routing_splits_global_traffic_by_weight() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(
        tmp.path(),
        "weights",
        &routed(r#"Weights({"us-east1": 3, "europe-west1": 1})"#),
    );
    // 100 requests/s split 3:1.
    let mut rates = first_rates(&out);
    rates.sort();
    assert_eq!(
        rates,
        vec![
            ("europe-west1".to_owned(), "25.0".to_owned()),
            ("us-east1".to_owned(), "75.0".to_owned())
        ]
    );
    // Two minutes of 100 requests/s reach the service in all.
    assert_eq!(
        summary(&out)["requests"]["arrived"].as_f64(),
        Some(12_000.0)
    );
}

#[test]
fn a_routing_naming_a_foreign_region_is_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let src = routed(r#"Weights({"us-east1": 3, "asia-east1": 1})"#);
    let file = tmp.path().join("bad.ron");
    fs::write(&file, &src).unwrap();
    let r = clustersim(&["validate", file.to_str().unwrap()]);
    let err = text(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("services[0].routing"), "{err}");
    assert!(err.contains("asia-east1"), "{err}");
}

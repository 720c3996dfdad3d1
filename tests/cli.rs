//! End-to-end tests of the `clustersim` binary: every bundled experiment runs, runs are
//! byte-identical, bad input is located and exits 2 without writing anything, a missed target
//! exits 1.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::{GOOD, clustersim_with_env as clustersim, text};

fn experiments() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments");
    let mut files: Vec<_> = fs::read_dir(dir)
        .expect("experiments/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no experiment found");
    files
}

/// Experiments too big for a debug build in CI: validated here, run in release by
/// `clustersim bench` (BENCHMARKS.md); each has a cut that runs here instead.
const FULL_SCALE: &[&str] = &["black-friday.ron"];

/// What an example's header says of its verdict: `// Expected outcome: PASS (exit 0)` or
/// `// Expected outcome: FAIL (exit 1): name@scope, name`, the checks and targets that fail.
fn expected_outcome(src: &str) -> Option<(i32, Vec<String>)> {
    let line = src
        .lines()
        .find_map(|l| l.strip_prefix("// Expected outcome: "))?;
    if line == "PASS (exit 0)" {
        return Some((0, Vec::new()));
    }
    let failing = line.strip_prefix("FAIL (exit 1): ")?;
    Some((1, failing.split(", ").map(str::to_owned).collect()))
}

/// The checks and targets a summary failed, as `name@scope` (or `name` for the whole run).
fn failing(summary: &serde_json::Value) -> Vec<String> {
    ["checks", "targets", "gates"]
        .iter()
        .flat_map(|list| summary[list].as_array().unwrap())
        .filter(|c| c["pass"] == false)
        .map(|c| match c["scope"].as_str() {
            Some(scope) => format!("{}@{scope}", c["name"].as_str().unwrap()),
            None => c["name"].as_str().unwrap().to_owned(),
        })
        .collect()
}

#[test]
fn every_experiment_validates_runs_and_meets_the_outcome_its_header_states() {
    let tmp = tempfile::tempdir().unwrap();
    for file in experiments() {
        let f = file.to_str().unwrap();
        let src = fs::read_to_string(&file).unwrap();
        let Some((code, fails)) = expected_outcome(&src) else {
            panic!("{f}: no `// Expected outcome: PASS (exit 0)` or `FAIL (exit 1): ...` line");
        };
        let v = clustersim(&["validate", f], &[]);
        assert!(v.status.success(), "{f}: {}", text(&v.stderr));
        if FULL_SCALE.iter().any(|name| file.ends_with(name)) {
            continue;
        }
        let out = tmp.path().join(file.file_stem().unwrap());
        let r = clustersim(&["run", f, "--out", out.to_str().unwrap(), "--quiet"], &[]);
        assert_eq!(r.status.code(), Some(code), "{f}: {}", text(&r.stderr));
        for name in ["timeseries.parquet", "timeseries.csv", "summary.json"] {
            assert!(out.join(name).is_file(), "{f}: {name} missing");
        }
        assert_eq!(failing(&summary_of(&out)), fails, "{f}: the failing checks");
    }
}

/// `clustersim run FILE --out OUT --quiet` with `extra` arguments and environment `envs`.
fn run_to(file: &str, out: &Path, extra: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut args = vec!["run", file, "--out", out.to_str().unwrap(), "--quiet"];
    args.extend_from_slice(extra);
    clustersim(&args, envs)
}

/// Runs `file` into `out`; it must finish with exit 0 (targets met) or 1 (a target missed).
fn run_missing_targets_allowed(file: &str, out: &Path, extra: &[&str]) {
    let r = run_to(file, out, extra, &[]);
    assert!(
        matches!(r.status.code(), Some(0 | 1)),
        "{}",
        text(&r.stderr)
    );
}

fn run_quickstart(out: &Path, envs: &[(&str, &str)]) {
    let r = run_to("experiments/quickstart.ron", out, &[], envs);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
}

#[test]
fn runs_are_byte_identical_whatever_the_thread_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    let c = tmp.path().join("c");
    run_quickstart(&a, &[]);
    run_quickstart(&b, &[]);
    run_quickstart(
        &c,
        &[("RAYON_NUM_THREADS", "1"), ("POLARS_MAX_THREADS", "1")],
    );
    let d = tmp.path().join("d");
    run_quickstart(
        &d,
        &[("RAYON_NUM_THREADS", "2"), ("POLARS_MAX_THREADS", "2")],
    );
    for name in ["timeseries.parquet", "timeseries.csv", "summary.json"] {
        let first = fs::read(a.join(name)).unwrap();
        for other in [&b, &c, &d] {
            assert!(
                first == fs::read(other.join(name)).unwrap(),
                "{name} differs"
            );
        }
    }
}

#[test]
fn the_quickstart_summary_meets_its_target_with_the_expected_traffic() {
    let tmp = tempfile::tempdir().unwrap();
    run_quickstart(tmp.path(), &[]);
    let summary = summary_of(tmp.path());
    assert_eq!(summary["pass"], true);
    // api: a diurnal day averaging 800 requests/s in each of 2 regions; checkout: 150/s in
    // one. Over 86 400 s: (2 × 800 + 150) × 86 400 = 151 200 000 requests.
    let arrived = summary["requests"]["arrived"].as_f64().unwrap();
    assert!((arrived - 151_200_000.0).abs() < 1.0, "{arrived}");
    assert_eq!(summary["requests"]["dropped"].as_f64(), Some(0.0));
    // 6 n2-standard-8 nodes for 24 h at the catalog's on-demand prices:
    // 3 × 24 × 0.388472 (us-east1) + 3 × 24 × 0.427336 (europe-west1).
    let cost = summary["cost_usd"].as_f64().unwrap();
    let expected = 72.0 * 0.388472 + 72.0 * 0.427336;
    assert!((cost - expected).abs() < 1e-9, "{cost} vs {expected}");
}

/// Writes `src` to a file, runs `validate` and `run` on it, and checks both exit 2 with
/// `file:line:col` and a message, and that `run` wrote nothing.
fn assert_bad_input(name: &str, src: &str, line_col: &str, words: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join(format!("{name}.ron"));
    fs::write(&file, src).unwrap();
    let f = file.to_str().unwrap();
    let out = tmp.path().join("out");
    for args in [
        vec!["validate", f],
        vec!["run", f, "--out", out.to_str().unwrap(), "--quiet"],
    ] {
        let r = clustersim(&args, &[]);
        let err = text(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{name}: {err}");
        let located = format!("{f}:{line_col}:");
        assert!(
            err.contains(&located),
            "{name}: expected {located} in: {err}"
        );
        for w in words {
            assert!(err.contains(w), "{name}: expected `{w}` in: {err}");
        }
    }
    assert!(!out.exists(), "{name}: bad input wrote outputs");
}

#[test]
fn the_good_fixture_is_good() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("good.ron");
    fs::write(&file, GOOD).unwrap();
    let r = clustersim(&["validate", file.to_str().unwrap()], &[]);
    assert!(r.status.success(), "{}", text(&r.stderr));
}

#[test]
fn malformed_ron_is_located() {
    // Line 4 lacks the `]` that closes `zones`, so the `)` at column 54 is unexpected.
    let src = GOOD.replace(r#"zones: ["us-east1-b"])]"#, r#"zones: ["us-east1-b")]"#);
    assert_bad_input("malformed", &src, "4:54", &[]);
}

#[test]
fn an_unknown_field_is_located_and_named() {
    let src = GOOD.replace("replicas: 2,", "replica: 2,");
    assert_bad_input("unknown_field", &src, "8:9", &["replica", "services[0]"]);
}

#[test]
fn a_wrong_unit_is_located_and_says_what_was_expected() {
    let src = GOOD.replace(r#"duration: "1h""#, r#"duration: "5 minutes""#);
    assert_bad_input(
        "wrong_unit",
        &src,
        "3:15",
        &["duration", "5 minutes", "\"10m\""],
    );
}

#[test]
fn an_unknown_region_is_located() {
    let src = GOOD.replace(r#"region: "us-east1""#, r#"region: "us-est1""#);
    // The value starts at line 5, column 38.
    assert_bad_input(
        "unknown_region",
        &src,
        "5:38",
        &["node_pools[0].region", "us-est1", "us-east1"],
    );
}

#[test]
fn a_negative_count_is_located() {
    let src = GOOD.replace("nodes: 2", "nodes: -2");
    assert_bad_input("negative_count", &src, "5:89", &["node_pools[0].nodes"]);
}

#[test]
fn a_pool_whose_min_exceeds_its_max_is_located() {
    let src = GOOD.replace("nodes: 2)", "nodes: 2, min_nodes: 5, max_nodes: 3)");
    // The value of `min_nodes` sits at line 5, column 103.
    assert_bad_input(
        "min_over_max",
        &src,
        "5:103",
        &["node_pools[0].min_nodes", "max_nodes 3"],
    );
}

#[test]
fn an_unknown_instance_type_suggests_the_closest() {
    let src = GOOD.replace("e2-standard-4", "e2-standrd-4");
    assert_bad_input(
        "unknown_instance",
        &src,
        "5:65",
        &["node_pools[0].instance_type", "e2-standard-4"],
    );
}

#[test]
fn an_out_of_range_traffic_parameter_is_located() {
    let src = GOOD.replace(
        "Constant(rps: 50)",
        "Diurnal(mean_rps: 50, amplitude: 1.5, peak_hour: 3)",
    );
    assert_bad_input(
        "amplitude",
        &src,
        "11:51",
        &["services[0].traffic.amplitude", "between 0 and 1"],
    );
}

#[test]
fn a_missed_target_exits_1_and_says_so_in_the_summary() {
    // 2 pods at 100 requests/s under 150 requests/s: ρ = 0.75 keeps p99 near 70 ms
    // (M/M/2 closed form), far above a 10 ms target.
    let src = GOOD
        .replace("Constant(rps: 50)", "Constant(rps: 150)")
        .replace("],\n)", "],\n    targets: (p99_latency: \"10ms\"),\n)");
    let (r, _tmp, out) = run_good(&src, &[]);
    assert_eq!(r.status.code(), Some(1), "{}", text(&r.stderr));
    let summary = summary_of(&out);
    assert_eq!(summary["pass"], false);
    assert_eq!(summary["targets"][0]["name"], "p99_latency_ms");
    assert_eq!(summary["targets"][0]["pass"], false);
}

/// Runs the experiment `src` (usually `GOOD`, 2 pods serving 50 requests/s: p99 about 46 ms by
/// the M/M/2 closed form) into a fresh directory with `extra` arguments; returns the result, the
/// directory's guard and the output directory.
fn run_good(src: &str, extra: &[&str]) -> (Output, tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("good.ron");
    fs::write(&file, src).unwrap();
    let out = tmp.path().join("out");
    let mut args = vec![
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend(extra);
    let r = clustersim(&args, &[]);
    (r, tmp, out)
}

fn summary_of(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn passing_gates_exit_0_and_are_recorded_with_their_margin() {
    let (r, _tmp, out) = run_good(
        GOOD,
        &[
            "--gate",
            "p99_latency_ms<1000",
            "--gate",
            "requests_dropped==0",
        ],
    );
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let s = summary_of(&out);
    assert_eq!(s["pass"], true);
    let gate = &s["gates"][0];
    assert_eq!(gate["expression"], "p99_latency_ms<1000");
    assert_eq!(gate["op"], "<");
    assert_eq!(gate["threshold"], 1000.0);
    let actual = gate["actual"].as_f64().unwrap();
    assert!(actual > 0.0 && actual < 1000.0, "{actual}");
    assert_eq!(gate["margin"].as_f64(), Some(1000.0 - actual));
    assert_eq!(s["gates"][1]["pass"], true);
}

#[test]
fn a_missed_gate_exits_1_and_says_by_how_much() {
    let (r, _tmp, out) = run_good(
        GOOD,
        &[
            "--gate",
            "p99_latency_ms<1000",
            "--gate",
            "p99_latency_ms < 1",
        ],
    );
    assert_eq!(r.status.code(), Some(1), "{}", text(&r.stderr));
    let err = text(&r.stderr);
    assert!(err.contains("FAIL  p99_latency_ms < 1: "), "{err}");
    let s = summary_of(&out);
    assert_eq!(s["pass"], false);
    assert_eq!(s["gates"][0]["pass"], true);
    let missed = &s["gates"][1];
    assert_eq!(missed["pass"], false);
    let actual = missed["actual"].as_f64().unwrap();
    assert_eq!(missed["margin"].as_f64(), Some(1.0 - actual));
    assert!(missed["margin"].as_f64().unwrap() < 0.0);
    // The report is written for a failed run too: that is when it is needed most.
    assert!(out.join("report.html").is_file());
}

#[test]
fn a_malformed_gate_exits_2_with_its_column_and_writes_nothing() {
    let cases = [
        (
            "p99_latency_ms<<100",
            "--gate \"p99_latency_ms<<100\": at column 16: expected a number",
        ),
        ("p99<100", "at column 1: unknown metric `p99`"),
        ("cost_usd=>5", "at column 9: expected an operator"),
        ("cost_usd<5k", "at column 11: unexpected `k`"),
    ];
    for (gate, message) in cases {
        let (r, _tmp, out) = run_good(GOOD, &["--gate", "cost_usd<1e9", "--gate", gate]);
        let err = text(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{gate}: {err}");
        assert!(
            err.contains(message),
            "{gate}: expected `{message}` in: {err}"
        );
        assert!(!out.exists(), "{gate}: a malformed gate wrote outputs");
    }
}

#[test]
fn an_attainment_gate_without_a_latency_target_is_bad_input() {
    let (r, _tmp, out) = run_good(GOOD, &["--gate", "slo_attainment>=0.999"]);
    let err = text(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("targets.p99_latency"), "{err}");
    assert!(!out.exists());
}

fn with_targets(targets: &str) -> String {
    GOOD.replace("],\n)", &format!("],\n    targets: {targets},\n)"))
}

#[test]
fn attainment_and_budget_targets_are_judged() {
    // Met: p99 ≈ 46 ms under 100 ms, nearly every request within it; 2 e2-standard-4 for an
    // hour cost well under $10.
    let src = with_targets(r#"(p99_latency: "100ms", slo_attainment: 0.99, budget_usd: 10)"#);
    let (r, _tmp, out) = run_good(&src, &[]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let s = summary_of(&out);
    let names: Vec<&str> = s["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["expression"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "p99_latency_ms<=100",
            "slo_attainment>=0.99",
            "cost_usd<=10"
        ]
    );

    // Missed: a budget of one cent.
    let src = with_targets(r#"(budget_usd: 0.01)"#);
    let (r, _tmp, out) = run_good(&src, &[]);
    assert_eq!(r.status.code(), Some(1), "{}", text(&r.stderr));
    let budget = &summary_of(&out)["targets"][0];
    assert_eq!(budget["name"], "cost_usd");
    assert_eq!(budget["pass"], false);
    let cost = budget["actual"].as_f64().unwrap();
    assert_eq!(budget["margin"].as_f64(), Some(0.01 - cost));
}

#[test]
fn out_of_range_targets_are_located() {
    assert_bad_input(
        "attainment_range",
        &with_targets(r#"(p99_latency: "100ms", slo_attainment: 99.9)"#),
        "13:53",
        &["targets.slo_attainment", "(0, 1]"],
    );
    assert_bad_input(
        "attainment_alone",
        &with_targets("(slo_attainment: 0.999)"),
        "13:31",
        &["targets.slo_attainment", "p99_latency"],
    );
    assert_bad_input(
        "budget_negative",
        &with_targets("(budget_usd: -5)"),
        "13:27",
        &["targets.budget_usd", ">= 0"],
    );
}

#[test]
fn help_lists_every_gate_metric_and_the_exit_codes() {
    let r = clustersim(&["run", "--help"], &[]);
    let help = text(&r.stdout);
    for metric in [
        "p50_latency_ms",
        "p95_latency_ms",
        "p99_latency_ms",
        "worst_sample_p99_ms",
        "slo_attainment",
        "cost_usd",
        "node_hours",
        "requests_arrived",
        "requests_served",
        "requests_dropped",
    ] {
        assert!(help.contains(metric), "{metric} missing from --help");
    }
    for code in ["  0  ", "  1  ", "  2  ", "  3  "] {
        assert!(
            help.contains(code),
            "exit code `{code}` missing from --help"
        );
    }
    assert!(help.contains("--gate <EXPR>"));
}

#[test]
fn a_zone_outside_its_region_is_located() {
    let src = GOOD.replace(
        r#"region: "us-east1", instance_type"#,
        r#"region: "us-east1", zones: ["us-east1-x"], instance_type"#,
    );
    assert_bad_input(
        "zone_outside_region",
        &src,
        "5:58",
        &[
            "node_pools[0].zones[0]",
            "us-east1-x",
            "not a zone of region",
        ],
    );
}

#[test]
fn an_unknown_priority_class_is_located() {
    let src = GOOD.replace(
        "traffic: Constant(rps: 50),",
        r#"traffic: Constant(rps: 50), priority_class: "gold","#,
    );
    assert_bad_input(
        "unknown_priority_class",
        &src,
        "11:53",
        &["services[0].priority_class", "gold", "priority_classes"],
    );
}

#[test]
fn the_seed_flag_reaches_the_random_streams() {
    // black-friday-day.ron has seeded noise on its traffic: --seed must change the arrivals, and
    // the same --seed must repeat them.
    let tmp = tempfile::tempdir().unwrap();
    let arrivals = |seed: &str, name: &str| {
        let out = tmp.path().join(name);
        let file = "experiments/black-friday-day.ron";
        run_missing_targets_allowed(file, &out, &["--seed", seed]);
        fs::read(out.join("timeseries.csv")).unwrap()
    };
    let a = arrivals("1", "a");
    assert!(a == arrivals("1", "b"), "same seed, different traffic");
    assert!(a != arrivals("2", "c"), "another seed, same traffic");
}

#[test]
fn a_malformed_node_affinity_requirement_is_located() {
    // `In` needs at least one value.
    let src = GOOD.replace(
        "traffic: Constant(rps: 50),",
        r#"traffic: Constant(rps: 50), node_affinity: [(match_expressions: [(key: "x", operator: In)])],"#,
    );
    assert_bad_input(
        "node_affinity",
        &src,
        "11:74",
        &[
            "services[0].node_affinity[0].match_expressions[0]",
            "In/NotIn",
        ],
    );
}

#[test]
fn limits_below_requests_are_located_and_equal_ones_make_pods_guaranteed() {
    let with_limits = |limits: &str| {
        GOOD.replace(
            r#"requests: (cpu: "500m", memory: "512Mi"),"#,
            &format!(r#"requests: (cpu: "500m", memory: "512Mi"), limits: {limits},"#),
        )
    };
    assert_bad_input(
        "limit_below_request",
        &with_limits(r#"(cpu: "100m")"#),
        "9:65",
        &["services[0].limits.cpu", "at least the cpu request"],
    );
    let (r, _tmp, out) = run_good(&with_limits(r#"(cpu: "500m", memory: "512Mi")"#), &[]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let summary = summary_of(&out);
    assert_eq!(summary["services"][0]["qos_class"], "Guaranteed");
}

#[test]
fn request_fidelity_simulates_every_request() {
    // GOOD: 50 requests/s for 1 h on 2 pods of 100 requests/s. Poisson arrivals: 180 000
    // expected, standard deviation √180 000 ≈ 424; four of them is 1 700.
    let (r, _tmp, out) = run_good(GOOD, &["--fidelity", "request"]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let arrived = summary_of(&out)["requests"]["arrived"].as_f64().unwrap();
    assert_eq!(arrived.fract(), 0.0, "whole requests: {arrived}");
    assert!((arrived - 180_000.0).abs() < 1_700.0, "{arrived}");
    // The fluid run of the same file counts the rate exactly.
    let (_, _tmp2, fluid) = run_good(GOOD, &[]);
    assert_eq!(
        summary_of(&fluid)["requests"]["arrived"].as_f64(),
        Some(180_000.0)
    );
}

#[test]
fn a_service_declared_twice_in_one_region_is_located() {
    // A second entry of `api` with its own traffic is fine in another region, not in the same.
    let second = r#"    services: [
        (name: "api", regions: ["us-east1"], replicas: 1, requests: (cpu: "500m", memory: "512Mi"),
         capacity_rps: 100, traffic: Constant(rps: 5)),
        (name: "api", regions: ["us-east1"], replicas: 1, requests: (cpu: "500m", memory: "512Mi"),
         capacity_rps: 100, traffic: Constant(rps: 5)),
    ],
)
"#;
    let head = &GOOD[..GOOD.find("    services:").unwrap()];
    let src = format!("{head}{second}");
    // The second entry's `name` starts at line 9, column 16.
    assert_bad_input(
        "service_twice",
        &src,
        "9:16",
        &["services[1].name", "`api`", "twice in region `us-east1`"],
    );
}

#[test]
fn a_region_of_another_cloud_prices_its_pools_from_that_cloud() {
    // us-east-1 is an AWS region: without `provider: aws` the GCP catalog has no such region.
    let aws_region = r#"(name: "us-east-1", provider: aws, zones: ["us-east-1a"])"#;
    let aws_pool = r#"(name: "q", region: "us-east-1", instance_type: "m4.large", nodes: 1)"#;
    let src = GOOD
        .replace(
            r#"regions: [(name: "us-east1", zones: ["us-east1-b"])],"#,
            &format!(r#"regions: [(name: "us-east1", zones: ["us-east1-b"]), {aws_region}],"#),
        )
        .replace(r#"nodes: 2)],"#, &format!(r#"nodes: 2), {aws_pool}],"#));
    let (r, _tmp, out) = run_good(&src, &[]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let pools = fs::read_to_string(out.join("pools.csv")).unwrap();
    // m4.large in us-east-1 is $0.10/h in the bundled 2017 AWS price list: one node for an
    // hour. (The same name in the GCP catalog does not exist, so this cannot be a GCP price.)
    let last = pools.lines().rfind(|l| l.contains(",q,")).unwrap();
    assert!(last.ends_with(",0.1"), "{last}");
    let wrong = src.replace(", provider: aws", "");
    assert_bad_input(
        "aws_region_in_gcp",
        &wrong,
        "5:141",
        &["node_pools[1].instance_type", "Gcp catalog", "us-east-1"],
    );
}

#[test]
fn the_black_friday_cut_runs_every_part_of_the_full_day() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments");
    let full = fs::read_to_string(dir.join("black-friday.ron")).unwrap();
    let cut = fs::read_to_string(dir.join("black-friday-ci.ron")).unwrap();
    // 47 regions in the full day, 5 in the cut, all of them regions of the full day.
    let regions = |src: &str| -> Vec<String> {
        src.lines()
            .filter(|l| l.trim_start().starts_with("(name: \"") && l.contains("zones:"))
            .map(|l| l.split('"').nth(1).unwrap().to_owned())
            .collect()
    };
    let (all, some) = (regions(&full), regions(&cut));
    assert_eq!((all.len(), some.len()), (47, 5));
    assert!(some.iter().all(|r| all.contains(r)), "{some:?}");
    for part in [
        "hpa:",
        "cluster_autoscaler:",
        "karpenter:",
        "capacity_type: Spot",
        "waves:",
        "region_outages:",
        "failover:",
        "replication:",
        "Trace(",
        "BlackFriday(",
    ] {
        assert!(full.contains(part) && cut.contains(part), "{part}");
    }

    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cut");
    let f = dir.join("black-friday-ci.ron");
    let run_cut = |out: &Path| run_missing_targets_allowed(f.to_str().unwrap(), out, &[]);
    run_cut(&out);
    let s = summary_of(&out);
    // The outage of us-east4 is in the report with an RTO and an RPO (it is the replication
    // primary), and the answers to the day's questions are there: p99, cost, RPO, RTO.
    let failure = &s["recovery"]["failures"][0];
    assert_eq!(failure["region"], "us-east4");
    assert!(failure["rto_s"].as_f64().unwrap() > 0.0, "{failure}");
    assert!(failure["rpo_s"].as_f64().is_some(), "{failure}");
    assert!(s["latency_ms"]["p99"].as_f64().unwrap() > 0.0);
    assert!(s["cost_usd"].as_f64().unwrap() > 0.0);
    let types: Vec<&str> = s["capacity_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["capacity_type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"spot") && types.contains(&"on-demand"),
        "{types:?}"
    );
    // The spot wave reclaimed nodes.
    let events = fs::read_to_string(out.join("events.csv")).unwrap();
    assert!(events.contains("SpotInterruption"), "no spot interruption");

    // A rerun writes the same bytes in every file: the full day's promise, kept in CI by its
    // cut (every model of the day, the faults' and autoscalers' random streams included).
    let again = tmp.path().join("again");
    run_cut(&again);
    let files = common::files_under;
    let written = files(&out);
    assert!(written.len() >= 10, "{written:?}");
    assert_eq!(written, files(&again));
    for f in &written {
        assert!(
            fs::read(out.join(f)).unwrap() == fs::read(again.join(f)).unwrap(),
            "{} differs between two runs",
            f.display()
        );
    }
}

#[test]
fn every_file_the_help_names_exists() {
    let help = text(&clustersim(&["--help"], &[]).stdout);
    let named: Vec<&str> = help
        .split_whitespace()
        .filter(|w| w.starts_with("experiments/"))
        .map(|w| w.trim_end_matches([',', '.', ')', ';']))
        .collect();
    assert!(named.len() >= 3, "{help}");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in named {
        assert!(
            root.join(file).is_file(),
            "--help names {file}, which is missing"
        );
    }
}

//! The bad-input table: hostile and mistaken inputs across every way in (experiment syntax,
//! units, unknown fields, bounds, traces, gates, sweeps, shards, saved outputs), each run
//! through the binary in a fresh folder and expected to exit 2, name where the problem is
//! (`file:line:col` or the field path) and what was expected, and leave nothing behind: the
//! folder holds exactly the files the case wrote, so no `--out` appeared.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{GOOD, clustersim, text};

/// One bad input.
struct Case {
    name: &'static str,
    /// Files the case writes into its folder before running: (relative path, bytes).
    files: Vec<(&'static str, Vec<u8>)>,
    /// The arguments; `{dir}` stands for the case's folder.
    args: Vec<&'static str>,
    /// Where: `x.ron:3:5`, a field path or a flag; must appear in stderr (`{dir}` expanded).
    at: String,
    /// What was expected: must appear in stderr.
    message: &'static str,
}

impl Case {
    /// The case with one more file written before it runs.
    fn with_file(mut self, path: &'static str, bytes: impl Into<Vec<u8>>) -> Case {
        self.files.push((path, bytes.into()));
        self
    }
}

/// `clustersim run` of the experiment `src` (written as `x.ron`) into `{dir}/out`.
fn run(name: &'static str, src: impl Into<Vec<u8>>, at: &str, message: &'static str) -> Case {
    Case {
        name,
        files: vec![("x.ron", src.into())],
        args: vec!["run", "{dir}/x.ron", "--out", "{dir}/out", "--quiet"],
        at: at.to_owned(),
        message,
    }
}

/// `clustersim sweep-merge {dir}/merged {dir}/a [{dir}/b]` of the shard folders in `files`.
fn merge(
    name: &'static str,
    files: Vec<(&'static str, Vec<u8>)>,
    at: &str,
    message: &'static str,
) -> Case {
    let mut args = vec!["sweep-merge", "{dir}/merged", "{dir}/a"];
    if files.iter().any(|(p, _)| p.starts_with("b/")) {
        args.push("{dir}/b");
    }
    Case {
        name,
        files,
        args,
        at: at.to_owned(),
        message,
    }
}

/// A sweep manifest of `runs` runs `r0`, `r1`, … of one parameter.
fn manifest(runs: u64) -> Vec<u8> {
    let runs: Vec<String> = (0..runs)
        .map(|i| format!("(index: {i}, id: \"r{i}\", seed: 1, values: [U64({i})])"))
        .collect();
    format!(
        "(schema_version: 1, name: \"s\", parameters: [\"services[name=api].replicas\"], \
         runs: [{}])",
        runs.join(", ")
    )
    .into_bytes()
}

/// [`GOOD`] with `from` replaced by `to` (which must be there).
fn good_with(from: &str, to: &str) -> String {
    assert!(GOOD.contains(from), "{from}");
    GOOD.replacen(from, to, 1)
}

/// [`GOOD`] as bytes, with `from` replaced by `to`.
fn good_bytes(from: &str, to: &[u8]) -> Vec<u8> {
    let at = GOOD.find(from).expect("in GOOD");
    [
        &GOOD.as_bytes()[..at],
        to,
        &GOOD.as_bytes()[at + from.len()..],
    ]
    .concat()
}

/// A trace shape reading `file` (relative to the experiment) for the one service.
fn with_trace(file: &str) -> String {
    good_with(
        "traffic: Constant(rps: 50)",
        &format!(
            r#"traffic: Trace(file: "{file}", time_column: "t", time_unit: s, value_column: "v", value_kind: Rate)"#
        ),
    )
}

/// `clustersim run` of [`GOOD`] with `from` replaced by `to`, expected to fail at the spot
/// marked `|` in `spot` (text of the edited file, `|` standing just before where the error
/// points), about `field` (empty: none), saying `message`.
fn edit(
    name: &'static str,
    from: &str,
    to: &str,
    spot: &str,
    field: &str,
    message: &'static str,
) -> Case {
    let src = good_with(from, to);
    let at = format!("x.ron:{}{}", position(&src, spot), field_part(field));
    run(name, src, &at, message)
}

/// `: field` after a location, or nothing.
fn field_part(field: &str) -> String {
    if field.is_empty() {
        String::new()
    } else {
        format!(": {field}")
    }
}

/// `line:col` (1-based, columns in chars) of the `|` in `spot`, the first place `spot` (without
/// the `|`) occurs in `src`.
fn position(src: &str, spot: &str) -> String {
    let (before, after) = spot.split_once('|').expect("a | in the spot");
    let whole = format!("{before}{after}");
    let start = src
        .find(&whole)
        .unwrap_or_else(|| panic!("{whole:?} not in the source"));
    let at = start + before.len();
    let line = src[..at].matches('\n').count() + 1;
    let line_start = src[..at].rfind('\n').map_or(0, |i| i + 1);
    format!("{line}:{}", src[line_start..at].chars().count() + 1)
}

/// `clustersim run` of [`GOOD`] with extra arguments (gates).
fn run_with(name: &'static str, extra: &[&'static str], at: &str, message: &'static str) -> Case {
    let mut case = run(name, GOOD, at, message);
    case.args.extend_from_slice(extra);
    case
}

/// A trace experiment reading `trace.csv` holding `csv`, refused at the trace's `file` field
/// with `message`.
fn trace(name: &'static str, csv: impl Into<Vec<u8>>, message: &'static str) -> Case {
    let src = with_trace("trace.csv");
    let at = format!(
        "x.ron:{}: services[0].traffic.file",
        position(&src, "Trace(file: |\"trace.csv")
    );
    run(name, src, &at, message).with_file("trace.csv", csv)
}

/// The sweep base of the sweep cases: [`GOOD`].
const SWEEP: &str = r#"Sweep(
    base: "base.ron",
    axes: [
        Values(field: "services[name=api].replicas", values: [1, 2]),
    ],
    seeds: [1, 2],
)
"#;

/// `clustersim sweep` of [`SWEEP`] with `from` replaced by `to` (written as `s.ron`, the base
/// as `base.ron`), refused at `spot` in the sweep file.
fn sweep(
    name: &'static str,
    from: &str,
    to: &str,
    spot: &str,
    field: &str,
    message: &'static str,
) -> Case {
    assert!(SWEEP.contains(from), "{from}");
    let src = SWEEP.replacen(from, to, 1);
    let at = format!("s.ron:{}{}", position(&src, spot), field_part(field));
    Case {
        name,
        files: vec![("base.ron", GOOD.into()), ("s.ron", src.into())],
        args: vec!["sweep", "{dir}/s.ron", "--out", "{dir}/out", "--quiet"],
        at,
        message,
    }
}

/// `clustersim sweep` of [`SWEEP`] with extra arguments.
fn sweep_with(name: &'static str, extra: &[&'static str], at: &str, message: &'static str) -> Case {
    let mut case = sweep(name, "seeds", "seeds", "|Sweep(", "", "");
    case.args.extend_from_slice(extra);
    case.at = at.to_owned();
    case.message = message;
    case
}

/// `clustersim report {dir}/o` of a folder holding `files` (under `o/`).
fn report(
    name: &'static str,
    files: Vec<(&'static str, Vec<u8>)>,
    at: &str,
    message: &'static str,
) -> Case {
    Case {
        name,
        files,
        args: vec!["report", "{dir}/o"],
        at: at.to_owned(),
        message,
    }
}

fn syntax_units_fields() -> Vec<Case> {
    vec![
        // Syntax.
        edit(
            "trailing text after the experiment",
            "\n)\n",
            "\n)\nx\n",
            ")\n|x",
            "",
            "trailing characters",
        ),
        edit(
            "a missing comma between fields",
            r#"name: "t","#,
            r#"name: "t""#,
            "\n    |duration",
            "",
            "comma",
        ),
        edit(
            "a misspelt root",
            "Experiment(",
            "Experimnt(",
            "|Experimnt(",
            "",
            "Experiment",
        ),
        edit(
            "a number for the name",
            r#"name: "t""#,
            "name: 5",
            "name: |5",
            "name",
            "string",
        ),
        edit(
            "a bool for replicas",
            "replicas: 2",
            "replicas: true",
            "replicas: |true",
            "services[0].replicas",
            "integer",
        ),
        edit(
            "a field given twice",
            r#"name: "t","#,
            r#"name: "t", name: "u","#,
            r#""t", |name: "u""#,
            "",
            "name",
        ),
        edit(
            "a list for a struct",
            r#"requests: (cpu: "500m", memory: "512Mi")"#,
            r#"requests: ["500m"]"#,
            "requests: |[",
            "services[0].requests",
            "struct",
        ),
        edit(
            "an unclosed list",
            r#"zones: ["us-east1-b"])],"#,
            r#"zones: ["us-east1-b")],"#,
            r#""us-east1-b"|)"#,
            "",
            "",
        ),
        run(
            "an empty file",
            "",
            "x.ron:1:1",
            "Expected opening `(` for struct `Experiment`",
        ),
        // Units.
        edit(
            "a CPU quantity with an unknown suffix",
            r#"cpu: "500m""#,
            r#"cpu: "500x""#,
            r#"cpu: |"500x""#,
            "services[0].requests.cpu",
            "500x",
        ),
        edit(
            "a memory quantity with an unknown suffix",
            r#""512Mi""#,
            r#""512Q""#,
            r#"memory: |"512Q""#,
            "services[0].requests.memory",
            "512Q",
        ),
        edit(
            "a duration in words",
            r#"duration: "1h""#,
            r#"duration: "1 hour""#,
            r#"duration: |"1 hour""#,
            "duration",
            "1 hour",
        ),
        edit(
            "a negative duration",
            r#"duration: "1h""#,
            r#"duration: "-1h""#,
            r#"duration: |"-1h""#,
            "duration",
            "-1h",
        ),
        edit(
            "an unquoted quantity",
            r#"cpu: "500m""#,
            "cpu: 500m",
            "cpu: |500m",
            "services[0].requests.cpu",
            "write quantities and durations in quotes",
        ),
        edit(
            "an unquoted duration",
            r#"duration: "1h""#,
            "duration: 1h",
            "duration: |1h",
            "duration",
            "write quantities and durations in quotes",
        ),
        edit(
            "a zero duration",
            r#"duration: "1h""#,
            r#"duration: "0s""#,
            r#"duration: |"0s""#,
            "duration",
            "expected a positive duration",
        ),
        edit(
            "a zero output interval",
            r#"duration: "1h","#,
            "duration: \"1h\",\n    output_interval: \"0s\",",
            r#"output_interval: |"0s""#,
            "output_interval",
            "expected a positive duration",
        ),
        edit(
            "a start that is not a date",
            r#"duration: "1h","#,
            "duration: \"1h\",\n    start: \"yesterday\",",
            r#"start: |"yesterday""#,
            "start",
            "yesterday",
        ),
        edit(
            "a timeout that is not a duration",
            "capacity_rps: 100,",
            "capacity_rps: 100, timeout: \"soon\",",
            r#"timeout: |"soon""#,
            "services[0].timeout",
            "soon",
        ),
        // Unknown fields and variants.
        edit(
            "a misspelt service field",
            "replicas: 2",
            "replica: 2",
            "|replica: 2",
            "services[0]",
            "did you mean `replicas`?",
        ),
        edit(
            "an unknown top-level field",
            r#"name: "t","#,
            r#"name: "t", colour: 1,"#,
            "|colour",
            "",
            "colour",
        ),
        edit(
            "a misspelt traffic shape",
            "Constant(rps: 50)",
            "Constnt(rps: 50)",
            "|Constnt",
            "services[0].traffic",
            "did you mean `Constant`?",
        ),
        edit(
            "an unknown field of requests",
            r#"cpu: "500m""#,
            r#"cpuu: "500m""#,
            "|cpuu",
            "services[0].requests",
            "did you mean `cpu`?",
        ),
        edit(
            "a misspelt capacity type",
            "nodes: 2)",
            "capacity_type: Spotty, nodes: 2)",
            "capacity_type: |Spotty",
            "node_pools[0].capacity_type",
            "did you mean `Spot`?",
        ),
        edit(
            "an unknown provider",
            r#"name: "t","#,
            "name: \"t\",\n    provider: azure,",
            "provider: |azure",
            "provider",
            "azure",
        ),
        edit(
            "an unknown instance type",
            r#""e2-standard-4""#,
            r#""e2-standard-400""#,
            r#"instance_type: |"e2-standard-400""#,
            "node_pools[0].instance_type",
            "e2-standard-400",
        ),
        edit(
            "a pool's allocatable above its instance's capacity",
            "nodes: 2)",
            r#"nodes: 2, allocatable: (cpu: "5", memory: "14Gi"))"#,
            r#"allocatable: (cpu: |"5""#,
            "node_pools[0].allocatable.cpu",
            "more than the node has",
        ),
        edit(
            "a pool with both allocatable and reserved",
            "nodes: 2)",
            r#"nodes: 2, allocatable: (cpu: "3", memory: "14Gi"), reserved: (cpu: "1", memory: "2Gi"))"#,
            "reserved: |(",
            "node_pools[0].reserved",
            "not both",
        ),
        edit(
            "an unknown region of a pool",
            r#"region: "us-east1""#,
            r#"region: "mars""#,
            r#"region: |"mars""#,
            "node_pools[0].region",
            "unknown region `mars`",
        ),
        edit(
            "a zone of another region",
            r#"zones: ["us-east1-b"]"#,
            r#"zones: ["europe-west1-b"]"#,
            r#"zones: [|"europe-west1-b"]"#,
            "regions[0].zones[0]",
            "europe-west1-b",
        ),
    ]
}

fn bounds() -> Vec<Case> {
    vec![
        edit(
            "replicas past the maximum",
            "replicas: 2",
            "replicas: 10000001",
            "replicas: |10000001",
            "services[0].replicas",
            "expected at most 10000000 replicas",
        ),
        edit(
            "negative replicas",
            "replicas: 2",
            "replicas: -1",
            "replicas: |-1",
            "services[0].replicas",
            "must be ≥ 0",
        ),
        edit(
            "replicas past u32",
            "replicas: 2",
            "replicas: 99999999999",
            "replicas: |99999999999",
            "services[0].replicas",
            "is too large for `replicas`",
        ),
        edit(
            "negative nodes",
            "nodes: 2",
            "nodes: -2",
            "nodes: |-2",
            "node_pools[0].nodes",
            "must be ≥ 0",
        ),
        edit(
            "a negative seed",
            r#"name: "t","#,
            "name: \"t\",\n    seed: -1,",
            "seed: |-1",
            "seed",
            "must be ≥ 0",
        ),
        edit(
            "too many samples",
            r#"duration: "1h","#,
            "duration: \"1000h\",\n    output_interval: \"100ms\",",
            "output_interval: |\"100ms\"",
            "output_interval",
            "more than the limit of 10000000",
        ),
        edit(
            "a negative rate",
            "rps: 50",
            "rps: -5",
            "rps: |-5",
            "services[0].traffic.rps",
            "expected a finite rate >= 0",
        ),
        edit(
            "a pod larger than every node",
            r#"cpu: "500m""#,
            r#"cpu: "64""#,
            "requests: |(cpu: \"64\"",
            "services[0].requests",
            "it can never be scheduled",
        ),
        edit(
            "an attainment target over 1",
            "    )],\n)",
            "    )],\n    targets: (slo_attainment: 1.5),\n)",
            "slo_attainment: |1.5",
            "targets.slo_attainment",
            "expected a fraction in (0, 1]",
        ),
        edit(
            "a priority value past the maximum",
            r#"name: "t","#,
            "name: \"t\",\n    priority_classes: [(name: \"x\", value: 2000000000)],",
            "value: |2000000000",
            "priority_classes[0].value",
            "1000000000",
        ),
    ]
}

fn traces() -> Vec<Case> {
    vec![
        trace(
            "a header without the time column",
            "a,v\n0,1\n60,2\n",
            "no column `t` in the header: expected one of `a`, `v`",
        ),
        trace(
            "a value that is not a number",
            "t,v\n0,1\n60,zero\n",
            "row 3, column 2 (`v`): expected a number, found \"zero\"",
        ),
        trace(
            "a long bad value is quoted short",
            format!("t,v\n0,1\n60,{}\n", "x".repeat(500)),
            "found \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…\"",
        ),
        trace(
            "times that do not increase",
            "t,v\n0,1\n0,2\n",
            "row 3, column 1 (`t`): expected a time after the previous row's 0",
        ),
        trace(
            "a negative rate",
            "t,v\n0,1\n60,-2\n",
            "row 3, column 2 (`v`): expected a number >= 0",
        ),
        trace(
            "a row with too few fields",
            "t,v\n0,1\n60\n",
            "row 3: expected 2 fields as in the header, found 1",
        ),
        trace(
            "a trace shorter than the run",
            "t,v\n0,1\n60,2\n",
            "shorter than the run's 1h",
        ),
        trace(
            "a line longer than 64 KiB",
            format!("t,v\n0,{}\n", "1".repeat(70_000)),
            "row 2: a line longer than 65536 bytes",
        ),
        trace(
            "a trace that is not UTF-8",
            b"t,v\n0,1\n\xfe\xff,2\n".to_vec(),
            "row 3: byte 1 of the line is not UTF-8 text",
        ),
        run(
            "a trace that does not exist",
            with_trace("nope.csv"),
            "services[0].traffic.file",
            "cannot read trace",
        ),
        run(
            "a Parquet trace that is not Parquet",
            with_trace("t.parquet"),
            "services[0].traffic.file",
            "not a readable Parquet file",
        )
        .with_file("t.parquet", "t,v\n0,1\n"),
    ]
}

fn gates_sweeps_shards_outputs() -> Vec<Case> {
    vec![
        run_with(
            "a gate with a doubled operator",
            &["--gate", "p99_latency_ms<<100"],
            "--gate \"p99_latency_ms<<100\"",
            "column",
        ),
        run_with(
            "a gate on an unknown metric",
            &["--gate", "p999_ms<1"],
            "--gate \"p999_ms<1\"",
            "p999_ms",
        ),
        run_with(
            "a gate without a number",
            &["--gate", "cost_usd<abc"],
            "--gate \"cost_usd<abc\"",
            "abc",
        ),
        run_with("an empty gate", &["--gate", ""], "--gate \"\"", "expected"),
        run_with(
            "a gate on attainment without a latency target",
            &["--gate", "slo_attainment>0.9"],
            "--gate \"slo_attainment>0.9\"",
            "does not set",
        ),
        sweep(
            "an unknown field of an axis",
            "values: [1, 2])",
            "values: [1, 2], step: 1)",
            "|step: 1",
            "axes[0]",
            "step",
        ),
        sweep(
            "a path the base does not have",
            "[name=api].replicas",
            "[name=api].replica",
            "field: |\"services",
            "axes[0].field",
            "not set in the base",
        ),
        sweep(
            "no element by that name",
            "name=api",
            "name=web",
            "field: |\"services",
            "axes[0].field",
            "no element of `services` has name `web`",
        ),
        sweep(
            "a base that does not exist",
            "base.ron",
            "nope.ron",
            "base: |\"nope.ron\"",
            "base",
            "cannot read the base experiment",
        ),
        sweep(
            "seeds and replicates both",
            "seeds: [1, 2],",
            "seeds: [1, 2],\n    replicates: 2,",
            "replicates: |2",
            "replicates",
            "set `seeds` or `replicates`, not both",
        ),
        sweep(
            // 40 000 runs × 2 002 bytes: 76 MiB of values from a 2 kB sweep file.
            "runs that would hold too many parameter bytes",
            "Values(field: \"services[name=api].replicas\", values: [1, 2]),\n    ],\n    seeds: [1, 2],",
            &format!(
                "Values(field: \"name\", values: [\"{}\"]),\n    ],\n    replicates: 40000,",
                "x".repeat(2000)
            ),
            "axes: |[",
            "axes",
            "would hold about 76 MiB of parameter values (40000 runs × up to 2002 bytes each)",
        ),
        sweep(
            // Two billion seeds would be made before the run count was checked (a fuzzer's
            // out-of-memory).
            "replicates past the run limit",
            "seeds: [1, 2],",
            "replicates: 2015721356,",
            "replicates: |2015721356",
            "replicates",
            "expected at most 100000 replicates",
        ),
        sweep(
            // The fuzzer's panic: two spellings of one field patched the base twice.
            "one field in two axes, written differently",
            "values: [1, 2]),",
            "values: [1, 2]),\n        Values(field: \" services[name=api].replicas\", values: [3]),",
            "field: |\" services",
            "axes[1].field",
            "is already set by the axis `services[name=api].replicas`",
        ),
        sweep(
            // Each axis is checked as it is made: 300 axes of 100 000 samples took 1.7 GB
            // before the run count was checked once, after all of them.
            "axes whose grid is past the run limit",
            "Values(field: \"services[name=api].replicas\", values: [1, 2]),",
            &"Uniform(field: \"services[name=api].replicas\", low: 1, high: 9, samples: 100000),"
                .repeat(300),
            "axes: |[",
            "axes",
            "the sweep expands to more than 100000 runs",
        ),
        sweep(
            "a value of the wrong type",
            "values: [1, 2]",
            "values: [1, \"two\"]",
            "[1, |\"two\"]",
            "axes[0].values[1]",
            "expected a finite number, as the base has one",
        ),
        Case {
            // Reported against the base, naming the run that set the value.
            at: format!(
                "base.ron:{}: services[0].replicas",
                position(GOOD, "replicas: |2")
            ),
            ..sweep(
                "a run the loader refuses",
                "values: [1, 2]",
                "values: [1, 20000000]",
                "|Sweep(",
                "",
                "(in run 00002-642b0bbc: services[name=api].replicas = 20000000, seed = 1)",
            )
        },
        sweep(
            "an unknown axis kind",
            "Values(field",
            "Valuez(field",
            "|Valuez",
            "axes[0]",
            "did you mean `Values`?",
        ),
        sweep_with(
            "a shard index past the count",
            &["--shard", "3/3"],
            "--shard 3/3",
            "expected 0 ≤ I < N",
        ),
        sweep_with(
            "a shard that is not I/N",
            &["--shard", "1"],
            "--shard 1",
            "expected I/N",
        ),
        sweep_with(
            "a shard count of zero",
            &["--shard", "0/0"],
            "--shard 0/0",
            "expected 0 ≤ I < N",
        ),
        report(
            "a folder without outputs",
            vec![("o/notes.txt", "x".into())],
            "timeseries.parquet",
            "cannot read",
        ),
        report(
            "a time series that is not Parquet",
            vec![("o/timeseries.parquet", "garbage".into())],
            "timeseries.parquet",
            "",
        ),
        Case {
            name: "validate of a file that does not exist",
            files: vec![],
            args: vec!["validate", "{dir}/none.ron"],
            at: "{dir}/none.ron".into(),
            message: "cannot read the file",
        },
    ]
}

/// An experiment with two Kueue ClusterQueues in a cohort and a queued batch workload.
const KUEUE: &str = r#"Experiment(
    name: "t",
    duration: "1h",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [(name: "p", region: "us-east1", instance_type: "e2-standard-4", nodes: 2)],
    kueue: (
        resource_flavors: [(name: "default")],
        cluster_queues: [
            (name: "a", cohort: "c", flavors: [(name: "default", nominal: (cpu: "4"), borrowing_limit: (cpu: "2"))]),
            (name: "b", cohort: "c", flavors: [(name: "default", nominal: (cpu: "4"))]),
        ],
        local_queues: [(name: "q", cluster_queue: "a")],
    ),
    batch: [(
        name: "etl",
        queue: "q",
        arrivals: Poisson(rate: Constant(rps: 0.001), duration: Constant(run: "10m")),
        requests: (cpu: "1", memory: "1Gi"),
    )],
)
"#;

/// [`KUEUE`] with `from` replaced by `to`, refused at `spot` (a `|` marks the column) with
/// `field` and `message`.
fn kueue(
    name: &'static str,
    from: &str,
    to: &str,
    spot: &str,
    field: &str,
    message: &'static str,
) -> Case {
    assert!(KUEUE.contains(from), "{from}");
    let src = KUEUE.replacen(from, to, 1);
    let at = format!("x.ron:{}{}", position(&src, spot), field_part(field));
    run(name, src, &at, message)
}

/// The Kueue and GPU cases: unknown references, limits Kueue refuses, GPUs no pool has.
fn kueue_cases() -> Vec<Case> {
    vec![
        kueue(
            "a ClusterQueue naming an unknown flavor",
            r#"flavors: [(name: "default", nominal: (cpu: "4"))]"#,
            r#"flavors: [(name: "spot", nominal: (cpu: "4"))]"#,
            r#"flavors: [(name: |"spot""#,
            "kueue.cluster_queues[1].flavors[0].name",
            "unknown ResourceFlavor `spot`",
        ),
        kueue(
            "a borrowing limit over what the cohort can lend",
            r#"borrowing_limit: (cpu: "2")"#,
            r#"borrowing_limit: (cpu: "5")"#,
            r#"borrowing_limit: (cpu: |"5""#,
            "kueue.cluster_queues[0].flavors[0].borrowing_limit.cpu",
            "more than the rest of cohort `c` can lend (4)",
        ),
        kueue(
            "a lending limit over the nominal quota",
            r#"(name: "default", nominal: (cpu: "4"))]),"#,
            r#"(name: "default", nominal: (cpu: "4"), lending_limit: (cpu: "6"))]),"#,
            r#"lending_limit: (cpu: |"6""#,
            "kueue.cluster_queues[1].flavors[0].lending_limit.cpu",
            "more than its nominal quota",
        ),
        kueue(
            "a borrowing limit without a cohort",
            r#"(name: "a", cohort: "c", "#,
            r#"(name: "a", "#,
            r#"borrowing_limit: |("#,
            "kueue.cluster_queues[0].flavors[0].borrowing_limit",
            "without a cohort neither borrows nor lends",
        ),
        kueue(
            "a batch workload naming an unknown LocalQueue",
            r#"queue: "q","#,
            r#"queue: "qq","#,
            r#"queue: |"qq""#,
            "batch[0].queue",
            "no LocalQueue `qq` in namespace `default`",
        ),
        kueue(
            "a GPU request where no pool has GPUs",
            r#"requests: (cpu: "1", memory: "1Gi"),"#,
            r#"requests: (cpu: "1", memory: "1Gi"), gpus: 1,"#,
            "gpus: |1",
            "batch[0].gpus",
            "no untainted node pool in `us-east1` has that many per node: expected an untainted pool of a GPU machine type, such as",
        ),
        kueue(
            "a GPU request on a provider with no GPU machine type there",
            r#"requests: (cpu: "1", memory: "1Gi"),"#,
            r#"requests: (cpu: "1", memory: "1Gi"), gpus: 32,"#,
            "gpus: |32",
            "batch[0].gpus",
            "the Gcp catalog has no machine type with 32 GPUs in `us-east1`",
        ),
        kueue(
            "a flavor whose node labels no pool carries",
            r#"(name: "default")"#,
            r#"(name: "default", node_labels: {"gpu": "a100"})"#,
            r#"node_labels: |{"#,
            "kueue.resource_flavors[0].node_labels",
            "no node pool carries the labels",
        ),
    ]
}

fn cases() -> Vec<Case> {
    let mut c = vec![
        // Size and encoding of the file itself.
        run(
            "an experiment larger than 4 MiB",
            format!("{}{GOOD}", " ".repeat(5 << 20)),
            "x.ron: the file is larger",
            "the limit of 4194304 bytes (4 MiB)",
        ),
        run(
            "a byte that is not UTF-8 is located",
            good_bytes(r#"name: "t""#, b"name: \"t\xff"),
            "x.ron:2:13: byte 0xff is not UTF-8 text",
            "expected a UTF-8 file",
        ),
        run(
            "nesting past the parser's limit",
            good_with(
                "traffic: Constant(rps: 50)",
                &format!(
                    "traffic: {}Constant(rps: 50){}",
                    "Sum([".repeat(200),
                    "])".repeat(200)
                ),
            ),
            "x.ron:11:",
            "values nested more than 128 levels deep",
        ),
        run(
            "an empty name",
            good_with(r#"name: "t""#, r#"name: """#),
            "x.ron:2:11: name",
            "expected a name for the run",
        ),
        // Budgets: what a run would hold, and the requests request fidelity would draw.
        run(
            "100 000 h at 1-minute rows passes the memory budget",
            good_with(r#"duration: "1h""#, r#"duration: "100000h""#),
            "x.ron:1:1: output_interval: the run would hold about 4.8 GiB",
            "6000001 samples of 4 series), more than the limit of 2 GiB",
        ),
        run(
            "request fidelity in the file past the request budget",
            good_with(
                r#"duration: "1h","#,
                "duration: \"1h\",\n    fidelity: Request,",
            )
            .replace("rps: 50", "rps: 1000000"),
            "x.ron:4:15: fidelity",
            "request fidelity would draw about 3.600e9 requests, more than the limit of 1e8",
        ),
        Case {
            args: vec![
                "run",
                "{dir}/x.ron",
                "--out",
                "{dir}/out",
                "--fidelity",
                "request",
            ],
            ..run(
                "--fidelity request past the request budget",
                good_with("rps: 50", "rps: 1000000"),
                "--fidelity request:",
                "would draw about 3.600e9 requests",
            )
        },
        // Traces.
        run(
            "an unrelated file's first line is not quoted",
            with_trace("passwd"),
            "x.ron:11:30: services[0].traffic.file",
            "no column `t`: the first line has no `,`",
        )
        .with_file(
            "passwd",
            "root:x:0:0:root:/root:/bin/bash\nsecret:x:1:1::/:/bin/sh\n",
        ),
    ];
    c.extend([
        // Saved outputs: sweep shards and run summaries, checked before OUT is created.
        merge(
            "a run finished in no shard",
            vec![("a/sweep-manifest.ron", manifest(2))],
            "2 of 2 runs are finished in none of the folders (the first: r0)",
            "run the missing shards",
        ),
        merge(
            "a corrupt run summary",
            vec![
                ("a/sweep-manifest.ron", manifest(1)),
                ("a/runs/r0/summary.json", "{\"schema_version\": 3,".into()),
            ],
            "a/runs/r0/summary.json",
            "cannot read",
        ),
        merge(
            "a shard folder without a manifest",
            vec![("a/runs/r0/summary.json", "{}".into())],
            "a/sweep-manifest.ron",
            "is it a sweep's output folder?",
        ),
        merge(
            "shards of two sweeps",
            vec![
                ("a/sweep-manifest.ron", manifest(1)),
                ("b/sweep-manifest.ron", manifest(2)),
            ],
            "{dir}/a and {dir}/b hold different sweeps",
            "expected the shards of one sweep",
        ),
    ]);
    c.extend(syntax_units_fields());
    c.extend(bounds());
    c.extend(traces());
    c.extend(gates_sweeps_shards_outputs());
    #[cfg(target_os = "linux")]
    c.push(
        run(
            "an output folder another clustersim holds",
            GOOD,
            "{dir}/.out.clustersim.lock is held by another clustersim (pid 1 on ",
            "pass another --out",
        )
        // pid 1 (init) is alive on every Linux host.
        .with_file(".out.clustersim.lock", format!("1 {}\n", host())),
    );
    c.extend(kueue_cases());
    c.extend(policies());
    #[cfg(target_os = "linux")]
    c.extend([
        // A whole sweep would run the runs a live shard attempt is running.
        sweep_with(
            "a whole sweep into a folder where a shard runs",
            &[],
            "{dir}/out/.clustersim-shard-0-of-2.lock is held by another clustersim (pid 1 on ",
            "running some of the same runs",
        )
        .with_file(
            "out/.clustersim-shard-0-of-2.lock",
            format!("1 {}\n", host()),
        ),
        // Shards of another count overlap the live one's runs.
        sweep_with(
            "a shard of another shard count",
            &["--shard", "0/3"],
            "{dir}/out/.clustersim-shard-1-of-2.lock is held by another clustersim",
            "run the same shards",
        )
        .with_file(
            "out/.clustersim-shard-1-of-2.lock",
            format!("1 {}\n", host()),
        ),
        merge(
            "a merge into a folder another merge holds",
            vec![("a/sweep-manifest.ron", manifest(1))],
            "{dir}/.merged.clustersim.lock is held by another clustersim (pid 1 on ",
            "pass another --out",
        )
        .with_file(".merged.clustersim.lock", format!("1 {}\n", host())),
    ]);
    #[cfg(target_os = "linux")]
    c.extend([
        run(
            "a trace at /dev/zero fails at its first line",
            with_trace("/dev/zero"),
            "services[0].traffic.file",
            "row 1: a line longer than 65536 bytes",
        ),
        run(
            "a trace at /dev/urandom fails at its first line",
            with_trace("/dev/urandom"),
            "services[0].traffic.file",
            "is not UTF-8 text",
        ),
    ]);
    c
}

/// [`GOOD`] with pool `p` bounded (2 to 5 nodes) and a node-pool policy (its fields after
/// `name`, with a pending-pods condition), and a Cluster Autoscaler in us-east1 when `ca`.
fn pool_policy(fields: &str, ca: bool) -> String {
    let autoscaler = if ca {
        "    node_autoscaling: [(region: \"us-east1\", cluster_autoscaler: ())],\n"
    } else {
        ""
    };
    good_with(
        "    )],\n)",
        &format!(
            "    )],\n{autoscaler}    policies: (node_pools: [(name: \"w\", {fields}, \
             scale_up: [(metric: pending_pods, above: 0)])]),\n)"
        ),
    )
    .replace("nodes: 2)", "nodes: 2, min_nodes: 2, max_nodes: 5)")
}

/// [`GOOD`] with a `policies` section of one scheduled action (its fields after `name`), and
/// the service given an HPA when `hpa`.
fn scheduled(action: &str, hpa: bool) -> String {
    let src = good_with(
        "    )],\n)",
        &format!("    )],\n    policies: (scheduled: [(name: \"a\", {action})]),\n)"),
    );
    if !hpa {
        return src;
    }
    src.replacen(
        "traffic: Constant(rps: 50),",
        "traffic: Constant(rps: 50),\n        hpa: (max_replicas: 6, metrics: [Resource(name: cpu, target: Utilization(70))]),",
        1,
    )
}

/// A scheduled action refused at the `|` of `spot`, about `field`.
fn scheduled_case(
    name: &'static str,
    action: &str,
    hpa: bool,
    spot: &str,
    field: &str,
    message: &'static str,
) -> Case {
    let src = scheduled(action, hpa);
    let at = format!("x.ron:{}: {field}", position(&src, spot));
    run(name, src, &at, message)
}

/// A threshold policy on `api` (2 to 6 replicas, `rest` its other fields) refused at the `|`
/// of `spot`, about `field`.
fn threshold_case(
    name: &'static str,
    rest: &str,
    hpa: bool,
    spot: &str,
    field: &str,
    message: &'static str,
) -> Case {
    let src = scheduled("cron: \"0 8 * * *\", service: \"api\", replicas: 3", hpa).replacen(
        "policies: (scheduled: [(name: \"a\", cron: \"0 8 * * *\", service: \"api\", replicas: 3)])",
        &format!(
            "policies: (thresholds: [(name: \"t\", service: \"api\", min_replicas: 1, \
             max_replicas: 6, {rest})])"
        ),
        1,
    );
    let at = format!("x.ron:{}: {field}", position(&src, spot));
    run(name, src, &at, message)
}

fn policies() -> Vec<Case> {
    let at = "policies.scheduled[0]";
    vec![
        scheduled_case(
            "a cron pattern with hour 25",
            r#"cron: "0 25 * * *", service: "api", replicas: 3"#,
            false,
            r#"cron: |"0 25"#,
            &format!("{at}.cron"),
            "expected a cron pattern such as \"0 8 * * 1-5\"",
        ),
        scheduled_case(
            "a scheduled action on an unknown service",
            r#"cron: "0 8 * * *", service: "web", replicas: 3"#,
            false,
            r#"service: |"web""#,
            &format!("{at}.service"),
            "unknown service `web`: expected one of api",
        ),
        scheduled_case(
            "an unknown time zone",
            r#"cron: "0 8 * * *", time_zone: "Europe/Pari", service: "api", replicas: 3"#,
            false,
            r#"time_zone: |"Europe/Pari""#,
            &format!("{at}.time_zone"),
            "unknown time zone \"Europe/Pari\"",
        ),
        scheduled_case(
            "min_replicas on a service without an HPA",
            r#"cron: "0 8 * * *", service: "api", min_replicas: 3"#,
            false,
            r#"min_replicas: |3"#,
            &format!("{at}.min_replicas"),
            "has no `hpa`: expected `replicas`",
        ),
        scheduled_case(
            "replicas on a service with an HPA",
            r#"cron: "0 8 * * *", service: "api", replicas: 3"#,
            true,
            r#"replicas: |3)"#,
            &format!("{at}.replicas"),
            "has an `hpa`, which owns its replicas",
        ),
        scheduled_case(
            "a scheduled minimum above the maximum",
            r#"cron: "0 8 * * *", service: "api", min_replicas: 5, max_replicas: 4"#,
            true,
            r#"max_replicas: |4"#,
            &format!("{at}.max_replicas"),
            "expected at least `min_replicas` (5)",
        ),
        threshold_case(
            "an unknown threshold metric",
            "scale_up: [(metric: cpu_usage, above: 0.8)]",
            false,
            "metric: |cpu_usage",
            "policies.thresholds[0].scale_up[0].metric",
            "cpu_utilization",
        ),
        threshold_case(
            "a negative threshold step",
            "scale_up: [(metric: cpu_utilization, above: 0.8)], step_up: Pods(-1)",
            false,
            "step_up: |Pods(-1)",
            "policies.thresholds[0].step_up",
            "expected at least 1 pod, such as `Pods(1)`; found -1",
        ),
        threshold_case(
            "a zero percent threshold step",
            "scale_up: [(metric: cpu_utilization, above: 0.8)], step_up: Percent(0)",
            false,
            "step_up: |Percent(0)",
            "policies.thresholds[0].step_up",
            "expected a percentage above 0",
        ),
        threshold_case(
            "a threshold policy on a service with an HPA",
            "scale_up: [(metric: cpu_utilization, above: 0.8)]",
            true,
            "service: |\"api\", min_replicas: 1",
            "policies.thresholds[0].service",
            "already scaled by its `hpa`: expected one owner of its replicas",
        ),
        threshold_case(
            "a threshold condition with both above and below",
            "scale_up: [(metric: cpu_utilization, above: 0.8, below: 0.2)]",
            false,
            "below: |0.2",
            "policies.thresholds[0].scale_up[0].below",
            "expected one of `above` and `below`, not both",
        ),
        run(
            "a queue_length trigger that could never activate from zero",
            good_with(
                "    )],\n)",
                "    )],\n    policies: (event_driven: [(name: \"k\", service: \"api\", \
                 metric: queue_length, target: 5)]),\n)",
            ),
            "policies.event_driven[0].metric",
            "could never activate",
        ),
        scheduled_case(
            "a scheduled pool minimum without a Cluster Autoscaler",
            r#"cron: "0 8 * * *", pool: "p", min_nodes: 3"#,
            false,
            r#"pool: |"p", min_nodes"#,
            &format!("{at}.pool"),
            "which has no Cluster Autoscaler",
        ),
        scheduled_case(
            "a scheduled action on both a service and a pool",
            r#"cron: "0 8 * * *", service: "api", pool: "p", replicas: 3"#,
            false,
            r#"scheduled: [|(name"#,
            at,
            "expected exactly one of `service` and `pool`",
        ),
        run(
            "an active policy set no policy is in",
            good_with(
                "    )],\n)",
                "    )],\n    policies: (active: \"rush\", scheduled: [(name: \"a\", set: \"day\", \
                 cron: \"0 8 * * *\", service: \"api\", replicas: 3)]),\n)",
            ),
            "policies.active",
            "no policy is in set `rush`: expected one of \"day\", or \"none\"",
        ),
        run(
            "a predictive season that is not a whole number of steps",
            good_with(
                "    )],\n)",
                "    )],\n    policies: (predictive: [(name: \"f\", service: \"api\", \
                 mode: ForecastOnly, max_replicas: 4, period: \"1h\", step: \"7m\")]),\n)",
            ),
            "policies.predictive[0].period",
            "expected a whole number of steps (7m0s), from 2 to 200000",
        ),
        run(
            "a node-pool policy on an unknown pool",
            pool_policy("pools: [(pool: \"q\")]", false),
            "policies.node_pools[0].pools[0].pool",
            "unknown node pool `q`: expected one of p",
        ),
        run(
            "a node-pool policy on a pool without bounds",
            pool_policy("pools: [(pool: \"p\")]", false).replace(", max_nodes: 5", ""),
            "policies.node_pools[0].pools[0].pool",
            "node pool `p` has no `max_nodes`",
        ),
        run(
            "a node-pool policy stepping in pods",
            pool_policy("pools: [(pool: \"p\")], step_up: Pods(2)", false),
            "policies.node_pools[0].step_up",
            "expected a step of nodes, such as `Nodes(2)`, or `Percent(50)`",
        ),
        run(
            "a cost-aware node-pool policy with no low share",
            pool_policy(
                "pools: [(pool: \"p\")], budget: (budget_usd: 10, low_share: 0)",
                false,
            ),
            "policies.node_pools[0].budget.low_share",
            "expected a share in (0, 1]",
        ),
        run(
            "a batch-wait target without batch",
            good_with(
                "    )],\n)",
                "    )],\n    targets: (batch_wait_p95: \"30m\"),\n)",
            ),
            "targets.batch_wait_p95",
            "the Jobs' wait needs Jobs: expected a `batch` section beside it",
        ),
        run(
            "a deadline-miss target without batch",
            good_with(
                "    )],\n)",
                "    )],\n    targets: (batch_deadline_misses: 0),\n)",
            ),
            "targets.batch_deadline_misses",
            "deadline misses need Jobs: expected a `batch` section beside it",
        ),
        run(
            "a pool forecast step that is not a whole number of evaluations",
            pool_policy(
                "pools: [(pool: \"p\")], evaluation_interval: \"2m\", \
                 forecast: (step: \"5m\", period: \"1h\")",
                false,
            ),
            "policies.node_pools[0].forecast.step",
            "expected a whole number of the policy's evaluation_interval (2m0s)",
        ),
        run(
            "a node-pool policy on a Cluster Autoscaler's node group",
            pool_policy("pools: [(pool: \"p\")]", true),
            "policies.node_pools[0].pools[0].pool",
            "is a node group of us-east1's Cluster Autoscaler: expected one owner of its size",
        ),
        scheduled_case(
            "a negative scheduled replica count",
            r#"cron: "0 8 * * *", service: "api", replicas: -1"#,
            false,
            r#"replicas: |-1"#,
            &format!("{at}.replicas"),
            "`replicas` must be ≥ 0, found -1",
        ),
    ]
}

/// This machine's name as a lock file records it.
fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// The top-level names in `dir`.
fn listing(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn a_byte_order_mark_is_skipped_and_locations_stay_right() {
    let (r, _dir, _out) = common::run_experiment(&format!(
        "\u{feff}{}",
        good_with("replicas: 2", "replicas: -2")
    ));
    assert_eq!(r.status.code(), Some(2));
    // Line 8 is `        replicas: -2,`: the value starts at column 19.
    assert!(
        text(&r.stderr).contains("x.ron:8:19: services[0].replicas"),
        "{}",
        text(&r.stderr)
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bom.ron");
    std::fs::write(&file, format!("\u{feff}{GOOD}")).unwrap();
    let r = clustersim(&["validate", file.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
}

#[test]
fn every_bad_input_exits_2_located_and_writes_nothing() {
    let mut failures = Vec::new();
    let all = cases();
    for case in &all {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_str().unwrap();
        for (path, bytes) in &case.files {
            let full = dir.path().join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, bytes).unwrap();
        }
        let before = listing(dir.path());
        let args: Vec<String> = case.args.iter().map(|a| a.replace("{dir}", root)).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = clustersim(&args);
        let stderr = text(&r.stderr);
        let at = case.at.replace("{dir}", root);
        let mut wrong = Vec::new();
        if r.status.code() != Some(2) {
            wrong.push(format!("exit {:?}, expected 2", r.status.code()));
        }
        if !stderr.contains(&at) {
            wrong.push(format!("no `{at}`"));
        }
        if !stderr.contains(case.message) {
            wrong.push(format!("no `{}`", case.message));
        }
        let after = listing(dir.path());
        if after != before {
            wrong.push(format!(
                "wrote {:?}",
                after.difference(&before).collect::<Vec<_>>()
            ));
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{}: {}\n  stderr: {stderr}",
                case.name,
                wrong.join("; ")
            ));
        }
    }
    assert!(all.len() >= 60, "{} cases", all.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

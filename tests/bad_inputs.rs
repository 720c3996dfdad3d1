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
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

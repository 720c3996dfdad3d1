//! `clustersim bench`: how fast and how big the simulator runs, measured on experiment files
//! (issue 11). Why a subcommand and not a Criterion bench: the question is "how long does
//! *this experiment* take, and how much memory", asked of the binary users run, on files they
//! write; and the figures must come from the same load path as `clustersim run`
//! (`clustersim::input::load`), or they would measure something else.
//!
//! What it measures, per experiment and run: load (read + parse + resolve into a `Plan`) and
//! run (`models::run::run`) wall times with `Instant` — wall time is measured here, around the
//! simulation, and never enters a simulation result; the events the cluster model handled
//! (`RunOutput::events_handled`, the same count every run of a deterministic simulation, so a
//! difference is reported as a failure); the process's memory high-water mark (Linux `VmHWM`,
//! reset through `/proc/self/clear_refs` before each run); and the size reached, read from the
//! run's own tables (peak service pods, peak nodes) and batch report (Jobs). It writes none of
//! the run's files: the Parquet, charts and report are not what is measured.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use models::run::RunOutput;
use serde::Serialize;
use sim::recorder::{Table, Values};

use clustersim::input;

use crate::{EXIT_BAD_INPUT, EXIT_RUN_FAILED, bad_input, failed};

/// The benchmarks run when no file is named, relative to the current directory (the
/// repository root): the Black Friday day, a 100 000-pod batch run, a 10 000-node burst.
const DEFAULT_FILES: [&str; 3] = [
    "experiments/black-friday.ron",
    "experiments/bench/batch-100k.ron",
    "experiments/bench/scheduling-burst.ron",
];

/// What `clustersim bench` was asked.
pub struct Options {
    /// Empty: [`DEFAULT_FILES`].
    pub files: Vec<PathBuf>,
    /// Runs per experiment, at least 1.
    pub runs: u32,
    pub json: Option<PathBuf>,
}

/// One load and run of one experiment.
#[derive(Debug, Clone, Serialize)]
struct Measure {
    load_s: f64,
    run_s: f64,
    events: u64,
    /// `None` where the high-water mark cannot be reset or read (not Linux, no `/proc`).
    peak_memory_bytes: Option<u64>,
}

/// One experiment's figures over its runs, as printed and written to `--json`.
#[derive(Debug, Serialize)]
struct Bench {
    file: String,
    name: String,
    /// The experiment's duration.
    simulated_s: f64,
    /// Medians over the runs.
    load_s: f64,
    run_s: f64,
    /// The first run's count; `deterministic` says whether every run agreed.
    events: u64,
    events_per_s: f64,
    sim_s_per_s: f64,
    /// Largest over the runs.
    peak_memory_bytes: Option<u64>,
    /// Largest ready + pending pods of the services at a sample instant (Job pods are not in
    /// the time series); `None` without services.
    peak_pods: Option<u64>,
    /// Largest node count of all pools at a sample instant; `None` without pools.
    peak_nodes: Option<u64>,
    /// Jobs submitted; `None` without batch workloads.
    jobs: Option<u64>,
    deterministic: bool,
    runs: Vec<Measure>,
}

/// The `--json` file.
#[derive(Debug, Serialize)]
struct Report<'a> {
    /// `debug` or `release`: debug figures are not comparable with release ones.
    profile: &'static str,
    runs: u32,
    experiments: &'a [Bench],
}

const PROFILE: &str = if cfg!(debug_assertions) {
    "debug"
} else {
    "release"
};

/// `clustersim bench`.
pub fn bench(o: &Options) -> ExitCode {
    let files: Vec<PathBuf> = if o.files.is_empty() {
        if let Some(missing) = DEFAULT_FILES.iter().find(|f| !Path::new(f).is_file()) {
            eprintln!(
                "error: {missing}: not found. Without FILES, `clustersim bench` runs its default \
                 benchmarks ({}) relative to the current directory: run it from the \
                 repository root, or name the files",
                DEFAULT_FILES.join(", ")
            );
            return ExitCode::from(EXIT_BAD_INPUT);
        }
        DEFAULT_FILES.iter().map(PathBuf::from).collect()
    } else {
        o.files.clone()
    };
    // Every file is checked before any is measured, so bad input exits 2 before minutes of
    // runs. This also parses the built-in price catalog once (it is cached per process), so no
    // experiment's load time carries that one-off cost.
    for file in &files {
        if let Err(e) = input::load(file, None) {
            return bad_input(&e);
        }
    }
    if PROFILE == "debug" {
        eprintln!(
            "note: a debug build; figures to compare come from `cargo run --release -- bench`"
        );
    }

    let mut benches = Vec::with_capacity(files.len());
    for file in &files {
        match bench_file(file, o.runs) {
            Ok(b) => benches.push(b),
            Err(e) => return failed(&e),
        }
    }
    print!("{}", table(&benches));

    if let Some(path) = &o.json {
        let report = Report {
            profile: PROFILE,
            runs: o.runs,
            experiments: &benches,
        };
        if let Err(e) = reports::write_json(&report, path) {
            return failed(&e);
        }
    }
    let mut code = ExitCode::SUCCESS;
    for b in benches.iter().filter(|b| !b.deterministic) {
        let counts: Vec<String> = b.runs.iter().map(|m| m.events.to_string()).collect();
        eprintln!(
            "error: {}: the runs handled different numbers of events ({}): the simulation is \
             not deterministic",
            b.file,
            counts.join(", ")
        );
        code = ExitCode::from(EXIT_RUN_FAILED);
    }
    code
}

/// `runs` loads and runs of `file`, summarized.
fn bench_file(file: &Path, runs: u32) -> Result<Bench, String> {
    let mut measures = Vec::new();
    let mut first = None;
    for i in 1..=runs {
        eprintln!("bench: {} (run {i} of {runs})", file.display());
        let reset = reset_peak_memory();
        let start = Instant::now();
        let loaded = input::load(file, None).map_err(|e| e.to_string())?;
        let loaded_at = Instant::now();
        let bar = crate::progress_bar(false, loaded.plan.duration.as_secs_f64());
        let output = models::run::run(&loaded.plan, |t| bar.set_position(t.as_secs_f64() as u64))
            .map_err(|e| format!("{}: {e}", file.display()))?;
        let done = Instant::now();
        bar.finish_and_clear();
        measures.push(Measure {
            load_s: (loaded_at - start).as_secs_f64(),
            run_s: (done - loaded_at).as_secs_f64(),
            events: output.events_handled,
            peak_memory_bytes: if reset { peak_memory_bytes() } else { None },
        });
        if first.is_none() {
            first = Some(Size::of(
                &loaded.experiment.name,
                loaded.plan.duration.as_secs_f64(),
                &output,
            ));
        }
    }
    let size = first.ok_or_else(|| format!("{}: no run", file.display()))?;
    let median_of = |f: fn(&Measure) -> f64| median(measures.iter().map(f).collect());
    let load_s = median_of(|m| m.load_s);
    let run_s = median_of(|m| m.run_s);
    let events = measures[0].events;
    Ok(Bench {
        file: file.display().to_string(),
        name: size.name,
        simulated_s: size.simulated_s,
        load_s,
        run_s,
        events,
        events_per_s: events as f64 / run_s,
        sim_s_per_s: size.simulated_s / run_s,
        peak_memory_bytes: measures.iter().filter_map(|m| m.peak_memory_bytes).max(),
        peak_pods: size.peak_pods,
        peak_nodes: size.peak_nodes,
        jobs: size.jobs,
        deterministic: measures.iter().all(|m| m.events == events),
        runs: measures,
    })
}

/// What a run reached, from its output (the same every run).
struct Size {
    name: String,
    simulated_s: f64,
    peak_pods: Option<u64>,
    peak_nodes: Option<u64>,
    jobs: Option<u64>,
}

impl Size {
    fn of(name: &str, simulated_s: f64, output: &RunOutput) -> Self {
        Size {
            name: name.to_owned(),
            simulated_s,
            peak_pods: peak_per_instant(&output.timeseries, &["ready_pods", "pending_pods"]),
            peak_nodes: peak_per_instant(&output.pool_timeseries, &["nodes"]),
            jobs: output.batch.as_ref().map(|b| b.jobs),
        }
    }
}

/// The largest sum of `columns` over the rows of one sample instant (`time_s`); `None` when
/// the table has no rows or lacks one of the columns.
fn peak_per_instant(table: &Table, columns: &[&str]) -> Option<u64> {
    let u64s = |name: &str| match table.column(name)? {
        Values::U64(v) => Some(v),
        _ => None,
    };
    let times = u64s("time_s")?;
    let summed: Vec<&Vec<u64>> = columns.iter().map(|c| u64s(c)).collect::<Option<_>>()?;
    let mut per_instant = std::collections::BTreeMap::<u64, u64>::new();
    for (row, &t) in times.iter().enumerate() {
        *per_instant.entry(t).or_default() += summed.iter().map(|c| c[row]).sum::<u64>();
    }
    per_instant.into_values().max()
}

/// The median; the mean of the middle two for an even count; NaN for none.
fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => xs[n / 2],
        _ => (xs[n / 2 - 1] + xs[n / 2]) / 2.0,
    }
}

/// Resets the process's memory high-water mark to its current resident set (Linux ≥ 4.0);
/// false where that is not possible.
fn reset_peak_memory() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// `VmHWM` of `/proc/self/status`: the largest resident set since start or the last reset.
fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_hwm(&status)
}

fn parse_vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
    let kb = line.trim().strip_suffix("kB")?.trim().parse::<u64>().ok()?;
    kb.checked_mul(1024)
}

/// The stdout table: a header, one row per experiment, columns named as the JSON fields.
fn table(benches: &[Bench]) -> String {
    let header = [
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
    let count = |x: Option<u64>| x.map_or_else(|| "-".to_owned(), |n| n.to_string());
    let rows: Vec<Vec<String>> = benches
        .iter()
        .map(|b| {
            vec![
                b.name.clone(),
                b.runs.len().to_string(),
                seconds(b.load_s),
                seconds(b.run_s),
                b.events.to_string(),
                format!("{:.0}", b.events_per_s),
                format!("{:.1}", b.sim_s_per_s),
                b.peak_memory_bytes.map_or_else(
                    || "n/a".to_owned(),
                    |m| format!("{:.1}", m as f64 / (1024.0 * 1024.0)),
                ),
                count(b.peak_pods),
                count(b.peak_nodes),
                count(b.jobs),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].len())
                .chain([header[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, &w))| {
                // The name left-aligned, the figures right-aligned.
                if c == 0 {
                    format!("{cell:<w$}")
                } else {
                    format!("{cell:>w$}")
                }
            })
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out
}

/// Seconds to three significant digits (a load can take a fraction of a millisecond), whole
/// seconds from 100 s on.
fn seconds(s: f64) -> String {
    if !(s.is_finite() && s > 0.0) {
        return format!("{s}");
    }
    let decimals = (2 - s.log10().floor() as i32).clamp(0, 9) as usize;
    format!("{s:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::recorder::{Cell, Kind};

    #[test]
    fn peaks_sum_the_rows_of_each_instant() {
        let mut t = Table::new(&[
            ("time_s", Kind::U64),
            ("pool", Kind::Text),
            ("nodes", Kind::U64),
        ]);
        for (time, pool, nodes) in [(0, "a", 3), (0, "b", 4), (60, "a", 5), (60, "b", 1)] {
            t.push_row(&[Cell::U64(time), Cell::Text(pool), Cell::U64(nodes)]);
        }
        // 7 at 0 s beats 6 at 60 s, though the largest single row is at 60 s.
        assert_eq!(peak_per_instant(&t, &["nodes"]), Some(7));
        assert_eq!(peak_per_instant(&t, &["pods"]), None);
        assert_eq!(peak_per_instant(&t, &["pool"]), None);
        let empty = Table::new(&[("time_s", Kind::U64), ("nodes", Kind::U64)]);
        assert_eq!(peak_per_instant(&empty, &["nodes"]), None);
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(Vec::new()).is_nan());
    }

    #[test]
    fn seconds_keep_three_significant_digits() {
        assert_eq!(seconds(0.000448311), "0.000448");
        assert_eq!(seconds(0.0235), "0.0235");
        assert_eq!(seconds(1.0), "1.00");
        assert_eq!(seconds(14.756), "14.8");
        assert_eq!(seconds(123.4), "123");
        assert_eq!(seconds(0.0), "0");
    }

    #[test]
    fn vm_hwm_is_read_in_bytes() {
        let status = "Name:\tclustersim\nVmPeak:\t  99 kB\nVmHWM:\t    1600 kB\nVmRSS:\t 1 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(1600 * 1024));
        assert_eq!(parse_vm_hwm("VmRSS:\t 1 kB\n"), None);
        assert_eq!(parse_vm_hwm("VmHWM:\t lots\n"), None);
    }
}

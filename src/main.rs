//! The `clustersim` command line: argument parsing and wiring only. Loading and checking an
//! experiment lives in the library (`clustersim::input`), the simulation in `models`, the
//! files, charts, report and gates in `reports`.

mod bench;
mod compare;
mod explain;
mod import;
mod out_dir;
mod shell;
mod summary;
// The commands; the sweep file itself is the library's `clustersim::sweep`.
#[path = "sweep/cli.rs"]
mod sweep;

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use clustersim::input;
use indicatif::{ProgressBar, ProgressStyle};
use reports::{Gate, Metric, Summary};

/// Exit codes, documented in `--help` and the README.
const EXIT_CHECK_MISSED: u8 = 1;
const EXIT_BAD_INPUT: u8 = 2;
const EXIT_RUN_FAILED: u8 = 3;

/// The text after every command's `--help`: exit codes, the metrics a gate may name, examples.
/// Built at run time so the metric list is `reports::Metric::ALL` itself, never a stale copy.
fn after_help() -> String {
    let mut help = String::from(
        "\
Exit codes:
  0  finished, and every built-in check, target and gate passed; `report`: rendered;
     `sweep`, `sweep-merge`: a configuration passes (a shard: its runs finished)
  1  the run finished and a built-in check (dropped requests, no ready pod, pending pods,
     unschedulable pods: `checks:` relaxes them), target or gate failed; stderr and
     summary.json say which, by how much; `sweep`, `sweep-merge`: no configuration passes
  2  bad input: the experiment file, a --gate expression, or the saved outputs `report`
     reads; nothing was written
  3  the run or writing its outputs failed

Gates: --gate \"METRIC OP NUMBER\", OP one of < <= > >= == !=, METRIC one of:
",
    );
    for m in Metric::ALL {
        let _ = writeln!(help, "  {:<21}{}", m.name(), m.description());
    }
    help.push_str(
        "
Examples:
  clustersim validate experiments/quickstart.ron
  clustersim validate experiments/sweeps/spot-mix.ron
  clustersim run experiments/quickstart.ron --out out/quickstart
  clustersim run experiments/quickstart.ron --gate 'p99_latency_ms<100' --gate 'cost_usd<=5000'
  clustersim run experiments/quickstart.ron --seed 7 --quiet
  clustersim report out/quickstart
  clustersim sweep experiments/sweeps/spot-mix.ron --out out/sweep --jobs 2
  clustersim sweep-merge out/sweep out/shard-0 out/shard-1 out/shard-2
  clustersim bench experiments/quickstart.ron --runs 3 --json out/bench.json",
    );
    help
}

/// The text after `bench --help`: what it prints, its exit codes, examples.
const BENCH_AFTER_HELP: &str = "\
Prints one row per experiment on stdout: runs, load_s (read, parse, resolve; median), run_s
(the simulation; median), events (messages, queries and timers the cluster model handled),
events_per_s, sim_s_per_s (simulated seconds per wall second), peak_mem_mib (the process's
memory high-water mark during the run, the largest over runs, including what earlier runs
left allocated; n/a where /proc cannot tell), peak_pods (the services' ready + pending pods
at a sample instant; Job pods are not counted), peak_nodes, jobs (Jobs submitted). Progress
goes to stderr. No run output is written.

Exit codes:
  0  every experiment ran, every run handled the same number of events
  2  bad input: an experiment file (located, as `run` reports it), or a default benchmark
     missing because the current directory is not the repository root
  3  a run failed, runs disagreed on the number of events, or --json could not be written

Examples:
  cargo run --release -- bench
  clustersim bench experiments/quickstart.ron
  clustersim bench experiments/bench/scheduling-burst.ron --runs 3 --json out/bench.json";

/// Deterministic discrete-event simulator of Kubernetes-style clusters.
#[derive(Parser)]
#[command(version, about, after_help = after_help())]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run an experiment and write timeseries.parquet, timeseries.csv, summary.json, the charts
    /// (charts/*.png, charts/*.svg) and report.html.
    #[command(after_help = after_help())]
    Run {
        /// The experiment file (RON).
        file: PathBuf,
        /// Output directory. Default: out/<file stem>.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Overrides the experiment's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// A check on a summary figure, such as 'p99_latency_ms<100'; repeatable. A missed
        /// gate exits 1, like a missed target. Metrics and operators are listed below.
        #[arg(long = "gate", value_name = "EXPR")]
        gates: Vec<String>,
        /// No progress bar and no closing summary line (missed checks are still listed).
        #[arg(long)]
        quiet: bool,
        /// `request`: simulate every request (Poisson arrivals, exponential service) instead
        /// of rates, to check the fluid model on a small run. Default: the experiment's
        /// `fidelity` (`fluid` unless it says otherwise).
        #[arg(long, value_parser = ["fluid", "request"])]
        fidelity: Option<String>,
    },
    /// Check an experiment or sweep file without running it: every field, cross-reference
    /// and limit `run` checks, pods that can never be scheduled (exit 2), and warnings with the
    /// figures where peak replicas cannot all fit. A sweep file: the sweep and every run it
    /// generates.
    #[command(after_help = after_help())]
    Validate {
        /// The experiment or sweep file (RON).
        file: PathBuf,
    },
    /// Run every configuration of a sweep file (a base experiment and the fields it varies),
    /// in parallel; write runs/<id>/summary.json per run, sweep.parquet and sweep.csv (one row
    /// per run), and sweep.html naming the cheapest configuration that meets every target.
    /// Rerunning the same command runs only the runs not yet finished. Exit 0: finished and a
    /// configuration meets every target (a shard: its runs finished); 1: none does.
    #[command(after_help = after_help())]
    Sweep {
        /// The sweep file (RON).
        file: PathBuf,
        /// Output directory. Default: out/<file stem>.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Runs at a time, each a single-threaded simulation. Default: the number of CPUs.
        /// At most the number of runs and 256 (a note on stderr says when it was lowered).
        #[arg(long)]
        jobs: Option<usize>,
        /// Run only shard I of N (the runs whose index % N == I), such as 0/3. Without it the
        /// shard comes from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, or from
        /// JOB_COMPLETION_INDEX with --shards or CLUSTERSIM_SHARDS; else the whole sweep.
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
        /// The number of shards of a Kubernetes Indexed Job (its `completions`), with
        /// JOB_COMPLETION_INDEX as the shard index.
        #[arg(long, value_name = "N")]
        shards: Option<u64>,
        /// Keep every run's tables (runs/<id>/*.parquet, *.csv), not only its summary.json.
        #[arg(long)]
        keep_outputs: bool,
        /// No progress bar and no status lines (errors are still printed).
        #[arg(long)]
        quiet: bool,
    },
    /// Merge the output folders of a sweep's shards into OUT: the sweep.parquet, sweep.csv
    /// and sweep.html a single-machine sweep writes.
    #[command(after_help = after_help())]
    SweepMerge {
        /// Where the merged table and report go (may be one of the DIRs).
        out: PathBuf,
        /// The shards' --out folders.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
    },
    /// Measure how fast experiments simulate: load and run wall time, events handled and per
    /// second, simulated seconds per second, peak memory, peak pods and nodes. Without FILES:
    /// experiments/black-friday.ron, experiments/bench/batch-100k.ron and
    /// experiments/bench/scheduling-burst.ron, from the repository root. Writes no run output.
    #[command(after_help = BENCH_AFTER_HELP)]
    Bench {
        /// Experiment files (RON). Default: the three benchmarks above.
        files: Vec<PathBuf>,
        /// Runs per experiment: the median wall times and the largest peak memory are
        /// reported, and every run must handle the same number of events.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        runs: u32,
        /// Also write the figures, each run's too, as JSON to this file.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
    },
    /// Put two or more runs side by side (the --out folders of `run`, or a sweep's runs/<id>/):
    /// verdicts and every check, key figures with their differences from the first run, the
    /// services each has, the first instant each diverges from the first, and overlaid charts.
    /// Writes compare.html, compare.json, figures.csv and checks.csv (and Parquet) into OUT.
    #[command(after_help = compare::AFTER_HELP)]
    Compare {
        /// The runs' output folders, at least two; the first is the one the others are
        /// compared against.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output directory. Default: out/compare.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Explain what the controllers had decided at an instant of a finished run, and why,
    /// from its saved tables (no re-run).
    #[command(after_help = explain::AFTER_HELP)]
    Explain {
        /// The output directory of `clustersim run`.
        dir: PathBuf,
        /// When: HH:MM[:SS] since the start, a duration ("90m") or a UTC instant.
        #[arg(long)]
        at: String,
        /// Only this service's objects (and the node-level events).
        #[arg(long)]
        service: Option<String>,
        /// Only objects in this region.
        #[arg(long)]
        region: Option<String>,
        /// Only the node autoscalers' decisions about this node group or pool.
        #[arg(long)]
        pool: Option<String>,
        /// Events this close to the instant, before or after. Default: 2m.
        #[arg(long, default_value = "2m")]
        window: String,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Write an experiment from Kubernetes manifests (Deployment, StatefulSet, ReplicaSet,
    /// HorizontalPodAutoscaler v2, VerticalPodAutoscaler, PodDisruptionBudget, ResourceQuota,
    /// Namespace, PriorityClass, Job, CronJob, KEDA ScaledObject, Kueue queues, Karpenter
    /// NodePool, the Cluster Autoscaler's Deployment): multi-document YAML, `kind: List`, Helm output. What the manifests cannot
    /// tell (traffic, capacity per pod, regions and node pools) is marked TODO and refused by
    /// `validate` until filled in. Other kinds and ignored fields are warned about on stderr.
    #[command(after_help = import::AFTER_HELP)]
    Import {
        /// Manifest files, or directories read recursively (.yaml, .yml) in sorted order.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Write the experiment here (atomically) instead of on stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// The experiment's name. Default: the first path's file stem.
        #[arg(long)]
        name: Option<String>,
        /// The cluster's region: names it (and its node autoscaler's) in the experiment
        /// instead of a TODO, e.g. `--region us-east1`.
        #[arg(long, value_name = "REGION")]
        region: Option<String>,
    },
    /// Print the shell completion script on stdout, e.g.
    /// `clustersim completions bash > ~/.local/share/bash-completion/completions/clustersim`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on stdout, e.g. `clustersim man | man -l -`.
    Man,
    /// Render the charts and report.html of a finished run again from its timeseries.parquet,
    /// pools.parquet, events.parquet and summary.json, without re-running it.
    #[command(after_help = after_help())]
    Report {
        /// The output directory of `clustersim run`.
        dir: PathBuf,
    },
}

/// mimalloc instead of the system allocator: see `Cargo.toml`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Validate { file } => validate(&file),
        Command::Run {
            file,
            out,
            seed,
            gates,
            quiet,
            fidelity,
        } => run(&file, out, seed, &gates, quiet, fidelity.as_deref()),
        Command::Report { dir } => report(&dir),
        Command::Sweep {
            file,
            out,
            jobs,
            shard,
            shards,
            keep_outputs,
            quiet,
        } => {
            let out = out.unwrap_or_else(|| default_out(&file));
            sweep::sweep(&sweep::Options {
                file,
                out,
                jobs,
                shard,
                shards,
                keep_outputs,
                quiet,
            })
        }
        Command::SweepMerge { out, dirs } => sweep::merge(&out, &dirs),
        Command::Bench { files, runs, json } => bench::bench(&bench::Options { files, runs, json }),
        Command::Compare { dirs, out } => compare::compare(
            &dirs,
            &out.unwrap_or_else(|| Path::new("out").join("compare")),
        ),
        Command::Explain {
            dir,
            at,
            service,
            region,
            pool,
            window,
            json,
        } => match sim::time::SimDuration::parse(&window) {
            Ok(window) => explain::explain(
                &dir,
                &explain::Query {
                    at: &at,
                    service: service.as_deref(),
                    region: region.as_deref(),
                    pool: pool.as_deref(),
                    window,
                    json,
                },
            ),
            Err(e) => bad_input(&format!("--window \"{window}\": {e}")),
        },
        Command::Import {
            paths,
            out,
            name,
            region,
        } => import::command(&paths, out.as_deref(), name, region.as_deref()),
        Command::Completions { shell } => shell::completions(Cli::command(), shell),
        Command::Man => shell::man(Cli::command()),
    }
}

/// `clustersim validate`: an experiment or a sweep file (told apart by its root, `Sweep(…)`)
/// checked as `run` or `sweep` would check it, and its warnings printed (what can never run,
/// what cannot all fit).
fn validate(file: &Path) -> ExitCode {
    let src = match input::read_text(file) {
        Ok(s) => s,
        Err(e) => return bad_input(&e),
    };
    if clustersim::sweep::is_sweep(&src) {
        return sweep::validate(file);
    }
    match input::load(file, None) {
        Ok(loaded) => {
            // The same warnings `run` prints before it starts: pods and Jobs that can never
            // run (a trace's Jobs larger than every node), then the capacity figures.
            let unschedulable = loaded.plan.unschedulable();
            let capacity = input::warnings(&loaded.plan);
            for w in unschedulable.iter().map(|u| &u.message).chain(&capacity) {
                eprintln!("warning: {w}");
            }
            println!("{}: ok", file.display());
            ExitCode::SUCCESS
        }
        Err(e) => bad_input(&e),
    }
}

fn bad_input(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(EXIT_BAD_INPUT)
}

fn failed(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(EXIT_RUN_FAILED)
}

/// Every `--gate`, parsed; the first malformed one as a message naming it and the column.
fn parse_gates(exprs: &[String]) -> Result<Vec<Gate>, String> {
    exprs
        .iter()
        .map(|e| reports::parse_gate(e).map_err(|err| format!("--gate \"{e}\": {err}")))
        .collect()
}

fn run(
    file: &Path,
    out: Option<PathBuf>,
    seed: Option<u64>,
    gates: &[String],
    quiet: bool,
    fidelity: Option<&str>,
) -> ExitCode {
    let gates = match parse_gates(gates) {
        Ok(g) => g,
        Err(e) => return bad_input(&e),
    };
    let mut loaded = match input::load(file, seed) {
        Ok(l) => l,
        Err(e) => return bad_input(&e),
    };
    match fidelity {
        Some("request") => {
            loaded.plan.fidelity = models::latency::Fidelity::Request;
            if let Err(e) = input::budget::check_requests(&loaded.plan) {
                return bad_input(&format!("--fidelity request: {}", e.message));
            }
        }
        Some(_) => loaded.plan.fidelity = models::latency::Fidelity::Fluid,
        None => {}
    }
    let x = &loaded.experiment;
    // Known before the run: without a latency target there is no attainment to judge.
    if x.targets.p99_latency.is_none()
        && let Some(g) = gates.iter().find(|g| g.metric == Metric::SloAttainment)
    {
        return bad_input(&format!(
            "--gate \"{}\": slo_attainment is the share of requests served within \
             targets.p99_latency, which {} does not set",
            g.expression,
            file.display()
        ));
    }
    let seed = x.seed;
    let out = out.unwrap_or_else(|| default_out(file));

    let unschedulable = loaded.plan.unschedulable();
    if !quiet {
        // The capacity warnings are said before the run, not recorded in summary.json (the
        // unschedulable pods are, and fail the run's `unschedulable` check).
        let capacity = input::warnings(&loaded.plan);
        for w in unschedulable.iter().map(|u| &u.message).chain(&capacity) {
            eprintln!("warning: {w}");
        }
    }
    // One run at a time into `out`: taken before the run, so an overlapping attempt is told
    // at once, and held until the files are in place.
    let _lock = match lock_run_out(&out) {
        Ok(l) => l,
        Err(e) => return bad_input(&e),
    };
    let bar = progress_bar(quiet, loaded.plan.duration.as_secs_f64());
    let result = models::run::run(&loaded.plan, |t| bar.set_position(t.as_secs_f64() as u64));
    bar.finish_and_clear();
    let output = match result {
        Ok(o) => o,
        Err(e) => return failed(&e),
    };

    let summary = summary::summarize(x, seed, &output, &gates, &unschedulable);
    // Every file is written into a temporary folder beside `out` and published together, so a
    // full disk or a crash leaves `out` as it was, never a lone table.
    let temp = out_dir::temp_beside(&out);
    let written = std::fs::create_dir_all(&temp)
        .map_err(|e| format!("cannot create {}: {e}", temp.display()))
        .and_then(|()| write_tables(&temp, &output))
        .and_then(|()| {
            reports::write_json(&summary, &temp.join("summary.json")).map_err(|e| e.to_string())
        })
        .and_then(|()| {
            let tables = reports::Tables {
                timeseries: &output.timeseries,
                pools: Some(&output.pool_timeseries),
                events: Some(&output.events),
                vpa: output.vpa_timeseries.as_ref(),
                queues: output.queue_timeseries.as_ref(),
            };
            reports::write_report(&temp, tables, &summary).map_err(|e| e.to_string())
        })
        .and_then(|()| out_dir::publish(&temp, &out));
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&temp);
        return failed(&e);
    }

    report_missed(&summary);
    if !quiet {
        let verdict = reports::verdict(summary.pass);
        eprintln!(
            "{}: {verdict}; ${:.2}; report in {}",
            x.name,
            summary.cost_usd,
            out.join("report.html").display()
        );
    }
    if summary.pass {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_CHECK_MISSED)
    }
}

/// The lock of `run`'s (or `sweep-merge`'s) output folder, its parent folder created first.
fn lock_run_out(out: &Path) -> Result<out_dir::Lock, String> {
    let lock = out_dir::run_lock_path(out);
    if let Some(parent) = lock.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    out_dir::Lock::acquire(&lock)
}

/// `out/<file stem>`, the default output folder of `run` and `sweep`.
fn default_out(file: &Path) -> PathBuf {
    let stem = file.file_stem().unwrap_or(file.as_os_str());
    Path::new("out").join(stem)
}

/// The run's tables as Parquet and CSV in `out`, which must exist: five, `vpa` when the run
/// has VPAs, `queues` when it has Kueue queues and `forecast` when it has predictive policies.
fn write_tables(out: &Path, output: &models::run::RunOutput) -> Result<(), String> {
    [
        (Some(&output.timeseries), "timeseries"),
        (Some(&output.pool_timeseries), "pools"),
        (Some(&output.namespace_timeseries), "namespaces"),
        (output.vpa_timeseries.as_ref(), "vpa"),
        (output.queue_timeseries.as_ref(), "queues"),
        (output.forecast.as_ref(), "forecast"),
        (Some(&output.events), "events"),
        (Some(&output.decisions), "decisions"),
    ]
    .into_iter()
    .filter_map(|(table, stem)| Some((table?, stem)))
    .try_for_each(|(table, stem)| reports::write_table(table, out, stem))
    .map_err(|e| e.to_string())
}

/// One stderr line per failed health check, target or gate (`reports::check_line`: verdict,
/// figure with its unit, margin, what it judged): the reason for exit code 1, so it is printed even
/// with `--quiet`.
fn report_missed(summary: &Summary) {
    let checks = summary
        .checks
        .iter()
        .chain(&summary.targets)
        .chain(&summary.gates);
    for c in checks.filter(|c| !c.pass) {
        eprintln!("{}", reports::check_line(c));
    }
}

/// `clustersim report DIR`: the saved outputs in, the charts and `report.html` out.
fn report(dir: &Path) -> ExitCode {
    let table = match reports::read_table(&dir.join("timeseries.parquet")) {
        Ok(t) => t,
        Err(e) => return bad_input(&e),
    };
    let summary = match reports::read_summary(&dir.join("summary.json")) {
        Ok(s) => s,
        Err(e) => return bad_input(&e),
    };
    // The pools and events tables are newer than the time series: a folder without them gets
    // a report without the charts they feed.
    let optional = |stem: &str| {
        let path = dir.join(format!("{stem}.parquet"));
        if path.exists() {
            reports::read_table(&path).map(Some)
        } else {
            Ok(None)
        }
    };
    let (pools, events, vpa, queues) = match (
        optional("pools"),
        optional("events"),
        optional("vpa"),
        optional("queues"),
    ) {
        (Ok(p), Ok(e), Ok(v), Ok(q)) => (p, e, v, q),
        (Err(e), _, _, _) | (_, Err(e), _, _) | (_, _, Err(e), _) | (_, _, _, Err(e)) => {
            return bad_input(&e);
        }
    };
    let tables = reports::Tables {
        timeseries: &table,
        pools: pools.as_ref(),
        events: events.as_ref(),
        vpa: vpa.as_ref(),
        queues: queues.as_ref(),
    };
    match reports::write_report(dir, tables, &summary) {
        Ok(()) => {
            eprintln!("report in {}", dir.join("report.html").display());
            ExitCode::SUCCESS
        }
        // A time series without the charted columns was not written by this clustersim.
        Err(e @ reports::ReportError::MissingColumn { .. }) => bad_input(&e),
        Err(e) => failed(&e),
    }
}

/// A bar over simulated seconds on stderr, only when stderr is a terminal and not `--quiet`.
fn progress_bar(quiet: bool, simulated_s: f64) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(simulated_s as u64);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {percent}% of simulated time, ETA {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}

//! The `clustersim` command line: argument parsing and wiring only. Loading and checking an
//! experiment lives in `experiment`, the simulation in `models`, the files in `reports`.

mod error;
mod experiment;
mod locate;
mod summary;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

/// Exit codes, documented in `--help` and the README.
const EXIT_TARGET_MISSED: u8 = 1;
const EXIT_BAD_INPUT: u8 = 2;
const EXIT_RUN_FAILED: u8 = 3;

const AFTER_HELP: &str = "\
Exit codes:
  0  the run finished and every target passed (or none is set)
  1  the run finished and a target was missed (see summary.json)
  2  bad input: the experiment file or the command line; nothing was written
  3  the run or writing its outputs failed

Examples:
  clustersim validate experiments/quickstart.ron
  clustersim run experiments/quickstart.ron --out out/quickstart
  clustersim run experiments/quickstart.ron --seed 7 --quiet";

/// Deterministic discrete-event simulator of Kubernetes-style clusters.
#[derive(Parser)]
#[command(version, about, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run an experiment and write timeseries.parquet, timeseries.csv and summary.json.
    #[command(after_help = AFTER_HELP)]
    Run {
        /// The experiment file (RON).
        file: PathBuf,
        /// Output directory. Default: out/<file stem>.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Overrides the experiment's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// No progress bar and no closing summary line.
        #[arg(long)]
        quiet: bool,
    },
    /// Check an experiment file without running it.
    #[command(after_help = AFTER_HELP)]
    Validate {
        /// The experiment file (RON).
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Validate { file } => match experiment::load(&file) {
            Ok(_) => {
                println!("{}: ok", file.display());
                ExitCode::SUCCESS
            }
            Err(e) => bad_input(&e),
        },
        Command::Run {
            file,
            out,
            seed,
            quiet,
        } => run(&file, out, seed, quiet),
    }
}

fn bad_input(e: &error::InputError) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(EXIT_BAD_INPUT)
}

fn run(file: &Path, out: Option<PathBuf>, seed: Option<u64>, quiet: bool) -> ExitCode {
    let loaded = match experiment::load(file) {
        Ok(l) => l,
        Err(e) => return bad_input(&e),
    };
    let x = &loaded.experiment;
    let seed = seed.unwrap_or(x.seed);
    let out = out.unwrap_or_else(|| {
        let stem = file.file_stem().unwrap_or(file.as_os_str());
        Path::new("out").join(stem)
    });

    let bar = progress_bar(quiet, loaded.plan.duration.as_secs_f64());
    let result = models::run::run(&loaded.plan, |t| bar.set_position(t.as_secs_f64() as u64));
    bar.finish_and_clear();
    let output = match result {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_RUN_FAILED);
        }
    };

    let summary = summary::summarize(x, seed, &output);
    let written = std::fs::create_dir_all(&out)
        .map_err(|e| format!("cannot create {}: {e}", out.display()))
        .and_then(|()| {
            reports::write_table(&output.timeseries, &out, "timeseries").map_err(|e| e.to_string())
        })
        .and_then(|()| {
            reports::write_json(&summary, &out.join("summary.json")).map_err(|e| e.to_string())
        });
    if let Err(e) = written {
        eprintln!("error: {e}");
        return ExitCode::from(EXIT_RUN_FAILED);
    }

    if !quiet {
        let verdict = if summary.pass { "pass" } else { "FAIL" };
        eprintln!(
            "{}: {verdict}; ${:.2}; outputs in {}",
            x.name,
            summary.cost_usd,
            out.display()
        );
    }
    if summary.pass {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_TARGET_MISSED)
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

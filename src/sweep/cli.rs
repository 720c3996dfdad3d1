//! `clustersim sweep` and `clustersim sweep-merge`: many runs of one base experiment with some
//! fields varied, in parallel, resumable, and split across machines by a batch engine.
//!
//! One run is one single-threaded simulation, exactly as `clustersim run` does it; parallelism
//! is only across runs (a rayon pool of `--jobs` threads) and across machines (shards). The
//! sweep table is built from the finished runs' `summary.json` files read back from disk, in
//! run index order, so it is the same bytes whichever thread, process, attempt or shard ran
//! each run.
//!
//! Layout: reading the sweep file and expanding it into runs is the library's
//! (`clustersim::sweep`: `spec`, `plan`, `patch`), so fuzz targets and tests reach it; this
//! module, the binary's, is the commands around it: `shard` (which runs this process takes)
//! and `store` (the output folder).

mod shard;
mod store;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::{EXIT_CHECK_MISSED, bad_input, failed};
use clustersim::sweep::plan::{self, Plan};
use clustersim::sweep::spec;
use shard::Shard;
use store::Manifest;

/// What `clustersim sweep` was asked.
pub struct Options {
    pub file: PathBuf,
    pub out: PathBuf,
    /// `--jobs`; `None`: the number of CPUs.
    pub jobs: Option<usize>,
    pub shard: Option<String>,
    pub shards: Option<u64>,
    pub keep_outputs: bool,
    pub quiet: bool,
}

/// `clustersim validate` of a sweep file: the sweep itself, its base, and every run it
/// generates, loaded as `sweep` would load them, without running any. The capacity warnings of
/// each configuration go to stderr, each once.
pub fn validate(file: &Path) -> ExitCode {
    let plan = match spec::load(file).and_then(|(s, src)| plan::expand(file, &src, &s)) {
        Ok(p) => p,
        Err(e) => return bad_input(&e),
    };
    let mut warned = std::collections::BTreeSet::new();
    for i in plan.configuration_firsts() {
        match plan.load(i) {
            Ok(loaded) => {
                for w in clustersim::input::warnings(&loaded.plan) {
                    if warned.insert(w.clone()) {
                        eprintln!(
                            "warning: {w} (in run {}: {})",
                            plan.runs[i].id,
                            plan.describe(i)
                        );
                    }
                }
            }
            Err(e) => return bad_input(&e),
        }
    }
    println!("{}: ok, {} runs", file.display(), plan.runs.len());
    ExitCode::SUCCESS
}

/// `clustersim sweep`.
pub fn sweep(o: &Options) -> ExitCode {
    let plan = match spec::load(&o.file).and_then(|(s, src)| plan::expand(&o.file, &src, &s)) {
        Ok(p) => p,
        Err(e) => return bad_input(&e),
    };
    let shard = match shard::detect(o.shard.as_deref(), o.shards, |k| std::env::var(k).ok()) {
        Ok(s) => s,
        Err(e) => return bad_input(&e),
    };
    let jobs = threads(o.jobs, plan.runs.len());
    if let Some(asked) = o.jobs
        && asked != jobs
        && !o.quiet
    {
        eprintln!(
            "note: --jobs {asked} lowered to {jobs} (at most the {} runs of the sweep and {MAX_JOBS})",
            plan.runs.len()
        );
    }
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(jobs).build() {
        Ok(p) => p,
        Err(e) => return failed(&format!("cannot start {jobs} threads: {e}")),
    };
    // Every run is checked before any starts, so bad input exits 2 having written nothing;
    // in parallel, as loading is a good part of a short run's cost. The first bad run in run
    // order is reported, whatever the threads.
    let firsts: Vec<usize> = plan.configuration_firsts().collect();
    if let Some(e) = pool.install(|| firsts.par_iter().find_map_first(|&i| plan.load(i).err())) {
        return bad_input(&e);
    }
    let manifest = Manifest::of(&plan);
    let runs_dir = store::runs_dir(&o.out);
    if let Err(e) = std::fs::create_dir_all(&runs_dir) {
        return failed(&format!("cannot create {}: {e}", runs_dir.display()));
    }
    // One attempt per shard at a time: a retried pod while the first still runs is told so,
    // instead of removing the first's live temporary folders (shards share a folder freely).
    let _lock = match crate::out_dir::Lock::acquire(&store::lock_path(&o.out, shard)) {
        Ok(l) => l,
        Err(e) => return bad_input(&e),
    };
    if let Err(e) = store::check_no_overlap(&o.out, shard) {
        return bad_input(&e);
    }
    if let Err(e) = store::claim(&o.out, &manifest) {
        return failed(&e);
    }

    let mine: Vec<usize> = (0..plan.runs.len())
        .filter(|&i| shard.takes(plan.runs[i].index))
        .collect();
    let mut ids: Vec<&str> = mine.iter().map(|&i| plan.runs[i].id.as_str()).collect();
    ids.sort_unstable();
    if let Err(e) = store::remove_stale(&o.out, &ids) {
        return failed(&e);
    }
    let pending: Vec<usize> = mine
        .iter()
        .copied()
        .filter(|&i| !store::is_done(&o.out, &plan.runs[i].id))
        .collect();
    let shard_note = if shard == Shard::WHOLE {
        String::new()
    } else {
        format!(" (shard {shard}: {} of {})", mine.len(), plan.runs.len())
    };
    if !o.quiet {
        eprintln!(
            "sweep {}: {} runs{shard_note}, {} already done, {} to run on {} threads",
            plan.name,
            mine.len(),
            mine.len() - pending.len(),
            pending.len(),
            jobs
        );
    }

    let bar = progress_bar(o.quiet, pending.len() as u64);
    let ran = AtomicUsize::new(0);
    let errors: Vec<String> = pool.install(|| {
        pending
            .par_iter()
            .filter_map(|&i| {
                let result = execute(&plan, i, &o.out, o.keep_outputs);
                bar.inc(1);
                ran.fetch_add(1, Ordering::Relaxed);
                result.err()
            })
            .collect()
    });
    bar.finish_and_clear();
    if !errors.is_empty() {
        for e in &errors {
            eprintln!("error: {e}");
        }
        return failed(&format!(
            "{} of {} runs failed; the others are kept, and the same command runs only the missing ones",
            errors.len(),
            pending.len()
        ));
    }
    if !o.quiet {
        eprintln!("sweep {}: ran {} runs", plan.name, ran.into_inner());
    }

    let dirs = [o.out.clone()];
    if shard == Shard::WHOLE {
        match gather(&manifest, &dirs) {
            Ok(sweep) => finish(&sweep, &o.out, o.quiet),
            Err(e) => bad_input(&e),
        }
    } else {
        let stem = format!("sweep-shard-{}-of-{}", shard.index, shard.count);
        match store::collect(&manifest, &dirs, |r| shard.takes(r.index)).and_then(|(s, _)| {
            reports::sweep::write_table(&s, &o.out, &stem).map_err(|e| e.to_string())
        }) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => failed(&e),
        }
    }
}

/// Threads a sweep may start, at most: more than the cores of any machine a sweep runs on,
/// and few enough that starting them takes milliseconds (a million took 30 s, issue 24).
pub const MAX_JOBS: usize = 256;

/// The threads of a sweep of `runs` runs asked for `asked` (`None`: the number of CPUs): at
/// least 1, at most the runs (a thread without a run only costs its start) and [`MAX_JOBS`].
fn threads(asked: Option<usize>, runs: usize) -> usize {
    asked
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, runs.clamp(1, MAX_JOBS))
}

/// `clustersim sweep-merge OUT DIR…`: the whole sweep's table and report from shard folders.
pub fn merge(out: &Path, dirs: &[PathBuf]) -> ExitCode {
    // One merge into OUT at a time, its lock beside OUT as `run`'s is (removed on return).
    let _lock = match crate::lock_run_out(out) {
        Ok(l) => l,
        Err(e) => return bad_input(&e),
    };
    let mut manifest: Option<Manifest> = None;
    for d in dirs {
        let m = match store::read_manifest(d) {
            Ok(m) => m,
            Err(e) => return bad_input(&e),
        };
        if let Some(first) = &manifest
            && *first != m
        {
            return bad_input(&format!(
                "{} and {} hold different sweeps: expected the shards of one sweep",
                dirs[0].display(),
                d.display()
            ));
        }
        manifest = Some(m);
    }
    let Some(manifest) = manifest else {
        return bad_input(&"expected at least one sweep folder to merge");
    };
    // Everything is read and checked before OUT is created: a missing shard or a corrupt run
    // summary leaves no OUT behind (and exits 2, as `report` does on a corrupt summary).
    let sweep = match gather(&manifest, dirs) {
        Ok(s) => s,
        Err(e) => return bad_input(&e),
    };
    if let Err(e) = store::check_claim(out, &manifest) {
        return bad_input(&e);
    }
    if let Err(e) = std::fs::create_dir_all(out)
        .map_err(|e| format!("cannot create {}: {e}", out.display()))
        .and_then(|()| store::claim(out, &manifest))
    {
        return failed(&e);
    }
    finish(&sweep, out, false)
}

/// The whole sweep from the finished runs in `dirs`: an error when a summary cannot be read or
/// a run is finished in none of them.
fn gather(manifest: &Manifest, dirs: &[PathBuf]) -> Result<reports::sweep::Sweep, String> {
    let (sweep, missing) = store::collect(manifest, dirs, |_| true)?;
    if let Some(first) = missing.first() {
        return Err(format!(
            "{} of {} runs are finished in none of the folders (the first: {first}): run the \
             missing shards, or the sweep again, first",
            missing.len(),
            manifest.runs.len()
        ));
    }
    Ok(sweep)
}

/// Writes the whole sweep's table and report into `out`, and names the answer; exit 1 when no
/// configuration meets every target (as `run` exits 1 on a missed target).
fn finish(sweep: &reports::sweep::Sweep, out: &Path, quiet: bool) -> ExitCode {
    if let Err(e) = reports::sweep::write_table(sweep, out, "sweep")
        .and_then(|()| reports::sweep::write_report(out, sweep))
    {
        return failed(&e);
    }
    let configs = reports::sweep::configurations(sweep);
    let answer = reports::sweep::cheapest_passing(&configs);
    if !quiet {
        match answer {
            Some(c) => {
                let params: Vec<String> = sweep
                    .parameters
                    .iter()
                    .zip(&c.parameters)
                    .map(|(p, v)| format!("{p} = {}", v.display()))
                    .collect();
                eprintln!(
                    "cheapest configuration meeting every target: {} (mean ${:.2} over {} seeds)",
                    params.join(", "),
                    c.cost_usd,
                    c.runs
                );
            }
            None => eprintln!("no configuration meets every target (of {})", configs.len()),
        }
        eprintln!("report in {}", out.join("sweep.html").display());
    }
    if answer.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_CHECK_MISSED)
    }
}

/// Runs run `i` and moves its folder into place.
fn execute(plan: &Plan, i: usize, out: &Path, keep_outputs: bool) -> Result<(), String> {
    let run = &plan.runs[i];
    let context = |e: &dyn std::fmt::Display| format!("run {} ({}): {e}", run.id, plan.describe(i));
    let loaded = plan.load(i).map_err(|e| context(&e))?;
    let unschedulable = loaded.plan.unschedulable();
    let output = models::run::run(&loaded.plan, |_| {}).map_err(|e| context(&e))?;
    let summary =
        crate::summary::summarize(&loaded.experiment, run.seed, &output, &[], &unschedulable);
    let temp = store::temp_dir(out, &run.id);
    let done = store::runs_dir(out).join(&run.id);
    std::fs::create_dir_all(&temp)
        .map_err(|e| context(&format!("cannot create {}: {e}", temp.display())))?;
    let written = reports::write_json(&summary, &temp.join("summary.json"))
        .map_err(|e| e.to_string())
        .and_then(|()| {
            if keep_outputs {
                crate::write_tables(&temp, &output)
            } else {
                Ok(())
            }
        })
        .and_then(|()| {
            std::fs::rename(&temp, &done).or_else(|e| {
                // Another process finished the same run first (two attempts at one shard):
                // its folder is as good as ours.
                if store::is_done(out, &run.id) {
                    std::fs::remove_dir_all(&temp).map_err(|e| e.to_string())
                } else {
                    Err(format!(
                        "cannot rename {} to {}: {e}",
                        temp.display(),
                        done.display()
                    ))
                }
            })
        });
    written.map_err(|e| {
        let _ = std::fs::remove_dir_all(&temp);
        context(&e)
    })
}

/// Runs done out of runs to do, with an ETA, on stderr when it is a terminal and not `--quiet`.
fn progress_bar(quiet: bool, runs: u64) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(runs);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} runs, ETA {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_are_capped_at_the_runs_and_the_maximum() {
        assert_eq!(threads(Some(1_000_000), 10), 10);
        assert_eq!(threads(Some(1_000_000), 100_000), MAX_JOBS);
        assert_eq!(threads(Some(3), 10), 3);
        assert_eq!(threads(Some(0), 10), 1);
        assert_eq!(threads(Some(4), 0), 1);
        assert!(threads(None, 2) <= 2);
    }
}

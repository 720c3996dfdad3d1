//! Sweep files, as a library: reading one (`spec`), expanding it against its base experiment
//! into every run it stands for, each loaded and checked as `clustersim run` would (`plan`),
//! and setting a field in the base's text (`patch`).
//!
//! Here rather than in the binary so that fuzz targets (`tests/fuzz`) and property tests reach
//! the same code `clustersim sweep` and `clustersim validate` run. Running the runs, shards and
//! the output folder are the binary's (`src/sweep/cli.rs`).

mod patch;
pub mod plan;
pub mod spec;

/// Whether `src` is a sweep file: its root value is `Sweep(…)` (after whitespace and
/// comments), where an experiment's is `Experiment(…)` or an anonymous struct.
pub fn is_sweep(src: &str) -> bool {
    let mut rest = src;
    loop {
        let trimmed = rest.trim_start();
        if let Some(after) = trimmed.strip_prefix("//") {
            rest = after.split_once('\n').map_or("", |(_, next)| next);
        } else if let Some(after) = trimmed.strip_prefix("/*") {
            rest = after.split_once("*/").map_or("", |(_, next)| next);
        } else {
            return trimmed
                .strip_prefix("Sweep")
                .is_some_and(|after| after.trim_start().starts_with('('));
        }
    }
}

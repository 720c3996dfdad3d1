//! `clustersim compare DIR DIR…`: reads each run's output folder (or a sweep's
//! `runs/<id>/`), hands the runs to `reports::compare`, which writes the page and tables, and
//! prints the key figures side by side. Thin on purpose: the comparison lives in `reports`.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use reports::compare::{ComparedRun, write_compare};

use crate::{bad_input, failed, out_dir};

/// The text after `compare --help`.
pub const AFTER_HELP: &str = "\
Each DIR is the --out folder of `clustersim run` or a sweep's runs/<id>/ folder; it must hold
summary.json. With timeseries.parquet (and events.parquet) the comparison also finds the first
instant at which each run diverges from the first and overlays the runs' charts; a folder with
only summary.json (a sweep run without --keep-outputs) is compared on its figures and checks.
Runs are labelled by their folder name (with the parent folder where two names are alike).
Writes OUT/compare.html, compare.json, figures.csv, checks.csv (and .parquet) and charts/*.svg,
and prints the key figures side by side.

Exit codes:
  0  compared (whatever the runs' verdicts: compare is not a gate)
  2  bad input: fewer than two folders, or a folder without a readable summary.json (or with
     unreadable tables); nothing was written
  3  writing the outputs failed

Examples:
  clustersim run experiments/quickstart.ron --out out/a --quiet
  clustersim run experiments/quickstart.ron --out out/b --seed 7 --quiet
  clustersim compare out/a out/b
  clustersim compare out/fc-cluster-autoscaler out/fc-karpenter --out out/fc-compare
  clustersim compare out/sweep/runs/00000-* out/sweep/runs/00001-*";

/// Compares the runs in `dirs` (the first is the reference) into `out`.
pub fn compare(dirs: &[PathBuf], out: &Path) -> ExitCode {
    if dirs.len() < 2 {
        let given = dirs
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        return bad_input(&format!(
            "compare needs at least two run folders, got only {given}"
        ));
    }
    let labels = labels(dirs);
    let mut runs = Vec::with_capacity(dirs.len());
    for (dir, label) in dirs.iter().zip(labels) {
        match read_run(dir, label) {
            Ok(run) => runs.push(run),
            Err(e) => return bad_input(&e),
        }
    }
    // Written into a temporary folder beside `out` and published together, as `run` does.
    let temp = out_dir::temp_beside(out);
    let written = std::fs::create_dir_all(&temp)
        .map_err(|e| format!("cannot create {}: {e}", temp.display()))
        .and_then(|()| write_compare(&temp, &runs).map_err(|e| e.to_string()))
        .and_then(|comparison| out_dir::publish(&temp, out).map(|()| comparison));
    match written {
        Ok(comparison) => {
            print!("{}", comparison.text());
            eprintln!("comparison in {}", out.join("compare.html").display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&temp);
            failed(&e)
        }
    }
}

/// One run's folder: its summary (required) and its time series and events (when present).
fn read_run(dir: &Path, label: String) -> Result<ComparedRun, String> {
    let summary_path = dir.join("summary.json");
    if !summary_path.is_file() {
        return Err(format!(
            "{} has no summary.json: give the --out folder of `clustersim run` or a sweep's \
             runs/<id>/ folder",
            dir.display()
        ));
    }
    let summary = reports::read_summary(&summary_path).map_err(|e| e.to_string())?;
    let optional = |stem: &str| {
        let path = dir.join(format!("{stem}.parquet"));
        if path.exists() {
            reports::read_table(&path)
                .map(Some)
                .map_err(|e| e.to_string())
        } else {
            Ok(None)
        }
    };
    Ok(ComparedRun {
        label,
        summary,
        timeseries: optional("timeseries")?,
        events: optional("events")?,
    })
}

/// Each folder's name, with as many parent folders as it takes to tell alike names apart
/// (`a/quickstart`, `b/quickstart`); a folder given twice gets `#2`, `#3` after its label.
fn labels(dirs: &[PathBuf]) -> Vec<String> {
    let parts: Vec<Vec<String>> = dirs
        .iter()
        .map(|d| {
            let full = std::fs::canonicalize(d).unwrap_or_else(|_| d.clone());
            full.components()
                .filter_map(|c| match c {
                    Component::Normal(p) => Some(p.to_string_lossy().into_owned()),
                    _ => None,
                })
                .collect()
        })
        .collect();
    let label = |p: &[String], depth: usize| p[p.len().saturating_sub(depth)..].join("/");
    let mut depth = vec![1; dirs.len()];
    loop {
        let labels: Vec<String> = parts
            .iter()
            .zip(&depth)
            .map(|(p, &d)| label(p, d))
            .collect();
        let mut grew = false;
        for i in 0..dirs.len() {
            // The same folder twice is told apart by a number below, not by its parents.
            let alike = (0..dirs.len()).any(|j| labels[j] == labels[i] && parts[j] != parts[i]);
            if alike && depth[i] < parts[i].len() {
                depth[i] += 1;
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    parts
        .iter()
        .zip(&depth)
        .map(|(p, &d)| {
            let l = label(p, d);
            let n = seen.entry(l.clone()).or_insert(0);
            *n += 1;
            if *n == 1 { l } else { format!("{l}#{n}") }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_folder_names_with_parents_where_names_are_alike() {
        let dirs: Vec<PathBuf> = ["/x/a/quickstart", "/x/b/quickstart", "/x/karpenter"]
            .iter()
            .map(PathBuf::from)
            .collect();
        assert_eq!(labels(&dirs), ["a/quickstart", "b/quickstart", "karpenter"]);
        let twice: Vec<PathBuf> = ["/x/a", "/x/a"].iter().map(PathBuf::from).collect();
        assert_eq!(labels(&twice), ["a", "a#2"]);
    }
}

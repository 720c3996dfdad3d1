//! Runs side by side (`clustersim compare`): the verdicts and every check with each run's
//! result, the key figures with their differences from the first run, which services and
//! regions each run has, the first instant at which each run diverges from the first, and
//! overlaid charts (one colour per run, same axes). Written as `compare.html` (self-contained,
//! like `report.html`), `compare.json` (everything), and `figures` and `checks` tables
//! (Parquet and CSV, long form: one row per figure or check and run).
//!
//! Runs of different experiments compare too: what one has and another lacks is shown, not
//! hidden. A folder with only `summary.json` (a sweep row) compares on its summary; the charts
//! and the divergence need its time series and say when it is missing.
//!
//! Same runs ⇒ same bytes, like every output of this crate.

mod charts;
mod diverge;
mod figures;
mod page;

use std::io::Write;
use std::path::Path;

use serde::Serialize;
use sim::recorder::Table;

use crate::atomic::{create_dir_all, write_atomically};
use crate::chart::render;
use crate::error::ReportError;
use crate::summary::Summary;

pub use diverge::{Divergence, EventDifference, RowDifference, hms};
pub use figures::{CheckResult, CheckRow, FigureRow, KEY_FIGURES, Presence};

/// One run as the comparison reads it from its output folder.
pub struct ComparedRun {
    /// How the page, the tables and the legends name it (unique among the compared runs).
    pub label: String,
    pub summary: Summary,
    /// `timeseries.parquet`, when the folder has it.
    pub timeseries: Option<Table>,
    /// `events.parquet`, when the folder has it.
    pub events: Option<Table>,
}

/// A run's identity in the comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunInfo {
    pub label: String,
    pub experiment: String,
    pub seed: u64,
    pub start: String,
    pub duration_s: f64,
    pub pass: bool,
    pub has_timeseries: bool,
    pub has_events: bool,
}

/// Everything a comparison found; `compare.json` holds it as is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub runs: Vec<RunInfo>,
    pub figures: Vec<FigureRow>,
    pub checks: Vec<CheckRow>,
    pub services: Vec<Presence>,
    /// The `service/region`s that some runs have and others do not.
    pub mismatched_services: Vec<String>,
    /// Each run after the first against the first.
    pub divergences: Vec<Divergence>,
}

impl Comparison {
    pub fn labels(&self) -> Vec<String> {
        self.runs.iter().map(|r| r.label.clone()).collect()
    }

    /// The key figures side by side as aligned text, then each divergence in a sentence: what
    /// the command prints.
    pub fn text(&self) -> String {
        let mut out = figures::text(&self.labels(), &self.figures);
        for d in &self.divergences {
            for sentence in &d.sentences {
                out.push_str(&format!("{} vs {}: {sentence}\n", d.run, d.against));
            }
        }
        if !self.mismatched_services.is_empty() {
            out.push_str(&format!(
                "not in every run: {}\n",
                self.mismatched_services.join(", ")
            ));
        }
        out
    }
}

fn tables(r: &ComparedRun) -> diverge::RunTables<'_> {
    diverge::RunTables {
        label: &r.label,
        timeseries: r.timeseries.as_ref(),
        events: r.events.as_ref(),
    }
}

/// The comparison of `runs` (at least one; the first is the reference), in memory.
pub fn compare(runs: &[ComparedRun]) -> Result<Comparison, ReportError> {
    let summaries: Vec<&Summary> = runs.iter().map(|r| &r.summary).collect();
    let services = figures::services(&summaries);
    let divergences = match runs.split_first() {
        Some((first, rest)) => rest
            .iter()
            .map(|r| diverge::divergence(&tables(first), &tables(r)))
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    Ok(Comparison {
        runs: runs
            .iter()
            .map(|r| RunInfo {
                label: r.label.clone(),
                experiment: r.summary.experiment.clone(),
                seed: r.summary.seed,
                start: r.summary.start.clone(),
                duration_s: r.summary.duration_s,
                pass: r.summary.pass,
                has_timeseries: r.timeseries.is_some(),
                has_events: r.events.is_some(),
            })
            .collect(),
        figures: figures::figures(&summaries),
        checks: figures::checks(&summaries),
        mismatched_services: services
            .iter()
            .filter(|p| p.in_runs.iter().any(|&i| !i))
            .map(|p| p.service.clone())
            .collect(),
        services,
        divergences,
    })
}

/// Writes the comparison of `runs` into `dir` (which must exist): `compare.html`,
/// `compare.json`, `figures.parquet`/`.csv`, `checks.parquet`/`.csv` and, when a run has a
/// time series, `charts/<id>.svg`. Everything is built in memory first, then each file written
/// atomically. Returns the comparison, for the caller to print.
pub fn write_compare(dir: &Path, runs: &[ComparedRun]) -> Result<Comparison, ReportError> {
    let comparison = compare(runs)?;
    let charts = charts::charts(runs)?;
    let svgs = charts
        .iter()
        .map(render::svg)
        .collect::<Result<Vec<_>, _>>()?;
    let drawn: Vec<_> = charts.iter().zip(svgs.iter().map(String::as_str)).collect();
    let html = page::page(&comparison, &drawn);
    let labels = comparison.labels();

    crate::write_table(
        &figures::figures_table(&labels, &comparison.figures),
        dir,
        "figures",
    )?;
    crate::write_table(
        &figures::checks_table(&labels, &comparison.checks),
        dir,
        "checks",
    )?;
    crate::write_json(&comparison, &dir.join("compare.json"))?;
    if !charts.is_empty() {
        let charts_dir = dir.join("charts");
        create_dir_all(&charts_dir)?;
        for (chart, svg) in &drawn {
            write_atomically(&charts_dir.join(format!("{}.svg", chart.id)), |w| {
                w.write_all(svg.as_bytes())
            })?;
        }
    }
    write_atomically(&dir.join("compare.html"), |w| w.write_all(html.as_bytes()))?;
    Ok(comparison)
}

#[cfg(test)]
pub(crate) mod tests {
    use sim::recorder::{Cell, Kind};

    use super::*;
    use crate::chart::catalog::tests::table;
    use crate::summary::tests::example;
    use crate::test_dir::TestDir;

    /// A time series of one region: (time, service, desired pods, arrival rate) per row.
    pub fn series(rows: &[(u64, &str, u64, f64)]) -> Table {
        let mut t = Table::new(&[
            ("time_s", Kind::U64),
            ("time_utc", Kind::Text),
            ("region", Kind::Text),
            ("service", Kind::Text),
            ("desired_pods", Kind::U64),
            ("arrival_rps", Kind::F64),
        ]);
        for &(time, service, desired, rps) in rows {
            t.push_row(&[
                Cell::U64(time),
                Cell::Text("2026-11-27T00:00:00Z"),
                Cell::Text("us-east1"),
                Cell::Text(service),
                Cell::U64(desired),
                Cell::F64(rps),
            ]);
        }
        t
    }

    fn run(label: &str, summary: Summary, timeseries: Option<Table>) -> ComparedRun {
        ComparedRun {
            label: label.into(),
            summary,
            timeseries,
            events: None,
        }
    }

    #[test]
    fn a_run_against_itself_has_zero_deltas_and_no_divergence_and_same_bytes_twice() {
        let runs = [
            run("a/<x>", example(), Some(table())),
            run("b/<x>", example(), Some(table())),
        ];
        let dir = TestDir::new("compare_self");
        let c = write_compare(dir.path(), &runs).unwrap();
        for f in &c.figures {
            assert!(f.deltas.iter().flatten().all(|&d| d == 0.0), "{f:?}");
        }
        assert!(c.divergences[0].none());
        assert!(c.mismatched_services.is_empty());
        assert_eq!(
            dir.file_names(),
            [
                "charts",
                "checks.csv",
                "checks.parquet",
                "compare.html",
                "compare.json",
                "figures.csv",
                "figures.parquet"
            ]
        );
        let html = std::fs::read_to_string(dir.path().join("compare.html")).unwrap();
        assert!(html.contains("a/&lt;x&gt;") && !html.contains("a/<x>"));
        assert!(html.contains("no divergence in the time series ("));
        let again = TestDir::new("compare_self_again");
        write_compare(again.path(), &runs).unwrap();
        for name in dir.file_names().iter().filter(|n| *n != "charts") {
            assert_eq!(
                std::fs::read(dir.path().join(name)).unwrap(),
                std::fs::read(again.path().join(name)).unwrap(),
                "{name}"
            );
        }
    }

    #[test]
    fn summaries_alone_compare_without_charts_and_say_so() {
        let mut other = example();
        other.experiment = "other".into();
        other.services.pop();
        other.cost_usd = 1000.0;
        let dir = TestDir::new("compare_bare");
        let c = write_compare(
            dir.path(),
            &[run("one", example(), None), run("two", other, None)],
        )
        .unwrap();
        assert_eq!(c.mismatched_services, ["api/europe-west1"]);
        assert!(!dir.path().join("charts").exists());
        let html = std::fs::read_to_string(dir.path().join("compare.html")).unwrap();
        assert!(html.contains("Charts left out"), "{html}");
        assert!(html.contains("−$234.50"), "{html}");
        let text = c.text();
        assert!(
            text.contains("not in every run: api/europe-west1"),
            "{text}"
        );
    }
}

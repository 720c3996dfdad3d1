//! Sweep results: the table of runs (`sweep.parquet`, `sweep.csv`), the configurations grouped
//! over their seeds with the Pareto frontier of cost against SLO attainment, and the sweep
//! report (`sweep.html`, `charts/pareto.svg`) that names the answer up front: the cheapest
//! configuration that meets every target.
//!
//! The binary enumerates and runs the sweep; this module only reads what the runs produced
//! (their [`Summary`]s) and the parameters the binary set, so a merged sweep and a
//! single-machine one go through the same functions and give the same bytes.

mod chart;
mod frontier;
mod page;
mod table;

use std::path::Path;

use crate::error::ReportError;
use crate::summary::Summary;

pub use frontier::{Configuration, Objective, configurations, frontier};
pub use table::table;

/// The value a run gave one parameter. One column holds one kind: the binary picks it from all
/// values the sweep gives that parameter (`U64` when all are whole and non-negative, `F64` when
/// all are numbers, `Text` otherwise, as they were written into the experiment).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    U64(u64),
    F64(f64),
    Text(String),
}

impl Value {
    /// The value as a person reads it in the report.
    pub fn display(&self) -> String {
        match self {
            Value::U64(v) => v.to_string(),
            // `{:?}` is Rust's shortest round-trip spelling, the same on every platform.
            Value::F64(v) => format!("{v:?}"),
            Value::Text(v) => v.clone(),
        }
    }
}

/// One finished run of a sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRun {
    /// Position in the sweep's fixed enumeration order; rows are sorted by it.
    pub index: u64,
    /// `<index>-<hash of the parameters>`: the name of the run's output folder.
    pub id: String,
    /// One value per [`Sweep::parameters`] entry, in that order.
    pub parameters: Vec<Value>,
    pub seed: u64,
    pub summary: Summary,
}

/// A finished sweep (or the finished part of one shard).
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    /// The sweep file's stem, shown in the report's title.
    pub name: String,
    /// The sweep file's opening comment (its question and answer), shown under the title.
    pub description: Option<String>,
    /// The parameter columns: the field paths the axes set, in axis order.
    pub parameters: Vec<String>,
    /// Sorted by index.
    pub runs: Vec<SweepRun>,
}

/// Writes `dir/<stem>.parquet` and `dir/<stem>.csv`, one row per run (see [`table`]).
pub fn write_table(sweep: &Sweep, dir: &Path, stem: &str) -> Result<(), ReportError> {
    crate::write_table(&table(sweep), dir, stem)
}

/// Writes `dir/sweep.html` and `dir/charts/pareto.svg`. Same sweep ⇒ same bytes.
pub fn write_report(dir: &Path, sweep: &Sweep) -> Result<(), ReportError> {
    let configs = configurations(sweep);
    let objective = Objective::of(&configs);
    let on_frontier = frontier(&configs, objective);
    let svg = chart::svg(sweep, &configs, objective, &on_frontier);
    let html = page::page(sweep, &configs, objective, &on_frontier, &svg);
    let charts = dir.join("charts");
    crate::atomic::create_dir_all(&charts)?;
    use std::io::Write as _;
    crate::write_atomically(&charts.join("pareto.svg"), |w| w.write_all(svg.as_bytes()))?;
    crate::write_atomically(&dir.join("sweep.html"), |w| w.write_all(html.as_bytes()))
}

/// The configuration the sweep answers with: the cheapest (by mean cost over its seeds) whose
/// every run met every target; ties go to the one enumerated first. `None` when none did.
pub fn cheapest_passing(configs: &[Configuration]) -> Option<&Configuration> {
    configs.iter().filter(|c| c.pass).min_by(|a, b| {
        a.cost_usd
            .total_cmp(&b.cost_usd)
            .then(a.first_index.cmp(&b.first_index))
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::summary::tests::example;

    /// A run of the example summary with the given figures.
    pub fn run(index: u64, params: &[u64], seed: u64, cost: f64, attainment: f64) -> SweepRun {
        let mut summary = example();
        summary.cost_usd = cost;
        summary.slo_attainment = Some(attainment);
        summary.seed = seed;
        // The example's one target is p99 ≤ 100 ms; make attainment ≥ 0.99 a second one.
        summary.targets.push(crate::Check {
            name: "slo_attainment".into(),
            expression: "slo_attainment>=0.99".into(),
            scope: None,
            op: crate::Op::Ge,
            threshold: 0.99,
            actual: Some(attainment),
            pass: attainment >= 0.99,
            margin: Some(attainment - 0.99),
            detail: None,
        });
        summary.pass = summary.targets.iter().all(|c| c.pass);
        SweepRun {
            index,
            id: format!("{index:05}-test"),
            parameters: params.iter().map(|&p| Value::U64(p)).collect(),
            seed,
            summary,
        }
    }

    pub fn sweep(runs: Vec<SweepRun>) -> Sweep {
        Sweep {
            name: "test <sweep>".into(),
            description: None,
            parameters: vec!["services[0].replicas".into()],
            runs,
        }
    }

    #[test]
    fn the_answer_is_the_cheapest_configuration_whose_every_seed_passes() {
        // replicas 2: cheap, fails on seed 2; replicas 3: passes both seeds at mean cost 15;
        // replicas 4: passes at mean cost 20. Hand answer: replicas 3.
        let s = sweep(vec![
            run(0, &[2], 1, 10.0, 0.995),
            run(1, &[2], 2, 10.0, 0.98),
            run(2, &[3], 1, 14.0, 0.999),
            run(3, &[3], 2, 16.0, 0.995),
            run(4, &[4], 1, 20.0, 1.0),
            run(5, &[4], 2, 20.0, 1.0),
        ]);
        let configs = configurations(&s);
        assert_eq!(configs.len(), 3);
        let best = cheapest_passing(&configs).unwrap();
        assert_eq!(best.parameters, [Value::U64(3)]);
        assert_eq!(best.cost_usd, 15.0);
        assert_eq!(best.attainment, Some(0.995));
    }

    #[test]
    fn no_passing_configuration_gives_none() {
        let s = sweep(vec![run(0, &[2], 1, 10.0, 0.5), run(1, &[3], 1, 12.0, 0.9)]);
        assert_eq!(cheapest_passing(&configurations(&s)), None);
    }

    #[test]
    fn the_report_names_the_answer_first_and_escapes_names() {
        let dir = crate::test_dir::TestDir::new("sweep_report");
        let s = sweep(vec![
            run(0, &[2], 1, 10.0, 0.98),
            run(1, &[3], 1, 14.0, 0.999),
            run(2, &[4], 1, 20.0, 1.0),
        ]);
        write_report(dir.path(), &s).unwrap();
        let html = std::fs::read_to_string(dir.path().join("sweep.html")).unwrap();
        let answer = html.find("id=\"answer\"").unwrap();
        assert!(answer < html.find("id=\"chart\"").unwrap());
        assert!(
            html[answer..].contains("services[0].replicas = 3"),
            "{html}"
        );
        assert!(html.contains("test &lt;sweep&gt;"));
        assert!(!html.contains("test <sweep>"));
        // The verdicts are spelled as on the run's page and the terminal.
        assert_eq!(html.matches(">PASS</span>").count(), 2);
        assert_eq!(html.matches(">FAIL</span>").count(), 1);
        assert!(!html.contains(">pass</span>"));
        let svg = std::fs::read_to_string(dir.path().join("charts/pareto.svg")).unwrap();
        roxmltree::Document::parse(&svg).unwrap();
        // Same sweep, same bytes.
        let again = crate::test_dir::TestDir::new("sweep_report_again");
        write_report(again.path(), &s).unwrap();
        assert_eq!(
            std::fs::read(again.path().join("sweep.html")).unwrap(),
            html.into_bytes()
        );
    }

    #[test]
    fn a_sweep_where_nothing_passes_says_so() {
        let dir = crate::test_dir::TestDir::new("sweep_report_none");
        let s = sweep(vec![run(0, &[2], 1, 10.0, 0.5)]);
        write_report(dir.path(), &s).unwrap();
        let html = std::fs::read_to_string(dir.path().join("sweep.html")).unwrap();
        assert!(
            html.contains("No configuration meets every target"),
            "{html}"
        );
    }
}

//! The sweep table: one row per run, sorted by run index. Columns, in order:
//!
//! - `run_index` (u64), `run_id` (text): the run's place in the enumeration and its folder name;
//! - one column per parameter, named by the field path the axis sets;
//! - `seed` (u64);
//! - `pass` (text `pass`/`fail`): every target met;
//! - the summary figures: `cost_usd`, `node_hours`, `p50_latency_ms`, `p99_latency_ms`,
//!   `worst_sample_p99_ms`, `slo_attainment`, `requests_arrived`, `requests_dropped`,
//!   `pending_pod_seconds` (f64; `NaN` where the run gave nothing to measure, as a table has
//!   no nulls);
//! - one `target_<metric>` column per target (text `pass`/`fail`, `n/a` for a run without it).
//!
//! The table is a function of the runs' summaries and parameters only, so it is the same
//! whichever process, thread or shard ran each run.

use sim::recorder::{Cell, Kind, Table};

use super::{Sweep, Value};

/// The figures of a summary in the table, by column name.
const FIGURES: [&str; 9] = [
    "cost_usd",
    "node_hours",
    "p50_latency_ms",
    "p99_latency_ms",
    "worst_sample_p99_ms",
    "slo_attainment",
    "requests_arrived",
    "requests_dropped",
    "pending_pod_seconds",
];

fn figures(s: &crate::Summary) -> [f64; 9] {
    let or_nan = |v: Option<f64>| v.unwrap_or(f64::NAN);
    let q = s.latency_ms.as_ref();
    [
        s.cost_usd,
        s.node_hours,
        or_nan(q.map(|q| q.p50)),
        or_nan(q.map(|q| q.p99)),
        or_nan(s.worst_sample_p99_ms),
        or_nan(s.slo_attainment),
        s.requests.arrived,
        s.requests.dropped,
        s.pending_pod_seconds,
    ]
}

fn verdict(pass: bool) -> &'static str {
    if pass { "pass" } else { "fail" }
}

/// The table of `sweep`. Each parameter column takes the kind of its values in the first run
/// (the binary gives one column one kind); a sweep without runs has text parameter columns.
pub fn table(sweep: &Sweep) -> Table {
    let kind = |p: usize| match sweep.runs.first().map(|r| &r.parameters[p]) {
        Some(Value::U64(_)) => Kind::U64,
        Some(Value::F64(_)) => Kind::F64,
        Some(Value::Text(_)) | None => Kind::Text,
    };
    // Target columns: every target name in order of first appearance.
    let mut targets: Vec<&str> = Vec::new();
    for run in &sweep.runs {
        for c in &run.summary.targets {
            if !targets.contains(&c.name.as_str()) {
                targets.push(&c.name);
            }
        }
    }
    let target_columns: Vec<String> = targets.iter().map(|t| format!("target_{t}")).collect();

    let mut schema: Vec<(&str, Kind)> = vec![("run_index", Kind::U64), ("run_id", Kind::Text)];
    schema.extend(
        sweep
            .parameters
            .iter()
            .enumerate()
            .map(|(p, name)| (name.as_str(), kind(p))),
    );
    schema.push(("seed", Kind::U64));
    schema.push(("pass", Kind::Text));
    schema.extend(FIGURES.iter().map(|&f| (f, Kind::F64)));
    schema.extend(target_columns.iter().map(|t| (t.as_str(), Kind::Text)));

    let mut table = Table::new(&schema);
    let mut row: Vec<Cell> = Vec::with_capacity(schema.len());
    for run in &sweep.runs {
        row.clear();
        row.push(Cell::U64(run.index));
        row.push(Cell::Text(&run.id));
        row.extend(run.parameters.iter().map(|v| match v {
            Value::U64(x) => Cell::U64(*x),
            Value::F64(x) => Cell::F64(*x),
            Value::Text(x) => Cell::Text(x),
        }));
        row.push(Cell::U64(run.seed));
        row.push(Cell::Text(verdict(run.summary.pass)));
        row.extend(figures(&run.summary).map(Cell::F64));
        row.extend(targets.iter().map(|t| {
            Cell::Text(
                run.summary
                    .targets
                    .iter()
                    .find(|c| c.name == *t)
                    .map_or("n/a", |c| verdict(c.pass)),
            )
        }));
        table.push_row(&row);
    }
    table
}

#[cfg(test)]
mod tests {
    use sim::recorder::Values;

    use super::*;
    use crate::sweep::tests::{run, sweep};

    #[test]
    fn one_row_per_run_with_parameters_figures_and_target_verdicts() {
        let s = sweep(vec![
            run(0, &[2], 7, 10.0, 0.98),
            run(1, &[3], 7, 14.0, 0.999),
        ]);
        let t = table(&s);
        assert_eq!(t.rows(), 2);
        let names: Vec<&str> = t.columns().iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "run_index",
                "run_id",
                "services[0].replicas",
                "seed",
                "pass",
                "cost_usd",
                "node_hours",
                "p50_latency_ms",
                "p99_latency_ms",
                "worst_sample_p99_ms",
                "slo_attainment",
                "requests_arrived",
                "requests_dropped",
                "pending_pod_seconds",
                "target_p99_latency_ms",
                "target_slo_attainment",
            ]
        );
        assert_eq!(
            t.column("services[0].replicas"),
            Some(&Values::U64(vec![2, 3]))
        );
        assert_eq!(t.column("cost_usd"), Some(&Values::F64(vec![10.0, 14.0])));
        assert_eq!(
            t.column("pass"),
            Some(&Values::Text(vec!["fail".into(), "pass".into()]))
        );
        assert_eq!(
            t.column("target_slo_attainment"),
            Some(&Values::Text(vec!["fail".into(), "pass".into()]))
        );
    }
}

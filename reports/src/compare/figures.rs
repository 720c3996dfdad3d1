//! The side-by-side tables of a comparison: the key figures of each run with their difference
//! from the first run, every check (built-in, target, gate) with each run's result, and which
//! services and regions each run has. Plain data, from the summaries alone, so a folder holding
//! only `summary.json` (a sweep row) compares as well as a full run's.

use serde::Serialize;
use sim::recorder::{Cell, Kind, Table};

use crate::check::{Check, verdict};
use crate::format::{judged, metric_difference, metric_value};
use crate::metric::Metric;
use crate::summary::Summary;

/// The figures a design review compares: cost, node-hours, latency, SLO attainment, drops,
/// pending pod-seconds, RPO and RTO.
pub const KEY_FIGURES: [Metric; 10] = [
    Metric::CostUsd,
    Metric::NodeHours,
    Metric::P99LatencyMs,
    Metric::WorstSampleP99Ms,
    Metric::SloAttainment,
    Metric::RequestsDropped,
    Metric::DroppedShare,
    Metric::PendingPodSeconds,
    Metric::RpoS,
    Metric::RtoS,
];

/// One key figure across the runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FigureRow {
    /// The metric's name (`cost_usd`), as gates spell it.
    pub figure: &'static str,
    /// One per run, in the runs' order; `None` where the run gave nothing to measure.
    pub values: Vec<Option<f64>>,
    /// Each run's value minus the first run's (0 for the first); `None` where either is absent.
    pub deltas: Vec<Option<f64>>,
}

impl FigureRow {
    pub fn metric(&self) -> Option<Metric> {
        Metric::from_name(self.figure)
    }
}

/// One run's result on a check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckResult {
    pub pass: bool,
    pub actual: Option<f64>,
    /// `actual` minus the first run's, when both runs have the check and measured it.
    pub delta: Option<f64>,
}

/// One check (a built-in health check, a target or a gate, with its scope) across the runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckRow {
    /// `check` (built-in), `target` or `gate`.
    pub kind: &'static str,
    pub expression: String,
    /// The metric judged (`p99_latency_ms`), which picks the unit.
    pub name: String,
    pub scope: Option<String>,
    /// What it judged, in words ("whole-run p99 of checkout").
    pub judged: String,
    /// One per run; `None` where the run does not have the check.
    pub results: Vec<Option<CheckResult>>,
}

/// Each run's value of every key figure.
pub fn figures(summaries: &[&Summary]) -> Vec<FigureRow> {
    KEY_FIGURES
        .iter()
        .map(|&m| {
            let values: Vec<Option<f64>> = summaries.iter().map(|s| m.value(s)).collect();
            FigureRow {
                figure: m.name(),
                deltas: deltas(&values),
                values,
            }
        })
        .collect()
}

/// `v − values[0]` for each value, where both are present.
fn deltas(values: &[Option<f64>]) -> Vec<Option<f64>> {
    let first = values.first().copied().flatten();
    values.iter().map(|v| Some(v.as_ref()? - first?)).collect()
}

/// Every check of every run, keyed by kind, scope and expression, in order of first appearance
/// (the first run's order, then what later runs add).
pub fn checks(summaries: &[&Summary]) -> Vec<CheckRow> {
    let kinds = |s: &Summary| -> Vec<(&'static str, Check)> {
        let tag = |kind: &'static str, list: &[Check]| -> Vec<(&'static str, Check)> {
            list.iter().map(|c| (kind, c.clone())).collect()
        };
        let mut all = tag("check", &s.checks);
        all.extend(tag("target", &s.targets));
        all.extend(tag("gate", &s.gates));
        all
    };
    let per_run: Vec<Vec<(&'static str, Check)>> = summaries.iter().map(|s| kinds(s)).collect();
    let same = |a: &(&str, Check), kind: &str, c: &Check| {
        a.0 == kind && a.1.scope == c.scope && a.1.expression == c.expression
    };
    let mut rows: Vec<CheckRow> = Vec::new();
    for (kind, c) in per_run.iter().flatten() {
        if rows
            .iter()
            .any(|r| r.kind == *kind && r.scope == c.scope && r.expression == c.expression)
        {
            continue;
        }
        let found: Vec<Option<&Check>> = per_run
            .iter()
            .map(|run| run.iter().find(|a| same(a, kind, c)).map(|a| &a.1))
            .collect();
        let actuals: Vec<Option<f64>> = found.iter().map(|f| f.and_then(|c| c.actual)).collect();
        let deltas = deltas(&actuals);
        rows.push(CheckRow {
            kind,
            expression: c.expression.clone(),
            name: c.name.clone(),
            scope: c.scope.clone(),
            judged: judged(c),
            results: found
                .iter()
                .zip(deltas)
                .map(|(f, delta)| {
                    f.map(|c| CheckResult {
                        pass: c.pass,
                        actual: c.actual,
                        delta,
                    })
                })
                .collect(),
        });
    }
    rows
}

/// A service and region, and which runs have it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Presence {
    /// `service/region`.
    pub service: String,
    pub in_runs: Vec<bool>,
}

/// Every `service/region` of any run, in order of first appearance, with the runs that have it.
pub fn services(summaries: &[&Summary]) -> Vec<Presence> {
    let names = |s: &Summary| -> Vec<String> {
        s.services
            .iter()
            .map(|v| format!("{}/{}", v.service, v.region))
            .collect()
    };
    let per_run: Vec<Vec<String>> = summaries.iter().map(|s| names(s)).collect();
    let mut rows: Vec<Presence> = Vec::new();
    for name in per_run.iter().flatten() {
        if !rows.iter().any(|r| &r.service == name) {
            rows.push(Presence {
                service: name.clone(),
                in_runs: per_run.iter().map(|run| run.contains(name)).collect(),
            });
        }
    }
    rows
}

/// A value of `figure` with its unit, "—" when absent.
pub fn value_text(metric: Option<Metric>, v: Option<f64>) -> String {
    match (metric, v) {
        (_, None) => "—".to_owned(),
        (Some(m), Some(v)) => metric_value(m, v),
        (None, Some(v)) => crate::format::figure(v),
    }
}

/// A difference with its sign and unit ("+$1.20", "−0.4 pp", "±0"); empty when absent.
pub fn delta_text(metric: Option<Metric>, d: Option<f64>) -> String {
    let Some(d) = d else {
        return String::new();
    };
    if d == 0.0 {
        return "±0".to_owned();
    }
    let amount = match metric {
        Some(m) => metric_difference(m, d.abs()),
        None => crate::format::figure(d.abs()),
    };
    let sign = if d > 0.0 { '+' } else { '−' };
    format!("{sign}{amount}")
}

/// The key figures in long form, one row per (figure, run): `figure`, `run`, `value`, `delta`
/// (NaN where absent: a table has no nulls).
pub fn figures_table(labels: &[String], rows: &[FigureRow]) -> Table {
    let mut t = Table::new(&[
        ("figure", Kind::Text),
        ("run", Kind::Text),
        ("value", Kind::F64),
        ("delta", Kind::F64),
    ]);
    let nan = |v: Option<f64>| v.unwrap_or(f64::NAN);
    for row in rows {
        for (k, label) in labels.iter().enumerate() {
            t.push_row(&[
                Cell::Text(row.figure),
                Cell::Text(label),
                Cell::F64(nan(row.values[k])),
                Cell::F64(nan(row.deltas[k])),
            ]);
        }
    }
    t
}

/// The checks in long form, one row per (check, run): `kind`, `check`, `scope`, `run`,
/// `result` (`PASS`, `FAIL` or `absent`), `actual`, `delta`.
pub fn checks_table(labels: &[String], rows: &[CheckRow]) -> Table {
    let mut t = Table::new(&[
        ("kind", Kind::Text),
        ("check", Kind::Text),
        ("scope", Kind::Text),
        ("run", Kind::Text),
        ("result", Kind::Text),
        ("actual", Kind::F64),
        ("delta", Kind::F64),
    ]);
    for row in rows {
        for (label, result) in labels.iter().zip(&row.results) {
            let (text, actual, delta) = match result {
                Some(r) => (verdict(r.pass), r.actual, r.delta),
                None => ("absent", None, None),
            };
            t.push_row(&[
                Cell::Text(row.kind),
                Cell::Text(&row.expression),
                Cell::Text(row.scope.as_deref().unwrap_or("")),
                Cell::Text(label),
                Cell::Text(text),
                Cell::F64(actual.unwrap_or(f64::NAN)),
                Cell::F64(delta.unwrap_or(f64::NAN)),
            ]);
        }
    }
    t
}

/// The key figures as aligned text, one line per figure, a column per run (later runs with
/// their difference from the first): what `clustersim compare` prints.
pub fn text(labels: &[String], rows: &[FigureRow]) -> String {
    let mut grid: Vec<Vec<String>> = vec![
        std::iter::once("figure".to_owned())
            .chain(labels.iter().cloned())
            .collect(),
    ];
    for row in rows {
        let m = row.metric();
        let mut line = vec![row.figure.to_owned()];
        for (k, (v, d)) in row.values.iter().zip(&row.deltas).enumerate() {
            let value = value_text(m, *v);
            line.push(if k == 0 || d.is_none() {
                value
            } else {
                format!("{value} ({})", delta_text(m, *d))
            });
        }
        grid.push(line);
    }
    let widths: Vec<usize> = (0..grid[0].len())
        .map(|c| grid.iter().map(|l| l[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for line in &grid {
        let cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .map(|(cell, &w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::tests::example;

    #[test]
    fn deltas_are_against_the_first_run_and_absent_values_have_none() {
        let a = example();
        let mut b = example();
        b.cost_usd += 10.0;
        b.latency_ms = None;
        let rows = figures(&[&a, &b]);
        let cost = rows.iter().find(|r| r.figure == "cost_usd").unwrap();
        assert_eq!(cost.deltas, [Some(0.0), Some(10.0)]);
        let p99 = rows.iter().find(|r| r.figure == "p99_latency_ms").unwrap();
        assert_eq!(p99.values, [Some(42.5), None]);
        assert_eq!(p99.deltas, [Some(0.0), None]);
        assert_eq!(delta_text(cost.metric(), cost.deltas[1]), "+$10.00");
        assert_eq!(
            delta_text(Some(Metric::SloAttainment), Some(-0.004)),
            "−0.4 pp"
        );
        assert_eq!(delta_text(cost.metric(), Some(0.0)), "±0");
        let t = text(&["a".into(), "b".into()], &rows);
        assert!(t.contains("$1,244.50 (+$10.00)"), "{t}");
    }

    #[test]
    fn checks_line_up_by_kind_scope_and_expression_and_missing_ones_are_absent() {
        let a = example();
        let mut b = example();
        b.targets[0].actual = Some(50.0);
        b.gates
            .push(crate::parse_gate("cost_usd<1").unwrap().evaluate(&b));
        let rows = checks(&[&a, &b]);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].results[1].as_ref().unwrap().delta, Some(7.5));
        assert_eq!(rows[1].kind, "gate");
        assert_eq!(rows[1].results[0], None);
        let t = checks_table(&["a".into(), "b".into()], &rows);
        assert_eq!(t.rows(), 4);
    }

    #[test]
    fn services_of_only_some_runs_are_shown() {
        let a = example();
        let mut b = example();
        b.services[1].region = "asia-east1".into();
        let rows = services(&[&a, &b]);
        let names: Vec<_> = rows
            .iter()
            .map(|r| (r.service.as_str(), &r.in_runs[..]))
            .collect();
        assert_eq!(
            names,
            [
                ("api/us-east1", &[true, true][..]),
                ("api/europe-west1", &[true, false][..]),
                ("api/asia-east1", &[false, true][..]),
            ]
        );
    }
}

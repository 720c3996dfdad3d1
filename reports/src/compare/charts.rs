//! The overlaid charts of a comparison: one series per run (its colour and its label in the
//! legend, the same in every chart and in the page's tables), all services and regions of a run
//! added up (or, for latency, the worst of them) at each sample instant, every run on the same
//! axes. A run without a time series (a sweep row kept without its tables) keeps its colour and
//! its place in the legend, with no line.

use std::collections::BTreeMap;

use sim::recorder::Table;

use crate::chart::data::{line, rates};
use crate::chart::{Chart, Line, SeriesKey, Stroke, TimeUnit, Timeseries};
use crate::error::ReportError;

use super::ComparedRun;

/// How the services and regions of one run make one line.
#[derive(Clone, Copy)]
enum Combine {
    Sum,
    Max,
}

/// `column` of every (service, region) of `table`, combined per sample instant.
fn combined(table: &Table, column: &str, how: Combine) -> Result<Vec<(u64, f64)>, ReportError> {
    let ts = Timeseries::new(table)?;
    let mut at: BTreeMap<u64, f64> = BTreeMap::new();
    for i in 0..ts.keys.len() {
        for (t, v) in ts.samples(i, column)? {
            let slot = at.entry(t).or_insert(match how {
                Combine::Sum => 0.0,
                Combine::Max => f64::NEG_INFINITY,
            });
            *slot = match how {
                Combine::Sum => *slot + v,
                Combine::Max => slot.max(v),
            };
        }
    }
    Ok(at.into_iter().collect())
}

/// One chart: (column, stroke, how) lines for each run with a time series.
struct Spec {
    id: &'static str,
    title: &'static str,
    caption: &'static str,
    zero_note: &'static str,
    y_label: &'static str,
    strokes: &'static [(Stroke, &'static str)],
    columns: &'static [(&'static str, Stroke, Combine)],
    /// The columns count over the interval ending at each row: drawn per second.
    rate: bool,
}

const SPECS: [Spec; 4] = [
    Spec {
        id: "traffic",
        title: "Traffic vs serving capacity, all services",
        caption: "Arriving traffic (solid) and the ready pods' serving capacity (dashed) of \
                  every service and region added up, one colour per run.",
        zero_note: "No traffic arrived in any run.",
        y_label: "requests per second",
        strokes: &[
            (Stroke::Solid, "arriving traffic"),
            (Stroke::Dashed, "serving capacity"),
        ],
        columns: &[
            ("arrival_rps", Stroke::Solid, Combine::Sum),
            ("capacity_rps", Stroke::Dashed, Combine::Sum),
        ],
        rate: false,
    },
    Spec {
        id: "pods",
        title: "Ready and pending pods, all services",
        caption: "Ready (solid) and pending (dashed) pods of every service and region added \
                  up, one colour per run.",
        zero_note: "No pod was ready or pending in any run.",
        y_label: "pods",
        strokes: &[(Stroke::Solid, "ready"), (Stroke::Dashed, "pending")],
        columns: &[
            ("ready_pods", Stroke::Solid, Combine::Sum),
            ("pending_pods", Stroke::Dashed, Combine::Sum),
        ],
        rate: false,
    },
    Spec {
        id: "latency",
        title: "Worst p99 of any service",
        caption: "At each sample instant, the highest p99 of any service and region of the \
                  run, one colour per run.",
        zero_note: "No request was served in any run.",
        y_label: "response time (ms)",
        strokes: &[(Stroke::Solid, "worst p99")],
        columns: &[("latency_p99_ms", Stroke::Solid, Combine::Max)],
        rate: false,
    },
    Spec {
        id: "dropped",
        title: "Dropped requests, all services",
        caption: "Requests that queued past their timeout, per second over each output \
                  interval, every service and region added up, one colour per run.",
        zero_note: "No request was dropped in any run.",
        y_label: "dropped requests per second",
        strokes: &[(Stroke::Solid, "dropped")],
        columns: &[("dropped_requests", Stroke::Solid, Combine::Sum)],
        rate: true,
    },
];

/// The overlaid charts; empty when no run has a time series.
pub fn charts(runs: &[ComparedRun]) -> Result<Vec<Chart>, ReportError> {
    if runs.iter().all(|r| r.timeseries.is_none()) {
        return Ok(Vec::new());
    }
    let duration_s = runs
        .iter()
        .map(|r| r.summary.duration_s)
        .fold(0.0, f64::max);
    let x_unit = TimeUnit::for_run(duration_s);
    let series: Vec<SeriesKey> = runs
        .iter()
        .map(|r| SeriesKey {
            name: r.label.clone(),
            detail: match r.timeseries {
                Some(_) => format!("{} · seed {}", r.summary.experiment, r.summary.seed),
                None => "no time series".to_owned(),
            },
        })
        .collect();
    SPECS
        .iter()
        .map(|spec| {
            let mut lines = Vec::new();
            for (k, run) in runs.iter().enumerate() {
                let Some(table) = &run.timeseries else {
                    continue;
                };
                for &(column, stroke, how) in spec.columns {
                    let samples = combined(table, column, how)?;
                    lines.push(Line {
                        series: k,
                        stroke,
                        points: if spec.rate {
                            rates(&samples)
                        } else {
                            line(samples)
                        },
                        fill: false,
                    });
                }
            }
            Ok(Chart {
                id: spec.id,
                title: spec.title,
                experiment: format!("{} runs compared", runs.len()),
                caption: spec.caption,
                zero_note: spec.zero_note,
                x_label: format!("{} since each run's start", x_unit.name()),
                x_unit,
                y_label: spec.y_label,
                series: series.clone(),
                strokes: spec.strokes.to_vec(),
                lines,
                rules: Vec::new(),
                markers: Vec::new(),
                markers_meaning: "",
                y_clip: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::tests::series;
    use crate::summary::tests::example;

    #[test]
    fn services_add_up_or_give_their_worst_per_instant() {
        let t = series(&[
            (0, "a", 0, 10.0),
            (0, "b", 0, 30.0),
            (60, "a", 60, 50.0),
            (60, "b", 120, 20.0),
        ]);
        assert_eq!(
            combined(&t, "arrival_rps", Combine::Max).unwrap(),
            [(0, 30.0), (60, 50.0)]
        );
        let summed = combined(&t, "desired_pods", Combine::Sum).unwrap();
        assert_eq!(summed, [(0, 0.0), (60, 180.0)]);
        assert_eq!(rates(&summed), [(60.0 / 3600.0, 3.0)]);
    }

    #[test]
    fn a_run_without_a_time_series_keeps_its_colour_and_has_no_line() {
        let run = |label: &str, timeseries| ComparedRun {
            label: label.into(),
            summary: example(),
            timeseries,
            events: None,
        };
        assert!(
            charts(&[run("a", None), run("b", None)])
                .unwrap()
                .is_empty()
        );
        let full = crate::chart::catalog::tests::table();
        let charts = charts(&[run("bare", None), run("full", Some(full))]).unwrap();
        assert_eq!(charts.len(), SPECS.len());
        for c in &charts {
            assert_eq!(c.series[0].detail, "no time series");
            assert_eq!(c.series[1].name, "full");
            assert!(!c.lines.is_empty() && c.lines.iter().all(|l| l.series == 1));
        }
    }
}

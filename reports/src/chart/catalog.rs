//! The charts of a report, in the order the report shows them: one function each, from the time
//! series (and the summary, for targets) to a [`Chart`].
//!
//! To add a chart: write a function of this shape that picks its columns with
//! [`Timeseries::points`] or [`Timeseries::rate_points`], and add it to [`CHARTS`]. Charts of
//! other tables (nodes per pool, cost) will take that table in [`Inputs`].

use crate::chart::{Chart, Line, Rule, Stroke, Timeseries};
use crate::error::ReportError;
use crate::metric::Metric;
use crate::summary::Summary;

/// What every chart is built from.
pub struct Inputs<'a> {
    pub timeseries: &'a Timeseries<'a>,
    pub summary: &'a Summary,
}

/// A chart's builder.
pub type Build = fn(&Inputs) -> Result<Chart, ReportError>;

/// Every chart, in report order. The dropped-requests and backlog charts are drawn even when
/// flat at zero: a flat line is the evidence that nothing was dropped or queued, and every
/// report then has the same charts in the same places, so two reports compare side by side.
pub const CHARTS: [Build; 5] = [traffic, pods, latency, dropped, backlog];

fn traffic(i: &Inputs) -> Result<Chart, ReportError> {
    let mut c = blank(
        i,
        "traffic",
        "Traffic vs serving capacity",
        "Where the solid line meets the dashed one, requests queue and latency climbs.",
        "No traffic arrived.",
        "requests per second",
    );
    c.strokes = vec![
        (Stroke::Solid, "arriving traffic"),
        (Stroke::Dashed, "serving capacity (ready pods)"),
    ];
    c.lines = lines(
        i,
        &[
            ("arrival_rps", Stroke::Solid),
            ("capacity_rps", Stroke::Dashed),
        ],
    )?;
    Ok(c)
}

fn pods(i: &Inputs) -> Result<Chart, ReportError> {
    let mut c = blank(
        i,
        "pods",
        "Ready and pending pods",
        "Pending pods are replicas the scheduler could not place on a node.",
        "No pod was ready or pending.",
        "pods",
    );
    c.strokes = vec![(Stroke::Solid, "ready"), (Stroke::Dashed, "pending")];
    c.lines = lines(
        i,
        &[
            ("ready_pods", Stroke::Solid),
            ("pending_pods", Stroke::Dashed),
        ],
    )?;
    Ok(c)
}

fn latency(i: &Inputs) -> Result<Chart, ReportError> {
    let mut c = blank(
        i,
        "latency",
        "Response time",
        "Percentiles at each sample instant; a red dashed line is a target or gate.",
        "No request was served.",
        "response time (ms)",
    );
    c.strokes = vec![
        (Stroke::Solid, "p99"),
        (Stroke::Dashed, "p95"),
        (Stroke::Dotted, "p50"),
    ];
    c.lines = lines(
        i,
        &[
            ("latency_p99_ms", Stroke::Solid),
            ("latency_p95_ms", Stroke::Dashed),
            ("latency_p50_ms", Stroke::Dotted),
        ],
    )?;
    c.rules = rules(
        i.summary,
        &[
            Metric::P50LatencyMs,
            Metric::P95LatencyMs,
            Metric::P99LatencyMs,
            Metric::WorstSampleP99Ms,
        ],
    );
    Ok(c)
}

fn dropped(i: &Inputs) -> Result<Chart, ReportError> {
    let mut c = blank(
        i,
        "dropped",
        "Dropped requests",
        "Requests that queued past their timeout, per second over each output interval.",
        "No request was dropped during the run.",
        "dropped requests per second",
    );
    c.strokes = vec![(Stroke::Solid, "dropped")];
    c.lines = (0..c.series.len())
        .map(|s| {
            Ok(Line {
                series: s,
                stroke: Stroke::Solid,
                points: i.timeseries.rate_points(s, "dropped_requests")?,
            })
        })
        .collect::<Result<_, ReportError>>()?;
    Ok(c)
}

fn backlog(i: &Inputs) -> Result<Chart, ReportError> {
    let mut c = blank(
        i,
        "backlog",
        "Queued requests",
        "Requests waiting for a pod: the queue grows while traffic exceeds capacity.",
        "No request queued during the run.",
        "requests queued",
    );
    c.strokes = vec![(Stroke::Solid, "backlog")];
    c.lines = lines(i, &[("backlog_requests", Stroke::Solid)])?;
    Ok(c)
}

/// A chart with its axes and series set, and nothing drawn yet.
fn blank(
    i: &Inputs,
    id: &'static str,
    title: &'static str,
    caption: &'static str,
    zero_note: &'static str,
    y_label: &'static str,
) -> Chart {
    Chart {
        id,
        title,
        experiment: i.summary.experiment.clone(),
        caption,
        zero_note,
        x_label: format!("hours since {}", i.summary.start),
        y_label,
        series: i.timeseries.keys.clone(),
        strokes: Vec::new(),
        lines: Vec::new(),
        rules: Vec::new(),
    }
}

/// One line per series and per (column, stroke), series by series.
fn lines(i: &Inputs, columns: &[(&str, Stroke)]) -> Result<Vec<Line>, ReportError> {
    let mut lines = Vec::new();
    for series in 0..i.timeseries.keys.len() {
        for &(column, stroke) in columns {
            lines.push(Line {
                series,
                stroke,
                points: i.timeseries.points(series, column)?,
            });
        }
    }
    Ok(lines)
}

/// A reference line for each target and gate on one of `metrics`.
fn rules(s: &Summary, metrics: &[Metric]) -> Vec<Rule> {
    let named = |kind: &'static str| {
        move |c: &crate::summary::Check| {
            metrics.iter().any(|m| m.name() == c.name).then(|| Rule {
                y: c.threshold,
                label: format!("{kind} {}", c.expression),
            })
        }
    };
    s.targets
        .iter()
        .filter_map(named("target"))
        .chain(s.gates.iter().filter_map(named("gate")))
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use sim::recorder::{Cell, Kind, Table};

    use super::*;
    use crate::summary::tests::example;

    /// Every column the charts read, for one series over two instants.
    pub fn table() -> Table {
        let f64s = [
            "arrival_rps",
            "capacity_rps",
            "backlog_requests",
            "latency_p50_ms",
            "latency_p95_ms",
            "latency_p99_ms",
            "dropped_requests",
        ];
        let mut schema = vec![
            ("time_s", Kind::U64),
            ("region", Kind::Text),
            ("service", Kind::Text),
            ("ready_pods", Kind::U64),
            ("pending_pods", Kind::U64),
        ];
        schema.extend(f64s.iter().map(|&n| (n, Kind::F64)));
        let mut t = Table::new(&schema);
        for time in [0, 60] {
            let mut row = vec![
                Cell::U64(time),
                Cell::Text("us-east1"),
                Cell::Text("api"),
                Cell::U64(3),
                Cell::U64(1),
            ];
            row.extend(f64s.iter().map(|_| Cell::F64(time as f64)));
            t.push_row(&row);
        }
        t
    }

    #[test]
    fn every_chart_builds_with_a_line_per_quantity_and_series() {
        let t = table();
        let ts = Timeseries::new(&t).unwrap();
        let summary = example();
        let inputs = Inputs {
            timeseries: &ts,
            summary: &summary,
        };
        let charts: Vec<Chart> = CHARTS.iter().map(|b| b(&inputs).unwrap()).collect();
        let ids: Vec<_> = charts.iter().map(|c| c.id).collect();
        assert_eq!(ids, ["traffic", "pods", "latency", "dropped", "backlog"]);
        for c in &charts {
            assert_eq!(c.lines.len(), c.strokes.len(), "{}", c.id);
            assert_eq!(c.x_label, "hours since 2026-11-27T00:00:00Z");
        }
        // The example's target, as a red line on the latency chart only.
        assert_eq!(
            charts[2].rules,
            [Rule {
                y: 100.0,
                label: "target p99_latency_ms<=100".into()
            }]
        );
        assert!(
            charts
                .iter()
                .filter(|c| c.id != "latency")
                .all(|c| c.rules.is_empty())
        );
        // 60 dropped over 60 s is 1 per second.
        assert_eq!(charts[3].lines[0].points, [(60.0 / 3600.0, 1.0)]);
        assert!(!charts[3].is_flat_zero());
    }

    #[test]
    fn a_chart_of_zeros_is_flat() {
        let mut c = {
            let t = table();
            let ts = Timeseries::new(&t).unwrap();
            let summary = example();
            dropped(&Inputs {
                timeseries: &ts,
                summary: &summary,
            })
            .unwrap()
        };
        for p in &mut c.lines[0].points {
            p.1 = 0.0;
        }
        assert!(c.is_flat_zero());
    }
}

//! The charts of a report, in the order the report shows them: one function each, from the time
//! series (and the summary, for targets; the pools and events tables, when there are some) to a
//! [`Chart`].
//!
//! To add a chart: write a function of this shape that picks its columns with
//! [`Timeseries::points`] or [`Timeseries::rate_points`], and add it to [`CHARTS`]. Charts of
//! the pools table (`nodes`, `cost`) read [`Inputs::pools`], grouped by pool instead of service,
//! and are absent (`None`) when an older run's folder has no pools table.
//!
//! Over 800 lines on purpose: about 474 lines of code, the rest (362 lines) its tests,
//! kept beside the functions they check.

use std::collections::BTreeMap;

use sim::recorder::Table;

use crate::chart::data::{f64_column, line, text_column, u64_column};
use crate::chart::{Chart, Line, Marker, Rule, SeriesKey, Stroke, TimeUnit, Timeseries, YClip};
use crate::error::ReportError;
use crate::format;
use crate::metric::Metric;
use crate::summary::Summary;

/// What every chart is built from.
pub struct Inputs<'a> {
    pub timeseries: &'a Timeseries<'a>,
    /// The pools table, grouped by (pool, region); `None` when the run's folder has none.
    pub pools: Option<&'a Timeseries<'a>>,
    /// The events table; `None` when the run's folder has none (the pods chart then has no
    /// markers).
    pub events: Option<&'a Table>,
    /// The VPA table, grouped by (service, region); `None` when the run has no VPA.
    pub vpa: Option<&'a Timeseries<'a>>,
    /// The Kueue queues table, grouped by (queue, region); `None` when the run has no queues.
    pub queues: Option<&'a Timeseries<'a>>,
    /// The forecast table (`time_s` the instant forecast), grouped by (policy, region);
    /// `None` when the run has no predictive policy.
    pub forecast: Option<&'a Timeseries<'a>>,
    pub summary: &'a Summary,
}

/// A chart's builder; `None` when the table it draws is absent.
pub type Build = fn(&Inputs) -> Result<Option<Chart>, ReportError>;

/// Every chart, in report order. The dropped-requests and backlog charts are drawn even when
/// flat at zero: a flat line is the evidence that nothing was dropped or queued, and every
/// report then has the same charts in the same places, so two reports compare side by side.
pub const CHARTS: [Build; 12] = [
    traffic,
    pods,
    latency,
    dropped,
    backlog,
    nodes,
    cost,
    vpa_cpu,
    vpa_memory,
    queues_chart,
    forecast_chart,
    budget_chart,
];

/// The events marked on the pods chart: pods removed by preemption or by a scale-down.
const MARKED_REASONS: [&str; 2] = ["Preempted", "Killing"];

/// The events marked on the nodes chart: the node autoscalers' decisions (scale-ups, and
/// scale-downs and consolidations), spot notices and reclaims, failed nodes: what made the
/// stack step up or down. The "Decisions" section of the page lists them with their messages.
const NODE_REASONS: [&str; 5] = [
    "TriggeredScaleUp",
    "ScaleDown",
    "NodeNotSchedulable",
    "SpotInterruption",
    "NodeNotReady",
];

/// Node events are counted per minute: a reclaim wave's notices, spread over its window,
/// make one marker per minute rather than one per node.
const NODE_MARKER_BUCKET_S: f64 = 60.0;

/// At most this many markers on a chart: the largest bursts, so labels stay legible.
pub const MAX_MARKERS: usize = 12;

fn traffic(i: &Inputs) -> Result<Option<Chart>, ReportError> {
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
    c.markers = recovery_markers(i.summary);
    if !c.markers.is_empty() {
        c.markers_meaning = "regional outage milestones";
    }
    Ok(Some(c))
}

/// The milestones of each regional outage (from the summary's recovery figures): down,
/// detected, clients moved (detection + routing), SLO restored; and the region's return.
fn recovery_markers(s: &Summary) -> Vec<Marker> {
    let Some(r) = &s.recovery else {
        return Vec::new();
    };
    let mut markers = Vec::new();
    for f in &r.failures {
        let mut at = |t_s: f64, what: &str| {
            markers.push(Marker {
                x: t_s / 3600.0,
                label: format!("{} {what}", f.region),
            });
        };
        at(f.failed_at_s, "down");
        if let Some(p) = &f.phases_s {
            if p.detection > 0.0 {
                at(f.failed_at_s + p.detection, "detected");
            }
            if p.routing > 0.0 {
                at(f.failed_at_s + p.detection + p.routing, "traffic moved");
            }
        }
        if let Some(rto) = f.rto_s {
            at(f.failed_at_s + rto, "SLO restored");
        }
        at(f.region_back_at_s, "back");
    }
    markers.sort_by(|a, b| a.x.total_cmp(&b.x));
    markers.truncate(MAX_MARKERS);
    markers
}

fn pods(i: &Inputs) -> Result<Option<Chart>, ReportError> {
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
    if let Some(events) = i.events {
        c.markers = event_markers(events, &MARKED_REASONS, 0.0)?;
        c.markers_meaning = "pods preempted or scaled down";
    }
    Ok(Some(c))
}

fn latency(i: &Inputs) -> Result<Option<Chart>, ReportError> {
    let mut c = blank(
        i,
        "latency",
        "Response time",
        "Percentiles at each sample instant, service by service; a red dashed line is a \
         target or gate, labelled with what it judges (the whole run's p99 is one figure over \
         every request, so samples may cross a line that the run as a whole meets).",
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
    c.y_clip = spike_clip(&c, "ms");
    Ok(Some(c))
}

/// A spike "dwarfs the rest" when the highest point is more than this many times the level
/// that matters: the higher of the 90th percentile of every point and the highest rule.
const SPIKE_RATIO: f64 = 10.0;

/// The cut axis goes up to this many times that level: the rules and the ordinary lines use
/// the plot's height, the spike runs along its top edge.
const CLIPPED_TOP_RATIO: f64 = 3.0;

/// A cut for `c` when one spike would squash every other line and the target into the
/// bottom few pixels; `None` otherwise. A log axis would show the spike too, but reads
/// wrongly at a glance (equal gaps for ×10 steps) for the one figure a reviewer checks
/// against a straight red line.
fn spike_clip(c: &Chart, unit: &str) -> Option<YClip> {
    let mut values: Vec<f64> = c
        .lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .filter(|y| y.is_finite())
        .collect();
    values.sort_by(f64::total_cmp);
    let q90 = *values.get(values.len() * 9 / 10)?;
    let level = c.rules.iter().map(|r| r.y).fold(q90, f64::max);
    let (line, &(x, peak)) = c
        .lines
        .iter()
        .flat_map(|l| l.points.iter().map(move |p| (l, p)))
        .filter(|(_, p)| p.1.is_finite())
        .max_by(|a, b| a.1.1.total_cmp(&b.1.1))?;
    if level <= 0.0 || peak <= SPIKE_RATIO * level {
        return None;
    }
    let key = &c.series[line.series];
    Some(YClip {
        top: CLIPPED_TOP_RATIO * level,
        x,
        note: format!(
            "▲ off scale: peak {} {unit} at {} {} ({}, {})",
            format::figure(peak),
            format::figure(x * c.x_unit.per_hour()),
            c.x_unit.name(),
            key.name,
            key.detail
        ),
    })
}

fn dropped(i: &Inputs) -> Result<Option<Chart>, ReportError> {
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
                fill: false,
            })
        })
        .collect::<Result<_, ReportError>>()?;
    Ok(Some(c))
}

fn backlog(i: &Inputs) -> Result<Option<Chart>, ReportError> {
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
    Ok(Some(c))
}

/// Nodes per pool, stacked: on-demand pools in the lower bands, spot pools above them, so the
/// top edge is the node count of the whole cluster and the spot share is the upper band.
fn nodes(i: &Inputs) -> Result<Option<Chart>, ReportError> {
    let Some(p) = i.pools else {
        return Ok(None);
    };
    let mut c = blank(
        i,
        "nodes",
        "Nodes per pool",
        "Stacked: on-demand pools in the lower bands, spot pools above; the top edge is the \
         cluster's node count.",
        "No node was running.",
        "nodes (stacked)",
    );
    c.series = pool_keys(p)?;
    c.strokes = vec![
        (Stroke::Solid, "on-demand pool"),
        (Stroke::Dashed, "spot pool"),
    ];
    let mut order = (0..p.keys.len())
        .map(|s| Ok((s, p.first_text(s, "capacity_type")? == "spot")))
        .collect::<Result<Vec<_>, ReportError>>()?;
    // Stable: on-demand first, each kind in the run's order of pools.
    order.sort_by_key(|&(_, spot)| spot);
    let mut running: BTreeMap<u64, f64> = BTreeMap::new();
    for (series, spot) in order {
        let stacked = p
            .samples(series, "nodes")?
            .into_iter()
            .map(|(t, v)| {
                let total = running.entry(t).or_insert(0.0);
                *total += v;
                (t, *total)
            })
            .collect();
        c.lines.push(Line {
            series,
            stroke: if spot { Stroke::Dashed } else { Stroke::Solid },
            points: line(stacked),
            fill: true,
        });
    }
    if let Some(events) = i.events {
        c.markers = event_markers(events, &NODE_REASONS, NODE_MARKER_BUCKET_S)?;
        if !c.markers.is_empty() {
            c.markers_meaning = "scale-ups/downs, spot, failures";
        }
    }
    Ok(Some(c))
}

/// What each pool has cost so far, and all pools together.
fn cost(i: &Inputs) -> Result<Option<Chart>, ReportError> {
    let Some(p) = i.pools else {
        return Ok(None);
    };
    let mut c = blank(
        i,
        "cost",
        "Cost so far",
        "Cumulative cost, billed per second: the steeper the line, the costlier that hour.",
        "Nothing was billed.",
        "cost so far (USD)",
    );
    c.series = pool_keys(p)?;
    c.series.push(SeriesKey {
        name: "all pools".into(),
        detail: "total".into(),
    });
    c.strokes = vec![(Stroke::Solid, "one pool"), (Stroke::Dashed, "all pools")];
    let mut total: BTreeMap<u64, f64> = BTreeMap::new();
    for series in 0..p.keys.len() {
        let samples = p.samples(series, "cost_usd")?;
        for &(t, v) in &samples {
            *total.entry(t).or_insert(0.0) += v;
        }
        c.lines.push(Line {
            series,
            stroke: Stroke::Solid,
            points: line(samples),
            fill: false,
        });
    }
    c.lines.push(Line {
        series: p.keys.len(),
        stroke: Stroke::Dashed,
        points: line(total.into_iter().collect()),
        fill: false,
    });
    Ok(Some(c))
}

/// The pools as series: the pool, then its region and capacity type.
fn pool_keys(p: &Timeseries) -> Result<Vec<SeriesKey>, ReportError> {
    p.keys
        .iter()
        .enumerate()
        .map(|(s, k)| {
            Ok(SeriesKey {
                name: k.name.clone(),
                detail: format!("{}, {}", k.detail, p.first_text(s, "capacity_type")?),
            })
        })
        .collect()
}

/// Per Kueue ClusterQueue: Jobs waiting (solid), admitted (dashed) and admitted by borrowing
/// (dotted).
fn queues_chart(i: &Inputs) -> Result<Option<Chart>, ReportError> {
    let Some(q) = i.queues else {
        return Ok(None);
    };
    let mut c = blank(
        i,
        "queues",
        "Queues: Jobs waiting and admitted",
        "Per ClusterQueue: Jobs waiting for quota (solid), holding it (dashed), and holding it \
         by borrowing from the cohort (dotted), which preemption may take back.",
        "No Job was queued.",
        "Jobs",
    );
    c.series = q.keys.clone();
    c.strokes = vec![
        (Stroke::Solid, "waiting"),
        (Stroke::Dashed, "admitted"),
        (Stroke::Dotted, "admitted by borrowing"),
    ];
    for series in 0..q.keys.len() {
        for (column, stroke) in [
            ("pending_jobs", Stroke::Solid),
            ("admitted_jobs", Stroke::Dashed),
            ("borrowing_jobs", Stroke::Dotted),
        ] {
            c.lines.push(Line {
                series,
                stroke,
                points: q.points(series, column)?,
                fill: false,
            });
        }
    }
    Ok(Some(c))
}

/// Each cost-aware policy's budget burn: its pools' cost so far (solid, from the pools table;
/// every pool for a policy on HPAs, whose `pools` are empty) against its budget spread evenly
/// over the run (dashed), the level at which only `low_share` of it is left (a reference line)
/// and the first sample at or above it (a marker). The policies read their spend at each
/// evaluation, so they may find the budget low up to a sample interval apart from the marker.
fn budget_chart(i: &Inputs) -> Result<Option<Chart>, ReportError> {
    let Some(p) = i.pools else {
        return Ok(None);
    };
    if i.summary.budgets.is_empty() {
        return Ok(None);
    }
    let mut c = blank(
        i,
        "budget",
        "Budget burn",
        "Per cost-aware policy: its pools' cost so far (solid) against its budget spent evenly \
         over the run (dashed); above the dashed line it spends faster than the budget allows, \
         and past the reference line it scales slower (and a node-pool policy on spot).",
        "Nothing was billed.",
        "cost so far (USD)",
    );
    c.series = i
        .summary
        .budgets
        .iter()
        .map(|b| SeriesKey {
            name: b.policy.clone(),
            detail: if b.pools.is_empty() {
                "every pool".to_owned()
            } else {
                format!("{}, {}", b.region, b.pools.join("+"))
            },
        })
        .collect();
    c.strokes = vec![
        (Stroke::Solid, "cost so far"),
        (Stroke::Dashed, "budget, spent evenly"),
    ];
    if i.summary
        .budgets
        .iter()
        .any(|b| b.budget_usd_per_hour.is_some())
    {
        c.strokes
            .push((Stroke::Dotted, "low level of a budget per hour"));
    }
    let end_h = i.summary.duration_s / 3600.0;
    for (series, b) in i.summary.budgets.iter().enumerate() {
        let mut cost: BTreeMap<u64, f64> = BTreeMap::new();
        for (k, key) in p.keys.iter().enumerate() {
            let counted =
                b.pools.is_empty() || (key.detail == b.region && b.pools.contains(&key.name));
            if counted {
                for (t, v) in p.samples(k, "cost_usd")? {
                    *cost.entry(t).or_insert(0.0) += v;
                }
            }
        }
        let low_usd = (1.0 - b.low_share) * b.budget_usd;
        // A rate's low level grows with the run: (1 − low_share) × rate × hours.
        let low_at = |t: u64| match b.budget_usd_per_hour {
            Some(rate) => (1.0 - b.low_share) * rate * t as f64 / 3600.0,
            None => low_usd,
        };
        if let Some((&t, _)) = cost
            .iter()
            .find(|&(&t, &v)| low_at(t) > 0.0 && v >= low_at(t))
        {
            let minutes = t / 60;
            c.markers.push(Marker {
                x: t as f64 / 3600.0,
                label: format!(
                    "+{}h{:02} {}: {:.0} % of {} left",
                    minutes / 60,
                    minutes % 60,
                    b.policy,
                    b.low_share * 100.0,
                    match b.budget_usd_per_hour {
                        Some(rate) => format!("${rate:.2}/h"),
                        None => format!("${:.2}", b.budget_usd),
                    }
                ),
            });
        }
        if b.budget_usd_per_hour.is_some() {
            c.lines.push(Line {
                series,
                stroke: Stroke::Dotted,
                points: vec![(0.0, 0.0), (end_h, low_usd)],
                fill: false,
            });
        } else {
            c.rules.push(Rule {
                y: low_usd,
                label: format!("{} low at ${low_usd:.2}", b.policy),
                judged: format!("the budget's low share, {:.0} % left", b.low_share * 100.0),
            });
        }
        c.lines.push(Line {
            series,
            stroke: Stroke::Solid,
            points: line(cost.into_iter().collect()),
            fill: false,
        });
        c.lines.push(Line {
            series,
            stroke: Stroke::Dashed,
            points: vec![(0.0, 0.0), (end_h, b.budget_usd)],
            fill: false,
        });
    }
    c.markers.sort_by(|a, b| a.x.total_cmp(&b.x));
    if !c.markers.is_empty() {
        c.markers_meaning = "budget low";
    }
    Ok(Some(c))
}

/// Each predictive policy's forecast against what happened, on the axis of the instant
/// forecast: the actual it observed then (solid), the Holt-Winters forecast made one lead time
/// earlier (dashed) and that forecast plus its headroom, what it provisioned for (dotted).
/// Where the solid line rises above the dotted one the headroom fell short.
fn forecast_chart(i: &Inputs) -> Result<Option<Chart>, ReportError> {
    let Some(f) = i.forecast else {
        return Ok(None);
    };
    let mut c = blank(
        i,
        "forecast",
        "Predictive policies: forecast vs actual",
        "Per policy, at the instant forecast: what it observed (solid), its forecast made one lead \
         time earlier (dashed), and forecast + headroom, what it provisioned for (dotted); the \
         headroom fell short where the solid line is above the dotted one.",
        "Every forecast and actual was zero.",
        "demand (unit in the legend)",
    );
    c.series = (0..f.keys.len())
        .map(|k| {
            let key = &f.keys[k];
            Ok(SeriesKey {
                name: key.name.clone(),
                detail: format!(
                    "{}, {} {}",
                    key.detail,
                    f.first_text(k, "target")?,
                    f.first_text(k, "unit")?
                ),
            })
        })
        .collect::<Result<_, ReportError>>()?;
    c.strokes = vec![
        (Stroke::Solid, "actual"),
        (Stroke::Dashed, "forecast (one lead time earlier)"),
        (Stroke::Dotted, "forecast + headroom"),
    ];
    for series in 0..f.keys.len() {
        for (column, stroke) in [
            ("actual", Stroke::Solid),
            ("forecast", Stroke::Dashed),
            ("provisioned", Stroke::Dotted),
        ] {
            let points = f
                .points(series, column)?
                .into_iter()
                .filter(|(_, y)| y.is_finite())
                .collect();
            c.lines.push(Line {
                series,
                stroke,
                points,
                fill: false,
            });
        }
    }
    Ok(Some(c))
}

/// A VPA's CPU: the pods' requests (the current template's), what a ready pod uses, and the
/// recommendation's target and range.
fn vpa_cpu(i: &Inputs) -> Result<Option<Chart>, ReportError> {
    let c = blank(
        i,
        "vpa-cpu",
        "VPA: CPU requests, use and recommendation",
        "New pods request what the solid line says; the dotted line is what a ready pod uses, \
         the dashed ones the VPA's target and its range (pods outside it are evicted).",
        "No VPA has recommended yet.",
        "CPU per pod (millicores)",
    );
    vpa_lines(i, c, "cpu")
}

/// The same for memory.
fn vpa_memory(i: &Inputs) -> Result<Option<Chart>, ReportError> {
    let c = blank(
        i,
        "vpa-memory",
        "VPA: memory requests, use and recommendation",
        "New pods request what the solid line says; the dotted line is what a ready pod uses, \
         the dashed ones the VPA's target and its range; an OOM kill raises the target.",
        "No VPA has recommended yet.",
        "memory per pod (MiB)",
    );
    vpa_lines(i, c, "memory")
}

/// The lines of a VPA chart of `resource` (`cpu`: millicores, `memory`: MiB), in the colour of
/// the service's series in the time series; rows before the first recommendation have no
/// target point.
fn vpa_lines(i: &Inputs, mut c: Chart, resource: &str) -> Result<Option<Chart>, ReportError> {
    let Some(v) = i.vpa else {
        return Ok(None);
    };
    let (suffix, scale, unit) = match resource {
        "cpu" => ("millicores", 1.0, "m"),
        _ => ("bytes", 1.0 / 1_048_576.0, "MiB"),
    };
    for (k, key) in v.keys.iter().enumerate() {
        let Some(series) = i.timeseries.keys.iter().position(|s| s == key) else {
            continue;
        };
        for (quantity, stroke) in [
            ("request", Stroke::Solid),
            ("usage", Stroke::Dotted),
            ("target", Stroke::Dashed),
            ("lower", Stroke::Dashed),
            ("upper", Stroke::Dashed),
        ] {
            let column = format!("{resource}_{quantity}_{suffix}");
            let points = v
                .points(k, &column)?
                .into_iter()
                .filter(|(_, y)| y.is_finite())
                .map(|(x, y)| (x, y * scale))
                .collect();
            c.lines.push(Line {
                series,
                stroke,
                points,
                fill: false,
            });
        }
    }
    c.strokes = vec![
        (Stroke::Solid, "request of new pods"),
        (Stroke::Dotted, "use per ready pod"),
        (Stroke::Dashed, "target, lower and upper bound"),
    ];
    // The upper bound starts near 10^14 (no history yet): cut the axis above the rest.
    c.y_clip = spike_clip(&c, unit);
    Ok(Some(c))
}

/// One marker per (instant, reason) of the events with one of `reasons`, labelled with the
/// simulated UTC time and the count ("06:00 Preempted ×10"); with a positive `bucket_s` the
/// instants are taken down to a multiple of it (the label names the bucket's first event).
/// Past [`MAX_MARKERS`], the largest bursts are kept (the earlier of equal ones).
fn event_markers(
    events: &Table,
    reasons: &[&str],
    bucket_s: f64,
) -> Result<Vec<Marker>, ReportError> {
    let times = f64_column(events, "time_s")?;
    let utc = text_column(events, "time_utc")?;
    let reason_column = text_column(events, "reason")?;
    let counts = u64_column(events, "count")?;
    // Keyed by the time's bits, which order as the times do for the non-negative times here.
    let mut bursts: BTreeMap<(u64, &str), (u64, &str)> = BTreeMap::new();
    for (((&t, reason), utc), &count) in times.iter().zip(reason_column).zip(utc).zip(counts) {
        if reasons.contains(&reason.as_str()) {
            let t = if bucket_s > 0.0 {
                (t / bucket_s).floor() * bucket_s
            } else {
                t
            };
            bursts.entry((t.to_bits(), reason)).or_insert((0, utc)).0 += count;
        }
    }
    let mut bursts: Vec<_> = bursts.into_iter().collect();
    if bursts.len() > MAX_MARKERS {
        bursts.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(&b.0)));
        bursts.truncate(MAX_MARKERS);
        bursts.sort_by(|a, b| a.0.cmp(&b.0));
    }
    Ok(bursts
        .into_iter()
        .map(|((bits, reason), (count, utc))| Marker {
            x: f64::from_bits(bits) / 3600.0,
            label: format!("{} {reason} ×{count}", utc.get(11..16).unwrap_or(utc)),
        })
        .collect())
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
    let x_unit = TimeUnit::for_run(i.summary.duration_s);
    Chart {
        id,
        title,
        experiment: i.summary.experiment.clone(),
        caption,
        zero_note,
        x_label: format!("{} since {}", x_unit.name(), i.summary.start),
        x_unit,
        y_label,
        series: i.timeseries.keys.clone(),
        strokes: Vec::new(),
        lines: Vec::new(),
        rules: Vec::new(),
        markers: Vec::new(),
        markers_meaning: "",
        y_clip: None,
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
                fill: false,
            });
        }
    }
    Ok(lines)
}

/// A reference line for each target and gate on one of `metrics`, labelled with what it
/// judges.
fn rules(s: &Summary, metrics: &[Metric]) -> Vec<Rule> {
    let named = |kind: &'static str| {
        move |c: &crate::check::Check| {
            metrics.iter().any(|m| m.name() == c.name).then(|| Rule {
                y: c.threshold,
                label: format!("{kind} {}", c.expression),
                judged: format::judged(c),
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
    use crate::summary::BudgetSummary;
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

    /// The VPA of `api` in us-east1 at 0 s (no recommendation yet) and 60 s: cpu request 2000m
    /// then 716m, use 600m, target 716m, range 682m to 10^14m; memory the same in bytes.
    pub fn vpa_table() -> Table {
        let names = ["request", "usage", "target", "lower", "upper"];
        let mut schema = vec![
            ("time_s", Kind::U64),
            ("region", Kind::Text),
            ("service", Kind::Text),
        ];
        let columns: Vec<String> = ["cpu_{}_millicores", "memory_{}_bytes"]
            .iter()
            .flat_map(|f| names.map(|n| f.replace("{}", n)))
            .collect();
        schema.extend(columns.iter().map(|c| (c.as_str(), Kind::F64)));
        let mut t = Table::new(&schema);
        let rows = [
            [2000.0, 0.0, f64::NAN, f64::NAN, f64::NAN],
            [716.0, 600.0, 716.0, 682.0, 1e14],
        ];
        for (time, cpu) in [0, 60].into_iter().zip(rows) {
            let mut row = vec![Cell::U64(time), Cell::Text("us-east1"), Cell::Text("api")];
            row.extend(cpu.iter().map(|&v| Cell::F64(v)));
            row.extend(cpu.iter().map(|&v| Cell::F64(v * 1_048_576.0)));
            t.push_row(&row);
        }
        t
    }

    /// Two pools over two instants: `od` on-demand with 3 nodes, `sp` spot with 2, listed spot
    /// first so that the stack's order is not the table's. Cost so far: `od` 1 then 2, `sp` 0.5
    /// then 1.
    pub fn pools_table(od: &str) -> Table {
        let mut t = Table::new(&[
            ("time_s", Kind::U64),
            ("region", Kind::Text),
            ("pool", Kind::Text),
            ("capacity_type", Kind::Text),
            ("nodes", Kind::U64),
            ("cost_usd", Kind::F64),
        ]);
        for (time, k) in [(0, 1.0), (60, 2.0)] {
            for (pool, capacity, nodes, cost) in
                [("sp", "spot", 2, 0.5 * k), (od, "on-demand", 3, k)]
            {
                t.push_row(&[
                    Cell::U64(time),
                    Cell::Text("us-east1"),
                    Cell::Text(pool),
                    Cell::Text(capacity),
                    Cell::U64(nodes),
                    Cell::F64(cost),
                ]);
            }
        }
        t
    }

    /// Events at 06:00 (ten preemptions, one failed scheduling) and 12:00 (three deletions:
    /// one event of count 2 and one of count 1).
    pub fn events_table() -> Table {
        let rows = std::iter::repeat_n((21_600.0, "2026-11-27T06:00:00Z", "Preempted", 1), 10)
            .chain([(21_600.0, "2026-11-27T06:00:00Z", "FailedScheduling", 1)])
            .chain([
                (43_200.0, "2026-11-27T12:00:00Z", "Killing", 2),
                (43_200.0, "2026-11-27T12:00:00Z", "Killing", 1),
            ]);
        let rows: Vec<Event> = rows
            .map(|(time, utc, reason, count)| {
                (time, utc, reason, "pod/api-us-east1-3", "an <event>", count)
            })
            .collect();
        events_of(&rows)
    }

    /// An event row: time (s), time (UTC), reason, object, message, count.
    pub type Event<'a> = (f64, &'a str, &'a str, &'a str, &'a str, u64);

    /// An events table of `rows`.
    pub fn events_of(rows: &[Event]) -> Table {
        let mut t = Table::new(&[
            ("time_s", Kind::F64),
            ("time_utc", Kind::Text),
            ("reason", Kind::Text),
            ("object", Kind::Text),
            ("message", Kind::Text),
            ("count", Kind::U64),
        ]);
        for &(time, utc, reason, object, message, count) in rows {
            t.push_row(&[
                Cell::F64(time),
                Cell::Text(utc),
                Cell::Text(reason),
                Cell::Text(object),
                Cell::Text(message),
                Cell::U64(count),
            ]);
        }
        t
    }

    /// Every chart of `t`, `pools` and `events`.
    fn build(t: &Table, pools: Option<&Table>, events: Option<&Table>) -> Vec<Chart> {
        let ts = Timeseries::new(t).unwrap();
        let pools = pools.map(|p| Timeseries::grouped(p, "pool").unwrap());
        let summary = example();
        let inputs = Inputs {
            timeseries: &ts,
            pools: pools.as_ref(),
            events,
            vpa: None,
            queues: None,
            forecast: None,
            summary: &summary,
        };
        CHARTS.iter().filter_map(|b| b(&inputs).unwrap()).collect()
    }

    #[test]
    fn a_vpa_chart_draws_request_use_and_recommendation_in_the_service_colour() {
        let (t, v) = (table(), vpa_table());
        let ts = Timeseries::new(&t).unwrap();
        let vpa = Timeseries::new(&v).unwrap();
        let summary = example();
        let inputs = Inputs {
            timeseries: &ts,
            pools: None,
            events: None,
            vpa: Some(&vpa),
            queues: None,
            forecast: None,
            summary: &summary,
        };
        let c = vpa_memory(&inputs).unwrap().unwrap();
        assert_eq!(c.id, "vpa-memory");
        assert_eq!(c.lines.len(), 5);
        assert!(c.lines.iter().all(|l| l.series == 0));
        // In MiB; the target has no point before the first recommendation.
        assert_eq!(c.lines[0].points, [(0.0, 2000.0), (60.0 / 3600.0, 716.0)]);
        assert_eq!(c.lines[2].points, [(60.0 / 3600.0, 716.0)]);
        let without = Inputs {
            vpa: None,
            ..inputs
        };
        assert!(vpa_cpu(&without).unwrap().is_none());
    }

    #[test]
    fn the_forecast_chart_draws_actual_forecast_and_headroom_per_policy_at_the_instant_forecast() {
        // Policy `p` on api in us-east1 (rps): at 120 s the forecast made at 60 s was 30 with
        // headroom 5 and the actual 33; at 180 s it had no actual yet (NaN, no point).
        let mut f = Table::new(&[
            ("time_s", Kind::U64),
            ("region", Kind::Text),
            ("policy", Kind::Text),
            ("target", Kind::Text),
            ("unit", Kind::Text),
            ("forecast", Kind::F64),
            ("provisioned", Kind::F64),
            ("actual", Kind::F64),
        ]);
        for (time, forecast, actual) in [(120, 30.0, 33.0), (180, 40.0, f64::NAN)] {
            f.push_row(&[
                Cell::U64(time),
                Cell::Text("us-east1"),
                Cell::Text("p"),
                Cell::Text("api"),
                Cell::Text("rps"),
                Cell::F64(forecast),
                Cell::F64(forecast + 5.0),
                Cell::F64(actual),
            ]);
        }
        let t = table();
        let ts = Timeseries::new(&t).unwrap();
        let forecast = Timeseries::grouped(&f, "policy").unwrap();
        let summary = example();
        let inputs = Inputs {
            timeseries: &ts,
            pools: None,
            events: None,
            vpa: None,
            queues: None,
            forecast: Some(&forecast),
            summary: &summary,
        };
        let c = forecast_chart(&inputs).unwrap().unwrap();
        assert_eq!(c.id, "forecast");
        assert_eq!(c.series.len(), 1);
        assert_eq!(c.series[0].name, "p");
        assert_eq!(c.series[0].detail, "us-east1, api rps");
        let h = |s: f64| s / 3600.0;
        let of = |stroke| {
            c.lines
                .iter()
                .find(|l| l.stroke == stroke)
                .map(|l| l.points.clone())
                .unwrap()
        };
        assert_eq!(of(Stroke::Solid), [(h(120.0), 33.0)]);
        assert_eq!(of(Stroke::Dashed), [(h(120.0), 30.0), (h(180.0), 40.0)]);
        assert_eq!(of(Stroke::Dotted), [(h(120.0), 35.0), (h(180.0), 45.0)]);
        let without = Inputs {
            forecast: None,
            ..inputs
        };
        assert!(forecast_chart(&without).unwrap().is_none());
    }

    #[test]
    fn the_budget_chart_sums_a_policys_pools_against_its_budget_and_marks_the_low_crossing() {
        // Pools `sp` ($0.5 then $1) and `od` ($1 then $2) at 0 and 60 s. Policy `both` counts
        // both, $1.5 then $3, against $4 with 30 % low: low at $2.8, crossed at 60 s. Policy
        // `spot` counts `sp` only against $10: low at $7, never crossed.
        let t = table();
        let ts = Timeseries::new(&t).unwrap();
        let pools = pools_table("od");
        let p = Timeseries::grouped(&pools, "pool").unwrap();
        let mut summary = example();
        let budget = |policy: &str, pools: &[&str], budget_usd| BudgetSummary {
            policy: policy.into(),
            region: "us-east1".into(),
            pools: pools.iter().map(|s| s.to_string()).collect(),
            budget_usd,
            budget_usd_per_hour: None,
            low_share: 0.3,
        };
        // Policy `rate` (a cost-aware HPA policy: every pool) has $120 an hour, $240 over the
        // two hours: $2 budgeted by 60 s, low at 0.7 × 2 = $1.4, crossed at 60 s ($3 spent);
        // at 0 s nothing is budgeted yet.
        let rate = BudgetSummary {
            policy: "rate".into(),
            region: String::new(),
            pools: Vec::new(),
            budget_usd: 240.0,
            budget_usd_per_hour: Some(120.0),
            low_share: 0.3,
        };
        summary.budgets = vec![
            budget("both", &["sp", "od"], 4.0),
            budget("spot", &["sp"], 10.0),
            rate,
        ];
        let inputs = Inputs {
            timeseries: &ts,
            pools: Some(&p),
            events: None,
            vpa: None,
            queues: None,
            forecast: None,
            summary: &summary,
        };
        let c = budget_chart(&inputs).unwrap().unwrap();
        assert_eq!(c.id, "budget");
        assert_eq!(c.series.len(), 3);
        let h = 60.0 / 3600.0;
        assert_eq!(c.lines[0].points, [(0.0, 1.5), (h, 3.0)]);
        // The budget spread over the example's two hours.
        assert_eq!(c.lines[1].points, [(0.0, 0.0), (2.0, 4.0)]);
        assert_eq!(c.lines[2].points, [(0.0, 0.5), (h, 1.0)]);
        assert_eq!(c.lines[3].points, [(0.0, 0.0), (2.0, 10.0)]);
        // The rate: every pool's cost, its budget, and its low level (dotted) rising to 0.7 ×
        // $240 = $168 at the end.
        assert_eq!(c.lines[4].stroke, Stroke::Dotted);
        assert!((c.lines[4].points[1].1 - 168.0).abs() < 1e-9);
        assert_eq!(c.lines[5].points, [(0.0, 1.5), (h, 3.0)]);
        assert_eq!(c.lines[6].points, [(0.0, 0.0), (2.0, 240.0)]);
        assert_eq!(c.markers.len(), 2);
        assert_eq!((c.markers[0].x, c.markers[1].x), (h, h));
        assert_eq!(c.markers[0].label, "+0h01 both: 30 % of $4.00 left");
        assert_eq!(c.markers[1].label, "+0h01 rate: 30 % of $120.00/h left");
        let ys: Vec<f64> = c.rules.iter().map(|r| r.y).collect();
        assert_eq!(ys.len(), 2, "a rate has no level rule");
        assert!((ys[0] - 2.8).abs() < 1e-12 && (ys[1] - 7.0).abs() < 1e-12);
        let bare = example();
        let without = Inputs {
            summary: &bare,
            ..inputs
        };
        assert!(budget_chart(&without).unwrap().is_none());
    }

    #[test]
    fn the_queues_chart_draws_waiting_admitted_and_borrowing_per_queue() {
        // Two queues at 0 and 60 s: team-a waits 2 then 0 Jobs, holds 1 then 3 (2 borrowed);
        // team-b holds 1 then 1.
        let mut q = Table::new(&[
            ("time_s", Kind::U64),
            ("region", Kind::Text),
            ("queue", Kind::Text),
            ("pending_jobs", Kind::U64),
            ("admitted_jobs", Kind::U64),
            ("borrowing_jobs", Kind::U64),
        ]);
        for (time, a) in [(0, [2, 1, 0]), (60, [0, 3, 2])] {
            for (name, [p, ad, b]) in [("team-a", a), ("team-b", [0, 1, 0])] {
                q.push_row(&[
                    Cell::U64(time),
                    Cell::Text("us-east1"),
                    Cell::Text(name),
                    Cell::U64(p),
                    Cell::U64(ad),
                    Cell::U64(b),
                ]);
            }
        }
        let t = table();
        let ts = Timeseries::new(&t).unwrap();
        let queues = Timeseries::grouped(&q, "queue").unwrap();
        let summary = example();
        let inputs = Inputs {
            timeseries: &ts,
            pools: None,
            events: None,
            vpa: None,
            queues: Some(&queues),
            forecast: None,
            summary: &summary,
        };
        let c = queues_chart(&inputs).unwrap().unwrap();
        assert_eq!(c.id, "queues");
        let names: Vec<&str> = c.series.iter().map(|k| &*k.name).collect();
        assert_eq!(names, ["team-a", "team-b"]);
        // Three lines per queue, in stroke order.
        assert_eq!(c.lines.len(), 6);
        assert_eq!(c.lines[0].points, [(0.0, 2.0), (60.0 / 3600.0, 0.0)]);
        assert_eq!(c.lines[2].stroke, Stroke::Dotted);
        assert_eq!(c.lines[2].points, [(0.0, 0.0), (60.0 / 3600.0, 2.0)]);
        let without = Inputs {
            queues: None,
            forecast: None,
            ..inputs
        };
        assert!(queues_chart(&without).unwrap().is_none());
    }

    #[test]
    fn every_chart_builds_with_a_line_per_quantity_and_series() {
        let t = table();
        let charts = build(&t, None, None);
        let ids: Vec<_> = charts.iter().map(|c| c.id).collect();
        // Without a pools table, no nodes or cost chart.
        assert_eq!(ids, ["traffic", "pods", "latency", "dropped", "backlog"]);
        for c in &charts {
            assert_eq!(c.lines.len(), c.strokes.len(), "{}", c.id);
            // The example runs 2 h: minutes on the axis.
            assert_eq!(c.x_label, "minutes since 2026-11-27T00:00:00Z");
            assert_eq!(c.x_unit, TimeUnit::Minutes);
            assert!(c.markers.is_empty() && c.lines.iter().all(|l| !l.fill));
        }
        // The example's target, as a red line on the latency chart only.
        assert_eq!(
            charts[2].rules,
            [Rule {
                y: 100.0,
                label: "target p99_latency_ms<=100".into(),
                judged: "whole-run p99".into(),
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
    fn runs_up_to_three_hours_are_charted_in_minutes() {
        assert_eq!(TimeUnit::for_run(3.0 * 3600.0), TimeUnit::Minutes);
        assert_eq!(TimeUnit::for_run(3.0 * 3600.0 + 1.0), TimeUnit::Hours);
        let t = table();
        let ts = Timeseries::new(&t).unwrap();
        let summary = Summary {
            duration_s: 86_400.0,
            ..example()
        };
        let inputs = Inputs {
            timeseries: &ts,
            pools: None,
            events: None,
            vpa: None,
            queues: None,
            forecast: None,
            summary: &summary,
        };
        let c = traffic(&inputs).unwrap().unwrap();
        assert_eq!(c.x_label, "hours since 2026-11-27T00:00:00Z");
        assert_eq!(c.x_unit, TimeUnit::Hours);
    }

    #[test]
    fn nodes_stack_on_demand_under_spot() {
        let (t, p) = (table(), pools_table("od"));
        let charts = build(&t, Some(&p), None);
        let ids: Vec<_> = charts.iter().map(|c| c.id).collect();
        assert_eq!(
            ids,
            [
                "traffic", "pods", "latency", "dropped", "backlog", "nodes", "cost"
            ]
        );
        let nodes = &charts[5];
        let names: Vec<_> = nodes
            .series
            .iter()
            .map(|k| (&*k.name, &*k.detail))
            .collect();
        assert_eq!(
            names,
            [("sp", "us-east1, spot"), ("od", "us-east1, on-demand")]
        );
        // On-demand (series 1) at the bottom at 3, spot (series 0) stacked on it: the top at 5.
        let h = 60.0 / 3600.0;
        assert_eq!(
            nodes.lines,
            [
                Line {
                    series: 1,
                    stroke: Stroke::Solid,
                    points: vec![(0.0, 3.0), (h, 3.0)],
                    fill: true,
                },
                Line {
                    series: 0,
                    stroke: Stroke::Dashed,
                    points: vec![(0.0, 5.0), (h, 5.0)],
                    fill: true,
                },
            ]
        );
    }

    #[test]
    fn cost_has_a_line_per_pool_and_the_total() {
        let (t, p) = (table(), pools_table("od"));
        let cost = build(&t, Some(&p), None).pop().unwrap();
        assert_eq!(cost.id, "cost");
        assert_eq!(cost.series.len(), 3);
        assert_eq!(cost.series[2].name, "all pools");
        let h = 60.0 / 3600.0;
        let points: Vec<_> = cost
            .lines
            .iter()
            .map(|l| (l.series, &l.points[..]))
            .collect();
        assert_eq!(
            points,
            [
                (0, &[(0.0, 0.5), (h, 1.0)][..]),
                (1, &[(0.0, 1.0), (h, 2.0)][..]),
                (2, &[(0.0, 1.5), (h, 3.0)][..]),
            ]
        );
        assert_eq!(cost.lines[2].stroke, Stroke::Dashed);
    }

    #[test]
    fn preemption_and_deletion_bursts_mark_the_pods_chart() {
        let (t, e) = (table(), events_table());
        let pods = &build(&t, None, Some(&e))[1];
        assert_eq!(pods.id, "pods");
        assert_eq!(
            pods.markers,
            [
                Marker {
                    x: 6.0,
                    label: "06:00 Preempted ×10".into()
                },
                Marker {
                    x: 12.0,
                    label: "12:00 Killing ×3".into()
                },
            ]
        );
        // Only the pods chart has markers.
        assert!(
            build(&t, None, Some(&e))
                .iter()
                .filter(|c| c.id != "pods")
                .all(|c| c.markers.is_empty())
        );
    }

    #[test]
    fn node_scale_ups_and_downs_mark_the_nodes_chart() {
        let mut e = Table::new(&[
            ("time_s", Kind::F64),
            ("time_utc", Kind::Text),
            ("reason", Kind::Text),
            ("count", Kind::U64),
        ]);
        // A scale-up at 01:00, two scale-downs within the minute after 02:00 (one marker),
        // and a pod deletion, which is the pods chart's.
        for (time, utc, reason) in [
            (3600.0, "2026-11-27T01:00:00Z", "TriggeredScaleUp"),
            (7200.0, "2026-11-27T02:00:00Z", "ScaleDown"),
            (7230.0, "2026-11-27T02:00:30Z", "ScaleDown"),
            (7300.0, "2026-11-27T02:01:40Z", "Killing"),
        ] {
            e.push_row(&[
                Cell::F64(time),
                Cell::Text(utc),
                Cell::Text(reason),
                Cell::U64(1),
            ]);
        }
        let (t, p) = (table(), pools_table("od"));
        let nodes = build(&t, Some(&p), Some(&e)).remove(5);
        assert_eq!(nodes.id, "nodes");
        assert_eq!(
            nodes.markers,
            [
                Marker {
                    x: 1.0,
                    label: "01:00 TriggeredScaleUp ×1".into()
                },
                Marker {
                    x: 2.0,
                    label: "02:00 ScaleDown ×2".into()
                },
            ]
        );
        assert_eq!(nodes.markers_meaning, "scale-ups/downs, spot, failures");
    }

    #[test]
    fn past_the_limit_the_largest_bursts_are_marked() {
        let mut e = Table::new(&[
            ("time_s", Kind::F64),
            ("time_utc", Kind::Text),
            ("reason", Kind::Text),
            ("count", Kind::U64),
        ]);
        // Burst k at k minutes has k + 1 deletions, so the last MAX_MARKERS are the largest.
        let bursts = MAX_MARKERS + 5;
        for k in 0..bursts {
            e.push_row(&[
                Cell::F64(60.0 * k as f64),
                Cell::Text("2026-11-27T00:00:00Z"),
                Cell::Text("Killing"),
                Cell::U64(k as u64 + 1),
            ]);
        }
        let markers = event_markers(&e, &MARKED_REASONS, 0.0).unwrap();
        assert_eq!(markers.len(), MAX_MARKERS);
        assert_eq!(markers[0].x, 60.0 * 5.0 / 3600.0);
        assert!(markers[0].label.ends_with("Killing ×6"));
        assert!(markers.windows(2).all(|w| w[0].x < w[1].x));
    }

    #[test]
    fn a_spike_that_dwarfs_the_rest_cuts_the_latency_axis_above_the_target() {
        let t = table();
        let mut c = build(&t, None, None).remove(2);
        assert_eq!(c.id, "latency");
        // Ordinary: points at 0 and 60 ms under a 100 ms target.
        assert_eq!(spike_clip(&c, "ms"), None);
        // One 30 s point among 20 ms ones: the level is the target (100 ms), the top 300 ms.
        c.lines[0].points = (0..100).map(|k| (k as f64 / 60.0, 20.0)).collect();
        c.lines[0].points[45].1 = 30_000.0;
        let clip = spike_clip(&c, "ms").unwrap();
        assert_eq!(clip.top, 300.0);
        assert_eq!(clip.x, 0.75);
        assert_eq!(
            clip.note,
            "▲ off scale: peak 30,000 ms at 45 minutes (api, us-east1)"
        );
        // Ten times the level is not yet a spike.
        c.lines[0].points[45].1 = 1_000.0;
        assert_eq!(spike_clip(&c, "ms"), None);
    }

    #[test]
    fn a_chart_of_zeros_is_flat() {
        let t = table();
        let mut c = build(&t, None, None).remove(3);
        assert_eq!(c.id, "dropped");
        for p in &mut c.lines[0].points {
            p.1 = 0.0;
        }
        assert!(c.is_flat_zero());
    }
}

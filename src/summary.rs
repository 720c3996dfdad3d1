//! `summary.json`: the figures a CI gate or a sweep compares, with the targets beside them.
//!
//! Latency figures are request-weighted over the whole run (every served request counts once),
//! read from the run's latency histogram, so they are exact to within half a histogram bucket
//! (±3.7 %). SLO attainment is exact: the share of arrived requests served within the p99
//! target, dropped requests counting as misses.

use models::latency::{Counts, Histogram};
use models::run::RunOutput;
use serde::Serialize;
use sim::recorder::Values;

use crate::experiment::Experiment;

/// Version of this file's layout; bumped when a field changes meaning or goes away.
const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct Summary {
    pub schema_version: u32,
    pub experiment: String,
    pub seed: u64,
    pub start: String,
    pub duration_s: f64,
    /// Whether every target passed (true when there is none).
    pub pass: bool,
    pub targets: Vec<TargetResult>,
    pub requests: Requests,
    pub latency_ms: Option<Quantiles>,
    /// The highest p99 seen at any sample instant, for spotting short spikes.
    pub worst_sample_p99_ms: Option<f64>,
    pub slo_attainment: Option<f64>,
    pub cost_usd: f64,
    pub node_hours: f64,
    pub pools: Vec<PoolSummary>,
    pub services: Vec<ServiceSummary>,
}

#[derive(Debug, Serialize)]
pub struct TargetResult {
    pub name: &'static str,
    pub target: f64,
    /// `None` when the run gave nothing to measure (no request was served).
    pub actual: Option<f64>,
    pub pass: bool,
}

#[derive(Debug, Serialize)]
pub struct Requests {
    pub arrived: f64,
    pub served: f64,
    pub dropped: f64,
}

#[derive(Debug, Serialize)]
pub struct Quantiles {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
}

#[derive(Debug, Serialize)]
pub struct PoolSummary {
    pub pool: String,
    pub region: String,
    pub instance_type: String,
    pub capacity_type: String,
    pub nodes: u32,
    pub node_hours: f64,
    pub cost_usd: f64,
}

#[derive(Debug, Serialize)]
pub struct ServiceSummary {
    pub service: String,
    pub region: String,
    pub requests: Requests,
    pub latency_ms: Option<Quantiles>,
    pub slo_attainment: Option<f64>,
}

fn quantiles_ms(h: &Histogram) -> Option<Quantiles> {
    Some(Quantiles {
        p50: h.quantile_s(0.50)? * 1e3,
        p95: h.quantile_s(0.95)? * 1e3,
        p99: h.quantile_s(0.99)? * 1e3,
    })
}

fn requests(c: &Counts) -> Requests {
    Requests {
        arrived: c.arrived,
        served: c.served,
        dropped: c.dropped,
    }
}

fn attainment(c: &Counts, has_target: bool) -> Option<f64> {
    (has_target && c.arrived > 0.0).then(|| c.within_target / c.arrived)
}

/// Builds the summary of a finished run.
pub fn summarize(x: &Experiment, seed: u64, out: &RunOutput) -> Summary {
    let has_target = x.targets.p99_latency.is_some();
    let mut all = Histogram::default();
    let mut total = Counts::default();
    let services = out
        .services
        .iter()
        .map(|s| {
            all.merge(&s.histogram);
            total.arrived += s.total.arrived;
            total.served += s.total.served;
            total.dropped += s.total.dropped;
            total.within_target += s.total.within_target;
            ServiceSummary {
                service: s.service.clone(),
                region: s.region.clone(),
                requests: requests(&s.total),
                latency_ms: quantiles_ms(&s.histogram),
                slo_attainment: attainment(&s.total, has_target),
            }
        })
        .collect();
    let latency_ms = quantiles_ms(&all);

    let mut targets = Vec::new();
    if let Some(t) = x.targets.p99_latency {
        let target = t.as_secs_f64() * 1e3;
        let actual = latency_ms.as_ref().map(|q| q.p99);
        targets.push(TargetResult {
            name: "p99_latency_ms",
            target,
            actual,
            pass: actual.is_some_and(|a| a <= target),
        });
    }

    let worst_sample_p99_ms = match out.timeseries.column("latency_p99_ms") {
        Some(Values::F64(v)) => v.iter().copied().reduce(f64::max),
        _ => None,
    };
    Summary {
        schema_version: SCHEMA_VERSION,
        experiment: x.name.clone(),
        seed,
        start: x.start.to_string(),
        duration_s: x.duration.as_secs_f64(),
        pass: targets.iter().all(|t| t.pass),
        targets,
        requests: requests(&total),
        latency_ms,
        worst_sample_p99_ms,
        slo_attainment: attainment(&total, has_target),
        cost_usd: out.pools.iter().map(|p| p.cost_usd).sum(),
        node_hours: out.pools.iter().map(|p| p.node_hours).sum(),
        pools: out
            .pools
            .iter()
            .map(|p| PoolSummary {
                pool: p.pool.clone(),
                region: p.region.clone(),
                instance_type: p.instance_type.clone(),
                capacity_type: format!("{:?}", p.capacity_type),
                nodes: p.nodes,
                node_hours: p.node_hours,
                cost_usd: p.cost_usd,
            })
            .collect(),
        services,
    }
}

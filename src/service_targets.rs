//! Judging a service's own `targets` (issue 17): a run-wide p99 can pass while one service sits
//! above its line all day, so each service with targets is judged for each of its regions and,
//! when it is declared once, over all its regions together.
//!
//! Figures are the run's, restricted to the scope: p99 from the merged latency histogram of its
//! served requests (exact to half a bucket, ±3.7 %), SLO attainment = requests served within the
//! service's p99 target (its own, else the run's) ÷ arrived, dropped requests counting as
//! misses, and dropped share = dropped ÷ arrived. A figure the run could not measure (no request
//! served) fails, as a gate's does.

use models::cluster::ServiceReport;
use models::config::ServiceTargets;
use models::latency::Histogram;
use reports::{Check, Gate, Metric, Op, ServiceSummary, Summary};
use sim::time::SimDuration;

use crate::input::Experiment;

/// The gates a p99 target and an SLO-attainment target amount to (the run's and a service's
/// alike): the p99 a ceiling (`<=`: a run exactly at its target meets it), attainment a floor.
pub fn latency_gates(p99_latency: Option<SimDuration>, slo_attainment: Option<f64>) -> Vec<Gate> {
    let mut gates = Vec::new();
    if let Some(p99) = p99_latency {
        gates.push(Gate::new(
            Metric::P99LatencyMs,
            Op::Le,
            p99.as_secs_f64() * 1e3,
        ));
    }
    if let Some(a) = slo_attainment {
        gates.push(Gate::new(Metric::SloAttainment, Op::Ge, a));
    }
    gates
}

/// The gates one service's targets amount to, in the fields' order.
fn gates(t: &ServiceTargets) -> Vec<Gate> {
    let mut gates = latency_gates(t.p99_latency, t.slo_attainment);
    if let Some(d) = t.max_dropped_share {
        gates.push(Gate::new(Metric::DroppedShare, Op::Le, d));
    }
    gates
}

/// The p99 (ms) of the requests served in `regions` of `service`, from their merged histograms.
fn p99_ms(reports: &[ServiceReport], service: &str, regions: &[&str]) -> Option<f64> {
    let mut merged = Histogram::default();
    for r in reports
        .iter()
        .filter(|r| r.service == service && regions.contains(&r.region.as_str()))
    {
        merged.merge(&r.histogram);
    }
    Some(merged.quantile_s(0.99)? * 1e3)
}

/// Every service entry's targets judged on each of its regions and, for a service declared
/// once, on the service as a whole; in the experiment's order, the whole service first.
pub fn judge(x: &Experiment, reports: &[ServiceReport], summary: &Summary) -> Vec<Check> {
    let mut checks = Vec::new();
    for s in &x.services {
        let Some(targets) = &s.targets else { continue };
        let regions: Vec<&str> = summary
            .services
            .iter()
            .filter(|v| v.service == s.name)
            .map(|v| v.region.as_str())
            .filter(|r| {
                s.regions
                    .as_ref()
                    .is_none_or(|rs| rs.iter().any(|x| x == r))
            })
            .collect();
        let declared_once = x.services.iter().filter(|o| o.name == s.name).count() == 1;
        let mut scopes: Vec<(String, Vec<&str>)> = Vec::new();
        if declared_once && regions.len() > 1 {
            scopes.push((s.name.clone(), regions.clone()));
        }
        scopes.extend(
            regions
                .iter()
                .map(|r| (format!("{}/{r}", s.name), vec![*r])),
        );
        for (scope, in_scope) in &scopes {
            for gate in gates(targets) {
                let rows: Vec<&ServiceSummary> = summary
                    .services
                    .iter()
                    .filter(|v| v.service == s.name && in_scope.contains(&v.region.as_str()))
                    .collect();
                let actual = match gate.metric {
                    Metric::P99LatencyMs => p99_ms(reports, &s.name, in_scope),
                    metric => metric.scope_value(&rows),
                };
                checks.push(gate.judge(actual).scoped(scope.clone()));
            }
        }
    }
    checks
}

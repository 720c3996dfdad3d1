//! The numeric figures of a summary by name: what a `--gate` expression or a target judges.
//!
//! Names carry their unit (`p99_latency_ms`, `cost_usd`), so a gate reads as plain arithmetic
//! (`p99_latency_ms<100`) and needs no unit syntax. A new summary figure becomes gateable by
//! one variant here.

use crate::summary::Summary;

/// A numeric figure of [`Summary`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    P50LatencyMs,
    P95LatencyMs,
    P99LatencyMs,
    WorstSampleP99Ms,
    SloAttainment,
    CostUsd,
    NodeHours,
    RequestsArrived,
    RequestsServed,
    RequestsDropped,
    RpoS,
    RtoS,
}

impl Metric {
    /// Every metric, in the order `--help` and the README list them.
    pub const ALL: [Metric; 12] = [
        Metric::P50LatencyMs,
        Metric::P95LatencyMs,
        Metric::P99LatencyMs,
        Metric::WorstSampleP99Ms,
        Metric::SloAttainment,
        Metric::CostUsd,
        Metric::NodeHours,
        Metric::RequestsArrived,
        Metric::RequestsServed,
        Metric::RequestsDropped,
        Metric::RpoS,
        Metric::RtoS,
    ];

    /// The name used in gate expressions and in `summary.json`'s checks.
    pub fn name(self) -> &'static str {
        match self {
            Metric::P50LatencyMs => "p50_latency_ms",
            Metric::P95LatencyMs => "p95_latency_ms",
            Metric::P99LatencyMs => "p99_latency_ms",
            Metric::WorstSampleP99Ms => "worst_sample_p99_ms",
            Metric::SloAttainment => "slo_attainment",
            Metric::CostUsd => "cost_usd",
            Metric::NodeHours => "node_hours",
            Metric::RequestsArrived => "requests_arrived",
            Metric::RequestsServed => "requests_served",
            Metric::RequestsDropped => "requests_dropped",
            Metric::RpoS => "rpo_s",
            Metric::RtoS => "rto_s",
        }
    }

    /// One line for `--help`.
    pub fn description(self) -> &'static str {
        match self {
            Metric::P50LatencyMs => "median response time of all served requests (ms)",
            Metric::P95LatencyMs => "95th percentile response time of all served requests (ms)",
            Metric::P99LatencyMs => "99th percentile response time of all served requests (ms)",
            Metric::WorstSampleP99Ms => "highest p99 at any sample instant, any service (ms)",
            Metric::SloAttainment => {
                "share of arrived requests served within the p99 latency target (0 to 1)"
            }
            Metric::CostUsd => "cost of every node pool over the run (USD)",
            Metric::NodeHours => "node-hours of every node pool over the run",
            Metric::RequestsArrived => "requests that arrived",
            Metric::RequestsServed => "requests served",
            Metric::RequestsDropped => "requests dropped after queueing past their timeout",
            Metric::RpoS => {
                "replication lag lost when the replication primary failed, worst outage (s)"
            }
            Metric::RtoS => {
                "regional outage to SLO restored, worst outage; none if not restored (s)"
            }
        }
    }

    /// The unit the report prints after a value of this metric (empty for a plain number).
    pub fn unit(self) -> &'static str {
        match self {
            Metric::P50LatencyMs
            | Metric::P95LatencyMs
            | Metric::P99LatencyMs
            | Metric::WorstSampleP99Ms => "ms",
            Metric::CostUsd => "USD",
            Metric::NodeHours => "node-hours",
            Metric::RequestsArrived | Metric::RequestsServed | Metric::RequestsDropped => {
                "requests"
            }
            Metric::SloAttainment => "",
            Metric::RpoS | Metric::RtoS => "s",
        }
    }

    /// The metric with this name, if any.
    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Its value in `s`; `None` when the run gave nothing to measure (no served request has no
    /// latency; without a p99 target there is no SLO attainment).
    pub fn value(self, s: &Summary) -> Option<f64> {
        match self {
            Metric::P50LatencyMs => s.latency_ms.as_ref().map(|q| q.p50),
            Metric::P95LatencyMs => s.latency_ms.as_ref().map(|q| q.p95),
            Metric::P99LatencyMs => s.latency_ms.as_ref().map(|q| q.p99),
            Metric::WorstSampleP99Ms => s.worst_sample_p99_ms,
            Metric::SloAttainment => s.slo_attainment,
            Metric::CostUsd => Some(s.cost_usd),
            Metric::NodeHours => Some(s.node_hours),
            Metric::RequestsArrived => Some(s.requests.arrived),
            Metric::RequestsServed => Some(s.requests.served),
            Metric::RequestsDropped => Some(s.requests.dropped),
            Metric::RpoS => s.recovery.as_ref().and_then(|r| r.rpo_s),
            Metric::RtoS => s.recovery.as_ref().and_then(|r| r.rto_s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::tests::example;

    #[test]
    fn every_name_maps_back_to_its_metric() {
        for m in Metric::ALL {
            assert_eq!(Metric::from_name(m.name()), Some(m));
        }
        assert_eq!(Metric::from_name("p99"), None);
    }

    #[test]
    fn values_are_read_from_the_summary() {
        let s = example();
        assert_eq!(Metric::P99LatencyMs.value(&s), Some(42.5));
        assert_eq!(Metric::CostUsd.value(&s), Some(1234.5));
        assert_eq!(Metric::RequestsDropped.value(&s), Some(10.0));
        let none = Summary {
            latency_ms: None,
            ..example()
        };
        assert_eq!(Metric::P50LatencyMs.value(&none), None);
    }
}

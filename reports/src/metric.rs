//! The numeric figures of a summary by name: what a `--gate` expression or a target judges.
//!
//! Names carry their unit (`p99_latency_ms`, `cost_usd`), so a gate reads as plain arithmetic
//! (`p99_latency_ms<100`) and needs no unit syntax. A new summary figure becomes gateable by
//! one variant here.

use crate::summary::{ServiceSummary, Summary};

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
    DroppedShare,
    ZeroReadyLongestS,
    PendingPodSeconds,
    PendingShare,
    UnschedulablePods,
    RpoS,
    RtoS,
    BatchWaitP95S,
    BatchDeadlineMisses,
    BatchUnfinished,
}

impl Metric {
    /// Every metric, in the order `--help` and the README list them.
    pub const ALL: [Metric; 20] = [
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
        Metric::DroppedShare,
        Metric::ZeroReadyLongestS,
        Metric::PendingPodSeconds,
        Metric::PendingShare,
        Metric::UnschedulablePods,
        Metric::RpoS,
        Metric::RtoS,
        Metric::BatchWaitP95S,
        Metric::BatchDeadlineMisses,
        Metric::BatchUnfinished,
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
            Metric::DroppedShare => "dropped_share",
            Metric::ZeroReadyLongestS => "zero_ready_longest_s",
            Metric::PendingPodSeconds => "pending_pod_seconds",
            Metric::PendingShare => "pending_share",
            Metric::UnschedulablePods => "unschedulable_pods",
            Metric::RpoS => "rpo_s",
            Metric::RtoS => "rto_s",
            Metric::BatchWaitP95S => "batch_wait_p95_s",
            Metric::BatchDeadlineMisses => "batch_deadline_misses",
            Metric::BatchUnfinished => "batch_unfinished",
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
            Metric::DroppedShare => "share of arrived requests dropped (0 to 1)",
            Metric::ZeroReadyLongestS => {
                "longest spell a service had no ready pod while its traffic arrived (s)"
            }
            Metric::PendingPodSeconds => "sum over pods of the seconds they spent Pending",
            Metric::PendingShare => {
                "share of the services' desired pod-time spent Pending, from the samples (0 to 1)"
            }
            Metric::UnschedulablePods => {
                "pods that no node the run could have would ever hold (requests, selectors, quota)"
            }
            Metric::RpoS => {
                "replication lag lost when the replication primary failed, worst outage (s)"
            }
            Metric::RtoS => {
                "regional outage to SLO restored, worst outage; none if not restored (s)"
            }
            Metric::BatchWaitP95S => {
                "95th percentile of the Jobs' wait from submission to start (s; needs batch)"
            }
            Metric::BatchDeadlineMisses => "Jobs failed by their active_deadline (needs batch)",
            Metric::BatchUnfinished => {
                "Jobs still waiting or running when the run ended (needs batch)"
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
            Metric::SloAttainment | Metric::DroppedShare | Metric::PendingShare => "",
            Metric::RpoS | Metric::RtoS | Metric::ZeroReadyLongestS => "s",
            Metric::PendingPodSeconds => "pod-seconds",
            Metric::UnschedulablePods => "pods",
            Metric::BatchWaitP95S => "s",
            Metric::BatchDeadlineMisses | Metric::BatchUnfinished => "Jobs",
        }
    }

    /// What a check on this metric judges, in a few words for the verdict ("whole-run p99",
    /// not "worst sample p99"): the two can disagree, and a reader must see which one passed.
    pub fn judged(self) -> &'static str {
        match self {
            Metric::P50LatencyMs => "whole-run p50",
            Metric::P95LatencyMs => "whole-run p95",
            Metric::P99LatencyMs => "whole-run p99",
            Metric::WorstSampleP99Ms => "worst sample p99",
            Metric::SloAttainment => "whole-run SLO attainment",
            Metric::CostUsd => "cost of the run",
            Metric::NodeHours => "node-hours of the run",
            Metric::RequestsArrived => "requests arrived over the run",
            Metric::RequestsServed => "requests served over the run",
            Metric::RequestsDropped => "requests dropped over the run",
            Metric::DroppedShare => "whole-run dropped share",
            Metric::ZeroReadyLongestS => "longest spell without a ready pod under traffic",
            Metric::PendingPodSeconds => "pending pod-seconds over the run",
            Metric::PendingShare => "share of desired pod-time Pending",
            Metric::UnschedulablePods => "pods that can never be scheduled",
            Metric::RpoS => "worst outage's RPO",
            Metric::RtoS => "worst outage's RTO",
            Metric::BatchWaitP95S => "Jobs' p95 wait to start",
            Metric::BatchDeadlineMisses => "Jobs past their deadline",
            Metric::BatchUnfinished => "Jobs unfinished at the end",
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
            Metric::DroppedShare => share(s.requests.dropped, s.requests.arrived),
            Metric::ZeroReadyLongestS => s
                .services
                .iter()
                .filter_map(|v| v.zero_ready_longest_s)
                .reduce(f64::max),
            Metric::PendingPodSeconds => Some(s.pending_pod_seconds),
            Metric::PendingShare => pending_share(&s.services.iter().collect::<Vec<_>>()),
            Metric::UnschedulablePods => Some(s.unschedulable_pods as f64),
            Metric::RpoS => s.recovery.as_ref().and_then(|r| r.rpo_s),
            Metric::RtoS => s.recovery.as_ref().and_then(|r| r.rto_s),
            Metric::BatchWaitP95S => s.batch.as_ref().and_then(|b| b.wait_p95_s),
            Metric::BatchDeadlineMisses => s.batch.as_ref().map(|b| b.deadline_misses as f64),
            Metric::BatchUnfinished => s.batch.as_ref().map(|b| b.unfinished as f64),
        }
    }
}

impl Metric {
    /// Its value over `rows`, one service's rows (all its regions, or one): requests add up,
    /// the dropped share and SLO attainment are ratios of the sums (attainment is the share of
    /// arrived requests served in time, so weighting by arrivals is exact), the zero-ready
    /// spell is the longest of any row. Latency percentiles of one row are that row's; those of
    /// several regions cannot be combined from their percentiles, so they are `None` here (the
    /// binary computes them from the run's histograms). Run-wide figures (cost, RPO, ...) have
    /// no per-service value: `None`.
    pub fn scope_value(self, rows: &[&ServiceSummary]) -> Option<f64> {
        let sum = |f: fn(&ServiceSummary) -> f64| rows.iter().map(|v| f(v)).sum::<f64>();
        let (arrived, dropped) = (sum(|v| v.requests.arrived), sum(|v| v.requests.dropped));
        let one_row_latency = |p: fn(&crate::summary::Quantiles) -> f64| match rows {
            [v] => v.latency_ms.as_ref().map(p),
            _ => None,
        };
        match self {
            _ if rows.is_empty() => None,
            Metric::P50LatencyMs => one_row_latency(|q| q.p50),
            Metric::P95LatencyMs => one_row_latency(|q| q.p95),
            Metric::P99LatencyMs => one_row_latency(|q| q.p99),
            Metric::SloAttainment => {
                let within = rows
                    .iter()
                    .map(|v| Some(v.slo_attainment? * v.requests.arrived))
                    .sum::<Option<f64>>()?;
                share(within, arrived)
            }
            Metric::RequestsArrived => Some(arrived),
            Metric::RequestsServed => Some(sum(|v| v.requests.served)),
            Metric::RequestsDropped => Some(dropped),
            Metric::DroppedShare => share(dropped, arrived),
            Metric::ZeroReadyLongestS => rows
                .iter()
                .filter_map(|v| v.zero_ready_longest_s)
                .reduce(f64::max),
            Metric::PendingShare => pending_share(rows),
            Metric::WorstSampleP99Ms
            | Metric::CostUsd
            | Metric::NodeHours
            | Metric::PendingPodSeconds
            | Metric::UnschedulablePods
            | Metric::RpoS
            | Metric::RtoS
            | Metric::BatchWaitP95S
            | Metric::BatchDeadlineMisses
            | Metric::BatchUnfinished => None,
        }
    }
}

/// Σ pending ÷ Σ desired pod-seconds of `rows`; `None` when they never desired a pod.
fn pending_share(rows: &[&ServiceSummary]) -> Option<f64> {
    let pending = rows.iter().map(|v| v.pending_pod_seconds).sum::<f64>();
    share(
        pending,
        rows.iter().map(|v| v.desired_pod_seconds).sum::<f64>(),
    )
}

/// `part / whole`, `None` when nothing arrived (no share to speak of, rather than 0/0).
fn share(part: f64, whole: f64) -> Option<f64> {
    (whole > 0.0).then(|| part / whole)
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

    #[test]
    fn the_health_figures_are_read_from_the_summary() {
        let mut s = example();
        // 10 of 3000 requests dropped.
        assert_eq!(Metric::DroppedShare.value(&s), Some(10.0 / 3000.0));
        assert_eq!(Metric::PendingPodSeconds.value(&s), Some(120.0));
        s.unschedulable_pods = 4;
        assert_eq!(Metric::UnschedulablePods.value(&s), Some(4.0));
        // The longest spell of any service; none measured is none.
        assert_eq!(Metric::ZeroReadyLongestS.value(&s), None);
        s.services[0].zero_ready_longest_s = Some(30.0);
        s.services[1].zero_ready_longest_s = Some(600.0);
        assert_eq!(Metric::ZeroReadyLongestS.value(&s), Some(600.0));
        s.requests.arrived = 0.0;
        assert_eq!(Metric::DroppedShare.value(&s), None);
    }

    #[test]
    fn attainment_over_regions_is_weighted_by_arrivals() {
        // 2000 arrivals at 0.993 and 1000 at 0.999: (1986 + 999) / 3000 = 0.995.
        let s = example();
        let rows: Vec<&ServiceSummary> = s.services.iter().collect();
        let a = Metric::SloAttainment.scope_value(&rows).unwrap();
        assert!((a - 0.995).abs() < 1e-12, "{a}");
        assert_eq!(Metric::CostUsd.scope_value(&rows), None);
        assert_eq!(Metric::RequestsArrived.scope_value(&[]), None);
    }

    #[test]
    fn every_metric_says_what_it_judges() {
        assert_eq!(Metric::P99LatencyMs.judged(), "whole-run p99");
        assert_eq!(Metric::WorstSampleP99Ms.judged(), "worst sample p99");
        let mut said: Vec<&str> = Metric::ALL.iter().map(|m| m.judged()).collect();
        said.sort_unstable();
        said.dedup();
        assert_eq!(said.len(), Metric::ALL.len());
    }
}

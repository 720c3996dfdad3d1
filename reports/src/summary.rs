//! The layout of `summary.json`: the figures a CI gate or a sweep compares, with the targets and
//! gates beside them.
//!
//! The types live here, not in the binary, because `clustersim report` reads a saved summary
//! back to re-render the report without re-running, and `reports` must not depend on `models`:
//! the binary builds a [`Summary`] from a run, this crate writes, reads and renders it.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::check::Check;
use crate::error::{Access, ReportError};

/// Version of the layout; bumped when a field changes meaning or goes away. 2: each target
/// became a [`Check`] (`target` was renamed `threshold`; `expression`, `op` and `margin` were
/// added) and `gates` was added. 3: `pass` also needs the new `checks` (built-in health checks)
/// to pass; a check may carry a `scope` (per-service targets) and a `detail`; `unschedulable_pods`
/// and each service's `zero_ready_longest_s`, `desired_pod_seconds` and `pending_pod_seconds`
/// were added.
pub const SCHEMA_VERSION: u32 = 3;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub schema_version: u32,
    pub experiment: String,
    /// The experiment file's opening comment (its question and answer), shown at the top of
    /// `report.html`; absent when the file opens with none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub seed: u64,
    /// The simulated UTC instant of time zero, RFC 3339.
    pub start: String,
    pub duration_s: f64,
    /// Whether every check, target and gate passed (true when there is none).
    pub pass: bool,
    /// The built-in health checks, which fail a run whatever its targets say: the share of
    /// requests a service dropped, a service without a ready pod while its traffic arrives,
    /// pods that can never be scheduled, pending pod-seconds. Listed first in every verdict.
    pub checks: Vec<Check>,
    /// The experiment's `targets`, each as the check it amounts to (`p99_latency: "100ms"` is
    /// `p99_latency_ms<=100`); a service's own targets are entries with a [`Check::scope`].
    pub targets: Vec<Check>,
    /// The `--gate` expressions of the command line, in the order given.
    pub gates: Vec<Check>,
    pub requests: Requests,
    pub latency_ms: Option<Quantiles>,
    /// The highest p99 seen at any sample instant, for spotting short spikes.
    pub worst_sample_p99_ms: Option<f64>,
    pub slo_attainment: Option<f64>,
    pub cost_usd: f64,
    pub node_hours: f64,
    /// Σ over pods of the seconds they spent Pending (unschedulable or waiting for a node).
    pub pending_pod_seconds: f64,
    /// Time to capacity: the longest interval during which at least one pod was pending,
    /// from the first pod of a surge going pending until none was (a surge still open at the
    /// end counts up to the end); `None` when no pod was ever pending for any time.
    #[serde(default)]
    pub time_to_capacity_s: Option<f64>,
    /// Node-hours and cost by capacity type (`on-demand`, then `spot`); they add up to
    /// `node_hours` and `cost_usd`.
    #[serde(default)]
    pub capacity_types: Vec<CapacityTypeSummary>,
    pub pools: Vec<PoolSummary>,
    pub namespaces: Vec<NamespaceSummary>,
    /// The batch Jobs' figures, when the run has batch workloads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<BatchSummary>,
    pub services: Vec<ServiceSummary>,
    /// Pods that can never run, found before the run (no admitting pool, requests larger than
    /// every node, a quota smaller than one pod).
    pub warnings: Vec<String>,
    /// How many pods no node the run could have would ever hold (the pods behind `warnings`).
    pub unschedulable_pods: u64,
    /// Cluster events counted but not stored in `events.parquet` (past the log's bound).
    pub events_dropped: u64,
    /// RPO and RTO of the run's regional outages; absent without a `faults` section (so the
    /// summaries of runs without faults are unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery: Option<Recovery>,
    /// Each VerticalPodAutoscaler (service and region): what it did to the requests; absent
    /// without one (so the summaries of runs without a VPA are unchanged).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vpa: Vec<VpaSummary>,
    /// Each predictive policy's forecasts against what then happened (the `forecast` table);
    /// absent without one (so the summaries of runs without a predictive policy are
    /// unchanged).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forecast: Vec<ForecastSummary>,
    /// Each cost-aware policy's budget, node-pool policies' then HPA policies' (the `budget`
    /// chart); absent without one (so the summaries of other runs are unchanged).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub budgets: Vec<BudgetSummary>,
}

/// A cost-aware policy's budget over the run: the report charts its pools' cost so far
/// against it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetSummary {
    /// The node-pool policy or cost-aware HPA policy.
    pub policy: String,
    /// The region of its pools; empty for an HPA policy.
    pub region: String,
    /// The pools whose cost it counts; empty for an HPA policy, which counts every pool.
    pub pools: Vec<String>,
    /// For the whole run (a rate's: the rate times the run's hours).
    pub budget_usd: f64,
    /// The rate, when the budget is one (`budget_usd_per_hour`): the budget so far grows with
    /// the run, and so does its low level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_usd_per_hour: Option<f64>,
    /// The share of the budget left at or below which it scales slower (and a node-pool policy
    /// on spot).
    pub low_share: f64,
}

/// One predictive policy's forecasts (Holt-Winters, one lead time ahead) compared with the
/// actuals at the instants they were for; `None` figures when no forecast had an actual (a
/// run shorter than the lead time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastSummary {
    pub policy: String,
    pub region: String,
    /// The service, or the pools (`a+b`), whose demand was forecast.
    pub target: String,
    /// `rps` or `vcpu`: the unit of `bias`.
    pub unit: String,
    /// Forecasts with an actual to compare with.
    pub compared: u64,
    /// Mean absolute percentage error, |actual − forecast| / actual, over the compared
    /// forecasts with a positive actual (%).
    pub mape_percent: Option<f64>,
    /// The same for the seasonal naive baseline: Holt-Winters earns its keep when below it.
    pub naive_mape_percent: Option<f64>,
    /// Mean of forecast − actual (in `unit`): positive over-forecasts, negative under.
    pub bias: Option<f64>,
    /// Share of the compared forecasts whose forecast + headroom fell short of the actual:
    /// how often the headroom did not cover the error.
    pub under_provisioned_share: Option<f64>,
}

/// One VPA over the run: the pod template's requests at the start and at the end, its last
/// recommendation, and the pods it changed. Compare a run with `update_mode: Off` (same
/// recommendation, no change) to see what the changes cost or saved (`clustersim compare`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VpaSummary {
    pub service: String,
    pub region: String,
    pub update_mode: String,
    pub cpu_request_start_millicores: f64,
    pub cpu_request_end_millicores: f64,
    pub memory_request_start_bytes: f64,
    pub memory_request_end_bytes: f64,
    /// The last target; `None` when the VPA never recommended (no ready pod ever served).
    pub cpu_target_end_millicores: Option<f64>,
    pub memory_target_end_bytes: Option<f64>,
    pub evicted_pods: u64,
    pub resized_pods: u64,
    pub oom_kills: u64,
}

/// What the run's regional outages cost in data and in time, against the targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recovery {
    /// The largest RPO of a failure of the replication primary, as lag (s); `None` when the
    /// primary did not fail.
    pub rpo_s: Option<f64>,
    /// Writes committed at the primary and lost with it, for the failure of `rpo_s`.
    pub rpo_writes: Option<f64>,
    /// The longest RTO (s); `None` when there was no regional outage or one was not restored
    /// by the end of the run (`failures` says which).
    pub rto_s: Option<f64>,
    pub rpo_target_s: Option<f64>,
    pub rto_target_s: Option<f64>,
    /// How long the SLO had to hold before it counted as restored (s).
    pub rto_hold_s: f64,
    /// One per regional outage, in time order.
    pub failures: Vec<FailureRecovery>,
}

/// One regional outage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureRecovery {
    pub region: String,
    /// Seconds since the start of the run.
    pub failed_at_s: f64,
    /// When the region came back.
    pub region_back_at_s: f64,
    /// Failure → SLO restored (and held), when it was.
    pub rto_s: Option<f64>,
    /// When it was not restored: failure → last sample (the RTO is at least this).
    pub rto_at_least_s: Option<f64>,
    pub phases_s: Option<RtoPhasesSummary>,
    /// Set when the region was the replication primary.
    pub rpo_s: Option<f64>,
    pub rpo_writes: Option<f64>,
    /// `None` without the target.
    pub rto_met: Option<bool>,
    pub rpo_met: Option<bool>,
    /// The return of the traffic after the region came back; absent when it was not back
    /// before the run's last sample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failback: Option<FailbackSummary>,
}

/// The failback of one regional outage: the disruption after the region came back, a figure
/// of its own (the RTO ends when the failed-over traffic is served, before the region's
/// traffic returns to it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailbackSummary {
    /// When the region's traffic was back in full (s since the start).
    pub returned_at_s: f64,
    /// Traffic back in full → SLO held again (s); `None` when not by the end of the run.
    pub restored_after_s: Option<f64>,
    /// Requests dropped from the region's return to the SLO's restoration.
    pub dropped_requests: f64,
}

/// The RTO's phases (s); they sum to the RTO.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RtoPhasesSummary {
    /// Failure → the health checks see the region unhealthy.
    pub detection: f64,
    /// → every client has followed DNS (one TTL).
    pub routing: f64,
    /// → the receiving regions have ready pods.
    pub warm_up: f64,
    /// → the SLO is met again (the autoscalers absorbed the load).
    pub scale_up: f64,
}

/// What the batch Jobs did: how many finished and how, how long they waited to start (submit →
/// first pod Running) and ran (first pod Running → finished), and the makespan (first
/// submission → last finish).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchSummary {
    pub jobs: u64,
    pub completed: u64,
    pub failed_backoff_limit: u64,
    pub deadline_misses: u64,
    /// Still running or waiting when the run ended.
    pub unfinished: u64,
    pub never_started: u64,
    pub wait_mean_s: Option<f64>,
    pub wait_p50_s: Option<f64>,
    pub wait_p95_s: Option<f64>,
    pub run_mean_s: Option<f64>,
    pub makespan_s: Option<f64>,
    /// Per Kueue ClusterQueue, when the run has queues (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queues: Option<Vec<QueueSummary>>,
    /// Per workload, its largest admission wave packed first-fit and best-fit decreasing
    /// (absent without waves).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waves: Vec<WaveSummary>,
}

/// A batch workload's largest admission wave (Jobs submitted at one instant) packed onto one
/// pool two ways, as a yardstick for the scheduler's own placement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaveSummary {
    pub workload: String,
    pub pool: String,
    pub submit_s: f64,
    pub jobs: u64,
    pub pods: u64,
    pub first_fit: PackingSummary,
    pub best_fit: PackingSummary,
}

/// Nodes a packing opens, their node-hours (each node living as long as its longest pod) and
/// the cost of the cpu its pods leave unrequested.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackingSummary {
    pub nodes: u32,
    pub node_hours: f64,
    pub idle_cost_usd: f64,
}

/// What one Kueue ClusterQueue did: admissions (those borrowing from its cohort among them),
/// its Jobs preempted, queue waits (queued → admitted) and the Jobs waiting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueSummary {
    pub name: String,
    pub admitted: u64,
    pub admitted_borrowing: u64,
    pub preempted: u64,
    pub wait_mean_s: Option<f64>,
    pub wait_max_s: f64,
    pub pending_peak: u64,
    /// Still waiting when the run ended.
    pub pending_end: u64,
}

/// What a namespace cost (its requested share of each pool) and what its quota refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamespaceSummary {
    pub namespace: String,
    pub cost_usd: f64,
    pub pods_refused_by_quota: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Requests {
    pub arrived: f64,
    pub served: f64,
    pub dropped: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quantiles {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
}

/// What the nodes of one capacity type cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapacityTypeSummary {
    pub capacity_type: String,
    pub node_hours: f64,
    pub cost_usd: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolSummary {
    pub pool: String,
    pub region: String,
    pub instance_type: String,
    pub capacity_type: String,
    pub nodes: u32,
    pub node_hours: f64,
    pub cost_usd: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceSummary {
    pub service: String,
    pub region: String,
    /// The pods' QoS class: Guaranteed, Burstable or BestEffort.
    pub qos_class: String,
    pub requests: Requests,
    pub latency_ms: Option<Quantiles>,
    pub slo_attainment: Option<f64>,
    /// The longest spell (s) during which the service had no ready pod in this region while
    /// traffic arrived, in whole output intervals (0 when it always had one); `None` when the
    /// run recorded no sample of it.
    pub zero_ready_longest_s: Option<f64>,
    /// Σ over samples of desired pods × the output interval: the pod-time the service asked for.
    pub desired_pod_seconds: f64,
    /// The same for its Pending pods (pods waiting for a node or refused room).
    pub pending_pod_seconds: f64,
}

/// Reads a `summary.json` written by [`crate::write_json`], refusing another layout version
/// rather than misreading it.
pub fn read_summary(path: &Path) -> Result<Summary, ReportError> {
    let bytes = std::fs::read(path).map_err(|source| ReportError::Io {
        access: Access::Read,
        path: path.to_owned(),
        source,
    })?;
    // The version first, so an old file says "version 1" rather than "missing field `gates`".
    #[derive(Deserialize)]
    struct Version {
        schema_version: u32,
    }
    let json = |source| ReportError::Json {
        access: Access::Read,
        path: path.to_owned(),
        source,
    };
    let version: Version = serde_json::from_slice(&bytes).map_err(json)?;
    if version.schema_version != SCHEMA_VERSION {
        return Err(ReportError::SchemaVersion {
            path: path.to_owned(),
            found: version.schema_version,
            expected: SCHEMA_VERSION,
        });
    }
    serde_json::from_slice(&bytes).map_err(json)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::check::Op;
    use crate::test_dir::TestDir;
    use crate::write_json;

    /// A small summary for the tests of this crate: one service in two regions, one target.
    pub fn example() -> Summary {
        let q = |p50, p95, p99| Some(Quantiles { p50, p95, p99 });
        let requests = |arrived: f64, dropped: f64| Requests {
            arrived,
            served: arrived - dropped,
            dropped,
        };
        Summary {
            schema_version: SCHEMA_VERSION,
            experiment: "example".into(),
            description: None,
            seed: 7,
            start: "2026-11-27T00:00:00Z".into(),
            duration_s: 7200.0,
            pass: true,
            checks: vec![],
            targets: vec![Check {
                name: "p99_latency_ms".into(),
                expression: "p99_latency_ms<=100".into(),
                scope: None,
                op: Op::Le,
                threshold: 100.0,
                actual: Some(42.5),
                pass: true,
                margin: Some(57.5),
                detail: None,
            }],
            gates: vec![],
            requests: requests(3000.0, 10.0),
            latency_ms: q(11.0, 30.0, 42.5),
            worst_sample_p99_ms: Some(61.0),
            slo_attainment: Some(0.995),
            cost_usd: 1234.5,
            node_hours: 48.0,
            pools: vec![PoolSummary {
                pool: "general".into(),
                region: "us-east1".into(),
                instance_type: "n2-standard-8".into(),
                capacity_type: "OnDemand".into(),
                nodes: 24,
                node_hours: 48.0,
                cost_usd: 1234.5,
            }],
            services: vec![
                ServiceSummary {
                    service: "api".into(),
                    region: "us-east1".into(),
                    qos_class: "Burstable".into(),
                    requests: requests(2000.0, 10.0),
                    latency_ms: q(12.0, 31.0, 44.0),
                    slo_attainment: Some(0.993),
                    zero_ready_longest_s: None,
                    desired_pod_seconds: 0.0,
                    pending_pod_seconds: 0.0,
                },
                ServiceSummary {
                    service: "api".into(),
                    region: "europe-west1".into(),
                    qos_class: "Burstable".into(),
                    requests: requests(1000.0, 0.0),
                    latency_ms: q(10.0, 28.0, 40.0),
                    slo_attainment: Some(0.999),
                    zero_ready_longest_s: None,
                    desired_pod_seconds: 0.0,
                    pending_pod_seconds: 0.0,
                },
            ],
            pending_pod_seconds: 120.0,
            time_to_capacity_s: Some(95.0),
            capacity_types: vec![CapacityTypeSummary {
                capacity_type: "on-demand".into(),
                node_hours: 48.0,
                cost_usd: 1234.5,
            }],
            namespaces: vec![NamespaceSummary {
                namespace: "default".into(),
                cost_usd: 1000.0,
                pods_refused_by_quota: 0,
            }],
            batch: None,
            warnings: vec![],
            unschedulable_pods: 0,
            events_dropped: 0,
            vpa: Vec::new(),
            forecast: Vec::new(),
            budgets: Vec::new(),
            recovery: None,
        }
    }

    #[test]
    fn a_written_summary_reads_back_equal() {
        let dir = TestDir::new("summary_round_trip");
        let path = dir.path().join("summary.json");
        // Floats of a real run that serde_json's default parser (not round-trip exact) reads
        // back one unit in the last place off.
        let summary = Summary {
            worst_sample_p99_ms: Some(47.810168300231396),
            cost_usd: 952.1898316997685,
            ..example()
        };
        write_json(&summary, &path).unwrap();
        assert_eq!(read_summary(&path).unwrap(), summary);
    }

    #[test]
    fn another_schema_version_is_refused_by_name() {
        let dir = TestDir::new("summary_old_version");
        let path = dir.path().join("summary.json");
        // A folder written before the health checks: version 2, no `checks`.
        std::fs::write(&path, r#"{"schema_version": 2, "pass": true}"#).unwrap();
        let err = read_summary(&path).unwrap_err().to_string();
        assert!(err.contains("schema_version 2"), "{err}");
        assert!(err.contains("expected 3"), "{err}");
    }

    #[test]
    fn health_checks_and_scoped_targets_round_trip() {
        let dir = TestDir::new("summary_checks");
        let path = dir.path().join("summary.json");
        let mut summary = example();
        let dropped = crate::parse_gate("dropped_share<=0.001").unwrap();
        summary.checks = vec![
            dropped
                .evaluate_scope(&summary, "api/us-east1")
                .with_detail("api dropped 10 of 2,000 requests (0.5 %) in us-east1"),
        ];
        summary.targets.push(
            crate::parse_gate("slo_attainment>=0.99")
                .unwrap()
                .evaluate_scope(&summary, "api"),
        );
        summary.services[0].zero_ready_longest_s = Some(90.0);
        summary.unschedulable_pods = 3;
        write_json(&summary, &path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"schema_version\": 3"), "{text}");
        assert!(text.contains("\"scope\": \"api/us-east1\""), "{text}");
        assert_eq!(read_summary(&path).unwrap(), summary);
    }

    #[test]
    fn a_malformed_summary_is_an_error_naming_the_file() {
        let dir = TestDir::new("summary_malformed");
        let path = dir.path().join("summary.json");
        std::fs::write(&path, "{").unwrap();
        let err = read_summary(&path).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("cannot read {}", path.display())),
            "{err}"
        );
    }
}

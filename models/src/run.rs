//! Assembly and execution of one run: the models are wired here, in one place, so the topology
//! reads on one screen (STYLE.md, "Models on the kernel").
//!
//! Invariants: one run is one simulation on nexosim's single-threaded executor
//! (`SimInit::with_num_threads(1)`), because the multi-threaded executor orders same-instant
//! messages differently by thread count; models are added in a fixed order; the run never reads
//! the wall clock.

use nexosim::ports::QuerySource;
use std::collections::BTreeMap;
use std::sync::Arc;

use nexosim::simulation::{Address, ExecutionError, Mailbox, SimInit};
use sim::recorder::{Cell, Kind, Table, sample_times};
use sim::time::{SimDuration, SimTime, UtcInstant};

use crate::api::decisions::{
    Controller, Decision, DecisionRow, Decisions, Described, Figures, Scope, merge_by_time,
};
use crate::api::{
    CapacityType, NamespaceSample, PoolBill, PoolSample, QueueSample, RoutePlan, Sample,
    ServiceSample, SurgeClock,
};
use crate::autoscaler::model::{AutoscalerKind, NodeAutoscaler, NodeAutoscalerPlan};
use crate::cluster::BatchPlan;
use crate::cluster::budget::EventBudget;
use crate::cluster::events::Event;
use crate::cluster::{Cluster, NamespaceReport, ServiceReport};
use crate::faults::decisions::failover_decisions;
use crate::faults::failover::{FailoverGroup, failover_groups};
use crate::faults::gate::{CapacityGates, GateOrder};
use crate::faults::model::FaultInjector;
use crate::faults::outage::{Outage, resolve_outages};
use crate::faults::plan::FaultsPlan;
use crate::faults::recovery::{RecoveryBook, RecoveryReport};
use crate::hpa::config::HpaControllerConfig;
use crate::hpa::model::{HpaController, HpaPlan};
use crate::invariants::{Broken, SampleInvariants};
use crate::jobs::BatchReport;
use crate::latency::Fidelity;
use crate::plan::{ClusterPlan, ServicePlan, Unschedulable};
use crate::policy::forecast_log::ForecastLog;
use crate::policy::model::{PolicyController, PolicyPlan};
use crate::policy::pool_model::PoolPolicyController;
use crate::traffic::Traffic;
use crate::vpa::estimator::Resources;
use crate::vpa::model::{VpaController, VpaPlan, VpaStatus};

/// Everything one run needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The experiment's seed, root of every random stream.
    pub seed: u64,
    /// How service queues are simulated: rates (default) or request by request.
    pub fidelity: Fidelity,
    /// The simulated wall-clock instant of time zero.
    pub start: UtcInstant,
    pub duration: SimDuration,
    pub output_interval: SimDuration,
    pub cluster: ClusterPlan,
    /// Every HorizontalPodAutoscaler, and the controller's settings.
    pub hpas: Vec<HpaPlan>,
    pub hpa_controller: HpaControllerConfig,
    /// Every VerticalPodAutoscaler.
    pub vpas: Vec<VpaPlan>,
    /// The scaling policies (`policies`), resolved.
    pub policies: PolicyPlan,
    /// Batch Jobs, when the run has any.
    pub batch: Option<BatchPlan>,
    /// Services whose traffic is global, split over their regions by a router.
    pub routes: Vec<RoutePlan>,
    /// One node autoscaler per region that has one, in the experiment's order.
    pub node_autoscalers: Vec<NodeAutoscalerPlan>,
    /// Spot reclaims, node failures, outages, failover and replication; `None`: no faults.
    pub faults: Option<FaultsPlan>,
    /// Events the cluster may handle before the run stops with [`RunError::EventBudget`]
    /// (usually [`DEFAULT_EVENT_BUDGET`]).
    pub event_budget: u64,
}

impl Plan {
    /// Each batch workload's largest admission wave — the most pods (`parallelism` per Job)
    /// of Jobs submitted at one instant, two Jobs at least; the earliest of equals — packed
    /// first-fit and best-fit decreasing onto the first untainted pool of its region that
    /// holds the wave's largest pod (`crate::packing`). What the scheduler's own choices
    /// (scoring, autoscaler) did is in the run; this is the yardstick beside it.
    pub fn admission_waves(&self) -> Vec<crate::packing::WavePacking> {
        use crate::packing::{Packing, WavePacking, WavePod, figures};
        let Some(batch) = &self.batch else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (w, workload) in batch.workloads.iter().enumerate() {
            let specs: Vec<&crate::jobs::JobSpec> = batch
                .specs
                .iter()
                .filter(|s| s.workload as usize == w)
                .collect();
            // Specs are in submission order: a wave is a run of equal instants.
            let mut best: Option<&[&crate::jobs::JobSpec]> = None;
            let pods = |wave: &[&crate::jobs::JobSpec]| -> u64 {
                wave.iter().map(|s| u64::from(s.parallelism)).sum()
            };
            for wave in specs.chunk_by(|a, b| a.submit == b.submit) {
                if wave.len() >= 2 && best.is_none_or(|b| pods(wave) > pods(b)) {
                    best = Some(wave);
                }
            }
            let Some(wave) = best else {
                continue;
            };
            let pods_of_wave: Vec<WavePod> = wave
                .iter()
                .flat_map(|s| {
                    let pod = WavePod {
                        cpu_millis: s.requests.cpu_millis,
                        memory_bytes: s.requests.memory_bytes,
                        run_s: s.run.as_nanos().div_ceil(1_000_000_000),
                    };
                    std::iter::repeat_n(pod, s.parallelism as usize)
                })
                .collect();
            let largest = pods_of_wave.iter().fold((0, 0), |(c, m), p| {
                (p.cpu_millis.max(c), p.memory_bytes.max(m))
            });
            let gpus = wave.iter().map(|s| s.requests.gpus).max().unwrap_or(0);
            let Some(pool) = self.cluster.pools.iter().find(|p| {
                let (c, m) = p.allocatable();
                p.region == workload.region
                    && p.admits_job(gpus)
                    && largest.0 <= c
                    && largest.1 <= m
                    && p.gpus_per_node() >= gpus
            }) else {
                continue;
            };
            let on = |how| {
                figures(
                    &pods_of_wave,
                    pool.allocatable(),
                    pool.price_usd_per_hour(),
                    how,
                )
            };
            out.push(WavePacking {
                workload: workload.name.clone(),
                pool: pool.name.clone(),
                submit_s: wave[0].submit.as_secs_f64(),
                jobs: wave.len() as u64,
                pods: pods(wave),
                first_fit: on(Packing::FirstFitDecreasing),
                best_fit: on(Packing::BestFitDecreasing),
            });
        }
        out
    }

    /// Every workload found before the run to fit no node any pool could have: services (see
    /// [`ClusterPlan::unschedulable`]) and batch Jobs whose pod requests exceed the allocatable
    /// of every untainted pool of their region (a Job's pods carry no selector or toleration).
    pub fn unschedulable(&self) -> Vec<Unschedulable> {
        let mut found = self.cluster.unschedulable();
        let Some(batch) = &self.batch else {
            return found;
        };
        for (w, workload) in batch.workloads.iter().enumerate() {
            let fits = |cpu: u64, memory: u64, gpus: u32| {
                self.cluster.pools.iter().any(|p| {
                    let (c, m) = p.allocatable();
                    p.region == workload.region && p.admits_job(gpus) && cpu <= c && memory <= m
                })
            };
            // Of the Jobs that fit by cpu and memory, those whose pods ask more GPUs than any
            // such node has.
            let gpus_fit = |gpus: u32| {
                self.cluster.pools.iter().any(|p| {
                    p.region == workload.region && p.admits_job(gpus) && p.gpus_per_node() >= gpus
                })
            };
            let (mut jobs, mut pods, mut largest) = (0u64, 0u64, (0u64, 0u64));
            let (mut gpu_jobs, mut gpu_pods, mut most_gpus) = (0u64, 0u64, 0u32);
            // Of the Jobs that fit a node, those too large for their ClusterQueue.
            let queue = batch
                .queueing
                .as_ref()
                .and_then(|q| Some((q, q.workload_queue[w]?)));
            let (mut big_jobs, mut big_pods) = (0u64, 0u64);
            for spec in batch.specs.iter().filter(|s| s.workload as usize == w) {
                let r = &spec.requests;
                if !fits(r.cpu_millis, r.memory_bytes, r.gpus) {
                    jobs += 1;
                    pods += u64::from(spec.completions);
                    largest = largest.max((r.cpu_millis, r.memory_bytes));
                } else if !gpus_fit(r.gpus) {
                    gpu_jobs += 1;
                    gpu_pods += u64::from(spec.completions);
                    most_gpus = most_gpus.max(r.gpus);
                } else if queue.is_some_and(|(q, cq)| {
                    !crate::kueue::quota::ever_fits(&q.queues, cq as usize, spec.quota_request())
                }) {
                    big_jobs += 1;
                    big_pods += u64::from(spec.completions);
                }
            }
            if let Some((q, cq)) = queue.filter(|_| big_jobs > 0) {
                found.push(Unschedulable {
                    pods: big_pods,
                    message: format!(
                        "batch workload {} in {}: {big_jobs} Jobs ask more (parallelism × \
                         requests) than ClusterQueue {} could admit even with its cohort idle; \
                         they are never admitted",
                        workload.name, workload.region, q.queues[cq as usize].name
                    ),
                });
            }
            if gpu_jobs > 0 {
                found.push(Unschedulable {
                    pods: gpu_pods,
                    message: format!(
                        "batch workload {} in {}: {gpu_jobs} Jobs ask for more GPUs (nvidia.com/gpu, up to \
                         {most_gpus} per pod) than any untainted node of the region has; they \
                         never start",
                        workload.name, workload.region
                    ),
                });
            }
            if jobs > 0 {
                found.push(Unschedulable {
                    pods,
                    message: format!(
                        "batch workload {} in {}: {jobs} Jobs request more than any untainted node \
                         of the region holds (the largest cpu={} memory={}); they never start",
                        workload.name,
                        workload.region,
                        sim::quantity::CpuMillis(largest.0),
                        sim::quantity::Bytes(largest.1)
                    ),
                });
            }
        }
        found
    }
}

/// The default event budget: 300 million cluster events, ~27 times the 11.2 M of the bundled
/// full-scale Black-Friday day (BENCHMARKS.md), about 20 minutes of a release build at its
/// ~290 k events/s. A run that needs more is almost surely a model scheduling in a loop.
pub const DEFAULT_EVENT_BUDGET: u64 = 300_000_000;

/// What a run produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// One row per (sample instant, service, region): see [`TIMESERIES_SCHEMA`].
    pub timeseries: Table,
    /// One row per (sample instant, node pool): see [`POOLS_SCHEMA`].
    pub pool_timeseries: Table,
    /// One row per (sample instant, namespace): see [`NAMESPACES_SCHEMA`].
    pub namespace_timeseries: Table,
    /// One row per (sample instant, VPA), when the run has VPAs: see [`VPA_SCHEMA`].
    pub vpa_timeseries: Option<Table>,
    /// One row per (sample instant, Kueue ClusterQueue), when the run has queues: see
    /// [`QUEUES_SCHEMA`].
    pub queue_timeseries: Option<Table>,
    /// One row per forecast of a predictive policy (on a service or a node pool) for an
    /// instant within the run, with the actual then, when the run has one: see
    /// [`FORECAST_SCHEMA`].
    pub forecast: Option<Table>,
    /// Every recorded cluster event: see [`EVENTS_SCHEMA`].
    pub events: Table,
    /// Events counted but not stored (past the log's bound).
    pub events_dropped: u64,
    /// Why each controller did what it did: see [`DECISIONS_SCHEMA`].
    pub decisions: Table,
    pub services: Vec<ServiceReport>,
    pub pools: Vec<PoolBill>,
    pub namespaces: Vec<NamespaceReport>,
    /// Σ over pods of the seconds they spent Pending.
    pub pending_pod_seconds: f64,
    /// The Jobs' figures, when the run has batch workloads.
    pub batch: Option<BatchReport>,
    /// Every interval with pods pending, over the run (time to capacity).
    pub surges: SurgeClock,
    /// One per regional outage: its RTO, and its RPO when it hit the replication primary.
    pub recovery: Vec<RecoveryReport>,
    /// Messages, queries and timers the cluster model handled (for `clustersim bench`).
    pub events_handled: u64,
}

/// Why a run stopped before its end (never bad user input, which is checked before).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunError {
    /// The simulation engine failed (a model panicked, a scheduling bug): a clustersim bug.
    Engine(String),
    /// The cluster handled more than `budget` events; it was halted at simulated `at`. The CLI
    /// exits with its own code (3) so scripts tell a runaway from a crash.
    EventBudget { budget: u64, at: SimTime },
    /// A named invariant was found broken at a sample (a clustersim bug; `invariants`).
    Invariant(Broken),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Engine(message) => write!(f, "simulation failed: {message}"),
            RunError::EventBudget { budget, at } => write!(
                f,
                "simulation stopped: the event budget of {budget} events ran out at simulated \
                 t = {:.3} s; a model is scheduling far more events than a cluster day needs",
                at.as_nanos() as f64 / 1e9
            ),
            RunError::Invariant(broken) => write!(f, "simulation stopped: {broken}"),
        }
    }
}

impl std::error::Error for RunError {}

fn engine<E: std::fmt::Display>(e: E) -> RunError {
    RunError::Engine(e.to_string())
}

/// Columns of `timeseries`: instantaneous figures at the sample instant, and request counts
/// over the interval that ends there.
pub const TIMESERIES_SCHEMA: &[(&str, Kind)] = &[
    ("time_s", Kind::U64),
    ("time_utc", Kind::Text),
    ("region", Kind::Text),
    ("service", Kind::Text),
    ("desired_pods", Kind::U64),
    ("ready_pods", Kind::U64),
    ("pending_pods", Kind::U64),
    ("arrival_rps", Kind::F64),
    ("capacity_rps", Kind::F64),
    ("utilization", Kind::F64),
    ("cpu_utilization", Kind::F64),
    ("backlog_requests", Kind::F64),
    ("latency_mean_ms", Kind::F64),
    ("latency_p50_ms", Kind::F64),
    ("latency_p95_ms", Kind::F64),
    ("latency_p99_ms", Kind::F64),
    ("arrived_requests", Kind::F64),
    ("served_requests", Kind::F64),
    ("dropped_requests", Kind::F64),
];

/// Columns of `pools`: the nodes of each pool and what they have cost so far (a pool Karpenter
/// launches into appears from its first node on).
pub const POOLS_SCHEMA: &[(&str, Kind)] = &[
    ("time_s", Kind::U64),
    ("time_utc", Kind::Text),
    ("region", Kind::Text),
    ("pool", Kind::Text),
    ("capacity_type", Kind::Text),
    ("nodes", Kind::U64),
    ("cpu_requested_fraction", Kind::F64),
    ("cost_usd", Kind::F64),
];

/// Columns of `namespaces`: what each namespace has cost so far, by its share of requested CPU
/// (the `(unrequested)` row holds capacity no pod requested).
pub const NAMESPACES_SCHEMA: &[(&str, Kind)] = &[
    ("time_s", Kind::U64),
    ("time_utc", Kind::Text),
    ("namespace", Kind::Text),
    ("cost_usd", Kind::F64),
];

/// Columns of `vpa`: per VerticalPodAutoscaler (service and region), its update mode, the
/// current pod template's requests, what a ready pod used over the VPA's last minute, the
/// recommendation (NaN until the first one: the VPA's first minute with a ready pod), and
/// pods OOM-killed, evicted and resized since the start, as of the VPA's last sync.
pub const VPA_SCHEMA: &[(&str, Kind)] = &[
    ("time_s", Kind::U64),
    ("time_utc", Kind::Text),
    ("region", Kind::Text),
    ("service", Kind::Text),
    ("update_mode", Kind::Text),
    ("cpu_request_millicores", Kind::F64),
    ("cpu_usage_millicores", Kind::F64),
    ("cpu_target_millicores", Kind::F64),
    ("cpu_lower_millicores", Kind::F64),
    ("cpu_upper_millicores", Kind::F64),
    ("memory_request_bytes", Kind::F64),
    ("memory_usage_bytes", Kind::F64),
    ("memory_target_bytes", Kind::F64),
    ("memory_lower_bytes", Kind::F64),
    ("memory_upper_bytes", Kind::F64),
    ("oom_kills_total", Kind::U64),
    ("evicted_pods_total", Kind::U64),
    ("resized_pods_total", Kind::U64),
];

/// Columns of `queues`: per (sample instant, ClusterQueue), Jobs waiting, admitted, and
/// admitted by borrowing from the cohort. `region` is that of the first batch workload sent to
/// the queue (ClusterQueues are cluster-wide).
pub const QUEUES_SCHEMA: &[(&str, Kind)] = &[
    ("time_s", Kind::U64),
    ("time_utc", Kind::Text),
    ("region", Kind::Text),
    ("queue", Kind::Text),
    ("pending_jobs", Kind::U64),
    ("admitted_jobs", Kind::U64),
    ("borrowing_jobs", Kind::U64),
];

/// Columns of `forecast`: per forecast of a predictive policy (`policy::forecast_log`), the
/// instant it is for (`time_s`) and when it was made (`made_time_s`, one lead time earlier),
/// the policy, its region and what it forecasts (`target`: the service, or the pools as
/// `a+b`) in `unit` (`rps` of arrivals, `vcpu` of pods' requests), the Holt-Winters forecast,
/// the seasonal naive baseline, the headroom μ + α·σ, what was provisioned for
/// (`provisioned`: forecast + headroom, at least 0) and the actual the policy observed at
/// `time_s` (`NaN` when it did not observe then). Rows in `time_s` order.
pub const FORECAST_SCHEMA: &[(&str, Kind)] = &[
    ("time_s", Kind::U64),
    ("time_utc", Kind::Text),
    ("region", Kind::Text),
    ("policy", Kind::Text),
    ("target", Kind::Text),
    ("unit", Kind::Text),
    ("made_time_s", Kind::U64),
    ("forecast", Kind::F64),
    ("naive", Kind::F64),
    ("headroom", Kind::F64),
    ("provisioned", Kind::F64),
    ("actual", Kind::F64),
];

/// The `forecast` table of `log`'s forecasts for instants up to `end`; `None` without a
/// predictive policy.
fn forecast_table(start: UtcInstant, log: &ForecastLog, end: SimTime) -> Option<Table> {
    if log.is_empty() {
        return None;
    }
    let mut table = Table::new(FORECAST_SCHEMA);
    log.rows(end, |r| {
        let utc = start.plus(r.at).to_string();
        table.push_row(&[
            Cell::U64(r.at.as_nanos() / 1_000_000_000),
            Cell::Text(&utc),
            Cell::Text(&r.label.region),
            Cell::Text(&r.label.policy),
            Cell::Text(&r.label.target),
            Cell::Text(r.label.unit),
            Cell::U64(r.made.as_nanos() / 1_000_000_000),
            Cell::F64(r.forecast),
            Cell::F64(r.naive),
            Cell::F64(r.headroom),
            Cell::F64((r.forecast + r.headroom).max(0.0)),
            Cell::F64(r.actual),
        ]);
    });
    Some(table)
}

/// Columns of `events`; `count` is how many times the event happened at that instant (one
/// row for the 5 000 pods of one scale-down).
pub const EVENTS_SCHEMA: &[(&str, Kind)] = &[
    ("time_s", Kind::F64),
    ("time_utc", Kind::Text),
    ("reason", Kind::Text),
    ("object", Kind::Text),
    ("message", Kind::Text),
    ("count", Kind::U64),
];

/// Columns of `decisions`: one row per controller decision, or per run of identical ones
/// (`repeats` of them, the last at `last_time_s`), as [`crate::api::decisions`] describes;
/// `NaN` where a figure does not apply.
pub const DECISIONS_SCHEMA: &[(&str, Kind)] = &[
    ("time_s", Kind::F64),
    ("time_utc", Kind::Text),
    ("last_time_s", Kind::F64),
    ("repeats", Kind::U64),
    ("controller", Kind::Text),
    ("region", Kind::Text),
    ("scope", Kind::Text),
    ("kind", Kind::Text),
    ("subject", Kind::Text),
    ("outcome", Kind::Text),
    ("value", Kind::F64),
    ("target", Kind::F64),
    ("current", Kind::F64),
    ("proposed", Kind::F64),
    ("final", Kind::F64),
    ("detail", Kind::Text),
];

/// The decisions log as a table, consuming the rows so that each row's text is freed as soon
/// as the table holds its copy (the two never both hold every detail at the end of a run).
pub fn decisions_table(start: UtcInstant, rows: Vec<DecisionRow>) -> Table {
    let mut table = Table::new(DECISIONS_SCHEMA);
    for r in rows {
        let utc = start.plus(SimTime::from_nanos(r.time_ns)).to_string();
        table.push_row(&[
            Cell::F64(r.time_ns as f64 / 1e9),
            Cell::Text(&utc),
            Cell::F64(r.last_time_ns as f64 / 1e9),
            Cell::U64(r.repeats),
            Cell::Text(r.controller),
            Cell::Text(&r.region),
            Cell::Text(&r.scope),
            Cell::Text(r.kind),
            Cell::Text(&r.subject),
            Cell::Text(r.outcome),
            Cell::F64(r.figures.value),
            Cell::F64(r.figures.target),
            Cell::F64(r.figures.current),
            Cell::F64(r.figures.proposed),
            Cell::F64(r.figures.final_),
            Cell::Text(&r.detail),
        ]);
    }
    table
}

fn record(table: &mut Table, t: SimTime, utc: &str, s: &ServiceSample) {
    table.push_row(&[
        Cell::U64(t.as_nanos() / 1_000_000_000),
        Cell::Text(utc),
        Cell::Text(&s.region),
        Cell::Text(&s.service),
        Cell::U64(u64::from(s.desired_pods)),
        Cell::U64(u64::from(s.ready_pods)),
        Cell::U64(u64::from(s.pending_pods)),
        Cell::F64(s.now.arrival_rps),
        Cell::F64(s.now.capacity_rps),
        Cell::F64(s.now.utilization),
        Cell::F64(s.cpu_utilization),
        Cell::F64(s.now.backlog_requests),
        Cell::F64(s.now.latency_ms.mean),
        Cell::F64(s.now.latency_ms.p50),
        Cell::F64(s.now.latency_ms.p95),
        Cell::F64(s.now.latency_ms.p99),
        Cell::F64(s.interval.arrived),
        Cell::F64(s.interval.served),
        Cell::F64(s.interval.dropped),
    ]);
}

fn record_pool(table: &mut Table, t: SimTime, utc: &str, p: &PoolSample) {
    table.push_row(&[
        Cell::U64(t.as_nanos() / 1_000_000_000),
        Cell::Text(utc),
        Cell::Text(&p.region),
        Cell::Text(&p.pool),
        Cell::Text(capacity_type_name(p.capacity_type)),
        Cell::U64(u64::from(p.nodes)),
        Cell::F64(p.cpu_requested_fraction),
        Cell::F64(p.cost_usd),
    ]);
}

fn record_namespace(table: &mut Table, t: SimTime, utc: &str, n: &NamespaceSample) {
    table.push_row(&[
        Cell::U64(t.as_nanos() / 1_000_000_000),
        Cell::Text(utc),
        Cell::Text(&n.namespace),
        Cell::F64(n.cost_usd),
    ]);
}

fn record_queue(table: &mut Table, t: SimTime, utc: &str, region: &str, q: &QueueSample) {
    table.push_row(&[
        Cell::U64(t.as_nanos() / 1_000_000_000),
        Cell::Text(utc),
        Cell::Text(region),
        Cell::Text(&q.queue),
        Cell::U64(q.pending_jobs),
        Cell::U64(q.admitted_jobs),
        Cell::U64(q.borrowing_jobs),
    ]);
}

/// Per ClusterQueue, the region of the first batch workload sent to it (else the first
/// region's name of any workload).
fn queue_regions(plan: &Plan, q: &crate::kueue::KueuePlan) -> Vec<String> {
    let workloads = plan
        .batch
        .as_ref()
        .map(|b| b.workloads.as_slice())
        .unwrap_or_default();
    (0..q.queues.len() as u32)
        .map(|c| {
            q.workload_queue
                .iter()
                .position(|&w| w == Some(c))
                .or((!workloads.is_empty()).then_some(0))
                .map(|w| workloads[w].region.clone())
                .unwrap_or_default()
        })
        .collect()
}

fn record_vpa(table: &mut Table, t: SimTime, utc: &str, service: &ServicePlan, v: &VpaStatus) {
    let rec = v.recommendation.map(|r| (r.target, r.lower, r.upper));
    let cpu = |pick: fn(&(Resources, Resources, Resources)) -> Resources| {
        rec.as_ref()
            .map_or(f64::NAN, |r| pick(r).to_millis_bytes().0 as f64)
    };
    let memory = |pick: fn(&(Resources, Resources, Resources)) -> Resources| {
        rec.as_ref()
            .map_or(f64::NAN, |r| pick(r).to_millis_bytes().1 as f64)
    };
    table.push_row(&[
        Cell::U64(t.as_nanos() / 1_000_000_000),
        Cell::Text(utc),
        Cell::Text(&service.region),
        Cell::Text(&service.name),
        Cell::Text(v.mode.as_str()),
        Cell::F64(v.requests.0 as f64),
        Cell::F64(v.usage.cpu_cores * 1000.0),
        Cell::F64(cpu(|r| r.0)),
        Cell::F64(cpu(|r| r.1)),
        Cell::F64(cpu(|r| r.2)),
        Cell::F64(v.requests.1 as f64),
        Cell::F64(v.usage.memory_bytes),
        Cell::F64(memory(|r| r.0)),
        Cell::F64(memory(|r| r.1)),
        Cell::F64(memory(|r| r.2)),
        Cell::U64(v.oom_kills_total),
        Cell::U64(v.evicted_total),
        Cell::U64(v.resized_total),
    ]);
}

fn events_table(start: UtcInstant, events: &[Event]) -> Table {
    let mut table = Table::new(EVENTS_SCHEMA);
    for e in events {
        let utc = start.plus(SimTime::from_nanos(e.time_ns)).to_string();
        table.push_row(&[
            Cell::F64(e.time_ns as f64 / 1e9),
            Cell::Text(&utc),
            Cell::Text(e.reason.as_str()),
            Cell::Text(&e.object),
            Cell::Text(&e.message),
            Cell::U64(u64::from(e.count)),
        ]);
    }
    table
}

/// The spelling of a capacity type in outputs.
pub fn capacity_type_name(c: CapacityType) -> &'static str {
    match c {
        CapacityType::OnDemand => "on-demand",
        CapacityType::Spot => "spot",
    }
}

/// Runs the plan to its end; `progress` is told each sample instant reached.
pub fn run(plan: &Plan, mut progress: impl FnMut(SimTime)) -> Result<RunOutput, RunError> {
    let budget = Arc::new(EventBudget::new(plan.event_budget));
    let mut cluster = Cluster::new(&cluster_plan(plan), plan.fidelity, plan.seed)
        .with_budget(budget.clone())
        .with_metrics_settle_after(crate::hpa::config::metrics_settle_after(
            &plan.hpa_controller,
        ));
    if let Some(batch) = &plan.batch {
        cluster = cluster.with_batch(batch.clone());
    }
    let (outages, groups) = fault_setup(plan)?;
    let mut traffic = Traffic::new(
        plan.start,
        plan.cluster
            .services
            .iter()
            .map(|s| s.traffic.clone())
            .collect(),
        &plan.routes,
        groups.clone(),
    );
    let cluster_box = Mailbox::new();
    let cluster_address = cluster_box.address();
    let traffic_box = Mailbox::new();
    traffic.rates.connect(Cluster::set_rates, &cluster_box);
    let decisions = Decisions::default();
    let scopes: Vec<Scope> = plan
        .cluster
        .services
        .iter()
        .map(|s| Scope {
            region: Arc::from(s.region.as_str()),
            scope: Arc::from(s.name.as_str()),
        })
        .collect();
    let mut hpa = HpaController::new(plan.hpas.clone(), &plan.hpa_controller)
        .map_err(engine)?
        .with_decisions(decisions.clone(), &scopes);
    let hpa_box = Mailbox::new();
    hpa.metrics.connect(Cluster::workload_metrics, &cluster_box);
    hpa.scale.connect(Cluster::set_replicas, &cluster_box);
    let mut vpa = VpaController::new(plan.vpas.clone()).with_decisions(decisions.clone(), &scopes);
    let vpa_box = Mailbox::new();
    vpa.view.connect(Cluster::vertical_view, &cluster_box);
    vpa.template.connect(Cluster::set_template, &cluster_box);
    vpa.update.connect(Cluster::update_pods, &cluster_box);
    let forecasts = ForecastLog::default();
    let mut policy = PolicyController::new(&plan.policies).with_forecasts(&forecasts, &scopes);
    policy
        .metrics
        .connect(Cluster::workload_metrics, &cluster_box);
    policy.scale.connect(Cluster::set_replicas, &cluster_box);

    let injector = plan.faults.as_ref().map(|f| {
        let mut injector = FaultInjector::new(f, &plan.cluster.pools, plan.seed, &outages);
        injector.census.connect(Cluster::node_census, &cluster_box);
        injector.remove.connect(Cluster::remove, &cluster_box);
        injector.faults.connect(Cluster::faults, &cluster_box);
        injector
    });
    let mut book = plan.faults.as_ref().map(|f| {
        // Outages that start after the run's end are not part of it.
        let end = SimTime::ZERO + plan.duration;
        let within: Vec<Outage> = outages.iter().filter(|o| o.start <= end).cloned().collect();
        RecoveryBook::new(
            f,
            plan.seed,
            &groups,
            &plan.cluster.services,
            &within,
            plan.cluster.latency_target,
        )
    });

    let mut bench = SimInit::with_num_threads(1);
    let sample = QuerySource::new()
        .connect(Cluster::sample, &cluster_box)
        .register(&mut bench);
    let report = QuerySource::new()
        .connect(Cluster::report, &cluster_box)
        .register(&mut bench);
    let metrics = QuerySource::new()
        .connect(Cluster::workload_metrics, &cluster_box)
        .register(&mut bench);
    let vpa_status = QuerySource::new()
        .connect(VpaController::status, &vpa_box)
        .register(&mut bench);
    let hold_bounds = QuerySource::new()
        .connect(HpaController::hold_bounds, &hpa_box)
        .register(&mut bench);
    let bench = bench
        .add_model(cluster, cluster_box, "cluster")
        .add_model(traffic, traffic_box, "traffic")
        .add_model(hpa, hpa_box, "hpa")
        .add_model(vpa, vpa_box, "vpa");
    let mut bench = add_node_autoscalers(bench, plan, &cluster_address, &decisions)?;
    if let Some(injector) = injector {
        bench = bench.add_model(injector, Mailbox::new(), "faults");
    }
    bench = bench.add_model(policy, Mailbox::new(), "policy");
    if !plan.policies.pools.is_empty() {
        let names: Vec<(&str, &str)> = plan
            .cluster
            .pools
            .iter()
            .map(|p| (p.region.as_str(), p.name.as_str()))
            .collect();
        let mut pools = PoolPolicyController::new(&plan.policies.pools)
            .with_decisions(decisions.clone())
            .with_forecasts(&forecasts, &names);
        pools
            .view
            .connect(Cluster::node_autoscaling_view, &cluster_address);
        pools.launch.connect(Cluster::launch, &cluster_address);
        pools.remove.connect(Cluster::remove, &cluster_address);
        bench = bench.add_model(pools, Mailbox::new(), "pool-policies");
    }
    let mut simu = bench.init(SimTime::ZERO.to_monotonic()).map_err(engine)?;
    budget.attach(simu.scheduler());
    // A halt is the budget's; any other engine error is the engine's.
    let stopped = |e: ExecutionError| match budget.exhausted_at_ns() {
        Some(at_ns) => RunError::EventBudget {
            budget: budget.limit(),
            at: SimTime::from_nanos(at_ns),
        },
        None => engine(e),
    };
    let mut primary_failures = book
        .as_ref()
        .map(RecoveryBook::primary_failures)
        .unwrap_or_default()
        .into_iter()
        .peekable();

    let mut gates = plan
        .faults
        .as_ref()
        .map_or_else(CapacityGates::default, |f| {
            let failback = f.config.failover.as_ref().map(|c| c.failback);
            CapacityGates::new(failback.unwrap_or_default(), &groups, |id| {
                plan.hpas
                    .iter()
                    .find(|h| h.service == id)
                    .map(|h| h.config.min_replicas)
            })
        });
    let rto_hold = plan
        .faults
        .as_ref()
        .map_or(SimDuration::ZERO, |f| f.config.targets.rto_hold);

    let unused_until_launched = karpenter_pools(plan);
    let mut timeseries = Table::new(TIMESERIES_SCHEMA);
    let mut pool_timeseries = Table::new(POOLS_SCHEMA);
    let mut namespace_timeseries = Table::new(NAMESPACES_SCHEMA);
    let mut vpa_timeseries = (!plan.vpas.is_empty()).then(|| Table::new(VPA_SCHEMA));
    let mut invariants = SampleInvariants::new(plan.fidelity == Fidelity::Fluid);
    let queueing = plan.batch.as_ref().and_then(|b| b.queueing.as_ref());
    let mut queue_timeseries = queueing.map(|_| Table::new(QUEUES_SCHEMA));
    let queue_regions = queueing.map(|q| queue_regions(plan, q)).unwrap_or_default();
    let mut reached = SimTime::ZERO;
    for t in sample_times(plan.output_interval, plan.duration) {
        // Stops between samples, in time order: a replication primary's failure (the write
        // rates for its RPO) and a failback's capacity checks (`faults::gate`), the primary
        // first at equal instants.
        loop {
            let gate_at = gates.next_stop().filter(|&s| s <= t);
            let primary_at = primary_failures.peek().copied().filter(|&f| f <= t);
            if let Some(s) = gate_at.filter(|&s| primary_at.is_none_or(|f| s < f)) {
                if s > reached {
                    simu.step_until(s.to_monotonic()).map_err(stopped)?;
                    reached = s;
                }
                let ids = gates.services_at(s);
                let ready: Vec<(u32, u32)> = if ids.is_empty() {
                    Vec::new()
                } else {
                    simu.process_query(&metrics, ids)
                        .map_err(stopped)?
                        .iter()
                        .map(|m| (m.service, m.ready))
                        .collect()
                };
                let of = |id: u32| ready.iter().find(|r| r.0 == id).map_or(0, |r| r.1);
                for order in gates.stop(s, of) {
                    match order {
                        GateOrder::Bounds(service, step) => simu
                            .process_query(&hold_bounds, (service, step))
                            .map_err(stopped)?,
                        GateOrder::Returned { region, at } => {
                            if let Some(book) = &mut book {
                                book.failback_returned(&region, at, rto_hold);
                            }
                        }
                    }
                }
                continue;
            }
            let Some(f) = primary_failures.next_if(|&f| f <= t) else {
                break;
            };
            if let Some(book) = &mut book {
                if f > reached {
                    simu.step_until(f.to_monotonic()).map_err(stopped)?;
                    reached = f;
                }
                let ids = book.write_services();
                let rates: Vec<(u32, f64)> = if ids.is_empty() {
                    Vec::new()
                } else {
                    simu.process_query(&metrics, ids)
                        .map_err(stopped)?
                        .iter()
                        .map(|m| (m.service, m.arrival_rps))
                        .collect()
                };
                book.primary_failed(f, &rates);
            }
        }
        if t > reached {
            simu.step_until(t.to_monotonic()).map_err(stopped)?;
            reached = t;
        }
        let utc = plan.start.plus(t).to_string();
        let Sample {
            services,
            pools,
            namespaces,
            queues,
        } = simu.process_query(&sample, ()).map_err(stopped)?;
        if let Some(table) = &mut queue_timeseries {
            for (row, region) in queues.iter().zip(&queue_regions) {
                record_queue(table, t, &utc, region, row);
            }
        }
        for row in &services {
            record(&mut timeseries, t, &utc, row);
        }
        for (row, &unused) in pools.iter().zip(&unused_until_launched) {
            // A Karpenter pool that never had a node is noise in the table and its charts.
            if !(unused && row.nodes == 0 && row.cost_usd == 0.0) {
                record_pool(&mut pool_timeseries, t, &utc, row);
            }
        }
        for row in &namespaces {
            record_namespace(&mut namespace_timeseries, t, &utc, row);
        }
        if let Some(table) = &mut vpa_timeseries {
            for v in simu.process_query(&vpa_status, ()).map_err(stopped)? {
                record_vpa(
                    table,
                    t,
                    &utc,
                    &plan.cluster.services[v.service as usize],
                    &v,
                );
            }
        }
        invariants
            .observe(t, &services, &pools, &namespaces)
            .map_err(RunError::Invariant)?;
        if let Some(book) = &mut book {
            book.observe(t, &services);
        }
        progress(t);
    }
    let report = simu.process_query(&report, ()).map_err(stopped)?;
    let recovery = book.map(RecoveryBook::finish).unwrap_or_default();
    let pools = report
        .pools
        .into_iter()
        .zip(&unused_until_launched)
        .filter(|&(ref bill, &unused)| !(unused && bill.nodes == 0))
        .map(|(bill, _)| bill)
        .collect();
    Ok(RunOutput {
        timeseries,
        pool_timeseries,
        namespace_timeseries,
        vpa_timeseries,
        queue_timeseries,
        decisions: decisions_table(
            plan.start,
            merge_by_time(
                merge_by_time(
                    decisions.take(reached.as_nanos()),
                    scheduler_decisions(plan, &report.events, reached.as_nanos()),
                ),
                failover_decisions(&groups, &recovery, reached.as_nanos()),
            ),
        ),
        forecast: forecast_table(plan.start, &forecasts, reached),
        events: events_table(plan.start, &report.events),
        events_dropped: report.events_dropped,
        services: report.services,
        pools,
        namespaces: report.namespaces,
        pending_pod_seconds: report.pending_pod_seconds,
        batch: report.batch.map(|mut b| {
            b.waves = plan.admission_waves();
            b
        }),
        surges: report.surges,
        recovery,
        events_handled: report.events_handled,
    })
}

/// The scheduler's rows of the decisions table: each deployment's `FailedScheduling` events
/// (one per failed cycle, `cluster::unschedulable`) as `scheduler` decisions — value the
/// pending pods, current the nodes of `0/N`, the detail kube-scheduler's message. A stream is
/// a deployment; its repeats collapse while the message after the pending count is the same
/// (the same nodes failing for the same reasons). Recorded apart and merged by time: the
/// cluster holds no decisions handle, and its events are the scheduler's record.
fn scheduler_decisions(plan: &Plan, events: &[Event], end_ns: u64) -> Vec<DecisionRow> {
    use crate::scheduler::diagnosis::parse_pending_message;
    let log = Decisions::default();
    let mut streams: BTreeMap<&str, u64> = BTreeMap::new();
    let mut messages: BTreeMap<&str, u64> = BTreeMap::new();
    for e in events
        .iter()
        .filter(|e| e.reason == crate::api::Reason::FailedScheduling)
    {
        let Some((pending, nodes, fit)) = parse_pending_message(&e.message) else {
            continue;
        };
        let next = streams.len() as u64;
        let stream = *streams.entry(&e.object).or_insert(next);
        let next = messages.len() as u64;
        let key = *messages.entry(fit).or_insert(next);
        let decision = Decision {
            time_ns: e.time_ns,
            controller: Controller::Scheduler,
            stream,
            kind: "schedule",
            outcome: "FailedScheduling",
            figures: Figures {
                value: pending as f64,
                current: nodes as f64,
                final_: 0.0,
                ..Figures::NONE
            },
        };
        log.record_keyed(decision, key, || {
            let deployment = e.object.trim_start_matches("deployment/");
            // `deployment/<name>-<region>` (a service's or a Job's): split at the region (of
            // a service, else of a pool) whose name ends it.
            let services = plan.cluster.services.iter().map(|s| s.region.as_str());
            let pools = plan.cluster.pools.iter().map(|p| p.region.as_str());
            let (scope, region) = services
                .chain(pools)
                .find_map(|region| {
                    deployment
                        .strip_suffix(region)
                        .and_then(|d| d.strip_suffix('-'))
                        .map(|name| (name, region))
                })
                .unwrap_or((deployment, ""));
            Described {
                scope: Scope {
                    region: Arc::from(region),
                    scope: Arc::from(scope),
                },
                subject: Arc::from(""),
                detail: e.message.clone(),
            }
        });
    }
    log.take(end_ns)
}

/// The cluster's plan without the scheduled `scale` steps of services whose replicas another
/// controller owns: an HPA (which takes the steps as its bounds, `HpaPlan::bounds`) or the
/// scaling policies (which send them, `PolicyPlan`), so the cluster does not write them too
/// (the ownership table of the crate doc).
fn cluster_plan(plan: &Plan) -> std::borrow::Cow<'_, ClusterPlan> {
    let owned = |id: usize| {
        plan.hpas.iter().any(|h| h.service as usize == id) || plan.policies.owns(id as u32)
    };
    let stepped = |(id, s): (usize, &ServicePlan)| owned(id) && !s.replica_schedule.is_empty();
    if !plan.cluster.services.iter().enumerate().any(stepped) {
        return std::borrow::Cow::Borrowed(&plan.cluster);
    }
    let mut cluster = plan.cluster.clone();
    for (id, s) in cluster.services.iter_mut().enumerate() {
        if owned(id) {
            s.replica_schedule.clear();
        }
    }
    std::borrow::Cow::Owned(cluster)
}

/// Per cluster pool: whether Karpenter's expansion made it (its rows are left out until it
/// has had a node; `autoscaler::expansion`).
fn karpenter_pools(plan: &Plan) -> Vec<bool> {
    let mut karpenter = vec![false; plan.cluster.pools.len()];
    for p in &plan.node_autoscalers {
        if let AutoscalerKind::Karpenter { expansion, .. } = &p.kind {
            for t in &expansion.targets {
                if let Some(k) = karpenter.get_mut(t.pool as usize) {
                    *k = true;
                }
            }
        }
    }
    karpenter
}

/// Adds one `NodeAutoscaler` per planned region, in the plan's order, after the other models.
fn add_node_autoscalers(
    mut bench: SimInit,
    plan: &Plan,
    cluster: &Address<Cluster>,
    decisions: &Decisions,
) -> Result<SimInit, RunError> {
    for (index, p) in plan.node_autoscalers.iter().enumerate() {
        let mut model = NodeAutoscaler::new(p)
            .map_err(engine)?
            .with_decisions(decisions.clone(), index as u64);
        model.view.connect(Cluster::node_autoscaling_view, cluster);
        model.launch.connect(Cluster::launch, cluster);
        model.remove.connect(Cluster::remove, cluster);
        let name = format!("autoscaler/{}", p.region);
        bench = bench.add_model(model, Mailbox::new(), &name);
    }
    Ok(bench)
}

/// The outages of the run (drawn from the seed) and the services behind the failover load
/// balancer, with the outages' health events.
fn fault_setup(plan: &Plan) -> Result<(Vec<Outage>, Vec<FailoverGroup>), RunError> {
    let Some(faults) = &plan.faults else {
        return Ok((Vec::new(), Vec::new()));
    };
    let config = &faults.config;
    let outages = resolve_outages(plan.seed, &config.zone_outages, &config.region_outages);
    let groups = match &config.failover {
        Some(failover) => failover_groups(
            failover,
            &faults.region_names(),
            &plan.cluster.services,
            &outages,
        )
        .map_err(engine)?,
        None => Vec::new(),
    };
    Ok((outages, groups))
}

//! The `policies` section of an experiment, as written: scaling policies beyond the stock
//! controllers. Every struct denies unknown fields; every default is documented on its field.
//! The loader (`src/input/policies.rs`) checks the cross-references and resolves the policies
//! into steps and plans (`crate::policy::model`).

use serde::{Deserialize, Serialize};
use sim::time::SimDuration;
use workloads::traffic::{ShapeSpec, TimeZone};

/// Every scaling policy of the run. Default: none.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoliciesConfig {
    /// The `set` whose entries run (entries without a `set` always run), or "none" for none
    /// of the sets: a sweep compares policies with one axis on this field. Default: every
    /// entry runs.
    #[serde(default)]
    pub active: Option<String>,
    /// Cron-scheduled actions on services, e.g. business hours.
    #[serde(default)]
    pub scheduled: Vec<ScheduledAction>,
    /// Sustained-threshold policies on services without an HPA (`policy::threshold`).
    #[serde(default)]
    pub thresholds: Vec<ThresholdPolicy>,
    /// KEDA-like event-driven scalers, to and from zero (`policy::keda`).
    #[serde(default)]
    pub event_driven: Vec<EventDrivenScaler>,
    /// Predictive scaling on a demand forecast (`policy::forecast`).
    #[serde(default)]
    pub predictive: Vec<PredictivePolicy>,
    /// Sustained-threshold policies on node pools, Dataproc-style worker groups
    /// (`policy::pools`), optionally cost-aware.
    #[serde(default)]
    pub node_pools: Vec<PoolPolicy>,
    /// Cost-aware policies on services' HPAs: scale-ups cut once the budget is low
    /// (`hpa::cost_aware`).
    #[serde(default)]
    pub cost_aware: Vec<CostAwarePolicy>,
}

/// A scheduled scaling action (AWS EC2 Auto Scaling scheduled actions: `Recurrence`,
/// `TimeZone`, `MinSize`/`MaxSize`/`DesiredCapacity`; KEDA's `cron` scaler: `timezone`, `start`,
/// `desiredReplicas`): at each time `cron` fires in `time_zone`, set a service's bounds or
/// replicas in each of its regions, or a node pool's bounds.
///
/// On a service with an `hpa`, `min_replicas` and/or `max_replicas` set the HPA's bounds from
/// its next sync on, and the HPA keeps scaling within them (a minimum raises the maximum when
/// higher, a maximum lowers the minimum when lower), as KEDA's cron scaler keeps a floor under
/// the HPA. On a service without one, `replicas` sets the desired replicas (AWS
/// `DesiredCapacity`). On a node pool of a region with a Cluster Autoscaler, `min_nodes` and/or
/// `max_nodes` set the node group's bounds from its next scan (`autoscaler::model`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledAction {
    /// Names the action in events (`ScheduledScaling`).
    pub name: String,
    /// The named set of policies this entry belongs to (see `PoliciesConfig::active`).
    /// Default: none, the entry always runs.
    #[serde(default)]
    pub set: Option<String>,
    /// A cron pattern, e.g. "0 8 * * 1-5" (08:00 Monday to Friday); see `crate::cron`.
    pub cron: String,
    /// The IANA zone the pattern is read in, e.g. "Europe/Paris". Default "UTC", as for AWS
    /// scheduled actions (KEDA's cron scaler requires its `timezone`).
    #[serde(default = "utc")]
    pub time_zone: TimeZone,
    /// The service the action scales (exactly one of `service` and `pool`).
    #[serde(default)]
    pub service: Option<String>,
    /// Regions of the service it acts in. Default: all of the service's.
    #[serde(default)]
    pub regions: Option<Vec<String>>,
    /// The HPA's `minReplicas` from then on (services with an `hpa`; at least 1).
    #[serde(default)]
    pub min_replicas: Option<u32>,
    /// The HPA's `maxReplicas` from then on (services with an `hpa`; at least 1).
    #[serde(default)]
    pub max_replicas: Option<u32>,
    /// Desired replicas (services without an `hpa`).
    #[serde(default)]
    pub replicas: Option<u32>,
    /// The node pool whose bounds the action sets (exactly one of `service` and `pool`).
    #[serde(default)]
    pub pool: Option<String>,
    /// The node group's minimum from then on; above the pool's size, nodes are launched to it.
    #[serde(default)]
    pub min_nodes: Option<u32>,
    /// The node group's maximum from then on.
    #[serde(default)]
    pub max_nodes: Option<u32>,
}

fn utc() -> TimeZone {
    TimeZone::UTC
}

/// Scales a service's pods on sustained thresholds (`policy::threshold` has the semantics and
/// their sources), e.g. up one pod when CPU is above 80 % for 3 minutes, down one when below
/// 30 % for 10 minutes, between 2 and 10. For a service without an `hpa` (one owner of its
/// replicas), with no `scale` steps and no scheduled action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdPolicy {
    /// Names the policy in events (`ThresholdScaling`).
    pub name: String,
    /// The named set of policies this entry belongs to (see `PoliciesConfig::active`).
    /// Default: none, the entry always runs.
    #[serde(default)]
    pub set: Option<String>,
    pub service: String,
    /// Regions of the service it acts in, each on its own. Default: all of the service's.
    #[serde(default)]
    pub regions: Option<Vec<String>>,
    /// Fewest and most replicas (Dataproc's `minInstances`/`maxInstances`); min ≤ max.
    pub min_replicas: u32,
    pub max_replicas: u32,
    /// Scale up when any of these is sustained.
    #[serde(default)]
    pub scale_up: Vec<Condition>,
    /// Scale down when every one of these is sustained (none: never scale down).
    #[serde(default)]
    pub scale_down: Vec<Condition>,
    /// Pods added per scale-up. Default `Pods(1)`.
    #[serde(default = "one_pod")]
    pub step_up: Step,
    /// Pods removed per scale-down. Default `Pods(1)`.
    #[serde(default = "one_pod")]
    pub step_down: Step,
    /// Wait after a scaling before the next. Default "2m", Dataproc's `cooldownPeriod` default
    /// (autoscaling policies reference, `BasicAutoscalingAlgorithm.cooldownPeriod`).
    #[serde(default = "default_cooldown")]
    pub cooldown: SimDuration,
    /// How often the conditions are evaluated. Default "15s", metrics-server's default
    /// `--metric-resolution`: no fresher CPU figure exists to evaluate.
    #[serde(default = "default_evaluation_interval")]
    pub evaluation_interval: SimDuration,
}

/// One threshold condition: `(metric: cpu_utilization, above: 0.8, for: "3m")`; exactly one of
/// `above` and `below`, each strict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition<M = ThresholdMetric> {
    pub metric: M,
    #[serde(default)]
    pub above: Option<f64>,
    #[serde(default)]
    pub below: Option<f64>,
    /// How long it must hold at every evaluation before it counts. Default "0s" (at once).
    #[serde(default, rename = "for")]
    pub hold: SimDuration,
}

/// What a condition measures, per region of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdMetric {
    /// CPU used over CPU requested by the ready pods since the previous evaluation (0 to 1; a
    /// pod serving `capacity_rps` uses its whole request), the time series' `cpu_utilization`.
    CpuUtilization,
    /// Memory used over memory requested per ready pod (needs the service's `memory_usage`).
    MemoryUtilization,
    /// Pods created but not yet running (unscheduled, or starting).
    PendingPods,
    /// Requests in the service, waiting or being served (the HPA's `queue_length`).
    QueueLength,
}

impl ThresholdMetric {
    pub fn name(self) -> &'static str {
        match self {
            ThresholdMetric::CpuUtilization => "cpu_utilization",
            ThresholdMetric::MemoryUtilization => "memory_utilization",
            ThresholdMetric::PendingPods => "pending_pods",
            ThresholdMetric::QueueLength => "queue_length",
        }
    }
}

/// A scaling step: `Pods(2)` (services) or `Nodes(2)` (node pools), or `Percent(50)` of the
/// current count (rounded up, at least one). `Pods` and `Nodes` hold a signed number so that a
/// negative step is refused by the loader with its own message ("expected at least 1 pod")
/// rather than as a parse error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Step {
    Pods(i64),
    Nodes(i64),
    Percent(f64),
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Pods(n) => write!(f, "{n} pod(s)"),
            Step::Nodes(n) => write!(f, "{n} node(s)"),
            Step::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// A metric of a threshold policy: its name in events.
pub trait MetricName: Copy {
    fn name(self) -> &'static str;
}

impl MetricName for ThresholdMetric {
    fn name(self) -> &'static str {
        ThresholdMetric::name(self)
    }
}

/// Scales the nodes of one or more node pools of a region on sustained thresholds, as a
/// Dataproc autoscaling policy scales its primary and secondary worker groups
/// (`policy::pools` has the semantics and their sources): e.g. add workers when the workers'
/// CPU is more than 80 % allocated for 3 minutes or more than 5 pods wait, remove them when
/// below 30 % for 10 minutes. Each pool keeps within its own `min_nodes`..`max_nodes`; its
/// region has no Cluster Autoscaler of those pools (one owner of a pool's size).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolPolicy {
    /// Names the policy in events (`TriggeredScaleUp`, `ScaleDown` on the pools).
    pub name: String,
    /// The named set of policies this entry belongs to (see `PoliciesConfig::active`).
    /// Default: none, the entry always runs.
    #[serde(default)]
    pub set: Option<String>,
    /// The pools it scales, all of one region, with their shares of the workers.
    pub pools: Vec<PoolShare>,
    /// Most nodes over all its pools (each also within its own `max_nodes`): the cluster's
    /// worker bound. Default: the sum of the pools' `max_nodes`.
    #[serde(default)]
    pub max_nodes: Option<u32>,
    /// Scale up when any of these is sustained.
    #[serde(default)]
    pub scale_up: Vec<Condition<PoolMetric>>,
    /// Scale down when every one of these is sustained (none: never scale down).
    #[serde(default)]
    pub scale_down: Vec<Condition<PoolMetric>>,
    /// Nodes added per scale-up, over all its pools. Default `Nodes(1)`.
    #[serde(default = "one_node")]
    pub step_up: Step,
    /// Nodes removed per scale-down. Default `Nodes(1)`.
    #[serde(default = "one_node")]
    pub step_down: Step,
    /// Wait after a scaling before the next. Default "2m", Dataproc's `cooldownPeriod` default.
    #[serde(default = "default_cooldown")]
    pub cooldown: SimDuration,
    /// How often the conditions are evaluated. Default "1m".
    #[serde(default = "default_pool_evaluation_interval")]
    pub evaluation_interval: SimDuration,
    /// Cost-aware scaling: a budget and what changes when little of it is left. Default none.
    #[serde(default)]
    pub budget: Option<CostAware>,
    /// Predictive provisioning: a forecast of the pools' demand sets their floor. Default none.
    #[serde(default)]
    pub forecast: Option<PoolForecast>,
    /// Graceful decommission of a busy node chosen for removal: it is cordoned (takes no new
    /// pod) and removed once its pods are gone or this long after, when what it still runs is
    /// evicted — Dataproc's `gracefulDecommissionTimeout` ("the duration to wait for jobs to
    /// complete before forcefully removing workers … Bounds: [0s, 1d]", autoscaling policy
    /// `BasicYarnAutoscalingConfig`; "the default timeout is 0 for forceful
    /// decommissioning"). Checked at each evaluation, so the removal comes at the first one at
    /// or after the node empties or its timeout ends. Default "0s": drained at once, as
    /// before. Empty nodes go at once either way.
    #[serde(default)]
    pub graceful_decommission_timeout: SimDuration,
}

/// Predictive provisioning of a [`PoolPolicy`]'s pools (`policy::pools`), as AWS predictive
/// scaling's `ForecastAndScale` sets an Auto Scaling group's minimum capacity ahead of the
/// load: every `step` the vCPUs the pools' pods request (those running on them and those
/// pending that they could take) are observed, additive Holt-Winters forecasts them
/// `lead_time` ahead (`policy::forecast`), and the pools keep at least
/// `⌈(forecast + headroom) / (vCPUs per node × target_utilization)⌉` nodes, headroom μ +
/// `headroom_sigmas`·σ of the last `error_window` forecast errors; the thresholds scale above
/// that floor. The defaults are those of service predictive policies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolForecast {
    /// Default "24h".
    #[serde(default = "default_period")]
    pub period: SimDuration,
    /// Default "5m"; a whole number of the policy's `evaluation_interval`s.
    #[serde(default = "default_step")]
    pub step: SimDuration,
    /// How far ahead nodes are provisioned: node boot plus pod start-up. Default "10m".
    #[serde(default = "default_lead_time")]
    pub lead_time: SimDuration,
    /// Share of the nodes' allocatable CPU the forecast may fill. Default 0.7.
    #[serde(default = "default_target_utilization")]
    pub target_utilization: f64,
    /// The α of the headroom μ + α·σ. Default 2.
    #[serde(default = "default_headroom_sigmas")]
    pub headroom_sigmas: f64,
    /// Default 12.
    #[serde(default = "default_error_window")]
    pub error_window: u32,
    #[serde(default)]
    pub smoothing: SmoothingConfig,
    /// Demand before the run, in vCPUs: a shape over `span` ending at the run's start.
    #[serde(default)]
    pub history: Option<History>,
}

/// One pool of a [`PoolPolicy`] and its share of the workers: Dataproc's instance group
/// `weight` ("if primary workers have weight 2, and secondary workers have weight 1, the
/// cluster will have approximately 2 primary workers for each secondary worker").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolShare {
    pub pool: String,
    /// Default 1; 0 for a pool that takes nodes only when the others are at their bounds (the
    /// weights must not all be 0).
    #[serde(default = "default_weight")]
    pub weight: u32,
}

/// What a pool condition measures, over the Ready nodes of the policy's pools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolMetric {
    /// CPU requested by their pods over their allocatable CPU (0 to 1): YARN's allocated over
    /// available, which Dataproc's autoscaler reads.
    CpuAllocation,
    /// Memory requested over allocatable memory.
    MemoryAllocation,
    /// Pods waiting for a node that one of the pools could take (YARN's pending containers).
    PendingPods,
}

impl MetricName for PoolMetric {
    fn name(self) -> &'static str {
        match self {
            PoolMetric::CpuAllocation => "cpu_allocation",
            PoolMetric::MemoryAllocation => "memory_allocation",
            PoolMetric::PendingPods => "pending_pods",
        }
    }
}

/// Cost-aware scaling: the cost of the policy's pools over the run against its budget (a sum,
/// `budget_usd`, or a rate, `budget_usd_per_hour`: exactly one); once the share of the budget
/// left is at or below `low_share`, scale-ups add `step_factor` of their step (rounded up, at
/// least one node) and new nodes go `spot_share` to its spot pools (the rest to its on-demand
/// pools) instead of by weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostAware {
    /// The pools' budget for the run, in US dollars.
    #[serde(default)]
    pub budget_usd: Option<f64>,
    /// Or their budget per hour of the run, in US dollars (`billing::Allowance::PerHour`).
    #[serde(default)]
    pub budget_usd_per_hour: Option<f64>,
    /// Default 0.3: 30 % of the budget left.
    #[serde(default = "default_low_share")]
    pub low_share: f64,
    /// Default 0.6.
    #[serde(default = "default_step_factor")]
    pub step_factor: f64,
    /// Default 0.9: 90 % of new capacity on spot.
    #[serde(default = "default_spot_share")]
    pub spot_share: f64,
}

/// A cost-aware policy on services scaled by an HPA (`hpa::cost_aware` has the semantics):
/// the run's spend so far (every node, all pools) against its budget; once the share of the
/// budget left is at or below `low_share`, each scale-up their HPAs compute adds only
/// `scale_up_factor` of its increase, rounded up. Spot for new nodes is the node side's choice:
/// a node-pool policy's `budget` (`spot_share`), Karpenter's cheapest offering, or the Cluster
/// Autoscaler's `price` expander.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostAwarePolicy {
    /// Names the policy in events (`CostAwareScaling`).
    pub name: String,
    /// The named set of policies this entry belongs to (see `PoliciesConfig::active`).
    /// Default: none, the entry always runs.
    #[serde(default)]
    pub set: Option<String>,
    /// The services whose HPAs it cuts, in all their regions (each with an `hpa` or an
    /// event-driven scaler's). Default: every service with an HPA.
    #[serde(default)]
    pub services: Option<Vec<String>>,
    /// The budget for the run, in US dollars.
    #[serde(default)]
    pub budget_usd: Option<f64>,
    /// Or a budget per hour of the run, in US dollars (exactly one of the two).
    #[serde(default)]
    pub budget_usd_per_hour: Option<f64>,
    /// Default 0.3: 30 % of the budget left.
    #[serde(default = "default_low_share")]
    pub low_share: f64,
    /// Default 0.6.
    #[serde(default = "default_step_factor")]
    pub scale_up_factor: f64,
}

/// The allowance of a budget written as `budget_usd` or `budget_usd_per_hour`: `None` unless
/// exactly one is set (the loader refuses the others).
pub fn allowance(
    budget_usd: Option<f64>,
    budget_usd_per_hour: Option<f64>,
) -> Option<crate::billing::Allowance> {
    match (budget_usd, budget_usd_per_hour) {
        (Some(usd), None) => Some(crate::billing::Allowance::Total(usd)),
        (None, Some(usd)) => Some(crate::billing::Allowance::PerHour(usd)),
        _ => None,
    }
}

impl CostAware {
    pub fn allowance(&self) -> Option<crate::billing::Allowance> {
        allowance(self.budget_usd, self.budget_usd_per_hour)
    }
}

impl CostAwarePolicy {
    pub fn allowance(&self) -> Option<crate::billing::Allowance> {
        allowance(self.budget_usd, self.budget_usd_per_hour)
    }
}

fn one_node() -> Step {
    Step::Nodes(1)
}

fn default_weight() -> u32 {
    1
}

fn default_pool_evaluation_interval() -> SimDuration {
    SimDuration::from_secs(60)
}

fn default_low_share() -> f64 {
    0.3
}

fn default_step_factor() -> f64 {
    0.6
}

fn default_spot_share() -> f64 {
    0.9
}

fn one_pod() -> Step {
    Step::Pods(1)
}

fn default_cooldown() -> SimDuration {
    SimDuration::from_secs(120)
}

fn default_evaluation_interval() -> SimDuration {
    SimDuration::from_secs(15)
}

/// A KEDA `ScaledObject` on a service without an `hpa` (`policy::keda` has the semantics and
/// sources): KEDA scales the service between 0 and 1 replica on its metric's activation, and
/// the HPA it creates (External metric, `AverageValue: target`, `minReplicas` the larger of
/// `min_replicas` and 1) scales it from 1 to `max_replicas`. Every default is KEDA's
/// (`ScaledObject` specification, keda.sh/docs/2.15/reference/scaledobject-spec).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventDrivenScaler {
    /// Names the ScaledObject in events.
    pub name: String,
    /// The named set of policies this entry belongs to (see `PoliciesConfig::active`).
    /// Default: none, the entry always runs.
    #[serde(default)]
    pub set: Option<String>,
    pub service: String,
    /// Regions of the service it acts in, each on its own. Default: all of the service's.
    #[serde(default)]
    pub regions: Option<Vec<String>>,
    /// The trigger's metric, for the whole service in the region.
    pub metric: EventMetric,
    /// The metric per replica the HPA aims at (the trigger's target value), e.g. 10 queued
    /// requests per replica.
    pub target: f64,
    /// Active while the metric is above this (strictly). Default 0 (`activationThreshold`).
    #[serde(default)]
    pub activation_threshold: f64,
    /// `minReplicaCount`. Default 0: scale to zero when inactive.
    #[serde(default)]
    pub min_replicas: u32,
    /// `maxReplicaCount`. Default 100.
    #[serde(default = "default_keda_max_replicas")]
    pub max_replicas: u32,
    /// `pollingInterval`: how often activation is checked. Default "30s".
    #[serde(default = "default_polling_interval")]
    pub polling_interval: SimDuration,
    /// `cooldownPeriod`: inactive this long since the last active poll → scale to zero (with
    /// `min_replicas` 0). Default "300s".
    #[serde(default = "default_keda_cooldown")]
    pub cooldown: SimDuration,
}

/// What an event-driven trigger reads, as the HPA's custom metrics of those names
/// (`hpa::model::CUSTOM_METRICS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventMetric {
    /// Requests in the service, waiting or served: a queue's length; with no pod, the backlog.
    QueueLength,
    /// Requests arriving per second at the service's ingress in the region.
    RequestsPerSecond,
}

impl EventMetric {
    /// Its name, also the HPA's custom metric name.
    pub fn name(self) -> &'static str {
        match self {
            EventMetric::QueueLength => "queue_length",
            EventMetric::RequestsPerSecond => "requests_per_second",
        }
    }
}

fn default_keda_max_replicas() -> u32 {
    100
}

fn default_polling_interval() -> SimDuration {
    SimDuration::from_secs(30)
}

fn default_keda_cooldown() -> SimDuration {
    SimDuration::from_secs(300)
}

/// Predictive scaling (AWS EC2 Auto Scaling predictive scaling: a forecast of the load, capacity
/// provisioned ahead of it; modes `ForecastOnly` and `ForecastAndScale`): every `step` the
/// service's arrival rate in the region is observed, additive Holt-Winters forecasts it
/// `lead_time` ahead (`policy::forecast`, with the seasonal naive forecast beside it as a
/// baseline), and the replicas are `⌈(forecast + headroom) / (capacity_rps ×
/// target_utilization)⌉` within `min_replicas`..`max_replicas`, headroom μ + `headroom_sigmas`·σ
/// of the last `error_window` forecast errors. Every step is an event with the forecast, the
/// baseline, the headroom and the actual rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PredictivePolicy {
    /// Names the policy in events.
    pub name: String,
    /// The named set of policies this entry belongs to (see `PoliciesConfig::active`).
    #[serde(default)]
    pub set: Option<String>,
    pub service: String,
    /// Regions of the service it acts in, each on its own. Default: all of the service's.
    #[serde(default)]
    pub regions: Option<Vec<String>>,
    /// `ForecastOnly` (recorded as `PredictiveForecast` events, not acted on; any service),
    /// `ForecastAndScale` (sets the replicas: a service nothing else scales) or
    /// `RaiseHpaMinimum` (sets the minimum of the service's HPA, which keeps scaling above it).
    pub mode: PredictiveMode,
    /// The season: the series repeats every `period`. Default "24h" (a daily cycle).
    #[serde(default = "default_period")]
    pub period: SimDuration,
    /// Observation step; `period` must be a whole number of steps. Default "5m".
    #[serde(default = "default_step")]
    pub step: SimDuration,
    /// How far ahead capacity is provisioned: pod start-up plus node boot. Default "10m".
    #[serde(default = "default_lead_time")]
    pub lead_time: SimDuration,
    /// Share of a pod's `capacity_rps` the forecast may use. Default 0.7, the HPA cpu target
    /// commonly written beside it.
    #[serde(default = "default_target_utilization")]
    pub target_utilization: f64,
    /// The α of the headroom μ + α·σ. Default 2.
    #[serde(default = "default_headroom_sigmas")]
    pub headroom_sigmas: f64,
    /// Forecast errors the headroom is computed over. Default 12 (an hour of 5-minute steps).
    #[serde(default = "default_error_window")]
    pub error_window: u32,
    /// Holt-Winters smoothing constants. Default α 0.2, β 0.01, γ 0.3 (`policy::forecast`).
    #[serde(default)]
    pub smoothing: SmoothingConfig,
    /// Default 1.
    #[serde(default = "default_min_one")]
    pub min_replicas: u32,
    pub max_replicas: u32,
    /// Demand before the run, to warm the forecast up: a traffic shape (a `Trace` of past
    /// rates, or any shape) over `span` ending at the run's start. Default: none, the forecast
    /// learns from the run alone (the last value until a full season has been seen).
    #[serde(default)]
    pub history: Option<History>,
}

/// Past demand: `shape` from `start − span` to `start`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct History {
    pub shape: ShapeSpec,
    pub span: SimDuration,
}

/// What a predictive policy does with its forecast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PredictiveMode {
    ForecastOnly,
    ForecastAndScale,
    /// The forecast's replicas become the minimum of the service's HPA (within the HPA's own
    /// `min_replicas`..`max_replicas`), as AWS predictive scaling's `ForecastAndScale` sets
    /// an Auto Scaling group's minimum capacity ahead of the load and lets its other policies
    /// scale above it; applied like a scheduled action's bounds step, at the HPA's first sync
    /// from its instant (KEDA's cron scaler does the same). Traffic is open-loop — what
    /// arrives does not depend on the replicas — so the loader plays the tracker over the
    /// service's own arrival rate at each step, each forecast seeing only the steps before
    /// it, exactly as the run would observe it; the forecasts are also recorded during the
    /// run (`PredictiveForecast`, forecast vs actual) as with `ForecastOnly`.
    RaiseHpaMinimum,
}

/// Holt-Winters smoothing constants, each in (0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmoothingConfig {
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    #[serde(default = "default_beta")]
    pub beta: f64,
    #[serde(default = "default_gamma")]
    pub gamma: f64,
}

impl Default for SmoothingConfig {
    fn default() -> Self {
        SmoothingConfig {
            alpha: default_alpha(),
            beta: default_beta(),
            gamma: default_gamma(),
        }
    }
}

fn default_alpha() -> f64 {
    0.2
}

fn default_beta() -> f64 {
    0.01
}

fn default_gamma() -> f64 {
    0.3
}

fn default_period() -> SimDuration {
    SimDuration::from_secs(86_400)
}

fn default_step() -> SimDuration {
    SimDuration::from_secs(300)
}

fn default_lead_time() -> SimDuration {
    SimDuration::from_secs(600)
}

fn default_target_utilization() -> f64 {
    0.7
}

fn default_headroom_sigmas() -> f64 {
    2.0
}

fn default_error_window() -> u32 {
    12
}

fn default_min_one() -> u32 {
    1
}

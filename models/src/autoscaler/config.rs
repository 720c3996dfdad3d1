//! Settings of the two node autoscalers, as users write them: Cluster Autoscaler flags and
//! Karpenter NodePools. Every struct denies unknown fields; every default is upstream's.
//!
//! Sources:
//! * Cluster Autoscaler: `kubernetes/autoscaler` tag `cluster-autoscaler-1.36.1`,
//!   `cluster-autoscaler/config/flags/flags.go` (flag defaults) and `config/const.go`
//!   (`DefaultScanInterval`, `DefaultScaleDownUnneededTime`, ...).
//! * Karpenter: `kubernetes-sigs/karpenter` commit `2266468104f36373ed002241afaee2d3bbc26078`,
//!   `pkg/apis/v1/nodepool.go` (disruption defaults), `pkg/operator/options/options.go` (batch
//!   durations), `pkg/controllers/disruption/consolidation.go` (spot-to-spot gate).
//!
//! Durations are Go/Kubernetes strings (`"10s"`, `"15m"`, `"720h"`) through
//! [`sim::time::SimDuration`]'s deserializer, as in `crate::config`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sim::quantity::{Bytes, CpuMillis};
use sim::time::SimDuration;

use crate::api::CapacityType;

/// A rejected setting: where (`node_pools[1].disruption.budgets[0].nodes`) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for ConfigError {}

fn error(path: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError {
        path: path.into(),
        message: message.into(),
    }
}

/// One expander of `--expander` (`expander/expander.go`). A list is a chain: each narrows the
/// options of the one before, and a tie left at the end is broken at random (flag help of
/// `--expander`). `least-nodes` and `grpc` are not modelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Expander {
    Random,
    MostPods,
    LeastWaste,
    Price,
    Priority,
}

impl Expander {
    /// Upstream's spelling, for event reasons.
    pub fn as_str(self) -> &'static str {
        match self {
            Expander::Random => "random",
            Expander::MostPods => "most-pods",
            Expander::LeastWaste => "least-waste",
            Expander::Price => "price",
            Expander::Priority => "priority",
        }
    }
}

/// One entry of the priority expander's ConfigMap (`priorities: {10: [".*-spot"], ...}`):
/// node groups whose name matches one of `patterns` get `priority`; higher wins
/// (`expander/priority/priority.go`).
///
/// Upstream compiles the patterns as Go regular expressions and matches them anywhere in the
/// name (`FindStringIndex`). clustersim has no regex crate, so a pattern here is the subset
/// literal characters, `.` (any character), `*` (the previous item repeated) and the anchors
/// `^` and `$`; [`ClusterAutoscalerConfig::validate`] rejects any other metacharacter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityRule {
    pub priority: i32,
    pub patterns: Vec<String>,
}

/// Cluster Autoscaler flags (`config/flags/flags.go` at `cluster-autoscaler-1.36.1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterAutoscalerConfig {
    /// `--scan-interval`, default 10s (`DefaultScanInterval`).
    #[serde(default = "default_scan_interval")]
    pub scan_interval: SimDuration,
    /// `--expander`, default `[LeastWaste]` (the flag's default is `least-waste`; old releases
    /// used `random`).
    #[serde(default = "default_expanders")]
    pub expanders: Vec<Expander>,
    /// The priority expander's ConfigMap; required when `expanders` contains `Priority`.
    #[serde(default)]
    pub priorities: Vec<PriorityRule>,
    /// `--max-node-provision-time`, default 15m: a requested node not registered by then is
    /// given up and its node group backed off.
    #[serde(default = "default_max_node_provision_time")]
    pub max_node_provision_time: SimDuration,
    /// `--max-nodes-total`, default 0 = unlimited.
    #[serde(default)]
    pub max_nodes_total: u32,
    /// `--max-nodes-per-scaleup`, default 1000: a cap of the binpacking estimate.
    #[serde(default = "default_max_nodes_per_scale_up")]
    pub max_nodes_per_scale_up: u32,
    /// `--scale-down-enabled`, default true.
    #[serde(default = "default_true")]
    pub scale_down_enabled: bool,
    /// `--scale-down-utilization-threshold`, default 0.5; a node at or below it is a
    /// candidate (`eligibility.go isNodeAtOrBelowUtilizationThreshold`).
    #[serde(default = "default_utilization_threshold")]
    pub scale_down_utilization_threshold: f64,
    /// `--scale-down-unneeded-time`, default 10m.
    #[serde(default = "default_ten_minutes")]
    pub scale_down_unneeded_time: SimDuration,
    /// `--scale-down-delay-after-add`, default 10m.
    #[serde(default = "default_ten_minutes")]
    pub scale_down_delay_after_add: SimDuration,
    /// `--scale-down-delay-after-delete`, default 0s in 1.36 (older help texts said "defaults
    /// to scan-interval"; since the check runs once per scan, 0 means "at the next scan").
    #[serde(default)]
    pub scale_down_delay_after_delete: SimDuration,
    /// `--scale-down-delay-after-failure`, default 3m (`DefaultScaleDownDelayAfterFailure`).
    #[serde(default = "default_delay_after_failure")]
    pub scale_down_delay_after_failure: SimDuration,
    /// `--max-scale-down-parallelism`, default 10: empty and drained nodes deleted per scan.
    /// It replaced `--max-empty-bulk-delete` (also 10), which 1.36 no longer has.
    #[serde(default = "default_scale_down_parallelism")]
    pub max_scale_down_parallelism: u32,
    /// `--max-drain-parallelism`, default 1: non-empty nodes drained per scan.
    #[serde(default = "default_drain_parallelism")]
    pub max_drain_parallelism: u32,
    /// `--scale-down-non-empty-candidates-count`, default 30: non-empty nodes whose drain is
    /// simulated per scan ("Maximum number of non empty nodes considered in one iteration as
    /// candidates for scale down with drain"); 0 = no limit, as upstream's non-positive values.
    /// Without it a scan of a 1 000-node region at night simulates a drain of every node onto
    /// every other (O(nodes²)). The candidates-pool flags (ratio 0.1, min count 50) are not
    /// modelled.
    #[serde(default = "default_non_empty_candidates")]
    pub scale_down_non_empty_candidates_count: u32,
    /// `--initial-node-group-backoff-duration`, default 5m: a node group whose scale-up timed
    /// out is skipped this long, doubling per failure up to
    /// `--max-node-group-backoff-duration` (30m).
    #[serde(default = "default_initial_backoff")]
    pub initial_node_group_backoff: SimDuration,
    #[serde(default = "default_max_backoff")]
    pub max_node_group_backoff: SimDuration,
}

impl Default for ClusterAutoscalerConfig {
    fn default() -> Self {
        ClusterAutoscalerConfig {
            scan_interval: default_scan_interval(),
            expanders: default_expanders(),
            priorities: Vec::new(),
            max_node_provision_time: default_max_node_provision_time(),
            max_nodes_total: 0,
            max_nodes_per_scale_up: default_max_nodes_per_scale_up(),
            scale_down_enabled: true,
            scale_down_utilization_threshold: default_utilization_threshold(),
            scale_down_unneeded_time: default_ten_minutes(),
            scale_down_delay_after_add: default_ten_minutes(),
            scale_down_delay_after_delete: SimDuration::ZERO,
            scale_down_delay_after_failure: default_delay_after_failure(),
            max_scale_down_parallelism: default_scale_down_parallelism(),
            max_drain_parallelism: default_drain_parallelism(),
            scale_down_non_empty_candidates_count: default_non_empty_candidates(),
            initial_node_group_backoff: default_initial_backoff(),
            max_node_group_backoff: default_max_backoff(),
        }
    }
}

impl ClusterAutoscalerConfig {
    /// Checks what serde cannot: ranges and cross-field rules.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.scan_interval.is_zero() {
            return Err(error("scan_interval", "must be positive"));
        }
        if self.expanders.is_empty() {
            return Err(error("expanders", "must name at least one expander"));
        }
        let threshold = self.scale_down_utilization_threshold;
        if !(0.0..=1.0).contains(&threshold) {
            return Err(error(
                "scale_down_utilization_threshold",
                format!("must be between 0 and 1, got {threshold}"),
            ));
        }
        if self.max_nodes_per_scale_up == 0 {
            return Err(error("max_nodes_per_scale_up", "must be at least 1"));
        }
        if self.max_scale_down_parallelism == 0 {
            return Err(error("max_scale_down_parallelism", "must be at least 1"));
        }
        if self.max_node_group_backoff < self.initial_node_group_backoff {
            return Err(error(
                "max_node_group_backoff",
                "must be at least initial_node_group_backoff",
            ));
        }
        if self.expanders.contains(&Expander::Priority) && self.priorities.is_empty() {
            return Err(error(
                "priorities",
                "the Priority expander needs at least one rule",
            ));
        }
        for (i, rule) in self.priorities.iter().enumerate() {
            for (j, pattern) in rule.patterns.iter().enumerate() {
                if let Err(message) = crate::autoscaler::pattern::check(pattern) {
                    return Err(error(format!("priorities[{i}].patterns[{j}]"), message));
                }
            }
        }
        Ok(())
    }
}

fn default_scan_interval() -> SimDuration {
    SimDuration::from_secs(10)
}
fn default_expanders() -> Vec<Expander> {
    vec![Expander::LeastWaste]
}
fn default_max_node_provision_time() -> SimDuration {
    SimDuration::from_secs(15 * 60)
}
fn default_max_nodes_per_scale_up() -> u32 {
    1000
}
fn default_true() -> bool {
    true
}
fn default_utilization_threshold() -> f64 {
    0.5
}
fn default_ten_minutes() -> SimDuration {
    SimDuration::from_secs(10 * 60)
}
fn default_delay_after_failure() -> SimDuration {
    SimDuration::from_secs(3 * 60)
}
fn default_scale_down_parallelism() -> u32 {
    10
}
fn default_drain_parallelism() -> u32 {
    1
}
fn default_non_empty_candidates() -> u32 {
    30
}
fn default_initial_backoff() -> SimDuration {
    SimDuration::from_secs(5 * 60)
}
fn default_max_backoff() -> SimDuration {
    SimDuration::from_secs(30 * 60)
}

/// `spec.disruption.consolidationPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConsolidationPolicy {
    WhenEmpty,
    WhenEmptyOrUnderutilized,
}

/// A duration that may be `"Never"` (`consolidateAfter`, `expireAfter`): `None` is never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NillableDuration(pub Option<SimDuration>);

impl Serialize for NillableDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(d) => d.serialize(s),
            None => s.serialize_str("Never"),
        }
    }
}

impl<'de> Deserialize<'de> for NillableDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text == "Never" {
            return Ok(NillableDuration(None));
        }
        SimDuration::parse(&text)
            .map(|v| NillableDuration(Some(v)))
            .map_err(|e| serde::de::Error::custom(format!("{e} (or \"Never\")")))
    }
}

/// A disruption budget: `nodes` is `"10%"` or a count like `"5"` (`Budget.Nodes`). Schedules
/// and reasons are not modelled: every budget is always active for every reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    pub nodes: String,
}

impl Budget {
    /// Allowed disruptions out of `nodes` nodes: `GetScaledValueFromIntOrPercent(nodes,
    /// numNodes, roundUp=true)` (`pkg/apis/v1/nodepool.go GetAllowedDisruptions`): a
    /// percentage is rounded up, so 10 % of 5 nodes allows 1.
    pub fn allowed(&self, nodes: u32) -> Result<u32, String> {
        let text = self.nodes.trim();
        if let Some(pct) = text.strip_suffix('%') {
            let pct: u64 = pct
                .parse()
                .map_err(|_| format!("expected a whole percentage like \"10%\", got {text:?}"))?;
            if pct > 100 {
                return Err(format!("a percentage above 100 ({text:?})"));
            }
            Ok((u64::from(nodes) * pct).div_ceil(100) as u32)
        } else {
            text.parse::<u32>()
                .map_err(|_| format!("expected a node count or a percentage, got {text:?}"))
        }
    }
}

/// `spec.disruption` of a NodePool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisruptionConfig {
    /// Default `WhenEmptyOrUnderutilized`.
    #[serde(default = "default_policy")]
    pub consolidation_policy: ConsolidationPolicy,
    /// Default `"0s"`; `"Never"` disables consolidation.
    #[serde(default = "default_consolidate_after")]
    pub consolidate_after: NillableDuration,
    /// Default `[(nodes: "10%")]`.
    #[serde(default = "default_budgets")]
    pub budgets: Vec<Budget>,
}

impl Default for DisruptionConfig {
    fn default() -> Self {
        DisruptionConfig {
            consolidation_policy: default_policy(),
            consolidate_after: default_consolidate_after(),
            budgets: default_budgets(),
        }
    }
}

fn default_policy() -> ConsolidationPolicy {
    ConsolidationPolicy::WhenEmptyOrUnderutilized
}
fn default_consolidate_after() -> NillableDuration {
    NillableDuration(Some(SimDuration::ZERO))
}
fn default_budgets() -> Vec<Budget> {
    vec![Budget {
        nodes: "10%".to_owned(),
    }]
}

/// The NodePool requirements clustersim models (`karpenter.k8s.aws/instance-family`,
/// `node.kubernetes.io/instance-type`, `karpenter.sh/capacity-type`,
/// `topology.kubernetes.io/zone`, each an `In` list). An unset list allows everything.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirements {
    #[serde(default)]
    pub instance_families: Option<Vec<String>>,
    #[serde(default)]
    pub instance_types: Option<Vec<String>>,
    /// Default `[OnDemand]`: Karpenter's default NodeClaim requirement when a pool names no
    /// capacity type.
    #[serde(default = "default_capacity_types")]
    pub capacity_types: Vec<CapacityType>,
    #[serde(default)]
    pub zones: Option<Vec<String>>,
}

impl Default for Requirements {
    fn default() -> Self {
        Requirements {
            instance_families: None,
            instance_types: None,
            capacity_types: default_capacity_types(),
            zones: None,
        }
    }
}

fn default_capacity_types() -> Vec<CapacityType> {
    vec![CapacityType::OnDemand]
}

/// `spec.limits`: the pool stops launching once its nodes' capacity would pass these.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolLimits {
    #[serde(default)]
    pub cpu: Option<CpuMillis>,
    #[serde(default)]
    pub memory: Option<Bytes>,
}

/// A Karpenter NodePool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodePoolSpec {
    pub name: String,
    /// `spec.weight`: pools are tried highest first, ties by name. Default 0.
    #[serde(default)]
    pub weight: i32,
    #[serde(default)]
    pub requirements: Requirements,
    #[serde(default)]
    pub limits: PoolLimits,
    #[serde(default)]
    pub disruption: DisruptionConfig,
    /// `spec.template.spec.expireAfter`, default 720h; `"Never"` disables.
    #[serde(default = "default_expire_after")]
    pub expire_after: NillableDuration,
}

fn default_expire_after() -> NillableDuration {
    NillableDuration(Some(SimDuration::from_secs(720 * 3600)))
}

/// Karpenter controller settings and its NodePools.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KarpenterConfig {
    /// `--batch-idle-duration`, default 1s.
    #[serde(default = "default_batch_idle")]
    pub batch_idle_duration: SimDuration,
    /// `--batch-max-duration`, default 10s.
    #[serde(default = "default_batch_max")]
    pub batch_max_duration: SimDuration,
    /// How often the disruption controller polls, 10s (`disruption/controller.go`,
    /// `pollingPeriod`); the integrator schedules `disrupt` at this period.
    #[serde(default = "default_batch_max")]
    pub disruption_poll_interval: SimDuration,
    /// Feature gate `SpotToSpotConsolidation`, default false.
    #[serde(default)]
    pub spot_to_spot_consolidation: bool,
    pub node_pools: Vec<NodePoolSpec>,
}

fn default_batch_idle() -> SimDuration {
    SimDuration::from_secs(1)
}
fn default_batch_max() -> SimDuration {
    SimDuration::from_secs(10)
}

impl KarpenterConfig {
    /// Checks what serde cannot; zones and instance types are checked against the catalog by
    /// `Karpenter::new`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.batch_idle_duration.is_zero() || self.batch_max_duration.is_zero() {
            return Err(error(
                "batch_idle_duration",
                "batch durations must be positive",
            ));
        }
        if self.batch_max_duration < self.batch_idle_duration {
            return Err(error(
                "batch_max_duration",
                "must be at least batch_idle_duration",
            ));
        }
        if self.disruption_poll_interval.is_zero() {
            return Err(error("disruption_poll_interval", "must be positive"));
        }
        if self.node_pools.is_empty() {
            return Err(error("node_pools", "needs at least one NodePool"));
        }
        for (i, pool) in self.node_pools.iter().enumerate() {
            let at = |field: &str| format!("node_pools[{i}].{field}");
            if pool.name.is_empty() {
                return Err(error(at("name"), "must not be empty"));
            }
            if self.node_pools[..i].iter().any(|p| p.name == pool.name) {
                return Err(error(at("name"), format!("{:?} is used twice", pool.name)));
            }
            if pool.requirements.capacity_types.is_empty() {
                return Err(error(
                    at("requirements.capacity_types"),
                    "must allow at least one capacity type",
                ));
            }
            for (j, budget) in pool.disruption.budgets.iter().enumerate() {
                if let Err(message) = budget.allowed(0) {
                    return Err(error(
                        at(&format!("disruption.budgets[{j}].nodes")),
                        message,
                    ));
                }
            }
        }
        Ok(())
    }
}

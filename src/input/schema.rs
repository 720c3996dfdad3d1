//! The experiment file's schema (v1), as written: the sections each model owns
//! (`models::config` and the models' own config modules) composed into one file, plus the
//! sections only the whole file has (targets, node autoscaling per region).
//!
//! Format-neutral: serde derives only. RON is read with the `implicit_some` extension on, so an
//! optional value is written plainly (`p99_latency: "100ms"`) rather than as `Some("100ms")`.

use models::autoscaler::config::{ClusterAutoscalerConfig, KarpenterConfig};
use models::catalog::Provider;
use models::config::{
    BillingConfig, NamespaceConfig, NodePoolConfig, PriorityClassConfig, RegionConfig,
    SchedulerConfig, ServiceConfig,
};
use models::control_plane::config::ControlPlaneConfig;
use models::faults::config::FaultsConfig;
use models::hpa::config::HpaControllerConfig;
use models::jobs::BatchConfig;
use models::kueue::config::KueueConfig;
use models::latency::Fidelity;
use models::policy::config::PoliciesConfig;
use serde::{Deserialize, Serialize};
use sim::time::{SimDuration, UtcInstant};

use crate::health::HealthChecks;

/// An experiment file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    /// Names the run in outputs and reports.
    pub name: String,
    /// Seed of every random stream of the run. Default 0; `--seed` overrides it.
    #[serde(default)]
    pub seed: u64,
    /// Simulated time span, e.g. "24h".
    pub duration: SimDuration,
    /// Simulated wall-clock instant of time zero, RFC 3339 UTC.
    /// Default "2026-11-27T00:00:00Z", midnight UTC of Black Friday 2026.
    #[serde(default = "default_start")]
    pub start: UtcInstant,
    /// Interval between rows of the time series. Default "1m", the resolution of the bundled
    /// request traces.
    #[serde(default = "default_output_interval")]
    pub output_interval: SimDuration,
    /// Price catalog: `gcp` (Compute Engine prices of 2026-07-30, default) or `aws`
    /// (EC2 on-demand prices of 2017-11-12, spot estimated from the 2025 Spot Advisor).
    #[serde(default = "default_provider")]
    pub provider: Provider,
    pub regions: Vec<RegionConfig>,
    #[serde(default)]
    pub node_pools: Vec<NodePoolConfig>,
    #[serde(default)]
    pub services: Vec<ServiceConfig>,
    /// Namespaces with their quotas. `default` exists without being declared.
    #[serde(default)]
    pub namespaces: Vec<NamespaceConfig>,
    /// PriorityClasses services may name.
    #[serde(default)]
    pub priority_classes: Vec<PriorityClassConfig>,
    #[serde(default)]
    pub scheduler: SchedulerConfig,
    #[serde(default)]
    pub billing: BillingConfig,
    /// Targets the run is judged against; none by default.
    #[serde(default)]
    pub targets: Targets,
    /// The built-in health checks that fail a run whatever its targets (dropped requests, a
    /// service without a ready pod, pending pods, pods that can never be scheduled), each with
    /// its default; relax or turn one off here (`crate::health`).
    #[serde(default)]
    pub checks: HealthChecks,
    /// kube-controller-manager's HPA settings (sync period 15 s, tolerance 0.1, …; see
    /// `models::hpa::config`), for every service's `hpa`.
    #[serde(default)]
    pub hpa_controller: HpaControllerConfig,
    /// `Fluid` (default): queues as rates and closed forms. `Request`: every request drawn and
    /// queued, to check the fluid model on a small run (`--fidelity request` sets it too).
    #[serde(default)]
    pub fidelity: Fidelity,
    /// Batch workloads: Jobs arriving as a Poisson process, at a CronJob's schedule or from a
    /// job trace, run with Kubernetes Job semantics (see `models::jobs::config`). Default: none.
    #[serde(default)]
    pub batch: Vec<BatchConfig>,
    /// Kueue's ResourceFlavors, ClusterQueues and LocalQueues, for batch workloads that name a
    /// `queue` (`models::kueue::config`); none by default (Jobs start at once).
    #[serde(default)]
    pub kueue: Option<KueueConfig>,
    /// Node autoscalers, at most one per region; none by default (pools keep their nodes).
    #[serde(default)]
    pub node_autoscaling: Vec<NodeAutoscalingConfig>,
    /// Spot reclaims, node failures, zone and regional outages, the global load balancer's
    /// failover and the database's replication (`models::faults::config`); none by default.
    #[serde(default)]
    pub faults: Option<FaultsConfig>,
    /// Scaling policies beyond the stock controllers: cron-scheduled actions
    /// (`models::policy::config`); none by default.
    #[serde(default)]
    pub policies: PoliciesConfig,
    /// Controller and API throughput, scheduler throughput, pod start-up and node boot
    /// (`models::control_plane::config`).
    #[serde(default)]
    pub control_plane: ControlPlaneConfig,
    /// Kubernetes manifests (files or directories, relative to this file) read before the
    /// rest of the experiment, which adds traffic and overrides what it names
    /// (`crate::input::manifests`); none by default.
    #[serde(default)]
    pub manifests: Vec<String>,
    /// The file's opening comment (its `//` lines before the first other line), which states
    /// the experiment's question and answer: `report.html` opens with it. Not a field of the
    /// file; set by `input::parse`.
    #[serde(skip)]
    pub description: Option<String>,
}

impl Experiment {
    /// The cloud of a region: its own `provider`, else the experiment's.
    pub fn provider_of(&self, region: &RegionConfig) -> Provider {
        region.provider.unwrap_or(self.provider)
    }
}

/// The node autoscaler of one region: exactly one of `cluster_autoscaler` (every node pool of
/// the region is a node group, within its `min_nodes`..`max_nodes`) and `karpenter` (its
/// NodePools launch the catalog's instance types of the region; the region's node pools stay
/// as they are).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeAutoscalingConfig {
    pub region: String,
    #[serde(default)]
    pub cluster_autoscaler: Option<ClusterAutoscalerConfig>,
    #[serde(default)]
    pub karpenter: Option<KarpenterConfig>,
    /// Karpenter only: launch → Ready of its nodes. Default "60s", as a node pool's
    /// `provisioning_delay` (a Cluster Autoscaler's nodes take their pool's).
    #[serde(default)]
    pub provisioning_delay: Option<SimDuration>,
}

/// What the run must achieve; each unset target is not judged. Each target is judged as the
/// gate it amounts to (`src/summary.rs::target_gates`), e.g. `p99_latency_ms<=100`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// 99th percentile of the response time of all served requests of the run.
    #[serde(default)]
    pub p99_latency: Option<SimDuration>,
    /// Least share of arrived requests served within `p99_latency` (which it needs), in (0, 1]:
    /// 0.999 is "three nines".
    #[serde(default)]
    pub slo_attainment: Option<f64>,
    /// Most the node pools may cost over the run, in US dollars.
    #[serde(default)]
    pub budget_usd: Option<f64>,
    /// Longest replication lag a failure of the replication primary may lose, e.g. "15m"
    /// (needs `faults.replication` and a regional outage).
    #[serde(default)]
    pub rpo: Option<SimDuration>,
    /// Longest regional outage → SLO restored, e.g. "1h" (needs `faults.region_outages`).
    #[serde(default)]
    pub rto: Option<SimDuration>,
    /// Longest the 95th percentile of the Jobs' waits (submission → start) may be, e.g. "30m"
    /// (needs `batch`).
    #[serde(default)]
    pub batch_wait_p95: Option<SimDuration>,
    /// Most Jobs that may fail their `active_deadline`, e.g. 0 (needs `batch`).
    #[serde(default)]
    pub batch_deadline_misses: Option<u64>,
}

fn default_start() -> UtcInstant {
    UtcInstant::from_unix_s(1_795_737_600)
}

fn default_output_interval() -> SimDuration {
    SimDuration::from_secs(60)
}

fn default_provider() -> Provider {
    Provider::Gcp
}

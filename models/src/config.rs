//! The cluster's part of an experiment file: regions, node pools and services, as users write
//! them. Every struct denies unknown fields, and every default is documented on its field.
//!
//! These are the *written* forms. Cross-references (a pool's region, a service's regions) are
//! checked by the experiment loader, which knows where each value sits in the file; the models
//! receive the resolved [`crate::plan::ClusterPlan`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sim::quantity::{Bytes, CpuMillis};
use sim::time::SimDuration;
use workloads::router::Routing;

use crate::hpa::config::HpaConfig;
use crate::vpa::config::VpaConfig;
use workloads::traffic::ShapeSpec;

pub use crate::api::CapacityType;
pub use crate::scheduler::affinity::{
    NodeSelectorOperator, NodeSelectorRequirement, NodeSelectorTerm,
};
pub use crate::scheduler::resources::ScoringStrategy;
pub use crate::scheduler::taints::{Taint, TaintEffect, Toleration, TolerationOperator};

/// A region and its zones, e.g. `(name: "us-east1", zones: ["us-east1-b", "us-east1-c"])`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionConfig {
    /// The cloud region's name; it selects the prices of the instance catalog.
    pub name: String,
    /// Zones of the region; pools spread their nodes over them round-robin.
    pub zones: Vec<String>,
    /// The cloud of this region's instance catalog, spot notice and Spot Advisor bands, for a
    /// multi-cloud experiment: `(name: "eu-west-1", provider: aws, zones: [...])`. Default: the
    /// experiment's `provider`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<crate::catalog::Provider>,
}

/// A group of identical nodes in one region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodePoolConfig {
    pub name: String,
    /// Must name a region of the experiment.
    pub region: String,
    /// Zones used by the pool. Default: every zone of the region.
    #[serde(default)]
    pub zones: Option<Vec<String>>,
    /// An instance type of the catalog in this region, e.g. "n2-standard-8".
    pub instance_type: String,
    /// Default: `OnDemand`.
    #[serde(default = "default_capacity_type")]
    pub capacity_type: CapacityType,
    /// Nodes at the start of the run. Without a node autoscaler the pool keeps them all day.
    pub nodes: u32,
    /// Fewest nodes a node autoscaler may leave in the pool (the node group's `minSize`).
    /// Default 0.
    #[serde(default)]
    pub min_nodes: u32,
    /// Most nodes a node autoscaler may create in the pool (the node group's `maxSize`).
    /// Default: no limit of the pool's own (the autoscaler's cluster-wide limits still apply).
    #[serde(default)]
    pub max_nodes: Option<u32>,
    /// Instance launch → node Ready (VM boot, kubelet registration, CNI ready). Default "60s",
    /// inside the 40–90 s that AWS and GCP nodes typically take (`ground-truth/spot-and-
    /// failures.md`; no upstream constant fixes it) and far below the Cluster Autoscaler's
    /// `--max-node-provision-time` of 15 min.
    #[serde(default = "default_provisioning_delay")]
    pub provisioning_delay: SimDuration,
    /// Node labels, matched by services' `node_selector`. Every node also carries the
    /// well-known `topology.kubernetes.io/region`, `topology.kubernetes.io/zone`,
    /// `node.kubernetes.io/instance-type` and `karpenter.sh/capacity-type` (`on-demand`/`spot`).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Node taints; only pods that tolerate them are placed here.
    #[serde(default)]
    pub taints: Vec<Taint>,
    /// What one node offers pods, when its platform sets it rather than GKE's reservation
    /// tiers: `(cpu: "3", memory: "14Gi")` for a Dataproc-like `n2-standard-4` worker.
    /// At most the instance's capacity. Default: the tiers (`crate::allocatable`).
    #[serde(default)]
    pub allocatable: Option<Resources>,
    /// The same stated as what the system keeps (kube, system and eviction reservations
    /// together): allocatable = capacity − `reserved`. Less than the capacity; not with
    /// `allocatable`. Default: the tiers.
    #[serde(default)]
    pub reserved: Option<Resources>,
}

fn default_provisioning_delay() -> SimDuration {
    SimDuration::from_secs(60)
}

fn default_capacity_type() -> CapacityType {
    CapacityType::OnDemand
}

/// A pod's resource requests, in Kubernetes spelling: `(cpu: "500m", memory: "512Mi")`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    pub cpu: CpuMillis,
    pub memory: Bytes,
}

/// A service pod's requests: `(cpu: "500m", memory: "512Mi")`, and `gpus: 1` for whole GPUs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceRequests {
    pub cpu: CpuMillis,
    pub memory: Bytes,
    /// Whole GPUs each pod requests: Kubernetes' `nvidia.com/gpu` extended resource, a whole
    /// number. As in Kubernetes (kubernetes.io/docs/tasks/manage-gpus/scheduling-gpus), a GPU
    /// request needs a GPU limit equal to it, and a GPU limit alone is also the request.
    /// Default: none.
    #[serde(default)]
    pub gpus: Option<u32>,
}

impl ServiceRequests {
    /// The cpu and memory requests.
    pub fn cpu_memory(&self) -> Resources {
        Resources {
            cpu: self.cpu,
            memory: self.memory,
        }
    }
}

/// Container limits; an unset one is unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    #[serde(default)]
    pub cpu: Option<CpuMillis>,
    #[serde(default)]
    pub memory: Option<Bytes>,
    /// `nvidia.com/gpu`: equal to the GPU request when both are written (an extended resource
    /// is never overcommitted); written alone, it is the request too. Default: none.
    #[serde(default)]
    pub gpus: Option<u32>,
}

/// A request-driven service (a Deployment behind a load balancer) and its traffic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    pub name: String,
    /// Regions the service runs in. Default: every region of the experiment.
    #[serde(default)]
    pub regions: Option<Vec<String>>,
    /// Pods per region, fixed for the run (the HPA comes with its own section).
    pub replicas: u32,
    /// Requests of each pod; the scheduler places pods by them: `(cpu: "1", memory: "2Gi")`,
    /// with `gpus: 1` for one `nvidia.com/gpu` (and then `limits: (gpus: 1)`).
    pub requests: ServiceRequests,
    /// Container limits, e.g. `(cpu: "1", memory: "1Gi")`; each at least its request (`gpus`
    /// equal to it). With both cpu and memory equal to the requests the pods are Guaranteed,
    /// without any Burstable (or BestEffort with zero requests). Default: none.
    #[serde(default)]
    pub limits: Option<Limits>,
    /// Requests per second one pod serves when its CPU request is fully busy: the service rate
    /// μ of the M/M/c model.
    pub capacity_rps: f64,
    /// How long a request waits in the queue before the client gives up and it counts as
    /// dropped. Default "30s": the default request timeout of common ingress proxies
    /// (ingress-nginx `proxy-read-timeout` is 60 s, Envoy's route timeout 15 s; 30 s sits between).
    #[serde(default = "default_timeout")]
    pub timeout: SimDuration,
    /// Arrival rate per region; with `routing`, the global rate split over the regions.
    pub traffic: ShapeSpec,
    /// A HorizontalPodAutoscaler per region, e.g. `(min_replicas: 3, max_replicas: 20,
    /// metrics: [Resource(name: cpu, target: Utilization(70))])` (see `models::hpa::config`).
    /// `replicas` is then the starting count. Default: none, the replicas are fixed.
    #[serde(default)]
    pub hpa: Option<HpaConfig>,
    /// A VerticalPodAutoscaler per region, e.g. `(update_mode: Auto, min_allowed: (cpu:
    /// "100m"), max_allowed: (cpu: "2", memory: "4Gi"))` (see `models::vpa::config`): it sets
    /// the pods' requests from what they use. Default: none, the requests are fixed.
    #[serde(default)]
    pub vpa: Option<VpaConfig>,
    /// Memory a pod uses, for memory metrics: `(base: "300Mi", per_rps: "2Mi")` is 300 MiB
    /// plus 2 MiB per request/s the pod serves. Required by an HPA with a memory metric.
    #[serde(default)]
    pub memory_usage: Option<MemoryUsage>,
    /// Newly ready pods serve slower for a while (JIT compilation, cold caches):
    /// `(duration: "60s", initial_speed: 0.5)` has a new pod serve at half its rate for its
    /// first minute. Default: none, a pod serves at full rate once ready.
    #[serde(default)]
    pub warm_up: Option<WarmUp>,
    /// A global router splitting `traffic` over the service's regions:
    /// `Weights({"us-east1": 3, "europe-west1": 1})` or `FollowTheSun(time_zones: {...})`
    /// (see `workloads::router`). Default: none, every region gets `traffic` in full.
    #[serde(default)]
    pub routing: Option<Routing>,
    /// Namespace of the service's pods. Default "default".
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// Name of a PriorityClass of the experiment. Default: the class marked `global_default`,
    /// else priority 0 (kube-apiserver's Priority admission).
    #[serde(default)]
    pub priority_class: Option<String>,
    /// Later replica counts per region, e.g. `[(at: "2h", replicas: 30)]`.
    #[serde(default)]
    pub scale: Vec<ScaleStep>,
    /// The container image: `(size: "800Mi")`, the bytes a node pulls before it starts the
    /// service's first pod there (only with a `control_plane` section, whose kubelet limits
    /// say how fast; see `models::control_plane::pulls`). Default: the section's
    /// `kubelet.default_image_size`, "500Mi".
    #[serde(default)]
    pub image: Option<crate::control_plane::config::ImageConfig>,
    /// Bound → containers running (image pull and container start). Default "5s": the
    /// Kubernetes pod-startup-latency SLO (p99 ≤ 5 s excluding image pull, kubernetes/community
    /// `sig-scalability/slos/pod_startup_latency.md`).
    #[serde(default = "default_startup")]
    pub startup: SimDuration,
    /// Running → Ready: the readiness probe's `initialDelaySeconds`. Default "0s", the
    /// Kubernetes API default of `Probe.initialDelaySeconds`.
    #[serde(default)]
    pub readiness: SimDuration,
    /// Terminating → gone: `terminationGracePeriodSeconds`. Default "30s", the API default.
    #[serde(default = "default_termination_grace")]
    pub termination_grace: SimDuration,
    /// `spec.nodeSelector`: labels a node must carry.
    #[serde(default)]
    pub node_selector: BTreeMap<String, String>,
    /// `requiredDuringSchedulingIgnoredDuringExecution` node affinity: the node must match one
    /// of the terms, e.g. `[(match_expressions: [(key: "karpenter.sh/capacity-type", operator:
    /// In, values: ["on-demand"])])]`.
    #[serde(default)]
    pub node_affinity: Vec<NodeSelectorTerm>,
    /// `spec.tolerations`, e.g. `[(key: "dedicated", operator: Equal, value: "batch")]`.
    #[serde(default)]
    pub tolerations: Vec<Toleration>,
    /// A PodDisruptionBudget over the service's pods in each region, e.g.
    /// `(min_available: 12)`. Preemption avoids violating it when another choice exists.
    #[serde(default)]
    pub disruption_budget: Option<DisruptionBudget>,
    /// Hard topology spread (`whenUnsatisfiable: DoNotSchedule`), e.g.
    /// `[(max_skew: 1, topology_key: "topology.kubernetes.io/zone")]`; keys
    /// `topology.kubernetes.io/zone` and `kubernetes.io/hostname`, one constraint each. The
    /// system default soft constraints (hostname 3, zone 5) apply to every pod anyway.
    #[serde(default)]
    pub topology_spread: Vec<TopologySpreadConfig>,
    /// What this service must achieve, judged for each of its regions and, when the service is
    /// declared once, for the service over all its regions: `(p99_latency: "100ms",
    /// slo_attainment: 0.999, max_dropped_share: 0.001)`. Default: none.
    #[serde(default)]
    pub targets: Option<ServiceTargets>,
}

/// A service's own targets; each unset one is not judged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceTargets {
    /// 99th percentile of the response time of the service's served requests. It is also the
    /// threshold its SLO attainment counts against (instead of the run's `p99_latency`).
    #[serde(default)]
    pub p99_latency: Option<SimDuration>,
    /// Least share of the service's arrived requests served within its p99 target (its own, else
    /// the run's, one of which it needs), in (0, 1].
    #[serde(default)]
    pub slo_attainment: Option<f64>,
    /// Most share of the service's arrived requests that may be dropped, in [0, 1].
    #[serde(default)]
    pub max_dropped_share: Option<f64>,
}

/// The warm-up of a newly ready pod: for `duration` it serves at `initial_speed` × its rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarmUp {
    pub duration: SimDuration,
    /// Fraction of the full rate, in (0, 1].
    pub initial_speed: f64,
}

/// Memory a pod uses: `base` plus `per_rps` for each request/s it serves.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryUsage {
    pub base: Bytes,
    #[serde(default = "zero_bytes")]
    pub per_rps: Bytes,
}

fn zero_bytes() -> Bytes {
    Bytes(0)
}

/// One `topologySpreadConstraints` entry with `whenUnsatisfiable: DoNotSchedule`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopologySpreadConfig {
    pub max_skew: u32,
    pub topology_key: String,
}

/// A PodDisruptionBudget: `minAvailable` ready pods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisruptionBudget {
    pub min_available: u32,
}

/// A scheduled change of a service's replica count.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleStep {
    /// Time since the start of the run.
    pub at: SimDuration,
    pub replicas: u32,
}

fn default_timeout() -> SimDuration {
    SimDuration::from_secs(30)
}

fn default_namespace() -> String {
    "default".to_owned()
}

fn default_startup() -> SimDuration {
    SimDuration::from_secs(5)
}

fn default_termination_grace() -> SimDuration {
    SimDuration::from_secs(30)
}

/// A PriorityClass: `(name: "critical", value: 1000)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityClassConfig {
    pub name: String,
    /// User classes may go up to 1 000 000 000 (higher values are reserved for the system
    /// classes, `pkg/apis/scheduling/types.go` `HighestUserDefinablePriority`).
    pub value: i32,
    /// The priority of pods that name no class. At most one class may set it.
    #[serde(default)]
    pub global_default: bool,
}

/// A namespace and its ResourceQuota (`hard` on requests), e.g.
/// `(name: "batch", quota: (cpu: "16", memory: "64Gi", pods: 100))`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamespaceConfig {
    pub name: String,
    #[serde(default)]
    pub quota: Option<QuotaConfig>,
}

/// `requests.cpu`, `requests.memory` and `pods` of a ResourceQuota; unset means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaConfig {
    #[serde(default)]
    pub cpu: Option<CpuMillis>,
    #[serde(default)]
    pub memory: Option<Bytes>,
    #[serde(default)]
    pub pods: Option<u64>,
}

/// Scheduler settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerConfig {
    /// NodeResourcesFit scoring: `LeastAllocated` (default, upstream's), `MostAllocated` or
    /// `RequestedToCapacityRatio(shape: [...])`.
    #[serde(default)]
    pub scoring: ScoringStrategy,
}

/// Billing settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BillingConfig {
    /// Minimum billed lifetime of a node. Default "60s" (AWS Linux and Compute Engine bill per
    /// second after a one-minute minimum).
    #[serde(default = "default_minimum_billed")]
    pub minimum_billed: SimDuration,
}

impl Default for BillingConfig {
    fn default() -> Self {
        BillingConfig {
            minimum_billed: default_minimum_billed(),
        }
    }
}

fn default_minimum_billed() -> SimDuration {
    crate::billing::DEFAULT_MINIMUM_BILLED
}

//! The `kueue` section of an experiment, as written: ResourceFlavors, ClusterQueues and
//! LocalQueues in Kueue's own terms (API `kueue.x-k8s.io/v1beta1`; field names in snake case),
//! e.g.
//!
//! ```ron
//! kueue: (
//!     resource_flavors: [(name: "spot", node_labels: {"karpenter.sh/capacity-type": "spot"}),
//!                        (name: "on-demand", node_labels: {"karpenter.sh/capacity-type": "on-demand"})],
//!     cluster_queues: [(
//!         name: "team-a", cohort: "research", queueing_strategy: BestEffortFIFO,
//!         flavors: [(name: "spot", nominal: (cpu: "9", memory: "36Gi"), borrowing_limit: (cpu: "1"))],
//!         preemption: (within_cluster_queue: LowerPriority, reclaim_within_cohort: Any),
//!     )],
//!     local_queues: [(name: "team-a", namespace: "team-a", cluster_queue: "team-a")],
//!     cohorts: [(name: "research", parent: "company"), (name: "company",
//!                flavors: [(name: "spot", nominal: (cpu: "4"))])],
//! )
//! ```
//!
//! Defaults are upstream's (`cluster_queue.md` and the API reference): `queueing_strategy`
//! `BestEffortFIFO`; every preemption policy `Never`; `flavor_fungibility`
//! `(when_can_borrow: Borrow, when_can_preempt: TryNextFlavor)`; no `borrowing_limit` (borrow what the
//! cohort lends) or `lending_limit` (lend all unused nominal quota); `fair_sharing_weight` 1;
//! `fair_sharing` off (the Kueue configuration's `fairSharing.enable: false`). A resource left
//! out of a flavor's `nominal` is not covered by the queue (Kueue checks only
//! `coveredResources`). `max_admitted_per_user` (default none) is not Kueue's: it is YARN's
//! per-user application limit, for platforms such as Dataproc.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sim::quantity::{Bytes, CpuMillis};
use sim::time::SimDuration;

/// The whole section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KueueConfig {
    #[serde(default)]
    pub resource_flavors: Vec<ResourceFlavorConfig>,
    pub cluster_queues: Vec<ClusterQueueConfig>,
    #[serde(default)]
    pub local_queues: Vec<LocalQueueConfig>,
    /// Cohort objects (`kueue.x-k8s.io/v1alpha1`): a cohort's parent and quota of its own. A
    /// cohort only named by ClusterQueues needs none. Left out of what `import` writes when
    /// empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cohorts: Vec<CohortConfig>,
    /// Order competing ClusterQueues by their dominant resource share (Kueue's fair sharing).
    #[serde(default)]
    pub fair_sharing: bool,
}

/// A ResourceFlavor: the node labels its quota's pods are placed by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceFlavorConfig {
    pub name: String,
    #[serde(default)]
    pub node_labels: BTreeMap<String, String>,
}

/// `.spec.queueingStrategy`, spelt as upstream spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum QueueingStrategyConfig {
    #[serde(rename = "StrictFIFO")]
    StrictFifo,
    #[default]
    #[serde(rename = "BestEffortFIFO")]
    BestEffortFifo,
}

/// `preemption.withinClusterQueue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum WithinClusterQueueConfig {
    #[default]
    Never,
    LowerPriority,
    LowerOrNewerEqualPriority,
}

/// `preemption.reclaimWithinCohort`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ReclaimWithinCohortConfig {
    #[default]
    Never,
    LowerPriority,
    Any,
}

/// `preemption.borrowWithinCohort` with policy `LowerPriority`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BorrowWithinCohortConfig {
    /// Only workloads of at most this priority are preempted to borrow. Default: any lower.
    #[serde(default)]
    pub max_priority_threshold: Option<i32>,
}

/// A ClusterQueue's `preemption`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreemptionConfig {
    #[serde(default)]
    pub within_cluster_queue: WithinClusterQueueConfig,
    #[serde(default)]
    pub reclaim_within_cohort: ReclaimWithinCohortConfig,
    #[serde(default)]
    pub borrow_within_cohort: Option<BorrowWithinCohortConfig>,
    /// A waiting Job may preempt only once it has waited this long: YARN's capacity
    /// scheduler waits before it takes containers back (Dataproc), Kueue preempts at once.
    /// Default "0s".
    #[serde(default)]
    pub after_waiting: SimDuration,
}

/// Amounts of the covered resources; an unset one is not covered (nominal) or not limited
/// (borrowing and lending limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaConfig {
    #[serde(default)]
    pub cpu: Option<CpuMillis>,
    #[serde(default)]
    pub memory: Option<Bytes>,
    /// `nvidia.com/gpu`, whole GPUs.
    #[serde(default)]
    pub gpu: Option<u64>,
    /// Pods (Kueue's reserved `pods` resource).
    #[serde(default)]
    pub pods: Option<u64>,
}

impl QuotaConfig {
    /// The amounts in [`super::RESOURCES`] order.
    pub fn amounts(&self) -> [Option<u64>; super::RESOURCES] {
        [
            self.cpu.map(|c| c.0),
            self.memory.map(|m| m.0),
            self.gpu,
            self.pods,
        ]
    }
}

/// One flavor of a ClusterQueue's resource group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlavorQuotaConfig {
    /// A ResourceFlavor of `resource_flavors`.
    pub name: String,
    pub nominal: QuotaConfig,
    #[serde(default)]
    pub borrowing_limit: Option<QuotaConfig>,
    #[serde(default)]
    pub lending_limit: Option<QuotaConfig>,
}

/// A ClusterQueue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterQueueConfig {
    pub name: String,
    #[serde(default)]
    pub cohort: Option<String>,
    #[serde(default)]
    pub queueing_strategy: QueueingStrategyConfig,
    /// In order of consumption.
    pub flavors: Vec<FlavorQuotaConfig>,
    #[serde(default)]
    pub preemption: PreemptionConfig,
    /// Left out of what `import` writes at its defaults.
    #[serde(default, skip_serializing_if = "FlavorFungibilityConfig::is_default")]
    pub flavor_fungibility: FlavorFungibilityConfig,
    /// `fairSharing.weight`. Default 1.
    #[serde(default)]
    pub fair_sharing_weight: Option<f64>,
    /// Most workloads one user may have admitted at once (not Kueue's; YARN's user limit).
    #[serde(default)]
    pub max_admitted_per_user: Option<u32>,
}

/// A Cohort (`cohort.md`): its parent cohort (`spec.parent`; none: a root) and quotas of its
/// own, shared by the ClusterQueues and cohorts under it, in the shape of a ClusterQueue's
/// flavors (`borrowing_limit` and `lending_limit` bound what it takes from and gives its
/// parent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohortConfig {
    pub name: String,
    #[serde(default)]
    pub parent: Option<String>,
    #[serde(default)]
    pub flavors: Vec<FlavorQuotaConfig>,
}

/// `flavorFungibility.whenCanBorrow`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum WhenCanBorrowConfig {
    #[default]
    Borrow,
    TryNextFlavor,
}

/// `flavorFungibility.whenCanPreempt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum WhenCanPreemptConfig {
    Preempt,
    #[default]
    TryNextFlavor,
}

/// A ClusterQueue's `flavorFungibility`; defaults upstream's (`Borrow`, `TryNextFlavor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlavorFungibilityConfig {
    #[serde(default)]
    pub when_can_borrow: WhenCanBorrowConfig,
    #[serde(default)]
    pub when_can_preempt: WhenCanPreemptConfig,
}

impl FlavorFungibilityConfig {
    fn is_default(&self) -> bool {
        *self == FlavorFungibilityConfig::default()
    }
}

/// A LocalQueue: a namespace's door to a ClusterQueue; a batch workload names it in `queue`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalQueueConfig {
    pub name: String,
    #[serde(default = "default_namespace")]
    pub namespace: String,
    pub cluster_queue: String,
}

fn default_namespace() -> String {
    "default".to_owned()
}

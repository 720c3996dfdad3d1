//! Orders: what a controller tells the cluster to do, each with the reason and message of the
//! event the cluster logs for it.

use serde::{Deserialize, Serialize};

/// Why an event was recorded: Kubernetes' event reasons for the same decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reason {
    /// The scheduler found no node for a pod (`FailedScheduling`).
    FailedScheduling,
    /// A pod was evicted to make room for a higher-priority one (`Preempted`).
    Preempted,
    /// The ReplicaSet controller deleted a pod while scaling down (`Killing`).
    Killing,
    /// The ResourceQuota admission refused a pod (`FailedCreate`).
    FailedCreate,
    /// A pod was evicted from a node being drained or lost (`Evicted`).
    Evicted,
    /// The HorizontalPodAutoscaler changed a deployment's replicas (`SuccessfulRescale`).
    SuccessfulRescale,
    /// The HPA's recommendation differs from the replicas but a stabilization window or a
    /// rate limit holds it (the `ScaleDownStabilized`/`ScaleUpLimit` conditions upstream).
    ScalingHeld,
    /// A node autoscaler asked for nodes (`TriggeredScaleUp`, the Cluster Autoscaler's reason;
    /// Karpenter's `Launched` maps here too).
    TriggeredScaleUp,
    /// A node autoscaler removes a node (`ScaleDown`; Karpenter's disruption reasons map here).
    ScaleDown,
    /// A node became Ready and schedulable (`NodeReady`).
    NodeReady,
    /// A node left the cluster (`RemovingNode`, the node lifecycle controller's reason).
    RemovingNode,
    /// The cloud announced a spot reclaim (`SpotInterruption`, Karpenter's reason).
    SpotInterruption,
    /// A node stopped reporting (`NodeNotReady`).
    NodeNotReady,
    /// The Job controller created pods (`SuccessfulCreate`).
    SuccessfulCreate,
    /// The Job controller deleted pods (`SuccessfulDelete`).
    SuccessfulDelete,
    /// A Job completed (`Completed`).
    Completed,
    /// A Job failed: too many pod failures (`BackoffLimitExceeded`).
    BackoffLimitExceeded,
    /// A Job failed: `activeDeadlineSeconds` ran out (`DeadlineExceeded`).
    DeadlineExceeded,
    /// The VPA updater evicted pods so they come back with new requests (`EvictedByVPA`).
    EvictedByVpa,
    /// The VPA resized running pods in place (`InPlaceResizedByVPA`).
    InPlaceResizedByVpa,
    /// A VPA set a new pod template (`RecommendationApplied`: new pods get its requests).
    RecommendationApplied,
    /// A container used more memory than its limit and the kernel killed it (`OOMKilled`).
    OomKilled,
    /// Kueue admitted a Job's workload in a ClusterQueue (`QuotaReserved`).
    QuotaReserved,
    /// A queued Job was suspended: its workload was preempted (`Suspended`, the Job
    /// controller's reason).
    Suspended,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::FailedScheduling => "FailedScheduling",
            Reason::Preempted => "Preempted",
            Reason::Killing => "Killing",
            Reason::FailedCreate => "FailedCreate",
            Reason::Evicted => "Evicted",
            Reason::SuccessfulRescale => "SuccessfulRescale",
            Reason::ScalingHeld => "ScalingHeld",
            Reason::TriggeredScaleUp => "TriggeredScaleUp",
            Reason::ScaleDown => "ScaleDown",
            Reason::NodeReady => "NodeReady",
            Reason::RemovingNode => "RemovingNode",
            Reason::SpotInterruption => "SpotInterruption",
            Reason::NodeNotReady => "NodeNotReady",
            Reason::SuccessfulCreate => "SuccessfulCreate",
            Reason::SuccessfulDelete => "SuccessfulDelete",
            Reason::Completed => "Completed",
            Reason::BackoffLimitExceeded => "BackoffLimitExceeded",
            Reason::DeadlineExceeded => "DeadlineExceeded",
            Reason::EvictedByVpa => "EvictedByVPA",
            Reason::InPlaceResizedByVpa => "InPlaceResizedByVPA",
            Reason::RecommendationApplied => "RecommendationApplied",
            Reason::OomKilled => "OOMKilled",
            Reason::QuotaReserved => "QuotaReserved",
            Reason::Suspended => "Suspended",
        }
    }
}

/// Launch `count` nodes in a pool (in `zone`, an index into the pool's zones, or balanced
/// over its zones); `why` is the decision's event message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaunchOrder {
    pub pool: u32,
    pub zone: Option<u32>,
    pub count: u32,
    pub why: String,
}

/// Remove a node: drained (cordon, evict, terminate after the grace periods) or at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoveOrder {
    pub node: u32,
    pub drain: bool,
    pub reason: Reason,
    pub why: String,
}

/// Set a service's desired replicas; `reason` and `why` make the decision's event (an order
/// that keeps the replicas only logs it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplicaOrder {
    pub service: u32,
    pub replicas: u32,
    pub reason: Reason,
    pub why: String,
}

/// What the fault injector tells the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FaultOrder {
    /// The node fails silently now (its pods stop serving).
    FailNode { node: u32, why: String },
    /// The node lifecycle controller gives up on a failed node: its pods are evicted and
    /// replaced elsewhere, the instance terminated. Void unless the node is still failed.
    EvictNode { node: u32, why: String },
    /// Every node of the zone fails, until the matching `ZoneUp`.
    ZoneDown { zone: String, why: String },
    /// The pods of the zone's failed nodes are evicted (the instances stay).
    EvictZone { zone: String, why: String },
    /// The zone is reachable again: its nodes failed by the outage become Ready.
    ZoneUp { zone: String, why: String },
}

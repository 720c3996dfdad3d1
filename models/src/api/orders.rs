//! Orders: what a controller tells the cluster to do, each with the reason and message of the
//! event the cluster logs for it.

use serde::{Deserialize, Serialize};
use sim::time::SimTime;

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
    /// A node was cordoned and keeps its pods (`NodeNotSchedulable`, the kubelet's reason when
    /// `spec.unschedulable` is set): the first half of a graceful decommission, as a
    /// node-pool policy with a `graceful_decommission_timeout` removes a busy worker.
    NodeNotSchedulable,
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
    /// A scheduled scaling action (a cron policy) set replicas or an HPA's bounds
    /// (`ScheduledScaling`, after AWS's scheduled actions).
    ScheduledScaling,
    /// A sustained-threshold policy scaled a service (`ThresholdScaling`, as an alarm-driven
    /// step policy's activity).
    ThresholdScaling,
    /// A predictive policy's forecast, recorded and not acted on (`PredictiveForecast`).
    PredictiveForecast,
    /// A predictive policy's forecast, and the replicas it sets (`PredictiveScaling`).
    PredictiveScaling,
    /// A cost-aware policy found its budget low and cuts the HPA's scale-ups from then on
    /// (`CostAwareScaling`).
    CostAwareScaling,
    /// KEDA scaled a workload from zero on its event source (`KEDAScaleTargetActivated`).
    KedaScaleTargetActivated,
    /// KEDA scaled an idle workload to zero (`KEDAScaleTargetDeactivated`).
    KedaScaleTargetDeactivated,
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
            Reason::NodeNotSchedulable => "NodeNotSchedulable",
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
            Reason::ScheduledScaling => "ScheduledScaling",
            Reason::ThresholdScaling => "ThresholdScaling",
            Reason::PredictiveForecast => "PredictiveForecast",
            Reason::PredictiveScaling => "PredictiveScaling",
            Reason::CostAwareScaling => "CostAwareScaling",
            Reason::KedaScaleTargetActivated => "KEDAScaleTargetActivated",
            Reason::KedaScaleTargetDeactivated => "KEDAScaleTargetDeactivated",
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

/// Remove a node: drained (cordon, evict, terminate after the grace periods) or at once. With
/// `reason` [`Reason::NodeNotSchedulable`] a node is only cordoned (graceful decommission): it
/// keeps its pods until the order that sent it drains it (`Cluster::remove_node`).
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
    /// `None`: only log the event (a decision that changes no replicas: a held recommendation,
    /// a bounds change, a forecast recorded but not acted on), whatever the replicas are by
    /// then.
    pub replicas: Option<u32>,
    pub reason: Reason,
    pub why: String,
    /// Who decided: names the event's object.
    pub by: Scaler,
}

/// The controller behind a [`ReplicaOrder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scaler {
    /// The service's HorizontalPodAutoscaler: events on `hpa/<service>-<region>`.
    Hpa,
    /// A scaling policy (`policy::model`): events on `deployment/<service>-<region>`.
    Policy,
}

impl Scaler {
    /// The kind in the event's object name.
    pub fn object_kind(self) -> &'static str {
        match self {
            Scaler::Hpa => "hpa",
            Scaler::Policy => "deployment",
        }
    }
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

/// A scheduled change of an autoscaler's bounds (an HPA's `minReplicas`/`maxReplicas`), taking
/// effect at the autoscaler's first sync at or after `at`, as KEDA's cron scaler (polled) and
/// scheduled scaling actions do. Setting a minimum raises the maximum to it when lower; setting
/// a maximum lowers the minimum to it when higher (the HPA API requires min ≤ max; with both
/// set the loader checks it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoundsStep {
    pub at: SimTime,
    pub min: Option<u32>,
    pub max: Option<u32>,
    /// The event message logged when the step applies (`ScheduledScaling`); `None` for a
    /// service's plain `scale` step, which was never logged.
    pub event: Option<String>,
}

impl BoundsStep {
    /// A service's plain `scale` step on an HPA: `minReplicas` from `at` on, not logged.
    pub fn floor(at: SimTime, replicas: u32) -> BoundsStep {
        BoundsStep {
            at,
            min: Some(replicas),
            max: None,
            event: None,
        }
    }

    /// The bounds `(min, max)` after this step.
    pub fn apply(&self, (min, max): (u32, u32)) -> (u32, u32) {
        match (self.min, self.max) {
            (Some(lo), Some(hi)) => (lo, hi),
            (Some(lo), None) => (lo, max.max(lo)),
            (None, Some(hi)) => (min.min(hi), hi),
            (None, None) => (min, max),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::BoundsStep;
    use sim::time::SimTime;

    fn step(min: Option<u32>, max: Option<u32>) -> BoundsStep {
        BoundsStep {
            at: SimTime::ZERO,
            min,
            max,
            event: None,
        }
    }

    #[test]
    fn a_minimum_raises_the_maximum_and_a_maximum_lowers_the_minimum() {
        assert_eq!(step(Some(5), None).apply((2, 20)), (5, 20));
        assert_eq!(step(Some(30), None).apply((2, 20)), (30, 30));
        assert_eq!(step(None, Some(10)).apply((2, 20)), (2, 10));
        assert_eq!(step(None, Some(1)).apply((2, 20)), (1, 1));
        assert_eq!(step(Some(3), Some(8)).apply((2, 20)), (3, 8));
        assert_eq!(step(None, None).apply((2, 20)), (2, 20));
    }
}

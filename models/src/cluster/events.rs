//! The cluster's event log: every placement failure, preemption, eviction, quota refusal and
//! lifecycle step that a user would look for in `kubectl get events`, with its reason.
//!
//! Bounded (TigerStyle: a limit on everything): past [`MAX_EVENTS`] the log keeps counting
//! but stops storing, and the summary says how many were left out.

use serde::{Deserialize, Serialize};

/// Events stored per run; a 2.3-million-pod day logs far fewer decisions than this.
pub const MAX_EVENTS: usize = 2_000_000;

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
        }
    }
}

/// One event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub time_ns: u64,
    pub reason: Reason,
    /// `kind/name`, e.g. `pod/api-us-east1-17` or `node/general-us-3`.
    pub object: String,
    pub message: String,
    /// How many times it happened at this instant: deleting 5 000 pods in one scale-down is one
    /// `Killing` event of count 5 000 on the deployment, as Kubernetes' event correlator folds
    /// repeats into one event with a count (`Event.count`) — a 2.3-million-pod day would
    /// otherwise log millions of identical lines.
    pub count: u32,
}

/// The bounded log.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EventLog {
    events: Vec<Event>,
    dropped: u64,
}

impl EventLog {
    /// Records an event that happened once; the strings are built only when there is room to
    /// keep them.
    pub fn push(
        &mut self,
        time_ns: u64,
        reason: Reason,
        object: impl FnOnce() -> String,
        message: impl FnOnce() -> String,
    ) {
        self.push_counted(time_ns, reason, 1, object, message);
    }

    /// Records an event that happened `count` times at this instant.
    pub fn push_counted(
        &mut self,
        time_ns: u64,
        reason: Reason,
        count: u32,
        object: impl FnOnce() -> String,
        message: impl FnOnce() -> String,
    ) {
        if self.events.len() < MAX_EVENTS {
            self.events.push(Event {
                time_ns,
                reason,
                object: object(),
                message: message(),
                count,
            });
        } else {
            self.dropped += 1;
        }
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Events counted but not stored.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

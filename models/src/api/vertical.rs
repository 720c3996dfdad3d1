//! What a Vertical Pod Autoscaler reads of a deployment and what it asks of it: the pods of each
//! template revision with their requests, the OOM kills since it last looked, and its orders
//! (a new pod template; evict or resize the pods of an old revision).

use serde::{Deserialize, Serialize};

/// The live pods of one template revision of a deployment (pods are alike within a revision:
/// one container each, the same requests and limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisionPods {
    pub revision: u16,
    pub cpu_millis: u64,
    pub memory_bytes: u64,
    /// Pods waiting for a node.
    pub pending: u32,
    /// Pods bound to a node and not terminating (starting, running or ready).
    pub bound: u32,
    /// When the oldest bound pod was created: the updater's pod age.
    pub oldest_created_ns: Option<u64>,
    /// How long the container ran before the most recent OOM kill of a pod of this revision;
    /// the updater calls it a quick OOM below `--evict-after-oom-threshold`.
    pub last_oom_run_ns: Option<u64>,
}

/// OOM kills of one memory check: `count` containers of pods that requested `request_bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OomRecord {
    pub at_ns: u64,
    pub request_bytes: u64,
    pub count: u32,
}

/// One deployment as a VPA sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerticalView {
    pub service: u32,
    /// The ReplicaSet's `spec.replicas`.
    pub desired: u32,
    pub ready: u32,
    /// The current template revision: what new pods are made of.
    pub revision: u16,
    /// Every revision with live pods, and the current one, oldest first.
    pub revisions: Vec<RevisionPods>,
    /// Requests served since the start of the run (usage is derived from the difference).
    pub served_requests_total: f64,
    /// OOM kills since this deployment's previous vertical view (the VPA is its one reader).
    pub ooms: Vec<OomRecord>,
    /// Containers OOM-killed, pods evicted and pods resized by VPAs, since the start.
    pub oom_kills_total: u64,
    pub evicted_total: u64,
    pub resized_total: u64,
    /// The PodDisruptionBudget's `minAvailable`, which evictions respect.
    pub min_available: Option<u32>,
}

/// A new pod template for a deployment: pods created from now on request this (the VPA
/// admission controller's patch, applied once to the template instead of to every pod).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateOrder {
    pub service: u32,
    pub cpu_millis: u64,
    pub memory_bytes: u64,
    /// Container limits (cpu millicores, memory bytes).
    pub limits: (Option<u64>, Option<u64>),
    pub why: String,
}

/// Update `count` pods of an old revision to the current template: evicted (the ReplicaSet
/// recreates them), or resized in place where `in_place` and the node has room, else evicted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateOrder {
    pub service: u32,
    pub revision: u16,
    pub count: u32,
    pub in_place: bool,
    pub why: String,
}

//! How fast the control plane turns decisions into running pods: controller and API
//! throughput, scheduler throughput, pod start-up and node boot (issue 22). `config` is the
//! `control_plane` section as written; [`ControlPlanePlan`] what the cluster runs with; the
//! pure pieces are `bucket` (client-go's token bucket as arithmetic), `slow_start` (the
//! ReplicaSet controller's batches), `pulls` (a node's image pulls and cache) and `boot` (a
//! node's boot-time draw); `state` holds them at run time and the cluster applies them
//! (`Cluster::run_creator`, `schedule_throttled`, `bind_granted`, `launch_nodes`);
//! sources are in each module and in `config`. Each region is its own Kubernetes cluster, so
//! each region has its own controller and scheduler buckets (`state::RegionPlane`), all with
//! the section's limits.
//!
//! Job pods are created like a ReplicaSet's: through the region's Job controller, whose own
//! client has kube-controller-manager's QPS and burst (`ClientOrDie("job-controller")` in
//! `cmd/kube-controller-manager/app/batch.go`), at most `MaxPodCreateDeletePerSync` = 500
//! per sync, in slow-start batches (`manageJob`, kubernetes/kubernetes
//! `pkg/controller/job/job_controller.go`: `batchSize := min(diff,
//! controller.SlowStartInitialBatchSize)`, doubling); the section's `burst_replicas` and
//! `slow_start` apply to both controllers.
//!
//! What is not limited: pod deletions (a scale-down deletes at once), preemptors (bound
//! without a scheduler token), the kubelet's `registryPullQPS` and image garbage collection.

pub mod boot;
pub mod bucket;
pub mod config;
pub mod pulls;
pub mod slow_start;
pub mod state;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The control plane's limits as the cluster applies them; `limits: None` (the section
/// absent) is no limit anywhere: every transition takes only its configured delay.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ControlPlanePlan {
    pub limits: Option<Limits>,
}

/// Every limit, resolved; each `None` is switched off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// kube-controller-manager's client: (QPS, burst).
    pub controller_client: Option<(f64, u32)>,
    /// Most pods one ReplicaSet sync creates (`BurstReplicas`).
    pub burst_replicas: Option<u32>,
    /// Creations in slow-start batches 1, 2, 4, …; else one batch per sync.
    pub slow_start: bool,
    /// kube-scheduler's client: (QPS, burst).
    pub scheduler_client: Option<(f64, u32)>,
    /// Scheduling cycles per second.
    pub scheduler_pods_per_s: Option<f64>,
    pub binding_latency_ns: u64,
    /// Pulls one node runs at once (`None`: no limit).
    pub pull_slots: Option<u32>,
    /// A node's pull bandwidth; `None`: pulls take no time.
    pub pull_bytes_per_s: Option<u64>,
    /// Image bytes per service name; others (and Job pods) pull `default_image_bytes`.
    pub image_bytes: BTreeMap<String, u64>,
    pub default_image_bytes: u64,
    /// Boot-time factor bounds `[low, high]` of a pool's provisioning delay.
    pub boot: Option<(f64, f64)>,
}

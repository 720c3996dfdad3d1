//! The experiment's `control_plane` section, as written.
//!
//! Absent, nothing limits the control plane: pods are created, bound and started as fast as
//! the model asks (the behaviour of every experiment before issue 22). Written, even as
//! `control_plane: ()`, every limit takes its upstream default; each can be switched off
//! alone by writing `None` (or `false`, for `slow_start` and `serialize_image_pulls`).
//!
//! Defaults and their sources:
//! - kube-controller-manager's client: `--kube-api-qps` 20, `--kube-api-burst` 30
//!   (`RecommendedDefaultGenericControllerManagerConfiguration`,
//!   k8s.io/controller-manager `config/v1alpha1/defaults.go`: `ClientConnection.QPS = 20.0`,
//!   `ClientConnection.Burst = 30`). Each controller builds its own clientset from that config
//!   (`ControllerClientBuilder.ClientOrDie`), so each has its own token bucket.
//! - The ReplicaSet controller: `BurstReplicas = 500` pods created per sync and
//!   `SlowStartInitialBatchSize = 1`, batches doubling (kubernetes/kubernetes
//!   `pkg/controller/replicaset/replica_set.go`, `slowStartBatch`;
//!   `pkg/controller/controller_utils.go`).
//! - kube-scheduler's client: `clientConnection.qps` 50, `burst` 100 ("Scheduler has an opinion
//!   about QPS/Burst", `SetDefaults_KubeSchedulerConfiguration`,
//!   `pkg/scheduler/apis/config/v1/defaults.go`); every bind is one `pods/binding` POST.
//! - The kubelet: `serializeImagePulls: true`, `maxParallelImagePulls` unset
//!   (`pkg/kubelet/apis/config/v1beta1/defaults.go`).

use serde::{Deserialize, Serialize};
use sim::quantity::Bytes;
use sim::time::SimDuration;

/// The section: `None` when the experiment does not write it (no limit anywhere).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ControlPlaneConfig(pub Option<ControlPlaneSettings>);

/// The limits of a written `control_plane` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlPlaneSettings {
    /// kube-controller-manager: its ReplicaSet and Job controllers' API client and sync
    /// batches.
    #[serde(default)]
    pub controller_manager: ControllerManagerConfig,
    /// kube-scheduler: its API client and its scheduling throughput.
    #[serde(default)]
    pub scheduler: SchedulerThroughputConfig,
    /// The kubelets: image pulls.
    #[serde(default)]
    pub kubelet: KubeletConfig,
    /// Node boot times as a spread around each pool's `provisioning_delay`.
    #[serde(default = "default_node_boot")]
    pub node_boot: Option<NodeBootConfig>,
}

/// kube-controller-manager's limits on creating pods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControllerManagerConfig {
    /// `--kube-api-qps`: sustained API requests per second of each controller's client.
    /// Default 20; `None`: no client-side limit.
    #[serde(default = "default_cm_qps")]
    pub qps: Option<f64>,
    /// `--kube-api-burst`: requests the client may send at once. Default 30.
    #[serde(default = "default_cm_burst")]
    pub burst: u32,
    /// `BurstReplicas`: most pods one ReplicaSet sync creates (and the Job controller's
    /// `MaxPodCreateDeletePerSync`, also 500). Default 500; `None`: all at once.
    #[serde(default = "default_burst_replicas")]
    pub burst_replicas: Option<u32>,
    /// `slowStartBatch`: creations in batches of 1, 2, 4, …, each waiting for the previous;
    /// a refused creation (a quota) stops the sync. Default `true`.
    #[serde(default = "yes")]
    pub slow_start: bool,
}

impl Default for ControllerManagerConfig {
    fn default() -> Self {
        ControllerManagerConfig {
            qps: default_cm_qps(),
            burst: default_cm_burst(),
            burst_replicas: default_burst_replicas(),
            slow_start: true,
        }
    }
}

/// kube-scheduler's limits on binding pods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerThroughputConfig {
    /// `clientConnection.qps`: binds per second. Default 50; `None`: no client-side limit.
    #[serde(default = "default_sched_qps")]
    pub qps: Option<f64>,
    /// `clientConnection.burst`. Default 100.
    #[serde(default = "default_sched_burst")]
    pub burst: u32,
    /// Scheduling cycles per second (filter and score of one pod). Default 100 (a clustersim
    /// choice, below the several hundred pods/s upstream's scheduler_perf `SchedulingBasic/
    /// 5000Nodes` measures on perf-dash.k8s.io, so the 50-QPS client, not this, binds by
    /// default); `None`: unlimited.
    #[serde(default = "default_pods_per_s")]
    pub pods_per_s: Option<f64>,
    /// Bind request → the kubelet sees the pod. Default "0s": no upstream constant; the
    /// API-call latency SLO allows 1 s at p99 for a single-object mutating call
    /// (kubernetes/community `sig-scalability/slos/api_call_latency.md`).
    #[serde(default)]
    pub binding_latency: SimDuration,
}

impl Default for SchedulerThroughputConfig {
    fn default() -> Self {
        SchedulerThroughputConfig {
            qps: default_sched_qps(),
            burst: default_sched_burst(),
            pods_per_s: default_pods_per_s(),
            binding_latency: SimDuration::ZERO,
        }
    }
}

/// The kubelets' image pulls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubeletConfig {
    /// `serializeImagePulls`: one pull at a time per node. Default `true`.
    #[serde(default = "yes")]
    pub serialize_image_pulls: bool,
    /// `maxParallelImagePulls`, with `serialize_image_pulls: false`. Default `None`: no limit.
    #[serde(default)]
    pub max_parallel_image_pulls: Option<u32>,
    /// What one node pulls per second, e.g. "125Mi". Default "125Mi": the baseline throughput
    /// of an AWS gp3 EBS volume (docs.aws.amazon.com/ebs/latest/userguide/general-purpose.html),
    /// where image layers are written; `None`: pulls take no time (the service's `startup`
    /// alone).
    #[serde(default = "default_pull_rate")]
    pub image_pull_bytes_per_s: Option<Bytes>,
    /// Image size of a service without `image`, and of Job pods. Default "500Mi" (a clustersim
    /// choice between a distroless Go image of tens of MiB and a JVM or Python image of ~1 GiB).
    #[serde(default = "default_image_size")]
    pub default_image_size: Bytes,
}

impl Default for KubeletConfig {
    fn default() -> Self {
        KubeletConfig {
            serialize_image_pulls: true,
            max_parallel_image_pulls: None,
            image_pull_bytes_per_s: default_pull_rate(),
            default_image_size: default_image_size(),
        }
    }
}

/// A node's boot time drawn uniformly in `[low, high] × provisioning_delay` of its pool.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeBootConfig {
    /// Default 0.75.
    #[serde(default = "default_boot_low")]
    pub low: f64,
    /// Default 1.5.
    #[serde(default = "default_boot_high")]
    pub high: f64,
}

impl Default for NodeBootConfig {
    fn default() -> Self {
        NodeBootConfig {
            low: default_boot_low(),
            high: default_boot_high(),
        }
    }
}

fn yes() -> bool {
    true
}

fn default_cm_qps() -> Option<f64> {
    Some(20.0)
}

fn default_cm_burst() -> u32 {
    30
}

fn default_burst_replicas() -> Option<u32> {
    Some(500)
}

fn default_sched_qps() -> Option<f64> {
    Some(50.0)
}

fn default_sched_burst() -> u32 {
    100
}

fn default_pods_per_s() -> Option<f64> {
    Some(100.0)
}

fn default_pull_rate() -> Option<Bytes> {
    Some(Bytes(125 << 20))
}

fn default_image_size() -> Bytes {
    Bytes(500 << 20)
}

/// Default `[0.75, 1.5]`: 45–90 s around the default 60 s `provisioning_delay`. Published:
/// EKS nodes took 65 s to Ready before tuning and 45 s after, across ~1 000 nodes at Outreach
/// (KubeFM, "Faster EKS Node and Pod Startup", kube.fm/faster-eks-node-and-pod-startup-jan);
/// the upper end is a clustersim allowance for slow boots (cache misses, ENI attach).
fn default_node_boot() -> Option<NodeBootConfig> {
    Some(NodeBootConfig::default())
}

fn default_boot_low() -> f64 {
    0.75
}

fn default_boot_high() -> f64 {
    1.5
}

/// An image: `(size: "800Mi")`, the compressed bytes a node pulls.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageConfig {
    pub size: Bytes,
}

//! What the import understood, before it is written: the experiment's sections as the
//! manifests gave them, each with the place it came from (for the comments in the file).
//! Kept apart from the RON text so the mapping and the writing each have one job.

use std::collections::BTreeMap;

use models::autoscaler::config::{ClusterAutoscalerConfig, NodePoolSpec};
use models::kueue::config::KueueConfig;
use models::policy::config::{EventDrivenScaler, ScheduledAction};
use models::scheduler::affinity::NodeSelectorTerm;
use models::vpa::config::VpaConfig;
use sim::quantity::{Bytes, CpuMillis};

/// Everything mapped from the manifests.
#[derive(Default)]
pub struct Imported {
    pub services: Vec<Service>,
    pub namespaces: Vec<Namespace>,
    pub priority_classes: Vec<PriorityClass>,
    /// Karpenter NodePools, each with where it was written.
    pub karpenter: Vec<(NodePoolSpec, String)>,
    /// Karpenter's controller settings, and where its Deployment was written.
    pub karpenter_controller: Option<(super::karpenter_controller::Settings, String)>,
    /// The Cluster Autoscaler's flags, and where its Deployment was written.
    pub cluster_autoscaler: Option<(ClusterAutoscalerConfig, String)>,
    /// KEDA ScaledObjects of a queue trigger, each with where it was written.
    pub event_driven: Vec<(EventDrivenScaler, String)>,
    /// The window of each KEDA ScaledObject of a cron trigger, with where it was written.
    pub scheduled: Vec<(ScheduledAction, String)>,
    /// Jobs and CronJobs.
    pub jobs: Vec<Job>,
    /// Kueue's ResourceFlavors, ClusterQueues and LocalQueues, when any is given.
    pub kueue: Option<KueueConfig>,
}

/// A Job, or a CronJob's Job template: one `batch` workload.
pub struct Job {
    pub source: String,
    pub name: String,
    pub namespace: String,
    pub priority_class: Option<String>,
    pub cpu: CpuMillis,
    pub memory: Bytes,
    pub parallelism: Option<u32>,
    pub completions: Option<u32>,
    pub backoff_limit: Option<u32>,
    pub active_deadline_s: Option<u32>,
    /// Kueue's LocalQueue label.
    pub queue: Option<String>,
    /// A CronJob's `schedule` and `timeZone`: its `Schedule` arrivals.
    pub schedule: Option<(String, Option<String>)>,
    /// A CronJob with `suspend: true`: no Jobs arrive.
    pub suspended: bool,
}

/// A Deployment, StatefulSet or ReplicaSet.
pub struct Service {
    /// `Deployment shop/web at k8s/web.yaml:1`.
    pub source: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
    /// The pod template's labels, which PodDisruptionBudgets select.
    pub labels: BTreeMap<String, String>,
    pub replicas: u32,
    pub cpu: CpuMillis,
    pub memory: Bytes,
    pub limit_cpu: Option<CpuMillis>,
    pub limit_memory: Option<Bytes>,
    /// Whole `nvidia.com/gpu`s of the pod (its containers' limits, each also the request).
    pub gpus: u32,
    pub node_selector: BTreeMap<String, String>,
    pub tolerations: Vec<Toleration>,
    pub priority_class: Option<String>,
    pub termination_grace_s: Option<u32>,
    pub readiness_s: Option<u32>,
    /// `(max_skew, topology_key)` of each `DoNotSchedule` constraint.
    pub topology_spread: Vec<(u32, String)>,
    /// `requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`.
    pub node_affinity: Vec<NodeSelectorTerm>,
    pub hpa: Option<Hpa>,
    /// A VerticalPodAutoscaler, and where it was written.
    pub vpa: Option<(VpaConfig, String)>,
    pub min_available: Option<u32>,
}

/// One toleration, its enums already in the experiment's spelling.
pub struct Toleration {
    pub key: String,
    pub operator: &'static str,
    pub value: String,
    pub effect: Option<&'static str>,
}

/// An `autoscaling/v2` HorizontalPodAutoscaler.
pub struct Hpa {
    pub source: String,
    pub min_replicas: u32,
    pub max_replicas: u32,
    pub metrics: Vec<Metric>,
    pub scale_up: Option<Rules>,
    pub scale_down: Option<Rules>,
}

/// A Resource metric: `cpu`/`memory` and its target.
pub struct Metric {
    pub resource: &'static str,
    pub target: Target,
}

pub enum Target {
    Utilization(u32),
    /// The quantity as written ("500m", "400Mi").
    AverageValue(String),
}

/// One direction of an HPA's `behavior`.
pub struct Rules {
    pub stabilization_window_s: Option<u32>,
    pub select_policy: Option<&'static str>,
    /// (`Pods`/`Percent`, value, periodSeconds).
    pub policies: Vec<(&'static str, u32, u32)>,
}

/// A Namespace, with its ResourceQuota when one is given.
pub struct Namespace {
    pub name: String,
    pub source: String,
    pub quota: Option<Quota>,
}

pub struct Quota {
    pub source: String,
    pub cpu: Option<CpuMillis>,
    pub memory: Option<Bytes>,
    pub pods: Option<u64>,
}

pub struct PriorityClass {
    pub source: String,
    pub name: String,
    pub value: i32,
    pub global_default: bool,
}

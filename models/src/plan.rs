//! What the `Cluster` model is built from: node pools resolved against the instance catalog,
//! services (one per region), namespaces and the scheduler's scoring. The CLI resolves an
//! experiment into these; controllers read them (a pool's zones, a service's region) without
//! depending on the cluster itself.

use std::collections::BTreeMap;

use sim::time::{SimDuration, SimTime};
use workloads::traffic::Shape;

use crate::allocatable::Reservation;
use crate::api::{CapacityType, MemoryModel};
use crate::catalog::InstanceFacts;
use crate::config::Resources;
use crate::scheduler::affinity::{NodeSelectorTerm, required_node_affinity_matches};
use crate::scheduler::resources::ScoringStrategy;
use crate::scheduler::taints::{Taint, Toleration, first_untolerated_taint};

/// The extended resource name of NVIDIA GPUs, as the device plugin advertises it.
pub const GPU_RESOURCE: &str = "nvidia.com/gpu";

/// A node pool, resolved against the instance catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolPlan {
    pub name: String,
    pub region: String,
    pub zones: Vec<String>,
    pub instance: InstanceFacts,
    pub capacity_type: CapacityType,
    /// Nodes at the start of the run.
    pub nodes: u32,
    /// Node-group bounds a node autoscaler keeps to.
    pub min_nodes: u32,
    pub max_nodes: Option<u32>,
    /// Launch → Ready of a node added during the run.
    pub provisioning_delay: SimDuration,
    /// User labels; the well-known ones are added by [`PoolPlan::labels_in_zone`].
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    /// How its nodes' allocatable follows from their capacity.
    pub reservation: Reservation,
}

impl PoolPlan {
    /// The labels of this pool's nodes in `zone`, with the well-known labels a cloud's nodes
    /// carry (`topology.kubernetes.io/{region,zone}`, `node.kubernetes.io/instance-type`,
    /// `karpenter.sh/capacity-type`).
    pub fn labels_in_zone(&self, zone: &str) -> BTreeMap<String, String> {
        let mut labels = self.labels.clone();
        let well_known = [
            ("topology.kubernetes.io/region", self.region.as_str()),
            ("topology.kubernetes.io/zone", zone),
            (
                "node.kubernetes.io/instance-type",
                self.instance.instance_type.as_str(),
            ),
            (
                "karpenter.sh/capacity-type",
                match self.capacity_type {
                    CapacityType::OnDemand => "on-demand",
                    CapacityType::Spot => "spot",
                },
            ),
        ];
        for (k, v) in well_known {
            labels.insert(k.to_owned(), v.to_owned());
        }
        labels
    }

    /// What one node of this pool may hand to pods: (cpu millicores, memory bytes).
    pub fn allocatable(&self) -> (u64, u64) {
        self.reservation.allocatable(
            u64::from(self.instance.vcpu) * 1000,
            self.instance.memory_bytes,
        )
    }

    /// Whole GPUs (`nvidia.com/gpu`) one node of this pool offers.
    pub fn gpus_per_node(&self) -> u32 {
        crate::gpu::gpus_of(&self.instance.instance_type)
    }

    /// Whether a Job's pods asking `gpus` GPUs may run here: the pool has no taints, or, for
    /// GPU pods, only `nvidia.com/gpu` taints — the ExtendedResourceToleration admission
    /// plugin gives a pod requesting an extended resource a toleration of its name
    /// (kubernetes.io/docs/reference/access-authn-authz/admission-controllers), which is how
    /// GKE's own `nvidia.com/gpu=present:NoSchedule` on GPU nodes keeps other pods off.
    pub fn admits_job(&self, gpus: u32) -> bool {
        self.taints.is_empty() || (gpus > 0 && self.taints.iter().all(|t| t.key == GPU_RESOURCE))
    }

    /// The price of one node of this pool.
    pub fn price_usd_per_hour(&self) -> f64 {
        match self.capacity_type {
            CapacityType::OnDemand => self.instance.ondemand_usd_per_hour,
            // The loader refuses a spot pool whose catalog row has no spot price.
            CapacityType::Spot => self
                .instance
                .spot_usd_per_hour
                .unwrap_or(self.instance.ondemand_usd_per_hour),
        }
    }
}

/// Pod timings of a service, with kubelet-like defaults (see `models::config`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PodTimings {
    /// Bound → containers running (image pull + container start).
    pub startup: SimDuration,
    /// Running → Ready (initial delay of the readiness probe).
    pub readiness: SimDuration,
    /// Terminating → gone (`terminationGracePeriodSeconds`).
    pub termination_grace: SimDuration,
}

/// One service in one region (a Deployment). Its index in [`ClusterPlan::services`] is the id
/// the traffic model uses for it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServicePlan {
    pub name: String,
    pub region: String,
    /// Index into [`ClusterPlan::namespaces`].
    pub namespace: u32,
    pub priority: i32,
    pub replicas: u32,
    /// Later replica counts: `(instant, replicas)`, sorted by instant.
    pub replica_schedule: Vec<(SimTime, u32)>,
    pub requests: Resources,
    /// Container limits (cpu millicores, memory bytes); they decide the QoS class.
    pub limits: (Option<u64>, Option<u64>),
    pub capacity_rps: f64,
    pub timeout: SimDuration,
    pub traffic: Shape,
    pub timings: PodTimings,
    pub node_selector: BTreeMap<String, String>,
    /// Required node affinity terms (ORed); empty means none.
    pub node_affinity: Vec<NodeSelectorTerm>,
    pub tolerations: Vec<Toleration>,
    /// PodDisruptionBudget `minAvailable`, if the service has one.
    pub min_available: Option<u32>,
    /// `maxSkew` of a `DoNotSchedule` topology spread constraint over zones, if any.
    pub zone_max_skew: Option<u32>,
    /// The same over nodes (`kubernetes.io/hostname`).
    pub host_max_skew: Option<u32>,
    /// A newly ready pod serves at `speed` × `capacity_rps` for this long.
    pub warm_up: Option<(SimDuration, f64)>,
    /// The response time its requests are counted against for SLO attainment: the service's own
    /// p99 target, else the run's; `None` counts none.
    pub latency_target: Option<SimDuration>,
    /// What a pod's memory use is (`memory_usage`), for the kubelet's OOM kills: a pod whose
    /// use passes its memory limit is killed. `None`: memory is not modelled.
    pub memory_usage: Option<MemoryModel>,
    /// Whole GPUs (`nvidia.com/gpu`) each pod requests; 0 asks none (issue 21).
    pub gpus: u32,
    /// Requests arriving while no pod is ready wait for the first one (a KEDA-scaled
    /// consumer's queue, or an activator in front of a service scaled to zero) instead of
    /// being refused: the cold start counts in their latency (issue 20). `false`: refused.
    pub hold_at_zero: bool,
}

/// A namespace and its ResourceQuota on requests (`None`: not limited).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespacePlan {
    pub name: String,
    pub quota_cpu_millis: Option<u64>,
    pub quota_memory_bytes: Option<u64>,
    pub quota_pods: Option<u64>,
}

/// Everything the cluster model is built from.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterPlan {
    pub pools: Vec<PoolPlan>,
    pub services: Vec<ServicePlan>,
    pub namespaces: Vec<NamespacePlan>,
    /// Requests slower than this count against SLO attainment.
    pub latency_target: Option<SimDuration>,
    pub scoring: ScoringStrategy,
    pub minimum_billed: SimDuration,
    /// Controller, scheduler and kubelet throughput and start-up (`control_plane`).
    pub control_plane: crate::control_plane::ControlPlanePlan,
}

/// Pods of one service in one region that no node the run could have would ever hold, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Unschedulable {
    /// The most pods the service asks for there (its replicas or a later scale step).
    pub pods: u64,
    /// One sentence naming the service, the region and the reason.
    pub message: String,
}

impl ClusterPlan {
    /// What can be told before the run about pods that will never run: a service no pool of
    /// its region admits (node selector, taints), requests larger than any admitting node's
    /// allocatable, a quota smaller than one pod. Each becomes a line of the summary; the run
    /// still goes ahead, and its pods stay Pending with events saying why.
    pub fn unschedulable(&self) -> Vec<Unschedulable> {
        let mut warnings = Vec::new();
        for s in &self.services {
            let admitting: Vec<&PoolPlan> = self
                .pools
                .iter()
                .filter(|p| {
                    p.region == s.region
                        && p.zones
                            .iter()
                            .any(|z| s.admits_labels(&p.labels_in_zone(z)))
                        && first_untolerated_taint(&p.taints, &s.tolerations).is_none()
                })
                .collect();
            let who = format!("service {} in {}", s.name, s.region);
            let pods = s
                .replica_schedule
                .iter()
                .map(|&(_, n)| n)
                .fold(s.replicas, u32::max);
            if pods == 0 {
                continue;
            }
            let ns = &self.namespaces[s.namespace as usize];
            let too_small = [
                (ns.quota_cpu_millis, s.requests.cpu.0, "requests.cpu"),
                (
                    ns.quota_memory_bytes,
                    s.requests.memory.0,
                    "requests.memory",
                ),
                (ns.quota_pods, 1, "pods"),
            ]
            .into_iter()
            .find(|&(hard, need, _)| hard.is_some_and(|h| h < need));
            // One reason per service, the first that applies, so its pods count once.
            let message = if admitting.is_empty() {
                format!(
                    "{who}: no node pool matches its node selector and tolerates its taints; its pods will stay Pending"
                )
            } else if !admitting.iter().any(|p| {
                let (cpu, memory) = p.allocatable();
                s.requests.cpu.0 <= cpu && s.requests.memory.0 <= memory
            }) {
                format!(
                    "{who}: requests cpu={} memory={} exceed the allocatable of every node that admits it; its pods will stay Pending",
                    s.requests.cpu, s.requests.memory
                )
            } else if let Some((_, _, resource)) = too_small {
                format!(
                    "{who}: the {resource} quota of namespace {} is smaller than one pod; no pod can be created",
                    ns.name
                )
            } else {
                continue;
            };
            warnings.push(Unschedulable {
                pods: u64::from(pods),
                message,
            });
        }
        warnings
    }
}

impl ServicePlan {
    /// NodeAffinity's filter: the nodeSelector and, when there are any, the required terms.
    pub fn admits_labels(&self, labels: &BTreeMap<String, String>) -> bool {
        let selector: Vec<(&String, &String)> = self.node_selector.iter().collect();
        let terms = (!self.node_affinity.is_empty()).then_some(self.node_affinity.as_slice());
        required_node_affinity_matches(&selector, terms, labels)
    }
}

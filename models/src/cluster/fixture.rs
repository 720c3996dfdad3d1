//! A small cluster the model's unit tests share: one pool `p` of 4-vCPU nodes (allocatable
//! 3920m: 4000m − 80m GKE reservation) and one service `s` of six 1-cpu pods. Tests change
//! what their case needs before building the `Cluster`.

use sim::quantity::{Bytes, CpuMillis};
use sim::time::SimDuration;
use workloads::traffic::Shape;

use super::Cluster;
use crate::catalog::InstanceFacts;
use crate::config::{CapacityType, Resources};
use crate::latency::Fidelity;
use crate::plan::{ClusterPlan, NamespacePlan, PodTimings, PoolPlan, ServicePlan};
use crate::scheduler::resources::ScoringStrategy;

pub const GIB: u64 = 1 << 30;

/// One node of pool `p` in zones `a` and `b`; six pods of service `s`, so three fit the node
/// and three wait.
pub fn plan() -> ClusterPlan {
    let pool = PoolPlan {
        name: "p".into(),
        region: "r".into(),
        zones: vec!["a".into(), "b".into()],
        instance: InstanceFacts {
            instance_type: "t-4".into(),
            region: "r".into(),
            vcpu: 4,
            memory_bytes: 16 * GIB,
            ondemand_usd_per_hour: 0.2,
            spot_usd_per_hour: None,
            interruption_band: None,
        },
        capacity_type: CapacityType::OnDemand,
        nodes: 1,
        min_nodes: 0,
        max_nodes: None,
        provisioning_delay: SimDuration::from_secs(60),
        labels: Default::default(),
        taints: Vec::new(),
        reservation: Default::default(),
    };
    let service = ServicePlan {
        name: "s".into(),
        region: "r".into(),
        namespace: 0,
        priority: 0,
        replicas: 6,
        replica_schedule: Vec::new(),
        requests: Resources {
            cpu: CpuMillis(1000),
            memory: Bytes(GIB),
        },
        limits: (None, None),
        capacity_rps: 10.0,
        timeout: SimDuration::from_secs(30),
        traffic: Shape::Constant { rps: 1.0 },
        timings: PodTimings {
            startup: SimDuration::from_secs(5),
            readiness: SimDuration::ZERO,
            termination_grace: SimDuration::from_secs(30),
        },
        node_selector: Default::default(),
        node_affinity: Vec::new(),
        tolerations: Vec::new(),
        min_available: None,
        zone_max_skew: None,
        host_max_skew: None,
        warm_up: None,
        latency_target: None,
        memory_usage: None,
        gpus: 0,
        hold_at_zero: false,
    };
    ClusterPlan {
        pools: vec![pool],
        services: vec![service],
        namespaces: vec![NamespacePlan {
            name: "default".into(),
            quota_cpu_millis: None,
            quota_memory_bytes: None,
            quota_pods: None,
        }],
        latency_target: None,
        scoring: ScoringStrategy::LeastAllocated,
        minimum_billed: SimDuration::from_secs(60),
        control_plane: Default::default(),
    }
}

/// The cluster of `plan`, fluid queues.
pub fn build(plan: &ClusterPlan) -> Cluster {
    Cluster::new(plan, Fidelity::Fluid, 0)
}

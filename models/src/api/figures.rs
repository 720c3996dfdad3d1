//! Figures: what the cluster answers to queries — a deployment's metrics, the time-series rows
//! of a sample instant, the node census — and the run's bills and time to capacity.

use serde::{Deserialize, Serialize};
use sim::time::{SimDuration, SimTime};

use super::CapacityType;
use crate::latency::{Counts, Snapshot};

/// Memory a pod uses: a base plus a share per request/s it serves (a service's
/// `memory_usage`), read by the HPA's memory metric, the VPA and the kubelet's OOM check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryModel {
    pub base_bytes: u64,
    pub bytes_per_rps: u64,
}

impl MemoryModel {
    /// Bytes a pod uses while it serves `rps` requests/s.
    pub fn bytes_at(&self, rps: f64) -> f64 {
        self.base_bytes as f64 + self.bytes_per_rps as f64 * rps
    }
}

/// Running pods of a deployment that share a start time, a ready time and a pod template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunningPods {
    pub started_ns: u64,
    /// When they became ready; `None` while not ready.
    pub ready_ns: Option<u64>,
    pub count: u32,
    /// The requests of these pods' own template revision: utilization is measured against
    /// them, not against the deployment's current template.
    pub cpu_request_millis: u64,
    pub memory_request_bytes: u64,
}

/// A deployment as the metrics pipeline sees it: its pods' readiness and the requests it has
/// served. Usage is derived by the reader from served requests (`models::hpa`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadMetrics {
    pub service: u32,
    /// Pods that are not terminating, pending ones included (the scale's `status.replicas`).
    pub replicas: u32,
    pub desired: u32,
    pub ready: u32,
    /// Requests of the current pod template (what pods created now, and so the pending ones
    /// of a deployment that never changed its template, request).
    pub cpu_request_millis: u64,
    pub memory_request_bytes: u64,
    /// Pods whose containers run, grouped by start time, ready time and template revision.
    pub running: Vec<RunningPods>,
    /// Requests served since the start of the run; a rate over a window is the difference of
    /// two readings.
    pub served_requests_total: f64,
    pub arrival_rps: f64,
    /// Requests in the service now, waiting or being served: Little's law `λ × W` while the
    /// queue is stable, the backlog plus the busy pods while it is not.
    pub in_flight_requests: f64,
    /// What the run's nodes, all pools, have cost so far (`cluster::costs`): what a
    /// cost-aware HPA policy reads against its budget.
    pub spent_usd: f64,
}

/// One row of the service time series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceSample {
    pub service: String,
    pub region: String,
    pub desired_pods: u32,
    pub ready_pods: u32,
    pub pending_pods: u32,
    pub now: Snapshot,
    /// Requests since the previous sample.
    pub interval: Counts,
    /// CPU used over CPU requested by the ready pods, averaged over the interval since the
    /// previous sample: a pod serving `capacity_rps` uses its whole CPU request, so this is
    /// served requests / (capacity_rps × ready-pod-seconds). What `kubectl top` over the
    /// interval would show as a share of requests.
    pub cpu_utilization: f64,
}

/// One row of the pool time series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolSample {
    pub pool: String,
    pub region: String,
    pub capacity_type: CapacityType,
    pub nodes: u32,
    /// Requested share of allocatable CPU over the pool's nodes.
    pub cpu_requested_fraction: f64,
    pub allocatable_cpu_millis: u64,
    /// What the pool's nodes cost from the start of the run until now.
    pub cost_usd: f64,
}

/// What a namespace has cost from the start of the run until a sample instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamespaceSample {
    pub namespace: String,
    pub cost_usd: f64,
}

/// The pseudo-namespace charged with the capacity no pod requested.
pub const UNREQUESTED: &str = "(unrequested)";

/// A Kueue ClusterQueue at a sample instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueSample {
    pub queue: String,
    /// Jobs waiting for admission.
    pub pending_jobs: u64,
    /// Jobs holding quota.
    pub admitted_jobs: u64,
    /// Of those, the Jobs admitted by borrowing from the cohort.
    pub borrowing_jobs: u64,
}

/// Everything a sample instant records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub services: Vec<ServiceSample>,
    pub pools: Vec<PoolSample>,
    /// One per namespace, then [`UNREQUESTED`].
    pub namespaces: Vec<NamespaceSample>,
    /// One per ClusterQueue; empty without queues.
    pub queues: Vec<QueueSample>,
}

/// Where a node is in its life. Billing runs from launch (`created_ns`) to `removed_ns`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeState {
    /// Launched; booting and registering. Not schedulable yet.
    Provisioning,
    /// Ready and accepting pods.
    Ready,
    /// Cordoned: its pods are being drained and it takes no new ones.
    Cordoned,
    /// Stopped reporting (a failure); its pods serve nothing and wait for eviction.
    NotReady,
    /// Terminated.
    Gone,
}

/// One node that has not left the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveNode {
    pub node: u32,
    /// Index of its pool in the cluster plan.
    pub pool: u32,
    /// Index of its zone among its pool's zones.
    pub zone: u32,
    pub state: NodeState,
}

/// Every node not yet gone, by ascending id: what the fault injector's clocks count and
/// choose from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeCensus {
    pub nodes: Vec<LiveNode>,
    /// Per pool index, its Ready nodes by ascending id: the injector's clocks count them for
    /// every pool at each of its events, so they are grouped once here.
    ready_by_pool: Vec<Vec<u32>>,
}

impl NodeCensus {
    /// The census of `nodes` (ascending ids).
    pub fn new(nodes: Vec<LiveNode>) -> Self {
        let ready = || nodes.iter().filter(|n| n.state == NodeState::Ready);
        // Counted first, so each pool's list is allocated once at its size: a day takes a
        // census at each of the injector's thousands of events, and growing the lists push by
        // push was ~11 % of the census's perf samples.
        let mut counts: Vec<usize> = Vec::new();
        for n in ready() {
            let pool = n.pool as usize;
            if counts.len() <= pool {
                counts.resize(pool + 1, 0);
            }
            counts[pool] += 1;
        }
        let mut ready_by_pool: Vec<Vec<u32>> = counts.into_iter().map(Vec::with_capacity).collect();
        for n in ready() {
            ready_by_pool[n.pool as usize].push(n.node);
        }
        NodeCensus {
            nodes,
            ready_by_pool,
        }
    }

    /// Whether `node` is not yet gone.
    pub fn lists(&self, node: u32) -> bool {
        self.nodes.binary_search_by_key(&node, |n| n.node).is_ok()
    }

    /// Ready nodes of a pool (those a spot reclaim or a failure can still hit).
    pub fn ready_in_pool(&self, pool: u32) -> &[u32] {
        self.ready_by_pool
            .get(pool as usize)
            .map_or(&[], Vec::as_slice)
    }

    /// Ready nodes in `zone` of the pools `pools(pool)` accepts; `zone_of(pool, zone index)`
    /// names a node's zone.
    pub fn ready_in_zone(
        &self,
        zone: &str,
        pools: impl Fn(u32) -> bool,
        zone_of: impl Fn(u32, u32) -> String,
    ) -> Vec<u32> {
        self.nodes
            .iter()
            .filter(|n| {
                n.state == NodeState::Ready && pools(n.pool) && zone_of(n.pool, n.zone) == zone
            })
            .map(|n| n.node)
            .collect()
    }

    /// Whether the node is still there (in any state but gone).
    pub fn is_live(&self, node: u32) -> bool {
        self.nodes.binary_search_by_key(&node, |n| n.node).is_ok()
    }
}

/// The bill of one node pool.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolBill {
    pub pool: String,
    pub region: String,
    pub instance_type: String,
    pub capacity_type: CapacityType,
    pub nodes: u32,
    pub node_hours: f64,
    pub cost_usd: f64,
}

/// Measures time to capacity over a run: feed it the pending pod count whenever it changes.
/// Serializable because the `Cluster` model, which feeds it, is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SurgeClock {
    open: Option<SimTime>,
    surges: Vec<(SimTime, SimDuration)>,
}

impl SurgeClock {
    pub fn observe(&mut self, now: SimTime, pending_pods: u64) {
        match (self.open, pending_pods) {
            (None, n) if n > 0 => self.open = Some(now),
            (Some(start), 0) => {
                // A pod created and bound at the same instant is no surge: storing those would
                // cost a record per pod on a day of millions.
                if now > start {
                    self.surges
                        .push((start, now.saturating_duration_since(start)));
                }
                self.open = None;
            }
            _ => {}
        }
    }

    /// Finished surges: (start, time to capacity).
    pub fn surges(&self) -> &[(SimTime, SimDuration)] {
        &self.surges
    }

    /// The longest time to capacity, counting a surge still open at `end` up to `end`.
    pub fn worst(&self, end: SimTime) -> Option<SimDuration> {
        let open = self.open.map(|s| end.saturating_duration_since(s));
        self.surges.iter().map(|&(_, d)| d).chain(open).max()
    }
}

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

/// What the fault injector's clocks count and choose from, at one instant: which nodes are
/// not yet gone, and each pool's Ready nodes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeCensus {
    /// Bit `id % 64` of word `id / 64` set for each node not yet gone.
    live: Vec<u64>,
    /// Every pool's Ready nodes as (id, zone index among its pool's zones), ascending, pool
    /// after pool: the injector's clocks count a pool's at each of its events. One list for
    /// all, as most pools of a big run (a Karpenter NodePool's instance types) have none.
    ready: Vec<(u32, u32)>,
    /// Per pool, where its nodes in `ready` end.
    pool_end: Vec<u32>,
}

impl NodeCensus {
    /// A census of no pool yet, whose nodes not yet gone are `live` ([`NodeCensus::is_live`]'s
    /// bits), with room for `ready` Ready nodes.
    pub fn new(live: Vec<u64>, ready: usize) -> Self {
        NodeCensus {
            live,
            ready: Vec::with_capacity(ready),
            pool_end: Vec::new(),
        }
    }

    /// Adds the next pool's Ready nodes as (id, zone index), ascending.
    pub fn push_pool(&mut self, ready: &[(u32, u32)]) {
        self.ready.extend_from_slice(ready);
        self.pool_end.push(self.ready.len() as u32);
    }

    /// Whether `node` is still there (in any state but gone).
    pub fn is_live(&self, node: u32) -> bool {
        self.live
            .get(node as usize / 64)
            .is_some_and(|word| word & (1 << (node % 64)) != 0)
    }

    /// Pool `pool`'s (id, zone index) entries (none for a pool the census has not).
    fn of_pool(&self, pool: u32) -> &[(u32, u32)] {
        let p = pool as usize;
        let Some(&end) = self.pool_end.get(p) else {
            return &[];
        };
        let start = if p == 0 { 0 } else { self.pool_end[p - 1] };
        &self.ready[start as usize..end as usize]
    }

    /// Ready nodes of a pool (those a spot reclaim or a failure can still hit), ascending.
    pub fn ready_in_pool(&self, pool: u32) -> impl Iterator<Item = u32> + '_ {
        self.of_pool(pool).iter().map(|&(id, _)| id)
    }

    /// How many Ready nodes a pool has.
    pub fn ready_count(&self, pool: u32) -> usize {
        self.of_pool(pool).len()
    }

    /// Whether `node` is a Ready node of `pool`.
    pub fn is_ready_in(&self, pool: u32, node: u32) -> bool {
        self.of_pool(pool)
            .binary_search_by_key(&node, |&(id, _)| id)
            .is_ok()
    }

    /// The pool of a Ready node.
    pub fn pool_of_ready(&self, node: u32) -> Option<u32> {
        (0..self.pool_end.len() as u32).find(|&p| self.is_ready_in(p, node))
    }

    /// Ready nodes in `zone` of the pools `pools(pool)` accepts, ascending; `zone_of(pool,
    /// zone index)` names a node's zone.
    pub fn ready_in_zone(
        &self,
        zone: &str,
        pools: impl Fn(u32) -> bool,
        zone_of: impl Fn(u32, u32) -> String,
    ) -> Vec<u32> {
        let mut ids: Vec<u32> = Vec::new();
        for p in (0..self.pool_end.len() as u32).filter(|&p| pools(p)) {
            ids.extend(
                self.of_pool(p)
                    .iter()
                    .filter(|&&(_, z)| zone_of(p, z) == zone)
                    .map(|&(id, _)| id),
            );
        }
        ids.sort_unstable();
        ids
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_census_answers_by_pool_zone_and_liveness() {
        // Nodes 0..=5 not yet gone but 3; pool 0 has Ready 1 (zone 0) and 4 (zone 1), pool 1
        // none, pool 2 has Ready 2 and 5 (both zone 0).
        let mut census = NodeCensus::new(vec![0b110111], 4);
        census.push_pool(&[(1, 0), (4, 1)]);
        census.push_pool(&[]);
        census.push_pool(&[(2, 0), (5, 0)]);
        assert!(census.is_live(0) && !census.is_live(3) && !census.is_live(64));
        assert_eq!(census.ready_in_pool(0).collect::<Vec<_>>(), [1, 4]);
        assert_eq!(census.ready_in_pool(1).count(), 0);
        assert_eq!(census.ready_in_pool(9).count(), 0);
        assert_eq!((census.ready_count(2), census.ready_count(9)), (2, 0));
        assert!(census.is_ready_in(2, 5) && !census.is_ready_in(0, 5) && !census.is_ready_in(9, 5));
        assert_eq!(
            (census.pool_of_ready(5), census.pool_of_ready(0)),
            (Some(2), None)
        );
        // Zone "a" is zone 0 of pools 0 and 2: ascending across pools.
        let zone = |_: u32, z: u32| {
            if z == 0 {
                "a".to_owned()
            } else {
                "b".to_owned()
            }
        };
        assert_eq!(census.ready_in_zone("a", |_| true, zone), [1, 2, 5]);
        assert_eq!(census.ready_in_zone("a", |p| p == 2, zone), [2, 5]);
        assert_eq!(census.ready_in_zone("b", |_| true, zone), [4]);
    }
}

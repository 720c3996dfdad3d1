//! The `Cluster` model: the nodes of every pool, the pods of every service, and each service's
//! queue, batched in one nexosim model the way one control plane serves a whole cluster
//! (DESIGN.md, "Granularity").
//!
//! This is the walking-skeleton cluster: replica counts and node counts are fixed for the run
//! and pods are placed once, at build time, by a LeastAllocated choice (kube-scheduler's default
//! scoring: `pkg/scheduler/framework/plugins/noderesources/least_allocated.go`, the mean over cpu
//! and memory of free/allocatable) with ties broken by the lower node id. Pod lifecycle, the
//! filter/score pipeline, preemption and autoscaling build on this model in later issues.

use nexosim::model::{Context, Model, schedulable};
use nexosim::simulation::EventKey;
use serde::{Deserialize, Serialize};
use sim::time::{SimDuration, SimTime};
use workloads::traffic::Shape;

use crate::catalog::InstanceFacts;
use crate::config::{CapacityType, Resources};
use crate::latency::{Counts, Histogram, ServiceQueue, Snapshot};

/// A node pool, resolved against the instance catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolPlan {
    pub name: String,
    pub region: String,
    pub zones: Vec<String>,
    pub instance: InstanceFacts,
    pub capacity_type: CapacityType,
    pub nodes: u32,
}

impl PoolPlan {
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

/// One service in one region. Its index in [`ClusterPlan::services`] is the id the traffic
/// model uses for it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServicePlan {
    pub name: String,
    pub region: String,
    pub replicas: u32,
    pub requests: Resources,
    pub capacity_rps: f64,
    pub timeout: SimDuration,
    pub traffic: Shape,
}

/// Everything the cluster model is built from.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterPlan {
    pub pools: Vec<PoolPlan>,
    pub services: Vec<ServicePlan>,
    /// Requests slower than this count against SLO attainment.
    pub latency_target: Option<SimDuration>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Node {
    region: String,
    free_cpu_millis: u64,
    free_memory_bytes: u64,
    allocatable_cpu_millis: u64,
    allocatable_memory_bytes: u64,
}

impl Node {
    fn fits(&self, r: &Resources) -> bool {
        self.free_cpu_millis >= r.cpu.0 && self.free_memory_bytes >= r.memory.0
    }

    /// LeastAllocated score before placing a pod with `r`: mean free fraction after placing it.
    fn least_allocated_score(&self, r: &Resources) -> f64 {
        let cpu = (self.free_cpu_millis - r.cpu.0) as f64 / self.allocatable_cpu_millis as f64;
        let mem =
            (self.free_memory_bytes - r.memory.0) as f64 / self.allocatable_memory_bytes as f64;
        (cpu + mem) / 2.0
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ServiceState {
    name: String,
    region: String,
    replicas: u32,
    ready: u32,
    queue: ServiceQueue,
}

/// One row of the time series: a service in a region at a sample instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceSample {
    pub service: String,
    pub region: String,
    pub ready_pods: u32,
    pub pending_pods: u32,
    pub now: Snapshot,
    /// Requests since the previous sample.
    pub interval: Counts,
}

/// Whole-run figures of one service in one region.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceReport {
    pub service: String,
    pub region: String,
    pub total: Counts,
    pub histogram: Histogram,
}

/// The cluster: nodes, pods and service queues.
#[derive(Serialize, Deserialize)]
pub struct Cluster {
    nodes: Vec<Node>,
    services: Vec<ServiceState>,
    drain_key: Option<EventKey>,
}

impl Cluster {
    /// Builds the nodes of every pool and places every service's pods.
    pub fn new(plan: &ClusterPlan) -> Self {
        let mut nodes = Vec::new();
        for pool in &plan.pools {
            for _ in 0..pool.nodes {
                nodes.push(Node {
                    region: pool.region.clone(),
                    free_cpu_millis: u64::from(pool.instance.vcpu) * 1000,
                    free_memory_bytes: pool.instance.memory_bytes,
                    allocatable_cpu_millis: u64::from(pool.instance.vcpu) * 1000,
                    allocatable_memory_bytes: pool.instance.memory_bytes,
                });
            }
        }
        let target_s = plan.latency_target.map(|t| t.as_secs_f64());
        let services = plan
            .services
            .iter()
            .map(|s| {
                let ready = (0..s.replicas)
                    .take_while(|_| place(&mut nodes, &s.region, &s.requests))
                    .count() as u32;
                ServiceState {
                    name: s.name.clone(),
                    region: s.region.clone(),
                    replicas: s.replicas,
                    ready,
                    queue: ServiceQueue::new(
                        s.capacity_rps,
                        ready,
                        s.timeout.as_secs_f64(),
                        target_s,
                    ),
                }
            })
            .collect();
        Cluster {
            nodes,
            services,
            drain_key: None,
        }
    }

    fn advance_all(&mut self, now: SimTime) {
        for s in &mut self.services {
            s.queue.advance_to(now);
        }
    }

    /// Keeps one keyed event at the earliest instant a backlog empties, so no stretch of time
    /// mixes the fluid and the M/M/c regimes.
    fn reschedule_drain(&mut self, cx: &Context<Self>) {
        if let Some(key) = self.drain_key.take() {
            key.cancel();
        }
        let earliest_s = self
            .services
            .iter()
            .filter_map(|s| s.queue.drain_in_s())
            .fold(f64::INFINITY, f64::min);
        if earliest_s.is_finite() {
            // Round up to the next nanosecond so the backlog is empty when the event runs.
            let delay = SimDuration::from_nanos((earliest_s * 1e9).ceil().max(1.0) as u64);
            self.drain_key = cx
                .schedule_keyed_event(delay.to_std(), schedulable!(Self::drained), ())
                .ok();
        }
    }
}

/// Places one pod on the best-scoring feasible node of `region`; false when none fits.
fn place(nodes: &mut [Node], region: &str, r: &Resources) -> bool {
    let best = nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.region == region && n.fits(r))
        .fold(None::<(usize, f64)>, |best, (i, n)| {
            let score = n.least_allocated_score(r);
            match best {
                Some((_, s)) if s >= score => best,
                _ => Some((i, score)),
            }
        });
    match best {
        Some((i, _)) => {
            nodes[i].free_cpu_millis -= r.cpu.0;
            nodes[i].free_memory_bytes -= r.memory.0;
            true
        }
        None => false,
    }
}

#[Model]
impl Cluster {
    /// New arrival rates, as `(service id, requests/s)`, from the traffic model.
    pub fn set_rates(&mut self, changes: Vec<(u32, f64)>, cx: &Context<Self>) {
        let now = SimTime::from_monotonic(cx.time());
        for (id, rps) in changes {
            let queue = &mut self.services[id as usize].queue;
            queue.advance_to(now);
            queue.set_rate(rps);
        }
        self.reschedule_drain(cx);
    }

    #[nexosim(schedulable)]
    fn drained(&mut self, _: (), cx: &Context<Self>) {
        self.drain_key = None;
        self.advance_all(SimTime::from_monotonic(cx.time()));
        self.reschedule_drain(cx);
    }

    /// The time-series rows at this instant; restarts the per-interval counts.
    pub async fn sample(&mut self, _: (), cx: &Context<Self>) -> Vec<ServiceSample> {
        self.advance_all(SimTime::from_monotonic(cx.time()));
        self.services
            .iter_mut()
            .map(|s| ServiceSample {
                service: s.name.clone(),
                region: s.region.clone(),
                ready_pods: s.ready,
                pending_pods: s.replicas - s.ready,
                now: s.queue.snapshot(),
                interval: s.queue.take_interval(),
            })
            .collect()
    }

    /// Whole-run figures of every service, up to this instant.
    pub async fn report(&mut self, _: (), cx: &Context<Self>) -> Vec<ServiceReport> {
        self.advance_all(SimTime::from_monotonic(cx.time()));
        self.services
            .iter()
            .map(|s| ServiceReport {
                service: s.name.clone(),
                region: s.region.clone(),
                total: s.queue.total(),
                histogram: s.queue.histogram().clone(),
            })
            .collect()
    }
}

//! The `Cluster` model: the nodes of every pool, the pods of every service, the scheduler that
//! binds them, and each service's queue — batched in one nexosim model, the way one control plane
//! serves a whole cluster (DESIGN.md, "Granularity").
//!
//! Per-object timers (a pod's start-up, its readiness, its termination grace period) live in the
//! model's own heap; the model holds one keyed nexosim event for the earliest of them (a nexosim
//! event costs ~1 µs, a heap entry ~50 ns).
//!
//! Pod lifecycle: Pending → (bound by the scheduler) Starting → (after `startup`: image pull and
//! container start) Running → (after `readiness`: the readiness probe passes) Ready →
//! (deleted) Terminating → (after the termination grace period) gone. A Terminating pod still
//! holds its node's resources and its namespace quota. The run starts warm: pods the scheduler
//! binds at time zero are Ready at once, as in a cluster that was running before the day began.
//!
//! Scheduling follows kube-scheduler's default profile for what clustersim models (see
//! [`placement`]); scale-down follows the ReplicaSet controller's ranking ([`replicaset`]).
//!
//! The state is split into owned parts, each changed through its own narrow methods:
//! - pods and their lifecycle: `pods` (the slab of 48-byte records and `PodTemplate`),
//!   `deployment` (templates and revisions, counts by phase, the queue), `timers` (the heap);
//!   the state machine is here (`reconcile`, `create_pod`, `terminate_pod`, `fire`);
//! - nodes and the placement index: `nodes`, `placement`, `deployment_counts` (pod groups per
//!   node), with the scheduling cycle in `scheduling` (place, preempt, bind, unbind) and node
//!   launches and removals in `lifecycle`, failures and outages in `failures`;
//! - the cost book: `costs` (per-second bills and their split among namespaces);
//! - quotas: `quota` (namespaces, ResourceQuota admission);
//! - the pending queue: `pending` (PrioritySort's order, pending pod-seconds, surges);
//! - job ownership: `jobs` (a Job's pods owned through a deployment entry);
//! - the control plane's limits, with a `control_plane` section: `throttles`
//!   (`crate::control_plane::state`), applied by `run_creator` (pod creation by the ReplicaSet and Job controllers),
//!   `schedule_throttled` and `bind_granted` (binding, image pulls) and `launch_nodes` (boot
//!   times);
//! - outside views: `ports` (the nexosim handlers and wake-ups), `report` (samples and the
//!   whole-run report), `autoscaling` (the node autoscalers' view), `events` (the bounded log).

pub mod autoscaling;
pub mod budget;
mod costs;
mod deployment;
pub mod deployment_counts;
pub mod events;
pub mod failures;
#[cfg(test)]
mod fixture;
mod jobs;
mod lifecycle;
pub mod nodes;
mod pending;
pub mod placement;
pub mod pods;
mod ports;
pub mod qos;
mod queueing;
mod quota;
pub mod replicaset;
mod report;
mod running;
mod scheduling;
mod timers;
mod unschedulable;
mod vertical;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use nexosim::simulation::EventKey;
use serde::{Deserialize, Serialize};
use sim::time::{SimDuration, SimTime};

use crate::api::{CapacityType, Reason};
use crate::control_plane::state::{Creator, ReplicaSetSync, Throttles, WAKE_TICK_NS};
use crate::latency::{Fidelity, ServiceQueue};
use crate::plan::{ClusterPlan, ServicePlan};
use crate::scheduler::taints::Taint;
use budget::EventBudget;
use costs::CostBook;
use deployment::Deployment;
use deployment_counts::DeploymentCounts;
use events::EventLog;
use nodes::{Node, Nodes};
use pending::PendingPods;
use placement::Placement;
use pods::{Pod, PodPhase, PodTemplate, Pods, UNBOUND};
use quota::Namespace;
use running::RunningGroups;
use timers::{Timer, Timers};
use unschedulable::Rejection;

pub use jobs::{BatchPlan, BatchWorkloadPlan};
pub use report::{ClusterReport, NamespaceReport, ServiceReport};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct PoolState {
    name: String,
    region: String,
    instance_type: String,
    capacity_type: CapacityType,
    price_usd_per_hour: f64,
    /// Node group (pool × zone) of each of the pool's zones.
    groups: Vec<u32>,
    allocatable_cpu_millis: u64,
    allocatable_memory_bytes: u64,
    /// `nvidia.com/gpu` allocatable of each node (`crate::gpu`).
    gpus_per_node: u32,
    provisioning_delay_ns: u64,
    min_nodes: u32,
    max_nodes: Option<u32>,
    /// Nodes launched and not yet gone, per zone (same order as `groups`).
    live_per_zone: Vec<u32>,
}

/// The cluster: nodes, pods, scheduler and service queues.
#[derive(Serialize, Deserialize)]
pub struct Cluster {
    pools: Vec<PoolState>,
    nodes: Nodes,
    pods: Pods,
    /// Pods bound to each node, by node id.
    node_pods: Vec<Vec<u32>>,
    /// GPUs of each node, by node id: (allocatable, requested). Kept beside the nodes, not in
    /// the free-capacity index: only GPU pods read it.
    node_gpus: Vec<(u32, u32)>,
    /// Per node, `(deployment, bound pods not terminating)` in order of first bind: the pod
    /// groups of the autoscalers' views, kept here so a scan never walks pods.
    node_groups: Vec<DeploymentCounts>,
    placement: Placement,
    deployments: Vec<Deployment>,
    namespaces: Vec<Namespace>,
    /// PrioritySort's queue and the pending figures.
    pending: PendingPods,
    /// The deployments with pending pods (`Deployment::pending > 0`) as (region index,
    /// deployment), ascending: a region's autoscaler view lists pending pods from its range.
    /// Walking every deployment instead cost a view (hundreds of thousands a day) a cache miss
    /// per deployment, and every Job is one; a region's range spares it the other regions'.
    #[serde(default)]
    with_pending: BTreeSet<(u32, u32)>,
    timers: Timers,
    wake_key: Option<EventKey>,
    /// When `wake_key` fires.
    wake_at: Option<u64>,
    drain_key: Option<EventKey>,
    events: EventLog,
    costs: CostBook,
    /// Whether each pool has taints (Job pods tolerate none).
    pool_tainted: Vec<bool>,
    /// Per pool: tainted with `nvidia.com/gpu` only, so GPU Jobs tolerate it
    /// (`PoolPlan::admits_job`).
    pool_gpu_tainted: Vec<bool>,
    /// Each pool's taints, as written: what TaintToleration names for the nodes of a pool a
    /// pending pod does not tolerate (`unschedulable`).
    #[serde(default)]
    pool_taints: Vec<Vec<Taint>>,
    /// Per service deployment (by index), the node groups of its region that its pods'
    /// pool-level filters reject and why, by group: decided once here, since a group's labels
    /// and taints never change (`unschedulable`).
    #[serde(default)]
    rejected_groups: Vec<Box<[(u32, Rejection)]>>,
    batch: Option<Box<jobs::Batch>>,
    /// Outages in force and the nodes they failed (`failures`).
    failures: failures::Failures,
    /// Messages, queries and timers handled: the benchmark's event count.
    events_handled: u64,
    /// The run's event budget, when the run set one (shared with the run loop).
    #[serde(skip)]
    budget: Option<Arc<EventBudget>>,
    /// Whether the kubelet's memory check runs (some pod template could pass its memory
    /// limit; see [`vertical`]).
    memory_check_armed: bool,
    /// The control plane's limits when the experiment has a `control_plane` section: token
    /// buckets, the ReplicaSet work queue, image caches, boot draws
    /// (`crate::control_plane::state`). `None`: nothing throttles (every bundled example
    /// without the section runs as before).
    #[serde(default)]
    throttles: Option<Box<Throttles>>,
    /// How long after its start a running pod is told apart by its start and ready instants in
    /// the workload metrics (see [`running`]); `None`: always.
    #[serde(default)]
    metrics_settle_ns: Option<u64>,
    /// Per deployment, the node groups an autoscaling view found its pods may run on: a
    /// table kept between views and emptied after each, so a view fills the entries of the
    /// deployments it lists and never walks or allocates one per deployment of the cluster
    /// (`autoscaling`).
    #[serde(skip)]
    view_fits: std::cell::RefCell<Vec<Option<crate::api::GroupSet>>>,
    /// Per cluster group, what an autoscaling view's nodes of the group share: kept and
    /// emptied like `view_fits`, filled for the request's groups only (`autoscaling`).
    #[serde(skip)]
    view_groups: std::cell::RefCell<Vec<Option<Option<autoscaling::GroupFacts>>>>,
    /// By node id, a deployment's ready pods on the node while its ReplicaSet picks the pods
    /// to delete (`pods_to_delete`): all zeros between picks, so a pick costs its own pods,
    /// not a map of nodes or a table the size of the cluster.
    #[serde(skip)]
    ready_on_node: Vec<u32>,
}

const NS_PER_S: f64 = 1e9;

/// The ready time of a running pod that is not ready.
pub const NOT_READY: u64 = u64::MAX;

impl Cluster {
    /// Builds the nodes of every pool, creates every service's pods and binds what fits.
    /// Queues run at `fidelity`; a request-level queue draws from the stream
    /// `fidelity/<service>/<region>` of `seed`.
    pub fn new(plan: &ClusterPlan, fidelity: Fidelity, seed: u64) -> Self {
        let (placement, group_of_pool_zone) = Placement::new(plan);
        let mut pool_zone_of_group = vec![(0, 0); placement.group_count()];
        for (p, groups) in group_of_pool_zone.iter().enumerate() {
            for (z, &g) in groups.iter().enumerate() {
                pool_zone_of_group[g as usize] = (p as u32, z as u32);
            }
        }
        let mut nodes = Nodes::new(placement.region_of_groups(), pool_zone_of_group);
        let mut node_pods = Vec::new();
        let mut node_gpus = Vec::new();
        let mut pools = Vec::new();
        for (p, pool) in plan.pools.iter().enumerate() {
            let (cpu, memory) = pool.allocatable();
            for k in 0..pool.nodes {
                // Round-robin over the pool's zones, as node groups spread across zones.
                let zone = k as usize % pool.zones.len();
                nodes.add(Node {
                    group: group_of_pool_zone[p][zone],
                    allocatable_cpu_millis: cpu,
                    allocatable_memory_bytes: memory,
                    requested_cpu_millis: 0,
                    requested_memory_bytes: 0,
                    pods: 0,
                    schedulable: true,
                    state: crate::api::NodeState::Ready,
                    created_ns: 0,
                    removed_ns: None,
                    last_pod_change_ns: 0,
                });
                node_pods.push(Vec::new());
                node_gpus.push((pool.gpus_per_node(), 0));
            }
            let mut live_per_zone = vec![0; pool.zones.len()];
            for k in 0..pool.nodes {
                live_per_zone[k as usize % pool.zones.len()] += 1;
            }
            pools.push(PoolState {
                name: pool.name.clone(),
                region: pool.region.clone(),
                instance_type: pool.instance.instance_type.clone(),
                capacity_type: pool.capacity_type,
                price_usd_per_hour: pool.price_usd_per_hour(),
                groups: group_of_pool_zone[p].clone(),
                allocatable_cpu_millis: cpu,
                allocatable_memory_bytes: memory,
                gpus_per_node: pool.gpus_per_node(),
                provisioning_delay_ns: pool.provisioning_delay.as_nanos(),
                min_nodes: pool.min_nodes,
                max_nodes: pool.max_nodes,
                live_per_zone,
            });
        }
        let rejected_groups = plan
            .services
            .iter()
            .map(|s| unschedulable::rejected_groups(plan, &placement, s))
            .collect();
        let deployments = plan
            .services
            .iter()
            .map(|s| Deployment {
                name: s.name.clone(),
                region: s.region.clone(),
                region_index: placement.region_index(&s.region).unwrap_or(u32::MAX),
                namespace: s.namespace,
                priority: s.priority,
                desired: s.replicas,
                schedule: s
                    .replica_schedule
                    .iter()
                    .map(|&(t, n)| (t.as_nanos(), n))
                    .collect(),
                templates: vec![PodTemplate {
                    gpus: s.gpus,
                    ..PodTemplate::new(s.requests.cpu.0, s.requests.memory.0, s.limits)
                }],
                revision: 0,
                startup_ns: s.timings.startup.as_nanos(),
                readiness_ns: s.timings.readiness.as_nanos(),
                grace_ns: s.timings.termination_grace.as_nanos(),
                groups: admitting_groups(plan, &placement, s),
                pods: Vec::new(),
                ready: 0,
                pending: 0,
                running: RunningGroups::default(),
                min_available: s.min_available,
                zone_max_skew: s.zone_max_skew,
                host_max_skew: s.host_max_skew,
                zone_pods: BTreeMap::new(),
                quota_blocked: false,
                mu_rps: s.capacity_rps,
                warm_ns: s.warm_up.map_or(0, |(d, _)| d.as_nanos()),
                warm_speed: s.warm_up.map_or(1.0, |(_, v)| v),
                warming: 0,
                ready_pod_seconds: 0.0,
                ready_since_ns: 0,
                queue: ServiceQueue::with_fidelity(
                    s.capacity_rps,
                    0,
                    s.timeout.as_secs_f64(),
                    s.latency_target.map(|t| t.as_secs_f64()),
                    fidelity,
                    sim::rng::stream(seed, &format!("fidelity/{}/{}", s.name, s.region)),
                )
                .holding_at_zero(s.hold_at_zero),
                job: None,
                memory_usage: s.memory_usage,
                vertical: Default::default(),
            })
            .collect();
        let namespaces = plan
            .namespaces
            .iter()
            .map(|n| Namespace {
                name: n.name.clone(),
                quota: [n.quota_cpu_millis, n.quota_memory_bytes, n.quota_pods],
                used: [0; 3],
                refused: 0,
            })
            .collect();
        let mut cluster = Cluster {
            pools,
            nodes,
            pods: Pods::default(),
            node_pods,
            node_gpus,
            node_groups: Vec::new(),
            costs: CostBook::new(plan.minimum_billed, plan.pools.len(), plan.namespaces.len()),
            placement,
            deployments,
            namespaces,
            pending: PendingPods::new(plan.control_plane.limits.is_some()),
            with_pending: BTreeSet::new(),
            timers: Timers::default(),
            wake_key: None,
            wake_at: None,
            drain_key: None,
            events: EventLog::default(),
            pool_tainted: plan.pools.iter().map(|p| !p.taints.is_empty()).collect(),
            pool_gpu_tainted: plan
                .pools
                .iter()
                .map(|p| !p.taints.is_empty() && p.admits_job(1))
                .collect(),
            pool_taints: plan.pools.iter().map(|p| p.taints.clone()).collect(),
            rejected_groups,
            batch: None,
            failures: failures::Failures::default(),
            events_handled: 0,
            budget: None,
            memory_check_armed: false,
            throttles: None,
            metrics_settle_ns: None,
            view_fits: Default::default(),
            view_groups: Default::default(),
            ready_on_node: Vec::new(),
        };
        for pool in &cluster.pools {
            for _ in 0..pool.live_per_zone.iter().sum::<u32>() {
                cluster.costs.node_created(pool.price_usd_per_hour, 0);
            }
        }
        for d in 0..cluster.deployments.len() as u32 {
            cluster.reconcile(d, 0);
            for k in 0..cluster.deployments[d as usize].schedule.len() {
                let at = cluster.deployments[d as usize].schedule[k].0;
                cluster.push_timer(at, Timer::Scale { deployment: d });
            }
        }
        cluster.schedule_pending(0);
        cluster.arm_memory_check(0);
        // The pods of time zero were running before the day began: created, bound and pulled
        // without limits. Limits apply from here on.
        if let Some(limits) = &plan.control_plane.limits {
            let mut throttles = Throttles::new(limits.clone(), seed, plan.pools.len());
            for (node, residents) in cluster.node_pods.iter().enumerate() {
                for &id in residents {
                    let d = cluster.pods.get(id).deployment as usize;
                    throttles.preload(node as u32, &cluster.deployments[d].name);
                }
            }
            cluster.throttles = Some(Box::new(throttles));
        }
        cluster
    }

    /// Counts this cluster's events against `budget`, which halts the simulation past it.
    pub fn with_budget(mut self, budget: Arc<EventBudget>) -> Self {
        self.budget = Some(budget);
        self
    }

    /// Reports pods started more than `after` ago by revision and readiness alone in the workload
    /// metrics: the HPA reads them alike from then on (`hpa::config::metrics_settle_after`).
    pub fn with_metrics_settle_after(mut self, after: SimDuration) -> Self {
        self.metrics_settle_ns = Some(after.as_nanos());
        self
    }

    /// Debug builds: the counts kept apart agree — pods are conserved (created = pending +
    /// starting + running + ready + terminating + gone), the scheduling queue holds exactly the
    /// Pending pods, and no deployment has more warming pods than ready ones. O(1) per message,
    /// plus O(deployments) for the per-deployment sums, checked at sample instants.
    fn debug_check_counts(&self) {
        debug_assert!(
            self.pods.conserved(),
            "invariant `pods-conserved` broken: created ≠ live + gone"
        );
        debug_assert_eq!(
            self.pods.count_in(PodPhase::Pending),
            self.pending.len() as u64,
            "invariant `pods-conserved` broken: pending pods and the scheduling queue disagree"
        );
    }

    /// Debug builds: the per-deployment counts add up to the per-phase ones.
    fn debug_check_deployments(&self) {
        if !cfg!(debug_assertions) {
            return;
        }
        let (mut pending, mut ready) = (0u64, 0u64);
        for (d, dep) in self.deployments.iter().enumerate() {
            debug_assert!(
                dep.warming <= dep.ready,
                "deployment {d}: {} warming > {} ready",
                dep.warming,
                dep.ready
            );
            pending += u64::from(dep.pending);
            ready += u64::from(dep.ready);
        }
        debug_assert_eq!(pending, self.pods.count_in(PodPhase::Pending));
        debug_assert_eq!(ready, self.pods.count_in(PodPhase::Ready));
        debug_assert!(
            self.deployments
                .iter()
                .enumerate()
                .all(|(d, dep)| (dep.pending > 0)
                    == self.with_pending.contains(&(dep.region_index, d as u32))),
            "the deployments with pending pods and their counts disagree"
        );
    }

    /// Deployment `d` gained (`added`) or lost a pending pod.
    fn count_pending(&mut self, d: usize, added: bool) {
        let dep = &mut self.deployments[d];
        if added {
            dep.pending += 1;
            if dep.pending == 1 {
                self.with_pending.insert((dep.region_index, d as u32));
            }
        } else {
            dep.pending -= 1;
            if dep.pending == 0 {
                self.with_pending.remove(&(dep.region_index, d as u32));
            }
        }
    }

    fn push_timer(&mut self, at_ns: u64, timer: Timer) {
        self.timers.push(at_ns, timer);
    }

    /// Creates or deletes pods until the deployment has its desired count (the ReplicaSet
    /// controller's sync).
    fn reconcile(&mut self, d: u32, now_ns: u64) {
        let dep = &self.deployments[d as usize];
        let (live, desired) = (dep.pods.len() as u32, dep.desired);
        if live < desired {
            if let Some(plane) = self.plane_of(d) {
                // A Job's owner short of pods has creations its Job controller asked for.
                let creator = match self.deployments[d as usize].job {
                    Some(_) => Creator::Job,
                    None => Creator::ReplicaSet,
                };
                if let Some(t) = self.throttles.as_deref_mut() {
                    t.plane(plane).creator(creator).enqueue(d);
                }
                self.run_creator(plane, creator, now_ns);
                return;
            }
            for _ in live..desired {
                if !self.create_pod(d, now_ns) {
                    break;
                }
            }
        } else if live > desired {
            let excess = (live - desired) as usize;
            let doomed = self.pods_to_delete(d, excess, now_ns);
            for &id in &doomed {
                self.terminate_pod(id, now_ns, Reason::Killing);
            }
            self.log_deleted(
                d,
                doomed.len(),
                now_ns,
                Reason::Killing,
                "scaled down by its ReplicaSet",
            );
        }
    }

    /// The control plane (its region's) that creates and binds deployment `d`'s pods, under
    /// the control plane's limits.
    fn plane_of(&mut self, d: u32) -> Option<u32> {
        let t = self.throttles.as_deref_mut()?;
        Some(t.plane_of(d, &self.deployments[d as usize].region))
    }

    /// The ReplicaSet's `count` pods to delete from deployment `d` (`replicaset`), reading
    /// each of its pods once.
    fn pods_to_delete(&mut self, d: u32, count: usize, now_ns: u64) -> Vec<u32> {
        let on_node = &mut self.ready_on_node;
        if on_node.len() < self.nodes.all().len() {
            on_node.resize(self.nodes.all().len(), 0);
        }
        let dep = &self.deployments[d as usize];
        let mut nodes: Vec<u32> = Vec::with_capacity(dep.pods.len());
        let mut candidates: Vec<replicaset::Candidate> = dep
            .pods
            .iter()
            .map(|&id| {
                let pod = self.pods.get(id);
                let ready = pod.phase == PodPhase::Ready;
                if ready && let Some(n) = on_node.get_mut(pod.node as usize) {
                    *n += 1;
                }
                nodes.push(pod.node);
                replicaset::Candidate {
                    id,
                    assigned: pod.node != UNBOUND,
                    phase: match pod.phase {
                        PodPhase::Pending | PodPhase::Starting => replicaset::Phase::Pending,
                        _ => replicaset::Phase::Running,
                    },
                    ready_since_ns: ready.then_some(pod.ready_ns),
                    deletion_cost: 0,
                    colocated_ready: 0,
                    created_ns: pod.created_ns,
                }
            })
            .collect();
        for (c, &node) in candidates.iter_mut().zip(&nodes) {
            c.colocated_ready = on_node.get(node as usize).copied().unwrap_or(0);
        }
        for &node in &nodes {
            if let Some(n) = on_node.get_mut(node as usize) {
                *n = 0;
            }
        }
        replicaset::pods_to_delete(&mut candidates, count, now_ns)
    }

    /// A pod-creating controller (ReplicaSet or Job) of one region's control plane (`plane`)
    /// under the limits: syncs its queued deployments one at a time (FIFO, as its work queue),
    /// each creating at most `BurstReplicas` (`MaxPodCreateDeletePerSync` for Jobs, the same
    /// 500) pods in slow-start batches whose requests pass the controller's token bucket; a
    /// refused creation ends the sync. Creates every pod whose token has come by `now_ns`,
    /// then sets one wake-up for the rest (`PodCreator::arm`).
    fn run_creator(&mut self, plane: u32, creator: Creator, now_ns: u64) {
        let Some((burst_replicas, slow_start)) = self
            .throttles
            .as_deref()
            .map(|t| (t.limits.burst_replicas, t.limits.slow_start))
        else {
            return;
        };
        while let Some(t) = self
            .throttles
            .as_deref_mut()
            .map(|t| t.plane(plane).creator(creator))
        {
            let mut sync = match t.sync.take() {
                Some(sync) => sync,
                None => {
                    let Some(d) = t.dequeue() else { return };
                    let dep = &self.deployments[d as usize];
                    let short = dep.desired.saturating_sub(dep.pods.len() as u32);
                    if short == 0 {
                        continue;
                    }
                    let left = burst_replicas.map_or(short, |b| short.min(b));
                    let first = if slow_start { 1 } else { left };
                    ReplicaSetSync {
                        deployment: d,
                        left,
                        batch_left: first,
                        next_batch: 2,
                        batch_start_ns: now_ns,
                        batch_end_ns: now_ns,
                    }
                }
            };
            let d = sync.deployment;
            let mut ended = false;
            while sync.batch_left > 0 {
                let dep = &self.deployments[d as usize];
                if dep.pods.len() as u32 >= dep.desired {
                    ended = true;
                    break;
                }
                let Some(t) = self
                    .throttles
                    .as_deref_mut()
                    .map(|t| t.plane(plane).creator(creator))
                else {
                    return;
                };
                let start = sync.batch_start_ns;
                let granted = t.client.map_or(start, |b| b.peek(start));
                if granted > now_ns {
                    let wake = t
                        .batch_last_grant(&sync)
                        .min(granted.max(now_ns + WAKE_TICK_NS));
                    t.sync = Some(sync);
                    if t.arm(wake) {
                        self.push_timer(wake, Timer::Creator { plane, creator });
                    }
                    return;
                }
                if let Some(b) = t.client.as_mut() {
                    b.grant(start);
                }
                sync.batch_end_ns = sync.batch_end_ns.max(granted);
                let created = match creator {
                    Creator::ReplicaSet => self.create_pod(d, now_ns),
                    Creator::Job => self.create_job_pod(d, now_ns),
                };
                if !created {
                    ended = true;
                    break;
                }
                sync.batch_left -= 1;
                sync.left -= 1;
            }
            let Some(t) = self
                .throttles
                .as_deref_mut()
                .map(|t| t.plane(plane).creator(creator))
            else {
                return;
            };
            if !ended && sync.left > 0 {
                let size = if slow_start {
                    sync.next_batch.min(sync.left)
                } else {
                    sync.left
                };
                sync.next_batch = sync.next_batch.saturating_mul(2);
                sync.batch_left = size;
                sync.batch_start_ns = sync.batch_end_ns;
                t.sync = Some(sync);
                continue;
            }
            // The sync is over; a deployment still short syncs again from the queue's back
            // (one refused by its quota waits for room, `Timer::Gone`).
            let dep = &self.deployments[d as usize];
            if (dep.pods.len() as u32) < dep.desired && !dep.quota_blocked {
                t.enqueue(d);
            }
        }
    }

    /// Creates one Pending pod unless its namespace quota refuses it.
    fn create_pod(&mut self, d: u32, now_ns: u64) -> bool {
        let dep = &mut self.deployments[d as usize];
        let template = *dep.template();
        let add = [template.cpu_millis, template.memory_bytes, 1];
        let ns = &mut self.namespaces[dep.namespace as usize];
        if !ns.admits(add) {
            ns.refused += 1;
            if !dep.quota_blocked {
                dep.quota_blocked = true;
                let object = match dep.job {
                    Some(_) => format!("job/{}", dep.name),
                    None => format!("deployment/{}-{}", dep.name, dep.region),
                };
                let message = quota::quota_message(&ns.name, ns.used, ns.quota, add);
                self.events
                    .push(now_ns, Reason::FailedCreate, || object, || message);
            }
            return false;
        }
        dep.quota_blocked = false;
        for (u, a) in ns.used.iter_mut().zip(add) {
            *u += a;
        }
        let (priority, revision) = (dep.priority, dep.revision);
        let id = self.pods.insert(Pod {
            deployment: d,
            node: UNBOUND,
            phase: PodPhase::Pending,
            revision,
            restarts: 0,
            generation: 0,
            priority,
            created_ns: now_ns,
            started_ns: 0,
            ready_ns: 0,
            slot: 0,
        });
        let dep = &mut self.deployments[d as usize];
        self.pods.get_mut(id).slot = dep.pods.len() as u32;
        dep.pods.push(id);
        self.count_pending(d as usize, true);
        self.pending.add((Reverse(priority), now_ns, id), d, now_ns);
        true
    }

    /// Deletes a pod and logs it: a Pending one disappears, a bound one starts its grace period.
    fn delete_pod(&mut self, id: u32, now_ns: u64, reason: Reason, why: &str) {
        let d = self.pods.get(id).deployment as usize;
        self.terminate_pod(id, now_ns, reason);
        let dep = &self.deployments[d];
        let (name, region) = (dep.name.clone(), dep.region.clone());
        self.events.push(
            now_ns,
            reason,
            || format!("pod/{name}-{region}-{id}"),
            || why.to_owned(),
        );
    }

    /// One event for `count` pods of deployment `d` deleted at once (a scale-down, a drain).
    fn log_deleted(&mut self, d: u32, count: usize, now_ns: u64, reason: Reason, why: &str) {
        if count == 0 {
            return;
        }
        let dep = &self.deployments[d as usize];
        let (name, region) = (dep.name.clone(), dep.region.clone());
        self.events.push_counted(
            now_ns,
            reason,
            u32::try_from(count).unwrap_or(u32::MAX),
            || format!("deployment/{name}-{region}"),
            || format!("{count} pod(s): {why}"),
        );
    }

    /// Deletes a pod without logging it (the caller does): a Pending one disappears, a bound
    /// one starts its grace period.
    fn terminate_pod(&mut self, id: u32, now_ns: u64, reason: Reason) {
        let pod = *self.pods.get(id);
        let d = pod.deployment as usize;
        if matches!(reason, Reason::Evicted | Reason::Preempted) {
            self.job_pod_lost(d, now_ns);
        }
        let pods = &mut self.deployments[d].pods;
        pods.swap_remove(pod.slot as usize);
        if let Some(&moved) = pods.get(pod.slot as usize) {
            self.pods.get_mut(moved).slot = pod.slot;
        }
        if pod.phase == PodPhase::Pending {
            self.pending.remove(
                (Reverse(pod.priority), pod.created_ns, id),
                pod.deployment,
                now_ns,
            );
            self.count_pending(d, false);
            self.release_quota(&pod);
            self.pods.remove(id);
            return;
        }
        if pod.node != UNBOUND {
            self.nodes
                .update(pod.node, |n| n.last_pod_change_ns = now_ns);
        }
        self.stop_running(&pod, now_ns);
        if pod.node != UNBOUND {
            self.count_on_node(pod.node, pod.deployment, -1);
        }
        self.pods.set_phase(id, PodPhase::Terminating);
        let at = now_ns + self.deployments[d].grace_ns;
        self.push_timer(
            at,
            Timer::Gone {
                pod: id,
                generation: pod.generation,
            },
        );
    }

    /// Takes a Running or Ready pod out of its deployment's running and ready counts (it is
    /// being deleted, or its container was killed); other phases are not counted there.
    fn stop_running(&mut self, pod: &Pod, now_ns: u64) {
        let d = pod.deployment as usize;
        match pod.phase {
            PodPhase::Ready => {
                self.count_running(d, (pod.started_ns, pod.ready_ns, pod.revision), -1);
                let dep = &mut self.deployments[d];
                if now_ns < pod.ready_ns + dep.warm_ns {
                    dep.warming -= 1;
                }
                self.set_ready(d, -1, now_ns);
            }
            PodPhase::Running => {
                self.count_running(d, (pod.started_ns, NOT_READY, pod.revision), -1)
            }
            _ => {}
        }
    }

    fn release_quota(&mut self, pod: &Pod) {
        let dep = &self.deployments[pod.deployment as usize];
        let template = dep.template_of(pod);
        let ns = &mut self.namespaces[dep.namespace as usize];
        for (u, a) in ns
            .used
            .iter_mut()
            .zip([template.cpu_millis, template.memory_bytes, 1])
        {
            *u -= a;
        }
    }

    fn count_running(&mut self, d: usize, key: (u64, u64, u16), delta: i32) {
        self.deployments[d].running.add(key, delta);
    }

    /// Changes a deployment's ready count and, with it, the servers of its queue.
    fn set_ready(&mut self, d: usize, delta: i32, now_ns: u64) {
        let dep = &mut self.deployments[d];
        dep.account_ready(now_ns);
        dep.ready = dep.ready.saturating_add_signed(delta);
        dep.queue.advance_to(SimTime::from_nanos(now_ns));
        dep.queue.set_servers(dep.ready);
        dep.update_service_rate();
    }

    /// Runs every timer due at or before `now`, then schedules what became schedulable.
    fn run_timers(&mut self, now_ns: u64) {
        let mut changed = false;
        while let Some((at, timer)) = self.timers.pop_due(now_ns) {
            self.events_handled += 1;
            changed |= self.fire(timer, at);
        }
        if changed {
            self.schedule_pending(now_ns);
        }
    }

    /// Applies one timer; true when it may have made room for pending pods.
    fn fire(&mut self, timer: Timer, now_ns: u64) -> bool {
        match timer {
            Timer::Started { pod, generation } => {
                if let Some(p) = self.pods.current(pod, generation)
                    && p.phase == PodPhase::Starting
                {
                    let d = p.deployment as usize;
                    let at = now_ns + self.deployments[d].readiness_ns;
                    self.pods.set_phase(pod, PodPhase::Running);
                    let p = self.pods.get_mut(pod);
                    p.started_ns = now_ns;
                    let revision = p.revision;
                    self.count_running(d, (now_ns, NOT_READY, revision), 1);
                    self.push_timer(at, Timer::Ready { pod, generation });
                    if self.deployments[d].job.is_some() {
                        self.job_pod_running(pod, generation, now_ns);
                    }
                }
                false
            }
            Timer::Ready { pod, generation } => {
                if let Some(p) = self.pods.current(pod, generation)
                    && p.phase == PodPhase::Running
                {
                    let d = p.deployment as usize;
                    self.pods.set_phase(pod, PodPhase::Ready);
                    let p = self.pods.get_mut(pod);
                    p.ready_ns = now_ns;
                    let (started_ns, revision) = (p.started_ns, p.revision);
                    self.count_running(d, (started_ns, NOT_READY, revision), -1);
                    self.count_running(d, (started_ns, now_ns, revision), 1);
                    let warm_ns = self.deployments[d].warm_ns;
                    if warm_ns > 0 {
                        self.deployments[d].warming += 1;
                        self.push_timer(now_ns + warm_ns, Timer::Warm { pod, generation });
                    }
                    self.set_ready(d, 1, now_ns);
                }
                false
            }
            Timer::Warm { pod, generation } => {
                if let Some(p) = self.pods.current(pod, generation)
                    && p.phase == PodPhase::Ready
                {
                    let d = p.deployment as usize;
                    let dep = &mut self.deployments[d];
                    dep.queue.advance_to(SimTime::from_nanos(now_ns));
                    dep.warming -= 1;
                    dep.update_service_rate();
                }
                false
            }
            Timer::Gone { pod, generation } => {
                let Some(&p) = self.pods.current(pod, generation) else {
                    return false;
                };
                self.unbind(pod);
                self.release_quota(&p);
                self.pods.remove(pod);
                // Quota freed: a deployment it blocked may create its missing pods now.
                let ns = self.deployments[p.deployment as usize].namespace;
                for d in 0..self.deployments.len() as u32 {
                    let dep = &self.deployments[d as usize];
                    if dep.namespace == ns && dep.quota_blocked {
                        self.reconcile(d, now_ns);
                    }
                }
                self.job_room_freed(ns, now_ns);
                true
            }
            Timer::JobSubmit => self.submit_jobs(now_ns),
            Timer::JobSync => self.job_sync(now_ns),
            Timer::Queues => {
                self.run_queues(now_ns);
                self.run_job_controller(now_ns)
            }
            Timer::JobPodEnd {
                pod,
                generation,
                fails,
            } => self.job_pod_end(pod, generation, fails, now_ns),
            Timer::NodeReady { node } => self.node_ready(node, now_ns),
            Timer::NodeGone { node } => self.node_gone(node, now_ns),
            Timer::Creator { plane, creator } => {
                let due = self
                    .throttles
                    .as_deref_mut()
                    .is_some_and(|t| t.plane(plane).creator(creator).due(now_ns));
                if due {
                    self.run_creator(plane, creator, now_ns);
                }
                due
            }
            Timer::Scheduler { plane } => self
                .throttles
                .as_deref_mut()
                .is_some_and(|t| t.plane(plane).scheduler_due(now_ns)),
            Timer::MemoryCheck => {
                self.check_memory(now_ns);
                false
            }
            Timer::Scale { deployment } => {
                let dep = &mut self.deployments[deployment as usize];
                let due: Vec<u32> = dep
                    .schedule
                    .iter()
                    .filter(|&&(at, _)| at == now_ns)
                    .map(|&(_, n)| n)
                    .collect();
                if let Some(&n) = due.last() {
                    dep.desired = n;
                    self.reconcile(deployment, now_ns);
                }
                true
            }
        }
    }

    /// Brings the services' queues to `now` (Job owners have no traffic, and their queues are
    /// never read).
    fn advance_queues(&mut self, now: SimTime) {
        let end = self.services_end();
        for d in &mut self.deployments[..end] {
            d.queue.advance_to(now);
        }
    }
}

/// The node groups of the service's region whose nodes pass the pool-level filters:
/// TaintToleration and NodeAffinity (see [`unschedulable::group_verdict`]). Nodes of one group
/// share labels and taints, so these filters are decided once per group instead of once per
/// node.
fn admitting_groups(plan: &ClusterPlan, placement: &Placement, s: &ServicePlan) -> Vec<u32> {
    placement
        .groups_in(&s.region)
        .into_iter()
        .filter(|&g| unschedulable::group_verdict(plan, placement, s, g).is_none())
        .collect()
}

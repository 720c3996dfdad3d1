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

pub mod autoscaling;
pub mod deployment_counts;
pub mod events;
pub mod failures;
#[cfg(test)]
mod fixture;
mod jobs;
mod lifecycle;
pub mod nodes;
pub mod placement;
pub mod pods;
pub mod qos;
pub mod replicaset;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use nexosim::model::{Context, Model, schedulable};
use nexosim::simulation::EventKey;
use serde::{Deserialize, Serialize};
use sim::time::{SimDuration, SimTime};

use crate::allocatable;
use crate::api::{
    CapacityType, FaultOrder, LaunchOrder, NamespaceSample, NodeCensus, PoolBill, PoolSample,
    Reason, RemoveOrder, ReplicaOrder, RunningPods, Sample, ServiceSample, SurgeClock, UNREQUESTED,
    WorkloadMetrics,
};
use crate::billing;
use crate::latency::{Counts, Fidelity, Histogram, ServiceQueue};
use crate::plan::{ClusterPlan, ServicePlan};
use crate::scheduler::preemption::{VictimCandidate, importance_order};
use crate::scheduler::taints::first_untolerated_taint;
use deployment_counts::DeploymentCounts;
use events::EventLog;
use nodes::{Node, Nodes};
use placement::Placement;
use pods::{Pod, PodPhase, PodTemplate, Pods, UNBOUND};

pub use jobs::{BatchPlan, BatchWorkloadPlan};

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
    provisioning_delay_ns: u64,
    min_nodes: u32,
    max_nodes: Option<u32>,
    /// Nodes launched and not yet gone, per zone (same order as `groups`).
    live_per_zone: Vec<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Namespace {
    name: String,
    quota: [Option<u64>; 3],
    used: [u64; 3],
    /// Pods refused by the quota so far.
    refused: u64,
}

impl Namespace {
    fn admits(&self, add: [u64; 3]) -> bool {
        (0..3).all(|i| self.quota[i].is_none_or(|hard| self.used[i] + add[i] <= hard))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Deployment {
    name: String,
    region: String,
    namespace: u32,
    priority: i32,
    desired: u32,
    schedule: Vec<(u64, u32)>,
    /// Every revision of the pod template, oldest first; new pods are made from `revision`.
    templates: Vec<PodTemplate>,
    revision: u16,
    startup_ns: u64,
    readiness_ns: u64,
    grace_ns: u64,
    /// Node groups (pool × zone) of its region.
    groups: Vec<u32>,
    /// Live, not terminating pods.
    pods: Vec<u32>,
    ready: u32,
    pending: u32,
    /// Running pods (ready or not) counted by (start time, ready time or `NOT_READY`, template
    /// revision): what the HPA's readiness rules and per-pod requests read, kept as pods change
    /// phase so a query never walks pods.
    running: BTreeMap<(u64, u64, u16), u32>,
    min_available: Option<u32>,
    zone_max_skew: Option<u32>,
    host_max_skew: Option<u32>,
    /// Bound pods not terminating per zone id, for the zone spread score.
    zone_pods: BTreeMap<u32, u32>,
    /// Whether the last pod creation was refused by the quota (logged once per episode).
    quota_blocked: bool,
    /// Requests/s one pod serves at its full CPU request.
    mu_rps: f64,
    /// Warm-up of newly ready pods: how long, at what fraction of `mu_rps`; and how many ready
    /// pods are still warming.
    warm_ns: u64,
    warm_speed: f64,
    warming: u32,
    /// Ready pods × seconds since the previous sample, and when it was last brought up to date.
    ready_pod_seconds: f64,
    ready_since_ns: u64,
    queue: ServiceQueue,
    /// The Job this entry owns the pods of, for a Job's entry (see [`jobs`]).
    job: Option<jobs::JobOwner>,
}

impl Deployment {
    /// The current pod template: what new pods are made of.
    fn template(&self) -> &PodTemplate {
        &self.templates[usize::from(self.revision)]
    }

    /// The template a pod of this deployment was created from.
    fn template_of(&self, pod: &Pod) -> &PodTemplate {
        &self.templates[usize::from(pod.revision)]
    }

    /// The queue's per-pod rate: the mean over the ready pods, those warming up at
    /// `warm_speed` (call after `queue.advance_to`).
    fn update_service_rate(&mut self) {
        if self.warm_ns == 0 || self.ready == 0 {
            return;
        }
        let warming = f64::from(self.warming.min(self.ready));
        let ready = f64::from(self.ready);
        let mean = self.mu_rps * (ready - warming * (1.0 - self.warm_speed)) / ready;
        self.queue.set_service_rate(mean);
    }

    /// Integrates ready pod-seconds up to `now` before the ready count changes.
    fn account_ready(&mut self, now_ns: u64) {
        let dt = now_ns.saturating_sub(self.ready_since_ns) as f64 / NS_PER_S;
        self.ready_pod_seconds += f64::from(self.ready) * dt;
        self.ready_since_ns = now_ns;
    }

    /// The interval's CPU utilization of requests (see [`ServiceSample::cpu_utilization`]);
    /// restarts the interval.
    fn take_cpu_utilization(&mut self, now_ns: u64, served: f64) -> f64 {
        self.account_ready(now_ns);
        let capacity = self.mu_rps * std::mem::take(&mut self.ready_pod_seconds);
        if capacity > 0.0 {
            served / capacity
        } else {
            0.0
        }
    }
}

/// Per-pod and per-deployment timers of the model's own heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
enum Timer {
    Started {
        pod: u32,
        generation: u32,
    },
    Ready {
        pod: u32,
        generation: u32,
    },
    /// A ready pod's warm-up ends.
    Warm {
        pod: u32,
        generation: u32,
    },
    Gone {
        pod: u32,
        generation: u32,
    },
    Scale {
        deployment: u32,
    },
    /// A launched node finished booting and registering.
    NodeReady {
        node: u32,
    },
    /// A drained or reclaimed node's instance is terminated.
    NodeGone {
        node: u32,
    },
    /// The next Jobs are submitted.
    JobSubmit,
    /// The Job controller has work due.
    JobSync,
    /// A Job's pod ends its run.
    JobPodEnd {
        pod: u32,
        generation: u32,
        fails: bool,
    },
}

/// Whole-run figures of one service in one region.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceReport {
    pub service: String,
    pub region: String,
    pub qos: qos::QosClass,
    pub total: Counts,
    pub histogram: Histogram,
}

/// Whole-run figures of a namespace (the last one is [`UNREQUESTED`]). Costs are charged at
/// sample instants, so they are complete when the report is taken at the run's last sample.
#[derive(Debug, Clone, PartialEq)]
pub struct NamespaceReport {
    pub namespace: String,
    pub cost_usd: f64,
    pub pods_refused_by_quota: u64,
}

/// Whole-run figures of the cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterReport {
    pub services: Vec<ServiceReport>,
    pub pools: Vec<PoolBill>,
    pub namespaces: Vec<NamespaceReport>,
    pub events: Vec<events::Event>,
    pub events_dropped: u64,
    /// Σ over pods of the time they spent Pending.
    pub pending_pod_seconds: f64,
    /// The Jobs' figures, when the run has batch workloads.
    pub batch: Option<crate::jobs::BatchReport>,
    /// Every interval with at least one pod pending (time to capacity).
    pub surges: SurgeClock,
    /// Messages, queries and timers the cluster handled over the run.
    pub events_handled: u64,
}

/// The cluster: nodes, pods, scheduler and service queues.
#[derive(Serialize, Deserialize)]
pub struct Cluster {
    pools: Vec<PoolState>,
    nodes: Nodes,
    pods: Pods,
    /// Pods bound to each node, by node id.
    node_pods: Vec<Vec<u32>>,
    /// Per node, `(deployment, bound pods not terminating)` in order of first bind: the pod
    /// groups of the autoscalers' views, kept here so a scan never walks pods.
    node_groups: Vec<DeploymentCounts>,
    placement: Placement,
    deployments: Vec<Deployment>,
    namespaces: Vec<Namespace>,
    /// PrioritySort's queue: higher priority first, then older.
    pending: BTreeSet<(Reverse<i32>, u64, u32)>,
    timers: BinaryHeap<Reverse<(u64, u64, Timer)>>,
    timer_seq: u64,
    wake_key: Option<EventKey>,
    /// When `wake_key` fires.
    wake_at: Option<u64>,
    drain_key: Option<EventKey>,
    events: EventLog,
    minimum_billed: SimDuration,
    /// Requested CPU per (pool, namespace), kept at every bind and unbind.
    pool_namespace_cpu: BTreeMap<(u32, u32), u64>,
    /// Cost of each pool at the previous sample, and each namespace's share of all costs so far.
    pool_cost_at_sample: Vec<f64>,
    namespace_cost_usd: Vec<f64>,
    /// Pending pods × seconds, integrated at every change of the pending count.
    pending_pod_seconds: f64,
    pending_since_ns: u64,
    pending_total: u64,
    /// Whether each pool has taints (Job pods tolerate none).
    pool_tainted: Vec<bool>,
    batch: Option<Box<jobs::Batch>>,
    /// Intervals with pods pending, for time to capacity.
    surges: SurgeClock,
    /// Outages in force and the nodes they failed (`failures`).
    failures: failures::Failures,
    /// Messages, queries and timers handled: the benchmark's event count.
    events_handled: u64,
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
        let mut nodes = Nodes::new(placement.region_of_groups());
        let mut node_pods = Vec::new();
        let mut pools = Vec::new();
        for (p, pool) in plan.pools.iter().enumerate() {
            let (cpu, memory) = allocatable::allocatable(
                u64::from(pool.instance.vcpu) * 1000,
                pool.instance.memory_bytes,
            );
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
                provisioning_delay_ns: pool.provisioning_delay.as_nanos(),
                min_nodes: pool.min_nodes,
                max_nodes: pool.max_nodes,
                live_per_zone,
            });
        }
        let target_s = plan.latency_target.map(|t| t.as_secs_f64());
        let deployments = plan
            .services
            .iter()
            .map(|s| Deployment {
                name: s.name.clone(),
                region: s.region.clone(),
                namespace: s.namespace,
                priority: s.priority,
                desired: s.replicas,
                schedule: s
                    .replica_schedule
                    .iter()
                    .map(|&(t, n)| (t.as_nanos(), n))
                    .collect(),
                templates: vec![PodTemplate::new(
                    s.requests.cpu.0,
                    s.requests.memory.0,
                    s.limits,
                )],
                revision: 0,
                startup_ns: s.timings.startup.as_nanos(),
                readiness_ns: s.timings.readiness.as_nanos(),
                grace_ns: s.timings.termination_grace.as_nanos(),
                groups: admitting_groups(plan, &placement, s),
                pods: Vec::new(),
                ready: 0,
                pending: 0,
                running: BTreeMap::new(),
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
                    target_s,
                    fidelity,
                    sim::rng::stream(seed, &format!("fidelity/{}/{}", s.name, s.region)),
                ),
                job: None,
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
            node_groups: Vec::new(),
            pool_namespace_cpu: BTreeMap::new(),
            pool_cost_at_sample: vec![0.0; plan.pools.len()],
            namespace_cost_usd: vec![0.0; plan.namespaces.len() + 1],
            placement,
            deployments,
            namespaces,
            pending: BTreeSet::new(),
            timers: BinaryHeap::new(),
            timer_seq: 0,
            wake_key: None,
            wake_at: None,
            drain_key: None,
            events: EventLog::default(),
            minimum_billed: plan.minimum_billed,
            pending_pod_seconds: 0.0,
            pending_since_ns: 0,
            pending_total: 0,
            pool_tainted: plan.pools.iter().map(|p| !p.taints.is_empty()).collect(),
            batch: None,
            surges: SurgeClock::default(),
            failures: failures::Failures::default(),
            events_handled: 0,
        };
        for d in 0..cluster.deployments.len() as u32 {
            cluster.reconcile(d, 0);
            for k in 0..cluster.deployments[d as usize].schedule.len() {
                let at = cluster.deployments[d as usize].schedule[k].0;
                cluster.push_timer(at, Timer::Scale { deployment: d });
            }
        }
        cluster.schedule_pending(0);
        cluster
    }

    fn push_timer(&mut self, at_ns: u64, timer: Timer) {
        self.timer_seq += 1;
        self.timers.push(Reverse((at_ns, self.timer_seq, timer)));
    }

    /// Integrates pending pod-seconds up to `now` before the pending count changes.
    fn account_pending(&mut self, now_ns: u64) {
        let dt = now_ns.saturating_sub(self.pending_since_ns) as f64 / NS_PER_S;
        self.pending_pod_seconds += self.pending_total as f64 * dt;
        self.pending_since_ns = now_ns;
    }

    /// Changes the pending count by `delta`: pod-seconds integrated first, the surge clock
    /// told after, so time to capacity is exact (`api::SurgeClock`).
    fn change_pending(&mut self, now_ns: u64, delta: i64) {
        self.account_pending(now_ns);
        self.pending_total = self.pending_total.saturating_add_signed(delta);
        self.surges
            .observe(SimTime::from_nanos(now_ns), self.pending_total);
    }

    /// Creates or deletes pods until the deployment has its desired count (the ReplicaSet
    /// controller's sync).
    fn reconcile(&mut self, d: u32, now_ns: u64) {
        let dep = &self.deployments[d as usize];
        let live = dep.pods.len() as u32;
        if live < dep.desired {
            for _ in live..dep.desired {
                if !self.create_pod(d, now_ns) {
                    break;
                }
            }
        } else if live > dep.desired {
            let excess = (live - dep.desired) as usize;
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

    fn pods_to_delete(&self, d: u32, count: usize, now_ns: u64) -> Vec<u32> {
        let dep = &self.deployments[d as usize];
        let mut on_node: BTreeMap<u32, u32> = BTreeMap::new();
        for &id in &dep.pods {
            let pod = self.pods.get(id);
            if pod.phase == PodPhase::Ready {
                *on_node.entry(pod.node).or_default() += 1;
            }
        }
        let mut candidates: Vec<replicaset::Candidate> = dep
            .pods
            .iter()
            .map(|&id| {
                let pod = self.pods.get(id);
                replicaset::Candidate {
                    id,
                    assigned: pod.node != UNBOUND,
                    phase: match pod.phase {
                        PodPhase::Pending | PodPhase::Starting => replicaset::Phase::Pending,
                        _ => replicaset::Phase::Running,
                    },
                    ready_since_ns: (pod.phase == PodPhase::Ready).then_some(pod.ready_ns),
                    deletion_cost: 0,
                    colocated_ready: on_node.get(&pod.node).copied().unwrap_or(0),
                    created_ns: pod.created_ns,
                }
            })
            .collect();
        replicaset::pods_to_delete(&mut candidates, count, now_ns)
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
                let message = quota_message(&ns.name, ns.used, ns.quota, add);
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
        dep.pending += 1;
        self.change_pending(now_ns, 1);
        self.pending.insert((Reverse(priority), now_ns, id));
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
            self.pending
                .remove(&(Reverse(pod.priority), pod.created_ns, id));
            self.deployments[d].pending -= 1;
            self.change_pending(now_ns, -1);
            self.release_quota(&pod);
            self.pods.remove(id);
            return;
        }
        if pod.node != UNBOUND {
            self.nodes
                .update(pod.node, |n| n.last_pod_change_ns = now_ns);
        }
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
        if pod.node != UNBOUND {
            self.count_on_node(pod.node, pod.deployment, -1);
        }
        self.pods.get_mut(id).phase = PodPhase::Terminating;
        let at = now_ns + self.deployments[d].grace_ns;
        self.push_timer(
            at,
            Timer::Gone {
                pod: id,
                generation: pod.generation,
            },
        );
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
        let running = &mut self.deployments[d].running;
        let count = running.entry(key).or_default();
        *count = count.saturating_add_signed(delta);
        if *count == 0 {
            running.remove(&key);
        }
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

    /// Binds pods from the queue, highest priority first, while they fit.
    fn schedule_pending(&mut self, now_ns: u64) {
        // Pods of one deployment are alike: once one fails in this cycle the rest would too.
        let mut failed: BTreeSet<u32> = BTreeSet::new();
        let queue: Vec<(Reverse<i32>, u64, u32)> = self.pending.iter().copied().collect();
        for key in queue {
            let id = key.2;
            let d = self.pods.get(id).deployment;
            if failed.contains(&d) {
                continue;
            }
            let dep = &self.deployments[d as usize];
            let template = dep.template_of(self.pods.get(id));
            let (cpu, memory) = (template.cpu_millis, template.memory_bytes);
            let request = placement::PodRequest {
                cpu_millis: cpu,
                memory_bytes: memory,
                zone_max_skew: dep.zone_max_skew,
                host_max_skew: dep.host_max_skew,
            };
            let choice = self.placement.choose(
                &self.nodes,
                &dep.groups,
                request,
                |node| {
                    self.node_groups
                        .get(node as usize)
                        .map_or(0, |c| c.count_of(d))
                },
                |zone| dep.zone_pods.get(&zone).copied().unwrap_or(0),
            );
            match choice {
                Some(node) => self.bind(id, node, now_ns),
                None => {
                    if !self.try_preempt(id, now_ns) {
                        failed.insert(d);
                        self.log_unschedulable(d, now_ns);
                    }
                }
            }
        }
    }

    fn log_unschedulable(&mut self, d: u32, now_ns: u64) {
        let dep = &self.deployments[d as usize];
        let total: usize = dep
            .groups
            .iter()
            .map(|&g| self.nodes.schedulable_in(g))
            .sum();
        let (name, region, cpu, memory) = (
            dep.name.clone(),
            dep.region.clone(),
            dep.template().cpu_millis,
            dep.template().memory_bytes,
        );
        let pending = dep.pending;
        let no_pool = dep.groups.is_empty();
        self.events.push(
            now_ns,
            Reason::FailedScheduling,
            || format!("deployment/{name}-{region}"),
            || {
                if no_pool {
                    format!(
                        "{pending} pod(s) pending: no node pool in {region} matches the node selector and tolerates its taints"
                    )
                } else {
                    format!(
                        "{pending} pod(s) pending: 0/{total} nodes are available: insufficient cpu or memory for requests cpu={cpu}m memory={memory}"
                    )
                }
            },
        );
    }

    /// The pods on a node as preemption sees them, in importance order, with
    /// `pdb_violating` set as upstream's `filterPodsWithPDBViolation` does: walking the pods in
    /// that order, each takes one of its budget's allowed disruptions (ready pods −
    /// `minAvailable`), and is violating once none is left.
    fn preemption_residents(&self, node: u32) -> Vec<VictimCandidate> {
        let mut residents: Vec<VictimCandidate> = self.node_pods[node as usize]
            .iter()
            .filter_map(|&v| {
                let victim = self.pods.get(v);
                let template = self.deployments[victim.deployment as usize].template_of(victim);
                (victim.phase != PodPhase::Terminating).then_some(VictimCandidate {
                    id: v,
                    priority: victim.priority,
                    cpu_millis: template.cpu_millis,
                    memory_bytes: template.memory_bytes,
                    start_time_ns: victim.created_ns,
                    pdb_violating: false,
                })
            })
            .collect();
        residents.sort_by(importance_order);
        let mut allowed: BTreeMap<u32, i64> = BTreeMap::new();
        for r in &mut residents {
            let d = self.pods.get(r.id).deployment;
            let dep = &self.deployments[d as usize];
            if let Some(min) = dep.min_available {
                let left = allowed
                    .entry(d)
                    .or_insert(i64::from(dep.ready) - i64::from(min));
                *left -= 1;
                r.pdb_violating = *left < 0;
            }
        }
        residents
    }

    /// DefaultPreemption's PostFilter: evicts lower-priority pods from the one node where that
    /// frees room for `id` at the least cost, then binds `id` there.
    fn try_preempt(&mut self, id: u32, now_ns: u64) -> bool {
        let pod = *self.pods.get(id);
        let dep = &self.deployments[pod.deployment as usize];
        // Victims are bound pods of lower priority, and nodes belong to one region: without
        // any, no node is a candidate (upstream would find none after filtering every node),
        // so the search is skipped. Pods of one priority, the usual case, never preempt.
        let victims_exist = self.deployments.iter().any(|other| {
            other.priority < pod.priority
                && other.region == dep.region
                && other.pods.len() > other.pending as usize
        });
        if !victims_exist {
            return false;
        }
        let Some((node, victims)) = self.placement.preemption_target(
            &self.nodes,
            &dep.groups,
            dep.template_of(&pod).cpu_millis,
            dep.template_of(&pod).memory_bytes,
            pod.priority,
            |node| self.preemption_residents(node),
        ) else {
            return false;
        };
        let (name, region) = (dep.name.clone(), dep.region.clone());
        for &v in &victims {
            let why = format!(
                "preempted by pod/{name}-{region}-{id} (priority {})",
                pod.priority
            );
            self.delete_pod(v, now_ns, Reason::Preempted, &why);
            // Upstream nominates the node and binds once the victims are gone; clustersim binds
            // now and gives the victims' resources back at once, which shortens that wait by
            // their grace period.
            self.unbind(v);
            // The victim's controller replaces it; the replacement queues like any pod.
            let vd = self.pods.get(v).deployment;
            self.reconcile(vd, now_ns);
        }
        self.bind(id, node, now_ns);
        true
    }

    fn bind(&mut self, id: u32, node: u32, now_ns: u64) {
        let pod = *self.pods.get(id);
        let d = pod.deployment as usize;
        let template = *self.deployments[d].template_of(&pod);
        let (cpu, memory) = (template.cpu_millis, template.memory_bytes);
        self.nodes.update(node, |n| {
            n.requested_cpu_millis += cpu;
            n.requested_memory_bytes += memory;
            n.pods += 1;
            n.last_pod_change_ns = now_ns;
        });
        self.node_pods[node as usize].push(id);
        self.count_on_node(node, pod.deployment, 1);
        let pool = self.placement.pool_of_group(self.nodes.get(node).group);
        let ns = self.deployments[d].namespace;
        *self.pool_namespace_cpu.entry((pool, ns)).or_default() += cpu;
        self.pending
            .remove(&(Reverse(pod.priority), pod.created_ns, id));
        self.change_pending(now_ns, -1);
        self.deployments[d].pending -= 1;
        let p = self.pods.get_mut(id);
        p.node = node;
        if now_ns == 0 && self.deployments[d].job.is_none() {
            // Warm start: the pods of time zero were running before the day began (a Job
            // submitted at zero starts from scratch).
            p.phase = PodPhase::Ready;
            p.started_ns = 0;
            p.ready_ns = 0;
            self.count_running(d, (0, 0, pod.revision), 1);
            self.set_ready(d, 1, now_ns);
        } else {
            p.phase = PodPhase::Starting;
            let generation = p.generation;
            let at = now_ns + self.deployments[d].startup_ns;
            self.push_timer(
                at,
                Timer::Started {
                    pod: id,
                    generation,
                },
            );
        }
    }

    /// Adds `delta` to a node's count of a deployment's pods that are bound and not
    /// terminating (`node_groups`), and to the deployment's count in the node's zone; a
    /// deployment whose count reaches 0 leaves the node's list. These are the counts
    /// PodTopologySpread reads, which skips terminating pods upstream (`countPodsMatchSelector`
    /// in `podtopologyspread/common.go`: `if p.DeletionTimestamp != nil { continue }`).
    fn count_on_node(&mut self, node: u32, deployment: u32, delta: i32) {
        let zone = self.placement.zone_of_group(self.nodes.get(node).group);
        let in_zone = self.deployments[deployment as usize]
            .zone_pods
            .entry(zone)
            .or_default();
        *in_zone = in_zone.saturating_add_signed(delta);
        let node = node as usize;
        if self.node_groups.len() <= node {
            self.node_groups
                .resize_with(node + 1, DeploymentCounts::default);
        }
        let counted = self.node_groups[node].add(deployment, delta);
        debug_assert!(counted, "more pods left a node than were counted on it");
    }

    /// Gives a pod's resources back to its node.
    fn unbind(&mut self, id: u32) {
        let pod = *self.pods.get(id);
        if pod.node == UNBOUND {
            return;
        }
        let dep = &self.deployments[pod.deployment as usize];
        let template = dep.template_of(&pod);
        let (cpu, memory, namespace) = (template.cpu_millis, template.memory_bytes, dep.namespace);
        self.nodes.update(pod.node, |n| {
            n.requested_cpu_millis -= cpu;
            n.requested_memory_bytes -= memory;
            n.pods -= 1;
        });
        self.node_pods[pod.node as usize].retain(|&p| p != id);
        if pod.phase != PodPhase::Terminating {
            self.count_on_node(pod.node, pod.deployment, -1);
        }
        let pool = self.placement.pool_of_group(self.nodes.get(pod.node).group);
        if let Some(requested) = self.pool_namespace_cpu.get_mut(&(pool, namespace)) {
            *requested -= cpu;
        }
        self.pods.get_mut(id).node = UNBOUND;
    }

    /// Runs every timer due at or before `now`, then schedules what became schedulable.
    fn run_timers(&mut self, now_ns: u64) {
        let mut changed = false;
        while let Some(&Reverse((at, _, timer))) = self.timers.peek() {
            if at > now_ns {
                break;
            }
            self.timers.pop();
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
                    let p = self.pods.get_mut(pod);
                    p.phase = PodPhase::Running;
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
                    let p = self.pods.get_mut(pod);
                    p.phase = PodPhase::Ready;
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
            Timer::JobSync => self.run_job_controller(now_ns),
            Timer::JobPodEnd {
                pod,
                generation,
                fails,
            } => self.job_pod_end(pod, generation, fails, now_ns),
            Timer::NodeReady { node } => self.node_ready(node, now_ns),
            Timer::NodeGone { node } => self.node_gone(node, now_ns),
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

    fn advance_queues(&mut self, now: SimTime) {
        for d in &mut self.deployments {
            d.queue.advance_to(now);
        }
    }

    /// Keeps one keyed event at the earliest timer and one at the earliest backlog drain.
    fn reschedule(&mut self, cx: &Context<Self>) {
        let now_ns = SimTime::from_monotonic(cx.time()).as_nanos();
        // A timer due now (pushed by this instant's work, or whose wake-up another message of
        // the same instant would otherwise cancel) runs now: nexosim cannot schedule at `now`.
        if self
            .timers
            .peek()
            .is_some_and(|&Reverse((at, _, _))| at <= now_ns)
        {
            self.run_timers(now_ns);
        }
        let next = self.timers.peek().map(|&Reverse((at, _, _))| at);
        if next != self.wake_at {
            if let Some(key) = self.wake_key.take() {
                key.cancel();
            }
            self.wake_at = next;
            if let Some(at) = next {
                let at = SimTime::from_nanos(at).to_monotonic();
                self.wake_key = cx
                    .schedule_keyed_event(at, schedulable!(Self::wake), ())
                    .ok();
            }
        }
        if let Some(key) = self.drain_key.take() {
            key.cancel();
        }
        let earliest_s = self
            .deployments
            .iter()
            .filter_map(|d| d.queue.drain_in_s())
            .fold(f64::INFINITY, f64::min);
        if earliest_s.is_finite() {
            // Round up to the next nanosecond so the backlog is empty when the event runs.
            let delay = SimDuration::from_nanos((earliest_s * 1e9).ceil().max(1.0) as u64);
            self.drain_key = cx
                .schedule_keyed_event(delay.to_std(), schedulable!(Self::drained), ())
                .ok();
        }
    }

    fn sample_now(&mut self, now_ns: u64) -> Sample {
        self.advance_queues(SimTime::from_nanos(now_ns));
        let services = self
            .deployments
            .iter_mut()
            .filter(|d| d.job.is_none())
            .map(|d| {
                let interval = d.queue.take_interval();
                ServiceSample {
                    service: d.name.clone(),
                    region: d.region.clone(),
                    desired_pods: d.desired,
                    ready_pods: d.ready,
                    pending_pods: d.pending,
                    now: d.queue.snapshot(),
                    cpu_utilization: d.take_cpu_utilization(now_ns, interval.served),
                    interval,
                }
            })
            .collect();
        let pools = self.pool_figures(now_ns);
        self.charge_namespaces(&pools);
        let namespaces = self
            .namespaces
            .iter()
            .map(|n| n.name.clone())
            .chain(std::iter::once(UNREQUESTED.to_owned()))
            .zip(&self.namespace_cost_usd)
            .map(|(namespace, &cost_usd)| NamespaceSample {
                namespace,
                cost_usd,
            })
            .collect();
        Sample {
            services,
            pools,
            namespaces,
        }
    }

    /// Splits what each pool cost since the previous sample among namespaces by their share of
    /// the pool's allocatable CPU requested at this sample; the unrequested share is charged to
    /// [`UNREQUESTED`]. Exact while requests are steady between samples; otherwise a
    /// sample-interval approximation.
    fn charge_namespaces(&mut self, pools: &[PoolSample]) {
        let idle = self.namespaces.len();
        for (p, figures) in pools.iter().enumerate() {
            let cost = figures.cost_usd - self.pool_cost_at_sample[p];
            self.pool_cost_at_sample[p] = figures.cost_usd;
            let allocatable = figures.allocatable_cpu_millis;
            let mut charged = 0.0;
            if allocatable > 0 {
                for (&(pool, ns), &cpu) in self
                    .pool_namespace_cpu
                    .range((p as u32, 0)..=(p as u32, u32::MAX))
                {
                    debug_assert_eq!(pool as usize, p);
                    let share = cost * cpu as f64 / allocatable as f64;
                    self.namespace_cost_usd[ns as usize] += share;
                    charged += share;
                }
            }
            self.namespace_cost_usd[idle] += cost - charged;
        }
    }

    fn pool_figures(&self, now_ns: u64) -> Vec<PoolSample> {
        let mut figures: Vec<PoolSample> = self
            .pools
            .iter()
            .map(|p| PoolSample {
                pool: p.name.clone(),
                region: p.region.clone(),
                capacity_type: p.capacity_type,
                nodes: 0,
                cpu_requested_fraction: 0.0,
                allocatable_cpu_millis: 0,
                cost_usd: 0.0,
            })
            .collect();
        let mut requested = vec![(0u64, 0u64); self.pools.len()];
        for node in self.nodes.all() {
            let p = self.placement.pool_of_group(node.group) as usize;
            let end = node.removed_ns.unwrap_or(now_ns);
            let lifetime = SimDuration::from_nanos(end.saturating_sub(node.created_ns));
            figures[p].cost_usd += billing::node_cost_usd(
                lifetime,
                self.minimum_billed,
                self.pools[p].price_usd_per_hour,
            );
            if node.removed_ns.is_none() {
                figures[p].nodes += 1;
                requested[p].0 += node.requested_cpu_millis;
                requested[p].1 += node.allocatable_cpu_millis;
            }
        }
        for (f, (req, alloc)) in figures.iter_mut().zip(requested) {
            f.allocatable_cpu_millis = alloc;
            f.cpu_requested_fraction = if alloc > 0 {
                req as f64 / alloc as f64
            } else {
                0.0
            };
        }
        figures
    }
}

/// The node groups of the service's region whose nodes pass the pool-level filters:
/// NodeAffinity (`nodeSelector` against the node labels) and TaintToleration (every NoSchedule or
/// NoExecute taint tolerated). Nodes of one group share labels and taints, so these filters are
/// decided once per group instead of once per node.
fn admitting_groups(plan: &ClusterPlan, placement: &Placement, s: &ServicePlan) -> Vec<u32> {
    placement
        .groups_in(&s.region)
        .into_iter()
        .filter(|&g| {
            let pool = &plan.pools[placement.pool_of_group(g) as usize];
            let zone = placement.zone_name(g);
            let labels = pool.labels_in_zone(zone);
            s.admits_labels(&labels)
                && first_untolerated_taint(&pool.taints, &s.tolerations).is_none()
        })
        .collect()
}

fn quota_message(ns: &str, used: [u64; 3], quota: [Option<u64>; 3], add: [u64; 3]) -> String {
    let names = ["requests.cpu", "requests.memory", "pods"];
    let over: Vec<String> = (0..3)
        .filter_map(|i| {
            let hard = quota[i]?;
            (used[i] + add[i] > hard).then(|| {
                format!(
                    "{}: requested {}, used {}, limited {}",
                    names[i], add[i], used[i], hard
                )
            })
        })
        .collect();
    format!("exceeded quota in namespace {ns}: {}", over.join("; "))
}

#[Model]
impl Cluster {
    #[nexosim(init)]
    async fn init(&mut self, cx: &Context<Self>) {
        self.reschedule(cx);
    }

    /// New arrival rates, as `(service id, requests/s)`, from the traffic model.
    pub fn set_rates(&mut self, changes: Vec<(u32, f64)>, cx: &Context<Self>) {
        self.events_handled += 1;
        let now = SimTime::from_monotonic(cx.time());
        for (id, rps) in changes {
            let queue = &mut self.deployments[id as usize].queue;
            queue.advance_to(now);
            queue.set_rate(rps);
        }
        self.reschedule(cx);
    }

    /// Launches nodes (a node autoscaler's scale-up).
    pub fn launch(&mut self, orders: Vec<LaunchOrder>, cx: &Context<Self>) {
        self.events_handled += 1;
        let now_ns = SimTime::from_monotonic(cx.time()).as_nanos();
        for order in orders {
            let pool = &self.pools[order.pool as usize];
            let name = pool.name.clone();
            self.events.push(
                now_ns,
                Reason::TriggeredScaleUp,
                || format!("nodepool/{name}"),
                || order.why.clone(),
            );
            self.launch_nodes(order.pool, order.zone, order.count, now_ns);
        }
        self.reschedule(cx);
    }

    /// Removes nodes: drained (a node autoscaler's scale-down, a spot notice) or terminated at
    /// once (a reclaim, a failure).
    pub fn remove(&mut self, orders: Vec<RemoveOrder>, cx: &Context<Self>) {
        self.events_handled += 1;
        let now_ns = SimTime::from_monotonic(cx.time()).as_nanos();
        for order in orders {
            let name = self.node_name(order.node);
            self.events.push(
                now_ns,
                order.reason,
                || format!("node/{name}"),
                || order.why.clone(),
            );
            if order.drain {
                self.drain_node(order.node, now_ns, &order.why);
            } else {
                self.terminate_node(order.node, now_ns, &order.why);
            }
        }
        self.schedule_pending(now_ns);
        self.reschedule(cx);
    }

    /// Sets deployments' desired replicas (the HPA's scale subresource writes).
    pub fn set_replicas(&mut self, orders: Vec<ReplicaOrder>, cx: &Context<Self>) {
        self.events_handled += 1;
        let now_ns = SimTime::from_monotonic(cx.time()).as_nanos();
        for order in orders {
            let dep = &mut self.deployments[order.service as usize];
            let object = format!("hpa/{}-{}", dep.name, dep.region);
            self.events
                .push(now_ns, order.reason, || object, || order.why.clone());
            let dep = &mut self.deployments[order.service as usize];
            if dep.desired != order.replicas {
                dep.desired = order.replicas;
                self.reconcile(order.service, now_ns);
            }
        }
        self.schedule_pending(now_ns);
        self.reschedule(cx);
    }

    /// Node failures and zone outages, from the fault injector.
    pub fn faults(&mut self, orders: Vec<FaultOrder>, cx: &Context<Self>) {
        self.events_handled += 1;
        let now_ns = SimTime::from_monotonic(cx.time()).as_nanos();
        for order in orders {
            self.apply_fault(order, now_ns);
        }
        self.schedule_pending(now_ns);
        self.reschedule(cx);
    }

    /// Every node not yet gone, for the fault injector's clocks.
    pub async fn node_census(&mut self, _: (), _: &Context<Self>) -> NodeCensus {
        self.events_handled += 1;
        self.census()
    }

    #[nexosim(schedulable)]
    fn wake(&mut self, _: (), cx: &Context<Self>) {
        self.events_handled += 1;
        self.wake_key = None;
        self.wake_at = None;
        self.run_timers(SimTime::from_monotonic(cx.time()).as_nanos());
        self.reschedule(cx);
    }

    #[nexosim(schedulable)]
    fn drained(&mut self, _: (), cx: &Context<Self>) {
        self.events_handled += 1;
        self.drain_key = None;
        self.advance_queues(SimTime::from_monotonic(cx.time()));
        self.reschedule(cx);
    }

    /// The time-series rows at this instant; restarts the per-interval counts.
    pub async fn sample(&mut self, _: (), cx: &Context<Self>) -> Sample {
        self.events_handled += 1;
        self.sample_now(SimTime::from_monotonic(cx.time()).as_nanos())
    }

    /// What the metrics pipeline and the HPA read of some services, at this instant.
    pub async fn workload_metrics(
        &mut self,
        services: Vec<u32>,
        cx: &Context<Self>,
    ) -> Vec<WorkloadMetrics> {
        self.events_handled += 1;
        let now = SimTime::from_monotonic(cx.time());
        services
            .into_iter()
            .map(|id| {
                let d = &mut self.deployments[id as usize];
                d.queue.advance_to(now);
                let (arrival_rps, capacity_rps) = (d.queue.arrival_rps(), d.queue.capacity_rps());
                let backlog = d.queue.backlog_requests();
                WorkloadMetrics {
                    service: id,
                    replicas: d.pods.len() as u32,
                    desired: d.desired,
                    ready: d.ready,
                    cpu_request_millis: d.template().cpu_millis,
                    memory_request_bytes: d.template().memory_bytes,
                    running: d
                        .running
                        .iter()
                        .map(|(&(started_ns, ready_ns, revision), &count)| {
                            let template = &d.templates[usize::from(revision)];
                            RunningPods {
                                started_ns,
                                ready_ns: (ready_ns != NOT_READY).then_some(ready_ns),
                                count,
                                cpu_request_millis: template.cpu_millis,
                                memory_request_bytes: template.memory_bytes,
                            }
                        })
                        .collect(),
                    served_requests_total: d.queue.total().served,
                    arrival_rps,
                    in_flight_requests: if backlog > 0.0 || arrival_rps >= capacity_rps {
                        backlog + f64::from(d.ready)
                    } else {
                        arrival_rps * d.queue.mean_latency_s()
                    },
                }
            })
            .collect()
    }

    /// What a node autoscaler reads of one region (see [`autoscaling`]).
    pub async fn node_autoscaling_view(
        &mut self,
        request: std::sync::Arc<crate::api::ViewRequest>,
    ) -> crate::api::AutoscalingView {
        self.events_handled += 1;
        self.autoscaling_view(&request)
    }

    /// Whole-run figures, up to this instant.
    pub async fn report(&mut self, _: (), cx: &Context<Self>) -> ClusterReport {
        let now_ns = SimTime::from_monotonic(cx.time()).as_nanos();
        self.advance_queues(SimTime::from_nanos(now_ns));
        self.account_pending(now_ns);
        let pools = self
            .pool_figures(now_ns)
            .into_iter()
            .zip(&self.pools)
            .enumerate()
            .map(|(p, (f, state))| {
                let nodes: Vec<&Node> = self
                    .nodes
                    .all()
                    .iter()
                    .filter(|n| self.placement.pool_of_group(n.group) as usize == p)
                    .collect();
                let node_hours = nodes
                    .iter()
                    .map(|n| n.removed_ns.unwrap_or(now_ns).saturating_sub(n.created_ns) as f64)
                    .sum::<f64>()
                    / NS_PER_S
                    / 3600.0;
                PoolBill {
                    pool: state.name.clone(),
                    region: state.region.clone(),
                    instance_type: state.instance_type.clone(),
                    capacity_type: state.capacity_type,
                    nodes: nodes.len() as u32,
                    node_hours,
                    cost_usd: f.cost_usd,
                }
            })
            .collect();
        ClusterReport {
            services: self
                .deployments
                .iter()
                .filter(|d| d.job.is_none())
                .map(|d| ServiceReport {
                    service: d.name.clone(),
                    region: d.region.clone(),
                    qos: d.template().qos,
                    total: d.queue.total(),
                    histogram: d.queue.histogram().clone(),
                })
                .collect(),
            pools,
            namespaces: self
                .namespaces
                .iter()
                .map(|n| (n.name.clone(), n.refused))
                .chain(std::iter::once((UNREQUESTED.to_owned(), 0)))
                .zip(&self.namespace_cost_usd)
                .map(|((namespace, refused), &cost_usd)| NamespaceReport {
                    namespace,
                    cost_usd,
                    pods_refused_by_quota: refused,
                })
                .collect(),
            events: self.events.events().to_vec(),
            events_dropped: self.events.dropped(),
            pending_pod_seconds: self.pending_pod_seconds,
            batch: self.batch_report(),
            surges: self.surges.clone(),
            events_handled: self.events_handled,
        }
    }
}

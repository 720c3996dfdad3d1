//! The scheduler's cycle inside the cluster: pending pods in PrioritySort's order are placed
//! through the free-capacity index (`placement`), preempt lower-priority pods when nothing fits
//! (DefaultPreemption), and are bound; a pod leaving gives its node its resources back. Each
//! pod is placed, bound and unbound with the requests of its own template revision.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use super::deployment_counts::DeploymentCounts;
use super::pods::{PodPhase, UNBOUND};
use super::timers::Timer;
use super::{Cluster, WAKE_TICK_NS, placement};

use crate::api::Reason;
use crate::scheduler::preemption::{VictimCandidate, importance_order};

impl Cluster {
    /// Binds pods from the queue, highest priority first, while they fit (and, under the
    /// control plane's limits, while the scheduler has tokens: `schedule_throttled`).
    pub(super) fn schedule_pending(&mut self, now_ns: u64) {
        if self.throttles.is_some() {
            self.schedule_throttled(now_ns);
            return;
        }
        // Pods of one deployment are alike: once one fails in this cycle the rest would too.
        let mut failed: BTreeSet<u32> = BTreeSet::new();
        let mut pass = self.pending.pass();
        while let Some((key, d)) = pass.next(&self.pending, &failed) {
            let id = key.2;
            match self.choose_node(id) {
                Some(node) => self.bind(id, node, now_ns),
                None => {
                    if !self.try_preempt(id, now_ns) {
                        failed.insert(d);
                        self.log_unschedulable(d, now_ns);
                        if self.all_failed(&failed) {
                            break;
                        }
                    }
                }
            }
        }
    }

    /// Whether every deployment with a pod in the queue has failed this cycle: then the pass
    /// would visit no other pod, and it ends here instead of walking the rest of the queue
    /// to pass them over (thousands of pods waiting for nodes, at every cycle). The queue's
    /// deployments are `with_pending`'s (`count_pending` goes with every queue change); the
    /// failed deployments had a pod pending, so the sizes are compared first, and the sets
    /// only when they are equal.
    fn all_failed(&self, failed: &BTreeSet<u32>) -> bool {
        failed.len() == self.with_pending.len()
            && self.with_pending.iter().all(|(_, d)| failed.contains(d))
    }

    /// `schedule_pending` with each region's scheduler limited by its scheduling cycles per
    /// second and its client's token bucket: binds in queue order while the pod's region has a
    /// token by `now_ns`; a region out of tokens sets one wake-up at its next token, at least
    /// `WAKE_TICK_NS` on, and its later pods wait while other regions' pods go on binding.
    /// While a region's pods wait, its scheduler's requests queue from when they began to wait
    /// (`scheduler_busy_since_ns`), so a wake-up binds every pod a busy scheduler would have
    /// bound since, each started from its own grant. A pod that fits nowhere takes no token.
    /// The queue is walked per deployment (`pending::Walk`): a deployment that fits nowhere,
    /// or whose region waits, is passed over in one step, not pod by pod — the order and the
    /// binds are those of a pod-by-pod walk.
    fn schedule_throttled(&mut self, now_ns: u64) {
        // Regions whose scheduler is out of tokens until its wake-up.
        let mut waiting: BTreeSet<u32> = BTreeSet::new();
        let mut walk = self.pending.walk();
        while let Some((key, d)) = walk.next(&mut self.pending) {
            let id = key.2;
            let Some(plane) = self.plane_of(d) else {
                return;
            };
            if waiting.contains(&plane) {
                walk.skip(d);
                continue;
            }
            let Some(t) = self.throttles.as_deref_mut() else {
                return;
            };
            let planes = t.plane_count();
            let p = t.plane(plane);
            let issued = p.scheduler_busy_since_ns.unwrap_or(now_ns);
            let next = p.scheduler_peek(issued);
            if next > now_ns {
                p.scheduler_busy_since_ns = Some(issued);
                let wake = next.max(now_ns + WAKE_TICK_NS);
                if p.arm_scheduler(wake) {
                    self.push_timer(wake, Timer::Scheduler { plane });
                }
                waiting.insert(plane);
                walk.skip(d);
                if waiting.len() == planes {
                    return;
                }
                continue;
            }
            match self.choose_node(id) {
                Some(node) => {
                    let created_ns = self.pods.get(id).created_ns;
                    let granted = self
                        .throttles
                        .as_deref_mut()
                        .map_or(now_ns, |t| t.plane(plane).scheduler_take(issued));
                    self.bind_granted(id, node, now_ns, granted.max(created_ns));
                }
                None => {
                    if !self.try_preempt(id, now_ns) {
                        walk.skip(d);
                        self.log_unschedulable(d, now_ns);
                    }
                }
            }
        }
        // Every pod of the other regions bound or placed nowhere: their schedulers idle from
        // here.
        if let Some(t) = self.throttles.as_deref_mut() {
            for plane in 0..t.plane_count() as u32 {
                if !waiting.contains(&plane) {
                    t.plane(plane).scheduler_busy_since_ns = None;
                }
            }
        }
    }

    /// The node the default profile picks for pod `id`, if any fits.
    fn choose_node(&self, id: u32) -> Option<u32> {
        let d = self.pods.get(id).deployment;
        let dep = &self.deployments[d as usize];
        let template = dep.template_of(self.pods.get(id));
        let request = placement::PodRequest {
            cpu_millis: template.cpu_millis,
            memory_bytes: template.memory_bytes,
            gpus: template.gpus,
            zone_max_skew: dep.zone_max_skew,
            host_max_skew: dep.host_max_skew,
        };
        self.placement.choose(
            &self.nodes,
            &dep.groups,
            request,
            |node| {
                self.node_groups
                    .get(node as usize)
                    .map_or(0, |c| c.count_of(d))
            },
            |zone| dep.zone_pods.get(&zone).copied().unwrap_or(0),
            |node| {
                let (allocatable, requested) = self.node_gpus[node as usize];
                allocatable - requested
            },
        )
    }

    /// The pods on a node as preemption sees them, in importance order, with
    /// `pdb_violating` set as upstream's `filterPodsWithPDBViolation` does: walking the pods in
    /// that order, each takes one of its budget's allowed disruptions (ready pods −
    /// `minAvailable`), and is violating once none is left.
    pub(super) fn preemption_residents(&self, node: u32) -> Vec<VictimCandidate> {
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
    pub(super) fn try_preempt(&mut self, id: u32, now_ns: u64) -> bool {
        let pod = *self.pods.get(id);
        let dep = &self.deployments[pod.deployment as usize];
        // GPU pods do not preempt: victims are chosen by cpu and memory only.
        if dep.template_of(&pod).gpus > 0 {
            return false;
        }
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

    pub(super) fn bind(&mut self, id: u32, node: u32, now_ns: u64) {
        self.bind_granted(id, node, now_ns, now_ns);
    }

    /// Binds pod `id` to `node` at `now_ns`, its bind request let through at `granted_ns`
    /// (≤ `now_ns`). Under the control plane's limits its containers start once the binding
    /// latency has passed and the node has its image (`Throttles::image_ready_at`: a cached
    /// image at once, else after the node's queued pulls and its own), then `startup` on.
    pub(super) fn bind_granted(&mut self, id: u32, node: u32, now_ns: u64, granted_ns: u64) {
        debug_assert!(
            self.nodes.get(node).state != crate::api::NodeState::Gone,
            "invariant `no-pod-on-gone-node` broken: pod {id} bound to gone node {node}"
        );
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
        let gpus = &mut self.node_gpus[node as usize];
        gpus.1 += template.gpus;
        debug_assert!(
            gpus.1 <= gpus.0,
            "node {node}: more GPUs requested than it has"
        );
        self.node_pods[node as usize].push(id);
        self.count_on_node(node, pod.deployment, 1);
        let pool = self.placement.pool_of_group(self.nodes.get(node).group);
        let ns = self.deployments[d].namespace;
        self.costs.bound(pool, ns, cpu);
        self.pending.remove(
            (Reverse(pod.priority), pod.created_ns, id),
            pod.deployment,
            now_ns,
        );
        self.count_pending(d, false);
        let warm_start = now_ns == 0 && self.deployments[d].job.is_none();
        self.pods.set_phase(
            id,
            if warm_start {
                PodPhase::Ready
            } else {
                PodPhase::Starting
            },
        );
        let p = self.pods.get_mut(id);
        p.node = node;
        if warm_start {
            // Warm start: the pods of time zero were running before the day began (a Job
            // submitted at zero starts from scratch).
            p.started_ns = 0;
            p.ready_ns = 0;
            self.count_running(d, (0, 0, pod.revision), 1);
            self.set_ready(d, 1, now_ns);
        } else {
            let generation = p.generation;
            let dep = &self.deployments[d];
            let at = match self.throttles.as_deref_mut() {
                None => now_ns + dep.startup_ns,
                Some(t) => {
                    let bound_ns = granted_ns + t.limits.binding_latency_ns;
                    let image_ns = t.image_ready_at(node, &dep.name, bound_ns);
                    image_ns.saturating_add(dep.startup_ns).max(now_ns)
                }
            };
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
    pub(super) fn count_on_node(&mut self, node: u32, deployment: u32, delta: i32) {
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
    pub(super) fn unbind(&mut self, id: u32) {
        let pod = *self.pods.get(id);
        if pod.node == UNBOUND {
            return;
        }
        let dep = &self.deployments[pod.deployment as usize];
        let template = dep.template_of(&pod);
        let (cpu, memory, namespace) = (template.cpu_millis, template.memory_bytes, dep.namespace);
        self.node_gpus[pod.node as usize].1 -= template.gpus;
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
        self.costs.unbound(pool, namespace, cpu);
        self.pods.get_mut(id).node = UNBOUND;
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use sim::quantity::CpuMillis;

    #[test]
    fn a_cycle_goes_on_past_a_failed_deployment_while_another_has_pods_waiting() {
        // Two 3.92-CPU nodes. `big` (priority 10, first in the queue) asks 8 CPUs a pod and
        // fits nowhere; `s` (six 1-CPU pods) comes after it and takes three per node: the
        // cycle must not end when `big` fails.
        let mut plan = fixture::plan();
        plan.pools[0].nodes = 2;
        let mut big = plan.services[0].clone();
        big.name = "big".into();
        big.priority = 10;
        big.replicas = 2;
        big.requests.cpu = CpuMillis(8000);
        plan.services.push(big);
        let c = fixture::build(&plan);
        let pending: Vec<u32> = c.deployments.iter().map(|d| d.pending).collect();
        assert_eq!(pending, [0, 2]);
        // Now the queue holds only `big`'s pods: its failing is every deployment failing.
        let failed = [1].into_iter().collect();
        assert!(c.all_failed(&failed));
        assert!(!c.all_failed(&[0].into_iter().collect()));
    }
}

//! Nodes that come and go during a run: launched by a node autoscaler (booting for the pool's
//! provisioning delay before they take pods), drained (cordoned, pods evicted, instance
//! terminated once their grace periods end) and reclaimed or lost (terminated at once).
//!
//! Kubernetes' sequence for a voluntary removal — cordon, evict every pod through the eviction
//! API, wait for the pods to terminate, delete the node — is the Cluster Autoscaler's
//! `drainNode` and Karpenter's termination controller; both evict rather than delete, so a
//! pod's replacement is created by its ReplicaSet as soon as the eviction is accepted, and the
//! evicted pod keeps its node's resources through its grace period.

use super::nodes::Node;
use super::pods::PodPhase;
use super::{Cluster, Timer};
use crate::api::{NodeState, Reason};

impl Cluster {
    /// Launches `count` nodes in `pool`, in `zone` (an index into the pool's zones) or, when
    /// `None`, each in the zone where the pool has fewest nodes (lowest index on ties) — how
    /// balanced node groups spread. Returns the new node ids. Billing starts now.
    pub(super) fn launch_nodes(
        &mut self,
        pool: u32,
        zone: Option<u32>,
        count: u32,
        now_ns: u64,
    ) -> Vec<u32> {
        let mut launched = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let state = &mut self.pools[pool as usize];
            let z = match zone {
                Some(z) => z as usize,
                None => (0..state.live_per_zone.len())
                    .min_by_key(|&z| (state.live_per_zone[z], z))
                    .unwrap_or(0),
            };
            state.live_per_zone[z] += 1;
            let node = Node {
                group: state.groups[z],
                allocatable_cpu_millis: state.allocatable_cpu_millis,
                allocatable_memory_bytes: state.allocatable_memory_bytes,
                requested_cpu_millis: 0,
                requested_memory_bytes: 0,
                pods: 0,
                schedulable: false,
                state: NodeState::Provisioning,
                created_ns: now_ns,
                removed_ns: None,
                last_pod_change_ns: now_ns,
            };
            let delay_ns = state.provisioning_delay_ns;
            let gpus = state.gpus_per_node;
            let boot_ns = match self.throttles.as_deref_mut() {
                Some(t) => t.boot_ns(pool, &self.pools[pool as usize].name, delay_ns),
                None => delay_ns,
            };
            let at = now_ns + boot_ns;
            self.costs
                .node_created(self.pools[pool as usize].price_usd_per_hour, now_ns);
            let id = self.nodes.add(node);
            self.node_pods.push(Vec::new());
            self.node_gpus.push((gpus, 0));
            self.push_timer(at, Timer::NodeReady { node: id });
            launched.push(id);
        }
        launched
    }

    /// A provisioning node registers and becomes schedulable; true when it did.
    pub(super) fn node_ready(&mut self, node: u32, now_ns: u64) -> bool {
        if self.nodes.get(node).state != NodeState::Provisioning
            || self.boots_into_outage(node, now_ns)
        {
            return false;
        }
        self.nodes.update(node, |n| {
            n.state = NodeState::Ready;
            n.schedulable = true;
        });
        let name = self.node_name(node);
        self.events.push(
            now_ns,
            Reason::NodeReady,
            || format!("node/{name}"),
            || "node registered and Ready".to_owned(),
        );
        true
    }

    /// Cordons a node, evicts its pods (their ReplicaSets replace them at once) and terminates
    /// the instance when the last grace period ends. A node still provisioning is terminated
    /// at once. A node already cordoned by a graceful decommission ([`Self::cordon_node`]) is
    /// drained the same way, of the pods it still runs; one already draining (every pod it
    /// has is terminating) is left to finish.
    pub(super) fn drain_node(&mut self, node: u32, now_ns: u64, why: &str) {
        match self.nodes.get(node).state {
            NodeState::Gone => return,
            NodeState::Cordoned => {
                let pods = &self.node_pods[node as usize];
                let running = pods
                    .iter()
                    .any(|&id| self.pods.get(id).phase != PodPhase::Terminating);
                if !pods.is_empty() && !running {
                    return;
                }
            }
            _ => self.cordon_node(node, now_ns),
        }
        let last_ns = self.evict_pods_of(node, now_ns, why);
        self.push_timer(last_ns.max(now_ns), Timer::NodeGone { node });
    }

    /// Cordons a node: it takes no new pod and keeps those it runs — the first half of a
    /// graceful decommission (Dataproc's `gracefulDecommissionTimeout`: a worker chosen for
    /// removal takes no new work and finishes what it runs). The node-pool policy that chose
    /// it drains it ([`Self::drain_node`]) once it is empty or its timeout passes. A node
    /// still provisioning has nothing to finish: it is terminated at once, as by a drain.
    pub(super) fn cordon_node(&mut self, node: u32, now_ns: u64) {
        let state = self.nodes.get(node).state;
        if matches!(state, NodeState::Gone | NodeState::Cordoned) {
            return;
        }
        self.nodes.update(node, |n| {
            n.state = NodeState::Cordoned;
            n.schedulable = false;
        });
        if state == NodeState::Provisioning {
            self.push_timer(now_ns, Timer::NodeGone { node });
        }
    }

    /// Terminates a node now (a spot reclaim, a failed instance): pods still on it are evicted
    /// and their resources returned at once.
    pub(super) fn terminate_node(&mut self, node: u32, now_ns: u64, why: &str) {
        if self.nodes.get(node).state == NodeState::Gone {
            return;
        }
        self.evict_pods_of(node, now_ns, why);
        self.node_gone(node, now_ns);
    }

    /// Evicts every pod of `node` that is not already terminating; returns when the last
    /// evicted pod's grace period ends (`now_ns` when there is none).
    pub(super) fn evict_pods_of(&mut self, node: u32, now_ns: u64, why: &str) -> u64 {
        let residents: Vec<u32> = self.node_pods[node as usize].clone();
        let mut last_ns = now_ns;
        let mut owners = Vec::new();
        for id in residents {
            let pod = *self.pods.get(id);
            if pod.phase == PodPhase::Terminating {
                continue;
            }
            self.terminate_pod(id, now_ns, Reason::Evicted);
            let d = pod.deployment;
            last_ns = last_ns.max(now_ns + self.deployments[d as usize].grace_ns);
            owners.push(d);
        }
        owners.sort_unstable();
        // One event per deployment, with how many of its pods left the node.
        for run in owners.chunk_by(|a, b| a == b) {
            self.log_deleted(run[0], run.len(), now_ns, Reason::Evicted, why);
        }
        owners.dedup();
        for d in owners {
            self.reconcile(d, now_ns);
        }
        last_ns
    }

    /// The instance is gone: pods still bound lose their node, billing stops. True: capacity
    /// changed.
    pub(super) fn node_gone(&mut self, node: u32, now_ns: u64) -> bool {
        if self.nodes.get(node).state == NodeState::Gone {
            return false;
        }
        for id in self.node_pods[node as usize].clone() {
            self.unbind(id);
        }
        debug_assert!(
            self.node_pods[node as usize].is_empty(),
            "invariant `no-pod-on-gone-node` broken: pods still bound to node {node}"
        );
        let group = self.nodes.get(node).group;
        let pool = self.placement.pool_of_group(group) as usize;
        if let Some(z) = self.pools[pool].groups.iter().position(|&g| g == group) {
            self.pools[pool].live_per_zone[z] -= 1;
        }
        let created_ns = self.nodes.get(node).created_ns;
        self.costs
            .node_removed(self.pools[pool].price_usd_per_hour, created_ns, now_ns);
        self.nodes.update(node, |n| {
            n.state = NodeState::Gone;
            n.schedulable = false;
            n.removed_ns = Some(now_ns);
        });
        let name = self.node_name(node);
        self.events.push(
            now_ns,
            Reason::RemovingNode,
            || format!("node/{name}"),
            || "instance terminated".to_owned(),
        );
        true
    }

    /// `pool-zone-id`, the name a node goes by in events.
    pub(super) fn node_name(&self, node: u32) -> String {
        let group = self.nodes.get(node).group;
        let pool = self.placement.pool_of_group(group) as usize;
        format!(
            "{}-{}-{node}",
            self.pools[pool].name,
            self.placement.zone_name(group)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;

    const S: u64 = 1_000_000_000;

    /// The shared fixture: one 4-vCPU node in zones a/b, six 1-cpu pods: three fit, three wait.
    fn cluster() -> Cluster {
        fixture::build(&fixture::plan())
    }

    #[test]
    fn a_launched_node_takes_pods_only_after_its_provisioning_delay() {
        let mut c = cluster();
        assert_eq!(c.deployments[0].pending, 3);
        let new = c.launch_nodes(0, None, 1, 10 * S);
        assert_eq!(new, vec![1]);
        // Balanced: zone a already has the first node, so the new one goes to zone b.
        assert_eq!(c.pools[0].live_per_zone, vec![1, 1]);
        assert_eq!(c.nodes.get(1).state, NodeState::Provisioning);
        c.run_timers(70 * S - 1);
        assert_eq!(c.deployments[0].pending, 3);
        // 10 s + 60 s provisioning.
        c.run_timers(70 * S);
        assert_eq!(c.nodes.get(1).state, NodeState::Ready);
        assert_eq!(c.deployments[0].pending, 0);
        assert_eq!(c.nodes.get(1).pods, 3);
    }

    #[test]
    fn with_a_boot_spread_a_launched_node_boots_within_its_bounds_and_repeats_for_a_seed() {
        use crate::control_plane::{ControlPlanePlan, Limits};
        let limits = Limits {
            controller_client: None,
            burst_replicas: None,
            slow_start: true,
            scheduler_client: None,
            scheduler_pods_per_s: None,
            binding_latency_ns: 0,
            pull_slots: Some(1),
            pull_bytes_per_s: None,
            image_bytes: Default::default(),
            default_image_bytes: 1,
            boot: Some((0.75, 1.5)),
        };
        let mut plan = fixture::plan();
        plan.control_plane = ControlPlanePlan {
            limits: Some(limits),
        };
        // Launched at 10 s, 60 s provisioning delay × [0.75, 1.5]: Ready in [55 s, 100 s].
        let ready_at = |seed| {
            let mut c = Cluster::new(&plan, crate::latency::Fidelity::Fluid, seed);
            let ids = c.launch_nodes(0, None, 4, 10 * S);
            let mut at = Vec::new();
            for t in 55..=100 {
                c.run_timers(t * S);
                for &id in &ids {
                    if c.nodes.get(id).state == NodeState::Ready
                        && !at.iter().any(|&(i, _)| i == id)
                    {
                        at.push((id, t));
                    }
                }
            }
            at
        };
        let a = ready_at(3);
        assert_eq!(a.len(), 4, "every node Ready by 100 s: {a:?}");
        assert_eq!(a, ready_at(3));
        // Four draws of a spread, not the fixed 70 s of every node without the section.
        assert!(a.iter().any(|&(_, t)| t != 70), "{a:?}");
    }

    #[test]
    fn a_drained_node_evicts_its_pods_and_leaves_after_their_grace_period() {
        let mut c = cluster();
        c.drain_node(0, 100 * S, "test drain");
        assert_eq!(c.nodes.get(0).state, NodeState::Cordoned);
        // Three evicted, three replacements + the three never placed: six pending, none fit.
        assert_eq!(c.deployments[0].pending, 6);
        assert_eq!(c.deployments[0].ready, 0);
        c.run_timers(130 * S - 1);
        assert_eq!(c.nodes.get(0).removed_ns, None);
        // 100 s + the 30 s termination grace period.
        c.run_timers(130 * S);
        assert_eq!(c.nodes.get(0).state, NodeState::Gone);
        assert_eq!(c.nodes.get(0).removed_ns, Some(130 * S));
        assert_eq!(c.nodes.get(0).pods, 0);
        assert_eq!(c.pools[0].live_per_zone, vec![0, 0]);
    }

    #[test]
    fn a_cordoned_node_keeps_its_pods_until_drained_at_its_timeout() {
        // Graceful decommission with a 120 s timeout, chosen at 100 s: cordoned, the three
        // pods keep serving; at 220 s the policy drains it, and it goes 30 s of grace later.
        let mut c = cluster();
        c.cordon_node(0, 100 * S);
        assert_eq!(c.nodes.get(0).state, NodeState::Cordoned);
        assert!(!c.nodes.get(0).schedulable);
        assert_eq!((c.deployments[0].ready, c.nodes.get(0).pods), (3, 3));
        c.run_timers(219 * S);
        assert_eq!(c.nodes.get(0).removed_ns, None);
        c.drain_node(0, 220 * S, "decommission timeout");
        assert_eq!(c.deployments[0].ready, 0);
        c.run_timers(250 * S - 1);
        assert_eq!(c.nodes.get(0).removed_ns, None);
        c.run_timers(250 * S);
        assert_eq!(c.nodes.get(0).removed_ns, Some(250 * S));
        // Draining it again while its pods terminate changes nothing.
        let mut d = cluster();
        d.drain_node(0, 100 * S, "drain");
        d.drain_node(0, 110 * S, "again");
        d.run_timers(129 * S);
        assert_eq!(d.nodes.get(0).removed_ns, None);
        d.run_timers(130 * S);
        assert_eq!(d.nodes.get(0).removed_ns, Some(130 * S));
    }

    #[test]
    fn a_cordoned_empty_node_goes_at_once_when_drained_and_a_booting_one_when_cordoned() {
        // Three replicas instead of six: the three that waited go, node 0 holds the rest. A
        // second node, launched at 0 and Ready at 60 s, stays empty. Cordoned at 90 s, then
        // drained at 100 s: nothing to wait for.
        let mut c = cluster();
        c.deployments[0].desired = 3;
        c.reconcile(0, 0);
        assert_eq!(c.deployments[0].pending, 0);
        c.launch_nodes(0, None, 1, 0);
        c.run_timers(60 * S);
        let empty = 1;
        assert_eq!(c.nodes.get(empty).state, NodeState::Ready);
        assert_eq!(c.nodes.get(empty).pods, 0);
        c.cordon_node(empty, 90 * S);
        c.drain_node(empty, 100 * S, "decommissioned: empty");
        c.run_timers(100 * S);
        assert_eq!(c.nodes.get(empty).removed_ns, Some(100 * S));
        // A node still booting has nothing to finish: cordoning it terminates it.
        c.launch_nodes(0, Some(0), 1, 110 * S);
        c.cordon_node(2, 120 * S);
        c.run_timers(120 * S);
        assert_eq!(c.nodes.get(2).removed_ns, Some(120 * S));
    }

    #[test]
    fn running_pods_are_grouped_by_start_and_ready_time() {
        use crate::cluster::NOT_READY;
        let mut c = cluster();
        // Warm start: the three pods bound at zero count as started and ready at zero.
        assert_eq!(c.deployments[0].running.get(&(0, 0, 0)), Some(&3));
        c.launch_nodes(0, None, 1, 0);
        // Ready at 60 s, pods bound then, containers up 5 s later, readiness delay 0.
        c.run_timers(60 * S);
        assert_eq!(c.deployments[0].running.len(), 1);
        c.deployments[0].readiness_ns = 2 * S;
        c.run_timers(65 * S);
        assert_eq!(
            c.deployments[0].running.get(&(65 * S, NOT_READY, 0)),
            Some(&3)
        );
        // Ready 2 s after the containers started.
        c.run_timers(67 * S);
        assert_eq!(c.deployments[0].running.get(&(65 * S, NOT_READY, 0)), None);
        assert_eq!(c.deployments[0].running.get(&(65 * S, 67 * S, 0)), Some(&3));
        c.drain_node(1, 70 * S, "test");
        assert_eq!(c.deployments[0].running.get(&(65 * S, 67 * S, 0)), None);
    }

    #[test]
    fn pods_hold_and_are_measured_against_the_template_revision_they_were_created_from() {
        use crate::cluster::pods::PodTemplate;
        let mut c = cluster();
        // Three 1-cpu pods ready on node 0, three pending (revision 0). A new revision asks for
        // half a cpu; the seventh pod is made from it.
        let half = PodTemplate::new(500, fixture::GIB, (None, None));
        c.deployments[0].templates.push(half);
        c.deployments[0].revision = 1;
        c.deployments[0].desired = 7;
        c.reconcile(0, 0);
        assert_eq!(c.namespaces[0].used[0], 6 * 1000 + 500);
        c.launch_nodes(0, None, 1, 0);
        c.run_timers(60 * S);
        c.run_timers(65 * S);
        // The four pending pods bound: the half-cpu one fits beside the three on node 0
        // (920m free), the three others of 1000m go to the new node.
        assert_eq!(c.nodes.get(0).requested_cpu_millis, 3 * 1000 + 500);
        assert_eq!(c.nodes.get(1).requested_cpu_millis, 3 * 1000);
        assert_eq!(c.deployments[0].running.get(&(65 * S, 65 * S, 0)), Some(&3));
        assert_eq!(c.deployments[0].running.get(&(65 * S, 65 * S, 1)), Some(&1));
        // Drained and gone: each evicted pod gives back its 1000m; its replacement is made from
        // the current revision and asks for 500m (and stays pending: 420m free on node 0).
        c.drain_node(1, 70 * S, "test");
        c.run_timers(100 * S);
        assert_eq!(c.nodes.get(1).requested_cpu_millis, 0);
        assert_eq!(c.namespaces[0].used[0], 3 * 1000 + 4 * 500);
        assert_eq!(c.deployments[0].pending, 3);
    }

    #[test]
    fn a_terminated_node_frees_everything_at_once() {
        let mut c = cluster();
        c.launch_nodes(0, Some(0), 1, 0);
        c.run_timers(60 * S);
        assert_eq!(c.deployments[0].pending, 0);
        c.terminate_node(1, 90 * S, "reclaimed");
        assert_eq!(c.nodes.get(1).removed_ns, Some(90 * S));
        assert_eq!(c.nodes.get(1).requested_cpu_millis, 0);
        assert_eq!(c.deployments[0].pending, 3);
    }
}

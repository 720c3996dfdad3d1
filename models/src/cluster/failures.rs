//! Nodes that fail: a silent node failure (hardware, kernel, network) and a zone outage, as the
//! cluster lives through them. *When* they happen is the `FaultInjector`'s business
//! (`models::faults::model`); this module applies its [`FaultOrder`]s and answers its
//! [`NodeCensus`] queries.
//!
//! # A failed node
//!
//! A node that fails stops at once: its kubelet no longer runs containers or answers probes,
//! so its ready pods stop serving at the failure instant (they leave their queue's servers)
//! while they stay bound to the node and keep their resources. Kubernetes only learns of it
//! later: the node lifecycle controller marks it `Ready=Unknown` after
//! `--node-monitor-grace-period` and the taint manager evicts its pods once their
//! `unreachable:NoExecute` toleration (300 s) runs out (`models::faults::node_failure` has the
//! timings and their sources). The injector sends [`FaultOrder::EvictNode`] at that instant:
//! the pods are evicted as a drain evicts them — their ReplicaSets create replacements at
//! once, which the scheduler places on healthy nodes — and the instance is terminated, as a
//! cloud's instance auto-recovery or Karpenter's node repair replace a dead instance. The node
//! is unschedulable from the failure on (upstream a few seconds later, once the controller
//! taints it: simplified).
//!
//! A pod on a failed node goes from Ready back to Running-not-ready (the node lifecycle
//! controller's `MarkPodsNotReady`); a pod still starting stops where it is. Every such pod's
//! generation is bumped so its start-up, readiness, warm-up or Job-end timer is void. When a
//! zone recovers, a Job's pod that was on one of its nodes is evicted (counted failed; its Job
//! retries), since its process did not survive.
//!
//! # A zone outage
//!
//! Every node of the zone fails at the outage's start ([`FaultOrder::ZoneDown`]); so does a
//! node launched into the zone during the outage, when it would have become Ready (the
//! instance boots, but nothing in the zone is reachable). Their pods are evicted after the
//! same toleration ([`FaultOrder::EvictZone`], sent by the injector when the outage lasts that
//! long) and rescheduled in the other zones. **The instances are not terminated**: in a zone
//! outage they are unreachable, not deleted, and the cloud node lifecycle controller deletes a
//! `Node` only once the cloud reports its instance gone; they stay billed and come back
//! `Ready` and schedulable when the zone recovers ([`FaultOrder::ZoneUp`]), pods that were
//! never evicted becoming ready again after their readiness delay (or restarting, if they had
//! not started). A regional outage is every zone of the region (the injector expands it).
//! Overlapping outages of one zone nest: the zone recovers when the last one ends.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::pods::PodPhase;
use super::{Cluster, NOT_READY, Timer};
use crate::api::{FaultOrder, NodeCensus, NodeState, Reason};

/// The cluster's record of outages in force.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Failures {
    /// Outages in force per node group (pool × zone); absent when none.
    down_groups: BTreeMap<u32, u32>,
    /// Nodes failed by a zone outage: they recover with their zone.
    zone_failed: BTreeSet<u32>,
}

impl Cluster {
    /// Applies one order of the fault injector.
    pub(super) fn apply_fault(&mut self, order: FaultOrder, now_ns: u64) {
        match order {
            FaultOrder::FailNode { node, why } => {
                self.fail_node(node, now_ns, &why);
            }
            FaultOrder::EvictNode { node, why } => {
                if self.nodes.get(node).state == NodeState::NotReady {
                    self.failures.zone_failed.remove(&node);
                    self.terminate_node(node, now_ns, &why);
                }
            }
            FaultOrder::ZoneDown { zone, why } => {
                let groups = self.groups_of_zone(&zone);
                for &g in &groups {
                    *self.failures.down_groups.entry(g).or_default() += 1;
                }
                for node in self.nodes_in(&groups) {
                    if self.fail_node(node, now_ns, &why) {
                        self.failures.zone_failed.insert(node);
                    }
                }
            }
            FaultOrder::EvictZone { zone, why } => {
                let groups = self.groups_of_zone(&zone);
                for node in self.nodes_in(&groups) {
                    if self.failures.zone_failed.contains(&node)
                        && self.nodes.get(node).state == NodeState::NotReady
                    {
                        self.evict_pods_of(node, now_ns, &why);
                    }
                }
            }
            FaultOrder::ZoneUp { zone, why } => {
                let groups = self.groups_of_zone(&zone);
                let mut up = Vec::new();
                for g in groups {
                    if let Some(count) = self.failures.down_groups.get_mut(&g) {
                        *count -= 1;
                        if *count == 0 {
                            self.failures.down_groups.remove(&g);
                            up.push(g);
                        }
                    }
                }
                for node in self.nodes_in(&up) {
                    if self.failures.zone_failed.remove(&node) {
                        self.recover_node(node, now_ns, &why);
                    }
                }
            }
        }
    }

    /// A node launched into a zone that is down fails when it would have become Ready; true
    /// when it did.
    pub(super) fn boots_into_outage(&mut self, node: u32, now_ns: u64) -> bool {
        let group = self.nodes.get(node).group;
        if !self.failures.down_groups.contains_key(&group) {
            return false;
        }
        if self.fail_node(node, now_ns, "launched into a zone that is down") {
            self.failures.zone_failed.insert(node);
        }
        true
    }

    /// The fault injector's census: the nodes not yet gone and each pool's Ready nodes.
    pub(super) fn census(&self) -> NodeCensus {
        // Copied from the lists the node index keeps as nodes change state: a day takes a
        // census at each of the injector's thousands of events.
        let pools = 0..self.pools.len() as u32;
        let total = pools
            .clone()
            .map(|p| self.nodes.ready_in_pool(p).len())
            .sum();
        let mut census = NodeCensus::new(self.nodes.live_bits().to_vec(), total);
        for p in pools {
            census.push_pool(self.nodes.ready_in_pool(p));
        }
        #[cfg(debug_assertions)]
        self.debug_check_census(&census);
        census
    }

    /// The census agrees with the nodes' own states.
    #[cfg(debug_assertions)]
    fn debug_check_census(&self, census: &NodeCensus) {
        let mut ready: Vec<Vec<u32>> = vec![Vec::new(); self.pools.len()];
        for (id, n) in self.nodes.all().iter().enumerate() {
            assert_eq!(
                census.is_live(id as u32),
                n.state != NodeState::Gone,
                "node {id} live"
            );
            if n.state == NodeState::Ready {
                ready[self.placement.pool_of_group(n.group) as usize].push(id as u32);
            }
        }
        for (p, ids) in ready.iter().enumerate() {
            let listed: Vec<u32> = census.ready_in_pool(p as u32).collect();
            assert_eq!(&listed, ids, "Ready nodes of pool {p}");
        }
    }

    /// Stops a Ready or booting node; true when it did (a node already failed, cordoned or
    /// gone is left alone: a cordoned node's pods are already terminating).
    fn fail_node(&mut self, node: u32, now_ns: u64, why: &str) -> bool {
        if !matches!(
            self.nodes.get(node).state,
            NodeState::Ready | NodeState::Provisioning
        ) {
            return false;
        }
        self.nodes.update(node, |n| {
            n.state = NodeState::NotReady;
            n.schedulable = false;
        });
        for id in self.node_pods[node as usize].clone() {
            let pod = *self.pods.get(id);
            let d = pod.deployment as usize;
            if matches!(pod.phase, PodPhase::Pending | PodPhase::Terminating) {
                continue;
            }
            if pod.phase == PodPhase::Ready {
                self.count_running(d, (pod.started_ns, pod.ready_ns, pod.revision), -1);
                self.count_running(d, (pod.started_ns, NOT_READY, pod.revision), 1);
                let dep = &mut self.deployments[d];
                if now_ns < pod.ready_ns + dep.warm_ns {
                    dep.warming -= 1;
                }
                self.set_ready(d, -1, now_ns);
            }
            // Void the pod's start-up, readiness, warm-up or Job-end timer: nothing runs on a
            // dead node.
            let p = self.pods.get_mut(id);
            p.generation = p.generation.wrapping_add(1);
            if p.phase == PodPhase::Ready {
                self.pods.set_phase(id, PodPhase::Running);
            }
        }
        let name = self.node_name(node);
        self.events.push(
            now_ns,
            Reason::NodeNotReady,
            || format!("node/{name}"),
            || why.to_owned(),
        );
        true
    }

    /// A node failed by an outage is back: Ready and schedulable; its pods that were running
    /// pass their readiness probe again after the readiness delay, those that were starting
    /// start again.
    fn recover_node(&mut self, node: u32, now_ns: u64, why: &str) {
        if self.nodes.get(node).state != NodeState::NotReady {
            return;
        }
        self.nodes.update(node, |n| {
            n.state = NodeState::Ready;
            n.schedulable = true;
        });
        for id in self.node_pods[node as usize].clone() {
            let pod = *self.pods.get(id);
            let dep = &self.deployments[pod.deployment as usize];
            let generation = pod.generation;
            if dep.job.is_some() && pod.phase != PodPhase::Terminating {
                // A Job's process died with the node: the pod failed, and its Job retries.
                self.delete_pod(
                    id,
                    now_ns,
                    Reason::Evicted,
                    "its process was lost with its node",
                );
                continue;
            }
            match pod.phase {
                PodPhase::Running => {
                    let at = now_ns + dep.readiness_ns;
                    self.push_timer(
                        at,
                        Timer::Ready {
                            pod: id,
                            generation,
                        },
                    );
                }
                PodPhase::Starting => {
                    let at = now_ns + dep.startup_ns;
                    self.push_timer(
                        at,
                        Timer::Started {
                            pod: id,
                            generation,
                        },
                    );
                }
                _ => {}
            }
        }
        let name = self.node_name(node);
        self.events.push(
            now_ns,
            Reason::NodeReady,
            || format!("node/{name}"),
            || why.to_owned(),
        );
    }

    /// The node groups (pool × zone) of a zone, by its name.
    fn groups_of_zone(&self, zone: &str) -> Vec<u32> {
        (0..self.placement.group_count() as u32)
            .filter(|&g| self.placement.zone_name(g) == zone)
            .collect()
    }

    /// Nodes of `groups`, gone or not, by ascending id.
    fn nodes_in(&self, groups: &[u32]) -> Vec<u32> {
        self.nodes
            .all()
            .iter()
            .enumerate()
            .filter(|(_, n)| groups.contains(&n.group))
            .map(|(id, _)| id as u32)
            .collect()
    }
}

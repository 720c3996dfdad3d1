//! The `FailedScheduling` event a deployment's pods get when the scheduler's cycle places none
//! of them: one event per deployment and cycle, whose message is kube-scheduler's own
//! (`FitError.Error`, built by [`crate::scheduler::diagnosis`]) after the pending count:
//! `"3 pod(s) pending: 0/5 nodes are available: 2 Insufficient cpu, 3 node(s) were
//! unschedulable. preemption: 0/5 nodes are available: 2 No preemption victims found for
//! incoming pod, 3 Preemption is not helpful for scheduling.."`.
//!
//! **Which nodes.** Upstream's `0/N` counts every Node object of the cluster. Here `N` is the
//! registered nodes (Ready, cordoned or NotReady; a node still provisioning has no Node object
//! yet) of the pools that admit the pod — its node selector matches them and it tolerates
//! their taints. Nodes of the region's other pools are left out: the cluster keeps no pool
//! taints or labels at run time (they are resolved into each deployment's node groups when it
//! is built), so it could not name the taint upstream would print for them.
//!
//! **Each node's reasons**, from the first filter plugin that rejects it in the default
//! profile's order (`pkg/scheduler/apis/config/v1/default_plugins.go`; `RunFilterPlugins`
//! stops at the first failure):
//! 1. NodeUnschedulable: a cordoned node (`spec.unschedulable`) → "node(s) were unschedulable";
//! 2. TaintToleration: a NotReady node — it stopped reporting, so the node lifecycle
//!    controller tainted it `node.kubernetes.io/unreachable:NoSchedule`, which pods do not
//!    tolerate by default (the default tolerations are `NoExecute` only) → "node(s) had
//!    untolerated taint {node.kubernetes.io/unreachable: }";
//! 3. NodeResourcesFit: every resource short, in `fitsRequest`'s order — "Too many pods",
//!    "Insufficient cpu", "Insufficient memory", "Insufficient nvidia.com/gpu" (one node may
//!    count in several);
//! 4. PodTopologySpread: a `DoNotSchedule` zone or hostname constraint the node would break,
//!    judged exactly as placement judges it (`placement::Placement::choose`).
//!
//! **Preemption's words.** DefaultPreemption's dry run (`preemption.go`
//! `nodesWherePreemptionMightHelp`) skips nodes rejected as unresolvable (NodeUnschedulable,
//! TaintToleration: "Preemption is not helpful for scheduling"); on the others it found no
//! victims, since the cluster's preemption has just failed → "No preemption victims found for
//! incoming pod".
//!
//! **Cost.** One walk over the region's live nodes, only when a deployment fails a cycle (once
//! per deployment per cycle), counting nodes into at most 2⁷ reason sets. No nodes at all (all
//! still provisioning) reads as upstream's `ErrNoNodesAvailable`.

use std::collections::BTreeMap;

use super::Cluster;
use crate::api::{MAX_PODS_PER_NODE, NodeState, Reason};
use crate::scheduler::diagnosis::{self, NodeOutcome, reason};
use crate::scheduler::spread::within_max_skew;

/// The reasons a node can fail with, one bit each (see the module doc for their order).
const REASONS: [&str; 7] = [
    reason::UNSCHEDULABLE,
    reason::UNREACHABLE_TAINT,
    reason::TOO_MANY_PODS,
    reason::INSUFFICIENT_CPU,
    reason::INSUFFICIENT_MEMORY,
    reason::INSUFFICIENT_GPU,
    reason::TOPOLOGY_SPREAD,
];
/// Reasons preemption cannot resolve (NodeUnschedulable, TaintToleration).
const UNRESOLVABLE: u8 = 0b11;

impl Cluster {
    pub(super) fn log_unschedulable(&mut self, d: u32, now_ns: u64) {
        let dep = &self.deployments[d as usize];
        let (name, region) = (dep.name.clone(), dep.region.clone());
        let pending = dep.pending;
        let message = if dep.groups.is_empty() {
            format!(
                "{pending} pod(s) pending: no node pool in {region} matches the node selector and tolerates its taints"
            )
        } else {
            diagnosis::pending_message(pending, &self.fit_error(d))
        };
        self.events.push(
            now_ns,
            Reason::FailedScheduling,
            || format!("deployment/{name}-{region}"),
            || message,
        );
    }

    /// kube-scheduler's `FitError` message for deployment `d`'s next pod, over the registered
    /// nodes of its node groups (module doc).
    fn fit_error(&self, d: u32) -> String {
        let dep = &self.deployments[d as usize];
        let template = dep.template();
        let (cpu, memory, gpus) = (template.cpu_millis, template.memory_bytes, template.gpus);
        let on_node = |n: u32| {
            self.node_groups
                .get(n as usize)
                .map_or(0, |c| c.count_of(d))
        };
        let in_zone = |z: u32| dep.zone_pods.get(&z).copied().unwrap_or(0);
        // The spread filter's minima, as placement computes them.
        let zone_min = dep
            .groups
            .iter()
            .map(|&g| in_zone(self.placement.zone_of_group(g)))
            .min()
            .unwrap_or(0);
        let host_min = match dep.host_max_skew {
            None => 0,
            Some(_) => dep
                .groups
                .iter()
                .flat_map(|&g| self.nodes.in_group(g))
                .map(on_node)
                .min()
                .unwrap_or(0),
        };
        let mut by_reasons: BTreeMap<u8, u64> = BTreeMap::new();
        let region = self.placement.region_index(&dep.region);
        for &n in region.map_or(&[][..], |r| self.nodes.live_in(r)) {
            let node = self.nodes.get(n);
            if !dep.groups.contains(&node.group) {
                continue;
            }
            let mut bits = 0u8;
            match node.state {
                NodeState::Provisioning | NodeState::Gone => continue,
                NodeState::Cordoned => bits = 1 << 0,
                NodeState::NotReady => bits = 1 << 1,
                NodeState::Ready => {
                    bits |= u8::from(node.pods >= MAX_PODS_PER_NODE) << 2;
                    bits |= u8::from(node.free_cpu_millis() < cpu) << 3;
                    bits |= u8::from(node.free_memory_bytes() < memory) << 4;
                    let (gpu_allocatable, gpu_requested) = self.node_gpus[n as usize];
                    bits |= u8::from(gpus > 0 && gpu_allocatable - gpu_requested < gpus) << 5;
                    if bits == 0 {
                        let zone = self.placement.zone_of_group(node.group);
                        let spread_ok = dep.zone_max_skew.is_none_or(|skew| {
                            within_max_skew(in_zone(zone), true, zone_min, skew)
                        }) && dep
                            .host_max_skew
                            .is_none_or(|skew| within_max_skew(on_node(n), true, host_min, skew));
                        bits |= u8::from(!spread_ok) << 6;
                    }
                }
            }
            *by_reasons.entry(bits).or_default() += 1;
        }
        let sets: Vec<(u64, u8, Vec<&str>)> = by_reasons
            .iter()
            .map(|(&bits, &nodes)| {
                let reasons = (0..REASONS.len())
                    .filter(|&i| bits & (1 << i) != 0)
                    .map(|i| REASONS[i])
                    .collect();
                (nodes, bits, reasons)
            })
            .collect();
        let all: u64 = sets.iter().map(|s| s.0).sum();
        if all == 0 {
            return diagnosis::NO_NODES_AVAILABLE.to_owned();
        }
        let outcomes: Vec<NodeOutcome<'_>> = sets
            .iter()
            .map(|(nodes, _, reasons)| NodeOutcome {
                nodes: *nodes,
                reasons,
            })
            .collect();
        let (unresolvable, resolvable) = sets.iter().fold((0, 0), |(u, r), &(nodes, bits, _)| {
            if bits & UNRESOLVABLE != 0 {
                (u + nodes, r)
            } else {
                (u, r + nodes)
            }
        });
        let mut dry_run = Vec::new();
        if unresolvable > 0 {
            dry_run.push(NodeOutcome {
                nodes: unresolvable,
                reasons: &[reason::PREEMPTION_NOT_HELPFUL],
            });
        }
        if resolvable > 0 {
            dry_run.push(NodeOutcome {
                nodes: resolvable,
                reasons: &[reason::NO_VICTIMS],
            });
        }
        let preemption = diagnosis::preemption_message(all, &dry_run);
        diagnosis::fit_error(all, None, &outcomes, Some(&preemption))
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;

    /// Four 4-vCPU nodes (3 920m allocatable) and twenty 1-cpu pods: three fit each node, so
    /// twelve are bound and eight wait. Then node 2 stops reporting and node 3 is cordoned.
    #[test]
    fn the_event_says_what_each_node_failed_on_in_upstreams_words() {
        let mut plan = fixture::plan();
        plan.pools[0].nodes = 4;
        plan.services[0].replicas = 20;
        let mut c = fixture::build(&plan);
        assert_eq!(c.deployments[0].pending, 8);
        c.nodes.update(2, |n| {
            n.schedulable = false;
            n.state = NodeState::NotReady;
        });
        c.nodes.update(3, |n| {
            n.schedulable = false;
            n.state = NodeState::Cordoned;
        });
        c.log_unschedulable(0, 1);
        let last = c.events.events().last().expect("an event");
        assert_eq!(last.reason, Reason::FailedScheduling);
        assert_eq!(last.object, "deployment/s-r");
        // Nodes 0 and 1 have 920m free of a 1000m request; the dry run of preemption finds
        // no victims there (equal priority) and skips the tainted and the cordoned node.
        assert_eq!(
            last.message,
            "8 pod(s) pending: 0/4 nodes are available: \
             1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, \
             1 node(s) were unschedulable, 2 Insufficient cpu. \
             preemption: 0/4 nodes are available: 2 No preemption victims found for incoming \
             pod, 2 Preemption is not helpful for scheduling.."
        );
    }

    #[test]
    fn nodes_still_booting_are_no_nodes_at_all() {
        let mut plan = fixture::plan();
        plan.pools[0].nodes = 0;
        let c = fixture::build(&plan);
        let last = c.events.events().last().expect("an event");
        assert_eq!(
            last.message,
            "6 pod(s) pending: no nodes available to schedule pods"
        );
    }
}

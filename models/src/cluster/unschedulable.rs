//! The `FailedScheduling` event a deployment's pods get when the scheduler's cycle places none
//! of them: one event per deployment and cycle, whose message is kube-scheduler's own
//! (`FitError.Error`, built by [`crate::scheduler::diagnosis`]) after the pending count:
//! `"3 pod(s) pending: 0/5 nodes are available: 2 Insufficient cpu, 3 node(s) were
//! unschedulable. preemption: 0/5 nodes are available: 2 No preemption victims found for
//! incoming pod, 3 Preemption is not helpful for scheduling.."`.
//!
//! **Which nodes.** As upstream's `0/N`, every registered node of the region (each region is
//! its own cluster, with its own scheduler): Ready, cordoned or NotReady; a node still
//! provisioning has no Node object yet.
//!
//! **Each node's reasons**, from the first filter plugin that rejects it in the default
//! profile's order (`pkg/scheduler/apis/config/v1/default_plugins.go` `getDefaultPlugins`,
//! read at `01db4ae9e74af4d97f67d2e92060f72ed91898da`: NodeUnschedulable, NodeName,
//! TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit, …, PodTopologySpread;
//! `RunFilterPlugins` stops at the first failure):
//! 1. NodeUnschedulable: a cordoned node (`spec.unschedulable`) → "node(s) were unschedulable";
//! 2. TaintToleration: the first untolerated `NoSchedule`/`NoExecute` taint in the node's
//!    order → "node(s) had untolerated taint {key: value}". The pool's own taints come first;
//!    a node that stopped reporting then carries the node lifecycle controller's
//!    `node.kubernetes.io/unreachable:NoSchedule` (appended after them), which pods do not
//!    tolerate by default (the default tolerations are `NoExecute` only);
//! 3. NodeAffinity: the pool's labels (with the well-known zone, region and instance-type
//!    ones) fail the node selector or the required terms → "node(s) didn't match Pod's node
//!    affinity/selector" (a Job admitted by Kueue in a flavor gets the flavor's labels as its
//!    node selector, so the other pools' nodes read so too);
//! 4. NodeResourcesFit: every resource short, in `fitsRequest`'s order — "Too many pods",
//!    "Insufficient cpu", "Insufficient memory", "Insufficient nvidia.com/gpu" (one node may
//!    count in several);
//! 5. PodTopologySpread: a `DoNotSchedule` zone or hostname constraint the node would break,
//!    judged exactly as placement judges it (`placement::Placement::choose`).
//!
//! Steps 2 and 3 depend only on the pool (and zone), so they are decided per node group, not
//! per node: once per service when the cluster is built ([`rejected_groups`], kept in the
//! cluster beside each pool's taints), and for a Job, whose groups follow from its GPUs and
//! flavor, when its pods fail a cycle. A GPU pod tolerates the `nvidia.com/gpu` taint (the
//! ExtendedResourceToleration admission plugin's toleration), and a pool with fewer GPUs per
//! node than it asks is no group of its own either (a service's as a Job's): NodeResourcesFit
//! still judges those nodes one by one for the event ("Insufficient nvidia.com/gpu").
//!
//! **Preemption's words.** DefaultPreemption's dry run (`preemption.go`
//! `nodesWherePreemptionMightHelp`) skips nodes rejected as unresolvable (NodeUnschedulable,
//! TaintToleration, NodeAffinity: "Preemption is not helpful for scheduling"); on the others it
//! found no victims, since the cluster's preemption has just failed → "No preemption victims
//! found for incoming pod".
//!
//! **Cost.** One walk over the region's live nodes, only when a deployment fails a cycle (once
//! per deployment per cycle), counting nodes into at most 2⁸ reason sets per taint. No nodes at
//! all (all still provisioning) reads as upstream's `ErrNoNodesAvailable`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Cluster;
use super::placement::Placement;
use crate::api::{MAX_PODS_PER_NODE, NodeState, Reason};
use crate::plan::{ClusterPlan, GPU_RESOURCE, ServicePlan};
use crate::scheduler::diagnosis::{self, NodeOutcome, reason};
use crate::scheduler::spread::within_max_skew;
use crate::scheduler::taints::{Toleration, TolerationOperator, first_untolerated_taint};

/// Why a node group's nodes fail a pod before the per-node filters look at them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum Rejection {
    /// TaintToleration: the pool's taint at this index is the first the pod does not tolerate.
    Taint(u32),
    /// NodeAffinity: the group's labels fail the pod's node selector or required terms.
    Affinity,
    /// The group passes the pool-level filters but its nodes lack a resource the pod asks (a
    /// GPU Job on a pool with fewer GPUs per node): NodeResourcesFit judges each node.
    Resources,
}

/// The toleration the ExtendedResourceToleration admission plugin gives a pod requesting
/// `gpus` > 0 whole `nvidia.com/gpu`s (kubernetes.io/docs/reference/access-authn-authz/
/// admission-controllers/#extendedresourcetoleration, enabled on GKE and EKS): key
/// `nvidia.com/gpu`, operator `Exists`. Upstream's has effect `NoSchedule`; this one, as the
/// Jobs' (`PoolPlan::admits_job`), tolerates every effect of the key — the same for GKE's
/// `nvidia.com/gpu=present:NoSchedule`, the taint GPU pools carry.
pub(super) fn extended_resource_tolerations(gpus: u32) -> Vec<Toleration> {
    if gpus == 0 {
        return Vec::new();
    }
    vec![Toleration {
        key: GPU_RESOURCE.to_owned(),
        operator: TolerationOperator::Exists,
        value: String::new(),
        effect: None,
    }]
}

/// TaintToleration then NodeAffinity on the nodes of group `g` for service `s`'s pods: `None`
/// when both pass and the pool's nodes have the GPUs a pod asks. A GPU pod tolerates the
/// `nvidia.com/gpu` taint beside its own tolerations ([`extended_resource_tolerations`]), as a
/// Job's pods do; a pool with fewer GPUs per node than it asks (none, for a CPU machine type)
/// is [`Rejection::Resources`], so its groups never hold it. A pod asking none is kept off a
/// GPU pool by the pool's taint (GKE taints GPU node pools when the cluster has others).
pub(super) fn group_verdict(
    plan: &ClusterPlan,
    placement: &Placement,
    s: &ServicePlan,
    g: u32,
) -> Option<Rejection> {
    let pool = &plan.pools[placement.pool_of_group(g) as usize];
    let gpu_tolerations = extended_resource_tolerations(s.gpus);
    let tolerations: Vec<Toleration> = s
        .tolerations
        .iter()
        .chain(&gpu_tolerations)
        .cloned()
        .collect();
    if let Some(taint) = first_untolerated_taint(&pool.taints, &tolerations) {
        let index = pool.taints.iter().position(|t| t == taint).unwrap_or(0);
        return Some(Rejection::Taint(index as u32));
    }
    if !s.admits_labels(&pool.labels_in_zone(placement.zone_name(g))) {
        return Some(Rejection::Affinity);
    }
    (pool.gpus_per_node() < s.gpus).then_some(Rejection::Resources)
}

/// The groups of service `s`'s region its pods' pool-level filters reject, by group.
pub(super) fn rejected_groups(
    plan: &ClusterPlan,
    placement: &Placement,
    s: &ServicePlan,
) -> Box<[(u32, Rejection)]> {
    placement
        .groups_in(&s.region)
        .into_iter()
        .filter_map(|g| group_verdict(plan, placement, s, g).map(|r| (g, r)))
        .collect()
}

/// The reasons a node can fail with, one bit each (see the module doc for their order); an
/// untolerated pool taint is kept beside them, since its words name the taint.
const REASONS: [&str; 8] = [
    reason::UNSCHEDULABLE,
    reason::UNREACHABLE_TAINT,
    reason::TOO_MANY_PODS,
    reason::INSUFFICIENT_CPU,
    reason::INSUFFICIENT_MEMORY,
    reason::INSUFFICIENT_GPU,
    reason::TOPOLOGY_SPREAD,
    reason::NODE_AFFINITY,
];
/// Reasons preemption cannot resolve (NodeUnschedulable, TaintToleration, NodeAffinity).
const UNRESOLVABLE: u8 = 0b1000_0011;

/// A node's filter outcome: its reason bits and the pool taint `(pool, index)` it failed on.
type Outcome = (u8, Option<(u32, u32)>);

impl Cluster {
    pub(super) fn log_unschedulable(&mut self, d: u32, now_ns: u64) {
        let dep = &self.deployments[d as usize];
        let (name, region) = (dep.name.clone(), dep.region.clone());
        let pending = dep.pending;
        // A pod no group admits gets upstream's words too: every node of its region counts
        // under the pool-level filter that rejects it (`plan::unschedulable` also warns of it
        // at load time).
        let message = diagnosis::pending_message(pending, &self.fit_error(d));
        self.events.push(
            now_ns,
            Reason::FailedScheduling,
            || format!("deployment/{name}-{region}"),
            || message,
        );
    }

    /// The groups of deployment `d`'s region its pods' pool-level filters reject: a
    /// service's, decided when the cluster was built; a Job's, from its groups (`jobs`):
    /// a pool it does not tolerate (Jobs tolerate no taint but, asking GPUs, the
    /// `nvidia.com/gpu` one the ExtendedResourceToleration admission plugin adds), one with
    /// too few GPUs per node, else one outside its flavor.
    fn rejected_groups_of(&self, d: u32) -> Cow<'_, [(u32, Rejection)]> {
        let dep = &self.deployments[d as usize];
        if dep.job.is_none()
            && let Some(rejected) = self.rejected_groups.get(d as usize)
        {
            return Cow::Borrowed(rejected);
        }
        let gpus = dep.template().gpus;
        let tolerations = extended_resource_tolerations(gpus);
        let rejected = self
            .placement
            .groups_in(&dep.region)
            .into_iter()
            .filter(|g| !dep.groups.contains(g))
            .map(|g| {
                let pool = self.placement.pool_of_group(g) as usize;
                let taints = self.pool_taints.get(pool).map_or(&[][..], Vec::as_slice);
                let rejection = match first_untolerated_taint(taints, &tolerations) {
                    Some(taint) => {
                        Rejection::Taint(taints.iter().position(|t| t == taint).unwrap_or(0) as u32)
                    }
                    None if self.pools[pool].gpus_per_node < gpus => Rejection::Resources,
                    None => Rejection::Affinity,
                };
                (g, rejection)
            })
            .collect();
        Cow::Owned(rejected)
    }

    /// kube-scheduler's `FitError` message for deployment `d`'s next pod, over the registered
    /// nodes of its region (module doc).
    fn fit_error(&self, d: u32) -> String {
        let dep = &self.deployments[d as usize];
        let template = dep.template();
        let (cpu, memory, gpus) = (template.cpu_millis, template.memory_bytes, template.gpus);
        let rejected = self.rejected_groups_of(d);
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
        // Each group's pool-level verdict, by group id (`None`: admitted), so the walk looks
        // a node's up in constant time.
        let size = rejected
            .iter()
            .map(|&(g, _)| g)
            .chain(dep.groups.iter().copied())
            .max()
            .map_or(0, |g| g as usize + 1);
        let mut verdicts = vec![Some(Rejection::Affinity); size];
        for &(g, r) in rejected.iter() {
            verdicts[g as usize] = Some(r);
        }
        for &g in &dep.groups {
            verdicts[g as usize] = None;
        }
        let mut by_outcome: BTreeMap<Outcome, u64> = BTreeMap::new();
        let region = self.placement.region_index(&dep.region);
        for &n in region.map_or(&[][..], |r| self.nodes.live_in(r)) {
            let node = self.nodes.get(n);
            let verdict = verdicts
                .get(node.group as usize)
                .copied()
                .unwrap_or(Some(Rejection::Affinity));
            let mut bits = 0u8;
            let mut taint = None;
            match (node.state, verdict) {
                (NodeState::Provisioning | NodeState::Gone, _) => continue,
                (NodeState::Cordoned, _) => bits = 1 << 0,
                (_, Some(Rejection::Taint(index))) => {
                    taint = Some((self.placement.pool_of_group(node.group), index));
                }
                (NodeState::NotReady, _) => bits = 1 << 1,
                (_, Some(Rejection::Affinity)) => bits = 1 << 7,
                (NodeState::Ready, None | Some(Rejection::Resources)) => {
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
            *by_outcome.entry((bits, taint)).or_default() += 1;
        }
        let sets: Vec<(u64, bool, Vec<Cow<'_, str>>)> = by_outcome
            .iter()
            .map(|(&(bits, taint), &nodes)| {
                let mut reasons: Vec<Cow<'_, str>> = (0..REASONS.len())
                    .filter(|&i| bits & (1 << i) != 0)
                    .map(|i| Cow::Borrowed(REASONS[i]))
                    .collect();
                if let Some((pool, index)) = taint {
                    let t = &self.pool_taints[pool as usize][index as usize];
                    reasons.push(Cow::Owned(reason::untolerated_taint(&t.key, &t.value)));
                }
                (nodes, bits & UNRESOLVABLE != 0 || taint.is_some(), reasons)
            })
            .collect();
        let all: u64 = sets.iter().map(|s| s.0).sum();
        if all == 0 {
            return diagnosis::NO_NODES_AVAILABLE.to_owned();
        }
        let texts: Vec<Vec<&str>> = sets
            .iter()
            .map(|(_, _, reasons)| reasons.iter().map(|r| r.as_ref()).collect())
            .collect();
        let outcomes: Vec<NodeOutcome<'_>> = sets
            .iter()
            .zip(&texts)
            .map(|((nodes, _, _), reasons)| NodeOutcome {
                nodes: *nodes,
                reasons,
            })
            .collect();
        let (unresolvable, resolvable) =
            sets.iter()
                .fold((0, 0), |(u, r), &(nodes, unresolvable, _)| {
                    if unresolvable {
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

    /// Three pools in region `r`, every node counted under the first filter that rejects it:
    /// `web` (label tier=web, 1 node) holds three of the five 1-cpu pods and has 920m left;
    /// `batch` (tainted dedicated=batch:NoSchedule, no tier label: it fails TaintToleration
    /// before NodeAffinity, 2 nodes, one NotReady — the pool's taint comes before the
    /// lifecycle controller's unreachable one); `other` (tier=batch, 3 nodes, one cordoned —
    /// NodeUnschedulable runs first).
    #[test]
    fn every_node_of_the_region_counts_under_its_first_failing_filter() {
        use crate::scheduler::taints::{Taint, TaintEffect};
        let mut plan = fixture::plan();
        let mut web = plan.pools[0].clone();
        web.name = "web".into();
        web.labels.insert("tier".into(), "web".into());
        let mut batch = plan.pools[0].clone();
        batch.name = "batch".into();
        batch.nodes = 2;
        batch.taints = vec![Taint {
            key: "dedicated".into(),
            value: "batch".into(),
            effect: TaintEffect::NoSchedule,
        }];
        let mut other = plan.pools[0].clone();
        other.name = "other".into();
        other.nodes = 3;
        other.labels.insert("tier".into(), "batch".into());
        plan.pools = vec![web, batch, other];
        plan.services[0].replicas = 5;
        plan.services[0]
            .node_selector
            .insert("tier".into(), "web".into());
        let mut c = fixture::build(&plan);
        assert_eq!(c.deployments[0].pending, 2);
        // Nodes 0 (web), 1-2 (batch), 3-5 (other).
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
        // Byte order: "1 I…" < "1 n…"; "2 node(s) d…" < "2 node(s) h…". Only the web node
        // could be helped by preemption (none of equal priority to evict).
        assert_eq!(
            last.message,
            "2 pod(s) pending: 0/6 nodes are available: 1 Insufficient cpu, \
             1 node(s) were unschedulable, \
             2 node(s) didn't match Pod's node affinity/selector, \
             2 node(s) had untolerated taint {dedicated: batch}. \
             preemption: 0/6 nodes are available: 1 No preemption victims found for incoming \
             pod, 5 Preemption is not helpful for scheduling.."
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

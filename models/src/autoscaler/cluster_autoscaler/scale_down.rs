//! Scale-down: which nodes are unneeded now (utilization, drainability, a drain simulation)
//! and which of them may go at this scan.
//!
//! Sources (`kubernetes/autoscaler` tag `cluster-autoscaler-1.36.1`, `cluster-autoscaler/`):
//! * `core/scaledown/eligibility/eligibility.go` — a node is a candidate when its utilization
//!   (`simulator/utilization/info.go`: max of cpu and memory requests over allocatable; for a
//!   node with GPUs, its GPU utilization alone, [`utilization`]) is **at or below** the
//!   threshold (`Utilization > threshold` is what disqualifies). Upstream judges GPU nodes
//!   against `--scale-down-gpu-utilization-threshold`, whose default (0.5) is the cpu/memory
//!   threshold's; clustersim has the one `scale_down_utilization_threshold` for both.
//! * `simulator/drainability/rules/rules.go` — pods that block: no controller, kube-system
//!   without PDB, `safe-to-evict: "false"`, PDB with no disruption allowed (see
//!   [`RemovalBlockers`](crate::api::RemovalBlockers)).
//! * `simulator/cluster.go FindNodesToRemove` — candidates are simulated one after another on
//!   one snapshot: a removable node's pods are moved onto other nodes (consuming their room)
//!   and the node leaves the snapshot, so two half-empty nodes cannot both count on each other.
//!   Destinations here are first-fit by view order among nodes of groups the pods may run on.
//!   Candidates are tried empty first, then those already unneeded at the previous scan
//!   (upstream's `PreviouslyUnneeded` sorting processor), then by view order. The per-scan cap
//!   on non-empty candidates (`--scale-down-non-empty-candidates-count` 30) is not modelled.
//! * `core/scaledown/unneeded/nodes.go` — `since` is kept while a node stays unneeded and
//!   dropped the first scan it is not; a node is removable once `since + unneeded_time` is
//!   strictly before now; the group must stay above min size (`verifyMinSize`, counting
//!   deletions already chosen in this scan).
//! * `core/scaledown/planner` and `actuation` — empty nodes first, up to
//!   `--max-scale-down-parallelism`, then non-empty ones up to `--max-drain-parallelism`
//!   within what is left of it.

use sim::time::SimTime;

use crate::api::{Bin, ClusterView, NodeView, Shape};
use crate::autoscaler::cluster_autoscaler::notes::{ScaleDownNotes, Unremovable};

/// A node unneeded at this scan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unneeded {
    /// Index into `view.nodes`.
    pub index: usize,
    pub empty: bool,
    pub utilization: f64,
}

/// The nodes unneeded now, in simulation order. `previously` holds the nodes unneeded at the
/// previous scan, (id, since when), ascending id.
///
/// At most `non_empty_limit` non-empty candidates are simulated (0: all), in that order.
/// `notes` learns how many nodes were above the threshold and which candidates stayed, why.
pub fn find_unneeded(
    view: &ClusterView,
    threshold: f64,
    previously: &[(u32, SimTime)],
    non_empty_limit: u32,
    notes: &mut ScaleDownNotes,
) -> Vec<Unneeded> {
    let listed = Listed(view);
    // The nodes' room, then the rooms' (`Listed`'s indices).
    let mut bins: Vec<Bin> = view
        .nodes
        .iter()
        .map(Bin::free_on)
        .chain(view.rooms.iter().map(|r| r.room))
        .collect();
    let mut removed: Vec<bool> = view.nodes.iter().map(|n| n.deleting).collect();
    removed.resize(listed.len(), false);
    let dests = destinations(listed, &bins, &removed);
    let order = simulation_order(view, previously);
    let mut unneeded = Vec::new();
    let mut simulated = 0;
    // Every room is above the threshold, and none is being deleted.
    notes.above_threshold += view.rooms.len() as u32;
    for i in order {
        let node = &view.nodes[i];
        if node.deleting {
            continue;
        }
        // Eligibility (utilization) first, then drainability, as upstream.
        let utilization = utilization(node);
        if utilization > threshold {
            notes.above_threshold += 1;
            continue;
        }
        if let Some(blocked) = Unremovable::blocked_by(&node.blockers) {
            notes.kept.push((node.id, node.group, utilization, blocked));
            continue;
        }
        let empty = node.is_empty();
        if !empty {
            if non_empty_limit > 0 && simulated == non_empty_limit {
                continue;
            }
            simulated += 1;
            if !drain_onto(listed, i, &dests, &removed, &mut bins) {
                notes.kept.push((
                    node.id,
                    node.group,
                    utilization,
                    Unremovable::NoPlaceToMovePods,
                ));
                continue;
            }
        }
        removed[i] = true;
        unneeded.push(Unneeded {
            index: i,
            empty,
            utilization,
        });
    }
    unneeded
}

/// A view's nodes and rooms (`ClusterView::rooms`) as one list: index `i` is `nodes[i]`, and
/// `nodes.len() + k` is `rooms[k]`.
#[derive(Clone, Copy)]
struct Listed<'a>(&'a ClusterView);

impl Listed<'_> {
    fn len(self) -> usize {
        self.0.nodes.len() + self.0.rooms.len()
    }

    /// Node `i`'s (id, group, ready), from its view or its room.
    fn node(self, i: usize) -> (u32, u32, bool) {
        match self.0.nodes.get(i) {
            Some(n) => (n.id, n.group, n.ready),
            None => {
                let r = &self.0.rooms[i - self.0.nodes.len()];
                (r.id, r.group, r.ready)
            }
        }
    }

    /// Every index in view order: the nodes' order when the view has no rooms, else
    /// ascending id (both lists are in it, as the cluster lists its nodes).
    fn in_view_order(self) -> Vec<usize> {
        let (nodes, rooms) = (self.0.nodes.len(), self.0.rooms.len());
        if rooms == 0 {
            return (0..nodes).collect();
        }
        debug_assert!(self.0.nodes.is_sorted_by_key(|n| n.id));
        debug_assert!(self.0.rooms.is_sorted_by_key(|r| r.id));
        let mut order = Vec::with_capacity(nodes + rooms);
        let (mut i, mut k) = (0, nodes);
        while i < nodes || k < nodes + rooms {
            let id = |j: usize| self.node(j).0;
            if k == nodes + rooms || (i < nodes && id(i) < id(k)) {
                order.push(i);
                i += 1;
            } else {
                order.push(k);
                k += 1;
            }
        }
        order
    }
}

/// The nodes a drain may move pods onto, in view order: ready, not being deleted, and with
/// room for one pod of the smallest requests listed (component-wise least of every listed pod
/// group's). Bins only lose room during a scan (a failed drain puts back earlier values), so a
/// node left out could never take a pod; in a busy region most nodes are full, and each drain
/// walks only the few with room instead of every node of the region.
fn destinations(listed: Listed, bins: &[Bin], removed: &[bool]) -> Vec<usize> {
    let Some(smallest) = listed
        .0
        .nodes
        .iter()
        .flat_map(|n| &n.pods)
        .map(|p| p.requests)
        .reduce(|a, b| {
            Shape::new(
                a.cpu_millis.min(b.cpu_millis),
                a.memory_bytes.min(b.memory_bytes),
            )
            .with_gpus(a.gpus.min(b.gpus))
        })
    else {
        return Vec::new();
    };
    let mut dests = listed.in_view_order();
    dests.retain(|&j| {
        let (_, _, ready) = listed.node(j);
        ready && !removed[j] && bins[j].fits_one(smallest)
    });
    dests
}

/// Indices into `view.nodes` in the order candidates are simulated: empty nodes first, then
/// within each of empty and non-empty those unneeded at the previous scan, then view order.
/// The key takes four values, so the stable sort it stands for is four passes over the keys
/// (a scan lists every node of a region: no sort). A view lists its nodes by ascending id, as
/// `previously` keeps them, so the two are walked side by side rather than looked up per node.
fn simulation_order(view: &ClusterView, previously: &[(u32, SimTime)]) -> Vec<usize> {
    let mut was_unneeded: Vec<bool> = Vec::with_capacity(view.nodes.len());
    if view.nodes.is_sorted_by_key(|n| n.id) {
        let mut ids = previously.iter().map(|&(id, _)| id).peekable();
        for n in &view.nodes {
            while ids.next_if(|&id| id < n.id).is_some() {}
            was_unneeded.push(ids.peek() == Some(&n.id));
        }
    } else {
        was_unneeded.extend(view.nodes.iter().map(|n| {
            previously
                .binary_search_by_key(&n.id, |&(id, _)| id)
                .is_ok()
        }));
    }
    let keys: Vec<u8> = view
        .nodes
        .iter()
        .zip(&was_unneeded)
        .map(|(n, &was)| u8::from(!n.is_empty()) * 2 + u8::from(!was))
        .collect();
    let mut order = Vec::with_capacity(keys.len());
    for bucket in 0..4 {
        order.extend((0..keys.len()).filter(|&i| keys[i] == bucket));
    }
    order
}

/// A node's utilization as `simulator/utilization/info.go` `Calculate` has it: a node with
/// GPUs counts its GPUs only (`crate::gpu::scale_down_utilization`), any other the larger of
/// its cpu and memory shares.
pub fn utilization(node: &NodeView) -> f64 {
    crate::gpu::scale_down_utilization(node.requested.gpus, node.allocatable.gpus)
        .unwrap_or_else(|| node.utilization())
}

/// Moves every pod of node `from` onto the `dests` nodes' `bins`, first fit in view order;
/// false if one does not fit, and then `bins` are as they were (the bins changed are put
/// back, rather than copying every bin for every candidate).
fn drain_onto(
    listed: Listed,
    from: usize,
    dests: &[usize],
    removed: &[bool],
    bins: &mut [Bin],
) -> bool {
    let mut changed: Vec<(usize, Bin)> = Vec::new();
    for pods in &listed.0.nodes[from].pods {
        let mut left = pods.count;
        for &j in dests {
            if left == 0 {
                break;
            }
            // The bin first: compact, where the node's view and the group lookup are not.
            if j == from || removed[j] || !bins[j].fits_one(pods.requests) {
                continue;
            }
            let (_, group, _) = listed.node(j);
            if !pods.may_run_on(group) {
                continue;
            }
            let before = bins[j];
            let placed = bins[j].place(pods.requests, left);
            if placed > 0 {
                changed.push((j, before));
                left -= placed;
            }
        }
        if left > 0 {
            // Undo in reverse, so a bin changed twice gets its first value back.
            for (j, bin) in changed.into_iter().rev() {
                bins[j] = bin;
            }
            return false;
        }
    }
    true
}

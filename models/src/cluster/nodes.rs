//! Nodes and the free-capacity index placement searches.
//!
//! Nodes of one pool in one zone are alike, so they are grouped: each group keeps its nodes in a
//! `BTreeSet` ordered by free capacity (the sum of free CPU and free memory fractions, in parts
//! per million). "The nodes with the most room" — LeastAllocated's best — are at one end and
//! "the fullest nodes that still fit" — MostAllocated's best — are found by a range query, so a
//! pod never scans every node: O(groups × log nodes) per placement.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::api::{MAX_PODS_PER_NODE, NodeState, Shape, utilization};

/// One node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    pub group: u32,
    pub allocatable_cpu_millis: u64,
    pub allocatable_memory_bytes: u64,
    pub requested_cpu_millis: u64,
    pub requested_memory_bytes: u64,
    pub pods: u32,
    /// Accepting pods (registered, Ready, not cordoned): `state == Ready`, kept as the flag
    /// the index reads.
    pub schedulable: bool,
    pub state: NodeState,
    pub created_ns: u64,
    /// When the node left (instance terminated); `None` while it lives.
    pub removed_ns: Option<u64>,
    /// Last time a pod was bound to the node or began terminating on it: Karpenter's
    /// `consolidateAfter` clock (`LastPodEventTime`, `pkg/controllers/node/podevents`).
    pub last_pod_change_ns: u64,
}

impl Node {
    pub fn free_cpu_millis(&self) -> u64 {
        self.allocatable_cpu_millis - self.requested_cpu_millis
    }

    pub fn free_memory_bytes(&self) -> u64 {
        self.allocatable_memory_bytes - self.requested_memory_bytes
    }

    /// NodeResourcesFit's filter: the requests fit in what is not yet requested.
    pub fn fits(&self, cpu_millis: u64, memory_bytes: u64) -> bool {
        self.pods < MAX_PODS_PER_NODE
            && self.free_cpu_millis() >= cpu_millis
            && self.free_memory_bytes() >= memory_bytes
    }

    /// The larger of its CPU and memory requested shares of allocatable ([`utilization`]).
    pub fn utilization(&self) -> f64 {
        utilization(
            Shape::new(self.requested_cpu_millis, self.requested_memory_bytes),
            Shape::new(self.allocatable_cpu_millis, self.allocatable_memory_bytes),
        )
    }

    /// The index key: free CPU + free memory, each as parts per million of allocatable.
    fn free_ppm(&self) -> u64 {
        ppm(self.free_cpu_millis(), self.allocatable_cpu_millis)
            + ppm(self.free_memory_bytes(), self.allocatable_memory_bytes)
    }
}

fn ppm(part: u64, whole: u64) -> u64 {
    if whole == 0 {
        0
    } else {
        (u128::from(part) * 1_000_000 / u128::from(whole)) as u64
    }
}

/// All nodes, and per group (pool × zone) the schedulable ones ordered by free capacity.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Nodes {
    nodes: Vec<Node>,
    by_free: Vec<BTreeSet<(u64, u32)>>,
    /// The region (a dense index) of each group.
    region_of_group: Vec<u32>,
    /// Per region, the nodes not yet gone, ascending (ids only grow, so a launch appends):
    /// what an autoscaler's view walks, so a scan costs the region's live nodes, not every
    /// node the day ever launched, and needs no sort. Sorted vectors rather than B-trees: a
    /// removal shifts a few thousand ids, cheaper than the pointer chase of walking a tree.
    live: Vec<Vec<u32>>,
    /// Per group, requests `(cpu millicores, memory bytes)` that no node of the group fits:
    /// the last search that found nothing. A search for as much or more fails at once, until
    /// a node of the group gains room (a pod leaves, a node becomes schedulable) and the entry
    /// is cleared. Without it a pending deployment in a full region rescans every node of
    /// every group at each scheduling cycle.
    no_fit: Vec<Cell<Option<(u64, u64)>>>,
    /// Per group, how many nodes are in each [`NodeState`] (indexed by the state's rank), and
    /// the ids of its provisioning nodes, ascending: what an autoscaler's node group sizes
    /// need, without walking the nodes.
    in_state: Vec<[u32; NODE_STATES]>,
    provisioning: Vec<Vec<u32>>,
    /// Each group's pool and the group's zone index among the pool's zones.
    #[serde(default)]
    pool_zone_of_group: Vec<(u32, u32)>,
    /// Per pool, its Ready nodes as (id, zone index), ascending; and bit `id % 64` of word
    /// `id / 64` set for each node not yet gone. The fault injector's census copies them:
    /// walking every node the day launched at each of its thousands of events was ~5 % of a
    /// full day.
    #[serde(default)]
    ready: Vec<Vec<(u32, u32)>>,
    #[serde(default)]
    live_bits: Vec<u64>,
    /// Per group, the last unfiltered candidate search ([`Nodes::candidates_kept`]): its
    /// question and answer, until a node of the group changes.
    #[serde(skip)]
    kept: RefCell<Vec<KeptSearch>>,
    /// Per group, the utilization threshold last asked of [`Nodes::any_at_or_below`] and how
    /// many schedulable nodes of the group are at or below it, counted once when asked and
    /// kept as nodes change: a Cluster Autoscaler scan asks it of every group of its region
    /// every 10 s, and walking the index for it was 3 % of the Black-Friday day.
    #[serde(skip)]
    at_or_below: RefCell<Vec<Option<AtOrBelow>>>,
}

/// How many schedulable nodes of a group have a utilization at or below `threshold`.
#[derive(Debug, Clone, Copy)]
struct AtOrBelow {
    threshold: f64,
    count: u32,
}

impl AtOrBelow {
    /// Whether `node` counts: schedulable (in the index) and at or below the threshold.
    fn counts(&self, node: &Node) -> bool {
        node.schedulable && node.utilization() <= self.threshold
    }
}

/// A candidate search, what it found and each found node's score.
#[derive(Debug, Clone, Default)]
struct KeptSearch {
    /// (cpu millicores, memory bytes, roomiest, k); `None` when nothing is kept.
    asked: Option<(u64, u64, bool, usize)>,
    found: Vec<u32>,
    scores: Vec<i64>,
}

/// How many [`NodeState`]s there are.
const NODE_STATES: usize = 5;

impl Nodes {
    /// An empty set with one group per entry of `region_of_group`, which names the group's
    /// region by a dense index; `pool_zone_of_group` names each group's pool and its zone
    /// index among the pool's zones.
    pub fn new(region_of_group: Vec<u32>, pool_zone_of_group: Vec<(u32, u32)>) -> Self {
        let groups = region_of_group.len();
        let regions = region_of_group.iter().max().map_or(0, |&r| r as usize + 1);
        let pools = pool_zone_of_group
            .iter()
            .map(|&(p, _)| p as usize + 1)
            .max()
            .unwrap_or(0);
        Nodes {
            nodes: Vec::new(),
            by_free: vec![BTreeSet::new(); groups],
            region_of_group,
            live: vec![Vec::new(); regions],
            no_fit: vec![Cell::new(None); groups],
            in_state: vec![[0; NODE_STATES]; groups],
            provisioning: vec![Vec::new(); groups],
            pool_zone_of_group,
            ready: vec![Vec::new(); pools],
            live_bits: Vec::new(),
            kept: RefCell::default(),
            at_or_below: RefCell::new(vec![None; groups]),
        }
    }

    /// Keeps the per-state counts, the provisioning and Ready lists and the live bits in step
    /// with a node of `group` leaving state `from` (`None` for a new node) for state `to`.
    fn count_state(&mut self, id: u32, group: u32, from: Option<NodeState>, to: NodeState) {
        if from == Some(to) {
            return;
        }
        let g = group as usize;
        let provisioning = &mut self.provisioning[g];
        let (pool, zone) = self.pool_zone_of_group[g];
        let ready = &mut self.ready[pool as usize];
        if let Some(from) = from {
            self.in_state[g][from as usize] -= 1;
            if from == NodeState::Provisioning
                && let Ok(at) = provisioning.binary_search(&id)
            {
                provisioning.remove(at);
            }
            if from == NodeState::Ready
                && let Ok(at) = ready.binary_search(&(id, zone))
            {
                ready.remove(at);
            }
        }
        self.in_state[g][to as usize] += 1;
        if to == NodeState::Provisioning
            && let Err(at) = provisioning.binary_search(&id)
        {
            provisioning.insert(at, id);
        }
        if to == NodeState::Ready
            && let Err(at) = ready.binary_search(&(id, zone))
        {
            ready.insert(at, (id, zone));
        }
        let (word, bit) = (id as usize / 64, 1u64 << (id % 64));
        if self.live_bits.len() <= word {
            self.live_bits.resize(word + 1, 0);
        }
        if to == NodeState::Gone {
            self.live_bits[word] &= !bit;
        } else {
            self.live_bits[word] |= bit;
        }
    }

    /// Adds a node; it is indexed once it is schedulable.
    pub fn add(&mut self, node: Node) -> u32 {
        let id = self.nodes.len() as u32;
        self.nodes.push(node);
        self.forget_search(node.group);
        if let Some(Some(watch)) = self.at_or_below.get_mut().get_mut(node.group as usize) {
            watch.count += u32::from(watch.counts(&node));
        }
        if node.schedulable {
            self.by_free[node.group as usize].insert((node.free_ppm(), id));
            self.no_fit[node.group as usize].set(None);
        }
        if node.state != NodeState::Gone {
            self.live[self.region_of_group[node.group as usize] as usize].push(id);
        }
        self.count_state(id, node.group, None, node.state);
        id
    }

    pub fn get(&self, id: u32) -> &Node {
        &self.nodes[id as usize]
    }

    pub fn all(&self) -> &[Node] {
        &self.nodes
    }

    /// Changes a node through `f`, keeping the index in step.
    pub fn update(&mut self, id: u32, f: impl FnOnce(&mut Node)) {
        self.forget_search(self.nodes[id as usize].group);
        let node = &mut self.nodes[id as usize];
        let set = &mut self.by_free[node.group as usize];
        if node.schedulable {
            set.remove(&(node.free_ppm(), id));
        }
        let before = *node;
        f(node);
        let gained_room = node.schedulable
            && (!before.schedulable
                || node.free_cpu_millis() > before.free_cpu_millis()
                || node.free_memory_bytes() > before.free_memory_bytes()
                || node.pods < before.pods);
        if gained_room {
            self.no_fit[node.group as usize].set(None);
        }
        if before.state != NodeState::Gone && node.state == NodeState::Gone {
            let live = &mut self.live[self.region_of_group[node.group as usize] as usize];
            if let Ok(at) = live.binary_search(&id) {
                live.remove(at);
            }
        }
        debug_assert!(
            node.requested_cpu_millis <= node.allocatable_cpu_millis
                && node.requested_memory_bytes <= node.allocatable_memory_bytes,
            "invariant `allocated-within-allocatable` broken on node {id}: requested {}m, {} B \
             of {}m, {} B",
            node.requested_cpu_millis,
            node.requested_memory_bytes,
            node.allocatable_cpu_millis,
            node.allocatable_memory_bytes
        );
        if node.schedulable {
            set.insert((node.free_ppm(), id));
        }
        if let Some(Some(watch)) = self.at_or_below.get_mut().get_mut(node.group as usize) {
            watch.count =
                watch.count + u32::from(watch.counts(node)) - u32::from(watch.counts(&before));
        }
        let (group, state) = (node.group, node.state);
        self.count_state(id, group, Some(before.state), state);
    }

    /// Up to `k` schedulable nodes of `group` that fit the requests `(cpu millicores, memory
    /// bytes)` and pass `allowed`: the roomiest first when `roomiest` (LeastAllocated), else
    /// the fullest that still fit (MostAllocated).
    pub fn candidates(
        &self,
        group: u32,
        (cpu_millis, memory_bytes): (u64, u64),
        roomiest: bool,
        k: usize,
        allowed: impl Fn(u32) -> bool,
        out: &mut Vec<u32>,
    ) {
        let no_fit = &self.no_fit[group as usize];
        if no_fit
            .get()
            .is_some_and(|(cpu, memory)| cpu_millis >= cpu && memory_bytes >= memory)
        {
            return;
        }
        let set = &self.by_free[group as usize];
        let Some(&(_, any)) = set.first() else {
            return;
        };
        let shape = self.get(any);
        // A node can only fit the pod if its free fractions sum to at least the pod's.
        let floor = ppm(cpu_millis, shape.allocatable_cpu_millis)
            + ppm(memory_bytes, shape.allocatable_memory_bytes);
        // Whether a node that fits was turned away by `allowed`: then "nothing fits" is not
        // a fact about the group's room and is not remembered.
        let refused = Cell::new(false);
        let fitting = |&&(_, id): &&(u64, u32)| {
            if !self.get(id).fits(cpu_millis, memory_bytes) {
                return false;
            }
            let ok = allowed(id);
            refused.set(refused.get() || !ok);
            ok
        };
        let range = set.range((floor.saturating_sub(1), 0)..);
        let before = out.len();
        if roomiest {
            out.extend(range.rev().filter(fitting).take(k).map(|&(_, id)| id));
        } else {
            out.extend(range.filter(fitting).take(k).map(|&(_, id)| id));
        }
        if out.len() == before && !refused.get() {
            no_fit.set(Some((cpu_millis, memory_bytes)));
        }
        debug_assert!(out.len() - before <= k);
    }

    /// [`Nodes::candidates`] of every node that fits (no filter), with `score` of each in
    /// `scores`, answered from the group's last search when it asked the same and no node of
    /// the group has changed since: a scale-up places its pods one after another with one
    /// request, and each bind changes one group of the several a pod's search visits.
    /// `score` must depend only on the node and the requests.
    pub fn candidates_kept(
        &self,
        group: u32,
        (cpu_millis, memory_bytes): (u64, u64),
        roomiest: bool,
        k: usize,
        (out, scores): (&mut Vec<u32>, &mut Vec<i64>),
        score: impl Fn(&Node) -> i64,
    ) {
        let asked = Some((cpu_millis, memory_bytes, roomiest, k));
        let mut kept = self.kept.borrow_mut();
        if kept.len() <= group as usize {
            kept.resize(
                self.by_free.len().max(group as usize + 1),
                KeptSearch::default(),
            );
        }
        let search = &mut kept[group as usize];
        if search.asked != asked {
            search.found.clear();
            let found = &mut search.found;
            self.candidates(
                group,
                (cpu_millis, memory_bytes),
                roomiest,
                k,
                |_| true,
                found,
            );
            search.scores.clear();
            search
                .scores
                .extend(search.found.iter().map(|&id| score(self.get(id))));
            search.asked = asked;
        }
        out.extend_from_slice(&search.found);
        scores.extend_from_slice(&search.scores);
    }

    /// A node of `group` changes or joins it: its kept search no longer holds.
    fn forget_search(&mut self, group: u32) {
        if let Some(search) = self.kept.get_mut().get_mut(group as usize) {
            search.asked = None;
        }
    }

    /// Schedulable nodes of a group, roomiest first.
    pub fn in_group(&self, group: u32) -> impl Iterator<Item = u32> + '_ {
        self.by_free[group as usize].iter().rev().map(|&(_, id)| id)
    }

    /// The nodes of a region not yet gone, in id order (the order of [`Self::all`]).
    pub fn live_in(&self, region: u32) -> &[u32] {
        self.live.get(region as usize).map_or(&[], Vec::as_slice)
    }

    /// The nodes of a group not yet gone, in id order.
    pub fn live_in_group(&self, group: u32) -> impl Iterator<Item = u32> + '_ {
        self.live_in(self.region_of_group[group as usize])
            .iter()
            .copied()
            .filter(move |&id| self.get(id).group == group)
    }

    /// Schedulable nodes in a group.
    pub fn schedulable_in(&self, group: u32) -> usize {
        self.by_free[group as usize].len()
    }

    /// Nodes of a group in `state`.
    pub fn count_in(&self, group: u32, state: NodeState) -> u32 {
        self.in_state[group as usize][state as usize]
    }

    /// The provisioning nodes of a group, ascending ids (oldest first).
    pub fn provisioning_in(&self, group: u32) -> &[u32] {
        &self.provisioning[group as usize]
    }

    /// The Ready nodes of pool `pool` as (id, zone index), ascending.
    pub fn ready_in_pool(&self, pool: u32) -> &[(u32, u32)] {
        self.ready.get(pool as usize).map_or(&[], Vec::as_slice)
    }

    /// Bit `id % 64` of word `id / 64` is set for each node not yet gone.
    pub fn live_bits(&self) -> &[u64] {
        &self.live_bits
    }

    /// Whether a schedulable node of `group` has a utilization at or below `threshold`: a
    /// count kept as nodes change, worked out by walking the group's schedulable nodes the
    /// first time a threshold is asked of it.
    pub fn any_at_or_below(&self, group: u32, threshold: f64) -> bool {
        let mut watches = self.at_or_below.borrow_mut();
        if watches.len() <= group as usize {
            watches.resize(self.by_free.len().max(group as usize + 1), None);
        }
        let watch = &mut watches[group as usize];
        match watch {
            Some(w) if w.threshold.to_bits() == threshold.to_bits() => {
                debug_assert_eq!(w.count, self.count_at_or_below(group, w), "group {group}");
                w.count > 0
            }
            _ => {
                let mut w = AtOrBelow {
                    threshold,
                    count: 0,
                };
                w.count = self.count_at_or_below(group, &w);
                *watch = Some(w);
                w.count > 0
            }
        }
    }

    /// The nodes of `group` that `watch` counts, walked.
    fn count_at_or_below(&self, group: u32, watch: &AtOrBelow) -> u32 {
        self.by_free[group as usize]
            .iter()
            .filter(|&&(_, id)| watch.counts(self.get(id)))
            .count() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(group: u32, requested_cpu: u64) -> Node {
        Node {
            group,
            allocatable_cpu_millis: 4000,
            allocatable_memory_bytes: 8000,
            requested_cpu_millis: requested_cpu,
            requested_memory_bytes: 0,
            pods: 0,
            schedulable: true,
            state: NodeState::Ready,
            created_ns: 0,
            removed_ns: None,
            last_pod_change_ns: 0,
        }
    }

    #[test]
    fn candidates_come_roomiest_or_fullest_first_and_fit() {
        let mut nodes = Nodes::new(vec![0; 2], vec![(0, 0), (0, 1)]);
        let a = nodes.add(node(0, 1000));
        let b = nodes.add(node(0, 3000));
        let c = nodes.add(node(0, 0));
        let d = nodes.add(node(0, 3900));
        nodes.add(node(1, 0));
        let mut out = Vec::new();
        nodes.candidates(0, (500, 100), true, 2, |_| true, &mut out);
        assert_eq!(out, vec![c, a]);
        out.clear();
        // MostAllocated: the fullest node that fits 500m is b (d has only 100m free).
        nodes.candidates(0, (500, 100), false, 2, |_| true, &mut out);
        assert_eq!(out, vec![b, a]);
        let _ = d;
    }

    #[test]
    fn updates_move_a_node_in_the_index_and_unschedulable_nodes_leave_it() {
        let mut nodes = Nodes::new(vec![0], vec![(0, 0)]);
        let a = nodes.add(node(0, 0));
        let b = nodes.add(node(0, 2000));
        nodes.update(a, |n| n.requested_cpu_millis = 3000);
        let mut out = Vec::new();
        nodes.candidates(0, (100, 0), true, 1, |_| true, &mut out);
        assert_eq!(out, vec![b]);
        nodes.update(b, |n| n.schedulable = false);
        out.clear();
        nodes.candidates(0, (100, 0), true, 5, |_| true, &mut out);
        assert_eq!(out, vec![a]);
        assert_eq!(nodes.schedulable_in(0), 1);
    }

    #[test]
    fn a_failed_search_is_remembered_only_until_a_node_gains_room() {
        let mut nodes = Nodes::new(vec![0], vec![(0, 0)]);
        let a = nodes.add(node(0, 3800));
        let mut out = Vec::new();
        nodes.candidates(0, (500, 0), true, 4, |_| true, &mut out);
        assert!(out.is_empty());
        // Binding more (less room) keeps the failure; a smaller request still searches.
        nodes.update(a, |n| n.requested_cpu_millis = 3850);
        nodes.candidates(0, (100, 0), true, 4, |_| true, &mut out);
        assert_eq!(out, vec![a]);
        out.clear();
        // A pod leaving gives room: the 500m pod fits again.
        nodes.update(a, |n| n.requested_cpu_millis = 3000);
        nodes.candidates(0, (500, 0), true, 4, |_| true, &mut out);
        assert_eq!(out, vec![a]);
    }

    #[test]
    fn a_kept_search_holds_only_until_a_node_of_its_group_changes() {
        let mut nodes = Nodes::new(vec![0; 2], vec![(0, 0), (0, 1)]);
        let a = nodes.add(node(0, 1000));
        let b = nodes.add(node(0, 2000));
        let c = nodes.add(node(1, 0));
        let search = |nodes: &Nodes, group| {
            let (mut out, mut scores) = (Vec::new(), Vec::new());
            let free = |n: &Node| n.free_cpu_millis() as i64;
            nodes.candidates_kept(group, (500, 0), true, 1, (&mut out, &mut scores), free);
            assert_eq!(
                scores,
                out.iter()
                    .map(|&id| free(nodes.get(id)))
                    .collect::<Vec<_>>()
            );
            out
        };
        assert_eq!((search(&nodes, 0), search(&nodes, 1)), (vec![a], vec![c]));
        // Binding on a: b is now the roomiest of group 0; group 1's answer is kept.
        nodes.update(a, |n| n.requested_cpu_millis = 3000);
        assert_eq!((search(&nodes, 0), search(&nodes, 1)), (vec![b], vec![c]));
        // Another request is searched afresh.
        let (mut out, mut scores) = (Vec::new(), Vec::new());
        nodes.candidates_kept(0, (2500, 0), true, 1, (&mut out, &mut scores), |_| 0);
        assert!(out.is_empty() && scores.is_empty());
        // A node joining the group is seen.
        let d = nodes.add(node(0, 0));
        assert_eq!(search(&nodes, 0), vec![d]);
    }

    #[test]
    fn a_search_turned_away_by_the_filter_is_not_remembered() {
        let mut nodes = Nodes::new(vec![0], vec![(0, 0)]);
        let a = nodes.add(node(0, 0));
        let mut out = Vec::new();
        nodes.candidates(0, (500, 0), true, 4, |_| false, &mut out);
        assert!(out.is_empty());
        nodes.candidates(0, (500, 0), true, 4, |_| true, &mut out);
        assert_eq!(out, vec![a]);
    }

    #[test]
    fn state_counts_and_provisioning_lists_follow_the_nodes() {
        let mut nodes = Nodes::new(vec![0, 0], vec![(0, 0), (0, 1)]);
        let booting = |group| Node {
            schedulable: false,
            state: NodeState::Provisioning,
            ..node(group, 0)
        };
        let a = nodes.add(booting(0));
        let b = nodes.add(booting(0));
        let c = nodes.add(node(1, 0));
        assert_eq!(nodes.count_in(0, NodeState::Provisioning), 2);
        assert_eq!(nodes.provisioning_in(0), [a, b]);
        nodes.update(a, |n| {
            n.state = NodeState::Ready;
            n.schedulable = true;
        });
        nodes.update(c, |n| {
            n.state = NodeState::Gone;
            n.schedulable = false;
        });
        assert_eq!(nodes.provisioning_in(0), [b]);
        assert_eq!(
            [NodeState::Provisioning, NodeState::Ready, NodeState::Gone]
                .map(|s| (nodes.count_in(0, s), nodes.count_in(1, s))),
            [(1, 0), (1, 0), (0, 1)]
        );
        assert_eq!(nodes.live_in_group(0).collect::<Vec<_>>(), [a, b]);
        assert_eq!(nodes.live_in_group(1).count(), 0);
        // The pool's Ready nodes with their zone index: c (zone 1) was Ready until it went.
        assert_eq!(nodes.ready_in_pool(0), [(a, 0)]);
        assert_eq!(nodes.live_bits(), [0b011]);
    }

    #[test]
    fn the_count_at_or_below_a_threshold_follows_the_nodes() {
        // Nodes of 4000m: 3000m requested (0.75) and 1000m (0.25); memory unrequested.
        let mut nodes = Nodes::new(vec![0, 0], vec![(0, 0), (0, 1)]);
        let busy = nodes.add(node(0, 3000));
        let idle = nodes.add(node(0, 1000));
        assert!(nodes.any_at_or_below(0, 0.5));
        assert!(!nodes.any_at_or_below(0, 0.2));
        assert!(!nodes.any_at_or_below(1, 0.5));
        // Counted once asked (0.2 now): the idle node fills up to 0.75, then a pod of the busy
        // node leaves (0.5, at the threshold: it counts), then it is cordoned.
        assert!(nodes.any_at_or_below(0, 0.5));
        nodes.update(idle, |n| n.requested_cpu_millis = 3000);
        assert!(!nodes.any_at_or_below(0, 0.5));
        nodes.update(busy, |n| n.requested_cpu_millis = 2000);
        assert!(nodes.any_at_or_below(0, 0.5));
        nodes.update(busy, |n| n.schedulable = false);
        assert!(!nodes.any_at_or_below(0, 0.5));
        // A node added to a watched group counts at once; a walk from scratch agrees.
        nodes.add(node(0, 0));
        assert!(nodes.any_at_or_below(0, 0.5));
        assert!(nodes.any_at_or_below(0, 0.0));
        assert!(nodes.any_at_or_below(0, 0.5));
    }
}

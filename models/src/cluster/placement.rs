//! Where a pod goes: kube-scheduler's filter → score → pick, on the free-capacity index.
//!
//! Filter: NodeResourcesFit (requests ≤ allocatable − requested) on schedulable nodes of the
//! pod's region. Score, with the default profile's weights (`pkg/scheduler/apis/config/v1/
//! default_plugins.go`): NodeResourcesFit × 1 (LeastAllocated by default, MostAllocated
//! selectable), NodeResourcesBalancedAllocation × 1, PodTopologySpread × 2 with the system
//! default constraints (hostname maxSkew 3, zone maxSkew 5, ScheduleAnyway). Pick: highest
//! total; ties go to the lower node id (upstream picks uniformly at random among ties; a stable
//! id keeps runs reproducible without a random stream).
//!
//! Which nodes are scored. Upstream filters nodes from a rotating start index until it has
//! `numFeasibleNodesToFind` feasible ones (all nodes below 100, else an adaptive 50 %…5 % with a
//! floor of 100, `pkg/scheduler/schedule_one.go`) and scores only those, so at 10 000 nodes it
//! scores ~1 000 arbitrary feasible nodes. clustersim instead takes, from every node group
//! (pool × zone) of the region, the [`CANDIDATES_PER_GROUP`] feasible nodes with the most free
//! capacity (or, under MostAllocated, the fullest that still fit) from the index in
//! `nodes.rs`. Those are exactly the nodes the resource score ranks first, one set per zone so
//! the zone spread score can act, and the cost per pod is O(groups × log nodes) instead of
//! O(nodes). The choice can differ from upstream's only through the spread and balance scores
//! of nodes that are neither the roomiest nor the fullest — a sample upstream itself would only
//! sometimes include.

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::nodes::{Node, Nodes};
use crate::api::MAX_PODS_PER_NODE;
use crate::plan::ClusterPlan;
use crate::scheduler::MAX_NODE_SCORE;
use crate::scheduler::preemption::{
    VictimCandidate, num_preemption_candidates, pick_one_node_for_preemption,
    select_victims_on_node,
};
use crate::scheduler::profile::{PluginScores, ScoreWeights, weighted_total};
use crate::scheduler::resources::{
    CpuMemory, NodeAllocation, ResourceWeights, ScoringStrategy, balanced_allocation_score,
    least_allocated_score, most_allocated_score, requested_to_capacity_ratio_score,
};
use crate::scheduler::spread::{
    SYSTEM_DEFAULT_CONSTRAINTS, SpreadTerm, normalize_spread_scores, raw_spread_score,
    topology_normalizing_weight, within_max_skew,
};

/// Feasible nodes scored per node group.
pub const CANDIDATES_PER_GROUP: usize = 4;

/// What placement needs to know of the pod being placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodRequest {
    pub cpu_millis: u64,
    pub memory_bytes: u64,
    /// Whole GPUs (`nvidia.com/gpu`); a node fits only with as many not yet requested.
    pub gpus: u32,
    /// `maxSkew` of a `DoNotSchedule` zone spread constraint, if any.
    pub zone_max_skew: Option<u32>,
    /// `maxSkew` of a `DoNotSchedule` hostname spread constraint, if any.
    pub host_max_skew: Option<u32>,
}

/// Node groups (pool × zone) and the scoring configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Placement {
    /// Per group: (pool index, zone id).
    groups: Vec<(u32, u32)>,
    /// Zone names by zone id.
    zone_names: Vec<String>,
    /// Each region's name and groups, in name order (a region's index is its rank here,
    /// found by binary search: the autoscalers' views ask for it hundreds of thousands of
    /// times a day).
    regions: Vec<(String, Vec<u32>)>,
    strategy: ScoringStrategy,
    /// `choose`'s buffers, kept between calls: it runs once per pod placed, and allocating
    /// its three vectors each time was ~4 % of a full Black-Friday day.
    #[serde(skip)]
    scratch: RefCell<Scratch>,
}

/// The per-candidate vectors of one `choose`, emptied at its start.
#[derive(Debug, Clone, Default)]
struct Scratch {
    candidates: Vec<u32>,
    /// Each candidate's weighted score from every plugin but PodTopologySpread.
    resource: Vec<i64>,
    raw: Vec<Option<i64>>,
    spread: Vec<i64>,
}

impl Placement {
    /// The groups of a plan, and for each pool the group of each of its zones.
    pub fn new(plan: &ClusterPlan) -> (Self, Vec<Vec<u32>>) {
        let mut zones: BTreeMap<(&str, &str), u32> = BTreeMap::new();
        let mut groups = Vec::new();
        let mut regions: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        let mut of_pool = Vec::new();
        for (p, pool) in plan.pools.iter().enumerate() {
            let mut ids = Vec::new();
            for zone in &pool.zones {
                let next = zones.len() as u32;
                let z = *zones.entry((&pool.region, zone)).or_insert(next);
                let g = groups.len() as u32;
                groups.push((p as u32, z));
                regions.entry(pool.region.clone()).or_default().push(g);
                ids.push(g);
            }
            of_pool.push(ids);
        }
        let mut zone_names = vec![String::new(); zones.len()];
        for ((_, zone), id) in zones {
            zone_names[id as usize] = zone.to_owned();
        }
        let placement = Placement {
            groups,
            zone_names,
            regions: regions.into_iter().collect(),
            strategy: plan.scoring.clone(),
            scratch: RefCell::default(),
        };
        (placement, of_pool)
    }

    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// Each group's region index (see [`Self::region_index`]).
    pub fn region_of_groups(&self) -> Vec<u32> {
        let mut of = vec![0; self.groups.len()];
        for (r, (_, groups)) in self.regions.iter().enumerate() {
            for &g in groups {
                of[g as usize] = r as u32;
            }
        }
        of
    }

    /// A region's dense index: its rank among the regions with a pool, by name.
    pub fn region_index(&self, region: &str) -> Option<u32> {
        self.regions
            .binary_search_by(|(name, _)| name.as_str().cmp(region))
            .ok()
            .map(|r| r as u32)
    }

    /// The groups of a region (none when it has no pool).
    pub fn groups_in(&self, region: &str) -> Vec<u32> {
        self.region_index(region)
            .map(|r| self.regions[r as usize].1.clone())
            .unwrap_or_default()
    }

    pub fn pool_of_group(&self, group: u32) -> u32 {
        self.groups[group as usize].0
    }

    pub fn zone_of_group(&self, group: u32) -> u32 {
        self.groups[group as usize].1
    }

    pub fn zone_name(&self, group: u32) -> &str {
        &self.zone_names[self.zone_of_group(group) as usize]
    }

    /// The best node for a pod with these requests among `groups`, or `None` when no node
    /// fits. `on_node(n)` and `in_zone(z)` count the pod's siblings (same deployment, bound,
    /// not terminating, as upstream skips terminating pods) for the topology spread score.
    /// `gpus_free(n)` is node `n`'s GPUs not yet requested, read only for a GPU pod.
    pub fn choose(
        &self,
        nodes: &Nodes,
        groups: &[u32],
        pod: PodRequest,
        on_node: impl Fn(u32) -> u32,
        in_zone: impl Fn(u32) -> u32,
        gpus_free: impl Fn(u32) -> u32,
    ) -> Option<u32> {
        let PodRequest {
            cpu_millis,
            memory_bytes,
            gpus,
            zone_max_skew,
            host_max_skew,
        } = pod;
        let roomiest = self.strategy.prefers_room();
        // A DoNotSchedule zone constraint filters whole zones: a zone is feasible when adding
        // the pod keeps it within `max_skew` of the emptiest eligible zone.
        let global_min = groups
            .iter()
            .map(|&g| in_zone(self.zone_of_group(g)))
            .min()
            .unwrap_or(0);
        let zone_ok = |g: u32| {
            zone_max_skew.is_none_or(|skew| {
                within_max_skew(in_zone(self.zone_of_group(g)), true, global_min, skew)
            })
        };
        // A DoNotSchedule hostname constraint filters nodes against the emptiest eligible
        // node; a node without siblings ends the search for that minimum at once.
        let host_min = match host_max_skew {
            None => 0,
            Some(_) => {
                let mut min = u32::MAX;
                for n in groups.iter().flat_map(|&g| nodes.in_group(g)) {
                    min = min.min(on_node(n));
                    if min == 0 {
                        break;
                    }
                }
                if min == u32::MAX { 0 } else { min }
            }
        };
        // NodeResourcesFit on the extended resource, beside the index's cpu and memory.
        let host_ok = |n: u32| {
            host_max_skew.is_none_or(|skew| within_max_skew(on_node(n), true, host_min, skew))
                && (gpus == 0 || gpus_free(n) >= gpus)
        };
        let mut scratch = self.scratch.borrow_mut();
        let Scratch {
            candidates,
            resource,
            raw,
            spread,
        } = &mut *scratch;
        candidates.clear();
        resource.clear();
        let pod = CpuMemory {
            cpu_millis,
            memory_bytes,
        };
        // The weighted total is a sum: the plugins that read only the node and the pod's
        // requests are scored with the candidate search (and kept with it), spread after.
        let resource_score = |node: &Node| {
            let node = allocation(node);
            let node_resources_fit = match &self.strategy {
                ScoringStrategy::LeastAllocated => {
                    least_allocated_score(&node, pod, ResourceWeights::DEFAULT)
                }
                ScoringStrategy::MostAllocated => {
                    most_allocated_score(&node, pod, ResourceWeights::DEFAULT)
                }
                ScoringStrategy::RequestedToCapacityRatio { shape } => {
                    requested_to_capacity_ratio_score(&node, pod, ResourceWeights::DEFAULT, shape)
                }
            };
            let scores = PluginScores {
                // Taints and node affinity are filters of whole pools here: every scored node
                // gets the same score from them, which cannot change the choice.
                taint_toleration: MAX_NODE_SCORE,
                node_affinity: 0,
                node_resources_fit,
                pod_topology_spread: 0,
                balanced_allocation: balanced_allocation_score(&node, pod).unwrap_or(0),
            };
            weighted_total(&scores, &ScoreWeights::DEFAULT)
        };
        // Without a hostname constraint or GPUs every fitting node passes `host_ok`: the
        // search may be answered from the group's last one.
        let unfiltered = host_max_skew.is_none() && gpus == 0;
        for &g in groups.iter().filter(|&&g| zone_ok(g)) {
            let requests = (cpu_millis, memory_bytes);
            if unfiltered {
                nodes.candidates_kept(
                    g,
                    requests,
                    roomiest,
                    CANDIDATES_PER_GROUP,
                    (candidates, resource),
                    resource_score,
                );
            } else {
                let before = candidates.len();
                nodes.candidates(
                    g,
                    requests,
                    roomiest,
                    CANDIDATES_PER_GROUP,
                    host_ok,
                    candidates,
                );
                let found = &candidates[before..];
                resource.extend(found.iter().map(|&n| resource_score(nodes.get(n))));
            }
        }
        if candidates.is_empty() {
            return None;
        }
        // PodTopologySpread with the system default constraints; the hostname domains are the
        // scored nodes, the zone domains the zones of the pod's region.
        // Distinct zones among a region's handful of groups, counted without a set.
        let zones = (0..groups.len())
            .filter(|&i| {
                let z = self.zone_of_group(groups[i]);
                groups[..i].iter().all(|&g| self.zone_of_group(g) != z)
            })
            .count();
        let [host, zone] = SYSTEM_DEFAULT_CONSTRAINTS;
        let host_weight = topology_normalizing_weight(candidates.len());
        let zone_weight = topology_normalizing_weight(zones);
        raw.clear();
        // Candidates come group by group, so a zone's sibling count is looked up once per run
        // of candidates in it, not once per candidate.
        let mut zone_count: Option<(u32, u32)> = None;
        raw.extend(candidates.iter().map(|&n| {
            let z = self.zone_of_group(nodes.get(n).group);
            let in_z = match zone_count {
                Some((zone, count)) if zone == z => count,
                _ => {
                    let count = in_zone(z);
                    zone_count = Some((z, count));
                    count
                }
            };
            Some(raw_spread_score(&[
                SpreadTerm {
                    matching_pods: u64::from(on_node(n)),
                    max_skew: host.max_skew,
                    weight: host_weight,
                },
                SpreadTerm {
                    matching_pods: u64::from(in_z),
                    max_skew: zone.max_skew,
                    weight: zone_weight,
                },
            ]))
        }));
        spread.clear();
        spread.resize(candidates.len(), 0);
        normalize_spread_scores(raw, spread);
        let mut best: Option<(i64, u32)> = None;
        let scored = candidates.iter().zip(&*resource).zip(&*spread);
        for ((&n, &resource), &pod_topology_spread) in scored {
            debug_assert!((0..=MAX_NODE_SCORE).contains(&pod_topology_spread));
            let total = resource + pod_topology_spread * ScoreWeights::DEFAULT.pod_topology_spread;
            if best.is_none_or(|(b, id)| total > b || (total == b && n < id)) {
                best = Some((total, n));
            }
        }
        best.map(|(_, n)| n)
    }

    /// DefaultPreemption for one pod: among the schedulable nodes of `groups` — at most
    /// `num_preemption_candidates` of them (upstream's 10 % with a floor of 100), roomiest
    /// first — the node `pick_one_node_for_preemption` prefers, with the victims
    /// `select_victims_on_node` finds there. `residents(n)` lists the pods on node `n`.
    pub fn preemption_target(
        &self,
        nodes: &Nodes,
        groups: &[u32],
        cpu_millis: u64,
        memory_bytes: u64,
        priority: i32,
        residents: impl Fn(u32) -> Vec<VictimCandidate>,
    ) -> Option<(u32, Vec<u32>)> {
        let total: usize = groups.iter().map(|&g| nodes.schedulable_in(g)).sum();
        let limit = num_preemption_candidates(u32::try_from(total).unwrap_or(u32::MAX)) as usize;
        let pod = CpuMemory {
            cpu_millis,
            memory_bytes,
        };
        let mut ids = Vec::new();
        let mut found = Vec::new();
        for n in groups.iter().flat_map(|&g| nodes.in_group(g)).take(limit) {
            let on_node = residents(n);
            if let Some(v) =
                select_victims_on_node(priority, pod, &allocation(nodes.get(n)), &on_node)
            {
                ids.push(n);
                found.push(v);
            }
        }
        let chosen = pick_one_node_for_preemption(&found)?;
        Some((ids[chosen], found.swap_remove(chosen).victims))
    }
}

/// A node as the scheduler plugins see it. clustersim pods always carry both requests, so the
/// "non-zero" requests upstream uses for scoring equal the real ones.
fn allocation(node: &Node) -> NodeAllocation {
    let requested = CpuMemory {
        cpu_millis: node.requested_cpu_millis,
        memory_bytes: node.requested_memory_bytes,
    };
    NodeAllocation {
        allocatable: CpuMemory {
            cpu_millis: node.allocatable_cpu_millis,
            memory_bytes: node.allocatable_memory_bytes,
        },
        allocatable_pods: MAX_PODS_PER_NODE,
        requested,
        requested_non_zero: requested,
        pod_count: node.pods,
    }
}

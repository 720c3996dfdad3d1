//! DefaultPreemption (the PostFilter plugin): which pods to evict on one node so a pending pod
//! fits there, and which candidate node to preempt on.
//!
//! Upstream (`kubernetes/kubernetes`, `pkg/scheduler/...`):
//! - `framework/plugins/defaultpreemption/default_preemption.go`
//!   (`e4d77d9256504b95df4fd35f9b2e4308707951d7`): `SelectVictimsOnNode`, `isPreemptionAllowed`
//!   (victims have strictly lower priority), `filterPodsWithPDBViolation`,
//!   `calculateNumCandidates`;
//! - `framework/preemption/preemption.go` (`98be7dfc5da8533f62c063206c5751e884d6294d`):
//!   `pickOneNodeForPreemption` and `DryRunPreemption` (a node whose selection has no victims is
//!   not a candidate);
//! - `util/utils.go` (`effb98eaa665a33b16634ab968c91644b99d1ba7`): `MoreImportantPod`,
//!   `GetEarliestPodStartTime`;
//! - `apis/config/v1/defaults.go` (`651c72e5d615b83777457b32c22d8c943b724dc8`):
//!   `minCandidateNodesPercentage` 10, `minCandidateNodesAbsolute` 100.
//!
//! Fit here is the NodeResourcesFit filter ([`fit`]), the only filter whose answer removing pods
//! can change in the simulated world; nodes failing a filter that preemption cannot fix (an
//! untolerated taint, node affinity, a missing topology label) must not be offered. Not
//! modelled: inter-pod affinity and hard topology spread re-evaluated during reprieve, nominated
//! pods (include them in the node's requested sum if the caller tracks them), pods with
//! `preemptionPolicy: Never` (the caller must not preempt for them), and the async API calls.

use std::cmp::Ordering;

use super::resources::{CpuMemory, NodeAllocation, fit};

/// One pod on the node, as preemption sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VictimCandidate {
    pub id: u32,
    pub priority: i32,
    /// Real requests ([`super::resources::pod_requests`]), which is what the filter counts.
    pub cpu_millis: u64,
    pub memory_bytes: u64,
    /// `status.startTime`; upstream uses "now" for a pod that has not started yet.
    pub start_time_ns: u64,
    /// Whether evicting this pod would violate a PodDisruptionBudget. Upstream decides this per
    /// node by walking the lower-priority pods in [`importance_order`] and decrementing each
    /// matching PDB's `disruptionsAllowed`: a pod is violating once a matching budget drops below
    /// 0 (pods already in the PDB's `disruptedPods` do not decrement it).
    pub pdb_violating: bool,
}

impl VictimCandidate {
    fn requests(&self) -> CpuMemory {
        CpuMemory {
            cpu_millis: self.cpu_millis,
            memory_bytes: self.memory_bytes,
        }
    }
}

/// `MoreImportantPod` as an ordering, most important first: higher priority, then earlier start
/// time. Upstream sorts with `sort.Slice`, which leaves full ties in no defined order; the id
/// breaks them here so the result is deterministic.
pub fn importance_order(a: &VictimCandidate, b: &VictimCandidate) -> Ordering {
    b.priority
        .cmp(&a.priority)
        .then(a.start_time_ns.cmp(&b.start_time_ns))
        .then(a.id.cmp(&b.id))
}

/// The victims chosen on one node, with the figures [`pick_one_node_for_preemption`] compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeVictims {
    /// Ids of the pods to evict, most important first; never empty.
    pub victims: Vec<u32>,
    /// How many victims violate a PodDisruptionBudget.
    pub num_pdb_violations: u32,
    /// Priority of the most important victim.
    pub highest_priority: i32,
    /// `Σ (priority + MaxInt32 + 1)` over the victims: every term is positive, so a node losing
    /// a few negative-priority pods is not preferred over one losing fewer of them.
    pub priority_sum_shifted: i64,
    /// The earliest start time among the victims with the highest priority.
    pub earliest_start_of_highest_ns: u64,
}

/// `SelectVictimsOnNode`: the minimal set of lower-priority pods whose eviction lets a pod with
/// `preemptor_priority` and `preemptor_requests` (real requests) fit on `node`. All pods with
/// strictly lower priority are removed; if the pod still does not fit, or there are none, the
/// node is not a candidate (`None`). Then pods are reprieved (put back when the pod still fits
/// with them), most important first, PDB-violating pods before the others, so that budgets are
/// spent only when unavoidable; the pods that could not be put back are the victims. `None` also
/// when every pod was reprieved (upstream's `DryRunPreemption` drops such a node: the pod fits
/// without preemption and should be placed there instead). `pods_on_node` lists every pod on the
/// node, and `node.requested` / `node.pod_count` must include them.
pub fn select_victims_on_node(
    preemptor_priority: i32,
    preemptor_requests: CpuMemory,
    node: &NodeAllocation,
    pods_on_node: &[VictimCandidate],
) -> Option<NodeVictims> {
    let mut potential: Vec<VictimCandidate> = pods_on_node
        .iter()
        .filter(|p| p.priority < preemptor_priority)
        .copied()
        .collect();
    if potential.is_empty() {
        return None;
    }
    let mut state = *node;
    for p in &potential {
        state.requested = state.requested.minus(p.requests());
        state.pod_count = state.pod_count.saturating_sub(1);
    }
    if !fit(preemptor_requests, &state).fits() {
        return None;
    }

    potential.sort_by(importance_order);
    let violating = potential.iter().filter(|p| p.pdb_violating);
    let non_violating = potential.iter().filter(|p| !p.pdb_violating);
    let mut victims: Vec<VictimCandidate> = Vec::new();
    for p in violating.chain(non_violating) {
        let mut with_pod = state;
        with_pod.requested = with_pod.requested.plus(p.requests());
        with_pod.pod_count = with_pod.pod_count.saturating_add(1);
        if fit(preemptor_requests, &with_pod).fits() {
            state = with_pod;
        } else {
            victims.push(*p);
        }
    }
    // Violating victims were collected first; restore importance order across both groups.
    victims.sort_by(importance_order);

    let most_important = *victims.first()?;
    let num_pdb_violations = victims.iter().filter(|p| p.pdb_violating).count();
    let earliest_start_of_highest_ns = victims
        .iter()
        .filter(|p| p.priority == most_important.priority)
        .map(|p| p.start_time_ns)
        .min()
        .unwrap_or(most_important.start_time_ns);
    Some(NodeVictims {
        num_pdb_violations: u32::try_from(num_pdb_violations).unwrap_or(u32::MAX),
        highest_priority: most_important.priority,
        priority_sum_shifted: victims
            .iter()
            .map(|p| i64::from(p.priority) + i64::from(i32::MAX) + 1)
            .sum(),
        earliest_start_of_highest_ns,
        victims: victims.iter().map(|p| p.id).collect(),
    })
}

/// `pickOneNodeForPreemption` with the default criteria, applied in order, each keeping only the
/// candidates that tie for the best: fewest PDB violations; lowest highest-victim priority;
/// smallest shifted priority sum; fewest victims; latest start time of the highest-priority
/// victims (evict what has run least). Remaining ties go to the first candidate in `candidates`
/// (upstream iterates a Go map, so its "first" is arbitrary). Returns the index of the chosen
/// candidate, `None` when there are none.
pub fn pick_one_node_for_preemption(candidates: &[NodeVictims]) -> Option<usize> {
    let key = |c: &NodeVictims| {
        (
            c.num_pdb_violations,
            c.highest_priority,
            c.priority_sum_shifted,
            c.victims.len(),
            std::cmp::Reverse(c.earliest_start_of_highest_ns),
        )
    };
    let mut best: Option<usize> = None;
    for (i, candidate) in candidates.iter().enumerate() {
        if best.is_none_or(|b| key(candidate) < key(&candidates[b])) {
            best = Some(i);
        }
    }
    best
}

/// `minCandidateNodesPercentage` default.
pub const MIN_CANDIDATE_NODES_PERCENTAGE: u32 = 10;

/// `minCandidateNodesAbsolute` default.
pub const MIN_CANDIDATE_NODES_ABSOLUTE: u32 = 100;

/// `calculateNumCandidates` with the default arguments: how many candidate nodes a preemption
/// dry run collects before choosing, `max(num_nodes * 10 / 100, 100)` capped at `num_nodes`.
/// Upstream starts the dry run at a random offset into the nodes that failed filtering.
pub fn num_preemption_candidates(num_nodes: u32) -> u32 {
    let n = (u64::from(num_nodes) * u64::from(MIN_CANDIDATE_NODES_PERCENTAGE) / 100) as u32;
    n.max(MIN_CANDIDATE_NODES_ABSOLUTE).min(num_nodes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(id: u32, priority: i32, cpu_millis: u64, start_time_ns: u64) -> VictimCandidate {
        VictimCandidate {
            id,
            priority,
            cpu_millis,
            memory_bytes: 0,
            start_time_ns,
            pdb_violating: false,
        }
    }

    /// A node of 4000m holding `pods`, with room for 10 pods.
    fn node_with(pods: &[VictimCandidate]) -> NodeAllocation {
        let requested = pods
            .iter()
            .fold(CpuMemory::default(), |s, p| s.plus(p.requests()));
        NodeAllocation {
            allocatable: CpuMemory {
                cpu_millis: 4000,
                memory_bytes: 1 << 30,
            },
            allocatable_pods: 10,
            requested,
            requested_non_zero: requested,
            pod_count: pods.len() as u32,
        }
    }

    fn cpu(cpu_millis: u64) -> CpuMemory {
        CpuMemory {
            cpu_millis,
            memory_bytes: 0,
        }
    }

    #[test]
    fn importance_is_priority_then_age_then_id() {
        let mut pods = [
            pod(3, 5, 0, 20),
            pod(1, 5, 0, 10),
            pod(2, 9, 0, 30),
            pod(0, 5, 0, 10),
        ];
        pods.sort_by(importance_order);
        assert_eq!(pods.map(|p| p.id), [2, 0, 1, 3]);
    }

    #[test]
    fn reprieves_the_most_important_pods_that_still_allow_a_fit() {
        // Full node: 1000m each. The preemptor needs 2000m: two of the three low pods must go.
        let pods = [
            pod(1, 10, 1000, 100),
            pod(2, 20, 1000, 100),
            pod(3, 30, 1000, 100),
            pod(4, 1000, 1000, 100),
        ];
        let chosen = select_victims_on_node(500, cpu(2000), &node_with(&pods), &pods).unwrap();
        // Priority 30 is reprieved first; 20 and 10 no longer fit back.
        assert_eq!(chosen.victims, vec![2, 1]);
        assert_eq!(chosen.highest_priority, 20);
        assert_eq!(chosen.num_pdb_violations, 0);
        assert_eq!(
            chosen.priority_sum_shifted,
            (20 + 2_147_483_648) + (10 + 2_147_483_648)
        );
    }

    #[test]
    fn equal_or_higher_priority_pods_are_never_victims() {
        let pods = [pod(1, 500, 3000, 0), pod(2, 10, 500, 0)];
        // Even without pod 2 only 1000m is free: not a candidate.
        assert_eq!(
            select_victims_on_node(500, cpu(2000), &node_with(&pods), &pods),
            None
        );
        // No lower-priority pod at all: not a candidate.
        let pods = [pod(1, 600, 1000, 0)];
        assert_eq!(
            select_victims_on_node(500, cpu(100), &node_with(&pods), &pods),
            None
        );
    }

    #[test]
    fn a_node_that_needs_no_victims_is_not_a_candidate() {
        let pods = [pod(1, 10, 1000, 0)];
        assert_eq!(
            select_victims_on_node(500, cpu(1000), &node_with(&pods), &pods),
            None
        );
    }

    #[test]
    fn pdb_violating_pods_are_reprieved_first() {
        // Evicting either low pod frees enough. Without the budget the higher-priority pod 2
        // would be reprieved first and pod 1 evicted; the PDB-protected pod 1 goes back first.
        let mut protected = pod(1, 10, 1000, 0);
        protected.pdb_violating = true;
        let pods = [protected, pod(2, 20, 1000, 0), pod(3, 900, 2000, 0)];
        let chosen = select_victims_on_node(500, cpu(1000), &node_with(&pods), &pods).unwrap();
        assert_eq!(chosen.victims, vec![2]);
        assert_eq!(chosen.num_pdb_violations, 0);
    }

    #[test]
    fn unavoidable_pdb_violations_are_counted_and_victims_resorted() {
        let mut protected = pod(1, 10, 1000, 0);
        protected.pdb_violating = true;
        let pods = [protected, pod(2, 20, 1000, 0), pod(3, 900, 2000, 0)];
        let chosen = select_victims_on_node(500, cpu(2000), &node_with(&pods), &pods).unwrap();
        // Both must go; listed most important first although the violating one was found first.
        assert_eq!(chosen.victims, vec![2, 1]);
        assert_eq!(chosen.num_pdb_violations, 1);
    }

    #[test]
    fn the_pod_count_limit_is_part_of_the_fit() {
        let pods = [pod(1, 10, 0, 0), pod(2, 20, 0, 0)];
        let mut node = node_with(&pods);
        node.allocatable_pods = 2;
        let chosen = select_victims_on_node(500, cpu(0), &node, &pods).unwrap();
        assert_eq!(chosen.victims, vec![1]);
    }

    #[test]
    fn earliest_start_is_taken_among_the_highest_priority_victims() {
        let pods = [
            pod(1, 20, 1000, 50),
            pod(2, 20, 1000, 40),
            pod(3, 10, 1000, 5),
        ];
        let node = node_with(&pods);
        let chosen = select_victims_on_node(500, cpu(4000), &node, &pods).unwrap();
        assert_eq!(chosen.victims, vec![2, 1, 3]);
        assert_eq!(chosen.earliest_start_of_highest_ns, 40);
    }

    fn candidate(
        num_pdb_violations: u32,
        priorities: &[i32],
        earliest_start_of_highest_ns: u64,
    ) -> NodeVictims {
        NodeVictims {
            victims: (0..priorities.len() as u32).collect(),
            num_pdb_violations,
            highest_priority: *priorities.iter().max().unwrap(),
            priority_sum_shifted: priorities
                .iter()
                .map(|&p| i64::from(p) + i64::from(i32::MAX) + 1)
                .sum(),
            earliest_start_of_highest_ns,
        }
    }

    #[test]
    fn pick_prefers_fewest_pdb_violations_first() {
        let c = [candidate(1, &[0], 0), candidate(0, &[100, 100], 0)];
        assert_eq!(pick_one_node_for_preemption(&c), Some(1));
    }

    #[test]
    fn pick_then_lowest_highest_priority() {
        let c = [candidate(0, &[50], 0), candidate(0, &[10, 10, 10], 0)];
        assert_eq!(pick_one_node_for_preemption(&c), Some(1));
    }

    #[test]
    fn pick_then_smallest_shifted_sum_even_with_negative_priorities() {
        // Unshifted sums would be -20 < -10 and pick node 0; shifted, one victim is cheaper.
        let c = [candidate(0, &[-10, -10], 0), candidate(0, &[-10], 0)];
        assert_eq!(pick_one_node_for_preemption(&c), Some(1));
        let c = [candidate(0, &[10, 5], 0), candidate(0, &[10, 3], 0)];
        assert_eq!(pick_one_node_for_preemption(&c), Some(1));
    }

    #[test]
    fn pick_then_fewest_victims_then_latest_start_then_first() {
        // Same highest priority and equal sums are impossible with different counts once
        // shifted, so fewest victims is reached through a sum tie:
        let mut a = candidate(0, &[10, 10], 0);
        let b = candidate(0, &[10, 10], 0);
        a.victims.push(99);
        assert_eq!(pick_one_node_for_preemption(&[a, b]), Some(1));
        let c = [
            candidate(0, &[10], 5),
            candidate(0, &[10], 9),
            candidate(0, &[10], 9),
        ];
        assert_eq!(pick_one_node_for_preemption(&c), Some(1));
        assert_eq!(pick_one_node_for_preemption(&[]), None);
    }

    #[test]
    fn candidate_count_defaults() {
        assert_eq!(num_preemption_candidates(50), 50);
        assert_eq!(num_preemption_candidates(500), 100);
        assert_eq!(num_preemption_candidates(5000), 500);
    }
}

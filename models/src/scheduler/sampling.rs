//! How many feasible nodes one scheduling cycle looks for (`numFeasibleNodesToFind`).
//!
//! Upstream: `pkg/scheduler/schedule_one.go` (`003b4460edb52bc9a9fe6cf54294e5b3e4681610`). The
//! scheduler runs the filters from a rotating start index (`nextStartNodeIndex`) and stops once
//! it has found this many feasible nodes; only those are scored. On large clusters the chosen
//! node is therefore the best of a sample, not of the whole cluster, which is what lets the
//! simulator's indexed placement look at a bounded number of nodes per pod.

/// `minFeasibleNodesToFind`: below this many nodes every node is evaluated, and no cycle looks
/// for fewer feasible nodes than this.
pub const MIN_FEASIBLE_NODES_TO_FIND: u32 = 100;

/// `minFeasibleNodesPercentageToFind`: the floor of the adaptive percentage.
pub const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: u32 = 5;

/// `numFeasibleNodesToFind`. `percentage_of_nodes_to_score` is the profile's value if set, else
/// the global one; 0 (the default) means adaptive: `max(50 - num_all_nodes / 125, 5)` percent,
/// with integer division. The result is `num_all_nodes * percentage / 100`, at least
/// [`MIN_FEASIBLE_NODES_TO_FIND`], or every node when there are fewer than that. Upstream
/// validation keeps the percentage within `0..=100`.
pub fn num_feasible_nodes_to_find(percentage_of_nodes_to_score: u32, num_all_nodes: u32) -> u32 {
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND {
        return num_all_nodes;
    }
    let percentage = if percentage_of_nodes_to_score == 0 {
        // Signed: 50 - n/125 goes negative from 6 375 nodes on, then the floor applies.
        let adaptive = 50 - i64::from(num_all_nodes / 125);
        adaptive.max(i64::from(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)) as u64
    } else {
        u64::from(percentage_of_nodes_to_score)
    };
    let num_nodes = u64::from(num_all_nodes) * percentage / 100;
    num_nodes.max(u64::from(MIN_FEASIBLE_NODES_TO_FIND)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_clusters_evaluate_every_node() {
        assert_eq!(num_feasible_nodes_to_find(0, 99), 99);
        assert_eq!(num_feasible_nodes_to_find(10, 0), 0);
    }

    #[test]
    fn adaptive_percentage_shrinks_with_cluster_size() {
        // 100 nodes: 50 - 0 = 50% → 50, raised to the 100 floor.
        assert_eq!(num_feasible_nodes_to_find(0, 100), 100);
        // 5000 nodes: 50 - 40 = 10% → 500.
        assert_eq!(num_feasible_nodes_to_find(0, 5000), 500);
        // 20 000 nodes: 50 - 160 < 5 → 5% → 1000.
        assert_eq!(num_feasible_nodes_to_find(0, 20_000), 1000);
    }

    #[test]
    fn explicit_percentage_has_the_100_node_floor() {
        assert_eq!(num_feasible_nodes_to_find(1, 5000), 100);
        assert_eq!(num_feasible_nodes_to_find(30, 5000), 1500);
        assert_eq!(num_feasible_nodes_to_find(100, 5000), 5000);
    }
}

//! The default scheduling profile's score weights and the weighted sum that ranks nodes.
//!
//! Upstream: `pkg/scheduler/apis/config/v1/default_plugins.go`
//! (`0d725d5d3e0bb348e01a35ed14ea053391da91e1`), `getDefaultPlugins`: TaintToleration 3,
//! NodeAffinity 2, NodeResourcesFit 1, PodTopologySpread 2, InterPodAffinity 2,
//! NodeResourcesBalancedAllocation 1, ImageLocality 1 (the other default plugins only filter).
//! The framework multiplies each plugin's normalized score (`0..=MAX_NODE_SCORE`) by its weight
//! and adds them up (`RunScorePlugins`); the node with the highest total wins, and upstream
//! breaks ties at random (`pkg/scheduler/schedule_one.go`, `003b4460edb52bc9a9fe6cf54294e5b3e4681610`,
//! a heap ordered by total then a random number), which the placement code replaces with a
//! deterministic rule.
//!
//! Two weighted plugins are not modelled, and neither changes which node wins here:
//! - InterPodAffinity: the simulated pods carry no pod (anti-)affinity terms, so no node gains
//!   or loses anything by the pods on it and every node gets the same score (from memory of
//!   `interpodaffinity/scoring.go`, not re-read: its PreScore skips the plugin in that case).
//! - ImageLocality: the simulator has no images; with no image present on any node every node
//!   gets the same score (0), and a constant added to every node cannot change the ranking.

use super::MAX_NODE_SCORE;

/// Weights of the score plugins the simulator models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScoreWeights {
    pub taint_toleration: i64,
    pub node_affinity: i64,
    pub node_resources_fit: i64,
    pub pod_topology_spread: i64,
    pub balanced_allocation: i64,
}

impl ScoreWeights {
    /// The weights of upstream's default profile.
    pub const DEFAULT: ScoreWeights = ScoreWeights {
        taint_toleration: 3,
        node_affinity: 2,
        node_resources_fit: 1,
        pod_topology_spread: 2,
        balanced_allocation: 1,
    };
}

/// One node's normalized plugin scores, each in `0..=MAX_NODE_SCORE`. A plugin that upstream's
/// PreScore skips for this pod (BalancedAllocation for a best-effort pod, PodTopologySpread for a
/// pod with no soft constraints) is not run and adds nothing: pass 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PluginScores {
    pub taint_toleration: i64,
    pub node_affinity: i64,
    pub node_resources_fit: i64,
    pub pod_topology_spread: i64,
    pub balanced_allocation: i64,
}

/// The node's total score: `Σ weight * normalized score` over the modelled plugins. Upstream
/// fails the scheduling cycle if a plugin returns a normalized score outside `0..=MAX_NODE_SCORE`;
/// here that is a bug in the caller, caught by a debug assertion.
pub fn weighted_total(scores: &PluginScores, weights: &ScoreWeights) -> i64 {
    let terms = [
        (scores.taint_toleration, weights.taint_toleration),
        (scores.node_affinity, weights.node_affinity),
        (scores.node_resources_fit, weights.node_resources_fit),
        (scores.pod_topology_spread, weights.pod_topology_spread),
        (scores.balanced_allocation, weights.balanced_allocation),
    ];
    terms
        .iter()
        .map(|&(score, weight)| {
            debug_assert!(
                (0..=MAX_NODE_SCORE).contains(&score),
                "normalized score {score} out of range"
            );
            score * weight
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_weights_are_upstreams() {
        let w = ScoreWeights::DEFAULT;
        assert_eq!(
            (
                w.taint_toleration,
                w.node_affinity,
                w.node_resources_fit,
                w.pod_topology_spread,
                w.balanced_allocation
            ),
            (3, 2, 1, 2, 1)
        );
    }

    #[test]
    fn total_is_the_weighted_sum() {
        let scores = PluginScores {
            taint_toleration: 100,
            node_affinity: 50,
            node_resources_fit: 37,
            pod_topology_spread: 62,
            balanced_allocation: 87,
        };
        // 300 + 100 + 37 + 124 + 87.
        assert_eq!(weighted_total(&scores, &ScoreWeights::DEFAULT), 648);
        assert_eq!(
            weighted_total(&PluginScores::default(), &ScoreWeights::DEFAULT),
            0
        );
    }
}

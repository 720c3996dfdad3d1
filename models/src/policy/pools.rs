//! Sustained-threshold scaling of node pools, as a Dataproc autoscaling policy scales a
//! cluster's worker groups, and its cost-aware variant. Pure functions over the node
//! autoscaling view the model reads at each evaluation (`api::view`).
//!
//! Semantics, each with its source:
//! - **Conditions, steps, cooldown** are those of service threshold policies
//!   (`policy::threshold`, the same [`evaluate`](crate::policy::threshold::evaluate)): a
//!   condition counts once it has held at every evaluation for its `for`; scale up on any,
//!   down on all; a step of nodes or a percentage of the current nodes; Dataproc's
//!   `cooldownPeriod` (default 2 min) between scalings. The current count is the pools'
//!   target size: nodes registered or provisioning, not those being removed
//!   (`NodeGroup.TargetSize`).
//! - **Metrics** ([`measure`]) are YARN's view of the workers as Dataproc's autoscaler reads it
//!   (cloud.google.com/dataproc/docs/concepts/configuring-clusters/autoscaling, "How
//!   autoscaling works": pending and available memory): allocated over allocatable CPU or
//!   memory of the pools' Ready nodes, and the pods waiting for a node that one of the pools
//!   could take.
//! - **Weights** ([`distribute`]): a scaling's nodes go to the pools so that each pool's share
//!   of the workers approaches its weight (Dataproc `InstanceGroupAutoscalingPolicyConfig.weight`:
//!   "if primary workers have weight 2, and secondary workers have weight 1, the cluster will
//!   have approximately 2 primary workers for each secondary worker. The cluster may not reach
//!   the specified balance if constrained by min/max bounds"), one node at a time to the pool
//!   furthest below (or, removing, above) its share, ties to the pool listed first, each pool
//!   within its `min_nodes`..`max_nodes`.
//! - **Removal** ([`pick_removals`]): empty workers first, then the least allocated, newest
//!   first among equals, drained (their pods evicted and recreated elsewhere): Dataproc's
//!   `gracefulDecommissionTimeout` of 0, its default, which removes a busy worker at once.
//!   With a `graceful_decommission_timeout`, a busy worker is cordoned instead and removed
//!   once empty or at the timeout (`pool_model`).
//! - **Cost-aware** ([`CostAware`]; a sum or a rate per hour, `billing::Allowance`): the
//!   pools' cost so far is integrated at each evaluation
//!   from the nodes it sees (every node in the view, provisioning ones included, billed per
//!   second at its price until the next evaluation: minimum billing ignored, so a node living
//!   less than an evaluation interval is missed or counted once). Once the share of the
//!   budget left is at or below `low_share`, scale-ups add `step_factor` of their step and
//!   their nodes go `spot_share` to spot pools, whatever the weights: the platform keeps
//!   scaling, slower and cheaper, while the SLO is watched.

use crate::api::CapacityType;
use crate::api::{ClusterView, NodeView};
use crate::policy::config::{CostAware, PoolMetric, Step};

/// One pool of a policy as [`distribute`] sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Member {
    pub weight: f64,
    /// Nodes now (target size).
    pub size: u32,
    pub min: u32,
    pub max: u32,
}

/// How `change` nodes (positive: added, negative: removed) are spread over `members`: the
/// change per member. Each node goes to the member furthest below its weighted share of the
/// total after the node (furthest above, when removing), members at their bound skipped; the
/// change stops early when every member is at its bound.
pub fn distribute(change: i64, members: &[Member]) -> Vec<i64> {
    let mut sizes: Vec<i64> = members.iter().map(|m| i64::from(m.size)).collect();
    let weight_sum: f64 = members.iter().map(|m| m.weight).sum();
    let share = |i: usize| {
        if weight_sum > 0.0 {
            members[i].weight / weight_sum
        } else {
            1.0 / members.len() as f64
        }
    };
    let step = change.signum();
    for _ in 0..change.unsigned_abs() {
        let total = sizes.iter().sum::<i64>() + step;
        // Deficit (adding) or surplus (removing) of each member that can still move.
        let candidate = (0..members.len())
            .filter(|&i| {
                if step > 0 {
                    sizes[i] < i64::from(members[i].max)
                } else {
                    sizes[i] > i64::from(members[i].min)
                }
            })
            .map(|i| {
                let gap = share(i) * total as f64 - sizes[i] as f64;
                (i, if step > 0 { gap } else { -gap })
            })
            // The largest gap; the first listed on ties.
            .fold(None, |best: Option<(usize, f64)>, (i, g)| match best {
                Some((_, bg)) if bg >= g => best,
                _ => Some((i, g)),
            });
        let Some((i, _)) = candidate else { break };
        sizes[i] += step;
    }
    sizes
        .iter()
        .zip(members)
        .map(|(s, m)| s - i64::from(m.size))
        .collect()
}

/// The value of `metric` over the view's node groups (the policy's pools, one group each).
pub fn measure(view: &ClusterView, metric: PoolMetric) -> f64 {
    match metric {
        PoolMetric::PendingPods => view
            .pending
            .iter()
            .filter(|g| !g.fits.is_empty())
            .map(|g| f64::from(g.count))
            .sum(),
        PoolMetric::CpuAllocation | PoolMetric::MemoryAllocation => {
            let (mut requested, mut allocatable) = (0u64, 0u64);
            for n in view.nodes.iter().filter(|n| n.ready && !n.deleting) {
                let (r, a) = match metric {
                    PoolMetric::CpuAllocation => (n.requested.cpu_millis, n.allocatable.cpu_millis),
                    _ => (n.requested.memory_bytes, n.allocatable.memory_bytes),
                };
                requested += r;
                allocatable += a;
            }
            if allocatable == 0 {
                0.0
            } else {
                requested as f64 / allocatable as f64
            }
        }
    }
}

/// The vCPUs the pools' pods request: those on their registered nodes (not being removed) and
/// the pending ones one of them could take: a forecast's observation.
pub fn demand_vcpu(view: &ClusterView) -> f64 {
    let placed: u64 = view
        .nodes
        .iter()
        .filter(|n| !n.deleting)
        .map(|n| n.requested.cpu_millis)
        .sum();
    let pending: u64 = view
        .pending
        .iter()
        .filter(|g| !g.fits.is_empty())
        .map(|g| g.requests.cpu_millis * u64::from(g.count))
        .sum();
    (placed + pending) as f64 / 1000.0
}

/// The nodes a forecast of `vcpu` (headroom included) takes at `target_utilization` of nodes
/// of `vcpu_per_node` allocatable CPU, rounded up.
pub fn nodes_for(vcpu: f64, vcpu_per_node: f64, target_utilization: f64) -> u32 {
    // Less a billionth of a node before rounding up, so that a quotient that is whole on paper
    // (21 / (3 × 0.7) = 10) but not in binary (10.000000000000002) is not one node more.
    let nodes = (vcpu.max(0.0) / (vcpu_per_node * target_utilization) - 1e-9).ceil();
    nodes.clamp(0.0, f64::from(u32::MAX)) as u32
}

/// Up to `count` nodes of group `group` to remove: Ready, not already being removed, empty
/// first, then by utilization, the newest first among equals (then the highest id).
pub fn pick_removals(nodes: &[NodeView], group: u32, count: u32) -> Vec<u32> {
    let mut candidates: Vec<&NodeView> = nodes
        .iter()
        .filter(|n| n.group == group && n.ready && !n.deleting)
        .collect();
    candidates.sort_by(|a, b| {
        (!a.is_empty())
            .cmp(&!b.is_empty())
            .then(a.utilization().total_cmp(&b.utilization()))
            .then(b.created.cmp(&a.created))
            .then(b.id.cmp(&a.id))
    });
    candidates
        .into_iter()
        .take(count as usize)
        .map(|n| n.id)
        .collect()
}

/// The cost over `dt_s` seconds of the nodes in `view`: every listed node and every node still
/// provisioning, at its price.
pub fn cost_usd(view: &ClusterView, dt_s: f64) -> f64 {
    let listed: f64 = view.nodes.iter().map(|n| n.price_usd_per_hour).sum();
    let provisioning: f64 = view
        .node_groups
        .iter()
        .map(|g| g.price_usd_per_hour * g.provisioning.len() as f64)
        .sum();
    (listed + provisioning) * dt_s / 3600.0
}

/// Whether the budget is low: at most `low_share` of it (so far, for a rate) left after
/// spending `spent_usd`, `elapsed_s` into the run (`billing::Allowance::low`). A budget the
/// loader refused (neither or both amounts) is never low.
pub fn budget_low(budget: &CostAware, spent_usd: f64, elapsed_s: f64) -> bool {
    budget
        .allowance()
        .is_some_and(|a| a.low(spent_usd, elapsed_s, budget.low_share))
}

/// The scale-up step once the budget is low: `step_factor` of it, rounded up, at least one.
pub fn reduced_step(step: Step, factor: f64) -> Step {
    match step {
        Step::Pods(n) => Step::Pods(((n as f64 * factor).ceil() as i64).max(1)),
        Step::Nodes(n) => Step::Nodes(((n as f64 * factor).ceil() as i64).max(1)),
        Step::Percent(p) => Step::Percent(p * factor),
    }
}

/// Weights once the budget is low: `spot_share` over the spot pools, the rest over the
/// on-demand ones, each side split by the pools' own weights (all of it to one side when the
/// other has no pool).
pub fn budget_weights(budget: &CostAware, weights: &[(u32, CapacityType)]) -> Vec<f64> {
    let side = |t: CapacityType| -> u32 {
        weights
            .iter()
            .filter(|(_, c)| *c == t)
            .map(|(w, _)| w)
            .sum()
    };
    let (spot, on_demand) = (side(CapacityType::Spot), side(CapacityType::OnDemand));
    let share = |t: CapacityType| match (spot, on_demand) {
        (0, _) | (_, 0) => 1.0,
        _ if t == CapacityType::Spot => budget.spot_share,
        _ => 1.0 - budget.spot_share,
    };
    weights
        .iter()
        .map(|&(w, t)| {
            let total = if t == CapacityType::Spot {
                spot
            } else {
                on_demand
            };
            if total == 0 {
                0.0
            } else {
                share(t) * f64::from(w) / f64::from(total)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(weight: f64, size: u32, min: u32, max: u32) -> Member {
        Member {
            weight,
            size,
            min,
            max,
        }
    }

    #[test]
    fn weights_three_to_seven_fill_as_dataproc_describes() {
        // Primary weight 3 (2..=3 nodes), secondary 7 (0..=7), from 2 + 0. Adding 8: each node
        // to the largest gap share·total − size, total counting the node. Node k (total 2+k)
        // with every node so far secondary: p 0.3(2+k) − 2, s 0.7(2+k) − (k−1); the primary's
        // gap is larger first at k = 7 (0.7 vs 0.3), then it is at its max of 3 and node 8 goes
        // to the secondary: 2+0 → 3+7.
        assert_eq!(
            distribute(8, &[m(3.0, 2, 2, 3), m(7.0, 0, 0, 7)]),
            vec![1, 7]
        );
        // Removing 4 from 3+7: surplus size − share·(total−1): total 9: p 3−2.7 = 0.3,
        // s 7−6.3 = 0.7 → s; total 8: p 3−2.4 = 0.6, s 6−5.6 = 0.4 → p (3 → 2, its minimum);
        // then only the secondary can shrink: 6 → 4. So −1 and −3.
        assert_eq!(
            distribute(-4, &[m(3.0, 3, 2, 3), m(7.0, 7, 0, 7)]),
            vec![-1, -3]
        );
    }

    #[test]
    fn a_forecast_of_vcpus_becomes_nodes_at_the_target_utilization() {
        // 20 vCPUs at 70 % of 3-vCPU nodes: 20 / 2.1 = 9.52 → 10 nodes; exactly 21 → 10 (in
        // binary 3 × 0.7 is 2.0999999999999996 and 21 / it a hair over 10).
        assert_eq!(nodes_for(20.0, 3.0, 0.7), 10);
        assert_eq!(nodes_for(21.0, 3.0, 0.7), 10);
        assert_eq!(nodes_for(-1.0, 3.0, 0.7), 0);
    }

    #[test]
    fn a_change_stops_at_the_bounds() {
        assert_eq!(distribute(5, &[m(1.0, 2, 0, 3)]), vec![1]);
        assert_eq!(distribute(-5, &[m(1.0, 2, 1, 3)]), vec![-1]);
        assert_eq!(distribute(0, &[m(1.0, 2, 1, 3)]), vec![0]);
    }

    #[test]
    fn a_low_budget_sends_ninety_percent_of_new_nodes_to_spot() {
        let b = CostAware {
            budget_usd: Some(100.0),
            budget_usd_per_hour: None,
            low_share: 0.3,
            step_factor: 0.6,
            spot_share: 0.9,
        };
        let w = budget_weights(&b, &[(3, CapacityType::OnDemand), (7, CapacityType::Spot)]);
        assert!((w[0] - 0.1).abs() < 1e-12 && (w[1] - 0.9).abs() < 1e-12);
        // Ten new nodes from 0 + 0, by 0.1/0.9: node k with every node so far spot: on-demand
        // gap 0.1k, spot 0.9k − (k−1); on-demand first wins at k = 6 (0.6 vs 0.4), and never
        // again up to 10 (node 10: 1.0 − 1 vs 9.0 − 8): 1 on-demand, 9 spot.
        let members = [m(w[0], 0, 0, 20), m(w[1], 0, 0, 20)];
        assert_eq!(distribute(10, &members), vec![1, 9]);
        // 70 % spent: 30 % left, at the threshold, low; 69 % spent: not.
        assert!(budget_low(&b, 70.0, 60.0));
        assert!(!budget_low(&b, 69.0, 60.0));
        // As a rate of $100 an hour, 30 min in: $35 spent is 30 % of the $50 so far left.
        let rate = CostAware {
            budget_usd: None,
            budget_usd_per_hour: Some(100.0),
            ..b.clone()
        };
        assert!(budget_low(&rate, 35.0, 1800.0) && !budget_low(&rate, 34.0, 1800.0));
        // A step of 2 nodes × 0.6 = 1.2 → 2; of 1 → 1; 50 % → 30 %.
        assert_eq!(reduced_step(Step::Nodes(2), 0.6), Step::Nodes(2));
        assert_eq!(reduced_step(Step::Nodes(5), 0.6), Step::Nodes(3));
        assert_eq!(reduced_step(Step::Percent(50.0), 0.6), Step::Percent(30.0));
    }
}

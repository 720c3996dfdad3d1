//! Karpenter's voluntary disruption: expiration, emptiness, multi-node and single-node
//! consolidation under disruption budgets.
//!
//! Sources (`kubernetes-sigs/karpenter` commit `2266468104f36373ed002241afaee2d3bbc26078`,
//! `pkg/controllers/disruption/`):
//! * `controller.go` — methods tried in order (emptiness, drift, multi-node, single-node); the
//!   first that yields a command ends the pass. Drift is not modelled (pools do not change).
//! * `helpers.go BuildDisruptionBudgetMapping` — per pool, `allowed − disrupting` (never
//!   below 0), where nodes counted are the initialized (ready) ones and disrupting are those
//!   being deleted; `allowed` is the minimum over the pool's budgets
//!   ([`Budget::allowed`](crate::autoscaler::config::Budget::allowed), percentages rounded up).
//! * Candidates (`types.go NewCandidate`, `consolidation.go ShouldDisrupt`): ready, not being
//!   deleted, no pod that blocks (`do-not-disrupt`, PDB), `consolidateAfter` set (not `Never`)
//!   and elapsed since the last pod change on the node; `WhenEmpty` pools only offer empty
//!   nodes.
//! * `emptiness.go` — empty candidates deleted, as many as the budgets allow.
//! * `consolidation.go computeConsolidation` — the candidates' pods are simulated onto the
//!   other initialized nodes and new claims (`helpers.go SimulateScheduling`: a pod that
//!   would schedule against a node not yet initialized, an in-flight NodeClaim, fails the
//!   command): all must schedule; no claim ⇒ delete; more than one ⇒ no;
//!   one ⇒ replace with a type strictly cheaper than the candidates' summed price
//!   (`RemoveInstanceTypeOptionsByPriceAndMinValues`), on spot when the claim allows both
//!   capacity types. All-spot candidates need the `SpotToSpotConsolidation` gate (off by
//!   default) and at least 15 cheaper spot types (`MinInstanceTypesForSpotToSpotConsolidation`).
//! * `multinodeconsolidation.go` — candidates sorted by disruption cost, at most 100; binary
//!   search for the longest prefix (at least 2) that consolidates, a replacement also cheaper
//!   than any candidate of the same type (`filterOutSameInstanceType`).
//! * `singlenodeconsolidation.go` — candidates by disruption cost, the first that consolidates.
//! * `pkg/utils/disruption/disruption.go` — per pod `clamp(1 + priority/2^25, −10, 10)`
//!   (deletion cost annotations not modelled), summed, times the node's remaining lifetime
//!   fraction `clamp((expireAfter − age)/expireAfter, 0, 1)`.
//! * A command is validated again after 15 s (`commandValidationDelay`): here it is stored and
//!   executed by the first [`Karpenter::disrupt`] at or after that time that computes the same
//!   command again.
//! * Expiration (`nodeclaim/expiration`): nodes older than `expireAfter` are deleted, not
//!   budgeted.

use sim::time::{SimDuration, SimTime};

use super::provisioning::{Choice, Outcome};
use super::{Karpenter, KarpenterAction, capacity_label};
use crate::api::{CapacityType, KarpenterView, NodeView, PodGroup};
use crate::autoscaler::config::ConsolidationPolicy;

/// `commandValidationDelay`.
pub const COMMAND_VALIDATION_DELAY: SimDuration = SimDuration::from_secs(15);
/// `MinInstanceTypesForSpotToSpotConsolidation`.
pub const MIN_SPOT_TO_SPOT_TYPES: usize = 15;
/// Candidates a multi-node consolidation considers at most.
pub const MAX_MULTI_NODE_CANDIDATES: usize = 100;

/// A decided consolidation: delete nodes (ids), or replace them by one launch.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    pub method: &'static str,
    pub nodes: Vec<u32>,
    pub replacement: Option<Choice>,
    pub pool: usize,
    pub savings_usd_per_hour: f64,
}

impl Karpenter {
    /// One disruption poll: expired nodes, then the first consolidation method with a command.
    pub fn disrupt(&mut self, now: SimTime, view: &KarpenterView) -> Vec<KarpenterAction> {
        let mut actions = Vec::new();
        let mut expired: Vec<u32> = Vec::new();
        for node in view.nodes.iter().filter(|n| !n.deleting) {
            let Some(spec) = self.config.node_pools.get(node.group as usize) else {
                continue;
            };
            if let Some(ttl) = spec.expire_after.0
                && now.saturating_duration_since(node.created) >= ttl
            {
                expired.push(node.id);
            }
        }
        if !expired.is_empty() {
            actions.push(KarpenterAction::Delete {
                reason: format!("expired: {} node(s) older than expireAfter", expired.len()),
                nodes: expired.clone(),
            });
        }
        let command = self.compute_command(now, view, &expired);
        match (command, self.pending_command.take()) {
            (Some(cmd), Some((due, pending))) if pending == cmd && now >= due => {
                actions.push(self.to_action(&cmd, view));
            }
            (Some(cmd), Some((due, pending))) if pending == cmd => {
                self.pending_command = Some((due, pending));
            }
            (Some(cmd), _) => {
                self.pending_command = Some((now + COMMAND_VALIDATION_DELAY, cmd));
            }
            (None, _) => {}
        }
        actions
    }

    fn budgets(&self, view: &KarpenterView) -> Vec<u32> {
        self.config
            .node_pools
            .iter()
            .enumerate()
            .map(|(p, spec)| {
                let in_pool = view
                    .nodes
                    .iter()
                    .filter(|n| n.group as usize == p && n.ready);
                let nodes = in_pool.clone().count() as u32;
                let disrupting = in_pool.filter(|n| n.deleting).count() as u32;
                let allowed = spec
                    .disruption
                    .budgets
                    .iter()
                    .filter_map(|b| b.allowed(nodes).ok())
                    .min()
                    .unwrap_or(u32::MAX);
                allowed.saturating_sub(disrupting)
            })
            .collect()
    }

    fn is_candidate(&self, now: SimTime, node: &NodeView, expired: &[u32]) -> bool {
        let Some(spec) = self.config.node_pools.get(node.group as usize) else {
            return false;
        };
        let Some(after) = spec.disruption.consolidate_after.0 else {
            return false;
        };
        node.ready
            && !node.deleting
            && !expired.contains(&node.id)
            && node.blockers.karpenter_reason().is_none()
            && now.saturating_duration_since(node.last_pod_change) >= after
    }

    fn disruption_cost(&self, now: SimTime, node: &NodeView) -> f64 {
        let pods: f64 = node
            .pods
            .iter()
            .map(|g| {
                let each = (1.0 + f64::from(g.priority) / f64::from(1u32 << 25)).clamp(-10.0, 10.0);
                each * f64::from(g.count)
            })
            .sum();
        let lifetime = match self.config.node_pools[node.group as usize].expire_after.0 {
            Some(ttl) if !ttl.is_zero() => {
                let age = now.saturating_duration_since(node.created).as_secs_f64();
                ((ttl.as_secs_f64() - age) / ttl.as_secs_f64()).clamp(0.0, 1.0)
            }
            _ => 1.0,
        };
        pods * lifetime
    }

    fn compute_command(
        &self,
        now: SimTime,
        view: &KarpenterView,
        expired: &[u32],
    ) -> Option<Command> {
        let mut budget = self.budgets(view);
        let candidates: Vec<usize> = (0..view.nodes.len())
            .filter(|&i| self.is_candidate(now, &view.nodes[i], expired))
            .collect();

        // Emptiness.
        let mut empty: Vec<u32> = Vec::new();
        let mut savings = 0.0;
        for &i in &candidates {
            let node = &view.nodes[i];
            let b = &mut budget[node.group as usize];
            if node.is_empty() && *b > 0 {
                *b -= 1;
                empty.push(node.id);
                savings += node.price_usd_per_hour;
            }
        }
        if !empty.is_empty() {
            return Some(Command {
                method: "empty",
                nodes: empty,
                replacement: None,
                pool: 0,
                savings_usd_per_hour: savings,
            });
        }

        // Underutilized: non-empty candidates of WhenEmptyOrUnderutilized pools, by cost.
        let mut underutilized: Vec<usize> = candidates
            .into_iter()
            .filter(|&i| {
                let n = &view.nodes[i];
                !n.is_empty()
                    && self.config.node_pools[n.group as usize]
                        .disruption
                        .consolidation_policy
                        == ConsolidationPolicy::WhenEmptyOrUnderutilized
            })
            .collect();
        underutilized.sort_by(|&a, &b| {
            self.disruption_cost(now, &view.nodes[a])
                .total_cmp(&self.disruption_cost(now, &view.nodes[b]))
                .then(view.nodes[a].id.cmp(&view.nodes[b].id))
        });

        // Multi-node: budget-limited prefix, binary search on its length.
        let mut multi: Vec<usize> = Vec::new();
        let mut multi_budget = budget.clone();
        for &i in &underutilized {
            let b = &mut multi_budget[view.nodes[i].group as usize];
            if *b > 0 {
                *b -= 1;
                multi.push(i);
            }
        }
        multi.truncate(MAX_MULTI_NODE_CANDIDATES);
        if multi.len() >= 2 {
            let (mut lo, mut hi) = (1usize, multi.len() - 1);
            let mut best = None;
            while lo <= hi {
                let mid = (lo + hi) / 2;
                match self.consolidate(view, &multi[..=mid], true) {
                    Some(cmd) => {
                        best = Some(cmd);
                        lo = mid + 1;
                    }
                    None => hi = mid - 1,
                }
            }
            if best.is_some() {
                return best;
            }
        }

        // Single-node.
        underutilized
            .iter()
            .filter(|&&i| budget[view.nodes[i].group as usize] > 0)
            .find_map(|&i| self.consolidate(view, &[i], false))
    }

    /// `computeConsolidation` for these candidates (indices into the view).
    fn consolidate(
        &self,
        view: &KarpenterView,
        candidates: &[usize],
        multi: bool,
    ) -> Option<Command> {
        // Only initialized (ready) nodes take the candidates' pods: upstream refuses a command
        // whose pods "would schedule against uninitialized nodeclaim" (`SimulateScheduling`),
        // whose room the pending pods it was launched for will take.
        let usable: Vec<bool> = (0..view.nodes.len())
            .map(|i| {
                let node = &view.nodes[i];
                node.ready && !node.deleting && !candidates.contains(&i)
            })
            .collect();
        let pods: Vec<PodGroup> = candidates
            .iter()
            .flat_map(|&i| view.nodes[i].pods.iter().cloned())
            .collect();
        let mut remaining = self.remaining(view);
        let sim = self.simulation();
        let Outcome {
            claims,
            unscheduled,
        } = sim.run(&pods, &view.nodes, &usable, &mut remaining);
        if unscheduled > 0 || claims.len() > 1 {
            return None;
        }
        let price: f64 = candidates
            .iter()
            .map(|&i| view.nodes[i].price_usd_per_hour)
            .sum();
        let nodes: Vec<u32> = candidates.iter().map(|&i| view.nodes[i].id).collect();
        let method = if multi { "multi-node" } else { "single-node" };
        let Some(claim) = claims.first() else {
            return Some(Command {
                method,
                nodes,
                replacement: None,
                pool: 0,
                savings_usd_per_hour: price,
            });
        };
        let pool = &self.pools[claim.pool];
        let all_spot = candidates
            .iter()
            .all(|&i| view.nodes[i].capacity_type == CapacityType::Spot);
        let mut cap = price;
        if multi {
            // `filterOutSameInstanceType`: cheaper than any candidate whose type is an option.
            for &i in candidates {
                let n = &view.nodes[i];
                if claim
                    .options
                    .iter()
                    .any(|&o| self.instances[o].instance_type == view.names.instance_type(n))
                {
                    cap = cap.min(n.price_usd_per_hour);
                }
            }
        }
        let cheaper: Vec<usize> = claim
            .options
            .iter()
            .copied()
            .filter(|&o| pool.price(&self.instances[o]).is_some_and(|p| p < cap))
            .collect();
        let choice = if all_spot && pool.spot {
            if !self.config.spot_to_spot_consolidation {
                return None;
            }
            let spot: Vec<usize> = cheaper
                .iter()
                .copied()
                .filter(|&o| self.instances[o].spot_usd_per_hour.is_some_and(|p| p < cap))
                .collect();
            if spot.len() < MIN_SPOT_TO_SPOT_TYPES {
                return None;
            }
            sim.choose(claim.pool, &spot, true)?
        } else {
            sim.choose(claim.pool, &cheaper, pool.spot && pool.on_demand)?
        };
        (choice.price_usd_per_hour < cap).then_some(Command {
            method,
            nodes,
            replacement: Some(choice),
            pool: claim.pool,
            savings_usd_per_hour: price - choice.price_usd_per_hour,
        })
    }

    fn to_action(&self, cmd: &Command, view: &KarpenterView) -> KarpenterAction {
        let count = cmd.nodes.len();
        match cmd.replacement {
            None => KarpenterAction::Delete {
                nodes: cmd.nodes.clone(),
                reason: format!(
                    "consolidation ({}): delete {count} node(s), their pods fit elsewhere; \
                     saves {:.4} USD/h",
                    cmd.method, cmd.savings_usd_per_hour
                ),
            },
            Some(choice) => {
                let it = &self.instances[choice.instance];
                let zone = super::provisioning::zone_for(
                    &self.pools[cmd.pool],
                    cmd.pool as u32,
                    view,
                    &[],
                );
                KarpenterAction::Replace {
                    nodes: cmd.nodes.clone(),
                    pool: cmd.pool as u32,
                    instance_type: it.instance_type.clone(),
                    capacity_type: choice.capacity_type,
                    zone,
                    reason: format!(
                        "consolidation ({}): replace {count} node(s) by one {} {} at {:.4} \
                         USD/h; saves {:.4} USD/h",
                        cmd.method,
                        it.instance_type,
                        capacity_label(choice.capacity_type),
                        choice.price_usd_per_hour,
                        cmd.savings_usd_per_hour
                    ),
                }
            }
        }
    }
}

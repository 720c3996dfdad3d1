//! The cost book: what each pool's nodes cost (per second, with the minimum billed of
//! `crate::billing`), how it is shared among namespaces by the CPU their pods request, and the
//! run's spend so far, which cost-aware policies read at every evaluation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sim::time::SimDuration;

use crate::api::PoolSample;
use crate::billing;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct CostBook {
    minimum_billed: SimDuration,
    /// Requested CPU per (pool, namespace), kept at every bind and unbind.
    pool_namespace_cpu: BTreeMap<(u32, u32), u64>,
    /// Cost of each pool at the previous sample.
    pool_cost_at_sample: Vec<f64>,
    /// Each namespace's share of all costs so far; the last entry is `api::UNREQUESTED`.
    namespace_cost_usd: Vec<f64>,
    /// Summed prices of the nodes not yet removed, provisioning ones included.
    live_usd_per_hour: f64,
    /// Σ price × creation instant (s) over those nodes: their cost so far is
    /// `(now × live_usd_per_hour − live_price_seconds) / 3600`, so the spend is O(1) to read.
    live_price_seconds: f64,
    /// What removed nodes cost, as billed.
    removed_usd: f64,
}

impl CostBook {
    pub(super) fn new(minimum_billed: SimDuration, pools: usize, namespaces: usize) -> Self {
        CostBook {
            minimum_billed,
            pool_namespace_cpu: BTreeMap::new(),
            pool_cost_at_sample: vec![0.0; pools],
            namespace_cost_usd: vec![0.0; namespaces + 1],
            live_usd_per_hour: 0.0,
            live_price_seconds: 0.0,
            removed_usd: 0.0,
        }
    }

    /// A node at `price_usd_per_hour` was created (launched or there from the start).
    pub(super) fn node_created(&mut self, price_usd_per_hour: f64, created_ns: u64) {
        self.live_usd_per_hour += price_usd_per_hour;
        self.live_price_seconds += price_usd_per_hour * created_ns as f64 / 1e9;
    }

    /// That node was removed at `removed_ns`: from now on it counts as billed.
    pub(super) fn node_removed(
        &mut self,
        price_usd_per_hour: f64,
        created_ns: u64,
        removed_ns: u64,
    ) {
        self.live_usd_per_hour -= price_usd_per_hour;
        self.live_price_seconds -= price_usd_per_hour * created_ns as f64 / 1e9;
        let lifetime = SimDuration::from_nanos(removed_ns.saturating_sub(created_ns));
        self.removed_usd += self.node_cost_usd(lifetime, price_usd_per_hour);
    }

    /// The run's spend at `now_ns`: removed nodes as billed, the others for the time they have
    /// existed (provisioning included, as the providers bill from launch), without the minimum
    /// billed, which they pay only if removed before it. The pools' `cost_usd` at the end of
    /// the run counts the minimum for every node; this figure differs by at most a minute's
    /// price of the nodes younger than it.
    pub(super) fn spent_usd(&self, now_ns: u64) -> f64 {
        let live =
            (now_ns as f64 / 1e9 * self.live_usd_per_hour - self.live_price_seconds) / 3600.0;
        self.removed_usd + live.max(0.0)
    }

    /// What a node that lived `lifetime` costs at `price_usd_per_hour`.
    pub(super) fn node_cost_usd(&self, lifetime: SimDuration, price_usd_per_hour: f64) -> f64 {
        billing::node_cost_usd(lifetime, self.minimum_billed, price_usd_per_hour)
    }

    /// A pod of namespace `ns` requesting `cpu_millis` was bound in `pool`.
    pub(super) fn bound(&mut self, pool: u32, ns: u32, cpu_millis: u64) {
        *self.pool_namespace_cpu.entry((pool, ns)).or_default() += cpu_millis;
    }

    /// That pod left its node.
    pub(super) fn unbound(&mut self, pool: u32, ns: u32, cpu_millis: u64) {
        if let Some(requested) = self.pool_namespace_cpu.get_mut(&(pool, ns)) {
            *requested -= cpu_millis;
        }
    }

    /// Splits what each pool cost since the previous sample among namespaces by their share of
    /// the pool's allocatable CPU requested at this sample; the unrequested share is charged to
    /// `api::UNREQUESTED`. Exact while requests are steady between samples; otherwise a
    /// sample-interval approximation.
    pub(super) fn charge(&mut self, pools: &[PoolSample]) {
        let idle = self.namespace_cost_usd.len() - 1;
        for (p, figures) in pools.iter().enumerate() {
            let cost = figures.cost_usd - self.pool_cost_at_sample[p];
            self.pool_cost_at_sample[p] = figures.cost_usd;
            let allocatable = figures.allocatable_cpu_millis;
            let mut charged = 0.0;
            if allocatable > 0 {
                for (&(pool, ns), &cpu) in self
                    .pool_namespace_cpu
                    .range((p as u32, 0)..=(p as u32, u32::MAX))
                {
                    debug_assert_eq!(pool as usize, p);
                    let share = cost * cpu as f64 / allocatable as f64;
                    self.namespace_cost_usd[ns as usize] += share;
                    charged += share;
                }
            }
            self.namespace_cost_usd[idle] += cost - charged;
        }
    }

    /// Each namespace's costs so far, then the unrequested capacity's.
    pub(super) fn namespace_costs_usd(&self) -> &[f64] {
        &self.namespace_cost_usd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    #[test]
    fn the_spend_counts_live_nodes_for_their_time_and_removed_ones_as_billed() {
        let mut book = CostBook::new(SimDuration::from_secs(60), 1, 0);
        // $3.60/h = $0.001/s from t = 0; $7.20/h = $0.002/s from t = 100 s.
        book.node_created(3.6, 0);
        book.node_created(7.2, 100 * S);
        // At 400 s: 400 × 0.001 + 300 × 0.002.
        assert!((book.spent_usd(400 * S) - 1.0).abs() < 1e-12);
        // The second lived 30 s: billed the 60 s minimum, $0.12; the first keeps running.
        let mut short = CostBook::new(SimDuration::from_secs(60), 1, 0);
        short.node_created(3.6, 0);
        short.node_created(7.2, 100 * S);
        short.node_removed(7.2, 100 * S, 130 * S);
        assert!((short.spent_usd(400 * S) - (0.4 + 0.12)).abs() < 1e-12);
        // Before a node's creation instant nothing is spent on it (never negative).
        assert_eq!(CostBook::new(SimDuration::ZERO, 1, 0).spent_usd(0), 0.0);
    }
}

//! The cost book: what each pool's nodes cost (per second, with the minimum billed of
//! `crate::billing`) and how it is shared among namespaces by the CPU their pods request.

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
}

impl CostBook {
    pub(super) fn new(minimum_billed: SimDuration, pools: usize, namespaces: usize) -> Self {
        CostBook {
            minimum_billed,
            pool_namespace_cpu: BTreeMap::new(),
            pool_cost_at_sample: vec![0.0; pools],
            namespace_cost_usd: vec![0.0; namespaces + 1],
        }
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

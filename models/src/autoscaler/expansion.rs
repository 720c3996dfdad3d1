//! Karpenter NodePools as cluster pools. A NodePool launches many instance types; the
//! `Cluster` places pods on pools of one instance type and one capacity type each, fixed when
//! the run is built. So before the run each NodePool becomes one cluster pool (0 nodes) per
//! (instance type, capacity type) Karpenter could ever launch, and a launch decision maps to
//! a pool id.
//!
//! Which types Karpenter could ever launch: it launches the cheapest type of a claim that fits
//! the claim's pods (`provisioning.rs`, `Simulation::choose`: cheapest on spot when allowed,
//! else on-demand, ties to the first in catalog order). A type `a` is *dominated* for a
//! capacity type when another allowed type `b` has at least its vCPUs, memory (hence at
//! least its allocatable: the reservation tiers of `crate::allocatable` grow slower than
//! capacity) and GPUs (`crate::gpu`: a GPU pod fits only a type with enough of them, so an
//! `n2-standard-4` never stands in for a `g2-standard-4`) and a lower price, or the same
//! price and an earlier catalog row. Whenever `a` fits, `b` fits too and is chosen first, so
//! `a` is never launched: only the undominated types (the price/size Pareto frontier) of
//! each allowed capacity type are expanded, and Karpenter is told to choose among their
//! union, which leaves every choice unchanged (the consolidation choices among "cheaper than
//! the candidates" sets too: those sets are closed under domination). Two approximations: a
//! NodePool's `limits` could refuse a bigger dominating type where a smaller dominated one
//! would still fit; and spot-to-spot consolidation counts at least 15 cheaper spot types
//! (`MIN_SPOT_TO_SPOT_TYPES`) among the frontier only, so it happens less often than
//! upstream's.
//!
//! Bound: [`MAX_EXPANDED_POOLS`] per region. Placement scans every node group (pool × zone)
//! a pod admits, empty ones included (an O(1) check each), so a region's groups are the
//! per-pod cost; an unconstrained on-demand NodePool on GCP `us-central1` expands into 114
//! pools (101 of them without a GPU), with spot allowed too into about 200. Beyond the bound
//! the loader asks for narrower requirements (`instance_families`, `instance_types`).

use std::collections::BTreeSet;

use sim::time::SimDuration;

use crate::api::{CapacityType, PoolTemplate, Shape};
use crate::autoscaler::config::{ConfigError, KarpenterConfig};
use crate::autoscaler::karpenter::capacity_label;
use crate::autoscaler::karpenter::provisioning::instance_family;
use crate::catalog::InstanceFacts;
use crate::gpu::gpus_of;
use crate::plan::PoolPlan;

/// Most cluster pools the NodePools of one region expand into.
pub const MAX_EXPANDED_POOLS: usize = 128;

/// One expanded pool: what Karpenter launches into it.
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchTarget {
    pub node_pool: u32,
    pub instance_type: String,
    pub capacity_type: CapacityType,
    /// The cluster pool id.
    pub pool: u32,
    /// The pool's zones; a launch names one of them.
    pub zones: Vec<String>,
}

/// The NodePools of one region, expanded.
#[derive(Debug, Clone, PartialEq)]
pub struct Expansion {
    /// Pools to append to the cluster plan; the first gets id `first_pool`.
    pub pools: Vec<PoolPlan>,
    /// The same pools as node-group members (group = NodePool index).
    pub templates: Vec<PoolTemplate>,
    pub targets: Vec<LaunchTarget>,
    /// The config Karpenter runs with: each NodePool's `instance_types` narrowed to its
    /// undominated types.
    pub config: KarpenterConfig,
    /// The catalog rows of those types, in catalog order.
    pub instances: Vec<InstanceFacts>,
}

/// The capacity of an instance type, as the autoscaler views count it.
pub fn capacity_of(facts: &InstanceFacts) -> Shape {
    Shape::new(u64::from(facts.vcpu) * 1000, facts.memory_bytes)
        .with_gpus(gpus_of(&facts.instance_type))
}

/// The price of `facts` on `capacity_type`, if it is offered.
fn price(facts: &InstanceFacts, capacity_type: CapacityType) -> Option<f64> {
    match capacity_type {
        CapacityType::OnDemand => Some(facts.ondemand_usd_per_hour),
        CapacityType::Spot => facts.spot_usd_per_hour,
    }
}

/// Indices into `rows` of the undominated types among `allowed` on `capacity_type`.
fn frontier(rows: &[InstanceFacts], allowed: &[usize], capacity_type: CapacityType) -> Vec<usize> {
    let priced: Vec<(usize, f64)> = allowed
        .iter()
        .filter_map(|&i| price(&rows[i], capacity_type).map(|p| (i, p)))
        .collect();
    priced
        .iter()
        .filter(|&&(a, pa)| {
            !priced.iter().any(|&(b, pb)| {
                b != a
                    && rows[b].vcpu >= rows[a].vcpu
                    && rows[b].memory_bytes >= rows[a].memory_bytes
                    && gpus_of(&rows[b].instance_type) >= gpus_of(&rows[a].instance_type)
                    && (pb < pa || (pb == pa && b < a))
            })
        })
        .map(|&(a, _)| a)
        .collect()
}

/// Expands a validated Karpenter config for `region` (its catalog `rows`, in catalog order, and
/// its `zones`). Pools are named `<NodePool>-<instance type>-<on-demand|spot>` and start at
/// id `first_pool`. Errors name the field, as [`KarpenterConfig::validate`]'s do.
pub fn expand(
    config: &KarpenterConfig,
    region: &str,
    zones: &[String],
    rows: &[InstanceFacts],
    first_pool: u32,
    provisioning_delay: SimDuration,
) -> Result<Expansion, ConfigError> {
    // Checks names of types, families and zones against the region.
    crate::autoscaler::karpenter::Karpenter::new(config.clone(), rows, zones)?;
    let mut narrowed = config.clone();
    let mut pools = Vec::new();
    let mut templates = Vec::new();
    let mut targets = Vec::new();
    let mut kept_rows: BTreeSet<usize> = BTreeSet::new();
    for (p, spec) in config.node_pools.iter().enumerate() {
        let req = &spec.requirements;
        let allowed: Vec<usize> = (0..rows.len())
            .filter(|&i| {
                let it = &rows[i].instance_type;
                req.instance_types.as_ref().is_none_or(|t| t.contains(it))
                    && req
                        .instance_families
                        .as_ref()
                        .is_none_or(|f| f.iter().any(|f| f == instance_family(it)))
            })
            .collect();
        let pool_zones = req.zones.clone().unwrap_or_else(|| zones.to_vec());
        let mut union: BTreeSet<usize> = BTreeSet::new();
        for capacity_type in [CapacityType::OnDemand, CapacityType::Spot] {
            if !req.capacity_types.contains(&capacity_type) {
                continue;
            }
            for i in frontier(rows, &allowed, capacity_type) {
                union.insert(i);
                let facts = &rows[i];
                let id = first_pool + pools.len() as u32;
                let name = format!(
                    "{}-{}-{}",
                    spec.name,
                    facts.instance_type,
                    capacity_label(capacity_type)
                );
                pools.push(PoolPlan {
                    name,
                    region: region.to_owned(),
                    zones: pool_zones.clone(),
                    instance: facts.clone(),
                    capacity_type,
                    nodes: 0,
                    min_nodes: 0,
                    max_nodes: None,
                    provisioning_delay,
                    labels: Default::default(),
                    taints: Vec::new(),
                    reservation: Default::default(),
                });
                templates.push(PoolTemplate {
                    pool: id,
                    group: p as u32,
                    instance_type: facts.instance_type.as_str().into(),
                    capacity: capacity_of(facts),
                });
                targets.push(LaunchTarget {
                    node_pool: p as u32,
                    instance_type: facts.instance_type.clone(),
                    capacity_type,
                    pool: id,
                    zones: pool_zones.clone(),
                });
            }
        }
        if pools.len() > MAX_EXPANDED_POOLS {
            return Err(ConfigError {
                path: format!("node_pools[{p}].requirements"),
                message: format!(
                    "the NodePools of {region} allow {}+ instance types worth launching \
                     (one simulated pool each), more than the limit of {MAX_EXPANDED_POOLS}: \
                     narrow them with `instance_families` or `instance_types`",
                    pools.len()
                ),
            });
        }
        narrowed.node_pools[p].requirements.instance_types = Some(
            union
                .iter()
                .map(|&i| rows[i].instance_type.clone())
                .collect(),
        );
        kept_rows.extend(union);
    }
    Ok(Expansion {
        pools,
        templates,
        targets,
        config: narrowed,
        instances: kept_rows.into_iter().map(|i| rows[i].clone()).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autoscaler::config::{NodePoolSpec, Requirements};

    const GIB: u64 = 1 << 30;

    fn row(t: &str, vcpu: u32, gib: u64, od: f64, spot: Option<f64>) -> InstanceFacts {
        InstanceFacts {
            instance_type: t.to_owned(),
            region: "r".to_owned(),
            vcpu,
            memory_bytes: gib * GIB,
            ondemand_usd_per_hour: od,
            spot_usd_per_hour: spot,
            interruption_band: None,
        }
    }

    fn config(capacity_types: Vec<CapacityType>) -> KarpenterConfig {
        let mut pool: NodePoolSpec =
            serde_json::from_str(r#"{"name": "np"}"#).expect("minimal pool parses");
        pool.requirements = Requirements {
            capacity_types,
            ..Requirements::default()
        };
        serde_json::from_value(serde_json::json!({"node_pools": []}))
            .map(|mut c: KarpenterConfig| {
                c.node_pools = vec![pool];
                c
            })
            .expect("minimal config parses")
    }

    #[test]
    fn a_gpu_type_is_dominated_only_by_a_type_with_as_many_gpus() {
        // us-east1 on-demand prices: by vCPUs, memory and price n2-standard-4 (0.19) and -8
        // (0.39) dominate g2-standard-4 (0.71, one L4) and n2-standard-8 dominates
        // g2-standard-8 (0.85, one L4); but neither n2 has a GPU, so every type stays, and
        // g2-standard-8 is not dominated by the cheaper g2-standard-4 either (smaller).
        let rows = vec![
            row("n2-standard-4", 4, 16, 0.194236, None),
            row("g2-standard-4", 4, 16, 0.706832255, None),
            row("n2-standard-8", 8, 32, 0.388472, None),
            row("g2-standard-8", 8, 32, 0.853624271, None),
        ];
        let x = expand(
            &config(vec![CapacityType::OnDemand]),
            "r",
            &["z".to_owned()],
            &rows,
            0,
            SimDuration::from_secs(60),
        )
        .expect("valid");
        let names: Vec<&str> = x.pools.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "np-n2-standard-4-on-demand",
                "np-g2-standard-4-on-demand",
                "np-n2-standard-8-on-demand",
                "np-g2-standard-8-on-demand"
            ]
        );
    }

    #[test]
    fn only_undominated_types_become_pools() {
        // On demand: a-2 (2 vCPU, 8 GiB, 0.10) is dominated by b-2 (same size, 0.09) and
        // c-4 (4, 16, 0.30) by d-8 (8, 32, 0.25); e-2 (2, 4, 0.05) is the cheapest and stays.
        // On spot: a-2 (0.02) dominates b-2 (same size, 0.03) and e-2 (smaller, 0.04); c-4
        // (0.10) is bigger than any cheaper spot type and stays; d-8 has no spot price.
        let rows = vec![
            row("a-2", 2, 8, 0.10, Some(0.02)),
            row("b-2", 2, 8, 0.09, Some(0.03)),
            row("c-4", 4, 16, 0.30, Some(0.10)),
            row("d-8", 8, 32, 0.25, None),
            row("e-2", 2, 4, 0.05, Some(0.04)),
        ];
        let zones = vec!["z".to_owned()];
        let x = expand(
            &config(vec![CapacityType::OnDemand, CapacityType::Spot]),
            "r",
            &zones,
            &rows,
            3,
            SimDuration::from_secs(60),
        )
        .expect("valid");
        let names: Vec<&str> = x.pools.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "np-b-2-on-demand",
                "np-d-8-on-demand",
                "np-e-2-on-demand",
                "np-a-2-spot",
                "np-c-4-spot"
            ]
        );
        assert_eq!(x.targets[3].pool, 6);
        assert_eq!(x.templates[1].capacity, Shape::new(8000, 32 * GIB));
        let kept: Vec<&str> = x
            .instances
            .iter()
            .map(|r| r.instance_type.as_str())
            .collect();
        assert_eq!(kept, ["a-2", "b-2", "c-4", "d-8", "e-2"]);
    }
}

//! Karpenter's scheduling simulation and instance choice, shared by provisioning and
//! consolidation.
//!
//! Sources (`kubernetes-sigs/karpenter` commit `2266468104f36373ed002241afaee2d3bbc26078`):
//! * `pkg/controllers/provisioning/scheduling/queue.go` — pods in order of decreasing CPU, then
//!   decreasing memory (`byCPUAndMemoryDescending`).
//! * `pkg/controllers/provisioning/scheduling/scheduler.go` `add` — each pod goes to the first
//!   existing or in-flight node that fits (`addToExistingNode`), else to an in-progress new
//!   NodeClaim, the claims tried in order of fewest pods (`addToInflightNode` after the
//!   `sort.Slice` by pod count), else to a new NodeClaim from the first NodePool (by weight)
//!   that has an instance type fitting the pod within the pool's remaining limits
//!   (`addToNewNodeClaim`; a new claim reserves the largest of its instance types against the
//!   limits, `subtractMax`). A claim keeps every instance type that still fits all its pods.
//! * `pkg/controllers/provisioning/scheduling/nodeclaim.go` `filterInstanceTypesByRequirements`
//!   with `pkg/utils/resources/resources.go` `Fits` — a type fits when its allocatable covers
//!   the pods' requests resource by resource, `nvidia.com/gpu` included: a GPU pod's claim
//!   keeps only types with at least its GPUs (`crate::gpu`), the cheapest of which launches.
//! * `pkg/cloudprovider/types.go` `OrderByPrice` — an instance type's price is its cheapest
//!   compatible offering. At launch clustersim takes the cheapest type of the claim, on spot
//!   when the pool allows spot and one of the types has a spot offering (the AWS provider's
//!   capacity-type choice), else on-demand. Zones: the catalog has one price per region, so
//!   the claim goes to the pool's zone with the fewest of its nodes (ties: first listed).
//!
//! * `pkg/cloudprovider/types.go` `OrderByPrice` also orders what a launch reports as its
//!   candidates ([`Simulation::by_price`]): by cheapest compatible offering, ties by name; a
//!   launch lists the [`CANDIDATES_SHOWN`] cheapest of them and the chosen one.
//!
//! Existing nodes take pods by first fit in view order; DaemonSet overhead is already outside
//! the view's allocatable and requests.

use crate::api::{Bin, CapacityType, KarpenterView, MAX_PODS_PER_NODE, NodeView, PodGroup, Shape};

/// Candidate instance types a launch's reason lists (the cheapest; the chosen one is added when
/// it is not among them).
pub const CANDIDATES_SHOWN: usize = 5;

/// An instance type as Karpenter sees it in one region.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceOption {
    pub instance_type: String,
    /// `m5` of `m5.large`, `n2` of `n2-standard-8` (`karpenter.k8s.aws/instance-family`).
    pub family: String,
    pub capacity: Shape,
    pub allocatable: Shape,
    pub ondemand_usd_per_hour: f64,
    pub spot_usd_per_hour: Option<f64>,
}

/// The family of an instance type name: before the first `.` (AWS) or `-` (GCP).
pub fn instance_family(instance_type: &str) -> &str {
    let end = instance_type
        .find(['.', '-'])
        .unwrap_or(instance_type.len());
    &instance_type[..end]
}

/// A NodePool resolved against the catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedPool {
    /// Indices into the instance list, of the types the requirements allow.
    pub options: Vec<usize>,
    pub zones: Vec<String>,
    pub spot: bool,
    pub on_demand: bool,
    /// Remaining `spec.limits` (`u64::MAX` when unset) before counting existing nodes.
    pub limits: Shape,
}

impl ResolvedPool {
    /// Cheapest compatible offering of instance `i`.
    pub fn price(&self, instance: &InstanceOption) -> Option<f64> {
        let spot = instance.spot_usd_per_hour.filter(|_| self.spot);
        let on_demand = Some(instance.ondemand_usd_per_hour).filter(|_| self.on_demand);
        match (spot, on_demand) {
            (Some(s), Some(o)) => Some(s.min(o)),
            (s, o) => s.or(o),
        }
    }
}

/// A new NodeClaim of the simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    pub pool: usize,
    /// Instance indices that fit every pod of the claim.
    pub options: Vec<usize>,
    pub requested: Shape,
    pub pods: u32,
}

/// What a launch would be: instance index, capacity type, price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Choice {
    pub instance: usize,
    pub capacity_type: CapacityType,
    pub price_usd_per_hour: f64,
}

/// The scheduling simulation's inputs.
pub struct Simulation<'a> {
    pub instances: &'a [InstanceOption],
    pub pools: &'a [ResolvedPool],
    /// Pool indices by decreasing weight, then name.
    pub pool_order: &'a [usize],
}

/// The outcome: new claims, and pods that fit nowhere.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outcome {
    pub claims: Vec<Claim>,
    pub unscheduled: u32,
}

impl Simulation<'_> {
    /// Schedules `pods` onto `nodes` (those with `usable[i]`), then onto new claims, within
    /// `remaining` limits per pool (consumed as claims are created).
    pub fn run(
        &self,
        pods: &[PodGroup],
        nodes: &[NodeView],
        usable: &[bool],
        remaining: &mut [Shape],
    ) -> Outcome {
        let mut order: Vec<&PodGroup> = pods.iter().filter(|p| p.count > 0).collect();
        order.sort_by(|a, b| {
            b.requests
                .cpu_millis
                .cmp(&a.requests.cpu_millis)
                .then(b.requests.memory_bytes.cmp(&a.requests.memory_bytes))
        });
        let mut bins: Vec<Bin> = nodes.iter().map(Bin::free_on).collect();
        let mut out = Outcome::default();
        for group in order {
            let mut left = group.count;
            for (i, node) in nodes.iter().enumerate() {
                if left == 0 {
                    break;
                }
                if usable[i] && group.may_run_on(node.group) {
                    left -= bins[i].place(group.requests, left);
                }
            }
            for _ in 0..left {
                if !self.add(group, &mut out.claims, remaining) {
                    out.unscheduled += 1;
                }
            }
        }
        out
    }

    fn fits(&self, instance: usize, requested: Shape, pods: u32) -> bool {
        pods <= MAX_PODS_PER_NODE && self.instances[instance].allocatable.covers(requested)
    }

    /// One pod onto an in-progress claim or a new one; false when neither can take it.
    fn add(&self, pod: &PodGroup, claims: &mut Vec<Claim>, remaining: &mut [Shape]) -> bool {
        claims.sort_by_key(|c| c.pods);
        for claim in claims.iter_mut() {
            if !pod.may_run_on(claim.pool as u32) {
                continue;
            }
            let requested = claim.requested.plus(pod.requests);
            let pods = claim.pods + 1;
            if claim.options.iter().any(|&i| self.fits(i, requested, pods)) {
                claim.options.retain(|&i| self.fits(i, requested, pods));
                claim.requested = requested;
                claim.pods = pods;
                return true;
            }
        }
        for &p in self.pool_order {
            if !pod.may_run_on(p as u32) {
                continue;
            }
            let options: Vec<usize> = self.pools[p]
                .options
                .iter()
                .copied()
                .filter(|&i| {
                    remaining[p].covers(self.instances[i].capacity) && self.fits(i, pod.requests, 1)
                })
                .collect();
            if options.is_empty() {
                continue;
            }
            let reserved = options.iter().fold(Shape::default(), |acc, &i| {
                let c = self.instances[i].capacity;
                Shape::new(
                    acc.cpu_millis.max(c.cpu_millis),
                    acc.memory_bytes.max(c.memory_bytes),
                )
                .with_gpus(acc.gpus.max(c.gpus))
            });
            remaining[p] = remaining[p].minus(reserved);
            claims.push(Claim {
                pool: p,
                options,
                requested: pod.requests,
                pods: 1,
            });
            return true;
        }
        false
    }

    /// `options` as `OrderByPrice` orders them for `pool`: by the cheapest offering the pool
    /// allows ([`ResolvedPool::price`]), ties by name; types with no such offering last.
    pub fn by_price(&self, pool: usize, options: &[usize]) -> Vec<(usize, f64)> {
        let p = &self.pools[pool];
        let mut out: Vec<(usize, f64)> = options
            .iter()
            .map(|&i| (i, p.price(&self.instances[i]).unwrap_or(f64::MAX)))
            .collect();
        out.sort_by(|a, b| {
            a.1.total_cmp(&b.1).then_with(|| {
                self.instances[a.0]
                    .instance_type
                    .cmp(&self.instances[b.0].instance_type)
            })
        });
        out
    }

    /// The candidates of a launch in words: the [`CANDIDATES_SHOWN`] cheapest of `options` by
    /// [`Self::by_price`] with their prices, and `chosen` after them when it is not among
    /// them: "3 cheapest of 12 candidates by price: m5a.large 0.0860, m5.large 0.0960,
    /// c5.xlarge 0.1700".
    pub fn candidates(&self, pool: usize, options: &[usize], chosen: usize) -> String {
        let ordered = self.by_price(pool, options);
        let shown = ordered.len().min(CANDIDATES_SHOWN);
        let mut words: Vec<String> = ordered[..shown]
            .iter()
            .map(|&(i, price)| format!("{} {price:.4}", self.instances[i].instance_type))
            .collect();
        if let Some(&(i, price)) = ordered[shown..].iter().find(|&&(i, _)| i == chosen) {
            words.push(format!("… {} {price:.4}", self.instances[i].instance_type));
        }
        format!(
            "{shown} cheapest of {} candidates by price: {}",
            ordered.len(),
            words.join(", ")
        )
    }

    /// The launch of `options` in `pool`: spot if allowed and offered, else on-demand; the
    /// cheapest type of that capacity type, ties to the first (catalog order).
    pub fn choose(&self, pool: usize, options: &[usize], spot_only: bool) -> Option<Choice> {
        let p = &self.pools[pool];
        let cheapest = |price: &dyn Fn(&InstanceOption) -> Option<f64>| {
            options
                .iter()
                .filter_map(|&i| price(&self.instances[i]).map(|v| (i, v)))
                .fold(None, |best: Option<(usize, f64)>, (i, v)| match best {
                    Some((_, b)) if b <= v => best,
                    _ => Some((i, v)),
                })
        };
        if p.spot
            && let Some((i, v)) = cheapest(&|it| it.spot_usd_per_hour)
        {
            return Some(Choice {
                instance: i,
                capacity_type: CapacityType::Spot,
                price_usd_per_hour: v,
            });
        }
        if spot_only || !p.on_demand {
            return None;
        }
        cheapest(&|it| Some(it.ondemand_usd_per_hour)).map(|(i, v)| Choice {
            instance: i,
            capacity_type: CapacityType::OnDemand,
            price_usd_per_hour: v,
        })
    }
}

/// The zone of `pool` with the fewest of its nodes (counting `extra` launches already decided).
pub fn zone_for(
    pool: &ResolvedPool,
    pool_index: u32,
    view: &KarpenterView,
    extra: &[(u32, &str)],
) -> String {
    let count = |zone: &str| {
        view.nodes
            .iter()
            .filter(|n| n.group == pool_index && view.names.zone(n) == zone && !n.deleting)
            .count()
            + extra
                .iter()
                .filter(|&&(p, z)| p == pool_index && z == zone)
                .count()
    };
    pool.zones
        .iter()
        .min_by_key(|z| count(z))
        .cloned()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(name: &str, ondemand: f64, spot: Option<f64>) -> InstanceOption {
        InstanceOption {
            instance_type: name.into(),
            family: instance_family(name).into(),
            capacity: Shape::new(4000, 16 << 30),
            allocatable: Shape::new(3900, 15 << 30),
            ondemand_usd_per_hour: ondemand,
            spot_usd_per_hour: spot,
        }
    }

    #[test]
    fn a_launch_lists_its_cheapest_candidates_as_order_by_price_ranks_them() {
        // Seven types; the pool allows spot and on-demand, so each is priced at its cheapest
        // offering: b 0.05 (spot), a 0.10, c 0.10 (tie: by name), d 0.20, e 0.30, f 0.40,
        // g 0.50. The chosen g is not among the five cheapest, so it is added.
        let instances = vec![
            instance("c.large", 0.10, None),
            instance("a.large", 0.10, None),
            instance("b.large", 0.30, Some(0.05)),
            instance("g.large", 0.50, None),
            instance("e.large", 0.30, None),
            instance("d.large", 0.20, None),
            instance("f.large", 0.40, None),
        ];
        let pools = vec![ResolvedPool {
            options: (0..7).collect(),
            zones: vec!["z".into()],
            spot: true,
            on_demand: true,
            limits: Shape::new(u64::MAX, u64::MAX),
        }];
        let sim = Simulation {
            instances: &instances,
            pools: &pools,
            pool_order: &[0],
        };
        let options: Vec<usize> = (0..7).collect();
        let order: Vec<usize> = sim.by_price(0, &options).iter().map(|p| p.0).collect();
        assert_eq!(order, [2, 1, 0, 5, 4, 6, 3]);
        assert_eq!(
            sim.candidates(0, &options, 3),
            "5 cheapest of 7 candidates by price: b.large 0.0500, a.large 0.1000, \
             c.large 0.1000, d.large 0.2000, e.large 0.3000, … g.large 0.5000"
        );
        // The chosen among the five: nothing added; fewer than five: all of them.
        assert_eq!(
            sim.candidates(0, &[1, 5], 1),
            "2 cheapest of 2 candidates by price: a.large 0.1000, d.large 0.2000"
        );
    }
}

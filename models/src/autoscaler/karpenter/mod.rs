//! Karpenter: provisioning in batches and voluntary disruption, per NodePool.
//!
//! Sources (`kubernetes-sigs/karpenter` commit `2266468104f36373ed002241afaee2d3bbc26078`):
//! * `pkg/controllers/provisioning/batcher.go` — a batch window opens at the first trigger (a
//!   pod that became pending) and closes `--batch-idle-duration` (1 s) after the latest
//!   trigger or `--batch-max-duration` (10 s) after it opened, whichever comes first; all pods
//!   pending at the close are scheduled together ([`Batcher`]).
//! * [`provisioning`] — the scheduling simulation and the instance choice.
//! * [`consolidation`] — emptiness, multi-node and single-node consolidation, budgets and
//!   `expireAfter`.
//!
//! The integrator calls [`Karpenter::pods_pending`] when pods become pending,
//! [`Karpenter::provision`] at [`Karpenter::batch_deadline`], and [`Karpenter::disrupt`] every
//! `disruption_poll_interval` (and at [`Karpenter::validation_due`]).

pub mod consolidation;
pub mod provisioning;

use sim::time::{SimDuration, SimTime};

use crate::allocatable::allocatable;
use crate::api::{CapacityType, KarpenterView, Shape};
use crate::autoscaler::config::{ConfigError, KarpenterConfig};
use crate::catalog::InstanceFacts;
use provisioning::{InstanceOption, ResolvedPool, Simulation, instance_family, zone_for};

/// What Karpenter asks the cluster to do; `reason` goes to the events table.
#[derive(Debug, Clone, PartialEq)]
pub enum KarpenterAction {
    /// Launch `count` nodes of `instance_type` in NodePool `pool`.
    Launch {
        pool: u32,
        instance_type: String,
        capacity_type: CapacityType,
        zone: String,
        count: u32,
        reason: String,
    },
    /// Drain and delete these nodes (ids of the view).
    Delete { nodes: Vec<u32>, reason: String },
    /// Launch one node, then drain and delete `nodes` once it is ready.
    Replace {
        nodes: Vec<u32>,
        pool: u32,
        instance_type: String,
        capacity_type: CapacityType,
        zone: String,
        reason: String,
    },
}

/// The provisioning batch window (`batcher.go`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Batcher {
    idle: SimDuration,
    max: SimDuration,
    /// (window opened, latest trigger).
    window: Option<(SimTime, SimTime)>,
}

impl Batcher {
    pub fn new(idle: SimDuration, max: SimDuration) -> Self {
        Batcher {
            idle,
            max,
            window: None,
        }
    }

    /// A pod became pending: opens the window or resets its idle timer.
    pub fn trigger(&mut self, now: SimTime) {
        let opened = self.window.map_or(now, |(o, _)| o);
        self.window = Some((opened, now));
    }

    /// When the open window closes.
    pub fn deadline(&self) -> Option<SimTime> {
        self.window
            .map(|(opened, last)| (last + self.idle).min(opened + self.max))
    }

    /// Closes the window if it is due at `now`; true if it was.
    pub fn close_if_due(&mut self, now: SimTime) -> bool {
        let due = self.deadline().is_some_and(|d| d <= now);
        if due {
            self.window = None;
        }
        due
    }
}

/// Karpenter's state: NodePools resolved against the catalog, the batch window, and a
/// consolidation command waiting for its validation.
#[derive(Debug, Clone)]
pub struct Karpenter {
    config: KarpenterConfig,
    instances: Vec<InstanceOption>,
    pools: Vec<ResolvedPool>,
    pool_order: Vec<usize>,
    batcher: Batcher,
    pending_command: Option<(SimTime, consolidation::Command)>,
}

impl Karpenter {
    /// Resolves the NodePools of a validated `config` against the region's `instances` (catalog
    /// rows of one region) and `zones`. Errors name the field: an instance type, family or
    /// zone that the region does not have, or a pool that allows nothing.
    pub fn new(
        config: KarpenterConfig,
        instances: &[InstanceFacts],
        zones: &[String],
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        let instances: Vec<InstanceOption> = instances
            .iter()
            .map(|f| {
                let capacity = crate::autoscaler::expansion::capacity_of(f);
                let (cpu, memory) = allocatable(capacity.cpu_millis, capacity.memory_bytes);
                InstanceOption {
                    instance_type: f.instance_type.clone(),
                    family: instance_family(&f.instance_type).to_owned(),
                    capacity,
                    allocatable: Shape::new(cpu, memory).with_gpus(capacity.gpus),
                    ondemand_usd_per_hour: f.ondemand_usd_per_hour,
                    spot_usd_per_hour: f.spot_usd_per_hour,
                }
            })
            .collect();
        let mut pools = Vec::with_capacity(config.node_pools.len());
        for (p, spec) in config.node_pools.iter().enumerate() {
            let at = |field: &str| format!("node_pools[{p}].{field}");
            let req = &spec.requirements;
            let unknown = |field: &str, name: &str| ConfigError {
                path: at(field),
                message: format!("{name:?} is not offered in this region"),
            };
            if let Some(types) = &req.instance_types {
                for t in types {
                    if !instances.iter().any(|i| &i.instance_type == t) {
                        return Err(unknown("requirements.instance_types", t));
                    }
                }
            }
            if let Some(families) = &req.instance_families {
                for f in families {
                    if !instances.iter().any(|i| &i.family == f) {
                        return Err(unknown("requirements.instance_families", f));
                    }
                }
            }
            if let Some(wanted) = &req.zones {
                for z in wanted {
                    if !zones.contains(z) {
                        return Err(unknown("requirements.zones", z));
                    }
                }
            }
            let spot = req.capacity_types.contains(&CapacityType::Spot);
            let on_demand = req.capacity_types.contains(&CapacityType::OnDemand);
            let options: Vec<usize> = (0..instances.len())
                .filter(|&i| {
                    let it = &instances[i];
                    req.instance_types
                        .as_ref()
                        .is_none_or(|t| t.contains(&it.instance_type))
                        && req
                            .instance_families
                            .as_ref()
                            .is_none_or(|f| f.contains(&it.family))
                        && (on_demand || (spot && it.spot_usd_per_hour.is_some()))
                })
                .collect();
            if options.is_empty() {
                return Err(ConfigError {
                    path: at("requirements"),
                    message: "no instance type of the region meets the requirements".to_owned(),
                });
            }
            // No `nvidia.com/gpu` limit is read: GPUs are unlimited.
            let limits = Shape::new(
                spec.limits.cpu.map_or(u64::MAX, |c| c.0),
                spec.limits.memory.map_or(u64::MAX, |m| m.0),
            )
            .with_gpus(u32::MAX);
            pools.push(ResolvedPool {
                options,
                zones: req.zones.clone().unwrap_or_else(|| zones.to_vec()),
                spot,
                on_demand,
                limits,
            });
        }
        let mut pool_order: Vec<usize> = (0..pools.len()).collect();
        pool_order.sort_by(|&a, &b| {
            let (pa, pb) = (&config.node_pools[a], &config.node_pools[b]);
            pb.weight.cmp(&pa.weight).then(pa.name.cmp(&pb.name))
        });
        let batcher = Batcher::new(config.batch_idle_duration, config.batch_max_duration);
        Ok(Karpenter {
            config,
            instances,
            pools,
            pool_order,
            batcher,
            pending_command: None,
        })
    }

    pub fn config(&self) -> &KarpenterConfig {
        &self.config
    }

    /// The instance types Karpenter knows, with their allocatable.
    pub fn instances(&self) -> &[InstanceOption] {
        &self.instances
    }

    /// Pods became pending at `now` (a batcher trigger).
    pub fn pods_pending(&mut self, now: SimTime) {
        self.batcher.trigger(now);
    }

    /// When the open batch window closes: call [`Karpenter::provision`] then.
    pub fn batch_deadline(&self) -> Option<SimTime> {
        self.batcher.deadline()
    }

    /// When a consolidation command decided earlier is due for validation and execution.
    pub fn validation_due(&self) -> Option<SimTime> {
        self.pending_command.as_ref().map(|(t, _)| *t)
    }

    fn simulation(&self) -> Simulation<'_> {
        Simulation {
            instances: &self.instances,
            pools: &self.pools,
            pool_order: &self.pool_order,
        }
    }

    /// Pool limits left after the view's nodes.
    fn remaining(&self, view: &KarpenterView) -> Vec<Shape> {
        let mut remaining: Vec<Shape> = self.pools.iter().map(|p| p.limits).collect();
        for node in &view.nodes {
            if let Some(r) = remaining.get_mut(node.group as usize) {
                *r = r.minus(node.capacity);
            }
        }
        remaining
    }

    /// Closes the batch if due and launches nodes for the pending pods that neither existing
    /// nor in-flight nodes take. Identical launches are merged into one action with a count.
    pub fn provision(&mut self, now: SimTime, view: &KarpenterView) -> Vec<KarpenterAction> {
        if !self.batcher.close_if_due(now) {
            return Vec::new();
        }
        let usable: Vec<bool> = view.nodes.iter().map(|n| !n.deleting).collect();
        let mut remaining = self.remaining(view);
        let sim = self.simulation();
        let outcome = sim.run(&view.pending, &view.nodes, &usable, &mut remaining);
        let pending: u32 = view.pending.iter().map(|p| p.count).sum();
        // (pool, instance, capacity type, zone) → (count, pods, the first claim's candidates).
        let mut launches: Vec<(u32, usize, CapacityType, String, u32, u32, String)> = Vec::new();
        let mut placed: Vec<(u32, String)> = Vec::new();
        for claim in &outcome.claims {
            let Some(choice) = sim.choose(claim.pool, &claim.options, false) else {
                continue;
            };
            let pool = claim.pool as u32;
            let extra: Vec<(u32, &str)> = placed.iter().map(|(p, z)| (*p, z.as_str())).collect();
            let zone = zone_for(&self.pools[claim.pool], pool, view, &extra);
            placed.push((pool, zone.clone()));
            match launches.iter_mut().find(|l| {
                l.0 == pool && l.1 == choice.instance && l.2 == choice.capacity_type && l.3 == zone
            }) {
                Some(l) => {
                    l.4 += 1;
                    l.5 += claim.pods;
                }
                None => launches.push((
                    pool,
                    choice.instance,
                    choice.capacity_type,
                    zone,
                    1,
                    claim.pods,
                    sim.candidates(claim.pool, &claim.options, choice.instance),
                )),
            }
        }
        launches
            .into_iter()
            .map(|(pool, i, capacity_type, zone, count, pods, candidates)| {
                let it = &self.instances[i];
                let price = match capacity_type {
                    CapacityType::Spot => it.spot_usd_per_hour.unwrap_or(it.ondemand_usd_per_hour),
                    CapacityType::OnDemand => it.ondemand_usd_per_hour,
                };
                KarpenterAction::Launch {
                    pool,
                    instance_type: it.instance_type.clone(),
                    capacity_type,
                    zone: zone.clone(),
                    count,
                    reason: format!(
                        "provision {} +{count} {} {} in {zone}: batch of {pending} pending pods, \
                         {pods} placed here; cheapest fitting type at {price:.4} USD/h; \
                         {candidates}{}",
                        self.config.node_pools[pool as usize].name,
                        it.instance_type,
                        capacity_label(capacity_type),
                        if outcome.unscheduled > 0 {
                            format!("; {} pods fit no NodePool", outcome.unscheduled)
                        } else {
                            String::new()
                        }
                    ),
                }
            })
            .collect()
    }
}

/// Karpenter's spelling of a capacity type (`karpenter.sh/capacity-type`).
pub fn capacity_label(capacity_type: CapacityType) -> &'static str {
    match capacity_type {
        CapacityType::Spot => "spot",
        CapacityType::OnDemand => "on-demand",
    }
}

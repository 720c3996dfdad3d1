//! The `NodeAutoscaler` model: one per region that has a node autoscaler, holding the Cluster
//! Autoscaler or Karpenter decision logic, reading the region through the cluster's
//! `node_autoscaling_view` replier and acting with launch and remove orders, each carrying its
//! decision's reason (the events table's message).
//!
//! Schedules:
//! * Cluster Autoscaler: one [`ClusterAutoscaler::scan`] every `--scan-interval`, the first one
//!   scan interval after the start (nexosim cannot schedule at the current instant).
//! * Karpenter: upstream's batcher is triggered by pod watch events. clustersim has no watch, so
//!   the model checks the region's pending pods every `batch_idle_duration` (a cheap query
//!   without nodes): more pending pods than at the previous check is a trigger, and so is any
//!   pending pod 10 s after the last provisioning with no window open (the provisioner's 10 s
//!   requeue, `ground-truth/karpenter.md` §1). Batches close at [`Karpenter::batch_deadline`];
//!   [`Karpenter::disrupt`] runs every `disruption_poll_interval` and when a consolidation
//!   command is due for validation. A check costs one event and O(deployments) of the region.
//!
//! Karpenter's `Replace` launches the replacement at once and drains the replaced nodes one
//! provisioning delay later, when it is Ready (upstream waits for the replacement's
//! initialization); meanwhile the replaced nodes count as being deleted in every view, so no
//! second command picks them (they still take pods, which upstream's disruption taint would
//! prevent). A deletion never fails in clustersim, so the Cluster Autoscaler's
//! `--scale-down-delay-after-failure` never applies.
//!
//! The decision state is not serializable, so it lives outside the model's serialized state
//! (`serde(skip)`): runs are never checkpointed. Random draws (the random expander, ties) come
//! from `sim::rng::stream(seed, "autoscaler/<region>")`.

use std::sync::Arc;

use nexosim::model::{Context, Model, schedulable};
use nexosim::ports::{Output, Requestor};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sim::rng::Stream;
use sim::time::{SimDuration, SimTime};

use crate::api::decisions::Decisions;
use crate::api::{
    AutoscalingView, BoundsStep, ClusterView, KarpenterView, LaunchOrder, PoolTemplate, Reason,
    RemoveOrder, ViewRequest,
};
use crate::autoscaler::cluster_autoscaler::{Action, ClusterAutoscaler};
use crate::autoscaler::config::{ClusterAutoscalerConfig, ConfigError, ConsolidationPolicy};
use crate::autoscaler::decisions::Recorder;
use crate::autoscaler::expansion::{Expansion, LaunchTarget};
use crate::autoscaler::karpenter::{Karpenter, KarpenterAction};
use crate::catalog::InstanceFacts;

/// Karpenter's provisioner requeue when pods stay pending.
const PROVISIONER_REQUEUE: SimDuration = SimDuration::from_secs(10);

/// Which autoscaler, with what it needs beyond the view.
#[derive(Debug, Clone, PartialEq)]
pub enum AutoscalerKind {
    /// Node group `k` is the pool of `NodeAutoscalerPlan::pools[k]`.
    ClusterAutoscaler(ClusterAutoscalerConfig),
    /// The region's NodePools, expanded into cluster pools.
    Karpenter {
        expansion: Expansion,
        zones: Vec<String>,
        /// Launch → Ready of Karpenter's nodes (the expanded pools').
        provisioning_delay: SimDuration,
    },
}

/// One region's node autoscaler, as resolved from the experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeAutoscalerPlan {
    pub region: String,
    pub seed: u64,
    /// The node groups' pools (group = Cluster Autoscaler node group or Karpenter NodePool).
    pub pools: Vec<PoolTemplate>,
    pub groups: u32,
    pub kind: AutoscalerKind,
    /// Scheduled changes of a node group's min/max nodes (Cluster Autoscaler only), as
    /// (group, step), in time order: `policies.scheduled` actions on pools.
    pub bounds: Vec<(u32, BoundsStep)>,
}

enum Decider {
    ClusterAutoscaler(ClusterAutoscaler),
    Karpenter {
        karpenter: Box<Karpenter>,
        targets: Vec<LaunchTarget>,
        provisioning_delay: SimDuration,
        /// Pending pods at the previous check.
        last_pending: u64,
        last_provision: SimTime,
        next_disruption: SimTime,
        /// Replacements launched: when their node is Ready, the nodes to drain and why.
        replacing: Vec<(SimTime, Vec<u32>, String)>,
    },
}

struct Engine {
    /// `NodeAutoscalerPlan::bounds`, how many have been applied, and each group's bounds once
    /// a step has changed them.
    bounds: Vec<(u32, BoundsStep)>,
    bounds_applied: usize,
    group_bounds: Vec<Option<(u32, u32)>>,
    request: Arc<ViewRequest>,
    /// The same without nodes.
    pending_request: Arc<ViewRequest>,
    decider: Decider,
    rng: Stream,
}

impl Engine {
    /// Applies the scheduled bounds due by `now` to the node groups of `view` (from the first
    /// scan at or after a step's instant, as the HPA takes its steps at its next sync), and
    /// returns the launches a raised minimum asks for: as an EC2 Auto Scaling group does when
    /// a scheduled action sets `MinSize` above its capacity, the group grows to its minimum at
    /// once (the Cluster Autoscaler itself never scales up for a minimum). A lowered maximum
    /// only stops scale-ups: nodes above it go when the Cluster Autoscaler finds them unneeded.
    fn apply_bounds(&mut self, now: SimTime, view: &mut ClusterView) -> Vec<LaunchOrder> {
        let mut launch = Vec::new();
        while let Some((group, step)) = self.bounds.get(self.bounds_applied)
            && step.at <= now
        {
            self.bounds_applied += 1;
            let (g, template) = (*group as usize, &self.request.pools[*group as usize]);
            let Some(node_group) = view.node_groups.get_mut(g) else {
                continue;
            };
            let current =
                self.group_bounds[g].unwrap_or((node_group.min_size, node_group.max_size));
            let (min, max) = step.apply(current);
            self.group_bounds[g] = Some((min, max));
            let event = step.event.as_deref().unwrap_or("scheduled bounds");
            if min > node_group.target_size {
                let count = min - node_group.target_size;
                launch.push(LaunchOrder {
                    pool: template.pool,
                    zone: None,
                    count,
                    why: format!(
                        "min_nodes {min} > {} nodes: +{count} ({event})",
                        node_group.target_size
                    ),
                });
                node_group.target_size = min;
            }
        }
        for (node_group, bounds) in view.node_groups.iter_mut().zip(&self.group_bounds) {
            if let Some((min, max)) = *bounds {
                node_group.min_size = min;
                node_group.max_size = max;
            }
        }
        launch
    }
}

/// A region's node autoscaler.
#[derive(Serialize, Deserialize)]
pub struct NodeAutoscaler {
    /// Connect to `Cluster::node_autoscaling_view`.
    pub view: Requestor<Arc<ViewRequest>, AutoscalingView>,
    /// Connect to `Cluster::launch`.
    pub launch: Output<Vec<LaunchOrder>>,
    /// Connect to `Cluster::remove`.
    pub remove: Output<Vec<RemoveOrder>>,
    #[serde(skip)]
    engine: Option<Engine>,
    /// The decisions log, this autoscaler's index among the run's, and its region.
    #[serde(skip)]
    decisions: Option<(Decisions, u64, Arc<str>)>,
}

impl NodeAutoscaler {
    /// Builds the decision logic; errors only for a Karpenter config the loader did not check.
    pub fn new(plan: &NodeAutoscalerPlan) -> Result<Self, ConfigError> {
        let rng = sim::rng::stream(plan.seed, &format!("autoscaler/{}", plan.region));
        let decider = match &plan.kind {
            AutoscalerKind::ClusterAutoscaler(config) => {
                Decider::ClusterAutoscaler(ClusterAutoscaler::new(config.clone()))
            }
            AutoscalerKind::Karpenter {
                expansion,
                zones,
                provisioning_delay,
            } => {
                let instances: &[InstanceFacts] = &expansion.instances;
                let karpenter = Karpenter::new(expansion.config.clone(), instances, zones)?;
                Decider::Karpenter {
                    next_disruption: SimTime::ZERO + karpenter.config().disruption_poll_interval,
                    karpenter: Box::new(karpenter),
                    targets: expansion.targets.clone(),
                    provisioning_delay: *provisioning_delay,
                    last_pending: 0,
                    last_provision: SimTime::ZERO,
                    replacing: Vec::new(),
                }
            }
        };
        let request = ViewRequest {
            region: plan.region.clone(),
            groups: plan.groups,
            pools: plan.pools.clone(),
            in_flight: matches!(plan.kind, AutoscalerKind::Karpenter { .. }),
            pending_only: false,
            nodes_only_below: match &plan.kind {
                AutoscalerKind::ClusterAutoscaler(c) if c.scale_down_enabled => {
                    Some(c.scale_down_utilization_threshold)
                }
                // Without scale-down no node is ever unneeded.
                AutoscalerKind::ClusterAutoscaler(_) => Some(f64::NEG_INFINITY),
                AutoscalerKind::Karpenter { .. } => None,
            },
            drains: None,
            // Karpenter's disruption reads the pods of nodes of underutilized-consolidating
            // NodePools only (`ViewRequest::pods_only_in`).
            pods_only_in: match &plan.kind {
                AutoscalerKind::Karpenter { expansion, .. } => Some(
                    (0u32..)
                        .zip(&expansion.config.node_pools)
                        .filter(|(_, p)| {
                            p.disruption.consolidation_policy
                                == ConsolidationPolicy::WhenEmptyOrUnderutilized
                        })
                        .map(|(g, _)| g)
                        .collect(),
                ),
                AutoscalerKind::ClusterAutoscaler(_) => None,
            },
        };
        Ok(NodeAutoscaler {
            view: Requestor::new(),
            launch: Output::default(),
            remove: Output::default(),
            decisions: None,
            engine: Some(Engine {
                bounds: plan.bounds.clone(),
                bounds_applied: 0,
                group_bounds: vec![None; plan.groups as usize],
                pending_request: Arc::new(ViewRequest {
                    pending_only: true,
                    ..request.clone()
                }),
                request: Arc::new(request),
                decider,
                rng,
            }),
        })
    }

    /// Records each scan's decisions in `decisions`; `index` tells this autoscaler's rows from
    /// other regions' (its position among the run's node autoscalers).
    pub fn with_decisions(mut self, decisions: Decisions, index: u64) -> Self {
        let region = self
            .engine
            .as_ref()
            .map_or("", |e| e.request.region.as_str());
        self.decisions = Some((decisions, index, Arc::from(region)));
        self
    }

    async fn query(&mut self, pending_only: bool) -> AutoscalingView {
        let Some(engine) = &self.engine else {
            return AutoscalingView::default();
        };
        let request = Arc::clone(if pending_only {
            &engine.pending_request
        } else {
            &engine.request
        });
        self.view.send(request).await.next().unwrap_or_default()
    }

    async fn send(&mut self, launch: Vec<LaunchOrder>, remove: Vec<RemoveOrder>) {
        if !launch.is_empty() {
            self.launch.send(launch).await;
        }
        if !remove.is_empty() {
            self.remove.send(remove).await;
        }
    }

    /// One Cluster Autoscaler scan; returns when the next one is due.
    async fn cluster_autoscaler_scan(&mut self, now: SimTime) -> Option<SimTime> {
        // The view lists pods only on the nodes this scan will drain (`ViewRequest::drains`).
        // The cluster has dropped the last scan's request by now, so the request is changed
        // in place, not copied each scan.
        let request = {
            let engine = self.engine.as_mut()?;
            let Decider::ClusterAutoscaler(ca) = &engine.decider else {
                return None;
            };
            let plan = ca.drain_plan();
            Arc::make_mut(&mut engine.request).drains = Some(plan);
            Arc::clone(&engine.request)
        };
        let mut answer = self.view.send(request).await.next().unwrap_or_default();
        let engine = self.engine.as_mut()?;
        let mut launch = engine.apply_bounds(now, &mut answer.view);
        let Decider::ClusterAutoscaler(ca) = &mut engine.decider else {
            return None;
        };
        let rng = &mut engine.rng;
        let actions = ca.scan(now, &answer.view, &mut || rng.next_u64());
        if let Some((log, base, region)) = &self.decisions {
            let recorder = Recorder {
                log,
                base: *base,
                region,
                now_ns: now.as_nanos(),
            };
            let threshold = ca.config().scale_down_utilization_threshold;
            recorder.cluster_autoscaler(&answer.view, ca.notes(), threshold);
        }
        let next = now + ca.config().scan_interval;
        let mut remove = Vec::new();
        for action in actions {
            match action {
                Action::ScaleUp {
                    group,
                    delta,
                    reason,
                } => launch.push(LaunchOrder {
                    pool: engine.request.pools[group as usize].pool,
                    zone: None,
                    count: delta,
                    why: reason,
                }),
                Action::CancelProvisioning {
                    group,
                    count,
                    reason,
                } => {
                    let ids = answer.provisioning_nodes.get(group as usize);
                    for &node in ids.into_iter().flatten().take(count as usize) {
                        remove.push(RemoveOrder {
                            node,
                            drain: false,
                            reason: Reason::ScaleDown,
                            why: reason.clone(),
                        });
                    }
                }
                Action::DeleteNodes { nodes, reason } => {
                    remove.extend(nodes.into_iter().map(|node| RemoveOrder {
                        node,
                        drain: true,
                        reason: Reason::ScaleDown,
                        why: reason.clone(),
                    }));
                }
            }
        }
        self.send(launch, remove).await;
        Some(next)
    }

    /// One Karpenter check; returns when the next one is due.
    async fn karpenter_check(&mut self, now: SimTime) -> Option<SimTime> {
        let pending = self.query(true).await;
        let pending: u64 = pending
            .view
            .pending
            .iter()
            .map(|p| u64::from(p.count))
            .sum();
        let engine = self.engine.as_mut()?;
        let Decider::Karpenter {
            karpenter,
            last_pending,
            last_provision,
            next_disruption,
            replacing,
            ..
        } = &mut engine.decider
        else {
            return None;
        };
        let requeue = pending > 0
            && karpenter.batch_deadline().is_none()
            && now >= *last_provision + PROVISIONER_REQUEUE;
        if pending > *last_pending || requeue {
            karpenter.pods_pending(now);
        }
        *last_pending = pending;
        let provision = karpenter.batch_deadline().is_some_and(|d| d <= now);
        let disrupt =
            now >= *next_disruption || karpenter.validation_due().is_some_and(|d| d <= now);
        let drains: Vec<(Vec<u32>, String)> = {
            let (due, later): (Vec<_>, Vec<_>) = replacing.drain(..).partition(|r| r.0 <= now);
            *replacing = later;
            due.into_iter()
                .map(|(_, nodes, why)| (nodes, why))
                .collect()
        };
        let mut launch = Vec::new();
        let mut remove: Vec<RemoveOrder> = drains
            .into_iter()
            .flat_map(|(nodes, why)| drain_orders(nodes, &why))
            .collect();
        if provision || disrupt {
            let answer = self.query(false).await;
            let engine = self.engine.as_mut()?;
            let Decider::Karpenter {
                karpenter,
                targets,
                provisioning_delay,
                last_provision,
                next_disruption,
                replacing,
                ..
            } = &mut engine.decider
            else {
                return None;
            };
            let mut view = KarpenterView {
                nodes: answer.view.nodes,
                pending: answer.view.pending,
                names: answer.names,
            };
            for node in &mut view.nodes {
                node.deleting |= replacing.iter().any(|r| r.1.contains(&node.id));
            }
            let mut actions = Vec::new();
            if provision {
                actions.extend(karpenter.provision(now, &view));
                *last_provision = now;
            }
            if disrupt {
                actions.extend(karpenter.disrupt(now, &view));
                while *next_disruption <= now {
                    *next_disruption =
                        *next_disruption + karpenter.config().disruption_poll_interval;
                }
            }
            if let Some((log, base, region)) = &self.decisions {
                let recorder = Recorder {
                    log,
                    base: *base,
                    region,
                    now_ns: now.as_nanos(),
                };
                let pools = &karpenter.config().node_pools;
                let name = |p: u32| pools.get(p as usize).map_or("?", |p| p.name.as_str());
                for action in &actions {
                    match action {
                        KarpenterAction::Launch {
                            pool,
                            instance_type,
                            count,
                            reason,
                            ..
                        } => {
                            recorder.karpenter("launch", name(*pool), instance_type, *count, reason)
                        }
                        KarpenterAction::Replace {
                            pool,
                            instance_type,
                            nodes,
                            reason,
                            ..
                        } => recorder.karpenter(
                            "disruption",
                            name(*pool),
                            instance_type,
                            nodes.len() as u32,
                            reason,
                        ),
                        KarpenterAction::Delete { nodes, reason } => {
                            recorder.karpenter("disruption", "", "", nodes.len() as u32, reason)
                        }
                    }
                }
            }
            for action in actions {
                match action {
                    KarpenterAction::Launch {
                        pool,
                        instance_type,
                        capacity_type,
                        zone,
                        count,
                        reason,
                    } => {
                        if let Some(order) = launch_order(
                            targets,
                            pool,
                            &instance_type,
                            capacity_type,
                            &zone,
                            count,
                            reason,
                        ) {
                            launch.push(order);
                        }
                    }
                    KarpenterAction::Delete { nodes, reason } => {
                        remove.extend(drain_orders(nodes, &reason));
                    }
                    KarpenterAction::Replace {
                        nodes,
                        pool,
                        instance_type,
                        capacity_type,
                        zone,
                        reason,
                    } => {
                        if let Some(order) = launch_order(
                            targets,
                            pool,
                            &instance_type,
                            capacity_type,
                            &zone,
                            1,
                            reason.clone(),
                        ) {
                            launch.push(order);
                            replacing.push((now + *provisioning_delay, nodes, reason));
                        }
                    }
                }
            }
        }
        let engine = self.engine.as_ref()?;
        let Decider::Karpenter {
            karpenter,
            next_disruption,
            replacing,
            ..
        } = &engine.decider
        else {
            return None;
        };
        let next = [
            Some(now + karpenter.config().batch_idle_duration),
            karpenter.batch_deadline(),
            Some(*next_disruption),
            karpenter.validation_due(),
        ]
        .into_iter()
        .chain(replacing.iter().map(|r| Some(r.0)))
        .flatten()
        .filter(|&t| t > now)
        .min();
        self.send(launch, remove).await;
        next
    }

    fn schedule(&self, next: Option<SimTime>, cx: &Context<Self>) {
        if let Some(at) = next {
            // `next` is after now: a refusal is a bug, and a silent one would stop the autoscaler.
            if let Err(e) = cx.schedule_event(at.to_monotonic(), schedulable!(Self::tick), ()) {
                let now = SimTime::from_monotonic(cx.time());
                let region = self
                    .engine
                    .as_ref()
                    .map_or("?", |e| e.request.region.as_str());
                panic!("autoscaler/{region}: tick at {at:?} refused at {now:?}: {e}");
            }
        }
    }

    fn first_tick(&self) -> Option<SimTime> {
        let engine = self.engine.as_ref()?;
        Some(match &engine.decider {
            Decider::ClusterAutoscaler(ca) => SimTime::ZERO + ca.config().scan_interval,
            Decider::Karpenter { karpenter, .. } => {
                SimTime::ZERO + karpenter.config().batch_idle_duration
            }
        })
    }
}

/// The cluster pool of a Karpenter launch, as an order.
fn launch_order(
    targets: &[LaunchTarget],
    node_pool: u32,
    instance_type: &str,
    capacity_type: crate::api::CapacityType,
    zone: &str,
    count: u32,
    why: String,
) -> Option<LaunchOrder> {
    let target = targets.iter().find(|t| {
        t.node_pool == node_pool
            && t.instance_type == instance_type
            && t.capacity_type == capacity_type
    });
    // Every type Karpenter may choose was expanded (`expansion`: the choice is undominated).
    debug_assert!(
        target.is_some(),
        "no pool for {instance_type} in NodePool {node_pool}"
    );
    let target = target?;
    Some(LaunchOrder {
        pool: target.pool,
        zone: target
            .zones
            .iter()
            .position(|z| z == zone)
            .map(|z| z as u32),
        count,
        why,
    })
}

fn drain_orders(nodes: Vec<u32>, why: &str) -> Vec<RemoveOrder> {
    nodes
        .into_iter()
        .map(|node| RemoveOrder {
            node,
            drain: true,
            reason: Reason::ScaleDown,
            why: why.to_owned(),
        })
        .collect()
}

#[Model]
impl NodeAutoscaler {
    #[nexosim(init)]
    async fn init(&mut self, cx: &Context<Self>) {
        self.schedule(self.first_tick(), cx);
    }

    #[nexosim(schedulable)]
    async fn tick(&mut self, _: (), cx: &Context<Self>) {
        let now = SimTime::from_monotonic(cx.time());
        let karpenter = matches!(
            self.engine.as_ref().map(|e| &e.decider),
            Some(Decider::Karpenter { .. })
        );
        let next = if karpenter {
            self.karpenter_check(now).await
        } else {
            self.cluster_autoscaler_scan(now).await
        };
        self.schedule(next, cx);
    }
}

//! The `PoolPolicyController` model: node-pool threshold policies (`policy::pools`), each
//! evaluated every `evaluation_interval` on the node autoscaling view of its pools, launching
//! nodes (`TriggeredScaleUp` on the pool) and draining them (`ScaleDown`) with the condition,
//! its value, the step and, when cost-aware, the budget in the event message. It owns the
//! size of its pools (the loader refuses a Cluster Autoscaler on them). Added to a run only
//! when it has such a policy.
//!
//! With a `graceful_decommission_timeout` (Dataproc's `gracefulDecommissionTimeout`), a busy
//! node chosen for removal is only cordoned (`NodeNotSchedulable`): it takes no new pod and
//! keeps serving, and the policy drains it at its first evaluation after its pods are gone or
//! the timeout has passed (a `decommission` decision row). Empty nodes go at once, as they
//! always did.

use std::sync::Arc;

use nexosim::model::{Context, Model, schedulable};
use nexosim::ports::{Output, Requestor};
use serde::{Deserialize, Serialize};
use sim::time::SimTime;

use crate::api::decisions::{Controller, Decision, Decisions, Described, Figures, Scope};
use crate::api::{AutoscalingView, ClusterView, ViewRequest};
use crate::api::{CapacityType, LaunchOrder, Reason, RemoveOrder};
use crate::policy::config::{PoolMetric, PoolPolicy};
use crate::policy::forecast::Tracker;
use crate::policy::forecast_log::{ForecastLog, SeriesLabel};
use crate::policy::pools::{
    Member, budget_low, budget_weights, cost_usd, demand_vcpu, distribute, measure, nodes_for,
    pick_removals, reduced_step,
};
use crate::policy::threshold::{Rules, ThresholdState, evaluate};

/// One node-pool policy, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolPolicyPlan {
    pub policy: PoolPolicy,
    /// The view of its pools, one node group each in `policy.pools` order.
    pub request: Arc<ViewRequest>,
    /// Per pool (in `policy.pools` order): its cluster pool id, capacity type and bounds.
    pub pools: Vec<u32>,
    pub capacity_types: Vec<CapacityType>,
    pub min_nodes: Vec<u32>,
    pub max_nodes: Vec<u32>,
    /// The forecast's warm-up: demand in vCPUs, one value per forecast step, oldest first.
    pub history: Vec<f64>,
}

/// A forecast setting the pools' floor.
struct Provisioning {
    tracker: Tracker,
    next: SimTime,
    /// The nodes the latest forecast asks for, and its words for the event messages.
    floor: u32,
    note: String,
    /// Where its forecasts are recorded, and its series there.
    log: Option<(ForecastLog, usize)>,
}

/// A policy being evaluated.
struct PoolWatch {
    plan: PoolPolicyPlan,
    state: ThresholdState,
    next: SimTime,
    last: SimTime,
    spent_usd: f64,
    forecast: Option<Provisioning>,
    /// Busy nodes cordoned by a graceful decommission, with when their timeout ends.
    decommissioning: Vec<(u32, SimTime)>,
}

impl PoolWatch {
    /// The nodes whose graceful decommission ends at `now`: those whose pods are gone and
    /// those whose timeout has passed (their pods are evicted), as drain orders; the others
    /// stay cordoned. A node that left the view (reclaimed meanwhile) is forgotten.
    fn finish_decommissions(&mut self, now: SimTime, v: &ClusterView) -> Vec<RemoveOrder> {
        let name = &self.plan.policy.name;
        let timeout = self.plan.policy.graceful_decommission_timeout;
        let mut done = Vec::new();
        self.decommissioning.retain(|&(id, deadline)| {
            let Some(node) = v.nodes.iter().find(|n| n.id == id) else {
                return false;
            };
            let why = if node.is_empty() {
                format!("{name}: decommissioned node's pods are gone: removed")
            } else if now >= deadline {
                format!(
                    "{name}: graceful decommission timeout {timeout} passed with {} pod(s) \
                     left: drained",
                    node.pod_count
                )
            } else {
                return true;
            };
            done.push(RemoveOrder {
                node: id,
                drain: true,
                reason: Reason::ScaleDown,
                why,
            });
            false
        });
        done
    }

    /// One evaluation at `now` on `view`: the launches and removals.
    fn evaluate(
        &mut self,
        now: SimTime,
        view: &AutoscalingView,
    ) -> (Vec<LaunchOrder>, Vec<RemoveOrder>) {
        let v = &view.view;
        self.spent_usd += cost_usd(v, now.saturating_duration_since(self.last).as_secs_f64());
        self.last = now;
        let (floor, forecast_note) = self.provision(now, v);
        let p = &self.plan.policy;
        let elapsed_s = now.as_secs_f64();
        let low = p
            .budget
            .as_ref()
            .filter(|b| budget_low(b, self.spent_usd, elapsed_s));
        let values = |conds: &[crate::policy::config::Condition<PoolMetric>]| -> Vec<f64> {
            conds.iter().map(|c| measure(v, c.metric)).collect()
        };
        let (up, down) = (values(&p.scale_up), values(&p.scale_down));
        let sizes: Vec<u32> = (0..self.plan.pools.len())
            .map(|g| v.node_groups.get(g).map_or(0, |n| n.target_size))
            .collect();
        let current: u32 = sizes.iter().sum();
        let rules = Rules {
            scale_up: &p.scale_up,
            scale_down: &p.scale_down,
            min: floor,
            max: self.max_total(),
            step_up: low.map_or(p.step_up, |b| reduced_step(p.step_up, b.step_factor)),
            step_down: p.step_down,
            cooldown: p.cooldown,
        };
        let Some(d) = evaluate(&rules, &mut self.state, now, &up, &down, current) else {
            // A forecast without scale-down conditions is followed down too: empty nodes above
            // its floor go (busy ones stay until they empty).
            if p.forecast.is_some() && p.scale_down.is_empty() && current > floor {
                let why = format!(
                    "{}: {current} nodes above the forecast's floor of {floor}: empty nodes \
                     removed{forecast_note}",
                    p.name
                );
                let room: Vec<u32> = sizes
                    .iter()
                    .zip(&self.plan.min_nodes)
                    .map(|(s, m)| s.saturating_sub(*m))
                    .collect();
                return (Vec::new(), empty_above(v, current - floor, room, &why));
            }
            return (Vec::new(), Vec::new());
        };
        let change = i64::from(d.to_replicas) - i64::from(current);
        let own: Vec<(u32, CapacityType)> = p
            .pools
            .iter()
            .zip(&self.plan.capacity_types)
            .map(|(s, &t)| (s.weight, t))
            .collect();
        let (weights, budget_note) = match low {
            Some(b) if change > 0 => (
                budget_weights(b, &own),
                format!(
                    "; budget low: ${:.2} of ${:.2} spent, step × {}, {}% of new nodes on spot",
                    self.spent_usd,
                    b.allowance().map_or(0.0, |a| a.so_far_usd(elapsed_s)),
                    b.step_factor,
                    b.spot_share * 100.0
                ),
            ),
            _ => (
                own.iter().map(|&(w, _)| f64::from(w)).collect(),
                String::new(),
            ),
        };
        let members: Vec<Member> = (0..sizes.len())
            .map(|g| Member {
                weight: weights[g],
                // With a low budget new nodes follow the budget's shares on their own: the
                // shares are of the nodes added, not of the whole pools.
                size: if low.is_some() && change > 0 {
                    0
                } else {
                    sizes[g]
                },
                min: if low.is_some() && change > 0 {
                    0
                } else {
                    self.plan.min_nodes[g]
                },
                max: if low.is_some() && change > 0 {
                    self.plan.max_nodes[g].saturating_sub(sizes[g])
                } else {
                    self.plan.max_nodes[g]
                },
            })
            .collect();
        let why = format!("{}: {}{budget_note}{forecast_note}", p.name, d.why);
        let (mut launch, mut remove) = (Vec::new(), Vec::new());
        for (g, delta) in distribute(change, &members).into_iter().enumerate() {
            if delta > 0 {
                launch.push(LaunchOrder {
                    pool: self.plan.pools[g],
                    zone: None,
                    count: delta as u32,
                    why: why.clone(),
                });
            } else if delta < 0 {
                for node in pick_removals(&v.nodes, g as u32, delta.unsigned_abs() as u32) {
                    remove.push(self.removal(now, v, node, &why));
                }
            }
        }
        (launch, remove)
    }

    /// The order removing `node`: a drain, or, when the policy decommissions gracefully and
    /// the node runs pods, a cordon (`NodeNotSchedulable`) and a place among the nodes
    /// [`Self::finish_decommissions`] removes later.
    fn removal(&mut self, now: SimTime, v: &ClusterView, node: u32, why: &str) -> RemoveOrder {
        let timeout = self.plan.policy.graceful_decommission_timeout;
        let busy = v.nodes.iter().any(|n| n.id == node && !n.is_empty());
        if timeout.is_zero() || !busy {
            return RemoveOrder {
                node,
                drain: true,
                reason: Reason::ScaleDown,
                why: why.to_owned(),
            };
        }
        self.decommissioning.push((node, now + timeout));
        RemoveOrder {
            node,
            drain: true,
            reason: Reason::NodeNotSchedulable,
            why: format!(
                "{why}; graceful decommission: cordoned, removed when its pods are gone or in \
                 {timeout}"
            ),
        }
    }

    /// Most nodes over the pools: the policy's `max_nodes`, else the sum of theirs.
    fn max_total(&self) -> u32 {
        let sum: u32 = self.plan.max_nodes.iter().sum();
        self.plan.policy.max_nodes.map_or(sum, |m| m.min(sum))
    }

    /// The floor of the pools' size at `now`: their `min_nodes`, raised by the forecast when
    /// there is one (a new forecast at each of its steps); and its note for the events.
    fn provision(&mut self, now: SimTime, v: &ClusterView) -> (u32, String) {
        let min: u32 = self.plan.min_nodes.iter().sum();
        let max = self.max_total();
        let Some(f) = self.plan.policy.forecast.as_ref() else {
            return (min, String::new());
        };
        let Some(state) = self.forecast.as_mut() else {
            return (min, String::new());
        };
        if now >= state.next {
            state.next = now + f.step;
            let actual = demand_vcpu(v);
            let step = state.tracker.step(now, actual, f.headroom_sigmas);
            if let Some((log, series)) = &state.log {
                log.record(*series, now, actual, &step);
            }
            // The pools' allocatable vCPUs per node, weighted as new nodes are.
            let (weighted, weights) = v.node_groups.iter().zip(&self.plan.policy.pools).fold(
                (0.0, 0.0),
                |(a, w), (g, share)| {
                    let wt = f64::from(share.weight);
                    (a + wt * g.allocatable.cpu_millis as f64 / 1000.0, w + wt)
                },
            );
            let per_node = if weights > 0.0 {
                weighted / weights
            } else {
                1.0
            };
            let wanted = nodes_for(step.value + step.headroom, per_node, f.target_utilization);
            state.floor = wanted.clamp(min, max);
            state.note = format!(
                "; forecast {:.1} vCPU in {} (seasonal naive {:.1}), headroom {:.1} ({} errors, \
                 {}σ), actual {actual:.1} vCPU: floor {} nodes",
                step.value,
                step.ahead,
                step.naive,
                step.headroom,
                step.errors,
                f.headroom_sigmas,
                state.floor
            );
        }
        (state.floor.max(min), state.note.clone())
    }
}

/// The evaluation's row: the nodes before (`current`), the floor (`proposed`: the pools'
/// minimum or the forecast's) and after (`final`), the outcome `ScaleUp`, `ScaleDown` or
/// `Hold`, and the event message as its words.
fn record(
    decisions: &Decisions,
    index: usize,
    w: &PoolWatch,
    now: SimTime,
    view: &AutoscalingView,
    launch: &[LaunchOrder],
    remove: &[RemoveOrder],
) {
    let current: u32 = (0..w.plan.pools.len())
        .map(|g| view.view.node_groups.get(g).map_or(0, |n| n.target_size))
        .sum();
    let added: u32 = launch.iter().map(|l| l.count).sum();
    let removed = remove.len() as u32;
    let outcome = match (added, removed) {
        (0, 0) => "Hold",
        (_, 0) => "ScaleUp",
        _ => "ScaleDown",
    };
    let floor = w.forecast.as_ref().map_or(f64::NAN, |f| f64::from(f.floor));
    decisions.record(
        Decision {
            time_ns: now.as_nanos(),
            controller: Controller::PoolPolicy,
            stream: index as u64,
            kind: "evaluation",
            outcome,
            figures: Figures {
                value: f64::NAN,
                target: f64::NAN,
                current: f64::from(current),
                proposed: floor,
                final_: f64::from((current + added).saturating_sub(removed)),
            },
        },
        || Described {
            scope: Scope {
                region: w.plan.request.region.as_str().into(),
                scope: w.plan.policy.name.as_str().into(),
            },
            subject: "".into(),
            // Built only when the row is stored: the orders' message, else the hold's.
            detail: launch
                .first()
                .map(|l| l.why.clone())
                .or_else(|| remove.first().map(|r| r.why.clone()))
                .unwrap_or_else(|| {
                    format!(
                        "{}: no condition sustained or cooling down; {current} nodes",
                        w.plan.policy.name
                    )
                }),
        },
    );
}

/// A graceful decommission's end: the node, the pods it still ran (`value`, evicted when the
/// timeout passed) and the timeout in seconds (`target`), outcome `Removed`, the order's
/// message as its words (the policy's stream, kind `decommission`).
fn record_decommission(
    decisions: &Decisions,
    index: usize,
    w: &PoolWatch,
    now: SimTime,
    v: &ClusterView,
    order: &RemoveOrder,
) {
    let pods = v
        .nodes
        .iter()
        .find(|n| n.id == order.node)
        .map_or(0, |n| n.pod_count);
    decisions.record(
        Decision {
            time_ns: now.as_nanos(),
            controller: Controller::PoolPolicy,
            stream: index as u64,
            kind: "decommission",
            outcome: "Removed",
            figures: Figures {
                value: f64::from(pods),
                target: w.plan.policy.graceful_decommission_timeout.as_secs_f64(),
                current: f64::from(order.node),
                proposed: f64::NAN,
                final_: f64::NAN,
            },
        },
        || Described {
            scope: Scope {
                region: w.plan.request.region.as_str().into(),
                scope: w.plan.policy.name.as_str().into(),
            },
            subject: format!("node {}", order.node).into(),
            detail: order.why.clone(),
        },
    );
}

/// Up to `count` empty Ready nodes of the view to remove, newest first, at most `room[g]` of
/// group `g` (so no pool goes under its `min_nodes`).
fn empty_above(v: &ClusterView, count: u32, mut room: Vec<u32>, why: &str) -> Vec<RemoveOrder> {
    let mut empty: Vec<&crate::api::NodeView> = v
        .nodes
        .iter()
        .filter(|n| n.ready && !n.deleting && n.is_empty())
        .collect();
    empty.sort_by(|a, b| b.created.cmp(&a.created).then(b.id.cmp(&a.id)));
    empty
        .into_iter()
        .filter(|n| match room.get_mut(n.group as usize) {
            Some(r) if *r > 0 => {
                *r -= 1;
                true
            }
            _ => false,
        })
        .take(count as usize)
        .map(|n| RemoveOrder {
            node: n.id,
            drain: true,
            reason: Reason::ScaleDown,
            why: why.to_owned(),
        })
        .collect()
}

/// Every node-pool policy of the run.
#[derive(Serialize, Deserialize)]
pub struct PoolPolicyController {
    /// Plain data, left out of nexosim's serialized state (runs are never checkpointed).
    #[serde(skip)]
    watches: Vec<PoolWatch>,
    /// Connect to `Cluster::node_autoscaling_view`.
    pub view: Requestor<Arc<ViewRequest>, AutoscalingView>,
    /// Connect to `Cluster::launch`.
    pub launch: Output<Vec<LaunchOrder>>,
    /// Connect to `Cluster::remove`.
    pub remove: Output<Vec<RemoveOrder>>,
    /// The run's decisions log: one `evaluation` row per evaluation, collapsed while nothing
    /// changes.
    #[serde(skip)]
    decisions: Decisions,
}

impl PoolPolicyController {
    pub fn new(plans: &[PoolPolicyPlan]) -> Self {
        PoolPolicyController {
            watches: plans
                .iter()
                .map(|plan| PoolWatch {
                    plan: plan.clone(),
                    state: ThresholdState::default(),
                    next: SimTime::ZERO + plan.policy.evaluation_interval,
                    last: SimTime::ZERO,
                    spent_usd: 0.0,
                    decommissioning: Vec::new(),
                    forecast: plan.policy.forecast.as_ref().map(|f| Provisioning {
                        tracker: Tracker::new(
                            f.step,
                            f.period,
                            f.lead_time,
                            f.smoothing,
                            f.error_window,
                            &plan.history,
                        ),
                        next: SimTime::ZERO + f.step,
                        floor: plan.min_nodes.iter().sum(),
                        note: String::new(),
                        log: None,
                    }),
                })
                .collect(),
            view: Requestor::default(),
            launch: Output::default(),
            remove: Output::default(),
            decisions: Decisions::default(),
        }
    }

    /// Records every forecast of a policy with one into `log`, one series per policy,
    /// labelled with the region of its first pool and its pools' names from `pools`
    /// (`(region, name)` by cluster pool id).
    pub fn with_forecasts(mut self, log: &ForecastLog, pools: &[(&str, &str)]) -> Self {
        for w in &mut self.watches {
            let Some(state) = w.forecast.as_mut() else {
                continue;
            };
            let of = |id: &u32| pools.get(*id as usize).copied().unwrap_or_default();
            let series = log.series(SeriesLabel {
                policy: w.plan.policy.name.clone(),
                region: w.plan.pools.first().map_or("", |id| of(id).0).to_string(),
                target: w
                    .plan
                    .pools
                    .iter()
                    .map(|id| of(id).1)
                    .collect::<Vec<_>>()
                    .join("+"),
                unit: "vcpu",
            });
            state.log = Some((log.clone(), series));
        }
        self
    }

    /// Records into the run's decisions log.
    pub fn with_decisions(mut self, decisions: Decisions) -> Self {
        self.decisions = decisions;
        self
    }

    fn schedule_next(&self, cx: &Context<Self>) {
        if let Some(at) = self.watches.iter().map(|w| w.next).min()
            && let Err(e) = cx.schedule_event(at.to_monotonic(), schedulable!(Self::fire), ())
        {
            panic!("pool policy: wake-up at {at:?} refused: {e}");
        }
    }
}

#[Model]
impl PoolPolicyController {
    #[nexosim(init)]
    async fn init(&mut self, cx: &Context<Self>) {
        self.schedule_next(cx);
    }

    #[nexosim(schedulable)]
    async fn fire(&mut self, _: (), cx: &Context<Self>) {
        let now = SimTime::from_monotonic(cx.time());
        for i in 0..self.watches.len() {
            if self.watches[i].next > now {
                continue;
            }
            let request = self.watches[i].plan.request.clone();
            let view = self.view.send(request).await.next().unwrap_or_default();
            let w = &mut self.watches[i];
            w.next = now + w.plan.policy.evaluation_interval;
            // Decommissions that end now first: those nodes were counted out when cordoned.
            let mut finished = w.finish_decommissions(now, &view.view);
            let (launch, remove) = w.evaluate(now, &view);
            record(&self.decisions, i, w, now, &view, &launch, &remove);
            if !launch.is_empty() {
                self.launch.send(launch).await;
            }
            for order in &finished {
                record_decommission(&self.decisions, i, w, now, &view.view, order);
            }
            finished.extend(remove);
            if !finished.is_empty() {
                self.remove.send(finished).await;
            }
        }
        self.schedule_next(cx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::NodeView;
    use sim::time::SimDuration;

    const MIN: u64 = 60;

    fn node(id: u32, pods: u32) -> NodeView {
        NodeView {
            id,
            group: 0,
            instance_type: 0,
            capacity_type: CapacityType::OnDemand,
            zone: 0,
            price_usd_per_hour: 0.39,
            capacity: Default::default(),
            allocatable: Default::default(),
            requested: Default::default(),
            pod_count: pods,
            pods: Vec::new(),
            created: SimTime::ZERO,
            last_pod_change: SimTime::ZERO,
            ready: true,
            deleting: false,
            blockers: Default::default(),
        }
    }

    fn watch(timeout: &str) -> PoolWatch {
        let policy: PoolPolicy = serde_json::from_str(&format!(
            r#"{{"name": "workers", "pools": [{{"pool": "w"}}],
                "graceful_decommission_timeout": "{timeout}"}}"#
        ))
        .unwrap();
        PoolWatch {
            plan: PoolPolicyPlan {
                policy,
                request: Arc::new(ViewRequest {
                    region: "us-central1".into(),
                    groups: 1,
                    pools: Vec::new(),
                    in_flight: false,
                    pending_only: false,
                    nodes_only_below: None,
                    drains: None,
                    pods_only_in: None,
                }),
                pools: vec![0],
                capacity_types: vec![CapacityType::OnDemand],
                min_nodes: vec![0],
                max_nodes: vec![10],
                history: Vec::new(),
            },
            state: ThresholdState::default(),
            next: SimTime::ZERO,
            last: SimTime::ZERO,
            spent_usd: 0.0,
            forecast: None,
            decommissioning: Vec::new(),
        }
    }

    fn view(nodes: Vec<NodeView>) -> ClusterView {
        ClusterView {
            nodes,
            ..ClusterView::default()
        }
    }

    #[test]
    fn a_busy_node_is_cordoned_and_removed_at_its_timeout_or_once_empty() {
        // A 10-minute timeout, evaluated every minute: node 1 (3 pods) chosen at 5 min is
        // cordoned; still busy at 14 min; drained at 15 min, its pods evicted.
        let mut w = watch("10m");
        let at = |m: u64| SimTime::ZERO + SimDuration::from_secs(m * MIN);
        let busy = view(vec![node(1, 3), node(2, 0)]);
        let first = w.removal(at(5), &busy, 1, "workers: scale down");
        assert_eq!(first.reason, Reason::NodeNotSchedulable);
        assert!(w.finish_decommissions(at(14), &busy).is_empty());
        let done = w.finish_decommissions(at(15), &busy);
        assert_eq!(done.len(), 1);
        assert_eq!((done[0].node, done[0].reason), (1, Reason::ScaleDown));
        assert!(
            done[0]
                .why
                .contains("timeout 10m0s passed with 3 pod(s) left"),
            "{}",
            done[0].why
        );
        // Once done it is forgotten.
        assert!(w.finish_decommissions(at(16), &busy).is_empty());
        // Chosen at 5 min and empty by 8 min: removed at the 8-minute evaluation.
        let mut w = watch("10m");
        w.removal(at(5), &busy, 1, "workers: scale down");
        assert!(w.finish_decommissions(at(7), &busy).is_empty());
        let emptied = view(vec![node(1, 0), node(2, 0)]);
        let done = w.finish_decommissions(at(8), &emptied);
        assert_eq!(done.len(), 1);
        assert!(done[0].why.contains("pods are gone"), "{}", done[0].why);
        // An empty node is drained at once, busy or not, without a timeout.
        assert_eq!(w.removal(at(9), &busy, 2, "x").reason, Reason::ScaleDown);
        let mut forceful = watch("0s");
        assert_eq!(
            forceful.removal(at(5), &busy, 1, "x").reason,
            Reason::ScaleDown
        );
        assert!(forceful.decommissioning.is_empty());
    }
}

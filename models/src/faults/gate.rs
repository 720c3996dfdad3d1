//! `failback: WaitForCapacity(share)`: a recovered region takes its traffic back only once it
//! can serve it.
//!
//! **Why.** While its traffic is elsewhere, a region's HPA reads 0 % CPU and scales its
//! deployment down to `minReplicas` once the 5-minute downscale stabilization window has
//! passed (upstream `pkg/controller/podautoscaler/horizontal.go`: a utilization ratio of 0 is
//! outside the tolerance, the proposal `ceil(0 × pods)` is clamped to `minReplicas`; an HPA
//! does nothing only at 0 replicas, which a `minReplicas ≥ 1` never reaches). An immediate
//! failback then sends the region's whole traffic to those few pods.
//!
//! **What.** For each service behind the load balancer and each of its regions that fails:
//! 1. just before the failure the run reads the region's ready pods, `pre`; the capacity
//!    wanted back is `needed = ceil(share × pre)`;
//! 2. when the region is back, the service's HPA is held at `minReplicas = needed` — a
//!    [`BoundsStep`] sent to the HPA, which queues it with its scheduled steps and applies it
//!    at its next sync, as a scheduled action's `min_replicas` (`policy`'s path);
//! 3. from then on, at each health check, the run reads the region's ready pods: the region's
//!    deep health check passes from the first check where `ready ≥ needed`. That instant goes
//!    into the live router as the region's return (`FailoverRouter::set_health`), which the
//!    health checks then see after `failure_threshold` more checks, and the clients follow
//!    within one TTL, as for any return; [`HOLD_AFTER_RETURN`] after the traffic is back in
//!    full the HPA's minimum goes back to its own `min_replicas` (released sooner, an HPA
//!    whose stabilization window still holds the wait's 0 % recommendations drops to a
//!    handful of pods under the returned load).
//!
//! The run loop stops at these instants (reading the cluster is a query: it adds no event), as
//! it does for a replication primary's failure. A service without an HPA keeps its replicas
//! and waits for them to be ready. `pre = 0` passes at the first check.

use std::sync::{Arc, Mutex};

use sim::time::{SimDuration, SimTime};

use super::config::Failback;
use super::failover::FailoverGroup;
use super::outage::HealthEvent;
use super::router::FailoverRouter;
use crate::api::BoundsStep;

/// How long the HPA's minimum stays held after the traffic is back: upstream's default
/// downscale stabilization window (`--horizontal-pod-autoscaler-downscale-stabilization`,
/// 5 min), so every recommendation in it was made under the returned load.
pub const HOLD_AFTER_RETURN: SimDuration = SimDuration::from_secs(300);

/// Where one region's return stands.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    /// Read the ready pods before the failure, at `at`.
    Measure,
    /// Hold the HPA's minimum from the region's return.
    Floor,
    /// A health check: is the capacity back?
    Check,
    Done,
}

/// One region's return for one service.
#[derive(Debug)]
struct Wait {
    live: Arc<Mutex<FailoverRouter>>,
    region: usize,
    region_name: String,
    /// Cluster service id of the service in that region.
    member: u32,
    up_at: SimTime,
    /// The HPA's own `min_replicas`, restored once the capacity is back.
    own_min: Option<u32>,
    needed: u32,
    step: Step,
    next: SimTime,
}

/// What the run loop does at a stop: bounds for an HPA, and a region's traffic returning.
#[derive(Debug, Clone, PartialEq)]
pub enum GateOrder {
    /// Send this step to the HPA of the cluster service.
    Bounds(u32, BoundsStep),
    /// The region's traffic is back in full at this instant (for the RTO books).
    Returned { region: String, at: SimTime },
}

/// Every region's return under `WaitForCapacity`.
#[derive(Debug, Default)]
pub struct CapacityGates {
    share: f64,
    waits: Vec<Wait>,
}

impl CapacityGates {
    /// The waits of `groups` (none unless the failback is `WaitForCapacity`); `own_min(id)` is
    /// the `min_replicas` of cluster service `id`'s HPA, if it has one.
    pub fn new(
        failback: Failback,
        groups: &[FailoverGroup],
        own_min: impl Fn(u32) -> Option<u32>,
    ) -> Self {
        let Failback::WaitForCapacity(share) = failback else {
            return CapacityGates::default();
        };
        let mut waits = Vec::new();
        for g in groups {
            let Some(live) = &g.live else { continue };
            for &(region, up_at) in &g.waits {
                let region_name = g.router.regions()[region].clone();
                // The failure this return ends: the latest before it.
                let down_at = g
                    .router
                    .actual_changes(region)
                    .iter()
                    .rev()
                    .find(|&&(t, healthy)| !healthy && t <= up_at)
                    .map_or(SimTime::ZERO, |&(t, _)| t);
                let member = g.members[region];
                waits.push(Wait {
                    live: live.clone(),
                    region,
                    region_name,
                    member,
                    up_at,
                    own_min: own_min(member),
                    needed: 0,
                    step: Step::Measure,
                    next: SimTime::from_nanos(down_at.as_nanos().saturating_sub(1)),
                });
            }
        }
        CapacityGates { share, waits }
    }

    /// The next instant the run must stop at, if any.
    pub fn next_stop(&self) -> Option<SimTime> {
        self.waits
            .iter()
            .filter(|w| w.step != Step::Done)
            .map(|w| w.next)
            .min()
    }

    /// The cluster services whose ready pods the stop at `t` reads.
    pub fn services_at(&self, t: SimTime) -> Vec<u32> {
        let mut ids: Vec<u32> = self
            .waits
            .iter()
            .filter(|w| w.next == t && matches!(w.step, Step::Measure | Step::Check))
            .map(|w| w.member)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The stop at `t`, given the ready pods of [`Self::services_at`]: the orders to carry
    /// out, in the waits' order.
    pub fn stop(&mut self, t: SimTime, ready: impl Fn(u32) -> u32) -> Vec<GateOrder> {
        let mut orders = Vec::new();
        for w in self.waits.iter_mut().filter(|w| w.next == t) {
            match w.step {
                Step::Measure => {
                    let pre = ready(w.member);
                    w.needed = (self.share * f64::from(pre)).ceil() as u32;
                    w.step = Step::Floor;
                    w.next = w.up_at;
                }
                Step::Floor => {
                    if w.own_min.is_some() {
                        orders.push(GateOrder::Bounds(
                            w.member,
                            BoundsStep {
                                at: t,
                                min: Some(w.needed.max(1)),
                                max: None,
                                event: Some(format!(
                                    "failback WaitForCapacity({}): {} back, held at {} ready \
                                     pods before its traffic returns",
                                    self.share, w.region_name, w.needed
                                )),
                            },
                        ));
                    }
                    w.step = Step::Check;
                    let router = lock(&w.live);
                    w.next = router.next_check_after(t);
                }
                Step::Check => {
                    let mut router = lock(&w.live);
                    if ready(w.member) < w.needed {
                        w.next = router.next_check_after(t);
                        continue;
                    }
                    router.set_health(HealthEvent {
                        at: t,
                        region: w.region,
                        healthy: true,
                    });
                    w.step = Step::Done;
                    let returned = router
                        .observed_changes(w.region)
                        .iter()
                        .find(|&&(at, healthy)| healthy && at >= t)
                        .map_or(t, |&(seen, _)| router.failback_done_at(seen));
                    orders.push(GateOrder::Returned {
                        region: w.region_name.clone(),
                        at: returned,
                    });
                    // Held one downscale stabilization window past the traffic's return:
                    // released sooner, the HPA's window still holds the 0 % recommendations of
                    // the wait and it scales straight back down under the arriving load.
                    if let Some(min) = w.own_min {
                        orders.push(GateOrder::Bounds(
                            w.member,
                            BoundsStep {
                                at: returned + HOLD_AFTER_RETURN,
                                min: Some(min),
                                max: None,
                                event: Some(format!(
                                    "failback WaitForCapacity({}): {} had {} ready pods, its \
                                     traffic has been back for {HOLD_AFTER_RETURN}; min_replicas back to {min}",
                                    self.share, w.region_name, w.needed
                                )),
                            },
                        ));
                    }
                }
                Step::Done => {}
            }
        }
        orders
    }
}

fn lock(live: &Mutex<FailoverRouter>) -> std::sync::MutexGuard<'_, FailoverRouter> {
    match live.lock() {
        Ok(router) => router,
        Err(poisoned) => poisoned.into_inner(),
    }
}

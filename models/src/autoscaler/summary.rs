//! The node-autoscaling figures of a run's summary, from what the `Cluster` already reports.
//!
//! * Node-hours and cost by capacity type: [`by_capacity_type`] sums the cluster's per-pool
//!   bills (`crate::cluster::PoolBill`, billed per second with the minimum of
//!   `cluster::billing`), so the split always adds up to the run's cost.
//! * Pending pod-seconds: already exact in `crate::cluster::ClusterReport::pending_pod_seconds`
//!   (Σ over pods of their time Pending); nothing to add here.
//! * Time to capacity ([`SurgeClock`]): a *surge* is a maximal interval during which at least
//!   one pod is pending; it starts when the first pod of it becomes pending and ends when the
//!   last pending pod is scheduled (pods arriving during the surge extend it). Its time to
//!   capacity is the interval's length; an interval of zero length (a pod created and bound
//!   at one instant) is not a surge. The `Cluster` feeds it at every change of its pending
//!   count, so it is exact.

use serde::{Deserialize, Serialize};
use sim::time::{SimDuration, SimTime};

use crate::cluster::PoolBill;
use crate::config::CapacityType;

/// Node-hours and cost of one capacity type.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CapacityTotals {
    pub node_hours: f64,
    pub cost_usd: f64,
}

/// (on-demand, spot) totals of the pools' bills.
pub fn by_capacity_type(bills: &[PoolBill]) -> (CapacityTotals, CapacityTotals) {
    let mut on_demand = CapacityTotals::default();
    let mut spot = CapacityTotals::default();
    for bill in bills {
        let t = match bill.capacity_type {
            CapacityType::OnDemand => &mut on_demand,
            CapacityType::Spot => &mut spot,
        };
        t.node_hours += bill.node_hours;
        t.cost_usd += bill.cost_usd;
    }
    (on_demand, spot)
}

/// Measures time to capacity over a run: feed it the pending pod count whenever it changes.
/// Serializable because the `Cluster` model, which feeds it, is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SurgeClock {
    open: Option<SimTime>,
    surges: Vec<(SimTime, SimDuration)>,
}

impl SurgeClock {
    pub fn observe(&mut self, now: SimTime, pending_pods: u64) {
        match (self.open, pending_pods) {
            (None, n) if n > 0 => self.open = Some(now),
            (Some(start), 0) => {
                // A pod created and bound at the same instant is no surge: storing those would
                // cost a record per pod on a day of millions.
                if now > start {
                    self.surges
                        .push((start, now.saturating_duration_since(start)));
                }
                self.open = None;
            }
            _ => {}
        }
    }

    /// Finished surges: (start, time to capacity).
    pub fn surges(&self) -> &[(SimTime, SimDuration)] {
        &self.surges
    }

    /// The longest time to capacity, counting a surge still open at `end` up to `end`.
    pub fn worst(&self, end: SimTime) -> Option<SimDuration> {
        let open = self.open.map(|s| end.saturating_duration_since(s));
        self.surges.iter().map(|&(_, d)| d).chain(open).max()
    }
}

//! The `Traffic` model: turns each service's [`Shape`] into rate changes, sent to the cluster
//! in one batch per instant. A service with global traffic is routed: each region's rate is
//! the global shape times the region's share from the service's [`Router`]. A service behind
//! the failover load balancer (`models::faults::failover`) is handled as a group: the traffic of
//! each region's clients (its shape, routed or not) is re-split by the group's
//! `FailoverRouter`, so a region's rate follows health checks, DNS answers and TTLs.
//!
//! It holds every shape's next breakpoint in its own heap and keeps a single self-scheduled
//! event for the earliest one (DESIGN.md: a nexosim event costs ~1 µs, a heap entry ~50 ns), so
//! thousands of shapes that change on the same minute cost one event, not thousands.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use nexosim::model::{Context, Model, schedulable};
use nexosim::ports::Output;
use serde::{Deserialize, Serialize};
use sim::time::{SimTime, UtcInstant};
use workloads::router::Router;
use workloads::traffic::Shape;

use crate::api::RoutePlan;
use crate::faults::failover::FailoverGroup;

/// Arrival rates of every service, by service id (the index in the cluster plan).
#[derive(Serialize, Deserialize)]
pub struct Traffic {
    start: UtcInstant,
    shapes: Vec<Shape>,
    routers: Vec<Router>,
    /// Per service id: its router and its position among the router's regions.
    routes: Vec<Option<(u32, u32)>>,
    /// Services behind the failover load balancer; nexosim's checkpoints are never taken.
    #[serde(skip)]
    groups: Vec<FailoverGroup>,
    /// Per service id: its failover group.
    group_of: Vec<Option<u32>>,
    /// (instant in ns, service id) of each shape's next breakpoint (a group's first member
    /// stands for the group).
    due: BinaryHeap<Reverse<(u64, u32)>>,
    /// Rate changes `(service id, requests/s)`, one batch per instant.
    pub rates: Output<Vec<(u32, f64)>>,
}

impl Traffic {
    /// One shape per service id; `start` places daily cycles on the clock; `groups` are the
    /// services behind the failover load balancer (none without a `failover` section).
    pub fn new(
        start: UtcInstant,
        shapes: Vec<Shape>,
        routes: &[RoutePlan],
        groups: Vec<FailoverGroup>,
    ) -> Self {
        let mut by_service = vec![None; shapes.len()];
        for (r, route) in routes.iter().enumerate() {
            for (k, &id) in route.services.iter().enumerate() {
                by_service[id as usize] = Some((r as u32, k as u32));
            }
        }
        let mut group_of = vec![None; shapes.len()];
        for (g, group) in groups.iter().enumerate() {
            for &id in &group.members {
                group_of[id as usize] = Some(g as u32);
            }
        }
        Traffic {
            start,
            shapes,
            routers: routes.iter().map(|r| r.router.clone()).collect(),
            routes: by_service,
            groups,
            group_of,
            due: BinaryHeap::new(),
            rates: Output::default(),
        }
    }

    /// The rate of a service's own clients at `now` (its shape, times its router's share) and
    /// when it next changes.
    fn origin(&self, id: u32, now: SimTime) -> (f64, Option<SimTime>) {
        let segment = self.shapes[id as usize].segment(self.start, now);
        let (mut rps, mut until) = (segment.rps, segment.until);
        if let Some((r, k)) = self.routes[id as usize] {
            let split = self.routers[r as usize].split(self.start, now);
            rps *= split.shares[k as usize];
            until = earliest(until, split.until);
        }
        (rps, until)
    }

    /// The rates of the services due at `now`, and their next breakpoints pushed. A due member
    /// of a failover group brings its whole group.
    fn collect(&mut self, now: SimTime, ids: impl Iterator<Item = u32>) -> Vec<(u32, f64)> {
        let mut batch = Vec::new();
        let mut groups = std::collections::BTreeSet::new();
        for id in ids {
            if let Some(g) = self.group_of[id as usize] {
                groups.insert(g);
                continue;
            }
            let (rps, until) = self.origin(id, now);
            if let Some(until) = until {
                self.due.push(Reverse((until.as_nanos(), id)));
            }
            batch.push((id, rps));
        }
        for g in groups {
            let group = &self.groups[g as usize];
            let mut until = group.next_breakpoint(now);
            let origin: Vec<f64> = group
                .members
                .iter()
                .map(|&id| {
                    let (rps, next) = self.origin(id, now);
                    until = earliest(until, next);
                    rps
                })
                .collect();
            let rates = group.rates_at(now, &origin);
            batch.extend(group.members.iter().copied().zip(rates));
            if let Some(until) = until {
                self.due.push(Reverse((until.as_nanos(), group.members[0])));
            }
        }
        batch.sort_unstable_by_key(|&(id, _)| id);
        batch
    }

    fn schedule_next(&self, cx: &Context<Self>) {
        if let Some(&Reverse((at, _))) = self.due.peek() {
            let at = SimTime::from_nanos(at).to_monotonic();
            // The heap only holds instants after now: a refusal is a bug, and a silent one would
            // freeze every rate.
            if let Err(e) = cx.schedule_event(at, schedulable!(Self::tick), ()) {
                let now = SimTime::from_monotonic(cx.time());
                panic!("traffic: next breakpoint {at:?} refused at {now:?}: {e}");
            }
        }
    }
}

fn earliest(a: Option<SimTime>, b: Option<SimTime>) -> Option<SimTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[Model]
impl Traffic {
    #[nexosim(init)]
    async fn init(&mut self, cx: &Context<Self>) {
        let now = SimTime::from_monotonic(cx.time());
        let batch = self.collect(now, 0..self.shapes.len() as u32);
        self.rates.send(batch).await;
        self.schedule_next(cx);
    }

    #[nexosim(schedulable)]
    async fn tick(&mut self, _: (), cx: &Context<Self>) {
        let now = SimTime::from_monotonic(cx.time());
        let mut ids = Vec::new();
        while let Some(&Reverse((at, id))) = self.due.peek() {
            if at > now.as_nanos() {
                break;
            }
            self.due.pop();
            ids.push(id);
        }
        let batch = self.collect(now, ids.into_iter());
        self.rates.send(batch).await;
        self.schedule_next(cx);
    }
}

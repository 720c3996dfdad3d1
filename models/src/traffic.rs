//! The `Traffic` model: turns each service's [`Shape`] into rate changes, sent to the cluster
//! in one batch per instant. A service with global traffic is routed: each region's rate is
//! the global shape times the region's share from the service's [`Router`].
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

use crate::run::RoutePlan;

/// Arrival rates of every service, by service id (the index in the cluster plan).
#[derive(Serialize, Deserialize)]
pub struct Traffic {
    start: UtcInstant,
    shapes: Vec<Shape>,
    routers: Vec<Router>,
    /// Per service id: its router and its position among the router's regions.
    routes: Vec<Option<(u32, u32)>>,
    /// (instant in ns, service id) of each shape's next breakpoint.
    due: BinaryHeap<Reverse<(u64, u32)>>,
    /// Rate changes `(service id, requests/s)`, one batch per instant.
    pub rates: Output<Vec<(u32, f64)>>,
}

impl Traffic {
    /// One shape per service id; `start` places daily cycles on the clock.
    pub fn new(start: UtcInstant, shapes: Vec<Shape>, routes: &[RoutePlan]) -> Self {
        let mut by_service = vec![None; shapes.len()];
        for (r, route) in routes.iter().enumerate() {
            for (k, &id) in route.services.iter().enumerate() {
                by_service[id as usize] = Some((r as u32, k as u32));
            }
        }
        Traffic {
            start,
            shapes,
            routers: routes.iter().map(|r| r.router.clone()).collect(),
            routes: by_service,
            due: BinaryHeap::new(),
            rates: Output::default(),
        }
    }

    /// The rates of the services due at `now`, and their next breakpoints pushed.
    fn collect(&mut self, now: SimTime, ids: impl Iterator<Item = u32>) -> Vec<(u32, f64)> {
        ids.map(|id| {
            let segment = self.shapes[id as usize].segment(self.start, now);
            let (mut rps, mut until) = (segment.rps, segment.until);
            if let Some((r, k)) = self.routes[id as usize] {
                let split = self.routers[r as usize].split(self.start, now);
                rps *= split.shares[k as usize];
                until = match (until, split.until) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            if let Some(until) = until {
                self.due.push(Reverse((until.as_nanos(), id)));
            }
            (id, rps)
        })
        .collect()
    }

    fn schedule_next(&self, cx: &Context<Self>) {
        if let Some(&Reverse((at, _))) = self.due.peek() {
            let at = SimTime::from_nanos(at).to_monotonic();
            // The heap only holds instants after now, so scheduling cannot fail.
            let _ = cx.schedule_event(at, schedulable!(Self::tick), ());
        }
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

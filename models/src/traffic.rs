//! The `Traffic` model: turns each service's [`Shape`] into rate changes, sent to the cluster
//! in one batch per instant.
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
use workloads::traffic::Shape;

/// Arrival rates of every service, by service id (the index in the cluster plan).
#[derive(Serialize, Deserialize)]
pub struct Traffic {
    start: UtcInstant,
    shapes: Vec<Shape>,
    /// (instant in ns, service id) of each shape's next breakpoint.
    due: BinaryHeap<Reverse<(u64, u32)>>,
    /// Rate changes `(service id, requests/s)`, one batch per instant.
    pub rates: Output<Vec<(u32, f64)>>,
}

impl Traffic {
    /// One shape per service id; `start` places daily cycles on the clock.
    pub fn new(start: UtcInstant, shapes: Vec<Shape>) -> Self {
        Traffic {
            start,
            shapes,
            due: BinaryHeap::new(),
            rates: Output::default(),
        }
    }

    /// The rates of the services due at `now`, and their next breakpoints pushed.
    fn collect(&mut self, now: SimTime, ids: impl Iterator<Item = u32>) -> Vec<(u32, f64)> {
        ids.map(|id| {
            let segment = self.shapes[id as usize].segment(self.start, now);
            if let Some(until) = segment.until {
                self.due.push(Reverse((until.as_nanos(), id)));
            }
            (id, segment.rps)
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

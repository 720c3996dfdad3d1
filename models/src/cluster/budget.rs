//! The run's event budget (TigerStyle: a limit on everything). A model that schedules far more
//! than any cluster day needs (a self-event at a nanosecond's interval, a wake-up loop) would
//! otherwise run for hours; past the budget the cluster halts the simulation and the run ends
//! with `run::RunError::EventBudget`, naming the budget and the simulated instant.
//!
//! The events counted are the cluster's `events_handled` (messages, queries and timers: the
//! bench's count), which every other model's work reaches: traffic ticks send rates, the HPA and
//! the autoscalers query and order, the fault injector asks for the census.

use std::sync::OnceLock;

use nexosim::simulation::Scheduler;

/// Shared by the cluster, which counts and halts, and the run loop, which hands it the
/// simulation's scheduler once the simulation is built and reads why it stopped.
#[derive(Debug)]
pub struct EventBudget {
    limit: u64,
    scheduler: OnceLock<Scheduler>,
    /// The simulated instant (ns) at which the budget ran out.
    exhausted_at_ns: OnceLock<u64>,
}

impl EventBudget {
    pub fn new(limit: u64) -> Self {
        EventBudget {
            limit,
            scheduler: OnceLock::new(),
            exhausted_at_ns: OnceLock::new(),
        }
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Gives the budget the scheduler it halts; set once, after `SimInit::init`.
    pub fn attach(&self, scheduler: Scheduler) {
        // A second attach would be a wiring bug of the run loop; the first scheduler stays.
        let attached = self.scheduler.set(scheduler).is_ok();
        debug_assert!(attached, "event budget attached twice");
    }

    /// Called with the count so far: past the limit, halts the simulation (once).
    pub(super) fn check(&self, handled: u64, now_ns: u64) {
        if handled <= self.limit || self.exhausted_at_ns.set(now_ns).is_err() {
            return;
        }
        if let Some(scheduler) = self.scheduler.get() {
            scheduler.halt();
        }
    }

    /// When the budget ran out, if it did.
    pub fn exhausted_at_ns(&self) -> Option<u64> {
        self.exhausted_at_ns.get().copied()
    }
}

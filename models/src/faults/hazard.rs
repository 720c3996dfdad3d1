//! A pool's clock of independent per-node failures (spot reclaims, hardware failures) whose
//! rate follows the number of nodes at risk.
//!
//! Each node has an exponential clock of rate `λ` per node-hour; the superposition over the
//! `N(t)` nodes alive is a Poisson process of rate `N(t)·λ`. It is simulated as a time change of
//! a unit-rate Poisson process: draw a budget `E ~ Exp(1)`, and the next event is the instant
//! where `∫ N(s)·λ ds` since the previous event reaches `E`. The victim is then one of the nodes
//! alive at that instant, uniformly (every node has the same rate).
//!
//! Why this rather than redrawing an exponential whenever `N` changes (also correct, by
//! memorylessness): the budget consumes one draw per event, never one per change of `N`, so an
//! autoscaler that adds and removes nodes does not reshuffle the failures, and the instants
//! depend only on `∫ N` — which makes runs that differ in a scaling policy comparable draw for
//! draw. The caller owns the event; it asks [`HazardClock::next_at`] after each change and
//! keeps one pending wake-up (DESIGN.md, "Granularity").

use sim::rng::Stream;
use sim::time::{SimDuration, SimTime};

use super::draw;

const S_PER_HOUR: f64 = 3600.0;

/// A Poisson clock of rate `nodes × rate_per_node_hour`.
#[derive(Debug, Clone)]
pub struct HazardClock {
    rate_per_node_hour: f64,
    rng: Stream,
    /// Unit-rate budget left until the next event.
    budget: f64,
    nodes: u32,
    /// Where `budget` and `nodes` were last brought up to date.
    since: SimTime,
}

impl HazardClock {
    /// A clock with no node at risk yet; `rate_per_node_hour` must be finite and ≥ 0.
    pub fn new(rate_per_node_hour: f64, mut rng: Stream) -> Self {
        let budget = draw::exponential(&mut rng, 1.0);
        HazardClock {
            rate_per_node_hour,
            rng,
            budget,
            nodes: 0,
            since: SimTime::ZERO,
        }
    }

    pub fn rate_per_node_hour(&self) -> f64 {
        self.rate_per_node_hour
    }

    /// The pool has `nodes` nodes at risk from `now` on (`now` not before the last call).
    pub fn set_nodes(&mut self, now: SimTime, nodes: u32) {
        self.advance(now);
        self.nodes = nodes;
    }

    /// When the next event happens if the number of nodes does not change; `None` with no
    /// node at risk or a zero rate.
    pub fn next_at(&self) -> Option<SimTime> {
        let rate_per_s = f64::from(self.nodes) * self.rate_per_node_hour / S_PER_HOUR;
        if rate_per_s <= 0.0 {
            return None;
        }
        // At least one nanosecond after `since`, so a caller that fires at `next_at` always
        // moves time forward.
        let wait =
            SimDuration::from_secs_f64(self.budget / rate_per_s).max(SimDuration::from_nanos(1));
        Some(self.since + wait)
    }

    /// The event at `now` (= [`HazardClock::next_at`]) happened: picks its victim uniformly
    /// among `node_ids` (the ids of the nodes at risk now, any order) and draws the next
    /// budget. `None` when `node_ids` is empty.
    pub fn fire(&mut self, now: SimTime, node_ids: &[u32]) -> Option<u32> {
        self.since = self.since.max(now);
        self.budget = draw::exponential(&mut self.rng, 1.0);
        let victim = draw::choose_subset(&mut self.rng, node_ids, 1);
        victim.first().copied()
    }

    /// Spends the budget for the time since the last update at the old node count.
    fn advance(&mut self, now: SimTime) {
        let elapsed_s = now.saturating_duration_since(self.since).as_secs_f64();
        let spent = elapsed_s * f64::from(self.nodes) * self.rate_per_node_hour / S_PER_HOUR;
        // Rounding can leave the budget a hair below zero at the event instant; the event is
        // then due at once.
        self.budget = (self.budget - spent).max(0.0);
        self.since = self.since.max(now);
    }
}

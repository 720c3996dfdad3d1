//! The scheduling queue and what it measures: PrioritySort's order (higher priority first, then
//! older), pending pod-seconds integrated at every change of the count, and the surges of time
//! to capacity (`api::SurgeClock`), told after the count changes so both are exact.

use std::cmp::Reverse;
use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sim::time::SimTime;

use super::NS_PER_S;
use crate::api::SurgeClock;

/// A pending pod's place in the queue: (priority, reversed; creation instant; pod id).
pub(super) type QueueKey = (Reverse<i32>, u64, u32);

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct PendingPods {
    queue: BTreeSet<QueueKey>,
    /// Pending pods × seconds up to `since_ns`.
    pod_seconds: f64,
    since_ns: u64,
    surges: SurgeClock,
}

impl PendingPods {
    /// A pod becomes pending at `now_ns`.
    pub(super) fn add(&mut self, key: QueueKey, now_ns: u64) {
        self.account(now_ns);
        let added = self.queue.insert(key);
        debug_assert!(added, "pod {} queued twice", key.2);
        self.surges
            .observe(SimTime::from_nanos(now_ns), self.queue.len() as u64);
    }

    /// A pod leaves the queue at `now_ns` (bound or deleted).
    pub(super) fn remove(&mut self, key: QueueKey, now_ns: u64) {
        self.account(now_ns);
        let removed = self.queue.remove(&key);
        debug_assert!(removed, "pod {} was not queued", key.2);
        self.surges
            .observe(SimTime::from_nanos(now_ns), self.queue.len() as u64);
    }

    /// Integrates pending pod-seconds up to `now_ns`.
    pub(super) fn account(&mut self, now_ns: u64) {
        let dt = now_ns.saturating_sub(self.since_ns) as f64 / NS_PER_S;
        self.pod_seconds += self.queue.len() as f64 * dt;
        self.since_ns = now_ns;
    }

    /// The queue in scheduling order, copied (binding changes it).
    pub(super) fn in_order(&self) -> Vec<QueueKey> {
        self.queue.iter().copied().collect()
    }

    /// The first pod in scheduling order after `after` (from the front with `None`), so a
    /// throttled scheduler walks only as far as its tokens take it.
    pub(super) fn next_after(&self, after: Option<QueueKey>) -> Option<QueueKey> {
        use std::ops::Bound::{Excluded, Unbounded};
        match after {
            None => self.queue.first().copied(),
            Some(key) => self.queue.range((Excluded(key), Unbounded)).next().copied(),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.queue.len()
    }

    pub(super) fn pod_seconds(&self) -> f64 {
        self.pod_seconds
    }

    pub(super) fn surges(&self) -> &SurgeClock {
        &self.surges
    }
}

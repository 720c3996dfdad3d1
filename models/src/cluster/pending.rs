//! The scheduling queue and what it measures: PrioritySort's order (higher priority first, then
//! older), pending pod-seconds integrated at every change of the count, and the surges of time
//! to capacity (`api::SurgeClock`), told after the count changes so both are exact.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::ops::Bound::{Excluded, Unbounded};

use serde::{Deserialize, Serialize};
use sim::time::SimTime;

use super::NS_PER_S;
use crate::api::SurgeClock;

/// A pending pod's place in the queue: (priority, reversed; creation instant; pod id).
pub(super) type QueueKey = (Reverse<i32>, u64, u32);

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct PendingPods {
    /// Each pending pod's key, with its deployment and when it was added (`added_count`).
    queue: BTreeMap<QueueKey, Queued>,
    /// Pods added so far: numbers each addition, so a [`Pass`] can leave out the pods added
    /// since it began.
    #[serde(default)]
    added_count: u64,
    /// Under the control plane's limits, the same keys per deployment, and the keys added
    /// since the last [`Walk`] began: a walk passes over a deployment that fits nowhere (or
    /// whose region's scheduler waits for a token) in one step instead of pod by pod.
    #[serde(default)]
    by_deployment: Option<BTreeMap<u32, BTreeSet<QueueKey>>>,
    #[serde(default)]
    added: Vec<(QueueKey, u32)>,
    /// Pending pods × seconds up to `since_ns`.
    pod_seconds: f64,
    since_ns: u64,
    surges: SurgeClock,
}

impl PendingPods {
    /// An empty queue; `indexed`: kept per deployment too, for [`Walk`].
    pub(super) fn new(indexed: bool) -> Self {
        PendingPods {
            by_deployment: indexed.then(BTreeMap::new),
            ..PendingPods::default()
        }
    }

    /// A pod of `deployment` becomes pending at `now_ns`.
    pub(super) fn add(&mut self, key: QueueKey, deployment: u32, now_ns: u64) {
        self.account(now_ns);
        let queued = Queued {
            deployment,
            number: self.added_count,
        };
        self.added_count += 1;
        let before = self.queue.insert(key, queued);
        debug_assert!(before.is_none(), "pod {} queued twice", key.2);
        if let Some(index) = self.by_deployment.as_mut() {
            index.entry(deployment).or_default().insert(key);
            self.added.push((key, deployment));
        }
        self.surges
            .observe(SimTime::from_nanos(now_ns), self.queue.len() as u64);
    }

    /// A pod of `deployment` leaves the queue at `now_ns` (bound or deleted).
    pub(super) fn remove(&mut self, key: QueueKey, deployment: u32, now_ns: u64) {
        self.account(now_ns);
        let removed = self.queue.remove(&key);
        debug_assert!(removed.is_some(), "pod {} was not queued", key.2);
        if let Some(index) = self.by_deployment.as_mut()
            && let Some(keys) = index.get_mut(&deployment)
        {
            keys.remove(&key);
            if keys.is_empty() {
                index.remove(&deployment);
            }
        }
        self.surges
            .observe(SimTime::from_nanos(now_ns), self.queue.len() as u64);
    }

    /// Integrates pending pod-seconds up to `now_ns`.
    pub(super) fn account(&mut self, now_ns: u64) {
        let dt = now_ns.saturating_sub(self.since_ns) as f64 / NS_PER_S;
        self.pod_seconds += self.queue.len() as f64 * dt;
        self.since_ns = now_ns;
    }

    /// Starts a pass over the queue as it stands now, in scheduling order (`Pass::next`).
    pub(super) fn pass(&self) -> Pass {
        Pass {
            before: self.added_count,
            scanned: None,
            ahead: Vec::new(),
            at: 0,
        }
    }

    /// Starts a walk of the queue in scheduling order (`Walk::next`); needs the index
    /// (`new(true)`).
    pub(super) fn walk(&mut self) -> Walk {
        self.added.clear();
        let heap = self
            .by_deployment
            .iter()
            .flatten()
            .filter_map(|(&d, keys)| Some(Reverse((*keys.first()?, d))))
            .collect();
        Walk {
            heap,
            after: None,
            skipped: BTreeSet::new(),
        }
    }

    /// The first pending key of `deployment` after `after`.
    fn next_of(&self, deployment: u32, after: QueueKey) -> Option<QueueKey> {
        self.by_deployment
            .as_ref()?
            .get(&deployment)?
            .range((Excluded(after), Unbounded))
            .next()
            .copied()
    }

    fn first_of(&self, deployment: u32) -> Option<QueueKey> {
        self.by_deployment
            .as_ref()?
            .get(&deployment)?
            .first()
            .copied()
    }

    fn holds(&self, deployment: u32, key: QueueKey) -> bool {
        self.by_deployment
            .as_ref()
            .and_then(|index| index.get(&deployment))
            .is_some_and(|keys| keys.contains(&key))
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

/// A pending pod's deployment and addition number.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Queued {
    deployment: u32,
    number: u64,
}

/// Keys a [`Pass`] reads ahead at a time.
const PASS_AHEAD: usize = 64;

/// One unthrottled scheduling cycle's pass over the queue: the pods pending when it began, in
/// scheduling order, as a copy of the queue taken then would list them (binding the visited
/// pod, or pods added meanwhile, do not change what it visits; a pod that leaves the queue
/// before it is read ahead is passed over, where the copy would have offered it), but read a
/// few keys ahead at a time instead of copied whole, and passing over the pods of deployments
/// that already failed this cycle without looking them up. A cycle with thousands of pods
/// waiting for nodes copied and visited them all at every timer.
#[derive(Debug)]
pub(super) struct Pass {
    /// `PendingPods::added_count` when the pass began: later pods are not visited.
    before: u64,
    /// The last key read ahead.
    scanned: Option<QueueKey>,
    ahead: Vec<(QueueKey, u32)>,
    /// The next of `ahead` to visit.
    at: usize,
}

impl Pass {
    /// The next pod pending since the pass began whose deployment is not in `failed`, with
    /// its deployment.
    pub(super) fn next(
        &mut self,
        pending: &PendingPods,
        failed: &BTreeSet<u32>,
    ) -> Option<(QueueKey, u32)> {
        loop {
            while let Some(&(key, d)) = self.ahead.get(self.at) {
                self.at += 1;
                if !failed.contains(&d) {
                    return Some((key, d));
                }
            }
            self.ahead.clear();
            self.at = 0;
            let range = match self.scanned {
                Some(last) => pending.queue.range((Excluded(last), Unbounded)),
                None => pending.queue.range(..),
            };
            for (&key, queued) in range {
                self.scanned = Some(key);
                if queued.number < self.before && !failed.contains(&queued.deployment) {
                    self.ahead.push((key, queued.deployment));
                    if self.ahead.len() == PASS_AHEAD {
                        break;
                    }
                }
            }
            if self.ahead.is_empty() {
                return None;
            }
        }
    }
}

/// A walk of the pending queue in scheduling order, as repeatedly asking for the first pod
/// after the last one visited, except that a deployment [`Walk::skip`]ped is passed over
/// whole: a heap holds, per deployment, a key no later than its first pending key after the
/// last one visited (keys added during the walk join it), so every step is the queue's next
/// pod of a deployment not skipped, in O(log deployments) rather than one step per pod.
#[derive(Debug)]
pub(super) struct Walk {
    heap: BinaryHeap<Reverse<(QueueKey, u32)>>,
    after: Option<(QueueKey, u32)>,
    skipped: BTreeSet<u32>,
}

impl Walk {
    /// The next pending pod after the last one visited, with its deployment.
    pub(super) fn next(&mut self, pending: &mut PendingPods) -> Option<(QueueKey, u32)> {
        if let Some((last, d)) = self.after {
            if !self.skipped.contains(&d)
                && let Some(next) = pending.next_of(d, last)
            {
                self.heap.push(Reverse((next, d)));
            }
            for (key, d) in pending.added.drain(..) {
                if key > last {
                    self.heap.push(Reverse((key, d)));
                }
            }
        }
        while let Some(Reverse((key, d))) = self.heap.pop() {
            let last = self.after.map(|(k, _)| k);
            if self.skipped.contains(&d) || last.is_some_and(|l| key <= l) {
                continue;
            }
            if !pending.holds(d, key) {
                // Left the queue since it was pushed: the deployment's next one stands in.
                let next = match last {
                    Some(l) => pending.next_of(d, l),
                    None => pending.first_of(d),
                };
                if let Some(next) = next {
                    self.heap.push(Reverse((next, d)));
                }
                continue;
            }
            self.after = Some((key, d));
            return Some((key, d));
        }
        None
    }

    /// Passes over every later pod of `deployment` in this walk.
    pub(super) fn skip(&mut self, deployment: u32) {
        self.skipped.insert(deployment);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(priority: i32, created_ns: u64, id: u32) -> QueueKey {
        (Reverse(priority), created_ns, id)
    }

    #[test]
    fn a_walk_visits_the_queue_in_order_and_passes_over_skipped_deployments() {
        let mut q = PendingPods::new(true);
        // Deployment 0: ids 0, 2, 4 at t = 0; deployment 1: ids 1, 3 at t = 0 and id 5 at
        // t = 1; deployment 2: id 6 of priority 10 at t = 2 (first in PrioritySort's order).
        for (id, d, t) in [
            (0, 0, 0),
            (1, 1, 0),
            (2, 0, 0),
            (3, 1, 0),
            (4, 0, 0),
            (5, 1, 1),
        ] {
            q.add(key(0, t, id), d, t);
        }
        q.add(key(10, 2, 6), 2, 2);
        let mut walk = q.walk();
        let mut seen = Vec::new();
        while let Some((k, d)) = walk.next(&mut q) {
            seen.push(k.2);
            if k.2 == 1 {
                // Deployment 1 fits nowhere: ids 3 and 5 are passed over.
                walk.skip(d);
            }
            if k.2 == 2 {
                // Bound: it leaves the queue; a pod added now after it (id 7 of deployment
                // 2, t = 3) is visited, one added before it (id 8, priority 20) is not.
                q.remove(k, d, 3);
                q.add(key(0, 3, 7), 2, 3);
                q.add(key(20, 3, 8), 2, 3);
            }
        }
        assert_eq!(seen, vec![6, 0, 1, 2, 4, 7]);
    }

    #[test]
    fn a_pass_visits_the_pods_pending_when_it_began_in_order_without_failed_deployments() {
        let mut q = PendingPods::new(false);
        // 200 pods (more than a read-ahead) of deployments 0, 1, 2 in turn, priority 0, one
        // per instant; then one of deployment 3 with priority 5 (first in PrioritySort's order).
        for id in 0..200 {
            q.add(key(0, u64::from(id), id), id % 3, u64::from(id));
        }
        q.add(key(5, 300, 500), 3, 300);
        let mut failed = BTreeSet::new();
        let mut pass = q.pass();
        let mut seen = Vec::new();
        while let Some((k, d)) = pass.next(&q, &failed) {
            assert_eq!(d, if k.2 == 500 { 3 } else { k.2 % 3 });
            seen.push(k.2);
            match k.2 {
                // Bound: it leaves the queue. Pods added meanwhile, before or after the
                // visited one in the queue's order, wait for the next pass.
                500 => {
                    q.remove(k, d, 301);
                    q.add(key(9, 301, 600), 0, 301);
                    q.add(key(0, 301, 601), 0, 301);
                }
                // Deployment 1 fits nowhere from its second pod on.
                4 => {
                    failed.insert(1);
                }
                _ => {}
            }
        }
        let mut expected = vec![500, 0, 1, 2, 3, 4];
        expected.extend((5..200).filter(|id| id % 3 != 1));
        assert_eq!(seen, expected);
        // The next pass sees the added pods, first the priority-9 one.
        let mut pass = q.pass();
        assert_eq!(pass.next(&q, &BTreeSet::new()), Some((key(9, 301, 600), 0)));
    }
}

//! A deployment's running pods (ready or not) as the metrics pipeline reads them, counted by
//! (start time, ready time, template revision) so that a query never walks pods.
//!
//! Why groups settle: the HPA's readiness rules (`hpa::replica_calculator::classify`, upstream
//! `groupPods`) and its metric windows (`hpa::metrics_window`) tell pods apart by their start and
//! ready instants only while the pod is young — within `--horizontal-pod-autoscaler-cpu-
//! initialization-period`, within the initial readiness delay, or before metrics-server has a
//! full scrape window of it. After [`crate::hpa::config::metrics_settle_after`] every pod of one
//! revision and readiness is read alike. When pods start one by one (a `control_plane` section:
//! slow-start batches, serialized image pulls), keeping each start instant as its own group made
//! every HPA sync copy one group per pod; settled pods are kept as one count per (revision,
//! ready) instead, so a query costs the young groups plus a handful.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::NOT_READY;

/// Running pods: young ones by exact (start, ready or [`NOT_READY`], revision); the rest, those
/// started before `settled_ns`, by (revision, ready) alone.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct RunningGroups {
    young: BTreeMap<(u64, u64, u16), u32>,
    settled: BTreeMap<(u16, bool), u32>,
    /// Pods started before this instant are counted in `settled`; it only grows.
    settled_ns: u64,
}

/// One group as it is reported: the settled ones carry the instant just before `settled_ns` as
/// their start (and ready) time, which every reader treats as it treats their real, older ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Group {
    pub started_ns: u64,
    /// `None` while not ready.
    pub ready_ns: Option<u64>,
    pub revision: u16,
    pub count: u32,
}

impl RunningGroups {
    /// Adds `delta` pods (negative: removes) to the group `(started_ns, ready_ns or NOT_READY,
    /// revision)`.
    pub(super) fn add(&mut self, key: (u64, u64, u16), delta: i32) {
        let (started_ns, ready_ns, revision) = key;
        if started_ns < self.settled_ns {
            bump(&mut self.settled, (revision, ready_ns != NOT_READY), delta);
        } else {
            bump(&mut self.young, key, delta);
        }
    }

    /// Counts every pod started before `before_ns` by revision and readiness only. A no-op for an
    /// instant at or before the current one.
    pub(super) fn settle(&mut self, before_ns: u64) {
        if before_ns <= self.settled_ns {
            return;
        }
        self.settled_ns = before_ns;
        let young = self.young.split_off(&(before_ns, 0, 0));
        for ((_, ready_ns, revision), count) in std::mem::replace(&mut self.young, young) {
            *self
                .settled
                .entry((revision, ready_ns != NOT_READY))
                .or_default() += count;
        }
    }

    /// The groups, settled ones first, then the young ones by start time.
    pub(super) fn groups(&self) -> impl Iterator<Item = Group> + '_ {
        let settled_start = self.settled_ns.saturating_sub(1);
        let settled = self
            .settled
            .iter()
            .map(move |(&(revision, ready), &count)| Group {
                started_ns: settled_start,
                ready_ns: ready.then_some(settled_start),
                revision,
                count,
            });
        let young = self
            .young
            .iter()
            .map(|(&(started_ns, ready_ns, revision), &count)| Group {
                started_ns,
                ready_ns: (ready_ns != NOT_READY).then_some(ready_ns),
                revision,
                count,
            });
        settled.chain(young)
    }

    /// The count of one exact, young group.
    #[cfg(test)]
    pub(super) fn get(&self, key: &(u64, u64, u16)) -> Option<&u32> {
        self.young.get(key)
    }

    /// How many groups there are.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.young.len() + self.settled.len()
    }
}

fn bump<K: Ord + Copy>(map: &mut BTreeMap<K, u32>, key: K, delta: i32) {
    let count = map.entry(key).or_default();
    *count = count.saturating_add_signed(delta);
    if *count == 0 {
        map.remove(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    fn all(r: &RunningGroups) -> Vec<(u64, Option<u64>, u16, u32)> {
        r.groups()
            .map(|g| (g.started_ns, g.ready_ns, g.revision, g.count))
            .collect()
    }

    #[test]
    fn settled_pods_are_counted_by_revision_and_readiness() {
        let mut r = RunningGroups::default();
        r.add((10 * S, 12 * S, 0), 2);
        r.add((11 * S, NOT_READY, 0), 1);
        r.add((20 * S, 25 * S, 1), 3);
        r.add((400 * S, NOT_READY, 1), 4);
        r.settle(100 * S);
        let at = 100 * S - 1;
        assert_eq!(
            all(&r),
            vec![
                (at, None, 0, 1),
                (at, Some(at), 0, 2),
                (at, Some(at), 1, 3),
                (400 * S, None, 1, 4),
            ]
        );
        // A settled pod that becomes ready, or goes, moves between the settled counts.
        r.add((11 * S, NOT_READY, 0), -1);
        r.add((11 * S, 150 * S, 0), 1);
        r.add((20 * S, 25 * S, 1), -3);
        assert_eq!(all(&r), vec![(at, Some(at), 0, 3), (400 * S, None, 1, 4)]);
        // Settling is monotone: an earlier instant changes nothing.
        r.settle(50 * S);
        assert_eq!(r.len(), 2);
        assert_eq!(r.get(&(400 * S, NOT_READY, 1)), Some(&4));
    }
}

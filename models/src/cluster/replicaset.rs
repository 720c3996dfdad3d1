//! Which pods a ReplicaSet deletes first when it scales down.
//!
//! Upstream sorts the candidates with `ActivePodsWithRanks.Less` (kubernetes/kubernetes
//! `pkg/controller/controller_utils.go`, called from `getPodsToDelete` in
//! `pkg/controller/replicaset/replica_set.go`) and deletes from the front:
//!
//! 1. unassigned before assigned;
//! 2. Pending before Unknown before Running;
//! 3. not ready before ready;
//! 4. lower `controller.kubernetes.io/pod-deletion-cost` before higher;
//! 5. more ready pods of the same ReplicaSet on its node before fewer ("doubled up");
//! 6. for two ready pods, ready more recently before ready longer — compared by
//!    ⌊log2(nanoseconds since ready)⌋ buckets (`LogarithmicScaleDown`, on by default since
//!    Kubernetes 1.22), ties broken by UID;
//! 7. more container restarts before fewer;
//! 8. created more recently before older, in the same logarithmic buckets, ties by UID.
//!
//! clustersim's pod ids stand in for UIDs (upstream UIDs are random, ours are creation-ordered;
//! both give a deterministic total order), and it has no container restarts (rule 7 never
//! decides).

use std::cmp::Ordering;

/// A pod's phase, in upstream's `podPhaseToOrdinal` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Pending = 0,
    Unknown = 1,
    Running = 2,
}

/// What the ranking looks at, for one pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub id: u32,
    pub assigned: bool,
    pub phase: Phase,
    /// Instant (ns since the run's start) the pod became ready; `None` when not ready.
    pub ready_since_ns: Option<u64>,
    pub deletion_cost: i32,
    /// Ready pods of the same ReplicaSet on this pod's node (itself included).
    pub colocated_ready: u32,
    pub created_ns: u64,
}

/// `⌊log2(now − t)⌋` in nanoseconds, −1 when `t` is not in the past (upstream
/// `logarithmicRankDiff`, which works on Go `time.Duration` nanoseconds).
fn log_rank(t_ns: u64, now_ns: u64) -> i64 {
    match now_ns.checked_sub(t_ns) {
        Some(d) if d > 0 => i64::from(63 - d.leading_zeros()),
        _ => -1,
    }
}

/// `Less`-style order: `Ordering::Less` means `a` is deleted before `b`.
pub fn deletion_order(a: &Candidate, b: &Candidate, now_ns: u64) -> Ordering {
    // Newer (smaller log-age) first. Upstream breaks a tie of buckets by UID at once, in rule 6
    // as in rule 8; that is not transitive (two pods tied on rule 6 can be ordered by rule 8
    // against a third that rule 6 orders by UID), which Go's sort tolerates and Rust's sort
    // refuses with a panic. Here a tie of buckets goes on to the next rule and the UID decides
    // last: the same order wherever upstream's is consistent.
    let by_log_age = |ta: u64, tb: u64| log_rank(ta, now_ns).cmp(&log_rank(tb, now_ns));
    a.assigned
        .cmp(&b.assigned)
        .then(a.phase.cmp(&b.phase))
        .then(a.ready_since_ns.is_some().cmp(&b.ready_since_ns.is_some()))
        .then(a.deletion_cost.cmp(&b.deletion_cost))
        .then(b.colocated_ready.cmp(&a.colocated_ready))
        .then_with(|| match (a.ready_since_ns, b.ready_since_ns) {
            (Some(ra), Some(rb)) => by_log_age(ra, rb),
            _ => Ordering::Equal,
        })
        .then_with(|| by_log_age(a.created_ns, b.created_ns))
        .then_with(|| a.id.cmp(&b.id))
}

/// The `count` pods to delete, in the order they are deleted.
///
/// The order is total (ids decide last), so selecting the first `count` and sorting only those
/// gives what a full sort would: O(n + count·log count) instead of O(n·log n), which matters when
/// a 100 000-pod Deployment sheds a few pods every HPA sync.
pub fn pods_to_delete(candidates: &mut [Candidate], count: usize, now_ns: u64) -> Vec<u32> {
    let order = |a: &Candidate, b: &Candidate| deletion_order(a, b, now_ns);
    if count == 0 {
        return Vec::new();
    }
    let first = if count >= candidates.len() {
        &mut candidates[..]
    } else {
        candidates.select_nth_unstable_by(count - 1, order);
        &mut candidates[..count]
    };
    first.sort_by(order);
    first.iter().take(count).map(|c| c.id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    fn running(id: u32, ready_since_s: u64, created_s: u64) -> Candidate {
        Candidate {
            id,
            assigned: true,
            phase: Phase::Running,
            ready_since_ns: Some(ready_since_s * S),
            deletion_cost: 0,
            colocated_ready: 1,
            created_ns: created_s * S,
        }
    }

    #[test]
    fn selecting_the_first_few_matches_a_full_sort() {
        let now = 100_000 * S;
        // 500 pods of varied phases, readiness, nodes and ages (a fixed LCG, no RNG crate).
        let mut x: u64 = 12345;
        let mut next = |m: u64| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) % m
        };
        let pods: Vec<Candidate> = (0..500)
            .map(|id| Candidate {
                id,
                assigned: next(10) > 0,
                phase: if next(5) == 0 {
                    Phase::Pending
                } else {
                    Phase::Running
                },
                ready_since_ns: (next(4) > 0).then(|| next(90_000) * S),
                deletion_cost: 0,
                colocated_ready: next(6) as u32,
                created_ns: next(90_000) * S,
            })
            .collect();
        let mut sorted = pods.clone();
        sorted.sort_by(|a, b| deletion_order(a, b, now));
        for count in [1, 7, 100, 499, 500, 600] {
            let expected: Vec<u32> = sorted.iter().take(count).map(|c| c.id).collect();
            assert_eq!(
                pods_to_delete(&mut pods.clone(), count, now),
                expected,
                "{count}"
            );
        }
        assert!(pods_to_delete(&mut pods.clone(), 0, now).is_empty());
    }

    #[test]
    fn unscheduled_then_pending_then_not_ready_go_first() {
        let now = 1000 * S;
        let ready = running(1, 100, 90);
        let not_ready = Candidate {
            ready_since_ns: None,
            ..running(2, 0, 95)
        };
        let pending = Candidate {
            phase: Phase::Pending,
            ..not_ready
        };
        let pending = Candidate { id: 3, ..pending };
        let unassigned = Candidate {
            id: 4,
            assigned: false,
            ..pending
        };
        let mut all = [ready, not_ready, pending, unassigned];
        assert_eq!(pods_to_delete(&mut all, 4, now), vec![4, 3, 2, 1]);
    }

    #[test]
    fn doubled_up_pods_go_before_lonely_ones() {
        let now = 1000 * S;
        let lonely = running(1, 100, 90);
        let doubled = Candidate {
            id: 2,
            colocated_ready: 3,
            ..running(2, 100, 90)
        };
        let mut all = [lonely, doubled];
        assert_eq!(pods_to_delete(&mut all, 1, now), vec![2]);
    }

    #[test]
    fn newer_ready_first_in_logarithmic_buckets() {
        let now = 10_000 * S;
        // Ready 100 s ago vs 5000 s ago: log2(1e11) = 36.5 vs log2(5e12) = 42.2 → 36 < 42,
        // so the more recently ready pod goes first.
        let recent = running(7, 9_900, 0);
        let old = running(3, 5_000, 0);
        assert_eq!(deletion_order(&recent, &old, now), Ordering::Less);
        // Ready 100 s and 120 s ago fall in the same bucket (2^36 ns ≈ 68.7 s ≤ both < 2^37
        // ns ≈ 137 s): the lower UID (id) goes first, whichever is newer.
        let a = running(9, 9_900, 0);
        let b = running(4, 9_880, 0);
        assert_eq!(deletion_order(&b, &a, now), Ordering::Less);
    }

    #[test]
    fn deletion_cost_beats_age() {
        let now = 10_000 * S;
        let cheap_old = Candidate {
            deletion_cost: -5,
            ..running(1, 100, 0)
        };
        let newer = running(2, 9_990, 9_980);
        assert_eq!(deletion_order(&cheap_old, &newer, now), Ordering::Less);
    }
}

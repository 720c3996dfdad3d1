//! Preemption: which admitted workloads a pending one evicts to get its quota.
//!
//! Candidates (`cluster_queue.md`, "Preemption"; upstream `pkg/scheduler/preemption`):
//! - in its own ClusterQueue, by `withinClusterQueue`: lower priority, or (for
//!   `LowerOrNewerEqualPriority`) equal priority and created later;
//! - in other ClusterQueues of the cohort tree that use more than their nominal quota, by
//!   `reclaimWithinCohort` (`Any`, or `LowerPriority`) — only while the incoming workload fits
//!   its own nominal quota; and by `borrowWithinCohort` (lower priority, at most
//!   `maxPriorityThreshold`) when it must borrow — from queues that borrow too, as upstream's
//!   `findCandidates` takes no quota from a queue within its nominal quota.
//!
//! They are taken in upstream's order (`candidatesOrdering`): other ClusterQueues' first, then
//! lower priority, then the most recently admitted, then id; one at a time until the workload
//! fits, skipping another queue's workload once that queue no longer borrows; then every target
//! but the last is put back if the workload still fits without it (`minimalPreemptions`,
//! `fillBackWorkloads`), so as few workloads as possible are evicted.
//!
//! In a hierarchy of cohorts, any ClusterQueue of the tree that borrows is a candidate, as in
//! one-level cohorts; upstream's finer rule (`hierarchical_preemption.go`: only where the
//! common ancestor's subtree is over its quota) is not modelled — the fit check after each
//! eviction still decides whether a target helps.

use super::fungibility::{Assignment, assign};
use super::quota::{Mode, fits};
use super::{
    Admitted, Pending, Queues, ReclaimWithinCohort, Usage, WithinClusterQueue, minus, plus,
};

/// The admitted workloads (ids) `incoming` preempts to be admitted, and the flavor slot it
/// then gets; `None` when no allowed set of preemptions makes room. The flavor is its
/// ClusterQueue's `flavorFungibility` choice ([`super::fungibility`]); no targets when it
/// fits as it is.
pub fn targets(
    queues: &Queues,
    usage: &Usage,
    admitted: &[Admitted],
    incoming: &Pending,
) -> Option<(usize, Vec<u32>)> {
    match assign(queues, usage, admitted, incoming)? {
        Assignment::Admit(slot, _) => Some((slot, Vec::new())),
        Assignment::Preempt(slot, victims) => Some((slot, victims)),
    }
}

/// The targets that make room for `incoming` in its flavor `slot`, first within its nominal
/// quota (reclaiming), then, if `borrowWithinCohort` allows, by borrowing; with whether it
/// then borrows. `None` when no allowed preemptions make room there. Under fair sharing, its
/// strategies decide instead ([`super::fair_preemption`]).
pub(super) fn in_flavor(
    queues: &Queues,
    usage: &Usage,
    admitted: &[Admitted],
    incoming: &Pending,
    slot: usize,
) -> Option<(Vec<u32>, bool)> {
    if queues.fair_sharing {
        return super::fair_preemption::targets(queues, usage, admitted, incoming, slot);
    }
    let cq = incoming.cluster_queue as usize;
    attempt(queues, usage, admitted, incoming, slot, false)
        .map(|t| (t, false))
        .or_else(|| {
            queues[cq]
                .preemption
                .borrow_within_cohort
                .and_then(|_| attempt(queues, usage, admitted, incoming, slot, true))
                .map(|t| (t, true))
        })
}

/// One attempt in flavor `slot`: targets so the workload fits within its nominal quota
/// (`borrowing` false) or by borrowing.
fn attempt(
    queues: &Queues,
    usage: &Usage,
    admitted: &[Admitted],
    incoming: &Pending,
    slot: usize,
    borrowing: bool,
) -> Option<Vec<u32>> {
    let cq = incoming.cluster_queue as usize;
    let ok = |usage: &Usage| match fits(queues, usage, cq, slot, incoming.request) {
        Some(Mode::Fit) => true,
        Some(Mode::Borrow) => borrowing,
        None => false,
    };
    let mut usage = usage.clone();
    let mut chosen: Vec<&Admitted> = Vec::new();
    for a in candidates(queues, admitted, incoming, slot, borrowing) {
        let (c, s) = (a.cluster_queue as usize, a.slot as usize);
        if c != cq && !borrows(queues, &usage, c, s) {
            continue;
        }
        usage[c][s] = minus(usage[c][s], a.request);
        chosen.push(a);
        if ok(&usage) {
            return Some(minimal(usage, &chosen, ok));
        }
    }
    None
}

/// Whether ClusterQueue `c` uses more than its nominal quota in its flavor `s`.
pub(super) fn borrows(queues: &Queues, usage: &Usage, c: usize, s: usize) -> bool {
    let nominal = queues[c].flavors[s].nominal;
    usage[c][s].iter().zip(nominal).any(|(&u, n)| u > n)
}

/// The workloads `incoming`'s ClusterQueue's policies let it preempt in its flavor `slot`, in
/// upstream's order (`candidatesOrdering`): other ClusterQueues' first, lower priority, most
/// recently admitted, id. Others' by `reclaimWithinCohort`, or by `borrowWithinCohort` when
/// `borrowing`; whether those queues borrow is checked as targets are taken.
pub(super) fn candidates<'a>(
    queues: &Queues,
    admitted: &'a [Admitted],
    incoming: &Pending,
    slot: usize,
    borrowing: bool,
) -> Vec<&'a Admitted> {
    let cq = incoming.cluster_queue as usize;
    let q = &queues[cq];
    let flavor = q.flavors[slot].flavor;
    let own_allowed = |a: &Admitted| match q.preemption.within_cluster_queue {
        WithinClusterQueue::Never => false,
        WithinClusterQueue::LowerPriority => a.priority < incoming.priority,
        WithinClusterQueue::LowerOrNewerEqualPriority => {
            a.priority < incoming.priority
                || (a.priority == incoming.priority && a.created_ns > incoming.created_ns)
        }
    };
    let other_allowed = |a: &Admitted| {
        if borrowing {
            let threshold = q.preemption.borrow_within_cohort.flatten();
            a.priority < incoming.priority && threshold.is_none_or(|t| a.priority <= t)
        } else {
            match q.preemption.reclaim_within_cohort {
                ReclaimWithinCohort::Never => false,
                ReclaimWithinCohort::LowerPriority => a.priority < incoming.priority,
                ReclaimWithinCohort::Any => true,
            }
        }
    };
    let mut out: Vec<&Admitted> = admitted
        .iter()
        .filter(|a| {
            let other = &queues[a.cluster_queue as usize];
            if a.cluster_queue as usize == cq {
                a.slot as usize == slot && own_allowed(a)
            } else {
                queues.same_tree(cq, a.cluster_queue as usize)
                    && other.flavors[a.slot as usize].flavor == flavor
                    && other_allowed(a)
            }
        })
        .collect();
    out.sort_by_key(|a| {
        (
            a.cluster_queue as usize == cq,
            a.priority,
            std::cmp::Reverse(a.admitted_ns),
            a.id,
        )
    });
    out
}

/// The ids of `chosen` (taken in order, `usage` after all of them) with every target but the
/// last put back, latest first, when the workload still fits (`ok`) without evicting it
/// (`minimalPreemptions`, `fillBackWorkloads`).
pub(super) fn minimal(
    mut usage: Usage,
    chosen: &[&Admitted],
    ok: impl Fn(&Usage) -> bool,
) -> Vec<u32> {
    let last = chosen.len() - 1;
    let mut kept = vec![true; chosen.len()];
    for i in (0..last).rev() {
        let a = chosen[i];
        let (c, s) = (a.cluster_queue as usize, a.slot as usize);
        usage[c][s] = plus(usage[c][s], a.request);
        if ok(&usage) {
            kept[i] = false;
        } else {
            usage[c][s] = minus(usage[c][s], a.request);
        }
    }
    chosen
        .iter()
        .zip(kept)
        .filter(|(_, k)| *k)
        .map(|(a, _)| a.id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::testing::{admitted, cpu, flat, pending, queue};
    use super::super::{Preemption, usage_of};
    use super::*;

    /// `withinClusterQueue: LowerPriority`, 9 cpu: two priority-0 workloads of 6 and 3 cpu (the
    /// 3 admitted later), a priority-10 one of 4 cpu. The later 3 goes first (most recently
    /// admitted), leaving 3 free; then the 6, leaving 9; filling back, the 3 fits beside the
    /// incoming 4 (3 + 4 ≤ 9), so only the 6 is preempted.
    #[test]
    fn within_cluster_queue_minimal_preemption() {
        let mut q = queue("q", cpu(9), false);
        q.preemption.within_cluster_queue = WithinClusterQueue::LowerPriority;
        let queues = flat(vec![q]);
        let held = vec![admitted(1, 0, cpu(6), 0, 0), admitted(2, 0, cpu(3), 0, 10)];
        let usage = usage_of(&queues, &held);
        let incoming = pending(3, 0, cpu(4), 10, 20);
        assert_eq!(
            targets(&queues, &usage, &held, &incoming),
            Some((0, vec![1]))
        );
        // Equal priority is not lower: nothing to preempt.
        let equal = pending(3, 0, cpu(4), 0, 20);
        assert_eq!(targets(&queues, &usage, &held, &equal), None);
    }

    /// `LowerOrNewerEqualPriority`: an equal-priority workload created after the incoming one
    /// may be preempted, an older one may not.
    #[test]
    fn lower_or_newer_equal_priority() {
        let mut q = queue("q", cpu(4), false);
        q.preemption.within_cluster_queue = WithinClusterQueue::LowerOrNewerEqualPriority;
        let queues = flat(vec![q]);
        let held = vec![admitted(1, 0, cpu(4), 0, 50)];
        let usage = usage_of(&queues, &held);
        assert_eq!(
            targets(&queues, &usage, &held, &pending(2, 0, cpu(4), 0, 20)),
            Some((0, vec![1]))
        );
        assert_eq!(
            targets(&queues, &usage, &held, &pending(2, 0, cpu(4), 0, 60)),
            None
        );
    }

    /// `reclaimWithinCohort`: team-a (9) idle, team-b (12) borrowing 6 with three 6-cpu
    /// workloads (18 used). team-a's 6-cpu workload fits its nominal quota but the cohort has
    /// only 3 left: it reclaims by preempting team-b's most recent workload; then team-b no
    /// longer borrows. `Never` preempts nothing; `LowerPriority` not a workload of higher
    /// priority.
    #[test]
    fn reclaim_within_cohort() {
        let held = vec![
            admitted(1, 1, cpu(6), 0, 0),
            admitted(2, 1, cpu(6), 0, 10),
            admitted(3, 1, cpu(6), 0, 20),
        ];
        let incoming = pending(4, 0, cpu(6), 0, 30);
        let with = |reclaim| {
            let mut a = queue("team-a-cq", cpu(9), true);
            a.preemption = Preemption {
                reclaim_within_cohort: reclaim,
                ..Preemption::default()
            };
            flat(vec![a, queue("team-b-cq", cpu(12), true)])
        };
        let queues = with(ReclaimWithinCohort::Any);
        let usage = usage_of(&queues, &held);
        assert_eq!(
            targets(&queues, &usage, &held, &incoming),
            Some((0, vec![3]))
        );
        let queues = with(ReclaimWithinCohort::Never);
        assert_eq!(targets(&queues, &usage, &held, &incoming), None);
        let queues = with(ReclaimWithinCohort::LowerPriority);
        assert_eq!(targets(&queues, &usage, &held, &incoming), None);
        let mut higher = incoming;
        higher.priority = 1;
        assert_eq!(targets(&queues, &usage, &held, &higher), Some((0, vec![3])));
    }

    /// A queue within its nominal quota is never reclaimed from: team-b uses exactly 12.
    #[test]
    fn no_reclaim_from_a_queue_within_nominal() {
        let mut a = queue("team-a-cq", cpu(9), true);
        a.preemption.reclaim_within_cohort = ReclaimWithinCohort::Any;
        let queues = flat(vec![a, queue("team-b-cq", cpu(12), true)]);
        let held = vec![admitted(1, 0, cpu(9), 0, 0), admitted(2, 1, cpu(12), 0, 0)];
        let usage = usage_of(&queues, &held);
        assert_eq!(
            targets(&queues, &usage, &held, &pending(3, 0, cpu(1), 5, 10)),
            None
        );
    }

    /// `borrowWithinCohort` (LowerPriority, threshold 100): team-a (9, using 9) needs 3 more
    /// by borrowing; team-b (6) borrows 6 with two 6-cpu workloads, team-c (6) is idle, so the
    /// cohort has nothing left to lend (21 lent, 21 used). Reclaiming cannot help (team-a does
    /// not fit its nominal quota); borrowing may preempt team-b's latest workload of priority
    /// 50, not one of priority 200 (over the threshold).
    #[test]
    fn borrow_within_cohort_with_threshold() {
        let mut a = queue("team-a-cq", cpu(9), true);
        a.preemption = Preemption {
            reclaim_within_cohort: ReclaimWithinCohort::Any,
            borrow_within_cohort: Some(Some(100)),
            ..Preemption::default()
        };
        let queues = flat(vec![
            a,
            queue("team-b-cq", cpu(6), true),
            queue("team-c-cq", cpu(6), true),
        ]);
        let incoming = pending(9, 0, cpu(3), 1000, 30);
        for (priority, expected) in [(50, Some((0, vec![3]))), (200, None)] {
            let held = vec![
                admitted(1, 0, cpu(9), 0, 0),
                admitted(2, 1, cpu(6), priority, 0),
                admitted(3, 1, cpu(6), priority, 10),
            ];
            let usage = usage_of(&queues, &held);
            assert_eq!(
                targets(&queues, &usage, &held, &incoming),
                expected,
                "{priority}"
            );
        }
        // Without borrowWithinCohort, no preemption lets team-a borrow.
        let mut plain = queues.clone();
        plain.queues[0].preemption.borrow_within_cohort = None;
        let held = vec![
            admitted(1, 0, cpu(9), 0, 0),
            admitted(2, 1, cpu(6), 50, 0),
            admitted(3, 1, cpu(6), 50, 10),
        ];
        let usage = usage_of(&plain, &held);
        assert_eq!(targets(&plain, &usage, &held, &incoming), None);
    }
}

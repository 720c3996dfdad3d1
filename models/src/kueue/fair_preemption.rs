//! Preemption under fair sharing (`preemption.md`, "Fair Sharing"; upstream
//! `pkg/scheduler/preemption`, `fairPreemptions`, with the default strategies
//! `[LessThanOrEqualToFinalShare, LessThanInitialShare]`).
//!
//! The candidates are the classical ones without `borrowWithinCohort` ([`super::preemption`]:
//! the queue's own by `withinClusterQueue`, other queues' of the cohort tree by
//! `reclaimWithinCohort`, only while those borrow), and the incoming workload may borrow once
//! they are gone. Queues are visited highest dominant resource share first:
//!
//! 1. `LessThanOrEqualToFinalShare`: a workload of another queue is preempted when the
//!    incoming queue's share with the incoming workload is at most that queue's share without
//!    the workload; its own queue's candidates are taken as they come. After each target the
//!    queues are ordered again.
//! 2. `LessThanInitialShare`, over the candidates the first refused: one per queue, when the
//!    incoming queue's share with the workload is below that queue's share now.
//!
//! Then every target but the last is put back if the workload still fits without it. So a
//! queue never preempts a neighbour that would end up with a lower share than its own, and two
//! workloads never preempt each other back and forth (`fair_sharing.md`'s proof).
//! `borrowWithinCohort`'s priority threshold is not applied under fair sharing here.

use super::preemption::{borrows, candidates, minimal};
use super::quota::{Mode, dominant_resource_share, fits};
use super::{Admitted, Pending, Queues, Usage, minus};

/// The targets that make room for `incoming` in its flavor `slot` under fair sharing, with
/// whether it then borrows; `None` when the strategies allow none that make room.
pub fn targets(
    queues: &Queues,
    usage: &Usage,
    admitted: &[Admitted],
    incoming: &Pending,
    slot: usize,
) -> Option<(Vec<u32>, bool)> {
    let cq = incoming.cluster_queue as usize;
    let fits_now = |usage: &Usage| fits(queues, usage, cq, slot, incoming.request);
    let share_with =
        |usage: &Usage| dominant_resource_share(queues, usage, cq, Some((slot, incoming.request)));
    let before = usage;
    let mut usage = usage.clone();
    // Candidates left per ClusterQueue, in upstream's order.
    let mut left: Vec<Vec<&Admitted>> = vec![Vec::new(); queues.len()];
    for a in candidates(queues, admitted, incoming, slot, false) {
        left[a.cluster_queue as usize].push(a);
    }
    let mut chosen: Vec<&Admitted> = Vec::new();
    let mut retry: Vec<&Admitted> = Vec::new();
    // Strategy 1, highest share first (ties: lower index), until it fits.
    while fits_now(&usage).is_none() {
        let Some(c) = highest_share(queues, &usage, &left, cq) else {
            break;
        };
        let mine = std::mem::take(&mut left[c]);
        if c == cq {
            evict(&mut usage, mine[0]);
            chosen.push(mine[0]);
            left[c] = mine[1..].to_vec();
            continue;
        }
        let preemptor = share_with(&usage);
        for (i, &a) in mine.iter().enumerate() {
            let mut without = usage.clone();
            evict(&mut without, a);
            if preemptor <= dominant_resource_share(queues, &without, c, None) {
                usage = without;
                chosen.push(a);
                left[c] = mine[i + 1..].to_vec();
                break;
            }
            retry.push(a);
        }
    }
    // Strategy 2 over the refused candidates: one per queue, highest share first.
    let mut tried = vec![false; queues.len()];
    while fits_now(&usage).is_none() {
        let mut by_queue: Vec<Vec<&Admitted>> = vec![Vec::new(); queues.len()];
        for &a in &retry {
            let c = a.cluster_queue as usize;
            if !tried[c] && borrows(queues, &usage, c, a.slot as usize) {
                by_queue[c].push(a);
            }
        }
        let Some(c) = highest_share(queues, &usage, &by_queue, cq) else {
            break;
        };
        tried[c] = true;
        if share_with(&usage) < dominant_resource_share(queues, &usage, c, None) {
            let a = by_queue[c][0];
            evict(&mut usage, a);
            chosen.push(a);
        }
    }
    fits_now(&usage)?;
    let victims = minimal(usage, &chosen, |u: &Usage| fits_now(u).is_some());
    // Whether it borrows once only the kept targets are gone.
    let mut after = before.clone();
    for a in chosen.iter().filter(|a| victims.contains(&a.id)) {
        evict(&mut after, a);
    }
    let borrowing = fits_now(&after) == Some(Mode::Borrow);
    Some((victims, borrowing))
}

/// `a`'s request taken out of `usage`.
fn evict(usage: &mut Usage, a: &Admitted) {
    let (c, s) = (a.cluster_queue as usize, a.slot as usize);
    usage[c][s] = minus(usage[c][s], a.request);
}

/// The ClusterQueue with candidates left and the highest dominant resource share (the
/// incoming queue `own` always counts; others only while they borrow), ties to the lower index.
fn highest_share(
    queues: &Queues,
    usage: &Usage,
    left: &[Vec<&Admitted>],
    own: usize,
) -> Option<usize> {
    let mut best: Option<(u64, usize)> = None;
    for (c, l) in left.iter().enumerate() {
        let Some(a) = l.first() else {
            continue;
        };
        if c != own && !borrows(queues, usage, c, a.slot as usize) {
            continue;
        }
        let share = dominant_resource_share(queues, usage, c, None);
        if best.is_none_or(|(s, _)| share > s) {
            best = Some((share, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{admitted, cpu, flat, pending, queue};
    use super::super::{ReclaimWithinCohort, usage_of};
    use super::*;

    /// Three ClusterQueues of 4 cpu in one cohort (12 lendable), fair sharing on, team-b
    /// reclaims (`Any`); team-c idle, team-b using its 4, team-a the rest (8): nothing left.
    fn cohort() -> Queues {
        let mut b = queue("team-b", cpu(4), true);
        b.preemption.reclaim_within_cohort = ReclaimWithinCohort::Any;
        let mut queues = flat(vec![
            queue("team-a", cpu(4), true),
            b,
            queue("team-c", cpu(4), true),
        ]);
        queues.fair_sharing = true;
        queues
    }

    /// team-a holds four 2-cpu workloads (borrowing 4: share 4 000 × 1 000 / 12 000 = 333).
    /// team-b's 2-cpu workload would borrow 2: its share would be 166. Without its latest
    /// workload team-a borrows 2: 166. LessThanOrEqualToFinalShare: 166 ≤ 166, so team-a's
    /// latest (id 4) is preempted. Classical preemption refuses: team-b would have to borrow
    /// and has no `borrowWithinCohort`.
    #[test]
    fn less_than_or_equal_to_final_share() {
        let queues = cohort();
        let mut held: Vec<Admitted> = (1..=4)
            .map(|i| admitted(i, 0, cpu(2), 0, u64::from(i) * 10))
            .collect();
        held.push(admitted(5, 1, cpu(4), 0, 0));
        let usage = usage_of(&queues, &held);
        let incoming = pending(9, 1, cpu(2), 0, 100);
        assert_eq!(
            targets(&queues, &usage, &held, &incoming, 0),
            Some((vec![4], true))
        );
        let mut classical = queues.clone();
        classical.fair_sharing = false;
        assert_eq!(
            super::super::preemption::in_flavor(&classical, &usage, &held, &incoming, 0),
            None
        );
    }

    /// team-a holds two 4-cpu workloads (share 333); without one it borrows nothing (0), and
    /// team-b's share with its 2 cpu would be 166 > 0: the first strategy refuses. The second,
    /// LessThanInitialShare, allows it: 166 < 333; team-a's latest (id 2) goes. A 6-cpu
    /// workload (team-b's share 500, not below 333) preempts nothing: fair sharing does not let
    /// it take more than team-a has.
    #[test]
    fn less_than_initial_share() {
        let queues = cohort();
        let held = vec![
            admitted(1, 0, cpu(4), 0, 10),
            admitted(2, 0, cpu(4), 0, 20),
            admitted(5, 1, cpu(4), 0, 0),
        ];
        let usage = usage_of(&queues, &held);
        assert_eq!(
            targets(&queues, &usage, &held, &pending(9, 1, cpu(2), 0, 100), 0),
            Some((vec![2], true))
        );
        assert_eq!(
            targets(&queues, &usage, &held, &pending(9, 1, cpu(6), 0, 100), 0),
            None
        );
    }

    /// Within its nominal quota team-b reclaims as classically: team-a's latest of its two
    /// 4-cpu workloads borrowed from team-b (shares 0 ≤ 0).
    #[test]
    fn reclaiming_nominal_quota() {
        let queues = cohort();
        let held = vec![
            admitted(1, 0, cpu(4), 0, 10),
            admitted(2, 0, cpu(4), 0, 20),
            admitted(3, 0, cpu(4), 0, 30),
        ];
        let usage = usage_of(&queues, &held);
        assert_eq!(
            targets(&queues, &usage, &held, &pending(9, 1, cpu(4), 0, 100), 0),
            Some((vec![3], false))
        );
    }
}

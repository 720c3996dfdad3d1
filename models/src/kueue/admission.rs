//! Admission: which pending workloads get quota, in which order.
//!
//! Each ClusterQueue orders its pending workloads by priority (higher first), then creation
//! time (`cluster_queue.md`, "Queueing strategy"). Its head is the first of them under
//! StrictFIFO — if it does not fit, the queue admits nothing — and the first that fits under
//! BestEffortFIFO; its flavor is its ClusterQueue's `flavorFungibility` choice
//! ([`super::fungibility`]), and one whose choice is to preempt is not admitted here. A workload whose user already has the queue's `max_admitted_per_user`
//! admitted is passed over without blocking (YARN's user limit, not a Kueue field).
//!
//! The heads of all ClusterQueues compete as in upstream's scheduling cycle
//! (`pkg/scheduler/scheduler.go`, `entryOrdering`): heads that fit without borrowing go
//! first — so a queue reclaiming its nominal quota is served before a neighbour borrows
//! (`cluster_queue.md`, "Borrowing example") — then, with fair sharing, the lower dominant
//! resource share after admission, then higher priority, older creation, lower id. The winner
//! is admitted, usage updated, and the heads are taken again until none fits.

use super::fungibility::admissible;
use super::quota::{Mode, dominant_resource_share, lender};
use super::{Admitted, ClusterQueue, Pending, QueueingStrategy, Queues, Usage, reserve};

/// How competing heads are ordered, least first: borrows, dominant resource share, priority
/// (higher first), creation time, id.
type HeadKey = (bool, u64, std::cmp::Reverse<i32>, u64, u32);

/// One admission of a pass: the workload, and the cohort it borrows from at that moment
/// ([`lender`]; later admissions of the same pass do not change it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    pub id: u32,
    pub lender: Option<u32>,
}

/// Admits what fits of `pending` at `now_ns`, appending to `admitted` and updating `usage`;
/// returns the admissions in order. `pending` may be in any order.
pub fn admit(
    queues: &Queues,
    usage: &mut Usage,
    admitted: &mut Vec<Admitted>,
    pending: &[Pending],
    now_ns: u64,
) -> Vec<Admission> {
    let mut order: Vec<&Pending> = pending.iter().collect();
    order.sort_by_key(|p| (std::cmp::Reverse(p.priority), p.created_ns, p.id));
    let mut taken = vec![false; order.len()];
    let mut out = Vec::new();
    loop {
        // (key, index into `order`, flavor slot)
        let mut best: Option<(HeadKey, usize, usize)> = None;
        for (c, q) in queues.iter().enumerate() {
            let Some((i, slot, mode)) = head(queues, usage, admitted, &order, &taken, c, q) else {
                continue;
            };
            let p = order[i];
            let share = if queues.fair_sharing {
                dominant_resource_share(queues, usage, c, Some((slot, p.request)))
            } else {
                0
            };
            let key = (
                mode == Mode::Borrow,
                share,
                std::cmp::Reverse(p.priority),
                p.created_ns,
                p.id,
            );
            if best.as_ref().is_none_or(|(k, _, _)| key < *k) {
                best = Some((key, i, slot));
            }
        }
        let Some((_, i, slot)) = best else {
            return out;
        };
        let p = order[i];
        taken[i] = true;
        reserve(usage, admitted, p.admitted(slot, now_ns));
        out.push(Admission {
            id: p.id,
            lender: lender(queues, usage, p.cluster_queue as usize, slot),
        });
    }
}

/// ClusterQueue `c`'s head: the index in `order` of the workload it would admit now, with the
/// flavor slot and mode, by its queueing strategy.
fn head(
    queues: &Queues,
    usage: &Usage,
    admitted: &[Admitted],
    order: &[&Pending],
    taken: &[bool],
    c: usize,
    q: &ClusterQueue,
) -> Option<(usize, usize, Mode)> {
    for (i, p) in order.iter().enumerate() {
        if taken[i] || p.cluster_queue as usize != c || user_at_limit(q, admitted, p) {
            continue;
        }
        match admissible(queues, usage, admitted, p) {
            Some((slot, mode)) => return Some((i, slot, mode)),
            None if q.strategy == QueueingStrategy::StrictFifo => return None,
            None => {}
        }
    }
    None
}

/// Whether `p`'s user already has its ClusterQueue `q`'s `max_admitted_per_user` admitted.
pub fn user_at_limit(q: &ClusterQueue, admitted: &[Admitted], p: &Pending) -> bool {
    q.max_admitted_per_user.is_some_and(|max| {
        let n = admitted
            .iter()
            .filter(|a| a.cluster_queue == p.cluster_queue && a.user == p.user)
            .count();
        n >= max as usize
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{admitted, cpu, flat, pending, queue};
    use super::super::usage_of;
    use super::*;

    /// The ids of `admissions`.
    fn ids(admissions: Vec<Admission>) -> Vec<u32> {
        admissions.into_iter().map(|a| a.id).collect()
    }

    /// "Queueing strategy": 5 of 9 cpu used; an older 6-cpu workload and a newer 2-cpu one.
    /// StrictFIFO admits nothing (the older blocks); BestEffortFIFO admits the newer.
    #[test]
    fn strict_fifo_blocks_and_best_effort_does_not() {
        for (strategy, expected) in [
            (QueueingStrategy::StrictFifo, vec![]),
            (QueueingStrategy::BestEffortFifo, vec![2]),
        ] {
            let mut q = queue("q", cpu(9), false);
            q.strategy = strategy;
            let queues = flat(vec![q]);
            let mut held = vec![admitted(0, 0, cpu(5), 0, 0)];
            let mut usage = usage_of(&queues, &held);
            let waiting = [pending(1, 0, cpu(6), 0, 10), pending(2, 0, cpu(2), 0, 20)];
            let got = ids(admit(&queues, &mut usage, &mut held, &waiting, 30));
            assert_eq!(got, expected, "{strategy:?}");
        }
    }

    /// Priority first, then creation: a newer high-priority workload goes before an older one.
    #[test]
    fn priority_then_creation_order() {
        let queues = flat(vec![queue("q", cpu(4), false)]);
        let mut held = Vec::new();
        let mut usage = usage_of(&queues, &held);
        let waiting = [
            pending(1, 0, cpu(3), 0, 10),
            pending(2, 0, cpu(3), 5, 20),
            pending(3, 0, cpu(1), 0, 30),
        ];
        let got = ids(admit(&queues, &mut usage, &mut held, &waiting, 40));
        // 2 (priority 5) takes 3 cpu; 1 (3 cpu) no longer fits; 3 (1 cpu) does.
        assert_eq!(got, vec![2, 3]);
    }

    /// "Borrowing example": team-a has used its 9 cpu; team-b's pending workload, within its
    /// nominal quota, is admitted before team-a's older one that would borrow; then team-a
    /// borrows what is left.
    #[test]
    fn nominal_quota_before_borrowing() {
        let queues = flat(vec![
            queue("team-a-cq", cpu(9), true),
            queue("team-b-cq", cpu(12), true),
        ]);
        let mut held = vec![admitted(0, 0, cpu(9), 0, 0)];
        let mut usage = usage_of(&queues, &held);
        let waiting = [pending(1, 0, cpu(10), 0, 10), pending(2, 1, cpu(4), 0, 20)];
        let got = ids(admit(&queues, &mut usage, &mut held, &waiting, 30));
        // b takes 4 of its 12; a may borrow 12 − 4 = 8 < 10: not admitted.
        assert_eq!(got, vec![2]);
        let smaller = [pending(3, 0, cpu(8), 0, 40)];
        let got = ids(admit(&queues, &mut usage, &mut held, &smaller, 50));
        assert_eq!(got, vec![3]);
        assert_eq!(usage[0][0], cpu(17));
    }

    /// Fair sharing: two queues of 6 cpu, each already borrowing nothing, a third lending 12;
    /// heads that both borrow go in order of dominant resource share, not creation.
    #[test]
    fn fair_sharing_orders_borrowers_by_share() {
        let queues = flat(vec![
            queue("a", cpu(6), true),
            queue("b", cpu(6), true),
            queue("lender", cpu(12), true),
        ]);
        // a already borrows 6 (uses 12); b uses its 6.
        let mut held = vec![admitted(0, 0, cpu(12), 0, 0), admitted(1, 1, cpu(6), 0, 0)];
        let mut usage = usage_of(&queues, &held);
        // a's request is older, but a's share after it (12 of 24 lendable → 500) is above b's
        // (6 → 250); only 6 cpu are left to lend, so one is admitted.
        let waiting = [pending(2, 0, cpu(6), 0, 10), pending(3, 1, cpu(6), 0, 20)];
        let mut fair = queues.clone();
        fair.fair_sharing = true;
        assert_eq!(
            ids(admit(
                &fair,
                &mut usage.clone(),
                &mut held.clone(),
                &waiting,
                30
            )),
            vec![3]
        );
        assert_eq!(
            ids(admit(&queues, &mut usage, &mut held, &waiting, 30)),
            vec![2]
        );
    }

    /// Max 3 admitted per user: the user's fourth waits, another user's workload does not.
    #[test]
    fn a_user_limit_passes_over_without_blocking() {
        let mut q = queue("q", cpu(10), false);
        q.max_admitted_per_user = Some(3);
        let queues = flat(vec![q]);
        let mut held = Vec::new();
        let mut usage = usage_of(&queues, &held);
        let mut waiting: Vec<Pending> = (0..4)
            .map(|i| pending(i, 0, cpu(1), 0, u64::from(i)))
            .collect();
        let mut other = pending(9, 0, cpu(1), 0, 100);
        other.user = 1;
        waiting.push(other);
        let got = ids(admit(&queues, &mut usage, &mut held, &waiting, 200));
        assert_eq!(got, vec![0, 1, 2, 9]);
    }

    /// The lender is taken at each admission, not after the pass: team-a (4) and team-b (4)
    /// in one cohort, three 2-cpu workloads of team-a in one pass. The first two fit its
    /// nominal quota; only the third borrows, from cohort 0.
    #[test]
    fn each_admission_names_its_lender_when_it_is_made() {
        let queues = flat(vec![queue("a", cpu(4), true), queue("b", cpu(4), true)]);
        let mut held = Vec::new();
        let mut usage = usage_of(&queues, &held);
        let waiting: Vec<Pending> = (0..3).map(|i| pending(i, 0, cpu(2), 0, 0)).collect();
        let got = admit(&queues, &mut usage, &mut held, &waiting, 0);
        let lenders: Vec<Option<u32>> = got.iter().map(|a| a.lender).collect();
        assert_eq!(lenders, vec![None, None, Some(0)]);
    }
}

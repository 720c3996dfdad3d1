//! Flavor fungibility: which of a ClusterQueue's flavors a workload is assigned when the first
//! one would need borrowing or preemption (`cluster_queue.md`, "Flavor Fungibility";
//! upstream `pkg/scheduler/flavorassigner`, `shouldTryNextFlavor`).
//!
//! Flavors are tried in order. A flavor where the workload fits within the nominal quota is
//! taken at once. One where it fits only by borrowing is taken at once under
//! `whenCanBorrow: Borrow` (the default); under `TryNextFlavor` a later flavor that fits
//! without borrowing is looked for. One where it fits only by preempting is taken at once under
//! `whenCanPreempt: Preempt` (unless that preemption also borrows and `whenCanBorrow` is
//! `TryNextFlavor`); under `TryNextFlavor` (the default) later flavors are tried. When no
//! flavor stops the search, the best seen wins, the first of its kind: one that fits (even by
//! borrowing) before one that needs preemption.
//!
//! Whether a flavor "can preempt" is decided as newer upstream's preemption oracle does: the
//! preemptions the ClusterQueue's policies allow there would make room ([`super::preemption`]),
//! not merely that the request is within the nominal quota. It is computed only when it can
//! change the answer (`whenCanPreempt: Preempt`, or no flavor fits), so the defaults cost no
//! more than trying each flavor's quota.

use super::preemption::in_flavor;
use super::quota::{Mode, fits};
use super::{Admitted, Pending, Queues, Usage, WhenCanBorrow, WhenCanPreempt};

/// What a workload is assigned: a flavor slot it is admitted in now, or one it must preempt
/// these workloads (ids) in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignment {
    Admit(usize, Mode),
    Preempt(usize, Vec<u32>),
}

/// The flavor `incoming` is assigned in its ClusterQueue now, by the ClusterQueue's
/// `flavorFungibility`; `None` when no flavor fits, even by preempting what its policies
/// allow.
pub fn assign(
    queues: &Queues,
    usage: &Usage,
    admitted: &[Admitted],
    incoming: &Pending,
) -> Option<Assignment> {
    let cq = incoming.cluster_queue as usize;
    let policy = queues[cq].fungibility;
    let mut borrowing_fit: Option<usize> = None;
    let mut preempting: Option<(usize, Vec<u32>)> = None;
    // Flavors where it neither fits nor was checked for preemption, in order.
    let mut unchecked = Vec::new();
    for slot in 0..queues[cq].flavors.len() {
        match fits(queues, usage, cq, slot, incoming.request) {
            Some(Mode::Fit) => return Some(Assignment::Admit(slot, Mode::Fit)),
            Some(Mode::Borrow) => {
                if policy.when_can_borrow == WhenCanBorrow::Borrow {
                    return Some(Assignment::Admit(slot, Mode::Borrow));
                }
                borrowing_fit.get_or_insert(slot);
            }
            None if policy.when_can_preempt == WhenCanPreempt::Preempt => {
                let Some((victims, borrows)) = in_flavor(queues, usage, admitted, incoming, slot)
                else {
                    continue;
                };
                if !borrows || policy.when_can_borrow == WhenCanBorrow::Borrow {
                    return Some(Assignment::Preempt(slot, victims));
                }
                preempting.get_or_insert((slot, victims));
            }
            None => unchecked.push(slot),
        }
    }
    if let Some(slot) = borrowing_fit {
        return Some(Assignment::Admit(slot, Mode::Borrow));
    }
    preempting
        .or_else(|| {
            unchecked.into_iter().find_map(|slot| {
                in_flavor(queues, usage, admitted, incoming, slot).map(|(v, _)| (slot, v))
            })
        })
        .map(|(slot, victims)| Assignment::Preempt(slot, victims))
}

/// The flavor slot `incoming` is admitted in now, without preempting, and how; `None` when it
/// does not fit or its assignment is to preempt (then admitting it elsewhere would go against
/// `whenCanPreempt: Preempt`). The preemption oracle is not consulted under the defaults.
pub fn admissible(
    queues: &Queues,
    usage: &Usage,
    admitted: &[Admitted],
    incoming: &Pending,
) -> Option<(usize, Mode)> {
    let cq = incoming.cluster_queue as usize;
    if queues[cq].fungibility.when_can_preempt == WhenCanPreempt::TryNextFlavor {
        // Nothing that needs preemption stops the search: the first flavor that fits (or,
        // under `whenCanBorrow: TryNextFlavor`, that fits without borrowing) wins.
        let policy = queues[cq].fungibility.when_can_borrow;
        let mut borrowing = None;
        for slot in 0..queues[cq].flavors.len() {
            match fits(queues, usage, cq, slot, incoming.request) {
                Some(Mode::Fit) => return Some((slot, Mode::Fit)),
                Some(Mode::Borrow) if policy == WhenCanBorrow::Borrow => {
                    return Some((slot, Mode::Borrow));
                }
                Some(Mode::Borrow) => {
                    borrowing.get_or_insert(slot);
                }
                None => {}
            }
        }
        return borrowing.map(|slot| (slot, Mode::Borrow));
    }
    match assign(queues, usage, admitted, incoming)? {
        Assignment::Admit(slot, mode) => Some((slot, mode)),
        Assignment::Preempt(..) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{admitted, cpu, flat, pending, queue};
    use super::super::{FlavorFungibility, FlavorQuota, WithinClusterQueue, usage_of};
    use super::*;

    /// `cluster_queue.md`, "Resource Groups": flavors `spot` (9 cpu) then `on-demand` (18 cpu);
    /// the first flavor with room is assigned.
    #[test]
    fn flavors_are_tried_in_order() {
        let mut q = queue("cluster-queue", cpu(9), false);
        q.flavors.push(FlavorQuota::nominal(1, cpu(18)));
        let queues = flat(vec![q]);
        let mut usage = usage_of(&queues, &[]);
        let at = |usage: &Usage, cores| {
            admissible(&queues, usage, &[], &pending(1, 0, cpu(cores), 0, 0))
        };
        assert_eq!(at(&usage, 5), Some((0, Mode::Fit)));
        assert_eq!(at(&usage, 10), Some((1, Mode::Fit)));
        usage[0][0] = cpu(6);
        assert_eq!(at(&usage, 5), Some((1, Mode::Fit)));
        assert_eq!(at(&usage, 19), None);
    }

    /// Two flavors of 4 cpu each in team-a (cohort with team-b, 8 cpu idle); team-a uses 4 of
    /// flavor 0. A 2-cpu workload fits flavor 0 only by borrowing and flavor 1 as it is:
    /// `whenCanBorrow: Borrow` (the default) borrows in flavor 0, `TryNextFlavor` takes flavor 1.
    /// With flavor 1 full too, `TryNextFlavor` comes back to borrowing in flavor 0.
    #[test]
    fn when_can_borrow() {
        let mut a = queue("team-a", cpu(4), true);
        a.flavors.push(FlavorQuota::nominal(1, cpu(4)));
        let mut b = queue("team-b", cpu(8), true);
        b.flavors.push(FlavorQuota::nominal(1, cpu(8)));
        for (policy, expected, when_full) in [
            (WhenCanBorrow::Borrow, (0, Mode::Borrow), (0, Mode::Borrow)),
            (
                WhenCanBorrow::TryNextFlavor,
                (1, Mode::Fit),
                (0, Mode::Borrow),
            ),
        ] {
            let mut a = a.clone();
            a.fungibility.when_can_borrow = policy;
            let queues = flat(vec![a, b.clone()]);
            let mut held = vec![admitted(1, 0, cpu(4), 0, 0)];
            let usage = usage_of(&queues, &held);
            let incoming = pending(2, 0, cpu(2), 0, 10);
            assert_eq!(
                admissible(&queues, &usage, &held, &incoming),
                Some(expected)
            );
            let mut full = admitted(3, 0, cpu(4), 0, 0);
            full.slot = 1;
            held.push(full);
            let usage = usage_of(&queues, &held);
            assert_eq!(
                admissible(&queues, &usage, &held, &incoming),
                Some(when_full),
                "{policy:?}"
            );
        }
    }

    /// Flavors `reserved` (4 cpu, full with a priority-0 workload) then `spot` (4 cpu, idle);
    /// a priority-10 workload of 4 cpu, `withinClusterQueue: LowerPriority`.
    /// `whenCanPreempt: TryNextFlavor` (the default) admits it in `spot` without preempting;
    /// `Preempt` preempts the priority-0 workload to place it in `reserved`.
    #[test]
    fn when_can_preempt() {
        let mut q = queue("q", cpu(4), false);
        q.flavors.push(FlavorQuota::nominal(1, cpu(4)));
        q.preemption.within_cluster_queue = WithinClusterQueue::LowerPriority;
        let held = vec![admitted(1, 0, cpu(4), 0, 0)];
        let incoming = pending(2, 0, cpu(4), 10, 10);
        let default = flat(vec![q.clone()]);
        let usage = usage_of(&default, &held);
        assert_eq!(
            assign(&default, &usage, &held, &incoming),
            Some(Assignment::Admit(1, Mode::Fit))
        );
        q.fungibility = FlavorFungibility {
            when_can_preempt: WhenCanPreempt::Preempt,
            ..FlavorFungibility::default()
        };
        let preempt = flat(vec![q]);
        assert_eq!(
            assign(&preempt, &usage, &held, &incoming),
            Some(Assignment::Preempt(0, vec![1]))
        );
        // Not admitted as it is: its assignment is to preempt.
        assert_eq!(admissible(&preempt, &usage, &held, &incoming), None);
        // An equal-priority workload cannot preempt there, so it goes to `spot` after all.
        let equal = pending(3, 0, cpu(4), 0, 10);
        assert_eq!(
            admissible(&preempt, &usage, &held, &equal),
            Some((1, Mode::Fit))
        );
    }
}

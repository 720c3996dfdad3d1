//! Quota arithmetic: how much of a flavor's resource a ClusterQueue may still take, whether a
//! workload fits with or without borrowing, which flavor it gets, and its ClusterQueue's
//! dominant resource share for fair sharing.
//!
//! `available` is upstream's (`pkg/cache/resource_node.go`, `available`) for a one-level
//! cohort. Each ClusterQueue keeps `guaranteed = nominal − lendingLimit` (0 without a lending
//! limit) to itself; the cohort pools the rest of every member's nominal quota
//! (`Σ (nominal − guaranteed)`) and counts what each member uses above its guaranteed part:
//!
//! ```text
//! local     = max(0, guaranteed − usage)
//! from the cohort = Σ lent − Σ max(0, usage_i − guaranteed_i)
//! with a borrowingLimit: from the cohort ≤ (nominal − guaranteed) − max(0, usage − guaranteed) + borrowingLimit
//! available = local + from the cohort
//! ```
//!
//! A ClusterQueue without a cohort has `nominal − usage`. Checked against every example of
//! `cluster_queue.md` in the tests below.

use super::{Amounts, ClusterQueue, RESOURCES, Usage, plus};

/// How a workload fits a flavor: within the nominal quota, or by borrowing from the cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mode {
    Fit,
    Borrow,
}

/// The part of a flavor's nominal quota a ClusterQueue keeps from its cohort.
fn guaranteed(q: &ClusterQueue, slot: usize, r: usize) -> u64 {
    let f = &q.flavors[slot];
    f.lending_limit[r].map_or(0, |l| f.nominal[r].saturating_sub(l))
}

/// What the cohort still has to lend of `flavor`'s resource `r`: every member's lent quota
/// less what the members use beyond what they keep.
fn cohort_available(
    queues: &[ClusterQueue],
    usage: &Usage,
    cohort: u32,
    flavor: u32,
    r: usize,
) -> u64 {
    let (mut lent, mut used) = (0u64, 0u64);
    for (c, q) in queues.iter().enumerate() {
        if q.cohort != Some(cohort) {
            continue;
        }
        for (slot, f) in q.flavors.iter().enumerate() {
            if f.flavor != flavor {
                continue;
            }
            let keep = guaranteed(q, slot, r);
            lent = lent.saturating_add(f.nominal[r] - keep);
            used = used.saturating_add(usage[c][slot][r].saturating_sub(keep));
        }
    }
    lent.saturating_sub(used)
}

/// How much more of resource `r` ClusterQueue `cq` may take in its flavor `slot`.
pub fn available(queues: &[ClusterQueue], usage: &Usage, cq: usize, slot: usize, r: usize) -> u64 {
    let q = &queues[cq];
    let f = &q.flavors[slot];
    let used = usage[cq][slot][r];
    let Some(cohort) = q.cohort else {
        return f.nominal[r].saturating_sub(used);
    };
    let keep = guaranteed(q, slot, r);
    let local = keep.saturating_sub(used);
    let mut from_cohort = cohort_available(queues, usage, cohort, f.flavor, r);
    if let Some(limit) = f.borrowing_limit[r] {
        let stored = f.nominal[r] - keep;
        let used_from_cohort = used.saturating_sub(keep);
        from_cohort = from_cohort.min(
            stored
                .saturating_add(limit)
                .saturating_sub(used_from_cohort),
        );
    }
    local.saturating_add(from_cohort)
}

/// Whether `request` fits ClusterQueue `cq`'s flavor `slot` now: within its nominal quota, by
/// borrowing (`cluster_queue.md`, "Flavors and borrowing semantics"), or not at all — also
/// when its unused nominal quota is lent to a neighbour, which only preemption takes back.
pub fn fits(
    queues: &[ClusterQueue],
    usage: &Usage,
    cq: usize,
    slot: usize,
    request: Amounts,
) -> Option<Mode> {
    if !(0..RESOURCES).all(|r| request[r] <= available(queues, usage, cq, slot, r)) {
        // Its own unused nominal quota may be lent out: it must be reclaimed first.
        return None;
    }
    let within = plus(usage[cq][slot], request);
    let nominal = queues[cq].flavors[slot].nominal;
    if (0..RESOURCES).all(|r| within[r] <= nominal[r]) {
        Some(Mode::Fit)
    } else {
        Some(Mode::Borrow)
    }
}

/// The flavor Kueue assigns: the first of the ClusterQueue's flavors, in order, where the
/// workload fits, with or without borrowing (`flavorFungibility.whenCanBorrow: Borrow`, the
/// default, stops at the first flavor it can borrow in).
pub fn assign_flavor(
    queues: &[ClusterQueue],
    usage: &Usage,
    cq: usize,
    request: Amounts,
) -> Option<(usize, Mode)> {
    (0..queues[cq].flavors.len())
        .find_map(|slot| fits(queues, usage, cq, slot, request).map(|m| (slot, m)))
}

/// Whether `request` could ever be admitted by ClusterQueue `cq`: into an idle cohort.
pub fn ever_fits(queues: &[ClusterQueue], cq: usize, request: Amounts) -> bool {
    let idle = super::usage_of(queues, &[]);
    assign_flavor(queues, &idle, cq, request).is_some()
}

/// The dominant resource share of ClusterQueue `cq` with `extra` added to its flavor `slot`
/// (upstream's `dominantResourceShare`, `pkg/cache/fair_sharing.go`): per resource, what it
/// uses above its nominal quota over what the cohort lends, in thousandths; the largest, ×1000
/// divided by its weight in thousandths. 0 when it borrows nothing or has no cohort;
/// `u64::MAX` for weight 0.
pub fn dominant_resource_share(
    queues: &[ClusterQueue],
    usage: &Usage,
    cq: usize,
    extra: Option<(usize, Amounts)>,
) -> u64 {
    let q = &queues[cq];
    let Some(cohort) = q.cohort else {
        return 0;
    };
    let mut borrowed = [0u64; RESOURCES];
    for (slot, f) in q.flavors.iter().enumerate() {
        let mut used = usage[cq][slot];
        if let Some((s, request)) = extra
            && s == slot
        {
            used = plus(used, request);
        }
        for r in 0..RESOURCES {
            borrowed[r] += used[r].saturating_sub(f.nominal[r]);
        }
    }
    if borrowed.iter().all(|&b| b == 0) {
        return 0;
    }
    if q.fair_weight_milli == 0 {
        return u64::MAX;
    }
    let mut lendable = [0u64; RESOURCES];
    for (c, other) in queues
        .iter()
        .enumerate()
        .filter(|(_, o)| o.cohort == Some(cohort))
    {
        for slot in 0..other.flavors.len() {
            for (r, l) in lendable.iter_mut().enumerate() {
                *l = l.saturating_add(
                    other.flavors[slot].nominal[r] - guaranteed(&queues[c], slot, r),
                );
            }
        }
    }
    let share = (0..RESOURCES)
        .filter(|&r| borrowed[r] > 0 && lendable[r] > 0)
        .map(|r| borrowed[r] * 1000 / lendable[r])
        .max()
        .unwrap_or(0);
    share * 1000 / q.fair_weight_milli
}

#[cfg(test)]
mod tests {
    use super::super::testing::{cpu, queue};
    use super::super::{FlavorQuota, usage_of};
    use super::*;

    const GIB: u64 = 1 << 30;

    /// `cluster_queue.md`, "Borrowing example": team-a (9 cpu, 36Gi) and team-b (12 cpu, 48Gi)
    /// in cohort team-ab; team-b idle, so team-a may admit up to 12 + 9 = 21 cpu and 84Gi.
    #[test]
    fn borrowing_example() {
        let a = queue("team-a-cq", [9000, 36 * GIB, 0, 0], true);
        let b = queue("team-b-cq", [12000, 48 * GIB, 0, 0], true);
        let queues = vec![a, b];
        let usage = usage_of(&queues, &[]);
        assert_eq!(available(&queues, &usage, 0, 0, 0), 21000);
        assert_eq!(available(&queues, &usage, 0, 0, 1), 84 * GIB);
        // 21 cpu fits team-a by borrowing; 22 does not.
        assert_eq!(
            fits(&queues, &usage, 0, 0, [21000, 0, 0, 0]),
            Some(Mode::Borrow)
        );
        assert_eq!(
            fits(&queues, &usage, 0, 0, [9000, 0, 0, 0]),
            Some(Mode::Fit)
        );
        assert_eq!(fits(&queues, &usage, 0, 0, [22000, 0, 0, 0]), None);
    }

    /// "BorrowingLimit": team-a nominal 9, borrowingLimit 1 → at most 9 + 1 = 10 cpu; team-b,
    /// without a limit, up to 12 + 9.
    #[test]
    fn borrowing_limit_example() {
        let mut a = queue("team-a-cq", cpu(9), true);
        a.flavors[0].borrowing_limit[0] = Some(1000);
        let queues = vec![a, queue("team-b-cq", cpu(12), true)];
        let usage = usage_of(&queues, &[]);
        assert_eq!(available(&queues, &usage, 0, 0, 0), 10000);
        assert_eq!(available(&queues, &usage, 1, 0, 0), 21000);
    }

    /// "LendingLimit": team-b nominal 12, lendingLimit 1: while team-b uses at most 12 − 1 = 11,
    /// team-a may admit up to 9 + 1 = 10; team-b itself may use 9 + 12.
    #[test]
    fn lending_limit_example() {
        let mut b = queue("team-b-cq", cpu(12), true);
        b.flavors[0].lending_limit[0] = Some(1000);
        let queues = vec![queue("team-a-cq", cpu(9), true), b];
        let mut usage = usage_of(&queues, &[]);
        assert_eq!(available(&queues, &usage, 0, 0, 0), 10000);
        assert_eq!(available(&queues, &usage, 1, 0, 0), 21000);
        usage[1][0] = cpu(11);
        assert_eq!(available(&queues, &usage, 0, 0, 0), 10000);
        // Past what it keeps, team-b uses the cohort's pool: 12 used leaves team-a 9.
        usage[1][0] = cpu(12);
        assert_eq!(available(&queues, &usage, 0, 0, 0), 9000);
    }

    /// team-a borrows all of team-b's idle 12 cpu (uses 21): team-b's 4-cpu workload is
    /// within its nominal quota but does not fit until the quota is reclaimed.
    #[test]
    fn lent_nominal_quota_must_be_reclaimed() {
        let queues = vec![
            queue("team-a-cq", cpu(9), true),
            queue("team-b-cq", cpu(12), true),
        ];
        let mut usage = usage_of(&queues, &[]);
        usage[0][0] = cpu(21);
        assert_eq!(available(&queues, &usage, 1, 0, 0), 0);
        assert_eq!(fits(&queues, &usage, 1, 0, cpu(4)), None);
        usage[0][0] = cpu(17);
        assert_eq!(fits(&queues, &usage, 1, 0, cpu(4)), Some(Mode::Fit));
    }

    /// A ClusterQueue outside a cohort has exactly its nominal quota.
    #[test]
    fn no_cohort_no_borrowing() {
        let queues = vec![
            queue("alone", cpu(9), false),
            queue("other", cpu(12), false),
        ];
        let usage = usage_of(&queues, &[]);
        assert_eq!(available(&queues, &usage, 0, 0, 0), 9000);
        assert_eq!(fits(&queues, &usage, 0, 0, cpu(10)), None);
        assert!(!ever_fits(&queues, 0, cpu(10)) && ever_fits(&queues, 0, cpu(9)));
    }

    /// `cluster_queue.md`, "Resource Groups": flavors `spot` (9 cpu) then `on-demand` (18 cpu);
    /// the first flavor with room is assigned.
    #[test]
    fn flavors_are_tried_in_order() {
        let mut q = queue("cluster-queue", cpu(9), false);
        q.flavors.push(FlavorQuota::nominal(1, cpu(18)));
        let queues = vec![q];
        let mut usage = usage_of(&queues, &[]);
        assert_eq!(
            assign_flavor(&queues, &usage, 0, cpu(5)),
            Some((0, Mode::Fit))
        );
        assert_eq!(
            assign_flavor(&queues, &usage, 0, cpu(10)),
            Some((1, Mode::Fit))
        );
        usage[0][0] = cpu(6);
        assert_eq!(
            assign_flavor(&queues, &usage, 0, cpu(5)),
            Some((1, Mode::Fit))
        );
        assert_eq!(assign_flavor(&queues, &usage, 0, cpu(19)), None);
    }

    /// Upstream's formula by hand: team-a (9) using 12 borrows 3 of the cohort's 21 lendable
    /// cpu: 3000 × 1000 / 21000 = 142 (integer division), ×1000 / weight.
    #[test]
    fn dominant_resource_share_by_hand() {
        let mut queues = vec![queue("a", cpu(9), true), queue("b", cpu(12), true)];
        let mut usage = usage_of(&queues, &[]);
        usage[0][0] = cpu(12);
        assert_eq!(dominant_resource_share(&queues, &usage, 0, None), 142);
        assert_eq!(dominant_resource_share(&queues, &usage, 1, None), 0);
        queues[0].fair_weight_milli = 2000;
        assert_eq!(dominant_resource_share(&queues, &usage, 0, None), 71);
        // With 3 more cpu: 6000 × 1000 / 21000 = 285, at weight 2: 142.
        assert_eq!(
            dominant_resource_share(&queues, &usage, 0, Some((0, cpu(3)))),
            142
        );
        queues[0].fair_weight_milli = 0;
        assert_eq!(dominant_resource_share(&queues, &usage, 0, None), u64::MAX);
    }
}

//! Quota arithmetic: how much of a flavor's resource a ClusterQueue may still take, whether a
//! workload fits with or without borrowing, which cohort it borrows from, and its
//! ClusterQueue's dominant resource share for fair sharing.
//!
//! `available` is upstream's (`pkg/cache/resource_node.go`, `available`), over the cohort tree
//! (`cohort.md`, "Hierarchical Cohorts"). Every node — a ClusterQueue or a Cohort — has, per
//! flavor and resource, a subtree quota, a usage and a `guaranteed` part it keeps from its
//! parent (`subtree − lendingLimit`, 0 without a lending limit):
//!
//! ```text
//! ClusterQueue: subtree = nominal                       usage = what its workloads hold
//! Cohort:       subtree = own nominal + Σ children (subtree − guaranteed)
//!               usage   = Σ children max(0, usage − guaranteed)
//! available(root) = subtree − usage
//! available(node) = max(0, guaranteed − usage)
//!                 + min(available(parent),
//!                       with a borrowingLimit: (subtree − guaranteed) − max(0, usage − guaranteed) + borrowingLimit)
//! ```
//!
//! A ClusterQueue without a cohort has `nominal − usage`; one-level cohorts are trees of depth
//! one. Checked against every example of `cluster_queue.md` and `cohort.md` in the tests below.

use super::{Amounts, ClusterQueue, FlavorQuota, Queues, RESOURCES, Usage, plus};

/// How a workload fits a flavor: within the nominal quota, or by borrowing from the cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mode {
    Fit,
    Borrow,
}

/// The part of `subtree` a node with quota `f` keeps from its parent (`guaranteedQuota`).
fn guaranteed(f: Option<&FlavorQuota>, subtree: u64, r: usize) -> u64 {
    f.and_then(|f| f.lending_limit[r])
        .map_or(0, |l| subtree.saturating_sub(l))
}

/// ClusterQueue `q`'s quota in `flavor`, with its slot.
fn slot_of(q: &ClusterQueue, flavor: u32) -> Option<(usize, &FlavorQuota)> {
    q.flavors
        .iter()
        .enumerate()
        .find(|(_, f)| f.flavor == flavor)
}

/// Cohort `c`'s quota of its own in `flavor`.
fn cohort_quota(queues: &Queues, c: u32, flavor: u32) -> Option<&FlavorQuota> {
    queues.cohorts[c as usize]
        .flavors
        .iter()
        .find(|f| f.flavor == flavor)
}

/// `(subtree quota, usage)` of cohort `c` in `flavor`'s resource `r`, from its children up
/// (`updateCohortResourceNode`, `accumulateFromChild`).
fn cohort_node(queues: &Queues, usage: &Usage, c: u32, flavor: u32, r: usize) -> (u64, u64) {
    let mut subtree = cohort_quota(queues, c, flavor).map_or(0, |f| f.nominal[r]);
    let mut used = 0u64;
    for (k, child) in queues.cohorts.iter().enumerate() {
        if child.parent != Some(c) {
            continue;
        }
        let (s, u) = cohort_node(queues, usage, k as u32, flavor, r);
        let keep = guaranteed(cohort_quota(queues, k as u32, flavor), s, r);
        subtree = subtree.saturating_add(s - keep);
        used = used.saturating_add(u.saturating_sub(keep));
    }
    for (q_index, q) in queues.iter().enumerate() {
        if q.cohort != Some(c) {
            continue;
        }
        let Some((slot, f)) = slot_of(q, flavor) else {
            continue;
        };
        let keep = guaranteed(Some(f), f.nominal[r], r);
        subtree = subtree.saturating_add(f.nominal[r] - keep);
        used = used.saturating_add(usage[q_index][slot][r].saturating_sub(keep));
    }
    (subtree, used)
}

/// What a node with quota `f`, subtree quota and usage may take, given what its parent has
/// (`None`: it has no parent).
fn node_available(
    f: Option<&FlavorQuota>,
    subtree: u64,
    used: u64,
    parent: Option<u64>,
    r: usize,
) -> u64 {
    let Some(mut from_parent) = parent else {
        return subtree.saturating_sub(used);
    };
    let keep = guaranteed(f, subtree, r);
    if let Some(limit) = f.and_then(|f| f.borrowing_limit[r]) {
        let stored = subtree - keep;
        let used_in_parent = used.saturating_sub(keep);
        from_parent = from_parent.min(stored.saturating_add(limit).saturating_sub(used_in_parent));
    }
    keep.saturating_sub(used).saturating_add(from_parent)
}

/// What cohort `c` may still hand its children of `flavor`'s resource `r`.
fn cohort_available(queues: &Queues, usage: &Usage, c: u32, flavor: u32, r: usize) -> u64 {
    let (subtree, used) = cohort_node(queues, usage, c, flavor, r);
    let parent = queues.cohorts[c as usize]
        .parent
        .map(|p| cohort_available(queues, usage, p, flavor, r));
    node_available(cohort_quota(queues, c, flavor), subtree, used, parent, r)
}

/// How much more of resource `r` ClusterQueue `cq` may take in its flavor `slot`.
pub fn available(queues: &Queues, usage: &Usage, cq: usize, slot: usize, r: usize) -> u64 {
    let q = &queues[cq];
    let f = &q.flavors[slot];
    let parent = q
        .cohort
        .map(|c| cohort_available(queues, usage, c, f.flavor, r));
    node_available(Some(f), f.nominal[r], usage[cq][slot][r], parent, r)
}

/// The cohort ClusterQueue `cq` borrows from in its flavor `slot` at `usage`: its own cohort,
/// or — when that cohort's members together use more than its subtree quota — the nearest
/// ancestor whose subtree still covers what is used below it. `None` when it does not borrow.
pub fn lender(queues: &Queues, usage: &Usage, cq: usize, slot: usize) -> Option<u32> {
    let q = &queues[cq];
    let f = &q.flavors[slot];
    if (0..RESOURCES).all(|r| usage[cq][slot][r] <= f.nominal[r]) {
        return None;
    }
    let mut c = q.cohort?;
    for _ in 0..queues.cohorts.len() {
        let over = (0..RESOURCES).any(|r| {
            let (subtree, used) = cohort_node(queues, usage, c, f.flavor, r);
            used > subtree
        });
        match queues.cohorts[c as usize].parent {
            Some(p) if over => c = p,
            _ => break,
        }
    }
    Some(c)
}

/// Whether `request` fits ClusterQueue `cq`'s flavor `slot` now: within its nominal quota, by
/// borrowing (`cluster_queue.md`, "Flavors and borrowing semantics"), or not at all — also
/// when its unused nominal quota is lent to a neighbour, which only preemption takes back.
pub fn fits(
    queues: &Queues,
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

/// Whether `request` could ever be admitted by ClusterQueue `cq`: into an idle cohort tree.
pub fn ever_fits(queues: &Queues, cq: usize, request: Amounts) -> bool {
    let idle = super::usage_of(queues, &[]);
    (0..queues[cq].flavors.len()).any(|slot| fits(queues, &idle, cq, slot, request).is_some())
}

/// The dominant resource share of ClusterQueue `cq` with `extra` added to its flavor `slot`
/// (upstream's `dominantResourceShare`, `pkg/cache/fair_sharing.go`): per resource, what it
/// uses above its nominal quota over what its cohort lends (the cohort's subtree quota), in
/// thousandths; the largest, ×1000
/// divided by its weight in thousandths. 0 when it borrows nothing or has no cohort;
/// `u64::MAX` for weight 0.
pub fn dominant_resource_share(
    queues: &Queues,
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
    // What its cohort lends: the cohort's subtree quota, over every flavor.
    let mut flavors: Vec<u32> = queues
        .iter()
        .flat_map(|q| q.flavors.iter())
        .chain(queues.cohorts.iter().flat_map(|c| c.flavors.iter()))
        .map(|f| f.flavor)
        .collect();
    flavors.sort_unstable();
    flavors.dedup();
    let mut lendable = [0u64; RESOURCES];
    for (r, l) in lendable.iter_mut().enumerate() {
        for &flavor in &flavors {
            *l = l.saturating_add(cohort_node(queues, usage, cohort, flavor, r).0);
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
    use super::super::testing::{cpu, flat, queue};
    use super::super::{Cohort, FlavorQuota, usage_of};
    use super::*;

    const GIB: u64 = 1 << 30;

    /// `cluster_queue.md`, "Borrowing example": team-a (9 cpu, 36Gi) and team-b (12 cpu, 48Gi)
    /// in cohort team-ab; team-b idle, so team-a may admit up to 12 + 9 = 21 cpu and 84Gi.
    #[test]
    fn borrowing_example() {
        let a = queue("team-a-cq", [9000, 36 * GIB, 0, 0], true);
        let b = queue("team-b-cq", [12000, 48 * GIB, 0, 0], true);
        let queues = flat(vec![a, b]);
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
        let queues = flat(vec![a, queue("team-b-cq", cpu(12), true)]);
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
        let queues = flat(vec![queue("team-a-cq", cpu(9), true), b]);
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
        let queues = flat(vec![
            queue("team-a-cq", cpu(9), true),
            queue("team-b-cq", cpu(12), true),
        ]);
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
        let queues = flat(vec![
            queue("alone", cpu(9), false),
            queue("other", cpu(12), false),
        ]);
        let usage = usage_of(&queues, &[]);
        assert_eq!(available(&queues, &usage, 0, 0, 0), 9000);
        assert_eq!(fits(&queues, &usage, 0, 0, cpu(10)), None);
        assert!(!ever_fits(&queues, 0, cpu(10)) && ever_fits(&queues, 0, cpu(9)));
    }

    /// Upstream's formula by hand: team-a (9) using 12 borrows 3 of the cohort's 21 lendable
    /// cpu: 3000 × 1000 / 21000 = 142 (integer division), ×1000 / weight.
    #[test]
    fn dominant_resource_share_by_hand() {
        let mut queues = flat(vec![queue("a", cpu(9), true), queue("b", cpu(12), true)]);
        let mut usage = usage_of(&queues, &[]);
        usage[0][0] = cpu(12);
        assert_eq!(dominant_resource_share(&queues, &usage, 0, None), 142);
        assert_eq!(dominant_resource_share(&queues, &usage, 1, None), 0);
        queues.queues[0].fair_weight_milli = 2000;
        assert_eq!(dominant_resource_share(&queues, &usage, 0, None), 71);
        // With 3 more cpu: 6000 × 1000 / 21000 = 285, at weight 2: 142.
        assert_eq!(
            dominant_resource_share(&queues, &usage, 0, Some((0, cpu(3)))),
            142
        );
        queues.queues[0].fair_weight_milli = 0;
        assert_eq!(dominant_resource_share(&queues, &usage, 0, None), u64::MAX);
    }

    /// `cohort.md`, "Configuring Quotas": hello-cohort has 12 cpu of its own and
    /// my-cluster-queue a nominal quota of 0: it "may access the 12 shared CPUs".
    #[test]
    fn cohort_quota_of_its_own() {
        let queues = Queues {
            queues: vec![queue("my-cluster-queue", cpu(0), true)],
            cohorts: vec![Cohort {
                name: "hello-cohort".into(),
                parent: None,
                flavors: vec![FlavorQuota::nominal(0, cpu(12))],
            }],
            fair_sharing: false,
        };
        let usage = usage_of(&queues, &[]);
        assert_eq!(available(&queues, &usage, 0, 0, 0), 12000);
        assert_eq!(fits(&queues, &usage, 0, 0, cpu(12)), Some(Mode::Borrow));
        assert_eq!(fits(&queues, &usage, 0, 0, cpu(13)), None);
    }

    /// `cohort.md`'s CohortTree — root-cohort with important-org and regular-org — given
    /// quotas: root-cohort 10 cpu of its own, ClusterQueue imp-a (6) under important-org,
    /// reg-a (4) under regular-org, regular-org a borrowingLimit of 2. By hand, from the
    /// module's formulas: the root's subtree is 10 + 6 + 4 = 20; imp-a may take all 20;
    /// reg-a only regular-org's 4 + 2. With imp-a using 15, the root has 5 left: reg-a 5.
    #[test]
    fn borrowing_walks_up_the_tree() {
        let (mut queues, mut usage) = tree();
        assert_eq!(available(&queues, &usage, 0, 0, 0), 20000);
        assert_eq!(available(&queues, &usage, 1, 0, 0), 6000);
        usage[0][0] = cpu(15);
        assert_eq!(available(&queues, &usage, 1, 0, 0), 5000);
        assert_eq!(available(&queues, &usage, 0, 0, 0), 5000);
        // important-org lends nothing (lendingLimit 0): it keeps its 6; the root's subtree is
        // 10 + 4 = 14. Idle, reg-a still gets 6, imp-a 6 + 14; imp-a using 4 (within what its
        // org keeps) leaves reg-a 6, using 15 puts 9 on the root: reg-a min(14 − 9, 6) = 5.
        queues.cohorts[1].flavors = vec![FlavorQuota {
            lending_limit: [Some(0), None, None, None],
            ..FlavorQuota::nominal(0, cpu(0))
        }];
        usage[0][0] = cpu(0);
        assert_eq!(available(&queues, &usage, 0, 0, 0), 20000);
        assert_eq!(available(&queues, &usage, 1, 0, 0), 6000);
        usage[0][0] = cpu(4);
        assert_eq!(available(&queues, &usage, 1, 0, 0), 6000);
        usage[0][0] = cpu(15);
        assert_eq!(available(&queues, &usage, 1, 0, 0), 5000);
    }

    /// imp-a (6) using 8 borrows 2: important-org has nothing of its own, so from the root; with
    /// 5 cpu of its own, important-org covers it.
    #[test]
    fn the_lender_is_the_nearest_cohort_that_covers_it() {
        let (mut queues, mut usage) = tree();
        assert_eq!(lender(&queues, &usage, 0, 0), None);
        usage[0][0] = cpu(8);
        assert_eq!(lender(&queues, &usage, 0, 0), Some(0));
        queues.cohorts[1].flavors = vec![FlavorQuota::nominal(0, cpu(5))];
        assert_eq!(lender(&queues, &usage, 0, 0), Some(1));
        usage[0][0] = cpu(6);
        assert_eq!(lender(&queues, &usage, 0, 0), None);
    }

    /// The tree of the two tests above, idle.
    fn tree() -> (Queues, Usage) {
        let mut imp = queue("imp-a", cpu(6), true);
        imp.cohort = Some(1);
        let mut reg = queue("reg-a", cpu(4), true);
        reg.cohort = Some(2);
        let cohort = |name: &str, parent, flavors| Cohort {
            name: name.into(),
            parent,
            flavors,
        };
        let queues = Queues {
            queues: vec![imp, reg],
            cohorts: vec![
                cohort("root-cohort", None, vec![FlavorQuota::nominal(0, cpu(10))]),
                cohort("important-org", Some(0), Vec::new()),
                cohort(
                    "regular-org",
                    Some(0),
                    vec![FlavorQuota {
                        borrowing_limit: [Some(2000), None, None, None],
                        ..FlavorQuota::nominal(0, cpu(0))
                    }],
                ),
            ],
            fair_sharing: false,
        };
        let usage = usage_of(&queues, &[]);
        (queues, usage)
    }
}

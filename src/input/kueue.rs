//! The `kueue` section and the batch workloads' `queue` and `users`: names unique, every
//! reference known (a flavor, a cohort's members, a LocalQueue's namespace and ClusterQueue, a
//! workload's LocalQueue in its namespace), limits that Kueue's webhook refuses refused here
//! (borrowing and lending limits without a cohort, a lending limit above the nominal quota, a
//! limit on a resource the flavor does not cover), a borrowing limit above everything the rest
//! of the cohort could ever lend refused as a mistake, and each flavor's node labels matched
//! to the pools that carry them (none is an error: its quota would admit Jobs no node runs).
//! Cohort objects: names unique, a parent that is a declared cohort, no cycle (Kueue's cache
//! refuses one, `ErrCohortHasCycle`), their flavors' quotas checked as a ClusterQueue's (a
//! borrowing limit needs a parent). `flavor_fungibility`'s values are the API's enums, so a
//! misspelt one fails to parse with its line and column.

use models::kueue::config::{
    ClusterQueueConfig, FlavorQuotaConfig, KueueConfig, QueueingStrategyConfig,
    ReclaimWithinCohortConfig, WhenCanBorrowConfig, WhenCanPreemptConfig, WithinClusterQueueConfig,
};
use models::kueue::quota::available;
use models::kueue::{
    ClusterQueue, Cohort, FlavorFungibility, FlavorQuota, KueuePlan, Preemption, QueueingStrategy,
    Queues, RESOURCE_NAMES, ReclaimWithinCohort, WhenCanBorrow, WhenCanPreempt, WithinClusterQueue,
};
use models::plan::{NamespacePlan, PoolPlan};

use super::Experiment;
use crate::error::{FieldError, fail};

/// Users one batch workload's Jobs are spread over, at most.
pub const MAX_USERS: u32 = 1_000_000;
/// `fairSharing.weight`, at most.
const MAX_FAIR_WEIGHT: f64 = 1_000_000.0;
/// ClusterQueues, at most: an admission pass visits each queue's head per waiting Job.
pub const MAX_CLUSTER_QUEUES: usize = 1_000;
/// Flavors of one ClusterQueue, at most (Kueue's API allows 64 per resource group).
pub const MAX_FLAVORS: usize = 64;

/// The queues of the run; `None` without a `kueue` section (then no workload may name a
/// queue).
pub fn resolve(
    x: &Experiment,
    pools: &[PoolPlan],
    namespaces: &[NamespacePlan],
) -> Result<Option<KueuePlan>, FieldError> {
    let Some(k) = &x.kueue else {
        if let Some(i) = x.batch.iter().position(|b| b.queue.is_some()) {
            return fail(
                format!("batch[{i}].queue"),
                "names a LocalQueue, but the experiment has no `kueue` section to define it",
            );
        }
        return Ok(None);
    };
    let within = |e: FieldError| e.within("kueue");
    if k.cluster_queues.len() > MAX_CLUSTER_QUEUES {
        return fail(
            "kueue.cluster_queues",
            format!("expected at most {MAX_CLUSTER_QUEUES} ClusterQueues"),
        );
    }
    let flavors = flavors(k, pools).map_err(within)?;
    let names = cohort_names(k).map_err(within)?;
    let cohorts = cohorts(k, &names, &flavors).map_err(within)?;
    let mut queues = Vec::new();
    for (i, q) in k.cluster_queues.iter().enumerate() {
        let at = |e: FieldError| within(e.within(&format!("cluster_queues[{i}]")));
        if k.cluster_queues[..i].iter().any(|o| o.name == q.name) {
            return Err(at(FieldError::new(
                "name",
                format!("ClusterQueue `{}` is declared twice", q.name),
            )));
        }
        queues.push(cluster_queue(k, q, &flavors, &names).map_err(at)?);
    }
    let queues = Queues {
        queues,
        cohorts,
        fair_sharing: k.fair_sharing,
    };
    check_borrowing_limits(k, &queues).map_err(within)?;
    let local = local_queues(k, namespaces).map_err(within)?;
    let mut workload_queue = Vec::new();
    let mut workload_users = Vec::new();
    let mut offset = 0u32;
    for (i, b) in x.batch.iter().enumerate() {
        let users = b.users.unwrap_or(1);
        if users == 0 || users > MAX_USERS {
            return fail(
                format!("batch[{i}].users"),
                format!("expected 1 to {MAX_USERS} users"),
            );
        }
        workload_users.push((offset, users));
        offset = offset.saturating_add(users);
        workload_queue.push(match &b.queue {
            None => None,
            Some(name) => Some(
                local
                    .iter()
                    .find(|(ns, n, _)| ns == &b.namespace && n == name)
                    .map(|&(_, _, cq)| cq)
                    .ok_or_else(|| {
                        FieldError::new(
                            format!("batch[{i}].queue"),
                            format!(
                                "no LocalQueue `{name}` in namespace `{}`: expected one of \
                                 `kueue.local_queues` with that namespace",
                                b.namespace
                            ),
                        )
                    })?,
            ),
        });
    }
    Ok(Some(KueuePlan {
        queues,
        flavors,
        workload_queue,
        workload_users,
    }))
}

/// Each ResourceFlavor with the pools whose nodes (in some zone) carry its labels.
fn flavors(k: &KueueConfig, pools: &[PoolPlan]) -> Result<Vec<(String, Vec<u32>)>, FieldError> {
    let mut out = Vec::new();
    for (i, f) in k.resource_flavors.iter().enumerate() {
        if k.resource_flavors[..i].iter().any(|o| o.name == f.name) {
            return fail(
                format!("resource_flavors[{i}].name"),
                format!("ResourceFlavor `{}` is declared twice", f.name),
            );
        }
        let matching: Vec<u32> = (0..pools.len() as u32)
            .filter(|&p| {
                let pool = &pools[p as usize];
                pool.zones.iter().any(|z| {
                    let labels = pool.labels_in_zone(z);
                    f.node_labels
                        .iter()
                        .all(|(key, v)| labels.get(key) == Some(v))
                })
            })
            .collect();
        if matching.is_empty() {
            return fail(
                format!("resource_flavors[{i}].node_labels"),
                format!(
                    "no node pool carries the labels of ResourceFlavor `{}`: its quota would \
                     admit Jobs no node can run; expected labels of a pool (its `labels` or \
                     the well-known ones, such as `karpenter.sh/capacity-type`)",
                    f.name
                ),
            );
        }
        out.push((f.name.clone(), matching));
    }
    Ok(out)
}

/// The cohort names: the declared Cohorts in order, then those only ClusterQueues name, in
/// order of first mention. A name declared twice is refused.
fn cohort_names(k: &KueueConfig) -> Result<Vec<&str>, FieldError> {
    let mut names: Vec<&str> = Vec::new();
    for (i, c) in k.cohorts.iter().enumerate() {
        if names.contains(&c.name.as_str()) {
            return fail(
                format!("cohorts[{i}].name"),
                format!("Cohort `{}` is declared twice", c.name),
            );
        }
        names.push(&c.name);
    }
    for c in k.cluster_queues.iter().filter_map(|q| q.cohort.as_deref()) {
        if !names.contains(&c) {
            names.push(c);
        }
    }
    Ok(names)
}

/// Every cohort of `names`: a declared one with its parent and quotas, the others bare. A
/// parent must be declared, and following parents must never come back to a cohort.
fn cohorts(
    k: &KueueConfig,
    names: &[&str],
    flavors: &[(String, Vec<u32>)],
) -> Result<Vec<Cohort>, FieldError> {
    let mut out: Vec<Cohort> = names
        .iter()
        .map(|n| Cohort {
            name: (*n).to_owned(),
            parent: None,
            flavors: Vec::new(),
        })
        .collect();
    for (i, c) in k.cohorts.iter().enumerate() {
        let at = |e: FieldError| e.within(&format!("cohorts[{i}]"));
        if let Some(parent) = &c.parent {
            let Some(p) = k.cohorts.iter().position(|o| &o.name == parent) else {
                return Err(at(FieldError::new(
                    "parent",
                    format!("unknown parent Cohort `{parent}`: expected one of `kueue.cohorts`"),
                )));
            };
            out[i].parent = Some(p as u32);
        }
        out[i].flavors = flavor_quotas(
            k,
            &c.flavors,
            flavors,
            ("Cohort", c.parent.is_some(), "parent"),
        )
        .map_err(at)?;
    }
    for (i, c) in k.cohorts.iter().enumerate() {
        let mut at = i;
        for _ in 0..out.len() {
            let Some(p) = out[at].parent else {
                break;
            };
            at = p as usize;
            if at == i {
                return fail(
                    format!("cohorts[{i}].parent"),
                    format!(
                        "Cohort `{}` is its own ancestor: parents form a cycle, which Kueue \
                         refuses; expected a tree",
                        c.name
                    ),
                );
            }
        }
    }
    Ok(out)
}

/// One ClusterQueue; errors relative to it.
fn cluster_queue(
    k: &KueueConfig,
    q: &ClusterQueueConfig,
    flavors: &[(String, Vec<u32>)],
    cohorts: &[&str],
) -> Result<ClusterQueue, FieldError> {
    if q.flavors.is_empty() || q.flavors.len() > MAX_FLAVORS {
        return fail(
            "flavors",
            format!("expected 1 to {MAX_FLAVORS} flavors, each with its nominal quota"),
        );
    }
    let quotas = flavor_quotas(
        k,
        &q.flavors,
        flavors,
        ("ClusterQueue", q.cohort.is_some(), "cohort"),
    )?;
    let weight = q.fair_sharing_weight.unwrap_or(1.0);
    if !(0.0..=MAX_FAIR_WEIGHT).contains(&weight) {
        return fail(
            "fair_sharing_weight",
            format!("expected a weight from 0 to {MAX_FAIR_WEIGHT}"),
        );
    }
    let p = q.preemption;
    if p.borrow_within_cohort.is_some()
        && p.reclaim_within_cohort == ReclaimWithinCohortConfig::Never
    {
        return fail(
            "preemption.borrow_within_cohort",
            "Kueue allows `borrow_within_cohort` only with `reclaim_within_cohort` other than Never",
        );
    }
    Ok(ClusterQueue {
        name: q.name.clone(),
        cohort: q
            .cohort
            .as_deref()
            .and_then(|c| cohorts.iter().position(|&n| n == c))
            .map(|c| c as u32),
        flavors: quotas,
        strategy: match q.queueing_strategy {
            QueueingStrategyConfig::StrictFifo => QueueingStrategy::StrictFifo,
            QueueingStrategyConfig::BestEffortFifo => QueueingStrategy::BestEffortFifo,
        },
        preemption: Preemption {
            within_cluster_queue: match p.within_cluster_queue {
                WithinClusterQueueConfig::Never => WithinClusterQueue::Never,
                WithinClusterQueueConfig::LowerPriority => WithinClusterQueue::LowerPriority,
                WithinClusterQueueConfig::LowerOrNewerEqualPriority => {
                    WithinClusterQueue::LowerOrNewerEqualPriority
                }
            },
            reclaim_within_cohort: match p.reclaim_within_cohort {
                ReclaimWithinCohortConfig::Never => ReclaimWithinCohort::Never,
                ReclaimWithinCohortConfig::LowerPriority => ReclaimWithinCohort::LowerPriority,
                ReclaimWithinCohortConfig::Any => ReclaimWithinCohort::Any,
            },
            borrow_within_cohort: p.borrow_within_cohort.map(|b| b.max_priority_threshold),
        },
        fungibility: FlavorFungibility {
            when_can_borrow: match q.flavor_fungibility.when_can_borrow {
                WhenCanBorrowConfig::Borrow => WhenCanBorrow::Borrow,
                WhenCanBorrowConfig::TryNextFlavor => WhenCanBorrow::TryNextFlavor,
            },
            when_can_preempt: match q.flavor_fungibility.when_can_preempt {
                WhenCanPreemptConfig::Preempt => WhenCanPreempt::Preempt,
                WhenCanPreemptConfig::TryNextFlavor => WhenCanPreempt::TryNextFlavor,
            },
        },
        fair_weight_milli: (weight * 1000.0).round() as u64,
        max_admitted_per_user: q.max_admitted_per_user,
        preempt_after_ns: p.after_waiting.as_nanos(),
    })
}

/// Quotas per flavor (a ClusterQueue's or a Cohort's), in order; errors relative to the
/// list's `owner`. Limits need a parent to borrow from or lend to (`parent_field` names it).
fn flavor_quotas(
    k: &KueueConfig,
    list: &[FlavorQuotaConfig],
    flavors: &[(String, Vec<u32>)],
    (owner, has_parent, parent_field): (&str, bool, &str),
) -> Result<Vec<FlavorQuota>, FieldError> {
    let mut quotas = Vec::new();
    for (j, f) in list.iter().enumerate() {
        let at = |e: FieldError| e.within(&format!("flavors[{j}]"));
        let Some(flavor) = flavors.iter().position(|(name, _)| name == &f.name) else {
            let known: Vec<String> = k
                .resource_flavors
                .iter()
                .map(|r| format!("`{}`", r.name))
                .collect();
            return Err(at(FieldError::new(
                "name",
                format!(
                    "unknown ResourceFlavor `{}`: expected one of `kueue.resource_flavors` ({})",
                    f.name,
                    if known.is_empty() {
                        "none declared".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
            )));
        };
        if list[..j].iter().any(|o| o.name == f.name) {
            return Err(at(FieldError::new(
                "name",
                format!("flavor `{}` is listed twice", f.name),
            )));
        }
        let nominal = f.nominal.amounts();
        let mut quota = FlavorQuota::nominal(flavor as u32, nominal.map(|n| n.unwrap_or(u64::MAX)));
        for (field, limits) in [
            ("borrowing_limit", &f.borrowing_limit),
            ("lending_limit", &f.lending_limit),
        ] {
            let Some(limits) = limits else {
                continue;
            };
            if !has_parent {
                return Err(at(FieldError::new(
                    field,
                    format!(
                        "a {owner} without a {parent_field} neither borrows nor lends: \
                         expected a `{parent_field}`, or no limit"
                    ),
                )));
            }
            for (r, limit) in limits.amounts().into_iter().enumerate() {
                let Some(limit) = limit else {
                    continue;
                };
                let name = RESOURCE_NAMES[r];
                let Some(n) = nominal[r] else {
                    return Err(at(FieldError::new(
                        format!("{field}.{}", config_name(r)),
                        format!(
                            "`{name}` has no nominal quota in this flavor: expected a limit only on a covered resource"
                        ),
                    )));
                };
                if field == "lending_limit" {
                    if limit > n {
                        return Err(at(FieldError::new(
                            format!("{field}.{}", config_name(r)),
                            format!(
                                "the lending limit of `{name}` is more than its nominal quota: expected at most the nominal quota"
                            ),
                        )));
                    }
                    quota.lending_limit[r] = Some(limit);
                } else {
                    quota.borrowing_limit[r] = Some(limit);
                }
            }
        }
        quotas.push(quota);
    }
    Ok(quotas)
}

/// The field name of resource `r` in a quota.
fn config_name(r: usize) -> &'static str {
    ["cpu", "memory", "gpu", "pods"][r]
}

/// A borrowing limit above all the rest of its cohort tree could ever lend of that flavor and
/// resource can never be reached: a mistaken quota, refused. What the rest could lend is what
/// the ClusterQueue could take, idle tree and no limit of its own, beyond its nominal quota.
fn check_borrowing_limits(k: &KueueConfig, queues: &Queues) -> Result<(), FieldError> {
    let idle = models::kueue::usage_of(queues, &[]);
    for (i, q) in queues.iter().enumerate() {
        for (j, f) in q.flavors.iter().enumerate() {
            for (r, &limit) in f.borrowing_limit.iter().enumerate() {
                let Some(limit) = limit else {
                    continue;
                };
                let mut unlimited = queues.clone();
                unlimited.queues[i].flavors[j].borrowing_limit[r] = None;
                let lendable = available(&unlimited, &idle, i, j, r).saturating_sub(f.nominal[r]);
                if limit > lendable {
                    return fail(
                        format!(
                            "cluster_queues[{i}].flavors[{j}].borrowing_limit.{}",
                            config_name(r)
                        ),
                        format!(
                            "the borrowing limit of `{}` in flavor `{}` is more than the rest of \
                             cohort `{}` can lend ({}): expected at most that",
                            RESOURCE_NAMES[r],
                            k.cluster_queues[i].flavors[j].name,
                            k.cluster_queues[i].cohort.as_deref().unwrap_or_default(),
                            amount_text(r, lendable)
                        ),
                    );
                }
            }
        }
    }
    Ok(())
}

/// An amount of resource `r` for a message.
fn amount_text(r: usize, amount: u64) -> String {
    match r {
        0 => sim::quantity::CpuMillis(amount).to_string(),
        1 => sim::quantity::Bytes(amount).to_string(),
        _ => amount.to_string(),
    }
}

/// `(namespace, name, ClusterQueue index)` of each LocalQueue.
fn local_queues(
    k: &KueueConfig,
    namespaces: &[NamespacePlan],
) -> Result<Vec<(String, String, u32)>, FieldError> {
    let mut out: Vec<(String, String, u32)> = Vec::new();
    for (i, l) in k.local_queues.iter().enumerate() {
        let at = |field: &str, message: String| fail(format!("local_queues[{i}].{field}"), message);
        if !namespaces.iter().any(|n| n.name == l.namespace) {
            return at(
                "namespace",
                format!(
                    "unknown namespace `{}`: expected one of `namespaces` (or `default`)",
                    l.namespace
                ),
            );
        }
        if out
            .iter()
            .any(|(ns, n, _)| ns == &l.namespace && n == &l.name)
        {
            return at(
                "name",
                format!(
                    "LocalQueue `{}` is declared twice in namespace `{}`",
                    l.name, l.namespace
                ),
            );
        }
        let Some(cq) = k
            .cluster_queues
            .iter()
            .position(|q| q.name == l.cluster_queue)
        else {
            return at(
                "cluster_queue",
                format!("unknown ClusterQueue `{}`", l.cluster_queue),
            );
        };
        out.push((l.namespace.clone(), l.name.clone(), cq as u32));
    }
    Ok(out)
}

//! The `policies` section (`models::policy::config`): each scheduled action checked (errors
//! under `policies.scheduled[i]`) and resolved into steps: `BoundsStep`s in the plan of each
//! HPA it acts on, `ReplicaStep`s of the `PolicyController` for services without an HPA (which
//! then also sends the service's `scale` steps: one owner per knob, `models` crate doc); each
//! threshold policy (`policies.thresholds[i]`) checked and resolved into one `ThresholdPlan`
//! per region, refused on a service something else already scales; each event-driven scaler
//! (`policies.event_driven[i]`) into a KEDA activation per region plus the HPA KEDA creates
//! (External metric, `AverageValue` target, min at least 1); each node-pool policy
//! (`policies.node_pools[i]`) into one `PoolPolicyPlan`, refused on a pool a Cluster
//! Autoscaler or another pool policy sizes; each cost-aware policy (`policies.cost_aware[i]`)
//! into the budget of each HPA it cuts, refused on a service without one.
//!
//! Entries may belong to a named `set`; `policies.active` picks the set that runs (entries
//! without a set always run), so a sweep compares policies on one axis
//! (`Values(field: "policies.active", values: ["none", "business-hours", …])`). Every set is
//! checked with the base, whichever is active, so no run of such a sweep meets a bad one.

mod cost_aware;
mod event_driven;
mod pools;
mod predictive;
mod scheduled;
mod threshold;

use std::path::Path;

use models::autoscaler::model::NodeAutoscalerPlan;
use models::hpa::model::HpaPlan;
use models::plan::{PoolPlan, ServicePlan};
use models::policy::model::{PolicyPlan, ReplicaStep};

use sim::time::SimDuration;

use super::Experiment;
use super::services::MAX_REPLICAS;
use crate::error::{FieldError, fail};

/// The word for "no set": only the entries without a `set` run.
pub const NO_SET: &str = "none";

/// Checks every policy and resolves the active ones; adds the scheduled bounds to `hpas` and
/// to the Cluster Autoscalers' plans, and the HPAs of event-driven scalers to `hpas`.
pub fn resolve(
    x: &Experiment,
    base_dir: &Path,
    services: &[ServicePlan],
    hpas: &mut Vec<HpaPlan>,
    pools: &[PoolPlan],
    node_autoscalers: &mut [NodeAutoscalerPlan],
) -> Result<PolicyPlan, FieldError> {
    let p = &x.policies;
    let mut sets: Vec<&str> = p
        .scheduled
        .iter()
        .map(|e| e.set.as_deref())
        .chain(p.thresholds.iter().map(|e| e.set.as_deref()))
        .chain(p.event_driven.iter().map(|e| e.set.as_deref()))
        .chain(p.predictive.iter().map(|e| e.set.as_deref()))
        .chain(p.node_pools.iter().map(|e| e.set.as_deref()))
        .chain(p.cost_aware.iter().map(|e| e.set.as_deref()))
        .flatten()
        .collect();
    sets.sort_unstable();
    sets.dedup();
    let Some(active) = p.active.as_deref() else {
        return resolve_set(x, base_dir, None, services, hpas, pools, node_autoscalers);
    };
    if active != NO_SET && !sets.contains(&active) {
        return fail(
            "policies.active",
            format!(
                "no policy is in set `{active}`: expected one of {}, or \"{NO_SET}\"",
                sets.iter()
                    .map(|s| format!("\"{s}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    // Each other set on copies, for its errors only.
    for set in sets.iter().filter(|&&s| s != active) {
        let (mut h, mut n) = (hpas.clone(), node_autoscalers.to_vec());
        resolve_set(x, base_dir, Some(set), services, &mut h, pools, &mut n)?;
    }
    resolve_set(
        x,
        base_dir,
        Some(active),
        services,
        hpas,
        pools,
        node_autoscalers,
    )
}

/// Resolves the entries of set `set` and those without a set (`None`: every entry).
fn resolve_set(
    x: &Experiment,
    base_dir: &Path,
    set: Option<&str>,
    services: &[ServicePlan],
    hpas: &mut Vec<HpaPlan>,
    pools: &[PoolPlan],
    node_autoscalers: &mut [NodeAutoscalerPlan],
) -> Result<PolicyPlan, FieldError> {
    let runs = |entry: &Option<String>| match (set, entry) {
        (None, _) | (_, None) => true,
        (Some(set), Some(e)) => set == e,
    };
    let mut plan = PolicyPlan::default();
    let mut targets = scheduled::Targets {
        services,
        hpas,
        pools,
        node_autoscalers,
    };
    for (i, action) in x.policies.scheduled.iter().enumerate() {
        if !runs(&action.set) {
            continue;
        }
        scheduled::scheduled(x, action, &mut targets, &mut plan)
            .map_err(|e| e.within(&format!("policies.scheduled[{i}]")))?;
    }
    // A service the policies scale gets its own `scale` steps from them too, and a step of
    // either kind at one instant applies in file order: `scale` steps first.
    let mut steps: Vec<ReplicaStep> = Vec::new();
    for (id, s) in services.iter().enumerate() {
        if plan.owns(id as u32) {
            steps.extend(
                s.replica_schedule
                    .iter()
                    .map(|&(at, replicas)| ReplicaStep {
                        at,
                        service: id as u32,
                        replicas,
                        why: format!("scale step: replicas {replicas}"),
                    }),
            );
        }
    }
    steps.append(&mut plan.replica_steps);
    steps.sort_by_key(|s| s.at);
    plan.replica_steps = steps;
    for h in hpas.iter_mut() {
        h.bounds.sort_by_key(|b| b.at);
    }
    for (i, policy) in x.policies.thresholds.iter().enumerate() {
        if !runs(&policy.set) {
            continue;
        }
        threshold::threshold(policy, services, hpas, &mut plan)
            .map_err(|e| e.within(&format!("policies.thresholds[{i}]")))?;
    }
    for (i, policy) in x.policies.predictive.iter().enumerate() {
        if !runs(&policy.set) {
            continue;
        }
        predictive::predictive(x, base_dir, policy, services, hpas, &mut plan)
            .map_err(|e| e.within(&format!("policies.predictive[{i}]")))?;
    }
    for (i, scaler) in x.policies.event_driven.iter().enumerate() {
        if !runs(&scaler.set) {
            continue;
        }
        event_driven::event_driven(scaler, services, hpas, &mut plan)
            .map_err(|e| e.within(&format!("policies.event_driven[{i}]")))?;
    }
    for (i, policy) in x.policies.node_pools.iter().enumerate() {
        if !runs(&policy.set) {
            continue;
        }
        pools::node_pools(x, base_dir, policy, pools, &mut plan)
            .map_err(|e| e.within(&format!("policies.node_pools[{i}]")))?;
    }
    // Last: the HPAs event-driven scalers make can be cut too.
    for (i, policy) in x.policies.cost_aware.iter().enumerate() {
        if !runs(&policy.set) {
            continue;
        }
        cost_aware::cost_aware(policy, services, hpas)
            .map_err(|e| e.within(&format!("policies.cost_aware[{i}]")))?;
    }
    Ok(plan)
}

/// What already scales cluster service `id`, if anything: its HPA, its `scale` steps or a
/// policy resolved before.
fn owner(
    id: u32,
    services: &[ServicePlan],
    hpas: &[HpaPlan],
    plan: &PolicyPlan,
) -> Option<&'static str> {
    if hpas.iter().any(|h| h.service == id) {
        Some("its `hpa`")
    } else if !services[id as usize].replica_schedule.is_empty() {
        Some("its `scale` steps")
    } else if plan.replica_steps.iter().any(|r| r.service == id) {
        Some("a scheduled action")
    } else if plan.owns(id) {
        Some("another policy")
    } else {
        None
    }
}

/// A policy's `name`, not blank; `example` shows one in the message.
fn check_name(name: &str, example: &str) -> Result<(), FieldError> {
    if name.trim().is_empty() {
        return fail(
            "name",
            format!("expected a name for the policy, such as \"{example}\""),
        );
    }
    Ok(())
}

/// `min_replicas` ≤ `max_replicas`, the maximum in 1..=[`MAX_REPLICAS`].
fn check_replica_bounds(min: u32, max: u32) -> Result<(), FieldError> {
    if max == 0 || max > MAX_REPLICAS {
        return fail(
            "max_replicas",
            format!("expected 1 to {MAX_REPLICAS} replicas"),
        );
    }
    if min > max {
        return fail(
            "min_replicas",
            format!("expected at most `max_replicas` ({max})"),
        );
    }
    Ok(())
}

/// A budget: exactly one of `budget_usd` (for the run) and `budget_usd_per_hour`, above 0.
fn check_allowance(total: Option<f64>, per_hour: Option<f64>) -> Result<(), FieldError> {
    let (field, usd) = match (total, per_hour) {
        (Some(usd), None) => ("budget_usd", usd),
        (None, Some(usd)) => ("budget_usd_per_hour", usd),
        (None, None) => {
            return fail(
                "budget_usd",
                "expected a budget: `budget_usd` for the run, or `budget_usd_per_hour`",
            );
        }
        (Some(_), Some(_)) => {
            return fail(
                "budget_usd_per_hour",
                "expected one of `budget_usd` and `budget_usd_per_hour`, not both",
            );
        }
    };
    if !(usd.is_finite() && usd > 0.0) {
        return fail(field, "expected a budget above 0 US dollars, such as 500");
    }
    Ok(())
}

/// A polling or evaluation interval: at least a second, so a policy cannot flood the run.
fn check_interval(field: &str, interval: SimDuration) -> Result<(), FieldError> {
    if interval < SimDuration::from_secs(1) {
        return fail(field, "expected at least \"1s\"");
    }
    Ok(())
}

/// Refuses a service something already scales, at `service`.
fn check_owner(
    id: u32,
    services: &[ServicePlan],
    hpas: &[HpaPlan],
    plan: &PolicyPlan,
) -> Result<(), FieldError> {
    match owner(id, services, hpas, plan) {
        Some(owner) => {
            let s = &services[id as usize];
            fail(
                "service",
                format!(
                    "service `{}` in {} is already scaled by {owner}: expected one owner of its \
                     replicas",
                    s.name, s.region
                ),
            )
        }
        None => Ok(()),
    }
}

/// The cluster services (one per region) of `service` in `regions` (all of its if `None`);
/// errors at `service` and `regions`.
fn service_targets(
    service: &str,
    regions: Option<&[String]>,
    services: &[ServicePlan],
) -> Result<Vec<u32>, FieldError> {
    let named: Vec<u32> = (0..services.len() as u32)
        .filter(|&id| services[id as usize].name == service)
        .collect();
    if named.is_empty() {
        let mut names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
        names.dedup();
        return fail(
            "service",
            format!(
                "unknown service `{service}`: expected one of {}",
                names.join(", ")
            ),
        );
    }
    let Some(regions) = regions else {
        return Ok(named);
    };
    let mut picked = Vec::new();
    for (j, r) in regions.iter().enumerate() {
        match named.iter().find(|&&id| &services[id as usize].region == r) {
            Some(&id) if !picked.contains(&id) => picked.push(id),
            Some(_) => {
                return fail(
                    format!("regions[{j}]"),
                    format!("region `{r}` is listed twice"),
                );
            }
            None => {
                let theirs: Vec<&str> = named
                    .iter()
                    .map(|&id| services[id as usize].region.as_str())
                    .collect();
                return fail(
                    format!("regions[{j}]"),
                    format!(
                        "service `{service}` does not run in `{r}`: expected one of {}",
                        theirs.join(", ")
                    ),
                );
            }
        }
    }
    if picked.is_empty() {
        return fail(
            "regions",
            "expected at least one region, or no `regions` field for all",
        );
    }
    Ok(picked)
}

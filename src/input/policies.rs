//! The `policies` section (`models::policy::config`): each scheduled action checked (errors
//! under `policies.scheduled[i]`) and resolved into steps: `BoundsStep`s in the plan of each
//! HPA it acts on, `ReplicaStep`s of the `PolicyController` for services without an HPA (which
//! then also sends the service's `scale` steps: one owner per knob, `models` crate doc).

use models::api::BoundsStep;
use models::hpa::model::HpaPlan;
use models::plan::ServicePlan;
use models::policy::config::ScheduledAction;
use models::policy::cron::CronPattern;
use models::policy::model::{PolicyPlan, ReplicaStep};
use sim::time::SimTime;

use super::Experiment;
use super::services::MAX_REPLICAS;
use crate::error::{FieldError, fail};

/// Checks every policy and resolves them; adds the scheduled bounds to `hpas`.
pub fn resolve(
    x: &Experiment,
    services: &[ServicePlan],
    hpas: &mut [HpaPlan],
) -> Result<PolicyPlan, FieldError> {
    let mut plan = PolicyPlan::default();
    for (i, action) in x.policies.scheduled.iter().enumerate() {
        scheduled(x, action, services, hpas, &mut plan)
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
    Ok(plan)
}

/// One scheduled action; errors relative to it.
fn scheduled(
    x: &Experiment,
    action: &ScheduledAction,
    services: &[ServicePlan],
    hpas: &mut [HpaPlan],
    plan: &mut PolicyPlan,
) -> Result<(), FieldError> {
    if action.name.trim().is_empty() {
        return fail(
            "name",
            "expected a name for the action, such as \"business-hours\"",
        );
    }
    let times = CronPattern::parse(&action.cron)
        .and_then(|c| c.occurrences(action.time_zone, x.start, x.duration))
        .map_err(|e| FieldError::new("cron", e))?;
    let targets = targets(action, services)?;
    let origin = format!(
        "scheduled action {} (cron \"{}\" in {})",
        action.name, action.cron, action.time_zone
    );
    for id in targets {
        match hpas.iter_mut().find(|h| h.service == id) {
            Some(hpa) => {
                let (min, max) = hpa_bounds(action, &services[id as usize].name)?;
                hpa.bounds.extend(times.iter().map(|&at| BoundsStep {
                    at,
                    min,
                    max,
                    event: Some(origin.clone()),
                }));
            }
            None => {
                let replicas = replicas(action, &services[id as usize].name)?;
                plan.replica_steps
                    .extend(times.iter().map(|&at: &SimTime| ReplicaStep {
                        at,
                        service: id,
                        replicas,
                        why: format!("replicas {replicas}: {origin}"),
                    }));
            }
        }
    }
    Ok(())
}

/// The cluster services (one per region) the action acts on.
fn targets(action: &ScheduledAction, services: &[ServicePlan]) -> Result<Vec<u32>, FieldError> {
    let named: Vec<u32> = (0..services.len() as u32)
        .filter(|&id| services[id as usize].name == action.service)
        .collect();
    if named.is_empty() {
        let mut names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
        names.dedup();
        return fail(
            "service",
            format!(
                "unknown service `{}`: expected one of {}",
                action.service,
                names.join(", ")
            ),
        );
    }
    let Some(regions) = &action.regions else {
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
                        "service `{}` does not run in `{r}`: expected one of {}",
                        action.service,
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

/// `min_replicas`/`max_replicas` for a service with an HPA: at least one, each in
/// 1..=[`MAX_REPLICAS`], min ≤ max, no `replicas`.
fn hpa_bounds(
    action: &ScheduledAction,
    service: &str,
) -> Result<(Option<u32>, Option<u32>), FieldError> {
    if action.replicas.is_some() {
        return fail(
            "replicas",
            format!(
                "service `{service}` has an `hpa`, which owns its replicas: expected \
                 `min_replicas` and/or `max_replicas`, which the HPA scales within"
            ),
        );
    }
    let (min, max) = (action.min_replicas, action.max_replicas);
    if min.is_none() && max.is_none() {
        return fail(
            "",
            format!(
                "service `{service}` has an `hpa`: expected `min_replicas` and/or `max_replicas`"
            ),
        );
    }
    for (field, value) in [("min_replicas", min), ("max_replicas", max)] {
        if let Some(n) = value
            && !(1..=MAX_REPLICAS).contains(&n)
        {
            return fail(field, format!("expected 1 to {MAX_REPLICAS} replicas"));
        }
    }
    if let (Some(lo), Some(hi)) = (min, max)
        && lo > hi
    {
        return fail(
            "max_replicas",
            format!("expected at least `min_replicas` ({lo})"),
        );
    }
    Ok((min, max))
}

/// `replicas` for a service without an HPA: required, at most [`MAX_REPLICAS`].
fn replicas(action: &ScheduledAction, service: &str) -> Result<u32, FieldError> {
    if action.min_replicas.is_some() || action.max_replicas.is_some() {
        let field = if action.min_replicas.is_some() {
            "min_replicas"
        } else {
            "max_replicas"
        };
        return fail(
            field,
            format!("service `{service}` has no `hpa`: expected `replicas`, its desired replicas"),
        );
    }
    match action.replicas {
        None => fail(
            "",
            format!("service `{service}` has no `hpa`: expected `replicas`, its desired replicas"),
        ),
        Some(n) if n > MAX_REPLICAS => fail(
            "replicas",
            format!("expected at most {MAX_REPLICAS} replicas"),
        ),
        Some(n) => Ok(n),
    }
}

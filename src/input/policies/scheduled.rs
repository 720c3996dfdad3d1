//! `policies.scheduled[i]`: a scheduled action checked and resolved into steps at each time its
//! cron pattern fires (`models::cron`): `BoundsStep`s in the plan of each HPA it acts
//! on, `ReplicaStep`s of the `PolicyController` for a service without an HPA, or a node
//! group's `BoundsStep`s in its region's Cluster Autoscaler plan.

use models::api::BoundsStep;
use models::autoscaler::model::{AutoscalerKind, NodeAutoscalerPlan};
use models::cron::CronPattern;
use models::hpa::model::HpaPlan;
use models::plan::{PoolPlan, ServicePlan};
use models::policy::config::ScheduledAction;
use models::policy::model::{PolicyPlan, ReplicaStep};
use sim::time::SimTime;

use super::{check_name, service_targets};
use crate::error::{FieldError, fail};
use crate::input::Experiment;
use crate::input::services::MAX_REPLICAS;

/// What a scheduled action may act on, resolved before the policies.
pub struct Targets<'a> {
    pub services: &'a [ServicePlan],
    pub hpas: &'a mut [HpaPlan],
    pub pools: &'a [PoolPlan],
    pub node_autoscalers: &'a mut [NodeAutoscalerPlan],
}

/// One scheduled action; errors relative to it.
pub fn scheduled(
    x: &Experiment,
    action: &ScheduledAction,
    to: &mut Targets,
    plan: &mut PolicyPlan,
) -> Result<(), FieldError> {
    check_name(&action.name, "business-hours")?;
    let times = CronPattern::parse(&action.cron)
        .and_then(|c| c.occurrences(action.time_zone, x.start, x.duration))
        .map_err(|e| FieldError::new("cron", e))?;
    let origin = format!(
        "scheduled action {} (cron \"{}\" in {})",
        action.name, action.cron, action.time_zone
    );
    match (&action.service, &action.pool) {
        (Some(service), None) => on_service(action, service, &times, &origin, to, plan),
        (None, Some(pool)) => on_pool(action, pool, &times, &origin, to),
        _ => fail("", "expected exactly one of `service` and `pool`"),
    }
}

/// An action on a service: its HPA's bounds, or its replicas.
fn on_service(
    action: &ScheduledAction,
    service: &str,
    times: &[SimTime],
    origin: &str,
    to: &mut Targets,
    plan: &mut PolicyPlan,
) -> Result<(), FieldError> {
    for field in [
        ("min_nodes", action.min_nodes),
        ("max_nodes", action.max_nodes),
    ] {
        if field.1.is_some() {
            return fail(field.0, "expected `min_nodes`/`max_nodes` only with `pool`");
        }
    }
    let targets = service_targets(service, action.regions.as_deref(), to.services)?;
    for id in targets {
        let name = &to.services[id as usize].name;
        match to.hpas.iter_mut().find(|h| h.service == id) {
            Some(hpa) => {
                let (min, max) = hpa_bounds(action, name)?;
                hpa.bounds.extend(times.iter().map(|&at| BoundsStep {
                    at,
                    min,
                    max,
                    event: Some(origin.to_owned()),
                }));
            }
            None => {
                let replicas = replicas(action, name)?;
                plan.replica_steps
                    .extend(times.iter().map(|&at| ReplicaStep {
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

/// An action on a node pool: its node group's bounds in the Cluster Autoscaler of its region.
fn on_pool(
    action: &ScheduledAction,
    pool: &str,
    times: &[SimTime],
    origin: &str,
    to: &mut Targets,
) -> Result<(), FieldError> {
    let service_fields = [
        ("regions", action.regions.is_some()),
        ("min_replicas", action.min_replicas.is_some()),
        ("max_replicas", action.max_replicas.is_some()),
        ("replicas", action.replicas.is_some()),
    ];
    if let Some((field, _)) = service_fields.iter().find(|f| f.1) {
        return fail(*field, "expected `min_nodes`/`max_nodes` on a `pool`");
    }
    let Some(id) = to.pools.iter().position(|p| p.name == pool) else {
        let names: Vec<&str> = to.pools.iter().map(|p| p.name.as_str()).collect();
        return fail(
            "pool",
            format!(
                "unknown node pool `{pool}`: expected one of {}",
                names.join(", ")
            ),
        );
    };
    let region = &to.pools[id].region;
    let autoscaler = to
        .node_autoscalers
        .iter_mut()
        .find(|a| &a.region == region && matches!(a.kind, AutoscalerKind::ClusterAutoscaler(_)));
    let Some(autoscaler) = autoscaler else {
        return fail(
            "pool",
            format!(
                "node pool `{pool}` is in `{region}`, which has no Cluster Autoscaler: expected a \
                 pool whose size a `cluster_autoscaler` of `node_autoscaling` owns"
            ),
        );
    };
    let Some(group) = autoscaler
        .pools
        .iter()
        .find(|t| t.pool as usize == id)
        .map(|t| t.group)
    else {
        return fail(
            "pool",
            format!("node pool `{pool}` is not a node group of `{region}`"),
        );
    };
    let (min, max) = (action.min_nodes, action.max_nodes);
    if min.is_none() && max.is_none() {
        return fail("", "a `pool` action expects `min_nodes` and/or `max_nodes`");
    }
    if let (Some(lo), Some(hi)) = (min, max)
        && lo > hi
    {
        return fail("max_nodes", format!("expected at least `min_nodes` ({lo})"));
    }
    autoscaler.bounds.extend(times.iter().map(|&at| {
        let step = BoundsStep {
            at,
            min,
            max,
            event: Some(origin.to_owned()),
        };
        (group, step)
    }));
    autoscaler.bounds.sort_by_key(|(_, step)| step.at);
    Ok(())
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

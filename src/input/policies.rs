//! The `policies` section (`models::policy::config`): each scheduled action checked (errors
//! under `policies.scheduled[i]`) and resolved into steps: `BoundsStep`s in the plan of each
//! HPA it acts on, `ReplicaStep`s of the `PolicyController` for services without an HPA (which
//! then also sends the service's `scale` steps: one owner per knob, `models` crate doc); each
//! threshold policy (`policies.thresholds[i]`) checked and resolved into one `ThresholdPlan`
//! per region, refused on a service something else already scales; each event-driven scaler
//! (`policies.event_driven[i]`) into a KEDA activation per region plus the HPA KEDA creates
//! (External metric, `AverageValue` target, min at least 1).

use models::api::BoundsStep;
use models::hpa::config::{HpaConfig, MetricSpec, MilliQuantity, ValueTarget};
use models::hpa::model::HpaPlan;
use models::plan::ServicePlan;
use models::policy::config::{
    Condition, EventDrivenScaler, EventMetric, ScheduledAction, Step, ThresholdPolicy,
};
use models::policy::cron::CronPattern;
use models::policy::model::{ActivationPlan, PolicyPlan, ReplicaStep, ThresholdPlan};
use sim::time::{SimDuration, SimTime};

use super::Experiment;
use super::services::MAX_REPLICAS;
use crate::error::{FieldError, fail};

/// Checks every policy and resolves them; adds the scheduled bounds to `hpas`.
pub fn resolve(
    x: &Experiment,
    services: &[ServicePlan],
    hpas: &mut Vec<HpaPlan>,
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
    for (i, policy) in x.policies.thresholds.iter().enumerate() {
        threshold(policy, services, hpas, &mut plan)
            .map_err(|e| e.within(&format!("policies.thresholds[{i}]")))?;
    }
    for (i, scaler) in x.policies.event_driven.iter().enumerate() {
        event_driven(scaler, services, hpas, &mut plan)
            .map_err(|e| e.within(&format!("policies.event_driven[{i}]")))?;
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

/// One event-driven scaler: an activation per region, and the HPA KEDA would create.
fn event_driven(
    scaler: &EventDrivenScaler,
    services: &[ServicePlan],
    hpas: &mut Vec<HpaPlan>,
    plan: &mut PolicyPlan,
) -> Result<(), FieldError> {
    if scaler.name.trim().is_empty() {
        return fail(
            "name",
            "expected a name for the scaler, such as \"queue-workers\"",
        );
    }
    if !(scaler.target.is_finite() && scaler.target > 0.0) {
        return fail(
            "target",
            "expected the metric per replica to aim at, a number above 0",
        );
    }
    if !(scaler.activation_threshold.is_finite() && scaler.activation_threshold >= 0.0) {
        return fail("activation_threshold", "expected a finite number ≥ 0");
    }
    if scaler.max_replicas == 0 || scaler.max_replicas > MAX_REPLICAS {
        return fail(
            "max_replicas",
            format!("expected 1 to {MAX_REPLICAS} replicas"),
        );
    }
    if scaler.min_replicas > scaler.max_replicas {
        return fail(
            "min_replicas",
            format!("expected at most `max_replicas` ({})", scaler.max_replicas),
        );
    }
    if scaler.polling_interval < SimDuration::from_secs(1) {
        return fail("polling_interval", "expected at least \"1s\"");
    }
    if scaler.min_replicas == 0 && scaler.metric == EventMetric::QueueLength {
        return fail(
            "metric",
            "a queue_length trigger with `min_replicas` 0 could never activate: requests that \
             arrive at zero pods are dropped, not held (the latency model keeps no queue without \
             a pod), so the queue stays empty; expected `requests_per_second` (arrivals at the \
             ingress) or `min_replicas` ≥ 1",
        );
    }
    let target_millis = (scaler.target * 1000.0).round();
    if target_millis < 1.0 || target_millis > u64::MAX as f64 {
        return fail("target", "expected a number from 0.001 up");
    }
    for id in service_targets(&scaler.service, scaler.regions.as_deref(), services)? {
        check_owner(id, services, hpas, plan)?;
        let s = &services[id as usize];
        hpas.push(HpaPlan {
            service: id,
            name: format!("keda-hpa-{}-{}", scaler.name, s.region),
            config: HpaConfig {
                min_replicas: scaler.min_replicas.max(1),
                max_replicas: scaler.max_replicas,
                metrics: vec![MetricSpec::External {
                    metric: scaler.metric.name().to_owned(),
                    target: ValueTarget::AverageValue(MilliQuantity(target_millis as u64)),
                }],
                behavior: None,
            },
            capacity_rps: s.capacity_rps,
            declared_cpu_millis: s.requests.cpu.0,
            memory: s.memory_usage,
            bounds: Vec::new(),
        });
        plan.activations.push(ActivationPlan {
            service: id,
            scaler: scaler.clone(),
        });
    }
    Ok(())
}

/// One threshold policy; errors relative to it.
fn threshold(
    policy: &ThresholdPolicy,
    services: &[ServicePlan],
    hpas: &[HpaPlan],
    plan: &mut PolicyPlan,
) -> Result<(), FieldError> {
    if policy.name.trim().is_empty() {
        return fail(
            "name",
            "expected a name for the policy, such as \"dask-workers\"",
        );
    }
    if policy.max_replicas == 0 || policy.max_replicas > MAX_REPLICAS {
        return fail(
            "max_replicas",
            format!("expected 1 to {MAX_REPLICAS} replicas"),
        );
    }
    if policy.min_replicas > policy.max_replicas {
        return fail(
            "min_replicas",
            format!("expected at most `max_replicas` ({})", policy.max_replicas),
        );
    }
    if policy.scale_up.is_empty() && policy.scale_down.is_empty() {
        return fail(
            "scale_up",
            "expected at least one condition in `scale_up` or `scale_down`",
        );
    }
    for (field, step) in [("step_up", policy.step_up), ("step_down", policy.step_down)] {
        check_step(step).map_err(|message| FieldError::new(field, message))?;
    }
    if policy.evaluation_interval < SimDuration::from_secs(1) {
        return fail("evaluation_interval", "expected at least \"1s\"");
    }
    let targets = service_targets(&policy.service, policy.regions.as_deref(), services)?;
    for (list, conditions) in [
        ("scale_up", &policy.scale_up),
        ("scale_down", &policy.scale_down),
    ] {
        for (j, c) in conditions.iter().enumerate() {
            check_condition(c).map_err(|e| e.within(&format!("{list}[{j}]")))?;
        }
    }
    for id in targets {
        check_owner(id, services, hpas, plan)?;
        let s = &services[id as usize];
        let memory_metric = policy
            .scale_up
            .iter()
            .chain(&policy.scale_down)
            .any(|c| c.metric == models::policy::config::ThresholdMetric::MemoryUtilization);
        if memory_metric && s.memory_usage.is_none() {
            return fail(
                "service",
                format!(
                    "a memory_utilization condition needs service `{}`'s `memory_usage`, e.g. \
                     `memory_usage: (base: \"300Mi\", per_rps: \"2Mi\")`",
                    s.name
                ),
            );
        }
        plan.thresholds.push(ThresholdPlan {
            service: id,
            policy: policy.clone(),
            capacity_rps: s.capacity_rps,
            memory: s.memory_usage,
        });
    }
    Ok(())
}

/// A step of at least one pod, or a positive finite percentage.
fn check_step(step: Step) -> Result<(), String> {
    match step {
        Step::Pods(n) if n < 1 => Err(format!(
            "expected at least 1 pod, such as `Pods(1)`; found {n}"
        )),
        Step::Percent(p) if !(p.is_finite() && p > 0.0) => {
            Err("expected a percentage above 0, such as `Percent(50)`".into())
        }
        _ => Ok(()),
    }
}

/// Exactly one of `above` and `below`, a finite number ≥ 0.
fn check_condition(c: &Condition) -> Result<(), FieldError> {
    let (field, value) = match (c.above, c.below) {
        (Some(v), None) => ("above", v),
        (None, Some(v)) => ("below", v),
        (Some(_), Some(_)) => {
            return fail("below", "expected one of `above` and `below`, not both");
        }
        (None, None) => return fail("", "expected a threshold: `above: 0.8` or `below: 0.3`"),
    };
    if !(value.is_finite() && value >= 0.0) {
        return fail(field, "expected a finite threshold ≥ 0");
    }
    Ok(())
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
    let targets = service_targets(&action.service, action.regions.as_deref(), services)?;
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

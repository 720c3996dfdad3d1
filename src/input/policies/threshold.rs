//! `policies.thresholds[i]`: a sustained-threshold policy checked and resolved into one
//! `ThresholdPlan` per region (`models::policy::threshold`), refused on a service something
//! else already scales.

use models::hpa::model::HpaPlan;
use models::plan::ServicePlan;
use models::policy::config::{Condition, Step, ThresholdMetric, ThresholdPolicy};
use models::policy::model::{PolicyPlan, ThresholdPlan};

use super::{check_interval, check_name, check_owner, check_replica_bounds, service_targets};
use crate::error::{FieldError, fail};

/// One threshold policy; errors relative to it.
pub fn threshold(
    policy: &ThresholdPolicy,
    services: &[ServicePlan],
    hpas: &[HpaPlan],
    plan: &mut PolicyPlan,
) -> Result<(), FieldError> {
    check_name(&policy.name, "dask-workers")?;
    check_replica_bounds(policy.min_replicas, policy.max_replicas)?;
    if policy.scale_up.is_empty() && policy.scale_down.is_empty() {
        return fail(
            "scale_up",
            "expected at least one condition in `scale_up` or `scale_down`",
        );
    }
    for (field, step) in [("step_up", policy.step_up), ("step_down", policy.step_down)] {
        check_step(step).map_err(|message| FieldError::new(field, message))?;
    }
    check_interval("evaluation_interval", policy.evaluation_interval)?;
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
            .any(|c| c.metric == ThresholdMetric::MemoryUtilization);
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
        Step::Nodes(_) => {
            Err("expected a step of pods, such as `Pods(1)`, or `Percent(50)`".into())
        }
        Step::Percent(p) if !(p.is_finite() && p > 0.0) => {
            Err("expected a percentage above 0, such as `Percent(50)`".into())
        }
        _ => Ok(()),
    }
}

/// Exactly one of `above` and `below`, a finite number ≥ 0.
pub(super) fn check_condition<M>(c: &Condition<M>) -> Result<(), FieldError> {
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

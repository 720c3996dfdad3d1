//! `policies.predictive[i]`: a predictive policy checked and resolved into one `PredictivePlan`
//! per region (`models::policy::forecast` and `model`), with its warm-up history sampled at
//! load; `ForecastAndScale` is refused on a service something else already scales.

use std::path::Path;

use models::hpa::model::HpaPlan;
use models::plan::ServicePlan;
use models::policy::config::{History, PredictiveMode, PredictivePolicy, SmoothingConfig};
use models::policy::model::{PolicyPlan, PredictivePlan};
use sim::time::{SimDuration, SimTime, UtcInstant};

use super::{check_interval, check_name, check_owner, check_replica_bounds, service_targets};
use crate::error::{FieldError, fail};
use crate::input::Experiment;

/// Most steps in a season, and most history values: a year of 5-minute steps is 105 120.
pub const MAX_STEPS: u64 = 200_000;

pub fn predictive(
    x: &Experiment,
    base_dir: &Path,
    policy: &PredictivePolicy,
    services: &[ServicePlan],
    hpas: &[HpaPlan],
    plan: &mut PolicyPlan,
) -> Result<(), FieldError> {
    check(policy)?;
    let history = history(x, base_dir, policy)?;
    for id in service_targets(&policy.service, policy.regions.as_deref(), services)? {
        if policy.mode == PredictiveMode::ForecastAndScale {
            check_owner(id, services, hpas, plan)?;
        }
        plan.predictive.push(PredictivePlan {
            service: id,
            policy: policy.clone(),
            capacity_rps: services[id as usize].capacity_rps,
            history: history.clone(),
        });
    }
    Ok(())
}

/// Every number in range.
fn check(p: &PredictivePolicy) -> Result<(), FieldError> {
    check_name(&p.name, "forecast")?;
    check_replica_bounds(p.min_replicas, p.max_replicas)?;
    check_forecast(&Fields {
        step: p.step,
        period: p.period,
        lead_time: p.lead_time,
        target_utilization: p.target_utilization,
        headroom_sigmas: p.headroom_sigmas,
        error_window: p.error_window,
        smoothing: p.smoothing,
    })
}

/// The forecast settings a predictive policy on pods and one on node pools share.
pub(super) struct Fields {
    pub step: SimDuration,
    pub period: SimDuration,
    pub lead_time: SimDuration,
    pub target_utilization: f64,
    pub headroom_sigmas: f64,
    pub error_window: u32,
    pub smoothing: SmoothingConfig,
}

/// Every forecast setting in range.
pub(super) fn check_forecast(p: &Fields) -> Result<(), FieldError> {
    check_interval("step", p.step)?;
    let steps = p.period.as_nanos() / p.step.as_nanos();
    if !p.period.as_nanos().is_multiple_of(p.step.as_nanos()) || !(2..=MAX_STEPS).contains(&steps) {
        return fail(
            "period",
            format!(
                "expected a whole number of steps ({}), from 2 to {MAX_STEPS}",
                p.step
            ),
        );
    }
    if p.lead_time.is_zero() || p.lead_time > p.period {
        return fail(
            "lead_time",
            "expected a positive duration of at most `period`",
        );
    }
    if !(p.target_utilization > 0.0 && p.target_utilization <= 1.0) {
        return fail(
            "target_utilization",
            "expected a fraction in (0, 1], such as 0.7",
        );
    }
    if !(p.headroom_sigmas.is_finite() && p.headroom_sigmas >= 0.0) {
        return fail("headroom_sigmas", "expected a finite number ≥ 0, such as 2");
    }
    if !(1..=10_000).contains(&p.error_window) {
        return fail("error_window", "expected 1 to 10000 errors");
    }
    let s = p.smoothing;
    for (field, v) in [("alpha", s.alpha), ("beta", s.beta), ("gamma", s.gamma)] {
        if !(v > 0.0 && v <= 1.0) {
            return fail(
                format!("smoothing.{field}"),
                "expected a constant in (0, 1]",
            );
        }
    }
    Ok(())
}

/// The history's rate at the midpoint of each step, oldest first.
fn history(x: &Experiment, base_dir: &Path, p: &PredictivePolicy) -> Result<Vec<f64>, FieldError> {
    sample_history(x, base_dir, &p.name, p.step, p.history.as_ref())
}

/// `history`'s value at the midpoint of each `step`, oldest first (none without one); its
/// noise seeded by the policy's `name`.
pub(super) fn sample_history(
    x: &Experiment,
    base_dir: &Path,
    name: &str,
    step: SimDuration,
    history: Option<&History>,
) -> Result<Vec<f64>, FieldError> {
    let Some(h) = history else {
        return Ok(Vec::new());
    };
    let steps = h.span.as_nanos() / step.as_nanos();
    if steps == 0 || steps > MAX_STEPS {
        return fail(
            "history.span",
            format!("expected 1 to {MAX_STEPS} steps of {step}"),
        );
    }
    let shape = crate::input::traffic::resolve(&h.shape, base_dir, h.span)
        .map_err(|e| e.within("history.shape"))?
        .seeded(x.seed, &format!("policy/{name}/history"));
    let span_s = i64::try_from(h.span.as_nanos() / 1_000_000_000).unwrap_or(i64::MAX);
    let start = UtcInstant::from_unix_s(x.start.unix_s().saturating_sub(span_s));
    let step_ns = step.as_nanos();
    Ok((0..steps)
        .map(|k| {
            let mid = SimTime::from_nanos(k * step_ns + step_ns / 2);
            shape.segment(start, mid).rps
        })
        .collect())
}

//! `policies.predictive[i]`: a predictive policy checked and resolved into one `PredictivePlan`
//! per region (`models::policy::forecast` and `model`), with its warm-up history sampled at
//! load; `ForecastAndScale` is refused on a service something else already scales, and
//! `RaiseHpaMinimum` is resolved into `minReplicas` steps of the service's HPA (the forecast
//! played over the service's own open-loop traffic, step by step).

use std::path::Path;

use models::api::BoundsStep;
use models::hpa::model::HpaPlan;
use models::plan::ServicePlan;
use models::policy::config::{History, PredictiveMode, PredictivePolicy, SmoothingConfig};
use models::policy::forecast::Tracker;
use models::policy::model::{PolicyPlan, PredictivePlan, forecast_replicas};
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
    hpas: &mut [HpaPlan],
    plan: &mut PolicyPlan,
) -> Result<(), FieldError> {
    check(policy)?;
    let history = history(x, base_dir, policy)?;
    for id in service_targets(&policy.service, policy.regions.as_deref(), services)? {
        match policy.mode {
            PredictiveMode::ForecastAndScale => check_owner(id, services, hpas, plan)?,
            PredictiveMode::RaiseHpaMinimum => {
                raise_hpa_minimum(x, policy, &services[id as usize], id, &history, hpas)?
            }
            PredictiveMode::ForecastOnly => {}
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

/// `RaiseHpaMinimum` on cluster service `id`: the tracker played over the service's own
/// arrival rate at each `step` of the run (open-loop traffic: what the run will observe then),
/// each forecast's replicas (within the HPA's bounds) a `minReplicas` step of its HPA when
/// they change. Errors at `mode`: a service without an HPA, one whose HPA's bounds a scheduled
/// action already sets, or one with global `routing` (its regions' shares are decided during
/// the run).
fn raise_hpa_minimum(
    x: &Experiment,
    p: &PredictivePolicy,
    service: &ServicePlan,
    id: u32,
    history: &[f64],
    hpas: &mut [HpaPlan],
) -> Result<(), FieldError> {
    let named = |what: &str| format!("service `{}` in {} {what}", service.name, service.region);
    if x.services
        .iter()
        .any(|s| s.name == service.name && s.routing.is_some())
    {
        return fail(
            "mode",
            named(
                "has global `routing`, whose regional shares are decided during the run: \
                 expected `ForecastOnly` or `ForecastAndScale`",
            ),
        );
    }
    let Some(hpa) = hpas.iter_mut().find(|h| h.service == id) else {
        return fail(
            "mode",
            named("has no `hpa`: expected one whose minimum the forecast raises"),
        );
    };
    if hpa.bounds.iter().any(|b| b.event.is_some()) {
        return fail(
            "mode",
            named("has its HPA's bounds set by a scheduled action: expected one policy on them"),
        );
    }
    let (floor, ceiling) = (hpa.config.min_replicas, hpa.config.max_replicas);
    let mut tracker = Tracker::new(
        p.step,
        p.period,
        p.lead_time,
        p.smoothing,
        p.error_window,
        history,
    );
    let mut minimum = floor;
    let mut at = SimTime::ZERO + p.step;
    while at < SimTime::ZERO + x.duration {
        let actual = service.traffic.segment(x.start, at).rps;
        let f = tracker.step(at, actual, p.headroom_sigmas);
        let replicas = forecast_replicas(&f, service.capacity_rps, p).clamp(floor, ceiling);
        if replicas != minimum {
            minimum = replicas;
            hpa.bounds.push(BoundsStep {
                at,
                min: Some(replicas),
                max: None,
                event: Some(format!(
                    "{}: forecast {:.1} rps in {} (Holt-Winters; seasonal naive {:.1}), \
                     headroom {:.1} rps ({} errors, {}σ), actual {actual:.1} rps: HPA minimum \
                     {replicas}",
                    p.name, f.value, f.ahead, f.naive, f.headroom, f.errors, p.headroom_sigmas
                )),
            });
        }
        at = at + p.step;
    }
    hpa.bounds.sort_by_key(|b| b.at);
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

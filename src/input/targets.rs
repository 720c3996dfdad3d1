//! The `targets` section (the RPO and RTO targets are checked with `faults`, which they need),
//! and the `scheduler` section's scoring shape.

use models::config::{SchedulerConfig, ServiceTargets};

use super::{Experiment, Targets};
use crate::error::{FieldError, fail};

/// The scheduler's `scoring` shape well formed.
pub fn check_scheduler(scheduler: &SchedulerConfig) -> Result<(), FieldError> {
    scheduler.scoring.validate().map_err(|(i, expected)| {
        FieldError::new(
            format!("scheduler.scoring.shape[{i}]"),
            format!("expected {expected}"),
        )
    })
}

/// The latency, attainment and budget targets in range and consistent.
pub fn check(targets: &Targets) -> Result<(), FieldError> {
    if let Some(t) = targets.p99_latency
        && t.is_zero()
    {
        return fail(
            "targets.p99_latency",
            "expected a positive duration such as \"100ms\"",
        );
    }
    if let Some(a) = targets.slo_attainment {
        if !(a > 0.0 && a <= 1.0) {
            return fail(
                "targets.slo_attainment",
                "expected a fraction in (0, 1] such as 0.999",
            );
        }
        if targets.p99_latency.is_none() {
            return fail(
                "targets.slo_attainment",
                "SLO attainment is the share of requests served within `p99_latency`: \
                 expected a `p99_latency` target beside it",
            );
        }
    }
    if let Some(b) = targets.budget_usd
        && !(b.is_finite() && b >= 0.0)
    {
        return fail(
            "targets.budget_usd",
            "expected a number of US dollars >= 0 such as 5000",
        );
    }
    Ok(())
}

/// A batch target needs Jobs.
pub fn check_batch(x: &Experiment) -> Result<(), FieldError> {
    if x.targets.batch_wait_p95.is_some() && x.batch.is_empty() {
        return fail(
            "targets.batch_wait_p95",
            "the Jobs' wait needs Jobs: expected a `batch` section beside it",
        );
    }
    if x.targets.batch_deadline_misses.is_some() && x.batch.is_empty() {
        return fail(
            "targets.batch_deadline_misses",
            "deadline misses need Jobs: expected a `batch` section beside it",
        );
    }
    Ok(())
}

/// The `checks` section's shares in range.
pub fn check_health(x: &Experiment) -> Result<(), FieldError> {
    x.checks
        .validate()
        .map_err(|(field, why)| FieldError::new(format!("checks.{field}"), why))
}

/// Each service's own `targets` in range; its SLO attainment needs a p99 target, its own or
/// the run's, to count requests against.
pub fn check_services(x: &Experiment) -> Result<(), FieldError> {
    for (i, s) in x.services.iter().enumerate() {
        if let Some(t) = &s.targets {
            check_service(&format!("services[{i}].targets"), t, &x.targets)?;
        }
    }
    Ok(())
}

fn check_service(at: &str, t: &ServiceTargets, run: &Targets) -> Result<(), FieldError> {
    if t.p99_latency.is_some_and(|p| p.is_zero()) {
        return fail(
            format!("{at}.p99_latency"),
            "expected a positive duration such as \"100ms\"",
        );
    }
    if let Some(a) = t.slo_attainment {
        if !(a > 0.0 && a <= 1.0) {
            return fail(
                format!("{at}.slo_attainment"),
                "expected a fraction in (0, 1] such as 0.999",
            );
        }
        if t.p99_latency.is_none() && run.p99_latency.is_none() {
            return fail(
                format!("{at}.slo_attainment"),
                "SLO attainment is the share of requests served within a p99 target: expected \
                 `p99_latency` beside it or in the run's `targets`",
            );
        }
    }
    if let Some(d) = t.max_dropped_share
        && !(0.0..=1.0).contains(&d)
    {
        return fail(
            format!("{at}.max_dropped_share"),
            "expected a share in [0, 1] such as 0.001",
        );
    }
    Ok(())
}

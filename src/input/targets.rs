//! The `targets` section (the RPO and RTO targets are checked with `faults`, which they need),
//! and the `scheduler` section's scoring shape.

use models::config::SchedulerConfig;

use super::Targets;
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

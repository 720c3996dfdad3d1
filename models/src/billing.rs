//! Per-second node billing with a minimum billed duration.
//!
//! AWS bills Linux on-demand and spot instances per second with a 60-second minimum
//! (aws.amazon.com/ec2/pricing/on-demand, "Per Second Billing"); Compute Engine bills per second
//! with a one-minute minimum too (cloud.google.com/compute/all-pricing, "Billing model"). So the
//! default minimum is 60 s for both catalogs, overridable per experiment.

use serde::{Deserialize, Serialize};
use sim::time::SimDuration;

/// The default minimum billed duration: 60 s.
pub const DEFAULT_MINIMUM_BILLED: SimDuration = SimDuration::from_secs(60);

/// What a node that lived `lifetime` costs at `price_usd_per_hour`: whole seconds billed (a
/// started second counts), never less than `minimum`.
pub fn node_cost_usd(lifetime: SimDuration, minimum: SimDuration, price_usd_per_hour: f64) -> f64 {
    billed_seconds(lifetime, minimum) as f64 * price_usd_per_hour / 3600.0
}

/// Seconds billed for a node that lived `lifetime`.
pub fn billed_seconds(lifetime: SimDuration, minimum: SimDuration) -> u64 {
    let seconds = lifetime.as_nanos().div_ceil(1_000_000_000);
    seconds.max(minimum.as_nanos().div_ceil(1_000_000_000))
}

/// What a cost-aware policy may spend (`policies.node_pools[].budget`, `policies.cost_aware`):
/// a sum over the run, or a rate per hour, when the budget so far is the rate times the hours
/// elapsed ("the share of the budget left" is then that of the budget so far: spending at 70 %
/// of the rate or faster leaves 30 % or less).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Allowance {
    /// US dollars for the whole run.
    Total(f64),
    /// US dollars per hour of the run.
    PerHour(f64),
}

impl Allowance {
    /// The budget `elapsed_s` seconds into the run.
    pub fn so_far_usd(self, elapsed_s: f64) -> f64 {
        match self {
            Allowance::Total(usd) => usd,
            Allowance::PerHour(usd) => usd * elapsed_s / 3600.0,
        }
    }

    /// Whether at most `low_share` of the budget so far is left after spending `spent_usd`
    /// (as spent ≥ (1 − low_share) × budget, so that 70 of 100 spent is exactly 30 % left).
    /// A rate has no budget yet at the run's first instant: never low then.
    pub fn low(self, spent_usd: f64, elapsed_s: f64, low_share: f64) -> bool {
        let budget = self.so_far_usd(elapsed_s);
        budget > 0.0 && spent_usd >= (1.0 - low_share) * budget
    }

    /// The share of the budget so far left (negative once over it), for messages.
    pub fn left_share(self, spent_usd: f64, elapsed_s: f64) -> f64 {
        let budget = self.so_far_usd(elapsed_s);
        if budget > 0.0 {
            1.0 - spent_usd / budget
        } else {
            1.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_that_lived_90_5_seconds() {
        // 90.5 s is billed as 91 whole seconds: at $0.388472/h that is 91 × 0.388472 / 3600.
        let lifetime = SimDuration::from_millis(90_500);
        assert_eq!(billed_seconds(lifetime, DEFAULT_MINIMUM_BILLED), 91);
        let cost = node_cost_usd(lifetime, DEFAULT_MINIMUM_BILLED, 0.388472);
        assert!((cost - 91.0 * 0.388472 / 3600.0).abs() < 1e-15);
    }

    #[test]
    fn a_rate_per_hour_is_low_when_spent_at_seventy_percent_of_it() {
        let rate = Allowance::PerHour(10.0);
        // Half an hour in, the budget so far is $5: $3.50 spent is exactly 30 % left.
        assert_eq!(rate.so_far_usd(1800.0), 5.0);
        assert!(rate.low(3.5, 1800.0, 0.3));
        assert!(!rate.low(3.49, 1800.0, 0.3));
        // Nothing is budgeted at the start, so nothing is low then.
        assert!(!rate.low(0.0, 0.0, 0.3));
        let total = Allowance::Total(100.0);
        assert!(total.low(70.0, 0.0, 0.3) && !total.low(69.9, 1e6, 0.3));
        assert!((total.left_share(70.0, 5.0) - 0.3).abs() < 1e-12);
    }

    #[test]
    fn short_lives_pay_the_minimum() {
        assert_eq!(
            billed_seconds(SimDuration::from_secs(12), DEFAULT_MINIMUM_BILLED),
            60
        );
        assert_eq!(
            billed_seconds(SimDuration::ZERO, DEFAULT_MINIMUM_BILLED),
            60
        );
        assert_eq!(
            billed_seconds(SimDuration::from_secs(12), SimDuration::ZERO),
            12
        );
    }
}

//! Per-second node billing with a minimum billed duration.
//!
//! AWS bills Linux on-demand and spot instances per second with a 60-second minimum
//! (aws.amazon.com/ec2/pricing/on-demand, "Per Second Billing"); Compute Engine bills per second
//! with a one-minute minimum too (cloud.google.com/compute/all-pricing, "Billing model"). So the
//! default minimum is 60 s for both catalogs, overridable per experiment.

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

//! A cost-aware factor on an HPA's scale-ups (issue 20's cost-aware policy, for services): the
//! run's spend so far against a budget; once the share of the budget left is at or below
//! `low_share` (default 30 %), each scale-up the HPA computes adds only `scale_up_factor`
//! (default 0.6) of its increase, rounded up: `current + ⌈factor × (desired − current)⌉`.
//!
//! No stock controller has this; it is the policy the reference Black-Friday platform states
//! ("when the remaining budget share drops to 30 % or below, the scaling factor becomes 0.6"),
//! written with the node-pool policy's semantics (`policy::pools`, the same thresholds): the
//! platform keeps scaling, slower, while the SLO is watched.
//!
//! Where it acts in the HPA's sync (`controller::Hpa::sync`): on the desired count after the
//! stabilization window and the behavior's rate limits, for metric-driven scale-ups only (a
//! count below `minReplicas` is still raised at once). The stabilization window keeps the
//! full recommendation, so a scale-up the factor cut resumes at the next sync, again cut: the
//! gap closes geometrically (by 60 % a sync at the default) instead of at once. The behavior's
//! scale-up events record the cut change, so rate limits count what was done.
//!
//! The spend is the cluster's (`cluster::costs`): every node of the run, removed ones as
//! billed and the others for the time they have existed, read at each sync. The budget is a
//! sum for the run or a rate per hour (`billing::Allowance`).

use serde::{Deserialize, Serialize};

use crate::billing::Allowance;

/// A budget an HPA reads, as resolved from `policies.cost_aware`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HpaBudget {
    /// The policy's name, for events.
    pub policy: String,
    /// A sum for the run or a rate per hour (`billing::Allowance`).
    pub allowance: Allowance,
    pub low_share: f64,
    pub scale_up_factor: f64,
}

impl HpaBudget {
    /// Whether at most `low_share` of the budget so far is left after spending `spent_usd`,
    /// `elapsed_s` into the run.
    pub fn low(&self, spent_usd: f64, elapsed_s: f64) -> bool {
        self.allowance.low(spent_usd, elapsed_s, self.low_share)
    }
}

/// A scale-up from `current` to `desired` cut by `factor`: `current + ⌈factor × (desired −
/// current)⌉`, never below `current + 1` nor above `desired`. Not a scale-up: `desired`.
pub fn cut(current: u32, desired: u32, factor: f64) -> u32 {
    if desired <= current {
        return desired;
    }
    let step = (f64::from(desired - current) * factor).ceil().max(1.0);
    // `step` ≤ desired − current for factor ≤ 1, which the loader requires.
    current.saturating_add(step as u32).min(desired)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scale_up_of_ten_pods_adds_six_at_the_default_factor() {
        assert_eq!(cut(20, 30, 0.6), 26);
        // ⌈0.6 × 1⌉ = 1: a one-pod scale-up is never cut to nothing.
        assert_eq!(cut(20, 21, 0.6), 21);
        // ⌈0.6 × 3⌉ = ⌈1.8⌉ = 2.
        assert_eq!(cut(4, 7, 0.6), 6);
        // Scale-downs and no change pass.
        assert_eq!(cut(30, 20, 0.6), 20);
        assert_eq!(cut(5, 5, 0.6), 5);
    }

    #[test]
    fn seventy_of_a_hundred_spent_is_exactly_the_default_low_share() {
        let b = HpaBudget {
            policy: "p".into(),
            allowance: Allowance::Total(100.0),
            low_share: 0.3,
            scale_up_factor: 0.6,
        };
        assert!(!b.low(69.99, 60.0));
        assert!(b.low(70.0, 60.0));
    }
}

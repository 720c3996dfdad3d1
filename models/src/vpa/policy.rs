//! What a VPA's resource policy does to a recommendation before a pod gets it: clamp it to
//! `minAllowed`/`maxAllowed`, leave uncontrolled resources alone, and scale limits with requests.
//!
//! A port of `kubernetes/autoscaler` `vertical-pod-autoscaler/pkg/utils/vpa/capping.go`
//! (`applyVPAPolicyForContainer`, `maybeCapToMin`, `maybeCapToMax`) and
//! `limit_and_request_scaling.go` (`getProportionalResourceLimit`,
//! `scaleQuantityProportionallyCPU`/`Mem`) at commit
//! `55c37cd5eb550756c5ccc5a89e9068d77797e575`, with `controlledResources` and
//! `controlledValues` of `apis/autoscaling.k8s.io/v1/types.go`. LimitRange capping is not
//! modelled (the simulated namespaces have no LimitRange).

use serde::{Deserialize, Serialize};

use super::estimator::{Recommendation, Resources};

/// `controlledValues`: whether the VPA sets limits too (in proportion) or only requests.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ControlledValues {
    RequestsOnly,
    /// Upstream's default.
    #[default]
    RequestsAndLimits,
}

/// `controlledResources`: which resources the VPA recommends; upstream's default is both.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ControlledResources {
    pub cpu: bool,
    pub memory: bool,
}

impl Default for ControlledResources {
    fn default() -> ControlledResources {
        ControlledResources {
            cpu: true,
            memory: true,
        }
    }
}

/// A `minAllowed` or `maxAllowed` list: each resource's bound is optional. A zero bound is no
/// bound, as upstream's `!IsZero()` check makes it.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct ResourceBounds {
    pub cpu_cores: Option<f64>,
    pub memory_bytes: Option<f64>,
}

/// `applyVPAPolicyForContainer`: each of target, lower and upper is raised to `min_allowed`,
/// then lowered to `max_allowed` (so the maximum wins when they cross), per resource.
pub fn cap_recommendation(
    recommendation: Recommendation,
    min_allowed: ResourceBounds,
    max_allowed: ResourceBounds,
) -> Recommendation {
    let cap = |r: Resources| Resources {
        cpu_cores: clamp(r.cpu_cores, min_allowed.cpu_cores, max_allowed.cpu_cores),
        memory_bytes: clamp(
            r.memory_bytes,
            min_allowed.memory_bytes,
            max_allowed.memory_bytes,
        ),
    };
    Recommendation {
        target: cap(recommendation.target),
        lower: cap(recommendation.lower),
        upper: cap(recommendation.upper),
    }
}

/// `maybeCapToMin` then `maybeCapToMax`.
fn clamp(value: f64, min: Option<f64>, max: Option<f64>) -> f64 {
    let raised = match min {
        Some(m) if m != 0.0 && value < m => m,
        _ => value,
    };
    match max {
        Some(m) if m != 0.0 && raised > m => m,
        _ => raised,
    }
}

/// The requests a pod gets from `target`: a controlled resource takes the target, an
/// uncontrolled one keeps the pod's own request (upstream leaves it out of the recommendation,
/// `FilterControlledResources`, so the admission controller does not touch it).
pub fn new_requests(
    pod_requests: Resources,
    target: Resources,
    controlled: ControlledResources,
) -> Resources {
    Resources {
        cpu_cores: if controlled.cpu {
            target.cpu_cores
        } else {
            pod_requests.cpu_cores
        },
        memory_bytes: if controlled.memory {
            target.memory_bytes
        } else {
            pod_requests.memory_bytes
        },
    }
}

/// `getProportionalResourceLimit` for one resource, in millicores or bytes: no limit stays no
/// limit (also a zero one); a new request of 0 sets none; a request of 0 (unset) or equal to the
/// limit gives limit = new request; otherwise `limit × new / old` in exact integer arithmetic,
/// truncated, saturating at `i64::MAX` as upstream's `big.Int` capping does.
///
/// Upstream compares CPU in millicores and memory in whole bytes; the caller passes each in its
/// unit, so one function serves both. With `ControlledValues::RequestsOnly` the limit is not
/// touched: don't call this.
pub fn scale_limit(
    original_request: u64,
    original_limit: Option<u64>,
    new_request: u64,
) -> Option<u64> {
    let limit = original_limit.filter(|&l| l != 0)?;
    if new_request == 0 {
        return None;
    }
    if original_request == 0 || original_request == limit {
        return Some(new_request);
    }
    let scaled = u128::from(limit) * u128::from(new_request) / u128::from(original_request);
    Some(u64::try_from(scaled).map_or(i64::MAX as u64, |s| s.min(i64::MAX as u64)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capping_clamps_target_and_bounds_per_resource() {
        let rec = Recommendation {
            target: Resources::new(0.5, 2e9),
            lower: Resources::new(0.05, 1e9),
            upper: Resources::new(8.0, 8e9),
        };
        let min = ResourceBounds {
            cpu_cores: Some(0.1),
            memory_bytes: None,
        };
        let max = ResourceBounds {
            cpu_cores: Some(4.0),
            memory_bytes: Some(4e9),
        };
        let capped = cap_recommendation(rec, min, max);
        assert_eq!(capped.target, Resources::new(0.5, 2e9));
        assert_eq!(capped.lower, Resources::new(0.1, 1e9));
        assert_eq!(capped.upper, Resources::new(4.0, 4e9));
    }

    #[test]
    fn the_maximum_wins_when_bounds_cross_and_zero_is_no_bound() {
        let rec = Recommendation {
            target: Resources::new(1.0, 1e9),
            lower: Resources::new(1.0, 1e9),
            upper: Resources::new(1.0, 1e9),
        };
        let min = ResourceBounds {
            cpu_cores: Some(3.0),
            memory_bytes: Some(0.0),
        };
        let max = ResourceBounds {
            cpu_cores: Some(2.0),
            memory_bytes: Some(0.0),
        };
        assert_eq!(
            cap_recommendation(rec, min, max).target,
            Resources::new(2.0, 1e9)
        );
    }

    #[test]
    fn an_uncontrolled_resource_keeps_the_pod_request() {
        let only_cpu = ControlledResources {
            cpu: true,
            memory: false,
        };
        assert_eq!(
            new_requests(Resources::new(1.0, 1e9), Resources::new(0.3, 5e8), only_cpu),
            Resources::new(0.3, 1e9)
        );
    }

    #[test]
    fn limits_scale_with_requests() {
        // Request 500 m, limit 1000 m, new request 250 m → limit 500 m.
        assert_eq!(scale_limit(500, Some(1000), 250), Some(500));
        // Truncated: 1000 × 333 / 500 = 666.
        assert_eq!(scale_limit(500, Some(1000), 333), Some(666));
        assert_eq!(scale_limit(500, None, 250), None);
        assert_eq!(scale_limit(500, Some(0), 250), None);
        assert_eq!(scale_limit(500, Some(1000), 0), None);
        assert_eq!(scale_limit(0, Some(1000), 250), Some(250));
        assert_eq!(scale_limit(500, Some(500), 700), Some(700));
        // u64::MAX × 2 / 1 overflows int64: capped at i64::MAX.
        assert_eq!(scale_limit(1, Some(u64::MAX / 2), 4), Some(i64::MAX as u64));
    }

    #[test]
    fn controlled_values_default_to_requests_and_limits() {
        assert_eq!(
            ControlledValues::default(),
            ControlledValues::RequestsAndLimits
        );
    }
}

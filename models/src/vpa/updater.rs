//! The VPA updater's rules: which pods are worth recreating with the new recommendation, in
//! which order, and how many of a workload may be evicted at once.
//!
//! A port of `kubernetes/autoscaler` `vertical-pod-autoscaler/pkg/updater/` at commit
//! `55c37cd5eb550756c5ccc5a89e9068d77797e575`: `priority/priority_processor.go`
//! (`GetUpdatePriority`: [`priority`]), `priority/update_priority_calculator.go` (`AddPod`'s
//! acceptance: [`should_update`]; `PodPriority.Less`: [`UpdatePriority::evict_before`]),
//! `restriction/pods_restriction_factory.go` and `restriction/pods_eviction_restriction.go`
//! (`singleGroupStats`, `CanEvict`, `Evict`: [`EvictionBudget`]), with the defaults of
//! `updater/config/config.go`. In-place resizing is not modelled.

use std::cmp::Ordering;

use sim::time::SimDuration;

use super::estimator::{Recommendation, Resources};
use super::policy::ControlledResources;

/// The updater's settings, upstream's defaults as `Default`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UpdaterSettings {
    /// `--updater-interval`: 1 min between passes.
    pub interval: SimDuration,
    /// `--min-replicas`: 2; a workload with fewer live pods is never evicted (a VPA's
    /// `updatePolicy.minReplicas` overrides it).
    pub min_replicas: u32,
    /// `--eviction-tolerance`: 0.5; at most `int(replicas × 0.5)` pods down at once.
    pub eviction_tolerance: f64,
    /// `--pod-update-threshold` (`MinChangePriority`): 0.1, the relative change worth an
    /// eviction of a pod inside the recommended range.
    pub pod_update_threshold: f64,
    /// `--in-recommendation-bounds-eviction-lifetime-threshold`: 12 h; a younger pod inside the
    /// range is left alone.
    pub in_bounds_eviction_lifetime: SimDuration,
    /// `--evict-after-oom-threshold`: 10 min; a container OOM-killed sooner after its start is a
    /// "quick OOM".
    pub evict_after_oom: SimDuration,
}

impl Default for UpdaterSettings {
    fn default() -> UpdaterSettings {
        UpdaterSettings {
            interval: SimDuration::from_secs(60),
            min_replicas: 2,
            eviction_tolerance: 0.5,
            pod_update_threshold: 0.1,
            in_bounds_eviction_lifetime: SimDuration::from_secs(12 * 3600),
            evict_after_oom: SimDuration::from_secs(10 * 60),
        }
    }
}

/// `PodPriority`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UpdatePriority {
    /// `ResourceDiff`: `Σ_resources |request − target| / max(request, 1)`, in milli-units.
    pub resource_diff: f64,
    /// `ScaleUp`: some target is above its request.
    pub scale_up: bool,
    /// `OutsideRecommendedRange`: some request is below the lower bound or above the upper one.
    pub outside_range: bool,
}

impl UpdatePriority {
    /// The updater's order (`GetSortedPods` with `PodPriority.Less`): scale-ups first, then the
    /// larger resource diff. `Less` means "after" here.
    pub fn evict_before(&self, other: &UpdatePriority) -> Ordering {
        other
            .scale_up
            .cmp(&self.scale_up)
            .then(other.resource_diff.total_cmp(&self.resource_diff))
    }
}

/// `GetUpdatePriority` for a pod of one container whose `requests` are set (the simulator's
/// pods always have requests): each controlled resource compares the request with the target
/// and bounds as `resource.Quantity` milli-values (millicores, milli-bytes), both rounded up to
/// whole millicores and bytes as the recommendation is when published. An uncontrolled resource
/// is not in the recommendation and does not count.
pub fn priority(
    requests: Resources,
    recommendation: &Recommendation,
    controlled: ControlledResources,
) -> UpdatePriority {
    let (req_cpu, req_mem) = requests.to_millis_bytes();
    let (tgt_cpu, tgt_mem) = recommendation.target.to_millis_bytes();
    let (low_cpu, low_mem) = recommendation.lower.to_millis_bytes();
    let (up_cpu, up_mem) = recommendation.upper.to_millis_bytes();
    // Memory milli-values are bytes × 1000: u128 keeps the product exact.
    let milli = |bytes: u64| u128::from(bytes) * 1000;
    let mut resources: Vec<(u128, u128, u128, u128)> = Vec::with_capacity(2);
    if controlled.cpu {
        resources.push((
            req_cpu.into(),
            tgt_cpu.into(),
            low_cpu.into(),
            up_cpu.into(),
        ));
    }
    if controlled.memory {
        resources.push((
            milli(req_mem),
            milli(tgt_mem),
            milli(low_mem),
            milli(up_mem),
        ));
    }
    let mut p = UpdatePriority {
        resource_diff: 0.0,
        scale_up: false,
        outside_range: false,
    };
    for (request, target, lower, upper) in resources {
        p.scale_up |= target > request;
        p.outside_range |= request < lower || request > upper;
        let total_request = (request as f64).max(1.0);
        p.resource_diff += (total_request - target as f64).abs() / total_request;
    }
    p
}

/// `AddPod`'s acceptance: a pod is updated when its request is outside the recommended range,
/// or it had a quick OOM, or it has lived `in_bounds_eviction_lifetime` and its resource diff is
/// at least `pod_update_threshold`; but a quick-OOM pod only when the update changes something.
/// `quick_oom`: a container OOM-killed within `evict_after_oom` of its start.
pub fn should_update(
    p: &UpdatePriority,
    pod_age: SimDuration,
    quick_oom: bool,
    settings: &UpdaterSettings,
) -> bool {
    if !p.outside_range && !quick_oom {
        if pod_age < settings.in_bounds_eviction_lifetime {
            return false;
        }
        if p.resource_diff < settings.pod_update_threshold {
            return false;
        }
    }
    !(quick_oom && p.resource_diff == 0.0)
}

/// One workload's eviction budget for one updater pass (`singleGroupStats` built by
/// `GetCreatorMaps`, used by `CanEvict` and `Evict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvictionBudget {
    /// Fewer live pods than `minReplicas`, or no configured replicas: nothing is evicted.
    skipped: bool,
    configured: u32,
    running: u32,
    /// `int(configured × tolerance)`, truncated.
    tolerance: u32,
    evicted: u32,
}

impl EvictionBudget {
    /// `configured`: the owner's `spec.replicas`; `live`: its pods not terminated; `running`:
    /// those not Pending. A group with `live < min_replicas` is skipped, as is one with zero
    /// configured replicas (`getReplicaCount` fails on it).
    pub fn new(
        configured: u32,
        live: u32,
        running: u32,
        min_replicas: u32,
        tolerance: f64,
    ) -> EvictionBudget {
        // `int(float64(configured) * fraction)`; `as` truncates and saturates.
        let tolerance = (f64::from(configured) * tolerance) as u32;
        EvictionBudget {
            skipped: live < min_replicas || configured == 0,
            configured,
            running: running.min(live),
            tolerance,
            evicted: 0,
        }
    }

    /// `CanEvict`: a Pending pod always (of a group not skipped); a running one while more than
    /// `configured − tolerance` would stay running, or, when the tolerance rounds to zero, one
    /// pod of a group that is fully running.
    pub fn can_evict(&self, pending: bool) -> bool {
        if self.skipped {
            return false;
        }
        if pending {
            return true;
        }
        let should_be_alive = i64::from(self.configured) - i64::from(self.tolerance);
        let actually_alive = i64::from(self.running) - i64::from(self.evicted);
        actually_alive > should_be_alive
            || (self.configured == self.running && self.tolerance == 0 && self.evicted == 0)
    }

    /// `Evict` of a running pod: it counts against the budget. (Upstream does not count a
    /// Pending pod's eviction; don't call this for one.)
    pub fn record_eviction(&mut self) {
        self.evicted += 1;
    }
}

/// How many running pods one updater pass may evict from a fully running workload: call
/// [`EvictionBudget::can_evict`] and [`EvictionBudget::record_eviction`] until it refuses.
pub fn max_evictions_in_one_pass(
    configured: u32,
    live_running: u32,
    tolerance: f64,
    min_replicas: u32,
) -> u32 {
    let mut budget = EvictionBudget::new(
        configured,
        live_running,
        live_running,
        min_replicas,
        tolerance,
    );
    let mut evicted = 0;
    while evicted < live_running && budget.can_evict(false) {
        budget.record_eviction();
        evicted += 1;
    }
    evicted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(target: Resources) -> Recommendation {
        Recommendation {
            target,
            lower: Resources::new(target.cpu_cores * 0.5, target.memory_bytes * 0.5),
            upper: Resources::new(target.cpu_cores * 2.0, target.memory_bytes * 2.0),
        }
    }

    #[test]
    fn priority_sums_relative_differences() {
        // CPU 1000 m → 500 m: 0.5; memory 1e9 → 1.5e9: 0.5. Diff 1.0, a scale-up (memory), in
        // range (0.5 ≤ 1 ≤ 1 core; 0.75e9 ≤ 1e9 ≤ 3e9).
        let p = priority(
            Resources::new(1.0, 1e9),
            &rec(Resources::new(0.5, 1.5e9)),
            ControlledResources::default(),
        );
        assert_eq!(
            p,
            UpdatePriority {
                resource_diff: 1.0,
                scale_up: true,
                outside_range: false
            }
        );
        // Only CPU controlled: memory is left out.
        let cpu_only = ControlledResources {
            cpu: true,
            memory: false,
        };
        let p = priority(
            Resources::new(1.0, 1e9),
            &rec(Resources::new(0.5, 1.5e9)),
            cpu_only,
        );
        assert_eq!((p.resource_diff, p.scale_up), (0.5, false));
        // A request above the upper bound: outside.
        let p = priority(
            Resources::new(3.0, 1e9),
            &rec(Resources::new(1.0, 1e9)),
            cpu_only,
        );
        assert!(p.outside_range);
    }

    #[test]
    fn in_range_pods_wait_for_age_and_a_large_enough_change() {
        let s = UpdaterSettings::default();
        let small = UpdatePriority {
            resource_diff: 0.05,
            scale_up: false,
            outside_range: false,
        };
        let large = UpdatePriority {
            resource_diff: 0.2,
            ..small
        };
        let hours = |h: u64| SimDuration::from_secs(h * 3600);
        assert!(!should_update(&large, hours(11), false, &s));
        assert!(should_update(&large, hours(12), false, &s));
        assert!(!should_update(&small, hours(48), false, &s));
        let outside = UpdatePriority {
            outside_range: true,
            ..small
        };
        assert!(should_update(&outside, SimDuration::ZERO, false, &s));
        assert!(should_update(&small, SimDuration::ZERO, true, &s));
        let unchanged = UpdatePriority {
            resource_diff: 0.0,
            ..outside
        };
        assert!(!should_update(&unchanged, hours(48), true, &s));
    }

    #[test]
    fn scale_ups_go_first_then_the_larger_diff() {
        let up = UpdatePriority {
            resource_diff: 0.1,
            scale_up: true,
            outside_range: false,
        };
        let down_big = UpdatePriority {
            resource_diff: 5.0,
            scale_up: false,
            outside_range: false,
        };
        let down_small = UpdatePriority {
            resource_diff: 1.0,
            ..down_big
        };
        let mut pods = [down_small, down_big, up];
        pods.sort_by(UpdatePriority::evict_before);
        assert_eq!(pods, [up, down_big, down_small]);
    }

    #[test]
    fn pending_pods_are_always_evictable_and_running_ones_within_tolerance() {
        // 3 configured, tolerance int(1.5) = 1: 3 − 1 = 2 must stay; 3 running → one eviction.
        let mut b = EvictionBudget::new(3, 3, 3, 2, 0.5);
        assert!(b.can_evict(false));
        b.record_eviction();
        assert!(!b.can_evict(false));
        assert!(b.can_evict(true));
        // Tolerance int(2 × 0.4) = 0 on a fully running group: one pod may still go.
        let mut b = EvictionBudget::new(2, 2, 2, 2, 0.4);
        assert!(b.can_evict(false));
        b.record_eviction();
        assert!(!b.can_evict(false));
        // Below min replicas: not even a pending pod.
        assert!(!EvictionBudget::new(3, 1, 0, 2, 0.5).can_evict(true));
    }
}

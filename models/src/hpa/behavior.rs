//! Turning a metric proposal into the replica count the HPA sets: stabilization over the
//! recommendation history, rate limits over the scale-event history, min/max clamping.
//!
//! A port of `kubernetes/kubernetes` `pkg/controller/podautoscaler/horizontal.go` (≈ v1.30–1.32;
//! karmada `pkg/controllers/federatedhpa` lifts the same code "from release-1.27"):
//! * with `spec.behavior`: `stabilizeRecommendationWithBehaviors` ([`stabilize_with_behavior`]),
//!   `convertDesiredReplicasWithBehaviorRate` ([`rate_limit_with_behavior`]),
//!   `calculateScaleUpLimitWithScalingRules` / `calculateScaleDownLimitWithBehaviors`
//!   ([`scale_up_limit`], [`scale_down_limit`]), `getReplicasChangePerPeriod`;
//! * without it: `stabilizeRecommendation` ([`stabilize_legacy`]) and
//!   `convertDesiredReplicasWithRules` ([`rate_limit_legacy`], `calculateScaleUpLimit`:
//!   max(2 × current, 4)).
//!
//! Histories are plain vectors of `(value, instant)` which the caller prunes with
//! [`prune_recommendations`] and [`prune_events`]. Upstream instead reuses one slot older than
//! the cutoffs per store; an entry older than the cutoffs is never counted again (time only
//! moves forward), so pruning every such entry gives the same results and keeps each history
//! at most one entry per sync within the longest window.
//!
//! Replica counts are `u32` at the boundary and `i64` inside, because a period's starting
//! count (`current - added + removed`) may go negative as upstream's `int32` does.

use sim::time::{SimDuration, SimTime};

use crate::hpa::config::{
    BehaviorConfig, HpaControllerConfig, ScalingPolicy, ScalingRulesConfig, SelectPolicy,
};

/// One stored recommendation: the un-stabilized proposal of a sync.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Recommendation {
    pub replicas: u32,
    pub at: SimTime,
}

/// One rescale in one direction: how many replicas were added or removed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ScaleEvent {
    pub change: u32,
    pub at: SimTime,
}

/// `HPAScalingRules` with every default filled in.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalingRules {
    pub stabilization_window: SimDuration,
    pub select_policy: SelectPolicy,
    pub policies: Vec<ScalingPolicy>,
    pub tolerance: f64,
}

impl ScalingRules {
    /// The longest policy period: older events never count again (`getLongestPolicyPeriod`).
    pub fn longest_period(&self) -> SimDuration {
        self.policies
            .iter()
            .map(|p| p.period())
            .max()
            .unwrap_or(SimDuration::ZERO)
    }
}

/// `spec.behavior` with every default filled in.
#[derive(Clone, Debug, PartialEq)]
pub struct Behavior {
    pub scale_up: ScalingRules,
    pub scale_down: ScalingRules,
}

impl Behavior {
    /// `SetDefaults_HorizontalPodAutoscalerBehavior` (`GenerateHPAScaleUpRules`,
    /// `GenerateHPAScaleDownRules`: user fields copied over the defaults) and
    /// `maybeInitScaleDownStabilizationWindow` (an unset scale-down window is the controller's
    /// downscale stabilization).
    pub fn resolve(config: &BehaviorConfig, controller: &HpaControllerConfig) -> Behavior {
        let up_default = ScalingRules {
            stabilization_window: SimDuration::ZERO,
            select_policy: SelectPolicy::Max,
            policies: vec![
                ScalingPolicy::Pods {
                    value: 4,
                    period: SimDuration::from_secs(15),
                },
                ScalingPolicy::Percent {
                    value: 100,
                    period: SimDuration::from_secs(15),
                },
            ],
            tolerance: controller.tolerance,
        };
        let down_default = ScalingRules {
            stabilization_window: controller.downscale_stabilization,
            select_policy: SelectPolicy::Max,
            policies: vec![ScalingPolicy::Percent {
                value: 100,
                period: SimDuration::from_secs(15),
            }],
            tolerance: controller.tolerance,
        };
        Behavior {
            scale_up: overlay(config.scale_up.as_ref(), up_default),
            scale_down: overlay(config.scale_down.as_ref(), down_default),
        }
    }
}

/// `copyHPAScalingRules`: every field the user set replaces the default.
fn overlay(user: Option<&ScalingRulesConfig>, mut rules: ScalingRules) -> ScalingRules {
    if let Some(user) = user {
        if let Some(w) = user.stabilization_window {
            rules.stabilization_window = w;
        }
        if let Some(s) = user.select_policy {
            rules.select_policy = s;
        }
        if let Some(p) = &user.policies {
            rules.policies = p.clone();
        }
        if let Some(t) = user.tolerance {
            rules.tolerance = t;
        }
    }
    rules
}

/// `now - window`, or `None` when the window reaches back before the start of the run (then
/// every stored instant is after the cutoff).
fn cutoff(now: SimTime, window: SimDuration) -> Option<SimTime> {
    now.as_nanos()
        .checked_sub(window.as_nanos())
        .map(SimTime::from_nanos)
}

/// `t.After(now - window)`.
fn after_cutoff(t: SimTime, now: SimTime, window: SimDuration) -> bool {
    cutoff(now, window).is_none_or(|c| t > c)
}

/// `t.Before(now - window)`.
fn before_cutoff(t: SimTime, now: SimTime, window: SimDuration) -> bool {
    cutoff(now, window).is_some_and(|c| t < c)
}

/// `stabilizeRecommendationWithBehaviors`, without the store: the current count raised to the
/// lowest recommendation of the scale-up window and capped at the highest of the scale-down
/// window (both windows exclusive of their start, the new `desired` included).
pub fn stabilize_with_behavior(
    history: &[Recommendation],
    now: SimTime,
    current_replicas: u32,
    desired_replicas: u32,
    up_window: SimDuration,
    down_window: SimDuration,
) -> u32 {
    let mut up = desired_replicas;
    let mut down = desired_replicas;
    for rec in history {
        if after_cutoff(rec.at, now, up_window) {
            up = up.min(rec.replicas);
        }
        if after_cutoff(rec.at, now, down_window) {
            down = down.max(rec.replicas);
        }
    }
    current_replicas.max(up).min(down)
}

/// `stabilizeRecommendation` (no behavior), without the store: the highest recommendation not
/// older than the window, the new one included.
pub fn stabilize_legacy(
    history: &[Recommendation],
    now: SimTime,
    desired_replicas: u32,
    window: SimDuration,
) -> u32 {
    history
        .iter()
        .filter(|rec| !before_cutoff(rec.at, now, window))
        .map(|rec| rec.replicas)
        .fold(desired_replicas, u32::max)
}

/// Drops the recommendations older than `window` (`Before(now - window)`): the ones upstream
/// would overwrite.
pub fn prune_recommendations(history: &mut Vec<Recommendation>, now: SimTime, window: SimDuration) {
    history.retain(|rec| !before_cutoff(rec.at, now, window));
}

/// Drops the events older than `longest_period` (`markScaleEventsOutdated`).
pub fn prune_events(events: &mut Vec<ScaleEvent>, now: SimTime, longest_period: SimDuration) {
    events.retain(|e| !before_cutoff(e.at, now, longest_period));
}

/// `getReplicasChangePerPeriod`: the replicas changed after `now - period`.
fn change_in_period(events: &[ScaleEvent], now: SimTime, period: SimDuration) -> i64 {
    events
        .iter()
        .filter(|e| after_cutoff(e.at, now, period))
        .map(|e| i64::from(e.change))
        .sum()
}

/// A limit and the policy that set it (`None` when scaling in that direction is disabled).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PolicyLimit {
    pub replicas: i64,
    pub policy: Option<ScalingPolicy>,
}

/// The replicas at the start of the policy's period: the current count without the changes
/// made inside the period.
fn period_start(
    current: i64,
    up_events: &[ScaleEvent],
    down_events: &[ScaleEvent],
    now: SimTime,
    period: SimDuration,
) -> i64 {
    current - change_in_period(up_events, now, period) + change_in_period(down_events, now, period)
}

/// `calculateScaleUpLimitWithScalingRules`: the highest count the policies allow now.
pub fn scale_up_limit(
    current_replicas: u32,
    up_events: &[ScaleEvent],
    down_events: &[ScaleEvent],
    rules: &ScalingRules,
    now: SimTime,
) -> PolicyLimit {
    let current = i64::from(current_replicas);
    let mut best: Option<(i64, ScalingPolicy)> = None;
    if rules.select_policy == SelectPolicy::Disabled {
        return PolicyLimit {
            replicas: current,
            policy: None,
        };
    }
    for &policy in &rules.policies {
        let start = period_start(current, up_events, down_events, now, policy.period());
        let proposed = match policy {
            ScalingPolicy::Pods { value, .. } => start + i64::from(value),
            // Rounded up, so that a small percentage still adds a pod.
            ScalingPolicy::Percent { value, .. } => {
                (start as f64 * (1.0 + f64::from(value) / 100.0)).ceil() as i64
            }
        };
        let better = match (best, rules.select_policy) {
            (None, _) => true,
            (Some((b, _)), SelectPolicy::Min) => proposed < b,
            (Some((b, _)), _) => proposed > b,
        };
        if better {
            best = Some((proposed, policy));
        }
    }
    match best {
        Some((replicas, policy)) => PolicyLimit {
            replicas,
            policy: Some(policy),
        },
        // No policy: upstream's initial `math.MinInt32`/`MaxInt32` (validation forbids this).
        None => PolicyLimit {
            replicas: if rules.select_policy == SelectPolicy::Min {
                i64::from(i32::MAX)
            } else {
                i64::from(i32::MIN)
            },
            policy: None,
        },
    }
}

/// `calculateScaleDownLimitWithBehaviors`: the lowest count the policies allow now.
pub fn scale_down_limit(
    current_replicas: u32,
    up_events: &[ScaleEvent],
    down_events: &[ScaleEvent],
    rules: &ScalingRules,
    now: SimTime,
) -> PolicyLimit {
    let current = i64::from(current_replicas);
    let mut best: Option<(i64, ScalingPolicy)> = None;
    if rules.select_policy == SelectPolicy::Disabled {
        return PolicyLimit {
            replicas: current,
            policy: None,
        };
    }
    for &policy in &rules.policies {
        let start = period_start(current, up_events, down_events, now, policy.period());
        let proposed = match policy {
            ScalingPolicy::Pods { value, .. } => start - i64::from(value),
            // Truncated toward zero, as Go's int32(float64) conversion.
            ScalingPolicy::Percent { value, .. } => {
                (start as f64 * (1.0 - f64::from(value) / 100.0)) as i64
            }
        };
        let better = match (best, rules.select_policy) {
            (None, _) => true,
            (Some((b, _)), SelectPolicy::Min) => proposed > b,
            (Some((b, _)), _) => proposed < b,
        };
        if better {
            best = Some((proposed, policy));
        }
    }
    match best {
        Some((replicas, policy)) => PolicyLimit {
            replicas,
            policy: Some(policy),
        },
        None => PolicyLimit {
            replicas: if rules.select_policy == SelectPolicy::Min {
                i64::from(i32::MIN)
            } else {
                i64::from(i32::MAX)
            },
            policy: None,
        },
    }
}

/// Upstream's `ScalingLimited` condition reasons.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LimitReason {
    DesiredWithinRange,
    ScaleUpLimit,
    TooManyReplicas,
    ScaleDownLimit,
    TooFewReplicas,
}

impl LimitReason {
    pub fn as_str(self) -> &'static str {
        match self {
            LimitReason::DesiredWithinRange => "DesiredWithinRange",
            LimitReason::ScaleUpLimit => "ScaleUpLimit",
            LimitReason::TooManyReplicas => "TooManyReplicas",
            LimitReason::ScaleDownLimit => "ScaleDownLimit",
            LimitReason::TooFewReplicas => "TooFewReplicas",
        }
    }
}

/// The result of the rate limit and clamp: the count, the condition reason upstream sets, and
/// the policy behind a `ScaleUpLimit`/`ScaleDownLimit` (none for the legacy path or a disabled
/// direction).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Limited {
    pub replicas: u32,
    pub reason: LimitReason,
    pub policy: Option<ScalingPolicy>,
}

/// `convertDesiredReplicasWithBehaviorRate`: caps a scale-up at the policies' limit (never
/// below the current count) and at `max_replicas`, a scale-down at the policies' limit (never
/// above the current count) and at `min_replicas`.
#[allow(clippy::too_many_arguments)]
pub fn rate_limit_with_behavior(
    current_replicas: u32,
    desired_replicas: u32,
    min_replicas: u32,
    max_replicas: u32,
    up_events: &[ScaleEvent],
    down_events: &[ScaleEvent],
    behavior: &Behavior,
    now: SimTime,
) -> Limited {
    let (current, desired) = (i64::from(current_replicas), i64::from(desired_replicas));
    let within = Limited {
        replicas: desired_replicas,
        reason: LimitReason::DesiredWithinRange,
        policy: None,
    };
    if desired > current {
        let limit = scale_up_limit(
            current_replicas,
            up_events,
            down_events,
            &behavior.scale_up,
            now,
        );
        let limit_replicas = limit.replicas.max(current);
        let max = i64::from(max_replicas);
        let (allowed, reason, policy) = if max > limit_replicas {
            (limit_replicas, LimitReason::ScaleUpLimit, limit.policy)
        } else {
            (max, LimitReason::TooManyReplicas, None)
        };
        if desired > allowed {
            return Limited {
                replicas: to_replicas(allowed),
                reason,
                policy,
            };
        }
    } else if desired < current {
        let limit = scale_down_limit(
            current_replicas,
            up_events,
            down_events,
            &behavior.scale_down,
            now,
        );
        let limit_replicas = limit.replicas.min(current);
        let min = i64::from(min_replicas);
        let (allowed, reason, policy) = if min < limit_replicas {
            (limit_replicas, LimitReason::ScaleDownLimit, limit.policy)
        } else {
            (min, LimitReason::TooFewReplicas, None)
        };
        if desired < allowed {
            return Limited {
                replicas: to_replicas(allowed),
                reason,
                policy,
            };
        }
    }
    within
}

fn to_replicas(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

/// `scaleUpLimitFactor` and `scaleUpLimitMinimum` (horizontal.go): without behavior, one sync
/// may at most double the replicas, or reach 4.
pub fn legacy_scale_up_limit(current_replicas: u32) -> u32 {
    let doubled = (2.0 * f64::from(current_replicas)).max(4.0);
    doubled.min(f64::from(i32::MAX)) as u32
}

/// `convertDesiredReplicasWithRules` (no behavior): clamps to `[min, min(max, scale-up limit)]`.
pub fn rate_limit_legacy(
    current_replicas: u32,
    desired_replicas: u32,
    min_replicas: u32,
    max_replicas: u32,
) -> Limited {
    let scale_up_limit = legacy_scale_up_limit(current_replicas);
    let (max_allowed, reason) = if max_replicas > scale_up_limit {
        (scale_up_limit, LimitReason::ScaleUpLimit)
    } else {
        (max_replicas, LimitReason::TooManyReplicas)
    };
    let (replicas, reason) = if desired_replicas < min_replicas {
        (min_replicas, LimitReason::TooFewReplicas)
    } else if desired_replicas > max_allowed {
        (max_allowed, reason)
    } else {
        (desired_replicas, LimitReason::DesiredWithinRange)
    };
    Limited {
        replicas,
        reason,
        policy: None,
    }
}

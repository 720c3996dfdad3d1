//! One HorizontalPodAutoscaler's reconcile: its histories and the decision of each sync.
//!
//! A port of `kubernetes/kubernetes` `pkg/controller/podautoscaler/horizontal.go`
//! `reconcileAutoscaler` (≈ v1.30–1.32) with `computeReplicasForMetrics` / `computeReplicasForMetric`,
//! `recordInitialRecommendation`, `normalizeDesiredReplicas`,
//! `normalizeDesiredReplicasWithBehaviors`, `storeScaleEvent` and `tolerancesForHpa`. The
//! per-metric arithmetic is in [`crate::hpa::replica_calculator`], the limits in
//! [`crate::hpa::behavior`].
//!
//! The controller calls [`Hpa::sync`] every sync period with what the metrics APIs return at
//! that instant (see [`crate::hpa::metrics_window`] for the lag) and applies `to_replicas` when
//! it differs from `from_replicas`; the [`Decision`] says why, for the events table.

use std::cmp::Ordering;
use std::fmt::Write as _;
use std::sync::Arc;

use sim::time::{SimDuration, SimTime};

use crate::api::BoundsStep;

use crate::hpa::behavior::{
    Behavior, LimitReason, Limited, Recommendation, ScaleEvent, prune_events,
    prune_recommendations, rate_limit_legacy, rate_limit_with_behavior, stabilize_legacy,
    stabilize_with_behavior,
};
use crate::hpa::config::{
    AverageValueTarget, HpaConfig, HpaControllerConfig, MetricSpec, ResourceName, ResourceTarget,
    ValueTarget,
};
use crate::hpa::replica_calculator::{
    CalcError, PodGroup, Readiness, Tolerances, average_value_replicas, per_pod_value_replicas,
    resource_utilization_replicas, value_replicas,
};

/// What the metrics APIs return for one entry of `spec.metrics`, in the same order.
#[derive(Copy, Clone, Debug)]
pub enum MetricInput<'a> {
    /// Resource, ContainerResource and Pods metrics: the target's pods, each group with the
    /// request and sample of the metric's resource (or container, or custom metric).
    PerPod(&'a [PodGroup]),
    /// Object and External metrics: the value (for External, the sum of the series) and the
    /// target's pods (a `Value` target multiplies by the Running and Ready ones).
    Value {
        value_millis: u64,
        pods: &'a [PodGroup],
    },
    /// The metric could not be read (e.g. the adapter is down): an invalid metric.
    Unavailable(&'a str),
}

/// The scale subresource of the target: `spec.replicas` (the count the HPA changes) and
/// `status.replicas` (pods that exist, which per-pod Object/External targets divide by).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ScaleTarget {
    pub spec_replicas: u32,
    pub status_replicas: u32,
}

/// A metric's current value against its target, as `kubectl describe hpa` shows it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum MetricValue {
    Utilization { percent: i32, target_percent: u32 },
    AverageValue { millis: i64, target_millis: u64 },
    Value { millis: i64, target_millis: u64 },
}

impl std::fmt::Display for MetricValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (current, target) = match *self {
            MetricValue::Utilization {
                percent,
                target_percent,
            } => return write!(f, "{percent}%/{target_percent}%"),
            MetricValue::AverageValue {
                millis,
                target_millis,
            } => (millis, target_millis),
            MetricValue::Value {
                millis,
                target_millis,
            } => (millis, target_millis),
        };
        write!(f, "{}/{}", quantity(current), quantity(target as i64))
    }
}

/// A milli-value in Kubernetes spelling: "250m", "12".
fn quantity(millis: i64) -> String {
    if millis % 1000 == 0 {
        (millis / 1000).to_string()
    } else {
        format!("{millis}m")
    }
}

/// One metric's part of a decision.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricOutcome {
    /// e.g. "cpu", "queue_length", "requests_per_second of ingress/api" (shared with the
    /// [`Hpa`], so a sync allocates no text).
    pub name: Arc<str>,
    /// The current value and the replica count the metric proposes, or why it has none.
    pub result: Result<(MetricValue, u32), CalcError>,
}

/// Which path of `reconcileAutoscaler` the sync took.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Path {
    /// `spec.replicas` is 0 with `minReplicas` > 0: autoscaling is off (`ScalingDisabled`).
    ScalingDisabled,
    /// `spec.replicas` above `maxReplicas`: set to the maximum without reading metrics.
    AboveMax,
    /// `spec.replicas` below `minReplicas`: set to the minimum without reading metrics.
    BelowMin,
    /// Every metric invalid, or some invalid while the rest would scale down: nothing done
    /// (`FailedComputeMetricsReplicas`).
    InvalidMetrics,
    /// Metrics read, proposal stabilized and limited.
    Computed,
}

/// The stabilization window that moved the proposal.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Window {
    /// `behavior.scaleUp.stabilizationWindowSeconds`: held at the lowest recent recommendation.
    ScaleUp(SimDuration),
    /// `behavior.scaleDown.stabilizationWindowSeconds`: held at the highest recent one.
    ScaleDown(SimDuration),
    /// No behavior: `--horizontal-pod-autoscaler-downscale-stabilization`.
    Downscale(SimDuration),
}

/// The outcome of one sync, as data; [`Decision::reason`] renders it for the events table.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub at: SimTime,
    pub from_replicas: u32,
    pub to_replicas: u32,
    pub min_replicas: u32,
    pub max_replicas: u32,
    pub path: Path,
    /// One per entry of `spec.metrics` (empty unless metrics were read).
    pub metrics: Vec<MetricOutcome>,
    /// The largest proposal of the valid metrics.
    pub proposal: Option<u32>,
    /// The proposal after the stabilization window(s).
    pub stabilized: Option<u32>,
    /// The window that made `stabilized` differ from `proposal`.
    pub held_by: Option<Window>,
    /// The rate limit or min/max clamp applied after stabilization.
    pub limit: Option<Limited>,
    /// A cost-aware policy's cut of the scale-up, after the limits (`cost_aware`).
    pub cost_cut: Option<CostCut>,
    /// Whether the HPA has no `behavior` (the legacy limits).
    pub legacy: bool,
}

/// A scale-up a cost-aware policy cut: the factor and the count it would have reached.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostCut {
    pub factor: f64,
    pub uncut: u32,
}

impl Decision {
    /// Whether the controller changes `spec.replicas`.
    pub fn rescale(&self) -> bool {
        self.to_replicas != self.from_replicas
    }

    /// A sentence for the events table: each metric's value against its target and its
    /// proposal, then what moved the result, e.g.
    /// "cpu 93%/70% → 18; proposal 18; limited by ScaleUpLimit (policy Pods 4/15s) → 16".
    pub fn reason(&self) -> String {
        let (from, min, max) = (self.from_replicas, self.min_replicas, self.max_replicas);
        match self.path {
            Path::ScalingDisabled => {
                return "scaling is disabled since the replica count of the target is zero"
                    .to_owned();
            }
            Path::AboveMax => return format!("{from} above max_replicas {max} → {max}"),
            Path::BelowMin => return format!("{from} below min_replicas {min} → {min}"),
            Path::InvalidMetrics | Path::Computed => {}
        }
        let mut reason = String::new();
        for m in &self.metrics {
            match &m.result {
                Ok((value, replicas)) => {
                    let _ = write!(reason, "{} {value} → {replicas}; ", m.name);
                }
                Err(e) => {
                    let _ = write!(reason, "{} invalid ({e}); ", m.name);
                }
            }
        }
        if self.path == Path::InvalidMetrics {
            let invalid = self.metrics.iter().filter(|m| m.result.is_err()).count();
            let _ = write!(
                reason,
                "{invalid} of {} metrics invalid: no change",
                self.metrics.len()
            );
            return reason;
        }
        let _ = write!(reason, "proposal {}", self.proposal.unwrap_or(0));
        if let (Some(window), Some(stabilized)) = (self.held_by, self.stabilized) {
            let _ = match window {
                Window::ScaleUp(w) => {
                    write!(
                        reason,
                        "; scaleUp stabilization window {w} holds {stabilized}"
                    )
                }
                Window::ScaleDown(w) => {
                    write!(
                        reason,
                        "; scaleDown stabilization window {w} holds {stabilized}"
                    )
                }
                Window::Downscale(w) => {
                    write!(reason, "; downscale stabilization ({w}) holds {stabilized}")
                }
            };
        }
        if let Some(limited) = self.limit
            && limited.reason != LimitReason::DesiredWithinRange
        {
            let _ = write!(reason, "; limited by {}", limited.reason.as_str());
            match (limited.policy, limited.reason) {
                (Some(policy), _) => {
                    let _ = write!(reason, " (policy {policy})");
                }
                (None, LimitReason::ScaleUpLimit) if self.legacy => {
                    reason.push_str(" (max(2 × current, 4))");
                }
                (None, LimitReason::ScaleUpLimit | LimitReason::ScaleDownLimit) => {
                    reason.push_str(" (selectPolicy Disabled)");
                }
                _ => {}
            }
            let _ = write!(reason, " → {}", limited.replicas);
        }
        if let Some(c) = self.cost_cut {
            let _ = write!(
                reason,
                "; cost-aware factor {} on the scale-up to {} → {}",
                c.factor, c.uncut, self.to_replicas
            );
        }
        reason
    }
}

/// One HPA: its resolved spec and its histories.
#[derive(Clone, Debug)]
pub struct Hpa {
    min_replicas: u32,
    max_replicas: u32,
    metrics: Vec<MetricSpec>,
    metric_names: Vec<Arc<str>>,
    behavior: Option<Behavior>,
    controller: HpaControllerConfig,
    tolerances: Tolerances,
    recommendations: Vec<Recommendation>,
    initialized: bool,
    scale_up_events: Vec<ScaleEvent>,
    scale_down_events: Vec<ScaleEvent>,
    /// A cost-aware policy's factor on scale-ups, while its budget is low (`cost_aware`).
    scale_up_factor: Option<f64>,
}

impl Hpa {
    /// The config is assumed validated ([`HpaConfig::validate`]).
    pub fn new(config: &HpaConfig, controller: &HpaControllerConfig) -> Hpa {
        let behavior = config
            .behavior
            .as_ref()
            .map(|b| Behavior::resolve(b, controller));
        // tolerancesForHpa: per-direction tolerances only come with a behavior.
        let tolerances = match &behavior {
            Some(b) => Tolerances {
                scale_down: b.scale_down.tolerance,
                scale_up: b.scale_up.tolerance,
            },
            None => Tolerances::symmetric(controller.tolerance),
        };
        Hpa {
            min_replicas: config.min_replicas,
            max_replicas: config.max_replicas,
            metrics: config.metrics.clone(),
            metric_names: config
                .metrics
                .iter()
                .map(|m| Arc::from(m.display_name()))
                .collect(),
            behavior,
            controller: controller.clone(),
            tolerances,
            recommendations: Vec::new(),
            initialized: false,
            scale_up_events: Vec::new(),
            scale_up_factor: None,
            scale_down_events: Vec::new(),
        }
    }

    /// Applies a scheduled change of `minReplicas`/`maxReplicas` (KEDA's cron scaler, scheduled
    /// scaling actions; [`BoundsStep::apply`]). The next sync clamps to the new bounds.
    pub fn set_bounds(&mut self, step: &BoundsStep) {
        (self.min_replicas, self.max_replicas) = step.apply((self.min_replicas, self.max_replicas));
    }

    /// Cuts the scale-ups of the next syncs by `factor` (`cost_aware::cut`), or stops
    /// cutting (`None`).
    pub fn set_scale_up_factor(&mut self, factor: Option<f64>) {
        self.scale_up_factor = factor;
    }

    /// `(minReplicas, maxReplicas)` now.
    pub fn bounds(&self) -> (u32, u32) {
        (self.min_replicas, self.max_replicas)
    }

    /// The tolerances the replica calculation applies (`tolerancesForHpa`).
    pub fn tolerances(&self) -> Tolerances {
        self.tolerances
    }

    /// The metrics, in the order [`Hpa::sync`] expects its inputs.
    pub fn metrics(&self) -> &[MetricSpec] {
        &self.metrics
    }

    /// One `reconcileAutoscaler`. `inputs` follow the order of [`Hpa::metrics`]; a missing or
    /// mismatched input counts as an invalid metric.
    pub fn sync(&mut self, now: SimTime, scale: ScaleTarget, inputs: &[MetricInput]) -> Decision {
        let current = scale.spec_replicas;
        if !self.initialized {
            // recordInitialRecommendation
            self.recommendations.push(Recommendation {
                replicas: current,
                at: now,
            });
            self.initialized = true;
        }
        let mut decision = Decision {
            at: now,
            from_replicas: current,
            to_replicas: current,
            min_replicas: self.min_replicas,
            max_replicas: self.max_replicas,
            path: Path::Computed,
            metrics: Vec::new(),
            proposal: None,
            stabilized: None,
            held_by: None,
            limit: None,
            cost_cut: None,
            legacy: self.behavior.is_none(),
        };
        if current == 0 && self.min_replicas != 0 {
            decision.path = Path::ScalingDisabled;
            return decision;
        }
        if current > self.max_replicas {
            decision.path = Path::AboveMax;
            decision.to_replicas = self.max_replicas;
        } else if current < self.min_replicas {
            decision.path = Path::BelowMin;
            decision.to_replicas = self.min_replicas;
        } else {
            self.compute(now, scale, inputs, &mut decision);
            if let Some(factor) = self.scale_up_factor {
                let cut = crate::hpa::cost_aware::cut(current, decision.to_replicas, factor);
                if cut < decision.to_replicas {
                    decision.cost_cut = Some(CostCut {
                        factor,
                        uncut: decision.to_replicas,
                    });
                    decision.to_replicas = cut;
                }
            }
        }
        if decision.rescale() {
            self.store_scale_event(now, current, decision.to_replicas);
        }
        decision
    }

    /// computeReplicasForMetrics, then normalizeDesiredReplicas(WithBehaviors).
    fn compute(
        &mut self,
        now: SimTime,
        scale: ScaleTarget,
        inputs: &[MetricInput],
        decision: &mut Decision,
    ) {
        let current = scale.spec_replicas;
        let readiness = Readiness {
            now,
            cpu_initialization_period: self.controller.cpu_initialization_period,
            initial_readiness_delay: self.controller.initial_readiness_delay,
        };
        let mut proposal: Option<u32> = None;
        let mut invalid = 0usize;
        for (i, spec) in self.metrics.iter().enumerate() {
            let input = inputs
                .get(i)
                .copied()
                .unwrap_or(MetricInput::Unavailable("no input given"));
            let result = metric_proposal(spec, input, scale, self.tolerances, &readiness);
            match &result {
                Ok((_, replicas)) => {
                    proposal = Some(proposal.map_or(*replicas, |p| p.max(*replicas)));
                }
                Err(_) => invalid += 1,
            }
            decision.metrics.push(MetricOutcome {
                name: Arc::clone(&self.metric_names[i]),
                result,
            });
        }
        decision.proposal = proposal;
        let desired = proposal.unwrap_or(0);
        if invalid >= self.metrics.len() || (invalid > 0 && desired < current) {
            decision.path = Path::InvalidMetrics;
            return;
        }
        let limited = match &self.behavior {
            None => {
                let window = self.controller.downscale_stabilization;
                let stabilized = stabilize_legacy(&self.recommendations, now, desired, window);
                prune_recommendations(&mut self.recommendations, now, window);
                self.recommendations.push(Recommendation {
                    replicas: desired,
                    at: now,
                });
                if stabilized != desired {
                    decision.held_by = Some(Window::Downscale(window));
                }
                decision.stabilized = Some(stabilized);
                rate_limit_legacy(current, stabilized, self.min_replicas, self.max_replicas)
            }
            Some(behavior) => {
                let (up_window, down_window) = (
                    behavior.scale_up.stabilization_window,
                    behavior.scale_down.stabilization_window,
                );
                let stabilized = stabilize_with_behavior(
                    &self.recommendations,
                    now,
                    current,
                    desired,
                    up_window,
                    down_window,
                );
                // A recommendation older than both windows never counts again.
                prune_recommendations(&mut self.recommendations, now, up_window.max(down_window));
                self.recommendations.push(Recommendation {
                    replicas: desired,
                    at: now,
                });
                decision.held_by = match stabilized.cmp(&desired) {
                    Ordering::Greater => Some(Window::ScaleDown(down_window)),
                    Ordering::Less => Some(Window::ScaleUp(up_window)),
                    Ordering::Equal => None,
                };
                decision.stabilized = Some(stabilized);
                rate_limit_with_behavior(
                    current,
                    stabilized,
                    self.min_replicas,
                    self.max_replicas,
                    &self.scale_up_events,
                    &self.scale_down_events,
                    behavior,
                    now,
                )
            }
        };
        decision.to_replicas = limited.replicas;
        decision.limit = Some(limited);
    }

    /// storeScaleEvent: only kept with a behavior, which is the only reader.
    fn store_scale_event(&mut self, now: SimTime, from: u32, to: u32) {
        let Some(behavior) = &self.behavior else {
            return;
        };
        let (events, rules, change) = if to > from {
            (&mut self.scale_up_events, &behavior.scale_up, to - from)
        } else {
            (&mut self.scale_down_events, &behavior.scale_down, from - to)
        };
        prune_events(events, now, rules.longest_period());
        events.push(ScaleEvent { change, at: now });
    }
}

/// computeReplicasForMetric for one metric: the current value and the proposal.
fn metric_proposal(
    spec: &MetricSpec,
    input: MetricInput,
    scale: ScaleTarget,
    tolerances: Tolerances,
    readiness: &Readiness,
) -> Result<(MetricValue, u32), CalcError> {
    let current = scale.spec_replicas;
    if let MetricInput::Unavailable(why) = input {
        return Err(CalcError::Unavailable(why.to_owned()));
    }
    match (spec, input) {
        (
            MetricSpec::Resource { name, target }
            | MetricSpec::ContainerResource { name, target, .. },
            MetricInput::PerPod(pods),
        ) => {
            let cpu_rules = *name == ResourceName::Cpu;
            match *target {
                ResourceTarget::Utilization(target_percent) => {
                    let p = resource_utilization_replicas(
                        current,
                        target_percent,
                        cpu_rules,
                        pods,
                        tolerances,
                        readiness,
                    )?;
                    Ok((
                        MetricValue::Utilization {
                            percent: p.utilization_percent,
                            target_percent,
                        },
                        p.replicas,
                    ))
                }
                ResourceTarget::AverageValue(target) => {
                    let p = average_value_replicas(
                        current, target.0, cpu_rules, pods, tolerances, readiness,
                    )?;
                    Ok((
                        MetricValue::AverageValue {
                            millis: p.usage_millis,
                            target_millis: target.0,
                        },
                        p.replicas,
                    ))
                }
            }
        }
        (
            MetricSpec::Pods {
                target: AverageValueTarget::AverageValue(target),
                ..
            },
            MetricInput::PerPod(pods),
        ) => {
            let p = average_value_replicas(current, target.0, false, pods, tolerances, readiness)?;
            Ok((
                MetricValue::AverageValue {
                    millis: p.usage_millis,
                    target_millis: target.0,
                },
                p.replicas,
            ))
        }
        (
            MetricSpec::Object { target, .. } | MetricSpec::External { target, .. },
            MetricInput::Value { value_millis, pods },
        ) => match *target {
            ValueTarget::Value(target) => {
                let p = value_replicas(current, value_millis, target.0, pods, tolerances)?;
                Ok((
                    MetricValue::Value {
                        millis: p.usage_millis,
                        target_millis: target.0,
                    },
                    p.replicas,
                ))
            }
            ValueTarget::AverageValue(target) => {
                let p = per_pod_value_replicas(
                    scale.status_replicas,
                    value_millis,
                    target.0,
                    tolerances,
                );
                Ok((
                    MetricValue::AverageValue {
                        millis: p.usage_millis,
                        target_millis: target.0,
                    },
                    p.replicas,
                ))
            }
        },
        _ => Err(CalcError::Unavailable(
            "the input does not match the metric's type".to_owned(),
        )),
    }
}

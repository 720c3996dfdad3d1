//! One HPA sync as rows of the decisions table: a `metric` row per entry of `spec.metrics`
//! (its value against its target, the tolerance, the replicas it proposes) and one `sync` row
//! (the largest proposal, the stabilization window's recommendation, the behavior's limit, the
//! final desired count).
//!
//! Outcomes are the reasons `kubernetes/kubernetes` `pkg/controller/podautoscaler/horizontal.go`
//! puts on the HPA's conditions: `ScalingLimited` (`ScaleUpLimit`, `ScaleDownLimit`,
//! `TooManyReplicas`, `TooFewReplicas`, `DesiredWithinRange`), `AbleToScale`
//! (`ScaleUpStabilized`, `ScaleDownStabilized`), `ScalingActive` (`ScalingDisabled`,
//! `FailedComputeMetricsReplicas`), and this simulator's own `CostAwareScaleUpLimit` when a
//! cost-aware policy cut a scale-up (`hpa::cost_aware`). The tolerance test is `replica_calculator.go`'s
//! `tolerances.isWithin(usageRatio)`: within when `1 − ratio ≤ scaleDown` and
//! `ratio − 1 ≤ scaleUp` (default 0.1 both, `--horizontal-pod-autoscaler-tolerance`); here the
//! ratio is taken of the value and target shown (whole percents for utilization), so it can
//! differ from upstream's by a rounding at the boundary.

use std::sync::Arc;

use crate::api::decisions::{Controller, Decision as Row, Decisions, Described, Figures, Scope};
use crate::hpa::behavior::LimitReason;
use crate::hpa::controller::{Decision, MetricValue, Path, Window};
use crate::hpa::replica_calculator::Tolerances;

/// The value and target of a metric as shown (percent, or the quantity in units).
fn value_target(v: &MetricValue) -> (f64, f64, bool) {
    match *v {
        MetricValue::Utilization {
            percent,
            target_percent,
        } => (f64::from(percent), f64::from(target_percent), true),
        MetricValue::AverageValue {
            millis,
            target_millis,
        }
        | MetricValue::Value {
            millis,
            target_millis,
        } => (millis as f64 / 1000.0, target_millis as f64 / 1000.0, false),
    }
}

/// `isWithin`: whether the usage ratio is inside the tolerances.
fn within(ratio: f64, t: Tolerances) -> bool {
    1.0 - ratio <= t.scale_down && ratio - 1.0 <= t.scale_up
}

/// The sync row's outcome: the condition reason that says what shaped the result.
pub fn outcome(d: &Decision) -> &'static str {
    match d.path {
        Path::ScalingDisabled => "ScalingDisabled",
        Path::AboveMax => "TooManyReplicas",
        Path::BelowMin => "TooFewReplicas",
        Path::InvalidMetrics => "FailedComputeMetricsReplicas",
        Path::Computed if d.cost_cut.is_some() => "CostAwareScaleUpLimit",
        Path::Computed => match (d.limit, d.held_by) {
            (Some(l), _) if l.reason != LimitReason::DesiredWithinRange => l.reason.as_str(),
            (_, Some(Window::ScaleUp(_))) => "ScaleUpStabilized",
            (_, Some(Window::ScaleDown(_) | Window::Downscale(_))) => "ScaleDownStabilized",
            _ => "DesiredWithinRange",
        },
    }
}

/// Records `d`, the sync of HPA number `index`, in `log`.
pub fn record(log: &Decisions, index: usize, scope: &Scope, t: Tolerances, d: &Decision) {
    let time_ns = d.at.as_nanos();
    let stream = (index as u64) << 8;
    let from = f64::from(d.from_replicas);
    for (k, m) in d.metrics.iter().enumerate() {
        let (outcome, figures) = match &m.result {
            Ok((value, replicas)) => {
                let (v, target, _) = value_target(value);
                (
                    "proposal",
                    Figures {
                        value: v,
                        target,
                        current: from,
                        proposed: f64::from(*replicas),
                        final_: f64::NAN,
                    },
                )
            }
            Err(_) => (
                "InvalidMetric",
                Figures {
                    current: from,
                    ..Figures::NONE
                },
            ),
        };
        let row = Row {
            time_ns,
            controller: Controller::Hpa,
            stream: stream | (k as u64 & 0x7f),
            kind: "metric",
            outcome,
            figures,
        };
        log.record(row, || Described {
            scope: scope.clone(),
            subject: Arc::clone(&m.name),
            detail: match &m.result {
                Ok((value, replicas)) => {
                    metric_detail(&m.name, value, *replicas, d.from_replicas, t)
                }
                Err(e) => format!("{} invalid: {e}", m.name),
            },
        });
    }
    let row = Row {
        time_ns,
        controller: Controller::Hpa,
        stream,
        kind: "sync",
        outcome: outcome(d),
        figures: Figures {
            value: d.stabilized.map_or(f64::NAN, f64::from),
            target: f64::NAN,
            current: from,
            proposed: d.proposal.map_or(f64::NAN, f64::from),
            final_: f64::from(d.to_replicas),
        },
    };
    log.record(row, || Described {
        scope: scope.clone(),
        subject: Arc::from(""),
        detail: format!(
            "{}; desired {} (from {}, bounds {}..{})",
            d.reason(),
            d.to_replicas,
            d.from_replicas,
            d.min_replicas,
            d.max_replicas
        ),
    });
}

/// e.g. "cpu 90% of 60% target → proposes 6 (from 4); tolerance 0.1 exceeded".
pub fn metric_detail(
    name: &str,
    value: &MetricValue,
    proposal: u32,
    from: u32,
    t: Tolerances,
) -> String {
    let (v, target, percent) = value_target(value);
    let shown = |x: f64| {
        if percent {
            format!("{x}%")
        } else {
            format!("{x}")
        }
    };
    let ratio = if target > 0.0 { v / target } else { f64::NAN };
    let tolerance = if within(ratio, t) {
        "within tolerance"
    } else {
        "tolerance exceeded"
    };
    let tolerance_value = if ratio >= 1.0 {
        t.scale_up
    } else {
        t.scale_down
    };
    format!(
        "{name} {} of {} target (ratio {ratio:.3}) → proposes {proposal} (from {from}); {tolerance} ({tolerance_value})",
        shown(v),
        shown(target)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_90_of_60_on_4_pods_reads_as_a_proposal_of_6() {
        // ratio 90/60 = 1.5 > 1.1: outside the default tolerance; ceil(4 × 1.5) = 6.
        let t = Tolerances::symmetric(0.1);
        let v = MetricValue::Utilization {
            percent: 90,
            target_percent: 60,
        };
        assert_eq!(
            metric_detail("cpu", &v, 6, 4, t),
            "cpu 90% of 60% target (ratio 1.500) → proposes 6 (from 4); tolerance exceeded (0.1)"
        );
        // 63/60 = 1.05 ≤ 1.1: within.
        let v = MetricValue::Utilization {
            percent: 63,
            target_percent: 60,
        };
        assert!(metric_detail("cpu", &v, 4, 4, t).ends_with("within tolerance (0.1)"));
    }
}

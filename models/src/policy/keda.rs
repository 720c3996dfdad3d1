//! KEDA's activation: scaling a workload between zero and one replica on an event source, the
//! part of a `ScaledObject` the HPA cannot do (an HPA does nothing at zero replicas). Above one
//! replica KEDA leaves scaling to the HPA it creates, which clustersim runs as any HPA.
//!
//! From KEDA's `ScaledObject` specification (keda.sh/docs/2.15/reference/scaledobject-spec)
//! and its scale loop (`pkg/scaling/executor/scale_scaledobjects.go`):
//! - every `pollingInterval` (default 30 s) KEDA asks the scaler whether it is active: the
//!   metric above `activationThreshold` (default 0);
//! - active with the workload at zero replicas: scale to `minReplicaCount`, at least 1
//!   (event `KEDAScaleTargetActivated`);
//! - not active for `cooldownPeriod` (default 300 s) since the last active poll, with
//!   `minReplicaCount` 0 and the workload above zero: scale to zero
//!   (`KEDAScaleTargetDeactivated`). The cooldown applies only to scaling to zero;
//! - `initialCooldownPeriod` is 0 (its default): the cooldown runs from the start when the
//!   scaler was never active.

use sim::time::SimTime;

use crate::api::Reason;
use crate::policy::config::EventDrivenScaler;

/// An activation's memory between polls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Activation {
    last_active: Option<SimTime>,
}

/// What one poll decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Scale {
    pub to_replicas: u32,
    pub reason: Reason,
    pub why: String,
}

/// One poll at `now` with the trigger's `value` and the workload's desired `replicas`.
pub fn poll(
    scaler: &EventDrivenScaler,
    state: &mut Activation,
    now: SimTime,
    value: f64,
    replicas: u32,
) -> Option<Scale> {
    let metric = scaler.metric.name();
    let value = (value * 1000.0).round() / 1000.0;
    let threshold = scaler.activation_threshold;
    if value > threshold {
        state.last_active = Some(now);
        if replicas == 0 {
            let to = scaler.min_replicas.max(1);
            return Some(Scale {
                to_replicas: to,
                reason: Reason::KedaScaleTargetActivated,
                why: format!(
                    "{}: {metric} {value} > activation threshold {threshold}: 0 → {to}",
                    scaler.name
                ),
            });
        }
        return None;
    }
    let since = state.last_active.unwrap_or(SimTime::ZERO);
    let idle = now.saturating_duration_since(since);
    if scaler.min_replicas == 0 && replicas > 0 && idle >= scaler.cooldown {
        return Some(Scale {
            to_replicas: 0,
            reason: Reason::KedaScaleTargetDeactivated,
            why: format!(
                "{}: {metric} {value} ≤ activation threshold {threshold} for {idle} \
                 (cooldown {}): {replicas} → 0",
                scaler.name, scaler.cooldown
            ),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::config::EventMetric;
    use sim::time::SimDuration;

    fn s(secs: u64) -> SimTime {
        SimTime::from_secs(secs)
    }

    fn scaler(min_replicas: u32) -> EventDrivenScaler {
        EventDrivenScaler {
            name: "jobs".into(),
            set: None,
            service: "worker".into(),
            regions: None,
            metric: EventMetric::QueueLength,
            target: 10.0,
            activation_threshold: 0.0,
            min_replicas,
            max_replicas: 100,
            polling_interval: SimDuration::from_secs(30),
            cooldown: SimDuration::from_secs(300),
        }
    }

    #[test]
    fn a_queue_activates_a_workload_at_zero_and_an_idle_one_goes_back_after_the_cooldown() {
        let k = scaler(0);
        let mut st = Activation::default();
        // Nothing queued at 30 s, workload at 0: nothing to do.
        assert_eq!(poll(&k, &mut st, s(30), 0.0, 0), None);
        let up = poll(&k, &mut st, s(60), 3.0, 0).unwrap();
        assert_eq!(up.to_replicas, 1);
        assert_eq!(up.reason, Reason::KedaScaleTargetActivated);
        assert_eq!(
            up.why,
            "jobs: queue_length 3 > activation threshold 0: 0 → 1"
        );
        // Active at 90 s (the HPA scales 1..N meanwhile), idle from 120 s: the cooldown runs
        // from the last active poll, 90 s, so 360 s is too early and 390 s is on time.
        assert_eq!(poll(&k, &mut st, s(90), 25.0, 3), None);
        assert_eq!(poll(&k, &mut st, s(360), 0.0, 3), None);
        let down = poll(&k, &mut st, s(390), 0.0, 3).unwrap();
        assert_eq!(down.to_replicas, 0);
        assert_eq!(down.reason, Reason::KedaScaleTargetDeactivated);
        assert_eq!(
            down.why,
            "jobs: queue_length 0 ≤ activation threshold 0 for 5m0s (cooldown 5m0s): 3 → 0"
        );
    }

    #[test]
    fn a_minimum_above_zero_never_scales_to_zero_and_activates_to_it() {
        let k = scaler(2);
        let mut st = Activation::default();
        assert_eq!(poll(&k, &mut st, s(3600), 0.0, 2), None);
        assert_eq!(poll(&k, &mut st, s(3630), 1.0, 0).unwrap().to_replicas, 2);
        // Never active, replicas above zero: the cooldown runs from the start.
        let mut st = Activation::default();
        assert_eq!(poll(&scaler(0), &mut st, s(270), 0.0, 1), None);
        assert_eq!(
            poll(&scaler(0), &mut st, s(300), 0.0, 1)
                .unwrap()
                .to_replicas,
            0
        );
    }
}

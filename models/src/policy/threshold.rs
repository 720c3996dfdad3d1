//! Sustained-threshold scaling of a service's pods, as a Dask-on-Dataproc or EC2 Auto Scaling
//! step policy expresses it: "add workers when CPU > 80 % for 3 minutes (or memory > 75 %, or
//! pending work > 5), remove them when CPU < 30 % for 10 minutes, between 2 and 10, in steps,
//! with a cooldown". Pure functions over the values the model measures at each evaluation.
//!
//! Semantics, each with its source:
//! - A condition holds from the first evaluation that sees it true and is **sustained** once it
//!   has held at every evaluation for at least its `for` duration (a CloudWatch alarm's
//!   "M out of N" with M = N: every datapoint of the window breaching). One evaluation that
//!   sees it false resets it.
//! - Scale up when **any** scale-up condition is sustained; scale down when **every**
//!   scale-down condition is (and no scale-up one): removing capacity needs all signals quiet,
//!   as Dataproc scales down only on YARN memory that is idle.
//! - A step is a number of pods or a percentage of the current replicas rounded up, at least
//!   one pod (EC2 Auto Scaling's `PercentChangeInCapacity` with `MinAdjustmentMagnitude` 1),
//!   clamped to `min_replicas`..`max_replicas`.
//! - After a scaling the policy waits `cooldown` before the next (Dataproc's `cooldownPeriod`,
//!   default 2 min, bounds 2 min–1 day; EC2 simple scaling's cooldown). A condition still
//!   sustained when the cooldown ends scales again, as an alarm still in ALARM does.
//! - Outside `min_replicas`..`max_replicas` (the starting replicas) the policy clamps at its
//!   first evaluation, as the HPA does.

use sim::time::{SimDuration, SimTime};

use crate::policy::config::{Condition, MetricName, Step, ThresholdMetric, ThresholdPolicy};

/// Whether one condition holds, and since when.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sustain {
    since: Option<SimTime>,
}

impl Sustain {
    /// Records one evaluation at `now`; whether the condition has now held for `hold`.
    pub fn observe(&mut self, now: SimTime, holds: bool, hold: SimDuration) -> bool {
        if !holds {
            self.since = None;
            return false;
        }
        let since = *self.since.get_or_insert(now);
        now.saturating_duration_since(since) >= hold
    }
}

/// A threshold policy's memory between evaluations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ThresholdState {
    up: Vec<Sustain>,
    down: Vec<Sustain>,
    last_scaled: Option<SimTime>,
}

/// What one evaluation decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub to_replicas: u32,
    /// The event message: the condition(s) and values behind it.
    pub why: String,
}

/// The rules of a threshold policy, whatever it scales: a service's pods
/// ([`ThresholdPolicy::rules`]) or a node pool's nodes (`policy::pools`).
#[derive(Debug, Clone, PartialEq)]
pub struct Rules<'a, M> {
    pub scale_up: &'a [Condition<M>],
    pub scale_down: &'a [Condition<M>],
    pub min: u32,
    pub max: u32,
    pub step_up: Step,
    pub step_down: Step,
    pub cooldown: SimDuration,
}

impl ThresholdPolicy {
    pub fn rules(&self) -> Rules<'_, ThresholdMetric> {
        Rules {
            scale_up: &self.scale_up,
            scale_down: &self.scale_down,
            min: self.min_replicas,
            max: self.max_replicas,
            step_up: self.step_up,
            step_down: self.step_down,
            cooldown: self.cooldown,
        }
    }
}

/// The pods (or nodes) `step` adds or removes at `current`.
pub fn step_pods(step: Step, current: u32) -> u32 {
    match step {
        // The loader refuses steps below one; a larger one than any count is all of them.
        Step::Pods(n) | Step::Nodes(n) => u32::try_from(n.max(1)).unwrap_or(u32::MAX),
        Step::Percent(p) => {
            let pods = (f64::from(current) * p / 100.0).ceil();
            (pods.min(f64::from(u32::MAX)) as u32).max(1)
        }
    }
}

/// Whether `value` meets the condition's threshold (strictly above or below it).
fn holds<M>(c: &Condition<M>, value: f64) -> bool {
    match (c.above, c.below) {
        (Some(t), _) => value > t,
        (None, Some(t)) => value < t,
        (None, None) => false,
    }
}

/// `cpu_utilization 0.86 > 0.8 for 3m0s`.
fn describe<M: MetricName>(c: &Condition<M>, value: f64) -> String {
    let (op, t) = match (c.above, c.below) {
        (Some(t), _) => (">", t),
        (None, Some(t)) => ("<", t),
        (None, None) => ("?", f64::NAN),
    };
    format!(
        "{} {} {op} {} for {}",
        c.metric.name(),
        round3(value),
        round3(t),
        c.hold
    )
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// One evaluation of `policy` at `now`: `up_values` and `down_values` are the measured values
/// of its scale-up and scale-down conditions, in order; `current` the desired replicas (or
/// nodes).
pub fn evaluate<M: MetricName>(
    policy: &Rules<'_, M>,
    state: &mut ThresholdState,
    now: SimTime,
    up_values: &[f64],
    down_values: &[f64],
    current: u32,
) -> Option<Decision> {
    state.up.resize(policy.scale_up.len(), Sustain::default());
    state
        .down
        .resize(policy.scale_down.len(), Sustain::default());
    // Every condition is observed at every evaluation, cooldown or not, so its "since" is true.
    let up: Vec<bool> = policy
        .scale_up
        .iter()
        .zip(up_values)
        .zip(&mut state.up)
        .map(|((c, &v), s)| s.observe(now, holds(c, v), c.hold))
        .collect();
    let down: Vec<bool> = policy
        .scale_down
        .iter()
        .zip(down_values)
        .zip(&mut state.down)
        .map(|((c, &v), s)| s.observe(now, holds(c, v), c.hold))
        .collect();
    let bounds = format!("min {}, max {}", policy.min, policy.max);
    let clamped = current.clamp(policy.min, policy.max);
    if clamped != current {
        state.last_scaled = Some(now);
        return Some(Decision {
            to_replicas: clamped,
            why: format!("{current} outside {bounds} → {clamped}"),
        });
    }
    let cooling = state
        .last_scaled
        .is_some_and(|t| now.saturating_duration_since(t) < policy.cooldown);
    if cooling {
        return None;
    }
    let decision = if let Some(k) = up.iter().position(|&f| f) {
        let to = current
            .saturating_add(step_pods(policy.step_up, current))
            .min(policy.max);
        (to != current).then(|| Decision {
            to_replicas: to,
            why: format!(
                "{}: {current} → {to} (step up {}; {bounds})",
                describe(&policy.scale_up[k], up_values[k]),
                policy.step_up
            ),
        })
    } else if !down.is_empty() && down.iter().all(|&f| f) {
        let to = current
            .saturating_sub(step_pods(policy.step_down, current))
            .max(policy.min);
        let reasons: Vec<String> = policy
            .scale_down
            .iter()
            .zip(down_values)
            .map(|(c, &v)| describe(c, v))
            .collect();
        (to != current).then(|| Decision {
            to_replicas: to,
            why: format!(
                "{}: {current} → {to} (step down {}; {bounds})",
                reasons.join(" and "),
                policy.step_down
            ),
        })
    } else {
        None
    };
    if decision.is_some() {
        state.last_scaled = Some(now);
    }
    decision
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::config::ThresholdMetric;

    fn s(secs: u64) -> SimTime {
        SimTime::from_secs(secs)
    }

    fn cpu_above(t: f64, hold_s: u64) -> Condition {
        Condition {
            metric: ThresholdMetric::CpuUtilization,
            above: Some(t),
            below: None,
            hold: SimDuration::from_secs(hold_s),
        }
    }

    fn cpu_below(t: f64, hold_s: u64) -> Condition {
        Condition {
            below: Some(t),
            above: None,
            ..cpu_above(0.0, hold_s)
        }
    }

    /// The Dask-on-Dataproc policy of issue 20: up on cpu > 80 % for 3 min, down on cpu < 30 %
    /// for 10 min, 2 to 10 workers, one at a time, 2 min cooldown.
    fn dask() -> ThresholdPolicy {
        ThresholdPolicy {
            name: "dask".into(),
            set: None,
            service: "worker".into(),
            regions: None,
            min_replicas: 2,
            max_replicas: 10,
            scale_up: vec![cpu_above(0.8, 180)],
            scale_down: vec![cpu_below(0.3, 600)],
            step_up: Step::Pods(1),
            step_down: Step::Pods(1),
            cooldown: SimDuration::from_secs(120),
            evaluation_interval: SimDuration::from_secs(15),
        }
    }

    #[test]
    fn a_threshold_held_two_minutes_fifty_nine_does_not_fire_and_three_minutes_does() {
        let hold = SimDuration::from_secs(180);
        let mut c = Sustain::default();
        assert!(!c.observe(s(0), true, hold));
        assert!(!c.observe(s(179), true, hold));
        assert!(c.observe(s(180), true, hold));
        // One evaluation below the line starts the count again.
        let mut c = Sustain::default();
        assert!(!c.observe(s(0), true, hold));
        assert!(!c.observe(s(100), false, hold));
        assert!(!c.observe(s(179), true, hold));
        assert!(!c.observe(s(358), true, hold));
        assert!(c.observe(s(359), true, hold));
    }

    #[test]
    fn the_policy_scales_up_once_sustained_then_waits_out_its_cooldown() {
        let p = dask();
        let mut st = ThresholdState::default();
        // cpu 0.9 from 0 s, evaluated every 15 s: sustained at 180 s, not at 165 s.
        for t in (0..=165).step_by(15) {
            assert_eq!(
                evaluate(&p.rules(), &mut st, s(t), &[0.9], &[0.9], 4),
                None,
                "{t}"
            );
        }
        let d = evaluate(&p.rules(), &mut st, s(180), &[0.9], &[0.9], 4).unwrap();
        assert_eq!(d.to_replicas, 5);
        assert_eq!(
            d.why,
            "cpu_utilization 0.9 > 0.8 for 3m0s: 4 → 5 (step up 1 pod(s); min 2, max 10)"
        );
        // Still above: the cooldown (120 s) holds it until 300 s.
        assert_eq!(
            evaluate(&p.rules(), &mut st, s(285), &[0.9], &[0.9], 5),
            None
        );
        let d = evaluate(&p.rules(), &mut st, s(300), &[0.9], &[0.9], 5).unwrap();
        assert_eq!(d.to_replicas, 6);
    }

    #[test]
    fn scale_down_needs_every_condition_and_respects_the_bounds() {
        let mut p = dask();
        p.scale_down.push(Condition {
            metric: ThresholdMetric::PendingPods,
            below: Some(1.0),
            above: None,
            hold: SimDuration::from_secs(600),
        });
        let mut st = ThresholdState::default();
        // cpu quiet for 10 min but pods pending: no scale-down.
        for t in (0..=600).step_by(60) {
            assert_eq!(
                evaluate(&p.rules(), &mut st, s(t), &[0.1], &[0.1, 3.0], 3),
                None
            );
        }
        let mut st = ThresholdState::default();
        for t in (0..600).step_by(60) {
            assert_eq!(
                evaluate(&p.rules(), &mut st, s(t), &[0.1], &[0.1, 0.0], 3),
                None
            );
        }
        let d = evaluate(&p.rules(), &mut st, s(600), &[0.1], &[0.1, 0.0], 3).unwrap();
        assert_eq!(d.to_replicas, 2);
        assert!(
            d.why.contains("and pending_pods 0 < 1 for 10m0s: 3 → 2"),
            "{}",
            d.why
        );
        // At the minimum nothing more happens.
        assert_eq!(
            evaluate(&p.rules(), &mut st, s(2000), &[0.1], &[0.1, 0.0], 2),
            None
        );
    }

    #[test]
    fn percent_steps_round_up_to_at_least_one_pod_and_start_is_clamped() {
        assert_eq!(step_pods(Step::Percent(50.0), 5), 3);
        assert_eq!(step_pods(Step::Percent(10.0), 3), 1);
        assert_eq!(step_pods(Step::Percent(100.0), 0), 1);
        assert_eq!(step_pods(Step::Pods(4), 9), 4);
        let mut st = ThresholdState::default();
        let d = evaluate(&dask().rules(), &mut st, s(15), &[0.5], &[0.5], 1).unwrap();
        assert_eq!(
            (d.to_replicas, d.why.as_str()),
            (2, "1 outside min 2, max 10 → 2")
        );
    }
}

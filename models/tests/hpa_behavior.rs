//! Hand-computed HPA decisions through `Hpa::sync`: stabilization windows, Pods vs Percent
//! policies under each `selectPolicy`, the legacy path without `behavior`, min/max clamping and
//! several metrics. Each test shows its computation; the rules are horizontal.go's (see the
//! module docs of `clustersim_models::hpa::behavior` and `::controller`).

use clustersim_models::hpa::behavior::{
    Behavior, LimitReason, Recommendation, rate_limit_with_behavior, stabilize_legacy,
    stabilize_with_behavior,
};
use clustersim_models::hpa::config::{
    AverageValueTarget, BehaviorConfig, HpaConfig, HpaControllerConfig, MetricSpec, MilliQuantity,
    ResourceName, ResourceTarget, ScalingPolicy, ScalingRulesConfig, SelectPolicy,
};
use clustersim_models::hpa::controller::{Decision, Hpa, MetricInput, Path, ScaleTarget};
use clustersim_models::hpa::replica_calculator::{
    MetricSample, PodGroup, PodPhase, ReadyCondition,
};
use sim::time::{SimDuration, SimTime};

fn t(secs: u64) -> SimTime {
    SimTime::from_secs(secs)
}

fn secs(s: u64) -> SimDuration {
    SimDuration::from_secs(s)
}

fn cpu(target_percent: u32) -> MetricSpec {
    MetricSpec::Resource {
        name: ResourceName::Cpu,
        target: ResourceTarget::Utilization(target_percent),
    }
}

fn config(
    min: u32,
    max: u32,
    metrics: Vec<MetricSpec>,
    behavior: Option<BehaviorConfig>,
) -> HpaConfig {
    let c = HpaConfig {
        min_replicas: min,
        max_replicas: max,
        metrics,
        behavior,
    };
    assert_eq!(c.validate(), Ok(()));
    c
}

/// `count` pods, Running and Ready since t = 0 (past the 5-minute CPU initialization period
/// from t = 300 s on), 1000m requested each, `usage_millis` each, sampled at `now`.
fn pods(count: u32, usage_millis: u64, now: SimTime) -> PodGroup {
    PodGroup {
        count,
        phase: PodPhase::Running,
        deleting: false,
        start_time: Some(SimTime::ZERO),
        ready: Some(ReadyCondition {
            ready: true,
            last_transition: SimTime::ZERO,
        }),
        request_millis: Some(1000),
        metric: Some(MetricSample {
            value_millis: usage_millis,
            timestamp: now,
            window: secs(15),
        }),
    }
}

/// One sync of a cpu-only HPA with `replicas` pods at `usage_millis` each.
fn sync_cpu(hpa: &mut Hpa, now: SimTime, replicas: u32, usage_millis: u64) -> Decision {
    let group = [pods(replicas, usage_millis, now)];
    hpa.sync(
        now,
        ScaleTarget {
            spec_replicas: replicas,
            status_replicas: replicas,
        },
        &[MetricInput::PerPod(&group)],
    )
}

fn rules(select: SelectPolicy, window_s: u64, policies: Vec<ScalingPolicy>) -> ScalingRulesConfig {
    ScalingRulesConfig {
        stabilization_window: Some(secs(window_s)),
        select_policy: Some(select),
        policies: Some(policies),
        tolerance: None,
    }
}

#[test]
fn scale_down_window_holds_the_highest_recommendation_for_300_s() {
    // Default behavior: scaleDown window = controller's 5 min, 100 % per 15 s.
    let mut hpa = Hpa::new(
        &config(1, 20, vec![cpu(50)], Some(BehaviorConfig::default())),
        &HpaControllerConfig::default(),
    );
    // t = 1000: 10 pods at 500m = 50 % = target → ratio 1.0, within tolerance → 10.
    // History: {10 @1000 (initial)}, {10 @1000}.
    let d = sync_cpu(&mut hpa, t(1000), 10, 500);
    assert_eq!((d.proposal, d.to_replicas), (Some(10), 10));
    // From t = 1015 on: 250m = 25 % → ratio 0.5 → ceil(0.5 × 10) = 5 each sync. The down
    // window counts recommendations after now − 300 s: the 10s at t = 1000 count while
    // 1000 > now − 300, i.e. up to t = 1285 → stabilized max(5, 10) = 10.
    for now in (1015..=1285).step_by(15) {
        let d = sync_cpu(&mut hpa, t(now), 10, 250);
        assert_eq!(d.proposal, Some(5), "at {now}");
        assert_eq!(d.to_replicas, 10, "at {now}: {}", d.reason());
        assert!(
            d.reason()
                .contains("scaleDown stabilization window 5m0s holds 10"),
            "{}",
            d.reason()
        );
    }
    // t = 1300: cutoff 1000 is not before 1000 → only the 5s remain → 5. The rate limit:
    // 100 % per 15 s → int(10 × 0) = 0 → min_replicas 1 binds, 5 ≥ 1 → 5.
    let d = sync_cpu(&mut hpa, t(1300), 10, 250);
    assert_eq!(d.to_replicas, 5, "{}", d.reason());
    assert_eq!(d.path, Path::Computed);
}

#[test]
fn pods_and_percent_policies_under_max_and_min() {
    // 10 pods at 5000m with target 100 % → ratio 5 → proposal ceil(5 × 10) = 50.
    // Policies per 60 s: Pods 4 → 10 + 4 = 14; Percent 50 → ceil(10 × 1.5) = 15.
    let policies = vec![
        ScalingPolicy::Pods {
            value: 4,
            period: secs(60),
        },
        ScalingPolicy::Percent {
            value: 50,
            period: secs(60),
        },
    ];
    let behavior = |select| BehaviorConfig {
        scale_up: Some(rules(select, 0, policies.clone())),
        scale_down: None,
    };
    let controller = HpaControllerConfig::default();
    // Max picks the larger change: 15, by the Percent policy.
    let mut max = Hpa::new(
        &config(1, 100, vec![cpu(100)], Some(behavior(SelectPolicy::Max))),
        &controller,
    );
    let d = sync_cpu(&mut max, t(1000), 10, 5000);
    assert_eq!((d.proposal, d.to_replicas), (Some(50), 15));
    assert_eq!(d.limit.map(|l| l.reason), Some(LimitReason::ScaleUpLimit));
    assert!(
        d.reason()
            .contains("limited by ScaleUpLimit (policy Percent 50%/1m0s) → 15"),
        "{}",
        d.reason()
    );
    // 15 s later at 15 pods: the +5 event at t = 1000 is inside both 60 s periods, so each
    // period started at 15 − 5 = 10: limits 14 and 15 again, max(15, current 15) = 15.
    let d = sync_cpu(&mut max, t(1015), 15, 5000);
    assert_eq!(d.to_replicas, 15, "{}", d.reason());
    // At t = 1060 the event is at the cutoff (not after it): start 15 → Pods 19,
    // Percent ceil(15 × 1.5) = ceil(22.5) = 23 → 23.
    let d = sync_cpu(&mut max, t(1060), 15, 5000);
    assert_eq!(d.to_replicas, 23, "{}", d.reason());
    // Min picks the smaller change: 14, by the Pods policy.
    let mut min = Hpa::new(
        &config(1, 100, vec![cpu(100)], Some(behavior(SelectPolicy::Min))),
        &controller,
    );
    let d = sync_cpu(&mut min, t(1000), 10, 5000);
    assert_eq!(d.to_replicas, 14);
    assert!(
        d.reason().contains("(policy Pods 4/1m0s)"),
        "{}",
        d.reason()
    );
}

#[test]
fn scale_down_percent_policy_truncates() {
    // Percent 50 from 15: int(15 × 0.5) = int(7.5) = 7 (truncation, not rounding).
    let controller = HpaControllerConfig::default();
    let b = Behavior::resolve(
        &BehaviorConfig {
            scale_up: None,
            scale_down: Some(rules(
                SelectPolicy::Max,
                0,
                vec![ScalingPolicy::Percent {
                    value: 50,
                    period: secs(60),
                }],
            )),
        },
        &controller,
    );
    let l = rate_limit_with_behavior(15, 1, 1, 100, &[], &[], &b, t(1000));
    assert_eq!((l.replicas, l.reason), (7, LimitReason::ScaleDownLimit));
}

#[test]
fn disabled_direction_never_scales() {
    // scaleDown Disabled, window 0: 10 pods at 25 % of a 50 % target → proposal 5, stabilized
    // 5, but the scale-down limit is the current count: max(min 1, 10) = 10 → no change.
    let b = BehaviorConfig {
        scale_up: None,
        scale_down: Some(rules(
            SelectPolicy::Disabled,
            0,
            vec![ScalingPolicy::Percent {
                value: 100,
                period: secs(15),
            }],
        )),
    };
    let mut hpa = Hpa::new(
        &config(1, 20, vec![cpu(50)], Some(b)),
        &HpaControllerConfig::default(),
    );
    let d = sync_cpu(&mut hpa, t(1000), 10, 250);
    assert_eq!(
        (d.proposal, d.stabilized, d.to_replicas),
        (Some(5), Some(5), 10)
    );
    assert!(!d.rescale());
    assert!(
        d.reason().contains("(selectPolicy Disabled)"),
        "{}",
        d.reason()
    );
}

#[test]
fn legacy_path_doubles_at_most_and_stabilizes_down_for_5_min() {
    let mut hpa = Hpa::new(
        &config(1, 50, vec![cpu(50)], None),
        &HpaControllerConfig::default(),
    );
    // 3 pods at 200 % of a 50 % target → ratio 4 → 12; limit max(2 × 3, 4) = 6 < max 50 → 6.
    let d = sync_cpu(&mut hpa, t(1000), 3, 2000);
    assert_eq!((d.proposal, d.to_replicas), (Some(12), 6));
    assert_eq!(d.limit.map(|l| l.reason), Some(LimitReason::ScaleUpLimit));
    assert!(
        d.reason().contains("(max(2 × current, 4)) → 6"),
        "{}",
        d.reason()
    );
    // 6 pods at 100 % → ratio 2 → 12, limit 12 → 12.
    let d = sync_cpu(&mut hpa, t(1015), 6, 1000);
    assert_eq!(d.to_replicas, 12);
    // Load drops: 12 pods at 10 % → ratio 0.2 → ceil(2.4) = 3; the window (≥ now − 300 s)
    // still holds 12 (t = 1015) → 12, until t = 1315, when 1015 is exactly the cutoff: the
    // legacy path keeps it (only `Before(cutoff)` drops), so still 12; at 1330 → 3.
    let d = sync_cpu(&mut hpa, t(1315), 12, 100);
    assert_eq!((d.proposal, d.to_replicas), (Some(3), 12), "{}", d.reason());
    assert!(
        d.reason()
            .contains("downscale stabilization (5m0s) holds 12"),
        "{}",
        d.reason()
    );
    let d = sync_cpu(&mut hpa, t(1330), 12, 100);
    assert_eq!(d.to_replicas, 3, "{}", d.reason());
}

#[test]
fn window_edges_differ_between_paths() {
    // A recommendation exactly at now − window: the legacy path counts it (not Before the
    // cutoff), the behavior path does not (not After it).
    let history = [Recommendation {
        replicas: 9,
        at: t(700),
    }];
    assert_eq!(stabilize_legacy(&history, t(1000), 3, secs(300)), 9);
    assert_eq!(
        stabilize_with_behavior(&history, t(1000), 10, 3, secs(0), secs(300)),
        3
    );
    // One second later inside: both hold 9.
    let history = [Recommendation {
        replicas: 9,
        at: t(701),
    }];
    assert_eq!(
        stabilize_with_behavior(&history, t(1000), 10, 3, secs(0), secs(300)),
        9
    );
}

#[test]
fn min_and_max_clamp() {
    let controller = HpaControllerConfig::default();
    let mut hpa = Hpa::new(&config(3, 10, vec![cpu(50)], None), &controller);
    // spec.replicas 25 > max 10: set to 10 without reading metrics.
    let d = sync_cpu(&mut hpa, t(1000), 25, 0);
    assert_eq!((d.path, d.to_replicas), (Path::AboveMax, 10));
    assert_eq!(d.reason(), "25 above max_replicas 10 → 10");
    // spec.replicas 2 < min 3: set to 3.
    let d = sync_cpu(&mut hpa, t(1015), 2, 0);
    assert_eq!((d.path, d.to_replicas), (Path::BelowMin, 3));
    // 8 pods at 100 % of 50 % → ratio 2 → 16; limit max(2 × 8, 4) = 16 ≥ max 10 → TooManyReplicas 10.
    let d = sync_cpu(&mut hpa, t(1030), 8, 1000);
    assert_eq!(d.to_replicas, 10);
    assert_eq!(
        d.limit.map(|l| l.reason),
        Some(LimitReason::TooManyReplicas)
    );
    // spec.replicas 0 with min 3: autoscaling disabled, nothing changes.
    let d = sync_cpu(&mut hpa, t(1045), 0, 0);
    assert_eq!((d.path, d.to_replicas), (Path::ScalingDisabled, 0));
    // With behavior, a scale-down below min: 4 pods at 5 % → ceil(0.1 × 4) = 1; the default
    // scale-down limit int(4 × 0) = 0 < min 3 → TooFewReplicas 3 (window 0 here).
    let b = BehaviorConfig {
        scale_up: None,
        scale_down: Some(ScalingRulesConfig {
            stabilization_window: Some(secs(0)),
            ..ScalingRulesConfig::default()
        }),
    };
    let mut hpa = Hpa::new(&config(3, 10, vec![cpu(50)], Some(b)), &controller);
    let d = sync_cpu(&mut hpa, t(1000), 4, 50);
    assert_eq!(d.to_replicas, 3);
    assert_eq!(d.limit.map(|l| l.reason), Some(LimitReason::TooFewReplicas));
}

#[test]
fn several_metrics_take_the_largest_and_invalid_ones_block_only_scale_down() {
    // cpu 70 % and a per-pod queue length with target 10 (the workflow-engine of issue 7).
    let queue = MetricSpec::Pods {
        metric: "queue_length".into(),
        target: AverageValueTarget::AverageValue(MilliQuantity(10_000)),
    };
    let controller = HpaControllerConfig::default();
    let mut hpa = Hpa::new(
        &config(2, 10, vec![cpu(70), queue.clone()], None),
        &controller,
    );
    let now = t(1000);
    let scale = ScaleTarget {
        spec_replicas: 4,
        status_replicas: 4,
    };
    // cpu: 4 pods at 700m = 70 % → ratio 1 → 4. queue: 20 per pod → ratio 2 → 8. max = 8;
    // legacy limit max(8, 4) = 8 → 8.
    let cpu_pods = [pods(4, 700, now)];
    let queue_pods = [PodGroup {
        request_millis: None,
        ..pods(4, 20_000, now)
    }];
    let d = hpa.sync(
        now,
        scale,
        &[
            MetricInput::PerPod(&cpu_pods),
            MetricInput::PerPod(&queue_pods),
        ],
    );
    assert_eq!((d.proposal, d.to_replicas), (Some(8), 8));
    assert!(
        d.reason()
            .starts_with("cpu 70%/70% → 4; queue_length 20/10 → 8; proposal 8"),
        "{}",
        d.reason()
    );
    // Queue metric unavailable, cpu at 140 % → ratio 2 → 8 > 4: scale up on the valid one.
    let mut hpa = Hpa::new(
        &config(2, 10, vec![cpu(70), queue.clone()], None),
        &controller,
    );
    let hot = [pods(4, 1400, now)];
    let d = hpa.sync(
        now,
        scale,
        &[
            MetricInput::PerPod(&hot),
            MetricInput::Unavailable("adapter down"),
        ],
    );
    assert_eq!((d.path, d.to_replicas), (Path::Computed, 8));
    // Queue unavailable, cpu at 35 % → ratio 0.5 → 2 < 4: no change.
    let mut hpa = Hpa::new(&config(2, 10, vec![cpu(70), queue], None), &controller);
    let cold = [pods(4, 350, now)];
    let d = hpa.sync(
        now,
        scale,
        &[
            MetricInput::PerPod(&cold),
            MetricInput::Unavailable("adapter down"),
        ],
    );
    assert_eq!((d.path, d.to_replicas), (Path::InvalidMetrics, 4));
    // cpu: 35 % / 70 % = 0.5 → ceil(0.5 × 4) = 2.
    assert_eq!(
        d.reason(),
        "cpu 35%/70% → 2; queue_length invalid (unable to get metric: adapter down); \
         1 of 2 metrics invalid: no change"
    );
}

#[test]
fn groups_count_as_their_pods() {
    // upstream TestReplicaCalcMissingMetrics with groups of 2: 2 pods at 800m/2000m with
    // samples, 2 without, target 100 %. Utilization 1600·100/4000 = 40 % → ratio 0.4 (down);
    // missing pods at 100 % of 2000m: (1600 + 4000)·100/8000 = 70 % → ceil(0.7 × 4) = 3.
    let now = t(1000);
    let with = PodGroup {
        request_millis: Some(2000),
        ..pods(2, 800, now)
    };
    let without = PodGroup {
        metric: None,
        ..with
    };
    let mut hpa = Hpa::new(
        &config(
            1,
            10,
            vec![cpu(100)],
            Some(BehaviorConfig {
                scale_up: None,
                scale_down: Some(ScalingRulesConfig {
                    stabilization_window: Some(secs(0)),
                    ..ScalingRulesConfig::default()
                }),
            }),
        ),
        &HpaControllerConfig::default(),
    );
    let groups = [with, without];
    let d = hpa.sync(
        now,
        ScaleTarget {
            spec_replicas: 4,
            status_replicas: 4,
        },
        &[MetricInput::PerPod(&groups)],
    );
    assert_eq!((d.proposal, d.to_replicas), (Some(3), 3), "{}", d.reason());
    assert!(d.reason().starts_with("cpu 40%/100% → 3"), "{}", d.reason());
}

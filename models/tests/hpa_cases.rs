//! The HPA's upstream test tables (`tests/data/hpa-cases.json`, see its README) against
//! `clustersim_models::hpa`: every case is read and must pass; a failure lists each case id
//! with what was expected and what was computed.

mod common;

use clustersim_models::hpa::behavior::{
    Behavior, Recommendation, ScaleEvent, ScalingRules, rate_limit_legacy,
    rate_limit_with_behavior, stabilize_legacy, stabilize_with_behavior,
};
use clustersim_models::hpa::config::{
    BehaviorConfig, HpaControllerConfig, ScalingPolicy, SelectPolicy,
};
use clustersim_models::hpa::replica_calculator::{
    MetricSample, PodGroup, PodPhase, Readiness, ReadyCondition, Tolerances,
    average_value_replicas, per_pod_value_replicas, resource_utilization_replicas, value_replicas,
};
use common::Case;
use serde::Deserialize;
use serde_json::{Value, json};
use sim::time::{SimDuration, SimTime};

const CASES: &str = include_str!("data/hpa-cases.json");

/// "Now" of every case: late enough that every age in the cases lies after the run's start.
const NOW_S: u64 = 100_000;

#[derive(Deserialize)]
struct Pod {
    request_milli: Option<u64>,
    usage_milli: Option<u64>,
    ready: bool,
    phase: String,
    #[serde(default)]
    deleting: bool,
    #[serde(default)]
    started_within_cpu_init_period: bool,
}

#[derive(Deserialize)]
struct CalcInputs {
    current_replicas: u32,
    tolerance: f64,
    cpu_initialization_period_s: u64,
    initial_readiness_delay_s: u64,
    resource: Option<String>,
    target_utilization_percent: Option<u32>,
    target_average_value_milli: Option<u64>,
    pods: Option<Vec<Pod>>,
    metric_value_milli: Option<u64>,
    target_milli: Option<u64>,
    pod_ready: Option<Vec<bool>>,
}

#[derive(Deserialize)]
struct Aged {
    replicas: u32,
    age_s: u64,
}

#[derive(Deserialize)]
struct Policy {
    #[serde(rename = "type")]
    kind: String,
    value: u32,
    period_s: u64,
}

#[derive(Deserialize)]
struct Rules {
    select_policy: String,
    stabilization_window_s: u64,
    policies: Vec<Policy>,
}

#[derive(Deserialize)]
struct LimitInputs {
    current_replicas: u32,
    prenormalized_desired_replicas: u32,
    min_replicas: u32,
    max_replicas: u32,
    scale_up_rules: Option<Value>,
    scale_down_rules: Option<Value>,
    #[serde(default)]
    scale_up_events: Vec<Aged>,
    #[serde(default)]
    scale_down_events: Vec<Aged>,
}

#[derive(Deserialize)]
struct StabilizationInputs {
    current_replicas: Option<u32>,
    prenormalized_desired_replicas: u32,
    recommendation_history: Vec<Aged>,
    scale_up_stabilization_window_s: Option<u64>,
    scale_down_stabilization_window_s: Option<u64>,
    downscale_stabilization_window_s: Option<u64>,
}

fn now() -> SimTime {
    SimTime::from_secs(NOW_S)
}

fn ago(age_s: u64) -> SimTime {
    SimTime::from_secs(NOW_S - age_s)
}

fn parse<T: for<'de> Deserialize<'de>>(v: &Value) -> Result<T, String> {
    serde_json::from_value(v.clone()).map_err(|e| format!("bad inputs: {e}"))
}

/// The upstream fixture as pod groups of one pod each. "Hot" pods started now, turned ready
/// now and have a sample stamped now with a one-minute window (so the sample is not a full
/// window after the readiness transition); the others started three minutes ago, past the
/// two-minute test initialization period, with their readiness transition at the epoch.
fn pod_groups(pods: &[Pod]) -> Result<Vec<PodGroup>, String> {
    let window = SimDuration::from_secs(60);
    pods.iter()
        .map(|p| {
            let phase = match p.phase.as_str() {
                "Running" => PodPhase::Running,
                "Pending" => PodPhase::Pending,
                "Failed" => PodPhase::Failed,
                "Succeeded" => PodPhase::Succeeded,
                other => return Err(format!("unknown phase {other}")),
            };
            let (start, transition) = if p.started_within_cpu_init_period {
                (now(), now())
            } else {
                (ago(180), SimTime::ZERO)
            };
            Ok(PodGroup {
                count: 1,
                phase,
                deleting: p.deleting,
                start_time: Some(start),
                ready: Some(ReadyCondition {
                    ready: p.ready,
                    last_transition: transition,
                }),
                request_millis: p.request_milli,
                metric: p.usage_milli.map(|value_millis| MetricSample {
                    value_millis,
                    timestamp: now(),
                    window,
                }),
            })
        })
        .collect()
}

/// Running pods with the given readiness (`pod_ready`), or `n` ready ones.
fn running_pods(ready: Option<&[bool]>, n: u32) -> Vec<PodGroup> {
    let flags: Vec<bool> = match ready {
        Some(r) => r.to_vec(),
        None => vec![true; n as usize],
    };
    flags
        .into_iter()
        .map(|ready| PodGroup {
            count: 1,
            phase: PodPhase::Running,
            deleting: false,
            start_time: Some(ago(180)),
            ready: Some(ReadyCondition {
                ready,
                last_transition: SimTime::ZERO,
            }),
            request_millis: None,
            metric: None,
        })
        .collect()
}

fn calc(case: &Case) -> Result<Value, String> {
    let i: CalcInputs = parse(&case.inputs)?;
    let tolerances = Tolerances::symmetric(i.tolerance);
    let readiness = Readiness {
        now: now(),
        cpu_initialization_period: SimDuration::from_secs(i.cpu_initialization_period_s),
        initial_readiness_delay: SimDuration::from_secs(i.initial_readiness_delay_s),
    };
    let need = |what: &str| format!("case has no {what}");
    match case.kind.as_str() {
        "resource_utilization" => {
            let pods = pod_groups(i.pods.as_deref().ok_or_else(|| need("pods"))?)?;
            let target = i
                .target_utilization_percent
                .ok_or_else(|| need("target_utilization_percent"))?;
            let cpu_rules = i.resource.as_deref() == Some("cpu");
            let p = resource_utilization_replicas(
                i.current_replicas,
                target,
                cpu_rules,
                &pods,
                tolerances,
                &readiness,
            )
            .map_err(|e| e.to_string())?;
            Ok(json!({"replicas": p.replicas, "utilization_percent": p.utilization_percent}))
        }
        "pods_average_value" => {
            let pods = pod_groups(i.pods.as_deref().ok_or_else(|| need("pods"))?)?;
            let target = i
                .target_average_value_milli
                .ok_or_else(|| need("target_average_value_milli"))?;
            let p = average_value_replicas(
                i.current_replicas,
                target,
                false,
                &pods,
                tolerances,
                &readiness,
            )
            .map_err(|e| e.to_string())?;
            Ok(json!({"replicas": p.replicas, "usage_milli": p.usage_millis}))
        }
        "object_value" | "external_value" => {
            let pods = running_pods(i.pod_ready.as_deref(), i.current_replicas);
            let value = i
                .metric_value_milli
                .ok_or_else(|| need("metric_value_milli"))?;
            let target = i.target_milli.ok_or_else(|| need("target_milli"))?;
            let p = value_replicas(i.current_replicas, value, target, &pods, tolerances)
                .map_err(|e| e.to_string())?;
            Ok(json!({"replicas": p.replicas, "usage_milli": p.usage_millis}))
        }
        "object_average_value" | "external_average_value" => {
            let value = i
                .metric_value_milli
                .ok_or_else(|| need("metric_value_milli"))?;
            let target = i.target_milli.ok_or_else(|| need("target_milli"))?;
            let p = per_pod_value_replicas(i.current_replicas, value, target, tolerances);
            Ok(json!({"replicas": p.replicas, "usage_milli": p.usage_millis}))
        }
        other => Err(format!("unknown kind {other}")),
    }
}

/// A direction's rules: the upstream defaults when the case says "default …".
fn rules(v: Option<&Value>, default: &ScalingRules) -> Result<ScalingRules, String> {
    match v {
        None | Some(Value::String(_)) => Ok(default.clone()),
        Some(v) => {
            let r: Rules = parse(v)?;
            let select_policy = match r.select_policy.as_str() {
                "Max" => SelectPolicy::Max,
                "Min" => SelectPolicy::Min,
                "Disabled" => SelectPolicy::Disabled,
                other => return Err(format!("unknown select policy {other}")),
            };
            let policies = r
                .policies
                .iter()
                .map(|p| {
                    let period = SimDuration::from_secs(p.period_s);
                    match p.kind.as_str() {
                        "Pods" => Ok(ScalingPolicy::Pods {
                            value: p.value,
                            period,
                        }),
                        "Percent" => Ok(ScalingPolicy::Percent {
                            value: p.value,
                            period,
                        }),
                        other => Err(format!("unknown policy type {other}")),
                    }
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(ScalingRules {
                stabilization_window: SimDuration::from_secs(r.stabilization_window_s),
                select_policy,
                policies,
                tolerance: default.tolerance,
            })
        }
    }
}

fn events(aged: &[Aged]) -> Vec<ScaleEvent> {
    aged.iter()
        .map(|e| ScaleEvent {
            change: e.replicas,
            at: ago(e.age_s),
        })
        .collect()
}

fn history(aged: &[Aged]) -> Vec<Recommendation> {
    aged.iter()
        .map(|e| Recommendation {
            replicas: e.replicas,
            at: ago(e.age_s),
        })
        .collect()
}

fn normalize(case: &Case) -> Result<Value, String> {
    match case.kind.as_str() {
        "behavior_rate_limit" => {
            let i: LimitInputs = parse(&case.inputs)?;
            let defaults =
                Behavior::resolve(&BehaviorConfig::default(), &HpaControllerConfig::default());
            let behavior = Behavior {
                scale_up: rules(i.scale_up_rules.as_ref(), &defaults.scale_up)?,
                scale_down: rules(i.scale_down_rules.as_ref(), &defaults.scale_down)?,
            };
            let l = rate_limit_with_behavior(
                i.current_replicas,
                i.prenormalized_desired_replicas,
                i.min_replicas,
                i.max_replicas,
                &events(&i.scale_up_events),
                &events(&i.scale_down_events),
                &behavior,
                now(),
            );
            Ok(json!({"replicas": l.replicas, "condition": l.reason.as_str()}))
        }
        "no_behavior_rate_limit" => {
            let i: LimitInputs = parse(&case.inputs)?;
            let l = rate_limit_legacy(
                i.current_replicas,
                i.prenormalized_desired_replicas,
                i.min_replicas,
                i.max_replicas,
            );
            Ok(json!({"replicas": l.replicas, "condition": l.reason.as_str()}))
        }
        "stabilization" => {
            let i: StabilizationInputs = parse(&case.inputs)?;
            let secs = |s: Option<u64>, what: &str| {
                s.map(SimDuration::from_secs)
                    .ok_or_else(|| format!("case has no {what}"))
            };
            let stabilized = stabilize_with_behavior(
                &history(&i.recommendation_history),
                now(),
                i.current_replicas
                    .ok_or_else(|| "case has no current_replicas".to_owned())?,
                i.prenormalized_desired_replicas,
                secs(i.scale_up_stabilization_window_s, "scale-up window")?,
                secs(i.scale_down_stabilization_window_s, "scale-down window")?,
            );
            Ok(json!({"stabilized_replicas": stabilized}))
        }
        "stabilization_no_behavior" => {
            let i: StabilizationInputs = parse(&case.inputs)?;
            let window = i
                .downscale_stabilization_window_s
                .map(SimDuration::from_secs)
                .ok_or_else(|| "case has no window".to_owned())?;
            let st = stabilize_legacy(
                &history(&i.recommendation_history),
                now(),
                i.prenormalized_desired_replicas,
                window,
            );
            Ok(json!({"stabilized_replicas": st}))
        }
        _ => calc(case),
    }
}

#[test]
fn all_upstream_hpa_cases_pass() {
    common::check_all(CASES, "hpa-cases.json", 54, normalize, |e, g| e == g);
}

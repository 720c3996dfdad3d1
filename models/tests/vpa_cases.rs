//! The Vertical Pod Autoscaler's upstream test rows (`tests/data/vpa-cases.json`, see its
//! README) against `clustersim_models::vpa`: every case is read and must pass; a failure lists
//! each case id with what was expected and what was computed.

mod common;

use clustersim_models::vpa::container_state::{
    AggregateContainerState, AggregationSettings, amount_from_f64, cores_from_cpu_amount,
    cpu_amount_from_cores, oom_sample_bytes,
};
use clustersim_models::vpa::estimator::{confidence, confidence_multiplier};
use clustersim_models::vpa::histogram::{BucketOptions, Histogram};
use clustersim_models::vpa::updater::max_evictions_in_one_pass;
use common::Case;
use serde::Deserialize;
use serde_json::{Value, json};
use sim::time::{SimDuration, SimTime};

const CASES: &str = include_str!("data/vpa-cases.json");

#[derive(Deserialize)]
struct EvictionInputs {
    configured_replicas: u32,
    live_running_pods: u32,
    eviction_tolerance: f64,
    min_replicas: u32,
}

#[derive(Deserialize)]
struct ConfidenceInputs {
    base_cpu_cores: f64,
    base_memory_bytes: Option<f64>,
    multiplier: f64,
    exponent: f64,
    cpu_samples: u32,
    sample_spacing_min: Option<u64>,
    confidence_interval_h: u64,
}

#[derive(Deserialize)]
struct MinInputs {
    base_cpu_cores: f64,
    min_cpu_cores: f64,
    base_memory_bytes: f64,
    min_memory_bytes: f64,
}

#[derive(Deserialize)]
struct PercentileInputs {
    cpu_samples_cores: Vec<f64>,
    cpu_percentile: f64,
    memory_peaks_bytes: Vec<f64>,
    memory_percentile: f64,
    weights: f64,
}

#[derive(Deserialize)]
struct PercentileExpected {
    cpu_cores: f64,
    memory_bytes: f64,
    max_relative_error: f64,
}

#[derive(Deserialize)]
struct OomInputs {
    memory_request_bytes: f64,
    current_interval_peak_bytes: f64,
    oom_bump_up_ratio: f64,
    oom_min_bump_up_bytes: f64,
}

fn parse<T: for<'de> Deserialize<'de>>(v: &Value) -> Result<T, String> {
    serde_json::from_value(v.clone()).map_err(|e| format!("bad inputs: {e}"))
}

/// What the case's kind computes, in the shape of its `expected`; for the percentile kind, the
/// values and whether they are within the stated relative error.
fn compute(case: &Case) -> Result<Value, String> {
    match case.kind.as_str() {
        "eviction_restriction" => {
            let i: EvictionInputs = parse(&case.inputs)?;
            let n = max_evictions_in_one_pass(
                i.configured_replicas,
                i.live_running_pods,
                i.eviction_tolerance,
                i.min_replicas,
            );
            Ok(json!({"max_evictions_in_one_pass": n}))
        }
        "confidence_multiplier" => {
            let i: ConfidenceInputs = parse(&case.inputs)?;
            // Upstream's state: `cpu_samples` samples of one core, `spacing` apart, one pod.
            let mut state = AggregateContainerState::new(AggregationSettings::default());
            let spacing = SimDuration::from_secs(60 * i.sample_spacing_min.unwrap_or(1));
            for k in 0..u64::from(i.cpu_samples) {
                state.add_cpu_sample(SimTime::ZERO + spacing.mul_u64(k), 1.0, 1);
            }
            let interval = SimDuration::from_secs(3600 * i.confidence_interval_h);
            let c = confidence(state.lifespan(), state.total_cpu_samples(), interval);
            let cpu = confidence_multiplier(
                cpu_amount_from_cores(i.base_cpu_cores),
                i.multiplier,
                i.exponent,
                c,
            );
            match i.base_memory_bytes {
                Some(memory) => {
                    let memory =
                        confidence_multiplier(amount_from_f64(memory), i.multiplier, i.exponent, c);
                    Ok(json!({
                        "cpu_cores": cores_from_cpu_amount(cpu),
                        "memory_bytes": memory as f64,
                        "confidence": c,
                    }))
                }
                None if i.cpu_samples == 0 => {
                    // The internal amount: millicores, as a JSON number like the expected one.
                    Ok(json!({"cpu_internal_amount": cpu as f64}))
                }
                None => Err("a case with history names its memory base".to_owned()),
            }
        }
        "min_resources" => {
            let i: MinInputs = parse(&case.inputs)?;
            let cpu =
                cpu_amount_from_cores(i.base_cpu_cores).max(cpu_amount_from_cores(i.min_cpu_cores));
            let memory =
                amount_from_f64(i.base_memory_bytes).max(amount_from_f64(i.min_memory_bytes));
            Ok(json!({"cpu_cores": cores_from_cpu_amount(cpu), "memory_bytes": memory as f64}))
        }
        "percentile" => {
            let i: PercentileInputs = parse(&case.inputs)?;
            let e: PercentileExpected = parse(&case.expected)?;
            let mut cpu = Histogram::new(BucketOptions::cpu());
            for &v in &i.cpu_samples_cores {
                cpu.add_sample(v, i.weights);
            }
            let mut memory = Histogram::new(BucketOptions::memory());
            for &v in &i.memory_peaks_bytes {
                memory.add_sample(v, i.weights);
            }
            let cpu_cores =
                cores_from_cpu_amount(cpu_amount_from_cores(cpu.percentile(i.cpu_percentile)));
            let memory_bytes = amount_from_f64(memory.percentile(i.memory_percentile)) as f64;
            // testify's InEpsilon: |expected − actual| / |expected| ≤ ε.
            let within = |expected: f64, got: f64| {
                (expected - got).abs() / expected.abs() <= e.max_relative_error
            };
            if within(e.cpu_cores, cpu_cores) && within(e.memory_bytes, memory_bytes) {
                Ok(case.expected.clone())
            } else {
                Ok(json!({"cpu_cores": cpu_cores, "memory_bytes": memory_bytes}))
            }
        }
        "oom_bump" => {
            let i: OomInputs = parse(&case.inputs)?;
            let bytes = oom_sample_bytes(
                i.memory_request_bytes,
                i.current_interval_peak_bytes,
                i.oom_bump_up_ratio,
                i.oom_min_bump_up_bytes,
            );
            // The expected value is an integer in the file.
            Ok(json!({"oom_sample_bytes": bytes as u64}))
        }
        other => Err(format!("unknown kind {other}")),
    }
}

/// Numbers compare by value (`907460000000.0` in the file equals the computed
/// `907460000000.0`, `0` equals `0.0`).
fn same(expected: &Value, got: &Value) -> bool {
    match (expected, got) {
        (Value::Object(e), Value::Object(g)) => {
            e.len() == g.len() && e.iter().all(|(k, v)| g.get(k).is_some_and(|w| same(v, w)))
        }
        (Value::Number(e), Value::Number(g)) => e.as_f64() == g.as_f64(),
        _ => expected == got,
    }
}

#[test]
fn all_upstream_vpa_cases_pass() {
    common::check_all(CASES, "vpa-cases.json", 10, compute, same);
}

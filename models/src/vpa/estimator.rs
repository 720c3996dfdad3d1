//! The recommendation: percentiles of the usage histograms, a safety margin, a confidence
//! multiplier on the bounds, and a per-pod minimum.
//!
//! A port of `kubernetes/autoscaler` `vertical-pod-autoscaler/pkg/recommender/logic/`
//! `estimator.go` (percentile, margin, confidence-multiplier and min-resource estimators,
//! `getConfidence`) and `recommender.go` (`CreatePodResourceRecommender`,
//! `GetRecommendedPodResources`) at commit `55c37cd5eb550756c5ccc5a89e9068d77797e575`, with the
//! defaults of `recommender/config/config.go`. Amounts are upstream's integer `ResourceAmount`s
//! (millicores, bytes; see `container_state`), truncated at each step as upstream's are.
//!
//! Per resource, with `c` the confidence (days of history, see [`confidence`]):
//!
//! ```text
//! target = max(p90 × 1.15,                      min)
//! lower  = max(p50 × 1.15 × (1 + 0.001/c)^-2,   min)   0.6 at 5 min of history, 0.95 at 1 h
//! upper  = max(p95 × 1.15 × (1 + 1/c),          min)   3 at 12 h, 2 at 24 h, 1.14 at a week
//! min    = 25 m CPU, 250 MiB memory, split evenly over the pod's containers
//! ```

use sim::time::SimDuration;

use super::container_state::{
    AggregateContainerState, AggregationSettings, OomBump, amount_from_f64, cores_from_cpu_amount,
    cpu_amount_from_cores, scale_amount,
};

/// CPU and memory of one container.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Resources {
    pub cpu_cores: f64,
    pub memory_bytes: f64,
}

impl Resources {
    pub const fn new(cpu_cores: f64, memory_bytes: f64) -> Resources {
        Resources {
            cpu_cores,
            memory_bytes,
        }
    }

    /// Whole millicores and bytes, rounded up as `--round-cpu-millicores=1` and
    /// `--round-memory-bytes=1` do (`RoundUpToScale`), saturating at `u64::MAX`; negative and
    /// NaN give 0. A value within 10^-9 (relative) of a whole number is that number: cores are
    /// millicores / 1000, and multiplying back by 1000 may land a hair above the integer.
    pub fn to_millis_bytes(self) -> (u64, u64) {
        (
            round_up_whole(self.cpu_cores * 1000.0),
            round_up_whole(self.memory_bytes),
        )
    }

    fn from_amounts(cpu_millicores: u64, memory_bytes: u64) -> Resources {
        Resources {
            cpu_cores: cores_from_cpu_amount(cpu_millicores),
            memory_bytes: memory_bytes as f64,
        }
    }
}

fn round_up_whole(value: f64) -> u64 {
    let nearest = value.round();
    let whole = if (value - nearest).abs() <= 1e-9 * nearest.abs().max(1.0) {
        nearest
    } else {
        value.ceil()
    };
    // `as` saturates, and maps NaN and negatives to 0.
    whole as u64
}

/// One container's recommendation (`RecommendedContainerResources`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recommendation {
    /// The request to set.
    pub target: Resources,
    /// Below this, the updater evicts to scale up.
    pub lower: Resources,
    /// Above this, the updater evicts to scale down.
    pub upper: Resources,
}

/// The recommender's settings, upstream's defaults as `Default` (`recommender/config/config.go`,
/// `recommender/model/aggregations_config.go`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecommenderSettings {
    /// `--recommender-interval`: how often metrics are fetched and recommendations made: 1 min.
    pub interval: SimDuration,
    /// `--recommendation-margin-fraction`: 0.15 added on top of every percentile.
    pub safety_margin_fraction: f64,
    /// `--pod-recommendation-min-cpu-millicores`: 25 m per pod.
    pub pod_min_cpu_millicores: f64,
    /// `--pod-recommendation-min-memory-mb`: 250 per pod, in MiB (× 1024 × 1024 bytes).
    pub pod_min_memory_mb: f64,
    /// `--target-cpu-percentile`: 0.9.
    pub target_cpu_percentile: f64,
    /// `--recommendation-lower-bound-cpu-percentile`: 0.5.
    pub lower_bound_cpu_percentile: f64,
    /// `--recommendation-upper-bound-cpu-percentile`: 0.95.
    pub upper_bound_cpu_percentile: f64,
    /// `--target-memory-percentile`: 0.9.
    pub target_memory_percentile: f64,
    /// `--recommendation-lower-bound-memory-percentile`: 0.5.
    pub lower_bound_memory_percentile: f64,
    /// `--recommendation-upper-bound-memory-percentile`: 0.95.
    pub upper_bound_memory_percentile: f64,
    /// `--confidence-interval-cpu`: 24 h, the "day" of the CPU bounds' confidence.
    pub confidence_interval_cpu: SimDuration,
    /// `--confidence-interval-memory`: 24 h.
    pub confidence_interval_memory: SimDuration,
    /// `--cpu-histogram-decay-half-life`, `--memory-histogram-decay-half-life`,
    /// `--memory-aggregation-interval`, `--memory-aggregation-interval-count`.
    pub aggregation: AggregationSettings,
    /// `--oom-bump-up-ratio` (1.2), `--oom-min-bump-up-bytes` (100 MiB).
    pub oom_bump: OomBump,
}

impl Default for RecommenderSettings {
    fn default() -> RecommenderSettings {
        let day = SimDuration::from_secs(24 * 3600);
        RecommenderSettings {
            interval: SimDuration::from_secs(60),
            safety_margin_fraction: 0.15,
            pod_min_cpu_millicores: 25.0,
            pod_min_memory_mb: 250.0,
            target_cpu_percentile: 0.9,
            lower_bound_cpu_percentile: 0.5,
            upper_bound_cpu_percentile: 0.95,
            target_memory_percentile: 0.9,
            lower_bound_memory_percentile: 0.5,
            upper_bound_memory_percentile: 0.95,
            confidence_interval_cpu: day,
            confidence_interval_memory: day,
            aggregation: AggregationSettings::default(),
            oom_bump: OomBump::default(),
        }
    }
}

/// `getConfidence`: how many "days" (confidence intervals) of history back a recommendation,
/// `min(lifespan / interval, cpu samples / minutes in the interval)`; N for N days of one sample
/// a minute.
pub fn confidence(lifespan: SimDuration, cpu_samples: u64, interval: SimDuration) -> f64 {
    let interval_ns = interval.as_nanos() as f64;
    let lifespan_in_days = lifespan.as_nanos() as f64 / interval_ns;
    let interval_minutes = interval_ns / 60e9;
    let samples_amount = cpu_samples as f64 / interval_minutes;
    lifespan_in_days.min(samples_amount)
}

/// The confidence multiplier estimators: `base × (1 + multiplier / confidence)^exponent`,
/// truncated and capped at 10^14 as `ScaleResource`. With no history (confidence 0) the factor
/// is +∞: a positive exponent gives the cap 10^14, a negative one 0.
pub fn confidence_multiplier(base: u64, multiplier: f64, exponent: f64, confidence: f64) -> u64 {
    scale_amount(base, (1.0 + multiplier / confidence).powf(exponent))
}

/// The margin estimators: `base + ScaleResource(base, fraction)`.
pub fn with_margin(base: u64, fraction: f64) -> u64 {
    base.saturating_add(scale_amount(base, fraction))
}

/// `GetRecommendedPodResources` for one container of a pod of `containers_in_pod` containers
/// (the per-pod minimum is split evenly among them). `None` when the aggregate has no CPU sample
/// yet: upstream creates an aggregate when it first sees the container and would recommend the
/// minimum from an empty one; the simulator creates it with the first sample, so a workload has
/// no recommendation before the recommender's first metrics tick.
pub fn recommend(
    state: &AggregateContainerState,
    settings: &RecommenderSettings,
    containers_in_pod: u32,
) -> Option<Recommendation> {
    if state.is_empty() {
        return None;
    }
    let fraction = 1.0 / f64::from(containers_in_pod.max(1));
    let min_cpu = scale_amount(
        cpu_amount_from_cores(settings.pod_min_cpu_millicores * 0.001),
        fraction,
    );
    let min_memory = scale_amount(
        amount_from_f64(settings.pod_min_memory_mb * 1024.0 * 1024.0),
        fraction,
    );
    let margin = settings.safety_margin_fraction;
    let cpu_confidence = confidence(
        state.lifespan(),
        state.total_cpu_samples(),
        settings.confidence_interval_cpu,
    );
    let memory_confidence = confidence(
        state.lifespan(),
        state.total_cpu_samples(),
        settings.confidence_interval_memory,
    );
    let cpu = |p: f64| {
        with_margin(
            cpu_amount_from_cores(state.cpu_histogram().percentile(p)),
            margin,
        )
    };
    let memory = |p: f64| {
        with_margin(
            amount_from_f64(state.memory_histogram().percentile(p)),
            margin,
        )
    };
    // `CreatePodResourceRecommender`: lower bounds × (1 + 0.001/c)^-2, upper × (1 + 1/c)^1.
    let lower = |base: u64, c: f64| confidence_multiplier(base, 0.001, -2.0, c);
    let upper = |base: u64, c: f64| confidence_multiplier(base, 1.0, 1.0, c);
    Some(Recommendation {
        target: Resources::from_amounts(
            cpu(settings.target_cpu_percentile).max(min_cpu),
            memory(settings.target_memory_percentile).max(min_memory),
        ),
        lower: Resources::from_amounts(
            lower(cpu(settings.lower_bound_cpu_percentile), cpu_confidence).max(min_cpu),
            lower(
                memory(settings.lower_bound_memory_percentile),
                memory_confidence,
            )
            .max(min_memory),
        ),
        upper: Resources::from_amounts(
            upper(cpu(settings.upper_bound_cpu_percentile), cpu_confidence).max(min_cpu),
            upper(
                memory(settings.upper_bound_memory_percentile),
                memory_confidence,
            )
            .max(min_memory),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::time::SimTime;

    const MINUTE: SimDuration = SimDuration::from_secs(60);
    const GB: f64 = 1e9;

    /// One sample a minute at minutes `0..=minutes` of `cores` and `bytes`, one pod.
    fn steady(minutes: u64, cores: f64, bytes: f64) -> AggregateContainerState {
        let mut s = AggregateContainerState::new(AggregationSettings::default());
        for m in 0..=minutes {
            let at = SimTime::ZERO + MINUTE.mul_u64(m);
            assert!(s.add_cpu_sample(at, cores, 1));
            assert!(s.add_memory_sample(at, bytes));
        }
        s
    }

    #[test]
    fn no_sample_no_recommendation() {
        let s = AggregateContainerState::new(AggregationSettings::default());
        assert_eq!(recommend(&s, &RecommenderSettings::default(), 1), None);
    }

    #[test]
    fn steady_use_gives_the_bucket_end_plus_fifteen_percent() {
        // 0.5 core is in bucket floor(log_1.05(0.5 × 0.05 / 0.01 + 1)) = floor(25.68) = 25,
        // which ends at 0.01 × (1.05^26 − 1) / 0.05 = 0.51113 core → 511 m; + trunc(511 × 0.15 =
        // 76.65) = 587 m. Every percentile is that bucket's end, so the tolerance is only the
        // bucket width (5 %) against the usage, and exactly zero against the bucket end.
        let s = steady(25 * 60, 0.5, GB);
        let r = recommend(&s, &RecommenderSettings::default(), 1).expect("samples");
        assert_eq!(r.target.to_millis_bytes().0, 587);
        assert!((r.target.cpu_cores / (0.5 * 1.15) - 1.0).abs() < 0.05);
        // 1 GB: bucket floor(log_1.05(1e9 × 0.05 / 1e7 + 1)) = floor(36.72) = 36, ending at
        // 1e7 × (1.05^37 − 1) / 0.05 = 1.01628e9 bytes, × 1.15 ≈ 1.1687e9.
        assert!((r.target.memory_bytes / (1.01628e9 * 1.15) - 1.0).abs() < 1e-4);
    }

    #[test]
    fn a_day_of_history_doubles_the_upper_bound() {
        // Minutes 0..=1440: lifespan 1 day, 1441 samples / 1440 → confidence exactly 1, so the
        // upper bound is (p95 × 1.15) × (1 + 1/1) = twice the target (all percentiles agree).
        let s = steady(1440, 2.0, 4.0 * GB);
        assert_eq!(
            confidence(
                s.lifespan(),
                s.total_cpu_samples(),
                SimDuration::from_secs(86_400)
            ),
            1.0
        );
        let r = recommend(&s, &RecommenderSettings::default(), 1).expect("samples");
        let (target_m, target_b) = r.target.to_millis_bytes();
        let (upper_m, upper_b) = r.upper.to_millis_bytes();
        assert_eq!(upper_m, 2 * target_m);
        assert_eq!(upper_b, 2 * target_b);
        // (1 + 0.001)^-2 = 0.998: the lower bound is about the target.
        assert!((r.lower.cpu_cores / r.target.cpu_cores - 0.998).abs() < 1e-3);
    }

    #[test]
    fn five_minutes_of_history_lower_the_lower_bound_to_sixty_percent() {
        // Minutes 0..=5: lifespan 5/1440 day < samples 6/1440, so c = 0.003472 and
        // (1 + 0.001/c)^-2 = (1.288)^-2 = 0.6028 ("0.6 at 5 min" in recommender.go).
        let s = steady(5, 2.0, 4.0 * GB);
        let r = recommend(&s, &RecommenderSettings::default(), 1).expect("samples");
        assert!((r.lower.cpu_cores / r.target.cpu_cores - 0.6028).abs() < 1e-3);
        assert!((r.lower.memory_bytes / r.target.memory_bytes - 0.6028).abs() < 1e-3);
        // Upper: (1 + 288) × the target.
        assert!((r.upper.cpu_cores / r.target.cpu_cores - 289.0).abs() < 0.01);
    }

    #[test]
    fn the_pod_minimum_is_split_among_containers() {
        // 1 m of CPU and 1 MB of memory: far below 25 m and 250 MiB.
        let s = steady(60, 0.001, 1e6);
        let r = recommend(&s, &RecommenderSettings::default(), 2).expect("samples");
        // 25 m / 2 = 12.5 → 12 m (truncated); 250 MiB / 2 = 131072000 bytes.
        assert_eq!(r.target.to_millis_bytes(), (12, 131_072_000));
        assert_eq!(r.lower.to_millis_bytes(), (12, 131_072_000));
    }

    #[test]
    fn to_millis_bytes_rounds_up_but_not_float_noise() {
        let r = Resources {
            cpu_cores: 0.0011,
            memory_bytes: 10.5,
        };
        assert_eq!(r.to_millis_bytes(), (2, 11));
        let exact = Resources::from_amounts(123, 7);
        assert_eq!(exact.to_millis_bytes(), (123, 7));
        let huge = Resources {
            cpu_cores: f64::INFINITY,
            memory_bytes: -1.0,
        };
        assert_eq!(huge.to_millis_bytes(), (u64::MAX, 0));
    }
}

//! What the recommender remembers of one workload's container: a decaying histogram of CPU
//! usage, a decaying histogram of memory peaks (one per aggregation interval), and the sample
//! counts and times that the confidence of a recommendation is read from.
//!
//! A port of `kubernetes/autoscaler` `vertical-pod-autoscaler/pkg/recommender/model/`
//! `aggregate_container_state.go` (`AggregateContainerState`, `addCPUSample`),
//! `container.go` (`ContainerState`: `addCPUSample`, `addMemorySample`, `RecordOOM`) and the
//! amount conversions of `types.go` (`ResourceAmount`), at commit
//! `55c37cd5eb550756c5ccc5a89e9068d77797e575`. Upstream keeps a `ContainerState` per container
//! that feeds an aggregate per (namespace, container name, pod labels); this simulator's pods
//! of one deployment are alike, so one [`AggregateContainerState`] holds both parts:
//!
//! * **CPU**: the pods all use the same CPU, so a tick adds `pods` identical samples at once
//!   (weight `0.1 × pods`, sample count `+= pods`), which is what upstream's per-pod samples sum
//!   to.
//! * **Memory**: one container stands for all the pods: its peaks go in with weight 1, where
//!   upstream adds one peak per pod. The pods' peaks are equal, and a percentile does not change
//!   when every weight is multiplied by the same number, so the recommendation is the same.
//!
//! Amounts follow upstream's `ResourceAmount` (an integer: millicores, bytes): values are
//! truncated to a whole amount and capped at 10^14 where upstream converts, so the same samples
//! give the same numbers.

use sim::time::{SimDuration, SimTime};

use super::histogram::{BucketOptions, DecayingHistogram, MIN_SAMPLE_WEIGHT};

/// `MaxResourceAmount = 1e14` (types.go): 10^14 millicores or bytes.
pub const MAX_RESOURCE_AMOUNT: u64 = 100_000_000_000_000;

/// `resourceAmountFromFloat` (types.go): truncated toward zero, negative → 0, above 10^14 →
/// 10^14. NaN gives 0 (Go's conversion of NaN is platform-defined; every path upstream that can
/// produce it, 0 × ∞ in a confidence multiplier, is then raised to the minimum resources, as 0
/// is here).
pub fn amount_from_f64(amount: f64) -> u64 {
    if amount > MAX_RESOURCE_AMOUNT as f64 {
        return MAX_RESOURCE_AMOUNT;
    }
    // `as` truncates, maps NaN and negatives to 0.
    amount as u64
}

/// `CPUAmountFromCores`: millicores, truncated.
pub fn cpu_amount_from_cores(cores: f64) -> u64 {
    amount_from_f64(cores * 1000.0)
}

/// `CoresFromCPUAmount`.
pub fn cores_from_cpu_amount(millicores: u64) -> f64 {
    millicores as f64 / 1000.0
}

/// `ScaleResource`: `amount × factor`, truncated and capped as [`amount_from_f64`].
pub fn scale_amount(amount: u64, factor: f64) -> u64 {
    amount_from_f64(amount as f64 * factor)
}

/// How far memory goes up after an OOM kill (`DefaultOOMBumpUpRatio`, `DefaultOOMMinBumpUp`,
/// aggregations_config.go; per VPA behind the `PerVPAConfig` feature gate).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct OomBump {
    /// The memory used times this: 1.2 ("memory is increased by 20 % after an OOMKill").
    pub ratio: f64,
    /// At least this much more: 100 MiB.
    pub min_bump_bytes: f64,
}

impl Default for OomBump {
    fn default() -> OomBump {
        OomBump {
            ratio: 1.2,
            min_bump_bytes: 104_857_600.0,
        }
    }
}

/// The aggregation constants of `aggregations_config.go`.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct AggregationSettings {
    /// `DefaultCPUHistogramDecayHalfLife` (`--cpu-histogram-decay-half-life`): 24 h.
    pub cpu_half_life: SimDuration,
    /// `DefaultMemoryHistogramDecayHalfLife` (`--memory-histogram-decay-half-life`): 24 h.
    pub memory_half_life: SimDuration,
    /// `DefaultMemoryAggregationInterval` (`--memory-aggregation-interval`): 24 h, one memory
    /// peak per interval.
    pub memory_interval: SimDuration,
    /// `DefaultMemoryAggregationIntervalCount` (`--memory-aggregation-interval-count`): 8; an
    /// aggregate with no sample for `interval × count` (8 days) expires.
    pub memory_interval_count: u32,
}

impl Default for AggregationSettings {
    fn default() -> AggregationSettings {
        let day = SimDuration::from_secs(24 * 3600);
        AggregationSettings {
            cpu_half_life: day,
            memory_half_life: day,
            memory_interval: day,
            memory_interval_count: 8,
        }
    }
}

impl AggregationSettings {
    /// `GetMemoryAggregationWindowLength`: interval × count.
    pub fn memory_window(&self) -> SimDuration {
        self.memory_interval
            .mul_u64(u64::from(self.memory_interval_count))
    }
}

/// `oomMemorySample` of `RecordOOM`: `used = max(request, peak)`, then
/// `max(used + min_bump, used × ratio)`, in whole bytes as upstream's `ResourceAmount`.
pub fn oom_sample_bytes(
    memory_request_bytes: f64,
    current_peak_bytes: f64,
    ratio: f64,
    min_bump_bytes: f64,
) -> f64 {
    let used = amount_from_f64(memory_request_bytes).max(amount_from_f64(current_peak_bytes));
    let needed = used
        .saturating_add(amount_from_f64(min_bump_bytes))
        .max(scale_amount(used, ratio));
    needed as f64
}

/// One workload's container as the recommender sees it (see the module doc).
#[derive(Clone, Debug, PartialEq)]
pub struct AggregateContainerState {
    settings: AggregationSettings,
    /// `AggregateCPUUsage`, in cores.
    cpu: DecayingHistogram,
    /// `AggregateMemoryPeaks`, in bytes.
    memory_peaks: DecayingHistogram,
    /// `FirstSampleStart`, `LastSampleStart`, `TotalSamplesCount`: CPU samples only, as
    /// upstream.
    first_sample_start: Option<SimTime>,
    last_sample_start: Option<SimTime>,
    total_cpu_samples: u64,
    /// `ContainerState.LastCPUSampleStart`: samples not after it are dropped.
    last_cpu_sample_start: Option<SimTime>,
    /// `memoryPeak`, `oomPeak`: the current interval's peaks, in bytes (0 = none).
    memory_peak_bytes: u64,
    oom_peak_bytes: u64,
    /// `WindowEnd`: the end (exclusive) of the current memory interval; `None` before the first
    /// memory sample.
    window_end: Option<SimTime>,
    /// `lastMemorySampleStart`.
    last_memory_sample_start: Option<SimTime>,
}

impl AggregateContainerState {
    /// `NewAggregateContainerState`: empty histograms with the given constants.
    pub fn new(settings: AggregationSettings) -> AggregateContainerState {
        AggregateContainerState {
            settings,
            cpu: DecayingHistogram::new(BucketOptions::cpu(), settings.cpu_half_life),
            memory_peaks: DecayingHistogram::new(
                BucketOptions::memory(),
                settings.memory_half_life,
            ),
            first_sample_start: None,
            last_sample_start: None,
            total_cpu_samples: 0,
            last_cpu_sample_start: None,
            memory_peak_bytes: 0,
            oom_peak_bytes: 0,
            window_end: None,
            last_memory_sample_start: None,
        }
    }

    /// `pods` CPU samples of `cores` each, measured from `at` (`addCPUSample` of both
    /// container.go and aggregate_container_state.go): weight `minSampleWeight × pods`. A
    /// sample not after the last one is dropped (duplicate or out of order), as is a negative or
    /// NaN one (`isValid`). Returns whether it was added.
    pub fn add_cpu_sample(&mut self, at: SimTime, cores: f64, pods: u32) -> bool {
        if pods == 0
            || cores.is_nan()
            || cores < 0.0
            || self.last_cpu_sample_start.is_some_and(|l| at <= l)
        {
            return false;
        }
        // Upstream samples are `ResourceAmount`s: whole millicores.
        let cores = cores_from_cpu_amount(cpu_amount_from_cores(cores));
        self.cpu
            .add_sample(cores, MIN_SAMPLE_WEIGHT * f64::from(pods), at);
        self.last_cpu_sample_start = Some(at);
        self.last_sample_start = Some(self.last_sample_start.map_or(at, |l| l.max(at)));
        self.first_sample_start = Some(self.first_sample_start.map_or(at, |f| f.min(at)));
        self.total_cpu_samples += u64::from(pods);
        true
    }

    /// A memory usage sample of `bytes` measured from `at` (`addMemorySample`, not an OOM).
    /// One container stands for all the pods (module doc). Returns whether it was added.
    pub fn add_memory_sample(&mut self, at: SimTime, bytes: f64) -> bool {
        self.add_memory(at, bytes, false)
    }

    /// `RecordOOM`: an OOM kill at `at` of a container that requested `memory_request_bytes`
    /// becomes a memory sample of [`oom_sample_bytes`] (the usage peak only, not an earlier
    /// OOM's, so that repeated OOMs do not compound). Ignored, returning false, when older than
    /// the last memory sample minus one aggregation interval.
    pub fn record_oom(&mut self, at: SimTime, memory_request_bytes: f64, bump: OomBump) -> bool {
        if let Some(last) = self.last_memory_sample_start
            && at.as_nanos()
                < last
                    .as_nanos()
                    .saturating_sub(self.settings.memory_interval.as_nanos())
        {
            return false;
        }
        let needed = oom_sample_bytes(
            memory_request_bytes,
            self.memory_peak_bytes as f64,
            bump.ratio,
            bump.min_bump_bytes,
        );
        self.add_memory(at, needed, true)
    }

    /// `addMemorySample`: one peak per interval. A sample inside the current interval replaces
    /// the peak when larger (the old one is subtracted, the new one added, both stamped at the
    /// interval's end); a sample at or after its end moves the end forward by whole intervals
    /// and starts a new peak. OOM samples are taken even when out of order.
    fn add_memory(&mut self, at: SimTime, bytes: f64, is_oom: bool) -> bool {
        if bytes.is_nan()
            || bytes < 0.0
            || (!is_oom && self.last_memory_sample_start.is_some_and(|l| at < l))
        {
            return false;
        }
        let bytes = amount_from_f64(bytes);
        self.last_memory_sample_start = Some(at);
        let window_end = *self.window_end.get_or_insert(at);
        let interval = self.settings.memory_interval;
        let (window_end, add_new_peak) = if at < window_end {
            let old_peak = self.memory_peak_bytes.max(self.oom_peak_bytes);
            if old_peak != 0 && bytes > old_peak {
                self.memory_peaks
                    .subtract_sample(old_peak as f64, 1.0, window_end);
                (window_end, true)
            } else {
                (window_end, false)
            }
        } else {
            // `shift = (at − end).Truncate(interval) + interval`.
            let behind = at.saturating_duration_since(window_end);
            let shift = interval.mul_u64(behind / interval) + interval;
            self.memory_peak_bytes = 0;
            self.oom_peak_bytes = 0;
            (window_end + shift, true)
        };
        self.window_end = Some(window_end);
        if add_new_peak {
            self.memory_peaks.add_sample(bytes as f64, 1.0, window_end);
            if is_oom {
                self.oom_peak_bytes = bytes;
            } else {
                self.memory_peak_bytes = bytes;
            }
        }
        true
    }

    pub fn cpu_histogram(&self) -> &DecayingHistogram {
        &self.cpu
    }

    pub fn memory_histogram(&self) -> &DecayingHistogram {
        &self.memory_peaks
    }

    /// `TotalSamplesCount`: CPU samples, each pod's counted.
    pub fn total_cpu_samples(&self) -> u64 {
        self.total_cpu_samples
    }

    /// `LastSampleStart − FirstSampleStart`: zero before two CPU samples.
    pub fn lifespan(&self) -> SimDuration {
        match (self.first_sample_start, self.last_sample_start) {
            (Some(first), Some(last)) => last.saturating_duration_since(first),
            _ => SimDuration::ZERO,
        }
    }

    /// `LastSampleStart`: the start of the latest CPU sample.
    pub fn last_sample_start(&self) -> Option<SimTime> {
        self.last_sample_start
    }

    /// `isEmpty`: no CPU sample yet.
    pub fn is_empty(&self) -> bool {
        self.total_cpu_samples == 0
    }

    /// `isExpired` for an aggregate with samples: no CPU sample for the memory aggregation
    /// window (8 days by default). An empty aggregate never expires here (upstream counts from
    /// its creation; the simulator creates it with its first sample).
    pub fn is_expired(&self, now: SimTime) -> bool {
        self.last_sample_start.is_some_and(|last| {
            now.saturating_duration_since(last) >= self.settings.memory_window()
        })
    }

    /// The current memory interval's peak from usage (not from an OOM), in bytes.
    pub fn memory_peak_bytes(&self) -> f64 {
        self.memory_peak_bytes as f64
    }

    /// `WindowEnd`.
    pub fn memory_window_end(&self) -> Option<SimTime> {
        self.window_end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: SimDuration = SimDuration::from_secs(3600);
    const MB: f64 = 1024.0 * 1024.0;

    fn at_h(hours: u64) -> SimTime {
        SimTime::ZERO + HOUR.mul_u64(hours)
    }

    fn state() -> AggregateContainerState {
        AggregateContainerState::new(AggregationSettings::default())
    }

    #[test]
    fn cpu_samples_count_each_pod_and_drop_the_out_of_order() {
        let mut s = state();
        assert!(s.add_cpu_sample(at_h(1), 0.5, 3));
        assert!(
            !s.add_cpu_sample(at_h(1), 0.5, 3),
            "same start: a duplicate"
        );
        assert!(
            !s.add_cpu_sample(SimTime::ZERO, 0.5, 3),
            "earlier: out of order"
        );
        assert!(s.add_cpu_sample(at_h(2), 0.5, 3));
        assert_eq!(s.total_cpu_samples(), 6);
        assert_eq!(s.lifespan(), HOUR);
        // Both samples sit one and two hours after the reference: 0.3 × (2^(1/24) + 2^(2/24)).
        let expected = 0.3 * ((1.0f64 / 24.0).exp2() + (2.0f64 / 24.0).exp2());
        assert!((s.cpu_histogram().total_weight() - expected).abs() < 1e-12);
    }

    #[test]
    fn a_larger_peak_in_the_interval_replaces_the_old_one() {
        let mut s = state();
        assert!(s.add_memory_sample(at_h(0), 100.0 * MB));
        // The first sample opens the interval [0 h, 24 h) and goes in at its end.
        assert_eq!(s.memory_window_end(), Some(at_h(24)));
        assert!(s.add_memory_sample(at_h(5), 300.0 * MB));
        assert!(
            s.add_memory_sample(at_h(6), 200.0 * MB),
            "taken, but not a new peak"
        );
        assert_eq!(s.memory_peak_bytes(), 300.0 * MB);
        // One peak of weight 2^(24/24) = 2 at the window end: 100 MB was subtracted.
        assert!((s.memory_histogram().total_weight() - 2.0).abs() < 1e-12);
        let options = BucketOptions::memory();
        let bucket = options.find_bucket(300.0 * MB);
        assert_eq!(
            s.memory_histogram().percentile(0.0),
            options.bucket_start(bucket + 1)
        );
    }

    #[test]
    fn a_sample_past_the_interval_shifts_the_window_by_whole_intervals() {
        let mut s = state();
        s.add_memory_sample(at_h(0), 100.0 * MB);
        // 24 h + 50 h = 74 h: (74 − 24) truncated to 48, plus 24 → the end moves to 96 h.
        assert!(s.add_memory_sample(at_h(74), 50.0 * MB));
        assert_eq!(s.memory_window_end(), Some(at_h(96)));
        assert_eq!(s.memory_peak_bytes(), 50.0 * MB);
        // Two peaks now: weights 2^1 (at 24 h) and 2^4 (at 96 h).
        assert!((s.memory_histogram().total_weight() - 18.0).abs() < 1e-9);
        assert!(
            !s.add_memory_sample(at_h(73), 60.0 * MB),
            "older than the last sample"
        );
    }

    #[test]
    fn oom_bumps_by_ratio_or_by_the_minimum() {
        let bump = OomBump::default();
        // 1 GiB × 1.2 = 1288490188.8 → 1288490188 bytes > 1 GiB + 100 MiB.
        assert_eq!(
            oom_sample_bytes(1024.0 * MB, 0.0, bump.ratio, bump.min_bump_bytes),
            1_288_490_188.0
        );
        // 200 MiB: + 100 MiB = 300 MiB beats × 1.2 = 240 MiB.
        assert_eq!(
            oom_sample_bytes(200.0 * MB, 0.0, bump.ratio, bump.min_bump_bytes),
            300.0 * MB
        );
        // A usage peak above the request is what gets bumped.
        assert_eq!(
            oom_sample_bytes(200.0 * MB, 500.0 * MB, bump.ratio, bump.min_bump_bytes),
            600.0 * MB
        );
    }

    #[test]
    fn an_oom_becomes_the_interval_peak_and_stale_ones_are_ignored() {
        let mut s = state();
        s.add_memory_sample(at_h(30), 400.0 * MB);
        assert!(s.record_oom(at_h(31), 200.0 * MB, OomBump::default()));
        // max(400 + 100, 400 × 1.2 = 480) MiB = 500 MiB replaces the 400 MiB peak.
        let options = BucketOptions::memory();
        let bucket = options.find_bucket(500.0 * MB);
        assert_eq!(
            s.memory_histogram().percentile(1.0),
            options.bucket_start(bucket + 1)
        );
        // The last memory sample started at 31 h: an OOM before 31 − 24 = 7 h is too old.
        assert!(!s.record_oom(at_h(6), 200.0 * MB, OomBump::default()));
        assert!(s.record_oom(at_h(7), 200.0 * MB, OomBump::default()));
    }
}

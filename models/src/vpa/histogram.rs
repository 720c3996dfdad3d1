//! The recommender's usage histograms: exponential buckets, and the decaying histogram that
//! halves a sample's weight every half-life.
//!
//! A port of `kubernetes/autoscaler` `vertical-pod-autoscaler/pkg/recommender/util/`
//! `histogram_options.go` (`NewExponentialHistogramOptions`: [`BucketOptions`]),
//! `histogram.go` (`histogram`: [`Histogram`]) and `decaying_histogram.go`
//! (`decayingHistogram`: [`DecayingHistogram`]) at commit
//! `55c37cd5eb550756c5ccc5a89e9068d77797e575`. The bucket constants are those of
//! `recommender/model/aggregations_config.go` ([`BucketOptions::cpu`], [`BucketOptions::memory`]).
//!
//! Why buckets and not samples: a percentile of a million samples would need them all; a
//! histogram of 176 buckets answers to within 5 % (the bucket growth) in constant memory,
//! which is what upstream trades and what the recommendations it gives depend on.
//!
//! One difference, on purpose: upstream's decaying reference time starts at Go's zero time and
//! jumps to the first sample; here it starts at the run's start, [`SimTime::ZERO`], which every
//! sample follows. Only relative weights reach a percentile, so the answers are the same; the
//! absolute weights are ≥ the sample weight rather than within a factor √2 of it, which keeps
//! every fresh sample above the emptiness threshold as upstream's do.

use sim::time::{SimDuration, SimTime};

/// `minSampleWeight` (aggregations_config.go): the weight of one CPU sample before decay.
pub const MIN_SAMPLE_WEIGHT: f64 = 0.1;

/// `epsilon = 0.001 × minSampleWeight` (aggregations_config.go): a bucket lighter than this is
/// empty.
pub const EPSILON: f64 = 0.001 * MIN_SAMPLE_WEIGHT;

/// `DefaultHistogramBucketSizeGrowth = 0.05`: each bucket is 5 % wider than the one before.
pub const BUCKET_RATIO: f64 = 1.05;

/// `maxDecayExponent` (decaying_histogram.go): past 2^100 the reference time moves forward.
const MAX_DECAY_EXPONENT: u64 = 100;

/// The bucketing scheme of a histogram: bucket `n ≥ 1` starts at
/// `first × (ratio^n − 1) / (ratio − 1)`, bucket 0 at zero, and the last bucket (which has no
/// end) starts at or above the maximum value (`exponentialHistogramOptions`).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct BucketOptions {
    num_buckets: usize,
    first_bucket_size: f64,
    ratio: f64,
    epsilon: f64,
}

impl BucketOptions {
    /// `NewExponentialHistogramOptions`: `numBuckets = ceil(log_ratio(max × (ratio − 1) / first
    /// + 1)) + 1`.
    ///
    /// # Panics
    ///
    /// Unless `max_value > 0`, `first_bucket_size > 0`, `ratio > 1` and `epsilon > 0` (upstream
    /// returns an error; the options here are constants, so a bad one is a bug).
    pub fn exponential(
        max_value: f64,
        first_bucket_size: f64,
        ratio: f64,
        epsilon: f64,
    ) -> BucketOptions {
        assert!(
            max_value > 0.0 && first_bucket_size > 0.0 && ratio > 1.0 && epsilon > 0.0,
            "maxValue, firstBucketSize and epsilon must be > 0.0, ratio must be > 1.0"
        );
        let buckets = log(ratio, max_value * (ratio - 1.0) / first_bucket_size + 1.0).ceil();
        BucketOptions {
            num_buckets: buckets as usize + 1,
            first_bucket_size,
            ratio,
            epsilon,
        }
    }

    /// CPU in cores: first bucket 0.01 core (10 m), last bucket at 1000 cores
    /// (`cpuHistogramOptions`).
    pub fn cpu() -> BucketOptions {
        BucketOptions::exponential(1000.0, 0.01, BUCKET_RATIO, EPSILON)
    }

    /// Memory in bytes: first bucket 10^7 bytes (10 MB), last bucket at 10^12 bytes (1 TB)
    /// (`memoryHistogramOptions`).
    pub fn memory() -> BucketOptions {
        BucketOptions::exponential(1e12, 1e7, BUCKET_RATIO, EPSILON)
    }

    pub fn num_buckets(&self) -> usize {
        self.num_buckets
    }

    /// `FindBucket`: `floor(log_ratio(value × (ratio − 1) / first + 1))`, 0 below the first
    /// bucket's size (negative and NaN values included), the last bucket above its start.
    pub fn find_bucket(&self, value: f64) -> usize {
        // NaN lands in bucket 0 too.
        if value.is_nan() || value < self.first_bucket_size {
            return 0;
        }
        let bucket = log(
            self.ratio,
            value * (self.ratio - 1.0) / self.first_bucket_size + 1.0,
        );
        // `as` truncates like Go's `int(...)` and saturates for +inf.
        (bucket as usize).min(self.num_buckets - 1)
    }

    /// `GetBucketStart`: `first × (ratio^bucket − 1) / (ratio − 1)`, zero for bucket 0.
    ///
    /// # Panics
    ///
    /// When `bucket` is not below [`BucketOptions::num_buckets`], as upstream does.
    pub fn bucket_start(&self, bucket: usize) -> f64 {
        assert!(
            bucket < self.num_buckets,
            "index {bucket} out of range [0..{}]",
            self.num_buckets - 1
        );
        if bucket == 0 {
            return 0.0;
        }
        let exponent = i32::try_from(bucket).unwrap_or(i32::MAX);
        self.first_bucket_size * (self.ratio.powi(exponent) - 1.0) / (self.ratio - 1.0)
    }

    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }
}

/// Go's `log(base, x)`: `ln x / ln base`.
fn log(base: f64, x: f64) -> f64 {
    x.ln() / base.ln()
}

/// A histogram whose buckets hold the total weight of the samples that fell in them
/// (`histogram`). No interpolation inside a bucket.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    options: BucketOptions,
    bucket_weight: Vec<f64>,
    total_weight: f64,
    /// The first bucket of at least epsilon, or the last bucket when there is none.
    min_bucket: usize,
    /// The last bucket of at least epsilon, or 0 when there is none.
    max_bucket: usize,
}

impl Histogram {
    /// `NewHistogram`.
    pub fn new(options: BucketOptions) -> Histogram {
        Histogram {
            options,
            bucket_weight: vec![0.0; options.num_buckets],
            total_weight: 0.0,
            min_bucket: options.num_buckets - 1,
            max_bucket: 0,
        }
    }

    /// `AddSample`. A negative or NaN weight is ignored (upstream panics; the weights here are
    /// the recommender's own, never a user's).
    pub fn add_sample(&mut self, value: f64, weight: f64) {
        if weight.is_nan() || weight < 0.0 {
            debug_assert!(false, "sample weight must be non-negative, got {weight}");
            return;
        }
        let bucket = self.options.find_bucket(value);
        self.bucket_weight[bucket] += weight;
        self.total_weight += weight;
        let epsilon = self.options.epsilon;
        if bucket < self.min_bucket && self.bucket_weight[bucket] >= epsilon {
            self.min_bucket = bucket;
        }
        if bucket > self.max_bucket && self.bucket_weight[bucket] >= epsilon {
            self.max_bucket = bucket;
        }
    }

    /// `SubtractSample`: the bucket's and the total weight go down by `weight`, to zero when
    /// less than epsilon would remain (`safeSubtract`).
    pub fn subtract_sample(&mut self, value: f64, weight: f64) {
        if weight.is_nan() || weight < 0.0 {
            debug_assert!(false, "sample weight must be non-negative, got {weight}");
            return;
        }
        let bucket = self.options.find_bucket(value);
        let epsilon = self.options.epsilon;
        self.total_weight = safe_subtract(self.total_weight, weight, epsilon);
        self.bucket_weight[bucket] = safe_subtract(self.bucket_weight[bucket], weight, epsilon);
        self.update_min_and_max_bucket();
    }

    /// `Percentile(p)`, `p` in [0, 1]: walks the buckets from the first non-empty one until the
    /// running weight reaches `p × total`, and returns the *end* of that bucket (the start of the
    /// next), or the start of the last bucket, which has no end. Zero when empty.
    pub fn percentile(&self, p: f64) -> f64 {
        if self.is_empty() {
            return 0.0;
        }
        let threshold = p * self.total_weight;
        let mut partial_sum = 0.0;
        let mut bucket = self.min_bucket;
        while bucket < self.max_bucket {
            partial_sum += self.bucket_weight[bucket];
            if partial_sum >= threshold {
                break;
            }
            bucket += 1;
        }
        if bucket < self.options.num_buckets - 1 {
            self.options.bucket_start(bucket + 1)
        } else {
            self.options.bucket_start(bucket)
        }
    }

    /// `IsEmpty`: the first non-empty bucket is lighter than epsilon, i.e. there is none.
    pub fn is_empty(&self) -> bool {
        self.bucket_weight[self.min_bucket] < self.options.epsilon
    }

    /// The sum of the weights (after decay, for a [`DecayingHistogram`]).
    pub fn total_weight(&self) -> f64 {
        self.total_weight
    }

    /// `scale`: multiplies every weight by `factor` (≥ 0); percentiles do not change, but
    /// buckets may fall below epsilon and leave the non-empty range.
    fn scale(&mut self, factor: f64) {
        if self.min_bucket <= self.max_bucket {
            for weight in &mut self.bucket_weight[self.min_bucket..=self.max_bucket] {
                *weight *= factor;
            }
        }
        self.total_weight *= factor;
        self.update_min_and_max_bucket();
    }

    /// `updateMinAndMaxBucket`, after any operation that lowers weights.
    fn update_min_and_max_bucket(&mut self) {
        let epsilon = self.options.epsilon;
        let last = self.options.num_buckets - 1;
        while self.bucket_weight[self.min_bucket] < epsilon && self.min_bucket < last {
            self.min_bucket += 1;
        }
        while self.bucket_weight[self.max_bucket] < epsilon && self.max_bucket > 0 {
            self.max_bucket -= 1;
        }
    }
}

/// `safeSubtract`: `value − sub`, or zero when less than epsilon remains.
fn safe_subtract(value: f64, sub: f64, epsilon: f64) -> f64 {
    let rest = value - sub;
    if rest < epsilon { 0.0 } else { rest }
}

/// A histogram that forgets: a sample at time `t` weighs `weight × 2^((t − reference) /
/// half_life)`, so a sample one half-life older than another counts half as much
/// (`decayingHistogram`).
#[derive(Clone, Debug, PartialEq)]
pub struct DecayingHistogram {
    histogram: Histogram,
    half_life: SimDuration,
    /// Always a whole number of half-lives after [`SimTime::ZERO`].
    reference: SimTime,
}

impl DecayingHistogram {
    /// `NewDecayingHistogram`.
    ///
    /// # Panics
    ///
    /// When `half_life` is zero (a bug: the half-lives are the recommender's constants).
    pub fn new(options: BucketOptions, half_life: SimDuration) -> DecayingHistogram {
        assert!(!half_life.is_zero(), "a decay half-life must be positive");
        DecayingHistogram {
            histogram: Histogram::new(options),
            half_life,
            reference: SimTime::ZERO,
        }
    }

    pub fn add_sample(&mut self, value: f64, weight: f64, at: SimTime) {
        let factor = self.decay_factor(at);
        self.histogram.add_sample(value, weight * factor);
    }

    /// Removes a sample added earlier with the same value, weight and time.
    pub fn subtract_sample(&mut self, value: f64, weight: f64, at: SimTime) {
        let factor = self.decay_factor(at);
        self.histogram.subtract_sample(value, weight * factor);
    }

    pub fn percentile(&self, p: f64) -> f64 {
        self.histogram.percentile(p)
    }

    pub fn is_empty(&self) -> bool {
        self.histogram.is_empty()
    }

    /// The sum of the decayed weights, relative to the current reference time.
    pub fn total_weight(&self) -> f64 {
        self.histogram.total_weight()
    }

    /// `decayFactor`: `2^((at − reference) / half_life)`, first moving the reference forward
    /// when the exponent would exceed 100.
    fn decay_factor(&mut self, at: SimTime) -> f64 {
        let max_allowed = self.reference + self.half_life.mul_u64(MAX_DECAY_EXPONENT);
        if at > max_allowed {
            self.shift_reference(at);
        }
        let since_ns = i128::from(at.as_nanos()) - i128::from(self.reference.as_nanos());
        (since_ns as f64 / self.half_life.as_nanos() as f64).exp2()
    }

    /// `shiftReferenceTimestamp`: the new reference is `to` rounded to a whole number of
    /// half-lives (halves up, as Go's `Time.Round`), and every weight is scaled by
    /// `2^(old − new)/half_life` so that relative weights stay.
    fn shift_reference(&mut self, to: SimTime) {
        let half_ns = self.half_life.as_nanos();
        let rest = to.as_nanos() % half_ns;
        let down = to.as_nanos() - rest;
        let rounded = if rest >= half_ns - rest {
            down.saturating_add(half_ns)
        } else {
            down
        };
        let new_reference = SimTime::from_nanos(rounded);
        let shift_ns = i128::from(self.reference.as_nanos()) - i128::from(rounded);
        // Upstream's `round(x) = floor(x + 0.5)`; both times are whole half-lives, so exact.
        let exponent = (shift_ns as f64 / half_ns as f64 + 0.5).floor();
        self.histogram.scale(exponent.exp2());
        self.reference = new_reference;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: SimDuration = SimDuration::from_secs(86_400);

    #[test]
    fn cpu_and_memory_options_have_176_buckets() {
        // ceil(ln(1000 × 0.05 / 0.01 + 1) / ln 1.05) + 1 = ceil(174.57) + 1 = 176; memory has the
        // same ratio max/first = 10^5.
        assert_eq!(BucketOptions::cpu().num_buckets(), 176);
        assert_eq!(BucketOptions::memory().num_buckets(), 176);
    }

    #[test]
    fn bucket_starts_grow_by_five_percent() {
        let o = BucketOptions::cpu();
        assert_eq!(o.bucket_start(0), 0.0);
        assert!((o.bucket_start(1) - 0.01).abs() < 1e-12);
        // 0.01 + 0.0105 = 0.0205.
        assert!((o.bucket_start(2) - 0.0205).abs() < 1e-12);
        assert_eq!(o.find_bucket(0.005), 0);
        assert_eq!(o.find_bucket(0.015), 1);
        assert_eq!(o.find_bucket(0.021), 2);
        assert_eq!(o.find_bucket(1e9), 175);
        assert_eq!(o.find_bucket(f64::NAN), 0);
        assert_eq!(o.find_bucket(-1.0), 0);
    }

    #[test]
    fn percentile_is_the_end_of_the_bucket_reached() {
        let o = BucketOptions::cpu();
        let mut h = Histogram::new(o);
        assert!(h.is_empty());
        assert_eq!(h.percentile(0.5), 0.0);
        h.add_sample(0.015, 1.0); // bucket 1: [0.01, 0.0205)
        h.add_sample(0.021, 1.0); // bucket 2
        assert!((h.percentile(0.5) - 0.0205).abs() < 1e-12);
        assert!((h.percentile(1.0) - o.bucket_start(3)).abs() < 1e-12);
        // The last bucket has no end: its start is the answer.
        h.add_sample(5000.0, 10.0);
        assert_eq!(h.percentile(1.0), o.bucket_start(175));
    }

    #[test]
    fn subtracting_a_sample_empties_its_bucket() {
        let mut h = Histogram::new(BucketOptions::cpu());
        h.add_sample(1.0, 1.0);
        h.add_sample(2.0, 1.0);
        h.subtract_sample(2.0, 1.0);
        assert_eq!(h.total_weight(), 1.0);
        let one = BucketOptions::cpu().find_bucket(1.0);
        assert_eq!(
            h.percentile(1.0),
            BucketOptions::cpu().bucket_start(one + 1)
        );
        h.subtract_sample(1.0, 1.0);
        assert!(h.is_empty());
    }

    #[test]
    fn a_sample_one_half_life_later_weighs_double() {
        let mut h = DecayingHistogram::new(BucketOptions::cpu(), DAY);
        h.add_sample(1.0, 1.0, SimTime::ZERO);
        assert_eq!(h.total_weight(), 1.0);
        h.add_sample(2.0, 1.0, SimTime::ZERO + DAY);
        assert_eq!(h.total_weight(), 3.0);
        // Weights 1 and 2: the median is in the bucket of 2.0.
        let two = BucketOptions::cpu().find_bucket(2.0);
        assert_eq!(
            h.percentile(0.4),
            BucketOptions::cpu().bucket_start(two + 1)
        );
        h.add_sample(3.0, 1.0, SimTime::ZERO + DAY.mul_u64(2));
        assert_eq!(h.total_weight(), 7.0);
    }

    #[test]
    fn the_reference_moves_past_100_half_lives_and_keeps_relative_weights() {
        let hour = SimDuration::from_secs(3600);
        let mut h = DecayingHistogram::new(BucketOptions::cpu(), hour);
        h.add_sample(1.0, 1.0, SimTime::ZERO + hour.mul_u64(100));
        assert_eq!(h.total_weight(), 2f64.powi(100));
        // 101 half-lives is past the limit: the reference moves to hour 101, the old weight
        // 2^100 becomes 2^-1 and the new sample weighs 1.
        h.add_sample(1.0, 1.0, SimTime::ZERO + hour.mul_u64(101));
        assert_eq!(h.reference, SimTime::ZERO + hour.mul_u64(101));
        assert_eq!(h.total_weight(), 1.5);
    }
}

//! The request-weighted latency histogram both queue backends fill: the fluid model adds whole
//! stretches of requests with their exact latency distribution, the request-level model adds
//! one measured request at a time, into the same log-spaced buckets, so their quantiles are
//! read the same way and can be compared bucket for bucket.

use serde::{Deserialize, Serialize};

/// Log-spaced latency buckets: 32 per decade from 100 µs to 100 s, so a quantile read from
/// the histogram is within ±3.7 % (half a bucket, 10^(1/64)) of the exact mixture quantile.
const BUCKETS_PER_DECADE: usize = 32;
const DECADES: usize = 6;
const LOWEST_EDGE_S: f64 = 1e-4;
const BUCKETS: usize = BUCKETS_PER_DECADE * DECADES;

fn edge_s(k: usize) -> f64 {
    LOWEST_EDGE_S * 10f64.powf(k as f64 / BUCKETS_PER_DECADE as f64)
}

/// The bucket edges, computed once: a 47-region day adds a stretch to a histogram hundreds of
/// thousands of times, and `powf` at every edge of every stretch showed in profiles.
fn edges_s() -> &'static [f64; BUCKETS] {
    static EDGES: std::sync::OnceLock<[f64; BUCKETS]> = std::sync::OnceLock::new();
    EDGES.get_or_init(|| std::array::from_fn(edge_s))
}

/// Request-weighted latency histogram. Bucket 0 also holds everything below 100 µs and the last
/// bucket everything above 100 s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    weights: Vec<f64>,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            weights: vec![0.0; BUCKETS],
        }
    }
}

/// Each bucket's share of the requests of one latency distribution, up to the last bucket
/// the distribution reaches: what [`Histogram::add`] adds per request. A stable queue's
/// stretches repeat one distribution until its rate or servers change, so the queue keeps its
/// shares instead of evaluating the survival function at every edge of every stretch
/// (`ServiceQueue::advance_to`).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Shares {
    shares: Vec<f64>,
}

impl Shares {
    /// The shares of the distribution with survival function `survival` (P(T > t)).
    pub(super) fn of(survival: impl Fn(f64) -> f64) -> Self {
        let edges = edges_s();
        let mut shares = Vec::with_capacity(BUCKETS);
        let mut above = 1.0;
        for k in 0..BUCKETS {
            let next = if k + 1 == BUCKETS {
                0.0
            } else {
                survival(edges[k + 1])
            };
            shares.push((above - next).max(0.0));
            above = next;
            // Survival functions only fall: once nothing is left, later buckets get nothing.
            if above <= 0.0 {
                break;
            }
        }
        Shares { shares }
    }
}

impl Histogram {
    /// Adds `requests` whose latency has survival function `survival` (P(T > t)).
    pub(super) fn add(&mut self, requests: f64, survival: impl Fn(f64) -> f64) {
        if requests <= 0.0 {
            return;
        }
        self.add_shares(requests, &Shares::of(survival));
    }

    /// Adds `requests` spread over the buckets as `shares` says.
    pub(super) fn add_shares(&mut self, requests: f64, shares: &Shares) {
        if requests <= 0.0 {
            return;
        }
        for (weight, share) in self.weights.iter_mut().zip(&shares.shares) {
            *weight += requests * share;
        }
    }

    /// Adds one request that took `latency_s`.
    pub(super) fn record(&mut self, latency_s: f64) {
        // Bucket k holds [edge(k), edge(k + 1)): k = ⌊32·log10(t / 100 µs)⌋, clamped to the
        // end buckets (the float-to-int cast saturates, and maps NaN to 0).
        let k = (BUCKETS_PER_DECADE as f64 * (latency_s / LOWEST_EDGE_S).log10()).floor();
        self.weights[(k.max(0.0) as usize).min(BUCKETS - 1)] += 1.0;
    }

    /// The number of requests recorded.
    pub(super) fn requests(&self) -> f64 {
        self.weights.iter().sum()
    }

    /// Adds every request of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        for (w, o) in self.weights.iter_mut().zip(&other.weights) {
            *w += o;
        }
    }

    /// The latency below which a fraction `q` of the recorded requests fall, interpolated
    /// geometrically inside its bucket; `None` before any request.
    pub fn quantile_s(&self, q: f64) -> Option<f64> {
        let total = self.requests();
        if total <= 0.0 {
            return None;
        }
        let target = q * total;
        let mut below = 0.0;
        for (k, &w) in self.weights.iter().enumerate() {
            if w > 0.0 && below + w >= target {
                let frac = ((target - below) / w).clamp(0.0, 1.0);
                let (lo, hi) = (edge_s(k), edge_s(k + 1));
                return Some(lo * (hi / lo).powf(frac));
            }
            below += w;
        }
        Some(edge_s(BUCKETS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_request_lands_in_the_bucket_around_it() {
        // 1 ms = 100 µs × 10^(32/32): the first edge of the second decade, bucket 32; 1.1 ms is
        // inside it (10^(1/32) ≈ 1.075 < 1.1 < 1.155), so bucket 33.
        for (latency_s, bucket) in [(1.1e-3, 33), (5e-5, 0), (1e3, BUCKETS - 1), (0.0, 0)] {
            let mut h = Histogram::default();
            h.record(latency_s);
            assert_eq!(h.weights[bucket], 1.0, "{latency_s}");
            assert_eq!(h.requests(), 1.0);
        }
        // The median of one request is inside its bucket.
        let mut h = Histogram::default();
        h.record(0.25);
        let median = h.quantile_s(0.5).unwrap();
        assert!(median / 0.25 < 1.075 && 0.25 / median < 1.075, "{median}");
    }

    #[test]
    fn recorded_exponential_samples_match_the_added_distribution() {
        // 10 000 requests at the quantiles (i + 1/2)/n of Exp(10) (a perfect "sample") fill the
        // buckets as the survival function does, so the p50 and p99 agree to within one request's
        // share of a bucket.
        let n = 10_000;
        let mut recorded = Histogram::default();
        for i in 0..n {
            let u = (f64::from(i) + 0.5) / f64::from(n);
            recorded.record(-(1.0 - u).ln() / 10.0);
        }
        let mut added = Histogram::default();
        added.add(f64::from(n), |t| (-10.0 * t).exp());
        for q in [0.5, 0.99] {
            let (r, a) = (
                recorded.quantile_s(q).unwrap(),
                added.quantile_s(q).unwrap(),
            );
            assert!((r / a - 1.0).abs() < 2e-3, "q{q}: {r} vs {a}");
        }
    }
}

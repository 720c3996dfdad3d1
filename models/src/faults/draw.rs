//! The random draws of the faults module, each from a `sim::rng` stream the caller names.
//!
//! Written out here rather than taken from `rand_distr` so that the exact transformation from
//! the stream's 64-bit words to a value is fixed and documented (a library's sampling method
//! may change between releases, and DESIGN.md asks for draws that never change for a seed):
//!
//! * a uniform in (0, 1] is `((word >> 11) + 1) · 2^-53`: the 53 high bits, shifted away from
//!   zero so that `ln` of it is finite;
//! * an exponential with mean `m` is `-m · ln(u)` (inversion);
//! * a standard normal is Box–Muller's `sqrt(-2 ln u1) · cos(2π u2)` (one value per two words);
//! * an index in `0..n` is `(word · n) >> 64` (Lemire's multiply-shift without the rejection
//!   step: the bias is below n / 2^64, far beyond what a run can observe);
//! * a subset of `k` of `n` ids is a partial Fisher–Yates shuffle of the ids sorted ascending,
//!   so it depends only on the set of ids, not on the order the caller lists them in.

use rand::Rng;
use serde::{Deserialize, Serialize};
use sim::rng::Stream;
use sim::time::SimDuration;

/// 2^-53: one unit in the last place of a uniform in [0, 1).
const UNIT: f64 = 1.0 / (1u64 << 53) as f64;

/// A uniform value in (0, 1].
pub fn uniform_open0(rng: &mut Stream) -> f64 {
    ((rng.next_u64() >> 11) + 1) as f64 * UNIT
}

/// An exponential value with the given mean (inversion of the CDF).
pub fn exponential(rng: &mut Stream, mean: f64) -> f64 {
    -mean * uniform_open0(rng).ln()
}

/// A standard normal value (Box–Muller, cosine branch).
pub fn standard_normal(rng: &mut Stream) -> f64 {
    let u1 = uniform_open0(rng);
    let u2 = uniform_open0(rng);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A uniform index in `0..n`; `n` must be positive.
pub fn index_below(rng: &mut Stream, n: usize) -> usize {
    debug_assert!(n > 0);
    ((u128::from(rng.next_u64()) * n as u128) >> 64) as usize
}

/// `k` ids drawn without replacement from `ids` (any order, no duplicates), returned sorted
/// ascending. `k` larger than the set takes every id.
pub fn choose_subset(rng: &mut Stream, ids: &[u32], k: usize) -> Vec<u32> {
    let mut pool = ids.to_vec();
    pool.sort_unstable();
    let k = k.min(pool.len());
    for i in 0..k {
        let j = i + index_below(rng, pool.len() - i);
        pool.swap(i, j);
    }
    pool.truncate(k);
    pool.sort_unstable();
    pool
}

/// A time or a length that is either given or drawn uniformly from a range, e.g.
/// `Exactly("6h")` or `Between("2h", "20h")`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Timing {
    Exactly(SimDuration),
    /// Uniform in `[from, to]` (to the nanosecond).
    Between(SimDuration, SimDuration),
}

impl Timing {
    /// The value: the given one, or one draw from `rng`.
    pub fn draw(self, rng: &mut Stream) -> SimDuration {
        match self {
            Timing::Exactly(d) => d,
            Timing::Between(from, to) => {
                let span = to.saturating_sub(from).as_nanos();
                let offset = (u128::from(rng.next_u64()) * (u128::from(span) + 1)) >> 64;
                from + SimDuration::from_nanos(offset as u64)
            }
        }
    }

    /// `Between(a, b)` needs `a ≤ b`.
    pub fn check(self) -> Result<(), String> {
        match self {
            Timing::Between(from, to) if from > to => Err(format!(
                "expected `Between(from, to)` with from ≤ to, found from {from} > to {to}"
            )),
            _ => Ok(()),
        }
    }
}

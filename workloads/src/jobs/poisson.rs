//! Job submissions as a non-homogeneous Poisson process whose rate (jobs per second) is a
//! traffic [`Shape`].
//!
//! Why not thinning: a shape is piecewise-constant with known breakpoints, so the process can
//! be sampled exactly by inverting its cumulative rate Λ(t) = ∫₀ᵗ λ: draw `E ~ Exp(1)` and walk
//! the segments from the previous arrival, spending `λ_i · (length of segment i)` of `E` on each,
//! until a segment has more than is left; the arrival is `E_left / λ_i` into that segment
//! (Çinlar's time-change theorem: Λ(T_k) are the points of a unit-rate Poisson process). One
//! `u64` per arrival whatever the rate's peak, where thinning would draw `λ_max / λ` times per
//! arrival, and a zero-rate stretch costs one step per segment.
//!
//! Each arrival then draws its run time from the [`DurationDist`] with the same stream: the
//! `k`-th job's words follow the `(k−1)`-th job's, so a run is reproducible from the seed.

use rand::Rng;
use sim::rng::Stream;
use sim::time::{SimTime, UtcInstant};

use super::{DurationDist, JobArrival, unit_from_bits};
use crate::traffic::Shape;

/// Submissions in `[0, end)`, in order; an [`Iterator`] of [`JobArrival`]s with the workload's
/// own task requests and count (`task` and `tasks` are `None`).
#[derive(Debug, Clone)]
pub struct PoissonArrivals {
    rate: Shape,
    start: UtcInstant,
    end_ns: u64,
    durations: DurationDist,
    rng: Stream,
    /// The previous arrival (or 0), ns.
    now_ns: u64,
}

impl PoissonArrivals {
    /// `rate` in jobs per second, validated and resolved (`Shape::resolve`, `Shape::seeded`);
    /// `start` places its daily cycles; `durations` validated; `rng` the workload's stream,
    /// `sim::rng::stream(seed, "jobs/<name>")`.
    pub fn new(
        rate: Shape,
        start: UtcInstant,
        end: SimTime,
        durations: DurationDist,
        rng: Stream,
    ) -> Self {
        PoissonArrivals {
            rate,
            start,
            end_ns: end.as_nanos(),
            durations,
            rng,
            now_ns: 0,
        }
    }

    /// The next arrival instant, or `None` past `end`.
    fn next_instant(&mut self) -> Option<u64> {
        if self.now_ns >= self.end_ns {
            return None;
        }
        // Exp(1) by inversion, from a uniform in (0, 1] so the logarithm is finite.
        let mut left = -(1.0 - unit_from_bits(self.rng.next_u64())).ln();
        let mut t = self.now_ns;
        while t < self.end_ns {
            let seg = self.rate.segment(self.start, SimTime::from_nanos(t));
            let until = seg
                .until
                .map_or(u64::MAX, SimTime::as_nanos)
                .min(self.end_ns);
            let span_s = (until - t) as f64 / 1e9;
            if seg.rps > 0.0 {
                let wait_s = left / seg.rps;
                if wait_s < span_s {
                    // Never before `t`, and never at or past the end of the segment.
                    let at = (t + (wait_s * 1e9).round() as u64).min(until - 1);
                    return Some(at);
                }
                left -= seg.rps * span_s;
            }
            t = until;
        }
        self.now_ns = self.end_ns;
        None
    }
}

impl Iterator for PoissonArrivals {
    type Item = JobArrival;

    fn next(&mut self) -> Option<JobArrival> {
        let at = self.next_instant()?;
        self.now_ns = at;
        Some(JobArrival {
            submit: SimTime::from_nanos(at),
            run: self.durations.sample(&mut self.rng),
            task: None,
            tasks: None,
        })
    }
}

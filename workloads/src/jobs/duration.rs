//! The run time of a job's tasks, drawn once per job.
//!
//! Sampled by inverse transform and Box–Muller from the stream's `u64`s, the way
//! `traffic::curves::noise_factor` draws its log-normal, rather than through `rand_distr`
//! (which `workloads` does not depend on): both formulas are exact, and each draw uses a fixed
//! number of words, so a stream's later draws do not depend on rejection loops.
//!
//! - `Constant(run)`: every job runs `run`.
//! - `Exponential(mean)`: `−mean · ln U`, `U` uniform in (0, 1]; memoryless, the usual model of
//!   job sizes in queueing (M/M/c).
//! - `LogNormal(median, sigma)`: `median · exp(σ Z)`, `Z` standard normal; the heavy right tail
//!   of measured batch and ML job run times (the Alibaba GPU day bundled in `data/jobs/` has a
//!   median of a few minutes and a tail of hours). The mean is `median · exp(σ²/2)`.
//!
//! Every draw is cut to [`MAX_RUN`], so a log-normal tail cannot produce a run longer than
//! any simulation.

use rand::Rng;
use serde::{Deserialize, Serialize};
use sim::rng::Stream;
use sim::time::SimDuration;

use super::{FieldError, unit_from_bits};

/// The longest run time a draw or a trace row may give: 30 days.
pub const MAX_RUN: SimDuration = SimDuration::from_secs(30 * 86_400);

/// Largest `sigma` of a log-normal: e^(4·3) ≈ 160 000 between the 0.13 % and 99.87 % points
/// is already far wider than any measured job-size distribution.
const MAX_SIGMA: f64 = 4.0;

/// How long a job's tasks run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum DurationDist {
    /// Every job runs `run`.
    Constant { run: SimDuration },
    /// Exponentially distributed with mean `mean`.
    Exponential { mean: SimDuration },
    /// Log-normal: half the jobs run less than `median`; `sigma` is the standard deviation of
    /// the run time's natural logarithm.
    LogNormal { median: SimDuration, sigma: f64 },
}

impl DurationDist {
    /// The variant's name, as written in files.
    pub fn variant_name(&self) -> &'static str {
        match self {
            DurationDist::Constant { .. } => "Constant",
            DurationDist::Exponential { .. } => "Exponential",
            DurationDist::LogNormal { .. } => "LogNormal",
        }
    }

    /// Checks what the deserializer cannot; paths are relative to the distribution
    /// (`LogNormal.sigma`).
    pub fn validate(&self) -> Result<(), FieldError> {
        let fail = |field: &str, message: &str| {
            Err(FieldError {
                path: format!("{}.{field}", self.variant_name()),
                message: message.to_owned(),
            })
        };
        match self {
            DurationDist::Constant { run } if *run > MAX_RUN => {
                fail("run", "expected at most 30 days (\"720h\")")
            }
            DurationDist::Exponential { mean } if mean.is_zero() => {
                fail("mean", "expected a positive duration such as \"10m\"")
            }
            DurationDist::Exponential { mean } if *mean > MAX_RUN => {
                fail("mean", "expected at most 30 days (\"720h\")")
            }
            DurationDist::LogNormal { median, .. } if median.is_zero() => {
                fail("median", "expected a positive duration such as \"5m\"")
            }
            DurationDist::LogNormal { median, .. } if *median > MAX_RUN => {
                fail("median", "expected at most 30 days (\"720h\")")
            }
            DurationDist::LogNormal { sigma, .. } if !(0.0..=MAX_SIGMA).contains(sigma) => {
                fail("sigma", "expected a number between 0 and 4, such as 1.2")
            }
            _ => Ok(()),
        }
    }

    /// The mean run time (before the cut at [`MAX_RUN`]), in seconds.
    pub fn mean_s(&self) -> f64 {
        match self {
            DurationDist::Constant { run } => run.as_secs_f64(),
            DurationDist::Exponential { mean } => mean.as_secs_f64(),
            DurationDist::LogNormal { median, sigma } => {
                median.as_secs_f64() * (sigma * sigma / 2.0).exp()
            }
        }
    }

    /// One run time. Draws nothing for `Constant`, one `u64` for `Exponential`, two for
    /// `LogNormal`.
    pub fn sample(&self, rng: &mut Stream) -> SimDuration {
        let secs = match self {
            DurationDist::Constant { run } => return *run,
            DurationDist::Exponential { mean } => {
                let u = 1.0 - unit_from_bits(rng.next_u64());
                -mean.as_secs_f64() * u.ln()
            }
            DurationDist::LogNormal { median, sigma } => {
                let u1 = 1.0 - unit_from_bits(rng.next_u64());
                let u2 = unit_from_bits(rng.next_u64());
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                median.as_secs_f64() * (sigma * z).exp()
            }
        };
        SimDuration::from_secs_f64(secs.min(MAX_RUN.as_secs_f64()))
    }
}

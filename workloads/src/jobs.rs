//! Batch jobs as they arrive: when each job is submitted, how long its tasks run, what each task
//! asks for and how many tasks it has — from a Poisson process with a rate [`Shape`], or from a
//! trace of real submissions. Kubernetes' Job semantics (parallelism, completions, retries,
//! deadlines) are not here: they belong to the cluster's controller (`models::jobs`).
//!
//! - [`duration`]: the run time of a job's tasks, drawn from a distribution (constant,
//!   exponential, log-normal).
//! - [`poisson`]: a non-homogeneous Poisson process whose rate is a piecewise-constant
//!   [`Shape`] in jobs per second, sampled exactly (no thinning needed).
//! - [`csv`]: a trace of submissions (CSV, column contract in its documentation), and
//!   `data/jobs/alibaba_gpu_v2023/`, a day of Alibaba's GPU cluster converted to that contract.
//! - [`failures`]: whether a task fails and when, as seeded counter-based draws, so that the
//!   controller's `backoffLimit` can be exercised.
//!
//! Randomness comes only from `sim::rng` streams: `"jobs/<name>"` for arrival instants and run
//! times, `"jobs/<name>/failures"` for task failures (the caller builds them).
//!
//! [`Shape`]: crate::traffic::Shape

pub mod csv;
pub mod duration;
pub mod failures;
pub mod poisson;

use serde::{Deserialize, Serialize};
use sim::time::{SimDuration, SimTime};

pub use csv::{JobTraceError, load_job_trace, read_job_trace};
pub use duration::{DurationDist, MAX_RUN};
pub use failures::{TaskFailures, TaskRun};
pub use poisson::PoissonArrivals;

/// What one task (one pod) of a job asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRequests {
    pub cpu_millis: u64,
    pub memory_bytes: u64,
    /// Whole GPUs (`nvidia.com/gpu`) per pod; a pod asking any goes only to a node with that
    /// many free (`models::gpu`).
    pub gpus: u32,
}

/// One job as submitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobArrival {
    /// Time since the start of the run.
    pub submit: SimTime,
    /// How long each task of the job runs once it is running.
    pub run: SimDuration,
    /// Per-task requests when the source gives them (trace rows); `None`: the workload's own.
    pub task: Option<TaskRequests>,
    /// Tasks to run to completion when the source gives them (a trace's `count`).
    pub tasks: Option<u32>,
}

/// A parameter that cannot be used: the path of the field, relative to the value checked, and
/// what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for FieldError {}

/// A uniform number in `[0, 1)` from the top 53 bits of a draw (every value a multiple of
/// 2⁻⁵³, as `rand`'s standard `f64`).
pub(crate) fn unit_from_bits(draw: u64) -> f64 {
    (draw >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

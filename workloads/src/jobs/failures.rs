//! Whether a task fails, and when: so that a Job's `backoffLimit` and its retry back-off are
//! exercised without a fault model.
//!
//! Each task attempt fails, independently, with the workload's `failure_probability`; a failing
//! task fails after `U · run` (`U` uniform in (0, 1]): a crash is as likely at any point of the
//! run. Attempts are numbered per job, from 0, in the order the controller creates them.
//!
//! Counter-based draws: attempt `a` of job `j` reads the two `u64`s at ChaCha word position
//! `4 · (j · 2³² + a)` of the stream `sim::rng::stream(seed, "jobs/<name>/failures")`, as
//! `Noise` reads step `k` at `4k`. A task's fate then depends only on (seed, workload, job,
//! attempt): not on how many other tasks, jobs or workloads drew before it, nor on the order in
//! which same-instant events are handled. Only the seed and the stream's name are stored, so
//! the controller that holds this stays serializable.

use rand::Rng;
use serde::{Deserialize, Serialize};
use sim::time::SimDuration;

use super::unit_from_bits;

/// The failure draws of one workload's tasks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskFailures {
    seed: u64,
    stream: String,
    probability: f64,
}

/// What one task attempt will do once it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRun {
    /// Running → finished: the whole run when it succeeds, the time to the crash when it fails.
    pub run: SimDuration,
    pub fails: bool,
}

impl TaskFailures {
    /// `probability` in [0, 1] (checked by the workload's configuration); `stream` the name
    /// given to `sim::rng::stream`, `"jobs/<name>/failures"`.
    pub fn new(seed: u64, stream: &str, probability: f64) -> Self {
        TaskFailures {
            seed,
            stream: stream.to_owned(),
            probability,
        }
    }

    /// Tasks that never fail (no draws).
    pub fn never() -> Self {
        TaskFailures::new(0, "", 0.0)
    }

    /// The fate of attempt `attempt` of job `job` (its index in the workload), whose tasks run
    /// `run` when they succeed.
    pub fn task(&self, job: u32, attempt: u32, run: SimDuration) -> TaskRun {
        let success = TaskRun { run, fails: false };
        if self.probability <= 0.0 {
            return success;
        }
        let mut rng = sim::rng::stream(self.seed, &self.stream);
        rng.set_word_pos(4 * ((u128::from(job) << 32) | u128::from(attempt)));
        let (a, b) = (rng.next_u64(), rng.next_u64());
        if unit_from_bits(a) >= self.probability {
            return success;
        }
        let at = 1.0 - unit_from_bits(b);
        TaskRun {
            run: SimDuration::from_secs_f64(run.as_secs_f64() * at),
            fails: true,
        }
    }
}

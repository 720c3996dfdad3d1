//! The Job controller's back-off before it replaces failed pods.
//!
//! Upstream (`kubernetes/kubernetes`, `pkg/controller/job/backoff_utils.go` at
//! e0a566e71f693433f4bed729380e215e98a263ea): a Job's `backoffRecord` counts the pod failures
//! since its last success (`failuresAfterLastSuccess`) and remembers when the last one finished;
//! `getRemainingTimeForFailuresCount` gives the delay `10 s · 2^(n−1)`, doubling until it reaches
//! the cap, minus the time since that failure. A success resets the count, and a failure that
//! finished at the same instant as the latest success does not count (`!failedTime.After(
//! lastSuccessTime)`).
//!
//! Base and cap: `DefaultJobPodFailureBackOff = 10 * time.Second` and
//! `MaxJobPodFailureBackOff = 10 * time.Minute` (`pkg/controller/job/job_controller.go` at
//! 6ae037f1db843e99547258d7dd292301a74ba0eb). The Kubernetes documentation ("Pod backoff failure
//! policy") still says "capped at six minutes": that was `MaxJobBackOff = 360 * time.Second` of
//! the controller before the back-off record was introduced; clustersim follows the code. With
//! the default `backoffLimit` of 6 the cap is never reached (10 … 320 s).

use serde::{Deserialize, Serialize};
use sim::time::{SimDuration, SimTime};

/// `DefaultJobPodFailureBackOff`.
pub const POD_FAILURE_BACKOFF_BASE: SimDuration = SimDuration::from_secs(10);
/// `MaxJobPodFailureBackOff`.
pub const POD_FAILURE_BACKOFF_MAX: SimDuration = SimDuration::from_secs(600);

/// The delay after `failures` consecutive pod failures (0 for none).
pub fn backoff_delay(failures: u32) -> SimDuration {
    if failures == 0 {
        return SimDuration::ZERO;
    }
    let mut delay = POD_FAILURE_BACKOFF_BASE;
    for _ in 1..failures {
        delay = delay.mul_u64(2);
        if delay >= POD_FAILURE_BACKOFF_MAX {
            return POD_FAILURE_BACKOFF_MAX;
        }
    }
    delay
}

/// One Job's `backoffRecord`, updated pod by pod in time order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backoff {
    failures_after_last_success: u32,
    last_failure: Option<SimTime>,
    last_success: Option<SimTime>,
}

impl Backoff {
    pub fn pod_succeeded(&mut self, at: SimTime) {
        self.failures_after_last_success = 0;
        self.last_failure = None;
        self.last_success = Some(at);
    }

    pub fn pod_failed(&mut self, at: SimTime) {
        if self.last_success.is_some_and(|s| at <= s) {
            return;
        }
        self.failures_after_last_success += 1;
        self.last_failure = Some(at);
    }

    /// How long pod creation must still wait at `now`.
    pub fn remaining(&self, now: SimTime) -> SimDuration {
        let Some(last) = self.last_failure else {
            return SimDuration::ZERO;
        };
        backoff_delay(self.failures_after_last_success)
            .saturating_sub(now.saturating_duration_since(last))
    }
}

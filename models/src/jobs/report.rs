//! What a batch run is judged by: per-Job records and the figures over them.
//!
//! - wait: submission → first pod Running (queueing for quota, nodes and back-offs, plus the
//!   pod's start-up);
//! - run: first pod Running → the Job's end (Complete or Failed), so retries and later waves are
//!   part of it;
//! - makespan: earliest submission → latest end, over the whole batch, only when every Job ended;
//! - deadline misses: Jobs failed with `DeadlineExceeded`.
//!
//! Percentiles are nearest-rank (the smallest value with at least p % of the values at or below
//! it, `x[⌈p·n/100⌉ − 1]` of the sorted values), so a reported wait is one some Job really had.

use serde::{Deserialize, Serialize};
use sim::time::SimTime;

use super::job::{FailReason, Job, JobOutcome, JobPhase};

/// One Job's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    pub name: String,
    pub workload: u32,
    pub submit: SimTime,
    pub first_running: Option<SimTime>,
    /// When it completed or failed; `None` while active.
    pub finished: Option<SimTime>,
    pub outcome: Option<JobOutcome>,
    pub succeeded: u32,
    pub failed: u32,
}

impl JobRecord {
    pub fn of(job: &Job) -> Self {
        let (finished, outcome) = match job.phase {
            JobPhase::Active => (None, None),
            JobPhase::Finished { at, outcome } => (Some(at), Some(outcome)),
        };
        JobRecord {
            name: job.spec.name.clone(),
            workload: job.spec.workload,
            submit: job.spec.submit,
            first_running: job.first_running,
            finished,
            outcome,
            succeeded: job.succeeded,
            failed: job.failed,
        }
    }

    /// Submission → first pod Running, seconds.
    pub fn wait_s(&self) -> Option<f64> {
        self.first_running
            .map(|r| r.saturating_duration_since(self.submit).as_secs_f64())
    }

    /// First pod Running → end, seconds.
    pub fn run_s(&self) -> Option<f64> {
        Some(
            self.finished?
                .saturating_duration_since(self.first_running?)
                .as_secs_f64(),
        )
    }
}

/// Figures over a set of Jobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchReport {
    pub jobs: u64,
    pub completed: u64,
    pub failed_backoff_limit: u64,
    pub deadline_misses: u64,
    /// Still active when the report was taken.
    pub unfinished: u64,
    /// Jobs with no pod ever Running (excluded from the wait figures).
    pub never_started: u64,
    pub wait_mean_s: Option<f64>,
    pub wait_p50_s: Option<f64>,
    pub wait_p95_s: Option<f64>,
    pub run_mean_s: Option<f64>,
    /// Earliest submission → latest end; `None` while a Job is active or without Jobs.
    pub makespan_s: Option<f64>,
    /// Per Kueue ClusterQueue, when the run has queues.
    pub queues: Option<Vec<crate::kueue::QueueFigures>>,
    /// Per workload with an admission wave (two or more Jobs submitted at one instant), its
    /// largest wave packed first-fit and best-fit decreasing (`crate::packing`).
    pub waves: Vec<crate::packing::WavePacking>,
}

impl BatchReport {
    pub fn from_records(records: &[JobRecord]) -> Self {
        let count = |f: &dyn Fn(&JobRecord) -> bool| records.iter().filter(|r| f(r)).count() as u64;
        let mut waits: Vec<f64> = records.iter().filter_map(JobRecord::wait_s).collect();
        waits.sort_by(f64::total_cmp);
        let runs: Vec<f64> = records.iter().filter_map(JobRecord::run_s).collect();
        let unfinished = count(&|r| r.finished.is_none());
        let makespan_s = if unfinished > 0 || records.is_empty() {
            None
        } else {
            let first = records.iter().map(|r| r.submit).min();
            let last = records.iter().filter_map(|r| r.finished).max();
            first
                .zip(last)
                .map(|(a, b)| b.saturating_duration_since(a).as_secs_f64())
        };
        BatchReport {
            jobs: records.len() as u64,
            completed: count(&|r| r.outcome == Some(JobOutcome::Complete)),
            failed_backoff_limit: count(&|r| {
                r.outcome == Some(JobOutcome::Failed(FailReason::BackoffLimitExceeded))
            }),
            deadline_misses: count(&|r| {
                r.outcome == Some(JobOutcome::Failed(FailReason::DeadlineExceeded))
            }),
            unfinished,
            never_started: count(&|r| r.first_running.is_none()),
            wait_mean_s: mean(&waits),
            wait_p50_s: nearest_rank(&waits, 50),
            wait_p95_s: nearest_rank(&waits, 95),
            run_mean_s: mean(&runs),
            makespan_s,
            queues: None,
            waves: Vec::new(),
        }
    }
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The nearest-rank `percent`-th percentile of sorted values (integer rank, no rounding).
fn nearest_rank(sorted: &[f64], percent: usize) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (percent * sorted.len()).div_ceil(100);
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

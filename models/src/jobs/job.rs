//! One Job: its spec, its counters and `syncJob`'s decisions for it, as a pure state machine.
//!
//! Upstream is `syncJob` and `manageJob` of `pkg/controller/job/job_controller.go`
//! (`kubernetes/kubernetes` at 6ae037f1db843e99547258d7dd292301a74ba0eb), NonIndexed completion
//! mode, `restartPolicy: Never`, no pod failure policy. A suspended Job (held by a queue) does
//! nothing until resumed. One sync, in upstream's order:
//!
//! 1. `failed > backoffLimit` → the Job fails with reason `BackoffLimitExceeded` ("Job has
//!    reached the specified backoff limit"); its active pods are deleted.
//! 2. Else, past `activeDeadlineSeconds` since the Job's start (`pastActiveDeadline`:
//!    `duration >= allowedDuration`) → it fails with `DeadlineExceeded` ("Job was active longer
//!    than specified deadline"); its active pods are deleted. The start is `status.startTime`,
//!    set by the Job's first sync — its submission here, or its resumption by a queue — so
//!    time spent waiting for a ResourceQuota or a node counts against the deadline.
//! 3. Else `manageJob`: `wantActive = min(completions − succeeded, parallelism)`; when fewer are
//!    active and the pod-failure back-off has passed ([`super::backoff`]), create the
//!    difference, at most `MaxPodCreateDeletePerSync = 500` per sync.
//! 4. `succeeded >= completions` with no active pod → Complete ("Job completed").
//!
//! A failed Job counts its deleted active pods as failed (upstream: "when the job is considered
//! finished, every non-terminated pod is considered failed").

use serde::{Deserialize, Serialize};
use sim::time::{SimDuration, SimTime};
use workloads::jobs::{TaskFailures, TaskRequests, TaskRun};

use super::backoff::Backoff;

/// `MaxPodCreateDeletePerSync` (`job_controller.go`): pods one sync creates, at most.
pub const MAX_POD_CREATES_PER_SYNC: u32 = 500;

/// What a Job is and asks for: its workload's settings and its own arrival.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobSpec {
    /// `<workload>-<index>`, e.g. `train-17`.
    pub name: String,
    /// Index of its batch workload: the [`TaskFailures`] the controller was built with.
    pub workload: u32,
    /// Its index within the workload: the job number of its failure draws.
    pub index: u32,
    /// The cluster's namespace id; blocked Jobs are retried per namespace.
    pub namespace: u32,
    /// The value of its PriorityClass; its pods carry it too.
    pub priority: i32,
    pub submit: SimTime,
    /// How long each pod runs once Running (when it does not fail first).
    pub run: SimDuration,
    pub requests: TaskRequests,
    pub completions: u32,
    pub parallelism: u32,
    pub backoff_limit: u32,
    pub active_deadline: Option<SimDuration>,
}

impl JobSpec {
    /// What a queue reserves for the Job: its pod set's count (`parallelism`, as Kueue counts
    /// a Job's pods) times each pod's requests, and that many pods.
    pub fn quota_request(&self) -> crate::kueue::Amounts {
        let n = u64::from(self.parallelism);
        [
            self.requests.cpu_millis,
            self.requests.memory_bytes,
            u64::from(self.requests.gpus),
            1,
        ]
        .map(|x| x.saturating_mul(n))
    }
}

/// Why a Job failed: the condition reasons of `batch/v1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum FailReason {
    BackoffLimitExceeded,
    DeadlineExceeded,
}

impl FailReason {
    pub fn as_str(self) -> &'static str {
        match self {
            FailReason::BackoffLimitExceeded => "BackoffLimitExceeded",
            FailReason::DeadlineExceeded => "DeadlineExceeded",
        }
    }

    /// Upstream's condition message.
    fn message(self) -> &'static str {
        match self {
            FailReason::BackoffLimitExceeded => "Job has reached the specified backoff limit",
            FailReason::DeadlineExceeded => "Job was active longer than specified deadline",
        }
    }
}

/// How a Job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobOutcome {
    Complete,
    Failed(FailReason),
}

/// What the cluster should do for a Job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ActionKind {
    /// Create one pod per entry, with the Job's requests and priority; each runs `run` once
    /// Running and then is reported succeeded, or failed when `fails`.
    CreatePods(Vec<TaskRun>),
    /// Delete this many active pods of the Job (all of them): it failed.
    DeleteActivePods(u32),
    /// The Job finished; its record is final.
    Finished(JobOutcome),
}

/// One decision, with what the events table shows for it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobAction {
    pub job: u32,
    pub kind: ActionKind,
    /// Kubernetes' event reason: `SuccessfulCreate`, `SuccessfulDelete`, `Completed`,
    /// `BackoffLimitExceeded`, `DeadlineExceeded`.
    pub reason: &'static str,
    pub message: String,
}

/// Where a Job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobPhase {
    Active,
    Finished { at: SimTime, outcome: JobOutcome },
}

/// A Job's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub spec: JobSpec,
    pub phase: JobPhase,
    /// Pods created and not finished (Pending, Starting or Running).
    pub active: u32,
    pub succeeded: u32,
    pub failed: u32,
    /// When its first pod started running.
    pub first_running: Option<SimTime>,
    /// Pods created so far (less those the cluster refused): the next pod's attempt number.
    attempts: u32,
    backoff: Backoff,
    /// The cluster refused its last pods (quota); it creates none until room is freed.
    pub blocked: bool,
    /// `spec.suspend`: a queue (Kueue) holds it; it creates no pods until resumed.
    pub suspended: bool,
    /// `status.startTime`: its submission, or its last resumption (upstream resets it when a
    /// suspended Job resumes); `activeDeadlineSeconds` counts from it.
    start: SimTime,
}

/// The result of one sync: decisions, and when the Job needs its next sync on its own.
#[derive(Debug, Default)]
pub struct Synced {
    pub actions: Vec<JobAction>,
    pub next: Option<SimTime>,
}

impl Job {
    pub fn new(spec: JobSpec) -> Self {
        Job {
            phase: JobPhase::Active,
            active: 0,
            succeeded: 0,
            failed: 0,
            first_running: None,
            attempts: 0,
            backoff: Backoff::default(),
            blocked: false,
            suspended: false,
            start: spec.submit,
            spec,
        }
    }

    pub fn is_active(&self) -> bool {
        self.phase == JobPhase::Active
    }

    /// When `activeDeadlineSeconds` runs out.
    pub fn deadline(&self) -> Option<SimTime> {
        self.spec.active_deadline.map(|d| self.start + d)
    }

    /// Suspended (`spec.suspend: true`, set by a queue that evicts it): its active pods are
    /// deleted and not counted as failed, as upstream's `deleteActivePods` for a suspended Job.
    pub fn suspend(&mut self) {
        self.suspended = true;
        self.active = 0;
        self.blocked = false;
    }

    /// Resumed at `now` (admitted by its queue): it creates its pods at its next sync, and its
    /// start time, so its deadline, begin again.
    pub fn resume(&mut self, now: SimTime) {
        self.suspended = false;
        self.start = now;
    }

    /// A pod of the Job reached Running.
    pub fn pod_running(&mut self, at: SimTime) {
        if self.is_active() && self.first_running.is_none() {
            self.first_running = Some(at);
        }
    }

    /// A pod of the Job ended (its process exited, or it was evicted, preempted or lost with
    /// its node, which Kubernetes counts as failed). False when the Job ignores it (finished).
    pub fn pod_finished(&mut self, succeeded: bool, at: SimTime) -> bool {
        if !self.is_active() || self.active == 0 {
            return false;
        }
        self.active -= 1;
        if succeeded {
            self.succeeded += 1;
            self.backoff.pod_succeeded(at);
        } else {
            self.failed += 1;
            self.backoff.pod_failed(at);
        }
        true
    }

    /// The cluster refused `count` of the pods just asked for (ResourceQuota): they never
    /// existed, and their draws are used again by the next pods.
    pub fn pods_refused(&mut self, count: u32) {
        let count = count.min(self.active);
        self.active -= count;
        self.attempts -= count.min(self.attempts);
        self.blocked = self.is_active() && count > 0;
    }

    /// One `syncJob` at `now` (see the module documentation).
    pub fn sync(&mut self, id: u32, now: SimTime, failures: &TaskFailures) -> Synced {
        let mut out = Synced::default();
        if !self.is_active() || self.suspended {
            return out;
        }
        if self.failed > self.spec.backoff_limit {
            self.fail(id, FailReason::BackoffLimitExceeded, now, &mut out);
            return out;
        }
        if self.deadline().is_some_and(|d| now >= d) {
            self.fail(id, FailReason::DeadlineExceeded, now, &mut out);
            return out;
        }
        let want = (self.spec.completions - self.succeeded.min(self.spec.completions))
            .min(self.spec.parallelism);
        if self.active < want && !self.blocked {
            let wait = self.backoff.remaining(now);
            if wait.is_zero() {
                let missing = want - self.active;
                let n = missing.min(MAX_POD_CREATES_PER_SYNC);
                let pods: Vec<TaskRun> = (0..n)
                    .map(|k| failures.task(self.spec.index, self.attempts + k, self.spec.run))
                    .collect();
                self.attempts += n;
                self.active += n;
                out.actions.push(JobAction {
                    job: id,
                    kind: ActionKind::CreatePods(pods),
                    reason: "SuccessfulCreate",
                    message: format!(
                        "Created {n} pods (succeeded {}/{}, active {}, failed {})",
                        self.succeeded, self.spec.completions, self.active, self.failed
                    ),
                });
                if n < missing {
                    // Upstream: the creations' pod events trigger the next (batched) sync.
                    out.next = Some(now + super::SYNC_BATCH_PERIOD);
                }
            } else {
                out.next = Some(now + wait);
            }
        }
        if self.succeeded >= self.spec.completions && self.active == 0 {
            self.phase = JobPhase::Finished {
                at: now,
                outcome: JobOutcome::Complete,
            };
            out.actions.push(JobAction {
                job: id,
                kind: ActionKind::Finished(JobOutcome::Complete),
                reason: "Completed",
                message: "Job completed".to_owned(),
            });
            out.next = None;
            return out;
        }
        // Upstream re-queues a Job with a deadline for the instant it runs out.
        if let Some(d) = self.deadline() {
            out.next = Some(out.next.map_or(d, |n| n.min(d)));
        }
        out
    }

    fn fail(&mut self, id: u32, reason: FailReason, now: SimTime, out: &mut Synced) {
        if self.active > 0 {
            out.actions.push(JobAction {
                job: id,
                kind: ActionKind::DeleteActivePods(self.active),
                reason: "SuccessfulDelete",
                message: format!("Deleted {} active pods: {}", self.active, reason.message()),
            });
            self.failed += self.active;
            self.active = 0;
        }
        self.blocked = false;
        self.phase = JobPhase::Finished {
            at: now,
            outcome: JobOutcome::Failed(reason),
        };
        out.actions.push(JobAction {
            job: id,
            kind: ActionKind::Finished(JobOutcome::Failed(reason)),
            reason: reason.as_str(),
            message: reason.message().to_owned(),
        });
    }
}

//! Kubernetes Jobs for batch work: one [`JobController`] holds every Job of a cluster, the way
//! kube-controller-manager's job controller serves them all, and decides when each creates and
//! deletes pods and when it completes or fails.
//!
//! It is pure logic: events in, actions out, no nexosim and no pods of its own. The `Cluster`
//! model owns the pods, scheduling and quotas; it feeds the controller what happened and carries
//! out what the controller decides:
//!
//! - inputs: [`JobController::submit`] (a Job created), [`JobController::pod_running`],
//!   [`JobController::pod_finished`] (succeeded or failed), [`JobController::pods_refused`]
//!   (ResourceQuota refused pods just asked for), [`JobController::room_freed`] (quota freed in
//!   a namespace);
//! - then [`JobController::poll`] at the same instant returns the [`JobAction`]s due, and
//!   [`JobController::next_wake`] says when to poll next (back-offs, batched syncs, deadlines).
//!
//! Semantics per Job are in [`job`] and [`backoff`] (upstream `pkg/controller/job/` of
//! `kubernetes/kubernetes`, cited there). Defaults (`parallelism` 1, `completions` 1,
//! `backoffLimit` 6) are in [`config`]. Timing follows the controller's work queue:
//!
//! - a new Job is synced at once (`enqueueSyncJobImmediately`);
//! - a pod update is synced [`SYNC_BATCH_PERIOD`] later, updates within that second sharing one
//!   sync (`enqueueSyncJobBatched`, `syncJobBatchPeriod = time.Second`): a replacement pod is
//!   created 1 s after its predecessor succeeded, and a Job completes 1 s after its last pod;
//! - a Job waiting out a back-off or holding a deadline is synced again exactly then
//!   (`enqueueSyncJobWithDelay`, `queue.AddAfter(key, syncDuration)`).
//!
//! # Priority queues
//!
//! Jobs due at one instant are synced in priority order — higher PriorityClass value first,
//! then earlier submission, then the Job's id — so their pod creations reach the cluster (and
//! its quota admission) in that order. Jobs whose pods the quota refused wait in a per-namespace
//! queue in the same order and are all synced, in that order, when the cluster reports room.
//! That is the order of Kueue's `StrictFIFO` queueing strategy (priority, then creation time);
//! Kubernetes itself has no Job queue: a refused creation is retried by the Job's own sync with
//! the API back-off (1 s doubling to 1 min, `DefaultJobApiBackOff`/`MaxJobApiBackOff`), so
//! upstream's order behind a full quota is whichever Job retries first. clustersim retries on
//! the freeing event instead, in priority order, which is what a batch queue in front of a
//! quota is for.
//!
//! Back-of-the-envelope: a Job is ~200 bytes; a 100 000-job day is ~20 MB; each pod costs the
//! controller two events (running, finished) and each Job a few syncs, O(log n) each.

pub mod backoff;
pub mod config;
pub mod job;
pub mod report;
pub mod schedule;

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

use serde::{Deserialize, Serialize};
use sim::time::{SimDuration, SimTime};
use workloads::jobs::TaskFailures;

pub use config::{Arrivals, BatchConfig};
pub use job::{ActionKind, FailReason, Job, JobAction, JobOutcome, JobPhase, JobSpec};
pub use report::{BatchReport, JobRecord};

/// `syncJobBatchPeriod` (`job_controller.go`).
pub const SYNC_BATCH_PERIOD: SimDuration = SimDuration::from_secs(1);

/// Jobs one controller holds, at most.
pub const MAX_JOBS: usize = 10_000_000;

/// The order of Jobs in a queue: higher priority, earlier submission, smaller id first.
type QueueKey = (Reverse<i32>, SimTime, u32);

/// Every Job of a cluster.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobController {
    jobs: Vec<Job>,
    /// Failure draws per workload (`JobSpec::workload`).
    failures: Vec<TaskFailures>,
    /// `(instant, job)` syncs asked for; an entry whose instant is not the Job's `next_sync`
    /// any more was superseded and is skipped.
    timers: BinaryHeap<Reverse<(SimTime, u32)>>,
    /// The earliest sync each Job is waiting for.
    next_sync: Vec<Option<SimTime>>,
    /// Jobs whose pods the quota refused, per namespace, in queue order.
    blocked: BTreeSet<(u32, QueueKey)>,
}

impl JobController {
    /// `failures[w]` draws the pod failures of workload `w`.
    pub fn new(failures: Vec<TaskFailures>) -> Self {
        JobController {
            jobs: Vec::new(),
            failures,
            timers: BinaryHeap::new(),
            next_sync: Vec::new(),
            blocked: BTreeSet::new(),
        }
    }

    pub fn job(&self, id: u32) -> &Job {
        &self.jobs[id as usize]
    }

    /// A Job is created at `now` (its `spec.submit`); returns its id. It is synced at the next
    /// [`JobController::poll`].
    ///
    /// # Panics
    /// Past [`MAX_JOBS`], or for a workload the controller has no failure draws for: both are
    /// checked when the experiment is loaded.
    pub fn submit(&mut self, spec: JobSpec, now: SimTime) -> u32 {
        let id = self.create(spec);
        self.request_sync(id, now);
        id
    }

    /// A Job created suspended (a queue admits it later with [`JobController::resume`]);
    /// returns its id. Panics as [`JobController::submit`].
    pub fn submit_suspended(&mut self, spec: JobSpec) -> u32 {
        let id = self.create(spec);
        self.jobs[id as usize].suspended = true;
        id
    }

    /// Suspends an active Job (its queue evicted it): its active pods are to be deleted by the
    /// caller and are not counted as failed; it waits for [`JobController::resume`].
    pub fn suspend(&mut self, job: u32) {
        let j = &mut self.jobs[job as usize];
        self.blocked.remove(&(j.spec.namespace, queue_key(j, job)));
        j.suspend();
    }

    /// Resumes a suspended Job at `now`: it is synced at the next poll.
    pub fn resume(&mut self, job: u32, now: SimTime) {
        self.jobs[job as usize].resume(now);
        self.request_sync(job, now);
    }

    fn create(&mut self, spec: JobSpec) -> u32 {
        assert!(self.jobs.len() < MAX_JOBS, "more than {MAX_JOBS} jobs");
        assert!(
            (spec.workload as usize) < self.failures.len(),
            "job {} of unknown workload {}",
            spec.name,
            spec.workload
        );
        let id = self.jobs.len() as u32;
        self.jobs.push(Job::new(spec));
        self.next_sync.push(None);
        id
    }

    /// A pod of Job `job` reached Running at `now`.
    pub fn pod_running(&mut self, job: u32, now: SimTime) {
        self.jobs[job as usize].pod_running(now);
    }

    /// A pod of Job `job` ended at `now`: its process exited (with `succeeded` saying how), or
    /// it was evicted, preempted or lost with its node (report those as failed, as Kubernetes
    /// counts them). Pods deleted by a [`ActionKind::DeleteActivePods`] are not reported.
    pub fn pod_finished(&mut self, job: u32, succeeded: bool, now: SimTime) {
        if self.jobs[job as usize].pod_finished(succeeded, now) {
            self.request_sync(job, now + SYNC_BATCH_PERIOD);
        }
    }

    /// The cluster refused `count` of the pods of Job `job`'s last `CreatePods` (its namespace's
    /// quota). The Job waits in its namespace's queue until [`JobController::room_freed`].
    pub fn pods_refused(&mut self, job: u32, count: u32) {
        let j = &mut self.jobs[job as usize];
        j.pods_refused(count);
        if j.blocked {
            let key = (j.spec.namespace, queue_key(j, job));
            self.blocked.insert(key);
        }
    }

    /// Quota was freed in `namespace` at `now` (a pod of it is gone): every Job waiting there
    /// is synced at the next poll, in priority order.
    pub fn room_freed(&mut self, namespace: u32, now: SimTime) {
        let waiting: Vec<u32> = self
            .blocked
            .range((namespace, (Reverse(i32::MAX), SimTime::ZERO, 0))..)
            .take_while(|(ns, _)| *ns == namespace)
            .map(|&(_, (_, _, id))| id)
            .collect();
        for id in waiting {
            let j = &mut self.jobs[id as usize];
            self.blocked.remove(&(namespace, queue_key(j, id)));
            j.blocked = false;
            self.request_sync(id, now);
        }
    }

    /// When the controller next needs [`JobController::poll`].
    pub fn next_wake(&self) -> Option<SimTime> {
        self.timers.peek().map(|&Reverse((at, _))| at)
    }

    /// Runs every sync due at or before `now`, Jobs in priority order (see the module
    /// documentation), and returns their actions in that order.
    pub fn poll(&mut self, now: SimTime) -> Vec<JobAction> {
        let mut due = BTreeSet::new();
        while let Some(&Reverse((at, id))) = self.timers.peek() {
            if at > now {
                break;
            }
            self.timers.pop();
            if self.next_sync[id as usize] == Some(at) {
                self.next_sync[id as usize] = None;
                due.insert(queue_key(&self.jobs[id as usize], id));
            }
        }
        let mut actions = Vec::new();
        for (_, _, id) in due {
            let job = &mut self.jobs[id as usize];
            let failures = &self.failures[job.spec.workload as usize];
            let synced = job.sync(id, now, failures);
            if !job.is_active() {
                self.blocked
                    .remove(&(job.spec.namespace, queue_key(job, id)));
            }
            actions.extend(synced.actions);
            if let Some(at) = synced.next {
                self.request_sync(id, at);
            }
        }
        actions
    }

    /// Every Job's record so far (see [`JobRecord`]), in id order.
    pub fn records(&self) -> Vec<JobRecord> {
        self.jobs.iter().map(JobRecord::of).collect()
    }

    /// Asks for a sync of `id` at `at`, unless an earlier or equal one is already asked for
    /// (the work queue's `AddAfter` keeps the earliest).
    fn request_sync(&mut self, id: u32, at: SimTime) {
        let slot = &mut self.next_sync[id as usize];
        if slot.is_some_and(|s| s <= at) {
            return;
        }
        *slot = Some(at);
        self.timers.push(Reverse((at, id)));
    }
}

fn queue_key(job: &Job, id: u32) -> QueueKey {
    (Reverse(job.spec.priority), job.spec.submit, id)
}

//! Batch Jobs in the cluster: the [`JobController`]'s decisions carried out on real pods.
//!
//! Each submitted Job gets an entry among the cluster's deployments (its pods' owner, with the
//! Job's requests, namespace and priority), so its pods are scheduled, preempted, evicted,
//! counted against quotas and billed exactly like a service's. What differs is who sets the
//! pod count and what ends a pod:
//!
//! - the controller's `CreatePods` raises the owner's desired count by the pods it creates
//!   (those the quota refuses are handed back with `pods_refused`), its `DeleteActivePods`
//!   deletes them all;
//! - a pod that reaches Running runs its drawn run time, then ends — succeeded, or failed when
//!   its draw says so — and leaves at once (a finished pod holds no resources: no grace period);
//! - a pod evicted or preempted is reported failed, as Kubernetes counts it, and is not
//!   replaced by its owner: the controller decides (after its back-off).
//!
//! Job pods start like a service's pods (`startup` 5 s) and are never Ready for traffic; their
//! owners have no queue traffic and stay out of the service time series.

use std::collections::{BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};
use sim::time::{SimDuration, SimTime};
use workloads::jobs::{TaskFailures, TaskRun};

use super::pods::PodPhase;
use super::{Cluster, Deployment, Timer};
use crate::api::Reason;
use crate::jobs::{ActionKind, BatchReport, JobController, JobSpec};
use crate::latency::ServiceQueue;

/// Bound → containers running for a Job's pods: the services' default (`models::config`).
const JOB_STARTUP: SimDuration = SimDuration::from_secs(5);
/// `terminationGracePeriodSeconds` of a Job's pods when evicted: the API default.
const JOB_GRACE: SimDuration = SimDuration::from_secs(30);

/// One `batch` workload as the cluster runs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchWorkloadPlan {
    pub name: String,
    pub region: String,
}

/// Every Job of the run: the workloads, the Jobs in submission order, their failure draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchPlan {
    pub workloads: Vec<BatchWorkloadPlan>,
    /// Sorted by submission instant (ties in workload, then index order).
    pub specs: Vec<JobSpec>,
    /// Per workload.
    pub failures: Vec<TaskFailures>,
    /// Kueue's queues, when the experiment has a `kueue` section.
    pub queueing: Option<crate::kueue::KueuePlan>,
}

/// The batch state of a cluster.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Batch {
    pub(super) controller: JobController,
    /// Jobs not yet submitted, from `next` on.
    specs: Vec<JobSpec>,
    next: usize,
    /// Per workload: its region's node groups whose pools have no taints or only
    /// `nvidia.com/gpu` ones (`Cluster::job_groups` narrows them per Job).
    pub(super) groups: Vec<Vec<u32>>,
    regions: Vec<String>,
    /// The owner (deployment index) of each submitted Job, by Job id.
    pub(super) owner: Vec<u32>,
    /// Kueue's queues, when the run has them.
    pub(super) queueing: Option<super::queueing::Queueing>,
    /// The instants of the `JobSync` timers in the heap: one timer per instant, however many
    /// pod ends at one instant ask for the same controller wake-up (a duplicate would fire
    /// for nothing and, being re-armed at each firing, live as long as the controller has
    /// work: events per pod grew with the number of Jobs running at once).
    sync_at: BTreeSet<u64>,
    /// Deployments from this index on are Job owners; those before it, services.
    pub(super) first_owner: usize,
}

/// What a Job's owner entry adds to a deployment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct JobOwner {
    pub job: u32,
    /// Runs drawn for pods created and not yet Running, in creation order.
    pub runs: VecDeque<TaskRun>,
    /// Under the control plane's limits: runs of pods the Job controller asked for and its
    /// client has not created yet (counted in the owner's `desired`), in order.
    pub to_create: VecDeque<TaskRun>,
}

impl Cluster {
    /// Takes the run's Jobs; the first submission is timed now.
    pub fn with_batch(mut self, plan: BatchPlan) -> Self {
        let groups = plan
            .workloads
            .iter()
            .map(|w| self.untainted_groups(&w.region))
            .collect();
        let first = plan.specs.first().map(|s| s.submit.as_nanos());
        self.batch = Some(Box::new(Batch {
            controller: JobController::new(plan.failures),
            specs: plan.specs,
            next: 0,
            groups,
            regions: plan.workloads.iter().map(|w| w.region.clone()).collect(),
            owner: Vec::new(),
            queueing: plan.queueing.map(super::queueing::Queueing::new),
            sync_at: BTreeSet::new(),
            first_owner: self.deployments.len(),
        }));
        if let Some(at) = first {
            self.push_timer(at, Timer::JobSubmit);
        }
        self
    }

    /// The node groups a Job of workload `w` asking `gpus` GPUs per pod may use: its
    /// region's groups it tolerates (untainted; `nvidia.com/gpu`-tainted for a GPU Job, see
    /// `PoolPlan::admits_job`) whose nodes have that many GPUs (the extended resource's fit,
    /// decided per pool) and, when admitted in a flavor, whose pool is among `pools`.
    pub(super) fn job_groups(&self, w: usize, gpus: u32, pools: Option<&[u32]>) -> Vec<u32> {
        let Some(batch) = self.batch.as_ref() else {
            return Vec::new();
        };
        batch.groups[w]
            .iter()
            .copied()
            .filter(|&g| {
                let pool = self.placement.pool_of_group(g);
                (!self.pool_tainted[pool as usize] || gpus > 0)
                    && self.pools[pool as usize].gpus_per_node >= gpus
                    && pools.is_none_or(|pools| pools.contains(&pool))
            })
            .collect()
    }

    /// Node groups of `region` a Job may use: those whose pools have no taints, or only
    /// `nvidia.com/gpu` ones (for GPU Jobs: [`Cluster::job_groups`] decides).
    fn untainted_groups(&self, region: &str) -> Vec<u32> {
        self.placement
            .groups_in(region)
            .into_iter()
            .filter(|&g| {
                let pool = self.placement.pool_of_group(g) as usize;
                !self.pool_tainted[pool] || self.pool_gpu_tainted[pool]
            })
            .collect()
    }

    /// Submits every Job due at `now`, then runs the controller.
    pub(super) fn submit_jobs(&mut self, now_ns: u64) -> bool {
        let Some(batch) = self.batch.as_mut() else {
            return false;
        };
        let now = SimTime::from_nanos(now_ns);
        let due = batch.specs[batch.next..]
            .iter()
            .take_while(|s| s.submit <= now)
            .count();
        let first = batch.next;
        batch.next += due;
        for k in first..first + due {
            let d = self.deployments.len() as u32;
            let Some(batch) = self.batch.as_mut() else {
                return false;
            };
            let spec = batch.specs[k].clone();
            let w = spec.workload as usize;
            let groups = self.job_groups(w, spec.requests.gpus, None);
            let Some(batch) = self.batch.as_mut() else {
                return false;
            };
            let region = batch.regions[w].clone();
            let region_index = self.placement.region_index(&region).unwrap_or(u32::MAX);
            let owner = Deployment::for_job(
                &spec,
                (region, region_index),
                groups,
                batch.owner.len() as u32,
            );
            batch.owner.push(d);
            match batch
                .queueing
                .as_mut()
                .and_then(|q| Some((q.queue_of(spec.workload)?, q)))
            {
                Some((cq, q)) => {
                    let job = batch.controller.submit_suspended(spec.clone());
                    q.enqueue(job, cq, &spec, now_ns);
                }
                None => {
                    batch.controller.submit(spec, now);
                }
            }
            self.deployments.push(owner);
        }
        self.run_queues(now_ns);
        if let Some(at) = self
            .batch
            .as_ref()
            .and_then(|b| b.specs.get(b.next))
            .map(|s| s.submit.as_nanos())
        {
            self.push_timer(at, Timer::JobSubmit);
        }
        self.run_job_controller(now_ns)
    }

    /// Polls the controller while it has work due at `now`, carrying out its actions; true
    /// when pods were created or deleted.
    pub(super) fn run_job_controller(&mut self, now_ns: u64) -> bool {
        let now = SimTime::from_nanos(now_ns);
        let mut changed = false;
        loop {
            let Some(batch) = self.batch.as_mut() else {
                return changed;
            };
            if batch.controller.next_wake().is_none_or(|t| t > now) {
                break;
            }
            let mut freed = false;
            for action in batch.controller.poll(now) {
                changed = true;
                if let (ActionKind::Finished(_), Some(q)) = (
                    &action.kind,
                    self.batch.as_mut().and_then(|b| b.queueing.as_mut()),
                ) {
                    freed |= q.finished(action.job);
                }
                self.apply_job_action(action, now_ns);
            }
            if freed {
                self.run_queues(now_ns);
            }
        }
        self.arm_job_sync();
        changed
    }

    /// Times a `JobSync` at the controller's next wake-up, unless one is timed then already.
    fn arm_job_sync(&mut self) {
        let Some(batch) = self.batch.as_mut() else {
            return;
        };
        if let Some(at) = batch.controller.next_wake().map(SimTime::as_nanos)
            && batch.sync_at.insert(at)
        {
            self.push_timer(at, Timer::JobSync);
        }
    }

    /// A `JobSync` timer fires at `now_ns`: the controller runs what is due.
    pub(super) fn job_sync(&mut self, now_ns: u64) -> bool {
        if let Some(batch) = self.batch.as_mut() {
            batch.sync_at.remove(&now_ns);
        }
        self.run_job_controller(now_ns)
    }

    /// The end of the services among the deployments (Job owners follow them): a scan for
    /// what only services have (traffic queues) stops there.
    pub(super) fn services_end(&self) -> usize {
        self.batch
            .as_ref()
            .map_or(self.deployments.len(), |b| b.first_owner)
    }

    fn apply_job_action(&mut self, action: crate::jobs::JobAction, now_ns: u64) {
        let Some(batch) = self.batch.as_ref() else {
            return;
        };
        let d = batch.owner[action.job as usize];
        let name = self.deployments[d as usize].name.clone();
        let reason = match action.reason {
            "SuccessfulCreate" => Reason::SuccessfulCreate,
            "SuccessfulDelete" => Reason::SuccessfulDelete,
            "Completed" => Reason::Completed,
            "BackoffLimitExceeded" => Reason::BackoffLimitExceeded,
            _ => Reason::DeadlineExceeded,
        };
        match action.kind {
            ActionKind::CreatePods(runs) if self.throttles.is_some() => {
                // The region's Job controller creates them through its client, in slow-start
                // batches (`Cluster::run_creator`); refusals are handed back as they come.
                let dep = &mut self.deployments[d as usize];
                dep.desired += runs.len() as u32;
                if let Some(owner) = dep.job.as_mut() {
                    owner.to_create.extend(runs);
                }
                self.events
                    .push(now_ns, reason, || format!("job/{name}"), || action.message);
                self.reconcile(d, now_ns);
            }
            ActionKind::CreatePods(runs) => {
                let asked = runs.len() as u32;
                let mut refused = 0;
                for run in runs {
                    self.deployments[d as usize].desired += 1;
                    if self.create_pod(d, now_ns) {
                        if let Some(owner) = self.deployments[d as usize].job.as_mut() {
                            owner.runs.push_back(run);
                        }
                    } else {
                        // `create_pod` logged the refusal once for this wait.
                        self.deployments[d as usize].desired -= 1;
                        refused += 1;
                    }
                }
                if refused < asked {
                    let message = if refused == 0 {
                        action.message
                    } else {
                        format!("{}; {refused} refused by the quota", action.message)
                    };
                    self.events
                        .push(now_ns, reason, || format!("job/{name}"), || message);
                }
                if refused > 0
                    && let Some(batch) = self.batch.as_mut()
                {
                    batch.controller.pods_refused(action.job, refused);
                }
            }
            ActionKind::DeleteActivePods(_) => {
                self.events
                    .push(now_ns, reason, || format!("job/{name}"), || action.message);
                self.delete_job_pods(d, now_ns, "its Job failed");
            }
            ActionKind::Finished(_) => {
                self.events
                    .push(now_ns, reason, || format!("job/{name}"), || action.message);
            }
        }
    }

    /// Deletes every pod of Job owner `d` (the Job failed or was suspended), and the runs
    /// drawn for pods not yet Running.
    pub(super) fn delete_job_pods(&mut self, d: u32, now_ns: u64, why: &str) {
        let dep = &mut self.deployments[d as usize];
        dep.desired = 0;
        if let Some(owner) = dep.job.as_mut() {
            owner.runs.clear();
            owner.to_create.clear();
        }
        let doomed = dep.pods.clone();
        for &id in &doomed {
            self.terminate_pod(id, now_ns, Reason::Killing);
        }
        self.log_deleted(d, doomed.len(), now_ns, Reason::Killing, why);
    }

    /// Under the control plane's limits, the Job controller's client creates the next pod of
    /// Job owner `d`; a creation the quota refuses hands back every pod not yet created, as
    /// upstream's `manageJob` skips the rest of its slow-start batches after an error, and the
    /// Job waits for room (`job_room_freed`).
    pub(super) fn create_job_pod(&mut self, d: u32, now_ns: u64) -> bool {
        if self.create_pod(d, now_ns) {
            if let Some(owner) = self.deployments[d as usize].job.as_mut()
                && let Some(run) = owner.to_create.pop_front()
            {
                owner.runs.push_back(run);
            }
            return true;
        }
        let dep = &mut self.deployments[d as usize];
        let Some(owner) = dep.job.as_mut() else {
            return false;
        };
        let refused = owner.to_create.len() as u32;
        owner.to_create.clear();
        let job = owner.job;
        dep.desired -= refused;
        if let Some(batch) = self.batch.as_mut() {
            batch.controller.pods_refused(job, refused);
        }
        false
    }

    /// A Job's pod reached Running: its run starts.
    pub(super) fn job_pod_running(&mut self, pod: u32, generation: u32, now_ns: u64) {
        let d = self.pods.get(pod).deployment as usize;
        let Some(owner) = self.deployments[d].job.as_mut() else {
            return;
        };
        let job = owner.job;
        let run = owner.runs.pop_front().unwrap_or(TaskRun {
            run: SimDuration::ZERO,
            fails: false,
        });
        if let Some(batch) = self.batch.as_mut() {
            batch
                .controller
                .pod_running(job, SimTime::from_nanos(now_ns));
        }
        self.push_timer(
            now_ns + run.run.as_nanos(),
            Timer::JobPodEnd {
                pod,
                generation,
                fails: run.fails,
            },
        );
    }

    /// A Job's pod ends (its process exited): it leaves at once and the controller hears of it.
    pub(super) fn job_pod_end(
        &mut self,
        pod: u32,
        generation: u32,
        fails: bool,
        now_ns: u64,
    ) -> bool {
        let Some(&p) = self.pods.current(pod, generation) else {
            return false;
        };
        if !matches!(p.phase, PodPhase::Running | PodPhase::Ready) {
            return false;
        }
        let d = p.deployment as usize;
        match p.phase {
            PodPhase::Ready => {
                self.count_running(d, (p.started_ns, p.ready_ns, p.revision), -1);
                self.set_ready(d, -1, now_ns);
            }
            _ => self.count_running(d, (p.started_ns, super::NOT_READY, p.revision), -1),
        }
        let pods = &mut self.deployments[d].pods;
        pods.swap_remove(p.slot as usize);
        if let Some(&moved) = pods.get(p.slot as usize) {
            self.pods.get_mut(moved).slot = p.slot;
        }
        self.deployments[d].desired -= 1;
        self.unbind(pod);
        self.release_quota(&p);
        self.pods.remove(pod);
        let ns = self.deployments[d].namespace;
        let job = self.deployments[d].job.as_ref().map(|o| o.job);
        if let (Some(batch), Some(job)) = (self.batch.as_mut(), job) {
            let now = SimTime::from_nanos(now_ns);
            batch.controller.pod_finished(job, !fails, now);
            batch.controller.room_freed(ns, now);
        }
        self.run_job_controller(now_ns);
        true
    }

    /// A Job's pod was evicted or preempted: Kubernetes counts it failed, and its owner does
    /// not replace it.
    pub(super) fn job_pod_lost(&mut self, d: usize, now_ns: u64) {
        let Some(owner) = self.deployments[d].job.as_ref() else {
            return;
        };
        let job = owner.job;
        self.deployments[d].desired = self.deployments[d].desired.saturating_sub(1);
        if let Some(batch) = self.batch.as_mut() {
            batch
                .controller
                .pod_finished(job, false, SimTime::from_nanos(now_ns));
        }
        // The controller asked for a sync one batch period on (`syncJob` after a pod's
        // failure): wake it then, or the replacement waits for whatever next runs it.
        self.arm_job_sync();
    }

    /// Quota was freed in `ns`: Jobs waiting for it may create pods.
    pub(super) fn job_room_freed(&mut self, ns: u32, now_ns: u64) {
        if let Some(batch) = self.batch.as_mut() {
            batch.controller.room_freed(ns, SimTime::from_nanos(now_ns));
            self.run_job_controller(now_ns);
        }
    }

    /// The batch figures of the run so far, with each ClusterQueue's when the run has queues.
    pub(super) fn batch_report(&self) -> Option<BatchReport> {
        self.batch.as_ref().map(|b| {
            let mut report = BatchReport::from_records(&b.controller.records());
            report.queues = b.queueing.as_ref().map(|q| q.figures());
            report
        })
    }
}

impl Deployment {
    /// The owner entry of a Job: its pods' requests, namespace and priority; no traffic.
    /// `region`: its name and index (`Deployment::region_index`).
    fn for_job(
        spec: &JobSpec,
        (region, region_index): (String, u32),
        groups: Vec<u32>,
        job: u32,
    ) -> Deployment {
        Deployment {
            name: spec.name.clone(),
            region,
            region_index,
            namespace: spec.namespace,
            priority: spec.priority,
            desired: 0,
            schedule: Vec::new(),
            templates: vec![super::pods::PodTemplate {
                gpus: spec.requests.gpus,
                ..super::pods::PodTemplate::new(
                    spec.requests.cpu_millis,
                    spec.requests.memory_bytes,
                    (None, None),
                )
            }],
            revision: 0,
            startup_ns: JOB_STARTUP.as_nanos(),
            readiness_ns: 0,
            grace_ns: JOB_GRACE.as_nanos(),
            groups,
            pods: Vec::new(),
            ready: 0,
            pending: 0,
            running: Default::default(),
            min_available: None,
            zone_max_skew: None,
            host_max_skew: None,
            zone_pods: Default::default(),
            quota_blocked: false,
            mu_rps: 1.0,
            warm_ns: 0,
            warm_speed: 1.0,
            warming: 0,
            ready_pod_seconds: 0.0,
            ready_since_ns: 0,
            queue: ServiceQueue::new(1.0, 0, 1.0, None),
            job: Some(JobOwner {
                job,
                runs: VecDeque::new(),
                to_create: VecDeque::new(),
            }),
            memory_usage: None,
            vertical: Default::default(),
        }
    }
}

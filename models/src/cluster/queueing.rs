//! Kueue in the cluster: the Jobs of a queued batch workload are created suspended, wait in
//! their ClusterQueue, and are resumed when it admits them whole (`crate::kueue` decides);
//! their pods then go to the nodes of the flavor they were admitted in. An admitted Job that
//! a preemption evicts is suspended — its pods deleted, not counted as failed — and waits
//! again with its creation time. A Job that ends gives its quota back.
//!
//! Every admission is a `QuotaReserved` event and every eviction a `Suspended` one, on
//! `job/<name>`, with the ClusterQueue, flavor, the cohort it borrows from (the nearest that
//! covers it, `crate::kueue::quota::lender`) and reason in the message. Per ClusterQueue the
//! cluster keeps what the summary reports (`crate::kueue::QueueFigures`).
//!
//! Back-of-the-envelope: an admission pass costs O(queues × pending) quota checks, run when a
//! Job arrives or ends; a 10 000-Job day with a few hundred waiting stays well under a second.

use serde::{Deserialize, Serialize};
use sim::time::SimTime;

use super::{Cluster, Deployment};
use crate::api::{QueueSample, Reason};
use crate::jobs::JobSpec;
use crate::kueue::admission::{Admission, admit, user_at_limit};
use crate::kueue::preemption::targets;
use crate::kueue::quota::lender;
use crate::kueue::{Admitted, KueuePlan, Pending, QueueFigures, Usage, release, reserve, usage_of};

/// The queueing state of a cluster.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Queueing {
    plan: KueuePlan,
    usage: Usage,
    admitted: Vec<Admitted>,
    pending: Vec<Pending>,
    /// When each waiting Job entered its queue (ns), by Job id.
    queued_ns: std::collections::BTreeMap<u32, u64>,
    figures: Vec<QueueFigures>,
    /// Instants (ns) a waiting Job may start to preempt, for the cluster's timers.
    wakes: Vec<u64>,
    /// Admitted Jobs that borrowed from the cohort when admitted.
    borrowing: std::collections::BTreeSet<u32>,
}

impl Queueing {
    pub fn new(plan: KueuePlan) -> Self {
        let usage = usage_of(&plan.queues, &[]);
        let figures = plan
            .queues
            .iter()
            .map(|q| QueueFigures {
                name: q.name.clone(),
                ..QueueFigures::default()
            })
            .collect();
        Queueing {
            plan,
            usage,
            admitted: Vec::new(),
            pending: Vec::new(),
            queued_ns: Default::default(),
            figures,
            wakes: Vec::new(),
            borrowing: Default::default(),
        }
    }

    /// The ClusterQueue of batch workload `w`, if its Jobs are queued.
    pub fn queue_of(&self, w: u32) -> Option<u32> {
        self.plan.workload_queue.get(w as usize).copied().flatten()
    }

    /// Job `job` (just created suspended) waits in ClusterQueue `cq`.
    pub fn enqueue(&mut self, job: u32, cq: u32, spec: &JobSpec, now_ns: u64) {
        let (offset, users) = self.plan.workload_users[spec.workload as usize];
        self.pending.push(Pending {
            id: job,
            cluster_queue: cq,
            priority: spec.priority,
            created_ns: spec.submit.as_nanos(),
            request: spec.quota_request(),
            user: offset + spec.index % users.max(1),
        });
        self.waiting_since(job, cq, now_ns);
        self.count_pending(cq);
    }

    /// Job `job` waits in `cq` from `now_ns`: when its queue makes it wait before preempting,
    /// a wake-up then.
    fn waiting_since(&mut self, job: u32, cq: u32, now_ns: u64) {
        self.queued_ns.insert(job, now_ns);
        let delay = self.plan.queues[cq as usize].preempt_after_ns;
        if delay > 0 {
            self.wakes.push(now_ns + delay);
        }
    }

    fn count_pending(&mut self, cq: u32) {
        let n = self
            .pending
            .iter()
            .filter(|p| p.cluster_queue == cq)
            .count() as u64;
        let f = &mut self.figures[cq as usize];
        f.pending_peak = f.pending_peak.max(n);
    }

    /// Job `job` ended: its quota is free. False when it held none.
    pub fn finished(&mut self, job: u32) -> bool {
        let Some(k) = self.admitted.iter().position(|a| a.id == job) else {
            return false;
        };
        release(&mut self.usage, &mut self.admitted, k);
        self.borrowing.remove(&job);
        true
    }

    /// Each ClusterQueue now: Jobs waiting, admitted, and admitted by borrowing.
    pub fn sample(&self) -> Vec<QueueSample> {
        let count = |cq: u32, f: &dyn Fn(&Admitted) -> bool| {
            self.admitted
                .iter()
                .filter(|a| a.cluster_queue == cq && f(a))
                .count() as u64
        };
        (0..self.plan.queues.len() as u32)
            .map(|cq| QueueSample {
                queue: self.plan.queues[cq as usize].name.clone(),
                pending_jobs: self
                    .pending
                    .iter()
                    .filter(|p| p.cluster_queue == cq)
                    .count() as u64,
                admitted_jobs: count(cq, &|_| true),
                borrowing_jobs: count(cq, &|a| self.borrowing.contains(&a.id)),
            })
            .collect()
    }

    /// The figures per ClusterQueue, with the Jobs waiting now.
    pub fn figures(&self) -> Vec<QueueFigures> {
        let mut out = self.figures.clone();
        for p in &self.pending {
            out[p.cluster_queue as usize].pending_now += 1;
        }
        out
    }
}

/// One decision of an admission pass, for the cluster to carry out.
enum Step {
    /// Resume the Job, its pods on the nodes of this ResourceFlavor.
    Admit {
        job: u32,
        flavor: u32,
        message: String,
    },
    /// Suspend the Job, preempted by Job `by` for the reason `why`.
    Evict { job: u32, by: u32, why: String },
}

impl Cluster {
    /// Admits what the queues can, preempting where their policies allow, and carries out the
    /// decisions: evicted Jobs suspended (their pods deleted), admitted Jobs resumed on their
    /// flavor's nodes.
    pub(super) fn run_queues(&mut self, now_ns: u64) {
        let Some(q) = self.batch.as_mut().and_then(|b| b.queueing.as_mut()) else {
            return;
        };
        let steps = q.pass(now_ns);
        let wakes = std::mem::take(&mut q.wakes);
        for at in wakes {
            self.push_timer(at, super::Timer::Queues);
        }
        for step in steps {
            match step {
                Step::Evict { job, by, why } => {
                    let by = self
                        .batch
                        .as_ref()
                        .map(|b| b.controller.job(by).spec.name.clone())
                        .unwrap_or_default();
                    let message = format!("Preempted to accommodate job/{by} {why}");
                    self.suspend_job(job, message, now_ns);
                }
                Step::Admit {
                    job,
                    flavor,
                    message,
                } => self.resume_job(job, flavor, message, now_ns),
            }
        }
    }

    fn suspend_job(&mut self, job: u32, message: String, now_ns: u64) {
        let Some(batch) = self.batch.as_mut() else {
            return;
        };
        batch.controller.suspend(job);
        let d = batch.owner[job as usize];
        let name = self.deployments[d as usize].name.clone();
        self.events.push(
            now_ns,
            Reason::Suspended,
            || format!("job/{name}"),
            || message,
        );
        self.delete_job_pods(d, now_ns, "its Job was suspended");
    }

    fn resume_job(&mut self, job: u32, flavor: u32, message: String, now_ns: u64) {
        let Some(batch) = self.batch.as_mut() else {
            return;
        };
        let d = batch.owner[job as usize] as usize;
        let spec = &batch.controller.job(job).spec;
        let (w, gpus) = (spec.workload as usize, spec.requests.gpus);
        let pools = batch
            .queueing
            .as_ref()
            .map(|q| q.plan.flavors[flavor as usize].1.clone())
            .unwrap_or_default();
        let groups = self.job_groups(w, gpus, Some(&pools));
        let Some(batch) = self.batch.as_mut() else {
            return;
        };
        batch.controller.resume(job, SimTime::from_nanos(now_ns));
        let dep: &mut Deployment = &mut self.deployments[d];
        dep.groups = groups;
        let name = dep.name.clone();
        self.events.push(
            now_ns,
            Reason::QuotaReserved,
            || format!("job/{name}"),
            || message,
        );
    }
}

impl Queueing {
    /// One admission pass at `now_ns`: admissions, then, while a waiting Job can preempt its
    /// way in, the evictions that make room and the admissions that follow.
    fn pass(&mut self, now_ns: u64) -> Vec<Step> {
        let mut steps = Vec::new();
        // Each round admits at least one Job or stops, so at most one round per waiting Job.
        for _ in 0..=self.pending.len() {
            let before = self.admitted.len();
            let admissions = admit(
                &self.plan.queues,
                &mut self.usage,
                &mut self.admitted,
                &self.pending,
                now_ns,
            );
            for Admission { id, lender } in admissions {
                self.admitted_step(id, lender, now_ns, &mut steps);
            }
            if self.admitted.len() == before && !self.preempt_once(now_ns, &mut steps) {
                break;
            }
        }
        steps
    }

    /// Records the admission of `id`, borrowing from cohort `from` when it was made, and its
    /// step.
    fn admitted_step(&mut self, id: u32, from: Option<u32>, now_ns: u64, steps: &mut Vec<Step>) {
        self.pending.retain(|p| p.id != id);
        let Some(a) = self.admitted.iter().rev().find(|a| a.id == id).copied() else {
            return;
        };
        let queue = &self.plan.queues[a.cluster_queue as usize];
        let flavor = queue.flavors[a.slot as usize].flavor;
        let borrowing = from.is_some();
        let waited_s = self
            .queued_ns
            .remove(&id)
            .map_or(0.0, |q| (now_ns - q) as f64 / 1e9);
        if borrowing {
            self.borrowing.insert(id);
        }
        let f = &mut self.figures[a.cluster_queue as usize];
        f.admitted += 1;
        f.admitted_borrowing += u64::from(borrowing);
        f.wait_total_s += waited_s;
        f.wait_max_s = f.wait_max_s.max(waited_s);
        steps.push(Step::Admit {
            job: id,
            flavor,
            message: format!(
                "Quota reserved in ClusterQueue {}, flavor {}{}; waited {waited_s:.0} s",
                queue.name,
                self.plan.flavors[flavor as usize].0,
                from.map_or(String::new(), |c| format!(
                    " (borrowing from cohort {})",
                    self.plan.queues.cohorts[c as usize].name
                ))
            ),
        });
    }

    /// The first waiting Job, in queue order, that its ClusterQueue's preemption policies let
    /// evict admitted Jobs to fit: evicts them (back to waiting) and admits it. False when none.
    fn preempt_once(&mut self, now_ns: u64, steps: &mut Vec<Step>) -> bool {
        let mut order: Vec<Pending> = self.pending.clone();
        order.sort_by_key(|p| (std::cmp::Reverse(p.priority), p.created_ns, p.id));
        // Only each ClusterQueue's head may preempt, as upstream's cycle takes one per queue.
        let mut tried = vec![false; self.plan.queues.len()];
        for p in order {
            let q = &self.plan.queues[p.cluster_queue as usize];
            if tried[p.cluster_queue as usize] || user_at_limit(q, &self.admitted, &p) {
                continue;
            }
            tried[p.cluster_queue as usize] = true;
            let waited_ns = self.queued_ns.get(&p.id).map_or(0, |&q| now_ns - q);
            if waited_ns < q.preempt_after_ns {
                continue;
            }
            let Some((slot, victims)) = targets(&self.plan.queues, &self.usage, &self.admitted, &p)
            else {
                continue;
            };
            let cq_index = p.cluster_queue as usize;
            let preemptor_name = self.plan.queues[cq_index].name.clone();
            for v in victims {
                let Some(k) = self.admitted.iter().position(|a| a.id == v) else {
                    continue;
                };
                let a = release(&mut self.usage, &mut self.admitted, k);
                self.borrowing.remove(&a.id);
                let how = if a.cluster_queue == p.cluster_queue {
                    "prioritization in the ClusterQueue"
                } else {
                    "reclamation within the cohort"
                };
                self.figures[a.cluster_queue as usize].preempted += 1;
                self.pending.push(a.pending());
                self.waiting_since(a.id, a.cluster_queue, now_ns);
                steps.push(Step::Evict {
                    job: a.id,
                    by: p.id,
                    why: format!("of ClusterQueue {preemptor_name} due to {how}"),
                });
            }
            // The preemptor takes the room it made, in the flavor it made it in.
            reserve(
                &mut self.usage,
                &mut self.admitted,
                p.admitted(slot, now_ns),
            );
            let from = lender(&self.plan.queues, &self.usage, cq_index, slot);
            self.admitted_step(p.id, from, now_ns, steps);
            for cq in 0..self.plan.queues.len() as u32 {
                self.count_pending(cq);
            }
            return true;
        }
        false
    }
}

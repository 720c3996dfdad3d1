//! Kueue, the Kubernetes-native job queueing system (kueue.sigs.k8s.io), as pure functions:
//! quotas per ResourceFlavor and resource in ClusterQueues, borrowing and lending in a cohort,
//! the admission order (StrictFIFO, BestEffortFIFO), fair sharing and preemption. Workloads
//! (Jobs) are admitted whole — every pod's requests reserved at once — and only then created
//! and scheduled, which is how Kueue avoids the half-started gang.
//!
//! Sources, cited where each rule is implemented: the concept pages `cluster_queue.md`
//! (quotas, flavors in order of consumption, queueing strategies, cohorts, `borrowingLimit`,
//! `lendingLimit`, preemption policies, flavor fungibility), `preemption.md` (the candidate
//! order) and `fair_sharing.md`, and upstream's `pkg/cache` (`available`, the dominant
//! resource share) and `pkg/scheduler/preemption` (candidates, minimal preemptions).
//!
//! Modelled: hierarchical cohorts (`cohort.md`: Cohort objects, API `kueue.x-k8s.io/v1alpha1`,
//! with a parent and quotas of their own, borrowing walking up the tree as upstream's
//! `pkg/cache/resource_node.go` has it), one resource group per ClusterQueue (cpu, memory, GPUs
//! and pods share its flavors), `flavorFungibility` (`cluster_queue.md`, "Flavor
//! Fungibility"; [`fungibility`]), fair sharing's admission order and its preemption
//! strategies at their defaults ([`fair_preemption`]). Beyond Kueue, as YARN's capacity scheduler has it, a
//! ClusterQueue may cap the workloads one user has admitted at once.
//!
//! This module is a leaf: it knows quotas and workloads, not nodes or pods.

pub mod admission;
pub mod config;
pub mod fair_preemption;
pub mod fungibility;
pub mod preemption;
pub mod quota;

use serde::{Deserialize, Serialize};

/// The resources a quota covers, in this order: cpu millicores, memory bytes, GPUs
/// (`nvidia.com/gpu`) and pods (Kueue's reserved `pods` resource: one per pod).
pub const RESOURCES: usize = 4;

/// The resource names, as Kueue spells them, for messages and outputs.
pub const RESOURCE_NAMES: [&str; RESOURCES] = ["cpu", "memory", "nvidia.com/gpu", "pods"];

/// An amount of each resource ([`RESOURCES`]).
pub type Amounts = [u64; RESOURCES];

/// `a + b`, resource by resource.
pub fn plus(a: Amounts, b: Amounts) -> Amounts {
    std::array::from_fn(|r| a[r].saturating_add(b[r]))
}

/// `a − b`, resource by resource, at least 0.
pub fn minus(a: Amounts, b: Amounts) -> Amounts {
    std::array::from_fn(|r| a[r].saturating_sub(b[r]))
}

/// A ClusterQueue's quota for one ResourceFlavor: `nominalQuota`, and per resource an optional
/// `borrowingLimit` (most it may use above nominal; none: up to what the cohort lends) and
/// `lendingLimit` (most of its unused nominal the cohort may borrow; none: all of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlavorQuota {
    /// Index of the ResourceFlavor (the same flavor in two ClusterQueues shares an index).
    pub flavor: u32,
    /// `u64::MAX` for a resource the queue does not cover.
    pub nominal: Amounts,
    pub borrowing_limit: [Option<u64>; RESOURCES],
    pub lending_limit: [Option<u64>; RESOURCES],
}

impl FlavorQuota {
    /// A flavor's quota with no borrowing or lending limits.
    pub fn nominal(flavor: u32, nominal: Amounts) -> FlavorQuota {
        FlavorQuota {
            flavor,
            nominal,
            borrowing_limit: [None; RESOURCES],
            lending_limit: [None; RESOURCES],
        }
    }
}

/// `.spec.queueingStrategy`. Both order pending workloads by priority, then creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum QueueingStrategy {
    /// An older workload that cannot be admitted blocks newer ones.
    StrictFifo,
    /// An older workload that cannot be admitted does not block newer ones that fit (the
    /// default, `cluster_queue.md`).
    #[default]
    BestEffortFifo,
}

/// `preemption.withinClusterQueue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum WithinClusterQueue {
    #[default]
    Never,
    LowerPriority,
    LowerOrNewerEqualPriority,
}

/// `preemption.reclaimWithinCohort`: preempt workloads of other ClusterQueues of the cohort
/// that use more than their nominal quota, when the incoming workload fits its own nominal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ReclaimWithinCohort {
    #[default]
    Never,
    LowerPriority,
    Any,
}

/// A ClusterQueue's `preemption`. `borrow_within_cohort` is `borrowWithinCohort` with policy
/// `LowerPriority`: when the incoming workload must borrow, it may preempt lower-priority
/// workloads of the cohort whose priority is at most the threshold (`maxPriorityThreshold`;
/// `None`: any lower priority). Upstream allows it only with `reclaimWithinCohort` set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Preemption {
    pub within_cluster_queue: WithinClusterQueue,
    pub reclaim_within_cohort: ReclaimWithinCohort,
    pub borrow_within_cohort: Option<Option<i32>>,
}

/// `flavorFungibility.whenCanBorrow`: when a flavor fits only by borrowing, take it (`Borrow`,
/// the default) or look for a later flavor that fits without (`TryNextFlavor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum WhenCanBorrow {
    #[default]
    Borrow,
    TryNextFlavor,
}

/// `flavorFungibility.whenCanPreempt`: when a flavor fits only by preempting, preempt there
/// (`Preempt`) or look for a later flavor that fits as it is (`TryNextFlavor`, the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum WhenCanPreempt {
    Preempt,
    #[default]
    TryNextFlavor,
}

/// A ClusterQueue's `flavorFungibility`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FlavorFungibility {
    pub when_can_borrow: WhenCanBorrow,
    pub when_can_preempt: WhenCanPreempt,
}

/// A ClusterQueue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterQueue {
    pub name: String,
    /// Index of its cohort in [`Queues::cohorts`]; `None`: it neither borrows nor lends.
    pub cohort: Option<u32>,
    /// Its flavors in order of consumption.
    pub flavors: Vec<FlavorQuota>,
    pub strategy: QueueingStrategy,
    pub preemption: Preemption,
    pub fungibility: FlavorFungibility,
    /// `fairSharing.weight` in thousandths (default 1000: weight 1); 0 never borrows first.
    pub fair_weight_milli: u64,
    /// Most workloads one user may have admitted at once (`None`: no limit).
    pub max_admitted_per_user: Option<u32>,
    /// A waiting workload may preempt only after waiting this long (ns; 0: at once).
    pub preempt_after_ns: u64,
}

/// A Cohort: ClusterQueues and Cohorts that name it share their lendable quota in it, with
/// its own quota added (`cohort.md`: "additional resources on top of those defined by
/// ClusterQueues within the Cohort"); with a parent, it lends to and borrows from the parent
/// within its own `lendingLimit` and `borrowingLimit`. A cohort only named by ClusterQueues
/// has no quota and no parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cohort {
    pub name: String,
    /// Index of its parent in [`Queues::cohorts`]; `None`: the root of its tree.
    pub parent: Option<u32>,
    /// Its own quota per flavor (a resource left out: none of its own, 0).
    pub flavors: Vec<FlavorQuota>,
}

/// The ClusterQueues and the cohort trees they share quota in. Indexes (and iterates) as the
/// slice of ClusterQueues, which is what most callers want.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Queues {
    pub queues: Vec<ClusterQueue>,
    /// Parents before children is not required; the tree has no cycle (checked on input).
    pub cohorts: Vec<Cohort>,
    /// Kueue's fair sharing (`fairSharing.enable`): competing heads that borrow are ordered
    /// by dominant resource share, and preemption in the cohort follows the fair-sharing
    /// strategies ([`preemption`]).
    pub fair_sharing: bool,
}

impl Queues {
    /// The root of cohort `c`'s tree.
    pub fn root(&self, mut c: u32) -> u32 {
        // A tree of n cohorts has paths of at most n steps; input refuses cycles.
        for _ in 0..self.cohorts.len() {
            match self.cohorts[c as usize].parent {
                Some(p) => c = p,
                None => break,
            }
        }
        c
    }

    /// Whether ClusterQueues `a` and `b` share a cohort tree (and so may borrow from and
    /// preempt each other).
    pub fn same_tree(&self, a: usize, b: usize) -> bool {
        match (self.queues[a].cohort, self.queues[b].cohort) {
            (Some(x), Some(y)) => self.root(x) == self.root(y),
            _ => false,
        }
    }
}

impl std::ops::Deref for Queues {
    type Target = [ClusterQueue];
    fn deref(&self) -> &[ClusterQueue] {
        &self.queues
    }
}

/// What a run's queueing is built from, resolved from [`config::KueueConfig`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KueuePlan {
    pub queues: Queues,
    /// Per ResourceFlavor: its name and the pools (indices of the cluster's pools) whose
    /// nodes carry its node labels.
    pub flavors: Vec<(String, Vec<u32>)>,
    /// Per batch workload: its ClusterQueue (through its LocalQueue), or `None`: its Jobs are
    /// not queued (created at once, as without Kueue).
    pub workload_queue: Vec<Option<u32>>,
    /// Per batch workload: its Jobs' users are `offset + index mod users`.
    pub workload_users: Vec<(u32, u32)>,
}

/// Per ClusterQueue: what its Jobs went through, for the summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QueueFigures {
    pub name: String,
    /// Admissions (a Job preempted and admitted again counts twice).
    pub admitted: u64,
    /// Admissions that borrowed from the cohort.
    pub admitted_borrowing: u64,
    /// Its Jobs evicted by preemption.
    pub preempted: u64,
    /// Queued → admitted, seconds, over every admission.
    pub wait_total_s: f64,
    pub wait_max_s: f64,
    /// Most Jobs waiting at once.
    pub pending_peak: u64,
    /// Jobs still waiting at the end.
    pub pending_now: u64,
}

/// Usage of every ClusterQueue: `usage[cq][slot]` for its `flavors[slot]`.
pub type Usage = Vec<Vec<Amounts>>;

/// A workload waiting for admission (a Job: its pods' requests summed, `pods` counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub id: u32,
    /// Index of its ClusterQueue (through its namespace's LocalQueue).
    pub cluster_queue: u32,
    pub priority: i32,
    /// Creation time (ns), the FIFO order.
    pub created_ns: u64,
    pub request: Amounts,
    pub user: u32,
}

/// An admitted workload, holding quota in one flavor of its ClusterQueue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Admitted {
    pub id: u32,
    pub cluster_queue: u32,
    /// Index into its ClusterQueue's `flavors`.
    pub slot: u32,
    pub priority: i32,
    pub created_ns: u64,
    pub admitted_ns: u64,
    pub request: Amounts,
    pub user: u32,
}

impl Pending {
    /// This workload admitted in flavor `slot` at `now_ns`.
    pub fn admitted(&self, slot: usize, now_ns: u64) -> Admitted {
        Admitted {
            id: self.id,
            cluster_queue: self.cluster_queue,
            slot: slot as u32,
            priority: self.priority,
            created_ns: self.created_ns,
            admitted_ns: now_ns,
            request: self.request,
            user: self.user,
        }
    }
}

impl Admitted {
    /// This workload waiting again (evicted), with its creation time.
    pub fn pending(&self) -> Pending {
        Pending {
            id: self.id,
            cluster_queue: self.cluster_queue,
            priority: self.priority,
            created_ns: self.created_ns,
            request: self.request,
            user: self.user,
        }
    }
}

/// Reserves `a`'s quota: its request added to its flavor's usage, `a` among the admitted.
pub fn reserve(usage: &mut Usage, admitted: &mut Vec<Admitted>, a: Admitted) {
    let u = &mut usage[a.cluster_queue as usize][a.slot as usize];
    *u = plus(*u, a.request);
    admitted.push(a);
}

/// Releases the quota of `admitted[k]` (it ended or was evicted) and returns it.
pub fn release(usage: &mut Usage, admitted: &mut Vec<Admitted>, k: usize) -> Admitted {
    let a = admitted.swap_remove(k);
    let u = &mut usage[a.cluster_queue as usize][a.slot as usize];
    *u = minus(*u, a.request);
    a
}

/// Usage implied by the admitted workloads.
pub fn usage_of(queues: &[ClusterQueue], admitted: &[Admitted]) -> Usage {
    let mut usage: Usage = queues
        .iter()
        .map(|q| vec![[0; RESOURCES]; q.flavors.len()])
        .collect();
    for a in admitted {
        let u = &mut usage[a.cluster_queue as usize][a.slot as usize];
        *u = plus(*u, a.request);
    }
    usage
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// A cpu-only amount, in whole cores.
    pub fn cpu(cores: u64) -> Amounts {
        [cores * 1000, 0, 0, 0]
    }

    /// A ClusterQueue with one flavor (index 0) of `nominal`, in `cohort` 0 when `cohort`.
    pub fn queue(name: &str, nominal: Amounts, cohort: bool) -> ClusterQueue {
        ClusterQueue {
            name: name.into(),
            cohort: cohort.then_some(0),
            flavors: vec![FlavorQuota::nominal(0, nominal)],
            strategy: QueueingStrategy::BestEffortFifo,
            preemption: Preemption::default(),
            fungibility: FlavorFungibility::default(),
            fair_weight_milli: 1000,
            max_admitted_per_user: None,
            preempt_after_ns: 0,
        }
    }

    /// ClusterQueues in one-level cohorts: every cohort index they name, without quota or
    /// parent.
    pub fn flat(queues: Vec<ClusterQueue>) -> Queues {
        let n = queues
            .iter()
            .filter_map(|q| q.cohort)
            .max()
            .map_or(0, |c| c + 1);
        let cohorts = (0..n)
            .map(|c| Cohort {
                name: format!("cohort-{c}"),
                parent: None,
                flavors: Vec::new(),
            })
            .collect();
        Queues {
            queues,
            cohorts,
            fair_sharing: false,
        }
    }

    /// An admitted workload of `request` in queue `cq`, flavor slot 0.
    pub fn admitted(id: u32, cq: u32, request: Amounts, priority: i32, at_s: u64) -> Admitted {
        Admitted {
            id,
            cluster_queue: cq,
            slot: 0,
            priority,
            created_ns: at_s * 1_000_000_000,
            admitted_ns: at_s * 1_000_000_000,
            request,
            user: 0,
        }
    }

    /// A pending workload of `request` in queue `cq`.
    pub fn pending(id: u32, cq: u32, request: Amounts, priority: i32, at_s: u64) -> Pending {
        Pending {
            id,
            cluster_queue: cq,
            priority,
            created_ns: at_s * 1_000_000_000,
            request,
            user: 0,
        }
    }
}

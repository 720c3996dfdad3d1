//! The control plane's limits at run time, as the cluster keeps them: per region (each region
//! is its own cluster, [`RegionPlane`]) the ReplicaSet and Job controllers' clients, work
//! queues and current syncs ([`PodCreator`]) and the scheduler's token buckets; each node's
//! images and each pool's boot draws. One wake-up per queue and region (the cluster's
//! `Timer::Creator` and `Timer::Scheduler`), never one per pod: a throttled queue wakes at
//! the end of its slow-start batch or [`WAKE_TICK_NS`] after its next token, whichever is
//! first, and does everything whose token has come.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use super::Limits;
use super::boot::draw_boot_ns;
use super::bucket::TokenBucket;
use super::pulls::{NodeImages, pull_ns};

/// Longest a throttled queue sleeps past its next token: pods whose token came since the last
/// wake are created or bound together, at most this late (their start-up timers use the exact
/// grant).
pub const WAKE_TICK_NS: u64 = 1_000_000_000;

/// A ReplicaSet or Job sync under way: `left` pods still to create in it, `batch_left` in the current
/// slow-start batch, issued at `batch_start_ns`; the batch ends at its last grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaSetSync {
    pub deployment: u32,
    pub left: u32,
    pub batch_left: u32,
    pub next_batch: u32,
    pub batch_start_ns: u64,
    pub batch_end_ns: u64,
}

/// A controller of kube-controller-manager that creates pods: the ReplicaSet controller or
/// the Job controller. Each has its own client, built from the manager's `--kube-api-qps`/
/// `--kube-api-burst` (`ControllerClientBuilder.ClientOrDie`, one clientset and rate limiter
/// per controller), and creates at most `BurstReplicas` (ReplicaSet) or
/// `MaxPodCreateDeletePerSync` (Job; both 500) pods per sync in slow-start batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Creator {
    ReplicaSet,
    Job,
}

/// One pod-creating controller's client, work queue, sync under way and wake-up.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PodCreator {
    pub client: Option<TokenBucket>,
    pub sync: Option<ReplicaSetSync>,
    queue: VecDeque<u32>,
    queued: Vec<bool>,
    wake_ns: Option<u64>,
}

impl PodCreator {
    fn new(limits: &Limits) -> Self {
        PodCreator {
            client: limits
                .controller_client
                .map(|(qps, burst)| TokenBucket::new(qps, burst)),
            sync: None,
            queue: VecDeque::new(),
            queued: Vec::new(),
            wake_ns: None,
        }
    }

    /// Queues a deployment (or a Job's owner) for a sync, once.
    pub fn enqueue(&mut self, deployment: u32) {
        let d = deployment as usize;
        if self.queued.len() <= d {
            self.queued.resize(d + 1, false);
        }
        if !self.queued[d] {
            self.queued[d] = true;
            self.queue.push_back(deployment);
        }
    }

    /// The next deployment to sync.
    pub fn dequeue(&mut self) -> Option<u32> {
        let d = self.queue.pop_front()?;
        self.queued[d as usize] = false;
        Some(d)
    }

    /// When the last request of the current batch will be let through.
    pub fn batch_last_grant(&self, sync: &ReplicaSetSync) -> u64 {
        let Some(mut bucket) = self.client else {
            return sync.batch_start_ns;
        };
        let mut last = sync.batch_start_ns;
        for _ in 0..sync.batch_left {
            last = bucket.grant(sync.batch_start_ns);
        }
        last
    }

    /// Whether a wake-up at `at_ns` must be set: none is, or the one set is later.
    pub fn arm(&mut self, at_ns: u64) -> bool {
        arm(&mut self.wake_ns, at_ns)
    }

    /// Whether the wake-up is the one due at `now_ns` (and clears it).
    pub fn due(&mut self, now_ns: u64) -> bool {
        due(&mut self.wake_ns, now_ns)
    }
}

/// One region's control plane: each region is its own Kubernetes cluster, with its own
/// kube-controller-manager (the ReplicaSet and Job controllers) and its own kube-scheduler
/// (client and scheduling cycles), all with the section's limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegionPlane {
    /// The ReplicaSet controller, then the Job controller (indexed by [`Creator`]).
    creators: [PodCreator; 2],
    scheduler_client: Option<TokenBucket>,
    scheduler_cycle: Option<TokenBucket>,
    scheduler_wake_ns: Option<u64>,
    /// Since when the scheduler has had pods waiting for tokens: its requests queue from
    /// there, so the grants a wake-up catches up on are the ones a busy scheduler would have
    /// had one after the other (a bucket of burst 1 refills no faster while we sleep).
    pub scheduler_busy_since_ns: Option<u64>,
}

impl RegionPlane {
    /// Full buckets: a plane first used at `t` is one that idled until `t`.
    fn new(limits: &Limits) -> Self {
        RegionPlane {
            creators: [PodCreator::new(limits), PodCreator::new(limits)],
            scheduler_client: limits
                .scheduler_client
                .map(|(qps, burst)| TokenBucket::new(qps, burst)),
            scheduler_cycle: limits.scheduler_pods_per_s.map(|r| TokenBucket::new(r, 1)),
            scheduler_wake_ns: None,
            scheduler_busy_since_ns: None,
        }
    }

    pub fn creator(&mut self, which: Creator) -> &mut PodCreator {
        &mut self.creators[which as usize]
    }

    pub fn arm_scheduler(&mut self, at_ns: u64) -> bool {
        arm(&mut self.scheduler_wake_ns, at_ns)
    }

    pub fn scheduler_due(&mut self, now_ns: u64) -> bool {
        due(&mut self.scheduler_wake_ns, now_ns)
    }

    /// When the scheduler could bind its next pod, asked at `at_ns`: a scheduling cycle, then
    /// the bind request through the client.
    pub fn scheduler_peek(&self, at_ns: u64) -> u64 {
        let cycle = self.scheduler_cycle.map_or(at_ns, |b| b.peek(at_ns));
        self.scheduler_client.map_or(cycle, |b| b.peek(cycle))
    }

    /// Takes the next bind's tokens; returns when the bind request goes out.
    pub fn scheduler_take(&mut self, at_ns: u64) -> u64 {
        let cycle = self
            .scheduler_cycle
            .as_mut()
            .map_or(at_ns, |b| b.grant(at_ns));
        self.scheduler_client
            .as_mut()
            .map_or(cycle, |b| b.grant(cycle))
    }
}

/// The limits of one run and the state they keep, owned by the cluster.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Throttles {
    pub limits: Limits,
    seed: u64,
    /// One per region, in the order the regions were first asked for (`plane_of`).
    planes: Vec<RegionPlane>,
    /// Region name → its plane.
    plane_by_region: BTreeMap<String, u32>,
    /// Per deployment: its region's plane, once asked for.
    plane_of_deployment: Vec<Option<u32>>,
    /// Nodes launched so far, per pool: the index of the next boot draw.
    launches: Vec<u64>,
    /// Per node id.
    nodes: Vec<NodeImages>,
    /// Image id per image name (a service's name), in first-seen order.
    images: BTreeMap<String, u32>,
}

impl Throttles {
    pub fn new(limits: Limits, seed: u64, pools: usize) -> Self {
        Throttles {
            limits,
            seed,
            planes: Vec::new(),
            plane_by_region: BTreeMap::new(),
            plane_of_deployment: Vec::new(),
            launches: vec![0; pools],
            nodes: Vec::new(),
            images: BTreeMap::new(),
        }
    }

    /// The plane of deployment `d`, which runs in `region`.
    pub fn plane_of(&mut self, d: u32, region: &str) -> u32 {
        let k = d as usize;
        if let Some(Some(p)) = self.plane_of_deployment.get(k) {
            return *p;
        }
        let p = match self.plane_by_region.get(region) {
            Some(&p) => p,
            None => {
                let p = self.planes.len() as u32;
                self.planes.push(RegionPlane::new(&self.limits));
                self.plane_by_region.insert(region.to_owned(), p);
                p
            }
        };
        if self.plane_of_deployment.len() <= k {
            self.plane_of_deployment.resize(k + 1, None);
        }
        self.plane_of_deployment[k] = Some(p);
        p
    }

    pub fn plane(&mut self, plane: u32) -> &mut RegionPlane {
        &mut self.planes[plane as usize]
    }

    /// Regions with a plane so far.
    pub fn plane_count(&self) -> usize {
        self.planes.len()
    }

    /// A node launched now in pool `pool` boots for this long (`delay_ns` without a spread).
    pub fn boot_ns(&mut self, pool: u32, pool_name: &str, delay_ns: u64) -> u64 {
        let Some((low, high)) = self.limits.boot else {
            return delay_ns;
        };
        let k = &mut self.launches[pool as usize];
        let path = format!("control_plane/boot/{pool_name}/{k}");
        *k += 1;
        draw_boot_ns(&mut sim::rng::stream(self.seed, &path), delay_ns, low, high)
    }

    fn image_id(&mut self, name: &str) -> u32 {
        // Looked up first: every bind asks, and only a new image needs its name copied.
        if let Some(&id) = self.images.get(name) {
            return id;
        }
        let next = self.images.len() as u32;
        self.images.insert(name.to_owned(), next);
        next
    }

    fn node(&mut self, node: u32) -> &mut NodeImages {
        let n = node as usize;
        if self.nodes.len() <= n {
            self.nodes.resize_with(n + 1, NodeImages::default);
        }
        &mut self.nodes[n]
    }

    /// The image `name` is on `node` from the start (a pod was running there before the run).
    pub fn preload(&mut self, node: u32, name: &str) {
        let image = self.image_id(name);
        self.node(node).ready_at(image, 0, 0, None);
    }

    /// When a pod of `name` bound to `node` at `at_ns` has its image.
    pub fn image_ready_at(&mut self, node: u32, name: &str, at_ns: u64) -> u64 {
        let Some(rate) = self.limits.pull_bytes_per_s else {
            return at_ns;
        };
        let bytes = self
            .limits
            .image_bytes
            .get(name)
            .copied()
            .unwrap_or(self.limits.default_image_bytes);
        let (pull, slots) = (pull_ns(bytes, rate), self.limits.pull_slots);
        let image = self.image_id(name);
        self.node(node).ready_at(image, at_ns, pull, slots)
    }
}

fn arm(wake: &mut Option<u64>, at_ns: u64) -> bool {
    if wake.is_some_and(|w| w <= at_ns) {
        return false;
    }
    *wake = Some(at_ns);
    true
}

fn due(wake: &mut Option<u64>, now_ns: u64) -> bool {
    if *wake == Some(now_ns) {
        *wake = None;
        return true;
    }
    false
}

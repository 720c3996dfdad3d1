//! Pods as a slab of compact records with reusable small ids.
//!
//! Why a slab: a Black-Friday day creates and deletes millions of pods; a `Vec` of 48-byte
//! records (`size_of::<Pod>()`, checked by a test) with a free list keeps them contiguous, and a generation counter lets timers that
//! outlived their pod (a readiness timer of a pod deleted while starting) be recognised and
//! dropped instead of acting on the id's next tenant.

use serde::{Deserialize, Serialize};

use super::qos::{QosClass, qos_class};

/// What a pod is made of, as a Deployment's pod template says: its containers' requests and
/// limits, and the QoS class they give. A deployment keeps every revision of its template and
/// points at the current one; each pod keeps the revision it was created from, so a change of
/// requests (a VPA, a rolling update) applies to new pods while running pods keep holding, and
/// being measured against, what they were created with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodTemplate {
    pub cpu_millis: u64,
    pub memory_bytes: u64,
    /// Container limits (cpu millicores, memory bytes).
    pub limits: (Option<u64>, Option<u64>),
    pub qos: QosClass,
    /// `nvidia.com/gpu` requested (whole GPUs; a service's `ServicePlan::gpus`).
    pub gpus: u32,
}

impl PodTemplate {
    pub fn new(cpu_millis: u64, memory_bytes: u64, limits: (Option<u64>, Option<u64>)) -> Self {
        PodTemplate {
            cpu_millis,
            memory_bytes,
            limits,
            qos: qos_class((cpu_millis, memory_bytes), limits),
            gpus: 0,
        }
    }
}

/// No node: the pod is not bound.
pub const UNBOUND: u32 = u32::MAX;

/// Where a pod is in its lifecycle (kubelet phases, with Running split by readiness).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PodPhase {
    /// Created, waiting for the scheduler.
    Pending,
    /// Bound; pulling the image and starting containers.
    Starting,
    /// Containers running; readiness probe not yet passed.
    Running,
    /// Serving traffic.
    Ready,
    /// Deleted; its grace period runs, it still holds its node's resources.
    Terminating,
}

/// One pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pod {
    /// The deployment (service in a region) that owns it.
    pub deployment: u32,
    pub node: u32,
    pub phase: PodPhase,
    /// The revision of its deployment's pod template it was created from (an index into the
    /// deployment's templates): 2 bytes fit in the record's padding, so the record stays 48
    /// bytes; 65 536 revisions per deployment is far past Kubernetes' `revisionHistoryLimit`.
    pub revision: u16,
    /// Container restarts after OOM kills, for the kubelet's crash-loop back-off (one byte
    /// of the record's padding; it saturates at 255, far past the 300 s back-off cap).
    pub restarts: u8,
    /// Bumped on every reuse of the slot, and on a container restart, so stale timers can be
    /// told apart.
    pub generation: u32,
    pub priority: i32,
    pub created_ns: u64,
    /// When its containers started (`status.startTime` as the HPA reads it); meaningful from
    /// phase `Running` on.
    pub started_ns: u64,
    /// When it became ready; meaningful only in phase `Ready`.
    pub ready_ns: u64,
    /// Its index in its deployment's pod list, for O(1) removal.
    pub slot: u32,
}

/// All pods, by id.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Pods {
    slots: Vec<Pod>,
    live: Vec<bool>,
    free: Vec<u32>,
    /// Live pods per phase (in `PodPhase` order), pods ever created, pods gone: kept as pods
    /// change so the conservation of pods is checked in O(1) (`Pods::conserved`).
    by_phase: [u64; 5],
    created: u64,
    gone: u64,
}

impl Pods {
    /// Stores a pod and returns its id.
    pub fn insert(&mut self, mut pod: Pod) -> u32 {
        self.created += 1;
        self.by_phase[pod.phase as usize] += 1;
        match self.free.pop() {
            Some(id) => {
                let slot = &mut self.slots[id as usize];
                pod.generation = slot.generation.wrapping_add(1);
                *slot = pod;
                self.live[id as usize] = true;
                id
            }
            None => {
                pod.generation = 0;
                self.slots.push(pod);
                self.live.push(true);
                (self.slots.len() - 1) as u32
            }
        }
    }

    /// Frees an id for reuse.
    pub fn remove(&mut self, id: u32) {
        debug_assert!(self.live[id as usize], "pod {id} removed twice");
        self.live[id as usize] = false;
        self.by_phase[self.slots[id as usize].phase as usize] -= 1;
        self.gone += 1;
        self.free.push(id);
    }

    pub fn get(&self, id: u32) -> &Pod {
        &self.slots[id as usize]
    }

    /// The pod, to change anything but its phase (`set_phase`, which keeps the counts).
    pub fn get_mut(&mut self, id: u32) -> &mut Pod {
        &mut self.slots[id as usize]
    }

    pub fn set_phase(&mut self, id: u32, phase: PodPhase) {
        let pod = &mut self.slots[id as usize];
        self.by_phase[pod.phase as usize] -= 1;
        self.by_phase[phase as usize] += 1;
        pod.phase = phase;
    }

    /// Live pods in `phase`.
    pub fn count_in(&self, phase: PodPhase) -> u64 {
        self.by_phase[phase as usize]
    }

    /// created = pending + starting + running + ready + terminating + gone, and the live
    /// count agrees with the slab.
    pub fn conserved(&self) -> bool {
        let live: u64 = self.by_phase.iter().sum();
        self.created == live + self.gone && live == self.len() as u64
    }

    /// Starts a new generation of a live pod (its container restarts): timers set for the
    /// previous one no longer act on it.
    pub fn renew(&mut self, id: u32) -> u32 {
        let pod = &mut self.slots[id as usize];
        pod.generation = pod.generation.wrapping_add(1);
        pod.generation
    }

    /// The pod if `id` is live and still in `generation`.
    pub fn current(&self, id: u32, generation: u32) -> Option<&Pod> {
        let live = *self.live.get(id as usize)?;
        let pod = &self.slots[id as usize];
        (live && pod.generation == generation).then_some(pod)
    }

    /// Live pods.
    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pod_record_is_48_bytes() {
        // 3 × u64 + 5 × u32 + a u16 revision + a one-byte phase + a one-byte restart count.
        assert_eq!(std::mem::size_of::<Pod>(), 48);
    }

    fn pod(deployment: u32) -> Pod {
        Pod {
            deployment,
            node: UNBOUND,
            phase: PodPhase::Pending,
            revision: 0,
            restarts: 0,
            generation: 0,
            priority: 0,
            created_ns: 0,
            started_ns: 0,
            ready_ns: 0,
            slot: 0,
        }
    }

    #[test]
    fn ids_are_reused_with_a_new_generation() {
        let mut pods = Pods::default();
        let a = pods.insert(pod(1));
        let b = pods.insert(pod(2));
        assert_eq!((a, b), (0, 1));
        let generation = pods.get(a).generation;
        pods.remove(a);
        assert_eq!(pods.current(a, generation), None);
        let c = pods.insert(pod(3));
        assert_eq!(c, a);
        assert_eq!(pods.get(c).deployment, 3);
        assert_eq!(pods.current(c, generation), None);
        assert!(pods.current(c, generation + 1).is_some());
        assert_eq!(pods.len(), 2);
    }
}

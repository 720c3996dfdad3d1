//! The autoscalers' simulated node: free resources and pod slots that their scale-up and
//! drain simulations fill. In `api` because the cluster's view for a Cluster Autoscaler scan
//! gives the nodes above its threshold as their room alone (`NodeRoom`).

use crate::api::{MAX_PODS_PER_NODE, NodeView, Shape};

/// Free room of a node in a simulation: resources and pod slots (kubelet `--max-pods` 110).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bin {
    pub free: Shape,
    pub free_pods: u32,
}

impl Bin {
    /// The room left on a node of a view.
    pub fn free_on(node: &NodeView) -> Bin {
        Bin::room(node.allocatable, node.requested, node.pod_count)
    }

    /// The room left on a node of `allocatable` whose `pod_count` pods request `requested`.
    pub fn room(allocatable: Shape, requested: Shape, pod_count: u32) -> Bin {
        Bin {
            free: allocatable.minus(requested),
            free_pods: MAX_PODS_PER_NODE.saturating_sub(pod_count),
        }
    }

    /// An empty node with this allocatable.
    pub fn empty(allocatable: Shape) -> Bin {
        Bin {
            free: allocatable,
            free_pods: MAX_PODS_PER_NODE,
        }
    }

    /// How many pods of `requests` fit, at most `want`: every resource counts, GPUs included
    /// (the estimator's `PredicateChecker` runs the scheduler's `NodeResourcesFit`, which
    /// checks extended resources like cpu and memory).
    pub fn room_for(&self, requests: Shape, want: u32) -> u32 {
        // Not one pod: the usual answer in a drain simulation, which walks a region's mostly
        // full nodes, without the three divisions below.
        if !self.fits_one(requests) {
            return 0;
        }
        let by = |free: u64, req: u64| free.checked_div(req).unwrap_or(u64::MAX);
        let n = by(self.free.cpu_millis, requests.cpu_millis)
            .min(by(self.free.memory_bytes, requests.memory_bytes))
            .min(by(u64::from(self.free.gpus), u64::from(requests.gpus)))
            .min(u64::from(self.free_pods))
            .min(u64::from(want));
        n as u32
    }

    /// Whether one pod of `requests` fits: each resource and a pod slot.
    pub fn fits_one(&self, requests: Shape) -> bool {
        self.free_pods > 0
            && self.free.cpu_millis >= requests.cpu_millis
            && self.free.memory_bytes >= requests.memory_bytes
            && self.free.gpus >= requests.gpus
    }

    /// Places up to `want` pods; returns how many went in.
    pub fn place(&mut self, requests: Shape, want: u32) -> u32 {
        let n = self.room_for(requests, want);
        self.free = self.free.minus(requests.times(u64::from(n)));
        self.free_pods -= n;
        n
    }
}

#[cfg(test)]
mod tests {
    use super::Bin;
    use crate::api::Shape;

    #[test]
    fn a_bin_short_of_any_one_resource_or_slot_fits_no_pod() {
        let pod = Shape::new(1000, 1 << 30).with_gpus(1);
        let exact = Bin {
            free: pod,
            free_pods: 1,
        };
        assert!(exact.fits_one(pod));
        assert_eq!(exact.room_for(pod, 5), 1);
        let short = [
            Shape::new(999, 1 << 30).with_gpus(1),
            Shape::new(1000, (1 << 30) - 1).with_gpus(1),
            Shape::new(1000, 1 << 30),
        ];
        for free in short {
            let bin = Bin { free, free_pods: 1 };
            assert!(!bin.fits_one(pod), "{free:?}");
            assert_eq!(bin.room_for(pod, 5), 0, "{free:?}");
        }
        let no_slot = Bin {
            free: pod.times(3),
            free_pods: 0,
        };
        assert!(!no_slot.fits_one(pod));
        assert_eq!(no_slot.room_for(pod, 5), 0);
    }

    #[test]
    fn gpus_bound_the_room_like_cpu_and_memory() {
        // A g2-standard-48 (four GPUs) has room for 47 pods of 1 CPU / 1 GiB by cpu, but for
        // four of one GPU each; pods without GPUs are not bounded by GPUs.
        let node = Bin::empty(Shape::new(47_000, 180 << 30).with_gpus(4));
        let gpu_pod = Shape::new(1000, 1 << 30).with_gpus(1);
        assert_eq!(node.room_for(gpu_pod, 6), 4);
        assert_eq!(node.room_for(Shape::new(1000, 1 << 30), 60), 47);
        let mut bin = node;
        assert_eq!(bin.place(gpu_pod.with_gpus(3), 2), 1);
        assert_eq!(bin.room_for(gpu_pod, 6), 1);
        assert_eq!(bin.free.gpus, 1);
    }
}

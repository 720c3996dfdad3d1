//! The autoscalers' simulated node: free resources and pod slots that their scale-up and
//! drain simulations fill.

use crate::api::{MAX_PODS_PER_NODE, NodeView, Shape};

/// Free room of a node in a simulation: resources and pod slots (kubelet `--max-pods` 110).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bin {
    pub free: Shape,
    pub free_pods: u32,
}

impl Bin {
    /// The room left on a node of a view.
    pub fn free_on(node: &NodeView) -> Bin {
        Bin {
            free: node.allocatable.minus(node.requested),
            free_pods: MAX_PODS_PER_NODE.saturating_sub(node.pod_count),
        }
    }

    /// An empty node with this allocatable.
    pub fn empty(allocatable: Shape) -> Bin {
        Bin {
            free: allocatable,
            free_pods: MAX_PODS_PER_NODE,
        }
    }

    /// How many pods of `requests` fit, at most `want`.
    pub fn room_for(&self, requests: Shape, want: u32) -> u32 {
        let by = |free: u64, req: u64| free.checked_div(req).unwrap_or(u64::MAX);
        let n = by(self.free.cpu_millis, requests.cpu_millis)
            .min(by(self.free.memory_bytes, requests.memory_bytes))
            .min(u64::from(self.free_pods))
            .min(u64::from(want));
        n as u32
    }

    /// Places up to `want` pods; returns how many went in.
    pub fn place(&mut self, requests: Shape, want: u32) -> u32 {
        let n = self.room_for(requests, want);
        self.free = self.free.minus(requests.times(u64::from(n)));
        self.free_pods -= n;
        n
    }
}

//! A node's image pulls as the kubelet makes them: with `serializeImagePulls: true` (the
//! default) one pull at a time, with `false` up to `maxParallelImagePulls` at once
//! (`pkg/kubelet/images/puller.go`: `serialImagePuller` is one worker reading a queue,
//! `parallelImagePuller` a semaphore of that many tokens). An image already on the node, or
//! being pulled for another pod, is not pulled again (`EnsureImageExists` checks the runtime's
//! images first; a concurrent pull of the same image is de-duplicated by the runtime). Images
//! are never garbage-collected here (the kubelet's image GC starts at 85 % disk use).
//!
//! The pull takes `size / bandwidth`: the node's bytes per second are the bottleneck (the
//! disk the layers are written to, or its network), shared by nothing else.

use serde::{Deserialize, Serialize};

/// Nanoseconds to pull `bytes` at `bytes_per_s` (> 0), rounded up.
pub fn pull_ns(bytes: u64, bytes_per_s: u64) -> u64 {
    let ns = (u128::from(bytes) * 1_000_000_000).div_ceil(u128::from(bytes_per_s.max(1)));
    u64::try_from(ns).unwrap_or(u64::MAX)
}

/// One node's image cache and pull slots.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeImages {
    /// `(image, present from)`, in first-pull order.
    images: Vec<(u32, u64)>,
    /// When each pull slot is free; fewer than the limit until that many pulls ran.
    slots_free_ns: Vec<u64>,
}

impl NodeImages {
    /// When `image` is on the node for a pod bound at `at_ns`: at once if it is there (or
    /// when a pull under way ends), else after a pull of `pull_ns` in the first free of
    /// `max_slots` slots (`None`: no limit).
    pub fn ready_at(
        &mut self,
        image: u32,
        at_ns: u64,
        pull_ns: u64,
        max_slots: Option<u32>,
    ) -> u64 {
        if let Some(&(_, ready)) = self.images.iter().find(|(i, _)| *i == image) {
            return ready.max(at_ns);
        }
        let room = max_slots.is_none_or(|m| self.slots_free_ns.len() < m as usize);
        let slot = if room {
            self.slots_free_ns.push(0);
            self.slots_free_ns.len() - 1
        } else {
            (0..self.slots_free_ns.len())
                .min_by_key(|&k| (self.slots_free_ns[k], k))
                .unwrap_or(0)
        };
        let ready = self.slots_free_ns[slot].max(at_ns).saturating_add(pull_ns);
        self.slots_free_ns[slot] = ready;
        self.images.push((image, ready));
        ready
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;
    const MIB: u64 = 1 << 20;

    #[test]
    fn serialized_pulls_queue_behind_each_other() {
        // 1 GiB at 100 MiB/s = 1024/100 = 10.24 s per pull; three images bound together at
        // t = 0 on one node are present at 10.24, 20.48 and 30.72 s.
        let pull = pull_ns(1024 * MIB, 100 * MIB);
        assert_eq!(pull, 10_240_000_000);
        let mut node = NodeImages::default();
        assert_eq!(node.ready_at(0, 0, pull, Some(1)), pull);
        assert_eq!(node.ready_at(1, 0, pull, Some(1)), 2 * pull);
        assert_eq!(node.ready_at(2, 0, pull, Some(1)), 3 * pull);
        // The first image is cached: a later pod of it starts without a pull.
        assert_eq!(node.ready_at(0, 60 * S, pull, Some(1)), 60 * S);
        // A pod of the second image bound while it is still being pulled waits for that pull.
        let mut node = NodeImages::default();
        node.ready_at(5, 0, pull, Some(1));
        assert_eq!(node.ready_at(5, 3 * S, pull, Some(1)), pull);
    }

    #[test]
    fn parallel_pulls_use_every_slot() {
        // Two slots: images 0 and 1 pull together (10.24 s), image 2 waits for the first slot.
        let pull = pull_ns(1024 * MIB, 100 * MIB);
        let mut node = NodeImages::default();
        assert_eq!(node.ready_at(0, 0, pull, Some(2)), pull);
        assert_eq!(node.ready_at(1, 0, pull, Some(2)), pull);
        assert_eq!(node.ready_at(2, 0, pull, Some(2)), 2 * pull);
        let mut node = NodeImages::default();
        for image in 0..5 {
            assert_eq!(node.ready_at(image, 0, pull, None), pull);
        }
    }
}

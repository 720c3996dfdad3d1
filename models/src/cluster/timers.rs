//! The model's own timer heap: per-pod and per-node steps (start-up, readiness, grace periods,
//! node boots), scale steps and Job work, with one nexosim wake-up for the earliest
//! (`Cluster::reschedule`). Entries are ordered by instant, then by insertion, so timers of
//! one instant fire in the order they were set.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use serde::{Deserialize, Serialize};

use crate::control_plane::state::Creator;

/// Per-pod and per-deployment timers of the model's own heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(super) enum Timer {
    Started {
        pod: u32,
        generation: u32,
    },
    Ready {
        pod: u32,
        generation: u32,
    },
    /// A ready pod's warm-up ends.
    Warm {
        pod: u32,
        generation: u32,
    },
    Gone {
        pod: u32,
        generation: u32,
    },
    Scale {
        deployment: u32,
    },
    /// A region's throttled ReplicaSet or Job controller's next batch or token
    /// (`control_plane`).
    Creator {
        plane: u32,
        creator: Creator,
    },
    /// A region's throttled scheduler's next token (`control_plane`).
    Scheduler {
        plane: u32,
    },
    /// The kubelet compares its pods' memory use with their limits (see `vertical`).
    MemoryCheck,
    /// A launched node finished booting and registering.
    NodeReady {
        node: u32,
    },
    /// A drained or reclaimed node's instance is terminated.
    NodeGone {
        node: u32,
    },
    /// The next Jobs are submitted.
    JobSubmit,
    /// The Job controller has work due.
    JobSync,
    /// A queued Job has waited long enough to preempt (`queueing`).
    Queues,
    /// A Job's pod ends its run.
    JobPodEnd {
        pod: u32,
        generation: u32,
        fails: bool,
    },
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Timers {
    heap: BinaryHeap<Reverse<(u64, u64, Timer)>>,
    seq: u64,
}

impl Timers {
    pub(super) fn push(&mut self, at_ns: u64, timer: Timer) {
        self.seq += 1;
        self.heap.push(Reverse((at_ns, self.seq, timer)));
    }

    /// When the earliest timer is due.
    pub(super) fn next_at(&self) -> Option<u64> {
        self.heap.peek().map(|&Reverse((at, _, _))| at)
    }

    /// The earliest timer if it is due at or before `now_ns`, with its instant.
    pub(super) fn pop_due(&mut self, now_ns: u64) -> Option<(u64, Timer)> {
        let &Reverse((at, _, timer)) = self.heap.peek()?;
        if at > now_ns {
            return None;
        }
        self.heap.pop();
        Some((at, timer))
    }
}

//! The model's own timer heap: per-pod and per-node steps (start-up, readiness, grace periods,
//! node boots), scale steps and Job work, with one nexosim wake-up for the earliest
//! (`Cluster::reschedule`). Entries are ordered by instant, then by insertion, so timers of
//! one instant fire in the order they were set.
//!
//! Why not one `BinaryHeap`: a million-pod batch holds ~140 000 timers at once (each running
//! pod's end, ~15 min ahead), and a binary heap that size misses the cache at each of its ~17
//! levels on every pop; its pops were a fifth of the run. So timers are kept in two tiers, a
//! calendar (ladder) queue in its simplest form: those due in the current slot of
//! 2^`SLOT_SHIFT` ns (~1.07 s) in a small four-ary heap that stays in cache, later ones appended
//! unsorted to their slot's bucket, which becomes the heap when its slot comes (one linear
//! heapify). Keys (instant, insertion number) are unique, so the pops are exactly a single
//! heap's.

use std::collections::BTreeMap;

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

/// One timer with its key: due instant, then insertion number.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Entry {
    at_ns: u64,
    seq: u64,
    timer: Timer,
}

impl Entry {
    #[inline(always)]
    fn before(&self, other: &Entry) -> bool {
        (self.at_ns, self.seq) < (other.at_ns, other.seq)
    }
}

/// Children per heap node.
const ARITY: usize = 4;

/// Width of a calendar slot: 2^30 ns, about 1.07 s.
const SLOT_SHIFT: u32 = 30;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Timers {
    /// Every timer of slots up to `slot` (earlier ones too: a timer set for an instant already
    /// past the slot's start lands here), as a four-ary min-heap: the children of `i` are
    /// `ARITY * i + 1 ..= ARITY * i + ARITY`.
    heap: Vec<Entry>,
    /// The slot (`at_ns >> SLOT_SHIFT`) the heap covers up to.
    slot: u64,
    /// Timers of later slots, unsorted, by slot.
    later: BTreeMap<u64, Vec<Entry>>,
    /// Emptied buckets kept for reuse, so a day of slots does not allocate a vector each.
    spare: Vec<Vec<Entry>>,
    seq: u64,
}

impl Timers {
    pub(super) fn push(&mut self, at_ns: u64, timer: Timer) {
        self.seq += 1;
        let entry = Entry {
            at_ns,
            seq: self.seq,
            timer,
        };
        let slot = at_ns >> SLOT_SHIFT;
        if slot <= self.slot {
            self.heap.push(entry);
            self.sift_up(self.heap.len() - 1, entry);
        } else {
            let spare = &mut self.spare;
            self.later
                .entry(slot)
                .or_insert_with(|| spare.pop().unwrap_or_default())
                .push(entry);
        }
    }

    /// When the earliest timer is due (brings the next slot's bucket in if the heap is empty).
    pub(super) fn next_at(&mut self) -> Option<u64> {
        self.refill();
        self.heap.first().map(|e| e.at_ns)
    }

    /// The earliest timer if it is due at or before `now_ns`, with its instant.
    pub(super) fn pop_due(&mut self, now_ns: u64) -> Option<(u64, Timer)> {
        self.refill();
        let first = *self.heap.first()?;
        if first.at_ns > now_ns {
            return None;
        }
        let last = self.heap.pop().expect("the heap has a first entry");
        if !self.heap.is_empty() {
            self.fill_root_hole(last);
        }
        Some((first.at_ns, first.timer))
    }

    /// If the heap is empty, makes the earliest later slot's bucket the heap. Every timer of
    /// a later slot comes after every timer in the heap, so the heap's first entry is the
    /// earliest of all.
    fn refill(&mut self) {
        if !self.heap.is_empty() {
            return;
        }
        let Some((slot, bucket)) = self.later.pop_first() else {
            return;
        };
        self.slot = slot;
        let emptied = std::mem::replace(&mut self.heap, bucket);
        self.spare.push(emptied);
        // Floyd's heap construction: sift down every parent, from the last one up.
        let len = self.heap.len();
        for parent in (0..len.div_ceil(ARITY)).rev() {
            self.sift_down(parent);
        }
    }

    /// Moves the entry at `hole` down past every child that comes before it.
    fn sift_down(&mut self, mut hole: usize) {
        let entry = self.heap[hole];
        while let Some(best) = self.earliest_child(hole) {
            if !self.heap[best].before(&entry) {
                break;
            }
            self.heap[hole] = self.heap[best];
            hole = best;
        }
        self.heap[hole] = entry;
    }

    /// The earliest of `parent`'s children, if it has any.
    #[inline(always)]
    fn earliest_child(&self, parent: usize) -> Option<usize> {
        let first = ARITY * parent + 1;
        let end = (first + ARITY).min(self.heap.len());
        if first >= end {
            return None;
        }
        let mut best = first;
        for child in first + 1..end {
            if self.heap[child].before(&self.heap[best]) {
                best = child;
            }
        }
        Some(best)
    }

    /// Moves `entry`, placed at `hole`, up past every parent it comes before.
    fn sift_up(&mut self, mut hole: usize, entry: Entry) {
        while hole > 0 {
            let parent = (hole - 1) / ARITY;
            if !entry.before(&self.heap[parent]) {
                break;
            }
            self.heap[hole] = self.heap[parent];
            hole = parent;
        }
        self.heap[hole] = entry;
    }

    /// The root was popped: walks its hole down along the earliest children to the bottom,
    /// then puts `last` (the entry taken off the end) there and sifts it up (Floyd's way: the
    /// last entry nearly always belongs near the bottom, so this saves a comparison a level).
    fn fill_root_hole(&mut self, last: Entry) {
        let mut hole = 0;
        while let Some(best) = self.earliest_child(hole) {
            self.heap[hole] = self.heap[best];
            hole = best;
        }
        self.sift_up(hole, last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-rolled xorshift, so the test needs no RNG crate.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn timers_pop_by_instant_then_in_the_order_they_were_set() {
        let mut timers = Timers::default();
        // Reference: every pushed (instant, insertion) pair, popped in sorted order.
        let mut pending: Vec<(u64, u32)> = Vec::new();
        let mut state = 0x9E37_79B9_7F4A_7C15;
        let mut now = 0;
        let mut pushed: u32 = 0;
        let mut popped = 0;
        for _ in 0..20_000 {
            // Ties are common (a few distinct instants near `now`), and about half the timers
            // fall in later slots (up to ~8 of them ahead), some of them back in the past.
            for _ in 0..next(&mut state) % 4 {
                let at = match next(&mut state) % 3 {
                    0 => now + next(&mut state) % 50,
                    1 => now.saturating_sub(next(&mut state) % 50),
                    _ => now + next(&mut state) % (8 << SLOT_SHIFT),
                };
                timers.push(at, Timer::Scale { deployment: pushed });
                pending.push((at, pushed));
                pushed += 1;
            }
            now += match next(&mut state) % 4 {
                0 => next(&mut state) % (1 << SLOT_SHIFT),
                _ => next(&mut state) % 20,
            };
            pending.sort_unstable();
            let due = pending.iter().take_while(|&&(at, _)| at <= now).count();
            for (at, id) in pending.drain(..due) {
                assert_eq!(
                    timers.pop_due(now),
                    Some((at, Timer::Scale { deployment: id }))
                );
                popped += 1;
            }
            assert_eq!(timers.pop_due(now), None);
            assert_eq!(timers.next_at(), pending.first().map(|&(at, _)| at));
        }
        assert!(popped > 10_000, "only {popped} timers popped");
    }
}

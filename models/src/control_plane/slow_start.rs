//! The ReplicaSet controller's `slowStartBatch` (kubernetes/kubernetes
//! `pkg/controller/replicaset/replica_set.go`): a sync creates its `diff` pods (at most
//! `BurstReplicas`) in batches of `SlowStartInitialBatchSize` = 1, then 2, 4, … each batch
//! `min(2 × previous, remaining)`, issued together and awaited before the next; the first
//! failed batch ends the sync, so a refused creation (a quota) costs one request, not `diff`.

/// The batch sizes of a sync creating `count` pods from `initial` (≥ 1).
pub fn batches(count: u32, initial: u32) -> impl Iterator<Item = u32> {
    let mut remaining = count;
    let mut size = initial.max(1);
    std::iter::from_fn(move || {
        if remaining == 0 {
            return None;
        }
        let batch = size.min(remaining);
        remaining -= batch;
        size = size.saturating_mul(2);
        Some(batch)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_double_from_one_and_the_last_takes_the_rest() {
        // BurstReplicas 500: 1 + 2 + 4 + … + 128 = 255, the ninth batch the remaining 245.
        let sizes: Vec<u32> = batches(500, 1).collect();
        assert_eq!(sizes, vec![1, 2, 4, 8, 16, 32, 64, 128, 245]);
        assert_eq!(sizes.iter().sum::<u32>(), 500);
        // Upstream's comment: 1 + ⌊log2(N)⌋ batches; N = 500 → 1 + 8 = 9.
        assert_eq!(batches(7, 1).collect::<Vec<_>>(), vec![1, 2, 4]);
        assert_eq!(batches(0, 1).count(), 0);
    }
}

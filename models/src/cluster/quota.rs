//! Namespaces and their ResourceQuota on requests (cpu, memory, pods), as the admission
//! plugin checks them when a pod is created.

use serde::{Deserialize, Serialize};

/// A namespace: `quota` and `used` are `[requests.cpu, requests.memory, pods]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Namespace {
    pub(super) name: String,
    pub(super) quota: [Option<u64>; 3],
    pub(super) used: [u64; 3],
    /// Pods refused by the quota so far.
    pub(super) refused: u64,
}

impl Namespace {
    pub(super) fn admits(&self, add: [u64; 3]) -> bool {
        (0..3).all(|i| self.quota[i].is_none_or(|hard| self.used[i] + add[i] <= hard))
    }
}

/// The ResourceQuota admission's refusal of `add` in `ns` (`exceeded quota: …`).
pub(super) fn quota_message(
    ns: &str,
    used: [u64; 3],
    quota: [Option<u64>; 3],
    add: [u64; 3],
) -> String {
    let names = ["requests.cpu", "requests.memory", "pods"];
    let over: Vec<String> = (0..3)
        .filter_map(|i| {
            let hard = quota[i]?;
            (used[i] + add[i] > hard).then(|| {
                format!(
                    "{}: requested {}, used {}, limited {}",
                    names[i], add[i], used[i], hard
                )
            })
        })
        .collect();
    format!("exceeded quota in namespace {ns}: {}", over.join("; "))
}

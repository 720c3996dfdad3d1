//! Namespaces and their ResourceQuota on requests (cpu, memory, pods), as the admission
//! plugin checks them when a pod is created.

use serde::{Deserialize, Serialize};
use sim::quantity::{Bytes, CpuMillis};

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
    // Quantities as Kubernetes spells them: "500m", "2Gi", a pod count.
    let quantity = |i: usize, v: u64| match i {
        0 => CpuMillis(v).to_string(),
        1 => Bytes(v).to_string(),
        _ => v.to_string(),
    };
    let over: Vec<String> = (0..3)
        .filter_map(|i| {
            let hard = quota[i]?;
            (used[i] + add[i] > hard).then(|| {
                format!(
                    "{}: requested {}, used {}, limited {}",
                    names[i],
                    quantity(i, add[i]),
                    quantity(i, used[i]),
                    quantity(i, hard)
                )
            })
        })
        .collect();
    format!("exceeded quota in namespace {ns}: {}", over.join("; "))
}

#[cfg(test)]
mod tests {
    use super::quota_message;

    #[test]
    fn a_refusal_spells_quantities_as_kubernetes_does() {
        let gib = 1 << 30;
        let message = quota_message(
            "team",
            [1500, 6 * gib, 3],
            [Some(2000), Some(8 * gib), None],
            [500, 4 * gib, 1],
        );
        assert_eq!(
            message,
            "exceeded quota in namespace team: requests.memory: requested 4Gi, used 6Gi, limited 8Gi"
        );
        let message = quota_message(
            "team",
            [1500, 0, 3],
            [Some(1800), None, Some(3)],
            [500, 0, 1],
        );
        assert_eq!(
            message,
            "exceeded quota in namespace team: requests.cpu: requested 500m, used 1500m, limited \
             1800m; pods: requested 1, used 3, limited 3"
        );
    }
}

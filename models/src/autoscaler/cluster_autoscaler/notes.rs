//! What one Cluster Autoscaler scan considered and why it did or did not act, kept beside the
//! actions for the run's decisions table (`autoscaler::decisions` renders them).
//!
//! The words are upstream's (`kubernetes/autoscaler` tag `cluster-autoscaler-1.36.1`,
//! `cluster-autoscaler/`):
//! * skipped node groups, `core/scaleup/orchestrator/skippedreasons.go`:
//!   `MaxLimitReachedReason` "max node group size reached", `BackoffReason` "in backoff after
//!   failed scale-up";
//! * rejected node groups: the scheduler predicate's reason for the template node,
//!   "Insufficient cpu" / "Insufficient memory" (`NodeResourcesFit`), or "node(s) didn't match
//!   Pod's node affinity/selector" / "node(s) had untolerated taint" (clustersim resolves
//!   selectors and taints together, so both are named);
//! * a pod no group takes: the `NotTriggerScaleUp` event, "pod didn't trigger scale-up: " and
//!   the reasons counted over node groups, each "N reason", sorted as strings and joined by
//!   ", " (`processors/status/eventing_scale_up_processor.go ReasonsMessage`);
//! * a scale-up: "Scale-up: setting group G size to N instead of M (max: K)"
//!   (`core/scaleup/orchestrator/executor.go`);
//! * scale-down: the `UnremovableReason`s of `simulator/unremovable_reasons.go`
//!   (`NotUnderutilized`, `NotUnneededLongEnough`, `NodeGroupMinSizeReached`,
//!   `NoPlaceToMovePods`, `BlockedByPod`, the last with the `BlockingPodReason` of
//!   `simulator/drainability`: `NotReplicated`, `UnmovableKubeSystemPod`, `NotSafeToEvict`,
//!   `NotEnoughPdb`), and `ScaleDownInCooldown` (`core/scaledown/status`).

use crate::api::{PodGroup, RemovalBlockers};

/// Why a node group was not an option for a scale-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    MaxSizeReached,
    Backoff,
    /// No pending pod may run on the group (selector, affinity or taints).
    NoMatchingPod,
    /// Pods may run there but none fits an empty template node.
    Insufficient {
        cpu: bool,
        memory: bool,
    },
}

impl Rejection {
    /// A short identifier for the `outcome` column.
    pub fn outcome(self) -> &'static str {
        match self {
            Rejection::MaxSizeReached => "MaxNodeGroupSizeReached",
            Rejection::Backoff => "Backoff",
            Rejection::NoMatchingPod => "NodeSelectorOrTaintMismatch",
            Rejection::Insufficient { .. } => "PodDoesNotFitTemplate",
        }
    }

    /// Upstream's wording, one reason per resource for `Insufficient`.
    pub fn reasons(self) -> &'static [&'static str] {
        match self {
            Rejection::MaxSizeReached => &["max node group size reached"],
            Rejection::Backoff => &["in backoff after failed scale-up"],
            Rejection::NoMatchingPod => {
                &["node(s) didn't match Pod's node affinity/selector or had untolerated taint"]
            }
            Rejection::Insufficient {
                cpu: true,
                memory: true,
            } => &["Insufficient cpu", "Insufficient memory"],
            Rejection::Insufficient { memory: true, .. } => &["Insufficient memory"],
            Rejection::Insufficient { .. } => &["Insufficient cpu"],
        }
    }

    /// Why the template of a group with allocatable `alloc` rejects pod group `p` that may run
    /// on it, if it does.
    pub fn of_fit(p: &PodGroup, alloc: crate::api::Shape) -> Option<Rejection> {
        let cpu = p.requests.cpu_millis > alloc.cpu_millis;
        let memory = p.requests.memory_bytes > alloc.memory_bytes;
        (cpu || memory).then_some(Rejection::Insufficient { cpu, memory })
    }
}

/// One node group at a scale-up: rejected, or an option of `node_count` nodes for `pods`.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupNote {
    Rejected(Rejection),
    Option { node_count: u32, pods: u32 },
}

/// The scale-up part of a scan, when pods were pending after upcoming nodes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScaleUpNotes {
    /// The pending pods left after upcoming nodes (the view's groups, counts reduced).
    pub pending: Vec<PodGroup>,
    /// `(target nodes, --max-nodes-total)` when the cluster is at its maximum.
    pub max_total_reached: Option<(u32, u32)>,
    /// One per node group, in the view's order (empty when `max_total_reached`).
    pub groups: Vec<GroupNote>,
    /// The chosen group, its new size, and the expanders' account.
    pub chosen: Option<(u32, u32, String)>,
    /// Per pending group: pods the chosen option schedules.
    pub scheduled: Vec<u32>,
}

/// Why an unneeded-candidate node stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unremovable {
    BlockedByPod(&'static str),
    NoPlaceToMovePods,
    NotUnneededLongEnough,
    NodeGroupMinSizeReached,
}

impl Unremovable {
    pub fn outcome(self) -> &'static str {
        match self {
            Unremovable::BlockedByPod(reason) => reason,
            Unremovable::NoPlaceToMovePods => "NoPlaceToMovePods",
            Unremovable::NotUnneededLongEnough => "NotUnneededLongEnough",
            Unremovable::NodeGroupMinSizeReached => "NodeGroupMinSizeReached",
        }
    }

    /// The `BlockingPodReason` of a node's first blocking rule, in upstream's order.
    pub fn blocked_by(b: &RemovalBlockers) -> Option<Unremovable> {
        let reason = if b.pod_without_controller {
            "NotReplicated"
        } else if b.kube_system_pod {
            "UnmovableKubeSystemPod"
        } else if b.not_safe_to_evict {
            "NotSafeToEvict"
        } else if b.pdb_violated {
            "NotEnoughPdb"
        } else {
            return None;
        };
        Some(Unremovable::BlockedByPod(reason))
    }
}

/// The scale-down part of a scan.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScaleDownNotes {
    /// Nodes of the view above the utilization threshold (`NotUnderutilized`).
    pub above_threshold: u32,
    /// Nodes unneeded at this scan.
    pub unneeded: u32,
    /// The delay that holds scale-down, when in cooldown: its flag name.
    pub cooldown: Option<&'static str>,
    /// Candidates at or below the threshold that stay: (node id, group, utilization, why).
    pub kept: Vec<(u32, u32, f64, Unremovable)>,
    /// Nodes deleted: (node id, group, utilization).
    pub removed: Vec<(u32, u32, f64)>,
}

/// The whole scan.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScanNotes {
    pub scale_up: Option<ScaleUpNotes>,
    pub scale_down: Option<ScaleDownNotes>,
}

/// Upstream's `NotTriggerScaleUp` message for pending group `p` given every group's note:
/// each reason counted over the node groups that did not take it, sorted and joined.
pub fn not_trigger_scale_up(
    p: &PodGroup,
    groups: &[GroupNote],
    allocs: &[crate::api::Shape],
) -> String {
    let mut counts: std::collections::BTreeMap<&'static str, u32> = Default::default();
    for (g, note) in groups.iter().enumerate() {
        let rejection = match note {
            GroupNote::Rejected(r @ (Rejection::MaxSizeReached | Rejection::Backoff)) => Some(*r),
            _ if !p.may_run_on(g as u32) => Some(Rejection::NoMatchingPod),
            _ => allocs.get(g).and_then(|&a| Rejection::of_fit(p, a)),
        };
        for reason in rejection.map_or(&[][..], Rejection::reasons) {
            *counts.entry(reason).or_default() += 1;
        }
    }
    let mut messages: Vec<String> = counts.iter().map(|(r, n)| format!("{n} {r}")).collect();
    // Go's sort.Strings: byte order of the whole "N reason" strings.
    messages.sort();
    format!("pod didn't trigger scale-up: {}", messages.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Shape;

    #[test]
    fn not_trigger_scale_up_counts_and_sorts_reasons_as_upstream() {
        // Three groups: one at max size, two whose template (1 cpu) is smaller than the pod's
        // 2 cpu: "1 max node group size reached" sorts before "2 Insufficient cpu" ('1' < '2').
        let pod = PodGroup {
            requests: Shape::new(2000, 1 << 30),
            count: 3,
            priority: 0,
            fits: vec![0, 1, 2].into(),
        };
        let small = Shape::new(1000, 4 << 30);
        let groups = vec![
            GroupNote::Rejected(Rejection::MaxSizeReached),
            GroupNote::Rejected(Rejection::Insufficient {
                cpu: true,
                memory: false,
            }),
            GroupNote::Rejected(Rejection::Insufficient {
                cpu: true,
                memory: false,
            }),
        ];
        assert_eq!(
            not_trigger_scale_up(&pod, &groups, &[small; 3]),
            "pod didn't trigger scale-up: 1 max node group size reached, 2 Insufficient cpu"
        );
    }
}

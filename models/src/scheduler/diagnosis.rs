//! kube-scheduler's `FailedScheduling` message: why no node took a pod, in upstream's words.
//!
//! A port of `kubernetes/kubernetes` `pkg/scheduler/framework/types.go` `FitError.Error`
//! (with `Diagnosis`, `NoNodeAvailableMsg = "0/%v nodes are available"`): the message is
//! `"0/N nodes are available:"`, then `" <PreFilterMsg>."` when a PreFilter plugin rejected
//! the pod (the nodes' own reasons are then left out, as upstream does to avoid duplicates),
//! else `" <reasons>."` — every reason of every node counted (a node with two reasons counts
//! in both), each as `"<count> <reason>"`, sorted as strings (Go's `sort.Strings`: byte order,
//! so `"10 …"` sorts before `"9 …"`) and joined by `", "` — then `" <PostFilterMsg>."` when
//! PostFilter (preemption) said something.
//!
//! PostFilter's message is DefaultPreemption's (`pkg/scheduler/framework/preemption/
//! preemption.go`): `"preemption: "` and the FitError of its own dry run, whose reasons per
//! node are "Preemption is not helpful for scheduling" (nodes where removing pods cannot help:
//! unresolvable filter failures) or "No preemption victims found for incoming pod". The inner
//! message ends in "." and the outer format adds another, so the event reads "….." twice-dotted,
//! as real clusters print it (e.g. "0/3 nodes are available: 3 node(s) didn't match Pod's node
//! affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for
//! scheduling..").
//!
//! The reasons' wording ([`reason`]) is the plugins': NodeResourcesFit `"Insufficient " +
//! resource name` and `"Too many pods"` (`noderesources/fit.go`), TaintToleration
//! `"node(s) had untolerated taint {key: value}"` (`tainttoleration/taint_toleration.go`),
//! NodeAffinity `"node(s) didn't match Pod's node affinity/selector"`
//! (`nodeaffinity/node_affinity.go` `ErrReasonPod`), NodeUnschedulable `"node(s) were
//! unschedulable"`, PodTopologySpread `"node(s) didn't match pod topology spread constraints"`.
//!
//! Pure: the caller counts nodes by their filter outcome (nodes alike in a pool and zone share
//! one entry) and gets the message; nothing here knows the cluster.

use std::collections::BTreeMap;

/// The plugins' reason strings.
pub mod reason {
    pub const INSUFFICIENT_CPU: &str = "Insufficient cpu";
    pub const INSUFFICIENT_MEMORY: &str = "Insufficient memory";
    pub const INSUFFICIENT_GPU: &str = "Insufficient nvidia.com/gpu";
    pub const TOO_MANY_PODS: &str = "Too many pods";
    pub const NODE_AFFINITY: &str = "node(s) didn't match Pod's node affinity/selector";
    pub const UNSCHEDULABLE: &str = "node(s) were unschedulable";
    pub const TOPOLOGY_SPREAD: &str = "node(s) didn't match pod topology spread constraints";
    /// TaintToleration's reason for a node that stopped reporting: the node lifecycle
    /// controller's `node.kubernetes.io/unreachable:NoSchedule` taint (empty value), which
    /// no default toleration covers (`DefaultTolerationSeconds` adds `NoExecute` ones only).
    pub const UNREACHABLE_TAINT: &str =
        "node(s) had untolerated taint {node.kubernetes.io/unreachable: }";
    pub const PREEMPTION_NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";
    pub const NO_VICTIMS: &str = "No preemption victims found for incoming pod";

    /// TaintToleration's reason for the first untolerated taint of a node.
    pub fn untolerated_taint(key: &str, value: &str) -> String {
        format!("node(s) had untolerated taint {{{key}: {value}}}")
    }
}

/// `ErrNoNodesAvailable` (`pkg/scheduler/schedule_one.go`): the error when the snapshot has
/// no node at all, before any filter runs.
pub const NO_NODES_AVAILABLE: &str = "no nodes available to schedule pods";

/// What clustersim writes before the scheduler's message in a deployment's `FailedScheduling`
/// event (one event per deployment and cycle, not per pod as upstream).
const PENDING_PREFIX: &str = " pod(s) pending: ";

/// A deployment's `FailedScheduling` event message: `"<pending> pod(s) pending: <fit error>"`.
pub fn pending_message(pending: u32, fit_error: &str) -> String {
    format!("{pending}{PENDING_PREFIX}{fit_error}")
}

/// The parts of a [`pending_message`]: the pending pods, the nodes of `0/N` (0 when the
/// message has none) and the scheduler's message. `None` for any other text.
pub fn parse_pending_message(message: &str) -> Option<(u64, u64, &str)> {
    let (pending, rest) = message.split_once(PENDING_PREFIX)?;
    let pending = pending.parse().ok()?;
    let nodes = rest
        .strip_prefix("0/")
        .and_then(|r| r.split_once(' '))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or(0);
    Some((pending, nodes, rest))
}

/// Nodes alike in their filter outcome: `nodes` of them, each failing with all of `reasons`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeOutcome<'a> {
    pub nodes: u64,
    pub reasons: &'a [&'a str],
}

/// `FitError.Error()` for a pod no node of `all_nodes` took. `pre_filter` is a PreFilter
/// plugin's rejection (then `outcomes` are not shown), `post_filter` PostFilter's message.
pub fn fit_error(
    all_nodes: u64,
    pre_filter: Option<&str>,
    outcomes: &[NodeOutcome<'_>],
    post_filter: Option<&str>,
) -> String {
    let mut message = format!("0/{all_nodes} nodes are available:");
    match pre_filter.filter(|m| !m.is_empty()) {
        Some(pre) => message.push_str(&format!(" {pre}.")),
        None => {
            let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
            for o in outcomes {
                for r in o.reasons {
                    *counts.entry(r).or_default() += o.nodes;
                }
            }
            let mut histogram: Vec<String> =
                counts.iter().map(|(r, n)| format!("{n} {r}")).collect();
            histogram.sort();
            if !histogram.is_empty() {
                message.push_str(&format!(" {}.", histogram.join(", ")));
            }
        }
    }
    if let Some(post) = post_filter.filter(|m| !m.is_empty()) {
        message.push_str(&format!(" {post}."));
    }
    message
}

/// DefaultPreemption's PostFilter message: "preemption: " and the FitError of its dry run
/// over `all_nodes`, given why each node could not help.
pub fn preemption_message(all_nodes: u64, outcomes: &[NodeOutcome<'_>]) -> String {
    format!("preemption: {}", fit_error(all_nodes, None, outcomes, None))
}

#[cfg(test)]
mod tests {
    use super::reason::*;
    use super::*;

    #[test]
    fn reasons_are_counted_and_sorted_as_strings() {
        // 30 nodes short of cpu, 20 tainted: "20 …" < "30 …" byte-wise.
        let taint = untolerated_taint("dedicated", "gpu");
        let outcomes = [
            NodeOutcome {
                nodes: 30,
                reasons: &[INSUFFICIENT_CPU],
            },
            NodeOutcome {
                nodes: 20,
                reasons: &[taint.as_str()],
            },
        ];
        assert_eq!(
            fit_error(50, None, &outcomes, None),
            "0/50 nodes are available: 20 node(s) had untolerated taint {dedicated: gpu}, \
             30 Insufficient cpu."
        );
    }

    #[test]
    fn a_node_with_two_reasons_counts_in_both_and_ten_sorts_before_nine() {
        // 10 nodes lack cpu and memory, 9 more are full of pods: 10 + 10 + 9 reasons; Go's
        // sort.Strings puts "10 Insufficient cpu" < "10 Insufficient memory" < "9 Too many pods".
        let outcomes = [
            NodeOutcome {
                nodes: 10,
                reasons: &[INSUFFICIENT_CPU, INSUFFICIENT_MEMORY],
            },
            NodeOutcome {
                nodes: 9,
                reasons: &[TOO_MANY_PODS],
            },
        ];
        assert_eq!(
            fit_error(19, None, &outcomes, None),
            "0/19 nodes are available: 10 Insufficient cpu, 10 Insufficient memory, \
             9 Too many pods."
        );
    }

    #[test]
    fn preemption_that_cannot_help_reads_as_real_clusters_print_it() {
        // The event of a pod whose nodeSelector matches none of 3 nodes (kubectl describe pod).
        let outcomes = [NodeOutcome {
            nodes: 3,
            reasons: &[NODE_AFFINITY],
        }];
        let post = preemption_message(
            3,
            &[NodeOutcome {
                nodes: 3,
                reasons: &[PREEMPTION_NOT_HELPFUL],
            }],
        );
        assert_eq!(
            fit_error(3, None, &outcomes, Some(&post)),
            "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. \
             preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.."
        );
    }

    #[test]
    fn the_unreachable_taint_reads_as_taint_toleration_words_it() {
        assert_eq!(
            UNREACHABLE_TAINT,
            untolerated_taint("node.kubernetes.io/unreachable", "")
        );
    }

    #[test]
    fn a_pending_message_parses_back() {
        let m = pending_message(12, "0/50 nodes are available: 50 Insufficient cpu.");
        assert_eq!(
            m,
            "12 pod(s) pending: 0/50 nodes are available: 50 Insufficient cpu."
        );
        assert_eq!(
            parse_pending_message(&m),
            Some((12, 50, "0/50 nodes are available: 50 Insufficient cpu."))
        );
        // A region without a registered node: upstream's ErrNoNodesAvailable, no `0/N`.
        let none = pending_message(3, NO_NODES_AVAILABLE);
        assert_eq!(
            parse_pending_message(&none),
            Some((3, 0, "no nodes available to schedule pods"))
        );
        assert_eq!(parse_pending_message("Killing 3 pods"), None);
    }

    #[test]
    fn a_pre_filter_rejection_hides_the_nodes_reasons() {
        let outcomes = [NodeOutcome {
            nodes: 3,
            reasons: &[INSUFFICIENT_CPU],
        }];
        assert_eq!(
            fit_error(
                3,
                Some("pod has unbound immediate PersistentVolumeClaims"),
                &outcomes,
                None
            ),
            "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims."
        );
        assert_eq!(fit_error(0, None, &[], None), "0/0 nodes are available:");
    }
}

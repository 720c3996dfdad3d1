//! Scale-up: which pending pods upcoming nodes will take, and per node group how many new nodes
//! the rest need (the binpacking estimate), as expansion options for the expanders.
//!
//! Sources (`kubernetes/autoscaler` tag `cluster-autoscaler-1.36.1`, `cluster-autoscaler/`):
//! * `estimator/binpacking_estimator.go` — First-Fit Decreasing: per pod equivalence group,
//!   pods go first onto the nodes added so far in this estimate, then onto the last added node,
//!   then onto a new template node, until the limiter refuses one more node. The result is the
//!   number of new nodes that received pods. Pods of one group are identical, so placing "as
//!   many as fit" per node gives the same counts as upstream's pod-by-pod loop. A pod fits a
//!   node by the scheduler's predicates (`PredicateChecker`, `NodeResourcesFit`), which count
//!   every resource, `nvidia.com/gpu` included: N one-GPU pods on a four-GPU template ask
//!   ⌈N / 4⌉ nodes whatever room their cpu and memory leave.
//! * `estimator/decreasing_pod_orderer.go` — groups ordered by decreasing
//!   `cpu / allocatable cpu + memory / allocatable memory` of the template (stable here, so
//!   equal scores keep the view's order; Go's `sort.Slice` leaves that unspecified).
//! * `estimator/threshold_based_limiter.go` with the thresholds of `core/autoscaler.go`: the
//!   estimate stops at `--max-nodes-per-scaleup` (1000), the group's `max - target`
//!   (`sng_capacity_threshold.go`) and the cluster's `max-nodes-total - nodes`
//!   (`cluster_capacity_threshold.go`). The fast path (`--fastpath-binpacking-enabled`) is off
//!   by default and not modelled.
//! * `core/scaleup/orchestrator/orchestrator.go` — groups at max or backed off are skipped
//!   (`filterValidScaleUpNodeGroups`); only pods that fit the group's template are offered
//!   (`SchedulablePodGroups`); an option needs pods and nodes.
//! * `processors/pods/filter_out_schedulable.go`-like filtering against upcoming nodes: pods,
//!   highest priority first, are placed on the template nodes of groups still provisioning; only
//!   the rest trigger a scale-up. clustersim places them on upcoming nodes only: the
//!   scheduler has already found no room on registered nodes.

use crate::api::{Bin, ClusterView, NodeGroupView, PodGroup, Shape};

/// One way to scale up: `node_count` new nodes of `group` would take `pods`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleUpOption {
    pub group: u32,
    pub node_count: u32,
    /// (index into the pending groups given to the estimate, pods of it scheduled).
    pub pods: Vec<(usize, u32)>,
}

impl ScaleUpOption {
    pub fn pod_count(&self) -> u32 {
        self.pods.iter().map(|&(_, n)| n).sum()
    }

    /// Σ requests of the pods this option schedules.
    pub fn requested(&self, pending: &[PodGroup]) -> Shape {
        self.pods.iter().fold(Shape::default(), |acc, &(i, n)| {
            acc.plus(pending[i].requests.times(u64::from(n)))
        })
    }
}

/// `BinpackingNodeEstimator.Estimate`: new template nodes needed for `pods` (each `(index,
/// group)`), adding at most `node_limit` nodes. Returns (nodes that received pods, pods
/// scheduled per index).
pub fn estimate(
    pods: &[(usize, &PodGroup)],
    template: Shape,
    node_limit: u32,
) -> (u32, Vec<(usize, u32)>) {
    let score = |p: &PodGroup| {
        let part = |req: u64, alloc: u64| {
            if alloc == 0 {
                0.0
            } else {
                req as f64 / alloc as f64
            }
        };
        part(p.requests.cpu_millis, template.cpu_millis)
            + part(p.requests.memory_bytes, template.memory_bytes)
    };
    let mut ordered: Vec<(usize, &PodGroup)> = pods.to_vec();
    ordered.sort_by(|a, b| score(b.1).total_cmp(&score(a.1)));

    let mut bins: Vec<Bin> = Vec::new();
    let mut scheduled: Vec<(usize, u32)> = Vec::new();
    let mut new_nodes_available = true;
    for (index, group) in ordered {
        let mut remaining = group.count;
        // Onto the nodes added so far (`tryToScheduleOnExistingNodes`).
        for bin in &mut bins {
            if remaining == 0 {
                break;
            }
            remaining -= bin.place(group.requests, remaining);
        }
        // Onto new nodes (`tryToScheduleOnNewNodes`); the last added node is already full.
        while remaining > 0 && new_nodes_available {
            if bins.len() as u32 >= node_limit {
                new_nodes_available = false;
                break;
            }
            let mut bin = Bin::empty(template);
            let placed = bin.place(group.requests, remaining);
            if placed == 0 {
                break;
            }
            bins.push(bin);
            remaining -= placed;
        }
        let placed = group.count - remaining;
        if placed > 0 {
            scheduled.push((index, placed));
        }
    }
    (bins.len() as u32, scheduled)
}

/// Pending pods left after upcoming nodes (requested, not yet registered) take what fits:
/// `upcoming[g]` template nodes of group `g`. Highest priority first, then view order.
pub fn filter_upcoming(view: &ClusterView, upcoming: &[u32]) -> Vec<PodGroup> {
    let mut bins: Vec<Vec<Bin>> = view
        .node_groups
        .iter()
        .zip(upcoming)
        .map(|(g, &n)| vec![Bin::empty(g.allocatable); n as usize])
        .collect();
    let mut order: Vec<usize> = (0..view.pending.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(view.pending[i].priority));
    let mut left: Vec<PodGroup> = view.pending.clone();
    for i in order {
        let group = &mut left[i];
        for g in group.fits.iter() {
            let Some(group_bins) = bins.get_mut(g as usize) else {
                continue;
            };
            for bin in group_bins {
                if group.count == 0 {
                    break;
                }
                group.count -= bin.place(group.requests, group.count);
            }
        }
    }
    left.retain(|g| g.count > 0);
    left
}

/// The expansion option of `group` (index `g`) for `pending`, capped at `node_limit` new
/// nodes; `None` when it would schedule nothing.
pub fn option_for(
    g: u32,
    group: &NodeGroupView,
    pending: &[PodGroup],
    node_limit: u32,
) -> Option<ScaleUpOption> {
    let template = Bin::empty(group.allocatable);
    let schedulable: Vec<(usize, &PodGroup)> = pending
        .iter()
        .enumerate()
        .filter(|(_, p)| p.may_run_on(g) && template.room_for(p.requests, 1) == 1)
        .collect();
    if schedulable.is_empty() {
        return None;
    }
    let (node_count, pods) = estimate(&schedulable, group.allocatable, node_limit);
    (node_count > 0 && !pods.is_empty()).then_some(ScaleUpOption {
        group: g,
        node_count,
        pods,
    })
}

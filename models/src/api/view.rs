//! The compact snapshot a node autoscaler reads at each scan, filled by the `Cluster` model
//! (`cluster::autoscaling`) for a [`ViewRequest`]. Pods are grouped by shape (requests, priority, where they may go), never
//! listed one by one: one ReplicaSet's pods are alike, so a scan over a 10 000-pod cluster reads
//! a few dozen groups.
//!
//! What the integrator resolves so the autoscalers need not: taints, tolerations, node
//! selectors and affinity become the `fits` list of each pod group (which node groups, or which
//! NodePools, the pods may run on); DaemonSet and mirror pods are left out of node pod lists
//! (they neither move on a drain nor count as "not empty", `simulator/drainability/rules`);
//! pods that block a node's removal are summarised in [`RemovalBlockers`].

use std::sync::Arc;

use sim::time::SimTime;

use super::group_set::GroupSet;
use super::{Bin, CapacityType};

/// Pods a node accepts: the kubelet's `--max-pods` default (110). The cluster's scheduler and
/// the autoscalers' simulations both keep to it.
pub const MAX_PODS_PER_NODE: u32 = 110;

/// Requests or allocatable: CPU millicores, memory bytes and whole `nvidia.com/gpu`s (an
/// extended resource: a pod asks whole devices, a node offers its machine type's count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Shape {
    pub cpu_millis: u64,
    pub memory_bytes: u64,
    pub gpus: u32,
}

impl Shape {
    /// CPU and memory, no GPU.
    pub const fn new(cpu_millis: u64, memory_bytes: u64) -> Shape {
        Shape {
            cpu_millis,
            memory_bytes,
            gpus: 0,
        }
    }

    /// The same shape with `gpus` GPUs.
    pub const fn with_gpus(self, gpus: u32) -> Shape {
        Shape { gpus, ..self }
    }

    /// Component-wise `self ≥ other`.
    pub fn covers(self, other: Shape) -> bool {
        self.cpu_millis >= other.cpu_millis
            && self.memory_bytes >= other.memory_bytes
            && self.gpus >= other.gpus
    }

    pub fn times(self, n: u64) -> Shape {
        let gpus = u64::from(self.gpus).saturating_mul(n);
        Shape::new(
            self.cpu_millis.saturating_mul(n),
            self.memory_bytes.saturating_mul(n),
        )
        .with_gpus(u32::try_from(gpus).unwrap_or(u32::MAX))
    }

    pub fn plus(self, other: Shape) -> Shape {
        Shape::new(
            self.cpu_millis.saturating_add(other.cpu_millis),
            self.memory_bytes.saturating_add(other.memory_bytes),
        )
        .with_gpus(self.gpus.saturating_add(other.gpus))
    }

    pub fn minus(self, other: Shape) -> Shape {
        Shape::new(
            self.cpu_millis.saturating_sub(other.cpu_millis),
            self.memory_bytes.saturating_sub(other.memory_bytes),
        )
        .with_gpus(self.gpus.saturating_sub(other.gpus))
    }
}

/// `max(cpu requested / allocatable, memory requested / allocatable)`
/// (`simulator/utilization/info.go Calculate`); 0 for a resource with nothing allocatable.
pub fn utilization(requested: Shape, allocatable: Shape) -> f64 {
    let part = |req: u64, alloc: u64| {
        if alloc == 0 {
            0.0
        } else {
            req as f64 / alloc as f64
        }
    };
    part(requested.cpu_millis, allocatable.cpu_millis)
        .max(part(requested.memory_bytes, allocatable.memory_bytes))
}

/// Pods alike in requests, priority and placement: `count` of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodGroup {
    /// Requests of one pod (`PodRequests`: containers plus overhead).
    pub requests: Shape,
    pub count: u32,
    pub priority: i32,
    /// Indices of the node groups (Cluster Autoscaler) or NodePools (Karpenter) these pods may
    /// run on. Taints, selectors and affinity are resolved by the integrator.
    pub fits: GroupSet,
}

impl PodGroup {
    pub fn may_run_on(&self, group: u32) -> bool {
        self.fits.contains(group)
    }
}

/// Why a node's pods cannot all be evicted, one flag per upstream drainability rule that
/// blocks (`simulator/drainability/rules/rules.go`, in its order: not replicated, kube-system,
/// `safe-to-evict: "false"`, PDB), plus Karpenter's `karpenter.sh/do-not-disrupt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RemovalBlockers {
    /// A pod with no controller (ownerReference), `replicated` rule.
    pub pod_without_controller: bool,
    /// A kube-system pod that is neither DaemonSet nor mirror and has no PDB, `system` rule.
    pub kube_system_pod: bool,
    /// A pod annotated `cluster-autoscaler.kubernetes.io/safe-to-evict: "false"`.
    pub not_safe_to_evict: bool,
    /// Evicting a pod would violate its PodDisruptionBudget (0 disruptions allowed).
    pub pdb_violated: bool,
    /// A pod annotated `karpenter.sh/do-not-disrupt: "true"` (Karpenter only).
    pub do_not_disrupt: bool,
}

impl RemovalBlockers {
    /// The first rule that blocks the Cluster Autoscaler, in upstream's order.
    pub fn cluster_autoscaler_reason(&self) -> Option<&'static str> {
        if self.pod_without_controller {
            Some("pod without controller")
        } else if self.kube_system_pod {
            Some("kube-system pod")
        } else if self.not_safe_to_evict {
            Some("pod with safe-to-evict=false")
        } else if self.pdb_violated {
            Some("PDB would be violated")
        } else {
            None
        }
    }

    /// What blocks Karpenter's voluntary disruption (`pkg/utils/pod/scheduling.go
    /// IsDisruptable`, and PDBs checked by the candidate filter).
    pub fn karpenter_reason(&self) -> Option<&'static str> {
        if self.do_not_disrupt {
            Some("pod with karpenter.sh/do-not-disrupt")
        } else if self.pdb_violated {
            Some("PDB would be violated")
        } else {
            None
        }
    }
}

/// One node.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeView {
    /// The Cluster model's node id; actions name nodes by it.
    pub id: u32,
    /// Node group (Cluster Autoscaler) or NodePool (Karpenter) index.
    pub group: u32,
    /// Index into the view's [`ViewNames::instance_types`].
    pub instance_type: u32,
    pub capacity_type: CapacityType,
    /// Index into the view's [`ViewNames::zones`].
    pub zone: u32,
    pub price_usd_per_hour: f64,
    pub capacity: Shape,
    pub allocatable: Shape,
    /// Σ requests of the pods on the node (DaemonSet pods excluded).
    pub requested: Shape,
    /// Pods on the node (DaemonSet pods excluded), whether or not `pods` lists them.
    pub pod_count: u32,
    /// The pods on the node by group, for the drain simulation (DaemonSet pods excluded).
    /// A Cluster Autoscaler view lists them only for nodes at or below its scale-down
    /// threshold (`ViewRequest::nodes_only_below`), and of those only for the nodes its scan
    /// will drain (`ViewRequest::drains`): the others are never drained, only destinations,
    /// and building a pod list for each of a region's thousand nodes at every scan was most
    /// of a scan's cost. The `blockers` of nodes above the threshold are left unset likewise.
    pub pods: Vec<PodGroup>,
    pub created: SimTime,
    /// Last time a pod was bound to or left the node (Karpenter's `consolidateAfter` clock).
    pub last_pod_change: SimTime,
    /// Registered and Ready. Karpenter's view also lists launched nodes not yet ready
    /// (in-flight NodeClaims), which take pending pods in its scheduling simulation.
    pub ready: bool,
    /// Cordoned or being deleted: no destination for pods, no candidate.
    pub deleting: bool,
    pub blockers: RemovalBlockers,
}

impl NodeView {
    pub fn is_empty(&self) -> bool {
        self.pod_count == 0
    }

    /// See [`utilization`].
    pub fn utilization(&self) -> f64 {
        utilization(self.requested, self.allocatable)
    }
}

/// The names a view's nodes refer to by index ([`NodeView::instance_type`],
/// [`NodeView::zone`]): each name once per view, so listing a node copies no string and
/// touches no reference count (a Black-Friday day lists ~60 million nodes).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ViewNames {
    pub instance_types: Vec<Arc<str>>,
    pub zones: Vec<Arc<str>>,
}

impl ViewNames {
    /// `node`'s instance type; empty for an index the view does not name.
    pub fn instance_type(&self, node: &NodeView) -> &str {
        self.instance_types
            .get(node.instance_type as usize)
            .map_or("", |name| name)
    }

    /// `node`'s zone; empty for an index the view does not name.
    pub fn zone(&self, node: &NodeView) -> &str {
        self.zones.get(node.zone as usize).map_or("", |name| name)
    }
}

/// A Cluster Autoscaler node group (one pool in clustersim): its node template and its size.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeGroupView {
    pub name: String,
    /// The template node's capacity (least-waste and the price expander's unfitness read it).
    pub capacity: Shape,
    /// The template node's allocatable (binpacking reads it).
    pub allocatable: Shape,
    pub price_usd_per_hour: f64,
    pub capacity_type: CapacityType,
    pub min_size: u32,
    pub max_size: u32,
    /// Nodes asked for: registered plus provisioning (`NodeGroup.TargetSize`).
    pub target_size: u32,
    /// When each node still provisioning (asked for, not registered) was requested.
    pub provisioning: Vec<SimTime>,
}

/// What the Cluster Autoscaler reads at each scan.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClusterView {
    pub node_groups: Vec<NodeGroupView>,
    /// Registered nodes; `group` indexes `node_groups`.
    pub nodes: Vec<NodeView>,
    /// Pods the scheduler marked unschedulable; `fits` indexes `node_groups`.
    pub pending: Vec<PodGroup>,
    /// With a drain plan (`ViewRequest::drains`): the registered nodes above the scale-down
    /// threshold and not being deleted, which `nodes` then leaves out, as the little the scan
    /// needs of them; ascending id, as `nodes` is.
    pub rooms: Vec<NodeRoom>,
}

/// A registered node above the Cluster Autoscaler's scale-down threshold, not being deleted:
/// never a candidate, only counted and, if Ready, a destination for drained pods. A busy
/// region lists a thousand nodes at a scan, nearly all of them above the threshold, and a full
/// [`NodeView`] of each (built, moved and dropped at every scan) was a tenth of the
/// Black-Friday day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeRoom {
    pub id: u32,
    /// Node group index, as [`NodeView::group`].
    pub group: u32,
    /// Free resources and pod slots, as [`Bin::free_on`] its node view.
    pub room: Bin,
    pub ready: bool,
}

/// What Karpenter reads at each provisioning batch and disruption poll.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KarpenterView {
    /// Nodes Karpenter launched, ready or in flight; `group` indexes the NodePools.
    pub nodes: Vec<NodeView>,
    /// Pending pods; `fits` indexes the NodePools.
    pub pending: Vec<PodGroup>,
    /// The nodes' instance type and zone names.
    pub names: ViewNames,
}

/// One cluster pool as a member of an autoscaler's node group.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolTemplate {
    /// The cluster's pool id (index in `ClusterPlan::pools`).
    pub pool: u32,
    /// The node group (Cluster Autoscaler) or NodePool (Karpenter) it belongs to.
    pub group: u32,
    pub instance_type: Arc<str>,
    /// The instance's capacity before reservations (the cluster keeps only allocatable).
    pub capacity: Shape,
}

/// What a node autoscaler asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewRequest {
    pub region: String,
    /// How many node groups there are; every one has at least one pool in `pools`.
    pub groups: u32,
    /// The pools of the node groups; a pool of no group is left out of the view.
    pub pools: Vec<PoolTemplate>,
    /// List nodes still provisioning among the nodes, not ready (Karpenter's in-flight
    /// NodeClaims take pending pods in its simulation); otherwise only registered nodes.
    pub in_flight: bool,
    /// Only the pending pods: the answer has no node groups and no nodes (Karpenter's batch
    /// trigger check between decisions, once a second, which needs nothing else and so does
    /// not walk the region's nodes).
    pub pending_only: bool,
    /// List the nodes only if one of them (registered, not being deleted) has a utilization at
    /// or below this: the Cluster Autoscaler's scale-down threshold. When none has, no node can
    /// be unneeded at this scan, so the view leaves the nodes out (node group sizes and pending
    /// pods are complete) and a scan of a packed 1 000-node region costs one pass without
    /// building a thousand node views. `None`: always list them.
    pub nodes_only_below: Option<f64>,
    /// With `nodes_only_below`: list pods only on the nodes the Cluster Autoscaler's scan
    /// will simulate draining ([`DrainPlan`]), not on every node at or below the threshold;
    /// list the nodes above the threshold as [`ClusterView::rooms`] and leave out those being
    /// deleted, which the scan passes over. `None`: pods on every such node, and every node
    /// in `nodes`.
    pub drains: Option<DrainPlan>,
    /// List pods ([`NodeView::pods`]) only on the nodes of these node groups: Karpenter's
    /// NodePools that consolidate underutilized nodes, the only nodes whose pods its
    /// disruption reads (a `WhenEmpty` pool's nodes are candidates only while empty, and
    /// provisioning reads a node's room, not its pods). A Karpenter region of 300 nodes
    /// listed every node's pods at each poll. `None`: on every listed node.
    pub pods_only_in: Option<GroupSet>,
}

/// Which listed nodes a Cluster Autoscaler scan drains in simulation, so the view lists pods
/// only on them: non-empty nodes at or below the threshold, neither being deleted nor blocked
/// by a pod (`RemovalBlockers::cluster_autoscaler_reason`), those unneeded at the previous
/// scan first, then the others, each in view order, at most `limit` (0: all) — the order and
/// cap of `scale_down::find_unneeded`. A busy region lists hundreds of such nodes at each scan
/// and drains at most 30 (`--scale-down-non-empty-candidates-count`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DrainPlan {
    /// Node ids unneeded at the previous scan, ascending.
    pub previously_unneeded: Vec<u32>,
    pub limit: u32,
}

/// The answer: the view, the ids of each group's provisioning nodes (oldest first, in the
/// order of [`NodeGroupView::provisioning`]) so a timed-out scale-up can be cancelled, and the
/// names its nodes refer to.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AutoscalingView {
    pub view: ClusterView,
    pub provisioning_nodes: Vec<Vec<u32>>,
    pub names: ViewNames,
}

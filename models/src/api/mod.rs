//! The control-plane API: the messages, queries and views that controllers and the `Cluster`
//! model exchange. It owns no state and runs nothing; it is the one vocabulary every model
//! shares, so a new controller (a VPA, a custom scaling policy) depends on this module and never
//! on the cluster's internals or on another controller.
//!
//! Who sends what (the wiring is in `run`):
//!
//! | message or query            | from → to                          | types                         |
//! |-----------------------------|------------------------------------|-------------------------------|
//! | `workload_metrics` (query)  | HPA, run loop → cluster            | [`WorkloadMetrics`]           |
//! | `set_replicas`              | HPA, scaling policies → cluster    | [`ReplicaOrder`]              |
//! | `node_autoscaling_view` (q) | node autoscaler → cluster          | [`ViewRequest`] → [`AutoscalingView`] |
//! | `launch`, `remove`          | node autoscaler, faults → cluster  | [`LaunchOrder`], [`RemoveOrder`] |
//! | `node_census` (query)       | fault injector → cluster           | [`NodeCensus`]                |
//! | `faults`                    | fault injector → cluster           | [`FaultOrder`]                |
//! | `vertical_view` (query)     | VPA → cluster                      | [`VerticalView`]              |
//! | `set_template`, `update_pods` | VPA → cluster                    | [`TemplateOrder`], [`UpdateOrder`] |
//! | `set_rates`                 | traffic → cluster                  | `(service id, requests/s)`    |
//! | `sample`, `report` (query)  | run loop → cluster                 | [`Sample`], [`PoolBill`], [`SurgeClock`] |
//! | [`decisions::Decisions`]    | HPA, VPA, node autoscalers → run loop (a shared log, not a message) | [`decisions::DecisionRow`] |
//!
//! Layers (no module imports one above it, so there is no import cycle; checked by
//! `tests/layers.rs`): leaves (`catalog`, `scheduler`, `latency`, `allocatable`, `billing`,
//! `kueue`, `gpu`, `packing`, the controllers' `config` schemas) → `api` → `plan` → the controllers (`hpa`, `vpa`, `autoscaler`,
//! `faults`, `jobs`), which import `api` and `plan` but never `cluster` or each other →
//! `cluster` → `traffic` → `run`. `config` (the experiment's cluster section, as written) sits
//! beside the other input schemas and is read by `plan`'s resolution in the CLI.

mod bin;
pub mod decisions;
mod figures;
mod group_set;
mod orders;
mod vertical;
mod view;

use serde::{Deserialize, Serialize};
use workloads::router::Router;

pub use bin::Bin;
pub use figures::{
    MemoryModel, NamespaceSample, NodeCensus, NodeState, PoolBill, PoolSample, QueueSample,
    RunningPods, Sample, ServiceSample, SurgeClock, UNREQUESTED, WorkloadMetrics,
};
pub use group_set::GroupSet;
pub use orders::{BoundsStep, FaultOrder, LaunchOrder, Reason, RemoveOrder, ReplicaOrder, Scaler};
pub use vertical::{OomRecord, RevisionPods, TemplateOrder, UpdateOrder, VerticalView};
pub use view::{
    AutoscalingView, ClusterView, DrainPlan, KarpenterView, MAX_PODS_PER_NODE, NodeGroupView,
    NodeRoom, NodeView, PodGroup, PoolTemplate, RemovalBlockers, Shape, ViewNames, ViewRequest,
    utilization,
};

/// Whether a node is billed at the on-demand or the spot price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CapacityType {
    OnDemand,
    Spot,
}

/// One service's global router and the cluster's service ids of its regions, in the router's
/// region order.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutePlan {
    pub router: Router,
    pub services: Vec<u32>,
}

//! kube-scheduler's filter and score math as pure functions, checked against upstream.
//!
//! This module owns the arithmetic only: given numbers a node and a pod already carry
//! (allocatable, requested, labels, taints, matching-pod counts, victims), it answers "does the
//! pod pass this filter?" and "what does this plugin score?" bit for bit as upstream does,
//! integer division where Go divides integers and the same float expressions where Go uses
//! floats. It keeps no state, schedules no events and knows nothing of nexosim: the placement
//! code in `cluster` owns the control flow (which nodes to look at, in which order, how ties are
//! broken) and calls these leaf functions, which is what makes them testable against upstream's
//! own test tables (`tests/scheduler_cases.rs`).
//!
//! One file per plugin or topic:
//! - [`resources`]: NodeResourcesFit (filter; LeastAllocated, MostAllocated and
//!   RequestedToCapacityRatio scores), NodeResourcesBalancedAllocation, non-zero request defaults.
//! - [`taints`]: TaintToleration (filter on NoSchedule/NoExecute, PreferNoSchedule score).
//! - [`affinity`]: NodeAffinity (`nodeSelector`, required and preferred node affinity).
//! - [`spread`]: PodTopologySpread (DoNotSchedule filter, ScheduleAnyway score, system defaults).
//! - [`normalize`]: the shared `DefaultNormalizeScore`.
//! - [`profile`]: the default profile's score weights and the weighted sum.
//! - [`sampling`]: `numFeasibleNodesToFind` (how many feasible nodes a cycle looks for).
//! - [`preemption`]: DefaultPreemption's victim selection on one node and its candidate choice.
//! - [`diagnosis`]: the `FailedScheduling` message (`FitError.Error`) from per-node outcomes.
//!
//! Upstream is `kubernetes/kubernetes`; each file names the upstream files and commits it was
//! read from (commits are the versions held by the reference index this was checked against).
//! Plugins upstream enables by default but this module does not model (InterPodAffinity,
//! ImageLocality, NodePorts, volume plugins) are listed in [`profile`] with why leaving them out
//! does not change a placement in the simulated world.

pub mod affinity;
pub mod diagnosis;
pub mod normalize;
pub mod preemption;
pub mod profile;
pub mod resources;
pub mod sampling;
pub mod spread;
pub mod taints;

/// The highest score a score plugin may return after normalization (upstream `MaxNodeScore`, the
/// constant every plugin file below scales to); the lowest is 0.
pub const MAX_NODE_SCORE: i64 = 100;

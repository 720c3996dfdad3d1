//! Node failures (a node stops silently: hardware, kernel, network) and how Kubernetes notices
//! them.
//!
//! # When nodes fail
//!
//! Per pool, a mean time between failures per node: each node fails after an exponential time
//! of that mean, the pool's failures are the superposition ([`HazardClock`] on stream
//! `faults/node/<region>/<pool>`), and the victim is uniform among the pool's live nodes.
//! Scheduled failures pick their nodes the same way on `faults/node/<region>/<pool>/scheduled`.
//!
//! # When Kubernetes notices, and when pods move
//!
//! A failed node stops renewing its lease. The node lifecycle controller of
//! kube-controller-manager marks it `Ready=Unknown` once no heartbeat arrived for
//! `--node-monitor-grace-period`, and taints it `node.kubernetes.io/unreachable:NoExecute`.
//! Every pod carries the `unreachable` and `not-ready` NoExecute tolerations with
//! `tolerationSeconds: 300`, added by the DefaultTolerationSeconds admission plugin
//! (`--default-unreachable-toleration-seconds=300`, `--default-not-ready-toleration-seconds=300`,
//! kubernetes/kubernetes `plugin/pkg/admission/defaulttolerationseconds/admission.go`); the
//! taint manager evicts the pods when it runs out, and their controllers recreate them
//! elsewhere. So:
//!
//! ```text
//! not_ready_at = failed_at + node_monitor_grace_period
//! evicted_at   = not_ready_at + unreachable_toleration      (pods deleted, replacements Pending)
//! ```
//!
//! Defaults: grace period **50 s**, the kube-controller-manager default since Kubernetes v1.32
//! (kubernetes/kubernetes PR #126287 "Update Node Monitor Grace Period default duration to
//! 50s", in `pkg/controller/nodelifecycle/config/v1alpha1/defaults.go`; 40 s before, so that it
//! exceeds the kubelet's 40 s lease plus slack), toleration **300 s**. With the defaults pods
//! are evicted 350 s after the failure (ground truth §4: "≈ 5 min 40–50 s after the last
//! heartbeat").
//!
//! Simplifications, each making detection at most a few seconds earlier than upstream: the last
//! heartbeat is taken at the failure instant (the kubelet renews every 10 s, so it was up to
//! 10 s earlier); the controller's `--node-monitor-period` (5 s) polling is ignored; the eviction
//! rate limits (`--node-eviction-rate` 0.1 node/s, slower in unhealthy zones) are not applied.

use serde::{Deserialize, Serialize};
use sim::rng::{self, Stream};
use sim::time::{SimDuration, SimTime};

use super::draw;
use super::hazard::HazardClock;

/// The node lifecycle controller's timings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeLifecycleConfig {
    /// `--node-monitor-grace-period`: no heartbeat for this long → `Ready=Unknown`, tainted
    /// unreachable. Default "50s" (kube-controller-manager since v1.32; module docs).
    #[serde(default = "default_grace")]
    pub node_monitor_grace_period: SimDuration,
    /// `tolerationSeconds` of the pods' default `unreachable:NoExecute` toleration. Default
    /// "300s" (DefaultTolerationSeconds admission plugin; module docs).
    #[serde(default = "default_toleration")]
    pub unreachable_toleration: SimDuration,
}

fn default_grace() -> SimDuration {
    SimDuration::from_secs(50)
}

fn default_toleration() -> SimDuration {
    SimDuration::from_secs(300)
}

impl Default for NodeLifecycleConfig {
    fn default() -> Self {
        NodeLifecycleConfig {
            node_monitor_grace_period: default_grace(),
            unreachable_toleration: default_toleration(),
        }
    }
}

impl NodeLifecycleConfig {
    /// What happens to a node that fails silently at `failed_at`.
    pub fn timeline(&self, node: u32, failed_at: SimTime) -> NodeFailure {
        let not_ready_at = failed_at + self.node_monitor_grace_period;
        NodeFailure {
            node,
            failed_at,
            not_ready_at,
            evicted_at: not_ready_at + self.unreachable_toleration,
        }
    }
}

/// A silent node failure and its consequences, as data: at `failed_at` the node stops serving
/// (its pods stop being ready to the load balancer only when endpoints notice: at
/// `not_ready_at`); at `not_ready_at` it is tainted and no longer schedulable; at `evicted_at`
/// its pods are deleted and recreated by their controllers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct NodeFailure {
    pub failed_at: SimTime,
    pub node: u32,
    pub not_ready_at: SimTime,
    pub evicted_at: SimTime,
}

/// The stream of a pool's failure clock: `faults/node/<region>/<pool>`.
pub fn node_stream_path(region: &str, pool: &str) -> String {
    format!("faults/node/{region}/{pool}")
}

/// A pool's failure clock from its MTBF per node (see [`HazardClock`] for the use).
#[derive(Debug, Clone)]
pub struct NodeFailureClock {
    clock: HazardClock,
    lifecycle: NodeLifecycleConfig,
}

impl NodeFailureClock {
    /// `mtbf` must be positive (checked by the config's `validate`).
    pub fn new(
        seed: u64,
        region: &str,
        pool: &str,
        mtbf: SimDuration,
        lifecycle: NodeLifecycleConfig,
    ) -> Self {
        let rate_per_node_hour = 3600.0 / mtbf.as_secs_f64();
        let rng = rng::stream(seed, &node_stream_path(region, pool));
        NodeFailureClock {
            clock: HazardClock::new(rate_per_node_hour, rng),
            lifecycle,
        }
    }

    pub fn set_nodes(&mut self, now: SimTime, nodes: u32) {
        self.clock.set_nodes(now, nodes);
    }

    pub fn next_failure_at(&self) -> Option<SimTime> {
        self.clock.next_at()
    }

    /// The failure at `now` happened: its node among `node_ids` (the pool's live nodes) and
    /// timeline.
    pub fn fail(&mut self, now: SimTime, node_ids: &[u32]) -> Option<NodeFailure> {
        let node = self.clock.fire(now, node_ids)?;
        Some(self.lifecycle.timeline(node, now))
    }
}

/// The stream that picks the nodes of a pool's scheduled failures.
pub fn scheduled_stream(seed: u64, region: &str, pool: &str) -> Stream {
    rng::stream(
        seed,
        &format!("{}/scheduled", node_stream_path(region, pool)),
    )
}

/// A scheduled failure of `count` nodes at `at`: which ones, among `node_ids` (the pool's live
/// nodes), and their timelines, sorted by node id.
pub fn scheduled_failures(
    rng: &mut Stream,
    at: SimTime,
    count: u32,
    node_ids: &[u32],
    lifecycle: &NodeLifecycleConfig,
) -> Vec<NodeFailure> {
    draw::choose_subset(rng, node_ids, count as usize)
        .into_iter()
        .map(|node| lifecycle.timeline(node, at))
        .collect()
}

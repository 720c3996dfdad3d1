//! Faults and failover (issue 9): spot reclaims, node/zone/region failures, RPO and RTO.
//!
//! Pure logic, configuration and data, plus one nexosim model that uses them: the
//! [`model::FaultInjector`] keeps the clocks as its state and turns their answers into orders
//! to the `Cluster` model; the `Traffic` model splits failed-over services' traffic with
//! [`failover`]; the run loop keeps the RPO/RTO books with [`recovery`]. Every answer is a
//! function of the configuration, the seed and the inputs the caller passes, so the same run
//! gives the same faults whatever else is simulated beside them.
//!
//! * [`config`] — the `faults` section of an experiment, as written, with `validate()` and
//!   cross-reference checks that name the field path.
//! * [`draw`] — the few random draws the module needs (uniform, exponential, log-normal,
//!   seeded subsets), each from a named `sim::rng` stream.
//! * [`hazard`] — a Poisson clock whose rate changes with the number of nodes at risk.
//! * [`spot`] — Spot Advisor bands → interruption rates, cloud notice lengths, per-pool
//!   interruption clocks and correlated reclaim waves.
//! * [`node_failure`] — MTBF clocks and the node lifecycle controller's detection and eviction
//!   timings.
//! * [`outage`] — zone and regional outages resolved to time windows.
//! * [`router`] — the global DNS load balancer: health checks, TTL, routing policies,
//!   active-active and active-passive.
//! * [`replication`] — asynchronous/synchronous replication and the RPO at a failure.
//! * [`rto`] — RTO measured from "SLO ok" samples, with its phases, against the targets.
//! * [`plan`] — the section resolved against the experiment (rates, cloud, zones).
//! * [`failover`] — which services the load balancer fails over, and each region's rate.
//! * [`gate`] — `failback: WaitForCapacity`: a region's return held until its pods are back.
//! * [`model`] — the `FaultInjector` nexosim model.
//! * [`recovery`] — the RPO/RTO books of a run.
//! * [`decisions`] — the router's answers and the books as `failover` rows of the decisions log.

pub mod config;
pub mod decisions;
pub mod draw;
pub mod failover;
pub mod gate;
pub mod hazard;
pub mod model;
pub mod node_failure;
pub mod outage;
pub mod plan;
pub mod recovery;
pub mod replication;
pub mod router;
pub mod rto;
pub mod spot;

use std::fmt;

/// A `faults` section that cannot run: the path of the field relative to the section (e.g.
/// `spot[1].interruptions`) and what was expected. The loader prefixes `faults.` and locates
/// the path in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: String,
    pub message: String,
}

impl ConfigError {
    pub(crate) fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for ConfigError {}

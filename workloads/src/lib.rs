//! What arrives at a cluster: request traffic as piecewise-constant rates (composable shapes and
//! real traces replayed), and the queueing mathematics that turns a rate and a number of
//! servers into latency.
//!
//! `workloads` knows nothing of nodes or pods: a service is "c servers of rate μ" here.

pub mod jobs;
pub mod queueing;
pub mod request_level;
pub mod router;
pub mod trace;
pub mod traffic;

//! The simulated world: the cluster (nodes, pods, services) and the traffic that reaches it, as
//! nexosim models, plus the assembly that wires them into one single-threaded simulation.
//!
//! `models` never writes a file: a run returns tables and figures, and `reports` writes them.

pub mod allocatable;
pub mod api;
pub mod autoscaler;
pub mod billing;
pub mod catalog;
pub mod cluster;
pub mod config;
pub mod faults;
pub mod hpa;
pub mod jobs;
pub mod latency;
pub mod plan;
pub mod run;
pub mod scheduler;
pub mod traffic;

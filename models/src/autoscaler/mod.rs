//! Node autoscaling (issue 8): the decision logic of the Cluster Autoscaler and of Karpenter, as
//! pure functions of a compact cluster snapshot (the view types of [`crate::api`]) and their own state across scans.
//!
//! Only [`model`] is a nexosim model: the `NodeAutoscaler` reads a view from the `Cluster`
//! (the `node_autoscaling_view` query) at each scan, calls [`cluster_autoscaler::ClusterAutoscaler::scan`] or
//! [`karpenter::Karpenter::provision`]/[`karpenter::Karpenter::disrupt`], and sends the
//! returned actions (each with the reason for the events table) to the `Cluster`. Keeping the
//! logic pure makes every formula testable by hand (`tests/node_autoscaling.rs`).
//!
//! Sources: `kubernetes/autoscaler` tag `cluster-autoscaler-1.36.1` (commit
//! `35e8a280425c76a4040f57ae0fa232a952c02024`) and `kubernetes-sigs/karpenter` commit
//! `2266468104f36373ed002241afaee2d3bbc26078`; each module cites its files.

pub mod cluster_autoscaler;
pub mod config;
pub mod decisions;
pub mod expansion;
pub mod karpenter;
pub mod model;
pub mod pattern;

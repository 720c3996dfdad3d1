//! HorizontalPodAutoscaler v2 as kube-controller-manager computes it, as pure logic: the
//! experiment's HPA sections ([`config`]), the per-metric replica calculation over groups of
//! identical pods ([`replica_calculator`]), stabilization and rate limits ([`behavior`]), one
//! HPA's reconcile with its histories and the reason of each decision ([`controller`]), the
//! metrics pipeline's lag ([`metrics_window`]), each sync as rows of the run's decisions table
//! ([`decisions`]), and a cost-aware policy's factor on scale-ups ([`cost_aware`]).
//!
//! The nexosim side is [`model`]: the `HpaController` model holds one [`controller::Hpa`] per service and
//! region, calls [`controller::Hpa::sync`] every sync period, and sends the scale messages.
//!
//! Checked against upstream's own test tables: `tests/hpa_cases.rs` reads
//! `tests/data/hpa-cases.json` (54 cases from `replica_calculator_test.go` and
//! `horizontal_test.go`); `tests/hpa_behavior.rs` holds hand-computed behavior cases.

pub mod behavior;
pub mod config;
pub mod controller;
pub mod cost_aware;
pub mod decisions;
pub mod metrics_window;
pub mod model;
pub mod replica_calculator;

//! The Vertical Pod Autoscaler (VPA) as pure logic: it watches each workload's CPU and memory
//! use and sets its pods' *requests* (and limits, in proportion) to what they use, plus a margin,
//! evicting pods whose requests are out of the recommended range so that they come back with the
//! new ones.
//!
//! A port of `kubernetes/autoscaler`, directory `vertical-pod-autoscaler/pkg/`, at commit
//! `55c37cd5eb550756c5ccc5a89e9068d77797e575` (after `vertical-pod-autoscaler/v1.7.1`); each
//! module names its upstream files:
//!
//! | module | upstream unit |
//! |---|---|
//! | [`histogram`] | `recommender/util/histogram*.go`, `decaying_histogram.go` |
//! | [`container_state`] | `recommender/model/aggregate_container_state.go`, `container.go`, `types.go` |
//! | [`estimator`] | `recommender/logic/estimator.go`, `recommender.go`, `recommender/config/config.go` |
//! | [`policy`] | `utils/vpa/capping.go`, `limit_and_request_scaling.go` |
//! | [`updater`] | `updater/priority/*`, `updater/restriction/*`, `updater/config` |
//! | [`decisions`] | each sync as rows of the run's decisions table |
//!
//! One simplification runs through all of them: **one container per pod**, and the pods of a
//! deployment are alike. Upstream aggregates per container name over pods and sums requests over
//! a pod's containers; here a workload has one [`container_state::AggregateContainerState`],
//! fed `pods` identical CPU samples per tick and one memory peak standing for every pod (the
//! percentiles are the same, see that module), and a pod's requests are its container's.
//!
//! Checked against upstream's own test tables: `tests/vpa_cases.rs` reads
//! `tests/data/vpa-cases.json` (10 rows of `estimator_test.go`, `container_test.go` and
//! `pods_eviction_restriction_test.go`).

pub mod config;
pub mod container_state;
pub mod decisions;
pub mod estimator;
pub mod histogram;
pub mod model;
pub mod policy;
pub mod updater;

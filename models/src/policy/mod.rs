//! Scaling policies beyond the stock controllers (issue 20), with the discipline of `hpa/`:
//! the decisions are pure functions beside their sources, the model is thin.
//!
//! - `config`: the `policies` section as written;
//! - `threshold`: sustained-threshold scaling decisions (conditions held for a duration,
//!   steps, cooldown, bounds), pure;
//! - `forecast`: additive Holt-Winters, the seasonal naive baseline and the μ + ασ headroom,
//!   pure; `forecast_log` the run's forecasts beside the actuals they are compared with;
//! - `pools`: sustained-threshold scaling of node pools (Dataproc worker groups with weights)
//!   and its cost-aware variant, pure; `pool_model` the `PoolPolicyController` that evaluates
//!   them on the node autoscaling view and launches and drains nodes;
//! - `keda`: KEDA's activation, scaling a workload between zero and one replica (the HPA it
//!   creates scales from one up), pure;
//! - `model`: the `PolicyController`, which owns the desired replicas of services that have
//!   scheduled actions, a threshold or a `ForecastAndScale` predictive policy, and no HPA,
//!   and KEDA-scaled services between zero and one (an HPA's scheduled bounds go to the HPA,
//!   as [`crate::api::BoundsStep`]s in its plan).
//!
//! Like the other controllers it imports only `api`, `plan` and the leaves, among them
//! `crate::cron` (when a cron pattern fires over the run, in an IANA zone), which the batch
//! model shares (`tests/layers.rs`).

pub mod config;
pub mod forecast;
pub mod forecast_log;
pub mod keda;
pub mod model;
pub mod pool_model;
pub mod pools;
pub mod threshold;

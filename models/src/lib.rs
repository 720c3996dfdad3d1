//! The simulated world: the cluster (nodes, pods, services) and the traffic that reaches it, as
//! nexosim models, plus the assembly that wires them into one single-threaded simulation.
//!
//! `models` never writes a file: a run returns tables and figures, and `reports` writes them.
//!
//! # One owner per knob
//!
//! Each setting of the simulated cluster has one writer; the others read it. Messages between
//! them are `api`'s types, wired in `run`.
//!
//! | knob | owner (the one writer) | how the others take part |
//! |------|------------------------|--------------------------|
//! | desired replicas of a service | its HPA (`hpa::model`, `set_replicas`) when it has one; else, when `policies.scheduled`, `policies.thresholds` or a `ForecastAndScale` `policies.predictive` acts on it, the `PolicyController` (`policy::model`, `set_replicas`: the actions' `replicas` and the service's `scale` steps, or the threshold policy's decisions; the loader refuses two policies, or a threshold policy and `scale` steps, on one service); for a service with a KEDA scaler (`policies.event_driven`), the `PolicyController` between zero and one replica (activation, deactivation after the cooldown) and the HPA the loader creates for it from one up (an HPA does nothing at zero replicas, as upstream), as KEDA's operator and its HPA share the scale subresource; otherwise its scheduled `scale` steps (`cluster`'s `Timer::Scale`) | the ReplicaSet sync in `cluster` creates and deletes pods to match; the scheduler places them |
//! | an HPA's min/max replicas | the HPA's spec, changed by its plan's `BoundsStep`s (`HpaPlan::bounds`): the service's `scale` steps (each sets `minReplicas`, raising `maxReplicas` to it if lower) and the `policies.scheduled` actions on it (`min_replicas`/`max_replicas`), from the first HPA sync at or after their instant, as KEDA's cron scaler (a floor of `desiredReplicas` while its window is active) and scheduled scaling actions (which set `MinCapacity`/`MaxCapacity`) do; under `failback: WaitForCapacity`, `faults::gate` holds a recovered region's minimum through `HpaController::hold_bounds`, queued with the scheduled steps | the HPA clamps its recommendation to them at that sync |
//! | pod requests, limits, QoS | the deployment's pod template (`plan::ServicePlan`, `cluster::pods::PodTemplate`); with a VPA, the VPA (`vpa::model`, `set_template`) writes new revisions and evicts or resizes pods of old ones (`update_pods`); a new revision applies to new pods | running pods keep their revision's; the HPA measures each pod's use (which follows the work done) against its own request |
//! | node-group sizes (nodes launched, drained) | the region's node autoscaler (`autoscaler::model`, `launch`/`remove`) | the fault injector removes nodes on spot notices and fails nodes (`faults`); `cluster` applies both |
//! | a node group's min/max nodes | the pool's `min_nodes`/`max_nodes`, changed by `policies.scheduled` actions on the pool: `BoundsStep`s in its Cluster Autoscaler's plan (`NodeAutoscalerPlan::bounds`), applied at its first scan at or after their instant; a raised minimum above the group's size launches the difference, as an Auto Scaling group does | the Cluster Autoscaler scales within them |
//! | a service's arrival rate | `traffic::Traffic` (`set_rates`), failover re-splits included | — |

pub mod allocatable;
pub mod api;
pub mod autoscaler;
pub mod billing;
pub mod catalog;
pub mod cluster;
pub mod config;
pub mod control_plane;
pub mod cron;
pub mod faults;
pub mod gpu;
pub mod hpa;
pub mod invariants;
pub mod jobs;
pub mod kueue;
pub mod latency;
pub mod packing;
pub mod plan;
pub mod policy;
pub mod run;
pub mod scheduler;
pub mod traffic;
pub mod vpa;

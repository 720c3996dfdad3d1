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
//! | desired replicas of a service | its HPA (`hpa::model`, `set_replicas`) when it has one; otherwise its scheduled `scale` steps (`cluster`'s `Timer::Scale`) | the ReplicaSet sync in `cluster` creates and deletes pods to match; the scheduler places them |
//! | an HPA's min/max replicas | the HPA's spec, and the service's scheduled `scale` steps: a step sets `minReplicas` (raising `maxReplicas` to it if lower) from the first HPA sync at or after its instant, as KEDA's cron scaler (a floor of `desiredReplicas` while its window is active) and scheduled scaling actions (which set `MinCapacity`) do | the HPA clamps its recommendation to them at that sync |
//! | pod requests, limits, QoS | the deployment's pod template (`plan::ServicePlan`, `cluster::pods::PodTemplate`); a new revision applies to new pods | running pods keep their revision's; the HPA measures each pod against it |
//! | node-group sizes (nodes launched, drained) | the region's node autoscaler (`autoscaler::model`, `launch`/`remove`) | the fault injector removes nodes on spot notices and fails nodes (`faults`); `cluster` applies both |
//! | a service's arrival rate | `traffic::Traffic` (`set_rates`), failover re-splits included | — |

pub mod allocatable;
pub mod api;
pub mod autoscaler;
pub mod billing;
pub mod catalog;
pub mod cluster;
pub mod config;
pub mod faults;
pub mod gpu;
pub mod hpa;
pub mod jobs;
pub mod kueue;
pub mod latency;
pub mod packing;
pub mod plan;
pub mod run;
pub mod scheduler;
pub mod traffic;
pub mod vpa;

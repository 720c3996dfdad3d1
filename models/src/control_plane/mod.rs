//! How fast the control plane turns decisions into running pods: controller and API
//! throughput, scheduler throughput, pod start-up and node boot (issue 22). `config` is the
//! `control_plane` section as written; [`ControlPlanePlan`] what the cluster runs with.

pub mod config;

/// The control plane's limits as the cluster applies them. Empty (no limit) for now: every
/// transition takes only its configured delay, as in wave 1.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ControlPlanePlan {}

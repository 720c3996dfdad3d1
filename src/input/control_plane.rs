//! Checks the `control_plane` section and resolves it into the cluster's
//! [`ControlPlanePlan`].

use models::control_plane::ControlPlanePlan;

use super::Experiment;
use crate::error::FieldError;

/// The control plane's limits for the run.
pub fn resolve(_x: &Experiment) -> Result<ControlPlanePlan, FieldError> {
    Ok(ControlPlanePlan::default())
}

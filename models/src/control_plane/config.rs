//! The experiment's `control_plane` section, as written.

use serde::{Deserialize, Serialize};

/// Control-plane throughput and start-up settings. Empty for now.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlPlaneConfig {}

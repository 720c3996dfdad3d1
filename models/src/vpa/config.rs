//! A service's `vpa:` section as written in an experiment: the fields of upstream's
//! `VerticalPodAutoscaler` spec the simulator models (`apis/autoscaling.k8s.io/v1/types.go` at
//! the commit in the module doc): `updatePolicy.updateMode` and `minReplicas`, and the one
//! container's `resourcePolicy` (`minAllowed`, `maxAllowed`, `controlledResources`,
//! `controlledValues`).

use serde::{Deserialize, Serialize};
use sim::quantity::{Bytes, CpuMillis};

use super::policy::{ControlledResources, ControlledValues, ResourceBounds};

/// `updatePolicy.updateMode`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum UpdateMode {
    /// Recommend only: the recommendation is in the outputs, no pod changes.
    Off,
    /// Pods get the recommendation when they are created; running pods are never evicted.
    Initial,
    /// Pods get it at creation, and running pods out of line are evicted to get it.
    Recreate,
    /// Upstream's default; today the same as `Recreate`.
    #[default]
    Auto,
    /// Running pods are resized in place where their node has room, else evicted.
    InPlaceOrRecreate,
}

impl UpdateMode {
    /// Whether new pods get the recommendation (the admission controller acts).
    pub fn admits(self) -> bool {
        self != UpdateMode::Off
    }

    /// Whether the updater changes running pods.
    pub fn updates(self) -> bool {
        matches!(
            self,
            UpdateMode::Recreate | UpdateMode::Auto | UpdateMode::InPlaceOrRecreate
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UpdateMode::Off => "Off",
            UpdateMode::Initial => "Initial",
            UpdateMode::Recreate => "Recreate",
            UpdateMode::Auto => "Auto",
            UpdateMode::InPlaceOrRecreate => "InPlaceOrRecreate",
        }
    }
}

/// A resource a VPA may control.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VpaResource {
    Cpu,
    Memory,
}

/// `minAllowed` or `maxAllowed`: either resource may be left out.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VpaBounds {
    #[serde(default)]
    pub cpu: Option<CpuMillis>,
    #[serde(default)]
    pub memory: Option<Bytes>,
}

impl VpaBounds {
    /// In the recommender's units (cores, bytes).
    pub fn resolve(self) -> ResourceBounds {
        ResourceBounds {
            cpu_cores: self.cpu.map(|c| c.0 as f64 / 1000.0),
            memory_bytes: self.memory.map(|m| m.0 as f64),
        }
    }
}

/// One service's VerticalPodAutoscaler, e.g. `(update_mode: Auto, min_allowed: (cpu: "100m"),
/// max_allowed: (cpu: "4", memory: "8Gi"))`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VpaConfig {
    /// Default `Auto`, upstream's.
    #[serde(default)]
    pub update_mode: UpdateMode,
    /// `updatePolicy.minReplicas`: fewer live pods and the updater evicts none. Default: the
    /// updater's `--min-replicas`, 2.
    #[serde(default)]
    pub min_replicas: Option<u32>,
    #[serde(default)]
    pub min_allowed: VpaBounds,
    #[serde(default)]
    pub max_allowed: VpaBounds,
    /// Default `[cpu, memory]`, upstream's.
    #[serde(default = "both_resources")]
    pub controlled_resources: Vec<VpaResource>,
    /// Default `RequestsAndLimits`, upstream's.
    #[serde(default)]
    pub controlled_values: ControlledValues,
}

fn both_resources() -> Vec<VpaResource> {
    vec![VpaResource::Cpu, VpaResource::Memory]
}

impl VpaConfig {
    pub fn controlled(&self) -> ControlledResources {
        ControlledResources {
            cpu: self.controlled_resources.contains(&VpaResource::Cpu),
            memory: self.controlled_resources.contains(&VpaResource::Memory),
        }
    }
}

//! The `faults` section resolved against the rest of the experiment: what a run needs that the
//! section alone does not say (each spot pool's rate, from the catalog's Spot Advisor band when
//! the experiment names none; the cloud whose notice applies; the regions' zones).

use super::config::FaultsConfig;
use super::spot::{Cloud, SpotTimings};
use crate::config::RegionConfig;

/// The faults of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultsPlan {
    pub config: FaultsConfig,
    /// One per entry of `config.spot`, in its order.
    pub spot: Vec<SpotPlan>,
    /// The cloud of the catalog: its notice applies to wave victims whose pool has no `spot`
    /// entry.
    pub cloud: Cloud,
    /// The cloud of each cluster pool's region (a region may name its own `provider`): the
    /// notice of a wave victim whose pool has no `spot` entry.
    pub pool_clouds: Vec<Cloud>,
    /// Every region with its zones, in the experiment's order: a regional outage takes down
    /// each of its zones, and the load balancer's default region list is this order.
    pub regions: Vec<RegionConfig>,
}

/// A spot pool's clock, resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpotPlan {
    /// Index of the pool in the cluster plan.
    pub pool: u32,
    pub rate_per_node_hour: f64,
    pub timings: SpotTimings,
}

impl FaultsPlan {
    /// The region names in the experiment's order.
    pub fn region_names(&self) -> Vec<String> {
        self.regions.iter().map(|r| r.name.clone()).collect()
    }

    /// The zones of a region (none for an unknown name).
    pub fn zones_of(&self, region: &str) -> Vec<String> {
        self.regions
            .iter()
            .find(|r| r.name == region)
            .map(|r| r.zones.clone())
            .unwrap_or_default()
    }
}

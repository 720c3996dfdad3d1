//! The cluster's part of an experiment file: regions, node pools and services, as users write
//! them. Every struct denies unknown fields, and every default is documented on its field.
//!
//! These are the *written* forms. Cross-references (a pool's region, a service's regions) are
//! checked by the experiment loader, which knows where each value sits in the file; the models
//! receive the resolved [`crate::cluster::ClusterPlan`].

use serde::{Deserialize, Serialize};
use sim::quantity::{Bytes, CpuMillis};
use sim::time::SimDuration;
use workloads::traffic::Shape;

/// A region and its zones, e.g. `(name: "us-east1", zones: ["us-east1-b", "us-east1-c"])`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionConfig {
    /// The cloud region's name; it selects the prices of the instance catalog.
    pub name: String,
    /// Zones of the region; pools spread their nodes over them round-robin.
    pub zones: Vec<String>,
}

/// Whether a node is billed at the on-demand or the spot price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CapacityType {
    OnDemand,
    Spot,
}

/// A group of identical nodes in one region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodePoolConfig {
    pub name: String,
    /// Must name a region of the experiment.
    pub region: String,
    /// Zones used by the pool. Default: every zone of the region.
    #[serde(default)]
    pub zones: Option<Vec<String>>,
    /// An instance type of the catalog in this region, e.g. "n2-standard-8".
    pub instance_type: String,
    /// Default: `OnDemand`.
    #[serde(default = "default_capacity_type")]
    pub capacity_type: CapacityType,
    /// Number of nodes, fixed for the run (node autoscaling comes with its own section).
    pub nodes: u32,
}

fn default_capacity_type() -> CapacityType {
    CapacityType::OnDemand
}

/// A pod's resource requests, in Kubernetes spelling: `(cpu: "500m", memory: "512Mi")`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    pub cpu: CpuMillis,
    pub memory: Bytes,
}

/// A request-driven service (a Deployment behind a load balancer) and its traffic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    pub name: String,
    /// Regions the service runs in. Default: every region of the experiment.
    #[serde(default)]
    pub regions: Option<Vec<String>>,
    /// Pods per region, fixed for the run (the HPA comes with its own section).
    pub replicas: u32,
    /// Requests of each pod; the scheduler places pods by them.
    pub requests: Resources,
    /// Requests per second one pod serves when its CPU request is fully busy: the service rate
    /// μ of the M/M/c model.
    pub capacity_rps: f64,
    /// How long a request waits in the queue before the client gives up and it counts as
    /// dropped. Default "30s": the default request timeout of common ingress proxies
    /// (ingress-nginx `proxy-read-timeout` is 60 s, Envoy's route timeout 15 s; 30 s sits between).
    #[serde(default = "default_timeout")]
    pub timeout: SimDuration,
    /// Arrival rate per region.
    pub traffic: Shape,
}

fn default_timeout() -> SimDuration {
    SimDuration::from_secs(30)
}

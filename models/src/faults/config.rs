//! The `faults` section of an experiment, as written. Every struct denies unknown fields; every
//! default is documented on its field with its source. Durations use the Go/Kubernetes
//! spelling of `sim::time::SimDuration` ("90s", "1h30m"); optional values are written plainly
//! (the experiment is read with RON's `implicit_some`).
//!
//! [`FaultsConfig::validate`] checks what a deserializer cannot (ranges, finiteness);
//! [`FaultsConfig::check_references`] checks the names (pools, zones, regions, services)
//! against the rest of the experiment. Both return the path of the field relative to the
//! section, e.g. `spot[1].interruptions`.
//!
//! ```ron
//! faults: (
//!     spot: [(pool: "spot-general", interruptions: Band("10-15%"))],
//!     waves: [(at: Exactly("10h"), scope: Zone(zone: "us-east-1a", share: 0.3), window: "2m")],
//!     node_failures: [(pool: "general", mtbf: "2000h")],
//!     region_outages: [(name: "us-west-2", at: Exactly("12h"), duration: Exactly("2h"))],
//!     failover: (routing: Failover(["us-west-2", "us-east-1", "eu-west-1"]),
//!                mode: ActivePassive(primary: "us-west-2", standby_min_replicas: 3)),
//!     replication: (primary: "us-west-2", replicas: ["us-east-1", "eu-west-1"],
//!                   mode: Async(Constant("5s")), writes_per_s: 200),
//!     targets: (rpo: "15m", rto: "1h"),
//! )
//! ```

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sim::time::SimDuration;

use super::ConfigError;
use super::draw::Timing;
use super::node_failure::NodeLifecycleConfig;
use super::spot::{Cloud, SpotBand, SpotTimings};
use crate::config::{CapacityType, NodePoolConfig, RegionConfig, ServiceConfig};

/// Route 53 accepts failure thresholds 1–10 (`HealthCheckConfig.FailureThreshold`).
const MAX_FAILURE_THRESHOLD: u32 = 10;

/// Faults, failover and recovery targets. Every part is optional; an empty section injects
/// nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultsConfig {
    /// Spot interruptions, per spot pool.
    #[serde(default)]
    pub spot: Vec<SpotPoolConfig>,
    /// Correlated reclaim waves.
    #[serde(default)]
    pub waves: Vec<WaveConfig>,
    /// Silent node failures, per pool.
    #[serde(default)]
    pub node_failures: Vec<NodeFailureConfig>,
    /// How Kubernetes notices a failed node. Default: the upstream defaults (see the struct).
    #[serde(default)]
    pub node_lifecycle: NodeLifecycleConfig,
    /// Zones that fail, by zone name (`name`).
    #[serde(default)]
    pub zone_outages: Vec<OutageConfig>,
    /// Regions that fail, by region name (`name`).
    #[serde(default)]
    pub region_outages: Vec<OutageConfig>,
    /// The global load balancer. Default: none (each region serves its own traffic).
    #[serde(default)]
    pub failover: Option<FailoverConfig>,
    /// The database's replication, for the RPO. Default: none (no RPO is reported).
    #[serde(default)]
    pub replication: Option<ReplicationConfig>,
    #[serde(default)]
    pub targets: RecoveryTargets,
}

/// Spot interruptions of one spot pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpotPoolConfig {
    /// A node pool with `capacity_type: Spot`.
    pub pool: String,
    /// Default `Catalog`: the Spot Advisor band of the pool's instance type and region.
    #[serde(default)]
    pub interruptions: InterruptionRate,
    /// Notice → reclaim. Default: the cloud's (AWS 120 s, GCP 30 s, Azure 30 s; `spot` docs).
    #[serde(default)]
    pub notice: Option<SimDuration>,
    /// Rebalance recommendation → notice (AWS). Default: none, since AWS guarantees no lead
    /// and Karpenter takes no action on them.
    #[serde(default)]
    pub rebalance_lead: Option<SimDuration>,
}

/// How often a spot pool's nodes are reclaimed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub enum InterruptionRate {
    /// The Spot Advisor band the catalog has for the pool (AWS only).
    #[default]
    Catalog,
    /// A Spot Advisor band, e.g. `Band("10-15%")`.
    Band(SpotBand),
    /// Reclaims per node-hour, e.g. `PerNodeHour(0.0005)`.
    PerNodeHour(f64),
}

impl SpotPoolConfig {
    /// Reclaims per node-hour; `catalog_band` is the catalog's `interruption_band` of the pool.
    pub fn rate_per_node_hour(&self, catalog_band: Option<&str>) -> Result<f64, String> {
        match self.interruptions {
            InterruptionRate::PerNodeHour(r) => Ok(r),
            InterruptionRate::Band(b) => Ok(b.rate_per_node_hour()),
            InterruptionRate::Catalog => match catalog_band {
                Some(label) => SpotBand::from_label(label)
                    .map(SpotBand::rate_per_node_hour)
                    .ok_or_else(|| {
                        format!("the catalog's band `{label}` is not a Spot Advisor band")
                    }),
                None => Err(format!(
                    "the catalog has no Spot Advisor band for pool `{}` (GCP and Azure publish \
                     none): expected `Band(\"<5%\")` or `PerNodeHour(...)`",
                    self.pool
                )),
            },
        }
    }

    /// The notice and rebalance lead, with the cloud's default notice.
    pub fn timings(&self, cloud: Cloud) -> SpotTimings {
        SpotTimings {
            notice: self.notice.unwrap_or(cloud.spot_notice()),
            rebalance_lead: self.rebalance_lead,
        }
    }
}

/// A correlated reclaim wave: a share of a scope's spot nodes, noticed within a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaveConfig {
    /// When the wave starts: `Exactly("10h")` or drawn, `Between("8h", "20h")`.
    pub at: Timing,
    pub scope: WaveScope,
    /// Notices spread uniformly over `[at, at + window]`. Required: AWS publishes no figure
    /// for how bunched a capacity reclaim is.
    pub window: SimDuration,
}

/// Which spot nodes a wave draws from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WaveScope {
    /// `share` of one spot pool's nodes.
    Pool { pool: String, share: f64 },
    /// `share` of the spot nodes of every spot pool in `zone`.
    Zone { zone: String, share: f64 },
}

impl WaveScope {
    /// The pool or zone named, for the wave's stream.
    pub fn target(&self) -> &str {
        match self {
            WaveScope::Pool { pool, .. } => pool,
            WaveScope::Zone { zone, .. } => zone,
        }
    }

    pub fn share(&self) -> f64 {
        match self {
            WaveScope::Pool { share, .. } | WaveScope::Zone { share, .. } => *share,
        }
    }
}

/// Silent failures of one pool's nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeFailureConfig {
    pub pool: String,
    /// Mean time between failures of one node, e.g. `"2000h"`. Default: none.
    #[serde(default)]
    pub mtbf: Option<SimDuration>,
    /// Failures at given times, e.g. `[(at: "3h", nodes: 2)]`.
    #[serde(default)]
    pub scheduled: Vec<ScheduledFailure>,
}

/// `nodes` nodes of the pool, chosen by the seed, fail at `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledFailure {
    pub at: SimDuration,
    /// Default 1.
    #[serde(default = "one")]
    pub nodes: u32,
}

fn one() -> u32 {
    1
}

/// A zone or region outage: `(name: "us-east-1a", at: Exactly("6h"), duration: Exactly("1h"))`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutageConfig {
    /// The zone (in `zone_outages`) or region (in `region_outages`).
    pub name: String,
    pub at: Timing,
    /// How long until it recovers.
    pub duration: Timing,
}

/// How clients move once DNS answers change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DnsShift {
    /// Clients re-resolve at uniformly spread instants: the share on the new answer grows
    /// linearly over one TTL.
    #[default]
    Linear,
    /// Every client's cache expires at once, one TTL after the change (the latest a client
    /// that honours the TTL can move).
    Step,
}

/// Which healthy region answers a client.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub enum RoutingPolicy {
    /// Each client region's own region, else the nearest healthy one (`FailoverConfig::nearest`).
    #[default]
    Latency,
    /// Shares by weight among healthy regions, e.g. `Weighted({"us-west-2": 3, "us-east-1": 1})`;
    /// regions of weight 0 get traffic only when no positive-weight region is healthy (Route 53's
    /// rule for weight-0 records).
    Weighted(BTreeMap<String, f64>),
    /// The first healthy region of the list; regions not listed follow in `regions` order.
    Failover(Vec<String>),
}

/// Active-active: every region serves. Active-passive: only the primary serves while healthy;
/// the standbys keep `standby_min_replicas` warm and take over when it fails.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum FailoverMode {
    #[default]
    ActiveActive,
    ActivePassive {
        primary: String,
        /// Replicas each standby keeps ready (its HPA minimum), per service. Default 0: cold.
        #[serde(default)]
        standby_min_replicas: u32,
    },
}

/// The global load balancer (DNS with health checks, as Route 53 or Cloud DNS routing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailoverConfig {
    /// Regions behind the load balancer. Default: every region, in the experiment's order.
    #[serde(default)]
    pub regions: Option<Vec<String>>,
    /// Between two health checks. Default "10s": Route 53's fast interval (its API default is
    /// 30 s; `HealthCheckConfig.RequestInterval` accepts 10 or 30).
    #[serde(default = "default_interval")]
    pub health_check_interval: SimDuration,
    /// Consecutive failed (or passed) checks that change a region's status. Default 3, Route
    /// 53's `HealthCheckConfig.FailureThreshold` default.
    #[serde(default = "default_threshold")]
    pub failure_threshold: u32,
    /// Phase of the check clock: checks run at `offset + k × interval`. Default "0s". A check
    /// at the very instant of a failure is taken to have seen the region still up.
    #[serde(default)]
    pub health_check_offset: SimDuration,
    /// TTL of the DNS answers. Default "60s": Route 53 recommends 60 s or less for records
    /// with health checks (Developer Guide, "Values specific for failover records").
    #[serde(default = "default_ttl")]
    pub dns_ttl: SimDuration,
    /// Default `Linear`.
    #[serde(default)]
    pub dns_shift: DnsShift,
    /// Default `Latency`.
    #[serde(default)]
    pub routing: RoutingPolicy,
    /// For `Latency`: per client region, the other regions nearest first. Default: the other
    /// regions in `regions` order.
    #[serde(default)]
    pub nearest: BTreeMap<String, Vec<String>>,
    /// Default `ActiveActive`.
    #[serde(default)]
    pub mode: FailoverMode,
    /// How traffic returns to a region the health checks see healthy again. Default
    /// `Immediate`.
    #[serde(default)]
    pub failback: Failback,
}

/// How traffic returns to a recovered region. Its deployments have had no traffic since the
/// failover, so an HPA there has scaled them down to `min_replicas` (upstream's HPA reads 0 %
/// utilization and scales down once its 5-minute stabilization window has passed): the
/// returning traffic meets a handful of pods.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub enum Failback {
    /// The region is back in the DNS answer as soon as the health checks pass it (Route 53's
    /// behaviour; clients then follow within one TTL).
    #[default]
    Immediate,
    /// The region's share of the answer grows linearly from 0 to its full weight over this
    /// long after the health checks pass it, as a weighted record stepped up by an operator or
    /// a traffic manager (e.g. Traffic Director / Route 53 weighted records moved in steps),
    /// so its autoscalers grow with the load: `Gradual("10m")`.
    Gradual(SimDuration),
    /// The region stays out of the DNS answer until its ready pods are at least this share of
    /// those it had when it failed, for every service behind the load balancer: its health
    /// check is a deep one, passing only with that capacity (`faults::gate`). Meanwhile each
    /// such service's HPA is held at that many replicas as a minimum, so the pods come back
    /// before the traffic does: `WaitForCapacity(0.8)`.
    WaitForCapacity(f64),
}

fn default_interval() -> SimDuration {
    SimDuration::from_secs(10)
}

fn default_threshold() -> u32 {
    3
}

fn default_ttl() -> SimDuration {
    SimDuration::from_secs(60)
}

impl Default for FailoverConfig {
    fn default() -> Self {
        FailoverConfig {
            regions: None,
            health_check_interval: default_interval(),
            failure_threshold: default_threshold(),
            health_check_offset: SimDuration::ZERO,
            dns_ttl: default_ttl(),
            dns_shift: DnsShift::default(),
            routing: RoutingPolicy::default(),
            nearest: BTreeMap::new(),
            mode: FailoverMode::default(),
            failback: Failback::default(),
        }
    }
}

/// How writes reach the replicas.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum ReplicationMode {
    /// A write commits once a replica has it: nothing is lost (RPO 0).
    Sync,
    /// A write commits locally and reaches the replicas later.
    Async(LagModel),
}

/// The lag of asynchronous replication.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum LagModel {
    /// Always this lag, e.g. `Constant("5s")`.
    Constant(SimDuration),
    /// Replicas apply at most `apply_writes_per_s`, after a fixed delay `base`: below that
    /// throughput the lag is `base`; above it a backlog grows (see `replication`).
    Throughput {
        apply_writes_per_s: f64,
        base: SimDuration,
    },
    /// Log-normal lag with this median and 99th percentile, drawn at each failure.
    LogNormal {
        median: SimDuration,
        p99: SimDuration,
    },
}

/// Which database takes which region's writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplicationTopology {
    /// One database: its primary in `primary` takes the writes of every region (an
    /// active-active service over a single-writer database), so its write rate, and with it a
    /// throughput-bound lag, is the whole service's.
    #[default]
    SingleWriter,
    /// One database per region of the write service, each the primary of its region's own
    /// writes and replicating to the others: an outage of any of those regions loses what its
    /// own database had not replicated (`primary` names none in particular then).
    PerRegionPrimaries,
}

/// The replicated database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplicationConfig {
    /// The region whose database takes the writes.
    pub primary: String,
    /// Default `SingleWriter`.
    #[serde(default)]
    pub topology: ReplicationTopology,
    /// Regions holding replicas.
    #[serde(default)]
    pub replicas: Vec<String>,
    pub mode: ReplicationMode,
    /// Writes per second at the primary (at each primary with `PerRegionPrimaries`), e.g.
    /// `200`; or, with `writes_per_request`, derived from the request rate of the regions
    /// whose writes it takes.
    #[serde(default)]
    pub writes_per_s: Option<f64>,
    /// Writes per request of `service` (with `writes_per_s` unset).
    #[serde(default)]
    pub writes_per_request: Option<WritesPerRequest>,
}

/// Writes as a share of a service's requests: `(service: "checkout", writes: 0.3)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WritesPerRequest {
    pub service: String,
    pub writes: f64,
}

/// RPO and RTO targets, compared in the summary and gates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoveryTargets {
    /// Most data (as replication lag) a failure may lose, e.g. `"15m"`.
    #[serde(default)]
    pub rpo: Option<SimDuration>,
    /// Longest failure → SLO restored, e.g. `"1h"`.
    #[serde(default)]
    pub rto: Option<SimDuration>,
    /// How long the SLO must hold before it counts as restored (so that a lucky sample in the
    /// middle of the recovery does not end it). Default "5m": five samples at the default
    /// 60 s output interval; a modelling choice, not an upstream figure.
    #[serde(default = "default_rto_hold")]
    pub rto_hold: SimDuration,
}

fn default_rto_hold() -> SimDuration {
    SimDuration::from_secs(300)
}

impl Default for RecoveryTargets {
    fn default() -> Self {
        RecoveryTargets {
            rpo: None,
            rto: None,
            rto_hold: default_rto_hold(),
        }
    }
}

fn fail<T>(path: impl Into<String>, message: impl Into<String>) -> Result<T, ConfigError> {
    Err(ConfigError::new(path, message))
}

fn positive(path: &str, d: SimDuration) -> Result<(), ConfigError> {
    if d.is_zero() {
        return fail(path, "expected a positive duration such as \"30s\"");
    }
    Ok(())
}

fn timing(path: &str, t: Timing) -> Result<(), ConfigError> {
    t.check().map_err(|m| ConfigError::new(path, m))
}

fn rate(path: &str, v: f64, what: &str) -> Result<(), ConfigError> {
    if !(v.is_finite() && v >= 0.0) {
        return fail(
            path,
            format!("expected {what}: a finite number ≥ 0, found {v}"),
        );
    }
    Ok(())
}

fn share(path: &str, v: f64) -> Result<(), ConfigError> {
    if !(v > 0.0 && v <= 1.0) {
        return fail(
            path,
            format!("expected a share in (0, 1] such as 0.3, found {v}"),
        );
    }
    Ok(())
}

fn no_duplicate<'a>(
    names: impl Iterator<Item = &'a str>,
    path: impl Fn(usize) -> String,
    what: &str,
) -> Result<(), ConfigError> {
    let mut seen = BTreeSet::new();
    for (i, n) in names.enumerate() {
        if !seen.insert(n) {
            return fail(path(i), format!("{what} `{n}` is listed twice"));
        }
    }
    Ok(())
}

impl FaultsConfig {
    /// Checks ranges and finiteness; names are checked by [`FaultsConfig::check_references`].
    pub fn validate(&self) -> Result<(), ConfigError> {
        no_duplicate(
            self.spot.iter().map(|s| s.pool.as_str()),
            |i| format!("spot[{i}].pool"),
            "pool",
        )?;
        for (i, s) in self.spot.iter().enumerate() {
            if let InterruptionRate::PerNodeHour(r) = s.interruptions {
                rate(
                    &format!("spot[{i}].interruptions"),
                    r,
                    "reclaims per node-hour",
                )?;
            }
            if let Some(n) = s.notice {
                positive(&format!("spot[{i}].notice"), n)?;
            }
            if let Some(l) = s.rebalance_lead {
                positive(&format!("spot[{i}].rebalance_lead"), l)?;
            }
        }
        for (i, w) in self.waves.iter().enumerate() {
            timing(&format!("waves[{i}].at"), w.at)?;
            share(&format!("waves[{i}].scope.share"), w.scope.share())?;
        }
        no_duplicate(
            self.node_failures.iter().map(|n| n.pool.as_str()),
            |i| format!("node_failures[{i}].pool"),
            "pool",
        )?;
        for (i, n) in self.node_failures.iter().enumerate() {
            if let Some(m) = n.mtbf {
                positive(&format!("node_failures[{i}].mtbf"), m)?;
            } else if n.scheduled.is_empty() {
                return fail(
                    format!("node_failures[{i}]"),
                    "expected an `mtbf`, a `scheduled` list, or both",
                );
            }
            for (j, s) in n.scheduled.iter().enumerate() {
                if s.nodes == 0 {
                    return fail(
                        format!("node_failures[{i}].scheduled[{j}].nodes"),
                        "expected at least 1 node",
                    );
                }
            }
        }
        for (field, list) in [
            ("zone_outages", &self.zone_outages),
            ("region_outages", &self.region_outages),
        ] {
            for (i, o) in list.iter().enumerate() {
                timing(&format!("{field}[{i}].at"), o.at)?;
                timing(&format!("{field}[{i}].duration"), o.duration)?;
                let longest = match o.duration {
                    Timing::Exactly(d) | Timing::Between(_, d) => d,
                };
                positive(&format!("{field}[{i}].duration"), longest)?;
            }
        }
        if let Some(f) = &self.failover {
            f.validate()?;
        }
        if let Some(r) = &self.replication {
            r.validate()?;
        }
        Ok(())
    }

    /// Checks every name against the experiment's regions, node pools and services.
    pub fn check_references(
        &self,
        regions: &[RegionConfig],
        pools: &[NodePoolConfig],
        services: &[ServiceConfig],
    ) -> Result<(), ConfigError> {
        let pool = |name: &str| pools.iter().find(|p| p.name == name);
        let spot_pool = |path: String, name: &str| match pool(name) {
            None => fail(path, format!("unknown node pool `{name}`")),
            Some(p) if p.capacity_type != CapacityType::Spot => fail(
                path,
                format!("node pool `{name}` is not a spot pool (capacity_type: Spot)"),
            ),
            Some(_) => Ok(()),
        };
        let is_zone = |z: &str| regions.iter().any(|r| r.zones.iter().any(|x| x == z));
        let is_region = |r: &str| regions.iter().any(|x| x.name == r);
        for (i, s) in self.spot.iter().enumerate() {
            spot_pool(format!("spot[{i}].pool"), &s.pool)?;
        }
        for (i, w) in self.waves.iter().enumerate() {
            match &w.scope {
                WaveScope::Pool { pool, .. } => spot_pool(format!("waves[{i}].scope.pool"), pool)?,
                WaveScope::Zone { zone, .. } if !is_zone(zone) => {
                    return fail(
                        format!("waves[{i}].scope.zone"),
                        format!("unknown zone `{zone}`"),
                    );
                }
                WaveScope::Zone { .. } => {}
            }
        }
        for (i, n) in self.node_failures.iter().enumerate() {
            if pool(&n.pool).is_none() {
                return fail(
                    format!("node_failures[{i}].pool"),
                    format!("unknown node pool `{}`", n.pool),
                );
            }
        }
        for (i, o) in self.zone_outages.iter().enumerate() {
            if !is_zone(&o.name) {
                return fail(
                    format!("zone_outages[{i}].name"),
                    format!("unknown zone `{}`", o.name),
                );
            }
        }
        for (i, o) in self.region_outages.iter().enumerate() {
            if !is_region(&o.name) {
                return fail(
                    format!("region_outages[{i}].name"),
                    format!("unknown region `{}`", o.name),
                );
            }
        }
        if let Some(f) = &self.failover {
            let all: Vec<String> = regions.iter().map(|r| r.name.clone()).collect();
            if let Some(list) = &f.regions {
                for (i, r) in list.iter().enumerate() {
                    if !is_region(r) {
                        return fail(
                            format!("failover.regions[{i}]"),
                            format!("unknown region `{r}`"),
                        );
                    }
                }
            }
            f.check_names(f.regions.as_deref().unwrap_or(&all))?;
        }
        if let Some(r) = &self.replication {
            if !is_region(&r.primary) {
                return fail(
                    "replication.primary",
                    format!("unknown region `{}`", r.primary),
                );
            }
            for (i, x) in r.replicas.iter().enumerate() {
                if !is_region(x) || *x == r.primary {
                    return fail(
                        format!("replication.replicas[{i}]"),
                        format!("expected a region other than the primary, found `{x}`"),
                    );
                }
            }
            if let Some(w) = &r.writes_per_request
                && !services.iter().any(|s| s.name == w.service)
            {
                return fail(
                    "replication.writes_per_request.service",
                    format!("unknown service `{}`", w.service),
                );
            }
        }
        Ok(())
    }
}

impl FailoverConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        positive("failover.health_check_interval", self.health_check_interval)?;
        if let Failback::WaitForCapacity(share) = self.failback
            && !(share > 0.0 && share <= 1.0)
        {
            return fail(
                "failover.failback",
                format!(
                    "expected WaitForCapacity's share of the pre-outage ready pods in (0, 1], \
                     got {share}"
                ),
            );
        }
        if !(1..=MAX_FAILURE_THRESHOLD).contains(&self.failure_threshold) {
            return fail(
                "failover.failure_threshold",
                format!("expected 1 to {MAX_FAILURE_THRESHOLD} checks (Route 53's range)"),
            );
        }
        if self.health_check_offset >= self.health_check_interval {
            return fail(
                "failover.health_check_offset",
                "expected an offset shorter than `health_check_interval`",
            );
        }
        if let Some(list) = &self.regions {
            if list.is_empty() {
                return fail("failover.regions", "expected at least one region");
            }
            no_duplicate(
                list.iter().map(String::as_str),
                |i| format!("failover.regions[{i}]"),
                "region",
            )?;
        }
        match &self.routing {
            RoutingPolicy::Latency => {}
            RoutingPolicy::Weighted(w) => {
                for (name, v) in w {
                    rate(&format!("failover.routing.Weighted.{name}"), *v, "a weight")?;
                }
            }
            RoutingPolicy::Failover(list) => {
                if list.is_empty() {
                    return fail("failover.routing.Failover", "expected at least one region");
                }
                no_duplicate(
                    list.iter().map(String::as_str),
                    |i| format!("failover.routing.Failover[{i}]"),
                    "region",
                )?;
            }
        }
        Ok(())
    }

    /// Every region named by the policy, `nearest` and `mode` is one of `regions`.
    fn check_names(&self, regions: &[String]) -> Result<(), ConfigError> {
        let known = |r: &str| regions.iter().any(|x| x == r);
        let unknown = |path: String, r: &str| {
            fail(
                path,
                format!("`{r}` is not a region of the load balancer: expected one of {regions:?}"),
            )
        };
        match &self.routing {
            RoutingPolicy::Latency => {}
            RoutingPolicy::Weighted(w) => {
                if let Some(r) = w.keys().find(|r| !known(r)) {
                    return unknown(format!("failover.routing.Weighted.{r}"), r);
                }
            }
            RoutingPolicy::Failover(list) => {
                if let Some((i, r)) = list.iter().enumerate().find(|(_, r)| !known(r)) {
                    return unknown(format!("failover.routing.Failover[{i}]"), r);
                }
            }
        }
        for (from, list) in &self.nearest {
            if !known(from) {
                return unknown(format!("failover.nearest.{from}"), from);
            }
            if let Some((i, r)) = list.iter().enumerate().find(|(_, r)| !known(r)) {
                return unknown(format!("failover.nearest.{from}[{i}]"), r);
            }
        }
        if let FailoverMode::ActivePassive { primary, .. } = &self.mode
            && !known(primary)
        {
            return unknown("failover.mode.primary".into(), primary);
        }
        Ok(())
    }
}

impl ReplicationConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        match self.mode {
            ReplicationMode::Sync | ReplicationMode::Async(LagModel::Constant(_)) => {}
            ReplicationMode::Async(LagModel::Throughput {
                apply_writes_per_s, ..
            }) => {
                if !(apply_writes_per_s.is_finite() && apply_writes_per_s > 0.0) {
                    return fail(
                        "replication.mode.apply_writes_per_s",
                        format!("expected a positive throughput, found {apply_writes_per_s}"),
                    );
                }
            }
            ReplicationMode::Async(LagModel::LogNormal { median, p99 }) => {
                positive("replication.mode.median", median)?;
                if p99 < median {
                    return fail("replication.mode.p99", "expected a p99 at least the median");
                }
            }
        }
        match (self.writes_per_s, &self.writes_per_request) {
            (Some(_), Some(_)) => fail(
                "replication.writes_per_request",
                "expected either `writes_per_s` or `writes_per_request`, not both",
            ),
            (Some(w), None) => rate("replication.writes_per_s", w, "writes per second"),
            (None, Some(w)) => rate(
                "replication.writes_per_request.writes",
                w.writes,
                "writes per request",
            ),
            (None, None) => fail(
                "replication",
                "expected `writes_per_s` or `writes_per_request`, to count the writes a failure loses",
            ),
        }
    }
}

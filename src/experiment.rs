//! The experiment file (schema v1, RON): loading, validation and resolution into a run plan.
//!
//! The experiment composes the sections each model owns (`models::config`); this module adds
//! what only the whole file knows: cross-references between sections, the instance catalog,
//! and where in the file each value sits, so every error carries file:line:col.
//!
//! RON is read with the `implicit_some` extension on, so an optional value is written plainly
//! (`p99_latency: "100ms"`) rather than as `Some("100ms")`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use models::api::{PoolTemplate, RoutePlan};
use models::autoscaler::config::{ClusterAutoscalerConfig, ConfigError, KarpenterConfig};
use models::autoscaler::expansion::{capacity_of, expand};
use models::autoscaler::model::{AutoscalerKind, NodeAutoscalerPlan};
use models::catalog::{Catalog, InstanceFacts, Provider};
use models::cluster::{BatchPlan, BatchWorkloadPlan};
use models::config::{
    BillingConfig, CapacityType, NamespaceConfig, NodePoolConfig, PriorityClassConfig,
    RegionConfig, SchedulerConfig, ServiceConfig,
};
use models::faults::config::FaultsConfig;
use models::faults::failover::standby_floors;
use models::faults::plan::{FaultsPlan, SpotPlan};
use models::faults::spot::Cloud;
use models::hpa::config::{HpaControllerConfig, MetricSpec, ResourceName};
use models::hpa::model::{CUSTOM_METRICS, HpaPlan, MemoryModel};
use models::jobs::BatchConfig;
use models::latency::Fidelity;
use models::plan::{ClusterPlan, NamespacePlan, PodTimings, PoolPlan, ServicePlan};
use models::run::Plan;
use ron::extensions::Extensions;
use serde::{Deserialize, Serialize};
use sim::time::{SimDuration, UtcInstant};
use workloads::router::Router;

use crate::error::InputError;
use crate::locate::{self, Position};

/// Upper bounds that keep a typo from turning into a run that never ends or fills the disk
/// (TigerStyle: "put a limit on everything").
const MAX_SAMPLES: u64 = 10_000_000;
const MAX_NODES_PER_POOL: u32 = 1_000_000;
const MAX_REPLICAS: u32 = 10_000_000;
/// `HighestUserDefinablePriority` (kubernetes `pkg/apis/scheduling/types.go`).
const HIGHEST_USER_PRIORITY: i32 = 1_000_000_000;

/// An experiment file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    /// Names the run in outputs and reports.
    pub name: String,
    /// Seed of every random stream of the run. Default 0; `--seed` overrides it.
    #[serde(default)]
    pub seed: u64,
    /// Simulated time span, e.g. "24h".
    pub duration: SimDuration,
    /// Simulated wall-clock instant of time zero, RFC 3339 UTC.
    /// Default "2026-11-27T00:00:00Z", midnight UTC of Black Friday 2026.
    #[serde(default = "default_start")]
    pub start: UtcInstant,
    /// Interval between rows of the time series. Default "1m", the resolution of the bundled
    /// request traces.
    #[serde(default = "default_output_interval")]
    pub output_interval: SimDuration,
    /// Price catalog: `gcp` (Compute Engine prices of 2026-07-30, default) or `aws`
    /// (EC2 on-demand prices of 2017-11-12, spot estimated from the 2025 Spot Advisor).
    #[serde(default = "default_provider")]
    pub provider: Provider,
    pub regions: Vec<RegionConfig>,
    #[serde(default)]
    pub node_pools: Vec<NodePoolConfig>,
    #[serde(default)]
    pub services: Vec<ServiceConfig>,
    /// Namespaces with their quotas. `default` exists without being declared.
    #[serde(default)]
    pub namespaces: Vec<NamespaceConfig>,
    /// PriorityClasses services may name.
    #[serde(default)]
    pub priority_classes: Vec<PriorityClassConfig>,
    #[serde(default)]
    pub scheduler: SchedulerConfig,
    #[serde(default)]
    pub billing: BillingConfig,
    /// Targets the run is judged against; none by default.
    #[serde(default)]
    pub targets: Targets,
    /// kube-controller-manager's HPA settings (sync period 15 s, tolerance 0.1, …; see
    /// `models::hpa::config`), for every service's `hpa`.
    #[serde(default)]
    pub hpa_controller: HpaControllerConfig,
    /// `Fluid` (default): queues as rates and closed forms. `Request`: every request drawn and
    /// queued, to check the fluid model on a small run (`--fidelity request` sets it too).
    #[serde(default)]
    pub fidelity: Fidelity,
    /// Batch workloads: Jobs arriving as a Poisson process or from a job trace, run with
    /// Kubernetes Job semantics (see `models::jobs::config`). Default: none.
    #[serde(default)]
    pub batch: Vec<BatchConfig>,
    /// Node autoscalers, at most one per region; none by default (pools keep their nodes).
    #[serde(default)]
    pub node_autoscaling: Vec<NodeAutoscalingConfig>,
    /// Spot reclaims, node failures, zone and regional outages, the global load balancer's
    /// failover and the database's replication (`models::faults::config`); none by default.
    #[serde(default)]
    pub faults: Option<FaultsConfig>,
}

impl Experiment {
    /// The cloud of a region: its own `provider`, else the experiment's.
    fn provider_of(&self, region: &RegionConfig) -> Provider {
        region.provider.unwrap_or(self.provider)
    }
}

/// The node autoscaler of one region: exactly one of `cluster_autoscaler` (every node pool of
/// the region is a node group, within its `min_nodes`..`max_nodes`) and `karpenter` (its
/// NodePools launch the catalog's instance types of the region; the region's node pools stay
/// as they are).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeAutoscalingConfig {
    pub region: String,
    #[serde(default)]
    pub cluster_autoscaler: Option<ClusterAutoscalerConfig>,
    #[serde(default)]
    pub karpenter: Option<KarpenterConfig>,
    /// Karpenter only: launch → Ready of its nodes. Default "60s", as a node pool's
    /// `provisioning_delay` (a Cluster Autoscaler's nodes take their pool's).
    #[serde(default)]
    pub provisioning_delay: Option<SimDuration>,
}

/// What the run must achieve; each unset target is not judged. Each target is judged as the
/// gate it amounts to (`src/summary.rs::target_gates`), e.g. `p99_latency_ms<=100`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// 99th percentile of the response time of all served requests of the run.
    #[serde(default)]
    pub p99_latency: Option<SimDuration>,
    /// Least share of arrived requests served within `p99_latency` (which it needs), in (0, 1]:
    /// 0.999 is "three nines".
    #[serde(default)]
    pub slo_attainment: Option<f64>,
    /// Most the node pools may cost over the run, in US dollars.
    #[serde(default)]
    pub budget_usd: Option<f64>,
    /// Longest replication lag a failure of the replication primary may lose, e.g. "15m"
    /// (needs `faults.replication` and a regional outage).
    #[serde(default)]
    pub rpo: Option<SimDuration>,
    /// Longest regional outage → SLO restored, e.g. "1h" (needs `faults.region_outages`).
    #[serde(default)]
    pub rto: Option<SimDuration>,
}

fn default_start() -> UtcInstant {
    UtcInstant::from_unix_s(1_795_737_600)
}

fn default_output_interval() -> SimDuration {
    SimDuration::from_secs(60)
}

fn default_provider() -> Provider {
    Provider::Gcp
}

/// A loaded, checked experiment and the source it came from.
pub struct Loaded {
    pub experiment: Experiment,
    pub plan: Plan,
}

/// Reads, parses, validates and resolves an experiment file; `seed` (from `--seed`) replaces
/// the file's seed before anything random is derived from it.
pub fn load(file: &Path, seed: Option<u64>) -> Result<Loaded, InputError> {
    let src = std::fs::read_to_string(file)
        .map_err(|e| InputError::whole_file(file, format!("cannot read the file: {e}")))?;
    let mut experiment = parse(file, &src)?;
    if let Some(seed) = seed {
        experiment.seed = seed;
    }
    let plan = resolve(file, &src, &experiment)?;
    Ok(Loaded { experiment, plan })
}

/// RON text → experiment, with the position and field path of the first error.
pub fn parse(file: &Path, src: &str) -> Result<Experiment, InputError> {
    parse_ron(file, src)
}

/// RON text → any file type of clustersim (experiment, sweep): `implicit_some` on, so an
/// optional value is written plainly; the first error with its position and field path.
pub fn parse_ron<T: serde::de::DeserializeOwned>(file: &Path, src: &str) -> Result<T, InputError> {
    let options = ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME);
    let mut de = ron::Deserializer::from_str_with_options(src, &options)
        .map_err(|e| spanned(file, String::new(), &e))?;
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        let field = if field == "." { String::new() } else { field };
        let code = e.into_inner();
        // For a value that parsed but was refused (a bad unit, a negative count) `ron` reports
        // where its cursor stopped, past the value's start: point at the value itself.
        let refused_value = matches!(
            code,
            ron::Error::Message(_)
                | ron::Error::IntegerOutOfBounds
                | ron::Error::InvalidValueForType { .. }
        );
        let mut located = spanned(file, field, &de.span_error(code));
        if refused_value
            && let Some(start) = locate::locate_exact(src, &locate::parse_path(&located.field))
        {
            located.position = Some(start);
        }
        located
    })?;
    de.end()
        .map_err(|e| spanned(file, String::new(), &de.span_error(e)))?;
    Ok(value)
}

fn spanned(file: &Path, field: String, e: &ron::error::SpannedError) -> InputError {
    InputError {
        file: file.to_owned(),
        position: Some(Position {
            line: e.span.start.line,
            col: e.span.start.col,
        }),
        field,
        message: e.code.to_string(),
    }
}

/// Checks cross-references and ranges, and builds the run plan.
pub fn resolve(file: &Path, src: &str, x: &Experiment) -> Result<Plan, InputError> {
    let err = |field: String, message: String| InputError::at_field(file, src, &field, message);
    if x.duration.is_zero() {
        return Err(err(
            "duration".into(),
            "expected a positive duration such as \"24h\"".into(),
        ));
    }
    if x.output_interval.is_zero() {
        return Err(err(
            "output_interval".into(),
            "expected a positive duration such as \"1m\"".into(),
        ));
    }
    if x.duration.as_nanos() / x.output_interval.as_nanos() > MAX_SAMPLES {
        return Err(err(
            "output_interval".into(),
            format!(
                "{} samples over {} is more than the limit of {MAX_SAMPLES}: expected a longer interval",
                x.duration.as_nanos() / x.output_interval.as_nanos(),
                x.duration
            ),
        ));
    }

    if x.regions.is_empty() {
        return Err(err("regions".into(), "expected at least one region".into()));
    }
    let mut region_names = BTreeSet::new();
    for (i, r) in x.regions.iter().enumerate() {
        if !region_names.insert(r.name.as_str()) {
            return Err(err(
                format!("regions[{i}].name"),
                format!("region `{}` is declared twice", r.name),
            ));
        }
        if r.zones.is_empty() {
            return Err(err(
                format!("regions[{i}].zones"),
                "expected at least one zone".into(),
            ));
        }
        if let Some(dup) = first_duplicate(&r.zones) {
            return Err(err(
                format!("regions[{i}].zones"),
                format!("zone `{dup}` is listed twice"),
            ));
        }
    }
    let region = |name: &str| x.regions.iter().find(|r| r.name == name);
    let known_regions = || {
        x.regions
            .iter()
            .map(|r| format!("`{}`", r.name))
            .collect::<Vec<_>>()
            .join(", ")
    };

    let mut pools = Vec::new();
    let mut pool_names = BTreeSet::new();
    for (i, p) in x.node_pools.iter().enumerate() {
        let at = |f: &str| format!("node_pools[{i}].{f}");
        if !pool_names.insert(p.name.as_str()) {
            return Err(err(
                at("name"),
                format!("node pool `{}` is declared twice", p.name),
            ));
        }
        let Some(reg) = region(&p.region) else {
            return Err(err(
                at("region"),
                format!(
                    "unknown region `{}`: expected one of {}",
                    p.region,
                    known_regions()
                ),
            ));
        };
        let zones = match &p.zones {
            None => reg.zones.clone(),
            Some(zones) => {
                if zones.is_empty() {
                    return Err(err(
                        at("zones"),
                        "expected at least one zone, or no `zones` field for all".into(),
                    ));
                }
                if let Some(z) = zones.iter().find(|z| !reg.zones.contains(z)) {
                    return Err(err(
                        at("zones"),
                        format!(
                            "zone `{z}` is not a zone of region `{}`: expected one of {:?}",
                            reg.name, reg.zones
                        ),
                    ));
                }
                zones.clone()
            }
        };
        let provider = x.provider_of(reg);
        let instance = lookup_instance(builtin_catalog(file, provider)?, provider, p)
            .map_err(|message| err(at("instance_type"), message))?;
        if p.capacity_type == CapacityType::Spot && instance.spot_usd_per_hour.is_none() {
            return Err(err(
                at("capacity_type"),
                format!(
                    "the catalog has no spot price for `{}` in `{}`: expected OnDemand",
                    p.instance_type, p.region
                ),
            ));
        }
        if p.nodes > MAX_NODES_PER_POOL {
            return Err(err(
                at("nodes"),
                format!("expected at most {MAX_NODES_PER_POOL} nodes per pool"),
            ));
        }
        if let Some(max) = p.max_nodes {
            if p.min_nodes > max {
                return Err(err(
                    at("min_nodes"),
                    format!(
                        "min_nodes {} is more than max_nodes {max}: expected min_nodes <= max_nodes",
                        p.min_nodes
                    ),
                ));
            }
            if p.nodes > max {
                return Err(err(
                    at("nodes"),
                    format!("{} nodes is more than max_nodes {max}", p.nodes),
                ));
            }
        }
        if p.nodes < p.min_nodes {
            return Err(err(
                at("nodes"),
                format!("{} nodes is fewer than min_nodes {}", p.nodes, p.min_nodes),
            ));
        }
        pools.push(PoolPlan {
            name: p.name.clone(),
            region: p.region.clone(),
            zones,
            instance,
            capacity_type: p.capacity_type,
            nodes: p.nodes,
            min_nodes: p.min_nodes,
            max_nodes: p.max_nodes,
            provisioning_delay: p.provisioning_delay,
            labels: p.labels.clone(),
            taints: p.taints.clone(),
        });
    }

    let mut namespaces = vec![NamespacePlan {
        name: "default".to_owned(),
        quota_cpu_millis: None,
        quota_memory_bytes: None,
        quota_pods: None,
    }];
    for (i, n) in x.namespaces.iter().enumerate() {
        let plan = NamespacePlan {
            name: n.name.clone(),
            quota_cpu_millis: n.quota.and_then(|q| q.cpu).map(|c| c.0),
            quota_memory_bytes: n.quota.and_then(|q| q.memory).map(|m| m.0),
            quota_pods: n.quota.and_then(|q| q.pods),
        };
        if x.namespaces[..i].iter().any(|o| o.name == n.name) {
            return Err(err(
                format!("namespaces[{i}].name"),
                format!("namespace `{}` is declared twice", n.name),
            ));
        }
        if n.name == "default" {
            // Declaring `default` gives it a quota.
            namespaces[0] = plan;
        } else {
            namespaces.push(plan);
        }
    }
    let mut default_priority = 0;
    let mut default_class: Option<&str> = None;
    for (i, c) in x.priority_classes.iter().enumerate() {
        if x.priority_classes[..i].iter().any(|o| o.name == c.name) {
            return Err(err(
                format!("priority_classes[{i}].name"),
                format!("priority class `{}` is declared twice", c.name),
            ));
        }
        if c.value > HIGHEST_USER_PRIORITY {
            return Err(err(
                format!("priority_classes[{i}].value"),
                format!(
                    "expected at most {HIGHEST_USER_PRIORITY}: higher values are reserved for system classes"
                ),
            ));
        }
        if c.global_default {
            if let Some(other) = default_class {
                return Err(err(
                    format!("priority_classes[{i}].global_default"),
                    format!("`{other}` is already the global default: expected at most one"),
                ));
            }
            default_class = Some(&c.name);
            default_priority = c.value;
        }
    }

    let mut services = Vec::new();
    let mut routes = Vec::new();
    let mut hpas = Vec::new();
    // Regions each service name is deployed to so far: one name may have one entry per set of
    // regions (its own traffic and sizes there), never two entries in one region.
    let mut deployed: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (i, s) in x.services.iter().enumerate() {
        let at = |f: &str| format!("services[{i}].{f}");
        if !(s.capacity_rps.is_finite() && s.capacity_rps > 0.0) {
            return Err(err(
                at("capacity_rps"),
                "expected a number of requests per second > 0".into(),
            ));
        }
        if s.replicas > MAX_REPLICAS {
            return Err(err(
                at("replicas"),
                format!("expected at most {MAX_REPLICAS} replicas"),
            ));
        }
        if s.timeout.is_zero() {
            return Err(err(
                at("timeout"),
                "expected a positive duration such as \"30s\"".into(),
            ));
        }
        let traffic = resolve_traffic(file, src, i, &s.traffic, x.duration)?;
        let (namespace, priority) = namespace_and_priority(
            &namespaces,
            &x.priority_classes,
            default_priority,
            &s.namespace,
            s.priority_class.as_deref(),
        )
        .map_err(|(field, message)| err(at(field), message))?;
        let mut replica_schedule = Vec::new();
        for (j, step) in s.scale.iter().enumerate() {
            let here = format!("services[{i}].scale[{j}]");
            if step.at.is_zero() || step.at > x.duration {
                return Err(err(
                    format!("{here}.at"),
                    format!("expected an instant inside the run (0, {}]", x.duration),
                ));
            }
            if replica_schedule
                .last()
                .is_some_and(|&(t, _)| t >= sim::time::SimTime::from_nanos(step.at.as_nanos()))
            {
                return Err(err(
                    format!("{here}.at"),
                    "expected steps in increasing time order".into(),
                ));
            }
            if step.replicas > MAX_REPLICAS {
                return Err(err(
                    format!("{here}.replicas"),
                    format!("expected at most {MAX_REPLICAS} replicas"),
                ));
            }
            replica_schedule.push((
                sim::time::SimTime::from_nanos(step.at.as_nanos()),
                step.replicas,
            ));
        }
        if let Some(limits) = s.limits {
            // API validation: a request must not exceed its limit.
            if limits.cpu.is_some_and(|l| l.0 < s.requests.cpu.0) {
                return Err(err(
                    at("limits.cpu"),
                    "expected at least the cpu request".into(),
                ));
            }
            if limits.memory.is_some_and(|l| l.0 < s.requests.memory.0) {
                return Err(err(
                    at("limits.memory"),
                    "expected at least the memory request".into(),
                ));
            }
        }
        for (j, term) in s.node_affinity.iter().enumerate() {
            if let Some(k) = term.match_expressions.iter().position(|r| !r.is_valid()) {
                return Err(err(
                    format!("services[{i}].node_affinity[{j}].match_expressions[{k}]"),
                    "expected values to suit the operator: In/NotIn at least one, \
                     Exists/DoesNotExist none, Gt/Lt one integer"
                        .into(),
                ));
            }
        }
        let (zone_max_skew, host_max_skew) =
            hard_spread(&s.topology_spread).map_err(|(j, field, message)| {
                err(
                    format!("services[{i}].topology_spread[{j}].{field}"),
                    message,
                )
            })?;
        let regions: Vec<&str> = match &s.regions {
            None => x.regions.iter().map(|r| r.name.as_str()).collect(),
            Some(names) => {
                if names.is_empty() {
                    return Err(err(
                        at("regions"),
                        "expected at least one region, or no `regions` field for all".into(),
                    ));
                }
                for (j, name) in names.iter().enumerate() {
                    if region(name).is_none() {
                        return Err(err(
                            format!("services[{i}].regions[{j}]"),
                            format!(
                                "unknown region `{name}`: expected one of {}",
                                known_regions()
                            ),
                        ));
                    }
                }
                if let Some(dup) = first_duplicate(names) {
                    return Err(err(
                        at("regions"),
                        format!("region `{dup}` is listed twice"),
                    ));
                }
                names.iter().map(String::as_str).collect()
            }
        };
        let earlier = deployed.entry(s.name.as_str()).or_default();
        if let Some(r) = regions.iter().find(|r| earlier.contains(r)) {
            return Err(err(
                at("name"),
                format!(
                    "service `{}` is declared twice in region `{r}`: expected one entry per \
                     region (give this entry `regions` that the other does not list)",
                    s.name
                ),
            ));
        }
        if !earlier.is_empty() && s.routing.is_some() {
            return Err(err(
                at("routing"),
                format!(
                    "service `{}` has several entries: expected `routing` only on a service \
                     declared once (it splits one global rate over the entry's regions)",
                    s.name
                ),
            ));
        }
        earlier.extend(regions.iter().copied());
        if let Some(routing) = &s.routing {
            let names: Vec<String> = regions.iter().map(|r| (*r).to_owned()).collect();
            routing.validate(&names).map_err(|(field, message)| {
                let field = if field.is_empty() {
                    at("routing")
                } else {
                    at(&format!("routing.{field}"))
                };
                err(field, message)
            })?;
            routes.push(RoutePlan {
                router: Router::new(routing.clone(), names),
                services: (services.len()..services.len() + regions.len())
                    .map(|k| k as u32)
                    .collect(),
            });
        }
        if let Some(w) = s.warm_up
            && !(w.initial_speed > 0.0 && w.initial_speed <= 1.0)
        {
            return Err(err(
                at("warm_up.initial_speed"),
                "expected a fraction of the full rate in (0, 1], such as 0.5".into(),
            ));
        }
        if let Some(hpa) = &s.hpa {
            check_hpa(hpa, s.memory_usage.is_some())
                .map_err(|(field, message)| err(format!("services[{i}].hpa.{field}"), message))?;
            // The services of this entry are pushed next, one per region, in this order.
            for (k, r) in regions.iter().enumerate() {
                hpas.push(HpaPlan {
                    service: (services.len() + k) as u32,
                    name: format!("{}-{r}", s.name),
                    config: hpa.clone(),
                    capacity_rps: s.capacity_rps,
                    memory: s.memory_usage.map(|m| MemoryModel {
                        base_bytes: m.base.0,
                        bytes_per_rps: m.per_rps.0,
                    }),
                });
            }
        }
        for r in regions {
            // Global traffic has one noise stream, shared by the regions it is split over.
            let stream = match s.routing {
                Some(_) => format!("traffic/{}", s.name),
                None => format!("traffic/{}/{r}", s.name),
            };
            services.push(ServicePlan {
                name: s.name.clone(),
                region: r.to_owned(),
                replicas: s.replicas,
                requests: s.requests,
                limits: (
                    s.limits.and_then(|l| l.cpu).map(|c| c.0),
                    s.limits.and_then(|l| l.memory).map(|m| m.0),
                ),
                capacity_rps: s.capacity_rps,
                timeout: s.timeout,
                traffic: traffic.seeded(x.seed, &stream),
                namespace: namespace as u32,
                priority,
                replica_schedule: replica_schedule.clone(),
                timings: PodTimings {
                    startup: s.startup,
                    readiness: s.readiness,
                    termination_grace: s.termination_grace,
                },
                node_selector: s.node_selector.clone(),
                node_affinity: s.node_affinity.clone(),
                tolerations: s.tolerations.clone(),
                min_available: s.disruption_budget.map(|b| b.min_available),
                zone_max_skew,
                host_max_skew,
                warm_up: s.warm_up.map(|w| (w.duration, w.initial_speed)),
            });
        }
    }

    if let Err((i, expected)) = x.scheduler.scoring.validate() {
        return Err(err(
            format!("scheduler.scoring.shape[{i}]"),
            format!("expected {expected}"),
        ));
    }
    if let Some(t) = x.targets.p99_latency
        && t.is_zero()
    {
        return Err(err(
            "targets.p99_latency".into(),
            "expected a positive duration such as \"100ms\"".into(),
        ));
    }
    if let Some(a) = x.targets.slo_attainment {
        if !(a > 0.0 && a <= 1.0) {
            return Err(err(
                "targets.slo_attainment".into(),
                "expected a fraction in (0, 1] such as 0.999".into(),
            ));
        }
        if x.targets.p99_latency.is_none() {
            return Err(err(
                "targets.slo_attainment".into(),
                "SLO attainment is the share of requests served within `p99_latency`: \
                 expected a `p99_latency` target beside it"
                    .into(),
            ));
        }
    }
    if let Some(b) = x.targets.budget_usd
        && !(b.is_finite() && b >= 0.0)
    {
        return Err(err(
            "targets.budget_usd".into(),
            "expected a number of US dollars >= 0 such as 5000".into(),
        ));
    }

    let batch = resolve_batch(file, src, x, &namespaces, default_priority)?;
    let node_autoscalers = resolve_node_autoscaling(file, src, x, &mut pools)?;
    let faults = resolve_faults(file, src, x, &pools, &mut services, &mut hpas)?;
    Ok(Plan {
        seed: x.seed,
        fidelity: x.fidelity,
        start: x.start,
        duration: x.duration,
        output_interval: x.output_interval,
        cluster: ClusterPlan {
            pools,
            services,
            namespaces,
            latency_target: x.targets.p99_latency,
            scoring: x.scheduler.scoring.clone(),
            minimum_billed: x.billing.minimum_billed,
        },
        hpas,
        hpa_controller: x.hpa_controller.clone(),
        batch,
        routes,
        node_autoscalers,
        faults,
        event_budget: models::run::DEFAULT_EVENT_BUDGET,
    })
}

/// A workload's namespace index and priority: its `priority_class`'s value, or the global
/// default. Errors name the field (`namespace`, `priority_class`) and say what was expected.
fn namespace_and_priority(
    namespaces: &[NamespacePlan],
    classes: &[PriorityClassConfig],
    default_priority: i32,
    namespace: &str,
    class: Option<&str>,
) -> Result<(usize, i32), (&'static str, String)> {
    let Some(index) = namespaces.iter().position(|n| n.name == namespace) else {
        return Err((
            "namespace",
            format!("unknown namespace `{namespace}`: declare it in `namespaces`"),
        ));
    };
    let priority = match class {
        None => default_priority,
        Some(name) => match classes.iter().find(|c| c.name == name) {
            Some(c) => c.value,
            None => {
                return Err((
                    "priority_class",
                    format!("unknown priority class `{name}`: declare it in `priority_classes`"),
                ));
            }
        },
    };
    Ok((index, priority))
}

/// The embedded catalog of a cloud; unreadable only if the build embedded a broken file.
fn builtin_catalog(file: &Path, provider: Provider) -> Result<&'static Catalog, InputError> {
    Catalog::builtin(provider).map_err(|e| {
        InputError::whole_file(
            file,
            format!("the built-in instance catalog is unreadable: {e}"),
        )
    })
}

fn lookup_instance(
    catalog: &Catalog,
    provider: Provider,
    p: &NodePoolConfig,
) -> Result<InstanceFacts, String> {
    if let Some(facts) = catalog.get(&p.instance_type, &p.region) {
        return Ok(facts.clone());
    }
    let mut message = format!(
        "instance type `{}` is not in the {provider:?} catalog for region `{}`",
        p.instance_type, p.region
    );
    match catalog.suggest(&p.instance_type, &p.region) {
        Some(s) => message.push_str(&format!(": did you mean `{s}`?")),
        None if catalog.regions().all(|r| r != p.region) => {
            message.push_str(&format!(": the catalog has no region `{}`", p.region));
        }
        None => {}
    }
    Err(message)
}

/// Checks a service's HPA beyond its own validation: the metrics clustersim can measure. The
/// field (relative to `hpa`) and what was expected.
fn check_hpa(
    hpa: &models::hpa::config::HpaConfig,
    has_memory_usage: bool,
) -> Result<(), (String, String)> {
    hpa.validate().map_err(|e| (e.path, e.message))?;
    for (j, metric) in hpa.metrics.iter().enumerate() {
        let custom = match metric {
            MetricSpec::Resource { name, .. } | MetricSpec::ContainerResource { name, .. } => {
                if *name == ResourceName::Memory && !has_memory_usage {
                    return Err((
                        format!("metrics[{j}]"),
                        "a memory metric needs the service's `memory_usage`, e.g. \
                         `memory_usage: (base: \"300Mi\", per_rps: \"2Mi\")`"
                            .into(),
                    ));
                }
                None
            }
            MetricSpec::Pods { metric, .. }
            | MetricSpec::Object { metric, .. }
            | MetricSpec::External { metric, .. } => Some(metric),
        };
        if let Some(m) = custom
            && !CUSTOM_METRICS.contains(&m.as_str())
        {
            return Err((
                format!("metrics[{j}]"),
                format!("unknown metric `{m}`: expected one of {CUSTOM_METRICS:?}"),
            ));
        }
    }
    Ok(())
}

fn first_duplicate(items: &[String]) -> Option<&str> {
    let mut seen = BTreeSet::new();
    items
        .iter()
        .find(|i| !seen.insert(i.as_str()))
        .map(String::as_str)
}

/// Which constraint of `topology_spread`, which of its fields, and what was expected.
type SpreadError = (usize, &'static str, String);

/// The `maxSkew` of a service's hard spread over zones and over nodes, or the (index, field,
/// message) of what is not supported: at most one constraint per key, on
/// `topology.kubernetes.io/zone` or `kubernetes.io/hostname`, with `max_skew` ≥ 1.
fn hard_spread(
    constraints: &[models::config::TopologySpreadConfig],
) -> Result<(Option<u32>, Option<u32>), SpreadError> {
    const ZONE: &str = "topology.kubernetes.io/zone";
    const HOST: &str = "kubernetes.io/hostname";
    let (mut zone, mut host) = (None, None);
    for (j, c) in constraints.iter().enumerate() {
        let slot = match c.topology_key.as_str() {
            ZONE => &mut zone,
            HOST => &mut host,
            _ => {
                return Err((
                    j,
                    "topology_key",
                    format!("expected \"{ZONE}\" or \"{HOST}\": other keys are not modelled"),
                ));
            }
        };
        if c.max_skew == 0 {
            return Err((j, "max_skew", "expected a max_skew of at least 1".into()));
        }
        if slot.replace(c.max_skew).is_some() {
            return Err((j, "topology_key", "expected one constraint per key".into()));
        }
    }
    Ok((zone, host))
}

/// Checks service `i`'s traffic and reads its trace files, relative to the directory of the
/// experiment file, so that the plan holds the data; a bad parameter or trace row is an input
/// error located at its field (exit 2).
fn resolve_traffic(
    file: &Path,
    src: &str,
    i: usize,
    traffic: &workloads::traffic::Shape,
    duration: SimDuration,
) -> Result<workloads::traffic::Shape, InputError> {
    use locate::Segment;
    let dir = file.parent().unwrap_or(Path::new("."));
    traffic
        .resolve_with(dir, duration, Some(reports::read_trace_columns))
        .map_err(|e| {
        let field = if e.path.is_empty() {
            format!("services[{i}].traffic")
        } else {
            format!("services[{i}].traffic.{}", e.path)
        };
        // `locate` reads the newtype `Sum([a, b])` positionally: its list is entry 0, so part
        // `Sum[i]` is at `[0][i]` in the text.
        let mut path = Vec::new();
        for segment in locate::parse_path(&field) {
            if matches!(segment, Segment::Index(_))
                && matches!(path.last(), Some(Segment::Field(f)) if f == "Sum" || f == "Product")
            {
                path.pop();
                path.push(Segment::Index(0));
            }
            path.push(segment);
        }
        InputError {
            file: file.to_owned(),
            position: locate::locate(src, &path),
            field,
            message: e.message,
        }
    })
}

/// The batch workloads' Jobs: each workload checked (errors located under `batch[i]`), its
/// namespace and PriorityClass resolved, its arrivals drawn or read, in submission order.
fn resolve_batch(
    file: &Path,
    src: &str,
    x: &Experiment,
    namespaces: &[NamespacePlan],
    default_priority: i32,
) -> Result<Option<BatchPlan>, InputError> {
    if x.batch.is_empty() {
        return Ok(None);
    }
    let err = |field: String, message: String| InputError::at_field(file, src, &field, message);
    let dir = file.parent().unwrap_or(Path::new("."));
    let mut workloads = Vec::new();
    let mut specs = Vec::new();
    let mut failures = Vec::new();
    for (i, b) in x.batch.iter().enumerate() {
        let at = |f: &str| format!("batch[{i}].{f}");
        if x.batch[..i].iter().any(|o| o.name == b.name) {
            return Err(err(
                at("name"),
                format!("batch workload `{}` is declared twice", b.name),
            ));
        }
        let region = match &b.region {
            None => x.regions[0].name.clone(),
            Some(r) if x.regions.iter().any(|g| &g.name == r) => r.clone(),
            Some(r) => {
                return Err(err(at("region"), format!("unknown region `{r}`")));
            }
        };
        let (namespace, priority) = namespace_and_priority(
            namespaces,
            &x.priority_classes,
            default_priority,
            &b.namespace,
            b.priority_class.as_deref(),
        )
        .map_err(|(field, message)| err(at(field), message))?;
        let arrivals = b
            .arrivals(dir, x.start, x.duration, x.seed)
            .map_err(|e| err(at(&e.path), e.message))?;
        for (k, a) in arrivals.iter().enumerate() {
            specs.push(b.spec(i as u32, namespace as u32, priority, k as u32, a));
        }
        failures.push(b.failures(x.seed));
        workloads.push(BatchWorkloadPlan {
            name: b.name.clone(),
            region,
        });
    }
    // Submission order; the sort is stable, so ties keep workload then index order.
    specs.sort_by_key(|s| s.submit);
    Ok(Some(BatchPlan {
        workloads,
        specs,
        failures,
    }))
}

/// Launch → Ready of a Karpenter node when the experiment does not say: a node pool's default
/// `provisioning_delay` (`models::config::NodePoolConfig`).
const DEFAULT_KARPENTER_PROVISIONING_DELAY: SimDuration = SimDuration::from_secs(60);

/// Checks `node_autoscaling` and resolves one plan per entry, in the file's order. Karpenter's
/// NodePools are expanded into pools appended to `pools` (`models::autoscaler::expansion`).
fn resolve_node_autoscaling(
    file: &Path,
    src: &str,
    x: &Experiment,
    pools: &mut Vec<PoolPlan>,
) -> Result<Vec<NodeAutoscalerPlan>, InputError> {
    let err = |field: String, message: String| InputError::at_field(file, src, &field, message);
    let config_err = |at: &str, e: ConfigError| err(format!("{at}.{}", e.path), e.message);
    let mut plans = Vec::new();
    for (i, entry) in x.node_autoscaling.iter().enumerate() {
        let at = |f: &str| format!("node_autoscaling[{i}].{f}");
        let Some(region) = x.regions.iter().find(|r| r.name == entry.region) else {
            return Err(err(
                at("region"),
                format!("unknown region `{}`: declare it in `regions`", entry.region),
            ));
        };
        if x.node_autoscaling[..i]
            .iter()
            .any(|o| o.region == entry.region)
        {
            return Err(err(
                at("region"),
                format!(
                    "region `{}` already has a node autoscaler: expected one per region",
                    entry.region
                ),
            ));
        }
        let (groups, templates, kind) = match (&entry.cluster_autoscaler, &entry.karpenter) {
            (Some(config), None) => {
                config
                    .validate()
                    .map_err(|e| config_err(&at("cluster_autoscaler"), e))?;
                if entry.provisioning_delay.is_some() {
                    return Err(err(
                        at("provisioning_delay"),
                        "a Cluster Autoscaler's nodes take their pool's `provisioning_delay`: \
                         expected it on the node pools"
                            .into(),
                    ));
                }
                let mut templates = Vec::new();
                for (p, pool) in pools.iter().enumerate() {
                    if pool.region != region.name {
                        continue;
                    }
                    if pool.max_nodes.is_none() {
                        return Err(err(
                            format!("node_pools[{p}]"),
                            format!(
                                "node pool `{}` is a node group of the Cluster Autoscaler of `{}`: \
                                 expected a `max_nodes`",
                                pool.name, region.name
                            ),
                        ));
                    }
                    templates.push(PoolTemplate {
                        pool: p as u32,
                        group: templates.len() as u32,
                        instance_type: pool.instance.instance_type.as_str().into(),
                        capacity: capacity_of(&pool.instance),
                    });
                }
                if templates.is_empty() {
                    return Err(err(
                        at("cluster_autoscaler"),
                        format!(
                            "region `{}` has no node pool for the Cluster Autoscaler to scale: \
                             declare one in `node_pools`",
                            region.name
                        ),
                    ));
                }
                (
                    templates.len() as u32,
                    templates,
                    AutoscalerKind::ClusterAutoscaler(config.clone()),
                )
            }
            (None, Some(config)) => {
                let catalog = builtin_catalog(file, x.provider_of(region))?;
                let rows: Vec<InstanceFacts> = catalog
                    .rows()
                    .iter()
                    .filter(|r| r.region == region.name)
                    .cloned()
                    .collect();
                let delay = entry
                    .provisioning_delay
                    .unwrap_or(DEFAULT_KARPENTER_PROVISIONING_DELAY);
                let expansion = expand(
                    config,
                    &region.name,
                    &region.zones,
                    &rows,
                    pools.len() as u32,
                    delay,
                )
                .map_err(|e| config_err(&at("karpenter"), e))?;
                for new in &expansion.pools {
                    if let Some(p) = pools.iter().position(|p| p.name == new.name) {
                        return Err(err(
                            format!("node_pools[{p}].name"),
                            format!(
                                "`{}` is also the name of a pool Karpenter's NodePools launch \
                                 into: expected another name",
                                new.name
                            ),
                        ));
                    }
                }
                pools.extend(expansion.pools.iter().cloned());
                (
                    config.node_pools.len() as u32,
                    expansion.templates.clone(),
                    AutoscalerKind::Karpenter {
                        expansion,
                        zones: region.zones.clone(),
                        provisioning_delay: delay,
                    },
                )
            }
            _ => {
                return Err(err(
                    format!("node_autoscaling[{i}]"),
                    "expected exactly one of `cluster_autoscaler` and `karpenter`".into(),
                ));
            }
        };
        plans.push(NodeAutoscalerPlan {
            region: region.name.clone(),
            seed: x.seed,
            pools: templates,
            groups,
            kind,
        });
    }
    Ok(plans)
}

/// Checks the `faults` section and the RPO/RTO targets (errors located through
/// `InputError::at_field`, the section's paths prefixed `faults.`), resolves each spot pool's
/// rate (the catalog's Spot Advisor band unless the experiment gives one) and notice, and sizes
/// the warm standbys of an active-passive load balancer: each standby deployment starts at
/// `standby_min_replicas`, and its HPA's `min_replicas` is raised to it (within
/// `max_replicas`) so that the standby stays warm while it takes no traffic.
fn resolve_faults(
    file: &Path,
    src: &str,
    x: &Experiment,
    pools: &[PoolPlan],
    services: &mut [ServicePlan],
    hpas: &mut [HpaPlan],
) -> Result<Option<FaultsPlan>, InputError> {
    let err = |field: String, message: String| InputError::at_field(file, src, &field, message);
    let faults = x.faults.as_ref();
    if x.targets.rpo.is_some() && faults.is_none_or(|f| f.replication.is_none()) {
        return Err(err(
            "targets.rpo".into(),
            "the RPO is the data a failure of the replication primary loses: expected a \
             `faults.replication` section beside it"
                .into(),
        ));
    }
    if let Some(rto) = x.targets.rto {
        if rto.is_zero() {
            return Err(err(
                "targets.rto".into(),
                "expected a positive duration such as \"1h\"".into(),
            ));
        }
        if faults.is_none_or(|f| f.region_outages.is_empty()) {
            return Err(err(
                "targets.rto".into(),
                "the RTO is measured from a regional outage: expected `faults.region_outages` \
                 beside it"
                    .into(),
            ));
        }
    }
    let Some(f) = faults else {
        return Ok(None);
    };
    let in_section = |e: models::faults::ConfigError| err(format!("faults.{}", e.path), e.message);
    f.validate().map_err(in_section)?;
    f.check_references(&x.regions, &x.node_pools, &x.services)
        .map_err(in_section)?;
    for (field, set) in [
        ("rpo", f.targets.rpo.is_some()),
        ("rto", f.targets.rto.is_some()),
    ] {
        if set {
            return Err(err(
                format!("faults.targets.{field}"),
                format!(
                    "write the {} target with the others, in the experiment's `targets` \
                     section (`targets: ({field}: ...)`); `faults.targets` holds only `rto_hold`",
                    field.to_uppercase()
                ),
            ));
        }
    }
    if let Some(r) = &f.replication
        && let Some(w) = &r.writes_per_request
        && !services
            .iter()
            .any(|s| s.name == w.service && s.region == r.primary)
    {
        return Err(err(
            "faults.replication.writes_per_request.service".into(),
            format!(
                "service `{}` does not run in the primary region `{}`: expected a service \
                 of the primary",
                w.service, r.primary
            ),
        ));
    }
    let cloud = Cloud::from(x.provider);
    let pool_clouds: Vec<Cloud> = pools
        .iter()
        .map(|p| {
            x.regions
                .iter()
                .find(|r| r.name == p.region)
                .map_or(cloud, |r| Cloud::from(x.provider_of(r)))
        })
        .collect();
    let mut spot = Vec::new();
    for (i, sp) in f.spot.iter().enumerate() {
        // `check_references` has checked that the pool exists.
        let Some(p) = pools.iter().position(|p| p.name == sp.pool) else {
            continue;
        };
        let rate_per_node_hour = sp
            .rate_per_node_hour(pools[p].instance.interruption_band.as_deref())
            .map_err(|m| err(format!("faults.spot[{i}].interruptions"), m))?;
        spot.push(SpotPlan {
            pool: p as u32,
            rate_per_node_hour,
            timings: sp.timings(pool_clouds[p]),
        });
    }
    if let Some(failover) = &f.failover {
        let regions: Vec<String> = x.regions.iter().map(|r| r.name.clone()).collect();
        for (id, floor) in standby_floors(failover, &regions, services) {
            let replicas = match hpas.iter_mut().find(|h| h.service == id) {
                Some(h) => {
                    let c = &mut h.config;
                    c.min_replicas = c.min_replicas.max(floor).min(c.max_replicas);
                    c.min_replicas
                }
                None => floor,
            };
            services[id as usize].replicas = replicas;
        }
    }
    Ok(Some(FaultsPlan {
        config: f.clone(),
        spot,
        cloud,
        pool_clouds,
        regions: x.regions.clone(),
    }))
}

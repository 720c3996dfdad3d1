//! The `services` section: each entry checked (errors under `services[i]`) and resolved into
//! one `ServicePlan` per region it runs in, with its HPA and its global route.

use std::collections::BTreeMap;
use std::path::Path;

use models::api::RoutePlan;
use models::api::{BoundsStep, MemoryModel};
use models::config::{ServiceConfig, Toleration, TolerationOperator, TopologySpreadConfig};
use models::hpa::model::HpaPlan;
use models::plan::{GPU_RESOURCE, NamespacePlan, PodTimings, ServicePlan};
use models::vpa::model::VpaPlan;
use sim::time::{SimDuration, SimTime};
use workloads::router::Router;

use super::cluster::{first_duplicate, known_regions};
use super::namespaces::namespace_and_priority;
use super::{Experiment, hpa, traffic, vpa};
use crate::error::{FieldError, fail};

/// Most replicas a service (or a `scale` step) may ask for, so a typo cannot start a run
/// that never ends. What the bound costs, measured with `/usr/bin/time -v` on the test
/// experiment (`tests/common::GOOD`, 2 nodes, 1 h, debug build): 1 M replicas, 3.4 s and
/// 136 MB peak; 10 M, 20.5 s and 1.07 GB (about 100 bytes per pod, nearly all of them
/// Pending). Kept at 10 M, the order of the largest clusters (the full Black-Friday day runs
/// 2.3 M pods); the README's limits table says what it costs.
pub const MAX_REPLICAS: u32 = 10_000_000;

/// The services' plans (one per entry and region, in file order), their routes and HPAs.
#[derive(Default)]
pub struct Services {
    pub services: Vec<ServicePlan>,
    /// Per plan in `services`: the index of its entry in the file's `services`.
    pub entry: Vec<usize>,
    pub routes: Vec<RoutePlan>,
    pub hpas: Vec<HpaPlan>,
    pub vpas: Vec<VpaPlan>,
}

/// What the services may name, resolved before them.
pub struct Context<'a> {
    pub base_dir: &'a Path,
    pub namespaces: &'a [NamespacePlan],
    pub default_priority: i32,
}

/// Checks and resolves every entry of `services`.
pub fn resolve(x: &Experiment, cx: &Context) -> Result<Services, FieldError> {
    let mut out = Services::default();
    // Regions each service name is deployed to so far: one name may have one entry per set of
    // regions (its own traffic and sizes there), never two entries in one region.
    let mut deployed: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (i, s) in x.services.iter().enumerate() {
        resolve_entry(x, cx, s, &mut deployed, &mut out)
            .map_err(|e| e.within(&format!("services[{i}]")))?;
        out.entry.resize(out.services.len(), i);
    }
    Ok(out)
}

/// One entry; errors relative to it.
fn resolve_entry<'a>(
    x: &'a Experiment,
    cx: &Context,
    s: &'a ServiceConfig,
    deployed: &mut BTreeMap<&'a str, Vec<&'a str>>,
    out: &mut Services,
) -> Result<(), FieldError> {
    check_sizes(s)?;
    let traffic =
        traffic::resolve(&s.traffic, cx.base_dir, x.duration).map_err(|e| e.within("traffic"))?;
    let (namespace, priority) = namespace_and_priority(
        cx.namespaces,
        &x.priority_classes,
        cx.default_priority,
        &s.namespace,
        s.priority_class.as_deref(),
    )?;
    let replica_schedule = replica_schedule(s, x.duration)?;
    check_placement(s)?;
    let gpus = gpus(s)?;
    let (zone_max_skew, host_max_skew) = hard_spread(&s.topology_spread)?;
    let regions = regions(x, s)?;
    let earlier = deployed.entry(s.name.as_str()).or_default();
    if let Some(r) = regions.iter().find(|r| earlier.contains(r)) {
        return fail(
            "name",
            format!(
                "service `{}` is declared twice in region `{r}`: expected one entry per \
                 region (give this entry `regions` that the other does not list)",
                s.name
            ),
        );
    }
    if !earlier.is_empty() && s.routing.is_some() {
        return fail(
            "routing",
            format!(
                "service `{}` has several entries: expected `routing` only on a service \
                 declared once (it splits one global rate over the entry's regions)",
                s.name
            ),
        );
    }
    earlier.extend(regions.iter().copied());
    if let Some(routing) = &s.routing {
        let names: Vec<String> = regions.iter().map(|r| (*r).to_owned()).collect();
        routing
            .validate(&names)
            .map_err(|(field, message)| FieldError::new(field, message).within("routing"))?;
        out.routes.push(RoutePlan {
            router: Router::new(routing.clone(), names),
            services: (out.services.len()..out.services.len() + regions.len())
                .map(|k| k as u32)
                .collect(),
        });
    }
    if let Some(w) = s.warm_up
        && !(w.initial_speed > 0.0 && w.initial_speed <= 1.0)
    {
        return fail(
            "warm_up.initial_speed",
            "expected a fraction of the full rate in (0, 1], such as 0.5",
        );
    }
    let memory = s.memory_usage.map(|m| MemoryModel {
        base_bytes: m.base.0,
        bytes_per_rps: m.per_rps.0,
    });
    if let Some(config) = &s.hpa {
        hpa::check(config, s.memory_usage.is_some()).map_err(|e| e.within("hpa"))?;
        // The services of this entry are pushed next, one per region, in this order.
        for (k, r) in regions.iter().enumerate() {
            out.hpas.push(HpaPlan {
                service: (out.services.len() + k) as u32,
                name: format!("{}-{r}", s.name),
                config: config.clone(),
                capacity_rps: s.capacity_rps,
                declared_cpu_millis: s.requests.cpu.0,
                memory,
                bounds: replica_schedule
                    .iter()
                    .map(|&(at, replicas)| BoundsStep::floor(at, replicas))
                    .collect(),
                cost_aware: None,
            });
        }
    }
    if let Some(config) = &s.vpa {
        vpa::check(config, s.memory_usage.is_some()).map_err(|e| e.within("vpa"))?;
        for (k, r) in regions.iter().enumerate() {
            out.vpas.push(VpaPlan {
                service: (out.services.len() + k) as u32,
                name: format!("{}-{r}", s.name),
                config: config.clone(),
                capacity_rps: s.capacity_rps,
                requests: (s.requests.cpu.0, s.requests.memory.0),
                limits: limits(s),
                memory,
            });
        }
    }
    for r in regions {
        // Global traffic has one noise stream, shared by the regions it is split over.
        let stream = match s.routing {
            Some(_) => format!("traffic/{}", s.name),
            None => format!("traffic/{}/{r}", s.name),
        };
        out.services.push(ServicePlan {
            name: s.name.clone(),
            region: r.to_owned(),
            replicas: s.replicas,
            requests: s.requests.cpu_memory(),
            limits: limits(s),
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
            tolerations: with_gpu_toleration(&s.tolerations, gpus),
            min_available: s.disruption_budget.map(|b| b.min_available),
            zone_max_skew,
            host_max_skew,
            warm_up: s.warm_up.map(|w| (w.duration, w.initial_speed)),
            latency_target: s
                .targets
                .and_then(|t| t.p99_latency)
                .or(x.targets.p99_latency),
            memory_usage: memory,
            gpus,
            hold_at_zero: false,
        });
    }
    Ok(())
}

/// The container limits (cpu millicores, memory bytes).
fn limits(s: &ServiceConfig) -> (Option<u64>, Option<u64>) {
    (
        s.limits.and_then(|l| l.cpu).map(|c| c.0),
        s.limits.and_then(|l| l.memory).map(|m| m.0),
    )
}

/// Whole `nvidia.com/gpu`s a pod requests, by Kubernetes' rules for extended resources
/// (API validation, `ValidateResourceRequirements`; kubernetes.io/docs/tasks/manage-gpus/
/// scheduling-gpus): a limit alone is also the request; a request must equal the limit, so
/// a request without a limit is refused (unless 0).
fn gpus(s: &ServiceConfig) -> Result<u32, FieldError> {
    match (s.requests.gpus, s.limits.and_then(|l| l.gpus)) {
        (None, None) => Ok(0),
        (None, Some(limit)) => Ok(limit),
        (Some(request), Some(limit)) if request == limit => Ok(request),
        (Some(0), None) => Ok(0),
        (Some(request), Some(limit)) => fail(
            "limits.gpus",
            format!(
                "expected the GPU limit to equal the GPU request ({request}), found {limit}: \
                 nvidia.com/gpu is an extended resource, which Kubernetes never overcommits \
                 (its request must equal its limit)"
            ),
        ),
        (Some(request), None) => fail(
            "requests.gpus",
            format!(
                "a GPU request needs a GPU limit equal to it: expected `limits: (gpus: \
                 {request})` (Kubernetes refuses an nvidia.com/gpu request without the limit; \
                 a limit alone is also the request)"
            ),
        ),
    }
}

/// The pod's tolerations as admitted: a pod requesting GPUs also tolerates the
/// `nvidia.com/gpu` taint, as the ExtendedResourceToleration admission plugin (on in GKE and
/// EKS) adds for every extended resource a pod asks (kubernetes.io/docs/reference/
/// access-authn-authz/admission-controllers/#extendedresourcetoleration): key
/// `nvidia.com/gpu`, operator `Exists` — so a GPU service runs on a GPU node pool tainted as
/// GKE taints them (`nvidia.com/gpu=present:NoSchedule`) without writing the toleration.
/// Upstream's has effect `NoSchedule`; this one, like the Jobs' (`PoolPlan::admits_job`) and
/// the cluster's (`unschedulable::extended_resource_tolerations`), any effect of the key.
fn with_gpu_toleration(written: &[Toleration], gpus: u32) -> Vec<Toleration> {
    let mut tolerations = written.to_vec();
    if gpus > 0 {
        tolerations.push(Toleration {
            key: GPU_RESOURCE.to_owned(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: None,
        });
    }
    tolerations
}

/// `capacity_rps`, `replicas` and `timeout` in range.
fn check_sizes(s: &ServiceConfig) -> Result<(), FieldError> {
    if !(s.capacity_rps.is_finite() && s.capacity_rps > 0.0) {
        return fail(
            "capacity_rps",
            "expected a number of requests per second > 0",
        );
    }
    if s.replicas > MAX_REPLICAS {
        return fail(
            "replicas",
            format!("expected at most {MAX_REPLICAS} replicas"),
        );
    }
    if s.timeout.is_zero() {
        return fail("timeout", "expected a positive duration such as \"30s\"");
    }
    Ok(())
}

/// The `scale` steps as (instant, replicas), checked: inside the run, in time order, bounded.
fn replica_schedule(
    s: &ServiceConfig,
    duration: SimDuration,
) -> Result<Vec<(SimTime, u32)>, FieldError> {
    let mut schedule = Vec::new();
    for (j, step) in s.scale.iter().enumerate() {
        let here = format!("scale[{j}]");
        let at = SimTime::from_nanos(step.at.as_nanos());
        if step.at.is_zero() || step.at > duration {
            return fail(
                format!("{here}.at"),
                format!("expected an instant inside the run (0, {duration}]"),
            );
        }
        if schedule.last().is_some_and(|&(t, _)| t >= at) {
            return fail(
                format!("{here}.at"),
                "expected steps in increasing time order",
            );
        }
        if step.replicas > MAX_REPLICAS {
            return fail(
                format!("{here}.replicas"),
                format!("expected at most {MAX_REPLICAS} replicas"),
            );
        }
        schedule.push((at, step.replicas));
    }
    Ok(schedule)
}

/// Limits at least the requests (API validation) and node affinity terms well formed.
fn check_placement(s: &ServiceConfig) -> Result<(), FieldError> {
    if let Some(limits) = s.limits {
        if limits.cpu.is_some_and(|l| l.0 < s.requests.cpu.0) {
            return fail("limits.cpu", "expected at least the cpu request");
        }
        if limits.memory.is_some_and(|l| l.0 < s.requests.memory.0) {
            return fail("limits.memory", "expected at least the memory request");
        }
    }
    for (j, term) in s.node_affinity.iter().enumerate() {
        if let Some(k) = term.match_expressions.iter().position(|r| !r.is_valid()) {
            return fail(
                format!("node_affinity[{j}].match_expressions[{k}]"),
                "expected values to suit the operator: In/NotIn at least one, \
                 Exists/DoesNotExist none, Gt/Lt one integer",
            );
        }
    }
    Ok(())
}

/// The regions the entry runs in: its `regions`, checked, or every declared region.
fn regions<'a>(x: &'a Experiment, s: &'a ServiceConfig) -> Result<Vec<&'a str>, FieldError> {
    let Some(names) = &s.regions else {
        return Ok(x.regions.iter().map(|r| r.name.as_str()).collect());
    };
    if names.is_empty() {
        return fail(
            "regions",
            "expected at least one region, or no `regions` field for all",
        );
    }
    for (j, name) in names.iter().enumerate() {
        if !x.regions.iter().any(|r| &r.name == name) {
            return fail(
                format!("regions[{j}]"),
                format!(
                    "unknown region `{name}`: expected one of {}",
                    known_regions(x)
                ),
            );
        }
    }
    if let Some(dup) = first_duplicate(names) {
        return fail("regions", format!("region `{dup}` is listed twice"));
    }
    Ok(names.iter().map(String::as_str).collect())
}

/// The `maxSkew` of a service's hard spread over zones and over nodes, or what is not
/// supported: at most one constraint per key, on `topology.kubernetes.io/zone` or
/// `kubernetes.io/hostname`, with `max_skew` ≥ 1.
fn hard_spread(
    constraints: &[TopologySpreadConfig],
) -> Result<(Option<u32>, Option<u32>), FieldError> {
    const ZONE: &str = "topology.kubernetes.io/zone";
    const HOST: &str = "kubernetes.io/hostname";
    let (mut zone, mut host) = (None, None);
    for (j, c) in constraints.iter().enumerate() {
        let at = |field: &str| format!("topology_spread[{j}].{field}");
        let slot = match c.topology_key.as_str() {
            ZONE => &mut zone,
            HOST => &mut host,
            _ => {
                return fail(
                    at("topology_key"),
                    format!("expected \"{ZONE}\" or \"{HOST}\": other keys are not modelled"),
                );
            }
        };
        if c.max_skew == 0 {
            return fail(at("max_skew"), "expected a max_skew of at least 1");
        }
        if slot.replace(c.max_skew).is_some() {
            return fail(at("topology_key"), "expected one constraint per key");
        }
    }
    Ok((zone, host))
}

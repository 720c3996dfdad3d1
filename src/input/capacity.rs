//! Capacity sanity, known before running: a service's (or a batch workload's) pod that no node
//! it may use can hold is an input error ("can never be scheduled"), GPUs included (a pod asking
//! more `nvidia.com/gpu`s than any node it may use has); a service whose peak replicas cannot
//! all fit on the nodes it may use, at their most, is a warning with the figures (GPUs too).
//!
//! "Nodes it may use": the pools of the service's region whose labels (in some zone) satisfy its
//! node selector and required node affinity and whose taints it tolerates, as the scheduler's
//! filters decide (`models::scheduler`), with each pool's allocatable (GKE's tiers or the
//! pool's own, `models::allocatable`). Pools that Karpenter launches into count for the first
//! check; the second leaves a Karpenter region out, as its NodePool limits, not pool sizes,
//! bound it.

use models::hpa::model::HpaPlan;
use models::plan::{PoolPlan, ServicePlan};
use models::policy::model::PolicyPlan;
use models::scheduler::affinity::required_node_affinity_matches;
use models::scheduler::taints::first_untolerated_taint;
use sim::quantity::{Bytes, CpuMillis};

use super::Experiment;
use crate::error::{FieldError, fail};

/// Memory for a message: Kubernetes spelling when it is a whole number of MiB (`1Gi`,
/// `512Mi`), else GiB with two decimals (`28.34Gi`) rather than a long count of bytes.
fn memory_text(bytes: u64) -> String {
    if bytes.is_multiple_of(1 << 20) {
        Bytes(bytes).to_string()
    } else {
        format!("{:.2}Gi", bytes as f64 / f64::from(1u32 << 30))
    }
}

/// The pools service `s` may be scheduled on.
fn admitting<'a>(pools: &'a [PoolPlan], s: &ServicePlan) -> Vec<&'a PoolPlan> {
    let selector: Vec<(&String, &String)> = s.node_selector.iter().collect();
    let terms = (!s.node_affinity.is_empty()).then_some(s.node_affinity.as_slice());
    pools
        .iter()
        .filter(|p| {
            p.region == s.region
                && p.zones
                    .iter()
                    .any(|z| required_node_affinity_matches(&selector, terms, &p.labels_in_zone(z)))
                && first_untolerated_taint(&p.taints, &s.tolerations).is_none()
        })
        .collect()
}

/// Refuses a service whose pod is larger than the allocatable of every node it may use, or
/// asks more GPUs than a node of any pool of its region it may use has (`check_service_gpus`).
/// `entry` gives each plan's index in `services` of the file, for the error's field path. A
/// CPU service that no pool admits at all is left to the run's warning (its selector may be
/// deliberate).
pub fn check_fits(
    pools: &[PoolPlan],
    services: &[ServicePlan],
    entry: &[usize],
) -> Result<(), FieldError> {
    for (s, &i) in services.iter().zip(entry) {
        let admitting = admitting(pools, s);
        check_service_gpus(pools, s, i, &admitting)?;
        let fits = |p: &&PoolPlan| {
            let (cpu, memory) = p.allocatable();
            s.requests.cpu.0 <= cpu && s.requests.memory.0 <= memory
        };
        if admitting.is_empty() || admitting.iter().any(fits) {
            continue;
        }
        return Err(FieldError::new(
            format!("services[{i}].requests"),
            format!(
                "a pod of `{}` requests cpu {}, memory {}, more than a node of any pool it may \
                 use in `{}` can allocate ({}): it can never be scheduled; expected smaller \
                 requests or a larger instance type",
                s.name,
                s.requests.cpu,
                memory_text(s.requests.memory.0),
                s.region,
                largest(&admitting)
            ),
        ));
    }
    Ok(())
}

/// Refuses a service whose pods ask `nvidia.com/gpu` when no pool it may use (labels and
/// taints, with the toleration GPU pods get) has that many GPUs per node — none at all when
/// the pools are CPU machine types, or when no pool of its region admits it — naming the
/// pools and their GPUs. The cluster never places a GPU pod on a node with fewer GPUs
/// (NodeResourcesFit), so its pods could never run.
fn check_service_gpus(
    pools: &[PoolPlan],
    s: &ServicePlan,
    i: usize,
    admitting: &[&PoolPlan],
) -> Result<(), FieldError> {
    if s.gpus == 0 || admitting.iter().any(|p| p.gpus_per_node() >= s.gpus) {
        return Ok(());
    }
    let in_region: Vec<String> = pools
        .iter()
        .filter(|p| p.region == s.region)
        .map(|p| {
            format!(
                "`{}` ({}: {} GPUs{})",
                p.name,
                p.instance.instance_type,
                p.gpus_per_node(),
                if admitting.iter().any(|a| std::ptr::eq(*a, p)) {
                    ""
                } else {
                    ", not admitting it"
                }
            )
        })
        .collect();
    fail(
        format!("services[{i}].requests.gpus"),
        format!(
            "a pod of `{}` requests {} GPUs (nvidia.com/gpu), but no node pool it may use in \
             `{}` has that many per node ({}): it can never be scheduled; expected a pool of \
             a GPU machine type (`models::gpu`: GCP g2-standard, a2, a3, g4-standard-48 and \
             up; AWS p2, p3, g2, g3), or a Karpenter NodePool allowing one",
            s.name,
            s.gpus,
            s.region,
            if in_region.is_empty() {
                "it has no pools".to_owned()
            } else {
                in_region.join(", ")
            }
        ),
    )
}

/// Refuses a batch workload whose written `requests` (Poisson or Schedule arrivals; a trace's
/// jobs bring their own, which a real trace may well hold too large) exceed the allocatable of
/// every untainted pool of its region, where its pods run.
pub fn check_batch_fits(x: &Experiment, pools: &[PoolPlan]) -> Result<(), FieldError> {
    for (i, b) in x.batch.iter().enumerate() {
        let Some(requests) = b.requests else {
            continue;
        };
        let region = b.region.as_deref().unwrap_or(x.regions[0].name.as_str());
        let admitting: Vec<&PoolPlan> = pools
            .iter()
            .filter(|p| p.region == region && p.admits_job(b.gpus.unwrap_or(0)))
            .collect();
        check_gpus(x, i, region, &admitting)?;
        let fits = |p: &&PoolPlan| {
            let (cpu, memory) = p.allocatable();
            requests.cpu.0 <= cpu && requests.memory.0 <= memory
        };
        if admitting.is_empty() || admitting.iter().any(fits) {
            continue;
        }
        return Err(FieldError::new(
            format!("batch[{i}].requests"),
            format!(
                "a pod of batch workload `{}` requests cpu {}, memory {}, more than a node of \
                 any untainted pool in `{region}` can allocate ({}): its Jobs can never be \
                 scheduled; expected smaller requests or a larger instance type",
                b.name,
                requests.cpu,
                memory_text(requests.memory.0),
                largest(&admitting)
            ),
        ));
    }
    Ok(())
}

/// Refuses a batch workload whose written `gpus` no untainted pool of its region has per
/// node, saying which GPU machine types the region's catalog offers (none: the provider has
/// no GPUs there).
fn check_gpus(
    x: &Experiment,
    i: usize,
    region: &str,
    admitting: &[&PoolPlan],
) -> Result<(), FieldError> {
    let gpus = x.batch[i].gpus.unwrap_or(0);
    if gpus == 0 || admitting.iter().any(|p| p.gpus_per_node() >= gpus) {
        return Ok(());
    }
    let provider = x
        .regions
        .iter()
        .find(|r| r.name == region)
        .map_or(x.provider, |r| x.provider_of(r));
    let offered: Vec<String> = super::cluster::builtin_catalog(provider)?
        .instance_types_in(region)
        .filter(|t| models::gpu::gpus_of(t) >= gpus)
        .take(6)
        .map(|t| format!("`{t}`"))
        .collect();
    let karpenter = x
        .node_autoscaling
        .iter()
        .any(|a| a.region == region && a.karpenter.is_some());
    let hint = if offered.is_empty() {
        format!("the {provider:?} catalog has no machine type with {gpus} GPUs in `{region}`")
    } else if karpenter {
        format!(
            "expected a NodePool whose requirements allow a machine type with that many \
             GPUs, such as {}",
            offered.join(", ")
        )
    } else {
        format!(
            "expected an untainted pool of a GPU machine type, such as {}",
            offered.join(", ")
        )
    };
    fail(
        format!("batch[{i}].gpus"),
        format!(
            "a pod of batch workload `{}` requests {gpus} GPUs (nvidia.com/gpu), but no \
             untainted node pool in `{region}` has that many per node: {hint}",
            x.batch[i].name
        ),
    )
}

/// The allocatable of each pool, for a message.
fn largest(pools: &[&PoolPlan]) -> String {
    pools
        .iter()
        .map(|p| {
            let (cpu, memory) = p.allocatable();
            format!(
                "`{}` ({}: cpu {}, memory {})",
                p.name,
                p.instance.instance_type,
                CpuMillis(cpu),
                memory_text(memory)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One warning per service whose peak replicas (its `replicas`, `scale` steps, HPA maximum
/// and scheduled policies' bounds and replicas) request more than the pools it may use can allocate with every node they may
/// have (`max_nodes`, else `nodes`), with the figures. Regions in `karpenter_regions` are left
/// out. A lower bound: services sharing pools are not added up.
pub fn warnings(
    pools: &[PoolPlan],
    services: &[ServicePlan],
    hpas: &[HpaPlan],
    policies: &PolicyPlan,
    karpenter_regions: &[&str],
) -> Vec<String> {
    let mut warnings = Vec::new();
    for (id, s) in services.iter().enumerate() {
        if karpenter_regions.contains(&s.region.as_str()) {
            continue;
        }
        // A GPU pod only fits nodes with its GPUs.
        let admitting: Vec<&PoolPlan> = admitting(pools, s)
            .into_iter()
            .filter(|p| p.gpus_per_node() >= s.gpus)
            .collect();
        if admitting.is_empty() {
            continue;
        }
        let hpa_max = hpas
            .iter()
            .filter(|h| h.service as usize == id)
            .flat_map(|h| {
                let scheduled = h.bounds.iter().filter_map(|b| b.max.or(b.min));
                scheduled.chain([h.config.max_replicas])
            });
        let policy_steps = policies
            .replica_steps
            .iter()
            .filter(|p| p.service as usize == id)
            .map(|p| p.replicas);
        let peak = s
            .replica_schedule
            .iter()
            .map(|&(_, n)| n)
            .chain(hpa_max)
            .chain(policy_steps)
            .fold(s.replicas, u32::max);
        let want_cpu = u64::from(peak) * s.requests.cpu.0;
        let want_memory = u64::from(peak) * s.requests.memory.0;
        let want_gpus = u64::from(peak) * u64::from(s.gpus);
        let (mut have_cpu, mut have_memory, mut have_gpus, mut nodes) = (0, 0, 0, 0);
        for p in &admitting {
            let (cpu, memory) = p.allocatable();
            let n = u64::from(p.max_nodes.unwrap_or(p.nodes));
            have_cpu += n * cpu;
            have_memory += n * memory;
            have_gpus += n * u64::from(p.gpus_per_node());
            nodes += n;
        }
        if want_cpu > have_cpu || want_memory > have_memory || want_gpus > have_gpus {
            let names: Vec<&str> = admitting.iter().map(|p| p.name.as_str()).collect();
            let gpus = if s.gpus > 0 {
                format!(" ({want_gpus} GPUs asked, {have_gpus} at most)")
            } else {
                String::new()
            };
            warnings.push(format!(
                "service {} in {}: {peak} replicas × (cpu {}, memory {}) = cpu {}, memory {}, \
                 more than the {nodes} nodes of {} can allocate at most (cpu {}, memory \
                 {}){gpus}; some pods will stay Pending",
                s.name,
                s.region,
                s.requests.cpu,
                memory_text(s.requests.memory.0),
                CpuMillis(want_cpu),
                memory_text(want_memory),
                names.join(", "),
                CpuMillis(have_cpu),
                memory_text(have_memory),
            ));
        }
    }
    warnings
}

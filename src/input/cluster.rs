//! The `regions` and `node_pools` sections: names unique, zones of their region (in the
//! provider's zone list where it covers the region), instance types of the provider's catalog,
//! node counts within their bounds.

use std::collections::BTreeSet;

use models::allocatable::Reservation;
use models::catalog::{Catalog, InstanceFacts, Provider, ZoneList, closest};
use models::config::{CapacityType, NodePoolConfig, RegionConfig};
use models::plan::PoolPlan;
use sim::quantity::{Bytes, CpuMillis};

use super::Experiment;
use crate::error::{FieldError, fail};

/// Most nodes one pool may hold (`nodes`), so a typo cannot start a run that never ends.
pub const MAX_NODES_PER_POOL: u32 = 1_000_000;

/// Checks `regions`: at least one, names unique, each with zones listed once and named as
/// zones of that region.
pub fn check_regions(x: &Experiment) -> Result<(), FieldError> {
    let regions = &x.regions;
    if regions.is_empty() {
        return fail("regions", "expected at least one region");
    }
    let mut names = BTreeSet::new();
    for (i, r) in regions.iter().enumerate() {
        if !names.insert(r.name.as_str()) {
            return fail(
                format!("regions[{i}].name"),
                format!("region `{}` is declared twice", r.name),
            );
        }
        if r.zones.is_empty() {
            return fail(format!("regions[{i}].zones"), "expected at least one zone");
        }
        if let Some(dup) = first_duplicate(&r.zones) {
            return fail(
                format!("regions[{i}].zones"),
                format!("zone `{dup}` is listed twice"),
            );
        }
        check_zone_names(x.provider_of(r), r).map_err(|e| e.within(&format!("regions[{i}]")))?;
    }
    Ok(())
}

/// Zones named as the provider names the zones of the region, `us-east1-b` (GCP: the region,
/// `-`, a letter) or `us-east-1a` (AWS: the region and a letter, or `-` and a Local Zone name),
/// and, where the provider's zone list (`data/cloud/*/…zones…csv`) covers the region, one of
/// its zones: `us-east1-z` and `us-east-1z` are refused with the closest zone and the region's
/// zones. A region the zone list does not cover (GCP `asia-southeast3`; AWS `us-west-1`, whose
/// letters differ between AWS accounts) is checked by form only, as is an AWS Local Zone (the
/// list holds Availability Zones). A region the price catalog does not know is not checked
/// here: its node pools fail on the instance type.
fn check_zone_names(provider: Provider, r: &RegionConfig) -> Result<(), FieldError> {
    let catalog = builtin_catalog(provider)?;
    if !catalog.regions().any(|known| known == r.name) {
        return Ok(());
    }
    let zones = ZoneList::builtin(provider)
        .map_err(|e| FieldError::new("", format!("the built-in zone list is unreadable: {e}")))?;
    for (j, zone) in r.zones.iter().enumerate() {
        check_zone(provider, zones, r, zone)
            .map_err(|message| FieldError::new(format!("zones[{j}]"), message))?;
    }
    Ok(())
}

/// One zone of a region the price catalog knows; the error is the message.
fn check_zone(
    provider: Provider,
    zones: &ZoneList,
    r: &RegionConfig,
    zone: &str,
) -> Result<(), String> {
    let is_letter = |rest: &str| rest.len() == 1 && rest.chars().all(|c| c.is_ascii_lowercase());
    let rest = zone.strip_prefix(r.name.as_str());
    let local_zone = provider == Provider::Aws
        && rest.is_some_and(|rest| rest.len() > 1 && rest.starts_with('-'));
    let well_formed = local_zone
        || rest.is_some_and(|rest| match provider {
            Provider::Gcp => rest.strip_prefix('-').is_some_and(is_letter),
            Provider::Aws => is_letter(rest),
        });
    let listed = zones.zones_of(&r.name).filter(|_| !local_zone);
    if well_formed && listed.is_none_or(|listed| listed.iter().any(|z| z == zone)) {
        return Ok(());
    }
    let mut message = format!("zone `{zone}` is not a zone of region `{}`", r.name);
    if !well_formed {
        let (form, example) = match provider {
            Provider::Gcp => ("the region, `-` and a zone letter", format!("{}-b", r.name)),
            Provider::Aws => ("the region and a zone letter", format!("{}a", r.name)),
        };
        message.push_str(&format!(": expected {form}, such as `{example}`"));
    }
    match listed {
        Some(listed) => {
            if let Some(s) = zones.suggest(&r.name, zone) {
                message.push_str(&format!(": did you mean `{s}`?"));
            }
            message.push_str(&format!(
                " The {provider:?} zone list has {}",
                backticked(listed.iter().map(String::as_str))
            ));
        }
        None => message.push_str(&format!(
            " (zones of `{}` are checked by pattern only: the {provider:?} zone list does not \
             cover this region, so the letter itself is not checked)",
            r.name
        )),
    }
    Err(message)
}

/// Names as a list for messages: "`a`, `b`, `c`".
fn backticked<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The declared regions as a list for messages: "`us-east1`, `europe-west1`".
pub fn known_regions(x: &Experiment) -> String {
    x.regions
        .iter()
        .map(|r| format!("`{}`", r.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks `node_pools` against the regions and the catalog, and resolves each into its plan.
pub fn resolve_pools(x: &Experiment) -> Result<Vec<PoolPlan>, FieldError> {
    let mut pools = Vec::new();
    let mut pool_names = BTreeSet::new();
    for (i, p) in x.node_pools.iter().enumerate() {
        pools.push(
            resolve_pool(x, p, &mut pool_names)
                .map_err(|e| e.within(&format!("node_pools[{i}]")))?,
        );
    }
    Ok(pools)
}

/// One node pool; errors relative to the pool.
fn resolve_pool<'a>(
    x: &Experiment,
    p: &'a NodePoolConfig,
    names: &mut BTreeSet<&'a str>,
) -> Result<PoolPlan, FieldError> {
    if !names.insert(p.name.as_str()) {
        return fail("name", format!("node pool `{}` is declared twice", p.name));
    }
    let Some(reg) = x.regions.iter().find(|r| r.name == p.region) else {
        return fail(
            "region",
            format!(
                "unknown region `{}`: expected one of {}",
                p.region,
                known_regions(x)
            ),
        );
    };
    let zones = match &p.zones {
        None => reg.zones.clone(),
        Some(zones) => {
            if zones.is_empty() {
                return fail(
                    "zones",
                    "expected at least one zone, or no `zones` field for all",
                );
            }
            if let Some((k, z)) = zones
                .iter()
                .enumerate()
                .find(|(_, z)| !reg.zones.contains(z))
            {
                return fail(
                    format!("zones[{k}]"),
                    undeclared_zone(x.provider_of(reg), reg, z),
                );
            }
            zones.clone()
        }
    };
    let provider = x.provider_of(reg);
    let instance = lookup_instance(builtin_catalog(provider)?, provider, p)
        .map_err(|message| FieldError::new("instance_type", message))?;
    if p.capacity_type == CapacityType::Spot && instance.spot_usd_per_hour.is_none() {
        return fail(
            "capacity_type",
            format!(
                "the catalog has no spot price for `{}` in `{}`: expected OnDemand",
                p.instance_type, p.region
            ),
        );
    }
    if p.nodes > MAX_NODES_PER_POOL {
        return fail(
            "nodes",
            format!("expected at most {MAX_NODES_PER_POOL} nodes per pool"),
        );
    }
    if let Some(max) = p.max_nodes {
        if p.min_nodes > max {
            return fail(
                "min_nodes",
                format!(
                    "min_nodes {} is more than max_nodes {max}: expected min_nodes <= max_nodes",
                    p.min_nodes
                ),
            );
        }
        if p.nodes > max {
            return fail(
                "nodes",
                format!("{} nodes is more than max_nodes {max}", p.nodes),
            );
        }
    }
    if p.nodes < p.min_nodes {
        return fail(
            "nodes",
            format!("{} nodes is fewer than min_nodes {}", p.nodes, p.min_nodes),
        );
    }
    let reservation = reservation(p, &instance)?;
    Ok(PoolPlan {
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
        reservation,
    })
}

/// The pool's `allocatable` or `reserved`, at most one, checked against the instance's
/// capacity: an allocatable above it, or reservations that leave nothing, are refused.
fn reservation(p: &NodePoolConfig, instance: &InstanceFacts) -> Result<Reservation, FieldError> {
    let capacity_cpu = u64::from(instance.vcpu) * 1000;
    let capacity_memory = instance.memory_bytes;
    let capacity = format!(
        "`{}` has cpu {}, memory {}",
        instance.instance_type,
        CpuMillis(capacity_cpu),
        Bytes(capacity_memory)
    );
    match (p.allocatable, p.reserved) {
        (None, None) => Ok(Reservation::GkeTiers),
        (Some(_), Some(_)) => fail(
            "reserved",
            "expected either `allocatable` or `reserved`, not both (allocatable = capacity − reserved)",
        ),
        (Some(a), None) => {
            let (cpu, memory) = (a.cpu.0, a.memory.0);
            if cpu == 0 || memory == 0 {
                return fail("allocatable", "expected a positive cpu and memory");
            }
            if cpu > capacity_cpu {
                return fail(
                    "allocatable.cpu",
                    format!("cpu {} is more than the node has: {capacity}", a.cpu),
                );
            }
            if memory > capacity_memory {
                return fail(
                    "allocatable.memory",
                    format!("memory {} is more than the node has: {capacity}", a.memory),
                );
            }
            Ok(Reservation::Allocatable {
                cpu_millis: cpu,
                memory_bytes: memory,
            })
        }
        (None, Some(r)) => {
            let (cpu, memory) = (r.cpu.0, r.memory.0);
            if cpu >= capacity_cpu {
                return fail(
                    "reserved.cpu",
                    format!("reserving cpu {} leaves pods nothing: {capacity}", r.cpu),
                );
            }
            if memory >= capacity_memory {
                return fail(
                    "reserved.memory",
                    format!(
                        "reserving memory {} leaves pods nothing: {capacity}",
                        r.memory
                    ),
                );
            }
            Ok(Reservation::Reserved {
                cpu_millis: cpu,
                memory_bytes: memory,
            })
        }
    }
}

/// Why a node pool may not use zone `z` of its region: not among the zones the region declares.
/// The closest declared zone is suggested, as a misspelling is the likely cause; a real zone of
/// the region that `regions` leaves out is said to be one.
fn undeclared_zone(provider: Provider, reg: &RegionConfig, z: &str) -> String {
    let declared = backticked(reg.zones.iter().map(String::as_str));
    let mut message = format!("zone `{z}` is not a zone of region `{}`", reg.name);
    if let Some(s) = closest(z, reg.zones.iter().map(String::as_str)) {
        message.push_str(&format!(": did you mean `{s}`?"));
    }
    message.push_str(&format!(" Expected one of the region's zones: {declared}"));
    let listed = ZoneList::builtin(provider)
        .ok()
        .and_then(|zones| zones.zones_of(&reg.name))
        .is_some_and(|listed| listed.iter().any(|l| l == z));
    if listed {
        message.push_str(&format!(
            " (`{z}` is in the {provider:?} zone list: add it to the region's `zones` to use it)"
        ));
    }
    message
}

/// The embedded catalog of a cloud; unreadable only if the build embedded a broken file (an
/// error about the whole experiment).
pub fn builtin_catalog(provider: Provider) -> Result<&'static Catalog, FieldError> {
    Catalog::builtin(provider).map_err(|e| {
        FieldError::new(
            "",
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

/// The first item listed twice.
pub fn first_duplicate(items: &[String]) -> Option<&str> {
    let mut seen = BTreeSet::new();
    items
        .iter()
        .find(|i| !seen.insert(i.as_str()))
        .map(String::as_str)
}

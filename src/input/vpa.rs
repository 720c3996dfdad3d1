//! A service's `vpa`: bounds in order, resources it can measure (the schema itself,
//! `models::vpa::config`, refuses unknown modes and resources with "did you mean"), and the
//! warning for a VPA beside an HPA on the same resource.

use models::hpa::config::{MetricSpec, ResourceName};
use models::hpa::model::HpaPlan;
use models::vpa::config::{VpaConfig, VpaResource};
use models::vpa::model::VpaPlan;

use crate::error::{FieldError, fail};

/// Checks a VPA; errors relative to `vpa`.
pub fn check(vpa: &VpaConfig, has_memory_usage: bool) -> Result<(), FieldError> {
    let (min, max) = (vpa.min_allowed, vpa.max_allowed);
    if let (Some(lo), Some(hi)) = (min.cpu, max.cpu)
        && lo > hi
    {
        return fail(
            "min_allowed.cpu",
            format!("expected at most max_allowed.cpu ({hi}), got {lo}"),
        );
    }
    if let (Some(lo), Some(hi)) = (min.memory, max.memory)
        && lo > hi
    {
        return fail(
            "min_allowed.memory",
            format!("expected at most max_allowed.memory ({hi}), got {lo}"),
        );
    }
    if vpa.controlled_resources.is_empty() {
        return fail(
            "controlled_resources",
            "expected at least one of cpu, memory (leave the field out for both)",
        );
    }
    for (j, r) in vpa.controlled_resources.iter().enumerate() {
        if vpa.controlled_resources[..j].contains(r) {
            return fail(
                format!("controlled_resources[{j}]"),
                "expected each resource once",
            );
        }
    }
    if vpa.controlled_resources.contains(&VpaResource::Memory) && !has_memory_usage {
        return fail(
            "controlled_resources",
            "memory is controlled (the default), which needs the service's `memory_usage`, \
             e.g. `memory_usage: (base: \"300Mi\", per_rps: \"2Mi\")`; or control cpu only: \
             `controlled_resources: [cpu]`",
        );
    }
    if vpa.min_replicas == Some(0) {
        return fail("min_replicas", "expected at least 1");
    }
    Ok(())
}

/// One warning per service whose VPA sets requests of a resource its HPA scales on: the HPA's
/// utilization is measured against the requests the VPA moves, so the two can chase each
/// other. Upstream advises against it ("Vertical Pod Autoscaler should not be used with the
/// Horizontal Pod Autoscaler (HPA) on the same resource metric (CPU or memory)",
/// `vertical-pod-autoscaler/README.md`, known limitations); the run goes ahead as upstream's
/// controllers would, so the oscillation shows in the outputs.
pub fn hpa_conflicts(hpas: &[HpaPlan], vpas: &[VpaPlan]) -> Vec<String> {
    let mut found = Vec::new();
    for v in vpas.iter().filter(|v| v.config.update_mode.admits()) {
        let Some(h) = hpas.iter().find(|h| h.service == v.service) else {
            continue;
        };
        let controlled = v.config.controlled();
        let shared: Vec<&str> =
            h.config
                .metrics
                .iter()
                .filter_map(|m| match m {
                    MetricSpec::Resource { name, .. }
                    | MetricSpec::ContainerResource { name, .. } => Some(*name),
                    _ => None,
                })
                .filter(|name| match name {
                    ResourceName::Cpu => controlled.cpu,
                    ResourceName::Memory => controlled.memory,
                })
                .map(ResourceName::as_str)
                .collect();
        if let Some(first) = shared.first() {
            found.push(format!(
                "service {}: its VPA sets the {first} request its HPA scales on; upstream \
                 advises against a VPA and an HPA on the same resource (they can oscillate). \
                 Scale the HPA on a custom metric such as requests_per_second, or give the \
                 VPA `controlled_resources` without {first}",
                v.name
            ));
        }
    }
    found
}

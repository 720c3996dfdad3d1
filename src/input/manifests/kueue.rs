//! Kueue `kueue.x-k8s.io/v1beta1` ResourceFlavors, ClusterQueues and LocalQueues → the
//! `kueue` section (`models::kueue::config`, in Kueue's own terms): a flavor's `nodeLabels`; a
//! queue's `cohort`, `queueingStrategy`, `resourceGroups[].flavors[].resources[]` (`cpu`,
//! `memory`, `nvidia.com/gpu`, `pods`: `nominalQuota`, `borrowingLimit`, `lendingLimit`),
//! `preemption` and `fairSharing.weight`; a LocalQueue's namespace and `clusterQueue`.
//! A flavor's taints, and any other resource, would change admission or placement in ways the
//! simulator does not model, and are refused.

use models::kueue::config::{
    BorrowWithinCohortConfig, ClusterQueueConfig, FlavorQuotaConfig, LocalQueueConfig,
    PreemptionConfig, QuotaConfig, ResourceFlavorConfig,
};

use super::walk::{At, Warnings};
use super::workload::string_map;
use crate::error::InputError;

/// The API version read.
const API: &str = "kueue.x-k8s.io/v1beta1";

fn check_api(obj: &At) -> Result<(), InputError> {
    let api = obj.need("apiVersion")?;
    if api.str()? != API {
        return Err(api.error(format!("expected {API}, found `{}`", api.str()?)));
    }
    Ok(())
}

pub fn flavor(
    obj: &At,
    name: String,
    w: &mut Warnings,
) -> Result<ResourceFlavorConfig, InputError> {
    check_api(obj)?;
    let mut node_labels = Default::default();
    if let Some(spec) = obj.get("spec")? {
        spec.fields(
            "ResourceFlavor",
            &["nodeLabels", "nodeTaints", "tolerations"],
            &[],
            w,
        )?;
        for taints in ["nodeTaints", "tolerations"] {
            if let Some(t) = spec.get(taints)? {
                return Err(t.error(format!(
                    "{taints} of a flavor are not modelled: its pods are placed by nodeLabels only"
                )));
            }
        }
        if let Some(l) = spec.get("nodeLabels")? {
            node_labels = string_map(&l)?;
        }
    }
    Ok(ResourceFlavorConfig { name, node_labels })
}

pub fn cluster_queue(
    obj: &At,
    name: String,
    w: &mut Warnings,
) -> Result<ClusterQueueConfig, InputError> {
    const KIND: &str = "ClusterQueue";
    check_api(obj)?;
    let spec = obj.need("spec")?;
    spec.fields(
        KIND,
        &[
            "cohort",
            "queueingStrategy",
            "resourceGroups",
            "preemption",
            "fairSharing",
        ],
        &["namespaceSelector"],
        w,
    )?;
    let mut flavors: Vec<FlavorQuotaConfig> = Vec::new();
    for group in spec.need("resourceGroups")?.items()? {
        group.fields(KIND, &["flavors"], &["coveredResources"], w)?;
        for f in group.need("flavors")?.items()? {
            f.fields(KIND, &["name", "resources"], &[], w)?;
            let name = f.need("name")?;
            let flavor_name = name.str()?;
            if flavors.iter().any(|g| g.name == flavor_name) {
                return Err(name.error("this flavor is in an earlier resource group already"));
            }
            flavors.push(flavor_quota(&f, w)?);
        }
    }
    let mut preemption = PreemptionConfig::default();
    if let Some(p) = spec.get("preemption")? {
        p.fields(
            KIND,
            &[
                "withinClusterQueue",
                "reclaimWithinCohort",
                "borrowWithinCohort",
            ],
            &[],
            w,
        )?;
        if let Some(v) = p.get("withinClusterQueue")? {
            preemption.within_cluster_queue = v.variant()?;
        }
        if let Some(v) = p.get("reclaimWithinCohort")? {
            preemption.reclaim_within_cohort = v.variant()?;
        }
        if let Some(b) = p.get("borrowWithinCohort")? {
            b.fields(KIND, &["policy", "maxPriorityThreshold"], &[], w)?;
            let policy = b.need("policy")?;
            preemption.borrow_within_cohort = match policy.str()? {
                "Never" => None,
                "LowerPriority" => Some(BorrowWithinCohortConfig {
                    max_priority_threshold: b
                        .get("maxPriorityThreshold")?
                        .map(|t| t.int())
                        .transpose()?,
                }),
                other => {
                    return Err(
                        policy.error(format!("expected Never or LowerPriority, found `{other}`"))
                    );
                }
            };
        }
    }
    let fair_sharing_weight = match spec.get("fairSharing")? {
        Some(f) => {
            f.fields(KIND, &["weight"], &[], w)?;
            match f.get("weight")? {
                Some(v) => Some(
                    v.scalar()?
                        .parse::<f64>()
                        .map_err(|_| v.error("expected a number such as 1 or 0.5"))?,
                ),
                None => None,
            }
        }
        None => None,
    };
    Ok(ClusterQueueConfig {
        name,
        cohort: spec.get("cohort")?.map(|c| c.scalar()).transpose()?,
        queueing_strategy: match spec.get("queueingStrategy")? {
            Some(s) => s.variant()?,
            None => Default::default(),
        },
        flavors,
        preemption,
        flavor_fungibility: Default::default(),
        fair_sharing_weight,
        max_admitted_per_user: None,
    })
}

/// One flavor of a resource group: its resources' quotas.
fn flavor_quota(f: &At, w: &mut Warnings) -> Result<FlavorQuotaConfig, InputError> {
    let mut nominal = QuotaConfig::default();
    let (mut borrowing, mut lending) = (None::<QuotaConfig>, None::<QuotaConfig>);
    for r in f.need("resources")?.items()? {
        r.fields(
            "ClusterQueue",
            &["name", "nominalQuota", "borrowingLimit", "lendingLimit"],
            &[],
            w,
        )?;
        let resource = r.need("name")?;
        let resource_name = resource.str()?;
        set(
            &mut nominal,
            resource_name,
            &resource,
            &r.need("nominalQuota")?,
        )?;
        for (key, limit) in [
            ("borrowingLimit", &mut borrowing),
            ("lendingLimit", &mut lending),
        ] {
            if let Some(v) = r.get(key)? {
                set(
                    limit.get_or_insert_with(QuotaConfig::default),
                    resource_name,
                    &resource,
                    &v,
                )?;
            }
        }
    }
    Ok(FlavorQuotaConfig {
        name: f.need("name")?.str()?.to_owned(),
        nominal,
        borrowing_limit: borrowing,
        lending_limit: lending,
    })
}

/// One resource's quantity into a quota.
fn set(q: &mut QuotaConfig, resource: &str, name_at: &At, v: &At) -> Result<(), InputError> {
    match resource {
        "cpu" => q.cpu = Some(v.cpu()?),
        "memory" => q.memory = Some(v.bytes()?),
        "nvidia.com/gpu" => q.gpu = Some(v.count()?),
        "pods" => q.pods = Some(v.count()?),
        other => {
            return Err(name_at.error(format!(
                "a quota of `{other}` is not modelled: expected cpu, memory, nvidia.com/gpu or pods"
            )));
        }
    }
    Ok(())
}

pub fn local_queue(
    obj: &At,
    name: String,
    namespace: String,
    w: &mut Warnings,
) -> Result<LocalQueueConfig, InputError> {
    check_api(obj)?;
    let spec = obj.need("spec")?;
    spec.fields("LocalQueue", &["clusterQueue"], &[], w)?;
    Ok(LocalQueueConfig {
        name,
        namespace,
        cluster_queue: spec.need("clusterQueue")?.str()?.to_owned(),
    })
}

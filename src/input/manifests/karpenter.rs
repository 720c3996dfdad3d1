//! Karpenter `karpenter.sh/v1` NodePools → a `karpenter` node autoscaler
//! (`models::autoscaler::config`, whose sources are Karpenter's `pkg/apis/v1/nodepool.go`):
//! `weight`, `limits` (cpu, memory), `disruption` (`consolidationPolicy`, `consolidateAfter`,
//! `budgets[].nodes`), `template.spec.expireAfter` and the `In` requirements the simulator
//! models (instance family, instance type, capacity type, zone). A requirement on any other
//! key narrows the instance types in a way the catalog cannot follow, and node taints keep
//! pods off: both refused. The node classes (`EC2NodeClass`, `GCENodeClass`) choose images,
//! subnets and roles, which the simulator does not model; their `kubelet` reservations would
//! change allocatable and are refused.

use models::api::CapacityType;
use models::autoscaler::config::{Budget, NillableDuration, NodePoolSpec, PoolLimits};
use sim::time::SimDuration;

use super::walk::{At, Warnings};
use crate::error::InputError;

const KIND: &str = "NodePool";

/// The requirement keys of an instance family, by cloud: AWS's provider
/// (`aws/karpenter-provider-aws`) and GCP's (`cloudpilot-ai/karpenter-provider-gcp`, whose
/// node class is `GCENodeClass` in group `karpenter.k8s.gcp`).
const FAMILY_KEYS: [&str; 2] = [
    "karpenter.k8s.aws/instance-family",
    "karpenter.k8s.gcp/instance-family",
];

/// One NodePool.
pub fn node_pool(obj: &At, name: String, w: &mut Warnings) -> Result<NodePoolSpec, InputError> {
    let api = obj.need("apiVersion")?;
    if api.str()? != "karpenter.sh/v1" {
        return Err(api.error(format!(
            "expected karpenter.sh/v1, found `{}`: v1beta1 NodePools spell their disruption \
             differently; convert them to v1",
            api.str()?
        )));
    }
    let spec = obj.need("spec")?;
    spec.fields(
        KIND,
        &["weight", "limits", "disruption", "template"],
        &[],
        w,
    )?;
    let mut pool = NodePoolSpec {
        name,
        weight: spec
            .get("weight")?
            .map(|v| v.int())
            .transpose()?
            .unwrap_or(0),
        requirements: Default::default(),
        limits: PoolLimits::default(),
        disruption: Default::default(),
        // `expireAfter`'s default, 720h (`nodeclaim.go`, kubebuilder default).
        expire_after: NillableDuration(Some(SimDuration::from_secs(720 * 3600))),
    };
    if let Some(l) = spec.get("limits")? {
        for (key, v) in l.pairs()? {
            match key {
                "cpu" => pool.limits.cpu = Some(v.cpu()?),
                "memory" => pool.limits.memory = Some(v.bytes()?),
                other => {
                    return Err(v.error(format!(
                        "a limit on `{other}` is not modelled: expected cpu or memory"
                    )));
                }
            }
        }
    }
    if let Some(d) = spec.get("disruption")? {
        d.fields(
            KIND,
            &["consolidationPolicy", "consolidateAfter", "budgets"],
            &[],
            w,
        )?;
        if let Some(p) = d.get("consolidationPolicy")? {
            pool.disruption.consolidation_policy = p.variant()?;
        }
        if let Some(a) = d.get("consolidateAfter")? {
            pool.disruption.consolidate_after = nillable(&a)?;
        }
        if let Some(b) = d.get("budgets")? {
            pool.disruption.budgets = b.items()?.iter().map(budget).collect::<Result<_, _>>()?;
        }
    }
    let template = spec.need("template")?;
    // `metadata` (the nodes' labels) is warned about: Karpenter's nodes here carry none.
    template.fields(KIND, &["spec"], &[], w)?;
    let node = template.need("spec")?;
    node.fields(
        KIND,
        &["requirements", "expireAfter", "taints"],
        &["nodeClassRef"],
        w,
    )?;
    if let Some(t) = node.get("taints")?
        && !t.items()?.is_empty()
    {
        return Err(t.error(
            "node taints are not modelled for Karpenter's nodes: pods without a toleration \
             would never land here; remove them",
        ));
    }
    if let Some(e) = node.get("expireAfter")? {
        pool.expire_after = nillable(&e)?;
    }
    if let Some(r) = node.get("requirements")? {
        for req in r.items()? {
            requirement(&req, &mut pool, w)?;
        }
    }
    Ok(pool)
}

/// One `requirements` entry onto the pool's modelled requirements.
fn requirement(r: &At, pool: &mut NodePoolSpec, w: &mut Warnings) -> Result<(), InputError> {
    r.fields(KIND, &["key", "operator", "values"], &["minValues"], w)?;
    let key = r.need("key")?;
    let operator = r.need("operator")?;
    if operator.str()? != "In" {
        return Err(operator.error(format!(
            "only In is modelled for NodePool requirements, found `{}`",
            operator.str()?
        )));
    }
    let values: Vec<String> = r
        .need("values")?
        .items()?
        .iter()
        .map(At::scalar)
        .collect::<Result<_, _>>()?;
    let req = &mut pool.requirements;
    match key.str()? {
        k if FAMILY_KEYS.contains(&k) => req.instance_families = Some(values),
        "node.kubernetes.io/instance-type" => req.instance_types = Some(values),
        "topology.kubernetes.io/zone" => req.zones = Some(values),
        "karpenter.sh/capacity-type" => {
            let values_at = r.need("values")?;
            req.capacity_types = values_at
                .items()?
                .iter()
                .map(|v| match v.str()? {
                    "on-demand" => Ok(CapacityType::OnDemand),
                    "spot" => Ok(CapacityType::Spot),
                    other => Err(v.error(format!(
                        "expected on-demand or spot, found `{other}` (reserved capacity is not \
                         modelled)"
                    ))),
                })
                .collect::<Result<_, _>>()?;
        }
        // The catalog's machine types are all amd64 Linux.
        "kubernetes.io/arch" if values.iter().any(|v| v == "amd64") => w.ignored(KIND, &key),
        "kubernetes.io/os" if values.iter().any(|v| v == "linux") => w.ignored(KIND, &key),
        other => {
            return Err(key.error(format!(
                "a requirement on `{other}` is not modelled: it narrows the instance types in a \
                 way the catalog cannot follow; name the instance families or types instead"
            )));
        }
    }
    Ok(())
}

fn budget(b: &At) -> Result<Budget, InputError> {
    for (key, v) in b.pairs()? {
        if key != "nodes" {
            return Err(v.error(format!(
                "`{key}` is not modelled: every budget is always active, for every reason"
            )));
        }
    }
    let nodes = b.need("nodes")?;
    let budget = Budget {
        nodes: nodes.scalar()?,
    };
    budget.allowed(0).map_err(|e| nodes.error(e))?;
    Ok(budget)
}

/// A duration or `Never`.
fn nillable(at: &At) -> Result<NillableDuration, InputError> {
    match at.str()? {
        "Never" => Ok(NillableDuration(None)),
        text => SimDuration::parse(text)
            .map(|d| NillableDuration(Some(d)))
            .map_err(|e| at.error(format!("{} (or \"Never\")", e.message))),
    }
}

/// An `EC2NodeClass` or `GCENodeClass`: nothing in it is modelled; its kubelet settings,
/// which would change the nodes' allocatable, are refused.
pub fn node_class(kind: &str, obj: &At, w: &mut Warnings) -> Result<(), InputError> {
    let spec = obj.need("spec")?;
    if let Some(k) = spec.get("kubelet")? {
        return Err(k.error(
            "kubelet settings of Karpenter's nodes are not modelled (the catalog's \
             allocatable is used): remove them",
        ));
    }
    spec.fields(kind, &[], &[], w)
}

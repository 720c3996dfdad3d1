//! The cluster-wide kinds: Namespace, ResourceQuota, PriorityClass and PodDisruptionBudget.

use std::collections::BTreeMap;

use crate::error::InputError;

use super::model::{PriorityClass, Quota};
use super::walk::{At, Warnings};
use super::workload::string_map;

/// A ResourceQuota's `spec.hard`: requests.cpu (or cpu), requests.memory (or memory), pods.
/// Any other resource changes what pods are admitted in a way the simulator does not model,
/// so it is refused rather than dropped.
pub fn quota(obj: &At, w: &mut Warnings) -> Result<Quota, InputError> {
    let spec = obj.need("spec")?;
    spec.fields("ResourceQuota", &["hard"], &[], w)?;
    let mut q = Quota {
        source: format!("ResourceQuota at {}", obj.place()),
        cpu: None,
        memory: None,
        pods: None,
    };
    for (key, v) in spec.need("hard")?.pairs()? {
        match key {
            "requests.cpu" | "cpu" => q.cpu = Some(v.cpu()?),
            "requests.memory" | "memory" => q.memory = Some(v.bytes()?),
            "pods" => q.pods = Some(v.count()?),
            other => {
                return Err(v.error(format!(
                    "a quota on `{other}` is not modelled: the simulator's quotas count \
                     requests.cpu, requests.memory and pods"
                )));
            }
        }
    }
    Ok(q)
}

pub fn priority_class(
    obj: &At,
    name: String,
    w: &mut Warnings,
) -> Result<PriorityClass, InputError> {
    obj.fields(
        "PriorityClass",
        &["value", "globalDefault", "preemptionPolicy"],
        &[&super::map::ENVELOPE[..], &["description"]].concat(),
        w,
    )?;
    if let Some(p) = obj.get("preemptionPolicy")?
        && p.str()? != "PreemptLowerPriority"
    {
        return Err(p.error(
            "only PreemptLowerPriority is modelled: pods of this class would preempt others here",
        ));
    }
    Ok(PriorityClass {
        source: format!("PriorityClass at {}", obj.place()),
        name,
        value: obj.need("value")?.int()?,
        global_default: obj
            .get("globalDefault")?
            .map(|g| g.bool())
            .transpose()?
            .unwrap_or(false),
    })
}

/// A PodDisruptionBudget: its pod selector's labels and an integer `minAvailable`.
pub struct Budget<'a> {
    pub at: At<'a>,
    pub match_labels: BTreeMap<String, String>,
    pub min_available: u32,
}

pub fn budget<'a>(obj: &At<'a>, w: &mut Warnings) -> Result<Budget<'a>, InputError> {
    let spec = obj.need("spec")?;
    spec.fields(
        "PodDisruptionBudget",
        &["selector", "minAvailable", "maxUnavailable"],
        &[],
        w,
    )?;
    if let Some(m) = spec.get("maxUnavailable")? {
        return Err(m.error(
            "maxUnavailable is not imported: the simulator's budgets are minAvailable; write \
             minAvailable = replicas − maxUnavailable",
        ));
    }
    let min = spec.need("minAvailable")?;
    if !matches!(min.node.value, super::yaml::Value::Int(_)) {
        return Err(min.error("expected a whole number of pods: percentages are not imported"));
    }
    let selector = spec.need("selector")?;
    selector.fields(
        "PodDisruptionBudget",
        &["matchLabels", "matchExpressions"],
        &[],
        w,
    )?;
    if let Some(e) = selector.get("matchExpressions")? {
        return Err(e.error("matchExpressions are not imported: select the pods by matchLabels"));
    }
    Ok(Budget {
        at: obj.clone(),
        match_labels: string_map(&selector.need("matchLabels")?)?,
        min_available: min.int()?,
    })
}

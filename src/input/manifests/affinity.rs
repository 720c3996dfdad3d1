//! A pod template's `affinity`: `nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`
//! becomes the service's `node_affinity` (its `nodeSelectorTerms`, ORed, each of
//! `matchExpressions`, ANDed: `models::scheduler::affinity`, kube-scheduler's NodeAffinity
//! filter). The preferred terms only weigh the scoring, as `ScheduleAnyway` spreads do, and are
//! said to be ignored; pod (anti-)affinity and `matchFields` would change where pods may run
//! and are refused.

use models::scheduler::affinity::{NodeSelectorRequirement, NodeSelectorTerm};

use super::walk::{At, Warnings};
use crate::error::InputError;

/// The required node selector terms of `affinity`.
pub fn node_affinity(
    kind: &str,
    affinity: &At,
    w: &mut Warnings,
) -> Result<Vec<NodeSelectorTerm>, InputError> {
    affinity.fields(
        kind,
        &["nodeAffinity", "podAffinity", "podAntiAffinity"],
        &[],
        w,
    )?;
    for pod in ["podAffinity", "podAntiAffinity"] {
        if let Some(a) = affinity.get(pod)? {
            return Err(a.error(format!(
                "{pod} is not modelled: it changes where pods may run; remove it, or spread \
                 the pods with topologySpreadConstraints"
            )));
        }
    }
    let Some(node) = affinity.get("nodeAffinity")? else {
        return Ok(Vec::new());
    };
    node.fields(
        kind,
        &["requiredDuringSchedulingIgnoredDuringExecution"],
        &[],
        w,
    )?;
    let Some(required) = node.get("requiredDuringSchedulingIgnoredDuringExecution")? else {
        return Ok(Vec::new());
    };
    required.fields(kind, &["nodeSelectorTerms"], &[], w)?;
    required
        .need("nodeSelectorTerms")?
        .items()?
        .iter()
        .map(|t| term(kind, t, w))
        .collect()
}

fn term(kind: &str, t: &At, w: &mut Warnings) -> Result<NodeSelectorTerm, InputError> {
    t.fields(kind, &["matchExpressions", "matchFields"], &[], w)?;
    if let Some(f) = t.get("matchFields")? {
        return Err(f.error(
            "matchFields (a node's metadata.name) is not modelled: select nodes by their \
             labels with matchExpressions",
        ));
    }
    let mut match_expressions = Vec::new();
    if let Some(list) = t.get("matchExpressions")? {
        for r in list.items()? {
            r.fields(kind, &["key", "operator", "values"], &[], w)?;
            let requirement = NodeSelectorRequirement {
                key: r.need("key")?.str()?.to_owned(),
                operator: r.need("operator")?.variant()?,
                values: match r.get("values")? {
                    Some(v) => v
                        .items()?
                        .iter()
                        .map(At::scalar)
                        .collect::<Result<_, _>>()?,
                    None => Vec::new(),
                },
            };
            if !requirement.is_valid() {
                return Err(r.error(
                    "expected values for In and NotIn, none for Exists and DoesNotExist, one \
                     whole number for Gt and Lt",
                ));
            }
            match_expressions.push(requirement);
        }
    }
    Ok(NodeSelectorTerm { match_expressions })
}

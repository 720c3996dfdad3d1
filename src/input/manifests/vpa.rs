//! VerticalPodAutoscaler `autoscaling.k8s.io/v1` → the service's `vpa`
//! (`models::vpa::config`): `updatePolicy.updateMode` and `minReplicas`, and the one container
//! policy's `minAllowed`, `maxAllowed`, `controlledResources` and `controlledValues`, named as
//! in upstream's `vertical-pod-autoscaler/pkg/apis/autoscaling.k8s.io/v1/types.go`. The
//! simulator's pod is one container, so one container policy (any `containerName`) is
//! read; several, or a container `mode: Off`, would leave parts of the pod uncontrolled and
//! are refused.

use models::vpa::config::{VpaBounds, VpaConfig};

use super::walk::{At, Warnings};
use crate::error::InputError;

const KIND: &str = "VerticalPodAutoscaler";

/// The VPA and the (kind, name) of the workload it controls.
pub fn vpa(obj: &At, w: &mut Warnings) -> Result<(VpaConfig, String, String), InputError> {
    let api = obj.need("apiVersion")?;
    if api.str()? != "autoscaling.k8s.io/v1" {
        return Err(api.error(format!(
            "expected autoscaling.k8s.io/v1, found `{}`",
            api.str()?
        )));
    }
    let spec = obj.need("spec")?;
    spec.fields(
        KIND,
        &["targetRef", "updatePolicy", "resourcePolicy"],
        &[],
        w,
    )?;
    let target = spec.need("targetRef")?;
    target.fields(KIND, &["kind", "name"], &["apiVersion"], w)?;
    let mut vpa = VpaConfig {
        update_mode: Default::default(),
        min_replicas: None,
        min_allowed: VpaBounds::default(),
        max_allowed: VpaBounds::default(),
        controlled_resources: vec![
            models::vpa::config::VpaResource::Cpu,
            models::vpa::config::VpaResource::Memory,
        ],
        controlled_values: Default::default(),
    };
    if let Some(p) = spec.get("updatePolicy")? {
        p.fields(KIND, &["updateMode", "minReplicas"], &[], w)?;
        if let Some(m) = p.get("updateMode")? {
            vpa.update_mode = m.variant()?;
        }
        vpa.min_replicas = p.get("minReplicas")?.map(|m| m.int()).transpose()?;
    }
    if let Some(r) = spec.get("resourcePolicy")? {
        r.fields(KIND, &["containerPolicies"], &[], w)?;
        let policies = r.need("containerPolicies")?;
        match policies.items()?.as_slice() {
            [] => {}
            [c] => container_policy(c, &mut vpa, w)?,
            _ => {
                return Err(policies
                    .error("the simulator's pod is one container: expected one container policy"));
            }
        }
    }
    Ok((
        vpa,
        target.need("kind")?.str()?.to_owned(),
        target.need("name")?.str()?.to_owned(),
    ))
}

fn container_policy(c: &At, vpa: &mut VpaConfig, w: &mut Warnings) -> Result<(), InputError> {
    c.fields(
        KIND,
        &[
            "containerName",
            "mode",
            "minAllowed",
            "maxAllowed",
            "controlledResources",
            "controlledValues",
        ],
        &[],
        w,
    )?;
    if let Some(m) = c.get("mode")?
        && m.str()? != "Auto"
    {
        return Err(m.error(
            "only mode Auto is modelled: Off would leave the pod uncontrolled; remove the VPA",
        ));
    }
    let bounds = |key: &str| -> Result<VpaBounds, InputError> {
        let Some(b) = c.get(key)? else {
            return Ok(VpaBounds::default());
        };
        for (k, v) in b.pairs()? {
            if k != "cpu" && k != "memory" {
                return Err(v.error(format!("`{k}` is not modelled: expected cpu or memory")));
            }
        }
        Ok(VpaBounds {
            cpu: b.get("cpu")?.map(|v| v.cpu()).transpose()?,
            memory: b.get("memory")?.map(|v| v.bytes()).transpose()?,
        })
    };
    vpa.min_allowed = bounds("minAllowed")?;
    vpa.max_allowed = bounds("maxAllowed")?;
    if let Some(r) = c.get("controlledResources")? {
        vpa.controlled_resources = r
            .items()?
            .iter()
            .map(At::variant)
            .collect::<Result<_, _>>()?;
    }
    if let Some(v) = c.get("controlledValues")? {
        vpa.controlled_values = v.variant()?;
    }
    Ok(())
}

//! HorizontalPodAutoscaler `autoscaling/v2`: bounds, Resource metrics (cpu and memory, by
//! utilization or average value) and `behavior`, for the service its `scaleTargetRef` names.

use crate::error::InputError;
use sim::quantity::CpuMillis;

use super::model::{Hpa, Metric, Rules, Target};
use super::walk::{At, Warnings};

const KIND: &str = "HorizontalPodAutoscaler";

/// The HPA and the (kind, name) of the workload it scales.
pub fn hpa(obj: &At, w: &mut Warnings) -> Result<(Hpa, String, String), InputError> {
    let api = obj.need("apiVersion")?;
    // v2beta2 has v2's fields; v1 and v2beta1 spell the targets differently.
    if !["autoscaling/v2", "autoscaling/v2beta2"].contains(&api.str()?) {
        return Err(api.error(format!(
            "expected autoscaling/v2, found `{}`: convert it with `kubectl convert` or \
             `kubectl get hpa -o yaml` from a cluster that serves v2",
            api.str()?
        )));
    }
    let spec = obj.need("spec")?;
    spec.fields(
        KIND,
        &[
            "scaleTargetRef",
            "minReplicas",
            "maxReplicas",
            "metrics",
            "behavior",
        ],
        &[],
        w,
    )?;
    let target = spec.need("scaleTargetRef")?;
    target.fields(KIND, &["kind", "name"], &["apiVersion"], w)?;
    let metrics = match spec.get("metrics")? {
        Some(m) => m
            .items()?
            .iter()
            .map(|m| metric(m, w))
            .collect::<Result<_, _>>()?,
        // The API's default: 80 % CPU utilization.
        None => vec![Metric {
            resource: "cpu",
            target: Target::Utilization(80),
        }],
    };
    let behavior = spec.get("behavior")?;
    if let Some(b) = &behavior {
        b.fields(KIND, &["scaleUp", "scaleDown"], &[], w)?;
    }
    let rules = |key: &str, w: &mut Warnings| -> Result<Option<Rules>, InputError> {
        match &behavior {
            Some(b) => b.get(key)?.map(|r| scaling_rules(&r, w)).transpose(),
            None => Ok(None),
        }
    };
    let hpa = Hpa {
        source: format!("HorizontalPodAutoscaler at {}", obj.place()),
        // The API's default.
        min_replicas: spec
            .get("minReplicas")?
            .map(|m| m.int())
            .transpose()?
            .unwrap_or(1),
        max_replicas: spec.need("maxReplicas")?.int()?,
        metrics,
        scale_up: rules("scaleUp", w)?,
        scale_down: rules("scaleDown", w)?,
    };
    Ok((
        hpa,
        target.need("kind")?.str()?.to_owned(),
        target.need("name")?.str()?.to_owned(),
    ))
}

fn metric(m: &At, w: &mut Warnings) -> Result<Metric, InputError> {
    m.fields(KIND, &["type", "resource"], &[], w)?;
    let kind = m.need("type")?;
    if kind.str()? != "Resource" {
        return Err(kind.error(format!(
            "{} metrics are not imported yet (only Resource): write this metric in the \
             service's `hpa.metrics` by hand",
            kind.str()?
        )));
    }
    let r = m.need("resource")?;
    r.fields(KIND, &["name", "target"], &[], w)?;
    let name = r.need("name")?;
    let resource = match name.str()? {
        "cpu" => "cpu",
        "memory" => "memory",
        other => return Err(name.error(format!("expected cpu or memory, found `{other}`"))),
    };
    let t = r.need("target")?;
    t.fields(
        KIND,
        &["type", "averageUtilization", "averageValue"],
        &[],
        w,
    )?;
    let ty = t.need("type")?;
    let target = match ty.str()? {
        "Utilization" => Target::Utilization(t.need("averageUtilization")?.int()?),
        "AverageValue" => {
            let v = t.need("averageValue")?;
            // Checked as the HPA reads a quantity (its milli-value).
            let text = v.scalar()?;
            CpuMillis::parse(&text)
                .map_err(|e| v.error(e.message.replace("cpu quantity", "quantity")))?;
            Target::AverageValue(text)
        }
        other => {
            return Err(ty.error(format!(
                "expected Utilization or AverageValue for a Resource metric, found `{other}`"
            )));
        }
    };
    Ok(Metric { resource, target })
}

fn scaling_rules(r: &At, w: &mut Warnings) -> Result<Rules, InputError> {
    r.fields(
        KIND,
        &["stabilizationWindowSeconds", "selectPolicy", "policies"],
        &[],
        w,
    )?;
    let select_policy = match r.get("selectPolicy")? {
        None => None,
        Some(p) => Some(match p.str()? {
            "Max" => "Max",
            "Min" => "Min",
            "Disabled" => "Disabled",
            other => return Err(p.error(format!("expected Max, Min or Disabled, found `{other}`"))),
        }),
    };
    let mut policies = Vec::new();
    if let Some(list) = r.get("policies")? {
        for p in list.items()? {
            p.fields(KIND, &["type", "value", "periodSeconds"], &[], w)?;
            let ty = p.need("type")?;
            let ty = match ty.str()? {
                "Pods" => "Pods",
                "Percent" => "Percent",
                other => return Err(ty.error(format!("expected Pods or Percent, found `{other}`"))),
            };
            policies.push((ty, p.need("value")?.int()?, p.need("periodSeconds")?.int()?));
        }
    }
    Ok(Rules {
        stabilization_window_s: r
            .get("stabilizationWindowSeconds")?
            .map(|s| s.int())
            .transpose()?,
        select_policy,
        policies,
    })
}

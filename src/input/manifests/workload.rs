//! Deployments, StatefulSets and ReplicaSets: one service each, from the replica count and the
//! pod template. The simulator gives a service one container per pod, so a pod's containers
//! are summed into it (and a warning says so).

use std::collections::BTreeMap;

use crate::error::InputError;
use models::plan::GPU_RESOURCE;
use sim::quantity::{Bytes, CpuMillis};

use super::affinity;
use super::model::{Service, Toleration};
use super::walk::{At, Warnings};

/// The topology keys the simulator's spread constraints know (`models::config`).
const SPREAD_KEYS: [&str; 2] = ["topology.kubernetes.io/zone", "kubernetes.io/hostname"];

/// One workload object (`kind` already read) as a service.
pub fn service(
    kind: &str,
    obj: &At,
    name: String,
    namespace: String,
    w: &mut Warnings,
) -> Result<Service, InputError> {
    let spec = obj.need("spec")?;
    // `selector` is implied: the template's pods are the workload's.
    spec.fields(kind, &["replicas", "template"], &["selector"], w)?;
    // The API's default, when `replicas` is left out.
    let replicas = match spec.get("replicas")? {
        Some(r) => r.int()?,
        None => 1,
    };
    from_template(
        kind,
        obj,
        &spec.need("template")?,
        (name, namespace),
        replicas,
        w,
    )
}

/// A service from a pod `template` of `obj` (a workload's, or a Job's); `replicas` pods.
pub fn from_template(
    kind: &str,
    obj: &At,
    template: &At,
    (name, namespace): (String, String),
    replicas: u32,
    w: &mut Warnings,
) -> Result<Service, InputError> {
    template.fields(kind, &["metadata", "spec"], &[], w)?;
    let labels = match template.get("metadata")? {
        Some(m) => match m.get("labels")? {
            Some(l) => string_map(&l)?,
            None => BTreeMap::new(),
        },
        None => BTreeMap::new(),
    };
    let pod = template.need("spec")?;
    pod.fields(
        kind,
        &[
            "containers",
            "nodeSelector",
            "tolerations",
            "priorityClassName",
            "terminationGracePeriodSeconds",
            "topologySpreadConstraints",
            "affinity",
        ],
        &[],
        w,
    )?;
    let mut s = Service {
        source: format!("{kind} {namespace}/{name} at {}", obj.place()),
        kind: kind.to_owned(),
        name,
        namespace,
        labels,
        replicas,
        cpu: CpuMillis(0),
        memory: Bytes(0),
        limit_cpu: None,
        limit_memory: None,
        gpus: 0,
        node_selector: match pod.get("nodeSelector")? {
            Some(n) => string_map(&n)?,
            None => BTreeMap::new(),
        },
        tolerations: match pod.get("tolerations")? {
            Some(t) => t
                .items()?
                .iter()
                .map(|t| toleration(kind, t, w))
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        },
        priority_class: pod
            .get("priorityClassName")?
            .map(|p| p.str())
            .transpose()?
            .map(str::to_owned),
        termination_grace_s: pod
            .get("terminationGracePeriodSeconds")?
            .map(|t| t.int())
            .transpose()?,
        readiness_s: None,
        topology_spread: match pod.get("topologySpreadConstraints")? {
            Some(c) => spread(kind, &c, w)?,
            None => Vec::new(),
        },
        node_affinity: match pod.get("affinity")? {
            Some(a) => affinity::node_affinity(kind, &a, w)?,
            None => Vec::new(),
        },
        hpa: None,
        vpa: None,
        min_available: None,
    };
    containers(kind, &pod.need("containers")?, &mut s, w)?;
    Ok(s)
}

/// Sums the containers' requests and limits into the service, and takes the first one's
/// readiness delay.
fn containers(kind: &str, list: &At, s: &mut Service, w: &mut Warnings) -> Result<(), InputError> {
    let items = list.items()?;
    if items.is_empty() {
        return Err(list.error("expected at least one container"));
    }
    if items.len() > 1 {
        w.note(
            list,
            format!(
                "{kind} {}: {} containers summed into one pod-sized container (the \
                 simulator's model of a pod)",
                s.name,
                items.len()
            ),
        );
    }
    let (mut limit_cpu, mut limit_memory) = (Some(CpuMillis(0)), Some(Bytes(0)));
    for (i, c) in items.iter().enumerate() {
        c.fields(kind, &["name", "resources", "readinessProbe"], &[], w)?;
        let (cpu, memory, lcpu, lmem) = match c.get("resources")? {
            Some(r) => {
                s.gpus += container_gpus(&r)?;
                resources(kind, &r, w)?
            }
            None => (None, None, None, None),
        };
        // Kubernetes defaults a missing request to the limit.
        s.cpu = CpuMillis(s.cpu.0 + cpu.or(lcpu).map_or(0, |q| q.0));
        s.memory = Bytes(s.memory.0 + memory.or(lmem).map_or(0, |q| q.0));
        // A pod is limited only when every container is.
        limit_cpu = limit_cpu.zip(lcpu).map(|(a, b)| CpuMillis(a.0 + b.0));
        limit_memory = limit_memory.zip(lmem).map(|(a, b)| Bytes(a.0 + b.0));
        if i == 0
            && let Some(p) = c.get("readinessProbe")?
        {
            s.readiness_s = p.get("initialDelaySeconds")?.map(|d| d.int()).transpose()?;
        }
        if let Some(p) = c.get("readinessProbe")? {
            p.fields(kind, &["initialDelaySeconds"], &[], w)?;
        }
    }
    s.limit_cpu = limit_cpu;
    s.limit_memory = limit_memory;
    Ok(())
}

type Amounts = (
    Option<CpuMillis>,
    Option<Bytes>,
    Option<CpuMillis>,
    Option<Bytes>,
);

/// A container's `resources`: requests then limits of cpu and memory.
fn resources(kind: &str, r: &At, w: &mut Warnings) -> Result<Amounts, InputError> {
    r.fields(kind, &["requests", "limits"], &[], w)?;
    let pair =
        |key: &str, w: &mut Warnings| -> Result<(Option<CpuMillis>, Option<Bytes>), InputError> {
            let Some(m) = r.get(key)? else {
                return Ok((None, None));
            };
            m.fields(kind, &["cpu", "memory", GPU_RESOURCE], &[], w)?;
            Ok((
                m.get("cpu")?.map(|c| c.cpu()).transpose()?,
                m.get("memory")?.map(|c| c.bytes()).transpose()?,
            ))
        };
    let (cpu, memory) = pair("requests", w)?;
    let (lcpu, lmem) = pair("limits", w)?;
    Ok((cpu, memory, lcpu, lmem))
}

/// A container's `nvidia.com/gpu`: its limit, which is also its request. Kubernetes defaults
/// an extended resource's missing request to its limit and refuses a request that differs
/// from it ("must be equal to nvidia.com/gpu limit"; kubernetes.io/docs/tasks/manage-gpus/
/// scheduling-gpus).
fn container_gpus(r: &At) -> Result<u32, InputError> {
    let read = |key: &str| -> Result<Option<(u32, At)>, InputError> {
        let Some(m) = r.get(key)? else {
            return Ok(None);
        };
        let Some(g) = m.get(GPU_RESOURCE)? else {
            return Ok(None);
        };
        let n = u32::try_from(g.count()?)
            .map_err(|_| g.error("expected a whole number of GPUs below 2³²"))?;
        Ok(Some((n, g)))
    };
    let (request, limit) = (read("requests")?, read("limits")?);
    let limit_count = limit.as_ref().map_or(0, |l| l.0);
    match request {
        Some((n, at)) if n != limit_count => Err(at.error(format!(
            "must be equal to {GPU_RESOURCE} limit of {limit_count}: an extended resource's \
             request equals its limit (write the limit alone)"
        ))),
        _ => Ok(limit_count),
    }
}

fn toleration(kind: &str, t: &At, w: &mut Warnings) -> Result<Toleration, InputError> {
    t.fields(kind, &["key", "operator", "value", "effect"], &[], w)?;
    let text = |key: &str| -> Result<String, InputError> {
        Ok(t.get(key)?
            .map(|v| v.scalar())
            .transpose()?
            .unwrap_or_default())
    };
    let operator = match t.get("operator")? {
        None => "Equal",
        Some(o) => match o.str()? {
            "Equal" => "Equal",
            "Exists" => "Exists",
            other => return Err(o.error(format!("expected Equal or Exists, found `{other}`"))),
        },
    };
    let effect = match t.get("effect")? {
        None => None,
        Some(e) => match e.str()? {
            // Empty: every effect, as when it is left out.
            "" => None,
            "NoSchedule" => Some("NoSchedule"),
            "PreferNoSchedule" => Some("PreferNoSchedule"),
            "NoExecute" => Some("NoExecute"),
            other => {
                return Err(e.error(format!(
                    "expected NoSchedule, PreferNoSchedule or NoExecute, found `{other}`"
                )));
            }
        },
    };
    Ok(Toleration {
        key: text("key")?,
        operator,
        value: text("value")?,
        effect,
    })
}

/// The `DoNotSchedule` constraints; `ScheduleAnyway` ones are soft, like the system defaults
/// the simulator applies to every pod, and are said to be ignored.
fn spread(kind: &str, list: &At, w: &mut Warnings) -> Result<Vec<(u32, String)>, InputError> {
    let mut out = Vec::new();
    for c in list.items()? {
        c.fields(
            kind,
            &["maxSkew", "topologyKey", "whenUnsatisfiable"],
            &["labelSelector"],
            w,
        )?;
        let when = c.need("whenUnsatisfiable")?;
        match when.str()? {
            "DoNotSchedule" => {}
            "ScheduleAnyway" => {
                w.ignored(kind, &when);
                continue;
            }
            other => {
                return Err(when.error(format!(
                    "expected DoNotSchedule or ScheduleAnyway, found `{other}`"
                )));
            }
        }
        let key = c.need("topologyKey")?;
        if !SPREAD_KEYS.contains(&key.str()?) {
            return Err(key.error(format!(
                "the simulator spreads over {} only",
                SPREAD_KEYS.join(" and ")
            )));
        }
        out.push((c.need("maxSkew")?.int()?, key.str()?.to_owned()));
    }
    Ok(out)
}

/// A mapping of strings (labels, a node selector); values may be written unquoted.
pub fn string_map(m: &At) -> Result<BTreeMap<String, String>, InputError> {
    m.pairs()?
        .into_iter()
        .map(|(k, v)| Ok((k.to_owned(), v.scalar()?)))
        .collect()
}

//! Every object of the manifests mapped into [`Imported`]: the kinds dispatched to their
//! mappers, then the objects that refer to others (HPAs to their workload, budgets to the pods
//! they select, quotas to their namespace) attached; the warnings collected on the way.

use crate::error::InputError;

use super::model::{Imported, Namespace};
use super::walk::{At, Warnings};
use models::kueue::config::KueueConfig;
use models::vpa::config::VpaConfig;

use super::{
    cluster, cluster_autoscaler, hpa, jobs, karpenter, karpenter_controller, keda, kueue, model,
    read, vpa, workload,
};

/// The fields every object has besides its own, neither mapped nor warned about: they identify
/// it (`metadata`, of which the mappers read only name and namespace) or report on it
/// (`status`), and say nothing of how it behaves.
pub const ENVELOPE: [&str; 4] = ["apiVersion", "kind", "metadata", "status"];

/// The workload kinds that become services.
const WORKLOADS: [&str; 3] = ["Deployment", "StatefulSet", "ReplicaSet"];

/// Every object of the manifests mapped, and the warnings.
pub fn map(manifests: &[read::Manifest]) -> Result<(Imported, Vec<String>), InputError> {
    let mut w = Warnings::default();
    let mut x = Imported::default();
    let mut hpas = Vec::new();
    let mut vpas = Vec::new();
    let mut priorities = None;
    let mut scaled = Vec::new();
    let mut queues = KueueConfig {
        resource_flavors: Vec::new(),
        cluster_queues: Vec::new(),
        local_queues: Vec::new(),
        cohorts: Vec::new(),
        fair_sharing: false,
    };
    let mut budgets = Vec::new();
    let mut quotas = Vec::new();
    for m in manifests {
        for obj in m.objects()? {
            let kind = obj.need("kind")?.str()?.to_owned();
            let meta = obj.need("metadata")?;
            let name = meta.need("name")?.str()?.to_owned();
            let namespace = match meta.get("namespace")? {
                Some(n) => n.str()?.to_owned(),
                None => "default".to_owned(),
            };
            match kind.as_str() {
                // `kubectl get all` lists a Deployment's ReplicaSets too: the owner is the
                // service, its ReplicaSets would count its pods twice.
                k if WORKLOADS.contains(&k) && owned(&meta)? => w.note(
                    &obj,
                    format!(
                        "{k} {namespace}/{name} has an owner: skipped, its owner is the service"
                    ),
                ),
                "Deployment" if karpenter_controller::is_karpenter(&obj)? => {
                    if x.karpenter_controller.is_some() {
                        return Err(obj.error(
                            "a second Karpenter controller: the simulator runs one node \
                             autoscaler per region",
                        ));
                    }
                    let settings = karpenter_controller::settings(&obj, &mut w)?;
                    x.karpenter_controller = Some((
                        settings,
                        format!("Karpenter controller {namespace}/{name} at {}", obj.place()),
                    ));
                }
                "Deployment" if cluster_autoscaler::is_cluster_autoscaler(&obj)? => {
                    if x.cluster_autoscaler.is_some() {
                        return Err(obj.error(
                            "a second Cluster Autoscaler: the simulator runs one node \
                             autoscaler per region",
                        ));
                    }
                    let flags = cluster_autoscaler::flags(&obj, &mut w)?;
                    x.cluster_autoscaler = Some((
                        flags,
                        format!("Cluster Autoscaler {namespace}/{name} at {}", obj.place()),
                    ));
                }
                k if WORKLOADS.contains(&k) => {
                    obj.fields(k, &["spec"], &ENVELOPE, &mut w)?;
                    x.services
                        .push(workload::service(k, &obj, name, namespace, &mut w)?);
                }
                "HorizontalPodAutoscaler" => {
                    obj.fields(&kind, &["apiVersion", "spec"], &ENVELOPE, &mut w)?;
                    hpas.push((hpa::hpa(&obj, &mut w)?, namespace, obj.clone()));
                }
                "VerticalPodAutoscaler" => {
                    obj.fields(&kind, &["apiVersion", "spec"], &ENVELOPE, &mut w)?;
                    vpas.push((vpa::vpa(&obj, &mut w)?, namespace, obj.clone()));
                }
                "PodDisruptionBudget" => {
                    obj.fields(&kind, &["spec"], &ENVELOPE, &mut w)?;
                    budgets.push((cluster::budget(&obj, &mut w)?, namespace));
                }
                "ResourceQuota" => {
                    obj.fields(&kind, &["spec"], &ENVELOPE, &mut w)?;
                    quotas.push((cluster::quota(&obj, &mut w)?, namespace, obj.clone()));
                }
                "ConfigMap" if name == cluster_autoscaler::PRIORITY_CONFIG_MAP => {
                    priorities = Some(cluster_autoscaler::priorities(&obj)?);
                }
                "ScaledObject" => {
                    obj.fields(&kind, &["apiVersion", "spec"], &ENVELOPE, &mut w)?;
                    scaled.push((
                        keda::scaled_object(&obj, name, &mut w)?,
                        namespace,
                        obj.clone(),
                    ));
                }
                "Job" | "CronJob" if owned(&meta)? => w.note(
                    &obj,
                    format!("{kind} {namespace}/{name} has an owner: skipped, its owner is mapped"),
                ),
                "Job" | "CronJob" => {
                    obj.fields(&kind, &["spec"], &ENVELOPE, &mut w)?;
                    x.jobs
                        .push(jobs::job(&kind, &obj, name, namespace, &mut w)?);
                }
                "ResourceFlavor" => {
                    obj.fields(&kind, &["apiVersion", "spec"], &ENVELOPE, &mut w)?;
                    queues
                        .resource_flavors
                        .push(kueue::flavor(&obj, name, &mut w)?);
                }
                "ClusterQueue" => {
                    obj.fields(&kind, &["apiVersion", "spec"], &ENVELOPE, &mut w)?;
                    queues
                        .cluster_queues
                        .push(kueue::cluster_queue(&obj, name, &mut w)?);
                }
                "LocalQueue" => {
                    obj.fields(&kind, &["apiVersion", "spec"], &ENVELOPE, &mut w)?;
                    queues
                        .local_queues
                        .push(kueue::local_queue(&obj, name, namespace, &mut w)?);
                }
                "NodePool" => {
                    obj.fields(&kind, &["apiVersion", "spec"], &ENVELOPE, &mut w)?;
                    let pool = karpenter::node_pool(&obj, name, &mut w)?;
                    x.karpenter
                        .push((pool, format!("NodePool at {}", obj.place())));
                }
                "EC2NodeClass" | "GCENodeClass" => {
                    obj.fields(&kind, &["spec"], &ENVELOPE, &mut w)?;
                    karpenter::node_class(&kind, &obj, &mut w)?;
                }
                "Namespace" => {
                    // A Namespace's `spec` holds only its finalizers.
                    obj.fields(&kind, &[], &[&ENVELOPE[..], &["spec"]].concat(), &mut w)?;
                    declare(&mut x.namespaces, &name, &obj.place());
                }
                "PriorityClass" => {
                    x.priority_classes
                        .push(cluster::priority_class(&obj, name, &mut w)?);
                }
                other => w.unknown_kind(other, &obj),
            }
        }
    }
    attach_hpas(&mut x, hpas)?;
    attach_vpas(&mut x, vpas)?;
    if !(queues.resource_flavors.is_empty()
        && queues.cluster_queues.is_empty()
        && queues.local_queues.is_empty())
    {
        x.kueue = Some(queues);
    }
    for ((scaling, kind, name), namespace, at) in scaled {
        let s = target(&mut x, &at, "scaleTargetRef", (&kind, &name, &namespace))?;
        let source = format!("ScaledObject at {}", at.place());
        match scaling {
            keda::Scaling::Queue(scaler) => x.event_driven.push((scaler, source)),
            keda::Scaling::Hpa(hpa) => {
                if s.hpa.is_some() {
                    return Err(at.error(format!(
                        "{kind} {namespace}/{name} already has an HPA, and KEDA creates one \
                         for its cpu and memory triggers: remove one"
                    )));
                }
                s.hpa = Some(hpa);
            }
            keda::Scaling::Cron(actions) => {
                if s.hpa.is_some() {
                    return Err(at.error(format!(
                        "{kind} {namespace}/{name} already has an HPA, and KEDA creates one \
                         for its cron trigger: remove one"
                    )));
                }
                x.scheduled.extend(actions.map(|a| (a, source.clone())));
            }
        }
    }
    attach_budgets(&mut x, budgets, &mut w)?;
    attach_quotas(&mut x, quotas)?;
    declare_used(&mut x);
    if let (Some((flags, _)), Some(p)) = (&mut x.cluster_autoscaler, priorities) {
        flags.priorities = p;
    }
    if let (Some((_, source)), true) = (&x.karpenter_controller, x.karpenter.is_empty()) {
        w.lines.push(format!(
            "{source}: no NodePool, so no Karpenter runs: its settings are not used"
        ));
    }
    if let (Some((_, ca)), Some((_, pool))) = (&x.cluster_autoscaler, x.karpenter.first()) {
        return Err(InputError::whole_file(
            &manifests[0].file,
            format!(
                "both a Cluster Autoscaler ({ca}) and Karpenter ({pool}): the simulator runs \
                 one node autoscaler per region; remove one"
            ),
        ));
    }
    Ok((x, w.lines))
}

/// Each ResourceQuota onto its namespace, declared if it was not; one per namespace.
fn attach_quotas(
    x: &mut Imported,
    quotas: Vec<(model::Quota, String, At)>,
) -> Result<(), InputError> {
    for (q, namespace, at) in quotas {
        declare(&mut x.namespaces, &namespace, &at.place());
        if let Some(n) = x.namespaces.iter_mut().find(|n| n.name == namespace) {
            if n.quota.is_some() {
                return Err(at.error(format!(
                    "a second ResourceQuota in namespace `{namespace}`: the simulator takes one \
                     per namespace; merge them"
                )));
            }
            n.quota = Some(q);
        }
    }
    Ok(())
}

/// Declares the namespaces the workloads name (besides `default`, which always exists): the
/// experiment refuses a service in an undeclared one.
fn declare_used(x: &mut Imported) {
    let queues = x.kueue.iter().flat_map(|k| &k.local_queues);
    let used: Vec<(String, String)> = x
        .services
        .iter()
        .map(|s| (s.namespace.clone(), s.source.clone()))
        .chain(
            x.jobs
                .iter()
                .map(|j| (j.namespace.clone(), j.source.clone())),
        )
        .chain(queues.map(|q| {
            let source = format!("LocalQueue {}/{}", q.namespace, q.name);
            (q.namespace.clone(), source)
        }))
        .filter(|(namespace, _)| namespace != "default")
        .collect();
    for (namespace, source) in used {
        declare(&mut x.namespaces, &namespace, &source);
    }
}

/// Whether an object's `metadata.ownerReferences` names an owner.
fn owned(meta: &At) -> Result<bool, InputError> {
    Ok(match meta.get("ownerReferences")? {
        Some(refs) => !refs.items()?.is_empty(),
        None => false,
    })
}

/// Adds a namespace unless it is there already.
fn declare(namespaces: &mut Vec<Namespace>, name: &str, source: &str) {
    if !namespaces.iter().any(|n| n.name == name) {
        namespaces.push(Namespace {
            name: name.to_owned(),
            source: source.to_owned(),
            quota: None,
        });
    }
}

/// Each HPA onto the workload its `scaleTargetRef` names in its namespace.
fn attach_hpas(
    x: &mut Imported,
    hpas: Vec<((model::Hpa, String, String), String, At)>,
) -> Result<(), InputError> {
    for ((hpa, kind, name), namespace, at) in hpas {
        let s = target(x, &at, "scaleTargetRef", (&kind, &name, &namespace))?;
        if s.hpa.is_some() {
            return Err(at.error(format!("{kind} {namespace}/{name} already has an HPA")));
        }
        s.hpa = Some(hpa);
    }
    Ok(())
}

/// Each VPA onto the workload its `targetRef` names in its namespace.
fn attach_vpas(
    x: &mut Imported,
    vpas: Vec<((VpaConfig, String, String), String, At)>,
) -> Result<(), InputError> {
    for ((vpa, kind, name), namespace, at) in vpas {
        let s = target(x, &at, "targetRef", (&kind, &name, &namespace))?;
        if s.vpa.is_some() {
            return Err(at.error(format!("{kind} {namespace}/{name} already has a VPA")));
        }
        s.vpa = Some((vpa, format!("VerticalPodAutoscaler at {}", at.place())));
    }
    Ok(())
}

/// The workload `(kind, name, namespace)` that `at`'s `spec.<field>` names.
fn target<'x>(
    x: &'x mut Imported,
    at: &At,
    field: &str,
    (kind, name, namespace): (&str, &str, &str),
) -> Result<&'x mut model::Service, InputError> {
    match x
        .services
        .iter_mut()
        .find(|s| s.kind == kind && s.name == name && s.namespace == namespace)
    {
        Some(s) => Ok(s),
        None => Err(at.need("spec")?.need(field)?.error(format!(
            "names {kind} {namespace}/{name}, which is not among the manifests"
        ))),
    }
}

/// Each PodDisruptionBudget onto the one workload of its namespace whose pod labels its
/// selector matches; the simulator's budgets are per service.
fn attach_budgets(
    x: &mut Imported,
    budgets: Vec<(cluster::Budget, String)>,
    w: &mut Warnings,
) -> Result<(), InputError> {
    for (b, namespace) in budgets {
        let matches: Vec<usize> = x
            .services
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s.namespace == namespace
                    && b.match_labels
                        .iter()
                        .all(|(k, v)| s.labels.get(k) == Some(v))
            })
            .map(|(i, _)| i)
            .collect();
        match matches.as_slice() {
            [] => w.note(
                &b.at,
                "PodDisruptionBudget selects no imported workload: skipped",
            ),
            [i] => x.services[*i].min_available = Some(b.min_available),
            _ => {
                return Err(b.at.error(
                    "this PodDisruptionBudget selects the pods of several workloads: the \
                     simulator's budgets are per service; write one per workload",
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use std::path::PathBuf;

    use super::super::{write, yaml};
    use super::*;

    /// The example's manifests, one text.
    const SHOP: &str = concat!(
        include_str!("../../../experiments/manifests/shop/api.yaml"),
        "---\n",
        include_str!("../../../experiments/manifests/shop/web.yaml"),
        "---\n",
        include_str!("../../../experiments/manifests/shop/namespace.yaml"),
    );

    /// Parses and maps `text` as one file: an answer or an error, never a panic.
    fn map_text(text: &str) -> Result<usize, InputError> {
        let file = PathBuf::from("m.yaml");
        let documents = yaml::documents(&file, text)?;
        let (x, _) = map(&[read::Manifest { file, documents }])?;
        Ok(write::experiment(&x, "m", &[], None).len())
    }

    #[test]
    fn the_example_maps_as_one_text() {
        assert!(map_text(SHOP).is_ok());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Spans of the example removed or replaced by YAML's punctuation and odd values.
        #[test]
        fn mutated_manifests_never_panic(
            at in 0usize..4000,
            len in 0usize..40,
            snippet in prop::sample::select(vec![
                "", ":", "- ", "[", "{", "}", "]", "\n  ", "&a ", "*a", "'", "\"", "-1",
                "99999999999999999999", "1e400", "null", "~", "? ", "!!str ", "---\n", "\t",
            ]),
        ) {
            let chars: Vec<char> = SHOP.chars().collect();
            let at = at.min(chars.len());
            let end = (at + len).min(chars.len());
            let text: String = chars[..at]
                .iter()
                .chain(snippet.chars().collect::<Vec<_>>().iter())
                .chain(&chars[end..])
                .collect();
            let _ = map_text(&text);
        }
    }
}

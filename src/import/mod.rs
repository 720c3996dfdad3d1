//! `clustersim import`: Kubernetes manifests in, an experiment file out (issue 23, first
//! slice). `read` finds and parses the files (YAML by `serde-saphyr`, into the located tree of
//! `yaml`), `walk` reads fields with their paths and collects the warnings, `workload`, `hpa`
//! and `cluster` map the kinds into `model`, and `write` prints the commented RON, whose
//! unknowable values (traffic, capacity per pod, the cluster's nodes) are `TODO` placeholders
//! that `validate` refuses.

mod cluster;
mod hpa;
mod model;
mod read;
mod walk;
mod workload;
mod write;
mod yaml;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clustersim::error::InputError;

use model::{Imported, Namespace};
use walk::{At, Warnings};

/// The fields every object has besides its own, neither mapped nor warned about: they identify
/// it (`metadata`, of which the mappers read only name and namespace) or report on it
/// (`status`), and say nothing of how it behaves.
pub const ENVELOPE: [&str; 4] = ["apiVersion", "kind", "metadata", "status"];

/// The workload kinds that become services.
const WORKLOADS: [&str; 3] = ["Deployment", "StatefulSet", "ReplicaSet"];

/// The experiment text and the warnings, or the first error.
pub fn import(paths: &[PathBuf], name: &str) -> Result<(String, Vec<String>), InputError> {
    let manifests = read::read(paths)?;
    let (x, warnings) = map(&manifests)?;
    Ok((write::experiment(&x, name, paths), warnings))
}

/// Every object of the manifests mapped, and the warnings.
fn map(manifests: &[read::Manifest]) -> Result<(Imported, Vec<String>), InputError> {
    let mut w = Warnings::default();
    let mut x = Imported::default();
    let mut hpas = Vec::new();
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
                k if WORKLOADS.contains(&k) => {
                    obj.fields(k, &["spec"], &ENVELOPE, &mut w)?;
                    x.services
                        .push(workload::service(k, &obj, name, namespace, &mut w)?);
                }
                "HorizontalPodAutoscaler" => {
                    obj.fields(&kind, &["apiVersion", "spec"], &ENVELOPE, &mut w)?;
                    hpas.push((hpa::hpa(&obj, &mut w)?, namespace, obj.clone()));
                }
                "PodDisruptionBudget" => {
                    obj.fields(&kind, &["spec"], &ENVELOPE, &mut w)?;
                    budgets.push((cluster::budget(&obj, &mut w)?, namespace));
                }
                "ResourceQuota" => {
                    obj.fields(&kind, &["spec"], &ENVELOPE, &mut w)?;
                    quotas.push((cluster::quota(&obj, &mut w)?, namespace, obj.clone()));
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
    attach_budgets(&mut x, budgets, &mut w)?;
    attach_quotas(&mut x, quotas)?;
    declare_used(&mut x);
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
    for s in &x.services {
        if s.namespace != "default" {
            declare(&mut x.namespaces, &s.namespace, &s.source);
        }
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
        let Some(s) = x
            .services
            .iter_mut()
            .find(|s| s.kind == kind && s.name == name && s.namespace == namespace)
        else {
            return Err(at.need("spec")?.need("scaleTargetRef")?.error(format!(
                "scales {kind} {namespace}/{name}, which is not among the manifests"
            )));
        };
        if s.hpa.is_some() {
            return Err(at.error(format!("{kind} {namespace}/{name} already has an HPA")));
        }
        s.hpa = Some(hpa);
    }
    Ok(())
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

/// The file stem of the first path, as the experiment's name ("shop" for `k8s/shop/`).
pub fn default_name(paths: &[PathBuf]) -> String {
    paths
        .first()
        .and_then(|p| Path::new(p).file_stem())
        .map_or_else(
            || "imported".to_owned(),
            |s| s.to_string_lossy().into_owned(),
        )
}

/// The text after `import --help`: exit codes, examples.
pub const AFTER_HELP: &str = "\
Exit codes:
  0  the experiment was written (warnings, if any, on stderr)
  2  bad input: a manifest that is not YAML, a bad quantity, a field that changes behaviour
     but is not imported (each located as file:line:col and field path); nothing written
  3  the --out file could not be written

Examples:
  clustersim import experiments/manifests/shop/ --out shop.ron
  kubectl get deploy,hpa,pdb,resourcequota,priorityclass -A -o yaml > cluster.yaml
  clustersim import cluster.yaml --name prod > prod.ron
  helm template my-release ./chart | tee rendered.yaml && clustersim import rendered.yaml";

/// `clustersim import`: the warnings on stderr, the experiment on stdout or into `out`.
pub fn command(paths: &[PathBuf], out: Option<&Path>, name: Option<String>) -> ExitCode {
    let name = name.unwrap_or_else(|| default_name(paths));
    let (text, warnings) = match import(paths, &name) {
        Ok(r) => r,
        Err(e) => return crate::bad_input(&e),
    };
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    match out {
        None => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Some(out) => match reports::write_atomically(out, |f| f.write_all(text.as_bytes())) {
            Ok(()) => {
                eprintln!(
                    "wrote {}; fill in its TODOs, then `clustersim validate` it",
                    out.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => crate::failed(&e),
        },
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The example's manifests, one text.
    const SHOP: &str = concat!(
        include_str!("../../experiments/manifests/shop/api.yaml"),
        "---\n",
        include_str!("../../experiments/manifests/shop/web.yaml"),
        "---\n",
        include_str!("../../experiments/manifests/shop/namespace.yaml"),
    );

    /// Parses and maps `text` as one file: an answer or an error, never a panic.
    fn map_text(text: &str) -> Result<usize, InputError> {
        let file = PathBuf::from("m.yaml");
        let documents = yaml::documents(&file, text)?;
        let (x, _) = map(&[read::Manifest { file, documents }])?;
        Ok(write::experiment(&x, "m", &[]).len())
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

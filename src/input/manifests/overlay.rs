//! The experiment over its manifests. The rules (README, "Start from your manifests"):
//!
//! - **Services**: every workload of the manifests needs a service of its name in the
//!   experiment, which gives what no manifest can (`traffic`, `capacity_rps`); of that service
//!   the fields the experiment writes win, field by field (a top-level field whole: a written
//!   `hpa` replaces the manifest's HPA), and the manifests give the rest (replicas, requests,
//!   limits, HPA, PDB, namespace, …), so the entry need not write them (`partial`). A service
//!   no manifest names is the experiment's alone, with every field the schema requires. The order is the experiment's, so a field path such as
//!   `services[1].hpa` found wrong later points at the experiment's own text.
//! - **Batch** (`batch`): as services, by name; the experiment gives each Job's `arrivals`,
//!   except a suspended CronJob's (none arrive), which needs no entry; of a running CronJob's
//!   only how long each Job runs, `arrivals: Schedule(duration: …)`, the schedule being the
//!   CronJob's (`partial`).
//! - **Named lists** (`namespaces`, `priority_classes`, `policies.scheduled` and
//!   `policies.event_driven` by name,
//!   `node_autoscaling` by region): the experiment's entries first,
//!   each replacing the manifests' entry of its name whole, then the manifests' other entries.
//! - **`kueue`**: the experiment's section if it writes one, else the manifests'.
//! - **Everything else** (name, duration, regions, node pools, targets, …) is the experiment's:
//!   the manifests say nothing of it.
//!
//! Which fields a service writes is read from the RON text (`crate::locate`), since a parsed
//! field that was left out holds its default, indistinguishable from one written.

use serde::Serialize;
use serde::de::DeserializeOwned;

use models::policy::config::PoliciesConfig;

use super::model::Imported;
use crate::error::FieldError;
use crate::input::Experiment;
use crate::locate::{Segment, locate_exact};

/// `ours` (the experiment, parsed from `src`) over `imported` (its manifests as `clustersim
/// import` writes them, parsed back; `x` the same, with each object's source).
pub fn overlay(
    imported: Experiment,
    x: &Imported,
    ours: Experiment,
    src: &str,
) -> Result<Experiment, FieldError> {
    let services = field_by_field(
        imported.services,
        ours.services,
        Named {
            list: "services",
            name: |s| &s.name,
            sources: x.services.iter().map(|s| s.source.as_str()).collect(),
            complete: vec![false; x.services.len()],
            needs: vec!["with at least its `traffic` and `capacity_rps`"; x.services.len()],
        },
        src,
    )?;
    let batch = field_by_field(
        imported.batch,
        ours.batch,
        Named {
            list: "batch",
            name: |b| &b.name,
            sources: x.jobs.iter().map(|j| j.source.as_str()).collect(),
            complete: x.jobs.iter().map(|j| j.suspended).collect(),
            needs: x
                .jobs
                .iter()
                .map(|j| match j.schedule {
                    Some(_) => {
                        "with at least its `arrivals: Schedule(duration: …)`: how long each Job \
                         runs, the schedule being the CronJob's"
                    }
                    None => "with at least its `arrivals`",
                })
                .collect(),
        },
        src,
    )?;
    Ok(Experiment {
        services,
        batch,
        kueue: ours.kueue.or(imported.kueue),
        namespaces: by_name(imported.namespaces, ours.namespaces, |n| &n.name),
        priority_classes: by_name(imported.priority_classes, ours.priority_classes, |c| {
            &c.name
        }),
        node_autoscaling: by_name(imported.node_autoscaling, ours.node_autoscaling, |a| {
            &a.region
        }),
        policies: PoliciesConfig {
            scheduled: by_name(imported.policies.scheduled, ours.policies.scheduled, |s| {
                &s.name
            }),
            event_driven: by_name(
                imported.policies.event_driven,
                ours.policies.event_driven,
                |e| &e.name,
            ),
            ..ours.policies
        },
        ..ours
    })
}

/// A list whose manifest entries need an entry of theirs in the experiment.
struct Named<'a, T> {
    /// Its field in the experiment (`services`, `batch`).
    list: &'a str,
    name: fn(&T) -> &String,
    /// Where each manifest entry was written, in their order.
    sources: Vec<&'a str>,
    /// Whether each manifest entry needs nothing of the experiment (a suspended CronJob): one
    /// the experiment does not name is kept as the manifests give it.
    complete: Vec<bool>,
    /// What the experiment's entry for each manifest entry must give, for the error.
    needs: Vec<&'a str>,
}

/// `ours` in their order, each over the manifests' entry of its name, field by field as
/// written in `src`; a manifest entry the experiment does not name is an error.
fn field_by_field<T: Serialize + DeserializeOwned>(
    theirs: Vec<T>,
    ours: Vec<T>,
    named: Named<T>,
    src: &str,
) -> Result<Vec<T>, FieldError> {
    let mut theirs: Vec<Option<T>> = theirs.into_iter().map(Some).collect();
    let mut merged = Vec::with_capacity(ours.len());
    for (i, entry) in ours.into_iter().enumerate() {
        let Some(m) = theirs
            .iter_mut()
            .find(|m| {
                m.as_ref()
                    .is_some_and(|m| (named.name)(m) == (named.name)(&entry))
            })
            .and_then(Option::take)
        else {
            merged.push(entry);
            continue;
        };
        let path = [Segment::Field(named.list.into()), Segment::Index(i)];
        merged.push(
            fields(&m, &entry, |key| written(src, &path, key))
                .map_err(|e| e.within(&format!("{}[{i}]", named.list)))?,
        );
    }
    let mut needed = None;
    let about = named.sources.iter().zip(&named.complete).zip(&named.needs);
    for (t, ((source, complete), needs)) in theirs.into_iter().zip(about) {
        match t {
            Some(t) if *complete => merged.push(t),
            Some(t) if needed.is_none() => needed = Some((t, source, needs)),
            _ => {}
        }
    }
    if let Some((left, source, needs)) = needed {
        return Err(FieldError::new(
            named.list,
            format!(
                "the manifests' {source} has no entry here: expected one named `{}` {}",
                (named.name)(&left),
                needs
            ),
        ));
    }
    Ok(merged)
}

/// Whether `key` is written in the struct at `path` of `src`.
fn written(src: &str, path: &[Segment], key: &str) -> bool {
    let mut at = path.to_vec();
    at.push(Segment::Field(key.to_owned()));
    locate_exact(src, &at).is_some()
}

/// `base` with the fields of `top` that `written` names, through their serde form, so no
/// field list is kept here to go stale when a config gains a field.
fn fields<T: Serialize + DeserializeOwned>(
    base: &T,
    top: &T,
    written: impl Fn(&str) -> bool,
) -> Result<T, FieldError> {
    let unexpected = |e: serde_json::Error| {
        FieldError::new(
            "",
            format!("cannot merge this entry with its manifest: {e}"),
        )
    };
    let mut merged = serde_json::to_value(base).map_err(unexpected)?;
    let top = serde_json::to_value(top).map_err(unexpected)?;
    if let (Some(merged), Some(top)) = (merged.as_object_mut(), top.as_object()) {
        for (key, value) in top {
            if written(key) {
                merged.insert(key.clone(), value.clone());
            }
        }
    }
    serde_json::from_value(merged).map_err(unexpected)
}

/// `ours`, then the entries of `theirs` whose name `ours` does not have.
fn by_name<T>(theirs: Vec<T>, mut ours: Vec<T>, name: impl Fn(&T) -> &String) -> Vec<T> {
    let extra: Vec<T> = theirs
        .into_iter()
        .filter(|t| !ours.iter().any(|o| name(o) == name(t)))
        .collect();
    ours.extend(extra);
    ours
}

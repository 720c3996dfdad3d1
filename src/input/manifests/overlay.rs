//! The experiment over its manifests. The rules (README, "Start from your manifests"):
//!
//! - **Services**: every workload of the manifests needs a service of its name in the
//!   experiment, which gives what no manifest can (`traffic`, `capacity_rps`); of that service
//!   the fields the experiment writes win, field by field, and the manifests give the rest
//!   (requests, limits, HPA, PDB, namespace, …). A service no manifest names is the
//!   experiment's alone. The order is the experiment's, so a field path such as
//!   `services[1].hpa` found wrong later points at the experiment's own text.
//! - **Named lists** (`namespaces`, `priority_classes` by name, `node_autoscaling` by region): the experiment's entries first,
//!   each replacing the manifests' entry of its name whole, then the manifests' other entries.
//! - **Everything else** (name, duration, regions, node pools, targets, …) is the experiment's:
//!   the manifests say nothing of it.
//!
//! Which fields a service writes is read from the RON text (`crate::locate`), since a parsed
//! field that was left out holds its default, indistinguishable from one written.

use serde::Serialize;
use serde::de::DeserializeOwned;

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
    let mut theirs: Vec<Option<_>> = imported.services.into_iter().map(Some).collect();
    let mut services = Vec::with_capacity(ours.services.len());
    for (i, s) in ours.services.into_iter().enumerate() {
        let Some(m) = theirs
            .iter_mut()
            .find(|m| m.as_ref().is_some_and(|m| m.name == s.name))
            .and_then(Option::take)
        else {
            services.push(s);
            continue;
        };
        let path = [Segment::Field("services".into()), Segment::Index(i)];
        services.push(
            fields(&m, &s, |key| written(src, &path, key))
                .map_err(|e| e.within(&format!("services[{i}]")))?,
        );
    }
    if let Some((m, _)) = x.services.iter().zip(&theirs).find(|(_, t)| t.is_some()) {
        return Err(FieldError::new(
            "services",
            format!(
                "the manifests' {} has no service here: expected a service named `{}` with \
                 at least its `traffic` and `capacity_rps`",
                m.source, m.name
            ),
        ));
    }
    Ok(Experiment {
        services,
        namespaces: by_name(imported.namespaces, ours.namespaces, |n| &n.name),
        priority_classes: by_name(imported.priority_classes, ours.priority_classes, |c| {
            &c.name
        }),
        ..ours
    })
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

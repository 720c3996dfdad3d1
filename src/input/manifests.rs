//! Kubernetes manifests in (issue 23), by two doors that share everything below them:
//! `clustersim import` writes the experiment they describe ([`import`]), and an experiment's
//! `manifests: ["k8s/"]` reads them at load time under its own fields ([`merge`]).
//!
//! The pipeline, one job per module: `read` finds and parses the files (YAML by `serde-saphyr`,
//! into the located tree of `yaml`), `walk` reads fields with their paths and collects the
//! warnings, `map` dispatches each object to the mapper of its kind (`workload` with
//! `affinity`, `hpa`, `vpa`, `cluster` for namespaces, quotas, priority classes and budgets,
//! `jobs`, `keda`, `kueue`, `karpenter`, `karpenter_controller`, `cluster_autoscaler`) and attaches the objects that
//! refer to others, all into `model`; `write` prints
//! the commented RON whose unknowable values (traffic, capacity per pod, the cluster's nodes)
//! are `TODO` placeholders that `validate` refuses.
//!
//! [`merge`] is that same import, parsed back, under the experiment: `partial` completes each
//! entry that names a manifest workload with the fields it leaves out, before the schema is
//! checked, and `overlay` says how the experiment's own fields win. So an experiment that
//! names manifests runs exactly as the file `clustersim import` writes from them, filled in
//! with the experiment's values.

mod affinity;
mod cluster;
mod cluster_autoscaler;
mod hpa;
mod jobs;
mod karpenter;
mod karpenter_controller;
mod keda;
mod kueue;
mod map;
mod model;
mod overlay;
mod partial;
mod read;
mod vpa;
mod walk;
mod workload;
mod write;
mod yaml;

use std::path::{Path, PathBuf};

use super::Experiment;
use crate::error::InputError;
use crate::locate::RonLocator;

/// The experiment text `clustersim import` writes, and the warnings. `region` names the
/// cluster's region (else a `TODO` placeholder).
pub fn import(
    paths: &[PathBuf],
    name: &str,
    region: Option<&str>,
) -> Result<(String, Vec<String>), InputError> {
    let (x, warnings) = map::map(&read::read(paths)?)?;
    Ok((write::experiment(&x, name, paths, region), warnings))
}

/// `src` parsed as an experiment, its `manifests` merged in (`overlay` has the rules): the
/// manifests' objects mapped as `clustersim import` maps them, in the experiment's first
/// region, under the fields the experiment writes; an entry naming a manifest workload need
/// not write what the manifest gives (`partial`). Paths are relative to the experiment `file`;
/// a YAML error is located in its manifest (`file:line:col` and field path), an overlay's in
/// `src`. The mapping's warnings (ignored fields, unknown kinds) go to stderr, once per load.
/// Without `manifests`, exactly the experiment's own parse.
pub fn merge(file: &Path, src: &str) -> Result<Experiment, InputError> {
    let Some(header) = partial::header(file, src)?.filter(|h| !h.manifests.is_empty()) else {
        return super::parse_ron(file, src);
    };
    let locator = RonLocator::new(src);
    let dir = super::base_dir(file);
    let mut paths = Vec::new();
    for (i, p) in header.manifests.iter().enumerate() {
        let path = dir.join(p);
        if !path.exists() {
            return Err(InputError::at_field(
                file,
                &locator,
                &format!("manifests[{i}]"),
                format!(
                    "`{}` does not exist: expected a manifest file or a directory of them, \
                     relative to this experiment's directory",
                    path.display()
                ),
            ));
        }
        paths.push(path);
    }
    let (x, warnings) = map::map(&read::read(&paths)?)?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let region = header.regions.first().map(|r| r.name.as_str());
    let text = write::experiment(&x, &header.name, &paths, region);
    let imported: Experiment = super::parse_ron(file, &text)?;
    let experiment = partial::parse(file, src, &header, &imported, &x)?;
    overlay::overlay(imported, &x, experiment, src).map_err(|e| e.located(file, &locator))
}

//! `clustersim import`: Kubernetes manifests in, an experiment file out (issue 23). The
//! mapping lives in the library (`clustersim::input::manifests`), shared with an experiment's
//! `manifests` field, so both doors read the manifests alike; this is the command around it.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clustersim::input::manifests;

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
  kubectl get deploy,hpa,vpa,pdb,resourcequota,priorityclass,cronjob,scaledobject -A -o yaml > cluster.yaml
  clustersim import cluster.yaml --name prod > prod.ron
  helm template my-release ./chart | tee rendered.yaml && clustersim import rendered.yaml";

/// `clustersim import`: the warnings on stderr, the experiment on stdout or into `out`; with
/// `region` (`--region`) the experiment names the cluster's region instead of a `TODO`.
pub fn command(
    paths: &[PathBuf],
    out: Option<&Path>,
    name: Option<String>,
    region: Option<&str>,
) -> ExitCode {
    let name = name.unwrap_or_else(|| default_name(paths));
    let (text, warnings) = match manifests::import(paths, &name, region) {
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

//! An experiment's `manifests`: Kubernetes YAML read at load time and merged under the
//! experiment's own fields.

use std::path::Path;

use super::Experiment;
use crate::error::InputError;

/// `experiment` with its `manifests` merged in. None are read yet: an experiment that names
/// any is refused.
pub fn merge(experiment: Experiment, file: &Path, _src: &str) -> Result<Experiment, InputError> {
    if !experiment.manifests.is_empty() {
        return Err(InputError {
            file: file.to_owned(),
            position: None,
            field: "manifests".into(),
            message: "reading manifests from an experiment is not built yet: \
                      expected an empty list (use `clustersim import` meanwhile)"
                .into(),
        });
    }
    Ok(experiment)
}

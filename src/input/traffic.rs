//! A service's `traffic`: checked, and its trace files read (relative to the experiment
//! file's directory), so that the plan holds the data.

use std::path::Path;

use sim::time::SimDuration;
use workloads::traffic::{Shape, ShapeSpec};

use crate::error::FieldError;

/// The runnable shape of a service's `traffic`; errors relative to `traffic`
/// (`Sum[1].Constant.rps`, as serde names the field).
pub fn resolve(
    traffic: &ShapeSpec,
    base_dir: &Path,
    duration: SimDuration,
) -> Result<Shape, FieldError> {
    traffic
        .resolve_with(base_dir, duration, Some(reports::read_trace_columns))
        .map_err(|e| FieldError::new(e.path, e.message))
}

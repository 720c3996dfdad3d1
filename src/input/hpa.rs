//! A service's `hpa`, beyond its own validation (`models::hpa::config`): the metrics clustersim
//! can measure.

use models::hpa::config::{HpaConfig, MetricSpec, ResourceName};
use models::hpa::model::CUSTOM_METRICS;

use crate::error::{FieldError, fail};

/// Checks an HPA; errors relative to `hpa`.
pub fn check(hpa: &HpaConfig, has_memory_usage: bool) -> Result<(), FieldError> {
    hpa.validate()
        .map_err(|e| FieldError::new(e.path, e.message))?;
    for (j, metric) in hpa.metrics.iter().enumerate() {
        let custom = match metric {
            MetricSpec::Resource { name, .. } | MetricSpec::ContainerResource { name, .. } => {
                if *name == ResourceName::Memory && !has_memory_usage {
                    return fail(
                        format!("metrics[{j}]"),
                        "a memory metric needs the service's `memory_usage`, e.g. \
                         `memory_usage: (base: \"300Mi\", per_rps: \"2Mi\")`",
                    );
                }
                None
            }
            MetricSpec::Pods { metric, .. }
            | MetricSpec::Object { metric, .. }
            | MetricSpec::External { metric, .. } => Some(metric),
        };
        if let Some(m) = custom
            && !CUSTOM_METRICS.contains(&m.as_str())
        {
            return fail(
                format!("metrics[{j}]"),
                format!("unknown metric `{m}`: expected one of {CUSTOM_METRICS:?}"),
            );
        }
    }
    Ok(())
}

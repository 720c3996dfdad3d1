//! The `batch` section: each workload checked (errors under `batch[i]`), its namespace and
//! PriorityClass resolved, its Job arrivals drawn or read, in submission order.

use std::path::Path;

use models::cluster::{BatchPlan, BatchWorkloadPlan};
use models::plan::NamespacePlan;

use super::Experiment;
use super::namespaces::namespace_and_priority;
use crate::error::{FieldError, fail};

/// The Jobs of every batch workload; `None` without any.
pub fn resolve(
    x: &Experiment,
    base_dir: &Path,
    namespaces: &[NamespacePlan],
    default_priority: i32,
) -> Result<Option<BatchPlan>, FieldError> {
    if x.batch.is_empty() {
        return Ok(None);
    }
    let mut workloads = Vec::new();
    let mut specs = Vec::new();
    let mut failures = Vec::new();
    for (i, b) in x.batch.iter().enumerate() {
        let within = |e: FieldError| e.within(&format!("batch[{i}]"));
        if x.batch[..i].iter().any(|o| o.name == b.name) {
            return Err(within(FieldError::new(
                "name",
                format!("batch workload `{}` is declared twice", b.name),
            )));
        }
        let region = match &b.region {
            None => x.regions[0].name.clone(),
            Some(r) if x.regions.iter().any(|g| &g.name == r) => r.clone(),
            Some(r) => return fail("region", format!("unknown region `{r}`")).map_err(within),
        };
        let (namespace, priority) = namespace_and_priority(
            namespaces,
            &x.priority_classes,
            default_priority,
            &b.namespace,
            b.priority_class.as_deref(),
        )
        .map_err(within)?;
        let arrivals = b
            .arrivals(base_dir, x.start, x.duration, x.seed)
            .map_err(|e| within(FieldError::new(e.path, e.message)))?;
        for (k, a) in arrivals.iter().enumerate() {
            specs.push(b.spec(i as u32, namespace as u32, priority, k as u32, a));
        }
        failures.push(b.failures(x.seed));
        workloads.push(BatchWorkloadPlan {
            name: b.name.clone(),
            region,
        });
    }
    // Submission order; the sort is stable, so ties keep workload then index order.
    specs.sort_by_key(|s| s.submit);
    Ok(Some(BatchPlan {
        workloads,
        specs,
        failures,
        queueing: None,
    }))
}

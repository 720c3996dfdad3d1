//! The `namespaces` and `priority_classes` sections, and how a workload names them.

use models::config::PriorityClassConfig;
use models::plan::NamespacePlan;

use super::Experiment;
use crate::error::{FieldError, fail};

/// `HighestUserDefinablePriority` (kubernetes `pkg/apis/scheduling/types.go`): higher values
/// are reserved for system classes.
pub const HIGHEST_USER_PRIORITY: i32 = 1_000_000_000;

/// The namespaces (`default` first, declared or not) and the global default priority.
pub fn resolve(x: &Experiment) -> Result<(Vec<NamespacePlan>, i32), FieldError> {
    let mut namespaces = vec![NamespacePlan {
        name: "default".to_owned(),
        quota_cpu_millis: None,
        quota_memory_bytes: None,
        quota_pods: None,
    }];
    for (i, n) in x.namespaces.iter().enumerate() {
        let plan = NamespacePlan {
            name: n.name.clone(),
            quota_cpu_millis: n.quota.and_then(|q| q.cpu).map(|c| c.0),
            quota_memory_bytes: n.quota.and_then(|q| q.memory).map(|m| m.0),
            quota_pods: n.quota.and_then(|q| q.pods),
        };
        if x.namespaces[..i].iter().any(|o| o.name == n.name) {
            return fail(
                format!("namespaces[{i}].name"),
                format!("namespace `{}` is declared twice", n.name),
            );
        }
        if n.name == "default" {
            // Declaring `default` gives it a quota.
            namespaces[0] = plan;
        } else {
            namespaces.push(plan);
        }
    }
    let default_priority = default_priority(&x.priority_classes)?;
    Ok((namespaces, default_priority))
}

/// Checks `priority_classes` and returns the value of the global default (0 without one).
fn default_priority(classes: &[PriorityClassConfig]) -> Result<i32, FieldError> {
    let mut default_priority = 0;
    let mut default_class: Option<&str> = None;
    for (i, c) in classes.iter().enumerate() {
        if classes[..i].iter().any(|o| o.name == c.name) {
            return fail(
                format!("priority_classes[{i}].name"),
                format!("priority class `{}` is declared twice", c.name),
            );
        }
        if c.value > HIGHEST_USER_PRIORITY {
            return fail(
                format!("priority_classes[{i}].value"),
                format!(
                    "expected at most {HIGHEST_USER_PRIORITY}: higher values are reserved for system classes"
                ),
            );
        }
        if c.global_default {
            if let Some(other) = default_class {
                return fail(
                    format!("priority_classes[{i}].global_default"),
                    format!("`{other}` is already the global default: expected at most one"),
                );
            }
            default_class = Some(&c.name);
            default_priority = c.value;
        }
    }
    Ok(default_priority)
}

/// A workload's namespace index and priority: its `priority_class`'s value, or the global
/// default. Errors name the field (`namespace`, `priority_class`) relative to the workload.
pub fn namespace_and_priority(
    namespaces: &[NamespacePlan],
    classes: &[PriorityClassConfig],
    default_priority: i32,
    namespace: &str,
    class: Option<&str>,
) -> Result<(usize, i32), FieldError> {
    let Some(index) = namespaces.iter().position(|n| n.name == namespace) else {
        return fail(
            "namespace",
            format!("unknown namespace `{namespace}`: declare it in `namespaces`"),
        );
    };
    let priority = match class {
        None => default_priority,
        Some(name) => match classes.iter().find(|c| c.name == name) {
            Some(c) => c.value,
            None => {
                return fail(
                    "priority_class",
                    format!("unknown priority class `{name}`: declare it in `priority_classes`"),
                );
            }
        },
    };
    Ok((index, priority))
}

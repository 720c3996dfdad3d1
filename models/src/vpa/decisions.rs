//! One VPA sync as rows of the decisions table: per controlled resource, the recommendation
//! against the pod template's request (`recommendation`, or `TemplateUpdated` when admission
//! writes a new template), and one row per eviction or in-place resize the updater orders,
//! with the event reasons of `kubernetes/autoscaler` `vertical-pod-autoscaler/pkg/updater`
//! (`EvictedByVPA`; `InPlaceResizedByVPA` for in-place updates).
//!
//! Figures (cpu in millicores, memory in bytes): `value` the per-pod usage over the minute,
//! `target` the recommendation's target, `current` the template's request before the sync,
//! `proposed` the target, `final` the template's request after it; an update row's `current`
//! is the pods' template revision and `final` how many pods go.

use std::sync::Arc;

use crate::api::decisions::{Controller, Decision, Decisions, Described, Figures, Scope};
use crate::api::{TemplateOrder, UpdateOrder};
use crate::vpa::model::VpaStatus;

/// Records the sync of VPA number `index`: its status after admission, the template it sent
/// (if any), the template's request before (`before`), and its update orders.
#[allow(clippy::too_many_arguments)]
pub fn record(
    log: &Decisions,
    index: usize,
    scope: &Scope,
    now_ns: u64,
    status: &VpaStatus,
    before: (u64, u64),
    template: Option<&TemplateOrder>,
    updates: &[UpdateOrder],
) {
    let Some(rec) = status.recommendation else {
        return;
    };
    let target = rec.target.to_millis_bytes();
    let after = template.map_or(before, |t| (t.cpu_millis, t.memory_bytes));
    let outcome = if template.is_some() {
        "TemplateUpdated"
    } else {
        "recommendation"
    };
    let resources: [(&str, f64, u64, u64, u64); 2] = [
        (
            "cpu",
            status.usage.cpu_cores * 1000.0,
            target.0,
            before.0,
            after.0,
        ),
        (
            "memory",
            status.usage.memory_bytes,
            target.1,
            before.1,
            after.1,
        ),
    ];
    for (k, (name, usage, target, before, after)) in resources.into_iter().enumerate() {
        let row = Decision {
            time_ns: now_ns,
            controller: Controller::Vpa,
            stream: (index as u64) << 2 | k as u64,
            kind: "recommendation",
            outcome,
            figures: Figures {
                value: usage,
                target: target as f64,
                current: before as f64,
                proposed: target as f64,
                final_: after as f64,
            },
        };
        log.record(row, || Described {
            scope: scope.clone(),
            subject: Arc::from(name),
            detail: format!(
                "{name}: usage {usage:.0}{unit} per pod; target {target}{unit}; template \
                 request {before}{unit} → {after}{unit}{}",
                match template {
                    Some(t) => format!(" ({})", t.why),
                    None => String::new(),
                },
                unit = if k == 0 { "m" } else { " bytes" },
            ),
        });
    }
    for u in updates {
        let row = Decision {
            time_ns: now_ns,
            controller: Controller::Vpa,
            stream: (index as u64) << 2 | 3,
            kind: "update",
            outcome: if u.in_place {
                "InPlaceResizedByVPA"
            } else {
                "EvictedByVPA"
            },
            figures: Figures {
                current: f64::from(u.revision),
                final_: f64::from(u.count),
                ..Figures::NONE
            },
        };
        log.record(row, || Described {
            scope: scope.clone(),
            subject: Arc::from(""),
            detail: format!(
                "{} pod(s) of template revision {}: {}",
                u.count, u.revision, u.why
            ),
        });
    }
}

//! `policies.event_driven[i]`: a KEDA `ScaledObject` checked and resolved into an activation per
//! region (`models::policy::keda`) plus the HPA KEDA creates (External metric, `AverageValue`
//! target, `minReplicas` at least 1).

use models::hpa::config::{HpaConfig, MetricSpec, MilliQuantity, ValueTarget};
use models::hpa::model::HpaPlan;
use models::plan::ServicePlan;
use models::policy::config::{EventDrivenScaler, EventMetric};
use models::policy::model::{ActivationPlan, PolicyPlan};

use super::{check_interval, check_name, check_owner, check_replica_bounds, service_targets};
use crate::error::{FieldError, fail};

/// One event-driven scaler: an activation per region, and the HPA KEDA would create.
pub fn event_driven(
    scaler: &EventDrivenScaler,
    services: &[ServicePlan],
    hpas: &mut Vec<HpaPlan>,
    plan: &mut PolicyPlan,
) -> Result<(), FieldError> {
    check_name(&scaler.name, "queue-workers")?;
    if !(scaler.target.is_finite() && scaler.target > 0.0) {
        return fail(
            "target",
            "expected the metric per replica to aim at, a number above 0",
        );
    }
    if !(scaler.activation_threshold.is_finite() && scaler.activation_threshold >= 0.0) {
        return fail("activation_threshold", "expected a finite number ≥ 0");
    }
    check_replica_bounds(scaler.min_replicas, scaler.max_replicas)?;
    check_interval("polling_interval", scaler.polling_interval)?;
    if scaler.min_replicas == 0 && scaler.metric == EventMetric::QueueLength {
        return fail(
            "metric",
            "a queue_length trigger with `min_replicas` 0 could never activate: requests that \
             arrive at zero pods are dropped, not held (the latency model keeps no queue without \
             a pod), so the queue stays empty; expected `requests_per_second` (arrivals at the \
             ingress) or `min_replicas` ≥ 1",
        );
    }
    let target_millis = (scaler.target * 1000.0).round();
    if target_millis < 1.0 || target_millis > u64::MAX as f64 {
        return fail("target", "expected a number from 0.001 up");
    }
    for id in service_targets(&scaler.service, scaler.regions.as_deref(), services)? {
        check_owner(id, services, hpas, plan)?;
        let s = &services[id as usize];
        hpas.push(HpaPlan {
            service: id,
            name: format!("keda-hpa-{}-{}", scaler.name, s.region),
            config: HpaConfig {
                min_replicas: scaler.min_replicas.max(1),
                max_replicas: scaler.max_replicas,
                metrics: vec![MetricSpec::External {
                    metric: scaler.metric.name().to_owned(),
                    target: ValueTarget::AverageValue(MilliQuantity(target_millis as u64)),
                }],
                behavior: None,
            },
            capacity_rps: s.capacity_rps,
            declared_cpu_millis: s.requests.cpu.0,
            memory: s.memory_usage,
            bounds: Vec::new(),
            cost_aware: None,
        });
        plan.activations.push(ActivationPlan {
            service: id,
            scaler: scaler.clone(),
        });
    }
    Ok(())
}

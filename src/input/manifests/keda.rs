//! KEDA `keda.sh/v1alpha1` ScaledObjects → `policies.event_driven` (`models::policy::config`,
//! KEDA's ScaledObject specification): `scaleTargetRef.name`, `pollingInterval`,
//! `cooldownPeriod`, `minReplicaCount`, `maxReplicaCount`, and one trigger. The simulator's
//! event metric that a queue trigger reads is the service's `queue_length` (requests waiting
//! or in service), so the queue scalers are mapped, each by its target and activation keys
//! (keda.sh/docs/2.15/scalers/: rabbitmq `value`/`activationValue` in `QueueLength` mode,
//! aws-sqs-queue and azure-queue `queueLength`/`activationQueueLength`, redis
//! `listLength`/`activationListLength`, kafka `lagThreshold`/`activationLagThreshold`). The
//! target is required here (the simulator does not guess a scaler's default). Other triggers
//! (a Prometheus query, CPU) read what the simulator cannot name and are refused; so are
//! `idleReplicaCount` and `advanced`, which change the scaling.

use models::policy::config::{EventDrivenScaler, EventMetric};
use sim::time::SimDuration;

use super::walk::{At, Warnings};
use crate::error::InputError;

const KIND: &str = "ScaledObject";

/// The queue scalers: (trigger type, target key, activation key).
const QUEUE_TRIGGERS: [(&str, &str, &str); 5] = [
    ("rabbitmq", "value", "activationValue"),
    ("aws-sqs-queue", "queueLength", "activationQueueLength"),
    ("azure-queue", "queueLength", "activationQueueLength"),
    ("redis", "listLength", "activationListLength"),
    ("kafka", "lagThreshold", "activationLagThreshold"),
];

/// The scaler, its KEDA defaults where the object is silent, and the (kind, name) it scales.
pub fn scaled_object(
    obj: &At,
    name: String,
    w: &mut Warnings,
) -> Result<(EventDrivenScaler, String, String), InputError> {
    let api = obj.need("apiVersion")?;
    if api.str()? != "keda.sh/v1alpha1" {
        return Err(api.error(format!("expected keda.sh/v1alpha1, found `{}`", api.str()?)));
    }
    let spec = obj.need("spec")?;
    spec.fields(
        KIND,
        &[
            "scaleTargetRef",
            "pollingInterval",
            "cooldownPeriod",
            "minReplicaCount",
            "maxReplicaCount",
            "triggers",
            "idleReplicaCount",
            "advanced",
        ],
        &[],
        w,
    )?;
    for unmodelled in ["idleReplicaCount", "advanced"] {
        if let Some(u) = spec.get(unmodelled)? {
            return Err(u.error(format!(
                "{unmodelled} is not modelled: it changes how KEDA scales; remove it"
            )));
        }
    }
    let target = spec.need("scaleTargetRef")?;
    target.fields(KIND, &["kind", "name"], &["apiVersion"], w)?;
    let kind = match target.get("kind")? {
        Some(k) => k.str()?.to_owned(),
        None => "Deployment".to_owned(),
    };
    let seconds = |key: &str, default_s: u64| -> Result<SimDuration, InputError> {
        Ok(SimDuration::from_secs(
            spec.get(key)?
                .map(|v| v.int())
                .transpose()?
                .unwrap_or(default_s),
        ))
    };
    let triggers = spec.need("triggers")?;
    let [trigger] = triggers.items()?.try_into().map_err(|_| {
        triggers.error("expected one trigger: the simulator's scaler reads one metric")
    })?;
    let (target_value, activation_threshold) = queue_trigger(&trigger, w)?;
    let scaler = EventDrivenScaler {
        name,
        set: None,
        service: target.need("name")?.str()?.to_owned(),
        regions: None,
        metric: EventMetric::QueueLength,
        target: target_value,
        activation_threshold,
        // KEDA's defaults (ScaledObject specification).
        min_replicas: spec
            .get("minReplicaCount")?
            .map(|v| v.int())
            .transpose()?
            .unwrap_or(0),
        max_replicas: spec
            .get("maxReplicaCount")?
            .map(|v| v.int())
            .transpose()?
            .unwrap_or(100),
        polling_interval: seconds("pollingInterval", 30)?,
        cooldown: seconds("cooldownPeriod", 300)?,
    };
    let service = scaler.service.clone();
    Ok((scaler, kind, service))
}

/// A queue trigger's target and activation threshold.
fn queue_trigger(t: &At, w: &mut Warnings) -> Result<(f64, f64), InputError> {
    t.fields(
        KIND,
        &["type", "metadata"],
        &["name", "authenticationRef", "metricType"],
        w,
    )?;
    let ty = t.need("type")?;
    let ty_name = ty.str()?;
    let Some((_, target_key, activation_key)) =
        QUEUE_TRIGGERS.iter().find(|(name, _, _)| *name == ty_name)
    else {
        return Err(ty.error(format!(
            "trigger `{ty_name}` is not modelled: the simulator's event metric is a queue's \
             length; expected one of {}",
            QUEUE_TRIGGERS.map(|(name, _, _)| name).join(", ")
        )));
    };
    let meta = t.need("metadata")?;
    if ty_name == "rabbitmq"
        && let Some(mode) = meta.get("mode")?
        && mode.str()? != "QueueLength"
    {
        return Err(mode.error("only mode QueueLength is modelled (a queue's length)"));
    }
    let number = |at: &At| -> Result<f64, InputError> {
        let text = at.scalar()?;
        text.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| at.error(format!("expected a number of messages, found `{text}`")))
    };
    let target = number(&meta.need(target_key)?)?;
    let activation = meta
        .get(activation_key)?
        .map(|a| number(&a))
        .transpose()?
        .unwrap_or(0.0);
    for (key, v) in meta.pairs()? {
        if key != *target_key && key != *activation_key && key != "mode" {
            w.ignored(KIND, &v);
        }
    }
    Ok((target, activation))
}

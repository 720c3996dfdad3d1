//! KEDA `keda.sh/v1alpha1` ScaledObjects (KEDA's ScaledObject specification,
//! keda.sh/docs/2.15/reference/scaledobject-spec): `scaleTargetRef.name`, `pollingInterval`,
//! `cooldownPeriod`, `minReplicaCount`, `maxReplicaCount`, and the triggers, which decide what
//! the object becomes (keda.sh/docs/2.15/scalers/):
//!
//! - **A queue trigger** → `policies.event_driven` (`models::policy::config`). The simulator's
//!   event metric is the service's `queue_length` (requests waiting or in service), so the
//!   queue scalers are mapped, each by its target and activation keys: rabbitmq
//!   `value`/`activationValue` in `QueueLength` mode, aws-sqs-queue and azure-queue
//!   `queueLength`/`activationQueueLength`, redis `listLength`/`activationListLength`, kafka
//!   `lagThreshold`/`activationLagThreshold`. The target is required here (the simulator does
//!   not guess a scaler's default).
//! - **`cpu` and `memory` triggers** (one or more, and nothing else) → the service's `hpa`: the
//!   HorizontalPodAutoscaler KEDA creates, one Resource metric per trigger (`metricType`
//!   `Utilization` or `AverageValue`, or the deprecated `metadata.type`; `metadata.value`), its
//!   `minReplicas` `minReplicaCount` but at least 1 (these scalers never scale to zero) and its
//!   `maxReplicas` `maxReplicaCount` (default 100). `containerName` is refused: a simulated pod
//!   is its containers summed.
//! - **A `cron` trigger** → two `policies.scheduled` actions on the service (`<name>-start` at
//!   `start` and `<name>-end` at `end`, both read in the required `timezone`): from `start`,
//!   `desiredReplicas` within `[max(minReplicaCount, 1), maxReplicaCount]`, as the HPA KEDA
//!   creates clamps it; from `end`, `minReplicaCount` (default 0). Not modelled: the delay
//!   after `end` (KEDA scales to zero after `cooldownPeriod`, or its HPA down after its
//!   5-minute stabilization window; here the replicas drop at `end`), the up to
//!   `pollingInterval` (30 s) before KEDA notices `start`, and a window already open when the
//!   run starts (the service starts at its Deployment's `replicas` until the next `start`).
//!
//! Other triggers (a Prometheus query, …) read what the simulator cannot name, and mixing
//! families (a queue and cpu) needs one scaler reading several metrics; both are refused, as
//! are `idleReplicaCount` and `advanced`, which change the scaling.

use models::policy::config::{EventDrivenScaler, EventMetric, ScheduledAction};
use sim::quantity::CpuMillis;
use sim::time::SimDuration;
use workloads::traffic::TimeZone;

use super::model::{Hpa, Metric, Target};
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

/// What a ScaledObject becomes, by its triggers.
pub enum Scaling {
    /// A queue trigger: KEDA's scaler, to and from zero.
    Queue(EventDrivenScaler),
    /// `cpu`/`memory` triggers: the HPA KEDA creates.
    Hpa(Hpa),
    /// A `cron` trigger: its window's start and end.
    Cron(Box<[ScheduledAction; 2]>),
}

/// What the object becomes, its KEDA defaults where it is silent, and the (kind, name) it
/// scales.
pub fn scaled_object(
    obj: &At,
    name: String,
    w: &mut Warnings,
) -> Result<(Scaling, String, String), InputError> {
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
    let min_replicas: u32 = spec
        .get("minReplicaCount")?
        .map(|v| v.int())
        .transpose()?
        .unwrap_or(0);
    let max_replicas: u32 = spec
        .get("maxReplicaCount")?
        .map(|v| v.int())
        .transpose()?
        .unwrap_or(100);
    if max_replicas < min_replicas.max(1) {
        let at = spec.get("maxReplicaCount")?.unwrap_or_else(|| spec.clone());
        return Err(at.error(format!(
            "maxReplicaCount {max_replicas} is below minReplicaCount {min_replicas} (or 1): \
             KEDA refuses it"
        )));
    }
    let service = target.need("name")?.str()?.to_owned();
    let triggers = spec.need("triggers")?;
    let items = triggers.items()?;
    let types = items
        .iter()
        .map(|t| t.need("type")?.str())
        .collect::<Result<Vec<_>, _>>()?;
    let source = format!("ScaledObject at {}", obj.place());
    let scaling = if !types.is_empty() && types.iter().all(|t| ["cpu", "memory"].contains(t)) {
        Scaling::Hpa(Hpa {
            source,
            // KEDA's HPA: `minReplicaCount`, at least 1 (`getHPAMinReplicas`).
            min_replicas: min_replicas.max(1),
            max_replicas,
            metrics: items
                .iter()
                .map(|t| resource_trigger(t, w))
                .collect::<Result<_, _>>()?,
            scale_up: None,
            scale_down: None,
        })
    } else {
        let [trigger] = items.try_into().map_err(|_| {
            triggers.error(
                "expected one trigger, or only cpu and memory triggers: the simulator's \
                 scalers read one metric (KEDA's HPA for cpu and memory reads several)",
            )
        })?;
        if types[0] == "cron" {
            let window = CronWindow {
                name: &name,
                service: &service,
                min_replicas,
                max_replicas,
            };
            Scaling::Cron(Box::new(window.actions(&trigger, w)?))
        } else {
            let (target_value, activation_threshold) = queue_trigger(&trigger, w)?;
            Scaling::Queue(EventDrivenScaler {
                name,
                set: None,
                service: service.clone(),
                regions: None,
                metric: EventMetric::QueueLength,
                target: target_value,
                activation_threshold,
                // KEDA's defaults (ScaledObject specification).
                min_replicas,
                max_replicas,
                polling_interval: seconds("pollingInterval", 30)?,
                cooldown: seconds("cooldownPeriod", 300)?,
            })
        }
    };
    Ok((scaling, kind, service))
}

/// A `cpu` or `memory` trigger: one Resource metric of KEDA's HPA.
fn resource_trigger(t: &At, w: &mut Warnings) -> Result<Metric, InputError> {
    t.fields(KIND, &["type", "metadata", "metricType"], &["name"], w)?;
    let resource = if t.need("type")?.str()? == "cpu" {
        "cpu"
    } else {
        "memory"
    };
    let meta = t.need("metadata")?;
    meta.fields(KIND, &["type", "value", "containerName"], &[], w)?;
    if let Some(c) = meta.get("containerName")? {
        return Err(c.error(
            "containerName is not modelled: a simulated pod is its containers' requests \
             summed; remove it to scale on the whole pod",
        ));
    }
    let ty = match (t.get("metricType")?, meta.get("type")?) {
        (Some(ty), _) | (None, Some(ty)) => ty,
        (None, None) => {
            return Err(t.error("expected `metricType`: Utilization or AverageValue"));
        }
    };
    let value = meta.need("value")?;
    let target = match ty.str()? {
        // KEDA's metadata values are strings: "60".
        "Utilization" => match value.scalar()?.parse() {
            Ok(percent) => Target::Utilization(percent),
            Err(_) => return Err(value.error("expected a whole percentage, such as \"60\"")),
        },
        "AverageValue" => {
            let text = value.scalar()?;
            CpuMillis::parse(&text)
                .map_err(|e| value.error(e.message.replace("cpu quantity", "quantity")))?;
            Target::AverageValue(text)
        }
        other => {
            return Err(ty.error(format!(
                "expected Utilization or AverageValue, found `{other}`"
            )));
        }
    };
    Ok(Metric { resource, target })
}

/// A `cron` trigger's window, as the HPA KEDA creates for it would scale the service.
struct CronWindow<'a> {
    name: &'a str,
    service: &'a str,
    min_replicas: u32,
    max_replicas: u32,
}

impl CronWindow<'_> {
    /// The actions at the window's `start` and `end`.
    fn actions(&self, t: &At, w: &mut Warnings) -> Result<[ScheduledAction; 2], InputError> {
        t.fields(KIND, &["type", "metadata"], &["name", "metricType"], w)?;
        let meta = t.need("metadata")?;
        meta.fields(
            KIND,
            &["timezone", "start", "end", "desiredReplicas"],
            &[],
            w,
        )?;
        let zone = meta.need("timezone")?;
        let time_zone = TimeZone::parse(zone.str()?).map_err(|e| zone.error(e))?;
        let pattern = |key: &str| -> Result<String, InputError> {
            let at = meta.need(key)?;
            let text = at.str()?;
            models::cron::CronPattern::parse(text).map_err(|e| at.error(e))?;
            Ok(text.to_owned())
        };
        let (start, end) = (pattern("start")?, pattern("end")?);
        if start == end {
            return Err(meta
                .need("end")?
                .error("start and end are the same: KEDA refuses an empty window"));
        }
        let desired_at = meta.need("desiredReplicas")?;
        let desired: u32 = match desired_at.scalar()?.parse() {
            Ok(d) => d,
            Err(_) => return Err(desired_at.error("expected a whole number of replicas")),
        };
        let action = |suffix: &str, cron: String, replicas: u32| ScheduledAction {
            name: format!("{}-{suffix}", self.name),
            set: None,
            cron,
            time_zone,
            service: Some(self.service.to_owned()),
            regions: None,
            min_replicas: None,
            max_replicas: None,
            replicas: Some(replicas),
            pool: None,
            min_nodes: None,
            max_nodes: None,
        };
        let inside = desired.clamp(self.min_replicas.max(1), self.max_replicas);
        Ok([
            action("start", start, inside),
            action("end", end, self.min_replicas),
        ])
    }
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

//! The HPA's part of an experiment file, as users write it: one [`HpaConfig`] per service (the
//! `autoscaling/v2` `HorizontalPodAutoscalerSpec`) and one [`HpaControllerConfig`] (the
//! kube-controller-manager flags and metrics-server's scrape resolution).
//!
//! Defaults and limits, with their sources (`kubernetes/kubernetes` unless named otherwise):
//! * `min_replicas` 1: `pkg/apis/autoscaling/v2/defaults.go` @ `1adaa75345752d96375fae03334fa9ed3bf535a1`
//!   (`SetDefaults_HorizontalPodAutoscaler`).
//! * Behavior, filled field by field only when `behavior` is present (same file,
//!   `GenerateHPAScaleUpRules` / `GenerateHPAScaleDownRules`): scale-up window 0 s, `Max` of
//!   {4 pods, 100 %} per 15 s; scale-down window unset (→ the controller's
//!   `--horizontal-pod-autoscaler-downscale-stabilization`, 5 min, `horizontal.go`
//!   `maybeInitScaleDownStabilizationWindow`), `Max` of {100 %} per 15 s.
//! * Controller flags: `pkg/controller/podautoscaler/config/v1alpha1/defaults.go` @
//!   `85643c0f93064ad9f9bcd9303972d8308734d269`: sync period 15 s, tolerance 0.1, CPU
//!   initialization period 5 min, initial readiness delay 30 s, downscale stabilization 5 min.
//! * Validation mirrors `pkg/apis/autoscaling/validation/validation.go`: `maxReplicas` > 0 and
//!   ≥ `minReplicas`, `minReplicas` ≥ 1 (0 only with the alpha `HPAScaleToZero` and an Object or
//!   External metric), stabilization window ≤ 3600 s (`MaxStabilizationWindowSeconds`), policy
//!   period in (0, 1800 s] (`MaxPeriodSeconds`), policy value > 0, at least one policy.
//! * metrics-server `--metric-resolution`: 15 s, the value the project's released manifests set
//!   (`kubernetes-sigs/metrics-server` `manifests/base/deployment.yaml` @ v0.9.0-19-g5ed5d3a2;
//!   the binary's own default is 60 s, `cmd/metrics-server/app/options/options.go`, which also
//!   rejects values below 10 s).

use serde::{Deserialize, Serialize};
use sim::quantity::CpuMillis;
use sim::time::SimDuration;

/// A Kubernetes quantity as the HPA compares it: its milli-value (`Quantity.MilliValue()`), so
/// "10" is 10000, "500m" is 500 and "1Gi" is 1073741824000.
///
/// Parsed by [`CpuMillis::parse`], whose grammar and rounding (up, as `MilliValue()` does) are
/// those of any Kubernetes quantity; only the word "cpu" is dropped from its messages, since a
/// metric target may be a queue length or a request rate.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct MilliQuantity(pub u64);

impl Serialize for MilliQuantity {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        CpuMillis(self.0).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for MilliQuantity {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MilliQuantityVisitor)
    }
}

/// Accepts a string or a bare number, as [`CpuMillis`] does.
struct MilliQuantityVisitor;

impl serde::de::Visitor<'_> for MilliQuantityVisitor {
    type Value = MilliQuantity;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a quantity such as \"10\", \"500m\" or \"1.5k\"")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<MilliQuantity, E> {
        CpuMillis::parse(v)
            .map(|c| MilliQuantity(c.0))
            .map_err(|e| E::custom(e.message.replace("cpu quantity", "quantity")))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<MilliQuantity, E> {
        self.visit_str(&v.to_string())
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<MilliQuantity, E> {
        self.visit_str(&v.to_string())
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<MilliQuantity, E> {
        self.visit_str(&v.to_string())
    }
}

/// The resources metrics-server reports.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceName {
    Cpu,
    Memory,
}

impl ResourceName {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceName::Cpu => "cpu",
            ResourceName::Memory => "memory",
        }
    }
}

/// Target of a Resource or ContainerResource metric.
#[derive(Copy, Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ResourceTarget {
    /// `averageUtilization`: percent of the pods' requests, e.g. `Utilization(70)`.
    Utilization(u32),
    /// `averageValue`: per-pod usage, e.g. `AverageValue("500m")`.
    AverageValue(MilliQuantity),
}

/// Target of a Pods metric: always a per-pod average.
#[derive(Copy, Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum AverageValueTarget {
    AverageValue(MilliQuantity),
}

/// Target of an Object or External metric.
#[derive(Copy, Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ValueTarget {
    /// `value`: the metric as a whole, e.g. `Value("2k")` requests per second.
    Value(MilliQuantity),
    /// `averageValue`: the metric divided by the current replica count.
    AverageValue(MilliQuantity),
}

/// One entry of `spec.metrics`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum MetricSpec {
    /// `Resource(name: cpu, target: Utilization(70))`: summed over the pods' containers.
    Resource {
        name: ResourceName,
        target: ResourceTarget,
    },
    /// `ContainerResource(name: cpu, container: "app", target: Utilization(60))`: one container.
    ContainerResource {
        name: ResourceName,
        container: String,
        target: ResourceTarget,
    },
    /// `Pods(metric: "queue_length", target: AverageValue("10"))`: a per-pod custom metric.
    Pods {
        metric: String,
        target: AverageValueTarget,
    },
    /// `Object(metric: "requests_per_second", described_object: "ingress/api", target: Value("2k"))`.
    Object {
        metric: String,
        described_object: String,
        target: ValueTarget,
    },
    /// `External(metric: "queue_messages_ready", target: AverageValue("30"))`.
    External { metric: String, target: ValueTarget },
}

impl MetricSpec {
    /// The name shown in events, e.g. "cpu", "memory of container app", "queue_length".
    pub fn display_name(&self) -> String {
        match self {
            MetricSpec::Resource { name, .. } => name.as_str().to_owned(),
            MetricSpec::ContainerResource {
                name, container, ..
            } => format!("{} of container {container}", name.as_str()),
            MetricSpec::Pods { metric, .. } | MetricSpec::External { metric, .. } => metric.clone(),
            MetricSpec::Object {
                metric,
                described_object,
                ..
            } => format!("{metric} of {described_object}"),
        }
    }
}

/// `selectPolicy`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SelectPolicy {
    /// The policy allowing the largest change (default).
    Max,
    /// The policy allowing the smallest change.
    Min,
    /// No scaling in this direction.
    Disabled,
}

/// One `HPAScalingPolicy`: at most `value` pods, or `value` percent of the replicas at the
/// start of the period, per `period`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum ScalingPolicy {
    Pods { value: u32, period: SimDuration },
    Percent { value: u32, period: SimDuration },
}

impl ScalingPolicy {
    pub fn period(self) -> SimDuration {
        match self {
            ScalingPolicy::Pods { period, .. } | ScalingPolicy::Percent { period, .. } => period,
        }
    }
}

impl std::fmt::Display for ScalingPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScalingPolicy::Pods { value, period } => write!(f, "Pods {value}/{period}"),
            ScalingPolicy::Percent { value, period } => write!(f, "Percent {value}%/{period}"),
        }
    }
}

/// `HPAScalingRules` as written; every field is optional and unset ones take the defaults of
/// the direction (module documentation).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalingRulesConfig {
    /// `stabilizationWindowSeconds`, e.g. "5m".
    #[serde(default)]
    pub stabilization_window: Option<SimDuration>,
    #[serde(default)]
    pub select_policy: Option<SelectPolicy>,
    #[serde(default)]
    pub policies: Option<Vec<ScalingPolicy>>,
    /// Per-direction tolerance (`HPAConfigurableTolerance`, alpha in 1.33); default: the
    /// controller's tolerance.
    #[serde(default)]
    pub tolerance: Option<f64>,
}

/// `spec.behavior`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BehaviorConfig {
    #[serde(default)]
    pub scale_up: Option<ScalingRulesConfig>,
    #[serde(default)]
    pub scale_down: Option<ScalingRulesConfig>,
}

/// A HorizontalPodAutoscaler on one service, e.g.
/// `(min_replicas: 3, max_replicas: 20, metrics: [Resource(name: cpu, target: Utilization(70))])`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HpaConfig {
    /// Default 1 (API defaulting).
    #[serde(default = "default_min_replicas")]
    pub min_replicas: u32,
    pub max_replicas: u32,
    /// Default: one `Resource(name: cpu, target: Utilization(80))`, the API default
    /// (`autoscaling.DefaultCPUUtilization`).
    #[serde(default = "default_metrics")]
    pub metrics: Vec<MetricSpec>,
    /// Absent: the legacy limits (scale-up at most to max(2 × current, 4) per sync, 5 min
    /// downscale stabilization). Present: upstream defaults for every unset field.
    #[serde(default)]
    pub behavior: Option<BehaviorConfig>,
}

fn default_min_replicas() -> u32 {
    1
}

/// `autoscaling.DefaultCPUUtilization` (`pkg/apis/autoscaling/v2/defaults.go`).
pub const DEFAULT_CPU_UTILIZATION_PERCENT: u32 = 80;

fn default_metrics() -> Vec<MetricSpec> {
    vec![MetricSpec::Resource {
        name: ResourceName::Cpu,
        target: ResourceTarget::Utilization(DEFAULT_CPU_UTILIZATION_PERCENT),
    }]
}

/// The kube-controller-manager flags of the HPA controller (one value per cluster) and
/// metrics-server's scrape resolution; every field has its upstream default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HpaControllerConfig {
    /// `--horizontal-pod-autoscaler-sync-period`. Default "15s".
    #[serde(default = "default_sync_period")]
    pub sync_period: SimDuration,
    /// `--horizontal-pod-autoscaler-tolerance`. Default 0.1.
    #[serde(default = "default_tolerance")]
    pub tolerance: f64,
    /// `--horizontal-pod-autoscaler-cpu-initialization-period`. Default "5m".
    #[serde(default = "default_cpu_initialization_period")]
    pub cpu_initialization_period: SimDuration,
    /// `--horizontal-pod-autoscaler-initial-readiness-delay`. Default "30s".
    #[serde(default = "default_initial_readiness_delay")]
    pub initial_readiness_delay: SimDuration,
    /// `--horizontal-pod-autoscaler-downscale-stabilization`. Default "5m".
    #[serde(default = "default_downscale_stabilization")]
    pub downscale_stabilization: SimDuration,
    /// metrics-server `--metric-resolution`. Default "15s".
    #[serde(default = "default_metric_resolution")]
    pub metric_resolution: SimDuration,
}

impl Default for HpaControllerConfig {
    fn default() -> Self {
        HpaControllerConfig {
            sync_period: default_sync_period(),
            tolerance: default_tolerance(),
            cpu_initialization_period: default_cpu_initialization_period(),
            initial_readiness_delay: default_initial_readiness_delay(),
            downscale_stabilization: default_downscale_stabilization(),
            metric_resolution: default_metric_resolution(),
        }
    }
}

/// How long after its start a running pod stops being told apart from the others of its
/// template revision and readiness by the HPA: the replica calculation's readiness rules look at
/// start and ready instants only within `cpu_initialization_period` (and the initial readiness
/// delay), and a pod's metric window is a full scrape interval of its own once it is older than
/// two resolutions plus metrics-server's fresh-container minimum
/// ([`super::metrics_window::FRESH_CONTAINER_MIN_RESOLUTION`]). The cluster merges older pods'
/// groups (`cluster::running`) so that a sync does not copy one group per pod.
pub fn metrics_settle_after(config: &HpaControllerConfig) -> SimDuration {
    let window = config.metric_resolution.as_nanos() * 2
        + super::metrics_window::FRESH_CONTAINER_MIN_RESOLUTION.as_nanos();
    SimDuration::from_nanos(
        window
            .max(config.cpu_initialization_period.as_nanos())
            .max(config.initial_readiness_delay.as_nanos()),
    )
}

fn default_sync_period() -> SimDuration {
    SimDuration::from_secs(15)
}

fn default_tolerance() -> f64 {
    0.1
}

fn default_cpu_initialization_period() -> SimDuration {
    SimDuration::from_secs(300)
}

fn default_initial_readiness_delay() -> SimDuration {
    SimDuration::from_secs(30)
}

fn default_downscale_stabilization() -> SimDuration {
    SimDuration::from_secs(300)
}

fn default_metric_resolution() -> SimDuration {
    SimDuration::from_secs(15)
}

/// `MaxStabilizationWindowSeconds` (validation.go).
pub const MAX_STABILIZATION_WINDOW: SimDuration = SimDuration::from_secs(3600);
/// `MaxPeriodSeconds` (validation.go).
pub const MAX_POLICY_PERIOD: SimDuration = SimDuration::from_secs(1800);
/// metrics-server refuses a `--metric-resolution` below 10 s (options.go `Validate`).
pub const MIN_METRIC_RESOLUTION: SimDuration = SimDuration::from_secs(10);

/// An impossible value: the field's path inside the section (`max_replicas`,
/// `metrics[1].target`, `behavior.scale_up.policies[0].value`) and what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

fn fail(path: impl Into<String>, message: impl Into<String>) -> Result<(), ConfigError> {
    Err(ConfigError {
        path: path.into(),
        message: message.into(),
    })
}

impl HpaConfig {
    /// The first impossible value, in field order.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let scale_to_zero_metric = self
            .metrics
            .iter()
            .any(|m| matches!(m, MetricSpec::Object { .. } | MetricSpec::External { .. }));
        if self.min_replicas == 0 && !scale_to_zero_metric {
            return fail(
                "min_replicas",
                "expected at least 1 (0 needs an Object or External metric, as with the \
                 HPAScaleToZero feature gate)",
            );
        }
        if self.max_replicas == 0 {
            return fail("max_replicas", "expected at least 1");
        }
        if self.max_replicas < self.min_replicas {
            return fail(
                "max_replicas",
                format!(
                    "expected at least min_replicas ({}), got {}",
                    self.min_replicas, self.max_replicas
                ),
            );
        }
        if self.metrics.is_empty() {
            return fail(
                "metrics",
                "expected at least one metric (or leave the field out)",
            );
        }
        for (i, metric) in self.metrics.iter().enumerate() {
            validate_metric(metric, &format!("metrics[{i}]"))?;
        }
        if let Some(behavior) = &self.behavior {
            for (name, rules) in [
                ("scale_up", &behavior.scale_up),
                ("scale_down", &behavior.scale_down),
            ] {
                if let Some(rules) = rules {
                    validate_rules(rules, &format!("behavior.{name}"))?;
                }
            }
        }
        Ok(())
    }
}

fn validate_metric(metric: &MetricSpec, path: &str) -> Result<(), ConfigError> {
    let positive = |q: MilliQuantity| -> Result<(), ConfigError> {
        if q.0 == 0 {
            fail(format!("{path}.target"), "expected a target above 0")
        } else {
            Ok(())
        }
    };
    match metric {
        MetricSpec::Resource { target, .. } | MetricSpec::ContainerResource { target, .. } => {
            if let MetricSpec::ContainerResource { container, .. } = metric
                && container.is_empty()
            {
                return fail(format!("{path}.container"), "expected a container name");
            }
            match *target {
                ResourceTarget::Utilization(0) => fail(
                    format!("{path}.target"),
                    "expected a utilization above 0 percent",
                ),
                ResourceTarget::Utilization(_) => Ok(()),
                ResourceTarget::AverageValue(q) => positive(q),
            }
        }
        MetricSpec::Pods { metric, target } => {
            if metric.is_empty() {
                return fail(format!("{path}.metric"), "expected a metric name");
            }
            let AverageValueTarget::AverageValue(q) = *target;
            positive(q)
        }
        MetricSpec::Object { metric, target, .. } | MetricSpec::External { metric, target } => {
            if metric.is_empty() {
                return fail(format!("{path}.metric"), "expected a metric name");
            }
            match *target {
                ValueTarget::Value(q) | ValueTarget::AverageValue(q) => positive(q),
            }
        }
    }
}

fn validate_rules(rules: &ScalingRulesConfig, path: &str) -> Result<(), ConfigError> {
    if let Some(window) = rules.stabilization_window
        && window > MAX_STABILIZATION_WINDOW
    {
        return fail(
            format!("{path}.stabilization_window"),
            format!("expected at most {MAX_STABILIZATION_WINDOW}, got {window}"),
        );
    }
    if let Some(policies) = &rules.policies {
        if policies.is_empty() {
            return fail(
                format!("{path}.policies"),
                "expected at least one policy (or leave the field out for the defaults)",
            );
        }
        for (i, policy) in policies.iter().enumerate() {
            let (value, period) = match *policy {
                ScalingPolicy::Pods { value, period }
                | ScalingPolicy::Percent { value, period } => (value, period),
            };
            if value == 0 {
                return fail(
                    format!("{path}.policies[{i}].value"),
                    "expected a value above 0",
                );
            }
            if period.is_zero() || period > MAX_POLICY_PERIOD {
                return fail(
                    format!("{path}.policies[{i}].period"),
                    format!(
                        "expected a period above 0s and at most {MAX_POLICY_PERIOD}, got {period}"
                    ),
                );
            }
        }
    }
    if let Some(tolerance) = rules.tolerance {
        validate_tolerance(tolerance, &format!("{path}.tolerance"))?;
    }
    Ok(())
}

/// A tolerance is a fraction: `[0, 1)` keeps `1 - tolerance` positive.
fn validate_tolerance(tolerance: f64, path: &str) -> Result<(), ConfigError> {
    if tolerance.is_finite() && (0.0..1.0).contains(&tolerance) {
        Ok(())
    } else {
        fail(
            path,
            format!("expected a fraction in [0, 1), e.g. 0.1, got {tolerance}"),
        )
    }
}

impl HpaControllerConfig {
    /// The first impossible value.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.sync_period.is_zero() {
            return fail("sync_period", "expected a period above 0s");
        }
        validate_tolerance(self.tolerance, "tolerance")?;
        if self.downscale_stabilization > MAX_STABILIZATION_WINDOW {
            return fail(
                "downscale_stabilization",
                format!("expected at most {MAX_STABILIZATION_WINDOW}"),
            );
        }
        if self.metric_resolution < MIN_METRIC_RESOLUTION {
            return fail(
                "metric_resolution",
                format!(
                    "expected at least {MIN_METRIC_RESOLUTION} (metrics-server refuses less), got {}",
                    self.metric_resolution
                ),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hpa::metrics_window::UsageWindow;
    use crate::hpa::replica_calculator::{PodGroup, PodPhase, Readiness, ReadyCondition, classify};
    use sim::time::SimTime;

    /// The cluster reports every pod started before `now − metrics_settle_after` with one start
    /// (and ready) instant, just before that bound. Each such pod must read as that one does:
    /// the same CPU sample and the same readiness class, ready or not.
    #[test]
    fn pods_older_than_the_settle_time_read_alike() {
        let defaults = HpaControllerConfig::default();
        // 5 min of cpu initialization outlasts 2 × 15 s + 10 s of metric windows.
        assert_eq!(metrics_settle_after(&defaults), SimDuration::from_secs(300));
        let short = HpaControllerConfig {
            cpu_initialization_period: SimDuration::from_secs(1),
            initial_readiness_delay: SimDuration::from_secs(1),
            ..defaults.clone()
        };
        assert_eq!(metrics_settle_after(&short), SimDuration::from_secs(40));
        let s = SimTime::from_secs;
        for config in [defaults, short] {
            let after = metrics_settle_after(&config).as_nanos();
            let readiness = |now| Readiness {
                now,
                cpu_initialization_period: config.cpu_initialization_period,
                initial_readiness_delay: config.initial_readiness_delay,
            };
            for phase_s in [0, 7, 14] {
                let mut window =
                    UsageWindow::new(config.metric_resolution, SimDuration::from_secs(phase_s));
                for now_s in 1_000..1_040 {
                    window.record(s(now_s), (now_s * 37) % 1_000);
                    let now = s(now_s);
                    let bound = now.as_nanos() - after;
                    let reported = SimTime::from_nanos(bound - 1);
                    // A pod's ready transition may come after the bound even when its start
                    // came before it (a slow readiness probe); the reported group's is its start.
                    let read = |start: SimTime, ready: bool, transition: SimTime| {
                        let sample = window.rate_sample(now, start);
                        let group = PodGroup {
                            count: 1,
                            phase: PodPhase::Running,
                            deleting: false,
                            start_time: Some(start),
                            ready: Some(ReadyCondition {
                                ready,
                                last_transition: transition,
                            }),
                            request_millis: Some(500),
                            metric: sample,
                        };
                        (sample, classify(&group, true, &readiness(now)))
                    };
                    for back_s in [0, 1, 9, 10, 15, 29, 30, 31, 299, 300, 600] {
                        let start = SimTime::from_nanos(bound - 1 - back_s * 1_000_000_000);
                        for (ready, transition) in [
                            (true, start),
                            (true, start + SimDuration::from_secs(20)),
                            (false, start),
                        ] {
                            assert_eq!(
                                read(start, ready, transition),
                                read(reported, ready, reported),
                                "now {now_s} s, phase {phase_s} s, start {back_s} s earlier"
                            );
                        }
                    }
                }
            }
        }
    }

    fn parse(json: &str) -> HpaConfig {
        match serde_json::from_str(json) {
            Ok(c) => c,
            Err(e) => panic!("{json} rejected: {e}"),
        }
    }

    #[test]
    fn defaults_and_quantities() {
        let c = parse(
            r#"{"max_replicas": 10, "metrics": [
                {"Pods": {"metric": "queue_length", "target": {"AverageValue": "10"}}},
                {"Resource": {"name": "memory", "target": {"AverageValue": "1Gi"}}}]}"#,
        );
        assert_eq!(c.min_replicas, 1);
        assert_eq!(
            c.metrics[0],
            MetricSpec::Pods {
                metric: "queue_length".into(),
                target: AverageValueTarget::AverageValue(MilliQuantity(10_000)),
            }
        );
        // 1Gi = 2^30 bytes = 1073741824, in milli-units ×1000.
        assert_eq!(
            c.metrics[1],
            MetricSpec::Resource {
                name: ResourceName::Memory,
                target: ResourceTarget::AverageValue(MilliQuantity(1_073_741_824_000)),
            }
        );
        let d = parse(r#"{"max_replicas": 4}"#);
        assert_eq!(d.metrics, default_metrics());
        assert_eq!(d.validate(), Ok(()));
    }

    #[test]
    fn quantity_message_drops_cpu() {
        let err = serde_json::from_str::<HpaConfig>(
            r#"{"max_replicas": 4, "metrics": [{"Pods": {"metric": "q", "target": {"AverageValue": "ten"}}}]}"#,
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(err.contains("invalid quantity \"ten\""), "{err}");
    }

    #[test]
    fn unknown_fields_are_errors() {
        let err = serde_json::from_str::<HpaConfig>(r#"{"max_replicas": 4, "maxReplicas": 5}"#);
        assert!(err.is_err());
    }

    #[test]
    fn validation_names_the_field() {
        let mut c = parse(r#"{"min_replicas": 5, "max_replicas": 3}"#);
        assert_eq!(c.validate().map_err(|e| e.path), Err("max_replicas".into()));
        c.max_replicas = 0;
        assert_eq!(c.validate().map_err(|e| e.path), Err("max_replicas".into()));
        let c = parse(
            r#"{"max_replicas": 3, "metrics": [{"Resource": {"name": "cpu", "target": {"Utilization": 0}}}]}"#,
        );
        assert_eq!(
            c.validate().map_err(|e| e.path),
            Err("metrics[0].target".into())
        );
        let c = parse(
            r#"{"max_replicas": 3, "behavior": {"scale_down": {"policies": [
                {"Pods": {"value": 1, "period": "15s"}}, {"Percent": {"value": 0, "period": "15s"}}]}}}"#,
        );
        assert_eq!(
            c.validate().map_err(|e| e.path),
            Err("behavior.scale_down.policies[1].value".into())
        );
        let c = parse(
            r#"{"max_replicas": 3, "behavior": {"scale_up": {"policies": [{"Pods": {"value": 1, "period": "31m"}}]}}}"#,
        );
        assert_eq!(
            c.validate().map_err(|e| e.path),
            Err("behavior.scale_up.policies[0].period".into())
        );
        let c = parse(r#"{"min_replicas": 0, "max_replicas": 3}"#);
        assert_eq!(c.validate().map_err(|e| e.path), Err("min_replicas".into()));
        let controller = HpaControllerConfig {
            metric_resolution: SimDuration::from_secs(5),
            ..HpaControllerConfig::default()
        };
        assert_eq!(
            controller.validate().map_err(|e| e.path),
            Err("metric_resolution".into())
        );
        assert_eq!(HpaControllerConfig::default().validate(), Ok(()));
    }
}

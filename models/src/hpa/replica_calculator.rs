//! The HPA's replica calculation for one metric, as pure functions over *groups* of identical
//! pods.
//!
//! A port of `kubernetes/kubernetes` `pkg/controller/podautoscaler/replica_calculator.go`
//! (the version with `Tolerances{scaleDown, scaleUp}` and the `max(100, target)` fallback for
//! missing pods, ≈ v1.34) and of the ratio helpers in `pkg/controller/podautoscaler/metrics/
//! utilization.go`: `GetResourceReplicas` ([`resource_utilization_replicas`]),
//! `calcPlainMetricReplicas` ([`average_value_replicas`]), `GetObjectMetricReplicas` /
//! `GetExternalMetricReplicas` ([`value_replicas`]) and `GetObjectPerPodMetricReplicas` /
//! `GetExternalPerPodMetricReplicas` ([`per_pod_value_replicas`]), with `groupPods`
//! ([`classify`]) and `getReadyPodsCount` ([`running_ready_pods`]).
//!
//! Why groups: upstream walks a map of pods. The pods of one Deployment are alike, so a group
//! (`count` pods with the same phase, readiness, request and sample) stands for all of them and
//! every sum is `count × value`. Sums that upstream keeps in `int64` are kept in `i128` here:
//! a million pods at 10^12 milli-bytes would overflow `int64`, and newer upstream guards the same
//! overflow with `big.Int` (utilization.go), so the result is the exact one either way. Integer
//! divisions (utilization percent, average usage) truncate as Go's do; the usage ratio and
//! `ceil(ratio × pods)` are `f64` exactly as upstream computes them.

use sim::time::{SimDuration, SimTime};

/// The allowed deviation of the usage ratio from 1 in each direction before the HPA acts
/// (`Tolerances` in replica_calculator.go).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Tolerances {
    pub scale_down: f64,
    pub scale_up: f64,
}

impl Tolerances {
    pub fn symmetric(tolerance: f64) -> Tolerances {
        Tolerances {
            scale_down: tolerance,
            scale_up: tolerance,
        }
    }

    /// `isWithin`: `1 - scaleDown ≤ ratio ≤ 1 + scaleUp`.
    pub fn is_within(self, usage_ratio: f64) -> bool {
        (1.0 - self.scale_down) <= usage_ratio && usage_ratio <= (1.0 + self.scale_up)
    }
}

/// `v1.PodPhase`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PodPhase {
    Pending,
    Running,
    Succeeded,
    Failed,
}

/// The pod's `Ready` condition.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ReadyCondition {
    pub ready: bool,
    pub last_transition: SimTime,
}

/// One metrics-API sample of a pod: the value and, for resource metrics, the end of the
/// averaging window and its length (`PodMetric{Value, Timestamp, Window}`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct MetricSample {
    pub value_millis: u64,
    pub timestamp: SimTime,
    pub window: SimDuration,
}

/// `count` identical pods of the scale target.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PodGroup {
    pub count: u32,
    pub phase: PodPhase,
    /// `deletionTimestamp != nil` (terminating).
    pub deleting: bool,
    /// `status.startTime`; `None` before the kubelet has accepted the pod.
    pub start_time: Option<SimTime>,
    /// `None`: no `Ready` condition yet.
    pub ready: Option<ReadyCondition>,
    /// Request of the measured resource per pod (summed over containers, or of the named
    /// container), milli-units; `None` when a container has no request. Only Utilization
    /// targets read it.
    pub request_millis: Option<u64>,
    /// `None`: no sample for these pods (metrics-server has not scraped them twice yet).
    pub metric: Option<MetricSample>,
}

/// How `groupPods` sorts a pod.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PodClass {
    /// Deleting or Failed: left out of everything.
    Ignored,
    /// Pending, or (cpu only) not yet ready / sample too early after readiness: left out of
    /// the average, counted as 0 on a scale-up.
    Unready,
    /// No sample: assumed at 0 on a scale-up and at the target (or 100 %) on a scale-down.
    Missing,
    Ready,
}

/// The readiness rules of `groupPods`: the instant of the sync and the controller flags.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Readiness {
    pub now: SimTime,
    pub cpu_initialization_period: SimDuration,
    pub initial_readiness_delay: SimDuration,
}

/// `groupPods` for one group. The readiness rules apply only to the cpu resource
/// (`cpu_rules`); for other resources and custom metrics a Running pod with a sample counts.
pub fn classify(pods: &PodGroup, cpu_rules: bool, readiness: &Readiness) -> PodClass {
    if pods.deleting || pods.phase == PodPhase::Failed {
        return PodClass::Ignored;
    }
    if pods.phase == PodPhase::Pending {
        return PodClass::Unready;
    }
    let Some(sample) = pods.metric else {
        return PodClass::Missing;
    };
    if cpu_rules {
        let unready = match (pods.ready, pods.start_time) {
            (Some(condition), Some(start)) => {
                if start + readiness.cpu_initialization_period > readiness.now {
                    // Still initializing: unready, or one full window not yet collected since
                    // the last readiness transition.
                    !condition.ready || sample.timestamp < condition.last_transition + sample.window
                } else {
                    // Unready and never ready since it started.
                    !condition.ready
                        && start + readiness.initial_readiness_delay > condition.last_transition
                }
            }
            _ => true,
        };
        if unready {
            return PodClass::Unready;
        }
    }
    PodClass::Ready
}

/// Why a metric gives no proposal; the HPA counts it as an invalid metric.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CalcError {
    /// "no pods returned by selector while calculating replica count".
    NoPods,
    /// "did not receive metrics for targeted pods (pods might be unready)".
    NoMetrics,
    /// "missing request for <resource>".
    MissingRequest,
    /// "no metrics returned matched known pods": every request is zero.
    ZeroRequests,
    /// The metric could not be read at all (metrics API error, no such series).
    Unavailable(String),
}

impl std::fmt::Display for CalcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CalcError::NoPods => f.write_str("no pods returned by selector"),
            CalcError::NoMetrics => {
                f.write_str("did not receive metrics for targeted pods (pods might be unready)")
            }
            CalcError::MissingRequest => f.write_str("missing request for the resource"),
            CalcError::ZeroRequests => f.write_str("no metrics returned matched known pods"),
            CalcError::Unavailable(why) => write!(f, "unable to get metric: {why}"),
        }
    }
}

/// The result of [`resource_utilization_replicas`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct UtilizationProposal {
    pub replicas: u32,
    /// Average utilization of the counted pods, percent of their requests (truncated).
    pub utilization_percent: i32,
    /// Average usage of the counted pods, milli-units (truncated).
    pub raw_average_millis: i64,
}

/// The result of [`average_value_replicas`], [`value_replicas`], [`per_pod_value_replicas`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ValueProposal {
    pub replicas: u32,
    /// The usage upstream reports in the HPA status: the per-pod average, or the metric value.
    pub usage_millis: i64,
}

/// One entry of the (group-wise) `metrics` map after grouping: `count` pods with this value
/// and request.
#[derive(Copy, Clone)]
struct Entry {
    count: i128,
    value: i128,
    request: i128,
}

/// The sorted pods: the entries with samples (ready), and the other classes.
struct Grouped {
    ready: Vec<Entry>,
    ready_count: i128,
    unready: Vec<Entry>,
    missing: Vec<Entry>,
}

fn group(pods: &[PodGroup], cpu_rules: bool, readiness: &Readiness) -> Grouped {
    let mut g = Grouped {
        ready: Vec::new(),
        ready_count: 0,
        unready: Vec::new(),
        missing: Vec::new(),
    };
    for p in pods.iter().filter(|p| p.count > 0) {
        let entry = Entry {
            count: i128::from(p.count),
            value: p.metric.map_or(0, |m| i128::from(m.value_millis)),
            request: p.request_millis.map_or(0, i128::from),
        };
        match classify(p, cpu_rules, readiness) {
            PodClass::Ignored => {}
            PodClass::Unready => g.unready.push(entry),
            PodClass::Missing => g.missing.push(entry),
            PodClass::Ready => {
                g.ready_count += entry.count;
                g.ready.push(entry);
            }
        }
    }
    g
}

/// `GetResourceUtilizationRatio`: (ratio, utilization %, raw average). The percentage is
/// clamped to the `int32` range as newer upstream does.
fn utilization_ratio(entries: &[Entry], target_percent: u32) -> Result<(f64, i32, i64), CalcError> {
    let (mut metrics, mut requests, mut n) = (0i128, 0i128, 0i128);
    for e in entries {
        metrics += e.count * e.value;
        requests += e.count * e.request;
        n += e.count;
    }
    if requests == 0 {
        return Err(CalcError::ZeroRequests);
    }
    let percent = (metrics * 100 / requests).clamp(i128::from(i32::MIN), i128::from(i32::MAX));
    let utilization = percent as i32;
    let raw = (metrics / n).clamp(0, i128::from(i64::MAX)) as i64;
    Ok((
        f64::from(utilization) / f64::from(target_percent),
        utilization,
        raw,
    ))
}

/// `GetMetricUsageRatio`: (ratio, average usage).
fn usage_ratio(entries: &[Entry], target_millis: u64) -> (f64, i64) {
    let (mut total, mut n) = (0i128, 0i128);
    for e in entries {
        total += e.count * e.value;
        n += e.count;
    }
    let usage = if n == 0 {
        0
    } else {
        (total / n).clamp(0, i128::from(i64::MAX)) as i64
    };
    (usage as f64 / target_millis as f64, usage)
}

fn count(entries: &[Entry]) -> i128 {
    entries.iter().map(|e| e.count).sum()
}

/// `int32(math.Ceil(x))`, never below 0 (a replica count).
fn ceil_replicas(x: f64) -> u32 {
    // `as` saturates; the i32 bound is upstream's, where the count is an int32.
    (x.ceil() as i32).max(0) as u32
}

/// `GetResourceReplicas` (Resource and ContainerResource metrics with a `Utilization` target).
pub fn resource_utilization_replicas(
    current_replicas: u32,
    target_percent: u32,
    cpu_rules: bool,
    pods: &[PodGroup],
    tolerances: Tolerances,
    readiness: &Readiness,
) -> Result<UtilizationProposal, CalcError> {
    if pods.iter().all(|p| p.count == 0) {
        return Err(CalcError::NoPods);
    }
    let mut g = group(pods, cpu_rules, readiness);
    if g.ready.is_empty() {
        return Err(CalcError::NoMetrics);
    }
    // calculateRequests covers every listed pod.
    if pods
        .iter()
        .any(|p| p.count > 0 && p.request_millis.is_none())
    {
        return Err(CalcError::MissingRequest);
    }
    let (ratio, utilization, raw) = utilization_ratio(&g.ready, target_percent)?;
    let done = |replicas| UtilizationProposal {
        replicas,
        utilization_percent: utilization,
        raw_average_millis: raw,
    };
    let scale_up_with_unready = !g.unready.is_empty() && ratio > 1.0;
    if !scale_up_with_unready && g.missing.is_empty() {
        if tolerances.is_within(ratio) {
            return Ok(done(current_replicas));
        }
        return Ok(done(ceil_replicas(ratio * g.ready_count as f64)));
    }
    if !g.missing.is_empty() {
        if ratio < 1.0 {
            // Missing pods on a scale-down: at 100 % of their request, or at the target when
            // it is above 100 %.
            let fallback = i128::from(target_percent.max(100));
            for e in &mut g.missing {
                e.value = e.request * fallback / 100;
            }
            g.ready.append(&mut g.missing);
        } else if ratio > 1.0 {
            for e in &mut g.missing {
                e.value = 0;
            }
            g.ready.append(&mut g.missing);
        }
    }
    if scale_up_with_unready {
        for e in &mut g.unready {
            e.value = 0;
        }
        g.ready.append(&mut g.unready);
    }
    let (new_ratio, _, _) = utilization_ratio(&g.ready, target_percent)?;
    if tolerances.is_within(new_ratio)
        || (ratio < 1.0 && new_ratio > 1.0)
        || (ratio > 1.0 && new_ratio < 1.0)
    {
        return Ok(done(current_replicas));
    }
    let new_replicas = ceil_replicas(new_ratio * count(&g.ready) as f64);
    if (new_ratio < 1.0 && new_replicas > current_replicas)
        || (new_ratio > 1.0 && new_replicas < current_replicas)
    {
        return Ok(done(current_replicas));
    }
    Ok(done(new_replicas))
}

/// `calcPlainMetricReplicas`: Resource metrics with an `AverageValue` target (`cpu_rules` for
/// cpu, as `GetRawResourceReplicas` passes the resource) and Pods metrics (`cpu_rules` false,
/// as `GetMetricReplicas` passes no resource).
pub fn average_value_replicas(
    current_replicas: u32,
    target_millis: u64,
    cpu_rules: bool,
    pods: &[PodGroup],
    tolerances: Tolerances,
    readiness: &Readiness,
) -> Result<ValueProposal, CalcError> {
    if pods.iter().all(|p| p.count == 0) {
        return Err(CalcError::NoPods);
    }
    let mut g = group(pods, cpu_rules, readiness);
    if g.ready.is_empty() {
        return Err(CalcError::NoMetrics);
    }
    let (ratio, usage) = usage_ratio(&g.ready, target_millis);
    let done = |replicas| ValueProposal {
        replicas,
        usage_millis: usage,
    };
    let scale_up_with_unready = !g.unready.is_empty() && ratio > 1.0;
    if !scale_up_with_unready && g.missing.is_empty() {
        if tolerances.is_within(ratio) {
            return Ok(done(current_replicas));
        }
        return Ok(done(ceil_replicas(ratio * g.ready_count as f64)));
    }
    if !g.missing.is_empty() {
        if ratio < 1.0 {
            // Missing pods on a scale-down: exactly at the target.
            for e in &mut g.missing {
                e.value = i128::from(target_millis);
            }
            g.ready.append(&mut g.missing);
        } else if ratio > 1.0 {
            for e in &mut g.missing {
                e.value = 0;
            }
            g.ready.append(&mut g.missing);
        }
    }
    if scale_up_with_unready {
        for e in &mut g.unready {
            e.value = 0;
        }
        g.ready.append(&mut g.unready);
    }
    let (new_ratio, _) = usage_ratio(&g.ready, target_millis);
    if tolerances.is_within(new_ratio)
        || (ratio < 1.0 && new_ratio > 1.0)
        || (ratio > 1.0 && new_ratio < 1.0)
    {
        return Ok(done(current_replicas));
    }
    let new_replicas = ceil_replicas(new_ratio * count(&g.ready) as f64);
    if (new_ratio < 1.0 && new_replicas > current_replicas)
        || (new_ratio > 1.0 && new_replicas < current_replicas)
    {
        return Ok(done(current_replicas));
    }
    Ok(done(new_replicas))
}

/// `getReadyPodsCount`: pods Running with `Ready` true (deleting ones included, as upstream).
pub fn running_ready_pods(pods: &[PodGroup]) -> Result<u64, CalcError> {
    if pods.iter().all(|p| p.count == 0) {
        return Err(CalcError::NoPods);
    }
    Ok(pods
        .iter()
        .filter(|p| p.phase == PodPhase::Running && p.ready.is_some_and(|c| c.ready))
        .map(|p| u64::from(p.count))
        .sum())
}

/// `GetObjectMetricReplicas` and `GetExternalMetricReplicas` (`Value` targets, `value_millis`
/// being the object's metric or the sum of the external series): `ceil(ratio × ready pods)`,
/// or `ceil(ratio)` from zero replicas (scale-to-zero).
pub fn value_replicas(
    current_replicas: u32,
    value_millis: u64,
    target_millis: u64,
    pods: &[PodGroup],
    tolerances: Tolerances,
) -> Result<ValueProposal, CalcError> {
    let ratio = value_millis as f64 / target_millis as f64;
    let usage_millis = i64::try_from(value_millis).unwrap_or(i64::MAX);
    let replicas = if current_replicas != 0 {
        if tolerances.is_within(ratio) {
            current_replicas
        } else {
            let ready = running_ready_pods(pods)?;
            ceil_replicas(ratio * ready as f64)
        }
    } else {
        ceil_replicas(ratio)
    };
    Ok(ValueProposal {
        replicas,
        usage_millis,
    })
}

/// `GetObjectPerPodMetricReplicas` and `GetExternalPerPodMetricReplicas` (`AverageValue`
/// targets): against `status.replicas`, `ceil(value / target)` when outside the tolerance.
pub fn per_pod_value_replicas(
    status_replicas: u32,
    value_millis: u64,
    target_millis: u64,
    tolerances: Tolerances,
) -> ValueProposal {
    let value = value_millis as f64;
    let ratio = value / (target_millis as f64 * f64::from(status_replicas));
    let replicas = if tolerances.is_within(ratio) {
        status_replicas
    } else {
        ceil_replicas(value / target_millis as f64)
    };
    // Upstream divides by zero here when no pod exists; report the whole value then.
    let usage = if status_replicas == 0 {
        value
    } else {
        (value / f64::from(status_replicas)).ceil()
    };
    ValueProposal {
        replicas,
        usage_millis: usage as i64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn readiness() -> Readiness {
        Readiness {
            now: SimTime::from_secs(1000),
            cpu_initialization_period: SimDuration::from_secs(300),
            initial_readiness_delay: SimDuration::from_secs(30),
        }
    }

    fn pod(start_s: u64, ready: Option<(bool, u64)>) -> PodGroup {
        PodGroup {
            count: 1,
            phase: PodPhase::Running,
            deleting: false,
            start_time: Some(SimTime::from_secs(start_s)),
            ready: ready.map(|(ready, at)| ReadyCondition {
                ready,
                last_transition: SimTime::from_secs(at),
            }),
            request_millis: Some(1000),
            metric: Some(MetricSample {
                value_millis: 500,
                timestamp: SimTime::from_secs(990),
                window: SimDuration::from_secs(15),
            }),
        }
    }

    #[test]
    fn cpu_readiness_rules() {
        let r = readiness();
        // Past the 300 s initialization (started at 0): unready only if it has never been
        // ready, i.e. start + 30 s > last transition.
        assert_eq!(
            classify(&pod(0, Some((false, 10))), true, &r),
            PodClass::Unready
        );
        // Turned unready at 100 s, after having been ready: its sample still counts.
        assert_eq!(
            classify(&pod(0, Some((false, 100))), true, &r),
            PodClass::Ready
        );
        // Inside the initialization (started at 800 s): ready at 980 s, sample at 990 s with a
        // 15 s window: 990 < 980 + 15, so the sample may hold start-up CPU → unready.
        assert_eq!(
            classify(&pod(800, Some((true, 980))), true, &r),
            PodClass::Unready
        );
        // Ready at 970 s: 990 ≥ 985, a full window after readiness → ready.
        assert_eq!(
            classify(&pod(800, Some((true, 970))), true, &r),
            PodClass::Ready
        );
        // No Ready condition: unready for cpu, counted for memory and custom metrics.
        assert_eq!(classify(&pod(0, None), true, &r), PodClass::Unready);
        assert_eq!(classify(&pod(0, None), false, &r), PodClass::Ready);
        let gone = PodGroup {
            deleting: true,
            ..pod(0, Some((true, 10)))
        };
        assert_eq!(classify(&gone, true, &r), PodClass::Ignored);
        let no_sample = PodGroup {
            metric: None,
            ..pod(0, Some((true, 10)))
        };
        assert_eq!(classify(&no_sample, true, &r), PodClass::Missing);
    }

    #[test]
    fn sums_do_not_overflow_with_a_million_pods() {
        // 10^6 pods × 2 GiB in milli-bytes (2.1e12) = 2.1e18 per sum; ×100 for the percentage
        // overflows i64 (9.2e18) but not i128. Usage = request / 2 → 50 % of a 50 % target.
        let request = 2 * (1u64 << 30) * 1000;
        let group = PodGroup {
            count: 1_000_000,
            request_millis: Some(request),
            metric: Some(MetricSample {
                value_millis: request / 2,
                timestamp: SimTime::from_secs(990),
                window: SimDuration::from_secs(15),
            }),
            ..pod(0, Some((true, 10)))
        };
        let p = resource_utilization_replicas(
            1_000_000,
            50,
            false,
            &[group],
            Tolerances::symmetric(0.1),
            &readiness(),
        );
        assert_eq!(
            p,
            Ok(UtilizationProposal {
                replicas: 1_000_000,
                utilization_percent: 50,
                raw_average_millis: (request / 2) as i64,
            })
        );
    }
}

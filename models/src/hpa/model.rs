//! The `HpaController` model: every HorizontalPodAutoscaler of the run, synced together every
//! `--horizontal-pod-autoscaler-sync-period` as one kube-controller-manager does.
//!
//! Each sync reads the cluster's compact per-deployment figures ([`WorkloadMetrics`]), turns
//! the requests served since the previous sync into per-pod usage, feeds it through the
//! metrics-server lag ([`UsageWindow`]), builds the pod groups the replica calculation reads,
//! and sends the scale of each HPA that rescales, with its reason, to the cluster.
//!
//! What the pods use, from the queueing model (README, "Services and HPA metrics"):
//! - cpu: a pod serving `capacity_rps` uses the CPU request the service declares, so the
//!   per-pod usage over a sync interval is `served requests/s × declared cpu request /
//!   capacity_rps / ready pods`; a pod whose request a VPA changed uses the same CPU for the
//!   same work, and its utilization is that over its own request;
//! - memory: `memory_usage.base + memory_usage.per_rps × served requests/s per ready pod`;
//! - custom metrics (Pods, Object, External) by name: `requests_per_second` (per pod: served;
//!   Object/External: arrivals at the service's ingress in the region) and `in_flight_requests`
//!   (alias `queue_length`: requests in the service, waiting or served, by Little's law).
//!
//! Usage is averaged over each sync interval (15 s) and held constant over it; a pod that is
//! not ready serves nothing and uses nothing. Pods are alike, so one usage value stands for
//! every pod of a deployment; the readiness rules still see each group of pods with its own
//! start and ready times.

use serde::{Deserialize, Serialize};
use sim::time::{SimDuration, SimTime};

use nexosim::model::{Context, Model, schedulable};
use nexosim::ports::{Output, Requestor};

use crate::api::decisions::{Decisions, Scope};
use crate::api::{BoundsStep, MemoryModel, Reason, ReplicaOrder, Scaler, WorkloadMetrics};
use crate::hpa::config::{HpaConfig, HpaControllerConfig, MetricSpec, ResourceName};
use crate::hpa::controller::{Hpa, MetricInput, ScaleTarget};
use crate::hpa::cost_aware::HpaBudget;
use crate::hpa::metrics_window::UsageWindow;
use crate::hpa::replica_calculator::{MetricSample, PodGroup, PodPhase, ReadyCondition};

/// Custom metric names a `Pods`, `Object` or `External` metric may read, as written in an
/// experiment (each one a [`CustomMetric`]).
pub const CUSTOM_METRICS: &[&str] = &["requests_per_second", "in_flight_requests", "queue_length"];

/// What a custom metric measures. Names are resolved once, when the controller is built, so a
/// sync matches on this enum and no name falls through to a default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomMetric {
    /// `requests_per_second`: served requests/s per pod (Pods), arrivals/s at the service's
    /// ingress in the region (Object, External).
    RequestsPerSecond,
    /// `in_flight_requests`, alias `queue_length`: requests in the service, waiting or served.
    InFlightRequests,
}

impl CustomMetric {
    /// The metric an input name stands for; `None` for a name not in [`CUSTOM_METRICS`].
    pub fn from_name(name: &str) -> Option<CustomMetric> {
        match name {
            "requests_per_second" => Some(CustomMetric::RequestsPerSecond),
            "in_flight_requests" | "queue_length" => Some(CustomMetric::InFlightRequests),
            _ => None,
        }
    }
}

/// One entry of an HPA's `metrics`, resolved: which series it reads and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Measured {
    Cpu,
    Memory,
    /// A Pods metric: a per-pod series.
    PerPod(CustomMetric),
    /// An Object or External metric: one value for the whole service.
    Whole(CustomMetric),
}

impl Measured {
    fn of(spec: &MetricSpec) -> Result<Measured, String> {
        let custom = |name: &str| {
            CustomMetric::from_name(name).ok_or_else(|| {
                format!("unknown custom metric `{name}`: expected one of {CUSTOM_METRICS:?}")
            })
        };
        Ok(match spec {
            MetricSpec::Resource { name, .. } | MetricSpec::ContainerResource { name, .. } => {
                match name {
                    ResourceName::Cpu => Measured::Cpu,
                    ResourceName::Memory => Measured::Memory,
                }
            }
            MetricSpec::Pods { metric, .. } => Measured::PerPod(custom(metric)?),
            MetricSpec::Object { metric, .. } | MetricSpec::External { metric, .. } => {
                Measured::Whole(custom(metric)?)
            }
        })
    }
}

/// One HPA as planned: the cluster service it scales and what its pods are made of.
#[derive(Debug, Clone, PartialEq)]
pub struct HpaPlan {
    pub service: u32,
    /// `name-region`, for events.
    pub name: String,
    pub config: HpaConfig,
    pub capacity_rps: f64,
    /// The CPU request the service declares: a pod serving `capacity_rps` uses this much CPU,
    /// whatever request a VPA has since given it.
    pub declared_cpu_millis: u64,
    pub memory: Option<MemoryModel>,
    /// Scheduled changes of the HPA's bounds, in time order: the service's `scale` steps (each
    /// a `minReplicas`) and its scheduled policies' actions (the lib.rs ownership table).
    pub bounds: Vec<BoundsStep>,
    /// A cost-aware policy's budget, which cuts scale-ups once low (`hpa::cost_aware`).
    pub cost_aware: Option<HpaBudget>,
}

/// Which requests a metric's utilization is measured against: each pod group's own (from its
/// template revision), or none for metrics that are not resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Requests {
    None,
    Cpu,
    Memory,
}

/// What one pod uses, and what metrics-server has seen of it.
struct Target {
    plan: HpaPlan,
    hpa: Hpa,
    /// `hpa.metrics()`, resolved, in the same order.
    measured: Vec<Measured>,
    /// How many of `plan.bounds` have been applied.
    steps_applied: usize,
    cpu: UsageWindow,
    memory: UsageWindow,
    in_flight: UsageWindow,
    served_rps: UsageWindow,
    served_total: f64,
    /// Whether the last sync logged a held recommendation (logged once per episode).
    held: bool,
    /// Whether the cost-aware budget was low at the last sync (a sum, once low, stays low; a
    /// rate's budget so far can catch up with the spend).
    budget_low: bool,
    /// The service and region, for the decisions table.
    scope: Scope,
}

/// The kube-controller-manager's HPA loop over every HPA of the run.
#[derive(Serialize, Deserialize)]
pub struct HpaController {
    sync_period: SimDuration,
    /// nexosim asks models to be serializable for checkpoints, which clustersim never takes;
    /// the HPA state types are plain Rust, so they are left out.
    #[serde(skip)]
    targets: Vec<Target>,
    last_sync: SimTime,
    #[serde(skip)]
    decisions: Decisions,
    /// Reads the deployments' figures from the cluster.
    pub metrics: Requestor<Vec<u32>, Vec<WorkloadMetrics>>,
    /// Scales (and held recommendations) for the cluster to apply and log.
    pub scale: Output<Vec<ReplicaOrder>>,
}

impl HpaController {
    /// Fails on a custom metric name not in [`CUSTOM_METRICS`] (the loader refuses those
    /// first, with the field's position).
    pub fn new(plans: Vec<HpaPlan>, controller: &HpaControllerConfig) -> Result<Self, String> {
        let resolution = controller.metric_resolution;
        // Scrapes half a resolution off the syncs, as they are unaligned in a real cluster.
        let phase = SimDuration::from_nanos(resolution.as_nanos() / 2);
        let targets = plans
            .into_iter()
            .map(|plan| {
                let hpa = Hpa::new(&plan.config, controller);
                let measured = hpa
                    .metrics()
                    .iter()
                    .map(Measured::of)
                    .collect::<Result<Vec<_>, String>>()
                    .map_err(|e| format!("hpa/{}: {e}", plan.name))?;
                Ok(Target {
                    hpa,
                    measured,
                    steps_applied: 0,
                    cpu: UsageWindow::new(resolution, phase),
                    memory: UsageWindow::new(resolution, phase),
                    in_flight: UsageWindow::new(resolution, phase),
                    served_rps: UsageWindow::new(resolution, phase),
                    served_total: 0.0,
                    held: false,
                    budget_low: false,
                    scope: Scope {
                        region: std::sync::Arc::from(""),
                        scope: std::sync::Arc::from(plan.name.as_str()),
                    },
                    plan,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(HpaController {
            sync_period: controller.sync_period,
            targets,
            last_sync: SimTime::ZERO,
            decisions: Decisions::default(),
            metrics: Requestor::default(),
            scale: Output::default(),
        })
    }

    /// Records each sync in `decisions`, scoped by `scopes` (each service's region and name,
    /// indexed by the plans' service ids).
    pub fn with_decisions(mut self, decisions: Decisions, scopes: &[Scope]) -> Self {
        for t in &mut self.targets {
            if let Some(scope) = scopes.get(t.plan.service as usize) {
                t.scope = scope.clone();
            }
        }
        self.decisions = decisions;
        self
    }

    fn schedule_next(&self, cx: &Context<Self>) {
        let now = SimTime::from_monotonic(cx.time());
        let at = SimTime::from_nanos(now.as_nanos() + self.sync_period.as_nanos()).to_monotonic();
        if let Err(e) = cx.schedule_event(at, schedulable!(Self::sync), ()) {
            panic!("hpa: sync one period after {now:?} refused: {e}");
        }
    }
}

/// Rounds a non-negative usage to milli-units.
fn millis(v: f64) -> u64 {
    (v * 1000.0).round().max(0.0) as u64
}

impl Target {
    /// Records the usage of the interval `[since, now)` from the cluster's figures.
    fn observe(&mut self, since: SimTime, now: SimTime, m: &WorkloadMetrics) {
        let dt_s = now.saturating_duration_since(since).as_secs_f64();
        let served = m.served_requests_total - self.served_total;
        self.served_total = m.served_requests_total;
        let rps = if dt_s > 0.0 { served / dt_s } else { 0.0 };
        let per_pod = |total: f64| total / f64::from(m.ready.max(1));
        // CPU follows the work done, not the request: a pod of any revision serving the same
        // requests uses the same CPU, and its utilization is that over its own request.
        let cpu_cores =
            per_pod(rps) * self.plan.declared_cpu_millis as f64 / 1000.0 / self.plan.capacity_rps;
        self.cpu.record(since, millis(cpu_cores));
        if let Some(mem) = self.plan.memory {
            self.memory
                .record(since, millis(mem.bytes_at(per_pod(rps))));
        }
        self.in_flight
            .record(since, millis(per_pod(m.in_flight_requests)));
        self.served_rps.record(since, millis(per_pod(rps)));
    }

    /// The pods as the replica calculation sees them, each group with its own requests (see
    /// [`Requests`]) and its sample of the measured series.
    fn groups(
        &self,
        now: SimTime,
        m: &WorkloadMetrics,
        requests: Requests,
        window: &UsageWindow,
        gauge: bool,
    ) -> Vec<PodGroup> {
        let mut groups: Vec<PodGroup> = m
            .running
            .iter()
            .map(|g| {
                let start = SimTime::from_nanos(g.started_ns);
                let sample = if gauge {
                    window.gauge_sample(now, start)
                } else {
                    window.rate_sample(now, start)
                };
                PodGroup {
                    count: g.count,
                    phase: PodPhase::Running,
                    deleting: false,
                    start_time: Some(start),
                    ready: Some(ReadyCondition {
                        ready: g.ready_ns.is_some(),
                        last_transition: SimTime::from_nanos(g.ready_ns.unwrap_or(g.started_ns)),
                    }),
                    request_millis: match requests {
                        Requests::None => None,
                        Requests::Cpu => Some(g.cpu_request_millis),
                        Requests::Memory => Some(g.memory_request_bytes.saturating_mul(1000)),
                    },
                    // Pods that are not ready serve nothing: they report no usage.
                    metric: sample.map(|s| MetricSample {
                        value_millis: if g.ready_ns.is_some() {
                            s.value_millis
                        } else {
                            0
                        },
                        ..s
                    }),
                }
            })
            .collect();
        let running: u32 = m.running.iter().map(|g| g.count).sum();
        let pending = m.replicas.saturating_sub(running);
        if pending > 0 {
            groups.push(PodGroup {
                count: pending,
                phase: PodPhase::Pending,
                deleting: false,
                start_time: None,
                ready: None,
                request_millis: match requests {
                    Requests::None => None,
                    Requests::Cpu => Some(m.cpu_request_millis),
                    Requests::Memory => Some(m.memory_request_bytes.saturating_mul(1000)),
                },
                metric: None,
            });
        }
        groups
    }

    /// Reads the spend against the cost-aware budget, if any: while it is low, the HPA's
    /// scale-ups are cut, and a `CostAwareScaling` event marks each change. Returns the
    /// budget's figures for the events of cut scale-ups ("" without a budget).
    fn watch_budget(
        &mut self,
        now: SimTime,
        spent_usd: f64,
        orders: &mut Vec<ReplicaOrder>,
    ) -> String {
        let Some(b) = &self.plan.cost_aware else {
            return String::new();
        };
        let elapsed_s = now.as_secs_f64();
        let figures = format!(
            "; budget ${spent_usd:.2} of ${:.2} spent ({:.0}% left)",
            b.allowance.so_far_usd(elapsed_s),
            100.0 * b.allowance.left_share(spent_usd, elapsed_s)
        );
        let low = b.low(spent_usd, elapsed_s);
        if low != self.budget_low {
            self.budget_low = low;
            self.hpa
                .set_scale_up_factor(low.then_some(b.scale_up_factor));
            let share = 100.0 * b.low_share;
            orders.push(ReplicaOrder {
                service: self.plan.service,
                replicas: None,
                reason: Reason::CostAwareScaling,
                why: if low {
                    format!(
                        "{}: {share:.0}% or less of the budget left{figures}: scale-ups × {} \
                         from now on",
                        b.policy, b.scale_up_factor
                    )
                } else {
                    format!(
                        "{}: more than {share:.0}% of the budget left again{figures}: \
                         scale-ups no longer cut",
                        b.policy
                    )
                },
                by: Scaler::Hpa,
            });
        }
        figures
    }

    /// One sync of this HPA: the orders to send (a scheduled step's event, a rescale or a held
    /// recommendation).
    fn sync(
        &mut self,
        now: SimTime,
        m: &WorkloadMetrics,
        orders: &mut Vec<ReplicaOrder>,
        log: (&Decisions, usize),
    ) {
        // Steps due by now set the bounds this sync clamps to; like KEDA's cron scaler, which
        // is polled, a step takes effect at the first sync at or after its instant.
        while let Some(step) = self.plan.bounds.get(self.steps_applied)
            && step.at <= now
        {
            self.hpa.set_bounds(step);
            self.steps_applied += 1;
            if let Some(event) = &step.event {
                let (min, max) = self.hpa.bounds();
                orders.push(ReplicaOrder {
                    service: self.plan.service,
                    replicas: None,
                    reason: Reason::ScheduledScaling,
                    why: format!("min_replicas {min}, max_replicas {max}: {event}"),
                    by: Scaler::Hpa,
                });
            }
        }
        let budget_note = self.watch_budget(now, m.spent_usd, orders);
        let count = self.measured.len();
        let mut groups: Vec<Vec<PodGroup>> = Vec::with_capacity(count);
        let mut values: Vec<Option<u64>> = Vec::with_capacity(count);
        for k in 0..count {
            let (g, value) = match self.measured[k] {
                Measured::Cpu => (self.groups(now, m, Requests::Cpu, &self.cpu, false), None),
                Measured::Memory => (
                    self.groups(now, m, Requests::Memory, &self.memory, true),
                    None,
                ),
                Measured::PerPod(metric) => {
                    let window = match metric {
                        CustomMetric::RequestsPerSecond => &self.served_rps,
                        CustomMetric::InFlightRequests => &self.in_flight,
                    };
                    (self.groups(now, m, Requests::None, window, true), None)
                }
                Measured::Whole(metric) => {
                    let total = match metric {
                        CustomMetric::RequestsPerSecond => m.arrival_rps,
                        CustomMetric::InFlightRequests => m.in_flight_requests,
                    };
                    (
                        self.groups(now, m, Requests::None, &self.cpu, false),
                        Some(millis(total)),
                    )
                }
            };
            groups.push(g);
            values.push(value);
        }
        let inputs: Vec<MetricInput<'_>> = groups
            .iter()
            .zip(&values)
            .map(|(g, v)| match v {
                Some(value_millis) => MetricInput::Value {
                    value_millis: *value_millis,
                    pods: g,
                },
                None => MetricInput::PerPod(g),
            })
            .collect();
        let decision = self.hpa.sync(
            now,
            ScaleTarget {
                spec_replicas: m.desired,
                status_replicas: m.replicas,
            },
            &inputs,
        );
        crate::hpa::decisions::record(log.0, log.1, &self.scope, self.hpa.tolerances(), &decision);
        if decision.rescale() {
            self.held = false;
            let mut why = decision.reason();
            if decision.cost_cut.is_some() {
                why.push_str(&budget_note);
            }
            orders.push(ReplicaOrder {
                service: self.plan.service,
                replicas: Some(decision.to_replicas),
                reason: Reason::SuccessfulRescale,
                why,
                by: Scaler::Hpa,
            });
            return;
        }
        // Held: the metrics proposed another count, a window or a limit kept the current one.
        let held = decision
            .proposal
            .is_some_and(|p| p != decision.from_replicas);
        let log = held && !self.held;
        self.held = held;
        if log {
            orders.push(ReplicaOrder {
                service: self.plan.service,
                replicas: Some(decision.to_replicas),
                reason: Reason::ScalingHeld,
                why: decision.reason(),
                by: Scaler::Hpa,
            });
        }
    }
}

#[Model]
impl HpaController {
    #[nexosim(init)]
    async fn init(&mut self, cx: &Context<Self>) {
        if !self.targets.is_empty() {
            self.schedule_next(cx);
        }
    }

    #[nexosim(schedulable)]
    async fn sync(&mut self, _: (), cx: &Context<Self>) {
        let now = SimTime::from_monotonic(cx.time());
        let ids: Vec<u32> = self.targets.iter().map(|t| t.plan.service).collect();
        let figures: Vec<WorkloadMetrics> =
            self.metrics.send(ids.clone()).await.flatten().collect();
        // One answer per asked service, in order: the zip below pairs them blindly.
        debug_assert!(
            figures.iter().map(|m| m.service).eq(ids.iter().copied()),
            "hpa: asked metrics of {} services, got {}",
            ids.len(),
            figures.len()
        );
        let since = self.last_sync;
        self.last_sync = now;
        let mut orders = Vec::new();
        for (index, (target, m)) in self.targets.iter_mut().zip(&figures).enumerate() {
            target.observe(since, now, m);
            target.sync(now, m, &mut orders, (&self.decisions, index));
        }
        if !orders.is_empty() {
            self.scale.send(orders).await;
        }
        self.schedule_next(cx);
    }

    /// A bounds step decided during the run (a failback holding a recovered region's
    /// minimum, `faults::gate`): queued among the plan's scheduled steps by its instant, so it
    /// applies at the next sync exactly as a scheduled action's does. No HPA: nothing.
    pub async fn hold_bounds(&mut self, (service, step): (u32, BoundsStep)) {
        if let Some(target) = self.targets.iter_mut().find(|t| t.plan.service == service) {
            let pending = &target.plan.bounds[target.steps_applied..];
            let at = target.steps_applied + pending.partition_point(|s| s.at <= step.at);
            target.plan.bounds.insert(at, step);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{CUSTOM_METRICS, CustomMetric};

    #[test]
    fn every_listed_custom_metric_name_resolves_and_no_other() {
        for name in CUSTOM_METRICS {
            assert!(CustomMetric::from_name(name).is_some(), "{name}");
        }
        assert_eq!(
            CustomMetric::from_name("queue_length"),
            Some(CustomMetric::InFlightRequests)
        );
        assert_eq!(CustomMetric::from_name("requests_per_minute"), None);
    }
}

//! The `PolicyController` model: every scaling policy that owns a service's desired replicas
//! (one owner per knob: the lib.rs table), sending them to the cluster as orders with their
//! reasons:
//! - scheduled replica steps of services without an HPA (resolved at load from the cron
//!   patterns, `crate::cron`), at their instants, as `ScheduledScaling`;
//! - sustained-threshold policies (`policy::threshold`), evaluated every
//!   `evaluation_interval` on the cluster's per-deployment figures, as `ThresholdScaling`;
//! - predictive policies (`policy::forecast`), every `step`: the arrival rate observed, the
//!   forecast `lead_time` ahead and the replicas it asks for, as `PredictiveForecast` (recorded
//!   only) or `PredictiveScaling` (set);
//! - KEDA activations (`policy::keda`), polled every `polling_interval`: a workload scaled
//!   from zero and back (`KEDAScaleTargetActivated`/`Deactivated`); from one replica up the
//!   HPA the loader made for the `ScaledObject` scales it, and an HPA does nothing at zero.
//!
//! The model holds one self-event, at its earliest due work.

use nexosim::model::{Context, Model, schedulable};
use nexosim::ports::{Output, Requestor};
use serde::{Deserialize, Serialize};
use sim::time::SimTime;

use crate::api::decisions::Scope;
use crate::api::{MemoryModel, Reason, ReplicaOrder, Scaler, WorkloadMetrics};

use crate::policy::config::{
    Condition, EventDrivenScaler, EventMetric, PredictiveMode, PredictivePolicy, ThresholdMetric,
    ThresholdPolicy,
};
use crate::policy::forecast::{Forecast, Tracker};
use crate::policy::forecast_log::{ForecastLog, SeriesLabel};
use crate::policy::keda::{Activation, poll};
use crate::policy::threshold::{ThresholdState, evaluate};

/// One scheduled change of a service's desired replicas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaStep {
    pub at: SimTime,
    /// The cluster service (one region of a service).
    pub service: u32,
    pub replicas: u32,
    /// The event message: which action or `scale` step, and why now.
    pub why: String,
}

/// A threshold policy on one region of a service, with what its metrics need.
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdPlan {
    pub service: u32,
    pub policy: ThresholdPolicy,
    /// Requests/s one pod serves at its full CPU request (cpu utilization's denominator).
    pub capacity_rps: f64,
    /// The pods' memory use, for `memory_utilization`.
    pub memory: Option<MemoryModel>,
}

/// A KEDA `ScaledObject`'s activation on one region of a service (its HPA is in the run's
/// `hpas`).
#[derive(Debug, Clone, PartialEq)]
pub struct ActivationPlan {
    pub service: u32,
    pub scaler: EventDrivenScaler,
}

/// A predictive policy on one region of a service.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictivePlan {
    pub service: u32,
    pub policy: PredictivePolicy,
    pub capacity_rps: f64,
    /// Past demand, one value per `step`, oldest first (`PredictivePolicy::history`).
    pub history: Vec<f64>,
}

/// What the policies of a run do, resolved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyPlan {
    /// Replica steps of services owned by a policy, in time order (ties in file order).
    pub replica_steps: Vec<ReplicaStep>,
    pub thresholds: Vec<ThresholdPlan>,
    pub activations: Vec<ActivationPlan>,
    pub predictive: Vec<PredictivePlan>,
    /// Node-pool policies, run by their own model (`policy::pool_model`).
    pub pools: Vec<crate::policy::pool_model::PoolPolicyPlan>,
}

impl PolicyPlan {
    /// Whether the policies own the desired replicas of cluster service `service` (then the
    /// cluster's own `scale` steps for it are left out: `run::cluster_plan`).
    pub fn owns(&self, service: u32) -> bool {
        self.replica_steps.iter().any(|s| s.service == service)
            || self.thresholds.iter().any(|t| t.service == service)
            || self.activations.iter().any(|a| a.service == service)
            || self
                .predictive
                .iter()
                .any(|p| p.service == service && p.policy.mode == PredictiveMode::ForecastAndScale)
    }

    /// Marks the services an event-driven scaler may scale to zero (`min_replicas` 0) as
    /// holding what arrives at zero (`ServicePlan::hold_at_zero`, `latency::held`): KEDA's
    /// queue-driven consumers find their messages waiting, and the HTTP add-on's interceptor
    /// holds requests until a pod is ready, so the cold start counts in their latency. The
    /// loader calls it once the policies are resolved.
    pub fn hold_at_zero(&self, services: &mut [crate::plan::ServicePlan]) {
        for a in self
            .activations
            .iter()
            .filter(|a| a.scaler.min_replicas == 0)
        {
            if let Some(s) = services.get_mut(a.service as usize) {
                s.hold_at_zero = true;
            }
        }
    }
}

/// A policy polled on the cluster's figures: a threshold policy or a KEDA activation.
struct Poller {
    service: u32,
    next: SimTime,
    kind: Polled,
}

enum Polled {
    Threshold(Box<Watch>),
    Predictive(Box<Forecaster>),
    Keda {
        scaler: EventDrivenScaler,
        state: Activation,
    },
}

impl Poller {
    /// One poll at `now`: the order to send, if any; sets the next poll.
    fn poll(&mut self, now: SimTime, m: &WorkloadMetrics) -> Option<ReplicaOrder> {
        let (to_replicas, reason, why) = match &mut self.kind {
            Polled::Threshold(w) => {
                self.next = now + w.plan.policy.evaluation_interval;
                let d = w.evaluate(now, m)?;
                let why = format!("{}: {}", w.plan.policy.name, d.why);
                (Some(d.to_replicas), Reason::ThresholdScaling, why)
            }
            Polled::Predictive(f) => {
                self.next = now + f.plan.policy.step;
                let (replicas, why) = f.step(now, m.arrival_rps);
                match f.plan.policy.mode {
                    // A raised HPA minimum acts through the HPA's bounds steps (resolved at
                    // load): here its forecasts are only recorded.
                    PredictiveMode::ForecastOnly | PredictiveMode::RaiseHpaMinimum => {
                        (None, Reason::PredictiveForecast, why)
                    }
                    PredictiveMode::ForecastAndScale => {
                        (Some(replicas), Reason::PredictiveScaling, why)
                    }
                }
            }
            Polled::Keda { scaler, state } => {
                self.next = now + scaler.polling_interval;
                let value = match scaler.metric {
                    EventMetric::QueueLength => m.in_flight_requests,
                    EventMetric::RequestsPerSecond => m.arrival_rps,
                };
                let d = poll(scaler, state, now, value, m.desired)?;
                (Some(d.to_replicas), d.reason, d.why)
            }
        };
        Some(ReplicaOrder {
            service: self.service,
            replicas: to_replicas,
            reason,
            why,
            by: Scaler::Policy,
        })
    }
}

/// A predictive policy's forecast state.
struct Forecaster {
    plan: PredictivePlan,
    tracker: Tracker,
    /// Where its forecasts are recorded, and its series there.
    log: Option<(ForecastLog, usize)>,
}

impl Forecaster {
    fn new(plan: &PredictivePlan) -> Forecaster {
        let p = &plan.policy;
        Forecaster {
            plan: plan.clone(),
            tracker: Tracker::new(
                p.step,
                p.period,
                p.lead_time,
                p.smoothing,
                p.error_window,
                &plan.history,
            ),
            log: None,
        }
    }

    /// One step at `now` with the observed rate `actual`: the replicas the forecast asks for
    /// and the event message.
    fn step(&mut self, now: SimTime, actual: f64) -> (u32, String) {
        let p = &self.plan.policy;
        let f = self.tracker.step(now, actual, p.headroom_sigmas);
        if let Some((log, series)) = &self.log {
            log.record(*series, now, actual, &f);
        }
        let replicas = forecast_replicas(&f, self.plan.capacity_rps, p);
        let was = f
            .was
            .map_or(String::new(), |w| format!(" (forecast for now was {w:.1})"));
        let why = format!(
            "{}: forecast {:.1} rps in {} (Holt-Winters; seasonal naive {:.1}), \
             headroom {:.1} rps ({} errors, {}σ), actual {actual:.1} rps{was}: {replicas} \
             replicas",
            p.name, f.value, f.ahead, f.naive, f.headroom, f.errors, p.headroom_sigmas
        );
        (replicas, why)
    }
}

/// The replicas a forecast asks for: ⌈(forecast + headroom) / (`capacity_rps` ×
/// `target_utilization`)⌉, within the policy's `min_replicas`..`max_replicas`.
pub fn forecast_replicas(f: &Forecast, capacity_rps: f64, p: &PredictivePolicy) -> u32 {
    let per_pod = capacity_rps * p.target_utilization;
    let wanted = ((f.value + f.headroom).max(0.0) / per_pod).ceil();
    (wanted.min(f64::from(p.max_replicas)) as u32).max(p.min_replicas)
}

/// A threshold policy being evaluated.
struct Watch {
    plan: ThresholdPlan,
    state: ThresholdState,
    last: SimTime,
    served_total: f64,
}

impl Watch {
    /// The value of `metric` over `[self.last, now)` from the cluster's figures.
    fn value(&self, metric: ThresholdMetric, now: SimTime, m: &WorkloadMetrics) -> f64 {
        let dt_s = now.saturating_duration_since(self.last).as_secs_f64();
        let served_rps = if dt_s > 0.0 {
            (m.served_requests_total - self.served_total) / dt_s
        } else {
            0.0
        };
        let per_pod_rps = served_rps / f64::from(m.ready.max(1));
        match metric {
            ThresholdMetric::CpuUtilization => per_pod_rps / self.plan.capacity_rps,
            ThresholdMetric::MemoryUtilization => match self.plan.memory {
                Some(mem) if m.memory_request_bytes > 0 => {
                    mem.bytes_at(per_pod_rps) / m.memory_request_bytes as f64
                }
                _ => 0.0,
            },
            ThresholdMetric::PendingPods => {
                let running: u32 = m.running.iter().map(|g| g.count).sum();
                f64::from(m.replicas.saturating_sub(running))
            }
            ThresholdMetric::QueueLength => m.in_flight_requests,
        }
    }

    /// One evaluation of the policy's conditions on the interval since the previous one.
    fn evaluate(
        &mut self,
        now: SimTime,
        m: &WorkloadMetrics,
    ) -> Option<crate::policy::threshold::Decision> {
        let values = |conds: &[Condition]| -> Vec<f64> {
            conds.iter().map(|c| self.value(c.metric, now, m)).collect()
        };
        let policy = &self.plan.policy;
        let (up, down) = (values(&policy.scale_up), values(&policy.scale_down));
        self.last = now;
        self.served_total = m.served_requests_total;
        evaluate(&policy.rules(), &mut self.state, now, &up, &down, m.desired)
    }
}

/// Every scaling policy of the run.
#[derive(Serialize, Deserialize)]
pub struct PolicyController {
    /// Plain data, left out of nexosim's serialized state (runs are never checkpointed).
    #[serde(skip)]
    steps: Vec<ReplicaStep>,
    /// Steps sent so far.
    sent: usize,
    #[serde(skip)]
    pollers: Vec<Poller>,
    /// Connect to `Cluster::workload_metrics`.
    pub metrics: Requestor<Vec<u32>, Vec<WorkloadMetrics>>,
    /// Connect to `Cluster::set_replicas`.
    pub scale: Output<Vec<ReplicaOrder>>,
}

impl PolicyController {
    pub fn new(plan: &PolicyPlan) -> Self {
        debug_assert!(plan.replica_steps.is_sorted_by_key(|s| s.at));
        PolicyController {
            steps: plan.replica_steps.clone(),
            sent: 0,
            pollers: plan
                .thresholds
                .iter()
                .map(|t| Poller {
                    service: t.service,
                    next: SimTime::ZERO + t.policy.evaluation_interval,
                    kind: Polled::Threshold(Box::new(Watch {
                        plan: t.clone(),
                        state: ThresholdState::default(),
                        last: SimTime::ZERO,
                        served_total: 0.0,
                    })),
                })
                .chain(plan.predictive.iter().map(|p| Poller {
                    service: p.service,
                    next: SimTime::ZERO + p.policy.step,
                    kind: Polled::Predictive(Box::new(Forecaster::new(p))),
                }))
                .chain(plan.activations.iter().map(|a| Poller {
                    service: a.service,
                    next: SimTime::ZERO + a.scaler.polling_interval,
                    kind: Polled::Keda {
                        scaler: a.scaler.clone(),
                        state: Activation::default(),
                    },
                }))
                .collect(),
            metrics: Requestor::default(),
            scale: Output::default(),
        }
    }

    /// Records every predictive policy's forecasts into `log`, one series each, labelled with
    /// its service's region and name from `scopes` (indexed by cluster service).
    pub fn with_forecasts(mut self, log: &ForecastLog, scopes: &[Scope]) -> Self {
        for p in &mut self.pollers {
            if let Polled::Predictive(f) = &mut p.kind {
                let scope = scopes.get(f.plan.service as usize);
                let series = log.series(SeriesLabel {
                    policy: f.plan.policy.name.clone(),
                    region: scope.map_or_else(String::new, |s| s.region.to_string()),
                    target: scope.map_or_else(String::new, |s| s.scope.to_string()),
                    unit: "rps",
                });
                f.log = Some((log.clone(), series));
            }
        }
        self
    }

    /// When the next step or evaluation is due.
    fn next_due(&self) -> Option<SimTime> {
        let step = self.steps.get(self.sent).map(|s| s.at);
        let watch = self.pollers.iter().map(|w| w.next).min();
        step.into_iter().chain(watch).min()
    }

    fn schedule_next(&self, cx: &Context<Self>) {
        if let Some(at) = self.next_due()
            && let Err(e) = cx.schedule_event(at.to_monotonic(), schedulable!(Self::fire), ())
        {
            panic!("policy: wake-up at {at:?} refused: {e}");
        }
    }
}

/// The orders of the steps at the head of `steps` that are due at `now`.
fn due(steps: &[ReplicaStep], now: SimTime) -> Vec<ReplicaOrder> {
    steps
        .iter()
        .take_while(|s| s.at <= now)
        .map(|s| ReplicaOrder {
            service: s.service,
            replicas: Some(s.replicas),
            reason: Reason::ScheduledScaling,
            why: s.why.clone(),
            by: Scaler::Policy,
        })
        .collect()
}

#[Model]
impl PolicyController {
    #[nexosim(init)]
    async fn init(&mut self, cx: &Context<Self>) {
        self.schedule_next(cx);
    }

    #[nexosim(schedulable)]
    async fn fire(&mut self, _: (), cx: &Context<Self>) {
        let now = SimTime::from_monotonic(cx.time());
        let mut orders = due(&self.steps[self.sent..], now);
        self.sent += orders.len();
        let ids: Vec<u32> = self
            .pollers
            .iter()
            .filter(|p| p.next <= now)
            .map(|p| p.service)
            .collect();
        if !ids.is_empty() {
            let figures: Vec<WorkloadMetrics> = self.metrics.send(ids).await.flatten().collect();
            let mut figures = figures.iter();
            for p in self.pollers.iter_mut().filter(|p| p.next <= now) {
                let Some(m) = figures.next() else { break };
                debug_assert_eq!(m.service, p.service);
                orders.extend(p.poll(now, m));
            }
        }
        if !orders.is_empty() {
            self.scale.send(orders).await;
        }
        self.schedule_next(cx);
    }
}

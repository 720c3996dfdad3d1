//! The `VpaController` model: every VerticalPodAutoscaler of the run — recommender, admission
//! and updater — as one loop every minute (`--recommender-interval` and `--updater-interval`
//! are both 1 min upstream; here the updater acts on the recommendation of the same minute).
//!
//! Each sync reads the cluster's [`VerticalView`] of every VPA's deployment and:
//! 1. **observes** the usage of the minute: CPU per ready pod from the requests it served (the
//!    figure the HPA reads: a pod serving `capacity_rps` uses the *declared* CPU request, so
//!    usage follows the work done, not the request a VPA set), as one sample per ready pod;
//!    memory from `memory_usage` at that load; the OOM kills since the last sync;
//! 2. **recommends** ([`recommend`]) and caps it to `minAllowed`/`maxAllowed`
//!    ([`cap_recommendation`]);
//! 3. **admits** (modes other than `Off`): the deployment's pod template takes the target for
//!    the controlled resources, limits scaled in proportion with `RequestsAndLimits`; new pods
//!    are made from it;
//! 4. **updates** (`Recreate`, `Auto`, `InPlaceOrRecreate`): the pods of older revisions that
//!    [`should_update`] accepts, scale-ups and larger differences first, are evicted (or
//!    resized in place) within the [`EvictionBudget`] and the PodDisruptionBudget.
//!
//! One container per pod (see the module doc of [`crate::vpa`]).

use nexosim::model::{Context, Model, schedulable};
use nexosim::ports::{Output, Requestor};
use serde::{Deserialize, Serialize};
use sim::time::{SimDuration, SimTime};

use super::config::{UpdateMode, VpaConfig};
use super::container_state::AggregateContainerState;
use super::estimator::{Recommendation, RecommenderSettings, Resources, recommend};
use super::policy::{ControlledValues, cap_recommendation, new_requests, scale_limit};
use super::updater::{EvictionBudget, UpdatePriority, UpdaterSettings, priority, should_update};
use crate::api::decisions::{Decisions, Scope};
use crate::api::{MemoryModel, RevisionPods, TemplateOrder, UpdateOrder, VerticalView};

/// One VPA as planned: the cluster service it sizes and what its pods are declared with.
#[derive(Debug, Clone, PartialEq)]
pub struct VpaPlan {
    pub service: u32,
    /// `name-region`, for events.
    pub name: String,
    pub config: VpaConfig,
    pub capacity_rps: f64,
    /// The service's own requests (cpu millicores, memory bytes) and limits.
    pub requests: (u64, u64),
    pub limits: (Option<u64>, Option<u64>),
    pub memory: Option<MemoryModel>,
}

/// What one VPA shows at an instant: the time series' `vpa` rows.
#[derive(Debug, Clone, PartialEq)]
pub struct VpaStatus {
    pub service: u32,
    pub mode: UpdateMode,
    /// Capped; `None` before the first sync with a ready pod.
    pub recommendation: Option<Recommendation>,
    /// The current pod template's requests (cpu millicores, memory bytes).
    pub requests: (u64, u64),
    /// Per ready pod over the last sync's minute.
    pub usage: Resources,
    /// As of the last sync.
    pub oom_kills_total: u64,
    pub evicted_total: u64,
    pub resized_total: u64,
}

struct Target {
    /// The service and region, for the decisions table.
    scope: Scope,
    plan: VpaPlan,
    state: AggregateContainerState,
    served_total: f64,
    status: VpaStatus,
}

/// Every VerticalPodAutoscaler of the run.
#[derive(Serialize, Deserialize)]
pub struct VpaController {
    /// nexosim asks models to be serializable for checkpoints, which clustersim never takes.
    #[serde(skip)]
    targets: Vec<Target>,
    #[serde(skip)]
    recommender: RecommenderSettings,
    #[serde(skip)]
    updater: UpdaterSettings,
    last_sync: SimTime,
    /// Reads the deployments from the cluster.
    pub view: Requestor<Vec<u32>, Vec<VerticalView>>,
    /// New pod templates (the admission controller's patch).
    pub template: Output<Vec<TemplateOrder>>,
    /// Evictions and in-place resizes (the updater's).
    pub update: Output<Vec<UpdateOrder>>,
    #[serde(skip)]
    decisions: Decisions,
}

impl VpaController {
    pub fn new(plans: Vec<VpaPlan>) -> VpaController {
        let recommender = RecommenderSettings::default();
        let targets = plans
            .into_iter()
            .map(|plan| Target {
                state: AggregateContainerState::new(recommender.aggregation),
                served_total: 0.0,
                status: VpaStatus {
                    service: plan.service,
                    mode: plan.config.update_mode,
                    recommendation: None,
                    requests: plan.requests,
                    usage: Resources::new(0.0, 0.0),
                    oom_kills_total: 0,
                    evicted_total: 0,
                    resized_total: 0,
                },
                scope: Scope {
                    region: std::sync::Arc::from(""),
                    scope: std::sync::Arc::from(plan.name.as_str()),
                },
                plan,
            })
            .collect();
        VpaController {
            targets,
            recommender,
            updater: UpdaterSettings::default(),
            last_sync: SimTime::ZERO,
            decisions: Decisions::default(),
            view: Requestor::default(),
            template: Output::default(),
            update: Output::default(),
        }
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
        let at = SimTime::from_nanos(now.as_nanos() + self.recommender.interval.as_nanos());
        if let Err(e) = cx.schedule_event(at.to_monotonic(), schedulable!(Self::sync), ()) {
            panic!("vpa: sync one interval after {now:?} refused: {e}");
        }
    }
}

/// A CPU amount and a memory amount as events show them: `716m`, `683.5Mi`.
fn show(cpu_millis: u64, memory_bytes: u64) -> String {
    format!(
        "cpu={} memory={:.1}Mi",
        sim::quantity::CpuMillis(cpu_millis),
        memory_bytes as f64 / (1024.0 * 1024.0)
    )
}

/// The template's requests and limits for `target`: controlled resources take it (rounded up
/// to whole millicores and bytes, as the recommendation is published), limits follow in
/// proportion with `RequestsAndLimits`.
fn template_for(plan: &VpaPlan, target: Resources) -> (u64, u64, (Option<u64>, Option<u64>)) {
    let declared = Resources::new(plan.requests.0 as f64 / 1000.0, plan.requests.1 as f64);
    let (cpu, memory) = new_requests(declared, target, plan.config.controlled()).to_millis_bytes();
    let limits = match plan.config.controlled_values {
        ControlledValues::RequestsOnly => plan.limits,
        ControlledValues::RequestsAndLimits => (
            scale_limit(plan.requests.0, plan.limits.0, cpu),
            scale_limit(plan.requests.1, plan.limits.1, memory),
        ),
    };
    (cpu, memory, limits)
}

impl Target {
    /// Step 1: the usage of `[since, now)` and the OOM kills into the histograms.
    fn observe(
        &mut self,
        since: SimTime,
        now: SimTime,
        view: &VerticalView,
        s: &RecommenderSettings,
    ) {
        let dt_s = now.saturating_duration_since(since).as_secs_f64();
        let served = view.served_requests_total - self.served_total;
        self.served_total = view.served_requests_total;
        let per_pod_rps = if dt_s > 0.0 && view.ready > 0 {
            served / dt_s / f64::from(view.ready)
        } else {
            0.0
        };
        let cpu_cores = per_pod_rps * self.plan.requests.0 as f64 / 1000.0 / self.plan.capacity_rps;
        let memory_bytes = self.plan.memory.map_or(0.0, |m| m.bytes_at(per_pod_rps));
        if view.ready > 0 {
            self.state.add_cpu_sample(since, cpu_cores, view.ready);
            if self.plan.memory.is_some() {
                self.state.add_memory_sample(since, memory_bytes);
            }
        }
        for oom in &view.ooms {
            self.state.record_oom(
                SimTime::from_nanos(oom.at_ns),
                oom.request_bytes as f64,
                s.oom_bump,
            );
        }
        self.status.usage = Resources::new(cpu_cores, memory_bytes);
        self.status.oom_kills_total = view.oom_kills_total;
        self.status.evicted_total = view.evicted_total;
        self.status.resized_total = view.resized_total;
    }

    /// Steps 2 and 3: the recommendation, and the template order when it changes the template.
    fn admit(&mut self, view: &VerticalView, s: &RecommenderSettings) -> Option<TemplateOrder> {
        let c = &self.plan.config;
        let rec = cap_recommendation(
            recommend(&self.state, s, 1)?,
            c.min_allowed.resolve(),
            c.max_allowed.resolve(),
        );
        self.status.recommendation = Some(rec);
        let current = view
            .revisions
            .iter()
            .find(|r| r.revision == view.revision)?;
        self.status.requests = (current.cpu_millis, current.memory_bytes);
        if !c.update_mode.admits() {
            return None;
        }
        let (cpu, memory, limits) = template_for(&self.plan, rec.target);
        if (cpu, memory) == (current.cpu_millis, current.memory_bytes) {
            return None;
        }
        self.status.requests = (cpu, memory);
        Some(TemplateOrder {
            service: self.plan.service,
            cpu_millis: cpu,
            memory_bytes: memory,
            limits,
            why: {
                let (lower, upper) = (rec.lower.to_millis_bytes(), rec.upper.to_millis_bytes());
                format!(
                    "vpa/{}: new pods request {} (the target; lower bound {}, upper bound {})",
                    self.plan.name,
                    show(cpu, memory),
                    show(lower.0, lower.1),
                    show(upper.0, upper.1),
                )
            },
        })
    }

    /// Step 4: which pods of older revisions go, within the budgets.
    fn update(&self, now: SimTime, view: &VerticalView, u: &UpdaterSettings) -> Vec<UpdateOrder> {
        let c = &self.plan.config;
        let Some(rec) = self
            .status
            .recommendation
            .filter(|_| c.update_mode.updates())
        else {
            return Vec::new();
        };
        let controlled = c.controlled();
        let mut candidates: Vec<(UpdatePriority, &RevisionPods, bool)> = view
            .revisions
            .iter()
            .filter(|r| r.revision != view.revision && r.pending + r.bound > 0)
            .filter_map(|r| {
                let requests = Resources::new(r.cpu_millis as f64 / 1000.0, r.memory_bytes as f64);
                let p = priority(requests, &rec, controlled);
                let age = r.oldest_created_ns.map_or(SimDuration::ZERO, |t| {
                    now.saturating_duration_since(SimTime::from_nanos(t))
                });
                let quick_oom = r
                    .last_oom_run_ns
                    .is_some_and(|ran| ran < u.evict_after_oom.as_nanos());
                should_update(&p, age, quick_oom, u).then_some((p, r, quick_oom))
            })
            .collect();
        candidates.sort_by(|a, b| a.0.evict_before(&b.0));
        let live: u32 = view.revisions.iter().map(|r| r.pending + r.bound).sum();
        let running: u32 = view.revisions.iter().map(|r| r.bound).sum();
        let mut budget = EvictionBudget::new(
            view.desired,
            live,
            running,
            c.min_replicas.unwrap_or(u.min_replicas),
            u.eviction_tolerance,
        );
        // The eviction API refuses what would leave fewer than `minAvailable` ready pods.
        let mut disruptions_allowed = view
            .min_available
            .map_or(u32::MAX, |m| view.ready.saturating_sub(m));
        let mut orders = Vec::new();
        for (p, r, quick_oom) in candidates {
            let mut count = 0;
            for _ in 0..r.pending {
                if budget.can_evict(true) {
                    count += 1;
                }
            }
            for _ in 0..r.bound {
                if disruptions_allowed == 0 || !budget.can_evict(false) {
                    break;
                }
                budget.record_eviction();
                disruptions_allowed -= 1;
                count += 1;
            }
            if count == 0 {
                continue;
            }
            let in_place = c.update_mode == UpdateMode::InPlaceOrRecreate;
            orders.push(UpdateOrder {
                service: self.plan.service,
                revision: r.revision,
                count,
                in_place,
                why: {
                    let target = rec.target.to_millis_bytes();
                    let (lower, upper) = (rec.lower.to_millis_bytes(), rec.upper.to_millis_bytes());
                    format!(
                        "vpa/{}: requests {} are {} (target {}; range {} to {})",
                        self.plan.name,
                        show(r.cpu_millis, r.memory_bytes),
                        if p.outside_range {
                            "outside the recommended range"
                        } else if quick_oom {
                            "of pods OOM-killed soon after their start"
                        } else if p.scale_up {
                            "below the target by more than the update threshold"
                        } else {
                            "above the target by more than the update threshold"
                        },
                        show(target.0, target.1),
                        show(lower.0, lower.1),
                        show(upper.0, upper.1),
                    )
                },
            });
        }
        orders
    }
}

#[Model]
impl VpaController {
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
        let views: Vec<VerticalView> = self.view.send(ids.clone()).await.flatten().collect();
        debug_assert!(
            views.iter().map(|v| v.service).eq(ids.iter().copied()),
            "vpa: asked views of {} services, got {}",
            ids.len(),
            views.len()
        );
        let since = self.last_sync;
        self.last_sync = now;
        let (mut templates, mut updates) = (Vec::new(), Vec::new());
        for (index, (target, view)) in self.targets.iter_mut().zip(&views).enumerate() {
            target.observe(since, now, view, &self.recommender);
            let before = view
                .revisions
                .iter()
                .find(|r| r.revision == view.revision)
                .map_or(target.status.requests, |r| (r.cpu_millis, r.memory_bytes));
            let template = target.admit(view, &self.recommender);
            let (first_update, first_template) = (updates.len(), templates.len());
            templates.extend(template);
            updates.extend(target.update(now, view, &self.updater));
            super::decisions::record(
                &self.decisions,
                index,
                &target.scope,
                now.as_nanos(),
                &target.status,
                before,
                templates.get(first_template),
                &updates[first_update..],
            );
        }
        if !templates.is_empty() {
            self.template.send(templates).await;
        }
        if !updates.is_empty() {
            self.update.send(updates).await;
        }
        self.schedule_next(cx);
    }

    /// Every VPA's status, for the run loop's samples.
    pub async fn status(&mut self, _: ()) -> Vec<VpaStatus> {
        self.targets.iter().map(|t| t.status.clone()).collect()
    }
}

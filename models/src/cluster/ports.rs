//! The `Cluster` model's ports: the messages and queries other models and the run loop send it
//! (the types are `crate::api`'s). Each handler counts itself in `events_handled`, applies what
//! it was told, and leaves one wake-up at the earliest timer (`Cluster::reschedule`).

use nexosim::model::{Context, Model, schedulable};
use sim::time::{SimDuration, SimTime};

use super::Cluster;
use super::report::ClusterReport;
use crate::api::{
    AutoscalingView, FaultOrder, LaunchOrder, NodeCensus, Reason, RemoveOrder, ReplicaOrder,
    RunningPods, Sample, TemplateOrder, UpdateOrder, VerticalView, ViewRequest, WorkloadMetrics,
};

impl Cluster {
    /// Counts one handled message or query, checks the event budget, and (debug builds) the
    /// counts that must agree at every message boundary.
    fn handled(&mut self, cx: &Context<Self>) {
        self.events_handled += 1;
        let now_ns = SimTime::from_monotonic(cx.time()).as_nanos();
        if let Some(budget) = &self.budget {
            budget.check(self.events_handled, now_ns);
        }
        self.debug_check_counts();
    }

    /// Keeps one keyed event at the earliest timer and one at the earliest backlog drain.
    fn reschedule(&mut self, cx: &Context<Self>) {
        let now_ns = SimTime::from_monotonic(cx.time()).as_nanos();
        // A timer due now (pushed by this instant's work, or whose wake-up another message of
        // the same instant would otherwise cancel) runs now: nexosim cannot schedule at `now`.
        if self.timers.next_at().is_some_and(|at| at <= now_ns) {
            self.run_timers(now_ns);
        }
        if let Some(budget) = &self.budget {
            budget.check(self.events_handled, now_ns);
        }
        let next = self.timers.next_at();
        if next != self.wake_at {
            if let Some(key) = self.wake_key.take() {
                key.cancel();
            }
            self.wake_at = next;
            if let Some(at) = next {
                let at = SimTime::from_nanos(at).to_monotonic();
                // Timers due now ran above, so `at` is in the future: a failure is a bug.
                let key = cx
                    .schedule_keyed_event(at, schedulable!(Self::wake), ())
                    .unwrap_or_else(|e| {
                        panic!("cluster: wake-up for {at:?} refused at {now_ns} ns: {e}")
                    });
                self.wake_key = Some(key);
            }
        }
        if let Some(key) = self.drain_key.take() {
            key.cancel();
        }
        // Job owners have no traffic, so no backlog: only the services are scanned (a run
        // with 10 000 Jobs used to scan them all at every message).
        let earliest_s = self.deployments[..self.services_end()]
            .iter()
            .filter_map(|d| d.queue.drain_in_s())
            .fold(f64::INFINITY, f64::min);
        if earliest_s.is_finite() {
            // Round up to the next nanosecond so the backlog is empty when the event runs.
            let delay = SimDuration::from_nanos((earliest_s * 1e9).ceil().max(1.0) as u64);
            let key = cx
                .schedule_keyed_event(delay.to_std(), schedulable!(Self::drained), ())
                .unwrap_or_else(|e| {
                    panic!("cluster: backlog drain in {delay:?} refused at {now_ns} ns: {e}")
                });
            self.drain_key = Some(key);
        }
    }
}

#[Model]
impl Cluster {
    #[nexosim(init)]
    async fn init(&mut self, cx: &Context<Self>) {
        self.reschedule(cx);
    }

    /// New arrival rates, as `(service id, requests/s)`, from the traffic model.
    pub fn set_rates(&mut self, changes: Vec<(u32, f64)>, cx: &Context<Self>) {
        self.handled(cx);
        let now = SimTime::from_monotonic(cx.time());
        for (id, rps) in changes {
            let queue = &mut self.deployments[id as usize].queue;
            queue.advance_to(now);
            queue.set_rate(rps);
        }
        self.reschedule(cx);
    }

    /// Launches nodes (a node autoscaler's scale-up).
    pub fn launch(&mut self, orders: Vec<LaunchOrder>, cx: &Context<Self>) {
        self.handled(cx);
        let now_ns = SimTime::from_monotonic(cx.time()).as_nanos();
        for order in orders {
            let pool = &self.pools[order.pool as usize];
            let name = pool.name.clone();
            self.events.push(
                now_ns,
                Reason::TriggeredScaleUp,
                || format!("nodepool/{name}"),
                || order.why.clone(),
            );
            self.launch_nodes(order.pool, order.zone, order.count, now_ns);
        }
        self.reschedule(cx);
    }

    /// Removes nodes: drained (a node autoscaler's scale-down, a spot notice) or terminated at
    /// once (a reclaim, a failure).
    pub fn remove(&mut self, orders: Vec<RemoveOrder>, cx: &Context<Self>) {
        self.handled(cx);
        let now_ns = SimTime::from_monotonic(cx.time()).as_nanos();
        for order in orders {
            let name = self.node_name(order.node);
            self.events.push(
                now_ns,
                order.reason,
                || format!("node/{name}"),
                || order.why.clone(),
            );
            if order.reason == Reason::NodeNotSchedulable {
                self.cordon_node(order.node, now_ns);
            } else if order.drain {
                self.drain_node(order.node, now_ns, &order.why);
            } else {
                self.terminate_node(order.node, now_ns, &order.why);
            }
        }
        self.schedule_pending(now_ns);
        self.reschedule(cx);
    }

    /// Sets deployments' desired replicas (the scale subresource the HPA or a policy writes).
    pub fn set_replicas(&mut self, orders: Vec<ReplicaOrder>, cx: &Context<Self>) {
        self.handled(cx);
        let now_ns = SimTime::from_monotonic(cx.time()).as_nanos();
        for order in orders {
            let dep = &mut self.deployments[order.service as usize];
            let object = format!("{}/{}-{}", order.by.object_kind(), dep.name, dep.region);
            self.events
                .push(now_ns, order.reason, || object, || order.why.clone());
            let dep = &mut self.deployments[order.service as usize];
            if let Some(replicas) = order.replicas
                && dep.desired != replicas
            {
                dep.desired = replicas;
                self.reconcile(order.service, now_ns);
            }
        }
        self.schedule_pending(now_ns);
        self.reschedule(cx);
    }

    /// New pod templates, from the VPAs (see [`super::vertical`]).
    pub fn set_template(&mut self, orders: Vec<TemplateOrder>, cx: &Context<Self>) {
        self.handled(cx);
        let now_ns = SimTime::from_monotonic(cx.time()).as_nanos();
        for order in &orders {
            self.apply_template(order, now_ns);
        }
        self.reschedule(cx);
    }

    /// Pods of old revisions evicted or resized, from the VPAs' updater.
    pub fn update_pods(&mut self, orders: Vec<UpdateOrder>, cx: &Context<Self>) {
        self.handled(cx);
        let now_ns = SimTime::from_monotonic(cx.time()).as_nanos();
        for order in &orders {
            self.apply_update(order, now_ns);
        }
        self.schedule_pending(now_ns);
        self.reschedule(cx);
    }

    /// What the VPAs read of their deployments.
    pub async fn vertical_view(
        &mut self,
        services: Vec<u32>,
        cx: &Context<Self>,
    ) -> Vec<VerticalView> {
        self.handled(cx);
        let now = SimTime::from_monotonic(cx.time());
        services
            .into_iter()
            .map(|id| {
                self.deployments[id as usize].queue.advance_to(now);
                self.vertical_of(id)
            })
            .collect()
    }

    /// Node failures and zone outages, from the fault injector.
    pub fn faults(&mut self, orders: Vec<FaultOrder>, cx: &Context<Self>) {
        self.handled(cx);
        let now_ns = SimTime::from_monotonic(cx.time()).as_nanos();
        for order in orders {
            self.apply_fault(order, now_ns);
        }
        self.schedule_pending(now_ns);
        self.reschedule(cx);
    }

    /// Every node not yet gone, for the fault injector's clocks.
    pub async fn node_census(&mut self, _: (), cx: &Context<Self>) -> NodeCensus {
        self.handled(cx);
        self.census()
    }

    #[nexosim(schedulable)]
    fn wake(&mut self, _: (), cx: &Context<Self>) {
        self.handled(cx);
        self.wake_key = None;
        self.wake_at = None;
        self.run_timers(SimTime::from_monotonic(cx.time()).as_nanos());
        self.reschedule(cx);
    }

    #[nexosim(schedulable)]
    fn drained(&mut self, _: (), cx: &Context<Self>) {
        self.handled(cx);
        self.drain_key = None;
        self.advance_queues(SimTime::from_monotonic(cx.time()));
        self.reschedule(cx);
    }

    /// The time-series rows at this instant; restarts the per-interval counts.
    pub async fn sample(&mut self, _: (), cx: &Context<Self>) -> Sample {
        self.handled(cx);
        self.debug_check_deployments();
        self.sample_now(SimTime::from_monotonic(cx.time()).as_nanos())
    }

    /// What the metrics pipeline and the HPA read of some services, at this instant.
    pub async fn workload_metrics(
        &mut self,
        services: Vec<u32>,
        cx: &Context<Self>,
    ) -> Vec<WorkloadMetrics> {
        self.handled(cx);
        let now = SimTime::from_monotonic(cx.time());
        let spent_usd = self.costs.spent_usd(now.as_nanos());
        let settle_before_ns = self
            .metrics_settle_ns
            .map(|after| now.as_nanos().saturating_sub(after));
        services
            .into_iter()
            .map(|id| {
                let d = &mut self.deployments[id as usize];
                d.queue.advance_to(now);
                if let Some(before) = settle_before_ns {
                    d.running.settle(before);
                }
                let (arrival_rps, capacity_rps) = (d.queue.arrival_rps(), d.queue.capacity_rps());
                let backlog = d.queue.backlog_requests();
                WorkloadMetrics {
                    service: id,
                    replicas: d.pods.len() as u32,
                    desired: d.desired,
                    ready: d.ready,
                    cpu_request_millis: d.template().cpu_millis,
                    memory_request_bytes: d.template().memory_bytes,
                    running: d
                        .running
                        .groups()
                        .map(|g| {
                            let template = &d.templates[usize::from(g.revision)];
                            RunningPods {
                                started_ns: g.started_ns,
                                ready_ns: g.ready_ns,
                                count: g.count,
                                cpu_request_millis: template.cpu_millis,
                                memory_request_bytes: template.memory_bytes,
                            }
                        })
                        .collect(),
                    served_requests_total: d.queue.total().served,
                    arrival_rps,
                    in_flight_requests: if backlog > 0.0 || arrival_rps >= capacity_rps {
                        backlog + f64::from(d.ready)
                    } else {
                        arrival_rps * d.queue.mean_latency_s()
                    },
                    spent_usd,
                }
            })
            .collect()
    }

    /// What a node autoscaler reads of one region (see [`autoscaling`]).
    pub async fn node_autoscaling_view(
        &mut self,
        request: std::sync::Arc<ViewRequest>,
        cx: &Context<Self>,
    ) -> AutoscalingView {
        self.handled(cx);
        self.autoscaling_view(&request)
    }

    /// Whole-run figures, up to this instant.
    pub async fn report(&mut self, _: (), cx: &Context<Self>) -> ClusterReport {
        self.report_at(SimTime::from_monotonic(cx.time()).as_nanos())
    }
}

//! The `PolicyController` model: the scheduled replica steps of services without an HPA, sent
//! to the cluster at their instants as `ScheduledScaling` orders (one owner of a service's
//! desired replicas: the lib.rs table). The steps are resolved at load from the cron patterns
//! (`policy::cron`); the model keeps them sorted and holds one self-event, at the next step.

use nexosim::model::{Context, Model, schedulable};
use nexosim::ports::Output;
use serde::{Deserialize, Serialize};
use sim::time::SimTime;

use crate::api::{Reason, ReplicaOrder, Scaler};

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

/// What the policies of a run do, resolved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyPlan {
    /// Replica steps of services owned by a policy, in time order (ties in file order).
    pub replica_steps: Vec<ReplicaStep>,
}

impl PolicyPlan {
    /// Whether the policies own the desired replicas of cluster service `service` (then the
    /// cluster's own `scale` steps for it are left out: `run::cluster_plan`).
    pub fn owns(&self, service: u32) -> bool {
        self.replica_steps.iter().any(|s| s.service == service)
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
    /// Connect to `Cluster::set_replicas`.
    pub scale: Output<Vec<ReplicaOrder>>,
}

impl PolicyController {
    pub fn new(plan: &PolicyPlan) -> Self {
        debug_assert!(plan.replica_steps.is_sorted_by_key(|s| s.at));
        PolicyController {
            steps: plan.replica_steps.clone(),
            sent: 0,
            scale: Output::default(),
        }
    }

    fn schedule_next(&self, cx: &Context<Self>) {
        if let Some(step) = self.steps.get(self.sent)
            && let Err(e) = cx.schedule_event(step.at.to_monotonic(), schedulable!(Self::fire), ())
        {
            panic!("policy: step at {:?} refused: {e}", step.at);
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
            replicas: s.replicas,
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
        let orders = due(&self.steps[self.sent..], now);
        self.sent += orders.len();
        if !orders.is_empty() {
            self.scale.send(orders).await;
        }
        self.schedule_next(cx);
    }
}

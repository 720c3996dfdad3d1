//! A Deployment (one service in one region, or a Job's owner entry): its pod templates, its
//! pods' counts by phase, its queue and the figures sampled from it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::NS_PER_S;
use super::jobs::JobOwner;
use super::pods::{Pod, PodTemplate};
use super::running::RunningGroups;
use super::vertical::Vertical;
use crate::api::MemoryModel;
use crate::latency::ServiceQueue;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Deployment {
    pub(super) name: String,
    pub(super) region: String,
    /// Its region's index (`Placement::region_index`; `u32::MAX` for a region without a
    /// pool): the autoscalers' views find a region's pending pods by it.
    #[serde(default)]
    pub(super) region_index: u32,
    pub(super) namespace: u32,
    pub(super) priority: i32,
    pub(super) desired: u32,
    pub(super) schedule: Vec<(u64, u32)>,
    /// Every revision of the pod template, oldest first; new pods are made from `revision`.
    pub(super) templates: Vec<PodTemplate>,
    pub(super) revision: u16,
    pub(super) startup_ns: u64,
    pub(super) readiness_ns: u64,
    pub(super) grace_ns: u64,
    /// Node groups (pool × zone) of its region.
    pub(super) groups: Vec<u32>,
    /// Live, not terminating pods.
    pub(super) pods: Vec<u32>,
    pub(super) ready: u32,
    pub(super) pending: u32,
    /// Running pods (ready or not) counted by (start time, ready time, template revision):
    /// what the HPA's readiness rules and per-pod requests read, kept as pods change phase so a
    /// query never walks pods.
    pub(super) running: RunningGroups,
    pub(super) min_available: Option<u32>,
    pub(super) zone_max_skew: Option<u32>,
    pub(super) host_max_skew: Option<u32>,
    /// Bound pods not terminating per zone id, for the zone spread score.
    pub(super) zone_pods: BTreeMap<u32, u32>,
    /// Whether the last pod creation was refused by the quota (logged once per episode).
    pub(super) quota_blocked: bool,
    /// Requests/s one pod serves at its full CPU request.
    pub(super) mu_rps: f64,
    /// Warm-up of newly ready pods: how long, at what fraction of `mu_rps`; and how many ready
    /// pods are still warming.
    pub(super) warm_ns: u64,
    pub(super) warm_speed: f64,
    pub(super) warming: u32,
    /// Ready pods × seconds since the previous sample, and when it was last brought up to date.
    pub(super) ready_pod_seconds: f64,
    pub(super) ready_since_ns: u64,
    pub(super) queue: ServiceQueue,
    /// The Job this entry owns the pods of, for a Job's entry (see [`jobs`]).
    pub(super) job: Option<JobOwner>,
    /// What a pod's memory use is, when the service says (`memory_usage`).
    pub(super) memory_usage: Option<MemoryModel>,
    /// OOM kills, VPA evictions and resizes (see [`super::vertical`]).
    pub(super) vertical: Vertical,
}

impl Deployment {
    /// The current pod template: what new pods are made of.
    pub(super) fn template(&self) -> &PodTemplate {
        &self.templates[usize::from(self.revision)]
    }

    /// The template a pod of this deployment was created from.
    pub(super) fn template_of(&self, pod: &Pod) -> &PodTemplate {
        &self.templates[usize::from(pod.revision)]
    }

    /// The queue's per-pod rate: the mean over the ready pods, those warming up at
    /// `warm_speed` (call after `queue.advance_to`).
    pub(super) fn update_service_rate(&mut self) {
        if self.warm_ns == 0 || self.ready == 0 {
            return;
        }
        let warming = f64::from(self.warming.min(self.ready));
        let ready = f64::from(self.ready);
        let mean = self.mu_rps * (ready - warming * (1.0 - self.warm_speed)) / ready;
        self.queue.set_service_rate(mean);
    }

    /// Integrates ready pod-seconds up to `now` before the ready count changes.
    pub(super) fn account_ready(&mut self, now_ns: u64) {
        let dt = now_ns.saturating_sub(self.ready_since_ns) as f64 / NS_PER_S;
        self.ready_pod_seconds += f64::from(self.ready) * dt;
        self.ready_since_ns = now_ns;
    }

    /// The interval's CPU utilization of requests (see [`ServiceSample::cpu_utilization`]);
    /// restarts the interval.
    pub(super) fn take_cpu_utilization(&mut self, now_ns: u64, served: f64) -> f64 {
        self.account_ready(now_ns);
        let capacity = self.mu_rps * std::mem::take(&mut self.ready_pod_seconds);
        if capacity > 0.0 {
            served / capacity
        } else {
            0.0
        }
    }
}

//! Pod sizes that change after creation: the kubelet's OOM kills, and what a Vertical Pod
//! Autoscaler asks of a deployment (a new template revision; evicting or resizing the pods of
//! an old one), with the view it reads.
//!
//! **OOM kills.** A pod's memory use is its service's `memory_usage` at the requests/s it
//! serves (a pod that is not ready serves nothing and uses the base). The kernel kills a
//! container the moment it passes its limit; the simulator looks every
//! [`MEMORY_CHECK_PERIOD_NS`] (the kubelet's eviction-manager monitoring period,
//! `evictionMonitoringPeriod` in `pkg/kubelet/kubelet.go`), and only while some template of
//! some deployment could pass its limit at full load, so runs without such a pod schedule no
//! check at all. A killed container restarts in place after the crash-loop back-off: 10 s,
//! doubling per restart up to 300 s (`backOffPeriod`, `MaxContainerBackOff` in
//! `pkg/kubelet/kubelet.go`), forgotten after 600 s of running (`2 × max`, `hasExpired` in
//! `client-go/util/flowcontrol/backoff.go`), then the pod's start-up and readiness delays.
//!
//! **Resizes.** An in-place resize (`InPlaceOrRecreate`) changes a bound pod's requests where
//! its node has the room and its namespace quota admits the change; otherwise the pod is
//! evicted like any other, and the ReplicaSet recreates it from the current template.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sim::time::SimTime;

use super::pods::{Pod, PodPhase, PodTemplate, UNBOUND};
use super::timers::Timer;
use super::{Cluster, NOT_READY};
use crate::api::{OomRecord, Reason, RevisionPods, TemplateOrder, UpdateOrder, VerticalView};

/// How often the kubelet compares memory use with limits: 10 s.
pub const MEMORY_CHECK_PERIOD_NS: u64 = 10_000_000_000;
/// Crash-loop back-off: first delay, cap, and the running time after which it is forgotten.
const BACK_OFF_NS: u64 = 10_000_000_000;
const MAX_BACK_OFF_NS: u64 = 300_000_000_000;
const BACK_OFF_RESET_NS: u64 = 2 * MAX_BACK_OFF_NS;
/// OOM records kept for the VPA between two of its views (one per memory check and revision).
const MAX_OOM_RECORDS: usize = 64;

/// A deployment's vertical figures.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Vertical {
    /// OOM kills not yet read by a vertical view.
    pub(super) ooms: Vec<OomRecord>,
    pub(super) oom_kills: u64,
    pub(super) evicted: u64,
    pub(super) resized: u64,
    /// Per revision: how long the container ran before its latest OOM kill.
    pub(super) last_oom_run_ns: BTreeMap<u16, u64>,
}

/// The crash-loop back-off before restart number `restarts` (1 for the first).
fn back_off_ns(restarts: u8) -> u64 {
    let doublings = u32::from(restarts.saturating_sub(1)).min(16);
    (BACK_OFF_NS << doublings).min(MAX_BACK_OFF_NS)
}

impl Cluster {
    /// Whether a pod of deployment `d` could pass its memory limit: its template's limit is
    /// below the use of a pod serving its full rate (or of an idle one).
    fn may_oom(&self, d: usize) -> bool {
        let dep = &self.deployments[d];
        let Some(memory) = dep.memory_usage else {
            return false;
        };
        let peak = memory.bytes_at(dep.mu_rps);
        dep.templates
            .iter()
            .any(|t| t.limits.1.is_some_and(|limit| peak > limit as f64))
    }

    /// Starts the periodic memory check at `now_ns` when some deployment may OOM and it is
    /// not running yet.
    pub(super) fn arm_memory_check(&mut self, now_ns: u64) {
        if !self.memory_check_armed && (0..self.deployments.len()).any(|d| self.may_oom(d)) {
            self.memory_check_armed = true;
            self.push_timer(now_ns + MEMORY_CHECK_PERIOD_NS, Timer::MemoryCheck);
        }
    }

    /// One memory check: every running container over its limit is killed; the check comes
    /// back while some deployment may OOM.
    pub(super) fn check_memory(&mut self, now_ns: u64) {
        let mut any = false;
        for d in 0..self.deployments.len() {
            if self.may_oom(d) {
                any = true;
                self.kill_over_limit(d, now_ns);
            }
        }
        self.memory_check_armed = any;
        if any {
            self.push_timer(now_ns + MEMORY_CHECK_PERIOD_NS, Timer::MemoryCheck);
        }
    }

    /// Kills the containers of deployment `d` that use more memory than their limit.
    fn kill_over_limit(&mut self, d: usize, now_ns: u64) {
        let dep = &mut self.deployments[d];
        let Some(memory) = dep.memory_usage else {
            return;
        };
        dep.queue.advance_to(SimTime::from_nanos(now_ns));
        let (arrival, capacity) = (dep.queue.arrival_rps(), dep.queue.capacity_rps());
        let served = if dep.queue.backlog_requests() > 0.0 {
            capacity
        } else {
            arrival.min(capacity)
        };
        let busy = memory.bytes_at(served / f64::from(dep.ready.max(1)));
        let idle = memory.bytes_at(0.0);
        let doomed: Vec<u32> = dep
            .pods
            .iter()
            .copied()
            .filter(|&id| {
                let pod = self.pods.get(id);
                let used = match pod.phase {
                    PodPhase::Ready => busy,
                    PodPhase::Running => idle,
                    _ => return false,
                };
                dep.template_of(pod)
                    .limits
                    .1
                    .is_some_and(|limit| used > limit as f64)
            })
            .collect();
        if doomed.is_empty() {
            return;
        }
        // One record per revision killed, for the VPA's OOM bump.
        let mut by_request: BTreeMap<u64, u32> = BTreeMap::new();
        for &id in &doomed {
            let pod = *self.pods.get(id);
            *by_request
                .entry(self.deployments[d].template_of(&pod).memory_bytes)
                .or_default() += 1;
            self.oom_kill(id, now_ns);
        }
        let dep = &mut self.deployments[d];
        let vertical = &mut dep.vertical;
        vertical.oom_kills += doomed.len() as u64;
        for (request_bytes, count) in by_request {
            if vertical.ooms.len() == MAX_OOM_RECORDS {
                vertical.ooms.remove(0);
            }
            vertical.ooms.push(OomRecord {
                at_ns: now_ns,
                request_bytes,
                count,
            });
        }
        let (name, region) = (dep.name.clone(), dep.region.clone());
        let count = doomed.len();
        self.events.push_counted(
            now_ns,
            Reason::OomKilled,
            u32::try_from(count).unwrap_or(u32::MAX),
            || format!("deployment/{name}-{region}"),
            || {
                format!(
                    "{count} container(s) used {} of memory, over their limit; restarting \
                     after the crash-loop back-off",
                    sim::quantity::Bytes(busy as u64)
                )
            },
        );
    }

    /// Kills pod `id`'s container: it stops serving, keeps its node, and starts again after
    /// the back-off and its start-up delay, as a new generation (its old timers are void).
    fn oom_kill(&mut self, id: u32, now_ns: u64) {
        let pod = *self.pods.get(id);
        let d = pod.deployment as usize;
        self.stop_running(&pod, now_ns);
        self.pods.set_phase(id, PodPhase::Starting);
        let ran_ns = now_ns.saturating_sub(pod.started_ns);
        let restarts = if ran_ns > BACK_OFF_RESET_NS {
            1
        } else {
            pod.restarts.saturating_add(1)
        };
        self.pods.get_mut(id).restarts = restarts;
        let generation = self.pods.renew(id);
        self.deployments[d]
            .vertical
            .last_oom_run_ns
            .insert(pod.revision, ran_ns);
        let at = now_ns + back_off_ns(restarts) + self.deployments[d].startup_ns;
        self.push_timer(
            at,
            Timer::Started {
                pod: id,
                generation,
            },
        );
    }

    /// What a VPA reads of deployment `d`; hands over the OOM records.
    pub(super) fn vertical_of(&mut self, d: u32) -> VerticalView {
        let dep = &self.deployments[d as usize];
        let mut revisions: BTreeMap<u16, RevisionPods> = BTreeMap::new();
        let entry = |revision: u16, t: &PodTemplate| RevisionPods {
            revision,
            cpu_millis: t.cpu_millis,
            memory_bytes: t.memory_bytes,
            pending: 0,
            bound: 0,
            oldest_created_ns: None,
            last_oom_run_ns: dep.vertical.last_oom_run_ns.get(&revision).copied(),
        };
        revisions.insert(dep.revision, entry(dep.revision, dep.template()));
        for &id in &dep.pods {
            let pod = self.pods.get(id);
            let r = revisions
                .entry(pod.revision)
                .or_insert_with(|| entry(pod.revision, dep.template_of(pod)));
            if pod.phase == PodPhase::Pending {
                r.pending += 1;
            } else {
                r.bound += 1;
                r.oldest_created_ns = Some(
                    r.oldest_created_ns
                        .map_or(pod.created_ns, |t| t.min(pod.created_ns)),
                );
            }
        }
        let view = VerticalView {
            service: d,
            desired: dep.desired,
            ready: dep.ready,
            revision: dep.revision,
            revisions: revisions.into_values().collect(),
            served_requests_total: dep.queue.total().served,
            ooms: Vec::new(),
            oom_kills_total: dep.vertical.oom_kills,
            evicted_total: dep.vertical.evicted,
            resized_total: dep.vertical.resized,
            min_available: dep.min_available,
        };
        VerticalView {
            ooms: std::mem::take(&mut self.deployments[d as usize].vertical.ooms),
            ..view
        }
    }

    /// A VPA's new template: pods created from now on are made from it (an identical earlier
    /// revision is reused).
    pub(super) fn apply_template(&mut self, order: &TemplateOrder, now_ns: u64) {
        let d = order.service as usize;
        let dep = &mut self.deployments[d];
        // The VPA sizes cpu and memory only: an extended resource such as `nvidia.com/gpu` is
        // not among its controlled resources (`ContainerResourcePolicy.controlledResources`
        // takes cpu and memory), so the template keeps its GPUs.
        let template = PodTemplate {
            gpus: dep.template().gpus,
            ..PodTemplate::new(order.cpu_millis, order.memory_bytes, order.limits)
        };
        let revision = match dep.templates.iter().position(|t| *t == template) {
            Some(k) => k,
            None if dep.templates.len() <= usize::from(u16::MAX) => {
                dep.templates.push(template);
                dep.templates.len() - 1
            }
            // 65 536 revisions: keep the current one (the VPA tries again next minute).
            None => return,
        } as u16;
        if revision == dep.revision {
            return;
        }
        dep.revision = revision;
        let object = format!("deployment/{}-{}", dep.name, dep.region);
        self.events.push(
            now_ns,
            Reason::RecommendationApplied,
            || object,
            || order.why.clone(),
        );
        self.arm_memory_check(now_ns);
    }

    /// A VPA updater's order: `count` pods of an old revision, Pending ones first, then the
    /// oldest, resized in place when asked and possible, else evicted and recreated.
    pub(super) fn apply_update(&mut self, order: &UpdateOrder, now_ns: u64) {
        let d = order.service as usize;
        let dep = &self.deployments[d];
        if order.revision == dep.revision {
            return;
        }
        let mut chosen: Vec<(bool, u64, u32)> = dep
            .pods
            .iter()
            .map(|&id| (id, self.pods.get(id)))
            .filter(|(_, p)| p.revision == order.revision)
            .map(|(id, p)| (p.phase != PodPhase::Pending, p.created_ns, id))
            .collect();
        chosen.sort_unstable();
        chosen.truncate(order.count as usize);
        let (mut resized, mut evicted) = (0usize, 0usize);
        for (bound, _, id) in chosen {
            if order.in_place && bound && self.resize_in_place(id, now_ns) {
                resized += 1;
            } else {
                self.terminate_pod(id, now_ns, Reason::EvictedByVpa);
                evicted += 1;
            }
        }
        let vertical = &mut self.deployments[d].vertical;
        vertical.evicted += evicted as u64;
        vertical.resized += resized as u64;
        self.log_deleted(d as u32, evicted, now_ns, Reason::EvictedByVpa, &order.why);
        if resized > 0 {
            let dep = &self.deployments[d];
            let object = format!("deployment/{}-{}", dep.name, dep.region);
            self.events.push_counted(
                now_ns,
                Reason::InPlaceResizedByVpa,
                u32::try_from(resized).unwrap_or(u32::MAX),
                || object,
                || format!("{resized} pod(s): {}", order.why),
            );
        }
        if evicted > 0 {
            self.reconcile(d as u32, now_ns);
        }
    }

    /// Moves bound pod `id` to its deployment's current template in place; false (and no
    /// change) when its node lacks the room or its namespace quota refuses the increase.
    fn resize_in_place(&mut self, id: u32, now_ns: u64) -> bool {
        let pod: Pod = *self.pods.get(id);
        let d = pod.deployment as usize;
        let dep = &self.deployments[d];
        let (old, new) = (*dep.template_of(&pod), *dep.template());
        if pod.node == UNBOUND {
            return false;
        }
        let node = self.nodes.get(pod.node);
        let more = |a: u64, b: u64| b.saturating_sub(a);
        if more(old.cpu_millis, new.cpu_millis) > node.free_cpu_millis()
            || more(old.memory_bytes, new.memory_bytes) > node.free_memory_bytes()
        {
            return false;
        }
        let ns = &mut self.namespaces[dep.namespace as usize];
        let grow = [
            more(old.cpu_millis, new.cpu_millis),
            more(old.memory_bytes, new.memory_bytes),
            0,
        ];
        if !ns.admits(grow) {
            return false;
        }
        ns.used[0] = ns.used[0] - old.cpu_millis + new.cpu_millis;
        ns.used[1] = ns.used[1] - old.memory_bytes + new.memory_bytes;
        self.nodes.update(pod.node, |n| {
            n.requested_cpu_millis = n.requested_cpu_millis - old.cpu_millis + new.cpu_millis;
            n.requested_memory_bytes =
                n.requested_memory_bytes - old.memory_bytes + new.memory_bytes;
            n.last_pod_change_ns = now_ns;
        });
        let pool = self.placement.pool_of_group(self.nodes.get(pod.node).group);
        let namespace = dep.namespace;
        self.costs.unbound(pool, namespace, old.cpu_millis);
        self.costs.bound(pool, namespace, new.cpu_millis);
        let revision = self.deployments[d].revision;
        let ready = match pod.phase {
            PodPhase::Ready => Some(pod.ready_ns),
            PodPhase::Running => Some(NOT_READY),
            _ => None,
        };
        if let Some(ready_ns) = ready {
            self.count_running(d, (pod.started_ns, ready_ns, pod.revision), -1);
            self.count_running(d, (pod.started_ns, ready_ns, revision), 1);
        }
        self.pods.get_mut(id).revision = revision;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{self, GIB};
    use super::{MAX_BACK_OFF_NS, back_off_ns};
    use crate::api::TemplateOrder;

    #[test]
    fn a_vpa_template_keeps_the_pods_gpus() {
        // A service of one-GPU pods resized by the VPA to 500m / 2 GiB: the new revision
        // asks 500m, 2 GiB and still one GPU (the VPA controls cpu and memory only).
        let mut plan = fixture::plan();
        plan.services[0].gpus = 1;
        plan.services[0].replicas = 0;
        let mut c = fixture::build(&plan);
        let order = TemplateOrder {
            service: 0,
            cpu_millis: 500,
            memory_bytes: 2 * GIB,
            limits: (None, None),
            why: "test".into(),
        };
        c.apply_template(&order, 0);
        let t = c.deployments[0].template();
        assert_eq!((t.cpu_millis, t.memory_bytes, t.gpus), (500, 2 * GIB, 1));
        assert_eq!(c.deployments[0].revision, 1);
    }

    #[test]
    fn the_crash_loop_back_off_doubles_from_10_s_to_300_s() {
        let s = 1_000_000_000;
        assert_eq!(back_off_ns(1), 10 * s);
        assert_eq!(back_off_ns(2), 20 * s);
        assert_eq!(back_off_ns(3), 40 * s);
        assert_eq!(back_off_ns(5), 160 * s);
        assert_eq!(back_off_ns(6), MAX_BACK_OFF_NS);
        assert_eq!(back_off_ns(255), MAX_BACK_OFF_NS);
    }
}

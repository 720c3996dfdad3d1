//! RPO and RTO bookkeeping over a run: one record per regional outage, fed by the run loop at
//! every sample (and at the instant the replication primary fails).
//!
//! # RTO
//!
//! Each regional outage of region `R` gets an [`RtoTracker`] from its start. The services it
//! judges are those whose traffic the outage hit: every deployment in `R` and, for a service
//! behind the load balancer, its deployments in every region (the ones receiving the
//! failed-over traffic). **SLO ok** at a sample instant means every judged deployment either
//! receives no traffic, or serves it below capacity (`arrival < capacity`: nothing queues
//! towards its timeout, so nothing is dropped) with its p99 at that instant within the
//! experiment's `p99_latency` target (no latency condition without one). The judgement is on
//! the state at the instant, not the interval behind it: requests dropped before the traffic
//! moved (a dead region's backlog timing out) belong to the outage, not to the restored
//! service. A deployment with no traffic is ok whatever its queue holds.
//!
//! Milestones: **detection** when the load balancer's health checks see `R` unhealthy
//! (`FailoverRouter::detected_at`), **routing** one DNS TTL later
//! (`FailoverRouter::clients_moved_at`), both from the first failover group that spans `R`
//! (none without failover: the phases are then all scale-up, i.e. waiting for the region);
//! **warm-up** ends at the first sample, from the failure on, where every receiving deployment
//! (the judged ones outside `R`) has a ready pod — at the failure itself when the standby was
//! already warm. The tracker clamps them into order, so the phases sum to the RTO.
//!
//! # RPO
//!
//! With a `replication` section, an outage of its primary region asks
//! [`Replication::rpo_at`] at its start. The write rate is `writes_per_s`, or
//! `writes_per_request × arrival rate` of the named service in the primary region, read at
//! every sample and at the failure instant (piecewise constant between them).

use sim::time::{SimDuration, SimTime};

use super::config::{ReplicationConfig, WritesPerRequest};
use super::failover::FailoverGroup;
use super::outage::{Outage, OutageScope};
use super::plan::FaultsPlan;
use super::replication::{Replication, Rpo};
use super::rto::{RtoOutcome, RtoTracker};
use crate::api::ServiceSample;
use crate::plan::ServicePlan;

/// How one regional outage went.
#[derive(Debug, Clone, PartialEq)]
pub struct RecoveryReport {
    pub region: String,
    pub failed_at: SimTime,
    /// When the region came back.
    pub ended_at: SimTime,
    pub rto: RtoOutcome,
    /// Set when the region was the replication primary.
    pub rpo: Option<Rpo>,
}

struct Tracked {
    region: String,
    failed_at: SimTime,
    ended_at: SimTime,
    judged: Vec<u32>,
    receiving: Vec<u32>,
    tracker: RtoTracker,
    warm: bool,
    primary: bool,
    rpo: Option<Rpo>,
}

/// Where the primary's write rate comes from.
enum Writes {
    Constant,
    PerRequest { service: u32, writes: f64 },
}

/// The run's regional outages, their RTO and the primary's RPO.
pub struct RecoveryBook {
    tracked: Vec<Tracked>,
    replication: Option<(Replication, Writes)>,
    p99_target_ms: Option<f64>,
}

impl RecoveryBook {
    /// One record per regional outage of `outages`; `p99_target` is the experiment's.
    pub fn new(
        plan: &FaultsPlan,
        seed: u64,
        groups: &[FailoverGroup],
        services: &[ServicePlan],
        outages: &[Outage],
        p99_target: Option<SimDuration>,
    ) -> Self {
        let replication = plan
            .config
            .replication
            .as_ref()
            .map(|r| replication(r, seed, services));
        let primary = plan.config.replication.as_ref().map(|r| r.primary.as_str());
        let hold = plan.config.targets.rto_hold;
        let tracked = outages
            .iter()
            .filter_map(|o| match &o.scope {
                OutageScope::Region(r) => Some((o, r)),
                OutageScope::Zone(_) => None,
            })
            .map(|(o, region)| {
                let mut judged: Vec<u32> = (0..services.len() as u32)
                    .filter(|&id| &services[id as usize].region == region)
                    .collect();
                let mut tracker = RtoTracker::new(o.start, hold);
                let mut milestones_set = false;
                for g in groups {
                    let Some(r) = g.router.region_index(region) else {
                        continue;
                    };
                    judged.extend(&g.members);
                    if !milestones_set && let Some(detected) = g.router.detected_at(r, o.start) {
                        tracker.set_detected(detected);
                        tracker.set_routed(g.router.clients_moved_at(detected));
                        milestones_set = true;
                    }
                }
                judged.sort_unstable();
                judged.dedup();
                let receiving = judged
                    .iter()
                    .copied()
                    .filter(|&id| &services[id as usize].region != region)
                    .collect();
                Tracked {
                    region: region.clone(),
                    failed_at: o.start,
                    ended_at: o.end,
                    judged,
                    receiving,
                    tracker,
                    warm: false,
                    primary: primary == Some(region.as_str()),
                    rpo: None,
                }
            })
            .collect();
        RecoveryBook {
            tracked,
            replication,
            p99_target_ms: p99_target.map(|t| t.as_secs_f64() * 1e3),
        }
    }

    /// The instants the replication primary fails, ascending: the run stops there to read the
    /// write rate and take the RPO.
    pub fn primary_failures(&self) -> Vec<SimTime> {
        let mut out: Vec<SimTime> = self
            .tracked
            .iter()
            .filter(|t| t.primary)
            .map(|t| t.failed_at)
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The service whose arrival rate drives the writes, if the rate is per request.
    pub fn write_service(&self) -> Option<u32> {
        match &self.replication {
            Some((_, Writes::PerRequest { service, .. })) => Some(*service),
            _ => None,
        }
    }

    /// The primary fails at `t`; `arrival_rps` is the write service's rate then (ignored with
    /// a constant write rate).
    pub fn primary_failed(&mut self, t: SimTime, arrival_rps: f64) {
        let Some((replication, writes)) = &mut self.replication else {
            return;
        };
        if let Writes::PerRequest { writes, .. } = writes {
            replication.set_write_rate(t, *writes * arrival_rps);
        }
        let rpo = replication.rpo_at(t);
        for tracked in &mut self.tracked {
            if tracked.primary && tracked.failed_at == t {
                tracked.rpo = Some(rpo);
            }
        }
    }

    /// The rows of the sample at `t` (one per cluster service id).
    pub fn observe(&mut self, t: SimTime, rows: &[ServiceSample]) {
        if let Some((replication, Writes::PerRequest { service, writes })) = &mut self.replication
            && let Some(row) = rows.get(*service as usize)
        {
            replication.set_write_rate(t, *writes * row.now.arrival_rps);
        }
        let ok = |id: &u32| {
            rows.get(*id as usize).is_none_or(|row| {
                let now = &row.now;
                now.arrival_rps <= 0.0
                    || (now.arrival_rps < now.capacity_rps
                        && self
                            .p99_target_ms
                            .is_none_or(|target| now.latency_ms.p99 <= target))
            })
        };
        let verdicts: Vec<(bool, bool)> = self
            .tracked
            .iter()
            .map(|tr| {
                let warm = tr
                    .receiving
                    .iter()
                    .all(|&id| rows.get(id as usize).is_some_and(|row| row.ready_pods > 0));
                (tr.judged.iter().all(ok), warm)
            })
            .collect();
        for (tr, (ok, warm)) in self.tracked.iter_mut().zip(verdicts) {
            if t < tr.failed_at {
                continue;
            }
            if !tr.warm && warm {
                tr.warm = true;
                tr.tracker.set_warm(t);
            }
            tr.tracker.observe(t, ok);
        }
    }

    pub fn finish(self) -> Vec<RecoveryReport> {
        self.tracked
            .into_iter()
            .map(|t| RecoveryReport {
                region: t.region,
                failed_at: t.failed_at,
                ended_at: t.ended_at,
                rto: t.tracker.outcome(),
                rpo: t.rpo,
            })
            .collect()
    }
}

fn replication(
    r: &ReplicationConfig,
    seed: u64,
    services: &[ServicePlan],
) -> (Replication, Writes) {
    let mut replication = Replication::new(seed, &r.primary, r.mode);
    let writes = match (&r.writes_per_request, r.writes_per_s) {
        (Some(WritesPerRequest { service, writes }), _) => services
            .iter()
            .position(|s| &s.name == service && s.region == r.primary)
            .map_or(Writes::Constant, |id| Writes::PerRequest {
                service: id as u32,
                writes: *writes,
            }),
        (None, w) => {
            replication.set_write_rate(SimTime::ZERO, w.unwrap_or(0.0));
            Writes::Constant
        }
    };
    (replication, writes)
}

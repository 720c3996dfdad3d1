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
//! # Failback
//!
//! When the region comes back (`ended_at`) its traffic returns: at once for a region outside
//! the load balancer, else once the health checks pass it, over the failback ramp and one TTL
//! (`FailoverRouter::failback_done_at`). Its deployments have had no traffic since the failover
//! and an HPA has scaled them to their minimum, so the return can hurt. The failback is
//! **restored** at the first sample from the traffic's full return on where the SLO (as above)
//! holds for `rto_hold`; its **disruption** is the requests the judged deployments dropped from
//! the region's return to that restoration (to the end of the run if it never came).
//!
//! # RPO
//!
//! With a `replication` section, an outage of a region holding a database's primary asks
//! that database's [`Replication::rpo_at`] at its start. `SingleWriter` (the default): one
//! database, its primary in `primary`, whose write rate is `writes_per_s`, or `writes_per_request
//! ×` the arrival rate of the named service summed over **every** region it runs in (all of them
//! write to the one primary). `PerRegionPrimaries`: one database per region of that service, each
//! taking only its own region's writes. Rates are read at every sample and at the failure
//! instant (piecewise constant between them).

use sim::time::{SimDuration, SimTime};

use super::config::{ReplicationConfig, ReplicationTopology, WritesPerRequest};
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
    /// How the traffic's return went; `None` when the region was not back before the run's
    /// last sample.
    pub failback: Option<FailbackReport>,
}

/// The return of traffic to a recovered region (module docs, "Failback").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FailbackReport {
    /// When the region's traffic was back in full.
    pub returned_at: SimTime,
    /// When the SLO held again from then on; `None` if not by the run's last sample.
    pub restored_at: Option<SimTime>,
    /// Requests the judged deployments dropped from the region's return to `restored_at`.
    pub dropped_requests: f64,
}

struct Tracked {
    region: String,
    failed_at: SimTime,
    ended_at: SimTime,
    judged: Vec<u32>,
    receiving: Vec<u32>,
    tracker: RtoTracker,
    warm: bool,
    /// The database whose primary is in this region, if any.
    database: Option<usize>,
    rpo: Option<Rpo>,
    /// When the region's traffic is back in full (module docs, "Failback").
    returned_at: SimTime,
    failback: RtoTracker,
    /// Requests the judged deployments dropped in each sample interval after `ended_at`.
    dropped_after: Vec<(SimTime, f64)>,
}

/// Where a primary's write rate comes from.
enum Writes {
    Constant,
    /// `writes` per request arriving at these cluster services.
    PerRequest {
        services: Vec<u32>,
        writes: f64,
    },
}

/// One replicated database: its primary's region, its replication, its writes.
struct Database {
    primary: String,
    replication: Replication,
    writes: Writes,
}

impl Database {
    /// Sets the write rate at `t` from the arrival rate of each cluster service.
    fn observe(&mut self, t: SimTime, arrival_rps: impl Fn(u32) -> f64) {
        if let Writes::PerRequest { services, writes } = &self.writes {
            let total: f64 = services.iter().map(|&id| arrival_rps(id)).sum();
            self.replication.set_write_rate(t, writes * total);
        }
    }
}

/// The run's regional outages, their RTO and the RPO of the databases' primaries.
pub struct RecoveryBook {
    tracked: Vec<Tracked>,
    databases: Vec<Database>,
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
        let databases = plan
            .config
            .replication
            .as_ref()
            .map(|r| databases(r, seed, services))
            .unwrap_or_default();
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
                let mut returned_at = o.end;
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
                    if let Some(&(healthy_at, _)) = g
                        .router
                        .observed_changes(r)
                        .iter()
                        .find(|&&(t, healthy)| healthy && t >= o.end)
                    {
                        returned_at = returned_at.max(g.router.failback_done_at(healthy_at));
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
                    database: databases.iter().position(|d| &d.primary == region),
                    rpo: None,
                    returned_at,
                    failback: RtoTracker::new(returned_at, hold),
                    dropped_after: Vec::new(),
                }
            })
            .collect();
        RecoveryBook {
            tracked,
            databases,
            p99_target_ms: p99_target.map(|t| t.as_secs_f64() * 1e3),
        }
    }

    /// The instants a database's primary fails, ascending: the run stops there to read the
    /// write rates and take the RPO.
    pub fn primary_failures(&self) -> Vec<SimTime> {
        let mut out: Vec<SimTime> = self
            .tracked
            .iter()
            .filter(|t| t.database.is_some())
            .map(|t| t.failed_at)
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The services whose arrival rates drive the writes (none with constant write rates).
    pub fn write_services(&self) -> Vec<u32> {
        let mut out: Vec<u32> = self
            .databases
            .iter()
            .flat_map(|d| match &d.writes {
                Writes::PerRequest { services, .. } => services.as_slice(),
                Writes::Constant => &[],
            })
            .copied()
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Primaries fail at `t`; `arrival_rps` holds the rate then of each of
    /// [`Self::write_services`], as (service, requests/s).
    pub fn primary_failed(&mut self, t: SimTime, arrival_rps: &[(u32, f64)]) {
        let rate = |id: u32| {
            arrival_rps
                .iter()
                .find(|&&(s, _)| s == id)
                .map_or(0.0, |&(_, r)| r)
        };
        for tracked in &mut self.tracked {
            if let Some(d) = tracked.database
                && tracked.failed_at == t
            {
                let db = &mut self.databases[d];
                db.observe(t, rate);
                tracked.rpo = Some(db.replication.rpo_at(t));
            }
        }
    }

    /// The rows of the sample at `t` (one per cluster service id).
    /// A region's traffic returned in full at `at`, learnt during the run (`failback:
    /// WaitForCapacity`, `gate`): its failback is judged from there.
    pub fn failback_returned(&mut self, region: &str, at: SimTime, hold: SimDuration) {
        for tr in self.tracked.iter_mut().filter(|tr| tr.region == region) {
            if at >= tr.ended_at && at > tr.returned_at {
                tr.returned_at = at;
                tr.failback = RtoTracker::new(at, hold);
            }
        }
    }

    pub fn observe(&mut self, t: SimTime, rows: &[ServiceSample]) {
        for db in &mut self.databases {
            db.observe(t, |id| {
                rows.get(id as usize).map_or(0.0, |r| r.now.arrival_rps)
            });
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
            if t > tr.ended_at {
                let dropped = tr
                    .judged
                    .iter()
                    .filter_map(|&id| rows.get(id as usize))
                    .map(|row| row.interval.dropped)
                    .sum();
                tr.dropped_after.push((t, dropped));
                tr.failback.observe(t, ok);
            }
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
            .map(|t| {
                let failback = (!t.dropped_after.is_empty()).then(|| {
                    let restored_at = match t.failback.outcome() {
                        RtoOutcome::Restored { restored_at, .. } => Some(restored_at),
                        RtoOutcome::NotRestored { .. } => None,
                    };
                    FailbackReport {
                        returned_at: t.returned_at,
                        restored_at,
                        dropped_requests: t
                            .dropped_after
                            .iter()
                            .filter(|&&(at, _)| restored_at.is_none_or(|r| at <= r))
                            .map(|&(_, d)| d)
                            .sum(),
                    }
                });
                RecoveryReport {
                    region: t.region,
                    failed_at: t.failed_at,
                    ended_at: t.ended_at,
                    rto: t.tracker.outcome(),
                    rpo: t.rpo,
                    failback,
                }
            })
            .collect()
    }
}

/// The databases of a `replication` section: one at `primary` taking every region's writes,
/// or one per region of the write service taking its own.
fn databases(r: &ReplicationConfig, seed: u64, services: &[ServicePlan]) -> Vec<Database> {
    let of_service = |name: &str| -> Vec<u32> {
        (0..services.len() as u32)
            .filter(|&id| services[id as usize].name == name)
            .collect()
    };
    let database = |primary: &str, ids: Vec<u32>| {
        let mut replication = Replication::new(seed, primary, r.mode);
        let writes = match (&r.writes_per_request, r.writes_per_s) {
            (Some(WritesPerRequest { writes, .. }), _) if !ids.is_empty() => Writes::PerRequest {
                services: ids,
                writes: *writes,
            },
            (Some(_), _) => Writes::Constant,
            (None, w) => {
                replication.set_write_rate(SimTime::ZERO, w.unwrap_or(0.0));
                Writes::Constant
            }
        };
        Database {
            primary: primary.to_owned(),
            replication,
            writes,
        }
    };
    let service = r.writes_per_request.as_ref().map(|w| w.service.as_str());
    match r.topology {
        ReplicationTopology::SingleWriter => {
            vec![database(
                &r.primary,
                service.map(of_service).unwrap_or_default(),
            )]
        }
        ReplicationTopology::PerRegionPrimaries => {
            let ids = service.map(of_service).unwrap_or_default();
            let mut regions: Vec<&str> = ids
                .iter()
                .map(|&id| services[id as usize].region.as_str())
                .collect();
            if regions.is_empty() {
                regions.push(&r.primary);
            }
            regions
                .into_iter()
                .map(|region| {
                    let own = ids
                        .iter()
                        .copied()
                        .filter(|&id| services[id as usize].region == region)
                        .collect();
                    database(region, own)
                })
                .collect()
        }
    }
}

//! Which services the global load balancer fails over, and the arrival rate it gives each of
//! their regions: the bridge between [`FailoverRouter`] (shares per client region) and the
//! `Traffic` model (a rate per service and region).
//!
//! # Which services
//!
//! Every service that runs in at least two of the load balancer's regions (`failover.regions`,
//! default every region) is behind it: one [`FailoverGroup`] per service, its members the
//! service's deployments in those regions, in the load balancer's order. A service in one such
//! region has nowhere to fail over to; when its region fails its requests fail with it. The
//! group's router is the configured one restricted to the group's regions (names of other
//! regions dropped from the policy and `nearest`; an active-passive primary the service does
//! not run in makes that service active-active).
//!
//! # Rates
//!
//! The clients of region `o` send `origin[o]` requests/s: the service's own traffic in region
//! `o` (its shape, times its global router's share when the service has `routing`). Region `r`
//! receives `Σ_o origin[o] × share_o(r)`, with `share_o` from [`FailoverRouter::split_from`].
//! The `unserved` share (no region eligible) **fails open** to the client's own region, as
//! Route 53 answers every record when none is healthy: those requests reach a region with no
//! ready pod and are dropped there, so they show as dropped requests and a missed SLO. Shares
//! sent to a region that is down but not yet detected (`to_down`) arrive there and are dropped
//! the same way. The rates always sum to the clients' total.
//!
//! The split changes only at the instants the health checks change their view (answers) and,
//! following them, over one DNS TTL: a `Step` shift at `answer + TTL`; a `Linear` one moves
//! continuously over `[answer, answer + TTL]`, which the rates follow in [`RAMP_STEPS`] steps
//! each evaluated at its midpoint (exact in request counts, since the ramp is linear).

use std::sync::{Arc, Mutex, MutexGuard};

use sim::time::{SimDuration, SimTime};

use super::ConfigError;
use super::config::{DnsShift, Failback, FailoverConfig, FailoverMode, RoutingPolicy};
use super::outage::{Outage, region_health_events};
use super::router::{FailoverRouter, unserved};
use crate::plan::ServicePlan;

/// Steps of a linear DNS shift: 12, so 5 s steps for the default 60 s TTL.
pub const RAMP_STEPS: u64 = 12;

/// One service behind the load balancer.
#[derive(Debug, Clone)]
pub struct FailoverGroup {
    pub service: String,
    /// The router over the group's regions, with every outage's health events applied.
    pub router: FailoverRouter,
    /// Cluster service id of each of the router's regions, in its order.
    pub members: Vec<u32>,
    /// Instants where the split may change, ascending.
    breakpoints: Vec<SimTime>,
    /// With `failback: WaitForCapacity`: the router the run changes when a recovered region's
    /// deep health check passes (`faults::gate`), shared by every copy of the group; `router`
    /// then holds the outages' failures only. `None`: `router` is the whole story.
    pub live: Option<Arc<Mutex<FailoverRouter>>>,
    /// With `live`: each region's return the run waits on, `(region, back up at)`.
    pub waits: Vec<(usize, SimTime)>,
    ttl: SimDuration,
    shift: DnsShift,
}

/// A service behind the load balancer: its name, its regions (load balancer order) and its
/// cluster service id in each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub service: String,
    pub regions: Vec<String>,
    pub members: Vec<u32>,
}

/// The load balancer's regions: `failover.regions`, or every region in the experiment's order.
pub fn balanced_regions(config: &FailoverConfig, all_regions: &[String]) -> Vec<String> {
    config
        .regions
        .clone()
        .unwrap_or_else(|| all_regions.to_vec())
}

/// Every service running in at least two balanced regions, in the order of first appearance.
pub fn memberships(balanced: &[String], services: &[ServicePlan]) -> Vec<Membership> {
    let mut names: Vec<&str> = Vec::new();
    for s in services {
        if !names.contains(&s.name.as_str()) {
            names.push(&s.name);
        }
    }
    names
        .into_iter()
        .filter_map(|name| {
            let (regions, members): (Vec<String>, Vec<u32>) = balanced
                .iter()
                .filter_map(|r| {
                    services
                        .iter()
                        .position(|s| s.name == name && &s.region == r)
                        .map(|id| (r.clone(), id as u32))
                })
                .unzip();
            (members.len() >= 2).then(|| Membership {
                service: name.to_owned(),
                regions,
                members,
            })
        })
        .collect()
}

/// The configuration restricted to `regions` (module docs).
pub fn restrict(config: &FailoverConfig, regions: &[String]) -> FailoverConfig {
    let known = |r: &String| regions.contains(r);
    let routing = match &config.routing {
        RoutingPolicy::Latency => RoutingPolicy::Latency,
        RoutingPolicy::Weighted(w) => RoutingPolicy::Weighted(
            w.iter()
                .filter(|(r, _)| known(r))
                .map(|(r, v)| (r.clone(), *v))
                .collect(),
        ),
        RoutingPolicy::Failover(list) => {
            RoutingPolicy::Failover(list.iter().filter(|r| known(r)).cloned().collect())
        }
    };
    let nearest = config
        .nearest
        .iter()
        .filter(|(r, _)| known(r))
        .map(|(r, list)| {
            (
                r.clone(),
                list.iter().filter(|x| known(x)).cloned().collect(),
            )
        })
        .collect();
    let mode = match &config.mode {
        FailoverMode::ActivePassive { primary, .. } if !known(primary) => {
            FailoverMode::ActiveActive
        }
        m => m.clone(),
    };
    FailoverConfig {
        regions: Some(regions.to_vec()),
        routing,
        nearest,
        mode,
        ..config.clone()
    }
}

/// The replicas each standby deployment keeps in active-passive mode: `(service id,
/// standby_min_replicas)` for the members outside the primary of every group that has one.
pub fn standby_floors(
    config: &FailoverConfig,
    all_regions: &[String],
    services: &[ServicePlan],
) -> Vec<(u32, u32)> {
    let FailoverMode::ActivePassive {
        primary,
        standby_min_replicas,
    } = &config.mode
    else {
        return Vec::new();
    };
    memberships(&balanced_regions(config, all_regions), services)
        .into_iter()
        .filter(|m| m.regions.contains(primary))
        .flat_map(|m| {
            m.regions
                .into_iter()
                .zip(m.members)
                .filter(|(r, _)| r != primary)
                .map(|(_, id)| (id, *standby_min_replicas))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Every service behind the load balancer, with its router and the outages' health events.
pub fn failover_groups(
    config: &FailoverConfig,
    all_regions: &[String],
    services: &[ServicePlan],
    outages: &[Outage],
) -> Result<Vec<FailoverGroup>, ConfigError> {
    memberships(&balanced_regions(config, all_regions), services)
        .into_iter()
        .map(|m| {
            let restricted = restrict(config, &m.regions);
            let mut router = FailoverRouter::new(&restricted, &m.regions)?;
            let wait = matches!(config.failback, Failback::WaitForCapacity(_));
            let mut waits = Vec::new();
            for event in region_health_events(outages, &m.regions) {
                // A region's return waits for its capacity: the run adds it (`gate`).
                if wait && event.healthy {
                    waits.push((event.region, event.at));
                } else {
                    router.set_health(event);
                }
            }
            let breakpoints = breakpoints(&router, &restricted);
            Ok(FailoverGroup {
                service: m.service,
                live: wait.then(|| Arc::new(Mutex::new(router.clone()))),
                router,
                members: m.members,
                breakpoints,
                waits,
                ttl: restricted.dns_ttl,
                shift: restricted.dns_shift,
            })
        })
        .collect()
}

/// The instants where a group's split may change (module docs): each change of the health
/// checks' view and each step of a gradual failback, followed over one TTL.
fn breakpoints(router: &FailoverRouter, config: &FailoverConfig) -> Vec<SimTime> {
    breakpoints_of(router, config.dns_ttl, config.dns_shift)
}

fn breakpoints_of(router: &FailoverRouter, ttl: SimDuration, shift: DnsShift) -> Vec<SimTime> {
    let mut out = Vec::new();
    let steps = router.failback_steps();
    let changes = (0..router.regions().len())
        .flat_map(|r| router.observed_changes(r).iter().map(|&(t, _)| t))
        .chain(steps);
    for answer in changes {
        if ttl.is_zero() {
            out.push(answer);
            continue;
        }
        match shift {
            DnsShift::Step => out.push(answer + ttl),
            DnsShift::Linear => {
                let step = ttl.as_nanos() / RAMP_STEPS;
                for k in 0..RAMP_STEPS {
                    out.push(answer + SimDuration::from_nanos(k * step));
                }
                out.push(answer + ttl);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The live router, whatever a panic elsewhere did to the lock (that panic ends the run).
fn lock(live: &Mutex<FailoverRouter>) -> MutexGuard<'_, FailoverRouter> {
    match live.lock() {
        Ok(router) => router,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl FailoverGroup {
    /// The router as the run has it now: the live one with `WaitForCapacity`.
    pub fn current_router(&self) -> FailoverRouter {
        match &self.live {
            Some(live) => lock(live).clone(),
            None => self.router.clone(),
        }
    }

    /// The first instant after `now` where the split may change. With `WaitForCapacity`, also
    /// every health check while a returned region waits for its capacity: the run may add its
    /// return at any of them, and the traffic model must look again.
    pub fn next_breakpoint(&self, now: SimTime) -> Option<SimTime> {
        let Some(live) = &self.live else {
            let k = self.breakpoints.partition_point(|&b| b <= now);
            return self.breakpoints.get(k).copied();
        };
        let router = lock(live);
        let planned = breakpoints_of(&router, self.ttl, self.shift)
            .into_iter()
            .find(|&b| b > now);
        let polls = self
            .waits
            .iter()
            .filter(|&&(r, up_at)| {
                !router
                    .actual_changes(r)
                    .iter()
                    .any(|&(t, healthy)| healthy && t >= up_at)
            })
            .map(|&(_, up_at)| router.next_check_after(now.max(up_at)));
        planned.into_iter().chain(polls).min()
    }

    /// The rate each member receives from `now` until the next breakpoint, given the rate of
    /// the clients of each member's region (module docs: evaluated at the midpoint of the
    /// stretch, exact for a linear shift).
    pub fn rates_at(&self, now: SimTime, origin_rps: &[f64]) -> Vec<f64> {
        let at = match self.next_breakpoint(now) {
            Some(next) => now + SimDuration::from_nanos((next.as_nanos() - now.as_nanos()) / 2),
            None => now,
        };
        let n = self.members.len();
        let mut rates = vec![0.0; n];
        for (o, &rps) in origin_rps.iter().enumerate().take(n) {
            if rps <= 0.0 {
                continue;
            }
            let shares = match &self.live {
                Some(live) => lock(live).shares_from(at, o),
                None => self.router.shares_from(at, o),
            };
            for (rate, share) in rates.iter_mut().zip(&shares) {
                *rate += rps * share;
            }
            rates[o] += rps * unserved(&shares);
        }
        rates
    }
}

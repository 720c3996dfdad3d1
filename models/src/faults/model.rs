//! The `FaultInjector` model: every fault of a run, turned into orders to the `Cluster`.
//!
//! * **Spot reclaims**: one [`SpotClock`] per `spot` entry (stream
//!   `faults/spot/<region>/<pool>`). At its signal the victim, uniform among the pool's Ready
//!   nodes not already under notice, gets its notice: at `notice_at` the cluster drains it
//!   (`RemoveOrder { drain: true, reason: SpotInterruption }`: cordon, evict, terminate after
//!   the pods' grace periods, as Karpenter's interruption controller does) and at `reclaim_at`
//!   it is terminated if it is still there. With a rebalance lead the clock's instant is the
//!   recommendation, on which nothing acts (Karpenter's default), and the notice follows.
//! * **Waves** (`waves[k]`, stream `faults/wave/<pool or zone>/<j>` for the `j`-th wave on that
//!   target): the start is drawn (or given) first from the stream, then at the start
//!   `round(share × n)` of the scope's Ready spot nodes get notices spread over the window; each
//!   victim's reclaim follows its pool's notice (the cloud's when the pool has no `spot`
//!   entry; rebalance leads do not apply to a wave).
//! * **Node failures**: per `node_failures` entry an MTBF clock (stream
//!   `faults/node/<region>/<pool>`) and the scheduled failures (stream
//!   `faults/node/<region>/<pool>/scheduled`, drawn in time order). A victim fails at once
//!   (`FaultOrder::FailNode`) and its pods are evicted and the instance replaced at
//!   `evicted_at` of the node lifecycle timeline (`FaultOrder::EvictNode`).
//! * **Zone and regional outages** from [`resolve_outages`] (streams
//!   `faults/outage/<zone|region>/<name>/<k>`): `ZoneDown` for each zone at the start,
//!   `EvictZone` once the node lifecycle controller would evict (grace period + toleration)
//!   if the outage lasts that long, `ZoneUp` at the end (`models::cluster::failures`, through [`FaultOrder`]).
//!
//! The clocks' rates follow the number of nodes at risk (Ready, not under notice, not
//! failed). The injector reads it from the cluster ([`NodeCensus`]) at each of its events and
//! every [`CENSUS_PERIOD`] while it has a clock, so the autoscalers' changes reach the clocks
//! within a minute: the hazard integrates a node count sampled each minute (a node launched
//! between two readings is at risk from the next one). Every timer lives in one heap, with one
//! self-scheduled event at the earliest (DESIGN.md, "Granularity").

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use nexosim::model::{Context, Model, schedulable};
use nexosim::ports::{Output, Requestor};
use nexosim::simulation::EventKey;
use serde::{Deserialize, Serialize};
use sim::rng::{self, Stream};
use sim::time::{SimDuration, SimTime};

use super::config::{WaveConfig, WaveScope};
use super::node_failure::{
    NodeFailure, NodeFailureClock, NodeLifecycleConfig, scheduled_failures, scheduled_stream,
};
use super::outage::{Outage, OutageScope};
use super::plan::FaultsPlan;
use super::spot::{SpotClock, SpotTimings, wave_interruptions, wave_stream_path};
use crate::api::{CapacityType, FaultOrder, NodeCensus, Reason, RemoveOrder};
use crate::plan::PoolPlan;

/// How often the injector re-reads the node counts while it has a clock: one minute.
pub const CENSUS_PERIOD: SimDuration = SimDuration::from_secs(60);

/// What is due at an instant of the injector's heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Due {
    /// Re-read the node counts.
    Census,
    /// A clock may fire (checked against the clock itself: stale entries do nothing).
    Clock,
    /// A spot notice: drain the node, reclaim it at `reclaim_ns`.
    Notice {
        node: u32,
        reclaim_ns: u64,
    },
    Reclaim {
        node: u32,
    },
    Wave(usize),
    /// `node_failures[entry].scheduled[k]`.
    Scheduled {
        entry: usize,
        k: usize,
    },
    /// A failed node's pods are evicted, the instance replaced.
    Evict {
        node: u32,
    },
    OutageStart(usize),
    OutageEvict(usize),
    OutageEnd(usize),
}

struct Wave {
    config: WaveConfig,
    rng: Stream,
    /// Spot pools in scope (the pool, or every spot pool with the zone).
    pools: Vec<u32>,
}

struct NodeClock {
    pool: u32,
    clock: NodeFailureClock,
}

struct SpotPool {
    pool: u32,
    clock: SpotClock,
}

/// The injector's state (plain Rust: nexosim's checkpoints are never taken).
#[derive(Default)]
struct State {
    /// Each pool's zones, by pool index.
    zones: Vec<Vec<String>>,
    spot: Vec<SpotPool>,
    node_clocks: Vec<NodeClock>,
    /// Notice of each spot pool with a `spot` entry; others get `default_notice`.
    notice_by_pool: BTreeMap<u32, SimDuration>,
    default_timings: Option<SpotTimings>,
    lifecycle: NodeLifecycleConfig,
    /// The pool of each `node_failures` entry and the node count of each of its scheduled
    /// failures.
    scheduled: Vec<(u32, Vec<u32>)>,
    scheduled_rngs: BTreeMap<u32, Stream>,
    waves: Vec<Wave>,
    /// Each outage and the zones it takes down.
    outages: Vec<(Outage, Vec<String>)>,
    due: BinaryHeap<Reverse<(u64, u64, Due)>>,
    seq: u64,
    /// Instants at which a `Clock` entry is already in the heap.
    clock_wakes: BTreeSet<u64>,
    census_at: Option<u64>,
    /// Nodes under a spot notice or failed: no longer at risk.
    noticed: BTreeSet<u32>,
    failed: BTreeSet<u32>,
}

/// Spot reclaims, waves, node failures and outages (module docs).
#[derive(Serialize, Deserialize)]
pub struct FaultInjector {
    #[serde(skip)]
    state: State,
    #[serde(skip)]
    wake: Option<(u64, EventKey)>,
    /// Reads the nodes not yet gone from the cluster.
    pub census: Requestor<(), NodeCensus>,
    /// Spot notices and reclaims.
    pub remove: Output<Vec<RemoveOrder>>,
    /// Node failures and zone outages.
    pub faults: Output<Vec<FaultOrder>>,
}

impl FaultInjector {
    /// The injector of a plan over the cluster's `pools`; `outages` from
    /// [`super::outage::resolve_outages`] with the same seed.
    pub fn new(plan: &FaultsPlan, pools: &[PoolPlan], seed: u64, outages: &[Outage]) -> Self {
        let config = &plan.config;
        let pool_index = |name: &str| pools.iter().position(|p| p.name == name).map(|p| p as u32);
        let mut s = State {
            zones: pools.iter().map(|p| p.zones.clone()).collect(),
            default_timings: Some(SpotTimings {
                notice: plan.cloud.spot_notice(),
                rebalance_lead: None,
            }),
            lifecycle: config.node_lifecycle,
            ..State::default()
        };
        for sp in &plan.spot {
            let p = &pools[sp.pool as usize];
            s.spot.push(SpotPool {
                pool: sp.pool,
                clock: SpotClock::new(seed, &p.region, &p.name, sp.rate_per_node_hour, sp.timings),
            });
            s.notice_by_pool.insert(sp.pool, sp.timings.notice);
        }
        // A wave victim's pool without a `spot` entry: its own region's cloud's notice.
        for (pool, cloud) in plan.pool_clouds.iter().enumerate() {
            if *cloud != plan.cloud {
                s.notice_by_pool
                    .entry(pool as u32)
                    .or_insert(cloud.spot_notice());
            }
        }
        for (entry, nf) in config.node_failures.iter().enumerate() {
            let Some(pool) = pool_index(&nf.pool) else {
                continue;
            };
            let p = &pools[pool as usize];
            if let Some(mtbf) = nf.mtbf {
                s.node_clocks.push(NodeClock {
                    pool,
                    clock: NodeFailureClock::new(seed, &p.region, &p.name, mtbf, s.lifecycle),
                });
            }
            let mut list = Vec::new();
            for (k, f) in nf.scheduled.iter().enumerate() {
                list.push(f.nodes);
                s.push(SimTime::ZERO + f.at, Due::Scheduled { entry, k });
            }
            s.scheduled.push((pool, list));
            s.scheduled_rngs
                .insert(pool, scheduled_stream(seed, &p.region, &p.name));
        }
        for (k, w) in config.waves.iter().enumerate() {
            let target = w.scope.target();
            let j = config.waves[..k]
                .iter()
                .filter(|o| o.scope.target() == target)
                .count();
            let mut rng = rng::stream(seed, &wave_stream_path(target, j));
            let start = SimTime::ZERO + w.at.draw(&mut rng);
            let in_scope: Vec<u32> = match &w.scope {
                WaveScope::Pool { pool, .. } => pool_index(pool).into_iter().collect(),
                WaveScope::Zone { zone, .. } => (0..pools.len() as u32)
                    .filter(|&p| {
                        let pool = &pools[p as usize];
                        pool.capacity_type == CapacityType::Spot && pool.zones.contains(zone)
                    })
                    .collect(),
            };
            s.waves.push(Wave {
                config: w.clone(),
                rng,
                pools: in_scope,
            });
            s.push(start, Due::Wave(k));
        }
        for (k, o) in outages.iter().enumerate() {
            let zones = match &o.scope {
                OutageScope::Zone(z) => vec![z.clone()],
                OutageScope::Region(r) => plan.zones_of(r),
            };
            s.outages.push((o.clone(), zones));
            s.push(o.start, Due::OutageStart(k));
        }
        FaultInjector {
            state: s,
            wake: None,
            census: Requestor::default(),
            remove: Output::default(),
            faults: Output::default(),
        }
    }

    /// Everything due at `now`, then the orders, then the next wake-up.
    async fn run_due(&mut self, cx: &Context<Self>) {
        let now = SimTime::from_monotonic(cx.time());
        let census = self.census.send(()).await.next().unwrap_or_default();
        let mut removes = Vec::new();
        let mut faults = Vec::new();
        self.state.fire_clocks(now, &census, &mut faults);
        while let Some(&Reverse((at, _, due))) = self.state.due.peek() {
            if at > now.as_nanos() {
                break;
            }
            self.state.due.pop();
            self.state
                .handle(due, now, &census, &mut removes, &mut faults);
        }
        self.state.set_counts(now, &census);
        self.state.forget_gone(&census);
        if !removes.is_empty() {
            self.remove.send(removes).await;
        }
        if !faults.is_empty() {
            self.faults.send(faults).await;
        }
        self.reschedule(cx);
    }

    fn reschedule(&mut self, cx: &Context<Self>) {
        let next = self.state.due.peek().map(|&Reverse((at, _, _))| at);
        if next == self.wake.as_ref().map(|w| w.0) {
            return;
        }
        if let Some((_, key)) = self.wake.take() {
            key.cancel();
        }
        if let Some(at) = next {
            let instant = SimTime::from_nanos(at).to_monotonic();
            let key = cx
                .schedule_keyed_event(instant, schedulable!(Self::tick), ())
                .unwrap_or_else(|e| {
                    let now = SimTime::from_monotonic(cx.time());
                    panic!("faults: wake-up at {at} ns refused at {now:?}: {e}")
                });
            self.wake = Some((at, key));
        }
    }
}

impl State {
    fn push(&mut self, at: SimTime, due: Due) {
        self.seq += 1;
        self.due.push(Reverse((at.as_nanos(), self.seq, due)));
    }

    /// Ready nodes of a pool still at risk.
    fn at_risk(&self, census: &NodeCensus, pool: u32) -> impl Iterator<Item = u32> {
        census
            .ready_in_pool(pool)
            .filter(|n| !self.noticed.contains(n) && !self.failed.contains(n))
    }

    /// How many Ready nodes of a pool are still at risk: the pool's Ready nodes less those
    /// under a notice or failed, looked up one by one (a handful) rather than the pool's
    /// nodes walked at each event for every pool (~2.5 % of a full day).
    fn at_risk_count(&self, census: &NodeCensus, pool: u32) -> u32 {
        let ready = |n: &&u32| census.is_ready_in(pool, **n);
        let noticed = self.noticed.iter().filter(ready).count();
        let failed = self
            .failed
            .iter()
            .filter(ready)
            .filter(|n| !self.noticed.contains(n))
            .count();
        let n = census.ready_count(pool) - noticed - failed;
        debug_assert_eq!(n, self.at_risk(census, pool).count(), "pool {pool} at risk");
        n as u32
    }

    /// Fires every clock due by `now` (before the counts move on: a clock updated at its own
    /// instant would push its event a nanosecond later).
    fn fire_clocks(&mut self, now: SimTime, census: &NodeCensus, faults: &mut Vec<FaultOrder>) {
        for k in 0..self.spot.len() {
            if self.spot[k]
                .clock
                .next_signal_at()
                .is_some_and(|t| t <= now)
            {
                let ids: Vec<u32> = self.at_risk(census, self.spot[k].pool).collect();
                if let Some(i) = self.spot[k].clock.interrupt(now, &ids) {
                    self.noticed.insert(i.node);
                    let reclaim_ns = i.reclaim_at.as_nanos();
                    self.push(
                        i.notice_at,
                        Due::Notice {
                            node: i.node,
                            reclaim_ns,
                        },
                    );
                }
            }
        }
        for k in 0..self.node_clocks.len() {
            if self.node_clocks[k]
                .clock
                .next_failure_at()
                .is_some_and(|t| t <= now)
            {
                let ids: Vec<u32> = self.at_risk(census, self.node_clocks[k].pool).collect();
                if let Some(f) = self.node_clocks[k].clock.fail(now, &ids) {
                    self.fail(f, "node failure (MTBF clock)", faults);
                }
            }
        }
    }

    /// Brings every clock's node count to now, and keeps a wake-up at each next instant and a
    /// periodic census while there is a clock.
    fn set_counts(&mut self, now: SimTime, census: &NodeCensus) {
        let mut next = Vec::new();
        for k in 0..self.spot.len() {
            let n = self.at_risk_count(census, self.spot[k].pool);
            self.spot[k].clock.set_nodes(now, n);
            next.extend(self.spot[k].clock.next_signal_at());
        }
        for k in 0..self.node_clocks.len() {
            let n = self.at_risk_count(census, self.node_clocks[k].pool);
            self.node_clocks[k].clock.set_nodes(now, n);
            next.extend(self.node_clocks[k].clock.next_failure_at());
        }
        self.clock_wakes.retain(|&t| t > now.as_nanos());
        for t in next {
            if self.clock_wakes.insert(t.as_nanos()) {
                self.push(t, Due::Clock);
            }
        }
        let has_clocks = !self.spot.is_empty() || !self.node_clocks.is_empty();
        if has_clocks && self.census_at.is_none_or(|t| t <= now.as_nanos()) {
            let at = now + CENSUS_PERIOD;
            self.census_at = Some(at.as_nanos());
            self.push(at, Due::Census);
        }
    }

    /// Forgets the noticed and failed nodes the census no longer lists: gone for good (node
    /// ids are never reused), they can never be at risk again. The sets stay as small as the
    /// nodes under a notice or failed now, not every node the day has lost, and the clocks'
    /// count of nodes at risk at each event looks up a handful, not thousands (issue 27).
    fn forget_gone(&mut self, census: &NodeCensus) {
        self.noticed.retain(|&n| census.is_live(n));
        self.failed.retain(|&n| census.is_live(n));
    }

    fn fail(&mut self, f: NodeFailure, what: &str, faults: &mut Vec<FaultOrder>) {
        self.failed.insert(f.node);
        let lc = self.lifecycle;
        faults.push(FaultOrder::FailNode {
            node: f.node,
            why: format!(
                "{what}: stopped responding; Ready=Unknown after the {} node monitor grace \
                 period, pods evicted {} later",
                lc.node_monitor_grace_period, lc.unreachable_toleration
            ),
        });
        self.push(f.evicted_at, Due::Evict { node: f.node });
    }

    fn handle(
        &mut self,
        due: Due,
        now: SimTime,
        census: &NodeCensus,
        removes: &mut Vec<RemoveOrder>,
        faults: &mut Vec<FaultOrder>,
    ) {
        match due {
            Due::Census | Due::Clock => {}
            Due::Notice { node, reclaim_ns } => {
                let reclaim_at = SimTime::from_nanos(reclaim_ns);
                removes.push(RemoveOrder {
                    node,
                    drain: true,
                    reason: Reason::SpotInterruption,
                    why: format!(
                        "spot interruption notice: the instance is reclaimed in {}",
                        reclaim_at.saturating_duration_since(now)
                    ),
                });
                self.push(reclaim_at, Due::Reclaim { node });
            }
            Due::Reclaim { node } => {
                if census.is_live(node) {
                    removes.push(RemoveOrder {
                        node,
                        drain: false,
                        reason: Reason::SpotInterruption,
                        why: "spot instance reclaimed".to_owned(),
                    });
                }
            }
            Due::Wave(k) => self.wave(k, now, census),
            Due::Scheduled { entry, k } => {
                let (pool, list) = &self.scheduled[entry];
                let (pool, count) = (*pool, list[k]);
                let ids: Vec<u32> = self.at_risk(census, pool).collect();
                let Some(rng) = self.scheduled_rngs.get_mut(&pool) else {
                    return;
                };
                for f in scheduled_failures(rng, now, count, &ids, &self.lifecycle) {
                    self.fail(f, "scheduled node failure", faults);
                }
            }
            Due::Evict { node } => faults.push(FaultOrder::EvictNode {
                node,
                why: format!(
                    "taint manager: node unreachable past the {} toleration; pods evicted, \
                     instance replaced",
                    self.lifecycle.unreachable_toleration
                ),
            }),
            Due::OutageStart(k) => {
                let (outage, zones) = &self.outages[k];
                let what = outage_name(outage);
                let evict_at = outage.start
                    + self.lifecycle.node_monitor_grace_period
                    + self.lifecycle.unreachable_toleration;
                let end = outage.end;
                for zone in zones {
                    faults.push(FaultOrder::ZoneDown {
                        zone: zone.clone(),
                        why: format!(
                            "{what} until {}",
                            end.saturating_duration_since(SimTime::ZERO)
                        ),
                    });
                }
                if evict_at < end {
                    self.push(evict_at, Due::OutageEvict(k));
                }
                self.push(end, Due::OutageEnd(k));
            }
            Due::OutageEvict(k) => {
                let (outage, zones) = &self.outages[k];
                let what = outage_name(outage);
                for zone in zones {
                    faults.push(FaultOrder::EvictZone {
                        zone: zone.clone(),
                        why: format!("{what}: node unreachable past the toleration; pods evicted"),
                    });
                }
            }
            Due::OutageEnd(k) => {
                let (outage, zones) = &self.outages[k];
                let what = outage_name(outage);
                for zone in zones {
                    faults.push(FaultOrder::ZoneUp {
                        zone: zone.clone(),
                        why: format!("{what} over: node reachable and Ready"),
                    });
                }
            }
        }
    }

    /// A wave starts: its victims get notices over its window.
    fn wave(&mut self, k: usize, now: SimTime, census: &NodeCensus) {
        let wave = &self.waves[k];
        let mut candidates: Vec<u32> = match &wave.config.scope {
            WaveScope::Pool { .. } => wave
                .pools
                .iter()
                .flat_map(|&p| census.ready_in_pool(p))
                .collect(),
            WaveScope::Zone { zone, .. } => census.ready_in_zone(
                zone,
                |p| wave.pools.contains(&p),
                |p, z| self.zones[p as usize][z as usize].clone(),
            ),
        };
        candidates.retain(|n| !self.noticed.contains(n) && !self.failed.contains(n));
        let Some(timings) = self.default_timings else {
            return;
        };
        let (window, share) = (wave.config.window, wave.config.scope.share());
        let wave = &mut self.waves[k];
        let victims = wave_interruptions(&mut wave.rng, now, window, share, &candidates, timings);
        for i in victims {
            let pool = census.pool_of_ready(i.node).unwrap_or(0);
            let notice = self
                .notice_by_pool
                .get(&pool)
                .copied()
                .unwrap_or(timings.notice);
            self.noticed.insert(i.node);
            let reclaim_ns = (i.notice_at + notice).as_nanos();
            self.push(
                i.notice_at,
                Due::Notice {
                    node: i.node,
                    reclaim_ns,
                },
            );
        }
    }
}

fn outage_name(o: &Outage) -> String {
    match &o.scope {
        OutageScope::Zone(z) => format!("zone {z} outage"),
        OutageScope::Region(r) => format!("region {r} outage"),
    }
}

#[Model]
impl FaultInjector {
    #[nexosim(init)]
    async fn init(&mut self, cx: &Context<Self>) {
        self.run_due(cx).await;
    }

    #[nexosim(schedulable)]
    async fn tick(&mut self, _: (), cx: &Context<Self>) {
        self.wake = None;
        self.run_due(cx).await;
    }
}

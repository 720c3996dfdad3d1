//! The global load balancer's state: which regions the health checks see as healthy, what DNS
//! answers, and how much of each client region's traffic each region receives at a time.
//!
//! Pure: given the regions' actual health events ([`FailoverRouter::set_health`]), every
//! answer is a function of the time asked about. Three steps, each documented where it is
//! computed:
//!
//! 1. **Health checks** ([`observed_changes`]). Checks run at `offset + k × interval`; a check
//!    at `c` sees the state of the latest event strictly before `c` (a check at the very
//!    instant of a failure saw the region still up). A region's status flips after
//!    `failure_threshold` consecutive checks that disagree with it, in either direction, as
//!    Route 53 does (`FailureThreshold`: "the number of consecutive health checks that an
//!    endpoint must pass or fail ... to change the current status"). So a failure at `t` is
//!    detected at `next_check_after(t) + (threshold − 1) × interval`: between
//!    `(threshold − 1) × interval` (exclusive) and `threshold × interval` after it; with the
//!    default offset 0 and a failure on a multiple of the interval, exactly
//!    `threshold × interval` (10 s × 3 = 30 s). An outage shorter than that may never be seen.
//!    Route 53 aggregates many checkers (healthy when more than 18 % report healthy); one
//!    checker stands for them here.
//! 2. **DNS answer** (per client region, a share per serving region), from the regions seen
//!    healthy and the policy: `Latency` (own region, else the nearest healthy), `Weighted`
//!    (weights over healthy regions; weight-0 regions only when no positive one is healthy),
//!    `Failover` (first healthy in priority order). In `ActivePassive` mode only the primary
//!    is eligible while it is seen healthy, and the standbys once it is not. With no eligible
//!    region the answer is empty: every share 0 and `no_region_can_serve` (Route 53 would then
//!    answer with every record, "fail open"; no region can serve either way, so the traffic is
//!    reported unserved rather than sent to a dead region).
//! 3. **Clients** follow the answer with the DNS TTL: `Step` — every cache expires one TTL
//!    after the change, so the clients' view at `t` is the answer at `t − TTL` (the latest a
//!    TTL-honouring client moves); `Linear` — clients re-resolve at instants spread uniformly
//!    over the TTL, so the view at `t` is the answer averaged over `[t − TTL, t]`, and the share
//!    on a new answer grows linearly from 0 to 1 over one TTL. Either way every client has
//!    moved one TTL after the change. (Resolvers and clients that ignore TTLs are not modelled.)
//!
//! Shares sent to a region that is actually down are reported (`to_down`) so the integrator
//! counts them as failed requests.
//!
//! **Failback.** With `failback: Gradual(ramp)`, a region the health checks pass again does not
//! enter the answer at once: over `[seen healthy, + ramp]`, in [`FAILBACK_STEPS`] steps each at
//! its midpoint's value, the answer is `f × (answer with it) + (1 − f) × (answer without it)`,
//! `f` growing linearly from 0 to 1 (exact in request counts for one region returning at a time;
//! overlapping returns blend one after the other). Clients then follow each step with the TTL
//! as above. With `failback: WaitForCapacity(share)` a region's return is not one of the
//! outages' events: the run adds it (`set_health`) when the region's deep health check passes
//! with its capacity back (`faults::gate`), and the checks and clients follow it as any return.

use sim::time::{SimDuration, SimTime};

use super::ConfigError;
use super::config::{DnsShift, Failback, FailoverConfig, FailoverMode, RoutingPolicy};
use super::outage::HealthEvent;

/// Steps of a gradual failback ramp: 10, so one a minute for a 10-minute ramp.
pub const FAILBACK_STEPS: u64 = 10;

/// How a client region's traffic is split at an instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// Share per region of the load balancer, in its order; they sum to `1 − unserved`.
    pub shares: Vec<(String, f64)>,
    /// Share that no region receives (clients whose answer had no healthy region).
    pub unserved: f64,
    /// Share sent to regions that are actually down at that instant (their requests fail).
    pub to_down: f64,
    /// The current DNS answer has no eligible region.
    pub no_region_can_serve: bool,
}

/// The policy with region names resolved to indices.
#[derive(Debug, Clone)]
enum Policy {
    /// Per client region, every region in preference order (own first).
    Latency(Vec<Vec<usize>>),
    Weighted(Vec<f64>),
    /// Every region in priority order.
    Failover(Vec<usize>),
}

/// One DNS answer, in force from `from` until the next one.
#[derive(Debug, Clone)]
struct Answer {
    from: SimTime,
    /// `rows[client][server]`.
    rows: Vec<Vec<f64>>,
    empty: bool,
}

/// The global load balancer.
#[derive(Debug, Clone)]
pub struct FailoverRouter {
    regions: Vec<String>,
    interval: SimDuration,
    offset: SimDuration,
    threshold: u32,
    ttl: SimDuration,
    shift: DnsShift,
    policy: Policy,
    /// Index of the primary in active-passive mode.
    primary: Option<usize>,
    standby_min_replicas: u32,
    failback: Failback,
    /// Actual health changes per region, sorted, only real changes (starts healthy).
    actual: Vec<Vec<(SimTime, bool)>>,
    /// Health-check status changes per region.
    observed: Vec<Vec<(SimTime, bool)>>,
    /// DNS answers, sorted by `from`; the first is from time zero.
    answers: Vec<Answer>,
}

impl FailoverRouter {
    /// A router over `config.regions`, or `all_regions` when the config lists none; every
    /// region healthy until told otherwise. Names are checked (the loader reports the same
    /// errors earlier, with positions, through `FaultsConfig::check_references`).
    pub fn new(config: &FailoverConfig, all_regions: &[String]) -> Result<Self, ConfigError> {
        let regions: Vec<String> = config
            .regions
            .clone()
            .unwrap_or_else(|| all_regions.to_vec());
        if regions.is_empty() {
            return Err(ConfigError::new(
                "failover.regions",
                "expected at least one region",
            ));
        }
        let index = |path: &str, name: &str| {
            regions.iter().position(|r| r == name).ok_or_else(|| {
                ConfigError::new(
                    path,
                    format!("`{name}` is not a region of the load balancer"),
                )
            })
        };
        // Every region, `first` in the given order, then the rest in `regions` order.
        let complete = |first: Vec<usize>| {
            let mut order = first;
            for i in 0..regions.len() {
                if !order.contains(&i) {
                    order.push(i);
                }
            }
            order
        };
        let policy = match &config.routing {
            RoutingPolicy::Latency => {
                let mut prefs = Vec::new();
                for (i, name) in regions.iter().enumerate() {
                    let mut first = vec![i];
                    for n in config.nearest.get(name).into_iter().flatten() {
                        first.push(index(&format!("failover.nearest.{name}"), n)?);
                    }
                    prefs.push(complete(first));
                }
                Policy::Latency(prefs)
            }
            RoutingPolicy::Weighted(w) => {
                let mut weights = vec![0.0; regions.len()];
                for (name, v) in w {
                    weights[index(&format!("failover.routing.Weighted.{name}"), name)?] = *v;
                }
                Policy::Weighted(weights)
            }
            RoutingPolicy::Failover(list) => {
                let mut first = Vec::new();
                for (i, n) in list.iter().enumerate() {
                    first.push(index(&format!("failover.routing.Failover[{i}]"), n)?);
                }
                Policy::Failover(complete(first))
            }
        };
        let (primary, standby_min_replicas) = match &config.mode {
            FailoverMode::ActiveActive => (None, 0),
            FailoverMode::ActivePassive {
                primary,
                standby_min_replicas,
            } => (
                Some(index("failover.mode.primary", primary)?),
                *standby_min_replicas,
            ),
        };
        let n = regions.len();
        let mut router = FailoverRouter {
            regions,
            interval: config.health_check_interval,
            offset: config.health_check_offset,
            threshold: config.failure_threshold,
            ttl: config.dns_ttl,
            shift: config.dns_shift,
            policy,
            primary,
            standby_min_replicas,
            failback: config.failback,
            actual: vec![Vec::new(); n],
            observed: vec![Vec::new(); n],
            answers: Vec::new(),
        };
        router.recompute();
        Ok(router)
    }

    pub fn regions(&self) -> &[String] {
        &self.regions
    }

    pub fn region_index(&self, name: &str) -> Option<usize> {
        self.regions.iter().position(|r| r == name)
    }

    /// Records a region's actual health from `event.at` on. Events may come in any order; a
    /// repeated state is ignored. Answers about instants before the latest event stay valid
    /// only if the events were added in time order (detection always follows the event).
    pub fn set_health(&mut self, event: HealthEvent) {
        let Some(list) = self.actual.get_mut(event.region) else {
            return;
        };
        let pos = list.partition_point(|&(t, _)| t <= event.at);
        list.insert(pos, (event.at, event.healthy));
        // Keep only changes, starting from healthy.
        let mut state = true;
        list.retain(|&(_, h)| {
            let change = h != state;
            state = h;
            change
        });
        self.recompute();
    }

    /// Whether the region is actually up at `t`.
    pub fn is_up(&self, region: usize, t: SimTime) -> bool {
        state_at(&self.actual[region], t)
    }

    /// Whether the health checks see the region healthy at `t`.
    pub fn seen_healthy(&self, region: usize, t: SimTime) -> bool {
        state_at(&self.observed[region], t)
    }

    /// The health checks' status changes of a region: `(instant, healthy)`.
    pub fn observed_changes(&self, region: usize) -> &[(SimTime, bool)] {
        &self.observed[region]
    }

    /// The first health check strictly after `t` (checks run at `offset + k × interval`).
    pub fn next_check_after(&self, t: SimTime) -> SimTime {
        let (step, phase, t) = (
            self.interval.as_nanos(),
            self.offset.as_nanos(),
            t.as_nanos(),
        );
        SimTime::from_nanos(if t < phase {
            phase
        } else {
            phase + ((t - phase) / step + 1) * step
        })
    }

    /// The region's actual health changes: `(instant, healthy)`, starting from healthy.
    pub fn actual_changes(&self, region: usize) -> &[(SimTime, bool)] {
        &self.actual[region]
    }

    /// How traffic returns to a recovered region.
    pub fn failback(&self) -> Failback {
        self.failback
    }

    /// When the health checks first see the region unhealthy at or after `failed_at`.
    pub fn detected_at(&self, region: usize, failed_at: SimTime) -> Option<SimTime> {
        self.observed[region]
            .iter()
            .find(|&&(t, h)| !h && t >= failed_at)
            .map(|&(t, _)| t)
    }

    /// When every client has followed an answer that changed at `changed_at`.
    pub fn clients_moved_at(&self, changed_at: SimTime) -> SimTime {
        changed_at + self.ttl
    }

    /// Replicas each standby keeps warm: `Some` for the standbys of active-passive mode.
    pub fn standby_min_replicas(&self, region: usize) -> Option<u32> {
        match self.primary {
            Some(p) if p != region => Some(self.standby_min_replicas),
            _ => None,
        }
    }

    /// How the traffic of clients in region `origin` (an index below `regions().len()`) is
    /// split at `t`.
    pub fn split_from(&self, t: SimTime, origin: usize) -> Split {
        self.split(t, self.shares_from(t, origin))
    }

    /// [`Self::split_from`]'s `shares` by region index, without the names: what the rates of
    /// a failover group need, for every client region at every breakpoint (47 names copied
    /// per client region were most of a 47-region day's failover cost).
    pub fn shares_from(&self, t: SimTime, origin: usize) -> Vec<f64> {
        let n = self.regions.len();
        let mut shares = vec![0.0; n];
        match self.shift {
            _ if self.ttl.is_zero() => add_row(&mut shares, &self.answer_at(t).rows[origin], 1.0),
            DnsShift::Step => {
                let seen = SimTime::from_nanos(t.as_nanos().saturating_sub(self.ttl.as_nanos()));
                add_row(&mut shares, &self.answer_at(seen).rows[origin], 1.0);
            }
            DnsShift::Linear => {
                // Average of the answers over [t − TTL, t]; before time zero the first answer.
                let ttl_ns = self.ttl.as_nanos() as f64;
                let lo = t.as_nanos() as f64 - ttl_ns;
                for (k, a) in self.answers.iter().enumerate() {
                    let start = if k == 0 {
                        f64::NEG_INFINITY
                    } else {
                        a.from.as_nanos() as f64
                    };
                    let end = self
                        .answers
                        .get(k + 1)
                        .map_or(f64::INFINITY, |b| b.from.as_nanos() as f64);
                    let overlap = end.min(t.as_nanos() as f64) - start.max(lo);
                    if overlap > 0.0 {
                        add_row(&mut shares, &a.rows[origin], overlap / ttl_ns);
                    }
                }
            }
        }
        shares
    }

    /// The global split at `t` of traffic arriving at `origin_rps[i]` requests/s from clients
    /// in region `i` (the load balancer's order); equal origins if every rate is 0.
    pub fn weights_at(&self, t: SimTime, origin_rps: &[f64]) -> Split {
        let n = self.regions.len();
        let total: f64 = origin_rps.iter().take(n).sum();
        let mut shares = vec![0.0; n];
        for origin in 0..n {
            let w = if total > 0.0 {
                origin_rps.get(origin).copied().unwrap_or(0.0) / total
            } else {
                1.0 / n as f64
            };
            if w > 0.0 {
                for (s, x) in shares.iter_mut().zip(self.shares_from(t, origin)) {
                    *s += w * x;
                }
            }
        }
        self.split(t, shares)
    }

    fn split(&self, t: SimTime, shares: Vec<f64>) -> Split {
        let to_down = shares
            .iter()
            .enumerate()
            .filter(|&(r, _)| !self.is_up(r, t))
            .map(|(_, s)| s)
            .sum();
        Split {
            unserved: unserved(&shares),
            shares: self.regions.iter().cloned().zip(shares).collect(),
            to_down,
            no_region_can_serve: self.answer_at(t).empty,
        }
    }

    fn answer_at(&self, t: SimTime) -> &Answer {
        let k = self.answers.partition_point(|a| a.from <= t);
        &self.answers[k.saturating_sub(1)]
    }

    fn recompute(&mut self) {
        self.observed = self
            .actual
            .iter()
            .map(|a| observed_changes(a, self.interval, self.offset, self.threshold))
            .collect();
        let mut instants: Vec<SimTime> = vec![SimTime::ZERO];
        instants.extend(self.observed.iter().flatten().map(|&(t, _)| t));
        instants.extend(self.failback_steps());
        instants.sort();
        instants.dedup();
        let ramps = self.failback_ramps();
        self.answers = instants
            .into_iter()
            .map(|from| {
                let healthy: Vec<bool> = (0..self.regions.len())
                    .map(|r| self.seen_healthy(r, from))
                    .collect();
                let mut answer = self.answer(from, &healthy);
                for &(r, start, ramp) in &ramps {
                    if !healthy[r] || from < start || from >= start + ramp {
                        continue;
                    }
                    let step = from.saturating_duration_since(start).as_nanos() * FAILBACK_STEPS
                        / ramp.as_nanos();
                    let f = (step as f64 + 0.5) / FAILBACK_STEPS as f64;
                    let mut without = healthy.clone();
                    without[r] = false;
                    let before = self.answer(from, &without);
                    for (row, old) in answer.rows.iter_mut().zip(&before.rows) {
                        for (x, y) in row.iter_mut().zip(old) {
                            *x = f * *x + (1.0 - f) * y;
                        }
                    }
                }
                answer
            })
            .collect();
    }

    /// Each gradual failback: `(region, seen healthy again at, ramp)`; none with `Immediate`.
    fn failback_ramps(&self) -> Vec<(usize, SimTime, SimDuration)> {
        let Failback::Gradual(ramp) = self.failback else {
            return Vec::new();
        };
        if ramp.is_zero() {
            return Vec::new();
        }
        self.observed
            .iter()
            .enumerate()
            .flat_map(|(r, changes)| {
                changes
                    .iter()
                    .filter(|&&(_, healthy)| healthy)
                    .map(move |&(t, _)| (r, t, ramp))
            })
            .collect()
    }

    /// The instants a gradual failback changes the answer (each step of each ramp, and its
    /// end), besides the health checks' changes.
    pub fn failback_steps(&self) -> Vec<SimTime> {
        self.failback_ramps()
            .into_iter()
            .flat_map(|(_, start, ramp)| {
                (1..=FAILBACK_STEPS).map(move |k| {
                    start + SimDuration::from_nanos(ramp.as_nanos() * k / FAILBACK_STEPS)
                })
            })
            .collect()
    }

    /// When a region's traffic is back in full after it was seen healthy again at `healthy_at`:
    /// the end of its failback ramp (if any), plus one TTL for the clients.
    pub fn failback_done_at(&self, healthy_at: SimTime) -> SimTime {
        let ramp = match self.failback {
            Failback::Gradual(ramp) => ramp,
            Failback::Immediate | Failback::WaitForCapacity(_) => SimDuration::ZERO,
        };
        healthy_at + ramp + self.ttl
    }

    /// The DNS answer when `healthy` regions are seen healthy.
    fn answer(&self, from: SimTime, healthy: &[bool]) -> Answer {
        let n = self.regions.len();
        let eligible: Vec<bool> = match self.primary {
            Some(p) if healthy[p] => (0..n).map(|r| r == p).collect(),
            Some(p) => (0..n).map(|r| r != p && healthy[r]).collect(),
            None => healthy.to_vec(),
        };
        let empty = !eligible.iter().any(|&e| e);
        let one_hot = |r: Option<usize>| {
            let mut row = vec![0.0; n];
            if let Some(r) = r {
                row[r] = 1.0;
            }
            row
        };
        let rows = match &self.policy {
            Policy::Latency(prefs) => prefs
                .iter()
                .map(|order| one_hot(order.iter().copied().find(|&r| eligible[r])))
                .collect(),
            Policy::Failover(order) => {
                vec![one_hot(order.iter().copied().find(|&r| eligible[r])); n]
            }
            Policy::Weighted(weights) => {
                let positive: f64 = (0..n).filter(|&r| eligible[r]).map(|r| weights[r]).sum();
                let count = eligible.iter().filter(|&&e| e).count();
                let row: Vec<f64> = (0..n)
                    .map(|r| match () {
                        _ if !eligible[r] => 0.0,
                        _ if positive > 0.0 => weights[r] / positive,
                        _ => 1.0 / count as f64,
                    })
                    .collect();
                vec![row; n]
            }
        };
        Answer { from, rows, empty }
    }
}

/// The share of a split that no region receives: what its shares leave of 1.
pub fn unserved(shares: &[f64]) -> f64 {
    (1.0 - shares.iter().sum::<f64>()).max(0.0)
}

fn add_row(into: &mut [f64], row: &[f64], weight: f64) {
    for (s, x) in into.iter_mut().zip(row) {
        *s += weight * x;
    }
}

/// The state at `t` of a list of changes that starts healthy.
fn state_at(changes: &[(SimTime, bool)], t: SimTime) -> bool {
    let k = changes.partition_point(|&(at, _)| at <= t);
    k == 0 || changes[k - 1].1
}

/// The health checks' status changes of a region whose actual changes are `actual` (sorted,
/// alternating, starting from healthy): module docs, step 1.
///
/// Walks the actual segments; a check at `c` belongs to the segment `(a, b]` with `a < c ≤ b`
/// (`a` = the segment's start event, `b` = the next event). `run` counts consecutive checks
/// that disagree with the current status; a segment that agrees and holds a check resets it.
pub fn observed_changes(
    actual: &[(SimTime, bool)],
    interval: SimDuration,
    offset: SimDuration,
    threshold: u32,
) -> Vec<(SimTime, bool)> {
    let (step, phase) = (interval.as_nanos(), offset.as_nanos());
    // The first check strictly after `a` (`None`: from the start of the run, check at `phase`).
    let first_check_after = |a: Option<u64>| match a {
        None => phase,
        Some(a) if a < phase => phase,
        Some(a) => phase + ((a - phase) / step + 1) * step,
    };
    let mut out = Vec::new();
    let mut status = true;
    let mut run: u64 = 0;
    let threshold = u64::from(threshold);
    let mut state = true;
    let mut start: Option<u64> = None;
    for k in 0..=actual.len() {
        let end = actual.get(k).map(|&(t, _)| t.as_nanos());
        let first = first_check_after(start);
        let checks = match end {
            Some(b) if first > b => 0,
            Some(b) => (b - first) / step + 1,
            None => u64::MAX,
        };
        if checks > 0 {
            if state == status {
                run = 0;
            } else if run.saturating_add(checks) >= threshold {
                let at = first + (threshold - run - 1) * step;
                out.push((SimTime::from_nanos(at), state));
                status = state;
                run = 0;
            } else {
                run = run.saturating_add(checks);
            }
        }
        if let Some(&(t, h)) = actual.get(k) {
            start = Some(t.as_nanos());
            state = h;
        }
    }
    out
}

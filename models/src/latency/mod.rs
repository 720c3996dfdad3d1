//! The latency state of one service in one region: an M/M/c queue while it is stable, a fluid
//! backlog while it is overloaded or draining, and the request-weighted account of what every
//! request experienced.
//!
//! Regimes (DESIGN.md, "Traffic is a rate"):
//! - no backlog and ρ = λ/(cμ) < 1: response time is the M/M/c FCFS sojourn time, from Erlang C
//!   (`workloads::queueing`);
//! - otherwise the backlog grows at λ − cμ (or drains at cμ − λ), every accepted request waits
//!   W = backlog/(cμ) and is then served in Exp(μ); requests that would wait longer than the
//!   timeout are dropped. The owner schedules an event at the instant a backlog empties, so a
//!   stretch of time never mixes the two regimes;
//! - without a ready pod, arrivals are refused, unless the service holds them at zero (a
//!   service an event-driven scaler scales to zero, `ServicePlan::hold_at_zero`): then they
//!   wait for the first pod, up to their timeout, and join the backlog with their wait so far
//!   (`held`), so a cold start counts in their latency.
//!
//! Whole-run figures are request-weighted: each stretch adds its arrivals, with their exact
//! latency distribution, to a log-bucketed histogram, so the run's p99 is the p99 of all
//! requests, not an average of sampled p99s.
//!
//! The same queue can instead be simulated request by request ([`Fidelity::Request`], the
//! `--fidelity request` mode, in `request`): slower, but free of the quasi-static and fluid
//! approximations, so a small run checks the figures above (`models/tests/fidelity.rs`).

mod held;
mod histogram;
mod request;

pub use histogram::Histogram;

use held::Held;
use histogram::Shares;

use request::RequestBackend;
use serde::{Deserialize, Serialize};
use sim::rng::Stream;
use sim::time::SimTime;
use std::cell::RefCell;
use workloads::queueing::{FluidQueue, Sojourn};

/// How a service's queue is simulated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fidelity {
    /// Rates and closed forms: M/M/c while stable, a fluid backlog otherwise. The default: its
    /// cost does not grow with the traffic.
    #[default]
    Fluid,
    /// Every request drawn and queued (`workloads::request_level`): cost proportional to the
    /// number of requests, for validating the fluid model on small runs.
    Request,
}

/// Latency figures at one instant, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatencyMs {
    pub mean: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
}

/// Request counts over a stretch of time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    pub arrived: f64,
    pub served: f64,
    pub dropped: f64,
    /// Served within the latency target (only counted when a target is set).
    pub within_target: f64,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.arrived += other.arrived;
        self.served += other.served;
        self.dropped += other.dropped;
        self.within_target += other.within_target;
    }
}

/// One service in one region, as a queue.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceQueue {
    mu_rps: f64,
    timeout_s: f64,
    target_s: Option<f64>,
    lambda_rps: f64,
    servers: u32,
    backend: Backend,
    since: SimTime,
    interval: Counts,
    total: Counts,
    histogram: Histogram,
    /// Whether arrivals wait for the first ready pod instead of being refused while there is
    /// none (`ServicePlan::hold_at_zero`; see `held`). Fluid only: the request-level queue
    /// always keeps its waiting requests until their timeout.
    hold_at_zero: bool,
    held: Held,
    /// The regime of the current servers, rate and service rate: its response time, and its
    /// bucket shares once a stretch with arrivals needed them. Kept while the three stay the
    /// same (a recomputation gives the same numbers), for the stretches and for the readers
    /// between two changes: a sample reads the regime a rate change at its instant has just
    /// set, and the next stretch then reuses it. In a cell so that the readers (`&self`) can
    /// fill it; not serialized: a deserialized queue recomputes it.
    #[serde(skip)]
    regime: RefCell<Option<Box<Regime>>>,
}

/// A regime: its `(servers, λ bits, μ bits)`, response time (`None` without a steady state)
/// and, once needed, bucket shares.
#[derive(Debug, Clone)]
struct Regime {
    key: (u32, u64, u64),
    sojourn: Option<Sojourn>,
    shares: Option<Shares>,
}

impl Regime {
    /// The regime of `(c, λ, μ)` in `slot`: the one there if its key matches, else a new one
    /// (one Erlang C) in its place.
    fn of(slot: &mut Option<Box<Regime>>, c: u32, lambda: f64, mu: f64) -> &mut Regime {
        let key = (c, lambda.to_bits(), mu.to_bits());
        let fresh = || Regime {
            key,
            sojourn: Sojourn::new(c, lambda, mu),
            shares: None,
        };
        if let Some(regime) = slot.as_deref_mut().filter(|r| r.key != key) {
            *regime = fresh();
        }
        slot.get_or_insert_with(|| Box::new(fresh()))
    }
}

/// What plays the requests between two calls.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum Backend {
    /// The closed forms, with the fluid backlog they need when overloaded.
    Fluid(FluidQueue),
    /// Boxed: the generator's block buffer makes it ten times the size of the fluid state.
    Request(Box<RequestBackend>),
}

impl ServiceQueue {
    /// An idle queue of `servers` pods that each serve `mu_rps` requests/s, modelled as a
    /// fluid ([`Fidelity::Fluid`]).
    pub fn new(mu_rps: f64, servers: u32, timeout_s: f64, target_s: Option<f64>) -> Self {
        Self::with_backend(
            mu_rps,
            servers,
            timeout_s,
            target_s,
            Backend::Fluid(FluidQueue {
                backlog_requests: 0.0,
            }),
        )
    }

    /// An idle queue as [`Self::new`], simulated at the given fidelity. `rng` is used only by
    /// [`Fidelity::Request`], for every arrival and service time: pass the service's own named
    /// stream, `sim::rng::stream(seed, "fidelity/<service>")`, so that adding a service does
    /// not change the draws of the others.
    pub fn with_fidelity(
        mu_rps: f64,
        servers: u32,
        timeout_s: f64,
        target_s: Option<f64>,
        fidelity: Fidelity,
        rng: Stream,
    ) -> Self {
        match fidelity {
            Fidelity::Fluid => Self::new(mu_rps, servers, timeout_s, target_s),
            Fidelity::Request => Self::with_backend(
                mu_rps,
                servers,
                timeout_s,
                target_s,
                Backend::Request(Box::new(RequestBackend::new(
                    mu_rps, servers, timeout_s, rng,
                ))),
            ),
        }
    }

    fn with_backend(
        mu_rps: f64,
        servers: u32,
        timeout_s: f64,
        target_s: Option<f64>,
        backend: Backend,
    ) -> Self {
        ServiceQueue {
            mu_rps,
            timeout_s,
            target_s,
            lambda_rps: 0.0,
            servers,
            backend,
            since: SimTime::ZERO,
            interval: Counts::default(),
            total: Counts::default(),
            histogram: Histogram::default(),
            hold_at_zero: false,
            held: Held::default(),
            regime: RefCell::new(None),
        }
    }

    /// The same queue, holding arrivals while no pod is ready when `hold` is set (a service an
    /// event-driven scaler scales to zero, `ServicePlan::hold_at_zero`) instead of refusing
    /// them.
    pub fn holding_at_zero(mut self, hold: bool) -> Self {
        self.hold_at_zero = hold;
        self
    }

    /// Requests/s the ready servers can serve.
    pub fn capacity_rps(&self) -> f64 {
        f64::from(self.servers) * self.mu_rps
    }

    /// Requests/s arriving now.
    pub fn arrival_rps(&self) -> f64 {
        self.lambda_rps
    }

    /// Queued requests: the fluid backlog and the requests held for a first pod, or the
    /// requests waiting for a server.
    pub fn backlog_requests(&self) -> f64 {
        match &self.backend {
            Backend::Fluid(fluid) => fluid.backlog_requests + self.held.requests(),
            Backend::Request(request) => request.waiting_requests(),
        }
    }

    /// Whether the fluid queue holds its arrivals now: no ready pod, and held at zero.
    fn holds_now(&self) -> bool {
        self.hold_at_zero && self.servers == 0 && matches!(self.backend, Backend::Fluid(_))
    }

    fn is_stable(&self) -> bool {
        self.backlog_requests() <= 0.0 && self.lambda_rps < self.capacity_rps()
    }

    /// Accounts for the requests of the stretch `[since, now)` under the current rate and
    /// capacity. Must be called before either changes.
    pub fn advance_to(&mut self, now: SimTime) {
        let dt_s = now.saturating_duration_since(self.since).as_secs_f64();
        let from_s = self.since.as_secs_f64();
        self.since = now;
        if dt_s <= 0.0 {
            return;
        }
        if self.holds_now() {
            self.hold(from_s, now.as_secs_f64());
            return;
        }
        self.release_held(from_s);
        let stable = self.is_stable();
        let (c, lambda, mu) = (self.servers, self.lambda_rps, self.mu_rps);
        let capacity = self.capacity_rps();
        let counts = match &mut self.backend {
            Backend::Request(request) => {
                let mut counts = Counts::default();
                request.advance_to(now, self.target_s, &mut counts, &mut self.histogram);
                counts
            }
            Backend::Fluid(_) if stable => {
                let n = lambda * dt_s;
                // One Erlang C for the regime and its survival at every bucket edge once; the
                // stretches and readers under the same regime reuse both.
                let regime = Regime::of(self.regime.get_mut(), c, lambda, mu);
                let sojourn = regime.sojourn;
                let survival = |t: f64| sojourn.map_or(1.0, |s| s.survival(t));
                if n > 0.0 {
                    let shares = regime.shares.get_or_insert_with(|| Shares::of(survival));
                    self.histogram.add_shares(n, shares);
                }
                Counts {
                    arrived: n,
                    served: n,
                    dropped: 0.0,
                    within_target: self.target_s.map_or(0.0, |x| n * (1.0 - survival(x))),
                }
            }
            Backend::Fluid(fluid) => {
                let step = fluid.advance(dt_s, lambda, capacity, self.timeout_s);
                let accepted = step.arrived - step.dropped;
                let wait = step.mean_wait_s;
                let survival = |t: f64| {
                    if t <= wait {
                        1.0
                    } else {
                        (-mu * (t - wait)).exp()
                    }
                };
                self.histogram.add(accepted, survival);
                Counts {
                    arrived: step.arrived,
                    served: step.served,
                    dropped: step.dropped,
                    within_target: self
                        .target_s
                        .map_or(0.0, |x| accepted * (1.0 - survival(x))),
                }
            }
        };
        self.interval.add(&counts);
        self.total.add(&counts);
    }

    /// No pod is ready and arrivals are held: the stretch `[from_s, to_s)` joins the held
    /// requests (any fluid backlog left has no server and no place in front of them, so it is
    /// dropped, as without holding).
    fn hold(&mut self, from_s: f64, to_s: f64) {
        let mut counts = Counts::default();
        if let Backend::Fluid(fluid) = &mut self.backend {
            counts.dropped += std::mem::take(&mut fluid.backlog_requests);
        }
        self.held
            .hold(from_s, to_s, self.lambda_rps, self.timeout_s, &mut counts);
        self.interval.add(&counts);
        self.total.add(&counts);
    }

    /// A pod is ready again: the held requests join the fluid backlog at `now_s`, the start of
    /// the stretch being accounted, with their latency so far (see `held`).
    fn release_held(&mut self, now_s: f64) {
        let capacity = self.capacity_rps();
        let Backend::Fluid(fluid) = &mut self.backend else {
            return;
        };
        if self.held.requests() <= 0.0 || capacity <= 0.0 {
            return;
        }
        let mut counts = Counts::default();
        fluid.backlog_requests += self.held.release(
            now_s,
            capacity,
            self.mu_rps,
            self.timeout_s,
            fluid.backlog_requests,
            self.target_s,
            &mut counts,
            &mut self.histogram,
        );
        self.interval.add(&counts);
        self.total.add(&counts);
    }

    /// Sets the arrival rate from now on (call [`Self::advance_to`] first).
    pub fn set_rate(&mut self, lambda_rps: f64) {
        self.lambda_rps = lambda_rps;
        if let Backend::Request(request) = &mut self.backend {
            request.set_rate(lambda_rps);
        }
    }

    /// Sets the number of ready pods from now on (call [`Self::advance_to`] first). At
    /// [`Fidelity::Request`], requests in service on a removed pod finish (see
    /// `workloads::request_level`).
    pub fn set_servers(&mut self, servers: u32) {
        self.servers = servers;
        if let Backend::Request(request) = &mut self.backend {
            request.set_servers(servers);
        }
    }

    /// Sets each pod's service rate from now on (call [`Self::advance_to`] first): pods still
    /// warming up serve slower, and the queue takes their mean.
    pub fn set_service_rate(&mut self, mu_rps: f64) {
        self.mu_rps = mu_rps;
        if let Backend::Request(request) = &mut self.backend {
            request.set_service_rate(mu_rps);
        }
    }

    /// Seconds from now until the fluid backlog is empty, when it is draining, so the owner
    /// can end the stretch there. Always `None` at [`Fidelity::Request`], which plays its own
    /// events inside [`Self::advance_to`].
    pub fn drain_in_s(&self) -> Option<f64> {
        match &self.backend {
            Backend::Fluid(fluid) => {
                // Held requests join the backlog at the next stretch, if a pod is ready.
                let capacity = self.capacity_rps();
                let held = if capacity > 0.0 {
                    self.held
                        .kept(capacity, self.timeout_s, fluid.backlog_requests)
                } else {
                    0.0
                };
                FluidQueue {
                    backlog_requests: fluid.backlog_requests + held,
                }
                .time_to_drain_s(self.lambda_rps, capacity)
            }
            Backend::Request(_) => None,
        }
    }

    /// The figures at this instant. At [`Fidelity::Request`] the latency is that of the
    /// requests served since the last [`Self::take_interval`], as a monitoring system would
    /// show it; while none was, the model's figure for the current state stands in.
    pub fn snapshot(&self) -> Snapshot {
        let capacity = self.capacity_rps();
        let measured_s = match &self.backend {
            Backend::Request(request) => request.interval_latency_s(),
            Backend::Fluid(_) => None,
        };
        let [mean, p50, p95, p99] = measured_s.unwrap_or_else(|| self.model_latency_s());
        Snapshot {
            arrival_rps: self.lambda_rps,
            capacity_rps: capacity,
            utilization: if capacity > 0.0 {
                (self.lambda_rps / capacity).min(1.0)
            } else {
                1.0
            },
            backlog_requests: self.backlog_requests(),
            latency_ms: LatencyMs {
                mean: mean * 1e3,
                p50: p50 * 1e3,
                p95: p95 * 1e3,
                p99: p99 * 1e3,
            },
        }
    }

    /// The mean response time at this instant, in seconds: [`Self::snapshot`]'s mean without
    /// its percentiles (each a root search), for a reader that needs only the mean — the HPA's
    /// in-flight requests, read at every sync of every service.
    pub fn mean_latency_s(&self) -> f64 {
        let measured_s = match &self.backend {
            Backend::Request(request) => request.interval_latency_s(),
            Backend::Fluid(_) => None,
        };
        if let Some([mean, ..]) = measured_s {
            return mean;
        }
        let stable = if self.is_stable() {
            self.sojourn().map(|s| s.mean())
        } else {
            None
        };
        stable.unwrap_or_else(|| self.overload_wait_s() + 1.0 / self.mu_rps)
    }

    /// The M/M/c response time of the current servers, rate and service rate, from the
    /// current regime (see `regime`).
    fn sojourn(&self) -> Option<Sojourn> {
        let mut slot = self.regime.borrow_mut();
        Regime::of(&mut slot, self.servers, self.lambda_rps, self.mu_rps).sojourn
    }

    /// Overloaded or draining: the wait of a request arriving now (the backlog at the serving
    /// capacity), at most its timeout; without any server, the timeout.
    fn overload_wait_s(&self) -> f64 {
        let capacity = self.capacity_rps();
        if capacity > 0.0 {
            (self.backlog_requests() / capacity).min(self.timeout_s)
        } else {
            self.timeout_s
        }
    }

    /// Mean, p50, p95 and p99 of the response time in the current state, in seconds.
    fn model_latency_s(&self) -> [f64; 4] {
        let stable = if self.is_stable() {
            self.sojourn()
                .map(|s| s.response_time())
                .map(|r| [r.mean_s, r.p50_s, r.p95_s, r.p99_s])
        } else {
            None
        };
        stable.unwrap_or_else(|| {
            // Overloaded or draining: a request waits W, then Exp(μ) service, whose p-quantile
            // is −ln(1 − p)/μ.
            let wait = self.overload_wait_s();
            let service = |p: f64| -(1.0 - p).ln() / self.mu_rps;
            [
                wait + 1.0 / self.mu_rps,
                wait + service(0.5),
                wait + service(0.95),
                wait + service(0.99),
            ]
        })
    }

    /// The counts since the previous call, and restarts them (and, at [`Fidelity::Request`],
    /// the requests whose latency [`Self::snapshot`] shows).
    pub fn take_interval(&mut self) -> Counts {
        if let Backend::Request(request) = &mut self.backend {
            request.restart_interval();
        }
        std::mem::take(&mut self.interval)
    }

    /// The counts since the start of the run.
    pub fn total(&self) -> Counts {
        self.total
    }

    /// Request-weighted latency of everything served so far.
    pub fn histogram(&self) -> &Histogram {
        &self.histogram
    }
}

/// What a queue looks like at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub arrival_rps: f64,
    pub capacity_rps: f64,
    /// Busy fraction of the servers, λ/(cμ) capped at 1.
    pub utilization: f64,
    pub backlog_requests: f64,
    pub latency_ms: LatencyMs,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    #[test]
    fn stable_snapshot_is_mm1_closed_form() {
        // M/M/1 with λ = 80, μ = 100: sojourn ~ Exp(20), p99 = ln(100)/20 s, mean = 50 ms.
        let mut q = ServiceQueue::new(100.0, 1, 30.0, None);
        q.set_rate(80.0);
        let s = q.snapshot();
        assert!(close(s.latency_ms.mean, 50.0, 1e-9), "{:?}", s);
        assert!(close(s.latency_ms.p99, 100.0_f64.ln() / 20.0 * 1e3, 1e-9));
        assert!(close(s.utilization, 0.8, 1e-12));
    }

    #[test]
    fn the_mean_alone_is_the_closed_form_mean() {
        // M/M/1, λ = 80, μ = 100: E[T] = 1/(μ − λ) = 50 ms.
        let mut q = ServiceQueue::new(100.0, 1, 30.0, None);
        q.set_rate(80.0);
        assert!(close(q.mean_latency_s(), 0.05, 1e-12));
        // Overloaded (λ = 200, cμ = 100, timeout 1 s): after 10 s the backlog is 100 requests,
        // a 1 s wait, then 1/μ = 20 ms of service.
        let mut q = ServiceQueue::new(50.0, 2, 1.0, Some(0.5));
        q.set_rate(200.0);
        q.advance_to(SimTime::from_secs(10));
        assert!(close(q.mean_latency_s(), 1.02, 1e-9));
        assert!((q.arrival_rps(), q.capacity_rps()) == (200.0, 100.0));
    }

    #[test]
    fn run_p99_matches_closed_form_within_half_a_bucket() {
        let mut q = ServiceQueue::new(100.0, 1, 30.0, Some(0.1));
        q.set_rate(80.0);
        q.advance_to(SimTime::from_secs(600));
        let p99 = q.histogram().quantile_s(0.99).unwrap();
        let exact = 100.0_f64.ln() / 20.0;
        assert!(close(p99, exact, 0.037), "{p99} vs {exact}");
        let total = q.total();
        assert!(close(total.arrived, 48_000.0, 1e-12));
        // P(T ≤ 100 ms) = 1 − e^(−20 × 0.1) = 1 − e^(−2).
        assert!(close(
            total.within_target,
            48_000.0 * (1.0 - (-2.0f64).exp()),
            1e-9
        ));
    }

    #[test]
    fn overload_builds_a_backlog_and_drops_past_the_timeout() {
        // λ = 200, cμ = 100, timeout 1 s: the backlog caps at 100 requests, after 1 s.
        let mut q = ServiceQueue::new(50.0, 2, 1.0, Some(0.5));
        q.set_rate(200.0);
        q.advance_to(SimTime::from_secs(10));
        let t = q.total();
        assert!(close(t.arrived, 2000.0, 1e-12));
        assert!(close(t.served, 1000.0, 1e-9));
        assert!(close(t.dropped, 900.0, 1e-9));
        let s = q.snapshot();
        assert!(close(s.backlog_requests, 100.0, 1e-9));
        // Waiting 1 s, then Exp(50): p50 = 1 s + ln 2 / 50.
        assert!(close(
            s.latency_ms.p50,
            (1.0 + 2f64.ln() / 50.0) * 1e3,
            1e-9
        ));
        assert_eq!(q.drain_in_s(), None);
        q.set_rate(50.0);
        // Draining at 100 − 50 = 50 requests/s: empty in 2 s.
        assert!(close(q.drain_in_s().unwrap(), 2.0, 1e-12));
    }

    #[test]
    fn no_server_drops_everything() {
        let mut q = ServiceQueue::new(50.0, 0, 1.0, Some(0.5));
        q.set_rate(10.0);
        q.advance_to(SimTime::from_secs(10));
        let t = q.total();
        assert!(close(t.dropped, 100.0, 1e-12));
        assert_eq!(t.within_target, 0.0);
        assert!(close(
            q.snapshot().latency_ms.p50,
            1000.0 + 2f64.ln() / 50.0 * 1e3,
            1e-9
        ));
    }

    /// A service at zero receives λ = 1 request/s for a cold start of C = 20 s (timeout 30 s),
    /// then 5 pods of μ = 10 serve (cμ = 50) and arrivals stop.
    fn cold_start(hold: bool) -> ServiceQueue {
        let mut q = ServiceQueue::new(10.0, 0, 30.0, Some(5.0)).holding_at_zero(hold);
        q.set_rate(1.0);
        q.advance_to(SimTime::from_secs(20));
        q.set_servers(5);
        q.set_rate(0.0);
        q.advance_to(SimTime::from_secs(100));
        q
    }

    #[test]
    fn held_requests_wait_out_the_cold_start() {
        let q = cold_start(true);
        let t = q.total();
        // None dropped: all 20 are served once the pods are ready.
        assert_eq!(t.dropped, 0.0);
        assert!(
            close(t.arrived, 20.0, 1e-12) && close(t.served, 20.0, 1e-9),
            "{t:?}"
        );
        // The k-th held request (k = 0 oldest) waits (20 − k) + k/50 s: uniform from 0.4 s to
        // 20 s, mean C/2 + λC/(2cμ) = 10.2 s, then Exp(10) of service (0.1 s mean). The median
        // of the uniform is its mean; the service adds about 1/μ: p50 ≈ 10.3 s, p99 ≈ 0.4 +
        // 0.99 × 19.6 + 0.1 = 19.9 s, each within half a bucket (3.7 %).
        let p50 = q.histogram().quantile_s(0.5).unwrap();
        let p99 = q.histogram().quantile_s(0.99).unwrap();
        assert!(close(p50, 10.3, 0.037), "{p50}");
        assert!(close(p99, 19.9, 0.037), "{p99}");
        // Within the 5 s target: P(W + S ≤ 5) = (5 − 0.4 − 1/μ)/19.6 (+ e^{−46}/196, nothing).
        assert!(close(t.within_target, 20.0 * 4.5 / 19.6, 1e-9), "{t:?}");
    }

    #[test]
    fn without_holding_the_cold_start_refuses_lambda_c() {
        let t = cold_start(false).total();
        assert!(close(t.dropped, 20.0, 1e-12), "{t:?}");
        assert_eq!((t.served, t.within_target), (0.0, 0.0));
    }

    #[test]
    fn a_held_backlog_counts_in_the_drain_and_still_times_out() {
        // 1 request/s held for 40 s with a 30 s timeout: the first 10 have given up.
        let mut q = ServiceQueue::new(10.0, 0, 30.0, None).holding_at_zero(true);
        q.set_rate(1.0);
        q.advance_to(SimTime::from_secs(40));
        assert!(close(q.total().dropped, 10.0, 1e-12));
        assert!(close(q.backlog_requests(), 30.0, 1e-12));
        assert_eq!(q.drain_in_s(), None);
        // One pod (10 requests/s) against 1 arriving: the 30 drain in 30/9 s.
        q.set_servers(1);
        assert!(close(q.drain_in_s().unwrap(), 30.0 / 9.0, 1e-12));
    }

    #[test]
    fn interval_counts_restart_but_totals_do_not() {
        let mut q = ServiceQueue::new(100.0, 2, 30.0, None);
        q.set_rate(10.0);
        q.advance_to(SimTime::from_secs(60));
        assert!(close(q.take_interval().arrived, 600.0, 1e-12));
        q.advance_to(SimTime::from_secs(120));
        assert!(close(q.take_interval().arrived, 600.0, 1e-12));
        assert!(close(q.total().arrived, 1200.0, 1e-12));
    }
}

//! Latency of a service from queueing theory: the steady-state M/M/c queue while the service
//! keeps up, and a fluid backlog while it does not.
//!
//! A service in a region is c identical servers (its ready pods), each serving μ requests/s,
//! fed by Poisson arrivals at λ requests/s and served first-come first-served from one queue:
//! the M/M/c queue. Offered load a = λ/μ (Erlangs), utilisation ρ = a/c. Why this model:
//! it is the simplest one in which latency depends on both the number of pods and the load,
//! it has closed forms for the mean *and* the whole response-time distribution (so p95/p99
//! cost a root find, not a simulation of individual requests), and the Erlang formulas it rests
//! on are the textbook ones: L. Kleinrock, *Queueing Systems, Vol. 1: Theory* (Wiley, 1975),
//! chapter 3, and D. Gross, J. F. Shortle, J. M. Thompson & C. M. Harris, *Fundamentals of
//! Queueing Theory*, 4th ed. (Wiley, 2008), chapter 2 (the M/M/c queue and its waiting-time
//! distribution).
//!
//! The simulator changes λ and c in steps (traffic is piecewise constant, pods come and go), and
//! between two changes it uses the steady state of the queue with the current parameters: a
//! quasi-static approximation, good when parameters change slowly compared with the time the
//! queue takes to relax (which is short unless ρ is close to 1). At ρ ≥ 1 there is no steady
//! state; the backlog then grows linearly and is modelled as a deterministic fluid
//! ([`FluidQueue`]), the standard first-order approximation of an overloaded queue (G. F.
//! Newell, *Applications of Queueing Theory*, 2nd ed., Chapman & Hall, 1982, the fluid
//! approximation of time-dependent queues). The caller switches back to the M/M/c formulas once
//! the backlog has drained ([`FluidQueue::time_to_drain_s`] says when).
//!
//! Everything here is a pure `f64` function without allocation: these are evaluated at every
//! rate or capacity change of thousands of services.
//!
//! Over 800 lines on purpose: about 480 lines of code, the rest (556 lines) its tests,
//! kept beside the functions they check.

use serde::{Deserialize, Serialize};
use std::f64::consts::LN_2;

/// Erlang's loss formula B(c, a): the probability that an arrival finds all c servers busy in
/// the M/M/c/c loss system with offered load `a` Erlangs (a ≥ 0; +∞ gives the limit 1).
///
/// Computed from the definition turned around, 1/B = Σ_{j=0}^{c} c!/((c−j)!·a^j) = Σ_j t_j with
/// t_0 = 1 and t_{j+1} = t_j·(c − j)/a (divide the definition's sum by its last term; Jagerman,
/// "Some properties of the Erlang loss function", *Bell System Technical Journal* 53(3), 1974).
/// Every term is positive, so there is no cancellation. The terms grow while c − j > a and then
/// fall faster than geometrically, so the sum stops once a falling term is below 1e-18 of it:
/// about (c − a) + 9√c terms instead of the c steps of the textbook recurrence, which matters
/// for a service of 100 000 pods. When the sum overflows, B is below 1e-308 and is returned
/// as 0 — decided up front from the largest term's logarithm when it is far past f64's range
/// ([`largest_term_overflows`]), which is the usual case of a big service at the HPA's 70 %:
/// at c = 50 000 the sum would otherwise run ~2 000 terms to find it out. No allocation.
pub fn erlang_b(c: u32, a: f64) -> f64 {
    debug_assert!(a >= 0.0, "offered load must be non-negative, got {a}");
    if a.is_infinite() || c == 0 {
        // a·B/(k + a·B) would be ∞/∞; every server is busy in the limit.
        return 1.0;
    }
    if a == 0.0 {
        return 0.0;
    }
    if largest_term_overflows(c, a) {
        return 0.0;
    }
    erlang_b_summed(c, a)
}

/// Whether the largest term of [`erlang_b`]'s sum, t_k = c!/((c − k)!·a^k) at k = c − ⌈a⌉
/// (the ratio (c − j)/a stays above 1 until there), is beyond e^750, past f64::MAX (e^709.8):
/// then the sum overflows whatever the other terms, and B is 0 in f64. ln n! by Stirling's
/// series, off by less than 1e-3 (1e-8 from n = 10), far inside the 40-unit margin.
fn largest_term_overflows(c: u32, a: f64) -> bool {
    if f64::from(c) <= a {
        return false;
    }
    let top = a.ceil().max(1.0);
    let k = f64::from(c) - top;
    ln_factorial(f64::from(c)) - ln_factorial(top) - k * a.ln() > 750.0
}

/// ln n! for a whole n ≥ 1 (Stirling's series to the n⁻³ term).
fn ln_factorial(n: f64) -> f64 {
    n * n.ln() - n + 0.5 * (2.0 * std::f64::consts::PI * n).ln() + 1.0 / (12.0 * n)
        - 1.0 / (360.0 * n * n * n)
}

/// [`erlang_b`] by its truncated sum (arguments already checked).
fn erlang_b_summed(c: u32, a: f64) -> f64 {
    let (mut term, mut sum) = (1.0_f64, 1.0_f64);
    for j in 0..c {
        let ratio = f64::from(c - j) / a;
        term *= ratio;
        sum += term;
        if sum == f64::INFINITY {
            return 0.0;
        }
        if ratio < 1.0 && term < 1e-18 * sum {
            break;
        }
    }
    1.0 / sum
}

/// Erlang's delay formula C(c, a): the probability that an arrival to the M/M/c queue has to
/// wait (finds all c servers busy), for offered load `a` Erlangs.
///
/// C = B / (1 − ρ(1 − B)) with B = [`erlang_b`]`(c, a)` and ρ = a/c (Kleinrock, Vol. 1,
/// chapter 3; Gross et al., chapter 2). It is evaluated as B / ((1 − ρ) + ρB), the same
/// quantity with no cancellation when ρ is close to 1 and B is small. Returns 1.0 when there is
/// no steady state (ρ ≥ 1, including c = 0): every arrival then waits.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    if c == 0 {
        return 1.0;
    }
    let rho = a / f64::from(c);
    if rho >= 1.0 {
        return 1.0;
    }
    let b = erlang_b(c, a);
    b / ((1.0 - rho) + rho * b)
}

/// The steady-state response (sojourn) time of an M/M/c queue: mean and the quantiles the
/// simulator reports, in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResponseTime {
    pub mean_s: f64,
    pub p50_s: f64,
    pub p95_s: f64,
    pub p99_s: f64,
}

/// Mean, p50, p95 and p99 of the response time of an M/M/c queue with `c` servers, arrivals at
/// `lambda_rps` and service at `mu_rps` per server.
///
/// `None` when there is no steady state: no server (c = 0), no service (μ ≤ 0), overload
/// (ρ = λ/(cμ) ≥ 1), or a rate that is negative or not finite. With λ = 0 this is the bare
/// service time Exp(μ). The mean is C/(cμ − λ) + 1/μ (mean FCFS wait plus mean service, Gross
/// et al., chapter 2); the quantiles invert [`mmc_sojourn_survival`], see
/// [`mmc_sojourn_quantile`].
pub fn mmc_response_time(c: u32, lambda_rps: f64, mu_rps: f64) -> Option<ResponseTime> {
    Sojourn::new(c, lambda_rps, mu_rps).map(|sojourn| sojourn.response_time())
}

/// P(T > `t_s`) for the steady-state response time T of an M/M/c queue (arguments as in
/// [`mmc_response_time`]).
///
/// T = W + S, with S ~ Exp(μ) the service time and W the FCFS wait, independent of S: W = 0
/// with probability 1 − C and, given that it waits, W ~ Exp(θ) with θ = cμ − λ, i.e.
/// P(W > t) = C·e^{−θt} (Gross et al., chapter 2, M/M/c waiting-time distribution; C is
/// [`erlang_c`]). Convolving with S gives
///
/// P(T > t) = (1 − C)·e^{−μt} + C·H(t),   H(t) = P(E_θ + E_μ > t) = (θe^{−μt} − μe^{−θt})/(θ − μ),
///
/// where E_θ, E_μ are independent exponentials (H is the hypoexponential survival function;
/// for θ = μ, i.e. λ = (c − 1)μ, it is the Erlang-2 survival (1 + μt)e^{−μt}, the special case
/// textbooks list separately). The quotient form cancels catastrophically as θ → μ, so H is
/// evaluated as e^{−rt}·(1 + r·t·φ(|θ − μ|t)) with r = min(θ, μ) and φ(x) = (1 − e^{−x})/x
/// (via `expm1`): algebraically the same, accurate for all θ, μ, and equal to the Erlang-2 form
/// at θ = μ without a separate branch.
///
/// Returns 1.0 for t ≤ 0, 0.0 at t = +∞, and 1.0 for every t when there is no steady state (the
/// same cases where [`mmc_response_time`] is `None`): the wait is then unbounded.
pub fn mmc_sojourn_survival(c: u32, lambda_rps: f64, mu_rps: f64, t_s: f64) -> f64 {
    Sojourn::new(c, lambda_rps, mu_rps).map_or(1.0, |sojourn| sojourn.survival(t_s))
}

/// The p-quantile of the steady-state response time of an M/M/c queue: the smallest t with
/// P(T ≤ t) ≥ p (arguments as in [`mmc_response_time`]).
///
/// `None` when there is no steady state or p is not in [0, 1]; p = 0 gives 0 and p = 1 gives
/// +∞ (T is unbounded). Otherwise the root of ln P(T > t) = ln(1 − p) is found to about 1e-13
/// relative, by Newton steps on the log-survival (exact in one step for an exponential tail, so
/// typically a handful of evaluations) safeguarded by a bracket that is bisected geometrically
/// whenever a Newton step would leave it. The bracket is analytic, so there is no search loop:
/// T ≥ S gives P(T > t) ≥ e^{−μt}, hence t ≥ −ln(1 − p)/μ; and T is stochastically below a sum
/// of two Exp(r) with r = min(θ, μ), whose survival (1 + rt)e^{−rt} ≤ 2e^{−rt/2}, hence
/// t ≤ 2·ln(2/(1 − p))/r. Geometric bisection halves ln(hi/lo) per step, so even from the widest
/// bracket the iteration converges well within its fixed bound of 100 steps; in practice it
/// takes at most 8 survival evaluations for p ≥ 0.01. For very small p the answer is limited by
/// the rounding of P(T > t) next to 1 (about 1e-16 absolute, so ~1e-10 relative at p = 1e-6).
pub fn mmc_sojourn_quantile(c: u32, lambda_rps: f64, mu_rps: f64, p: f64) -> Option<f64> {
    let sojourn = Sojourn::new(c, lambda_rps, mu_rps)?;
    if !(0.0..=1.0).contains(&p) {
        None
    } else if p == 0.0 {
        Some(0.0)
    } else if p == 1.0 {
        Some(f64::INFINITY)
    } else {
        Some(sojourn.quantile(p))
    }
}

/// Upper bound on the iterations of the quantile root find: a deterministic cost and no
/// infinite loop even if rounding keeps the Newton steps from meeting the tolerance. Geometric
/// bisection alone needs about 55 halvings from the widest bracket (ln(hi/lo) < 100 for any
/// p < 1 and θ/μ down to 1e-16) to 1e-14 relative.
const QUANTILE_MAX_ITERATIONS: u32 = 100;

/// Relative size of the last step at which the quantile iteration stops. Newton converges
/// quadratically, so when a step is this small the remaining error is far below it.
const QUANTILE_STEP_TOLERANCE: f64 = 1e-14;

/// A stable M/M/c queue reduced to the three numbers its response time depends on: build it
/// once ([`Sojourn::new`], one Erlang C) and evaluate its survival function many times.
#[derive(Debug, Clone, Copy)]
pub struct Sojourn {
    /// Erlang C: the probability of waiting.
    wait_probability: f64,
    /// θ = cμ − λ > 0: the rate of the conditional (exponential) wait.
    theta: f64,
    /// μ > 0: the service rate of one server.
    mu: f64,
}

impl Sojourn {
    /// `None` unless the parameters describe a queue with a steady state (c ≥ 1, finite λ ≥ 0,
    /// finite μ > 0, cμ − λ > 0).
    pub fn new(c: u32, lambda: f64, mu: f64) -> Option<Self> {
        let valid_rates = lambda.is_finite() && lambda >= 0.0 && mu.is_finite() && mu > 0.0;
        if c == 0 || !valid_rates {
            return None;
        }
        let theta = f64::from(c) * mu - lambda;
        (theta.is_finite() && theta > 0.0).then(|| Sojourn {
            wait_probability: erlang_c(c, lambda / mu),
            theta,
            mu,
        })
    }

    /// E[T] = C/θ + 1/μ.
    pub fn mean(&self) -> f64 {
        self.wait_probability / self.theta + 1.0 / self.mu
    }

    /// Mean, p50, p95 and p99, see [`mmc_response_time`].
    pub fn response_time(&self) -> ResponseTime {
        ResponseTime {
            mean_s: self.mean(),
            p50_s: self.quantile(0.5),
            p95_s: self.quantile(0.95),
            p99_s: self.quantile(0.99),
        }
    }

    /// P(T > t), see [`mmc_sojourn_survival`].
    pub fn survival(&self, t: f64) -> f64 {
        if t <= 0.0 {
            return 1.0;
        }
        if t == f64::INFINITY {
            // r·t·φ(x) would be ∞·0 below.
            return 0.0;
        }
        let c = self.wait_probability;
        (1.0 - c) * (-self.mu * t).exp() + c * hypoexponential_survival(self.theta, self.mu, t)
    }

    /// The density of T at t > 0: (1 − C)·μe^{−μt} plus C times the hypoexponential density
    /// θμ(e^{−μt} − e^{−θt})/(θ − μ) = θμ·t·e^{−rt}·φ(|θ − μ|t), r = min(θ, μ).
    fn density(&self, t: f64) -> f64 {
        let c = self.wait_probability;
        let (r, gap) = ordered_rates(self.theta, self.mu);
        (1.0 - c) * self.mu * (-self.mu * t).exp()
            + c * self.theta * self.mu * t * (-r * t).exp() * phi(gap * t)
    }

    /// The p-quantile for 0 < p < 1, see [`mmc_sojourn_quantile`].
    fn quantile(&self, p: f64) -> f64 {
        debug_assert!(p > 0.0 && p < 1.0);
        // ln(1 − p) without losing small p to the rounding of 1 − p.
        let ln_q = (-p).ln_1p();
        let mut lo = -ln_q / self.mu;
        let mut hi = 2.0 * (LN_2 - ln_q) / self.theta.min(self.mu);
        let mut t = lo;
        for _ in 0..QUANTILE_MAX_ITERATIONS {
            let survival = self.survival(t);
            // Positive while t is below the root (the survival function decreases).
            let excess = survival.ln() - ln_q;
            if excess > 0.0 {
                lo = t;
            } else if excess < 0.0 {
                hi = t;
            } else {
                return t;
            }
            // d/dt ln P(T > t) = −density/survival, the hazard rate with a minus sign.
            let newton = t + excess * survival / self.density(t);
            let next = if newton > lo && newton < hi {
                newton
            } else {
                (lo * hi).sqrt()
            };
            if (next - t).abs() <= QUANTILE_STEP_TOLERANCE * next {
                return next;
            }
            t = next;
        }
        t
    }
}

/// (min(x, y), |x − y|).
fn ordered_rates(x: f64, y: f64) -> (f64, f64) {
    if x <= y { (x, y - x) } else { (y, x - y) }
}

/// φ(x) = (1 − e^{−x})/x for x ≥ 0, with φ(0) = 1: the factor that keeps the hypoexponential
/// formulas free of the 0/0 at equal rates. `expm1` makes 1 − e^{−x} accurate for small x; below
/// 2^-26 the first-order series 1 − x/2 is exact to f64 precision (next term x²/6 < 4e-17) and
/// also covers x = 0.
fn phi(x: f64) -> f64 {
    if x < 1.0 / f64::from(1u32 << 26) {
        1.0 - 0.5 * x
    } else {
        -(-x).exp_m1() / x
    }
}

/// P(E_x + E_y > t) for independent exponentials of rates x, y > 0 and finite t > 0:
/// e^{−rt}·(1 + r·t·φ(|x − y|t)) with r = min(x, y), which equals (x·e^{−yt} − y·e^{−xt})/(x − y)
/// for x ≠ y and (1 + xt)e^{−xt} for x = y. Factoring out the slower exponential keeps φ's
/// argument non-negative, so nothing overflows.
fn hypoexponential_survival(x: f64, y: f64, t: f64) -> f64 {
    let (r, gap) = ordered_rates(x, y);
    (-r * t).exp() * (1.0 + r * t * phi(gap * t))
}

/// The backlog of an overloaded service as a deterministic fluid: requests queue up at rate
/// λ − capacity while λ exceeds capacity and drain at capacity − λ afterwards.
///
/// Used where the M/M/c steady state does not exist (ρ ≥ 1) and while the backlog left by an
/// overload drains. Random fluctuations are ignored: once the backlog is many requests deep the
/// drift dominates them (Newell's fluid approximation, see the module documentation). A request
/// timeout bounds the queue: a request that would wait longer than `max_wait_s` is dropped,
/// so the backlog never exceeds `max_wait_s × capacity`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FluidQueue {
    pub backlog_requests: f64,
}

/// What happened to the requests of one [`FluidQueue::advance`] step, in requests (fluid, so
/// not integers). `arrived = served + dropped + Δbacklog`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FluidStep {
    pub arrived: f64,
    pub served: f64,
    pub dropped: f64,
    /// The mean queueing wait of the requests admitted during the step (arrivals that were not
    /// dropped), weighted by arrivals: an arrival that finds backlog B waits B/capacity, since
    /// the queue is FIFO and drains at capacity. Dropped requests are reported by `dropped`,
    /// as errors, and not averaged in. 0.0 when nothing was admitted; +∞ when requests were
    /// admitted with zero capacity (possible only without a timeout).
    pub mean_wait_s: f64,
}

impl FluidQueue {
    /// Advances the backlog by `dt_s` seconds at constant arrival rate `lambda_rps` and service
    /// capacity `capacity_rps` (requests/s, the whole service), with request timeout
    /// `max_wait_s` (+∞ for none).
    ///
    /// The backlog is piecewise linear in time: it moves at λ − capacity until it reaches 0 or
    /// the timeout cap L = max_wait × capacity, then stays there (at 0 arrivals are served on
    /// arrival; at L the excess λ − capacity is dropped). The step is split analytically at that
    /// instant, so the result does not depend on how the caller cuts time into steps. A backlog
    /// already above L (capacity just fell) is trimmed at the start of the step: those requests
    /// can no longer be served within the timeout. With zero capacity and a finite timeout,
    /// L = 0, so the whole backlog and every arrival are dropped.
    ///
    /// Preconditions (checked in debug builds): `dt_s`, `lambda_rps`, `capacity_rps` finite
    /// and ≥ 0; `max_wait_s` ≥ 0, possibly +∞.
    pub fn advance(
        &mut self,
        dt_s: f64,
        lambda_rps: f64,
        capacity_rps: f64,
        max_wait_s: f64,
    ) -> FluidStep {
        debug_assert!(dt_s.is_finite() && dt_s >= 0.0, "bad step {dt_s}");
        debug_assert!(
            lambda_rps.is_finite() && lambda_rps >= 0.0,
            "bad rate {lambda_rps}"
        );
        debug_assert!(
            capacity_rps.is_finite() && capacity_rps >= 0.0,
            "bad capacity"
        );
        debug_assert!(max_wait_s >= 0.0, "bad timeout {max_wait_s}");

        // ∞ × 0 would be NaN: without a timeout nothing is ever dropped, whatever the capacity.
        let limit = if max_wait_s.is_infinite() {
            f64::INFINITY
        } else {
            max_wait_s * capacity_rps
        };
        let start = self.backlog_requests;
        let b0 = start.min(limit);
        let mut dropped = start - b0;

        // Phase 1: linear motion until the backlog hits the cap (net > 0) or empties (net < 0).
        let net = lambda_rps - capacity_rps;
        let (t_switch, b_switch) = if net > 0.0 {
            ((limit - b0) / net, limit)
        } else if net < 0.0 {
            (b0 / -net, 0.0)
        } else {
            (f64::INFINITY, b0)
        };
        let (t1, b1) = if t_switch < dt_s {
            (t_switch, b_switch)
        } else {
            (dt_s, (b0 + net * dt_s).clamp(0.0, limit))
        };
        let admitted1 = lambda_rps * t1;
        let mut served = capacity_rps * t1;
        let mut admitted = admitted1;
        // Arrivals are uniform in time and the backlog linear, so their mean wait is the
        // wait at the mean backlog. With zero capacity and admitted arrivals this is +∞.
        let mut wait_sum = if admitted1 > 0.0 {
            admitted1 * (b0 + b1) / (2.0 * capacity_rps)
        } else {
            0.0
        };

        // Phase 2: the backlog sits at the cap or at zero for the rest of the step.
        let t2 = dt_s - t1;
        if t2 > 0.0 {
            if net > 0.0 {
                // Admission matches service; the rest times out. Each admitted request waits
                // L/capacity = max_wait, so their wait sum is capacity·t2·L/capacity = t2·L.
                served += capacity_rps * t2;
                admitted += capacity_rps * t2;
                dropped += net * t2;
                wait_sum += t2 * limit;
            } else {
                // Empty and under capacity: served on arrival, no wait.
                served += lambda_rps * t2;
                admitted += lambda_rps * t2;
            }
        }
        self.backlog_requests = b1;

        let step = FluidStep {
            arrived: lambda_rps * dt_s,
            served,
            dropped,
            mean_wait_s: if admitted > 0.0 {
                wait_sum / admitted
            } else {
                0.0
            },
        };
        debug_assert!(
            conserves(&step, start, b1),
            "fluid step does not conserve requests: {step:?}, backlog {start} -> {b1}"
        );
        step
    }

    /// Time until the backlog reaches zero at constant `lambda_rps` < `capacity_rps`, so the
    /// caller can schedule the switch back to the M/M/c formulas there. `None` when the queue
    /// is already empty or does not drain (λ ≥ capacity).
    ///
    /// The timeout cap is not known here: the backlog is taken as it stands, which is within
    /// the cap of the last [`FluidQueue::advance`]. If `capacity_rps` is lower than that step's,
    /// the next `advance` trims the backlog to the new cap and the queue empties sooner than
    /// this says: the event comes late, never early, and `advance` places the crossing exactly
    /// whatever the step boundaries.
    pub fn time_to_drain_s(&self, lambda_rps: f64, capacity_rps: f64) -> Option<f64> {
        (self.backlog_requests > 0.0 && lambda_rps < capacity_rps)
            .then(|| self.backlog_requests / (capacity_rps - lambda_rps))
    }

    /// The queueing wait of a request arriving now: backlog/capacity (FIFO at rate capacity);
    /// 0 when empty, +∞ when requests are queued and there is no capacity.
    pub fn wait_s(&self, capacity_rps: f64) -> f64 {
        if self.backlog_requests > 0.0 {
            self.backlog_requests / capacity_rps
        } else {
            0.0
        }
    }
}

/// arrived = served + dropped + Δbacklog, up to rounding relative to the volumes involved.
fn conserves(step: &FluidStep, backlog_before: f64, backlog_after: f64) -> bool {
    let imbalance = step.arrived - (step.served + step.dropped + (backlog_after - backlog_before));
    let scale = step.arrived + step.served + step.dropped + backlog_before + backlog_after;
    imbalance.abs() <= 1e-12 * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relative tolerance for comparisons with closed forms.
    const REL: f64 = 1e-9;

    fn assert_rel(actual: f64, expected: f64, tol: f64) {
        let err = (actual - expected).abs();
        assert!(
            err <= tol * expected.abs(),
            "{actual} vs expected {expected}: relative error {:e} > {tol:e}",
            err / expected.abs()
        );
    }

    /// Composite Simpson rule on [a, b] with n (even) intervals.
    fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64, n: u32) -> f64 {
        assert!(n.is_multiple_of(2));
        let h = (b - a) / f64::from(n);
        let inner: f64 = (1..n)
            .map(|i| {
                let weight = if i % 2 == 1 { 4.0 } else { 2.0 };
                weight * f(a + h * f64::from(i))
            })
            .sum();
        (f(a) + inner + f(b)) * h / 3.0
    }

    /// The Erlang C definition, P0·(a^c/c!)/(1 − ρ) with P0 = 1/(Σ_{k<c} a^k/k! + (a^c/c!)/(1 − ρ)),
    /// summed term by term: independent of the recurrence in `erlang_b`. Fine for small c.
    fn erlang_c_by_definition(c: u32, a: f64) -> f64 {
        let rho = a / f64::from(c);
        let mut term = 1.0; // a^k/k!
        let mut sum = 0.0;
        for k in 0..c {
            sum += term;
            term *= a / f64::from(k + 1);
        }
        let waiting = term / (1.0 - rho);
        waiting / (sum + waiting)
    }

    /// Jagerman's recurrence B(k) = a·B(k−1)/(k + a·B(k−1)), O(c): the reference the summed
    /// form must agree with.
    fn erlang_b_by_recurrence(c: u32, a: f64) -> f64 {
        let mut b = 1.0;
        for k in 1..=c {
            let ab = a * b;
            b = ab / (f64::from(k) + ab);
        }
        b
    }

    #[test]
    fn erlang_b_of_many_servers_matches_the_recurrence() {
        // Services of tens of thousands of pods, near, below and above saturation.
        for (c, a) in [
            (50_000, 49_000.0),
            (50_000, 49_990.0),
            (50_000, 52_000.0),
            (20_000, 10_000.0),
            (3, 2.0),
            (1, 0.5),
        ] {
            let expected = erlang_b_by_recurrence(c, a);
            let actual = erlang_b(c, a);
            assert!(
                (actual - expected).abs() <= 1e-11 * expected.max(1e-300),
                "B({c}, {a}) = {actual}, recurrence {expected}"
            );
        }
        // Far more servers than load: B underflows, both ways.
        assert_eq!(erlang_b(100_000, 50_000.0), 0.0);
        assert!(erlang_b_by_recurrence(100_000, 50_000.0) < 1e-300);
    }

    #[test]
    fn the_overflow_shortcut_answers_as_the_sum_does() {
        // ln n! by Stirling against the exact sum of logarithms.
        for (n, within) in [(1u32, 1e-3), (2, 1e-4), (10, 1e-8), (1000, 1e-10)] {
            let exact: f64 = (1..=n).map(|k| f64::from(k).ln()).sum();
            assert!((ln_factorial(f64::from(n)) - exact).abs() < within, "{n}");
        }
        let mut shortcuts = 0;
        for c in [1_000u32, 5_000, 50_000, 200_000] {
            for rho in [0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99] {
                let a = rho * f64::from(c);
                if largest_term_overflows(c, a) {
                    shortcuts += 1;
                    assert_eq!(erlang_b_summed(c, a), 0.0, "B({c}, {a})");
                }
                assert_eq!(erlang_b(c, a), erlang_b_summed(c, a), "B({c}, {a})");
            }
        }
        // The big services at usual loads take the shortcut.
        assert!(largest_term_overflows(50_000, 35_000.0));
        assert!(shortcuts >= 12, "{shortcuts}");
    }

    #[test]
    fn erlang_b_small_cases_by_hand() {
        assert_eq!(erlang_b(0, 3.0), 1.0);
        // c = 1: B = a/(1 + a).
        assert_rel(erlang_b(1, 0.5), 1.0 / 3.0, REL);
        assert_rel(erlang_b(1, 3.0), 0.75, REL);
        // c = 2, a = 1: (1/2)/(1 + 1 + 1/2) = 1/5.
        assert_rel(erlang_b(2, 1.0), 0.2, REL);
        // c = 3, a = 2: (8/6)/(1 + 2 + 2 + 8/6) = (4/3)/(19/3) = 4/19.
        assert_rel(erlang_b(3, 2.0), 4.0 / 19.0, REL);
        assert_eq!(erlang_b(5, 0.0), 0.0);
        assert_eq!(erlang_b(5, f64::INFINITY), 1.0);
    }

    #[test]
    fn erlang_c_single_server_is_rho() {
        // M/M/1: an arrival waits iff the server is busy, which it is a fraction ρ of the time.
        for rho in [0.1, 0.5, 0.9, 0.99] {
            assert_rel(erlang_c(1, rho), rho, REL);
        }
    }

    #[test]
    fn erlang_c_two_servers_closed_form() {
        // c = 2, a = 2ρ: P0⁻¹ = 1 + 2ρ + (4ρ²/2)/(1 − ρ) = (1 + ρ)/(1 − ρ), so
        // C = (2ρ²/(1 − ρ))·P0 = 2ρ²/(1 + ρ).
        for rho in [0.1, 0.25, 0.5, 0.75, 0.95] {
            assert_rel(erlang_c(2, 2.0 * rho), 2.0 * rho * rho / (1.0 + rho), REL);
        }
        // a = 1 (ρ = 1/2): 2·(1/4)/(3/2) = 1/3.
        assert_rel(erlang_c(2, 1.0), 1.0 / 3.0, REL);
    }

    #[test]
    fn erlang_c_three_servers_by_hand() {
        // c = 3, a = 2, ρ = 2/3: Σ_{k<3} a^k/k! = 1 + 2 + 2 = 5; (a³/3!)/(1 − ρ) = (8/6)·3 = 4;
        // P0 = 1/(5 + 4) = 1/9; C = 4·P0 = 4/9.
        assert_rel(erlang_c(3, 2.0), 4.0 / 9.0, REL);
    }

    #[test]
    fn erlang_c_ten_servers_against_definition() {
        // c = 10, a = 8, ρ = 0.8: in exact rationals, (8^10/10!)/(1 − 0.8) over
        // Σ_{k<10} 8^k/k! + (8^10/10!)/(1 − 0.8) is 4194304/10250507 ≈ 0.4091802.
        assert_rel(erlang_c(10, 8.0), 4_194_304.0 / 10_250_507.0, REL);
        assert_rel(erlang_c(10, 8.0), erlang_c_by_definition(10, 8.0), REL);
        assert_rel(erlang_c(7, 6.3), erlang_c_by_definition(7, 6.3), REL);
    }

    #[test]
    fn erlang_c_many_servers_against_backward_definition() {
        // The definition divided through by a^c/c!: r_k = (a^k/k!)/(a^c/c!) from r_c = 1 down by
        // r_{k−1} = r_k·k/a, then C = (1/(1 − ρ))/(Σ_{k<c} r_k + 1/(1 − ρ)). No factorials to
        // overflow, and a different evaluation order from the forward recurrence.
        for (c, a) in [(1000_u32, 950.0), (200, 150.0), (64, 63.5)] {
            let rho = a / f64::from(c);
            let mut r = 1.0;
            let mut sum = 0.0;
            for k in (1..=c).rev() {
                r *= f64::from(k) / a;
                sum += r;
            }
            let waiting = 1.0 / (1.0 - rho);
            assert_rel(erlang_c(c, a), waiting / (sum + waiting), REL);
        }
    }

    #[test]
    fn erlang_c_without_steady_state_is_one() {
        assert_eq!(erlang_c(0, 0.0), 1.0);
        assert_eq!(erlang_c(0, 2.0), 1.0);
        assert_eq!(erlang_c(4, 4.0), 1.0);
        assert_eq!(erlang_c(4, 9.0), 1.0);
        assert_eq!(erlang_c(4, 0.0), 0.0);
    }

    #[test]
    fn single_server_sojourn_is_exponential() {
        // M/M/1: T ~ Exp(μ − λ), so mean 1/(μ − λ) and p-quantile −ln(1 − p)/(μ − λ).
        let mu = 10.0;
        for rho in [0.5, 0.8, 0.95] {
            let lambda = rho * mu;
            let rate = mu - lambda;
            let rt = mmc_response_time(1, lambda, mu).unwrap();
            assert_rel(rt.mean_s, 1.0 / rate, REL);
            assert_rel(rt.p50_s, 2f64.ln() / rate, REL);
            assert_rel(rt.p95_s, 20f64.ln() / rate, REL);
            assert_rel(rt.p99_s, 100f64.ln() / rate, REL);
            for t in [0.01, 0.3, 2.0] {
                assert_rel(
                    mmc_sojourn_survival(1, lambda, mu, t),
                    (-rate * t).exp(),
                    REL,
                );
            }
        }
    }

    #[test]
    fn two_servers_survival_and_mean_by_hand() {
        // μ = 1, λ = 0.5: ρ = 1/4, C = 2ρ²/(1 + ρ) = 0.125/1.25 = 0.1, θ = 2 − 0.5 = 1.5.
        // P(T > t) = 0.9e^{−t} + 0.1(1.5e^{−t} − e^{−1.5t})/(1.5 − 1) = 1.2e^{−t} − 0.2e^{−1.5t};
        // mean = C/θ + 1/μ = 1/15 + 1 = 16/15 (also ∫ P(T > t) dt = 1.2 − 0.2/1.5).
        for t in [0.1_f64, 0.5, 1.0, 3.0, 10.0] {
            let expected = 1.2 * (-t).exp() - 0.2 * (-1.5 * t).exp();
            assert_rel(mmc_sojourn_survival(2, 0.5, 1.0, t), expected, REL);
        }
        assert_rel(
            mmc_response_time(2, 0.5, 1.0).unwrap().mean_s,
            16.0 / 15.0,
            REL,
        );

        // μ = 1, λ = 1.5 (θ = 0.5 < μ): ρ = 3/4, C = 2(9/16)/(7/4) = 9/14.
        // P(T > t) = (5/14)e^{−t} + (9/14)(0.5e^{−t} − e^{−0.5t})/(0.5 − 1)
        //          = (9/7)e^{−t/2} − (2/7)e^{−t}; mean = (9/14)/0.5 + 1 = 16/7.
        for t in [0.1_f64, 0.5, 1.0, 3.0, 10.0] {
            let expected = 9.0 / 7.0 * (-0.5 * t).exp() - 2.0 / 7.0 * (-t).exp();
            assert_rel(mmc_sojourn_survival(2, 1.5, 1.0, t), expected, REL);
        }
        assert_rel(
            mmc_response_time(2, 1.5, 1.0).unwrap().mean_s,
            16.0 / 7.0,
            REL,
        );
    }

    #[test]
    fn two_servers_mean_formula_at_several_loads() {
        // Mean for c = 2: C/(2μ − λ) + 1/μ with C = 2ρ²/(1 + ρ), ρ = λ/(2μ).
        let mu = 4.0;
        for lambda in [0.5, 3.0, 6.0, 7.9] {
            let rho = lambda / (2.0 * mu);
            let c_wait = 2.0 * rho * rho / (1.0 + rho);
            let expected = c_wait / (2.0 * mu - lambda) + 1.0 / mu;
            assert_rel(
                mmc_response_time(2, lambda, mu).unwrap().mean_s,
                expected,
                REL,
            );
        }
    }

    #[test]
    fn survival_at_equal_rates_and_continuity_around_them() {
        // c = 2, λ = μ gives θ = 2μ − λ = μ and C = 1/3 (ρ = 1/2): Erlang-2 branch,
        // P(T > t) = (2/3)e^{−μt} + (1/3)(1 + μt)e^{−μt} = e^{−μt}(1 + μt/3).
        for mu in [1.0_f64, 3.0] {
            for t in [0.05, 0.7, 2.0, 9.0] {
                let exact = (-mu * t).exp() * (1.0 + mu * t / 3.0);
                assert_rel(mmc_sojourn_survival(2, mu, mu, t), exact, REL);
                // θ = μ(1 ∓ eps): the function is smooth in λ, so it moves by O(eps); the naive
                // quotient (θe^{−μt} − μe^{−θt})/(θ − μ) would be off by ~1e-16/eps (1e-4 at
                // eps = 1e-12).
                for eps in [1e-9, -1e-9, 1e-12, -1e-12] {
                    // The true change is ~|eps|·μt relative; allow 10× that.
                    let nearby = mmc_sojourn_survival(2, mu * (1.0 + eps), mu, t);
                    assert_rel(nearby, exact, 10.0 * eps.abs() * (1.0 + mu * t));
                }
            }
        }
    }

    #[test]
    fn survival_limits_and_unstable_queues() {
        assert_eq!(mmc_sojourn_survival(3, 2.0, 1.0, 0.0), 1.0);
        assert_eq!(mmc_sojourn_survival(3, 2.0, 1.0, -1.0), 1.0);
        assert_eq!(mmc_sojourn_survival(3, 2.0, 1.0, f64::INFINITY), 0.0);
        assert_eq!(mmc_sojourn_survival(3, 2.0, 1.0, 1e6), 0.0);
        // No steady state: the wait is unbounded.
        assert_eq!(mmc_sojourn_survival(0, 2.0, 1.0, 5.0), 1.0);
        assert_eq!(mmc_sojourn_survival(2, 2.0, 1.0, 5.0), 1.0);
        assert_eq!(mmc_sojourn_survival(2, 1.0, 0.0, 5.0), 1.0);
    }

    #[test]
    fn survival_matches_numerical_convolution() {
        // P(T > t) = P(S > t) + ∫_0^t μe^{−μs}·P(W > t − s) ds with P(W > w) = C·e^{−θw}:
        // integrated numerically, independently of the closed form.
        for (c, lambda, mu) in [
            (10_u32, 8.0, 1.0),
            (5, 3.9, 1.0),
            (3, 0.5, 2.0),
            (40, 39.0, 1.0),
        ] {
            let theta = f64::from(c) * mu - lambda;
            let c_wait = erlang_c(c, lambda / mu);
            for t in [0.2, 1.0, 4.0] {
                let integral = simpson(
                    |s| mu * (-mu * s).exp() * c_wait * (-theta * (t - s)).exp(),
                    0.0,
                    t,
                    2000,
                );
                let expected = (-mu * t).exp() + integral;
                assert_rel(mmc_sojourn_survival(c, lambda, mu, t), expected, REL);
            }
        }
    }

    #[test]
    fn mean_is_integral_of_survival() {
        // E[T] = ∫_0^∞ P(T > t) dt, integrated numerically up to where the tail is < 1e-30.
        for (c, lambda, mu) in [(10_u32, 8.0, 1.0), (2, 1.0, 1.0), (4, 1.0, 0.5)] {
            let theta = f64::from(c) * mu - lambda;
            let end = 70.0 / theta.min(mu);
            let integral = simpson(|t| mmc_sojourn_survival(c, lambda, mu, t), 0.0, end, 40_000);
            assert_rel(
                mmc_response_time(c, lambda, mu).unwrap().mean_s,
                integral,
                REL,
            );
        }
    }

    #[test]
    fn quantile_inverts_survival() {
        let queues = [
            (1_u32, 5.0, 10.0),
            (2, 1.0, 1.0), // θ = μ
            (2, 0.5, 1.0), // θ > μ
            (2, 1.5, 1.0), // θ < μ
            (10, 8.0, 1.0),
            (50, 49.95, 1.0), // ρ = 0.999
            (1000, 990.0, 1.0),
            (4, 0.0, 2.5), // no load
        ];
        for (c, lambda, mu) in queues {
            for p in [1e-6, 0.01, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0 - 1e-9] {
                let t = mmc_sojourn_quantile(c, lambda, mu, p).unwrap();
                let survival = mmc_sojourn_survival(c, lambda, mu, t);
                assert_rel(survival, 1.0 - p, 1e-11);
                if p >= 0.01 {
                    // The smallest such t: a hair earlier the survival is still above 1 − p.
                    assert!(mmc_sojourn_survival(c, lambda, mu, t * (1.0 - 1e-9)) > 1.0 - p);
                    assert!(mmc_sojourn_survival(c, lambda, mu, t * (1.0 + 1e-9)) < 1.0 - p);
                }
            }
        }
    }

    #[test]
    fn quantile_edge_cases() {
        assert_eq!(mmc_sojourn_quantile(2, 1.0, 1.0, 0.0), Some(0.0));
        assert_eq!(mmc_sojourn_quantile(2, 1.0, 1.0, 1.0), Some(f64::INFINITY));
        assert_eq!(mmc_sojourn_quantile(2, 1.0, 1.0, -0.1), None);
        assert_eq!(mmc_sojourn_quantile(2, 1.0, 1.0, 1.1), None);
        assert_eq!(mmc_sojourn_quantile(2, 1.0, 1.0, f64::NAN), None);
        assert_eq!(mmc_sojourn_quantile(2, 2.0, 1.0, 0.5), None);
    }

    #[test]
    fn response_time_none_without_steady_state() {
        assert_eq!(mmc_response_time(0, 1.0, 1.0), None);
        assert_eq!(mmc_response_time(3, 1.0, 0.0), None);
        assert_eq!(mmc_response_time(3, 1.0, -1.0), None);
        assert_eq!(mmc_response_time(3, 3.0, 1.0), None);
        assert_eq!(mmc_response_time(3, 7.0, 1.0), None);
        assert_eq!(mmc_response_time(3, -1.0, 1.0), None);
        assert_eq!(mmc_response_time(3, f64::NAN, 1.0), None);
        assert_eq!(mmc_response_time(3, 1.0, f64::INFINITY), None);
    }

    #[test]
    fn response_time_without_load_is_service_time() {
        // λ = 0: nobody waits, T = S ~ Exp(μ).
        let mu = 4.0;
        let rt = mmc_response_time(3, 0.0, mu).unwrap();
        assert_rel(rt.mean_s, 1.0 / mu, REL);
        assert_rel(rt.p50_s, 2f64.ln() / mu, REL);
        assert_rel(rt.p95_s, 20f64.ln() / mu, REL);
        assert_rel(rt.p99_s, 100f64.ln() / mu, REL);
    }

    #[test]
    fn response_time_quantiles_grow_with_load() {
        let mut previous_p99 = 0.0;
        for lambda in [1.0, 5.0, 8.0, 9.5, 9.9] {
            let rt = mmc_response_time(10, lambda, 1.0).unwrap();
            assert!(rt.p50_s < rt.p95_s && rt.p95_s < rt.p99_s, "{rt:?}");
            assert!(rt.p99_s > previous_p99, "{rt:?}");
            previous_p99 = rt.p99_s;
        }
    }

    fn assert_conserved(step: &FluidStep, before: f64, after: f64) {
        let outflow = step.served + step.dropped + (after - before);
        assert!(
            (step.arrived - outflow).abs() <= 1e-9 * step.arrived.max(before).max(1.0),
            "arrived {} != served {} + dropped {} + Δbacklog {}",
            step.arrived,
            step.served,
            step.dropped,
            after - before
        );
    }

    fn queue(backlog_requests: f64) -> FluidQueue {
        FluidQueue { backlog_requests }
    }

    #[test]
    fn fluid_overload_from_empty() {
        // 150 in, 100 out for 10 s: the backlog grows at 50/s to 500; the wait of an arrival
        // grows linearly from 0 to 500/100 = 5 s, so the mean over uniform arrivals is 2.5 s.
        let mut q = queue(0.0);
        let step = q.advance(10.0, 150.0, 100.0, f64::INFINITY);
        assert_rel(q.backlog_requests, 500.0, REL);
        assert_rel(step.arrived, 1500.0, REL);
        assert_rel(step.served, 1000.0, REL);
        assert_eq!(step.dropped, 0.0);
        assert_rel(step.mean_wait_s, 2.5, REL);
        assert_conserved(&step, 0.0, q.backlog_requests);
        assert_rel(q.wait_s(100.0), 5.0, REL);
        assert_eq!(q.time_to_drain_s(150.0, 100.0), None);
        assert_eq!(q.time_to_drain_s(100.0, 100.0), None);
    }

    #[test]
    fn fluid_drain_splits_the_step_where_the_backlog_empties() {
        // 500 queued, 50 in, 100 out: drains at 50/s, empty after 10 s.
        let mut q = queue(500.0);
        assert_rel(q.time_to_drain_s(50.0, 100.0).unwrap(), 10.0, REL);
        // A 20 s step: 10 s draining (500 arrive, 1000 served, waits 5 s → 0, mean 2.5 s), then
        // 10 s empty (500 arrive and are served at once). Mean wait (500·2.5 + 500·0)/1000.
        let step = q.advance(20.0, 50.0, 100.0, f64::INFINITY);
        assert_eq!(q.backlog_requests, 0.0);
        assert_rel(step.arrived, 1000.0, REL);
        assert_rel(step.served, 1500.0, REL);
        assert_eq!(step.dropped, 0.0);
        assert_rel(step.mean_wait_s, 1.25, REL);
        assert_conserved(&step, 500.0, 0.0);
        assert_eq!(q.time_to_drain_s(50.0, 100.0), None);
        assert_eq!(q.wait_s(100.0), 0.0);

        // Exactly the drain time lands on empty.
        let mut q = queue(500.0);
        let step = q.advance(10.0, 50.0, 100.0, f64::INFINITY);
        assert_eq!(q.backlog_requests, 0.0);
        assert_rel(step.served, 1000.0, REL);
        assert_rel(step.mean_wait_s, 2.5, REL);
    }

    #[test]
    fn fluid_timeout_caps_the_backlog() {
        // 200 in, 100 out, timeout 1 s: cap 1 s × 100/s = 100 requests, reached after
        // 100/(200 − 100) = 1 s. Then 100/s are admitted and served, 100/s dropped for 9 s.
        // dropped = 2000 − 1000 − 100 = 900. Waits: first second 0 → 1 s (mean 0.5 s over 200
        // arrivals), then 1 s each for 900 admitted: (100 + 900)/1100 = 10/11 s.
        let mut q = queue(0.0);
        let step = q.advance(10.0, 200.0, 100.0, 1.0);
        assert_rel(q.backlog_requests, 100.0, REL);
        assert_rel(step.arrived, 2000.0, REL);
        assert_rel(step.served, 1000.0, REL);
        assert_rel(step.dropped, 900.0, REL);
        assert_rel(step.mean_wait_s, 10.0 / 11.0, REL);
        assert_conserved(&step, 0.0, q.backlog_requests);
    }

    #[test]
    fn fluid_capacity_drop_trims_the_backlog() {
        // 500 queued but capacity 100/s and timeout 2 s: only 200 can be served in time, 300 are
        // dropped at once. Then in = out = 100/s for 1 s at a steady wait of 2 s.
        let mut q = queue(500.0);
        let step = q.advance(1.0, 100.0, 100.0, 2.0);
        assert_rel(q.backlog_requests, 200.0, REL);
        assert_rel(step.dropped, 300.0, REL);
        assert_rel(step.served, 100.0, REL);
        assert_rel(step.mean_wait_s, 2.0, REL);
        assert_conserved(&step, 500.0, q.backlog_requests);
    }

    #[test]
    fn fluid_zero_capacity() {
        // With a timeout, nothing can be served in time: backlog and arrivals are all dropped.
        let mut q = queue(500.0);
        let step = q.advance(2.0, 10.0, 0.0, 30.0);
        assert_eq!(q.backlog_requests, 0.0);
        assert_rel(step.dropped, 520.0, REL);
        assert_eq!(step.served, 0.0);
        assert_eq!(step.mean_wait_s, 0.0);
        assert_conserved(&step, 500.0, 0.0);

        // Without one, requests pile up and wait forever.
        let mut q = queue(500.0);
        let step = q.advance(2.0, 10.0, 0.0, f64::INFINITY);
        assert_rel(q.backlog_requests, 520.0, REL);
        assert_eq!(step.dropped, 0.0);
        assert_eq!(step.served, 0.0);
        assert_eq!(step.mean_wait_s, f64::INFINITY);
        assert_eq!(q.wait_s(0.0), f64::INFINITY);
        assert_eq!(q.time_to_drain_s(10.0, 0.0), None);
        assert_eq!(queue(0.0).wait_s(0.0), 0.0);
    }

    #[test]
    fn fluid_steps_compose() {
        // Cutting a step in pieces changes nothing: the crossings are handled analytically.
        let cases = [
            (500.0, 50.0, 100.0, f64::INFINITY, [7.0, 13.0]),
            (0.0, 200.0, 100.0, 1.0, [0.4, 9.6]),
            (300.0, 130.0, 100.0, 4.0, [2.5, 7.5]),
        ];
        for (backlog, lambda, capacity, max_wait, pieces) in cases {
            let mut whole = queue(backlog);
            let one = whole.advance(pieces.iter().sum(), lambda, capacity, max_wait);
            let mut split = queue(backlog);
            let mut totals = [0.0; 4]; // arrived, served, dropped, wait sum
            for dt in pieces {
                let step = split.advance(dt, lambda, capacity, max_wait);
                totals[0] += step.arrived;
                totals[1] += step.served;
                totals[2] += step.dropped;
                totals[3] += step.mean_wait_s * (step.arrived - step.dropped);
            }
            assert_rel(split.backlog_requests, whole.backlog_requests, REL);
            assert_rel(totals[0], one.arrived, REL);
            assert_rel(totals[1], one.served, REL);
            assert_rel(totals[2] + 1.0, one.dropped + 1.0, REL);
            assert_rel(
                totals[3],
                one.mean_wait_s * (one.arrived - one.dropped),
                REL,
            );
        }
    }

    #[test]
    fn fluid_conserves_requests_and_respects_bounds() {
        for backlog in [0.0, 50.0, 500.0] {
            for lambda in [0.0, 50.0, 100.0, 150.0] {
                for capacity in [0.0, 80.0, 100.0] {
                    for max_wait in [0.0, 0.5, 2.0, f64::INFINITY] {
                        for dt in [0.0, 0.3, 5.0] {
                            let mut q = queue(backlog);
                            let step = q.advance(dt, lambda, capacity, max_wait);
                            let after = q.backlog_requests;
                            assert_conserved(&step, backlog, after);
                            assert!(after >= 0.0);
                            if max_wait.is_finite() {
                                assert!(after <= max_wait * capacity * (1.0 + 1e-12));
                            }
                            assert!(step.served >= 0.0 && step.dropped >= 0.0);
                            assert!(step.served <= capacity * dt * (1.0 + 1e-12));
                            assert!(step.mean_wait_s >= 0.0);
                            assert!(
                                step.mean_wait_s.is_finite()
                                    || (capacity == 0.0 && max_wait.is_infinite())
                            );
                        }
                    }
                }
            }
        }
    }
}

//! Requests held while a service scaled to zero has no ready pod (issue 20, `hold_at_zero`).
//!
//! A service that an event-driven scaler scales to zero does not refuse what arrives at zero:
//! KEDA's queue-driven consumers leave the messages in the queue until the first consumer
//! starts ("Scaling Deployments, StatefulSets & Custom Resources", keda.sh: with
//! `minReplicaCount: 0` the Deployment is activated when the queue passes the activation
//! threshold), and the HTTP add-on's interceptor holds each request until an endpoint is
//! ready (keda.sh, HTTP add-on, "Design": "the interceptor … holds the request until the
//! application is ready", up to its `KEDA_CONDITION_WAIT_TIMEOUT`). So the cold start — pod
//! scheduling, node boot if one is needed, start-up and readiness — is waited out by those
//! requests and counts in their latency.
//!
//! The fluid model keeps the held arrivals as stretches of constant rate, oldest first, so
//! each request's age is known: one still held a timeout after it arrived gives up (counted
//! as dropped then, as the request-level model does). When capacity returns the held requests
//! join the front of the fluid backlog in arrival order: a request of age `a` with `k` held
//! requests ahead of it waits `a + k/(cμ)` in all, linear along each stretch, so a stretch's
//! waits are uniform between its ends and its latency is that uniform wait plus the Exp(μ)
//! service, whose survival function is below in closed form. As the fluid model does with a
//! backlog above its timeout cap, only the newest `τ·cμ` held requests are kept; the oldest
//! excess is dropped.
//!
//! The request-level backend needs none of this: its waiting requests already stay in their
//! FIFO with no server until one is ready or their timeout passes.

use super::{Counts, Histogram};
use serde::{Deserialize, Serialize};

/// Arrivals at a constant rate over `[from_s, to_s)`, seconds since the run's start.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Stretch {
    from_s: f64,
    to_s: f64,
    rate_rps: f64,
}

impl Stretch {
    fn requests(&self) -> f64 {
        self.rate_rps * (self.to_s - self.from_s)
    }
}

/// The requests waiting for a service's first ready pod, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct Held {
    stretches: Vec<Stretch>,
}

impl Held {
    /// The requests held now.
    pub(super) fn requests(&self) -> f64 {
        self.stretches.iter().map(Stretch::requests).sum()
    }

    /// Holds the arrivals of `[from_s, to_s)` at `rate_rps`, then drops those that have
    /// waited longer than `timeout_s` at `to_s`.
    pub(super) fn hold(
        &mut self,
        from_s: f64,
        to_s: f64,
        rate_rps: f64,
        timeout_s: f64,
        counts: &mut Counts,
    ) {
        let arrived = rate_rps * (to_s - from_s);
        counts.arrived += arrived;
        if arrived > 0.0 {
            self.stretches.push(Stretch {
                from_s,
                to_s,
                rate_rps,
            });
        }
        counts.dropped += self.drop_arrived_before(to_s - timeout_s);
    }

    /// Drops every request that arrived before `cut_s`; returns how many.
    fn drop_arrived_before(&mut self, cut_s: f64) -> f64 {
        let mut dropped = 0.0;
        self.stretches.retain_mut(|s| {
            if s.to_s <= cut_s {
                dropped += s.requests();
                false
            } else {
                if s.from_s < cut_s {
                    dropped += s.rate_rps * (cut_s - s.from_s);
                    s.from_s = cut_s;
                }
                true
            }
        });
        dropped
    }

    /// How many held requests a release at `capacity_rps` would keep: at most the fluid
    /// model's timeout cap `timeout_s × capacity_rps` less the backlog already queued.
    pub(super) fn kept(&self, capacity_rps: f64, timeout_s: f64, backlog: f64) -> f64 {
        self.requests()
            .min((timeout_s * capacity_rps - backlog).max(0.0))
    }

    /// Releases every held request at `now_s` to servers of total `capacity_rps` (> 0) and
    /// per-pod rate `mu_rps`, behind `backlog` requests already queued: keeps the newest
    /// [`Self::kept`] (the rest are dropped), adds each kept stretch's latency — its wait so
    /// far, plus its place in the queue, plus service — to `histogram` (and within-target
    /// requests to `counts`), and returns how many requests join the backlog. They are counted
    /// as served when the backlog drains them, like any backlog.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn release(
        &mut self,
        now_s: f64,
        capacity_rps: f64,
        mu_rps: f64,
        timeout_s: f64,
        backlog: f64,
        target_s: Option<f64>,
        counts: &mut Counts,
        histogram: &mut Histogram,
    ) -> f64 {
        let kept = self.kept(capacity_rps, timeout_s, backlog);
        let mut excess = self.requests() - kept;
        counts.dropped += excess;
        let mut ahead = backlog;
        for mut s in std::mem::take(&mut self.stretches) {
            // The oldest requests go first: they would wait longest.
            let n = s.requests();
            if excess >= n {
                excess -= n;
                continue;
            }
            if excess > 0.0 {
                s.from_s += excess / s.rate_rps;
                excess = 0.0;
            }
            let n = s.requests();
            let first = (now_s - s.from_s) + ahead / capacity_rps;
            ahead += n;
            let last = (now_s - s.to_s) + ahead / capacity_rps;
            let (lo, hi) = (first.min(last), first.max(last));
            let survival = |t: f64| uniform_plus_exp_survival(t, lo, hi, mu_rps);
            histogram.add(n, survival);
            if let Some(x) = target_s {
                counts.within_target += n * (1.0 - survival(x));
            }
        }
        kept
    }
}

/// P(W + S > t) for a wait W uniform on `[lo, hi]` and a service S ~ Exp(μ):
/// 1 for t ≤ lo; `(hi − t)/Δ + (1 − e^{−μ(t − lo)})/(μΔ)` between; and
/// `(e^{−μ(t − hi)} − e^{−μ(t − lo)})/(μΔ)` past `hi` (Δ = hi − lo; integrate the Exp survival
/// over the uniform wait). A stretch held for an instant (Δ ≈ 0) is a fixed wait.
fn uniform_plus_exp_survival(t: f64, lo: f64, hi: f64, mu: f64) -> f64 {
    let width = hi - lo;
    if t <= lo {
        return 1.0;
    }
    if width <= 1e-12 * hi.max(1.0) {
        return (-mu * (t - lo)).exp();
    }
    let tail = if t < hi {
        (hi - t) / width + (1.0 - (-mu * (t - lo)).exp()) / (mu * width)
    } else {
        ((-mu * (t - hi)).exp() - (-mu * (t - lo)).exp()) / (mu * width)
    };
    tail.clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_survival_is_the_convolution_at_its_ends() {
        // Uniform on [2, 4] plus Exp(1): certain above 2; at 4 the wait is done with the
        // service left from U: (1 − e^{−2})/2; past 4 it decays as e^{−(t−4)} times that.
        assert_eq!(uniform_plus_exp_survival(2.0, 2.0, 4.0, 1.0), 1.0);
        let at_hi = (1.0 - (-2.0f64).exp()) / 2.0;
        assert!((uniform_plus_exp_survival(4.0, 2.0, 4.0, 1.0) - at_hi).abs() < 1e-12);
        let later = uniform_plus_exp_survival(5.0, 2.0, 4.0, 1.0);
        assert!((later - at_hi * (-1.0f64).exp()).abs() < 1e-12);
    }

    #[test]
    fn requests_older_than_the_timeout_give_up() {
        // 2 requests/s held from 0 to 50 s with a 30 s timeout: the first 20 s (40 requests)
        // have given up at 50 s, 60 are still held.
        let (mut held, mut counts) = (Held::default(), Counts::default());
        held.hold(0.0, 50.0, 2.0, 30.0, &mut counts);
        assert_eq!((counts.arrived, counts.dropped), (100.0, 40.0));
        assert!((held.requests() - 60.0).abs() < 1e-9);
    }

    #[test]
    fn a_release_past_the_cap_drops_the_oldest() {
        // 60 held, capacity 1 request/s, timeout 30 s: 30 kept (the newest), 30 dropped.
        let (mut held, mut counts) = (Held::default(), Counts::default());
        held.hold(20.0, 50.0, 2.0, 30.0, &mut counts);
        let mut histogram = Histogram::default();
        let kept = held.release(50.0, 1.0, 1.0, 30.0, 0.0, None, &mut counts, &mut histogram);
        assert_eq!((kept, counts.dropped), (30.0, 30.0));
        assert!((histogram.requests() - 30.0).abs() < 1e-9);
        assert_eq!(held.requests(), 0.0);
    }
}

//! client-go's client-side rate limiter as arithmetic: a token bucket of `burst` tokens
//! refilled at `qps` (`flowcontrol.NewTokenBucketRateLimiter`, k8s.io/client-go
//! `util/flowcontrol/throttle.go`, over golang.org/x/time/rate), written as the equivalent
//! Generic Cell Rate Algorithm so a grant is O(1) integer work and no timer is needed per
//! request: a request made at `t` is let through at `max(t, tat − (burst − 1)·T)`, after which
//! the theoretical arrival time `tat` becomes `max(tat, grant) + T`, `T = 1/qps`.
//!
//! `T` is rounded to whole nanoseconds (exact for the defaults: 20 QPS → 50 ms, 50 → 20 ms).

use serde::{Deserialize, Serialize};

/// A token bucket; `None` interval means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenBucket {
    interval_ns: u64,
    tolerance_ns: u64,
    tat_ns: u64,
}

impl TokenBucket {
    /// A full bucket of `burst` (at least 1) tokens refilled at `qps` (> 0) per second.
    pub fn new(qps: f64, burst: u32) -> Self {
        let interval_ns = (1e9 / qps).round().max(1.0) as u64;
        TokenBucket {
            interval_ns,
            tolerance_ns: u64::from(burst.max(1) - 1) * interval_ns,
            tat_ns: 0,
        }
    }

    /// When a request made at `at_ns` would be let through, without taking its token.
    pub fn peek(&self, at_ns: u64) -> u64 {
        at_ns.max(self.tat_ns.saturating_sub(self.tolerance_ns))
    }

    /// Takes a token for a request made at `at_ns`; returns when it is let through.
    pub fn grant(&mut self, at_ns: u64) -> u64 {
        let granted = self.peek(at_ns);
        self.tat_ns = self.tat_ns.max(granted) + self.interval_ns;
        granted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn a_full_bucket_lets_burst_through_then_one_per_interval() {
        // 20 QPS, burst 30: requests 1–30 at t = 0; the 31st waits one interval (50 ms), the
        // 32nd two; the n-th (n > 30) at (n − 30) × 50 ms.
        let mut b = TokenBucket::new(20.0, 30);
        let grants: Vec<u64> = (0..32).map(|_| b.grant(0)).collect();
        assert!(grants[..30].iter().all(|&g| g == 0));
        assert_eq!(grants[30], 50 * MS);
        assert_eq!(grants[31], 100 * MS);
    }

    #[test]
    fn an_idle_bucket_refills_up_to_burst() {
        let mut b = TokenBucket::new(50.0, 100);
        for _ in 0..100 {
            b.grant(0);
        }
        // After 1 s idle, 50 tokens came back (20 ms each): 50 requests pass at once, the 51st
        // waits 20 ms.
        let at = 1000 * MS;
        let grants: Vec<u64> = (0..51).map(|_| b.grant(at)).collect();
        assert!(grants[..50].iter().all(|&g| g == at));
        assert_eq!(grants[50], at + 20 * MS);
        // Never more than the burst, however long idle.
        let mut b = TokenBucket::new(50.0, 100);
        let late = 3600 * 1000 * MS;
        let grants: Vec<u64> = (0..101).map(|_| b.grant(late)).collect();
        assert_eq!(grants[99], late);
        assert_eq!(grants[100], late + 20 * MS);
    }
}

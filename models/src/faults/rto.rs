//! The RTO of a failure, measured, with its phases.
//!
//! RTO = failure → the first instant the SLO is met again **and stays met for `hold`**
//! (`RecoveryTargets::rto_hold`, default 5 min), so a lucky sample in the middle of the
//! recovery does not end it. The tracker is fed "SLO ok / not ok at t" samples in time order
//! (the integrator's judgement at each output sample, or at every change); the RTO is exact to
//! the samples' resolution. A failure the SLO never notices gives the first sample at or after
//! the failure (0 if a sample falls on it).
//!
//! Phases partition `[failure, restored]` at the milestones the integrator records:
//!
//! * **detection**: failure → the health checks see the region unhealthy
//!   (`FailoverRouter::detected_at`);
//! * **routing**: → every client has followed DNS (`FailoverRouter::clients_moved_at`, one
//!   TTL later);
//! * **warm-up**: → the receiving regions' standby pods are ready (0 when the warm standby was
//!   already ready);
//! * **scale-up**: → the SLO is restored (HPA and node autoscaler absorbing the shifted load).
//!
//! A milestone not recorded (no router for a zone failure, no standby) closes its phase at
//! zero length; milestones are clamped into `[previous milestone, restored]`, so the phases
//! always sum to the RTO.

use sim::time::{SimDuration, SimTime};

/// The RTO's phases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RtoPhases {
    pub detection: SimDuration,
    pub routing: SimDuration,
    pub warm_up: SimDuration,
    pub scale_up: SimDuration,
}

impl RtoPhases {
    pub fn total(&self) -> SimDuration {
        self.detection + self.routing + self.warm_up + self.scale_up
    }
}

/// How a failure ended, as far as the run saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtoOutcome {
    Restored {
        restored_at: SimTime,
        rto: SimDuration,
        phases: RtoPhases,
    },
    /// The SLO was not restored (and held) by the last sample.
    NotRestored {
        /// Failure → last sample: the RTO is at least this.
        at_least: SimDuration,
    },
}

impl RtoOutcome {
    /// Whether the RTO is within the target (never, when not restored).
    pub fn meets(&self, target: SimDuration) -> bool {
        matches!(self, RtoOutcome::Restored { rto, .. } if *rto <= target)
    }
}

/// Tracks one failure from its instant to the SLO's restoration.
#[derive(Debug, Clone)]
pub struct RtoTracker {
    failure_at: SimTime,
    hold: SimDuration,
    detected_at: Option<SimTime>,
    routed_at: Option<SimTime>,
    warm_at: Option<SimTime>,
    /// First ok sample of the current run of ok samples.
    candidate: Option<SimTime>,
    restored_at: Option<SimTime>,
    last_sample: Option<SimTime>,
}

impl RtoTracker {
    pub fn new(failure_at: SimTime, hold: SimDuration) -> Self {
        RtoTracker {
            failure_at,
            hold,
            detected_at: None,
            routed_at: None,
            warm_at: None,
            candidate: None,
            restored_at: None,
            last_sample: None,
        }
    }

    pub fn failure_at(&self) -> SimTime {
        self.failure_at
    }

    /// End of the detection phase.
    pub fn set_detected(&mut self, t: SimTime) {
        self.detected_at = Some(t);
    }

    /// End of the routing phase.
    pub fn set_routed(&mut self, t: SimTime) {
        self.routed_at = Some(t);
    }

    /// End of the warm-up phase.
    pub fn set_warm(&mut self, t: SimTime) {
        self.warm_at = Some(t);
    }

    /// The SLO is (`ok`) or is not met at `t`. Samples before the failure and after the
    /// restoration is confirmed are ignored; samples must come in time order.
    pub fn observe(&mut self, t: SimTime, ok: bool) {
        if t < self.failure_at || self.restored_at.is_some() {
            return;
        }
        self.last_sample = Some(t);
        match (ok, self.candidate) {
            (false, _) => self.candidate = None,
            (true, None) => self.candidate = Some(t),
            (true, Some(_)) => {}
        }
        if let Some(c) = self.candidate
            && t.saturating_duration_since(c) >= self.hold
        {
            self.restored_at = Some(c);
        }
    }

    pub fn outcome(&self) -> RtoOutcome {
        let Some(restored) = self.restored_at else {
            let last = self.last_sample.unwrap_or(self.failure_at);
            return RtoOutcome::NotRestored {
                at_least: last.saturating_duration_since(self.failure_at),
            };
        };
        let clamp = |m: Option<SimTime>, prev: SimTime| m.unwrap_or(prev).max(prev).min(restored);
        let detected = clamp(self.detected_at, self.failure_at);
        let routed = clamp(self.routed_at, detected);
        let warm = clamp(self.warm_at, routed);
        RtoOutcome::Restored {
            restored_at: restored,
            rto: restored.saturating_duration_since(self.failure_at),
            phases: RtoPhases {
                detection: detected.saturating_duration_since(self.failure_at),
                routing: routed.saturating_duration_since(detected),
                warm_up: warm.saturating_duration_since(routed),
                scale_up: restored.saturating_duration_since(warm),
            },
        }
    }
}

//! Traffic shapes: the arrival rate of a service as a piecewise-constant function of time.
//!
//! Why piecewise-constant: the simulation never generates requests one by one (DESIGN.md,
//! "Traffic is a rate, not requests"). A shape says what the rate is now and when it next
//! changes, so the traffic model wakes only at breakpoints and a 24-hour diurnal day at a 1-minute
//! step costs 1 440 events per service and region, whatever the request count.
//!
//! Continuous shapes are sampled at the *midpoint* of each step: for a smooth curve the midpoint
//! value is a second-order approximation of the step's mean rate, so the number of requests
//! over a day is right to within O(step²) and does not depend on where the step starts.

use serde::{Deserialize, Serialize};
use sim::time::{SimDuration, SimTime, UtcInstant};

const SECONDS_PER_DAY: f64 = 86_400.0;

/// How the arrival rate of one service in one region evolves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Shape {
    /// The same rate for the whole run.
    Constant { rps: f64 },
    /// A daily cycle: `mean_rps × (1 + amplitude × cos(2π (h − peak_hour) / 24))`, with `h` the
    /// hour of day in UTC (fractional), held constant over each `step` (default 1 minute).
    /// `amplitude` 0 is flat, 1 drops to zero at the trough; the mean over a day is `mean_rps`.
    Diurnal {
        mean_rps: f64,
        amplitude: f64,
        peak_hour: f64,
        #[serde(default = "default_step")]
        step: SimDuration,
    },
}

/// The default step of continuous shapes: one minute, the resolution of the real request traces
/// bundled with clustersim (requests per minute).
pub fn default_step() -> SimDuration {
    SimDuration::from_secs(60)
}

/// The rate over one piece of a shape: `rps` from now until `until` (or forever).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    pub rps: f64,
    pub until: Option<SimTime>,
}

/// A shape's parameter that is out of range: the field name and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError {
    pub field: &'static str,
    pub expected: &'static str,
}

impl Shape {
    /// Checks the parameters a deserializer cannot: ranges and finiteness.
    pub fn validate(&self) -> Result<(), ShapeError> {
        let err = |field, expected| Err(ShapeError { field, expected });
        match *self {
            Shape::Constant { rps } => {
                if !(rps.is_finite() && rps >= 0.0) {
                    return err("rps", "a finite rate >= 0");
                }
            }
            Shape::Diurnal {
                mean_rps,
                amplitude,
                peak_hour,
                step,
            } => {
                if !(mean_rps.is_finite() && mean_rps >= 0.0) {
                    return err("mean_rps", "a finite rate >= 0");
                }
                if !(0.0..=1.0).contains(&amplitude) {
                    return err("amplitude", "a number between 0 and 1");
                }
                if !(0.0..24.0).contains(&peak_hour) {
                    return err("peak_hour", "an hour of day in [0, 24)");
                }
                if step.is_zero() {
                    return err("step", "a positive duration such as \"1m\"");
                }
            }
        }
        Ok(())
    }

    /// The rate at `now` and when it next changes; `start` is the simulated wall-clock instant
    /// of time zero, which places the daily cycle.
    pub fn segment(&self, start: UtcInstant, now: SimTime) -> Segment {
        match *self {
            Shape::Constant { rps } => Segment { rps, until: None },
            Shape::Diurnal {
                mean_rps,
                amplitude,
                peak_hour,
                step,
            } => {
                let step_ns = step.as_nanos();
                let index = now.as_nanos() / step_ns;
                let midpoint_s = (index as f64 + 0.5) * step.as_secs_f64();
                let day_s = (start.unix_s().rem_euclid(86_400) as f64 + midpoint_s)
                    .rem_euclid(SECONDS_PER_DAY);
                let phase = std::f64::consts::TAU * (day_s / 3600.0 - peak_hour) / 24.0;
                Segment {
                    rps: mean_rps * (1.0 + amplitude * phase.cos()),
                    until: Some(SimTime::from_nanos((index + 1) * step_ns)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn midnight() -> UtcInstant {
        UtcInstant::parse("2026-11-27T00:00:00Z").unwrap()
    }

    fn diurnal(step_s: u64) -> Shape {
        Shape::Diurnal {
            mean_rps: 100.0,
            amplitude: 0.5,
            peak_hour: 14.0,
            step: SimDuration::from_secs(step_s),
        }
    }

    #[test]
    fn constant_never_changes() {
        let s = Shape::Constant { rps: 7.5 };
        let seg = s.segment(midnight(), SimTime::from_secs(12_345));
        assert_eq!(
            seg,
            Segment {
                rps: 7.5,
                until: None
            }
        );
    }

    #[test]
    fn diurnal_peaks_at_its_hour_and_troughs_twelve_hours_later() {
        // Four-hour steps: [12:00, 16:00) has its midpoint at 14:00, cos(0) = 1 → 150 rps.
        let s = diurnal(4 * 3600);
        let peak = s.segment(midnight(), SimTime::from_secs(13 * 3600));
        assert!((peak.rps - 150.0).abs() < 1e-9, "{}", peak.rps);
        assert_eq!(peak.until, Some(SimTime::from_secs(16 * 3600)));
        // [00:00, 04:00) has its midpoint at 02:00, 12 h from the peak: cos(π) = −1 → 50 rps.
        let trough = s.segment(midnight(), SimTime::from_secs(3600));
        assert!((trough.rps - 50.0).abs() < 1e-9, "{}", trough.rps);
    }

    #[test]
    fn diurnal_follows_the_start_instant() {
        // Starting at 14:00 UTC, the first 60 s step has its midpoint at 14:00:30, just past
        // the peak: 100 × (1 + 0.5 cos(2π · 30 / 86 400)).
        let start = UtcInstant::parse("2026-11-27T14:00:00Z").unwrap();
        let seg = diurnal(60).segment(start, SimTime::ZERO);
        let expected = 100.0 * (1.0 + 0.5 * (std::f64::consts::TAU * 30.0 / 86_400.0).cos());
        assert!((seg.rps - expected).abs() < 1e-9);
    }

    #[test]
    fn diurnal_mean_over_a_day_is_the_mean() {
        let s = diurnal(60);
        let total: f64 = (0..1440)
            .map(|k| s.segment(midnight(), SimTime::from_secs(k * 60)).rps * 60.0)
            .sum();
        assert!(
            (total / 86_400.0 - 100.0).abs() < 1e-9,
            "{}",
            total / 86_400.0
        );
    }

    #[test]
    fn out_of_range_parameters_name_their_field() {
        let bad = Shape::Diurnal {
            mean_rps: 10.0,
            amplitude: 1.5,
            peak_hour: 3.0,
            step: default_step(),
        };
        assert_eq!(bad.validate().unwrap_err().field, "amplitude");
        assert_eq!(
            Shape::Constant { rps: -1.0 }.validate().unwrap_err().field,
            "rps"
        );
        assert!(diurnal(60).validate().is_ok());
    }
}

//! Traffic shapes: the arrival rate of a service as a piecewise-constant function of time.
//!
//! Why piecewise-constant: the simulation never generates requests one by one (DESIGN.md,
//! "Traffic is a rate, not requests"). A shape says what the rate is now and when it next
//! changes, so the traffic model wakes only at breakpoints and a 24-hour diurnal day at a 1-minute
//! step costs 1 440 events per service and region, whatever the request count.
//!
//! Continuous shapes are sampled at the *midpoint* of each step: for a smooth curve the midpoint
//! value is a second-order approximation of the step's mean rate, so the number of requests
//! over a day is right to within O(step²) and does not depend on where the step starts. Steps
//! are counted from time zero of the run; where a shape has a corner inside a step (a ramp
//! starts, a flash crowd peaks), the step is cut there and each piece takes the value at its own
//! midpoint, so the corner is a breakpoint.
//!
//! # Shapes
//!
//! Every shape is a function of time to a number ≥ 0. At the top of a service's `traffic` it is
//! a rate in requests per second; inside `Product` it may be a dimensionless factor, and the
//! factor shapes (`Weekly`, `FlashCrowd`, `Noise`) are meant for that: they hover around 1.
//!
//! - `Constant(rps)`.
//! - `Diurnal(mean_rps, amplitude, peak_hour, time_zone?, step?)`:
//!   `mean × (1 + amplitude × cos(2π(h − peak_hour)/24))`, `h` the local hour of day.
//! - `Weekly(multipliers: [Mon, Tue, …, Sun], time_zone?)`: the day's multiplier, changing at
//!   local midnight (a factor).
//! - `Ramp(from, to, start, duration, step?)`: `from` until `start` (after time zero of the
//!   run), linear to `to` over `duration`, then `to`. A zero duration is a jump.
//! - `FlashCrowd(onset, rise, peak_multiplier, decay, step?)`: a factor, 1 until `onset`,
//!   rising linearly to `peak_multiplier` over `rise`, then decaying back to 1 exponentially
//!   with time constant `decay`, cut to exactly 1 once the excess is below 1/1000 of the peak
//!   excess (after `decay × ln 1000` ≈ 6.9 `decay`): see [`curves::flash_crowd`].
//! - `BlackFriday(peak_rps, time_zone?, …)`: the day of a US-centred storefront, see
//!   [`ShapeSpec::BlackFriday`] for the curve, its parameters and their sources.
//! - `Noise(cv, step?)`: a seeded random factor per step, log-normal with mean 1 and
//!   coefficient of variation `cv` ([`curves::noise_factor`]).
//! - `Sum([…])`, `Product([…])`: the sum and product of the parts.
//! - `Scale(factor, shape)`: `factor ×` the shape.
//! - `Trace(file, time_column, time_unit?, value_column, value_kind, interpolation?,
//!   scale_to_peak_rps?, loop?, start_offset?, step?)`: a real trace replayed; the column
//!   contract and replay rules are in [`crate::trace`].
//!
//! `time_zone` is an IANA name (`"America/New_York"`); `Diurnal` and `Weekly` default to UTC,
//! `BlackFriday` to `America/New_York`, where its sourced peak hour was measured. `step`
//! defaults to 1 minute. A composite's breakpoint is the earliest of its parts'.
//!
//! # Input and run time: two types
//!
//! A shape as written is a [`ShapeSpec`] (the serde schema, [`spec`]): checked with
//! [`ShapeSpec::validate`], made runnable with [`ShapeSpec::resolve`], which reads each `Trace`
//! file, once per service, into a [`Replay`]. The runnable [`Shape`] holds data, not paths: it
//! has no `Trace`, so a trace that was never read cannot reach a run (it used to run as 0
//! requests/s). [`Shape::seeded`] gives each `Noise` its random stream, once per service and
//! region; [`Shape::segment`] is the rate.
//!
//! Noise streams: `sim::rng::stream(seed, "traffic/<service>/<region>")` for a `Noise` at the
//! top of `traffic`, `"traffic/<service>/<region>/<path>"` for one inside (`…/Product[1].Noise`).
//! Step k of a stream draws its words 4k … 4k+3 (ChaCha's word position is set directly), so
//! the factor of a step does not depend on which other steps were evaluated before, and another
//! service or region never changes a stream's draws.
//!
//! # Error paths
//!
//! [`ShapeError::path`] is relative to `traffic`: the fields of the outermost shape come
//! directly (`amplitude`), the parts of `Sum` and `Product` are `Sum[i]`, `Scale`'s is `shape`,
//! and a nested shape adds its variant name: `Sum[1].FlashCrowd.peak_multiplier`,
//! `shape.Diurnal.amplitude`.
//!
//! (Over 800 lines: 560 of code, the rest tests of each shape's values and breakpoints, kept
//! beside the code they pin.)

pub mod curves;
mod spec;
mod zone;

use rand::Rng;
use serde::{Deserialize, Serialize};
use sim::time::{SimDuration, SimTime, UtcInstant};

pub use crate::trace::{Interpolation, Replay, ReplayOptions, TimeUnit, ValueKind};
use curves::Knot;
pub use spec::{MAX_SHAPE_NODES, ShapeError, ShapeSpec, default_step};
pub use zone::TimeZone;

const SECONDS_PER_DAY: f64 = 86_400.0;
const NANOS_PER_SEC: f64 = 1e9;

/// How the arrival rate of one service in one region evolves, ready to run: what
/// [`ShapeSpec::resolve`] makes of a shape as written. The variants and their parameters are
/// those of [`ShapeSpec`] (documented there), but that a `Trace` is a [`Replay`] of its data.
///
/// Read from a file it goes through [`ShapeSpec`] and refuses a `Trace` (which needs a file
/// read): that is how `models::jobs::config`'s Job arrival `rate` reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ShapeSpec")]
pub enum Shape {
    Constant {
        rps: f64,
    },
    Diurnal {
        mean_rps: f64,
        amplitude: f64,
        peak_hour: f64,
        time_zone: Option<TimeZone>,
        step: SimDuration,
    },
    Weekly {
        multipliers: Vec<f64>,
        time_zone: Option<TimeZone>,
    },
    Ramp {
        from: f64,
        to: f64,
        start: SimDuration,
        duration: SimDuration,
        step: SimDuration,
    },
    FlashCrowd {
        onset: SimDuration,
        rise: SimDuration,
        peak_multiplier: f64,
        decay: SimDuration,
        step: SimDuration,
    },
    BlackFriday {
        peak_rps: f64,
        time_zone: TimeZone,
        trough_hour: f64,
        night_level: f64,
        peak_hour: f64,
        afternoon_hour: f64,
        afternoon_level: f64,
        evening_hour: f64,
        evening_level: f64,
        step: SimDuration,
    },
    /// `seed` and `stream` name its random stream, set by [`Shape::seeded`].
    Noise {
        cv: f64,
        step: SimDuration,
        seed: u64,
        stream: String,
    },
    Sum(Vec<Shape>),
    Product(Vec<Shape>),
    Scale {
        factor: f64,
        shape: Box<Shape>,
    },
    /// A trace's data, read from its file by [`ShapeSpec::resolve`].
    Replay(Box<Replay>),
}

impl TryFrom<ShapeSpec> for Shape {
    type Error = ShapeError;

    /// A shape as written, without reading files: any `Trace` is refused.
    fn try_from(spec: ShapeSpec) -> Result<Shape, ShapeError> {
        spec.build("", None)
    }
}

/// The rate over one piece of a shape: `rps` from now until `until` (or forever).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    pub rps: f64,
    pub until: Option<SimTime>,
}

impl Shape {
    /// The variant's name, as written in files (`Replay` for a trace's data).
    pub fn variant_name(&self) -> &'static str {
        match self {
            Shape::Constant { .. } => "Constant",
            Shape::Diurnal { .. } => "Diurnal",
            Shape::Weekly { .. } => "Weekly",
            Shape::Ramp { .. } => "Ramp",
            Shape::FlashCrowd { .. } => "FlashCrowd",
            Shape::BlackFriday { .. } => "BlackFriday",
            Shape::Noise { .. } => "Noise",
            Shape::Sum(_) => "Sum",
            Shape::Product(_) => "Product",
            Shape::Scale { .. } => "Scale",
            Shape::Replay(_) => "Replay",
        }
    }

    /// The shape with each `Noise` given its stream: `seed` and `stream_prefix` followed by the
    /// noise's path inside the shape (see the module documentation).
    pub fn seeded(&self, seed: u64, stream_prefix: &str) -> Shape {
        self.seeded_at("", seed, stream_prefix)
    }

    fn seeded_at(&self, path: &str, seed: u64, stream_prefix: &str) -> Shape {
        let parts = |parts: &[Shape]| {
            let base = spec::list_base(path, self.variant_name());
            parts
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    p.seeded_at(
                        &format!("{base}[{i}].{}", p.variant_name()),
                        seed,
                        stream_prefix,
                    )
                })
                .collect()
        };
        match self {
            Shape::Noise { cv, step, .. } => Shape::Noise {
                cv: *cv,
                step: *step,
                seed,
                stream: if path.is_empty() {
                    stream_prefix.to_owned()
                } else {
                    format!("{stream_prefix}/{path}")
                },
            },
            Shape::Sum(ps) => Shape::Sum(parts(ps)),
            Shape::Product(ps) => Shape::Product(parts(ps)),
            Shape::Scale { factor, shape } => Shape::Scale {
                factor: *factor,
                shape: Box::new(shape.seeded_at(
                    &format!("{}.{}", spec::join(path, "shape"), shape.variant_name()),
                    seed,
                    stream_prefix,
                )),
            },
            other => other.clone(),
        }
    }

    /// The rate at `now` and when it next changes; `start` is the simulated wall-clock instant
    /// of time zero, which places the daily and weekly cycles.
    pub fn segment(&self, start: UtcInstant, now: SimTime) -> Segment {
        let now_ns = now.as_nanos();
        let at = |ns: u64| Some(SimTime::from_nanos(ns));
        match self {
            Shape::Constant { rps } => Segment {
                rps: *rps,
                until: None,
            },
            Shape::Diurnal {
                mean_rps,
                amplitude,
                peak_hour,
                time_zone,
                step,
            } => {
                let step_ns = step.as_nanos();
                let index = now_ns / step_ns;
                let midpoint_s = (index as f64 + 0.5) * step.as_secs_f64();
                let hour = local_hour(start, *time_zone, midpoint_s);
                Segment {
                    rps: curves::diurnal(*mean_rps, *amplitude, *peak_hour, hour),
                    until: at((index + 1).saturating_mul(step_ns)),
                }
            }
            Shape::Weekly {
                multipliers,
                time_zone,
            } => {
                let zone = time_zone.unwrap_or(TimeZone::UTC);
                let unix_s = start.plus(now).unix_s();
                let day = zone.local_s(unix_s).div_euclid(86_400);
                let weekday = (day + 3).rem_euclid(7) as usize;
                let next_s = zone.next_midnight(unix_s) - start.unix_s();
                Segment {
                    rps: multipliers.get(weekday).copied().unwrap_or(1.0),
                    until: at((next_s as u64).saturating_mul(1_000_000_000)),
                }
            }
            Shape::Ramp {
                from,
                to,
                start: ramp_start,
                duration,
                step,
            } => {
                let a = ramp_start.as_nanos();
                let b = a.saturating_add(duration.as_nanos());
                if now_ns < a {
                    Segment {
                        rps: *from,
                        until: at(a),
                    }
                } else if now_ns >= b {
                    Segment {
                        rps: *to,
                        until: None,
                    }
                } else {
                    let (s, e) = piece(now_ns, step.as_nanos(), a, b);
                    let x = (midpoint(s, e) - a as f64) / (b - a) as f64;
                    Segment {
                        rps: curves::ramp(*from, *to, x),
                        until: at(e),
                    }
                }
            }
            Shape::FlashCrowd {
                onset,
                rise,
                peak_multiplier,
                decay,
                step,
            } => {
                let a = onset.as_nanos();
                let b = a.saturating_add(rise.as_nanos());
                let tail = SimDuration::from_secs_f64(
                    decay.as_secs_f64() * curves::FLASH_CROWD_CUTOFF_DECAYS,
                );
                let c = b.saturating_add(tail.as_nanos());
                if now_ns < a {
                    return Segment {
                        rps: 1.0,
                        until: at(a),
                    };
                }
                if now_ns >= c {
                    return Segment {
                        rps: 1.0,
                        until: None,
                    };
                }
                let (lo, hi) = if now_ns < b { (a, b) } else { (b, c) };
                let (s, e) = piece(now_ns, step.as_nanos(), lo, hi);
                let since_onset_s = (midpoint(s, e) - a as f64) / NANOS_PER_SEC;
                let factor = if now_ns < b {
                    curves::ramp(1.0, *peak_multiplier, since_onset_s / rise.as_secs_f64())
                } else {
                    let since_peak_s = since_onset_s - rise.as_secs_f64();
                    1.0 + (peak_multiplier - 1.0) * (-since_peak_s / decay.as_secs_f64()).exp()
                };
                Segment {
                    rps: factor,
                    until: at(e),
                }
            }
            Shape::BlackFriday {
                peak_rps,
                time_zone,
                trough_hour,
                night_level,
                peak_hour,
                afternoon_hour,
                afternoon_level,
                evening_hour,
                evening_level,
                step,
            } => {
                let knots = [
                    Knot {
                        hour: *trough_hour,
                        level: *night_level,
                    },
                    Knot {
                        hour: *peak_hour,
                        level: 1.0,
                    },
                    Knot {
                        hour: *afternoon_hour,
                        level: *afternoon_level,
                    },
                    Knot {
                        hour: *evening_hour,
                        level: *evening_level,
                    },
                    Knot {
                        hour: trough_hour + 24.0,
                        level: *night_level,
                    },
                ];
                let step_ns = step.as_nanos();
                let index = now_ns / step_ns;
                let midpoint_s = (index as f64 + 0.5) * step.as_secs_f64();
                let hour = local_hour(start, Some(*time_zone), midpoint_s);
                Segment {
                    rps: peak_rps * curves::black_friday(&knots, hour),
                    until: at((index + 1).saturating_mul(step_ns)),
                }
            }
            Shape::Noise {
                cv,
                step,
                seed,
                stream,
            } => {
                let step_ns = step.as_nanos();
                let index = now_ns / step_ns;
                let mut rng = sim::rng::stream(*seed, stream);
                rng.set_word_pos(u128::from(index) * 4);
                let (a, b) = (rng.next_u64(), rng.next_u64());
                Segment {
                    rps: curves::noise_factor(*cv, a, b),
                    until: at((index + 1).saturating_mul(step_ns)),
                }
            }
            Shape::Sum(parts) => combine(parts, start, now, 0.0, |a, b| a + b),
            Shape::Product(parts) => combine(parts, start, now, 1.0, |a, b| a * b),
            Shape::Scale { factor, shape } => {
                let s = shape.segment(start, now);
                Segment {
                    rps: factor * s.rps,
                    until: s.until,
                }
            }
            Shape::Replay(replay) => {
                let (rps, until) = replay.segment(now);
                Segment { rps, until }
            }
        }
    }
}

/// The parts' rates folded with `op`, until the earliest of their breakpoints.
fn combine(
    parts: &[Shape],
    start: UtcInstant,
    now: SimTime,
    init: f64,
    op: fn(f64, f64) -> f64,
) -> Segment {
    parts.iter().fold(
        Segment {
            rps: init,
            until: None,
        },
        |acc, p| {
            let s = p.segment(start, now);
            Segment {
                rps: op(acc.rps, s.rps),
                until: match (acc.until, s.until) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                },
            }
        },
    )
}

/// The piece of the `step` grid (counted from time zero) that holds `now`, cut to `[lo, hi)`.
fn piece(now: u64, step: u64, lo: u64, hi: u64) -> (u64, u64) {
    let k = now / step;
    ((k * step).max(lo), (k + 1).saturating_mul(step).min(hi))
}

fn midpoint(s: u64, e: u64) -> f64 {
    s as f64 + (e - s) as f64 / 2.0
}

/// The local hour of day (fractional) `midpoint_s` seconds after `start`, in `zone` (UTC when
/// none). The zone's offset is the one in force at the midpoint.
fn local_hour(start: UtcInstant, zone: Option<TimeZone>, midpoint_s: f64) -> f64 {
    let offset_s = zone.map_or(0, |z| {
        z.offset_s(start.unix_s().saturating_add(midpoint_s.floor() as i64))
    });
    let day_s = ((start.unix_s() + offset_s).rem_euclid(86_400) as f64 + midpoint_s)
        .rem_euclid(SECONDS_PER_DAY);
    day_s / 3600.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn midnight() -> UtcInstant {
        UtcInstant::parse("2026-11-27T00:00:00Z").unwrap()
    }

    fn min(m: u64) -> SimDuration {
        SimDuration::from_secs(60 * m)
    }

    fn seg(s: &Shape, now: SimDuration) -> Segment {
        s.segment(midnight(), SimTime::from_nanos(now.as_nanos()))
    }

    fn until(d: SimDuration) -> Option<SimTime> {
        Some(SimTime::from_nanos(d.as_nanos()))
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9 * (1.0 + b.abs())
    }

    fn diurnal(step_s: u64) -> Shape {
        Shape::Diurnal {
            mean_rps: 100.0,
            amplitude: 0.5,
            peak_hour: 14.0,
            time_zone: None,
            step: SimDuration::from_secs(step_s),
        }
    }

    /// RON as the experiment loader reads it (`implicit_some` on).
    fn from_ron<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ron::error::SpannedError> {
        ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
            .from_str(text)
    }

    /// A runnable shape written without traces.
    fn parse(text: &str) -> Shape {
        from_ron(text).unwrap()
    }

    /// A shape as written.
    fn spec(text: &str) -> ShapeSpec {
        from_ron(text).unwrap()
    }

    /// Requests over `[0, end)` and the number of segments, walking breakpoints as the traffic
    /// model does; every breakpoint must be after now.
    fn walk(s: &Shape, start: UtcInstant, end: SimDuration) -> (f64, usize) {
        let (mut t, mut requests, mut n) = (0u64, 0.0, 0);
        while t < end.as_nanos() {
            let g = s.segment(start, SimTime::from_nanos(t));
            let next = g.until.map_or(end.as_nanos(), |u| u.as_nanos());
            assert!(next > t, "{s:?}: breakpoint {next} not after {t}");
            requests += g.rps * (next.min(end.as_nanos()) - t) as f64 / 1e9;
            n += 1;
            t = next;
        }
        (requests, n)
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
    fn diurnal_in_a_time_zone_peaks_at_the_local_hour() {
        // 14:00 EST is 19:00 UTC: the two-hour step [18:00, 20:00) UTC has its midpoint there.
        let s = parse(
            r#"Diurnal(mean_rps: 100, amplitude: 0.5, peak_hour: 14,
                       time_zone: Some("America/New_York"), step: "2h")"#,
        );
        let g = seg(&s, min(18 * 60));
        assert!(close(g.rps, 150.0), "{}", g.rps);
        assert_eq!(g.until, until(min(20 * 60)));
        // [14:00, 16:00) UTC: midpoint 15:00 UTC = 10:00 EST, 4 h before the local peak:
        // 100 (1 + 0.5 cos(2π·4/24)) = 125.
        let g = seg(&s, min(14 * 60));
        assert!(close(g.rps, 125.0), "{}", g.rps);
    }

    #[test]
    fn weekly_changes_at_local_midnight() {
        // 2026-11-27 is a Friday: multiplier 5 in UTC, until the next UTC midnight.
        let utc = parse("Weekly(multipliers: [1, 2, 3, 4, 5, 6, 7])");
        assert_eq!(
            seg(&utc, min(0)),
            Segment {
                rps: 5.0,
                until: until(min(24 * 60))
            }
        );
        assert_eq!(seg(&utc, min(24 * 60)).rps, 6.0);
        assert_eq!(seg(&utc, min(3 * 24 * 60 + 1)).rps, 1.0);
        // In New York time zero is Thursday 19:00 EST; Friday begins 5 hours later.
        let ny =
            parse(r#"Weekly(multipliers: [1, 2, 3, 4, 5, 6, 7], time_zone: "America/New_York")"#);
        assert_eq!(
            seg(&ny, min(0)),
            Segment {
                rps: 4.0,
                until: until(min(5 * 60))
            }
        );
        assert_eq!(
            seg(&ny, min(5 * 60)),
            Segment {
                rps: 5.0,
                until: until(min(29 * 60))
            }
        );
    }

    #[test]
    fn ramp_holds_then_rises_by_midpoints_then_holds() {
        let s = parse(r#"Ramp(from: 100, to: 300, start: "10m", duration: "20m", step: "5m")"#);
        assert_eq!(
            seg(&s, min(0)),
            Segment {
                rps: 100.0,
                until: until(min(10))
            }
        );
        // [10, 15): midpoint 12.5 min, 2.5/20 of the way.
        assert_eq!(
            seg(&s, min(10)),
            Segment {
                rps: 125.0,
                until: until(min(15))
            }
        );
        // [25, 30): midpoint 27.5 min.
        assert_eq!(seg(&s, min(27)).rps, 275.0);
        assert_eq!(
            seg(&s, min(30)),
            Segment {
                rps: 300.0,
                until: None
            }
        );
        // A start off the step grid cuts the first step: [12, 15) has its midpoint at 13.5.
        let s = parse(r#"Ramp(from: 100, to: 300, start: "12m", duration: "20m", step: "5m")"#);
        let g = seg(&s, min(12));
        assert!(close(g.rps, 115.0), "{}", g.rps);
        assert_eq!(g.until, until(min(15)));
        // The ramp's requests are exact: the midpoint of a linear piece is its mean.
        let (requests, _) = walk(&s, midnight(), min(60));
        assert!(close(
            requests,
            100.0 * 720.0 + 200.0 * 1200.0 + 300.0 * 1680.0
        ));
        // A zero duration is a jump.
        let s = parse(r#"Ramp(from: 1, to: 2, start: "1m", duration: "0s")"#);
        assert_eq!(seg(&s, min(0)).rps, 1.0);
        assert_eq!(seg(&s, min(1)).until, None);
    }

    #[test]
    fn flash_crowd_rises_decays_and_ends() {
        let s = parse(
            r#"FlashCrowd(onset: "1h", rise: "2m", peak_multiplier: 3, decay: "10m", step: "1m")"#,
        );
        assert_eq!(
            seg(&s, min(0)),
            Segment {
                rps: 1.0,
                until: until(min(60))
            }
        );
        // [60, 61): midpoint 30 s into a 120 s rise: 1 + 2 × 0.25.
        assert_eq!(
            seg(&s, min(60)),
            Segment {
                rps: 1.5,
                until: until(min(61))
            }
        );
        // [62, 63): midpoint 30 s after the peak: 1 + 2 e^(−30/600).
        let g = seg(&s, min(62));
        assert!(close(g.rps, 1.0 + 2.0 * (-0.05f64).exp()), "{}", g.rps);
        assert_eq!(g.until, until(min(63)));
        // The decay is cut after 600 s × ln 1000 = 4 144.653… s past the peak (62 min).
        let cut_ns =
            min(62).as_nanos() + SimDuration::from_secs_f64(600.0 * 1000f64.ln()).as_nanos();
        let before = seg(&s, SimDuration::from_nanos(cut_ns - 1));
        assert_eq!(before.until, Some(SimTime::from_nanos(cut_ns)));
        assert!(before.rps > 1.0 && before.rps < 1.003, "{}", before.rps);
        assert_eq!(
            seg(&s, SimDuration::from_nanos(cut_ns)),
            Segment {
                rps: 1.0,
                until: None
            }
        );
    }

    #[test]
    fn black_friday_peaks_at_noon_eastern_with_a_sourced_peak_to_mean() {
        let s = parse("BlackFriday(peak_rps: 1000, step: \"2h\")");
        // [16:00, 18:00) UTC has its midpoint at 17:00 UTC = 12:00 EST: the peak.
        let g = seg(&s, min(16 * 60));
        assert!(close(g.rps, 1000.0), "{}", g.rps);
        assert_eq!(g.until, until(min(18 * 60)));
        // [08:00, 10:00) UTC: midpoint 04:00 EST, the trough.
        assert!(close(seg(&s, min(8 * 60)).rps, 250.0));
        // [00:00, 02:00) UTC: midpoint 20:00 EST, 7/8 of the way from 16:30 to 20:30.
        let x: f64 = 3.5 / 4.0;
        let level = 0.7 + 0.15 * (1.0 - (std::f64::consts::PI * x).cos()) / 2.0;
        assert!(close(seg(&s, min(0)).rps, 1000.0 * level));
        // The day's mean: half-cosine spans average their ends, so it is
        // (8 × 0.625 + 4.5 × 0.85 + 4 × 0.775 + 7.5 × 0.55) / 24 = 0.66875 of the peak,
        // a peak/mean of 1.495: within the 1.4–1.7 of the facts file.
        let s = parse("BlackFriday(peak_rps: 1000)");
        let (requests, n) = walk(&s, midnight(), min(24 * 60));
        assert_eq!(n, 1440);
        let mean = requests / 86_400.0;
        assert!((mean - 668.75).abs() < 0.01, "{mean}");
        assert!((1.4..1.7).contains(&(1000.0 / mean)));
    }

    fn noise(seed: u64, stream: &str) -> Shape {
        parse("Noise(cv: 0.2)").seeded(seed, stream)
    }

    fn draws(s: &Shape, steps: u64) -> Vec<f64> {
        (0..steps).map(|k| seg(s, min(k)).rps).collect()
    }

    #[test]
    fn noise_is_the_same_for_the_same_seed_and_differs_otherwise() {
        let a = draws(&noise(7, "traffic/api/us-east1"), 200);
        assert_eq!(a, draws(&noise(7, "traffic/api/us-east1"), 200));
        assert_ne!(a, draws(&noise(8, "traffic/api/us-east1"), 200));
        assert_ne!(a, draws(&noise(7, "traffic/api/europe-west1"), 200));
        // Evaluating steps in another order or skipping some changes nothing.
        let s = noise(7, "traffic/api/us-east1");
        assert_eq!(seg(&s, min(150)).rps, a[150]);
        assert_eq!(seg(&s, min(3)).rps, a[3]);
        assert_eq!(seg(&s, min(3)).until, until(min(4)));
    }

    #[test]
    fn noise_step_k_draws_words_4k_to_4k_plus_3_of_its_stream() {
        let mut rng = sim::rng::stream(7, "traffic/api/us-east1");
        let words: Vec<u64> = (0..6).map(|_| rng.next_u64()).collect();
        let s = noise(7, "traffic/api/us-east1");
        // Step 2: the 5th and 6th u64 of the stream (words 8…11).
        assert_eq!(
            seg(&s, min(2)).rps,
            curves::noise_factor(0.2, words[4], words[5])
        );
        assert_eq!(
            seg(&s, min(0)).rps,
            curves::noise_factor(0.2, words[0], words[1])
        );
    }

    #[test]
    fn noise_has_mean_one_and_its_cv() {
        let x = draws(&noise(1, "traffic/a/r"), 100_000);
        let mean = x.iter().sum::<f64>() / x.len() as f64;
        let sd = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / x.len() as f64).sqrt();
        // Standard error of the mean: 0.2/√100 000 ≈ 0.0006.
        assert!((mean - 1.0).abs() < 0.003, "{mean}");
        assert!((sd / mean - 0.2).abs() < 0.005, "{}", sd / mean);
        assert!(x.iter().all(|&v| v > 0.0));
    }

    #[test]
    fn seeded_names_each_noise_by_its_path() {
        let s = parse("Product([Constant(rps: 100), Noise(cv: 0.1), Sum([Noise(cv: 0.1)])])")
            .seeded(3, "traffic/api/us-east1");
        let Shape::Product(parts) = &s else {
            panic!("{s:?}")
        };
        let Shape::Noise { seed, stream, .. } = &parts[1] else {
            panic!("{s:?}")
        };
        assert_eq!(
            (*seed, stream.as_str()),
            (3, "traffic/api/us-east1/Product[1].Noise")
        );
        let Shape::Sum(inner) = &parts[2] else {
            panic!("{s:?}")
        };
        let Shape::Noise { stream, .. } = &inner[0] else {
            panic!("{s:?}")
        };
        assert_eq!(stream, "traffic/api/us-east1/Product[2].Sum[0].Noise");
        let Shape::Noise { stream, .. } = noise(3, "traffic/api/us-east1") else {
            panic!()
        };
        assert_eq!(stream, "traffic/api/us-east1");
    }

    #[test]
    fn composites_combine_values_and_take_the_earliest_breakpoint() {
        let s = parse(
            r#"Sum([Constant(rps: 100), Ramp(from: 0, to: 60, start: "10m", duration: "1h", step: "10m")])"#,
        );
        assert_eq!(
            seg(&s, min(0)),
            Segment {
                rps: 100.0,
                until: until(min(10))
            }
        );
        // [10, 20): midpoint 5 min into the hour-long ramp: 5.
        assert_eq!(
            seg(&s, min(12)),
            Segment {
                rps: 105.0,
                until: until(min(20))
            }
        );
        let s = parse(
            r#"Product([Constant(rps: 200), FlashCrowd(onset: "1m", rise: "2m", peak_multiplier: 3, decay: "5m")])"#,
        );
        assert_eq!(
            seg(&s, min(1)),
            Segment {
                rps: 300.0,
                until: until(min(2))
            }
        );
        let s = parse(r#"Scale(factor: 2, shape: Weekly(multipliers: [1, 2, 3, 4, 5, 6, 7]))"#);
        assert_eq!(
            seg(&s, min(0)),
            Segment {
                rps: 10.0,
                until: until(min(24 * 60))
            }
        );
        // Nested: 2 × (Friday's 5 + 1) × the trough of the diurnal (0.5 at 02:00 with 4 h steps).
        let s = parse(
            r#"Scale(factor: 2, shape: Product([
                   Sum([Weekly(multipliers: [1, 2, 3, 4, 5, 6, 7]), Constant(rps: 1)]),
                   Diurnal(mean_rps: 1, amplitude: 0.5, peak_hour: 14, step: "4h")]))"#,
        );
        let g = seg(&s, min(60));
        assert!(close(g.rps, 6.0), "{}", g.rps);
        assert_eq!(g.until, until(min(4 * 60)));
    }

    #[test]
    fn every_breakpoint_is_after_now() {
        let shapes = [
            r#"Diurnal(mean_rps: 10, amplitude: 1, peak_hour: 0, step: "7s")"#,
            r#"Weekly(multipliers: [1, 2, 3, 4, 5, 6, 7], time_zone: "Pacific/Chatham")"#,
            r#"Ramp(from: 0, to: 5, start: "13s", duration: "1m1s", step: "9s")"#,
            r#"FlashCrowd(onset: "7s", rise: "0s", peak_multiplier: 9, decay: "11s", step: "4s")"#,
            r#"BlackFriday(peak_rps: 3, time_zone: "Asia/Kolkata", step: "13m")"#,
            r#"Sum([Noise(cv: 1, step: "3s"), Constant(rps: 1)])"#,
        ];
        for text in shapes {
            spec(text).validate().unwrap();
            let s = parse(text).seeded(0, "t");
            walk(&s, midnight(), min(3 * 24 * 60));
        }
    }

    #[test]
    fn out_of_range_parameters_name_their_path() {
        let path = |text: &str| spec(text).validate().unwrap_err().path;
        assert_eq!(
            path("Diurnal(mean_rps: 10, amplitude: 1.5, peak_hour: 3)"),
            "amplitude"
        );
        assert_eq!(path("Constant(rps: -1)"), "rps");
        assert_eq!(
            path(
                r#"Sum([Constant(rps: 1), FlashCrowd(onset: "1h", rise: "1m", peak_multiplier: -2, decay: "5m")])"#
            ),
            "Sum[1].FlashCrowd.peak_multiplier"
        );
        assert_eq!(
            path(r#"Scale(factor: 2, shape: Diurnal(mean_rps: 1, amplitude: 2, peak_hour: 1))"#),
            "shape.Diurnal.amplitude"
        );
        assert_eq!(
            path("Product([Sum([Constant(rps: 1), Constant(rps: -1)])])"),
            "Product[0].Sum[1].Constant.rps"
        );
        assert_eq!(path("Sum([])"), "Sum");
        assert_eq!(path("Product([Sum([])])"), "Product[0].Sum");
        assert_eq!(
            path("Weekly(multipliers: [1, 1, 1, 1, 1, 1])"),
            "multipliers"
        );
        assert_eq!(
            path("Weekly(multipliers: [1, 1, 1, -1, 1, 1, 1])"),
            "multipliers[3]"
        );
        assert_eq!(path("BlackFriday(peak_rps: 1, peak_hour: 3)"), "peak_hour");
        assert_eq!(path("Noise(cv: -0.1)"), "cv");
        assert_eq!(
            path(
                r#"Trace(file: "x.csv", time_column: "t", value_column: "v", value_kind: Rate, scale_to_peak_rps: Some(0))"#
            ),
            "scale_to_peak_rps"
        );
        assert!(
            ShapeSpec::Diurnal {
                mean_rps: 100.0,
                amplitude: 0.5,
                peak_hour: 14.0,
                time_zone: None,
                step: SimDuration::from_secs(60),
            }
            .validate()
            .is_ok()
        );
        let many = format!(
            "Sum([{}])",
            vec!["Constant(rps: 1)"; MAX_SHAPE_NODES].join(",")
        );
        assert_eq!(
            path(&many),
            format!("Sum[{}].Constant", MAX_SHAPE_NODES - 1)
        );
    }

    #[test]
    fn written_fields_are_checked_by_the_deserializer() {
        let err = |text: &str| from_ron::<ShapeSpec>(text).unwrap_err().to_string();
        assert!(err(r#"Noise(cv: 0.1, seed: 3)"#).contains("seed"));
        assert!(
            err(
                r#"Diurnal(mean_rps: 1, amplitude: 0, peak_hour: 1, time_zone: Some("Mars/Base"))"#
            )
            .contains("unknown time zone")
        );
        assert!(err(r#"Replay(())"#).contains("Replay"));
    }

    fn data_dir() -> &'static std::path::Path {
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data"))
    }

    #[test]
    fn resolve_reads_traces_into_replays() {
        let text = r#"Sum([Constant(rps: 1), Trace(file: "small_trace.csv", time_column: "minute", time_unit: min,
                   value_column: "requests", value_kind: CountPerRow, loop: true)])"#;
        let s = spec(text);
        let r = s.resolve(data_dir(), min(60)).unwrap();
        let Shape::Sum(parts) = &r else { panic!() };
        assert!(matches!(parts[1], Shape::Replay(_)));
        // 1 + the second row's 2 requests/s.
        assert_eq!(
            seg(&r, min(1)),
            Segment {
                rps: 3.0,
                until: until(min(2))
            }
        );
        // An hour is 15 loops of 420 requests, plus 3 600 from the constant.
        let (requests, _) = walk(&r, midnight(), min(60));
        assert!(close(requests, 15.0 * 420.0 + 3600.0), "{requests}");
        // A trace that was not read cannot be a runnable shape (it used to run as 0 rps).
        let unread = from_ron::<Shape>(text).unwrap_err().to_string();
        assert!(
            unread.contains("Sum[1].Trace.file: a trace is read when"),
            "{unread}"
        );
        assert_eq!(Shape::try_from(s).unwrap_err().path, "Sum[1].Trace.file");
    }

    #[test]
    fn resolve_names_the_file_row_and_column_of_a_bad_trace() {
        let dir = std::env::temp_dir().join(format!("clustersim-trace-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("bad.csv"), "t,rps\n0,1\n60,x\n").unwrap();
        let s = spec(
            r#"Product([Constant(rps: 1), Trace(file: "bad.csv", time_column: "t", value_column: "rps", value_kind: Rate)])"#,
        );
        let e = s.resolve(&dir, min(1)).unwrap_err();
        assert_eq!(e.path, "Product[1].Trace.file");
        let shown = dir.join("bad.csv").display().to_string();
        assert_eq!(
            e.message,
            format!("in trace `{shown}`, row 3, column 2 (`rps`): expected a number, found \"x\"")
        );
        let e = spec(
            r#"Trace(file: "missing.csv", time_column: "t", value_column: "v", value_kind: Rate)"#,
        )
        .resolve(&dir, min(1))
        .unwrap_err();
        assert_eq!(e.path, "file");
        assert!(e.message.starts_with("cannot read trace"), "{}", e.message);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn resolve_refuses_a_trace_shorter_than_the_run() {
        let text = r#"Trace(file: "small_trace.csv", time_column: "minute", time_unit: min,
                   value_column: "requests", value_kind: CountPerRow, start_offset: "1m")"#;
        assert!(spec(text).resolve(data_dir(), min(3)).is_ok());
        let e = spec(text).resolve(data_dir(), min(4)).unwrap_err();
        assert_eq!(e.path, "start_offset");
        assert!(e.message.contains("lasts 4m0s"), "{}", e.message);
    }
}

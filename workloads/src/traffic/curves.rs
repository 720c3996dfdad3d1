//! The curves behind the continuous shapes, as pure functions of time: no state, no allocation,
//! so a shape can be evaluated at any instant in any order and give the same value.

use std::f64::consts::{PI, TAU};

/// `ln(1000)`: a flash crowd's exponential decay is cut off once its excess over the baseline
/// is below 1/1000 of the peak excess, after `decay × ln(1000)` ≈ 6.9 decay times.
pub const FLASH_CROWD_CUTOFF_DECAYS: f64 = 6.907_755_278_982_137;

/// `mean × (1 + amplitude × cos(2π (hour − peak_hour) / 24))`.
pub fn diurnal(mean: f64, amplitude: f64, peak_hour: f64, hour_of_day: f64) -> f64 {
    mean * (1.0 + amplitude * (TAU * (hour_of_day - peak_hour) / 24.0).cos())
}

/// `from` before the ramp, `to` after it, linear in between; `x` is the elapsed fraction of the
/// ramp (clamped to [0, 1]).
pub fn ramp(from: f64, to: f64, x: f64) -> f64 {
    from + (to - from) * x.clamp(0.0, 1.0)
}

/// The flash-crowd factor `since_onset_s` seconds after its onset (1 before it):
///
/// ```text
///          ⎧ 1                                        t < 0
/// f(t) =   ⎨ 1 + (peak − 1) · t / rise                0 ≤ t < rise      (linear rise)
///          ⎪ 1 + (peak − 1) · exp(−(t − rise)/decay)  rise ≤ t < rise + decay·ln 1000
///          ⎩ 1                                        after             (cut off)
/// ```
///
/// A linear rise and an exponential decay: the shape of the "ramp-up, then a long tail" that
/// flash crowds on web sites show (the NASA trace bundled with clustersim has one at the shuttle
/// launch of 1995-07-13). It is a modelling choice, not a fitted law.
pub fn flash_crowd(peak: f64, rise_s: f64, decay_s: f64, since_onset_s: f64) -> f64 {
    let t = since_onset_s;
    if t < 0.0 {
        1.0
    } else if t < rise_s {
        1.0 + (peak - 1.0) * t / rise_s
    } else if t < rise_s + decay_s * FLASH_CROWD_CUTOFF_DECAYS {
        1.0 + (peak - 1.0) * (-(t - rise_s) / decay_s).exp()
    } else {
        1.0
    }
}

/// A knot of the Black-Friday day: a local hour and the rate there as a share of the peak.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Knot {
    pub hour: f64,
    pub level: f64,
}

/// The Black-Friday day at local hour `hour` ∈ [0, 24), as a share of `peak_rps`.
///
/// `knots` are the night trough, the midday peak, the afternoon dip and the evening wave, in
/// increasing hour, the first one repeated 24 h later to close the day. Between two knots the
/// level follows a half cosine, `v0 + (v1 − v0)(1 − cos πx)/2`: flat at each knot, so every knot
/// is a turning point (the trough is the lowest, the peak the highest of its neighbours), and the
/// mean over a span between knots is exactly `(v0 + v1)/2`, which makes the day's mean a short
/// hand computation (see the tests).
pub fn black_friday(knots: &[Knot; 5], hour: f64) -> f64 {
    // Hours before the trough belong to the night that closes the previous day.
    let h = if hour < knots[0].hour {
        hour + 24.0
    } else {
        hour
    };
    let i = knots[1..4].iter().take_while(|k| k.hour <= h).count();
    let (a, b) = (knots[i], knots[i + 1]);
    let x = ((h - a.hour) / (b.hour - a.hour)).clamp(0.0, 1.0);
    a.level + (b.level - a.level) * (1.0 - (PI * x).cos()) / 2.0
}

/// The multiplicative noise factor from two uniform 64-bit draws: a log-normal with mean 1 and
/// coefficient of variation `cv`.
///
/// `σ² = ln(1 + cv²)`, factor `= exp(σ z − σ²/2)` with `z` standard normal (Box–Muller on the
/// two draws). Why log-normal: it is never negative, its mean is exactly 1 so noise does not
/// change the expected request count, and its spread is the `cv` a user reads off a trace
/// (standard deviation over mean of the rate in one step).
pub fn noise_factor(cv: f64, draw_a: u64, draw_b: u64) -> f64 {
    if cv == 0.0 {
        return 1.0;
    }
    // 53-bit uniforms: u1 in (0, 1] so that ln(u1) is finite, u2 in [0, 1).
    let scale = 1.0 / (1u64 << 53) as f64;
    let u1 = 1.0 - (draw_a >> 11) as f64 * scale;
    let u2 = (draw_b >> 11) as f64 * scale;
    let z = (-2.0 * u1.ln()).sqrt() * (TAU * u2).cos();
    let var = (1.0 + cv * cv).ln();
    (var.sqrt() * z - var / 2.0).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12 * (1.0 + b.abs())
    }

    #[test]
    fn ramp_is_linear_and_clamped() {
        assert_eq!(ramp(100.0, 300.0, -1.0), 100.0);
        assert_eq!(ramp(100.0, 300.0, 0.25), 150.0);
        assert_eq!(ramp(100.0, 300.0, 2.0), 300.0);
    }

    #[test]
    fn flash_crowd_rises_then_decays_then_stops() {
        // Peak ×3, 60 s rise, 600 s decay.
        let f = |t| flash_crowd(3.0, 60.0, 600.0, t);
        assert_eq!(f(-1.0), 1.0);
        assert_eq!(f(0.0), 1.0);
        assert!(close(f(30.0), 2.0));
        assert!(close(f(60.0), 3.0));
        // One decay time after the peak: 1 + 2/e.
        assert!(close(f(660.0), 1.0 + 2.0 / std::f64::consts::E));
        // Just before the cut-off the excess is 2/1000; after it, exactly 1.
        let cut = 60.0 + 600.0 * FLASH_CROWD_CUTOFF_DECAYS;
        assert!((f(cut - 1e-6) - 1.002).abs() < 1e-9);
        assert_eq!(f(cut), 1.0);
        assert!(close(FLASH_CROWD_CUTOFF_DECAYS, 1000f64.ln()));
    }

    #[test]
    fn black_friday_knots_are_hit_and_spans_are_half_cosines() {
        let knots = [
            Knot {
                hour: 4.0,
                level: 0.25,
            },
            Knot {
                hour: 12.0,
                level: 1.0,
            },
            Knot {
                hour: 16.5,
                level: 0.7,
            },
            Knot {
                hour: 20.5,
                level: 0.85,
            },
            Knot {
                hour: 28.0,
                level: 0.25,
            },
        ];
        let f = |h| black_friday(&knots, h);
        assert!(close(f(4.0), 0.25));
        assert!(close(f(12.0), 1.0));
        assert!(close(f(16.5), 0.7));
        assert!(close(f(20.5), 0.85));
        // Halfway up the morning ramp (08:00): the mean of its ends.
        assert!(close(f(8.0), 0.625));
        // 00:15 is on the night span 20:30 → 04:00 (+24 h), at x = 3.75/7.5 = 0.5.
        assert!(close(f(0.25), 0.55));
        // A quarter into the morning ramp (06:00): 0.25 + 0.75 (1 − cos π/4)/2.
        let expected = 0.25 + 0.75 * (1.0 - (PI / 4.0).cos()) / 2.0;
        assert!(close(f(6.0), expected));
    }

    #[test]
    fn noise_factor_is_lognormal_with_mean_one() {
        assert_eq!(noise_factor(0.0, 1, 2), 1.0);
        // u1 = 1 − 0 → z = 0: the factor is exp(−σ²/2) = 1/sqrt(1 + cv²).
        assert!(close(noise_factor(0.5, 0, 0), 1.0 / 1.25f64.sqrt()));
        // u1 = 1/e² (so −2 ln u1 = 4, √ = 2) and u2 = 0: z = 2, factor exp(2σ − σ²/2).
        // draw_a with (draw_a >> 11) = (1 − e^−2) 2^53, rounded; checked to 1e-9.
        let m = ((1.0 - (-2f64).exp()) * (1u64 << 53) as f64).round() as u64;
        let var = 1.25f64.ln();
        let expected = (2.0 * var.sqrt() - var / 2.0).exp();
        assert!((noise_factor(0.5, m << 11, 0) - expected).abs() < 1e-9);
    }
}

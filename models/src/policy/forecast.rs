//! Demand forecasts for predictive scaling: additive Holt-Winters, the seasonal naive
//! baseline, and the headroom over a forecast. Pure functions over a series observed at a
//! fixed step; the model feeds them the arrival rate it measures.
//!
//! Holt-Winters additive (Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*,
//! 3rd ed., §8.3, "Holt-Winters' additive method"), with season length `m` steps:
//!
//! ```text
//! level_t  = α (y_t − s_{t−m}) + (1 − α)(level_{t−1} + trend_{t−1})
//! trend_t  = β (level_t − level_{t−1}) + (1 − β) trend_{t−1}
//! s_t      = γ (y_t − level_{t−1} − trend_{t−1}) + (1 − γ) s_{t−m}
//! ŷ_{t+h}  = level_t + h·trend_t + s_{t+h−m(k+1)},  k = ⌊(h − 1)/m⌋
//! ```
//!
//! Constants: α = 0.2, β = 0.01, γ = 0.3 by default (`config::SmoothingConfig`) — a slow level and trend (a day of demand
//! moves them little) and a season that learns within a few periods. FPP fits them by least
//! squares per series; clustersim uses fixed, documented values so that a run is a pure function
//! of its input, and the experiment may set its own. Initial state: the first season's mean as
//! the level, zero trend, the first season's deviations from that mean as the seasonal indices
//! (FPP's simple initialisation); until a full season has been seen the forecast is the last
//! value.
//!
//! Seasonal naive (FPP §5.2): ŷ_{t+h} = y_{t+h−m(k+1)}, the value one season earlier.
//!
//! Headroom over a forecast: μ + α·σ of the recent one-step-ahead forecast errors (actual −
//! forecast at the same instant), the "forecast + headroom" rule of predictive provisioning;
//! the α of the headroom (`headroom_sigmas`) is not the smoothing α.

use std::collections::VecDeque;

use sim::time::{SimDuration, SimTime};

use crate::policy::config::SmoothingConfig as Smoothing;

/// Additive Holt-Winters over a series with a season of `period` steps.
#[derive(Debug, Clone, PartialEq)]
pub struct HoltWinters {
    smoothing: Smoothing,
    period: usize,
    /// The first season, while it is being collected.
    warm_up: Vec<f64>,
    level: f64,
    trend: f64,
    /// Seasonal indices, `season[t % period]`.
    season: Vec<f64>,
    /// Observations so far.
    seen: usize,
    last: f64,
}

impl HoltWinters {
    /// `period` ≥ 2 steps.
    pub fn new(period: usize, smoothing: Smoothing) -> HoltWinters {
        debug_assert!(period >= 2);
        HoltWinters {
            smoothing,
            period,
            warm_up: Vec::with_capacity(period),
            level: 0.0,
            trend: 0.0,
            season: vec![0.0; period],
            seen: 0,
            last: 0.0,
        }
    }

    /// Takes observation `y` of the next step.
    pub fn observe(&mut self, y: f64) {
        let t = self.seen;
        self.seen += 1;
        self.last = y;
        if t < self.period {
            self.warm_up.push(y);
            if self.seen == self.period {
                let mean = self.warm_up.iter().sum::<f64>() / self.period as f64;
                self.level = mean;
                self.trend = 0.0;
                for (s, &v) in self.season.iter_mut().zip(&self.warm_up) {
                    *s = v - mean;
                }
            }
            return;
        }
        let Smoothing { alpha, beta, gamma } = self.smoothing;
        let i = t % self.period;
        let (level0, trend0, s0) = (self.level, self.trend, self.season[i]);
        self.level = alpha * (y - s0) + (1.0 - alpha) * (level0 + trend0);
        self.trend = beta * (self.level - level0) + (1.0 - beta) * trend0;
        self.season[i] = gamma * (y - level0 - trend0) + (1.0 - gamma) * s0;
    }

    /// The forecast `h` ≥ 1 steps after the last observation.
    pub fn forecast(&self, h: usize) -> f64 {
        if self.seen < self.period {
            return self.last;
        }
        // The step being forecast is t = seen − 1 + h; its seasonal index is the latest one
        // of the same phase, t mod period.
        let i = (self.seen - 1 + h) % self.period;
        self.level + h as f64 * self.trend + self.season[i]
    }
}

/// The seasonal naive forecast `h` ≥ 1 steps after the end of `history` (one value per step,
/// oldest first): the value one season earlier, or the last value without a full season.
pub fn seasonal_naive(history: &[f64], period: usize, h: usize) -> Option<f64> {
    let n = history.len();
    if n == 0 {
        return None;
    }
    let k = (h - 1) / period;
    // Index of step n − 1 + h − period (k + 1) in history.
    let back = period * (k + 1);
    match (n - 1 + h).checked_sub(back) {
        Some(j) if j < n => Some(history[j]),
        _ => Some(history[n - 1]),
    }
}

/// μ + `sigmas`·σ of `errors` (population standard deviation); 0 without errors.
pub fn headroom(errors: &[f64], sigmas: f64) -> f64 {
    if errors.is_empty() {
        return 0.0;
    }
    let n = errors.len() as f64;
    let mean = errors.iter().sum::<f64>() / n;
    let var = errors.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / n;
    mean + sigmas * var.sqrt()
}

/// A forecast followed over a run, one observation per `step`: Holt-Winters, the seasonal naive
/// baseline's window, the forecasts made for later instants and the last `error_window`
/// errors (actual − forecast at the instant forecast) the headroom is computed from. Shared by
/// the predictive policies on pods (requests/s) and on node pools (vCPUs).
#[derive(Debug, Clone)]
pub struct Tracker {
    hw: HoltWinters,
    step: SimDuration,
    /// Steps in a season and in the lead time (at least 2 and 1).
    period_steps: usize,
    lead_steps: usize,
    error_window: usize,
    /// The last `period_steps + lead_steps` observations, for the seasonal naive baseline.
    recent: VecDeque<f64>,
    /// Forecasts made for later instants, in time order.
    pending: VecDeque<(SimTime, f64)>,
    errors: VecDeque<f64>,
}

/// What one step of a [`Tracker`] gives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Forecast {
    /// Holt-Winters, `ahead` from now.
    pub value: f64,
    /// The seasonal naive forecast for the same instant.
    pub naive: f64,
    /// μ + α·σ of the recent errors.
    pub headroom: f64,
    /// How many errors the headroom is over.
    pub errors: usize,
    /// The forecast made earlier for this instant, if any.
    pub was: Option<f64>,
    /// The lead time rounded up to whole steps.
    pub ahead: SimDuration,
}

impl Tracker {
    /// A tracker over a season of `period` and a lead time of `lead_time`, both at `step`,
    /// warmed up on `history` (one value per step, oldest first).
    pub fn new(
        step: SimDuration,
        period: SimDuration,
        lead_time: SimDuration,
        smoothing: Smoothing,
        error_window: u32,
        history: &[f64],
    ) -> Tracker {
        let step_ns = step.as_nanos().max(1);
        let period_steps = (period.as_nanos() / step_ns).max(2) as usize;
        let mut t = Tracker {
            hw: HoltWinters::new(period_steps, smoothing),
            step,
            period_steps,
            lead_steps: lead_time.as_nanos().div_ceil(step_ns).max(1) as usize,
            error_window: error_window as usize,
            recent: VecDeque::new(),
            pending: VecDeque::new(),
            errors: VecDeque::new(),
        };
        for &y in history {
            t.remember(y);
        }
        t
    }

    /// Feeds one observation to the model and the baseline's window.
    fn remember(&mut self, y: f64) {
        self.hw.observe(y);
        self.recent.push_back(y);
        if self.recent.len() > self.period_steps + self.lead_steps {
            self.recent.pop_front();
        }
    }

    /// One step at `now` with the observed value `actual`: the error of the forecast made for
    /// now is recorded, then the forecast one lead time ahead with its headroom
    /// (`headroom_sigmas` σ).
    pub fn step(&mut self, now: SimTime, actual: f64, headroom_sigmas: f64) -> Forecast {
        let mut was = None;
        while let Some(&(at, forecast)) = self.pending.front()
            && at <= now
        {
            self.pending.pop_front();
            if at == now {
                was = Some(forecast);
                self.errors.push_back(actual - forecast);
                if self.errors.len() > self.error_window {
                    self.errors.pop_front();
                }
            }
        }
        self.remember(actual);
        let value = self.hw.forecast(self.lead_steps);
        let recent: Vec<f64> = self.recent.iter().copied().collect();
        let naive = seasonal_naive(&recent, self.period_steps, self.lead_steps).unwrap_or(actual);
        let errors: Vec<f64> = self.errors.iter().copied().collect();
        let ahead = self.step * self.lead_steps as u64;
        self.pending.push_back((now + ahead, value));
        Forecast {
            value,
            naive,
            headroom: headroom(&errors, headroom_sigmas),
            errors: errors.len(),
            was,
            ahead,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    /// 100 + 40 sin(2π t / 24): a daily cycle sampled hourly.
    fn sine(t: usize) -> f64 {
        100.0 + 40.0 * (2.0 * PI * t as f64 / 24.0).sin()
    }

    #[test]
    fn holt_winters_on_a_pure_sine_forecasts_the_sine_itself() {
        // The first season initialises the indices to exactly the sine's deviations and the
        // level to its mean (100): every later observation equals the forecast, so level,
        // trend and indices stay put and every forecast is the closed form.
        let mut hw = HoltWinters::new(24, Smoothing::default());
        for t in 0..24 * 5 {
            hw.observe(sine(t));
        }
        for h in 1..=48 {
            let expect = sine(24 * 5 - 1 + h);
            assert!((hw.forecast(h) - expect).abs() < 1e-9, "h={h}");
        }
    }

    #[test]
    fn holt_winters_converges_from_a_wrong_start_geometrically() {
        // The first season is flat at 100 (indices all zero), then the sine: each phase's
        // index moves a share γ of its error per season while level and trend stay near 100
        // and 0, so the error shrinks season after season; after 40 seasons the one-step
        // forecast is the sine within 0.1 % of its amplitude, after 3 still visibly off.
        let mut hw = HoltWinters::new(24, Smoothing::default());
        for _ in 0..24 {
            hw.observe(100.0);
        }
        let mut worst = Vec::new();
        for season in 1..=40 {
            let mut err: f64 = 0.0;
            for i in 0..24 {
                let t = 24 * season + i;
                err = err.max((hw.forecast(1) - sine(t)).abs());
                hw.observe(sine(t));
            }
            worst.push(err);
        }
        assert!(worst[2] > 5.0, "{worst:?}");
        assert!(worst[39] < 0.04, "{worst:?}");
        // Monotone decrease after the first seasons: it converges, it does not oscillate.
        assert!(
            worst[10..].windows(2).all(|w| w[1] <= w[0] + 1e-9),
            "{worst:?}"
        );
    }

    #[test]
    fn a_linear_trend_is_extrapolated() {
        // y = 10 + 2t with no season: after warm-up the trend term learns the slope.
        let mut hw = HoltWinters::new(
            4,
            Smoothing {
                alpha: 0.5,
                beta: 0.5,
                gamma: 0.1,
            },
        );
        for t in 0..400 {
            hw.observe(10.0 + 2.0 * t as f64);
        }
        let expect = 10.0 + 2.0 * (399.0 + 3.0);
        assert!((hw.forecast(3) - expect).abs() < 0.5, "{}", hw.forecast(3));
    }

    #[test]
    fn seasonal_naive_repeats_the_last_season_and_falls_back_to_the_last_value() {
        let h: Vec<f64> = (0..10).map(f64::from).collect();
        // period 4: step 10 (h = 1) is phase 2, last seen at 6; step 13 (h = 4) at 9.
        assert_eq!(seasonal_naive(&h, 4, 1), Some(6.0));
        assert_eq!(seasonal_naive(&h, 4, 4), Some(9.0));
        // h = 5 is step 14, phase 2: one season back (step 10) is not seen yet, two seasons
        // back is step 6.
        assert_eq!(seasonal_naive(&h, 4, 5), Some(6.0));
        assert_eq!(seasonal_naive(&h[..2], 4, 1), Some(1.0));
        assert_eq!(seasonal_naive(&[], 4, 1), None);
    }

    #[test]
    fn headroom_is_the_mean_error_plus_sigmas_standard_deviations() {
        // Errors 1, 3: μ = 2, σ = 1 → 2 + 2·1 = 4.
        assert_eq!(headroom(&[1.0, 3.0], 2.0), 4.0);
        assert_eq!(headroom(&[], 2.0), 0.0);
        assert_eq!(headroom(&[-5.0, -5.0], 1.0), -5.0);
    }
}

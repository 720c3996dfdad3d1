//! The forecasts of a run's predictive policies beside the actuals they are later compared
//! with (issue 20, items 3 and 7): what `forecast.{parquet,csv}`, the summary's forecast
//! figures and the report's "forecast vs actual" chart are made from.
//!
//! Each [`Tracker`](crate::policy::forecast::Tracker) step makes one forecast for the instant
//! one lead time ahead and observes the actual of now; a forecast is paired with the actual
//! its policy observed at the instant it was made for. Rows are keyed by that instant, so the
//! chart's x axis is the time the forecast speaks of, not the time it was made. Forecasts for
//! instants after the run's end are left out (nothing to compare them with).
//!
//! A handle shared by the models that forecast (`PolicyController` for services,
//! `PoolPolicyController` for node pools) and the run, which reads it at the end; an
//! `Arc<Mutex<…>>` because nexosim models must be `Send` (one run is one thread, the lock is
//! never contended).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use sim::time::SimTime;

use crate::policy::forecast::Forecast;

/// What a forecast series is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesLabel {
    /// The policy's name.
    pub policy: String,
    pub region: String,
    /// The service, or the pools (`a+b`), whose demand is forecast.
    pub target: String,
    /// The demand's unit: `rps` (a service's arrivals) or `vcpu` (pods' requests on pools).
    pub unit: &'static str,
}

/// One forecast with the actual it is compared with.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastRow<'a> {
    pub label: &'a SeriesLabel,
    /// The instant forecast.
    pub at: SimTime,
    /// When it was made (one lead time earlier).
    pub made: SimTime,
    /// Holt-Winters.
    pub forecast: f64,
    /// The seasonal naive baseline for the same instant.
    pub naive: f64,
    /// μ + α·σ of the recent errors when it was made.
    pub headroom: f64,
    /// What the policy observed at `at`; `NaN` when it did not observe then.
    pub actual: f64,
}

#[derive(Debug)]
struct Series {
    label: SeriesLabel,
    /// (made, forecast) in time order.
    made: Vec<(SimTime, Forecast)>,
    /// Actuals by instant (ns).
    actual: BTreeMap<u64, f64>,
}

/// The run's forecasts; empty (and no table) without a predictive policy.
#[derive(Debug, Clone, Default)]
pub struct ForecastLog(Arc<Mutex<Vec<Series>>>);

impl ForecastLog {
    fn with<R>(&self, f: impl FnOnce(&mut Vec<Series>) -> R) -> R {
        // A poisoned lock means a model panicked, which the engine reports; the data is plain.
        let mut series = match self.0.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut series)
    }

    /// A new series; its index for [`ForecastLog::record`].
    pub fn series(&self, label: SeriesLabel) -> usize {
        self.with(|s| {
            s.push(Series {
                label,
                made: Vec::new(),
                actual: BTreeMap::new(),
            });
            s.len() - 1
        })
    }

    /// Series `series` observed `actual` at `now` and made forecast `f` (for `now + f.ahead`).
    pub fn record(&self, series: usize, now: SimTime, actual: f64, f: &Forecast) {
        self.with(|s| {
            if let Some(s) = s.get_mut(series) {
                s.actual.insert(now.as_nanos(), actual);
                s.made.push((now, *f));
            }
        });
    }

    /// Whether any series was made (a run with a predictive policy).
    pub fn is_empty(&self) -> bool {
        self.with(|s| s.is_empty())
    }

    /// Every forecast for an instant up to `end`, by instant then series, to `visit`.
    pub fn rows(&self, end: SimTime, mut visit: impl FnMut(ForecastRow)) {
        self.with(|series| {
            let mut order: Vec<(SimTime, usize, usize)> = series
                .iter()
                .enumerate()
                .flat_map(|(i, s)| {
                    s.made
                        .iter()
                        .enumerate()
                        .map(move |(j, (made, f))| (*made + f.ahead, i, j))
                })
                .filter(|&(at, _, _)| at <= end)
                .collect();
            order.sort_by_key(|&(at, i, j)| (at, i, j));
            for (at, i, j) in order {
                let s = &series[i];
                let (made, f) = &s.made[j];
                visit(ForecastRow {
                    label: &s.label,
                    at,
                    made: *made,
                    forecast: f.value,
                    naive: f.naive,
                    headroom: f.headroom,
                    actual: s.actual.get(&at.as_nanos()).copied().unwrap_or(f64::NAN),
                });
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::time::SimDuration;

    fn forecast(value: f64, ahead_s: u64) -> Forecast {
        Forecast {
            value,
            naive: value - 1.0,
            headroom: 2.0,
            errors: 0,
            was: None,
            ahead: SimDuration::from_secs(ahead_s),
        }
    }

    #[test]
    fn a_forecast_is_paired_with_the_actual_observed_at_the_instant_it_is_for() {
        let log = ForecastLog::default();
        let s = log.series(SeriesLabel {
            policy: "p".into(),
            region: "r".into(),
            target: "api".into(),
            unit: "rps",
        });
        let t = |s: u64| SimTime::ZERO + SimDuration::from_secs(s);
        // Step 60 s, lead 120 s: the forecast made at 60 is for 180, the one at 120 for 240.
        log.record(s, t(60), 10.0, &forecast(30.0, 120));
        log.record(s, t(120), 20.0, &forecast(40.0, 120));
        log.record(s, t(180), 33.0, &forecast(50.0, 120));
        let mut rows = Vec::new();
        log.rows(t(200), |r| rows.push((r.at, r.made, r.forecast, r.actual)));
        // Only the forecast for 180 s is within the run; its actual is the one seen at 180.
        assert_eq!(rows, vec![(t(180), t(60), 30.0, 33.0)]);
        let mut later = Vec::new();
        log.rows(t(300), |r| later.push((r.at, r.actual.is_nan())));
        assert_eq!(later, vec![(t(180), false), (t(240), true), (t(300), true)]);
    }
}

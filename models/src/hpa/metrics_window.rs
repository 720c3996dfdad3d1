//! What the HPA sees of a pod's usage: the metrics pipeline's lag, as metrics-server builds it.
//!
//! metrics-server (`kubernetes-sigs/metrics-server` @ v0.9.0-19-g5ed5d3a2) scrapes every
//! kubelet's `/metrics/resource` once per `--metric-resolution` (15 s in the released manifests,
//! `manifests/base/deployment.yaml`; 60 s if the flag is left out, `cmd/metrics-server/app/
//! options/options.go`). The kubelet reports a *cumulative* CPU counter, and metrics-server turns
//! the last two scrapes into a rate (`pkg/storage/types.go` `resourceUsage`):
//! `(cum(last) − cum(prev)) / (t_last − t_prev)`, with `Timestamp = t_last` and
//! `Window = t_last − t_prev`. So the CPU the HPA reads at time t is the average over the
//! scrape interval that ended at the last scrape before t: between one and two resolutions old.
//! Memory is the working set at the last scrape.
//!
//! A container appears only once it has two points (`pkg/storage/pod.go` `GetMetrics`), except
//! a fresh one: started at least 10 s (`freshContainerMinMetricsResolution`) and less than one
//! resolution before the last scrape, whose previous point is its start with zero usage
//! (`podStorage.Store`). Hence a pod has a sample iff `start + 10 s ≤ last scrape`, with the
//! window from `max(start, previous scrape)`.
//!
//! The HPA's metrics client passes `Timestamp` and `Window` through
//! (`kubernetes/kubernetes` `pkg/controller/podautoscaler/metrics/client.go`), and the CPU
//! readiness rules of the replica calculation compare them with the pod's readiness transition.
//!
//! Not modelled: the kubelet's own sampling of the counter (cAdvisor housekeeping), which adds
//! at most seconds; scrape duration.
//!
//! Arithmetic: usage is piecewise constant between [`UsageWindow::record`] calls; the integral
//! is exact in `u128` milli-unit·nanoseconds, the rate truncated to nano-units (metrics-server's
//! `uint64(cpuUsage)` in nanocores) and rounded up to milli-units (`Quantity.MilliValue()`).

use sim::time::{SimDuration, SimTime};

use crate::hpa::replica_calculator::MetricSample;

/// `freshContainerMinMetricsResolution` (metrics-server `pkg/storage/pod.go`).
pub const FRESH_CONTAINER_MIN_RESOLUTION: SimDuration = SimDuration::from_secs(10);

/// The usage of one series (e.g. the per-pod cpu of one Deployment in one region) over time,
/// and what metrics-server reports of it.
#[derive(Clone, Debug)]
pub struct UsageWindow {
    resolution: SimDuration,
    phase: SimDuration,
    /// `(from, value)`: the value holds from `from` until the next entry; before the first,
    /// the usage is 0.
    changes: Vec<(SimTime, u64)>,
}

impl UsageWindow {
    /// Scrapes happen at `phase + k × resolution` (k ≥ 0). `resolution` must be at least 10 s
    /// (metrics-server refuses less); `phase` is reduced modulo the resolution. A phase other
    /// than 0 keeps scrapes from coinciding with the HPA's 15 s syncs, as they do not in a
    /// real cluster.
    pub fn new(resolution: SimDuration, phase: SimDuration) -> UsageWindow {
        let resolution = resolution.max(FRESH_CONTAINER_MIN_RESOLUTION);
        UsageWindow {
            resolution,
            phase: SimDuration::from_nanos(phase.as_nanos() % resolution.as_nanos()),
            changes: Vec::new(),
        }
    }

    /// The usage is `value_millis` from `at` on. Calls come in non-decreasing `at`; a call at
    /// the same instant replaces the value. Queries must not be earlier than the latest `at`:
    /// history older than two resolutions before it is dropped.
    pub fn record(&mut self, at: SimTime, value_millis: u64) {
        match self.changes.last_mut() {
            Some(last) if last.0 >= at => last.1 = value_millis,
            _ => self.changes.push((at, value_millis)),
        }
        let keep_from = at.as_nanos().saturating_sub(2 * self.resolution.as_nanos());
        // Keep the last change at or before `keep_from` (it gives the value there).
        let first_needed = self
            .changes
            .partition_point(|&(from, _)| from.as_nanos() <= keep_from)
            .saturating_sub(1);
        self.changes.drain(..first_needed);
    }

    /// The last scrape at or before `now`, if any.
    pub fn last_scrape(&self, now: SimTime) -> Option<SimTime> {
        let since_first = now.as_nanos().checked_sub(self.phase.as_nanos())?;
        let k = since_first / self.resolution.as_nanos();
        Some(SimTime::from_nanos(
            self.phase.as_nanos() + k * self.resolution.as_nanos(),
        ))
    }

    /// The window a pod started at `pod_start` has at `now`: `(from, to)` = (previous scrape or
    /// the pod's start, last scrape); `None` while it has no sample.
    fn window(&self, now: SimTime, pod_start: SimTime) -> Option<(SimTime, SimTime)> {
        let last = self.last_scrape(now)?;
        if pod_start + FRESH_CONTAINER_MIN_RESOLUTION > last {
            return None;
        }
        let prev = last.as_nanos().checked_sub(self.resolution.as_nanos());
        let from = match prev {
            Some(prev) if prev >= pod_start.as_nanos() => SimTime::from_nanos(prev),
            _ => pod_start,
        };
        Some((from, last))
    }

    /// ∫ usage over `[from, to]`, milli-units × nanoseconds.
    fn integral(&self, from: SimTime, to: SimTime) -> u128 {
        let mut total = 0u128;
        for (i, &(start, value)) in self.changes.iter().enumerate() {
            let end = self
                .changes
                .get(i + 1)
                .map_or(to, |&(next, _)| next.min(to));
            let start = start.max(from);
            if end > start {
                total += u128::from(value) * u128::from(end.as_nanos() - start.as_nanos());
            }
        }
        total
    }

    /// The value in force at `t`.
    fn value_at(&self, t: SimTime) -> u64 {
        let i = self.changes.partition_point(|&(from, _)| from <= t);
        i.checked_sub(1).map_or(0, |i| self.changes[i].1)
    }

    /// The CPU sample the HPA reads at `now` for a pod started at `pod_start`: the average rate
    /// over its window. `None` while the pod has no sample (the calculator's *missing* pods).
    pub fn rate_sample(&self, now: SimTime, pod_start: SimTime) -> Option<MetricSample> {
        let (from, to) = self.window(now, pod_start)?;
        let window = to.saturating_duration_since(from);
        let nanos = u128::from(window.as_nanos().max(1));
        let nano_units = self.integral(from, to) * 1_000_000 / nanos;
        let milli = nano_units.div_ceil(1_000_000);
        Some(MetricSample {
            value_millis: u64::try_from(milli).unwrap_or(u64::MAX),
            timestamp: to,
            window,
        })
    }

    /// The memory (gauge) sample the HPA reads at `now`: the value at the last scrape, with the
    /// same availability, timestamp and window as [`UsageWindow::rate_sample`].
    pub fn gauge_sample(&self, now: SimTime, pod_start: SimTime) -> Option<MetricSample> {
        let (from, to) = self.window(now, pod_start)?;
        Some(MetricSample {
            value_millis: self.value_at(to),
            timestamp: to,
            window: to.saturating_duration_since(from),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(secs: u64) -> SimTime {
        SimTime::from_secs(secs)
    }

    #[test]
    fn rate_is_the_average_over_the_last_full_scrape_interval() {
        // Scrapes every 15 s at 5, 20, 35, 50 s. Usage 100m until 30 s, 400m from 30 s.
        let mut w = UsageWindow::new(SimDuration::from_secs(15), SimDuration::from_secs(5));
        w.record(s(0), 100);
        w.record(s(30), 400);
        // At 34 s the last scrape is 20 s, window [5, 20]: all at 100m.
        let a = w.rate_sample(s(34), s(0));
        assert_eq!(
            a,
            Some(MetricSample {
                value_millis: 100,
                timestamp: s(20),
                window: SimDuration::from_secs(15)
            })
        );
        // At 49 s the window is [20, 35]: 10 s at 100m and 5 s at 400m = (1000 + 2000)/15 = 200m.
        assert_eq!(
            w.rate_sample(s(49), s(0)).map(|m| m.value_millis),
            Some(200)
        );
        // The gauge is the value at the last scrape (35 s): 400m.
        assert_eq!(
            w.gauge_sample(s(49), s(0)).map(|m| m.value_millis),
            Some(400)
        );
    }

    #[test]
    fn fresh_pods_wait_ten_seconds_and_average_from_their_start() {
        let mut w = UsageWindow::new(SimDuration::from_secs(15), SimDuration::ZERO);
        w.record(s(0), 300);
        // Started at 52 s; scrape at 60 s is 8 s after the start (< 10 s): no sample yet.
        assert_eq!(w.rate_sample(s(61), s(52)), None);
        // Started at 48 s: 12 s before the scrape at 60 s, a fresh window of 12 s.
        let m = w.rate_sample(s(61), s(48));
        assert_eq!(m.map(|m| m.window), Some(SimDuration::from_secs(12)));
        assert_eq!(m.map(|m| m.value_millis), Some(300));
        // Before the first scrape, nothing.
        let late = UsageWindow::new(SimDuration::from_secs(15), SimDuration::from_secs(14));
        assert_eq!(late.last_scrape(s(13)), None);
    }

    #[test]
    fn rounds_up_to_millis_and_prunes_old_history() {
        let mut w = UsageWindow::new(SimDuration::from_secs(15), SimDuration::ZERO);
        w.record(s(0), 1);
        w.record(s(10), 0);
        // Window [0, 15]: 10 s at 1m over 15 s = 0.666…m → 666666 nano → rounds up to 1m.
        assert_eq!(w.rate_sample(s(15), s(0)).map(|m| m.value_millis), Some(1));
        for t in (20..200).step_by(10) {
            w.record(s(t), t);
        }
        // Only changes from 190 − 30 = 160 s on (and the one in force there) are kept.
        assert!(w.changes.len() <= 5, "{:?}", w.changes);
        // At 194 s (last scrape 180 s): window [165, 180]: 5 s at 160m, 10 s at 170m
        // → (800 + 1700)/15 = 166.67 → 167m.
        assert_eq!(
            w.rate_sample(s(194), s(0)).map(|m| m.value_millis),
            Some(167)
        );
    }
}

//! The global router: a service's traffic written once, for the whole world, and split over
//! the regions it runs in, as a global load balancer or GeoDNS does.
//!
//! - `Weights({"us-east1": 3, "europe-west1": 1})`: fixed shares, each region's weight over
//!   the sum (weighted routing, e.g. Route 53 weighted records or a GCLB backend balancing
//!   mode). Regions of the service missing from the map get weight 0.
//! - `FollowTheSun(time_zones: {"us-east1": "America/New_York", …}, amplitude, peak_hour)`:
//!   users are near their region and active by day, so each region's share is proportional to
//!   a daily curve of its local hour, `1 + amplitude × cos(2π(h − peak_hour)/24)` (the
//!   `Diurnal` shape's curve), normalized over the regions at every instant. Defaults:
//!   `amplitude` 0.8, `peak_hour` 14 (an afternoon peak of consumer traffic, as in the
//!   `Diurnal` examples); the shares are held over each `step` (default "1m") at its midpoint.
//!
//! The split conserves traffic: the regions' rates always sum to the global rate (when every
//! share would be 0 the split is even). Failover (regions taken out by health checks) is the
//! failover model's extension of these shares.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sim::time::{SimDuration, SimTime, UtcInstant};

use crate::traffic::TimeZone;
use crate::traffic::curves::diurnal;

/// How a service's global traffic is split over its regions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Routing {
    /// Fixed weights per region name.
    Weights(BTreeMap<String, f64>),
    /// Shares following each region's local daytime.
    FollowTheSun {
        time_zones: BTreeMap<String, TimeZone>,
        #[serde(default = "default_amplitude")]
        amplitude: f64,
        #[serde(default = "default_peak_hour")]
        peak_hour: f64,
        #[serde(default = "default_step")]
        step: SimDuration,
    },
}

fn default_amplitude() -> f64 {
    0.8
}

fn default_peak_hour() -> f64 {
    14.0
}

fn default_step() -> SimDuration {
    SimDuration::from_secs(60)
}

impl Routing {
    /// Checks the routing against the service's regions: the field (relative to `routing`) and
    /// what was expected.
    pub fn validate(&self, regions: &[String]) -> Result<(), (String, String)> {
        let named: Vec<&String> = match self {
            Routing::Weights(w) => w.keys().collect(),
            Routing::FollowTheSun { time_zones, .. } => time_zones.keys().collect(),
        };
        if let Some(r) = named.iter().find(|r| !regions.contains(r)) {
            return Err((
                String::new(),
                format!("region `{r}` is not one of the service's regions {regions:?}"),
            ));
        }
        match self {
            Routing::Weights(w) => {
                if let Some((r, v)) = w.iter().find(|(_, v)| !(v.is_finite() && **v >= 0.0)) {
                    return Err((
                        String::new(),
                        format!("weight of `{r}` is {v}: expected a finite number >= 0"),
                    ));
                }
                if w.values().sum::<f64>() <= 0.0 {
                    return Err((
                        String::new(),
                        "every weight is 0: expected at least one positive weight".into(),
                    ));
                }
            }
            Routing::FollowTheSun {
                time_zones,
                amplitude,
                peak_hour,
                step,
            } => {
                if let Some(r) = regions.iter().find(|r| !time_zones.contains_key(*r)) {
                    return Err((
                        "time_zones".into(),
                        format!("no time zone for region `{r}`: expected one per region"),
                    ));
                }
                if !(0.0..=1.0).contains(amplitude) {
                    return Err(("amplitude".into(), "expected a number in [0, 1]".into()));
                }
                if !(0.0..24.0).contains(peak_hour) {
                    return Err(("peak_hour".into(), "expected an hour in [0, 24)".into()));
                }
                if step.is_zero() {
                    return Err(("step".into(), "expected a positive duration".into()));
                }
            }
        }
        Ok(())
    }
}

/// A routing bound to the service's regions, in their order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Router {
    routing: Routing,
    regions: Vec<String>,
}

/// The shares of every region at one instant, and when they next change.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub shares: Vec<f64>,
    pub until: Option<SimTime>,
}

impl Router {
    /// `routing` must have passed [`Routing::validate`] against `regions`.
    pub fn new(routing: Routing, regions: Vec<String>) -> Self {
        Router { routing, regions }
    }

    /// The split at `now` (`start` places time zero on the clock).
    pub fn split(&self, start: UtcInstant, now: SimTime) -> Split {
        let (raw, until): (Vec<f64>, Option<SimTime>) = match &self.routing {
            Routing::Weights(w) => (
                self.regions
                    .iter()
                    .map(|r| w.get(r).copied().unwrap_or(0.0))
                    .collect(),
                None,
            ),
            Routing::FollowTheSun {
                time_zones,
                amplitude,
                peak_hour,
                step,
            } => {
                let step_ns = step.as_nanos();
                let index = now.as_nanos() / step_ns;
                let midpoint = start.plus(SimTime::from_nanos(index * step_ns + step_ns / 2));
                let raw = self
                    .regions
                    .iter()
                    .map(|r| {
                        let zone = time_zones.get(r).copied().unwrap_or(TimeZone::UTC);
                        let local_s = zone.local_s(midpoint.unix_s()).rem_euclid(86_400);
                        diurnal(1.0, *amplitude, *peak_hour, local_s as f64 / 3600.0)
                    })
                    .collect();
                (
                    raw,
                    Some(SimTime::from_nanos((index + 1).saturating_mul(step_ns))),
                )
            }
        };
        let total: f64 = raw.iter().sum();
        let shares = if total > 0.0 {
            raw.iter().map(|v| v / total).collect()
        } else {
            vec![1.0 / self.regions.len().max(1) as f64; self.regions.len()]
        };
        Split { shares, until }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regions() -> Vec<String> {
        vec!["us".into(), "eu".into(), "ap".into()]
    }

    #[test]
    fn weights_split_by_their_share_and_conserve_traffic() {
        let w = Routing::Weights(BTreeMap::from([("us".into(), 3.0), ("eu".into(), 1.0)]));
        w.validate(&regions()).unwrap();
        let split = Router::new(w, regions()).split(UtcInstant::from_unix_s(0), SimTime::ZERO);
        // 3/4, 1/4, and 0 for the region without a weight.
        assert_eq!(split.shares, vec![0.75, 0.25, 0.0]);
        assert_eq!(split.until, None);
    }

    #[test]
    fn follow_the_sun_favours_the_region_at_its_peak_hour() {
        let zones = BTreeMap::from([
            ("us".into(), TimeZone::parse("America/New_York").unwrap()),
            ("eu".into(), TimeZone::parse("Europe/Paris").unwrap()),
            ("ap".into(), TimeZone::parse("Asia/Tokyo").unwrap()),
        ]);
        let r = Routing::FollowTheSun {
            time_zones: zones,
            amplitude: 1.0,
            peak_hour: 14.0,
            step: SimDuration::from_secs(3600),
        };
        r.validate(&regions()).unwrap();
        // 2026-11-27 13:00 UTC; the hour step's midpoint is 13:30 UTC: 08:30 in New York
        // (UTC−5), 14:30 in Paris (UTC+1), 22:30 in Tokyo (UTC+9). With amplitude 1 the curve
        // is 1 + cos(2π(h − 14)/24): New York 1 + cos(−82.5°) = 1.1305, Paris 1 + cos(7.5°) =
        // 1.9914, Tokyo 1 + cos(127.5°) = 0.3912; the sum is 3.5131.
        let start = UtcInstant::from_unix_s(1_795_737_600);
        let split =
            Router::new(r, regions()).split(start, SimTime::from_nanos(13 * 3_600 * 1_000_000_000));
        let expected = [1.1305 / 3.5131, 1.9914 / 3.5131, 0.3912 / 3.5131];
        for (got, want) in split.shares.iter().zip(expected) {
            assert!((got - want).abs() < 1e-3, "{:?}", split.shares);
        }
        assert!((split.shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(
            split.until,
            Some(SimTime::from_nanos(14 * 3_600 * 1_000_000_000))
        );
    }

    #[test]
    fn bad_routings_name_what_was_expected() {
        let w = Routing::Weights(BTreeMap::from([("mars".into(), 1.0)]));
        assert!(w.validate(&regions()).unwrap_err().1.contains("mars"));
        let w = Routing::Weights(BTreeMap::from([("us".into(), 0.0)]));
        assert!(
            w.validate(&regions())
                .unwrap_err()
                .1
                .contains("every weight is 0")
        );
        let f = Routing::FollowTheSun {
            time_zones: BTreeMap::from([("us".into(), TimeZone::UTC)]),
            amplitude: 0.5,
            peak_hour: 14.0,
            step: SimDuration::from_secs(60),
        };
        assert_eq!(f.validate(&regions()).unwrap_err().0, "time_zones");
    }
}

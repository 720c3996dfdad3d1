//! Zone failures and regional outages, resolved from the configuration to time windows.
//!
//! A zone outage stops every node of the zone at `start` (each follows the node lifecycle of
//! [`super::node_failure`]: not ready after the grace period, pods evicted after the
//! toleration) and brings them back at `end`. A regional outage makes the whole region
//! unreachable: its nodes and its endpoint, so the global router's health checks fail
//! ([`region_health_events`] feeds [`super::router::FailoverRouter`]). The start and the
//! length are given or drawn uniformly from a range, on stream
//! `faults/outage/<zone|region>/<name>/<k>` (the `k`-th outage of that target), so adding an
//! outage elsewhere leaves this one's draw unchanged.

use sim::rng;
use sim::time::SimTime;

use super::config::OutageConfig;

/// What an outage takes down.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum OutageScope {
    Zone(String),
    Region(String),
}

/// One outage: down over `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Outage {
    pub start: SimTime,
    pub end: SimTime,
    pub scope: OutageScope,
}

/// A region going down or coming back, as the world (not yet the health checks) sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct HealthEvent {
    pub at: SimTime,
    /// Index of the region in the router's region list.
    pub region: usize,
    pub healthy: bool,
}

/// The stream of the `k`-th outage of a target.
pub fn outage_stream_path(kind: &str, target: &str, k: usize) -> String {
    format!("faults/outage/{kind}/{target}/{k}")
}

/// Every zone and regional outage of the configuration, with drawn values resolved, sorted by
/// start.
pub fn resolve_outages(seed: u64, zones: &[OutageConfig], regions: &[OutageConfig]) -> Vec<Outage> {
    let mut out = Vec::new();
    for (kind, list) in [("zone", zones), ("region", regions)] {
        for (i, o) in list.iter().enumerate() {
            let k = list[..i].iter().filter(|p| p.name == o.name).count();
            let mut rng = rng::stream(seed, &outage_stream_path(kind, &o.name, k));
            let start = SimTime::ZERO + o.at.draw(&mut rng);
            let end = start + o.duration.draw(&mut rng);
            let scope = match kind {
                "zone" => OutageScope::Zone(o.name.clone()),
                _ => OutageScope::Region(o.name.clone()),
            };
            out.push(Outage { start, end, scope });
        }
    }
    out.sort();
    out
}

/// The health events of the regional outages, for regions named in `regions` (the router's
/// order). Overlapping outages of one region merge into one down window.
pub fn region_health_events(outages: &[Outage], regions: &[String]) -> Vec<HealthEvent> {
    let mut events = Vec::new();
    for (r, name) in regions.iter().enumerate() {
        let mut windows: Vec<(SimTime, SimTime)> = outages
            .iter()
            .filter(|o| matches!(&o.scope, OutageScope::Region(n) if n == name))
            .filter(|o| o.end > o.start)
            .map(|o| (o.start, o.end))
            .collect();
        windows.sort();
        let mut merged: Vec<(SimTime, SimTime)> = Vec::new();
        for (s, e) in windows {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        for (s, e) in merged {
            events.push(HealthEvent {
                at: s,
                region: r,
                healthy: false,
            });
            events.push(HealthEvent {
                at: e,
                region: r,
                healthy: true,
            });
        }
    }
    events.sort();
    events
}

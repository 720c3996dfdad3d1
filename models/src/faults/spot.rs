//! Spot interruptions: how often (Spot Advisor bands → a rate per node-hour), with what warning
//! (each cloud's notice), and which nodes (per-pool clocks and correlated waves).
//!
//! # Bands → rates
//!
//! The AWS Spot Instance Advisor publishes, per (region, instance type), a frequency-of-
//! interruption band: `<5%`, `5-10%`, `10-15%`, `15-20%`, `>20%` — "the rate at which Spot has
//! reclaimed capacity during the trailing month" (aws.amazon.com/ec2/spot/instance-advisor/;
//! bundled as `data/cloud/aws/aws_spot_advisor_linux_2025-06-28.csv`, read by
//! `models::catalog`, see `data/PROVENANCE.md`). Two modelling choices turn a band into a rate,
//! neither of them AWS data (`../shared/ground-truth/spot-and-failures.md` §2):
//!
//! 1. **The band's representative share** `p` is its midpoint, and 25 % for the open band
//!    `>20%`: 2.5 %, 7.5 %, 12.5 %, 17.5 %, 25 % of instances reclaimed per month.
//! 2. **The share is read as the probability that an instance running the whole month is
//!    reclaimed**, with a constant hazard `λ` per node-hour over a 30-day month (`H` = 720 h;
//!    the Advisor's savings figure is "calculated over the last 30 days"):
//!    `p = 1 − exp(−λ·H)`, so `λ = −ln(1 − p) / H`. For `<5%`: `−ln(0.975) / 720 =
//!    3.5164e-5` per node-hour, i.e. one reclaim per 28,438 node-hours; for `>20%`:
//!    `−ln(0.75) / 720 = 3.9956e-4` (one per 2,503 node-hours). The linear reading `p / H`
//!    differs by under 1.3 % for `<5%` and 13 % for `>20%`.
//!
//! An experiment can instead give the rate per node-hour itself (GCP and Azure publish no
//! bands, so their pools need one).
//!
//! # Notice, rebalance recommendations
//!
//! Notice before the instance is stopped (ground truth §1): AWS **120 s** (EC2 User Guide,
//! "Spot Instance interruption notices"), GCP Spot VMs **30 s** (cloud.google.com/compute/
//! docs/instances/spot), Azure Spot VMs **30 s** at least (Scheduled Events `Preempt`). An
//! [`Interruption`] carries `notice_at` (cordon and drain, as Karpenter's interruption
//! controller does) and `reclaim_at = notice_at + notice` (the node is gone). AWS rebalance
//! recommendations come "before, often well before" the notice with no guaranteed lead; when an
//! experiment sets a lead, the clock's instant is the recommendation and the notice follows
//! `lead` later (the hazard is unchanged, only shifted). Karpenter takes no action on a
//! recommendation (`actionForMessage` default, aws/karpenter-provider-aws `1d927085…`), so it is
//! an event for the log unless a policy acts on it.
//!
//! # Which nodes
//!
//! Per pool, a [`HazardClock`] on stream `faults/spot/<region>/<pool>`: superposed exponential
//! clocks, victim uniform among the pool's current spot nodes by stable id. Waves
//! ([`wave_interruptions`]) take `round(share × n)` nodes of the scope, a seeded subset of the
//! ids (partial Fisher–Yates over the sorted ids), each noticed at a uniform instant of the
//! wave's window: the same seed reclaims the same nodes.

use std::fmt;

use serde::{Deserialize, Serialize};
use sim::rng::{self, Stream};
use sim::time::{SimDuration, SimTime};

use super::draw;
use super::hazard::HazardClock;
use crate::catalog::Provider;

/// Hours in the Spot Advisor's "trailing month": 30 days.
pub const HOURS_PER_MONTH: f64 = 720.0;

/// An AWS Spot Advisor frequency-of-interruption band, written as its label (`"<5%"`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum SpotBand {
    Under5,
    From5To10,
    From10To15,
    From15To20,
    Over20,
}

/// Labels in band-index order (the feed's `r` = 0..4).
const LABELS: [&str; 5] = ["<5%", "5-10%", "10-15%", "15-20%", ">20%"];
const BANDS: [SpotBand; 5] = [
    SpotBand::Under5,
    SpotBand::From5To10,
    SpotBand::From10To15,
    SpotBand::From15To20,
    SpotBand::Over20,
];

impl SpotBand {
    /// The band of a Spot Advisor label, as in the catalog's `interruption_band`.
    pub fn from_label(label: &str) -> Option<SpotBand> {
        LABELS.iter().position(|l| *l == label).map(|i| BANDS[i])
    }

    pub fn label(self) -> &'static str {
        LABELS[self as usize]
    }

    /// The representative share of instances reclaimed per month (midpoint; 25 % for `>20%`).
    pub fn monthly_fraction(self) -> f64 {
        [0.025, 0.075, 0.125, 0.175, 0.25][self as usize]
    }

    /// The constant hazard per node-hour: `−ln(1 − p) / 720` (module docs).
    pub fn rate_per_node_hour(self) -> f64 {
        rate_from_monthly_fraction(self.monthly_fraction())
    }
}

/// `λ = −ln(1 − p) / 720`: the hazard under which an instance alive for a 30-day month is
/// reclaimed with probability `p` (in [0, 1)).
pub fn rate_from_monthly_fraction(p: f64) -> f64 {
    -(1.0 - p).ln() / HOURS_PER_MONTH
}

impl TryFrom<String> for SpotBand {
    type Error = String;
    fn try_from(label: String) -> Result<Self, String> {
        SpotBand::from_label(&label).ok_or_else(|| {
            format!(
                "unknown Spot Advisor band `{label}`: expected one of \"<5%\", \"5-10%\", \
                 \"10-15%\", \"15-20%\", \">20%\""
            )
        })
    }
}

impl From<SpotBand> for String {
    fn from(b: SpotBand) -> String {
        b.label().to_owned()
    }
}

impl fmt::Display for SpotBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The cloud whose notice length applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cloud {
    Aws,
    Gcp,
    Azure,
}

impl Cloud {
    /// Warning before a spot instance is stopped: AWS 120 s, GCP 30 s, Azure 30 s (module docs).
    pub fn spot_notice(self) -> SimDuration {
        match self {
            Cloud::Aws => SimDuration::from_secs(120),
            Cloud::Gcp | Cloud::Azure => SimDuration::from_secs(30),
        }
    }
}

impl From<Provider> for Cloud {
    fn from(p: Provider) -> Cloud {
        match p {
            Provider::Aws => Cloud::Aws,
            Provider::Gcp => Cloud::Gcp,
        }
    }
}

/// The warnings a reclaim comes with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpotTimings {
    /// Notice → instance stopped.
    pub notice: SimDuration,
    /// Rebalance recommendation → notice; `None`: no recommendations.
    pub rebalance_lead: Option<SimDuration>,
}

/// One reclaim of one node. The integrator cordons and drains at `notice_at` and removes the
/// node at `reclaim_at`; if the node is already gone by then, the reclaim is void.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interruption {
    pub notice_at: SimTime,
    pub node: u32,
    /// A rebalance recommendation before the notice, when the pool has a lead.
    pub rebalance_at: Option<SimTime>,
    pub reclaim_at: SimTime,
}

/// The stream of a pool's spot clock: `faults/spot/<region>/<pool>`.
pub fn spot_stream_path(region: &str, pool: &str) -> String {
    format!("faults/spot/{region}/{pool}")
}

/// The stream of the `k`-th wave (0-based) on a target (pool or zone name):
/// `faults/wave/<target>/<k>`, so adding a wave elsewhere leaves a wave's nodes unchanged.
pub fn wave_stream_path(target: &str, k: usize) -> String {
    format!("faults/wave/{target}/{k}")
}

/// A spot pool's interruption clock: "when is the next reclaim, given N spot nodes now?".
///
/// Use: `set_nodes(now, n)` whenever the pool's count of spot nodes changes; keep one wake-up
/// at `next_signal_at()`; when it fires, `interrupt(now, ids)` names the node and its instants.
/// A node under notice is no longer at risk: leave it out of the count and of `ids` from then
/// on, so it is not reclaimed twice.
#[derive(Debug, Clone)]
pub struct SpotClock {
    clock: HazardClock,
    timings: SpotTimings,
}

impl SpotClock {
    /// The clock of pool `pool` in `region`, on stream [`spot_stream_path`].
    pub fn new(
        seed: u64,
        region: &str,
        pool: &str,
        rate_per_node_hour: f64,
        timings: SpotTimings,
    ) -> Self {
        let rng = rng::stream(seed, &spot_stream_path(region, pool));
        SpotClock {
            clock: HazardClock::new(rate_per_node_hour, rng),
            timings,
        }
    }

    pub fn set_nodes(&mut self, now: SimTime, nodes: u32) {
        self.clock.set_nodes(now, nodes);
    }

    /// The next first signal (the rebalance recommendation with a lead, else the notice).
    pub fn next_signal_at(&self) -> Option<SimTime> {
        self.clock.next_at()
    }

    /// The signal at `now` fired: the victim among `node_ids` (current spot nodes of the pool)
    /// and its instants. `None` when `node_ids` is empty.
    pub fn interrupt(&mut self, now: SimTime, node_ids: &[u32]) -> Option<Interruption> {
        let node = self.clock.fire(now, node_ids)?;
        Some(timeline(node, now, self.timings))
    }
}

/// The instants of a reclaim whose first signal is at `signal_at`.
fn timeline(node: u32, signal_at: SimTime, t: SpotTimings) -> Interruption {
    let (rebalance_at, notice_at) = match t.rebalance_lead {
        Some(lead) => (Some(signal_at), signal_at + lead),
        None => (None, signal_at),
    };
    Interruption {
        notice_at,
        node,
        rebalance_at,
        reclaim_at: notice_at + t.notice,
    }
}

/// A correlated reclaim wave starting at `start`: `round(share × n)` of the `candidates` (the
/// spot nodes in the wave's scope at `start`, any order), chosen by `rng` (use
/// [`wave_stream_path`]), each signalled at a uniform instant of `[start, start + window]`.
/// Sorted by notice instant, then node id.
pub fn wave_interruptions(
    rng: &mut Stream,
    start: SimTime,
    window: SimDuration,
    share: f64,
    candidates: &[u32],
    timings: SpotTimings,
) -> Vec<Interruption> {
    let k = (share * candidates.len() as f64).round() as usize;
    let victims = draw::choose_subset(rng, candidates, k);
    let mut out: Vec<Interruption> = victims
        .into_iter()
        .map(|node| {
            let offset = draw::Timing::Between(SimDuration::ZERO, window).draw(rng);
            timeline(node, start + offset, timings)
        })
        .collect();
    out.sort();
    out
}

/// A Spot Advisor band's rate, for a pool whose catalog row has the label `band` (`None` for
/// GCP rows and AWS rows without a Spot Advisor entry).
pub fn catalog_band_rate(band: Option<&str>) -> Option<f64> {
    band.and_then(SpotBand::from_label)
        .map(SpotBand::rate_per_node_hour)
}

/// Expected reclaims of `nodes` spot nodes over `hours` at a rate per node-hour: the mean a
/// run's count is compared with.
pub fn expected_reclaims(rate_per_node_hour: f64, nodes: u32, hours: f64) -> f64 {
    rate_per_node_hour * f64::from(nodes) * hours
}

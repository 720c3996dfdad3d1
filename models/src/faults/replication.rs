//! Database replication and the RPO of a failure of the primary.
//!
//! The RPO of a failure at `t` is what the replicas do not have yet: as time, the replication
//! lag at `t` (writes newer than `t − lag` are lost), and as writes, the writes committed at the
//! primary but not applied at a replica.
//!
//! * `Sync`: a write commits only once a replica has it, so the RPO is 0 (and 0 writes).
//! * `Async(Constant(L))`: lag `L`; writes lost `= L × w`, `w` the write rate at `t`.
//! * `Async(LogNormal(median, p99))`: lag drawn at each failure from a log-normal with
//!   `μ = ln(median)`, `σ = ln(p99 / median) / z₀.₉₉` (`z₀.₉₉ = 2.3263478740408408`, the
//!   standard normal's 99th percentile); writes lost `= lag × w`. Drawn on stream
//!   `faults/replication/<primary>`.
//! * `Async(Throughput(apply_writes_per_s: μ, base: b))`: the replicas apply writes as a fluid
//!   server of throughput `μ` behind a fixed delay `b` (network and apply). The backlog `B`
//!   (writes received but not applied) grows at `w − μ` while `w > μ` and drains at `μ − w`
//!   otherwise. Lag `= b + B / μ`; writes lost `= w × b + B` (those in flight plus the
//!   backlog). Queueing jitter below saturation is not modelled: give a `LogNormal` for that.
//!   With a steady `w < μ` this is `Constant(b)`.

use sim::rng::{self, Stream};
use sim::time::{SimDuration, SimTime};

use super::config::{LagModel, ReplicationMode};
use super::draw;

/// The standard normal's 99th percentile.
const Z_99: f64 = 2.326_347_874_040_840_8;

/// What a failure of the primary loses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rpo {
    /// Writes newer than `failure − lag` are lost.
    pub lag: SimDuration,
    /// Writes committed at the primary and missing at the replicas.
    pub unreplicated_writes: f64,
}

impl Rpo {
    /// Whether the lag is within the target.
    pub fn meets(&self, target: SimDuration) -> bool {
        self.lag <= target
    }
}

/// The stream of the lag draws of a database whose primary is in `primary`.
pub fn replication_stream_path(primary: &str) -> String {
    format!("faults/replication/{primary}")
}

/// Replication of one database: fed the write rate as it changes, asked the RPO at a failure.
#[derive(Debug, Clone)]
pub struct Replication {
    mode: ReplicationMode,
    rng: Stream,
    writes_per_s: f64,
    backlog_writes: f64,
    since: SimTime,
}

impl Replication {
    pub fn new(seed: u64, primary: &str, mode: ReplicationMode) -> Self {
        Replication {
            mode,
            rng: rng::stream(seed, &replication_stream_path(primary)),
            writes_per_s: 0.0,
            backlog_writes: 0.0,
            since: SimTime::ZERO,
        }
    }

    /// The primary takes `writes_per_s` from `now` on (`now` not before the last call).
    pub fn set_write_rate(&mut self, now: SimTime, writes_per_s: f64) {
        self.advance(now);
        self.writes_per_s = writes_per_s;
    }

    /// Writes received by the replicas and not yet applied (Throughput model; 0 otherwise).
    pub fn backlog_writes(&mut self, now: SimTime) -> f64 {
        self.advance(now);
        self.backlog_writes
    }

    /// The RPO of a failure of the primary at `now`. A `LogNormal` lag takes one draw.
    pub fn rpo_at(&mut self, now: SimTime) -> Rpo {
        self.advance(now);
        let w = self.writes_per_s;
        let from_lag = |lag: SimDuration| Rpo {
            lag,
            unreplicated_writes: lag.as_secs_f64() * w,
        };
        match self.mode {
            ReplicationMode::Sync => from_lag(SimDuration::ZERO),
            ReplicationMode::Async(LagModel::Constant(lag)) => from_lag(lag),
            ReplicationMode::Async(LagModel::LogNormal { median, p99 }) => {
                let sigma = (p99.as_secs_f64() / median.as_secs_f64()).ln() / Z_99;
                let z = draw::standard_normal(&mut self.rng);
                from_lag(SimDuration::from_secs_f64(
                    median.as_secs_f64() * (sigma * z).exp(),
                ))
            }
            ReplicationMode::Async(LagModel::Throughput {
                apply_writes_per_s,
                base,
            }) => Rpo {
                lag: base + SimDuration::from_secs_f64(self.backlog_writes / apply_writes_per_s),
                unreplicated_writes: w * base.as_secs_f64() + self.backlog_writes,
            },
        }
    }

    fn advance(&mut self, now: SimTime) {
        if let ReplicationMode::Async(LagModel::Throughput {
            apply_writes_per_s, ..
        }) = self.mode
        {
            let dt_s = now.saturating_duration_since(self.since).as_secs_f64();
            self.backlog_writes =
                (self.backlog_writes + (self.writes_per_s - apply_writes_per_s) * dt_s).max(0.0);
        }
        self.since = self.since.max(now);
    }
}

//! The request-level backend of [`super::ServiceQueue`] (`--fidelity request`): a
//! [`RequestQueue`] with its own random stream, whose every request is counted and recorded
//! into the same counts and histogram as the fluid backend's.
//!
//! Counts are integers here (stored as `f64` like the fluid ones) and fall when things happen:
//! `arrived` on arrival, `served` and `within_target` when a request finishes service (the
//! fluid model counts a stretch's requests as it accounts for the stretch), `dropped` when a
//! request gives up waiting (see `workloads::request_level` for how this timeout corresponds to
//! the fluid model's). The latency of the instant ([`RequestBackend::interval_latency_s`]) is
//! what a monitoring system would show: mean and quantiles of the requests served since the
//! last sample.

use super::{Counts, Histogram};
use serde::{Deserialize, Serialize};
use sim::rng::Stream;
use sim::time::SimTime;
use workloads::request_level::{Outcome, RequestQueue};

/// A request-level queue, its stream, and the requests served since the last sample.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct RequestBackend {
    queue: RequestQueue,
    #[serde(with = "stream_state")]
    rng: Stream,
    interval_histogram: Histogram,
    interval_response_sum_s: f64,
}

impl RequestBackend {
    pub(super) fn new(mu_rps: f64, servers: u32, timeout_s: f64, rng: Stream) -> Self {
        RequestBackend {
            queue: RequestQueue::new(mu_rps, servers, timeout_s),
            rng,
            interval_histogram: Histogram::default(),
            interval_response_sum_s: 0.0,
        }
    }

    pub(super) fn set_rate(&mut self, lambda_rps: f64) {
        self.queue.set_rate(lambda_rps);
    }

    pub(super) fn set_servers(&mut self, servers: u32) {
        self.queue.set_servers(servers);
    }

    pub(super) fn set_service_rate(&mut self, mu_rps: f64) {
        self.queue.set_service_rate(mu_rps);
    }

    pub(super) fn waiting_requests(&self) -> f64 {
        self.queue.waiting_requests() as f64
    }

    /// Plays every request up to `now`, adding them to `counts` and `histogram`.
    pub(super) fn advance_to(
        &mut self,
        now: SimTime,
        target_s: Option<f64>,
        counts: &mut Counts,
        histogram: &mut Histogram,
    ) {
        let RequestBackend {
            queue,
            rng,
            interval_histogram,
            interval_response_sum_s,
        } = self;
        queue.advance_to(now, rng, |outcome| match outcome {
            Outcome::Arrived => counts.arrived += 1.0,
            Outcome::Served { response_s, .. } => {
                counts.served += 1.0;
                if target_s.is_some_and(|target| response_s <= target) {
                    counts.within_target += 1.0;
                }
                histogram.record(response_s);
                interval_histogram.record(response_s);
                *interval_response_sum_s += response_s;
            }
            Outcome::Dropped => counts.dropped += 1.0,
        });
    }

    /// Mean, p50, p95 and p99 of the requests served since the last
    /// [`Self::restart_interval`], in seconds; `None` if none was.
    pub(super) fn interval_latency_s(&self) -> Option<[f64; 4]> {
        let served = self.interval_histogram.requests();
        let quantile = |q| self.interval_histogram.quantile_s(q);
        Some([
            (served > 0.0).then(|| self.interval_response_sum_s / served)?,
            quantile(0.5)?,
            quantile(0.95)?,
            quantile(0.99)?,
        ])
    }

    pub(super) fn restart_interval(&mut self) {
        self.interval_histogram = Histogram::default();
        self.interval_response_sum_s = 0.0;
    }
}

/// (De)serializes a [`Stream`] as its seed, stream id and position, so a saved model resumes
/// the same draws. The workspace builds `rand_chacha` without its `serde` feature, so the
/// generator is rebuilt through `sim::rng::stream`, whose key is the seed's 8 little-endian
/// bytes followed by zeros (see `sim::rng`); a key of any other shape is refused rather than
/// silently changed.
mod stream_state {
    use serde::ser::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use sim::rng::Stream;

    #[derive(Serialize, Deserialize)]
    struct StreamState {
        seed: u64,
        stream: u64,
        /// The 68-bit word position, split because not every format carries a `u128`.
        word_pos_high: u64,
        word_pos_low: u64,
    }

    pub(super) fn serialize<S: Serializer>(rng: &Stream, serializer: S) -> Result<S::Ok, S::Error> {
        let key = rng.get_seed();
        let (seed, rest) = key.split_at(8);
        if rest.iter().any(|&b| b != 0) {
            return Err(S::Error::custom(
                "random stream was not made by sim::rng::stream",
            ));
        }
        let mut seed_bytes = [0u8; 8];
        seed_bytes.copy_from_slice(seed);
        let word_pos = rng.get_word_pos();
        StreamState {
            seed: u64::from_le_bytes(seed_bytes),
            stream: rng.get_stream(),
            word_pos_high: (word_pos >> 64) as u64,
            word_pos_low: word_pos as u64,
        }
        .serialize(serializer)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Stream, D::Error> {
        let state = StreamState::deserialize(deserializer)?;
        let mut rng = sim::rng::stream(state.seed, "");
        rng.set_stream(state.stream);
        rng.set_word_pos(u128::from(state.word_pos_high) << 64 | u128::from(state.word_pos_low));
        Ok(rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_stream_resumes_the_same_draws() {
        // Play a while so the generator sits mid-block, save, restore, and compare the state
        // and what both copies do next.
        let mut original = RequestBackend::new(10.0, 2, 1.0, sim::rng::stream(9, "fidelity/api"));
        original.set_rate(15.0);
        let (mut counts, mut histogram) = (Counts::default(), Histogram::default());
        original.advance_to(
            SimTime::from_secs(37),
            Some(0.2),
            &mut counts,
            &mut histogram,
        );
        let saved = serde_json::to_string(&original).unwrap();
        let mut restored: RequestBackend = serde_json::from_str(&saved).unwrap();
        assert_eq!(restored.rng, original.rng);
        let mut next = [
            (Counts::default(), Histogram::default()),
            (Counts::default(), Histogram::default()),
        ];
        for (backend, (counts, histogram)) in
            [&mut original, &mut restored].into_iter().zip(&mut next)
        {
            backend.advance_to(SimTime::from_secs(80), Some(0.2), counts, histogram);
        }
        assert!(next[0].0.served > 500.0, "{:?}", next[0].0);
        assert_eq!(next[0], next[1]);
    }
}

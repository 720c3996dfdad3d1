//! A launched node's boot time: its pool's `provisioning_delay` scaled by a factor drawn
//! uniformly in `[low, high]` from the stream `control_plane/boot/<pool>` of the run's seed,
//! so the same pool launches the same sequence of boot times for a seed, and adding a pool
//! changes no other pool's draws. The uniform is `low + (high − low) · u`, `u` the 53 high
//! bits of one 64-bit word of the stream scaled to [0, 1) (written out, not `rand_distr`, so
//! the mapping from the stream never changes).

use rand::Rng;
use sim::rng::Stream;

/// A boot time in nanoseconds: `delay_ns × factor`, factor uniform in `[low, high]`.
pub fn draw_boot_ns(rng: &mut Stream, delay_ns: u64, low: f64, high: f64) -> u64 {
    let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    let factor = low + (high - low) * u;
    (delay_ns as f64 * factor).round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boot_times_stay_within_the_bounds_and_repeat_for_a_seed() {
        let delay = 60_000_000_000;
        let draws = |seed| {
            let mut rng = sim::rng::stream(seed, "control_plane/boot/p");
            (0..1000)
                .map(|_| draw_boot_ns(&mut rng, delay, 0.75, 1.5))
                .collect::<Vec<u64>>()
        };
        let a = draws(7);
        // 0.75 × 60 s = 45 s, 1.5 × 60 s = 90 s.
        assert!(
            a.iter()
                .all(|&b| (45_000_000_000..=90_000_000_000).contains(&b))
        );
        assert_eq!(a, draws(7));
        assert_ne!(a, draws(8));
        // A spread, not a constant: the mean of 1000 uniform draws is near 67.5 s.
        let mean = a.iter().sum::<u64>() as f64 / 1000.0 / 1e9;
        assert!((mean - 67.5).abs() < 2.0, "{mean}");
    }
}

//! Named random streams: every random draw of a run comes from `stream(seed, path)`, where
//! `path` names the component that draws ("faults/spot/us-east-1/general").
//!
//! Why one stream per component instead of one generator for the run: with a shared generator
//! the draws of a component depend on how many draws every other component made before it, so
//! adding a node pool would change the failures of an unrelated service. A stream depends only
//! on (seed, path), so adding a component leaves the draws of the others unchanged, and the
//! order in which models are stepped does not matter.
//!
//! Construction, pinned so that values do not depend on a library's seeding conventions:
//! * the generator is ChaCha with 8 rounds (`rand_chacha::ChaCha8Rng`): a counter-based cipher,
//!   so 2^64 independent streams per key come for free through its 64-bit nonce;
//! * the 32-byte key is `seed.to_le_bytes()` followed by 24 zero bytes, given to
//!   `SeedableRng::from_seed` (not `seed_from_u64`, whose expansion of the `u64` is
//!   rand_core's choice);
//! * the stream id (the ChaCha nonce, `set_stream`) is the FNV-1a 64-bit hash of the path's
//!   UTF-8 bytes: a fixed, documented hash, unlike std's `DefaultHasher` whose algorithm may
//!   change between Rust releases and `RandomState` which is randomly keyed per process.
//!
//! Two paths whose FNV-1a hashes collide would share a stream; with 64-bit hashes and a few
//! thousand paths per run, the probability is about 10^-13.

use rand::SeedableRng;

/// The generator of one named stream. Draw with `rand::Rng::next_u64`, or
/// `rand::RngExt::random::<f64>()` for a uniform value in [0, 1).
pub type Stream = rand_chacha::ChaCha8Rng;

/// FNV-1a, 64-bit: offset basis 0xcbf29ce484222325, prime 0x100000001b3 (Fowler, Noll, Vo;
/// <http://www.isthe.com/chongo/tech/comp/fnv/> and the IETF draft
/// draft-eastlake-fnv, "The FNV Non-Cryptographic Hash Algorithm"). Chosen because it is
/// specified byte for byte, so a path names the same stream on every platform and release.
pub const fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// The stream of the component `path` in a run with experiment seed `seed`; see the module
/// documentation for the exact construction.
pub fn stream(seed: u64, path: &str) -> Stream {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    let mut rng = Stream::from_seed(key);
    rng.set_stream(fnv1a64(path.as_bytes()));
    rng
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, RngExt};

    const SPOT: &str = "faults/spot/us-east-1/general";

    #[test]
    fn fnv1a64_matches_published_vectors() {
        // Test vectors of the FNV reference code (isthe.com fnv test_fnv.c, FNV-1a 64).
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn different_paths_draw_differently() {
        let a = stream(7, "a").next_u64();
        let b = stream(7, "b").next_u64();
        assert_ne!(a, b);
        assert_ne!(
            stream(7, SPOT).next_u64(),
            stream(7, "faults/spot/us-east-1/gpu").next_u64()
        );
    }

    #[test]
    fn another_stream_does_not_change_the_draws_of_a_stream() {
        let alone: Vec<u64> = {
            let mut a = stream(7, "a");
            (0..100).map(|_| a.next_u64()).collect()
        };
        let mut a = stream(7, "a");
        let mut b = stream(7, "b");
        let mut interleaved = Vec::new();
        for i in 0..100 {
            interleaved.push(a.next_u64());
            // An uneven number of draws of b, crossing ChaCha block boundaries.
            for _ in 0..(i % 7) {
                b.next_u64();
            }
            let _: f64 = b.random();
        }
        assert_eq!(interleaved, alone);
    }

    #[test]
    fn stream_is_chacha8_with_the_documented_key_and_stream_id() {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&7u64.to_le_bytes());
        let mut by_hand = rand_chacha::ChaCha8Rng::from_seed(key);
        by_hand.set_stream(0x4fff_eedc_9b58_31a9); // fnv1a64(SPOT), computed independently.
        let mut s = stream(7, SPOT);
        assert_eq!(s.get_seed(), key);
        assert_eq!(s.get_stream(), 0x4fff_eedc_9b58_31a9);
        for _ in 0..40 {
            assert_eq!(s.next_u64(), by_hand.next_u64());
        }
    }

    #[test]
    fn stream_matches_an_independent_chacha8_implementation() {
        // Computed by a separate Python implementation of the ChaCha block function (RFC 8439
        // §2.3 with 8 rounds, djb's layout: 64-bit block counter in words 12-13, 64-bit nonce in
        // words 14-15), itself checked against the all-zero-key ChaCha8 keystream of
        // draft-strombergson-chacha-test-vectors (TC1: 3e00ef2f895f40d6...). Each u64 is two
        // little-endian u32 words, low word first. Draws 8 and 9 cross into the second block.
        let mut s = stream(7, SPOT);
        let draws: Vec<u64> = (0..10).map(|_| s.next_u64()).collect();
        assert_eq!(
            draws[..3],
            [
                0xc47c_b1f0_fbe4_e00b,
                0x2646_a1b0_91a3_640c,
                0x19a3_9b14_6d2d_642c
            ]
        );
        assert_eq!(draws[8..], [0x1aec_032a_ca89_3e7d, 0xb835_9900_827c_d8e2]);
    }

    #[test]
    fn different_seeds_draw_differently() {
        let a: Vec<u64> = {
            let mut s = stream(1, SPOT);
            (0..4).map(|_| s.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut s = stream(2, SPOT);
            (0..4).map(|_| s.next_u64()).collect()
        };
        assert_ne!(a, b);
        let x: f64 = stream(1, SPOT).random();
        assert!((0.0..1.0).contains(&x), "{x}");
        assert_ne!(x, stream(2, SPOT).random::<f64>());
    }
}

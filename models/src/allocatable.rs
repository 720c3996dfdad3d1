//! Node allocatable: what the scheduler may hand to pods once the node's own components have
//! their share.
//!
//! `allocatable = capacity − kube/system reserved − hard eviction threshold` (Kubernetes
//! "Reserve Compute Resources for System Daemons", kubernetes.io/docs/tasks/administer-cluster/
//! reserve-compute-resources). The reservations are GKE's published tiers (cloud.google.com/
//! kubernetes-engine/docs/concepts/plan-node-sizes, "Node allocatable resources"):
//!
//! - CPU: 6 % of the first core, 1 % of the next core (up to 2), 0.5 % of the next 2 cores (up
//!   to 4), 0.25 % of every core above 4;
//! - memory: 255 MiB on machines with less than 1 GiB; otherwise 25 % of the first 4 GiB, 20 %
//!   of the next 4 GiB (up to 8), 10 % of the next 8 GiB (up to 16), 6 % of the next 112 GiB (up
//!   to 128), 2 % of everything above 128 GiB;
//! - eviction threshold: 100 MiB of memory.
//!
//! EKS's AMI reserves memory by pod density instead (`11 × maxPods + 255 MiB`); its CPU tiers are
//! the same as GKE's. clustersim applies the GKE tiers to every provider, a documented
//! approximation, so that two providers with the same machine shape pack the same pods.
//!
//! A pool may replace the tiers ([`Reservation`]) where its platform sets the usable share
//! itself: Dataproc's YARN NodeManager on an `n2-standard-4` offers about 3 vCPU and 14 GB of
//! its 4 vCPU / 16 GB, and a Kubernetes node's `--kube-reserved`/`--system-reserved` may be set
//! to anything; the allocatable is then what the pool says ("allocatable = capacity − reserved",
//! the same formula with the pool's own reservations).

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// The hard eviction threshold GKE sets: `memory.available < 100Mi`.
pub const EVICTION_THRESHOLD_BYTES: u64 = 100 * MIB;

/// Reserved CPU in millicores for a node of `capacity_millis`, by GKE's tiers.
/// Works in millicore × 10 000 so every tier percentage is an exact integer.
pub fn reserved_cpu_millis(capacity_millis: u64) -> u64 {
    // (upper bound of the tier in millicores, reserved fraction in basis points)
    const TIERS: [(u64, u64); 4] = [(1000, 600), (2000, 100), (4000, 50), (u64::MAX, 25)];
    tiered(capacity_millis, &TIERS).div_ceil(10_000)
}

/// Reserved memory in bytes for a node of `capacity_bytes`, by GKE's tiers (eviction
/// threshold not included).
pub fn reserved_memory_bytes(capacity_bytes: u64) -> u64 {
    if capacity_bytes < GIB {
        return 255 * MIB;
    }
    const TIERS: [(u64, u64); 5] = [
        (4 * GIB, 2500),
        (8 * GIB, 2000),
        (16 * GIB, 1000),
        (128 * GIB, 600),
        (u64::MAX, 200),
    ];
    tiered(capacity_bytes, &TIERS).div_ceil(10_000)
}

/// Σ over tiers of (the part of `amount` inside the tier) × basis points.
fn tiered(amount: u64, tiers: &[(u64, u64)]) -> u64 {
    let mut lower = 0;
    let mut total: u128 = 0;
    for &(upper, basis_points) in tiers {
        if amount <= lower {
            break;
        }
        let inside = amount.min(upper) - lower;
        total += u128::from(inside) * u128::from(basis_points);
        lower = upper;
    }
    u64::try_from(total).unwrap_or(u64::MAX)
}

/// Allocatable (cpu millicores, memory bytes) of a node with this capacity.
pub fn allocatable(capacity_cpu_millis: u64, capacity_memory_bytes: u64) -> (u64, u64) {
    let cpu = capacity_cpu_millis.saturating_sub(reserved_cpu_millis(capacity_cpu_millis));
    let memory = capacity_memory_bytes
        .saturating_sub(reserved_memory_bytes(capacity_memory_bytes))
        .saturating_sub(EVICTION_THRESHOLD_BYTES);
    (cpu, memory)
}

/// How a pool's nodes reserve part of their capacity for the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reservation {
    /// GKE's published tiers plus the 100 MiB eviction threshold (the default).
    #[default]
    GkeTiers,
    /// The allocatable itself, as the platform states it (cpu millicores, memory bytes).
    Allocatable { cpu_millis: u64, memory_bytes: u64 },
    /// Everything reserved (system, kube, eviction threshold together): allocatable is
    /// capacity minus these.
    Reserved { cpu_millis: u64, memory_bytes: u64 },
}

impl Reservation {
    /// Allocatable (cpu millicores, memory bytes) of a node with this capacity.
    pub fn allocatable(self, capacity_cpu_millis: u64, capacity_memory_bytes: u64) -> (u64, u64) {
        match self {
            Reservation::GkeTiers => allocatable(capacity_cpu_millis, capacity_memory_bytes),
            Reservation::Allocatable {
                cpu_millis,
                memory_bytes,
            } => (
                cpu_millis.min(capacity_cpu_millis),
                memory_bytes.min(capacity_memory_bytes),
            ),
            Reservation::Reserved {
                cpu_millis,
                memory_bytes,
            } => (
                capacity_cpu_millis.saturating_sub(cpu_millis),
                capacity_memory_bytes.saturating_sub(memory_bytes),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_tiers_match_the_published_examples() {
        // 1 core: 6 % = 60m. 2 cores: 60 + 10 = 70m. 4 cores: 70 + 2 × 5 = 80m.
        assert_eq!(reserved_cpu_millis(1000), 60);
        assert_eq!(reserved_cpu_millis(2000), 70);
        assert_eq!(reserved_cpu_millis(4000), 80);
        // 8 cores: 80 + 4 × 2.5 = 90m. 32 cores: 80 + 28 × 2.5 = 150m.
        assert_eq!(reserved_cpu_millis(8000), 90);
        assert_eq!(reserved_cpu_millis(32_000), 150);
    }

    #[test]
    fn memory_tiers_match_a_hand_computation() {
        // 32 GiB: 0.25 × 4 + 0.20 × 4 + 0.10 × 8 + 0.06 × 16 = 1 + 0.8 + 0.8 + 0.96 = 3.56 GiB.
        let expected = (3.56 * GIB as f64).ceil() as u64;
        assert_eq!(reserved_memory_bytes(32 * GIB), expected);
        // 16 GiB: 1 + 0.8 + 0.8 = 2.6 GiB.
        assert_eq!(
            reserved_memory_bytes(16 * GIB),
            (2.6 * GIB as f64).ceil() as u64
        );
        // 256 GiB: 3.56 + 0.06 × 96 + 0.02 × 128 = 3.56 + 5.76 + 2.56 = 11.88 GiB.
        assert_eq!(
            reserved_memory_bytes(256 * GIB),
            (11.88 * GIB as f64).ceil() as u64
        );
        // Below 1 GiB a flat 255 MiB.
        assert_eq!(reserved_memory_bytes(614 * MIB), 255 * MIB);
    }

    #[test]
    fn allocatable_of_an_n2_standard_8() {
        // 8 vCPU, 32 GiB: 8000 − 90 = 7910m; 32 GiB − 3.56 GiB − 100 MiB.
        let (cpu, memory) = allocatable(8000, 32 * GIB);
        assert_eq!(cpu, 7910);
        assert_eq!(
            memory,
            32 * GIB - (3.56 * GIB as f64).ceil() as u64 - 100 * MIB
        );
    }

    #[test]
    fn a_pool_may_state_its_own_allocatable_or_reservations() {
        // Dataproc-like n2-standard-4 worker: 4 vCPU / 16 GiB, 3 vCPU / 14 GiB usable.
        let stated = Reservation::Allocatable {
            cpu_millis: 3000,
            memory_bytes: 14 * GIB,
        };
        assert_eq!(stated.allocatable(4000, 16 * GIB), (3000, 14 * GIB));
        // The same by reservations: 1 vCPU and 2 GiB held back.
        let reserved = Reservation::Reserved {
            cpu_millis: 1000,
            memory_bytes: 2 * GIB,
        };
        assert_eq!(reserved.allocatable(4000, 16 * GIB), (3000, 14 * GIB));
        // The tiers: 4000 − 80 = 3920m; 16 GiB − 2.6 GiB − 100 MiB, about 13.3 GiB, so a
        // 14 GiB pod never fits there.
        let (cpu, memory) = Reservation::GkeTiers.allocatable(4000, 16 * GIB);
        assert_eq!(cpu, 3920);
        assert!(memory < 14 * GIB);
    }
}

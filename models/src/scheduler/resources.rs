//! NodeResourcesFit (filter and its three scoring strategies) and NodeResourcesBalancedAllocation,
//! for the two resources the simulator models: cpu and memory.
//!
//! Upstream (`kubernetes/kubernetes`, `pkg/scheduler/...`):
//! - `framework/plugins/noderesources/fit.go` (`903b1f7e2884a152477f870ece3460be3d5025d1`):
//!   `fitsRequest`, the filter;
//! - `framework/plugins/noderesources/least_allocated.go` (`05c351a9037bd79bf88c56171a951c3097b658da`,
//!   the version the shared cases cite) and `most_allocated.go`
//!   (`9d3a8c1df036fb9dcf74fe4c7598998c4f30ad88`, the current slice-based form that skips a
//!   resource whose allocatable is 0; least_allocated has the same shape in current sources);
//! - `framework/plugins/noderesources/requested_to_capacity_ratio.go`
//!   (`0a295a8d22ebdc7ad87bb7bf9f4e639b126515e4`) and `framework/plugins/helper/shape_score.go`
//!   (`2d58ef7868e6efda493e876aeaf72fb7dfea7c44`);
//! - `framework/plugins/noderesources/balanced_allocation.go`
//!   (`02d7708af661e2fb5a089a04c3944a54d2afcc0e`);
//! - `framework/plugins/noderesources/resource_allocation.go` (current DRA-era form; the index did
//!   not report its commit): LeastAllocated/MostAllocated/RequestedToCapacityRatio add the
//!   incoming pod's *non-zero* request to the node's *non-zero* requested sum, BalancedAllocation
//!   (`useRequested: true`) uses real requests on both sides, and a resource with allocatable 0 is
//!   left out of the score;
//! - `util/pod_resources.go` (`83a25d3bda06250040154997874bf88e73e04bb1`): the non-zero defaults.
//!
//! All scores are `i64` in `0..=MAX_NODE_SCORE`, computed with Go's integer division (products
//! are taken in `u128`, so they cannot overflow where Go's `int64` would not). Pod requests here
//! are the sum over regular containers; upstream also takes the max with each init container and
//! adds pod overhead, neither of which the simulator models.

use super::MAX_NODE_SCORE;

/// Milli-cpu a container without a cpu request counts as when scoring (`DefaultMilliCPURequest`).
/// Only scoring uses it, so that zero-request pods neither pile onto the emptiest node nor look
/// free to the pods scored after them; the filter uses real requests.
pub const DEFAULT_MILLI_CPU_REQUEST: u64 = 100;

/// Bytes a container without a memory request counts as when scoring (`DefaultMemoryRequest`,
/// `200 * 1024 * 1024`: "200 MB" in upstream's comment, 200 MiB in fact).
pub const DEFAULT_MEMORY_REQUEST_BYTES: u64 = 200 * 1024 * 1024;

/// An amount of cpu and memory: a request, a sum of requests, or an allocatable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuMemory {
    pub cpu_millis: u64,
    pub memory_bytes: u64,
}

impl CpuMemory {
    /// Component-wise sum (saturating: sums of real requests never come near `u64::MAX`).
    pub fn plus(self, other: CpuMemory) -> CpuMemory {
        CpuMemory {
            cpu_millis: self.cpu_millis.saturating_add(other.cpu_millis),
            memory_bytes: self.memory_bytes.saturating_add(other.memory_bytes),
        }
    }

    /// Component-wise difference, floored at 0.
    pub fn minus(self, other: CpuMemory) -> CpuMemory {
        CpuMemory {
            cpu_millis: self.cpu_millis.saturating_sub(other.cpu_millis),
            memory_bytes: self.memory_bytes.saturating_sub(other.memory_bytes),
        }
    }
}

/// One container's requests as written: `None` when the request is absent, which is not the same
/// as an explicit 0 (upstream: "Override if un-set, but not if explicitly set to zero").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContainerRequests {
    pub cpu_millis: Option<u64>,
    pub memory_bytes: Option<u64>,
}

/// The pod's real requests: the sum over its containers, an absent request counting 0. The
/// filter and BalancedAllocation use these.
pub fn pod_requests(containers: &[ContainerRequests]) -> CpuMemory {
    containers.iter().fold(CpuMemory::default(), |sum, c| {
        sum.plus(CpuMemory {
            cpu_millis: c.cpu_millis.unwrap_or(0),
            memory_bytes: c.memory_bytes.unwrap_or(0),
        })
    })
}

/// The pod's non-zero requests: the sum over its containers, an absent request counting
/// [`DEFAULT_MILLI_CPU_REQUEST`] / [`DEFAULT_MEMORY_REQUEST_BYTES`] per container (a pod with no
/// containers requests 0). LeastAllocated, MostAllocated and RequestedToCapacityRatio use these.
pub fn pod_non_zero_requests(containers: &[ContainerRequests]) -> CpuMemory {
    containers.iter().fold(CpuMemory::default(), |sum, c| {
        sum.plus(CpuMemory {
            cpu_millis: c.cpu_millis.unwrap_or(DEFAULT_MILLI_CPU_REQUEST),
            memory_bytes: c.memory_bytes.unwrap_or(DEFAULT_MEMORY_REQUEST_BYTES),
        })
    })
}

/// What the scheduler's `NodeInfo` knows about one node's resources.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeAllocation {
    pub allocatable: CpuMemory,
    /// `status.allocatable.pods` (kubelet `--max-pods`).
    pub allocatable_pods: u32,
    /// Sum of [`pod_requests`] of the pods on the node (`NodeInfo.Requested`).
    pub requested: CpuMemory,
    /// Sum of [`pod_non_zero_requests`] of the pods on the node (`NodeInfo.NonZeroRequested`).
    pub requested_non_zero: CpuMemory,
    /// Number of pods on the node.
    pub pod_count: u32,
}

/// Which resources a pod does not fit on a node for: upstream's `InsufficientResource` reasons
/// ("Too many pods", "Insufficient cpu", "Insufficient memory"), all of them, not just the first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Insufficient {
    pub pods: bool,
    pub cpu: bool,
    pub memory: bool,
}

impl Insufficient {
    /// True when nothing is insufficient: the pod passes the filter.
    pub fn fits(self) -> bool {
        !(self.pods || self.cpu || self.memory)
    }
}

/// The NodeResourcesFit filter (`fitsRequest`): one more pod must fit under `allocatable_pods`,
/// and each resource the pod requests (real requests, a request of 0 is never checked) must fit
/// in `allocatable - requested`. A pod requesting nothing is only checked against the pod count.
pub fn fit(pod_requests: CpuMemory, node: &NodeAllocation) -> Insufficient {
    let pods = u64::from(node.pod_count) + 1 > u64::from(node.allocatable_pods);
    // Go compares against `allocatable - requested`, which may be negative on an overcommitted
    // node; a floor at 0 gives the same answer because only positive requests are compared.
    let free = node.allocatable.minus(node.requested);
    Insufficient {
        pods,
        cpu: pod_requests.cpu_millis > 0 && pod_requests.cpu_millis > free.cpu_millis,
        memory: pod_requests.memory_bytes > 0 && pod_requests.memory_bytes > free.memory_bytes,
    }
}

/// Per-resource weights of the NodeResourcesFit scoring strategies (`scoringStrategy.resources`;
/// upstream validates each weight to `1..=100`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceWeights {
    pub cpu: i64,
    pub memory: i64,
}

impl ResourceWeights {
    /// The default `scoringStrategy.resources`: cpu 1, memory 1.
    pub const DEFAULT: ResourceWeights = ResourceWeights { cpu: 1, memory: 1 };
}

/// `leastRequestedScore`: the unused share of one resource, `(capacity - requested) * 100 /
/// capacity`; 0 when `capacity` is 0 or `requested > capacity`.
pub fn least_requested_score(requested: u64, capacity: u64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    scaled(capacity - requested, capacity)
}

/// `mostRequestedScore`: the used share of one resource, `requested * 100 / capacity` with
/// `requested` capped at `capacity` (non-zero defaults can push it above); 0 when `capacity` is 0.
pub fn most_requested_score(requested: u64, capacity: u64) -> i64 {
    if capacity == 0 {
        return 0;
    }
    scaled(requested.min(capacity), capacity)
}

/// `part * MAX_NODE_SCORE / whole` for `part <= whole`, `whole > 0`, with integer division.
fn scaled(part: u64, whole: u64) -> i64 {
    let score = u128::from(part) * MAX_NODE_SCORE as u128 / u128::from(whole);
    // part <= whole, so score <= MAX_NODE_SCORE.
    score as i64
}

/// The `(requested, allocatable, weight)` triples the Fit strategies score: the node's non-zero
/// requested sum plus the pod's non-zero request, for cpu then memory.
fn fit_strategy_inputs(
    node: &NodeAllocation,
    pod_non_zero_requests: CpuMemory,
    weights: ResourceWeights,
) -> [(u64, u64, i64); 2] {
    let requested = node.requested_non_zero.plus(pod_non_zero_requests);
    [
        (
            requested.cpu_millis,
            node.allocatable.cpu_millis,
            weights.cpu,
        ),
        (
            requested.memory_bytes,
            node.allocatable.memory_bytes,
            weights.memory,
        ),
    ]
}

/// The weighted mean shared by LeastAllocated and MostAllocated: resources with allocatable 0 are
/// left out, then `Σ score_r * w_r / Σ w_r` with integer division (0 when no resource is left).
fn weighted_integer_mean(inputs: [(u64, u64, i64); 2], score: fn(u64, u64) -> i64) -> i64 {
    let (mut node_score, mut weight_sum) = (0_i64, 0_i64);
    for (requested, allocatable, weight) in inputs {
        if allocatable == 0 {
            continue;
        }
        node_score += score(requested, allocatable) * weight;
        weight_sum += weight;
    }
    if weight_sum == 0 {
        return 0;
    }
    node_score / weight_sum
}

/// NodeResourcesFit's default score, LeastAllocated (`leastResourceScorer`): favours the node
/// with the most room left after the pod, `Σ w_r * least_requested_score_r / Σ w_r`.
/// `pod_non_zero_requests` comes from [`pod_non_zero_requests`].
pub fn least_allocated_score(
    node: &NodeAllocation,
    pod_non_zero_requests: CpuMemory,
    weights: ResourceWeights,
) -> i64 {
    weighted_integer_mean(
        fit_strategy_inputs(node, pod_non_zero_requests, weights),
        least_requested_score,
    )
}

/// NodeResourcesFit's MostAllocated score (`mostResourceScorer`), the bin-packing mirror of
/// [`least_allocated_score`].
pub fn most_allocated_score(
    node: &NodeAllocation,
    pod_non_zero_requests: CpuMemory,
    weights: ResourceWeights,
) -> i64 {
    weighted_integer_mean(
        fit_strategy_inputs(node, pod_non_zero_requests, weights),
        most_requested_score,
    )
}

/// One point of a RequestedToCapacityRatio shape, in the units the configuration uses:
/// utilization in percent (`0..=100`) and score in `0..=10` (`MaxCustomPriorityScore`). Upstream
/// validation requires at least one point and strictly increasing utilizations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShapePoint {
    pub utilization_percent: i64,
    pub score: i64,
}

/// `MaxNodeScore / MaxCustomPriorityScore`: shape scores are scaled by this *before*
/// interpolating, so the interpolation's integer division works on the 0..=100 scale.
const SHAPE_SCORE_SCALE: i64 = MAX_NODE_SCORE / 10;

/// `BuildBrokenLinearFunction` over `shape` (scores scaled to 0..=100): the first point's score
/// at or below its utilization, the last point's above the last, linear in between with Go's
/// truncating integer division. An empty shape (which upstream validation rejects) scores 0.
pub fn broken_linear_score(shape: &[ShapePoint], utilization_percent: i64) -> i64 {
    for (i, point) in shape.iter().enumerate() {
        if utilization_percent <= point.utilization_percent {
            if i == 0 {
                return point.score * SHAPE_SCORE_SCALE;
            }
            let previous = shape[i - 1];
            let (score_0, score_1) = (
                previous.score * SHAPE_SCORE_SCALE,
                point.score * SHAPE_SCORE_SCALE,
            );
            return score_0
                + (score_1 - score_0) * (utilization_percent - previous.utilization_percent)
                    / (point.utilization_percent - previous.utilization_percent);
        }
    }
    shape.last().map_or(0, |p| p.score * SHAPE_SCORE_SCALE)
}

/// NodeResourcesFit's RequestedToCapacityRatio score: each resource's utilization after the pod,
/// `requested * 100 / allocatable` (100 when requested exceeds allocatable), mapped through the
/// shape; resources with allocatable 0 *and resources scoring 0* are left out of the mean, which
/// is then rounded half away from zero (`math.Round`) rather than truncated.
pub fn requested_to_capacity_ratio_score(
    node: &NodeAllocation,
    pod_non_zero_requests: CpuMemory,
    weights: ResourceWeights,
    shape: &[ShapePoint],
) -> i64 {
    let (mut node_score, mut weight_sum) = (0_i64, 0_i64);
    for (requested, allocatable, weight) in
        fit_strategy_inputs(node, pod_non_zero_requests, weights)
    {
        if allocatable == 0 {
            continue;
        }
        let utilization = if requested > allocatable {
            MAX_NODE_SCORE
        } else {
            scaled(requested, allocatable)
        };
        let resource_score = broken_linear_score(shape, utilization);
        if resource_score > 0 {
            node_score += resource_score * weight;
            weight_sum += weight;
        }
    }
    if weight_sum == 0 {
        return 0;
    }
    (node_score as f64 / weight_sum as f64).round() as i64
}

/// NodeResourcesBalancedAllocation (`balancedResourceScorer`): favours nodes whose cpu and memory
/// fractions after the pod are close, `int((1 - |f_cpu - f_mem| / 2) * 100)` with each fraction
/// `requested / allocatable` capped at 1, on real requests. A resource with allocatable 0 is left
/// out (one fraction left scores 100). Returns `None` for a pod that requests neither resource:
/// upstream's PreScore skips the plugin for best-effort pods (kubernetes#129138), so it adds
/// nothing to any node's total.
pub fn balanced_allocation_score(node: &NodeAllocation, pod_requests: CpuMemory) -> Option<i64> {
    if pod_requests == CpuMemory::default() {
        return None;
    }
    let requested = node.requested.plus(pod_requests);
    let fraction = |requested: u64, allocatable: u64| {
        (allocatable != 0).then(|| (requested as f64 / allocatable as f64).min(1.0))
    };
    let std = match (
        fraction(requested.cpu_millis, node.allocatable.cpu_millis),
        fraction(requested.memory_bytes, node.allocatable.memory_bytes),
    ) {
        // Upstream's two-resource shortcut, in the same operation order: |(f1 - f2) / 2|.
        (Some(cpu), Some(memory)) => ((cpu - memory) / 2.0).abs(),
        _ => 0.0,
    };
    // Go's int64(float) truncates toward zero, as `as` does.
    Some(((1.0 - std) * MAX_NODE_SCORE as f64) as i64)
}

/// NodeResourcesFit's scoring strategy (`scoringStrategy.type` in the scheduler config).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum ScoringStrategy {
    /// Prefer the emptiest nodes: spreads load (the upstream default).
    #[default]
    LeastAllocated,
    /// Prefer the fullest nodes that fit: bin-packs, leaving whole nodes free to remove.
    MostAllocated,
    /// Score each resource's utilization after the pod through a piecewise-linear `shape`
    /// (utilization 0–100 % → score 0–10), e.g. `[(utilization_percent: 0, score: 0),
    /// (utilization_percent: 100, score: 10)]` to bin-pack.
    RequestedToCapacityRatio { shape: Vec<ShapePoint> },
}

impl ScoringStrategy {
    /// Whether the best nodes are the roomiest (else the fullest that fit): the direction in
    /// which candidates are taken from the free-capacity index. A shape that scores high
    /// utilization at least as well as low utilization packs.
    pub fn prefers_room(&self) -> bool {
        match self {
            ScoringStrategy::LeastAllocated => true,
            ScoringStrategy::MostAllocated => false,
            ScoringStrategy::RequestedToCapacityRatio { shape } => {
                match (shape.first(), shape.last()) {
                    (Some(first), Some(last)) => last.score < first.score,
                    _ => true,
                }
            }
        }
    }

    /// Upstream's validation of a shape (`ValidateRequestedToCapacityRatioArgs`): at least one
    /// point, utilizations strictly increasing within 0..=100, scores within 0..=10. Returns the
    /// index of the offending point and what was expected.
    pub fn validate(&self) -> Result<(), (usize, &'static str)> {
        let ScoringStrategy::RequestedToCapacityRatio { shape } = self else {
            return Ok(());
        };
        if shape.is_empty() {
            return Err((0, "at least one point"));
        }
        for (i, p) in shape.iter().enumerate() {
            if !(0..=100).contains(&p.utilization_percent) {
                return Err((i, "a utilization_percent between 0 and 100"));
            }
            if !(0..=10).contains(&p.score) {
                return Err((i, "a score between 0 and 10"));
            }
            if i > 0 && p.utilization_percent <= shape[i - 1].utilization_percent {
                return Err((i, "utilization_percent increasing from point to point"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(allocatable: (u64, u64), requested: (u64, u64)) -> NodeAllocation {
        let requested = CpuMemory {
            cpu_millis: requested.0,
            memory_bytes: requested.1,
        };
        NodeAllocation {
            allocatable: CpuMemory {
                cpu_millis: allocatable.0,
                memory_bytes: allocatable.1,
            },
            allocatable_pods: 110,
            requested,
            requested_non_zero: requested,
            pod_count: 0,
        }
    }

    fn req(cpu_millis: u64, memory_bytes: u64) -> CpuMemory {
        CpuMemory {
            cpu_millis,
            memory_bytes,
        }
    }

    #[test]
    fn non_zero_defaults_apply_per_container_to_absent_requests_only() {
        let containers = [
            ContainerRequests {
                cpu_millis: None,
                memory_bytes: Some(0),
            },
            ContainerRequests {
                cpu_millis: Some(250),
                memory_bytes: None,
            },
        ];
        assert_eq!(pod_requests(&containers), req(250, 0));
        assert_eq!(
            pod_non_zero_requests(&containers),
            req(100 + 250, 200 * 1024 * 1024)
        );
        // No containers: nothing to default (upstream's `st.MakePod().Obj()` requests 0).
        assert_eq!(pod_non_zero_requests(&[]), req(0, 0));
    }

    #[test]
    fn fit_reports_every_insufficient_resource() {
        let mut n = node((4000, 8000), (3000, 7000));
        n.allocatable_pods = 3;
        n.pod_count = 2;
        assert!(fit(req(1000, 1000), &n).fits());
        assert_eq!(
            fit(req(1001, 1001), &n),
            Insufficient {
                pods: false,
                cpu: true,
                memory: true
            }
        );
        n.pod_count = 3;
        assert_eq!(
            fit(req(0, 0), &n),
            Insufficient {
                pods: true,
                cpu: false,
                memory: false
            }
        );
    }

    #[test]
    fn fit_never_checks_a_zero_request_even_when_overcommitted() {
        let n = node((1000, 1000), (1500, 500));
        assert!(fit(req(0, 500), &n).fits());
        assert!(fit(req(1, 0), &n).cpu);
    }

    // The next three are rows of upstream's TestLeastAllocatedScoringStrategy
    // (least_allocated_test.go @ 008b3652959ca58af8be3fb5b6ecfe9ae7638282) that the shared case
    // file does not carry; the incoming pod there has no containers, so its requests are 0.
    #[test]
    fn least_allocated_no_resources_requested_pods_scheduled_with_resources() {
        let w = ResourceWeights::DEFAULT;
        // cpu (10000-6000)*100/10000 = 40, memory 100 → 70; memory 75 → (40+75)/2 = 57.
        assert_eq!(
            least_allocated_score(&node((10000, 20000), (6000, 0)), req(0, 0), w),
            70
        );
        assert_eq!(
            least_allocated_score(&node((10000, 20000), (6000, 5000)), req(0, 0), w),
            57
        );
    }

    #[test]
    fn least_allocated_requested_beyond_capacity_scores_zero_for_that_resource() {
        let w = ResourceWeights::DEFAULT;
        // cpu 6000 > 4000 → 0; memory 100 → 50, memory 50 → 25.
        assert_eq!(
            least_allocated_score(&node((4000, 10000), (3000, 0)), req(3000, 0), w),
            50
        );
        assert_eq!(
            least_allocated_score(&node((4000, 10000), (3000, 5000)), req(3000, 0), w),
            25
        );
    }

    #[test]
    fn least_allocated_zero_allocatable_scores_zero() {
        let n = node((0, 0), (3000, 5000));
        assert_eq!(
            least_allocated_score(&n, req(0, 0), ResourceWeights::DEFAULT),
            0
        );
    }

    #[test]
    fn least_allocated_leaves_out_a_resource_with_zero_allocatable() {
        // Only cpu counts: (4000-1000)*100/4000 = 75, not (75 + 0)/2.
        let n = node((4000, 0), (1000, 0));
        assert_eq!(
            least_allocated_score(&n, req(0, 0), ResourceWeights::DEFAULT),
            75
        );
    }

    #[test]
    fn least_allocated_uses_the_non_zero_requested_sum() {
        let mut n = node((1000, 1000), (0, 0));
        n.requested_non_zero = req(500, 500);
        assert_eq!(
            least_allocated_score(&n, req(0, 0), ResourceWeights::DEFAULT),
            50
        );
    }

    #[test]
    fn most_allocated_caps_requested_at_capacity() {
        let w = ResourceWeights { cpu: 1, memory: 3 };
        // cpu 3000*100/4000 = 75, memory capped → 100: (75 + 300)/4 = 93.
        assert_eq!(
            most_allocated_score(&node((4000, 1000), (2000, 900)), req(1000, 200), w),
            93
        );
        assert_eq!(most_requested_score(1, 0), 0);
    }

    #[test]
    fn broken_linear_interpolates_on_the_scaled_scores() {
        let shape = [
            ShapePoint {
                utilization_percent: 10,
                score: 0,
            },
            ShapePoint {
                utilization_percent: 40,
                score: 1,
            },
            ShapePoint {
                utilization_percent: 100,
                score: 10,
            },
        ];
        assert_eq!(broken_linear_score(&shape, 0), 0);
        // 0 + (10 - 0) * (25 - 10) / 30 = 5 (unscaled interpolation would give 0, then 0).
        assert_eq!(broken_linear_score(&shape, 25), 5);
        // 10 + 90 * (50 - 40) / 60 = 25.
        assert_eq!(broken_linear_score(&shape, 50), 25);
        assert_eq!(broken_linear_score(&shape, 100), 100);
        assert_eq!(broken_linear_score(&shape, 101), 100);
        // A decreasing shape truncates toward zero: 100 + (-100) * 1 / 3 = 67.
        let down = [
            ShapePoint {
                utilization_percent: 0,
                score: 10,
            },
            ShapePoint {
                utilization_percent: 3,
                score: 0,
            },
        ];
        assert_eq!(broken_linear_score(&down, 1), 67);
    }

    #[test]
    fn requested_to_capacity_ratio_skips_zero_scores_and_rounds() {
        let shape = [
            ShapePoint {
                utilization_percent: 0,
                score: 0,
            },
            ShapePoint {
                utilization_percent: 100,
                score: 10,
            },
        ];
        // cpu 50% → 50, memory 0% → 0 (left out): 50, not 25.
        let n = node((4000, 1000), (1000, 0));
        assert_eq!(
            requested_to_capacity_ratio_score(&n, req(1000, 0), ResourceWeights::DEFAULT, &shape),
            50
        );
        // cpu 50 (w 1), memory 33 (w 2): (50 + 66) / 3 = 38.67 → 39 (truncation would give 38).
        let n = node((4000, 3000), (2000, 1000));
        assert_eq!(
            requested_to_capacity_ratio_score(
                &n,
                req(0, 0),
                ResourceWeights { cpu: 1, memory: 2 },
                &shape
            ),
            39
        );
        // Over capacity counts as 100% utilization.
        let n = node((1000, 0), (2000, 0));
        assert_eq!(
            requested_to_capacity_ratio_score(&n, req(0, 0), ResourceWeights::DEFAULT, &shape),
            100
        );
    }

    #[test]
    fn balanced_allocation_matches_hand_computation() {
        // cpu 3000/4000 = 0.75, memory 5000/10000 = 0.5: (1 - 0.125) * 100 = 87.5 → 87.
        let n = node((4000, 10000), (0, 0));
        assert_eq!(balanced_allocation_score(&n, req(3000, 5000)), Some(87));
        // Fractions cap at 1: cpu 2.0 → 1, memory 0 → std 0.5 → 50.
        let n = node((1000, 1000), (1000, 0));
        assert_eq!(balanced_allocation_score(&n, req(1000, 0)), Some(50));
        // One resource left (memory allocatable 0): std 0 → 100.
        let n = node((1000, 0), (0, 0));
        assert_eq!(balanced_allocation_score(&n, req(300, 0)), Some(100));
    }

    #[test]
    fn balanced_allocation_skips_best_effort_pods() {
        let n = node((4000, 10000), (1000, 1000));
        assert_eq!(balanced_allocation_score(&n, req(0, 0)), None);
    }

    #[test]
    fn balanced_allocation_uses_real_not_non_zero_requests() {
        let mut n = node((1000, 1000), (500, 500));
        n.requested_non_zero = req(900, 100);
        assert_eq!(balanced_allocation_score(&n, req(100, 100)), Some(100));
    }
}

//! Node autoscaling decisions on hand-computed cases (issue 8): the Cluster Autoscaler's
//! expanders, utilization threshold, unneeded timer, drainability and caps; Karpenter's
//! instance choice, batching, consolidation and budgets.

use clustersim_models::api::CapacityType;
use clustersim_models::api::SurgeClock;
use clustersim_models::api::{
    ClusterView, KarpenterView, NodeGroupView, NodeView, PodGroup, RemovalBlockers, Shape,
    ViewNames,
};
use clustersim_models::autoscaler::cluster_autoscaler::expander::{self, Context};
use clustersim_models::autoscaler::cluster_autoscaler::notes::ScaleDownNotes;
use clustersim_models::autoscaler::cluster_autoscaler::scale_down::find_unneeded;
use clustersim_models::autoscaler::cluster_autoscaler::scale_up::{ScaleUpOption, estimate};
use clustersim_models::autoscaler::cluster_autoscaler::{Action, ClusterAutoscaler};
use clustersim_models::autoscaler::config::{
    Budget, ClusterAutoscalerConfig, Expander, KarpenterConfig, NodePoolSpec, PoolLimits,
    PriorityRule, Requirements,
};
use clustersim_models::autoscaler::karpenter::{Batcher, Karpenter, KarpenterAction};
use clustersim_models::catalog::{Catalog, Provider};
use sim::quantity::CpuMillis;
use sim::time::{SimDuration, SimTime};

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

fn secs(s: u64) -> SimTime {
    SimTime::from_secs(s)
}

fn pods(cpu_millis: u64, memory_bytes: u64, count: u32, fits: &[u32]) -> PodGroup {
    PodGroup {
        requests: Shape::new(cpu_millis, memory_bytes),
        count,
        priority: 0,
        fits: fits.into(),
    }
}

fn group(name: &str, cpu_millis: u64, memory_bytes: u64, price: f64, max: u32) -> NodeGroupView {
    NodeGroupView {
        name: name.to_owned(),
        capacity: Shape::new(cpu_millis, memory_bytes),
        allocatable: Shape::new(cpu_millis, memory_bytes),
        price_usd_per_hour: price,
        capacity_type: CapacityType::OnDemand,
        min_size: 0,
        max_size: max,
        target_size: 0,
        provisioning: Vec::new(),
    }
}

/// A node of `group` with `allocatable` and the given pods on it.
fn node(id: u32, group: u32, allocatable: Shape, on_it: Vec<PodGroup>) -> NodeView {
    let requested = on_it.iter().fold(Shape::default(), |acc, p| {
        acc.plus(p.requests.times(u64::from(p.count)))
    });
    NodeView {
        id,
        group,
        instance_type: 0,
        capacity_type: CapacityType::OnDemand,
        zone: 0,
        price_usd_per_hour: 0.1,
        capacity: allocatable,
        allocatable,
        requested,
        pod_count: on_it.iter().map(|p| p.count).sum(),
        pods: on_it,
        created: SimTime::ZERO,
        last_pod_change: SimTime::ZERO,
        ready: true,
        deleting: false,
        blockers: RemovalBlockers::default(),
    }
}

fn never_drawn() -> impl FnMut() -> u64 {
    || panic!("no random draw expected")
}

// ---------------------------------------------------------------- Cluster Autoscaler: scale-up

/// Three groups (allocatable = capacity):
/// pool-a 2 CPU / 4 GiB at 0.10 $/h with room for 2 nodes, pool-b 4 CPU / 8 GiB at 0.05 $/h,
/// pool-c 8 CPU / 32 GiB at 0.50 $/h. Pending: 6 × {1 CPU, 1 GiB} (any group) and
/// 1 × {6 CPU, 2 GiB} (only pool-c's template fits it).
///
/// Options (binpacking):
/// * pool-a: 2 pods per node, capped at 2 nodes → 2 nodes, 4 pods.
/// * pool-b: 4 pods per node → 2 nodes (4 + 2), 6 pods.
/// * pool-c: the big pod first (score 6/8 + 2/32 = 0.8125 > 1/8 + 1/32), leaving 2 CPU on
///   node 1 → 2 small pods there, 4 on node 2 → 2 nodes, 7 pods.
fn three_groups() -> ClusterView {
    ClusterView {
        node_groups: vec![
            group("pool-a", 2000, 4 * GIB, 0.10, 2),
            group("pool-b", 4000, 8 * GIB, 0.05, 10),
            group("pool-c", 8000, 32 * GIB, 0.50, 10),
        ],
        nodes: Vec::new(),
        pending: vec![
            pods(1000, GIB, 6, &[0, 1, 2]),
            pods(6000, 2 * GIB, 1, &[0, 1, 2]),
        ],
        rooms: Vec::new(),
    }
}

fn scale_up_with(expanders: Vec<Expander>, draw: &mut dyn FnMut() -> u64) -> (u32, u32) {
    let config = ClusterAutoscalerConfig {
        expanders,
        priorities: vec![
            PriorityRule {
                priority: 10,
                patterns: vec!["^pool-a$".to_owned()],
            },
            PriorityRule {
                priority: 1,
                patterns: vec![".*".to_owned()],
            },
        ],
        ..ClusterAutoscalerConfig::default()
    };
    config.validate().expect("valid");
    let mut ca = ClusterAutoscaler::new(config);
    let actions = ca.scan(SimTime::ZERO, &three_groups(), draw);
    match actions.as_slice() {
        [Action::ScaleUp { group, delta, .. }] => (*group, *delta),
        other => panic!("expected one scale-up, got {other:?}"),
    }
}

#[test]
fn least_waste_picks_pool_a() {
    // waste = unused cpu fraction + unused memory fraction of the new nodes' capacity:
    // a: (4000-4000)/4000 + (8-4)/8 = 0.5; b: (8000-6000)/8000 + (16-6)/16 = 0.875;
    // c: (16000-12000)/16000 + (64-8)/64 = 1.125 → pool-a, 2 nodes.
    assert_eq!(
        scale_up_with(vec![Expander::LeastWaste], &mut never_drawn()),
        (0, 2)
    );
    let view = three_groups();
    let cx = Context {
        groups: &view.node_groups,
        pending: &view.pending,
        priorities: &[],
        cluster_nodes: 0,
    };
    let c = ScaleUpOption {
        group: 2,
        node_count: 2,
        pods: vec![(0, 6), (1, 1)],
    };
    assert!((expander::waste(&c, &cx) - 1.125).abs() < 1e-12);
}

#[test]
fn most_pods_picks_pool_c() {
    // a schedules 4, b 6, c 7 → pool-c.
    assert_eq!(
        scale_up_with(vec![Expander::MostPods], &mut never_drawn()),
        (2, 2)
    );
}

#[test]
fn price_picks_pool_b() {
    // No nodes yet → preferred node 1 CPU. stab = 0.5×0.033174 + (500/1024)×0.004446
    // = 0.0187579. Pod prices: small 0.033174 + 0.004446 = 0.03762, big 6×0.033174 +
    // 2×0.004446 = 0.207936. Each option has n = 2: 1 − tanh(1/15) = 0.933432.
    // a: (0.20 + stab)/(4×0.03762 + stab) = 1.29261; unfitness 2 → 1.933432 → 2.499
    // b: (0.10 + stab)/(6×0.03762 + stab) = 0.48576; unfitness 4 → 3.800296 → 1.846
    // c: (1.00 + stab)/(0.22572 + 0.207936 + stab) = 2.25183; unfitness 8 → 7.534 → 16.97
    assert_eq!(
        scale_up_with(vec![Expander::Price], &mut never_drawn()),
        (1, 2)
    );
    let view = three_groups();
    let cx = Context {
        groups: &view.node_groups,
        pending: &view.pending,
        priorities: &[],
        cluster_nodes: 0,
    };
    let b = ScaleUpOption {
        group: 1,
        node_count: 2,
        pods: vec![(0, 6)],
    };
    assert!((expander::price_score(&b, &cx) - 1.8460).abs() < 1e-3);
}

#[test]
fn priority_picks_pool_a_and_random_uses_the_callers_draw() {
    // pool-a matches priority 10, the others only 1.
    assert_eq!(
        scale_up_with(vec![Expander::Priority], &mut never_drawn()),
        (0, 2)
    );
    // Options in group order [a, b, c]; draw 4 → 4 % 3 = 1 → pool-b.
    assert_eq!(scale_up_with(vec![Expander::Random], &mut || 4), (1, 2));
    assert_eq!(scale_up_with(vec![Expander::Random], &mut || 5), (2, 2));
}

#[test]
fn binpacking_estimate_is_first_fit_decreasing() {
    // Template 4 CPU / 16 GiB. 3 × 3 CPU first (score 0.75 + 1/16): one per node, 1 CPU left
    // on each, too little for a 1.5 CPU pod; then 10 × 1.5 CPU: 2 per new node → 5 nodes.
    // Total 3 + 5 = 8 nodes.
    let small = pods(1500, GIB, 10, &[0]);
    let big = pods(3000, GIB, 3, &[0]);
    let template = Shape::new(4000, 16 * GIB);
    let (nodes, scheduled) = estimate(&[(0, &small), (1, &big)], template, 1000);
    assert_eq!(nodes, 8);
    assert_eq!(scheduled, vec![(1, 3), (0, 10)]);
    // Capped at 4 nodes: the 3 big ones and one node of 2 small pods.
    let (nodes, scheduled) = estimate(&[(0, &small), (1, &big)], template, 4);
    assert_eq!(nodes, 4);
    assert_eq!(scheduled, vec![(1, 3), (0, 2)]);
}

#[test]
fn max_nodes_total_caps_the_scale_up() {
    // 10 pods each filling a node; the group has 3 nodes and room to 100, the cluster cap is
    // 5 → +2. At 5 nodes no scale-up at all.
    let mut view = ClusterView {
        node_groups: vec![group("pool", 1000, GIB, 0.1, 100)],
        nodes: Vec::new(),
        pending: vec![pods(1000, GIB, 10, &[0])],
        rooms: Vec::new(),
    };
    view.node_groups[0].target_size = 3;
    let config = ClusterAutoscalerConfig {
        max_nodes_total: 5,
        ..ClusterAutoscalerConfig::default()
    };
    let mut ca = ClusterAutoscaler::new(config.clone());
    let actions = ca.scan(SimTime::ZERO, &view, &mut never_drawn());
    assert!(
        matches!(
            actions.as_slice(),
            [Action::ScaleUp {
                group: 0,
                delta: 2,
                ..
            }]
        ),
        "{actions:?}"
    );
    view.node_groups[0].target_size = 5;
    let mut ca = ClusterAutoscaler::new(config);
    assert_eq!(ca.scan(SimTime::ZERO, &view, &mut never_drawn()), vec![]);
}

#[test]
fn upcoming_nodes_absorb_pending_pods_and_late_ones_are_cancelled() {
    // One node of 1 CPU provisioning since t=0 takes the one pending 1-CPU pod: no scale-up.
    let mut view = ClusterView {
        node_groups: vec![group("pool", 1000, GIB, 0.1, 10)],
        nodes: Vec::new(),
        pending: vec![pods(1000, GIB, 1, &[0])],
        rooms: Vec::new(),
    };
    view.node_groups[0].target_size = 1;
    view.node_groups[0].provisioning = vec![SimTime::ZERO];
    let mut ca = ClusterAutoscaler::new(ClusterAutoscalerConfig::default());
    assert_eq!(ca.scan(secs(60), &view, &mut never_drawn()), vec![]);
    // After 15 min + 10 s it is given up, and the group is backed off: no scale-up either.
    let actions = ca.scan(secs(910), &view, &mut never_drawn());
    assert!(
        matches!(
            actions.as_slice(),
            [Action::CancelProvisioning {
                group: 0,
                count: 1,
                ..
            }]
        ),
        "{actions:?}"
    );
}

// -------------------------------------------------------------- Cluster Autoscaler: scale-down

/// Two nodes of 1 CPU / 1 GiB: node 1 with one pod of `cpu_1`, node 2 with one of 510m.
fn two_nodes(cpu_1: u64, blockers: RemovalBlockers) -> ClusterView {
    let alloc = Shape::new(1000, GIB);
    let mut n1 = node(1, 0, alloc, vec![pods(cpu_1, 10 * MIB, 1, &[0])]);
    n1.blockers = blockers;
    let n2 = node(2, 0, alloc, vec![pods(510, 10 * MIB, 1, &[0])]);
    let mut g = group("pool", 1000, GIB, 0.1, 10);
    g.target_size = 2;
    ClusterView {
        node_groups: vec![g],
        nodes: vec![n1, n2],
        pending: Vec::new(),
        rooms: Vec::new(),
    }
}

#[test]
fn only_the_node_below_the_threshold_becomes_unneeded() {
    // Utilization = max(490/1000, 10 MiB/1 GiB) = 0.49 ≤ 0.5, and its pod fits on node 2
    // (490m free); node 2 at 0.51 > 0.5 is needed.
    let mut ca = ClusterAutoscaler::new(ClusterAutoscalerConfig::default());
    ca.scan(
        SimTime::ZERO,
        &two_nodes(490, RemovalBlockers::default()),
        &mut never_drawn(),
    );
    assert_eq!(ca.unneeded_since(1), Some(SimTime::ZERO));
    assert_eq!(ca.unneeded_since(2), None);
}

/// `count` nodes of 1 CPU, each with one 100m pod (0.1 utilization, all movable), and one
/// empty node.
fn light_nodes(count: u32) -> ClusterView {
    let alloc = Shape::new(1000, GIB);
    let mut nodes: Vec<NodeView> = (1..=count)
        .map(|id| node(id, 0, alloc, vec![pods(100, 10 * MIB, 1, &[0])]))
        .collect();
    nodes.push(node(count + 1, 0, alloc, Vec::new()));
    let mut g = group("pool", 1000, GIB, 0.1, 100);
    g.target_size = count + 1;
    ClusterView {
        node_groups: vec![g],
        nodes,
        pending: Vec::new(),
        rooms: Vec::new(),
    }
}

#[test]
fn at_most_the_non_empty_candidates_count_is_simulated_per_scan() {
    // 40 light nodes could all be drained onto each other in turn (each simulation moves one
    // 100m pod), but upstream's --scale-down-non-empty-candidates-count (30) stops at 30 drain
    // simulations; the empty node is always a candidate. With 0 (no limit) all of them are.
    let view = light_nodes(40);
    let unneeded = |limit: u32| {
        let config = ClusterAutoscalerConfig {
            scale_down_non_empty_candidates_count: limit,
            ..ClusterAutoscalerConfig::default()
        };
        let mut ca = ClusterAutoscaler::new(config);
        ca.scan(SimTime::ZERO, &view, &mut never_drawn());
        (1..=41)
            .filter(|&id| ca.unneeded_since(id).is_some())
            .count()
    };
    assert_eq!(
        ClusterAutoscalerConfig::default().scale_down_non_empty_candidates_count,
        30
    );
    assert_eq!(unneeded(30), 31);
    assert_eq!(unneeded(5), 6);
    // Unlimited: each drained node's pod lands on the next one (first fit in view order), and
    // the last light node has nowhere left to go: 39 light nodes and the empty one.
    assert_eq!(unneeded(0), 40);
}

/// The ids `find_unneeded` finds unneeded, and the ids it kept, for light (one 100m pod) and
/// empty 1-CPU nodes listed in the order of `order` (id, light), nodes 3 and 4 unneeded at the
/// previous scan, threshold 0.5, no cap.
fn unneeded_and_kept(order: [(u32, bool); 4]) -> (Vec<u32>, Vec<u32>) {
    let alloc = Shape::new(1000, GIB);
    let listed = |(id, light): (u32, bool)| {
        let on_it = if light {
            vec![pods(100, 10 * MIB, 1, &[0])]
        } else {
            Vec::new()
        };
        node(id, 0, alloc, on_it)
    };
    let view = ClusterView {
        node_groups: vec![group("pool", 1000, GIB, 0.1, 10)],
        nodes: order.into_iter().map(listed).collect(),
        pending: Vec::new(),
        rooms: Vec::new(),
    };
    let previously = [(3, SimTime::ZERO), (4, SimTime::ZERO)];
    let mut notes = ScaleDownNotes::default();
    let unneeded = find_unneeded(&view, 0.5, &previously, 0, &mut notes)
        .iter()
        .map(|u| view.nodes[u.index].id)
        .collect();
    (unneeded, notes.kept.iter().map(|k| k.0).collect())
}

#[test]
fn candidates_are_simulated_empty_first_then_previously_unneeded_then_in_view_order() {
    // View order: 1 light, 2 empty, 3 light and unneeded at the previous scan, 4 empty and
    // unneeded before. Upstream's order (empty first, then `PreviouslyUnneeded`): 4, 2, 3, 1.
    // The empty nodes go as they are; node 3's pod then lands on node 1, the first node left
    // (2 and 4 are gone from the snapshot); node 1's pods have nowhere left to go.
    assert_eq!(
        unneeded_and_kept([(1, true), (2, false), (3, true), (4, false)]),
        (vec![4, 2, 3], vec![1])
    );
}

#[test]
fn a_view_out_of_id_order_is_simulated_in_the_same_upstream_order() {
    // The same nodes listed 3, 4, 1, 2 (a view lists by ascending id; a view that does not
    // must still find the previously unneeded ones): empty first, then previously unneeded,
    // then view order: 4, 2, 3, 1. Node 3's pod lands on node 1, the first node left after
    // it; node 1's pods have nowhere to go.
    assert_eq!(
        unneeded_and_kept([(3, true), (4, false), (1, true), (2, false)]),
        (vec![4, 2, 3], vec![1])
    );
}

#[test]
fn the_unneeded_timer_resets_when_a_pod_lands() {
    let mut ca = ClusterAutoscaler::new(ClusterAutoscalerConfig::default());
    let mut scan = |t: u64, cpu: u64| {
        ca.scan(
            secs(t),
            &two_nodes(cpu, RemovalBlockers::default()),
            &mut never_drawn(),
        )
    };
    assert_eq!(scan(0, 490), vec![]);
    // A 100m pod lands at t=10: 0.59 > 0.5, needed again; it leaves at t=20: unneeded since 20.
    assert_eq!(scan(10, 590), vec![]);
    assert_eq!(scan(20, 490), vec![]);
    // Removable once since + 10 min is strictly before now: not at 620, at 630.
    assert_eq!(scan(620, 490), vec![]);
    let actions = scan(630, 490);
    assert!(
        matches!(actions.as_slice(), [Action::DeleteNodes { nodes, .. }] if nodes == &vec![1]),
        "{actions:?}"
    );
}

#[test]
fn a_pdb_blocks_the_scale_down() {
    let blocked = RemovalBlockers {
        pdb_violated: true,
        ..RemovalBlockers::default()
    };
    let mut ca = ClusterAutoscaler::new(ClusterAutoscalerConfig::default());
    for t in (0..=1200).step_by(10) {
        assert_eq!(
            ca.scan(secs(t), &two_nodes(490, blocked), &mut never_drawn()),
            vec![]
        );
    }
    assert_eq!(ca.unneeded_since(1), None);
    assert_eq!(
        blocked.cluster_autoscaler_reason(),
        Some("PDB would be violated")
    );
}

#[test]
fn delay_after_add_holds_the_scale_down_back() {
    // An empty node is unneeded from t=0, and a scale-up of another group happens at t=0.
    // The node has been unneeded long enough from 600 s on (strictly after 0 + 10 min), and
    // delay-after-add also ends at 0 + 10 min: nothing at 599 s, deleted at 610 s.
    let alloc = Shape::new(1000, GIB);
    let mut g = group("pool", 1000, GIB, 0.1, 10);
    g.target_size = 1;
    let other = group("other", 1000, GIB, 0.1, 10);
    let mut view = ClusterView {
        node_groups: vec![g, other],
        nodes: vec![node(1, 0, alloc, Vec::new())],
        pending: vec![pods(1000, GIB, 1, &[1])],
        rooms: Vec::new(),
    };
    let mut ca = ClusterAutoscaler::new(ClusterAutoscalerConfig::default());
    let first = ca.scan(SimTime::ZERO, &view, &mut never_drawn());
    assert!(matches!(
        first.as_slice(),
        [Action::ScaleUp { group: 1, .. }]
    ));
    view.pending.clear();
    view.node_groups[1].target_size = 1;
    assert_eq!(ca.scan(secs(599), &view, &mut never_drawn()), vec![]);
    let actions = ca.scan(secs(610), &view, &mut never_drawn());
    assert!(
        matches!(actions.as_slice(), [Action::DeleteNodes { .. }]),
        "{actions:?}"
    );
    // A failed deletion pauses scale-down for 3 min.
    ca.record_scale_down_failure(secs(610));
    assert_eq!(ca.scan(secs(780), &view, &mut never_drawn()), vec![]);
}

// ----------------------------------------------------------------------------- Karpenter

fn fixture_catalog() -> Catalog {
    Catalog::from_csv_str(
        Provider::Gcp,
        include_str!("data/node-autoscaling-prices.csv"),
        "node-autoscaling-prices.csv",
    )
    .expect("fixture parses")
}

fn karpenter(pool: NodePoolSpec) -> Karpenter {
    let catalog = fixture_catalog();
    let config = KarpenterConfig {
        batch_idle_duration: SimDuration::from_secs(1),
        batch_max_duration: SimDuration::from_secs(10),
        disruption_poll_interval: SimDuration::from_secs(10),
        spot_to_spot_consolidation: false,
        node_pools: vec![pool],
    };
    Karpenter::new(config, catalog.rows(), &["z1".to_owned(), "z2".to_owned()]).expect("valid")
}

fn pool_spec(capacity_types: Vec<CapacityType>) -> NodePoolSpec {
    serde_json::from_str::<NodePoolSpec>(r#"{"name": "default"}"#)
        .map(|mut p| {
            p.requirements = Requirements {
                capacity_types,
                ..Requirements::default()
            };
            p
        })
        .expect("minimal pool parses")
}

fn launches(k: &mut Karpenter, view: &KarpenterView) -> Vec<(String, CapacityType, u32)> {
    k.pods_pending(SimTime::ZERO);
    k.provision(secs(1), view)
        .into_iter()
        .map(|a| match a {
            KarpenterAction::Launch {
                instance_type,
                capacity_type,
                count,
                ..
            } => (instance_type, capacity_type, count),
            other => panic!("expected a launch, got {other:?}"),
        })
        .collect()
}

#[test]
fn karpenter_launches_the_cheapest_fitting_type() {
    // 3 pods of {1 CPU, 2 GiB} → one claim of 3 CPU / 6 GiB. Allocatable (GKE tiers):
    // n2-standard-2 1930m (no), n2-standard-4 and e2-standard-4 3920m / 13.3 GiB,
    // n2-highcpu-8 7910m / 8 − 1.8 − 0.1 = 6.10 GiB, c2-standard-8: all fit.
    // On-demand: e2-standard-4 0.1340 < n2-standard-4 0.1942 < n2-highcpu-8 < c2.
    let view = KarpenterView {
        nodes: Vec::new(),
        pending: vec![pods(1000, 2 * GIB, 3, &[0])],
        names: ViewNames::default(),
    };
    let mut od = karpenter(pool_spec(vec![CapacityType::OnDemand]));
    assert_eq!(
        launches(&mut od, &view),
        vec![("e2-standard-4".to_owned(), CapacityType::OnDemand, 1)]
    );
    // Spot allowed: n2-standard-4 spot 0.0380 < e2-standard-4 0.0402 < c2 0.1000
    // (n2-highcpu-8 has no spot offering).
    let mut spot = karpenter(pool_spec(vec![CapacityType::Spot, CapacityType::OnDemand]));
    assert_eq!(
        launches(&mut spot, &view),
        vec![("n2-standard-4".to_owned(), CapacityType::Spot, 1)]
    );
}

#[test]
fn karpenter_respects_pool_limits() {
    // Limit 4 CPU: the first claim may only use 4-vCPU types and reserves the largest (4 CPU),
    // leaving 0; it takes 3 pods (3920m / 1000m); pods 4 and 5 fit no new claim.
    let mut spec = pool_spec(vec![CapacityType::OnDemand]);
    spec.limits = PoolLimits {
        cpu: Some(CpuMillis(4000)),
        memory: None,
    };
    let view = KarpenterView {
        nodes: Vec::new(),
        pending: vec![pods(1000, 2 * GIB, 5, &[0])],
        names: ViewNames::default(),
    };
    let mut k = karpenter(spec);
    k.pods_pending(SimTime::ZERO);
    let actions = k.provision(secs(1), &view);
    match actions.as_slice() {
        [
            KarpenterAction::Launch {
                instance_type,
                count: 1,
                reason,
                ..
            },
        ] => {
            assert_eq!(instance_type, "e2-standard-4");
            assert!(reason.contains("2 pods fit no NodePool"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn batches_close_after_idle_or_max() {
    let mut b = Batcher::new(SimDuration::from_secs(1), SimDuration::from_secs(10));
    assert_eq!(b.deadline(), None);
    b.trigger(SimTime::ZERO);
    b.trigger(SimTime::from_nanos(500_000_000));
    // Idle 1 s after the last trigger at 0.5 s.
    assert_eq!(b.deadline(), Some(SimTime::from_nanos(1_500_000_000)));
    assert!(!b.close_if_due(secs(1)));
    // Triggers every 0.5 s keep it open until the 10 s maximum.
    for half in 2..=24 {
        b.trigger(SimTime::from_nanos(half * 500_000_000));
    }
    assert_eq!(b.deadline(), Some(secs(10)));
    assert!(b.close_if_due(secs(10)));
    assert_eq!(b.deadline(), None);
}

/// The names `k_node`'s nodes refer to: the fixture catalog's types, zone `z1`.
fn k_names(k: &Karpenter) -> ViewNames {
    ViewNames {
        instance_types: k
            .instances()
            .iter()
            .map(|i| i.instance_type.as_str().into())
            .collect(),
        zones: vec!["z1".into()],
    }
}

/// A Karpenter node of the fixture catalog in pool 0.
fn k_node(k: &Karpenter, id: u32, instance_type: &str, on_it: Vec<PodGroup>) -> NodeView {
    let it = k
        .instances()
        .iter()
        .find(|i| i.instance_type == instance_type)
        .expect("fixture type");
    let mut n = node(id, 0, it.allocatable, on_it);
    n.instance_type = k
        .instances()
        .iter()
        .position(|i| i.instance_type == instance_type)
        .expect("fixture type") as u32;
    n.capacity = it.capacity;
    n.price_usd_per_hour = it.ondemand_usd_per_hour;
    n
}

#[test]
fn two_half_empty_nodes_are_replaced_by_one_cheaper_node() {
    // Two on-demand n2-standard-4 (0.1942 $/h each, 0.3884 together), one {1.5 CPU, 4 GiB} pod
    // each. Budget 100 % so both may go. Multi-node consolidation tries both: their 2 pods
    // (3 CPU, 8 GiB) need one new claim: n2-standard-4, e2-standard-4, c2-standard-8 fit
    // (n2-highcpu-8 has 6.1 GiB). Since a candidate is an n2-standard-4, the replacement must
    // cost less than 0.1942: e2-standard-4 at 0.1340. Saves 0.3884 − 0.1340 = 0.2544 $/h.
    let mut spec = pool_spec(vec![CapacityType::OnDemand]);
    spec.disruption.budgets = vec![Budget {
        nodes: "100%".to_owned(),
    }];
    let mut k = karpenter(spec);
    let one_pod = || vec![pods(1500, 4 * GIB, 1, &[0])];
    let view = KarpenterView {
        nodes: vec![
            k_node(&k, 1, "n2-standard-4", one_pod()),
            k_node(&k, 2, "n2-standard-4", one_pod()),
        ],
        pending: Vec::new(),
        names: k_names(&k),
    };
    // Decided at 0, validated 15 s later: executed at the first poll at or after 15 s.
    assert_eq!(k.disrupt(SimTime::ZERO, &view), vec![]);
    assert_eq!(k.validation_due(), Some(secs(15)));
    assert_eq!(k.disrupt(secs(10), &view), vec![]);
    let actions = k.disrupt(secs(20), &view);
    match actions.as_slice() {
        [
            KarpenterAction::Replace {
                nodes,
                instance_type,
                capacity_type,
                reason,
                ..
            },
        ] => {
            assert_eq!(nodes, &vec![1, 2]);
            assert_eq!(instance_type, "e2-standard-4");
            assert_eq!(*capacity_type, CapacityType::OnDemand);
            assert!(reason.contains("saves 0.2544"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_default_budget_allows_ten_percent_of_the_nodes() {
    // 10 % rounded up: 5 nodes → 1, 20 → 2, 15 → 2.
    let ten = Budget {
        nodes: "10%".to_owned(),
    };
    assert_eq!(ten.allowed(5), Ok(1));
    assert_eq!(ten.allowed(20), Ok(2));
    assert_eq!(ten.allowed(15), Ok(2));
    // 20 empty nodes: emptiness deletes 2 of them; with one already deleting, 1.
    let mut k = karpenter(pool_spec(vec![CapacityType::OnDemand]));
    let mut view = KarpenterView {
        nodes: (0..20)
            .map(|id| k_node(&k, id, "e2-standard-4", Vec::new()))
            .collect(),
        pending: Vec::new(),
        names: k_names(&k),
    };
    k.disrupt(SimTime::ZERO, &view);
    let deleted = |actions: Vec<KarpenterAction>| match actions.as_slice() {
        [KarpenterAction::Delete { nodes, .. }] => nodes.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(deleted(k.disrupt(secs(20), &view)), vec![0, 1]);
    view.nodes[0].deleting = true;
    k.disrupt(secs(30), &view);
    assert_eq!(deleted(k.disrupt(secs(50), &view)), vec![1]);
}

#[test]
fn configs_parse_with_upstream_defaults_and_report_field_paths() {
    let ca: ClusterAutoscalerConfig = serde_json::from_str("{}").expect("defaults");
    assert_eq!(ca.scan_interval, SimDuration::from_secs(10));
    assert_eq!(ca.expanders, vec![Expander::LeastWaste]);
    assert_eq!(ca.scale_down_unneeded_time, SimDuration::from_secs(600));
    assert_eq!(
        ca.scale_down_delay_after_failure,
        SimDuration::from_secs(180)
    );
    assert_eq!(ca.max_node_provision_time, SimDuration::from_secs(900));
    assert!(
        serde_json::from_str::<ClusterAutoscalerConfig>(r#"{"scan_intervall": "1s"}"#).is_err()
    );
    let bad = ClusterAutoscalerConfig {
        scale_down_utilization_threshold: 1.5,
        ..ClusterAutoscalerConfig::default()
    };
    assert_eq!(
        bad.validate().map_err(|e| e.path),
        Err("scale_down_utilization_threshold".to_owned())
    );
    let pool: NodePoolSpec = serde_json::from_str(
        r#"{"name": "p", "disruption": {"consolidate_after": "Never", "budgets": [{"nodes": "ten"}]}}"#,
    )
    .expect("parses");
    assert_eq!(pool.disruption.consolidate_after.0, None);
    assert_eq!(
        pool.expire_after.0,
        Some(SimDuration::from_secs(720 * 3600))
    );
    let config = KarpenterConfig {
        batch_idle_duration: SimDuration::from_secs(1),
        batch_max_duration: SimDuration::from_secs(10),
        disruption_poll_interval: SimDuration::from_secs(10),
        spot_to_spot_consolidation: false,
        node_pools: vec![pool],
    };
    assert_eq!(
        config.validate().map_err(|e| e.path),
        Err("node_pools[0].disruption.budgets[0].nodes".to_owned())
    );
}

#[test]
fn surge_clock_measures_time_to_capacity() {
    // Pending 0 → 7 at 100 s, 3 at 130 s, 0 at 190 s: one surge of 90 s.
    let mut clock = SurgeClock::default();
    clock.observe(secs(0), 0);
    clock.observe(secs(100), 7);
    clock.observe(secs(130), 3);
    clock.observe(secs(190), 0);
    assert_eq!(clock.surges(), &[(secs(100), SimDuration::from_secs(90))]);
    clock.observe(secs(300), 1);
    assert_eq!(clock.worst(secs(500)), Some(SimDuration::from_secs(200)));
}

#[test]
fn a_pod_pending_for_no_time_is_no_surge() {
    let mut clock = SurgeClock::default();
    clock.observe(secs(50), 1);
    clock.observe(secs(50), 0);
    assert_eq!(clock.surges(), &[]);
    assert_eq!(clock.worst(secs(60)), None);
}

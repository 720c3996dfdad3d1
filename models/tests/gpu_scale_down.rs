//! The Cluster Autoscaler's scale-down on GPU nodes (issue 21): upstream's
//! `simulator/utilization/info.go` `Calculate` counts a node with GPUs by its GPU utilization
//! only, so a GPU node whose GPUs are idle is a candidate however busy its CPU, and one whose
//! GPUs are in use is not however idle its CPU. Hand-sized views, threshold 0.5 (the default
//! of `--scale-down-utilization-threshold` and `--scale-down-gpu-utilization-threshold`).

use clustersim_models::api::{
    Bin, CapacityType, ClusterView, NodeGroupView, NodeRoom, NodeView, PodGroup, RemovalBlockers,
    Shape,
};
use clustersim_models::autoscaler::cluster_autoscaler::notes::{ScaleDownNotes, Unremovable};
use clustersim_models::autoscaler::cluster_autoscaler::scale_down::{find_unneeded, utilization};
use sim::time::SimTime;

const GIB: u64 = 1 << 30;

fn group(name: &str, allocatable: Shape) -> NodeGroupView {
    NodeGroupView {
        name: name.to_owned(),
        capacity: allocatable,
        allocatable,
        price_usd_per_hour: 1.0,
        capacity_type: CapacityType::OnDemand,
        min_size: 0,
        max_size: 10,
        target_size: 1,
        provisioning: Vec::new(),
    }
}

/// A node of `group` holding `pods`, each group `(cpu millicores, gpus, count, fits)`.
fn node(id: u32, group: u32, allocatable: Shape, pods: &[(u64, u32, u32, &[u32])]) -> NodeView {
    let pods: Vec<PodGroup> = pods
        .iter()
        .map(|&(cpu, gpus, count, fits)| PodGroup {
            requests: Shape::new(cpu, GIB).with_gpus(gpus),
            count,
            priority: 0,
            fits: fits.into(),
        })
        .collect();
    let requested = pods.iter().fold(Shape::default(), |acc, p| {
        acc.plus(p.requests.times(u64::from(p.count)))
    });
    NodeView {
        id,
        group,
        instance_type: 0,
        capacity_type: CapacityType::OnDemand,
        zone: 0,
        price_usd_per_hour: 1.0,
        capacity: allocatable,
        allocatable,
        requested,
        pod_count: pods.iter().map(|p| p.count).sum(),
        pods,
        created: SimTime::ZERO,
        last_pod_change: SimTime::ZERO,
        ready: true,
        deleting: false,
        blockers: RemovalBlockers::default(),
    }
}

/// 8 CPU, 32 GiB; with one GPU for the GPU group.
fn cpu_shape() -> Shape {
    Shape::new(8000, 32 * GIB)
}
fn gpu_shape() -> Shape {
    cpu_shape().with_gpus(1)
}

#[test]
fn a_gpu_node_counts_its_gpus_only() {
    // 5000m of 8000m cpu requested and no GPU: cpu 0.625, yet the node's utilization is its
    // GPU's, 0 of 1 = 0. With its GPU requested and 1000m cpu: 1.0, though cpu is 0.125. A
    // node without GPUs keeps the larger of cpu and memory: 5000/8000 = 0.625.
    let idle_gpu = node(1, 0, gpu_shape(), &[(5000, 0, 1, &[0, 1])]);
    let busy_gpu = node(2, 0, gpu_shape(), &[(1000, 1, 1, &[0])]);
    let cpu_node = node(3, 1, cpu_shape(), &[(5000, 0, 1, &[1])]);
    assert_eq!(utilization(&idle_gpu), 0.0);
    assert_eq!(utilization(&busy_gpu), 1.0);
    assert_eq!(utilization(&cpu_node), 0.625);
}

#[test]
fn a_gpu_node_with_an_idle_gpu_is_unneeded_though_its_cpu_is_busy() {
    // Group 0: GPU nodes (8 CPU, 32 GiB, one GPU); group 1: CPU nodes (8 CPU, 32 GiB).
    // Node 1 (GPU) holds a 5000m CPU pod that may run in either group and no GPU pod: its
    // utilization is 0 (GPU only), at or below 0.5, so it is a candidate; the drain simulation
    // moves the pod onto node 2, the first node in view order with room (7000m free; the pod
    // asks no GPU): unneeded. Node 2 (GPU) runs a one-GPU pod of 1000m: utilization 1.0,
    // above the threshold (by cpu it would be 0.125, a candidate). Node 3, a CPU node at
    // 3000/8000 = 0.375, is a candidate whose pod (CPU group only) has no other CPU node:
    // kept.
    let view = ClusterView {
        node_groups: vec![group("gpu", gpu_shape()), group("cpu", cpu_shape())],
        nodes: vec![
            node(1, 0, gpu_shape(), &[(5000, 0, 1, &[0, 1])]),
            node(2, 0, gpu_shape(), &[(1000, 1, 1, &[0])]),
            node(3, 1, cpu_shape(), &[(3000, 0, 1, &[1])]),
        ],
        pending: Vec::new(),
        rooms: Vec::new(),
    };
    let mut notes = ScaleDownNotes::default();
    let unneeded = find_unneeded(&view, 0.5, &[], 0, &mut notes);
    let ids: Vec<(u32, bool, f64)> = unneeded
        .iter()
        .map(|u| (view.nodes[u.index].id, u.empty, u.utilization))
        .collect();
    assert_eq!(ids, [(1, false, 0.0)]);
    assert_eq!(notes.above_threshold, 1);
    assert_eq!(notes.kept, [(3, 1, 0.375, Unremovable::NoPlaceToMovePods)]);
    // The same nodes as a scan's view lists them: node 2, above the threshold, as its room
    // alone (`ClusterView::rooms`). The same verdicts, node 1's pod moving onto the room.
    let mut compact = view.clone();
    let above = compact.nodes.remove(1);
    compact.rooms.push(NodeRoom {
        id: above.id,
        group: above.group,
        room: Bin::free_on(&above),
        ready: above.ready,
    });
    let mut compact_notes = ScaleDownNotes::default();
    let compact_ids: Vec<(u32, bool, f64)> =
        find_unneeded(&compact, 0.5, &[], 0, &mut compact_notes)
            .iter()
            .map(|u| (compact.nodes[u.index].id, u.empty, u.utilization))
            .collect();
    assert_eq!(compact_ids, ids);
    assert_eq!(compact_notes, notes);

    // The same cluster without GPUs on nodes 1 and 2: node 1 at 0.625 is above the threshold
    // and stays; node 2 (0.125) is a candidate whose pod (group 0 only) moves onto node 1.
    let mut cpu_only = view.clone();
    for n in &mut cpu_only.nodes[..2] {
        n.allocatable = cpu_shape();
        n.capacity = cpu_shape();
        n.requested.gpus = 0;
        for p in &mut n.pods {
            p.requests.gpus = 0;
        }
    }
    let mut notes = ScaleDownNotes::default();
    let unneeded = find_unneeded(&cpu_only, 0.5, &[], 0, &mut notes);
    let ids: Vec<u32> = unneeded
        .iter()
        .map(|u| cpu_only.nodes[u.index].id)
        .collect();
    assert_eq!(ids, [2]);
    assert_eq!(notes.above_threshold, 1);
}

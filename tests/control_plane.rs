//! The `control_plane` section through the input library: absent it is no limit, written as
//! `()` every limit takes its upstream default, each can be switched off, and bad values are
//! refused with their field path.

use std::path::Path;

use clustersim::error::InputError;
use clustersim::input;
use clustersim::locate::RonLocator;
use models::control_plane::{ControlPlanePlan, Limits};

const BASE: &str = r#"Experiment(
    name: "t",
    duration: "1h",
    regions: [(name: "us-east1", zones: ["us-east1-b", "us-east1-c"])],
    node_pools: [(name: "p", region: "us-east1", instance_type: "n2-standard-8", nodes: 2)],
    services: [
        (
            name: "api",
            replicas: 2,
            requests: (cpu: "500m", memory: "512Mi"),
            capacity_rps: 100,
            traffic: Constant(rps: 50),
        ),
    ],
)"#;

/// `BASE` with `extra` added as its last fields.
fn with(extra: &str) -> String {
    BASE.replacen("\n)", &format!("\n    {extra}\n)"), 1)
}

fn resolved(src: &str) -> Result<ControlPlanePlan, InputError> {
    let file = Path::new("x.ron");
    let x = input::parse(file, src)?;
    input::resolve(&x, Path::new("."))
        .map(|plan| plan.cluster.control_plane)
        .map_err(|e| e.located(file, &RonLocator::new(src)))
}

fn limits(src: &str) -> Limits {
    resolved(src).unwrap().limits.expect("limits")
}

fn refused(src: &str) -> (String, String) {
    let e = resolved(src).expect_err("expected a refusal");
    (e.field, e.message)
}

#[test]
fn absent_is_no_limit_and_empty_is_every_upstream_default() {
    assert_eq!(resolved(BASE).unwrap().limits, None);
    let l = limits(&with("control_plane: (),"));
    // kube-controller-manager --kube-api-qps 20 / --kube-api-burst 30; BurstReplicas 500.
    assert_eq!(l.controller_client, Some((20.0, 30)));
    assert_eq!(l.burst_replicas, Some(500));
    assert!(l.slow_start);
    // KubeSchedulerConfiguration v1 clientConnection qps 50 / burst 100.
    assert_eq!(l.scheduler_client, Some((50.0, 100)));
    assert_eq!(l.scheduler_pods_per_s, Some(100.0));
    assert_eq!(l.binding_latency_ns, 0);
    // serializeImagePulls: true → one pull at a time; 125 MiB/s; 500 MiB images.
    assert_eq!(l.pull_slots, Some(1));
    assert_eq!(l.pull_bytes_per_s, Some(125 << 20));
    assert_eq!(l.default_image_bytes, 500 << 20);
    assert_eq!(l.boot, Some((0.75, 1.5)));
}

#[test]
fn each_limit_switches_off_alone() {
    let l = limits(&with(
        "control_plane: (controller_manager: (qps: None, burst_replicas: None, slow_start: false), \
         scheduler: (qps: None, pods_per_s: None), \
         kubelet: (serialize_image_pulls: false, image_pull_bytes_per_s: None), node_boot: None),",
    ));
    assert_eq!(l.controller_client, None);
    assert_eq!(l.burst_replicas, None);
    assert!(!l.slow_start);
    assert_eq!(l.scheduler_client, None);
    assert_eq!(l.scheduler_pods_per_s, None);
    assert_eq!(l.pull_slots, None);
    assert_eq!(l.pull_bytes_per_s, None);
    assert_eq!(l.boot, None);
    let l = limits(&with(
        "control_plane: (kubelet: (serialize_image_pulls: false, max_parallel_image_pulls: 3)),",
    ));
    assert_eq!(l.pull_slots, Some(3));
}

#[test]
fn a_service_image_size_is_carried_by_name() {
    let src = with("control_plane: (),").replacen(
        "capacity_rps: 100,",
        "capacity_rps: 100,\n            image: (size: \"800Mi\"),",
        1,
    );
    assert_eq!(limits(&src).image_bytes.get("api"), Some(&(800 << 20)));
}

#[test]
fn bad_values_are_refused_with_their_field_path() {
    let (field, message) = refused(&with("control_plane: (controller_manager: (qps: -5)),"));
    assert_eq!(field, "control_plane.controller_manager.qps");
    assert!(message.contains("positive"), "{message}");
    // Zero and absurd rates: the bounds keep the buckets' nanosecond arithmetic in range.
    let (field, _) = refused(&with("control_plane: (scheduler: (pods_per_s: 0)),"));
    assert_eq!(field, "control_plane.scheduler.pods_per_s");
    let (field, _) = refused(&with("control_plane: (scheduler: (qps: 1e9)),"));
    assert_eq!(field, "control_plane.scheduler.qps");
    let (field, _) = refused(&with("control_plane: (scheduler: (burst: 0)),"));
    assert_eq!(field, "control_plane.scheduler.burst");
    let (field, message) = refused(&with(
        "control_plane: (kubelet: (image_pull_bytes_per_s: \"0\")),",
    ));
    assert_eq!(field, "control_plane.kubelet.image_pull_bytes_per_s");
    assert!(message.contains("positive bandwidth"), "{message}");
    let (field, _) = refused(&with(
        "control_plane: (kubelet: (max_parallel_image_pulls: 4)),",
    ));
    assert_eq!(field, "control_plane.kubelet.max_parallel_image_pulls");
    let (field, _) = refused(&with("control_plane: (node_boot: (low: 2, high: 1)),"));
    assert_eq!(field, "control_plane.node_boot");
    let (field, message) = refused(&with("control_plane: (schedular: ()),"));
    assert!(field.starts_with("control_plane"), "{field}");
    assert!(message.contains("scheduler"), "{message}");
}

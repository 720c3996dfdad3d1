//! Each region is its own Kubernetes cluster with its own kube-controller-manager and
//! kube-scheduler (issue 22): two regions bursting at once each finish in the one-region
//! closed-form time, not twice it, because neither region's requests pass the other's token
//! buckets.

use std::path::Path;

use clustersim::input;
use models::run::{RunOutput, run};
use sim::recorder::Values;

/// Two regions, each with one service of 1 pod scaled to 2 001 at 10 s, on 20 nodes of
/// 110 pods (the kubelet's `maxPods`): room for all. Start-up and readiness 0 s, no image
/// pulls and no boot spread, so a pod is Ready the instant it is bound; `limits` is the rest
/// of the `control_plane` section.
fn two_region_burst(limits: &str) -> RunOutput {
    let service = |name: &str, region: &str| {
        format!(
            r#"(
            name: "{name}",
            regions: ["{region}"],
            replicas: 1,
            requests: (cpu: "10m", memory: "16Mi"),
            capacity_rps: 100,
            startup: "0s",
            readiness: "0s",
            traffic: Constant(rps: 1),
            scale: [(at: "10s", replicas: 2001)],
        )"#
        )
    };
    let src = format!(
        r#"Experiment(
    name: "two-region-burst",
    duration: "150s",
    output_interval: "1s",
    regions: [
        (name: "us-east1", zones: ["us-east1-b"]),
        (name: "us-central1", zones: ["us-central1-a"]),
    ],
    node_pools: [
        (name: "east", region: "us-east1", instance_type: "n2-standard-32", nodes: 20),
        (name: "central", region: "us-central1", instance_type: "n2-standard-32", nodes: 20),
    ],
    services: [{}, {}],
    control_plane: (
        {limits}
        kubelet: (image_pull_bytes_per_s: None),
        node_boot: None,
    ),
)"#,
        service("east", "us-east1"),
        service("central", "us-central1"),
    );
    let file = Path::new("two-region-burst.ron");
    let x = input::parse(file, &src).expect("parses");
    let plan = input::resolve(&x, Path::new(".")).expect("resolves");
    run(&plan, |_| {}).expect("runs")
}

/// Ready pods of `service` at each second.
fn ready_by_second(out: &RunOutput, service: &str) -> Vec<u64> {
    let Some(Values::Text(names)) = out.timeseries.column("service") else {
        panic!("no service column")
    };
    let Some(Values::U64(ready)) = out.timeseries.column("ready_pods") else {
        panic!("no ready_pods column")
    };
    names
        .iter()
        .zip(ready)
        .filter(|(n, _)| *n == service)
        .map(|(_, &r)| r)
        .collect()
}

#[test]
fn two_regions_create_pods_through_their_own_controller_managers() {
    // Each region's ReplicaSet controller: 20 QPS, burst 30, full at 10 s. Pods 1–30 at 10 s,
    // pod n > 30 at 10 + (n − 30)/20 s; the 2 000th at 10 + 1 970/20 = 108.5 s — in each
    // region. One shared bucket would have created the 4 000 pods by 10 + 3 970/20 = 208.5 s.
    let out = two_region_burst(
        "controller_manager: (qps: 20, burst: 30), scheduler: (qps: None, pods_per_s: None),",
    );
    for service in ["east", "central"] {
        let ready = ready_by_second(&out, service);
        assert_eq!(ready[9], 1, "{service}");
        // By 60 s: 30 + 50 × 20 = 1 030 granted (up to one 1 s wake tick, 20 pods, late).
        assert!(
            (1 + 1030 - 20..=1 + 1030).contains(&ready[60]),
            "{service}: {}",
            ready[60]
        );
        assert!(ready[108] < 2001, "{service}: {}", ready[108]);
        assert_eq!(ready[109], 2001, "{service}");
    }
}

#[test]
fn two_regions_bind_pods_through_their_own_schedulers() {
    // Controllers unlimited; each region's kube-scheduler client at 50 QPS, burst 100: 100
    // bound at 10 s, then pod n > 100 at 10 + (n − 100)/50 s; the 2 000th at 10 + 1 900/50
    // = 48 s in each region (a shared scheduler: 10 + 3 900/50 = 88 s).
    let out = two_region_burst(
        "controller_manager: (qps: None, burst_replicas: None, slow_start: false), \
         scheduler: (qps: 50, burst: 100, pods_per_s: None),",
    );
    for service in ["east", "central"] {
        let ready = ready_by_second(&out, service);
        assert_eq!(ready[10], 1 + 100, "{service}");
        assert!(ready[47] < 2001, "{service}: {}", ready[47]);
        assert_eq!(ready[49], 2001, "{service}");
    }
}

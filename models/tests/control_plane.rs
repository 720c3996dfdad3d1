//! The control plane's limits end to end (issue 22), on hand-built plans whose timings are
//! worked out by hand: the ReplicaSet controller's client bucket, serialized image pulls, a
//! cached image, and a run without the section left as it was.

use std::collections::BTreeMap;

use clustersim_models::catalog::InstanceFacts;
use clustersim_models::config::{CapacityType, Resources};
use clustersim_models::control_plane::{ControlPlanePlan, Limits};
use clustersim_models::plan::{ClusterPlan, NamespacePlan, PodTimings, PoolPlan, ServicePlan};
use clustersim_models::run::{DEFAULT_EVENT_BUDGET, Plan, RunOutput, run};
use clustersim_models::scheduler::resources::ScoringStrategy;
use sim::quantity::{Bytes, CpuMillis};
use sim::recorder::Values;
use sim::time::{SimDuration, SimTime, UtcInstant};
use workloads::traffic::Shape;

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

fn pool(vcpu: u32, nodes: u32) -> PoolPlan {
    PoolPlan {
        name: "p".into(),
        region: "r".into(),
        zones: vec!["a".into()],
        instance: InstanceFacts {
            instance_type: format!("test-{vcpu}"),
            region: "r".into(),
            vcpu,
            memory_bytes: u64::from(vcpu) * 4 * GIB,
            ondemand_usd_per_hour: 0.36,
            spot_usd_per_hour: None,
            interruption_band: None,
        },
        capacity_type: CapacityType::OnDemand,
        nodes,
        min_nodes: 0,
        max_nodes: None,
        provisioning_delay: SimDuration::from_secs(60),
        labels: Default::default(),
        taints: Vec::new(),
        reservation: Default::default(),
    }
}

fn service(
    name: &str,
    replicas: u32,
    cpu_millis: u64,
    startup_s: u64,
    readiness_s: u64,
) -> ServicePlan {
    ServicePlan {
        name: name.into(),
        region: "r".into(),
        namespace: 0,
        priority: 0,
        replicas,
        replica_schedule: Vec::new(),
        requests: Resources {
            cpu: CpuMillis(cpu_millis),
            memory: Bytes(MIB),
        },
        limits: (None, None),
        capacity_rps: 100.0,
        timeout: SimDuration::from_secs(30),
        traffic: Shape::Constant { rps: 1.0 },
        timings: PodTimings {
            startup: SimDuration::from_secs(startup_s),
            readiness: SimDuration::from_secs(readiness_s),
            termination_grace: SimDuration::from_secs(30),
        },
        node_selector: Default::default(),
        node_affinity: Vec::new(),
        tolerations: Vec::new(),
        min_available: None,
        zone_max_skew: None,
        host_max_skew: None,
        warm_up: None,
        latency_target: None,
        memory_usage: None,
        gpus: 0,
        hold_at_zero: false,
    }
}

/// Every limit off: each test turns on the ones it checks.
fn unlimited() -> Limits {
    Limits {
        controller_client: None,
        burst_replicas: None,
        slow_start: true,
        scheduler_client: None,
        scheduler_pods_per_s: None,
        binding_latency_ns: 0,
        pull_slots: Some(1),
        pull_bytes_per_s: None,
        image_bytes: BTreeMap::new(),
        default_image_bytes: 500 * MIB,
        boot: None,
    }
}

fn plan(
    pools: Vec<PoolPlan>,
    services: Vec<ServicePlan>,
    limits: Option<Limits>,
    seconds: u64,
) -> Plan {
    Plan {
        seed: 0,
        fidelity: Default::default(),
        start: UtcInstant::from_unix_s(0),
        duration: SimDuration::from_secs(seconds),
        output_interval: SimDuration::from_secs(1),
        cluster: ClusterPlan {
            pools,
            services,
            namespaces: vec![NamespacePlan {
                name: "default".into(),
                quota_cpu_millis: None,
                quota_memory_bytes: None,
                quota_pods: None,
            }],
            latency_target: None,
            scoring: ScoringStrategy::LeastAllocated,
            minimum_billed: SimDuration::from_secs(60),
            control_plane: ControlPlanePlan { limits },
        },
        hpas: Vec::new(),
        batch: None,
        hpa_controller: Default::default(),
        vpas: Vec::new(),
        policies: Default::default(),
        routes: Vec::new(),
        node_autoscalers: Vec::new(),
        faults: None,
        event_budget: DEFAULT_EVENT_BUDGET,
    }
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

/// One pod at the start, 10 000 more asked for at 10 s, on a cluster with room for them all;
/// scheduler and kubelets unlimited, start-up and readiness 0 s, so a pod is Ready the instant
/// its ReplicaSet creates it.
fn scale_up(limits: Limits) -> Vec<u64> {
    let mut web = service("web", 1, 10, 0, 0);
    web.replica_schedule = vec![(SimTime::from_secs(10), 10_001)];
    // 10 001 pods at most 110 a node (the kubelet's `maxPods`): 100 nodes hold 11 000.
    let out = run(
        &plan(vec![pool(64, 100)], vec![web], Some(limits), 600),
        |_| {},
    )
    .unwrap();
    ready_by_second(&out, "web")
}

#[test]
fn a_10k_scale_up_at_20_qps_takes_the_closed_form_time() {
    // kube-controller-manager's client: 20 QPS, burst 30; BurstReplicas 500, slow start on.
    // The bucket is full at 10 s: pods 1–30 at 10 s, pod n > 30 at 10 + (n − 30)/20 s. The
    // 10 000th at 10 + 9 970/20 = 10 + 498.5 = 508.5 s. Syncs of 500 in batches 1, 2, …, 245
    // do not change a grant: every creation waits for the same bucket in order.
    let ready = scale_up(Limits {
        controller_client: Some((20.0, 30)),
        burst_replicas: Some(500),
        ..unlimited()
    });
    assert_eq!(ready[9], 1);
    // By 110 s: 30 + 100 × 20 = 2 030 created (at most 20, one wake tick, still to come).
    assert!(
        (1 + 2030 - 20..=1 + 2030).contains(&ready[110]),
        "{}",
        ready[110]
    );
    // By 508 s: 30 + 498 × 20 = 9 990 of 10 000 granted; all 10 001 Ready at 508.5 s.
    assert!(ready[508] <= 1 + 9990, "{}", ready[508]);
    assert_eq!(ready[509], 10_001);
    // Without the client limit the same 20 syncs of 500 create everything at 10 s.
    let ready = scale_up(Limits {
        burst_replicas: Some(500),
        ..unlimited()
    });
    assert_eq!(ready[9], 1);
    assert_eq!(ready[10], 10_001);
}

#[test]
fn the_scheduler_binds_at_its_client_rate() {
    // Controllers unlimited, the scheduler's client at 50 QPS, burst 100: 10 000 pods pending
    // at 10 s; 100 bound at once, then 50/s: pod n > 100 bound at 10 + (n − 100)/50 s; the
    // 10 000th at 10 + 9 900/50 = 208 s.
    let ready = scale_up(Limits {
        scheduler_client: Some((50.0, 100)),
        ..unlimited()
    });
    assert_eq!(ready[10], 1 + 100);
    // By 100 s: 100 + 90 × 50 = 4 600 bound (pods bound late by up to a 1 s tick are still
    // started from their grant, so Ready counts them at their grant).
    assert!(
        (1 + 4600 - 50..=1 + 4600).contains(&ready[100]),
        "{}",
        ready[100]
    );
    assert!(ready[207] < 10_001);
    assert_eq!(ready[209], 10_001);
}

#[test]
fn a_busy_scheduler_keeps_its_cycle_rate_between_wake_ups() {
    // 100 scheduling cycles/s, a bucket of one: pod n bound at 10 + (n − 1)/100 s, the
    // 10 000th at 10 + 9 999/100 = 109.99 s. A wake-up a second apart catches up on the
    // ~100 cycles since the last (a sleeping scheduler must not lose them).
    let ready = scale_up(Limits {
        scheduler_pods_per_s: Some(100.0),
        ..unlimited()
    });
    // By 60 s: n − 1 ≤ 50 × 100 → 5 001 bound; Ready up to one tick (100 pods) behind.
    assert!(
        (1 + 5001 - 100..=1 + 5001).contains(&ready[60]),
        "{}",
        ready[60]
    );
    assert!(ready[109] < 10_001, "{}", ready[109]);
    assert_eq!(ready[111], 10_001);
}

#[test]
fn image_pulls_are_serialized_on_a_node() {
    // Three services, each with its own 1 GiB image, one pod each asked for at 10 s on one
    // node pulling 100 MiB/s: a pull takes 1 024/100 = 10.24 s and they queue. Images
    // present at 20.24, 30.48 and 40.72 s; + 5 s start-up + 10 s readiness → Ready at 35.24,
    // 45.48 and 55.72 s.
    let mut services = Vec::new();
    let mut image_bytes = BTreeMap::new();
    for name in ["a", "b", "c"] {
        let mut s = service(name, 0, 100, 5, 10);
        s.replica_schedule = vec![(SimTime::from_secs(10), 1)];
        services.push(s);
        image_bytes.insert(name.to_owned(), GIB);
    }
    let limits = Limits {
        pull_bytes_per_s: Some(100 * MIB),
        image_bytes,
        ..unlimited()
    };
    let out = run(&plan(vec![pool(8, 1)], services, Some(limits), 80), |_| {}).unwrap();
    for (name, ready_s) in [("a", 35), ("b", 45), ("c", 55)] {
        let ready = ready_by_second(&out, name);
        assert_eq!(ready[ready_s], 0, "{name} not ready at {ready_s} s");
        assert_eq!(ready[ready_s + 1], 1, "{name} ready by {} s", ready_s + 1);
    }
}

#[test]
fn a_cached_image_starts_without_a_pull() {
    // `a` runs one pod from the start on the only node, so the node has its image; a second
    // pod asked for at 10 s starts at once: Ready at 10 + 5 + 10 = 25 s, not 10.24 s later.
    let mut a = service("a", 1, 100, 5, 10);
    a.replica_schedule = vec![(SimTime::from_secs(10), 2)];
    let limits = Limits {
        pull_bytes_per_s: Some(100 * MIB),
        image_bytes: BTreeMap::from([("a".to_owned(), GIB)]),
        ..unlimited()
    };
    let out = run(&plan(vec![pool(8, 1)], vec![a], Some(limits), 40), |_| {}).unwrap();
    let ready = ready_by_second(&out, "a");
    assert_eq!(ready[24], 1);
    assert_eq!(ready[25], 2);
}

#[test]
fn without_the_section_nothing_is_throttled() {
    // The same 10 000-pod scale-up with no limits at all: Ready at 10 s, as before issue 22.
    let mut web = service("web", 1, 10, 0, 0);
    web.replica_schedule = vec![(SimTime::from_secs(10), 10_001)];
    let out = run(&plan(vec![pool(64, 100)], vec![web], None, 20), |_| {}).unwrap();
    let ready = ready_by_second(&out, "web");
    assert_eq!((ready[9], ready[10]), (1, 10_001));
}

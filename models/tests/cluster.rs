//! The cluster model end to end, on hand-built plans whose outcome can be worked out by hand:
//! pod lifecycle timings, quota refusal, preemption, zone spread, billing.

use clustersim_models::catalog::InstanceFacts;
use clustersim_models::config::{CapacityType, Resources};
use clustersim_models::plan::{ClusterPlan, NamespacePlan, PodTimings, PoolPlan, ServicePlan};
use clustersim_models::run::{DEFAULT_EVENT_BUDGET, Plan, RunError, RunOutput, run};
use clustersim_models::scheduler::resources::ScoringStrategy;
use sim::quantity::{Bytes, CpuMillis};
use sim::recorder::{Table, Values};
use sim::time::{SimDuration, SimTime, UtcInstant};
use workloads::traffic::Shape;

const GIB: u64 = 1 << 30;

fn instance(vcpu: u32, memory_gib: u64, price: f64) -> InstanceFacts {
    InstanceFacts {
        instance_type: format!("test-{vcpu}"),
        region: "r".into(),
        vcpu,
        memory_bytes: memory_gib * GIB,
        ondemand_usd_per_hour: price,
        spot_usd_per_hour: None,
        interruption_band: None,
    }
}

fn pool(name: &str, zones: &[&str], vcpu: u32, nodes: u32) -> PoolPlan {
    PoolPlan {
        name: name.into(),
        region: "r".into(),
        zones: zones.iter().map(|z| z.to_string()).collect(),
        instance: instance(vcpu, u64::from(vcpu) * 4, 0.36),
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

fn service(name: &str, replicas: u32, cpu_millis: u64) -> ServicePlan {
    ServicePlan {
        name: name.into(),
        region: "r".into(),
        namespace: 0,
        priority: 0,
        replicas,
        replica_schedule: Vec::new(),
        requests: Resources {
            cpu: CpuMillis(cpu_millis),
            memory: Bytes(GIB / 4),
        },
        limits: (None, None),
        capacity_rps: 100.0,
        timeout: SimDuration::from_secs(30),
        traffic: Shape::Constant { rps: 10.0 },
        timings: PodTimings {
            startup: SimDuration::from_secs(5),
            readiness: SimDuration::from_secs(10),
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

fn default_namespace() -> NamespacePlan {
    NamespacePlan {
        name: "default".into(),
        quota_cpu_millis: None,
        quota_memory_bytes: None,
        quota_pods: None,
    }
}

fn plan(pools: Vec<PoolPlan>, services: Vec<ServicePlan>, seconds: u64) -> Plan {
    Plan {
        seed: 0,
        fidelity: Default::default(),
        start: UtcInstant::from_unix_s(0),
        duration: SimDuration::from_secs(seconds),
        output_interval: SimDuration::from_secs(1),
        cluster: ClusterPlan {
            pools,
            services,
            namespaces: vec![default_namespace()],
            latency_target: None,
            scoring: ScoringStrategy::LeastAllocated,
            minimum_billed: SimDuration::from_secs(60),
            control_plane: Default::default(),
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

fn u64s(table: &Table, column: &str) -> Vec<u64> {
    match table.column(column) {
        Some(Values::U64(v)) => v.clone(),
        other => panic!("{column}: {other:?}"),
    }
}

fn texts(table: &Table, column: &str) -> Vec<String> {
    match table.column(column) {
        Some(Values::Text(v)) => v.clone(),
        other => panic!("{column}: {other:?}"),
    }
}

fn f64s(table: &Table, column: &str) -> Vec<f64> {
    match table.column(column) {
        Some(Values::F64(v)) => v.clone(),
        other => panic!("{column}: {other:?}"),
    }
}

/// Ready pods of `service` at each second.
fn ready_by_second(out: &RunOutput, service: &str) -> Vec<u64> {
    let names = texts(&out.timeseries, "service");
    let ready = u64s(&out.timeseries, "ready_pods");
    names
        .iter()
        .zip(ready)
        .filter(|(n, _)| *n == service)
        .map(|(_, r)| r)
        .collect()
}

fn reasons(out: &RunOutput) -> Vec<String> {
    texts(&out.events, "reason")
}

#[test]
fn a_scaled_up_pod_is_ready_after_startup_plus_readiness() {
    // Scale 2 → 4 at t = 60 s: bound at once, running at 65 s (startup 5 s), ready at 75 s
    // (readiness 10 s). The warm-start pods are ready from t = 0.
    let mut api = service("api", 2, 500);
    api.replica_schedule = vec![(SimTime::from_secs(60), 4)];
    let out = run(&plan(vec![pool("p", &["a"], 8, 1)], vec![api], 100), |_| {}).unwrap();
    let ready = ready_by_second(&out, "api");
    assert_eq!(ready[0], 2);
    assert_eq!(ready[74], 2, "not ready before 75 s");
    assert_eq!(ready[75], 4, "ready at 75 s");
    let pending = u64s(&out.timeseries, "pending_pods");
    assert!(pending.iter().all(|&p| p == 0));
}

#[test]
fn cpu_utilization_is_served_work_over_the_ready_pods_requests() {
    // 10 requests/s at 100 requests/s per pod. With 2 ready pods the pods use 10/(2 × 100) =
    // 5 % of their CPU requests. Scaled to 4 at 60 s: ready at 75 s, so the sample interval
    // (74, 75] still has 2 ready pods (5 %) and (75, 76] has 4 (2.5 %).
    let mut api = service("api", 2, 500);
    api.replica_schedule = vec![(SimTime::from_secs(60), 4)];
    let out = run(&plan(vec![pool("p", &["a"], 8, 1)], vec![api], 100), |_| {}).unwrap();
    let cpu = f64s(&out.timeseries, "cpu_utilization");
    assert_eq!(cpu[0], 0.0, "no interval before the first sample");
    assert!((cpu[1] - 0.05).abs() < 1e-12, "{}", cpu[1]);
    assert!((cpu[75] - 0.05).abs() < 1e-12, "{}", cpu[75]);
    assert!((cpu[76] - 0.025).abs() < 1e-12, "{}", cpu[76]);
}

#[test]
fn warming_pods_serve_at_their_initial_speed_until_warm() {
    // 2 warm pods of 100 requests/s; scaled to 4 at 60 s, ready at 75 s, then warming for 60 s
    // at half speed: capacity 2 × 100 + 2 × 50 = 300 requests/s until 135 s, then 400.
    let mut api = service("api", 2, 500);
    api.replica_schedule = vec![(SimTime::from_secs(60), 4)];
    api.warm_up = Some((SimDuration::from_secs(60), 0.5));
    let out = run(&plan(vec![pool("p", &["a"], 8, 1)], vec![api], 200), |_| {}).unwrap();
    let capacity = f64s(&out.timeseries, "capacity_rps");
    assert_eq!(capacity[74], 200.0);
    assert_eq!(capacity[75], 300.0);
    assert_eq!(capacity[134], 300.0);
    assert_eq!(capacity[135], 400.0);
}

#[test]
fn scale_down_frees_the_node_after_the_grace_period() {
    // 4 pods × 1000m on one node, scaled to 1 at 10 s: ready drops at once, the node's requests
    // stay until the 30 s grace period ends at 40 s.
    let mut api = service("api", 4, 1000);
    api.replica_schedule = vec![(SimTime::from_secs(10), 1)];
    let out = run(&plan(vec![pool("p", &["a"], 8, 1)], vec![api], 60), |_| {}).unwrap();
    let ready = ready_by_second(&out, "api");
    assert_eq!((ready[9], ready[10]), (4, 1));
    let cpu = f64s(&out.pool_timeseries, "cpu_requested_fraction");
    // Allocatable of 8 vCPU: 8000 − 90 = 7910m.
    assert!((cpu[39] - 4000.0 / 7910.0).abs() < 1e-12, "{}", cpu[39]);
    assert!((cpu[40] - 1000.0 / 7910.0).abs() < 1e-12, "{}", cpu[40]);
    // One Killing event on the deployment, for its three pods.
    let killing: Vec<(String, u64)> = reasons(&out)
        .into_iter()
        .zip(texts(&out.events, "object"))
        .zip(u64s(&out.events, "count"))
        .filter(|((r, _), _)| r == "Killing")
        .map(|((_, o), n)| (o, n))
        .collect();
    assert_eq!(killing, [("deployment/api-r".to_owned(), 3)]);
}

#[test]
fn a_quota_refuses_pods_beyond_its_limit_and_says_so() {
    let mut p = plan(
        vec![pool("p", &["a"], 8, 1)],
        vec![service("api", 5, 100)],
        10,
    );
    p.cluster.namespaces[0].quota_pods = Some(3);
    let out = run(&p, |_| {}).unwrap();
    assert_eq!(ready_by_second(&out, "api")[0], 3);
    // Like the ReplicaSet controller's slowStartBatch, a sync stops creating at the first
    // refusal: one refused creation, logged once.
    assert_eq!(out.namespaces[0].pods_refused_by_quota, 1);
    let messages = texts(&out.events, "message");
    assert_eq!(reasons(&out), vec!["FailedCreate".to_string()]);
    assert!(
        messages[0].contains("pods: requested 1, used 3, limited 3"),
        "{}",
        messages[0]
    );
}

#[test]
fn a_high_priority_pod_preempts_the_fewest_lowest_priority_pods() {
    // One 8-vCPU node (7910m allocatable). batch: 7 × 1000m at priority 0 leaves 910m free.
    // At 10 s web (priority 1000) wants 2 × 1000m: each needs one victim (90m short), so two
    // batch pods are preempted and their replacements cannot be placed.
    let batch = service("batch", 7, 1000);
    let mut web = service("web", 0, 1000);
    web.priority = 1000;
    web.replica_schedule = vec![(SimTime::from_secs(10), 2)];
    let out = run(
        &plan(vec![pool("p", &["a"], 8, 1)], vec![batch, web], 60),
        |_| {},
    )
    .unwrap();
    let events = reasons(&out);
    assert_eq!(
        events.iter().filter(|r| *r == "Preempted").count(),
        2,
        "{events:?}"
    );
    assert!(events.iter().any(|r| r == "FailedScheduling"), "{events:?}");
    let ready_web = ready_by_second(&out, "web");
    // Bound at 10 s, ready 15 s later.
    assert_eq!((ready_web[24], ready_web[25]), (0, 2));
    assert_eq!(ready_by_second(&out, "batch")[30], 5);
    let pending = u64s(&out.timeseries, "pending_pods");
    let names = texts(&out.timeseries, "service");
    let batch_pending_at_30 = names
        .iter()
        .zip(&pending)
        .filter(|(n, _)| *n == "batch")
        .nth(30)
        .map(|(_, p)| *p);
    assert_eq!(batch_pending_at_30, Some(2));
}

#[test]
fn pods_spread_over_zones_even_when_one_zone_has_more_room() {
    // Zone a holds one 32-vCPU node, zones b and c one 8-vCPU node each. LeastAllocated alone
    // would stack the first pods on the big node (its score stays above the small nodes' 87 for
    // three pods); the zone and hostname spread scores (weight 2) send them 2 per zone.
    let pools = vec![
        pool("a", &["a"], 32, 1),
        pool("b", &["b"], 8, 1),
        pool("c", &["c"], 8, 1),
    ];
    let out = run(&plan(pools, vec![service("api", 6, 1000)], 1), |_| {}).unwrap();
    let cpu = f64s(&out.pool_timeseries, "cpu_requested_fraction");
    // Allocatable: 32 vCPU → 32000 − 150 = 31850m; 8 vCPU → 7910m.
    assert!((cpu[0] - 2000.0 / 31850.0).abs() < 1e-12, "{cpu:?}");
    assert!((cpu[1] - 2000.0 / 7910.0).abs() < 1e-12, "{cpu:?}");
    assert!((cpu[2] - 2000.0 / 7910.0).abs() < 1e-12, "{cpu:?}");
}

#[test]
fn nodes_are_billed_per_second_over_the_run() {
    // Two nodes live the whole 90 s run: each is billed 90 s at $0.36/h.
    let out = run(&plan(vec![pool("p", &["a"], 8, 2)], vec![], 90), |_| {}).unwrap();
    let cost = out.pools[0].cost_usd;
    assert!((cost - 2.0 * 90.0 * 0.36 / 3600.0).abs() < 1e-12, "{cost}");
    assert!((out.pools[0].node_hours - 2.0 * 90.0 / 3600.0).abs() < 1e-12);
}

#[test]
fn taints_and_node_selectors_keep_pods_to_their_pools() {
    use clustersim_models::config::{Taint, TaintEffect, Toleration, TolerationOperator};
    // Pool "batch" is tainted dedicated=batch:NoSchedule; "general" is not. A service that
    // tolerates the taint and selects pool=batch lands only there; one that does not tolerate
    // it never lands there, and one that selects a missing label stays pending with a warning.
    let mut batch_pool = pool("batch", &["a"], 8, 1);
    batch_pool.taints = vec![Taint {
        key: "dedicated".into(),
        value: "batch".into(),
        effect: TaintEffect::NoSchedule,
    }];
    batch_pool.labels.insert("pool".into(), "batch".into());
    let general = pool("general", &["a"], 8, 1);
    let mut jobs = service("jobs", 3, 1000);
    jobs.tolerations = vec![Toleration {
        key: "dedicated".into(),
        operator: TolerationOperator::Equal,
        value: "batch".into(),
        effect: None,
    }];
    jobs.node_selector.insert("pool".into(), "batch".into());
    let web = service("web", 3, 1000);
    let mut lost = service("lost", 1, 100);
    lost.node_selector.insert("gpu".into(), "true".into());
    let out = run(
        &plan(vec![batch_pool, general], vec![jobs, web, lost], 1),
        |_| {},
    )
    .unwrap();
    let cpu = f64s(&out.pool_timeseries, "cpu_requested_fraction");
    assert!((cpu[0] - 3000.0 / 7910.0).abs() < 1e-12, "{cpu:?}");
    assert!((cpu[1] - 3000.0 / 7910.0).abs() < 1e-12, "{cpu:?}");
    let messages = texts(&out.events, "message");
    assert_eq!(messages.len(), 1, "{messages:?}");
    // kube-scheduler's FitError over the region's two nodes: the batch node fails
    // TaintToleration, the general one NodeAffinity (the reasons sorted as strings, as
    // upstream's `sortReasonsHistogram` does); preemption cannot help either.
    assert_eq!(
        messages[0],
        "1 pod(s) pending: 0/2 nodes are available: 1 node(s) didn't match Pod's node \
         affinity/selector, 1 node(s) had untolerated taint {dedicated: batch}. preemption: 0/2 \
         nodes are available: 2 Preemption is not helpful for scheduling..",
    );
}

#[test]
fn namespaces_pay_their_requested_share_of_each_pool() {
    // One 8-vCPU node (7910m allocatable) at $0.36/h for an hour. Namespace "shop" requests
    // 5 × 791m = 3955m, half of it, so it is charged $0.18; the other half goes to
    // "(unrequested)"; "default" requests nothing.
    let mut shop = service("shop", 5, 791);
    shop.namespace = 1;
    let mut p = plan(vec![pool("p", &["a"], 8, 1)], vec![shop], 3600);
    p.output_interval = SimDuration::from_secs(60);
    p.cluster.namespaces.push(NamespacePlan {
        name: "shop".into(),
        ..default_namespace()
    });
    let out = run(&p, |_| {}).unwrap();
    let names = texts(&out.namespace_timeseries, "namespace");
    let cost = f64s(&out.namespace_timeseries, "cost_usd");
    let last: Vec<(&String, f64)> = names.iter().zip(cost).skip(names.len() - 3).collect();
    assert_eq!(last[0].0, "default");
    assert!(last[0].1.abs() < 1e-12, "{last:?}");
    assert_eq!(last[1].0, "shop");
    assert!((last[1].1 - 0.18).abs() < 1e-12, "{last:?}");
    assert_eq!(last[2].0, "(unrequested)");
    assert!((last[2].1 - 0.18).abs() < 1e-12, "{last:?}");
}

#[test]
fn pods_that_can_never_run_are_warned_about_before_the_run() {
    let huge = service("huge", 1, 64_000);
    let mut quota_bound = service("bound", 1, 100);
    quota_bound.namespace = 1;
    let mut p = plan(
        vec![pool("p", &["a"], 8, 1)],
        vec![huge, quota_bound, service("ok", 1, 100)],
        1,
    );
    p.cluster.namespaces.push(NamespacePlan {
        name: "tiny".into(),
        quota_cpu_millis: Some(50),
        ..default_namespace()
    });
    let found = p.cluster.unschedulable();
    assert_eq!(
        found.iter().map(|u| u.pods).collect::<Vec<_>>(),
        [1, 1],
        "{found:?}"
    );
    let warnings: Vec<&str> = found.iter().map(|u| u.message.as_str()).collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].starts_with("service huge in r: requests cpu=64 memory="),
        "{warnings:?}"
    );
    assert!(
        warnings[1].contains("requests.cpu quota of namespace tiny"),
        "{warnings:?}"
    );
}

#[test]
fn preemption_spares_a_disruption_budget_when_another_node_will_do() {
    // Two 8-vCPU nodes holding 7 + 7 × 1000m low-priority pods of "free" (no PDB) and
    // "guarded" (PDB minAvailable 7: no disruption allowed). A critical pod needing 1000m must
    // evict one. Without budgets the least important pod — same priority and start, so the
    // highest id, a "guarded" one (created after "free") — would go; with them, victims are
    // reprieved budget-violating first and nodes compared by violations first, so a "free" pod
    // goes.
    let mut guarded = service("guarded", 7, 1000);
    guarded.min_available = Some(7);
    let free = service("free", 7, 1000);
    let mut critical = service("critical", 0, 1000);
    critical.priority = 1000;
    critical.replica_schedule = vec![(SimTime::from_secs(5), 1)];
    let out = run(
        &plan(
            vec![pool("p", &["a"], 8, 2)],
            vec![free, guarded, critical],
            10,
        ),
        |_| {},
    )
    .unwrap();
    let objects = texts(&out.events, "object");
    let preempted: Vec<&String> = reasons(&out)
        .iter()
        .zip(&objects)
        .filter(|(r, _)| *r == "Preempted")
        .map(|(_, o)| o)
        .collect();
    assert_eq!(preempted.len(), 1, "{preempted:?}");
    assert!(preempted[0].starts_with("pod/free-"), "{preempted:?}");
}

#[test]
fn a_scale_step_on_a_traffic_breakpoint_still_happens() {
    // Traffic changes every 60 s, and the rate change of 120 s arrives at the very instant the
    // scale step is due: the step must not be lost (it once was, when the rate change
    // rescheduled the model's wake-up onto "now", which nexosim refuses).
    let mut api = service("api", 2, 500);
    api.traffic = Shape::Diurnal {
        mean_rps: 10.0,
        amplitude: 0.5,
        peak_hour: 12.0,
        step: SimDuration::from_secs(60),
        time_zone: None,
    };
    api.replica_schedule = vec![(SimTime::from_secs(120), 3)];
    let out = run(&plan(vec![pool("p", &["a"], 8, 1)], vec![api], 200), |_| {}).unwrap();
    let desired = u64s(&out.timeseries, "desired_pods");
    assert_eq!((desired[119], desired[120]), (2, 3));
}

#[test]
fn a_hard_zone_spread_leaves_pods_pending_rather_than_skewed() {
    // Zone a has room for 7 pods of 1000m, zone b (2 vCPU, 1930m allocatable) for 1. With
    // maxSkew 1 over zones: pods 1 and 2 go one per zone; pod 3 may join zone a (skew
    // 2 − 1 = 1); pod 4 would make it 3 − 1 = 2 and zone b is full, so pods 4 and 5 wait.
    let mut api = service("api", 5, 1000);
    api.zone_max_skew = Some(1);
    let pools = vec![pool("a", &["a"], 8, 1), pool("b", &["b"], 2, 1)];
    let out = run(&plan(pools, vec![api], 1), |_| {}).unwrap();
    assert_eq!(ready_by_second(&out, "api")[0], 3);
    assert_eq!(u64s(&out.timeseries, "pending_pods")[0], 2);
}

#[test]
fn the_zone_spread_does_not_count_terminating_pods() {
    // Zones a and b, one 8-vCPU node each (7910m allocatable); three 1000m pods with zone
    // maxSkew 1 start a, b, a (ties go to the lower node id). Scaled to 1 at 10 s: the
    // ReplicaSet deletes the doubled-up pods first, both in zone a, which terminate until
    // 40 s. Scaled to 2 at 20 s: upstream's spread skips terminating pods, so a counts 0 and
    // b 1, and the new pod must go to a (b would make 2 − 0 = 2 > 1). Counting the
    // terminating pods (a 2, b 1) would force it into b instead.
    let mut api = service("api", 3, 1000);
    api.zone_max_skew = Some(1);
    api.replica_schedule = vec![(SimTime::from_secs(10), 1), (SimTime::from_secs(20), 2)];
    let pools = vec![pool("a", &["a"], 8, 1), pool("b", &["b"], 8, 1)];
    let out = run(&plan(pools, vec![api], 60), |_| {}).unwrap();
    let names = texts(&out.pool_timeseries, "pool");
    let cpu = f64s(&out.pool_timeseries, "cpu_requested_fraction");
    let of = |pool: &str| -> Vec<f64> {
        names
            .iter()
            .zip(&cpu)
            .filter(|(n, _)| *n == pool)
            .map(|(_, &c)| c)
            .collect()
    };
    let (a, b) = (of("a"), of("b"));
    let pods = |n: f64| n * 1000.0 / 7910.0;
    assert_eq!((a[0], b[0]), (pods(2.0), pods(1.0)));
    // Two terminating pods and the new one in a; after the grace period, one pod each.
    assert_eq!((a[25], b[25]), (pods(3.0), pods(1.0)));
    assert_eq!((a[45], b[45]), (pods(1.0), pods(1.0)));
}

#[test]
fn requested_to_capacity_ratio_with_a_packing_shape_prefers_the_fuller_node() {
    use clustersim_models::scheduler::resources::ShapePoint;
    // An 8-vCPU and a 32-vCPU node in one zone, both empty. One 1000m pod: LeastAllocated
    // takes the big node (more room left); a packing shape (0 % → 0, 100 % → 10) scores the
    // small node's 13 % CPU above the big node's 3 % and takes it.
    let pools = || vec![pool("small", &["a"], 8, 1), pool("big", &["a"], 32, 1)];
    let placed = |scoring: ScoringStrategy| {
        let mut p = plan(pools(), vec![service("api", 1, 1000)], 1);
        p.cluster.scoring = scoring;
        let out = run(&p, |_| {}).unwrap();
        f64s(&out.pool_timeseries, "cpu_requested_fraction")[..2].to_vec()
    };
    let least = placed(ScoringStrategy::LeastAllocated);
    assert!(least[0] == 0.0 && least[1] > 0.0, "{least:?}");
    let packing = placed(ScoringStrategy::RequestedToCapacityRatio {
        shape: vec![
            ShapePoint {
                utilization_percent: 0,
                score: 0,
            },
            ShapePoint {
                utilization_percent: 100,
                score: 10,
            },
        ],
    });
    assert!(packing[0] > 0.0 && packing[1] == 0.0, "{packing:?}");
}

#[test]
fn required_node_affinity_selects_pools_by_well_known_labels() {
    use clustersim_models::config::{
        NodeSelectorOperator, NodeSelectorRequirement, NodeSelectorTerm,
    };
    // An on-demand and a spot pool; a service that requires capacity-type In [on-demand]
    // lands only on the on-demand pool, even though LeastAllocated alone would split it.
    let mut spot = pool("spot", &["a"], 8, 1);
    spot.capacity_type = CapacityType::Spot;
    spot.instance.spot_usd_per_hour = Some(0.1);
    let mut api = service("api", 2, 1000);
    api.node_affinity = vec![NodeSelectorTerm {
        match_expressions: vec![NodeSelectorRequirement {
            key: "karpenter.sh/capacity-type".into(),
            operator: NodeSelectorOperator::In,
            values: vec!["on-demand".into()],
        }],
    }];
    let out = run(
        &plan(vec![pool("od", &["a"], 8, 1), spot], vec![api], 1),
        |_| {},
    )
    .unwrap();
    let cpu = f64s(&out.pool_timeseries, "cpu_requested_fraction");
    assert!((cpu[0] - 2000.0 / 7910.0).abs() < 1e-12, "{cpu:?}");
    assert_eq!(cpu[1], 0.0, "{cpu:?}");
}

#[test]
fn a_hard_hostname_spread_leaves_a_pod_pending_rather_than_stack_it() {
    // One zone, an 8-vCPU node (7 pods of 1000m) and a 2-vCPU node (1 pod). With maxSkew 1 per
    // node: pods 1 and 2 go one per node, pod 3 may double up on the big node (skew 2 − 1 = 1),
    // pod 4 would make it 3 − 1 = 2 and the small node is full: it waits. Without the
    // constraint all 4 would run.
    let pools = || vec![pool("big", &["a"], 8, 1), pool("small", &["a"], 2, 1)];
    let mut api = service("api", 4, 1000);
    api.host_max_skew = Some(1);
    let out = run(&plan(pools(), vec![api], 1), |_| {}).unwrap();
    assert_eq!(ready_by_second(&out, "api")[0], 3);
    assert_eq!(u64s(&out.timeseries, "pending_pods")[0], 1);
    let free = run(&plan(pools(), vec![service("api", 4, 1000)], 1), |_| {}).unwrap();
    assert_eq!(ready_by_second(&free, "api")[0], 4);
}

#[test]
fn a_run_past_its_event_budget_stops_with_the_budget_and_the_instant() {
    // Steady traffic below capacity, warm start: the cluster's events are the rates sent at
    // time zero (1) and one sample query per second from 0 s (event k + 2 at k s). A budget of
    // 10 runs out at the 11th event, the sample of 9 s; the run stops before the next step.
    let mut p = plan(
        vec![pool("p", &["a"], 4, 1)],
        vec![service("s", 2, 500)],
        60,
    );
    p.event_budget = 10;
    match run(&p, |_| {}) {
        Err(RunError::EventBudget { budget, at }) => {
            assert_eq!(budget, 10);
            assert_eq!(at, SimTime::from_nanos(9_000_000_000));
        }
        other => panic!("expected the event budget to stop the run, got {other:?}"),
    }
    // The same run within its budget ends normally.
    p.event_budget = DEFAULT_EVENT_BUDGET;
    assert!(run(&p, |_| {}).is_ok());
}

#[test]
fn a_scale_step_on_an_autoscaled_service_sets_the_hpa_minimum_instead_of_racing_it() {
    use clustersim_models::hpa::config::HpaConfig;
    use clustersim_models::hpa::model::HpaPlan;
    // Two 500m pods serving 10 rps of 200 rps capacity: 5 % CPU, so the HPA (cpu 80 %, min 1)
    // wants 1 replica. A step to 5 at 60 s becomes minReplicas 5: the HPA's sync at 60 s
    // (every 15 s from 15 s) scales to 5 and every later sync keeps 5. Before, the step set 5
    // and the HPA scaled back to its stabilized recommendation (2) at that same sync, then 1.
    let mut s = service("s", 2, 500);
    s.replica_schedule = vec![(SimTime::from_nanos(60_000_000_000), 5)];
    let mut p = plan(vec![pool("p", &["a"], 4, 1)], vec![s], 900);
    let config: HpaConfig = serde_json::from_str(r#"{"max_replicas": 10}"#).expect("an HPA");
    p.hpas = vec![HpaPlan {
        service: 0,
        name: "s-r".into(),
        config,
        capacity_rps: 100.0,
        declared_cpu_millis: 500,
        memory: None,
        bounds: vec![clustersim_models::api::BoundsStep::floor(
            SimTime::from_secs(60),
            5,
        )],
        cost_aware: None,
    }];
    let out = run(&p, |_| {}).expect("the run");
    let desired = u64s(&out.timeseries, "desired_pods");
    assert_eq!(desired.len(), 901);
    assert!(
        desired[..60].iter().all(|&n| n == 2),
        "{:?}",
        &desired[..60]
    );
    assert!(
        desired[60..].iter().all(|&n| n == 5),
        "{:?}",
        &desired[60..]
    );
}

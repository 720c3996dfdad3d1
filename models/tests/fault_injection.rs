//! The faults wired into a run (issue 9): node failures, zone and regional outages, spot waves,
//! failover, RPO and RTO — on hand-built plans whose outcome is worked out by hand in each test.

use clustersim_models::catalog::InstanceFacts;
use clustersim_models::config::{CapacityType, RegionConfig, Resources};
use clustersim_models::faults::config::{
    FailoverConfig, FailoverMode, FaultsConfig, LagModel, NodeFailureConfig, OutageConfig,
    ReplicationConfig, ReplicationMode, ReplicationTopology, RoutingPolicy, ScheduledFailure,
    WaveConfig, WaveScope, WritesPerRequest,
};
use clustersim_models::faults::draw::Timing;
use clustersim_models::faults::plan::FaultsPlan;
use clustersim_models::faults::rto::{RtoOutcome, RtoPhases};
use clustersim_models::faults::spot::Cloud;
use clustersim_models::plan::{ClusterPlan, NamespacePlan, PodTimings, PoolPlan, ServicePlan};
use clustersim_models::run::{DEFAULT_EVENT_BUDGET, Plan, RunOutput, run};
use clustersim_models::scheduler::resources::ScoringStrategy;
use sim::quantity::{Bytes, CpuMillis};
use sim::recorder::{Table, Values};
use sim::time::{SimDuration, SimTime, UtcInstant};
use workloads::traffic::Shape;

const GIB: u64 = 1 << 30;

fn d(secs: u64) -> SimDuration {
    SimDuration::from_secs(secs)
}

/// A pool of 4-vCPU nodes (allocatable 3920m: three 1-cpu pods each) in `region`.
fn pool(name: &str, region: &str, zones: &[&str], nodes: u32, spot: bool) -> PoolPlan {
    PoolPlan {
        name: name.into(),
        region: region.into(),
        zones: zones.iter().map(|z| z.to_string()).collect(),
        instance: InstanceFacts {
            instance_type: "test-4".into(),
            region: region.into(),
            vcpu: 4,
            memory_bytes: 16 * GIB,
            ondemand_usd_per_hour: 0.2,
            spot_usd_per_hour: Some(0.06),
            interruption_band: None,
        },
        capacity_type: if spot {
            CapacityType::Spot
        } else {
            CapacityType::OnDemand
        },
        nodes,
        min_nodes: 0,
        max_nodes: None,
        provisioning_delay: d(60),
        labels: Default::default(),
        taints: Vec::new(),
        reservation: Default::default(),
    }
}

/// `replicas` pods of 1 cpu in `region`, 100 requests/s each, startup 5 s, readiness 10 s.
fn service(name: &str, region: &str, replicas: u32, rps: f64) -> ServicePlan {
    ServicePlan {
        name: name.into(),
        region: region.into(),
        namespace: 0,
        priority: 0,
        replicas,
        replica_schedule: Vec::new(),
        requests: Resources {
            cpu: CpuMillis(1000),
            memory: Bytes(GIB / 4),
        },
        limits: (None, None),
        capacity_rps: 100.0,
        timeout: d(30),
        traffic: Shape::Constant { rps },
        timings: PodTimings {
            startup: d(5),
            readiness: d(10),
            termination_grace: d(30),
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

fn regions(list: &[(&str, &[&str])]) -> Vec<RegionConfig> {
    list.iter()
        .map(|(name, zones)| RegionConfig {
            name: name.to_string(),
            zones: zones.iter().map(|z| z.to_string()).collect(),
            provider: None,
        })
        .collect()
}

fn plan(
    pools: Vec<PoolPlan>,
    services: Vec<ServicePlan>,
    seconds: u64,
    interval_s: u64,
    faults: FaultsPlan,
) -> Plan {
    Plan {
        seed: 1,
        fidelity: Default::default(),
        start: UtcInstant::from_unix_s(0),
        duration: d(seconds),
        output_interval: d(interval_s),
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
            minimum_billed: d(60),
            control_plane: Default::default(),
        },
        hpas: Vec::new(),
        hpa_controller: Default::default(),
        vpas: Vec::new(),
        policies: Default::default(),
        batch: None,
        routes: Vec::new(),
        node_autoscalers: Vec::new(),
        faults: Some(faults),
        event_budget: DEFAULT_EVENT_BUDGET,
    }
}

fn faults(config: FaultsConfig, regions: Vec<RegionConfig>) -> FaultsPlan {
    FaultsPlan {
        config,
        spot: Vec::new(),
        cloud: Cloud::Aws,
        pool_clouds: Vec::new(),
        regions,
    }
}

fn column<'a>(table: &'a Table, name: &str) -> &'a Values {
    table
        .column(name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

fn texts(table: &Table, name: &str) -> Vec<String> {
    match column(table, name) {
        Values::Text(v) => v.clone(),
        other => panic!("{name}: {other:?}"),
    }
}

/// A u64 column of one service (or pool) by sample, selected by `key_column`.
fn series_u64(table: &Table, key_column: &str, key: &str, name: &str) -> Vec<u64> {
    let keys = texts(table, key_column);
    let Values::U64(values) = column(table, name) else {
        panic!("{name} is not u64");
    };
    keys.iter()
        .zip(values)
        .filter(|(k, _)| *k == key)
        .map(|(_, &v)| v)
        .collect()
}

/// Events as (time in s, reason, object).
/// (time, reason, object, count) of each event.
fn events(out: &RunOutput) -> Vec<(f64, String, String, u64)> {
    let Values::F64(times) = column(&out.events, "time_s") else {
        panic!("time_s");
    };
    let Values::U64(counts) = column(&out.events, "count") else {
        panic!("count");
    };
    times
        .iter()
        .zip(texts(&out.events, "reason"))
        .zip(texts(&out.events, "object"))
        .zip(counts)
        .map(|(((&t, r), o), &n)| (t, r, o, n))
        .collect()
}

/// How many times `reason` happened (events of count n count n times).
fn count(out: &RunOutput, reason: &str) -> u64 {
    events(out)
        .iter()
        .filter(|e| e.1 == reason)
        .map(|e| e.3)
        .sum()
}

#[test]
fn a_failed_node_stops_serving_at_once_and_its_pods_move_after_grace_and_toleration() {
    // Two nodes in one zone, four 1-cpu pods: two on each (LeastAllocated spreads). One node
    // fails at 100 s (scheduled). Its two pods stop serving at 100 s: 4 → 2 ready.
    // Evicted at 100 + 50 (grace) + 300 (toleration) = 450 s; the node is terminated then.
    // Replacements: the other node has 3920 − 2000 = 1920m free, room for one 1-cpu pod:
    // bound at 450 s, started at 455 s, ready at 465 s → 3 ready, 1 pending.
    let config = FaultsConfig {
        node_failures: vec![NodeFailureConfig {
            pool: "p".into(),
            mtbf: None,
            scheduled: vec![ScheduledFailure {
                at: d(100),
                nodes: 1,
            }],
        }],
        ..FaultsConfig::default()
    };
    let p = plan(
        vec![pool("p", "r", &["a"], 2, false)],
        vec![service("api", "r", 4, 10.0)],
        500,
        1,
        faults(config, regions(&[("r", &["a"])])),
    );
    let out = run(&p, |_| {}).unwrap();
    let ready = series_u64(&out.timeseries, "service", "api", "ready_pods");
    let pending = series_u64(&out.timeseries, "service", "api", "pending_pods");
    assert_eq!((ready[99], ready[100]), (4, 2));
    assert_eq!((ready[449], ready[464], ready[465]), (2, 2, 3));
    assert_eq!((pending[449], pending[450]), (0, 1));
    let nodes = series_u64(&out.pool_timeseries, "pool", "p", "nodes");
    assert_eq!((nodes[449], nodes[450]), (2, 1));
    let e = events(&out);
    let not_ready: Vec<f64> = e
        .iter()
        .filter(|x| x.1 == "NodeNotReady")
        .map(|x| x.0)
        .collect();
    assert_eq!(not_ready, [100.0]);
    assert_eq!(
        e.iter()
            .filter(|x| x.1 == "Evicted" && x.0 == 450.0)
            .map(|x| x.3)
            .sum::<u64>(),
        2
    );
    assert!(e.iter().any(|x| x.1 == "RemovingNode" && x.0 == 450.0));
}

fn zone_outage(duration_s: u64) -> FaultsConfig {
    FaultsConfig {
        zone_outages: vec![OutageConfig {
            name: "a".into(),
            at: Timing::Exactly(d(100)),
            duration: Timing::Exactly(d(duration_s)),
        }],
        ..FaultsConfig::default()
    }
}

#[test]
fn a_short_zone_outage_recovers_its_nodes_and_pods_without_eviction() {
    // One node per zone (a, b), two pods each. Zone a down 100 s → 300 s, shorter than the
    // 350 s to eviction: its pods stop serving (4 → 2), the node comes back Ready at 300 s and
    // its pods pass readiness 10 s later (310 s: 4 ready). Nothing is evicted or terminated.
    let p = plan(
        vec![pool("p", "r", &["a", "b"], 2, false)],
        vec![service("api", "r", 4, 10.0)],
        400,
        1,
        faults(zone_outage(200), regions(&[("r", &["a", "b"])])),
    );
    let out = run(&p, |_| {}).unwrap();
    let ready = series_u64(&out.timeseries, "service", "api", "ready_pods");
    assert_eq!(
        (ready[99], ready[100], ready[309], ready[310]),
        (4, 2, 2, 4)
    );
    assert_eq!(count(&out, "Evicted"), 0);
    assert_eq!(count(&out, "RemovingNode"), 0);
    assert_eq!(count(&out, "NodeNotReady"), 1);
    // The down node stays billed: two nodes all along.
    let nodes = series_u64(&out.pool_timeseries, "pool", "p", "nodes");
    assert!(nodes.iter().all(|&n| n == 2));
}

#[test]
fn a_long_zone_outage_evicts_its_pods_and_keeps_its_nodes_for_the_recovery() {
    // Zone a down 100 s → 1100 s. At 450 s its two pods are evicted: zone b's node has room
    // for one (1920m free), bound at 450 s, ready at 465 s (3 ready); the other stays pending
    // until zone a's node is back at 1100 s, then ready at 1115 s (4 ready). The down node is
    // not terminated.
    let p = plan(
        vec![pool("p", "r", &["a", "b"], 2, false)],
        vec![service("api", "r", 4, 10.0)],
        1200,
        1,
        faults(zone_outage(1000), regions(&[("r", &["a", "b"])])),
    );
    let out = run(&p, |_| {}).unwrap();
    let ready = series_u64(&out.timeseries, "service", "api", "ready_pods");
    let pending = series_u64(&out.timeseries, "service", "api", "pending_pods");
    assert_eq!((ready[100], ready[464], ready[465]), (2, 2, 3));
    assert_eq!((pending[1099], pending[1100]), (1, 0));
    assert_eq!((ready[1114], ready[1115]), (3, 4));
    assert_eq!(count(&out, "Evicted"), 2);
    assert_eq!(count(&out, "RemovingNode"), 0);
}

#[test]
fn a_spot_wave_drains_its_victims_at_the_notice_and_skips_the_void_reclaim() {
    // Four spot nodes; a wave at 100 s takes round(0.5 × 4) = 2 of them with a zero window:
    // both noticed at 100 s and drained (pods evicted, nodes gone once the 30 s grace period
    // ends, at 130 s). The AWS reclaim at 220 s finds them gone: no second event.
    let config = FaultsConfig {
        waves: vec![WaveConfig {
            at: Timing::Exactly(d(100)),
            scope: WaveScope::Pool {
                pool: "spot".into(),
                share: 0.5,
            },
            window: d(0),
        }],
        ..FaultsConfig::default()
    };
    let p = plan(
        vec![pool("spot", "r", &["a"], 4, true)],
        vec![service("api", "r", 8, 10.0)],
        300,
        1,
        faults(config, regions(&[("r", &["a"])])),
    );
    let out = run(&p, |_| {}).unwrap();
    let e = events(&out);
    let noticed: Vec<&(f64, String, String, u64)> =
        e.iter().filter(|x| x.1 == "SpotInterruption").collect();
    assert_eq!(noticed.len(), 2, "{noticed:?}");
    assert!(noticed.iter().all(|x| x.0 == 100.0));
    let gone: Vec<f64> = e
        .iter()
        .filter(|x| x.1 == "RemovingNode")
        .map(|x| x.0)
        .collect();
    assert_eq!(gone, [130.0, 130.0]);
    let nodes = series_u64(&out.pool_timeseries, "pool", "spot", "nodes");
    assert_eq!((nodes[129], nodes[130]), (4, 2));
}

/// Two regions behind active-passive failover, `primary` down at 600 s for an hour; clients
/// send 100 requests/s from each region. `standby_replicas` pods wait in the standby.
fn failover_plan(standby_replicas: u32, dns_step: bool) -> Plan {
    let mut failover = FailoverConfig {
        routing: RoutingPolicy::Failover(vec!["west".into(), "east".into()]),
        mode: FailoverMode::ActivePassive {
            primary: "west".into(),
            standby_min_replicas: standby_replicas,
        },
        ..FailoverConfig::default()
    };
    if dns_step {
        failover.dns_shift = clustersim_models::faults::config::DnsShift::Step;
    }
    let config = FaultsConfig {
        region_outages: vec![OutageConfig {
            name: "west".into(),
            at: Timing::Exactly(d(600)),
            duration: Timing::Exactly(d(3600)),
        }],
        failover: Some(failover),
        replication: Some(ReplicationConfig {
            primary: "west".into(),
            topology: ReplicationTopology::SingleWriter,
            replicas: vec!["east".into()],
            mode: ReplicationMode::Async(LagModel::Constant(d(5))),
            writes_per_s: None,
            writes_per_request: Some(WritesPerRequest {
                service: "api".into(),
                writes: 0.5,
            }),
        }),
        ..FaultsConfig::default()
    };
    plan(
        vec![
            pool("w", "west", &["w1"], 2, false),
            pool("e", "east", &["e1"], 2, false),
        ],
        vec![
            service("api", "west", 4, 100.0),
            service("api", "east", standby_replicas, 100.0),
        ],
        1800,
        10,
        faults(config, regions(&[("west", &["w1"]), ("east", &["e1"])])),
    )
}

#[test]
fn rto_of_a_ready_warm_standby_is_detection_plus_one_ttl() {
    // Hand computation (defaults: health checks every 10 s, 3 failures, TTL 60 s):
    //   detection: checks at 610, 620, 630 s fail → seen unhealthy at 630 s: 30 s;
    //   routing: every client on the new answer one TTL later, 690 s: 60 s;
    //   warm-up: the standby's 4 pods were ready before the failure: 0 s;
    //   scale-up: 200 requests/s on 4 pods of 100 is ρ = 0.5, the SLO holds at once: 0 s.
    // RTO = 30 + 60 + 0 + 0 = 90 s: the first sample with no traffic sent to the dead region
    // is 690 s (at 680 s a sixth of the linear shift, or all of a step shift, still goes
    // there), and the SLO then holds for the 5-minute hold.
    // RPO: constant lag 5 s; writes 0.5 per request × 200 requests/s (both regions' clients
    // on the primary) = 100 writes/s → 500 writes lost.
    for step in [false, true] {
        let out = run(&failover_plan(4, step), |_| {}).unwrap();
        assert_eq!(out.recovery.len(), 1);
        let r = &out.recovery[0];
        assert_eq!(r.region, "west");
        assert_eq!(r.failed_at, SimTime::from_secs(600));
        let phases = RtoPhases {
            detection: d(30),
            routing: d(60),
            warm_up: d(0),
            scale_up: d(0),
        };
        assert_eq!(
            r.rto,
            RtoOutcome::Restored {
                restored_at: SimTime::from_secs(690),
                rto: d(90),
                phases,
            },
            "step: {step}"
        );
        assert_eq!(phases.total(), d(90));
        let rpo = r.rpo.expect("the primary failed");
        assert_eq!(rpo.lag, d(5));
        assert!((rpo.unreplicated_writes - 500.0).abs() < 1e-9, "{rpo:?}");
    }
}

/// Active-active `api` in west and east, 100 requests/s each, west down at 600 s; the
/// replicas replay at most 80 writes/s after a 1 s delay; 0.5 writes per request.
fn active_active_replication(topology: ReplicationTopology) -> Plan {
    let config = FaultsConfig {
        region_outages: vec![OutageConfig {
            name: "west".into(),
            at: Timing::Exactly(d(600)),
            duration: Timing::Exactly(d(600)),
        }],
        replication: Some(ReplicationConfig {
            primary: "west".into(),
            topology,
            replicas: vec!["east".into()],
            mode: ReplicationMode::Async(LagModel::Throughput {
                apply_writes_per_s: 80.0,
                base: d(1),
            }),
            writes_per_s: None,
            writes_per_request: Some(WritesPerRequest {
                service: "api".into(),
                writes: 0.5,
            }),
        }),
        ..FaultsConfig::default()
    };
    plan(
        vec![
            pool("w", "west", &["w1"], 2, false),
            pool("e", "east", &["e1"], 2, false),
        ],
        vec![
            service("api", "west", 4, 100.0),
            service("api", "east", 4, 100.0),
        ],
        900,
        10,
        faults(config, regions(&[("west", &["w1"]), ("east", &["e1"])])),
    )
}

#[test]
fn a_single_writer_replays_every_regions_writes_and_per_region_primaries_their_own() {
    // Single writer: 0.5 × (100 + 100) = 100 writes/s against 80 replayed, from 0 s: at the
    // failure the backlog is (100 − 80) × 600 = 12 000 writes, the lag 1 s + 12 000 / 80 =
    // 151 s, and 100 × 1 s in flight + 12 000 = 12 100 writes are lost.
    let out = run(
        &active_active_replication(ReplicationTopology::SingleWriter),
        |_| {},
    )
    .unwrap();
    let rpo = out.recovery[0].rpo.expect("the primary failed");
    assert_eq!(rpo.lag, d(151));
    assert!((rpo.unreplicated_writes - 12_100.0).abs() < 1e-6, "{rpo:?}");
    // Per-region primaries: west's database takes west's 50 writes/s, under the 80 replayed:
    // no backlog, lag 1 s, 50 writes in flight.
    let out = run(
        &active_active_replication(ReplicationTopology::PerRegionPrimaries),
        |_| {},
    )
    .unwrap();
    let rpo = out.recovery[0].rpo.expect("west's primary failed");
    assert_eq!(rpo.lag, d(1));
    assert!((rpo.unreplicated_writes - 50.0).abs() < 1e-9, "{rpo:?}");
}

#[test]
fn the_split_follows_health_checks_and_ttl() {
    // Before the failure every client goes to the primary: west 200 requests/s, east 0.
    // After the shift (from 690 s) east takes all 200 and west none.
    let out = run(&failover_plan(4, false), |_| {}).unwrap();
    let regions = texts(&out.timeseries, "region");
    let Values::F64(arrival) = column(&out.timeseries, "arrival_rps") else {
        panic!()
    };
    let at = |region: &str, sample: usize| {
        regions
            .iter()
            .zip(arrival)
            .filter(|(r, _)| *r == region)
            .nth(sample)
            .map(|(_, &a)| a)
            .unwrap()
    };
    assert_eq!((at("west", 59), at("east", 59)), (200.0, 0.0));
    assert_eq!((at("west", 69), at("east", 69)), (0.0, 200.0));
    // Halfway through the linear shift (sample 660 s, stretch [660, 665) evaluated at its
    // midpoint 662.5 s: (662.5 − 630) / 60 of the clients have moved).
    let moved = (662.5 - 630.0) / 60.0;
    assert!(
        (at("east", 66) - 200.0 * moved).abs() < 1e-9,
        "{}",
        at("east", 66)
    );
}

#[test]
fn an_outage_with_no_spare_capacity_reports_the_missed_slo() {
    // The standby has no pod and nothing scales it: the traffic moves to a region that
    // cannot serve it. The run ends normally and the RTO is "not restored", at least from
    // the failure (600 s) to the last sample (1800 s).
    let out = run(&failover_plan(0, false), |_| {}).unwrap();
    assert_eq!(
        out.recovery[0].rto,
        RtoOutcome::NotRestored { at_least: d(1200) }
    );
    let dropped: f64 = out.services.iter().map(|s| s.total.dropped).sum();
    assert!(dropped > 0.0);
}

#[test]
fn the_same_seed_gives_the_same_faults() {
    let config = || FaultsConfig {
        waves: vec![WaveConfig {
            at: Timing::Between(d(10), d(200)),
            scope: WaveScope::Zone {
                zone: "a".into(),
                share: 0.5,
            },
            window: d(60),
        }],
        node_failures: vec![NodeFailureConfig {
            pool: "od".into(),
            mtbf: Some(d(2000)),
            scheduled: Vec::new(),
        }],
        ..FaultsConfig::default()
    };
    let with_seed = |seed: u64| {
        let mut p = plan(
            vec![
                pool("spot", "r", &["a", "b"], 8, true),
                pool("od", "r", &["a", "b"], 4, false),
            ],
            vec![service("api", "r", 20, 500.0)],
            3600,
            60,
            faults(config(), regions(&[("r", &["a", "b"])])),
        );
        p.seed = seed;
        events(&run(&p, |_| {}).unwrap())
    };
    let a = with_seed(1);
    assert_eq!(a, with_seed(1));
    assert!(a.iter().any(|e| e.1 == "SpotInterruption"));
    assert!(a.iter().any(|e| e.1 == "NodeNotReady"));
    assert_ne!(a, with_seed(2));
}

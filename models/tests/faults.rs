//! Faults and failover: hand-computed cases for spot rates and waves, node lifecycle timings,
//! health checks and DNS, RPO and RTO (issue 9).

use std::collections::BTreeMap;

use clustersim_models::catalog::{Catalog, Provider};
use clustersim_models::config::{CapacityType, NodePoolConfig, RegionConfig};
use clustersim_models::faults::config::{
    DnsShift, Failback, FailoverConfig, FailoverMode, FaultsConfig, InterruptionRate, LagModel,
    ReplicationMode, RoutingPolicy, SpotPoolConfig,
};
use clustersim_models::faults::draw::{self, Timing};
use clustersim_models::faults::hazard::HazardClock;
use clustersim_models::faults::node_failure::{
    self, NodeFailureClock, NodeLifecycleConfig, scheduled_failures,
};
use clustersim_models::faults::outage::{
    HealthEvent, OutageScope, region_health_events, resolve_outages,
};
use clustersim_models::faults::replication::Replication;
use clustersim_models::faults::router::{FailoverRouter, observed_changes};
use clustersim_models::faults::rto::{RtoOutcome, RtoPhases, RtoTracker};
use clustersim_models::faults::spot::{
    self, Cloud, SpotBand, SpotClock, SpotTimings, wave_interruptions, wave_stream_path,
};
use sim::rng;
use sim::time::{SimDuration, SimTime};

fn s(secs: u64) -> SimTime {
    SimTime::from_secs(secs)
}

fn d(secs: u64) -> SimDuration {
    SimDuration::from_secs(secs)
}

const AWS: SpotTimings = SpotTimings {
    notice: SimDuration::from_secs(120),
    rebalance_lead: None,
};

// ---------------------------------------------------------------- spot: bands → rates

#[test]
fn band_to_rate_is_the_constant_hazard_of_the_midpoint_share() {
    // λ = −ln(1 − p) / 720 h. <5%: p = 0.025, −ln(0.975) = 0.0253178080, / 720 = 3.51636e-5
    // per node-hour (one reclaim per 28,438 node-hours). >20%: p = 0.25, −ln(0.75) =
    // 0.2876820725, / 720 = 3.99558e-4 (one per 2,503 node-hours).
    let cases = [
        ("<5%", 0.025, 3.516362220040263e-05),
        ("5-10%", 0.075, 1.0827991870793306e-04),
        ("10-15%", 0.125, 1.854602675340592e-04),
        ("15-20%", 0.175, 2.6718318423257797e-04),
        (">20%", 0.25, 3.995584339608068e-04),
    ];
    for (label, p, rate) in cases {
        let band = SpotBand::from_label(label).unwrap();
        assert_eq!(band.label(), label);
        assert_eq!(band.monthly_fraction(), p);
        assert!((band.rate_per_node_hour() - rate).abs() < 1e-15, "{label}");
        // Round trip: an instance alive 720 h is reclaimed with probability p.
        let reclaimed = 1.0 - (-band.rate_per_node_hour() * spot::HOURS_PER_MONTH).exp();
        assert!((reclaimed - p).abs() < 1e-12, "{label}");
    }
    assert_eq!(SpotBand::from_label("<5 %"), None);
}

#[test]
fn pool_rate_comes_from_the_catalog_band_or_the_experiment() {
    // Built-in AWS catalog: us-east-1 c4.large is "<5%", m1.small ">20%" (Spot Advisor CSV).
    let aws = Catalog::builtin(Provider::Aws).unwrap();
    let band = |t: &str| {
        aws.get(t, "us-east-1")
            .unwrap()
            .interruption_band
            .as_deref()
    };
    assert_eq!(
        spot::catalog_band_rate(band("c4.large")),
        Some(3.516362220040263e-05)
    );
    assert_eq!(
        spot::catalog_band_rate(band("m1.small")),
        Some(SpotBand::Over20.rate_per_node_hour())
    );

    let mut pool = SpotPoolConfig {
        pool: "spot".into(),
        interruptions: InterruptionRate::Catalog,
        notice: None,
        rebalance_lead: None,
    };
    assert_eq!(
        pool.rate_per_node_hour(Some("10-15%")),
        Ok(SpotBand::From10To15.rate_per_node_hour())
    );
    // GCP rows carry no band: the experiment must give one.
    let e = pool.rate_per_node_hour(None).unwrap_err();
    assert!(e.contains("PerNodeHour"), "{e}");
    pool.interruptions = InterruptionRate::PerNodeHour(0.002);
    assert_eq!(pool.rate_per_node_hour(None), Ok(0.002));
    // Notice by cloud: AWS 120 s, GCP 30 s, Azure 30 s; an explicit one wins.
    assert_eq!(pool.timings(Cloud::Aws).notice, d(120));
    assert_eq!(pool.timings(Cloud::from(Provider::Gcp)).notice, d(30));
    assert_eq!(Cloud::Azure.spot_notice(), d(30));
    pool.notice = Some(d(45));
    assert_eq!(pool.timings(Cloud::Aws).notice, d(45));
}

// ---------------------------------------------------------------- spot: clocks and waves

#[test]
fn spot_wave_reclaims_the_same_nodes_for_the_same_seed_and_others_for_another() {
    // 100 spot nodes with ids 1000..1100, listed in a scrambled order: the choice depends on
    // the set only. share 0.2 → round(20.0) = 20 nodes.
    let mut ids: Vec<u32> = (1000..1100).collect();
    ids.reverse();
    ids.swap(3, 70);
    let wave = |seed: u64, ids: &[u32]| {
        let mut rng = rng::stream(seed, &wave_stream_path("us-east-1a", 0));
        wave_interruptions(&mut rng, s(36_000), d(120), 0.2, ids, AWS)
    };
    let nodes = |w: &[spot::Interruption]| {
        let mut n: Vec<u32> = w.iter().map(|i| i.node).collect();
        n.sort();
        n
    };
    let a = wave(1, &ids);
    let sorted: Vec<u32> = (1000..1100).collect();
    assert_eq!(a.len(), 20);
    assert_eq!(a, wave(1, &sorted));
    assert_eq!(nodes(&a), nodes(&wave(1, &ids)));
    assert_ne!(nodes(&a), nodes(&wave(2, &ids)));
    let mut distinct = nodes(&a);
    distinct.dedup();
    assert_eq!(distinct.len(), 20);
    for i in &a {
        assert!(ids.contains(&i.node));
        // Noticed within [10 h, 10 h + 2 min], reclaimed 120 s later (AWS).
        assert!(
            i.notice_at >= s(36_000) && i.notice_at <= s(36_120),
            "{i:?}"
        );
        assert_eq!(i.reclaim_at, i.notice_at + d(120));
        assert_eq!(i.rebalance_at, None);
    }
    assert!(a.windows(2).all(|w| w[0].notice_at <= w[1].notice_at));
    // share 1 takes every node; an empty scope takes none.
    let mut rng = rng::stream(1, "w");
    assert_eq!(
        wave_interruptions(&mut rng, s(0), d(0), 1.0, &ids, AWS).len(),
        100
    );
    assert!(wave_interruptions(&mut rng, s(0), d(0), 0.5, &[], AWS).is_empty());
}

#[test]
fn spot_clock_rate_scales_with_nodes_and_resetting_does_not_redraw() {
    let rate = SpotBand::Over20.rate_per_node_hour();
    let clock = |nodes: u32| {
        let mut c = SpotClock::new(7, "us-east-1", "spot", rate, AWS);
        c.set_nodes(s(0), nodes);
        c
    };
    // Same unit budget E: with 10 nodes the first signal is at E / (10 λ), with 20 at half.
    let t10 = clock(10).next_signal_at().unwrap().as_nanos();
    let t20 = clock(20).next_signal_at().unwrap().as_nanos();
    assert!((t10 as i128 - 2 * t20 as i128).abs() <= 2, "{t10} vs {t20}");
    // Telling the clock the same count again (an autoscaler that re-reports) changes nothing.
    let mut c = clock(10);
    for k in 1..5 {
        c.set_nodes(s(60 * k), 10);
    }
    assert_eq!(c.next_signal_at().unwrap().as_nanos(), t10);
    // No node, no reclaim.
    assert_eq!(clock(0).next_signal_at(), None);

    // The victim is one of the current nodes; the notice follows a rebalance lead.
    let mut c = SpotClock::new(
        7,
        "us-east-1",
        "spot",
        rate,
        SpotTimings {
            notice: d(120),
            rebalance_lead: Some(d(600)),
        },
    );
    c.set_nodes(s(0), 3);
    let at = c.next_signal_at().unwrap();
    let i = c.interrupt(at, &[42, 7, 19]).unwrap();
    assert!([7, 19, 42].contains(&i.node));
    assert_eq!(i.rebalance_at, Some(at));
    assert_eq!(i.notice_at, at + d(600));
    assert_eq!(i.reclaim_at, at + d(720));
    assert_eq!(c.interrupt(at, &[]), None);
}

#[test]
fn hazard_clock_count_matches_its_rate() {
    // 1,000 nodes at 0.01 per node-hour for 100 h: mean 1,000 events, sd √1000 ≈ 31.6.
    let mut c = HazardClock::new(0.01, rng::stream(3, "test/hazard"));
    c.set_nodes(s(0), 1000);
    let ids: Vec<u32> = (0..1000).collect();
    let end = s(100 * 3600);
    let mut count = 0;
    while let Some(t) = c.next_at().filter(|&t| t < end) {
        c.fire(t, &ids).unwrap();
        c.set_nodes(t, 1000);
        count += 1;
    }
    let mean = spot::expected_reclaims(0.01, 1000, 100.0);
    assert_eq!(mean, 1000.0);
    assert!(
        (f64::from(count) - mean).abs() < 4.0 * mean.sqrt(),
        "{count}"
    );
}

// ---------------------------------------------------------------- node failures

#[test]
fn node_failure_pods_are_evicted_after_grace_and_toleration() {
    // Defaults: grace 50 s (kube-controller-manager ≥ v1.32), toleration 300 s.
    // Failure at 1,000 s → NotReady at 1,050 s → pods evicted at 1,350 s.
    let lifecycle = NodeLifecycleConfig::default();
    assert_eq!(lifecycle.node_monitor_grace_period, d(50));
    assert_eq!(lifecycle.unreachable_toleration, d(300));
    let f = lifecycle.timeline(9, s(1000));
    assert_eq!((f.node, f.failed_at), (9, s(1000)));
    assert_eq!(f.not_ready_at, s(1050));
    assert_eq!(f.evicted_at, s(1350));
    let parsed: NodeLifecycleConfig =
        serde_json::from_str(r#"{"node_monitor_grace_period": "40s"}"#).unwrap();
    assert_eq!(parsed.timeline(0, s(0)).evicted_at, s(340));

    // MTBF clock: 4 nodes at MTBF 100 h → pool rate 0.04 per hour; the victim is a live node.
    let mut c = NodeFailureClock::new(5, "us-east-1", "general", d(100 * 3600), lifecycle);
    c.set_nodes(s(0), 4);
    let at = c.next_failure_at().unwrap();
    let f = c.fail(at, &[1, 2, 3, 4]).unwrap();
    assert!((1..=4).contains(&f.node));
    assert_eq!(f.evicted_at, at + d(350));

    // Scheduled: 2 of 5 nodes, the same ones for the same seed.
    let pick = |seed| {
        let mut rng = node_failure::scheduled_stream(seed, "us-east-1", "general");
        scheduled_failures(&mut rng, s(3600), 2, &[5, 4, 3, 2, 1], &lifecycle)
    };
    let a = pick(1);
    assert_eq!(a.len(), 2);
    assert_eq!(a, pick(1));
    assert!(
        a.iter()
            .all(|f| f.failed_at == s(3600) && f.evicted_at == s(3950))
    );
}

// ---------------------------------------------------------------- outages

#[test]
fn outages_resolve_within_their_ranges_and_merge_per_region() {
    let cfg: FaultsConfig = serde_json::from_str(
        r#"{
            "zone_outages": [{"name": "us-east-1a", "at": {"Between": ["1h", "2h"]},
                              "duration": {"Exactly": "30m"}}],
            "region_outages": [
                {"name": "us-west-2", "at": {"Exactly": "6h"}, "duration": {"Exactly": "2h"}},
                {"name": "us-west-2", "at": {"Exactly": "7h"}, "duration": {"Exactly": "2h"}}
            ]
        }"#,
    )
    .unwrap();
    cfg.validate().unwrap();
    let o = resolve_outages(11, &cfg.zone_outages, &cfg.region_outages);
    assert_eq!(
        o,
        resolve_outages(11, &cfg.zone_outages, &cfg.region_outages)
    );
    assert_eq!(o.len(), 3);
    let zone = o
        .iter()
        .find(|o| o.scope == OutageScope::Zone("us-east-1a".into()))
        .unwrap();
    assert!(zone.start >= s(3600) && zone.start <= s(7200));
    assert_eq!(zone.end, zone.start + d(1800));
    // Two overlapping outages of us-west-2 (6–8 h and 7–9 h) are one down window 6–9 h.
    let regions = vec!["us-east-1".to_owned(), "us-west-2".to_owned()];
    assert_eq!(
        region_health_events(&o, &regions),
        vec![
            HealthEvent {
                at: s(6 * 3600),
                region: 1,
                healthy: false
            },
            HealthEvent {
                at: s(9 * 3600),
                region: 1,
                healthy: true
            },
        ]
    );
}

// ---------------------------------------------------------------- health checks and DNS

fn two_regions() -> Vec<String> {
    vec!["us-west-2".to_owned(), "us-east-1".to_owned()]
}

fn active_passive(shift: DnsShift) -> FailoverConfig {
    FailoverConfig {
        routing: RoutingPolicy::Failover(vec!["us-west-2".into(), "us-east-1".into()]),
        mode: FailoverMode::ActivePassive {
            primary: "us-west-2".into(),
            standby_min_replicas: 3,
        },
        dns_shift: shift,
        ..FailoverConfig::default()
    }
}

fn down(at: u64, region: usize) -> HealthEvent {
    HealthEvent {
        at: s(at),
        region,
        healthy: false,
    }
}

fn up(at: u64, region: usize) -> HealthEvent {
    HealthEvent {
        at: s(at),
        region,
        healthy: true,
    }
}

fn share(router: &FailoverRouter, t: u64, origin: usize, region: usize) -> f64 {
    router.split_from(s(t), origin).shares[region].1
}

#[test]
fn health_checks_need_threshold_consecutive_failures() {
    let obs = |events: &[(u64, bool)], offset: u64| {
        let actual: Vec<(SimTime, bool)> = events.iter().map(|&(t, h)| (s(t), h)).collect();
        observed_changes(&actual, d(10), d(offset), 3)
            .into_iter()
            .map(|(t, h)| (t.as_nanos() / 1_000_000_000, h))
            .collect::<Vec<_>>()
    };
    // Checks at 0, 10, 20, ...; down at 600: the check at 600 saw it up, 610/620/630 fail.
    assert_eq!(
        obs(&[(600, false), (900, true)], 0),
        [(630, false), (930, true)]
    );
    // Offset 5 s: checks at 605, 615, 625 → detected 25 s after the failure.
    assert_eq!(obs(&[(600, false)], 5), [(625, false)]);
    // A 15 s blip is seen by two checks only: never detected.
    assert_eq!(obs(&[(600, false), (615, true)], 0), []);
    // Down at 0, a 1 s recovery between checks (25–26 s), down again: checks 10, 20, 30 all
    // fail, so the region is detected at 30 s as if it never came back.
    assert_eq!(
        obs(&[(0, false), (25, true), (26, false)], 0),
        [(30, false)]
    );
}

#[test]
fn rto_of_health_checks_10s_x3_ttl_60s_and_a_ready_warm_standby() {
    // us-west-2 (primary) fails at 600 s, on a multiple of the check interval.
    //   detection: checks at 600 (saw it up), 610, 620, 630 fail → seen unhealthy at 630 s: 30 s
    //   routing:   DNS answers us-east-1 from 630 s; every client has moved one TTL later,
    //              690 s: 60 s
    //   warm-up:   the standby's 3 replicas were ready before the failure: 0 s
    //   scale-up:  the standby absorbs the load at once: 0 s
    //   RTO = 30 + 60 + 0 + 0 = 90 s, restored at 690 s.
    // The SLO is judged met when no traffic goes to a dead region (the standby has capacity).
    for shift in [DnsShift::Linear, DnsShift::Step] {
        let mut router = FailoverRouter::new(&active_passive(shift), &two_regions()).unwrap();
        router.set_health(down(600, 0));
        assert_eq!(router.standby_min_replicas(1), Some(3));
        assert_eq!(router.standby_min_replicas(0), None);
        assert_eq!(router.detected_at(0, s(600)), Some(s(630)));
        assert_eq!(router.clients_moved_at(s(630)), s(690));

        let mut rto = RtoTracker::new(s(600), d(60));
        rto.set_detected(s(630));
        rto.set_routed(s(690));
        rto.set_warm(s(0)); // ready before the failure
        for t in (0..=1200).step_by(1) {
            let split = router.weights_at(s(t), &[1.0, 1.0]);
            rto.observe(s(t), split.to_down == 0.0 && split.unserved == 0.0);
        }
        let phases = RtoPhases {
            detection: d(30),
            routing: d(60),
            warm_up: d(0),
            scale_up: d(0),
        };
        assert_eq!(
            rto.outcome(),
            RtoOutcome::Restored {
                restored_at: s(690),
                rto: d(90),
                phases,
            },
            "{shift:?}"
        );
        assert_eq!(phases.total(), d(90));
        assert!(rto.outcome().meets(d(3600)));
        assert!(!rto.outcome().meets(d(89)));
    }
}

#[test]
fn dns_shift_is_a_step_or_linear_over_the_ttl() {
    let mut linear =
        FailoverRouter::new(&active_passive(DnsShift::Linear), &two_regions()).unwrap();
    let mut step = FailoverRouter::new(&active_passive(DnsShift::Step), &two_regions()).unwrap();
    for r in [&mut linear, &mut step] {
        r.set_health(down(600, 0));
        r.set_health(up(7800, 0));
    }
    // Before detection everything goes to the (dead) primary.
    assert_eq!(share(&linear, 629, 0, 0), 1.0);
    assert_eq!(linear.split_from(s(629), 0).to_down, 1.0);
    // Linear: 15 s into the 60 s TTL a quarter has moved; step: nobody until 690 s.
    assert!((share(&linear, 645, 0, 1) - 0.25).abs() < 1e-12);
    assert!((share(&linear, 689, 1, 0) - 1.0 / 60.0).abs() < 1e-12);
    assert_eq!(share(&step, 689, 0, 0), 1.0);
    assert_eq!(share(&step, 690, 0, 1), 1.0);
    assert_eq!(share(&linear, 690, 0, 1), 1.0);
    // Recovery at 7,800 s: checks 7,810/7,820/7,830 pass → back to the primary from 7,830 s,
    // every client by 7,890 s.
    assert_eq!(
        linear.observed_changes(0),
        [(s(630), false), (s(7830), true)]
    );
    assert!(linear.seen_healthy(0, s(7830)) && !linear.seen_healthy(0, s(7829)));
    assert!((share(&linear, 7860, 0, 0) - 0.5).abs() < 1e-12);
    assert_eq!(share(&step, 7890, 0, 0), 1.0);
    assert!(!step.is_up(0, s(7799)) && step.is_up(0, s(7800)));
}

#[test]
fn no_region_left_reports_unserved_traffic_instead_of_panicking() {
    // Both regions fail at 600 s. After detection (630 s) the DNS answer is empty; after the
    // TTL (690 s) every share is 0, all traffic is unserved, and the flag is set.
    let configs = [
        active_passive(DnsShift::Linear),
        FailoverConfig::default(),
        FailoverConfig {
            routing: RoutingPolicy::Weighted(BTreeMap::from([
                ("us-west-2".to_owned(), 1.0),
                ("us-east-1".to_owned(), 1.0),
            ])),
            dns_shift: DnsShift::Step,
            ..FailoverConfig::default()
        },
    ];
    for cfg in configs {
        let mut router = FailoverRouter::new(&cfg, &two_regions()).unwrap();
        router.set_health(down(600, 0));
        router.set_health(down(600, 1));
        let before = router.weights_at(s(600), &[0.0, 0.0]);
        assert!(!before.no_region_can_serve);
        assert_eq!(before.to_down, 1.0);
        let after = router.weights_at(s(690), &[10.0, 5.0]);
        assert!(after.no_region_can_serve, "{cfg:?}");
        assert!(after.shares.iter().all(|(_, x)| *x == 0.0), "{after:?}");
        assert_eq!(after.unserved, 1.0);
        assert_eq!(after.to_down, 0.0);
        // The RTO of such an outage, with samples until the end of the run, is not restored.
        let mut rto = RtoTracker::new(s(600), d(300));
        for t in (600..=3600).step_by(60) {
            let split = router.weights_at(s(t), &[1.0, 1.0]);
            rto.observe(s(t), split.unserved == 0.0 && split.to_down == 0.0);
        }
        assert_eq!(rto.outcome(), RtoOutcome::NotRestored { at_least: d(3000) });
        assert!(!rto.outcome().meets(d(3600)));
    }
}

#[test]
fn weighted_and_latency_policies() {
    let regions = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
    let weighted = FailoverConfig {
        routing: RoutingPolicy::Weighted(BTreeMap::from([
            ("a".to_owned(), 3.0),
            ("b".to_owned(), 1.0),
            ("c".to_owned(), 0.0),
        ])),
        dns_ttl: d(0),
        ..FailoverConfig::default()
    };
    let mut r = FailoverRouter::new(&weighted, &regions).unwrap();
    let w = r.weights_at(s(0), &[]);
    assert_eq!(
        w.shares.iter().map(|(_, x)| *x).collect::<Vec<_>>(),
        [0.75, 0.25, 0.0]
    );
    // a fails at 100 s (seen at 130 s): b takes everything; then b too: the weight-0 c.
    r.set_health(down(100, 0));
    assert_eq!(share(&r, 130, 2, 1), 1.0);
    r.set_health(down(200, 1));
    assert_eq!(share(&r, 230, 0, 2), 1.0);

    // Latency: each client region to its own; c's clients go to b, then a, when c fails.
    let latency = FailoverConfig {
        nearest: BTreeMap::from([("c".to_owned(), vec!["b".to_owned(), "a".to_owned()])]),
        dns_ttl: d(0),
        ..FailoverConfig::default()
    };
    let mut r = FailoverRouter::new(&latency, &regions).unwrap();
    assert_eq!(share(&r, 0, 2, 2), 1.0);
    r.set_health(down(100, 2));
    assert_eq!(share(&r, 130, 2, 1), 1.0);
    assert_eq!(share(&r, 130, 0, 0), 1.0);
    // Global split of 100 rps from a, 0 from b, 300 from c after c failed: a 25 %, b 75 %.
    let g = r.weights_at(s(130), &[100.0, 0.0, 300.0]);
    assert_eq!(
        g.shares.iter().map(|(_, x)| *x).collect::<Vec<_>>(),
        [0.25, 0.75, 0.0]
    );
    assert_eq!(r.region_index("c"), Some(2));
}

// ---------------------------------------------------------------- RPO

#[test]
fn rpo_with_a_constant_lag_is_the_lag_and_lag_times_write_rate() {
    // Async, constant lag 5 s, 200 writes/s at the failure: RPO 5 s and 5 × 200 = 1,000 writes.
    let mut db = Replication::new(
        1,
        "us-west-2",
        ReplicationMode::Async(LagModel::Constant(d(5))),
    );
    db.set_write_rate(s(0), 200.0);
    let rpo = db.rpo_at(s(600));
    assert_eq!(rpo.lag, d(5));
    assert_eq!(rpo.unreplicated_writes, 1000.0);
    assert!(rpo.meets(d(900)));
    assert!(!rpo.meets(d(4)));
    // Sync loses nothing.
    let mut sync = Replication::new(1, "us-west-2", ReplicationMode::Sync);
    sync.set_write_rate(s(0), 200.0);
    let rpo = sync.rpo_at(s(600));
    assert_eq!((rpo.lag, rpo.unreplicated_writes), (d(0), 0.0));
}

#[test]
fn rpo_from_write_rate_against_replication_throughput() {
    // Replicas apply 100 writes/s after 1 s. 150 writes/s for 60 s → backlog 50 × 60 = 3,000:
    // lag 1 + 3,000 / 100 = 31 s, writes lost 150 × 1 + 3,000 = 3,150.
    let mode = ReplicationMode::Async(LagModel::Throughput {
        apply_writes_per_s: 100.0,
        base: d(1),
    });
    let mut db = Replication::new(1, "us-west-2", mode);
    db.set_write_rate(s(0), 150.0);
    let rpo = db.rpo_at(s(60));
    assert_eq!(rpo.lag, d(31));
    assert_eq!(rpo.unreplicated_writes, 3150.0);
    // Then 50 writes/s for 30 s drains 1,500: lag 1 + 15 = 16 s; after 60 s more it is empty.
    db.set_write_rate(s(60), 50.0);
    assert_eq!(db.rpo_at(s(90)).lag, d(16));
    assert_eq!(db.backlog_writes(s(150)), 0.0);
    assert_eq!(db.rpo_at(s(150)).lag, d(1));
}

#[test]
fn rpo_with_a_lag_distribution_is_seeded() {
    let mode = ReplicationMode::Async(LagModel::LogNormal {
        median: d(2),
        p99: d(20),
    });
    let draws = |seed| {
        let mut db = Replication::new(seed, "us-west-2", mode);
        (0..2001).map(|k| db.rpo_at(s(k)).lag).collect::<Vec<_>>()
    };
    let a = draws(1);
    assert_eq!(a, draws(1));
    assert_ne!(a, draws(2));
    // The sample median of 2,001 draws is within 10 % of 2 s (its sd is about 4 % here).
    let mut sorted = a.clone();
    sorted.sort();
    let median = sorted[1000].as_secs_f64();
    assert!((median - 2.0).abs() < 0.2, "{median}");
    // About 1 % above the p99: expect 20, allow 4 sd (√19.8 ≈ 4.5).
    let above = a.iter().filter(|l| **l > d(20)).count();
    assert!((2..=38).contains(&above), "{above}");
}

// ---------------------------------------------------------------- RTO tracker

#[test]
fn rto_needs_the_slo_to_hold() {
    // Failure at 0; a lucky ok sample at 60 s, not ok at 120 s, ok from 180 s on. With a
    // 120 s hold, 180 s is confirmed at the 300 s sample: RTO 180 s. Only detection was
    // recorded (at 30 s): the rest is scale-up.
    let mut rto = RtoTracker::new(s(0), d(120));
    rto.set_detected(s(30));
    for (t, ok) in [
        (0, false),
        (60, true),
        (120, false),
        (180, true),
        (240, true),
    ] {
        rto.observe(s(t), ok);
    }
    assert_eq!(rto.outcome(), RtoOutcome::NotRestored { at_least: d(240) });
    rto.observe(s(300), true);
    rto.observe(s(360), false); // after the confirmation: ignored
    let RtoOutcome::Restored {
        restored_at,
        rto: total,
        phases,
    } = rto.outcome()
    else {
        panic!("not restored");
    };
    assert_eq!((restored_at, total), (s(180), d(180)));
    assert_eq!(
        phases,
        RtoPhases {
            detection: d(30),
            routing: d(0),
            warm_up: d(0),
            scale_up: d(150),
        }
    );
    assert_eq!(phases.total(), total);
    assert_eq!(rto.failure_at(), s(0));
}

// ---------------------------------------------------------------- configuration

fn experiment() -> (Vec<RegionConfig>, Vec<NodePoolConfig>) {
    let regions = vec![
        RegionConfig {
            name: "us-west-2".into(),
            zones: vec!["us-west-2a".into()],
            provider: None,
        },
        RegionConfig {
            name: "us-east-1".into(),
            zones: vec!["us-east-1a".into(), "us-east-1b".into()],
            provider: None,
        },
    ];
    let pool = |name: &str, capacity_type| NodePoolConfig {
        name: name.into(),
        region: "us-east-1".into(),
        zones: None,
        instance_type: "c4.large".into(),
        capacity_type,
        nodes: 3,
        min_nodes: 0,
        max_nodes: None,
        provisioning_delay: sim::time::SimDuration::from_secs(60),
        labels: BTreeMap::new(),
        taints: Vec::new(),
        allocatable: None,
        reserved: None,
    };
    (
        regions,
        vec![
            pool("general", CapacityType::OnDemand),
            pool("spot", CapacityType::Spot),
        ],
    )
}

#[test]
fn config_parses_with_documented_defaults() {
    let cfg: FaultsConfig = serde_json::from_str(
        r#"{
            "spot": [{"pool": "spot", "interruptions": {"Band": "10-15%"}}],
            "waves": [{"at": {"Exactly": "10h"}, "scope": {"Zone": {"zone": "us-east-1a", "share": 0.3}},
                       "window": "2m"}],
            "node_failures": [{"pool": "general", "mtbf": "2000h", "scheduled": [{"at": "3h"}]}],
            "failover": {"mode": {"ActivePassive": {"primary": "us-west-2", "standby_min_replicas": 3}},
                         "routing": {"Failover": ["us-west-2", "us-east-1"]}},
            "replication": {"primary": "us-west-2", "replicas": ["us-east-1"],
                            "mode": {"Async": {"Constant": "5s"}}, "writes_per_s": 200},
            "targets": {"rpo": "15m", "rto": "1h"}
        }"#,
    )
    .unwrap();
    cfg.validate().unwrap();
    let (regions, pools) = experiment();
    cfg.check_references(&regions, &pools, &[]).unwrap();
    assert_eq!(
        cfg.spot[0].interruptions,
        InterruptionRate::Band(SpotBand::From10To15)
    );
    assert_eq!(cfg.spot[0].notice, None);
    assert_eq!(cfg.node_failures[0].scheduled[0].nodes, 1);
    let f = cfg.failover.as_ref().unwrap();
    assert_eq!(f.health_check_interval, d(10));
    assert_eq!(f.failure_threshold, 3);
    assert_eq!(f.health_check_offset, d(0));
    assert_eq!(f.dns_ttl, d(60));
    assert_eq!(f.dns_shift, DnsShift::Linear);
    assert_eq!(cfg.node_lifecycle, NodeLifecycleConfig::default());
    assert_eq!(cfg.targets.rpo, Some(d(900)));
    assert_eq!(cfg.targets.rto, Some(d(3600)));
    assert_eq!(cfg.targets.rto_hold, d(300));
    assert_eq!(cfg.waves[0].scope.target(), "us-east-1a");

    // Unknown fields and bad bands are parse errors.
    assert!(serde_json::from_str::<FaultsConfig>(r#"{"spots": []}"#).is_err());
    let e = serde_json::from_str::<FaultsConfig>(
        r#"{"spot": [{"pool": "spot", "interruptions": {"Band": "5%"}}]}"#,
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("unknown Spot Advisor band `5%`"),
        "{e}"
    );
    assert_eq!(
        serde_json::from_str::<FaultsConfig>("{}").unwrap(),
        FaultsConfig::default()
    );
}

#[test]
fn validate_names_the_field() {
    let (regions, pools) = experiment();
    let path = |json: &str| -> String {
        let cfg: FaultsConfig = serde_json::from_str(json).unwrap();
        match cfg.validate() {
            Err(e) => e.path,
            Ok(()) => cfg
                .check_references(&regions, &pools, &[])
                .map_or_else(|e| e.path, |()| "ok".into()),
        }
    };
    let cases = [
        (
            r#"{"waves": [{"at": {"Exactly": "1h"}, "scope": {"Pool": {"pool": "spot", "share": 1.5}}, "window": "1m"}]}"#,
            "waves[0].scope.share",
        ),
        (
            r#"{"waves": [{"at": {"Between": ["2h", "1h"]}, "scope": {"Pool": {"pool": "spot", "share": 0.5}}, "window": "1m"}]}"#,
            "waves[0].at",
        ),
        (
            r#"{"spot": [{"pool": "spot", "interruptions": {"PerNodeHour": -1}}]}"#,
            "spot[0].interruptions",
        ),
        (
            r#"{"node_failures": [{"pool": "general"}]}"#,
            "node_failures[0]",
        ),
        (
            r#"{"node_failures": [{"pool": "general", "mtbf": "0s"}]}"#,
            "node_failures[0].mtbf",
        ),
        (
            r#"{"failover": {"failure_threshold": 0}}"#,
            "failover.failure_threshold",
        ),
        (
            r#"{"failover": {"health_check_offset": "10s"}}"#,
            "failover.health_check_offset",
        ),
        (
            r#"{"replication": {"primary": "us-west-2", "mode": "Sync"}}"#,
            "replication",
        ),
        (
            r#"{"region_outages": [{"name": "us-west-2", "at": {"Exactly": "1h"}, "duration": {"Exactly": "0s"}}]}"#,
            "region_outages[0].duration",
        ),
        // References.
        (r#"{"spot": [{"pool": "general"}]}"#, "spot[0].pool"),
        (r#"{"spot": [{"pool": "nope"}]}"#, "spot[0].pool"),
        (
            r#"{"zone_outages": [{"name": "us-west-2", "at": {"Exactly": "1h"}, "duration": {"Exactly": "1h"}}]}"#,
            "zone_outages[0].name",
        ),
        (
            r#"{"failover": {"routing": {"Failover": ["us-west-2", "eu-west-1"]}}}"#,
            "failover.routing.Failover[1]",
        ),
        (
            r#"{"failover": {"mode": {"ActivePassive": {"primary": "mars"}}}}"#,
            "failover.mode.primary",
        ),
        (
            r#"{"replication": {"primary": "us-west-2", "mode": "Sync", "writes_per_request": {"service": "api", "writes": 0.5}}}"#,
            "replication.writes_per_request.service",
        ),
        (r#"{"spot": [{"pool": "spot"}], "failover": {}}"#, "ok"),
    ];
    for (json, expected) in cases {
        assert_eq!(path(json), expected, "{json}");
    }
}

#[test]
fn draws_are_seeded_and_in_range() {
    let mut rng = rng::stream(9, "test/draw");
    for _ in 0..1000 {
        let u = draw::uniform_open0(&mut rng);
        assert!(u > 0.0 && u <= 1.0);
        assert!(draw::index_below(&mut rng, 7) < 7);
        let t = Timing::Between(d(10), d(20)).draw(&mut rng);
        assert!(t >= d(10) && t <= d(20));
    }
    assert_eq!(Timing::Exactly(d(5)).draw(&mut rng), d(5));
    assert!(Timing::Between(d(2), d(1)).check().is_err());
    // Mean of exponentials with mean 3: within 4 sd (3 / √4000 ≈ 0.047).
    let mean: f64 = (0..4000)
        .map(|_| draw::exponential(&mut rng, 3.0))
        .sum::<f64>()
        / 4000.0;
    assert!((mean - 3.0).abs() < 0.19, "{mean}");
    let z: f64 = (0..4000)
        .map(|_| draw::standard_normal(&mut rng))
        .sum::<f64>()
        / 4000.0;
    assert!(z.abs() < 4.0 / 4000f64.sqrt(), "{z}");
    let subset = draw::choose_subset(&mut rng, &[5, 1, 3], 5);
    assert_eq!(subset, [1, 3, 5]);
}

#[test]
fn stream_paths_and_names_are_the_documented_ones() {
    // The stream names are part of the determinism contract: renaming one changes every draw.
    use clustersim_models::faults::{outage, replication};
    assert_eq!(
        spot::spot_stream_path("us-east-1", "general"),
        "faults/spot/us-east-1/general"
    );
    assert_eq!(
        wave_stream_path("us-east-1a", 2),
        "faults/wave/us-east-1a/2"
    );
    assert_eq!(
        node_failure::node_stream_path("us-east-1", "general"),
        "faults/node/us-east-1/general"
    );
    assert_eq!(
        outage::outage_stream_path("region", "us-west-2", 0),
        "faults/outage/region/us-west-2/0"
    );
    assert_eq!(
        replication::replication_stream_path("us-west-2"),
        "faults/replication/us-west-2"
    );
    assert_eq!(SpotBand::From15To20.to_string(), "15-20%");
    assert_eq!(
        HazardClock::new(0.5, rng::stream(1, "x")).rate_per_node_hour(),
        0.5
    );
    let router = FailoverRouter::new(&FailoverConfig::default(), &two_regions()).unwrap();
    assert_eq!(router.regions(), two_regions());
    let bad = FailoverConfig {
        routing: RoutingPolicy::Failover(vec!["eu-west-1".into()]),
        ..FailoverConfig::default()
    };
    let e = FailoverRouter::new(&bad, &two_regions()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "failover.routing.Failover[0]: `eu-west-1` is not a region of the load balancer"
    );
}

#[test]
fn a_gradual_failback_returns_the_primary_its_traffic_in_steps() {
    // The primary fails at 100 s (seen at 130 s) and is back at 500 s (seen healthy at 530 s:
    // checks at 510, 520, 530 s). With a 100 s ramp and no TTL, its share over
    // [530 + 10k, 530 + 10(k+1)) is (k + 0.5) / 10, the standby's the rest; full from 630 s.
    let config = FailoverConfig {
        dns_ttl: d(0),
        failback: Failback::Gradual(d(100)),
        ..active_passive(DnsShift::Linear)
    };
    let mut r = FailoverRouter::new(&config, &two_regions()).unwrap();
    r.set_health(down(100, 0));
    r.set_health(up(500, 0));
    assert_eq!(share(&r, 529, 0, 1), 1.0);
    for k in 0..10 {
        let f = (k as f64 + 0.5) / 10.0;
        let t = 530 + 10 * k + 5;
        assert!((share(&r, t, 0, 0) - f).abs() < 1e-12, "at {t} s");
        assert!((share(&r, t, 0, 1) - (1.0 - f)).abs() < 1e-12, "at {t} s");
    }
    assert_eq!(share(&r, 630, 0, 0), 1.0);
    assert_eq!(r.failback_done_at(s(530)), s(630));
    // Immediate: all of it at 530 s.
    let mut r = FailoverRouter::new(
        &FailoverConfig {
            dns_ttl: d(0),
            ..active_passive(DnsShift::Linear)
        },
        &two_regions(),
    )
    .unwrap();
    r.set_health(down(100, 0));
    r.set_health(up(500, 0));
    assert_eq!(share(&r, 530, 0, 0), 1.0);
    assert!(r.failback_steps().is_empty());
}

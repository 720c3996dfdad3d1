//! End-to-end tests of faults and failover through the `clustersim` binary: the RTO and RPO of
//! a hand-computed regional failover in `summary.json` and as targets, a spot wave's victims
//! by seed (from `events.csv`), an outage with nowhere to go, identical outputs for a seed,
//! and the bad input the `faults` section refuses. The pieces are checked on their own in
//! `models/tests/faults.rs` and wired into a run in `models/tests/fault_injection.rs`.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::text;

/// Two regions behind active-passive failover (health checks 10 s × 3, TTL 60 s, the
/// defaults), the primary `us-west1` down from 10 min for an hour; each region's clients send
/// 100 requests/s; `standby` pods of 1 cpu and 100 requests/s wait in `us-east1`. The database
/// replicates with a constant 5 s lag and takes 0.5 writes per request at the primary.
fn failover(standby: u32, targets: &str) -> String {
    format!(
        r#"Experiment(
    name: "failover",
    duration: "30m",
    output_interval: "10s",
    regions: [
        (name: "us-west1", zones: ["us-west1-a"]),
        (name: "us-east1", zones: ["us-east1-b"]),
    ],
    node_pools: [
        (name: "west", region: "us-west1", instance_type: "e2-standard-4", nodes: 2),
        (name: "east", region: "us-east1", instance_type: "e2-standard-4", nodes: 2),
    ],
    services: [(
        name: "api",
        replicas: 4,
        requests: (cpu: "1", memory: "1Gi"),
        capacity_rps: 100,
        traffic: Constant(rps: 100),
    )],
    targets: {targets},
    faults: (
        region_outages: [(name: "us-west1", at: Exactly("10m"), duration: Exactly("1h"))],
        failover: (
            routing: Failover(["us-west1", "us-east1"]),
            mode: ActivePassive(primary: "us-west1", standby_min_replicas: {standby}),
        ),
        replication: (
            primary: "us-west1",
            replicas: ["us-east1"],
            mode: Async(Constant("5s")),
            writes_per_request: (service: "api", writes: 0.5),
        ),
    ),
    // The outage drops the requests sent before DNS moves them (3 % here) and leaves the dead
    // region's pods Pending for an hour: the built-in checks would fail every run, and these
    // tests judge RPO and RTO alone.
    checks: (max_dropped_share: None, max_pending_share: None),
)
"#
    )
}

fn run_file(src: &str, name: &str, extra: &[&str]) -> (Output, tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let r = common::run_in(tmp.path(), name, src, &out, extra);
    (r, tmp, out)
}

fn summary_of(out: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

fn check<'a>(summary: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    summary["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no target {name}: {summary}"))
}

#[test]
fn a_regional_failover_reports_its_rto_phases_and_rpo_against_the_targets() {
    // Hand computation:
    //   detection: us-west1 fails at 600 s; checks at 610, 620, 630 s fail → 630 s: 30 s;
    //   routing: clients follow DNS over one 60 s TTL → 690 s: 60 s;
    //   warm-up: the standby's 4 pods were ready before: 0 s;
    //   scale-up: 200 requests/s on 4 pods of 100 (ρ 0.5) meets the SLO at once: 0 s.
    //   RTO = 30 + 60 + 0 + 0 = 90 s (the 690 s sample is the first with nothing sent to the
    //   dead region, and the SLO holds the 5-minute hold after it).
    //   RPO: lag 5 s; 0.5 writes/request × 200 requests/s at the primary × 5 s = 500 writes.
    let (r, _tmp, out) = run_file(&failover(4, r#"(rpo: "15m", rto: "1h")"#), "failover", &[]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let s = summary_of(&out);
    let rec = &s["recovery"];
    assert_eq!(rec["rto_s"], 90.0);
    assert_eq!(rec["rpo_s"], 5.0);
    assert_eq!(rec["rpo_writes"], 500.0);
    assert_eq!(rec["rto_target_s"], 3600.0);
    assert_eq!(rec["rpo_target_s"], 900.0);
    let f = &rec["failures"][0];
    assert_eq!(f["region"], "us-west1");
    assert_eq!(f["failed_at_s"], 600.0);
    assert_eq!(f["region_back_at_s"], 4200.0);
    let p = &f["phases_s"];
    assert_eq!(
        (
            &p["detection"],
            &p["routing"],
            &p["warm_up"],
            &p["scale_up"]
        ),
        (
            &serde_json::json!(30.0),
            &serde_json::json!(60.0),
            &serde_json::json!(0.0),
            &serde_json::json!(0.0)
        )
    );
    assert_eq!((&f["rto_met"], &f["rpo_met"]), (&true.into(), &true.into()));
    // The targets are judged like the others: `rpo_s<=900`, `rto_s<=3600`.
    let rpo = check(&s, "rpo_s");
    assert_eq!(
        (&rpo["expression"], &rpo["pass"]),
        (&"rpo_s<=900".into(), &true.into())
    );
    assert_eq!(rpo["margin"], 895.0);
    let rto = check(&s, "rto_s");
    assert_eq!(
        (&rto["expression"], &rto["margin"]),
        (&"rto_s<=3600".into(), &3510.0.into())
    );
    // The report has the recovery section and the gate metrics exist.
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Recovery: RPO and RTO"));
    let (r, _tmp, _) = run_file(&failover(4, "()"), "failover", &["--gate", "rto_s<60"]);
    assert_eq!(r.status.code(), Some(1), "a 90 s RTO misses rto_s<60");
}

#[test]
fn tight_targets_are_missed_by_the_right_amount() {
    // RPO target 1 s against a 5 s lag; RTO target 60 s against 90 s.
    let (r, _tmp, out) = run_file(&failover(4, r#"(rpo: "1s", rto: "1m")"#), "failover", &[]);
    assert_eq!(r.status.code(), Some(1), "{}", text(&r.stderr));
    let s = summary_of(&out);
    assert_eq!(check(&s, "rpo_s")["margin"], -4.0);
    assert_eq!(check(&s, "rto_s")["margin"], -30.0);
    assert_eq!(s["recovery"]["failures"][0]["rto_met"], false);
}

#[test]
fn an_outage_with_no_spare_capacity_anywhere_reports_the_missed_slo() {
    // No standby pod and nothing to scale one: the traffic moves to a region that cannot serve
    // it. The run finishes; the RTO is not measured (not restored: at least 1 200 s, from the
    // failure at 600 s to the last sample), so the RTO target fails, and the requests sent
    // after the failure are dropped.
    let (r, _tmp, out) = run_file(&failover(0, r#"(rto: "1h")"#), "failover", &[]);
    assert_eq!(r.status.code(), Some(1), "{}", text(&r.stderr));
    let s = summary_of(&out);
    let f = &s["recovery"]["failures"][0];
    assert!(f["rto_s"].is_null());
    assert_eq!(f["rto_at_least_s"], 1200.0);
    assert!(s["recovery"]["rto_s"].is_null());
    let rto = check(&s, "rto_s");
    assert_eq!(
        (&rto["pass"], &rto["actual"]),
        (&false.into(), &serde_json::Value::Null)
    );
    assert!(s["requests"]["dropped"].as_f64().unwrap() > 0.0);
}

/// A spot pool of 8 nodes over two zones; a wave at 10 min takes half the spot nodes of
/// zone `us-east1-b` within 2 minutes.
fn spot_wave() -> String {
    r#"Experiment(
    name: "wave",
    duration: "30m",
    regions: [(name: "us-east1", zones: ["us-east1-b", "us-east1-c"])],
    node_pools: [
        (name: "spot", region: "us-east1", instance_type: "e2-standard-4", capacity_type: Spot, nodes: 8),
    ],
    services: [(
        name: "api",
        replicas: 12,
        requests: (cpu: "1", memory: "1Gi"),
        capacity_rps: 100,
        traffic: Constant(rps: 600),
    )],
    faults: (
        spot: [(pool: "spot", interruptions: PerNodeHour(0))],
        waves: [(at: Exactly("10m"), scope: Zone(zone: "us-east1-b", share: 0.5), window: "2m")],
    ),
)
"#
    .to_owned()
}

/// The nodes that got a spot notice, from `events.csv`, and when.
fn noticed(out: &Path) -> Vec<(String, String)> {
    let csv = fs::read_to_string(out.join("events.csv")).unwrap();
    csv.lines()
        .skip(1)
        .filter(|l| l.contains(",SpotInterruption,") && l.contains("notice"))
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[0].to_owned(), cells[3].to_owned())
        })
        .collect()
}

#[test]
fn a_spot_wave_reclaims_the_same_nodes_for_the_same_seed_and_others_for_another() {
    // Zone us-east1-b has 4 of the 8 nodes (round-robin over two zones): the wave notices
    // round(0.5 × 4) = 2 of them, at instants in [600 s, 720 s], GCP's 30 s notice each.
    let src = spot_wave();
    let nodes_of = |seed: &str| {
        let (r, _tmp, out) = run_file(&src, "wave", &["--seed", seed]);
        assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
        noticed(&out)
    };
    let a = nodes_of("1");
    assert_eq!(a.len(), 2, "{a:?}");
    for (t, node) in &a {
        let t: f64 = t.parse().unwrap();
        assert!((600.0..=720.0).contains(&t), "{t}");
        assert!(node.starts_with("node/spot-us-east1-b-"), "{node}");
    }
    assert_eq!(a, nodes_of("1"));
    // Another seed: other instants for sure, and (for these seeds) another pair of nodes.
    let b = nodes_of("4");
    let names = |v: &[(String, String)]| {
        let mut n: Vec<String> = v.iter().map(|x| x.1.clone()).collect();
        n.sort();
        n
    };
    assert_ne!(names(&a), names(&b), "{a:?} {b:?}");
}

#[test]
fn the_same_seed_gives_byte_identical_outputs() {
    let src = failover(4, r#"(rpo: "15m", rto: "1h")"#);
    let (_, _tmp_a, a) = run_file(&src, "failover", &[]);
    let (_, _tmp_b, b) = run_file(&src, "failover", &[]);
    let mut files: Vec<String> = fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.ends_with('/') && Path::new(&a).join(n).is_file())
        .collect();
    files.sort();
    assert!(files.contains(&"summary.json".to_owned()));
    for f in files {
        assert_eq!(
            fs::read(a.join(&f)).unwrap(),
            fs::read(b.join(&f)).unwrap(),
            "{f} differs"
        );
    }
}

fn assert_bad(src: &str, line_col: &str, words: &[&str]) {
    let (r, _tmp, out) = run_file(src, "bad", &[]);
    assert_eq!(r.status.code(), Some(2), "{}", text(&r.stderr));
    let err = text(&r.stderr);
    assert!(err.contains(line_col), "{err}");
    for w in words {
        assert!(err.contains(w), "{w}: {err}");
    }
    assert!(!out.exists());
}

#[test]
fn bad_faults_are_located_with_their_field_path() {
    // An unknown pool: line 16 is the `spot` entry, column 23 its `pool` value.
    let src = spot_wave().replace(r#"spot: [(pool: "spot""#, r#"spot: [(pool: "nope""#);
    assert_bad(
        &src,
        ":16:23",
        &["faults.spot[0].pool", "unknown node pool `nope`"],
    );
    // GCP publishes no Spot Advisor band: a spot pool needs its own rate.
    let src = spot_wave().replace(", interruptions: PerNodeHour(0)", "");
    assert_bad(
        &src,
        ":16:",
        &["faults.spot[0].interruptions", "GCP and Azure publish none"],
    );
    // A share out of range.
    let src = spot_wave().replace("share: 0.5", "share: 1.5");
    assert_bad(&src, ":17:77", &["faults.waves[0].scope.share", "(0, 1]"]);
    // An RPO target without replication.
    let src = spot_wave().replace(
        "    faults: (",
        "    targets: (rpo: \"15m\"),\n    faults: (",
    );
    assert_bad(&src, ":15:", &["targets.rpo", "faults.replication"]);
    // RPO/RTO targets belong in `targets`.
    let src = failover(4, "()").replace(
        "    faults: (\n",
        "    faults: (\n        targets: (rto: \"1h\"),\n",
    );
    assert_bad(&src, ":22:24", &["faults.targets.rto", "`targets` section"]);
}

#[test]
fn an_immediate_failback_onto_a_scaled_down_region_drops_and_a_gradual_one_does_not() {
    // us-west1 is back at 4 200 s; the health checks pass it at 4 230 s (checks at 4 210,
    // 4 220, 4 230 s, threshold 3). Immediate: every client follows one 60 s TTL later, 4 290 s,
    // sending 600 requests/s to the 1 pod (100 requests/s) the HPA left there: requests queue
    // past the 30 s timeout until the HPA has scaled up. Gradual("10m"): the region's share
    // grows in ten one-minute steps of 5 %, 15 %, … and the HPA keeps up; the traffic is back
    // in full at 4 230 + 600 + 60 = 4 890 s.
    let (r, _tmp, out) = run_file(&common::failback_experiment("Immediate"), "failback", &[]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let f = &summary_of(&out)["recovery"]["failures"][0]["failback"];
    assert_eq!(f["returned_at_s"], 4290.0);
    let immediate = f["dropped_requests"].as_f64().unwrap();
    // At most the excess over one pod for the minutes the HPA takes: 500/s × 5 min.
    assert!(immediate > 0.0 && immediate < 500.0 * 300.0, "{f}");
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("after failback"),
        "the recovery table has the column"
    );

    let (r, _tmp, out) = run_file(
        &common::failback_experiment(r#"Gradual("10m")"#),
        "failback",
        &[],
    );
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let f = &summary_of(&out)["recovery"]["failures"][0]["failback"];
    assert_eq!(f["returned_at_s"], 4890.0);
    assert_eq!(f["dropped_requests"], 0.0);
    assert_eq!(f["restored_after_s"], 0.0);
}

#[test]
fn the_failover_answers_are_in_the_decisions_table_and_explained_during_the_outage() {
    // The hand computation of the RTO test above, as the load balancer's decisions: checks see
    // us-west1 down at 630 s (30 s after it failed), the DNS answer drops it and every client
    // has moved one 60 s TTL later (690 s); the RTO books 90 s at 690 s, the RPO 5 s.
    let (r, _tmp, out) = run_file(&failover(4, r#"(rpo: "15m", rto: "1h")"#), "failover", &[]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let csv = fs::read_to_string(out.join("decisions.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().filter(|l| l.contains(",failover,")).collect();
    let expected = [
        "630.0,2026-11-27T00:10:30Z,630.0,1,failover,us-west1,api,health-check,\"\",Unhealthy,\
         30.0,NaN,NaN,NaN,NaN,\"health checks see us-west1 unhealthy: down since T+10m0s, seen \
         after 30s\"",
        "630.0,2026-11-27T00:10:30Z,630.0,1,failover,us-west1,api,route,\"\",TrafficShifted,\
         NaN,NaN,1.0,NaN,0.0,DNS answer without us-west1: clients of us-west1: us-west1 100% → \
         us-east1 100%; clients of us-east1: us-west1 100% → us-east1 100%; every client moved \
         by T+11m30s (TTL)",
        "690.0,2026-11-27T00:11:30Z,690.0,1,failover,us-west1,\"\",rto,\"\",RtoBooked,90.0,NaN,\
         NaN,NaN,NaN,\"outage of us-west1 from T+10m0s: SLO restored, RTO 1m30s (detection 30s, \
         routing 1m0s, warm-up 0s, scale-up 0s); RPO 5s (500 writes not replicated)\"",
    ];
    assert_eq!(rows, expected, "{csv}");
    // explain during the outage prints them.
    let r = common::clustersim(&[
        "explain",
        out.to_str().unwrap(),
        "--at",
        "00:12",
        "--service",
        "api",
    ]);
    let said = text(&r.stdout);
    assert!(
        said.contains(
            "00:10:30 Failover api/us-west1 TrafficShifted: DNS answer without us-west1: \
             clients of us-west1: us-west1 100% → us-east1 100%"
        ) && said.contains("00:11:30 Failover us-west1 RtoBooked: outage of us-west1"),
        "{said}"
    );
}

//! `failback: WaitForCapacity(share)` (`models::faults::gate`, issue 22 part 3): a recovered
//! region takes its traffic back only once its ready pods are at least `share` of those it had
//! when it failed, with its HPA held at that many replicas meanwhile; against `Immediate` on
//! the same constructed outage.

mod common;

use std::fs;
use std::path::Path;

use common::text;

fn run(policy: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let r = common::run_in(
        tmp.path(),
        "failback",
        &common::failback_experiment(policy),
        &out,
        &[],
    );
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    (tmp, out)
}

fn failback_of(out: &Path) -> serde_json::Value {
    let s: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    s["recovery"]["failures"][0]["failback"].clone()
}

/// `(desired, ready, arrival)` of us-west1 at sample `t`.
fn west_at(out: &Path, t: u64) -> (u64, u64, f64) {
    let csv = fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let row = csv
        .lines()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|c| c[0] == t.to_string() && c[2] == "us-west1")
        .unwrap();
    (
        row[4].parse().unwrap(),
        row[5].parse().unwrap(),
        row[7].parse().unwrap(),
    )
}

#[test]
fn waiting_for_capacity_drops_nothing_where_an_immediate_failback_drops() {
    // Immediate: checks pass us-west1 at 4 230 s (4 210, 4 220, 4 230), clients follow at
    // 4 290 s; meanwhile its HPA read 0 % and scaled to 1 pod (4 230 s), so 600 requests/s
    // meet 100 requests/s of capacity until the HPA has caught up: requests drop.
    let (_tmp, out) = run("Immediate");
    let immediate = failback_of(&out);
    assert_eq!(immediate["returned_at_s"], 4290.0);
    assert_eq!(west_at(&out, 4250).0, 1, "scaled to its minimum");
    let dropped = immediate["dropped_requests"].as_f64().unwrap();
    // More than nothing, and at most the 500 requests/s over one pod's capacity for the
    // 5 min the HPA takes from 1 pod to 12 (at most doubling every 30 s).
    assert!(dropped > 0.0 && dropped <= 500.0 * 300.0, "{immediate}");

    // WaitForCapacity(1.0): 12 ready pods before the failure → needed ceil(1.0 × 12) = 12.
    // The region is back at 4 200 s and its 12 pending pods bind and are ready 5 s later; the
    // HPA is held at min 12 from its sync at 4 215 s. The deep check at 4 210 s sees 12 ≥ 12,
    // so the region's return is 4 210 s: the checks see it at 4 240 s (4 220, 4 230, 4 240)
    // and the clients follow one TTL later, 4 300 s — 10 s after the immediate failback, onto
    // 12 pods (600 requests/s at 50 %): nothing drops.
    let (_tmp, out) = run("WaitForCapacity(1.0)");
    let wait = failback_of(&out);
    assert_eq!(wait["returned_at_s"], 4300.0);
    assert_eq!(wait["dropped_requests"], 0.0);
    assert_eq!(wait["restored_after_s"], 0.0);
    assert_eq!(west_at(&out, 4290), (12, 12, 0.0), "held, no traffic yet");
    assert_eq!(
        west_at(&out, 4300),
        (12, 12, 600.0),
        "traffic back onto 12 pods"
    );
    let events = fs::read_to_string(out.join("events.csv")).unwrap();
    assert!(
        events.contains(
            "4215.0,2026-11-27T01:10:15Z,ScheduledScaling,hpa/api-us-west1,\"min_replicas 12, \
             max_replicas 20: failback WaitForCapacity(1): us-west1 back, held at 12 ready pods \
             before its traffic returns\""
        ),
        "{events}"
    );
    // The load balancer's answers say so (decisions table).
    let decisions = fs::read_to_string(out.join("decisions.csv")).unwrap();
    assert!(
        decisions.contains(
            "4240.0,2026-11-27T01:10:40Z,4240.0,1,failover,us-west1,api,health-check,\"\",\
             Healthy,30.0,NaN,NaN,NaN,NaN,\"health checks see us-west1 healthy again: its deep \
             check passing (capacity back) since T+1h10m10s, seen after 30s\""
        ),
        "{decisions}"
    );
    // The minimum goes back to 1 one stabilization window (5 min) after the return, at the
    // first sync from 4 600 s.
    assert!(
        events.contains(
            "4605.0,2026-11-27T01:16:45Z,ScheduledScaling,hpa/api-us-west1,\"min_replicas 1"
        ),
        "{events}"
    );
}

#[test]
fn an_immediate_failback_onto_one_pod_drops_the_closed_form() {
    // The same outage with the HPA's scale-up disabled (`selectPolicy: Disabled`), so that
    // capacity stays where the outage left it: us-east1 at 1 pod (100 requests/s) carries all
    // 600 requests/s, its 30 s backlog (100 × 30 = 3 000 requests) full long before
    // us-west1 is back at 4 200 s; us-west1's HPA read 0 % and went to 1 pod at 4 230 s. The
    // clients return to us-west1 at 4 290 s, onto 1 pod: 500 requests/s too many until the
    // run ends at 7 200 s, less the 3 000 requests that fill its own backlog first. The
    // failback phase counts from the region's return:
    //   us-east1 500 × (4 290 − 4 200) = 45 000
    //   us-west1 500 × (7 200 − 4 290) − 3 000 = 1 452 000
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let experiment = common::failback_experiment("Immediate").replace(
        "metrics: [Resource(name: cpu, target: Utilization(50))]),",
        "metrics: [Resource(name: cpu, target: Utilization(50))],\n              \
         behavior: (scale_up: (select_policy: Disabled))),",
    );
    assert!(experiment.contains("Disabled"));
    let r = common::run_in(tmp.path(), "failback", &experiment, &out, &[]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let failback = failback_of(&out);
    assert_eq!(failback["returned_at_s"], 4290.0);
    assert_eq!(west_at(&out, 4250).0, 1, "scaled to its minimum");
    assert_eq!(
        failback["dropped_requests"].as_f64().unwrap(),
        500.0 * (4290.0 - 4200.0) + 500.0 * (7200.0 - 4290.0) - 100.0 * 30.0,
        "{failback}"
    );
}

#[test]
fn a_share_outside_zero_to_one_is_refused_with_its_place() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let r = common::run_in(
        tmp.path(),
        "failback",
        &common::failback_experiment("WaitForCapacity(1.5)"),
        &out,
        &[],
    );
    assert_eq!(r.status.code(), Some(2));
    let err = text(&r.stderr);
    assert!(
        err.contains("faults.failover.failback") && err.contains("(0, 1]"),
        "{err}"
    );
    assert!(!out.exists(), "nothing written");
}

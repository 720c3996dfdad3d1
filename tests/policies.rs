//! End-to-end tests of the scaling policies (`policies`) through the `clustersim` binary, with
//! instants computed by hand from the cron patterns and the zones' daylight-saving rules. The
//! pure parts are tested beside them (`models/src/policy/`); bad input is in
//! `tests/bad_inputs.rs`.

mod common;

use std::path::Path;

use common::{run_experiment, text};

/// The desired pods of `service` at each sample, from `timeseries.csv`.
fn desired(out: &Path, service: &str) -> Vec<u64> {
    let csv = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (s, d) = (col("service"), col("desired_pods"));
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|row| row[s] == service)
        .map(|row| row[d].parse().unwrap())
        .collect()
}

/// An experiment named `name` over `duration`, sampled every `interval`, in one zone of
/// us-east1 with two n2-standard-8 nodes; `rest` its services and policies.
fn small(name: &str, duration: &str, interval: &str, rest: &str) -> String {
    format!(
        r#"Experiment(
    name: "{name}",
    duration: "{duration}",
    output_interval: "{interval}",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [(name: "p", region: "us-east1", instance_type: "n2-standard-8", nodes: 2)],
{rest}
)
"#
    )
}

/// Saturday 2026-03-28 00:00 UTC: Paris moves from CET (UTC+1) to CEST (UTC+2) on Sunday at
/// 02:00, so 08:00 Paris is 07:00 UTC on Saturday and 06:00 UTC on Sunday (30 h in).
/// `batch` has no HPA: the schedule sets its replicas, 4 at 08:00 Paris and 1 at 09:00.
/// `web` has an HPA (1 to 10, at 1 pod for its light load): 08:00 Paris sets min 5, 09:00
/// sets max 2, which lowers min to 2 as well; the HPA syncs every 15 s from 15 s, so on the
/// hour exactly.
const SCHEDULED: &str = r#"Experiment(
    name: "scheduled",
    start: "2026-03-28T00:00:00Z",
    duration: "31h",
    output_interval: "1h",
    regions: [(name: "europe-west1", zones: ["europe-west1-b"])],
    node_pools: [(name: "p", region: "europe-west1", instance_type: "n2-standard-8", nodes: 3)],
    services: [
        (name: "batch", replicas: 2, requests: (cpu: "500m", memory: "512Mi"), capacity_rps: 100,
         traffic: Constant(rps: 20)),
        (name: "web", replicas: 1, requests: (cpu: "500m", memory: "512Mi"), capacity_rps: 100,
         traffic: Constant(rps: 10),
         hpa: (min_replicas: 1, max_replicas: 10, metrics: [Resource(name: cpu, target: Utilization(70))])),
    ],
    policies: (scheduled: [
        (name: "open", cron: "0 8 * * *", time_zone: "Europe/Paris", service: "batch", replicas: 4),
        (name: "close", cron: "0 9 * * *", time_zone: "Europe/Paris", service: "batch", replicas: 1),
        (name: "open", cron: "0 8 * * *", time_zone: "Europe/Paris", service: "web", min_replicas: 5),
        (name: "close", cron: "0 9 * * *", time_zone: "Europe/Paris", service: "web", max_replicas: 2),
    ]),
)
"#;

#[test]
fn scheduled_actions_fire_at_local_times_across_a_daylight_saving_change() {
    let (r, _dir, out) = run_experiment(SCHEDULED);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    // Samples at 0 h, 1 h, … 31 h. Saturday: 08:00 CET = 7 h, 09:00 CET = 8 h; Sunday (CEST):
    // 08:00 = 30 h, 09:00 = 31 h.
    let mut batch = vec![2; 7];
    batch.push(4);
    batch.extend(vec![1; 22]);
    batch.extend([4, 1]);
    assert_eq!(desired(&out, "batch"), batch);
    let mut web = vec![1; 7];
    web.push(5);
    web.extend(vec![2; 22]);
    // Sunday 08:00 sets min 5 (raising Saturday's max 2 to 5), 09:00 max 2 (min down to 2).
    web.extend([5, 2]);
    assert_eq!(desired(&out, "web"), web);
    let events = std::fs::read_to_string(out.join("events.csv")).unwrap();
    assert!(
        events.contains(
            "25200.0,2026-03-28T07:00:00Z,ScheduledScaling,deployment/batch-europe-west1,\
             \"replicas 4: scheduled action open (cron \"\"0 8 * * *\"\" in Europe/Paris)"
        ),
        "{events}"
    );
    assert!(
        events.contains(
            "108000.0,2026-03-29T06:00:00Z,ScheduledScaling,hpa/web-europe-west1,\
             \"min_replicas 5, max_replicas 5: scheduled action open"
        ),
        "{events}"
    );
}

/// One service of 2 pods, 100 requests/s each at full CPU, under a constant 180 requests/s:
/// CPU utilization 0.9 from the start, warm (pods ready at 0 s). The threshold policy `policy`
/// (its fields after `name` and `service`) scales it.
fn threshold(policy: &str) -> String {
    small(
        "threshold",
        "10m",
        "1m",
        &format!(
            r#"    services: [(name: "w", replicas: 2, requests: (cpu: "1", memory: "1Gi"),
                capacity_rps: 100, traffic: Constant(rps: 180))],
    policies: (thresholds: [(name: "t", service: "w", {policy})]),"#
        ),
    )
}

/// The `ThresholdScaling` events: (time_s, message).
fn threshold_events(out: &Path) -> Vec<(String, String)> {
    let csv = std::fs::read_to_string(out.join("events.csv")).unwrap();
    csv.lines()
        .filter(|l| l.contains(",ThresholdScaling,"))
        .map(|l| {
            let (time, rest) = l.split_once(',').unwrap();
            (time.to_owned(), rest.to_owned())
        })
        .collect()
}

#[test]
fn a_threshold_policy_fires_once_its_condition_has_held_for_its_duration() {
    // Evaluated every second from 1 s: cpu 0.9 > 0.8 holds from 1 s, so "for 3m" is met at
    // 181 s (2 → 3 pods, utilization 0.6 after), and "for 2m59s" one second earlier.
    let up = "min_replicas: 1, max_replicas: 5, evaluation_interval: \"1s\", \
              scale_up: [(metric: cpu_utilization, above: 0.8, for: \"3m\")]";
    let (r, _dir, out) = run_experiment(&threshold(up));
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let events = threshold_events(&out);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].0, "181.0");
    assert!(
        events[0].1.contains(
            "deployment/w-us-east1,\"t: cpu_utilization 0.9 > 0.8 for 3m0s: 2 → 3 \
             (step up 1 pod(s); min 1, max 5)"
        ),
        "{events:?}"
    );
    let desired = desired(&out, "w");
    assert_eq!(desired[..5], [2, 2, 2, 2, 3], "{desired:?}");
    let (r, _dir, out) = run_experiment(&threshold(&up.replace("3m", "2m59s")));
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert_eq!(threshold_events(&out)[0].0, "180.0");
}

#[test]
fn a_threshold_policy_scales_down_in_percent_steps_after_its_cooldown() {
    // cpu 0.9 < 0.95 holds from the first evaluation (15 s, the default interval), so "for 1m"
    // is met at 75 s: 50 % of 2 pods is 1, 2 → 1. One pod then runs at full CPU (1.0, over
    // capacity, dropping requests: the run fails its checks, not asserted here), which is not
    // below 0.95: nothing more.
    let down = "min_replicas: 1, max_replicas: 5, \
                scale_down: [(metric: cpu_utilization, below: 0.95, for: \"1m\")], \
                step_down: Percent(50), cooldown: \"2m\"";
    let (r, _dir, out) = run_experiment(&threshold(down));
    let events = threshold_events(&out);
    assert_eq!(events.len(), 1, "{events:?} {}", text(&r.stderr));
    assert_eq!(events[0].0, "75.0");
    assert!(
        events[0].1.contains("2 → 1 (step down 50%; min 1, max 5)"),
        "{events:?}"
    );
}

#[test]
fn an_event_driven_scaler_activates_from_zero_and_deactivates_after_its_cooldown() {
    // 20 requests/s from 100 s (a ramp in 10 s steps: 10/s over [100, 110) s, then 20/s) to
    // 610 s (10/s over [600, 610) s, then none). KEDA polls every 30 s from 30 s: the first
    // poll to see requests is 120 s (0 → 1, then the HPA takes it up); the last active poll is
    // 600 s, so the 300 s cooldown ends at 900 s (→ 0).
    let src = small(
        "keda",
        "20m",
        "1m",
        r#"    services: [(name: "w", replicas: 0, requests: (cpu: "1", memory: "1Gi"), capacity_rps: 10,
                traffic: Product([
                    Constant(rps: 20),
                    Ramp(from: 0, to: 1, start: "100s", duration: "10s", step: "10s"),
                    Ramp(from: 1, to: 0, start: "600s", duration: "10s", step: "10s"),
                ]))],
    checks: (max_dropped_share: None),
    policies: (event_driven: [(name: "k", service: "w", metric: requests_per_second, target: 8)]),"#,
    );
    let (r, _dir, out) = run_experiment(&src);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let csv = std::fs::read_to_string(out.join("events.csv")).unwrap();
    let keda: Vec<&str> = csv.lines().filter(|l| l.contains(",KEDAScale")).collect();
    assert_eq!(keda.len(), 2, "{csv}");
    assert!(
        keda[0].starts_with(
            "120.0,2026-11-27T00:02:00Z,KEDAScaleTargetActivated,deployment/w-us-east1,\
             k: requests_per_second 20 > activation threshold 0: 0 → 1"
        ),
        "{keda:?}"
    );
    assert!(
        keda[1].starts_with("900.0,2026-11-27T00:15:00Z,KEDAScaleTargetDeactivated,"),
        "{keda:?}"
    );
    let desired = desired(&out, "w");
    assert_eq!(desired[..2], [0, 0], "{desired:?}");
    assert!(desired[3..10].iter().all(|&n| n >= 3), "{desired:?}");
    assert!(desired[15..].iter().all(|&n| n == 0), "{desired:?}");
}

#[test]
fn a_scheduled_pool_minimum_launches_nodes_at_the_next_cluster_autoscaler_scan() {
    // Midnight UTC start; "0 1 * * *" fires at 3600 s, a Cluster Autoscaler scan (every 10 s
    // from 10 s): min_nodes 3 above the pool's 1 node launches 2 at once, Ready 60 s later.
    // The one small service never needs them, so they stay until "0 2 * * *" lowers the
    // minimum back and the autoscaler finds them unneeded (10 min after the add and unneeded).
    let src = r#"Experiment(
    name: "pool-schedule",
    duration: "3h",
    output_interval: "1m",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [(name: "p", region: "us-east1", instance_type: "n2-standard-8", nodes: 1,
                  min_nodes: 1, max_nodes: 10)],
    services: [(name: "api", replicas: 2, requests: (cpu: "500m", memory: "512Mi"),
                capacity_rps: 100, traffic: Constant(rps: 50))],
    node_autoscaling: [(region: "us-east1", cluster_autoscaler: ())],
    policies: (scheduled: [
        (name: "day", cron: "0 1 * * *", pool: "p", min_nodes: 3),
        (name: "night", cron: "0 2 * * *", pool: "p", min_nodes: 1),
    ]),
)
"#;
    let (r, _dir, out) = run_experiment(src);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let events = std::fs::read_to_string(out.join("events.csv")).unwrap();
    assert!(
        events.contains(
            "3600.0,2026-11-27T01:00:00Z,TriggeredScaleUp,nodepool/p,\"min_nodes 3 > 1 nodes: \
             +2 (scheduled action day (cron \"\"0 1 * * *\"\" in UTC))\",1"
        ),
        "{events}"
    );
    let pools = std::fs::read_to_string(out.join("pools.csv")).unwrap();
    let nodes: Vec<u64> = pools
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(5).unwrap().parse().unwrap())
        .collect();
    assert_eq!(nodes.len(), 181);
    assert!(nodes[..60].iter().all(|&n| n == 1), "{nodes:?}");
    assert!(nodes[62..120].iter().all(|&n| n == 3), "{nodes:?}");
    assert_eq!(*nodes.last().unwrap(), 1, "{nodes:?}");
}

#[test]
fn a_predictive_policy_provisions_its_forecast_over_the_target_utilization() {
    // 350 requests/s, constant, and a constant week of history: Holt-Winters learns level
    // 350, no trend, no season, so every forecast is 350 and every error 0 (headroom 0):
    // ⌈350 / (100 × 0.7)⌉ = 5 replicas from the first step (300 s) on.
    let src = small(
        "predictive",
        "1h",
        "5m",
        r#"    services: [(name: "w", replicas: 8, requests: (cpu: "1", memory: "1Gi"), capacity_rps: 100,
                traffic: Constant(rps: 350))],
    policies: (predictive: [(name: "f", service: "w", mode: ForecastAndScale, max_replicas: 10,
                             history: (shape: Constant(rps: 350), span: "168h"))]),"#,
    );
    let (r, _dir, out) = run_experiment(&src);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let desired = desired(&out, "w");
    assert_eq!(desired[0], 8);
    assert!(desired[1..].iter().all(|&n| n == 5), "{desired:?}");
    let csv = std::fs::read_to_string(out.join("events.csv")).unwrap();
    assert!(
        csv.contains(
            "300.0,2026-11-27T00:05:00Z,PredictiveScaling,deployment/w-us-east1,\"f: forecast \
             350.0 rps in 10m0s (Holt-Winters; seasonal naive 350.0), headroom 0.0 rps (0 \
             errors, 2σ), actual 350.0 rps: 5 replicas\",1"
        ),
        "{csv}"
    );
    assert!(
        csv.contains("actual 350.0 rps (forecast for now was 350.0): 5 replicas"),
        "{csv}"
    );
}

/// A node-pool policy over an on-demand and a spot pool of n2-standard-4 (3.92 allocatable
/// vCPU: 3 one-CPU pods a node), weights 1:1, adding `Nodes(4)` while any pod is pending,
/// evaluated every minute: one on-demand node holds 3 of the 30 pods, 27 wait. `budget` is the
/// policy's `budget` field, or empty.
fn pool_policy(budget: &str) -> String {
    format!(
        r#"Experiment(
    name: "pool-policy",
    duration: "150s",
    output_interval: "30s",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [
        (name: "od", region: "us-east1", instance_type: "n2-standard-4", nodes: 1,
         min_nodes: 1, max_nodes: 20, provisioning_delay: "30s"),
        (name: "spot", region: "us-east1", instance_type: "n2-standard-4", capacity_type: Spot,
         nodes: 0, min_nodes: 0, max_nodes: 20, provisioning_delay: "30s"),
    ],
    services: [(name: "work", replicas: 30, requests: (cpu: "1", memory: "1Gi"),
                capacity_rps: 100, traffic: Constant(rps: 10))],
    checks: (max_pending_share: None),
    policies: (node_pools: [(
        name: "workers",
        pools: [(pool: "od"), (pool: "spot")],
        scale_up: [(metric: pending_pods, above: 0)],
        step_up: Nodes(4),
        {budget}
    )]),
)
"#
    )
}

/// Nodes of `pool` at `time_s`, from `pools.csv`.
fn pool_nodes(out: &Path, pool: &str, time_s: &str) -> u64 {
    let csv = std::fs::read_to_string(out.join("pools.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (t, p, n) = (col("time_s"), col("pool"), col("nodes"));
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|row| row[t] == time_s && row[p] == pool)
        .map(|row| row[n].parse().unwrap())
        .unwrap_or_else(|| panic!("no row for {pool} at {time_s} in\n{csv}"))
}

#[test]
fn a_pool_policy_spreads_its_nodes_by_weight() {
    let (r, _dir, out) = run_experiment(&pool_policy(""));
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    // At 60 s, 27 pods pending: 1 → 5 nodes. Each new node to the largest gap
    // 0.5·total − size: node 1 (total 2) od 0, spot 1 → spot; node 2 (3) od 0.5, spot 0.5 →
    // tie, od (listed first); node 3 (4) od 0, spot 1 → spot; node 4 (5) od 0.5, spot 0.5 → od.
    // Ready 30 s later; the next scale-up is after the 2-minute cooldown (180 s).
    assert_eq!(pool_nodes(&out, "od", "120"), 3);
    assert_eq!(pool_nodes(&out, "spot", "120"), 2);
    let events = std::fs::read_to_string(out.join("events.csv")).unwrap();
    assert!(
        events.contains("workers: pending_pods 27 > 0 for 0s: 1 → 5 (step up 4 node(s)"),
        "{events}"
    );
    // The decisions table has the evaluation: 1 node before, 5 after, a scale-up.
    let decisions = std::fs::read_to_string(out.join("decisions.csv")).unwrap();
    let row = decisions
        .lines()
        .find(|l| l.contains(",pool-policy,") && l.contains(",ScaleUp,"))
        .unwrap_or_else(|| panic!("{decisions}"));
    assert!(row.starts_with("60.0,"), "{row}");
    assert!(row.contains(",1.0,NaN,5.0,"), "{row}");
}

#[test]
fn a_cost_aware_pool_policy_slows_down_and_goes_spot_once_its_budget_is_low() {
    // One on-demand node costs far more than 70 % of $0.0001 in its first minute, so the
    // budget is low at the first evaluation: the step is ⌈4 × 0.6⌉ = 3 nodes, shared 0.1 / 0.9.
    // Node k with every node so far spot: on-demand gap 0.1k, spot 0.9k − (k−1): spot for
    // k = 1, 2, 3 (0.9 vs 0.1, 0.8 vs 0.2, 0.7 vs 0.3): all three on spot.
    let (r, _dir, out) = run_experiment(&pool_policy("budget: (budget_usd: 0.0001),"));
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert_eq!(pool_nodes(&out, "od", "120"), 1);
    assert_eq!(pool_nodes(&out, "spot", "120"), 3);
    let events = std::fs::read_to_string(out.join("events.csv")).unwrap();
    assert!(events.contains("1 → 4 (step up 3 node(s)"), "{events}");
    assert!(
        events.contains("budget low") && events.contains("90% of new nodes on spot"),
        "{events}"
    );
}

#[test]
fn a_cost_aware_pool_policy_takes_a_budget_per_hour_too() {
    // $0.01 an hour: by the first evaluation (60 s) $0.000167 is budgeted, and the on-demand
    // n2-standard-4 alone ($0.19/h in us-east1) has cost about $0.0032: low, so the same
    // 3 spot nodes as with a spent sum.
    let (r, _dir, out) = run_experiment(&pool_policy("budget: (budget_usd_per_hour: 0.01),"));
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert_eq!(pool_nodes(&out, "spot", "120"), 3);
    let events = std::fs::read_to_string(out.join("events.csv")).unwrap();
    assert!(events.contains("1 → 4 (step up 3 node(s)"), "{events}");
    assert!(events.contains("of $0.00 spent, step × 0.6"), "{events}");
    // Both amounts: refused where the second is.
    let (r, _dir, out) = run_experiment(&pool_policy(
        "budget: (budget_usd: 1, budget_usd_per_hour: 0.01),",
    ));
    assert_eq!(r.status.code(), Some(2));
    assert!(
        text(&r.stderr).contains("policies.node_pools[0].budget.budget_usd_per_hour"),
        "{}",
        text(&r.stderr)
    );
    assert!(!out.exists());
}

#[test]
fn a_cost_aware_pool_policy_has_its_budget_in_the_summary_and_a_budget_burn_chart() {
    let (r, _dir, out) = run_experiment(&pool_policy("budget: (budget_usd: 0.0001),"));
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let b = &summary["budgets"][0];
    assert_eq!(b["policy"], "workers");
    assert_eq!(b["region"], "us-east1");
    assert_eq!(b["pools"], serde_json::json!(["od", "spot"]));
    assert_eq!(b["budget_usd"], 0.0001);
    assert_eq!(b["low_share"], 0.3);
    // Nothing is billed at 0 s; by the 30 s sample the on-demand node has cost more than the
    // $0.00007 at which 30 % is left: the crossing is marked there.
    let svg = std::fs::read_to_string(out.join("charts").join("budget.svg")).unwrap();
    assert!(svg.contains("+0h00 workers: 30 % of $0.00 left"), "{svg}");
    // Without a budget: neither.
    let (r, _dir, out) = run_experiment(&pool_policy(""));
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(!summary.contains("\"budgets\""));
    assert!(!out.join("charts").join("budget.svg").exists());
}

#[test]
fn a_pool_forecast_provisions_its_floor_ahead_of_the_demand() {
    // 12 pods of 1 CPU on 3-vCPU workers (allocatable set), one worker at the start: 12 vCPUs
    // requested (3 placed, 9 pending that the pool could take). The forecast is warmed on an
    // hour of 12 vCPUs (12 steps of 5 minutes, one season): level 12, trend 0, every seasonal
    // index 0. At its first step (5 min) it observes 12: level α·12 + (1 − α)·12 = 12, trend
    // and indices unchanged, so the forecast 10 minutes ahead is 12, with no error yet (no
    // headroom). Floor ⌈12 / (3 × 0.7)⌉ = ⌈5.71⌉ = 6 nodes: 1 → 6 at 300 s, Ready 30 s later.
    let src = r#"Experiment(
    name: "pool-forecast",
    duration: "15m",
    output_interval: "1m",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [(name: "w", region: "us-east1", instance_type: "n2-standard-4", nodes: 1,
                  min_nodes: 1, max_nodes: 10, provisioning_delay: "30s",
                  allocatable: (cpu: "3", memory: "14Gi"))],
    services: [(name: "work", replicas: 12, requests: (cpu: "1", memory: "1Gi"),
                capacity_rps: 100, traffic: Constant(rps: 10))],
    checks: (max_pending_share: None),
    policies: (node_pools: [(
        name: "provision",
        pools: [(pool: "w")],
        forecast: (period: "1h", step: "5m", lead_time: "10m",
                   history: (shape: Constant(rps: 12), span: "1h")),
    )]),
)
"#;
    let (r, _dir, out) = run_experiment(src);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert_eq!(pool_nodes(&out, "w", "240"), 1);
    assert_eq!(pool_nodes(&out, "w", "360"), 6);
    assert_eq!(pool_nodes(&out, "w", "840"), 6);
    let events = std::fs::read_to_string(out.join("events.csv")).unwrap();
    assert!(
        events.contains(
            "300.0,2026-11-27T00:05:00Z,TriggeredScaleUp,nodepool/w,\"provision: 1 outside min 6, \
             max 10 → 6; forecast 12.0 vCPU in 10m0s (seasonal naive 12.0), headroom 0.0 \
             (0 errors, 2σ), actual 12.0 vCPU: floor 6 nodes\""
        ),
        "{events}"
    );
}

/// A graceful decommission past Dataproc's bound of a day is refused at load with its field
/// and line (exit 2); at the bound it is accepted.
#[test]
fn a_graceful_decommission_timeout_over_a_day_is_refused_with_its_location() {
    let src = |timeout: &str| {
        format!(
            r#"Experiment(
    name: "decommission",
    duration: "1h",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [(name: "w", region: "us-east1", instance_type: "n2-standard-4", nodes: 2,
                  min_nodes: 1, max_nodes: 5)],
    services: [(name: "work", replicas: 2, requests: (cpu: "1", memory: "1Gi"),
                capacity_rps: 100, traffic: Constant(rps: 10))],
    policies: (node_pools: [(
        name: "workers",
        pools: [(pool: "w")],
        scale_down: [(metric: cpu_allocation, below: 0.3, for: "10m")],
        graceful_decommission_timeout: "{timeout}",
    )]),
)
"#
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.ron");
    std::fs::write(&file, src("25h")).unwrap();
    let r = common::clustersim(&["validate", file.to_str().unwrap()]);
    let err = text(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(
        err.contains("policies.node_pools[0].graceful_decommission_timeout"),
        "{err}"
    );
    assert!(err.contains("expected at most \"24h\""), "{err}");
    assert!(err.contains(":13:"), "the line of the field: {err}");
    std::fs::write(&file, src("24h")).unwrap();
    let r = common::clustersim(&["validate", file.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
}

/// A predictive policy raising the HPA's minimum (`RaiseHpaMinimum`): 500 requests/s, steady,
/// pods of 100/s. The HPA alone (cpu 90 %) keeps its 6 pods: 500/600 = 83 % is within its
/// 10 % tolerance of 90 %. The forecast, warmed up on an hour of the same rate, is 500 with no
/// error yet (headroom 0): ⌈500 / (100 × 0.7)⌉ = 8, the HPA's minimum from the first step at
/// 5 minutes (an HPA sync: every 15 s), so 8 pods from then on.
#[test]
fn a_forecast_raises_the_hpa_minimum_and_the_hpa_follows() {
    let src = small(
        "predictive-min",
        "10m",
        "1m",
        r#"    services: [(name: "api", replicas: 6, requests: (cpu: "500m", memory: "512Mi"),
                capacity_rps: 100, traffic: Constant(rps: 500),
                hpa: (min_replicas: 2, max_replicas: 20,
                      metrics: [Resource(name: cpu, target: Utilization(90))]))],
    policies: (predictive: [(name: "ahead", service: "api", mode: RaiseHpaMinimum,
                             max_replicas: 20, period: "1h", step: "5m",
                             history: (shape: Constant(rps: 500), span: "1h"))]),"#,
    );
    let (r, _dir, out) = run_experiment(&src);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let d = desired(&out, "api");
    assert_eq!(&d[..5], &[6, 6, 6, 6, 6], "{d:?}");
    assert!(d[6..].iter().all(|&n| n == 8), "{d:?}");
    let events = std::fs::read_to_string(out.join("events.csv")).unwrap();
    assert!(
        events.contains(
            "min_replicas 8, max_replicas 20: ahead: forecast 500.0 rps in 10m0s (Holt-Winters; \
             seasonal naive 500.0), headroom 0.0 rps (0 errors, 2σ), actual 500.0 rps: HPA \
             minimum 8"
        ),
        "{events}"
    );
}

/// `RaiseHpaMinimum` on a service without an HPA is refused at load, at its `mode` (exit 2).
#[test]
fn a_forecast_minimum_needs_an_hpa() {
    let src = small(
        "no-hpa",
        "10m",
        "1m",
        r#"    services: [(name: "api", replicas: 2, requests: (cpu: "500m", memory: "512Mi"),
                capacity_rps: 100, traffic: Constant(rps: 50))],
    policies: (predictive: [(name: "ahead", service: "api", mode: RaiseHpaMinimum,
                             max_replicas: 20, period: "1h", step: "5m")]),"#,
    );
    let (r, _dir, _out) = run_experiment(&src);
    let err = text(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("policies.predictive[0].mode"), "{err}");
    assert!(
        err.contains(
            "service `api` in us-east1 has no `hpa`: expected one whose minimum the forecast raises"
        ),
        "{err}"
    );
}

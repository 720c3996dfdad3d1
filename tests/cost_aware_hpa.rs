//! The cost-aware policy on HPAs (`policies.cost_aware`, `models::hpa::cost_aware`): when its
//! budget is found low, by hand from the node prices, and how much of a scale-up it lets
//! through, against the same run without it; bad input refused with its location.

mod common;

use common::{run_experiment, text};

/// 3 n2-standard-8 nodes in us-east1 ($0.388472/h each, the bundled GCP catalog) and nothing
/// else billed: the spend at t seconds is 3 × 0.388472 × t / 3600 = $0.000323727 × t. The
/// API (pods of 500m serving 100 requests/s at their full request) gets 450 requests/s, then
/// 900 from 10 min; its HPA targets cpu 50 % between 2 and 20 pods.
fn experiment(policies: &str) -> String {
    format!(
        r#"Experiment(
    name: "cost-aware-hpa",
    duration: "15m",
    output_interval: "15s",
    regions: [(name: "us-east1", zones: ["us-east1-b"])],
    node_pools: [(name: "p", region: "us-east1", instance_type: "n2-standard-8", nodes: 3)],
    services: [(
        name: "api",
        replicas: 6,
        requests: (cpu: "500m", memory: "512Mi"),
        capacity_rps: 100,
        traffic: Ramp(from: 450, to: 900, start: "10m", duration: "0s"),
        hpa: (min_replicas: 2, max_replicas: 20,
              metrics: [Resource(name: cpu, target: Utilization(50))]),
    )],
    {policies}
)
"#
    )
}

/// The run's `CostAwareScaling` events, as lines of its events table.
fn budget_events(out: &std::path::Path) -> Vec<String> {
    let events = std::fs::read_to_string(out.join("events.csv")).unwrap();
    events
        .lines()
        .filter(|l| l.contains(",CostAwareScaling,"))
        .map(String::from)
        .collect()
}

/// The HPA's sync rows after `after_s`: (time, outcome, current, final, detail).
fn syncs(out: &std::path::Path, after_s: f64) -> Vec<(f64, String, f64, f64, String)> {
    let csv = std::fs::read_to_string(out.join("decisions.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (t, kind, outcome, current, final_, detail) = (
        col("time_s"),
        col("kind"),
        col("outcome"),
        col("current"),
        col("final"),
        col("detail"),
    );
    let mut rows = Vec::new();
    for line in lines {
        // The detail is the last column and may hold commas (quoted).
        let fields: Vec<&str> = line.splitn(header.len(), ',').collect();
        if fields[kind] != "sync" {
            continue;
        }
        let time: f64 = fields[t].parse().unwrap();
        if time > after_s {
            rows.push((
                time,
                fields[outcome].to_owned(),
                fields[current].parse().unwrap(),
                fields[final_].parse().unwrap(),
                fields[detail].to_owned(),
            ));
        }
    }
    rows
}

#[test]
fn the_budget_is_low_at_the_first_sync_after_70_percent_of_it_is_spent() {
    // 70 % of $0.135 is $0.0945, spent at 0.0945 / 0.000323727 = 291.9 s: the HPA syncs every
    // 15 s, so it finds the budget low at 300 s ($0.0971 spent; $0.0923 at 285 s).
    let (r, _dir, out) = run_experiment(&experiment(
        r#"policies: (cost_aware: [(name: "budget", budget_usd: 0.135)]),"#,
    ));
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let low = budget_events(&out);
    assert_eq!(low.len(), 1, "{low:?}");
    assert!(low[0].starts_with("300.0,"), "{}", low[0]);
    assert!(
        low[0].contains("budget $0.10 of $0.14 spent (28% left): scale-ups × 0.6"),
        "{}",
        low[0]
    );
    // The summary lists the budget over every pool, and the report charts it.
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["budgets"][0]["policy"], "budget");
    assert_eq!(summary["budgets"][0]["pools"], serde_json::json!([]));
    assert!(out.join("charts").join("budget.svg").exists());
}

#[test]
fn a_scale_up_once_the_budget_is_low_adds_six_tenths_of_its_increase_rounded_up() {
    // The same run without the policy and with a budget low from the first sync ($0.001: 70 %
    // is spent in 2.2 s) are alike until the traffic doubles at 10 min: no scale-up before
    // then is cut (the first sync's 6 → 9 at 450 requests/s on pods that serve 50 at 50 % cpu
    // is, see below, the only one). At the first scale-up after 10 min the uncut HPA goes from
    // `c` to `u`; the cut one to c + ⌈0.6 × (u − c)⌉ and says so.
    let (r, _d1, plain) = run_experiment(&experiment(""));
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let (r, _d2, cut) = run_experiment(&experiment(
        r#"policies: (cost_aware: [(name: "budget", services: ["api"], budget_usd: 0.001)]),"#,
    ));
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let up = |rows: Vec<(f64, String, f64, f64, String)>| {
        rows.into_iter()
            .find(|row| row.3 > row.2)
            .expect("a scale-up after 10 min")
    };
    let (t0, _, c0, u, _) = up(syncs(&plain, 600.0));
    let (t1, outcome, c1, f, detail) = up(syncs(&cut, 600.0));
    assert_eq!((t0, c0), (t1, c1), "the runs differ before the doubling");
    let expected = c0 + (0.6 * (u - c0)).ceil();
    assert!(
        u - c0 >= 2.0,
        "a scale-up of one pod is never cut: {c0} → {u}"
    );
    assert_eq!(f, expected, "{detail}");
    assert_eq!(outcome, "CostAwareScaleUpLimit");
    assert!(
        detail.contains(&format!(
            "cost-aware factor 0.6 on the scale-up to {u} → {f}"
        )),
        "{detail}"
    );
    // Before the doubling: the one scale-up, 6 → 9 (ceil(6 × 75 / 50)), a 3-pod increase
    // cut to 6 + ⌈1.8⌉ = 8 in the cut run.
    let first = |out: &std::path::Path| syncs(out, 0.0).into_iter().find(|row| row.3 != row.2);
    assert_eq!(first(&plain).map(|r| (r.2, r.3)), Some((6.0, 9.0)));
    assert_eq!(first(&cut).map(|r| (r.2, r.3)), Some((6.0, 8.0)));
}

#[test]
fn a_budget_per_hour_is_low_while_the_nodes_burn_seventy_percent_of_it_or_more() {
    // The 3 nodes burn $1.165416/h from the start and nothing else is ever billed. Against
    // $1.50/h that is 77.7 % of the budget so far at every instant: low at the first sync
    // (15 s), for good. Against $1.70/h it is 68.6 %: never low.
    let (r, _dir, out) = run_experiment(&experiment(
        r#"policies: (cost_aware: [(name: "rate", budget_usd_per_hour: 1.5)]),"#,
    ));
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let low = budget_events(&out);
    assert_eq!(low.len(), 1, "{low:?}");
    // 15 s: $0.0049 of $0.0063 budgeted so far, 22 % left.
    assert!(low[0].starts_with("15.0,"), "{}", low[0]);
    assert!(low[0].contains("(22% left)"), "{}", low[0]);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    // The run's 15 minutes at $1.50/h: $0.375.
    assert_eq!(summary["budgets"][0]["budget_usd_per_hour"], 1.5);
    assert!((summary["budgets"][0]["budget_usd"].as_f64().unwrap() - 0.375).abs() < 1e-12);
    let (r, _dir, out) = run_experiment(&experiment(
        r#"policies: (cost_aware: [(name: "rate", budget_usd_per_hour: 1.7)]),"#,
    ));
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert!(budget_events(&out).is_empty());
}

#[test]
fn bad_cost_aware_policies_are_refused_with_their_location() {
    for (policies, field, message) in [
        (
            r#"policies: (cost_aware: [(name: "b", budget_usd: 0)]),"#,
            "policies.cost_aware[0].budget_usd",
            "expected a budget above 0 US dollars",
        ),
        (
            r#"policies: (cost_aware: [(name: "b", budget_usd: 10, scale_up_factor: 1.5)]),"#,
            "policies.cost_aware[0].scale_up_factor",
            "expected a share in (0, 1]",
        ),
        (
            r#"policies: (cost_aware: [(name: "b", services: ["web"], budget_usd: 10)]),"#,
            "policies.cost_aware[0].services[0]",
            "unknown service `web`",
        ),
        (
            r#"policies: (cost_aware: [(name: "a", budget_usd: 10), (name: "b", budget_usd: 20)]),"#,
            "policies.cost_aware[1].services",
            "already cut by cost-aware policy `a`",
        ),
        (
            r#"policies: (cost_aware: [(name: "b")]),"#,
            "policies.cost_aware[0].budget_usd",
            "expected a budget: `budget_usd` for the run, or `budget_usd_per_hour`",
        ),
        (
            r#"policies: (cost_aware: [(name: "b", budget_usd: 1, budget_usd_per_hour: 1)]),"#,
            "policies.cost_aware[0].budget_usd_per_hour",
            "not both",
        ),
        (
            r#"policies: (cost_aware: [(name: "b", budget_usd_per_hour: -1)]),"#,
            "policies.cost_aware[0].budget_usd_per_hour",
            "expected a budget above 0",
        ),
        (
            r#"policies: (cost_aware: [(name: " ", budget_usd: 10)]),"#,
            "policies.cost_aware[0].name",
            "expected a name",
        ),
    ] {
        let (r, _dir, out) = run_experiment(&experiment(policies));
        let err = text(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{policies}: {err}");
        assert!(
            err.contains(field) && err.contains(message),
            "{policies}: {err}"
        );
        assert!(!out.exists(), "{policies}: wrote {out:?}");
    }
}

//! The policy-comparison sweeps (issue 20 item 6) load and check every run they generate:
//! `policies-day.ron` (the HPA alone against scheduled and forecast minimums) and `policies-nodes-day.ron`
//! (node-pool thresholds against cost-aware and predictive ones), each set resolved with the
//! base whichever is active.

mod common;

use common::{clustersim, text};

#[test]
fn the_policy_sweeps_validate_every_run() {
    for (file, runs) in [
        ("experiments/sweeps/policies-day.ron", 8),
        ("experiments/sweeps/policies-nodes-day.ron", 3),
    ] {
        let r = clustersim(&["validate", file]);
        let out = text(&r.stdout) + &text(&r.stderr);
        assert_eq!(r.status.code(), Some(0), "{file}: {out}");
        assert!(out.contains(&format!("ok, {runs} runs")), "{file}: {out}");
    }
}

#[test]
fn the_node_policy_sweep_compares_threshold_cost_aware_and_predictive_sets() {
    let base = std::fs::read_to_string("experiments/sweeps/policies-nodes-day-base.ron").unwrap();
    let sweep = std::fs::read_to_string("experiments/sweeps/policies-nodes-day.ron").unwrap();
    assert!(sweep.contains(r#"values: ["threshold", "cost-aware", "predictive"]"#));
    // Each set differs from "threshold" by its one feature.
    assert!(base.contains(r#"set: "cost-aware""#) && base.contains("budget: (budget_usd: 20)"));
    assert!(base.contains(r#"set: "predictive""#) && base.contains("forecast: (period: \"24h\""));
}

#[test]
fn the_node_policy_sweep_names_the_cost_aware_policy_cheapest() {
    // The cost-aware run takes the thresholds' decisions until its budget is low (the same
    // HPA, the same pool conditions); past it its one afternoon scale-up adds 3 spot nodes
    // instead of 2 on-demand + 2 spot, so it costs less with the same latency (the header's
    // figures: $57.41 against $63.06, and $70.01 for the predictive floor).
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let out_s = out.to_str().unwrap();
    let r = clustersim(&[
        "sweep",
        "experiments/sweeps/policies-nodes-day.ron",
        "--out",
        out_s,
        "--jobs",
        "2",
    ]);
    let err = text(&r.stderr);
    assert_eq!(r.status.code(), Some(0), "{err}");
    assert!(
        err.contains("cheapest configuration meeting every target: policies.active = cost-aware"),
        "{err}"
    );
}

#[test]
fn the_day_sweep_names_the_rush_hour_minimum_cheapest_and_the_forecast_passes_dearer() {
    // Both minimums raised ahead of the rush meet the targets; the HPA alone does not (it
    // meets a fourfold rise in two minutes with nodes still to boot). Holding 20 pods only
    // from 07:45 to 09:00 costs least; the forecast's minimum is up before the rush too (it
    // saw yesterday's), but it also keeps μ + 2σ of headroom over the forecast all day, so it
    // costs more. The cost-aware HPA (its $3 budget low from 12:22 UTC, before the rush) only
    // cuts each scale-up of the HPA alone to 0.6 of its increase: it fails too, and costs less
    // than the HPA alone (the header: $6.40 against $6.51).
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let r = clustersim(&[
        "sweep",
        "experiments/sweeps/policies-day.ron",
        "--out",
        out.to_str().unwrap(),
        "--jobs",
        "2",
    ]);
    let err = text(&r.stderr);
    assert_eq!(r.status.code(), Some(0), "{err}");
    assert!(
        err.contains("cheapest configuration meeting every target: policies.active = rush-hour"),
        "{err}"
    );
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (policy, pass, cost) = (col("policies.active"), col("pass"), col("cost_usd"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 8);
    let mean_cost = |name: &str| {
        let costs: Vec<f64> = rows
            .iter()
            .filter(|r| r[policy] == name)
            .map(|r| r[cost].parse::<f64>().unwrap())
            .collect();
        costs.iter().sum::<f64>() / costs.len() as f64
    };
    for row in &rows {
        let expected = if row[policy] == "none" || row[policy] == "cost-aware" {
            "fail"
        } else {
            "pass"
        };
        assert_eq!(row[pass], expected, "{row:?}");
    }
    assert!(mean_cost("rush-hour") < mean_cost("predictive"));
    assert!(mean_cost("cost-aware") < mean_cost("none"));
}

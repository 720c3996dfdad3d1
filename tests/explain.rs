//! `clustersim explain`: the standing decision and the state at an instant, from a finished
//! run's tables, on a run whose HPA recommendation is held by its downscale stabilization
//! window (the same experiment as `tests/hpa.rs`).

mod common;

use common::{clustersim, hpa_experiment, run_experiment, text};

/// The HPA of `tests/hpa.rs`: 9 pods, then from 10 min a proposal of 6 held by the 5-minute
/// downscale stabilization until 15 min.
fn hpa() -> String {
    hpa_experiment(
        "(min_replicas: 2, max_replicas: 20, metrics: [Resource(name: cpu, target: \
         Utilization(50))])",
    )
}

#[test]
fn a_held_recommendation_is_explained_with_its_window_and_the_state_then() {
    let (r, _dir, out) = run_experiment(&hpa());
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let dir = out.to_str().unwrap();
    // At 12 min the HPA's latest event is the held recommendation logged at 10:15 (cpu 30 %
    // of 50 % proposes 6; the 5-minute downscale window keeps the highest recommendation of
    // its span, 9). It is logged once per episode, so it is the decision standing at 12 min.
    let r = clustersim(&["explain", dir, "--at", "00:12", "--service", "api"]);
    let said = text(&r.stdout);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert!(
        said.contains("api/us-east1: 9 desired, 9 ready, 0 pending"),
        "{said}"
    );
    assert!(
        said.contains(
            "00:10:15 (1m45s before) hpa/api-us-east1: the HPA held its recommendation back"
        ),
        "{said}"
    );
    assert!(
        said.contains("downscale stabilization (5m0s) holds 9"),
        "{said}"
    );
    // After the window: the rescale to 2 stands, and is within 2 minutes of 16:00.
    let r = clustersim(&["explain", dir, "--at", "16m", "--json"]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let e: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(e["at_s"], 960);
    let hpa = e["standing"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["object"] == "hpa/api-us-east1")
        .unwrap();
    assert_eq!(hpa["reason"], "SuccessfulRescale");
    assert!(hpa["message"].as_str().unwrap().contains("→ 2"), "{hpa}");
    assert!(
        e["around"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["reason"] == "Killing" && x["time"] == "00:15:15"),
        "{e}"
    );
}

#[test]
fn an_instant_outside_the_run_or_a_folder_without_tables_is_bad_input() {
    let (r, _dir, out) = run_experiment(&hpa());
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let dir = out.to_str().unwrap();
    let r = clustersim(&["explain", dir, "--at", "00:30"]);
    assert_eq!(r.status.code(), Some(2));
    assert!(
        text(&r.stderr).contains("outside the run, which lasts 20m0s"),
        "{}",
        text(&r.stderr)
    );
    let empty = tempfile::tempdir().unwrap();
    let r = clustersim(&["explain", empty.path().to_str().unwrap(), "--at", "1m"]);
    assert_eq!(r.status.code(), Some(2));
    assert!(
        text(&r.stderr).contains("summary.json"),
        "{}",
        text(&r.stderr)
    );
}

#[test]
fn the_decisions_table_explains_the_held_recommendation_with_its_window() {
    let (r, _dir, out) = run_experiment(&hpa());
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let dir = out.to_str().unwrap();
    // From 10:30 (the first sync whose metrics window holds only the new traffic) 90
    // requests/s over 9 pods of 100 requests/s each use 10 % of their CPU request: ratio
    // 10 / 50 = 0.2, ceil(9 × 0.2) = 2; the 5-minute downscale window keeps the highest
    // recommendation of its span, 9. Syncs 10:30 … 15:00 are identical: (900 − 630) / 15 + 1
    // = 19 of them in one row, the one standing at 12 min.
    let r = clustersim(&["explain", dir, "--at", "00:12", "--json"]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let e: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let sync = e["decisions"]["standing"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["controller"] == "hpa" && d["kind"] == "sync")
        .unwrap()
        .clone();
    assert_eq!(sync["outcome"], "ScaleDownStabilized", "{sync}");
    assert_eq!(
        (
            &sync["current"],
            &sync["proposed"],
            &sync["value"],
            &sync["final"]
        ),
        (&9.0.into(), &2.0.into(), &9.0.into(), &9.0.into()),
        "{sync}"
    );
    assert_eq!(
        (&sync["time"], &sync["last_time_s"], &sync["repeats"]),
        (&"00:10:30".into(), &900.0.into(), &19.into())
    );
    assert!(
        sync["detail"]
            .as_str()
            .unwrap()
            .contains("proposal 2; downscale stabilization (5m0s) holds 9; desired 9 (from 9"),
        "{sync}"
    );
    // The text joins the metric and the sync of that instant into one line, with its repeats.
    let r = clustersim(&["explain", dir, "--at", "00:12", "--service", "api"]);
    let said = text(&r.stdout);
    assert!(
        said.contains(
            "00:10:30 HPA api/us-east1 ScaleDownStabilized: cpu 10% of 50% target (ratio \
             0.200) → proposes 2 (from 9); tolerance exceeded (0.1); cpu 10%/50% → 2; \
             proposal 2; downscale stabilization (5m0s) holds 9; desired 9 (from 9, bounds \
             2..20) (×19 until 00:15:00)"
        ),
        "{said}"
    );
}

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

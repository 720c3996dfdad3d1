//! Built-in health checks: what fails a run whatever its targets, because a design that drops a
//! service's traffic, leaves it without a ready pod, or cannot place its pods must never read
//! PASS (issue 17). Each check has a documented default and can be relaxed or turned off in the
//! experiment's `checks: (...)` section; `targets` and `--gate` are judged beside them as before.
//!
//! The checks read the run's per-(service, region) time series and request totals, never the
//! model: they judge what the outputs show, so a reader can redo each figure from
//! `timeseries.csv` and `summary.json`.
//!
//! | check | default | judged per | figure |
//! |---|---|---|---|
//! | `max_dropped_share` | 0.001 (0.1 %) | service, all regions | dropped ÷ arrived requests |
//! | `max_zero_ready` | `"5m"` | service, worst region | longest stretch of samples with no ready pod while requests arrived |
//! | `max_pending_share` | 0.05 (5 %) | service, all regions | Σ pending pods ÷ Σ desired pods over the samples |
//! | `unschedulable` | `true` | run | pods found before the run to fit no node any pool could have |
//!
//! Each is judged as a gate on a [`Metric`] (`dropped_share`, `zero_ready_longest_s`,
//! `pending_share`, `unschedulable_pods`) scoped to the service, so `summary.json` records it
//! like a target, and the same figure can be gated on the command line.
//!
//! Why these defaults: 0.1 % of requests is the error budget of a 99.9 % availability SLO, the
//! tightest target most services publish; five minutes without a ready pod is longer than any
//! failover in the bundled examples takes to move traffic away (health-check detection plus one
//! DNS TTL, `faults.failover`), so only a region left serving nobody trips it; 5 % of a service's
//! desired pod-time spent Pending is about what a flash crowd costs while a node autoscaler adds
//! nodes (2–3 % in `flash-crowd-*.ron`), doubled.

use reports::{Check, Gate, Metric, Op, ServiceSummary, Summary};
use serde::{Deserialize, Serialize};
use sim::recorder::{Table, Values};
use sim::time::SimDuration;

/// The experiment's `checks: (...)` section. Each field is optional; a field written `None`
/// turns its check off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthChecks {
    /// Most share of a service's arrived requests (all its regions) that may be dropped, in
    /// [0, 1]. Default 0.001.
    #[serde(default = "default_max_dropped_share")]
    pub max_dropped_share: Option<f64>,
    /// Longest a region of a service may have no ready pod while requests arrive there, measured
    /// in whole output intervals. Default "5m".
    #[serde(default = "default_max_zero_ready")]
    pub max_zero_ready: Option<SimDuration>,
    /// Most share of a service's desired pod-time that may be spent Pending, in [0, 1].
    /// Default 0.05.
    #[serde(default = "default_max_pending_share")]
    pub max_pending_share: Option<f64>,
    /// Whether a workload that fits no node any of its pools could ever have fails the run.
    /// Default true.
    #[serde(default = "default_unschedulable")]
    pub unschedulable: bool,
}

impl Default for HealthChecks {
    fn default() -> Self {
        HealthChecks {
            max_dropped_share: default_max_dropped_share(),
            max_zero_ready: default_max_zero_ready(),
            max_pending_share: default_max_pending_share(),
            unschedulable: default_unschedulable(),
        }
    }
}

fn default_max_dropped_share() -> Option<f64> {
    Some(0.001)
}

fn default_max_zero_ready() -> Option<SimDuration> {
    Some(SimDuration::from_secs(300))
}

fn default_max_pending_share() -> Option<f64> {
    Some(0.05)
}

fn default_unschedulable() -> bool {
    true
}

impl HealthChecks {
    /// The share fields' range, for the input checks: `Err` names the field and says why.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        for (field, share) in [
            ("max_dropped_share", self.max_dropped_share),
            ("max_pending_share", self.max_pending_share),
        ] {
            if let Some(s) = share
                && !(0.0..=1.0).contains(&s)
            {
                return Err((field, format!("must be a share in [0, 1], got {s}")));
            }
        }
        Ok(())
    }
}

/// What the time series says of one service in one region, for its `ServiceSummary` row.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RowFigures {
    /// The longest run of samples with no ready pod while requests arrived, × the interval.
    pub zero_ready_longest_s: f64,
    /// Σ desired pods × interval over the samples.
    pub desired_pod_seconds: f64,
    /// Σ pending pods × interval over the samples.
    pub pending_pod_seconds: f64,
}

/// Reads the [`RowFigures`] of every (service, region) out of the run's `timeseries` table (one
/// row per sample instant and service region), in first-appearance order; `None` when a column
/// the checks read is missing or of another kind (a schema change the checks were not told of).
/// A sample's requests are those of the interval ending at it, its pods those at its instant.
pub fn row_figures(
    table: &Table,
    interval: SimDuration,
) -> Option<Vec<((String, String), RowFigures)>> {
    let text = |name| match table.column(name)? {
        Values::Text(v) => Some(v),
        _ => None,
    };
    let whole = |name| match table.column(name)? {
        Values::U64(v) => Some(v),
        _ => None,
    };
    let (services, regions) = (text("service")?, text("region")?);
    let (desired, ready, pending) = (
        whole("desired_pods")?,
        whole("ready_pods")?,
        whole("pending_pods")?,
    );
    let arrived = match table.column("arrived_requests")? {
        Values::F64(v) => v,
        _ => return None,
    };
    let step_s = interval.as_secs_f64();
    // Per row: its figures and the current spell without a ready pod, in samples.
    let mut rows: Vec<((String, String), RowFigures, u64)> = Vec::new();
    for i in 0..table.rows() {
        let key = (services[i].as_str(), regions[i].as_str());
        let at = match rows
            .iter()
            .position(|(k, ..)| (k.0.as_str(), k.1.as_str()) == key)
        {
            Some(at) => at,
            None => {
                let key = (key.0.to_owned(), key.1.to_owned());
                rows.push((key, RowFigures::default(), 0));
                rows.len() - 1
            }
        };
        let (_, f, spell) = &mut rows[at];
        f.desired_pod_seconds += desired[i] as f64 * step_s;
        f.pending_pod_seconds += pending[i] as f64 * step_s;
        *spell = if ready[i] == 0 && arrived[i] > 0.0 {
            *spell + 1
        } else {
            0
        };
        f.zero_ready_longest_s = f.zero_ready_longest_s.max(*spell as f64 * step_s);
    }
    Some(rows.into_iter().map(|(k, f, _)| (k, f)).collect())
}

/// The summary's services, each named once, in the order of their first row.
fn services(summary: &Summary) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for v in &summary.services {
        if !names.contains(&v.service.as_str()) {
            names.push(&v.service);
        }
    }
    names
}

/// The row of `service` whose spell without a ready pod was longest (the first on a tie).
fn worst_zero_ready_region<'a>(summary: &'a Summary, service: &str) -> Option<&'a str> {
    let mut worst: Option<(&str, f64)> = None;
    for v in summary.services.iter().filter(|v| v.service == service) {
        let s = v.zero_ready_longest_s.unwrap_or(0.0);
        if worst.is_none_or(|(_, w)| s > w) {
            worst = Some((&v.region, s));
        }
    }
    worst.map(|(r, _)| r)
}

fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p == 0.0 || p >= 10.0 {
        format!("{p:.0} %")
    } else if p >= 1.0 {
        format!("{p:.1} %")
    } else {
        format!("{p:.2} %")
    }
}

/// `metric <= limit` judged on one service's rows (the rows are picked here by name, never by
/// parsing a scope string: a service name may hold any character).
fn judge_rows(metric: Metric, limit: f64, rows: &[&ServiceSummary], service: &str) -> Check {
    Gate::new(metric, Op::Le, limit)
        .judge(metric.scope_value(rows))
        .scoped(service)
}

/// The run's health checks, in a fixed order: unschedulable pods (`unschedulable`: the
/// findings made before the run, one sentence each), then per service its dropped share, its
/// longest spell without a ready pod and its pending share. A service no request reached is
/// not judged on drops; one that never desired a pod not on pending.
pub fn judge(checks: &HealthChecks, summary: &Summary, unschedulable: &[String]) -> Vec<Check> {
    let mut out = Vec::new();
    if checks.unschedulable {
        let gate = Gate::new(Metric::UnschedulablePods, Op::Le, 0.0);
        let detail = match unschedulable {
            [] => "every pod fits a node its pools can have".to_owned(),
            [one] => one.clone(),
            [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
        };
        out.push(gate.evaluate(summary).with_detail(detail));
    }
    for service in services(summary) {
        let rows: Vec<_> = summary
            .services
            .iter()
            .filter(|v| v.service == service)
            .collect();
        let arrived: f64 = rows.iter().map(|v| v.requests.arrived).sum();
        if let Some(limit) = checks.max_dropped_share
            && arrived > 0.0
        {
            let dropped: f64 = rows.iter().map(|v| v.requests.dropped).sum();
            let c = judge_rows(Metric::DroppedShare, limit, &rows, service);
            let detail = format!(
                "{service} dropped {} of {} requests ({}; at most {} allowed)",
                reports::grouped(dropped, 0),
                reports::grouped(arrived, 0),
                percent(dropped / arrived),
                percent(limit)
            );
            out.push(c.with_detail(detail));
        }
        if let Some(limit) = checks.max_zero_ready {
            let c = judge_rows(
                Metric::ZeroReadyLongestS,
                limit.as_secs_f64(),
                &rows,
                service,
            );
            let detail = match (c.actual, worst_zero_ready_region(summary, service)) {
                (Some(s), Some(region)) if s > 0.0 => format!(
                    "{service} had no ready pod in {region} for {} while requests arrived there \
                     (at most {limit} allowed)",
                    SimDuration::from_secs_f64(s)
                ),
                _ => format!("{service} had a ready pod wherever requests arrived"),
            };
            out.push(c.with_detail(detail));
        }
        if let Some(limit) = checks.max_pending_share
            && rows.iter().any(|v| v.desired_pod_seconds > 0.0)
        {
            let c = judge_rows(Metric::PendingShare, limit, &rows, service);
            let detail = format!(
                "{service} spent {} of its desired pod-time Pending (at most {} allowed)",
                c.actual.map_or_else(|| "?".to_owned(), percent),
                percent(limit)
            );
            out.push(c.with_detail(detail));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use reports::Requests;
    use sim::recorder::{Cell, Kind};

    const MINUTE: SimDuration = SimDuration::from_secs(60);

    fn row(service: &str, region: &str, arrived: f64, dropped: f64) -> ServiceSummary {
        ServiceSummary {
            service: service.into(),
            region: region.into(),
            qos_class: "Burstable".into(),
            requests: Requests {
                arrived,
                served: arrived - dropped,
                dropped,
            },
            latency_ms: None,
            slo_attainment: None,
            zero_ready_longest_s: Some(0.0),
            desired_pod_seconds: 4.0 * 3600.0,
            pending_pod_seconds: 0.0,
        }
    }

    /// A summary of `services` and nothing else the checks read.
    fn summary(services: Vec<ServiceSummary>, unschedulable_pods: u64) -> Summary {
        let json = serde_json::json!({
            "schema_version": reports::SCHEMA_VERSION, "experiment": "t", "seed": 0,
            "start": "2026-11-27T00:00:00Z", "duration_s": 3600.0, "pass": true,
            "checks": [], "targets": [], "gates": [],
            "requests": {"arrived": 0.0, "served": 0.0, "dropped": 0.0},
            "latency_ms": null, "worst_sample_p99_ms": null, "slo_attainment": null,
            "cost_usd": 0.0, "node_hours": 0.0, "pending_pod_seconds": 0.0,
            "pools": [], "namespaces": [], "services": [], "warnings": [],
            "unschedulable_pods": unschedulable_pods, "events_dropped": 0,
        });
        let mut s: Summary = serde_json::from_value(json).unwrap();
        s.services = services;
        s
    }

    fn find<'a>(c: &'a [Check], name: &str, scope: &str) -> &'a Check {
        c.iter()
            .find(|x| x.name == name && x.scope.as_deref() == Some(scope))
            .unwrap_or_else(|| panic!("no {name} for {scope} in {c:?}"))
    }

    #[test]
    fn a_service_dropping_more_than_its_share_fails_and_one_at_the_limit_passes() {
        // checkout: 3 of 2000 dropped, 0.15 % > 0.1 %; api: 2 of 2000, exactly 0.1 %.
        let s = summary(
            vec![
                row("checkout", "us-east1", 2000.0, 3.0),
                row("api", "us-east1", 2000.0, 2.0),
            ],
            0,
        );
        let c = judge(&HealthChecks::default(), &s, &[]);
        let bad = find(&c, "dropped_share", "checkout");
        assert!(!bad.pass);
        assert_eq!(bad.actual, Some(0.0015));
        let detail = bad.detail.as_deref().unwrap();
        assert!(
            detail.contains("dropped 3 of 2,000 requests (0.15 %"),
            "{detail}"
        );
        assert!(find(&c, "dropped_share", "api").pass);
    }

    #[test]
    fn drops_are_judged_over_all_of_a_services_regions() {
        // 8 of 10 000 in one region, 16 of 10 000 in the other: 24 of 20 000 = 0.12 %.
        let s = summary(
            vec![
                row("api", "us-east1", 10_000.0, 8.0),
                row("api", "europe-west1", 10_000.0, 16.0),
            ],
            0,
        );
        let d = find(
            &judge(&HealthChecks::default(), &s, &[]),
            "dropped_share",
            "api",
        )
        .clone();
        assert_eq!(d.actual, Some(24.0 / 20_000.0));
        assert!(!d.pass);
    }

    fn table(rows: &[(&str, &str, u64, u64, u64, f64)]) -> Table {
        let mut t = Table::new(&[
            ("service", Kind::Text),
            ("region", Kind::Text),
            ("desired_pods", Kind::U64),
            ("ready_pods", Kind::U64),
            ("pending_pods", Kind::U64),
            ("arrived_requests", Kind::F64),
        ]);
        for &(service, region, desired, ready, pending, arrived) in rows {
            t.push_row(&[
                Cell::Text(service),
                Cell::Text(region),
                Cell::U64(desired),
                Cell::U64(ready),
                Cell::U64(pending),
                Cell::F64(arrived),
            ]);
        }
        t
    }

    #[test]
    fn the_longest_spell_without_a_ready_pod_counts_only_samples_with_traffic() {
        // us-east1: ready 4, then 0 for 6 samples with traffic, then 4. eu: 0 ready 3 samples
        // but requests only at 2 of them, not consecutive.
        let mut rows = vec![("web", "us-east1", 4, 4, 0, 1.0)];
        rows.extend([("web", "us-east1", 4, 0, 4, 1.0); 6]);
        rows.push(("web", "us-east1", 4, 4, 0, 1.0));
        rows.extend([
            ("web", "eu", 4, 0, 4, 1.0),
            ("web", "eu", 4, 0, 4, 0.0),
            ("web", "eu", 4, 0, 4, 1.0),
        ]);
        let f = row_figures(&table(&rows), MINUTE).unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].0, ("web".to_owned(), "us-east1".to_owned()));
        assert_eq!(f[0].1.zero_ready_longest_s, 360.0);
        assert_eq!(f[0].1.desired_pod_seconds, 8.0 * 4.0 * 60.0);
        assert_eq!(f[0].1.pending_pod_seconds, 6.0 * 4.0 * 60.0);
        assert_eq!(f[1].1.zero_ready_longest_s, 60.0);
        assert!(row_figures(&Table::new(&[("service", Kind::Text)]), MINUTE).is_none());
    }

    #[test]
    fn no_ready_pod_for_longer_than_the_limit_fails_and_at_the_limit_passes() {
        let mut long = row("checkout", "us-east1", 100.0, 0.0);
        long.zero_ready_longest_s = Some(360.0);
        let mut short = row("api", "us-east1", 100.0, 0.0);
        short.zero_ready_longest_s = Some(300.0);
        let c = judge(
            &HealthChecks::default(),
            &summary(vec![long, short], 0),
            &[],
        );
        let z = find(&c, "zero_ready_longest_s", "checkout");
        assert!(!z.pass);
        let detail = z.detail.as_deref().unwrap();
        assert!(detail.contains("in us-east1 for 6m"), "{detail}");
        assert!(find(&c, "zero_ready_longest_s", "api").pass);
    }

    #[test]
    fn pending_share_is_pending_over_desired_pod_time_and_can_be_relaxed() {
        // 3 of 40 pod-minutes Pending: 7.5 % > 5 %.
        let mut r = row("api", "us-east1", 100.0, 0.0);
        r.desired_pod_seconds = 40.0 * 60.0;
        r.pending_pod_seconds = 3.0 * 60.0;
        let s = summary(vec![r], 0);
        let p = find(
            &judge(&HealthChecks::default(), &s, &[]),
            "pending_share",
            "api",
        )
        .clone();
        assert_eq!(p.actual, Some(0.075));
        assert!(!p.pass);
        let relaxed = HealthChecks {
            max_pending_share: Some(0.1),
            ..HealthChecks::default()
        };
        assert!(find(&judge(&relaxed, &s, &[]), "pending_share", "api").pass);
    }

    #[test]
    fn pods_that_fit_no_node_fail_the_run_unless_turned_off() {
        let why = ["service checkout in us-east1: requests exceed every node".to_owned()];
        let c = judge(&HealthChecks::default(), &summary(vec![], 4), &why);
        assert_eq!(c.len(), 1);
        assert!(!c[0].pass);
        assert_eq!(c[0].detail.as_deref(), Some(why[0].as_str()));
        let off = HealthChecks {
            unschedulable: false,
            ..HealthChecks::default()
        };
        assert!(judge(&off, &summary(vec![], 4), &why).is_empty());
        assert!(judge(&HealthChecks::default(), &summary(vec![], 0), &[])[0].pass);
    }

    #[test]
    fn a_check_written_none_is_not_judged_nor_a_service_without_traffic_on_drops() {
        let off = HealthChecks {
            max_dropped_share: None,
            max_zero_ready: None,
            max_pending_share: None,
            unschedulable: false,
        };
        let s = summary(vec![row("api", "us-east1", 100.0, 100.0)], 0);
        assert!(judge(&off, &s, &[]).is_empty());
        let idle = summary(vec![row("api", "us-east1", 0.0, 0.0)], 0);
        let c = judge(&HealthChecks::default(), &idle, &[]);
        assert!(c.iter().all(|c| c.name != "dropped_share"), "{c:?}");
    }

    #[test]
    fn shares_outside_zero_to_one_are_refused() {
        let bad = HealthChecks {
            max_pending_share: Some(1.5),
            ..HealthChecks::default()
        };
        assert_eq!(bad.validate().unwrap_err().0, "max_pending_share");
        assert!(HealthChecks::default().validate().is_ok());
    }
}

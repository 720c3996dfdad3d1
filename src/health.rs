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
//! | `unschedulable` | `true` | run | workloads found before the run to fit no node any pool could have |
//!
//! Why these defaults: 0.1 % of requests is the error budget of a 99.9 % availability SLO, the
//! tightest target most services publish; five minutes without a ready pod is longer than any
//! failover in the bundled examples takes to move traffic away (health-check detection plus one
//! DNS TTL, `faults.failover`), so only a region left serving nobody trips it; 5 % of a service's
//! desired pod-time spent Pending is about what a flash crowd costs while a node autoscaler adds
//! nodes (2–3 % in `flash-crowd-*.ron`), doubled.

use std::collections::BTreeMap;

use reports::Op;
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

/// One region of one service, as the time series shows it: the samples in time order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceRegionSeries {
    pub service: String,
    pub region: String,
    pub desired_pods: Vec<u64>,
    pub ready_pods: Vec<u64>,
    pub pending_pods: Vec<u64>,
    /// Requests that arrived in the interval ending at each sample.
    pub arrived_requests: Vec<f64>,
    pub dropped_requests: Vec<f64>,
}

/// One check, judged.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The metric's name (`dropped_share`, `zero_ready_s`, `pending_share`,
    /// `unschedulable_workloads`).
    pub name: &'static str,
    /// `None` for the whole run, else the service.
    pub scope: Option<String>,
    pub op: Op,
    pub limit: f64,
    /// `None` when the run gave nothing to measure: a fail, as for a gate.
    pub actual: Option<f64>,
    /// One sentence with the figure, for the terminal and the page.
    pub detail: String,
}

impl Finding {
    pub fn pass(&self) -> bool {
        self.actual.is_some_and(|a| self.op.holds(a, self.limit))
    }
}

/// Reads the per-(service, region) series out of the run's `timeseries` table (one row per
/// sample instant and service region, in time order); `None` when a column the checks read is
/// missing or of another kind (a schema change the checks were not told of).
pub fn series_of(table: &Table) -> Option<Vec<ServiceRegionSeries>> {
    let text = |name| match table.column(name)? {
        Values::Text(v) => Some(v),
        _ => None,
    };
    let whole = |name| match table.column(name)? {
        Values::U64(v) => Some(v),
        _ => None,
    };
    let real = |name| match table.column(name)? {
        Values::F64(v) => Some(v),
        _ => None,
    };
    let (services, regions) = (text("service")?, text("region")?);
    let (desired, ready, pending) = (
        whole("desired_pods")?,
        whole("ready_pods")?,
        whole("pending_pods")?,
    );
    let (arrived, dropped) = (real("arrived_requests")?, real("dropped_requests")?);
    let mut out: Vec<ServiceRegionSeries> = Vec::new();
    // Rows come instant by instant in the same service order: index the first instant's order.
    let mut index: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for row in 0..table.rows() {
        let key = (services[row].as_str(), regions[row].as_str());
        let at = *index.entry(key).or_insert_with(|| {
            out.push(ServiceRegionSeries {
                service: key.0.to_owned(),
                region: key.1.to_owned(),
                ..ServiceRegionSeries::default()
            });
            out.len() - 1
        });
        let s = &mut out[at];
        s.desired_pods.push(desired[row]);
        s.ready_pods.push(ready[row]);
        s.pending_pods.push(pending[row]);
        s.arrived_requests.push(arrived[row]);
        s.dropped_requests.push(dropped[row]);
    }
    Some(out)
}

/// The series grouped by service, in first-appearance order (the time series' own order, which
/// follows the experiment), so findings come out in a stable order.
fn by_service(series: &[ServiceRegionSeries]) -> Vec<(&str, Vec<&ServiceRegionSeries>)> {
    let mut groups: Vec<(&str, Vec<&ServiceRegionSeries>)> = Vec::new();
    for s in series {
        match groups.iter_mut().find(|(name, _)| *name == s.service) {
            Some((_, members)) => members.push(s),
            None => groups.push((&s.service, vec![s])),
        }
    }
    groups
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

/// Dropped ÷ arrived per service; a service no request reached is not judged.
fn dropped_share(limit: f64, groups: &[(&str, Vec<&ServiceRegionSeries>)]) -> Vec<Finding> {
    groups
        .iter()
        .filter_map(|(service, members)| {
            let arrived: f64 = members.iter().flat_map(|s| &s.arrived_requests).sum();
            let dropped: f64 = members.iter().flat_map(|s| &s.dropped_requests).sum();
            (arrived > 0.0).then(|| {
                let share = dropped / arrived;
                Finding {
                    name: "dropped_share",
                    scope: Some((*service).to_owned()),
                    op: Op::Le,
                    limit,
                    actual: Some(share),
                    detail: format!(
                        "{service} dropped {dropped:.0} of {arrived:.0} requests ({}; at most {} allowed)",
                        percent(share),
                        percent(limit)
                    ),
                }
            })
        })
        .collect()
}

/// The longest stretch of consecutive samples at which `s` had no ready pod while requests
/// arrived, in samples.
fn longest_zero_ready(s: &ServiceRegionSeries) -> usize {
    let (mut run, mut longest) = (0, 0);
    for (ready, arrived) in s.ready_pods.iter().zip(&s.arrived_requests) {
        if *ready == 0 && *arrived > 0.0 {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    longest
}

/// Per service, its worst region's longest stretch without a ready pod while requests arrived.
fn zero_ready(
    limit: SimDuration,
    interval: SimDuration,
    groups: &[(&str, Vec<&ServiceRegionSeries>)],
) -> Vec<Finding> {
    groups
        .iter()
        .map(|(service, members)| {
            // The first region wins a tie, so the named region is stable.
            let mut worst: Option<(&str, usize)> = None;
            for s in members {
                let n = longest_zero_ready(s);
                if worst.is_none_or(|(_, w)| n > w) {
                    worst = Some((&s.region, n));
                }
            }
            let (region, samples) = worst.unwrap_or(("", 0));
            let span_s = samples as f64 * interval.as_secs_f64();
            let detail = if samples == 0 {
                format!("{service} always had a ready pod where requests arrived")
            } else {
                format!(
                    "{service} had no ready pod in {region} for {} while requests arrived there (at most {limit} allowed)",
                    SimDuration::from_secs(span_s as u64)
                )
            };
            Finding {
                name: "zero_ready_s",
                scope: Some((*service).to_owned()),
                op: Op::Le,
                limit: limit.as_secs_f64(),
                actual: Some(span_s),
                detail,
            }
        })
        .collect()
}

/// Σ pending ÷ Σ desired pods over the samples, per service; a service that never desired a
/// pod is not judged.
fn pending_share(limit: f64, groups: &[(&str, Vec<&ServiceRegionSeries>)]) -> Vec<Finding> {
    groups
        .iter()
        .filter_map(|(service, members)| {
            let desired: u64 = members.iter().flat_map(|s| &s.desired_pods).sum();
            let pending: u64 = members.iter().flat_map(|s| &s.pending_pods).sum();
            (desired > 0).then(|| {
                let share = pending as f64 / desired as f64;
                Finding {
                    name: "pending_share",
                    scope: Some((*service).to_owned()),
                    op: Op::Le,
                    limit,
                    actual: Some(share),
                    detail: format!(
                        "{service} had {} of its desired pod-time Pending (at most {} allowed)",
                        percent(share),
                        percent(limit)
                    ),
                }
            })
        })
        .collect()
}

/// The run's health checks, in a fixed order: unschedulable workloads, then per service
/// dropped share, time without a ready pod and pending share. `unschedulable` are the
/// findings made before the run (one sentence each).
pub fn judge(
    checks: &HealthChecks,
    interval: SimDuration,
    series: &[ServiceRegionSeries],
    unschedulable: &[String],
) -> Vec<Finding> {
    let groups = by_service(series);
    let mut findings = Vec::new();
    if checks.unschedulable {
        findings.push(Finding {
            name: "unschedulable_workloads",
            scope: None,
            op: Op::Le,
            limit: 0.0,
            actual: Some(unschedulable.len() as f64),
            detail: match unschedulable {
                [] => "every workload fits a node its pools can have".to_owned(),
                [one] => one.clone(),
                [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
            },
        });
    }
    if let Some(limit) = checks.max_dropped_share {
        findings.extend(dropped_share(limit, &groups));
    }
    if let Some(limit) = checks.max_zero_ready {
        findings.extend(zero_ready(limit, interval, &groups));
    }
    if let Some(limit) = checks.max_pending_share {
        findings.extend(pending_share(limit, &groups));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(service: &str, region: &str, ready: &[u64], arrived: &[f64]) -> ServiceRegionSeries {
        ServiceRegionSeries {
            service: service.into(),
            region: region.into(),
            desired_pods: vec![4; ready.len()],
            ready_pods: ready.to_vec(),
            pending_pods: ready.iter().map(|r| 4 - r.min(&4)).collect(),
            arrived_requests: arrived.to_vec(),
            dropped_requests: vec![0.0; ready.len()],
        }
    }

    const MINUTE: SimDuration = SimDuration::from_secs(60);

    fn find<'a>(f: &'a [Finding], name: &str, scope: &str) -> &'a Finding {
        f.iter()
            .find(|x| x.name == name && x.scope.as_deref() == Some(scope))
            .unwrap_or_else(|| panic!("no {name} for {scope} in {f:?}"))
    }

    #[test]
    fn a_service_dropping_more_than_its_share_fails_and_one_below_passes() {
        let mut bad = series("checkout", "us-east1", &[4, 4], &[1000.0, 1000.0]);
        bad.dropped_requests = vec![0.0, 3.0]; // 3 of 2000: 0.15 % > 0.1 %
        let mut good = series("api", "us-east1", &[4, 4], &[1000.0, 1000.0]);
        good.dropped_requests = vec![1.0, 1.0]; // 2 of 2000: exactly 0.1 %, at the limit
        let f = judge(&HealthChecks::default(), MINUTE, &[bad, good], &[]);
        let bad = find(&f, "dropped_share", "checkout");
        assert!(!bad.pass());
        assert_eq!(bad.actual, Some(0.0015));
        assert!(
            bad.detail.contains("dropped 3 of 2000 requests (0.15 %"),
            "{}",
            bad.detail
        );
        assert!(find(&f, "dropped_share", "api").pass());
    }

    #[test]
    fn drops_add_up_over_a_services_regions() {
        // 0.08 % in each region alone, but the service is judged over both: still 0.08 %.
        let mut a = series("api", "us-east1", &[4], &[10_000.0]);
        a.dropped_requests = vec![8.0];
        let mut b = series("api", "europe-west1", &[4], &[10_000.0]);
        b.dropped_requests = vec![8.0];
        let f = judge(&HealthChecks::default(), MINUTE, &[a, b], &[]);
        let d = find(&f, "dropped_share", "api");
        assert_eq!(d.actual, Some(16.0 / 20_000.0));
        assert!(d.pass());
    }

    #[test]
    fn no_ready_pod_for_longer_than_the_limit_while_traffic_arrives_fails() {
        // Six one-minute samples without a ready pod: 6 min > 5 min.
        let s = series("checkout", "us-east1", &[4, 0, 0, 0, 0, 0, 0, 4], &[1.0; 8]);
        let f = judge(&HealthChecks::default(), MINUTE, &[s], &[]);
        let z = find(&f, "zero_ready_s", "checkout");
        assert_eq!(z.actual, Some(360.0));
        assert!(!z.pass());
        assert!(z.detail.contains("in us-east1 for 6m"), "{}", z.detail);
    }

    #[test]
    fn no_ready_pod_without_traffic_or_for_a_short_stretch_passes() {
        // Five samples (5 min, at the limit) with traffic; then ten without any request.
        let mut ready = vec![0; 5];
        ready.extend([4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let mut arrived = vec![1.0; 6];
        arrived.extend([0.0; 10]);
        let s = series("batchy", "us-east1", &ready, &arrived);
        let f = judge(&HealthChecks::default(), MINUTE, &[s], &[]);
        let z = find(&f, "zero_ready_s", "batchy");
        assert_eq!(z.actual, Some(300.0));
        assert!(z.pass());
    }

    #[test]
    fn the_worst_region_names_the_zero_ready_finding() {
        let a = series("web", "us-east1", &[0, 4, 4], &[1.0; 3]);
        let b = series("web", "asia-east1", &[0, 0, 4], &[1.0; 3]);
        let f = judge(&HealthChecks::default(), MINUTE, &[a, b], &[]);
        let z = find(&f, "zero_ready_s", "web");
        assert_eq!(z.actual, Some(120.0));
        assert!(z.detail.contains("asia-east1"), "{}", z.detail);
    }

    #[test]
    fn pending_share_is_pending_over_desired_pod_samples() {
        // Desired 4 at each of 10 samples (40); 1 pending at 3 of them (3): 7.5 % > 5 %.
        let mut ready = vec![4; 10];
        ready[2] = 3;
        ready[3] = 3;
        ready[4] = 3;
        let s = series("api", "us-east1", &ready, &[1.0; 10]);
        let f = judge(&HealthChecks::default(), MINUTE, &[s.clone()], &[]);
        let p = find(&f, "pending_share", "api");
        assert_eq!(p.actual, Some(3.0 / 40.0));
        assert!(!p.pass());
        let relaxed = HealthChecks {
            max_pending_share: Some(0.1),
            ..HealthChecks::default()
        };
        assert!(find(&judge(&relaxed, MINUTE, &[s], &[]), "pending_share", "api").pass());
    }

    #[test]
    fn a_workload_that_fits_no_node_fails_the_run_unless_turned_off() {
        let why =
            vec!["service checkout: requests cpu 16 exceed every pool's allocatable".to_owned()];
        let f = judge(&HealthChecks::default(), MINUTE, &[], &why);
        assert_eq!(f.len(), 1);
        assert!(!f[0].pass());
        assert_eq!(f[0].detail, why[0]);
        let off = HealthChecks {
            unschedulable: false,
            ..HealthChecks::default()
        };
        assert!(judge(&off, MINUTE, &[], &why).is_empty());
        assert!(judge(&HealthChecks::default(), MINUTE, &[], &[])[0].pass());
    }

    #[test]
    fn the_series_are_read_per_service_region_from_the_time_series_table() {
        use sim::recorder::{Cell, Kind};
        let mut t = Table::new(&[
            ("service", Kind::Text),
            ("region", Kind::Text),
            ("desired_pods", Kind::U64),
            ("ready_pods", Kind::U64),
            ("pending_pods", Kind::U64),
            ("arrived_requests", Kind::F64),
            ("dropped_requests", Kind::F64),
        ]);
        for (i, (svc, region)) in [("a", "r1"), ("a", "r2"), ("a", "r1"), ("a", "r2")]
            .into_iter()
            .enumerate()
        {
            let n = i as u64;
            t.push_row(&[
                Cell::Text(svc),
                Cell::Text(region),
                Cell::U64(n),
                Cell::U64(n),
                Cell::U64(0),
                Cell::F64(n as f64),
                Cell::F64(0.0),
            ]);
        }
        let s = series_of(&t).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s[0].region.as_str(), s[0].ready_pods.as_slice()),
            ("r1", &[0, 2][..])
        );
        assert_eq!(
            (s[1].region.as_str(), s[1].arrived_requests.as_slice()),
            ("r2", &[1.0, 3.0][..])
        );
        assert!(series_of(&Table::new(&[("service", Kind::Text)])).is_none());
    }

    #[test]
    fn a_check_written_none_is_not_judged() {
        let off = HealthChecks {
            max_dropped_share: None,
            max_zero_ready: None,
            max_pending_share: None,
            unschedulable: false,
        };
        let s = series("api", "us-east1", &[0; 10], &[1.0; 10]);
        assert!(judge(&off, MINUTE, &[s], &[]).is_empty());
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

//! Judging a service's own `targets` (issue 17): a run-wide p99 can pass while one service sits
//! above its line all day, so each service with targets is judged for each of its regions and,
//! when it is declared once, over all its regions together.
//!
//! Figures are the same as the run's, restricted to the service: p99 from the merged latency
//! histogram of its served requests (exact to half a bucket, ±3.7 %), SLO attainment = requests
//! served within its p99 target ÷ arrived (dropped requests count as misses), dropped share =
//! dropped ÷ arrived. A figure the run could not measure (no request served) fails, as a gate's.

use models::config::ServiceTargets;
use models::latency::{Counts, Histogram};
use reports::Op;

use crate::health::Finding;

/// What the run measured for one scope (a service in one region, or over all its regions).
pub struct Measured<'a> {
    /// `"checkout/us-east1"` or `"checkout"`.
    pub scope: String,
    pub counts: Counts,
    pub histogram: &'a Histogram,
}

fn share(part: f64, whole: f64) -> Option<f64> {
    (whole > 0.0).then(|| part / whole)
}

/// The findings of one scope against `targets`, in the fields' order. `latency_target` is the
/// threshold SLO attainment was counted against (the service's own p99 target, else the run's).
pub fn judge(targets: &ServiceTargets, m: &Measured<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut push = |name: &'static str, op: Op, limit: f64, actual: Option<f64>, what: String| {
        findings.push(Finding {
            name,
            scope: Some(m.scope.clone()),
            op,
            limit,
            actual,
            detail: match actual {
                Some(_) => format!("{}: {what}", m.scope),
                None => format!("{}: no request was served, nothing to measure", m.scope),
            },
        });
    };
    if let Some(p99) = targets.p99_latency {
        let limit_ms = p99.as_secs_f64() * 1e3;
        let actual = m.histogram.quantile_s(0.99).map(|s| s * 1e3);
        let what = format!(
            "p99 of its served requests {:.1} ms (target ≤ {limit_ms} ms)",
            actual.unwrap_or(f64::NAN)
        );
        push("p99_latency_ms", Op::Le, limit_ms, actual, what);
    }
    if let Some(floor) = targets.slo_attainment {
        let actual = share(m.counts.within_target, m.counts.arrived);
        let what = format!(
            "{:.5} of its requests served within the p99 target (target ≥ {floor})",
            actual.unwrap_or(f64::NAN)
        );
        push("slo_attainment", Op::Ge, floor, actual, what);
    }
    if let Some(ceiling) = targets.max_dropped_share {
        let actual = share(m.counts.dropped, m.counts.arrived);
        let what = format!(
            "dropped {:.0} of {:.0} requests (share {:.5}, target ≤ {ceiling})",
            m.counts.dropped,
            m.counts.arrived,
            actual.unwrap_or(f64::NAN)
        );
        push("dropped_share", Op::Le, ceiling, actual, what);
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::time::SimDuration;

    fn counts(arrived: f64, dropped: f64, within: f64) -> Counts {
        Counts {
            arrived,
            served: arrived - dropped,
            dropped,
            within_target: within,
        }
    }

    #[test]
    fn each_set_target_is_one_finding_judged_on_the_scope() {
        let targets = ServiceTargets {
            p99_latency: Some(SimDuration::from_millis(100)),
            slo_attainment: Some(0.999),
            max_dropped_share: Some(0.001),
        };
        let empty = Histogram::default();
        // 10 000 arrived, 5 dropped (0.05 %: passes), 9 980 within target (0.998: misses).
        let m = Measured {
            scope: "checkout/us-east1".into(),
            counts: counts(10_000.0, 5.0, 9_980.0),
            histogram: &empty,
        };
        let f = judge(&targets, &m);
        assert_eq!(f.len(), 3);
        // No served request in the histogram: the p99 is unmeasured, which fails.
        assert_eq!(f[0].name, "p99_latency_ms");
        assert!(!f[0].pass());
        assert!(
            f[0].detail.contains("nothing to measure"),
            "{}",
            f[0].detail
        );
        assert_eq!(f[1].name, "slo_attainment");
        assert_eq!(f[1].actual, Some(0.998));
        assert!(!f[1].pass());
        assert_eq!(f[2].name, "dropped_share");
        assert_eq!(f[2].actual, Some(0.0005));
        assert!(f[2].pass());
        assert!(
            f.iter()
                .all(|x| x.scope.as_deref() == Some("checkout/us-east1"))
        );
    }

    #[test]
    fn no_targets_no_findings() {
        let empty = Histogram::default();
        let m = Measured {
            scope: "api".into(),
            counts: counts(1.0, 0.0, 1.0),
            histogram: &empty,
        };
        assert!(judge(&ServiceTargets::default(), &m).is_empty());
    }
}

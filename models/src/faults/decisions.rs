//! The failover load balancer's answers, up to the run's end, as rows of the decisions log (controller `failover`),
//! so `clustersim explain --at` during an outage says what the health checks saw, where each
//! client region's traffic went and when it came back, and what the RTO/RPO books closed at.
//!
//! The router is a pure function of the outages (`router`), so its decisions are read from the
//! failover groups after the run rather than logged as they happen: per group (a service
//! behind the load balancer) and region,
//! - `health-check` `Unhealthy` / `Healthy`: when the checks changed their view, with the
//!   actual change before it and the delay (value, in seconds);
//! - `route` `TrafficShifted`: the DNS answer that followed, as each client region's shares
//!   before → after, and when every client has moved (one TTL later); `current`/`final` are
//!   the region's share of the group's traffic before and after, with every client region
//!   weighted alike;
//! - `failback` `FailbackStarted` / `FailbackFinished`: the failback policy's return of the
//!   region's traffic, started when the checks pass it, finished when the ramp and the clients'
//!   TTL are over.
//!
//! And per regional outage from the RPO/RTO books (`recovery`): `rto` `RtoBooked` or
//! `RtoNotRestored` with its phases (value the RTO in seconds), the RPO when the region held a
//! replication primary, and `failback` `FailbackRestored` with the requests dropped after the
//! return (value).

use std::sync::Arc;

use sim::time::{SimDuration, SimTime};

use super::config::Failback;
use super::failover::FailoverGroup;
use super::recovery::RecoveryReport;
use super::router::FailoverRouter;
use super::rto::RtoOutcome;
use crate::api::decisions::{
    Controller, Decision, DecisionRow, Decisions, Described, Figures, Scope,
};

/// The failover rows of a run, in time order (`end_ns`: the run's end, for the cap's row).
pub fn failover_decisions(
    groups: &[FailoverGroup],
    recovery: &[RecoveryReport],
    end_ns: u64,
) -> Vec<DecisionRow> {
    let mut rows: Vec<(SimTime, Row)> = Vec::new();
    for group in groups {
        group_rows(group, &mut rows);
    }
    for report in recovery {
        recovery_rows(report, &mut rows);
    }
    // Stable: a group's rows of one instant keep their order (health check, route, failback).
    rows.sort_by_key(|(t, _)| *t);
    // The router knows the outages' whole course; the run saw up to its end.
    rows.retain(|(t, _)| t.as_nanos() <= end_ns);
    let log = Decisions::default();
    for (stream, (t, row)) in rows.into_iter().enumerate() {
        let decision = Decision {
            time_ns: t.as_nanos(),
            controller: Controller::Failover,
            stream: stream as u64,
            kind: row.kind,
            outcome: row.outcome,
            figures: row.figures,
        };
        log.record(decision, || Described {
            scope: Scope {
                region: Arc::from(row.region.as_str()),
                scope: Arc::from(row.scope.as_str()),
            },
            subject: Arc::from(""),
            detail: row.detail,
        });
    }
    log.take(end_ns)
}

struct Row {
    region: String,
    scope: String,
    kind: &'static str,
    outcome: &'static str,
    figures: Figures,
    detail: String,
}

/// An instant as the time since the run's start: `T+1h2m30s` (the row's `time_utc` has the
/// clock).
fn at(t: SimTime) -> String {
    format!("T+{}", SimDuration::from_nanos(t.as_nanos()))
}

fn group_rows(group: &FailoverGroup, rows: &mut Vec<(SimTime, Row)>) {
    let router = &group.current_router();
    let service = &group.service;
    let row = |region: &str, kind, outcome, figures, detail| Row {
        region: region.to_owned(),
        scope: service.clone(),
        kind,
        outcome,
        figures,
        detail,
    };
    for (r, name) in router.regions().iter().enumerate() {
        for &(seen, healthy) in router.observed_changes(r) {
            // The actual change the checks followed: the latest one at or before.
            let actual = router
                .actual_changes(r)
                .iter()
                .rev()
                .find(|&&(t, h)| t <= seen && h == healthy)
                .map_or(SimTime::ZERO, |&(t, _)| t);
            let delay = seen.saturating_duration_since(actual);
            let waits = matches!(router.failback(), Failback::WaitForCapacity(_));
            let (outcome, words) = if healthy && waits {
                (
                    "Healthy",
                    "healthy again: its deep check passing (capacity back)",
                )
            } else if healthy {
                ("Healthy", "healthy again: up")
            } else {
                ("Unhealthy", "unhealthy: down")
            };
            rows.push((
                seen,
                row(
                    name,
                    "health-check",
                    outcome,
                    Figures {
                        value: delay.as_secs_f64(),
                        ..Figures::NONE
                    },
                    format!(
                        "health checks see {name} {words} since {}, seen after {delay}",
                        at(actual)
                    ),
                ),
            ));
            let moved = router.clients_moved_at(seen);
            let (share_before, share_after) = (global_share(router, seen, r, true), {
                global_share(router, moved, r, false)
            });
            if !healthy {
                rows.push((
                    seen,
                    row(
                        name,
                        "route",
                        "TrafficShifted",
                        Figures {
                            current: share_before,
                            final_: share_after,
                            ..Figures::NONE
                        },
                        format!(
                            "DNS answer without {name}: {}; every client moved by {} (TTL)",
                            shifts(router, seen, moved),
                            at(moved)
                        ),
                    ),
                ));
                continue;
            }
            let done = router.failback_done_at(seen);
            let policy = match router.failback() {
                Failback::Immediate => "Immediate".to_owned(),
                Failback::Gradual(ramp) => format!("Gradual({ramp})"),
                Failback::WaitForCapacity(share) => format!(
                    "WaitForCapacity({share}) (the deep health check passed with the capacity)"
                ),
            };
            rows.push((
                seen,
                row(
                    name,
                    "failback",
                    "FailbackStarted",
                    Figures {
                        current: share_before,
                        final_: global_share(router, done, r, false),
                        ..Figures::NONE
                    },
                    format!(
                        "failback {policy}: {name} back in the DNS answer from {}, its traffic in \
                         full by {}",
                        at(seen),
                        at(done)
                    ),
                ),
            ));
            rows.push((
                done,
                row(
                    name,
                    "failback",
                    "FailbackFinished",
                    Figures {
                        final_: global_share(router, done, r, false),
                        ..Figures::NONE
                    },
                    format!("traffic back on {name}: {}", shifts(router, seen, done)),
                ),
            ));
        }
    }
}

/// Region `r`'s share of the group's traffic at `t` (just before `t` when `before`), every
/// client region weighted alike.
fn global_share(router: &FailoverRouter, t: SimTime, r: usize, before: bool) -> f64 {
    let t = if before {
        SimTime::from_nanos(t.as_nanos().saturating_sub(1))
    } else {
        t
    };
    let n = router.regions().len();
    router.weights_at(t, &vec![1.0; n]).shares[r].1
}

/// Each client region's shares just before `from` → at `to`, for those that changed:
/// "clients of us-west-2: us-west-2 100% → us-east-1 100%".
fn shifts(router: &FailoverRouter, from: SimTime, to: SimTime) -> String {
    let before_t = SimTime::from_nanos(from.as_nanos().saturating_sub(1));
    let words = |shares: &[(String, f64)], unserved: f64| {
        let mut parts: Vec<String> = shares
            .iter()
            .filter(|(_, s)| *s > 0.0)
            .map(|(name, s)| format!("{name} {}", percent(*s)))
            .collect();
        if unserved > 0.0 {
            parts.push(format!("unserved {}", percent(unserved)));
        }
        parts.join(" + ")
    };
    let mut out = Vec::new();
    for (o, origin) in router.regions().iter().enumerate() {
        let (before, after) = (router.split_from(before_t, o), router.split_from(to, o));
        if before.shares == after.shares && before.unserved == after.unserved {
            continue;
        }
        out.push(format!(
            "clients of {origin}: {} → {}",
            words(&before.shares, before.unserved),
            words(&after.shares, after.unserved)
        ));
    }
    if out.is_empty() {
        "no client moves".to_owned()
    } else {
        out.join("; ")
    }
}

fn percent(share: f64) -> String {
    format!("{}%", (share * 1000.0).round() / 10.0)
}

fn recovery_rows(report: &RecoveryReport, rows: &mut Vec<(SimTime, Row)>) {
    let region = &report.region;
    let rpo = report.rpo.as_ref().map_or(String::new(), |r| {
        format!(
            "; RPO {} ({:.0} writes not replicated)",
            SimDuration::from_millis(r.lag.as_nanos().div_ceil(1_000_000)),
            r.unreplicated_writes
        )
    });
    let (t, outcome, value, detail) = match report.rto {
        RtoOutcome::Restored {
            restored_at,
            rto,
            phases,
        } => (
            restored_at,
            "RtoBooked",
            rto.as_secs_f64(),
            format!(
                "outage of {region} from {}: SLO restored, RTO {rto} (detection {}, routing {}, \
                 warm-up {}, scale-up {}){rpo}",
                at(report.failed_at),
                phases.detection,
                phases.routing,
                phases.warm_up,
                phases.scale_up
            ),
        ),
        RtoOutcome::NotRestored { at_least } => (
            report.failed_at + at_least,
            "RtoNotRestored",
            at_least.as_secs_f64(),
            format!(
                "outage of {region} from {}: SLO not restored by the last sample, RTO at least \
                 {at_least}{rpo}",
                at(report.failed_at)
            ),
        ),
    };
    rows.push((
        t,
        Row {
            region: region.clone(),
            scope: String::new(),
            kind: "rto",
            outcome,
            figures: Figures {
                value,
                ..Figures::NONE
            },
            detail,
        },
    ));
    if let Some(f) = report.failback {
        let (t, outcome, when) = match f.restored_at {
            Some(r) => (
                r,
                "FailbackRestored",
                format!("SLO held again from {}", at(r)),
            ),
            None => (
                f.returned_at,
                "FailbackNotRestored",
                "SLO not held again by the last sample".to_owned(),
            ),
        };
        rows.push((
            t,
            Row {
                region: region.clone(),
                scope: String::new(),
                kind: "failback",
                outcome,
                figures: Figures {
                    value: f.dropped_requests,
                    ..Figures::NONE
                },
                detail: format!(
                    "traffic back on {region} in full at {}; {when}; {:.0} requests dropped \
                     from the return",
                    at(f.returned_at),
                    f.dropped_requests
                ),
            },
        ));
    }
}

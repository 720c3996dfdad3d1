//! The "Decisions" of a run, for `report.html`: what the controllers decided and what the
//! cloud did to the cluster (HPA rescales and held recommendations, node scale-ups, scale-downs
//! and consolidations, preemptions, spot notices, failed nodes and regional outages), read from
//! the events table that every run already records, grouped per service or pool.
//!
//! Bounded whatever the run: a 2.3 M-pod day logs ~150 k events, so each group keeps its
//! count, its first [`SHOWN_PER_END`] and its last [`SHOWN_PER_END`] events (the page says how
//! many it leaves out), and at most [`MAX_GROUPS`] groups are listed. Events of other reasons
//! (pods created, deleted, failed scheduling...) are only counted, by reason.

use std::collections::{BTreeMap, VecDeque};

use sim::recorder::Table;

use crate::chart::data::{f64_column, text_column};
use crate::error::ReportError;
use crate::summary::Summary;

/// Events shown at each end of a group: the first ones say how it started, the last ones how
/// it ended.
pub const SHOWN_PER_END: usize = 5;

/// Groups listed at most; the rest are counted in a note.
pub const MAX_GROUPS: usize = 60;

/// What kind of decision an event records, in the order the page lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// `SuccessfulRescale`, `ScalingHeld`: per HorizontalPodAutoscaler.
    Hpa,
    /// `ScheduledScaling`, `ThresholdScaling`, `PredictiveForecast`, `PredictiveScaling`,
    /// `CostAwareScaling`, `KEDAScaleTarget{Activated,Deactivated}`: per HPA or deployment a scaling policy acts on.
    Policy,
    /// `TriggeredScaleUp`, `ScaleDown` (consolidations included): per node pool.
    NodeAutoscaling,
    /// `Preempted`: per deployment of the evicted pods.
    Preemption,
    /// `SpotInterruption`: per node pool.
    SpotNotice,
    /// `NodeNotReady` (a failed node, a region down): per node pool.
    NodeFailure,
    /// The regional outages of the summary's recovery figures: per region.
    Failover,
}

impl Kind {
    /// The kind of an event's `reason`; `None` for events that are not decisions.
    fn of(reason: &str) -> Option<Kind> {
        match reason {
            "SuccessfulRescale" | "ScalingHeld" => Some(Kind::Hpa),
            "ScheduledScaling"
            | "ThresholdScaling"
            | "PredictiveForecast"
            | "PredictiveScaling"
            | "CostAwareScaling"
            | "KEDAScaleTargetActivated"
            | "KEDAScaleTargetDeactivated" => Some(Kind::Policy),
            "TriggeredScaleUp" | "ScaleDown" | "NodeNotSchedulable" => Some(Kind::NodeAutoscaling),
            "Preempted" => Some(Kind::Preemption),
            "SpotInterruption" => Some(Kind::SpotNotice),
            "NodeNotReady" => Some(Kind::NodeFailure),
            _ => None,
        }
    }

    /// The heading of its part of the page.
    pub fn title(self) -> &'static str {
        match self {
            Kind::Hpa => "Horizontal Pod Autoscaler: rescales and held recommendations",
            Kind::Policy => {
                "Scaling policies: scheduled, threshold, predictive, cost-aware and event-driven (KEDA)"
            }
            Kind::NodeAutoscaling => {
                "Node autoscaling (Cluster Autoscaler, Karpenter): scale-ups, scale-downs, \
                 consolidations"
            }
            Kind::Preemption => "Preemptions",
            Kind::SpotNotice => "Spot interruption notices",
            Kind::NodeFailure => "Failed nodes and regional outages",
            Kind::Failover => "Failovers",
        }
    }
}

/// One recorded event as the page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub time_s: f64,
    pub time_utc: String,
    pub reason: String,
    pub object: String,
    /// The event's text; one event may stand for many pods or nodes, which it says ("40
    /// pod(s): ...").
    pub message: String,
}

/// The events of one kind about one service or pool.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub kind: Kind,
    /// The HPA, the pool, the deployment or the region the events are about.
    pub subject: String,
    /// Events in the group.
    pub events: usize,
    pub first: Vec<Event>,
    /// The last events, when the group has more than [`SHOWN_PER_END`] (none repeat `first`).
    pub last: Vec<Event>,
}

impl Group {
    /// Events neither in `first` nor in `last`.
    pub fn left_out(&self) -> usize {
        self.events - self.first.len() - self.last.len()
    }
}

/// Everything the "Decisions" section shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Decisions {
    /// Whether the run's folder has an events table (an older one may not).
    pub recorded: bool,
    /// In [`Kind`] order, each kind's groups in order of their first event.
    pub groups: Vec<Group>,
    /// Groups past [`MAX_GROUPS`] and their events, counted only.
    pub groups_left_out: usize,
    pub events_left_out: usize,
    /// Events of other reasons: (reason, events), by reason.
    pub others: Vec<(String, usize)>,
    /// Events counted but not stored by the run (past the event log's bound).
    pub dropped: u64,
}

/// A group being filled: its first events, and a window over its latest ones.
struct Filling {
    events: usize,
    first: Vec<Event>,
    last: VecDeque<Event>,
}

/// The decisions of a run, from its events table (`None` in an older folder) and its summary
/// (the regional outages' milestones). `pools` are the run's node pool names, to tell which
/// pool a node (`node/<pool>-<zone>-<index>`) belongs to.
pub fn decisions(
    events: Option<&Table>,
    pools: &[&str],
    summary: &Summary,
) -> Result<Decisions, ReportError> {
    let mut filling: BTreeMap<(Kind, usize), Filling> = BTreeMap::new();
    // Subjects in order of first appearance, per kind: the key's second part indexes this.
    let mut subjects: Vec<(Kind, String)> = Vec::new();
    let mut subject_index: BTreeMap<(Kind, String), usize> = BTreeMap::new();
    let mut add = |kind: Kind, subject: String, event: Event| {
        let next = subjects.len();
        let i = *subject_index
            .entry((kind, subject.clone()))
            .or_insert_with(|| {
                subjects.push((kind, subject));
                next
            });
        let g = filling.entry((kind, i)).or_insert_with(|| Filling {
            events: 0,
            first: Vec::new(),
            last: VecDeque::new(),
        });
        g.events += 1;
        if g.first.len() < SHOWN_PER_END {
            g.first.push(event);
        } else {
            if g.last.len() == SHOWN_PER_END {
                g.last.pop_front();
            }
            g.last.push_back(event);
        }
    };

    let mut others: BTreeMap<&str, usize> = BTreeMap::new();
    let recorded = events.is_some();
    if let Some(t) = events {
        let times = f64_column(t, "time_s")?;
        let utc = text_column(t, "time_utc")?;
        let reasons = text_column(t, "reason")?;
        let objects = text_column(t, "object")?;
        let messages = text_column(t, "message")?;
        for row in 0..t.rows() {
            let reason = reasons[row].as_str();
            let Some(kind) = Kind::of(reason) else {
                *others.entry(reason).or_insert(0) += 1;
                continue;
            };
            let object = objects[row].as_str();
            let subject = match kind {
                Kind::Hpa | Kind::Policy => object.to_owned(),
                Kind::Preemption => deployment_of_pod(object),
                _ => pool_of(object, pools),
            };
            add(
                kind,
                subject,
                Event {
                    time_s: times[row],
                    time_utc: utc[row].clone(),
                    reason: reason.to_owned(),
                    object: object.to_owned(),
                    message: messages[row].clone(),
                },
            );
        }
    }
    for (region, event) in failover_events(summary) {
        add(Kind::Failover, region, event);
    }

    let mut d = Decisions {
        recorded,
        others: others
            .into_iter()
            .map(|(reason, events)| (reason.to_owned(), events))
            .collect(),
        dropped: summary.events_dropped,
        ..Decisions::default()
    };
    for ((kind, i), g) in filling {
        if d.groups.len() == MAX_GROUPS {
            d.groups_left_out += 1;
            d.events_left_out += g.events;
            continue;
        }
        d.groups.push(Group {
            kind,
            subject: subjects[i].1.clone(),
            events: g.events,
            first: g.first,
            last: g.last.into(),
        });
    }
    Ok(d)
}

/// `node/web-us-east1-b-3` → `web` when `web` is a pool (the longest pool name that the node's
/// name starts with, followed by `-`); `nodepool/web` → `web`; anything else as it is.
fn pool_of(object: &str, pools: &[&str]) -> String {
    if let Some(pool) = object.strip_prefix("nodepool/") {
        return pool.to_owned();
    }
    let node = object.strip_prefix("node/").unwrap_or(object);
    pools
        .iter()
        .filter(|p| {
            node.strip_prefix(**p)
                .is_some_and(|rest| rest.starts_with('-'))
        })
        .max_by_key(|p| p.len())
        .map_or_else(|| object.to_owned(), |p| (*p).to_owned())
}

/// `pod/reports-us-east1-24` → `reports-us-east1`: pods are named after their deployment and a
/// number.
fn deployment_of_pod(object: &str) -> String {
    let pod = object.strip_prefix("pod/").unwrap_or(object);
    match pod.rsplit_once('-') {
        Some((deployment, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            deployment.to_owned()
        }
        _ => pod.to_owned(),
    }
}

/// The milestones of each regional outage as events of its region: down, detected, clients
/// moved by DNS, SLO restored, back.
fn failover_events(s: &Summary) -> Vec<(String, Event)> {
    let Some(r) = &s.recovery else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for f in &r.failures {
        let mut at = |t_s: f64, reason: &str, message: String| {
            out.push((
                f.region.clone(),
                Event {
                    time_s: t_s,
                    time_utc: String::new(),
                    reason: reason.to_owned(),
                    object: format!("region/{}", f.region),
                    message,
                },
            ));
        };
        at(f.failed_at_s, "RegionDown", format!("{} fails", f.region));
        if let Some(p) = &f.phases_s {
            at(
                f.failed_at_s + p.detection,
                "FailoverDetected",
                "health checks see the region unhealthy".into(),
            );
            at(
                f.failed_at_s + p.detection + p.routing,
                "TrafficMoved",
                "every client follows DNS to the other regions".into(),
            );
        }
        match f.rto_s {
            Some(rto) => at(
                f.failed_at_s + rto,
                "SloRestored",
                "the receiving regions meet the SLO again".into(),
            ),
            None => at(
                f.failed_at_s + f.rto_at_least_s.unwrap_or(0.0),
                "SloNotRestored",
                "the SLO was not restored before the run ended".into(),
            ),
        }
        at(
            f.region_back_at_s,
            "RegionBack",
            format!("{} is back", f.region),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use sim::recorder::{Cell, Kind as Column};

    use super::*;
    use crate::summary::tests::example;

    fn events(rows: &[(f64, &str, &str, &str, u64)]) -> Table {
        let mut t = Table::new(&[
            ("time_s", Column::F64),
            ("time_utc", Column::Text),
            ("reason", Column::Text),
            ("object", Column::Text),
            ("message", Column::Text),
            ("count", Column::U64),
        ]);
        for &(time, reason, object, message, count) in rows {
            t.push_row(&[
                Cell::F64(time),
                Cell::Text("2026-11-27T00:00:00Z"),
                Cell::Text(reason),
                Cell::Text(object),
                Cell::Text(message),
                Cell::U64(count),
            ]);
        }
        t
    }

    #[test]
    fn events_are_grouped_by_kind_then_subject_and_others_counted() {
        let t = events(&[
            (
                0.0,
                "FailedScheduling",
                "deployment/shop-us-east1",
                "34 pending",
                34,
            ),
            (
                1.0,
                "TriggeredScaleUp",
                "nodepool/web",
                "scale-up web +12",
                1,
            ),
            (2.0, "SuccessfulRescale", "hpa/api-us-east1", "cpu → 4", 1),
            (
                2.5,
                "ScheduledScaling",
                "deployment/batch-us-east1",
                "replicas 4: scheduled action open",
                1,
            ),
            (
                3.0,
                "Preempted",
                "pod/reports-us-east1-24",
                "by checkout",
                1,
            ),
            (4.0, "ScaleDown", "node/web-spot-us-east1-b-0", "empty", 1),
            (
                5.0,
                "ScaleDown",
                "node/web-us-east1-b-3",
                "consolidation",
                1,
            ),
            (6.0, "Killing", "deployment/shop-us-east1", "34 pod(s)", 34),
        ]);
        let d = decisions(Some(&t), &["web", "web-spot"], &example()).unwrap();
        let groups: Vec<_> = d
            .groups
            .iter()
            .map(|g| (g.kind, g.subject.as_str(), g.events))
            .collect();
        assert_eq!(
            groups,
            [
                (Kind::Hpa, "hpa/api-us-east1", 1),
                (Kind::Policy, "deployment/batch-us-east1", 1),
                (Kind::NodeAutoscaling, "web", 2),
                (Kind::NodeAutoscaling, "web-spot", 1),
                (Kind::Preemption, "reports-us-east1", 1),
            ]
        );
        assert_eq!(
            d.others,
            [
                ("FailedScheduling".to_owned(), 1),
                ("Killing".to_owned(), 1)
            ]
        );
        assert!(d.recorded);
    }

    #[test]
    fn a_long_group_keeps_its_first_and_last_events_and_counts_the_rest() {
        let rows: Vec<(f64, &str, &str, &str, u64)> = (0..1000)
            .map(|k| (k as f64, "ScalingHeld", "hpa/api", "held", 1))
            .collect();
        let d = decisions(Some(&events(&rows)), &[], &example()).unwrap();
        let g = &d.groups[0];
        assert_eq!((g.events, g.left_out()), (1000, 1000 - 2 * SHOWN_PER_END));
        let times = |v: &[Event]| v.iter().map(|e| e.time_s).collect::<Vec<_>>();
        assert_eq!(times(&g.first), [0.0, 1.0, 2.0, 3.0, 4.0]);
        assert_eq!(times(&g.last), [995.0, 996.0, 997.0, 998.0, 999.0]);
        // A short group repeats nothing.
        let d = decisions(Some(&events(&rows[..7])), &[], &example()).unwrap();
        assert_eq!((d.groups[0].first.len(), d.groups[0].last.len()), (5, 2));
        assert_eq!(d.groups[0].left_out(), 0);
    }

    #[test]
    fn past_the_group_limit_groups_are_counted() {
        let names: Vec<String> = (0..MAX_GROUPS + 3).map(|k| format!("hpa/s{k}")).collect();
        let rows: Vec<(f64, &str, &str, &str, u64)> = names
            .iter()
            .map(|n| (0.0, "SuccessfulRescale", n.as_str(), "", 1))
            .collect();
        let d = decisions(Some(&events(&rows)), &[], &example()).unwrap();
        assert_eq!(d.groups.len(), MAX_GROUPS);
        assert_eq!((d.groups_left_out, d.events_left_out), (3, 3));
    }

    #[test]
    fn nodes_belong_to_the_longest_matching_pool() {
        let pools = ["burst", "burst-n2d-standard-48-spot"];
        assert_eq!(
            pool_of("node/burst-n2d-standard-48-spot-us-east1-b-2", &pools),
            "burst-n2d-standard-48-spot"
        );
        assert_eq!(pool_of("node/burst-us-east1-b-2", &pools), "burst");
        assert_eq!(pool_of("nodepool/x", &pools), "x");
        // `bursty-…` is not a node of `burst`.
        assert_eq!(pool_of("node/bursty-a-1", &pools), "node/bursty-a-1");
        assert_eq!(
            deployment_of_pod("pod/reports-us-east1-24"),
            "reports-us-east1"
        );
        assert_eq!(deployment_of_pod("pod/odd-name"), "odd-name");
    }

    #[test]
    fn without_an_events_table_only_the_failovers_remain() {
        let mut s = example();
        s.recovery = Some(crate::summary::Recovery {
            rpo_s: None,
            rpo_writes: None,
            rto_s: Some(900.0),
            rpo_target_s: None,
            rto_target_s: None,
            rto_hold_s: 300.0,
            failures: vec![crate::summary::FailureRecovery {
                region: "us-west-2".into(),
                failed_at_s: 3600.0,
                region_back_at_s: 14_400.0,
                rto_s: Some(900.0),
                rto_at_least_s: None,
                phases_s: Some(crate::summary::RtoPhasesSummary {
                    detection: 30.0,
                    routing: 60.0,
                    warm_up: 300.0,
                    scale_up: 510.0,
                }),
                rpo_s: None,
                rpo_writes: None,
                rto_met: None,
                rpo_met: None,
                failback: None,
            }],
        });
        let d = decisions(None, &[], &s).unwrap();
        assert!(!d.recorded);
        let g = &d.groups[0];
        assert_eq!((g.kind, g.subject.as_str()), (Kind::Failover, "us-west-2"));
        let at: Vec<_> = g
            .first
            .iter()
            .map(|e| (e.time_s, e.reason.as_str()))
            .collect();
        assert_eq!(
            at,
            [
                (3600.0, "RegionDown"),
                (3630.0, "FailoverDetected"),
                (3690.0, "TrafficMoved"),
                (4500.0, "SloRestored"),
                (14_400.0, "RegionBack"),
            ]
        );
    }
}

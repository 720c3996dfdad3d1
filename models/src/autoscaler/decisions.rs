//! Node autoscaler decisions as rows of the run's decisions table.
//!
//! Cluster Autoscaler, per scan (from [`ScanNotes`], upstream words in
//! [`crate::autoscaler::cluster_autoscaler::notes`]):
//! * `pending-pods` — one row per shape of pending pods left after upcoming nodes (scope the
//!   region; subject `cpu=… memory=… priority=…`; `value` the pods): `TriggeredScaleUp` when the
//!   chosen option takes some, else `NotTriggerScaleUp` with upstream's message;
//! * `scale-up-group` — one row per node group considered (scope the group): an option
//!   (`current` its target size, `proposed` its size with the option's nodes, `value` the pods
//!   it would take) or why it was rejected; `MaxNodesTotalReached` once when the cluster is at
//!   `--max-nodes-total`;
//! * `scale-up` — the expander's choice (`ScaledUpGroup`, "Scale-up: setting group G size to N
//!   instead of M (max: K)", with the expanders' account: what each kept, ties);
//! * `scale-down` — the scan's summary (`value` nodes above the threshold, `proposed` unneeded
//!   nodes, `final` nodes deleted, the first 8 of them named; `ScaleDownInCooldown` with the
//!   delay's flag);
//! * `scale-down-node` — each candidate at or below the threshold that stays, with its
//!   `UnremovableReason` (or `BlockingPodReason`); `value` its utilization, `target` the
//!   threshold. Deleted nodes have no row of their own (the summary names them, the events
//!   table has one per node): on the full Black-Friday day they were 22 089 rows.
//!
//! Karpenter: `launch` (a NodeClaim batch: the chosen type, capacity type, zone and price) and
//! `disruption` (a consolidation or expiry command), one row per action, from its reason.

use std::sync::Arc;

use crate::api::decisions::{Controller, Decision, Decisions, Described, Figures, Scope};
use crate::api::{ClusterView, PodGroup};
use crate::autoscaler::cluster_autoscaler::notes::{
    GroupNote, ScaleDownNotes, ScaleUpNotes, ScanNotes, not_trigger_scale_up,
};

/// Stream ids: the autoscaler's index in the high bits, a part in the next, a local id below.
fn stream(base: u64, part: u64, local: u64) -> u64 {
    base << 40 | part << 36 | (local & ((1 << 36) - 1))
}

/// FNV-1a of a pending shape, its stream's local id.
fn shape_id(p: &PodGroup) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for x in [
        p.requests.cpu_millis,
        p.requests.memory_bytes,
        p.priority as u64,
    ] {
        for b in x.to_le_bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    h
}

/// A region's node autoscaler's rows (`base` its index among the run's node autoscalers).
pub struct Recorder<'a> {
    pub log: &'a Decisions,
    pub base: u64,
    pub region: &'a Arc<str>,
    pub now_ns: u64,
}

impl Recorder<'_> {
    /// Records one decision; `words` gives its scope, subject and detail, called only when
    /// the decision is stored (a repeat builds no text).
    fn row(
        &self,
        (controller, stream, kind, outcome): (Controller, u64, &'static str, &'static str),
        figures: Figures,
        words: impl FnOnce() -> (String, String, String),
    ) {
        let d = Decision {
            time_ns: self.now_ns,
            controller,
            stream,
            kind,
            outcome,
            figures,
        };
        self.log.record(d, || {
            let (scope, subject, detail) = words();
            Described {
                scope: Scope {
                    region: Arc::clone(self.region),
                    scope: Arc::from(scope),
                },
                subject: Arc::from(subject),
                detail,
            }
        });
    }

    /// The rows of one Cluster Autoscaler scan.
    pub fn cluster_autoscaler(&self, view: &ClusterView, notes: &ScanNotes, threshold: f64) {
        if let Some(up) = &notes.scale_up {
            self.scale_up(view, up);
        }
        if let Some(down) = &notes.scale_down {
            self.scale_down(view, down, threshold);
        }
    }

    fn scale_up(&self, view: &ClusterView, up: &ScaleUpNotes) {
        let ca = Controller::ClusterAutoscaler;
        if let Some((nodes, max)) = up.max_total_reached {
            self.row(
                (
                    ca,
                    stream(self.base, 0, 0),
                    "scale-up-group",
                    "MaxNodesTotalReached",
                ),
                Figures {
                    current: f64::from(nodes),
                    target: f64::from(max),
                    ..Figures::NONE
                },
                || {
                    let detail = format!(
                        "max node total count already reached: {nodes} of --max-nodes-total {max}"
                    );
                    (String::new(), String::new(), detail)
                },
            );
        }
        let allocs: Vec<crate::api::Shape> =
            view.node_groups.iter().map(|g| g.allocatable).collect();
        for (i, p) in up.pending.iter().enumerate() {
            let scheduled = up.scheduled.get(i).copied().unwrap_or(0);
            let triggered = scheduled > 0;
            let outcome = if triggered {
                "TriggeredScaleUp"
            } else {
                "NotTriggerScaleUp"
            };
            self.row(
                (
                    ca,
                    stream(self.base, 1, shape_id(p)),
                    "pending-pods",
                    outcome,
                ),
                Figures {
                    value: f64::from(p.count),
                    final_: f64::from(scheduled),
                    ..Figures::NONE
                },
                || {
                    let subject = format!(
                        "cpu={} memory={} priority={}",
                        sim::quantity::CpuMillis(p.requests.cpu_millis),
                        sim::quantity::Bytes(p.requests.memory_bytes),
                        p.priority
                    );
                    let detail = if triggered {
                        format!(
                            "{} pending pod(s) of this shape; {scheduled} go to the new nodes",
                            p.count
                        )
                    } else if up.max_total_reached.is_some() {
                        format!(
                            "{} pending pod(s): max node total count already reached",
                            p.count
                        )
                    } else {
                        format!(
                            "{} pending pod(s): {}",
                            p.count,
                            not_trigger_scale_up(p, &up.groups, &allocs)
                        )
                    };
                    (String::new(), subject, detail)
                },
            );
        }
        for (g, note) in up.groups.iter().enumerate() {
            let Some(group) = view.node_groups.get(g) else {
                continue;
            };
            let current = f64::from(group.target_size);
            let (outcome, figures) = match note {
                GroupNote::Rejected(r) => (
                    r.outcome(),
                    Figures {
                        current,
                        target: f64::from(group.max_size),
                        ..Figures::NONE
                    },
                ),
                GroupNote::Option { node_count, pods } => (
                    "ScaleUpOption",
                    Figures {
                        value: f64::from(*pods),
                        target: f64::from(group.max_size),
                        current,
                        proposed: current + f64::from(*node_count),
                        final_: f64::NAN,
                    },
                ),
            };
            self.row(
                (
                    ca,
                    stream(self.base, 2, g as u64),
                    "scale-up-group",
                    outcome,
                ),
                figures,
                || {
                    let detail = match note {
                        GroupNote::Rejected(r) => format!(
                            "{} ({} of max {} nodes)",
                            r.reasons().join(", "),
                            group.target_size,
                            group.max_size
                        ),
                        GroupNote::Option { node_count, pods } => format!(
                            "option: +{node_count} node(s) would take {pods} pending pod(s) \
                         (binpacking estimate)"
                        ),
                    };
                    (group.name.clone(), String::new(), detail)
                },
            );
        }
        if let Some((g, size, account)) = &up.chosen
            && let Some(group) = view.node_groups.get(*g as usize)
        {
            let options = up
                .groups
                .iter()
                .filter(|n| matches!(n, GroupNote::Option { .. }))
                .count();
            self.row(
                (ca, stream(self.base, 3, 0), "scale-up", "ScaledUpGroup"),
                Figures {
                    value: options as f64,
                    target: f64::from(group.max_size),
                    current: f64::from(group.target_size),
                    proposed: f64::from(*size),
                    final_: f64::from(*size),
                },
                || {
                    let detail = format!(
                        "Scale-up: setting group {} size to {size} instead of {} (max: {}); \
                         {options} option(s); {account}",
                        group.name, group.target_size, group.max_size
                    );
                    (group.name.clone(), String::new(), detail)
                },
            );
        }
    }

    fn scale_down(&self, view: &ClusterView, down: &ScaleDownNotes, threshold: f64) {
        let ca = Controller::ClusterAutoscaler;
        let group_name = |g: u32| {
            view.node_groups
                .get(g as usize)
                .map_or("?", |g| g.name.as_str())
        };
        let deleted = down.removed.len();
        let outcome = match (down.cooldown, deleted) {
            (Some(_), _) => "ScaleDownInCooldown",
            (None, 0) if down.unneeded == 0 => "NoCandidates",
            (None, 0) => "NoNodeRemovable",
            _ => "ScaleDown",
        };
        self.row(
            (ca, stream(self.base, 4, 0), "scale-down", outcome),
            Figures {
                value: f64::from(down.above_threshold),
                target: threshold,
                current: f64::NAN,
                proposed: f64::from(down.unneeded),
                final_: deleted as f64,
            },
            || {
                let mut s = format!(
                    "{} node(s) above the utilization threshold {threshold} (NotUnderutilized); \
                     {} unneeded; {deleted} deleted",
                    down.above_threshold, down.unneeded
                );
                if let Some(flag) = down.cooldown {
                    s.push_str(&format!("; scale-down in cooldown ({flag})"));
                }
                // The nodes deleted, named here rather than one row each (their events say
                // the rest): at most the first 8.
                for (k, &(id, g, utilization)) in down.removed.iter().enumerate().take(8) {
                    s.push_str(if k == 0 { ": " } else { ", " });
                    s.push_str(&format!(
                        "node/{id} of {} at {utilization:.2}",
                        group_name(g)
                    ));
                }
                if deleted > 8 {
                    s.push_str(&format!(" and {} more", deleted - 8));
                }
                (String::new(), String::new(), s)
            },
        );
        for &(id, g, utilization, why) in &down.kept {
            self.row(
                (
                    ca,
                    stream(self.base, 5, u64::from(id)),
                    "scale-down-node",
                    why.outcome(),
                ),
                Figures {
                    value: utilization,
                    target: threshold,
                    ..Figures::NONE
                },
                || {
                    let detail = format!(
                        "node {id} of {} at utilization {utilization:.2} stays: {}",
                        group_name(g),
                        why.outcome()
                    );
                    (format!("node/{id}"), group_name(g).to_owned(), detail)
                },
            );
        }
    }

    /// One Karpenter action: `kind` `launch` or `disruption`, its chosen type (if any) and
    /// nodes launched or removed.
    pub fn karpenter(
        &self,
        kind: &'static str,
        pool: &str,
        instance_type: &str,
        nodes: u32,
        reason: &str,
    ) {
        let outcome = if kind == "launch" {
            "Launched"
        } else {
            "Disrupted"
        };
        // Every action is its own decision: a stream per instant never collapses two.
        let part = if kind == "launch" { 6 } else { 7 };
        self.row(
            (
                Controller::Karpenter,
                stream(self.base, part, self.now_ns),
                kind,
                outcome,
            ),
            Figures {
                final_: f64::from(nodes),
                ..Figures::NONE
            },
            || (pool.to_owned(), instance_type.to_owned(), reason.to_owned()),
        );
    }
}

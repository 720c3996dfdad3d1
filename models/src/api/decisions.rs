//! The decisions log: why each controller did what it did, as typed rows (the run's
//! `decisions` table, `run::DECISIONS_SCHEMA`), read back by `clustersim explain`.
//!
//! Controllers (HPA, VPA, Cluster Autoscaler, Karpenter) hold a [`Decisions`] handle and call
//! [`Decisions::record`] at each decision with its figures; the run loop takes the rows at the
//! end. The handle is an `Arc<Mutex<…>>` because nexosim models must be `Send`; one run is one
//! single-threaded simulation, so the lock is never contended and the row order is the order
//! the models ran in, the same every run.
//!
//! **Bounded size.** Two rules keep the table small on a 2.3 M-pod day:
//! 1. *Repeats collapse.* A decision is identified by its controller, its stream (one scope:
//!    an HPA's metric, a node group, a node), its kind, its `outcome` and its decision figures
//!    ([`Figures::current`], [`Figures::proposed`], [`Figures::final_`]). When a stream's next
//!    decision is identical to its previous one, no row is added: the previous row's `repeats`
//!    grows by one and its `last_time_s` moves to the new instant. `value` and `target` (the
//!    measurement that drove it) and `detail` stay those of the first decision of the run of
//!    repeats: a steady HPA at 4 replicas whose CPU wanders between 55 % and 61 % of a 60 %
//!    target is one row, not one per 15 s sync.
//! 2. *A hard cap.* At most `max_rows` rows ([`DEFAULT_MAX_DECISION_ROWS`]); past it new
//!    decisions are counted per controller, not stored (repeats of stored rows still count),
//!    and one last row (controller `clustersim`, kind `dropped`) says how many were dropped.
//!
//! **Cost.** A decision costs one uncontended lock, one hash-map lookup of its stream and a
//! comparison of three numbers; its words (scope, subject, detail) are built by a closure only
//! when a new row is stored, so a repeat allocates nothing.

use rustc_hash::FxHashMap;
use std::sync::{Arc, Mutex};

/// Rows kept per run before decisions are only counted: ~60 MB at most (a row is ~250 bytes
/// with its detail), well within the memory of the full Black-Friday day (BENCHMARKS.md).
pub const DEFAULT_MAX_DECISION_ROWS: usize = 250_000;

/// Which controller decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Controller {
    Hpa,
    Vpa,
    ClusterAutoscaler,
    Karpenter,
    /// A node-pool policy (`policy::pool_model`).
    PoolPolicy,
    /// kube-scheduler's verdict on pods it could not place (`cluster::unschedulable`).
    Scheduler,
    /// The failover router's answers during and after an outage (`faults`).
    Failover,
}

impl Controller {
    /// The spelling in the `controller` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Controller::Hpa => "hpa",
            Controller::Vpa => "vpa",
            Controller::ClusterAutoscaler => "cluster-autoscaler",
            Controller::Karpenter => "karpenter",
            Controller::PoolPolicy => "pool-policy",
            Controller::Scheduler => "scheduler",
            Controller::Failover => "failover",
        }
    }
}

/// The numbers of one decision; `NaN` where a figure does not apply. `current`, `proposed`
/// and `final_` identify a decision (with its outcome); `value` and `target` are what drove it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    /// The measurement (a metric's value, a group's pending pods, a node's utilization).
    pub value: f64,
    /// What the measurement is held against (a metric's target, a threshold).
    pub target: f64,
    /// The count before the decision (replicas, nodes).
    pub current: f64,
    /// What the measurement alone asks for.
    pub proposed: f64,
    /// What the controller set (after windows, limits and bounds).
    pub final_: f64,
}

impl Figures {
    /// Every figure `NaN`.
    pub const NONE: Figures = Figures {
        value: f64::NAN,
        target: f64::NAN,
        current: f64::NAN,
        proposed: f64::NAN,
        final_: f64::NAN,
    };

    /// Whether two decisions are the same for collapsing: bit-equal `current`, `proposed`,
    /// `final_` (so `NaN` equals `NaN`).
    fn same_decision(&self, other: &Figures) -> bool {
        self.current.to_bits() == other.current.to_bits()
            && self.proposed.to_bits() == other.proposed.to_bits()
            && self.final_.to_bits() == other.final_.to_bits()
    }
}

/// Where a decision applies: its region and scope (a service, a node group or pool, a node).
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    pub region: Arc<str>,
    pub scope: Arc<str>,
}

/// One stored decision (or a run of identical ones).
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionRow {
    pub time_ns: u64,
    /// The time of the last of `repeats` identical decisions.
    pub last_time_ns: u64,
    pub repeats: u64,
    /// `controller` column: a [`Controller`]'s name, or `clustersim` for the cap's summary.
    pub controller: &'static str,
    pub region: Arc<str>,
    pub scope: Arc<str>,
    /// e.g. `metric`, `sync` (HPA), `scale-up-group`, `scale-down-node` (Cluster Autoscaler).
    pub kind: &'static str,
    /// What in the scope: a metric name, an instance type; empty when the scope says it all.
    pub subject: Arc<str>,
    /// A short word, upstream's where upstream has one (`ScaleUpLimit`, `NotTriggerScaleUp`).
    pub outcome: &'static str,
    pub figures: Figures,
    /// The decision in plain words with its numbers.
    pub detail: String,
}

/// One decision to record: which stream it belongs to and what it is.
#[derive(Debug, Clone, Copy)]
pub struct Decision {
    pub time_ns: u64,
    pub controller: Controller,
    /// Identifies the stream within the controller (the caller's own numbering: an HPA index
    /// and metric, a node id, …); decisions of one stream collapse when identical.
    pub stream: u64,
    pub kind: &'static str,
    pub outcome: &'static str,
    pub figures: Figures,
}

/// The words of a stored decision, built only when it is stored (see [`Decisions::record`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Described {
    pub scope: Scope,
    /// What in the scope (a metric name, a pod shape); empty when the scope says it all.
    pub subject: Arc<str>,
    pub detail: String,
}

#[derive(Debug, Default)]
struct Log {
    rows: Vec<DecisionRow>,
    /// (controller, stream, kind) → index of its last stored row and that row's identity key
    /// ([`Decisions::record_keyed`]).
    last: FxHashMap<(Controller, u64, &'static str), (usize, u64)>,
    max_rows: usize,
    /// Decisions not stored, per controller (sorted, for the summary row).
    dropped: std::collections::BTreeMap<Controller, u64>,
}

/// The shared decisions log of one run (cheap to clone: a handle).
#[derive(Debug, Clone)]
pub struct Decisions(Arc<Mutex<Log>>);

impl Default for Decisions {
    fn default() -> Self {
        Decisions::new(DEFAULT_MAX_DECISION_ROWS)
    }
}

impl Decisions {
    /// An empty log storing at most `max_rows` rows.
    pub fn new(max_rows: usize) -> Decisions {
        Decisions(Arc::new(Mutex::new(Log {
            max_rows,
            ..Log::default()
        })))
    }

    /// Records `d`; `describe` is called only when a new row is stored, so a repeat builds no
    /// text and allocates nothing.
    pub fn record(&self, d: Decision, describe: impl FnOnce() -> Described) {
        self.record_keyed(d, 0, describe);
    }

    /// [`Self::record`] for a decision whose identity is more than its figures: `key` (e.g. a
    /// hash of the scheduler's reasons) must also be equal for a repeat to collapse.
    pub fn record_keyed(&self, d: Decision, key: u64, describe: impl FnOnce() -> Described) {
        let mut log = match self.0.lock() {
            Ok(log) => log,
            // Only a panic elsewhere poisons it, and that panic ends the run anyway.
            Err(poisoned) => poisoned.into_inner(),
        };
        let stream = (d.controller, d.stream, d.kind);
        if let Some(&(i, last_key)) = log.last.get(&stream) {
            let row = &mut log.rows[i];
            if last_key == key && row.outcome == d.outcome && row.figures.same_decision(&d.figures)
            {
                row.repeats += 1;
                row.last_time_ns = d.time_ns;
                return;
            }
        }
        if log.rows.len() >= log.max_rows {
            *log.dropped.entry(d.controller).or_default() += 1;
            // A later identical decision must not count as a repeat of an older one.
            log.last.remove(&stream);
            return;
        }
        let index = log.rows.len();
        let Described {
            scope,
            subject,
            detail,
        } = describe();
        log.rows.push(DecisionRow {
            time_ns: d.time_ns,
            last_time_ns: d.time_ns,
            repeats: 1,
            controller: d.controller.as_str(),
            region: scope.region,
            scope: scope.scope,
            kind: d.kind,
            subject,
            outcome: d.outcome,
            figures: d.figures,
            detail,
        });
        log.last.insert(stream, (index, key));
    }

    /// The rows in the order they were first recorded, with a last `clustersim`/`dropped`
    /// row when the cap dropped decisions; `end_ns` is that row's time (the run's end).
    pub fn take(&self, end_ns: u64) -> Vec<DecisionRow> {
        let mut log = match self.0.lock() {
            Ok(log) => log,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut rows = std::mem::take(&mut log.rows);
        // Freed, not only cleared: the table is built next and memory peaks then.
        log.last = FxHashMap::default();
        let total: u64 = log.dropped.values().sum();
        if total > 0 {
            let per: Vec<String> = log
                .dropped
                .iter()
                .map(|(c, n)| format!("{} {n}", c.as_str()))
                .collect();
            rows.push(DecisionRow {
                time_ns: end_ns,
                last_time_ns: end_ns,
                repeats: 1,
                controller: "clustersim",
                region: Arc::from(""),
                scope: Arc::from(""),
                kind: "dropped",
                subject: Arc::from(""),
                outcome: "RowCapReached",
                figures: Figures {
                    value: total as f64,
                    target: log.max_rows as f64,
                    ..Figures::NONE
                },
                detail: format!(
                    "{total} decisions not stored past the cap of {} rows ({})",
                    log.max_rows,
                    per.join(", ")
                ),
            });
        }
        log.dropped.clear();
        rows
    }
}

/// `a` and `b` (each in time order) as one list in time order; at equal times `a`'s rows
/// first. For a log recorded apart from the run's (the scheduler's, from its events).
pub fn merge_by_time(a: Vec<DecisionRow>, b: Vec<DecisionRow>) -> Vec<DecisionRow> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let mut b = b.into_iter().peekable();
    for row in a {
        while let Some(next) = b.next_if(|r| r.time_ns < row.time_ns) {
            out.push(next);
        }
        out.push(row);
    }
    out.extend(b);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn described(detail: &str) -> Described {
        Described {
            scope: Scope {
                region: Arc::from("us-east1"),
                scope: Arc::from("api"),
            },
            subject: Arc::from("cpu"),
            detail: detail.to_owned(),
        }
    }

    fn decision(t: u64, proposed: f64) -> Decision {
        Decision {
            time_ns: t,
            controller: Controller::Hpa,
            stream: 7,
            kind: "metric",
            outcome: "proposal",
            figures: Figures {
                value: t as f64,
                current: 4.0,
                proposed,
                final_: 4.0,
                ..Figures::NONE
            },
        }
    }

    #[test]
    fn identical_decisions_collapse_into_the_first_row_and_details_are_built_once() {
        let log = Decisions::new(10);
        let mut built = 0;
        // Five syncs proposing 4, then one proposing 6, then 4 again: three rows (5 + 1 + 1).
        for t in 0..5 {
            log.record(decision(t * 15, 4.0), || {
                built += 1;
                described("keeps 4")
            });
        }
        log.record(decision(75, 6.0), || described("6"));
        log.record(decision(90, 4.0), || described("4"));
        let rows = log.take(100);
        assert_eq!(built, 1);
        assert_eq!(rows.len(), 3);
        assert_eq!(
            (rows[0].repeats, rows[0].time_ns, rows[0].last_time_ns),
            (5, 0, 60)
        );
        // The first decision's measurement is kept.
        assert_eq!(rows[0].figures.value, 0.0);
        assert_eq!((rows[1].repeats, rows[2].repeats), (1, 1));
    }

    #[test]
    fn a_keyed_decision_collapses_only_with_its_own_key() {
        let log = Decisions::new(10);
        // Same figures, keys 1, 1, 2: two rows.
        for (t, key) in [(0, 1), (15, 1), (30, 2)] {
            log.record_keyed(decision(t, 4.0), key, || described(""));
        }
        let rows = log.take(100);
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].repeats, rows[1].repeats), (2, 1));
    }

    #[test]
    fn merged_rows_keep_time_order_and_the_first_list_leads_ties() {
        let log = Decisions::new(10);
        log.record(decision(10, 1.0), || described("a10"));
        log.record(decision(30, 2.0), || described("a30"));
        let a = log.take(100);
        let other = Decisions::new(10);
        other.record(decision(5, 1.0), || described("b5"));
        other.record(decision(30, 2.0), || described("b30"));
        other.record(decision(40, 3.0), || described("b40"));
        let merged: Vec<String> = merge_by_time(a, other.take(100))
            .into_iter()
            .map(|r| r.detail)
            .collect();
        assert_eq!(merged, ["b5", "a10", "a30", "b30", "b40"]);
    }

    #[test]
    fn the_cap_counts_what_it_drops_in_a_summary_row() {
        let log = Decisions::new(2);
        // Proposals 1, 2, 3, 4, 5 all differ: 2 stored, 3 dropped.
        for p in 1..=5 {
            log.record(decision(p, p as f64), || described(""));
        }
        let rows = log.take(99);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2].kind, "dropped");
        assert_eq!(rows[2].figures.value, 3.0);
        assert_eq!(
            rows[2].detail,
            "3 decisions not stored past the cap of 2 rows (hpa 3)"
        );
    }
}

//! `clustersim explain DIR --at TIME`: what the controllers had decided at an instant of a
//! finished run, and why, in plain words, from its saved tables (no re-run).
//!
//! The decisions are the run's events (`events.parquet`): each controller logs its decisions
//! with the numbers that drove them in the message (an HPA's metric, target and proposal and
//! the window or limit that held it; a node autoscaler's pending pods and expander choice; a
//! VPA's recommendation; the scheduler's failures). `explain` picks, per object, the latest
//! decision at or before the instant (the one standing then: an HPA logs a held recommendation
//! once per episode), every event within `--window` of the instant, and the state of the
//! matching services at the last sample at or before it (`timeseries.parquet`).
//!
//! A run that has a decisions table (`decisions.parquet`, every run since it exists) adds the
//! controllers' own account with the numbers that drove each decision: the standing decision
//! of each stream (an HPA's metric and sync, a node group, a node, …: its latest row starting
//! at or before the instant) and every decision within `--window` (a row of collapsed repeats
//! counts when any of its span `[time_s, last_time_s]` is). An HPA's metric and sync rows of
//! one instant print as one line. Older runs without the table are explained from events only.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use serde::Serialize;
use sim::recorder::Table;
use sim::time::{SimDuration, UtcInstant};

use crate::bad_input;

/// The text after `explain --help`.
pub const AFTER_HELP: &str = "\
TIME is when, in the run: elapsed time since its start as HH:MM or HH:MM:SS (\"14:02\"), or
a duration (\"90m\", \"2h30m\"), or a UTC instant (\"2026-11-27T14:02:00Z\").

Prints the state of the matching services at the last sample at or before TIME (replicas,
traffic against capacity, p99), the standing decision of each controller object (its latest
event at or before TIME: a held HPA recommendation is logged once, when it starts), and every
event within --window of TIME, each with the numbers its controller logged. With the run's
decisions.parquet it also prints each controller's standing decision and the decisions within
--window in plain words: an HPA's metric against its target, the proposal, the tolerance, the
stabilization window and the behavior's limit; a Cluster Autoscaler's pending pods, the node
groups it considered and why each was rejected, the expander's choice, the scale-down
candidates and what kept each; a VPA's recommendation and evictions; Karpenter's launches and
consolidations; the scheduler's FailedScheduling verdicts in its own words (\"0/N nodes are
available: …\"); the failover load balancer's health checks, traffic shifts with each client
region's shares, failback and the outage's RTO/RPO. A row standing for N identical decisions says \"×N until HH:MM:SS\".
--service keeps the objects of that service (HPA, deployment, pods, VPA) and the node-level
events and decisions; --region keeps objects in that region; --pool keeps the node
autoscalers' decisions about that node group or pool (and their region-wide ones) and drops
the services'. --json prints the same as one JSON object.

Exit codes: 0 explained; 2 bad input (no events.parquet or timeseries.parquet in DIR, or a
TIME outside the run).

Examples:
  clustersim run experiments/agent-platform-hpa.ron --out out/agents --quiet
  clustersim explain out/agents --at 09:05
  clustersim explain out/agents --at 09:05 --service api --region us-west1 --window 5m
  clustersim explain out/agents --at 2h --json | jq '.standing[].message'
  clustersim run experiments/flash-crowd-cluster-autoscaler.ron --out out/flash --quiet
  clustersim explain out/flash --at 00:20 --pool general --window 1m";

/// One event as explained.
#[derive(Debug, Clone, Serialize)]
struct Explained {
    time_s: f64,
    /// `HH:MM:SS` since the start.
    time: String,
    reason: String,
    object: String,
    count: u64,
    /// The decision in plain words.
    says: String,
    /// The numbers its controller logged.
    message: String,
}

/// A service's state at the sample.
#[derive(Debug, Clone, Serialize)]
struct State {
    service: String,
    region: String,
    desired_pods: u64,
    ready_pods: u64,
    pending_pods: u64,
    arrival_rps: f64,
    capacity_rps: f64,
    latency_p99_ms: f64,
}

#[derive(Debug, Serialize)]
struct Explanation {
    at_s: u64,
    at: String,
    sample_s: Option<u64>,
    state: Vec<State>,
    standing: Vec<Explained>,
    around: Vec<Explained>,
    /// From `decisions.parquet`, when the run has it: each stream's latest decision at or
    /// before the instant, and the decisions within the window.
    #[serde(skip_serializing_if = "Option::is_none")]
    decisions: Option<Decided>,
}

/// The decisions table's rows around the instant.
#[derive(Debug, Serialize)]
struct Decided {
    standing: Vec<Decision>,
    around: Vec<Decision>,
}

/// One row of `decisions.parquet` (see `models::run::DECISIONS_SCHEMA`).
#[derive(Debug, Clone, Serialize)]
struct Decision {
    time_s: f64,
    /// `HH:MM:SS` since the start.
    time: String,
    last_time_s: f64,
    repeats: u64,
    controller: String,
    region: String,
    scope: String,
    kind: String,
    subject: String,
    outcome: String,
    value: Option<f64>,
    target: Option<f64>,
    current: Option<f64>,
    proposed: Option<f64>,
    #[serde(rename = "final")]
    final_: Option<f64>,
    detail: String,
}

/// What to explain.
pub struct Query<'a> {
    pub at: &'a str,
    pub service: Option<&'a str>,
    pub region: Option<&'a str>,
    /// Only the node autoscalers' decisions about this node group or pool.
    pub pool: Option<&'a str>,
    pub window: SimDuration,
    pub json: bool,
}

pub fn explain(dir: &Path, q: &Query) -> ExitCode {
    match explanation(dir, q) {
        Ok(e) if q.json => match serde_json::to_string_pretty(&e) {
            Ok(text) => {
                println!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => crate::failed(&e),
        },
        Ok(e) => {
            print!("{}", text(&e, q));
            ExitCode::SUCCESS
        }
        Err(e) => bad_input(&e),
    }
}

fn explanation(dir: &Path, q: &Query) -> Result<Explanation, String> {
    let summary = reports::read_summary(&dir.join("summary.json")).map_err(|e| e.to_string())?;
    let events = reports::read_table(&dir.join("events.parquet")).map_err(|e| e.to_string())?;
    let series = reports::read_table(&dir.join("timeseries.parquet")).map_err(|e| e.to_string())?;
    let start = UtcInstant::parse(&summary.start).map_err(|e| e.to_string())?;
    let at_s = parse_at(q.at, start, summary.duration_s)?;
    let keep = |object: &str| matches(object, q.service, q.region);
    let all = read_events(&events)?;
    // The standing decision per object: its latest event at or before the instant.
    let mut standing: BTreeMap<&str, &Explained> = BTreeMap::new();
    for e in all
        .iter()
        .filter(|e| e.time_s <= at_s as f64 && keep(&e.object))
    {
        standing.insert(&e.object, e);
    }
    let mut standing: Vec<Explained> = standing.into_values().cloned().collect();
    standing.sort_by(|a, b| a.time_s.total_cmp(&b.time_s));
    let w = q.window.as_secs_f64();
    let around = all
        .iter()
        .filter(|e| (e.time_s - at_s as f64).abs() <= w && keep(&e.object))
        .cloned()
        .collect();
    let (sample_s, state) = state_at(&series, at_s, q)?;
    let decisions_path = dir.join("decisions.parquet");
    let decisions = if decisions_path.exists() {
        let table = reports::read_table(&decisions_path).map_err(|e| e.to_string())?;
        Some(decided(&read_decisions(&table)?, at_s as f64, w, q))
    } else {
        None
    };
    Ok(Explanation {
        at_s,
        at: format!(
            "{} ({})",
            reports::compare::hms(at_s),
            start.plus(sim::time::SimTime::from_secs(at_s))
        ),
        sample_s,
        state,
        standing,
        around,
        decisions,
    })
}

/// Whether a decision passes `--service`, `--region` and `--pool`. HPA, VPA, scheduler and
/// failover rows are a service's; the node autoscalers' rows are the cluster's: they pass `--service`; `--pool` keeps only theirs, about that
/// group (scope, or the subject of a node's row) or region-wide (empty scope).
fn keeps(d: &Decision, q: &Query) -> bool {
    let of_service = matches!(
        d.controller.as_str(),
        "hpa" | "vpa" | "scheduler" | "failover"
    );
    // A failover row without a scope (an outage's RTO books) is the region's.
    let region_wide = d.controller == "failover" && d.scope.is_empty();
    let service_ok = q
        .service
        .is_none_or(|s| !of_service || region_wide || d.scope == s);
    let region_ok = q
        .region
        .is_none_or(|r| d.region == r || d.region.is_empty());
    let pool_ok = q
        .pool
        .is_none_or(|p| !of_service && (d.scope.is_empty() || d.scope == p || d.subject == p));
    service_ok && region_ok && pool_ok
}

/// The standing decision of each stream and the decisions within `window_s` of `at_s`.
fn decided(all: &[Decision], at_s: f64, window_s: f64, q: &Query) -> Decided {
    let kept = || all.iter().filter(|d| keeps(d, q));
    let mut standing: BTreeMap<(&str, &str, &str, &str, &str), &Decision> = BTreeMap::new();
    for d in kept().filter(|d| d.time_s <= at_s) {
        standing.insert((&d.controller, &d.region, &d.scope, &d.kind, &d.subject), d);
    }
    let mut standing: Vec<Decision> = standing.into_values().cloned().collect();
    standing.sort_by(|a, b| a.time_s.total_cmp(&b.time_s));
    let around = kept()
        .filter(|d| d.time_s <= at_s + window_s && d.last_time_s >= at_s - window_s)
        .cloned()
        .collect();
    Decided { standing, around }
}

fn read_decisions(table: &Table) -> Result<Vec<Decision>, String> {
    let missing = |name: &str| format!("decisions.parquet has no column `{name}` of its type");
    let f64s = |name: &str| table.f64s(name).ok_or_else(|| missing(name));
    let texts = |name: &str| table.texts(name).ok_or_else(|| missing(name));
    let repeats = table.u64s("repeats").ok_or_else(|| missing("repeats"))?;
    let (time, last) = (f64s("time_s")?, f64s("last_time_s")?);
    let (controller, region, scope) = (texts("controller")?, texts("region")?, texts("scope")?);
    let (kind, subject, outcome) = (texts("kind")?, texts("subject")?, texts("outcome")?);
    let (value, target, current) = (f64s("value")?, f64s("target")?, f64s("current")?);
    let (proposed, final_, detail) = (f64s("proposed")?, f64s("final")?, texts("detail")?);
    let figure = |x: f64| (!x.is_nan()).then_some(x);
    Ok((0..table.rows())
        .map(|r| Decision {
            time_s: time[r],
            time: reports::compare::hms(time[r] as u64),
            last_time_s: last[r],
            repeats: repeats[r],
            controller: controller[r].clone(),
            region: region[r].clone(),
            scope: scope[r].clone(),
            kind: kind[r].clone(),
            subject: subject[r].clone(),
            outcome: outcome[r].clone(),
            value: figure(value[r]),
            target: figure(target[r]),
            current: figure(current[r]),
            proposed: figure(proposed[r]),
            final_: figure(final_[r]),
            detail: detail[r].clone(),
        })
        .collect())
}

/// The decisions as terminal lines: "14:02:15 HPA api/us-east1: …", an HPA's metric and sync
/// rows of one instant joined into one line (its repeats the sync's), repeats as "(×N until
/// HH:MM:SS)".
fn decision_lines(rows: &[Decision]) -> String {
    let label = |c: &str| {
        match c {
            "hpa" => "HPA",
            "vpa" => "VPA",
            "cluster-autoscaler" => "Cluster Autoscaler",
            "karpenter" => "Karpenter",
            "pool-policy" => "Node-pool policy",
            "scheduler" => "Scheduler",
            "failover" => "Failover",
            other => other,
        }
        .to_owned()
    };
    let mut out = String::new();
    let mut i = 0;
    while i < rows.len() {
        let d = &rows[i];
        let mut j = i + 1;
        let mut detail = d.detail.clone();
        // An HPA's rows of one sync: metrics first, then the sync.
        while d.controller == "hpa"
            && j < rows.len()
            && rows[j].controller == "hpa"
            && rows[j].time_s == d.time_s
            && rows[j].scope == d.scope
            && rows[j].region == d.region
        {
            detail = format!("{detail}; {}", rows[j].detail);
            j += 1;
        }
        let what = match (d.scope.as_str(), d.region.as_str()) {
            ("", "") => String::new(),
            ("", r) => r.to_owned(),
            (s, "") => s.to_owned(),
            (s, r) if s.starts_with("node/") => format!("{s} in {r}"),
            (s, r) => format!("{s}/{r}"),
        };
        // An HPA metric's name is in its detail.
        let subject = match d.subject.as_str() {
            "" => String::new(),
            _ if d.controller == "hpa" => String::new(),
            s => format!(" [{s}]"),
        };
        // A joined HPA line is its sync's decision: the sync row's repeats.
        let last = &rows[j - 1];
        let repeats = if last.repeats > 1 {
            format!(
                " (×{} until {})",
                last.repeats,
                reports::compare::hms(last.last_time_s as u64)
            )
        } else {
            String::new()
        };
        out += &format!(
            "  {} {} {what}{subject} {}: {detail}{repeats}\n",
            d.time,
            label(&d.controller),
            rows[j - 1].outcome
        );
        i = j;
    }
    out
}

/// `--at` in seconds since the start: `HH:MM[:SS]`, a duration, or an RFC 3339 instant.
fn parse_at(at: &str, start: UtcInstant, duration_s: f64) -> Result<u64, String> {
    let clock = || -> Option<u64> {
        let parts: Vec<&str> = at.split(':').collect();
        if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.is_empty()) {
            return None;
        }
        let mut n = parts.iter().map(|p| p.parse::<u64>().ok());
        let (h, m, s) = (n.next()??, n.next()??, n.next().unwrap_or(Some(0))?);
        (m < 60 && s < 60).then_some(h * 3600 + m * 60 + s)
    };
    let seconds = if let Some(s) = clock() {
        s as i64
    } else if let Ok(d) = SimDuration::parse(at) {
        d.as_nanos().div_ceil(1_000_000_000) as i64
    } else if let Ok(instant) = UtcInstant::parse(at) {
        instant.unix_s() - start.unix_s()
    } else {
        return Err(format!(
            "--at \"{at}\": expected HH:MM or HH:MM:SS since the start (\"14:02\"), a duration \
             (\"90m\") or a UTC instant (\"2026-11-27T14:02:00Z\")"
        ));
    };
    if seconds < 0 || seconds as f64 > duration_s {
        return Err(format!(
            "--at \"{at}\": outside the run, which lasts {} (00:00:00 to {})",
            SimDuration::from_secs(duration_s as u64),
            reports::compare::hms(duration_s as u64)
        ));
    }
    Ok(seconds as u64)
}

/// Whether an event's object passes `--service` and `--region`. Objects are `kind/name`:
/// `hpa/`, `deployment/`, `pod/`, `vpa/`, `job/` name a service's (`SERVICE-REGION…`); node
/// and node pool events are the cluster's and pass the service filter.
fn matches(object: &str, service: Option<&str>, region: Option<&str>) -> bool {
    let (kind, name) = object.split_once('/').unwrap_or(("", object));
    let of_service = matches!(kind, "hpa" | "deployment" | "pod" | "vpa" | "job");
    let service_ok = match service {
        Some(s) if of_service => name
            .strip_prefix(s)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('-')),
        _ => true,
    };
    service_ok && region.is_none_or(|r| name.contains(r))
}

/// A reason in plain words.
fn says(reason: &str) -> &'static str {
    match reason {
        "SuccessfulRescale" => "the HPA changed the replicas",
        "NodeNotSchedulable" => {
            "a node-pool policy cordoned a busy node to decommission it gracefully"
        }
        "ScalingHeld" => {
            "the HPA held its recommendation back (a stabilization window or a rate limit)"
        }
        "TriggeredScaleUp" => "the node autoscaler asked for nodes",
        "ScaleDown" => "the node autoscaler removed a node",
        "FailedScheduling" => "the scheduler found no node for pods",
        "Preempted" => "pods were preempted for higher-priority ones",
        "Killing" => "the ReplicaSet deleted pods (a scale-down)",
        "FailedCreate" => "the namespace quota refused pods",
        "Evicted" => "pods were evicted (a drained or lost node)",
        "NodeReady" => "a node became ready",
        "RemovingNode" => "a node's instance was terminated",
        "SpotInterruption" => "the cloud announced a spot reclaim",
        "NodeNotReady" => "a node stopped reporting",
        "SuccessfulCreate" => "the Job controller created pods",
        "SuccessfulDelete" => "the Job controller deleted pods",
        "Completed" => "a Job completed",
        "BackoffLimitExceeded" => "a Job failed: too many pod failures",
        "DeadlineExceeded" => "a Job failed: its deadline ran out",
        "RecommendationApplied" => "the VPA set new requests for new pods",
        "EvictedByVPA" => "the VPA evicted pods to give them new requests",
        "InPlaceResizedByVPA" => "the VPA resized pods in place",
        "OOMKilled" => "containers passed their memory limit and were killed",
        _ => "an event",
    }
}

fn read_events(events: &Table) -> Result<Vec<Explained>, String> {
    let missing = |name: &str| format!("events.parquet has no column `{name}` of its type");
    let f64s = |name: &str| events.f64s(name).ok_or_else(|| missing(name));
    let texts = |name: &str| events.texts(name).ok_or_else(|| missing(name));
    let counts = events.u64s("count").ok_or_else(|| missing("count"))?;
    let (time, reason, object, message) = (
        f64s("time_s")?,
        texts("reason")?,
        texts("object")?,
        texts("message")?,
    );
    Ok((0..events.rows())
        .map(|r| Explained {
            time_s: time[r],
            time: reports::compare::hms(time[r] as u64),
            reason: reason[r].clone(),
            object: object[r].clone(),
            count: counts[r],
            says: says(&reason[r]).to_owned(),
            message: message[r].clone(),
        })
        .collect())
}

/// The matching services at the last sample at or before `at_s`.
fn state_at(series: &Table, at_s: u64, q: &Query) -> Result<(Option<u64>, Vec<State>), String> {
    let missing = |name: &str| format!("timeseries.parquet has no column `{name}` of its type");
    let u64s = |name: &str| series.u64s(name).ok_or_else(|| missing(name));
    let f64s = |name: &str| series.f64s(name).ok_or_else(|| missing(name));
    let texts = |name: &str| series.texts(name).ok_or_else(|| missing(name));
    let time = u64s("time_s")?;
    let Some(sample) = time.iter().copied().filter(|&t| t <= at_s).max() else {
        return Ok((None, Vec::new()));
    };
    let (service, region) = (texts("service")?, texts("region")?);
    let (desired, ready, pending) = (
        u64s("desired_pods")?,
        u64s("ready_pods")?,
        u64s("pending_pods")?,
    );
    let (arrival, capacity, p99) = (
        f64s("arrival_rps")?,
        f64s("capacity_rps")?,
        f64s("latency_p99_ms")?,
    );
    let state = (0..series.rows())
        .filter(|&r| time[r] == sample)
        .filter(|&r| q.service.is_none_or(|s| service[r] == s))
        .filter(|&r| q.region.is_none_or(|g| region[r] == g))
        .map(|r| State {
            service: service[r].clone(),
            region: region[r].clone(),
            desired_pods: desired[r],
            ready_pods: ready[r],
            pending_pods: pending[r],
            arrival_rps: arrival[r],
            capacity_rps: capacity[r],
            latency_p99_ms: p99[r],
        })
        .collect();
    Ok((Some(sample), state))
}

/// The explanation as the terminal shows it.
fn text(e: &Explanation, q: &Query) -> String {
    let mut out = format!("At {}", e.at);
    if let Some(s) = q.service {
        out += &format!(", service {s}");
    }
    if let Some(r) = q.region {
        out += &format!(", region {r}");
    }
    out += ":\n";
    if let Some(sample) = e.sample_s {
        out += &format!("\nState at the sample {}:\n", reports::compare::hms(sample));
    }
    for s in &e.state {
        out += &format!(
            "  {}/{}: {} desired, {} ready, {} pending; {} requests/s arriving for a capacity of \
             {}; p99 {} ms\n",
            s.service,
            s.region,
            s.desired_pods,
            s.ready_pods,
            s.pending_pods,
            reports::grouped(s.arrival_rps, 1),
            reports::grouped(s.capacity_rps, 1),
            reports::grouped(s.latency_p99_ms, 1)
        );
    }
    let line = |x: &Explained| {
        let when = x.time_s - e.at_s as f64;
        let rel = match when {
            w if w < 0.0 => format!("{} before", SimDuration::from_secs_f64(-w)),
            w if w > 0.0 => format!("{} after", SimDuration::from_secs_f64(w)),
            _ => "then".to_owned(),
        };
        let times = if x.count > 1 {
            format!(" (×{})", x.count)
        } else {
            String::new()
        };
        format!(
            "  {} ({rel}) {}: {}{times}.\n      {}\n",
            x.time, x.object, x.says, x.message
        )
    };
    out += "\nStanding decisions (each object's latest event at or before then):\n";
    if e.standing.is_empty() {
        out += "  none: no controller had acted on these objects yet\n";
    }
    for x in &e.standing {
        out += &line(x);
    }
    out += &format!("\nEvents within {} of then:\n", q.window);
    if e.around.is_empty() {
        out += "  none\n";
    }
    for x in &e.around {
        out += &line(x);
    }
    if let Some(d) = &e.decisions {
        out += "\nStanding decisions from the decisions table (each stream's latest at or before then):\n";
        if d.standing.is_empty() {
            out += "  none\n";
        }
        out += &decision_lines(&d.standing);
        out += &format!("\nDecisions within {} of then:\n", q.window);
        if d.around.is_empty() {
            out += "  none\n";
        }
        out += &decision_lines(&d.around);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_instant_is_read_as_a_clock_a_duration_or_a_utc_instant() {
        let start = UtcInstant::parse("2026-11-27T00:00:00Z").unwrap();
        let at = |s: &str| parse_at(s, start, 86_400.0);
        assert_eq!(at("14:02"), Ok(14 * 3600 + 2 * 60));
        assert_eq!(at("00:10:15"), Ok(615));
        assert_eq!(at("90m"), Ok(5400));
        assert_eq!(at("2026-11-27T01:00:00Z"), Ok(3600));
        assert!(at("25:00").unwrap_err().contains("outside the run"));
        assert!(
            at("2026-11-26T23:00:00Z")
                .unwrap_err()
                .contains("outside the run")
        );
        assert!(at("10:61").unwrap_err().contains("expected HH:MM"));
        assert!(at("soon").unwrap_err().contains("expected HH:MM"));
    }

    #[test]
    fn objects_are_kept_by_service_and_region() {
        assert!(matches("hpa/api-us-east1", Some("api"), None));
        assert!(!matches("hpa/api2-us-east1", Some("api"), None));
        assert!(!matches("hpa/web-us-east1", Some("api"), Some("us-east1")));
        assert!(matches(
            "node/general-us-east1-b-6",
            Some("api"),
            Some("us-east1")
        ));
        assert!(!matches(
            "node/general-europe-west1-b-6",
            None,
            Some("us-east1")
        ));
    }
}

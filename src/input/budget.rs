//! What a run will hold, estimated at load and refused above a limit, so a run that would
//! grow past the machine's memory is refused in milliseconds with its figures, not killed
//! after minutes (issue 24: 100 000 h at 1-minute rows is 6 M samples, under
//! [`super::MAX_SAMPLES`], yet over 6 GB).
//!
//! Memory: the output tables grow by one row per sample instant and series (a service in a
//! region, a node pool, a namespace), so a run holds about
//! `samples × Σ_tables (series × bytes per row)` plus its event log, which is bounded by
//! [`MAX_EVENTS`]. A number cell is 8 bytes; a text cell (the UTC time, a region, a service
//! name) is counted as [`TEXT_CELL_BYTES`]: a `String`'s 24-byte header and the heap bytes of
//! a short name. Everything else a run holds (pods, nodes, queues) is far smaller than its
//! tables at the sample counts this limit is about.
//!
//! Requests (`--fidelity request` only): that mode draws every request, so its cost and the
//! size of its queues grow with the requests of the run: the arrival rate integrated over the
//! run, summed over services (a service routed over several regions counted once, as its
//! regions share its clients).

use std::collections::BTreeSet;

use models::cluster::events::MAX_EVENTS;
use models::latency::Fidelity;
use models::run::{EVENTS_SCHEMA, NAMESPACES_SCHEMA, POOLS_SCHEMA, Plan, TIMESERIES_SCHEMA};
use sim::recorder::Kind;
use sim::time::{SimDuration, SimTime, UtcInstant};
use workloads::traffic::Shape;

use crate::error::{FieldError, fail};

/// What a run's tables and event log may hold, at most: 2 GiB, within a laptop's memory with
/// room for the copy each table is turned into while it is written. Every estimate counts the
/// event log's full bound (0.75 GiB), so the bundled full-scale Black-Friday day (47 services
/// per region, 209 pools, 1 440 samples) is estimated at 0.83 GiB. Measured: the one-service
/// test experiment over 5 000 h at 1-minute rows (300 k samples) is estimated at 0.2 GiB of
/// rows and peaked at 356 MB resident (debug build), the rest being the copy made while
/// writing and the program itself.
pub const MAX_RUN_BYTES: u64 = 2 << 30;

/// Requests a `--fidelity request` run may draw, at most: 100 million, a few minutes of a
/// debug build at the mode's O(log c) per request (it is meant for small runs that check the
/// fluid model).
pub const MAX_REQUESTS_PER_RUN: f64 = 100e6;

/// Bytes counted for one text cell of a table: see the module documentation.
pub const TEXT_CELL_BYTES: u64 = 48;

/// Bytes counted for one stored event: the event in the log (time, reason, two strings) and
/// its row in the events table, which exist together when the run ends.
pub const EVENT_BYTES: u64 = 400;

/// Segments of a traffic shape followed to integrate it, at most; past them the mean rate so
/// far stands for the rest of the run (a noise of 1 s steps over a year has 31 M segments).
const MAX_SEGMENTS: u64 = 100_000;

/// Refuses a plan whose estimated memory ([`run_bytes`]) or, at request fidelity, requests
/// ([`requests`]) pass their limits.
pub fn check(plan: &Plan) -> Result<(), FieldError> {
    let bytes = run_bytes(plan);
    if bytes > MAX_RUN_BYTES {
        return fail(
            "output_interval",
            format!(
                "the run would hold about {:.1} GiB of output rows and events ({} samples of {} \
                 series), more than the limit of {} GiB: expected a longer output_interval or \
                 a shorter duration",
                gib(bytes),
                samples(plan),
                series(plan),
                gib(MAX_RUN_BYTES)
            ),
        );
    }
    if plan.fidelity == Fidelity::Request {
        check_requests(plan)?;
    }
    Ok(())
}

/// At request fidelity, refuses a run of more than [`MAX_REQUESTS_PER_RUN`] requests.
pub fn check_requests(plan: &Plan) -> Result<(), FieldError> {
    let n = requests(plan);
    if n > MAX_REQUESTS_PER_RUN {
        return fail(
            "fidelity",
            format!(
                "request fidelity would draw about {n:.3e} requests, more than the limit of \
                 {MAX_REQUESTS_PER_RUN:.0e}: expected `fluid` fidelity, a shorter duration or \
                 lower rates"
            ),
        );
    }
    Ok(())
}

/// Rows per table: one per sample instant, the first at time zero.
fn samples(plan: &Plan) -> u64 {
    plan.duration.as_nanos() / plan.output_interval.as_nanos().max(1) + 1
}

/// Series of all tables: services per region, pools, namespaces and the unrequested row.
fn series(plan: &Plan) -> u64 {
    let c = &plan.cluster;
    (c.services.len() + c.pools.len() + c.namespaces.len() + 1) as u64
}

fn gib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 30) as f64
}

/// Bytes of one row of a table with `schema`.
fn row_bytes(schema: &[(&str, Kind)]) -> u64 {
    schema
        .iter()
        .map(|(_, kind)| match kind {
            Kind::U64 | Kind::F64 => 8,
            Kind::Text => TEXT_CELL_BYTES,
        })
        .sum()
}

/// The estimated bytes of a run's tables and event log (see the module documentation).
pub fn run_bytes(plan: &Plan) -> u64 {
    let c = &plan.cluster;
    let per_sample = c.services.len() as u64 * row_bytes(TIMESERIES_SCHEMA)
        + c.pools.len() as u64 * row_bytes(POOLS_SCHEMA)
        + (c.namespaces.len() as u64 + 1) * row_bytes(NAMESPACES_SCHEMA);
    let events = MAX_EVENTS as u64 * EVENT_BYTES.max(row_bytes(EVENTS_SCHEMA));
    samples(plan)
        .saturating_mul(per_sample)
        .saturating_add(events)
}

/// The requests of a run: each service's rate integrated over the run, a routed service
/// once (the first region of its route; the others share its clients).
pub fn requests(plan: &Plan) -> f64 {
    let shared: BTreeSet<u32> = plan
        .routes
        .iter()
        .flat_map(|r| r.services.iter().skip(1).copied())
        .collect();
    plan.cluster
        .services
        .iter()
        .enumerate()
        .filter(|(i, _)| !shared.contains(&(*i as u32)))
        .map(|(_, s)| integral(&s.traffic, plan.start, plan.duration))
        .sum()
}

/// ∫ rate dt over `[0, duration)`, in requests, following at most [`MAX_SEGMENTS`] segments.
fn integral(shape: &Shape, start: UtcInstant, duration: SimDuration) -> f64 {
    let end = duration.as_nanos();
    let (mut t, mut sum) = (0u64, 0.0);
    for _ in 0..MAX_SEGMENTS {
        if t >= end {
            return sum;
        }
        let segment = shape.segment(start, SimTime::from_nanos(t));
        let next = segment.until.map_or(end, |u| u.as_nanos().min(end));
        if next <= t {
            break;
        }
        sum += segment.rps * (next - t) as f64 / 1e9;
        t = next;
    }
    if t == 0 || t >= end {
        sum
    } else {
        sum * end as f64 / t as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_counted_by_hand() {
        // 4 numbers + 3 texts.
        let schema = [
            ("a", Kind::U64),
            ("b", Kind::F64),
            ("c", Kind::Text),
            ("d", Kind::Text),
            ("e", Kind::U64),
            ("f", Kind::Text),
            ("g", Kind::F64),
        ];
        assert_eq!(row_bytes(&schema), 4 * 8 + 3 * 48);
    }

    #[test]
    fn a_constant_rate_integrates_to_rate_times_duration() {
        let start = UtcInstant::parse("2026-11-27T00:00:00Z").unwrap();
        let hour = SimDuration::from_secs(3600);
        let shape = Shape::Constant { rps: 50.0 };
        assert_eq!(integral(&shape, start, hour), 180_000.0);
        // 10 rps for the first half hour, 30 after: 18 000 + 54 000.
        let ramp = Shape::Ramp {
            from: 10.0,
            to: 30.0,
            start: SimDuration::from_secs(1800),
            duration: SimDuration::ZERO,
            step: SimDuration::from_secs(60),
        };
        assert_eq!(integral(&ramp, start, hour), 72_000.0);
    }
}

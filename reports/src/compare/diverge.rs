//! The first instant at which two runs differ: the time series walked in time order, row by
//! row keyed by (time, service, region), column by column in the first run's schema order;
//! then the events tables, event by event. Integer and text columns must be equal; floats
//! within a relative tolerance of 1e-9 (equal bits are not asked of two builds' arithmetic).
//!
//! Rows or columns one run has and the other lacks (another experiment's services, a column of
//! a newer clustersim) are not differences here: the comparison lists mismatched services on
//! its own, and a run that ends earlier simply has no more rows to compare.

use std::collections::BTreeMap;

use serde::Serialize;
use sim::recorder::{Table, Values};

use crate::chart::data::{f64_column, text_column, u64_column};
use crate::error::ReportError;
use crate::format::figure;

/// Relative tolerance for float columns.
pub const RELATIVE_TOLERANCE: f64 = 1e-9;

/// The columns that key a time-series row, not compared as values (`time_utc` follows
/// `time_s` and the run's start, which the comparison shows on its own).
const KEY_COLUMNS: [&str; 4] = ["time_s", "time_utc", "service", "region"];

/// The first time-series cell that differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowDifference {
    /// Seconds since the start of the run.
    pub time_s: u64,
    /// `HH:MM:SS` since the start.
    pub time: String,
    pub service: String,
    pub region: String,
    pub column: String,
    /// The value in the first run and in this one, as the sentence spells them.
    pub first: String,
    pub this: String,
}

/// The first event that differs (or the first past the end of one run's events).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventDifference {
    /// Position in the events tables (0-based).
    pub index: usize,
    /// The earlier of the two events' times, seconds since the start.
    pub time_s: f64,
    pub time: String,
    /// The event as `reason object ×count: message`, `None` past the run's last event.
    pub first: Option<String>,
    pub this: Option<String>,
}

/// A run against the first one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Divergence {
    pub run: String,
    pub against: String,
    /// Whether both runs had a time series to compare.
    pub timeseries_compared: bool,
    /// `None`: no difference (or not compared).
    pub timeseries: Option<RowDifference>,
    pub events_compared: bool,
    pub events: Option<EventDifference>,
    /// What was found, in words, one sentence per table.
    pub sentences: Vec<String>,
}

impl Divergence {
    /// Whether the compared tables were the same throughout.
    pub fn none(&self) -> bool {
        self.timeseries.is_none() && self.events.is_none()
    }
}

/// The tables of one run, as far as its folder has them.
pub struct RunTables<'a> {
    pub label: &'a str,
    pub timeseries: Option<&'a Table>,
    pub events: Option<&'a Table>,
}

/// `run` against `first`.
pub fn divergence(first: &RunTables, run: &RunTables) -> Result<Divergence, ReportError> {
    let (a, b) = (first.label, run.label);
    let mut d = Divergence {
        run: b.to_owned(),
        against: a.to_owned(),
        timeseries_compared: false,
        timeseries: None,
        events_compared: false,
        events: None,
        sentences: Vec::new(),
    };
    match (first.timeseries, run.timeseries) {
        (Some(ta), Some(tb)) => {
            let (difference, common) = first_row_difference(ta, tb)?;
            d.timeseries_compared = common > 0;
            d.timeseries = difference;
            d.sentences.push(match &d.timeseries {
                Some(r) => format!(
                    "{} {} {}/{}: {} in {a}, {} in {b}",
                    r.time, r.column, r.service, r.region, r.first, r.this
                ),
                None if common == 0 => "time series not compared: no sample of one service \
                                        and region at one instant is in both"
                    .to_owned(),
                None => format!("no divergence in the time series ({common} rows in both)"),
            });
        }
        _ => d.sentences.push(format!(
            "time series not compared: {} has no timeseries.parquet",
            missing(first, run, |t| t.timeseries.is_none())
        )),
    }
    if let (Some(ea), Some(eb)) = (first.events, run.events) {
        d.events_compared = true;
        d.events = first_event_difference(ea, eb)?;
        d.sentences.push(match &d.events {
            Some(e) => format!(
                "{} first differing event (#{}): {} in {a}; {} in {b}",
                e.time,
                e.index + 1,
                e.first.as_deref().unwrap_or("none"),
                e.this.as_deref().unwrap_or("none"),
            ),
            None => "no divergence in the events".to_owned(),
        });
    }
    Ok(d)
}

/// The labels of the runs (of the two) for which `lacks` holds, joined with "and".
fn missing(first: &RunTables, run: &RunTables, lacks: fn(&RunTables) -> bool) -> String {
    [first, run]
        .iter()
        .filter(|t| lacks(t))
        .map(|t| t.label)
        .collect::<Vec<_>>()
        .join(" and ")
}

/// `HH:MM:SS` since the start (hours past 99 keep their digits).
pub fn hms(seconds: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

fn same_f64(x: f64, y: f64) -> bool {
    x == y
        || (x.is_nan() && y.is_nan())
        || (x - y).abs() <= RELATIVE_TOLERANCE * x.abs().max(y.abs())
}

/// Two floats as a sentence spells them: as figures, or in full where the figures would read
/// the same.
fn f64_pair(x: f64, y: f64) -> (String, String) {
    let (fx, fy) = (figure(x), figure(y));
    if fx == fy {
        (format!("{x:?}"), format!("{y:?}"))
    } else {
        (fx, fy)
    }
}

/// Cell `r` of column `a` and `s` of `b` (of the same kind), as text when they differ.
fn cell_difference(a: &Values, r: usize, b: &Values, s: usize) -> Option<(String, String)> {
    match (a, b) {
        (Values::U64(x), Values::U64(y)) => {
            (x[r] != y[s]).then(|| (x[r].to_string(), y[s].to_string()))
        }
        (Values::F64(x), Values::F64(y)) => (!same_f64(x[r], y[s])).then(|| f64_pair(x[r], y[s])),
        (Values::Text(x), Values::Text(y)) => {
            (x[r] != y[s]).then(|| (format!("“{}”", x[r]), format!("“{}”", y[s])))
        }
        _ => None,
    }
}

/// The first differing cell, and how many rows both tables have (up to that cell's row).
fn first_row_difference(
    a: &Table,
    b: &Table,
) -> Result<(Option<RowDifference>, usize), ReportError> {
    let (time_a, service_a, region_a) = keys(a)?;
    let (time_b, service_b, region_b) = keys(b)?;
    let index_b: BTreeMap<(u64, &str, &str), usize> = (0..b.rows())
        .map(|s| ((time_b[s], service_b[s].as_str(), region_b[s].as_str()), s))
        .collect();
    // The common value columns, in the first run's order, both of one kind.
    let columns: Vec<(&str, &Values, &Values)> = a
        .columns()
        .iter()
        .filter(|c| !KEY_COLUMNS.contains(&c.name.as_str()))
        .filter_map(|c| Some((c.name.as_str(), &c.values, b.column(&c.name)?)))
        .filter(|(_, x, y)| std::mem::discriminant(*x) == std::mem::discriminant(*y))
        .collect();
    // Time order; within an instant, the first run's row order (its services and regions).
    let mut rows: Vec<usize> = (0..a.rows()).collect();
    rows.sort_by_key(|&r| time_a[r]);
    let mut common = 0;
    for r in rows {
        let key = (time_a[r], service_a[r].as_str(), region_a[r].as_str());
        let Some(&s) = index_b.get(&key) else {
            continue;
        };
        common += 1;
        for &(column, x, y) in &columns {
            if let Some((first, this)) = cell_difference(x, r, y, s) {
                let difference = RowDifference {
                    time_s: time_a[r],
                    time: hms(time_a[r]),
                    service: service_a[r].clone(),
                    region: region_a[r].clone(),
                    column: column.to_owned(),
                    first,
                    this,
                };
                return Ok((Some(difference), common));
            }
        }
    }
    Ok((None, common))
}

type Keys<'a> = (&'a [u64], &'a [String], &'a [String]);

fn keys(t: &Table) -> Result<Keys<'_>, ReportError> {
    Ok((
        u64_column(t, "time_s")?,
        text_column(t, "service")?,
        text_column(t, "region")?,
    ))
}

/// The columns of an events table an event is told apart by.
struct Events<'a> {
    time_s: &'a [f64],
    reason: &'a [String],
    object: &'a [String],
    message: &'a [String],
    count: &'a [u64],
}

impl<'a> Events<'a> {
    fn new(t: &'a Table) -> Result<Self, ReportError> {
        Ok(Events {
            time_s: f64_column(t, "time_s")?,
            reason: text_column(t, "reason")?,
            object: text_column(t, "object")?,
            message: text_column(t, "message")?,
            count: u64_column(t, "count")?,
        })
    }

    fn len(&self) -> usize {
        self.time_s.len()
    }

    fn same(&self, i: usize, other: &Events, j: usize) -> bool {
        same_f64(self.time_s[i], other.time_s[j])
            && self.reason[i] == other.reason[j]
            && self.object[i] == other.object[j]
            && self.message[i] == other.message[j]
            && self.count[i] == other.count[j]
    }

    fn describe(&self, i: usize) -> Option<String> {
        (i < self.len()).then(|| {
            format!(
                "{} {} ×{}: {}",
                self.reason[i], self.object[i], self.count[i], self.message[i]
            )
        })
    }
}

fn first_event_difference(a: &Table, b: &Table) -> Result<Option<EventDifference>, ReportError> {
    let (ea, eb) = (Events::new(a)?, Events::new(b)?);
    let common = ea.len().min(eb.len());
    let index = (0..common).find(|&i| !ea.same(i, &eb, i)).or_else(|| {
        // One run has more events than the other: its next one is the difference.
        (ea.len() != eb.len()).then_some(common)
    });
    Ok(index.map(|i| {
        let time_s = [ea.time_s.get(i), eb.time_s.get(i)]
            .into_iter()
            .flatten()
            .copied()
            .fold(f64::INFINITY, f64::min);
        EventDifference {
            index: i,
            time_s,
            time: hms(time_s as u64),
            first: ea.describe(i),
            this: eb.describe(i),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::tests::series;

    fn tables<'a>(label: &'a str, t: &'a Table) -> RunTables<'a> {
        RunTables {
            label,
            timeseries: Some(t),
            events: None,
        }
    }

    #[test]
    fn the_first_differing_cell_in_time_order_is_named() {
        let a = series(&[
            (0, "api", 12, 100.0),
            (0, "web", 3, 10.0),
            (855, "api", 12, 100.0),
            (855, "web", 3, 10.0),
            (900, "api", 12, 100.0),
        ]);
        // web differs at 855 in desired pods, api only later: web at 855 is first. The float
        // noise in arrival_rps at 0 is within the tolerance.
        let b = series(&[
            (0, "api", 12, 100.0 * (1.0 + 1e-12)),
            (0, "web", 3, 10.0),
            (855, "api", 12, 100.0),
            (855, "web", 18, 10.0),
            (900, "api", 13, 100.0),
        ]);
        let d = divergence(&tables("A", &a), &tables("B", &b)).unwrap();
        let r = d.timeseries.unwrap();
        assert_eq!((r.time_s, r.column.as_str()), (855, "desired_pods"));
        assert_eq!(
            d.sentences[0],
            "00:14:15 desired_pods web/us-east1: 3 in A, 18 in B"
        );
    }

    #[test]
    fn a_run_against_itself_has_no_divergence_and_a_missing_table_is_said() {
        let a = series(&[(0, "api", 12, 100.0), (60, "api", 12, 0.1 + 0.2)]);
        let d = divergence(&tables("A", &a), &tables("B", &a)).unwrap();
        assert!(d.none() && d.timeseries_compared);
        assert_eq!(
            d.sentences,
            ["no divergence in the time series (2 rows in both)"]
        );
        let other = series(&[(0, "web", 12, 100.0)]);
        let d = divergence(&tables("A", &a), &tables("B", &other)).unwrap();
        assert!(!d.timeseries_compared && d.none());
        let bare = RunTables {
            label: "B",
            timeseries: None,
            events: None,
        };
        let d = divergence(&tables("A", &a), &bare).unwrap();
        assert!(!d.timeseries_compared);
        assert_eq!(
            d.sentences,
            ["time series not compared: B has no timeseries.parquet"]
        );
    }

    #[test]
    fn close_floats_are_spelled_in_full() {
        assert_eq!(
            f64_pair(1.0, 1.0001),
            ("1.0".to_owned(), "1.0001".to_owned())
        );
        assert_eq!(f64_pair(12.0, 18.5), ("12".to_owned(), "18.5".to_owned()));
        assert_eq!(hms(3600 * 100 + 61), "100:01:01");
    }

    fn events(rows: &[(f64, &str)]) -> Table {
        let rows: Vec<_> = rows
            .iter()
            .map(|&(time, message)| (time, "", "SuccessfulRescale", "hpa/api", message, 1))
            .collect();
        crate::chart::catalog::tests::events_of(&rows)
    }

    #[test]
    fn the_first_differing_event_or_the_first_extra_one_is_named() {
        let a = events(&[(30.0, "→ 4"), (90.0, "→ 6")]);
        let b = events(&[(30.0, "→ 4"), (75.0, "→ 5")]);
        let run = |label, e| RunTables {
            label,
            timeseries: None,
            events: Some(e),
        };
        let d = divergence(&run("A", &a), &run("B", &b)).unwrap();
        let e = d.events.unwrap();
        assert_eq!((e.index, e.time_s), (1, 75.0));
        assert_eq!(
            d.sentences[1],
            "00:01:15 first differing event (#2): SuccessfulRescale hpa/api ×1: → 6 in A; \
             SuccessfulRescale hpa/api ×1: → 5 in B"
        );
        let shorter = events(&[(30.0, "→ 4")]);
        let d = divergence(&run("A", &a), &run("B", &shorter)).unwrap();
        let e = d.events.unwrap();
        assert_eq!((e.index, e.this), (1, None));
        let d = divergence(&run("A", &a), &run("B", &a)).unwrap();
        assert!(d.none());
    }
}

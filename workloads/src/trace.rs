//! Real request traces replayed as traffic: a CSV file read once, when the experiment is
//! loaded, into a compact list of `(instant, rate)` points that the `Trace` shape then replays.
//!
//! # Column contract
//!
//! - UTF-8 text, comma-separated, **one header row** naming the columns; `\n` or `\r\n` line
//!   ends; a field may be double-quoted (`"a,b"`, `""` for a quote inside) but may not span
//!   lines. Blank lines are skipped. Every row has as many fields as the header. Other columns
//!   than the two named below are ignored, so the bundled traces are read as they are.
//! - `time_column`: when the row starts, a number in `time_unit` (`s`, `ms` or `min`), strictly
//!   increasing from row to row. Only differences matter: the first row is the trace's time
//!   zero, whatever its value (seconds since the trace began, or Unix time).
//! - `value_column`: a finite number ≥ 0, either a rate in requests per second (`Rate`) or the
//!   number of requests that arrived during the row (`CountPerRow`).
//! - A row lasts until the next row starts; the last row lasts as long as the one before it,
//!   so the trace covers `[first time, last time + last spacing)` and has at least two rows.
//!   With `CountPerRow` a row's rate is its count divided by its length: a gap between rows
//!   spreads the count over the gap, so a trace with missing rows must have them filled with
//!   zeros first.
//! - Rows are numbered as the lines of the file, the header being row 1, so an error's row is
//!   the line number an editor shows; columns are numbered from 1.
//!
//! Limits: at most [`MAX_TRACE_ROWS`] rows, [`MAX_TRACE_BYTES`] bytes and lines of
//! [`MAX_TRACE_LINE_BYTES`] bytes, checked while reading ([`read_text`]); an error quotes at
//! most a short escaped [`excerpt`] of what it read.
//!
//! Parquet files (`.parquet`) follow the same contract with typed columns: the two named
//! columns must be numeric (integer or float) without nulls; rows are numbered from 1 (no
//! header row). They are read through a [`ReadColumns`] function the caller supplies — the
//! CLI passes `reports::read_trace_columns` — because polars lives in `reports`, which
//! DESIGN.md keeps out of `workloads` so that it builds in seconds.
//!
//! # Replay
//!
//! - `Step`: each row's rate holds over the row. With `CountPerRow` the request count of
//!   every row is then replayed exactly.
//! - `Linear`: the rate is interpolated linearly between points placed at each row's start
//!   (`Rate`: a sample of the rate at that instant) or at each row's middle (`CountPerRow`: the
//!   mean rate over the row belongs to its middle), held at the first and last point's rate
//!   before and after them, and, like every continuous shape, held constant over each `step`
//!   at its midpoint value.
//! - `start_offset` skips the start of the trace: time zero of the run replays the trace at
//!   `start_offset` after its first row.
//! - `loop`: at the end of the trace the replay starts again from its first row (without
//!   interpolating across the seam). Without `loop` the rate after the end would be 0; the
//!   experiment loader refuses a trace shorter than the run instead (see
//!   [`Replay::covered`]).
//! - `scale_to_peak_rps`: every rate is multiplied so that the highest rate of the whole file
//!   (not only of the replayed part) becomes this value.

mod read;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use sim::time::{SimDuration, SimTime};

pub use read::{MAX_EXCERPT_CHARS, MAX_TRACE_LINE_BYTES, excerpt, read_bounded, read_text};

/// Rows of a trace file, at most (16 bytes each once loaded: 160 MB).
pub const MAX_TRACE_ROWS: usize = 10_000_000;
/// Size of a trace file, at most.
pub const MAX_TRACE_BYTES: u64 = 1 << 30;

/// Unit of the time column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeUnit {
    #[serde(rename = "s")]
    Seconds,
    #[serde(rename = "ms")]
    Milliseconds,
    #[serde(rename = "min")]
    Minutes,
}

impl TimeUnit {
    fn nanos(self) -> f64 {
        match self {
            TimeUnit::Seconds => 1e9,
            TimeUnit::Milliseconds => 1e6,
            TimeUnit::Minutes => 60e9,
        }
    }
}

/// What the value column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ValueKind {
    /// Requests per second at the row's time.
    Rate,
    /// Requests that arrived during the row.
    CountPerRow,
}

/// How the rate goes from one row to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Interpolation {
    /// Each row's rate holds until the next row.
    #[default]
    Step,
    /// Linear between rows, held per `step` at its midpoint.
    Linear,
}

/// How to read and replay a trace: the parameters of the `Trace` shape besides the file.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayOptions<'a> {
    pub time_column: &'a str,
    pub time_unit: TimeUnit,
    pub value_column: &'a str,
    pub value_kind: ValueKind,
    pub interpolation: Interpolation,
    pub scale_to_peak_rps: Option<f64>,
    pub looped: bool,
    pub start_offset: SimDuration,
    pub step: SimDuration,
}

/// A problem in a trace file: where (1-based row and column, when known) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceError {
    /// Line of the file, the header being 1.
    pub row: Option<usize>,
    /// Column number (from 1) and its header name.
    pub column: Option<(usize, String)>,
    pub message: String,
}

impl TraceError {
    fn whole(message: impl Into<String>) -> Self {
        TraceError {
            row: None,
            column: None,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for TraceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.row, &self.column) {
            (Some(r), Some((c, name))) => write!(f, "row {r}, column {c} (`{name}`): ")?,
            (Some(r), None) => write!(f, "row {r}: ")?,
            (None, Some((c, name))) => write!(f, "column {c} (`{name}`): ")?,
            (None, None) => {}
        }
        f.write_str(&self.message)
    }
}

/// A loaded trace, ready to replay: see the module documentation for the semantics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Replay {
    /// `(ns after the first row, requests/s)`, strictly increasing in time: row starts for
    /// `Step`, interpolation points for `Linear`.
    points: Vec<(u64, f64)>,
    /// End of the trace, ns after its first row.
    end_ns: u64,
    interpolation: Interpolation,
    looped: bool,
    offset_ns: u64,
    step: SimDuration,
}

/// One row as read: where it is in its file (CSV: its line, the header being 1; Parquet: its
/// row, the first being 1) and the two numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    pub line: usize,
    pub time: f64,
    pub value: f64,
}

/// The two columns of a trace as read from a file, and their numbers (from 1) in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Columns {
    pub rows: Vec<Row>,
    pub time_column: usize,
    pub value_column: usize,
}

/// Reads the named time and value columns of a trace file that is not CSV (Parquet: the
/// reader lives in `reports`, where polars is).
pub type ReadColumns = fn(&std::path::Path, &str, &str) -> Result<Columns, TraceError>;

impl Replay {
    /// Reads a trace from the text of a CSV file.
    pub fn from_csv(text: &str, o: &ReplayOptions<'_>) -> Result<Replay, TraceError> {
        Replay::from_columns(read_rows(text, o.time_column, o.value_column)?, o)
    }

    /// A trace from its two columns, however they were read: checks the values (finite, rate
    /// or count ≥ 0, times increasing) and builds the replay.
    pub fn from_columns(columns: Columns, o: &ReplayOptions<'_>) -> Result<Replay, TraceError> {
        let Columns {
            rows,
            time_column: time_col,
            value_column: value_col,
        } = columns;
        if rows.len() > MAX_TRACE_ROWS {
            return Err(TraceError::whole(format!(
                "{} rows, more than the limit of {MAX_TRACE_ROWS}: expected a shorter trace",
                rows.len()
            )));
        }
        for r in &rows {
            let bad = |col: usize, name: &str, expected: &str, found: f64| TraceError {
                row: Some(r.line),
                column: Some((col, name.to_owned())),
                message: format!("expected {expected}, found {found}"),
            };
            if !r.time.is_finite() {
                return Err(bad(time_col, o.time_column, "a finite number", r.time));
            }
            if !r.value.is_finite() {
                return Err(bad(value_col, o.value_column, "a finite number", r.value));
            }
            if r.value < 0.0 {
                return Err(bad(value_col, o.value_column, "a number >= 0", r.value));
            }
        }
        if rows.len() < 2 {
            return Err(TraceError::whole(format!(
                "expected at least 2 data rows (a row lasts until the next one), found {}",
                rows.len()
            )));
        }
        // Row starts in ns after the first row, strictly increasing.
        let mut starts = Vec::with_capacity(rows.len());
        let t0 = rows[0].time;
        for (i, r) in rows.iter().enumerate() {
            let ns = ((r.time - t0) * o.time_unit.nanos()).round();
            if !ns.is_finite() || ns >= u64::MAX as f64 {
                return Err(TraceError {
                    row: Some(r.line),
                    column: Some((time_col, o.time_column.to_owned())),
                    message: "the trace spans more than 584 years".into(),
                });
            }
            let ns = ns as u64;
            if i > 0 && ns <= starts[i - 1] {
                return Err(TraceError {
                    row: Some(r.line),
                    column: Some((time_col, o.time_column.to_owned())),
                    message: format!(
                        "expected a time after the previous row's {}, found {}",
                        rows[i - 1].time,
                        r.time
                    ),
                });
            }
            starts.push(ns);
        }
        let n = starts.len();
        let last_len = starts[n - 1] - starts[n - 2];
        let len = |i: usize| {
            if i + 1 < n {
                starts[i + 1] - starts[i]
            } else {
                last_len
            }
        };
        let end_ns = starts[n - 1].saturating_add(last_len);
        let mut rates: Vec<f64> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| match o.value_kind {
                ValueKind::Rate => r.value,
                ValueKind::CountPerRow => r.value / (len(i) as f64 / 1e9),
            })
            .collect();
        if let Some(peak) = o.scale_to_peak_rps {
            let max = rates.iter().copied().fold(0.0, f64::max);
            if max <= 0.0 {
                return Err(TraceError::whole(
                    "every rate of the trace is 0: there is no peak to scale to `scale_to_peak_rps`",
                ));
            }
            let factor = peak / max;
            for r in &mut rates {
                *r *= factor;
            }
        }
        let points = starts
            .iter()
            .enumerate()
            .map(|(i, &s)| {
                let at = match (o.interpolation, o.value_kind) {
                    (Interpolation::Linear, ValueKind::CountPerRow) => s + len(i) / 2,
                    _ => s,
                };
                (at, rates[i])
            })
            .collect();
        Ok(Replay {
            points,
            end_ns,
            interpolation: o.interpolation,
            looped: o.looped,
            offset_ns: o.start_offset.as_nanos(),
            step: o.step,
        })
    }

    /// How long the trace lasts, from its first row to the end of its last.
    pub fn span(&self) -> SimDuration {
        SimDuration::from_nanos(self.end_ns)
    }

    /// Whether a run of `duration` replays only instants the trace covers: always when it
    /// loops, else when `start_offset + duration` is within the trace.
    pub fn covered(&self, duration: SimDuration) -> bool {
        self.looped || self.offset_ns.saturating_add(duration.as_nanos()) <= self.end_ns
    }

    /// The highest rate of the trace, requests/s.
    pub fn peak_rps(&self) -> f64 {
        self.points.iter().map(|p| p.1).fold(0.0, f64::max)
    }

    /// The rate at simulated time `now` and when it next changes.
    pub fn segment(&self, now: SimTime) -> (f64, Option<SimTime>) {
        let now_ns = now.as_nanos();
        let pos = self.offset_ns.saturating_add(now_ns);
        let p = if self.looped {
            pos % self.end_ns
        } else if pos >= self.end_ns {
            return (0.0, None);
        } else {
            pos
        };
        // Simulated instants where this pass over the trace began and ends.
        let pass_start = now_ns.saturating_sub(p);
        let pass_end = now_ns.saturating_add(self.end_ns - p);
        match self.interpolation {
            Interpolation::Step => {
                let i = self.points.partition_point(|&(t, _)| t <= p).max(1) - 1;
                let next = self.points.get(i + 1).map_or(self.end_ns, |&(t, _)| t);
                (
                    self.points[i].1,
                    Some(SimTime::from_nanos(now_ns.saturating_add(next - p))),
                )
            }
            Interpolation::Linear => {
                let step = self.step.as_nanos();
                let k = now_ns / step;
                let piece_start = (k * step).max(pass_start);
                let piece_end = ((k + 1).saturating_mul(step)).min(pass_end);
                let p_start = p - (now_ns - piece_start);
                let mid = p_start as f64 + (piece_end - piece_start) as f64 / 2.0;
                (self.linear_at(mid), Some(SimTime::from_nanos(piece_end)))
            }
        }
    }

    /// The linear interpolation of the points at `p_ns` after the first row.
    fn linear_at(&self, p_ns: f64) -> f64 {
        let j = self.points.partition_point(|&(t, _)| (t as f64) <= p_ns);
        if j == 0 {
            return self.points[0].1;
        }
        let (t0, r0) = self.points[j - 1];
        match self.points.get(j) {
            None => r0,
            Some(&(t1, r1)) => r0 + (r1 - r0) * (p_ns - t0 as f64) / (t1 - t0) as f64,
        }
    }
}

/// The rows of a CSV text, keeping the two named columns.
fn read_rows(text: &str, time_column: &str, value_column: &str) -> Result<Columns, TraceError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split('\n').enumerate().map(|(i, l)| {
        let l = l.strip_suffix('\r').unwrap_or(l);
        (i + 1, l)
    });
    let header = match lines.next() {
        Some((_, h)) if !h.trim().is_empty() => split_fields(h).map_err(|m| TraceError {
            row: Some(1),
            column: None,
            message: m,
        })?,
        _ => {
            return Err(TraceError {
                row: Some(1),
                column: None,
                message: "expected a header row naming the columns, found an empty line".into(),
            });
        }
    };
    let names: Vec<&str> = header.iter().map(|h| h.trim()).collect();
    let find = |name: &str| {
        names
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| TraceError {
                row: Some(1),
                column: None,
                message: match header_names(&names) {
                    Some(list) => {
                        format!("no column `{name}` in the header: expected one of {list}")
                    }
                    None => format!("no column `{name}`: {NOT_A_CSV_HEADER}"),
                },
            })
    };
    let time_at = find(time_column)?;
    let value_at = find(value_column)?;
    let mut rows = Vec::new();
    for (line, l) in lines {
        if l.trim().is_empty() {
            continue;
        }
        if rows.len() == MAX_TRACE_ROWS {
            return Err(TraceError {
                row: Some(line),
                column: None,
                message: format!("more than {MAX_TRACE_ROWS} rows: expected a shorter trace"),
            });
        }
        let fields = split_fields(l).map_err(|m| TraceError {
            row: Some(line),
            column: None,
            message: m,
        })?;
        if fields.len() != names.len() {
            return Err(TraceError {
                row: Some(line),
                column: None,
                message: format!(
                    "expected {} fields as in the header, found {}",
                    names.len(),
                    fields.len()
                ),
            });
        }
        let number = |at: usize| {
            let raw = fields[at].trim();
            raw.parse::<f64>().map_err(|_| TraceError {
                row: Some(line),
                column: Some((at + 1, names[at].to_owned())),
                message: format!("expected a number, found \"{}\"", excerpt(raw)),
            })
        };
        rows.push(Row {
            line,
            time: number(time_at)?,
            value: number(value_at)?,
        });
    }
    Ok(Columns {
        rows,
        time_column: time_at + 1,
        value_column: value_at + 1,
    })
}

/// What the error about a header without a named column says of the header: the first few
/// names, each an [`excerpt`] (`None` for a first line without a comma, which is most likely
/// not a CSV header but the first line of an unrelated file, and is not quoted at all).
pub fn header_names<S: AsRef<str>>(names: &[S]) -> Option<String> {
    /// Names listed, at most.
    const MAX_NAMES: usize = 8;
    if names.len() < 2 {
        return None;
    }
    let listed: Vec<String> = names
        .iter()
        .take(MAX_NAMES)
        .map(|n| format!("`{}`", excerpt(n.as_ref())))
        .collect();
    let more = names.len().saturating_sub(MAX_NAMES);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    Some(format!("{}{more}", listed.join(", ")))
}

/// What a header of one field is told: what [`header_names`] does not quote.
pub const NOT_A_CSV_HEADER: &str =
    "the first line has no `,`: expected a CSV file whose first line names its columns";

/// Splits one CSV line into fields (RFC 4180 quoting, without line breaks inside quotes).
fn split_fields(line: &str) -> Result<Vec<Cow<'_, str>>, String> {
    let mut fields = Vec::new();
    let mut rest = line;
    loop {
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let after = loop {
                match chars.next() {
                    None => return Err("a quoted field is not closed on its line".into()),
                    Some((i, '"')) => {
                        if quoted[i + 1..].starts_with('"') {
                            value.push('"');
                            chars.next();
                        } else {
                            break &quoted[i + 1..];
                        }
                    }
                    Some((_, c)) => value.push(c),
                }
            };
            fields.push(Cow::Owned(value));
            match after.strip_prefix(',') {
                Some(next) => rest = next,
                None if after.is_empty() => return Ok(fields),
                None => return Err("expected `,` after a closing quote".into()),
            }
        } else {
            match rest.find(',') {
                Some(i) => {
                    fields.push(Cow::Borrowed(&rest[..i]));
                    rest = &rest[i + 1..];
                }
                None => {
                    fields.push(Cow::Borrowed(rest));
                    return Ok(fields);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `tests/data/small_trace.csv`: 4 one-minute rows of 60, 120, 0 and 240 requests (420 in
    /// all), with a quoted field holding a comma and one holding quotes.
    const SMALL: &str = include_str!("../tests/data/small_trace.csv");

    fn options(kind: ValueKind, interpolation: Interpolation) -> ReplayOptions<'static> {
        ReplayOptions {
            time_column: "minute",
            time_unit: TimeUnit::Minutes,
            value_column: "requests",
            value_kind: kind,
            interpolation,
            scale_to_peak_rps: None,
            looped: false,
            start_offset: SimDuration::ZERO,
            step: SimDuration::from_secs(60),
        }
    }

    fn counts() -> Replay {
        Replay::from_csv(SMALL, &options(ValueKind::CountPerRow, Interpolation::Step)).unwrap()
    }

    /// Every segment from time zero to `end_s`: (start s, rps, until s).
    fn segments(r: &Replay, end_s: u64) -> Vec<(u64, f64, Option<u64>)> {
        let mut out = Vec::new();
        let mut t = 0;
        while t < end_s * 1_000_000_000 {
            let (rps, until) = r.segment(SimTime::from_nanos(t));
            let until = until.map(SimTime::as_nanos);
            out.push((t / 1_000_000_000, rps, until.map(|u| u / 1_000_000_000)));
            match until {
                Some(u) => {
                    assert!(u > t, "a breakpoint must be after now");
                    t = u;
                }
                None => break,
            }
        }
        out
    }

    /// Requests replayed over `[0, end_s)`.
    fn total(r: &Replay, end_s: u64) -> f64 {
        segments(r, end_s)
            .iter()
            .map(|&(s, rps, until)| rps * (until.unwrap_or(end_s).min(end_s) - s) as f64)
            .sum()
    }

    #[test]
    fn counts_per_row_replay_every_request() {
        let r = counts();
        assert_eq!(r.span(), SimDuration::from_secs(240));
        assert_eq!(
            segments(&r, 600),
            vec![
                (0, 1.0, Some(60)),
                (60, 2.0, Some(120)),
                (120, 0.0, Some(180)),
                (180, 4.0, Some(240)),
                (240, 0.0, None),
            ]
        );
        assert_eq!(total(&r, 240), 420.0);
        assert_eq!(r.peak_rps(), 4.0);
    }

    #[test]
    fn rates_are_read_as_they_are() {
        let o = ReplayOptions {
            time_column: "unix_time",
            time_unit: TimeUnit::Seconds,
            value_column: "requests",
            ..options(ValueKind::Rate, Interpolation::Step)
        };
        let r = Replay::from_csv(SMALL, &o).unwrap();
        assert_eq!(
            r.segment(SimTime::from_secs(61)),
            (120.0, Some(SimTime::from_secs(120)))
        );
        // The time column's values only matter by their differences: Unix time 1000 is zero.
        assert_eq!(
            r.segment(SimTime::ZERO),
            (60.0, Some(SimTime::from_secs(60)))
        );
        let ms = ReplayOptions {
            time_unit: TimeUnit::Milliseconds,
            ..o
        };
        // 1000 → 1060 ms: rows 60 ms apart.
        let r = Replay::from_csv(SMALL, &ms).unwrap();
        assert_eq!(r.span(), SimDuration::from_millis(240));
    }

    #[test]
    fn linear_interpolation_of_rates_samples_each_step_at_its_midpoint() {
        // Points (0 s, 60), (60 s, 120), (120 s, 0), (180 s, 240), held after 180 s; 30 s steps.
        let o = ReplayOptions {
            step: SimDuration::from_secs(30),
            ..options(ValueKind::Rate, Interpolation::Linear)
        };
        let r = Replay::from_csv(SMALL, &o).unwrap();
        let at = |s| r.segment(SimTime::from_secs(s));
        // [0, 30): midpoint 15 s, a quarter from 60 to 120.
        assert_eq!(at(0), (75.0, Some(SimTime::from_secs(30))));
        // [30, 60): midpoint 45 s.
        assert_eq!(at(40), (105.0, Some(SimTime::from_secs(60))));
        // [90, 120): midpoint 105 s, 3/4 from 120 to 0.
        assert_eq!(at(90), (30.0, Some(SimTime::from_secs(120))));
        // [210, 240): past the last point, its rate.
        assert_eq!(at(210), (240.0, Some(SimTime::from_secs(240))));
        assert_eq!(at(240), (0.0, None));
    }

    #[test]
    fn linear_interpolation_of_counts_puts_each_rate_mid_row() {
        // Rates 1, 2, 0, 4 requests/s at 30, 90, 150 and 210 s; one-minute steps.
        let r = Replay::from_csv(
            SMALL,
            &options(ValueKind::CountPerRow, Interpolation::Linear),
        )
        .unwrap();
        let at = |s| r.segment(SimTime::from_secs(s)).0;
        // [0, 60): midpoint 30 s, exactly on the first point.
        assert_eq!(at(0), 1.0);
        // [60, 120): midpoint 90 s.
        assert_eq!(at(60), 2.0);
        // With 20 s steps, [40, 60) has its midpoint at 50 s: 1 + (2 − 1) × 20/60.
        let o = ReplayOptions {
            step: SimDuration::from_secs(20),
            ..options(ValueKind::CountPerRow, Interpolation::Linear)
        };
        let r = Replay::from_csv(SMALL, &o).unwrap();
        let (rps, until) = r.segment(SimTime::from_secs(45));
        assert!((rps - (1.0 + 20.0 / 60.0)).abs() < 1e-12, "{rps}");
        assert_eq!(until, Some(SimTime::from_secs(60)));
    }

    #[test]
    fn a_looping_trace_starts_again_and_an_offset_skips_its_start() {
        let o = ReplayOptions {
            looped: true,
            start_offset: SimDuration::from_secs(150),
            ..options(ValueKind::CountPerRow, Interpolation::Step)
        };
        let r = Replay::from_csv(SMALL, &o).unwrap();
        assert!(r.covered(SimDuration::from_secs(1_000_000)));
        // Time zero is 150 s into the trace: row 3 (0 rps) until 180 s, i.e. 30 s of the run.
        assert_eq!(
            segments(&r, 400),
            vec![
                (0, 0.0, Some(30)),
                (30, 4.0, Some(90)),
                (90, 1.0, Some(150)),
                (150, 2.0, Some(210)),
                (210, 0.0, Some(270)),
                (270, 4.0, Some(330)),
                (330, 1.0, Some(390)),
                (390, 2.0, Some(450)),
            ]
        );
        // Five whole loops replay 5 × 420 requests.
        let o = ReplayOptions {
            start_offset: SimDuration::ZERO,
            ..o
        };
        let r = Replay::from_csv(SMALL, &o).unwrap();
        assert_eq!(total(&r, 1200), 2100.0);
    }

    #[test]
    fn a_short_trace_is_not_covered_without_loop() {
        let r = counts();
        assert!(r.covered(SimDuration::from_secs(240)));
        assert!(!r.covered(SimDuration::from_secs(241)));
        let o = ReplayOptions {
            start_offset: SimDuration::from_secs(60),
            ..options(ValueKind::CountPerRow, Interpolation::Step)
        };
        let r = Replay::from_csv(SMALL, &o).unwrap();
        assert!(r.covered(SimDuration::from_secs(180)));
        assert!(!r.covered(SimDuration::from_secs(181)));
    }

    #[test]
    fn scaling_to_a_peak_scales_every_row() {
        let o = ReplayOptions {
            scale_to_peak_rps: Some(100.0),
            ..options(ValueKind::CountPerRow, Interpolation::Step)
        };
        let r = Replay::from_csv(SMALL, &o).unwrap();
        // Peak 4 rps → 100: every rate × 25, so 420 requests → 10 500.
        assert_eq!(r.peak_rps(), 100.0);
        let rates: Vec<f64> = segments(&r, 240).iter().map(|s| s.1).collect();
        assert_eq!(rates, vec![25.0, 50.0, 0.0, 100.0]);
        assert_eq!(total(&r, 240), 10_500.0);
        let zeros = "t,v\n0,0\n1,0\n";
        let o = ReplayOptions {
            time_column: "t",
            value_column: "v",
            ..o
        };
        let e = Replay::from_csv(zeros, &o).unwrap_err();
        assert!(e.message.contains("every rate"), "{e}");
    }

    fn error(text: &str) -> String {
        Replay::from_csv(text, &options(ValueKind::CountPerRow, Interpolation::Step))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn bad_rows_name_their_row_and_column() {
        let bad = SMALL.replace("2,1120,0,c", "2,1120,zero,c");
        assert_eq!(
            error(&bad),
            "row 4, column 3 (`requests`): expected a number, found \"zero\""
        );
        let bad = SMALL.replace("2,1120,0,c", "2,1120,-5,c");
        assert_eq!(
            error(&bad),
            "row 4, column 3 (`requests`): expected a number >= 0, found -5"
        );
        let bad = SMALL.replace("2,1120,0,c", "2,1120,inf,c");
        assert!(
            error(&bad).starts_with("row 4, column 3"),
            "{}",
            error(&bad)
        );
        let bad = SMALL.replace("2,1120,0,c", "1,1120,0,c");
        assert_eq!(
            error(&bad),
            "row 4, column 1 (`minute`): expected a time after the previous row's 1, found 1"
        );
        let bad = SMALL.replace("2,1120,0,c", "2,1120,0");
        assert_eq!(
            error(&bad),
            "row 4: expected 4 fields as in the header, found 3"
        );
        let bad = SMALL.replace("2,1120,0,c", "2,1120,0,\"c");
        assert_eq!(
            error(&bad),
            "row 4: a quoted field is not closed on its line"
        );
        // Blank lines are skipped but counted, so the row is still the editor's line.
        let bad = SMALL.replace("2,1120,0,c", "\n2,1120,x,c");
        assert!(
            error(&bad).starts_with("row 5, column 3"),
            "{}",
            error(&bad)
        );
    }

    #[test]
    fn a_bad_header_is_row_1() {
        assert_eq!(
            error("time,requests\n0,1\n1,2\n"),
            "row 1: no column `minute` in the header: expected one of `time`, `requests`"
        );
        assert!(error("\n0,1\n").starts_with("row 1: expected a header row"));
        // An unrelated file's first line is not quoted.
        assert_eq!(
            error("root:x:0:0:root:/root:/bin/bash\n"),
            "row 1: no column `minute`: the first line has no `,`: expected a CSV file whose \
             first line names its columns"
        );
        let wide: Vec<String> = (0..10).map(|i| format!("c{i}")).collect();
        assert_eq!(
            error(&format!("{}\n", wide.join(","))),
            "row 1: no column `minute` in the header: expected one of `c0`, `c1`, `c2`, `c3`, \
             `c4`, `c5`, `c6`, `c7` and 2 more"
        );
        let long_field = format!("minute,requests\n0,{}\n", "9x".repeat(50));
        assert!(
            error(&long_field).ends_with(&format!("found \"{}…\"", "9x".repeat(19) + "9")),
            "{}",
            error(&long_field)
        );
        assert!(error("minute,requests\n0,5\n").contains("at least 2 data rows"));
    }

    #[test]
    fn crlf_line_ends_and_a_byte_order_mark_are_read() {
        let text = format!("\u{feff}{}", SMALL.replace('\n', "\r\n"));
        let r =
            Replay::from_csv(&text, &options(ValueKind::CountPerRow, Interpolation::Step)).unwrap();
        assert_eq!(r, counts());
    }

    #[test]
    fn quoted_fields_split_as_rfc_4180_says() {
        let f = split_fields(r#"a,"b, c","d ""e""",,"#).unwrap();
        assert_eq!(f, vec!["a", "b, c", "d \"e\"", "", ""]);
        assert!(split_fields(r#""a"b"#).is_err());
    }
}

//! A trace of job submissions read from CSV.
//!
//! # Column contract
//!
//! - UTF-8, comma-separated, **one header row** naming the columns, `\n` or `\r\n` line ends,
//!   blank lines skipped, every row with as many fields as the header. Fields are plain: a
//!   double quote anywhere is an error (the numbers need none; `trace.rs`'s quoting rules are
//!   private to it). Columns other than those below are ignored, so a converted trace may keep
//!   its source's identifiers beside them.
//! - `submit_s`: when the job is submitted, in seconds from the start of the run, a finite
//!   number ≥ 0, never smaller than the previous row's (rows in submission order).
//! - `duration_s`: how long each task runs once running, seconds, ≥ 0 and at most
//!   [`MAX_RUN`](super::MAX_RUN).
//! - `cpu_millis`: CPU request of each task in millicores, a whole number ≥ 0.
//! - `memory_mib`: memory request of each task in MiB (2²⁰ bytes), a number ≥ 0.
//! - `gpus` (optional column; an empty field is 0): whole GPUs per task.
//! - `count` (optional column; an empty field is 1): tasks the job runs to completion, 1 to
//!   [`MAX_TASKS_PER_ROW`].
//!
//! Rows are numbered as the lines of the file, the header being row 1, so an error names the
//! line an editor shows; columns are numbered from 1. At most [`MAX_JOB_ROWS`] rows and
//! `trace::MAX_TRACE_BYTES` bytes.
//!
//! `data/jobs/alibaba_gpu_v2023/openb_jobs_day130.csv` is a day of Alibaba's GPU cluster in this
//! contract; `data/PROVENANCE.md` says how it was converted from the published pod list.

use std::path::Path;

use sim::time::{SimDuration, SimTime};

use super::{JobArrival, MAX_RUN, TaskRequests};
use crate::trace::{MAX_TRACE_BYTES, TraceError};

/// Rows of a job trace, at most.
pub const MAX_JOB_ROWS: usize = 1_000_000;
/// `count` of one row, at most.
pub const MAX_TASKS_PER_ROW: u32 = 100_000;

const BYTES_PER_MIB: f64 = 1_048_576.0;

/// A job trace that cannot be used: the file, and where in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobTraceError {
    /// As the user will recognise it: the path the experiment named, joined to its directory.
    pub file: String,
    pub error: TraceError,
}

impl std::fmt::Display for JobTraceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "in job trace `{}`, {}", self.file, self.error)
    }
}

impl std::error::Error for JobTraceError {}

/// Reads the job trace at `path` (see the module documentation).
pub fn load_job_trace(path: &Path) -> Result<Vec<JobArrival>, JobTraceError> {
    let file = path.display().to_string();
    let whole = |message: String| JobTraceError {
        file: file.clone(),
        error: TraceError {
            row: None,
            column: None,
            message,
        },
    };
    if let Ok(m) = std::fs::metadata(path)
        && m.len() > MAX_TRACE_BYTES
    {
        return Err(whole(format!(
            "the file has {} bytes, more than the limit of {MAX_TRACE_BYTES}",
            m.len()
        )));
    }
    let text = crate::trace::read_text(path).map_err(|error| JobTraceError {
        file: file.clone(),
        error,
    })?;
    read_job_trace(&text).map_err(|error| JobTraceError {
        file: file.clone(),
        error,
    })
}

/// Column positions of the header.
struct Columns {
    names: Vec<String>,
    submit: usize,
    duration: usize,
    cpu: usize,
    memory: usize,
    gpus: Option<usize>,
    count: Option<usize>,
}

/// Reads a job trace from the text of a CSV file.
pub fn read_job_trace(text: &str) -> Result<Vec<JobArrival>, TraceError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split('\n').enumerate().map(|(i, l)| {
        let l = l.strip_suffix('\r').unwrap_or(l);
        (i + 1, l)
    });
    let header = match lines.next() {
        Some((_, h)) if !h.trim().is_empty() => split(h, 1)?,
        _ => {
            return Err(at_row(
                1,
                "expected a header row naming the columns, found an empty line",
            ));
        }
    };
    let cols = columns(&header)?;
    let mut jobs = Vec::new();
    let mut previous_submit_s = 0.0;
    for (line, l) in lines {
        if l.trim().is_empty() {
            continue;
        }
        if jobs.len() == MAX_JOB_ROWS {
            return Err(at_row(
                line,
                &format!("more than {MAX_JOB_ROWS} rows: expected a shorter trace"),
            ));
        }
        let fields = split(l, line)?;
        if fields.len() != cols.names.len() {
            return Err(at_row(
                line,
                &format!(
                    "expected {} fields as in the header, found {}",
                    cols.names.len(),
                    fields.len()
                ),
            ));
        }
        let cell = Cell {
            line,
            fields: &fields,
            names: &cols.names,
        };
        let submit_s = cell.number(cols.submit)?;
        if submit_s < previous_submit_s {
            return Err(cell.bad(
                cols.submit,
                &format!("expected a time at or after the previous row's {previous_submit_s}"),
            ));
        }
        previous_submit_s = submit_s;
        let duration_s = cell.number(cols.duration)?;
        if duration_s > MAX_RUN.as_secs_f64() {
            return Err(cell.bad(cols.duration, "expected at most 30 days (2592000 s)"));
        }
        let cpu_millis = cell.whole(cols.cpu, u64::MAX)?;
        let memory_bytes = (cell.number(cols.memory)? * BYTES_PER_MIB).round();
        if memory_bytes >= u64::MAX as f64 {
            return Err(cell.bad(cols.memory, "expected a smaller memory request"));
        }
        let gpus = match cols.gpus {
            Some(c) if !fields[c].trim().is_empty() => cell.whole(c, u64::from(u32::MAX))? as u32,
            _ => 0,
        };
        let count = match cols.count {
            Some(c) if !fields[c].trim().is_empty() => {
                let n = cell.whole(c, u64::from(MAX_TASKS_PER_ROW))? as u32;
                if n == 0 {
                    return Err(cell.bad(c, "expected at least 1 task"));
                }
                n
            }
            _ => 1,
        };
        jobs.push(JobArrival {
            submit: SimTime::from_nanos(SimDuration::from_secs_f64(submit_s).as_nanos()),
            run: SimDuration::from_secs_f64(duration_s),
            task: Some(TaskRequests {
                cpu_millis,
                memory_bytes: memory_bytes as u64,
                gpus,
            }),
            tasks: Some(count),
        });
    }
    Ok(jobs)
}

fn at_row(row: usize, message: &str) -> TraceError {
    TraceError {
        row: Some(row),
        column: None,
        message: message.to_owned(),
    }
}

fn columns(header: &[&str]) -> Result<Columns, TraceError> {
    let names: Vec<String> = header.iter().map(|h| h.trim().to_owned()).collect();
    let find = |name: &str| names.iter().position(|h| h == name);
    let required = |name: &str| {
        find(name).ok_or_else(|| {
            let found = match crate::trace::header_names(&names) {
                Some(list) => format!("found {list}"),
                None => crate::trace::NOT_A_CSV_HEADER.to_owned(),
            };
            at_row(
                1,
                &format!(
                    "no column `{name}` in the header: expected `submit_s`, `duration_s`, \
                     `cpu_millis` and `memory_mib` (and optionally `gpus`, `count`); {found}"
                ),
            )
        })
    };
    Ok(Columns {
        submit: required("submit_s")?,
        duration: required("duration_s")?,
        cpu: required("cpu_millis")?,
        memory: required("memory_mib")?,
        gpus: find("gpus"),
        count: find("count"),
        names,
    })
}

/// Splits one line at commas; quotes are refused (see the module documentation).
fn split(line: &str, row: usize) -> Result<Vec<&str>, TraceError> {
    if line.contains('"') {
        return Err(at_row(
            row,
            "expected plain fields: job traces do not use double quotes",
        ));
    }
    Ok(line.split(',').collect())
}

/// The fields of one row, for typed reads that name the row and column on error.
struct Cell<'a> {
    line: usize,
    fields: &'a [&'a str],
    names: &'a [String],
}

impl Cell<'_> {
    fn bad(&self, at: usize, expected: &str) -> TraceError {
        TraceError {
            row: Some(self.line),
            column: Some((at + 1, self.names[at].clone())),
            message: format!(
                "{expected}, found \"{}\"",
                crate::trace::excerpt(self.fields[at].trim())
            ),
        }
    }

    /// A finite number ≥ 0.
    fn number(&self, at: usize) -> Result<f64, TraceError> {
        let v: f64 = self.fields[at]
            .trim()
            .parse()
            .map_err(|_| self.bad(at, "expected a number"))?;
        if !v.is_finite() || v < 0.0 {
            return Err(self.bad(at, "expected a finite number >= 0"));
        }
        Ok(v)
    }

    /// A whole number in `0..=max`.
    fn whole(&self, at: usize, max: u64) -> Result<u64, TraceError> {
        let v: u64 = self.fields[at]
            .trim()
            .parse()
            .map_err(|_| self.bad(at, "expected a whole number >= 0"))?;
        if v > max {
            return Err(self.bad(at, &format!("expected at most {max}")));
        }
        Ok(v)
    }
}

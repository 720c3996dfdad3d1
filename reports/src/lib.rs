//! The output files of clustersim: recorder tables as Parquet and CSV, the summary as JSON, and
//! the report a design review looks at: charts (SVG and PNG) and a self-contained
//! `report.html`. Also the gates (`p99_latency_ms<100`) that judge a summary.
//!
//! `reports` never runs a simulation: it reads what the recorder produced (in memory, or from a
//! Parquet file written earlier), so a report can be re-rendered from saved outputs.
//!
//! Two promises shape every function here:
//! - **Same inputs ⇒ byte-identical files.** Every option that decides the bytes (compression,
//!   row-group size, page size, statistics, float formatting, quoting, threads, chart size and
//!   font) is set explicitly rather than left to a default that could move, and nothing from
//!   the host (wall clock, host name, user, installed fonts) is written.
//! - **No half files.** Everything goes through [`write_atomically`]: a crash or an error leaves
//!   either the previous file or none under the final name, never a truncated one.

mod atomic;
mod chart;
mod check;
pub mod compare;
mod decisions;
mod error;
mod escape;
mod format;
mod gate;
mod html;
mod json;
mod metric;
mod report;
mod summary;
pub mod sweep;
mod table_io;
mod trace_parquet;

#[cfg(test)]
mod test_dir;

pub use atomic::write_atomically;
pub use check::{Check, Op, verdict};
pub use error::{Access, ReportError};
pub use format::{check_line, grouped};
pub use gate::{Gate, GateError, parse as parse_gate};
pub use json::write_json;
pub use metric::Metric;
pub use report::{Tables, write_report};
pub use summary::{
    BatchSummary, BudgetSummary, CapacityTypeSummary, FailbackSummary, FailureRecovery,
    ForecastSummary, NamespaceSummary, PackingSummary, PoolSummary, Quantiles, QueueSummary,
    Recovery, Requests, RtoPhasesSummary, SCHEMA_VERSION, ServiceSummary, Summary, VpaSummary,
    WaveSummary, read_summary,
};
pub use table_io::{read_table, write_table};
pub use trace_parquet::read_trace_columns;

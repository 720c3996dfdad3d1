//! The output files of clustersim: recorder tables as Parquet and CSV, summaries as JSON.
//!
//! `reports` never runs a simulation: it reads what the recorder produced (in memory, or from a
//! Parquet file written earlier), so a report can be re-rendered from saved outputs.
//!
//! Two promises shape every function here:
//! - **Same inputs ⇒ byte-identical files.** Every option that decides the bytes (compression,
//!   row-group size, page size, statistics, float formatting, quoting, threads) is set
//!   explicitly rather than left to a default that could move, and nothing from the host (wall
//!   clock, host name, user) is written.
//! - **No half files.** Everything goes through [`write_atomically`]: a crash or an error leaves
//!   either the previous file or none under the final name, never a truncated one.

mod atomic;
mod error;
mod json;
mod table_io;

#[cfg(test)]
mod test_dir;

pub use atomic::write_atomically;
pub use error::{Access, ReportError};
pub use json::write_json;
pub use table_io::{read_table, write_table};

//! The one error type of `reports`: every failure names the file it concerns, because a run
//! writes several and "permission denied" alone does not say which.

use std::fmt;
use std::path::PathBuf;

use polars::prelude::PolarsError;

/// Whether a file was being read or written when an error happened; it picks the verb of the
/// message (`cannot read …` / `cannot write …`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Access::Read => "read",
            Access::Write => "write",
        })
    }
}

/// Why an output could not be written or read back.
#[derive(thiserror::Error, Debug)]
pub enum ReportError {
    /// The file system refused: creating, writing, syncing or renaming an output, or opening an
    /// input. Also carries an encoder's failure in the middle of a write, which reaches
    /// [`crate::write_atomically`] as an `io::Error` like any other.
    #[error("cannot {access} {}: {source}", path.display())]
    Io {
        access: Access,
        path: PathBuf,
        source: std::io::Error,
    },
    /// polars could not build a frame from a table (duplicate column names) or decode a Parquet
    /// file.
    #[error("cannot {access} {}: {source}", path.display())]
    Polars {
        access: Access,
        path: PathBuf,
        source: PolarsError,
    },
    /// Writing: the value cannot be represented as JSON (a map whose keys are not strings, a
    /// failing `Serialize` impl). Reading: the file is not JSON of the expected layout.
    #[error("cannot {access} {}: {source}", path.display())]
    Json {
        access: Access,
        path: PathBuf,
        source: serde_json::Error,
    },
    /// A saved `summary.json` of another layout version: re-run the experiment to get one this
    /// version of clustersim can render.
    #[error(
        "cannot read {}: it has schema_version {found}, expected {expected}; re-run the experiment",
        path.display()
    )]
    SchemaVersion {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    /// The time series lacks a column a chart plots, or holds it with another type: it was not
    /// written by this version of clustersim.
    #[error("the time series has no {kind} column `{column}`, which the charts plot")]
    MissingColumn { column: String, kind: &'static str },
    /// plotters failed to draw a chart (the embedded font did not load, say).
    #[error("cannot draw the chart `{chart}`: {message}")]
    Chart { chart: String, message: String },
    /// A Parquet file holds a column that a recorder `Table` cannot: a type other than u64, f64
    /// or text, or null values. Such a file was not written by [`crate::write_table`].
    #[error("cannot read {}: column `{column}` {problem}", path.display())]
    Unsupported {
        path: PathBuf,
        column: String,
        problem: String,
    },
}

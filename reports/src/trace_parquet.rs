//! Trace files in Parquet: the two columns a `Trace` shape names, read with polars and handed
//! to `workloads::trace` as rows, so a Parquet trace obeys the same contract and checks as a
//! CSV one (see `workloads::trace`). This is the one place `reports` reads an input: polars
//! lives here only (DESIGN.md), and `workloads` stays quick to build.
//!
//! Both columns must be numeric (any integer or float type); a null is refused with its row,
//! counted from 1 as a table viewer shows them.

use std::fs::File;
use std::path::Path;

use polars::prelude::DataType;
use workloads::trace::{Columns, MAX_TRACE_BYTES, Row, TraceError};

fn whole(message: String) -> TraceError {
    TraceError {
        row: None,
        column: None,
        message,
    }
}

/// Reads `time_column` and `value_column` of the Parquet file at `path`.
pub fn read_trace_columns(
    path: &Path,
    time_column: &str,
    value_column: &str,
) -> Result<Columns, TraceError> {
    let file =
        File::open(path).map_err(|e| whole(format!("cannot open `{}`: {e}", path.display())))?;
    // Parquet is read from its end (the footer), so the reader needs a regular file of known
    // size: a device (`/dev/zero`) or a pipe is refused before polars reads a byte of it.
    let meta = file
        .metadata()
        .map_err(|e| whole(format!("cannot open `{}`: {e}", path.display())))?;
    if !meta.is_file() {
        return Err(whole(
            "not a regular file: expected a Parquet file".to_owned(),
        ));
    }
    if meta.len() > MAX_TRACE_BYTES {
        return Err(whole(format!(
            "the file has {} bytes, more than the limit of {MAX_TRACE_BYTES}",
            meta.len()
        )));
    }
    let frame = crate::table_io::read_parquet(file)
        .map_err(|e| whole(format!("not a readable Parquet file: {e}")))?;
    let names: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let column = |name: &str| -> Result<(usize, Vec<Option<f64>>), TraceError> {
        let Some(at) = names.iter().position(|n| n == name) else {
            let list = workloads::trace::header_names(&names).unwrap_or_else(|| {
                names
                    .iter()
                    .map(|n| format!("`{}`", workloads::trace::excerpt(n)))
                    .collect()
            });
            return Err(whole(format!("no column `{name}`: expected one of {list}")));
        };
        let series = frame.columns()[at].as_materialized_series();
        if !series.dtype().is_primitive_numeric() {
            return Err(TraceError {
                row: None,
                column: Some((at + 1, name.to_owned())),
                message: format!("expected a numeric column, found {}", series.dtype()),
            });
        }
        let floats = series
            .cast(&DataType::Float64)
            .map_err(|e| whole(format!("column `{name}`: {e}")))?;
        let values = floats
            .f64()
            .map_err(|e| whole(format!("column `{name}`: {e}")))?
            .iter()
            .collect();
        Ok((at + 1, values))
    };
    let (time_at, times) = column(time_column)?;
    let (value_at, values) = column(value_column)?;
    let mut rows = Vec::with_capacity(times.len());
    for (i, (t, v)) in times.into_iter().zip(values).enumerate() {
        let null = |at: usize, name: &str| TraceError {
            row: Some(i + 1),
            column: Some((at, name.to_owned())),
            message: "expected a number, found null".into(),
        };
        rows.push(Row {
            line: i + 1,
            time: t.ok_or_else(|| null(time_at, time_column))?,
            value: v.ok_or_else(|| null(value_at, value_column))?,
        });
    }
    Ok(Columns {
        rows,
        time_column: time_at,
        value_column: value_at,
    })
}

#[cfg(test)]
mod tests {
    use polars::prelude::{DataFrame, IntoColumn, NamedFrom, ParquetWriter, PlSmallStr, Series};

    use super::*;
    use crate::test_dir::TestDir;

    fn write(path: &Path, columns: Vec<Series>) {
        let height = columns[0].len();
        let mut frame = DataFrame::new(
            height,
            columns.into_iter().map(|s| s.into_column()).collect(),
        )
        .unwrap();
        ParquetWriter::new(File::create(path).unwrap())
            .finish(&mut frame)
            .unwrap();
    }

    #[test]
    fn reads_integer_and_float_columns_as_rows() {
        let dir = TestDir::new("trace_parquet_ok");
        let path = dir.path().join("t.parquet");
        write(
            &path,
            vec![
                Series::new(PlSmallStr::from_static("minute"), &[0i64, 1, 2]),
                Series::new(PlSmallStr::from_static("requests"), &[60.0f64, 120.0, 30.5]),
            ],
        );
        let c = read_trace_columns(&path, "minute", "requests").unwrap();
        assert_eq!((c.time_column, c.value_column), (1, 2));
        let sum: f64 = c.rows.iter().map(|r| r.value).sum();
        assert_eq!(sum, 210.5);
        assert_eq!(c.rows[2].line, 3);
        assert_eq!(c.rows[2].time, 2.0);
    }

    #[test]
    fn a_null_or_a_text_column_is_named_with_its_row() {
        let dir = TestDir::new("trace_parquet_bad");
        let path = dir.path().join("t.parquet");
        write(
            &path,
            vec![
                Series::new(PlSmallStr::from_static("t"), &[Some(0i64), Some(1), None]),
                Series::new(PlSmallStr::from_static("v"), &["a", "b", "c"]),
            ],
        );
        let e = read_trace_columns(&path, "t", "x").unwrap_err();
        assert_eq!(e.message, "no column `x`: expected one of `t`, `v`");
        let e = read_trace_columns(&path, "t", "v").unwrap_err();
        assert_eq!(e.column, Some((2, "v".to_owned())));
        let e = read_trace_columns(&path, "t", "t").unwrap_err();
        assert_eq!(
            e.to_string(),
            "row 3, column 1 (`t`): expected a number, found null"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_device_is_refused_before_reading() {
        let e = read_trace_columns(Path::new("/dev/zero"), "t", "v").unwrap_err();
        assert_eq!(e.message, "not a regular file: expected a Parquet file");
    }
}

//! Recorder tables as Parquet and CSV files, and Parquet files back into tables.
//!
//! Parquet is the file to compute on (typed, compressed, read back by `clustersim report`); CSV
//! is the file to look at. Both hold the same frame: u64 columns as `UInt64`, f64 as `Float64`,
//! text as `String`, in schema order.
//!
//! Byte identity: every writer option that shapes the bytes is set here rather than left to a
//! polars default, and both writers encode on the calling thread, so that the bytes do not
//! depend on `POLARS_MAX_THREADS` by construction, not merely by polars' care to keep parallel
//! output in order. The tables of one run are small enough (hundreds of thousands of rows) that
//! serial encoding costs little. No test here varies `POLARS_MAX_THREADS`: polars reads it once,
//! when its thread pool starts, so only separate processes can compare thread counts; the
//! end-to-end tests of the binary do.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use polars::prelude::{
    CsvWriter, DataFrame, DataType, Float64Chunked, IntoColumn, NewChunkedArray,
    ParquetCompression, ParquetReader, ParquetWriter, PlSmallStr, PolarsError, PolarsResult,
    QuoteStyle, SerReader, SerWriter, StatisticsOptions, StringChunked, UInt64Chunked,
};
use sim::recorder::{Cell, Kind, Table, Values};

use crate::atomic::write_atomically;
use crate::error::{Access, ReportError};

/// Target rows per Parquet row group. polars cuts a frame of `h` rows into `max(1, h / N)`
/// row groups of nearly equal size (so each holds between `N` and `2N - 1` rows once `h ≥ N`):
/// a function of the row count alone, so the layout depends on the table alone. 64 Ki rows
/// keeps a row group of a wide table within a few MiB while letting readers skip the row groups
/// of a long run by their min/max statistics.
const PARQUET_ROW_GROUP_ROWS: usize = 64 * 1024;

/// Maximum bytes of a Parquet data page: polars' own default (1 MiB), pinned so that a change of
/// default cannot change our bytes.
const PARQUET_DATA_PAGE_BYTES: usize = 1024 * 1024;

/// Writes `table` as `dir/<stem>.parquet` and `dir/<stem>.csv`, each atomically.
///
/// Parquet: zstd at libzstd's default level (polars' `Zstd(None)` passes level 0, which libzstd
/// reads as `ZSTD_CLEVEL_DEFAULT`, 3; polars does not re-export the type that would name a level
/// explicitly), row groups of about 64 Ki rows, min/max/null-count statistics
/// (pure functions of the values) and no distinct counts. The footer says "Polars" without a
/// version and carries the Arrow schema; nothing from the host or the clock.
///
/// CSV: header line, `,` separator, `\n` line ends, fields quoted only when they must be
/// (a separator, quote or line end inside; quotes doubled), no BOM. Floats are written in their
/// shortest form that parses back to the same `f64` (polars' default, pinned here: no fixed
/// precision, no forced scientific notation) by the same algorithm `serde_json` uses, so the
/// CSV and the JSON summary spell a value alike: `0.1`, `1.0`, `0.00001`, `1e-7`, `1e+16`,
/// `-0.0`; the non-finite values, which JSON cannot hold, as `NaN`, `inf`, `-inf`.
///
/// The Parquet file is written first; if the CSV then fails, the Parquet file stays (each file is
/// atomic, the pair is not). `stem` is joined as is: it names a file, not a path.
pub fn write_table(table: &Table, dir: &Path, stem: &str) -> Result<(), ReportError> {
    let parquet = dir.join(format!("{stem}.parquet"));
    let csv = dir.join(format!("{stem}.csv"));
    let mut frame = to_frame(table).map_err(|source| ReportError::Polars {
        access: Access::Write,
        path: parquet.clone(),
        source,
    })?;
    write_atomically(&parquet, |w| {
        parquet_writer(w)
            .finish(&mut frame)
            .map(drop)
            .map_err(io::Error::other)
    })?;
    write_atomically(&csv, |w| {
        csv_writer(w).finish(&mut frame).map_err(io::Error::other)
    })
}

/// Reads a Parquet file written by [`write_table`] back into a [`Table`] with the same column
/// names, order, kinds and values.
///
/// Cost: the file is decoded into a polars frame, each column is copied out of it (text as
/// borrowed `&str`), and the table is then filled row by row through `Table::push_row`, which
/// copies every value once more and allocates one `String` per text cell: O(rows × columns)
/// with a constant of a few copies. That is milliseconds for the output of one run; `sim` has
/// no column-wise constructor, and going through `push_row` keeps its schema checks.
///
/// Any other Parquet file whose columns are u64, f64 or text without nulls is read too; other
/// types and nulls are [`ReportError::Unsupported`].
pub fn read_table(path: &Path) -> Result<Table, ReportError> {
    let file = File::open(path).map_err(|source| ReportError::Io {
        access: Access::Read,
        path: path.to_owned(),
        source,
    })?;
    let frame = read_parquet(file).map_err(|source| ReportError::Polars {
        access: Access::Read,
        path: path.to_owned(),
        source,
    })?;
    from_frame(&frame).map_err(|(column, problem)| ReportError::Unsupported {
        path: path.to_owned(),
        column,
        problem,
    })
}

/// `ParquetReader::finish`, with a panic of the reader turned into an error: polars 0.55
/// panics on some corrupt footers and pages (found by `tests/fuzz_inputs.rs`, which flips bytes
/// of a valid file), and a corrupt file is bad input (exit 2), not a crash. The panic's own
/// message still reaches stderr through the default hook, before the error.
pub(crate) fn read_parquet(file: File) -> PolarsResult<DataFrame> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        ParquetReader::new(file).finish()
    }))
    .unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("no message");
        Err(PolarsError::ComputeError(
            format!("corrupt Parquet data (the reader failed: {what})").into(),
        ))
    })
}

/// The frame both files are written from. Fails on duplicate column names, which a `Table`
/// allows and a file with named columns must not.
fn to_frame(table: &Table) -> PolarsResult<DataFrame> {
    let columns = table
        .columns()
        .iter()
        .map(|column| {
            let name = PlSmallStr::from_str(&column.name);
            match &column.values {
                Values::U64(v) => UInt64Chunked::from_slice(name, v).into_column(),
                Values::F64(v) => Float64Chunked::from_slice(name, v).into_column(),
                Values::Text(v) => {
                    StringChunked::from_iter_values(name, v.iter().map(String::as_str))
                        .into_column()
                }
            }
        })
        .collect();
    DataFrame::new(table.rows(), columns)
}

fn parquet_writer<W: Write>(w: W) -> ParquetWriter<W> {
    ParquetWriter::new(w)
        .with_compression(ParquetCompression::Zstd(None))
        .with_statistics(StatisticsOptions {
            min_value: true,
            max_value: true,
            distinct_count: false,
            null_count: true,
            // polars' default truncation of long string min/max values: deterministic.
            binary_statistics_truncate_length: None,
        })
        .with_row_group_size(Some(PARQUET_ROW_GROUP_ROWS))
        .with_data_page_size(Some(PARQUET_DATA_PAGE_BYTES))
        .set_parallel(false)
}

fn csv_writer<W: Write>(w: W) -> CsvWriter<W> {
    CsvWriter::new(w)
        .include_header(true)
        .include_bom(false)
        .with_separator(b',')
        .with_quote_char(b'"')
        .with_quote_style(QuoteStyle::Necessary)
        .with_line_terminator("\n".into())
        .with_decimal_comma(false)
        // Neither a precision nor a notation: polars then writes each float in its shortest
        // round-trip form.
        .with_float_precision(None)
        .with_float_scientific(None)
        .n_threads(1)
}

/// One column of a frame, ready to be read cell by cell.
enum Source<'a> {
    U64(Vec<u64>),
    F64(Vec<f64>),
    Text(Vec<&'a str>),
}

impl<'a> Source<'a> {
    fn cell(&self, row: usize) -> Cell<'a> {
        match self {
            Source::U64(v) => Cell::U64(v[row]),
            Source::F64(v) => Cell::F64(v[row]),
            Source::Text(v) => Cell::Text(v[row]),
        }
    }
}

/// The table of a frame, or the name of the first column that cannot be a table column and why.
fn from_frame(frame: &DataFrame) -> Result<Table, (String, String)> {
    let mut schema = Vec::with_capacity(frame.width());
    let mut sources = Vec::with_capacity(frame.width());
    for column in frame.columns() {
        let name = column.name().as_str();
        let unsupported = |problem: String| (name.to_owned(), problem);
        if column.null_count() > 0 {
            return Err(unsupported(format!(
                "has {} null values; a table has none",
                column.null_count()
            )));
        }
        let series = column.as_materialized_series();
        // The casts cannot fail: each is guarded by the dtype it casts to. The iterators skip the
        // validity masks, which the null check above made moot.
        let (kind, source) = match column.dtype() {
            DataType::UInt64 => (
                Kind::U64,
                Source::U64(series.u64().unwrap().into_no_null_iter().collect()),
            ),
            DataType::Float64 => (
                Kind::F64,
                Source::F64(series.f64().unwrap().into_no_null_iter().collect()),
            ),
            DataType::String => (
                Kind::Text,
                Source::Text(
                    series
                        .str()
                        .unwrap()
                        .downcast_iter()
                        .flat_map(|chunk| chunk.values_iter())
                        .collect(),
                ),
            ),
            other => {
                return Err(unsupported(format!(
                    "has type {other}; a table holds u64, f64 and str"
                )));
            }
        };
        schema.push((name, kind));
        sources.push(source);
    }
    let mut table = Table::new(&schema);
    let mut row = Vec::with_capacity(sources.len());
    for i in 0..frame.height() {
        row.clear();
        row.extend(sources.iter().map(|source| source.cell(i)));
        table.push_row(&row);
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use polars::prelude::{Int32Chunked, IntoSeries, NamedFrom, Series};

    use super::*;
    use crate::test_dir::TestDir;

    /// Column names in order, with u64 and text values compared by `==` and floats by their
    /// bits, so that `-0.0` and `NaN` count.
    fn assert_same(actual: &Table, expected: &Table) {
        let names = |t: &Table| {
            t.columns()
                .iter()
                .map(|c| c.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(actual), names(expected));
        assert_eq!(actual.rows(), expected.rows());
        for (a, e) in actual.columns().iter().zip(expected.columns()) {
            match (&a.values, &e.values) {
                (Values::F64(x), Values::F64(y)) => {
                    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(x), bits(y), "column {}", e.name);
                }
                (x, y) => assert_eq!(x, y, "column {}", e.name),
            }
        }
    }

    fn three_kinds() -> Table {
        let mut t = Table::new(&[
            ("time_s", Kind::U64),
            ("latency_s", Kind::F64),
            ("service", Kind::Text),
        ]);
        let rows: [(u64, f64, &str); 8] = [
            (0, 0.1, "api"),
            (60, 1e-7, "api, v1"),
            (120, -0.0, "say \"hi\""),
            (180, f64::MAX, ""),
            (240, f64::MIN_POSITIVE, "multi\nline"),
            (300, 5e-324, "é ✓"),
            (360, f64::INFINITY, "  padded  "),
            (u64::MAX, f64::NAN, "last"),
        ];
        for (time, latency, service) in rows {
            t.push_row(&[Cell::U64(time), Cell::F64(latency), Cell::Text(service)]);
        }
        t
    }

    #[test]
    fn all_three_kinds_round_trip_through_parquet() {
        let dir = TestDir::new("table_round_trip");
        let table = three_kinds();
        write_table(&table, dir.path(), "timeseries").unwrap();
        assert_eq!(dir.file_names(), ["timeseries.csv", "timeseries.parquet"]);
        let read = read_table(&dir.path().join("timeseries.parquet")).unwrap();
        assert_same(&read, &table);
    }

    #[test]
    fn column_order_is_the_schema_order_not_alphabetical() {
        let dir = TestDir::new("table_column_order");
        let mut table = Table::new(&[("z", Kind::Text), ("a", Kind::U64), ("m", Kind::F64)]);
        table.push_row(&[Cell::Text("x"), Cell::U64(1), Cell::F64(2.5)]);
        write_table(&table, dir.path(), "t").unwrap();
        assert_eq!(read_table(&dir.path().join("t.parquet")).unwrap(), table);
        let csv = fs::read_to_string(dir.path().join("t.csv")).unwrap();
        assert_eq!(csv, "z,a,m\nx,1,2.5\n");
    }

    #[test]
    fn an_empty_table_keeps_its_schema() {
        let dir = TestDir::new("table_empty");
        let table = Table::new(&[
            ("time_s", Kind::U64),
            ("rps", Kind::F64),
            ("region", Kind::Text),
        ]);
        write_table(&table, dir.path(), "empty").unwrap();
        assert_eq!(
            read_table(&dir.path().join("empty.parquet")).unwrap(),
            table
        );
        let csv = fs::read_to_string(dir.path().join("empty.csv")).unwrap();
        assert_eq!(csv, "time_s,rps,region\n");
    }

    #[test]
    fn a_long_table_is_cut_into_row_groups_by_its_length() {
        let dir = TestDir::new("table_row_groups");
        let mut table = Table::new(&[
            ("i", Kind::U64),
            ("half", Kind::F64),
            ("parity", Kind::Text),
        ]);
        let rows = 2 * PARQUET_ROW_GROUP_ROWS + 7;
        for i in 0..rows as u64 {
            let parity = if i % 2 == 0 { "even" } else { "odd" };
            table.push_row(&[Cell::U64(i), Cell::F64(i as f64 / 2.0), Cell::Text(parity)]);
        }
        write_table(&table, dir.path(), "long").unwrap();
        let path = dir.path().join("long.parquet");
        let mut reader = ParquetReader::new(File::open(&path).unwrap());
        let metadata = reader.get_metadata().unwrap();
        let group_rows: Vec<usize> = metadata.row_groups.iter().map(|g| g.num_rows()).collect();
        // 2N + 7 rows make 2 groups, not N, N and 7: polars splits evenly.
        assert_eq!(
            group_rows,
            [PARQUET_ROW_GROUP_ROWS + 3, PARQUET_ROW_GROUP_ROWS + 4]
        );
        assert_eq!(read_table(&path).unwrap(), table);
    }

    #[test]
    fn csv_is_quoted_where_needed_and_floats_are_shortest_round_trip() {
        let dir = TestDir::new("table_csv_text");
        let mut table = Table::new(&[
            ("time_s", Kind::U64),
            ("latency_s", Kind::F64),
            ("service", Kind::Text),
        ]);
        table.push_row(&[Cell::U64(0), Cell::F64(0.1), Cell::Text("api, v1")]);
        table.push_row(&[
            Cell::U64(u64::MAX),
            Cell::F64(1e-7),
            Cell::Text("say \"hi\""),
        ]);
        write_table(&table, dir.path(), "t").unwrap();
        let csv = fs::read_to_string(dir.path().join("t.csv")).unwrap();
        assert_eq!(
            csv,
            "time_s,latency_s,service\n\
             0,0.1,\"api, v1\"\n\
             18446744073709551615,1e-7,\"say \"\"hi\"\"\"\n"
        );
    }

    #[test]
    fn csv_floats_parse_back_to_the_same_bits() {
        let dir = TestDir::new("table_csv_floats");
        let values = [
            0.1,
            0.2 + 0.1,
            1.0,
            -0.0,
            1.0 / 3.0,
            1e-7,
            1e-5,
            123_456.789,
            1e15,
            1e16,
            2f64.powi(53) + 2.0,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            -2.5e-300,
        ];
        let mut table = Table::new(&[("x", Kind::F64)]);
        for x in values {
            table.push_row(&[Cell::F64(x)]);
        }
        write_table(&table, dir.path(), "floats").unwrap();
        let csv = fs::read_to_string(dir.path().join("floats.csv")).unwrap();
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("x"));
        let written: Vec<&str> = lines.collect();
        let parsed: Vec<u64> = written
            .iter()
            .map(|s| s.parse::<f64>().unwrap().to_bits())
            .collect();
        let expected: Vec<u64> = values.iter().map(|x| x.to_bits()).collect();
        assert_eq!(parsed, expected, "{written:?}");
        // Shortest digits, never 17 significant ones by default; positional for decimal
        // exponents -5..=15, scientific outside. Pinned, so an upgrade that changes the spelling
        // (and so the bytes of every CSV) is noticed here.
        assert_eq!(
            written,
            [
                "0.1",
                "0.30000000000000004",
                "1.0",
                "-0.0",
                "0.3333333333333333",
                "1e-7",
                "0.00001",
                "123456.789",
                "1000000000000000.0",
                "1e+16",
                "9007199254740994.0",
                "1.7976931348623157e+308",
                "2.2250738585072014e-308",
                "5e-324",
                "-2.5e-300",
            ]
        );
    }

    #[test]
    fn the_same_table_gives_the_same_bytes() {
        let first = TestDir::new("table_bytes_first");
        let second = TestDir::new("table_bytes_second");
        let table = three_kinds();
        write_table(&table, first.path(), "timeseries").unwrap();
        write_table(&table, second.path(), "timeseries").unwrap();
        for name in ["timeseries.parquet", "timeseries.csv"] {
            let a = fs::read(first.path().join(name)).unwrap();
            let b = fs::read(second.path().join(name)).unwrap();
            assert!(!a.is_empty());
            assert!(a == b, "{name} differs between two writes");
        }
    }

    #[test]
    fn duplicate_column_names_write_nothing() {
        let dir = TestDir::new("table_duplicate_names");
        let mut table = Table::new(&[("x", Kind::U64), ("x", Kind::F64)]);
        table.push_row(&[Cell::U64(1), Cell::F64(1.0)]);
        let err = write_table(&table, dir.path(), "t").unwrap_err();
        assert!(
            matches!(
                err,
                ReportError::Polars {
                    access: Access::Write,
                    ..
                }
            ),
            "{err:?}"
        );
        let parquet = dir.path().join("t.parquet");
        assert!(
            err.to_string()
                .starts_with(&format!("cannot write {}: ", parquet.display())),
            "{err}"
        );
        assert_eq!(dir.file_names(), Vec::<String>::new());
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let dir = TestDir::new("table_missing");
        let path = dir.path().join("absent.parquet");
        let err = read_table(&path).unwrap_err();
        assert!(
            matches!(
                err,
                ReportError::Io {
                    access: Access::Read,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .starts_with(&format!("cannot read {}: ", path.display())),
            "{err}"
        );
    }

    #[test]
    fn a_file_that_is_not_parquet_is_an_error_naming_it() {
        let dir = TestDir::new("table_not_parquet");
        let path = dir.path().join("timeseries.parquet");
        fs::write(&path, "time_s\n0\n").unwrap();
        let err = read_table(&path).unwrap_err();
        assert!(
            matches!(
                err,
                ReportError::Polars {
                    access: Access::Read,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .starts_with(&format!("cannot read {}: ", path.display())),
            "{err}"
        );
    }

    /// A Parquet file holding `column`, written by polars directly as another tool would.
    fn parquet_with(dir: &TestDir, column: Series) -> std::path::PathBuf {
        let path = dir.path().join("foreign.parquet");
        let mut frame = DataFrame::new(column.len(), vec![column.into_column()]).unwrap();
        ParquetWriter::new(File::create(&path).unwrap())
            .finish(&mut frame)
            .unwrap();
        path
    }

    #[test]
    fn other_column_types_are_refused_by_name() {
        let dir = TestDir::new("table_other_type");
        let column = Int32Chunked::from_slice("replicas".into(), &[1, 2]).into_series();
        let path = parquet_with(&dir, column);
        let err = read_table(&path).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "cannot read {}: column `replicas` has type i32; a table holds u64, f64 and str",
                path.display()
            )
        );
    }

    #[test]
    fn null_values_are_refused_by_name() {
        let dir = TestDir::new("table_nulls");
        let column = Series::new("rps".into(), &[Some(1.5), None, None]);
        let path = parquet_with(&dir, column);
        let err = read_table(&path).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "cannot read {}: column `rps` has 2 null values; a table has none",
                path.display()
            )
        );
    }
}

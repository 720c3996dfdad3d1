//! A table as the charts see it: rows grouped into one series per (service, region) for the
//! time series, or per (pool, region) for the pools table, read column by column by name.
//!
//! `reports` does not depend on `models`, so the columns are named here as strings; the names
//! are the output contract documented in the README (`models::run::TIMESERIES_SCHEMA`,
//! `POOLS_SCHEMA`, `EVENTS_SCHEMA`). A column that is missing or of another type is a
//! [`ReportError::MissingColumn`].

use std::collections::BTreeMap;

use sim::recorder::{Table, Values};

use crate::error::ReportError;

/// At most this many points per line (TigerStyle: a limit on everything). A 24-hour run at the
/// default 1-minute interval has 1 441; a longer or finer one is thinned by keeping the lowest
/// and the highest value of each bucket, so spikes stay visible.
pub const MAX_POINTS_PER_LINE: usize = 2_000;

/// One series: a (service, region) pair, the unit that keeps one colour across every chart of
/// the time series, or a (pool, region) pair in the charts of the pools table.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesKey {
    /// The service or the pool: the legend's first line.
    pub name: String,
    /// The region (and, for a pool, its capacity type): the legend's second line.
    pub detail: String,
}

/// A table, grouped by series.
pub struct Timeseries<'a> {
    table: &'a Table,
    /// `time_s` of each row.
    time_s: &'a [u64],
    /// In order of first appearance, which is the run's order of services and regions.
    pub keys: Vec<SeriesKey>,
    /// Row indices of each key, in time order.
    rows: Vec<Vec<usize>>,
}

impl<'a> Timeseries<'a> {
    /// The time series, one series per (service, region).
    pub fn new(table: &'a Table) -> Result<Self, ReportError> {
        Self::grouped(table, "service")
    }

    /// `table` grouped by (`name`, `region`), in order of first appearance.
    pub fn grouped(table: &'a Table, name: &str) -> Result<Self, ReportError> {
        let time_s = u64_column(table, "time_s")?;
        let services = text_column(table, name)?;
        let regions = text_column(table, "region")?;
        let mut index = BTreeMap::new();
        let mut keys = Vec::new();
        let mut rows: Vec<Vec<usize>> = Vec::new();
        for (row, (service, region)) in services.iter().zip(regions).enumerate() {
            let i = *index.entry((service, region)).or_insert_with(|| {
                keys.push(SeriesKey {
                    name: service.clone(),
                    detail: region.clone(),
                });
                rows.push(Vec::new());
                keys.len() - 1
            });
            rows[i].push(row);
        }
        Ok(Timeseries {
            table,
            time_s,
            keys,
            rows,
        })
    }

    /// (hours, value) of `column` for series `i`, thinned to [`MAX_POINTS_PER_LINE`].
    pub fn points(&self, i: usize, column: &str) -> Result<Vec<(f64, f64)>, ReportError> {
        Ok(line(self.samples(i, column)?))
    }

    /// (`time_s`, value) of `column` for series `i`, every row: for sums across series, which
    /// meet at equal `time_s`.
    pub fn samples(&self, i: usize, column: &str) -> Result<Vec<(u64, f64)>, ReportError> {
        let values = numeric_column(self.table, column)?;
        Ok(self.rows[i]
            .iter()
            .map(|&r| (self.time_s[r], values.get(r)))
            .collect())
    }

    /// The text of `column` in series `i`'s first row (a property of the series, such as a
    /// pool's capacity type); empty for a series without rows.
    pub fn first_text(&self, i: usize, column: &str) -> Result<&'a str, ReportError> {
        let values = text_column(self.table, column)?;
        Ok(self.rows[i].first().map_or("", |&r| values[r].as_str()))
    }

    /// (hours, per-second rate) of a column that counts over the interval ending at each row,
    /// such as `dropped_requests`; the first row, which closes no interval, has no point.
    pub fn rate_points(&self, i: usize, column: &str) -> Result<Vec<(f64, f64)>, ReportError> {
        Ok(rates(&self.samples(i, column)?))
    }
}

/// (hours, per-second rate) of samples that count over the interval ending at each one; the
/// first sample, which closes no interval, has no point. Thinned to [`MAX_POINTS_PER_LINE`].
pub fn rates(samples: &[(u64, f64)]) -> Vec<(f64, f64)> {
    let points = samples
        .windows(2)
        .filter_map(|w| {
            let ((t0, _), (t1, v)) = (w[0], w[1]);
            (t1 > t0).then(|| (hours(t1), v / (t1 - t0) as f64))
        })
        .collect();
    thin(points, MAX_POINTS_PER_LINE)
}

/// Samples as a line: (hours, value), thinned to [`MAX_POINTS_PER_LINE`].
pub fn line(samples: Vec<(u64, f64)>) -> Vec<(f64, f64)> {
    let points = samples.into_iter().map(|(t, v)| (hours(t), v)).collect();
    thin(points, MAX_POINTS_PER_LINE)
}

pub fn hours(seconds: u64) -> f64 {
    seconds as f64 / 3600.0
}

/// A column read as numbers, whichever numeric type it was stored as.
enum Numeric<'a> {
    U64(&'a [u64]),
    F64(&'a [f64]),
}

impl Numeric<'_> {
    fn get(&self, row: usize) -> f64 {
        match self {
            Numeric::U64(v) => v[row] as f64,
            Numeric::F64(v) => v[row],
        }
    }
}

fn missing(column: &str, kind: &'static str) -> ReportError {
    ReportError::MissingColumn {
        column: column.to_owned(),
        kind,
    }
}

fn numeric_column<'a>(table: &'a Table, column: &str) -> Result<Numeric<'a>, ReportError> {
    match table.column(column) {
        Some(Values::U64(v)) => Ok(Numeric::U64(v)),
        Some(Values::F64(v)) => Ok(Numeric::F64(v)),
        _ => Err(missing(column, "numeric")),
    }
}

pub fn f64_column<'a>(table: &'a Table, column: &str) -> Result<&'a [f64], ReportError> {
    match table.column(column) {
        Some(Values::F64(v)) => Ok(v),
        _ => Err(missing(column, "f64")),
    }
}

pub fn u64_column<'a>(table: &'a Table, column: &str) -> Result<&'a [u64], ReportError> {
    match table.column(column) {
        Some(Values::U64(v)) => Ok(v),
        _ => Err(missing(column, "u64")),
    }
}

pub fn text_column<'a>(table: &'a Table, column: &str) -> Result<&'a [String], ReportError> {
    match table.column(column) {
        Some(Values::Text(v)) => Ok(v),
        _ => Err(missing(column, "text")),
    }
}

/// At most `max` points (`max` ≥ 2): the points split into `max / 2` buckets of consecutive
/// points, and each bucket keeps its lowest and highest point, in time order. The drawn
/// envelope is then that of the full line.
fn thin(points: Vec<(f64, f64)>, max: usize) -> Vec<(f64, f64)> {
    if points.len() <= max {
        return points;
    }
    let buckets = max / 2;
    let size = points.len().div_ceil(buckets);
    points
        .chunks(size)
        .flat_map(|bucket| {
            let by_value = |a: &&(f64, f64), b: &&(f64, f64)| a.1.total_cmp(&b.1);
            let lo = bucket.iter().min_by(by_value);
            let hi = bucket.iter().max_by(by_value);
            match (lo, hi) {
                (Some(&lo), Some(&hi)) if lo.0 <= hi.0 => vec![lo, hi],
                (Some(&lo), Some(&hi)) => vec![hi, lo],
                _ => vec![],
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use sim::recorder::{Cell, Kind};

    use super::*;

    fn table(rows: &[(u64, &str, &str, f64)]) -> Table {
        let mut t = Table::new(&[
            ("time_s", Kind::U64),
            ("region", Kind::Text),
            ("service", Kind::Text),
            ("dropped_requests", Kind::F64),
        ]);
        for &(time, region, service, dropped) in rows {
            t.push_row(&[
                Cell::U64(time),
                Cell::Text(region),
                Cell::Text(service),
                Cell::F64(dropped),
            ]);
        }
        t
    }

    #[test]
    fn rows_group_by_service_and_region_in_order_of_appearance() {
        let t = table(&[
            (0, "eu", "b", 0.0),
            (0, "us", "a", 0.0),
            (3600, "eu", "b", 0.0),
            (3600, "us", "a", 0.0),
        ]);
        let ts = Timeseries::new(&t).unwrap();
        let names: Vec<_> = ts.keys.iter().map(|k| (&*k.name, &*k.detail)).collect();
        assert_eq!(names, [("b", "eu"), ("a", "us")]);
        assert_eq!(ts.points(1, "time_s").unwrap(), [(0.0, 0.0), (1.0, 3600.0)]);
    }

    #[test]
    fn counts_become_rates_over_their_interval() {
        // 120 dropped over the minute ending at 60 s, 30 over the 30 s ending at 90 s.
        let t = table(&[
            (0, "r", "s", 5.0),
            (60, "r", "s", 120.0),
            (90, "r", "s", 30.0),
        ]);
        let ts = Timeseries::new(&t).unwrap();
        assert_eq!(
            ts.rate_points(0, "dropped_requests").unwrap(),
            [(60.0 / 3600.0, 2.0), (90.0 / 3600.0, 1.0)]
        );
    }

    #[test]
    fn a_missing_column_is_named() {
        let t = table(&[(0, "r", "s", 0.0)]);
        let ts = Timeseries::new(&t).unwrap();
        let err = ts.points(0, "arrival_rps").unwrap_err().to_string();
        assert!(err.contains("`arrival_rps`"), "{err}");
        let wrong_kind = Table::new(&[("time_s", Kind::F64)]);
        assert!(Timeseries::new(&wrong_kind).is_err());
    }

    #[test]
    fn thinning_keeps_the_extremes_of_each_bucket_in_time_order() {
        let points: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, (i % 5) as f64)).collect();
        let thinned = thin(points.clone(), 4);
        // Two buckets of five: 0..=4 and 5..=9, each rising from 0 to 4.
        assert_eq!(thinned, [(0.0, 0.0), (4.0, 4.0), (5.0, 0.0), (9.0, 4.0)]);
        assert_eq!(thin(points.clone(), 10), points);
        let long: Vec<(f64, f64)> = (0..100_000).map(|i| (i as f64, 0.0)).collect();
        assert!(thin(long, MAX_POINTS_PER_LINE).len() <= MAX_POINTS_PER_LINE);
    }
}

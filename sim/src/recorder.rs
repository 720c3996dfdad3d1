//! The columnar recorder: what the models observed, as typed columns, ready for `reports` to turn
//! into Parquet/CSV without knowing anything about the models.
//!
//! Why columns and not rows of structs: a day of a large fleet is hundreds of thousands of rows,
//! and columns of `f64`/`u64` are compact and convert to Arrow without a copy per cell. The
//! schema is declared once, then every row is checked against it, so a model that forgets a
//! column fails loudly in a test instead of writing a misaligned file.
//!
//! Sampling: the runner calls [`sample_times`] and asks each model for its rows at each instant,
//! so every table has one row per (sample time, key) and the output interval is the experiment's.

use crate::time::{SimDuration, SimTime};

/// The type of one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    U64,
    F64,
    Text,
}

/// The values of one column.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    U64(Vec<u64>),
    F64(Vec<f64>),
    Text(Vec<String>),
}

impl Values {
    fn new(kind: Kind) -> Self {
        match kind {
            Kind::U64 => Values::U64(Vec::new()),
            Kind::F64 => Values::F64(Vec::new()),
            Kind::Text => Values::Text(Vec::new()),
        }
    }

    /// Number of values in the column.
    pub fn len(&self) -> usize {
        match self {
            Values::U64(v) => v.len(),
            Values::F64(v) => v.len(),
            Values::Text(v) => v.len(),
        }
    }

    /// Whether the column holds no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One cell of a row being recorded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    U64(u64),
    F64(f64),
    Text(&'a str),
}

/// A named, typed column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub values: Values,
}

/// A table of equally long typed columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    columns: Vec<Column>,
    rows: usize,
}

impl Table {
    /// An empty table with the given schema (column names carry their unit: `latency_p99_ms`).
    pub fn new(schema: &[(&str, Kind)]) -> Self {
        let columns = schema
            .iter()
            .map(|&(name, kind)| Column {
                name: name.to_owned(),
                values: Values::new(kind),
            })
            .collect();
        Table { columns, rows: 0 }
    }

    /// Appends one row.
    ///
    /// # Panics
    /// When the row does not match the schema: that is a bug in the model that records it,
    /// never a consequence of user input.
    pub fn push_row(&mut self, row: &[Cell<'_>]) {
        assert_eq!(
            row.len(),
            self.columns.len(),
            "row has {} cells, the table {} columns",
            row.len(),
            self.columns.len()
        );
        for (column, cell) in self.columns.iter_mut().zip(row) {
            match (&mut column.values, *cell) {
                (Values::U64(v), Cell::U64(x)) => v.push(x),
                (Values::F64(v), Cell::F64(x)) => v.push(x),
                (Values::Text(v), Cell::Text(x)) => v.push(x.to_owned()),
                (values, cell) => panic!(
                    "column {} holds {:?}, got {cell:?}",
                    column.name,
                    Kind::of(values)
                ),
            }
        }
        self.rows += 1;
    }

    /// The columns, in schema order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The column with this name, if any.
    pub fn column(&self, name: &str) -> Option<&Values> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .map(|c| &c.values)
    }

    /// The values of the `U64` column with this name, if there is one.
    pub fn u64s(&self, name: &str) -> Option<&[u64]> {
        match self.column(name)? {
            Values::U64(v) => Some(v),
            _ => None,
        }
    }

    /// The values of the `F64` column with this name, if there is one.
    pub fn f64s(&self, name: &str) -> Option<&[f64]> {
        match self.column(name)? {
            Values::F64(v) => Some(v),
            _ => None,
        }
    }

    /// The values of the `Text` column with this name, if there is one.
    pub fn texts(&self, name: &str) -> Option<&[String]> {
        match self.column(name)? {
            Values::Text(v) => Some(v),
            _ => None,
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }
}

impl Kind {
    fn of(values: &Values) -> Kind {
        match values {
            Values::U64(_) => Kind::U64,
            Values::F64(_) => Kind::F64,
            Values::Text(_) => Kind::Text,
        }
    }
}

/// The instants at which a run is sampled: 0, interval, 2·interval, … up to and including
/// `horizon` (the last sample is at `horizon` itself even when the interval does not divide it,
/// so the end state of a run is always recorded).
pub fn sample_times(interval: SimDuration, horizon: SimDuration) -> impl Iterator<Item = SimTime> {
    let step = interval.as_nanos().max(1);
    let end = horizon.as_nanos();
    let regular = (0..=end / step).map(move |k| SimTime::from_nanos(k * step));
    let tail = (!end.is_multiple_of(step)).then_some(SimTime::from_nanos(end));
    regular.chain(tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_land_in_their_columns() {
        let mut t = Table::new(&[
            ("time_s", Kind::U64),
            ("region", Kind::Text),
            ("rps", Kind::F64),
        ]);
        t.push_row(&[Cell::U64(0), Cell::Text("us-east1"), Cell::F64(1.5)]);
        t.push_row(&[Cell::U64(60), Cell::Text("eu-west1"), Cell::F64(2.5)]);
        assert_eq!(t.rows(), 2);
        assert_eq!(t.column("time_s"), Some(&Values::U64(vec![0, 60])));
        assert_eq!(t.column("rps"), Some(&Values::F64(vec![1.5, 2.5])));
        assert_eq!(
            t.column("region"),
            Some(&Values::Text(vec!["us-east1".into(), "eu-west1".into()]))
        );
        assert_eq!(t.column("missing"), None);
    }

    #[test]
    #[should_panic(expected = "column rps holds F64")]
    fn a_cell_of_the_wrong_kind_is_a_bug() {
        let mut t = Table::new(&[("rps", Kind::F64)]);
        t.push_row(&[Cell::U64(1)]);
    }

    #[test]
    fn samples_cover_the_horizon_including_its_end() {
        let secs = |v: Vec<SimTime>| {
            v.iter()
                .map(|t| t.as_nanos() / 1_000_000_000)
                .collect::<Vec<_>>()
        };
        let even: Vec<_> =
            sample_times(SimDuration::from_secs(60), SimDuration::from_secs(180)).collect();
        assert_eq!(secs(even), vec![0, 60, 120, 180]);
        let uneven: Vec<_> =
            sample_times(SimDuration::from_secs(60), SimDuration::from_secs(150)).collect();
        assert_eq!(secs(uneven), vec![0, 60, 120, 150]);
    }
}

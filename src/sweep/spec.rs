//! The sweep file (RON): a base experiment, the axes that vary its fields, and the seeds.
//!
//! ```ron
//! Sweep(
//!     base: "../quickstart.ron",          // relative to this file
//!     axes: [
//!         Values(field: "services[name=api].replicas", values: [8, 12, 16]),
//!         Range(field: "node_pools[0].nodes", start: 2, stop: 6, step: 2),  // 2, 4, 6
//!         Uniform(field: "services[0].traffic.amplitude", low: 0.2, high: 0.8, samples: 4),
//!         Zip([                            // these advance together
//!             Values(field: "node_pools[1].capacity_type", values: ["OnDemand", "Spot"]),
//!             Values(field: "node_pools[1].nodes", values: [3, 4]),
//!         ]),
//!     ],
//!     seeds: [1, 2, 3],                    // or `replicates: 3`: the base seed, +1, +2
//!     sample_seed: 0,                      // seed of the `Uniform` draws; default 0
//! )
//! ```
//!
//! Read like the experiment file: unknown fields are errors, and every error carries
//! file:line:col and the field path (`clustersim::error::InputError`), exit code 2.

use std::fmt;
use std::path::Path;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use crate::error::InputError;

/// A sweep file as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sweep {
    /// The base experiment, relative to the sweep file.
    pub base: String,
    pub axes: Vec<Axis>,
    /// Seeds each configuration runs with. At most one of `seeds` and `replicates`; neither
    /// runs each configuration once with the base experiment's seed.
    #[serde(default)]
    pub seeds: Option<Vec<u64>>,
    /// Runs each configuration with the base seed, base seed + 1, … (N seeds in all).
    #[serde(default)]
    pub replicates: Option<u32>,
    /// Seed of the `Uniform` axes' draws: each axis draws from
    /// `sim::rng::stream(sample_seed, "sweep/<field>")`. Default 0.
    #[serde(default)]
    pub sample_seed: u64,
}

/// One axis, or a group of axes that advance together.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Axis {
    /// The listed values, in order.
    Values { field: String, values: Vec<Scalar> },
    /// `start`, `start + step`, … up to and including `stop` (when a step lands on it).
    /// Whole numbers if all three are, else floats.
    Range {
        field: String,
        start: Scalar,
        stop: Scalar,
        step: Scalar,
    },
    /// `samples` values drawn uniformly from [low, high] (whole numbers if both bounds are)
    /// or [low, high) (floats), in draw order.
    Uniform {
        field: String,
        low: Scalar,
        high: Scalar,
        samples: u32,
    },
    /// Axes of equal length whose i-th values go together (one dimension of the grid).
    Zip(Vec<Axis>),
}

/// A value an axis gives a field: a number, a string, a bool. A string also names an enum
/// variant (`"Spot"`) when the base holds one there; see `patch`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Scalar {
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number, a string or a bool")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                i64::try_from(v)
                    .map(Scalar::Int)
                    .map_err(|_| E::custom("expected a whole number below 2^63"))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Text(v.to_owned()))
            }
        }
        d.deserialize_any(V)
    }
}

/// Reads and parses a sweep file, with the position and field path of the first error.
pub fn load(file: &Path) -> Result<(Sweep, String), InputError> {
    let src = crate::input::read_text(file)?;
    let sweep = parse(file, &src)?;
    Ok((sweep, src))
}

/// RON text → sweep, read as an experiment is (`clustersim::input::parse_ron`).
pub fn parse(file: &Path, src: &str) -> Result<Sweep, InputError> {
    crate::input::parse_ron(file, src)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Position;

    #[test]
    fn every_axis_kind_parses() {
        let src = r#"Sweep(
            base: "b.ron",
            axes: [
                Values(field: "a", values: [1, 2.5, "Spot", true]),
                Range(field: "b", start: 1, stop: 3, step: 1),
                Uniform(field: "c", low: 0.1, high: 0.2, samples: 2),
                Zip([Values(field: "d", values: [1]), Values(field: "e", values: [2])]),
            ],
            replicates: 2,
        )"#;
        let s = parse(Path::new("s.ron"), src).unwrap();
        assert_eq!(s.axes.len(), 4);
        assert_eq!(
            s.axes[0],
            Axis::Values {
                field: "a".into(),
                values: vec![
                    Scalar::Int(1),
                    Scalar::Float(2.5),
                    Scalar::Text("Spot".into()),
                    Scalar::Bool(true)
                ]
            }
        );
        assert_eq!(s.replicates, Some(2));
        assert_eq!(s.sample_seed, 0);
    }

    #[test]
    fn an_unknown_field_is_located() {
        let src = "Sweep(\n  base: \"b.ron\",\n  axes: [],\n  seed: 3,\n)";
        let e = parse(Path::new("s.ron"), src).unwrap_err();
        assert_eq!(e.position, Some(Position { line: 4, col: 3 }), "{e}");
        assert!(e.to_string().contains("seed"), "{e}");
    }
}

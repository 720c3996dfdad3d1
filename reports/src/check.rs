//! A judged check and its comparison operator: what a target, a `--gate` or a built-in health
//! check amounts to once evaluated.
//!
//! A module of its own, below both [`crate::gate`] (which parses and evaluates) and
//! [`crate::summary`] (which stores the results), so neither imports the other's types back.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
}

impl Op {
    /// Two-character operators first, so `<=` is not read as `<` followed by `=`.
    pub(crate) const BY_LENGTH: [Op; 6] = [Op::Le, Op::Ge, Op::Eq, Op::Ne, Op::Lt, Op::Gt];

    pub fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }

    /// Whether `actual op threshold` holds. `==` and `!=` compare exactly: they are meant for
    /// counts (`requests_dropped==0`), which are whole numbers.
    pub fn holds(self, actual: f64, threshold: f64) -> bool {
        match self {
            Op::Lt => actual < threshold,
            Op::Le => actual <= threshold,
            Op::Gt => actual > threshold,
            Op::Ge => actual >= threshold,
            Op::Eq => actual == threshold,
            Op::Ne => actual != threshold,
        }
    }

    /// How far `actual` lies on the passing side of `threshold`: the headroom when positive,
    /// the amount it missed by when negative. For `==` it is minus the distance (0 when equal),
    /// for `!=` the distance. At the boundary (0) `<` and `>` fail while `<=` and `>=` pass:
    /// the margin says by how much, [`Op::holds`] says whether.
    pub fn margin(self, actual: f64, threshold: f64) -> f64 {
        match self {
            Op::Lt | Op::Le => threshold - actual,
            Op::Gt | Op::Ge => actual - threshold,
            Op::Eq => -(actual - threshold).abs(),
            Op::Ne => (actual - threshold).abs(),
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// One target or gate, judged: `actual op threshold` must hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// The metric judged, one of [`crate::Metric`]'s names.
    pub name: String,
    /// The check as written on the command line, or as derived from a target.
    pub expression: String,
    pub op: Op,
    pub threshold: f64,
    /// `None` when the run gave nothing to measure (no request was served, say): a fail.
    pub actual: Option<f64>,
    pub pass: bool,
    /// How far `actual` lies on the passing side of `threshold`, in the metric's unit:
    /// positive is headroom, negative is the amount by which it missed (see [`Op::margin`]).
    pub margin: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_op_serializes_as_its_symbol() {
        for op in Op::BY_LENGTH {
            let json = serde_json::to_string(&op).unwrap();
            assert_eq!(json, format!("\"{op}\""));
            assert_eq!(serde_json::from_str::<Op>(&json).unwrap(), op);
        }
    }
}

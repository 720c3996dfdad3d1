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

/// One check, judged: `actual op threshold` must hold. A target, a `--gate` or a built-in
/// health check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// The metric judged, one of [`crate::Metric`]'s names.
    pub name: String,
    /// The check as written on the command line, or as derived from a target or a default.
    pub expression: String,
    /// The part of the run judged: `None` the whole run, `Some("checkout")` one service over
    /// all its regions, `Some("checkout/us-east1")` one region of it. Said beside the verdict,
    /// so a reader never takes one service's figure for the run's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub op: Op,
    pub threshold: f64,
    /// `None` when the run gave nothing to measure (no request was served, say): a fail.
    pub actual: Option<f64>,
    pub pass: bool,
    /// How far `actual` lies on the passing side of `threshold`, in the metric's unit:
    /// positive is headroom, negative is the amount by which it missed (see [`Op::margin`]).
    pub margin: Option<f64>,
    /// One sentence with the figure behind the verdict, for a person ("checkout dropped
    /// 12,960,000 of 12,960,000 requests (100 %)"); `None` when the numbers say it all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Check {
    /// The same check, judged on `scope` (see [`Check::scope`]).
    pub fn scoped(self, scope: impl Into<String>) -> Check {
        Check {
            scope: Some(scope.into()),
            ..self
        }
    }

    /// The same check, with the sentence that explains it (see [`Check::detail`]).
    pub fn with_detail(self, detail: impl Into<String>) -> Check {
        Check {
            detail: Some(detail.into()),
            ..self
        }
    }

    /// `PASS` or `FAIL`: see [`verdict`].
    pub fn verdict(&self) -> &'static str {
        verdict(self.pass)
    }
}

/// The one spelling of a verdict, on the terminal, the report page and the sweep page alike:
/// capitals for both, so a passing run does not read as the quieter of the two.
pub fn verdict(pass: bool) -> &'static str {
    if pass { "PASS" } else { "FAIL" }
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

    fn check() -> Check {
        Check {
            name: "p99_latency_ms".into(),
            expression: "p99_latency_ms<=100".into(),
            scope: None,
            op: Op::Le,
            threshold: 100.0,
            actual: Some(120.0),
            pass: false,
            margin: Some(-20.0),
            detail: None,
        }
    }

    #[test]
    fn a_check_without_scope_or_detail_is_written_as_in_schema_2() {
        let json = serde_json::to_string(&check()).unwrap();
        assert_eq!(
            json,
            "{\"name\":\"p99_latency_ms\",\"expression\":\"p99_latency_ms<=100\",\"op\":\"<=\",\
             \"threshold\":100.0,\"actual\":120.0,\"pass\":false,\"margin\":-20.0}"
        );
        assert_eq!(serde_json::from_str::<Check>(&json).unwrap(), check());
    }

    #[test]
    fn scope_and_detail_are_written_and_read_back() {
        let c = check()
            .scoped("checkout/us-east1")
            .with_detail("checkout's p99 was 120 ms");
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("\"scope\":\"checkout/us-east1\""), "{json}");
        assert!(
            json.contains("\"detail\":\"checkout's p99 was 120 ms\""),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Check>(&json).unwrap(), c);
    }

    #[test]
    fn verdicts_are_spelled_in_capitals_both_ways() {
        assert_eq!((verdict(true), verdict(false)), ("PASS", "FAIL"));
        assert_eq!(check().verdict(), "FAIL");
    }
}

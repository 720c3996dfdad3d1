//! Gates: `metric op number` expressions judged against a summary, in the spirit of k6
//! thresholds (`p99_latency_ms<100`, `cost_usd<=5000`, `slo_attainment>=0.999`).
//!
//! Pure functions: [`parse`] turns the text into a [`Gate`] or says at which column (1-based,
//! in characters) it went wrong and what was expected there; [`Gate::evaluate`] judges a
//! summary. The experiment's targets are gates too (the binary builds them with [`Gate::new`]),
//! so both are judged, recorded and reported the same way.

use std::fmt;

use crate::check::{Check, Op};
use crate::metric::Metric;
use crate::summary::{ServiceSummary, Summary};

/// A parsed gate.
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    pub metric: Metric,
    pub op: Op,
    pub threshold: f64,
    /// The expression as written (trimmed), or as derived by [`Gate::new`].
    pub expression: String,
}

/// Why an expression is not a gate, and where (1-based character column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateError {
    pub column: usize,
    pub message: String,
}

impl fmt::Display for GateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for GateError {}

impl Gate {
    /// A gate built from typed values (an experiment target), with its canonical expression.
    pub fn new(metric: Metric, op: Op, threshold: f64) -> Gate {
        Gate {
            metric,
            op,
            threshold,
            expression: format!("{}{op}{threshold}", metric.name()),
        }
    }

    /// Judges `summary` as a whole. A metric the run could not measure fails, with no margin.
    pub fn evaluate(&self, summary: &Summary) -> Check {
        self.judge(self.metric.value(summary))
    }

    /// Judges one service (`scope` = `"checkout"`, over all its regions) or one region of it
    /// (`"checkout/us-east1"`), from the summary's per-service rows (see
    /// [`Metric::scope_value`]). A scope that matches no row is judged as not measured. Rows
    /// are matched whole (`service` or `service/region`), never by splitting the scope, so a
    /// name holding `/` is judged on its own rows.
    pub fn evaluate_scope(&self, summary: &Summary, scope: &str) -> Check {
        let whole_service = summary.services.iter().any(|v| v.service == scope);
        let rows: Vec<&ServiceSummary> = summary
            .services
            .iter()
            .filter(|v| {
                if whole_service {
                    v.service == scope
                } else {
                    scope
                        .strip_prefix(v.service.as_str())
                        .and_then(|rest| rest.strip_prefix('/'))
                        == Some(v.region.as_str())
                }
            })
            .collect();
        self.judge(self.metric.scope_value(&rows)).scoped(scope)
    }

    /// Judges a figure measured elsewhere (`None`: not measured, a fail): for a figure the
    /// summary does not hold, such as one service's p99 over all its regions, which only the
    /// run's histograms give.
    pub fn judge(&self, actual: Option<f64>) -> Check {
        Check {
            name: self.metric.name().to_owned(),
            expression: self.expression.clone(),
            scope: None,
            op: self.op,
            threshold: self.threshold,
            actual,
            pass: actual.is_some_and(|a| self.op.holds(a, self.threshold)),
            margin: actual.map(|a| self.op.margin(a, self.threshold)),
            detail: None,
        }
    }
}

/// Parses `metric op number`, with optional spaces between the parts.
pub fn parse(expression: &str) -> Result<Gate, GateError> {
    let chars: Vec<char> = expression.chars().collect();
    let mut at = skip_spaces(&chars, 0);
    let error = |i: usize, message: String| GateError {
        column: i + 1,
        message,
    };

    let name_start = at;
    while at < chars.len() && (chars[at].is_ascii_alphanumeric() || chars[at] == '_') {
        at += 1;
    }
    if at == name_start {
        return Err(error(
            name_start,
            "expected a metric name such as p99_latency_ms".into(),
        ));
    }
    let name: String = chars[name_start..at].iter().collect();
    let metric = Metric::from_name(&name).ok_or_else(|| {
        let known: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
        error(
            name_start,
            format!(
                "unknown metric `{name}`: expected one of {}",
                known.join(", ")
            ),
        )
    })?;

    at = skip_spaces(&chars, at);
    let op = Op::BY_LENGTH
        .into_iter()
        .find(|op| {
            let symbol: Vec<char> = op.symbol().chars().collect();
            chars[at..].starts_with(&symbol)
        })
        .ok_or_else(|| error(at, "expected an operator: <, <=, >, >=, == or !=".into()))?;
    at += op.symbol().len();

    at = skip_spaces(&chars, at);
    let number_start = at;
    while at < chars.len() && (chars[at].is_ascii_digit() || ".eE+-".contains(chars[at])) {
        at += 1;
    }
    let number: String = chars[number_start..at].iter().collect();
    let threshold = number
        .parse::<f64>()
        .ok()
        .filter(|t| t.is_finite())
        .ok_or_else(|| error(number_start, "expected a number".into()))?;

    at = skip_spaces(&chars, at);
    if at < chars.len() {
        let rest: String = chars[at..].iter().collect();
        return Err(error(
            at,
            format!(
                "unexpected `{rest}` after the number: expected the end of the expression \
                 (the unit is part of the metric's name)"
            ),
        ));
    }
    Ok(Gate {
        metric,
        op,
        threshold,
        expression: expression.trim().to_owned(),
    })
}

fn skip_spaces(chars: &[char], mut at: usize) -> usize {
    while at < chars.len() && chars[at].is_whitespace() {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::tests::example;

    fn gate(metric: Metric, op: Op, threshold: f64, expression: &str) -> Gate {
        Gate {
            metric,
            op,
            threshold,
            expression: expression.into(),
        }
    }

    #[test]
    fn the_k6_style_examples_parse() {
        let cases = [
            ("p99_latency_ms<100", Metric::P99LatencyMs, Op::Lt, 100.0),
            ("cost_usd<=5000", Metric::CostUsd, Op::Le, 5000.0),
            (
                "slo_attainment>=0.999",
                Metric::SloAttainment,
                Op::Ge,
                0.999,
            ),
            ("requests_dropped==0", Metric::RequestsDropped, Op::Eq, 0.0),
            ("node_hours != 1e3", Metric::NodeHours, Op::Ne, 1000.0),
            (
                " p50_latency_ms >  -2.5 ",
                Metric::P50LatencyMs,
                Op::Gt,
                -2.5,
            ),
        ];
        for (text, metric, op, threshold) in cases {
            assert_eq!(
                parse(text),
                Ok(gate(metric, op, threshold, text.trim())),
                "{text}"
            );
        }
    }

    fn error_of(text: &str) -> (usize, String) {
        let e = parse(text).unwrap_err();
        (e.column, e.message)
    }

    #[test]
    fn a_doubled_operator_points_at_the_missing_number() {
        let e = parse("p99_latency_ms<<100").unwrap_err();
        assert_eq!(e.to_string(), "at column 16: expected a number");
    }

    #[test]
    fn malformed_expressions_say_where_and_what_was_expected() {
        let cases: [(&str, usize, &str); 10] = [
            ("", 1, "expected a metric name"),
            ("<100", 1, "expected a metric name"),
            (
                "p99<100",
                1,
                "unknown metric `p99`: expected one of p50_latency_ms",
            ),
            ("  cost<1", 3, "unknown metric `cost`"),
            ("cost_usd", 9, "expected an operator"),
            ("cost_usd=5000", 9, "expected an operator"),
            ("cost_usd <= ", 13, "expected a number"),
            ("cost_usd<=5.0.0", 11, "expected a number"),
            ("cost_usd<=inf", 11, "expected a number"),
            (
                "p99_latency_ms<100ms",
                19,
                "unexpected `ms` after the number",
            ),
        ];
        for (text, column, words) in cases {
            let (c, m) = error_of(text);
            assert_eq!(c, column, "{text:?}: {m}");
            assert!(m.contains(words), "{text:?}: {m}");
        }
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        // `é` is two bytes in UTF-8; the column is where a person sees it.
        assert_eq!(error_of("é<1").0, 1);
        assert_eq!(error_of("cost_usd<=é").0, 11);
    }

    #[test]
    fn a_passing_gate_records_its_headroom() {
        // The example's p99 is 42.5 ms.
        let c = parse("p99_latency_ms<100").unwrap().evaluate(&example());
        assert_eq!(c.name, "p99_latency_ms");
        assert_eq!(c.expression, "p99_latency_ms<100");
        assert_eq!((c.actual, c.pass, c.margin), (Some(42.5), true, Some(57.5)));
    }

    #[test]
    fn a_missed_gate_records_by_how_much() {
        // The example's cost is 1234.5 USD.
        let c = parse("cost_usd<=1000").unwrap().evaluate(&example());
        assert_eq!((c.pass, c.margin), (false, Some(-234.5)));
        let c = parse("slo_attainment>=0.999").unwrap().evaluate(&example());
        assert!(!c.pass);
        assert!((c.margin.unwrap() + 0.004).abs() < 1e-12, "{:?}", c.margin);
    }

    #[test]
    fn the_boundary_passes_only_inclusive_operators() {
        let s = example();
        for (text, pass) in [
            ("p99_latency_ms<42.5", false),
            ("p99_latency_ms<=42.5", true),
            ("p99_latency_ms>42.5", false),
            ("p99_latency_ms>=42.5", true),
            ("p99_latency_ms==42.5", true),
            ("p99_latency_ms!=42.5", false),
        ] {
            let c = parse(text).unwrap().evaluate(&s);
            assert_eq!(c.pass, pass, "{text}");
            assert_eq!(c.margin, Some(0.0), "{text}");
        }
    }

    #[test]
    fn an_unmeasured_metric_fails_without_a_margin() {
        let s = Summary {
            latency_ms: None,
            ..example()
        };
        let c = parse("p99_latency_ms<100").unwrap().evaluate(&s);
        assert_eq!((c.actual, c.pass, c.margin), (None, false, None));
    }

    #[test]
    fn a_scope_is_judged_on_its_own_rows() {
        // api: 2000 arrived, 10 dropped in us-east1; 1000 arrived, none dropped in
        // europe-west1. Over both regions 10 of 3000 dropped.
        let s = example();
        let g = parse("dropped_share<=0.004").unwrap();
        let east = g.evaluate_scope(&s, "api/us-east1");
        assert_eq!(east.scope.as_deref(), Some("api/us-east1"));
        assert_eq!((east.actual, east.pass), (Some(0.005), false));
        let all = g.evaluate_scope(&s, "api");
        assert_eq!(all.scope.as_deref(), Some("api"));
        assert!(all.pass && (all.actual.unwrap() - 10.0 / 3000.0).abs() < 1e-15);
        let none = g.evaluate_scope(&s, "checkout");
        assert_eq!((none.actual, none.pass), (None, false));
        // One region's p99 is in its row; two regions' p99 cannot be combined from rows.
        let p99 = parse("p99_latency_ms<=43").unwrap();
        assert_eq!(p99.evaluate_scope(&s, "api/us-east1").actual, Some(44.0));
        assert_eq!(p99.evaluate_scope(&s, "api").actual, None);
        // A service named with a '/' is judged on its own rows, not split at the '/'.
        let mut odd = example();
        odd.services[0].service = "a/b".into();
        odd.services[0].region = "r".into();
        let whole = g.evaluate_scope(&odd, "a/b");
        assert_eq!(whole.actual, Some(10.0 / 2000.0));
        assert_eq!(g.evaluate_scope(&odd, "a/b/r").actual, Some(10.0 / 2000.0));
    }

    #[test]
    fn a_judged_figure_keeps_the_gate_and_has_no_scope_until_given_one() {
        let g = Gate::new(Metric::P99LatencyMs, Op::Le, 100.0);
        let c = g.judge(Some(120.0));
        assert_eq!((c.pass, c.margin, c.scope), (false, Some(-20.0), None));
        assert_eq!(g.judge(None).margin, None);
    }

    #[test]
    fn a_target_gate_spells_its_expression() {
        let g = Gate::new(Metric::SloAttainment, Op::Ge, 0.999);
        assert_eq!(g.expression, "slo_attainment>=0.999");
        assert_eq!(parse(&g.expression), Ok(g));
        assert_eq!(
            Gate::new(Metric::P99LatencyMs, Op::Le, 100.0).expression,
            "p99_latency_ms<=100"
        );
    }
}

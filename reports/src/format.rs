//! Numbers as people read them in a report and on chart axes: thousands grouped with commas,
//! a precision that fits the magnitude, units spelled out. Pure and deterministic (Rust's
//! float formatting rounds the same way everywhere), so a re-rendered report is byte-identical.

use crate::check::Check;
use crate::metric::Metric;

/// `x` with `decimals` decimals and the integer part grouped by thousands: `1,234.50`.
pub fn grouped(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let fixed = format!("{:.*}", decimals, x.abs());
    let (int, frac) = fixed.split_once('.').unwrap_or((&fixed, ""));
    let mut out = String::new();
    // "-0" after rounding a tiny negative number is printed as "0".
    if x < 0.0 && fixed.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        out.push('-');
    }
    for (i, digit) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// A figure with a precision that fits its size (three significant digits for small values,
/// whole numbers from 100 up), trailing zeros dropped: `0.25`, `12.5`, `1,280`.
pub fn figure(x: f64) -> String {
    let decimals = match x.abs() {
        a if a >= 100.0 => 0,
        a if a >= 10.0 => 1,
        a if a >= 1.0 => 2,
        _ => 3,
    };
    let s = grouped(x, decimals);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// US dollars with cents: `$1,234.50`.
pub fn usd(x: f64) -> String {
    if x < 0.0 {
        format!("−${}", grouped(-x, 2))
    } else {
        format!("${}", grouped(x, 2))
    }
}

/// A fraction as a percentage with three decimals, enough to tell 99.9 % from 99.99 %.
pub fn percent(fraction: f64) -> String {
    format!("{} %", grouped(fraction * 100.0, 3))
}

/// A value of `metric` with its unit.
pub fn metric_value(metric: Metric, x: f64) -> String {
    match metric {
        Metric::CostUsd => usd(x),
        Metric::SloAttainment => percent(x),
        Metric::RequestsArrived | Metric::RequestsServed | Metric::RequestsDropped => {
            format!("{} requests", grouped(x, 0))
        }
        Metric::DroppedShare | Metric::PendingShare => share(x),
        Metric::PendingPodSeconds | Metric::UnschedulablePods => {
            format!("{} {}", grouped(x, 0), metric.unit())
        }
        _ => format!("{} {}", figure(x), metric.unit()),
    }
}

/// A small fraction as a percentage with the precision it needs: `0.012 %`, `0.5 %`, `100 %`
/// (a dropped share is read for its order of magnitude, not its third decimal).
pub fn share(fraction: f64) -> String {
    format!("{} %", figure(fraction * 100.0))
}

/// A difference of two values of `metric` (a margin), with its unit; attainment differences
/// are in percentage points.
pub fn metric_difference(metric: Metric, x: f64) -> String {
    match metric {
        Metric::SloAttainment | Metric::DroppedShare | Metric::PendingShare => {
            format!("{} pp", figure(x * 100.0))
        }
        _ => metric_value(metric, x),
    }
}

/// A check's figure with its unit; a name that is no metric (a newer summary) as a plain figure.
pub fn check_value(c: &Check, x: f64) -> String {
    Metric::from_name(&c.name).map_or_else(|| figure(x), |m| metric_value(m, x))
}

/// "57.5 ms to spare" or "missed by 12.5 ms"; "—" without a margin (nothing measured).
pub fn margin(c: &Check) -> String {
    let Some(m) = c.margin else {
        return "—".into();
    };
    let amount = Metric::from_name(&c.name).map_or_else(
        || figure(m.abs()),
        |metric| metric_difference(metric, m.abs()),
    );
    if c.pass {
        format!("{amount} to spare")
    } else {
        format!("missed by {amount}")
    }
}

/// What a check judged, in words: "whole-run p99", "worst sample p99", "whole-run p99 of
/// checkout/us-east1".
pub fn judged(c: &Check) -> String {
    let what = Metric::from_name(&c.name).map_or_else(|| c.name.clone(), |m| m.judged().to_owned());
    match &c.scope {
        Some(scope) => format!("{what} of {scope}"),
        None => what.to_owned(),
    }
}

/// One check on one terminal line, verdict first, with units and what it judged:
/// `FAIL  p99_latency_ms<=100: 120 ms (missed by 20 ms) — whole-run p99`, then the check's
/// detail sentence, when it has one, after a semicolon.
pub fn check_line(c: &Check) -> String {
    let figure = match c.actual {
        Some(a) => format!("{} ({})", check_value(c, a), margin(c)),
        None => "not measured (the run gave nothing to measure)".to_owned(),
    };
    let detail = c
        .detail
        .as_ref()
        .map_or_else(String::new, |d| format!("; {d}"));
    format!(
        "{}  {}: {figure} — {}{detail}",
        c.verdict(),
        c.expression,
        judged(c)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(grouped(151_200_000.0, 0), "151,200,000");
        assert_eq!(grouped(1234.5, 2), "1,234.50");
        assert_eq!(grouped(999.0, 0), "999");
        assert_eq!(grouped(-1234.0, 0), "-1,234");
        assert_eq!(grouped(-0.0001, 2), "0.00");
    }

    #[test]
    fn figures_fit_their_magnitude() {
        assert_eq!(figure(0.25), "0.25");
        assert_eq!(figure(12.54), "12.5");
        assert_eq!(figure(1280.0), "1,280");
        assert_eq!(figure(3.0), "3");
        assert_eq!(figure(0.0), "0");
    }

    #[test]
    fn metric_values_carry_their_unit() {
        assert_eq!(metric_value(Metric::CostUsd, 55.968), "$55.97");
        assert_eq!(metric_value(Metric::SloAttainment, 0.99995), "99.995 %");
        assert_eq!(metric_value(Metric::P99LatencyMs, 42.54), "42.5 ms");
        assert_eq!(
            metric_value(Metric::RequestsDropped, 1e6),
            "1,000,000 requests"
        );
        assert_eq!(metric_difference(Metric::SloAttainment, -0.004), "-0.4 pp");
        assert_eq!(usd(-3.0), "−$3.00");
        assert_eq!(metric_value(Metric::DroppedShare, 0.00012), "0.012 %");
        assert_eq!(metric_value(Metric::DroppedShare, 1.0), "100 %");
        assert_eq!(metric_value(Metric::PendingShare, 0.238), "23.8 %");
        assert_eq!(metric_difference(Metric::DroppedShare, 0.999), "99.9 pp");
        assert_eq!(
            metric_value(Metric::PendingPodSeconds, 12_345.6),
            "12,346 pod-seconds"
        );
        assert_eq!(metric_value(Metric::UnschedulablePods, 16.0), "16 pods");
        assert_eq!(metric_value(Metric::ZeroReadyLongestS, 600.0), "600 s");
    }

    fn p99(actual: Option<f64>) -> Check {
        crate::gate::Gate::new(Metric::P99LatencyMs, crate::check::Op::Le, 100.0).judge(actual)
    }

    #[test]
    fn a_check_line_has_the_verdict_figure_margin_and_what_it_judged() {
        assert_eq!(
            check_line(&p99(Some(120.0))),
            "FAIL  p99_latency_ms<=100: 120 ms (missed by 20 ms) — whole-run p99"
        );
        assert_eq!(
            check_line(&p99(Some(42.54))),
            "PASS  p99_latency_ms<=100: 42.5 ms (57.5 ms to spare) — whole-run p99"
        );
        assert_eq!(
            check_line(&p99(None)),
            "FAIL  p99_latency_ms<=100: not measured (the run gave nothing to measure) — \
             whole-run p99"
        );
    }

    #[test]
    fn a_scoped_check_line_names_its_scope_and_detail() {
        let c = crate::parse_gate("dropped_share<=0.001")
            .unwrap()
            .judge(Some(1.0))
            .scoped("checkout")
            .with_detail("checkout dropped 12,960,000 of 12,960,000 requests (100 %)");
        assert_eq!(
            check_line(&c),
            "FAIL  dropped_share<=0.001: 100 % (missed by 99.9 pp) — whole-run dropped share \
             of checkout; checkout dropped 12,960,000 of 12,960,000 requests (100 %)"
        );
    }
}

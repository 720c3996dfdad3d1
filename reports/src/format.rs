//! Numbers as people read them in a report and on chart axes: thousands grouped with commas,
//! a precision that fits the magnitude, units spelled out. Pure and deterministic (Rust's
//! float formatting rounds the same way everywhere), so a re-rendered report is byte-identical.

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
        _ => format!("{} {}", figure(x), metric.unit()),
    }
}

/// A difference of two values of `metric` (a margin), with its unit; attainment differences
/// are in percentage points.
pub fn metric_difference(metric: Metric, x: f64) -> String {
    match metric {
        Metric::SloAttainment => format!("{} pp", figure(x * 100.0)),
        _ => metric_value(metric, x),
    }
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
    }
}

//! The sweep's one chart: each configuration's cost against its service level, passing
//! configurations in green, the Pareto frontier joined in red, the answer ringed.
//!
//! Written as SVG text directly rather than through plotters: a scatter needs only circles,
//! a polyline and tick labels, and plain SVG leaves the text to the viewer's own font, so the
//! chart needs no embedded font and its bytes depend on the numbers alone (coordinates are
//! printed with one decimal).

use std::fmt::Write;

use super::frontier::{Configuration, Objective};
use super::{Sweep, cheapest_passing};
use crate::escape::html as esc;
use crate::format::figure;

const WIDTH: f64 = 1280.0;
const HEIGHT: f64 = 720.0;
const LEFT: f64 = 120.0;
const RIGHT: f64 = 1240.0;
const TOP: f64 = 90.0;
const BOTTOM: f64 = 620.0;
const PASS: &str = "#1a7f37";
const FAIL: &str = "#9a9a9a";
const FRONTIER: &str = "#d62728";
const INK: &str = "#222222";

/// A closed interval padded by 5 % on each side, widened when all values are equal.
fn span(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let pad = if hi > lo {
        (hi - lo) * 0.05
    } else {
        (lo.abs() * 0.05).max(0.5)
    };
    (lo - pad, hi + pad)
}

/// Round tick values within `(lo, hi)`: steps of 1, 2 or 5 times a power of ten, about six.
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let raw = (hi - lo) / 6.0;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * power);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// The chart as an SVG document.
pub fn svg(
    sweep: &Sweep,
    configs: &[Configuration],
    objective: Objective,
    on_frontier: &[bool],
) -> String {
    let plotted: Vec<(usize, f64, f64)> = configs
        .iter()
        .enumerate()
        .filter_map(|(i, c)| objective.value(c).map(|y| (i, c.cost_usd, y)))
        .collect();
    let (x0, x1) = span(plotted.iter().map(|p| p.1));
    let (y0, y1) = span(plotted.iter().map(|p| p.2));
    let x = |v: f64| LEFT + (v - x0) / (x1 - x0) * (RIGHT - LEFT);
    let y = |v: f64| BOTTOM - (v - y0) / (y1 - y0) * (BOTTOM - TOP);
    let (y_label, y_tick): (&str, fn(f64) -> String) = match objective {
        Objective::Attainment => ("SLO attainment, worst seed (%)", |v| figure(v * 100.0)),
        Objective::P99 => ("p99 response time, worst seed (ms)", figure),
    };

    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" font-family=\"sans-serif\">\n\
         <rect width=\"{WIDTH}\" height=\"{HEIGHT}\" fill=\"#ffffff\"/>\n\
         <text x=\"28\" y=\"44\" font-size=\"30\" fill=\"{INK}\">Cost against service level</text>\n\
         <text x=\"1252\" y=\"44\" font-size=\"20\" fill=\"#666666\" text-anchor=\"end\">{}</text>\n",
        esc(&sweep.name)
    );
    for t in ticks(x0, x1) {
        let _ = writeln!(
            s,
            "<line x1=\"{0:.1}\" y1=\"{TOP}\" x2=\"{0:.1}\" y2=\"{BOTTOM}\" stroke=\"#eeeeee\"/>\
             <text x=\"{0:.1}\" y=\"{1}\" font-size=\"18\" fill=\"{INK}\" text-anchor=\"middle\">${2}</text>",
            x(t),
            BOTTOM + 28.0,
            figure(t)
        );
    }
    for t in ticks(y0, y1) {
        let _ = writeln!(
            s,
            "<line x1=\"{LEFT}\" y1=\"{0:.1}\" x2=\"{RIGHT}\" y2=\"{0:.1}\" stroke=\"#eeeeee\"/>\
             <text x=\"{1}\" y=\"{2:.1}\" font-size=\"18\" fill=\"{INK}\" text-anchor=\"end\">{3}</text>",
            y(t),
            LEFT - 10.0,
            y(t) + 6.0,
            y_tick(t)
        );
    }
    let _ = write!(
        s,
        "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"{INK}\"/>\n\
         <text x=\"{}\" y=\"{}\" font-size=\"22\" fill=\"{INK}\" text-anchor=\"middle\">mean cost over seeds (USD)</text>\n\
         <text x=\"30\" y=\"{}\" font-size=\"22\" fill=\"{INK}\" text-anchor=\"middle\" \
         transform=\"rotate(-90 30 {})\">{y_label}</text>\n",
        RIGHT - LEFT,
        BOTTOM - TOP,
        (LEFT + RIGHT) / 2.0,
        BOTTOM + 64.0,
        (TOP + BOTTOM) / 2.0,
        (TOP + BOTTOM) / 2.0,
    );

    // The frontier, cheapest first.
    let mut front: Vec<(f64, f64)> = plotted
        .iter()
        .filter(|p| on_frontier[p.0])
        .map(|p| (p.1, p.2))
        .collect();
    front.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    if front.len() > 1 {
        let points: Vec<String> = front
            .iter()
            .map(|&(c, v)| format!("{:.1},{:.1}", x(c), y(v)))
            .collect();
        let _ = writeln!(
            s,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{FRONTIER}\" stroke-width=\"3\"/>",
            points.join(" ")
        );
    }
    for &(i, c, v) in &plotted {
        let fill = if configs[i].pass { PASS } else { FAIL };
        let ring = if on_frontier[i] {
            format!(" stroke=\"{FRONTIER}\" stroke-width=\"3\"")
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"7\" fill=\"{fill}\"{ring}/>",
            x(c),
            y(v)
        );
    }
    if let Some(best) = cheapest_passing(configs)
        && let Some(v) = objective.value(best)
    {
        let _ = writeln!(
            s,
            "<circle cx=\"{0:.1}\" cy=\"{1:.1}\" r=\"16\" fill=\"none\" stroke=\"{INK}\" stroke-width=\"2\"/>\
             <text x=\"{0:.1}\" y=\"{2:.1}\" font-size=\"18\" fill=\"{INK}\" text-anchor=\"middle\">cheapest passing</text>",
            x(best.cost_usd),
            y(v),
            // Above the ring, or under it when that would reach the legend.
            if y(v) - 24.0 < TOP + 16.0 {
                y(v) + 36.0
            } else {
                y(v) - 24.0
            }
        );
    }
    // Legend, top left inside the title band.
    let _ = write!(
        s,
        "<circle cx=\"{0}\" cy=\"70\" r=\"7\" fill=\"{PASS}\"/><text x=\"{1}\" y=\"76\" font-size=\"18\" fill=\"{INK}\">meets every target</text>\n\
         <circle cx=\"{2}\" cy=\"70\" r=\"7\" fill=\"{FAIL}\"/><text x=\"{3}\" y=\"76\" font-size=\"18\" fill=\"{INK}\">misses one</text>\n\
         <line x1=\"{4}\" y1=\"70\" x2=\"{5}\" y2=\"70\" stroke=\"{FRONTIER}\" stroke-width=\"3\"/><text x=\"{6}\" y=\"76\" font-size=\"18\" fill=\"{INK}\">Pareto frontier</text>\n\
         </svg>\n",
        LEFT + 10.0,
        LEFT + 24.0,
        LEFT + 230.0,
        LEFT + 244.0,
        LEFT + 380.0,
        LEFT + 410.0,
        LEFT + 418.0,
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_inside() {
        assert_eq!(ticks(0.0, 12.0), [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0]);
        assert_eq!(ticks(95.5, 101.0), [96.0, 97.0, 98.0, 99.0, 100.0, 101.0]);
        let t = ticks(0.981, 1.002);
        assert!(t.iter().all(|v| (0.981..=1.002).contains(v)), "{t:?}");
        assert!(t.len() >= 4, "{t:?}");
    }

    #[test]
    fn a_single_value_gets_a_span() {
        assert_eq!(span([10.0].into_iter()), (9.5, 10.5));
        assert_eq!(span(std::iter::empty()), (0.0, 1.0));
    }
}
